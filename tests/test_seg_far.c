/* Far transfers (src/cpu/sys_far.c): mode transitions made by the guest,
 * call gates with the stack switch from the TSS and far returns to the
 * outer privilege level, in IA-32e and legacy protected mode, and the
 * call-gate checks with their error codes. */
#include "test_sys.h"

extern const uint8_t guest_sys_modes[], guest_sys_modes_end[];

/* Identity map of the first 4 GiB with 2 MiB pages at 0x10000 (as the
 * harness builds for th_long_mode). */
static void build_page_tables(struct th *t)
{
	memset(t->mem + TH_PML4, 0, 0x6000);
	wr64(t, TH_PML4, (TH_PML4 + 0x1000) | 7);
	for (int i = 0; i < 4; i++)
		wr64(t, TH_PML4 + 0x1000 + i * 8, (TH_PML4 + 0x2000 + i * 0x1000) | 7);
	for (uint64_t i = 0; i < 2048; i++)
		wr64(t, TH_PML4 + 0x2000 + i * 8, (i << 21) | 0x87);
}

/* Real mode -> protected mode (LGDT, CR0.PE, far JMP) -> IA-32e mode (PAE,
 * EFER.LME by WRMSR, CR0.PG, far JMP to a 64-bit CS) -> compatibility
 * mode (far JMP m16:32) -> 64-bit again (far RET), all by the guest
 * [SDM 9.9.1, 9.8.5, 9.8.5.4]. */
TEST(seg_guest_mode_transitions)
{
	struct th t;
	ASSERT_EQ(th_init(&t, BACKEND, 16 << 20), 0);
	th_load(&t, TH_CODE, guest_sys_modes, guest_sys_modes_end - guest_sys_modes);
	build_page_tables(&t);
	th_real(&t, 0xffff, 0x10); /* base 0xffff0 + 0x10 = TH_CODE */

	/* stage 1: real-mode far call and return: CS:IP and SP restored */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rax & 0xffff, 0x1234);
	EXPECT_EQ(r.rsp, 0x7000);
	EXPECT_EQ(r.rip, 0x16); /* IP after the HLT at offset 5 */
	EXPECT_EQ(s.cs.selector, 0xffff);
	EXPECT_EQ(rd32(&t, 0x7000 - 4), 0xffff0015); /* pushed CS:IP */

	/* stage 2: protected mode, CS = 0x18 from the guest's GDT */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.cr0 & 0x80000001, 1);
	EXPECT_EQ(s.cs.selector, 0x18);
	EXPECT_EQ(s.cs.db, 1);
	EXPECT_EQ(s.cs.base, 0);
	EXPECT_EQ(s.ss.selector, 0x10);
	/* the guest's own table: entry 3 is its 32-bit code segment, now
	 * with the accessed bit set by the load [SDM 3.4.5.1] */
	EXPECT_EQ(s.gdt.limit, 31);
	EXPECT_EQ(rd64(&t, s.gdt.base + 0x18), 0x00cf9b000000ffffull);
	EXPECT_EQ(th_regs(&t).rsp, 0x80000);

	/* stage 3: CR0.PG with EFER.LME set activates IA-32e mode: LMA=1,
	 * still running the 32-bit segment (compatibility mode) */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.efer, 0x500);
	EXPECT_EQ(s.cr0 & 0x80000001, 0x80000001);
	EXPECT_EQ(s.cr4 & 0x20, 0x20);
	EXPECT_EQ(s.cs.selector, 0x18);

	/* stage 4: far JMP to the L=1 segment: 64-bit mode */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, 0x08);
	EXPECT_EQ(s.cs.l, 1);
	uint64_t rip64 = th_regs(&t).rip;

	/* stage 5: JMP m16:32 from 64-bit code to the 32-bit segment */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, 0x18);
	EXPECT_EQ(s.cs.l, 0);
	EXPECT_EQ(th_regs(&t).rip, rip64 + 7); /* HLT + 6-byte JMP, then HLT */

	/* stage 6: far RET (32-bit operand size) back into 64-bit code */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, 0x08);
	EXPECT_EQ(s.cs.l, 1);
	EXPECT_EQ(th_regs(&t).rsp, 0x80000);
	th_fini(&t);
}

