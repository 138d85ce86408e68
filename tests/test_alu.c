/* Integer ALU on the model: exceptions (#DE, #UD, #GP, #PF), memory
 * destinations through the read-modify-write path, BT with bit offsets
 * outside the operand, byte registers with and without REX, and the BCD
 * instructions in 32-bit mode. Guests: guests/asm/alu_exc.S (64-bit) and
 * alu_exc32.S; every snippet sits at a fixed slot, exceptions are taken
 * through IDT gates into stubs that record vector, error code and frame.
 *
 * Exceptions must be delivered through the IDT (src/cpu/intr.c); a run that
 * ends in the undeliverable-event fallback (KVM_INTERNAL_ERROR_DELIVERY_EV)
 * fails. Expected values are worked out from the SDM pseudo-code cited
 * beside each test; the host CPU oracle (test_alu_oracle.c) covers the
 * arithmetic itself. */
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_alu_exc[], guest_alu_exc_end[];
extern const uint8_t guest_alu_exc32[], guest_alu_exc32_end[];

#define SLOT(n) (TH_CODE + (uint64_t)(n) * 0x40)
#define STUB(k) (TH_CODE + 0x1000 + (uint64_t)(k) * 0x40)
#define REC 0x9000
#define DATA 0x500000
#define UNMAPPED 0x600000 /* PD entry 3 cleared: not present */
#define RDONLY 0x800000   /* PD entry 4 without R/W */
#define PD0 (TH_PML4 + 0x2000)
#define ARITH 0x8d5u

static uint64_t rd64(struct th *t, uint64_t a)
{
	uint64_t v;
	memcpy(&v, t->mem + a, 8);
	return v;
}
static uint32_t rd32(struct th *t, uint64_t a)
{
	uint32_t v;
	memcpy(&v, t->mem + a, 4);
	return v;
}
static void wr64(struct th *t, uint64_t a, uint64_t v)
{
	memcpy(t->mem + a, &v, 8);
}

static int setup64(struct th *t)
{
	int r = th_init(t, TG_BACKEND_MODEL, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_alu_exc, (size_t)(guest_alu_exc_end - guest_alu_exc));
	th_long_mode(t, TH_CODE, TH_STACK);
	th_gate64(t, 0, STUB(0), 14, 0, 0);
	th_gate64(t, 6, STUB(1), 14, 0, 0);
	th_gate64(t, 13, STUB(2), 14, 0, 0);
	th_gate64(t, 14, STUB(3), 14, 0, 0);
	th_gate64(t, 8, STUB(4), 14, 0, 0);
	wr64(t, PD0 + 3 * 8, 0);                       /* 0x600000: not present */
	wr64(t, PD0 + 4 * 8, (4ull << 21) | 0x85);     /* 0x800000: read-only */
	memset(t->mem + REC, 0xa5, 0x40);
	return 0;
}

static int setup32(struct th *t)
{
	int r = th_init(t, TG_BACKEND_MODEL, 16 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_alu_exc32, (size_t)(guest_alu_exc32_end - guest_alu_exc32));
	th_prot32(t, TH_CODE, TH_STACK);
	th_gate32(t, 0, (uint32_t)STUB(0), 14, 0);
	th_gate32(t, 6, (uint32_t)STUB(1), 14, 0);
	th_gate32(t, 13, (uint32_t)STUB(2), 14, 0);
	memset(t->mem + REC, 0xa5, 0x40);
	return 0;
}

/* Point RIP at a slot with the given registers (RSP = TH_STACK; RFLAGS as
 * given, bit 1 forced) and run to the next exit other than debug-port
 * output. */
static int run_slot(struct th *t, unsigned slot, struct kvm_regs *r)
{
	r->rip = SLOT(slot);
	if (!r->rsp)
		r->rsp = TH_STACK;
	r->rflags |= 2;
	tg_vcpu_set_regs(t->vcpu, r);
	return th_run_until(t);
}

