/* Interrupt delivery and IRET (src/cpu/intr.c): INT n, INT3, INTO, ICEBP
 * through 64-bit, 32-bit and real-mode tables and from virtual-8086 mode,
 * with the pushed frames checked word by word, and the faults delivery
 * and IRET raise with their exact error codes.
 *
 * The guests (guests/asm/intr_probe*.S) are probes at fixed offsets and
 * handler tables whose handlers stop at a HLT (KVM_EXIT_HLT), so the host
 * reads the frame from guest memory, then runs again to IRET back. */
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_intr_probe64[], guest_intr_probe64_end[];
extern const uint8_t guest_intr_probe32[], guest_intr_probe32_end[];
extern const uint8_t guest_intr_probe16[], guest_intr_probe16_end[];

#define P(off) (TH_CODE + (off))
#define TBL (TH_CODE + 0x1000) /* handler v at TBL + 4v: hlt; iret */
#define ETBL (TH_CODE + 0x800) /* handler v at ETBL + 8v: hlt; pop err; iret */
#define HLT_AT(addr) ((addr) + 1) /* KVM_EXIT_HLT leaves RIP after the HLT */


/* One KVM_RUN; an internal error (an instruction the model lacks, an
 * event it cannot deliver) is printed so a failure says where it stopped. */
static int run(struct th *t)
{
	int r = th_run(t);
	if (r == KVM_EXIT_INTERNAL_ERROR) {
		struct kvm_regs g = th_regs(t);
		printf("    internal error: suberror %u at RIP=0x%llx, bytes %02x %02x %02x\n",
		       t->run->internal.suberror, (unsigned long long)g.rip,
		       t->run->emulation_failure.insn_bytes[0],
		       t->run->emulation_failure.insn_bytes[1],
		       t->run->emulation_failure.insn_bytes[2]);
	}
	return r;
}

static void set_regs(struct th *t, uint64_t rip, uint64_t rsp, uint64_t rflags)
{
	struct kvm_regs r = th_regs(t);
	r.rip = rip;
	r.rsp = rsp;
	r.rflags = rflags;
	tg_vcpu_set_regs(t->vcpu, &r);
}

static struct kvm_segment useg(uint16_t sel, uint8_t type, bool l, bool db)
{
	return (struct kvm_segment){ .selector = sel, .type = type, .present = 1,
				     .dpl = sel & 3, .s = 1, .l = l, .db = db,
				     .limit = 0xffffffff, .g = 1 };
}

/* CPL3 with the harness's user selectors (64-bit or 32-bit code). */
static void to_user(struct th *t, bool code64)
{
	struct kvm_sregs s = th_sregs(t);
	s.cs = code64 ? useg(TH_SEL_UCODE64, 11, 1, 0) : useg(TH_SEL_UCODE32, 11, 0, 1);
	s.ss = s.ds = s.es = s.fs = s.gs = useg(TH_SEL_UDATA, 3, 0, 1);
	tg_vcpu_set_sregs(t->vcpu, &s);
}

/* Extra GDT descriptors at 0x50 and up (the harness's table ends at 0x4f). */
static void gdt_extra(struct th *t, uint16_t sel, uint64_t desc)
{
	th_wr64(t, TH_GDT + sel, desc);
	struct kvm_sregs s = th_sregs(t);
	if (s.gdt.limit < sel + 7)
		s.gdt.limit = sel + 7;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

static void set_idt_limit(struct th *t, uint16_t limit)
{
	struct kvm_sregs s = th_sregs(t);
	s.idt.limit = limit;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

static bool has_error_code(int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

/* ---- 64-bit ---- */

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

/* INT n through a 64-bit interrupt gate at CPL0: RSP aligned down to 16,
 * then SS, RSP, RFLAGS, CS, RIP pushed as 8-byte values; IF, TF cleared
 * [SDM 6.14.2, Figure 6-9; SDM Vol. 2 INT n]. IRETQ restores all of them
 * [SDM Vol. 2 IRET]. */
TEST(intr_int_iretq_frame_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0)), 0);
	set_regs(&t, P(0), TH_STACK - 8, 0x247); /* misaligned RSP; IF ZF PF CF */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x40));
	EXPECT_EQ(s.cs.selector, TH_SEL_CODE64);
	EXPECT_EQ(s.ss.selector, TH_SEL_DATA); /* no privilege change */
	EXPECT_EQ(r.rflags, 0x47);             /* interrupt gate: IF=0 */
	uint64_t top = TH_STACK - 16;          /* aligned down */
	EXPECT_EQ(r.rsp, top - 40);
	EXPECT_EQ(th_rd64(&t, top - 8), TH_SEL_DATA);    /* SS */
	EXPECT_EQ(th_rd64(&t, top - 16), TH_STACK - 8);  /* RSP */
	EXPECT_EQ(th_rd64(&t, top - 24), 0x247);         /* RFLAGS */
	EXPECT_EQ(th_rd64(&t, top - 32), TH_SEL_CODE64); /* CS */
	EXPECT_EQ(th_rd64(&t, top - 40), P(2));          /* RIP after INT */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(P(2)));
	EXPECT_EQ(r.rsp, TH_STACK - 8);
	EXPECT_EQ(r.rflags, 0x247);
	th_fini(&t);
}

