/* Host-side scenarios: the host actions of a CF_F_HOST scenario
 * (guests/conform/abi.h CF_H_*), performed through the vm API between
 * runs, each compared with its expected host-visible result (ioctl return
 * value, KVM_EXIT_DEBUG data, vCPU events, debug registers). The same
 * calls go to the model and to /dev/kvm; the expectations are KVM's ABI
 * as spec §6-§7 describes it, and bare metal for what the guest sees. */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* The scenario files spell KVM's values without <linux/kvm.h>. */
_Static_assert(CF_GDBG_ENABLE == KVM_GUESTDBG_ENABLE, "ENABLE");
_Static_assert(CF_GDBG_SINGLESTEP == KVM_GUESTDBG_SINGLESTEP, "SINGLESTEP");
_Static_assert(CF_GDBG_USE_SW_BP == KVM_GUESTDBG_USE_SW_BP, "SW_BP");
_Static_assert(CF_GDBG_USE_HW_BP == KVM_GUESTDBG_USE_HW_BP, "HW_BP");
_Static_assert(CF_GDBG_INJECT_DB == KVM_GUESTDBG_INJECT_DB, "INJECT_DB");
_Static_assert(CF_GDBG_INJECT_BP == KVM_GUESTDBG_INJECT_BP, "INJECT_BP");
_Static_assert(CF_GDBG_BLOCKIRQ == KVM_GUESTDBG_BLOCKIRQ, "BLOCKIRQ");
_Static_assert(CF_EVF_NMI_PENDING == KVM_VCPUEVENT_VALID_NMI_PENDING, "NMI_PENDING");
_Static_assert(CF_EVF_SIPI_VECTOR == KVM_VCPUEVENT_VALID_SIPI_VECTOR, "SIPI");
_Static_assert(CF_EVF_SHADOW == KVM_VCPUEVENT_VALID_SHADOW, "SHADOW");
_Static_assert(CF_EVF_SMM == KVM_VCPUEVENT_VALID_SMM, "SMM");
_Static_assert(CF_EVF_PAYLOAD == KVM_VCPUEVENT_VALID_PAYLOAD, "PAYLOAD");
_Static_assert(CF_EVF_TRIPLE_FAULT == KVM_VCPUEVENT_VALID_TRIPLE_FAULT, "TRIPLE_FAULT");
_Static_assert(CF_SHADOW_MOV_SS == KVM_X86_SHADOW_INT_MOV_SS, "MOV_SS");
_Static_assert(CF_SHADOW_STI == KVM_X86_SHADOW_INT_STI, "STI");
_Static_assert(CF_CAP_EXCEPTION_PAYLOAD == KVM_CAP_EXCEPTION_PAYLOAD, "cap payload");
_Static_assert(CF_CAP_X86_TRIPLE_FAULT_EVENT == KVM_CAP_X86_TRIPLE_FAULT_EVENT, "cap tf");
_Static_assert(CF_EXIT_DEBUG == KVM_EXIT_DEBUG, "exit debug");
_Static_assert(CF_EXIT_HLT == KVM_EXIT_HLT, "exit hlt");
_Static_assert(CF_EXIT_SHUTDOWN == KVM_EXIT_SHUTDOWN, "exit shutdown");
_Static_assert(CF_EXIT_FAIL_ENTRY == KVM_EXIT_FAIL_ENTRY, "exit fail entry");
_Static_assert(CF_EXIT_INTERNAL_ERROR == KVM_EXIT_INTERNAL_ERROR, "exit internal");
_Static_assert(CF_EBUSY == EBUSY && CF_EEXIST == EEXIST && CF_EINVAL == EINVAL, "errno");
/* ... and lay struct kvm_vcpu_events out as eight quads (scenario.inc). */
_Static_assert(sizeof(struct kvm_vcpu_events) == 64, "events size");
_Static_assert(offsetof(struct kvm_vcpu_events, interrupt) == 8, "interrupt");
_Static_assert(offsetof(struct kvm_vcpu_events, nmi) == 12, "nmi");
_Static_assert(offsetof(struct kvm_vcpu_events, sipi_vector) == 16, "sipi");
_Static_assert(offsetof(struct kvm_vcpu_events, flags) == 20, "flags");
_Static_assert(offsetof(struct kvm_vcpu_events, smi) == 24, "smi");
_Static_assert(offsetof(struct kvm_vcpu_events, triple_fault) == 28, "triple fault");
_Static_assert(offsetof(struct kvm_vcpu_events, exception_has_payload) == 55, "has payload");
_Static_assert(offsetof(struct kvm_vcpu_events, exception_payload) == 56, "payload");

