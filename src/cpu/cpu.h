/* Internal interface of the software vCPU shared by all instruction files. */
#ifndef TG_CPU_CPU_H
#define TG_CPU_CPU_H

#include "vcpu.h"
#include "flags.h"
#include "mem.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- lifecycle (cpu.c) ---- */
int tg_cpu_init(struct vcpu *c, struct tg_memmap *mem, struct kvm_run *run);
void tg_cpu_free(struct vcpu *c);
/* Power-on state [SDM 9.1.1 Table 9-1]: real mode, CS:IP = F000:FFF0. */
void tg_cpu_reset(struct vcpu *c);
/* Run until an exit; returns 0 or -EINTR (budget / immediate_exit). */
int tg_cpu_run(struct vcpu *c);

/* Derive mode, CPL-dependent TLB, flat-segment masks and the boundary_work
 * flags from architectural state. Call after changing CR0, CR4, EFER, any
 * segment register, RFLAGS.VM/TF/RF, DR7, or the event state. Sets
 * exit_block so the current decoded block is left. */
void tg_recompute_mode(struct vcpu *c);
/* Only the boundary_work flags (cheaper; after RFLAGS/DR7/event changes). */
void tg_recompute_boundary(struct vcpu *c);

/* Decoded code cache: drop blocks overlapping a guest-physical range. */
void tg_code_invalidate(struct vcpu *c, uint64_t gpa, uint64_t len);
/* Does this physical page hold decoded code (its stores take the slow path)? */
bool tg_code_page(struct vcpu *c, uint64_t phys);
/* A store to a code page: invalidates blocks if it overlaps decoded bytes. */
void tg_code_written(struct vcpu *c, uint64_t phys, unsigned len);
void tg_code_flush_all(struct vcpu *c);

/* ---- exceptions (except.c) ----
 * Raising aborts the current instruction (longjmp to the run loop); register
 * state the instruction had not committed is left as it was, RIP points at
 * the faulting instruction. Traps are raised by the handler after it has
 * committed and advanced RIP. */
/* Queue an exception (combining with one in delivery into #DF or a triple
 * fault) without leaving the instruction. */
void tg_queue_exception(struct vcpu *c, int vector, bool has_err, uint32_t err,
			bool has_payload, uint64_t payload);
_Noreturn void tg_raise(struct vcpu *c, int vector);
_Noreturn void tg_raise_err(struct vcpu *c, int vector, uint32_t error_code);
_Noreturn void tg_raise_pf(struct vcpu *c, uint64_t lin, uint32_t error_code);
_Noreturn void tg_raise_db(struct vcpu *c, uint32_t causes);
#define tg_raise_ud(c) tg_raise((c), EXC_UD)
#define tg_raise_gp(c, e) tg_raise_err((c), EXC_GP, (e))
#define tg_raise_ss(c, e) tg_raise_err((c), EXC_SS, (e))
#define tg_raise_np(c, e) tg_raise_err((c), EXC_NP, (e))
#define tg_raise_ts(c, e) tg_raise_err((c), EXC_TS, (e))
#define tg_raise_de(c) tg_raise((c), EXC_DE)

/* Deliver the queued exception (c->exc) through the IDT in the current
 * mode, applying its payload (CR2/DR6) at delivery, combining into #DF and
 * triple fault per SDM Table 6-5. Called by the run loop at a boundary. */
void tg_deliver_pending(struct vcpu *c);
/* Deliver a software interrupt (INT n, INT3, INTO, ICEBP) or an external
 * interrupt immediately; `next_rip` is the return address pushed. */
void tg_deliver_event(struct vcpu *c, int vector, int kind, bool has_err,
		      uint32_t err, uint64_t next_rip);
enum { EV_EXCEPTION = 0, EV_SOFT_INT = 1, EV_EXT_INT = 2, EV_NMI = 3,
       EV_PRIV_SOFT = 4 /* ICEBP */, EV_SOFT_EXC = 5 /* INT3, INTO */ };

/* ---- exits to the VMM ----
 * Fill c->run (exit_reason and data) first, then call: the instruction is
 * abandoned (RIP unchanged) unless the handler already advanced RIP. */
_Noreturn void tg_exit(struct vcpu *c);
/* An instruction the model does not implement: KVM_EXIT_INTERNAL_ERROR with
 * KVM_INTERNAL_ERROR_EMULATION, the instruction bytes and RIP. */
_Noreturn void tg_exit_unimplemented(struct vcpu *c, const struct tg_insn *d);
void tg_op_unimplemented(struct vcpu *c, const struct tg_insn *d);

/* ---- operands ---- */
static inline __attribute__((always_inline)) uint64_t tg_ea(const struct vcpu *c, const struct tg_insn *d)
{
	uint64_t a = (int64_t)d->disp;
	if (d->base < 16)
		a += c->gpr[d->base];
	else if (d->base == TG_RIPREL)
		a += c->rip + d->len;
	if (d->index != TG_NOREG)
		a += c->gpr[d->index] << d->scale;
	if (d->asz == 8)
		return a;
	return d->asz == 4 ? (uint32_t)a : (uint16_t)a;
}

/* A 48-bit canonical address: bits 63:47 all equal [SDM 3.3.7.1]. The
 * shift is done unsigned, then read back signed: no signed-shift UB. */
static inline bool tg_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Byte registers: without REX, encodings 4..7 are AH, CH, DH, BH. */
static inline uint8_t tg_get_reg8(const struct vcpu *c, const struct tg_insn *d,
				  unsigned r)
{
	if (r >= 4 && r < 8 && !d->rex)
		return (uint8_t)(c->gpr[r - 4] >> 8);
	return (uint8_t)c->gpr[r];
}
static inline void tg_set_reg8(struct vcpu *c, const struct tg_insn *d,
			       unsigned r, uint8_t v)
{
	if (r >= 4 && r < 8 && !d->rex)
		c->gpr[r - 4] = (c->gpr[r - 4] & ~0xff00ull) | (uint64_t)v << 8;
	else
		c->gpr[r] = (c->gpr[r] & ~0xffull) | v;
}