/* A trap gate leaves IF set; TF is cleared either way [SDM 6.12.1.3]. */
TEST(intr_trap_gate_keeps_if_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0)), 0);
	th_gate64(&t, 0x40, TBL + 4 * 0x40, 15, 0, 0);
	set_regs(&t, P(0), TH_STACK, 0x202);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x40));
	EXPECT_EQ(r.rflags, 0x202);
	EXPECT_EQ(th_rd64(&t, TH_STACK - 24), 0x202);
	th_fini(&t);
}

/* INT n from CPL3 through a DPL3 gate to a DPL0 handler: RSP from
 * TSS.RSP0 (aligned to 16), SS becomes a null selector with RPL 0, and
 * the user SS:RSP are pushed [SDM 6.14.4, 6.14.2]. IRETQ returns to CPL3
 * and makes ES null, whose DPL 0 is below the new CPL [SDM Vol. 2 IRET]. */
TEST(intr_cpl3_to_cpl0_rsp0_iretq_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x40)), 0);
	th_gate64(&t, 0x80, TBL + 4 * 0x80, 14, 3, 0);
	th_wr64(&t, TH_TSS + 4, 0x60008); /* RSP0, not aligned */
	to_user(&t, true);
	struct kvm_sregs s = th_sregs(&t);
	s.es = useg(TH_SEL_DATA, 3, 0, 1); /* a DPL0 segment left in ES */
	tg_vcpu_set_sregs(t.vcpu, &s);
	set_regs(&t, P(0x40), 0x70008, 0x3202); /* IOPL=3 for the final OUT */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	s = th_sregs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x80));
	EXPECT_EQ(s.cs.selector, TH_SEL_CODE64);
	EXPECT_EQ(s.ss.selector, 0);
	EXPECT_EQ(r.rsp, 0x60000 - 40);
	EXPECT_EQ(r.rflags, 0x3002);
	EXPECT_EQ(th_rd64(&t, 0x60000 - 8), TH_SEL_UDATA);
	EXPECT_EQ(th_rd64(&t, 0x60000 - 16), 0x70008);
	EXPECT_EQ(th_rd64(&t, 0x60000 - 24), 0x3202);
	EXPECT_EQ(th_rd64(&t, 0x60000 - 32), TH_SEL_UCODE64);
	EXPECT_EQ(th_rd64(&t, 0x60000 - 40), P(0x42));
	ASSERT_EQ(run(&t), KVM_EXIT_IO); /* the OUT at CPL3 */
	EXPECT_EQ(t.run->io.port, 0x10);
	r = th_regs(&t);
	s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, TH_SEL_UCODE64);
	EXPECT_EQ(s.ss.selector, TH_SEL_UDATA);
	EXPECT_EQ(r.rsp, 0x70008);
	EXPECT_EQ(r.rflags, 0x3202);
	EXPECT_EQ(s.es.selector, 0);
	EXPECT_EQ(s.ds.selector, TH_SEL_UDATA);
	th_fini(&t);
}

/* A gate with IST=n switches to TSS.ISTn even without a privilege change;
 * SS is not loaded [SDM 6.14.5]. */
TEST(intr_ist_stack_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0)), 0);
	th_gate64(&t, 0x40, TBL + 4 * 0x40, 14, 0, 3);
	th_wr64(&t, TH_TSS + 0x24 + 2 * 8, 0x50008); /* IST3 at 0x34 */
	set_regs(&t, P(0), TH_STACK - 0x100, 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x40));
	EXPECT_EQ(r.rsp, 0x50000 - 40);
	EXPECT_EQ(th_sregs(&t).ss.selector, TH_SEL_DATA);
	EXPECT_EQ(th_rd64(&t, 0x50000 - 8), TH_SEL_DATA);
	EXPECT_EQ(th_rd64(&t, 0x50000 - 16), TH_STACK - 0x100);
	EXPECT_EQ(th_rd64(&t, 0x50000 - 40), P(2));
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK - 0x100);
	th_fini(&t);
}

/* INT3 pushes the address after the one-byte INT3 [SDM Vol. 2 INT3];
 * software interrupts push RF=0 [SDM 17.3.1.1]. */
TEST(intr_int3_return_address_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x10)), 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 3));
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x11));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0x11)));
	th_fini(&t);
}

/* ICEBP (INT1): vector 1 after the instruction, as a privileged software
 * exception: the gate's DPL is not checked, it adds no DR6 cause bits, and
 * entering the #DB handler clears DR7.GD [SDM Vol. 2 INT1; SDM 17.2.4;
 * spec 2.1]. B0-B3 follow the payload rule of every #DB (replaced, here by
 * nothing): KVM's behaviour and our UNVERIFIED choice (spec 2.4,
 * guests/conform/UNVERIFIED.md). */
TEST(intr_icebp_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x20)), 0);
	th_gate64(&t, 1, TBL + 4, 14, 0, 0); /* DPL0 gate, called from CPL3 */
	to_user(&t, true);
	set_regs(&t, P(0x20), 0x70000, 0x2);
	struct kvm_debugregs d = { .dr6 = 0xffff0ff1, .dr7 = 0x2400 };
	ASSERT_EQ(tg_vcpu_set_debugregs(t.vcpu, &d), 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4));
	EXPECT_EQ(th_rd64(&t, r.rsp), P(0x21));
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), TH_SEL_UCODE64);
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(d.dr6, 0xffff0ff0);
	EXPECT_EQ(d.dr7, 0x400);
	th_fini(&t);
}

