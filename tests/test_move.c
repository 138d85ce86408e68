/* Data movement and the stack: MOV, LEA, XCHG, XLAT, hint NOPs, FWAIT,
 * PUSH/POP, PUSHA/POPA, ENTER/LEAVE, in 64-bit, 32-bit protected and real
 * mode. Guests: guests/asm/move_*.S (snippets at fixed offsets; each test
 * presets registers, points RIP at its snippet and runs to HLT).
 * Expected values are worked out from the SDM pseudo-code cited beside
 * each block. */
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_move_64[], guest_move_64_end[];
extern const uint8_t guest_move_exc[], guest_move_exc_end[];
extern const uint8_t guest_move_stack64[], guest_move_stack64_end[];
extern const uint8_t guest_move_stack32[], guest_move_stack32_end[];
extern const uint8_t guest_move_stack16[], guest_move_stack16_end[];

/* Exception stubs (guests/asm/move_exc.S) and what they record. */
#define MX_BASE 0x180000
#define MX_REC 0x6000
#define MX_IST 0x70000
#define PD0 (TH_PML4 + 0x2000) /* first page directory: 2 MiB pages */


static int setup64(struct th *t, const uint8_t *g, const uint8_t *ge)
{
	int r = th_init(t, TG_BACKEND_MODEL, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, g, (size_t)(ge - g));
	th_long_mode(t, TH_CODE, TH_STACK);
	th_load(t, MX_BASE, guest_move_exc, (size_t)(guest_move_exc_end - guest_move_exc));
	/* #UD, #NM, #SS, #GP, #PF: interrupt gates; #PF and #SS on IST1 so
	 * a broken stack does not turn them into #DF [SDM 6.14.5]. */
	th_gate64(t, 6, MX_BASE + 0x00, 14, 0, 0);
	th_gate64(t, 7, MX_BASE + 0x40, 14, 0, 0);
	th_gate64(t, 12, MX_BASE + 0x80, 14, 0, 1);
	th_gate64(t, 13, MX_BASE + 0xc0, 14, 0, 0);
	th_gate64(t, 14, MX_BASE + 0x100, 14, 0, 1);
	th_wr64(t, TH_TSS + 0x24, MX_IST); /* IST1 */
	return 0;
}

/* Not-present 2 MiB page at 0x600000 (PD entry 3). */
static void unmap_600000(struct th *t)
{
	th_wr64(t, PD0 + 3 * 8, 0);
}

struct xrec {
	bool delivered;
	uint64_t vector, err, rip, rsp;
};

/* Run until the exception stub halts. While IDT delivery is missing, the
 * weak fallback ends the run with KVM_INTERNAL_ERROR_DELIVERY_EV and the
 * vector in data[0]; RIP and RSP are then read at the fault. */
static int run_exc(struct th *t, struct xrec *x)
{
	int e = th_run(t);
	struct kvm_regs r = th_regs(t);
	memset(x, 0, sizeof *x);
	if (e == KVM_EXIT_INTERNAL_ERROR &&
	    t->run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV) {
		x->vector = t->run->internal.data[0];
		x->rip = r.rip;
		x->rsp = r.rsp;
		return 0;
	}
	if (e != KVM_EXIT_HLT)
		return -1;
	x->delivered = true;
	x->vector = th_rd64(t, MX_REC);
	x->err = th_rd64(t, MX_REC + 8);
	x->rip = th_rd64(t, MX_REC + 0x10);
	x->rsp = th_rd64(t, MX_REC + 0x28);
	return 0;
}

#define EXPECT_EXC(x, vec, errc, at)                                          \
	do {                                                                  \
		EXPECT_EQ((x).vector, (vec));                                 \
		EXPECT_EQ((x).rip, (at));                                     \
		if ((x).delivered)                                            \
			EXPECT_EQ((x).err, (errc));                           \
		else                                                          \
			test_skip("IDT delivery missing: error code unchecked"); \
	} while (0)

