/* System instructions (src/cpu/system.c, io.c, cpuid.c, msr.c): PUSHF/POPF
 * and CLI/STI privilege rules, HLT, port I/O exits and the TSS permission
 * bit map, CPUID, RDMSR/WRMSR, RDTSC(P), SWAPGS, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT, BOUND, ARPL. Expected values come from the SDM
 * sections cited at each test. */
#include <errno.h>

#include "test_sys.h"

/* Run a snippet; expect it to end in a stub (exception) and return the
 * record. */
static struct rec run_to_stub(struct th *t)
{
	int e = run_print(t);
	if (e != KVM_EXIT_HLT)
		printf("    exit reason %d\n", e);
	return rec_read(t);
}

/* ---- POPF / CLI / STI ---- */

/* A POPF image trying to change every flag: arithmetic, DF, NT, IOPL=3,
 * AC, ID, VIF, VIP, VM, RF, and IF clear. */
#define POPF_ALL 0x3f7cd5ull

/* [SDM Vol. 2 POPF, Operation]: at CPL>0 IOPL is kept; IF only changes
 * when CPL <= IOPL; VIP, VIF, VM are never loaded and RF is cleared. At
 * CPL0 everything but VIP, VIF, VM, RF loads. */
TEST(sys_popf_privilege_rules)
{
	struct k {
		bool user;
		uint64_t before, expect;
		int line;
	} ks[] = {
		/* CPL3, IOPL0: IF (1) and IOPL (0) kept */
		{ true, 0x202, 0x244cd5 | 0x202, __LINE__ },
		/* CPL3, IOPL3: IF cleared, IOPL 3 kept (not "loaded") */
		{ true, 0x3202, 0x244cd5 | 0x3002, __LINE__ },
		/* CPL0: IOPL loaded (3), IF cleared */
		{ false, 0x202, 0x247cd5 | 0x2, __LINE__ },
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		if (ks[i].user)
			go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(22);
		r.rbx = POPF_ALL;
		r.rflags = ks[i].before;
		tg_vcpu_set_regs(t.vcpu, &r);
		struct rec x = run_to_stub(&t);
		r = th_regs(&t);
		if (x.vec != 6 || r.rcx != ks[i].expect)
			test_fail(__FILE__, ks[i].line, "vec %llu, image 0x%llx, expected 0x%llx",
				  (unsigned long long)x.vec, (unsigned long long)r.rcx,
				  (unsigned long long)ks[i].expect);
		th_fini(&t);
	}
}

/* 32-bit POPF at CPL3 with IOPL 0 in protected mode: same rule. */
TEST(sys_popf_32_cpl3)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	go_user(&t, false);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(10);
	r.rsp = 0x60000;
	r.rbx = POPF_ALL;
	r.rflags = 0x202;
	tg_vcpu_set_regs(t.vcpu, &r);
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(th_regs(&t).rcx, 0x244cd5 | 0x202);
	th_fini(&t);
}

/* CLI/STI at CPL3: #GP(0) when CPL > IOPL (CR4.PVI clear); with IOPL 3
 * they change IF [SDM Vol. 2 CLI, STI]. */
TEST(sys_cli_sti_iopl)
{
	for (int k = 0; k < 4; k++) {
		const bool sti = k & 1, iopl3 = k & 2;
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(sti ? 24 : 23);
		r.rflags = (iopl3 ? 0x3000 : 0) | (sti ? 0 : 0x200) | 2;
		tg_vcpu_set_regs(t.vcpu, &r);
		struct rec x = run_to_stub(&t);
		if (!iopl3) {
			EXPECT_EQ(x.vec, 13);
			EXPECT_EQ(x.err, 0);
			EXPECT_EQ(x.rip, SNIP(sti ? 24 : 23));
			EXPECT_EQ(x.rflags & 0x200, sti ? 0 : 0x200);
		} else {
			EXPECT_EQ(x.vec, 6); /* the UD2 after it */
			EXPECT_EQ(x.rip, SNIP(sti ? 24 : 23) + 1);
			EXPECT_EQ(x.rflags & 0x200, sti ? 0x200 : 0);
		}
		th_fini(&t);
	}
}

/* ---- HLT ---- */

/* HLT at CPL0 exits with KVM_EXIT_HLT and RIP after the HLT, the HLT
 * counted as retired (KVM without an in-kernel irqchip); at CPL3 it is
 * #GP(0) [SDM Vol. 2 HLT]. */
TEST(sys_hlt_exit_and_cpl3)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	set_rip(&t, SNIP(27));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, SNIP(27) + 1);
	struct tg_vcpu_stats st;
	ASSERT_EQ(tg_vcpu_get_stats(t.vcpu, &st), 0);
	EXPECT_EQ(st.insns_retired, 1);
	EXPECT_EQ(rec_read(&t).vec, ~0ull);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	set_rip(&t, SNIP(27));
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(27));
	th_fini(&t);
}

