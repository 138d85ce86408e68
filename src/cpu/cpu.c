/* The run loop: decoded-block cache, fast block execution, and the slow
 * per-instruction path taken whenever boundary_work is non-zero. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trapgate.h"
#include "boundary.h"
#include "cpu.h"
#include "debug.h"
#include "decode.h"

/* ---- lifecycle ---- */

int tg_cpu_init(struct vcpu *c, struct tg_memmap *mem, struct kvm_run *run)
{
	memset(c, 0, sizeof *c);
	c->mem = mem;
	c->run = run;
	c->blocks = calloc(TG_NBLOCKS, sizeof *c->blocks);
	c->jcache = calloc(TG_JC_SIZE, sizeof *c->jcache);
	if (!c->blocks || !c->jcache) {
		free(c->blocks);
		free(c->jcache);
		return -ENOMEM;
	}
	c->jc_gen = 1;
	tg_cpu_reset(c);
	return 0;
}

void tg_cpu_free(struct vcpu *c)
{
	free(c->blocks);
	free(c->jcache);
	c->blocks = 0;
	c->jcache = 0;
}

static void set_real_seg(struct kvm_segment *s, uint16_t sel, uint64_t base,
			 uint8_t type)
{
	*s = (struct kvm_segment){ .selector = sel, .base = base, .limit = 0xffff,
				   .type = type, .present = 1, .s = 1 };
}

