/* Near control transfers: CALL, JMP, RET, Jcc, LOOP/LOOPcc, JrCXZ in
 * 64-bit, 32-bit protected and real mode, including the #GP cases for
 * non-canonical targets and targets beyond the CS limit. Guests:
 * guests/asm/flow_*.S (snippets at fixed offsets, see the comments there
 * for the instruction offsets used below). */
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_flow_64[], guest_flow_64_end[];
extern const uint8_t guest_flow_32[], guest_flow_32_end[];
extern const uint8_t guest_flow_16[], guest_flow_16_end[];
extern const uint8_t guest_move_exc[], guest_move_exc_end[];

#define MX_BASE 0x180000 /* guests/asm/move_exc.S */
#define MX_REC 0x6000
#define PD0 (TH_PML4 + 0x2000)

#define F_CF 0x001
#define F_PF 0x004
#define F_ZF 0x040
#define F_SF 0x080
#define F_OF 0x800


static int setup64(struct th *t)
{
	int r = th_init(t, TG_BACKEND_MODEL, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_flow_64, (size_t)(guest_flow_64_end - guest_flow_64));
	th_long_mode(t, TH_CODE, TH_STACK);
	th_load(t, MX_BASE, guest_move_exc, (size_t)(guest_move_exc_end - guest_move_exc));
	th_gate64(t, 13, MX_BASE + 0xc0, 14, 0, 0);
	th_gate64(t, 14, MX_BASE + 0x100, 14, 0, 1);
	th_wr64(t, TH_TSS + 0x24, 0x70000); /* IST1 */
	return 0;
}

static void go(struct th *t, uint64_t rip, uint64_t rflags, struct kvm_regs *r)
{
	r->rip = rip;
	r->rflags = rflags | 2;
	tg_vcpu_set_regs(t->vcpu, r);
}

struct xrec {
	bool delivered;
	uint64_t vector, err, rip, rsp;
};

/* See tests/test_move.c: the handler record, or the state at the fault
 * when IDT delivery is missing (KVM_INTERNAL_ERROR_DELIVERY_EV). */
static int run_exc(struct th *t, struct xrec *x, bool frame64)
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
	x->rsp = frame64 ? th_rd64(t, MX_REC + 0x28) : r.rsp;
	if (!frame64) {
		x->err &= 0xffffffff;
		x->rip &= 0xffffffff;
	}
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

/* ---- 64-bit ---- */

/* CALL pushes the next RIP (8 bytes), RET pops it [SDM CALL, RET]. */
TEST(flow_call_ret_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE, 0, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, TH_CODE + 5);
	EXPECT_EQ(r.rcx, TH_STACK - 8);
	EXPECT_EQ(r.rsp, TH_STACK);
	EXPECT_EQ(r.rip, TH_CODE + 6);
	th_fini(&t);
}

/* RET imm16 adds imm16 to RSP after the pop [SDM RET]. */
TEST(flow_ret_imm16)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE + 0x40, 0, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rdx, TH_STACK);
	EXPECT_EQ(r.rsp, TH_STACK);
	th_fini(&t);
}

/* Indirect CALL/JMP (FF /2, FF /4) through registers and memory; in
 * 64-bit mode the operand size is 64 even with 66 (Intel) [SDM CALL:
 * "In 64-bit mode ... operand size is forced to 64 bits"]. */
TEST(flow_indirect_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE + 0x80, 0, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, TH_CODE + 0x89); /* after call rax */
	EXPECT_EQ(r.r9, TH_CODE + 0xa2);  /* after call [0x200000] */
	EXPECT_EQ(r.r8, TH_CODE + 0xa5);  /* after 66 call rax */
	EXPECT_EQ(r.r10, TH_STACK - 8);   /* 8 bytes pushed with 66 too */
	EXPECT_EQ(r.r11, TH_STACK);
	EXPECT_EQ(r.rip, TH_CODE + 0xca);
	th_fini(&t);
}

/* LOOP/LOOPE/LOOPNE [SDM LOOP/LOOPcc]: count by address size (67: ECX,
 * zero-extended when written), LOOPE/LOOPNE test ZF after the decrement
 * test; JRCXZ/JECXZ test the count register without changing it. */
