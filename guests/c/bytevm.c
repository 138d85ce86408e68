/* A small stack-machine bytecode interpreter: a one-pass assembler with
 * labels builds the bytecode at run time, then two dispatchers run it, a
 * `switch` (jump table, indirect JMP) and a threaded one (computed goto,
 * one indirect JMP per opcode). The bytecode counts primes by trial
 * division, computes Fibonacci numbers recursively (CALL/RET frames),
 * runs a sieve in global memory, sums GCDs of pairs and finds the longest
 * Collatz chain. Output: each EMIT of the bytecode (from the switch
 * dispatcher), then for the threaded dispatcher 1 if its EMITs, step count
 * and final stack matched, then the step count. */
#include "rt.h"

enum {
	OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_OVER, OP_SWAP,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_NEG,
	OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_LT, OP_EQ,
	OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET, OP_ENTER,
	OP_LOAD, OP_STORE, OP_GLOAD, OP_GSTORE, OP_EMIT, OP_COUNT
};

#define CODE_MAX 2048
#define NLAB 64
static uint8_t code[CODE_MAX];
static int cpos, nfix;
static int lab[NLAB];
static struct { int pos, l; } fix[256];

static void op(int o) { code[cpos++] = (uint8_t)o; }
static void op8(int o, int v) { op(o); code[cpos++] = (uint8_t)v; }
static void push(int32_t v) { op(OP_PUSH); memcpy(code + cpos, &v, 4); cpos += 4; }
static void jump(int o, int l) { op(o); fix[nfix].pos = cpos; fix[nfix++].l = l; cpos += 2; }
static void call(int l, int nargs) { jump(OP_CALL, l); code[cpos++] = (uint8_t)nargs; }
static void bind(int l) { lab[l] = cpos; }
static void resolve(void)
{
	for (int i = 0; i < nfix; i++) {
		uint16_t t = (uint16_t)lab[fix[i].l];
		memcpy(code + fix[i].pos, &t, 2);
	}
}

enum { L_MAIN, L_FIB, L_GCD, L_P_OUT, L_P_IN, L_P_PRIME, L_P_NEXT, L_P_DONE,
       L_FIB_REC, L_GCD_LOOP, L_GCD_END, L_S_I, L_S_J, L_S_JEND, L_S_SKIP,
       L_S_CNT, L_S_CNTEND, L_S_NOTP, L_G_I, L_G_J, L_G_JEND, L_G_END,
       L_C_N, L_C_STEP, L_C_EVEN, L_C_CHK, L_C_END, L_C_NOTMAX, L_C_DONE };

