/* The catalogue under QEMU: the conformance kernel boots with QEMU's
 * multiboot loader (-kernel), judges every scenario itself and prints TAP
 * on COM1 (guests/conform/rt/runtime.c); this file starts QEMU, reads the
 * TAP lines and the diagnostics the kernel prints after a failing one, and
 * turns them into the same tg_cf_result as a run on the model or /dev/kvm.
 *
 * One boot runs every selected variant. A variant that hangs (no TAP line
 * within the time limit), kills QEMU (KVM internal error, a triple fault)
 * or breaks the runtime (a "Bail out!") is reported as such, and a new boot
 * resumes with the next variant (the kernel's `start=N`). Scenarios that
 * end in a shutdown run alone, one boot each (`scenario=NAME`). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

#define QEMU_DEFAULT "qemu-system-x86_64"

static const char *qemu_bin(const struct tg_cf_qemu_config *qc)
{
	return qc->binary && qc->binary[0] ? qc->binary : QEMU_DEFAULT;
}

void tg_cf_qemu_version(const char *binary, char *buf, size_t len)
{
	buf[0] = 0;
	int p[2];
	if (pipe(p) < 0)
		return;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(null, 2);
		close(p[0]);
		execlp(binary && binary[0] ? binary : QEMU_DEFAULT,
		       binary && binary[0] ? binary : QEMU_DEFAULT, "--version", (char *)0);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t k;
	while (n + 1 < len && (k = read(p[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = 0;
	close(p[0]);
	waitpid(pid, 0, 0);
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
}

/* ---- one QEMU process ---- */

struct qproc {
	pid_t pid;
	int out, err;          /* serial (stdout), QEMU's own messages (stderr) */
	char obuf[8192], ebuf[8192];
	size_t olen, elen;
	char errtext[2048];    /* stderr, kept for reports */
	size_t errlen;
	bool exited;
	int status;
};

static int qemu_start(struct qproc *q, const struct tg_cf_qemu_config *qc, const char *kernel,
		      const char *append)
{
	memset(q, 0, sizeof *q);
	q->pid = -1;
	int po[2], pe[2];
	if (pipe(po) < 0)
		return -1;
	if (pipe(pe) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	const char *bin = qemu_bin(qc);
	const char *argv[] = {
		bin, "-accel", qc->kvm ? "kvm" : "tcg",
		"-kernel", kernel, "-append", append,
		"-nographic", "-nodefaults", "-no-reboot", "-display", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-m", "128", "-serial", "stdio", "-monitor", "none", 0,
	};
	pid_t pid = fork();
	if (pid < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execvp(bin, (char *const *)argv);
		dprintf(2, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	q->pid = pid;
	q->out = po[0];
	q->err = pe[0];
	fcntl(q->out, F_SETFL, O_NONBLOCK);
	fcntl(q->err, F_SETFL, O_NONBLOCK);
	return 0;
}

static void qemu_kill(struct qproc *q)
{
	if (q->pid > 0 && !q->exited) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, &q->status, 0);
		q->exited = true;
	}
	if (q->out >= 0)
		close(q->out);
	if (q->err >= 0)
		close(q->err);
	q->out = q->err = -1;
}

/* Waits up to `ms` for output. Returns a complete serial line in `line`
 * (1), 2 when QEMU wrote to stderr (appended to q->errtext), 0 on
 * timeout, or -1 when QEMU has exited and everything was read. */
static int qemu_line(struct qproc *q, unsigned ms, char *line, size_t len)
{
	double end = tg_cf_now() + ms / 1000.0;
	for (;;) {
		char *nl = memchr(q->obuf, '\n', q->olen);
		if (nl) {
			size_t n = (size_t)(nl - q->obuf);
			size_t c = n < len - 1 ? n : len - 1;
			memcpy(line, q->obuf, c);
			line[c] = 0;
			if (c && line[c - 1] == '\r')
				line[c - 1] = 0;
			memmove(q->obuf, nl + 1, q->olen - n - 1);
			q->olen -= n + 1;
			return 1;
		}
		if (q->olen == sizeof q->obuf) /* an overlong line: cut it */
			q->obuf[q->olen - 1] = '\n';
		if (q->out < 0 && q->err < 0) {
			if (q->olen) { /* last line without a newline */
				if (q->olen < sizeof q->obuf)
					q->obuf[q->olen++] = '\n';
				else
					q->obuf[q->olen - 1] = '\n';
				continue;
			}
			return -1;
		}
		double left = end - tg_cf_now();
		if (left <= 0)
			return 0;
		struct pollfd pf[2] = { { q->out, POLLIN, 0 }, { q->err, POLLIN, 0 } };
		int r = poll(pf, 2, (int)(left * 1000.0) + 1);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (q->out >= 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t k = read(q->out, q->obuf + q->olen, sizeof q->obuf - q->olen);
			if (k > 0) {
				q->olen += (size_t)k;
			} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(q->out);
				q->out = -1;
			}
		}
		if (q->err >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char b[1024];
			ssize_t k = read(q->err, b, sizeof b);
			if (k > 0) {
				size_t c = (size_t)k;
				if (q->errlen + c >= sizeof q->errtext)
					c = sizeof q->errtext - 1 - q->errlen;
				memcpy(q->errtext + q->errlen, b, c);
				q->errlen += c;
				q->errtext[q->errlen] = 0;
				return 2;
			} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(q->err);
				q->err = -1;
			}
		}
		if (q->out < 0 && q->err < 0 && !q->exited) {
			waitpid(q->pid, &q->status, 0);
			q->exited = true;
		}
	}
}

