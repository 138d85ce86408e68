/* Far transfers: JMP far, CALL far (direct, and through call gates with a
 * stack switch from the TSS) and RET far, in real, virtual-8086, protected,
 * compatibility and 64-bit modes [SDM Vol. 2 JMP, CALL, RET; Vol. 3A 5.8].
 *
 * Every check and every memory access (the pushes included) happens before
 * any register is committed, so a fault leaves CS, SS, RSP and RIP as they
 * were. Task gates and TSS targets (hardware task switches) are not
 * implemented and end in KVM_EXIT_INTERNAL_ERROR. */
#include "ops.h"
#include "sys.h"

enum { FAR_JMP, FAR_CALL };

/* A stack that is not committed yet: the current one (pushes through SS
 * with the normal checks) or a new inner one from the TSS. */
struct stk {
	const struct kvm_segment *ss; /* NULL: the current SS */
	uint64_t sp;
	unsigned sa;                  /* stack-address size */
	uint32_t err;                 /* #SS error code for limit violations */
};

static void stk_push(struct vcpu *c, struct stk *k, unsigned size, uint64_t v)
{
	uint64_t sp = sp_mask(k->sa, k->sp - size);
	if (!k->ss) {
		tg_write(c, S_SS, sp, size, v);
	} else {
		uint64_t lin;
		if (k->sa == 8) {
			if (!tg_canonical(sp) || !tg_canonical(sp + size - 1))
				tg_raise_ss(c, 0);
			lin = sp;
		} else {
			if (!seg_limit_ok(k->ss, sp, size))
				tg_raise_ss(c, k->err);
			lin = (uint32_t)(k->ss->base + sp);
		}
		/* The inner stack is written at the new, more privileged
		 * level: a supervisor access. */
		tg_write_lin(c, lin, size, v, ACC_W | ACC_SUP);
	}
	k->sp = sp;
}

static uint64_t trunc_osz(uint64_t v, unsigned osz)
{
	return osz == 8 ? v : osz == 4 ? (uint32_t)v : (uint16_t)v;
}

/* Real-address and virtual-8086 mode: CS = selector * 16. */
static void far_real(struct vcpu *c, const struct tg_insn *d, int kind,
		     uint16_t sel, uint64_t off)
{
	uint64_t eip = trunc_osz(off, d->osz);
	/* [SDM Vol. 2 JMP/CALL, real-address mode]: tempEIP beyond the CS
	 * limit is #GP(0). */
	if (eip > c->seg[S_CS].limit)
		tg_raise_gp(c, 0);
	if (kind == FAR_CALL) {
		struct stk k = { .sp = c->gpr[R_RSP], .sa = tg_stack_asz(c) };
		stk_push(c, &k, d->osz, c->seg[S_CS].selector);
		stk_push(c, &k, d->osz, trunc_osz(c->rip + d->len, d->osz));
		sp_commit(c, k.sa, k.sp);
	}
	tg_load_real_seg(c, S_CS, sel);
	c->rip = eip;
}

/* Target EIP check: the CS limit outside 64-bit code, canonical form for
 * 64-bit code [SDM Vol. 2 JMP/CALL: #GP(0)]. */
static void check_target(struct vcpu *c, const struct kvm_segment *cs,
			 bool t64, uint64_t eip)
{
	if (t64 ? !tg_canonical(eip) : eip > cs->limit)
		tg_raise_gp(c, 0);
}

static bool target64(const struct vcpu *c, uint64_t cd)
{
	return tg_long_active(c) && desc_l(cd);
}

/* Direct transfer to a code segment: no privilege change. */
static void far_direct(struct vcpu *c, const struct tg_insn *d, int kind,
		       uint16_t sel, uint64_t off, uint64_t cd)
{
	const unsigned cpl = c->cpl, dpl = desc_dpl(cd);
	if (tg_long_active(c) && desc_l(cd) && desc_db(cd))
		tg_raise_gp(c, sel_err(sel));
	if (desc_conforming(cd)) {
		if (dpl > cpl)
			tg_raise_gp(c, sel_err(sel));
	} else if ((sel & 3) > cpl || dpl != cpl) {
		tg_raise_gp(c, sel_err(sel));
	}
	if (!desc_p(cd))
		tg_raise_np(c, sel_err(sel));
	struct kvm_segment ncs;
	tg_desc_to_seg(cd | (1ull << 40), (uint16_t)((sel & ~3u) | cpl), &ncs);
	const bool t64 = target64(c, cd);
	uint64_t eip = trunc_osz(off, d->osz);
	/* CALL into compatibility mode keeps 32 bits of the offset; JMP
	 * checks the whole offset against the limit [SDM Vol. 2 CALL, JMP] */
	if (kind == FAR_CALL && !t64)
		eip = (uint32_t)eip;
	struct stk k = { .sp = c->gpr[R_RSP], .sa = tg_stack_asz(c) };
	if (kind == FAR_CALL) {
		stk_push(c, &k, d->osz, c->seg[S_CS].selector);
		stk_push(c, &k, d->osz, trunc_osz(c->rip + d->len, d->osz));
	}
	check_target(c, &ncs, t64, eip);
	tg_set_desc_accessed(c, sel);
	c->seg[S_CS] = ncs;
	if (kind == FAR_CALL)
		sp_commit(c, k.sa, k.sp);
	c->rip = eip;
	tg_recompute_mode(c);
}

