/* Control and debug registers, descriptor-table instructions and the
 * small CR0-related ones (src/cpu/sys_cr.c, sys_desc.c, system.c). */
#include "test_sys.h"

struct outcome {
	int exit;
	struct rec x;
	struct kvm_regs r;
};

/* Run the 64-bit snippet n with RAX/RBX/RCX preset. */
static struct outcome run64(struct th *t, unsigned n, uint64_t rax, uint64_t rbx,
			    uint64_t rcx)
{
	struct kvm_regs r = th_regs(t);
	r.rip = SNIP(n);
	r.rax = rax;
	r.rbx = rbx;
	r.rcx = rcx;
	tg_vcpu_set_regs(t->vcpu, &r);
	struct outcome o;
	o.exit = run_print(t);
	o.x = rec_read(t);
	o.r = th_regs(t);
	return o;
}

static bool faulted(const struct outcome *o, unsigned vec, uint32_t err, uint64_t rip)
{
	return o->exit == KVM_EXIT_HLT && o->x.vec == vec && o->x.err == err &&
	       o->x.rip == rip;
}

/* ---- MOV CR ---- */

#define CR0_LM 0x80010033ull /* harness: PG WP NE ET MP PE */

/* Invalid CR values are #GP(0) and change nothing [SDM Vol. 2 MOV (CR),
 * 64-Bit Mode Exceptions; 2.5]. */
TEST(sys_mov_cr_invalid_values)
{
	struct k {
		unsigned snip;   /* 13 CR0, 14 CR4, 15 CR3, 16 CR8 */
		uint64_t v;
		int line;
	} ks[] = {
		{ 13, CR0_LM | (1ull << 32), __LINE__ },         /* CR0[63:32] */
		{ 13, CR0_LM & ~1ull, __LINE__ },                /* PG without PE */
		{ 13, CR0_LM | (1u << 29), __LINE__ },           /* NW without CD */
		{ 13, CR0_LM & ~0x80000000ull, __LINE__ },       /* clear PG in 64-bit mode */
		{ 14, 0x20 | (1u << 11), __LINE__ },             /* UMIP: not offered */
		{ 14, 0x20 | (1u << 17), __LINE__ },             /* PCIDE: not offered */
		{ 14, 0x20 | (1u << 18), __LINE__ },             /* OSXSAVE: no XSAVE */
		{ 14, 0x20 | (1u << 12), __LINE__ },             /* LA57 */
		{ 14, 0x0, __LINE__ },                           /* clear PAE, IA-32e */
		{ 14, 0x20 | (1ull << 32), __LINE__ },
		{ 15, 1ull << 40, __LINE__ },                    /* above MAXPHYADDR */
		{ 15, 1ull << 63, __LINE__ },                    /* no PCIDE: reserved */
		{ 16, 0x10, __LINE__ },                          /* CR8[63:4] */
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		struct kvm_sregs before = th_sregs(&t);
		struct outcome o = run64(&t, ks[i].snip, ks[i].v, 0, 0);
		struct kvm_sregs after = th_sregs(&t);
		if (!faulted(&o, 13, 0, SNIP(ks[i].snip)) || after.cr0 != before.cr0 ||
		    after.cr3 != before.cr3 || after.cr4 != before.cr4 ||
		    after.efer != before.efer)
			test_fail(__FILE__, ks[i].line, "exit %d vec %llu rip 0x%llx",
				  o.exit, (unsigned long long)o.x.vec,
				  (unsigned long long)o.x.rip);
		th_fini(&t);
	}
}

/* Valid writes: reserved CR0[31:0] bits are ignored and ET reads 1
 * [SDM 2.5]; CR4.DE and CR8 read back. */
