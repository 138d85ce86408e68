/* The instruction boundary: what happens between two instructions on the
 * slow path (events, shadows, single-step, RF). The SDM priority list
 * [SDM Vol. 3A 6.9, Table 6-2] is applied in tg_boundary_before(). */
#ifndef TG_CPU_BOUNDARY_H
#define TG_CPU_BOUNDARY_H

#include "cpu.h"

/* Deliver whatever is due before the next instruction. Returns false when
 * something was delivered (or the vCPU is halted): the caller re-enters
 * the loop instead of executing an instruction. May exit (shutdown, HLT). */
bool tg_boundary_before(struct vcpu *c);
/* Called right before the instruction's handler runs. */
void tg_boundary_insn_start(struct vcpu *c, const struct tg_insn *d);
/* Called when a fault aborted the running instruction. */
void tg_boundary_fault(struct vcpu *c);
/* Called after the handler completed normally. */
void tg_boundary_after(struct vcpu *c, const struct tg_insn *d);

#endif
