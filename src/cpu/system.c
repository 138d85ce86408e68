/* System instructions: the selector for everything optab.c routes to O_SYS,
 * and the small privileged instructions (PUSHF/POPF, CLI/STI, HLT, MSRs,
 * TSC, SYSCALL/SYSRET, SYSENTER/SYSEXIT, FS/GS base, fences, x87 escapes,
 * BOUND, ARPL). Segment loads, far transfers, descriptor tables, control
 * and debug registers, port I/O and CPUID have their own files (sys.h). */
#include "msr.h"
#include "ops.h"
#include "sys.h"

/* ---- PUSHF / POPF [SDM Vol. 2 PUSHF, POPF; 20.2.7 for VME] ---- */

static void op_pushf(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t f = tg_get_rflags(c);
	if (c->mode == MODE_VM86 && tg_iopl(c) < 3) {
		/* VME: a 16-bit PUSHF shows VIF as IF and IOPL as 3 */
		if (!(c->cr4 & CR4_VME) || d->osz != 2)
			tg_raise_gp(c, 0);
		f = (f & ~(uint64_t)F_IF) | ((f & F_VIF) ? F_IF : 0) | F_IOPL;
	}
	/* The image has VM and RF clear. */
	tg_push(c, d->osz, f & ~(uint64_t)(F_VM | F_RF));
	tg_advance(c, d);
}

static void op_popf(struct vcpu *c, const struct tg_insn *d)
{
	const uint64_t cur = tg_get_rflags(c);
	const unsigned osz = d->osz, iopl = tg_iopl(c);
	const uint64_t low16 = F_ARITH | F_TF | F_DF | F_NT;
	uint64_t mask, v;
	if (c->mode == MODE_VM86) {
		if (iopl == 3) {
			/* IOPL stays; VIF, VIP, VM and RF are not loaded */
			mask = low16 | F_IF | (osz == 4 ? F_AC | F_ID : 0);
			v = tg_pop(c, osz);
		} else if ((c->cr4 & CR4_VME) && osz == 2) {
			/* VME: IF in the image goes to VIF; a set TF, or IF
			 * set while VIP is pending, is #GP(0) [SDM 20.2.7.1] */
			const unsigned sa = tg_stack_asz(c);
			v = tg_read16(c, S_SS, sp_mask(sa, c->gpr[R_RSP]));
			if ((v & F_TF) || ((v & F_IF) && (cur & F_VIP)))
				tg_raise_gp(c, 0);
			tg_pop(c, 2);
			uint64_t nf = (cur & ~(low16 | F_VIF)) | (v & low16) |
				      ((v & F_IF) ? F_VIF : 0);
			tg_set_rflags(c, nf);
			tg_advance(c, d);
			return;
		} else {
			tg_raise_gp(c, 0);
		}
	} else {
		/* IOPL only at CPL 0; IF only when CPL <= IOPL, silently
		 * kept otherwise; VM, VIF and VIP are never loaded. */
		mask = low16 | (osz >= 4 ? F_AC | F_ID : 0);
		if (c->cpl == 0)
			mask |= F_IOPL;
		if (c->cpl <= iopl)
			mask |= F_IF;
		v = tg_pop(c, osz);
	}
	uint64_t nf = (cur & ~mask) | (v & mask);
	if (osz >= 4)
		nf &= ~(uint64_t)F_RF; /* RF is cleared by a 32/64-bit POPF */
	tg_set_rflags(c, nf);
	tg_advance(c, d);
}

/* ---- CLI / STI [SDM Vol. 2 CLI, STI; 20.4 for PVI/VME] ---- */

static void op_cli(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t bit = F_IF;
	if (c->mode == MODE_VM86) {
		if (tg_iopl(c) < 3) {
			if (!(c->cr4 & CR4_VME))
				tg_raise_gp(c, 0);
			bit = F_VIF;
		}
	} else if (c->mode != MODE_REAL && tg_iopl(c) < c->cpl) {
		if (c->cpl != 3 || !(c->cr4 & CR4_PVI))
			tg_raise_gp(c, 0);
		bit = F_VIF;
	}
	c->rflags &= ~bit;
	tg_recompute_boundary(c);
	tg_advance(c, d);
}