/* An exception taken through the IDT into a recording stub. */
struct xrec {
	uint64_t vector, err, rip, cs, rflags;
};

/* Checks that the run ended in a stub's HLT and reads the record. An
 * exception that could not be delivered through the IDT (no intr.c, or a
 * broken gate) fails here. */
static bool took_exception(struct th *t, int exit, bool m32, struct xrec *x,
			   int line)
{
	if (exit == KVM_EXIT_INTERNAL_ERROR &&
	    t->run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV) {
		test_fail(__FILE__, line,
			  "exception %llu raised but not delivered through the IDT",
			  (unsigned long long)t->run->internal.data[0]);
		return false;
	}
	if (exit != KVM_EXIT_HLT) {
		test_fail(__FILE__, line, "exit %d, expected HLT in a stub", exit);
		return false;
	}
	uint64_t rip = th_regs(t).rip;
	if (rip < STUB(0) || rip >= STUB(8)) {
		test_fail(__FILE__, line, "halted at %llx, not in an exception stub",
			  (unsigned long long)rip);
		return false;
	}
	if (m32) {
		*x = (struct xrec){ rd32(t, REC), rd32(t, REC + 4), rd32(t, REC + 8),
				    rd32(t, REC + 12), rd32(t, REC + 16) };
	} else {
		*x = (struct xrec){ rd64(t, REC), rd64(t, REC + 8), rd64(t, REC + 0x10),
				    rd64(t, REC + 0x18), rd64(t, REC + 0x20) };
	}
	return true;
}

#define EXPECT_FAULT(t, exit, m32, vec, errc, at)                              \
	do {                                                                   \
		struct xrec x_;                                                \
		if (took_exception((t), (exit), (m32), &x_, __LINE__)) {       \
			EXPECT_EQ(x_.vector, (vec));                           \
			EXPECT_EQ(x_.err, (errc));                             \
			EXPECT_EQ(x_.rip, (at));                               \
		}                                                              \
	} while (0)

/* The registers a faulting instruction must leave alone [SDM 6.5: a
 * fault is reported with the state before the instruction]. */
static void expect_gprs_unchanged(struct th *t, const struct kvm_regs *in, int line)
{
	struct kvm_regs r = th_regs(t);
	const uint64_t a[] = { in->rax, in->rbx, in->rcx, in->rdx, in->rsi, in->rdi,
			       in->rbp, in->r8, in->r9, in->r15 };
	const uint64_t b[] = { r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
			       r.rbp, r.r8, r.r9, r.r15 };
	for (unsigned i = 0; i < sizeof a / sizeof a[0]; i++)
		if (a[i] != b[i])
			test_fail(__FILE__, line, "register %u changed: %llx -> %llx", i,
				  (unsigned long long)a[i], (unsigned long long)b[i]);
}

/* ---- #DE [SDM Vol. 2 DIV, IDIV: "#DE If the source operand (divisor) is
 * 0; if the quotient is too large for the designated register"] ---- */

struct de_case {
	unsigned slot;
	uint64_t rax, rdx, rcx;
	const char *what;
};

static void check_de_cases(const struct de_case *cs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t), 0);
		struct kvm_regs r = { .rax = cs[i].rax, .rdx = cs[i].rdx, .rcx = cs[i].rcx,
				      .rbx = 0x1111, .rsi = 0x2222, .r8 = 0x3333,
				      .rflags = ARITH };
		int e = run_slot(&t, cs[i].slot, &r);
		printf("    %s\n", cs[i].what);
		EXPECT_FAULT(&t, e, false, 0, 0, SLOT(cs[i].slot));
		expect_gprs_unchanged(&t, &r, __LINE__);
		/* the pushed RFLAGS carries the flags from before the fault */
		EXPECT_EQ(rd64(&t, REC + 0x20) & ARITH, ARITH);
		EXPECT_EQ(rd64(&t, REC + 0x18), TH_SEL_CODE64);
		th_fini(&t);
	}
}

