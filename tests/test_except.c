/* Exception delivery (src/cpu/except.c, intr.c): fault frames with error
 * codes and RF, the #DF combining rule and the triple fault
 * [SDM Vol. 3A 6.15, Tables 6-4 and 6-5; spec 6]. Uses the probe guests
 * of test_intr.c (guests/asm/intr_probe64.S, intr_probe32.S). */
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_intr_probe64[], guest_intr_probe64_end[];
extern const uint8_t guest_intr_probe32[], guest_intr_probe32_end[];

#define P(off) (TH_CODE + (off))
#define TBL (TH_CODE + 0x1000) /* handler v at TBL + 4v: hlt; iret */
#define ETBL (TH_CODE + 0x800) /* handler v at ETBL + 8v: hlt; pop; iret */
#define HLT_AT(addr) ((addr) + 1)
#define RF 0x10000u


static int run(struct th *t)
{
	int r = th_run(t);
	if (r == KVM_EXIT_INTERNAL_ERROR)
		printf("    internal error: suberror %u at RIP=0x%llx\n",
		       t->run->internal.suberror, (unsigned long long)th_regs(t).rip);
	return r;
}

static void set_gpr(struct th *t, uint64_t rip, uint64_t rflags,
		    uint64_t rax, uint64_t rcx, uint64_t rbp)
{
	struct kvm_regs r = th_regs(t);
	r.rip = rip;
	r.rflags = rflags;
	r.rax = rax;
	r.rcx = rcx;
	r.rbp = rbp;
	tg_vcpu_set_regs(t->vcpu, &r);
}

static void set_idt_limit(struct th *t, uint16_t limit)
{
	struct kvm_sregs s = th_sregs(t);
	s.idt.limit = limit;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

static uint64_t delivered(struct th *t)
{
	struct tg_vcpu_stats st;
	tg_vcpu_get_stats(t->vcpu, &st);
	return st.exceptions;
}

static bool has_error_code(int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

static int setup64(struct th *t, uint64_t rip)
{
	int r = th_init(t, TG_BACKEND_MODEL, 8 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_intr_probe64,
		guest_intr_probe64_end - guest_intr_probe64);
	th_long_mode(t, rip, TH_STACK);
	for (int v = 0; v < 256; v++)
		th_gate64(t, v, has_error_code(v) ? ETBL + 8 * v : TBL + 4 * v, 14, 0, 0);
	return 0;
}

/* Break gate v: type 0 is not a gate (#GP(v*8+2+EXT) on delivery). */
static void break_gate64(struct th *t, int v)
{
	th_wr64(t, TH_IDT + v * 16, th_rd64(t, TH_IDT + v * 16) & ~(0x1full << 40));
}

/* #DE: a fault, the saved RIP is the DIV, no error code, and the saved
 * RFLAGS has RF=1 [SDM 6.15 Interrupt 0; SDM 17.3.1.1; spec 2.4]. */
TEST(except_de_frame_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x60)), 0);
	set_gpr(&t, P(0x60), 0x246, 1234, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0));
	EXPECT_EQ(r.rsp, TH_STACK - 40);
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x60));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x246 | RF);
	EXPECT_EQ(r.rax, 1234); /* nothing committed */
	EXPECT_EQ(r.rflags, 0x46); /* RF is not set in the live RFLAGS */
	EXPECT_EQ(delivered(&t), 1);
	th_fini(&t);
}

/* #UD (UD2): fault, no error code [SDM 6.15 Interrupt 6]. */
TEST(except_ud_frame_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x30)), 0);
	set_gpr(&t, P(0x30), 0x2, 0, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 6));
	EXPECT_EQ(r.rsp, TH_STACK - 40);
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x30));
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), TH_SEL_CODE64);
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x2 | RF);
	th_fini(&t);
}

/* A non-canonical data address is #GP(0); through RBP (SS-relative) it is
 * #SS(0) [SDM 3.3.7.1, 6.15 Interrupts 12 and 13]. */
TEST(except_noncanonical_gp0_ss0_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	set_gpr(&t, P(0x70), 0x2, 0x8000000000000000ull, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 13));
	EXPECT_EQ(r.rsp, TH_STACK - 48);
	EXPECT_EQ(th_rd64(&t, r.rsp), 0);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x70));
	EXPECT_EQ(th_rd64(&t, r.rsp + 24), 0x2 | RF);
	/* the error-code handler pops it and IRETQ re-executes the MOV */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(ETBL + 8 * 13));
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK - 48);
	EXPECT_EQ(delivered(&t), 2);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x80)), 0);
	set_gpr(&t, P(0x80), 0x2, 0, 0, 0xffff7fff00000000ull);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 12));
	EXPECT_EQ(th_rd64(&t, r.rsp), 0);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x80));
	th_fini(&t);
}

