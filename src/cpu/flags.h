/* Lazy arithmetic flags (see struct tg_lazyflags in vcpu.h).
 * Producers record what the flags depend on; consumers derive the flag
 * they need. Every instruction that writes the six flags goes through the
 * setters here, so the encoding lives in this one file. Code that wants to
 * edit single bits in lf.aux calls tg_flags_explicit() first. */
#ifndef TG_CPU_FLAGS_H
#define TG_CPU_FLAGS_H

#include "vcpu.h"

static inline int64_t tg_sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

static inline uint64_t tg_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* log2 of an operand size in bytes, for LF_* op codes */
static inline uint32_t tg_size_code(unsigned size)
{
	return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

/* PF: even parity of the low byte of the result [SDM 3.4.3.1]. */
static inline unsigned tg_pf_of(uint64_t res)
{
	return !__builtin_parity((unsigned)(res & 0xff));
}

/* CF of a state that is not INC/DEC: ADD carries out iff r < a; SUB
 * borrows iff r > a (unsigned, at the operand size). */
static inline bool tg_lazy_cf_of(uint32_t op, int64_t res, uint64_t src,
				 uint64_t aux)
{
	if (op == LF_EXPLICIT)
		return aux & F_CF;
	uint64_t m = ~0ull >> (64 - (8u << (op & 3)));
	uint64_t r = (uint64_t)res & m, a = src & m;
	return op < LF_SUB ? r < a : r > a;
}

/* CF, AF and OF (as RFLAGS bits) of a lazy state. */
static inline uint64_t tg_lazy_cf_af_of(const struct tg_lazyflags *l)
{
	unsigned bits = 8u << (l->op & 3);
	uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
	uint64_t r = (uint64_t)l->res & m, a = l->src & m, b, cf, of, af;
	switch (l->op & ~3u) {
	case LF_ADD:
		b = (r - a) & m;
		cf = r < a;
		of = ((a ^ r) & (b ^ r)) >> (bits - 1) & 1;
		af = (a ^ b ^ r) >> 4 & 1;
		break;
	case LF_SUB:
		b = (a - r) & m;
		cf = a < b;
		of = ((a ^ b) & (a ^ r)) >> (bits - 1) & 1;
		af = (a ^ b ^ r) >> 4 & 1;
		break;
	case LF_INC:
		cf = tg_lazy_cf_of(l->cf_op, l->cf_res, l->cf_src, l->cf_aux);
		of = r == 1ull << (bits - 1);
		af = (r & 0xf) == 0;
		break;
	case LF_DEC:
		cf = tg_lazy_cf_of(l->cf_op, l->cf_res, l->cf_src, l->cf_aux);
		of = r == (1ull << (bits - 1)) - 1;
		af = (r & 0xf) == 0xf;
		break;
	default:
		return l->aux & (F_CF | F_AF | F_OF);
	}
	return cf | af << 4 | of << 11;
}

/* CF alone: ADD carries out iff r < a; SUB borrows iff r > a (unsigned,
 * at the operand size). */
static inline bool tg_cf(const struct vcpu *c)
{
	const struct tg_lazyflags *l = &c->lf;
	if (l->op >= LF_INC)
		return tg_lazy_cf_of(l->cf_op, l->cf_res, l->cf_src, l->cf_aux);
	return tg_lazy_cf_of(l->op, l->res, l->src, l->aux);
}

/* OF alone: signed overflow of the recorded ADD/SUB/INC/DEC. */
static inline bool tg_of(const struct vcpu *c)
{
	uint32_t op = c->lf.op;
	if (op == LF_EXPLICIT)
		return (c->lf.aux >> 11) & 1;
	unsigned top = (8u << (op & 3)) - 1;
	uint64_t r = (uint64_t)c->lf.res, a = c->lf.src;
	switch (op & ~3u) {
	case LF_ADD: return (((a ^ r) & ((r - a) ^ r)) >> top) & 1;
	case LF_SUB: return (((a ^ (a - r)) & (a ^ r)) >> top) & 1;
	case LF_INC: return (r & (~0ull >> (63 - top))) == 1ull << top;
	default: return (r & (~0ull >> (63 - top))) == (1ull << top) - 1; /* DEC */
	}
}
static inline bool tg_af(const struct vcpu *c)
{
	return (tg_lazy_cf_af_of(&c->lf) >> 4) & 1;
}
static inline bool tg_zf(const struct vcpu *c)
{
	return (c->lf.res == 0) ^ ((c->lf.aux >> 6) & 1);
}
static inline bool tg_sf(const struct vcpu *c)
{
	return ((uint64_t)c->lf.res >> 63) ^ ((c->lf.aux >> 7) & 1);
}
static inline bool tg_pf(const struct vcpu *c)
{
	return tg_pf_of((uint64_t)c->lf.res) ^ ((c->lf.aux >> 2) & 1);
}

/* The six arithmetic flags as RFLAGS bits. */
static inline uint64_t tg_arith_flags(const struct vcpu *c)
{
	uint64_t f = tg_lazy_cf_af_of(&c->lf);
	f |= (uint64_t)tg_zf(c) << 6;
	f |= (uint64_t)tg_sf(c) << 7;
	f |= (uint64_t)tg_pf(c) << 2;
	return f;
}

/* Turn a lazy state into LF_EXPLICIT (same flag values), so aux bits can
 * be edited one by one. */
static inline void tg_flags_explicit(struct vcpu *c)
{
	if (c->lf.op != LF_EXPLICIT) {
		c->lf.aux = tg_lazy_cf_af_of(&c->lf);
		c->lf.op = LF_EXPLICIT;
	}
}

/* Full architectural RFLAGS. */
static inline uint64_t tg_get_rflags(const struct vcpu *c)
{
	return (c->rflags & ~(uint64_t)F_ARITH) | tg_arith_flags(c) | F_FIXED1;
}

/* Install explicit arithmetic flags (POPF, IRET, SAHF, set_regs ...). */
static inline void tg_set_arith_flags(struct vcpu *c, uint64_t f)
{
	c->lf.res = 0; /* derives ZF=1, SF=0, PF=1 */
	c->lf.aux = (f & (F_CF | F_AF | F_OF)) | ((~f & F_ZF)) | (f & F_SF) |
		    ((~f & F_PF));
	c->lf.op = LF_EXPLICIT;
}

/* Result-only producers: ZF/SF/PF from res, CF/AF/OF given. */
static inline void tg_flags_res(struct vcpu *c, uint64_t res, unsigned size,
				uint64_t cf_af_of)
{
	c->lf.res = tg_sext(res, size);
	c->lf.aux = cf_af_of;
	c->lf.op = LF_EXPLICIT;
}

/* ADD, XADD, CMPXCHG-style additions without a carry in: r = a + b. */
static inline void tg_flags_add(struct vcpu *c, uint64_t a, uint64_t b,
				uint64_t r, unsigned size)
{
	(void)b;
	c->lf.res = tg_sext(r, size);
	c->lf.src = a;
	c->lf.aux = 0;
	c->lf.op = LF_ADD | tg_size_code(size);
}

/* SUB, CMP, NEG (a = 0) without a borrow in: r = a - b. */
static inline void tg_flags_sub(struct vcpu *c, uint64_t a, uint64_t b,
				uint64_t r, unsigned size)
{
	(void)b;
	c->lf.res = tg_sext(r, size);
	c->lf.src = a;
	c->lf.aux = 0;
	c->lf.op = LF_SUB | tg_size_code(size);
}

/* ADC: r = a + b + carry-in. The carry-out vector (a & b) | ((a | b) & ~r)
 * includes the carry-in, so CF is its top bit, AF bit 3, and OF the carry
 * into the top bit XOR the carry out of it. */
static inline void tg_flags_adc(struct vcpu *c, uint64_t a, uint64_t b,
				uint64_t r, unsigned size)
{
	unsigned top = size * 8 - 1;
	uint64_t cv = (a & b) | ((a | b) & ~r);
	uint64_t cf = (cv >> top) & 1;
	uint64_t of = cf ^ ((cv >> (top - 1)) & 1);
	c->lf.res = tg_sext(r, size);
	c->lf.aux = cf | (cv & 8) << 1 | of << 11;
	c->lf.op = LF_EXPLICIT;
}

/* SBB: r = a - b - borrow-in; borrow-out vector (~a & b) | ((~a ^ b) & r). */
static inline void tg_flags_sbb(struct vcpu *c, uint64_t a, uint64_t b,
				uint64_t r, unsigned size)
{
	unsigned top = size * 8 - 1;
	uint64_t bv = (~a & b) | ((~a ^ b) & r);
	uint64_t cf = (bv >> top) & 1;
	uint64_t of = cf ^ ((bv >> (top - 1)) & 1);
	c->lf.res = tg_sext(r, size);
	c->lf.aux = cf | (bv & 8) << 1 | of << 11;
	c->lf.op = LF_EXPLICIT;
}

/* INC/DEC: like ADD/SUB 1, but CF keeps its value [SDM Vol. 2 INC, DEC]:
 * the state CF derives from is carried along, not evaluated. */
static inline void tg_flags_incdec(struct vcpu *c, uint64_t r, unsigned size,
				   uint32_t kind)
{
	struct tg_lazyflags *l = &c->lf;
	if (l->op < LF_INC) {
		l->cf_op = l->op;
		l->cf_res = l->res;
		l->cf_src = l->src;
		l->cf_aux = l->aux;
	}
	l->res = tg_sext(r, size);
	l->aux = 0;
	l->op = kind | tg_size_code(size);
}
static inline void tg_flags_inc(struct vcpu *c, uint64_t r, unsigned size)
{
	tg_flags_incdec(c, r, size, LF_INC);
}
static inline void tg_flags_dec(struct vcpu *c, uint64_t r, unsigned size)
{
	tg_flags_incdec(c, r, size, LF_DEC);
}

/* AND/OR/XOR/TEST: CF=OF=0; AF is undefined, and this host family (Intel
 * and AMD alike) leaves it 0 (host CPU oracle, tests/test_alu_oracle.c). */
static inline void tg_flags_logic(struct vcpu *c, uint64_t r, unsigned size)
{
	c->lf.res = tg_sext(r, size);
	c->lf.aux = 0;
	c->lf.op = LF_EXPLICIT;
}

/* Condition codes for Jcc/SETcc/CMOVcc (low nibble of the opcode). */
static inline bool tg_cond(const struct vcpu *c, unsigned cc)
{
	bool v;
	switch (cc >> 1) {
	case 0: v = tg_of(c); break;
	case 1: v = tg_cf(c); break;
	case 2: v = tg_zf(c); break;
	case 3: v = tg_cf(c) || tg_zf(c); break;
	case 4: v = tg_sf(c); break;
	case 5: v = tg_pf(c); break;
	case 6: v = tg_sf(c) != tg_of(c); break;
	default: v = tg_zf(c) || (tg_sf(c) != tg_of(c)); break;
	}
	return v ^ (cc & 1);
}

#endif