static void go(struct th *t, uint64_t rip, struct kvm_regs *r)
{
	r->rip = rip;
	r->rflags = 2;
	tg_vcpu_set_regs(t->vcpu, r);
}

/* ---- MOV ---- */

/* [SDM MOV]; 32-bit destinations zero-extend, 8/16-bit ones merge
 * [SDM 3.4.1.1]; without REX, byte registers 4-7 are AH..BH and with REX
 * SPL..DIL [SDM 3.7.2.1]. */
TEST(move_mov_registers)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	struct kvm_regs r = th_regs(&t);
	r.rdi = 0xaaaaaaaaaaaaaaaaull;
	r.r11 = 0;
	r.r14 = 0x1111111111111111ull;
	go(&t, TH_CODE, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, 0x1122334455667788ull);
	EXPECT_EQ(r.rbx, 0x1122334455661288ull);
	EXPECT_EQ(r.rcx, 0x55667712);
	EXPECT_EQ(r.rdx, 0xffffffffffff8888ull);
	EXPECT_EQ(r.rsi, 0xfedcbaaa);
	EXPECT_EQ(r.rdi, 0xaaaaaaaaaaaa1234ull);
	EXPECT_EQ(r.r8, 0x1122334455661288ull);
	EXPECT_EQ(r.r9, 0x55661288);
	EXPECT_EQ(r.r10, 0xffffffffffff7777ull);
	EXPECT_EQ(r.r11, 0x5a);
	EXPECT_EQ(r.r12, 0xffffffffffff7777ull);
	EXPECT_EQ(r.r13, 0x55661288);
	EXPECT_EQ(r.r14, 0x1111111111118888ull);
	EXPECT_EQ(r.rip, TH_CODE + 0x52); /* after the HLT */
	th_fini(&t);
}

/* [SDM MOV] with every addressing form the decoder produces: SIB without
 * base, base+disp, base+index*8+disp, RIP-relative [SDM 2.2.1.6]. */
TEST(move_mov_memory)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	th_wr64(&t, 0x211008, 0x0f0f0f0f0f0f0f0full);
	struct kvm_regs r = th_regs(&t);
	r.rsi = 0x200000;
	r.rcx = 1;
	r.rdi = ~0ull;
	r.rdx = ~0ull;
	go(&t, TH_CODE + 0x100, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(th_rd64(&t, 0x200000), 0x8877665544332211ull);
	EXPECT_EQ(th_rd64(&t, 0x200008), 0x8877665544332211ull);
	EXPECT_EQ(th_rd64(&t, 0x200018), 0x44332211);
	EXPECT_EQ(th_rd64(&t, 0x200020), 0x2211);
	EXPECT_EQ(th_rd64(&t, 0x200028), 0x2211);     /* AL, then AH */
	EXPECT_EQ(th_rd64(&t, 0x200030), 0xfffffffffffffffeull);
	EXPECT_EQ(th_rd64(&t, 0x200038), 0x007fbeef12345678ull);
	EXPECT_EQ(r.rbx, 0x8877665544332211ull);
	EXPECT_EQ(r.rdx, 0x44332211);
	EXPECT_EQ(r.rdi, 0xffffffffffff2211ull);
	EXPECT_EQ(r.rcx, 0x2201);                  /* CH loaded */
	EXPECT_EQ(r.r11, 0xdeadbeefcafebabeull);
	EXPECT_EQ(r.r12, 0xcafebabe);
	EXPECT_EQ(r.r13, 0x8877665544332211ull);
	EXPECT_EQ(r.r14, 0x0f0f0f0f0f0f0f0full);   /* [rsi + 0x2201*8] */
	th_fini(&t);
}

/* MOV moffs [SDM MOV, opcodes A0-A3]: 64-bit offsets (REX.W A1), 32-bit
 * with 67, and a segment override (FS base in 64-bit mode, SDM 3.3.7.1). */
