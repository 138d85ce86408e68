/* The GDB stub: remote-protocol commands [GDB manual, Appendix E], the
 * session (attach, stop, resume, detach, kill), the machine run-loop hooks
 * and the TCP listener. The target side (registers, memory, breakpoints)
 * is target.c; framing is rsp.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gdb_int.h"

/* Signal numbers in stop replies are gdb's, which match Linux's for
 * these [GDB manual, E.3 Stop Reply Packets; include/gdb/signals.def]. */
#define GDB_SIGILL 4
#define GDB_SIGTRAP 5
#define GDB_SIGINT 2
#define GDB_SIGSEGV 11

__attribute__((format(printf, 2, 3)))
static void say(struct tg_gdb *g, const char *fmt, ...)
{
	if (g->capture)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("trapgate: gdb: ", g->log);
	vfprintf(g->log, fmt, ap);
	fputc('\n', g->log);
	fflush(g->log);
	va_end(ap);
}

/* ---- the target description [GDB manual, G.2 Target Description
 * Format; G.5.8 i386 Features] ---- */

static const char *const core_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const seg_names[] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const char *const fpu_ctl_names[] = {
	"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
};
static const char *const sys_names[] = {
	"cr0", "cr2", "cr3", "cr4", "cr8", "efer",
	"dr0", "dr1", "dr2", "dr3", "dr6", "dr7",
};

struct sbuf {
	char *p;
	size_t len, cap;
	bool bad;
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->bad = true;
	else
		b->len += (size_t)n;
}

static char *build_xml(size_t *len)
{
	struct sbuf b = { .cap = 16384 };
	b.p = malloc(b.cap);
	if (!b.p)
		return 0;
	sb_add(&b, "<?xml version=\"1.0\"?>\n"
		   "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		   "<target version=\"1.0\">\n"
		   "<architecture>i386:x86-64</architecture>\n"
		   "<feature name=\"org.gnu.gdb.i386.core\">\n"
		   "<flags id=\"i386_eflags\" size=\"4\">\n");
	static const struct { const char *n; int bit; } fl[] = {
		{ "CF", 0 }, { "", 1 }, { "PF", 2 }, { "AF", 4 }, { "ZF", 6 },
		{ "SF", 7 }, { "TF", 8 }, { "IF", 9 }, { "DF", 10 }, { "OF", 11 },
		{ "NT", 14 }, { "RF", 16 }, { "VM", 17 }, { "AC", 18 },
		{ "VIF", 19 }, { "VIP", 20 }, { "ID", 21 },
	};
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
		sb_add(&b, "<field name=\"%s\" start=\"%d\" end=\"%d\"/>\n", fl[i].n,
		       fl[i].bit, fl[i].bit);
	sb_add(&b, "</flags>\n");
	for (int i = 0; i < 16; i++)
		sb_add(&b, "<reg name=\"%s\" bitsize=\"64\" type=\"%s\"/>\n", core_names[i],
		       i == GR_RBP || i == GR_RSP ? "data_ptr" : "int64");
	sb_add(&b, "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
		   "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n");
	for (int i = 0; i < 6; i++)
		sb_add(&b, "<reg name=\"%s\" bitsize=\"32\" type=\"int32\"/>\n", seg_names[i]);
	for (int i = 0; i < 8; i++)
		sb_add(&b, "<reg name=\"st%d\" bitsize=\"80\" type=\"i387_ext\"/>\n", i);
	for (int i = 0; i < 8; i++)
		sb_add(&b, "<reg name=\"%s\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n",
		       fpu_ctl_names[i]);
	sb_add(&b, "</feature>\n"
		   "<feature name=\"org.gnu.gdb.i386.sse\">\n"
		   "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
		   "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
		   "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
		   "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
		   "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
		   "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
		   "<union id=\"vec128\">\n"
		   "<field name=\"v4_float\" type=\"v4f\"/>\n"
		   "<field name=\"v2_double\" type=\"v2d\"/>\n"
		   "<field name=\"v16_int8\" type=\"v16i8\"/>\n"
		   "<field name=\"v8_int16\" type=\"v8i16\"/>\n"
		   "<field name=\"v4_int32\" type=\"v4i32\"/>\n"
		   "<field name=\"v2_int64\" type=\"v2i64\"/>\n"
		   "<field name=\"uint128\" type=\"uint128\"/>\n"
		   "</union>\n");
	for (int i = 0; i < 16; i++)
		sb_add(&b, "<reg name=\"xmm%d\" bitsize=\"128\" type=\"vec128\"/>\n", i);
	sb_add(&b, "<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>\n"
		   "</feature>\n"
		   "<feature name=\"org.gnu.gdb.i386.segments\">\n"
		   "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
		   "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
		   "</feature>\n"
		   "<feature name=\"org.trapgate.x86.system\">\n");
	for (int i = 0; i < 12; i++)
		sb_add(&b, "<reg name=\"%s\" bitsize=\"64\" type=\"uint64\" group=\"system\"/>\n",
		       sys_names[i]);
	sb_add(&b, "</feature>\n</target>\n");
	if (b.bad) {
		free(b.p);
		return 0;
	}
	*len = b.len;
	return b.p;
}

/* ---- output ---- */