TEST(sys_mov_cr_valid_values)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 13, (CR0_LM & ~0x10ull) | 0x40 | 0x8, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	o = run64(&t, 14, 0x20 | 0x8 | 0x80, 0, 0); /* PAE DE PGE */
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	o = run64(&t, 15, TH_PML4 | 0x18, 0, 0);    /* PWT PCD */
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	o = run64(&t, 50, 0, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rbx, CR0_LM | 0x8); /* TS set, bit 6 dropped, ET kept */
	EXPECT_EQ(o.r.rcx, 0xa8);
	EXPECT_EQ(o.r.rdx, TH_PML4 | 0x18);
	o = run64(&t, 16, 0xd, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rbx, 0xd);
	th_fini(&t);
}

/* CR1 and CR9 do not exist: #UD; MOV CR at CPL3: #GP(0) (checked first,
 * as KVM's emulator does) [SDM Vol. 2 MOV (CR)]. */
TEST(sys_mov_cr_ud_and_cpl)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 52, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 6, 0, SNIP(52)));
	o = run64(&t, 53, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 6, 0, SNIP(53)));
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	o = run64(&t, 13, CR0_LM, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(13)));
	go_user(&t, true); /* the stub left us at CPL0 */
	o = run64(&t, 52, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(52)));
	th_fini(&t);
}

/* Legacy PAE paging: MOV CR0 that enables paging loads the PDPTEs; a
 * present one with reserved bits set (2:1) is #GP(0) [SDM 4.4.1]. With
 * valid PDPTEs paging comes on and the code keeps running (identity). */
TEST(sys_pae_pdpte_check_32)
{
	for (int bad = 0; bad < 2; bad++) {
		struct th t;
		ASSERT_EQ(sys_setup32(&t), 0);
		const uint64_t pdpt = 0x20000, pd = 0x21000;
		memset(t.mem + pdpt, 0, 0x2000);
		wr64(&t, pdpt, pd | 1 | (bad ? 2 : 0));
		wr64(&t, pd, 0x83); /* 2 MiB at 0: code, stubs, stack */
		struct kvm_sregs s = th_sregs(&t);
		s.cr4 = 0x20;
		s.cr3 = pdpt;
		tg_vcpu_set_sregs(t.vcpu, &s);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(16);
		r.rax = s.cr0 | 0x80000000u;
		tg_vcpu_set_regs(t.vcpu, &r);
		ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
		struct rec x = rec_read(&t);
		if (bad) {
			EXPECT_EQ(x.vec, 13);
			EXPECT_EQ(x.rip, SNIP(16));
			EXPECT_EQ(th_sregs(&t).cr0 >> 31, 0);
		} else {
			EXPECT_EQ(x.vec, 0xffffffff);
			EXPECT_EQ(th_sregs(&t).cr0 >> 31, 1);
			EXPECT_EQ(th_sregs(&t).efer, 0);
		}
		th_fini(&t);
	}
}

/* ---- MOV DR [spec db-semantics.md 1.2-1.5] ---- */

/* With CR4.DE=0, DR4/DR5 alias DR6/DR7 for reads and writes. DR6 keeps
 * the writable bits 0x0000E00F and reads 1 elsewhere (bits 11 and 16 are
 * fixed 1 without bus-lock detection and RTM); DR7 keeps 0xFFFF2BFF and
 * bit 10 reads 1. */
TEST(sys_dr4_dr5_alias)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 17, 0, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rbx, 0xffff0ff0);
	EXPECT_EQ(o.r.rcx, 0xffff0ff0);
	o = run64(&t, 17, 0xffffffff, 0, 0);
	EXPECT_EQ(o.r.rbx, 0xffffeff0 | 0xf);
	EXPECT_EQ(o.r.rcx, 0xffffefff);
	o = run64(&t, 18, 0xffff0300, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rbx, 0xffff0700);
	EXPECT_EQ(o.r.rcx, 0xffff0700);
	o = run64(&t, 18, 0, 0, 0);
	EXPECT_EQ(o.r.rbx, 0x400);
	struct kvm_debugregs d;
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(d.dr6, 0xffffefff);
	EXPECT_EQ(d.dr7, 0x400);
	th_fini(&t);
}

/* With CR4.DE=1 any MOV naming DR4/DR5 is #UD; DR8 never exists; at CPL3
 * MOV DR is #GP(0); bits 63:32 in DR6/DR7 writes are #GP(0). */
