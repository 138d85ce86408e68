/* Stack instructions: PUSH/POP (registers, immediates, memory), PUSHA/POPA,
 * ENTER, LEAVE.
 *
 * Two sizes meet here and must not be confused [SDM 6.2.3, 6.2.5]: the
 * operand size (how many bytes are pushed: 2, 4 or 8) and the stack-address
 * size (SS.B outside 64-bit mode: SP or ESP is the pointer, see
 * tg_stack_asz). Every handler reads and writes memory before it commits
 * RSP or any register, so a fault leaves them as they were. */
#include "ops.h"

tg_handler tg_sel_stack(struct tg_insn *d);

static inline uint64_t sp_mask(unsigned sa)
{
	return sa == 8 ? ~0ull : sa == 4 ? 0xffffffffull : 0xffffull;
}

/* Write the stack pointer with the stack-address size: a 16-bit stack
 * changes SP only, a 32-bit one writes ESP (zero-extending). */
static inline void set_sp(struct vcpu *c, unsigned sa, uint64_t sp)
{
	if (sa == 8)
		c->gpr[R_RSP] = sp;
	else if (sa == 4)
		c->gpr[R_RSP] = (uint32_t)sp;
	else
		c->gpr[R_RSP] = (c->gpr[R_RSP] & ~0xffffull) | (uint16_t)sp;
}

/* FF /6 has no default-64 marking in the decoder's table: in 64-bit mode
 * its operand size is 64 unless 66 makes it 16 [SDM PUSH]. */
static inline unsigned push_osz(const struct vcpu *c, const struct tg_insn *d)
{
	return (d->osz == 4 && c->mode == MODE_LONG64) ? 8 : d->osz;
}

/* ---- PUSH/POP register (50+r, 58+r) ---- */

/* osz 8 exists only in 64-bit mode, where the stack is always 64-bit and
 * SS is flat (no base, limit or type checks [SDM 3.4.2.1]; the TLB holds
 * only canonical pages). The fast paths (TLB hit) are leaves; the general
 * handlers, which may fault or exit, are reached by a tail call. */
static void push_r(struct vcpu *c, const struct tg_insn *d);
static void pop_r(struct vcpu *c, const struct tg_insn *d);
static void push_imm(struct vcpu *c, const struct tg_insn *d);

static void push_r64(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t sp = c->gpr[R_RSP] - 8;
	uint8_t *p;
	if (likely((p = tg_tlb_hit(c, sp, 8, ACC_W)))) {
		memcpy(p, &c->gpr[d->rm], 8);
		c->gpr[R_RSP] = sp;
		c->rip += d->len;
		TG_NEXT(c, d);
	}
	push_r(c, d);
}
/* POP RSP: the popped value replaces the incremented RSP [SDM POP]. */
static void pop_r64(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t sp = c->gpr[R_RSP];
	uint8_t *p;
	if (likely((p = tg_tlb_hit(c, sp, 8, ACC_R)))) {
		uint64_t v;
		memcpy(&v, p, 8);
		c->gpr[R_RSP] = sp + 8;
		c->gpr[d->rm] = v;
		c->rip += d->len;
		TG_NEXT(c, d);
	}
	pop_r(c, d);
}
/* PUSH ESP/SP pushes the value before the decrement [SDM PUSH]. */
static __attribute__((noinline)) void push_r(struct vcpu *c,
					    const struct tg_insn *d)
{
	tg_push(c, d->osz, c->gpr[d->rm]);
	tg_advance(c, d);
}
static __attribute__((noinline)) void pop_r(struct vcpu *c,
					   const struct tg_insn *d)
{
	uint64_t v = tg_pop(c, d->osz);
	tg_set_reg(c, d, d->rm, d->osz, v);
	tg_advance(c, d);
}

/* ---- PUSH imm (68 Iz, 6A Ib): sign-extended to the operand size ---- */
static void push_imm64(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t sp = c->gpr[R_RSP] - 8;
	uint8_t *p;
	if (likely((p = tg_tlb_hit(c, sp, 8, ACC_W)))) {
		memcpy(p, &d->imm, 8);
		c->gpr[R_RSP] = sp;
		c->rip += d->len;
		return;
	}
	push_imm(c, d);
}
static __attribute__((noinline)) void push_imm(struct vcpu *c,
					      const struct tg_insn *d)
{
	tg_push(c, d->osz, d->imm);
	tg_advance(c, d);
}

/* ---- PUSH r/m (FF /6): the operand is read before RSP moves, so
 * `push [rsp]` pushes the old top of stack. ---- */
static void push_rm(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = push_osz(c, d);
	uint64_t v = tg_rm_read(c, d, osz);
	tg_push(c, osz, v);
	tg_advance(c, d);
}

/* ---- POP r/m (8F /0) ----
 * A memory destination addressed through RSP uses the value RSP has after
 * the pop [SDM POP]. The write may fault: RSP is put back before it, and
 * committed only after. */
static void pop_rm(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz, sa = tg_stack_asz(c);
	uint64_t old = c->gpr[R_RSP];
	uint64_t sp = old & sp_mask(sa);
	uint64_t v = tg_read(c, S_SS, sp, osz);
	set_sp(c, sa, sp + osz);
	uint64_t nsp = c->gpr[R_RSP];
	uint64_t ea = tg_ea(c, d);
	c->gpr[R_RSP] = old;
	tg_write(c, d->seg, ea, osz, v);
	c->gpr[R_RSP] = nsp;
	tg_advance(c, d);
}