static void op_sti(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t bit = F_IF;
	if (c->mode == MODE_VM86) {
		if (tg_iopl(c) < 3) {
			if (!(c->cr4 & CR4_VME) || (c->rflags & F_VIP))
				tg_raise_gp(c, 0);
			bit = F_VIF;
		}
	} else if (c->mode != MODE_REAL && tg_iopl(c) < c->cpl) {
		if (c->cpl != 3 || !(c->cr4 & CR4_PVI) || (c->rflags & F_VIP))
			tg_raise_gp(c, 0);
		bit = F_VIF;
	}
	/* The STI shadow only when IF goes from 0 to 1, and never twice in
	 * a row [SDM Vol. 2 STI; 6.8.3]. */
	if (bit == F_IF && !(c->rflags & F_IF) && c->shadow_prev != SHADOW_STI)
		c->shadow = SHADOW_STI;
	c->rflags |= bit;
	tg_recompute_boundary(c);
	tg_advance(c, d);
}

/* ---- HLT ---- */

static void op_hlt(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	/* The HLT completes (RIP after it) and the vCPU halts. The boundary
	 * then reports KVM_EXIT_HLT, as KVM does without an in-kernel
	 * irqchip, unless something wakes it first: a single-step #DB
	 * pending from this HLT is delivered instead and the vCPU does not
	 * halt again [spec 3.7]. */
	tg_advance(c, d);
	c->halted = true;
	tg_recompute_boundary(c);
}

/* ---- MSRs and the TSC [SDM Vol. 2 RDMSR, WRMSR, RDTSC, RDPMC] ---- */

static void set_edx_eax(struct vcpu *c, uint64_t v)
{
	c->gpr[R_RAX] = (uint32_t)v;
	c->gpr[R_RDX] = v >> 32;
}

/* CPL > 0 faults before anything else; an MSR the model does not know
 * (or refuses) goes to the VMM when it asked for it (tg_msr_user). */
static void op_rdmsr(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t v = 0;
	uint32_t idx = (uint32_t)c->gpr[R_RCX];
	if (c->cpl)
		tg_raise_gp(c, 0);
	if (tg_msr_read(c, idx, &v) &&
	    tg_msr_user(c, idx, false, &v, KVM_MSR_EXIT_REASON_UNKNOWN))
		tg_raise_gp(c, 0);
	set_edx_eax(c, v);
	tg_advance(c, d);
}

static void op_wrmsr(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t v = (uint32_t)c->gpr[R_RAX] | (uint64_t)(uint32_t)c->gpr[R_RDX] << 32;
	uint32_t idx = (uint32_t)c->gpr[R_RCX];
	if (c->cpl)
		tg_raise_gp(c, 0);
	if (tg_msr_write(c, idx, v, false)) {
		uint64_t probe;
		uint32_t reason = tg_msr_read(c, idx, &probe) ? KVM_MSR_EXIT_REASON_UNKNOWN
							     : KVM_MSR_EXIT_REASON_INVAL;
		if (tg_msr_user(c, idx, true, &v, reason))
			tg_raise_gp(c, 0);
	}
	tg_advance(c, d);
}

static void op_rdtsc(struct vcpu *c, const struct tg_insn *d)
{
	if ((c->cr4 & CR4_TSD) && c->cpl)
		tg_raise_gp(c, 0);
	set_edx_eax(c, tg_rdtsc(c));
	tg_advance(c, d);
}

/* No performance counters are enumerated (CPUID leaf 0AH is absent), so
 * every ECX is an invalid counter: #GP(0) at any CPL. */
static void op_rdpmc(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	tg_raise_gp(c, 0);
}