/* HLT with TF=1: the single-step #DB after the HLT (RIP = HLT + 1) is the
 * wake event; the vCPU does not report a halt first [spec 3.7, KUT
 * singlestep_with_sti_hlt]. */
TEST(sys_hlt_single_step_wakes)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(27);
	r.rflags = 0x102;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT); /* the stub's HLT */
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 1);
	EXPECT_EQ(x.rip, SNIP(27) + 1);
	EXPECT_EQ(x.rflags & 0x100, 0x100);
	struct kvm_debugregs d;
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(d.dr6, 0xffff4ff0);
	th_fini(&t);
}

/* ---- port I/O ---- */

static uint8_t *io_data(struct th *t)
{
	return (uint8_t *)t->run + t->run->io.data_offset;
}

/* KVM_EXIT_IO for IN: direction, size, port, count 1, data in the run
 * page at io.data_offset; the value the VMM stores there lands in AL/AX
 * (merged) or EAX (zero-extended into RAX) on the next KVM_RUN
 * [SDM Vol. 2 IN; KVM api.rst KVM_EXIT_IO]. */
TEST(sys_in_exit_and_completion)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(25);
	r.rax = 0x1122334455667788ull;
	r.rdx = 0x3f8;
	tg_vcpu_set_regs(t.vcpu, &r);

	ASSERT_EQ(run_print(&t), KVM_EXIT_IO);
	EXPECT_EQ(t.run->io.direction, KVM_EXIT_IO_IN);
	EXPECT_EQ(t.run->io.size, 1);
	EXPECT_EQ(t.run->io.port, 0x71);
	EXPECT_EQ(t.run->io.count, 1);
	EXPECT_EQ(t.run->io.data_offset, 4096);
	EXPECT_EQ(th_regs(&t).rip, SNIP(25)); /* not completed yet */
	io_data(&t)[0] = 0xab;

	ASSERT_EQ(run_print(&t), KVM_EXIT_IO);
	EXPECT_EQ(th_regs(&t).rax, 0x11223344556677abull);
	EXPECT_EQ(th_regs(&t).rip, SNIP(25) + 2);
	EXPECT_EQ(t.run->io.size, 2);
	EXPECT_EQ(t.run->io.port, 0x3f8);
	io_data(&t)[0] = 0xef;
	io_data(&t)[1] = 0xbe;

	ASSERT_EQ(run_print(&t), KVM_EXIT_IO);
	EXPECT_EQ(th_regs(&t).rax, 0x112233445566beefull);
	EXPECT_EQ(t.run->io.size, 4);
	uint32_t v = 0xcafebabe;
	memcpy(io_data(&t), &v, 4);

	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(th_regs(&t).rax, 0xcafebabeull);
	th_fini(&t);
}

/* OUT: the data the VMM sees, by size [SDM Vol. 2 OUT]. */
TEST(sys_out_exit_data)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(26);
	r.rax = 0x1122334455667788ull;
	r.rdx = 0x1234;
	tg_vcpu_set_regs(t.vcpu, &r);
	const struct { unsigned size, port; uint32_t data; } e[] = {
		{ 1, 0x80, 0x88 }, { 2, 0x1234, 0x7788 }, { 4, 0x1234, 0x55667788 },
	};
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(run_print(&t), KVM_EXIT_IO);
		EXPECT_EQ(t.run->io.direction, KVM_EXIT_IO_OUT);
		EXPECT_EQ(t.run->io.size, e[i].size);
		EXPECT_EQ(t.run->io.port, e[i].port);
		EXPECT_EQ(t.run->io.count, 1);
		uint32_t v = 0;
		memcpy(&v, io_data(&t), e[i].size);
		EXPECT_EQ(v, e[i].data);
	}
	EXPECT_EQ(run_to_stub(&t).vec, 6);
	EXPECT_EQ(th_regs(&t).rax, 0x1122334455667788ull);
	th_fini(&t);
}

/* The TSS I/O permission bit map at CPL3 with IOPL 0 [SDM Vol. 1 19.5.2]:
 * the map at TSS+0x68 covers ports 0..0x3ff, followed by one 0xff byte;
 * the TSS limit includes that byte. */
