/* Integer ALU: the eight classic binary operations, TEST, INC/DEC, NOT/NEG,
 * SETcc/CMOVcc, MOVZX/MOVSX/MOVSXD, CBW/CWD families, LAHF/SAHF, the flag
 * instructions, XADD, CMPXCHG/CMPXCHG8B/16B, the BCD adjustments and SALC.
 * Shifts live in shift.c, multiply/divide in muldiv.c, bit operations in
 * bitops.c; tg_sel_alu() routes to them.
 *
 * Hot forms get one handler per operation, size and operand shape, built
 * from always-inlined templates so the operation and size are constants
 * and no handler switches on the opcode at run time.
 *
 * Ordering rule for every handler: compute, do the last memory access, and
 * only then commit flags and registers. A memory access may fault (longjmp)
 * or exit to the VMM for MMIO and re-execute the instruction from the start,
 * so nothing architectural may change before it. */
#include "ops.h"

#define INLINE static inline __attribute__((always_inline))

/* Sub-selectors in the other ALU files. */
tg_handler tg_sel_alu_shift(struct tg_insn *d);
tg_handler tg_sel_alu_muldiv(struct tg_insn *d);
tg_handler tg_sel_alu_bitops(struct tg_insn *d);

/* 0..3 for operand sizes 1, 2, 4, 8 */
static inline unsigned szi(unsigned osz)
{
	return osz == 1 ? 0 : osz == 2 ? 1 : osz == 4 ? 2 : 3;
}

/* Replace the arithmetic flags selected by `mask` with `val`, keeping the
 * others (instructions that define only some flags and leave the rest
 * unchanged). */
static inline void set_flags_masked(struct vcpu *c, uint64_t mask, uint64_t val)
{
	uint64_t f = tg_arith_flags(c);
	tg_set_arith_flags(c, (f & ~mask) | (val & mask));
}

/* ------------------------------------------------------------------ */
/* ADD OR ADC SBB AND SUB XOR CMP (opcode row order) and TEST          */
/* ------------------------------------------------------------------ */

enum { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP, A_TEST };

INLINE uint64_t alu_result(const struct vcpu *c, int op, uint64_t a, uint64_t b)
{
	switch (op) {
	case A_ADD: return a + b;
	case A_OR: return a | b;
	case A_ADC: return a + b + tg_cf(c);
	case A_SBB: return a - b - tg_cf(c);
	case A_AND: case A_TEST: return a & b;
	case A_XOR: return a ^ b;
	default: return a - b; /* SUB, CMP */
	}
}

/* The carry/borrow vectors in flags.h include the carry-in, so ADC and SBB
 * share the ADD and SUB flag rules [SDM Vol. 2 ADC, SBB]. */
INLINE void alu_flags(struct vcpu *c, int op, uint64_t a, uint64_t b,
		      uint64_t r, unsigned sz)
{
	switch (op) {
	case A_ADD: tg_flags_add(c, a, b, r, sz); break;
	case A_ADC: tg_flags_adc(c, a, b, r, sz); break;
	case A_SBB: tg_flags_sbb(c, a, b, r, sz); break;
	case A_OR: case A_AND: case A_XOR: case A_TEST:
		tg_flags_logic(c, r, sz); break;
	default: tg_flags_sub(c, a, b, r, sz); break;
	}
}

INLINE bool alu_writes(int op)
{
	return op != A_CMP && op != A_TEST;
}

/* r/m register <- r/m register op reg (00, 01, ... 84, 85 with mod=3) */
INLINE void alu_eg_r(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	uint64_t a = tg_get_reg(c, d, d->rm, sz), b = tg_get_reg(c, d, d->reg, sz);
	uint64_t r = alu_result(c, op, a, b);
	alu_flags(c, op, a, b, r, sz);
	if (alu_writes(op))
		tg_set_reg(c, d, d->rm, sz, r);
	tg_advance(c, d);
}

/* memory <- memory op reg. A LOCKed form is the same read-modify-write:
 * the model has a single vCPU, so atomicity is free. */
INLINE void alu_eg_m(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	struct tg_rmw h;
	uint64_t ea = tg_ea(c, d), a;
	if (alu_writes(op))
		a = tg_rmw_read(c, d->seg, ea, sz, &h);
	else
		a = tg_read(c, d->seg, ea, sz);
	uint64_t b = tg_get_reg(c, d, d->reg, sz);
	uint64_t r = alu_result(c, op, a, b);
	if (alu_writes(op))
		tg_rmw_write(c, &h, r);
	alu_flags(c, op, a, b, r, sz);
	tg_advance(c, d);
}

