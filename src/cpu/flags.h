/* Lazy arithmetic flags (see struct tg_lazyflags in vcpu.h).
 * Producers store the sign-extended result and CF/AF/OF; consumers derive
 * ZF/SF/PF on demand. Every instruction that writes the six flags goes
 * through one of the setters here, so the encoding lives in one file. */
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

/* PF: even parity of the low byte of the result [SDM 3.4.3.1]. */
static inline unsigned tg_pf_of(uint64_t res)
{
	return !__builtin_parity((unsigned)(res & 0xff));
}

static inline bool tg_cf(const struct vcpu *c) { return c->lf.aux & F_CF; }
static inline bool tg_of(const struct vcpu *c) { return (c->lf.aux >> 11) & 1; }
static inline bool tg_af(const struct vcpu *c) { return (c->lf.aux >> 4) & 1; }
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
	uint64_t f = c->lf.aux & (F_CF | F_AF | F_OF);
	f |= (uint64_t)tg_zf(c) << 6;
	f |= (uint64_t)tg_sf(c) << 7;
	f |= (uint64_t)tg_pf(c) << 2;
	return f;
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
}

/* Result-only producers: ZF/SF/PF from res, CF/AF/OF given. */
static inline void tg_flags_res(struct vcpu *c, uint64_t res, unsigned size,
				uint64_t cf_af_of)
{
	c->lf.res = tg_sext(res, size);
	c->lf.aux = cf_af_of;
}

/* ADD/ADC: carry-out vector cv = (a & b) | ((a | b) & ~r) gives CF at the top
 * bit, AF at bit 3, and OF = carry into the top bit XOR carry out of it. */
static inline void tg_flags_add(struct vcpu *c, uint64_t a, uint64_t b,
				uint64_t r, unsigned size)
{
	unsigned top = size * 8 - 1;
	uint64_t cv = (a & b) | ((a | b) & ~r);
	uint64_t cf = (cv >> top) & 1;
	uint64_t of = cf ^ ((cv >> (top - 1)) & 1);
	c->lf.res = tg_sext(r, size);
	c->lf.aux = cf | (cv & 8) << 1 | of << 11;
}

/* SUB/SBB/CMP/NEG: borrow-out vector bv = (~a & b) | ((~a | b) & r). */
static inline void tg_flags_sub(struct vcpu *c, uint64_t a, uint64_t b,
				uint64_t r, unsigned size)
{
	unsigned top = size * 8 - 1;
	uint64_t bv = (~a & b) | ((~a ^ b) & r);
	uint64_t cf = (bv >> top) & 1;
	uint64_t of = cf ^ ((bv >> (top - 1)) & 1);
	c->lf.res = tg_sext(r, size);
	c->lf.aux = cf | (bv & 8) << 1 | of << 11;
}

/* AND/OR/XOR/TEST: CF=OF=0; AF is undefined, and this host family (Intel
 * and AMD alike) leaves it 0. */
static inline void tg_flags_logic(struct vcpu *c, uint64_t r, unsigned size)
{
	c->lf.res = tg_sext(r, size);
	c->lf.aux = 0;
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