/* Through a call gate [SDM 5.8.3-5.8.6; 64-bit gates 5.8.3.1, 5.8.6]. */
static void far_gate(struct vcpu *c, const struct tg_insn *d, int kind,
		     uint16_t gsel, uint64_t g0)
{
	const unsigned cpl = c->cpl;
	const bool lma = tg_long_active(c);
	uint64_t g[2] = { g0, 0 };
	unsigned gsize;
	if (lma) {
		/* 16-byte gate: the upper half must be inside the table and
		 * its type field must be 0 */
		if (!tg_read_desc16(c, gsel, g) || ((g[1] >> 40) & 0x1f))
			tg_raise_gp(c, sel_err(gsel));
		gsize = 8;
	} else {
		gsize = desc_type(g0) == 4 ? 2 : 4;
	}
	const unsigned gdpl = desc_dpl(g0);
	if (gdpl < cpl || gdpl < (gsel & 3u))
		tg_raise_gp(c, sel_err(gsel));
	if (!desc_p(g0))
		tg_raise_np(c, sel_err(gsel));
	const uint16_t csel = (uint16_t)(g0 >> 16);
	uint64_t eip = (g0 & 0xffff) | ((g0 >> 32) & 0xffff0000);
	if (gsize == 8)
		eip |= (g[1] & 0xffffffff) << 32;
	else if (gsize == 2)
		eip &= 0xffff;
	if ((csel & ~3u) == 0)
		tg_raise_gp(c, 0);
	uint64_t cd;
	if (!tg_read_desc(c, csel, &cd))
		tg_raise_gp(c, sel_err(csel));
	const unsigned cdpl = desc_dpl(cd);
	const bool conf = desc_conforming(cd);
	if (!desc_is_code(cd) || cdpl > cpl)
		tg_raise_gp(c, sel_err(csel));
	/* JMP never changes privilege: a non-conforming target must be at
	 * CPL [SDM Vol. 2 JMP, call gate]. */
	if (kind == FAR_JMP && !conf && cdpl != cpl)
		tg_raise_gp(c, sel_err(csel));
	/* IA-32e mode gates lead to 64-bit code only (L=1, D=0). */
	if (lma && !(desc_l(cd) && !desc_db(cd)))
		tg_raise_gp(c, sel_err(csel));
	if (!desc_p(cd))
		tg_raise_np(c, sel_err(csel));

	const uint64_t ret = trunc_osz(c->rip + d->len, gsize);
	const uint16_t old_cs = c->seg[S_CS].selector;
	struct kvm_segment ncs;

	if (kind == FAR_JMP || conf || cdpl == cpl) {
		/* Same privilege level. */
		tg_desc_to_seg(cd | (1ull << 40), (uint16_t)((csel & ~3u) | cpl), &ncs);
		struct stk k = { .sp = c->gpr[R_RSP], .sa = tg_stack_asz(c) };
		if (kind == FAR_CALL) {
			stk_push(c, &k, gsize, old_cs);
			stk_push(c, &k, gsize, ret);
		}
		check_target(c, &ncs, lma, eip);
		tg_set_desc_accessed(c, csel);
		c->seg[S_CS] = ncs;
		if (kind == FAR_CALL)
			sp_commit(c, k.sa, k.sp);
		c->rip = eip;
		tg_recompute_mode(c);
		return;
	}

	/* CALL to a more privileged non-conforming segment: switch to the
	 * stack for the new CPL from the TSS [SDM 5.8.5, Figure 5-13]. */
	const unsigned ncpl = cdpl;
	uint16_t nss;
	uint64_t nsp;
	tg_tss_stack(c, ncpl, &nss, &nsp);
	struct kvm_segment ss_cache;
	struct stk k = { .ss = &ss_cache, .sp = nsp };
	if (lma) {
		/* 64-bit: SS becomes a null selector with RPL = new CPL */
		nss = (uint16_t)ncpl;
		ss_cache = (struct kvm_segment){ .selector = nss, .dpl = (uint8_t)ncpl,
						 .unusable = 1 };
		k.sa = 8;
	} else {
		uint64_t sd;
		if ((nss & ~3u) == 0)
			tg_raise_ts(c, sel_err(nss));
		if (!tg_read_desc(c, nss, &sd))
			tg_raise_ts(c, sel_err(nss));
		if ((nss & 3u) != ncpl || desc_dpl(sd) != ncpl || !desc_is_data(sd) ||
		    !(desc_type(sd) & 2))
			tg_raise_ts(c, sel_err(nss));
		if (!desc_p(sd))
			tg_raise_ss(c, sel_err(nss));
		tg_desc_to_seg(sd | (1ull << 40), nss, &ss_cache);
		k.sa = ss_cache.db ? 4 : 2;
		k.err = sel_err(nss);
	}
	tg_desc_to_seg(cd | (1ull << 40), (uint16_t)((csel & ~3u) | ncpl), &ncs);

	const unsigned old_sa = tg_stack_asz(c);
	const uint64_t old_sp = c->gpr[R_RSP];
	stk_push(c, &k, gsize, c->seg[S_SS].selector);
	stk_push(c, &k, gsize, trunc_osz(old_sp, gsize));
	if (!lma) {
		/* Parameters are copied from the caller's stack, the one at
		 * the highest address first, keeping their order. */
		unsigned n = (unsigned)(g0 >> 32) & 0x1f;
		for (unsigned i = n; i-- > 0;) {
			uint64_t v = tg_read(c, S_SS, sp_mask(old_sa, old_sp + i * gsize),
					     gsize);
			stk_push(c, &k, gsize, v);
		}
	}
	stk_push(c, &k, gsize, old_cs);
	stk_push(c, &k, gsize, ret);
	check_target(c, &ncs, lma, eip);
	tg_set_desc_accessed(c, csel);
	if (!lma)
		tg_set_desc_accessed(c, nss);

	c->seg[S_SS] = ss_cache;
	c->seg[S_CS] = ncs;
	if (k.sa == 2)
		c->gpr[R_RSP] = (uint32_t)((nsp & ~0xffffull) | (uint16_t)k.sp);
	else
		c->gpr[R_RSP] = k.sa == 4 ? (uint32_t)k.sp : k.sp;
	c->rip = eip;
	tg_recompute_mode(c); /* CPL = SS.DPL = new CPL */
}