TEST(sys_mov_dr_faults)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cr4 |= 8; /* DE */
	tg_vcpu_set_sregs(t.vcpu, &s);
	struct outcome o = run64(&t, 17, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 6, 0, SNIP(17)));
	o = run64(&t, 18, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 6, 0, SNIP(18)));
	o = run64(&t, 51, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 6, 0, SNIP(51)));
	/* DR6 (third MOV of snippet 49) with bit 32: #GP(0), DR0 and DR7
	 * already written */
	o = run64(&t, 49, 0xffff800000001000ull, 0x400, 1ull << 32);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(49) + 6));
	o = run64(&t, 49, 0, 1ull << 32, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(49) + 3));
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	o = run64(&t, 49, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(49)));
	th_fini(&t);
}

/* DR0-DR3 hold full 64-bit addresses in 64-bit mode. */
TEST(sys_mov_dr0_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 49, 0xffff800012345678ull, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rdx, 0xffff800012345678ull);
	EXPECT_EQ(o.r.rsi, 0x400);
	EXPECT_EQ(o.r.rdi, 0xffff0ff0);
	th_fini(&t);
}

/* ---- descriptor-table registers ---- */

/* SGDT/SIDT store limit and 8-byte base in 64-bit mode; LGDT loads them
 * [SDM Vol. 2 SGDT, LGDT]. */
TEST(sys_sgdt_sidt_lgdt_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	memset(t.mem + 0x5000, 0xcc, 0x40);
	uint16_t lim = 0x1234;
	uint64_t base = 0xffff800000001000ull;
	memcpy(t.mem + 0x5100, &lim, 2);
	memcpy(t.mem + 0x5102, &base, 8);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(28);
	r.rdi = 0x5000;
	r.rsi = 0x5100;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	uint16_t l;
	memcpy(&l, t.mem + 0x5000, 2);
	EXPECT_EQ(l, GDT_LIMIT);
	EXPECT_EQ(rd64(&t, 0x5002), TH_GDT);
	EXPECT_EQ(t.mem[0x500a], 0xcc); /* 10 bytes only */
	memcpy(&l, t.mem + 0x5010, 2);
	EXPECT_EQ(l, 0xfff);
	EXPECT_EQ(rd64(&t, 0x5012), TH_IDT);
	memcpy(&l, t.mem + 0x5020, 2);
	EXPECT_EQ(l, 0x1234);
	EXPECT_EQ(rd64(&t, 0x5022), base);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.gdt.base, base);
	EXPECT_EQ(s.gdt.limit, 0x1234);
	th_fini(&t);
}

/* LGDT with a non-canonical base in 64-bit mode, and LGDT at CPL3:
 * #GP(0) (SGDT before it works at CPL3: no UMIP). */
TEST(sys_lgdt_faults_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	uint64_t base = 0x0000800000000000ull;
	memcpy(t.mem + 0x5102, &base, 8);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(28);
	r.rdi = 0x5000;
	r.rsi = 0x5100;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.rip, SNIP(28) + 7);
	EXPECT_EQ(th_sregs(&t).gdt.base, TH_GDT);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	r = th_regs(&t);
	r.rip = SNIP(28);
	r.rdi = 0x5000;
	r.rsi = 0x5100;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.rip, SNIP(28) + 7);
	EXPECT_EQ(rd64(&t, 0x5002), TH_GDT);
	th_fini(&t);
}

/* LTR: loads TR from an available 64-bit TSS (16-byte descriptor) and
 * marks it busy; LTR of a busy TSS, of a null selector or of a data
 * segment faults [SDM Vol. 2 LTR]. STR r32 zero-extends. */