/* reg <- reg op r/m register (02, 03, ... with mod=3) */
INLINE void alu_ge_r(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	uint64_t a = tg_get_reg(c, d, d->reg, sz), b = tg_get_reg(c, d, d->rm, sz);
	uint64_t r = alu_result(c, op, a, b);
	alu_flags(c, op, a, b, r, sz);
	if (alu_writes(op))
		tg_set_reg(c, d, d->reg, sz, r);
	tg_advance(c, d);
}

/* reg <- reg op memory */
INLINE void alu_ge_m(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	uint64_t b = tg_read(c, d->seg, tg_ea(c, d), sz);
	uint64_t a = tg_get_reg(c, d, d->reg, sz);
	uint64_t r = alu_result(c, op, a, b);
	alu_flags(c, op, a, b, r, sz);
	if (alu_writes(op))
		tg_set_reg(c, d, d->reg, sz, r);
	tg_advance(c, d);
}

/* r/m register <- r/m register op imm (80, 81, 83, F6/F7 /0) */
INLINE void alu_ei_r(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	uint64_t a = tg_get_reg(c, d, d->rm, sz), b = d->imm & tg_mask(sz);
	uint64_t r = alu_result(c, op, a, b);
	alu_flags(c, op, a, b, r, sz);
	if (alu_writes(op))
		tg_set_reg(c, d, d->rm, sz, r);
	tg_advance(c, d);
}

/* memory <- memory op imm */
INLINE void alu_ei_m(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	struct tg_rmw h;
	uint64_t ea = tg_ea(c, d), a;
	if (alu_writes(op))
		a = tg_rmw_read(c, d->seg, ea, sz, &h);
	else
		a = tg_read(c, d->seg, ea, sz);
	uint64_t b = d->imm & tg_mask(sz);
	uint64_t r = alu_result(c, op, a, b);
	if (alu_writes(op))
		tg_rmw_write(c, &h, r);
	alu_flags(c, op, a, b, r, sz);
	tg_advance(c, d);
}

/* AL/AX/EAX/RAX <- acc op imm (04, 05, ... A8, A9): the register is always
 * number 0 (AL even with REX), not the one in the opcode's low bits. */
INLINE void alu_ai(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	uint64_t a = c->gpr[R_RAX] & tg_mask(sz), b = d->imm & tg_mask(sz);
	uint64_t r = alu_result(c, op, a, b);
	alu_flags(c, op, a, b, r, sz);
	if (alu_writes(op)) {
		switch (sz) {
		case 1: c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffull) | (uint8_t)r; break;
		case 2: c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffffull) | (uint16_t)r; break;
		case 4: c->gpr[R_RAX] = (uint32_t)r; break;
		default: c->gpr[R_RAX] = r; break;
		}
	}
	tg_advance(c, d);
}

#define ALU_H(form, op, sz)                                                   \
	static void h_##form##_##op##_##sz(struct vcpu *c, const struct tg_insn *d) \
	{                                                                     \
		alu_##form(c, d, op, sz);                                     \
		TG_NEXT(c, d);                                                \
	}
#define ALU_H_SIZES(form, op) \
	ALU_H(form, op, 1) ALU_H(form, op, 2) ALU_H(form, op, 4) ALU_H(form, op, 8)
#define ALU_H_OPS(form)                                                        \
	ALU_H_SIZES(form, 0) ALU_H_SIZES(form, 1) ALU_H_SIZES(form, 2)        \
	ALU_H_SIZES(form, 3) ALU_H_SIZES(form, 4) ALU_H_SIZES(form, 5)        \
	ALU_H_SIZES(form, 6) ALU_H_SIZES(form, 7) ALU_H_SIZES(form, 8)
ALU_H_OPS(eg_r)
ALU_H_OPS(eg_m)
ALU_H_OPS(ge_r)
ALU_H_OPS(ge_m)
ALU_H_OPS(ei_r)
ALU_H_OPS(ei_m)
ALU_H_OPS(ai)

#define ALU_ROW(form, op) \
	{ h_##form##_##op##_1, h_##form##_##op##_2, h_##form##_##op##_4, h_##form##_##op##_8 }
#define ALU_TAB(form)                                                         \
	static const tg_handler tab_##form[9][4] = {                          \
		ALU_ROW(form, 0), ALU_ROW(form, 1), ALU_ROW(form, 2),         \
		ALU_ROW(form, 3), ALU_ROW(form, 4), ALU_ROW(form, 5),         \
		ALU_ROW(form, 6), ALU_ROW(form, 7), ALU_ROW(form, 8) };