TEST(alu_div_by_zero_is_de)
{
	static const struct de_case cs[] = {
		{ 0, 0x1234, 0, 0xff00, "div cl, CL=0" },
		{ 1, 0x1234, 0x10, 0xffff0000, "div cx, CX=0" },
		{ 2, 0x1234, 0, 0xffffffff00000000ull, "div ecx, ECX=0" },
		{ 3, 0x1234, 0, 0, "div rcx, RCX=0" },
		{ 4, 0x1234, 0, 0x100, "idiv cl, CL=0" },
		{ 5, 0x1234, 0, 0x10000, "idiv cx, CX=0" },
		{ 6, 0x1234, 0, 0x100000000ull, "idiv ecx, ECX=0" },
		{ 7, 0x1234, 0, 0, "idiv rcx, RCX=0" },
	};
	check_de_cases(cs, sizeof cs / sizeof cs[0]);
}

TEST(alu_div_quotient_overflow_is_de)
{
	static const struct de_case cs[] = {
		{ 0, 0x1000, 0, 0x10, "div cl: 0x1000/0x10 = 0x100 > 0xff" },
		{ 1, 0, 0x10, 0x10, "div cx: 0x100000/0x10 > 0xffff" },
		{ 2, 0, 5, 5, "div ecx: EDX = divisor" },
		{ 3, 0, 7, 7, "div rcx: RDX = divisor" },
		{ 3, 0, ~0ull, 1, "div rcx: RDX:RAX / 1 with RDX != 0" },
		{ 4, 0x7f00, 0, 0x7f, "idiv cl: 0x7f00/0x7f = 0x100" },
		{ 5, 0x0000, 0x4000, 0x7fff, "idiv cx: 2^30 / 32767 = 32769" },
	};
	check_de_cases(cs, sizeof cs / sizeof cs[0]);
}

/* The most negative dividend divided by -1: the quotient is one past the
 * largest positive value [SDM Vol. 2 IDIV]. */
TEST(alu_idiv_int_min_by_minus_one_is_de)
{
	static const struct de_case cs[] = {
		{ 4, 0xff80, 0, 0xff, "idiv cl: -128 / -1" },
		{ 5, 0x8000, 0xffff, 0xffff, "idiv cx: -2^31 / -1" },
		{ 6, 0x80000000, 0xffffffff, 0xffffffff, "idiv ecx: -2^63 / -1" },
		{ 7, 0x8000000000000000ull, ~0ull, ~0ull, "idiv rcx: -2^127 / -1" },
		{ 7, 0, 0x8000000000000000ull, ~0ull, "idiv rcx: huge / -1" },
	};
	check_de_cases(cs, sizeof cs / sizeof cs[0]);
}

/* Boundaries that do not fault: the quotient is exactly the most negative
 * value [SDM Vol. 2 IDIV: the range is -2^(n-1) .. 2^(n-1)-1]. */
