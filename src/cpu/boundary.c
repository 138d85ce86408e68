/* The instruction boundary: everything that happens between two
 * instructions on the slow path. tg_boundary_before() applies the SDM's
 * priority list [SDM Vol. 3A 6.9, Table 6-2; spec 2.2] in order; the #DB
 * rules (merging, MOV SS holding, payloads) are in spec §2-§4 and
 * /work/shared/seeds 000, 001, 003. */
#include "boundary.h"
#include "debug.h"


static inline bool irqs_blocked_by_host(const struct vcpu *c)
{
	return (c->guest_debug & (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_BLOCKIRQ)) ==
	       (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_BLOCKIRQ);
}

/* Host single-step: a step also ends when an event was delivered instead
 * of an instruction completing, with pc at the handler (model choice). */
static void host_step_after_delivery(struct vcpu *c)
{
	if (tg_host_step(c))
		tg_exit_debug(c, EXC_DB, DR6_ACTIVE_LOW | DR6_BS);
}

/* Queue and deliver a #DB now. Its causes travel as a payload that reaches
 * DR6 only at delivery [spec 7.5; seeds 000 and 004]. */
static void deliver_db(struct vcpu *c, uint32_t causes)
{
	tg_queue_exception(c, EXC_DB, false, 0, true, causes);
	tg_deliver_pending(c);
}

bool tg_boundary_before(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	/* An exit an instruction asked for once it completed. */
	if (c->exit_request) {
		run->exit_reason = c->exit_request;
		c->exit_request = 0;
		tg_recompute_boundary(c);
		tg_exit(c);
	}
	/* Shutdown after a fault while delivering #DF [SDM 6.15 Interrupt 8]. */
	if (c->triple_fault_pending) {
		c->triple_fault_pending = false;
		c->halted = false;
		tg_recompute_boundary(c);
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		tg_exit(c);
	}
	/* An exception raised by the previous instruction (a fault, or a trap
	 * such as INT n's own delivery fault) or queued by the VMM. A fault
	 * during delivery longjmps back and is combined by tg_queue_exception. */
	if (c->exc.pending || c->exc.injected) {
		c->halted = false;
		tg_deliver_pending(c);
		tg_recompute_boundary(c);
		host_step_after_delivery(c);
		return false;
	}

	/* Priority 4, traps on the previous instruction: single-step and data /
	 * I-O breakpoints, all in ONE #DB. Held while the MOV SS shadow blocks
	 * them: they merge with the causes of the instruction after MOV SS
	 * [SDM 6.8.3; spec 4.1-4.2; seed 000]. */
	if (c->pending_dbg && c->shadow != SHADOW_MOVSS) {
		uint32_t causes = c->pending_dbg;
		/* A code breakpoint on the instruction about to run joins the
		 * same #DB: "everything pending gets smushed together" [spec
		 * 2.3; seed 001]. RF=1 suppresses it [SDM 17.3.1.1]. */
		if (!(c->rflags & F_RF) && (c->dr7 & 0xff) && !tg_host_bp(c))
			causes |= tg_debug_code_match(c, tg_rip_linear(c));
		c->pending_dbg = 0;
		c->halted = false;
		deliver_db(c, causes);
		tg_recompute_boundary(c);
		host_step_after_delivery(c);
		return false;
	}

	/* Priority 5 and 6: NMI, then maskable interrupts; both blocked by the
	 * STI and MOV SS shadows [SDM 6.8.3; spec 4.1], and held back while
	 * the host debugger asks for KVM_GUESTDBG_BLOCKIRQ [spec 7.1]. */
	if (c->nmi_pending && !c->nmi_masked && c->shadow == SHADOW_NONE &&
	    !irqs_blocked_by_host(c)) {
		c->nmi_pending = false;
		c->nmi_masked = true;
		c->halted = false;
		tg_deliver_event(c, EXC_NMI, EV_NMI, false, 0, c->rip);
		tg_recompute_boundary(c);
		host_step_after_delivery(c);
		return false;
	}
	if (c->irq_pending >= 0 && (c->rflags & F_IF) && c->shadow == SHADOW_NONE &&
	    !irqs_blocked_by_host(c)) {
		int v = c->irq_pending;
		c->irq_pending = -1;
		c->halted = false;
		tg_deliver_event(c, v, EV_EXT_INT, false, 0, c->rip);
		tg_recompute_boundary(c);
		host_step_after_delivery(c);
		return false;
	}

	/* The VMM asked to hear when an interrupt can be injected (userspace
	 * irqchip): IF=1, no shadow, none queued [KVM api.rst]. */
	if (c->irq_window_req && (c->rflags & F_IF) && c->shadow == SHADOW_NONE &&
	    c->irq_pending < 0) {
		run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
		c->irq_window_req = false;
		tg_recompute_boundary(c);
		tg_exit(c);
	}
	if (c->halted) {
		/* Nothing inside the model can wake the vCPU: report the halt
		 * (KVM without an in-kernel irqchip does the same). RIP is
		 * already past the HLT. */
		run->exit_reason = KVM_EXIT_HLT;
		c->halted = false;
		tg_recompute_boundary(c);
		tg_exit(c);
	}

	/* Priority 7, code breakpoint fault: RIP stays on the instruction and
	 * the pushed RF is not forced to 1 [spec 2.4]. RF=1 suppresses it;
	 * Intel also suppresses it inside a MOV SS shadow, AMD does not
	 * [spec 4.1; KVM kvm_is_code_breakpoint_inhibited]. */
	if ((tg_eff_dr7(c) & 0xff) && !(c->rflags & F_RF) &&
	    !(c->shadow == SHADOW_MOVSS && c->vendor == VENDOR_INTEL)) {
		uint32_t hit = tg_debug_code_match(c, tg_rip_linear(c));
		/* A host breakpoint exits instead, guest state untouched
		 * (the VMM resumes with RF set) [spec 7.1]. */
		if (hit && tg_host_bp(c))
			tg_exit_debug(c, EXC_DB, DR6_ACTIVE_LOW | hit);
		if (hit) {
			/* a fault inside a MOV SS shadow discards held traps */
			c->pending_dbg = 0;
			c->shadow = SHADOW_NONE;
			deliver_db(c, hit);
			tg_recompute_boundary(c);
			return false;
		}
	}
	return true;
}

