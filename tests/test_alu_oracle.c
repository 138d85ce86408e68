/* The host CPU is the oracle for the integer ALU.
 *
 * Every case is one instruction, encoded here once as bytes. The bytes run
 * natively (copied into an executable buffer between a stub that loads all
 * general registers and RFLAGS from a struct and stores them back) and on
 * the model (the harness in 64-bit mode, the same bytes at TH_CODE, one
 * instruction of budget). Results are compared exactly: all general
 * registers but RSP, the six arithmetic flags and DF, and the memory window
 * around the operand. Memory operands are RIP-relative and the data sits at
 * the same distance from the instruction in both worlds, so the same bytes
 * address the same data.
 *
 * The BCD instructions (and INC/DEC 40-4F, SALC) do not exist in 64-bit
 * mode: they run natively in compatibility mode (a far call to the
 * kernel's 32-bit user code segment), on the model in 32-bit protected
 * mode, and the model is also checked against the SDM pseudo-code for the
 * outputs the SDM defines.
 *
 * Undefined flags are compared like defined ones: the model must match
 * this host. Inputs that would fault natively (#DE) are not run here; see
 * tests/test_alu.c. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "harness.h"
#include "test.h"

#define FLAGS_CMP (0x8d5u | 0x400u) /* CF PF AF ZF SF OF, and DF */

/* ------------------------------------------------------------------ */
/* deterministic pseudo-random numbers                                  */
/* ------------------------------------------------------------------ */

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
/* random value with a random, often small, number of set bits */
static uint64_t rnd_val(void)
{
	switch (rnd() % 4) {
	case 0: return rnd();
	case 1: return rnd() & rnd() & rnd();
	case 2: return rnd() | rnd() | rnd();
	default: return (uint64_t)(int64_t)(int8_t)rnd() << (rnd() % 60);
	}
}

static uint64_t mask_of(unsigned sz)
{
	return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1;
}

/* Edge values for a size: 0, 1, 2, sign boundaries at every width up to
 * the size, maximum, and their neighbours. */
static unsigned edge_values(unsigned sz, uint64_t *out)
{
	unsigned n = 0;
	static const uint64_t base[] = { 0, 1, 2, 3, 5, 7, 8, 9, 0xf, 0x10, 0x55, 0xaa };
	for (unsigned i = 0; i < sizeof base / sizeof base[0]; i++)
		out[n++] = base[i];
	for (unsigned w = 8; w <= sz * 8; w *= 2) {
		uint64_t top = 1ull << (w - 1);
		out[n++] = top - 1;
		out[n++] = top;
		out[n++] = top + 1;
		out[n++] = mask_of(w / 8);
		out[n++] = mask_of(w / 8) - 1;
	}
	for (unsigned i = 0; i < n; i++)
		out[i] &= mask_of(sz);
	return n;
}

/* ------------------------------------------------------------------ */
/* state, memory window                                                 */
/* ------------------------------------------------------------------ */

struct st {
	uint64_t r[16]; /* r[4] (RSP) is not an operand and not compared */
	uint64_t flags;
};

/* The data operand is DATA_DIST bytes after the instruction's first byte
 * in both worlds; the compared window is WIN bytes centred on it. */
#define DATA_DIST 0x1800
#define WIN 0x800
static uint8_t mem_in[WIN], mem_nat[WIN], mem_mod[WIN];

/* ------------------------------------------------------------------ */
/* native 64-bit engine                                                 */
/* ------------------------------------------------------------------ */

static uint8_t *nat; /* RWX: stub at 0, instruction at NAT_INSN, data after */
#define NAT_INSN 0x200
#define NAT_SIZE 0x4000

static void emit(uint8_t **p, const void *b, size_t n)
{
	memcpy(*p, b, n);
	*p += n;
}

/* mov [rdi+off], reg / mov reg, [rdi+off] (64-bit, disp32) */
static void emit_mov_rdi(uint8_t **p, bool store, int reg, int32_t off)
{
	uint8_t b[7] = { (uint8_t)(0x48 | (reg >> 3 ? 4 : 0)), store ? 0x89 : 0x8b,
			 (uint8_t)(0x80 | (reg & 7) << 3 | 7) };
	memcpy(b + 3, &off, 4);
	emit(p, b, 7);
}