/* INT n from CPL3 through a DPL0 gate: #GP with error code vector*8+2
 * (IDT bit set, EXT clear), saved RIP on the INT [SDM 6.12.1.1, 6.13]. */
TEST(intr_soft_int_gate_dpl_gp_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x50)), 0);
	to_user(&t, true);
	set_regs(&t, P(0x50), 0x70000, 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 13));
	EXPECT_EQ(r.rsp, TH_STACK - 48);
	EXPECT_EQ(th_rd64(&t, r.rsp), 0x41 * 8 + 2);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x50));
	EXPECT_EQ(th_rd64(&t, r.rsp + 16), TH_SEL_UCODE64);
	EXPECT_EQ(th_rd64(&t, r.rsp + 24), 0x10002); /* a fault: RF=1 [SDM 17.3.1.1] */
	EXPECT_EQ(th_rd64(&t, r.rsp + 32), 0x70000);
	EXPECT_EQ(th_rd64(&t, r.rsp + 40), TH_SEL_UDATA);
	th_fini(&t);
}

/* A not-present gate: #NP(vector*8+2) for INT n; for an exception the
 * EXT bit is set too: #UD through a not-present gate 6 is #NP(0x33)
 * [SDM 6.13, 6.12.1.1]. */
TEST(intr_gate_not_present_np_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x50)), 0);
	th_wr64(&t, TH_IDT + 0x41 * 16, th_rd64(&t, TH_IDT + 0x41 * 16) & ~(1ull << 47));
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 11));
	EXPECT_EQ(th_rd64(&t, r.rsp), 0x41 * 8 + 2);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x50));
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x30)), 0);
	th_wr64(&t, TH_IDT + 6 * 16, th_rd64(&t, TH_IDT + 6 * 16) & ~(1ull << 47));
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 11));
	EXPECT_EQ(th_rd64(&t, r.rsp), 6 * 8 + 2 + 1);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x30));
	th_fini(&t);
}

/* A vector beyond the IDT limit: #GP(vector*8+2) [SDM 6.12.1.1]. */
TEST(intr_idt_limit_gp_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0xb0)), 0);
	set_idt_limit(&t, 0xff * 16 - 1);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 13));
	EXPECT_EQ(th_rd64(&t, r.rsp), 0xff * 8 + 2);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0xb0));
	th_fini(&t);
}

/* Gate types: only 64-bit interrupt/trap gates are valid in IA-32e mode;
 * a 32-bit-style task gate (5) or 16-bit gate (6) is #GP(vector*8+2)
 * [SDM 6.14.1]. */
TEST(intr_legacy_gate_type_gp_64)
{
	static const int types[] = { 5, 6, 12, 0 };
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t, P(0x50)), 0);
		th_gate64(&t, 0x41, TBL + 4 * 0x41, types[i], 0, 0);
		ASSERT_EQ(run(&t), KVM_EXIT_HLT);
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 13));
		EXPECT_EQ(th_rd64(&t, r.rsp), 0x41 * 8 + 2);
		th_fini(&t);
	}
}

/* The gate's code segment: a data segment or 32-bit code is #GP(sel)
 * (the handler must be 64-bit code), a not-present one #NP(sel); with EXT
 * set when an exception is being delivered [SDM 6.14.1; Vol. 2 INT n]. */
TEST(intr_gate_code_segment_checks_64)
{
	struct {
		uint16_t sel;
		uint64_t probe;
		int vector, exc;
		uint32_t err;
	} cases[] = {
		{ TH_SEL_DATA, 0x50, 0x41, 13, TH_SEL_DATA },
		{ TH_SEL_CODE32, 0x50, 0x41, 13, TH_SEL_CODE32 },
		{ 0x50, 0x50, 0x41, 11, 0x50 },     /* not present */
		{ 0, 0x50, 0x41, 13, 0 },           /* null */
		{ TH_SEL_DATA, 0x30, 6, 13, TH_SEL_DATA | 1 }, /* #UD: EXT */
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t, P(cases[i].probe)), 0);
		/* 0x50: a 64-bit code segment with P=0 */
		gdt_extra(&t, 0x50, 0x00af1a000000ffffull);
		uint64_t g = th_rd64(&t, TH_IDT + cases[i].vector * 16);
		g = (g & ~0xffff0000ull) | (uint64_t)cases[i].sel << 16;
		th_wr64(&t, TH_IDT + cases[i].vector * 16, g);
		ASSERT_EQ(run(&t), KVM_EXIT_HLT);
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * cases[i].exc));
		EXPECT_EQ(th_rd64(&t, r.rsp), cases[i].err);
		EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(cases[i].probe));
		th_fini(&t);
	}
}

/* A gate into a conforming DPL0 code segment from CPL3 keeps CPL3 and
 * the stack: no privilege change [SDM 6.12.1.1]. */