TEST(alu_idiv_boundaries_that_fit)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	/* +2^63 / -1 = -2^63: fits */
	struct kvm_regs r = { .rax = 0x8000000000000000ull, .rdx = 0, .rcx = ~0ull };
	ASSERT_EQ(run_slot(&t, 7, &r), KVM_EXIT_HLT);
	struct kvm_regs o = th_regs(&t);
	EXPECT_EQ(o.rip, SLOT(7) + 4);
	EXPECT_EQ(o.rax, 0x8000000000000000ull);
	EXPECT_EQ(o.rdx, 0);
	/* -128 / 1 in AX: AL = 0x80, AH = 0 */
	r = (struct kvm_regs){ .rax = 0xabcdff80, .rcx = 1 };
	ASSERT_EQ(run_slot(&t, 4, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax, 0xabcd0080);
	/* -7 / 2 = -3 remainder -1 (truncation toward zero) */
	r = (struct kvm_regs){ .rax = (uint64_t)-7, .rdx = ~0ull, .rcx = 2 };
	ASSERT_EQ(run_slot(&t, 7, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax, (uint64_t)-3);
	EXPECT_EQ(th_regs(&t).rdx, (uint64_t)-1);
	th_fini(&t);
}

/* A memory divisor that faults: #PF for the read (error code 0: not
 * present, read, supervisor [SDM 4.7]) and CR2 = its address; a zero
 * memory divisor is #DE. */
TEST(alu_div_memory_divisor_faults)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = { .rax = 5, .rdx = 0, .rbx = UNMAPPED + 0x18 };
	int e = run_slot(&t, 8, &r);
	EXPECT_FAULT(&t, e, false, 14, 0, SLOT(8));
	EXPECT_EQ(th_sregs(&t).cr2, UNMAPPED + 0x18);
	expect_gprs_unchanged(&t, &r, __LINE__);
	wr64(&t, DATA, 0);
	r = (struct kvm_regs){ .rax = 5, .rdx = 0, .rbx = DATA };
	e = run_slot(&t, 8, &r);
	EXPECT_FAULT(&t, e, false, 0, 0, SLOT(8));
	wr64(&t, DATA, 3);
	r = (struct kvm_regs){ .rax = 100, .rdx = 0, .rbx = DATA };
	ASSERT_EQ(run_slot(&t, 8, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax, 33);
	EXPECT_EQ(th_regs(&t).rdx, 1);
	th_fini(&t);
}

/* ---- #UD ---- */

/* LOCK is #UD unless the instruction is a listed read-modify-write with a
 * memory destination [SDM Vol. 2 LOCK]; CMPXCHG8B has no register form
 * and 0F BA /0-/3 are reserved [SDM Vol. 2 CMPXCHG8B, Table A-6]; JMPE
 * (0F B8 without F3) is #UD outside IA-64; AAM and DAA are invalid in
 * 64-bit mode [SDM Vol. 2 AAM, DAA]. */
TEST(alu_invalid_forms_are_ud)
{
	static const struct { unsigned slot; const char *what; } cs[] = {
		{ 9, "lock add rax, rcx" },
		{ 15, "lock cmp [rbx], rax" },
		{ 16, "lock bt [rbx], rax" },
		{ 12, "cmpxchg8b eax (register form)" },
		{ 28, "0F BA /0" },
		{ 26, "0F B8 without F3" },
		{ 24, "aam in 64-bit mode" },
		{ 25, "daa in 64-bit mode" },
	};
	for (unsigned i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		struct th t;
		ASSERT_EQ(setup64(&t), 0);
		struct kvm_regs r = { .rax = 0x10, .rcx = 0x20, .rbx = DATA, .rflags = 0x4 };
		int e = run_slot(&t, cs[i].slot, &r);
		printf("    %s\n", cs[i].what);
		EXPECT_FAULT(&t, e, false, 6, 0, SLOT(cs[i].slot));
		expect_gprs_unchanged(&t, &r, __LINE__);
		th_fini(&t);
	}
}

/* ---- memory destinations ---- */

/* LOCKed read-modify-writes just happen (one vCPU): the results land in
 * guest memory [SDM Vol. 2 ADD, INC, XADD, BTS, NEG]. */
TEST(alu_lock_rmw_lands_in_memory)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	wr64(&t, DATA, 0x1111);
	wr64(&t, DATA + 8, 0x11111111ffffffffull);
	wr64(&t, DATA + 16, 5);
	wr64(&t, DATA + 24, 0);
	wr64(&t, DATA + 32, 0x7777777777770001ull);
	struct kvm_regs r = { .rbx = DATA, .rcx = 0x2222, .rdx = 7 };
	ASSERT_EQ(run_slot(&t, 10, &r), KVM_EXIT_HLT);
	EXPECT_EQ(rd64(&t, DATA), 0x3333);
	EXPECT_EQ(rd64(&t, DATA + 8), 0x1111111100000000ull); /* dword inc */
	EXPECT_EQ(rd64(&t, DATA + 16), 12);
	EXPECT_EQ(th_regs(&t).rdx, 5);                     /* XADD: old value */
	EXPECT_EQ(rd64(&t, DATA + 24), 0x20);
	EXPECT_EQ(rd64(&t, DATA + 32), 0x777777777777ffffull);
	/* flags of NEG 1 (word): CF=1 (source != 0), AF=1, SF=1, PF=1 */
	EXPECT_EQ(th_regs(&t).rflags & ARITH, 0x95);
	th_fini(&t);
}

