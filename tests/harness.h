/* Test harness: a VM with one vCPU and one RAM slot at guest-physical 0,
 * put into real, 32-bit protected or 64-bit long mode the way a VMM does
 * (KVM_SET_SREGS with descriptor tables and page tables in guest memory).
 *
 * Guest memory map used by the harness:
 *   0x1000  GDT (see TH_SEL_*)       0x2000  IDT (256 x 16 bytes, empty)
 *   0x3000  64-bit TSS / 32-bit TSS  0x10000 PML4, 0x11000 PDPT,
 *   0x12000-0x15fff four PDs: identity map of 0-4 GiB with 2 MiB pages
 *   0x80000 initial stack top        0x100000 code (TH_CODE)
 */
#ifndef TG_TEST_HARNESS_H
#define TG_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "trapgate.h"

#define TH_GDT 0x1000
#define TH_IDT 0x2000
#define TH_TSS 0x3000
#define TH_PML4 0x10000
#define TH_STACK 0x80000
#define TH_CODE 0x100000

#define TH_SEL_CODE64 0x08
#define TH_SEL_DATA 0x10
#define TH_SEL_CODE32 0x18
#define TH_SEL_UCODE64 0x23
#define TH_SEL_UDATA 0x2b
#define TH_SEL_CODE16 0x30
#define TH_SEL_TSS 0x38
#define TH_SEL_UCODE32 0x4b

struct th {
	struct tg_vm *vm;
	struct tg_vcpu *vcpu;
	struct kvm_run *run;
	uint8_t *mem;
	size_t size;
};

/* Returns 0 or a negative errno (with tg_last_error() for the reason). */
int th_init(struct th *t, enum tg_backend_kind kind, size_t mem_size);
void th_fini(struct th *t);

void th_load(struct th *t, uint64_t gpa, const void *bytes, size_t len);
/* Mode set-up: descriptor tables, page tables, sregs and regs (RFLAGS=2). */
void th_long_mode(struct th *t, uint64_t rip, uint64_t rsp);
void th_prot32(struct th *t, uint64_t rip, uint64_t rsp);
void th_real(struct th *t, uint16_t cs, uint16_t ip);

/* IDT gates [SDM 6.14.1 / 6.11]: 64-bit (16-byte) and 32-bit (8-byte)
 * interrupt (type 14) or trap (type 15) gates into TH_IDT, code selector
 * TH_SEL_CODE64 / TH_SEL_CODE32; real-mode IVT entries at 0. */
void th_gate64(struct th *t, int vec, uint64_t handler, int type, int dpl, int ist);
void th_gate32(struct th *t, int vec, uint32_t handler, int type, int dpl);
void th_ivt(struct th *t, int vec, uint16_t seg, uint16_t off);

/* One KVM_RUN: the exit reason, or a negative errno. */
int th_run(struct th *t);
/* Run until an exit other than KVM_EXIT_IO to ports 0xe9 (debug console,
 * ignored). Returns the exit reason. */
int th_run_until(struct th *t);

struct kvm_regs th_regs(struct th *t);

/* Guest-physical reads and writes of the harness RAM (little-endian). */
#define TH_ACCESSORS(bits)                                                  \
	static inline uint##bits##_t th_rd##bits(const struct th *t, uint64_t gpa) \
	{                                                                   \
		uint##bits##_t v;                                           \
		memcpy(&v, t->mem + gpa, sizeof v);                         \
		return v;                                                   \
	}                                                                   \
	static inline void th_wr##bits(struct th *t, uint64_t gpa, uint##bits##_t v) \
	{                                                                   \
		memcpy(t->mem + gpa, &v, sizeof v);                         \
	}
TH_ACCESSORS(8)
TH_ACCESSORS(16)
TH_ACCESSORS(32)
TH_ACCESSORS(64)
#undef TH_ACCESSORS
struct kvm_sregs th_sregs(struct th *t);

#endif
