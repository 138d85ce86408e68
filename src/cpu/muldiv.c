/* MUL/IMUL/DIV/IDIV (F6/F7 /4-/7) and the two- and three-operand IMUL
 * (0F AF, 69, 6B) [SDM Vol. 2 MUL, IMUL, DIV, IDIV].
 *
 * Flags the SDM leaves undefined follow the host CPU (AMD family 19h),
 * measured by tests/test_alu_oracle.c:
 *   - MUL/IMUL (all forms): only CF and OF change; SF ZF AF PF keep their
 *     values.
 *   - DIV/IDIV: CF and OF keep their values, AF = 1, SF = ZF = PF = 0. */
#include "ops.h"

tg_handler tg_sel_alu_muldiv(struct tg_insn *d);

/* CF = OF = `ovf`, the other flags untouched. */
static inline void mul_flags(struct vcpu *c, bool ovf)
{
	tg_flags_explicit(c);
	c->lf.aux = (c->lf.aux & ~(uint64_t)(F_CF | F_OF)) |
		    (ovf ? F_CF | F_OF : 0);
}

/* DIV/IDIV: AF = 1, SF = ZF = PF = 0 (res 1: not zero, positive, odd
 * parity), CF and OF kept. */
static inline void div_flags(struct vcpu *c)
{
	tg_flags_explicit(c);
	uint64_t keep = c->lf.aux & (F_CF | F_OF);
	c->lf.res = 1;
	c->lf.aux = keep | F_AF;
}

static inline uint64_t src_operand(struct vcpu *c, const struct tg_insn *d,
				   unsigned sz)
{
	return tg_rm_read(c, d, sz);
}

static void op_mul(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t b = src_operand(c, d, sz), a = c->gpr[R_RAX];
	switch (sz) {
	case 1: {
		uint16_t r = (uint16_t)((uint8_t)a * b);
		c->gpr[R_RAX] = (a & ~0xffffull) | r;
		mul_flags(c, r >> 8);
		break;
	}
	case 2: {
		uint32_t r = (uint32_t)((uint16_t)a * b);
		c->gpr[R_RAX] = (a & ~0xffffull) | (uint16_t)r;
		c->gpr[R_RDX] = (c->gpr[R_RDX] & ~0xffffull) | (r >> 16);
		mul_flags(c, r >> 16);
		break;
	}
	case 4: {
		uint64_t r = (uint32_t)a * b;
		c->gpr[R_RAX] = (uint32_t)r;
		c->gpr[R_RDX] = r >> 32;
		mul_flags(c, r >> 32);
		break;
	}
	default: {
		unsigned __int128 r = (unsigned __int128)a * b;
		c->gpr[R_RAX] = (uint64_t)r;
		c->gpr[R_RDX] = (uint64_t)(r >> 64);
		mul_flags(c, (uint64_t)(r >> 64) != 0);
		break;
	}
	}
	tg_advance(c, d);
}

/* One-operand IMUL: CF = OF = the product does not fit the low half. */
static void op_imul1(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	int64_t b = tg_sext(src_operand(c, d, sz), sz);
	uint64_t a = c->gpr[R_RAX];
	switch (sz) {
	case 1: {
		int16_t r = (int16_t)((int8_t)a * b);
		c->gpr[R_RAX] = (a & ~0xffffull) | (uint16_t)r;
		mul_flags(c, r != (int8_t)r);
		break;
	}
	case 2: {
		int32_t r = (int32_t)((int16_t)a * b);
		c->gpr[R_RAX] = (a & ~0xffffull) | (uint16_t)r;
		c->gpr[R_RDX] = (c->gpr[R_RDX] & ~0xffffull) | (uint16_t)((uint32_t)r >> 16);
		mul_flags(c, r != (int16_t)r);
		break;
	}
	case 4: {
		int64_t r = (int64_t)(int32_t)a * b;
		c->gpr[R_RAX] = (uint32_t)r;
		c->gpr[R_RDX] = (uint32_t)((uint64_t)r >> 32);
		mul_flags(c, r != (int32_t)r);
		break;
	}
	default: {
		__int128 r = (__int128)(int64_t)a * b;
		c->gpr[R_RAX] = (uint64_t)r;
		c->gpr[R_RDX] = (uint64_t)((unsigned __int128)r >> 64);
		mul_flags(c, r != (int64_t)r);
		break;
	}
	}
	tg_advance(c, d);
}

/* Truncating signed multiply for the two- and three-operand forms. */
static inline uint64_t imul_trunc(struct vcpu *c, int64_t a, int64_t b,
				  unsigned sz)
{
	__int128 r = (__int128)a * b;
	mul_flags(c, r != tg_sext((uint64_t)r, sz));
	return (uint64_t)r;
}

/* IMUL Gv, Ev (0F AF) */
static void op_imul2(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	int64_t b = tg_sext(src_operand(c, d, sz), sz);
	int64_t a = tg_sext(tg_get_reg(c, d, d->reg, sz), sz);
	tg_set_reg(c, d, d->reg, sz, imul_trunc(c, a, b, sz));
	tg_advance(c, d);
}

/* IMUL Gv, Ev, Iz/Ib (69, 6B): the decoder sign-extended the immediate */
static void op_imul3(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	int64_t a = tg_sext(src_operand(c, d, sz), sz);
	int64_t b = tg_sext(d->imm, sz);
	tg_set_reg(c, d, d->reg, sz, imul_trunc(c, a, b, sz));
	tg_advance(c, d);
}

