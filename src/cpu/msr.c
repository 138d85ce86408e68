/* MSRs the model implements [SDM Vol. 4]; anything else is #GP(0), or
 * an exit to the VMM when it enabled KVM_CAP_X86_USER_SPACE_MSR. */
#include <string.h>

#include "msr.h"
#include "sys.h"

/* Instructions retired before the current one: inside a fast-path block
 * insns_retired is only brought up to date at the block's end. */
static uint64_t retired_now(const struct vcpu *c)
{
	return tg_retired_now(c);
}

uint64_t tg_rdtsc(const struct vcpu *c)
{
	return c->tsc_base + retired_now(c);
}

int tg_msr_read(struct vcpu *c, uint32_t idx, uint64_t *val)
{
	switch (idx) {
	case MSR_IA32_TSC: *val = tg_rdtsc(c); return 0;
	case MSR_IA32_APICBASE: *val = c->apic_base; return 0;
	case MSR_IA32_BIOS_SIGN_ID: *val = 0; return 0; /* no microcode */
	case MSR_IA32_FEATURE_CONTROL: *val = 1; return 0; /* locked, no VMX */
	case MSR_IA32_SYSENTER_CS: *val = c->sysenter_cs; return 0;
	case MSR_IA32_SYSENTER_ESP: *val = c->sysenter_esp; return 0;
	case MSR_IA32_SYSENTER_EIP: *val = c->sysenter_eip; return 0;
	case MSR_IA32_MISC_ENABLE: *val = c->misc_enable; return 0;
	case MSR_IA32_DEBUGCTL: *val = c->debugctl; return 0;
	case MSR_IA32_PAT: *val = c->pat; return 0;
	case MSR_EFER: *val = c->efer; return 0;
	case MSR_STAR: *val = c->star; return 0;
	case MSR_LSTAR: *val = c->lstar; return 0;
	case MSR_CSTAR: *val = c->cstar; return 0;
	case MSR_SFMASK: *val = c->sfmask; return 0;
	case MSR_FS_BASE: *val = c->seg[S_FS].base; return 0;
	case MSR_GS_BASE: *val = c->seg[S_GS].base; return 0;
	case MSR_KERNEL_GS_BASE: *val = c->kernel_gs_base; return 0;
	case MSR_TSC_AUX: *val = c->tsc_aux; return 0;
	}
	return -1;
}