static bool native_init(void)
{
	if (nat)
		return true;
	void *m = mmap(0, NAT_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	nat = m;
	uint8_t *p = nat;
	/* push rbx rbp r12-r15; push rdi (the struct); push [rdi+128]; popfq */
	static const uint8_t pro[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56,
				       0x41, 0x57, 0x57, 0xff, 0xb7, 0x80, 0, 0, 0, 0x9d };
	emit(&p, pro, sizeof pro);
	for (int r = 0; r < 16; r++)
		if (r != 4 && r != 7)
			emit_mov_rdi(&p, false, r, r * 8);
	emit_mov_rdi(&p, false, 7, 7 * 8);
	int32_t rel = (int32_t)(NAT_INSN - (p - nat) - 5);
	uint8_t j = 0xe9;
	emit(&p, &j, 1);
	emit(&p, &rel, 4);
	return true;
}

static void native_run(const uint8_t *code, unsigned len, struct st *s, bool usemem)
{
	uint8_t *p = nat + NAT_INSN;
	emit(&p, code, len);
	static const uint8_t xchg[] = { 0x48, 0x87, 0x3c, 0x24 }; /* xchg rdi,[rsp] */
	emit(&p, xchg, sizeof xchg);
	for (int r = 0; r < 16; r++)
		if (r != 4 && r != 7)
			emit_mov_rdi(&p, true, r, r * 8);
	/* pushfq; pop rax; mov [rdi+128],rax; pop rax; mov [rdi+56],rax; cld;
	 * pop r15-r12 rbp rbx; ret */
	static const uint8_t epi[] = { 0x9c, 0x58, 0x48, 0x89, 0x87, 0x80, 0, 0, 0,
				       0x58, 0x48, 0x89, 0x47, 0x38, 0xfc,
				       0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c,
				       0x5d, 0x5b, 0xc3 };
	emit(&p, epi, sizeof epi);
	uint8_t *data = nat + NAT_INSN + DATA_DIST - WIN / 2;
	if (usemem)
		memcpy(data, mem_in, WIN);
	((void (*)(struct st *))(void *)nat)(s);
	if (usemem)
		memcpy(mem_nat, data, WIN);
}

/* ------------------------------------------------------------------ */
/* native compatibility-mode engine (32-bit code under a 64-bit kernel) */
/* ------------------------------------------------------------------ */

/* Layout of the MAP_32BIT page set. */
#define C32_ENTRY 0x000  /* 64-bit entry */
#define C32_CODE 0x100   /* 32-bit code */
#define C32_FARPTR 0x1000
#define C32_STATE 0x1100 /* 8 x 4 bytes regs, then flags */
#define C32_STACK 0x8000 /* top of the stack used in compatibility mode */
#define C32_SIZE 0x8000
#define USER32_CS 0x23   /* Linux x86-64 __USER32_CS */

static uint8_t *c32;
static int c32_state; /* 0 untested, 1 works, -1 unavailable */
static sigjmp_buf c32_jb;

static void c32_fault(int sig)
{
	(void)sig;
	siglongjmp(c32_jb, 1);
}

/* Build the 32-bit part around `code`. Registers are loaded from and
 * stored to C32_STATE through SS (the 64-bit process runs with DS = 0,
 * which is unusable in compatibility mode). */
static void c32_build(const uint8_t *code, unsigned len)
{
	uint32_t base = (uint32_t)(uintptr_t)c32;
	uint8_t *p = c32 + C32_CODE;
	uint32_t a;
	/* push dword ss:[state+32]; popfd */
	a = base + C32_STATE + 32;
	uint8_t pf[] = { 0x36, 0xff, 0x35 };
	emit(&p, pf, 3);
	emit(&p, &a, 4);
	uint8_t popf = 0x9d;
	emit(&p, &popf, 1);
	for (int r = 0; r < 8; r++) {
		if (r == 4)
			continue;
		a = base + C32_STATE + r * 4;
		uint8_t mv[] = { 0x36, 0x8b, (uint8_t)(0x05 | r << 3) }; /* mov r, ss:[abs] */
		emit(&p, mv, 3);
		emit(&p, &a, 4);
	}
	emit(&p, code, len);
	for (int r = 0; r < 8; r++) {
		if (r == 4)
			continue;
		a = base + C32_STATE + r * 4;
		uint8_t mv[] = { 0x36, 0x89, (uint8_t)(0x05 | r << 3) }; /* mov ss:[abs], r */
		emit(&p, mv, 3);
		emit(&p, &a, 4);
	}
	/* pushfd; pop eax; mov ss:[state+32], eax; cld; lret */
	uint8_t pf2[] = { 0x9c, 0x58, 0x36, 0xa3 };
	emit(&p, pf2, 4);
	a = base + C32_STATE + 32;
	emit(&p, &a, 4);
	uint8_t tail[] = { 0xfc, 0xcb };
	emit(&p, tail, 2);
}

static bool c32_init(void)
{
	if (c32_state)
		return c32_state > 0;
	c32_state = -1;
	void *m = mmap(0, C32_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (m == MAP_FAILED)
		return false;
	c32 = m;
	uint32_t base = (uint32_t)(uintptr_t)c32;
	uint8_t *p = c32 + C32_ENTRY;
	/* push rbx rbp r12-r15; mov r12, rsp; mov esp, stack; lcall [farptr];
	 * mov rsp, r12; pop ...; ret */
	static const uint8_t pro[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56,
				       0x41, 0x57, 0x49, 0x89, 0xe4, 0xbc };
	emit(&p, pro, sizeof pro);
	uint32_t st = base + C32_STACK - 16;
	emit(&p, &st, 4);
	uint8_t lc[] = { 0xff, 0x1c, 0x25 };
	emit(&p, lc, 3);
	uint32_t fp = base + C32_FARPTR;
	emit(&p, &fp, 4);
	static const uint8_t epi[] = { 0x4c, 0x89, 0xe4, 0x41, 0x5f, 0x41, 0x5e, 0x41,
				       0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
	emit(&p, epi, sizeof epi);
	uint32_t target = base + C32_CODE;
	uint16_t sel = USER32_CS;
	memcpy(c32 + C32_FARPTR, &target, 4);
	memcpy(c32 + C32_FARPTR + 4, &sel, 2);

	/* Probe once: a host without a 32-bit user code segment faults. */
	static const uint8_t nop = 0x90;
	c32_build(&nop, 1);
	struct sigaction sa = { .sa_handler = c32_fault, .sa_flags = SA_ONSTACK }, o1, o2;
	sigemptyset(&sa.sa_mask);
	static uint8_t altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, oss;
	sigaltstack(&ss, &oss);
	sigaction(SIGSEGV, &sa, &o1);
	sigaction(SIGBUS, &sa, &o2);
	if (!sigsetjmp(c32_jb, 1)) {
		((void (*)(void))(void *)(c32 + C32_ENTRY))();
		c32_state = 1;
	}
	sigaction(SIGSEGV, &o1, 0);
	sigaction(SIGBUS, &o2, 0);
	sigaltstack(&oss, 0);
	return c32_state > 0;
}

static void c32_run(const uint8_t *code, unsigned len, struct st *s)
{
	c32_build(code, len);
	uint32_t regs[9];
	for (int r = 0; r < 8; r++)
		regs[r] = (uint32_t)s->r[r];
	regs[8] = (uint32_t)s->flags;
	memcpy(c32 + C32_STATE, regs, sizeof regs);
	((void (*)(void))(void *)(c32 + C32_ENTRY))();
	memcpy(regs, c32 + C32_STATE, sizeof regs);
	for (int r = 0; r < 8; r++)
		if (r != 4)
			s->r[r] = regs[r];
	s->flags = regs[8];
}

/* ------------------------------------------------------------------ */
/* the model                                                            */
/* ------------------------------------------------------------------ */

struct model {
	struct th t;
	bool m32;
	bool ok;
};

static bool model_init(struct model *m, bool m32)
{
	memset(m, 0, sizeof *m);
	if (th_init(&m->t, TG_BACKEND_MODEL, 4 << 20) < 0)
		return false;
	if (m32)
		th_prot32(&m->t, TH_CODE, TH_STACK);
	else
		th_long_mode(&m->t, TH_CODE, TH_STACK);
	/* one instruction per run: no dependence on what follows */
	if (tg_vcpu_set_budget(m->t.vcpu, 1) < 0)
		return false;
	m->m32 = m32;
	m->ok = true;
	return true;
}

static void model_fini(struct model *m)
{
	th_fini(&m->t);
}

/* Run one instruction; returns 0, or a description of what went wrong. */
static const char *model_run(struct model *m, const uint8_t *code, unsigned len,
			     struct st *s, bool usemem)
{
	struct th *t = &m->t;
	memcpy(t->mem + TH_CODE, code, len);
	t->mem[TH_CODE + len] = 0xf4;
	uint8_t *data = t->mem + TH_CODE + DATA_DIST - WIN / 2;
	if (usemem)
		memcpy(data, mem_in, WIN);
	struct kvm_regs r = {
		.rax = s->r[0], .rcx = s->r[1], .rdx = s->r[2], .rbx = s->r[3],
		.rsp = TH_STACK, .rbp = s->r[5], .rsi = s->r[6], .rdi = s->r[7],
		.r8 = s->r[8], .r9 = s->r[9], .r10 = s->r[10], .r11 = s->r[11],
		.r12 = s->r[12], .r13 = s->r[13], .r14 = s->r[14], .r15 = s->r[15],
		.rip = TH_CODE, .rflags = s->flags | 2,
	};
	tg_vcpu_set_regs(t->vcpu, &r);
	int rc = tg_vcpu_run(t->vcpu);
	if (rc != -EINTR) {
		static char why[96];
		if (t->run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    t->run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV)
			snprintf(why, sizeof why, "model raised exception %llu",
				 (unsigned long long)t->run->internal.data[0]);
		else
			snprintf(why, sizeof why, "model exit %u (rc %d)",
				 t->run->exit_reason, rc);
		return why;
	}
	r = th_regs(t);
	if (r.rip != TH_CODE + len)
		return "model RIP not after the instruction";
	uint64_t out[16] = { r.rax, r.rcx, r.rdx, r.rbx, r.rsp, r.rbp, r.rsi, r.rdi,
			     r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
	memcpy(s->r, out, sizeof out);
	s->flags = r.rflags;
	if (usemem)
		memcpy(mem_mod, data, WIN);
	return 0;
}

/* ------------------------------------------------------------------ */
/* comparison                                                           */
/* ------------------------------------------------------------------ */

static uint64_t total_comparisons;
static unsigned long n_cases, n_bad;

static void print_bytes(const uint8_t *code, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		printf("%02x ", code[i]);
}

/* Run a case on both sides and compare. `ref` (optional) is an extra
 * expectation for the 32-bit path when the native side is unavailable. */
static void run_case(struct model *m, const uint8_t *code, unsigned len,
		     const struct st *in, bool usemem)
{
	struct st n = *in, md = *in;
	n.flags = (in->flags & FLAGS_CMP) | 2;
	md.flags = n.flags;
	if (m->m32)
		c32_run(code, len, &n);
	else
		native_run(code, len, &n, usemem);
	const char *err = model_run(m, code, len, &md, usemem);
	n_cases++;
	total_comparisons++;
	bool bad = err != 0;
	if (!bad) {
		unsigned nregs = m->m32 ? 8 : 16;
		for (unsigned i = 0; i < nregs; i++)
			if (i != 4 && n.r[i] != md.r[i])
				bad = true;
		if ((n.flags ^ md.flags) & FLAGS_CMP)
			bad = true;
		if (usemem && memcmp(mem_nat, mem_mod, WIN))
			bad = true;
	}
	if (!bad)
		return;
	if (n_bad++ >= 12)
		return;
	printf("    MISMATCH [");
	print_bytes(code, len);
	printf("] flags in %03llx", (unsigned long long)(in->flags & FLAGS_CMP));
	if (err) {
		printf(": %s\n", err);
		return;
	}
	printf("\n");
	unsigned nregs = m->m32 ? 8 : 16;
	for (unsigned i = 0; i < nregs; i++)
		if (i != 4 && n.r[i] != md.r[i])
			printf("      r%u: in %016llx host %016llx model %016llx\n", i,
			       (unsigned long long)in->r[i], (unsigned long long)n.r[i],
			       (unsigned long long)md.r[i]);
	if ((n.flags ^ md.flags) & FLAGS_CMP)
		printf("      flags: host %03llx model %03llx\n",
		       (unsigned long long)(n.flags & FLAGS_CMP),
		       (unsigned long long)(md.flags & FLAGS_CMP));
	if (usemem)
		for (unsigned i = 0; i < WIN; i++)
			if (mem_nat[i] != mem_mod[i]) {
				printf("      mem[%+d]: in %02x host %02x model %02x\n",
				       (int)i - WIN / 2, mem_in[i], mem_nat[i], mem_mod[i]);
				break;
			}
}

/* Start/end of one oracle test: checks that cases ran and none differed. */
static bool begin(struct model *m, bool m32)
{
	n_cases = n_bad = 0;
	if (m32 ? !c32_init() : !native_init()) {
		test_skip(m32 ? "no 32-bit user code segment on this host"
			      : "cannot map executable memory");
		return false;
	}
	if (!model_init(m, m32)) {
		test_fail(__FILE__, __LINE__, "model set-up failed");
		return false;
	}
	return true;
}

static void end(struct model *m, unsigned long min_cases)
{
	model_fini(m);
	printf("    %lu comparisons, %lu mismatches\n", n_cases, n_bad);
	EXPECT_EQ(n_bad, 0);
	EXPECT_TRUE(n_cases >= min_cases);
}

/* ------------------------------------------------------------------ */
/* encoding                                                             */
/* ------------------------------------------------------------------ */

#define MEM (-1) /* r/m operand: RIP-relative to the data window centre */
#define F_REX 0x100 /* force a REX prefix (byte registers SPL..DIL) */
#define F_REXR 0x200 /* set REX.R on an opcode-extension ModRM.reg (ignored) */
#define F_REXX 0x400 /* set REX.X without SIB (ignored) */

struct ins {
	uint8_t b[16];
	unsigned len;
};

/* Encode [pfx] [66] [REX] [0F] opc ModRM [disp32] [imm]. osz selects 66 /
 * REX.W; osz 1 means the caller picked a byte opcode. reg: register or
 * /digit; rm: register or MEM. */
static struct ins enc(unsigned pfx, unsigned osz, int map, uint8_t opc, int reg,
		      int rm, unsigned immsz, uint64_t imm, unsigned flags)
{
	struct ins e = { .len = 0 };
	if (osz == 2)
		e.b[e.len++] = 0x66;
	if (pfx)
		e.b[e.len++] = (uint8_t)pfx;
	uint8_t rex = 0x40;
	if (osz == 8)
		rex |= 8;
	if (reg >= 8 || (flags & F_REXR))
		rex |= 4;
	if (rm >= 8)
		rex |= 1;
	if (flags & F_REXX)
		rex |= 2;
	if (rex != 0x40 || (flags & F_REX))
		e.b[e.len++] = rex;
	if (map == 1)
		e.b[e.len++] = 0x0f;
	e.b[e.len++] = opc;
	int dispat = -1;
	if (rm == MEM) {
		e.b[e.len++] = (uint8_t)(0x05 | (reg & 7) << 3);
		dispat = (int)e.len;
		e.len += 4;
	} else {
		e.b[e.len++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	}
	for (unsigned i = 0; i < immsz; i++)
		e.b[e.len++] = (uint8_t)(imm >> (8 * i));
	if (dispat >= 0) {
		int32_t disp = DATA_DIST - (int32_t)e.len;
		memcpy(e.b + dispat, &disp, 4);
	}
	return e;
}

/* Without ModRM (register in the opcode, or none): [66] [REX] [0F] opc [imm] */
static struct ins enc_noarg(unsigned osz, int map, uint8_t opc, unsigned rexb,
			    unsigned immsz, uint64_t imm)
{
	struct ins e = { .len = 0 };
	if (osz == 2)
		e.b[e.len++] = 0x66;
	uint8_t rex = 0x40 | (osz == 8 ? 8 : 0) | (rexb ? 1 : 0);
	if (rex != 0x40)
		e.b[e.len++] = rex;
	if (map == 1)
		e.b[e.len++] = 0x0f;
	e.b[e.len++] = opc;
	for (unsigned i = 0; i < immsz; i++)
		e.b[e.len++] = (uint8_t)(imm >> (8 * i));
	return e;
}

/* A general register usable as an operand natively (not RSP). For byte
 * operands without REX, 4..7 are AH..BH; with REX they are SPL..DIL, and
 * SPL is excluded. */
static int pick_reg(bool rex_ok)
{
	for (;;) {
		int r = (int)(rnd() % (rex_ok ? 16 : 8));
		if (r != 4 || !rex_ok)
			return r;
	}
}

/* Random register file and flags. */
static void rand_state(struct st *s)
{
	for (int i = 0; i < 16; i++)
		s->r[i] = rnd_val();
	s->r[4] = 0;
	s->flags = rnd() & FLAGS_CMP;
}

static void rand_mem(void)
{
	for (unsigned i = 0; i < WIN; i += 8) {
		uint64_t v = rnd();
		memcpy(mem_in + i, &v, 8);
	}
}

/* Put `v` (sz bytes) into register r of s as the instruction will see it:
 * byte registers 4..7 without REX are AH..BH. */
static void put_reg(struct st *s, int r, unsigned sz, bool rex, uint64_t v)
{
	if (sz == 1 && !rex && r >= 4 && r < 8)
		s->r[r - 4] = (s->r[r - 4] & ~0xff00ull) | (v & 0xff) << 8;
	else
		s->r[r] = (s->r[r] & ~mask_of(sz)) | (v & mask_of(sz));
}

static void put_mem(uint64_t v, unsigned sz)
{
	memcpy(mem_in + WIN / 2, &v, sz);
}

static const unsigned sizes[4] = { 1, 2, 4, 8 };

/* Operand pairs: all edge x edge, plus random ones. */
struct pairs {
	uint64_t a[1200], b[1200];
	unsigned n;
};
static void make_pairs(struct pairs *p, unsigned sz, unsigned nrand)
{
	uint64_t e[64];
	unsigned ne = edge_values(sz, e);
	p->n = 0;
	for (unsigned i = 0; i < ne; i++)
		for (unsigned j = 0; j < ne; j++)
			if (p->n < 1200 - nrand) {
				p->a[p->n] = e[i];
				p->b[p->n++] = e[j];
			}
	for (unsigned i = 0; i < nrand && p->n < 1200; i++) {
		p->a[p->n] = rnd_val() & mask_of(sz);
		p->b[p->n++] = rnd_val() & mask_of(sz);
	}
}

/* ------------------------------------------------------------------ */
/* the tests                                                            */
/* ------------------------------------------------------------------ */

/* Two-operand forms of one opcode row: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev with
 * register and memory r/m. row = opcode & 0xf8 (00 ADD ... 38 CMP); for
 * TEST (84) only the E,G forms exist. */
static void binop_forms(struct model *m, uint8_t row, unsigned nrand)
{
	struct pairs p;
	for (int si = 0; si < 4; si++) {
		unsigned sz = sizes[si];
		make_pairs(&p, sz, nrand);
		for (unsigned i = 0; i < p.n; i++) {
			for (int form = 0; form < 4; form++) {
				if (row == 0x84 && form >= 2)
					continue;
				bool ge = form & 2, mem = form & 1;
				uint8_t opc = (uint8_t)(row + (ge ? 2 : 0) + (sz == 1 ? 0 : 1));
				bool rex = sz == 1 && (rnd() & 1);
				int reg = pick_reg(rex || sz > 1), rm;
				if (sz == 1 && reg >= 8)
					rex = true;
				struct st s;
				rand_state(&s);
				if (i & 1)
					s.flags |= 1;
				else
					s.flags &= ~1ull; /* CF in for ADC/SBB both ways */
				if (mem) {
					rm = MEM;
					rand_mem();
					put_mem(ge ? p.b[i] : p.a[i], sz);
					put_reg(&s, reg, sz, rex, ge ? p.a[i] : p.b[i]);
				} else {
					rm = pick_reg(rex || sz > 1);
					if (sz == 1 && rm >= 8)
						rex = true;
					if (sz == 1 && rex && reg == 4)
						reg = 5;
					/* dst first so a shared register keeps the src value */
					put_reg(&s, ge ? reg : rm, sz, rex, p.a[i]);
					put_reg(&s, ge ? rm : reg, sz, rex, p.b[i]);
				}
				/* LOCK on the read-modify-write forms (Eb,Gb / Ev,Gv
				 * with memory, not CMP or TEST) */
				unsigned pfx = mem && !ge && row < 0x38 && (rnd() & 3) == 0 ? 0xf0 : 0;
				struct ins e = enc(pfx, sz, 0, opc, reg, rm, 0, 0, rex ? F_REX : 0);
				run_case(m, e.b, e.len, &s, mem);
			}
		}
	}
}

TEST(oracle_alu_binary_ops_reg_mem)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (uint8_t row = 0; row < 0x40; row += 8)
		binop_forms(&m, row, 120);
	binop_forms(&m, 0x84, 120); /* TEST */
	end(&m, 50000);
}

/* Immediate forms: 80 (Eb,Ib), 81 (Ev,Iz), 83 (Ev,Ib sign-extended),
 * 04/05 (AL/eAX, imm), A8/A9 and F6/F7 /0 /1 (TEST). */
TEST(oracle_alu_immediate_forms)
{
	struct model m;
	if (!begin(&m, false))
		return;
	struct pairs p;
	for (int si = 0; si < 4; si++) {
		unsigned sz = sizes[si];
		make_pairs(&p, sz, 60);
		for (unsigned i = 0; i < p.n; i += 2) {
			for (int op = 0; op < 10; op++) { /* 8 = TEST F6/F7 /0, 9 = /1 */
				for (int kind = 0; kind < 4; kind++) {
					/* kind 0: 80/81 reg, 1: 80/81 mem, 2: 83 (not
					 * byte), 3: accumulator short form */
					if (kind == 2 && sz == 1)
						continue;
					if (kind == 2 && op >= 8)
						continue;
					unsigned isz = sz == 1 ? 1 : sz == 2 ? 2 : 4;
					uint64_t imm = p.b[i];
					if (kind == 2) {
						isz = 1;
						imm = (uint64_t)(int64_t)(int8_t)imm;
					} else if (sz == 8) {
						imm = (uint64_t)(int64_t)(int32_t)imm;
					}
					struct st s;
					rand_state(&s);
					bool rex = sz == 1 && (rnd() & 1);
					bool mem = kind == 1;
					int rm = mem ? MEM : pick_reg(rex || sz > 1);
					if (sz == 1 && rm >= 8)
						rex = true;
					if (mem) {
						rand_mem();
						put_mem(p.a[i], sz);
					}
					struct ins e;
					if (kind == 3) {
						uint8_t opc = op >= 8 ? 0xa8 : (uint8_t)(op * 8 + 4);
						if (op == 9)
							continue;
						opc += sz == 1 ? 0 : 1;
						put_reg(&s, 0, sz, true, p.a[i]);
						e = enc_noarg(sz, 0, opc, 0, isz, imm);
					} else {
						uint8_t opc = op >= 8 ? (sz == 1 ? 0xf6 : 0xf7)
							: sz == 1 ? 0x80 : kind == 2 ? 0x83 : 0x81;
						int digit = op >= 8 ? op - 8 : op;
						if (!mem)
							put_reg(&s, rm, sz, rex, p.a[i]);
						unsigned pfx = mem && op < 7 && (i & 2) ? 0xf0 : 0;
						e = enc(pfx, sz, 0, opc, digit, rm, isz, imm,
							rex ? F_REX : 0);
					}
					run_case(&m, e.b, e.len, &s, mem);
				}
			}
		}
	}
	end(&m, 20000);
}

/* INC/DEC (FE/FF /0 /1), NOT/NEG (F6/F7 /2 /3). */
TEST(oracle_alu_unary_ops)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (int si = 0; si < 4; si++) {
		unsigned sz = sizes[si];
		uint64_t e[64];
		unsigned ne = edge_values(sz, e);
		for (unsigned i = 0; i < ne + 200; i++) {
			uint64_t v = i < ne ? e[i] : rnd_val() & mask_of(sz);
			for (int op = 0; op < 4; op++) {
				for (int mem = 0; mem < 2; mem++) {
					struct st s;
					rand_state(&s);
					bool rex = sz == 1 && (rnd() & 1);
					int rm = mem ? MEM : pick_reg(rex || sz > 1);
					if (sz == 1 && rm >= 8)
						rex = true;
					if (mem) {
						rand_mem();
						put_mem(v, sz);
					} else {
						put_reg(&s, rm, sz, rex, v);
					}
					uint8_t opc = op < 2 ? (sz == 1 ? 0xfe : 0xff)
							     : (sz == 1 ? 0xf6 : 0xf7);
					unsigned pfx = mem && (i & 1) ? 0xf0 : 0; /* LOCK */
					struct ins en = enc(pfx, sz, 0, opc, op, rm, 0, 0,
							    rex ? F_REX : 0);
					run_case(&m, en.b, en.len, &s, mem);
				}
			}
		}
	}
	end(&m, 2000);
}

/* Would the division fault natively (#DE)? The dividend is AX for bytes,
 * otherwise hi:lo of n bits each [SDM Vol. 2 DIV, IDIV]. */
static bool div_faults(unsigned sz, bool sign, uint64_t lo, uint64_t hi,
		       uint64_t divisor)
{
	unsigned n = sz * 8;
	divisor &= mask_of(sz);
	if (divisor == 0)
		return true;
	if (!sign) {
		unsigned __int128 x = sz == 1 ? (unsigned __int128)(lo & 0xffff)
			: ((unsigned __int128)(hi & mask_of(sz)) << n) | (lo & mask_of(sz));
		return (x / divisor) >> n != 0;
	}
	__int128 x, d;
	switch (sz) {
	case 1: x = (int16_t)lo; d = (int8_t)divisor; break;
	case 2: x = (int32_t)((uint32_t)(uint16_t)hi << 16 | (uint16_t)lo); d = (int16_t)divisor; break;
	case 4: x = (int64_t)((uint64_t)(uint32_t)hi << 32 | (uint32_t)lo); d = (int32_t)divisor; break;
	default: x = (__int128)(((unsigned __int128)hi << 64) | lo); d = (int64_t)divisor; break;
	}
	__int128 q;
	if (d == -1) {
		if (sz == 8 && hi == 1ull << 63 && lo == 0)
			return true; /* -2^127 / -1: not even representable here */
		q = -x;
	} else {
		q = x / d;
	}
	__int128 lim = (__int128)1 << (n - 1);
	return q >= lim || q < -lim;
}

/* MUL/IMUL/DIV/IDIV (F6/F7 /4-/7), register and memory source. */
TEST(oracle_alu_mul_div)
{
	struct model m;
	if (!begin(&m, false))
		return;
	unsigned long skipped = 0;
	for (int si = 0; si < 4; si++) {
		unsigned sz = sizes[si];
		struct pairs p;
		make_pairs(&p, sz, 300);
		for (unsigned i = 0; i < p.n; i++) {
			for (int op = 4; op < 8; op++) {
				struct st s;
				rand_state(&s);
				bool mem = rnd() & 1;
				bool rex = sz == 1 && (rnd() & 1);
				int rm = mem ? MEM : pick_reg(rex || sz > 1);
				if (sz == 1 && rm >= 8)
					rex = true;
				uint64_t a = p.a[i], b = p.b[i];
				/* High half of the dividend (AH, or DX/EDX/RDX): most of
				 * the time chosen so the quotient fits. */
				uint64_t hi = rnd_val() & mask_of(sz);
				if (op == 6 && (rnd() % 4))
					hi = b ? hi % b : 0;
				if (op == 7 && (rnd() % 4))
					hi = (int64_t)(a << (64 - sz * 8)) < 0 ? mask_of(sz) : 0;
				put_reg(&s, 0, sz, true, a);
				if (sz == 1)
					s.r[0] = (s.r[0] & ~0xff00ull) | (hi & 0xff) << 8;
				else
					put_reg(&s, 2, sz, true, hi);
				if (mem) {
					rand_mem();
					put_mem(b, sz);
				} else if (rm == 0 || (sz > 1 && rm == 2) ||
					   (sz == 1 && !rex && rm == 4)) {
					/* the source is RAX/RDX (or AH) itself */
					b = rm == 4 ? (s.r[0] >> 8) & 0xff : s.r[rm] & mask_of(sz);
				} else {
					put_reg(&s, rm, sz, rex, b);
				}
				if (op >= 6 && div_faults(sz, op == 7, s.r[0], s.r[2], b)) {
					skipped++;
					continue;
				}
				uint8_t opc = sz == 1 ? 0xf6 : 0xf7;
				struct ins e = enc(0, sz, 0, opc, op, rm, 0, 0, rex ? F_REX : 0);
				run_case(&m, e.b, e.len, &s, mem);
			}
		}
	}
	printf("    %lu divisions skipped (would #DE natively)\n", skipped);
	end(&m, 5000);
}

/* IMUL Gv,Ev (0F AF), IMUL Gv,Ev,Iz (69), IMUL Gv,Ev,Ib (6B). */
TEST(oracle_alu_imul_forms)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (int si = 1; si < 4; si++) {
		unsigned sz = sizes[si];
		struct pairs p;
		make_pairs(&p, sz, 300);
		for (unsigned i = 0; i < p.n; i++) {
			for (int form = 0; form < 3; form++) {
				struct st s;
				rand_state(&s);
				bool mem = rnd() & 1;
				int reg = pick_reg(true), rm = mem ? MEM : pick_reg(true);
				uint64_t b = p.b[i];
				struct ins e;
				if (mem) {
					rand_mem();
					put_mem(form ? p.a[i] : b, sz);
				} else {
					put_reg(&s, rm, sz, true, form ? p.a[i] : b);
				}
				if (form == 0) {
					if (mem || rm != reg)
						put_reg(&s, reg, sz, true, p.a[i]);
					e = enc(0, sz, 1, 0xaf, reg, rm, 0, 0, 0);
				} else if (form == 1) {
					unsigned isz = sz == 2 ? 2 : 4;
					e = enc(0, sz, 0, 0x69, reg, rm, isz, b, 0);
				} else {
					e = enc(0, sz, 0, 0x6b, reg, rm, 1, b, 0);
				}
				run_case(&m, e.b, e.len, &s, mem);
			}
		}
	}
	end(&m, 5000);
}

/* Shifts and rotates: every op (/0-/7, /6 = SAL alias), size, count 0..65
 * by CL and by imm8, count 1 (D0/D1), register and memory, CF in 0 and 1. */
TEST(oracle_alu_shifts_rotates)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (int si = 0; si < 4; si++) {
		unsigned sz = sizes[si];
		uint64_t e[64];
		unsigned ne = edge_values(sz, e);
		for (int op = 0; op < 8; op++) {
			for (unsigned cnt = 0; cnt <= 65 + 3; cnt++) {
				/* counts above 65: a few with high bits set */
				unsigned count = cnt <= 65 ? cnt : (unsigned)(rnd() & 0xff);
				for (unsigned vi = 0; vi < 10; vi++) {
					uint64_t v = vi < 4 ? e[rnd() % ne] : rnd_val() & mask_of(sz);
					for (int form = 0; form < 3; form++) {
						/* 0: D2/D3 by CL, 1: C0/C1 imm8, 2: D0/D1 (once) */
						if (form == 2 && cnt != 1)
							continue;
						struct st s;
						rand_state(&s);
						s.flags = (s.flags & ~1ull) | (vi & 1);
						bool mem = (vi % 3) == 2;
						bool rex = sz == 1 && (rnd() & 1);
						int rm = mem ? MEM : pick_reg(rex || sz > 1);
						if (sz == 1 && rm >= 8)
							rex = true;
						if (form == 0 && rm == 1)
							rm = 3; /* keep CL the count */
						if (mem) {
							rand_mem();
							put_mem(v, sz);
						} else {
							put_reg(&s, rm, sz, rex, v);
						}
						s.r[1] = (s.r[1] & ~0xffull) | (count & 0xff);
						uint8_t b1 = sz == 1 ? 0 : 1;
						struct ins en;
						if (form == 0)
							en = enc(0, sz, 0, 0xd2 + b1, op, rm, 0, 0, rex ? F_REX : 0);
						else if (form == 1)
							en = enc(0, sz, 0, 0xc0 + b1, op, rm, 1, count, rex ? F_REX : 0);
						else
							en = enc(0, sz, 0, 0xd0 + b1, op, rm, 0, 0, rex ? F_REX : 0);
						run_case(&m, en.b, en.len, &s, mem);
					}
				}
			}
		}
	}
	end(&m, 40000);
}

/* SHLD/SHRD by imm8 and CL, 16/32/64-bit, counts 0..65 and a few wild. */
TEST(oracle_alu_shld_shrd)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (int si = 1; si < 4; si++) {
		unsigned sz = sizes[si];
		for (int op = 0; op < 4; op++) { /* A4 A5 AC AD */
			uint8_t opc = (uint8_t)((op < 2 ? 0xa4 : 0xac) + (op & 1));
			for (unsigned cnt = 0; cnt <= 65 + 3; cnt++) {
				unsigned count = cnt <= 65 ? cnt : (unsigned)(rnd() & 0xff);
				for (unsigned vi = 0; vi < 16; vi++) {
					struct st s;
					rand_state(&s);
					bool mem = (vi % 4) == 3;
					int reg = pick_reg(true), rm = mem ? MEM : pick_reg(true);
					if ((op & 1) && reg == 1)
						reg = 3;
					if ((op & 1) && rm == 1)
						rm = 6;
					uint64_t v = rnd_val() & mask_of(sz);
					if (mem) {
						rand_mem();
						put_mem(v, sz);
					} else {
						put_reg(&s, rm, sz, true, v);
					}
					s.r[1] = (s.r[1] & ~0xffull) | (count & 0xff);
					struct ins e = enc(0, sz, 1, opc, reg, rm, (op & 1) ? 0 : 1,
							   count, 0);
					run_case(&m, e.b, e.len, &s, mem);
				}
			}
		}
	}
	end(&m, 10000);
}

