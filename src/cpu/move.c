/* Data movement: MOV (all forms but segment registers and CR/DR), LEA,
 * XCHG, XLAT, NOP and the hint-NOP space, FWAIT. Also the selector for the
 * whole "move" group, which hands stack, control-flow and string opcodes
 * to stack.c, flow.c and string.c.
 *
 * Hot forms get handlers of their own with the operand size and the
 * addressing form fixed at selection time, so nothing is switched on per
 * execution. An address-size of 8 implies 64-bit mode (only there can it
 * be 8), which lets those handlers step RIP without the mode check. */
#include "ops.h"

tg_handler tg_sel_stack(struct tg_insn *d);
tg_handler tg_sel_flow(struct tg_insn *d);
tg_handler tg_sel_string(struct tg_insn *d);

/* Effective-address forms specialised at selection time (asz == 8). */
#define EA_BD(c, d) ((c)->gpr[(d)->base] + (uint64_t)(int64_t)(d)->disp)
#define EA_BISD(c, d)                                                       \
	((c)->gpr[(d)->base] + ((c)->gpr[(d)->index] << (d)->scale) +       \
	 (uint64_t)(int64_t)(d)->disp)
#define EA_GEN(c, d) tg_ea((c), (d))

enum { FORM_GEN, FORM_BD, FORM_BISD };

static int ea_form(const struct tg_insn *d)
{
	if (d->asz != 8 || d->base >= 16 || d->seg >= S_FS)
		return FORM_GEN;
	return d->index == TG_NOREG ? FORM_BD : FORM_BISD;
}

static void op_nop(struct vcpu *c, const struct tg_insn *d)
{
	tg_advance(c, d);
}

/* ---- MOV register <- register ---- */

static void mov_rr64_89(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->rm] = c->gpr[d->reg];
	c->rip += d->len; /* osz 8: 64-bit mode */
	TG_NEXT(c, d);
}
static void mov_rr64_8b(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->reg] = c->gpr[d->rm];
	c->rip += d->len;
	TG_NEXT(c, d);
}
/* A 32-bit destination zero-extends into bits 63:32 [SDM 3.4.1.1]. */
static void mov_rr32_89(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->rm] = (uint32_t)c->gpr[d->reg];
	tg_advance(c, d);
}
static void mov_rr32_8b(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->reg] = (uint32_t)c->gpr[d->rm];
	tg_advance(c, d);
}
static void mov_rr_89(struct vcpu *c, const struct tg_insn *d)
{
	tg_set_reg(c, d, d->rm, d->osz, tg_get_reg(c, d, d->reg, d->osz));
	tg_advance(c, d);
}
static void mov_rr_8b(struct vcpu *c, const struct tg_insn *d)
{
	tg_set_reg(c, d, d->reg, d->osz, tg_get_reg(c, d, d->rm, d->osz));
	tg_advance(c, d);
}

/* ---- MOV memory <-> register, specialised by size and address form ----
 * The fast path (flat segment, TLB hit) is a leaf; everything that can
 * fault or exit is in a separate function reached by a tail call, so the
 * common case saves no registers. */

static __attribute__((noinline)) void ld_slow(struct vcpu *c,
					      const struct tg_insn *d,
					      uint64_t a, unsigned size)
{
	c->gpr[d->reg] = tg_read_slow(c, d->seg, a, size); /* 4: zero-extends */
	tg_advance(c, d);
}
static __attribute__((noinline)) void st_slow(struct vcpu *c,
					      const struct tg_insn *d,
					      uint64_t a, unsigned size, uint64_t v)
{
	tg_write_slow(c, d->seg, a, size, v);
	tg_advance(c, d);
}

#define MOV_LD(name, bits, EA, ADV, FLAT)                                    \
	static void name(struct vcpu *c, const struct tg_insn *d)           \
	{                                                                   \
		uint64_t a = EA(c, d);                                      \
		uint8_t *p;                                                 \
		if (likely(FLAT(c, d, ACC_R) &&                             \
			   (p = tg_tlb_hit(c, a, bits / 8, ACC_R)))) {      \
			uint##bits##_t v;                                   \
			memcpy(&v, p, sizeof v);                            \
			c->gpr[d->reg] = v;                                 \
			ADV;                                                \
			TG_NEXT(c, d);                                      \
		}                                                           \
		ld_slow(c, d, a, bits / 8);                                 \
	}
