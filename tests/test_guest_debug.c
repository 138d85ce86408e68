/* KVM_SET_GUEST_DEBUG on the model, with KVM's semantics [spec 7.1-7.2;
 * Linux selftests x86/debug_regs.c for the exit values]. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_gdbg[], guest_gdbg_end[];
#define A(off) (TH_CODE + (off))
#define RESULT A(0x210)

static int setup(struct th *t, uint64_t rip)
{
	int r = th_init(t, TG_BACKEND_MODEL, 8 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_gdbg, guest_gdbg_end - guest_gdbg);
	th_long_mode(t, rip, TH_STACK);
	th_gate64(t, 3, A(0x100), 14, 0, 0);
	th_gate64(t, 1, A(0x140), 14, 0, 0);
	th_gate64(t, 0x30, A(0x180), 14, 0, 0);
	return 0;
}


static int set_dbg(struct th *t, uint32_t control, const uint64_t dr[8])
{
	struct kvm_guest_debug g = { .control = control };
	if (dr)
		memcpy(g.arch.debugreg, dr, sizeof g.arch.debugreg);
	return tg_vcpu_set_guest_debug(t->vcpu, &g);
}

/* Each step exits with exception 1, pc = the next instruction's linear
 * address and dr6 = 0xFFFF4FF0; TF never shows in the guest's RFLAGS. */
TEST(guest_debug_singlestep)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0)), 0);
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0), 0);
	static const uint64_t pcs[] = { 0x05, 0x06, 0x07, 0x08, 0x0d };
	for (unsigned i = 0; i < sizeof pcs / sizeof pcs[0]; i++) {
		ASSERT_EQ(th_run(&t), KVM_EXIT_DEBUG);
		EXPECT_EQ(t.run->debug.arch.exception, 1);
		EXPECT_EQ(t.run->debug.arch.pc, A(pcs[i]));
		EXPECT_EQ(t.run->debug.arch.dr6, 0xffff4ff0);
		EXPECT_EQ(th_regs(&t).rflags & 0x100, 0);
	}
	EXPECT_EQ(th_regs(&t).rax, 1);
	th_fini(&t);
}

/* USE_SW_BP: INT3 exits with exception 3 and pc = the INT3, not executed.
 * The VMM re-injects it with INJECT_BP: the guest's #BP handler sees the
 * return address after the INT3. */
TEST(guest_debug_sw_bp_and_inject_bp)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0)), 0);
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, 0), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_DEBUG);
	EXPECT_EQ(t.run->debug.arch.exception, 3);
	EXPECT_EQ(t.run->debug.arch.pc, A(0x10));
	EXPECT_EQ(th_regs(&t).rip, A(0x10));
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_INJECT_BP, 0), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&t, RESULT), 3);
	EXPECT_EQ(th_rd64(&t, RESULT + 8), A(0x11));
	th_fini(&t);
}

/* USE_HW_BP, execute: exit at the instruction, dr6 = B0 | 0xFFFF0FF0, the
 * guest's own DRs unchanged; resuming with RF=1 passes it. */
TEST(guest_debug_hw_bp_execute_and_rf_resume)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0)), 0);
	uint64_t dr[8] = { A(0x08), 0, 0, 0, 0, 0, 0, 0x400 | 0x2 };
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_DEBUG);
	EXPECT_EQ(t.run->debug.arch.exception, 1);
	EXPECT_EQ(t.run->debug.arch.pc, A(0x08));
	EXPECT_EQ(t.run->debug.arch.dr6, 0xffff0ff1);
	EXPECT_EQ(t.run->debug.arch.dr7, 0x402);
	struct kvm_debugregs g;
	tg_vcpu_get_debugregs(t.vcpu, &g);
	EXPECT_EQ(g.db[0], 0);
	EXPECT_EQ(g.dr6, 0xffff0ff0);
	EXPECT_EQ(g.dr7, 0x400);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, A(0x08));
	r.rflags |= 1u << 16; /* RF */
	tg_vcpu_set_regs(t.vcpu, &r);
	/* next stop: the INT3 (no SW_BP: the guest's #BP handler runs) */
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rbx, 2);
	EXPECT_EQ(th_rd64(&t, RESULT), 3);
	th_fini(&t);
}

