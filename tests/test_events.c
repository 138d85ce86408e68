/* vCPU events (KVM_GET/SET_VCPU_EVENTS, spec 7.3), KVM_INTERRUPT/KVM_NMI,
 * and the trapgate debug-state extension: state saved at any instruction
 * boundary, including inside a MOV SS shadow, restores exactly. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_dbg_movss_save[], guest_dbg_movss_save_end[];

#define OFF_AFTER_NOP 0x16 /* lea 7, mov dr0 3, mov imm 7, mov dr7 3, mov ss 7? */
#define OFF_HANDLER 0x100
#define OFF_DR6 0x208
#define OFF_RIP 0x210
#define OFF_COUNT 0x218

static void load_movss(struct th *t)
{
	th_load(t, TH_CODE, guest_dbg_movss_save,
		guest_dbg_movss_save_end - guest_dbg_movss_save);
	th_long_mode(t, TH_CODE, TH_STACK);
	th_gate64(t, 1, TH_CODE + OFF_HANDLER, 14, 0, 0);
}


/* RIP of the HLT after the NOP, found from the guest bytes: the NOP (0x90)
 * right before it. */
static uint64_t after_nop(struct th *t)
{
	for (unsigned i = 0; i < OFF_HANDLER; i++)
		if (t->mem[TH_CODE + i] == 0x90 && t->mem[TH_CODE + i + 1] == 0xf4)
			return TH_CODE + i + 1;
	return 0;
}

/* The whole run: one #DB after the NOP with DR6 = 0xFFFF0FF1 (B0 only:
 * no TF) [SDM 6.8.3; spec 4.2]. */
TEST(events_movss_data_breakpoint_held_until_after_nop)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	load_movss(&t);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&t, TH_CODE + OFF_COUNT), 1);
	EXPECT_EQ(th_rd64(&t, TH_CODE + OFF_DR6), 0xffff0ff1);
	EXPECT_EQ(th_rd64(&t, TH_CODE + OFF_RIP), after_nop(&t));
	th_fini(&t);
}

struct saved {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events ev;
	struct tg_debug_state dbg;
};

/* Stopped right after the MOV SS: the held cause (B0 and "enabled
 * breakpoint", active high) and the MOV SS shadow are visible through the
 * extension; a fresh vCPU given the same state delivers the same #DB. */
TEST(events_save_restore_inside_movss_shadow)
{
	struct th a, b;
	ASSERT_EQ(th_init(&a, TG_BACKEND_MODEL, 8 << 20), 0);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
	ASSERT_EQ(tg_vm_enable_cap(a.vm, &cap), 0);
	load_movss(&a);
	ASSERT_EQ(tg_vcpu_set_budget(a.vcpu, 5), 0);
	ASSERT_EQ(tg_vcpu_run(a.vcpu), -EINTR);
	EXPECT_EQ(a.run->exit_reason, KVM_EXIT_INTR);

	struct saved s;
	tg_vcpu_get_regs(a.vcpu, &s.regs);
	tg_vcpu_get_sregs(a.vcpu, &s.sregs);
	tg_vcpu_get_debugregs(a.vcpu, &s.dregs);
	ASSERT_EQ(tg_vcpu_get_vcpu_events(a.vcpu, &s.ev), 0);
	ASSERT_EQ(tg_vcpu_get_debug_state(a.vcpu, &s.dbg), 0);
	EXPECT_EQ(s.dbg.pending_dbg, 0x1001);
	EXPECT_EQ(s.dbg.shadow, KVM_X86_SHADOW_INT_MOV_SS);
	EXPECT_EQ(s.ev.interrupt.shadow, KVM_X86_SHADOW_INT_MOV_SS);
	EXPECT_EQ(s.ev.exception.pending | s.ev.exception.injected, 0);
	EXPECT_EQ(s.regs.rip, after_nop(&a) - 1); /* on the NOP */
	/* DR6 is untouched until delivery [spec 7.5]. */
	EXPECT_EQ(s.dregs.dr6, 0xffff0ff0);

	ASSERT_EQ(th_init(&b, TG_BACKEND_MODEL, 8 << 20), 0);
	ASSERT_EQ(tg_vm_enable_cap(b.vm, &cap), 0);
	memcpy(b.mem, a.mem, 8 << 20);
	ASSERT_EQ(tg_vcpu_set_sregs(b.vcpu, &s.sregs), 0);
	ASSERT_EQ(tg_vcpu_set_regs(b.vcpu, &s.regs), 0);
	ASSERT_EQ(tg_vcpu_set_debugregs(b.vcpu, &s.dregs), 0);
	ASSERT_EQ(tg_vcpu_set_vcpu_events(b.vcpu, &s.ev), 0);
	ASSERT_EQ(tg_vcpu_set_debug_state(b.vcpu, &s.dbg), 0);
	ASSERT_EQ(th_run(&b), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&b, TH_CODE + OFF_COUNT), 1);
	EXPECT_EQ(th_rd64(&b, TH_CODE + OFF_DR6), 0xffff0ff1);
	EXPECT_EQ(th_rd64(&b, TH_CODE + OFF_RIP), after_nop(&b));

	/* Without the extension (KVM's ABI alone) the held cause is lost:
	 * that is the gap spec 4.3 describes, shown here on purpose. */
	struct th k;
	ASSERT_EQ(th_init(&k, TG_BACKEND_MODEL, 8 << 20), 0);
	memcpy(k.mem, a.mem, 8 << 20);
	tg_vcpu_set_sregs(k.vcpu, &s.sregs);
	tg_vcpu_set_regs(k.vcpu, &s.regs);
	tg_vcpu_set_debugregs(k.vcpu, &s.dregs);
	ASSERT_EQ(tg_vm_enable_cap(k.vm, &cap), 0);
	tg_vcpu_set_vcpu_events(k.vcpu, &s.ev);
	ASSERT_EQ(th_run(&k), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&k, TH_CODE + OFF_COUNT), 0);
	th_fini(&k);
	th_fini(&a);
	th_fini(&b);
}

