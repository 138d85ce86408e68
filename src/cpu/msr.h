/* Model-specific registers shared by RDMSR/WRMSR and KVM_GET/SET_MSRS. */
#ifndef TG_CPU_MSR_H
#define TG_CPU_MSR_H

#include "cpu.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APICBASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_DEBUGCTL 0x1d9
#define MSR_IA32_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* Guest TSC: deterministic, advancing with retired instructions. */
uint64_t tg_rdtsc(const struct vcpu *c);

/* 0 on success, -1 when the MSR does not exist or the value is rejected
 * (RDMSR/WRMSR raise #GP(0) then; the API stops there). `host` relaxes the
 * checks a VMM restoring state may skip (EFER.LMA, TSC). */
int tg_msr_read(struct vcpu *c, uint32_t idx, uint64_t *val);
int tg_msr_write(struct vcpu *c, uint32_t idx, uint64_t val, bool host);

#define APICBASE_EXTD (1ull << 10)
#define APICBASE_EN (1ull << 11)

/* RDMSR/WRMSR of an MSR the model does not know (reason
 * KVM_MSR_EXIT_REASON_UNKNOWN) or refuses (_INVAL): exits to the VMM when
 * it enabled that reason with KVM_CAP_X86_USER_SPACE_MSR (does not
 * return), and after its answer returns 0 (*val read) or -1 for #GP(0).
 * Returns -1 at once when the reason is not enabled. */
int tg_msr_user(struct vcpu *c, uint32_t idx, bool write, uint64_t *val,
		uint32_t reason);

#endif