TEST(sys_ltr_str_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	/* TSS at 0x38 is available (type 9) in the harness's GDT */
	struct outcome o = run64(&t, 29, 0, TH_SEL_TSS, ~0ull);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rcx, TH_SEL_TSS);
	EXPECT_EQ((rd64(&t, TH_GDT + TH_SEL_TSS) >> 40) & 0xf, 0xb);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.tr.selector, TH_SEL_TSS);
	EXPECT_EQ(s.tr.base, TH_TSS);
	EXPECT_EQ(s.tr.limit, 0x67);
	EXPECT_EQ(s.tr.type, 0xb);
	/* again: now busy */
	o = run64(&t, 29, 0, TH_SEL_TSS, 0);
	EXPECT_TRUE(faulted(&o, 13, TH_SEL_TSS, SNIP(29)));
	o = run64(&t, 29, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(29)));
	o = run64(&t, 29, 0, TH_SEL_DATA, 0);
	EXPECT_TRUE(faulted(&o, 13, TH_SEL_DATA, SNIP(29)));
	/* not present: #NP(sel) */
	wr64(&t, TH_GDT + 0x50, 0x0000090000000067ull | ((uint64_t)TH_TSS << 16));
	wr64(&t, TH_GDT + 0x58, 0);
	o = run64(&t, 29, 0, 0x50, 0);
	EXPECT_TRUE(faulted(&o, 11, 0x50, SNIP(29)));
	th_fini(&t);
}

/* LLDT with a 16-byte LDT descriptor (base bits 63:32 from the second
 * quadword), SLDT; LLDT of a null selector leaves LDTR unusable
 * [SDM Vol. 2 LLDT, SLDT]. */
TEST(sys_lldt_sldt_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	wr64(&t, TH_GDT + 0x60, 0x00008200400000ffull);
	wr64(&t, TH_GDT + 0x68, 0xffff8000ull);
	struct outcome o = run64(&t, 46, 0, 0x60, ~0ull);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rcx, 0x60);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.ldt.base, 0xffff800000004000ull);
	EXPECT_EQ(s.ldt.limit, 0xff);
	EXPECT_EQ(s.ldt.unusable, 0);
	o = run64(&t, 46, 0, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(th_sregs(&t).ldt.unusable, 1);
	/* a TSS is not an LDT: #GP(sel) */
	o = run64(&t, 46, 0, TH_SEL_TSS, 0);
	EXPECT_TRUE(faulted(&o, 13, TH_SEL_TSS, SNIP(46)));
	/* TI=1: #GP(sel) */
	o = run64(&t, 46, 0, 0x64, 0);
	EXPECT_TRUE(faulted(&o, 13, 0x64, SNIP(46)));
	th_fini(&t);
}

/* LAR / LSL / VERR / VERW set ZF and never fault on the selector
 * [SDM Vol. 2 LAR, LSL, VERR/VERW]. */
