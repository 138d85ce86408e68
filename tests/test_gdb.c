/* The GDB stub end to end, against the guest in guests/gdb:
 *
 * - gdb_proto_*: raw remote-protocol sessions over a socketpair with the
 *   machine running in a thread of this process (model backend), so the
 *   test can also look at guest RAM (INT3 patched in, restored) and at
 *   the run's outcome. Expected replies follow the GDB manual, Appendix E.
 * - gdb_model_* / gdb_kvm_*: the real gdb in batch mode driving
 *   `trapgate run --gdb 127.0.0.1:0 --wait` (a child process each), on
 *   the model and on /dev/kvm. What /dev/kvm itself cannot do on this host
 *   (probed first through the vm API: INT3 intercept, single step, code and
 *   data breakpoints, the MOV SS hold) is a SKIP with the reason, never a
 *   failure of ours.
 *
 * Every wait has a deadline (hang guard only; no result depends on time),
 * and every child is killed and reaped. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "test.h"
#include "../src/boot/machine.h"
#include "../src/gdb/gdbstub.h"

int tb_build_path(char *out, size_t len, const char *rel);

#define RSP_MAX_PACKET_TEST 0x4000 /* the PacketSize the stub announces */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the guest's symbols, from the ELF64 gdb loads ---- */

static uint8_t *elf64;
static size_t elf64_size;

static uint64_t sym(const char *name)
{
	if (!elf64) {
		char path[PATH_MAX];
		if (tb_build_path(path, sizeof path, "guests/gdb/gdbguest.elf64") < 0)
			return 0;
		FILE *f = fopen(path, "rb");
		if (!f)
			return 0;
		static uint8_t buf[1 << 20];
		elf64_size = fread(buf, 1, sizeof buf, f);
		fclose(f);
		elf64 = buf;
	}
	const Elf64_Ehdr *eh = (const void *)elf64;
	if (elf64_size < sizeof *eh || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > elf64_size)
		return 0;
	const Elf64_Shdr *sh = (const void *)(elf64 + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Sym *s = (const void *)(elf64 + sh[i].sh_offset);
		const char *str = (const char *)elf64 + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof *s; k++)
			if (!strcmp(str + s[k].st_name, name))
				return s[k].st_value;
	}
	return 0;
}

static int read_guest(uint8_t *img, size_t cap, size_t *n)
{
	char path[PATH_MAX];
	if (tb_build_path(path, sizeof path, "guests/gdb/gdbguest.elf") < 0)
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	*n = fread(img, 1, cap, f);
	fclose(f);
	return 0;
}

/* little-endian hex of a register value, as 'p' and T replies give it */
static void le_hex(char *out, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
}

/* ---- in-process sessions: machine thread + socketpair client ---- */

struct sess {
	struct tg_machine m;
	struct tg_gdb *g;
	pthread_t th;
	struct tg_outcome o;
	int fd;
	bool noack, running;
	FILE *log;
	char con[4096];
	size_t ncon;
	char rbuf[65536];
	size_t rlen, rpos;
	char reply[65536];
};

static void con_byte(void *opaque, uint8_t b)
{
	struct sess *s = opaque;
	if (s->ncon + 1 < sizeof s->con)
		s->con[s->ncon++] = (char)b;
}

static void *machine_thread(void *p)
{
	struct sess *s = p;
	tg_machine_run(&s->m, &s->o);
	return 0;
}

static int sess_start(struct sess *s)
{
	static uint8_t img[1 << 20];
	size_t n;
	char msg[256];
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->log = fopen("/dev/null", "w");
	struct tg_machine_config cfg = {
		.backend = TG_BACKEND_MODEL, .ram_size = 16 << 20,
		/* a backstop: a guest left spinning still ends */
		.max_insns = 100000000, .console = con_byte, .console_opaque = s,
		.log = s->log,
	};
	if (!s->log || read_guest(img, sizeof img, &n) < 0 ||
	    tg_machine_create(&s->m, &cfg, msg, sizeof msg) < 0)
		return -1;
	struct tg_mb_result res;
	if (tg_machine_load_multiboot(&s->m, img, n, "gdbguest", &res) < 0)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	struct tg_gdb_config gc = { .log = s->log };
	if (tg_gdb_attach_fd(&s->m, sv[0], &gc, &s->g, msg, sizeof msg) < 0) {
		close(sv[1]);
		return -1;
	}
	s->fd = sv[1];
	if (pthread_create(&s->th, 0, machine_thread, s))
		return -1;
	s->running = true;
	return 0;
}

/* Ends the session: gdb goes away (the stub detaches), the guest runs to
 * its end, the thread is joined. */
static void sess_end(struct sess *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->running)
		pthread_join(s->th, 0);
	s->running = false;
	tg_gdb_destroy(s->g);
	s->g = 0;
	if (s->m.vm)
		tg_machine_destroy(&s->m);
	if (s->log)
		fclose(s->log);
	s->log = 0;
}

static void raw_send(struct sess *s, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = send(s->fd, c, n, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		c += k;
		n -= (size_t)k;
	}
}

/* One byte from the stub, waiting up to 20 s (hang guard); -1 on none. */
static int raw_byte(struct sess *s)
{
	if (s->rpos < s->rlen)
		return (unsigned char)s->rbuf[s->rpos++];
	s->rpos = s->rlen = 0;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	if (poll(&pfd, 1, 20000) <= 0)
		return -1;
	ssize_t k = recv(s->fd, s->rbuf, sizeof s->rbuf, 0);
	if (k <= 0)
		return -1;
	s->rlen = (size_t)k;
	return (unsigned char)s->rbuf[s->rpos++];
}

static void send_pkt(struct sess *s, const char *payload, size_t n)
{
	static char f[70000];
	uint8_t sum = 0;
	size_t o = 0;
	f[o++] = '$';
	for (size_t i = 0; i < n; i++) {
		f[o++] = payload[i];
		sum = (uint8_t)(sum + (uint8_t)payload[i]);
	}
	o += (size_t)sprintf(f + o, "#%02x", sum);
	raw_send(s, f, o);
}

/* The next packet from the stub (acks skipped, and acked in ack mode):
 * its payload, or "<none>" on a timeout / closed socket, "<badsum>" if
 * its checksum is wrong. */
static const char *recv_pkt(struct sess *s)
{
	int c;
	do
		c = raw_byte(s);
	while (c >= 0 && c != '$');
	if (c < 0)
		return "<none>";
	size_t n = 0;
	uint8_t sum = 0;
	while ((c = raw_byte(s)) >= 0 && c != '#') {
		sum = (uint8_t)(sum + c);
		if (n + 1 < sizeof s->reply)
			s->reply[n++] = (char)c;
	}
	int h = raw_byte(s), l = raw_byte(s);
	if (c < 0 || h < 0 || l < 0)
		return "<none>";
	s->reply[n] = 0;
	char ck[3] = { (char)h, (char)l, 0 };
	if (strtoul(ck, 0, 16) != sum)
		return "<badsum>";
	if (!s->noack)
		raw_send(s, "+", 1);
	return s->reply;
}