TEST(move_mov_moffs)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	th_wr64(&t, 0x200100, 0x0123456789abcdefull);
	th_wr64(&t, 0x200010, 0x1122334455667788ull);
	struct kvm_sregs s = th_sregs(&t);
	s.fs.base = 0x200000;
	ASSERT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE + 0x200, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0x0123456789abcdefull);
	EXPECT_EQ(th_rd64(&t, 0x200108), 0x0123456789abcdefull);
	EXPECT_EQ(r.rcx, 0x0123456789abcdcdull);
	EXPECT_EQ(r.rdx, 0x01234567);
	EXPECT_EQ(r.rax, 0x1122334455667788ull);
	EXPECT_EQ(th_rd64(&t, 0x200110), 0x7788);
	th_fini(&t);
}

/* LEA [SDM LEA, Table 3-54]: the address is computed with the address
 * size (67: 32 bits) and stored with the operand size (truncated or
 * zero-extended). RIP-relative uses the next instruction's address. */
TEST(move_lea)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	struct kvm_regs r = th_regs(&t);
	r.rsi = 0x100001000ull;
	r.rcx = 3;
	r.rdx = ~0ull;
	r.rdi = 0xfffffff0;
	go(&t, TH_CODE + 0x300, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.r9, TH_CODE + 0x307);
	EXPECT_EQ(r.rax, 0x10000101cull);
	EXPECT_EQ(r.rbx, 0xff8);
	EXPECT_EQ(r.rdx, 0xffffffffffff1003ull);
	EXPECT_EQ(r.r8, 0x101c);
	EXPECT_EQ(r.r10, 0x180000fffull);
	EXPECT_EQ(r.rcx, 0x10); /* 0xfffffff0 + 0x20 wraps at 32 bits */
	th_fini(&t);
}

/* XCHG [SDM XCHG; NOP]: 90 is NOP (no zero-extension of RAX), REX.B 90
 * exchanges with R8, 87 C0-style forms with a 32-bit size zero-extend,
 * memory operands exchange atomically. */
TEST(move_xchg)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	th_wr64(&t, 0x200000, 0x5555555555555555ull);
	struct kvm_regs r = th_regs(&t);
	r.rax = 0x1111111111111111ull;
	r.rbx = 0x2222222222222222ull;
	r.rcx = 0x3333333333333333ull;
	r.rdx = 0x4444444444444444ull;
	r.r8 = 0x8888888888888888ull;
	r.rdi = 0x6666666666666666ull;
	r.rsi = 0x200000;
	go(&t, TH_CODE + 0x400, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.r9, 0x2222222222222222ull); /* NOPs left RAX alone */
	EXPECT_EQ(r.rax, 0x88881188);
	EXPECT_EQ(r.rbx, 0x1111111111111188ull);
	EXPECT_EQ(r.rcx, 0x4444444444446666ull);
	EXPECT_EQ(r.rdx, 0x33333333);           /* xchg edx,edx zero-extends */
	EXPECT_EQ(r.rdi, 0x5555555555555555ull);
	EXPECT_EQ(r.r8, 0x22222222);
	EXPECT_EQ(th_rd64(&t, 0x200000), 0x6666666666664444ull);
	th_fini(&t);
}

/* Hint NOPs 0F 18-1F / 0F 0D take a ModRM but access nothing [SDM NOP,
 * PREFETCHh]: a non-canonical or unmapped operand does not fault. FWAIT
 * with CR0.TS=0 does nothing. XLAT [SDM XLAT]: AL <- [rBX + AL], with the
 * address size (67: EBX) and a segment override. */