/* BT/BTS/BTR/BTC with register and immediate offsets, register and memory
 * bases; memory forms with register offsets reach outside the operand
 * (signed offsets, whole operand units) [SDM Vol. 2 BT]. */
TEST(oracle_alu_bit_test)
{
	struct model m;
	if (!begin(&m, false))
		return;
	static const uint8_t g_opc[4] = { 0xa3, 0xab, 0xb3, 0xbb };
	for (int si = 1; si < 4; si++) {
		unsigned sz = sizes[si];
		for (int op = 0; op < 4; op++) {
			for (unsigned i = 0; i < 600; i++) {
				struct st s;
				rand_state(&s);
				int form = (int)(i % 4); /* G reg, G mem, I reg, I mem */
				bool mem = form & 1;
				int reg = pick_reg(true), rm = mem ? MEM : pick_reg(true);
				uint64_t off;
				if (mem && form == 1) {
					/* within +/- 1000 bytes of the operand */
					off = (uint64_t)((int64_t)(rnd() % 16000) - 8000);
					if (i % 16 == 1)
						off = rnd() % (sz * 8);
				} else {
					off = rnd_val();
				}
				if (mem)
					rand_mem();
				else
					put_reg(&s, rm, sz, true, rnd_val());
				struct ins e;
				/* LOCK on BTS/BTR/BTC with memory */
				unsigned pfx = mem && op && (i & 4) ? 0xf0 : 0;
				if (form < 2) {
					if (!mem && reg == rm)
						reg = (rm + 1) % 16 == 4 ? 5 : (rm + 1) % 16;
					put_reg(&s, reg, sz, true, off);
					e = enc(pfx, sz, 1, g_opc[op], reg, rm, 0, 0, 0);
				} else {
					e = enc(pfx, sz, 1, 0xba, 4 + op, rm, 1, off & 0xff, 0);
				}
				run_case(&m, e.b, e.len, &s, mem);
			}
		}
	}
	end(&m, 5000);
}

