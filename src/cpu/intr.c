/* Interrupt and exception delivery through the IVT/IDT in real, protected
 * (and virtual-8086) and IA-32e mode, and the instructions that use it:
 * INT n, INT3, INTO, ICEBP and IRET [SDM Vol. 3A 6.12-6.14, 20.1.4, 20.3;
 * SDM Vol. 2 INT n/INTO/INT3/INT1, IRET].
 *
 * Delivery never commits anything before every check and every memory
 * access that can fault has been made: a fault longjmps out through
 * tg_raise*() with the vCPU state exactly as it was, and the exception
 * queue (except.c) combines it with the event being delivered (#DF,
 * triple fault). Only the frame bytes already written below the stack
 * pointer may have changed, as on hardware. */
#include "cpu.h"
#include "debug.h"
#include "ops.h"
#include "seg.h"

/* ---- descriptor fields [SDM 3.4.5, 6.11, 6.14.1] ---- */
#define D_TYPE(d) ((unsigned)((d) >> 40) & 0xf)
#define D_S(d) ((unsigned)((d) >> 44) & 1)
#define D_DPL(d) ((unsigned)((d) >> 45) & 3)
#define D_P(d) ((unsigned)((d) >> 47) & 1)
#define D_L(d) ((unsigned)((d) >> 53) & 1)
#define D_DB(d) ((unsigned)((d) >> 54) & 1)

/* RFLAGS bits an IRET or delivery may store (bit 1 is fixed to 1). */
#define F_VALID 0x3f7fd5u

static bool is_code(uint64_t d)
{
	return D_S(d) && (D_TYPE(d) & 8);
}

static bool is_conforming(uint64_t d)
{
	return is_code(d) && (D_TYPE(d) & 4);
}

static bool is_writable_data(uint64_t d)
{
	return D_S(d) && !(D_TYPE(d) & 8) && (D_TYPE(d) & 2);
}

/* Segment-register state of a null selector: unusable for accesses
 * outside 64-bit mode [SDM 3.4.2]. The DPL is kept at `dpl` because the
 * model derives CPL from SS.DPL (a null SS in 64-bit mode has RPL = CPL
 * [SDM 6.14.4]). */
static struct kvm_segment null_seg(uint16_t sel, unsigned dpl)
{
	return (struct kvm_segment){ .selector = sel, .type = 3, .s = 1,
				     .dpl = (uint8_t)dpl, .unusable = 1 };
}

/* Virtual-8086 segment: base = selector * 16, 64 KiB, DPL 3 [SDM 20.1.1]. */
static struct kvm_segment vm86_seg(uint16_t sel, bool code)
{
	return (struct kvm_segment){ .selector = sel, .base = (uint64_t)sel << 4,
				     .limit = 0xffff, .type = code ? 0xb : 0x3,
				     .s = 1, .dpl = 3, .present = 1 };
}

/* Is [off, off+size) inside the segment (expand-up or expand-down)
 * [SDM 5.3]? */
static bool seg_range_ok(const struct kvm_segment *s, uint64_t off,
			 unsigned size)
{
	uint64_t last = off + size - 1;
	if (s->s && !(s->type & 8) && (s->type & 4)) {
		uint64_t top = s->db ? 0xffffffffull : 0xffffull;
		return off > s->limit && last <= top;
	}
	return last <= s->limit && last >= off;
}

static uint64_t sa_mask(unsigned sa)
{
	return sa == 8 ? ~0ull : sa == 4 ? 0xffffffffull : 0xffffull;
}

/* The new value of RSP after its low `sa` bytes became `sp`: a 16-bit
 * stack leaves bits 63:16 alone, a 32-bit one zero-extends [SDM 6.2.3]. */
static uint64_t merge_sp(uint64_t rsp, unsigned sa, uint64_t sp)
{
	if (sa == 8)
		return sp;
	if (sa == 4)
		return (uint32_t)sp;
	return (rsp & ~0xffffull) | (sp & 0xffff);
}

/* ---- the stack frame an event pushes ---- */
struct frame {
	uint64_t v[12];   /* in push order: v[0] ends up highest */
	uint64_t lin[12];
	unsigned n;
	unsigned size;    /* bytes per push: 2, 4 or 8 */
};

static void fpush(struct frame *f, uint64_t v)
{
	f->v[f->n++] = v;
}

/* Place the frame below sp on the stack `ss` (NULL: 64-bit mode, no
 * segment but canonical checks) and check that it fits: #SS(ss_err)
 * otherwise [SDM Vol. 2 INT n: "new stack does not have room"]. Returns
 * the new stack pointer (low `sa` bytes significant). */
static uint64_t frame_place(struct vcpu *c, struct frame *f,
			    const struct kvm_segment *ss, uint64_t sp,
			    unsigned sa, uint32_t ss_err)
{
	uint64_t m = sa_mask(sa);
	for (unsigned i = 0; i < f->n; i++) {
		uint64_t off = (sp - (uint64_t)f->size * (i + 1)) & m;
		if (!ss) {
			if (!tg_canonical(off) || !tg_canonical(off + f->size - 1))
				tg_raise_ss(c, ss_err);
			f->lin[i] = off;
		} else {
			if (!seg_range_ok(ss, off, f->size))
				tg_raise_ss(c, ss_err);
			f->lin[i] = (uint32_t)(ss->base + off);
		}
	}
	return (sp - (uint64_t)f->size * f->n) & m;
}