/* INVD / WBINVD: no caches to write back. */
static void op_cpl0_nop(struct vcpu *c, const struct tg_insn *d)
{
	if (c->cpl)
		tg_raise_gp(c, 0);
	tg_advance(c, d);
}

static void op_nop(struct vcpu *c, const struct tg_insn *d)
{
	tg_advance(c, d);
}

/* ---- SYSCALL / SYSRET (Intel) [SDM Vol. 2 SYSCALL, SYSRET] ---- */

static void op_syscall(struct vcpu *c, const struct tg_insn *d)
{
	/* Intel: #UD outside 64-bit mode or with EFER.SCE = 0 */
	if (c->mode != MODE_LONG64 || !(c->efer & EFER_SCE))
		tg_raise_ud(c);
	const uint16_t sel = (uint16_t)(c->star >> 32);
	const uint64_t f = tg_get_rflags(c);
	c->gpr[R_RCX] = c->rip + d->len;
	c->gpr[R_R11] = f;
	tg_flat_code(&c->seg[S_CS], sel & 0xfffc, 0, true);
	tg_flat_stack(&c->seg[S_SS], (uint16_t)(sel + 8), 0);
	c->rip = c->lstar;
	tg_set_rflags(c, f & ~(c->sfmask | F_RF));
	tg_recompute_mode(c);
}

static void op_sysret(struct vcpu *c, const struct tg_insn *d)
{
	if (c->mode != MODE_LONG64 || !(c->efer & EFER_SCE))
		tg_raise_ud(c);
	if (c->cpl)
		tg_raise_gp(c, 0);
	const uint16_t sel = (uint16_t)(c->star >> 48);
	uint64_t rip;
	if (d->osz == 8) {
		/* Intel raises #GP(0) at CPL 0 for a non-canonical RCX */
		if (!tg_canonical(c->gpr[R_RCX]))
			tg_raise_gp(c, 0);
		rip = c->gpr[R_RCX];
		tg_flat_code(&c->seg[S_CS], (uint16_t)((sel + 16) | 3), 3, true);
	} else {
		rip = (uint32_t)c->gpr[R_RCX];
		tg_flat_code(&c->seg[S_CS], (uint16_t)(sel | 3), 3, false);
	}
	tg_flat_stack(&c->seg[S_SS], (uint16_t)((sel + 8) | 3), 3);
	c->rip = rip;
	tg_set_rflags(c, (c->gpr[R_R11] & 0x3c7fd7) | F_FIXED1);
	tg_recompute_mode(c);
}

/* ---- SYSENTER / SYSEXIT [SDM Vol. 2 SYSENTER, SYSEXIT] ---- */

static void op_sysenter(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xfffc) == 0)
		tg_raise_gp(c, 0);
	const bool lma = tg_long_active(c);
	const uint16_t sel = (uint16_t)c->sysenter_cs & 0xfffc;
	tg_flat_code(&c->seg[S_CS], sel, 0, lma);
	tg_flat_stack(&c->seg[S_SS], (uint16_t)(sel + 8), 0);
	c->rip = lma ? c->sysenter_eip : (uint32_t)c->sysenter_eip;
	c->gpr[R_RSP] = lma ? c->sysenter_esp : (uint32_t)c->sysenter_esp;
	tg_set_rflags(c, tg_get_rflags(c) & ~(uint64_t)(F_VM | F_IF | F_RF));
	tg_recompute_mode(c);
}

static void op_sysexit(struct vcpu *c, const struct tg_insn *d)
{
	if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xfffc) == 0 || c->cpl)
		tg_raise_gp(c, 0);
	const uint16_t base = (uint16_t)c->sysenter_cs;
	if (d->osz == 8) {
		if (!tg_canonical(c->gpr[R_RDX]) || !tg_canonical(c->gpr[R_RCX]))
			tg_raise_gp(c, 0);
		tg_flat_code(&c->seg[S_CS], (uint16_t)((base + 32) | 3), 3, true);
		tg_flat_stack(&c->seg[S_SS], (uint16_t)((base + 40) | 3), 3);
		c->rip = c->gpr[R_RDX];
		c->gpr[R_RSP] = c->gpr[R_RCX];
	} else {
		tg_flat_code(&c->seg[S_CS], (uint16_t)((base + 16) | 3), 3, false);
		tg_flat_stack(&c->seg[S_SS], (uint16_t)((base + 24) | 3), 3);
		c->rip = (uint32_t)c->gpr[R_RDX];
		c->gpr[R_RSP] = (uint32_t)c->gpr[R_RCX];
	}
	tg_recompute_mode(c);
}