/* BSF/BSR, TZCNT/LZCNT, POPCNT: zero, single bits, edges, random;
 * the destination starts with junk to show what a zero source leaves. */
TEST(oracle_alu_bit_scan_count)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (int si = 1; si < 4; si++) {
		unsigned sz = sizes[si];
		uint64_t e[64];
		unsigned ne = edge_values(sz, e);
		for (unsigned i = 0; i < ne + sz * 8 + 200; i++) {
			uint64_t v = i < ne ? e[i] : i < ne + sz * 8 ? 1ull << (i - ne)
					      : rnd_val() & mask_of(sz);
			for (int op = 0; op < 5; op++) {
				static const uint8_t opc[5] = { 0xbc, 0xbd, 0xbc, 0xbd, 0xb8 };
				unsigned pfx = op >= 2 ? 0xf3 : 0;
				struct st s;
				rand_state(&s);
				bool mem = rnd() & 1;
				int reg = pick_reg(true), rm = mem ? MEM : pick_reg(true);
				if (mem) {
					rand_mem();
					put_mem(v, sz);
				} else {
					put_reg(&s, rm, sz, true, v);
				}
				struct ins en = enc(pfx, sz, 1, opc[op], reg, rm, 0, 0, 0);
				run_case(&m, en.b, en.len, &s, mem);
			}
		}
	}
	end(&m, 3000);
}