TEST(move_xlat_and_hint_nops)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	for (int i = 0; i < 256; i++)
		t.mem[0x200200 + i] = (uint8_t)(3 * i);
	struct kvm_sregs s = th_sregs(&t);
	s.fs.base = 0x200000;
	ASSERT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), 0);
	struct kvm_regs r = th_regs(&t);
	r.rcx = 0x8000000000000000ull;
	r.rbx = 0x200200;
	r.rax = 0xffffffffffffff05ull;
	go(&t, TH_CODE + 0x500, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rdx, 0xffffffffffffff0full);
	EXPECT_EQ(r.rsi, 0xffffffffffffff2dull);
	EXPECT_EQ(r.rax, 0xffffffffffffff87ull);
	EXPECT_EQ(r.rip, TH_CODE + 0x534);
	th_fini(&t);
}

/* #UD: LEA with a register source [SDM LEA], C6/C7 with /reg != 0 and
 * 8F with /reg != 0 [SDM Vol. 2 Table A-6], 0F 0D with a register operand
 * (host CPU oracle). RIP stays on the instruction. */
TEST(move_ud_forms)
{
	static const uint64_t at[] = { 0x600, 0x680, 0x6c0, 0x700, 0x740 };
	for (unsigned i = 0; i < sizeof at / sizeof at[0]; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
		struct kvm_regs r = th_regs(&t);
		go(&t, TH_CODE + at[i], &r);
		struct xrec x;
		ASSERT_EQ(run_exc(&t, &x), 0);
		EXPECT_EXC(x, 6, 0, TH_CODE + at[i]);
		th_fini(&t);
	}
}

/* FWAIT raises #NM when CR0.MP and CR0.TS are both 1 [SDM WAIT/FWAIT;
 * SDM Vol. 3A 2.5 Table 2-2]. */
TEST(move_fwait_nm)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_64, guest_move_64_end), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cr0 |= 1u << 3; /* TS (MP is set by the harness) */
	ASSERT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE + 0x640, &r);
	struct xrec x;
	ASSERT_EQ(run_exc(&t, &x), 0);
	EXPECT_EXC(x, 7, 0, TH_CODE + 0x640);
	th_fini(&t);
}

/* ---- stack, 64-bit ---- */

/* [SDM PUSH, POP]: 64-bit default operand size, 66 gives 16; immediates
 * sign-extend; PUSH RSP pushes the old value; POP to [RSP+8] addresses with
 * the incremented RSP; POP RSP loads the popped value. */
TEST(move_push_pop_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_stack64, guest_move_stack64_end), 0);
	th_wr64(&t, 0x200000, 0xabcdef);
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0x80000;
	r.rbx = 0xbbbbbbbbbbbbbbbbull;
	r.rcx = 0;
	r.r15 = 0xf15;
	r.rbp = 0;
	go(&t, TH_CODE, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0xbbbbbbbbbbbb7788ull);
	EXPECT_EQ(r.rcx, 0x4321);
	EXPECT_EQ(r.rdx, 0x12345678);
	EXPECT_EQ(r.r8, 0xfffffffffffffffeull);
	EXPECT_EQ(r.r9, 0x7fff8);
	EXPECT_EQ(r.r10, 0xf15);
	EXPECT_EQ(r.r11, 0xf15);
	EXPECT_EQ(r.r12, 0xabcdef);
	EXPECT_EQ(r.rbp, 0xcdef);
	EXPECT_EQ(r.rsi, 0x1122334455667788ull);
	EXPECT_EQ(r.rsp, 0x7ff00);
	th_fini(&t);
}

/* ENTER/LEAVE [SDM ENTER, LEAVE]: frame copies through RBP for nesting
 * levels > 1, the new frame pointer pushed for levels > 0, level mod 32. */
