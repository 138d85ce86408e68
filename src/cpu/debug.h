/* Debug registers and breakpoint matching [SDM Vol. 3B 17.2-17.3;
 * spec db-semantics.md §1, §5]. The delivery rules (what is merged, held
 * or dropped at a boundary) live in boundary.c. */
#ifndef TG_CPU_DEBUG_H
#define TG_CPU_DEBUG_H

#include "cpu.h"

/* KVM_GUESTDBG_* bits of the vCPU's host debugging. */
static inline bool tg_host_bp(const struct vcpu *c)
{
	return (c->guest_debug & (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP)) ==
	       (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP);
}
static inline bool tg_host_step(const struct vcpu *c)
{
	return (c->guest_debug & (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP)) ==
	       (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP);
}
static inline bool tg_host_swbp(const struct vcpu *c)
{
	return (c->guest_debug & (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP)) ==
	       (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP);
}
/* The DR7 whose breakpoints are in effect (the host's under USE_HW_BP). */
static inline uint64_t tg_eff_dr7(const struct vcpu *c)
{
	return tg_host_bp(c) ? c->host_dr7 : c->dr7;
}
/* End the run with KVM_EXIT_DEBUG as KVM fills it (spec 7.2): pc is the
 * linear RIP, dr6 in DR6 polarity (causes | 0xFFFF0FF0). */
_Noreturn void tg_exit_debug(struct vcpu *c, uint32_t exception, uint64_t dr6);

/* Enabled execute breakpoints whose address is `lin`: Bn bits. */
uint32_t tg_debug_code_match(const struct vcpu *c, uint64_t lin);
/* A data access by the running instruction: records Bn (and the
 * "enabled breakpoint" bit) of matching enabled R/W=01 (writes) and
 * R/W=11 (reads and writes) breakpoints in c->insn_dbg. */
void tg_debug_data_access(struct vcpu *c, uint64_t lin, unsigned size, bool write);
/* A port access (IN/OUT/INS/OUTS): R/W=10 breakpoints, only with CR4.DE. */
void tg_debug_io_access(struct vcpu *c, uint16_t port, unsigned size);
/* Could an access to this linear page hit an enabled data breakpoint?
 * Such pages are kept out of the TLB so every access reaches the check. */
bool tg_debug_page_watched(const struct vcpu *c, uint64_t lin_page);
/* After DR0-DR3/DR7 (or CR4.DE) change: TLB and boundary work follow. */
void tg_debug_regs_changed(struct vcpu *c);
/* DR6 after delivering a #DB with `payload` causes [spec 7.5]. */
uint64_t tg_dr6_apply_payload(uint64_t dr6, uint64_t payload);
/* The linear address of the instruction at RIP. */
uint64_t tg_rip_linear(const struct vcpu *c);

#endif
