/* String instructions MOVS, CMPS, STOS, LODS, SCAS (all sizes) with
 * REP/REPE/REPNE. INS/OUTS live with port I/O (sys).
 *
 * Operands [SDM Vol. 1 7.3.9; Vol. 2 MOVS etc.]: the source is seg:rSI
 * (DS unless overridden), the destination ES:rDI (never overridden); rSI,
 * rDI and rCX are used at the address size (16-bit forms wrap at 0xffff
 * and leave the upper bits alone; 32-bit forms write ESI/EDI/ECX, which
 * zero-extends in 64-bit mode). DF chooses the direction.
 *
 * REP [SDM REP/REPE/REPZ/REPNE/REPNZ]: rCX = 0 does nothing; otherwise each
 * iteration does the operation, steps rSI/rDI and decrements rCX, and the
 * registers are committed after EVERY iteration, so a fault, an MMIO exit
 * (the instruction is replayed from the start, see struct tg_replay) or an
 * interrupt between iterations leaves RIP on the instruction with the
 * registers describing the iterations done [SDM Vol. 1 7.3.9.3]. REPE and
 * REPNE also stop on ZF, for CMPS and SCAS only (F2 on MOVS/STOS/LODS acts
 * as REP).
 *
 * One handler call runs at most REP_CAP iterations, then leaves RIP on the
 * instruction (like an interrupt window) so budgets and events are seen.
 * When boundary work is pending (single-step, breakpoints, events, replay)
 * it runs exactly one iteration, so the boundary code can act between
 * iterations as the hardware does. Long MOVS/STOS runs over plain RAM are
 * done in page-sized chunks through host pointers. */
#include "ops.h"

tg_handler tg_sel_string(struct tg_insn *d);

#define REP_CAP 4096u

static inline uint64_t amask(unsigned asz)
{
	return asz == 8 ? ~0ull : asz == 4 ? 0xffffffffull : 0xffffull;
}

static inline void set_areg(struct vcpu *c, int r, unsigned asz, uint64_t v)
{
	if (asz == 8)
		c->gpr[r] = v;
	else if (asz == 4)
		c->gpr[r] = (uint32_t)v;
	else
		c->gpr[r] = (c->gpr[r] & ~0xffffull) | (uint16_t)v;
}

/* ---- the fast chunk path ----
 * The segment checks of mem.c's tg_seg_linear, answered without raising:
 * a chunk that would fault somewhere is not taken, and the iteration that
 * faults runs through the ordinary (raising) accessors instead, so the
 * fault happens exactly where the architecture puts it. `lo`..`hi` are the
 * first and last byte offsets (no address-size wrap between them). */
static bool seg_range_ok(const struct vcpu *c, int seg, uint64_t lo,
			 uint64_t hi, int acc, uint64_t *lin_lo)
{
	const struct kvm_segment *s = &c->seg[seg];
	if (c->mode == MODE_LONG64) {
		uint64_t base = seg >= S_FS ? s->base : 0;
		if (!tg_canonical(base + lo) || !tg_canonical(base + hi))
			return false;
		*lin_lo = base + lo;
		return true;
	}
	if (tg_seg_flat(c, seg, acc)) {
		*lin_lo = lo;
		return true;
	}
	if (c->mode != MODE_REAL && c->mode != MODE_VM86) {
		if (s->unusable || !s->present)
			return false;
		if (acc == ACC_W && ((s->type & 8) || !(s->type & 2)))
			return false;
		if (acc == ACC_R && (s->type & 8) && !(s->type & 2))
			return false;
	}
	if (!(s->type & 8) && (s->type & 4) && s->s) {
		uint64_t top = s->db ? 0xffffffffull : 0xffffull;
		if (lo <= s->limit || hi > top)
			return false;
	} else if (hi > s->limit) {
		return false;
	}
	*lin_lo = (uint32_t)(s->base + lo);
	return true;
}

/* How many elements, starting at offset `off` and moving by DF, stay
 * inside the address-size range and inside one page of the linear
 * address `lin` of the first element (0 if the first one crosses). */
static uint64_t span_limit(uint64_t off, uint64_t lin, unsigned size,
			   unsigned asz, bool df)
{
	uint64_t m = amask(asz), n;
	unsigned pg = (unsigned)(lin & 0xfff);
	if (pg + size > 4096 || off + size - 1 > m)
		return 0;
	if (!df) {
		n = (4096 - pg) / size;
		if (asz != 8 && (m - off + 1) / size < n)
			n = (m - off + 1) / size;
	} else {
		n = pg / size + 1;
		if (off / size + 1 < n)
			n = off / size + 1;
	}
	return n;
}


/* Host pointer to the first element (the one at `off`) of a run of up to
 * *n elements moving by DF; *n shrinks to what stays inside one page and
 * the address-size range. NULL when the run cannot be done on host memory
 * (a segment check would fail somewhere, MMIO, a page holding decoded
 * code, a page not yet marked dirty): the caller then does one iteration
 * the ordinary way. A #PF of the first element is raised here; it is the
 * fault the first iteration would take, in the same order (the source is
 * asked before the destination). */
