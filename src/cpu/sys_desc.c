/* Descriptor-table instructions: 0F 00 (SLDT, STR, LLDT, LTR, VERR, VERW),
 * 0F 01 (SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG, SWAPGS, RDTSCP), LAR
 * and LSL [SDM Vol. 2 for each; Vol. 3A 3.5, 5.10, 7.2.4]. UMIP is not
 * offered (CPUID), so SGDT/SIDT/SLDT/STR/SMSW work at any CPL. */
#include "msr.h"
#include "ops.h"
#include "sys.h"

/* ---- helpers ---- */

static uint16_t read_sel_operand(struct vcpu *c, const struct tg_insn *d)
{
	return d->mod == 3 ? (uint16_t)c->gpr[d->rm]
			   : tg_read16(c, d->seg, tg_ea(c, d));
}

/* SLDT/STR/SMSW destinations: a register gets the operand size (the value
 * zero-extended), memory always 16 bits. */
static void write_sel_operand(struct vcpu *c, const struct tg_insn *d, uint64_t v)
{
	if (d->mod == 3)
		tg_set_reg(c, d, d->rm, d->osz, d->osz == 2 ? (uint16_t)v : v);
	else
		tg_write16(c, d->seg, tg_ea(c, d), (uint16_t)v);
}

static void set_zf(struct vcpu *c, bool zf)
{
	uint64_t f = tg_get_rflags(c);
	tg_set_arith_flags(c, zf ? f | F_ZF : f & ~(uint64_t)F_ZF);
}

/* System descriptor (LDT or TSS) for LLDT/LTR into a segment cache. In
 * IA-32e mode it is 16 bytes: base bits 63:32 in the second quadword,
 * whose type field must be 0, and the base must be canonical
 * [SDM 7.2.3; Vol. 2 LLDT, LTR: #GP(selector)]. */
static uint64_t load_system_desc(struct vcpu *c, uint16_t sel, struct kvm_segment *s)
{
	uint64_t dd[2] = { 0, 0 };
	const bool lma = tg_long_active(c);
	if (lma ? !tg_read_desc16(c, sel, dd) : !tg_read_desc(c, sel, &dd[0]))
		tg_raise_gp(c, sel_err(sel));
	tg_desc_to_seg(dd[0], sel, s);
	if (lma) {
		s->base |= (dd[1] & 0xffffffff) << 32;
		if (((dd[1] >> 40) & 0x1f) || !tg_canonical(s->base))
			tg_raise_gp(c, sel_err(sel));
	}
	return dd[0];
}

/* 0F 00, LAR and LSL are not recognised in real and VM86 mode (#UD). */
static void pm_only(struct vcpu *c)
{
	if (tg_realish(c))
		tg_raise_ud(c);
}

/* ---- 0F 00: group 6 ---- */

static void op_sldt(struct vcpu *c, const struct tg_insn *d)
{
	pm_only(c);
	write_sel_operand(c, d, c->ldt.selector);
	tg_advance(c, d);
}

static void op_str(struct vcpu *c, const struct tg_insn *d)
{
	pm_only(c);
	write_sel_operand(c, d, c->tr.selector);
	tg_advance(c, d);
}

static void op_lldt(struct vcpu *c, const struct tg_insn *d)
{
	pm_only(c);
	if (c->cpl)
		tg_raise_gp(c, 0);
	uint16_t sel = read_sel_operand(c, d);
	if ((sel & 0xfffc) == 0) {
		/* A null selector leaves LDTR unusable [SDM Vol. 2 LLDT]. */
		c->ldt = (struct kvm_segment){ .selector = sel, .unusable = 1 };
		tg_advance(c, d);
		return;
	}
	if (sel & 4) /* must be in the GDT */
		tg_raise_gp(c, sel_err(sel));
	struct kvm_segment s;
	uint64_t lo = load_system_desc(c, sel, &s);
	if (desc_s(lo) || desc_type(lo) != 2)
		tg_raise_gp(c, sel_err(sel));
	if (!desc_p(lo))
		tg_raise_np(c, sel_err(sel));
	c->ldt = s;
	tg_advance(c, d);
}

