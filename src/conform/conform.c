/* The conformance runner (see conform.h). The kernel's interface is
 * guests/conform/abi.h: an info block at a fixed address names the
 * scenario table and the state block; every structure is made of 64-bit
 * words. The comparison here is written independently of the guest's
 * (guests/conform/rt/runtime.c); both must reach the same verdict. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* ---- reading the kernel file: ELF32 program headers [System V ABI,
 * ELF header and program header]; every offset is checked ---- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

struct image {
	const uint8_t *b;
	size_t size;
};

/* Copies [addr, addr+len) of the loaded image: file bytes, or zeros for
 * bss. -1 if some byte is outside every PT_LOAD segment. */
static int image_read(const struct image *im, uint64_t addr, void *out, size_t len)
{
	const uint8_t *b = im->b;
	if (im->size < 52 || memcmp(b, "\x7f" "ELF", 4) || b[4] != 1)
		return -1;
	uint32_t phoff = le32(b + 28);
	uint16_t phentsize = le16(b + 42), phnum = le16(b + 44);
	if (phentsize < 32)
		return -1;
	uint8_t *o = out;
	for (size_t i = 0; i < len; i++) {
		uint64_t a = addr + i;
		bool found = false;
		for (unsigned k = 0; k < phnum && !found; k++) {
			uint64_t ph = (uint64_t)phoff + (uint64_t)k * phentsize;
			if (ph + 32 > im->size)
				return -1;
			const uint8_t *p = b + ph;
			if (le32(p) != 1) /* PT_LOAD */
				continue;
			uint64_t off = le32(p + 4), paddr = le32(p + 12);
			uint64_t filesz = le32(p + 16), memsz = le32(p + 20);
			if (a < paddr || a >= paddr + memsz)
				continue;
			uint64_t rel = a - paddr;
			if (rel < filesz) {
				if (off + rel >= im->size)
					return -1;
				o[i] = b[off + rel];
			} else {
				o[i] = 0;
			}
			found = true;
		}
		if (!found)
			return -1;
	}
	return 0;
}

/* A reader over the image file or over guest memory. */
struct reader {
	const struct image *im;
	struct tg_vm *vm;
};
static int rd(const struct reader *r, uint64_t addr, void *out, size_t len)
{
	if (r->vm)
		return tg_vm_read_phys(r->vm, addr, out, len) < 0 ? -1 : 0;
	return image_read(r->im, addr, out, len);
}
static int rd_str(const struct reader *r, uint64_t addr, char *out, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (rd(r, addr + i, &out[i], 1) < 0)
			return -1;
		if (!out[i])
			return 0;
	}
	out[len - 1] = 0;
	return 0; /* truncated */
}

static int read_scenario(const struct reader *r, uint64_t table, unsigned index,
			 struct tg_cf_scenario *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->index = index;
	if (rd(r, table + (uint64_t)index * CF_SC_SIZE, &sc->d, sizeof sc->d) < 0)
		return -1;
	if (rd_str(r, sc->d.name, sc->name, sizeof sc->name) < 0 ||
	    rd_str(r, sc->d.source, sc->source, sizeof sc->source) < 0 ||
	    rd_str(r, sc->d.descr, sc->descr, sizeof sc->descr) < 0 ||
	    rd_str(r, sc->d.unverified, sc->unverified, sizeof sc->unverified) < 0)
		return -1;
	if (sc->d.nexp > CF_LOG_MAX)
		return -1;
	sc->nexp = (unsigned)sc->d.nexp;
	if (sc->nexp && rd(r, sc->d.exp, sc->exp, sc->nexp * sizeof sc->exp[0]) < 0)
		return -1;
	if (sc->d.nhost > CF_HOST_MAX || (sc->d.nhost && !(sc->d.flags & CF_F_HOST)))
		return -1;
	sc->nhost = (unsigned)sc->d.nhost;
	if (sc->nhost && rd(r, sc->d.host, sc->host, sc->nhost * sizeof sc->host[0]) < 0)
		return -1;
	for (unsigned i = 0; i < sc->nhost; i++)
		if (sc->host[i].op == 0 || sc->host[i].op > CF_H_MAX)
			return -1;
	return 0;
}

