/* The GDB stub's view of the guest, through the public vm API only:
 * registers (KVM_GET/SET_REGS, SREGS, DEBUGREGS), memory by linear address
 * (KVM_TRANSLATE page by page, then guest-physical reads and writes), and
 * breakpoints (KVM_SET_GUEST_DEBUG). Nothing here touches the guest's own
 * DR0-DR7 or RFLAGS.TF for the debugger's purposes [spec 7.1]: hardware
 * points live in guest_debug.debugreg[], single steps in SINGLESTEP. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "gdb_int.h"

#define RFLAGS_RF (1ull << 16)
#define EFER_LMA (1ull << 10)

/* ---- registers ---- */

static const size_t gpr_off[16] = {
	offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rbx),
	offsetof(struct kvm_regs, rcx), offsetof(struct kvm_regs, rdx),
	offsetof(struct kvm_regs, rsi), offsetof(struct kvm_regs, rdi),
	offsetof(struct kvm_regs, rbp), offsetof(struct kvm_regs, rsp),
	offsetof(struct kvm_regs, r8), offsetof(struct kvm_regs, r9),
	offsetof(struct kvm_regs, r10), offsetof(struct kvm_regs, r11),
	offsetof(struct kvm_regs, r12), offsetof(struct kvm_regs, r13),
	offsetof(struct kvm_regs, r14), offsetof(struct kvm_regs, r15),
};

int gdb_tgt_reg_size(int r)
{
	if (r < 0 || r >= GR_NUM)
		return 0;
	if (r <= GR_RIP)
		return 8;
	if (r <= GR_GS)
		return 4;
	if (r < GR_FCTRL)
		return 10;
	if (r < GR_XMM0)
		return 4;
	if (r < GR_MXCSR)
		return 16;
	if (r == GR_MXCSR)
		return 4;
	return 8;
}

static struct kvm_segment *seg_of(struct kvm_sregs *s, int r)
{
	switch (r) {
	case GR_CS: return &s->cs;
	case GR_SS: return &s->ss;
	case GR_DS: return &s->ds;
	case GR_ES: return &s->es;
	case GR_FS: return &s->fs;
	default: return &s->gs;
	}
}

static __u64 *sreg_field(struct kvm_sregs *s, int r)
{
	switch (r) {
	case GR_FS_BASE: return &s->fs.base;
	case GR_GS_BASE: return &s->gs.base;
	case GR_CR0: return &s->cr0;
	case GR_CR2: return &s->cr2;
	case GR_CR3: return &s->cr3;
	case GR_CR4: return &s->cr4;
	case GR_CR8: return &s->cr8;
	default: return &s->efer;
	}
}

static __u64 *dreg_field(struct kvm_debugregs *d, int r)
{
	if (r <= GR_DR3)
		return &d->db[r - GR_DR0];
	return r == GR_DR6 ? &d->dr6 : &d->dr7;
}

static void put_le(uint8_t *buf, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *buf, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | buf[i];
	return v;
}

/* -ENODATA: the API has no way to read it (x87/SSE state); gdb shows
 * such registers as <unavailable>. */
int gdb_tgt_read_reg(struct tg_gdb *g, int r, uint8_t *buf, int *size)
{
	int n = gdb_tgt_reg_size(r);
	*size = n;
	if (!n)
		return -EINVAL;
	uint64_t v;
	int e;
	if (r <= GR_EFLAGS) {
		struct kvm_regs regs;
		if ((e = tg_vcpu_get_regs(g->vcpu, &regs)) < 0)
			return e;
		if (r < 16)
			memcpy(&v, (const char *)&regs + gpr_off[r], 8);
		else
			v = r == GR_RIP ? regs.rip : regs.rflags;
	} else if (r <= GR_GS || (r >= GR_FS_BASE && r <= GR_EFER)) {
		struct kvm_sregs s;
		if ((e = tg_vcpu_get_sregs(g->vcpu, &s)) < 0)
			return e;
		v = r <= GR_GS ? seg_of(&s, r)->selector : *sreg_field(&s, r);
	} else if (r >= GR_DR0) {
		struct kvm_debugregs d;
		if ((e = tg_vcpu_get_debugregs(g->vcpu, &d)) < 0)
			return e;
		v = *dreg_field(&d, r);
	} else {
		return -ENODATA;
	}
	put_le(buf, v, n);
	return 0;
}