/* Read a register of the given size. */
static inline uint64_t tg_get_reg(const struct vcpu *c, const struct tg_insn *d,
				  unsigned r, unsigned size)
{
	switch (size) {
	case 1: return tg_get_reg8(c, d, r);
	case 2: return (uint16_t)c->gpr[r];
	case 4: return (uint32_t)c->gpr[r];
	default: return c->gpr[r];
	}
}
/* Write a register: 32-bit writes zero-extend to 64 [SDM 3.4.1.1]; 8- and
 * 16-bit writes keep the upper bits. */
static inline void tg_set_reg(struct vcpu *c, const struct tg_insn *d,
			      unsigned r, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: tg_set_reg8(c, d, r, (uint8_t)v); break;
	case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (uint16_t)v; break;
	case 4: c->gpr[r] = (uint32_t)v; break;
	default: c->gpr[r] = v; break;
	}
}

/* The r/m operand (register when mod==3, memory otherwise). */
static inline uint64_t tg_rm_read(struct vcpu *c, const struct tg_insn *d,
				  unsigned size)
{
	if (d->mod == 3)
		return tg_get_reg(c, d, d->rm, size);
	return tg_read(c, d->seg, tg_ea(c, d), size);
}
static inline void tg_rm_write(struct vcpu *c, const struct tg_insn *d,
			       unsigned size, uint64_t v)
{
	if (d->mod == 3)
		tg_set_reg(c, d, d->rm, size, v);
	else
		tg_write(c, d->seg, tg_ea(c, d), size, v);
}

/* Next instruction. Outside 64-bit mode EIP is 32 bits; running past the
 * CS limit is caught by the fetch (#GP) [SDM 6.3]. */
static inline void tg_advance(struct vcpu *c, const struct tg_insn *d)
{
	c->rip = (c->rip + d->len) & c->rip_mask;
}

/* Threaded dispatch: a handler that completed normally may run the next
 * decoded instruction of its block itself, as a tail call, instead of
 * returning to the run loop. It must be the handler's last statement.
 * blk_last always names the instruction running now (the loop sets it for
 * the first, each chain step for the next), so the loop resumes after
 * whichever instruction returned to it. At the block's end, when
 * exit_block was set, or on the slow path (exit_block 0) it returns. */
#define TG_NEXT(c, d)                                                     \
	do {                                                              \
		const struct tg_insn *next_ = (d) + 1;                    \
		if ((uintptr_t)next_ < (c)->exit_block) {                 \
			(c)->blk_last = next_;                            \
			next_->fn((c), next_);                            \
		}                                                         \
		return;                                                   \
	} while (0)

/* A taken branch back to the first instruction of the running fast-path
 * block (a tight loop) restarts the block in the chain instead of going
 * back to the run loop, when nothing needs the boundary, the budget has
 * room for another pass, and fewer than 16 restarts happened (so a build
 * without tail calls cannot recurse deeply). The completed pass is counted
 * here; the loop counts the last one. */
static inline bool tg_loop_restart(struct vcpu *c, const struct tg_insn *d,
				   uint64_t target)
{
	if (target != c->blk_rip || !c->blk_start || c->boundary_work ||
	    !c->loop_restarts)
		return false;
	uint64_t done = c->insns_retired + (uint64_t)(d - c->blk_start) + 1;
	if (done + c->blk_n > c->run_limit)
		return false;
	c->loop_restarts--;
	c->insns_retired = done;
	c->blk_base = done;
	c->blk_last = c->blk_start;
	return true;
}

/* Stack-address size: SS.B outside 64-bit mode [SDM 6.2.3]. */
static inline unsigned tg_stack_asz(const struct vcpu *c)
{
	if (c->mode == MODE_LONG64)
		return 8;
	return c->seg[S_SS].db ? 4 : 2;
}

/* A REP string instruction stops with iterations left (RIP stays on it):
 * it continues with RF=1 so its code breakpoint does not fire again, and
 * an event delivered now pushes RF=1 [SDM 17.3.1.1; spec 3.8]. */
static inline void tg_rep_interrupted(struct vcpu *c)
{
	c->rflags |= F_RF;
	c->rf_loaded = true;
	c->boundary_work |= BW_RF; /* the slow path clears RF after the rest */
	c->exit_block = 1;
}

/* Tracing (cpu.c): records for the callback of tg_vcpu_set_trace. */
void tg_trace_insn(struct vcpu *c, const struct tg_insn *d);
void tg_trace_event(struct vcpu *c, int vector, int kind, bool has_err,
		    uint32_t err, uint64_t saved_rip);

/* End the run with `reason` at the next instruction boundary, after the
 * current instruction completes (KVM_EXIT_SET_TPR and the like). */
void tg_request_exit(struct vcpu *c, uint32_t reason);

/* Instructions retired before the one now running (RDTSC, budgets). */
uint64_t tg_retired_now(const struct vcpu *c);

/* Push/pop with the stack-address size and SS checks. */
void tg_push(struct vcpu *c, unsigned size, uint64_t v);
uint64_t tg_pop(struct vcpu *c, unsigned size);

/* Write the full RFLAGS (arithmetic ones into the lazy state). Callers apply
 * the privilege rules (IOPL, IF, VM...) first; this only stores. */
void tg_set_rflags(struct vcpu *c, uint64_t f);

/* Debug hooks called by instructions (debug.c): data breakpoints are checked
 * by the memory layer when BW_DEBUG is set. */

#endif