/* MOVZX/MOVSX (0F B6 B7 BE BF), MOVSXD (63), BSWAP, CBW family, CWD family. */
TEST(oracle_alu_extend_and_swap)
{
	struct model m;
	if (!begin(&m, false))
		return;
	static const uint8_t xo[4] = { 0xb6, 0xb7, 0xbe, 0xbf };
	for (unsigned i = 0; i < 400; i++) {
		for (int si = 1; si < 4; si++) {
			unsigned sz = sizes[si];
			for (int k = 0; k < 5; k++) {
				if (k == 4 && sz == 2 && (i & 1))
					continue;
				struct st s;
				rand_state(&s);
				bool mem = rnd() & 1;
				bool rex = rnd() & 1;
				int reg = pick_reg(true), rm = mem ? MEM : pick_reg(rex);
				if (rm >= 8)
					rex = true;
				/* 4 is SPL with REX, and SP/ESP for word and dword
				 * sources: not an operand natively */
				if (sz == 8 || reg >= 8)
					rex = true; /* REX present anyway */
				if (rm == 4 && (rex || (k != 0 && k != 2)))
					rm = 6;
				if (mem)
					rand_mem();
				struct ins e = k < 4 ? enc(0, sz, 1, xo[k], reg, rm, 0, 0, rex ? F_REX : 0)
						     : enc(0, sz, 0, 0x63, reg, rm, 0, 0, 0);
				run_case(&m, e.b, e.len, &s, mem);
			}
			/* BSWAP r16/r32/r64 */
			struct st s;
			rand_state(&s);
			int r = pick_reg(true);
			struct ins e = enc_noarg(sz, 1, (uint8_t)(0xc8 | (r & 7)), r >= 8, 0, 0);
			run_case(&m, e.b, e.len, &s, false);
			/* CBW/CWDE/CDQE and CWD/CDQ/CQO */
			for (int o = 0; o < 2; o++) {
				rand_state(&s);
				if (i & 2)
					s.r[0] ^= 1ull << (sz * 4 - 1); /* vary the sign bit */
				e = enc_noarg(sz, 0, (uint8_t)(0x98 + o), 0, 0, 0);
				run_case(&m, e.b, e.len, &s, false);
			}
		}
	}
	end(&m, 5000);
}

/* SETcc and CMOVcc: all 16 conditions over all combinations of the six
 * arithmetic flags, register and memory operands. */
TEST(oracle_alu_setcc_cmovcc)
{
	struct model m;
	if (!begin(&m, false))
		return;
	static const uint64_t fbits[6] = { 0x1, 0x4, 0x10, 0x40, 0x80, 0x800 };
	for (unsigned cc = 0; cc < 16; cc++) {
		for (unsigned combo = 0; combo < 64; combo++) {
			uint64_t fl = 0;
			for (int b = 0; b < 6; b++)
				if (combo & (1u << b))
					fl |= fbits[b];
			for (int k = 0; k < 4; k++) {
				struct st s;
				rand_state(&s);
				s.flags = fl | (rnd() & 0x400);
				bool mem = k & 1;
				struct ins e;
				if (k < 2) {
					bool rex = rnd() & 1;
					int rm = mem ? MEM : pick_reg(rex);
					if (rm >= 8)
						rex = true;
					if (mem)
						rand_mem();
					e = enc(0, 1, 1, (uint8_t)(0x90 + cc), (int)(rnd() % 8), rm,
						0, 0, rex ? F_REX : 0);
				} else {
					unsigned sz = sizes[1 + rnd() % 3];
					int reg = pick_reg(true), rm = mem ? MEM : pick_reg(true);
					if (mem)
						rand_mem();
					e = enc(0, sz, 1, (uint8_t)(0x40 + cc), reg, rm, 0, 0, 0);
				}
				run_case(&m, e.b, e.len, &s, mem);
			}
		}
	}
	end(&m, 4096);
}

/* XADD and CMPXCHG (register and memory; equal and different accumulator),
 * CMPXCHG8B/16B (equal and different). */
