#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

int th_init(struct th *t, enum tg_backend_kind kind, size_t mem_size)
{
	memset(t, 0, sizeof *t);
	int r = tg_vm_create(kind, &t->vm);
	if (r < 0)
		return r;
	t->mem = mmap(0, mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->mem == MAP_FAILED) {
		tg_vm_destroy(t->vm);
		return -ENOMEM;
	}
	t->size = mem_size;
	struct kvm_userspace_memory_region reg = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
		.userspace_addr = (uintptr_t)t->mem,
	};
	r = tg_vm_set_user_memory_region(t->vm, &reg);
	if (r == 0)
		r = tg_vcpu_create(t->vm, 0, &t->vcpu);
	if (r < 0) {
		th_fini(t);
		return r;
	}
	t->run = tg_vcpu_kvm_run(t->vcpu);
	return 0;
}

void th_fini(struct th *t)
{
	if (t->vm)
		tg_vm_destroy(t->vm);
	if (t->mem && t->mem != MAP_FAILED)
		munmap(t->mem, t->size);
	memset(t, 0, sizeof *t);
}

void th_load(struct th *t, uint64_t gpa, const void *bytes, size_t len)
{
	memcpy(t->mem + gpa, bytes, len);
}

static void put64(struct th *t, uint64_t gpa, uint64_t v)
{
	memcpy(t->mem + gpa, &v, 8);
}

/* GDT entries [SDM 3.4.5]. */
static void write_gdt(struct th *t)
{
	static const uint64_t gdt[] = {
		0,
		0x00af9a000000ffffull, /* 0x08 code64 DPL0 */
		0x00cf92000000ffffull, /* 0x10 data DPL0 */
		0x00cf9a000000ffffull, /* 0x18 code32 DPL0 */
		0x00affa000000ffffull, /* 0x20 code64 DPL3 */
		0x00cff2000000ffffull, /* 0x28 data DPL3 */
		0x00009a000000ffffull, /* 0x30 code16 DPL0 */
		0, 0,                  /* 0x38 TSS (filled below) */
		0x00cffa000000ffffull, /* 0x48 code32 DPL3 */
	};
	memcpy(t->mem + TH_GDT, gdt, sizeof gdt);
	/* 64-bit TSS descriptor: base TH_TSS, limit 0x67, type 9 (available) */
	uint64_t lo = 0x67 | ((uint64_t)(TH_TSS & 0xffffff) << 16) |
		      (0x89ull << 40) | ((uint64_t)(TH_TSS >> 24) << 56);
	put64(t, TH_GDT + 0x38, lo);
	put64(t, TH_GDT + 0x40, 0);
	/* TSS: RSP0 = TH_STACK */
	memset(t->mem + TH_TSS, 0, 0x68);
	put64(t, TH_TSS + 4, TH_STACK);
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint8_t dpl,
			      uint8_t db, uint8_t l, uint32_t limit, uint8_t g)
{
	return (struct kvm_segment){ .base = 0, .limit = limit, .selector = sel,
				     .type = type, .present = 1, .dpl = dpl,
				     .db = db, .s = 1, .l = l, .g = g };
}

static void common_sregs(struct th *t, struct kvm_sregs *s)
{
	s->gdt = (struct kvm_dtable){ .base = TH_GDT, .limit = 0x4f };
	s->idt = (struct kvm_dtable){ .base = TH_IDT, .limit = 0xfff };
	s->tr = (struct kvm_segment){ .base = TH_TSS, .limit = 0x67,
				      .selector = TH_SEL_TSS, .type = 11,
				      .present = 1 };
	s->ldt = (struct kvm_segment){ .type = 2, .present = 1, .unusable = 1 };
}

static void set_regs(struct th *t, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs r = { .rip = rip, .rsp = rsp, .rflags = 2 };
	tg_vcpu_set_regs(t->vcpu, &r);
}