static void far_transfer(struct vcpu *c, const struct tg_insn *d, int kind,
			 uint16_t sel, uint64_t off)
{
	if (tg_realish(c)) {
		far_real(c, d, kind, sel, off);
		return;
	}
	if ((sel & ~3u) == 0)
		tg_raise_gp(c, 0);
	uint64_t desc;
	if (!tg_read_desc(c, sel, &desc))
		tg_raise_gp(c, sel_err(sel));
	if (desc_is_code(desc)) {
		far_direct(c, d, kind, sel, off, desc);
		return;
	}
	if (desc_s(desc))
		tg_raise_gp(c, sel_err(sel)); /* data segment */
	const bool lma = tg_long_active(c);
	switch (desc_type(desc)) {
	case 0xc:
		far_gate(c, d, kind, sel, desc);
		return;
	case 0x4:
		if (lma) /* 16-bit call gates do not exist in IA-32e mode */
			tg_raise_gp(c, sel_err(sel));
		far_gate(c, d, kind, sel, desc);
		return;
	case 0x1: case 0x5: case 0x9:
		if (lma) /* no task switching in IA-32e mode [SDM 7.7] */
			tg_raise_gp(c, sel_err(sel));
		/* Task gate or available TSS: hardware task switch, not
		 * modelled. */
		tg_exit_unimplemented(c, d);
	default:
		tg_raise_gp(c, sel_err(sel)); /* busy TSS, LDT, interrupt gates */
	}
}

/* EA / 9A: ptr16:16 / ptr16:32 (not in 64-bit mode). */
static void op_jmpf_ptr(struct vcpu *c, const struct tg_insn *d)
{
	far_transfer(c, d, FAR_JMP, d->imm2, d->imm);
}
static void op_callf_ptr(struct vcpu *c, const struct tg_insn *d)
{
	far_transfer(c, d, FAR_CALL, d->imm2, d->imm);
}

/* FF /3, FF /5: m16:16, m16:32, m16:64 (REX.W). */
static void op_far_mem(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t ea = tg_ea(c, d);
	uint64_t off = tg_read(c, d->seg, ea, d->osz);
	uint16_t sel = tg_read16(c, d->seg, ea_add(d, ea, d->osz));
	far_transfer(c, d, (d->reg & 7) == 3 ? FAR_CALL : FAR_JMP, sel, off);
}