/* Hot two-operand register forms. */
static void op_imul2_r4(struct vcpu *c, const struct tg_insn *d)
{
	int64_t r = (int64_t)(int32_t)c->gpr[d->reg] * (int32_t)c->gpr[d->rm];
	c->gpr[d->reg] = (uint32_t)r;
	mul_flags(c, r != (int32_t)r);
	tg_advance(c, d);
}
static void op_imul2_r8(struct vcpu *c, const struct tg_insn *d)
{
	int64_t r;
	bool ovf = __builtin_mul_overflow((int64_t)c->gpr[d->reg],
					  (int64_t)c->gpr[d->rm], &r);
	c->gpr[d->reg] = (uint64_t)r;
	mul_flags(c, ovf);
	tg_advance(c, d);
}

/* DIV: #DE for a zero divisor or a quotient too wide for the destination;
 * registers are written only after both checks [SDM Vol. 2 DIV]. */
static void op_div(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t b = src_operand(c, d, sz);
	if (b == 0)
		tg_raise_de(c);
	uint64_t a = c->gpr[R_RAX], dx = c->gpr[R_RDX];
	switch (sz) {
	case 1: {
		uint16_t n = (uint16_t)a;
		uint16_t q = n / (uint16_t)b, r = n % (uint16_t)b;
		if (q > 0xff)
			tg_raise_de(c);
		c->gpr[R_RAX] = (a & ~0xffffull) | (uint16_t)(r << 8 | q);
		break;
	}
	case 2: {
		uint32_t n = (uint32_t)(uint16_t)dx << 16 | (uint16_t)a;
		uint32_t q = n / (uint32_t)b, r = n % (uint32_t)b;
		if (q > 0xffff)
			tg_raise_de(c);
		c->gpr[R_RAX] = (a & ~0xffffull) | q;
		c->gpr[R_RDX] = (dx & ~0xffffull) | r;
		break;
	}
	case 4: {
		uint64_t n = (uint64_t)(uint32_t)dx << 32 | (uint32_t)a;
		uint64_t q = n / b, r = n % b;
		if (q > 0xffffffffull)
			tg_raise_de(c);
		c->gpr[R_RAX] = q;
		c->gpr[R_RDX] = r;
		break;
	}
	default: {
		/* the quotient fits 64 bits exactly when RDX < divisor */
		if (dx >= b)
			tg_raise_de(c);
		unsigned __int128 n = (unsigned __int128)dx << 64 | a;
		c->gpr[R_RAX] = (uint64_t)(n / b);
		c->gpr[R_RDX] = (uint64_t)(n % b);
		break;
	}
	}
	div_flags(c);
	tg_advance(c, d);
}

/* IDIV: the quotient must fit the signed destination; IDIV of the most
 * negative dividend by -1 overflows (#DE) [SDM Vol. 2 IDIV]. The remainder
 * has the sign of the dividend (C's truncating division). */
static void op_idiv(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	int64_t b = tg_sext(src_operand(c, d, sz), sz);
	if (b == 0)
		tg_raise_de(c);
	uint64_t a = c->gpr[R_RAX], dx = c->gpr[R_RDX];
	switch (sz) {
	case 1: {
		int32_t n = (int16_t)a, q = n / b, r = n % b;
		if (q != (int8_t)q)
			tg_raise_de(c);
		c->gpr[R_RAX] = (a & ~0xffffull) | (uint16_t)((uint8_t)r << 8 | (uint8_t)q);
		break;
	}
	case 2: {
		int32_t n = (int32_t)((uint32_t)(uint16_t)dx << 16 | (uint16_t)a);
		int64_t q = (int64_t)n / b, r = (int64_t)n % b;
		if (q != (int16_t)q)
			tg_raise_de(c);
		c->gpr[R_RAX] = (a & ~0xffffull) | (uint16_t)q;
		c->gpr[R_RDX] = (dx & ~0xffffull) | (uint16_t)r;
		break;
	}
	case 4: {
		int64_t n = (int64_t)((uint64_t)(uint32_t)dx << 32 | (uint32_t)a);
		/* INT64_MIN / -1 cannot occur: n fits 64 bits and |b| <= 2^31 */
		if (n == INT64_MIN && b == -1)
			tg_raise_de(c);
		int64_t q = n / b, r = n % b;
		if (q != (int32_t)q)
			tg_raise_de(c);
		c->gpr[R_RAX] = (uint32_t)q;
		c->gpr[R_RDX] = (uint32_t)r;
		break;
	}
	default: {
		__int128 n = (__int128)((unsigned __int128)dx << 64 | a);
		/* 128-bit INT_MIN / -1 would overflow in C; its quotient does
		 * not fit 64 bits anyway */
		if (b == -1) {
			/* q = -n fits when n is in [-(2^63 - 1), 2^63] */
			if (n < -(__int128)INT64_MAX || n > ((__int128)1 << 63))
				tg_raise_de(c);
			c->gpr[R_RAX] = (uint64_t)-n;
			c->gpr[R_RDX] = 0;
			break;
		}
		__int128 q = n / b, r = n % b;
		if (q < (__int128)INT64_MIN || q > (__int128)INT64_MAX)
			tg_raise_de(c);
		c->gpr[R_RAX] = (uint64_t)q;
		c->gpr[R_RDX] = (uint64_t)r;
		break;
	}
	}
	div_flags(c);
	tg_advance(c, d);
}

tg_handler tg_sel_alu_muldiv(struct tg_insn *d)
{
	if (d->map == 1) /* 0F AF */
		return d->mod == 3 && d->osz == 4 ? op_imul2_r4 :
		       d->mod == 3 && d->osz == 8 ? op_imul2_r8 : op_imul2;
	switch (d->opc) {
	case 0x69: case 0x6b:
		return op_imul3;
	}
	switch (d->reg & 7) {
	case 4: return op_mul;
	case 5: return op_imul1;
	case 6: return op_div;
	default: return op_idiv;
	}
}