TEST(intr_conforming_handler_keeps_cpl_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x40)), 0);
	gdt_extra(&t, 0x50, 0x00af9e000000ffffull); /* conforming 64-bit code, DPL0 */
	uint64_t g = th_rd64(&t, TH_IDT + 0x80 * 16);
	g = (g & ~0xffff0000ull) | (0x50ull << 16) | (3ull << 45);
	th_wr64(&t, TH_IDT + 0x80 * 16, g);
	/* The handler runs at CPL3, where HLT faults: point it at the OUT
	 * probe instead (IOPL=3). */
	uint64_t h = P(0x42);
	g = (g & ~0xffffull & ~(0xffffull << 48)) | (h & 0xffff) |
	    ((h >> 16) & 0xffff) << 48;
	th_wr64(&t, TH_IDT + 0x80 * 16, g);
	to_user(&t, true);
	set_regs(&t, P(0x40), 0x70000, 0x3002);
	ASSERT_EQ(run(&t), KVM_EXIT_IO);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, 0x53); /* RPL = CPL = 3 */
	EXPECT_EQ(s.ss.selector, TH_SEL_UDATA);
	EXPECT_EQ(r.rsp, 0x70000 - 40);
	EXPECT_EQ(th_rd64(&t, 0x70000 - 8), TH_SEL_UDATA);
	EXPECT_EQ(th_rd64(&t, 0x70000 - 32), TH_SEL_UCODE64);
	EXPECT_EQ(th_rd64(&t, 0x70000 - 40), P(0x42));
	th_fini(&t);
}

/* IRETQ checks on the frame [SDM Vol. 2 IRET, Protected Mode / 64-bit
 * Mode Exceptions]: null CS #GP(0), CS RPL < CPL #GP(sel), a data
 * segment as CS #GP(sel), CS not present #NP(sel), SS RPL != CS RPL
 * #GP(SS sel), null SS returning to CPL3 #GP(0), non-canonical RIP
 * #GP(0). The saved RIP is the IRETQ. */
TEST(intr_iretq_checks_64)
{
	struct {
		uint64_t rip, cs, ss;
		int exc;
		uint32_t err;
	} cases[] = {
		{ P(0x42), 0, TH_SEL_UDATA, 13, 0 },
		{ P(0x42), TH_SEL_UCODE64 & ~3, TH_SEL_UDATA, 13, 0x20 }, /* DPL 3 != RPL 0 */
		{ P(0x42), TH_SEL_UDATA, TH_SEL_UDATA, 13, TH_SEL_UDATA & ~3 },
		{ P(0x42), 0x53, TH_SEL_UDATA, 11, 0x50 },
		{ P(0x42), TH_SEL_UCODE64, TH_SEL_DATA, 13, TH_SEL_DATA },
		{ P(0x42), TH_SEL_UCODE64, 3, 13, 0 },
		{ 0x0000800000000000ull, TH_SEL_UCODE64, TH_SEL_UDATA, 13, 0 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t, P(0xe0)), 0);
		gdt_extra(&t, 0x50, 0x00af78000000ffffull); /* DPL3 code, P=0 */
		uint64_t sp = 0x60000;
		th_wr64(&t, sp, cases[i].rip);
		th_wr64(&t, sp + 8, cases[i].cs);
		th_wr64(&t, sp + 16, 0x2);
		th_wr64(&t, sp + 24, 0x70000);
		th_wr64(&t, sp + 32, cases[i].ss);
		set_regs(&t, P(0xe0), sp, 0x2);
		ASSERT_EQ(run(&t), KVM_EXIT_HLT);
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * cases[i].exc));
		EXPECT_EQ(th_rd64(&t, r.rsp), cases[i].err);
		EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0xe0));
		th_fini(&t);
	}
}

/* IRETQ to a 32-bit (compatibility-mode) CPL3 segment: the mode follows
 * CS.L, and IRETQ popped SS:RSP [SDM Vol. 2 IRET; SDM 5.8.x]. The OUT
 * encoding is the same in both modes. */
TEST(intr_iretq_to_compat_mode)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0xe0)), 0);
	uint64_t sp = 0x60000;
	th_wr64(&t, sp, P(0x42));
	th_wr64(&t, sp + 8, TH_SEL_UCODE32);
	th_wr64(&t, sp + 16, 0x3002 | 0x10000 | 0x1); /* IOPL3, RF, CF */
	th_wr64(&t, sp + 24, 0x12345678);
	th_wr64(&t, sp + 32, TH_SEL_UDATA);
	set_regs(&t, P(0xe0), sp, 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_IO);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, TH_SEL_UCODE32);
	EXPECT_EQ(s.cs.l, 0);
	EXPECT_EQ(s.ss.selector, TH_SEL_UDATA);
	EXPECT_EQ(r.rsp, 0x12345678);
	EXPECT_EQ(r.rflags & 0x3001, 0x3001);
	EXPECT_EQ(s.ds.selector, 0); /* DPL0 DS made null on the way out */
	th_fini(&t);
}

/* ---- 32-bit protected mode ---- */

static int setup32(struct th *t, uint64_t rip)
{
	int r = th_init(t, TG_BACKEND_MODEL, 8 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_intr_probe32,
		guest_intr_probe32_end - guest_intr_probe32);
	th_prot32(t, rip, TH_STACK);
	for (int v = 0; v < 256; v++)
		th_gate32(t, v, has_error_code(v) ? ETBL + 8 * v : TBL + 4 * v, 14, 0);
	th_wr16(t, TH_TSS + 8, TH_SEL_DATA); /* SS0 (ESP0 = TH_STACK) */
	return 0;
}