#define IOMAP 0x68
static void setup_iomap(struct th *t, uint32_t limit, uint16_t base)
{
	memset(t->mem + TH_TSS + IOMAP, 0, 0x81);
	t->mem[TH_TSS + IOMAP + 0x80] = 0xff;
	memcpy(t->mem + TH_TSS + 0x66, &base, 2);
	struct kvm_sregs s = th_sregs(t);
	s.tr.limit = limit;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

TEST(sys_io_permission_bitmap)
{
	struct k {
		unsigned snip;     /* 25: IN AL,71h ; +2: IN AX,DX ; 26+2: OUT DX,AX */
		unsigned off;
		uint16_t dx;
		unsigned iopl;
		int set_bit;       /* port whose bit is set, or -1 */
		uint32_t limit;
		uint16_t base;
		bool allowed;
		int line;
	} ks[] = {
		{ 25, 0, 0, 0, -1, IOMAP + 0x80, IOMAP, true, __LINE__ },
		{ 25, 0, 0, 0, 0x71, IOMAP + 0x80, IOMAP, false, __LINE__ },
		{ 25, 0, 0, 0, 0x70, IOMAP + 0x80, IOMAP, true, __LINE__ },
		/* IOPL 3 >= CPL: no map check */
		{ 25, 0, 0, 3, 0x71, IOMAP + 0x80, IOMAP, true, __LINE__ },
		/* 16-bit access: both bits must be clear */
		{ 25, 2, 0x3f8, 0, 0x3f9, IOMAP + 0x80, IOMAP, false, __LINE__ },
		{ 25, 2, 0x3f7, 0, 0x3f9, IOMAP + 0x80, IOMAP, true, __LINE__ },
		/* port 0x3ff: the second bit is in the all-ones byte */
		{ 25, 2, 0x3ff, 0, -1, IOMAP + 0x80, IOMAP, false, __LINE__ },
		/* beyond the TSS limit: both bytes must be inside */
		{ 25, 2, 0x3f0, 0, -1, IOMAP + 0x7e, IOMAP, false, __LINE__ },
		{ 25, 2, 0x3e0, 0, -1, IOMAP + 0x7e, IOMAP, true, __LINE__ },
		{ 25, 2, 0x800, 0, -1, IOMAP + 0x80, IOMAP, false, __LINE__ },
		/* map base beyond the limit: no map, every port faults */
		{ 25, 0, 0, 0, -1, IOMAP + 0x80, 0xffff, false, __LINE__ },
		/* OUT DX, AX checked the same way */
		{ 26, 2, 0x10, 0, 0x11, IOMAP + 0x80, IOMAP, false, __LINE__ },
		{ 26, 2, 0x10, 0, -1, IOMAP + 0x80, IOMAP, true, __LINE__ },
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		setup_iomap(&t, ks[i].limit, ks[i].base);
		if (ks[i].set_bit >= 0)
			t.mem[TH_TSS + IOMAP + ks[i].set_bit / 8] |= 1u << (ks[i].set_bit % 8);
		go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(ks[i].snip) + ks[i].off;
		r.rdx = ks[i].dx;
		r.rflags = 2 | (ks[i].iopl << 12);
		tg_vcpu_set_regs(t.vcpu, &r);
		int e = run_print(&t);
		struct rec x = rec_read(&t);
		bool ok = ks[i].allowed ? e == KVM_EXIT_IO && x.vec == ~0ull
					: e == KVM_EXIT_HLT && x.vec == 13 && x.err == 0 &&
					  x.rip == r.rip;
		if (!ok)
			test_fail(__FILE__, ks[i].line, "exit %d vec %llu rip 0x%llx", e,
				  (unsigned long long)x.vec, (unsigned long long)x.rip);
		th_fini(&t);
	}
}

/* REP INSB: one KVM_EXIT_IO per byte; RCX and RDI are committed after
 * every iteration, so each exit shows the progress so far
 * [SDM Vol. 2 INS, REP]. */
TEST(sys_rep_insb_exits_per_iteration)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(36);
	r.rcx = 3;
	r.rdi = 0x5000;
	r.rdx = 0x60;
	tg_vcpu_set_regs(t.vcpu, &r);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(run_print(&t), KVM_EXIT_IO);
		EXPECT_EQ(t.run->io.direction, KVM_EXIT_IO_IN);
		EXPECT_EQ(t.run->io.port, 0x60);
		r = th_regs(&t);
		EXPECT_EQ(r.rcx, 3 - i);
		EXPECT_EQ(r.rdi, 0x5000 + i);
		EXPECT_EQ(r.rip, SNIP(36));
		io_data(&t)[0] = (uint8_t)(0x11 * (i + 1));
	}
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rcx, 0);
	EXPECT_EQ(r.rdi, 0x5003);
	EXPECT_EQ(r.rip, SNIP(36) + 3);
	EXPECT_EQ(t.mem[0x5000], 0x11);
	EXPECT_EQ(t.mem[0x5001], 0x22);
	EXPECT_EQ(t.mem[0x5002], 0x33);
	th_fini(&t);
}