ALU_TAB(eg_r)
ALU_TAB(eg_m)
ALU_TAB(ge_r)
ALU_TAB(ge_m)
ALU_TAB(ei_r)
ALU_TAB(ei_m)
ALU_TAB(ai)

/* ------------------------------------------------------------------ */
/* INC / DEC: like ADD/SUB 1 but CF is preserved [SDM Vol. 2 INC, DEC] */
/* ------------------------------------------------------------------ */

INLINE void incdec_flags(struct vcpu *c, bool dec, uint64_t a, uint64_t r,
			 unsigned sz)
{
	(void)a;
	if (dec)
		tg_flags_dec(c, r, sz);
	else
		tg_flags_inc(c, r, sz);
}

/* register in d->rm: FE/FF /0 /1 with mod=3, and 40-4F (outside 64-bit
 * mode, where the decoder put the register in rm) */
INLINE void incdec_r(struct vcpu *c, const struct tg_insn *d, bool dec, unsigned sz)
{
	uint64_t a = tg_get_reg(c, d, d->rm, sz);
	uint64_t r = dec ? a - 1 : a + 1;
	incdec_flags(c, dec, a, r, sz);
	tg_set_reg(c, d, d->rm, sz, r);
	tg_advance(c, d);
}

INLINE void incdec_m(struct vcpu *c, const struct tg_insn *d, bool dec, unsigned sz)
{
	struct tg_rmw h;
	uint64_t a = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
	uint64_t r = dec ? a - 1 : a + 1;
	tg_rmw_write(c, &h, r);
	incdec_flags(c, dec, a, r, sz);
	tg_advance(c, d);
}

#define INCDEC_H(form, dec, sz)                                                \
	static void h_incdec_##form##_##dec##_##sz(struct vcpu *c,            \
						   const struct tg_insn *d)   \
	{                                                                      \
		incdec_##form(c, d, dec, sz);                                  \
		TG_NEXT(c, d);                                                 \
	}
#define INCDEC_H_SIZES(form, dec) \
	INCDEC_H(form, dec, 1) INCDEC_H(form, dec, 2) INCDEC_H(form, dec, 4) INCDEC_H(form, dec, 8)
INCDEC_H_SIZES(r, 0)
INCDEC_H_SIZES(r, 1)
INCDEC_H_SIZES(m, 0)
INCDEC_H_SIZES(m, 1)
static const tg_handler tab_incdec[2][2][4] = {
	{ { h_incdec_r_0_1, h_incdec_r_0_2, h_incdec_r_0_4, h_incdec_r_0_8 },
	  { h_incdec_r_1_1, h_incdec_r_1_2, h_incdec_r_1_4, h_incdec_r_1_8 } },
	{ { h_incdec_m_0_1, h_incdec_m_0_2, h_incdec_m_0_4, h_incdec_m_0_8 },
	  { h_incdec_m_1_1, h_incdec_m_1_2, h_incdec_m_1_4, h_incdec_m_1_8 } },
};

/* ------------------------------------------------------------------ */
/* NOT / NEG (F6/F7 /2 /3)                                              */
/* ------------------------------------------------------------------ */

/* NOT changes no flags [SDM Vol. 2 NOT]. */
static void op_not(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	if (d->mod == 3) {
		tg_set_reg(c, d, d->rm, sz, ~tg_get_reg(c, d, d->rm, sz));
	} else {
		struct tg_rmw h;
		uint64_t a = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
		tg_rmw_write(c, &h, ~a);
	}
	tg_advance(c, d);
}

/* NEG: flags of 0 - src; CF = (src != 0) falls out of the borrow vector
 * [SDM Vol. 2 NEG]. */