/* [SDM 9.1.1, Table 9-1] and KVM's kvm_vcpu_reset(). */
void tg_cpu_reset(struct vcpu *c)
{
	memset(c->gpr, 0, sizeof c->gpr);
	c->gpr[R_RDX] = 0x600; /* processor signature (family 6) */
	c->rip = 0xfff0;
	c->rflags = F_FIXED1;
	tg_set_arith_flags(c, 0);
	set_real_seg(&c->seg[S_CS], 0xf000, 0xffff0000, 0xb);
	for (int s = 0; s < 6; s++)
		if (s != S_CS)
			set_real_seg(&c->seg[s], 0, 0, 0x3);
	c->ldt = (struct kvm_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	c->tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	c->gdt = (struct kvm_dtable){ .limit = 0xffff };
	c->idt = (struct kvm_dtable){ .limit = 0xffff };
	c->cr0 = CR0_ET | CR0_NW | CR0_CD;
	c->cr2 = c->cr3 = c->cr4 = c->cr8 = 0;
	c->efer = 0;
	memset(c->dr, 0, sizeof c->dr);
	c->dr6 = DR6_ACTIVE_LOW; /* reset values [spec 1.2, 1.3] */
	c->dr7 = DR7_FIXED_1;
	c->xcr0 = 1;
	c->apic_base = 0xfee00000 | (1u << 11) | (c->id == 0 ? 1u << 8 : 0);
	c->pat = 0x0007040600070406ull;
	c->misc_enable = 1; /* fast strings */
	c->exc = (struct tg_exception){ 0 };
	c->shadow = c->shadow_prev = SHADOW_NONE;
	c->pending_dbg = 0;
	c->nmi_pending = c->nmi_masked = false;
	c->irq_pending = -1;
	c->halted = false;
	c->triple_fault_pending = false;
	c->io_replay = (struct tg_replay){ 0 };
	c->mmio_replay = (struct tg_replay){ 0 };
	tg_tlb_flush(c);
	tg_recompute_mode(c);
}

/* ---- mode ---- */

static bool seg_flat32(const struct kvm_segment *s, bool write)
{
	if (s->unusable || !s->present || s->base != 0 || s->limit != 0xffffffff)
		return false;
	if (s->type & 8) /* code: readable, never writable */
		return !write && (s->type & 2);
	return !(s->type & 4) && (!write || (s->type & 2));
}

void tg_recompute_boundary(struct vcpu *c)
{
	uint32_t w = 0;
	if (c->exc.pending || c->exc.injected || c->triple_fault_pending)
		w |= BW_EVENT;
	if (c->shadow != SHADOW_NONE)
		w |= BW_SHADOW;
	if (c->rflags & F_TF)
		w |= BW_TF;
	if (tg_eff_dr7(c) & 0xff)
		w |= BW_DEBUG;
	if (c->guest_debug & KVM_GUESTDBG_ENABLE)
		w |= BW_HOSTDBG;
	if (c->trace_fn)
		w |= BW_TRACE;
	if (c->pending_dbg)
		w |= BW_PENDDBG;
	/* Only an event that could be taken at a boundary forces the slow
	 * path: an interrupt queued while IF=0 waits for whatever sets IF
	 * (STI, POPF, IRET, delivery, set_regs), and each of those recomputes
	 * these flags. A masked NMI waits for IRET likewise; so does an
	 * interrupt window the VMM asked for. */
	if (((c->irq_pending >= 0 || c->irq_window_req) && (c->rflags & F_IF)) ||
	    (c->nmi_pending && !c->nmi_masked))
		w |= BW_IRQ;
	if (c->exit_request)
		w |= BW_EXITREQ;
	if (c->rflags & F_RF)
		w |= BW_RF;
	if (c->halted)
		w |= BW_HALTED;
	if (c->io_replay.n || c->mmio_replay.n)
		w |= BW_REPLAY;
	c->boundary_work = w;
	c->exit_block = 1;
}

void tg_recompute_mode(struct vcpu *c)
{
	const struct kvm_segment *cs = &c->seg[S_CS];
	uint8_t old_cpl = c->cpl;
	if (!(c->cr0 & CR0_PE))
		c->mode = MODE_REAL;
	else if (c->rflags & F_VM)
		c->mode = MODE_VM86;
	else if ((c->efer & EFER_LMA) && cs->l)
		c->mode = MODE_LONG64;
	else
		c->mode = cs->db ? MODE_PROT32 : MODE_PROT16;

	if (c->mode == MODE_REAL)
		c->cpl = 0;
	else if (c->mode == MODE_VM86)
		c->cpl = 3;
	else
		c->cpl = c->seg[S_SS].dpl; /* SS.DPL is always CPL [SDM 5.5] */
	c->rip_mask = c->mode == MODE_LONG64 ? ~0ull : 0xffffffffull;

	c->flat_r = c->flat_w = 0;
	for (int s = 0; s < 6; s++) {
		if (c->mode == MODE_LONG64) {
			/* 64-bit mode: no limit/type checks; FS/GS keep a base. */
			if (s < S_FS || c->seg[s].base == 0)
				c->flat_r |= 1u << s, c->flat_w |= 1u << s;
		} else {
			if (seg_flat32(&c->seg[s], false))
				c->flat_r |= 1u << s;
			if (seg_flat32(&c->seg[s], true))
				c->flat_w |= 1u << s;
		}
	}
	if (old_cpl != c->cpl || !c->tlb_cur)
		tg_tlb_select(c);
	c->jc_gen++; /* CS base/limit, mode or CPL may have changed */
	tg_recompute_boundary(c);
}

/* ---- push / pop ---- */

void tg_push(struct vcpu *c, unsigned size, uint64_t v)
{
	unsigned sa = tg_stack_asz(c);
	uint64_t sp = c->gpr[R_RSP] - size;
	if (sa == 4)
		sp = (uint32_t)sp;
	else if (sa == 2)
		sp = (uint16_t)sp;
	tg_write(c, S_SS, sp, size, v);
	if (sa == 8)
		c->gpr[R_RSP] = sp;
	else if (sa == 4)
		c->gpr[R_RSP] = (uint32_t)sp; /* 32-bit ESP write zero-extends */
	else
		c->gpr[R_RSP] = (c->gpr[R_RSP] & ~0xffffull) | sp;
}

uint64_t tg_pop(struct vcpu *c, unsigned size)
{
	unsigned sa = tg_stack_asz(c);
	uint64_t sp = c->gpr[R_RSP];
	if (sa == 4)
		sp = (uint32_t)sp;
	else if (sa == 2)
		sp = (uint16_t)sp;
	uint64_t v = tg_read(c, S_SS, sp, size);
	sp += size;
	if (sa == 8)
		c->gpr[R_RSP] = sp;
	else if (sa == 4)
		c->gpr[R_RSP] = (uint32_t)sp;
	else
		c->gpr[R_RSP] = (c->gpr[R_RSP] & ~0xffffull) | (uint16_t)sp;
	return v;
}

void tg_set_rflags(struct vcpu *c, uint64_t f)
{
	uint64_t old = c->rflags;
	tg_set_arith_flags(c, f);
	c->rflags = (f & ~(uint64_t)F_ARITH) | F_FIXED1;
	if ((old ^ c->rflags) & F_VM)
		tg_recompute_mode(c);
	else if ((old ^ c->rflags) & (F_TF | F_RF | F_IF))
		tg_recompute_boundary(c);
}

/* ---- exits ---- */

_Noreturn void tg_exit(struct vcpu *c)
{
	longjmp(c->jb, TG_JMP_EXIT);
}

_Noreturn void tg_exit_unimplemented(struct vcpu *c, const struct tg_insn *d)
{
	struct kvm_run *run = c->run;
	uint8_t bytes[16] = { 0 };
	unsigned n = d ? d->len : 15;
	uint64_t lin = c->seg[S_CS].base + c->rip;
	if (c->mode == MODE_LONG64)
		lin = c->rip;
	for (unsigned i = 0; i < n && i < 15; i++) {
		uint8_t *p = tg_lin_ptr_noexcept(c, lin + i);
		if (!p) {
			n = i;
			break;
		}
		bytes[i] = *p;
	}
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 4; /* flags + insn_size + 16 bytes */
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = (uint8_t)n;
	memcpy(run->emulation_failure.insn_bytes, bytes, 15);
	c->unimpl_rip = c->rip;
	tg_exit(c);
}

/* ---- tracing ---- */

static void trace_common(const struct vcpu *c, struct tg_trace_record *r)
{
	r->mode = c->mode == MODE_LONG64 ? 64 :
		  (c->mode == MODE_PROT32) ? 32 : 16;
	r->cs_base = c->seg[S_CS].base;
	r->dr6 = c->dr6;
	r->dr7 = c->dr7;
	r->rflags = tg_get_rflags(c);
	r->icount = c->insns_retired;
}

void tg_trace_insn(struct vcpu *c, const struct tg_insn *d)
{
	struct tg_trace_record r = { .kind = TG_TRACE_INSN, .len = d->len,
				     .rip = c->rip };
	trace_common(c, &r);
	uint64_t lin = c->mode == MODE_LONG64 ? c->rip : (uint32_t)(c->seg[S_CS].base + c->rip);
	for (unsigned k = 0; k < d->len && k < 15; k++) {
		uint8_t *p = tg_lin_ptr_noexcept(c, lin + k);
		r.bytes[k] = p ? *p : 0;
	}
	c->trace_fn(c->trace_opaque, &r);
}

void tg_trace_event(struct vcpu *c, int vector, int kind, bool has_err,
		    uint32_t err, uint64_t saved_rip)
{
	static const uint8_t kinds[] = { [EV_EXCEPTION] = 0, [EV_SOFT_INT] = 1,
					 [EV_EXT_INT] = 2, [EV_NMI] = 3,
					 [EV_PRIV_SOFT] = 4, [EV_SOFT_EXC] = 5 };
	struct tg_trace_record r = { .kind = TG_TRACE_EVENT, .vector = (uint8_t)vector,
				     .has_error_code = has_err, .error_code = err,
				     .rip = saved_rip, .handler_rip = c->rip,
				     .ev_kind = kinds[kind] };
	trace_common(c, &r);
	c->trace_fn(c->trace_opaque, &r);
}

/* ---- decoded blocks ---- */

static inline uint32_t mode_key(const struct vcpu *c)
{
	return c->mode;
}

static inline struct tg_block *block_slot(struct vcpu *c, uint64_t phys)
{
	uint64_t h = phys * 0x9E3779B97F4A7C15ull;
	return &c->blocks[(h >> 40) & (TG_NBLOCKS - 1)];
}

/* Self-modifying code. Each RAM page that decoded blocks were built from
 * has a bitmap of those bytes; the page's write TLB entries are dropped, so
 * every store there reaches tg_code_written(), which invalidates the page's
 * blocks only when the store overlaps decoded bytes (data sharing a page
 * with code stays cheap). */
static uint8_t **code_map_slot(struct vcpu *c, uint64_t phys)
{
	for (int i = 0; i < TG_MAX_SLOTS; i++) {
		struct tg_slot *s = &c->mem->slot[i];
		if (s->used && phys >= s->gpa && phys - s->gpa < s->size)
			return &s->code_bytes[(phys - s->gpa) >> 12];
	}
	return 0;
}

static void mark_code(struct vcpu *c, uint64_t phys, unsigned len)
{
	uint8_t **slot = code_map_slot(c, phys);
	if (!slot)
		return;
	if (!*slot) {
		*slot = calloc(512, 1);
		if (!*slot)
			return; /* out of memory: SMC then goes unnoticed only
				   for blocks verified at the next run entry */
		tg_tlb_drop_writes_to(c, phys & ~0xfffull);
	}
	for (unsigned o = phys & 0xfff, e = o + len; o < e && o < 4096; o++)
		(*slot)[o >> 3] |= 1u << (o & 7);
}

bool tg_code_page(struct vcpu *c, uint64_t phys)
{
	uint8_t **slot = code_map_slot(c, phys);
	return slot && *slot;
}

void tg_code_written(struct vcpu *c, uint64_t phys, unsigned len)
{
	uint8_t **slot = code_map_slot(c, phys);
	if (!slot || !*slot)
		return;
	for (unsigned o = phys & 0xfff, e = o + len; o < e && o < 4096; o++)
		if ((*slot)[o >> 3] & (1u << (o & 7))) {
			tg_code_invalidate(c, phys, len);
			return;
		}
}

void tg_code_invalidate(struct vcpu *c, uint64_t gpa, uint64_t len)
{
	uint64_t lo = gpa & ~0xfffull, hi = (gpa + len + 0xfff) & ~0xfffull;
	for (unsigned i = 0; i < TG_NBLOCKS; i++) {
		struct tg_block *b = &c->blocks[i];
		if (b->valid && b->phys < hi && b->end_phys > lo)
			b->valid = 0;
	}
	c->jc_gen++; /* jump-cache entries may point at dropped blocks */
	for (uint64_t p = lo; p < hi; p += 4096) {
		uint8_t **slot = code_map_slot(c, p);
		if (slot) {
			free(*slot);
			*slot = 0;
		}
	}
	c->exit_block = 1;
}

void tg_code_flush_all(struct vcpu *c)
{
	for (unsigned i = 0; i < TG_NBLOCKS; i++)
		c->blocks[i].valid = 0;
	c->jc_gen++;
	c->exit_block = 1;
}

/* Decode the instruction at rip from p (avail bytes left in its page). If it
 * runs into the next page, those bytes are fetched through the faulting
 * path only when `may_fault` (the first instruction of a block: a fetch
 * fault there is architectural); otherwise DEC_MORE ends the block early. */
static int decode_at(struct vcpu *c, uint64_t rip, const uint8_t *p,
		     unsigned avail, struct tg_insn *d, bool may_fault,
		     bool *crosses)
{
	int r = tg_decode(p, avail < 15 ? avail : 15, c->mode,
			  c->seg[S_CS].db, d);
	*crosses = false;
	if (r != DEC_MORE || avail >= 15 || !may_fault)
		return r;
	uint8_t buf[15];
	memcpy(buf, p, avail);
	uint64_t phys2;
	const uint8_t *q = tg_fetch_host(c, tg_fetch_linear(c, rip + avail), &phys2);
	if (!q)
		tg_exit_unimplemented(c, 0); /* code continues into MMIO */
	memcpy(buf + avail, q, 15 - avail);
	*crosses = true;
	return tg_decode(buf, 15, c->mode, c->seg[S_CS].db, d);
}

static void select_handler(struct tg_insn *d)
{
	d->fn = tg_select(d);
	if (!d->fn)
		d->fn = tg_op_unimplemented;
}

void tg_op_unimplemented(struct vcpu *c, const struct tg_insn *d)
{
	tg_exit_unimplemented(c, d);
}

/* Build the block at the current RIP into b. A decode error (#UD, #GP) or
 * fetch fault is raised only for the first instruction; later ones end the
 * block so that the instructions before them still run. A first
 * instruction that crosses a page is returned alone with valid=0 (never
 * cached: a write to its second page would not invalidate it). */
static void decode_block(struct vcpu *c, struct tg_block *b, uint64_t phys,
			 const uint8_t *p, unsigned avail)
{
	uint64_t rip = c->rip;
	unsigned off = 0, n = 0;
	/* This slot's previous block may be in the jump cache. */
	if (b->valid)
		c->jc_gen++;
	b->valid = 0;
	b->phys = phys;
	b->key = mode_key(c);
	c->blocks_decoded++;
	for (;;) {
		struct tg_insn *d = &b->insn[n];
		bool crosses;
		int r = decode_at(c, rip + off, p + off, avail - off, d, n == 0,
				  &crosses);
		if (r != DEC_OK) {
			if (n > 0)
				break;
			if (r == DEC_UD)
				tg_raise_ud(c);
			tg_raise_gp(c, 0); /* DEC_GP: longer than 15 bytes */
		}
		/* Every byte of an instruction must lie inside CS, or the fetch
		 * takes #GP(0) [SDM 6.3 / 3.4.5.1] (64-bit mode has no limit). */
		if (c->mode != MODE_LONG64 &&
		    rip + off + d->len - 1 > c->seg[S_CS].limit) {
			if (n > 0)
				break;
			tg_raise_gp(c, 0);
		}
		if (crosses) {
			select_handler(d);
			b->n = 1;
			b->nbytes = 0;
			b->end_phys = phys + d->len;
			return;
		}
		if (off + d->len > sizeof b->bytes)
			break;
		select_handler(d);
		memcpy(b->bytes + off, p + off, d->len);
		off += d->len;
		n++;
		if (n == TG_BLOCK_MAX || tg_insn_ends_block(d) || off >= avail)
			break;
	}
	b->n = n;
	b->nbytes = off;
	b->end_phys = phys + off;
	b->verified_gen = c->run_gen;
	b->valid = 1;
	mark_code(c, phys, off);
}

static struct tg_block *get_block_slow(struct vcpu *c);

static inline struct tg_jc_entry *jc_slot(struct vcpu *c, uint64_t rip)
{
	return &c->jcache[rip & (TG_JC_SIZE - 1)];
}

static __attribute__((noinline)) struct tg_block *get_block_miss(struct vcpu *c,
								   struct tg_jc_entry *e)
{
	struct tg_block *b = get_block_slow(c);
	if (b != &c->scratch)
		*e = (struct tg_jc_entry){ c->rip, b->phys, b, c->jc_gen };
	return b;
}

static inline struct tg_block *get_block(struct vcpu *c)
{
	struct tg_jc_entry *e = jc_slot(c, c->rip);
	/* jc_gen changes whenever an entry could be stale: TLB flushes, mode,
	 * CPL or CS changes, block eviction or invalidation, a new run (whose
	 * blocks must re-verify their bytes). */
	if (likely(e->rip == c->rip && e->gen == c->jc_gen))
		return e->b;
	return get_block_miss(c, e);
}

static struct tg_block *get_block_slow(struct vcpu *c)
{
	uint64_t phys;
	unsigned avail;
	uint64_t lin = tg_fetch_linear(c, c->rip); /* #GP on CS limit */
	const uint8_t *p = tg_fetch_host(c, lin, &phys); /* #PF */
	avail = 4096 - (unsigned)(lin & 0xfff);
	if (unlikely(!p)) {
		/* Executing from MMIO / outside RAM: KVM reports an emulation
		 * failure for this case as well. */
		tg_exit_unimplemented(c, 0);
	}
	struct tg_block *b = block_slot(c, phys);
	if (likely(b->valid && b->phys == phys && b->key == mode_key(c) &&
		   (c->mode == MODE_LONG64 ||
		    c->rip + b->nbytes - 1 <= c->seg[S_CS].limit))) {
		if (likely(b->verified_gen == c->run_gen))
			return b;
		/* First use in this run: the VMM may have rewritten guest code
		 * through its own mapping since the block was decoded. */
		if (b->nbytes <= avail && !memcmp(b->bytes, p, b->nbytes)) {
			b->verified_gen = c->run_gen;
			return b;
		}
	}
	decode_block(c, b, phys, p, avail);
	if (!b->valid) {
		/* a page-crossing instruction: keep it out of the cache */
		c->scratch = *b;
		return &c->scratch;
	}
	return b;
}

/* Inside a fast-path block only the block's last instruction can move RIP
 * anywhere but sequentially, so the running (or faulting, or exiting)
 * instruction is the one whose address RIP holds; if none matches, the
 * last instruction completed. */
uint64_t tg_retired_now(const struct vcpu *c)
{
	if (!c->blk_start)
		return c->insns_retired;
	uint64_t rip = c->blk_rip;
	const struct tg_insn *i = c->blk_start;
	unsigned k = 0, n = c->blk_n;
	for (; k < n; k++) {
		if (((rip) & c->rip_mask) == c->rip)
			return c->blk_base + k;
		rip += i[k].len;
	}
	return c->blk_base + k;
}

/* The fast path: decoded blocks back to back while no boundary work is
 * pending, up to `limit` retired instructions. Kept out of tg_cpu_run so
 * the setjmp there does not pin this loop's variables to the stack. */
static __attribute__((noinline)) void run_fast(struct vcpu *c, uint64_t limit)
{
	while (likely(!c->boundary_work)) {
		uint64_t left = limit - c->insns_retired;
		if (unlikely(!left))
			return;
		struct tg_block *b = get_block(c);
		unsigned n = b->n;
		if (unlikely(left < n))
			n = (unsigned)left;
		const struct tg_insn *i = b->insn;
		c->exit_block = (uintptr_t)(i + n);
		c->blk_start = i;
		c->blk_rip = c->rip;
		c->blk_base = c->insns_retired;
		c->blk_n = n;
		c->run_limit = limit;
		c->loop_restarts = 16;
		do {
			c->blk_last = i;
			i->fn(c, i); /* may chain through following ones (TG_NEXT) */
			i = c->blk_last + 1;
		} while ((uintptr_t)i < c->exit_block);
		c->insns_retired += (uint64_t)(i - b->insn);
		c->blk_start = 0;
	}
}

/* One instruction through the slow path (boundary work pending). An
 * instruction that left through an I/O or MMIO exit is completed first,
 * before any event is looked at (KVM completes the userspace I/O of the
 * interrupted instruction before anything else); its boundary state from
 * the first attempt (shadow, TF and RF at its start) still holds. */
static void step_one(struct vcpu *c)
{
	bool replay = c->boundary_work & BW_REPLAY;
	if (!replay && !tg_boundary_before(c))
		return;
	/* The fetch belongs to the instruction: a fetch fault inside a MOV SS
	 * shadow is a fault inside the shadow. */
	if (!replay)
		tg_boundary_insn_start(c, 0);
	struct tg_block *b = get_block(c);
	const struct tg_insn *i = b->insn;
	c->io_replay.pos = c->mmio_replay.pos = 0;
	c->exit_block = 0;
	if (unlikely(c->trace_fn) && !replay)
		tg_trace_insn(c, i);
	i->fn(c, i);
	c->insns_retired++;
	tg_boundary_after(c, i);
}

static int cpu_run(struct vcpu *c);

/* KVM_RUN without an in-kernel APIC [KVM api.rst, struct kvm_run]: cr8 is
 * taken from the run page on entry and, with if_flag, apic_base and
 * ready_for_interrupt_injection, written back at every exit, so a
 * userspace irqchip knows when KVM_INTERRUPT will be accepted. */
int tg_cpu_run(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	c->cr8 = run->cr8 & 0xf;
	c->irq_window_req = run->request_interrupt_window;
	tg_recompute_boundary(c);
	int r = cpu_run(c);
	run->if_flag = !!(c->rflags & F_IF);
	run->cr8 = c->cr8;
	run->apic_base = c->apic_base;
	run->ready_for_interrupt_injection =
		(c->rflags & F_IF) && c->shadow == SHADOW_NONE &&
		c->irq_pending < 0 && !c->exc.pending && !c->exc.injected;
	c->irq_window_req = false;
	return r;
}

void tg_request_exit(struct vcpu *c, uint32_t reason)
{
	c->exit_request = reason;
	c->boundary_work |= BW_EXITREQ;
	c->exit_block = 1;
}

static int cpu_run(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	tg_exit_complete(c); /* finish the IN/MMIO read of the previous exit */
	if (run->immediate_exit) {
		run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	if (c->mem_generation != c->mem->generation) {
		c->mem_generation = c->mem->generation;
		tg_tlb_flush(c);
		tg_code_flush_all(c);
	}
	c->run_gen++;
	c->jc_gen++;
	c->budget_start = c->insns_retired;
	c->exit_ret = 0;

	switch (setjmp(c->jb)) {
	case 0:
		break;
	case TG_JMP_EXIT:
		if (c->blk_start) {
			c->insns_retired = tg_retired_now(c);
			c->blk_start = 0;
		}
		return c->exit_ret;
	case TG_JMP_EXCEPTION:
		/* The faulting instruction did not retire; those before it
		 * in the block did. */
		if (c->blk_start) {
			c->insns_retired = tg_retired_now(c);
			c->blk_start = 0;
		}
		/* The faulting instruction is abandoned: any I/O it had logged
		 * belongs to an execution that will not complete. */
		c->io_replay = (struct tg_replay){ 0 };
		c->mmio_replay = (struct tg_replay){ 0 };
		tg_boundary_fault(c);
		c->boundary_work &= ~BW_REPLAY;
		c->boundary_work |= BW_EVENT;
		break;
	}

	uint64_t limit = c->budget ? c->budget_start + c->budget : ~0ull;
	for (;;) {
		if (c->insns_retired >= limit) {
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		if (c->boundary_work)
			step_one(c);
		else
			run_fast(c, limit);
	}
}