/* REP OUTSW with DF=1: words from [RSI] going down, RSI -= 2 each. */
TEST(sys_rep_outsw_df)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(37);
	r.rcx = 2;
	r.rsi = 0x5002;
	r.rdx = 0x1f0;
	r.rflags = 0x402;
	tg_vcpu_set_regs(t.vcpu, &r);
	uint32_t words = 0x22221111;
	memcpy(t.mem + 0x5000, &words, 4);
	const uint16_t want[2] = { 0x2222, 0x1111 };
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(run_print(&t), KVM_EXIT_IO);
		EXPECT_EQ(t.run->io.direction, KVM_EXIT_IO_OUT);
		EXPECT_EQ(t.run->io.size, 2);
		uint16_t v;
		memcpy(&v, io_data(&t), 2);
		EXPECT_EQ(v, want[i]);
	}
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rsi, 0x4ffe);
	EXPECT_EQ(r.rcx, 0);
	th_fini(&t);
}

/* INS to a non-canonical RDI: #GP(0) before the port is read (no exit). */
TEST(sys_ins_bad_destination_no_io)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(36);
	r.rcx = 1;
	r.rdi = 0x0000800000000000ull;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.rip, SNIP(36));
	EXPECT_EQ(th_regs(&t).rcx, 1);
	th_fini(&t);
}

/* ---- CPUID ---- */

struct cpuid_r {
	uint32_t a, b, c, d;
};
static struct cpuid_r cpuid(struct th *t, uint32_t leaf, uint32_t sub)
{
	struct kvm_regs r = th_regs(t);
	r.rip = SNIP(21);
	r.rax = leaf | 0xdeadbeef00000000ull;
	r.rcx = sub;
	r.rbx = r.rdx = ~0ull;
	tg_vcpu_set_regs(t->vcpu, &r);
	struct cpuid_r o = { 0, 0, 0, 0 };
	if (run_print(t) != KVM_EXIT_HLT)
		return o;
	r = th_regs(t);
	if ((r.rax | r.rbx | r.rcx | r.rdx) >> 32)
		test_fail(__FILE__, __LINE__, "upper halves not zeroed");
	o = (struct cpuid_r){ (uint32_t)r.rax, (uint32_t)r.rbx, (uint32_t)r.rcx,
			      (uint32_t)r.rdx };
	return o;
}

/* The model's CPU [SDM Vol. 2 CPUID, Tables 3-8 to 3-11 for the bits]:
 * GenuineIntel, max basic leaf 7, family 6 (signature 0x600 as the reset
 * EDX), extended leaves to 80000008H; out-of-range leaves return the
 * highest basic leaf (Intel). */
TEST(sys_cpuid_values)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct cpuid_r o = cpuid(&t, 0, 0);
	EXPECT_EQ(o.a, 7);
	EXPECT_EQ(o.b, 0x756e6547); /* Genu */
	EXPECT_EQ(o.d, 0x49656e69); /* ineI */
	EXPECT_EQ(o.c, 0x6c65746e); /* ntel */
	o = cpuid(&t, 1, 0);
	EXPECT_EQ(o.a, 0x600);
	EXPECT_EQ(o.b, 0x00010800); /* APIC ID 0, 1 logical CPU, CLFLUSH 64 */
	EXPECT_EQ(o.c, (1u << 13) | (1u << 23)); /* CX16, POPCNT */
	/* DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH; no FPU,
	 * no SSE */
	EXPECT_EQ(o.d, 0x000bab7c);
	o = cpuid(&t, 7, 0);
	EXPECT_EQ(o.a, 0);
	EXPECT_EQ(o.b, 0x81); /* FSGSBASE, SMEP */
	EXPECT_EQ(o.c, 0);
	EXPECT_EQ(o.d, 0);
	o = cpuid(&t, 7, 1);
	EXPECT_EQ(o.b, 0);
	o = cpuid(&t, 0x80000000, 0);
	EXPECT_EQ(o.a, 0x80000008);
	o = cpuid(&t, 0x80000001, 0);
	EXPECT_EQ(o.c, 0x21);       /* LAHF-SAHF, LZCNT */
	EXPECT_EQ(o.d, 0x2c100800); /* SYSCALL, NX, 1 GiB pages, RDTSCP, LM */
	o = cpuid(&t, 0x80000002, 0);
	EXPECT_EQ(o.a, 0x70617274); /* "trap" */
	o = cpuid(&t, 0x80000008, 0);
	EXPECT_EQ(o.a, 0x3028);     /* 48-bit linear, 40-bit physical */
	/* beyond both ranges: leaf 7's data */
	o = cpuid(&t, 0x40000000, 0);
	EXPECT_EQ(o.b, 0x81);
	o = cpuid(&t, 0x80000009, 0);
	EXPECT_EQ(o.b, 0x81);
	o = cpuid(&t, 8, 0);
	EXPECT_EQ(o.b, 0x81);
	th_fini(&t);
}

/* ---- MSRs ---- */