static const char *cmd(struct sess *s, const char *payload)
{
	send_pkt(s, payload, strlen(payload));
	if (!s->noack) {
		int c = raw_byte(s);
		if (c != '+')
			return c < 0 ? "<none>" : "<no ack>";
	}
	return recv_pkt(s);
}

static char fmtbuf[256];
__attribute__((format(printf, 2, 3)))
static const char *cmdf(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fmtbuf, sizeof fmtbuf, fmt, ap);
	va_end(ap);
	return cmd(s, fmtbuf);
}

#define EXPECT_REPLY(got, want)                                              \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (strcmp(g_, w_))                                          \
			test_fail(__FILE__, __LINE__, "reply '%.200s', expected '%.200s'", g_, w_); \
	} while (0)
#define EXPECT_CONTAINS(got, want)                                           \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (!strstr(g_, w_))                                         \
			test_fail(__FILE__, __LINE__, "'%.300s' lacks '%.200s'", g_, w_); \
	} while (0)

static uint8_t ram_byte(struct sess *s, uint64_t pa)
{
	return __atomic_load_n(&s->m.ram[pa], __ATOMIC_RELAXED);
}

static uint64_t ram_u64(struct sess *s, uint64_t pa)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | ram_byte(s, pa + (uint64_t)i);
	return v;
}

static const char qsupported_reply[] =
	"PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"
	"QStartNoAckMode+";

static bool start_or_fail(struct sess *s, int line)
{
	if (sess_start(s) < 0) {
		test_fail(__FILE__, line, "cannot start a gdb session on the model "
			  "(is guests/gdb/gdbguest.elf built?)");
		sess_end(s);
		return false;
	}
	return true;
}