static void out_raw(struct tg_gdb *g, const char *p, size_t n)
{
	if (g->capture) {
		size_t room = g->cap_size - g->cap_len;
		if (n > room) {
			/* keep the newest bytes: tests look at the last replies */
			g->cap_len = 0;
			room = g->cap_size;
			if (n > room)
				n = room;
		}
		memcpy(g->cap + g->cap_len, p, n);
		g->cap_len += n;
		return;
	}
	if (g->fd < 0 || g->lost)
		return;
	while (n) {
		ssize_t k = send(g->fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			g->lost = true;
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

static void send_packet(struct tg_gdb *g, const char *payload, size_t n, bool escape)
{
	size_t len = rsp_frame(g->last, sizeof g->last, payload, n, escape);
	if (!len) /* cannot happen for the stub's own replies; say so anyway */
		len = rsp_frame(g->last, sizeof g->last, "E01", 3, false);
	g->last_len = len;
	g->naks = 0;
	out_raw(g, g->last, len);
}

static void reply(struct tg_gdb *g, const char *s)
{
	send_packet(g, s, strlen(s), false);
}

/* Errors as "E" and two digits of the errno, the convention QEMU and
 * gdbserver share (E14 bad address, E22 invalid argument, E28 no room). */
static void reply_err(struct tg_gdb *g, int e)
{
	char buf[8];
	int v = e < 0 ? -e : e;
	snprintf(buf, sizeof buf, "E%02d", v > 0 && v < 100 ? v : 1);
	reply(g, buf);
}

/* ---- stops and resumes ---- */

static void disarm_timer(struct tg_gdb *g)
{
	if (g->have_timer && g->timer_armed) {
		struct itimerspec its;
		memset(&its, 0, sizeof its);
		timer_settime(g->timer, 0, &its, 0);
		g->timer_armed = false;
	}
}

static void arm_timer(struct tg_gdb *g)
{
	if (g->have_timer && !g->timer_armed) {
		struct itimerspec its = {
			.it_interval = { 0, GDB_TICK_NS }, .it_value = { 0, GDB_TICK_NS },
		};
		timer_settime(g->timer, 0, &its, 0);
		g->timer_armed = true;
	}
}

static void hex_le(char *out, uint64_t v, int n)
{
	uint8_t b[8];
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	rsp_hex_encode(out, b, (size_t)n);
	out[2 * n] = 0;
}

/* A T stop reply [GDB manual, E.3]: signal, the registers gdb needs
 * first (rbp, rsp, rip), the stop reason, the thread. */
static void enter_stop(struct tg_gdb *g, int sig, const char *reason, bool send)
{
	struct kvm_regs regs;
	char bp[17], sp[17], ip[17];
	memset(&regs, 0, sizeof regs);
	tg_vcpu_get_regs(g->vcpu, &regs);
	hex_le(bp, regs.rbp, 8);
	hex_le(sp, regs.rsp, 8);
	hex_le(ip, regs.rip, 8);
	snprintf(g->stop_reply, sizeof g->stop_reply,
		 "T%02x%02x:%s;%02x:%s;%02x:%s;%sthread:01;", sig, GR_RBP, bp,
		 GR_RSP, sp, GR_RIP, ip, reason);
	g->state = GS_STOPPED;
	disarm_timer(g);
	if (send)
		reply(g, g->stop_reply);
}

static void resume(struct tg_gdb *g, bool step)
{
	int e = gdb_tgt_prepare_resume(g);
	if (!e)
		e = gdb_tgt_apply_debug(g, step);
	if (e < 0) {
		/* The stub stays stopped; gdb reports the error. */
		reply_err(g, e);
		return;
	}
	g->state = step ? GS_STEPPING : GS_RUNNING;
}

/* gdb went away or detached: the guest runs on as if never debugged. */
static void disconnect(struct tg_gdb *g)
{
	gdb_tgt_remove_all(g);
	gdb_tgt_apply_debug(g, false);
	if (g->fd >= 0 && !g->capture)
		close(g->fd);
	g->fd = -1;
	g->lost = false;
	g->state = GS_DETACHED;
	say(g, "detached; the guest runs on");
}

static void kill_guest(struct tg_gdb *g)
{
	gdb_tgt_remove_all(g);
	gdb_tgt_apply_debug(g, false);
	g->killed = true;
	if (g->fd >= 0 && !g->capture)
		close(g->fd);
	g->fd = -1;
	g->state = GS_DETACHED;
}

/* ---- commands ---- */

/* "ADDR,LEN" then an optional terminator character. */
static bool parse_addr_len(const char **p, const char *end, uint64_t *addr, uint64_t *len)
{
	if (!rsp_parse_hex(p, end, addr) || *p >= end || **p != ',')
		return false;
	(*p)++;
	return rsp_parse_hex(p, end, len);
}

static void cmd_read_regs(struct tg_gdb *g)
{
	size_t o = 0;
	uint8_t buf[16];
	for (int r = 0; r < GR_NUM; r++) {
		int n;
		if (gdb_tgt_read_reg(g, r, buf, &n) == 0) {
			rsp_hex_encode(g->reply + o, buf, (size_t)n);
		} else {
			memset(g->reply + o, 'x', 2 * (size_t)n);
		}
		o += 2 * (size_t)n;
	}
	send_packet(g, g->reply, o, false);
}

static void cmd_write_regs(struct tg_gdb *g, const char *p, size_t n)
{
	size_t o = 0;
	int e = 0;
	for (int r = 0; r < GR_NUM && !e; r++) {
		int sz = gdb_tgt_reg_size(r), cur_sz;
		uint8_t val[16], cur[16];
		if (o + 2 * (size_t)sz > n)
			break; /* a shorter G leaves the rest alone */
		if (p[o] == 'x') {
			/* unavailable: left as it is */
		} else if (!rsp_hex_decode(val, p + o, (size_t)sz)) {
			e = -EINVAL;
		} else if (gdb_tgt_read_reg(g, r, cur, &cur_sz) == 0 &&
			   memcmp(cur, val, (size_t)sz)) {
			/* only what changed: a selector or CR written back with
			 * its own value must not fail */
			e = gdb_tgt_write_reg(g, r, val);
		}
		o += 2 * (size_t)sz;
	}
	if (!e && o != n)
		e = -EINVAL;
	if (e)
		reply_err(g, e);
	else
		reply(g, "OK");
}

static void cmd_read_reg(struct tg_gdb *g, const char *p, const char *end)
{
	uint64_t r;
	uint8_t buf[16];
	int n;
	if (!rsp_parse_hex(&p, end, &r) || p != end || r >= GR_NUM) {
		reply(g, "E01");
		return;
	}
	int e = gdb_tgt_read_reg(g, (int)r, buf, &n);
	if (e == 0) {
		rsp_hex_encode(g->reply, buf, (size_t)n);
	} else if (e == -ENODATA) {
		memset(g->reply, 'x', 2 * (size_t)n);
	} else {
		reply_err(g, e);
		return;
	}
	send_packet(g, g->reply, 2 * (size_t)n, false);
}

static void cmd_write_reg(struct tg_gdb *g, const char *p, const char *end)
{
	uint64_t r;
	uint8_t buf[16];
	if (!rsp_parse_hex(&p, end, &r) || p >= end || *p != '=' || r >= GR_NUM) {
		reply(g, "E01");
		return;
	}
	p++;
	int sz = gdb_tgt_reg_size((int)r);
	if (end - p != 2 * sz || !rsp_hex_decode(buf, p, (size_t)sz)) {
		reply(g, "E01");
		return;
	}
	int e = gdb_tgt_write_reg(g, (int)r, buf);
	if (e)
		reply_err(g, e);
	else
		reply(g, "OK");
}

static void cmd_read_mem(struct tg_gdb *g, const char *p, const char *end)
{
	uint64_t addr, len;
	uint8_t *buf = g->membuf;
	if (!parse_addr_len(&p, end, &addr, &len) || p != end) {
		reply(g, "E01");
		return;
	}
	if (len > RSP_MAX_PACKET / 2)
		len = RSP_MAX_PACKET / 2; /* a short answer is allowed [GDB manual, E.2 "m"] */
	long got = gdb_tgt_read_mem(g, addr, buf, (size_t)len);
	if (got < 0) {
		reply(g, "E14");
		return;
	}
	rsp_hex_encode(g->reply, buf, (size_t)got);
	send_packet(g, g->reply, 2 * (size_t)got, false);
}

static void cmd_write_mem(struct tg_gdb *g, const char *p, const char *end, bool binary)
{
	uint64_t addr, len;
	uint8_t *buf = g->membuf;
	if (!parse_addr_len(&p, end, &addr, &len) || p >= end || *p != ':' ||
	    len > RSP_MAX_PACKET) {
		reply(g, "E01");
		return;
	}
	p++;
	if (binary) {
		long n = rsp_unescape(buf, RSP_MAX_PACKET, p, (size_t)(end - p));
		if (n < 0 || (uint64_t)n != len) {
			reply(g, "E01");
			return;
		}
	} else if ((uint64_t)(end - p) != 2 * len || !rsp_hex_decode(buf, p, (size_t)len)) {
		reply(g, "E01");
		return;
	}
	int e = gdb_tgt_write_mem(g, addr, buf, (size_t)len);
	if (e)
		reply(g, "E14");
	else
		reply(g, "OK");
}

/* c/s/C/S with an optional resume address [GDB manual, E.2]. */
static void cmd_resume(struct tg_gdb *g, const char *p, const char *end, bool step, bool sig)
{
	uint64_t v;
	if (sig) {
		/* "Csig[;addr]": the signal means nothing to a bare machine */
		if (!rsp_parse_hex(&p, end, &v) || v > 0xff) {
			reply(g, "E01");
			return;
		}
		if (p < end) {
			if (*p != ';') {
				reply(g, "E01");
				return;
			}
			p++;
			if (p == end) {
				reply(g, "E01");
				return;
			}
		}
	}
	if (p < end) {
		uint8_t buf[8];
		if (!rsp_parse_hex(&p, end, &v) || p != end) {
			reply(g, "E01");
			return;
		}
		for (int i = 0; i < 8; i++)
			buf[i] = (uint8_t)(v >> (8 * i));
		int e = gdb_tgt_write_reg(g, GR_RIP, buf);
		if (e) {
			reply_err(g, e);
			return;
		}
	}
	resume(g, step);
}

/* Thread ids: the one vCPU is thread 1; -1 (all) and 0 (any) name it too,
 * plain or in the multiprocess form pPID.TID. */
static bool our_thread(const char *p, const char *end)
{
	if (p < end && *p == 'p') {
		p++;
		const char *dot = memchr(p, '.', (size_t)(end - p));
		if (!dot)
			return false;
		p = dot + 1;
	}
	if (end - p == 2 && p[0] == '-' && p[1] == '1')
		return true;
	uint64_t v;
	return rsp_parse_hex(&p, end, &v) && p == end && v <= 1;
}

static void cmd_vcont(struct tg_gdb *g, const char *p, const char *end)
{
	/* ";action[:thread]" repeated; the first that names our thread wins */
	while (p < end && *p == ';') {
		p++;
		const char *a = p;
		while (p < end && *p != ';')
			p++;
		const char *colon = memchr(a, ':', (size_t)(p - a));
		const char *aend = colon ? colon : p;
		if (colon && !our_thread(colon + 1, p))
			continue;
		if (aend - a == 1 && (*a == 'c' || *a == 's')) {
			resume(g, *a == 's');
			return;
		}
		if (aend - a >= 2 && (*a == 'C' || *a == 'S')) {
			const char *q = a + 1;
			uint64_t sig;
			if (!rsp_parse_hex(&q, aend, &sig) || q != aend || sig > 0xff)
				break;
			resume(g, *a == 'S');
			return;
		}
		break; /* 't', 'r' or garbage: not offered in vCont? */
	}
	reply(g, "E01");
}

static void cmd_z(struct tg_gdb *g, const char *p, const char *end, bool insert)
{
	uint64_t type, addr, kind;
	if (!rsp_parse_hex(&p, end, &type) || p >= end || *p != ',') {
		reply(g, "E01");
		return;
	}
	if (type > ZT_ACCESS) {
		reply(g, ""); /* unsupported type [GDB manual, E.2 "z"] */
		return;
	}
	p++;
	/* conditions and commands (";X...") are only sent to stubs that
	 * announce them; tolerate and ignore them */
	const char *semi = memchr(p, ';', (size_t)(end - p));
	if (!parse_addr_len(&p, semi ? semi : end, &addr, &kind) || p != (semi ? semi : end)) {
		reply(g, "E01");
		return;
	}
	if (type >= ZT_WRITE && (kind == 0 || kind > 32)) {
		reply(g, "E22");
		return;
	}
	int e = insert ? gdb_tgt_insert(g, (int)type, addr, kind)
		       : gdb_tgt_remove(g, (int)type, addr, kind);
	if (e)
		reply_err(g, e);
	else
		reply(g, "OK");
}

static bool starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(end - p) >= n && !memcmp(p, s, n);
}

static void cmd_qxfer_features(struct tg_gdb *g, const char *p, const char *end)
{
	/* "ANNEX:OFFSET,LENGTH" [GDB manual, E.4 "qXfer:features:read"] */
	const char *colon = memchr(p, ':', (size_t)(end - p));
	uint64_t off, len;
	if (!colon) {
		reply(g, "E01");
		return;
	}
	if (colon - p != 10 || memcmp(p, "target.xml", 10)) {
		reply(g, "E00"); /* unknown annex */
		return;
	}
	p = colon + 1;
	if (!parse_addr_len(&p, end, &off, &len) || p != end) {
		reply(g, "E01");
		return;
	}
	if (off > g->xml_len) {
		reply(g, "E01");
		return;
	}
	size_t n = g->xml_len - (size_t)off;
	if (len > RSP_MAX_PACKET - 1)
		len = RSP_MAX_PACKET - 1;
	g->reply[0] = n > len ? 'm' : 'l';
	if (n > len)
		n = (size_t)len;
	memcpy(g->reply + 1, g->xml + off, n);
	send_packet(g, g->reply, n + 1, true);
}

static void cmd_query(struct tg_gdb *g, const char *p, const char *end)
{
	if (starts(p, end, "qSupported")) {
		/* what gdb offers: stop reasons we may send back */
		g->swbreak = g->hwbreak = false;
		for (const char *q = p; q < end; q++) {
			if (starts(q, end, "swbreak+"))
				g->swbreak = true;
			if (starts(q, end, "hwbreak+"))
				g->hwbreak = true;
		}
		snprintf(g->reply, sizeof g->reply,
			 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
			 "vContSupported+;QStartNoAckMode+", RSP_MAX_PACKET);
		reply(g, g->reply);
	} else if (starts(p, end, "qXfer:features:read:")) {
		cmd_qxfer_features(g, p + 20, end);
	} else if (starts(p, end, "qAttached")) {
		reply(g, "1"); /* attached to a running machine: quit detaches */
	} else if (end - p == 2 && p[1] == 'C') {
		reply(g, "QC01");
	} else if (starts(p, end, "qfThreadInfo")) {
		reply(g, "m01");
	} else if (starts(p, end, "qsThreadInfo")) {
		reply(g, "l");
	} else if (starts(p, end, "qThreadExtraInfo,")) {
		char text[64];
		int n = snprintf(text, sizeof text, "vCPU 0 (%s backend)",
				 tg_vm_backend_name(g->vm));
		rsp_hex_encode(g->reply, (const uint8_t *)text, (size_t)n);
		send_packet(g, g->reply, 2 * (size_t)n, false);
	} else if (starts(p, end, "qSymbol:")) {
		reply(g, "OK"); /* no symbols wanted */
	} else {
		reply(g, ""); /* qOffsets, qTStatus, qRcmd...: not supported */
	}
}

static void dispatch(struct tg_gdb *g, const char *p, size_t n)
{
	const char *end = p + n;
	if (!n) {
		reply(g, "");
		return;
	}
	switch (p[0]) {
	case '?':
		reply(g, n == 1 ? g->stop_reply : "E01");
		return;
	case 'g':
		if (n == 1)
			cmd_read_regs(g);
		else
			reply(g, "E01");
		return;
	case 'G':
		cmd_write_regs(g, p + 1, n - 1);
		return;
	case 'p':
		cmd_read_reg(g, p + 1, end);
		return;
	case 'P':
		cmd_write_reg(g, p + 1, end);
		return;
	case 'm':
		cmd_read_mem(g, p + 1, end);
		return;
	case 'M':
		cmd_write_mem(g, p + 1, end, false);
		return;
	case 'X':
		cmd_write_mem(g, p + 1, end, true);
		return;
	case 'c':
	case 's':
		cmd_resume(g, p + 1, end, p[0] == 's', false);
		return;
	case 'C':
	case 'S':
		cmd_resume(g, p + 1, end, p[0] == 'S', true);
		return;
	case 'D':
		reply(g, "OK");
		disconnect(g);
		return;
	case 'k':
		kill_guest(g); /* no reply [GDB manual, E.2 "k"] */
		return;
	case 'H':
		if (n >= 3 && (p[1] == 'g' || p[1] == 'c') && our_thread(p + 2, end))
			reply(g, "OK");
		else
			reply(g, "E01");
		return;
	case 'T':
		reply(g, our_thread(p + 1, end) && n > 1 ? "OK" : "E01");
		return;
	case 'Z':
	case 'z':
		cmd_z(g, p + 1, end, p[0] == 'Z');
		return;
	case 'q':
		cmd_query(g, p, end);
		return;
	case 'Q':
		if (n == 15 && starts(p, end, "QStartNoAckMode")) {
			reply(g, "OK"); /* acknowledged the old way, then none */
			g->noack = true;
			g->rx.check_sum = false;
		} else {
			reply(g, "");
		}
		return;
	case 'v':
		if (n == 6 && starts(p, end, "vCont?")) {
			reply(g, "vCont;c;C;s;S");
		} else if (starts(p, end, "vCont;")) {
			cmd_vcont(g, p + 5, end);
		} else if (starts(p, end, "vKill")) {
			reply(g, "OK");
			kill_guest(g);
		} else {
			reply(g, ""); /* vMustReplyEmpty and everything else */
		}
		return;
	default:
		reply(g, "");
		return;
	}
}

/* ---- input ---- */

static void stop_interrupt(struct tg_gdb *g)
{
	enter_stop(g, GDB_SIGINT, "", true);
}

static void handle_event(struct tg_gdb *g, enum rsp_event ev)
{
	switch (ev) {
	case RSP_NONE:
		break;
	case RSP_ACK:
		g->naks = 0;
		break;
	case RSP_NAK:
		/* resend, but not forever to a peer that rejects everything */
		if (!g->noack && g->last_len && g->naks < 16) {
			g->naks++;
			out_raw(g, g->last, g->last_len);
		}
		break;
	case RSP_INTERRUPT:
		if (g->state == GS_RUNNING || g->state == GS_STEPPING)
			stop_interrupt(g);
		break;
	case RSP_BADSUM:
		if (!g->noack)
			out_raw(g, "-", 1);
		break;
	case RSP_OVERLONG:
		if (!g->noack)
			out_raw(g, "+", 1);
		reply(g, "E01");
		break;
	case RSP_PACKET:
		if (!g->noack)
			out_raw(g, "+", 1);
		if (g->state == GS_STOPPED)
			dispatch(g, g->rx.buf, g->rx.len);
		else
			reply(g, "E01"); /* all-stop: nothing but ^C while running */
		break;
	}
}

static void process_input(struct tg_gdb *g)
{
	while (g->in_pos < g->in_len && !g->lost && !g->killed && g->fd >= 0) {
		enum rsp_event ev = rsp_rx_byte(&g->rx, g->in[g->in_pos++]);
		handle_event(g, ev);
	}
	if (g->in_pos >= g->in_len)
		g->in_pos = g->in_len = 0;
}

/* Reads what the socket has, waiting up to timeout_ms (-1: forever).
 * > 0 bytes, 0 nothing yet, < 0 the connection is gone. */
static int read_more(struct tg_gdb *g, int timeout_ms)
{
	if (g->in_pos >= g->in_len)
		g->in_pos = g->in_len = 0;
	if (g->in_len == sizeof g->in)
		return 1; /* unprocessed input first */
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	int r;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		g->lost = true;
		return -1;
	}
	if (r == 0)
		return 0;
	ssize_t k;
	do
		k = recv(g->fd, g->in + g->in_len, sizeof g->in - g->in_len, 0);
	while (k < 0 && errno == EINTR);
	if (k <= 0) {
		g->lost = true;
		return -1;
	}
	g->in_len += (size_t)k;
	return (int)k;
}

static void serve_stopped(struct tg_gdb *g)
{
	while (g->state == GS_STOPPED && g->fd >= 0 && !g->lost && !g->killed) {
		if (g->in_pos < g->in_len)
			process_input(g);
		else
			read_more(g, -1);
	}
	if (g->lost)
		disconnect(g);
}

static void new_session(struct tg_gdb *g, int fd)
{
	g->fd = fd;
	g->lost = false;
	g->noack = false;
	g->swbreak = g->hwbreak = false;
	g->in_pos = g->in_len = 0;
	g->last_len = 0;
	rsp_rx_init(&g->rx);
	/* gdb asks '?' first; an attach is reported as a trap */
	enter_stop(g, GDB_SIGTRAP, "", false);
}

static bool accept_client(struct tg_gdb *g, bool block)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	int fd;
	for (;;) {
		struct pollfd pfd = { .fd = g->listen_fd, .events = POLLIN };
		int r = poll(&pfd, 1, block ? -1 : 0);
		if (r < 0 && errno == EINTR)
			continue; /* the machine's timer signal, say */
		if (r <= 0)
			return false;
		sl = sizeof sa;
		fd = accept4(g->listen_fd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		/* a connection that went away before we took it, or a signal:
		 * keep waiting if we must */
		if (!block || (errno != EINTR && errno != EAGAIN &&
			       errno != ECONNABORTED && errno != EPROTO))
			return false;
	}
	int one = 1;
	/* one small packet at a time each way: Nagle would add 40 ms */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char host[INET6_ADDRSTRLEN + 8] = "?", port[16] = "?";
	getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, port, sizeof port,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	say(g, "attached from %s:%s; guest stopped", host, port);
	new_session(g, fd);
	return true;
}

/* ---- the run-loop hooks (machine.h) ---- */

static void create_timer(struct tg_gdb *g);

static void report_debug_exit(struct tg_gdb *g, struct kvm_run *run)
{
	const struct kvm_debug_exit_arch *a = &run->debug.arch;
	char reason[64];
	int type;
	uint64_t waddr;
	if (a->exception == 3) {
		if (!gdb_tgt_sw_at(g, a->pc)) {
			/* the guest's own INT3: give it its #BP; if the backend
			 * will not, gdb sees it rather than an endless loop */
			if (gdb_tgt_reinject(g, 3, 0) < 0)
				enter_stop(g, GDB_SIGTRAP, "", true);
			return;
		}
		/* pc is the INT3's own address [spec 7.1], where gdb expects
		 * the PC of a swbreak stop [GDB manual, E.3 "swbreak"]; make
		 * sure RIP agrees whatever the backend left there. */
		uint64_t pc;
		if (gdb_tgt_linear_pc(g, &pc) == 0 && pc != a->pc) {
			struct kvm_regs regs;
			if (tg_vcpu_get_regs(g->vcpu, &regs) == 0) {
				regs.rip -= pc - a->pc;
				tg_vcpu_set_regs(g->vcpu, &regs);
			}
		}
		enter_stop(g, GDB_SIGTRAP, g->swbreak ? "swbreak:;" : "", true);
		return;
	}
	if (a->exception != 1) {
		enter_stop(g, GDB_SIGTRAP, "", true);
		return;
	}
	if (gdb_tgt_watch_hit(g, a->dr6, &type, &waddr) >= 0) {
		/* the watched address gdb set, so it finds its watchpoint
		 * [GDB manual, E.3 "watch", "rwatch", "awatch"] */
		snprintf(reason, sizeof reason, "%s:%llx;",
			 type == ZT_WRITE ? "watch" : type == ZT_READ ? "rwatch" : "awatch",
			 (unsigned long long)waddr);
		enter_stop(g, GDB_SIGTRAP, reason, true);
	} else if (gdb_tgt_hw_exec_hit(g, a->dr6)) {
		enter_stop(g, GDB_SIGTRAP, g->hwbreak ? "hwbreak:;" : "", true);
	} else if (g->state == GS_STEPPING) {
		enter_stop(g, GDB_SIGTRAP, "", true);
	} else {
		/* not the debugger's #DB (the guest's own TF or breakpoint
		 * while host debugging is on [spec 7.1]): the guest's */
		if (gdb_tgt_reinject(g, 1, a->dr6) < 0)
			enter_stop(g, GDB_SIGTRAP, "", true);
	}
}

static void hook_before_run(void *opaque, struct tg_machine *m, struct tg_outcome *o)
{
	struct tg_gdb *g = opaque;
	if (g->wait_first) {
		g->wait_first = false;
		if (g->fd < 0 && g->listen_fd >= 0) {
			say(g, "waiting for gdb to attach");
			accept_client(g, true);
		}
	}
	(void)m;
	while (g->state == GS_STOPPED && g->fd >= 0)
		serve_stopped(g);
	if (g->killed) {
		o->end = TG_END_INTERNAL;
		snprintf(o->msg, sizeof o->msg, "killed by gdb");
		return;
	}
	/* the model's slices come from m->debugger_slice; /dev/kvm needs
	 * the tick, aimed at this thread, the one in KVM_RUN */
	if (!g->use_budget && !g->have_timer && !g->timer_failed)
		create_timer(g);
	arm_timer(g);
}

static int hook_after_run(void *opaque, struct tg_machine *m, int r, struct tg_outcome *o)
{
	struct tg_gdb *g = opaque;
	struct kvm_run *run = m->run;
	(void)o;
	if (r == -EINTR && run->exit_reason == KVM_EXIT_INTR) {
		/* our time slice: a new gdb, a ^C, or a gdb gone */
		if (g->fd < 0) {
			if (g->listen_fd >= 0)
				accept_client(g, false);
		} else if (read_more(g, 0) != 0) {
			process_input(g);
			if (g->lost)
				disconnect(g);
		}
		return 1;
	}
	if (r == 0 && run->exit_reason == KVM_EXIT_DEBUG) {
		if (g->state == GS_RUNNING || g->state == GS_STEPPING)
			report_debug_exit(g, run);
		return 1;
	}
	return 0;
}

static void hook_end(void *opaque, struct tg_machine *m, struct tg_outcome *o)
{
	struct tg_gdb *g = opaque;
	(void)m;
	disarm_timer(g);
	if (g->killed || g->fd < 0)
		return;
	bool waiting = g->state == GS_RUNNING || g->state == GS_STEPPING;
	if (waiting && (o->end == TG_END_SHUTDOWN || o->end == TG_END_INTERNAL)) {
		/* Let gdb look at the machine where it died; any resume
		 * then reports the exit. */
		enter_stop(g, o->end == TG_END_SHUTDOWN ? GDB_SIGSEGV : GDB_SIGILL, "", true);
		serve_stopped(g);
		if (g->killed || g->fd < 0)
			return;
	}
	/* [GDB manual, E.3 "W AA"]: the exit status gdb prints */
	char w[8];
	snprintf(w, sizeof w, "W%02x", o->status & 0xff);
	reply(g, w);
	if (!g->noack) {
		/* give gdb a moment to acknowledge before the socket goes */
		for (int i = 0; i < 10 && !g->lost && g->fd >= 0; i++) {
			if (read_more(g, 100) <= 0)
				continue;
			if (memchr(g->in + g->in_pos, '+', g->in_len - g->in_pos))
				break;
			g->in_pos = g->in_len = 0;
		}
	}
	gdb_tgt_remove_all(g);
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	g->state = GS_DETACHED;
}

static const struct tg_machine_debugger gdb_hooks = {
	.before_run = hook_before_run,
	.after_run = hook_after_run,
	.end = hook_end,
};

/* ---- creation ---- */

static void tick(int sig)
{
	(void)sig; /* only there to end KVM_RUN with EINTR */
}

static struct tg_gdb *alloc_stub(struct tg_machine *m, const struct tg_gdb_config *cfg)
{
	struct tg_gdb *g = calloc(1, sizeof *g);
	if (!g)
		return 0;
	g->m = m;
	g->vm = m->vm;
	g->vcpu = m->vcpu;
	g->log = cfg && cfg->log ? cfg->log : stderr;
	g->listen_fd = g->fd = -1;
	g->state = GS_DETACHED;
	for (int s = 0; s < GDB_NSLOTS; s++)
		g->slot_owner[s] = -1;
	rsp_rx_init(&g->rx);
	snprintf(g->stop_reply, sizeof g->stop_reply, "T%02xthread:01;", GDB_SIGTRAP);
	g->xml = build_xml(&g->xml_len);
	if (!g->xml) {
		free(g);
		return 0;
	}
	return g;
}

/* Time slices: an instruction budget where the machine keeps virtual
 * time (the model), else a periodic signal to the thread in KVM_RUN, which
 * then returns -EINTR [KVM API, KVM_RUN]; SA_RESTART lets every other
 * system call carry on undisturbed. */
static int setup_slices(struct tg_gdb *g)
{
	if (g->m->virtual_time) {
		g->use_budget = true;
		return 0;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(GDB_TICK_SIGNAL, &sa, &g->old_sa) < 0)
		return -errno;
	g->have_sigaction = true;
	return 0;
}

static void create_timer(struct tg_gdb *g)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = GDB_TICK_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &g->timer) < 0) {
		g->timer_failed = true;
		say(g, "cannot create the interrupt timer (%s): Ctrl-C and new "
		    "connections wait for the guest's next exit", strerror(errno));
		return;
	}
	g->have_timer = true;
}