/* Several operand sizes and operations with memory destinations; only
 * the addressed bytes change. */
TEST(alu_memory_destinations)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	/* byte 0 = 7f, byte 1 = 55, word 2 = 0100, dword 4 = ffffffff */
	wr64(&t, DATA, 0xffffffff0100557full);
	wr64(&t, DATA + 8, 0x0f);
	wr64(&t, DATA + 16, 0x00ff00ff00ff00ffull);
	wr64(&t, DATA + 24, 0x1234567890abcdefull);
	wr64(&t, DATA + 32, 0xcccccccc00000003ull);
	wr64(&t, DATA + 40, 0x1122334455667788ull);
	wr64(&t, DATA + 48, 0x55);
	wr64(&t, DATA + 56, 0x4444444444444401ull);
	struct kvm_regs r = { .rbx = DATA, .rcx = 0x8000000000000081ull, .rax = 0x55 };
	ASSERT_EQ(run_slot(&t, 22, &r), KVM_EXIT_HLT);
	/* byte 0: 7f + 81 = 00; word 2: 0100 - 0081 = 007f; dword 4:
	 * ffffffff ^ 81 = ffffff7e */
	EXPECT_EQ(rd64(&t, DATA), 0xffffff7e007f5500ull);
	EXPECT_EQ(rd64(&t, DATA + 8), 0x800000000000008full);
	EXPECT_EQ(rd64(&t, DATA + 16), 0xff00ff00ff00ff00ull);
	/* SHL by 4: CF = bit 60 of the source = 1 ... */
	EXPECT_EQ(rd64(&t, DATA + 24), 0x234567890abcdef0ull);
	/* ... which RCR 1 rotates into bit 31 of 3: 0x80000001 */
	EXPECT_EQ(rd64(&t, DATA + 32), 0xcccccccc80000001ull);
	/* SHLD 8: low byte from the top byte of RCX (0x80) */
	EXPECT_EQ(rd64(&t, DATA + 40), 0x2233445566778880ull);
	/* CMPXCHG: RAX == m, so m <- RCX, ZF=1, CF=0; SETC stores 0 */
	EXPECT_EQ(rd64(&t, DATA + 48), 0x8000000000000081ull);
	EXPECT_EQ(rd64(&t, DATA + 56), 0x4444444444444400ull);
	EXPECT_EQ(th_regs(&t).rax, 0x55);
	EXPECT_EQ(th_regs(&t).rflags & (0x40 | 1), 0x40);
	th_fini(&t);
}

/* A read-modify-write needs write access before anything is read: on a
 * read-only page it is #PF with P=1, W=1 [SDM 4.7], nothing changes; a
 * plain read (CMP) of the same page works. */
TEST(alu_rmw_on_read_only_page_faults)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	wr64(&t, RDONLY + 0x10, 40);
	struct kvm_regs r = { .rax = 2, .rbx = RDONLY + 0x10, .rflags = 0 };
	int e = run_slot(&t, 17, &r);
	EXPECT_FAULT(&t, e, false, 14, 3, SLOT(17));
	EXPECT_EQ(th_sregs(&t).cr2, RDONLY + 0x10);
	EXPECT_EQ(rd64(&t, RDONLY + 0x10), 40);
	expect_gprs_unchanged(&t, &r, __LINE__);
	r = (struct kvm_regs){ .rax = 40, .rbx = RDONLY + 0x10 };
	ASSERT_EQ(run_slot(&t, 18, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rflags & ARITH, 0x44); /* equal: ZF, PF */
	th_fini(&t);
}

