/* The model backend: the API's operations on the software vCPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "../cpu/cpu.h"
#include "../cpu/debug.h"
#include "../cpu/msr.h"

static struct vcpu *cpu_of(struct tg_vcpu *v)
{
	return v->priv;
}

static int model_vm_create(struct tg_vm *vm)
{
	(void)vm;
	return 0;
}

static void model_vm_destroy(struct tg_vm *vm)
{
	(void)vm;
}

static int model_check_extension(struct tg_vm *vm, long cap)
{
	(void)vm;
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_EXCEPTION_PAYLOAD:
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
		return 1;
	case KVM_CAP_X86_USER_SPACE_MSR:
		return 1;
	case KVM_CAP_NR_MEMSLOTS:
		return TG_MAX_SLOTS;
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_NR_VCPUS:
		return TG_MAX_VCPUS;
	}
	return 0;
}

static int model_vcpu_create(struct tg_vcpu *v)
{
	struct vcpu *c = aligned_alloc(64, (sizeof *c + 63) & ~(size_t)63);
	if (!c)
		return -ENOMEM;
	int r = tg_cpu_init(c, &v->vm->mem, v->run);
	if (r < 0) {
		free(c);
		return r;
	}
	c->id = v->id;
	c->apic_base = 0xfee00000 | (1u << 11) | (v->id == 0 ? 1u << 8 : 0);
	c->user_msr_exits = v->vm->cap_user_space_msr;
	v->priv = c;
	return 0;
}

static void model_vcpu_destroy(struct tg_vcpu *v)
{
	struct vcpu *c = cpu_of(v);
	if (c) {
		tg_cpu_free(c);
		free(c);
	}
	v->priv = 0;
}

static int model_run(struct tg_vcpu *v)
{
	return tg_cpu_run(cpu_of(v));
}

static int model_get_regs(struct tg_vcpu *v, struct kvm_regs *r)
{
	struct vcpu *c = cpu_of(v);
	const uint64_t *g = c->gpr;
	*r = (struct kvm_regs){
		.rax = g[R_RAX], .rbx = g[R_RBX], .rcx = g[R_RCX], .rdx = g[R_RDX],
		.rsi = g[R_RSI], .rdi = g[R_RDI], .rsp = g[R_RSP], .rbp = g[R_RBP],
		.r8 = g[R_R8], .r9 = g[R_R9], .r10 = g[R_R10], .r11 = g[R_R11],
		.r12 = g[R_R12], .r13 = g[R_R13], .r14 = g[R_R14], .r15 = g[R_R15],
		.rip = c->rip, .rflags = tg_get_rflags(c),
	};
	return 0;
}

static int model_set_regs(struct tg_vcpu *v, const struct kvm_regs *r)
{
	struct vcpu *c = cpu_of(v);
	uint64_t *g = c->gpr;
	g[R_RAX] = r->rax; g[R_RBX] = r->rbx; g[R_RCX] = r->rcx; g[R_RDX] = r->rdx;
	g[R_RSI] = r->rsi; g[R_RDI] = r->rdi; g[R_RSP] = r->rsp; g[R_RBP] = r->rbp;
	g[R_R8] = r->r8; g[R_R9] = r->r9; g[R_R10] = r->r10; g[R_R11] = r->r11;
	g[R_R12] = r->r12; g[R_R13] = r->r13; g[R_R14] = r->r14; g[R_R15] = r->r15;
	c->rip = r->rip;
	/* Reserved bits: bit 1 reads 1, bits 63:22 and 15, 5, 3 read 0. */
	tg_set_rflags(c, (r->rflags & 0x3f7fd5ull) | F_FIXED1);
	/* KVM_SET_REGS drops a pending (not injected) exception [spec 7.6],
	 * and a half-done instruction's I/O is abandoned. */
	if (c->exc.pending && !c->exc.injected)
		c->exc = (struct tg_exception){ 0 };
	c->io_replay = (struct tg_replay){ 0 };
	c->mmio_replay = (struct tg_replay){ 0 };
	c->exit_pending = 0;
	tg_recompute_mode(c);
	return 0;
}

