/* Page walk for 32-bit, PAE and 4-level paging [SDM Vol. 3A chapter 4],
 * with accessed/dirty updates and the U/S, R/W, NX, CR0.WP and SMEP rules. */
#include "cpu.h"

/* The model reports MAXPHYADDR = 40 in CPUID 0x80000008 (QEMU's default);
 * higher address bits in paging entries are reserved [SDM 4.4.2, 4.5.4]. */
#define MAXPHYADDR 40
#define PHYS_MASK ((1ull << MAXPHYADDR) - 1)
#define ADDR_MASK (PHYS_MASK & ~0xfffull)
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

/* Entries live in guest RAM; a table outside RAM reads as all-ones, like
 * an unbacked bus (which then fails the reserved-bit checks). */
static uint64_t read_entry(struct vcpu *c, uint64_t pa, unsigned size,
			   uint8_t **where)
{
	uint8_t *p = tg_phys_ptr(c, pa, size);
	*where = p;
	if (!p)
		return size == 8 ? ~0ull : 0xffffffffull;
	uint64_t v = 0;
	__builtin_memcpy(&v, p, size);
	return v;
}

static void set_bits(uint8_t *where, unsigned size, uint64_t bits)
{
	if (!where)
		return;
	uint64_t v = 0;
	__builtin_memcpy(&v, where, size);
	v |= bits;
	__builtin_memcpy(where, &v, size);
}

static uint32_t walk(struct vcpu *c, uint64_t lin, int acc, bool user,
		     uint64_t *phys, unsigned *perm, bool set_ad)
{
	if (!(c->cr0 & CR0_PG)) {
		*phys = (c->efer & EFER_LMA) ? lin : (uint32_t)lin;
		*perm = PERM_W | PERM_X | PERM_DIRTY;
		return 0;
	}

	const bool pae = c->cr4 & CR4_PAE;
	const bool lma = c->efer & EFER_LMA;
	const bool nxe = pae && (c->efer & EFER_NXE);
	const unsigned esz = pae ? 8 : 4;
	uint8_t *where[5];
	unsigned nlev = 0;
	uint64_t entry = 0, rsvd = 0;
	bool all_u = true, all_w = true, xd = false;
	uint64_t pa = 0;
	unsigned page_shift = 12;
	uint32_t err = 0;

	/* Error code bits known up front [SDM 4.7]. */
	uint32_t base_err = (acc == ACC_W ? PFEC_W : 0) | (user ? PFEC_U : 0) |
			    ((acc == ACC_X && (nxe || (c->cr4 & CR4_SMEP))) ? PFEC_I : 0);

	int levels;
	uint64_t table;
	if (lma) {
		levels = 4;
		table = c->cr3 & ADDR_MASK;
	} else if (pae) {
		/* PDPTE: no U/W/A bits; reserved bits 2:1, 8:5, 63:MAXPHYADDR */
		uint64_t pdpte = read_entry(c, (c->cr3 & 0xffffffe0) + ((lin >> 30) & 3) * 8,
					    8, &where[0]);
		if (!(pdpte & PTE_P))
			return WALK_FAULT | base_err;
		if (pdpte & (0x1e6ull | ~PHYS_MASK))
			return WALK_FAULT | base_err | PFEC_P | PFEC_RSVD;
		levels = 2;
		table = pdpte & ADDR_MASK;
		lin = (uint32_t)lin;
	} else {
		levels = 2;
		table = c->cr3 & 0xfffff000;
		lin = (uint32_t)lin;
	}

	for (int lvl = levels; lvl >= 1; lvl--) {
		unsigned shift = 12 + (pae ? 9 : 10) * (lvl - 1);
		unsigned idx = (lin >> shift) & (pae ? 0x1ff : 0x3ff);
		entry = read_entry(c, table + (uint64_t)idx * esz, esz, &where[nlev]);
		nlev++;
		if (!(entry & PTE_P))
			return WALK_FAULT | base_err;
		if (pae) {
			rsvd = (~PHYS_MASK & ~PTE_XD) | (nxe ? 0 : PTE_XD);
			if (lvl == 4)
				rsvd |= PTE_PS; /* no 512 GiB pages */
		} else {
			rsvd = 0;
		}
		bool large = (entry & PTE_PS) && lvl > 1 &&
			     (pae ? lvl <= 3 : (c->cr4 & CR4_PSE));
		/* 2 MiB: bits 20:13, 1 GiB: bits 29:13 are reserved (bit 12 is
		 * PAT) [SDM 4.5.4, Tables 4-17 and 4-15]. */
		if (large && pae)
			rsvd |= ((1ull << (shift - 13)) - 1) << 13;
		if (large && lvl == 3 && pae && !lma)
			rsvd |= PTE_PS;
		if (large && !pae)
			rsvd |= 1ull << 21; /* PSE-36 with MAXPHYADDR 40: bit 21 */
		if (entry & rsvd)
			return WALK_FAULT | base_err | PFEC_P | PFEC_RSVD;
		all_u &= !!(entry & PTE_U);
		all_w &= !!(entry & PTE_W);
		if (nxe && (entry & PTE_XD))
			xd = true;
		if (large || lvl == 1) {
			page_shift = shift;
			if (large && !pae) {
				/* 4 MiB page, PSE-36 high bits in 20:13 */
				pa = (entry & 0xffc00000ull) | ((entry >> 13) & 0xff) << 32;
			} else {
				pa = entry & ADDR_MASK & ~((1ull << shift) - 1);
			}
			break;
		}
		table = pae ? (entry & ADDR_MASK) : (entry & 0xfffff000);
	}

	/* Permissions [SDM 4.6]. */
	const bool wp = c->cr0 & CR0_WP;
	bool can_w = user ? all_w : (all_w || !wp);
	bool can_x = !xd && (user ? all_u : !(all_u && (c->cr4 & CR4_SMEP)));
	if (user && !all_u)
		err = WALK_FAULT;
	else if (acc == ACC_W && !can_w)
		err = WALK_FAULT;
	else if (acc == ACC_X && !can_x)
		err = WALK_FAULT;
	if (err)
		return WALK_FAULT | base_err | PFEC_P;

	/* Accessed at every level; dirty in the final entry on a write. */
	bool dirty = entry & PTE_D;
	if (set_ad) {
		for (unsigned i = 0; i < nlev; i++)
			set_bits(where[i], esz, PTE_A);
		if (acc == ACC_W) {
			set_bits(where[nlev - 1], esz, PTE_D);
			dirty = true;
		}
	}
	*phys = pa | (lin & ((1ull << page_shift) - 1));
	*perm = (can_w ? PERM_W : 0) | (can_x ? PERM_X : 0) |
		(dirty ? PERM_DIRTY : 0);
	return 0;
}

uint32_t tg_walk(struct vcpu *c, uint64_t lin, int acc, bool user,
		 uint64_t *phys, unsigned *perm)
{
	return walk(c, lin, acc, user, phys, perm, true);
}

/* For debuggers and KVM_TRANSLATE: the same checks, no accessed/dirty
 * updates (the guest must not see a debugger's reads). */
uint32_t tg_walk_probe(struct vcpu *c, uint64_t lin, int acc, bool user,
		       uint64_t *phys, unsigned *perm)
{
	return walk(c, lin, acc, user, phys, perm, false);
}