/* ---- BT family with a register bit offset [SDM Vol. 2 BT: the offset is
 * a signed integer; with a memory base the processor accesses
 * EA + size * (offset DIV width), which may be far from the operand] ---- */
TEST(alu_bt_register_offset_addresses_beyond_operand)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	memset(t.mem + DATA, 0, 0x1000);
	/* +0x1234: qword at +0x240, bit 52 = byte +0x246 bit 4 */
	struct kvm_regs r = { .rax = 0x1234, .rbx = DATA + 0x800 };
	ASSERT_EQ(run_slot(&t, 13, &r), KVM_EXIT_HLT);
	EXPECT_EQ(t.mem[DATA + 0x800 + 0x246], 0x10);
	EXPECT_EQ(th_regs(&t).rflags & 1, 0); /* CF: the old bit */
	ASSERT_EQ(run_slot(&t, 13, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rflags & 1, 1);
	/* -1: qword at -8, bit 63 = byte -1 bit 7 */
	r = (struct kvm_regs){ .rax = ~0ull, .rbx = DATA + 0x800 };
	ASSERT_EQ(run_slot(&t, 13, &r), KVM_EXIT_HLT);
	EXPECT_EQ(t.mem[DATA + 0x7ff], 0x80);
	/* -65: floor(-65 / 64) = -2: qword at -16, bit 63 = byte -9 bit 7 */
	r = (struct kvm_regs){ .rax = (uint64_t)-65, .rbx = DATA + 0x800 };
	ASSERT_EQ(run_slot(&t, 13, &r), KVM_EXIT_HLT);
	EXPECT_EQ(t.mem[DATA + 0x7f7], 0x80);
	/* nothing else was touched */
	unsigned set = 0;
	for (unsigned i = 0; i < 0x1000; i++)
		set += t.mem[DATA + i] != 0;
	EXPECT_EQ(set, 3);
	/* 32-bit BT: 0x80 bits past the last dword of a mapped page reaches
	 * the dword at +16 = 0x600000, not present: #PF there (read) */
	r = (struct kvm_regs){ .rax = 0x80, .rbx = UNMAPPED - 0x10, .rflags = 1 };
	int e = run_slot(&t, 14, &r);
	EXPECT_FAULT(&t, e, false, 14, 0, SLOT(14));
	EXPECT_EQ(th_sregs(&t).cr2, UNMAPPED);
	/* -1: bit 31 of the dword just below the base */
	wr64(&t, DATA, 0x80000000ull << 32);
	r = (struct kvm_regs){ .rax = 0xffffffff, .rbx = DATA + 8 };
	ASSERT_EQ(run_slot(&t, 14, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rflags & 1, 1);
	th_fini(&t);
}

/* ---- CMPXCHG16B [SDM Vol. 2 CMPXCHG16B: "#GP(0) if the memory operand
 * is not aligned on a 16-byte boundary"] ---- */
TEST(alu_cmpxchg16b_alignment_and_result)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	wr64(&t, DATA + 8, 0x1111);
	wr64(&t, DATA + 16, 0x2222);
	struct kvm_regs r = { .rax = 0x1111, .rdx = 0x2222, .rcx = 0x3333,
			      .rbx = DATA + 8 };
	int e = run_slot(&t, 11, &r);
	EXPECT_FAULT(&t, e, false, 13, 0, SLOT(11));
	EXPECT_EQ(rd64(&t, DATA + 8), 0x1111);
	EXPECT_EQ(rd64(&t, DATA + 16), 0x2222);
	expect_gprs_unchanged(&t, &r, __LINE__);
	/* aligned, equal: m128 <- RCX:RBX, ZF = 1 */
	wr64(&t, DATA + 0x100, 0x1111);
	wr64(&t, DATA + 0x108, 0x2222);
	r = (struct kvm_regs){ .rax = 0x1111, .rdx = 0x2222, .rcx = 0x3333,
			       .rbx = DATA + 0x100 };
	ASSERT_EQ(run_slot(&t, 11, &r), KVM_EXIT_HLT);
	EXPECT_EQ(rd64(&t, DATA + 0x100), DATA + 0x100);
	EXPECT_EQ(rd64(&t, DATA + 0x108), 0x3333);
	EXPECT_EQ(th_regs(&t).rflags & 0x40, 0x40);
	/* aligned, different: RDX:RAX <- m128, ZF = 0 */
	r = (struct kvm_regs){ .rax = 0x1111, .rdx = 0x2222, .rbx = DATA + 0x100,
			       .rflags = 0x40 };
	ASSERT_EQ(run_slot(&t, 11, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax, DATA + 0x100);
	EXPECT_EQ(th_regs(&t).rdx, 0x3333);
	EXPECT_EQ(th_regs(&t).rflags & 0x40, 0);
	th_fini(&t);
}

/* ---- byte and word registers [SDM Vol. 1 3.4.1.1; Vol. 2 2.1.5 Table
 * 2-2: without REX, byte registers 4-7 are AH CH DH BH; with any REX they
 * are SPL BPL SIL DIL] ---- */
TEST(alu_byte_registers_high_without_rex)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = { .rax = 0x1111111111112233ull, .rbx = 0x5544,
			      .rcx = 0x7f00, .rdx = 0x1000, .rsi = ~0ull };
	ASSERT_EQ(run_slot(&t, 19, &r), KVM_EXIT_HLT);
	struct kvm_regs o = th_regs(&t);
	EXPECT_EQ(o.rax, 0x1111111111116633ull); /* AH = 22 + 44 */
	EXPECT_EQ(o.rcx, 0x8000);                 /* CH = 7f + 1 */
	EXPECT_EQ(o.rbx, 0x4544);                 /* BH = 55 - 10 */
	EXPECT_EQ(o.rsi, 0x45);                   /* MOVZX ESI, BH */
	EXPECT_EQ(o.rflags & ARITH, 0);           /* 55 - 10 = 45 */
	th_fini(&t);
}