void th_long_mode(struct th *t, uint64_t rip, uint64_t rsp)
{
	write_gdt(t);
	memset(t->mem + TH_PML4, 0, 0x6000);
	put64(t, TH_PML4, (TH_PML4 + 0x1000) | 7);
	for (int i = 0; i < 4; i++)
		put64(t, TH_PML4 + 0x1000 + i * 8, (TH_PML4 + 0x2000 + i * 0x1000) | 7);
	for (uint64_t i = 0; i < 2048; i++)
		put64(t, TH_PML4 + 0x2000 + i * 8, (i << 21) | 0x87);
	struct kvm_sregs s;
	tg_vcpu_get_sregs(t->vcpu, &s);
	common_sregs(t, &s);
	s.cs = seg(TH_SEL_CODE64, 11, 0, 0, 1, 0xffffffff, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(TH_SEL_DATA, 3, 0, 1, 0, 0xffffffff, 1);
	/* PG | WP | NE | ET | MP | PE */
	s.cr0 = (1u << 31) | (1u << 16) | (1u << 5) | (1u << 4) | (1u << 1) | 1u;
	s.cr3 = TH_PML4;
	s.cr4 = 1u << 5; /* PAE */
	s.efer = (1u << 8) | (1u << 10); /* LME | LMA */
	tg_vcpu_set_sregs(t->vcpu, &s);
	set_regs(t, rip, rsp);
}

void th_prot32(struct th *t, uint64_t rip, uint64_t rsp)
{
	write_gdt(t);
	struct kvm_sregs s;
	tg_vcpu_get_sregs(t->vcpu, &s);
	common_sregs(t, &s);
	s.tr.type = 11;
	s.cs = seg(TH_SEL_CODE32, 11, 0, 1, 0, 0xffffffff, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(TH_SEL_DATA, 3, 0, 1, 0, 0xffffffff, 1);
	s.cr0 = (1u << 5) | (1u << 4) | 1u;
	s.cr3 = s.cr4 = s.efer = 0;
	tg_vcpu_set_sregs(t->vcpu, &s);
	set_regs(t, rip, rsp);
}

void th_real(struct th *t, uint16_t cs, uint16_t ip)
{
	struct kvm_sregs s;
	tg_vcpu_get_sregs(t->vcpu, &s);
	s.cs.selector = cs;
	s.cs.base = (uint64_t)cs << 4;
	s.cr0 = 1u << 4;
	tg_vcpu_set_sregs(t->vcpu, &s);
	set_regs(t, ip, 0x7000);
}

int th_run(struct th *t)
{
	int r = tg_vcpu_run(t->vcpu);
	return r < 0 ? r : (int)t->run->exit_reason;
}

int th_run_until(struct th *t)
{
	for (;;) {
		int r = th_run(t);
		if (r == KVM_EXIT_IO && t->run->io.port == 0xe9)
			continue;
		return r;
	}
}

struct kvm_regs th_regs(struct th *t)
{
	struct kvm_regs r;
	tg_vcpu_get_regs(t->vcpu, &r);
	return r;
}

struct kvm_sregs th_sregs(struct th *t)
{
	struct kvm_sregs s;
	tg_vcpu_get_sregs(t->vcpu, &s);
	return s;
}

void th_gate64(struct th *t, int vec, uint64_t handler, int type, int dpl, int ist)
{
	uint64_t lo = (handler & 0xffff) | ((uint64_t)TH_SEL_CODE64 << 16) |
		      ((uint64_t)(ist & 7) << 32) | ((uint64_t)(type & 0xf) << 40) |
		      ((uint64_t)(dpl & 3) << 45) | (1ull << 47) |
		      ((handler >> 16) & 0xffff) << 48;
	put64(t, TH_IDT + vec * 16, lo);
	put64(t, TH_IDT + vec * 16 + 8, handler >> 32);
}

void th_gate32(struct th *t, int vec, uint32_t handler, int type, int dpl)
{
	uint64_t d = (handler & 0xffff) | ((uint64_t)TH_SEL_CODE32 << 16) |
		     ((uint64_t)(type & 0xf) << 40) | ((uint64_t)(dpl & 3) << 45) |
		     (1ull << 47) | (uint64_t)(handler >> 16) << 48;
	put64(t, TH_IDT + vec * 8, d);
}

void th_ivt(struct th *t, int vec, uint16_t seg, uint16_t off)
{
	memcpy(t->mem + vec * 4, &off, 2);
	memcpy(t->mem + vec * 4 + 2, &seg, 2);
}