const char *tg_cf_host_op_name(uint64_t op)
{
	static const char *const n[CF_H_MAX + 1] = {
		[CF_H_SYNC] = "SYNC",
		[CF_H_ENABLE_CAP] = "KVM_ENABLE_CAP",
		[CF_H_GUEST_DEBUG] = "KVM_SET_GUEST_DEBUG",
		[CF_H_SET_DREGS] = "KVM_SET_DEBUGREGS",
		[CF_H_EXPECT_DREGS] = "KVM_GET_DEBUGREGS",
		[CF_H_SET_EVENTS] = "KVM_SET_VCPU_EVENTS",
		[CF_H_EXPECT_EVENTS] = "KVM_GET_VCPU_EVENTS",
		[CF_H_EVENTS_ROUNDTRIP] = "vCPU events round trip",
		[CF_H_SNAPSHOT] = "snapshot",
		[CF_H_UNCHANGED] = "state unchanged",
		[CF_H_RUN_DEBUG] = "KVM_RUN to KVM_EXIT_DEBUG",
		[CF_H_RUN_EXIT] = "KVM_RUN",
		[CF_H_RFLAGS] = "KVM_SET_REGS (RFLAGS)",
		[CF_H_INTERRUPT] = "KVM_INTERRUPT",
		[CF_H_NMI] = "KVM_NMI",
		[CF_H_EXPECT_REGS] = "KVM_GET_REGS",
	};
	return op <= CF_H_MAX && n[op] ? n[op] : "?";
}

static const char *errname(int64_t r)
{
	static char buf[32];
	switch (r) {
	case 0: return "0";
	case -EBUSY: return "-EBUSY";
	case -EINVAL: return "-EINVAL";
	case -EEXIST: return "-EEXIST";
	case -EFAULT: return "-EFAULT";
	case -ENOTTY: return "-ENOTTY";
	case -ENXIO: return "-ENXIO";
	case -EINTR: return "-EINTR";
	}
	snprintf(buf, sizeof buf, "%lld", (long long)r);
	return buf;
}

static void fmt_action(char *buf, size_t len, const struct cf_host_action *a)
{
	const uint64_t *x = a->a;
	int n = snprintf(buf, len, "%s", tg_cf_host_op_name(a->op));
#define ADD(...) do { if (n >= 0 && (size_t)n < len) n += snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	switch (a->op) {
	case CF_H_SYNC: ADD(" to RIP 0x%llx", (unsigned long long)x[0]); break;
	case CF_H_ENABLE_CAP: ADD(" %llu = %llu", (unsigned long long)x[0], (unsigned long long)x[1]); break;
	case CF_H_GUEST_DEBUG:
		ADD(" control 0x%llx", (unsigned long long)x[0]);
		if (x[0] & KVM_GUESTDBG_USE_HW_BP)
			ADD(" dr0-3 0x%llx 0x%llx 0x%llx 0x%llx dr7 0x%llx", (unsigned long long)x[1],
			    (unsigned long long)x[2], (unsigned long long)x[3], (unsigned long long)x[4],
			    (unsigned long long)x[5]);
		break;
	case CF_H_SET_DREGS:
	case CF_H_EXPECT_DREGS:
		ADD(" db 0x%llx 0x%llx 0x%llx 0x%llx dr6 0x%llx dr7 0x%llx", (unsigned long long)x[0],
		    (unsigned long long)x[1], (unsigned long long)x[2], (unsigned long long)x[3],
		    (unsigned long long)x[4], (unsigned long long)x[5]);
		break;
	case CF_H_RUN_DEBUG:
		ADD(": exception %llu pc 0x%llx dr6 0x%llx", (unsigned long long)x[0],
		    (unsigned long long)x[1], (unsigned long long)x[2]);
		break;
	case CF_H_RUN_EXIT: ADD(": exit reason %llu", (unsigned long long)x[0]); break;
	case CF_H_RFLAGS: ADD(" |= 0x%llx &= ~0x%llx", (unsigned long long)x[0], (unsigned long long)x[1]); break;
	case CF_H_INTERRUPT: ADD(" irq 0x%llx", (unsigned long long)x[0]); break;
	}
	if (a->ret != (int64_t)CF_H_ANY)
		ADD(" -> %s", errname(a->ret));
#undef ADD
}