static void hook_in(struct tg_gdb *g, struct tg_machine *m)
{
	m->debugger = &gdb_hooks;
	m->debugger_opaque = g;
	m->debugger_slice = g->use_budget ? GDB_SLICE_INSNS : 0;
}

int tg_gdb_parse_address(const char *spec, char *host, size_t hostlen, unsigned *port)
{
	if (!spec || !hostlen)
		return -EINVAL;
	const char *ps;
	size_t hl;
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - spec - 1);
		spec++;
		ps = rb + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (colon && memchr(spec, ':', (size_t)(colon - spec)))
			return -EINVAL; /* bare IPv6: write it in brackets */
		hl = colon ? (size_t)(colon - spec) : 0;
		ps = colon ? colon + 1 : spec;
	}
	if (hl >= hostlen || !*ps || strlen(ps) > 5)
		return -EINVAL;
	unsigned v = 0;
	for (const char *q = ps; *q; q++) {
		if (*q < '0' || *q > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*q - '0');
	}
	if (v > 65535)
		return -EINVAL;
	memcpy(host, spec, hl);
	host[hl] = 0;
	*port = v;
	return 0;
}

int tg_gdb_listen(struct tg_machine *m, const struct tg_gdb_config *cfg,
		  struct tg_gdb **out, char *msg, size_t msglen)
{
	*out = 0;
	/* loopback unless the user names another address */
	const char *host = cfg->host && *cfg->host ? cfg->host : "127.0.0.1";
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%u", cfg->port);
	struct addrinfo hints, *ai = 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int r = getaddrinfo(host, portstr, &hints, &ai);
	if (r) {
		snprintf(msg, msglen, "--gdb: cannot resolve '%s': %s", host, gai_strerror(r));
		return -EINVAL;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(msg, msglen, "--gdb: cannot listen on %s:%u: %s", host, cfg->port,
			 strerror(err));
		return -(err ? err : EINVAL);
	}
	struct tg_gdb *g = alloc_stub(m, cfg);
	if (!g) {
		close(fd);
		snprintf(msg, msglen, "--gdb: out of memory");
		return -ENOMEM;
	}
	g->listen_fd = fd;
	g->wait_first = cfg->wait;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	char h[INET6_ADDRSTRLEN + 8] = "?", p[16] = "?";
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
		getnameinfo((struct sockaddr *)&sa, sl, h, sizeof h, p, sizeof p,
			    NI_NUMERICHOST | NI_NUMERICSERV);
		g->port = (unsigned)atoi(p);
	}
	if ((r = setup_slices(g)) < 0) {
		snprintf(msg, msglen, "--gdb: cannot set up time slices: %s", strerror(-r));
		tg_gdb_destroy(g);
		return r;
	}
	hook_in(g, m);
	bool v6 = sa.ss_family == AF_INET6;
	say(g, "listening on %s%s%s:%s%s", v6 ? "[" : "", h, v6 ? "]" : "", p,
	    cfg->wait ? "; the guest waits for gdb" : "");
	*out = g;
	return 0;
}

