/* Control and debug registers: MOV to/from CR0/CR2/CR3/CR4/CR8 and
 * DR0-DR7, CLTS [SDM Vol. 2 MOV (control, debug registers), CLTS;
 * Vol. 3A 2.5, 9.8.5, 17.2; spec db-semantics.md section 1]. */
#include "debug.h"
#include "ops.h"
#include "sys.h"

/* What this model implements: the other CR0[31:0] bits are reserved and
 * ignored on writes, ET is hardwired to 1 [SDM 2.5]. */
#define CR0_VALID (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | \
		   CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR4 bits backed by CPUID (cpuid.c) and by the model: no UMIP, PCID,
 * LA57, XSAVE or SMAP, so those bits are reserved (#GP on a write). */
#define CR4_VALID (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | \
		   CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | \
		   CR4_FSGSBASE | CR4_SMEP)
#define MAXPHYADDR 40

/* PAE paging outside IA-32e mode loads the four PDPTEs on MOV CR3, on
 * MOV CR0 that enables paging and on MOV CR4 changing PAE/PGE/PSE/SMEP;
 * a present PDPTE with reserved bits (2:1, 8:5, 63:MAXPHYADDR) makes the
 * MOV #GP(0) [SDM 4.4.1]. A PDPT outside RAM reads as all ones. */
static bool pdptes_ok(struct vcpu *c, uint64_t cr3)
{
	for (unsigned i = 0; i < 4; i++) {
		uint64_t e = ~0ull;
		const uint8_t *p = tg_phys_ptr(c, (cr3 & 0xffffffe0) + i * 8, 8);
		if (p)
			__builtin_memcpy(&e, p, 8);
		if ((e & 1) && (e & (0x1e6ull | ~((1ull << MAXPHYADDR) - 1))))
			return false;
	}
	return true;
}