/* ---- reading the kernel's TAP ---- */

static uint64_t hexval(const char *s, const char *key, bool *found)
{
	const char *p = strstr(s, key);
	*found = p != 0;
	return p ? strtoull(p + strlen(key), 0, 16) : 0;
}

/* "#   observed 0: #DB(0x1) rip=0x104381 dr6=0xffff0ff0 dr7=0x400 err=0x0
 * rflags=0x2" (runtime.c put_obs) */
static void parse_obs(const char *s, struct cf_log *o)
{
	memset(o, 0, sizeof *o);
	const char *v = strstr(s, "(0x");
	bool f;
	if (v)
		o->vector = strtoull(v + 1, 0, 16);
	o->rip = hexval(s, " rip=", &f);
	o->dr6 = hexval(s, " dr6=", &f);
	o->err = hexval(s, " err=", &f);
	o->rflags = hexval(s, " rflags=", &f);
	if (o->vector == 1)
		o->aux = hexval(s, " dr7=", &f);
	else
		o->aux = hexval(s, " cr2=", &f);
}

static void console_add(struct tg_cf_result *r, const char *line)
{
	size_t n = strlen(line);
	if (r->nconsole + n + 2 >= sizeof r->console)
		return;
	memcpy(r->console + r->nconsole, line, n);
	r->nconsole += n;
	r->console[r->nconsole++] = '\n';
	r->console[r->nconsole] = 0;
}

static void result_init(struct tg_cf_result *r, const struct tg_cf_catalogue *cat,
			const struct tg_cf_variant *v)
{
	memset(r, 0, sizeof *r);
	r->cat = cat;
	r->sc = &cat->sc[v->index];
	r->cpl = v->cpl;
	r->diff_event = -1;
	r->host_action = -1;
	r->status = TG_CF_NSTATUS; /* not run yet */
	r->nexp = r->sc->nexp;
	memcpy(r->exp, r->sc->exp, sizeof r->exp);
}

/* A TAP result line for variant `r`: "ok N name[@cpl3][ # ...]" or "not ok
 * N name # tail". */
static void tap_result(struct tg_cf_result *r, bool ok, const char *tail)
{
	const char *hash = strstr(tail, " # ");
	const char *why = hash ? hash + 3 : "";
	if (ok && !strncmp(why, "SKIP ", 5)) {
		r->status = TG_CF_SKIP;
		if (!strcmp(why + 5, "needs host actions"))
			snprintf(r->detail, sizeof r->detail,
				 "needs host actions (QEMU runs the kernel standalone)");
		else
			snprintf(r->detail, sizeof r->detail, "%s", why + 5);
		return;
	}
	r->guest_judged = true;
	if (ok) {
		r->status = TG_CF_MATCH;
		r->guest_verdict = CF_V_PASS;
		snprintf(r->detail, sizeof r->detail, "%u events (judged by the kernel)", r->nexp);
		return;
	}
	r->status = TG_CF_DIFF;
	r->guest_verdict = CF_V_FAIL;
	snprintf(r->detail, sizeof r->detail, "%s", why);
	unsigned ev, ne, no;
	if (sscanf(why, "event %u:", &ev) == 1)
		r->diff_event = (int)ev;
	else if (sscanf(why, "expected %u events, got %u", &ne, &no) == 2)
		r->diff_event = (int)(ne < no ? ne : no);
}