void tg_cf_fmt_host(char *buf, size_t len, const struct tg_cf_catalogue *cat,
		    const struct tg_cf_scenario *sc, unsigned i)
{
	(void)cat;
	if (i >= sc->nhost)
		snprintf(buf, len, "?");
	else
		fmt_action(buf, len, &sc->host[i]);
}

/* ---- comparing vCPU events as state ---- */

/* The first field in which two event records differ as state (abi.h
 * EXPECT_EVENTS), as "name: expected X, observed Y"; "" when equal. */
static void events_diff(const struct kvm_vcpu_events *x, const struct kvm_vcpu_events *o,
			char *why, size_t len)
{
	why[0] = 0;
#define F(name, a, b) do { if ((uint64_t)(a) != (uint64_t)(b)) { \
	snprintf(why, len, "%s: expected 0x%llx, observed 0x%llx", name, \
		 (unsigned long long)(a), (unsigned long long)(b)); return; } } while (0)
	/* exception.pending and the payload fields belong to the ABI only with
	 * KVM_CAP_EXCEPTION_PAYLOAD (flag VALID_PAYLOAD); without it the old
	 * layout has a pad byte there and KVM reports injected |= pending
	 * [spec 7.3] */
	bool payload_abi = x->flags & KVM_VCPUEVENT_VALID_PAYLOAD;
	F("flags", x->flags, o->flags);
	F("exception.injected", x->exception.injected, o->exception.injected);
	if (payload_abi)
		F("exception.pending", x->exception.pending, o->exception.pending);
	if (x->exception.injected || x->exception.pending) {
		F("exception.nr", x->exception.nr, o->exception.nr);
		F("exception.has_error_code", x->exception.has_error_code,
		  o->exception.has_error_code);
		if (x->exception.has_error_code)
			F("exception.error_code", x->exception.error_code, o->exception.error_code);
		if (payload_abi) {
			F("exception_has_payload", x->exception_has_payload,
			  o->exception_has_payload);
			if (x->exception_has_payload)
				F("exception_payload", x->exception_payload, o->exception_payload);
		}
	}
	F("interrupt.injected", x->interrupt.injected, o->interrupt.injected);
	if (x->interrupt.injected)
		F("interrupt.nr", x->interrupt.nr, o->interrupt.nr);
	F("interrupt.shadow", x->interrupt.shadow, o->interrupt.shadow);
	F("nmi.injected", x->nmi.injected, o->nmi.injected);
	F("nmi.pending", x->nmi.pending, o->nmi.pending);
	F("nmi.masked", x->nmi.masked, o->nmi.masked);
	F("smi.smm", x->smi.smm, o->smi.smm);
	F("smi.pending", x->smi.pending, o->smi.pending);
	F("smi.smm_inside_nmi", x->smi.smm_inside_nmi, o->smi.smm_inside_nmi);
	F("smi.latched_init", x->smi.latched_init, o->smi.latched_init);
	F("triple_fault.pending", x->triple_fault.pending, o->triple_fault.pending);
#undef F
}

static void dregs_diff(const struct kvm_debugregs *x, const struct kvm_debugregs *o,
		       unsigned mask, char *why, size_t len)
{
	why[0] = 0;
	for (int i = 0; i < 4; i++)
		if ((mask & (1u << i)) && x->db[i] != o->db[i]) {
			snprintf(why, len, "db[%d]: expected 0x%llx, observed 0x%llx", i,
				 (unsigned long long)x->db[i], (unsigned long long)o->db[i]);
			return;
		}
	if ((mask & 0x10) && x->dr6 != o->dr6)
		snprintf(why, len, "dr6: expected 0x%llx, observed 0x%llx",
			 (unsigned long long)x->dr6, (unsigned long long)o->dr6);
	else if ((mask & 0x20) && x->dr7 != o->dr7)
		snprintf(why, len, "dr7: expected 0x%llx, observed 0x%llx",
			 (unsigned long long)x->dr7, (unsigned long long)o->dr7);
}

/* ---- the interpreter ---- */

struct hctx {
	struct cf_runner *r;
	struct tg_vcpu *vcpu;
	struct tg_cf_result *res;
	struct tg_outcome *o;
	const struct cf_host_action *a;
	unsigned i;
	struct {
		struct kvm_vcpu_events ev;
		struct kvm_debugregs dr;
		struct kvm_regs regs;
		bool valid;
	} snap;
};

