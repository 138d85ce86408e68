/* Segment register loads (src/cpu/seg.c, sys_seg.c): every protected-mode
 * check with its exact exception and error code, null selectors, the
 * accessed bit, MOV from Sreg, PUSH/POP Sreg, LSS. Faults are delivered
 * through the guest IDT to stubs that record vector, error code and RIP. */
#include "test_sys.h"

/* Extra GDT entries used below (selectors). */
enum {
	G_NP = 0x50,      /* data DPL0, not present */
	G_XONLY = 0x58,   /* code, execute-only */
	G_RO = 0x60,      /* data, read-only */
	G_D3 = 0x68,      /* data DPL3 */
	G_LDT = 0x70,     /* LDT descriptor (system) */
	G_CCONF = 0x78,   /* readable conforming code DPL0 */
	G_CNC = 0x80,     /* readable non-conforming code DPL0 */
	G_FRESH = 0x88,   /* data DPL0, accessed bit clear */
	G_FSBASE = 0x90,  /* data, base 0x12345000 */
};

static void add_descs(struct th *t)
{
	gdt_set(t, G_NP, mkdesc(0, 0xfffff, 3, 1, 0, 0, 0, 1, 1));
	gdt_set(t, G_XONLY, mkdesc(0, 0xfffff, 9, 1, 0, 1, 0, 1, 1));
	gdt_set(t, G_RO, mkdesc(0, 0xfffff, 1, 1, 0, 1, 0, 1, 1));
	gdt_set(t, G_D3, flat_data(3, 3));
	gdt_set(t, G_LDT, mkdesc(0x4000, 0xff, 2, 0, 0, 1, 0, 0, 0));
	gdt_set(t, G_CCONF, mkdesc(0, 0xfffff, 0xf, 1, 0, 1, 0, 1, 1));
	gdt_set(t, G_CNC, mkdesc(0, 0xfffff, 0xb, 1, 0, 1, 0, 1, 1));
	gdt_set(t, G_FRESH, flat_data(2, 0));
	gdt_set(t, G_FSBASE, mkdesc(0x12345000, 0xfffff, 3, 1, 0, 1, 0, 1, 1));
}

enum { S_DS_ = 0, S_SS_ = 1, S_ES_ = 2, S_FS_ = 3, S_GS_ = 4 };

struct segcase {
	unsigned snip;   /* which MOV Sreg snippet (SNIP 0..4) */
	uint16_t sel;
	bool user;       /* run at CPL3 */
	int vec;         /* expected exception, or -1: loads and HLTs */
	uint32_t err;
	unsigned off;    /* RIP of the exception, from the snippet */
	int line;
};

/* A load that succeeds at CPL3 ends in #GP(0) on the HLT after it (+2). */
#define OK_USER 13, 0, 2
/* [SDM Vol. 2 MOV, Protected Mode Exceptions; 64-bit Mode Exceptions] */
static const struct segcase cases[] = {
	/* not present: #NP(sel) for data registers, #SS(sel) for SS */
	{ S_DS_, G_NP, false, 11, G_NP, 0, __LINE__ },
	{ S_ES_, G_NP, false, 11, G_NP, 0, __LINE__ },
	{ S_FS_, G_NP, false, 11, G_NP, 0, __LINE__ },
	{ S_GS_, G_NP, false, 11, G_NP, 0, __LINE__ },
	{ S_SS_, G_NP, false, 12, G_NP, 0, __LINE__ },
	/* execute-only code is not readable: #GP(sel) */
	{ S_DS_, G_XONLY, false, 13, G_XONLY, 0, __LINE__ },
	/* SS must be a writable data segment: #GP(sel) */
	{ S_SS_, G_RO, false, 13, G_RO, 0, __LINE__ },
	{ S_SS_, G_CNC, false, 13, G_CNC, 0, __LINE__ },
	{ S_DS_, G_RO, false, -1, 0, 0, __LINE__ },
	/* SS: DPL != CPL, RPL != CPL: #GP(sel), RPL bits not in the code */
	{ S_SS_, G_D3, false, 13, G_D3, 0, __LINE__ },
	{ S_SS_, TH_SEL_DATA | 3, false, 13, TH_SEL_DATA, 0, __LINE__ },
	{ S_SS_, G_D3 | 3, true, OK_USER, __LINE__ },
	/* data: DPL below CPL or below RPL: #GP(sel) */
	{ S_DS_, TH_SEL_DATA, true, 13, TH_SEL_DATA, 0, __LINE__ },
	{ S_DS_, TH_SEL_DATA | 1, false, 13, TH_SEL_DATA, 0, __LINE__ },
	{ S_DS_, G_D3 | 3, false, -1, 0, 0, __LINE__ },
	/* readable code: conforming skips the privilege check, not the
	 * non-conforming one */
	{ S_DS_, G_CCONF | 3, true, OK_USER, __LINE__ },
	{ S_DS_, G_CNC, true, 13, G_CNC, 0, __LINE__ },
	/* system descriptor: #GP(sel) */
	{ S_DS_, G_LDT, false, 13, G_LDT, 0, __LINE__ },
	{ S_SS_, G_LDT, false, 13, G_LDT, 0, __LINE__ },
	/* beyond the GDT limit (0xff): #GP(sel with RPL cleared) */
	{ S_DS_, 0x103, false, 13, 0x100, 0, __LINE__ },
	{ S_SS_, 0x100, false, 13, 0x100, 0, __LINE__ },
	/* TI=1 with an unusable LDT: the selector is outside the table */
	{ S_DS_, 0x0c, false, 13, 0x0c, 0, __LINE__ },
	/* null: DS/ES/FS/GS load it; SS only in 64-bit mode at CPL<3 with
	 * RPL = CPL, otherwise #GP(0) */
	{ S_DS_, 0, false, -1, 0, 0, __LINE__ },
	{ S_GS_, 3, true, OK_USER, __LINE__ },
	{ S_SS_, 0, false, -1, 0, 0, __LINE__ },
	{ S_SS_, 3, false, 13, 0, 0, __LINE__ },
	{ S_SS_, 3, true, 13, 0, 0, __LINE__ },
};