/* INT n through a 32-bit interrupt gate at CPL0: EFLAGS, CS, EIP pushed
 * as 32-bit values, no stack switch; IRETD pops them [SDM 6.12.1,
 * Figure 6-4; SDM Vol. 2 IRET]. */
TEST(intr_int_iretd_frame_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0)), 0);
	set_regs(&t, P(0), 0x70002, 0x2c3); /* IF SF ZF CF */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x40));
	EXPECT_EQ(r.rsp, 0x70002 - 12); /* no alignment outside IA-32e mode */
	EXPECT_EQ(r.rflags, 0xc3);
	EXPECT_EQ(th_rd32(&t, 0x70002 - 4), 0x2c3);
	EXPECT_EQ(th_rd16(&t, 0x70002 - 8), TH_SEL_CODE32);
	EXPECT_EQ(th_rd32(&t, 0x70002 - 12), P(2));
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(P(2)));
	EXPECT_EQ(r.rsp, 0x70002);
	EXPECT_EQ(r.rflags, 0x2c3);
	th_fini(&t);
}

/* From CPL3 through the TSS: SS0:ESP0, then SS, ESP, EFLAGS, CS, EIP
 * [SDM 6.12.1, Figure 6-4]. The handler loads a DPL0 selector into ES;
 * IRETD back to CPL3 makes it null [SDM Vol. 2 IRET]. */
TEST(intr_cpl3_to_cpl0_tss_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0x40)), 0);
	th_gate32(&t, 0x80, TBL + 4 * 0x80, 15, 3); /* trap gate, DPL3 */
	to_user(&t, false);
	set_regs(&t, P(0x40), 0x70000, 0x3202);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x80));
	EXPECT_EQ(s.cs.selector, TH_SEL_CODE32);
	EXPECT_EQ(s.ss.selector, TH_SEL_DATA);
	EXPECT_EQ(r.rsp, TH_STACK - 20);
	EXPECT_EQ(r.rflags, 0x3202); /* trap gate: IF kept */
	EXPECT_EQ(th_rd16(&t, TH_STACK - 4), TH_SEL_UDATA);
	EXPECT_EQ(th_rd32(&t, TH_STACK - 8), 0x70000);
	EXPECT_EQ(th_rd32(&t, TH_STACK - 12), 0x3202);
	EXPECT_EQ(th_rd16(&t, TH_STACK - 16), TH_SEL_UCODE32);
	EXPECT_EQ(th_rd32(&t, TH_STACK - 20), P(0x42));
	/* continue in the ES-loading IRET probe */
	r.rip = P(0x80);
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(run(&t), KVM_EXIT_IO);
	r = th_regs(&t);
	s = th_sregs(&t);
	EXPECT_EQ(t.run->io.port, 0x10);
	EXPECT_EQ(s.cs.selector, TH_SEL_UCODE32);
	EXPECT_EQ(s.ss.selector, TH_SEL_UDATA);
	EXPECT_EQ(r.rsp, 0x70000);
	EXPECT_EQ(s.es.selector, 0);
	EXPECT_EQ(s.ds.selector, TH_SEL_UDATA);
	th_fini(&t);
}

/* IRETD to CPL3 with a 16-bit stack segment loads only SP: ESP[31:16]
 * keep the value they had at CPL0 (stack-address size [SDM 6.2.3]; the
 * leak Linux's espfix_64.c works around). */
TEST(intr_iretd_to_16bit_stack_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0x60)), 0);
	gdt_extra(&t, 0x60, 0x0000f2000000ffffull); /* DPL3 data, B=0 */
	uint32_t frame[] = { P(0x42), TH_SEL_UCODE32, 0x3002, 0x12345678, 0x63 };
	for (unsigned k = 0; k < 5; k++)
		th_wr32(&t, 0x60000 + 4 * k, frame[k]);
	set_regs(&t, P(0x60), 0x60000, 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_IO);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.ss.selector, 0x63);
	EXPECT_EQ(s.ss.db, 0);
	EXPECT_EQ(r.rsp, 0x00065678);
	th_fini(&t);
}

/* INTO: #OF (vector 4) after the instruction when OF=1, nothing when
 * OF=0 [SDM Vol. 2 INTO]. */
TEST(intr_into_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0x30)), 0);
	set_regs(&t, P(0x30), TH_STACK, 0x802);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 4));
	EXPECT_EQ(th_rd32(&t, r.rsp), P(0x31));
	EXPECT_EQ(th_rd32(&t, r.rsp + 8), 0x802);
	th_fini(&t);

	ASSERT_EQ(setup32(&t, P(0x30)), 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0x31)));
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK);
	th_fini(&t);
}

/* A 16-bit interrupt gate pushes FLAGS, CS, IP as 16-bit values and
 * jumps to a 16-bit offset; IRET with a 16-bit operand returns
 * [SDM 6.12.1, Figure 6-4 (16-bit gates); SDM Vol. 2 IRET]. */
