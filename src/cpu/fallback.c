/* Weak defaults so the core links while instruction groups are being
 * filled in: a group without its file reports every instruction as not
 * implemented (KVM_EXIT_INTERNAL_ERROR), never as something it is not. */
#include "ops.h"

__attribute__((weak)) tg_handler tg_sel_alu(struct tg_insn *d) { (void)d; return 0; }
__attribute__((weak)) tg_handler tg_sel_move(struct tg_insn *d) { (void)d; return 0; }
__attribute__((weak)) tg_handler tg_sel_sys(struct tg_insn *d) { (void)d; return 0; }
__attribute__((weak)) tg_handler tg_sel_int(struct tg_insn *d) { (void)d; return 0; }

/* Until intr.c delivers through the IDT: report the undeliverable event. */
__attribute__((weak)) void tg_deliver_pending(struct vcpu *c)
{
	c->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	c->run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	c->run->internal.ndata = 1;
	c->run->internal.data[0] = c->exc.vector;
	c->exc = (struct tg_exception){ 0 };
	tg_recompute_boundary(c);
	tg_exit(c);
}

__attribute__((weak)) void tg_deliver_event(struct vcpu *c, int vector, int kind,
					    bool has_err, uint32_t err,
					    uint64_t next_rip)
{
	(void)kind; (void)has_err; (void)err; (void)next_rip;
	c->exc = (struct tg_exception){ .pending = true, .vector = (uint8_t)vector };
	tg_deliver_pending(c);
}