TEST(seg_load_checks_64)
{
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct segcase *k = &cases[i];
		struct th t;
		ASSERT_EQ(sys_setup64(&t), 0);
		add_descs(&t);
		if (k->user)
			go_user(&t, true);
		struct kvm_regs r = th_regs(&t);
		r.rip = SNIP(k->snip);
		r.rbx = k->sel;
		tg_vcpu_set_regs(t.vcpu, &r);
		int e = run_print(&t);
		struct rec x = rec_read(&t);
		if (k->vec < 0) {
			/* loaded, then HLT at CPL0: RIP after the HLT */
			if (e != KVM_EXIT_HLT || th_regs(&t).rip != SNIP(k->snip) + 3 ||
			    x.vec != ~0ull)
				test_fail(__FILE__, k->line, "case %u: expected HLT, exit %d",
					  i, e);
		} else if (e != KVM_EXIT_HLT || x.vec != (uint64_t)k->vec ||
			   x.err != k->err || x.rip != SNIP(k->snip) + k->off) {
			test_fail(__FILE__, k->line,
				  "case %u: exit %d vec %llu err 0x%llx rip 0x%llx, "
				  "expected vec %d err 0x%x rip 0x%llx", i, e,
				  (unsigned long long)x.vec, (unsigned long long)x.err,
				  (unsigned long long)x.rip, k->vec, k->err,
				  (unsigned long long)(SNIP(k->snip) + k->off));
		}
		th_fini(&t);
	}
}

/* A successful load sets the descriptor's accessed bit in the GDT and
 * fills the cache from the descriptor [SDM 3.4.5.1, 5.10]. */
TEST(seg_load_sets_accessed_and_cache)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	add_descs(&t);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(S_FS_);
	r.rbx = G_FSBASE;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.fs.selector, G_FSBASE);
	EXPECT_EQ(s.fs.base, 0x12345000);
	EXPECT_EQ(s.fs.limit, 0xffffffff);
	EXPECT_EQ(s.fs.type, 3);
	EXPECT_EQ(s.fs.db, 1);
	EXPECT_EQ(s.fs.unusable, 0);

	r = th_regs(&t);
	r.rip = SNIP(S_ES_);
	r.rbx = G_FRESH;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ((rd64(&t, TH_GDT + G_FRESH) >> 40) & 0xf, 3); /* type 2 -> 3 */
	EXPECT_EQ(th_sregs(&t).es.type, 3);
	th_fini(&t);
}

/* A null selector makes DS unusable (Intel clears the base); in 64-bit
 * mode SS may be null at CPL0 with RPL 0 and stays usable for the stack
 * [SDM Vol. 2 MOV; 3.4.4]. */
