/* Shifts and rotates: ROL ROR RCL RCR SHL SHR SAL SAR (C0 C1 D0-D3) and
 * SHLD/SHRD (0F A4 A5 AC AD).
 *
 * [SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD]: the count is
 * masked to 5 bits (6 with REX.W); a masked count of 0 changes nothing,
 * flags included. What the SDM leaves undefined (OF for counts > 1, AF,
 * results and flags of SHLD/SHRD with a count beyond a 16-bit operand) is
 * modelled on the host CPU (AMD family 19h), measured by
 * tests/test_alu_oracle.c:
 *   - SHL/SHR/SAR: AF = 1; OF = MSB(result) ^ CF for SHL, and
 *     result[n-1] ^ result[n-2] for SHR/SAR, whatever the count;
 *     CF for counts beyond the width is the bit the wide shift would have
 *     pushed out (0 for SHL/SHR, the sign for SAR).
 *   - ROL/ROR/RCL/RCR: OF by the count-1 formula for every count; only CF
 *     and OF change.
 *   - SHLD/SHRD on 16 bits with counts 17..31: the operand behaves as the
 *     48-bit value DEST:SRC:SRC (SHLD) or SRC:SRC:DEST (SHRD); CF = 0. */
#include "ops.h"

#define INLINE static inline __attribute__((always_inline))

tg_handler tg_sel_alu_shift(struct tg_insn *d);

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Flags in lf.aux outside CF/OF (the ZF/SF/PF correction bits and AF)
 * survive a rotate; only CF and OF are replaced. */
static inline void rot_flags(struct vcpu *c, uint64_t cf, uint64_t of)
{
	tg_flags_explicit(c);
	c->lf.aux = (c->lf.aux & ~(uint64_t)(F_CF | F_OF)) | cf | of << 11;
}

/* Compute the shifted/rotated value for a non-zero masked count `k` and
 * set the flags. `v` is zero-extended to `sz` bytes. */
INLINE uint64_t shift_calc(struct vcpu *c, int op, uint64_t v, unsigned k,
			   unsigned sz)
{
	unsigned n = sz * 8;
	uint64_t m = tg_mask(sz), r, cf, of;
	switch (op) {
	case SH_ROL: {
		unsigned s = k & (n - 1);
		r = s ? ((v << s) | (v >> (n - s))) & m : v;
		cf = r & 1;
		of = ((r >> (n - 1)) & 1) ^ cf;
		rot_flags(c, cf, of);
		return r;
	}
	case SH_ROR: {
		unsigned s = k & (n - 1);
		r = s ? ((v >> s) | (v << (n - s))) & m : v;
		cf = (r >> (n - 1)) & 1;
		of = cf ^ ((r >> (n - 2)) & 1);
		rot_flags(c, cf, of);
		return r;
	}
	case SH_RCL: {
		/* rotate the (n+1)-bit value CF:v; 8/16-bit counts mod 9/17 */
		unsigned s = n < 32 ? k % (n + 1) : k;
		uint64_t cin = tg_cf(c);
		r = v;
		cf = cin;
		if (s) {
			uint64_t hi = s == 1 ? 0 : v >> (n + 1 - s);
			r = ((v << s) | (cin << (s - 1)) | hi) & m;
			cf = (v >> (n - s)) & 1;
		}
		of = ((r >> (n - 1)) & 1) ^ cf;
		rot_flags(c, cf, of);
		return r;
	}
	case SH_RCR: {
		unsigned s = n < 32 ? k % (n + 1) : k;
		uint64_t cin = tg_cf(c);
		r = v;
		cf = cin;
		if (s) {
			uint64_t lo = s == 1 ? 0 : v << (n + 1 - s);
			r = ((v >> s) | (cin << (n - s)) | lo) & m;
			cf = (v >> (s - 1)) & 1;
		}
		of = ((r >> (n - 1)) & 1) ^ ((r >> (n - 2)) & 1);
		rot_flags(c, cf, of);
		return r;
	}
	case SH_SHL: case SH_SAL:
		r = k >= n ? 0 : (v << k) & m;
		cf = k > n ? 0 : (v >> (n - k)) & 1;
		of = ((r >> (n - 1)) & 1) ^ cf;
		tg_flags_res(c, r, sz, cf | F_AF | of << 11);
		return r;
	case SH_SHR:
		r = k >= n ? 0 : v >> k;
		cf = k > n ? 0 : (v >> (k - 1)) & 1;
		of = ((r >> (n - 1)) ^ (r >> (n - 2))) & 1;
		tg_flags_res(c, r, sz, cf | F_AF | of << 11);
		return r;
	default: { /* SAR */
		int64_t sv = tg_sext(v, sz);
		r = (uint64_t)(sv >> (k >= n ? n - 1 : k)) & m;
		cf = (uint64_t)(sv >> (k > n ? n - 1 : k - 1)) & 1;
		tg_flags_res(c, r, sz, cf | F_AF);
		return r;
	}
	}
}