/* WRMSR then RDMSR returns the value (EDX:EAX, upper halves zeroed);
 * unknown MSRs, reserved bits and non-canonical addresses are #GP(0)
 * [SDM Vol. 2 RDMSR, WRMSR; Vol. 4 for the MSRs]. */
TEST(sys_msr_round_trips_and_faults)
{
	struct k {
		uint32_t msr;
		uint64_t v;
		bool ok;
		int line;
	} ks[] = {
		{ 0xc0000081, 0x0023001000000000ull, true, __LINE__ },  /* STAR */
		{ 0xc0000082, 0xffff800000001234ull, true, __LINE__ },  /* LSTAR */
		{ 0xc0000082, 0x0000800000000000ull, false, __LINE__ }, /* non-canonical */
		{ 0xc0000084, 0x47700, true, __LINE__ },                /* SFMASK */
		{ 0xc0000102, 0xffff888000000000ull, true, __LINE__ },  /* KERNEL_GS_BASE */
		{ 0x174, 0x10, true, __LINE__ },                        /* SYSENTER_CS */
		{ 0xc0000103, 0x12345678, true, __LINE__ },             /* TSC_AUX */
		{ 0xc0000103, 0x100000000ull, false, __LINE__ },        /* bits 63:32 */
		{ 0x277, 0x0007040600070406ull, true, __LINE__ },       /* PAT */
		{ 0x277, 0x0000000000000002ull, false, __LINE__ },      /* type 2 */
		{ 0x12345, 0, false, __LINE__ },                        /* unknown */
		{ 0xc0000080, 0x501, true, __LINE__ },                  /* EFER.SCE */
		{ 0xc0000080, 0x401, false, __LINE__ },                 /* LME with PG on */
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(19);
		r.rcx = ks[i].msr | 0xffffffff00000000ull; /* ECX only */
		r.rax = (uint32_t)ks[i].v | 0xaaaaaaaa00000000ull;
		r.rdx = (ks[i].v >> 32) | 0xbbbbbbbb00000000ull;
		tg_vcpu_set_regs(t.vcpu, &r);
		int e = run_print(&t);
		struct rec x = rec_read(&t);
		r = th_regs(&t);
		bool good = ks[i].ok ? e == KVM_EXIT_HLT && x.vec == ~0ull &&
				       r.rax == (uint32_t)ks[i].v && r.rdx == ks[i].v >> 32
				     : e == KVM_EXIT_HLT && x.vec == 13 && x.err == 0 &&
				       x.rip == SNIP(19);
		if (!good)
			test_fail(__FILE__, ks[i].line, "exit %d vec %llu edx:eax %llx:%llx",
				  e, (unsigned long long)x.vec, (unsigned long long)r.rdx,
				  (unsigned long long)r.rax);
		th_fini(&t);
	}
}

/* RDMSR of an unknown MSR, and RDMSR at CPL3: #GP(0) */
TEST(sys_rdmsr_faults)
{
	for (int user = 0; user < 2; user++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		if (user)
			go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(20);
		r.rcx = user ? 0xc0000080 : 0x40000000;
		tg_vcpu_set_regs(t.vcpu, &r);
		struct rec x = run_to_stub(&t);
		EXPECT_EQ(x.vec, 13);
		EXPECT_EQ(x.err, 0);
		EXPECT_EQ(x.rip, SNIP(20));
		th_fini(&t);
	}
}

/* ---- TSC ---- */

/* RDTSC counts retired instructions: two RDTSCs with one MOV between
 * them differ by 2, inside one decoded block too. CR4.TSD at CPL3 is
 * #GP(0) [SDM Vol. 2 RDTSC]. RDTSCP adds ECX = IA32_TSC_AUX. */
TEST(sys_rdtsc_rdtscp)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	set_rip(&t, SNIP(38));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ((uint32_t)r.rax - (uint32_t)r.rbx, 2);
	EXPECT_EQ(r.rdx, 0);

	set_msr(&t, 0xc0000103, 0x77);
	set_msr(&t, 0x10, 0x123456789ull); /* IA32_TSC */
	set_rip(&t, SNIP(43));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rcx, 0x77);
	EXPECT_EQ(r.rdx, 1);
	EXPECT_EQ(r.rax, 0x23456789);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cr4 |= 1u << 2; /* TSD */
	tg_vcpu_set_sregs(t.vcpu, &s);
	go_user(&t, true);
	set_rip(&t, SNIP(38));
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.rip, SNIP(38));
	th_fini(&t);
}

/* ---- SWAPGS ---- */

/* SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE at CPL0 in 64-bit
 * mode; #GP(0) at CPL3 [SDM Vol. 2 SWAPGS]. */