int tg_cf_read_host(struct tg_vm *vm, const struct tg_cf_scenario *sc,
		    struct cf_host_action *out, unsigned *n)
{
	struct reader r = { 0, vm };
	*n = 0;
	if (sc->d.nhost > CF_HOST_MAX)
		return -1;
	if (sc->d.nhost && rd(&r, sc->d.host, out, sc->d.nhost * sizeof *out) < 0)
		return -1;
	for (unsigned i = 0; i < sc->d.nhost; i++)
		if (out[i].op == 0 || out[i].op > CF_H_MAX)
			return -1;
	*n = (unsigned)sc->d.nhost;
	return 0;
}

static int read_info(const struct reader *r, struct cf_info *info)
{
	if (rd(r, CF_INFO_ADDR, info, sizeof *info) < 0)
		return -1;
	if (info->magic != CF_INFO_MAGIC || info->version != CF_ABI_VERSION ||
	    info->logmax != CF_LOG_MAX || info->count > TG_CF_MAX_SCENARIOS)
		return -1;
	return 0;
}

static uint8_t *slurp(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (64 << 20)) {
		close(fd);
		errno = EINVAL;
		return 0;
	}
	size_t n = (size_t)sb.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	while (buf && got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(buf);
			buf = 0;
			errno = k < 0 ? errno : EIO;
			break;
		}
		got += (size_t)k;
	}
	close(fd);
	*size = n;
	return buf;
}

int tg_cf_catalogue_load(struct tg_cf_catalogue *cat, const char *path, char *err,
			 size_t errlen)
{
	memset(cat, 0, sizeof *cat);
	snprintf(cat->path, sizeof cat->path, "%s", path);
	cat->image = slurp(path, &cat->size);
	if (!cat->image) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	struct image im = { cat->image, cat->size };
	struct reader r = { &im, 0 };
	struct cf_info info;
	if (read_info(&r, &info) < 0) {
		snprintf(err, errlen, "'%s' is not a conformance kernel (no info block "
			 "version %d at 0x%x)", path, CF_ABI_VERSION, CF_INFO_ADDR);
		tg_cf_catalogue_free(cat);
		return -1;
	}
	cat->vectors = info.vectors;
	cat->count = (unsigned)info.count;
	cat->sc = calloc(cat->count ? cat->count : 1, sizeof *cat->sc);
	if (!cat->sc) {
		snprintf(err, errlen, "out of memory");
		tg_cf_catalogue_free(cat);
		return -1;
	}
	for (unsigned i = 0; i < cat->count; i++) {
		if (read_scenario(&r, info.table, i, &cat->sc[i]) < 0) {
			snprintf(err, errlen, "'%s': scenario descriptor %u is malformed", path, i);
			tg_cf_catalogue_free(cat);
			return -1;
		}
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(cat->sc[j].name, cat->sc[i].name)) {
				snprintf(err, errlen, "'%s': scenario name '%s' used twice", path,
					 cat->sc[i].name);
				tg_cf_catalogue_free(cat);
				return -1;
			}
	}
	return 0;
}

void tg_cf_catalogue_free(struct tg_cf_catalogue *cat)
{
	free(cat->image);
	free(cat->sc);
	cat->image = 0;
	cat->sc = 0;
	cat->count = 0;
}

int tg_cf_default_kernel(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return snprintf(buf, len, "%s/conform.elf", exe) < (int)len ? 0 : -1;
}

int tg_cf_variants(const struct tg_cf_scenario *sc, int cpls[2])
{
	if (sc->d.flags & CF_F_CPL3_ONLY) {
		cpls[0] = 3;
		return 1;
	}
	cpls[0] = 0;
	if (sc->d.flags & CF_F_CPL3_OK) {
		cpls[1] = 3;
		return 2;
	}
	return 1;
}

unsigned tg_cf_variants_all(const struct tg_cf_catalogue *cat, const char *filter, int cpl,
			    struct tg_cf_variant **out)
{
	struct tg_cf_variant *v = malloc((2 * (size_t)cat->count + 1) * sizeof *v);
	unsigned n = 0;
	*out = v;
	if (!v)
		return 0;
	for (unsigned i = 0; i < cat->count; i++) {
		if (filter && !strstr(cat->sc[i].name, filter))
			continue;
		int cpls[2], k = tg_cf_variants(&cat->sc[i], cpls);
		for (int j = 0; j < k; j++)
			if (cpl < 0 || cpls[j] == cpl)
				v[n++] = (struct tg_cf_variant){ i, cpls[j] };
	}
	return n;
}