/* CB / CA Iw: RET far [SDM Vol. 2 RET]. */
static void op_retf(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned osz = d->osz, sa = tg_stack_asz(c);
	const uint16_t imm = d->opc == 0xca ? (uint16_t)d->imm : 0;
	const uint64_t sp = sp_mask(sa, c->gpr[R_RSP]);
	uint64_t eip = tg_read(c, S_SS, sp, osz);
	const uint16_t sel = (uint16_t)tg_read(c, S_SS, sp_mask(sa, sp + osz), osz);

	if (tg_realish(c)) {
		eip = trunc_osz(eip, osz);
		if (eip > c->seg[S_CS].limit)
			tg_raise_gp(c, 0);
		tg_load_real_seg(c, S_CS, sel);
		sp_commit(c, sa, sp + 2 * osz + imm);
		c->rip = eip;
		return;
	}

	const unsigned cpl = c->cpl, rpl = sel & 3u;
	if ((sel & ~3u) == 0)
		tg_raise_gp(c, 0);
	uint64_t cd;
	if (!tg_read_desc(c, sel, &cd))
		tg_raise_gp(c, sel_err(sel));
	if (!desc_is_code(cd) || rpl < cpl)
		tg_raise_gp(c, sel_err(sel));
	if (desc_conforming(cd) ? desc_dpl(cd) > rpl : desc_dpl(cd) != rpl)
		tg_raise_gp(c, sel_err(sel));
	if (tg_long_active(c) && desc_l(cd) && desc_db(cd))
		tg_raise_gp(c, sel_err(sel));
	if (!desc_p(cd))
		tg_raise_np(c, sel_err(sel));
	const bool t64 = target64(c, cd);
	eip = trunc_osz(eip, osz);
	struct kvm_segment ncs;
	tg_desc_to_seg(cd | (1ull << 40), sel, &ncs);

	if (rpl == cpl) {
		check_target(c, &ncs, t64, eip);
		tg_set_desc_accessed(c, sel);
		c->seg[S_CS] = ncs;
		sp_commit(c, sa, sp + 2 * osz + imm);
		c->rip = eip;
		tg_recompute_mode(c);
		return;
	}

	/* Return to an outer privilege level: SS:RSP follow the parameters
	 * the immediate releases. */
	const uint64_t a = sp_mask(sa, sp + 2 * osz + imm);
	const uint64_t nsp = tg_read(c, S_SS, a, osz);
	const uint16_t nss = (uint16_t)tg_read(c, S_SS, sp_mask(sa, a + osz), osz);
	struct kvm_segment ss_cache;
	if ((nss & ~3u) == 0) {
		/* A null SS is allowed only back to 64-bit code at CPL < 3
		 * [SDM Vol. 2 RET, IA-32e mode]. */
		if (!t64 || rpl == 3 || (nss & 3u) != rpl)
			tg_raise_gp(c, 0);
		ss_cache = (struct kvm_segment){ .selector = nss, .dpl = (uint8_t)rpl,
						 .unusable = 1 };
	} else {
		uint64_t sd;
		if (!tg_read_desc(c, nss, &sd))
			tg_raise_gp(c, sel_err(nss));
		if ((nss & 3u) != rpl || !desc_is_data(sd) || !(desc_type(sd) & 2) ||
		    desc_dpl(sd) != rpl)
			tg_raise_gp(c, sel_err(nss));
		if (!desc_p(sd))
			tg_raise_ss(c, sel_err(nss));
		tg_desc_to_seg(sd | (1ull << 40), nss, &ss_cache);
		tg_set_desc_accessed(c, nss);
	}
	check_target(c, &ncs, t64, eip);
	tg_set_desc_accessed(c, sel);

	c->seg[S_CS] = ncs;
	c->seg[S_SS] = ss_cache;
	if (osz == 8)
		c->gpr[R_RSP] = nsp;
	else if (osz == 4)
		c->gpr[R_RSP] = (uint32_t)nsp;
	else
		c->gpr[R_RSP] = (c->gpr[R_RSP] & ~0xffffull) | (uint16_t)nsp;
	const unsigned nsa = t64 ? 8 : ss_cache.db ? 4 : 2;
	sp_commit(c, nsa, c->gpr[R_RSP] + imm);
	c->rip = eip;
	tg_null_outer_segs(c, rpl);
	tg_recompute_mode(c);
}

tg_handler tg_sel_sys_far(struct tg_insn *d)
{
	if (d->map != 0)
		return 0;
	switch (d->opc) {
	case 0xea: return op_jmpf_ptr;
	case 0x9a: return op_callf_ptr;
	case 0xca: case 0xcb: return op_retf;
	case 0xff:
		return d->mod == 3 ? tg_op_ud : op_far_mem;
	}
	return 0;
}