#define MOV_ST(name, bits, EA, ADV, FLAT)                                    \
	static void name(struct vcpu *c, const struct tg_insn *d)           \
	{                                                                   \
		uint64_t a = EA(c, d);                                      \
		uint##bits##_t v = (uint##bits##_t)c->gpr[d->reg];          \
		uint8_t *p;                                                 \
		if (likely(FLAT(c, d, ACC_W) &&                             \
			   (p = tg_tlb_hit(c, a, bits / 8, ACC_W)))) {      \
			memcpy(p, &v, sizeof v);                            \
			ADV;                                                \
			TG_NEXT(c, d);                                      \
		}                                                           \
		st_slow(c, d, a, bits / 8, v);                              \
	}
#define ADV64 c->rip += d->len /* asz 8: 64-bit mode */
#define ADVG tg_advance(c, d)
/* The _bd/_bisd forms are selected only for asz 8 (64-bit mode) and
 * segments other than FS/GS, which 64-bit mode treats as flat: base 0, no
 * limit or type checks [SDM 3.4.2.1]. Canonical checking is left to the
 * TLB, which holds only canonical pages. */
#define FLAT_ANY(c, d, acc) tg_seg_flat((c), (d)->seg, (acc))
#define FLAT_64(c, d, acc) 1
MOV_LD(mov_ld64_gen, 64, EA_GEN, ADVG, FLAT_ANY)
MOV_LD(mov_ld32_gen, 32, EA_GEN, ADVG, FLAT_ANY)
MOV_ST(mov_st64_gen, 64, EA_GEN, ADVG, FLAT_ANY)
MOV_ST(mov_st32_gen, 32, EA_GEN, ADVG, FLAT_ANY)
MOV_LD(mov_ld64_bd, 64, EA_BD, ADV64, FLAT_64)
MOV_LD(mov_ld32_bd, 32, EA_BD, ADV64, FLAT_64)
MOV_ST(mov_st64_bd, 64, EA_BD, ADV64, FLAT_64)
MOV_ST(mov_st32_bd, 32, EA_BD, ADV64, FLAT_64)
MOV_LD(mov_ld64_bisd, 64, EA_BISD, ADV64, FLAT_64)
MOV_LD(mov_ld32_bisd, 32, EA_BISD, ADV64, FLAT_64)
MOV_ST(mov_st64_bisd, 64, EA_BISD, ADV64, FLAT_64)
MOV_ST(mov_st32_bisd, 32, EA_BISD, ADV64, FLAT_64)
#undef MOV_LD
#undef MOV_ST

static void mov_ld16(struct vcpu *c, const struct tg_insn *d)
{
	uint16_t v = tg_read16(c, d->seg, tg_ea(c, d));
	c->gpr[d->reg] = (c->gpr[d->reg] & ~0xffffull) | v;
	tg_advance(c, d);
}
static void mov_st16(struct vcpu *c, const struct tg_insn *d)
{
	tg_write16(c, d->seg, tg_ea(c, d), (uint16_t)c->gpr[d->reg]);
	tg_advance(c, d);
}
static void mov_ld8(struct vcpu *c, const struct tg_insn *d)
{
	uint8_t v = tg_read8(c, d->seg, tg_ea(c, d));
	tg_set_reg8(c, d, d->reg, v);
	tg_advance(c, d);
}
static void mov_st8(struct vcpu *c, const struct tg_insn *d)
{
	tg_write8(c, d->seg, tg_ea(c, d), tg_get_reg8(c, d, d->reg));
	tg_advance(c, d);
}

/* ---- MOV with immediates ---- */

/* C6 /0, C7 /0: the immediate of C7 with REX.W is a sign-extended imm32
 * [SDM MOV]; the decoder already extended it. */
static void mov_rm_imm(struct vcpu *c, const struct tg_insn *d)
{
	tg_rm_write(c, d, d->osz, d->imm);
	tg_advance(c, d);
}
static void mov_m64_imm_bd(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t a = EA_BD(c, d);
	uint8_t *p;
	if (likely((p = tg_tlb_hit(c, a, 8, ACC_W)))) { /* FORM_BD: flat */
		memcpy(p, &d->imm, 8);
		c->rip += d->len;
		return;
	}
	st_slow(c, d, a, 8, d->imm);
}
static void mov_m32_imm_bd(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t a = EA_BD(c, d);
	uint32_t v = (uint32_t)d->imm;
	uint8_t *p;
	if (likely((p = tg_tlb_hit(c, a, 4, ACC_W)))) { /* FORM_BD: flat */
		memcpy(p, &v, 4);
		c->rip += d->len;
		return;
	}
	st_slow(c, d, a, 4, v);
}