static void assemble(void)
{
	/* main: locals 0..5 */
	bind(L_MAIN);
	op8(OP_ENTER, 6);
	/* count primes below 500 by trial division */
	push(2); op8(OP_STORE, 0);
	push(0); op8(OP_STORE, 1);
	bind(L_P_OUT);
	op8(OP_LOAD, 0); push(500); op(OP_LT); jump(OP_JZ, L_P_DONE);
	push(2); op8(OP_STORE, 2);
	bind(L_P_IN);
	op8(OP_LOAD, 0); op8(OP_LOAD, 2); op(OP_DUP); op(OP_MUL); op(OP_LT);
	jump(OP_JNZ, L_P_PRIME);
	op8(OP_LOAD, 0); op8(OP_LOAD, 2); op(OP_MOD); jump(OP_JZ, L_P_NEXT);
	op8(OP_LOAD, 2); push(1); op(OP_ADD); op8(OP_STORE, 2); jump(OP_JMP, L_P_IN);
	bind(L_P_PRIME);
	op8(OP_LOAD, 1); push(1); op(OP_ADD); op8(OP_STORE, 1);
	bind(L_P_NEXT);
	op8(OP_LOAD, 0); push(1); op(OP_ADD); op8(OP_STORE, 0); jump(OP_JMP, L_P_OUT);
	bind(L_P_DONE);
	op8(OP_LOAD, 1); op(OP_EMIT);
	/* fib(12), fib(-3 + 17) via recursion */
	push(12); call(L_FIB, 1); op(OP_EMIT);
	push(-3); push(17); op(OP_ADD); call(L_FIB, 1); op(OP_EMIT);
	/* sieve of Eratosthenes over global memory [0, 1000) */
	push(2); op8(OP_STORE, 0);
	bind(L_S_I);
	op8(OP_LOAD, 0); op(OP_DUP); op(OP_MUL); push(1000); op(OP_LT); jump(OP_JZ, L_S_CNT);
	op8(OP_LOAD, 0); op(OP_GLOAD); jump(OP_JNZ, L_S_SKIP);
	op8(OP_LOAD, 0); op(OP_DUP); op(OP_MUL); op8(OP_STORE, 1);
	bind(L_S_J);
	op8(OP_LOAD, 1); push(1000); op(OP_LT); jump(OP_JZ, L_S_SKIP);
	push(1); op8(OP_LOAD, 1); op(OP_GSTORE);
	op8(OP_LOAD, 1); op8(OP_LOAD, 0); op(OP_ADD); op8(OP_STORE, 1); jump(OP_JMP, L_S_J);
	bind(L_S_SKIP);
	op8(OP_LOAD, 0); push(1); op(OP_ADD); op8(OP_STORE, 0); jump(OP_JMP, L_S_I);
	bind(L_S_CNT); /* count and sum primes: locals 2 = count, 3 = sum */
	push(2); op8(OP_STORE, 0); push(0); op8(OP_STORE, 2); push(0); op8(OP_STORE, 3);
	bind(L_S_NOTP);
	op8(OP_LOAD, 0); push(1000); op(OP_LT); jump(OP_JZ, L_S_CNTEND);
	op8(OP_LOAD, 0); op(OP_GLOAD); jump(OP_JNZ, L_S_JEND);
	op8(OP_LOAD, 2); push(1); op(OP_ADD); op8(OP_STORE, 2);
	op8(OP_LOAD, 3); op8(OP_LOAD, 0); op(OP_ADD); op8(OP_STORE, 3);
	bind(L_S_JEND);
	op8(OP_LOAD, 0); push(1); op(OP_ADD); op8(OP_STORE, 0); jump(OP_JMP, L_S_NOTP);
	bind(L_S_CNTEND);
	op8(OP_LOAD, 2); op(OP_EMIT); op8(OP_LOAD, 3); op(OP_EMIT);
	/* sum of gcd(i, j) * (i ^ j) for 1 <= i, j < 16 */
	push(0); op8(OP_STORE, 4); push(1); op8(OP_STORE, 0);
	bind(L_G_I);
	op8(OP_LOAD, 0); push(16); op(OP_LT); jump(OP_JZ, L_G_END);
	push(1); op8(OP_STORE, 1);
	bind(L_G_J);
	op8(OP_LOAD, 1); push(16); op(OP_LT); jump(OP_JZ, L_G_JEND);
	op8(OP_LOAD, 0); op8(OP_LOAD, 1); call(L_GCD, 2);
	op8(OP_LOAD, 0); op8(OP_LOAD, 1); op(OP_XOR); op(OP_MUL);
	op8(OP_LOAD, 4); op(OP_ADD); op8(OP_STORE, 4);
	op8(OP_LOAD, 1); push(1); op(OP_ADD); op8(OP_STORE, 1); jump(OP_JMP, L_G_J);
	bind(L_G_JEND);
	op8(OP_LOAD, 0); push(1); op(OP_ADD); op8(OP_STORE, 0); jump(OP_JMP, L_G_I);
	bind(L_G_END);
	op8(OP_LOAD, 4); op(OP_EMIT);
	/* longest Collatz chain for 1 <= n < 100: locals 0 n, 1 x, 2 steps,
	 * 3 best steps, 5 best n */
	push(0); op8(OP_STORE, 3); push(1); op8(OP_STORE, 0);
	bind(L_C_N);
	op8(OP_LOAD, 0); push(100); op(OP_LT); jump(OP_JZ, L_C_DONE);
	op8(OP_LOAD, 0); op8(OP_STORE, 1); push(0); op8(OP_STORE, 2);
	bind(L_C_STEP);
	op8(OP_LOAD, 1); push(1); op(OP_EQ); jump(OP_JNZ, L_C_END);
	op8(OP_LOAD, 1); push(1); op(OP_AND); jump(OP_JZ, L_C_EVEN);
	op8(OP_LOAD, 1); push(3); op(OP_MUL); push(1); op(OP_ADD); op8(OP_STORE, 1);
	jump(OP_JMP, L_C_CHK);
	bind(L_C_EVEN);
	op8(OP_LOAD, 1); push(1); op(OP_SHR); op8(OP_STORE, 1);
	bind(L_C_CHK);
	op8(OP_LOAD, 2); push(1); op(OP_ADD); op8(OP_STORE, 2); jump(OP_JMP, L_C_STEP);
	bind(L_C_END);
	op8(OP_LOAD, 3); op8(OP_LOAD, 2); op(OP_LT); jump(OP_JZ, L_C_NOTMAX);
	op8(OP_LOAD, 2); op8(OP_STORE, 3); op8(OP_LOAD, 0); op8(OP_STORE, 5);
	bind(L_C_NOTMAX);
	op8(OP_LOAD, 0); push(1); op(OP_ADD); op8(OP_STORE, 0); jump(OP_JMP, L_C_N);
	bind(L_C_DONE);
	op8(OP_LOAD, 5); op(OP_EMIT); op8(OP_LOAD, 3); op(OP_EMIT);
	/* a few operators on negative and large values */
	push(-7); push(2); op(OP_DIV); op(OP_EMIT);
	push(-7); push(2); op(OP_MOD); op(OP_EMIT);
	push(-1); push(40); op(OP_SHL); push(-5); op(OP_NEG); op(OP_OR); op(OP_EMIT);
	push(123456); push(0); op(OP_DIV); op(OP_EMIT);
	push(0x55); push(0x0f); op(OP_AND); push(7); op(OP_OVER); op(OP_SWAP); op(OP_SUB);
	op(OP_ADD); op(OP_EMIT);
	push(77);
	op(OP_HALT);

	/* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2) */
	bind(L_FIB);
	op8(OP_LOAD, 0); push(2); op(OP_LT); jump(OP_JZ, L_FIB_REC);
	op8(OP_LOAD, 0); op(OP_RET);
	bind(L_FIB_REC);
	op8(OP_LOAD, 0); push(1); op(OP_SUB); call(L_FIB, 1);
	op8(OP_LOAD, 0); push(2); op(OP_SUB); call(L_FIB, 1);
	op(OP_ADD); op(OP_RET);

	/* gcd(a, b): Euclid */
	bind(L_GCD);
	op8(OP_ENTER, 1);
	bind(L_GCD_LOOP);
	op8(OP_LOAD, 1); jump(OP_JZ, L_GCD_END);
	op8(OP_LOAD, 0); op8(OP_LOAD, 1); op(OP_MOD); op8(OP_STORE, 2);
	op8(OP_LOAD, 1); op8(OP_STORE, 0); op8(OP_LOAD, 2); op8(OP_STORE, 1);
	jump(OP_JMP, L_GCD_LOOP);
	bind(L_GCD_END);
	op8(OP_LOAD, 0); op(OP_RET);
	resolve();
}

