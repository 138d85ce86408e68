/* The slow path between instructions. The order of the checks in
 * tg_boundary_before() is the SDM's priority order [SDM Vol. 3A 6.9,
 * Table 6-2]; issue-3 work (debug.c) extends the debug parts. */
#include "boundary.h"

bool tg_boundary_before(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	/* A fault during delivery of #DF: shutdown [SDM 6.15 Interrupt 8]. */
	if (c->triple_fault_pending) {
		c->triple_fault_pending = false;
		tg_recompute_boundary(c);
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		tg_exit(c);
	}
	/* Exceptions raised by the previous instruction (faults, and traps
	 * such as single-step #DB) are delivered first; a fault during
	 * delivery longjmps back and is combined by tg_queue_exception. */
	if (c->exc.pending || c->exc.injected) {
		tg_deliver_pending(c);
		tg_recompute_boundary(c);
		return false;
	}
	/* NMI (priority 5), then maskable interrupts (6): blocked by the STI
	 * and MOV SS shadows [SDM 6.8.3]. */
	if (c->nmi_pending && !c->nmi_masked && c->shadow == SHADOW_NONE) {
		c->nmi_pending = false;
		c->nmi_masked = true;
		c->halted = false;
		tg_deliver_event(c, EXC_NMI, EV_NMI, false, 0, c->rip);
		tg_recompute_boundary(c);
		return false;
	}
	if (c->irq_pending >= 0 && (c->rflags & F_IF) && c->shadow == SHADOW_NONE) {
		int v = c->irq_pending;
		c->irq_pending = -1;
		c->halted = false;
		tg_deliver_event(c, v, EV_EXT_INT, false, 0, c->rip);
		tg_recompute_boundary(c);
		return false;
	}
	if (c->halted) {
		/* Nothing can wake the vCPU inside the model: report the halt
		 * to the VMM (KVM without an in-kernel irqchip does the same). */
		run->exit_reason = KVM_EXIT_HLT;
		c->halted = false;
		tg_recompute_boundary(c);
		tg_exit(c);
	}
	return true;
}

void tg_boundary_insn_start(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	c->tf_at_start = c->rflags & F_TF;
	c->rf_at_start = c->rflags & F_RF;
	/* A shadow covers exactly one instruction. */
	c->shadow_prev = c->shadow;
	c->shadow = SHADOW_NONE;
}

void tg_boundary_after(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	/* RF is cleared once an instruction completes [SDM 17.3.1.1], unless
	 * that instruction itself loaded RF=1 (IRET/POPF from the stack). */
	if (c->rf_at_start && (c->rflags & F_RF) && !c->rf_loaded)
		c->rflags &= ~(uint64_t)F_RF;
	c->rf_loaded = false;
	/* Single-step: TF was set when the instruction began, so a #DB trap
	 * with DR6.BS follows it [SDM 17.3.1.4]. */
	if (c->tf_at_start && !c->exc.pending)
		tg_queue_exception(c, EXC_DB, false, 0, true, 1u << 14);
	c->io_replay = (struct tg_replay){ 0 };
	c->mmio_replay = (struct tg_replay){ 0 };
	c->shadow_prev = SHADOW_NONE;
	c->tf_at_start = c->rf_at_start = false;
	tg_recompute_boundary(c);
}