INLINE unsigned count_mask(unsigned sz)
{
	return sz == 8 ? 0x3f : 0x1f;
}

/* kind: 0 = by 1 (D0/D1), 1 = by CL (D2/D3), 2 = by imm8 (C0/C1) */
INLINE unsigned shift_count(const struct vcpu *c, const struct tg_insn *d, int kind)
{
	switch (kind) {
	case 0: return 1;
	case 1: return (uint8_t)c->gpr[R_RCX];
	default: return (uint8_t)d->imm;
	}
}

INLINE void shift_r(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz,
		    int kind)
{
	unsigned k = shift_count(c, d, kind) & count_mask(sz);
	if (k) {
		uint64_t v = tg_get_reg(c, d, d->rm, sz);
		tg_set_reg(c, d, d->rm, sz, shift_calc(c, op, v, k, sz));
	} else if (sz == 4) {
		/* a zero count still writes a 32-bit destination, which
		 * clears bits 63:32 (host CPU oracle) */
		c->gpr[d->rm] = (uint32_t)c->gpr[d->rm];
	}
	tg_advance(c, d);
}

/* The memory operand is read and written even for a zero count (it is a
 * read-modify-write instruction; the write stores the unchanged value). */
INLINE void shift_m(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz,
		    int kind)
{
	unsigned k = shift_count(c, d, kind) & count_mask(sz);
	struct tg_rmw h;
	uint64_t v = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
	if (!k) {
		tg_rmw_write(c, &h, v);
	} else {
		/* compute into a scratch flag state: flags are committed
		 * only after the write */
		struct tg_lazyflags saved = c->lf;
		uint64_t r = shift_calc(c, op, v, k, sz);
		struct tg_lazyflags out = c->lf;
		c->lf = saved;
		tg_rmw_write(c, &h, r);
		c->lf = out;
	}
	tg_advance(c, d);
}

/* Hot forms: register operand by immediate, one handler per op and size,
 * with the masked count precomputed by the selector into imm. */
INLINE void shift_ri(struct vcpu *c, const struct tg_insn *d, int op, unsigned sz)
{
	uint64_t v = tg_get_reg(c, d, d->rm, sz);
	tg_set_reg(c, d, d->rm, sz, shift_calc(c, op, v, (unsigned)d->imm, sz));
	tg_advance(c, d);
}

/* One handler per form, op and size: the form names the operand (r/m) and
 * the count source (1, CL, imm8); ri is the register-by-immediate hot form
 * with the count pre-masked by the selector. */
#define SH_H(form, call, op, sz)                                                 \
	static void h_##form##_##op##_##sz(struct vcpu *c, const struct tg_insn *d) \
	{ call; TG_NEXT(c, d); }
#define SH_H_SIZES(form, op, ...)                                                \
	SH_H(form, SH_CALL(op, 1, __VA_ARGS__), op, 1)                           \
	SH_H(form, SH_CALL(op, 2, __VA_ARGS__), op, 2)                           \
	SH_H(form, SH_CALL(op, 4, __VA_ARGS__), op, 4)                           \
	SH_H(form, SH_CALL(op, 8, __VA_ARGS__), op, 8)
#define SH_H_OPS(form, ...)                                                      \
	SH_H_SIZES(form, 0, __VA_ARGS__) SH_H_SIZES(form, 1, __VA_ARGS__)        \
	SH_H_SIZES(form, 2, __VA_ARGS__) SH_H_SIZES(form, 3, __VA_ARGS__)        \
	SH_H_SIZES(form, 4, __VA_ARGS__) SH_H_SIZES(form, 5, __VA_ARGS__)        \
	SH_H_SIZES(form, 6, __VA_ARGS__) SH_H_SIZES(form, 7, __VA_ARGS__)
#define SH_CALL(op, sz, fn, kind) fn(c, d, op, sz, kind)
SH_H_OPS(r1, shift_r, 0)
SH_H_OPS(rc, shift_r, 1)
SH_H_OPS(m1, shift_m, 0)
SH_H_OPS(mc, shift_m, 1)
SH_H_OPS(mi, shift_m, 2)
#undef SH_CALL
#define SH_CALL(op, sz, fn) fn(c, d, op, sz)
SH_H_OPS(ri, shift_ri)