/* 64-bit call gate, DPL3, to the DPL0 64-bit code segment. */
#define GATE 0xa0
static void put_gate64(struct th *t, unsigned sel, uint16_t target_sel,
		       uint64_t off, unsigned type, unsigned dpl, unsigned p,
		       uint64_t hi_extra)
{
	uint64_t lo = (off & 0xffff) | ((uint64_t)target_sel << 16) |
		      ((uint64_t)type << 40) | ((uint64_t)dpl << 45) |
		      ((uint64_t)p << 47) | ((off >> 16) & 0xffff) << 48;
	wr64(t, TH_GDT + sel, lo);
	wr64(t, TH_GDT + sel + 8, (off >> 32) | hi_extra);
}

/* CPL3 -> CALL FAR through a 64-bit call gate -> CPL0: RSP from TSS.RSP0,
 * SS a null selector with RPL 0, and SS, RSP, CS, RIP of the caller pushed
 * as 8-byte values [SDM 5.8.6, Figure 5-14]. RETF (REX.W) returns to CPL3
 * with SS:RSP popped and DS, whose DPL 0 is below the new CPL, nulled
 * [SDM Vol. 2 RET, RETURN-TO-OUTER-PRIVILEGE-LEVEL]. */
TEST(seg_call_gate64_to_cpl0_and_back)
{
	for (int w = 0; w < 2; w++) { /* m16:32 (SNIP 8) and m16:64 (SNIP 48) */
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		put_gate64(&t, GATE, TH_SEL_CODE64, SNIP(9), 0xc, 3, 1, 0);
		go_user(&t, true);
		const unsigned snip = w ? 48 : 8, len = w ? 3 : 2;
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(snip);
		r.rsp = 0x60000;
		r.rax = 0x5000;
		tg_vcpu_set_regs(t.vcpu, &r);
		wr64(&t, 0x5000, 0xdeadbeef);           /* offset: ignored */
		wr64(&t, 0x5000 + (w ? 8 : 4), GATE | 3); /* selector */
		ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
		r = th_regs(&t);
		struct kvm_sregs s = th_sregs(&t);
		EXPECT_EQ(r.rip, SNIP(9) + 1);
		EXPECT_EQ(s.cs.selector, TH_SEL_CODE64);
		EXPECT_EQ(s.ss.selector, 0);
		EXPECT_EQ(s.ss.dpl, 0);
		EXPECT_EQ(r.rsp, TH_STACK - 32);
		EXPECT_EQ(rd64(&t, TH_STACK - 32), SNIP(snip) + len);
		EXPECT_EQ(rd64(&t, TH_STACK - 24), TH_SEL_UCODE64);
		EXPECT_EQ(rd64(&t, TH_STACK - 16), 0x60000);
		EXPECT_EQ(rd64(&t, TH_STACK - 8), TH_SEL_UDATA);
		/* DS with DPL 0 while at CPL0 */
		s.ds.selector = TH_SEL_DATA;
		s.ds.dpl = 0;
		tg_vcpu_set_sregs(t.vcpu, &s);

		ASSERT_EQ(run_print(&t), KVM_EXIT_HLT); /* #UD stub after return */
		struct rec x = rec_read(&t);
		EXPECT_EQ(x.vec, 6);
		EXPECT_EQ(x.rip, SNIP(snip) + len);
		EXPECT_EQ(x.cs, TH_SEL_UCODE64);
		EXPECT_EQ(x.rsp, 0x60000);
		EXPECT_EQ(x.ss, TH_SEL_UDATA);
		s = th_sregs(&t);
		EXPECT_EQ(s.ds.selector, 0);
		EXPECT_EQ(s.ds.unusable, 1);
		th_fini(&t);
	}
}

/* Call-gate checks [SDM Vol. 2 CALL, Protected Mode / 64-bit Mode
 * Exceptions; 5.8.3.1]. */