TEST(move_enter_leave_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_stack64, guest_move_stack64_end), 0);
	th_wr64(&t, 0x8fff8, 0xa1);
	th_wr64(&t, 0x8fff0, 0xa2);
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0x80000;
	r.rbp = 0x90000;
	go(&t, TH_CODE + 0x100, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0x7ffc0);   /* enter 0x20,3 */
	EXPECT_EQ(r.rcx, 0x7fff8);
	EXPECT_EQ(r.rdx, 0x7fff0);   /* enter 8,0 */
	EXPECT_EQ(r.rsi, 0x7fff8);
	EXPECT_EQ(r.rdi, 0x7ffe0);   /* enter 0,1 */
	EXPECT_EQ(r.r8, 0x7ffe8);
	EXPECT_EQ(r.r9, 0x7fff0);    /* leave */
	EXPECT_EQ(r.r10, 0x7fff8);
	EXPECT_EQ(r.r11, 0x7fff0);   /* enter 0,33 == enter 0,1 */
	EXPECT_EQ(r.r12, 0x7fff8);
	EXPECT_EQ(r.rsp, 0x80000);
	EXPECT_EQ(r.rbp, 0x90000);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, guest_move_stack64, guest_move_stack64_end), 0);
	th_wr64(&t, 0x8fff8, 0xa1);
	th_wr64(&t, 0x8fff0, 0xa2);
	r = th_regs(&t);
	r.rsp = 0x80000;
	r.rbp = 0x90000;
	go(&t, TH_CODE + 0x1c0, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_rd64(&t, 0x7fff8), 0x90000); /* old RBP */
	EXPECT_EQ(th_rd64(&t, 0x7fff0), 0xa1);    /* copied from [RBP-8] */
	EXPECT_EQ(th_rd64(&t, 0x7ffe8), 0xa2);    /* copied from [RBP-16] */
	EXPECT_EQ(th_rd64(&t, 0x7ffe0), 0x7fff8); /* FrameTemp */
	th_fini(&t);
}

/* A push that faults leaves RSP unchanged (a fault restores state, SDM
 * Vol. 3A 6.5); the write is a supervisor write to a not-present page:
 * #PF error code W=1, P=0 [SDM 4.7]. */
TEST(move_push_fault_keeps_rsp)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_stack64, guest_move_stack64_end), 0);
	unmap_600000(&t);
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0x600010;
	go(&t, TH_CODE + 0x200, &r);
	struct xrec x;
	ASSERT_EQ(run_exc(&t, &x), 0);
	EXPECT_EXC(x, 14, 2, TH_CODE + 0x200);
	EXPECT_EQ(x.rsp, 0x600010);
	if (x.delivered)
		EXPECT_EQ(th_sregs(&t).cr2, 0x600008);
	th_fini(&t);
}

/* ENTER checks a write at the final stack pointer: #PF there although
 * nothing is stored [SDM ENTER, 64-Bit Mode Exceptions: "#PF if a write
 * using the final value of the stack pointer would cause a page fault"];
 * RSP and RBP keep their values. */
TEST(move_enter_final_rsp_fault)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_stack64, guest_move_stack64_end), 0);
	unmap_600000(&t);
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0x800008;
	r.rbp = 0x1234;
	go(&t, TH_CODE + 0x240, &r);
	struct xrec x;
	ASSERT_EQ(run_exc(&t, &x), 0);
	EXPECT_EXC(x, 14, 2, TH_CODE + 0x240);
	EXPECT_EQ(x.rsp, 0x800008);
	if (x.delivered) {
		EXPECT_EQ(th_sregs(&t).cr2, 0x7ffff0);
		EXPECT_EQ(th_regs(&t).rbp, 0x1234);
	}
	th_fini(&t);
}

/* Stack outside the RAM slot: each push/pop is an MMIO exit with RSP not
 * yet changed; after the VMM completes it and runs again, the instruction
 * finishes (KVM's MMIO exit, Documentation/virt/kvm/api.rst). */