/* Write the frame. Stack writes by event delivery are ordinary data
 * accesses with the privilege of the handler: supervisor below CPL3. */
static void frame_write(struct vcpu *c, const struct frame *f, unsigned new_cpl)
{
	int acc = ACC_W | (new_cpl < 3 ? ACC_SUP : 0);
	for (unsigned i = 0; i < f->n; i++)
		tg_write_lin(c, f->lin[i], f->size, f->v[i], acc);
}

/* ---- event kinds ---- */
static bool ev_soft(int kind)
{
	return kind == EV_SOFT_INT || kind == EV_SOFT_EXC;
}

/* Fault-class exceptions [SDM 6.5, Table 6-1; KVM exception_type]: all
 * but the traps #DB/#BP/#OF and the aborts #DF/#MC. */
static bool is_fault(int vector)
{
	switch (vector) {
	case EXC_DB: case EXC_NMI: case EXC_BP: case EXC_OF:
	case EXC_DF: case EXC_MC:
		return false;
	}
	return vector < 32;
}

/* ---- real-address mode [SDM Vol. 2 INT n REAL-ADDRESS-MODE; 20.1.4] ---- */
static void deliver_real(struct vcpu *c, int vector, uint64_t flags,
			 uint64_t next_rip)
{
	/* The IVT entry must lie inside IDTR.limit, else #GP (and #DF and
	 * shutdown when those vectors are beyond it too) [SDM 20.1.4]. No
	 * error code is pushed in real mode. */
	if ((uint64_t)vector * 4 + 3 > c->idt.limit)
		tg_raise_gp(c, 0);
	uint32_t ent = (uint32_t)tg_read_lin(c, (uint32_t)(c->idt.base + vector * 4),
					     4, ACC_R | ACC_SUP);
	struct frame f = { .size = 2 };
	fpush(&f, flags & 0xffff);
	fpush(&f, c->seg[S_CS].selector);
	fpush(&f, next_rip & 0xffff);
	unsigned sa = c->seg[S_SS].db ? 4 : 2;
	uint64_t sp = frame_place(c, &f, &c->seg[S_SS], c->gpr[R_RSP], sa, 0);
	frame_write(c, &f, 0);

	c->gpr[R_RSP] = merge_sp(c->gpr[R_RSP], sa, sp);
	c->rflags &= ~(uint64_t)(F_IF | F_TF | F_AC);
	uint16_t cs = (uint16_t)(ent >> 16);
	c->seg[S_CS].selector = cs;
	c->seg[S_CS].base = (uint64_t)cs << 4;
	c->rip = ent & 0xffff;
}

/* ---- protected mode and virtual-8086 mode [SDM 6.12.1, 20.3.1.1] ---- */

/* Stack for privilege level `cpl` from the current TSS, checked as the
 * SDM's INTER-PRIVILEGE-LEVEL-INTERRUPT does (#TS, #SS). */
static void tss_stack_legacy(struct vcpu *c, unsigned cpl, uint32_t ext,
			     uint16_t *ss_sel, uint64_t *esp,
			     struct kvm_segment *ss)
{
	uint32_t tss_err = (c->tr.selector & 0xfffc) | ext;
	uint64_t base = c->tr.base;
	if (c->tr.type & 8) { /* 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n */
		unsigned a = cpl * 8 + 4;
		if (a + 5 > c->tr.limit)
			tg_raise_ts(c, tss_err);
		*esp = (uint32_t)tg_read_lin(c, (uint32_t)(base + a), 4, ACC_R | ACC_SUP);
		*ss_sel = (uint16_t)tg_read_lin(c, (uint32_t)(base + a + 4), 2, ACC_R | ACC_SUP);
	} else {              /* 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n */
		unsigned a = cpl * 4 + 2;
		if (a + 3 > c->tr.limit)
			tg_raise_ts(c, tss_err);
		*esp = (uint16_t)tg_read_lin(c, (uint32_t)(base + a), 2, ACC_R | ACC_SUP);
		*ss_sel = (uint16_t)tg_read_lin(c, (uint32_t)(base + a + 2), 2, ACC_R | ACC_SUP);
	}
	uint16_t sel = *ss_sel;
	uint32_t err = (sel & 0xfffc) | ext;
	uint64_t d;
	if ((sel & 0xfffc) == 0)
		tg_raise_ts(c, ext);
	if (!tg_read_desc(c, sel, &d) || (sel & 3) != cpl)
		tg_raise_ts(c, err);
	if (D_DPL(d) != cpl || !is_writable_data(d))
		tg_raise_ts(c, err);
	if (!D_P(d))
		tg_raise_ss(c, err);
	tg_desc_to_seg(d, sel, ss);
}