static void op_neg(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t a, r;
	if (d->mod == 3) {
		a = tg_get_reg(c, d, d->rm, sz);
		r = 0 - a;
		tg_set_reg(c, d, d->rm, sz, r);
	} else {
		struct tg_rmw h;
		a = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
		r = 0 - a;
		tg_rmw_write(c, &h, r);
	}
	tg_flags_sub(c, 0, a, r, sz);
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* SETcc / CMOVcc                                                       */
/* ------------------------------------------------------------------ */

/* One handler per condition (and size), so the condition test is a
 * constant expression and no handler switches on the opcode. */
INLINE void setcc(struct vcpu *c, const struct tg_insn *d, unsigned cc, bool mem)
{
	if (mem)
		tg_write8(c, d->seg, tg_ea(c, d), tg_cond(c, cc));
	else
		tg_set_reg8(c, d, d->rm, tg_cond(c, cc));
	tg_advance(c, d);
}

/* CMOVcc: the source is read whatever the condition (a memory source can
 * fault even when no move happens), and the 32-bit form writes (zero-
 * extends) the destination even when the condition is false [SDM Vol. 2
 * CMOVcc; SDM Vol. 1 3.4.1.1]. */
INLINE void cmov(struct vcpu *c, const struct tg_insn *d, unsigned cc,
		 unsigned sz, bool mem)
{
	uint64_t v = mem ? tg_read(c, d->seg, tg_ea(c, d), sz)
			 : tg_get_reg(c, d, d->rm, sz);
	if (tg_cond(c, cc))
		tg_set_reg(c, d, d->reg, sz, v);
	else if (sz == 4)
		c->gpr[d->reg] = (uint32_t)c->gpr[d->reg];
	tg_advance(c, d);
}

#define CC_H(cc)                                                                     \
	static void op_setcc_r_##cc(struct vcpu *c, const struct tg_insn *d) { setcc(c, d, cc, false); } \
	static void op_setcc_m_##cc(struct vcpu *c, const struct tg_insn *d) { setcc(c, d, cc, true); }  \
	static void op_cmov_r2_##cc(struct vcpu *c, const struct tg_insn *d) { cmov(c, d, cc, 2, false); } \
	static void op_cmov_r4_##cc(struct vcpu *c, const struct tg_insn *d) { cmov(c, d, cc, 4, false); } \
	static void op_cmov_r8_##cc(struct vcpu *c, const struct tg_insn *d) { cmov(c, d, cc, 8, false); } \
	static void op_cmov_m2_##cc(struct vcpu *c, const struct tg_insn *d) { cmov(c, d, cc, 2, true); }  \
	static void op_cmov_m4_##cc(struct vcpu *c, const struct tg_insn *d) { cmov(c, d, cc, 4, true); }  \
	static void op_cmov_m8_##cc(struct vcpu *c, const struct tg_insn *d) { cmov(c, d, cc, 8, true); }
CC_H(0) CC_H(1) CC_H(2) CC_H(3) CC_H(4) CC_H(5) CC_H(6) CC_H(7)
CC_H(8) CC_H(9) CC_H(10) CC_H(11) CC_H(12) CC_H(13) CC_H(14) CC_H(15)

/* [form][cc]: setcc r, setcc m, cmov r2 r4 r8, cmov m2 m4 m8 */
#define CC_ROW(f) { op_##f##_0, op_##f##_1, op_##f##_2, op_##f##_3, op_##f##_4, \
	op_##f##_5, op_##f##_6, op_##f##_7, op_##f##_8, op_##f##_9, op_##f##_10,      \
	op_##f##_11, op_##f##_12, op_##f##_13, op_##f##_14, op_##f##_15 }
static const tg_handler tab_cc[8][16] = {
	CC_ROW(setcc_r), CC_ROW(setcc_m), CC_ROW(cmov_r2), CC_ROW(cmov_r4),
	CC_ROW(cmov_r8), CC_ROW(cmov_m2), CC_ROW(cmov_m4), CC_ROW(cmov_m8),
};

/* ------------------------------------------------------------------ */
/* MOVZX / MOVSX / MOVSXD                                               */
/* ------------------------------------------------------------------ */

/* src: 1 or 2 bytes (0F B6/B7/BE/BF), 4 for MOVSXD */
INLINE void movx(struct vcpu *c, const struct tg_insn *d, unsigned src,
		 bool sx, unsigned dsz, bool mem)
{
	uint64_t v = mem ? tg_read(c, d->seg, tg_ea(c, d), src)
			 : tg_get_reg(c, d, d->rm, src);
	if (sx)
		v = (uint64_t)tg_sext(v, src);
	tg_set_reg(c, d, d->reg, dsz, v);
	tg_advance(c, d);
}
#define MOVX_H(name, src, sx, dsz)                                               \
	static void op_##name##_r##dsz(struct vcpu *c, const struct tg_insn *d) \
	{ movx(c, d, src, sx, dsz, false); }                                     \
	static void op_##name##_m##dsz(struct vcpu *c, const struct tg_insn *d) \
	{ movx(c, d, src, sx, dsz, true); }
MOVX_H(movzxb, 1, false, 2) MOVX_H(movzxb, 1, false, 4) MOVX_H(movzxb, 1, false, 8)
MOVX_H(movzxw, 2, false, 2) MOVX_H(movzxw, 2, false, 4) MOVX_H(movzxw, 2, false, 8)
MOVX_H(movsxb, 1, true, 2) MOVX_H(movsxb, 1, true, 4) MOVX_H(movsxb, 1, true, 8)
MOVX_H(movsxw, 2, true, 2) MOVX_H(movsxw, 2, true, 4) MOVX_H(movsxw, 2, true, 8)
/* MOVSXD: REX.W sign-extends a doubleword; without REX.W it moves the
 * operand size (32: zero-extending like any 32-bit write; 16: a word)
 * [SDM Vol. 2 MOVSX/MOVSXD]. */
MOVX_H(movsxd, 4, true, 8)
MOVX_H(movsxd, 4, false, 4)
MOVX_H(movsxd, 2, false, 2)

static const tg_handler tab_movx[4][2][3] = {
	{ { op_movzxb_r2, op_movzxb_r4, op_movzxb_r8 }, { op_movzxb_m2, op_movzxb_m4, op_movzxb_m8 } },
	{ { op_movzxw_r2, op_movzxw_r4, op_movzxw_r8 }, { op_movzxw_m2, op_movzxw_m4, op_movzxw_m8 } },
	{ { op_movsxb_r2, op_movsxb_r4, op_movsxb_r8 }, { op_movsxb_m2, op_movsxb_m4, op_movsxb_m8 } },
	{ { op_movsxw_r2, op_movsxw_r4, op_movsxw_r8 }, { op_movsxw_m2, op_movsxw_m4, op_movsxw_m8 } },
};

/* 63 /r with a register operand and 32-bit addressing, no REX: MOVSXD in
 * 64-bit mode (with a 67 prefix), ARPL in 32-bit mode. */
static void op_63_by_mode(struct vcpu *c, const struct tg_insn *d)
{
	if (c->mode == MODE_LONG64) {
		if (d->osz == 4)
			op_movsxd_r4(c, d);
		else
			op_movsxd_r2(c, d);
		return;
	}
	struct tg_insn x = *d;
	tg_handler h = tg_sel_sys(&x);
	if (!h)
		tg_exit_unimplemented(c, d);
	h(c, &x);
}

/* ------------------------------------------------------------------ */
/* CBW/CWDE/CDQE, CWD/CDQ/CQO                                          */
/* ------------------------------------------------------------------ */

static void op_cbw(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t *a = &c->gpr[R_RAX];
	switch (d->osz) {
	case 2: *a = (*a & ~0xffffull) | (uint16_t)(int8_t)*a; break;
	case 4: *a = (uint32_t)(int16_t)*a; break;
	default: *a = (uint64_t)(int32_t)*a; break;
	}
	tg_advance(c, d);
}

static void op_cwd(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t a = c->gpr[R_RAX];
	unsigned sz = d->osz;
	uint64_t sign = (a >> (sz * 8 - 1)) & 1;
	tg_set_reg(c, d, R_RDX, sz, sign ? ~0ull : 0);
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* LAHF / SAHF and the flag instructions                               */
/* ------------------------------------------------------------------ */

/* AH <- SF:ZF:0:AF:0:PF:1:CF [SDM Vol. 2 LAHF]. */
static void op_lahf(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t f = (tg_arith_flags(c) & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | F_FIXED1;
	c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xff00ull) | f << 8;
	tg_advance(c, d);
}

/* SF ZF AF PF CF <- AH; OF is not touched [SDM Vol. 2 SAHF]. */
static void op_sahf(struct vcpu *c, const struct tg_insn *d)
{
	set_flags_masked(c, F_SF | F_ZF | F_AF | F_PF | F_CF,
			 (c->gpr[R_RAX] >> 8) & 0xff);
	tg_advance(c, d);
}

/* CF is stored directly in lf.aux (flags.h), so these touch nothing else. */
static void op_cmc(struct vcpu *c, const struct tg_insn *d)
{
	tg_flags_explicit(c);
	c->lf.aux ^= F_CF;
	tg_advance(c, d);
}
static void op_clc(struct vcpu *c, const struct tg_insn *d)
{
	tg_flags_explicit(c);
	c->lf.aux &= ~(uint64_t)F_CF;
	tg_advance(c, d);
}
static void op_stc(struct vcpu *c, const struct tg_insn *d)
{
	tg_flags_explicit(c);
	c->lf.aux |= F_CF;
	tg_advance(c, d);
}
static void op_cld(struct vcpu *c, const struct tg_insn *d)
{
	c->rflags &= ~(uint64_t)F_DF;
	tg_advance(c, d);
}
static void op_std(struct vcpu *c, const struct tg_insn *d)
{
	c->rflags |= F_DF;
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* XADD, CMPXCHG, CMPXCHG8B/16B                                         */
/* ------------------------------------------------------------------ */

/* TEMP <- SRC + DEST; SRC <- DEST; DEST <- TEMP [SDM Vol. 2 XADD]: with the
 * same register as both operands the DEST write comes last and wins. */
static void op_xadd(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t b = tg_get_reg(c, d, d->reg, sz), a, r;
	if (d->mod == 3) {
		a = tg_get_reg(c, d, d->rm, sz);
		r = a + b;
		tg_set_reg(c, d, d->reg, sz, a);
		tg_set_reg(c, d, d->rm, sz, r);
	} else {
		struct tg_rmw h;
		a = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
		r = a + b;
		tg_rmw_write(c, &h, r);
		tg_set_reg(c, d, d->reg, sz, a);
	}
	tg_flags_add(c, a, b, r, sz);
	tg_advance(c, d);
}

/* CMPXCHG [SDM Vol. 2]: flags of CMP accumulator, DEST. Equal: DEST <- SRC.
 * Not equal: accumulator <- DEST; a memory destination is written back
 * with its own value (the write cycle happens either way, so a read-only
 * page faults either way), while a register destination is left alone —
 * a 32-bit one keeps its upper half (host CPU oracle). */
static void op_cmpxchg(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t acc = c->gpr[R_RAX] & tg_mask(sz);
	uint64_t src = tg_get_reg(c, d, d->reg, sz), t;
	if (d->mod == 3) {
		t = tg_get_reg(c, d, d->rm, sz);
		if (acc == t)
			tg_set_reg(c, d, d->rm, sz, src);
	} else {
		struct tg_rmw h;
		t = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
		tg_rmw_write(c, &h, acc == t ? src : t);
	}
	/* the accumulator is AL/AX/EAX/RAX (register 0 is AL even without
	 * REX) */
	if (acc != t)
		tg_set_reg(c, d, R_RAX, sz, t);
	tg_flags_sub(c, acc, t, acc - t, sz);
	tg_advance(c, d);
}

/* CMPXCHG8B/16B m64/m128 [SDM Vol. 2 CMPXCHG8B/CMPXCHG16B]: only ZF is
 * written. CMPXCHG16B needs a 16-byte aligned operand (#GP(0)); the
 * register form is #UD (the selector returns tg_op_ud). */
static void op_cmpxchg8b(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t ea = tg_ea(c, d);
	struct tg_rmw h;
	uint64_t t = tg_rmw_read(c, d->seg, ea, 8, &h);
	uint64_t cmp = (uint32_t)c->gpr[R_RAX] | (uint64_t)(uint32_t)c->gpr[R_RDX] << 32;
	bool eq = t == cmp;
	if (eq)
		tg_rmw_write(c, &h, (uint32_t)c->gpr[R_RBX] |
				    (uint64_t)(uint32_t)c->gpr[R_RCX] << 32);
	else
		tg_rmw_write(c, &h, t);
	if (!eq) {
		c->gpr[R_RAX] = (uint32_t)t;
		c->gpr[R_RDX] = t >> 32;
	}
	set_flags_masked(c, F_ZF, eq ? F_ZF : 0);
	tg_advance(c, d);
}

static void op_cmpxchg16b(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t ea = tg_ea(c, d);
	if (ea & 15)
		tg_raise_gp(c, 0);
	/* Aligned 16 bytes never cross a page: check write access to both
	 * halves before anything is written. */
	struct tg_rmw hl, hh;
	uint64_t lo = tg_rmw_read(c, d->seg, ea, 8, &hl);
	uint64_t hi = tg_rmw_read(c, d->seg, ea + 8, 8, &hh);
	bool eq = lo == c->gpr[R_RAX] && hi == c->gpr[R_RDX];
	tg_rmw_write(c, &hl, eq ? c->gpr[R_RBX] : lo);
	tg_rmw_write(c, &hh, eq ? c->gpr[R_RCX] : hi);
	if (!eq) {
		c->gpr[R_RAX] = lo;
		c->gpr[R_RDX] = hi;
	}
	set_flags_masked(c, F_ZF, eq ? F_ZF : 0);
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* BCD adjustments and SALC (invalid in 64-bit mode: the decoder #UDs)  */
/* ------------------------------------------------------------------ */

static inline void set_al(struct vcpu *c, uint8_t v)
{
	c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffull) | v;
}

/* DAA/DAS [SDM Vol. 2 DAA, DAS]. OF (undefined) is, on the host CPU, the
 * signed overflow of the whole adjustment (0, 06, 60 or 66) added to or
 * subtracted from the original AL (host CPU oracle). */
static void op_daa_das(struct vcpu *c, const struct tg_insn *d)
{
	bool sub = d->opc == 0x2f;
	uint8_t al = (uint8_t)c->gpr[R_RAX], old_al = al, adj = 0;
	bool old_cf = tg_cf(c), cf = false, af = false;
	if ((al & 15) > 9 || tg_af(c)) {
		cf = old_cf || (sub ? al < 6 : al > 0xff - 6);
		al = sub ? al - 6 : al + 6;
		adj = 6;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = sub ? al - 0x60 : al + 0x60;
		adj += 0x60;
		cf = true;
	} else if (!sub) {
		cf = false; /* DAS has no such else branch */
	}
	uint8_t x = sub ? (old_al ^ adj) & (old_al ^ al) : ~(old_al ^ adj) & (old_al ^ al);
	set_al(c, al);
	tg_flags_res(c, al, 1, (cf ? F_CF : 0) | (af ? F_AF : 0) |
			       (uint64_t)(x >> 7) << 11);
	tg_advance(c, d);
}

/* AAA/AAS [SDM Vol. 2 AAA, AAS]: AX +/- 0x106 when adjusting (a carry out
 * of AL reaches AH), then AL &= 0F. The undefined OF SF ZF PF are, on the
 * host CPU, the flags of that 16-bit addition/subtraction (of AX +/- 0
 * when not adjusting), taken before the masking (host CPU oracle). */
static void op_aaa_aas(struct vcpu *c, const struct tg_insn *d)
{
	bool sub = d->opc == 0x3f;
	uint16_t ax = (uint16_t)c->gpr[R_RAX];
	bool adj = (ax & 15) > 9 || tg_af(c);
	uint16_t k = adj ? 0x106 : 0;
	uint16_t r = sub ? (uint16_t)(ax - k) : (uint16_t)(ax + k);
	uint16_t x = sub ? (ax ^ k) & (ax ^ r) : ~(ax ^ k) & (ax ^ r);
	c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffffull) | (r & 0xff0f);
	tg_flags_res(c, r, 2, (adj ? F_CF | F_AF : 0) | (uint64_t)(x >> 15) << 11);
	tg_advance(c, d);
}

static inline void set_ax(struct vcpu *c, uint16_t v)
{
	c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffffull) | v;
}

/* AAM imm8: AH <- AL / imm, AL <- AL mod imm; imm 0 is #DE [SDM Vol. 2
 * AAM]. SF ZF PF from AL; the undefined CF AF OF are 0 on the host CPU. */
static void op_aam(struct vcpu *c, const struct tg_insn *d)
{
	uint8_t base = (uint8_t)d->imm, al = (uint8_t)c->gpr[R_RAX];
	if (base == 0)
		tg_raise_de(c);
	set_ax(c, (uint16_t)((al / base) << 8 | (al % base)));
	tg_flags_res(c, al % base, 1, 0);
	tg_advance(c, d);
}

/* AAD imm8: AL <- AL + AH * imm, AH <- 0 [SDM Vol. 2 AAD]. The undefined
 * CF AF OF are, on the host CPU, those of the byte addition
 * AL + (AH * imm) (host CPU oracle). */
static void op_aad(struct vcpu *c, const struct tg_insn *d)
{
	uint16_t ax = (uint16_t)c->gpr[R_RAX];
	uint8_t al = (uint8_t)ax, b = (uint8_t)((ax >> 8) * (uint8_t)d->imm);
	uint8_t r = (uint8_t)(al + b);
	set_ax(c, r);
	tg_flags_add(c, al, b, r, 1);
	tg_advance(c, d);
}

/* SALC: AL <- CF ? FF : 00, flags untouched (undocumented by Intel, listed
 * by AMD as invalid in 64-bit mode). */
static void op_salc(struct vcpu *c, const struct tg_insn *d)
{
	set_al(c, tg_cf(c) ? 0xff : 0);
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* selector                                                            */
/* ------------------------------------------------------------------ */

static tg_handler sel_map0(struct tg_insn *d)
{
	unsigned opc = d->opc, s = szi(d->osz);
	bool mem = d->mod != 3;

	if (opc < 0x40) {
		unsigned op = opc >> 3;
		switch (opc & 7) {
		case 0: case 1: return mem ? tab_eg_m[op][s] : tab_eg_r[op][s];
		case 2: case 3: return mem ? tab_ge_m[op][s] : tab_ge_r[op][s];
		case 4: case 5: return tab_ai[op][s];
		case 7:
			switch (opc) {
			case 0x27: case 0x2f: return op_daa_das;
			case 0x37: case 0x3f: return op_aaa_aas;
			}
		}
		return 0;
	}
	switch (opc) {
	case 0x40 ... 0x47: /* INC r16/r32 (not 64-bit mode: REX there) */
		return tab_incdec[0][0][s];
	case 0x48 ... 0x4f:
		return tab_incdec[0][1][s];
	case 0x63:
		/* 64-bit mode (REX, 64-bit addressing or operand size prove it):
		 * MOVSXD; outside it ARPL, a system instruction. The decoded
		 * fields cannot tell `67 63 /r` in 64-bit mode from ARPL in
		 * 32-bit mode: that one looks at the mode when it runs. */
		if (d->osz == 8 || d->asz == 8 || d->rex) {
			if (d->osz == 8)
				return mem ? op_movsxd_m8 : op_movsxd_r8;
			if (d->osz == 4)
				return mem ? op_movsxd_m4 : op_movsxd_r4;
			return mem ? op_movsxd_m2 : op_movsxd_r2;
		}
		if (d->asz == 4 && !mem)
			return op_63_by_mode;
		return tg_sel_sys(d);
	case 0x69: case 0x6b:
		return tg_sel_alu_muldiv(d);
	case 0x80: case 0x81: case 0x82: case 0x83:
		return mem ? tab_ei_m[d->reg & 7][s] : tab_ei_r[d->reg & 7][s];
	case 0x84: case 0x85:
		return mem ? tab_eg_m[A_TEST][s] : tab_eg_r[A_TEST][s];
	case 0x98: return op_cbw;
	case 0x99: return op_cwd;
	case 0x9e: return op_sahf;
	case 0x9f: return op_lahf;
	case 0xa8: case 0xa9: return tab_ai[A_TEST][s];
	case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		return tg_sel_alu_shift(d);
	case 0xd4: return op_aam;
	case 0xd5: return op_aad;
	case 0xd6: return op_salc;
	case 0xf5: return op_cmc;
	case 0xf6: case 0xf7:
		switch (d->reg & 7) {
		case 0: case 1: /* TEST r/m, imm (/1 is an alias) */
			return mem ? tab_ei_m[A_TEST][s] : tab_ei_r[A_TEST][s];
		case 2: return op_not;
		case 3: return op_neg;
		default: return tg_sel_alu_muldiv(d);
		}
	case 0xf8: return op_clc;
	case 0xf9: return op_stc;
	case 0xfc: return op_cld;
	case 0xfd: return op_std;
	case 0xfe: case 0xff:
		if ((d->reg & 7) > 1)
			return tg_op_ud;
		return tab_incdec[mem][d->reg & 1][s];
	}
	return 0;
}

static tg_handler sel_map1(struct tg_insn *d)
{
	unsigned opc = d->opc;
	bool mem = d->mod != 3;
	switch (opc) {
	case 0x40 ... 0x4f: {
		unsigned s = d->osz == 2 ? 0 : d->osz == 4 ? 1 : 2;
		return tab_cc[(mem ? 5 : 2) + s][opc & 15];
	}
	case 0x90 ... 0x9f:
		return tab_cc[mem][opc & 15];
	case 0xaf:
		return tg_sel_alu_muldiv(d);
	case 0xa3: case 0xab: case 0xb3: case 0xbb: case 0xba:
	case 0xbc: case 0xbd: case 0xb8: case 0xc8 ... 0xcf:
		return tg_sel_alu_bitops(d);
	case 0xa4: case 0xa5: case 0xac: case 0xad:
		return tg_sel_alu_shift(d);
	case 0xb0: case 0xb1:
		return op_cmpxchg;
	case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
		unsigned k = (opc & 1) | ((opc >> 2) & 2); /* B6 B7 BE BF -> 0 1 2 3 */
		unsigned s = d->osz == 2 ? 0 : d->osz == 4 ? 1 : 2;
		return tab_movx[k][mem][s];
	}
	case 0xc0: case 0xc1:
		return op_xadd;
	case 0xc7:
		if ((d->reg & 7) != 1 || !mem)
			return tg_op_ud;
		return d->osz == 8 ? op_cmpxchg16b : op_cmpxchg8b;
	}
	return 0;
}

tg_handler tg_sel_alu(struct tg_insn *d)
{
	if (d->map == 0)
		return sel_map0(d);
	if (d->map == 1)
		return sel_map1(d);
	return 0;
}