/* USE_HW_BP, data write: exit after the write, pc = the next instruction. */
TEST(guest_debug_hw_bp_write)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0x18)), 0);
	uint64_t dr[8] = { A(0x200), 0, 0, 0, 0, 0, 0, 0x400 | 0x2 | (1u << 16) | (3u << 18) };
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_DEBUG);
	EXPECT_EQ(t.run->debug.arch.exception, 1);
	EXPECT_EQ(t.run->debug.arch.pc, A(0x22));
	EXPECT_EQ(t.run->debug.arch.dr6, 0xffff0ff1);
	EXPECT_EQ(th_rd64(&t, A(0x200)), 0x1234);
	th_fini(&t);
}

/* DR7.GD in the host's debugreg[7]: MOV DR exits with dr6 = 0xFFFF2FF0 and
 * pc = the MOV; the guest's DR6 stays as it was [spec 5.1, seed 004]. */
TEST(guest_debug_general_detect_exit)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0x28)), 0);
	uint64_t dr[8] = { 0, 0, 0, 0, 0, 0, 0, 0x400 | 0x2000 };
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_DEBUG);
	EXPECT_EQ(t.run->debug.arch.exception, 1);
	EXPECT_EQ(t.run->debug.arch.pc, A(0x28));
	EXPECT_EQ(t.run->debug.arch.dr6, 0xffff2ff0);
	struct kvm_debugregs g;
	tg_vcpu_get_debugregs(t.vcpu, &g);
	EXPECT_EQ(g.dr6, 0xffff0ff0);
	th_fini(&t);
}

/* INJECT_DB with nothing in flight: the guest's #DB handler runs at the
 * current RIP with DR6 untouched (no payload). With an exception pending
 * or injected: -EBUSY and nothing changes [seed 002; spec 6.5]. */
TEST(guest_debug_inject_db_and_ebusy)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0)), 0);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
	ASSERT_EQ(tg_vm_enable_cap(t.vm, &cap), 0);

	/* (a) injected #DF with error code 0 */
	struct kvm_vcpu_events e = { 0 }, before, after;
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	e.exception.injected = 1;
	e.exception.nr = 8;
	e.exception.has_error_code = 1;
	ASSERT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), 0);
	tg_vcpu_get_vcpu_events(t.vcpu, &before);
	struct kvm_debugregs d0, d1;
	tg_vcpu_get_debugregs(t.vcpu, &d0);
	EXPECT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_DB, 0), -EBUSY);
	EXPECT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP, 0), -EBUSY);
	tg_vcpu_get_vcpu_events(t.vcpu, &after);
	tg_vcpu_get_debugregs(t.vcpu, &d1);
	EXPECT_EQ(memcmp(&before, &after, sizeof before), 0);
	EXPECT_EQ(memcmp(&d0, &d1, sizeof d0), 0);
	/* (c) pending #GP */
	memset(&e, 0, sizeof e);
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	e.exception.pending = 1;
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	ASSERT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), 0);
	EXPECT_EQ(set_dbg(&t, KVM_GUESTDBG_INJECT_DB, 0), -EBUSY);
	/* nothing in flight: accepted, the guest's #DB handler runs */
	memset(&e, 0, sizeof e);
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ASSERT_EQ(tg_vcpu_set_vcpu_events(t.vcpu, &e), 0);
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_INJECT_DB, 0), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&t, RESULT), 1);
	EXPECT_EQ(th_rd64(&t, RESULT + 8), A(0));
	EXPECT_EQ(th_rd64(&t, RESULT + 16), 0xffff0ff0);
	th_fini(&t);
}

/* BLOCKIRQ: a queued interrupt is not injected while set, then is. */
TEST(guest_debug_blockirq)
{
	struct th t;
	ASSERT_EQ(setup(&t, A(0x30)), 0);
	struct kvm_interrupt irq = { .irq = 0x30 };
	ASSERT_EQ(tg_vcpu_interrupt(t.vcpu, &irq), 0);
	ASSERT_EQ(set_dbg(&t, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_BLOCKIRQ, 0), 0);
	/* STI; NOP; NOP; ... HLT: the interrupt would arrive after the NOP */
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&t, RESULT), 0);
	EXPECT_EQ(th_regs(&t).rip, A(0x39));
	ASSERT_EQ(set_dbg(&t, 0, 0), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&t, RESULT), 0x30);
	EXPECT_EQ(th_rd64(&t, RESULT + 8), A(0x39));
	th_fini(&t);
}