TEST(sys_swapgs)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.gs.base = 0x1111000;
	tg_vcpu_set_sregs(t.vcpu, &s);
	set_msr(&t, 0xc0000102, 0xffff888000002000ull);
	set_rip(&t, SNIP(10));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_sregs(&t).gs.base, 0xffff888000002000ull);
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h = { .nmsrs = 1 }, .e = { .index = 0xc0000102 } };
	ASSERT_EQ(tg_vcpu_get_msrs(t.vcpu, &m.h), 1);
	EXPECT_EQ(m.e.data, 0x1111000);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	set_rip(&t, SNIP(10));
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(10));
	th_fini(&t);
}

/* ---- SYSCALL / SYSRET ---- */

#define STAR ((0x10ull << 48) | (0x08ull << 32))

static void setup_syscall(struct th *t)
{
	struct kvm_sregs s = th_sregs(t);
	s.efer |= 1; /* SCE */
	tg_vcpu_set_sregs(t->vcpu, &s);
	set_msr(t, 0xc0000081, STAR);
	set_msr(t, 0xc0000082, SNIP(12));
	set_msr(t, 0xc0000084, 0x700); /* TF IF DF */
}

/* SYSCALL: RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~SFMASK, CS =
 * STAR[47:32], SS = +8, CPL0. SYSRET (REX.W): RIP = RCX, RFLAGS = R11 &
 * 3C7FD7H | 2, CS = STAR[63:48] + 16 | 3, SS = STAR[63:48] + 8 | 3
 * [SDM Vol. 2 SYSCALL, SYSRET]. */
TEST(sys_syscall_sysret_round_trip)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	setup_syscall(&t);
	go_user(&t, true);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(11);
	r.rsp = 0x60000;
	r.rflags = 0x603; /* DF IF CF */
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rip, SNIP(12) + 1);
	EXPECT_EQ(r.rcx, SNIP(11) + 2);
	EXPECT_EQ(r.r11, 0x603);
	EXPECT_EQ(r.rflags, 0x3);
	EXPECT_EQ(r.rsp, 0x60000); /* SYSCALL does not switch stacks */
	EXPECT_EQ(s.cs.selector, 0x08);
	EXPECT_EQ(s.cs.l, 1);
	EXPECT_EQ(s.cs.dpl, 0);
	EXPECT_EQ(s.ss.selector, 0x10);
	EXPECT_EQ(s.ss.dpl, 0);

	r.r11 = 0x3f7fd7; /* SYSRET drops RF and VM */
	tg_vcpu_set_regs(t.vcpu, &r);
	struct rec x = run_to_stub(&t); /* UD2 at CPL3 */
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(x.rip, SNIP(11) + 2);
	EXPECT_EQ(x.cs, 0x23);
	EXPECT_EQ(x.ss, 0x1b);
	EXPECT_EQ(x.rsp, 0x60000);
	/* TF is loaded too; the UD2 faults, so no single-step trap follows
	 * [SDM 17.3.1.4]; RF may be set in a fault's frame */
	EXPECT_EQ(x.rflags & ~0x10000ull, 0x3c7fd7);
	th_fini(&t);
}

/* SYSRET without REX.W returns to compatibility mode: CS = STAR[63:48] |
 * 3 with L=0, D=1, RIP = ECX [SDM Vol. 2 SYSRET]. */
TEST(sys_sysret_to_compat)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	setup_syscall(&t);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(59);
	r.rcx = 0xffffffff00000000ull | (SNIP(11) + 2); /* UD2 */
	r.r11 = 0x202;
	r.rsp = 0x60000;
	tg_vcpu_set_regs(t.vcpu, &r);
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(x.rip, SNIP(11) + 2);
	EXPECT_EQ(x.cs, 0x13);
	EXPECT_EQ(x.ss, 0x1b);
	EXPECT_EQ(x.rflags & ~0x10000ull, 0x202);
	th_fini(&t);
}

/* SYSRET with a non-canonical RCX: #GP(0) at CPL0 (Intel); SYSRET at CPL3
 * is #GP(0); SYSCALL without EFER.SCE is #UD. */
TEST(sys_syscall_sysret_faults)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	setup_syscall(&t);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(12) + 1;
	r.rcx = 0x0000800000000000ull;
	tg_vcpu_set_regs(t.vcpu, &r);
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(12) + 1);
	EXPECT_EQ(x.cs, 0x08);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	setup_syscall(&t);
	go_user(&t, true);
	r = th_regs(&t);
	r.rip = SNIP(12) + 1;
	r.rcx = SNIP(27);
	tg_vcpu_set_regs(t.vcpu, &r);
	x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.rip, SNIP(12) + 1);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	set_rip(&t, SNIP(11));
	x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(x.rip, SNIP(11));
	th_fini(&t);
}

/* ---- SYSENTER / SYSEXIT (legacy protected mode) ---- */