TEST(oracle_alu_xadd_cmpxchg)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (unsigned i = 0; i < 1500; i++) {
		for (int si = 0; si < 4; si++) {
			unsigned sz = sizes[si];
			for (int op = 0; op < 2; op++) { /* XADD, CMPXCHG */
				struct st s;
				rand_state(&s);
				bool mem = rnd() & 1;
				bool rex = sz == 1 && (rnd() & 1);
				int reg = pick_reg(rex || sz > 1), rm = mem ? MEM : pick_reg(rex || sz > 1);
				if (sz == 1 && (reg >= 8 || rm >= 8))
					rex = true;
				if (sz == 1 && rex && reg == 4)
					reg = 6;
				if (sz == 1 && rex && rm == 4)
					rm = 7;
				uint64_t dv = rnd_val();
				if (op == 1 && (i & 1))
					dv = s.r[0]; /* equal case */
				if (mem) {
					rand_mem();
					put_mem(dv, sz);
				} else if (rm != 0) {
					put_reg(&s, rm, sz, rex, dv);
				}
				uint8_t opc = (uint8_t)((op ? 0xb0 : 0xc0) + (sz == 1 ? 0 : 1));
				unsigned pfx = mem && (i & 2) ? 0xf0 : 0; /* LOCK */
				struct ins e = enc(pfx, sz, 1, opc, reg, rm, 0, 0, rex ? F_REX : 0);
				run_case(&m, e.b, e.len, &s, mem);
			}
		}
		/* CMPXCHG8B / CMPXCHG16B m (0F C7 /1), data 16-byte aligned */
		for (int w = 0; w < 2; w++) {
			struct st s;
			rand_state(&s);
			rand_mem();
			if (i & 1) {
				if (w) {
					put_mem(s.r[0], 8);
					memcpy(mem_in + WIN / 2 + 8, &s.r[2], 8);
				} else {
					uint64_t v = (uint32_t)s.r[0] | s.r[2] << 32;
					put_mem(v, 8);
				}
			} else if (i & 2) {
				/* equal in the low half only */
				put_mem(w ? s.r[0] : (uint32_t)s.r[0], w ? 8 : 4);
			}
			struct ins e = enc(i & 4 ? 0xf0 : 0, w ? 8 : 4, 1, 0xc7, 1, MEM, 0, 0, 0);
			run_case(&m, e.b, e.len, &s, true);
		}
	}
	end(&m, 10000);
}

/* LAHF, SAHF, CMC, CLC, STC, CLD, STD over flag combinations. */
TEST(oracle_alu_flag_instructions)
{
	struct model m;
	if (!begin(&m, false))
		return;
	static const uint8_t ops[7] = { 0x9f, 0x9e, 0xf5, 0xf8, 0xf9, 0xfc, 0xfd };
	for (unsigned i = 0; i < 512; i++) {
		for (int k = 0; k < 7; k++) {
			struct st s;
			rand_state(&s);
			s.flags = rnd() & FLAGS_CMP;
			struct ins e = enc_noarg(4, 0, ops[k], 0, 0, 0);
			run_case(&m, e.b, e.len, &s, false);
		}
	}
	end(&m, 3000);
}

/* REX bits that mean nothing must change nothing: REX.R on opcode-
 * extension groups (80-83, C0/C1/D0-D3, F6/F7, FE/FF, 0F BA, 0F C7) and
 * REX.X without a SIB byte. */
TEST(oracle_alu_ignored_rex_bits)
{
	struct model m;
	if (!begin(&m, false))
		return;
	for (unsigned i = 0; i < 300; i++) {
		unsigned sz = sizes[1 + rnd() % 3];
		unsigned fl = (rnd() & 1 ? F_REXR : 0) | (rnd() & 1 ? F_REXX : 0);
		if (!fl)
			fl = F_REXR;
		struct st s;
		rand_state(&s);
		bool mem = rnd() & 1;
		int rm = mem ? MEM : pick_reg(true);
		if (mem)
			rand_mem();
		struct ins e;
		switch (i % 8) {
		case 0: e = enc(0, sz, 0, 0x81, (int)(rnd() % 8), rm, sz == 2 ? 2 : 4, rnd(), fl); break;
		case 1: e = enc(0, sz, 0, 0x83, (int)(rnd() % 8), rm, 1, rnd(), fl); break;
		case 2: e = enc(0, sz, 0, 0xc1, (int)(rnd() % 8), rm, 1, rnd(), fl); break;
		case 3: /* F7 /2 /3 (NOT, NEG): no immediate */
			e = enc(0, sz, 0, 0xf7, 2 + (int)(rnd() % 2), rm, 0, 0, fl);
			break;
		case 4: e = enc(0, sz, 0, 0xf7, (int)(rnd() % 2), rm, sz == 2 ? 2 : 4, rnd(), fl); break;
		case 5: e = enc(0, sz, 0, 0xff, (int)(rnd() % 2), rm, 0, 0, fl); break;
		case 6: e = enc(0, sz, 1, 0xba, 4 + (int)(rnd() % 4), rm, 1, rnd(), fl); break;
		default:
			e = enc(0, sz == 8 ? 8 : 4, 1, 0xc7, 1, MEM, 0, 0, fl);
			mem = true;
			rand_mem();
			break;
		}
		run_case(&m, e.b, e.len, &s, mem);
	}
	end(&m, 300);
}

/* ---- 32-bit mode ---- */

/* One-operand-size-agnostic sample of the ALU in 32-bit code (16- and
 * 32-bit operand sizes, byte registers AH..BH), registers only: the
 * native side runs in compatibility mode, where DS is unusable. */
struct op32 {
	uint8_t map, opc, pfx;
	uint8_t dlo, dhi; /* ModRM.reg range (/digit), or 0xff: a register */
	uint8_t imm;      /* 0, 1, or 4 (Iz: 2 with 66) */
	uint8_t byte;     /* byte operand size */
	uint8_t modrm;    /* has ModRM */
};
static const struct op32 ops32[] = {
	{ 0, 0x00, 0, 0xff, 0, 0, 1, 1 }, { 0, 0x01, 0, 0xff, 0, 0, 0, 1 },
	{ 0, 0x0a, 0, 0xff, 0, 0, 1, 1 }, { 0, 0x13, 0, 0xff, 0, 0, 0, 1 },
	{ 0, 0x19, 0, 0xff, 0, 0, 0, 1 }, { 0, 0x22, 0, 0xff, 0, 0, 1, 1 },
	{ 0, 0x2b, 0, 0xff, 0, 0, 0, 1 }, { 0, 0x31, 0, 0xff, 0, 0, 0, 1 },
	{ 0, 0x38, 0, 0xff, 0, 0, 1, 1 }, { 0, 0x85, 0, 0xff, 0, 0, 0, 1 },
	{ 0, 0x80, 0, 0, 7, 1, 1, 1 }, { 0, 0x81, 0, 0, 7, 4, 0, 1 },
	{ 0, 0x82, 0, 0, 7, 1, 1, 1 }, { 0, 0x83, 0, 0, 7, 1, 0, 1 },
	{ 0, 0x05, 0, 0, 0, 4, 0, 0 }, { 0, 0x2c, 0, 0, 0, 1, 1, 0 },
	{ 0, 0xa9, 0, 0, 0, 4, 0, 0 },
	{ 0, 0xf6, 0, 2, 5, 0, 1, 1 }, { 0, 0xf7, 0, 2, 5, 0, 0, 1 },
	{ 0, 0xf7, 0, 0, 1, 4, 0, 1 }, { 0, 0xfe, 0, 0, 1, 0, 1, 1 },
	{ 0, 0xff, 0, 0, 1, 0, 0, 1 },
	{ 0, 0xc0, 0, 0, 7, 1, 1, 1 }, { 0, 0xc1, 0, 0, 7, 1, 0, 1 },
	{ 0, 0xd0, 0, 0, 7, 0, 1, 1 }, { 0, 0xd3, 0, 0, 7, 0, 0, 1 },
	{ 1, 0xa3, 0, 0xff, 0, 0, 0, 1 }, { 1, 0xab, 0, 0xff, 0, 0, 0, 1 },
	{ 1, 0xba, 0, 4, 7, 1, 0, 1 }, { 1, 0xbc, 0, 0xff, 0, 0, 0, 1 },
	{ 1, 0xbd, 0xf3, 0xff, 0, 0, 0, 1 }, { 1, 0xb8, 0xf3, 0xff, 0, 0, 0, 1 },
	{ 1, 0xaf, 0, 0xff, 0, 0, 0, 1 }, { 0, 0x69, 0, 0xff, 0, 4, 0, 1 },
	{ 0, 0x6b, 0, 0xff, 0, 1, 0, 1 }, { 1, 0xb6, 0, 0xff, 0, 0, 0, 1 },
	{ 1, 0xbf, 0, 0xff, 0, 0, 0, 1 }, { 1, 0x4c, 0, 0xff, 0, 0, 0, 1 },
	{ 1, 0x97, 0, 0, 7, 0, 1, 1 }, { 1, 0xc1, 0, 0xff, 0, 0, 0, 1 },
	{ 1, 0xb1, 0, 0xff, 0, 0, 0, 1 }, { 1, 0xa5, 0, 0xff, 0, 0, 0, 1 },
	{ 1, 0xac, 0, 0xff, 0, 1, 0, 1 }, { 0, 0x98, 0, 0, 0, 0, 0, 0 },
	{ 0, 0x99, 0, 0, 0, 0, 0, 0 }, { 0, 0x9e, 0, 0, 0, 0, 0, 0 },
	{ 0, 0x9f, 0, 0, 0, 0, 0, 0 }, { 0, 0xf5, 0, 0, 0, 0, 0, 0 },
	{ 0, 0xfd, 0, 0, 0, 0, 0, 0 }, { 1, 0xc9, 0, 0, 0, 0, 0, 0 },
};