TEST(intr_16bit_gate_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0)), 0);
	/* The handler must be below 64 KiB: a copy of the IRETW probe. */
	static const uint8_t handler[] = { 0xf4, 0x66, 0xcf }; /* hlt; iretw */
	th_load(&t, 0x5000, handler, sizeof handler);
	th_gate32(&t, 0x40, 0x5000, 6, 0);
	set_regs(&t, P(0), 0x70000, 0x203);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, 0x5001);
	EXPECT_EQ(r.rsp, 0x70000 - 6);
	EXPECT_EQ(r.rflags, 0x3);
	EXPECT_EQ(th_rd16(&t, 0x70000 - 2), 0x203);
	EXPECT_EQ(th_rd16(&t, 0x70000 - 4), TH_SEL_CODE32);
	EXPECT_EQ(th_rd16(&t, 0x70000 - 6), P(2) & 0xffff);
	th_fini(&t);
}

/* Faults on the way to the new stack, delivered to a handler that runs
 * at CPL3 itself (DPL3 code, no stack switch) so the broken TSS entry is
 * not used again [SDM Vol. 2 INT n: INTER-PRIVILEGE-LEVEL-INTERRUPT]:
 * null SS0 #TS(0), SS0 RPL != 0 #TS(sel), SS0 not present #SS(sel), no
 * room on the new stack #SS(sel), SS0 read-only #TS(sel); EXT is 0 for
 * INT n. */
TEST(intr_tss_stack_faults_32)
{
	struct {
		uint16_t ss0;
		uint32_t esp0;
		int exc;
		uint32_t err;
	} cases[] = {
		{ 0, TH_STACK, 10, 0 },
		{ TH_SEL_DATA | 1, TH_STACK, 10, TH_SEL_DATA },
		{ 0x50, TH_STACK, 12, 0x50 },  /* not present */
		{ 0x58, 0x10, 12, 0x58 },      /* limit 0xfff: 20 bytes at 0xc wrap */
		{ 0x60, TH_STACK, 10, 0x60 },  /* read-only data */
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct th t;
		ASSERT_EQ(setup32(&t, P(0x40)), 0);
		gdt_extra(&t, 0x50, 0x00cf12000000ffffull); /* data, P=0 */
		gdt_extra(&t, 0x58, 0x0040920000000fffull); /* data, limit 0xfff */
		gdt_extra(&t, 0x60, 0x00cf90000000ffffull); /* read-only data */
		th_gate32(&t, 0x80, TBL + 4 * 0x80, 14, 3);
		/* the fault's handler: DPL3 code at +0x700 (OUT) */
		for (int v = 10; v <= 12; v++) {
			uint64_t h = P(0x700);
			uint64_t d = (h & 0xffff) | ((uint64_t)TH_SEL_UCODE32 << 16) |
				     (14ull << 40) | (1ull << 47) | (h >> 16) << 48;
			th_wr64(&t, TH_IDT + v * 8, d);
		}
		th_wr16(&t, TH_TSS + 8, cases[i].ss0);
		th_wr32(&t, TH_TSS + 4, cases[i].esp0);
		to_user(&t, false);
		set_regs(&t, P(0x40), 0x70000, 0x3002);
		ASSERT_EQ(run(&t), KVM_EXIT_IO);
		EXPECT_EQ(t.run->io.port, 0x11);
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rsp, 0x70000 - 16);
		EXPECT_EQ(th_rd32(&t, 0x70000 - 16), cases[i].err);
		EXPECT_EQ(th_rd32(&t, 0x70000 - 12), P(0x40));
		EXPECT_EQ(th_rd16(&t, 0x70000 - 8), TH_SEL_UCODE32);
		EXPECT_EQ(th_rd32(&t, 0x70000 - 4), 0x13002); /* fault: RF=1 */
		th_fini(&t);
	}
}

/* IRETD at CPL0 with VM=1 in the popped EFLAGS enters virtual-8086 mode
 * and pops ESP, SS, ES, DS, FS, GS [SDM Vol. 2 IRET RETURN-TO-VIRTUAL-
 * 8086-MODE]. INT n there with IOPL=3 goes to the ring-0 handler through
 * TSS SS0:ESP0, pushing GS, FS, DS, ES, SS, ESP, EFLAGS, CS, EIP and
 * making the data segments null [SDM 20.3.1.1, Figure 20-5]; the
 * handler's IRETD returns to virtual-8086 mode. */
TEST(intr_vm86_int_and_iret)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0x60)), 0);
	th_load(&t, 0x8000, guest_intr_probe16, guest_intr_probe16_end - guest_intr_probe16);
	th_gate32(&t, 0x40, TBL + 4 * 0x40, 14, 3);
	th_gate32(&t, 0x41, TBL + 4 * 0x41, 14, 3);
	uint32_t sp = 0x60000;
	static const uint32_t frame[] = {
		0x30, 0x800, 0x23202, /* EIP, CS, EFLAGS: VM, IOPL=3, IF */
		0x1ffe, 0x6000,       /* ESP, SS: linear 0x61ffe */
		0x1111, 0x2222, 0x3333, 0x4444, /* ES, DS, FS, GS */
	};
	for (unsigned i = 0; i < 9; i++)
		th_wr32(&t, sp + 4 * i, frame[i]);
	set_regs(&t, P(0x60), sp, 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x40));
	EXPECT_EQ(s.cs.selector, TH_SEL_CODE32);
	EXPECT_EQ(s.ss.selector, TH_SEL_DATA);
	EXPECT_EQ(s.ds.selector, 0);
	EXPECT_EQ(s.es.selector, 0);
	EXPECT_EQ(s.fs.selector, 0);
	EXPECT_EQ(s.gs.selector, 0);
	EXPECT_EQ(r.rflags, 0x3002); /* VM, IF cleared */
	EXPECT_EQ(r.rsp, TH_STACK - 36);
	static const uint32_t want[] = {
		0x32, 0x800, 0x23202, 0x1ffe, 0x6000, 0x1111, 0x2222, 0x3333, 0x4444,
	};
	for (unsigned i = 0; i < 9; i++)
		EXPECT_EQ(th_rd32(&t, TH_STACK - 36 + 4 * i) & (i == 0 || i == 2 || i == 3 ? ~0u : 0xffff),
			  want[i]);
	/* IRETD back to virtual-8086 mode, then INT 0x41 */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(TBL + 4 * 0x41));
	EXPECT_EQ(th_rd32(&t, r.rsp), 0x34);
	EXPECT_EQ(th_rd32(&t, r.rsp + 8), 0x23202);
	EXPECT_EQ(th_rd32(&t, r.rsp + 12), 0x1ffe);
	EXPECT_EQ(th_rd32(&t, r.rsp + 20) & 0xffff, 0x1111);
	th_fini(&t);
}