/* B0+r, B8+r: B8+r with REX.W carries a full imm64 [SDM MOV]. */
static void mov_r8_imm(struct vcpu *c, const struct tg_insn *d)
{
	tg_set_reg8(c, d, d->rm, (uint8_t)d->imm);
	tg_advance(c, d);
}
static void mov_r16_imm(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->rm] = (c->gpr[d->rm] & ~0xffffull) | (uint16_t)d->imm;
	tg_advance(c, d);
}
static void mov_r32_imm(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->rm] = (uint32_t)d->imm;
	tg_advance(c, d);
}
static void mov_r64_imm(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->rm] = d->imm;
	c->rip += d->len;
}

/* A0-A3: the offset is an address-size immediate in the instruction, in
 * the DS segment unless overridden [SDM MOV, "moffs"]. */
static void mov_al_moffs(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t v = tg_read(c, d->seg, d->imm, d->osz);
	tg_set_reg(c, d, R_RAX, d->osz, v);
	tg_advance(c, d);
}
static void mov_moffs_al(struct vcpu *c, const struct tg_insn *d)
{
	tg_write(c, d->seg, d->imm, d->osz, c->gpr[R_RAX]);
	tg_advance(c, d);
}

/* ---- LEA ----
 * The address is computed with the address size and then truncated or
 * zero-extended to the operand size [SDM LEA, Table 3-54]. */
static void lea_gen(struct vcpu *c, const struct tg_insn *d)
{
	tg_set_reg(c, d, d->reg, d->osz, tg_ea(c, d));
	tg_advance(c, d);
}
static void lea64_bd(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->reg] = EA_BD(c, d);
	c->rip += d->len;
	TG_NEXT(c, d);
}
static void lea64_bisd(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->reg] = EA_BISD(c, d);
	c->rip += d->len;
	TG_NEXT(c, d);
}
static void lea32_bd(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->reg] = (uint32_t)EA_BD(c, d);
	c->rip += d->len;
	TG_NEXT(c, d);
}
static void lea32_bisd(struct vcpu *c, const struct tg_insn *d)
{
	c->gpr[d->reg] = (uint32_t)EA_BISD(c, d);
	c->rip += d->len;
	TG_NEXT(c, d);
}

/* ---- XCHG ---- */

static void xchg_rr(struct vcpu *c, const struct tg_insn *d)
{
	/* Both operands read before either is written; 32-bit writes
	 * zero-extend, so `xchg eax,eax` (87 C0) clears RAX[63:32]. */
	uint64_t a = tg_get_reg(c, d, d->reg, d->osz);
	uint64_t b = tg_get_reg(c, d, d->rm, d->osz);
	tg_set_reg(c, d, d->rm, d->osz, a);
	tg_set_reg(c, d, d->reg, d->osz, b);
	tg_advance(c, d);
}
/* With memory: locked read-modify-write [SDM XCHG]; the register is
 * written only after the memory write succeeded. */
static void xchg_rm(struct vcpu *c, const struct tg_insn *d)
{
	struct tg_rmw h;
	uint64_t m = tg_rmw_read(c, d->seg, tg_ea(c, d), d->osz, &h);
	tg_rmw_write(c, &h, tg_get_reg(c, d, d->reg, d->osz));
	tg_set_reg(c, d, d->reg, d->osz, m);
	tg_advance(c, d);
}
/* 90+r with r != 0 (REX.B makes 90 itself XCHG r8, rAX). */
static void xchg_ax(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t a = tg_get_reg(c, d, R_RAX, d->osz);
	uint64_t b = tg_get_reg(c, d, d->rm, d->osz);
	tg_set_reg(c, d, d->rm, d->osz, a);
	tg_set_reg(c, d, R_RAX, d->osz, b);
	tg_advance(c, d);
}

/* ---- XLAT: AL <- [seg:rBX + ZeroExtend(AL)] with the address size
 * [SDM XLAT]; DS unless overridden. ---- */
static void xlat(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t off = c->gpr[R_RBX] + (uint8_t)c->gpr[R_RAX];
	if (d->asz == 4)
		off = (uint32_t)off;
	else if (d->asz == 2)
		off = (uint16_t)off;
	uint8_t v = tg_read8(c, d->seg, off);
	c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffull) | v;
	tg_advance(c, d);
}

/* ---- FWAIT: with no x87 state nothing is pending; only the device-
 * not-available check remains: #NM when CR0.MP and CR0.TS are both set
 * [SDM WAIT/FWAIT; SDM 2.5 Table 2-2]. ---- */
static void fwait(struct vcpu *c, const struct tg_insn *d)
{
	if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		tg_raise(c, EXC_NM);
	tg_advance(c, d);
}

/* ---- selection ---- */