/* Handshake as gdb does it, then no-ack mode. */
static void handshake(struct sess *s)
{
	EXPECT_REPLY(cmd(s, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"),
		     qsupported_reply);
	EXPECT_REPLY(cmd(s, "QStartNoAckMode"), "OK");
	s->noack = true;
}

/* Packets, acks, queries, registers and memory; bad input gets '-',
 * E01/E14/E22 or an empty reply; 'k' ends the run. */
TEST(gdb_proto_session)
{
	struct sess s;
	if (!start_or_fail(&s, __LINE__))
		return;
	uint64_t entry = sym("gg_start");
	ASSERT_TRUE(entry != 0);
	EXPECT_REPLY(cmd(&s, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"),
		     qsupported_reply);
	/* a bad checksum is answered '-' [E.1] */
	raw_send(&s, "$g#00", 5);
	EXPECT_EQ(raw_byte(&s), '-');
	/* the attach stop: SIGTRAP at the multiboot entry, EBP 0, ESP at the
	 * loader's stack (TG_MB_STACK) [E.3 "T AA n1:r1;..."] */
	char want[256], rip[17], v[17];
	le_hex(rip, entry, 8);
	le_hex(v, TG_MB_STACK, 8);
	snprintf(want, sizeof want, "T0506:0000000000000000;07:%s;10:%s;thread:01;", v, rip);
	EXPECT_REPLY(cmd(&s, "?"), want);
	EXPECT_REPLY(cmd(&s, "vMustReplyEmpty"), "");
	EXPECT_REPLY(cmd(&s, "qC"), "QC01");
	EXPECT_REPLY(cmd(&s, "qfThreadInfo"), "m01");
	EXPECT_REPLY(cmd(&s, "qsThreadInfo"), "l");
	EXPECT_REPLY(cmd(&s, "qAttached"), "1");
	EXPECT_REPLY(cmd(&s, "Hg0"), "OK");
	EXPECT_REPLY(cmd(&s, "Hc-1"), "OK");
	EXPECT_REPLY(cmd(&s, "Hgp1.1"), "OK");
	EXPECT_REPLY(cmd(&s, "Hg2"), "E01");
	EXPECT_REPLY(cmd(&s, "T1"), "OK");
	EXPECT_REPLY(cmd(&s, "T2"), "E01");
	EXPECT_REPLY(cmd(&s, "vCont?"), "vCont;c;C;s;S");
	EXPECT_REPLY(cmd(&s, "qSymbol::"), "OK");
	/* "vCPU 0 (model backend)" in hex */
	EXPECT_REPLY(cmd(&s, "qThreadExtraInfo,1"),
		     "76435055203020286d6f64656c206261636b656e6429");
	/* unknown commands: the empty reply [E.1] */
	EXPECT_REPLY(cmd(&s, "qTStatus"), "");
	EXPECT_REPLY(cmd(&s, "j"), "");
	EXPECT_REPLY(cmd(&s, "vFlashDone"), "");
	EXPECT_REPLY(cmd(&s, "Z7,100000,1"), "");
	EXPECT_REPLY(cmd(&s, ""), "");

	EXPECT_REPLY(cmd(&s, "QStartNoAckMode"), "OK");
	s.noack = true;
	/* no-ack: a wrong checksum is not even checked [E.11] */
	raw_send(&s, "$qC#00", 6);
	EXPECT_REPLY(recv_pkt(&s), "QC01");

	/* memory by linear address (paging is off at the entry): the
	 * multiboot magic 0x1BADB002 heads the image */
	EXPECT_REPLY(cmd(&s, "m100000,4"), "02b0ad1b");
	EXPECT_REPLY(cmd(&s, "m2000000,4"), "E14"); /* beyond the 16 MiB of RAM */
	EXPECT_REPLY(cmd(&s, "mffffffff,4"), "E14");
	/* a read running off the end of RAM: the readable part [E.2 "m"] */
	EXPECT_REPLY(cmd(&s, "mfffffe,4"), "0000");
	EXPECT_REPLY(cmd(&s, "mzz,4"), "E01");
	EXPECT_REPLY(cmd(&s, "m100000"), "E01");
	EXPECT_REPLY(cmd(&s, "m100000,4x"), "E01");
	EXPECT_REPLY(cmd(&s, "m11111111111111111,4"), "E01"); /* > 64 bits */
	EXPECT_REPLY(cmd(&s, "M100000,2:zz11"), "E01");
	EXPECT_REPLY(cmd(&s, "M100000,2:11"), "E01");
	EXPECT_REPLY(cmd(&s, "X100000,2:a"), "E01");
	EXPECT_REPLY(cmd(&s, "X100000,0:"), "OK"); /* gdb's X probe */
	uint64_t mem = sym("gg_mem");
	EXPECT_REPLY(cmdf(&s, "M%llx,2:abcd", (unsigned long long)mem), "OK");
	EXPECT_EQ(ram_byte(&s, mem), 0xab);
	EXPECT_EQ(ram_byte(&s, mem + 1), 0xcd);
	/* X: binary, '}' escapes: }\x03 is '#', }] is '}' */
	EXPECT_REPLY(cmdf(&s, "X%llx,2:}\x03}]", (unsigned long long)mem), "OK");
	EXPECT_EQ(ram_byte(&s, mem), '#');
	EXPECT_EQ(ram_byte(&s, mem + 1), '}');
	EXPECT_REPLY(cmdf(&s, "m%llx,3", (unsigned long long)mem), "237d11");

	/* registers: g is the target description's order, 648 bytes; the
	 * x87/SSE state the API cannot read is 'x' (unavailable) [E.2 "g"] */
	const char *g = cmd(&s, "g");
	EXPECT_EQ(strlen(g), 2 * 648);
	EXPECT_TRUE(!strncmp(g + 16 * 16, rip, 16));
	EXPECT_TRUE(!strncmp(g + 328, "xxxxxxxxxxxxxxxxxxxx", 20)); /* st0 */
	EXPECT_REPLY(cmd(&s, "p10"), rip);
	EXPECT_REPLY(cmd(&s, "p18"), "xxxxxxxxxxxxxxxxxxxx");
	/* CR0 = PE|ET at the multiboot entry [Multiboot spec 3.2] */
	EXPECT_REPLY(cmd(&s, "p3b"), "1100000000000000");
	/* DR7 reads its reset value 0x400 [SDM Vol. 3B 19.2.4] */
	EXPECT_REPLY(cmd(&s, "p46"), "0004000000000000");
	EXPECT_REPLY(cmd(&s, "P0=8877665544332211"), "OK");
	EXPECT_REPLY(cmd(&s, "p0"), "8877665544332211");
	EXPECT_REPLY(cmd(&s, "P12=08000000"), "OK");  /* CS to its own value */
	EXPECT_REPLY(cmd(&s, "P12=10000000"), "E22"); /* a bare selector: no */
	EXPECT_REPLY(cmd(&s, "P18=00000000000000000000"), "E01"); /* st0 */
	EXPECT_REPLY(cmd(&s, "p47"), "E01");
	EXPECT_REPLY(cmd(&s, "P0=11"), "E01");
	EXPECT_REPLY(cmd(&s, "Pzz"), "E01");
	EXPECT_REPLY(cmd(&s, "Z0"), "E01");
	EXPECT_REPLY(cmd(&s, "Z2,100000,0"), "E22");
	EXPECT_REPLY(cmd(&s, "vCont;x"), "E01");

	/* the target description, read in pieces [E.4 qXfer] */
	static char xml[32768];
	size_t xl = 0;
	for (int i = 0; i < 200; i++) {
		const char *r = cmdf(&s, "qXfer:features:read:target.xml:%zx,200", xl);
		ASSERT_TRUE(r[0] == 'm' || r[0] == 'l');
		size_t n = strlen(r + 1);
		ASSERT_TRUE(xl + n < sizeof xml);
		memcpy(xml + xl, r + 1, n);
		xl += n;
		if (r[0] == 'l')
			break;
	}
	xml[xl] = 0;
	EXPECT_TRUE(!strncmp(xml, "<?xml", 5));
	EXPECT_CONTAINS(xml, "<architecture>i386:x86-64</architecture>");
	EXPECT_CONTAINS(xml, "<feature name=\"org.gnu.gdb.i386.core\">");
	EXPECT_CONTAINS(xml, "<feature name=\"org.gnu.gdb.i386.segments\">");
	EXPECT_CONTAINS(xml, "<reg name=\"cr3\" bitsize=\"64\"");
	EXPECT_CONTAINS(xml, "<reg name=\"dr7\" bitsize=\"64\"");
	EXPECT_TRUE(xl > 10 && !strcmp(xml + xl - 10, "</target>\n"));
	EXPECT_REPLY(cmd(&s, "qXfer:features:read:other.xml:0,100"), "E00");
	EXPECT_REPLY(cmd(&s, "qXfer:features:read:target.xml:ffffff,100"), "E01");

	/* an overlong packet: framed fine, too big to act on */
	static char big[RSP_MAX_PACKET_TEST + 8];
	memset(big, 'a', sizeof big);
	send_pkt(&s, big, RSP_MAX_PACKET_TEST + 1);
	EXPECT_REPLY(recv_pkt(&s), "E01");
	EXPECT_REPLY(cmd(&s, "qC"), "QC01"); /* and the stub is fine */

	/* 'k': no reply, the run ends [E.2 "k"] */
	send_pkt(&s, "k", 1);
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(s.o.end, TG_END_INTERNAL);
	EXPECT_CONTAINS(s.o.msg, "killed by gdb");
	EXPECT_TRUE(tg_gdb_killed(s.g));
	sess_end(&s);
}

/* Wait (hang guard 20 s) for the next stop reply after a resume. */
static const char *wait_stop(struct sess *s)
{
	return recv_pkt(s);
}

/* "10:<rip>;" inside a stop reply */
static bool stop_at(const char *reply, uint64_t rip)
{
	char want[32] = "10:";
	le_hex(want + 3, rip, 8);
	strcat(want, ";");
	return strstr(reply, want) != 0;
}

/* Z0 patches an INT3 into guest RAM that memory reads do not show; the
 * stop is at the INT3 with swbreak [E.3]; Z1 hits with hwbreak and the
 * guest's DR7 stays its own; Z2 reports the watched address after the
 * write [spec 7.1]; resuming on a Z1 address does not hit it again (RF);
 * detach restores everything and the guest runs to its normal end. */
TEST(gdb_proto_breakpoints)
{
	struct sess s;
	if (!start_or_fail(&s, __LINE__))
		return;
	handshake(&s);
	uint64_t add = sym("gg_add"), ww = sym("gg_write_watched");
	uint64_t watched = sym("gg_watched"), exitc = sym("gg_exit_code");
	uint64_t mem = sym("gg_mem"), loop = sym("gg_spin_loop");
	ASSERT_TRUE(add && ww && watched && exitc && mem && loop);
	uint8_t orig = ram_byte(&s, add);
	char hex[8];
	snprintf(hex, sizeof hex, "%02x", orig);

	EXPECT_REPLY(cmdf(&s, "Z0,%llx,1", (unsigned long long)add), "OK");
	EXPECT_REPLY(cmdf(&s, "Z0,%llx,1", (unsigned long long)add), "OK"); /* idempotent */
	EXPECT_EQ(ram_byte(&s, add), 0xcc);
	EXPECT_REPLY(cmdf(&s, "m%llx,1", (unsigned long long)add), hex);
	/* also a breakpoint where the guest never goes (gg_spin is 0), for
	 * detach to remove */
	uint8_t orig_loop = ram_byte(&s, loop + 1);
	EXPECT_REPLY(cmdf(&s, "Z0,%llx,1", (unsigned long long)loop + 1), "OK");
	EXPECT_EQ(ram_byte(&s, loop + 1), 0xcc);

	const char *r = cmd(&s, "c");
	EXPECT_TRUE(!strncmp(r, "T05", 3));
	EXPECT_TRUE(stop_at(r, add));
	EXPECT_CONTAINS(r, "swbreak:;");
	EXPECT_REPLY(cmdf(&s, "z0,%llx,1", (unsigned long long)add), "OK");
	EXPECT_EQ(ram_byte(&s, add), orig);
	EXPECT_REPLY(cmdf(&s, "z0,%llx,1", (unsigned long long)add), "OK"); /* idempotent */

	EXPECT_REPLY(cmdf(&s, "Z1,%llx,1", (unsigned long long)ww), "OK");
	r = cmd(&s, "vCont;c");
	EXPECT_TRUE(stop_at(r, ww));
	EXPECT_CONTAINS(r, "hwbreak:;");
	/* the guest's own DR7 is untouched by the debugger's breakpoint */
	EXPECT_REPLY(cmd(&s, "p46"), "0004000000000000");

	/* a range of 16 bytes takes two debug registers; 32 more do not fit */
	EXPECT_REPLY(cmdf(&s, "Z2,%llx,10", (unsigned long long)mem), "OK");
	EXPECT_REPLY(cmdf(&s, "Z2,%llx,20", (unsigned long long)mem), "E28");
	EXPECT_REPLY(cmdf(&s, "z2,%llx,10", (unsigned long long)mem), "OK");

	/* continue from the Z1 address with Z1 still set: RF lets the
	 * instruction run [SDM Vol. 3B 19.3.1.1]; the write of 7 stops it */
	EXPECT_REPLY(cmdf(&s, "Z2,%llx,8", (unsigned long long)watched), "OK");
	r = cmd(&s, "c");
	char want[64];
	snprintf(want, sizeof want, "watch:%llx;", (unsigned long long)watched);
	EXPECT_CONTAINS(r, want);
	EXPECT_TRUE(!stop_at(r, ww));
	EXPECT_REPLY(cmdf(&s, "m%llx,8", (unsigned long long)watched), "0700000000000000");
	/* RFLAGS as the guest sees it: no TF, RF gone after the instruction */
	const char *fl = cmd(&s, "p11"); /* little-endian: byte 0 first */
	uint8_t fb[4] = { 0 };
	for (int i = 0; i < 4 && fl[2 * i]; i++) {
		char b[3] = { fl[2 * i], fl[2 * i + 1], 0 };
		fb[i] = (uint8_t)strtoul(b, 0, 16);
	}
	EXPECT_EQ(fb[1] & 1, 0);  /* TF (bit 8) */
	EXPECT_EQ(fb[2] & 1, 0);  /* RF (bit 16) */
	r = cmd(&s, "c");
	EXPECT_CONTAINS(r, want);
	EXPECT_REPLY(cmdf(&s, "m%llx,8", (unsigned long long)watched), "0900000000000000");
	EXPECT_REPLY(cmdf(&s, "z2,%llx,8", (unsigned long long)watched), "OK");
	EXPECT_REPLY(cmdf(&s, "z1,%llx,1", (unsigned long long)ww), "OK");

	/* a read watchpoint: x86 has none, so R/W = 11 (read or write); the
	 * guest reads gg_exit_code for its final OUT */
	EXPECT_REPLY(cmdf(&s, "Z3,%llx,4", (unsigned long long)exitc), "OK");
	r = cmd(&s, "c");
	snprintf(want, sizeof want, "rwatch:%llx;", (unsigned long long)exitc);
	EXPECT_CONTAINS(r, want);

	/* detach: INT3s out of RAM, guest debug off, the guest finishes */
	EXPECT_REPLY(cmd(&s, "D"), "OK");
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(ram_byte(&s, loop + 1), orig_loop);
	EXPECT_EQ(s.o.end, TG_END_EXIT_PORT);
	EXPECT_EQ(s.o.status, 0x21); /* (0x10 << 1) | 1 */
	EXPECT_CONTAINS(s.con, "DONE\n");
	sess_end(&s);
}

/* Single steps [SDM Vol. 3A 6.8.3; spec 4.1]: MOV SS holds the step's
 * #DB until after the next instruction, so one step from gg_movss ends at
 * gg_after_movss; STI does not hold it, so one step from gg_sti ends at
 * gg_after_sti. The guest sees neither TF nor a changed DR6. */
TEST(gdb_proto_step_shadows)
{
	struct sess s;
	if (!start_or_fail(&s, __LINE__))
		return;
	handshake(&s);
	uint64_t movss = sym("gg_movss"), after_movss = sym("gg_after_movss");
	uint64_t sti = sym("gg_sti"), after_sti = sym("gg_after_sti");
	ASSERT_TRUE(movss && after_movss && sti && after_sti);
	EXPECT_REPLY(cmdf(&s, "Z1,%llx,1", (unsigned long long)movss), "OK");
	const char *r = cmd(&s, "c");
	EXPECT_TRUE(stop_at(r, movss));
	EXPECT_REPLY(cmdf(&s, "z1,%llx,1", (unsigned long long)movss), "OK");
	r = cmd(&s, "vCont;s:1");
	EXPECT_TRUE(!strncmp(r, "T05", 3));
	if (!stop_at(r, after_movss))
		test_fail(__FILE__, __LINE__, "step from MOV SS: '%s', expected RIP 0x%llx "
			  "(after the shadowed instruction)", r, (unsigned long long)after_movss);
	/* wherever that step ended, walk to STI and step it */
	for (int i = 0; i < 4; i++) {
		char at[32] = "";
		le_hex(at, sti, 8);
		if (strstr(r, at))
			break;
		r = cmd(&s, "s");
	}
	EXPECT_TRUE(stop_at(r, sti));
	r = cmd(&s, "S05"); /* the signal is ignored */
	EXPECT_TRUE(stop_at(r, after_sti));
	EXPECT_REPLY(cmd(&s, "p45"), "f00fffff00000000"); /* DR6 0xFFFF0FF0 */
	const char *fl = cmd(&s, "p11");
	char b[3] = { fl[2], fl[3], 0 }; /* bits 15:8 */
	EXPECT_EQ(strtoul(b, 0, 16) & 1, 0);      /* TF */
	EXPECT_EQ((strtoul(b, 0, 16) >> 1) & 1, 1); /* IF, set by STI */
	EXPECT_REPLY(cmd(&s, "D"), "OK");
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(s.o.status, 0x21);
	sess_end(&s);
}

/* Ctrl-C (a bare 0x03 [E.8 "Interrupts"]) stops a guest spinning in a
 * loop with SIGINT; the guest then finishes once gdb lets it. */
TEST(gdb_proto_interrupt)
{
	struct sess s;
	if (!start_or_fail(&s, __LINE__))
		return;
	handshake(&s);
	uint64_t spin = sym("gg_spin"), counter = sym("gg_counter");
	uint64_t loop = sym("gg_spin_loop"), main_ = sym("gg_main");
	ASSERT_TRUE(spin && counter && loop && main_ > loop);
	EXPECT_REPLY(cmdf(&s, "M%llx,4:01000000", (unsigned long long)spin), "OK");
	send_pkt(&s, "c", 1);
	/* the guest is in the loop once the counter moves (hang guard 20 s) */
	double t0 = now_s();
	while (ram_u64(&s, counter) == 0 && now_s() - t0 < 20)
		usleep(1000);
	ASSERT_TRUE(ram_u64(&s, counter) != 0);
	raw_send(&s, "\x03", 1);
	const char *r = wait_stop(&s);
	EXPECT_TRUE(!strncmp(r, "T02", 3));
	/* RIP inside gg_spin_loop (it lies just before gg_main) */
	const char *ip = strstr(r, "10:");
	ASSERT_TRUE(ip != 0);
	uint64_t rip = 0;
	for (int i = 7; i >= 0; i--) {
		char b[3] = { ip[3 + 2 * i], ip[4 + 2 * i], 0 };
		rip = rip << 8 | strtoul(b, 0, 16);
	}
	EXPECT_TRUE(rip >= loop && rip < main_);
	/* a ^C while stopped means nothing */
	raw_send(&s, "\x03", 1);
	EXPECT_REPLY(cmd(&s, "qC"), "QC01");
	EXPECT_REPLY(cmdf(&s, "M%llx,4:00000000", (unsigned long long)spin), "OK");
	EXPECT_REPLY(cmd(&s, "D"), "OK");
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(s.o.status, 0x21);
	EXPECT_CONTAINS(s.con, "SPIN\nDONE\n");
	sess_end(&s);
}

/* gdb going away without a word is a detach: breakpoints removed, the
 * guest runs on to its end. */
TEST(gdb_proto_disconnect)
{
	struct sess s;
	if (!start_or_fail(&s, __LINE__))
		return;
	handshake(&s);
	uint64_t add = sym("gg_add");
	uint8_t orig = ram_byte(&s, add);
	EXPECT_REPLY(cmdf(&s, "Z0,%llx,1", (unsigned long long)add), "OK");
	close(s.fd);
	s.fd = -1;
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(ram_byte(&s, add), orig);
	EXPECT_EQ(s.o.end, TG_END_EXIT_PORT);
	EXPECT_EQ(s.o.status, 0x21);
	sess_end(&s);
}

/* ---- the real gdb against `trapgate run --gdb` ---- */

struct gdbrun {
	bool started;      /* trapgate listened */
	bool timed_out;
	int tg_status, gdb_status; /* exit status, or 128 + signal */
	char tg_out[16384], tg_err[16384], gdb_out[65536];
	size_t ntg_out, ntg_err, ngdb;
};

static void append(char *buf, size_t *n, size_t cap, const char *p, size_t k)
{
	if (k > cap - 1 - *n)
		k = cap - 1 - *n;
	memcpy(buf + *n, p, k);
	*n += k;
	buf[*n] = 0;
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static pid_t spawn(const char *exe, char *const argv[], int out_fd, int err_fd, bool path)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		/* the child dies with a runaway test too */
		alarm(90);
		if (path)
			execvp(exe, argv);
		else
			execv(exe, argv);
		_exit(127);
	}
	return pid;
}

static bool have_gdb(void)
{
	return system("command -v gdb >/dev/null 2>&1") == 0;
}

/* Runs trapgate with --gdb 127.0.0.1:0 --wait on the backend, then gdb in
 * batch mode with `script` after the connection preamble. When
 * sigint_marker is given, gdb gets one SIGINT once the guest has printed
 * it (the guest is then surely running). 60 s hang guard for the whole. */
static void run_gdb(struct gdbrun *r, const char *backend, const char *script,
		    const char *sigint_marker)
{
	memset(r, 0, sizeof *r);
	r->tg_status = r->gdb_status = -1;
	char exe[PATH_MAX], elf[PATH_MAX], elf64p[PATH_MAX];
	if (tb_build_path(exe, sizeof exe, "trapgate") < 0 ||
	    tb_build_path(elf, sizeof elf, "guests/gdb/gdbguest.elf") < 0 ||
	    tb_build_path(elf64p, sizeof elf64p, "guests/gdb/gdbguest.elf64") < 0)
		return;
	int po[2], pe[2], pg[2];
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || pipe2(pg, O_CLOEXEC))
		return;
	char *targv[] = { "trapgate", "run", "--backend", (char *)backend, "--gdb",
			  "127.0.0.1:0", "--wait", elf, 0 };
	pid_t tg = spawn(exe, targv, po[1], pe[1], false);
	close(po[1]);
	close(pe[1]);
	pid_t gp = -1;
	char script_path[] = "/tmp/tg-gdb-script-XXXXXX";
	int sfd = -1;
	bool sent_int = false;
	struct pollfd pfd[3] = {
		{ .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN },
		{ .fd = pg[0], .events = POLLIN },
	};
	double t0 = now_s();
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0 || pfd[2].fd >= 0) {
		if (now_s() - t0 > 60) {
			r->timed_out = true;
			break;
		}
		if (gp < 0 && !r->started) {
			/* "trapgate: gdb: listening on 127.0.0.1:PORT; ..." */
			const char *l = strstr(r->tg_err, "listening on 127.0.0.1:");
			if (l && strchr(l, '\n')) {
				unsigned port = (unsigned)atoi(l + 23);
				r->started = true;
				sfd = mkstemp(script_path);
				if (sfd < 0)
					break;
				dprintf(sfd, "set pagination off\nset confirm off\nset width 0\n"
					"set debuginfod enabled off\n"
					"target remote 127.0.0.1:%u\n%s", port, script);
				close(sfd);
				char *gargv[] = { "gdb", "-batch", "-nx", "-x", script_path,
						  elf64p, 0 };
				gp = spawn("gdb", gargv, pg[1], pg[1], true);
				close(pg[1]);
				pg[1] = -1;
			}
		}
		if (gp < 0 && pfd[0].fd < 0 && pfd[1].fd < 0)
			break; /* trapgate ended before listening */
		if (sigint_marker && !sent_int && gp > 0 && strstr(r->tg_out, sigint_marker)) {
			kill(gp, SIGINT);
			sent_int = true;
		}
		int k = poll(pfd, gp > 0 ? 3 : 2, 200);
		if (k < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 3; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t n = read(pfd[i].fd, buf, sizeof buf);
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			if (i == 0)
				append(r->tg_out, &r->ntg_out, sizeof r->tg_out, buf, (size_t)n);
			else if (i == 1)
				append(r->tg_err, &r->ntg_err, sizeof r->tg_err, buf, (size_t)n);
			else
				append(r->gdb_out, &r->ngdb, sizeof r->gdb_out, buf, (size_t)n);
		}
	}
	for (int i = 0; i < 3; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (pg[1] >= 0)
		close(pg[1]);
	/* reap both; kill what is still there after the guard */
	int st;
	pid_t pids[2] = { tg, gp };
	int *sts[2] = { &r->tg_status, &r->gdb_status };
	for (int i = 0; i < 2; i++) {
		if (pids[i] <= 0)
			continue;
		double t1 = now_s();
		pid_t w;
		while ((w = waitpid(pids[i], &st, WNOHANG)) == 0 && now_s() - t1 < 10 &&
		       !r->timed_out)
			usleep(10000);
		if (w == 0) {
			r->timed_out = true;
			kill(pids[i], SIGKILL);
			w = waitpid(pids[i], &st, 0);
		}
		if (w == pids[i])
			*sts[i] = status_of(st);
	}
	if (sfd >= 0 || r->started)
		unlink(script_path);
}

