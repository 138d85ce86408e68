/* The vm API: argument validation and exits, as KVM behaves
 * (Documentation/virt/kvm/api.rst). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_unimpl[], guest_unimpl_end[];

TEST(api_null_arguments_are_errors)
{
	EXPECT_EQ(tg_vm_create(TG_BACKEND_MODEL, NULL), -EINVAL);
	EXPECT_EQ(tg_vm_set_user_memory_region(NULL, NULL), -EINVAL);
	EXPECT_EQ(tg_vcpu_run(NULL), -EINVAL);
	EXPECT_EQ(tg_vcpu_get_regs(NULL, NULL), -EFAULT);
}

TEST(api_memory_region_validation)
{
	struct tg_vm *vm;
	ASSERT_EQ(tg_vm_create(TG_BACKEND_MODEL, &vm), 0);
	void *m = aligned_alloc(4096, 0x4000);
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x2000,
		.userspace_addr = (uintptr_t)m,
	};
	EXPECT_EQ(tg_vm_set_user_memory_region(vm, &r), 0);
	/* overlapping another slot: -EEXIST */
	struct kvm_userspace_memory_region o = r;
	o.slot = 1;
	o.guest_phys_addr = 0x2000;
	EXPECT_EQ(tg_vm_set_user_memory_region(vm, &o), -EEXIST);
	/* unaligned: -EINVAL */
	o.guest_phys_addr = 0x10001;
	EXPECT_EQ(tg_vm_set_user_memory_region(vm, &o), -EINVAL);
	o.guest_phys_addr = 0x10000;
	o.memory_size = 0x800;
	EXPECT_EQ(tg_vm_set_user_memory_region(vm, &o), -EINVAL);
	/* slot number out of range */
	o.memory_size = 0x1000;
	o.slot = 1000;
	EXPECT_EQ(tg_vm_set_user_memory_region(vm, &o), -EINVAL);
	/* unknown flags */
	o.slot = 2;
	o.flags = 0x80;
	EXPECT_EQ(tg_vm_set_user_memory_region(vm, &o), -EINVAL);
	uint32_t v = 0xdeadbeef, back = 0;
	EXPECT_EQ(tg_vm_write_phys(vm, 0x1ffe, &v, 4), 0);
	EXPECT_EQ(tg_vm_read_phys(vm, 0x1ffe, &back, 4), 0);
	EXPECT_EQ(back, 0xdeadbeef);
	EXPECT_EQ(tg_vm_read_phys(vm, 0x2ffe, &back, 4), -EFAULT);
	tg_vm_destroy(vm);
	free(m);
}

TEST(api_vcpu_ids)
{
	struct tg_vm *vm;
	struct tg_vcpu *a, *b;
	ASSERT_EQ(tg_vm_create(TG_BACKEND_MODEL, &vm), 0);
	EXPECT_EQ(tg_vcpu_create(vm, -1, &a), -EINVAL);
	EXPECT_EQ(tg_vcpu_create(vm, 0, &a), 0);
	EXPECT_EQ(tg_vcpu_create(vm, 0, &b), -EEXIST);
	tg_vm_destroy(vm);
}

/* Reset state [SDM 9.1.1 Table 9-1; spec 1.2/1.3 for DR6/DR7]. */
TEST(api_reset_state)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	struct kvm_debugregs d;
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(r.rip, 0xfff0);
	EXPECT_EQ(r.rflags, 2);
	EXPECT_EQ(r.rdx, 0x600);
	EXPECT_EQ(s.cs.selector, 0xf000);
	EXPECT_EQ(s.cs.base, 0xffff0000);
	EXPECT_EQ(s.cr0, 0x60000010);
	EXPECT_EQ(d.dr6, 0xffff0ff0);
	EXPECT_EQ(d.dr7, 0x400);
	th_fini(&t);
}

TEST(api_sregs_validation)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cr0 |= 1u << 31; /* PG without PE */
	EXPECT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), -EINVAL);
	s = th_sregs(&t);
	s.efer = 1u << 10; /* LMA without LME+PG */
	EXPECT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), -EINVAL);
	th_fini(&t);
}

/* [spec 7.4] KVM_SET_DEBUGREGS: flags 0, no bits 63:32 in DR6/DR7. */
TEST(api_debugregs_validation)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	struct kvm_debugregs d = { .dr6 = 0xffff0ff0, .dr7 = 0x400 };
	d.flags = 1;
	EXPECT_EQ(tg_vcpu_set_debugregs(t.vcpu, &d), -EINVAL);
	d.flags = 0;
	d.dr7 = 1ull << 32;
	EXPECT_EQ(tg_vcpu_set_debugregs(t.vcpu, &d), -EINVAL);
	d.dr7 = 0x401;
	d.db[0] = 0x1234;
	EXPECT_EQ(tg_vcpu_set_debugregs(t.vcpu, &d), 0);
	struct kvm_debugregs g;
	tg_vcpu_get_debugregs(t.vcpu, &g);
	EXPECT_EQ(g.db[0], 0x1234);
	EXPECT_EQ(g.dr7, 0x401);
	th_fini(&t);
}

/* An instruction the model does not implement: KVM_EXIT_INTERNAL_ERROR,
 * KVM_INTERNAL_ERROR_EMULATION with the instruction bytes, RIP on it. */
TEST(api_unimplemented_instruction_exit)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_unimpl, guest_unimpl_end - guest_unimpl);
	th_long_mode(&t, TH_CODE, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(t.run->emulation_failure.suberror, KVM_INTERNAL_ERROR_EMULATION);
	EXPECT_EQ(t.run->emulation_failure.insn_size, 2);
	EXPECT_EQ(t.run->emulation_failure.insn_bytes[0], 0xd9); /* fldpi */
	EXPECT_EQ(t.run->emulation_failure.insn_bytes[1], 0xeb);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE);
	th_fini(&t);
}

TEST(api_immediate_exit)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_long_mode(&t, TH_CODE, TH_STACK);
	t.run->immediate_exit = 1;
	EXPECT_EQ(tg_vcpu_run(t.vcpu), -EINTR);
	EXPECT_EQ(t.run->exit_reason, KVM_EXIT_INTR);
	th_fini(&t);
}