int gdb_tgt_write_reg(struct tg_gdb *g, int r, const uint8_t *buf)
{
	int n = gdb_tgt_reg_size(r);
	if (!n)
		return -EINVAL;
	uint64_t v = get_le(buf, n < 8 ? n : 8);
	int e;
	if (r <= GR_EFLAGS) {
		struct kvm_regs regs;
		if ((e = tg_vcpu_get_regs(g->vcpu, &regs)) < 0)
			return e;
		if (r < 16)
			memcpy((char *)&regs + gpr_off[r], &v, 8);
		else if (r == GR_RIP)
			regs.rip = v;
		else
			regs.rflags = (regs.rflags & ~0xffffffffull) | v;
		return tg_vcpu_set_regs(g->vcpu, &regs);
	}
	if (r <= GR_GS || (r >= GR_FS_BASE && r <= GR_EFER)) {
		struct kvm_sregs s;
		if ((e = tg_vcpu_get_sregs(g->vcpu, &s)) < 0)
			return e;
		if (r <= GR_GS) {
			/* A selector alone would disagree with the descriptor
			 * cache KVM_SET_SREGS takes with it; only a write of the
			 * same value is accepted. */
			return seg_of(&s, r)->selector == (uint16_t)v && !(v >> 16) ?
			       0 : -EINVAL;
		}
		*sreg_field(&s, r) = v;
		return tg_vcpu_set_sregs(g->vcpu, &s);
	}
	if (r >= GR_DR0) {
		/* The user asked for the guest's register: this is the one
		 * place the stub writes a guest DR. */
		struct kvm_debugregs d;
		if ((e = tg_vcpu_get_debugregs(g->vcpu, &d)) < 0)
			return e;
		*dreg_field(&d, r) = v;
		return tg_vcpu_set_debugregs(g->vcpu, &d);
	}
	return -EPERM; /* x87/SSE: not reachable through the API */
}

/* CS.base + RIP, as KVM forms debug.arch.pc [spec 7.2]; 64-bit code
 * ignores the CS base [SDM Vol. 3A 3.4.4]. */
int gdb_tgt_linear_pc(struct tg_gdb *g, uint64_t *pc)
{
	struct kvm_regs regs;
	struct kvm_sregs s;
	int e;
	if ((e = tg_vcpu_get_regs(g->vcpu, &regs)) < 0 ||
	    (e = tg_vcpu_get_sregs(g->vcpu, &s)) < 0)
		return e;
	if ((s.efer & EFER_LMA) && s.cs.l)
		*pc = regs.rip;
	else
		*pc = (uint32_t)(s.cs.base + regs.rip);
	return 0;
}

/* ---- memory ---- */

static int translate(struct tg_gdb *g, uint64_t lin, uint64_t *pa)
{
	struct kvm_translation tr = { .linear_address = lin };
	int e = tg_vcpu_translate(g->vcpu, &tr);
	if (e < 0)
		return e;
	if (!tr.valid)
		return -EFAULT;
	*pa = tr.physical_address;
	return 0;
}

/* Bytes from addr to the end of its 4 KiB page, at most len: within
 * one page the physical bytes are contiguous whatever the page size. */
static size_t page_chunk(uint64_t addr, size_t len)
{
	size_t n = 4096 - (size_t)(addr & 4095);
	return n < len ? n : len;
}

long gdb_tgt_read_mem(struct tg_gdb *g, uint64_t addr, uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done, pa;
		size_t n = page_chunk(a, len - done);
		if (translate(g, a, &pa) < 0 ||
		    tg_vm_read_phys(g->vm, pa, buf + done, n) < 0)
			break;
		/* The INT3s are the debugger's, not the guest's. */
		for (int i = 0; i < GDB_MAX_SWBP; i++) {
			const struct gdb_swbp *b = &g->sw[i];
			if (b->used && b->phys >= pa && b->phys - pa < n)
				buf[done + (b->phys - pa)] = b->orig;
		}
		done += n;
	}
	return done ? (long)done : (len ? -EFAULT : 0);
}