/* Each expected piece appears in gdb's output, in this order. */
static void expect_seq(const struct gdbrun *r, int line, const char *const *want)
{
	const char *p = r->gdb_out;
	for (int i = 0; want[i]; i++) {
		const char *q = strstr(p, want[i]);
		if (!q) {
			test_fail(__FILE__, line, "gdb output lacks '%s' (in order); gdb said:\n%s\n"
				  "trapgate stderr:\n%s", want[i], r->gdb_out, r->tg_err);
			return;
		}
		p = q + strlen(want[i]);
	}
}

/* ---- what /dev/kvm can do here, through the vm API itself ---- */

enum { K_SWBP = 1, K_STEP = 2, K_HWX = 4, K_HWW = 8, K_MOVSS = 16 };

/* 0x100000: nop; int3; nop; mov %rax,0x200000; mov %ss,%eax;
 *           mov %eax,%ss; nop; nop; hlt */
static const uint8_t probe_code[] = {
	0x90, 0xcc, 0x90, 0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,
	0x8c, 0xd0, 0x8e, 0xd0, 0x90, 0x90, 0xf4,
};

static bool probe_one(struct th *t, uint64_t rip, const struct kvm_guest_debug *dbg,
		      unsigned exc, uint64_t pc, uint64_t dr6_bits, char *got, size_t gl)
{
	th_long_mode(t, rip, TH_STACK);
	struct kvm_guest_debug off = { 0 };
	tg_vcpu_set_guest_debug(t->vcpu, &off);
	int e = tg_vcpu_set_guest_debug(t->vcpu, dbg);
	int x = e < 0 ? e : th_run(t);
	bool ok = x == KVM_EXIT_DEBUG && t->run->debug.arch.exception == exc &&
		  t->run->debug.arch.pc == pc && (t->run->debug.arch.dr6 & dr6_bits) == dr6_bits;
	if (!ok) {
		if (x == KVM_EXIT_DEBUG)
			snprintf(got, gl, "KVM_EXIT_DEBUG exception %u pc 0x%llx dr6 0x%llx",
				 t->run->debug.arch.exception,
				 (unsigned long long)t->run->debug.arch.pc,
				 (unsigned long long)t->run->debug.arch.dr6);
		else if (x < 0)
			snprintf(got, gl, "%s", strerror(-x));
		else
			snprintf(got, gl, "exit reason %d%s", x,
				 x == KVM_EXIT_HLT ? " (HLT: no stop at all)" :
				 x == KVM_EXIT_INTERNAL_ERROR ? " (KVM_EXIT_INTERNAL_ERROR)" : "");
	}
	tg_vcpu_set_guest_debug(t->vcpu, &off);
	return ok;
}