TEST(flow_loop_jrcxz_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rdi = 0x77;
	go(&t, TH_CODE + 0x200, F_ZF, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(th_rd64(&t, 0x200418), 3);
	EXPECT_EQ(th_rd64(&t, 0x200410), 2);
	EXPECT_EQ(th_rd64(&t, 0x200408), 1);
	EXPECT_EQ(r.rbx, 0);
	EXPECT_EQ(r.rdx, 0);       /* 0x100000001 -> ECX 0, upper cleared */
	EXPECT_EQ(r.rsi, 1);       /* JRCXZ with RCX=0x12345678_00000000 */
	EXPECT_EQ(r.rdi, 0x77);    /* JECXZ skipped the MOV */
	EXPECT_EQ(r.r8, 3);        /* LOOPNE fell through, LOOPE taken */
	EXPECT_EQ(r.r9, 0x600d);   /* LOOPE with count 0 falls through */
	EXPECT_EQ(r.rcx, 0);
	EXPECT_EQ(r.rip, TH_CODE + 0x257);
	th_fini(&t);
}

/* Jcc [SDM Jcc; Vol. 1 Appendix B, Table B-1], rel8 and rel32, for all
 * 32 combinations of CF, PF, ZF, SF, OF. */
static bool cond(unsigned cc, uint64_t f)
{
	bool cf = f & F_CF, pf = f & F_PF, zf = f & F_ZF, sf = f & F_SF, of = f & F_OF;
	bool v;
	switch (cc >> 1) {
	case 0: v = of; break;
	case 1: v = cf; break;
	case 2: v = zf; break;
	case 3: v = cf || zf; break;
	case 4: v = sf; break;
	case 5: v = pf; break;
	case 6: v = sf != of; break;
	default: v = zf || sf != of; break;
	}
	return v ^ (cc & 1);
}

TEST(flow_jcc_all_conditions_64)
{
	static const uint64_t bits[5] = { F_CF, F_PF, F_ZF, F_SF, F_OF };
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	for (unsigned m = 0; m < 32; m++) {
		uint64_t f = 0;
		for (int b = 0; b < 5; b++)
			if (m & (1u << b))
				f |= bits[b];
		memset(t.mem + 0x200300, 0xee, 32);
		struct kvm_regs r = th_regs(&t);
		go(&t, TH_CODE + 0x400, f, &r);
		ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
		for (unsigned cc = 0; cc < 16; cc++) {
			EXPECT_EQ(t.mem[0x200300 + cc], cond(cc, f));
			EXPECT_EQ(t.mem[0x200310 + cc], cond(cc, f));
		}
		if (test_failed_now)
			break;
	}
	th_fini(&t);
}

/* A non-canonical target: #GP(0) on the branch, RIP and RSP unchanged
 * [SDM JMP, CALL, RET: 64-Bit Mode Exceptions]. */
TEST(flow_noncanonical_targets_gp)
{
	static const uint64_t at[] = { 0x300, 0x340, 0x380 };
	for (unsigned i = 0; i < 3; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t), 0);
		th_wr64(&t, TH_STACK - 8, 0x0000800000000000ull);
		struct kvm_regs r = th_regs(&t);
		r.rax = 0x0000800000000000ull;
		r.rsp = i == 2 ? TH_STACK - 8 : TH_STACK;
		go(&t, TH_CODE + at[i], 0, &r);
		struct xrec x;
		ASSERT_EQ(run_exc(&t, &x, true), 0);
		EXPECT_EXC(x, 13, 0, TH_CODE + at[i]);
		EXPECT_EQ(x.rsp, r.rsp);
		th_fini(&t);
	}
}

/* CALL whose push faults: nothing changes, RIP on the CALL [SDM CALL;
 * faults restore state, SDM Vol. 3A 6.5]. */
TEST(flow_call_push_fault)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	th_wr64(&t, PD0 + 3 * 8, 0); /* 0x600000-0x7fffff not present */
	struct kvm_regs r = th_regs(&t);
	r.rsp = 0x600010;
	go(&t, TH_CODE + 0x3c0, 0, &r);
	struct xrec x;
	ASSERT_EQ(run_exc(&t, &x, true), 0);
	EXPECT_EXC(x, 14, 2, TH_CODE + 0x3c0);
	EXPECT_EQ(x.rsp, 0x600010);
	th_fini(&t);
}

/* ---- 32-bit protected mode ---- */

static int setup32(struct th *t)
{
	int r = th_init(t, TG_BACKEND_MODEL, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_flow_32, (size_t)(guest_flow_32_end - guest_flow_32));
	th_prot32(t, TH_CODE, TH_STACK);
	th_gate32(t, 13, TH_CODE + 0x400, 14, 0);
	/* mov %esp,%ebx; hlt: the landing pad of the 16-bit targets */
	static const uint8_t pad[] = { 0x89, 0xe3, 0xf4 };
	memcpy(t->mem + 0x5000, pad, 3);
	return 0;
}

/* CALL/RET with 32-bit operand size push/pop 4 bytes [SDM CALL, RET]. */
TEST(flow_call_ret_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE, 0, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, TH_CODE + 5);
	EXPECT_EQ(r.rcx, TH_STACK - 4);
	EXPECT_EQ(r.rsp, TH_STACK);
	EXPECT_EQ(r.rip, TH_CODE + 6);
	th_fini(&t);
}

/* 16-bit operand size outside 64-bit mode: CALL pushes IP (2 bytes) and
 * EIP = target AND 0000FFFFH; RET pops 2 bytes; JMP truncates too
 * [SDM CALL, RET, JMP: "tempEIP AND 0000FFFFH"]. */