/* Two contributory exceptions make #DF with error code 0, saved RIP on
 * the instruction [SDM Table 6-5; 6.15 Interrupt 8]:
 * - INT to a not-present gate is #NP; the #NP gate is broken: #GP;
 * - a #GP whose own gate is broken: #GP again;
 * - a #GP whose gate is not present: #NP.
 * Only the #DF counts as delivered. */
TEST(except_df_from_contributory_pairs_64)
{
	struct {
		uint64_t probe, rax;
		int gate;     /* gate to break */
		bool absent;  /* ... by clearing P instead of the type */
	} cases[] = {
		{ 0x50, 0, 11, false },
		{ 0x70, 0x8000000000000000ull, 13, false },
		{ 0x70, 0x8000000000000000ull, 13, true },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t, P(cases[i].probe)), 0);
		if (cases[i].probe == 0x50) /* INT 0x41: gate not present */
			th_wr64(&t, TH_IDT + 0x41 * 16,
			     th_rd64(&t, TH_IDT + 0x41 * 16) & ~(1ull << 47));
		if (cases[i].absent)
			th_wr64(&t, TH_IDT + cases[i].gate * 16,
			     th_rd64(&t, TH_IDT + cases[i].gate * 16) & ~(1ull << 47));
		else
			break_gate64(&t, cases[i].gate);
		set_gpr(&t, P(cases[i].probe), 0x202, cases[i].rax, 0, 0);
		ASSERT_EQ(run(&t), KVM_EXIT_HLT);
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 8));
		EXPECT_EQ(r.rsp, TH_STACK - 48);
		EXPECT_EQ(th_rd64(&t, r.rsp), 0);
		EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(cases[i].probe));
		/* #DF is an abort: RF is not forced [SDM 17.3.1.1] */
		EXPECT_EQ(th_rd64(&t, r.rsp + 24), 0x202);
		EXPECT_EQ(delivered(&t), 1);
		th_fini(&t);
	}
}

/* An IDT too short for vector 13: INT 0x30 beyond it is #GP, whose own
 * vector is beyond it too: #DF (vector 8 is inside) [SDM 6.12.1.1,
 * Table 6-5]. */
TEST(except_df_idt_limit_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0xb0)), 0);
	set_idt_limit(&t, 13 * 16 - 1);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 8));
	EXPECT_EQ(th_rd64(&t, r.rsp), 0);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0xb0));
	th_fini(&t);
}

/* A benign first exception is handled serially: #UD whose gate is broken
 * gives #GP(6*8+2+EXT), not #DF [SDM Table 6-5]. */
TEST(except_benign_then_contributory_serial_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x30)), 0);
	break_gate64(&t, 6);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 13));
	EXPECT_EQ(th_rd64(&t, r.rsp), 6 * 8 + 3);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x30));
	th_fini(&t);
}

/* Any exception while delivering #DF is a shutdown: KVM_EXIT_SHUTDOWN,
 * with the faulting instruction's state untouched [SDM 6.15 Interrupt 8;
 * spec 6.3]. Here the IDT limit is 0, and #DF's gate not present. */
TEST(except_triple_fault_shutdown_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x30)), 0);
	set_idt_limit(&t, 0);
	set_gpr(&t, P(0x30), 0x202, 0, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_SHUTDOWN);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, P(0x30));
	EXPECT_EQ(r.rsp, TH_STACK);
	EXPECT_EQ(r.rflags, 0x202);
	EXPECT_EQ(delivered(&t), 0);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	break_gate64(&t, 13);
	th_wr64(&t, TH_IDT + 8 * 16, th_rd64(&t, TH_IDT + 8 * 16) & ~(1ull << 47));
	set_gpr(&t, P(0x70), 0x2, 0x8000000000000000ull, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_SHUTDOWN);
	EXPECT_EQ(th_regs(&t).rip, P(0x70));
	th_fini(&t);
}

/* Pushed RF for events that are not faults [SDM 17.3.1.1; spec 3.9]:
 * INT3 and INT n push RF=0 even when RF was 1 as they began. */
TEST(except_soft_int_pushes_rf0_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x10)), 0);
	set_gpr(&t, P(0x10), 0x2 | RF, 0, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 3));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x2);
	EXPECT_EQ(r.rflags, 0x2);
	th_fini(&t);
}

/* ---- 32-bit ---- */

/* #DF in protected mode pushes a 32-bit error code 0 [SDM 6.15
 * Interrupt 8]; #GP(vector*8+2) frames are 32-bit too. */
