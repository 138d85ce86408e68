/* The /dev/kvm backend through the same API as the model. Prints a SKIP
 * line with the reason where /dev/kvm is missing or refuses. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_backend_smoke[], guest_backend_smoke_end[];

static bool kvm_or_skip(struct th *t)
{
	int r = th_init(t, TG_BACKEND_KVM, 8 << 20);
	if (r < 0) {
		char why[300];
		snprintf(why, sizeof why, "/dev/kvm unavailable: %s", tg_last_error());
		test_skip(why);
		return false;
	}
	return true;
}

/* An OUT exits with port, size, direction and data at data_offset; the
 * run resumes after it; HLT exits with RIP after the HLT [KVM API]. */
TEST(kvm_backend_io_and_hlt)
{
	struct th t;
	if (!kvm_or_skip(&t))
		return;
	EXPECT_TRUE(tg_vm_check_extension(t.vm, KVM_CAP_SET_GUEST_DEBUG) > 0);
	size_t n = guest_backend_smoke_end - guest_backend_smoke;
	th_load(&t, TH_CODE, guest_backend_smoke, n);
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_IO);
	EXPECT_EQ(t.run->io.port, 0x10);
	EXPECT_EQ(t.run->io.size, 1);
	EXPECT_EQ(t.run->io.direction, KVM_EXIT_IO_OUT);
	EXPECT_EQ(t.run->io.count, 1);
	EXPECT_EQ(((uint8_t *)t.run)[t.run->io.data_offset], 0x5a);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rax, 0x5a + 0x1234);
	EXPECT_EQ(r.rip, TH_CODE + n);
	th_fini(&t);
}

TEST(kvm_backend_budget_is_model_only)
{
	struct th t;
	if (!kvm_or_skip(&t))
		return;
	EXPECT_EQ(tg_vcpu_set_budget(t.vcpu, 100), -EINVAL);
	EXPECT_EQ(tg_vcpu_set_budget(t.vcpu, 0), 0);
	th_fini(&t);
}