int tg_cf_find(const struct tg_cf_catalogue *cat, const char *name)
{
	for (unsigned i = 0; i < cat->count; i++)
		if (!strcmp(cat->sc[i].name, name))
			return (int)i;
	return -1;
}

const char *tg_cf_status_name(enum tg_cf_status s)
{
	switch (s) {
	case TG_CF_MATCH: return "match";
	case TG_CF_DIFF: return "DIFF";
	case TG_CF_TIMEOUT: return "TIMEOUT";
	case TG_CF_SKIP: return "SKIP";
	case TG_CF_ERROR: return "ERROR";
	case TG_CF_HARNESS: return "HARNESS";
	}
	return "?";
}

/* ---- formatting events ---- */

static const char *vname(uint64_t v)
{
	static const char *const n[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", 0,
		"#TS", "#NP", "#SS", "#GP", "#PF", 0, "#MF", "#AC", "#MC", "#XM",
		"#VE", "#CP" };
	if (v < 32 && n[v])
		return n[v];
	if (v == CF_VEC_SOFT)
		return "INT 0x81";
	if (v == CF_VEC_ASSERT)
		return "CHECK failed (INT 0x82)";
	return "vector";
}

/* "0x1234 (code+0x10)" / "(vector 1 entry)" */
static void fmt_rip(char *b, size_t len, const struct tg_cf_catalogue *cat,
		    const struct tg_cf_scenario *sc, uint64_t rip)
{
	if (sc && rip >= sc->d.code && rip < sc->d.end)
		snprintf(b, len, "0x%llx (%s+0x%llx)", (unsigned long long)rip, sc->name,
			 (unsigned long long)(rip - sc->d.code));
	else if (cat && cat->vectors && rip >= cat->vectors &&
		 rip < cat->vectors + 256 * CF_STUB_SIZE && !((rip - cat->vectors) % CF_STUB_SIZE))
		snprintf(b, len, "0x%llx (vector 0x%llx entry)", (unsigned long long)rip,
			 (unsigned long long)((rip - cat->vectors) / CF_STUB_SIZE));
	else
		snprintf(b, len, "0x%llx", (unsigned long long)rip);
}

void tg_cf_fmt_exp(char *buf, size_t len, const struct tg_cf_catalogue *cat,
		   const struct tg_cf_scenario *sc, const struct cf_exp *x)
{
	char rip[160];
	if (x->flags & CF_E_RIP_ANY)
		snprintf(rip, sizeof rip, "any");
	else
		fmt_rip(rip, sizeof rip, cat, sc, x->rip);
	int n = snprintf(buf, len, "%s (vector 0x%llx) rip=%s", vname(x->vector),
			 (unsigned long long)x->vector, rip);
#define ADD(...) do { if (n >= 0 && (size_t)n < len) n += snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	if (x->flags & CF_E_DR6)
		ADD(" dr6=0x%llx", (unsigned long long)x->dr6);
	if (x->flags & CF_E_ERR)
		ADD(" err=0x%llx", (unsigned long long)x->err);
	if (x->flags & CF_E_FLAGS)
		ADD(" rflags&0x%llx=0x%llx", (unsigned long long)x->flmask,
		    (unsigned long long)x->flval);
	if (x->flags & CF_E_AUX)
		ADD(" %s&0x%llx=0x%llx", x->vector == 1 ? "dr7" : "cr2",
		    (unsigned long long)x->auxmask, (unsigned long long)x->auxval);
}

void tg_cf_fmt_obs(char *buf, size_t len, const struct tg_cf_catalogue *cat,
		   const struct tg_cf_scenario *sc, const struct cf_log *o)
{
	char rip[160];
	fmt_rip(rip, sizeof rip, cat, sc, o->rip);
	int n = snprintf(buf, len, "%s (vector 0x%llx) rip=%s", vname(o->vector),
			 (unsigned long long)o->vector, rip);
	if (o->vector == 1)
		ADD(" dr6=0x%llx dr7=0x%llx", (unsigned long long)o->dr6,
		    (unsigned long long)o->aux);
	ADD(" err=0x%llx rflags=0x%llx cs=0x%llx", (unsigned long long)o->err,
	    (unsigned long long)o->rflags, (unsigned long long)o->cs);
	if (o->vector == 14 || o->vector == 8)
		ADD(" cr2=0x%llx", (unsigned long long)o->aux);
#undef ADD
}

/* Which fields of an observed event differ from the expectation
 * ("" = none). */