/* The guest-debug features of this host's KVM that `need` names (the
 * reasons for the missing ones in why); -1 (why filled) if there is no
 * usable /dev/kvm. */
static int kvm_features(int need, char *why, size_t wl)
{
	struct th t;
	if (th_init(&t, TG_BACKEND_KVM, 8 << 20) < 0) {
		snprintf(why, wl, "/dev/kvm unavailable: %s", tg_last_error());
		return -1;
	}
	th_load(&t, TH_CODE, probe_code, sizeof probe_code);
	int f = 0;
	char got[160];
	why[0] = 0;
	struct kvm_guest_debug d = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP };
	/* [spec 7.1] INT3: exception 3, pc = the INT3 */
	if (!(need & K_SWBP))
		;
	else if (probe_one(&t, TH_CODE, &d, 3, TH_CODE + 1, 0, got, sizeof got))
		f |= K_SWBP;
	else
		snprintf(why + strlen(why), wl - strlen(why), " USE_SW_BP gives %s;", got);
	/* [spec 3.12] a step: exception 1, pc = next instruction, BS */
	d = (struct kvm_guest_debug){ .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
	if (!(need & K_STEP))
		;
	else if (probe_one(&t, TH_CODE, &d, 1, TH_CODE + 1, 0x4000, got, sizeof got))
		f |= K_STEP;
	else
		snprintf(why + strlen(why), wl - strlen(why), " SINGLESTEP gives %s;", got);
	/* [spec 4.1] a step from MOV SS ends after the next instruction */
	if (!(need & K_MOVSS))
		;
	else if (probe_one(&t, TH_CODE + 13, &d, 1, TH_CODE + 16, 0x4000, got, sizeof got))
		f |= K_MOVSS;
	else
		snprintf(why + strlen(why), wl - strlen(why),
			 " SINGLESTEP from MOV SS gives %s (expected pc 0x%llx);", got,
			 (unsigned long long)TH_CODE + 16);
	/* [spec 7.1] code breakpoint in debugreg[0]: fault, B0 */
	d = (struct kvm_guest_debug){ .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP };
	d.arch.debugreg[0] = TH_CODE + 3;
	d.arch.debugreg[7] = 0x402;
	if (!(need & K_HWX))
		;
	else if (probe_one(&t, TH_CODE + 2, &d, 1, TH_CODE + 3, 1, got, sizeof got))
		f |= K_HWX;
	else
		snprintf(why + strlen(why), wl - strlen(why), " USE_HW_BP execute gives %s;", got);
	/* 8-byte write breakpoint: trap after the write, B0 */
	d.arch.debugreg[0] = 0x200000;
	d.arch.debugreg[7] = 0x402 | (0x9ull << 16);
	if (!(need & K_HWW))
		;
	else if (probe_one(&t, TH_CODE + 3, &d, 1, TH_CODE + 11, 1, got, sizeof got))
		f |= K_HWW;
	else
		snprintf(why + strlen(why), wl - strlen(why), " USE_HW_BP write gives %s;", got);
	th_fini(&t);
	return f;
}