TEST(seg_null_selectors_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(S_FS_);
	r.rbx = 0;
	tg_vcpu_set_regs(t.vcpu, &r);
	struct kvm_sregs s = th_sregs(&t);
	s.fs.base = 0x5000;
	tg_vcpu_set_sregs(t.vcpu, &s);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.fs.selector, 0);
	EXPECT_EQ(s.fs.unusable, 1);
	EXPECT_EQ(s.fs.base, 0);

	set_rip(&t, SNIP(S_SS_));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	s = th_sregs(&t);
	EXPECT_EQ(s.ss.selector, 0);
	EXPECT_EQ(s.ss.dpl, 0); /* CPL stays 0 */
	/* the stack still works: POP FS with a pushed null selector */
	r = th_regs(&t);
	r.rip = SNIP(5);
	r.rbx = G_FSBASE;
	tg_vcpu_set_regs(t.vcpu, &r);
	add_descs(&t);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_sregs(&t).fs.base, 0x12345000);
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK);
	th_fini(&t);
}

/* POP FS that faults leaves RSP unchanged; the error code is the popped
 * selector [SDM Vol. 2 POP]. */
TEST(seg_pop_fs_fault_keeps_rsp)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	add_descs(&t);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(5);
	r.rbx = G_NP;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 11);
	EXPECT_EQ(x.err, G_NP);
	EXPECT_EQ(x.rip, SNIP(5) + 1);   /* the POP FS, after PUSH RBX */
	EXPECT_EQ(x.rsp, TH_STACK - 8);  /* the pushed selector still there */
	th_fini(&t);
}

/* MOV r/m, Sreg: a register destination gets the selector zero-extended
 * with a 32/64-bit operand size, a 16-bit one merges; memory gets 16 bits
 * [SDM Vol. 2 MOV]. */
TEST(seg_mov_from_sreg_widths)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(6);
	r.rax = r.rcx = r.rdx = ~0ull;
	r.rdi = 0x5000;
	tg_vcpu_set_regs(t.vcpu, &r);
	wr64(&t, 0x5000, 0x1111111111111111ull);
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, TH_SEL_DATA);
	EXPECT_EQ(r.rcx, 0xffffffffffff0000ull | TH_SEL_DATA);
	EXPECT_EQ(r.rdx, TH_SEL_DATA);
	EXPECT_EQ(rd64(&t, 0x5000), 0x1111111111110000ull | TH_SEL_DATA);
	th_fini(&t);
}

/* PUSH FS (64-bit) writes the selector with a 16-bit store into an 8-byte
 * slot, leaving bits 63:16 (Intel, [SDM Vol. 2 PUSH]); PUSHW GS moves RSP
 * by 2. */
TEST(seg_push_sreg_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	add_descs(&t);
	struct kvm_sregs s = th_sregs(&t);
	s.fs.selector = G_FSBASE;
	s.gs.selector = G_D3;
	tg_vcpu_set_sregs(t.vcpu, &s);
	wr64(&t, TH_STACK - 8, 0xaaaaaaaaaaaaaaaaull);
	set_rip(&t, SNIP(40));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK - 10);
	EXPECT_EQ(rd64(&t, TH_STACK - 8), 0xaaaaaaaaaaaa0000ull | G_FSBASE);
	EXPECT_EQ(rd64(&t, TH_STACK - 16) >> 48, G_D3);
	th_fini(&t);
}

/* LSS r32, m16:32 in 64-bit mode: ESP zero-extended into RSP, SS loaded.
 * LSS opens no interrupt shadow (only MOV SS / POP SS do [SDM 6.8.3]). */
TEST(seg_lss_64)
{
	struct th t;
	ASSERT_EQ(sys_setup64(&t), 0);
	add_descs(&t);
	struct kvm_regs r = th_regs(&t);
	r.rip = SNIP(39);
	r.rax = 0x5000;
	r.rsp = 0xffffffff00000000ull;
	tg_vcpu_set_regs(t.vcpu, &r);
	wr64(&t, 0x5000, 0x70000 | ((uint64_t)G_FRESH << 32));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rsp, 0x70000);
	EXPECT_EQ(th_sregs(&t).ss.selector, G_FRESH);
	/* a faulting LSS loads neither */
	r.rip = SNIP(39);
	r.rsp = 0x1234;
	tg_vcpu_set_regs(t.vcpu, &r);
	wr64(&t, 0x5000, 0x70000 | ((uint64_t)G_NP << 32));
	ASSERT_EQ(run_print(&t), KVM_EXIT_HLT);
	struct rec x = rec_read(&t);
	EXPECT_EQ(x.vec, 12);
	EXPECT_EQ(x.err, G_NP);
	EXPECT_EQ(x.rsp, 0x1234);
	th_fini(&t);
}