/* A diagnostics line ("#   ...") after a failing variant. */
static void tap_diag(struct tg_cf_result *r, const char *line)
{
	unsigned i;
	const char *p = strstr(line, "observed ");
	if (p && sscanf(p, "observed %u:", &i) == 1 && i < CF_LOG_MAX) {
		const char *colon = strchr(p, ':');
		parse_obs(colon ? colon + 1 : p, &r->obs[i]);
		if (i + 1 > r->nobs)
			r->nobs = i + 1;
	}
}

static bool line_has(const char *s, size_t n, const char *what)
{
	size_t w = strlen(what);
	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(s + i, what, w))
			return true;
	return false;
}

/* QEMU's message for people: its first line that is not a warning (else
 * the first line). */
static const char *stderr_summary(const struct qproc *q, char *buf, size_t len)
{
	const char *s = q->errtext, *pick = 0, *first = 0;
	size_t pick_n = 0, first_n = 0;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n && !first) {
			first = s;
			first_n = n;
		}
		if (n && !line_has(s, n, "warning:")) {
			pick = s;
			pick_n = n;
			break;
		}
		if (!e)
			break;
		s = e + 1;
	}
	if (!pick) {
		pick = first;
		pick_n = first_n;
	}
	if (!pick)
		snprintf(buf, len, "(no message)");
	else
		snprintf(buf, len, "%.*s", (int)(pick_n > 300 ? 300 : pick_n), pick);
	return buf;
}

/* "KVM internal error. Suberror: 1" plus RIP and code bytes from QEMU's
 * register dump. */
static void internal_error_text(const struct qproc *q, char *buf, size_t len)
{
	const char *ie = strstr(q->errtext, "KVM internal error");
	const char *rip = strstr(q->errtext, "RIP=");
	const char *code = strstr(q->errtext, "Code=");
	int n = 0;
	if (ie) {
		const char *e = strchr(ie, '\n');
		n = e ? (int)(e - ie) : (int)strlen(ie);
	}
	char ripbuf[40] = "", codebuf[64] = "";
	if (rip)
		snprintf(ripbuf, sizeof ripbuf, " at RIP 0x%llx",
			 (unsigned long long)strtoull(rip + 4, 0, 16));
	if (code) {
		const char *lt = strchr(code, '<');
		if (lt) {
			const char *e = strchr(lt, '\n');
			int m = e ? (int)(e - lt) : (int)strlen(lt);
			snprintf(codebuf, sizeof codebuf, ", code %.*s", m > 30 ? 30 : m, lt);
		}
	}
	snprintf(buf, len, "QEMU: %.*s%s%s%s", n, ie ? ie : "", strstr(q->errtext, "emulation failure")
		 ? " (emulation failure)" : "", ripbuf, codebuf);
}

struct qrun {
	const struct tg_cf_catalogue *cat;
	const struct tg_cf_qemu_config *qc;
	const struct tg_cf_variant *vars;
	unsigned n;
	struct tg_cf_result *res;
	unsigned timeout_ms, boot_ms;
};

static int find_variant(const struct qrun *qr, const char *name)
{
	for (unsigned i = 0; i < qr->n; i++) {
		char v[128];
		snprintf(v, sizeof v, "%s%s", qr->cat->sc[qr->vars[i].index].name,
			 qr->vars[i].cpl == 3 ? "@cpl3" : "");
		if (!strcmp(v, name))
			return (int)i;
	}
	return -1;
}

/* One boot with `append`; results go to the variants named in the TAP
 * lines. `first` is the number of the first variant this boot runs (its
 * TAP numbering), `culprit` receives the index of the variant running when
 * the boot ended abnormally (-1: it finished). Returns 0 after a boot that
 * printed its plan, -1 when QEMU never got that far (reason in why). */