__attribute__((format(printf, 3, 4)))
static void differ(struct hctx *h, enum tg_cf_status st, const char *fmt, ...)
{
	char what[200], why[480];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	fmt_action(what, sizeof what, h->a);
	h->res->status = st;
	h->res->host_action = (int)h->i;
	snprintf(h->res->detail, sizeof h->res->detail, "host action %u (%s): %s", h->i, what, why);
}

/* Checks an ioctl's return value against the expectation. */
static bool ret_ok(struct hctx *h, int r)
{
	if (h->a->ret == (int64_t)CF_H_ANY || h->a->ret == r)
		return true;
	char exp[32];
	snprintf(exp, sizeof exp, "%s", errname(h->a->ret));
	differ(h, TG_CF_DIFF, "returned %s, expected %s", errname(r), exp);
	return false;
}

static void events_from(const uint64_t *w, struct kvm_vcpu_events *e)
{
	memcpy(e, w, sizeof *e); /* eight little-endian quads (scenario.inc) */
}

/* Runs until the vCPU stops for the host. false (difference recorded)
 * when the run ended instead; the status says whose fault. */
static bool run_stop(struct hctx *h, const char *waiting_for)
{
	if (h->o->end != TG_END_NONE) {
		differ(h, TG_CF_DIFF, "the run is already over");
		return false;
	}
	if (tg_cf_run_until(h->r, true, h->o))
		return true;
	tg_machine_finish(h->r->m, h->o);
	if (h->o->end == TG_END_BUDGET && !h->r->model)
		snprintf(h->o->msg, sizeof h->o->msg, "time limit of %u ms reached, RIP 0x%llx",
			 h->r->timeout_ms, (unsigned long long)h->o->rip);
	enum tg_cf_status st = h->o->end == TG_END_BUDGET ? TG_CF_TIMEOUT
			       : h->o->end == TG_END_INTERNAL ? TG_CF_ERROR : TG_CF_DIFF;
	differ(h, st, "expected %s; the run ended: %s", waiting_for, h->o->msg);
	return false;
}

/* The stop in run->exit_reason was not the expected one. */
static void unexpected_stop(struct hctx *h, const char *waiting_for)
{
	struct kvm_run *run = h->r->m->run;
	char got[200];
	tg_cf_describe_exit(run, got, sizeof got);
	struct kvm_regs regs = { 0 };
	tg_vcpu_get_regs(h->vcpu, &regs);
	enum tg_cf_status st = TG_CF_DIFF;
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR || run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		/* the hypervisor gave up on the guest: the run is over */
		st = TG_CF_ERROR;
		h->o->end = TG_END_INTERNAL;
		tg_machine_finish(h->r->m, h->o);
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			snprintf(got, sizeof got, "%.190s", h->o->msg);
	} else if (run->exit_reason == KVM_EXIT_SHUTDOWN) {
		h->o->end = TG_END_SHUTDOWN;
	}
	differ(h, st, "expected %s, got %s at RIP 0x%llx", waiting_for, got,
	       (unsigned long long)regs.rip);
}