void tg_boundary_insn_start(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	/* TF is sampled before the instruction: POPF/IRET that set TF trap
	 * only after the NEXT instruction [SDM 17.3.1.4; spec 3.1]. */
	c->tf_at_start = c->rflags & F_TF;
	c->rf_at_start = c->rflags & F_RF;
	c->insn_dbg = 0;
	c->host_dbg = 0;
	c->suppress_ss = false;
	/* A shadow covers exactly one instruction; the running instruction
	 * sees it in shadow_prev (back-to-back shadows do not extend). */
	c->shadow_prev = c->shadow;
	c->shadow = SHADOW_NONE;
}

/* A fault aborted the running instruction (called from the run loop). */
void tg_boundary_fault(struct vcpu *c)
{
	/* No single-step or data trap for an instruction that did not
	 * complete; and a fault inside a MOV SS shadow discards the causes
	 * held from the MOV SS [spec 4.2: GD fault in the shadow reports BD
	 * only; the held BS is lost]. */
	c->insn_dbg = 0;
	c->host_dbg = 0;
	if (c->shadow_prev == SHADOW_MOVSS)
		c->pending_dbg = 0;
	c->shadow_prev = SHADOW_NONE;
	c->tf_at_start = c->rf_at_start = c->rf_loaded = false;
	c->suppress_ss = false;
}

void tg_boundary_after(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	/* RF is cleared once an instruction completes [SDM 17.3.1.1], unless
	 * the instruction itself loaded RF=1 (IRET) or stopped in the middle
	 * of a REP string instruction (it re-runs with RF=1). */
	if (c->rf_at_start && (c->rflags & F_RF) && !c->rf_loaded)
		c->rflags &= ~(uint64_t)F_RF;
	c->rf_loaded = false;

	/* The causes of this instruction: its data/I-O breakpoint hits and,
	 * if TF was set when it began, single-step. INT n/INT3/INTO/ICEBP
	 * deliver their own event and report no BS [spec 3.5-3.6]. */
	uint32_t causes = c->insn_dbg;
	if (c->tf_at_start && !c->suppress_ss)
		causes |= DR6_BS;
	c->pending_dbg |= causes;

	uint32_t host = c->host_dbg;
	c->insn_dbg = 0;
	c->host_dbg = 0;
	c->suppress_ss = false;
	c->io_replay = (struct tg_replay){ 0 };
	c->mmio_replay = (struct tg_replay){ 0 };
	c->shadow_prev = SHADOW_NONE;
	c->tf_at_start = c->rf_at_start = false;
	tg_recompute_boundary(c);

	/* Host debugging: a host data/I-O breakpoint or a host single-step
	 * ends the run after the instruction, pc = the next one, dr6 = BS
	 * for a step plus the hit breakpoints [spec 7.1-7.2; selftest
	 * debug_regs expects 0xFFFF4FF0 per step]. KVM does this with TF and
	 * the hardware breakpoints of the guest's CPU, so a MOV SS shadow
	 * holds these #DBs too: the step ends one instruction later [SDM
	 * 6.8.3; spec 4.1]. */
	host = (host | c->host_held) & DR6_BMASK;
	if ((tg_host_step(c) || host) && c->shadow == SHADOW_MOVSS) {
		c->host_held = host;
		return;
	}
	c->host_held = 0;
	if (tg_host_step(c) || host) {
		/* A host code breakpoint on the instruction the step lands on
		 * joins the same exit: one #DB with BS|Bn [spec 2.3; seed 001,
		 * "host-owned" case]. */
		if (tg_host_bp(c) && !(c->rflags & F_RF))
			host |= tg_debug_code_match(c, tg_rip_linear(c));
		/* The exit wakes a vCPU that the instruction halted: like the
		 * guest's own single-step #DB after HLT, it does not halt again
		 * [spec 3.7]. */
		c->halted = false;
		tg_recompute_boundary(c);
		tg_exit_debug(c, EXC_DB, DR6_ACTIVE_LOW | host |
					 (tg_host_step(c) ? DR6_BS : 0));
	}
}