static void deliver_prot(struct vcpu *c, int vector, int kind, bool has_err,
			 uint32_t err, uint64_t flags, uint64_t next_rip)
{
	const uint32_t ext = ev_soft(kind) ? 0 : 1;
	const uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
	const bool vm86 = c->mode == MODE_VM86;
	const unsigned cpl = c->cpl;

	if ((uint64_t)vector * 8 + 7 > c->idt.limit)
		tg_raise_gp(c, idt_err);
	uint64_t g = tg_read_lin(c, (uint32_t)(c->idt.base + vector * 8), 8,
				 ACC_R | ACC_SUP);
	unsigned gtype = (unsigned)(g >> 40) & 0x1f; /* S bit included */
	if (gtype != 5 && gtype != 6 && gtype != 7 && gtype != 14 && gtype != 15)
		tg_raise_gp(c, idt_err);
	/* INT n, INT3 and INTO check the gate's DPL; ICEBP, exceptions and
	 * interrupts do not [SDM 6.12.1.1]. */
	if (ev_soft(kind) && D_DPL(g) < cpl)
		tg_raise_gp(c, (uint32_t)vector * 8 + 2);
	if (!D_P(g))
		tg_raise_np(c, idt_err);
	if (gtype == 5) /* task gate: hardware task switch, not modelled */
		tg_exit_unimplemented(c, 0);

	const bool gate32 = gtype & 8;
	const bool trap_gate = gtype & 1;
	uint16_t sel = (uint16_t)(g >> 16);
	uint32_t off = (uint32_t)((g & 0xffff) | ((g >> 32) & 0xffff0000));
	if (!gate32)
		off &= 0xffff;
	uint32_t cs_err = (sel & 0xfffc) | ext;
	uint64_t cd;
	if ((sel & 0xfffc) == 0)
		tg_raise_gp(c, ext);
	if (!tg_read_desc(c, sel, &cd))
		tg_raise_gp(c, cs_err);
	if (!is_code(cd) || D_DPL(cd) > cpl)
		tg_raise_gp(c, cs_err);
	if (!D_P(cd))
		tg_raise_np(c, cs_err);

	unsigned new_cpl;
	bool switch_stack;
	if (!is_conforming(cd) && D_DPL(cd) < cpl) {
		/* From VM86 only to a ring-0 handler [SDM 20.3.1.1]. */
		if (vm86 && D_DPL(cd) != 0)
			tg_raise_gp(c, cs_err);
		new_cpl = D_DPL(cd);
		switch_stack = true;
	} else {
		if (vm86)
			tg_raise_gp(c, cs_err);
		if (!is_conforming(cd) && D_DPL(cd) != cpl)
			tg_raise_gp(c, cs_err);
		new_cpl = cpl;
		switch_stack = false;
	}

	struct kvm_segment ss = c->seg[S_SS];
	uint16_t new_ss_sel = ss.selector;
	uint64_t sp = c->gpr[R_RSP];
	uint32_t ss_err = ext;
	if (switch_stack) {
		tss_stack_legacy(c, new_cpl, ext, &new_ss_sel, &sp, &ss);
		ss_err = (new_ss_sel & 0xfffc) | ext;
	}

	struct frame f = { .size = gate32 ? 4 : 2 };
	uint64_t m = gate32 ? 0xffffffffull : 0xffffull;
	if (vm86) {
		fpush(&f, c->seg[S_GS].selector);
		fpush(&f, c->seg[S_FS].selector);
		fpush(&f, c->seg[S_DS].selector);
		fpush(&f, c->seg[S_ES].selector);
	}
	if (switch_stack) {
		fpush(&f, c->seg[S_SS].selector);
		fpush(&f, c->gpr[R_RSP] & m);
	}
	fpush(&f, flags & m);
	fpush(&f, c->seg[S_CS].selector);
	fpush(&f, next_rip & m);
	if (has_err)
		fpush(&f, err & m);
	unsigned sa = ss.db ? 4 : 2;
	uint64_t new_sp = frame_place(c, &f, &ss, sp, sa, ss_err);

	struct kvm_segment cs;
	tg_desc_to_seg(cd, (uint16_t)((sel & 0xfffc) | new_cpl), &cs);
	if (off > cs.limit)
		tg_raise_gp(c, ext);
	frame_write(c, &f, new_cpl);
	if (!(cd & (1ull << 40)))
		tg_set_desc_accessed(c, sel);
	if (switch_stack && !(ss.type & 1)) {
		tg_set_desc_accessed(c, new_ss_sel);
		ss.type |= 1;
	}

	/* Commit. */
	cs.type |= 1;
	c->seg[S_CS] = cs;
	c->seg[S_SS] = ss;
	c->gpr[R_RSP] = merge_sp(sp, sa, new_sp);
	if (vm86) {
		/* The data segments are made null for the protected-mode
		 * handler [SDM 20.3.1.1]. */
		c->seg[S_ES] = c->seg[S_DS] = c->seg[S_FS] = c->seg[S_GS] =
			null_seg(0, 0);
	}
	c->rflags &= ~(uint64_t)(F_TF | F_VM | F_RF | F_NT |
				 (trap_gate ? 0 : F_IF));
	c->rip = off;
}

