/* The run loop and decoded-block cache: CS limit per instruction, self-
 * modifying code, code rewritten by the VMM between runs, exact budgets. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_core_cslimit[], guest_core_cslimit_end[];
extern const uint8_t guest_core_smc[], guest_core_smc_end[];
extern const uint8_t guest_backend_smoke[], guest_backend_smoke_end[];


/* The MOV that ends past the CS limit faults with #GP(0), EIP on it; the
 * instructions before it in the same decoded block ran [SDM 6.3]. */
TEST(core_cs_limit_checks_every_instruction_byte)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_core_cslimit, guest_core_cslimit_end - guest_core_cslimit);
	th_prot32(&t, TH_CODE, TH_STACK);
	th_gate32(&t, 13, TH_CODE + 0x40, 14, 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cs.limit = TH_CODE + 0x10;
	s.cs.g = 0;
	ASSERT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), 0);
	/* the handler runs through a CS reloaded from the GDT (4 GiB) */
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0x11111111);
	EXPECT_EQ(r.rcx, 0);
	EXPECT_EQ(th_rd32(&t, 0x80000), 0);            /* error code */
	EXPECT_EQ(th_rd32(&t, 0x80004), TH_CODE + 0xd); /* faulting EIP */
	th_fini(&t);
}

/* A store into the next instruction of the running block: the new bytes
 * execute. A store elsewhere on the code page decodes nothing again. */
TEST(core_self_modifying_code_and_data_beside_code)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_core_smc, guest_core_smc_end - guest_core_smc);
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rax, 0x99999999);
	EXPECT_EQ(th_rd32(&t, TH_CODE + 0x800), 0x5a5a5a5a);
	struct tg_vcpu_stats st;
	tg_vcpu_get_stats(t.vcpu, &st);
	/* block at 0, invalidated by the patch; block at the patched MOV */
	EXPECT_EQ(st.blocks_decoded, 2);
	EXPECT_EQ(st.insns_retired, 4);
	th_fini(&t);
}

/* The VMM rewrites guest code through its own mapping between two runs
 * (as a loader or debugger does): the next run executes the new bytes. */
TEST(core_code_rewritten_by_vmm_between_runs)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	size_t n = guest_backend_smoke_end - guest_backend_smoke;
	th_load(&t, TH_CODE, guest_backend_smoke, n);
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_IO);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax, 0x5a + 0x1234);
	/* same code, but `mov $0x5a, %eax` now loads 0x66 */
	th_load(&t, TH_CODE, guest_backend_smoke, n);
	t.mem[TH_CODE + 1] = 0x66;
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_IO);
	EXPECT_EQ(((uint8_t *)t.run)[t.run->io.data_offset], 0x66);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax, 0x66 + 0x1234);
	th_fini(&t);
}

/* A budget of N retires exactly N instructions, then KVM_EXIT_INTR with
 * RIP on the next one; resuming continues exactly there. */
TEST(core_budget_is_exact)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_backend_smoke, guest_backend_smoke_end - guest_backend_smoke);
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(tg_vcpu_set_budget(t.vcpu, 2), 0);
	EXPECT_EQ(tg_vcpu_run(t.vcpu), -EINTR);
	EXPECT_EQ(t.run->exit_reason, KVM_EXIT_INTR);
	struct tg_vcpu_stats st;
	tg_vcpu_get_stats(t.vcpu, &st);
	EXPECT_EQ(st.insns_retired, 2);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE + 10); /* mov 5 + mov 5 */
	EXPECT_EQ(th_regs(&t).rbx, 0x1234);
	ASSERT_EQ(th_run(&t), KVM_EXIT_IO);      /* the OUT, third */
	ASSERT_EQ(tg_vcpu_set_budget(t.vcpu, 0), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	tg_vcpu_get_stats(t.vcpu, &st);
	EXPECT_EQ(st.insns_retired, 5); /* mov mov out add hlt: HLT completes, RIP after it */
	th_fini(&t);
}

extern const uint8_t guest_core_sse_ud[], guest_core_sse_ud_end[];

TEST(core_sse_and_mmx_are_ud_without_cpuid_support)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_core_sse_ud, guest_core_sse_ud_end - guest_core_sse_ud);
	th_long_mode(&t, TH_CODE, TH_STACK);
	th_gate64(&t, 6, TH_CODE + 0x40, 14, 0, 0);
	struct kvm_regs r = th_regs(&t);
	r.rdi = 0x90000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	uint64_t rips[3];
	memcpy(rips, t.mem + 0x90000, sizeof rips);
	EXPECT_EQ(rips[0], TH_CODE);
	EXPECT_EQ(rips[1], TH_CODE + 5);
	EXPECT_EQ(rips[2], TH_CODE + 9);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE + 13);
	th_fini(&t);
}

extern const uint8_t guest_core_loop[], guest_core_loop_end[];

/* Budgets stay exact inside a block that restarts itself: after 1 + 3k
 * instructions, k passes of the loop are done and RIP is back on ADD. */
TEST(core_budget_exact_in_tight_loop)
{
	static const uint64_t budgets[] = { 1, 2, 3, 4, 31, 32, 100, 1501, 2998 };
	for (unsigned i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
		struct th t;
		ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
		th_load(&t, TH_CODE, guest_core_loop, guest_core_loop_end - guest_core_loop);
		th_long_mode(&t, TH_CODE, TH_STACK);
		ASSERT_EQ(tg_vcpu_set_budget(t.vcpu, budgets[i]), 0);
		EXPECT_EQ(tg_vcpu_run(t.vcpu), -EINTR);
		struct tg_vcpu_stats st;
		tg_vcpu_get_stats(t.vcpu, &st);
		EXPECT_EQ(st.insns_retired, budgets[i]);
		uint64_t passes = (budgets[i] - 1) / 3, rest = (budgets[i] - 1) % 3;
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rcx, 1000 - passes - (rest >= 2));
		EXPECT_EQ(r.rip, TH_CODE + 5 + (rest == 1 ? 2 : rest == 2 ? 4 : 0));
		/* and the rest of the run completes the sum 1000+999+...+1 */
		ASSERT_EQ(tg_vcpu_set_budget(t.vcpu, 0), 0);
		ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
		EXPECT_EQ(th_regs(&t).rax, 500500);
		tg_vcpu_get_stats(t.vcpu, &st);
		EXPECT_EQ(st.insns_retired, 1 + 3 * 1000 + 1);
		th_fini(&t);
	}
}