/* ---- 0F AE group 15 ---- */

/* RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE: 64-bit mode with CR4.FSGSBASE,
 * else #UD; a non-canonical write is #GP(0) [SDM Vol. 2 RDFSBASE, WRFSBASE]. */
static void op_fsgsbase(struct vcpu *c, const struct tg_insn *d)
{
	if (c->mode != MODE_LONG64 || !(c->cr4 & CR4_FSGSBASE))
		tg_raise_ud(c);
	const unsigned r = d->reg & 7;
	const int seg = (r & 1) ? S_GS : S_FS;
	const unsigned size = d->osz == 8 ? 8 : 4;
	if (r < 2) {
		tg_set_reg(c, d, d->rm, size, c->seg[seg].base);
	} else {
		uint64_t v = tg_get_reg(c, d, d->rm, size);
		if (!tg_canonical(v))
			tg_raise_gp(c, 0);
		c->seg[seg].base = v;
		tg_recompute_mode(c); /* flat masks depend on the base */
	}
	tg_advance(c, d);
}

/* CLFLUSH m8: touches nothing the model caches, but the operand is still
 * checked like a byte read (segment limit, #PF) [SDM Vol. 2 CLFLUSH]. */
static void op_clflush(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t lin = tg_seg_linear(c, d->seg, tg_ea(c, d), 1, ACC_R);
	tg_read_lin(c, lin, 1, ACC_R);
	tg_advance(c, d);
}

static tg_handler sel_grp15(const struct tg_insn *d)
{
	const unsigned r = d->reg & 7;
	if (d->mod == 3) {
		if (d->rep == 0xf3 && !d->has_osz_prefix)
			return r <= 3 ? op_fsgsbase : tg_op_ud;
		/* LFENCE, MFENCE, SFENCE: ordering is trivially kept by a
		 * one-instruction-at-a-time interpreter */
		if (!d->rep && !d->has_osz_prefix && r >= 5)
			return op_nop;
		return tg_op_ud;
	}
	if (r == 7 && !d->rep && !d->has_osz_prefix)
		return op_clflush;
	/* FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, XSAVE*: no FXSR, SSE or XSAVE in
	 * CPUID, so these are invalid opcodes. */
	return tg_op_ud;
}

/* ---- x87 escapes D8-DF: the model has no FPU ---- */

static void op_x87(struct vcpu *c, const struct tg_insn *d)
{
	/* CR0.EM or CR0.TS: #NM before anything else [SDM 2.5, Table 2-2;
	 * 6.15 Interrupt 7]. Otherwise the instruction is not modelled. */
	if (c->cr0 & (CR0_EM | CR0_TS))
		tg_raise(c, EXC_NM);
	tg_exit_unimplemented(c, d);
}

/* ---- BOUND (62, not in 64-bit mode) [SDM Vol. 2 BOUND] ---- */

static void op_bound(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned osz = d->osz;
	uint64_t ea = tg_ea(c, d);
	int64_t lo = tg_sext(tg_read(c, d->seg, ea, osz), osz);
	int64_t hi = tg_sext(tg_read(c, d->seg, ea_add(d, ea, osz), osz), osz);
	int64_t idx = tg_sext(c->gpr[d->reg], osz);
	if (idx < lo || idx > hi)
		tg_raise(c, EXC_BR);
	tg_advance(c, d);
}

