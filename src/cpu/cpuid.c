/* CPUID: an Intel-flavoured x86-64 processor that enumerates exactly what
 * the model implements [SDM Vol. 2 CPUID, Tables 3-8 .. 3-11].
 *
 * Left out on purpose: x87 FPU, MMX, SSE* and FXSR (no such units), VME
 * (virtual-8086 interrupt redirection is not complete), MTRR/MCA (no such
 * MSRs), MONITOR/MWAIT, XSAVE, PCID, UMIP, SMAP, RDRAND, the hypervisor
 * bit (the model plays bare metal) and performance monitoring. */
#include "ops.h"
#include "sys.h"

#define MAX_BASIC 0x7u
#define MAX_EXT 0x80000008u

/* 'GenuineIntel' as EBX, EDX, ECX */
#define VENDOR_EBX 0x756e6547u /* Genu */
#define VENDOR_EDX 0x49656e69u /* ineI */
#define VENDOR_ECX 0x6c65746eu /* ntel */

/* Leaf 1 EAX: family 6, model 0, stepping 0, the processor signature the
 * reset state leaves in EDX (cpu.c, as KVM does without a CPUID table). */
#define SIGNATURE 0x00000600u

/* Leaf 1 EDX [SDM Table 3-11] */
#define F1D_DE (1u << 2)
#define F1D_PSE (1u << 3)
#define F1D_TSC (1u << 4)
#define F1D_MSR (1u << 5)
#define F1D_PAE (1u << 6)
#define F1D_CX8 (1u << 8)
#define F1D_APIC (1u << 9)
#define F1D_SEP (1u << 11)
#define F1D_PGE (1u << 13)
#define F1D_CMOV (1u << 15)
#define F1D_PAT (1u << 16)
#define F1D_PSE36 (1u << 17)
#define F1D_CLFSH (1u << 19)
/* Leaf 1 ECX [SDM Table 3-10] */
#define F1C_CX16 (1u << 13)
#define F1C_X2APIC (1u << 21)
#define F1C_TSC_DEADLINE (1u << 24)
#define F1C_POPCNT (1u << 23)
/* Leaf 7.0 EBX */
#define F7B_FSGSBASE (1u << 0)
#define F7B_SMEP (1u << 7)
/* Leaf 80000001H */
#define E1C_LAHF (1u << 0)
#define E1C_ABM (1u << 5)   /* LZCNT */
#define E1D_SYSCALL (1u << 11)
#define E1D_NX (1u << 20)
#define E1D_PAGE1GB (1u << 26)
#define E1D_RDTSCP (1u << 27)
#define E1D_LM (1u << 29)

static const char brand[48] = "trapgate x86-64 software vCPU";

void tg_cpuid(const struct vcpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	uint32_t a = 0, b = 0, cx = 0, dx = 0;
	/* Intel: a leaf above the maximum of its range (basic or extended),
	 * or in no range at all, returns the highest basic leaf's data
	 * [SDM Vol. 2 CPUID, "INPUT EAX = 0" note]. */
	if (leaf >= 0x80000000u ? leaf > MAX_EXT : leaf > MAX_BASIC)
		leaf = MAX_BASIC;
	switch (leaf) {
	case 0:
		a = MAX_BASIC;
		b = VENDOR_EBX;
		dx = VENDOR_EDX;
		cx = VENDOR_ECX;
		break;
	case 1:
		a = SIGNATURE;
		/* CLFLUSH line size 8 x 8 = 64 bytes, one logical processor,
		 * initial APIC ID = vCPU id */
		b = (8u << 8) | (1u << 16) | ((uint32_t)(c->id & 0xff) << 24);
		cx = F1C_CX16 | F1C_POPCNT;
		/* x2APIC and the TSC-deadline timer live in the VMM's APIC: they
		 * exist when the VMM takes unknown MSRs (user-space MSR exits),
		 * as KVM offers them with a userspace irqchip that handles them. */
		if (c->user_msr_exits)
			cx |= F1C_X2APIC | F1C_TSC_DEADLINE;
		dx = F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE | F1D_CX8 |
		     F1D_SEP | F1D_PGE | F1D_CMOV | F1D_PAT |
		     F1D_PSE36 | F1D_CLFSH;
		/* The APIC flag follows IA32_APIC_BASE.EN [SDM 10.4.3: a
		 * disabled APIC reads as absent in CPUID]. */
		if (c->apic_base & (1u << 11))
			dx |= F1D_APIC;
		break;
	case 2:
		/* one iteration, no descriptors */
		a = 1;
		break;
	case 7:
		if (sub == 0)
			b = F7B_FSGSBASE | F7B_SMEP; /* EAX = 0 subleaves */
		break;
	case 0x80000000u:
		a = MAX_EXT;
		break;
	case 0x80000001u:
		cx = E1C_LAHF | E1C_ABM;
		dx = E1D_SYSCALL | E1D_NX | E1D_PAGE1GB | E1D_RDTSCP | E1D_LM;
		break;
	case 0x80000002u: case 0x80000003u: case 0x80000004u: {
		const uint8_t *p = (const uint8_t *)brand + (leaf - 0x80000002u) * 16;
		uint32_t w[4];
		__builtin_memcpy(w, p, 16);
		a = w[0], b = w[1], cx = w[2], dx = w[3];
		break;
	}
	case 0x80000008u:
		a = (48u << 8) | 40u; /* linear 48 bits, physical 40 (mmu.c) */
		break;
	default:
		/* 3-6, 80000005H-80000007H: nothing to report */
		break;
	}
	out[0] = a, out[1] = b, out[2] = cx, out[3] = dx;
}

void tg_op_cpuid(struct vcpu *c, const struct tg_insn *d)
{
	uint32_t r[4];
	tg_cpuid(c, (uint32_t)c->gpr[R_RAX], (uint32_t)c->gpr[R_RCX], r);
	c->gpr[R_RAX] = r[0];
	c->gpr[R_RBX] = r[1];
	c->gpr[R_RCX] = r[2];
	c->gpr[R_RDX] = r[3];
	tg_advance(c, d);
}
