/* Bit operations: BT/BTS/BTR/BTC (0F A3 AB B3 BB, 0F BA /4-/7), BSF/BSR
 * (0F BC/BD), TZCNT/LZCNT (F3 0F BC/BD), POPCNT (F3 0F B8), BSWAP
 * (0F C8-CF).
 *
 * Undefined flags and results follow the host CPU (AMD family 19h),
 * measured by tests/test_alu_oracle.c:
 *   - BT*: only CF changes.
 *   - BSF/BSR: CF = OF = SF = AF = 0, ZF = (source == 0), PF from the
 *     found index (from 0 when the source is 0); a zero source leaves the
 *     destination unchanged, upper half of a 32-bit register included
 *     (AMD documents this).
 *   - TZCNT/LZCNT: CF and ZF as defined, SF = AF = PF = 0, OF unchanged.
 *   - BSWAP with a 16-bit operand clears the low 16 bits. */
#include "ops.h"

tg_handler tg_sel_alu_bitops(struct tg_insn *d);

enum { B_BT, B_BTS, B_BTR, B_BTC };

static inline uint64_t bit_apply(int op, uint64_t v, unsigned bit)
{
	uint64_t m = 1ull << bit;
	switch (op) {
	case B_BTS: return v | m;
	case B_BTR: return v & ~m;
	case B_BTC: return v ^ m;
	default: return v;
	}
}

/* CF <- the selected bit; the other flags are left as they were. */
static inline void bt_flags(struct vcpu *c, uint64_t v, unsigned bit)
{
	tg_flags_explicit(c);
	c->lf.aux = (c->lf.aux & ~(uint64_t)F_CF) | ((v >> bit) & 1);
}

/* Register bit base: the offset is taken modulo the operand width. */
static inline __attribute__((always_inline)) void
bt_reg(struct vcpu *c, const struct tg_insn *d, int op, unsigned off)
{
	unsigned sz = d->osz, bit = off & (sz * 8 - 1);
	uint64_t v = tg_get_reg(c, d, d->rm, sz);
	if (op != B_BT)
		tg_set_reg(c, d, d->rm, sz, bit_apply(op, v, bit));
	bt_flags(c, v, bit);
	tg_advance(c, d);
}

/* Memory bit base at `ea` (already offset by whole operand units). */
static inline __attribute__((always_inline)) void
bt_mem(struct vcpu *c, const struct tg_insn *d, int op, uint64_t ea, unsigned bit)
{
	unsigned sz = d->osz;
	uint64_t v;
	if (op == B_BT) {
		v = tg_read(c, d->seg, ea, sz);
	} else {
		struct tg_rmw h;
		v = tg_rmw_read(c, d->seg, ea, sz, &h);
		tg_rmw_write(c, &h, bit_apply(op, v, bit));
	}
	bt_flags(c, v, bit);
	tg_advance(c, d);
}

/* 0F A3/AB/B3/BB: the bit offset in a register is a signed integer of the
 * operand size; with a memory base it selects the operand-sized unit at
 * EA + size * (offset DIV width) — which may lie far outside the operand —
 * and the bit within it [SDM Vol. 2 BT, Table 3-2]. The address wraps at
 * the address size like any effective address. */
static inline __attribute__((always_inline)) void
bt_g(struct vcpu *c, const struct tg_insn *d, int op)
{
	unsigned sz = d->osz;
	uint64_t off = tg_get_reg(c, d, d->reg, sz);
	if (d->mod == 3) {
		bt_reg(c, d, op, (unsigned)off);
		return;
	}
	int64_t soff = tg_sext(off, sz);
	unsigned shift = sz == 2 ? 4 : sz == 4 ? 5 : 6;
	uint64_t ea = tg_ea(c, d) + (uint64_t)((soff >> shift) * (int64_t)sz);
	if (d->asz == 4)
		ea = (uint32_t)ea;
	else if (d->asz == 2)
		ea = (uint16_t)ea;
	bt_mem(c, d, op, ea, (unsigned)off & (sz * 8 - 1));
}

/* 0F BA /4-/7: the immediate is taken modulo the operand width, memory or
 * register [SDM Vol. 2 BT]. */
static inline __attribute__((always_inline)) void
bt_i(struct vcpu *c, const struct tg_insn *d, int op)
{
	unsigned bit = (uint8_t)d->imm & (d->osz * 8 - 1);
	if (d->mod == 3)
		bt_reg(c, d, op, bit);
	else
		bt_mem(c, d, op, tg_ea(c, d), bit);
}