/* SYSENTER: CS = SYSENTER_CS & FFFCH, SS = CS + 8, ESP/EIP from the
 * MSRs, IF/VM/RF cleared. SYSEXIT: CS = SYSENTER_CS + 16 | 3, SS = + 24 |
 * 3, EIP = EDX, ESP = ECX [SDM Vol. 2 SYSENTER, SYSEXIT]. */
TEST(sys_sysenter_sysexit_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	set_msr(&t, 0x174, 0x08);
	set_msr(&t, 0x175, 0x70000);
	set_msr(&t, 0x176, SNIP(8));
	go_user(&t, false);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(7);
	r.rsp = 0x60000;
	r.rflags = 0x202;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rip, SNIP(8) + 1);
	EXPECT_EQ(r.rsp, 0x70000);
	EXPECT_EQ(r.rflags, 0x2);
	EXPECT_EQ(s.cs.selector, 0x08);
	EXPECT_EQ(s.cs.db, 1);
	EXPECT_EQ(s.cs.l, 0);
	EXPECT_EQ(s.ss.selector, 0x10);

	r.rdx = SNIP(7) + 2;
	r.rcx = 0x61000;
	tg_vcpu_set_regs(t.vcpu, &r);
	struct rec x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(x.rip, SNIP(7) + 2);
	EXPECT_EQ(x.cs, 0x1b);
	EXPECT_EQ(x.ss, 0x23);
	EXPECT_EQ(x.rsp, 0x61000);
	th_fini(&t);

	/* SYSENTER_CS = 0: #GP(0) */
	ASSERT_EQ(sys_setup32(&t), 0);
	set_rip(&t, SNIP(7));
	x = run_to_stub(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.rip, SNIP(7));
	th_fini(&t);
}

/* ---- BOUND, ARPL (32-bit) ---- */

/* BOUND: signed index outside [lower, upper] is #BR, a fault
 * [SDM Vol. 2 BOUND]. */
TEST(sys_bound_32)
{
	const struct { uint32_t idx; bool br; } ks[] = {
		{ 15, false }, { 10, false }, { 20, false }, { 21, true },
		{ 0xffffffff, true }, /* -1 < 10 */
	};
	for (unsigned i = 0; i < 5; i++) {
		struct th t;
		ASSERT_EQ(sys_setup32(&t), 0);
		uint32_t b[2] = { 10, 20 };
		memcpy(t.mem + 0x5000, b, 8);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(4);
		r.rax = 0x5000;
		r.rcx = ks[i].idx;
		tg_vcpu_set_regs(t.vcpu, &r);
		ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
		struct rec x = rec_read(&t);
		if (ks[i].br) {
			EXPECT_EQ(x.vec, 5);
			EXPECT_EQ(x.rip, SNIP(4));
		} else {
			EXPECT_EQ(x.vec, 0xffffffff);
			EXPECT_EQ(th_regs(&t).rip, SNIP(4) + 3);
		}
		th_fini(&t);
	}
}

/* ARPL: raises the destination's RPL to the source's, ZF=1; otherwise
 * ZF=0 and no change [SDM Vol. 2 ARPL]. */
TEST(sys_arpl_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	uint16_t v = 0x0011;
	memcpy(t.mem + 0x5000, &v, 2);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(5);
	r.rax = 0x5000;
	r.rbx = 0x0003;
	r.rflags = 2;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	memcpy(&v, t.mem + 0x5000, 2);
	EXPECT_EQ(v, 0x0013);
	EXPECT_EQ(th_regs(&t).rflags & 0x40, 0x40);
	r = th_regs(&t);
	r.rip = SNIP(5);
	r.rbx = 0x0002;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	memcpy(&v, t.mem + 0x5000, 2);
	EXPECT_EQ(v, 0x0013);
	EXPECT_EQ(th_regs(&t).rflags & 0x40, 0);
	th_fini(&t);
}

/* ---- interrupt shadows [SDM 6.8.3; Vol. 2 STI, MOV] ---- */

/* External interrupt 0x20 (via KVM_SET_SREGS' interrupt bitmap, as
 * KVM_INTERRUPT leaves it pending) to the no-error-code stub of vector 2,
 * which records the pushed RIP. */
static void pend_irq(struct th *t)
{
	th_gate64(t, 0x20, SX64 + 0x40 * 2, 14, 0, 0);
	struct kvm_sregs s = th_sregs(t);
	s.interrupt_bitmap[0] = 1ull << 0x20;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

/* STI with IF=0 blocks interrupts for one more instruction: the IRQ comes
 * after the first NOP. With IF already 1 there is no shadow. */
TEST(sys_sti_shadow)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	set_rip(&t, SNIP(56));
	pend_irq(&t);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(rec_read(&t).vec, 2);
	EXPECT_EQ(rec_read(&t).rip, SNIP(56) + 2);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(56);
	r.rflags = 0x202;
	tg_vcpu_set_regs(t.vcpu, &r);
	tg_vcpu_set_budget(t.vcpu, 1); /* stop right after the STI */
	EXPECT_EQ(th_run(&t), -EINTR);
	EXPECT_EQ(th_regs(&t).rip, SNIP(56) + 1);
	pend_irq(&t);
	tg_vcpu_set_budget(t.vcpu, 0);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(rec_read(&t).rip, SNIP(56) + 1);
	th_fini(&t);
}