static tg_handler sel_mov_store(struct tg_insn *d)
{
	if (d->mod == 3) {
		if (d->osz == 8)
			return mov_rr64_89;
		return d->osz == 4 ? mov_rr32_89 : mov_rr_89;
	}
	int f = ea_form(d);
	switch (d->osz) {
	case 8: return f == FORM_BD ? mov_st64_bd : f == FORM_BISD ? mov_st64_bisd : mov_st64_gen;
	case 4: return f == FORM_BD ? mov_st32_bd : f == FORM_BISD ? mov_st32_bisd : mov_st32_gen;
	case 2: return mov_st16;
	default: return mov_st8;
	}
}

static tg_handler sel_mov_load(struct tg_insn *d)
{
	if (d->mod == 3) {
		if (d->osz == 8)
			return mov_rr64_8b;
		return d->osz == 4 ? mov_rr32_8b : mov_rr_8b;
	}
	int f = ea_form(d);
	switch (d->osz) {
	case 8: return f == FORM_BD ? mov_ld64_bd : f == FORM_BISD ? mov_ld64_bisd : mov_ld64_gen;
	case 4: return f == FORM_BD ? mov_ld32_bd : f == FORM_BISD ? mov_ld32_bisd : mov_ld32_gen;
	case 2: return mov_ld16;
	default: return mov_ld8;
	}
}

static tg_handler sel_lea(struct tg_insn *d)
{
	if (d->mod == 3)
		return tg_op_ud; /* [SDM LEA: #UD if the source is a register] */
	int f = ea_form(d);
	if (d->osz == 8 && f != FORM_GEN)
		return f == FORM_BD ? lea64_bd : lea64_bisd;
	if (d->osz == 4 && f != FORM_GEN)
		return f == FORM_BD ? lea32_bd : lea32_bisd;
	return lea_gen;
}

tg_handler tg_sel_move(struct tg_insn *d)
{
	if (d->map == 1) {
		switch (d->opc) {
		case 0x0d:
			/* PREFETCH/PREFETCHW: a hint; the register form is
			 * #UD (host CPU oracle, AMD EPYC: 0F 0D C0 raises
			 * SIGILL) */
			return d->mod == 3 ? tg_op_ud : op_nop;
		case 0x18 ... 0x1f:
			/* hint NOPs and NOP Ev, register forms included
			 * [SDM NOP; Vol. 2 Table A-3 "Reserved-NOP"] */
			return op_nop;
		case 0x80 ... 0x8f:
			return tg_sel_flow(d);
		}
		return 0;
	}
	if (d->map != 0)
		return 0;
	switch (d->opc) {
	case 0x50 ... 0x5f: case 0x60: case 0x61: case 0x68: case 0x6a:
	case 0x8f: case 0xc8: case 0xc9:
		return tg_sel_stack(d);
	case 0x70 ... 0x7f: case 0xc2: case 0xc3: case 0xe0 ... 0xe3:
	case 0xe8: case 0xe9: case 0xeb:
		return tg_sel_flow(d);
	case 0xa4 ... 0xa7: case 0xaa ... 0xaf:
		return tg_sel_string(d);
	case 0xff:
		if (d->reg == 2 || d->reg == 4)
			return tg_sel_flow(d);
		if (d->reg == 6)
			return tg_sel_stack(d);
		return 0;
	case 0x88: case 0x89:
		return sel_mov_store(d);
	case 0x8a: case 0x8b:
		return sel_mov_load(d);
	case 0xc6: case 0xc7:
		/* Only /0 is MOV; the rest (XABORT/XBEGIN without RTM) #UD. */
		if (d->reg != 0)
			return tg_op_ud;
		if (d->mod != 3 && ea_form(d) == FORM_BD) {
			if (d->osz == 8)
				return mov_m64_imm_bd;
			if (d->osz == 4)
				return mov_m32_imm_bd;
		}
		return mov_rm_imm;
	case 0xb0 ... 0xb7:
		return mov_r8_imm;
	case 0xb8 ... 0xbf:
		return d->osz == 8 ? mov_r64_imm : d->osz == 4 ? mov_r32_imm : mov_r16_imm;
	case 0xa0: case 0xa1:
		return mov_al_moffs;
	case 0xa2: case 0xa3:
		return mov_moffs_al;
	case 0x8d:
		return sel_lea(d);
	case 0x86: case 0x87:
		return d->mod == 3 ? xchg_rr : xchg_rm;
	case 0x90 ... 0x97:
		/* 90 without REX.B is NOP (also F3 90 = PAUSE, 66 90): in
		 * 64-bit mode it does not zero-extend EAX [SDM NOP, XCHG]. */
		if (d->rm == 0)
			return op_nop;
		return xchg_ax;
	case 0x9b:
		return fwait;
	case 0xd7:
		return xlat;
	}
	return 0;
}
