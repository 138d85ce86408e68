/* Guest memory access for the instruction handlers.
 *
 * Every access names a segment and an offset; segmentation checks, paging
 * (through the software TLB), MMIO exits and #GP/#SS/#PF all happen here.
 * A fault longjmps back to the run loop: handlers just call and use the
 * value, and must not commit register state before their last access. */
#ifndef TG_CPU_MEM_H
#define TG_CPU_MEM_H

#include <string.h>
#include "vcpu.h"

/* access kinds */
enum { ACC_R = 0, ACC_W = 1, ACC_X = 2 };
/* an implicit supervisor access (descriptor tables, TSS, IDT) regardless of CPL */
#define ACC_SUP 0x10

/* ---- slow paths (mem.c) ---- */
uint64_t tg_read_slow(struct vcpu *c, int seg, uint64_t off, unsigned size);
void tg_write_slow(struct vcpu *c, int seg, uint64_t off, unsigned size,
		   uint64_t v);
/* Read after checking write permission on every byte (segment and paging). */
uint64_t tg_rmw_read_slow(struct vcpu *c, int seg, uint64_t off, unsigned size);
/* Segment checks only: returns the linear address or raises #GP/#SS. */
uint64_t tg_seg_linear(struct vcpu *c, int seg, uint64_t off, unsigned size,
		       int acc);
/* Linear-address access (after segmentation). `acc` is ACC_* | ACC_SUP. */
uint64_t tg_read_lin(struct vcpu *c, uint64_t lin, unsigned size, int acc);
void tg_write_lin(struct vcpu *c, uint64_t lin, unsigned size, uint64_t v,
		  int acc);
/* Host pointer for [lin, lin+size) when it is ordinary RAM inside one page
 * and the access is allowed (may raise #PF); NULL for MMIO. */
uint8_t *tg_lin_ptr(struct vcpu *c, uint64_t lin, unsigned size, int acc);

/* Flush the whole software TLB (CR3/CR0/CR4/EFER writes, mode changes). */
void tg_tlb_flush(struct vcpu *c);
/* INVLPG: drop one linear page from both TLBs. */
void tg_tlb_flush_page(struct vcpu *c, uint64_t lin);
/* Recompute cpu->tlb_cur after a CPL change. */
void tg_tlb_select(struct vcpu *c);

/* Instruction fetch: CS limit check (#GP(0)) giving the linear address,
 * then translation for execute (#PF with I/D=1); NULL when not RAM. */
uint64_t tg_fetch_linear(struct vcpu *c, uint64_t rip);
uint8_t *tg_fetch_host(struct vcpu *c, uint64_t lin, uint64_t *phys);
/* Host pointer for one byte at a linear address if it is mapped RAM,
 * without faulting or setting accessed bits (for diagnostics). */
uint8_t *tg_lin_ptr_noexcept(struct vcpu *c, uint64_t lin);
/* Remove write permission from TLB entries mapping a physical page. */
void tg_tlb_drop_writes_to(struct vcpu *c, uint64_t phys_page);
/* At the start of a run: copy the VMM's answer to the previous IN/MMIO-read
 * exit into the replay log. */
void tg_exit_complete(struct vcpu *c);

/* Page walk (mmu.c). Translates lin for an access by the given privilege
 * (user = CPL3 and not an implicit supervisor access), setting accessed and
 * dirty bits. On success returns 0 and the physical address, and in *perm
 * what the mapping allows this privilege (PERM_* bits). On failure returns
 * the #PF error code (always with bit 31 set so 0 is never a failure). */
#define PERM_W 1u
#define PERM_X 2u
#define PERM_DIRTY 4u
#define WALK_FAULT (1u << 31)
uint32_t tg_walk(struct vcpu *c, uint64_t lin, int acc, bool user,
		 uint64_t *phys, unsigned *perm);
uint32_t tg_walk_probe(struct vcpu *c, uint64_t lin, int acc, bool user,
		       uint64_t *phys, unsigned *perm);

/* Guest-physical helpers: host pointer to RAM or NULL. */
uint8_t *tg_phys_ptr(struct vcpu *c, uint64_t gpa, uint64_t len);

/* ---- port I/O and MMIO through exits (with replay, see vcpu.h) ---- */
uint64_t tg_io_in(struct vcpu *c, uint16_t port, unsigned size);
void tg_io_out(struct vcpu *c, uint16_t port, unsigned size, uint64_t v);

/* ---- fast paths ----
 * Segments whose checks cannot fail for any in-range offset (64-bit mode
 * with base 0; 32-bit base 0, limit 4 GiB, readable/writable) are marked in
 * flat_r/flat_w by tg_recompute_mode(); then a naturally aligned access is
 * one TLB tag compare (unaligned ones go through the slow path). */