#define SH_ROW(form, op) \
	{ h_##form##_##op##_1, h_##form##_##op##_2, h_##form##_##op##_4, h_##form##_##op##_8 }
#define SH_TAB(form)                                                           \
	static const tg_handler tab_##form[8][4] = {                           \
		SH_ROW(form, 0), SH_ROW(form, 1), SH_ROW(form, 2), SH_ROW(form, 3), \
		SH_ROW(form, 4), SH_ROW(form, 5), SH_ROW(form, 6), SH_ROW(form, 7) };
SH_TAB(r1)
SH_TAB(rc)
SH_TAB(m1)
SH_TAB(mc)
SH_TAB(mi)
SH_TAB(ri)

static void op_nop_advance(struct vcpu *c, const struct tg_insn *d)
{
	tg_advance(c, d);
}

/* 32-bit register shifted by an immediate 0: only the zero-extension. */
static void op_zext32_advance(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->rm] = (uint32_t)c->gpr[d->rm];
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* SHLD / SHRD                                                          */
/* ------------------------------------------------------------------ */

/* Double shift of dest by k (1..31, or 1..63 for 64-bit) filling from src. */
static uint64_t dshift_calc(struct vcpu *c, bool right, uint64_t dst,
			    uint64_t src, unsigned k, unsigned sz)
{
	unsigned n = sz * 8;
	uint64_t m = tg_mask(sz), r, cf, of;
	if (n == 16) {
		/* DEST:SRC:SRC / SRC:SRC:DEST as a 48-bit value (host CPU) */
		uint64_t v = right ? (src << 32 | src << 16 | dst)
				   : (dst << 32 | src << 16 | src);
		if (right) {
			r = (v >> k) & m;
			cf = k > 16 ? 0 : (dst >> (k - 1)) & 1;
			of = ((r >> 15) ^ (r >> 14)) & 1;
		} else {
			r = (v >> (32 - k)) & m;
			cf = k > 16 ? 0 : (dst >> (16 - k)) & 1;
			of = k < 16 ? ((r >> 15) & 1) ^ cf : cf;
		}
	} else if (right) {
		r = ((dst >> k) | (src << (n - k))) & m;
		cf = (dst >> (k - 1)) & 1;
		of = ((r >> (n - 1)) ^ (r >> (n - 2))) & 1;
	} else {
		r = ((dst << k) | (src >> (n - k))) & m;
		cf = (dst >> (n - k)) & 1;
		of = ((r >> (n - 1)) & 1) ^ cf;
	}
	tg_flags_res(c, r, sz, cf | F_AF | of << 11);
	return r;
}

static void op_shxd(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	bool right = d->opc >= 0xac;
	unsigned k = (d->opc & 1 ? (uint8_t)c->gpr[R_RCX] : (uint8_t)d->imm) &
		     count_mask(sz);
	uint64_t src = tg_get_reg(c, d, d->reg, sz);
	if (d->mod == 3) {
		if (k) {
			uint64_t v = tg_get_reg(c, d, d->rm, sz);
			tg_set_reg(c, d, d->rm, sz, dshift_calc(c, right, v, src, k, sz));
		} else if (sz == 4) {
			c->gpr[d->rm] = (uint32_t)c->gpr[d->rm]; /* as above */
		}
	} else {
		struct tg_rmw h;
		uint64_t v = tg_rmw_read(c, d->seg, tg_ea(c, d), sz, &h);
		if (!k) {
			tg_rmw_write(c, &h, v);
		} else {
			struct tg_lazyflags saved = c->lf;
			uint64_t r = dshift_calc(c, right, v, src, k, sz);
			struct tg_lazyflags out = c->lf;
			c->lf = saved;
			tg_rmw_write(c, &h, r);
			c->lf = out;
		}
	}
	tg_advance(c, d);
}

tg_handler tg_sel_alu_shift(struct tg_insn *d)
{
	if (d->map == 1)
		return d->osz == 1 ? 0 : op_shxd;
	unsigned op = d->reg & 7, s;
	switch (d->osz) {
	case 1: s = 0; break;
	case 2: s = 1; break;
	case 4: s = 2; break;
	default: s = 3; break;
	}
	bool mem = d->mod != 3;
	switch (d->opc) {
	case 0xd0: case 0xd1:
		return mem ? tab_m1[op][s] : tab_r1[op][s];
	case 0xd2: case 0xd3:
		return mem ? tab_mc[op][s] : tab_rc[op][s];
	default: /* C0, C1 */
		if (mem)
			return tab_mi[op][s];
		/* register by immediate: fold the count mask in now; a zero
		 * count does nothing at all */
		d->imm = (uint8_t)d->imm & count_mask(d->osz);
		if (!d->imm)
			return d->osz == 4 ? op_zext32_advance : op_nop_advance;
		return tab_ri[op][s];
	}
}