/* ---- IA-32e mode [SDM 6.14] ---- */
static void deliver_long(struct vcpu *c, int vector, int kind, bool has_err,
			 uint32_t err, uint64_t flags, uint64_t next_rip)
{
	const uint32_t ext = ev_soft(kind) ? 0 : 1;
	const uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
	const unsigned cpl = c->cpl;

	if ((uint64_t)vector * 16 + 15 > c->idt.limit)
		tg_raise_gp(c, idt_err);
	uint64_t g = tg_read_lin(c, c->idt.base + vector * 16, 8, ACC_R | ACC_SUP);
	uint64_t g_hi = tg_read_lin(c, c->idt.base + vector * 16 + 8, 8,
				    ACC_R | ACC_SUP);
	/* Only 64-bit interrupt and trap gates exist in the IDT of IA-32e
	 * mode; a task gate or any other type is #GP [SDM 6.14.1]. */
	unsigned gtype = (unsigned)(g >> 40) & 0x1f;
	if (gtype != 14 && gtype != 15)
		tg_raise_gp(c, idt_err);
	if (ev_soft(kind) && D_DPL(g) < cpl)
		tg_raise_gp(c, (uint32_t)vector * 8 + 2);
	if (!D_P(g))
		tg_raise_np(c, idt_err);

	const bool trap_gate = gtype & 1;
	const unsigned ist = (unsigned)(g >> 32) & 7;
	uint16_t sel = (uint16_t)(g >> 16);
	uint64_t off = (g & 0xffff) | ((g >> 32) & 0xffff0000) | (g_hi << 32);
	uint32_t cs_err = (sel & 0xfffc) | ext;
	uint64_t cd;
	if ((sel & 0xfffc) == 0)
		tg_raise_gp(c, ext);
	if (!tg_read_desc(c, sel, &cd))
		tg_raise_gp(c, cs_err);
	if (!is_code(cd) || D_DPL(cd) > cpl)
		tg_raise_gp(c, cs_err);
	/* The handler must be 64-bit code (L=1, D=0) [SDM 6.14.1]. */
	if (!D_L(cd) || D_DB(cd))
		tg_raise_gp(c, cs_err);
	if (!D_P(cd))
		tg_raise_np(c, cs_err);

	unsigned new_cpl = cpl;
	bool switch_stack = false;
	if (!is_conforming(cd) && D_DPL(cd) < cpl) { /* DPL > CPL failed above */
		new_cpl = D_DPL(cd);
		switch_stack = true;
	}

	/* New RSP: IST entry, else RSPn on a privilege change, else the
	 * current RSP [SDM 6.14.4, 6.14.5]. */
	uint64_t rsp = c->gpr[R_RSP];
	if (ist || switch_stack) {
		unsigned a = ist ? ist * 8 + 28 : new_cpl * 8 + 4;
		if (a + 7 > c->tr.limit)
			tg_raise_ts(c, (c->tr.selector & 0xfffc) | ext);
		rsp = tg_read_lin(c, c->tr.base + a, 8, ACC_R | ACC_SUP);
	}
	if (!tg_canonical(rsp))
		tg_raise_ss(c, ext);
	if (!tg_canonical(off))
		tg_raise_gp(c, ext);
	/* The stack is aligned to 16 bytes before the frame is pushed, and
	 * SS:RSP are always pushed [SDM 6.14.2]. */
	rsp &= ~0xfull;

	struct frame f = { .size = 8 };
	fpush(&f, c->seg[S_SS].selector);
	fpush(&f, c->gpr[R_RSP]);
	fpush(&f, flags);
	fpush(&f, c->seg[S_CS].selector);
	fpush(&f, next_rip);
	if (has_err)
		fpush(&f, err);
	uint64_t new_rsp = frame_place(c, &f, 0, rsp, 8, ext);
	frame_write(c, &f, new_cpl);
	if (!(cd & (1ull << 40)))
		tg_set_desc_accessed(c, sel);

	struct kvm_segment cs;
	tg_desc_to_seg(cd, (uint16_t)((sel & 0xfffc) | new_cpl), &cs);
	cs.type |= 1;
	c->seg[S_CS] = cs;
	/* A privilege change loads SS with a null selector whose RPL is the
	 * new CPL [SDM 6.14.4]. */
	if (switch_stack)
		c->seg[S_SS] = null_seg((uint16_t)new_cpl, new_cpl);
	c->gpr[R_RSP] = new_rsp;
	c->rflags &= ~(uint64_t)(F_TF | F_VM | F_RF | F_NT |
				 (trap_gate ? 0 : F_IF));
	c->rip = off;
}

void tg_deliver_event(struct vcpu *c, int vector, int kind, bool has_err,
		      uint32_t err, uint64_t next_rip)
{
	/* The pushed RF [SDM 17.3.1.1; spec 2.4, 3.9]: 1 for fault-class
	 * exceptions other than #DB (so IRET does not re-trigger a code
	 * breakpoint); 0 for INT n/INT3/INTO/ICEBP, which complete before
	 * the event; otherwise RF as it is at the boundary. */
	uint64_t flags = tg_get_rflags(c);
	if (kind == EV_EXCEPTION && is_fault(vector) && vector != EXC_DB)
		flags |= F_RF;
	else if (kind != EV_EXCEPTION && kind != EV_EXT_INT && kind != EV_NMI)
		flags &= ~(uint64_t)F_RF;

	if (c->mode == MODE_REAL)
		deliver_real(c, vector, flags, next_rip);
	else if (c->efer & EFER_LMA)
		deliver_long(c, vector, kind, has_err, err, flags, next_rip);
	else
		deliver_prot(c, vector, kind, has_err, err, flags, next_rip);

	/* Delivered. Entering a #DB handler clears DR7.GD [SDM 17.2.4]. */
	if (vector == EXC_DB && kind == EV_PRIV_SOFT)
		c->dr7 &= ~(uint64_t)DR7_GD;
	/* Delivering any event ends an interrupt shadow [spec 4.1] and wakes
	 * a halted vCPU. The instruction that raised it (INT n, INT3, INTO,
	 * ICEBP) does not single-step trap: the handler runs with TF clear
	 * [SDM 17.3.1.4; spec 3.5, 3.6]. */
	c->shadow = SHADOW_NONE;
	c->halted = false;
	if (kind == EV_SOFT_INT || kind == EV_SOFT_EXC || kind == EV_PRIV_SOFT)
		c->suppress_ss = true;
	c->exceptions_delivered++;
	tg_recompute_mode(c);
	if (unlikely(c->trace_fn))
		tg_trace_event(c, vector, kind, has_err, err, next_rip);
}