TEST(seg_call_gate64_faults)
{
	struct k {
		unsigned type, dpl, p;
		uint16_t target;
		uint64_t hi;
		unsigned vec;
		uint32_t err;
		int line;
	} ks[] = {
		/* gate DPL below CPL: #GP(gate) */
		{ 0xc, 0, 1, TH_SEL_CODE64, 0, 13, GATE, __LINE__ },
		/* gate not present: #NP(gate) */
		{ 0xc, 3, 0, TH_SEL_CODE64, 0, 11, GATE, __LINE__ },
		/* 16-bit call gates do not exist in IA-32e mode: #GP(gate) */
		{ 0x4, 3, 1, TH_SEL_CODE64, 0, 13, GATE, __LINE__ },
		/* type field of the upper 8 bytes not 0: #GP(gate) */
		{ 0xc, 3, 1, TH_SEL_CODE64, 0xcull << 40, 13, GATE, __LINE__ },
		/* target is data: #GP(target) */
		{ 0xc, 3, 1, TH_SEL_DATA, 0, 13, TH_SEL_DATA, __LINE__ },
		/* target is 32-bit code: gates lead to 64-bit code only */
		{ 0xc, 3, 1, TH_SEL_CODE32, 0, 13, TH_SEL_CODE32, __LINE__ },
		/* null target selector: #GP(0) */
		{ 0xc, 3, 1, 0, 0, 13, 0, __LINE__ },
		/* target beyond the GDT limit: #GP(target) */
		{ 0xc, 3, 1, 0x1f8, 0, 13, 0x1f8, __LINE__ },
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		put_gate64(&t, GATE, ks[i].target, SNIP(9), ks[i].type, ks[i].dpl,
			   ks[i].p, ks[i].hi);
		go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(8);
		r.rsp = 0x60000;
		r.rax = 0x5000;
		tg_vcpu_set_regs(t.vcpu, &r);
		wr64(&t, 0x5000, (uint64_t)(GATE | 3) << 32);
		int e = run_print(&t);
		struct rec x = rec_read(&t);
		if (e != KVM_EXIT_HLT || x.vec != ks[i].vec || x.err != ks[i].err ||
		    x.rip != SNIP(8) || x.rsp != 0x60000)
			test_fail(__FILE__, ks[i].line,
				  "exit %d vec %llu err 0x%llx rip 0x%llx rsp 0x%llx", e,
				  (unsigned long long)x.vec, (unsigned long long)x.err,
				  (unsigned long long)x.rip, (unsigned long long)x.rsp);
		th_fini(&t);
	}
}

/* Far JMP / CALL / RET to code segments: privilege and type checks
 * [SDM Vol. 2 JMP, CALL, RET]. RETF at CPL0 with RPL 0 is a same-level
 * return; with a 64-bit target a non-canonical RIP is #GP(0). */