TEST(alu_byte_registers_low_with_rex)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = { .rax = 0x1111111111112233ull, .rbx = 0x5544,
			      .rsp = 0x80010, .rbp = 0x12ff, .rsi = 0x0201,
			      .rdi = 0x0300, .r9 = ~0ull };
	ASSERT_EQ(run_slot(&t, 20, &r), KVM_EXIT_HLT);
	struct kvm_regs o = th_regs(&t);
	EXPECT_EQ(o.rsp, 0x80054);  /* SPL = 10 + 44 */
	EXPECT_EQ(o.rbp, 0x1200);   /* BPL = ff + 1, no carry into bit 8 */
	EXPECT_EQ(o.rdi, 0x03ff);   /* DIL = 00 - 01 */
	EXPECT_EQ(o.r9, 0xff);      /* MOVZX R9D, DIL */
	EXPECT_EQ(o.rax, 0x1111111111112233ull); /* AH untouched */
	EXPECT_EQ(o.rbx, 0x5544);
	EXPECT_EQ(o.rflags & ARITH, 0x95); /* 0 - 1: CF AF SF PF */
	th_fini(&t);
}

TEST(alu_word_operations_keep_upper_bits)
{
	struct th t;
	ASSERT_EQ(setup64(&t), 0);
	struct kvm_regs r = { .rax = 0xaaaaaaaaaaaa8000ull, .rbx = 0x9999999999998000ull,
			      .rcx = 0xbbbbbbbbbbbb0001ull, .rdx = 0xcccccccccccc1234ull,
			      .rsi = 0xdddddddddddd0003ull, .rdi = 0xeeeeeeeeeeee0004ull };
	ASSERT_EQ(run_slot(&t, 21, &r), KVM_EXIT_HLT);
	struct kvm_regs o = th_regs(&t);
	EXPECT_EQ(o.rax, 0xaaaaaaaaaaaa0000ull);
	EXPECT_EQ(o.rcx, 0xbbbbbbbbbbbbffffull);
	EXPECT_EQ(o.rdx, 0xcccccccccccc2340ull);
	EXPECT_EQ(o.rsi, 0xdddddddddddd0004ull); /* XADD: SRC <- old DEST */
	EXPECT_EQ(o.rdi, 0xeeeeeeeeeeee0007ull);
	EXPECT_EQ(o.rflags & ARITH, 0); /* 3 + 4 = 7 */
	th_fini(&t);
}

