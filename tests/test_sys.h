/* Shared set-up for the system-instruction tests (test_sys*.c,
 * test_seg*.c): snippets in guests/asm/sys_64.S and sys_32.S at fixed
 * offsets, exception stubs (sys_exc64.S, sys_exc32.S) that record the
 * vector, error code and frame at REC, extra GDT entries from 0x50 on. */
#ifndef TG_TEST_SYS_H
#define TG_TEST_SYS_H

#include <string.h>

#include "harness.h"
#include "test.h"

#ifndef BACKEND
#define BACKEND TG_BACKEND_MODEL
#endif

extern const uint8_t guest_sys_64[], guest_sys_64_end[];
extern const uint8_t guest_sys_32[], guest_sys_32_end[];
extern const uint8_t guest_sys_exc64[], guest_sys_exc64_end[];
extern const uint8_t guest_sys_exc32[], guest_sys_exc32_end[];

#define SX64 0x190000 /* 64-bit exception stubs, 0x40 per vector */
#define SX32 0x1a0000 /* 32-bit exception stubs */
#define REC 0x7000    /* what a stub records */
#define SNIP(n) (TH_CODE + 0x20 * (n))
#define NVEC 18       /* stubs exist for vectors 0..17 */
#define GDT_LIMIT 0xff

struct rec {
	uint64_t vec, err, rip, cs, rflags, rsp, ss;
};

static inline uint64_t rd64(struct th *t, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, t->mem + gpa, 8);
	return v;
}
static inline void wr64(struct th *t, uint64_t gpa, uint64_t v)
{
	memcpy(t->mem + gpa, &v, 8);
}
static inline uint32_t rd32(struct th *t, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, t->mem + gpa, 4);
	return v;
}

static inline struct rec rec_read(struct th *t)
{
	struct rec r;
	memcpy(&r, t->mem + REC, sizeof r);
	return r;
}

/* Descriptor [SDM 3.4.5 Figure 3-8]: type, S, DPL, P, L, D/B, G. */
static inline uint64_t mkdesc(uint32_t base, uint32_t limit, unsigned type,
			      unsigned s, unsigned dpl, unsigned p, unsigned l,
			      unsigned db, unsigned g)
{
	return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)type << 40) | ((uint64_t)s << 44) |
	       ((uint64_t)dpl << 45) | ((uint64_t)p << 47) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)l << 53) |
	       ((uint64_t)db << 54) | ((uint64_t)g << 55) |
	       ((uint64_t)(base >> 24) << 56);
}
/* flat 4 GiB data / code, given type and DPL */
static inline uint64_t flat_data(unsigned type, unsigned dpl)
{
	return mkdesc(0, 0xfffff, type, 1, dpl, 1, 0, 1, 1);
}

static inline void gdt_set(struct th *t, unsigned sel, uint64_t d)
{
	wr64(t, TH_GDT + (sel & ~7u), d);
}

static inline int run_print(struct th *t)
{
	int r = th_run(t);
	if (r == KVM_EXIT_INTERNAL_ERROR) {
		struct kvm_regs g;
		tg_vcpu_get_regs(t->vcpu, &g);
		printf("    internal error: suberror %u at RIP=0x%llx, bytes %02x %02x %02x\n",
		       t->run->internal.suberror, (unsigned long long)g.rip,
		       t->run->emulation_failure.insn_bytes[0],
		       t->run->emulation_failure.insn_bytes[1],
		       t->run->emulation_failure.insn_bytes[2]);
	}
	return r;
}

static inline void set_rip(struct th *t, uint64_t rip)
{
	struct kvm_regs r = th_regs(t);
	r.rip = rip;
	tg_vcpu_set_regs(t->vcpu, &r);
}

static inline void set_msr(struct th *t, uint32_t idx, uint64_t v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h = { .nmsrs = 1 }, .e = { .index = idx, .data = v } };
	tg_vcpu_set_msrs(t->vcpu, &m.h);
}

/* A VM in long mode (harness layout) with the 64-bit snippets at TH_CODE,
 * stubs for vectors 0..17 (interrupt gates, DPL0), a larger GDT and the
 * record area preset to all ones. */
static inline int sys_setup64(struct th *t)
{
	int r = th_init(t, BACKEND, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_sys_64, (size_t)(guest_sys_64_end - guest_sys_64));
	th_load(t, SX64, guest_sys_exc64,
		(size_t)(guest_sys_exc64_end - guest_sys_exc64));
	th_long_mode(t, TH_CODE, TH_STACK);
	for (int v = 0; v < NVEC; v++)
		th_gate64(t, v, SX64 + 0x40 * v, 14, 0, 0);
	struct kvm_sregs s = th_sregs(t);
	s.gdt.limit = GDT_LIMIT;
	tg_vcpu_set_sregs(t->vcpu, &s);
	memset(t->mem + REC, 0xff, 0x40);
	return 0;
}

/* The same in 32-bit protected mode (paging off), with a 32-bit TSS
 * whose SS0:ESP0 is TH_SEL_DATA:TH_STACK. */
static inline int sys_setup32(struct th *t)
{
	int r = th_init(t, BACKEND, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_sys_32, (size_t)(guest_sys_32_end - guest_sys_32));
	th_load(t, SX32, guest_sys_exc32,
		(size_t)(guest_sys_exc32_end - guest_sys_exc32));
	th_prot32(t, TH_CODE, TH_STACK);
	for (int v = 0; v < NVEC; v++)
		th_gate32(t, v, SX32 + 0x40 * v, 14, 0);
	/* 32-bit TSS: ESP0 at 4, SS0 at 8 [SDM 7.2.1]; descriptor type 11
	 * (busy 32-bit TSS) */
	memset(t->mem + TH_TSS, 0, 0x68);
	uint32_t esp0 = TH_STACK, ss0 = TH_SEL_DATA;
	memcpy(t->mem + TH_TSS + 4, &esp0, 4);
	memcpy(t->mem + TH_TSS + 8, &ss0, 4);
	gdt_set(t, TH_SEL_TSS, mkdesc(TH_TSS, 0x67, 11, 0, 0, 1, 0, 0, 0));
	struct kvm_sregs s = th_sregs(t);
	s.gdt.limit = GDT_LIMIT;
	s.idt.limit = 8 * 256 - 1;
	tg_vcpu_set_sregs(t->vcpu, &s);
	/* the stubs write 4-byte values: upper halves 0, "no exception" is
	 * a vector of 0xffffffff */
	memset(t->mem + REC, 0, 0x40);
	wr64(t, REC, 0xffffffff);
	return 0;
}

/* Current privilege 3: CS/SS (and the data segments) set to the harness's
 * DPL3 selectors the way a VMM would, through KVM_SET_SREGS. */
static inline void go_user(struct th *t, bool code64)
{
	struct kvm_sregs s = th_sregs(t);
	struct kvm_segment d = s.ss;
	d.selector = TH_SEL_UDATA;
	d.dpl = 3;
	s.ss = s.ds = s.es = s.fs = s.gs = d;
	s.cs.selector = code64 ? TH_SEL_UCODE64 : TH_SEL_UCODE32;
	s.cs.dpl = 3;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

#endif