/* ---- PUSHA/PUSHAD, POPA/POPAD (outside 64-bit mode) [SDM PUSHA, POPA] ---- */

static void pusha(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz, sa = tg_stack_asz(c);
	uint64_t m = sp_mask(sa);
	uint64_t sp = c->gpr[R_RSP] & m;
	/* EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI */
	for (int r = R_RAX; r <= R_RDI; r++) {
		sp = (sp - osz) & m;
		tg_write(c, S_SS, sp, osz, c->gpr[r]);
	}
	set_sp(c, sa, sp);
	tg_advance(c, d);
}

static void popa(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz, sa = tg_stack_asz(c);
	uint64_t m = sp_mask(sa);
	uint64_t sp = c->gpr[R_RSP] & m;
	uint64_t v[8];
	/* EDI, ESI, EBP, (the ESP slot is skipped), EBX, EDX, ECX, EAX */
	for (int r = R_RDI; r >= R_RAX; r--) {
		v[r] = tg_read(c, S_SS, sp, osz);
		sp = (sp + osz) & m;
	}
	for (int r = R_RAX; r <= R_RDI; r++)
		if (r != R_RSP)
			tg_set_reg(c, d, r, osz, v[r]);
	set_sp(c, sa, sp);
	tg_advance(c, d);
}

/* ---- ENTER imm16, imm8 [SDM ENTER] ----
 * Push the frame pointer; for nesting level L > 0 copy L-1 frame pointers
 * from the caller's display (read through rBP with the stack-address
 * size, stepping by the operand size) and push the new frame pointer;
 * then the frame pointer becomes the stacked value's address and the
 * stack pointer drops by the allocation size. The final stack pointer is
 * checked for a write (the SDM's #PF "if a write using the final value of
 * the stack pointer would cause a page fault", and #SS for the limit)
 * without storing anything. Nothing is committed before the last check. */
static void enter(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz, sa = tg_stack_asz(c);
	uint64_t m = sp_mask(sa);
	unsigned level = d->imm2 & 31;
	uint16_t alloc = (uint16_t)d->imm;
	uint64_t sp = c->gpr[R_RSP] & m;
	uint64_t bp = c->gpr[R_RBP] & m;

	sp = (sp - osz) & m;
	tg_write(c, S_SS, sp, osz, c->gpr[R_RBP]);
	/* FrameTemp is rSP after that push, as a register value (a 16-bit
	 * stack keeps ESP[31:16]). */
	uint64_t frame = sa == 2 ? (c->gpr[R_RSP] & ~0xffffull) | sp : sp;
	if (level > 0) {
		for (unsigned i = 1; i < level; i++) {
			bp = (bp - osz) & m;
			uint64_t v = tg_read(c, S_SS, bp, osz);
			sp = (sp - osz) & m;
			tg_write(c, S_SS, sp, osz, v);
		}
		sp = (sp - osz) & m;
		tg_write(c, S_SS, sp, osz, frame);
	}
	sp = (sp - alloc) & m;
	uint64_t lin = tg_seg_linear(c, S_SS, sp, osz, ACC_W);
	tg_lin_ptr(c, lin, 1, ACC_W);
	if (((lin + osz - 1) & ~0xfffull) != (lin & ~0xfffull))
		tg_lin_ptr(c, lin + osz - 1, 1, ACC_W);

	tg_set_reg(c, d, R_RBP, osz, frame);
	set_sp(c, sa, sp);
	tg_advance(c, d);
}

/* ---- LEAVE: rSP <- rBP (stack-address size), then pop rBP (operand
 * size) [SDM LEAVE]. ---- */
static void leave(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz, sa = tg_stack_asz(c);
	uint64_t m = sp_mask(sa);
	uint64_t sp = c->gpr[R_RBP] & m;
	uint64_t v = tg_read(c, S_SS, sp, osz);
	set_sp(c, sa, sp + osz);
	tg_set_reg(c, d, R_RBP, osz, v);
	tg_advance(c, d);
}

static void leave64(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t sp = c->gpr[R_RBP];
	uint64_t v = tg_read64(c, S_SS, sp);
	c->gpr[R_RSP] = sp + 8;
	c->gpr[R_RBP] = v;
	c->rip += d->len;
}

tg_handler tg_sel_stack(struct tg_insn *d)
{
	switch (d->opc) {
	case 0x50 ... 0x57:
		return d->osz == 8 ? push_r64 : push_r;
	case 0x58 ... 0x5f:
		return d->osz == 8 ? pop_r64 : pop_r;
	case 0x60:
		return pusha;
	case 0x61:
		return popa;
	case 0x68: case 0x6a:
		return d->osz == 8 ? push_imm64 : push_imm;
	case 0x8f:
		/* Only /0 is POP (the rest is AMD's XOP escape) [SDM App. A]. */
		if (d->reg != 0)
			return tg_op_ud;
		return d->mod == 3 ? pop_r : pop_rm;
	case 0xc8:
		return enter;
	case 0xc9:
		return d->osz == 8 ? leave64 : leave;
	case 0xff:
		return push_rm;
	}
	return 0;
}