int gdb_tgt_write_mem(struct tg_gdb *g, uint64_t addr, const uint8_t *buf, size_t len)
{
	uint8_t tmp[4096];
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done, pa;
		size_t n = page_chunk(a, len - done);
		int e = translate(g, a, &pa);
		if (e < 0)
			return e;
		memcpy(tmp, buf + done, n);
		/* A write over an inserted breakpoint changes the byte the
		 * guest gets back at z0; the INT3 stays until then. */
		for (int i = 0; i < GDB_MAX_SWBP; i++) {
			struct gdb_swbp *b = &g->sw[i];
			if (b->used && b->phys >= pa && b->phys - pa < n) {
				b->orig = tmp[b->phys - pa];
				tmp[b->phys - pa] = 0xcc;
			}
		}
		if ((e = tg_vm_write_phys(g->vm, pa, tmp, n)) < 0)
			return e;
		done += n;
	}
	return 0;
}

/* ---- breakpoints ---- */

static bool any_sw(const struct tg_gdb *g)
{
	for (int i = 0; i < GDB_MAX_SWBP; i++)
		if (g->sw[i].used)
			return true;
	return false;
}

/* DR7 for the slots in use [SDM Vol. 3B 19.2.4]: G0-G3 (global, so a
 * hardware task switch in the guest does not clear them), R/Wn, LENn;
 * bit 10 reads as 1. */
static uint64_t slots_dr7(const struct tg_gdb *g)
{
	uint64_t dr7 = 0x400;
	for (int i = 0; i < GDB_NSLOTS; i++) {
		if (g->slot_owner[i] < 0)
			continue;
		dr7 |= 2ull << (2 * i);
		dr7 |= (uint64_t)g->slot_bits[i] << (16 + 4 * i);
	}
	return dr7;
}

static int set_debug(struct tg_gdb *g, bool step, uint32_t extra)
{
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof dbg);
	bool hw = false;
	for (int i = 0; i < GDB_NSLOTS; i++) {
		if (g->slot_owner[i] >= 0) {
			hw = true;
			dbg.arch.debugreg[i] = g->slot_addr[i];
		}
	}
	if (any_sw(g))
		dbg.control |= KVM_GUESTDBG_USE_SW_BP;
	if (hw) {
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
		dbg.arch.debugreg[7] = slots_dr7(g);
	}
	/* BLOCKIRQ keeps a step on the instruction gdb asked for instead of
	 * landing in an interrupt handler [spec 7.1]. */
	if (step)
		dbg.control |= KVM_GUESTDBG_SINGLESTEP |
			       (g->blockirq_bad ? 0 : KVM_GUESTDBG_BLOCKIRQ);
	if (dbg.control)
		dbg.control |= KVM_GUESTDBG_ENABLE;
	dbg.control |= extra;
	int e = tg_vcpu_set_guest_debug(g->vcpu, &dbg);
	if (e == -EINVAL && (dbg.control & KVM_GUESTDBG_BLOCKIRQ)) {
		g->blockirq_bad = true;
		dbg.control &= ~(uint32_t)KVM_GUESTDBG_BLOCKIRQ;
		e = tg_vcpu_set_guest_debug(g->vcpu, &dbg);
	}
	/* Nothing asked of a backend without guest debug is no failure. */
	if (e < 0 && !dbg.control)
		e = 0;
	return e;
}

int gdb_tgt_apply_debug(struct tg_gdb *g, bool step)
{
	return set_debug(g, step, 0);
}

static int find_sw(const struct tg_gdb *g, uint64_t addr)
{
	for (int i = 0; i < GDB_MAX_SWBP; i++)
		if (g->sw[i].used && g->sw[i].addr == addr)
			return i;
	return -1;
}

bool gdb_tgt_sw_at(struct tg_gdb *g, uint64_t addr)
{
	return find_sw(g, addr) >= 0;
}