void tg_deliver_pending(struct vcpu *c)
{
	struct tg_exception *e = &c->exc;
	if (e->pending) {
		/* Side effects happen once, when delivery starts: the payload
		 * becomes CR2 or DR6 [spec 6.3, 7.5]. A fault from here on is
		 * combined with this exception (except.c). */
		if (e->vector == EXC_PF && e->has_payload)
			c->cr2 = e->payload;
		if (e->vector == EXC_DB && e->has_payload)
			c->dr6 = tg_dr6_apply_payload(c->dr6, e->payload);
		/* Entering any #DB handler clears DR7.GD, injected ones too
		 * (KVM clears it for every #DB it injects) [SDM 17.2.4;
		 * spec 2.4]. */
		if (e->vector == EXC_DB)
			c->dr7 &= ~(uint64_t)DR7_GD;
		e->pending = false;
		e->injected = true;
		e->has_payload = false;
		e->payload = 0;
	}
	/* A re-injected INT3 (KVM_GUESTDBG_INJECT_BP) is a software exception
	 * returning after the instruction. #DF always pushes error code 0
	 * [SDM 6.15 Interrupt 8]. */
	if (e->soft_len)
		tg_deliver_event(c, e->vector, EV_SOFT_EXC, false, 0,
				 (c->rip + e->soft_len) & c->rip_mask);
	else
		tg_deliver_event(c, e->vector, EV_EXCEPTION, e->has_error_code,
				 e->vector == EXC_DF ? 0 : e->error_code, c->rip);
	*e = (struct tg_exception){ 0 };
	tg_recompute_boundary(c);
}

/* ---- the instructions ---- */

static uint64_t next_ip(const struct vcpu *c, const struct tg_insn *d)
{
	uint64_t n = c->rip + d->len;
	return c->mode == MODE_LONG64 ? n : (uint32_t)n;
}

/* INT3: #BP as a software exception, return address after it [SDM Vol. 2
 * INT3]. Not IOPL-sensitive in virtual-8086 mode [SDM 20.3.1]. */
static void op_int3(struct vcpu *c, const struct tg_insn *d)
{
	/* KVM_GUESTDBG_USE_SW_BP: the INT3 belongs to the host debugger; it
	 * exits with exception 3 and pc = the INT3 itself, not executed
	 * [spec 7.1; selftest debug_regs]. */
	if (tg_host_swbp(c))
		tg_exit_debug(c, EXC_BP, 0);
	tg_deliver_event(c, EXC_BP, EV_SOFT_EXC, false, 0, next_ip(c, d));
}

/* INT n in virtual-8086 mode with CR4.VME: bit n of the software
 * interrupt redirection bitmap (the 32 bytes below the I/O map base of
 * the TSS) clear sends it to the 8086 handler through the IVT at linear
 * 0, on the 8086 stack (methods 5 and 6); set, it is IOPL-sensitive
 * (methods 3 and 4) [SDM 20.3.3, Table 20-2; SDM Vol. 2 INT n]. */
static bool vme_redirect(struct vcpu *c, const struct tg_insn *d, uint8_t n)
{
	const bool iopl3 = (c->rflags & F_IOPL) == F_IOPL;
	if (!(c->tr.type & 8) || c->tr.limit < 0x67)
		tg_raise_gp(c, 0); /* no bitmap in a 16-bit or short TSS */
	uint32_t iomap = (uint16_t)tg_read_lin(c, (uint32_t)(c->tr.base + 0x66), 2,
					       ACC_R | ACC_SUP);
	uint32_t off = iomap - 32 + n / 8;
	if (iomap < 32 || off > c->tr.limit)
		tg_raise_gp(c, 0);
	uint8_t bits = (uint8_t)tg_read_lin(c, (uint32_t)(c->tr.base + off), 1,
					    ACC_R | ACC_SUP);
	if ((bits >> (n & 7)) & 1)
		return false;

	/* The FLAGS image: with IOPL < 3 it carries VIF in the IF position
	 * and IOPL 3. */
	uint64_t fl = tg_get_rflags(c) & 0xffff;
	if (!iopl3)
		fl = (fl & ~(uint64_t)F_IF) | F_IOPL | ((c->rflags & F_VIF) ? F_IF : 0);
	uint32_t ent = (uint32_t)tg_read_lin(c, (uint32_t)n * 4, 4, ACC_R);
	struct frame f = { .size = 2 };
	fpush(&f, fl);
	fpush(&f, c->seg[S_CS].selector);
	fpush(&f, next_ip(c, d) & 0xffff);
	uint64_t sp = frame_place(c, &f, &c->seg[S_SS], c->gpr[R_RSP], 2, 0);
	frame_write(c, &f, 3);

	c->gpr[R_RSP] = merge_sp(c->gpr[R_RSP], 2, sp);
	c->rflags &= ~(uint64_t)(F_TF | (iopl3 ? F_IF : F_VIF));
	c->seg[S_CS] = vm86_seg((uint16_t)(ent >> 16), true);
	c->rip = ent & 0xffff;
	c->shadow = SHADOW_NONE;
	c->suppress_ss = true;
	c->exceptions_delivered++;
	tg_recompute_mode(c);
	return true;
}