void tg_write_cr0(struct vcpu *c, uint64_t v)
{
	if (v >> 32)
		tg_raise_gp(c, 0); /* CR0[63:32] are reserved */
	v = (v & CR0_VALID) | CR0_ET;
	if ((v & CR0_PG) && !(v & CR0_PE))
		tg_raise_gp(c, 0);
	if ((v & CR0_NW) && !(v & CR0_CD))
		tg_raise_gp(c, 0);
	const uint64_t old = c->cr0;
	uint64_t efer = c->efer;
	if ((v & CR0_PG) && !(old & CR0_PG)) {
		if (efer & EFER_LME) {
			/* Activating IA-32e mode needs CR4.PAE [SDM 9.8.5];
			 * KVM also refuses it with CS.L set. */
			if (!(c->cr4 & CR4_PAE) || c->seg[S_CS].l)
				tg_raise_gp(c, 0);
			efer |= EFER_LMA;
		} else if ((c->cr4 & CR4_PAE) && !pdptes_ok(c, c->cr3)) {
			tg_raise_gp(c, 0);
		}
	} else if (!(v & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		/* Paging can be turned off only from compatibility mode,
		 * which leaves IA-32e mode [SDM 9.8.5.4; MOV CR 64-bit mode
		 * exceptions: clearing CR0.PG]. */
		if (c->mode == MODE_LONG64)
			tg_raise_gp(c, 0);
		efer &= ~EFER_LMA;
	}
	c->cr0 = v;
	bool flush = (old ^ v) & (CR0_PG | CR0_WP | CR0_PE);
	if (efer != c->efer) {
		c->efer = efer;
		flush = true;
	}
	if (flush)
		tg_tlb_flush(c);
	tg_recompute_mode(c);
}

static void write_cr3(struct vcpu *c, uint64_t v)
{
	if (c->efer & EFER_LMA) {
		/* bits 63:MAXPHYADDR are reserved (bit 63 is no-flush only
		 * with CR4.PCIDE, which this model does not offer) */
		if (v >> MAXPHYADDR)
			tg_raise_gp(c, 0);
	} else {
		v = (uint32_t)v;
		if ((c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE) && !pdptes_ok(c, v))
			tg_raise_gp(c, 0);
	}
	c->cr3 = v;
	tg_tlb_flush(c);
}

static void write_cr4(struct vcpu *c, uint64_t v)
{
	if (v & ~(uint64_t)CR4_VALID)
		tg_raise_gp(c, 0);
	/* PAE cannot be cleared while IA-32e mode is active */
	if ((c->efer & EFER_LMA) && !(v & CR4_PAE))
		tg_raise_gp(c, 0);
	const uint64_t old = c->cr4;
	const uint64_t paging_bits = CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP;
	if ((c->cr0 & CR0_PG) && !(c->efer & EFER_LMA) && (v & CR4_PAE) &&
	    ((old ^ v) & paging_bits) && !pdptes_ok(c, c->cr3))
		tg_raise_gp(c, 0);
	c->cr4 = v;
	if ((old ^ v) & paging_bits)
		tg_tlb_flush(c);
	if ((old ^ v) & CR4_DE) /* I/O breakpoints come and go */
		tg_debug_regs_changed(c);
	tg_recompute_mode(c);
}

/* MOV CR operands are 64 bits in 64-bit mode and 32 bits elsewhere, the
 * operand-size prefix ignored. */
static unsigned cr_size(const struct vcpu *c)
{
	return c->mode == MODE_LONG64 ? 8 : 4;
}

static bool cr_exists(unsigned n)
{
	return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
}

/* The privilege check comes first, then the register number (#UD), as in
 * KVM's emulator (Priv before check_perm). */
static void op_mov_from_cr(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	uint64_t v;
	switch (d->reg) {
	case 0: v = c->cr0; break;
	case 2: v = c->cr2; break;
	case 3: v = c->cr3; break;
	case 4: v = c->cr4; break;
	case 8: v = c->cr8; break;
	default: tg_raise_ud(c);
	}
	tg_set_reg(c, d, d->rm, cr_size(c), v);
	tg_advance(c, d);
}

static void op_mov_to_cr(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	if (!cr_exists(d->reg))
		tg_raise_ud(c);
	uint64_t v = tg_get_reg(c, d, d->rm, cr_size(c));
	switch (d->reg) {
	case 0: tg_write_cr0(c, v); break;
	case 2: c->cr2 = v; break;
	case 3: write_cr3(c, v); break;
	case 4: write_cr4(c, v); break;
	case 8:
		if (v >> 4) /* TPR: bits 63:4 reserved */
			tg_raise_gp(c, 0);
		/* Without an in-kernel APIC, lowering the TPR exits so the
		 * VMM can deliver what the old priority held back (KVM:
		 * KVM_EXIT_SET_TPR after the MOV completes). */
		if (v < c->cr8)
			tg_request_exit(c, KVM_EXIT_SET_TPR);
		c->cr8 = v;
		break;
	}
	tg_advance(c, d);
}

static void op_clts(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	c->cr0 &= ~CR0_TS;
	tg_advance(c, d);
}

/* ---- debug registers [spec 1.2-1.5; SDM 17.2] ---- */

/* CPUID enumerates neither RTM nor bus-lock detection, so their
 * active-low DR6 bits (16, 11) read as fixed 1 [spec 1.2]. */
#define DR6_FORCED (DR6_FIXED_1 | (1ull << 16) | (1ull << 11))

/* DR number after the CR4.DE rule: DR4/DR5 alias DR6/DR7 with DE=0 and
 * are #UD with DE=1 [spec 1.4]; DR8-DR15 (REX.R) do not exist. */
static unsigned dr_number(struct vcpu *c, const struct tg_insn *d)
{
	unsigned n = d->reg;
	if (n > 7)
		tg_raise_ud(c);
	if (n == 4 || n == 5) {
		if (c->cr4 & CR4_DE)
			tg_raise_ud(c);
		n += 2;
	}
	return n;
}

/* General detect [SDM 17.2.4, spec 1.5]: with DR7.GD=1 every MOV DR is a
 * fault-class #DB (DR6.BD) before it executes. Left to the debug issue;
 * this is where its check belongs: after #GP(CPL) and #UD, before any
 * register is read or written. */
static void dr_general_detect(struct vcpu *c)
{
	/* A fault: RIP stays on the MOV, DR6 gets BD at delivery, which also
	 * clears GD so the handler can use the registers [SDM 17.2.4; spec
	 * 5.1]. The MOV SS shadow does not hold it back, and a fault inside
	 * the shadow drops the traps held there (boundary.c) [spec 4.2]. */
	/* Under KVM_GUESTDBG_USE_HW_BP the host's DR7.GD is the one in effect:
	 * the run exits with dr6 BD, pc on the MOV, guest DR6 untouched
	 * [spec 5.1; selftest debug_regs: 0xFFFF2FF0]. */
	if (tg_host_bp(c)) {
		if (c->host_dr7 & DR7_GD)
			tg_exit_debug(c, EXC_DB, DR6_ACTIVE_LOW | DR6_BD);
		return;
	}
	if (c->dr7 & DR7_GD)
		tg_raise_db(c, DR6_BD);
}

static void op_mov_from_dr(struct vcpu *c, const struct tg_insn *d)
{
	/* Order as KVM: #GP(CPL), then #UD, then general detect [spec 1.5,
	 * UNVERIFIED on hardware]. Real mode counts as CPL 0. */
	if (c->cpl)
		tg_raise_gp(c, 0);
	unsigned n = dr_number(c, d);
	dr_general_detect(c);
	uint64_t v = n < 4 ? c->dr[n] : n == 6 ? c->dr6 : c->dr7;
	tg_set_reg(c, d, d->rm, cr_size(c), v);
	tg_advance(c, d);
}

static void op_mov_to_dr(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	unsigned n = dr_number(c, d);
	dr_general_detect(c);
	uint64_t v = tg_get_reg(c, d, d->rm, cr_size(c));
	if (n < 4) {
		c->dr[n] = v;
	} else {
		if (v >> 32) /* DR6/DR7 bits 63:32 must be 0 [spec 1.2, 1.3] */
			tg_raise_gp(c, 0);
		if (n == 6)
			c->dr6 = (v & DR6_VOLATILE) | DR6_FORCED;
		else
			c->dr7 = (v & DR7_VOLATILE) | DR7_FIXED_1;
	}
	if (n != 6)
		tg_debug_regs_changed(c); /* breakpoints armed or moved */
	tg_advance(c, d);
}

tg_handler tg_sel_sys_cr(struct tg_insn *d)
{
	switch (d->opc) {
	case 0x06: return op_clts;
	case 0x20: return op_mov_from_cr;
	case 0x21: return op_mov_from_dr;
	case 0x22: return op_mov_to_cr;
	case 0x23: return op_mov_to_dr;
	}
	return 0;
}