TEST(sys_lar_lsl_verr_verw)
{
	struct k {
		unsigned snip;   /* 30 LAR ecx, 31 LSL edx, 32 VERR, 33 VERW */
		uint16_t sel;
		bool user;
		bool zf;
		uint64_t val;    /* LAR: ECX, LSL: EDX (when zf) */
		int line;
	} ks[] = {
		{ 30, TH_SEL_DATA, false, true, 0x00c09200, __LINE__ },
		{ 30, TH_SEL_CODE64, false, true, 0x00a09a00, __LINE__ },
		{ 31, TH_SEL_DATA, false, true, 0xffffffff, __LINE__ },
		{ 31, TH_SEL_TSS, false, true, 0x67, __LINE__ },
		{ 30, 0, false, false, 0, __LINE__ },       /* null */
		{ 30, 0x1f8, false, false, 0, __LINE__ },   /* beyond the limit */
		{ 30, TH_SEL_DATA, true, false, 0, __LINE__ }, /* DPL 0 < CPL 3 */
		{ 30, TH_SEL_UDATA, true, true, 0x00c0f200, __LINE__ },
		{ 32, TH_SEL_DATA, false, true, 0, __LINE__ },
		{ 32, TH_SEL_CODE64, false, true, 0, __LINE__ },  /* readable code */
		{ 33, TH_SEL_CODE64, false, false, 0, __LINE__ }, /* code: not writable */
		{ 33, TH_SEL_DATA, false, true, 0, __LINE__ },
		{ 32, TH_SEL_DATA, true, false, 0, __LINE__ },
		{ 33, TH_SEL_UDATA | 3, true, true, 0, __LINE__ },
		{ 32, TH_SEL_TSS, false, false, 0, __LINE__ },    /* system */
	};
	for (unsigned i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		if (ks[i].user)
			go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(ks[i].snip);
		r.rbx = ks[i].sel;
		r.rcx = r.rdx = 0x5555555555555555ull;
		r.rflags = ks[i].zf ? 2 : 0x42;
		tg_vcpu_set_regs(t.vcpu, &r);
		int e = run_print(&t);
		r = th_regs(&t);
		struct rec x = rec_read(&t);
		/* at CPL3 the HLT after it is #GP(0): flags in the frame */
		uint64_t f = ks[i].user ? x.rflags : r.rflags;
		bool zf = f & 0x40;
		uint64_t dst = ks[i].snip == 30 ? r.rcx : r.rdx;
		bool ok = e == KVM_EXIT_HLT && zf == ks[i].zf &&
			  (ks[i].user ? x.vec == 13 : x.vec == ~0ull);
		if (ks[i].snip <= 31)
			ok = ok && dst == (ks[i].zf ? ks[i].val : 0x5555555555555555ull);
		if (!ok)
			test_fail(__FILE__, ks[i].line, "exit %d zf %d dst 0x%llx vec %llu",
				  e, zf, (unsigned long long)dst,
				  (unsigned long long)x.vec);
		th_fini(&t);
	}
}

/* ---- CR0.TS / EM, CLTS, SMSW ---- */

/* x87 escape with CR0.TS or CR0.EM: #NM [SDM 2.5; 6.15 Interrupt 7].
 * Without them the model has no FPU: an emulation-failure exit. */
TEST(sys_x87_nm_and_unimplemented)
{
	for (int k = 0; k < 3; k++) {
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		struct kvm_sregs s = th_sregs(&t);
		s.cr0 |= k == 0 ? 0x8 : k == 1 ? 0x4 : 0;
		tg_vcpu_set_sregs(t.vcpu, &s);
		set_rip(&t, SNIP(34));
		int e = th_run(&t);
		if (k < 2) {
			EXPECT_EQ(e, KVM_EXIT_HLT);
			struct rec x = rec_read(&t);
			EXPECT_EQ(x.vec, 7);
			EXPECT_EQ(x.rip, SNIP(34));
		} else {
			EXPECT_EQ(e, KVM_EXIT_INTERNAL_ERROR);
			EXPECT_EQ(t.run->emulation_failure.suberror,
				  KVM_INTERNAL_ERROR_EMULATION);
			EXPECT_EQ(th_regs(&t).rip, SNIP(34));
		}
		th_fini(&t);
	}
}

/* CLTS clears CR0.TS (CPL0 only); SMSW stores CR0: r32 gets the low 32
 * bits, r16 merges [SDM Vol. 2 CLTS, SMSW]. */
TEST(sys_clts_smsw)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cr0 |= 0x8;
	tg_vcpu_set_sregs(t.vcpu, &s);
	struct outcome o = run64(&t, 44, ~0ull, 0xffffffffffff0000ull, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rax, CR0_LM | 0x8);
	EXPECT_EQ(o.r.rbx, 0xffffffffffff0000ull | 0x3b);
	o = run64(&t, 45, 0, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(th_sregs(&t).cr0, CR0_LM);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	o = run64(&t, 45, 0, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(45)));
	th_fini(&t);
}

/* LMSW loads CR0 bits 3:0 but cannot clear PE [SDM Vol. 2 LMSW]. */
TEST(sys_lmsw)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 55, 0xfff0, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(th_sregs(&t).cr0, CR0_LM & ~0x2ull);
	o = run64(&t, 55, 0xc, 0, 0); /* EM TS */
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(th_sregs(&t).cr0, (CR0_LM & ~0x2ull) | 0xc);
	th_fini(&t);
}