/* INT n. In virtual-8086 mode it is IOPL-sensitive: #GP(0) when IOPL < 3
 * [SDM 20.2.7, Table 20-2 methods 2 and 4], unless VME redirects it. */
static void op_int(struct vcpu *c, const struct tg_insn *d)
{
	uint8_t n = (uint8_t)d->imm;
	if (c->mode == MODE_VM86) {
		if ((c->cr4 & CR4_VME) && vme_redirect(c, d, n))
			return;
		if ((c->rflags & F_IOPL) != F_IOPL)
			tg_raise_gp(c, 0);
	}
	tg_deliver_event(c, n, EV_SOFT_INT, false, 0, next_ip(c, d));
}

/* INTO: #OF when OF=1, else nothing [SDM Vol. 2 INTO]; #UD in 64-bit
 * mode comes from the decoder. */
static void op_into(struct vcpu *c, const struct tg_insn *d)
{
	if (tg_of(c)) {
		tg_deliver_event(c, EXC_OF, EV_SOFT_EXC, false, 0, next_ip(c, d));
		return;
	}
	tg_advance(c, d);
}

/* ICEBP (INT1): a #DB delivered as a privileged software exception: no
 * gate DPL check, error codes with EXT=1, and no DR6 bits [SDM Vol. 2
 * INT1; spec 2.1]. */
static void op_icebp(struct vcpu *c, const struct tg_insn *d)
{
	/* ICEBP's own #DB adds no cause bits and drops its single-step trap
	 * (and one held from a MOV SS), but data-breakpoint causes held by a
	 * MOV SS shadow merge into it: the handler runs once [spec 4.2, KUT
	 * "MOV SS + watchpoint + ICEBP"]. DR6 follows the payload rule:
	 * B0-B3 replaced, BD/BS/BT kept [spec 7.5; UNVERIFIED for ICEBP]. */
	uint32_t causes = c->pending_dbg & ~(uint32_t)DR6_BS;
	tg_deliver_event(c, EXC_DB, EV_PRIV_SOFT, false, 0, next_ip(c, d));
	c->pending_dbg = 0;
	c->dr6 = tg_dr6_apply_payload(c->dr6, causes);
}

/* ---- IRET [SDM Vol. 2 IRET/IRETD/IRETQ] ---- */

/* Pops from the current stack without committing RSP. */
struct pops {
	uint64_t sp;
	unsigned sa;
};

static uint64_t pop(struct vcpu *c, struct pops *p, unsigned size)
{
	uint64_t off = p->sp & sa_mask(p->sa);
	uint64_t v = tg_read(c, S_SS, off, size);
	p->sp = (off + size) & sa_mask(p->sa);
	return v;
}

/* Install the popped flags; `mask` says which bits the IRET may change. */
static void iret_flags(struct vcpu *c, uint64_t popped, uint64_t mask)
{
	uint64_t old = tg_get_rflags(c);
	uint64_t f = (old & ~mask) | (popped & mask);
	/* IRETD/IRETQ reload RF from the stack [SDM 17.3.1.1]; boundary.c
	 * must then not clear it after this instruction. It only clears RF
	 * that was set when the instruction began (rf_at_start, slow path
	 * only), so the flag is raised just then: on the fast path nothing
	 * would consume it and it would outlive the instruction. */
	if ((mask & F_RF) && (popped & F_RF) && c->rf_at_start)
		c->rf_loaded = true;
	tg_set_rflags(c, f);
}

/* Which flags a protected-mode IRET loads [SDM IRET: RETURN-TO-SAME/
 * OUTER-PRIVILEGE-LEVEL], decided with the CPL and IOPL before it. */
static uint64_t prot_flag_mask(const struct vcpu *c, unsigned osz)
{
	uint64_t m = F_CF | F_PF | F_AF | F_ZF | F_SF | F_TF | F_DF | F_OF | F_NT;
	unsigned iopl = (unsigned)(c->rflags >> 12) & 3;
	if (osz >= 4)
		m |= F_RF | F_AC | F_ID;
	if (c->cpl <= iopl)
		m |= F_IF;
	if (c->cpl == 0) {
		m |= F_IOPL;
		if (osz >= 4)
			m |= F_VIF | F_VIP;
	}
	return m;
}

static void iret_real(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz;
	struct pops p = { c->gpr[R_RSP], tg_stack_asz(c) };
	uint64_t ip = pop(c, &p, osz);
	uint16_t cs = (uint16_t)pop(c, &p, osz);
	uint64_t fl = pop(c, &p, osz);
	if (ip > c->seg[S_CS].limit)
		tg_raise_gp(c, 0);
	c->gpr[R_RSP] = merge_sp(c->gpr[R_RSP], p.sa, p.sp);
	c->seg[S_CS].selector = cs;
	c->seg[S_CS].base = (uint64_t)cs << 4;
	c->rip = ip;
	/* 32-bit: (temp AND 257FD5H) OR (EFLAGS AND 1A0000H); 16-bit: FLAGS
	 * [15:0] [SDM IRET REAL-ADDRESS-MODE]. */
	iret_flags(c, fl, osz == 4 ? 0x257fd5 : 0x7fd5);
}

