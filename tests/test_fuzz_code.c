/* Garbage guest code never crashes the host, never touches host memory
 * outside the guest's slot, and always ends in an architectural outcome:
 * a guest exception (delivered through the IDT), an exit the VMM can
 * answer, shutdown, or an emulation-failure exit with the bytes. Runs
 * under ASan+UBSan in `make check`. Deterministic seeds. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "test.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Every vector's handler is an IRET-less HLT, so the run stops at the
 * first exception with a recognisable state. */
static void handlers64(struct th *t)
{
	for (int v = 0; v < 256; v++)
		th_gate64(t, v, 0x90000, 14, 3, 0);
	t->mem[0x90000] = 0xf4; /* hlt */
}

static void handlers32(struct th *t)
{
	for (int v = 0; v < 256; v++)
		th_gate32(t, v, 0x90000, 14, 3);
	t->mem[0x90000] = 0xf4;
}

static int run_answering_exits(struct th *t, int max_exits, int *reasons)
{
	for (int k = 0; k < max_exits; k++) {
		int r = th_run(t);
		if (r < 0)
			return r;
		if (r >= 0 && r < 64)
			reasons[r]++;
		switch (r) {
		case KVM_EXIT_IO:
			if (t->run->io.direction == KVM_EXIT_IO_IN)
				memset((uint8_t *)t->run + t->run->io.data_offset, 0xff, 8);
			continue;
		case KVM_EXIT_MMIO:
			/* only addresses outside the slot may exit as MMIO */
			if (t->run->mmio.phys_addr < t->size)
				return -1000;
			if (!t->run->mmio.is_write)
				memset(t->run->mmio.data, 0xff, 8);
			continue;
		case KVM_EXIT_HLT:
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_INTERNAL_ERROR:
			return r;
		default:
			return r == KVM_EXIT_INTR ? r : -2000 - r;
		}
	}
	return 0;
}

TEST(fuzz_random_code_all_modes)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int reasons[64] = { 0 };
	int runs = 0, bad = 0;
	for (int mode = 0; mode < 3; mode++) {
		for (int iter = 0; iter < 400; iter++) {
			struct th t;
			ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 4 << 20), 0);
			uint8_t code[512];
			for (unsigned i = 0; i < sizeof code; i++)
				code[i] = (uint8_t)rng(&seed);
			/* random GPRs so memory operands point anywhere */
			if (mode == 0) {
				th_load(&t, TH_CODE, code, sizeof code);
				th_long_mode(&t, TH_CODE, TH_STACK);
				handlers64(&t);
			} else if (mode == 1) {
				th_load(&t, TH_CODE, code, sizeof code);
				th_prot32(&t, TH_CODE, TH_STACK);
				handlers32(&t);
			} else {
				th_load(&t, 0x7000, code, sizeof code);
				th_real(&t, 0x700, 0);
			}
			struct kvm_regs r = th_regs(&t);
			r.rax = rng(&seed); r.rbx = rng(&seed); r.rcx = rng(&seed) & 0xffff;
			r.rdx = rng(&seed); r.rsi = rng(&seed); r.rdi = rng(&seed);
			r.rbp = rng(&seed);
			tg_vcpu_set_regs(t.vcpu, &r);
			tg_vcpu_set_budget(t.vcpu, 20000);
			int out = run_answering_exits(&t, 64, reasons);
			if (out <= -1000) {
				test_fail(__FILE__, __LINE__, "mode %d iter %d: outcome %d",
					  mode, iter, out);
				bad++;
			}
			runs++;
			th_fini(&t);
		}
	}
	printf("    %d random programs: HLT %d, SHUTDOWN %d, INTERNAL_ERROR %d, "
	       "IO %d, MMIO %d, INTR %d\n", runs, reasons[KVM_EXIT_HLT],
	       reasons[KVM_EXIT_SHUTDOWN], reasons[KVM_EXIT_INTERNAL_ERROR],
	       reasons[KVM_EXIT_IO], reasons[KVM_EXIT_MMIO], reasons[KVM_EXIT_INTR]);
	EXPECT_EQ(bad, 0);
	/* the outcomes must be varied, or the test exercises nothing */
	EXPECT_TRUE(reasons[KVM_EXIT_HLT] > 10);
}