static int insert_sw(struct tg_gdb *g, uint64_t addr)
{
	if (find_sw(g, addr) >= 0)
		return 0; /* Z packets are idempotent [GDB manual, E.2 "z"] */
	int i = 0;
	while (i < GDB_MAX_SWBP && g->sw[i].used)
		i++;
	if (i == GDB_MAX_SWBP)
		return -ENOSPC;
	uint64_t pa;
	uint8_t orig, int3 = 0xcc;
	int e = translate(g, addr, &pa);
	if (e < 0)
		return e;
	if ((e = tg_vm_read_phys(g->vm, pa, &orig, 1)) < 0)
		return e;
	/* Another breakpoint may already sit on the same physical byte
	 * (aliased mappings): its saved byte is the guest's. */
	for (int j = 0; j < GDB_MAX_SWBP; j++)
		if (g->sw[j].used && g->sw[j].phys == pa)
			orig = g->sw[j].orig;
	g->sw[i] = (struct gdb_swbp){ .used = true, .addr = addr, .phys = pa, .orig = orig };
	/* USE_SW_BP first: an INT3 the guest ran before the intercept is on
	 * would be delivered to the guest. */
	if ((e = gdb_tgt_apply_debug(g, false)) < 0 ||
	    (e = tg_vm_write_phys(g->vm, pa, &int3, 1)) < 0) {
		g->sw[i].used = false;
		gdb_tgt_apply_debug(g, false);
		return e;
	}
	return 0;
}

static int remove_sw(struct tg_gdb *g, uint64_t addr)
{
	int i = find_sw(g, addr);
	if (i < 0)
		return 0;
	struct gdb_swbp *b = &g->sw[i];
	b->used = false;
	for (int j = 0; j < GDB_MAX_SWBP; j++)
		if (g->sw[j].used && g->sw[j].phys == b->phys)
			return 0; /* an alias still needs the INT3 */
	return tg_vm_write_phys(g->vm, b->phys, &b->orig, 1);
}

/* x86 debug-register lengths: LEN encodings 00 = 1, 01 = 2, 11 = 4,
 * 10 = 8 bytes, each aligned to its size [SDM Vol. 3B 19.2.5]. */
static uint8_t len_bits(uint64_t n)
{
	return n == 1 ? 0 : n == 2 ? 1 : n == 8 ? 2 : 3;
}

/* Splits [addr, addr+len) into aligned 1/2/4/8-byte pieces; the count,
 * or -1 when more than max are needed. */
static int split(uint64_t addr, uint64_t len, uint64_t *pa, uint64_t *pl, int max)
{
	int n = 0;
	while (len) {
		uint64_t sz = 8;
		while (sz > len || (addr & (sz - 1)))
			sz >>= 1;
		if (n == max)
			return -1;
		pa[n] = addr;
		pl[n++] = sz;
		addr += sz;
		len -= sz;
	}
	return n;
}

static int insert_hw(struct tg_gdb *g, int type, uint64_t addr, uint64_t len)
{
	if (type == ZT_HW)
		len = 1; /* execute breakpoints must use LEN 00 [SDM Vol. 3B 19.2.5] */
	if (!len || addr + len - 1 < addr)
		return -EINVAL;
	for (int i = 0; i < GDB_NSLOTS; i++)
		if (g->hw[i].used && g->hw[i].type == type && g->hw[i].addr == addr &&
		    g->hw[i].len == len)
			return 0;
	uint64_t pa[GDB_NSLOTS], pl[GDB_NSLOTS];
	int n = split(addr, len, pa, pl, GDB_NSLOTS);
	int nfree = 0, p = -1;
	for (int i = 0; i < GDB_NSLOTS; i++) {
		nfree += g->slot_owner[i] < 0;
		if (p < 0 && !g->hw[i].used)
			p = i;
	}
	if (n < 0 || n > nfree || p < 0)
		return -ENOSPC;
	/* R/W: 00 execute, 01 write, 11 read or write; x86 has no
	 * read-only breakpoint, so Z3 takes 11 as gdb's x86 targets do. */
	uint8_t rw = type == ZT_HW ? 0 : type == ZT_WRITE ? 1 : 3;
	g->hw[p] = (struct gdb_hwpt){ .used = true, .type = type, .addr = addr, .len = len };
	for (int k = 0, s = 0; k < n; k++) {
		while (g->slot_owner[s] >= 0)
			s++;
		g->slot_owner[s] = (int8_t)p;
		g->slot_addr[s] = pa[k];
		g->slot_bits[s] = (uint8_t)(rw | (type == ZT_HW ? 0 : len_bits(pl[k])) << 2);
		g->hw[p].slots |= (uint8_t)(1u << s);
	}
	int e = gdb_tgt_apply_debug(g, false);
	if (e < 0) {
		for (int s = 0; s < GDB_NSLOTS; s++)
			if (g->slot_owner[s] == p)
				g->slot_owner[s] = -1;
		g->hw[p].used = false;
		gdb_tgt_apply_debug(g, false);
	}
	return e;
}