int tg_gdb_attach_fd(struct tg_machine *m, int fd, const struct tg_gdb_config *cfg,
		     struct tg_gdb **out, char *msg, size_t msglen)
{
	*out = 0;
	struct tg_gdb *g = alloc_stub(m, cfg);
	if (!g) {
		close(fd);
		snprintf(msg, msglen, "gdb stub: out of memory");
		return -ENOMEM;
	}
	int r = setup_slices(g);
	if (r < 0) {
		close(fd);
		snprintf(msg, msglen, "gdb stub: cannot set up time slices: %s", strerror(-r));
		tg_gdb_destroy(g);
		return r;
	}
	new_session(g, fd);
	hook_in(g, m);
	*out = g;
	return 0;
}

int gdb_create_capture(struct tg_machine *m, struct tg_gdb **out)
{
	struct tg_gdb *g = alloc_stub(m, 0);
	*out = 0;
	if (!g)
		return -ENOMEM;
	g->capture = true;
	g->cap_size = 1 << 16;
	g->cap = malloc(g->cap_size);
	if (!g->cap) {
		tg_gdb_destroy(g);
		return -ENOMEM;
	}
	g->fd = 0; /* "connected"; out_raw never touches it in capture mode */
	g->state = GS_STOPPED;
	*out = g;
	return 0;
}