static void op_ltr(struct vcpu *c, const struct tg_insn *d)
{
	pm_only(c);
	if (c->cpl)
		tg_raise_gp(c, 0);
	uint16_t sel = read_sel_operand(c, d);
	if ((sel & 0xfffc) == 0)
		tg_raise_gp(c, 0);
	if (sel & 4)
		tg_raise_gp(c, sel_err(sel));
	struct kvm_segment s;
	uint64_t lo = load_system_desc(c, sel, &s);
	/* an available TSS: 32-bit (9) or 16-bit (1); IA-32e mode only 9 */
	unsigned type = desc_type(lo);
	if (desc_s(lo) || !(type == 9 || (type == 1 && !tg_long_active(c))))
		tg_raise_gp(c, sel_err(sel));
	if (!desc_p(lo))
		tg_raise_np(c, sel_err(sel));
	/* Mark it busy in the GDT and in TR [SDM Vol. 2 LTR]. */
	uint64_t lin = c->gdt.base + (sel & ~7u) + 5;
	if (!tg_long_active(c))
		lin = (uint32_t)lin;
	uint8_t access = (uint8_t)tg_read_lin(c, lin, 1, ACC_R | ACC_SUP);
	tg_write_lin(c, lin, 1, access | 2, ACC_W | ACC_SUP);
	s.type |= 2;
	c->tr = s;
	tg_advance(c, d);
}

/* VERR/VERW: ZF=1 when the segment is readable/writable at CPL and RPL;
 * never faults on the descriptor [SDM Vol. 2 VERR, VERW]. */
static void op_verrw(struct vcpu *c, const struct tg_insn *d)
{
	pm_only(c);
	const bool w = (d->reg & 7) == 5;
	uint16_t sel = read_sel_operand(c, d);
	uint64_t desc;
	bool ok = false;
	if ((sel & 0xfffc) && tg_read_desc(c, sel, &desc) && desc_s(desc)) {
		unsigned dpl = desc_dpl(desc);
		bool priv = dpl >= c->cpl && dpl >= (sel & 3u);
		if (w)
			ok = desc_is_data(desc) && (desc_type(desc) & 2) && priv;
		else if (desc_conforming(desc))
			ok = desc_type(desc) & 2; /* no privilege check */
		else
			ok = (desc_is_data(desc) || (desc_type(desc) & 2)) && priv;
	}
	set_zf(c, ok);
	tg_advance(c, d);
}

/* ---- LAR / LSL [SDM Vol. 2 LAR, LSL] ---- */

static bool lar_lsl_type_ok(const struct vcpu *c, unsigned type, bool lar)
{
	if (tg_long_active(c)) /* LDT, 64-bit TSS (avail/busy), call gate */
		return type == 2 || type == 9 || type == 0xb || (lar && type == 0xc);
	switch (type) {
	case 1: case 2: case 3: case 9: case 0xb:
		return true;
	case 4: case 5: case 0xc:
		return lar; /* gates have access rights but no limit */
	}
	return false;
}

static void op_lar_lsl(struct vcpu *c, const struct tg_insn *d)
{
	pm_only(c);
	const bool lar = d->opc == 0x02;
	uint16_t sel = read_sel_operand(c, d);
	uint64_t desc;
	bool ok = false;
	if ((sel & 0xfffc) && tg_read_desc(c, sel, &desc)) {
		unsigned dpl = desc_dpl(desc);
		if (desc_s(desc))
			ok = desc_conforming(desc) ||
			     (dpl >= c->cpl && dpl >= (sel & 3u));
		else
			ok = lar_lsl_type_ok(c, desc_type(desc), lar) &&
			     dpl >= c->cpl && dpl >= (sel & 3u);
	}
	if (ok) {
		uint64_t v;
		if (lar) {
			/* access rights: mask 00FxFF00H; this model
			 * leaves the undefined bits 19:16 clear */
			v = (desc >> 32) & (d->osz == 2 ? 0xff00 : 0x00f0ff00);
		} else {
			struct kvm_segment s;
			tg_desc_to_seg(desc, sel, &s);
			v = s.limit;
		}
		tg_set_reg(c, d, d->reg, d->osz, d->osz == 2 ? (uint16_t)v : v);
	}
	set_zf(c, ok);
	tg_advance(c, d);
}

/* ---- 0F 01: group 7 ---- */

/* SGDT/SIDT: limit, then the base: 8 bytes in 64-bit mode, otherwise 4
 * (the full 32 bits even with a 16-bit operand size). Both parts are
 * checked before either is written. */
static void op_sgdt_sidt(struct vcpu *c, const struct tg_insn *d)
{
	const struct kvm_dtable *t = (d->reg & 7) == 0 ? &c->gdt : &c->idt;
	const unsigned bsz = c->mode == MODE_LONG64 ? 8 : 4;
	uint64_t ea = tg_ea(c, d);
	uint64_t ea2 = ea_add(d, ea, 2);
	tg_seg_linear(c, d->seg, ea2, bsz, ACC_W);
	tg_write16(c, d->seg, ea, t->limit);
	tg_write(c, d->seg, ea2, bsz, bsz == 8 ? t->base : (uint32_t)t->base);
	tg_advance(c, d);
}