static int boot(struct qrun *qr, const char *append, const unsigned *order, unsigned norder,
		unsigned first, int *culprit, char *why, size_t whylen)
{
	struct qproc q;
	*culprit = -1;
	if (qemu_start(&q, qr->qc, qr->cat->path, append) < 0) {
		snprintf(why, whylen, "cannot start %s: %s", qemu_bin(qr->qc), strerror(errno));
		return -1;
	}
	char line[1024];
	bool planned = false, finished = false;
	unsigned next = first;     /* TAP number expected next */
	int last = -1;             /* variant of the last result line */
	double t_var = tg_cf_now();
	enum { RUNNING, HUNG, DIED, BAILED, INTERNAL } how = RUNNING;
	char bail[300] = "";
	for (;;) {
		unsigned wait = planned ? qr->timeout_ms : qr->boot_ms;
		double left = wait / 1000.0 - (tg_cf_now() - t_var);
		int r = left > 0 ? qemu_line(&q, (unsigned)(left * 1000.0) + 1, line, sizeof line) : 0;
		if (strstr(q.errtext, "KVM internal error")) {
			/* QEMU stops the VM and prints a register dump: collect
			 * it, then end the boot */
			while (qemu_line(&q, 200, line, sizeof line) > 0)
				;
			how = INTERNAL;
			break;
		}
		if (r < 0) {
			how = finished ? RUNNING : DIED;
			break;
		}
		if (r == 0) {
			how = HUNG;
			break;
		}
		if (r == 2)
			continue; /* stderr: looked at above */
		if (!planned) {
			if (!strncmp(line, "1..", 3))
				planned = true;
			t_var = tg_cf_now();
			continue;
		}
		bool ok = !strncmp(line, "ok ", 3), notok = !strncmp(line, "not ok ", 7);
		if (ok || notok) {
			unsigned num = 0;
			char name[128] = "";
			sscanf(line + (ok ? 3 : 7), "%u %127s", &num, name);
			int v = find_variant(qr, name);
			if (v < 0 || num != next) {
				snprintf(why, whylen, "unexpected TAP line '%.200s' (expected number %u)",
					 line, next);
				qemu_kill(&q);
				return -2;
			}
			struct tg_cf_result *res = &qr->res[v];
			const char *tail = line + (ok ? 3 : 7);
			tap_result(res, ok, tail);
			console_add(res, line);
			res->seconds = tg_cf_now() - t_var;
			res->end = TG_END_EXIT_PORT;
			last = v;
			next++;
			t_var = tg_cf_now();
			continue;
		}
		if (!strncmp(line, "Bail out!", 9)) {
			snprintf(bail, sizeof bail, "%.290s", line);
			how = BAILED;
			/* QEMU exits through the exit port */
			continue;
		}
		if (!strncmp(line, "# passed ", 9)) {
			finished = true;
			continue;
		}
		if (line[0] == '#' && last >= 0) {
			console_add(&qr->res[last], line);
			tap_diag(&qr->res[last], line);
		}
	}
	if (how == DIED && bail[0])
		how = BAILED;
	if (how != RUNNING && next - first < norder)
		*culprit = (int)order[next - first];
	if (!planned && how != INTERNAL) {
		char sum[400];
		qemu_kill(&q);
		snprintf(why, whylen, "QEMU (%s) did not boot the kernel: %s%s",
			 qr->qc->kvm ? "-accel kvm" : "-accel tcg", stderr_summary(&q, sum, sizeof sum),
			 how == HUNG ? " (no output before the time limit)" : "");
		return -1;
	}
	if (*culprit >= 0) {
		struct tg_cf_result *res = &qr->res[*culprit];
		res->seconds = tg_cf_now() - t_var;
		char text[600];
		switch (how) {
		case HUNG:
			res->status = TG_CF_TIMEOUT;
			res->end = TG_END_BUDGET;
			snprintf(res->detail, sizeof res->detail,
				 "no TAP line within %u ms: the guest hung (QEMU killed)", qr->timeout_ms);
			break;
		case INTERNAL:
			internal_error_text(&q, text, sizeof text);
			res->status = TG_CF_ERROR;
			res->end = TG_END_INTERNAL;
			snprintf(res->detail, sizeof res->detail, "%.700s", text);
			break;
		case BAILED:
			res->status = TG_CF_ERROR;
			res->end = TG_END_EXIT_PORT;
			snprintf(res->detail, sizeof res->detail,
				 "the kernel exited without judging the scenario: %.600s", bail);
			break;
		case DIED:
		default:
			qemu_kill(&q);
			if (WIFEXITED(q.status) && WEXITSTATUS(q.status) == 0) {
				/* -no-reboot: a triple fault ends QEMU with status 0 */
				res->end = TG_END_SHUTDOWN;
				res->status = (res->sc->d.flags & CF_F_SHUTDOWN) ? TG_CF_MATCH : TG_CF_DIFF;
				snprintf(res->detail, sizeof res->detail, "%s",
					 res->status == TG_CF_MATCH
					 ? "shutdown as expected (QEMU exited; the events before it are not visible)"
					 : "unexpected shutdown (triple fault): QEMU exited");
			} else {
				char sum[400];
				res->status = TG_CF_ERROR;
				res->end = TG_END_INTERNAL;
				snprintf(res->detail, sizeof res->detail, "QEMU ended (%s %d): %s",
					 WIFEXITED(q.status) ? "status" : "signal",
					 WIFEXITED(q.status) ? WEXITSTATUS(q.status) : WTERMSIG(q.status),
					 stderr_summary(&q, sum, sizeof sum));
			}
			break;
		}
		snprintf(res->outcome, sizeof res->outcome, "%.500s", res->detail);
	}
	qemu_kill(&q);
	return 0;
}