TEST(oracle_alu_32bit_mode_sample)
{
	struct model m;
	if (!begin(&m, true))
		return;
	for (unsigned i = 0; i < 20000; i++) {
		const struct op32 *o = &ops32[i % (sizeof ops32 / sizeof ops32[0])];
		bool w16 = !o->byte && (rnd() & 1);
		uint8_t code[16];
		unsigned n = 0;
		if (w16)
			code[n++] = 0x66;
		if (o->pfx)
			code[n++] = o->pfx;
		if (o->map)
			code[n++] = 0x0f;
		code[n++] = o->opc;
		if (o->modrm) {
			unsigned reg = o->dlo == 0xff ? rnd() % 8
				       : o->dlo + rnd() % (o->dhi - o->dlo + 1u);
			unsigned rm = rnd() % 8;
			/* ESP/SP is the native stub's stack; AH (4) is fine
			 * as a byte register */
			bool bytesrc = o->byte || (o->map == 1 && o->opc == 0xb6);
			if (rm == 4 && !bytesrc)
				rm = 5;
			if (reg == 4 && o->dlo == 0xff && !o->byte)
				reg = 6;
			code[n++] = (uint8_t)(0xc0 | reg << 3 | rm);
		}
		unsigned isz = o->imm == 4 ? (w16 ? 2 : 4) : o->imm;
		for (unsigned k = 0; k < isz; k++)
			code[n++] = (uint8_t)rnd();
		struct st s;
		rand_state(&s);
		for (int r = 0; r < 8; r++)
			s.r[r] &= 0xffffffff;
		/* keep DIV/IDIV inputs valid: small dividends */
		if ((o->opc == 0xf6 || o->opc == 0xf7) && o->modrm &&
		    ((code[n - 1 - isz] >> 3) & 7) >= 6) {
			unsigned dg = (code[n - 1 - isz] >> 3) & 7, rmr = code[n - 1 - isz] & 7;
			unsigned sz = o->byte ? 1 : w16 ? 2 : 4;
			uint64_t dv = rmr == 4 && sz == 1 ? (s.r[0] >> 8) & 0xff
							  : s.r[rmr] & mask_of(sz);
			if (div_faults(sz, dg == 7, s.r[0], s.r[2], dv))
				continue;
		}
		run_case(&m, code, n, &s, false);
	}
	end(&m, 15000);
}

/* ---- 32-bit mode: BCD, SALC, INC/DEC 40-4F ---- */

/* SDM pseudo-code for the outputs the SDM defines. Returns the defined
 * flag mask; *ax and *fl get the expected AX and flags. */
static uint64_t bcd_ref(uint8_t opc, uint8_t imm, uint16_t ax_in, uint64_t fl_in,
			uint16_t *ax, uint64_t *fl)
{
	uint8_t al = (uint8_t)ax_in, ah = (uint8_t)(ax_in >> 8);
	bool cf = fl_in & 1, af = fl_in & 0x10;
	uint64_t f = 0, defined;
	switch (opc) {
	case 0x27: case 0x2f: { /* DAA, DAS [SDM Vol. 2 DAA, DAS] */
		uint8_t old_al = al;
		bool old_cf = cf;
		cf = false;
		if ((al & 15) > 9 || af) {
			if (opc == 0x27) {
				cf = old_cf || al + 6 > 0xff;
				al += 6;
			} else {
				cf = old_cf || al < 6;
				al -= 6;
			}
			af = true;
		} else {
			af = false;
		}
		if (old_al > 0x99 || old_cf) {
			al = opc == 0x27 ? al + 0x60 : al - 0x60;
			cf = true;
		} else if (opc == 0x27) {
			cf = false;
		}
		defined = 0xd5; /* OF undefined */
		break;
	}
	case 0x37: case 0x3f: /* AAA, AAS [SDM Vol. 2 AAA, AAS] */
		if ((al & 15) > 9 || af) {
			uint16_t x = (uint16_t)(ah << 8 | al);
			x = opc == 0x37 ? x + 0x106 : (uint16_t)(x - 6 - 0x100);
			al = (uint8_t)x;
			ah = (uint8_t)(x >> 8);
			af = cf = true;
		} else {
			af = cf = false;
		}
		al &= 15;
		defined = 0x11; /* CF AF; OF SF ZF PF undefined */
		break;
	case 0xd4: /* AAM [SDM Vol. 2 AAM] */
		ah = al / imm;
		al = al % imm;
		defined = 0xc4; /* SF ZF PF */
		break;
	case 0xd5: /* AAD */
		al = (uint8_t)(al + ah * imm);
		ah = 0;
		defined = 0xc4;
		break;
	default: /* D6 SALC: no flags */
		al = cf ? 0xff : 0;
		defined = 0x8d5;
		*ax = (uint16_t)(ah << 8 | al);
		*fl = fl_in & 0x8d5;
		return defined;
	}
	if (cf)
		f |= 1;
	if (af)
		f |= 0x10;
	if (!__builtin_parity(al))
		f |= 4;
	if (!al)
		f |= 0x40;
	if (al & 0x80)
		f |= 0x80;
	*ax = (uint16_t)(ah << 8 | al);
	*fl = f;
	return defined;
}

TEST(oracle_alu_bcd_32bit)
{
	struct model m;
	bool native = c32_init();
	if (!model_init(&m, true)) {
		test_fail(__FILE__, __LINE__, "model set-up failed");
		return;
	}
	n_cases = n_bad = 0;
	unsigned long sdm_checked = 0, sdm_bad = 0;
	static const uint8_t ops[7] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5, 0xd6 };
	for (int k = 0; k < 7; k++) {
		for (unsigned ax = 0; ax < 0x10000; ax += (ops[k] == 0xd5 ? 0x3b : 0xff) ) {
			for (unsigned fi = 0; fi < 4; fi++) {
				uint8_t imm = ops[k] >= 0xd4 ? (uint8_t)(fi == 0 ? 10 : 1 + rnd() % 255) : 0;
				uint16_t axv = (uint16_t)(ops[k] == 0xd5 ? ax : (ax & 0xff) | (rnd() & 0xff00));
				struct st s;
				rand_state(&s);
				for (int r = 0; r < 8; r++)
					s.r[r] &= 0xffffffff;
				s.r[0] = (s.r[0] & ~0xffffull) | axv;
				s.flags = (rnd() & 0x8c4) | (fi & 1) | (fi & 2 ? 0x10 : 0);
				uint8_t code[2] = { ops[k], imm };
				unsigned len = ops[k] >= 0xd4 && ops[k] != 0xd6 ? 2 : 1;
				if (native) {
					run_case(&m, code, len, &s, false);
				}
				/* the SDM-defined part, on the model alone */
				struct st md = s;
				md.flags |= 2;
				const char *err = model_run(&m, code, len, &md, false);
				uint16_t eax;
				uint64_t efl;
				uint64_t def = bcd_ref(ops[k], imm, axv, s.flags, &eax, &efl);
				sdm_checked++;
				if (err || (uint16_t)md.r[0] != eax ||
				    ((md.flags ^ efl) & def) ||
				    (md.r[0] >> 16) != (s.r[0] >> 16)) {
					if (sdm_bad++ < 8)
						printf("    SDM: op %02x imm %02x ax %04x fl %03llx: model ax %04x fl %03llx, SDM ax %04x fl %03llx (mask %03llx)%s%s\n",
						       ops[k], imm, axv, (unsigned long long)s.flags,
						       (unsigned)(uint16_t)md.r[0],
						       (unsigned long long)(md.flags & 0x8d5), eax,
						       (unsigned long long)efl, (unsigned long long)def,
						       err ? ": " : "", err ? err : "");
				}
			}
		}
	}
	/* INC/DEC r32/r16 (40-4F), 32-bit mode only */
	if (native) {
		for (unsigned i = 0; i < 2000; i++) {
			struct st s;
			rand_state(&s);
			for (int r = 0; r < 8; r++)
				s.r[r] &= 0xffffffff;
			uint8_t code[2];
			unsigned len = 0;
			if (i & 1)
				code[len++] = 0x66;
			uint8_t r = (uint8_t)(rnd() % 8);
			if (r == 4)
				r = 5;
			code[len++] = (uint8_t)(0x40 + (rnd() & 8) + r);
			uint64_t e[64];
			unsigned ne = edge_values(4, e);
			s.r[r] = (s.r[r] & ~0xffffffffull) | (i < 2 * ne ? e[i / 2] : rnd_val() & 0xffffffff);
			run_case(&m, code, len, &s, false);
		}
	}
	model_fini(&m);
	printf("    %lu native comparisons, %lu mismatches; %lu SDM checks, %lu differ\n",
	       n_cases, n_bad, sdm_checked, sdm_bad);
	EXPECT_EQ(n_bad, 0);
	EXPECT_EQ(sdm_bad, 0);
	EXPECT_TRUE(sdm_checked > 1000);
	if (!native)
		test_skip("no 32-bit user code segment: native side of BCD not run");
}

