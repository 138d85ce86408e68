/* Segmentation checks, the software TLB, guest-physical lookup, and the
 * MMIO / port-I/O exits (with replay; see struct tg_replay). */
#include <string.h>

#include "cpu.h"
#include "debug.h"

/* ---- guest-physical ---- */

uint8_t *tg_phys_ptr(struct vcpu *c, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < TG_MAX_SLOTS; i++) {
		const struct tg_slot *s = &c->mem->slot[i];
		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size &&
		    len <= s->size - (gpa - s->gpa))
			return s->host + (gpa - s->gpa);
	}
	return 0;
}

/* ---- TLB ---- */

static const struct tg_tlb_entry tlb_empty = { TG_TLB_INVALID, TG_TLB_INVALID,
					       TG_TLB_INVALID, 0 };

static void tlb_clear(struct tg_tlb *t)
{
	for (unsigned i = 0; i < TG_TLB_SIZE; i++) {
		t->e[i] = tlb_empty;
		t->phys[i] = ~0ull;
	}
}

void tg_tlb_flush(struct vcpu *c)
{
	tlb_clear(&c->tlb_sup);
	tlb_clear(&c->tlb_user);
	c->jc_gen++;
	c->exit_block = 1;
}

void tg_tlb_flush_page(struct vcpu *c, uint64_t lin)
{
	unsigned i = (lin >> 12) & (TG_TLB_SIZE - 1);
	c->tlb_sup.e[i] = c->tlb_user.e[i] = tlb_empty;
	c->tlb_sup.phys[i] = c->tlb_user.phys[i] = ~0ull;
	c->jc_gen++;
	c->exit_block = 1;
}

void tg_tlb_select(struct vcpu *c)
{
	c->tlb_cur = c->cpl == 3 ? &c->tlb_user : &c->tlb_sup;
}

void tg_tlb_drop_writes_to(struct vcpu *c, uint64_t phys_page)
{
	for (unsigned i = 0; i < TG_TLB_SIZE; i++) {
		if (c->tlb_sup.phys[i] == phys_page)
			c->tlb_sup.e[i].tag_w = TG_TLB_INVALID;
		if (c->tlb_user.phys[i] == phys_page)
			c->tlb_user.e[i].tag_w = TG_TLB_INVALID;
	}
}

static inline bool is_user(const struct vcpu *c, int acc)
{
	return c->cpl == 3 && !(acc & ACC_SUP);
}

/* Translate and, for RAM, fill the TLB entry. Returns the host pointer of
 * the page (NULL for MMIO); *phys gets the physical address of lin. */
static uint8_t *translate(struct vcpu *c, uint64_t lin, int acc, uint64_t *phys)
{
	bool user = is_user(c, acc);
	int kind = acc & 3;
	unsigned perm;
	uint64_t pa;
	uint32_t err = tg_walk(c, lin, kind, user, &pa, &perm);
	if (err)
		tg_raise_pf(c, lin, err & ~WALK_FAULT);
	*phys = pa;
	uint64_t page = pa & ~0xfffull;
	uint8_t *host = tg_phys_ptr(c, page, 4096);
	if (!host)
		return 0;
	struct tg_tlb *t = user ? &c->tlb_user : &c->tlb_sup;
	unsigned idx = (lin >> 12) & (TG_TLB_SIZE - 1);
	struct tg_tlb_entry *e = &t->e[idx];
	uint64_t lpage = lin & ~0xfffull;
	if (t->phys[idx] != page || e->addend != (uintptr_t)host - lpage)
		*e = tlb_empty;
	e->addend = (uintptr_t)host - lpage;
	t->phys[idx] = page;
	/* Pages an enabled data breakpoint could hit stay out of the data
	 * TLB: every access there must reach the breakpoint check. */
	bool watched = (c->boundary_work & BW_DEBUG) && tg_debug_page_watched(c, lpage);
	if (!watched)
		e->tag_r = lpage;
	if ((perm & PERM_W) && (perm & PERM_DIRTY) && !tg_code_page(c, page) && !watched)
		e->tag_w = lpage;
	if (perm & PERM_X)
		e->tag_x = lpage;
	return host + (pa & 0xfff);
}

uint8_t *tg_lin_ptr(struct vcpu *c, uint64_t lin, unsigned size, int acc)
{
	if ((lin & 0xfff) + size > 4096)
		return 0;
	uint64_t pa;
	return translate(c, lin, acc, &pa);
}

uint8_t *tg_lin_ptr_noexcept(struct vcpu *c, uint64_t lin)
{
	/* Look in the TLBs only: diagnostics must not change guest state. */
	const struct tg_tlb *ts[2] = { &c->tlb_sup, &c->tlb_user };
	for (int k = 0; k < 2; k++) {
		const struct tg_tlb_entry *e = &ts[k]->e[(lin >> 12) & (TG_TLB_SIZE - 1)];
		uint64_t page = lin & ~0xfffull;
		if (e->tag_r == page || e->tag_x == page)
			return (uint8_t *)(uintptr_t)(lin + e->addend);
	}
	if (!(c->cr0 & CR0_PG))
		return tg_phys_ptr(c, c->efer & EFER_LMA ? lin : (uint32_t)lin, 1);
	return 0;
}

