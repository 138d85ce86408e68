/* Segment register instructions: MOV to/from Sreg, PUSH/POP Sreg, LDS, LES,
 * LSS, LFS, LGS [SDM Vol. 2 MOV, PUSH, POP, LDS/LES/LFS/LGS/LSS]. The
 * protected-mode checks live in seg.c (tg_load_sreg). */
#include "ops.h"
#include "sys.h"

/* 8E: MOV Sreg, Ew. The source is always 16 bits. */
static void op_mov_sreg(struct vcpu *c, const struct tg_insn *d)
{
	const int sreg = d->reg & 7;
	uint16_t sel = d->mod == 3 ? (uint16_t)c->gpr[d->rm]
				   : tg_read16(c, d->seg, tg_ea(c, d));
	tg_load_sreg(c, sreg, sel);
	/* MOV SS inhibits interrupts and debug traps for one instruction
	 * [SDM 6.8.3]. */
	if (sreg == S_SS)
		tg_set_movss_shadow(c);
	tg_advance(c, d);
}

/* 8C: MOV Ew, Sreg. A register destination with a 32/64-bit operand size
 * gets the selector zero-extended (P6 and later); memory gets 16 bits
 * [SDM Vol. 2 MOV, note on segment registers]. */
static void op_mov_from_sreg(struct vcpu *c, const struct tg_insn *d)
{
	uint16_t sel = c->seg[d->reg & 7].selector;
	if (d->mod == 3)
		tg_set_reg(c, d, d->rm, d->osz, sel);
	else
		tg_write16(c, d->seg, tg_ea(c, d), sel);
	tg_advance(c, d);
}

static int sreg_of_push_pop(const struct tg_insn *d)
{
	if (d->map == 1)
		return d->opc < 0xa8 ? S_FS : S_GS;
	return (d->opc >> 3) & 3; /* 06/07 ES, 0E CS, 16/17 SS, 1E/1F DS */
}

/* PUSH Sreg: with a 32/64-bit operand size, current Intel processors
 * write only the low 16 bits of the slot and leave the rest unmodified
 * [SDM Vol. 2 PUSH, Operation notes]. */
static void op_push_sreg(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned sa = tg_stack_asz(c);
	uint64_t sp = sp_mask(sa, c->gpr[R_RSP] - d->osz);
	tg_write16(c, S_SS, sp, c->seg[sreg_of_push_pop(d)].selector);
	sp_commit(c, sa, sp);
	tg_advance(c, d);
}

/* POP Sreg: read, load (all checks), then commit RSP, so a faulting load
 * leaves RSP unchanged. */
static void op_pop_sreg(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned sa = tg_stack_asz(c);
	const int sreg = sreg_of_push_pop(d);
	uint64_t sp = sp_mask(sa, c->gpr[R_RSP]);
	uint16_t sel = (uint16_t)tg_read(c, S_SS, sp, d->osz);
	tg_load_sreg(c, sreg, sel);
	sp_commit(c, sa, sp + d->osz);
	if (sreg == S_SS)
		tg_set_movss_shadow(c); /* POP SS: same shadow as MOV SS */
	tg_advance(c, d);
}

/* LDS/LES/LSS/LFS/LGS r, m16:16/32/64. LSS does not open the MOV SS
 * interrupt window: the SDM names only MOV SS and POP SS [SDM 6.8.3], and
 * recommends LSS precisely because it loads SS:ESP in one instruction. */
static void op_lxs(struct vcpu *c, const struct tg_insn *d)
{
	int sreg;
	if (d->map == 0)
		sreg = d->opc == 0xc4 ? S_ES : S_DS;
	else
		sreg = d->opc == 0xb2 ? S_SS : d->opc == 0xb4 ? S_FS : S_GS;
	uint64_t ea = tg_ea(c, d);
	uint64_t off = tg_read(c, d->seg, ea, d->osz);
	uint16_t sel = tg_read16(c, d->seg, ea_add(d, ea, d->osz));
	tg_load_sreg(c, sreg, sel);
	tg_set_reg(c, d, d->reg, d->osz, off);
	tg_advance(c, d);
}

tg_handler tg_sel_sys_seg(struct tg_insn *d)
{
	if (d->map == 0) {
		switch (d->opc) {
		case 0x8e: {
			unsigned r = d->reg & 7;
			if (r == S_CS || r > S_GS)
				return tg_op_ud; /* MOV CS is #UD [SDM Vol. 2 MOV] */
			return op_mov_sreg;
		}
		case 0x8c:
			return (d->reg & 7) > S_GS ? tg_op_ud : op_mov_from_sreg;
		case 0x06: case 0x0e: case 0x16: case 0x1e:
			return op_push_sreg;
		case 0x07: case 0x17: case 0x1f:
			return op_pop_sreg;
		case 0xc4: case 0xc5:
			return d->mod == 3 ? tg_op_ud : op_lxs;
		}
		return 0;
	}
	switch (d->opc) {
	case 0xa0: case 0xa8:
		return op_push_sreg;
	case 0xa1: case 0xa9:
		return op_pop_sreg;
	case 0xb2: case 0xb4: case 0xb5:
		return d->mod == 3 ? tg_op_ud : op_lxs;
	}
	return 0;
}