TEST(seg_far_direct_checks_64)
{
	struct k {
		uint64_t desc;   /* descriptor at 0x50 */
		uint16_t sel;
		uint64_t off;
		unsigned snip;   /* 47: JMP m16:32, 35: RETF (REX.W) */
		int vec;         /* -1: arrives at SNIP 27 and halts */
		uint32_t err;
		int line;
	} ks[] = {
		{ 0x00af9a000000ffffull, 0x50, SNIP(27), 47, -1, 0, __LINE__ },
		/* L=1 and D=1 in IA-32e mode: #GP(sel) */
		{ 0x00ef9a000000ffffull, 0x50, SNIP(27), 47, 13, 0x50, __LINE__ },
		/* non-conforming DPL3 from CPL0: #GP(sel) */
		{ 0x00affa000000ffffull, 0x50, SNIP(27), 47, 13, 0x50, __LINE__ },
		/* RPL 3 > CPL 0 to non-conforming: #GP(sel) */
		{ 0x00af9a000000ffffull, 0x53, SNIP(27), 47, 13, 0x50, __LINE__ },
		/* conforming DPL0 from CPL0: fine, RPL forced to CPL */
		{ 0x00af9e000000ffffull, 0x53, SNIP(27), 47, -1, 0, __LINE__ },
		/* not present: #NP(sel) */
		{ 0x002f9a000000ffffull & ~(1ull << 47), 0x50, SNIP(27), 47, 11, 0x50, __LINE__ },
		/* data segment: #GP(sel) */
		{ 0x00cf92000000ffffull, 0x50, SNIP(27), 47, 13, 0x50, __LINE__ },
		/* 32-bit target: offset beyond limit 0xfffff: #GP(0) */
		{ 0x000f9a000000ffffull, 0x50, 0x100000, 47, 13, 0, __LINE__ },
		/* RETF to a 64-bit segment with a non-canonical RIP: #GP(0) */
		{ 0x00af9a000000ffffull, 0x50, 0x0000800000000000ull, 35, 13, 0, __LINE__ },
		/* RETF with RPL 0 < ... fine; to RPL 0 code at CPL0 */
		{ 0x00af9a000000ffffull, 0x50, SNIP(27), 35, -1, 0, __LINE__ },
		/* RETF to a conforming segment with DPL > RPL: #GP(sel) */
		{ 0x00affe000000ffffull, 0x50, SNIP(27), 35, 13, 0x50, __LINE__ },
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		wr64(&t, TH_GDT + 0x50, ks[i].desc);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(ks[i].snip);
		r.rax = 0x5000;
		if (ks[i].snip == 35) {
			r.rsp = TH_STACK - 16;
			wr64(&t, TH_STACK - 16, ks[i].off);
			wr64(&t, TH_STACK - 8, ks[i].sel);
		} else {
			wr64(&t, 0x5000, (uint32_t)ks[i].off | (uint64_t)ks[i].sel << 32);
		}
		tg_vcpu_set_regs(t.vcpu, &r);
		int e = run_print(&t);
		struct rec x = rec_read(&t);
		r = th_regs(&t);
		if (ks[i].vec < 0) {
			if (e != KVM_EXIT_HLT || r.rip != SNIP(27) + 1 || x.vec != ~0ull ||
			    th_sregs(&t).cs.selector != 0x50)
				test_fail(__FILE__, ks[i].line, "exit %d rip 0x%llx vec %llu",
					  e, (unsigned long long)r.rip,
					  (unsigned long long)x.vec);
		} else if (e != KVM_EXIT_HLT || x.vec != (uint64_t)ks[i].vec ||
			   x.err != ks[i].err || x.rip != SNIP(ks[i].snip)) {
			test_fail(__FILE__, ks[i].line, "exit %d vec %llu err 0x%llx rip 0x%llx",
				  e, (unsigned long long)x.vec, (unsigned long long)x.err,
				  (unsigned long long)x.rip);
		}
		th_fini(&t);
	}
}

/* Legacy 32-bit call gate with two parameters from CPL3 to CPL0: SS0:ESP0
 * from the 32-bit TSS, then old SS, old ESP, the parameters (copied in
 * order), old CS, EIP pushed as dwords [SDM 5.8.5, Figure 5-13]. RETF 8
 * pops EIP and CS, releases the parameters on both stacks and restores
 * SS:ESP [SDM Vol. 2 RET]. */