static void iret_vm86(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz;
	unsigned iopl = (unsigned)(c->rflags >> 12) & 3;
	bool vme16 = (c->cr4 & CR4_VME) && iopl < 3 && osz == 2;
	if (iopl < 3 && !vme16)
		tg_raise_gp(c, 0); /* to the virtual-8086 monitor [SDM 20.2.7] */
	struct pops p = { c->gpr[R_RSP], tg_stack_asz(c) };
	uint64_t ip = pop(c, &p, osz);
	uint16_t cs = (uint16_t)pop(c, &p, osz);
	uint64_t fl = pop(c, &p, osz);
	if (ip > c->seg[S_CS].limit)
		tg_raise_gp(c, 0);
	uint64_t mask;
	if (vme16) {
		/* VME: IF goes to VIF; #GP if that would enable interrupts
		 * with one pending (VIP), or if TF is set [SDM 20.3.1, IRET]. */
		if (((fl & F_IF) && (c->rflags & F_VIP)) || (fl & F_TF))
			tg_raise_gp(c, 0);
		mask = 0x4fd5 & ~(uint64_t)F_IF;
	} else {
		/* VM, IOPL, VIP and VIF are not changed [SDM IRET
		 * RETURN-FROM-VIRTUAL-8086-MODE]. */
		mask = osz == 4 ? 0x254fd5 : 0x4fd5;
	}
	c->gpr[R_RSP] = merge_sp(c->gpr[R_RSP], p.sa, p.sp);
	c->seg[S_CS] = vm86_seg(cs, true);
	c->rip = ip;
	iret_flags(c, fl, mask);
	if (vme16)
		c->rflags = (c->rflags & ~(uint64_t)F_VIF) | ((fl & F_IF) ? F_VIF : 0);
	tg_recompute_mode(c);
}

/* Check the code segment IRET returns to [SDM IRET PROTECTED-MODE-RETURN]. */
static void iret_check_cs(struct vcpu *c, uint16_t sel, uint64_t *d)
{
	uint32_t err = sel & 0xfffc;
	unsigned rpl = sel & 3;
	if ((sel & 0xfffc) == 0)
		tg_raise_gp(c, 0);
	if (!tg_read_desc(c, sel, d))
		tg_raise_gp(c, err);
	if (rpl < c->cpl || !is_code(*d))
		tg_raise_gp(c, err);
	if (is_conforming(*d) ? D_DPL(*d) > rpl : D_DPL(*d) != rpl)
		tg_raise_gp(c, err);
	/* L=1 with D=1 is reserved in IA-32e mode */
	if ((c->efer & EFER_LMA) && D_L(*d) && D_DB(*d))
		tg_raise_gp(c, err);
	if (!D_P(*d))
		tg_raise_np(c, err);
}

/* Check the stack segment IRET returns to; `null_ok`: a null SS may be
 * loaded (IA-32e mode returning to 64-bit code at CPL < 3). Returns false
 * for such a null selector. */
static bool iret_check_ss(struct vcpu *c, uint16_t sel, unsigned rpl,
			  bool null_ok, uint64_t *d)
{
	uint32_t err = sel & 0xfffc;
	if ((sel & 0xfffc) == 0) {
		if (!null_ok)
			tg_raise_gp(c, 0);
		return false;
	}
	if (!tg_read_desc(c, sel, d))
		tg_raise_gp(c, err);
	if ((sel & 3) != rpl || !is_writable_data(*d) || D_DPL(*d) != rpl)
		tg_raise_gp(c, err);
	if (!D_P(*d))
		tg_raise_ss(c, err);
	return true;
}

/* After a return to an outer level, data segments the new CPL may not use
 * become null [SDM IRET RETURN-TO-OUTER-PRIVILEGE-LEVEL]. */
static void null_inaccessible(struct vcpu *c, unsigned cpl)
{
	static const int segs[] = { S_ES, S_FS, S_GS, S_DS };
	for (unsigned i = 0; i < 4; i++) {
		struct kvm_segment *s = &c->seg[segs[i]];
		bool conf_code = s->s && (s->type & 0xc) == 0xc;
		if ((s->selector & 0xfffc) == 0 || (s->dpl < cpl && !conf_code)) {
			s->selector = 0;
			s->unusable = 1;
		}
	}
}

/* Return to virtual-8086 mode: from CPL0 with VM=1 in the popped EFLAGS
 * image (32-bit operand size) [SDM IRET RETURN-TO-VIRTUAL-8086-MODE]. */