#define STACK 512
#define FRAMES 128
#define GMEM 2048
#define MAX_STEPS 2000000

struct vmstate {
	int64_t st[STACK];
	struct { int pc, fp; } fr[FRAMES];
	int64_t g[GMEM];
	int sp, nfr;
	uint64_t steps;
	int64_t out[32];
	int nout;
	int err;
};

static struct vmstate vm_a, vm_b;

static int64_t sdiv(int64_t a, int64_t b)
{
	if (b == 0 || (a == INT64_MIN && b == -1))
		return 0;
	return a / b;
}
static int64_t smod(int64_t a, int64_t b)
{
	if (b == 0 || (a == INT64_MIN && b == -1))
		return 0;
	return a % b;
}
static int64_t wrap(uint64_t v) { return (int64_t)v; }

/* Stack, frame and memory indices are checked: a broken interpreter run
 * ends with err set, never outside its arrays. */
#define NEED(n) do { if (s->sp < (n) || s->sp + 2 > STACK) { s->err = 1; goto out; } } while (0)
#define A s->st[s->sp - 2]
#define B s->st[s->sp - 1]

static void run_switch(struct vmstate *s)
{
	int pc = 0, fp = 0;
	for (;;) {
		if (++s->steps > MAX_STEPS || pc < 0 || pc >= CODE_MAX) {
			s->err = 2;
			goto out;
		}
		int o = code[pc++];
		switch (o) {
		case OP_HALT: goto out;
		case OP_PUSH: { int32_t v; memcpy(&v, code + pc, 4); pc += 4; NEED(0); s->st[s->sp++] = v; break; }
		case OP_POP: NEED(1); s->sp--; break;
		case OP_DUP: NEED(1); s->st[s->sp] = B; s->sp++; break;
		case OP_OVER: NEED(2); s->st[s->sp] = A; s->sp++; break;
		case OP_SWAP: { NEED(2); int64_t t = A; A = B; B = t; break; }
		case OP_ADD: NEED(2); A = wrap((uint64_t)A + (uint64_t)B); s->sp--; break;
		case OP_SUB: NEED(2); A = wrap((uint64_t)A - (uint64_t)B); s->sp--; break;
		case OP_MUL: NEED(2); A = wrap((uint64_t)A * (uint64_t)B); s->sp--; break;
		case OP_DIV: NEED(2); A = sdiv(A, B); s->sp--; break;
		case OP_MOD: NEED(2); A = smod(A, B); s->sp--; break;
		case OP_NEG: NEED(1); B = wrap(-(uint64_t)B); break;
		case OP_AND: NEED(2); A &= B; s->sp--; break;
		case OP_OR: NEED(2); A |= B; s->sp--; break;
		case OP_XOR: NEED(2); A ^= B; s->sp--; break;
		case OP_SHL: NEED(2); A = wrap((uint64_t)A << (B & 63)); s->sp--; break;
		case OP_SHR: NEED(2); A = A >> (B & 63); s->sp--; break;
		case OP_LT: NEED(2); A = A < B; s->sp--; break;
		case OP_EQ: NEED(2); A = A == B; s->sp--; break;
		case OP_JMP: { uint16_t t; memcpy(&t, code + pc, 2); pc = t; break; }
		case OP_JZ: case OP_JNZ: {
			uint16_t t; memcpy(&t, code + pc, 2); pc += 2;
			NEED(1);
			int64_t v = s->st[--s->sp];
			if ((v == 0) == (o == OP_JZ))
				pc = t;
			break;
		}
		case OP_CALL: {
			uint16_t t; memcpy(&t, code + pc, 2);
			int nargs = code[pc + 2];
			NEED(nargs);
			if (s->nfr >= FRAMES) { s->err = 3; goto out; }
			s->fr[s->nfr].pc = pc + 3;
			s->fr[s->nfr++].fp = fp;
			fp = s->sp - nargs;
			pc = t;
			break;
		}
		case OP_RET: {
			NEED(1);
			if (s->nfr == 0) { s->err = 4; goto out; }
			int64_t v = s->st[s->sp - 1];
			s->sp = fp;
			s->st[s->sp++] = v;
			pc = s->fr[--s->nfr].pc;
			fp = s->fr[s->nfr].fp;
			break;
		}
		case OP_ENTER: {
			int n = code[pc++];
			if (s->sp + n + 2 > STACK) { s->err = 5; goto out; }
			for (int i = 0; i < n; i++)
				s->st[s->sp++] = 0;
			break;
		}
		case OP_LOAD: {
			int i = fp + code[pc++];
			if (i >= s->sp) { s->err = 6; goto out; }
			NEED(0);
			s->st[s->sp] = s->st[i];
			s->sp++;
			break;
		}
		case OP_STORE: {
			int i = fp + code[pc++];
			NEED(1);
			if (i >= s->sp - 1) { s->err = 6; goto out; }
			s->st[i] = s->st[--s->sp];
			break;
		}
		case OP_GLOAD: NEED(1); if ((uint64_t)B >= GMEM) { s->err = 7; goto out; } B = s->g[B]; break;
		case OP_GSTORE:
			NEED(2);
			if ((uint64_t)B >= GMEM) { s->err = 7; goto out; }
			s->g[B] = A;
			s->sp -= 2;
			break;
		case OP_EMIT:
			NEED(1);
			if (s->nout < 32)
				s->out[s->nout++] = s->st[s->sp - 1];
			s->sp--;
			break;
		default: s->err = 8; goto out;
		}
	}
out:;
}