static int remove_hw(struct tg_gdb *g, int type, uint64_t addr, uint64_t len)
{
	if (type == ZT_HW)
		len = 1;
	for (int p = 0; p < GDB_NSLOTS; p++) {
		struct gdb_hwpt *h = &g->hw[p];
		if (!h->used || h->type != type || h->addr != addr || h->len != len)
			continue;
		for (int s = 0; s < GDB_NSLOTS; s++)
			if (g->slot_owner[s] == p)
				g->slot_owner[s] = -1;
		h->used = false;
	}
	return 0;
}

int gdb_tgt_insert(struct tg_gdb *g, int type, uint64_t addr, uint64_t len)
{
	return type == ZT_SW ? insert_sw(g, addr) : insert_hw(g, type, addr, len);
}

int gdb_tgt_remove(struct tg_gdb *g, int type, uint64_t addr, uint64_t len)
{
	return type == ZT_SW ? remove_sw(g, addr) : remove_hw(g, type, addr, len);
}

void gdb_tgt_remove_all(struct tg_gdb *g)
{
	for (int i = 0; i < GDB_MAX_SWBP; i++)
		if (g->sw[i].used)
			remove_sw(g, g->sw[i].addr);
	for (int p = 0; p < GDB_NSLOTS; p++)
		g->hw[p].used = false;
	for (int s = 0; s < GDB_NSLOTS; s++)
		g->slot_owner[s] = -1;
}

int gdb_tgt_prepare_resume(struct tg_gdb *g)
{
	uint64_t pc;
	int e = gdb_tgt_linear_pc(g, &pc);
	if (e < 0)
		return e;
	for (int p = 0; p < GDB_NSLOTS; p++) {
		if (!g->hw[p].used || g->hw[p].type != ZT_HW || g->hw[p].addr != pc)
			continue;
		/* Resuming on an instruction breakpoint: RF suppresses its
		 * fault once, as a debugger's IRET with RF=1 does on bare
		 * metal [SDM Vol. 3B 19.3.1.1]. */
		struct kvm_regs regs;
		if ((e = tg_vcpu_get_regs(g->vcpu, &regs)) < 0)
			return e;
		regs.rflags |= RFLAGS_RF;
		return tg_vcpu_set_regs(g->vcpu, &regs);
	}
	return 0;
}

int gdb_tgt_watch_hit(struct tg_gdb *g, uint64_t dr6, int *type, uint64_t *addr)
{
	for (int s = 0; s < GDB_NSLOTS; s++) {
		int p = g->slot_owner[s];
		if (p < 0 || !(dr6 & (1u << s)) || g->hw[p].type == ZT_HW)
			continue;
		*type = g->hw[p].type;
		*addr = g->hw[p].addr;
		return p;
	}
	return -1;
}

bool gdb_tgt_hw_exec_hit(struct tg_gdb *g, uint64_t dr6)
{
	for (int s = 0; s < GDB_NSLOTS; s++) {
		int p = g->slot_owner[s];
		if (p >= 0 && (dr6 & (1u << s)) && g->hw[p].type == ZT_HW)
			return true;
	}
	return false;
}

int gdb_tgt_reinject(struct tg_gdb *g, int exception, uint64_t dr6)
{
	bool step = g->state == GS_STEPPING;
	if (exception == 3)
		return set_debug(g, step, KVM_GUESTDBG_INJECT_BP);
	/* INJECT_DB carries no payload, so DR6 gets the causes first, the way
	 * delivery would write them: B0-B3 replaced, BD/BS/BT sticky, fixed
	 * bits set [spec 7.5 steps 1-3]. */
	struct kvm_debugregs d;
	int e = tg_vcpu_get_debugregs(g->vcpu, &d);
	if (e < 0)
		return e;
	d.dr6 = ((d.dr6 & ~0xfull) | 0xffff0ff0ull | (dr6 & 0xe00full)) & 0xffffffffull;
	if ((e = tg_vcpu_set_debugregs(g->vcpu, &d)) < 0)
		return e;
	return set_debug(g, step, KVM_GUESTDBG_INJECT_DB);
}