static bool act(struct hctx *h)
{
	const struct cf_host_action *a = h->a;
	const uint64_t *x = a->a;
	struct tg_vcpu *v = h->vcpu;
	struct kvm_run *run = h->r->m->run;
	char why[400];
	int r;

	switch (a->op) {
	case CF_H_SYNC: {
		char w[64];
		snprintf(w, sizeof w, "the sync HLT before 0x%llx", (unsigned long long)x[0]);
		if (!run_stop(h, w))
			return false;
		struct kvm_regs regs;
		tg_vcpu_get_regs(v, &regs);
		if (run->exit_reason != KVM_EXIT_HLT || regs.rip != x[0]) {
			unexpected_stop(h, w);
			return false;
		}
		return true;
	}
	case CF_H_ENABLE_CAP: {
		struct kvm_enable_cap cap = { .cap = (uint32_t)x[0], .args = { x[1] } };
		r = tg_vm_enable_cap(h->r->m->vm, &cap);
		return ret_ok(h, r);
	}
	case CF_H_GUEST_DEBUG: {
		struct kvm_guest_debug g = { .control = (uint32_t)x[0] };
		for (int i = 0; i < 4; i++)
			g.arch.debugreg[i] = x[1 + i];
		g.arch.debugreg[7] = x[5];
		return ret_ok(h, tg_vcpu_set_guest_debug(v, &g));
	}
	case CF_H_SET_DREGS: {
		struct kvm_debugregs d = { .dr6 = x[4], .dr7 = x[5], .flags = x[6] };
		for (int i = 0; i < 4; i++)
			d.db[i] = x[i];
		return ret_ok(h, tg_vcpu_set_debugregs(v, &d));
	}
	case CF_H_EXPECT_DREGS: {
		struct kvm_debugregs want = { .dr6 = x[4], .dr7 = x[5] }, got;
		for (int i = 0; i < 4; i++)
			want.db[i] = x[i];
		r = tg_vcpu_get_debugregs(v, &got);
		if (r < 0) {
			differ(h, TG_CF_DIFF, "returned %s", errname(r));
			return false;
		}
		dregs_diff(&want, &got, (unsigned)x[6], why, sizeof why);
		if (why[0]) {
			differ(h, TG_CF_DIFF, "%s", why);
			return false;
		}
		return true;
	}
	case CF_H_SET_EVENTS: {
		struct kvm_vcpu_events e;
		events_from(x, &e);
		return ret_ok(h, tg_vcpu_set_vcpu_events(v, &e));
	}
	case CF_H_EXPECT_EVENTS: {
		struct kvm_vcpu_events want, got;
		events_from(x, &want);
		r = tg_vcpu_get_vcpu_events(v, &got);
		if (r < 0) {
			differ(h, TG_CF_DIFF, "returned %s", errname(r));
			return false;
		}
		events_diff(&want, &got, why, sizeof why);
		if (why[0]) {
			differ(h, TG_CF_DIFF, "%s", why);
			return false;
		}
		return true;
	}
	case CF_H_EVENTS_ROUNDTRIP: {
		struct kvm_vcpu_events e1, e2;
		r = tg_vcpu_get_vcpu_events(v, &e1);
		if (r < 0) {
			differ(h, TG_CF_DIFF, "GET returned %s", errname(r));
			return false;
		}
		if (!ret_ok(h, tg_vcpu_set_vcpu_events(v, &e1)))
			return false;
		tg_vcpu_get_vcpu_events(v, &e2);
		events_diff(&e1, &e2, why, sizeof why);
		if (why[0]) {
			differ(h, TG_CF_DIFF, "GET after SET of the same state: %s", why);
			return false;
		}
		return true;
	}
	case CF_H_SNAPSHOT:
		tg_vcpu_get_vcpu_events(v, &h->snap.ev);
		tg_vcpu_get_debugregs(v, &h->snap.dr);
		tg_vcpu_get_regs(v, &h->snap.regs);
		h->snap.valid = true;
		return true;
	case CF_H_UNCHANGED: {
		if (!h->snap.valid) {
			differ(h, TG_CF_HARNESS, "no snapshot taken before");
			return false;
		}
		struct kvm_vcpu_events ev;
		struct kvm_debugregs dr;
		struct kvm_regs regs;
		tg_vcpu_get_vcpu_events(v, &ev);
		tg_vcpu_get_debugregs(v, &dr);
		tg_vcpu_get_regs(v, &regs);
		events_diff(&h->snap.ev, &ev, why, sizeof why);
		if (!why[0])
			dregs_diff(&h->snap.dr, &dr, 0x3f, why, sizeof why);
		if (!why[0] && regs.rip != h->snap.regs.rip)
			snprintf(why, sizeof why, "RIP: was 0x%llx, now 0x%llx",
				 (unsigned long long)h->snap.regs.rip, (unsigned long long)regs.rip);
		if (!why[0] && regs.rflags != h->snap.regs.rflags)
			snprintf(why, sizeof why, "RFLAGS: was 0x%llx, now 0x%llx",
				 (unsigned long long)h->snap.regs.rflags,
				 (unsigned long long)regs.rflags);
		if (why[0]) {
			differ(h, TG_CF_DIFF, "changed since the snapshot: %s", why);
			return false;
		}
		return true;
	}
	case CF_H_RUN_DEBUG: {
		char w[160];
		snprintf(w, sizeof w, "KVM_EXIT_DEBUG (exception %llu, pc 0x%llx, dr6 0x%llx)",
			 (unsigned long long)x[0], (unsigned long long)x[1], (unsigned long long)x[2]);
		if (!run_stop(h, w))
			return false;
		if (run->exit_reason != KVM_EXIT_DEBUG) {
			unexpected_stop(h, w);
			return false;
		}
		const struct kvm_debug_exit_arch *d = &run->debug.arch;
		if (d->exception != x[0] || d->pc != x[1] ||
		    (x[2] != CF_H_ANY && d->dr6 != x[2]) || (d->dr7 & x[3]) != x[4]) {
			char got[200];
			tg_cf_describe_exit(run, got, sizeof got);
			differ(h, TG_CF_DIFF, "expected %s%s, got %s", w,
			       x[3] ? " with dr7 bits" : "", got);
			return false;
		}
		return true;
	}
	case CF_H_RUN_EXIT: {
		char w[80];
		snprintf(w, sizeof w, "exit reason %llu", (unsigned long long)x[0]);
		if (!run_stop(h, w))
			return false;
		struct kvm_regs regs;
		tg_vcpu_get_regs(v, &regs);
		if (run->exit_reason != x[0] || (x[1] && regs.rip != x[1])) {
			unexpected_stop(h, w);
			return false;
		}
		/* an expected shutdown ends the run */
		if (run->exit_reason == KVM_EXIT_SHUTDOWN)
			h->o->end = TG_END_SHUTDOWN;
		return true;
	}
	case CF_H_RFLAGS: {
		struct kvm_regs regs;
		tg_vcpu_get_regs(v, &regs);
		regs.rflags = (regs.rflags & ~x[1]) | x[0];
		return ret_ok(h, tg_vcpu_set_regs(v, &regs));
	}
	case CF_H_INTERRUPT: {
		struct kvm_interrupt irq = { .irq = (uint32_t)x[0] };
		return ret_ok(h, tg_vcpu_interrupt(v, &irq));
	}
	case CF_H_NMI:
		return ret_ok(h, tg_vcpu_nmi(v));
	case CF_H_EXPECT_REGS: {
		struct kvm_regs regs;
		tg_vcpu_get_regs(v, &regs);
		if (regs.rip != x[0] || (regs.rflags & x[1]) != x[2]) {
			differ(h, TG_CF_DIFF, "RIP 0x%llx RFLAGS 0x%llx; expected RIP 0x%llx, "
			       "RFLAGS & 0x%llx = 0x%llx", (unsigned long long)regs.rip,
			       (unsigned long long)regs.rflags, (unsigned long long)x[0],
			       (unsigned long long)x[1], (unsigned long long)x[2]);
			return false;
		}
		return true;
	}
	}
	differ(h, TG_CF_HARNESS, "unknown host action %llu", (unsigned long long)a->op);
	return false;
}