/* ---- MMIO through exits ---- */

static uint64_t mmio_access(struct vcpu *c, uint64_t pa, unsigned size,
			    bool write, uint64_t v)
{
	struct tg_replay *r = &c->mmio_replay;
	if (r->pos < r->n)
		return r->data[r->pos++];
	if (r->n >= TG_REPLAY_MAX)
		tg_exit_unimplemented(c, 0); /* more MMIO accesses than one
						instruction can make */
	struct kvm_run *run = c->run;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = pa;
	run->mmio.len = size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof run->mmio.data);
	if (write)
		memcpy(run->mmio.data, &v, size);
	r->rip = c->rip;
	r->data[r->n++] = v; /* a read's value is filled in by tg_exit_complete */
	c->exit_pending = write ? 0 : 2;
	c->boundary_work |= BW_REPLAY;
	tg_exit(c);
}

uint64_t tg_read_lin(struct vcpu *c, uint64_t lin, unsigned size, int acc)
{
	uint64_t v = 0;
	if ((lin & 0xfff) + size <= 4096) {
		uint64_t pa;
		uint8_t *p = translate(c, lin, acc, &pa);
		if (p)
			memcpy(&v, p, size);
		else
			v = mmio_access(c, pa, size, false, 0);
		return v;
	}
	/* Page-crossing: translate both pages before reading anything, so a
	 * fault on the second page leaves no partial effect. */
	unsigned first = 4096 - (unsigned)(lin & 0xfff);
	uint64_t pa1, pa2;
	uint8_t *p1 = translate(c, lin, acc, &pa1);
	uint8_t *p2 = translate(c, lin + first, acc, &pa2);
	uint64_t lo, hi;
	lo = 0;
	if (p1)
		memcpy(&lo, p1, first);
	else
		lo = mmio_access(c, pa1, first, false, 0);
	hi = 0;
	if (p2)
		memcpy(&hi, p2, size - first);
	else
		hi = mmio_access(c, pa2, size - first, false, 0);
	v = lo | hi << (8 * first);
	return v;
}

void tg_write_lin(struct vcpu *c, uint64_t lin, unsigned size, uint64_t v,
		  int acc)
{
	acc = (acc & ~3) | ACC_W;
	if ((lin & 0xfff) + size <= 4096) {
		uint64_t pa;
		uint8_t *p = translate(c, lin, acc, &pa);
		if (p) {
			if (tg_code_page(c, pa))
				tg_code_written(c, pa, size);
			memcpy(p, &v, size);
		} else {
			mmio_access(c, pa, size, true, v);
		}
		return;
	}
	unsigned first = 4096 - (unsigned)(lin & 0xfff);
	uint64_t pa1, pa2;
	uint8_t *p1 = translate(c, lin, acc, &pa1);
	uint8_t *p2 = translate(c, lin + first, acc, &pa2);
	if (p1) {
		if (tg_code_page(c, pa1))
			tg_code_written(c, pa1, first);
		memcpy(p1, &v, first);
	} else {
		mmio_access(c, pa1, first, true, v);
	}
	uint64_t hi = v >> (8 * first);
	if (p2) {
		if (tg_code_page(c, pa2))
			tg_code_written(c, pa2, size - first);
		memcpy(p2, &hi, size - first);
	} else {
		mmio_access(c, pa2, size - first, true, hi);
	}
}

/* ---- segmentation [SDM 5.3, 5.4; 3.4.2; 64-bit mode 3.3.7.1] ---- */

static _Noreturn void seg_fault(struct vcpu *c, int seg)
{
	if (seg == S_SS)
		tg_raise_ss(c, 0);
	tg_raise_gp(c, 0);
}

uint64_t tg_seg_linear(struct vcpu *c, int seg, uint64_t off, unsigned size,
		       int acc)
{
	const struct kvm_segment *s = &c->seg[seg];
	int kind = acc & 3;
	if (c->mode == MODE_LONG64) {
		uint64_t lin = (seg >= S_FS ? s->base : 0) + off;
		if (!tg_canonical(lin) || !tg_canonical(lin + size - 1))
			seg_fault(c, seg);
		return lin;
	}
	if (c->mode != MODE_REAL && c->mode != MODE_VM86) {
		/* Protected mode: null/unusable segment, type, then limit. */
		if (s->unusable || !s->present)
			seg_fault(c, seg);
		if (kind == ACC_W && ((s->type & 8) || !(s->type & 2)))
			seg_fault(c, seg);
		if (kind == ACC_R && (s->type & 8) && !(s->type & 2))
			seg_fault(c, seg);
	}
	uint64_t last = off + size - 1;
	if (!(s->type & 8) && (s->type & 4) && s->s) {
		/* expand-down data: valid offsets are (limit, top] */
		uint64_t top = s->db ? 0xffffffffull : 0xffffull;
		if (off <= s->limit || last > top)
			seg_fault(c, seg);
	} else if (last > s->limit || last < off) {
		seg_fault(c, seg);
	}
	return (uint32_t)(s->base + off);
}

