/* Differential test of single instructions against the host CPU: every
 * form listed in insnflags.h (ALU, shifts and rotates by 1 / imm / CL,
 * SHLD/SHRD, BT* on registers and on bit strings in memory, BSF/BSR,
 * POPCNT/LZCNT, MUL/IMUL/DIV/IDIV, SETcc/CMOVcc, XADD/CMPXCHG/XCHG,
 * CBW..CQO, LAHF/SAHF, MOVZX/MOVSX, high-byte registers) runs on
 * pseudo-random operands with random input flags (POPF), and its results
 * and output RFLAGS (PUSHF) are folded into one hash per form. The native
 * build runs the same instructions on the host, so the expected values are
 * the host CPU's. Flags the SDM leaves undefined for an instruction (or a
 * count) are masked out, and so is a result the SDM leaves undefined
 * (BSF/BSR of 0, 16-bit SHLD/SHRD by more than 15) [SDM Vol. 2, the Flags
 * Affected section of each instruction]. Output: one hash per form in
 * insnflags.h order, then the total. */
#include "rt.h"
#include "insnflags.h"

#define F_CF 0x001
#define F_PF 0x004
#define F_AF 0x010
#define F_ZF 0x040
#define F_SF 0x080
#define F_OF 0x800
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_LOGIC (F_ALL & ~F_AF)            /* AND/OR/XOR/TEST: AF undefined */
#define F_SHIFT1 (F_ALL & ~F_AF)           /* shift by 1: AF undefined */
#define F_SHIFTN (F_CF | F_PF | F_ZF | F_SF) /* by 2..width-1: OF too */
#define F_BT (F_CF | F_ZF)                 /* CF; ZF unaffected; rest undefined */
#define F_MUL (F_CF | F_OF)                /* SF ZF AF PF undefined */

/* Masks that depend on the count in CL or on the operand. */
enum { D_SHL = 0x10000, D_SAR, D_ROT, D_RC, D_SHD, D_BSF };
#define SKIP_RESULT (1ull << 62)
enum { P_NONE, P_DIVU, P_DIVS, P_BTOFF, P_CMPX };

struct st {
	uint64_t a, b, c, fl;
};

static uint64_t gm;
static uint64_t g_bits[32]; /* bit strings: the operand is g_bits[8] */

/* Input flags through POPF, output flags through PUSHF. The native build
 * may keep data in the red zone below RSP, so step over it first. */
#define PRE "lea -128(%%rsp), %%rsp\n\tpushq %[fl]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpopq %[fl]\n\tlea 128(%%rsp), %%rsp"

#define K_RR(t) __asm__ volatile(PRE t POST : [d] "+r"(s->a), [fl] "+r"(s->fl) : [s] "r"(s->b) : "cc")
#define K_RR2(t) __asm__ volatile(PRE t POST : [d] "+r"(s->a), [s] "+r"(s->b), [fl] "+r"(s->fl) : : "cc")
#define K_RRC(t) __asm__ volatile(PRE t POST : [d] "+r"(s->a), [fl] "+r"(s->fl) : [s] "r"(s->b), "c"(s->c) : "cc")
#define K_R1(t) __asm__ volatile(PRE t POST : [d] "+r"(s->a), [fl] "+r"(s->fl) : : "cc")
#define K_RC(t) __asm__ volatile(PRE t POST : [d] "+r"(s->a), [fl] "+r"(s->fl) : "c"(s->c) : "cc")
#define K_Q(t) __asm__ volatile(PRE t POST : [d] "+Q"(s->a), [fl] "+r"(s->fl) : [s] "Q"(s->b) : "cc")
#define K_AX(t) __asm__ volatile(PRE t POST : "+a"(s->a), "+d"(s->b), [fl] "+r"(s->fl) : [s] "c"(s->c) : "cc")
#define K_CX(t) __asm__ volatile(PRE t POST : "+a"(s->a), [d] "+r"(s->b), [fl] "+r"(s->fl) : [s] "r"(s->c) : "cc")
#define K_RM(t)                                                             \
	do {                                                                \
		gm = s->b;                                                  \
		__asm__ volatile(PRE t POST : [d] "+r"(s->a), [fl] "+r"(s->fl) : [m] "m"(gm) : "cc"); \
	} while (0)