/* Runs one gdb session on a backend; false (after SKIP or FAIL) when it
 * cannot. need: the K_* features the session relies on (kvm only); want:
 * features it can do without, reported in *missing when absent. */
static bool gdb_session_ex(struct gdbrun *r, const char *backend, int need, int want,
			   char *missing, size_t ml, const char *script,
			   const char *sigint_marker)
{
	if (missing)
		missing[0] = 0;
	if (!have_gdb()) {
		test_skip("gdb is not installed (scripts/deps.sh installs it)");
		return false;
	}
	if (!strcmp(backend, "kvm")) {
		char why[600];
		if (want) {
			int w = kvm_features(want, why, sizeof why);
			if (w >= 0 && (w & want) != want && missing)
				snprintf(missing, ml, "%s", why);
		}
		int f = kvm_features(need, why, sizeof why);
		if (f < 0) {
			test_skip(why);
			return false;
		}
		if ((f & need) != need) {
			char msg[700];
			snprintf(msg, sizeof msg, "this host's KVM cannot do what the session "
				 "needs:%s", why);
			test_skip(msg);
			return false;
		}
	}
	run_gdb(r, backend, script, sigint_marker);
	if (!r->started) {
		if (!strcmp(backend, "kvm")) {
			char msg[600];
			snprintf(msg, sizeof msg, "trapgate --backend kvm did not start: %.400s",
				 r->tg_err);
			test_skip(msg);
		} else {
			test_fail(__FILE__, __LINE__, "trapgate did not listen: %s", r->tg_err);
		}
		return false;
	}
	if (r->timed_out) {
		test_fail(__FILE__, __LINE__, "gdb session timed out; gdb said:\n%s\ntrapgate:\n%s",
			  r->gdb_out, r->tg_err);
		return false;
	}
	return true;
}