/* MOV SS blocks interrupts until after the next instruction; a second MOV
 * SS right after it does not extend the window ("only the first is
 * guaranteed" [SDM 6.8.3]; the model, like KVM, does not extend). */
TEST(sys_mov_ss_shadow)
{
	for (int twice = 0; twice < 2; twice++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(twice ? 58 : 57);
		r.rbx = TH_SEL_DATA;
		r.rflags = 0x202;
		tg_vcpu_set_regs(t.vcpu, &r);
		tg_vcpu_set_budget(t.vcpu, 1);
		EXPECT_EQ(th_run(&t), -EINTR);
		pend_irq(&t);
		tg_vcpu_set_budget(t.vcpu, 0);
		ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
		struct rec x = rec_read(&t);
		EXPECT_EQ(x.vec, 2);
		EXPECT_EQ(x.rip, SNIP(twice ? 58 : 57) + 3 + (twice ? 1 : 0));
		th_fini(&t);
	}
}

/* ---- virtual-8086 mode ---- */

/* Enter VM86 the way a VMM would (RFLAGS.VM with selector*16 segments)
 * and run bytes at 1000:0000. Faults go through the 32-bit IDT to the
 * stubs at CPL0 [SDM 20.3.1]. */
static void vm86_setup(struct th *t, const uint8_t *code, size_t n, uint64_t rflags,
		       uint64_t cr4)
{
	memcpy(t->mem + 0x10000, code, n);
	struct kvm_sregs s = th_sregs(t);
	struct kvm_segment v = { .limit = 0xffff, .type = 3, .present = 1, .s = 1,
				 .dpl = 3 };
	v.selector = 0x2000, v.base = 0x20000;
	s.ss = s.ds = s.es = s.fs = s.gs = v;
	v.selector = 0x1000, v.base = 0x10000, v.type = 0xb;
	s.cs = v;
	s.cr4 = cr4;
	tg_vcpu_set_sregs(t->vcpu, &s);
	struct kvm_regs r = th_regs(t);
	r.rip = 0;
	r.rsp = 0x100;
	r.rflags = rflags | 0x20002;
	tg_vcpu_set_regs(t->vcpu, &r);
}

/* CLI and PUSHF in VM86 with IOPL < 3 are #GP(0) (no VME); with IOPL 3
 * CLI clears IF. With CR4.VME a 16-bit PUSHF pushes VIF as IF and IOPL 3
 * [SDM Vol. 2 CLI, PUSHF; 20.2.7]. The HLT after them is #GP(0) at
 * CPL3. */
TEST(sys_vm86_cli_pushf)
{
	static const uint8_t cli_hlt[] = { 0xfa, 0xf4 }, pushf_hlt[] = { 0x9c, 0xf4 };
	struct k {
		const uint8_t *code;
		uint64_t flags, cr4;
		uint64_t ip;       /* of the #GP */
		uint64_t if_after;
		int line;
	} ks[] = {
		{ cli_hlt, 0x200, 0, 0, 0x200, __LINE__ },
		{ cli_hlt, 0x3200, 0, 1, 0, __LINE__ },
		{ pushf_hlt, 0x200, 0, 0, 0x200, __LINE__ },
		{ pushf_hlt, 0x80000, 1, 1, 0, __LINE__ }, /* VME, VIF=1, IF=0 */
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup32(&t), 0);
		vm86_setup(&t, ks[i].code, 2, ks[i].flags, ks[i].cr4);
		int e = run_print(&t);
		struct rec x = rec_read(&t);
		if (e != KVM_EXIT_HLT || x.vec != 13 || x.err != 0 || x.rip != ks[i].ip ||
		    x.cs != 0x1000 || (x.rflags & 0x20200) != (0x20000 | ks[i].if_after))
			test_fail(__FILE__, ks[i].line,
				  "exit %d vec %llu rip 0x%llx cs 0x%llx flags 0x%llx", e,
				  (unsigned long long)x.vec, (unsigned long long)x.rip,
				  (unsigned long long)x.cs, (unsigned long long)x.rflags);
		if (ks[i].cr4) {
			uint16_t img;
			memcpy(&img, t.mem + 0x20000 + 0xfe, 2);
			EXPECT_EQ(img, 0x3202);
			EXPECT_EQ(x.rsp, 0xfe);
		}
		th_fini(&t);
	}
}