uint64_t tg_read_slow(struct vcpu *c, int seg, uint64_t off, unsigned size)
{
	uint64_t lin = tg_seg_linear(c, seg, off, size, ACC_R);
	uint64_t v = tg_read_lin(c, lin, size, ACC_R);
	if (unlikely(c->boundary_work & BW_DEBUG))
		tg_debug_data_access(c, lin, size, false);
	return v;
}

void tg_write_slow(struct vcpu *c, int seg, uint64_t off, unsigned size,
		   uint64_t v)
{
	uint64_t lin = tg_seg_linear(c, seg, off, size, ACC_W);
	tg_write_lin(c, lin, size, v, ACC_W);
	if (unlikely(c->boundary_work & BW_DEBUG))
		tg_debug_data_access(c, lin, size, true);
}

uint64_t tg_rmw_read_slow(struct vcpu *c, int seg, uint64_t off, unsigned size)
{
	uint64_t lin = tg_seg_linear(c, seg, off, size, ACC_W);
	/* Check write permission on every page before the read. */
	uint64_t pa;
	unsigned first = 4096 - (unsigned)(lin & 0xfff);
	translate(c, lin, ACC_W, &pa);
	if (first < size)
		translate(c, lin + first, ACC_W, &pa);
	uint64_t v = tg_read_lin(c, lin, size, ACC_R);
	if (unlikely(c->boundary_work & BW_DEBUG))
		tg_debug_data_access(c, lin, size, false);
	return v;
}

/* ---- instruction fetch ---- */

uint64_t tg_fetch_linear(struct vcpu *c, uint64_t rip)
{
	if (c->mode == MODE_LONG64) {
		if (!tg_canonical(rip))
			tg_raise_gp(c, 0);
		return rip;
	}
	const struct kvm_segment *cs = &c->seg[S_CS];
	if (rip > cs->limit)
		tg_raise_gp(c, 0);
	return (uint32_t)(cs->base + rip);
}

uint8_t *tg_fetch_host(struct vcpu *c, uint64_t lin, uint64_t *phys)
{
	unsigned idx = (lin >> 12) & (TG_TLB_SIZE - 1);
	struct tg_tlb_entry *e = &c->tlb_cur->e[idx];
	if (likely(e->tag_x == (lin & ~0xfffull))) {
		*phys = c->tlb_cur->phys[idx] | (lin & 0xfff);
		return (uint8_t *)(uintptr_t)(lin + e->addend);
	}
	return translate(c, lin, ACC_X, phys);
}

/* ---- port I/O ---- */

static uint64_t io_access(struct vcpu *c, uint16_t port, unsigned size,
			  bool out, uint64_t v)
{
	struct tg_replay *r = &c->io_replay;
	if (r->pos < r->n) {
		/* The access completes now (re-execution after the exit): an
		 * I/O breakpoint trap belongs to this completed access. */
		if (unlikely(c->boundary_work & BW_DEBUG))
			tg_debug_io_access(c, port, size);
		return r->data[r->pos++];
	}
	if (r->n >= TG_REPLAY_MAX)
		tg_exit_unimplemented(c, 0);
	struct kvm_run *run = c->run;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = 1;
	/* Data lives in the run page after struct kvm_run, as KVM lays it out. */
	run->io.data_offset = TG_RUN_IO_OFFSET;
	uint8_t *data = (uint8_t *)run + TG_RUN_IO_OFFSET;
	memset(data, 0, 8);
	if (out)
		memcpy(data, &v, size);
	r->rip = c->rip;
	r->data[r->n++] = v;
	c->exit_pending = out ? 0 : 1;
	c->boundary_work |= BW_REPLAY;
	tg_exit(c);
}

uint64_t tg_io_in(struct vcpu *c, uint16_t port, unsigned size)
{
	return io_access(c, port, size, false, 0);
}

void tg_io_out(struct vcpu *c, uint16_t port, unsigned size, uint64_t v)
{
	io_access(c, port, size, true, v);
}

void tg_exit_complete(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	if (c->exit_pending == 1 && c->io_replay.n) {
		uint64_t v = 0;
		memcpy(&v, (uint8_t *)run + TG_RUN_IO_OFFSET, run->io.size);
		c->io_replay.data[c->io_replay.n - 1] = v;
	} else if (c->exit_pending == 2 && c->mmio_replay.n) {
		uint64_t v = 0;
		memcpy(&v, run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
		c->mmio_replay.data[c->mmio_replay.n - 1] = v;
	}
	c->exit_pending = 0;
}