/* INT n in virtual-8086 mode with IOPL < 3 (no VME): #GP(0) to the ring-0
 * handler, with the error code pushed after the VM86 frame [SDM 20.2.7,
 * 20.3.1.1]. */
TEST(intr_vm86_int_iopl_gp)
{
	struct th t;
	ASSERT_EQ(setup32(&t, P(0x60)), 0);
	th_load(&t, 0x8000, guest_intr_probe16, guest_intr_probe16_end - guest_intr_probe16);
	uint32_t sp = 0x60000;
	static const uint32_t frame[] = {
		0x30, 0x800, 0x20202, 0x1ffe, 0x6000, 0, 0, 0, 0,
	};
	for (unsigned i = 0; i < 9; i++)
		th_wr32(&t, sp + 4 * i, frame[i]);
	set_regs(&t, P(0x60), sp, 0x2);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(ETBL + 8 * 13));
	EXPECT_EQ(r.rsp, TH_STACK - 40);
	EXPECT_EQ(th_rd32(&t, r.rsp), 0);
	EXPECT_EQ(th_rd32(&t, r.rsp + 4), 0x30);
	EXPECT_EQ(th_rd32(&t, r.rsp + 12), 0x30202); /* VM, IF, RF */
	th_fini(&t);
}

/* CR4.VME software interrupt redirection [SDM 20.3.3, Table 20-2]:
 * bitmap bit clear: to the 8086 handler through the IVT at linear 0, on
 * the 8086 stack: IOPL=3 clears IF (method 5); IOPL<3 pushes FLAGS with
 * IOPL=3 and VIF in the IF position and clears VIF (method 6). Bit set:
 * IOPL=3 goes to the protected-mode handler (method 3), IOPL<3 is #GP(0)
 * (method 4). The 8086 handler is a HLT, which faults at CPL3: its #GP
 * frame shows where it ran. */