static void op_bt_g(struct vcpu *c, const struct tg_insn *d) { bt_g(c, d, B_BT); }
static void op_bts_g(struct vcpu *c, const struct tg_insn *d) { bt_g(c, d, B_BTS); }
static void op_btr_g(struct vcpu *c, const struct tg_insn *d) { bt_g(c, d, B_BTR); }
static void op_btc_g(struct vcpu *c, const struct tg_insn *d) { bt_g(c, d, B_BTC); }
static void op_bt_i(struct vcpu *c, const struct tg_insn *d) { bt_i(c, d, B_BT); }
static void op_bts_i(struct vcpu *c, const struct tg_insn *d) { bt_i(c, d, B_BTS); }
static void op_btr_i(struct vcpu *c, const struct tg_insn *d) { bt_i(c, d, B_BTR); }
static void op_btc_i(struct vcpu *c, const struct tg_insn *d) { bt_i(c, d, B_BTC); }

/* ------------------------------------------------------------------ */
/* BSF/BSR, TZCNT/LZCNT, POPCNT                                         */
/* ------------------------------------------------------------------ */

static void op_bsf_bsr(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t v = tg_rm_read(c, d, sz);
	uint64_t idx = 0;
	if (v) {
		idx = d->opc == 0xbc ? (uint64_t)__builtin_ctzll(v)
				     : (uint64_t)(63 - __builtin_clzll(v));
		tg_set_reg(c, d, d->reg, sz, idx);
	}
	/* res carries PF (index parity, non-zero marker bit 8 keeps ZF
	 * clear without touching the low byte); aux encodes ZF. */
	if (v)
		tg_flags_res(c, idx | 0x100, 8, 0);
	else
		tg_flags_res(c, 0, 8, 0);
	tg_advance(c, d);
}

static void op_tzcnt_lzcnt(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz, n = sz * 8;
	uint64_t v = tg_rm_read(c, d, sz), r;
	if (d->opc == 0xbc)
		r = v ? (uint64_t)__builtin_ctzll(v) : n;
	else
		r = v ? (uint64_t)(__builtin_clzll(v) - (64 - n)) : n;
	tg_set_reg(c, d, d->reg, sz, r);
	/* ZF from r, CF = (source == 0), SF = AF = PF = 0, OF kept. The PF
	 * correction bit cancels the derived parity of r. */
	tg_flags_explicit(c);
	uint64_t of = c->lf.aux & F_OF;
	c->lf.res = (int64_t)r;
	c->lf.aux = of | (v ? 0 : F_CF) | (tg_pf_of(r) ? F_PF : 0);
	tg_advance(c, d);
}

/* POPCNT: ZF = (source == 0), all other arithmetic flags cleared
 * [SDM Vol. 2 POPCNT]. */
static void op_popcnt(struct vcpu *c, const struct tg_insn *d)
{
	unsigned sz = d->osz;
	uint64_t v = tg_rm_read(c, d, sz);
	tg_set_reg(c, d, d->reg, sz, (uint64_t)__builtin_popcountll(v));
	if (v)
		tg_flags_res(c, 0x100, 8, 0); /* ZF=0 SF=0 PF: parity of 0x00 */
	else
		tg_flags_res(c, 0, 8, 0);
	/* PF must be 0 in both cases: flip the derived PF=1 */
	c->lf.aux |= F_PF;
	tg_advance(c, d);
}

/* ------------------------------------------------------------------ */
/* BSWAP                                                                */
/* ------------------------------------------------------------------ */

static void op_bswap(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t *r = &c->gpr[d->rm];
	switch (d->osz) {
	case 2: *r &= ~0xffffull; break;
	case 4: *r = __builtin_bswap32((uint32_t)*r); break;
	default: *r = __builtin_bswap64(*r); break;
	}
	tg_advance(c, d);
}

tg_handler tg_sel_alu_bitops(struct tg_insn *d)
{
	switch (d->opc) {
	case 0xa3: return op_bt_g;
	case 0xab: return op_bts_g;
	case 0xb3: return op_btr_g;
	case 0xbb: return op_btc_g;
	case 0xba:
		switch (d->reg & 7) {
		case 4: return op_bt_i;
		case 5: return op_bts_i;
		case 6: return op_btr_i;
		case 7: return op_btc_i;
		default: return tg_op_ud;
		}
	case 0xbc: case 0xbd:
		return d->rep == 0xf3 ? op_tzcnt_lzcnt : op_bsf_bsr;
	case 0xb8:
		/* without F3 this is JMPE (IA-64 only): #UD */
		return d->rep == 0xf3 ? op_popcnt : tg_op_ud;
	case 0xc8 ... 0xcf:
		return op_bswap;
	}
	return 0;
}