/* ---- ARPL Ew, Gw (63, not in 64-bit mode) [SDM Vol. 2 ARPL] ----
 * optab.c routes the memory form here in every mode; in 64-bit mode that
 * opcode is MOVSXD, which without REX.W loads 32 (or 16) bits. */
static void op_arpl(struct vcpu *c, const struct tg_insn *d)
{
	if (c->mode == MODE_LONG64) {
		uint64_t v = tg_read(c, d->seg, tg_ea(c, d), d->osz);
		tg_set_reg(c, d, d->reg, d->osz, v);
		tg_advance(c, d);
		return;
	}
	if (tg_realish(c))
		tg_raise_ud(c); /* not recognised in real and VM86 mode */
	uint16_t dst;
	struct tg_rmw h = { 0 };
	if (d->mod == 3)
		dst = (uint16_t)c->gpr[d->rm];
	else
		dst = (uint16_t)tg_rmw_read(c, d->seg, tg_ea(c, d), 2, &h);
	uint16_t src = (uint16_t)c->gpr[d->reg];
	uint64_t f = tg_get_rflags(c);
	if ((dst & 3) < (src & 3)) {
		dst = (uint16_t)((dst & ~3u) | (src & 3));
		if (d->mod == 3)
			tg_set_reg(c, d, d->rm, 2, dst);
		else
			tg_rmw_write(c, &h, dst);
		f |= F_ZF;
	} else {
		f &= ~(uint64_t)F_ZF;
	}
	tg_set_arith_flags(c, f);
	tg_advance(c, d);
}

/* ---- the selector ---- */

static tg_handler sel_map0(struct tg_insn *d)
{
	switch (d->opc) {
	case 0x06: case 0x07: case 0x0e: case 0x16: case 0x17: case 0x1e:
	case 0x1f: case 0x8c: case 0x8e: case 0xc4: case 0xc5:
		return tg_sel_sys_seg(d);
	case 0x9a: case 0xea: case 0xca: case 0xcb: case 0xff:
		return tg_sel_sys_far(d);
	case 0x62:
		return d->mod == 3 ? tg_op_ud : op_bound;
	case 0x63:
		return op_arpl;
	case 0x9c: return op_pushf;
	case 0x9d: return op_popf;
	case 0xfa: return op_cli;
	case 0xfb: return op_sti;
	case 0xf4: return op_hlt;
	case 0xd8 ... 0xdf: return op_x87;
	case 0x6c ... 0x6f: case 0xe4 ... 0xe7: case 0xec ... 0xef:
		return tg_sel_sys_io(d);
	}
	return 0;
}

static tg_handler sel_map1(struct tg_insn *d)
{
	switch (d->opc) {
	case 0x00: case 0x01: case 0x02: case 0x03:
		return tg_sel_sys_desc(d);
	case 0x05: return op_syscall;
	case 0x07: return op_sysret;
	case 0x06: case 0x20: case 0x21: case 0x22: case 0x23:
		return tg_sel_sys_cr(d);
	case 0x08: case 0x09: return op_cpl0_nop;
	case 0x30: return op_wrmsr;
	case 0x31: return op_rdtsc;
	case 0x32: return op_rdmsr;
	case 0x33: return op_rdpmc;
	case 0x34: return op_sysenter;
	case 0x35: return op_sysexit;
	case 0x37: return tg_op_ud;  /* GETSEC: no SMX */
	case 0xa2: return tg_op_cpuid;
	case 0xaa: return tg_op_ud;  /* RSM outside SMM */
	case 0xae: return sel_grp15(d);
	case 0xa0: case 0xa1: case 0xa8: case 0xa9:
	case 0xb2: case 0xb4: case 0xb5:
		return tg_sel_sys_seg(d);
	case 0xc7:
		/* VMPTRLD/VMPTRST/RDRAND/RDSEED/RDPID: none is enumerated */
		return tg_op_ud;
	}
	return 0;
}

tg_handler tg_sel_sys(struct tg_insn *d)
{
	if (d->map == 0)
		return sel_map0(d);
	if (d->map == 1)
		return sel_map1(d);
	return 0;
}