/* LGDT/LIDT: a 16-bit operand size keeps 24 bits of the base; 64-bit mode
 * always reads 8 base bytes, which must be canonical (as KVM and the AMD
 * APM check). */
static void op_lgdt_lidt(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	uint64_t ea = tg_ea(c, d);
	uint16_t limit = tg_read16(c, d->seg, ea);
	uint64_t base;
	if (c->mode == MODE_LONG64) {
		base = tg_read64(c, d->seg, ea_add(d, ea, 2));
		if (!tg_canonical(base))
			tg_raise_gp(c, 0);
	} else {
		base = tg_read32(c, d->seg, ea_add(d, ea, 2));
		if (d->osz == 2)
			base &= 0xffffff;
	}
	struct kvm_dtable *t = (d->reg & 7) == 2 ? &c->gdt : &c->idt;
	t->base = base;
	t->limit = limit;
	tg_advance(c, d);
}

static void op_smsw(struct vcpu *c, const struct tg_insn *d)
{
	write_sel_operand(c, d, c->cr0);
	tg_advance(c, d);
}

/* LMSW loads CR0 bits 3:0; it can set PE but never clear it. */
static void op_lmsw(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	uint16_t v = read_sel_operand(c, d);
	uint64_t cr0 = (c->cr0 & ~0xeull) | (v & 0xf) | (c->cr0 & CR0_PE);
	tg_write_cr0(c, cr0);
	tg_advance(c, d);
}

/* INVLPG: the software TLB keeps 4 KiB pieces and does not record the
 * size of the page they came from, so invalidating "the page that
 * contains" the address (possibly 2 MiB or 1 GiB) means a full flush; a
 * larger flush is always allowed [SDM 4.10.4.1]. No fault on the operand,
 * not even a non-canonical one. */
static void op_invlpg(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	tg_tlb_flush(c);
	tg_advance(c, d);
}

static void op_swapgs(struct vcpu *c, const struct tg_insn *d)
{
	if (c->mode != MODE_LONG64)
		tg_raise_ud(c);
	if (c->cpl)
		tg_raise_gp(c, 0);
	uint64_t t = c->seg[S_GS].base;
	c->seg[S_GS].base = c->kernel_gs_base;
	c->kernel_gs_base = t;
	tg_recompute_mode(c); /* flat masks depend on the GS base */
	tg_advance(c, d);
}

static void op_rdtscp(struct vcpu *c, const struct tg_insn *d)
{
	if ((c->cr4 & CR4_TSD) && c->cpl)
		tg_raise_gp(c, 0);
	uint64_t t = tg_rdtsc(c);
	c->gpr[R_RAX] = (uint32_t)t;
	c->gpr[R_RDX] = t >> 32;
	c->gpr[R_RCX] = (uint32_t)c->tsc_aux;
	tg_advance(c, d);
}

static tg_handler sel_grp7(const struct tg_insn *d)
{
	const unsigned r = d->reg & 7, rm = d->rm & 7;
	if (d->mod != 3) {
		switch (r) {
		case 0: case 1: return op_sgdt_sidt;
		case 2: case 3: return op_lgdt_lidt;
		case 4: return op_smsw;
		case 5: return tg_op_ud; /* RSTORSSP: no CET */
		case 6: return op_lmsw;
		default: return op_invlpg;
		}
	}
	switch (r) {
	case 4: return op_smsw;
	case 6: return op_lmsw;
	case 7:
		if (rm == 0) return op_swapgs;
		if (rm == 1) return op_rdtscp;
		return tg_op_ud;
	}
	/* VMX, MONITOR/MWAIT, CLAC/STAC, XGETBV/XSETBV, SVM, ENCLS ...: none
	 * is enumerated by CPUID, so each is an invalid opcode. */
	return tg_op_ud;
}

static tg_handler sel_grp6(const struct tg_insn *d)
{
	switch (d->reg & 7) {
	case 0: return op_sldt;
	case 1: return op_str;
	case 2: return op_lldt;
	case 3: return op_ltr;
	case 4: case 5: return op_verrw;
	}
	return tg_op_ud;
}

tg_handler tg_sel_sys_desc(struct tg_insn *d)
{
	switch (d->opc) {
	case 0x00: return sel_grp6(d);
	case 0x01: return sel_grp7(d);
	case 0x02: case 0x03: return op_lar_lsl;
	}
	return 0;
}