TEST(except_df_32)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_intr_probe32,
		guest_intr_probe32_end - guest_intr_probe32);
	th_prot32(&t, P(0x50), TH_STACK);
	for (int v = 0; v < 256; v++)
		th_gate32(&t, v, has_error_code(v) ? ETBL + 8 * v : TBL + 4 * v, 14, 0);
	/* INT 0x41: gate not present; #NP gate not present either */
	th_wr64(&t, TH_IDT + 0x41 * 8, th_rd64(&t, TH_IDT + 0x41 * 8) & ~(1ull << 47));
	th_wr64(&t, TH_IDT + 11 * 8, th_rd64(&t, TH_IDT + 11 * 8) & ~(1ull << 47));
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 8));
	EXPECT_EQ(r.rsp, TH_STACK - 16);
	EXPECT_EQ(th_rd32(&t, r.rsp), 0);
	EXPECT_EQ(th_rd32(&t, r.rsp + 4), P(0x50));
	EXPECT_EQ(th_rd32(&t, r.rsp + 8), TH_SEL_CODE32);
	EXPECT_EQ(th_rd32(&t, r.rsp + 12), 0x2);
	th_fini(&t);
}

/* ---- #DB: the payload reaches DR6 at delivery ---- */

static void set_dr(struct th *t, uint64_t dr6, uint64_t dr7)
{
	struct kvm_debugregs d = { .dr6 = dr6, .dr7 = dr7 };
	tg_vcpu_set_debugregs(t->vcpu, &d);
}

static struct kvm_debugregs get_dr(struct th *t)
{
	struct kvm_debugregs d;
	tg_vcpu_get_debugregs(t->vcpu, &d);
	return d;
}

/* A single-step trap after a MOV: #DB with RIP after it, TF=1 and RF=0 in
 * the saved RFLAGS, TF clear in the handler; DR6 gets BS while B0-B3 are
 * replaced (here: cleared), and DR7.GD is cleared [SDM 17.3.1.4, 17.2.3,
 * 17.2.4; spec 2.4, 7.5: old B0|B1 + payload BS -> 0xFFFF4FF0]. */
TEST(except_db_single_step_dr6_at_delivery_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	set_gpr(&t, P(0x70), 0x102, 0x6000, 0, 0);
	set_dr(&t, 0xffff0ff3, 0x2400);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 1));
	EXPECT_EQ(r.rflags, 0x2);
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x73));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x102);
	EXPECT_EQ(get_dr(&t).dr6, 0xffff4ff0);
	EXPECT_EQ(get_dr(&t).dr7, 0x400);
	th_fini(&t);
}

/* INT n with TF=1: the handler is entered with TF clear and no #DB is
 * reported for the INT itself; the saved RFLAGS keeps TF [SDM 17.3.1.4;
 * spec 3.5]. ICEBP with TF=1: only the ICEBP #DB, no BS in DR6 [spec 3.6]. */
TEST(except_soft_int_with_tf_no_step_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0)), 0);
	set_gpr(&t, P(0), 0x102, 0, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x40));
	EXPECT_EQ(r.rflags, 0x2);
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x102);
	EXPECT_EQ(get_dr(&t).dr6, 0xffff0ff0);
	EXPECT_EQ(delivered(&t), 1);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x20)), 0);
	set_gpr(&t, P(0x20), 0x102, 0, 0, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 1));
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x21));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x102);
	EXPECT_EQ(get_dr(&t).dr6, 0xffff0ff0);
	EXPECT_EQ(delivered(&t), 1);
	th_fini(&t);
}

/* IRETQ loading RF=1 returns to an instruction with a code breakpoint:
 * RF suppresses it for that one instruction, is cleared when it
 * completes, and the breakpoint on the next instruction fires (a fault:
 * saved RIP on it, RF=0 pushed, DR6.B1) [SDM 17.3.1.1, 17.2.3;
 * spec 2.4, 3.9]. */
TEST(except_iretq_rf_suppresses_one_code_breakpoint_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0xe0)), 0);
	uint64_t sp = 0x60000;
	th_wr64(&t, sp, P(0x70));
	th_wr64(&t, sp + 8, TH_SEL_CODE64);
	th_wr64(&t, sp + 16, 0x2 | RF);
	th_wr64(&t, sp + 24, 0x50000);
	th_wr64(&t, sp + 32, TH_SEL_DATA);
	set_gpr(&t, P(0xe0), 0x2, 0x6000, 0, 0);
	struct kvm_regs r = th_regs(&t);
	r.rsp = sp;
	tg_vcpu_set_regs(t.vcpu, &r);
	struct kvm_debugregs d = { .db = { P(0x70), P(0x73) }, .dr6 = 0xffff0ff0,
				   .dr7 = 0x405 }; /* L0, L1: execute */
	ASSERT_EQ(tg_vcpu_set_debugregs(t.vcpu, &d), 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 1));
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x73));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x2);
	EXPECT_EQ(th_rd64(&t, r.rsp + 24), 0x50000);
	EXPECT_EQ(get_dr(&t).dr6, 0xffff0ff2);
	th_fini(&t);
}