static bool gdb_session(struct gdbrun *r, const char *backend, int need,
			const char *script, const char *sigint_marker)
{
	return gdb_session_ex(r, backend, need, 0, 0, 0, script, sigint_marker);
}

/* break at a function, continue, finish with its value, next over and
 * step into a call, then run to the guest's exit. */
static void session_break_step(const char *backend)
{
	static const char script[] =
		"break gg_add\n"
		"continue\n"
		"print a + b\n"
		"finish\n"
		"next\n"
		"step\n"
		"next\n"
		"printf \"watched=%d\\n\", gg_watched\n"
		"delete\n"
		"continue\n";
	struct gdbrun r;
	if (!gdb_session(&r, backend, K_SWBP | K_STEP, script, 0))
		return;
	static const char *const want[] = {
		"Breakpoint 1, gg_add (a=2, b=3) at guests/gdb/guest.c:",
		"$1 = 5",
		"in gg_main () at guests/gdb/guest.c:",
		"Value returned is $2 = 5",
		"gg_write_watched();",
		"gg_write_watched () at guests/gdb/guest.c:",
		"gg_watched = 7;",
		"gg_watched = 9;",
		"watched=7",
		"[Inferior 1 (Remote target) exited with code 041]", /* (0x10<<1)|1 */
		0,
	};
	expect_seq(&r, __LINE__, want);
	EXPECT_EQ(r.tg_status, 0x21);
	EXPECT_EQ(r.gdb_status, 0);
	EXPECT_CONTAINS(r.tg_out, "DONE\n");
}

/* watch stops right after the write with gdb's old and new values; rwatch
 * (R/W = 11) stops on the read. */
static void session_watch(const char *backend)
{
	static const char script[] =
		"watch gg_watched\n"
		"continue\n"
		"continue\n"
		"delete\n"
		"rwatch gg_exit_code\n"
		"continue\n"
		"delete\n"
		"continue\n";
	struct gdbrun r;
	if (!gdb_session(&r, backend, K_HWW, script, 0))
		return;
	static const char *const want[] = {
		"Hardware watchpoint 1: gg_watched",
		"Old value = 5", "New value = 7", "gg_watched = 9;",
		"Old value = 7", "New value = 9",
		"Hardware read watchpoint 2: gg_exit_code",
		"Value = 16",
		"exited with code 041]",
		0,
	};
	expect_seq(&r, __LINE__, want);
	EXPECT_EQ(r.tg_status, 0x21);
}

/* stepi across MOV SS takes the shadowed instruction along; across STI it
 * does not [SDM Vol. 3A 6.8.3; spec 4.1]; the guest sees no TF. */
static void session_shadow_steps(const char *backend)
{
	char script[1024];
	snprintf(script, sizeof script,
		 "hbreak *gg_movss\n"
		 "continue\n"
		 "delete\n"
		 "stepi\n"
		 "printf \"movss_step pc=%%lx\\n\", $pc\n"
		 "hbreak *gg_sti\n"
		 "continue\n"
		 "delete\n"
		 "stepi\n"
		 "printf \"sti_step pc=%%lx if=%%d tf=%%d\\n\", $pc, ($eflags >> 9) & 1, "
		 "($eflags >> 8) & 1\n"
		 "continue\n");
	struct gdbrun r;
	char movss_missing[600];
	if (!gdb_session_ex(&r, backend, K_HWX | K_STEP, K_MOVSS, movss_missing,
			    sizeof movss_missing, script, 0))
		return;
	char w1[64], w3[64];
	snprintf(w1, sizeof w1, "movss_step pc=%llx\n", (unsigned long long)sym("gg_after_movss"));
	snprintf(w3, sizeof w3, "sti_step pc=%llx if=1 tf=0\n",
		 (unsigned long long)sym("gg_after_sti"));
	const char *const want[] = {
		"Hardware assisted breakpoint 1 at", "gg_shadow_steps ()",
		"movss_step", "Hardware assisted breakpoint 2 at", "sti_step",
		"exited with code 041]", 0,
	};
	expect_seq(&r, __LINE__, want);
	/* each step on its own, so one wrong step does not hide the other */
	if (movss_missing[0]) {
		char msg[700];
		snprintf(msg, sizeof msg, "the MOV SS step (this host's KVM:%s)", movss_missing);
		test_skip(msg);
	} else {
		EXPECT_CONTAINS(r.gdb_out, w1);
	}
	EXPECT_CONTAINS(r.gdb_out, w3);
	EXPECT_EQ(r.tg_status, 0x21);
}

/* registers and memory read and written; the guest computes with what
 * gdb wrote and exits with the status gdb set; control and debug
 * registers are the guest's own (DR7 stays 0x400 under an hbreak). */
static void session_regs_mem(const char *backend)
{
	static const char script[] =
		"x/2gx &gg_mem\n"
		"set var gg_mem[1] = 0x77\n"
		"x/2gx &gg_mem\n"
		"set var gg_exit_code = 0x2a\n"
		"hbreak *gg_reg_add\n"
		"continue\n"
		"printf \"rax=%lx\\n\", $rax\n"
		"set $rdx = 0x234\n"
		"stepi\n"
		"printf \"rax=%lx\\n\", $rax\n"
		"stepi\n"
		"printf \"result=%lx\\n\", gg_reg_result\n"
		"printf \"cr0=%lx efer=%lx dr7=%lx\\n\", $cr0, $efer, $dr7\n"
		"info registers fs_base\n"
		"delete\n"
		"continue\n";
	struct gdbrun r;
	if (!gdb_session(&r, backend, K_HWX | K_STEP, script, 0))
		return;
	static const char *const want[] = {
		"0x1111111111111111\t0x2222222222222222",
		"0x1111111111111111\t0x0000000000000077",
		"Hardware assisted breakpoint 1 at",
		"rax=1000\n", "rax=1234\n", "result=1234\n",
		/* CR0 = PG|ET|PE, EFER = LMA|LME as the guest set them */
		"cr0=80000011 efer=500 dr7=400\n",
		"fs_base",
		"exited with code 0125]", /* (0x2a<<1)|1 = 85 */
		0,
	};
	expect_seq(&r, __LINE__, want);
	EXPECT_EQ(r.tg_status, 85);
}

/* gdb's SIGINT while the guest spins: ^C to the stub, a SIGINT stop in
 * the loop, then the guest finishes when gdb clears the flag. */