int tg_msr_write(struct vcpu *c, uint32_t idx, uint64_t val, bool host)
{
	switch (idx) {
	case MSR_IA32_TSC:
		c->tsc_base = val - retired_now(c);
		return 0;
	case MSR_IA32_APICBASE: {
		/* Bits 7:0, 9, 63:MAXPHYADDR are reserved, and EXTD (10)
		 * unless CPUID.1:ECX[21] enumerates x2APIC [SDM 10.4.4,
		 * 10.12.1]. */
		uint32_t id[4];
		tg_cpuid(c, 1, 0, id);
		uint64_t rsvd = 0x2ffull | ~((1ull << 40) - 1) |
				(id[2] & (1u << 21) ? 0 : APICBASE_EXTD);
		if (val & rsvd)
			return -1;
		/* EXTD without EN is invalid; a guest may not go from x2APIC
		 * to xAPIC, nor from disabled to x2APIC, directly [SDM
		 * 10.12.5.1, Figure 10-27]. A VMM restoring state may. */
		uint64_t mode = val & (APICBASE_EN | APICBASE_EXTD);
		uint64_t old = c->apic_base & (APICBASE_EN | APICBASE_EXTD);
		if (mode == APICBASE_EXTD)
			return -1;
		if (!host && old == (APICBASE_EN | APICBASE_EXTD) && mode == APICBASE_EN)
			return -1;
		if (!host && old == 0 && mode == (APICBASE_EN | APICBASE_EXTD))
			return -1;
		c->apic_base = val;
		return 0;
	}
	case MSR_IA32_SYSENTER_CS: c->sysenter_cs = val & 0xffff; return 0;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!tg_canonical(val))
			return -1;
		if (idx == MSR_IA32_SYSENTER_ESP)
			c->sysenter_esp = val;
		else
			c->sysenter_eip = val;
		return 0;
	case MSR_IA32_BIOS_SIGN_ID:
		return 0; /* writing it asks for a microcode update: nothing */
	case MSR_IA32_MISC_ENABLE: c->misc_enable = val; return 0;
	case MSR_IA32_DEBUGCTL:
		/* only LBR (0) and BTF (1) are accepted, as KVM does */
		if (val & ~3ull)
			return -1;
		c->debugctl = val;
		return 0;
	case MSR_IA32_PAT:
		for (int i = 0; i < 8; i++) {
			unsigned t = (val >> (i * 8)) & 0xff;
			if (t == 2 || t == 3 || t > 7)
				return -1;
		}
		c->pat = val;
		return 0;
	case MSR_EFER: {
		/* SCE, LME, LMA (read-only to the guest), NXE */
		uint64_t allowed = EFER_SCE | EFER_LME | EFER_NXE | (host ? EFER_LMA : 0);
		if (val & ~(allowed | EFER_LMA))
			return -1;
		/* LME cannot change while paging is on [SDM 9.8.5] */
		if (!host && (c->cr0 & CR0_PG) && ((val ^ c->efer) & EFER_LME))
			return -1;
		if (!host)
			val = (val & ~EFER_LMA) | (c->efer & EFER_LMA);
		if ((val ^ c->efer) & (EFER_NXE | EFER_LMA))
			tg_tlb_flush(c);
		c->efer = val;
		tg_recompute_mode(c);
		return 0;
	}
	case MSR_STAR: c->star = val; return 0;
	case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!tg_canonical(val))
			return -1;
		if (idx == MSR_LSTAR) c->lstar = val;
		else if (idx == MSR_CSTAR) c->cstar = val;
		else if (idx == MSR_FS_BASE) c->seg[S_FS].base = val;
		else if (idx == MSR_GS_BASE) c->seg[S_GS].base = val;
		else c->kernel_gs_base = val;
		if (idx == MSR_FS_BASE || idx == MSR_GS_BASE)
			tg_recompute_mode(c); /* flat masks depend on the base */
		return 0;
	case MSR_SFMASK: c->sfmask = val & 0xffffffff; return 0;
	case MSR_TSC_AUX:
		if (val >> 32)
			return -1;
		c->tsc_aux = val;
		return 0;
	}
	return -1;
}

/* KVM_CAP_X86_USER_SPACE_MSR [KVM API 7.21, 5 "KVM_EXIT_X86_RDMSR"]: an
 * access the model cannot complete leaves as KVM_EXIT_X86_RDMSR/WRMSR
 * with run->msr.{reason,index,data}. The instruction exits uncommitted
 * (like IN: the I/O replay log records one access) and runs again at the
 * next KVM_RUN, which takes the VMM's run->msr.data for a read, or #GP(0)
 * when it set run->msr.error. */
int tg_msr_user(struct vcpu *c, uint32_t idx, bool write, uint64_t *val,
		uint32_t reason)
{
	struct kvm_run *run = c->run;
	struct tg_replay *r = &c->io_replay;
	if (r->pos < r->n) {
		r->pos++;
		if (run->msr.error)
			return -1;
		if (!write)
			*val = run->msr.data;
		return 0;
	}
	if (!(c->user_msr_exits & reason) || r->n >= TG_REPLAY_MAX)
		return -1;
	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof run->msr.pad);
	run->msr.reason = reason;
	run->msr.index = idx;
	run->msr.data = write ? *val : 0;
	r->rip = c->rip;
	r->data[r->n++] = 0;
	c->exit_pending = 0;
	c->boundary_work |= BW_REPLAY;
	tg_exit(c);
}