static int model_get_sregs(struct tg_vcpu *v, struct kvm_sregs *s)
{
	struct vcpu *c = cpu_of(v);
	memset(s, 0, sizeof *s);
	s->es = c->seg[S_ES]; s->cs = c->seg[S_CS]; s->ss = c->seg[S_SS];
	s->ds = c->seg[S_DS]; s->fs = c->seg[S_FS]; s->gs = c->seg[S_GS];
	s->tr = c->tr; s->ldt = c->ldt;
	s->gdt = c->gdt; s->idt = c->idt;
	s->cr0 = c->cr0; s->cr2 = c->cr2; s->cr3 = c->cr3; s->cr4 = c->cr4;
	s->cr8 = c->cr8; s->efer = c->efer; s->apic_base = c->apic_base;
	if (c->irq_pending >= 0)
		s->interrupt_bitmap[c->irq_pending / 64] |= 1ull << (c->irq_pending % 64);
	return 0;
}

/* KVM's kvm_is_valid_sregs() and CR checks. */
static bool sregs_valid(const struct kvm_sregs *s)
{
	if ((s->cr0 & CR0_PG) && !(s->cr0 & CR0_PE))
		return false;
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		return false;
	if (s->cr0 >> 32)
		return false;
	if (s->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
		return false;
	if ((s->efer & EFER_LME) && (s->cr0 & CR0_PG)) {
		if (!(s->cr4 & CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> 40)
			return false;
	} else if (s->efer & EFER_LMA) {
		return false;
	}
	/* CR4 bits the model does not offer */
	const uint64_t cr4_ok = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE |
				CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR |
				CR4_OSXMMEXCPT | CR4_UMIP | CR4_FSGSBASE |
				CR4_OSXSAVE | CR4_SMEP;
	if (s->cr4 & ~cr4_ok)
		return false;
	return true;
}

static int model_set_sregs(struct tg_vcpu *v, const struct kvm_sregs *s)
{
	struct vcpu *c = cpu_of(v);
	if (!sregs_valid(s))
		return -EINVAL;
	int irq = -1;
	for (int i = 0; i < 256; i++)
		if (s->interrupt_bitmap[i / 64] & (1ull << (i % 64))) {
			if (irq >= 0)
				return -EINVAL; /* KVM accepts one pending vector */
			irq = i;
		}
	c->seg[S_ES] = s->es; c->seg[S_CS] = s->cs; c->seg[S_SS] = s->ss;
	c->seg[S_DS] = s->ds; c->seg[S_FS] = s->fs; c->seg[S_GS] = s->gs;
	c->tr = s->tr; c->ldt = s->ldt;
	c->gdt = s->gdt; c->idt = s->idt;
	c->cr0 = s->cr0 | CR0_ET; c->cr2 = s->cr2; c->cr3 = s->cr3;
	c->cr4 = s->cr4; c->cr8 = s->cr8 & 0xf; c->efer = s->efer;
	c->apic_base = s->apic_base;
	c->irq_pending = (int16_t)irq;
	tg_tlb_flush(c);
	tg_recompute_mode(c);
	return 0;
}

static int model_get_debugregs(struct tg_vcpu *v, struct kvm_debugregs *d)
{
	struct vcpu *c = cpu_of(v);
	memset(d, 0, sizeof *d);
	memcpy(d->db, c->dr, sizeof d->db);
	d->dr6 = c->dr6;
	d->dr7 = c->dr7;
	return 0;
}

/* [spec 7.4]: flags must be 0, DR6/DR7 upper halves clear; values are
 * stored as given. */
static int model_set_debugregs(struct tg_vcpu *v, const struct kvm_debugregs *d)
{
	struct vcpu *c = cpu_of(v);
	if (d->flags || (d->dr6 >> 32) || (d->dr7 >> 32))
		return -EINVAL;
	memcpy(c->dr, d->db, sizeof c->dr);
	c->dr6 = d->dr6;
	c->dr7 = d->dr7;
	tg_debug_regs_changed(c);
	return 0;
}

static int model_get_msrs(struct tg_vcpu *v, struct kvm_msrs *m)
{
	struct vcpu *c = cpu_of(v);
	uint32_t i;
	for (i = 0; i < m->nmsrs; i++)
		if (tg_msr_read(c, m->entries[i].index, (uint64_t *)&m->entries[i].data))
			break;
	return (int)i;
}

static int model_set_msrs(struct tg_vcpu *v, const struct kvm_msrs *m)
{
	struct vcpu *c = cpu_of(v);
	uint32_t i;
	for (i = 0; i < m->nmsrs; i++)
		if (tg_msr_write(c, m->entries[i].index, m->entries[i].data, true))
			break;
	return (int)i;
}

static int model_enable_cap(struct tg_vm *vm, const struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_EXCEPTION_PAYLOAD:
		vm->cap_exception_payload = cap->args[0] != 0;
		return 0;
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
		vm->cap_triple_fault_event = cap->args[0] != 0;
		return 0;
	case KVM_CAP_X86_USER_SPACE_MSR:
		/* args[0]: the KVM_MSR_EXIT_REASON_* to exit for (msr.c) */
		if (cap->args[0] & ~(uint64_t)(KVM_MSR_EXIT_REASON_INVAL |
					       KVM_MSR_EXIT_REASON_UNKNOWN |
					       KVM_MSR_EXIT_REASON_FILTER))
			return -EINVAL;
		vm->cap_user_space_msr = (uint8_t)cap->args[0];
		for (int i = 0; i < TG_MAX_VCPUS; i++)
			if (vm->vcpus[i])
				cpu_of(vm->vcpus[i])->user_msr_exits = vm->cap_user_space_msr;
		return 0;
	}
	return -EINVAL;
}

/* Without KVM_CAP_EXCEPTION_PAYLOAD, reading the state first delivers a
 * pending exception's payload into DR6/CR2 (commit d0ad1b05bbe6; spec 7.3). */
static void deliver_payload_now(struct vcpu *c)
{
	if (!c->exc.has_payload)
		return;
	if (c->exc.vector == EXC_PF)
		c->cr2 = c->exc.payload;
	else if (c->exc.vector == EXC_DB)
		c->dr6 = tg_dr6_apply_payload(c->dr6, c->exc.payload);
	c->exc.has_payload = false;
	c->exc.payload = 0;
}

static uint8_t shadow_to_kvm(uint8_t s)
{
	return s == SHADOW_MOVSS ? KVM_X86_SHADOW_INT_MOV_SS :
	       s == SHADOW_STI ? KVM_X86_SHADOW_INT_STI : 0;
}

static int model_get_vcpu_events(struct tg_vcpu *v, struct kvm_vcpu_events *e)
{
	struct vcpu *c = cpu_of(v);
	bool payload_cap = v->vm->cap_exception_payload;
	memset(e, 0, sizeof *e);
	if (!payload_cap)
		deliver_payload_now(c);
	if (c->exc.pending || c->exc.injected) {
		e->exception.nr = c->exc.vector;
		e->exception.has_error_code = c->exc.has_error_code;
		e->exception.error_code = c->exc.error_code;
		if (payload_cap) {
			e->exception.pending = c->exc.pending;
			e->exception.injected = c->exc.injected;
			e->exception_has_payload = c->exc.has_payload;
			e->exception_payload = c->exc.payload;
		} else {
			/* the ABI without the capability has no "pending" */
			e->exception.injected = 1;
		}
	}
	if (c->irq_pending >= 0) {
		e->interrupt.injected = 1;
		e->interrupt.nr = (uint8_t)c->irq_pending;
	}
	e->interrupt.shadow = shadow_to_kvm(c->shadow);
	e->nmi.pending = c->nmi_pending;
	e->nmi.masked = c->nmi_masked;
	e->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		   KVM_VCPUEVENT_VALID_SMM;
	if (payload_cap)
		e->flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
	if (v->vm->cap_triple_fault_event) {
		e->flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
		e->triple_fault.pending = c->triple_fault_pending;
	}
	return 0;
}

/* KVM's kvm_vcpu_ioctl_x86_set_vcpu_events() rules [spec 7.3]. */
static int model_set_vcpu_events(struct tg_vcpu *v, const struct kvm_vcpu_events *in)
{
	struct vcpu *c = cpu_of(v);
	struct kvm_vcpu_events e = *in;
	const uint32_t known = KVM_VCPUEVENT_VALID_NMI_PENDING |
			       KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			       KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |
			       KVM_VCPUEVENT_VALID_PAYLOAD |
			       KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	if (e.flags & ~known)
		return -EINVAL;
	if (e.flags & KVM_VCPUEVENT_VALID_PAYLOAD) {
		if (!v->vm->cap_exception_payload)
			return -EINVAL;
		if (e.exception.pending)
			e.exception.injected = 0;
		else
			e.exception_has_payload = 0;
	} else {
		e.exception.pending = 0;
		e.exception_has_payload = 0;
	}
	if ((e.exception.injected || e.exception.pending) &&
	    (e.exception.nr > 31 || e.exception.nr == EXC_NMI))
		return -EINVAL;
	if ((e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) && !v->vm->cap_triple_fault_event)
		return -EINVAL;
	/* The model has no SMM: entering it, or an SMI, cannot be restored. */
	if ((e.flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (e.smi.smm || e.smi.pending || e.smi.smm_inside_nmi || e.smi.latched_init))
		return -EINVAL;

	if (e.exception.injected || e.exception.pending)
		c->exc = (struct tg_exception){
			.pending = e.exception.pending,
			.injected = e.exception.injected,
			.vector = e.exception.nr,
			.has_error_code = e.exception.has_error_code,
			.error_code = e.exception.error_code,
			.has_payload = e.exception_has_payload,
			.payload = e.exception_has_payload ? e.exception_payload : 0,
		};
	else
		c->exc = (struct tg_exception){ 0 };
	c->irq_pending = e.interrupt.injected ? e.interrupt.nr : -1;
	if (e.flags & KVM_VCPUEVENT_VALID_SHADOW) {
		/* Both kinds at once: MOV SS wins (spec 7.3, UNVERIFIED). */
		uint8_t sh = e.interrupt.shadow;
		c->shadow = (sh & KVM_X86_SHADOW_INT_MOV_SS) ? SHADOW_MOVSS :
			    (sh & KVM_X86_SHADOW_INT_STI) ? SHADOW_STI : SHADOW_NONE;
	}
	if (e.flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		c->nmi_pending = e.nmi.pending != 0;
	c->nmi_masked = e.nmi.masked != 0;
	if (e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT)
		c->triple_fault_pending = e.triple_fault.pending != 0;
	tg_recompute_boundary(c);
	return 0;
}

static int model_interrupt(struct tg_vcpu *v, const struct kvm_interrupt *irq)
{
	struct vcpu *c = cpu_of(v);
	if (irq->irq > 255)
		return -EINVAL;
	/* Without an in-kernel irqchip KVM queues the vector, replacing one
	 * not yet taken (kvm_queue_interrupt; measured on this machine's KVM:
	 * a second KVM_INTERRUPT returns 0). -EEXIST belongs to the in-kernel
	 * LAPIC's ExtINT path, which the model does not have. */
	c->irq_pending = (int16_t)irq->irq;
	tg_recompute_boundary(c);
	return 0;
}

static int model_nmi(struct tg_vcpu *v)
{
	struct vcpu *c = cpu_of(v);
	c->nmi_pending = true;
	tg_recompute_boundary(c);
	return 0;
}

static int model_get_debug_state(struct tg_vcpu *v, struct tg_debug_state *st)
{
	struct vcpu *c = cpu_of(v);
	memset(st, 0, sizeof *st);
	st->pending_dbg = c->pending_dbg;
	st->shadow = shadow_to_kvm(c->shadow);
	st->vendor = c->vendor;
	return 0;
}

static int model_set_debug_state(struct tg_vcpu *v, const struct tg_debug_state *st)
{
	struct vcpu *c = cpu_of(v);
	if (st->pending_dbg & ~TG_PENDING_DBG_MASK)
		return -EINVAL;
	if (st->shadow & ~(KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI) ||
	    st->shadow == (KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI))
		return -EINVAL;
	if (st->vendor > TG_VENDOR_AMD || st->pad[0] || st->pad[1])
		return -EINVAL;
	for (unsigned i = 0; i < sizeof st->reserved / sizeof st->reserved[0]; i++)
		if (st->reserved[i])
			return -EINVAL;
	c->pending_dbg = st->pending_dbg;
	c->shadow = st->shadow == KVM_X86_SHADOW_INT_MOV_SS ? SHADOW_MOVSS :
		    st->shadow == KVM_X86_SHADOW_INT_STI ? SHADOW_STI : SHADOW_NONE;
	c->vendor = st->vendor;
	tg_recompute_boundary(c);
	return 0;
}

/* KVM_SET_GUEST_DEBUG [spec 7.1]: INJECT_* first, refused with -EBUSY and
 * no change at all while an exception is pending OR injected (seed 002,
 * kvm-x86 e907b4e72488); without ENABLE every other flag is dropped. */
static int model_set_guest_debug(struct tg_vcpu *v, const struct kvm_guest_debug *g)
{
	struct vcpu *c = cpu_of(v);
	uint32_t inject = g->control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP);
	if (inject) {
		if (c->exc.pending || c->exc.injected)
			return -EBUSY;
		if (inject & KVM_GUESTDBG_INJECT_DB)
			tg_queue_exception(c, EXC_DB, false, 0, false, 0);
		else {
			/* re-injects an intercepted INT3: returns after it */
			tg_queue_exception(c, EXC_BP, false, 0, false, 0);
			c->exc.soft_len = 1;
		}
	}
	if (!(g->control & KVM_GUESTDBG_ENABLE)) {
		c->guest_debug = 0;
	} else {
		c->guest_debug = g->control & ~(KVM_GUESTDBG_INJECT_DB |
						KVM_GUESTDBG_INJECT_BP);
		memcpy(c->host_dr, g->arch.debugreg, sizeof c->host_dr);
		c->host_dr7 = g->arch.debugreg[7];
	}
	tg_debug_regs_changed(c);
	return 0;
}

/* KVM_TRANSLATE: the linear address through the current paging mode, as
 * a supervisor access, with no accessed/dirty side effects. */
static int model_translate(struct tg_vcpu *v, struct kvm_translation *tr)
{
	struct vcpu *c = cpu_of(v);
	uint64_t pa;
	unsigned perm;
	uint64_t lin = tr->linear_address;
	if (!(c->efer & EFER_LMA))
		lin = (uint32_t)lin;
	uint32_t err = tg_walk_probe(c, lin, ACC_R, false, &pa, &perm);
	tr->valid = !err;
	tr->physical_address = err ? 0 : pa;
	tr->writeable = !err && (perm & PERM_W);
	/* usermode: a CPL3 access would be allowed */
	uint64_t upa;
	unsigned uperm;
	tr->usermode = !err && !tg_walk_probe(c, lin, ACC_R, true, &upa, &uperm);
	return 0;
}

static int model_set_trace(struct tg_vcpu *v, tg_trace_fn fn, void *opaque)
{
	struct vcpu *c = cpu_of(v);
	c->trace_fn = (void (*)(void *, const void *))fn;
	c->trace_opaque = opaque;
	tg_recompute_boundary(c);
	return 0;
}

static int model_set_budget(struct tg_vcpu *v, uint64_t insns)
{
	cpu_of(v)->budget = insns;
	return 0;
}

static int model_get_stats(struct tg_vcpu *v, struct tg_vcpu_stats *st)
{
	struct vcpu *c = cpu_of(v);
	st->insns_retired = c->insns_retired;
	st->exceptions = c->exceptions_delivered;
	st->blocks_decoded = c->blocks_decoded;
	return 0;
}

const struct tg_backend_ops tg_model_ops = {
	.name = "model",
	.vm_create = model_vm_create,
	.vm_destroy = model_vm_destroy,
	.check_extension = model_check_extension,
	.vcpu_create = model_vcpu_create,
	.vcpu_destroy = model_vcpu_destroy,
	.run = model_run,
	.get_regs = model_get_regs,
	.set_regs = model_set_regs,
	.get_sregs = model_get_sregs,
	.set_sregs = model_set_sregs,
	.get_debugregs = model_get_debugregs,
	.set_debugregs = model_set_debugregs,
	.get_msrs = model_get_msrs,
	.set_msrs = model_set_msrs,
	.enable_cap = model_enable_cap,
	.get_vcpu_events = model_get_vcpu_events,
	.set_vcpu_events = model_set_vcpu_events,
	.interrupt = model_interrupt,
	.nmi = model_nmi,
	.get_debug_state = model_get_debug_state,
	.set_debug_state = model_set_debug_state,
	.translate = model_translate,
	.set_trace = model_set_trace,
	.set_guest_debug = model_set_guest_debug,
	.set_budget = model_set_budget,
	.get_stats = model_get_stats,
};