static void session_interrupt(const char *backend)
{
	static const char script[] =
		"set var gg_spin = 1\n"
		"continue\n"
		"printf \"moved=%d\\n\", gg_counter != 0\n"
		"set var gg_spin = 0\n"
		"continue\n";
	struct gdbrun r;
	if (!gdb_session(&r, backend, 0, script, "SPIN\n"))
		return;
	static const char *const want[] = {
		"Program received signal SIGINT, Interrupt.",
		"gg_spin_loop () at guests/gdb/guest.c:",
		"moved=1\n",
		"exited with code 041]",
		0,
	};
	expect_seq(&r, __LINE__, want);
	EXPECT_EQ(r.tg_status, 0x21);
	EXPECT_CONTAINS(r.tg_out, "SPIN\nDONE\n");
}

TEST(gdb_model_break_step) { session_break_step("model"); }
TEST(gdb_model_watch) { session_watch("model"); }
TEST(gdb_model_shadow_steps) { session_shadow_steps("model"); }
TEST(gdb_model_regs_mem) { session_regs_mem("model"); }
TEST(gdb_model_interrupt) { session_interrupt("model"); }
TEST(gdb_kvm_break_step) { session_break_step("kvm"); }
TEST(gdb_kvm_watch) { session_watch("kvm"); }
TEST(gdb_kvm_shadow_steps) { session_shadow_steps("kvm"); }
TEST(gdb_kvm_regs_mem) { session_regs_mem("kvm"); }
TEST(gdb_kvm_interrupt) { session_interrupt("kvm"); }

/* A guest that dies (triple fault: UD2 with no IDT behind it) with gdb
 * attached stops with SIGSEGV where it died, so gdb can look; resuming
 * then reports the exit status [E.3 "W AA"]. */
TEST(gdb_proto_postmortem)
{
	struct sess s;
	if (!start_or_fail(&s, __LINE__))
		return;
	handshake(&s);
	EXPECT_REPLY(cmd(&s, "M90000,2:0f0b"), "OK"); /* UD2 [SDM Vol. 2 UD] */
	const char *r = cmd(&s, "c90000");
	EXPECT_TRUE(!strncmp(r, "T0b", 3));
	EXPECT_TRUE(stop_at(r, 0x90000));
	EXPECT_EQ(strlen(cmd(&s, "g")), 2 * 648);
	EXPECT_REPLY(cmd(&s, "m90000,2"), "0f0b");
	EXPECT_REPLY(cmd(&s, "c"), "W06"); /* TG_STATUS_SHUTDOWN */
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(s.o.end, TG_END_SHUTDOWN);
	EXPECT_EQ(s.o.status, 6);
	sess_end(&s);
}

/* Without --wait the guest runs; a gdb connecting over TCP (loopback)
 * later stops it at the next time slice, and detaching lets it run on. */
TEST(gdb_proto_attach_running)
{
	static uint8_t img[1 << 20];
	static struct sess s;
	size_t n;
	char msg[256];
	memset(&s, 0, sizeof s);
	s.fd = -1;
	s.log = fopen("/dev/null", "w");
	ASSERT_TRUE(s.log != 0);
	struct tg_machine_config cfg = {
		.backend = TG_BACKEND_MODEL, .ram_size = 16 << 20,
		.max_insns = 100000000, .console = con_byte, .console_opaque = &s,
		.log = s.log,
	};
	uint64_t spin = sym("gg_spin"), counter = sym("gg_counter");
	uint64_t loop = sym("gg_spin_loop"), main_ = sym("gg_main");
	if (!spin || !counter || read_guest(img, sizeof img, &n) < 0 ||
	    tg_machine_create(&s.m, &cfg, msg, sizeof msg) < 0) {
		test_fail(__FILE__, __LINE__, "cannot create the machine");
		sess_end(&s);
		return;
	}
	struct tg_mb_result res;
	ASSERT_EQ(tg_machine_load_multiboot(&s.m, img, n, "gdbguest", &res), 0);
	s.m.ram[spin] = 1; /* the guest spins until gdb clears it */
	struct tg_gdb_config gc = { .port = 0, .log = s.log };
	if (tg_gdb_listen(&s.m, &gc, &s.g, msg, sizeof msg) < 0) {
		test_fail(__FILE__, __LINE__, "listen: %s", msg);
		sess_end(&s);
		return;
	}
	unsigned port = tg_gdb_port(s.g);
	ASSERT_TRUE(port != 0);
	if (pthread_create(&s.th, 0, machine_thread, &s)) {
		sess_end(&s);
		return;
	}
	s.running = true;
	double t0 = now_s();
	while (ram_u64(&s, counter) == 0 && now_s() - t0 < 20)
		usleep(1000);
	EXPECT_TRUE(ram_u64(&s, counter) != 0);

	s.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ASSERT_EQ(connect(s.fd, (struct sockaddr *)&sa, sizeof sa), 0);
	handshake(&s);
	const char *r = cmd(&s, "?");
	EXPECT_TRUE(!strncmp(r, "T05", 3));
	const char *ip = strstr(r, "10:");
	uint64_t rip = 0;
	for (int i = 7; ip && i >= 0; i--) {
		char b[3] = { ip[3 + 2 * i], ip[4 + 2 * i], 0 };
		rip = rip << 8 | strtoul(b, 0, 16);
	}
	EXPECT_TRUE(rip >= loop && rip < main_);
	uint64_t c1 = ram_u64(&s, counter);
	EXPECT_REPLY(cmd(&s, "qC"), "QC01");
	EXPECT_EQ(ram_u64(&s, counter), c1); /* stopped means stopped */
	EXPECT_REPLY(cmdf(&s, "M%llx,4:00000000", (unsigned long long)spin), "OK");
	EXPECT_REPLY(cmd(&s, "D"), "OK");
	pthread_join(s.th, 0);
	s.running = false;
	EXPECT_EQ(s.o.status, 0x21);
	EXPECT_CONTAINS(s.con, "SPIN\nDONE\n");
	sess_end(&s);
}

/* The command line: --wait without --gdb and a bad address are usage
 * errors (status 2); a gdb 'kill' ends the run with status 3. */
TEST(gdb_cli)
{
	char exe[PATH_MAX], elf[PATH_MAX];
	ASSERT_EQ(tb_build_path(exe, sizeof exe, "trapgate"), 0);
	ASSERT_EQ(tb_build_path(elf, sizeof elf, "guests/gdb/gdbguest.elf"), 0);
	static const char *const bad[][3] = {
		{ "--wait", 0, 0 }, { "--gdb", "1:2:3", 0 }, { "--gdb", "70000", 0 },
		{ "--gdb", "host:", 0 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[8] = { "trapgate", "run" };
		int a = 2;
		for (int k = 0; k < 3 && bad[i][k]; k++)
			argv[a++] = (char *)bad[i][k];
		argv[a++] = elf;
		argv[a] = 0;
		int devnull = open("/dev/null", O_WRONLY);
		pid_t p = spawn(exe, argv, devnull, devnull, false);
		close(devnull);
		int st;
		waitpid(p, &st, 0);
		EXPECT_EQ(status_of(st), 2);
	}
	struct gdbrun r;
	if (!gdb_session(&r, "model", 0, "kill\n", 0))
		return;
	EXPECT_EQ(r.tg_status, 3);
	EXPECT_CONTAINS(r.tg_err, "killed by gdb");
	EXPECT_CONTAINS(r.gdb_out, "killed");
}