static uint8_t *run_ptr(struct vcpu *c, int seg, uint64_t off, unsigned size,
			unsigned asz, bool df, int acc, uint64_t *n)
{
	uint64_t lin0, lin_lo;
	if (!seg_range_ok(c, seg, off, off + size - 1, acc, &lin0))
		return 0;
	uint64_t k = span_limit(off, lin0, size, asz, df);
	if (k < *n)
		*n = k;
	if (*n == 0)
		return 0;
	uint64_t lo = df ? off - (*n - 1) * size : off;
	if (!seg_range_ok(c, seg, lo, lo + *n * size - 1, acc, &lin_lo))
		return 0;
	uint8_t *p = tg_tlb_hit(c, lin0, size, acc);
	if (!p) {
		if (!tg_lin_ptr(c, lin0, size, acc))
			return 0;
		/* The write tag is withheld from code pages (their writes must
		 * invalidate decoded blocks through the slow path). */
		p = tg_tlb_hit(c, lin0, size, acc);
	}
	return p;
}

/* Copy n elements between host runs (lowest addresses given) as the
 * architecture does it: element after element in DF order. Only
 * overlapping runs need the loop; others are one memcpy. */
static void copy_elems(uint8_t *dst, const uint8_t *src, uint64_t n,
		       unsigned size, bool df)
{
	uint64_t len = n * size;
	if (dst + len <= src || src + len <= dst) {
		memcpy(dst, src, len);
		return;
	}
	if (dst == src)
		return;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = df ? n - 1 - i : i;
		uint64_t v;
		memcpy(&v, src + k * size, size);
		memcpy(dst + k * size, &v, size);
	}
}