static void iret_to_vm86(struct vcpu *c, struct pops *p, uint64_t ip,
			 uint16_t cs, uint64_t fl)
{
	uint64_t esp = pop(c, p, 4);
	uint16_t ss = (uint16_t)pop(c, p, 4);
	uint16_t es = (uint16_t)pop(c, p, 4);
	uint16_t ds = (uint16_t)pop(c, p, 4);
	uint16_t fs = (uint16_t)pop(c, p, 4);
	uint16_t gs = (uint16_t)pop(c, p, 4);
	if (ip > 0xffff) /* the virtual-8086 CS limit */
		tg_raise_gp(c, 0);
	c->seg[S_CS] = vm86_seg(cs, true);
	c->seg[S_SS] = vm86_seg(ss, false);
	c->seg[S_ES] = vm86_seg(es, false);
	c->seg[S_DS] = vm86_seg(ds, false);
	c->seg[S_FS] = vm86_seg(fs, false);
	c->seg[S_GS] = vm86_seg(gs, false);
	c->gpr[R_RSP] = (uint32_t)esp;
	c->rip = (uint32_t)ip;
	iret_flags(c, fl, F_VALID);
	tg_recompute_mode(c);
}

/* Protected mode (CR0.PE=1, VM=0) and IA-32e mode. */
static void iret_prot(struct vcpu *c, const struct tg_insn *d)
{
	const bool lma = c->efer & EFER_LMA;
	const unsigned osz = d->osz;
	if (c->rflags & F_NT) {
		/* A nested-task return in IA-32e mode is #GP(0) [SDM IRET];
		 * legacy task switches are not modelled. */
		if (lma)
			tg_raise_gp(c, 0);
		tg_exit_unimplemented(c, d);
	}
	struct pops p = { c->gpr[R_RSP], tg_stack_asz(c) };
	uint64_t ip = pop(c, &p, osz);
	uint16_t cs_sel = (uint16_t)pop(c, &p, osz);
	uint64_t fl = pop(c, &p, osz);

	if (!lma && osz == 4 && (fl & F_VM) && c->cpl == 0) {
		iret_to_vm86(c, &p, ip, cs_sel, fl);
		return;
	}

	uint64_t cd;
	iret_check_cs(c, cs_sel, &cd);
	const unsigned rpl = cs_sel & 3;
	const bool outer = rpl > c->cpl;
	const bool to64 = lma && D_L(cd);
	/* IRET pops SS:RSP when it returns to an outer level, and always in
	 * 64-bit mode [SDM IRET IA-32e-MODE]. */
	bool pop_ss = outer || c->mode == MODE_LONG64;
	uint64_t new_sp = 0;
	uint16_t ss_sel = 0;
	uint64_t sd = 0;
	bool ss_usable = true;
	if (pop_ss) {
		new_sp = pop(c, &p, osz);
		ss_sel = (uint16_t)pop(c, &p, osz);
		ss_usable = iret_check_ss(c, ss_sel, rpl, to64 && rpl != 3, &sd);
	}
	if (to64) {
		if (!tg_canonical(ip))
			tg_raise_gp(c, 0);
	} else {
		ip = (uint32_t)ip;
		struct kvm_segment tmp;
		tg_desc_to_seg(cd, cs_sel, &tmp);
		if (ip > tmp.limit)
			tg_raise_gp(c, 0);
	}
	if (!(cd & (1ull << 40)))
		tg_set_desc_accessed(c, cs_sel);
	if (pop_ss && ss_usable && !(sd & (1ull << 40)))
		tg_set_desc_accessed(c, ss_sel);

	/* Commit: flags first (their mask depends on the old CPL). */
	uint64_t mask = prot_flag_mask(c, osz);
	uint64_t old_rsp = c->gpr[R_RSP];
	iret_flags(c, fl, mask);
	tg_desc_to_seg(cd, cs_sel, &c->seg[S_CS]);
	c->seg[S_CS].type |= 1;
	if (pop_ss) {
		if (ss_usable) {
			tg_desc_to_seg(sd, ss_sel, &c->seg[S_SS]);
			c->seg[S_SS].type |= 1;
		} else {
			c->seg[S_SS] = null_seg(ss_sel, rpl);
		}
		/* A 16-bit stack segment gets only SP: bits 31:16 of ESP keep
		 * the handler's value, the leak Linux's espfix works around
		 * (stack-address size [SDM 6.2.3]). */
		unsigned sa = to64 ? 8 : c->seg[S_SS].db ? 4 : 2;
		if (sa != 8 && osz == 8)
			new_sp = (uint32_t)new_sp;
		c->gpr[R_RSP] = merge_sp(old_rsp, sa, new_sp);
	} else {
		c->gpr[R_RSP] = merge_sp(old_rsp, p.sa, p.sp);
	}
	c->rip = ip;
	if (outer)
		null_inaccessible(c, rpl);
	tg_recompute_mode(c);
}

static void op_iret(struct vcpu *c, const struct tg_insn *d)
{
	/* IRET ends NMI blocking, even when it then faults [SDM 6.7.1;
	 * SDM Vol. 3C "NMI unblocking due to IRET"]. */
	c->nmi_masked = false;
	switch (c->mode) {
	case MODE_REAL:
		iret_real(c, d);
		break;
	case MODE_VM86:
		iret_vm86(c, d);
		break;
	default:
		iret_prot(c, d);
		break;
	}
	tg_recompute_mode(c);
}

tg_handler tg_sel_int(struct tg_insn *d)
{
	if (d->map != 0)
		return 0;
	switch (d->opc) {
	case 0xcc: return op_int3;
	case 0xcd: return op_int;
	case 0xce: return op_into;
	case 0xcf: return op_iret;
	case 0xf1: return op_icebp;
	}
	return 0;
}