static inline bool tg_seg_flat(const struct vcpu *c, int seg, int acc)
{
	return ((acc == ACC_W ? c->flat_w : c->flat_r) >> seg) & 1;
}

static inline uint8_t *tg_tlb_hit(struct vcpu *c, uint64_t lin, unsigned size,
				  int acc)
{
	struct tg_tlb_entry *e = &c->tlb_cur->e[(lin >> 12) & (TG_TLB_SIZE - 1)];
	uint64_t tag = acc == ACC_W ? e->tag_w : acc == ACC_R ? e->tag_r : e->tag_x;
	/* One compare covers "same page and naturally aligned" (the low bits
	 * of an aligned access are zero, as in the tag); an unaligned access
	 * inside the page takes the second test. */
	if (__builtin_expect((lin & (~0xfffull | (size - 1))) == tag, 1) ||
	    (tag == (lin & ~0xfffull) && (lin & 0xfff) + size <= 4096))
		return (uint8_t *)(uintptr_t)(lin + e->addend);
	return 0;
}

#define TG_DEFINE_RW(bits)                                                      \
	static inline __attribute__((always_inline)) uint##bits##_t tg_read##bits(struct vcpu *c, int seg,    \
						    uint64_t off)               \
	{                                                                       \
		if (tg_seg_flat(c, seg, ACC_R)) {                               \
			struct tg_tlb_entry *e =                                \
				&c->tlb_cur->e[(off >> 12) & (TG_TLB_SIZE - 1)];\
			if (__builtin_expect((off & (~0xfffull | (bits / 8 - 1))) \
					     == e->tag_r, 1)) {                 \
				uint##bits##_t v;                               \
				memcpy(&v, (void *)(uintptr_t)(off + e->addend),\
				       sizeof v);                               \
				return v;                                       \
			}                                                       \
		}                                                               \
		return (uint##bits##_t)tg_read_slow(c, seg, off, bits / 8);     \
	}                                                                       \
	static inline __attribute__((always_inline)) void tg_write##bits(struct vcpu *c, int seg, uint64_t off,\
					  uint##bits##_t v)                     \
	{                                                                       \
		if (tg_seg_flat(c, seg, ACC_W)) {                               \
			struct tg_tlb_entry *e =                                \
				&c->tlb_cur->e[(off >> 12) & (TG_TLB_SIZE - 1)];\
			if (__builtin_expect((off & (~0xfffull | (bits / 8 - 1))) \
					     == e->tag_w, 1)) {                 \
				memcpy((void *)(uintptr_t)(off + e->addend), &v,\
				       sizeof v);                               \
				return;                                         \
			}                                                       \
		}                                                               \
		tg_write_slow(c, seg, off, bits / 8, v);                        \
	}
TG_DEFINE_RW(8)
TG_DEFINE_RW(16)
TG_DEFINE_RW(32)
TG_DEFINE_RW(64)
#undef TG_DEFINE_RW

/* Size-generic forms (size in bytes: 1, 2, 4, 8). */
static inline uint64_t tg_read(struct vcpu *c, int seg, uint64_t off,
			       unsigned size)
{
	switch (size) {
	case 1: return tg_read8(c, seg, off);
	case 2: return tg_read16(c, seg, off);
	case 4: return tg_read32(c, seg, off);
	default: return tg_read64(c, seg, off);
	}
}
static inline void tg_write(struct vcpu *c, int seg, uint64_t off,
			    unsigned size, uint64_t v)
{
	switch (size) {
	case 1: tg_write8(c, seg, off, (uint8_t)v); break;
	case 2: tg_write16(c, seg, off, (uint16_t)v); break;
	case 4: tg_write32(c, seg, off, (uint32_t)v); break;
	default: tg_write64(c, seg, off, v); break;
	}
}

/* Read-modify-write: the read checks write permission too (an RMW on a
 * read-only page faults with PFEC.W=1 before anything is read [SDM 4.7]). */
struct tg_rmw {
	int seg;
	uint64_t off;
	unsigned size;
};
static inline uint64_t tg_rmw_read(struct vcpu *c, int seg, uint64_t off,
				   unsigned size, struct tg_rmw *h)
{
	h->seg = seg;
	h->off = off;
	h->size = size;
	if (tg_seg_flat(c, seg, ACC_W)) {
		uint8_t *p = tg_tlb_hit(c, off, size, ACC_W);
		if (p) {
			uint64_t v = 0;
			memcpy(&v, p, size);
			return v;
		}
	}
	return tg_rmw_read_slow(c, seg, off, size);
}
static inline void tg_rmw_write(struct vcpu *c, const struct tg_rmw *h,
				uint64_t v)
{
	tg_write(c, h->seg, h->off, h->size, v);
}

#endif