static const char *cap_name(uint64_t cap)
{
	switch (cap) {
	case KVM_CAP_EXCEPTION_PAYLOAD: return "KVM_CAP_EXCEPTION_PAYLOAD";
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT: return "KVM_CAP_X86_TRIPLE_FAULT_EVENT";
	}
	return "a capability";
}

int tg_cf_host_actions(struct cf_runner *r, const struct tg_cf_scenario *sc,
		       struct tg_cf_result *res, struct tg_outcome *o)
{
	struct cf_host_action *acts = calloc(CF_HOST_MAX, sizeof *acts);
	unsigned n;
	if (!acts || tg_cf_read_host(r->m->vm, sc, acts, &n) < 0) {
		free(acts);
		res->status = TG_CF_HARNESS;
		snprintf(res->detail, sizeof res->detail, "host actions unreadable in guest memory");
		return 1;
	}
	/* A capability the backend lacks makes the scenario inapplicable, not
	 * a departure from bare metal. */
	for (unsigned i = 0; i < n; i++)
		if (acts[i].op == CF_H_ENABLE_CAP &&
		    tg_vm_check_extension(r->m->vm, (long)acts[i].a[0]) <= 0) {
			res->status = TG_CF_SKIP;
			snprintf(res->detail, sizeof res->detail, "the backend lacks %s (%llu)",
				 cap_name(acts[i].a[0]), (unsigned long long)acts[i].a[0]);
			free(acts);
			return 2;
		}
	/* Start from KVM's defaults: the machine turns the payload capability
	 * on for its own use; host-side scenarios enable what they need. */
	struct kvm_enable_cap off = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 0 } };
	if (tg_vm_check_extension(r->m->vm, KVM_CAP_EXCEPTION_PAYLOAD) > 0)
		tg_vm_enable_cap(r->m->vm, &off);
	struct hctx h = { .r = r, .vcpu = r->m->vcpu, .res = res, .o = o };
	int ret = 0;
	for (unsigned i = 0; i < n; i++) {
		h.a = &acts[i];
		h.i = i;
		if (!act(&h)) {
			ret = 1;
			break;
		}
		res->host_done = i + 1;
	}
	free(acts);
	return ret;
}