#define K_MEM(t, ...)                                                       \
	do {                                                                \
		gm = s->a;                                                  \
		__asm__ volatile(PRE t POST : [m] "+m"(gm), [fl] "+r"(s->fl) __VA_ARGS__ : "cc"); \
		s->a = gm;                                                  \
	} while (0)
#define K_MD(t) K_MEM(t, : [s] "r"(s->b))
#define K_M1(t) K_MEM(t, :)
#define K_MC(t) K_MEM(t, : "c"(s->c))
#define K_MRC(t) K_MEM(t, : [s] "r"(s->b), "c"(s->c))
#define K_MD2(t)                                                            \
	do {                                                                \
		gm = s->a;                                                  \
		__asm__ volatile(PRE t POST : [m] "+m"(gm), [s] "+r"(s->b), [fl] "+r"(s->fl) : : "cc"); \
		s->a = gm;                                                  \
	} while (0)
#define K_CXM(t)                                                            \
	do {                                                                \
		gm = s->b;                                                  \
		__asm__ volatile(PRE t POST : "+a"(s->a), [m] "+m"(gm), [fl] "+r"(s->fl) : [s] "r"(s->c) : "cc"); \
		s->b = gm;                                                  \
	} while (0)
#define K_BTM(t)                                                            \
	do {                                                                \
		__asm__ volatile(PRE t POST : [m] "+m"(g_bits[8]), [fl] "+r"(s->fl) : [s] "r"(s->b) : "cc", "memory"); \
		uint64_t h_ = CG_HASH_INIT;                                 \
		for (int i_ = 0; i_ < 32; i_++)                             \
			h_ = cg_mix(h_, g_bits[i_]);                        \
		s->a = h_;                                                  \
	} while (0)

typedef void (*form_fn)(struct st *);
#define DEF(name, kind, tmpl, mask, w, prep) \
	static void f_##name(struct st *s) { K_##kind(tmpl); }
INSNFLAGS_FORMS(DEF)

struct form {
	form_fn fn;
	int mask, w, prep;
};
#define ENT(name, kind, tmpl, mask, w, prep) { f_##name, mask, w, prep },
static const struct form forms[] = { INSNFLAGS_FORMS(ENT) };
#define NFORMS (sizeof forms / sizeof forms[0])

static uint64_t seed = 0xf1a9f1a9f1a9ull;

static uint64_t operand(void)
{
	uint64_t r = cg_rand(&seed);
	switch (r & 15) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return 1ull << (r >> 58);
	case 3: return (r >> 8) & 0xff;
	case 4: return 0x7f + (r >> 62);
	case 5: return 0x7fff + (r >> 62);
	case 6: return 0x7fffffff + (r >> 62);
	case 7: return 0x7fffffffffffffffull + (r >> 62);
	case 8: return (uint64_t)-(int64_t)((r >> 40) & 3);
	default: return cg_rand(&seed);
	}
}

static uint64_t wmask(int w) { return w == 64 ? ~0ull : (1ull << w) - 1; }

/* [SDM Vol. 2 SAL/SAR/SHL/SHR, ROL/ROR/RCL/RCR, SHLD/SHRD, BSF/BSR]:
 * masked count 0 leaves the flags alone; OF only for count 1; AF
 * undefined for a non-zero count; CF undefined for SHL/SHR by >= the
 * width; RCL/RCR of 8/16 bits rotate by count mod 9/17 (a multiple of 9
 * or 17 is left out: CF/OF there are not worth trusting); SHLD/SHRD by
 * more than the width (16-bit) leave result and flags undefined. */