TEST(events_set_validation)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	struct kvm_vcpu_events e = { 0 };
	e.flags = 0x80; /* unknown flag */
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), -EINVAL);
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD; /* capability not enabled */
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), -EINVAL);
	e.flags = 0;
	e.exception.injected = 1;
	e.exception.nr = 2; /* NMI is not an exception */
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), -EINVAL);
	e.exception.nr = 32;
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), -EINVAL);
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), 0);
	struct kvm_vcpu_events g;
	tg_vcpu_get_vcpu_events(t.vcpu, &g);
	EXPECT_EQ(g.exception.injected, 1);
	EXPECT_EQ(g.exception.nr, 13);
	EXPECT_EQ(g.flags & KVM_VCPUEVENT_VALID_PAYLOAD, 0);
	/* without the capability a "pending" exception cannot be set: it is
	 * forced to 0, so only injected ones exist [spec 7.3] */
	memset(&e, 0, sizeof e);
	e.exception.pending = 1;
	e.exception.nr = 13;
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), 0);
	tg_vcpu_get_vcpu_events(t.vcpu, &g);
	EXPECT_EQ(g.exception.injected | g.exception.pending, 0);
	/* SMM cannot be entered on the model */
	memset(&e, 0, sizeof e);
	e.flags = KVM_VCPUEVENT_VALID_SMM;
	e.smi.smm = 1;
	EXPECT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), -EINVAL);
	th_fini(&t);
}

/* With the capability, a pending exception keeps its payload until
 * delivery; without it, reading the state applies the payload first
 * [spec 7.3, 7.5]. Worked example: DR6 0 + payload BS -> 0xFFFF4FF0. */
TEST(events_payload_with_and_without_capability)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
	ASSERT_EQ(tg_vm_enable_cap(t.vm, &cap), 0);
	struct kvm_debugregs d = { .dr6 = 0, .dr7 = 0x400 };
	ASSERT_EQ(tg_vcpu_set_debugregs(t.vcpu, &d), 0);
	struct kvm_vcpu_events e = { 0 };
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	e.exception.pending = 1;
	e.exception.injected = 1; /* forced to 0 because pending is set */
	e.exception.nr = 1;
	e.exception_has_payload = 1;
	e.exception_payload = 0x4000;
	ASSERT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), 0);
	struct kvm_vcpu_events g;
	tg_vcpu_get_vcpu_events(t.vcpu, &g);
	EXPECT_EQ(g.exception.pending, 1);
	EXPECT_EQ(g.exception.injected, 0);
	EXPECT_EQ(g.exception_has_payload, 1);
	EXPECT_EQ(g.exception_payload, 0x4000);
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(d.dr6, 0);
	/* turn the capability off: the next read delivers the payload */
	cap.args[0] = 0;
	ASSERT_EQ(tg_vm_enable_cap(t.vm, &cap), 0);
	tg_vcpu_get_vcpu_events(t.vcpu, &g);
	EXPECT_EQ(g.exception.injected, 1);
	EXPECT_EQ(g.exception_has_payload, 0);
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(d.dr6, 0xffff4ff0);
	th_fini(&t);
}

TEST(events_interrupt_and_nmi_queueing)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	/* KVM without an in-kernel irqchip requeues: the second call also
	 * returns 0 and the last vector is the one pending (measured on this
	 * machine's /dev/kvm; KVM x86.c kvm_vcpu_ioctl_interrupt). */
	struct kvm_interrupt irq = { .irq = 0x20 };
	EXPECT_EQ(tg_vcpu_interrupt(t.vcpu, &irq), 0);
	irq.irq = 0x30;
	EXPECT_EQ(tg_vcpu_interrupt(t.vcpu, &irq), 0);
	irq.irq = 256;
	EXPECT_EQ(tg_vcpu_interrupt(t.vcpu, &irq), -EINVAL);
	EXPECT_EQ(tg_vcpu_nmi(t.vcpu), 0);
	struct kvm_vcpu_events g;
	tg_vcpu_get_vcpu_events(t.vcpu, &g);
	EXPECT_EQ(g.interrupt.injected, 1);
	EXPECT_EQ(g.interrupt.nr, 0x30);
	EXPECT_EQ(g.nmi.pending, 1);
	th_fini(&t);
}