TEST(seg_call_gate32_params_and_retf_imm)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	/* 32-bit call gate, DPL3, 2 parameters, to 0x18:SNIP(2) */
	uint64_t g = ((uint64_t)SNIP(2) & 0xffff) | ((uint64_t)TH_SEL_CODE32 << 16) |
		     (2ull << 32) | (0xcull << 40) | (3ull << 45) | (1ull << 47) |
		     (((uint64_t)SNIP(2) >> 16) << 48);
	wr64(&t, TH_GDT + 0xa0, g);
	go_user(&t, false);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(0);
	r.rsp = 0x60000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, TH_SEL_CODE32);
	EXPECT_EQ(s.ss.selector, TH_SEL_DATA);
	EXPECT_EQ(r.rsp, TH_STACK - 24);
	EXPECT_EQ(rd32(&t, TH_STACK - 24), SNIP(0) + 17); /* after the 7-byte CALL */
	EXPECT_EQ(rd32(&t, TH_STACK - 20), TH_SEL_UCODE32);
	EXPECT_EQ(rd32(&t, TH_STACK - 16), 0x11111111);
	EXPECT_EQ(rd32(&t, TH_STACK - 12), 0x22222222);
	EXPECT_EQ(rd32(&t, TH_STACK - 8), 0x60000 - 8);
	EXPECT_EQ(rd32(&t, TH_STACK - 4), TH_SEL_UDATA);
	/* accessed bit set on the new SS descriptor (0x10 already is) */
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT); /* RETF 8 -> ud2 at CPL3 */
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 6);
	EXPECT_EQ(x.rip, SNIP(0) + 17);
	EXPECT_EQ(x.cs, TH_SEL_UCODE32);
	EXPECT_EQ(x.rsp, 0x60000);   /* parameters released */
	EXPECT_EQ(x.ss, TH_SEL_UDATA);
	th_fini(&t);
}

/* Same-privilege call through a gate to a conforming segment: no stack
 * switch, CPL stays 3 and CS.RPL = CPL [SDM 5.8.5 (conforming target)];
 * the HLT there is #GP(0) and shows the new CS. */
TEST(seg_call_gate32_conforming_same_level)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	gdt_set(&t, 0x98, mkdesc(0, 0xfffff, 0xe, 1, 0, 1, 0, 1, 1)); /* conforming, DPL0 */
	uint64_t g = ((uint64_t)SNIP(13) & 0xffff) | (0x98ull << 16) |
		     (0xcull << 40) | (3ull << 45) | (1ull << 47) |
		     (((uint64_t)SNIP(13) >> 16) << 48);
	wr64(&t, TH_GDT + 0xb0, g);
	go_user(&t, false);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(11);
	r.rsp = 0x60000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(13));
	EXPECT_EQ(x.cs, 0x9b);
	EXPECT_EQ(x.rsp, 0x60000 - 8);
	EXPECT_EQ(x.ss, TH_SEL_UDATA);
	EXPECT_EQ(rd32(&t, 0x60000 - 4), TH_SEL_UCODE32);
	EXPECT_EQ(rd32(&t, 0x60000 - 8), SNIP(11) + 7);
	th_fini(&t);
}

/* Inner stack from the TSS outside the TSS limit: #TS(TR selector)
 * [SDM Vol. 2 CALL: (TSSstackAddress + 5) > TSS limit]. The gate leads to
 * a DPL1 segment, whose SS1 (bytes 16-17) is beyond a limit of 0x10, while
 * SS0:ESP0 for delivering the #TS stays inside. */
TEST(seg_call_gate32_tss_limit_ts)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	gdt_set(&t, 0xb8, mkdesc(0, 0xfffff, 0xb, 1, 1, 1, 0, 1, 1)); /* code DPL1 */
	uint64_t g = ((uint64_t)SNIP(2) & 0xffff) | (0xb8ull << 16) |
		     (0xcull << 40) | (3ull << 45) | (1ull << 47) |
		     (((uint64_t)SNIP(2) >> 16) << 48);
	wr64(&t, TH_GDT + 0xa0, g);
	struct kvm_sregs s = th_sregs(&t);
	s.tr.limit = 0x10;
	tg_vcpu_set_sregs(t.vcpu, &s);
	go_user(&t, false);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(0) + 10; /* the CALL itself */
	r.rsp = 0x60000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 10);
	EXPECT_EQ(x.err, TH_SEL_TSS);
	EXPECT_EQ(x.rip, SNIP(0) + 10);
	EXPECT_EQ(x.rsp, 0x60000);
	th_fini(&t);
}

/* PUSH CS with 16- and 32-bit operand sizes: the 32-bit push moves ESP by
 * 4 and writes 16 bits [SDM Vol. 2 PUSH]. */