TEST(move_push_pop_mmio_stack)
{
	struct th t;
	ASSERT_EQ(setup64(&t, guest_move_stack64, guest_move_stack64_end), 0);
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0xc0000010;
	r.rax = 0x1122334455667788ull;
	go(&t, TH_CODE + 0x280, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_MMIO);
	EXPECT_EQ(t.run->mmio.phys_addr, 0xc0000008);
	EXPECT_EQ(t.run->mmio.len, 8);
	EXPECT_EQ(t.run->mmio.is_write, 1);
	uint64_t v;
	memcpy(&v, t.run->mmio.data, 8);
	EXPECT_EQ(v, 0x1122334455667788ull);
	r = th_regs(&t);
	EXPECT_EQ(r.rsp, 0xc0000010);
	EXPECT_EQ(r.rip, TH_CODE + 0x280);
	ASSERT_EQ(th_run(&t), KVM_EXIT_MMIO);
	EXPECT_EQ(t.run->mmio.phys_addr, 0xc0000008);
	EXPECT_EQ(t.run->mmio.is_write, 0);
	r = th_regs(&t);
	EXPECT_EQ(r.rsp, 0xc0000008);
	EXPECT_EQ(r.rip, TH_CODE + 0x281);
	v = 0x0102030405060708ull;
	memcpy(t.run->mmio.data, &v, 8);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0x0102030405060708ull);
	EXPECT_EQ(r.rsp, 0xc0000010);
	th_fini(&t);
}

/* ---- stack, 32-bit protected mode ---- */

static int setup32(struct th *t, const uint8_t *g, const uint8_t *ge)
{
	int r = th_init(t, TG_BACKEND_MODEL, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, g, (size_t)(ge - g));
	th_prot32(t, TH_CODE, TH_STACK);
	return 0;
}

/* [SDM PUSH, POP]: 66 selects 16-bit pushes/pops on a 32-bit stack;
 * PUSH imm8 sign-extends to the operand size. */
TEST(move_push_pop_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, guest_move_stack32, guest_move_stack32_end), 0);
	struct kvm_regs r = th_regs(&t);
	r.rax = 0x11223344;
	r.rbx = 0xbbbbbbbb;
	r.rcx = r.rdx = r.rdi = 0;
	go(&t, TH_CODE, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rsi, 0x7fff4);
	EXPECT_EQ(r.rbx, 0xbbbbfffd);
	EXPECT_EQ(r.rcx, 0xfffffffe);
	EXPECT_EQ(r.rdx, 0x3344);
	EXPECT_EQ(r.rdi, 0x11223344);
	EXPECT_EQ(r.rsp, 0x80000);
	th_fini(&t);
}

/* PUSHA/POPA [SDM PUSHA, POPA]: order EAX..EDI with the original ESP;
 * POPA discards the ESP slot; the 16-bit forms move 16 bytes and keep
 * the upper halves of the 32-bit registers. */
TEST(move_pusha_popa_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, guest_move_stack32, guest_move_stack32_end), 0);
	struct kvm_regs r = th_regs(&t);
	r.rax = 0xa0; r.rcx = 0xc1; r.rdx = 0xd2; r.rbx = 0xb3;
	r.rbp = 0xb5; r.rsi = 0x56; r.rdi = 0xd7;
	go(&t, TH_CODE + 0x80, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, 0xa0);
	EXPECT_EQ(r.rcx, 0xc1);
	EXPECT_EQ(r.rdx, 0xd2);
	EXPECT_EQ(r.rbx, 0xb3);
	EXPECT_EQ(r.rbp, 0xb5);
	EXPECT_EQ(r.rsi, 0x70056);
	EXPECT_EQ(r.rdi, 0x1111);
	EXPECT_EQ(r.rsp, 0x80000);
	/* the 16-bit PUSHA image: AX on top, BP two slots below the SP
	 * slot */
	EXPECT_EQ(t.mem[0x7fffe] | t.mem[0x7ffff] << 8, 0xa0);
	EXPECT_EQ(t.mem[0x7fff4] | t.mem[0x7fff5] << 8, 0xb5);
	th_fini(&t);
}

/* ENTER 32 with nesting level 2 [SDM ENTER]: one copy from [EBP-4], then
 * FrameTemp; LEAVE restores. */