static void event_diff(const struct cf_exp *x, const struct cf_log *o, char *why, size_t len)
{
	why[0] = 0;
	size_t n = 0;
#define WHY(s) do { n += (size_t)snprintf(why + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", s); } while (0)
	if (x->vector != o->vector) {
		WHY("vector");
		return; /* the other fields mean other things */
	}
	if (!(x->flags & CF_E_RIP_ANY) && x->rip != o->rip)
		WHY("RIP");
	if ((x->flags & CF_E_DR6) && x->dr6 != o->dr6)
		WHY("DR6");
	if ((x->flags & CF_E_ERR) && x->err != o->err)
		WHY("error code");
	if ((x->flags & CF_E_FLAGS) && (o->rflags & x->flmask) != x->flval)
		WHY("RFLAGS");
	if ((x->flags & CF_E_AUX) && (o->aux & x->auxmask) != x->auxval)
		WHY(x->vector == 1 ? "DR7" : "CR2");
#undef WHY
}

/* ---- one run ---- */

static void console_tx(void *opaque, uint8_t byte)
{
	struct tg_cf_result *r = opaque;
	if (r->nconsole < sizeof r->console - 1)
		r->console[r->nconsole++] = (char)byte;
	r->console[r->nconsole] = 0;
}

double tg_cf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void tg_cf_describe_exit(const struct kvm_run *run, char *buf, size_t len)
{
	switch (run->exit_reason) {
	case KVM_EXIT_DEBUG:
		snprintf(buf, len, "KVM_EXIT_DEBUG (exception %u, pc 0x%llx, dr6 0x%llx, dr7 0x%llx)",
			 run->debug.arch.exception, (unsigned long long)run->debug.arch.pc,
			 (unsigned long long)run->debug.arch.dr6,
			 (unsigned long long)run->debug.arch.dr7);
		break;
	case KVM_EXIT_HLT: snprintf(buf, len, "KVM_EXIT_HLT"); break;
	case KVM_EXIT_SHUTDOWN: snprintf(buf, len, "KVM_EXIT_SHUTDOWN"); break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "KVM_EXIT_FAIL_ENTRY (VM entry failed, reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf, len, "KVM_EXIT_INTERNAL_ERROR (suberror %u)", run->internal.suberror);
		break;
	case KVM_EXIT_IO:
		snprintf(buf, len, "KVM_EXIT_IO (port 0x%x)", run->io.port);
		break;
	default: snprintf(buf, len, "exit reason %u", run->exit_reason); break;
	}
}

static void on_alarm(int sig)
{
	(void)sig; /* only interrupts KVM_RUN (-EINTR) */
}

/* The kvm backend counts no instructions: bound the run by wall clock. A
 * periodic SIGALRM makes KVM_RUN return -EINTR so the loop can look at the
 * clock (and serve timers) [KVM API: KVM_RUN returns -EINTR on a pending
 * signal]. Armed for the whole of tg_cf_run. */
struct alarm_save {
	struct sigaction sa;
	struct itimerval it;
};
static void alarm_start(struct alarm_save *save)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &save->sa);
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, &save->it);
}
static void alarm_stop(struct alarm_save *save)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, 0);
	sigaction(SIGALRM, &save->sa, 0);
}

int tg_cf_run_until(struct cf_runner *r, bool host, struct tg_outcome *o)
{
	struct tg_machine *m = r->m;
	struct kvm_run *run = m->run;
	char why[256];
	while (o->end == TG_END_NONE) {
		if (r->model) {
			struct tg_vcpu_stats st;
			tg_vcpu_get_stats(m->vcpu, &st);
			if (st.insns_retired >= r->max_insns) {
				o->end = TG_END_BUDGET;
				break;
			}
			tg_vcpu_set_budget(m->vcpu, r->max_insns - st.insns_retired);
		} else if ((tg_cf_now() - r->t0) * 1000.0 >= r->timeout_ms) {
			o->end = TG_END_BUDGET;
			snprintf(o->msg, sizeof o->msg, "time limit of %u ms reached", r->timeout_ms);
			break;
		}
		tg_machine_service(m);
		int rc = tg_vcpu_run(m->vcpu);
		run->immediate_exit = 0;
		if (rc == -EINTR)
			continue; /* budget, signal: the checks above decide */
		if (rc < 0) {
			o->end = TG_END_INTERNAL;
			snprintf(o->msg, sizeof o->msg, "KVM_RUN failed: %s", strerror(-rc));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
		case KVM_EXIT_MMIO:
		case KVM_EXIT_X86_RDMSR:
		case KVM_EXIT_X86_WRMSR:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_SET_TPR:
		case KVM_EXIT_INTR:
			tg_machine_handle_exit(m, o);
			continue;
		case KVM_EXIT_HLT:
			if (!host) {
				tg_machine_handle_exit(m, o);
				continue;
			}
			return 1;
		case KVM_EXIT_FAIL_ENTRY:
			if (host)
				return 1;
			tg_cf_describe_exit(run, why, sizeof why);
			o->end = TG_END_INTERNAL;
			snprintf(o->msg, sizeof o->msg, "%s", why);
			break;
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_INTERNAL_ERROR:
			if (host)
				return 1;
			tg_machine_handle_exit(m, o);
			break;
		default:
			if (host)
				return 1;
			tg_cf_describe_exit(run, why, sizeof why);
			o->end = TG_END_INTERNAL;
			snprintf(o->msg, sizeof o->msg, "unexpected %s", why);
			break;
		}
	}
	return 0;
}