int tg_cf_qemu_run(const struct tg_cf_catalogue *cat, const struct tg_cf_qemu_config *qc,
		   const struct tg_cf_variant *vars, unsigned n, struct tg_cf_result *res,
		   char *why, size_t whylen)
{
	struct qrun qr = {
		.cat = cat, .qc = qc, .vars = vars, .n = n, .res = res,
		.timeout_ms = qc->timeout_ms ? qc->timeout_ms : TG_CF_QEMU_TIMEOUT_MS,
		.boot_ms = qc->boot_ms ? qc->boot_ms : TG_CF_QEMU_BOOT_MS,
	};
	for (unsigned i = 0; i < n; i++)
		result_init(&res[i], cat, &vars[i]);
	/* The boots select by name (scenario=...) and CPL, so a catalogue
	 * the caller filtered still numbers as the kernel does: a batch is
	 * one CPL's variants, in catalogue order. */
	unsigned *order = malloc((n ? n : 1) * sizeof *order);
	char *append = malloc(65536);
	if (!order || !append) {
		free(order);
		free(append);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	bool any_boot = false;
	for (int cpl = 0; cpl <= 3; cpl += 3) {
		/* the batch: this CPL's variants; shutdown scenarios alone */
		unsigned norder = 0;
		for (unsigned i = 0; i < n; i++)
			if (vars[i].cpl == cpl && !(cat->sc[vars[i].index].d.flags & CF_F_SHUTDOWN))
				order[norder++] = i;
		unsigned start = 0; /* index in order[] of the next to run */
		while (start < norder) {
			int len = snprintf(append, 65536, "conform.elf cpl=%d scenario=", cpl);
			for (unsigned k = start; k < norder && len < 65000; k++)
				len += snprintf(append + len, (size_t)(65536 - len), "%s%s", k > start ? "," : "",
						cat->sc[vars[order[k]].index].name);
			int culprit;
			int r = boot(&qr, append, order + start, norder - start, 1, &culprit, why, whylen);
			if (r == -1 && !any_boot) {
				free(order);
				free(append);
				return -1; /* QEMU cannot run the kernel at all */
			}
			if (r < 0) {
				/* later boots failing: the variant gets the reason */
				struct tg_cf_result *x = &res[order[start]];
				x->status = r == -2 ? TG_CF_HARNESS : TG_CF_ERROR;
				snprintf(x->detail, sizeof x->detail, "%.700s", why);
				start++;
				continue;
			}
			any_boot = true;
			/* resume after the last variant with a result */
			unsigned k = start;
			while (k < norder && res[order[k]].status != TG_CF_NSTATUS)
				k++;
			if (culprit < 0 && k < norder) {
				/* finished without all lines: harness trouble */
				struct tg_cf_result *x = &res[order[k]];
				x->status = TG_CF_HARNESS;
				snprintf(x->detail, sizeof x->detail,
					 "the kernel under QEMU finished without reporting this variant");
				k++;
			}
			start = k;
		}
		/* shutdown scenarios, one boot each */
		for (unsigned i = 0; i < n; i++) {
			if (vars[i].cpl != cpl || !(cat->sc[vars[i].index].d.flags & CF_F_SHUTDOWN))
				continue;
			snprintf(append, 65536, "conform.elf cpl=%d scenario=%s", cpl,
				 cat->sc[vars[i].index].name);
			unsigned one = i;
			int culprit;
			int r = boot(&qr, append, &one, 1, 1, &culprit, why, whylen);
			if (r == -1 && !any_boot) {
				free(order);
				free(append);
				return -1;
			}
			if (r < 0) {
				res[i].status = r == -2 ? TG_CF_HARNESS : TG_CF_ERROR;
				snprintf(res[i].detail, sizeof res[i].detail, "%.700s", why);
			} else if (res[i].status == TG_CF_NSTATUS) {
				res[i].status = TG_CF_HARNESS;
				snprintf(res[i].detail, sizeof res[i].detail,
					 "no result from the kernel under QEMU");
			}
			any_boot = true;
		}
	}
	free(order);
	free(append);
	return 0;
}