TEST(move_enter_leave_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t, guest_move_stack32, guest_move_stack32_end), 0);
	th_wr64(&t, 0x8fff8, 0xa1ull << 32); /* dword 0xa1 at 0x8fffc */
	struct kvm_regs r = th_regs(&t);
	r.rbp = 0x90000;
	go(&t, TH_CODE + 0x100, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0x7ffe4);
	EXPECT_EQ(r.rcx, 0x7fffc);
	EXPECT_EQ(r.rsp, 0x80000);
	EXPECT_EQ(r.rbp, 0x90000);
	EXPECT_EQ(th_rd64(&t, 0x7fff8), 0x90000000000a1ull); /* [7fff8]=a1, [7fffc]=old EBP */
	EXPECT_EQ(th_rd64(&t, 0x7fff0) >> 32, 0x7fffc);        /* FrameTemp at 7fff4 */
	th_fini(&t);
}

/* With SS.B=0 the stack pointer is SP: it wraps at 16 bits and ESP[31:16]
 * is kept, whatever the operand size [SDM 6.2.3; PUSH "StackAddrSize"]. */
TEST(move_push_pop_16bit_stack_in_32bit_code)
{
	struct th t;
	ASSERT_EQ(setup32(&t, guest_move_stack32, guest_move_stack32_end), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.ss.base = 0x10000;
	s.ss.limit = 0xffff;
	s.ss.db = 0;
	s.ss.g = 0;
	ASSERT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), 0);
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0xabcd0004;
	r.rax = 0x11223344;
	r.rcx = r.rdx = 0;
	go(&t, TH_CODE + 0x180, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0xabcdfffe);
	EXPECT_EQ(r.rcx, 0x3344);
	EXPECT_EQ(r.rdx, 0x11223344);
	EXPECT_EQ(r.rsp, 0xabcd0004);
	EXPECT_EQ(th_rd64(&t, 0x10000) & 0xffffffff, 0x11223344);
	EXPECT_EQ(t.mem[0x1fffe] | t.mem[0x1ffff] << 8, 0x3344);
	th_fini(&t);
}

/* ---- stack, real mode ---- */

/* [SDM PUSH, POP, PUSHA, POPA, ENTER, LEAVE] with 16-bit operand and
 * stack sizes; 66 gives 32-bit pushes; ENTER's frame copy reads [BP-2]
 * with BP wrapping at 16 bits (BP=0 -> 0xfffe). */
TEST(move_stack_real_mode)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	th_load(&t, 0x8000, guest_move_stack16,
		(size_t)(guest_move_stack16_end - guest_move_stack16));
	t.mem[0xfffe] = 0xa5;
	t.mem[0xffff] = 0xa5;
	th_real(&t, 0, 0x8000);
	struct kvm_regs r = th_regs(&t);
	r.rax = 0x11223344;
	r.rbx = 0xbbbb0000;
	r.rcx = r.rdx = r.rsi = r.rdi = r.rbp = 0;
	r.rip = 0x8000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, 0x11223344);
	EXPECT_EQ(r.rbx, 0xbbbb6ff6);
	EXPECT_EQ(r.rcx, 0x12346ffe);
	EXPECT_EQ(r.rdx, 0x3344);
	EXPECT_EQ(r.rsi, 0x6ff8);
	EXPECT_EQ(r.rdi, 0);
	EXPECT_EQ(r.rbp, 0);
	EXPECT_EQ(r.rsp, 0x7000);
	EXPECT_EQ(r.rip, 0x8021);
	EXPECT_EQ(t.mem[0x6ffc] | t.mem[0x6ffd] << 8, 0xa5a5); /* frame copy */
	EXPECT_EQ(t.mem[0x6ffa] | t.mem[0x6ffb] << 8, 0x6ffe); /* FrameTemp */
	th_fini(&t);
}