/* ---- write cycles: which instructions write their memory operand ----
 * On a read-only page an instruction that performs a write cycle faults
 * even when the value does not change (shift by 0, failed CMPXCHG, ADD 0),
 * and a CMOVcc whose condition is false still reads. Natively: the data
 * page is made read-only (or inaccessible) and SIGSEGV is caught. On the
 * model: the 2 MiB page holding code and data is mapped read-only, the
 * stack lives elsewhere and #PF goes through an IDT gate to a HLT; a fault
 * must be #PF with W=1 (or W=0 for the read). */

static sigjmp_buf ro_jb;
static volatile long ro_err;
static void ro_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	/* the #PF error code the kernel saw [SDM 4.7] */
	ro_err = (long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR];
	siglongjmp(ro_jb, 1);
}

/* Native: -1 when the instruction runs with the data page protected so,
 * else the #PF error code of its fault. */
static long native_pf(const uint8_t *code, unsigned len, struct st *s, int prot)
{
	uint8_t *page = nat + ((NAT_INSN + DATA_DIST) & ~0xfffu);
	struct sigaction sa = { .sa_sigaction = ro_fault, .sa_flags = SA_SIGINFO }, o1, o2;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &o1);
	sigaction(SIGBUS, &sa, &o2);
	volatile long err = -1;
	mprotect(page, 0x1000, prot);
	if (!sigsetjmp(ro_jb, 1))
		native_run(code, len, s, false);
	else
		err = ro_err;
	mprotect(page, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
	sigaction(SIGSEGV, &o1, 0);
	sigaction(SIGBUS, &o2, 0);
	return err;
}

#define RO_STACK 0x300000
#define RO_HANDLER (TH_CODE + 0x100) /* a NOP: one instruction of budget */
#define RO_PT 0x40000 /* a 4 KiB page table for the first 2 MiB */

/* Model: map the first 2 MiB with 4 KiB pages so the data page alone can
 * be made read-only or not present. */
static void model_split_first_2m(struct model *m)
{
	struct th *t = &m->t;
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t pte = (i << 12) | 0x7;
		memcpy(t->mem + RO_PT + i * 8, &pte, 8);
	}
	uint64_t pde = RO_PT | 0x7;
	memcpy(t->mem + TH_PML4 + 0x2000, &pde, 8);
}

/* Model: -1 no fault, else the #PF error code (-2: not delivered). */
static long model_pf(struct model *m, const uint8_t *code, unsigned len,
		     const struct st *s, bool unmapped)
{
	struct th *t = &m->t;
	uint64_t page = (TH_CODE + DATA_DIST) >> 12;
	uint64_t pte = unmapped ? 0 : (page << 12) | 0x5; /* P, U, read-only */
	memcpy(t->mem + RO_PT + page * 8, &pte, 8);
	/* KVM_SET_SREGS reloads CR3: the TLB forgets the old mapping */
	struct kvm_sregs sr = th_sregs(t);
	tg_vcpu_set_sregs(t->vcpu, &sr);
	memcpy(t->mem + TH_CODE, code, len);
	t->mem[TH_CODE + len] = 0xf4;
	t->mem[RO_HANDLER] = 0x90;
	memcpy(t->mem + TH_CODE + DATA_DIST - WIN / 2, mem_in, WIN);
	struct kvm_regs r = {
		.rax = s->r[0], .rcx = s->r[1], .rdx = s->r[2], .rbx = s->r[3],
		.rsp = RO_STACK, .rbp = s->r[5], .rsi = s->r[6], .rdi = s->r[7],
		.rip = TH_CODE, .rflags = (s->flags & FLAGS_CMP) | 2,
	};
	tg_vcpu_set_regs(t->vcpu, &r);
	/* one instruction: the one under test, or (after a #PF delivered
	 * through the IDT, which retires nothing) the handler's NOP */
	int rc = tg_vcpu_run(t->vcpu);
	pte = (page << 12) | 0x7;
	memcpy(t->mem + RO_PT + page * 8, &pte, 8);
	tg_vcpu_set_sregs(t->vcpu, &sr);
	r = th_regs(t);
	if (rc == -EINTR && r.rip == TH_CODE + len)
		return -1;
	if (rc != -EINTR || r.rip != RO_HANDLER + 1)
		return -2; /* not delivered through the IDT */
	uint64_t err;
	memcpy(&err, t->mem + RO_STACK - 48, 8);
	return (long)err;
}

TEST(oracle_alu_write_cycles_on_read_only_memory)
{
	struct model m;
	if (!begin(&m, false))
		return;
	if (m.m32 || !nat)
		return;
	/* the model's IDT gate for #PF; code and data share the read-only
	 * page, descriptor tables are only read */
	th_gate64(&m.t, 14, RO_HANDLER, 14, 0, 0);
	model_split_first_2m(&m);
	struct {
		struct ins e;
		uint64_t rax, rcx, rdx;
		const char *what;
	} cs[] = {
		{ enc(0, 4, 0, 0xc1, 4, MEM, 1, 0, 0), 0, 0, 0, "shl m32, 0" },
		{ enc(0, 4, 0, 0xd3, 4, MEM, 0, 0, 0), 0, 0x100, 0, "shl m32, cl (0)" },
		{ enc(0, 1, 0, 0xd2, 0, MEM, 0, 0, 0), 0, 0x20, 0, "rol m8, cl (32: masked 0)" },
		{ enc(0, 4, 1, 0xa4, 0, MEM, 1, 0, 0), 0, 0, 0, "shld m32, eax, 0" },
		{ enc(0, 8, 1, 0xad, 0, MEM, 0, 0, 0), 0, 0x40, 0, "shrd m64, rax, cl (64: masked 0)" },
		{ enc(0, 4, 1, 0xb1, 1, MEM, 0, 0, 0), 7, 9, 0, "cmpxchg m32 (fails)" },
		{ enc(0, 4, 1, 0xc7, 1, MEM, 0, 0, 0), 7, 0, 0, "cmpxchg8b (fails)" },
		{ enc(0, 8, 1, 0xc7, 1, MEM, 0, 0, 0), 7, 0, 0, "cmpxchg16b (fails)" },
		{ enc(0, 4, 1, 0xba, 5, MEM, 1, 1, 0), 0, 0, 0, "bts m32, 1" },
		{ enc(0, 4, 1, 0xb3, 0, MEM, 0, 0, 0), 0x20, 0, 0, "btr m32, eax (bit clear)" },
		{ enc(0, 4, 1, 0xa3, 0, MEM, 0, 0, 0), 0, 0, 0, "bt m32, eax" },
		{ enc(0, 4, 1, 0xc1, 0, MEM, 0, 0, 0), 0, 0, 0, "xadd m32, eax (0)" },
		{ enc(0, 4, 0, 0x83, 0, MEM, 1, 0, 0), 0, 0, 0, "add m32, 0" },
		{ enc(0, 4, 0, 0x83, 4, MEM, 1, 0xff, 0), 0, 0, 0, "and m32, -1" },
		{ enc(0, 4, 0, 0x83, 7, MEM, 1, 0, 0), 0, 0, 0, "cmp m32, 0" },
		{ enc(0, 4, 0, 0x85, 0, MEM, 0, 0, 0), 0, 0, 0, "test m32, eax" },
		{ enc(0, 4, 0, 0xf7, 3, MEM, 0, 0, 0), 0, 0, 0, "neg m32" },
		{ enc(0, 1, 1, 0x92, 0, MEM, 0, 0, 0), 0, 0, 0, "setb m8" },
		{ enc(0, 4, 0, 0xf7, 6, MEM, 0, 0, 0), 0, 0, 0, "div m32" },
		{ enc(0, 4, 1, 0x45, 0, MEM, 0, 0, 0), 0, 0, 0, "cmovnz eax, m32 (ZF=1)" },
	};
	for (unsigned i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		for (int unmapped = 0; unmapped < 2; unmapped++) {
			struct st s;
			rand_state(&s);
			s.r[0] = cs[i].rax;
			s.r[1] = cs[i].rcx;
			s.r[2] = cs[i].rdx;
			s.flags = 0x40; /* ZF=1: CMOVNZ does not move */
			memset(mem_in, 0, WIN);
			mem_in[WIN / 2] = 5;
			/* native data: 5 at the operand (DIV by 5 is fine) */
			memcpy(nat + NAT_INSN + DATA_DIST - WIN / 2, mem_in, WIN);
			struct st n = s;
			n.flags |= 2;
			long nf = native_pf(cs[i].e.b, cs[i].e.len, &n,
					    unmapped ? PROT_NONE : PROT_READ);
			long mf = model_pf(&m, cs[i].e.b, cs[i].e.len, &s, unmapped);
			n_cases++;
			total_comparisons++;
			/* compare P and W; natively U is set (CPL 3), on the
			 * model the code runs at CPL 0 */
			if (nf >= 0)
				nf &= 3;
			if (mf >= 0)
				mf &= 3;
			if (nf != mf) {
				n_bad++;
				printf("    %s (%s): host %ld, model %ld (-1: no fault)\n",
				       cs[i].what, unmapped ? "not present" : "read-only",
				       nf, mf);
			}
		}
	}
	end(&m, 40);
}

/* Last in this file (tests run sorted by name): the total. */
TEST(oracle_zz_total)
{
	printf("    %llu oracle comparisons in total\n",
	       (unsigned long long)total_comparisons);
	EXPECT_TRUE(total_comparisons > 0);
}