static void fill_elems(uint8_t *dst, uint64_t n, unsigned size, uint64_t v)
{
	if (size == 1) {
		memset(dst, (uint8_t)v, n);
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		memcpy(dst + i * size, &v, size);
}

/* ---- one iteration of each operation, through the raising accessors;
 * registers are written only after the last access ---- */

enum { OP_MOVS, OP_CMPS, OP_STOS, OP_LODS, OP_SCAS };

static inline __attribute__((always_inline)) void
str_one(struct vcpu *c, const struct tg_insn *d, int op, unsigned size,
	unsigned asz, int64_t step)
{
	uint64_t m = amask(asz);
	uint64_t si = c->gpr[R_RSI] & m, di = c->gpr[R_RDI] & m;
	uint64_t a, b;
	switch (op) {
	case OP_MOVS:
		a = tg_read(c, d->seg, si, size);
		tg_write(c, S_ES, di, size, a);
		set_areg(c, R_RSI, asz, si + step);
		set_areg(c, R_RDI, asz, di + step);
		break;
	case OP_CMPS:
		/* SRC1 - SRC2 with SRC1 = seg:rSI, SRC2 = ES:rDI [SDM CMPS] */
		a = tg_read(c, d->seg, si, size);
		b = tg_read(c, S_ES, di, size);
		tg_flags_sub(c, a, b, a - b, size);
		set_areg(c, R_RSI, asz, si + step);
		set_areg(c, R_RDI, asz, di + step);
		break;
	case OP_STOS:
		tg_write(c, S_ES, di, size, c->gpr[R_RAX]);
		set_areg(c, R_RDI, asz, di + step);
		break;
	case OP_LODS:
		a = tg_read(c, d->seg, si, size);
		tg_set_reg(c, d, R_RAX, size, a);
		set_areg(c, R_RSI, asz, si + step);
		break;
	case OP_SCAS:
		/* rAX - ES:rDI [SDM SCAS] */
		a = c->gpr[R_RAX] & tg_mask(size);
		b = tg_read(c, S_ES, di, size);
		tg_flags_sub(c, a, b, a - b, size);
		set_areg(c, R_RDI, asz, di + step);
		break;
	}
}

/* A run of MOVS or STOS iterations on host memory; returns how many were
 * done (0: take the ordinary path for the next one). Commits. */
static inline __attribute__((always_inline)) uint64_t
str_chunk(struct vcpu *c, const struct tg_insn *d, int op, unsigned size,
	  unsigned asz, bool df, uint64_t n)
{
	uint64_t m = amask(asz);
	uint64_t si = c->gpr[R_RSI] & m, di = c->gpr[R_RDI] & m;
	uint8_t *ps = 0;
	if (op == OP_MOVS) {
		ps = run_ptr(c, d->seg, si, size, asz, df, ACC_R, &n);
		if (!ps)
			return 0;
	}
	uint8_t *pd = run_ptr(c, S_ES, di, size, asz, df, ACC_W, &n);
	if (!pd)
		return 0;
	uint64_t ext = (n - 1) * size, bytes = n * size;
	if (op == OP_MOVS) {
		copy_elems(df ? pd - ext : pd, df ? ps - ext : ps, n, size, df);
		set_areg(c, R_RSI, asz, df ? si - bytes : si + bytes);
	} else {
		fill_elems(df ? pd - ext : pd, n, size, c->gpr[R_RAX]);
	}
	set_areg(c, R_RDI, asz, df ? di - bytes : di + bytes);
	return n;
}

static inline __attribute__((always_inline)) void
str_rep(struct vcpu *c, const struct tg_insn *d, int op, unsigned size)
{
	unsigned asz = d->asz;
	uint64_t cnt = c->gpr[R_RCX] & amask(asz);
	if (cnt == 0) {
		tg_advance(c, d);
		return;
	}
	bool df = c->rflags & F_DF;
	int64_t step = df ? -(int64_t)size : (int64_t)size;
	bool fast = c->boundary_work == 0;
	uint64_t left = fast ? REP_CAP : 1;
	do {
		if ((op == OP_MOVS || op == OP_STOS) && fast && cnt > 1) {
			uint64_t n = str_chunk(c, d, op, size, asz, df,
					       cnt < left ? cnt : left);
			if (n) {
				cnt -= n;
				left -= n;
				set_areg(c, R_RCX, asz, cnt);
				if (cnt == 0)
					break;
				continue;
			}
		}
		str_one(c, d, op, size, asz, step);
		cnt--;
		left--;
		set_areg(c, R_RCX, asz, cnt);
		if (cnt == 0)
			break;
		/* REPE/REPNE end on ZF for CMPS and SCAS only */
		if (op == OP_CMPS || op == OP_SCAS) {
			if (d->rep == 0xf3 && !tg_zf(c))
				break;
			if (d->rep == 0xf2 && tg_zf(c))
				break;
		}
	} while (left);
	if (left == 0 && cnt != 0 &&
	    !((op == OP_CMPS || op == OP_SCAS) &&
	      (d->rep == 0xf3 ? !tg_zf(c) : tg_zf(c)))) {
		/* Not finished: RIP stays on the instruction and the block
		 * ends here; the next call resumes with the committed rCX,
		 * rSI, rDI, with RF=1 so an event taken now pushes RF=1 and
		 * the instruction's code breakpoint does not fire again
		 * [SDM 17.3.1.1; spec 3.8, 5.4]. */
		tg_rep_interrupted(c);
		return;
	}
	tg_advance(c, d);
}

static inline __attribute__((always_inline)) void
str_norep(struct vcpu *c, const struct tg_insn *d, int op, unsigned size)
{
	bool df = c->rflags & F_DF;
	str_one(c, d, op, size, d->asz, df ? -(int64_t)size : (int64_t)size);
	tg_advance(c, d);
}

#define STR_HANDLERS(name, op)                                                   \
	static void name##_1(struct vcpu *c, const struct tg_insn *d) { str_norep(c, d, op, 1); } \
	static void name##_2(struct vcpu *c, const struct tg_insn *d) { str_norep(c, d, op, 2); } \
	static void name##_4(struct vcpu *c, const struct tg_insn *d) { str_norep(c, d, op, 4); } \
	static void name##_8(struct vcpu *c, const struct tg_insn *d) { str_norep(c, d, op, 8); } \
	static void rep_##name##_1(struct vcpu *c, const struct tg_insn *d) { str_rep(c, d, op, 1); } \
	static void rep_##name##_2(struct vcpu *c, const struct tg_insn *d) { str_rep(c, d, op, 2); } \
	static void rep_##name##_4(struct vcpu *c, const struct tg_insn *d) { str_rep(c, d, op, 4); } \
	static void rep_##name##_8(struct vcpu *c, const struct tg_insn *d) { str_rep(c, d, op, 8); } \
	static const tg_handler name##_tab[2][4] = {                             \
		{ name##_1, name##_2, name##_4, name##_8 },                      \
		{ rep_##name##_1, rep_##name##_2, rep_##name##_4, rep_##name##_8 }, \
	};
STR_HANDLERS(movs, OP_MOVS)
STR_HANDLERS(cmps, OP_CMPS)
STR_HANDLERS(stos, OP_STOS)
STR_HANDLERS(lods, OP_LODS)
STR_HANDLERS(scas, OP_SCAS)
#undef STR_HANDLERS

tg_handler tg_sel_string(struct tg_insn *d)
{
	int rep = d->rep != 0;
	int sz = d->osz == 1 ? 0 : d->osz == 2 ? 1 : d->osz == 4 ? 2 : 3;
	switch (d->opc) {
	case 0xa4: case 0xa5: return movs_tab[rep][sz];
	case 0xa6: case 0xa7: return cmps_tab[rep][sz];
	case 0xaa: case 0xab: return stos_tab[rep][sz];
	case 0xac: case 0xad: return lods_tab[rep][sz];
	case 0xae: case 0xaf: return scas_tab[rep][sz];
	}
	return 0;
}