__attribute__((format(printf, 3, 4)))
static void set_detail(struct tg_cf_result *r, enum tg_cf_status st, const char *fmt, ...)
{
	va_list ap;
	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

/* The host's comparison: first difference in order, then the count. */
static bool compare(struct tg_cf_result *r)
{
	const struct tg_cf_catalogue *cat = r->cat;
	const struct tg_cf_scenario *sc = r->sc;
	char ex[320], ob[320], why[96];
	for (unsigned i = 0; i < r->nexp && i < r->nobs; i++) {
		event_diff(&r->exp[i], &r->obs[i], why, sizeof why);
		if (why[0]) {
			tg_cf_fmt_exp(ex, sizeof ex, cat, sc, &r->exp[i]);
			tg_cf_fmt_obs(ob, sizeof ob, cat, sc, &r->obs[i]);
			r->diff_event = (int)i;
			set_detail(r, TG_CF_DIFF, "event %u differs (%s): expected %s; observed %s",
				   i, why, ex, ob);
			return false;
		}
	}
	if (r->nobs > r->nexp) {
		tg_cf_fmt_obs(ob, sizeof ob, cat, sc, &r->obs[r->nexp]);
		r->diff_event = (int)r->nexp;
		set_detail(r, TG_CF_DIFF, "expected %u events, observed %u; first extra: %s",
			   r->nexp, r->nobs, ob);
		return false;
	}
	if (r->nobs < r->nexp) {
		tg_cf_fmt_exp(ex, sizeof ex, cat, sc, &r->exp[r->nobs]);
		r->diff_event = (int)r->nobs;
		set_detail(r, TG_CF_DIFF, "expected %u events, observed %u; first missing: %s",
			   r->nexp, r->nobs, ex);
		return false;
	}
	return true;
}

static const char *end_name(uint64_t end)
{
	switch (end) {
	case CF_END_DONE: return "DONE";
	case CF_END_FAULT: return "a fault with no resume address";
	case CF_END_DF: return "#DF";
	case CF_END_LOGFULL: return "a full log (runaway)";
	}
	return "nothing (still running)";
}

/* Ends a run that a host action left unfinished: host debugging off (so
 * no further KVM_EXIT_DEBUG), then on to the end as a guest-only run. */
static void finish_run(struct cf_runner *r, struct tg_outcome *o)
{
	if (o->end != TG_END_NONE)
		return;
	struct kvm_guest_debug off = { .control = 0 };
	tg_vcpu_set_guest_debug(r->m->vcpu, &off);
	tg_cf_run_until(r, false, o);
}

enum tg_cf_status tg_cf_run(const struct tg_cf_catalogue *cat, const struct tg_cf_config *cfg,
			    unsigned index, int cpl, struct tg_cf_result *res)
{
	memset(res, 0, sizeof *res);
	res->cat = cat;
	res->cpl = cpl;
	res->diff_event = -1;
	res->host_action = -1;
	if (index >= cat->count) {
		set_detail(res, TG_CF_HARNESS, "no scenario %u", index);
		return res->status;
	}
	const struct tg_cf_scenario *sc = &cat->sc[index];
	res->sc = sc;
	bool host = sc->d.flags & CF_F_HOST;
	bool model = cfg->backend == TG_BACKEND_MODEL;
	if (host && cfg->no_host) {
		set_detail(res, TG_CF_SKIP, "needs host actions");
		return res->status;
	}
	double t0 = tg_cf_now();

	char *logbuf = 0;
	size_t loglen = 0;
	FILE *logf = open_memstream(&logbuf, &loglen);
	uint64_t budget = cfg->max_insns ? cfg->max_insns : TG_CF_DEFAULT_BUDGET;
	struct tg_machine_config mc = {
		.backend = cfg->backend,
		.ram_size = TG_CF_RAM,
		.max_insns = model ? budget : 0,
		.console = console_tx,
		.console_opaque = res,
		.log = logf ? logf : stderr,
	};
	struct tg_machine m;
	char msg[256];
	if (tg_machine_create(&m, &mc, msg, sizeof msg) < 0) {
		/* the backend was usable a moment ago (the caller checked):
		 * on kvm that is the hypervisor refusing, on the model ours */
		set_detail(res, model ? TG_CF_HARNESS : TG_CF_ERROR, "cannot create the %s machine: %s",
			   model ? "model" : "kvm", msg);
		goto out_log;
	}
	/* QEMU passes "FILE ARGS"; the runtime ignores words without '=' */
	char cmdline[256];
	snprintf(cmdline, sizeof cmdline, "conform.elf scenario=%s cpl=%d%s", sc->name, cpl,
		 host ? " host" : "");
	struct tg_mb_result mb;
	if (tg_machine_load_multiboot(&m, cat->image, cat->size, cmdline, &mb) < 0) {
		set_detail(res, TG_CF_HARNESS, "cannot load %s: %s", cat->path, mb.msg);
		goto out_machine;
	}
	if (cfg->after_load)
		cfg->after_load(cfg->opaque, m.vm, sc);

	struct tg_outcome o;
	memset(&o, 0, sizeof o);
	struct cf_runner runner = {
		.m = &m, .model = model, .max_insns = budget,
		.timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : TG_CF_DEFAULT_TIMEOUT_MS,
		.t0 = t0,
	};
	struct alarm_save alarm;
	if (!model)
		alarm_start(&alarm);
	int hr = 0;
	if (host) {
		hr = tg_cf_host_actions(&runner, sc, res, &o);
		if (hr != 2)
			finish_run(&runner, &o);
	} else if (model) {
		tg_machine_run(&m, &o);
	} else {
		tg_cf_run_until(&runner, false, &o);
	}
	if (!model)
		alarm_stop(&alarm);
	if (hr == 2)
		goto out_machine; /* skipped: res filled */
	if (host || !model) {
		tg_machine_finish(&m, &o);
		if (o.end == TG_END_BUDGET && !model)
			snprintf(o.msg, sizeof o.msg, "time limit of %u ms reached, RIP 0x%llx",
				 runner.timeout_ms, (unsigned long long)o.rip);
	}
	res->end = o.end;
	res->insns = o.insns;
	snprintf(res->outcome, sizeof res->outcome, "%s", o.msg);

	/* Everything below comes from guest memory. */
	struct reader r = { 0, m.vm };
	struct cf_info info;
	struct cf_state st;
	struct tg_cf_scenario *live = malloc(sizeof *live);
	if (!live) {
		set_detail(res, TG_CF_HARNESS, "out of memory");
		goto out_machine;
	}
	if (read_info(&r, &info) < 0 || rd(&r, info.state, &st, sizeof st) < 0 ||
	    st.magic != CF_STATE_MAGIC) {
		/* a run that ended by itself must have left the state */
		set_detail(res, o.end == TG_END_EXIT_PORT ? TG_CF_HARNESS
			   : o.end == TG_END_BUDGET ? TG_CF_TIMEOUT : TG_CF_ERROR,
			   "no conformance state in guest memory (run ended: %s)", o.msg);
		goto out_live;
	}
	if (info.count != cat->count || read_scenario(&r, info.table, index, live) < 0) {
		set_detail(res, TG_CF_HARNESS, "scenario table in guest memory unreadable");
		goto out_live;
	}
	res->nexp = live->nexp;
	memcpy(res->exp, live->exp, sizeof res->exp);
	res->nobs = st.nlog > CF_LOG_MAX ? CF_LOG_MAX : (unsigned)st.nlog;
	memcpy(res->obs, st.log, res->nobs * sizeof res->obs[0]);
	res->guest_phase = st.phase;
	res->guest_verdict = st.verdict;
	res->guest_end = st.end;
	res->guest_vendor = st.vendor;
	bool ran_this = st.index == index && st.cpl == (uint64_t)cpl;
	res->guest_judged = o.end == TG_END_EXIT_PORT && st.phase == CF_PH_FINISHED &&
			    ran_this && st.verdict != CF_V_NONE;
	if (hr == 1)
		goto out_live; /* the host-visible difference is the result */

	bool shutdown_expected = sc->d.flags & CF_F_SHUTDOWN;
	switch (o.end) {
	case TG_END_EXIT_PORT:
		if (!res->guest_judged) {
			/* the runtime's own complaint, if it printed one: on a
			 * correct CPU the runtime never faults, so this is the
			 * hypervisor breaking the guest */
			const char *bail = strstr(res->console, "Bail out!");
			int blen = 0;
			while (bail && bail[blen] && bail[blen] != '\n' && blen < 200)
				blen++;
			set_detail(res, bail ? TG_CF_ERROR : TG_CF_HARNESS,
				   "the kernel exited (value 0x%x) without judging %s at CPL%d%s%.*s",
				   o.exit_value, sc->name, cpl, bail ? ": " : "", blen, bail ? bail : "");
			goto out_live;
		}
		if (st.verdict == CF_V_SKIP) {
			set_detail(res, TG_CF_SKIP, "%s",
				   sc->d.flags & CF_F_INTEL_ONLY ? "Intel-only expectation; the CPU is not Intel"
				   : sc->d.flags & CF_F_AMD_ONLY ? "AMD-only expectation; the CPU is not AMD"
				   : "skipped by the kernel");
			goto out_live;
		}
		if (shutdown_expected) {
			set_detail(res, TG_CF_DIFF, "expected a shutdown (triple fault); the code came "
				   "back (ended by %s)", end_name(st.end));
			break;
		}
		if (st.end == CF_END_LOGFULL) {
			set_detail(res, TG_CF_DIFF, "runaway: more than %d events", CF_LOG_MAX);
			break;
		}
		if (compare(res))
			set_detail(res, TG_CF_MATCH, "%u events%s", res->nobs,
				   host ? ", host results as expected" : "");
		break;
	case TG_END_SHUTDOWN:
		if (!shutdown_expected) {
			set_detail(res, TG_CF_DIFF, "unexpected shutdown (triple fault) after %u events",
				   res->nobs);
			break;
		}
		if (compare(res))
			set_detail(res, TG_CF_MATCH, "%u events, then shutdown as expected", res->nobs);
		break;
	case TG_END_BUDGET:
		set_detail(res, TG_CF_TIMEOUT, "%s; %u events logged, scenario %s", o.msg, res->nobs,
			   st.phase == CF_PH_RUN && ran_this ? "still running" : "not running");
		break;
	case TG_END_HALT:
		set_detail(res, TG_CF_DIFF, "%s; %u events logged", o.msg, res->nobs);
		break;
	default:
		set_detail(res, TG_CF_ERROR, "%s", o.msg);
		break;
	}
	/* Both sides judged the same run: they must agree. */
	if (res->guest_judged && (res->status == TG_CF_MATCH || res->status == TG_CF_DIFF)) {
		bool guest_pass = st.verdict == CF_V_PASS;
		if (guest_pass != (res->status == TG_CF_MATCH)) {
			char prev[sizeof res->detail];
			snprintf(prev, sizeof prev, "%s", res->detail);
			set_detail(res, TG_CF_HARNESS, "host says %s, guest says %s: %s",
				   res->status == TG_CF_MATCH ? "match" : "DIFF",
				   guest_pass ? "pass" : "fail", prev);
		}
	}
out_live:
	free(live);
out_machine:
	tg_machine_destroy(&m);
out_log:
	if (logf)
		fclose(logf);
	free(logbuf);
	res->seconds = tg_cf_now() - t0;
	return res->status;
}

/* ---- output ---- */

void tg_cf_print(FILE *f, const struct tg_cf_result *r, bool verbose)
{
	char name[128];
	snprintf(name, sizeof name, "%s%s", r->sc ? r->sc->name : "?", r->cpl == 3 ? "@cpl3" : "");
	fprintf(f, "%-8s %-44s %s%s\n", tg_cf_status_name(r->status), name, r->detail,
		r->sc && r->sc->unverified[0] && r->status == TG_CF_MATCH ? " [UNVERIFIED]" : "");
	if (!verbose || !r->sc)
		return;
	char b[400];
	fprintf(f, "         source: %s\n", r->sc->source);
	if (r->sc->unverified[0])
		fprintf(f, "         UNVERIFIED: %s\n", r->sc->unverified);
	for (unsigned i = 0; i < r->nexp; i++) {
		tg_cf_fmt_exp(b, sizeof b, r->cat, r->sc, &r->exp[i]);
		fprintf(f, "         expected %u: %s\n", i, b);
	}
	for (unsigned i = 0; i < r->nobs; i++) {
		tg_cf_fmt_obs(b, sizeof b, r->cat, r->sc, &r->obs[i]);
		fprintf(f, "         observed %u: %s\n", i, b);
	}
	if (r->status != TG_CF_MATCH && r->outcome[0])
		fprintf(f, "         run: %s\n", r->outcome);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f) /* guest output need not be UTF-8 */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void tg_cf_json(FILE *f, const struct tg_cf_result *r, const char *backend)
{
	fprintf(f, "{\"scenario\": ");
	json_str(f, r->sc ? r->sc->name : "");
	fprintf(f, ", \"cpl\": %d, \"backend\": ", r->cpl);
	json_str(f, backend);
	fprintf(f, ", \"status\": ");
	json_str(f, tg_cf_status_name(r->status));
	fprintf(f, ", \"detail\": ");
	json_str(f, r->detail);
	fprintf(f, ", \"first_difference\": %d, \"host_action\": %d, \"seconds\": %.3f",
		r->diff_event, r->host_action, r->seconds);
	fprintf(f, ", \"outcome\": ");
	json_str(f, r->outcome);
	if (r->sc) {
		fprintf(f, ", \"source\": ");
		json_str(f, r->sc->source);
		fprintf(f, ", \"description\": ");
		json_str(f, r->sc->descr);
		fprintf(f, ", \"unverified\": ");
		if (r->sc->unverified[0])
			json_str(f, r->sc->unverified);
		else
			fputs("null", f);
		fprintf(f, ", \"host_side\": %s", r->sc->d.flags & CF_F_HOST ? "true" : "false");
	}
	fprintf(f, ", \"expected\": [");
	for (unsigned i = 0; i < r->nexp; i++) {
		const struct cf_exp *x = &r->exp[i];
		fprintf(f, "%s{\"vector\": %llu", i ? ", " : "", (unsigned long long)x->vector);
		if (!(x->flags & CF_E_RIP_ANY))
			fprintf(f, ", \"rip\": \"0x%llx\"", (unsigned long long)x->rip);
		if (x->flags & CF_E_DR6)
			fprintf(f, ", \"dr6\": \"0x%llx\"", (unsigned long long)x->dr6);
		if (x->flags & CF_E_ERR)
			fprintf(f, ", \"error_code\": \"0x%llx\"", (unsigned long long)x->err);
		if (x->flags & CF_E_FLAGS)
			fprintf(f, ", \"rflags_mask\": \"0x%llx\", \"rflags_value\": \"0x%llx\"",
				(unsigned long long)x->flmask, (unsigned long long)x->flval);
		if (x->flags & CF_E_AUX)
			fprintf(f, ", \"%s_mask\": \"0x%llx\", \"%s_value\": \"0x%llx\"",
				x->vector == 1 ? "dr7" : "cr2", (unsigned long long)x->auxmask,
				x->vector == 1 ? "dr7" : "cr2", (unsigned long long)x->auxval);
		fputc('}', f);
	}
	fprintf(f, "], \"observed\": [");
	for (unsigned i = 0; i < r->nobs; i++) {
		const struct cf_log *o = &r->obs[i];
		fprintf(f, "%s{\"vector\": %llu, \"rip\": \"0x%llx\", \"dr6\": \"0x%llx\", "
			"\"rflags\": \"0x%llx\", \"error_code\": \"0x%llx\", \"cs\": \"0x%llx\", "
			"\"aux\": \"0x%llx\"}", i ? ", " : "", (unsigned long long)o->vector,
			(unsigned long long)o->rip, (unsigned long long)o->dr6,
			(unsigned long long)o->rflags, (unsigned long long)o->err,
			(unsigned long long)o->cs, (unsigned long long)o->aux);
	}
	fprintf(f, "]}");
}