TEST(seg_push_cs_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	wr64(&t, TH_STACK - 8, 0xaaaaaaaaaaaaaaaaull);
	set_rip(&t, SNIP(12));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK - 6);
	/* 66 0E at -2..-1, then 0E writes -6..-5 and skips -4..-3 */
	EXPECT_EQ(rd64(&t, TH_STACK - 8), 0x0018aaaa0018aaaaull);
	th_fini(&t);
}

/* 32-bit: null DS loads, and a read through it is #GP(0) [SDM 3.4.2]. */
TEST(seg_null_ds_use_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(3);
	r.rbx = 0;
	r.rax = 0x5000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(3) + 2);
	EXPECT_EQ(th_sregs(&t).ds.unusable, 1);
	th_fini(&t);
}

/* Outside 64-bit mode a null SS is always #GP(0), and an expand-down
 * writable data segment is a valid SS [SDM Vol. 2 MOV]. */
TEST(seg_ss_loads_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(17);
	r.rbx = 0;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(17));
	th_fini(&t);

	ASSERT_EQ(sys_setup32(&t), 0);
	gdt_set(&t, 0x50, mkdesc(0, 0xfff, 7, 1, 0, 1, 0, 1, 0)); /* expand-down */
	r = th_regs(&t);
	r.rip = SNIP(17);
	r.rbx = 0x50;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, SNIP(17) + 3);
	EXPECT_EQ(th_sregs(&t).ss.type, 7);
	th_fini(&t);
}

/* LDS r32, m16:32: offset to the register, selector to DS (checked) */
TEST(seg_lds_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	gdt_set(&t, 0x50, mkdesc(0x1000, 0xffff, 3, 1, 0, 1, 0, 1, 0));
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(6);
	r.rax = 0x5000;
	tg_vcpu_set_regs(t.vcpu, &r);
	wr64(&t, 0x5000, 0x12345678 | (0x50ull << 32));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rbx, 0x12345678);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.ds.selector, 0x50);
	EXPECT_EQ(s.ds.base, 0x1000);
	EXPECT_EQ(s.ds.limit, 0xffff);
	th_fini(&t);
}

/* PUSH DS / POP ES in 32-bit code: ESP back where it was, ES = DS */
TEST(seg_push_pop_sreg_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.es.selector = 0;
	s.es.unusable = 1;
	tg_vcpu_set_sregs(t.vcpu, &s);
	set_rip(&t, SNIP(9));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK);
	s = th_sregs(&t);
	EXPECT_EQ(s.es.selector, TH_SEL_DATA);
	EXPECT_EQ(s.es.unusable, 0);
	th_fini(&t);
}

/* Far JMP ptr16:32 in 32-bit code to the same segment */
TEST(seg_jmp_far_ptr_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	set_rip(&t, SNIP(14));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, SNIP(15) + 1);
	EXPECT_EQ(th_sregs(&t).cs.selector, TH_SEL_CODE32);
	th_fini(&t);
}

/* A far JMP to an available TSS is a hardware task switch, which the
 * model does not implement: KVM_EXIT_INTERNAL_ERROR (emulation failure)
 * with RIP on the JMP. In IA-32e mode it is #GP(sel) [SDM 7.7]. */
TEST(seg_far_jmp_tss_unimplemented)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	gdt_set(&t, 0x50, mkdesc(0x4000, 0x67, 9, 0, 0, 1, 0, 0, 0));
	set_rip(&t, SNIP(14));
	uint16_t sel = 0x50; /* patch the selector of the JMP ptr16:32 */
	memcpy(t.mem + SNIP(14) + 5, &sel, 2);
	ASSERT_EQ(th_run(&t), KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(t.run->emulation_failure.suberror, KVM_INTERNAL_ERROR_EMULATION);
	EXPECT_EQ(th_regs(&t).rip, SNIP(14));
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	wr64(&t, TH_GDT + 0x50, 0x0000890000000067ull);
	wr64(&t, TH_GDT + 0x58, 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(47);
	r.rax = 0x5000;
	tg_vcpu_set_regs(t.vcpu, &r);
	wr64(&t, 0x5000, 0x50ull << 32);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0x50);
	EXPECT_EQ(x.rip, SNIP(47));
	th_fini(&t);
}