/* ---- FS/GS base, INVLPG ---- */

/* WRFSBASE/RDFSBASE with CR4.FSGSBASE; without it #UD; a non-canonical
 * base is #GP(0) [SDM Vol. 2 RDFSBASE, WRFSBASE]. */
TEST(sys_fsgsbase)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 41, 0x7000000, 0, 0);
	EXPECT_TRUE(faulted(&o, 6, 0, SNIP(41)));
	struct kvm_sregs s = th_sregs(&t);
	s.cr4 |= 1u << 16;
	tg_vcpu_set_sregs(t.vcpu, &s);
	o = run64(&t, 41, 0xffff800000007000ull, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.r.rbx, 0xffff800000007000ull);
	EXPECT_EQ(th_sregs(&t).fs.base, 0xffff800000007000ull);
	o = run64(&t, 41, 0x0000800000000000ull, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(41)));
	th_fini(&t);
}

/* INVLPG drops the translation: after the guest's page-table change and
 * INVLPG, the new mapping is used [SDM 4.10.4.1]; at CPL3 #GP(0). */
TEST(sys_invlpg)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	t.mem[0x400000] = 0x44;
	t.mem[0x600000] = 0x66;
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(54);
	r.rax = 0x600000;
	r.rbx = 0;
	r.rcx = TH_PML4 + 0x2000 + 3 * 8; /* PDE for 0x600000 */
	r.rdx = 0x400000 | 0x87;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rbx & 0xffff, 0x4466);
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	struct outcome o = run64(&t, 42, 0x600000, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(42)));
	th_fini(&t);
}

/* LGDT with a 16-bit operand size keeps 24 bits of the base [SDM Vol. 2
 * LGDT]. */
TEST(sys_lgdt_16bit_operand_32)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	uint16_t lim = 0x77;
	uint32_t base = 0xab123456;
	memcpy(t.mem + 0x5000, &lim, 2);
	memcpy(t.mem + 0x5002, &base, 4);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(18);
	r.rax = 0x5000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.gdt.base, 0x123456);
	EXPECT_EQ(s.gdt.limit, 0x77);
	th_fini(&t);
}

/* CR0.PG with EFER.LME=1 but CR4.PAE=0: #GP(0), IA-32e mode stays off
 * [SDM 9.8.5; Vol. 2 MOV (CR)]. */
TEST(sys_cr0_pg_lme_needs_pae)
{
	struct th t;
	ASSERT_EQ(sys_setup32(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.efer = 0x100; /* LME */
	tg_vcpu_set_sregs(t.vcpu, &s);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(16);
	r.rax = s.cr0 | 0x80000000u;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 13);
	EXPECT_EQ(x.err, 0);
	EXPECT_EQ(x.rip, SNIP(16));
	s = th_sregs(&t);
	EXPECT_EQ(s.efer, 0x100);
	EXPECT_EQ(s.cr0 >> 31, 0);
	th_fini(&t);
}

/* LFENCE/MFENCE/SFENCE, CLFLUSH, WBINVD, INVD: no architectural effect at
 * CPL0; CLFLUSH checks its operand like a byte read (non-canonical:
 * #GP(0)); WBINVD at CPL3 is #GP(0) [SDM Vol. 2 for each]. */
TEST(sys_fences_clflush_wbinvd)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct outcome o = run64(&t, 60, 0x5000, 0, 0);
	ASSERT_EQ(o.exit, KVM_EXIT_HLT);
	EXPECT_EQ(o.x.vec, ~0ull);
	EXPECT_EQ(o.r.rip, SNIP(60) + 17);
	o = run64(&t, 60, 0x0000800000000000ull, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(60) + 9));
	th_fini(&t);

	ASSERT_EQ(sys_setup64(&t), 0);
	go_user(&t, true);
	o = run64(&t, 60, 0x5000, 0, 0);
	EXPECT_TRUE(faulted(&o, 13, 0, SNIP(60) + 12));
	th_fini(&t);
}