void gdb_feed(struct tg_gdb *g, const uint8_t *buf, size_t n)
{
	while (n && g->fd >= 0 && !g->killed) {
		if (g->in_pos >= g->in_len)
			g->in_pos = g->in_len = 0;
		size_t k = sizeof g->in - g->in_len;
		if (k > n)
			k = n;
		memcpy(g->in + g->in_len, buf, k);
		g->in_len += k;
		buf += k;
		n -= k;
		process_input(g);
	}
}

void gdb_fake_stop(struct tg_gdb *g)
{
	if (g->capture && g->fd < 0 && !g->killed)
		new_session(g, 0); /* detached: the next gdb comes */
	else if (g->state == GS_RUNNING || g->state == GS_STEPPING)
		enter_stop(g, GDB_SIGTRAP, "", true);
}

unsigned tg_gdb_port(const struct tg_gdb *g)
{
	return g ? g->port : 0;
}

bool tg_gdb_killed(const struct tg_gdb *g)
{
	return g && g->killed;
}

void tg_gdb_destroy(struct tg_gdb *g)
{
	if (!g)
		return;
	if (g->m && g->m->debugger_opaque == g) {
		g->m->debugger = 0;
		g->m->debugger_opaque = 0;
		g->m->debugger_slice = 0;
	}
	if (g->vcpu) {
		gdb_tgt_remove_all(g);
		gdb_tgt_apply_debug(g, false);
	}
	if (g->have_timer) {
		disarm_timer(g);
		timer_delete(g->timer);
	}
	if (g->have_sigaction)
		sigaction(GDB_TICK_SIGNAL, &g->old_sa, 0);
	if (g->fd >= 0 && !g->capture)
		close(g->fd);
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	free(g->cap);
	free(g->xml);
	free(g);
}