TEST(flow_near_branch_truncation_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE + 0x40, 0, &r);          /* 66 E8 */
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, 0x5003);
	EXPECT_EQ(r.rbx, TH_STACK - 2);
	EXPECT_EQ(t.mem[TH_STACK - 2] | t.mem[TH_STACK - 1] << 8, 0x0044);
	th_fini(&t);

	ASSERT_EQ(setup32(&t), 0);
	t.mem[TH_STACK - 2] = 0x00;
	t.mem[TH_STACK - 1] = 0x50;
	r = th_regs(&t);
	r.rsp = TH_STACK - 2;
	go(&t, TH_CODE + 0x80, 0, &r);          /* 66 C3 */
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, 0x5003);
	EXPECT_EQ(r.rbx, TH_STACK);
	th_fini(&t);

	ASSERT_EQ(setup32(&t), 0);
	t.mem[0xd3] = 0xf4;
	r = th_regs(&t);
	go(&t, TH_CODE + 0xc0, 0, &r);          /* 66 EB */
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, 0xd4);
	th_fini(&t);
}

/* A target beyond the CS limit: #GP(0) with EIP on the JMP [SDM JMP,
 * Protected Mode Exceptions]. */
TEST(flow_jmp_beyond_cs_limit_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_sregs s = th_sregs(&t);
	s.cs.limit = 0x1fffff;
	ASSERT_EQ(tg_vcpu_set_sregs(t.vcpu, &s), 0);
	struct kvm_regs r = th_regs(&t);
	go(&t, TH_CODE + 0x100, 0, &r);
	struct xrec x;
	ASSERT_EQ(run_exc(&t, &x, false), 0);
	EXPECT_EXC(x, 13, 0, TH_CODE + 0x100);
	th_fini(&t);
}

/* 67 in 32-bit code: LOOP and JCXZ use CX, the upper half of ECX is kept
 * [SDM LOOP/LOOPcc, JCXZ]; a 16-bit CALL to the next instruction lands at
 * its address AND 0xFFFF. */
TEST(flow_loop_cx_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	static const uint8_t pad[] = { 0x66, 0x5a, 0xf4 }; /* pop dx; hlt */
	memcpy(t.mem + 0x14e, pad, 3);
	struct kvm_regs r = th_regs(&t);
	r.rcx = 0x12340001;
	r.rdi = 0x77;
	r.rdx = 0;
	go(&t, TH_CODE + 0x140, 0, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rbx, 0x12340000);
	EXPECT_EQ(r.rdi, 0x77);
	EXPECT_EQ(r.rdx, 0x014e);
	EXPECT_EQ(r.rsp, TH_STACK);
	EXPECT_EQ(r.rip, 0x151);
	th_fini(&t);
}

/* Jcc rel8 and rel32 in 32-bit code [SDM Jcc]. */
TEST(flow_jcc_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = th_regs(&t);
	r.rax = r.rbx = 0;
	go(&t, TH_CODE + 0x200, F_ZF, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rax, 0);
	EXPECT_EQ(r.rbx, 0);
	EXPECT_EQ(r.rip, TH_CODE + 0x219); /* after the HLT at 0x218 */
	th_fini(&t);
}

/* ---- real mode ---- */

/* [SDM CALL, RET, LOOP, JCXZ] with 16-bit sizes: CALL pushes 2 bytes (66:
 * 4 bytes, EIP), LOOP counts CX only. */
TEST(flow_real_mode)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	th_load(&t, 0x8000, guest_flow_16, (size_t)(guest_flow_16_end - guest_flow_16));
	th_real(&t, 0, 0x8000);
	struct kvm_regs r = th_regs(&t);
	r.rcx = 0xabcd0000;
	r.rbx = r.rdx = r.rsi = r.rbp = 0;
	r.rip = 0x8000;
	tg_vcpu_set_regs(t.vcpu, &r);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rdx, 0x8003);
	EXPECT_EQ(r.rsi, 0x8016);
	EXPECT_EQ(r.rcx, 0xabcd0000);
	EXPECT_EQ(r.rbp, 0);
	EXPECT_EQ(r.rsp, 0x7000);
	EXPECT_EQ(r.rip, 0x801e);
	EXPECT_EQ(t.mem[0x7101], 1);
	EXPECT_EQ(t.mem[0x7102], 2);
	EXPECT_EQ(t.mem[0x7103], 3);
	th_fini(&t);
}

/* A near JMP in a 16-bit code segment wraps IP at 64 KiB: CS=0x1000,
 * IP=0xfff0, EB 1E -> IP = (0xfff2 + 0x1e) AND 0xFFFF = 0x0010
 * [SDM JMP: "tempEIP AND 0000FFFFH"]. */
TEST(flow_real_mode_ip_wrap)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 1 << 20), 0);
	t.mem[0x1fff0] = 0xeb;
	t.mem[0x1fff1] = 0x1e;
	t.mem[0x10010] = 0xf4;
	th_real(&t, 0x1000, 0xfff0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, 0x11);
	th_fini(&t);
}