static uint64_t flag_mask(const struct form *f, const struct st *in)
{
	if (f->mask < D_SHL)
		return (uint64_t)f->mask;
	unsigned m = (unsigned)(in->c & (f->w == 64 ? 63 : 31));
	switch (f->mask) {
	case D_SHL:
		if (!m) return F_ALL;
		if ((int)m >= f->w) return F_PF | F_ZF | F_SF;
		return m == 1 ? F_SHIFT1 : F_SHIFTN;
	case D_SAR:
		if (!m) return F_ALL;
		return m == 1 ? F_SHIFT1 : F_SHIFTN;
	case D_ROT:
		if (!m) return F_ALL;
		return m == 1 ? F_ALL : F_ALL & ~F_OF;
	case D_RC:
		if (!m) return F_ALL;
		if ((f->w == 8 && m % 9 == 0) || (f->w == 16 && m % 17 == 0))
			return F_ALL & ~(F_CF | F_OF);
		return m == 1 ? F_ALL : F_ALL & ~F_OF;
	case D_SHD:
		if (!m) return F_ALL;
		if ((int)m >= f->w) return SKIP_RESULT;
		return m == 1 ? F_SHIFT1 : F_SHIFTN;
	case D_BSF:
		return (in->b & wmask(f->w)) ? F_ZF : F_ZF | SKIP_RESULT;
	}
	return 0;
}

static void prepare(const struct form *f, struct st *s)
{
	uint64_t m = wmask(f->w);
	switch (f->prep) {
	case P_DIVU: {
		/* divisor non-zero, high half of the dividend below it: the
		 * quotient fits [SDM Vol. 2 DIV, #DE] */
		uint64_t d = s->c & m;
		if (!d)
			s->c |= d = 3;
		if (f->w == 8) {
			uint64_t ah = ((s->a >> 8) & 0xff) % d;
			s->a = (s->a & ~0xff00ull) | ah << 8;
		} else {
			s->b = (s->b & ~m) | ((s->b & m) % d);
		}
		break;
	}
	case P_DIVS: {
		/* dividend = sign extension of the low half: only MIN / -1
		 * overflows; divisor non-zero [SDM Vol. 2 IDIV] */
		uint64_t d = s->c & m;
		if (!d)
			s->c |= d = 5;
		uint64_t lo = s->a & (f->w == 8 ? 0xff : m);
		uint64_t sign = lo >> (f->w - 1) & 1;
		if (d == m && lo == 1ull << (f->w - 1))
			s->c ^= 2; /* divisor -1 -> -3 */
		if (f->w == 8)
			s->a = (s->a & ~0xff00ull) | (sign ? 0xff00 : 0);
		else
			s->b = (s->b & ~m) | (sign ? m : 0);
		break;
	}
	case P_BTOFF:
		/* bit offsets -512..1023: bytes -64..+127 around g_bits[8] */
		s->b = (uint64_t)((int64_t)(cg_rand(&seed) % 1536) - 512);
		break;
	case P_CMPX:
		if (cg_rand(&seed) & 1)
			s->a = (s->a & ~m) | (s->b & m);
		break;
	}
}

uint64_t cg_main(void)
{
	uint64_t total = CG_HASH_INIT;
	for (int i = 0; i < 32; i++)
		g_bits[i] = cg_rand(&seed);
	for (size_t k = 0; k < NFORMS; k++) {
		const struct form *f = &forms[k];
		uint64_t h = CG_HASH_INIT;
		for (int it = 0; it < 100; it++) {
			struct st s;
			s.a = operand();
			s.b = operand();
			uint64_t r = cg_rand(&seed);
			s.c = r & 3 ? r % 80 : operand();
			s.fl = (cg_rand(&seed) & F_ALL) | 2;
			prepare(f, &s);
			struct st in = s;
			f->fn(&s);
			uint64_t mask = flag_mask(f, &in);
			if (!(mask & SKIP_RESULT))
				h = cg_mix(h, s.a);
			h = cg_mix(h, s.b);
			h = cg_mix(h, s.fl & mask & F_ALL);
		}
		cg_emit(h);
		total = cg_mix(total, h);
	}
	cg_emit(total);
	return NFORMS;
}