TEST(intr_vm86_vme_redirection)
{
	struct {
		uint32_t eip, eflags;
		uint64_t stop;        /* HLT exit RIP */
		uint32_t frame_eip, frame_eflags, frame_esp;
		uint16_t pushed_flags; /* on the 8086 stack (methods 5, 6) */
	} cases[] = {
		{ 0x30, 0x23202, HLT_AT(ETBL + 8 * 13), 0x1100, 0x33002, 0x1ff8, 0x3202 },
		{ 0x30, 0xa0202, HLT_AT(ETBL + 8 * 13), 0x1100, 0x30202, 0x1ff8, 0x3202 },
		{ 0x32, 0x23202, HLT_AT(TBL + 4 * 0x41), 0x34, 0x23202, 0x1ffe, 0 },
		{ 0x32, 0xa0202, HLT_AT(ETBL + 8 * 13), 0x32, 0xb0202, 0x1ffe, 0 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct th t;
		ASSERT_EQ(setup32(&t, P(0x60)), 0);
		th_load(&t, 0x8000, guest_intr_probe16, guest_intr_probe16_end - guest_intr_probe16);
		th_gate32(&t, 0x41, TBL + 4 * 0x41, 14, 3);
		th_ivt(&t, 0x40, 0x800, 0x1000 + 4 * 0x40);
		/* I/O map base 0x88; redirection bitmap at 0x68: only 0x41 set */
		th_wr16(&t, TH_TSS + 0x66, 0x88);
		memset(t.mem + TH_TSS + 0x68, 0, 32);
		t.mem[TH_TSS + 0x68 + 0x41 / 8] = 1u << (0x41 % 8);
		struct kvm_sregs s = th_sregs(&t);
		s.cr4 |= 1; /* VME */
		s.tr.limit = 0x88;
		tg_vcpu_set_sregs(t.vcpu, &s);
		uint32_t frame[] = { cases[i].eip, 0x800, cases[i].eflags, 0x1ffe,
				     0x6000, 0, 0, 0, 0 };
		for (unsigned k = 0; k < 9; k++)
			th_wr32(&t, 0x60000 + 4 * k, frame[k]);
		set_regs(&t, P(0x60), 0x60000, 0x2);
		ASSERT_EQ(run(&t), KVM_EXIT_HLT);
		struct kvm_regs r = th_regs(&t);
		EXPECT_EQ(r.rip, cases[i].stop);
		bool err = cases[i].stop != HLT_AT(TBL + 4 * 0x41);
		uint64_t f = r.rsp + (err ? 4 : 0);
		if (err)
			EXPECT_EQ(th_rd32(&t, r.rsp), 0);
		EXPECT_EQ(th_rd32(&t, f), cases[i].frame_eip);
		EXPECT_EQ(th_rd32(&t, f + 4) & 0xffff, 0x800);
		EXPECT_EQ(th_rd32(&t, f + 8), cases[i].frame_eflags);
		EXPECT_EQ(th_rd32(&t, f + 12), cases[i].frame_esp);
		if (cases[i].pushed_flags) {
			EXPECT_EQ(th_rd16(&t, 0x61ff8), 0x32);
			EXPECT_EQ(th_rd16(&t, 0x61ffa), 0x800);
			EXPECT_EQ(th_rd16(&t, 0x61ffc), cases[i].pushed_flags);
		}
		th_fini(&t);
	}
}

/* ---- real-address mode ---- */

static int setup16(struct th *t, uint16_t ip)
{
	int r = th_init(t, TG_BACKEND_MODEL, 8 << 20);
	if (r < 0)
		return r;
	th_load(t, 0x8000, guest_intr_probe16, guest_intr_probe16_end - guest_intr_probe16);
	th_real(t, 0x800, ip);
	for (int v = 0; v < 256; v++)
		th_ivt(t, v, 0x800, (uint16_t)(0x1000 + 4 * v));
	return 0;
}

/* INT n in real mode: FLAGS, CS, IP pushed (16 bits each), IF, TF, AC
 * cleared, CS:IP from the IVT entry at IDTR.base + 4n; IRET pops them
 * [SDM Vol. 2 INT n REAL-ADDRESS-MODE, IRET; SDM 20.1.4]. */
TEST(intr_real_mode_int_iret)
{
	struct th t;
	ASSERT_EQ(setup16(&t, 0), 0);
	set_regs(&t, 0, 0x7000, 0x40303); /* AC IF TF CF */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.cs.selector, 0x800);
	EXPECT_EQ(s.cs.base, 0x8000);
	EXPECT_EQ(r.rip, HLT_AT(0x1000 + 4 * 0x40));
	EXPECT_EQ(r.rsp, 0x7000 - 6);
	EXPECT_EQ(r.rflags, 0x3);
	EXPECT_EQ(th_rd16(&t, 0x7000 - 2), 0x0303);
	EXPECT_EQ(th_rd16(&t, 0x7000 - 4), 0x800);
	EXPECT_EQ(th_rd16(&t, 0x7000 - 6), 0x2);
	th_fini(&t);

	/* IRET back (no TF this time: the handler would be single-stepped
	 * after IRET restores it) */
	ASSERT_EQ(setup16(&t, 0), 0);
	set_regs(&t, 0, 0x7000, 0x203);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, 3);
	EXPECT_EQ(r.rsp, 0x7000);
	EXPECT_EQ(r.rflags, 0x203);
	th_fini(&t);
}

/* ICEBP in real mode: vector 1 through the IVT, IP after the F1, DR6
 * unchanged [SDM Vol. 2 INT1; spec 2.1]. INT3 likewise with vector 3. */
TEST(intr_real_mode_icebp_int3)
{
	struct th t;
	ASSERT_EQ(setup16(&t, 0x10), 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(0x1000 + 4 * 1));
	EXPECT_EQ(th_rd16(&t, 0x7000 - 6), 0x11);
	struct kvm_debugregs d;
	tg_vcpu_get_debugregs(t.vcpu, &d);
	EXPECT_EQ(d.dr6, 0xffff0ff0);
	th_fini(&t);

	ASSERT_EQ(setup16(&t, 0x20), 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(0x1000 + 4 * 3));
	EXPECT_EQ(th_rd16(&t, 0x7000 - 6), 0x21);
	th_fini(&t);
}

/* Real mode with a short IVT [SDM 20.1.4]: a vector beyond IDTR.limit is
 * #GP (no error code pushed in real mode); #GP beyond it too is #DF; #DF
 * beyond it is a shutdown (KVM_EXIT_SHUTDOWN). */
TEST(intr_real_mode_ivt_limit)
{
	struct th t;
	ASSERT_EQ(setup16(&t, 0), 0);
	set_idt_limit(&t, 4 * 0x40 - 1);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(0x1000 + 4 * 13));
	EXPECT_EQ(r.rsp, 0x7000 - 6);
	EXPECT_EQ(th_rd16(&t, 0x7000 - 6), 0); /* IP of the INT */
	th_fini(&t);

	ASSERT_EQ(setup16(&t, 0), 0);
	set_idt_limit(&t, 4 * 13 - 1);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, HLT_AT(0x1000 + 4 * 8));
	EXPECT_EQ(r.rsp, 0x7000 - 6);
	th_fini(&t);

	ASSERT_EQ(setup16(&t, 0), 0);
	set_idt_limit(&t, 4 * 8 - 1);
	ASSERT_EQ(run(&t), KVM_EXIT_SHUTDOWN);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, 0);
	EXPECT_EQ(r.rsp, 0x7000);
	th_fini(&t);
}