/* ---- 32-bit mode ---- */

/* AAM with a zero immediate divides by zero [SDM Vol. 2 AAM: #DE if
 * imm8 = 0]; AX stays. */
TEST(alu_aam_zero_is_de_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = { .rax = 0x1234, .rflags = ARITH };
	int e = run_slot(&t, 0, &r);
	EXPECT_FAULT(&t, e, true, 0, 0, SLOT(0));
	EXPECT_EQ(rd32(&t, REC + 12), TH_SEL_CODE32);
	EXPECT_EQ(rd32(&t, REC + 16) & ARITH, ARITH);
	EXPECT_EQ(th_regs(&t).rax, 0x1234);
	th_fini(&t);
}

TEST(alu_div_by_zero_is_de_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = { .rax = 10, .rdx = 0, .rcx = 0 };
	int e = run_slot(&t, 4, &r);
	EXPECT_FAULT(&t, e, true, 0, 0, SLOT(4));
	th_fini(&t);
}

/* Packed BCD: 38 + 45 = 83 with DAA; then 19 + 29 + CF(0) = 48
 * [SDM Vol. 2 DAA]. Unpacked: 9 + 8 = 17 -> AH += 1, AL = 7 with CF = AF =
 * 1 [SDM Vol. 2 AAA]. AAM 10 of 63 = 0x0603, AAD 10 back to 63 [SDM Vol. 2
 * AAM, AAD]. */
TEST(alu_bcd_adjustments_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = { .rax = 0x2938, .rbx = 0x1945 };
	ASSERT_EQ(run_slot(&t, 1, &r), KVM_EXIT_HLT);
	/* 38 + 45 = 7d, DAA -> 83 (CF 0); then 19 + 29 + 0 = 42 with AF,
	 * DAA -> 48 */
	EXPECT_EQ(th_regs(&t).rcx & 0xff, 0x83);
	EXPECT_EQ(th_regs(&t).rax & 0xff, 0x48);
	r = (struct kvm_regs){ .rax = 0x0009, .rbx = 0x08 };
	ASSERT_EQ(run_slot(&t, 2, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rax & 0xffff, 0x0107);
	EXPECT_EQ(th_regs(&t).rflags & 0x11, 0x11);
	r = (struct kvm_regs){ .rax = 0xab3f }; /* AL = 63 */
	ASSERT_EQ(run_slot(&t, 3, &r), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rsi & 0xffff, 0x0603);
	EXPECT_EQ(th_regs(&t).rax & 0xffff, 0x003f);
	th_fini(&t);
}

/* INC/DEC 40-4F exist outside 64-bit mode; CF is not touched [SDM Vol. 2
 * INC, DEC]. */
TEST(alu_inc_dec_short_forms_32)
{
	struct th t;
	ASSERT_EQ(setup32(&t), 0);
	struct kvm_regs r = { .rax = 0x7fffffff, .rcx = 0x12340000, .rdx = 0xffffffff,
			      .rflags = 1 };
	ASSERT_EQ(run_slot(&t, 5, &r), KVM_EXIT_HLT);
	struct kvm_regs o = th_regs(&t);
	EXPECT_EQ(o.rax, 0x80000000);
	EXPECT_EQ(o.rcx, 0x1234ffff);
	EXPECT_EQ(o.rdx, 0);
	/* last: INC 0xffffffff = 0: ZF PF AF set, CF kept (1) */
	EXPECT_EQ(o.rflags & ARITH, 0x55);
	th_fini(&t);
}