TEST(debug_state_validation)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	struct tg_debug_state s = { 0 };
	s.pending_dbg = 1u << 20;
	EXPECT_EQ(tg_vcpu_set_debug_state(t.vcpu, &s), -EINVAL);
	s.pending_dbg = 0;
	s.shadow = 3;
	EXPECT_EQ(tg_vcpu_set_debug_state(t.vcpu, &s), -EINVAL);
	s.shadow = 0;
	s.vendor = 7;
	EXPECT_EQ(tg_vcpu_set_debug_state(t.vcpu, &s), -EINVAL);
	s.vendor = TG_VENDOR_AMD;
	s.reserved[3] = 1;
	EXPECT_EQ(tg_vcpu_set_debug_state(t.vcpu, &s), -EINVAL);
	s.reserved[3] = 0;
	s.pending_dbg = 0x4000;
	s.shadow = KVM_X86_SHADOW_INT_STI;
	EXPECT_EQ(tg_vcpu_set_debug_state(t.vcpu, &s), 0);
	struct tg_debug_state g;
	tg_vcpu_get_debug_state(t.vcpu, &g);
	EXPECT_EQ(g.pending_dbg, 0x4000);
	EXPECT_EQ(g.shadow, KVM_X86_SHADOW_INT_STI);
	EXPECT_EQ(g.vendor, TG_VENDOR_AMD);
	th_fini(&t);
}

extern const uint8_t guest_gdbg[], guest_gdbg_end[];
extern const uint8_t guest_core_tpr[], guest_core_tpr_end[];

/* request_interrupt_window: the run ends with KVM_EXIT_IRQ_WINDOW_OPEN at
 * the first boundary where an interrupt could be injected: after STI's
 * shadow (STI at 0x30, NOP at 0x31: the window opens before 0x32); the
 * exit reports if_flag and ready_for_interrupt_injection [KVM api.rst]. */
TEST(events_interrupt_window_exit)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_gdbg, guest_gdbg_end - guest_gdbg);
	th_long_mode(&t, TH_CODE + 0x30, TH_STACK);
	t.run->request_interrupt_window = 1;
	ASSERT_EQ(th_run(&t), KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE + 0x32);
	EXPECT_EQ(t.run->if_flag, 1);
	EXPECT_EQ(t.run->ready_for_interrupt_injection, 1);
	t.run->request_interrupt_window = 0;
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(t.run->ready_for_interrupt_injection, 1);
	th_fini(&t);
}

TEST(events_lowering_tpr_exits)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_core_tpr, guest_core_tpr_end - guest_core_tpr);
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_SET_TPR);
	EXPECT_EQ(t.run->cr8, 2);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE + 5 + 4 + 5 + 4);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	struct tg_vcpu_stats st;
	tg_vcpu_get_stats(t.vcpu, &st);
	EXPECT_EQ(st.insns_retired, 5);
	th_fini(&t);
}

extern const uint8_t guest_dbg_vendor[], guest_dbg_vendor_end[];

static int run_vendor(uint8_t vendor, uint64_t out[3])
{
	struct th t;
	int r = th_init(&t, TG_BACKEND_MODEL, 8 << 20);
	if (r < 0)
		return r;
	th_load(&t, TH_CODE, guest_dbg_vendor, guest_dbg_vendor_end - guest_dbg_vendor);
	th_long_mode(&t, TH_CODE, TH_STACK);
	th_gate64(&t, 1, TH_CODE + 0x100, 14, 0, 0);
	struct tg_debug_state s = { .vendor = vendor };
	tg_vcpu_set_debug_state(t.vcpu, &s);
	r = th_run(&t);
	memcpy(out, t.mem + 0x90000, 3 * 8);
	th_fini(&t);
	return r;
}

/* The vendor profile [spec 4.1; KVM kvm_is_code_breakpoint_inhibited]: a
 * code breakpoint on the instruction in a MOV SS shadow is suppressed on
 * Intel (the default) and taken on AMD, as a fault with RIP on it and
 * DR6 = B0. */
TEST(debug_vendor_profile_code_bp_in_movss_shadow)
{
	uint64_t intel[3], amd[3];
	ASSERT_EQ(run_vendor(TG_VENDOR_INTEL, intel), KVM_EXIT_HLT);
	EXPECT_EQ(intel[2], 0);
	ASSERT_EQ(run_vendor(TG_VENDOR_AMD, amd), KVM_EXIT_HLT);
	EXPECT_EQ(amd[2], 1);
	EXPECT_EQ(amd[0], TH_CODE + 0x17); /* target: 7+3+5+3 bytes, then 66 8c d0, 8e d0 */
	EXPECT_EQ(amd[1], 0xffff0ff1);
}