/* Direct threading: the same semantics, one computed goto per opcode. */
static void run_threaded(struct vmstate *s)
{
	static void *const tab[OP_COUNT] = {
		&&l_halt, &&l_push, &&l_pop, &&l_dup, &&l_over, &&l_swap,
		&&l_add, &&l_sub, &&l_mul, &&l_div, &&l_mod, &&l_neg,
		&&l_and, &&l_or, &&l_xor, &&l_shl, &&l_shr, &&l_lt, &&l_eq,
		&&l_jmp, &&l_jz, &&l_jnz, &&l_call, &&l_ret, &&l_enter,
		&&l_load, &&l_store, &&l_gload, &&l_gstore, &&l_emit,
	};
	int pc = 0, fp = 0, o;
#define NEXT do { if (++s->steps > MAX_STEPS || pc < 0 || pc >= CODE_MAX) { s->err = 2; goto out; } \
		  o = code[pc++]; if (o >= OP_COUNT) { s->err = 8; goto out; } goto *tab[o]; } while (0)
	NEXT;
l_halt: goto out;
l_push: { int32_t v; memcpy(&v, code + pc, 4); pc += 4; NEED(0); s->st[s->sp++] = v; NEXT; }
l_pop: NEED(1); s->sp--; NEXT;
l_dup: NEED(1); s->st[s->sp] = B; s->sp++; NEXT;
l_over: NEED(2); s->st[s->sp] = A; s->sp++; NEXT;
l_swap: { NEED(2); int64_t t = A; A = B; B = t; NEXT; }
l_add: NEED(2); A = wrap((uint64_t)A + (uint64_t)B); s->sp--; NEXT;
l_sub: NEED(2); A = wrap((uint64_t)A - (uint64_t)B); s->sp--; NEXT;
l_mul: NEED(2); A = wrap((uint64_t)A * (uint64_t)B); s->sp--; NEXT;
l_div: NEED(2); A = sdiv(A, B); s->sp--; NEXT;
l_mod: NEED(2); A = smod(A, B); s->sp--; NEXT;
l_neg: NEED(1); B = wrap(-(uint64_t)B); NEXT;
l_and: NEED(2); A &= B; s->sp--; NEXT;
l_or: NEED(2); A |= B; s->sp--; NEXT;
l_xor: NEED(2); A ^= B; s->sp--; NEXT;
l_shl: NEED(2); A = wrap((uint64_t)A << (B & 63)); s->sp--; NEXT;
l_shr: NEED(2); A = A >> (B & 63); s->sp--; NEXT;
l_lt: NEED(2); A = A < B; s->sp--; NEXT;
l_eq: NEED(2); A = A == B; s->sp--; NEXT;
l_jmp: { uint16_t t; memcpy(&t, code + pc, 2); pc = t; NEXT; }
l_jz: { uint16_t t; memcpy(&t, code + pc, 2); pc += 2; NEED(1); if (s->st[--s->sp] == 0) pc = t; NEXT; }
l_jnz: { uint16_t t; memcpy(&t, code + pc, 2); pc += 2; NEED(1); if (s->st[--s->sp] != 0) pc = t; NEXT; }
l_call: {
	uint16_t t; memcpy(&t, code + pc, 2);
	int nargs = code[pc + 2];
	NEED(nargs);
	if (s->nfr >= FRAMES) { s->err = 3; goto out; }
	s->fr[s->nfr].pc = pc + 3;
	s->fr[s->nfr++].fp = fp;
	fp = s->sp - nargs;
	pc = t;
	NEXT;
}
l_ret: {
	NEED(1);
	if (s->nfr == 0) { s->err = 4; goto out; }
	int64_t v = s->st[s->sp - 1];
	s->sp = fp;
	s->st[s->sp++] = v;
	pc = s->fr[--s->nfr].pc;
	fp = s->fr[s->nfr].fp;
	NEXT;
}
l_enter: {
	int n = code[pc++];
	if (s->sp + n + 2 > STACK) { s->err = 5; goto out; }
	for (int i = 0; i < n; i++)
		s->st[s->sp++] = 0;
	NEXT;
}
l_load: {
	int i = fp + code[pc++];
	if (i >= s->sp) { s->err = 6; goto out; }
	NEED(0);
	s->st[s->sp] = s->st[i];
	s->sp++;
	NEXT;
}
l_store: {
	int i = fp + code[pc++];
	NEED(1);
	if (i >= s->sp - 1) { s->err = 6; goto out; }
	s->st[i] = s->st[--s->sp];
	NEXT;
}
l_gload: NEED(1); if ((uint64_t)B >= GMEM) { s->err = 7; goto out; } B = s->g[B]; NEXT;
l_gstore:
	NEED(2);
	if ((uint64_t)B >= GMEM) { s->err = 7; goto out; }
	s->g[B] = A;
	s->sp -= 2;
	NEXT;
l_emit:
	NEED(1);
	if (s->nout < 32)
		s->out[s->nout++] = s->st[s->sp - 1];
	s->sp--;
	NEXT;
#undef NEXT
out:;
}

uint64_t cg_main(void)
{
	assemble();
	run_switch(&vm_a);
	run_threaded(&vm_b);
	for (int i = 0; i < vm_a.nout; i++)
		cg_emit((uint64_t)vm_a.out[i]);
	int same = vm_a.nout == vm_b.nout && vm_a.steps == vm_b.steps &&
		   vm_a.sp == vm_b.sp && vm_a.err == vm_b.err &&
		   memcmp(vm_a.out, vm_b.out, sizeof vm_a.out) == 0 &&
		   memcmp(vm_a.st, vm_b.st, sizeof vm_a.st) == 0;
	cg_emit((uint64_t)same);
	cg_emit(vm_a.steps);
	cg_emit((uint64_t)vm_a.err);
	cg_emit((uint64_t)cpos);
	return vm_a.sp ? (uint64_t)vm_a.st[vm_a.sp - 1] : 0;
}
