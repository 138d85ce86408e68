/* Integer arithmetic of every width over pseudo-random operands: 8/16/32/
 * 64-bit add/sub/mul/div/mod (signed and unsigned), shifts and rotates,
 * sign and zero extension, 128-bit multiply/shift/divide (__int128; the
 * divide is __udivmodti4/__divmodti4 from rt.c), bit tricks (popcount, ctz, clz, bswap, parity,
 * ffs, clrsb), overflow-checking builtins (JO/SETO/SETC, 3-operand IMUL),
 * selects (CMOVcc/SETcc), division by constants (multiply-high), bit-fields,
 * a dense switch (jump table), carry chains (ADC/SBB via addcarry/subborrow)
 * and atomics (LOCK XADD/CMPXCHG, XCHG). Each group's results are folded
 * into one hash; output: one hash per group in the order of `groups` below,
 * then the total. No operation has undefined behaviour (division by zero
 * and INT_MIN / -1 are skipped; signed overflow goes through unsigned). */
#include "rt.h"

#define ITER 1500

static uint64_t seed = 0x0123456789abcdefull;

/* Operands biased to edges: zero, all-ones, sign bit, small values. */
static uint64_t operand(void)
{
	uint64_t r = cg_rand(&seed);
	switch (r & 15) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return 1ull << 63;
	case 3: return (1ull << 63) - 1;
	case 4: return r >> 60;
	case 5: return 0x80;
	case 6: return 0x8000;
	case 7: return 0x80000000;
	case 8: return (uint64_t)-(int64_t)(r >> 61);
	default: return cg_rand(&seed);
	}
}

#define DEF_WIDTH(T, U, NAME)                                               \
	static uint64_t NAME(uint64_t h, uint64_t x, uint64_t y)            \
	{                                                                   \
		U a = (U)x, b = (U)y;                                       \
		T sa = (T)a, sb = (T)b;                                     \
		const int bits = (int)(sizeof(U) * 8);                      \
		h = cg_mix(h, (U)((uint64_t)a + b));                                  \
		h = cg_mix(h, (U)((uint64_t)a - b));                                  \
		h = cg_mix(h, (U)((uint64_t)a * b));                                  \
		h = cg_mix(h, (U)(a & b) ^ (U)(a | ~(uint64_t)b));                    \
		if (b) {                                                    \
			h = cg_mix(h, (U)(a / b));                          \
			h = cg_mix(h, (U)(a % b));                          \
		}                                                           \
		if (sb && !(sb == -1 && (U)sa == (U)1 << (bits - 1))) {     \
			h = cg_mix(h, (uint64_t)(int64_t)(T)(sa / sb));     \
			h = cg_mix(h, (uint64_t)(int64_t)(T)(sa % sb));     \
		}                                                           \
		int n = (int)((y >> 32) % (uint64_t)bits);                              \
		h = cg_mix(h, (U)((uint64_t)a << n));                                 \
		h = cg_mix(h, (U)(a >> n));                                 \
		h = cg_mix(h, (uint64_t)(int64_t)(T)(sa >> n));             \
		h = cg_mix(h, (U)((uint64_t)a << n | a >> ((bits - n) % bits)));      \
		h = cg_mix(h, (U)(a >> n | (uint64_t)a << ((bits - n) % bits)));      \
		h = cg_mix(h, (uint64_t)(int64_t)sa);                       \
		h = cg_mix(h, (uint64_t)(sa < sb) << 3 | (uint64_t)(a < b) << 2 | \
				      (uint64_t)(sa <= sb) << 1 | (a >= b)); \
		h = cg_mix(h, (U)(0 - (uint64_t)a));                                       \
		return h;                                                   \
	}
DEF_WIDTH(int8_t, uint8_t, w8)
DEF_WIDTH(int16_t, uint16_t, w16)
DEF_WIDTH(int32_t, uint32_t, w32)
DEF_WIDTH(int64_t, uint64_t, w64)

typedef unsigned __int128 u128;
typedef __int128 s128;

static uint64_t wide(uint64_t h, uint64_t x, uint64_t y)
{
	u128 p = (u128)x * y;
	h = cg_mix(h, (uint64_t)p);
	h = cg_mix(h, (uint64_t)(p >> 64));
	s128 q = (s128)(int64_t)x * (int64_t)y;
	h = cg_mix(h, (uint64_t)((u128)q >> 64));
	int n = (int)(y & 127);
	u128 v = (u128)x << 64 | y;
	h = cg_mix(h, (uint64_t)(v << n));
	h = cg_mix(h, (uint64_t)((v << n) >> 64));
	h = cg_mix(h, (uint64_t)(v >> n));
	h = cg_mix(h, (uint64_t)((u128)((s128)v >> n) >> 64));
	u128 d = (u128)(y >> (x & 63)) | 1;
	h = cg_mix(h, (uint64_t)(v / d));
	h = cg_mix(h, (uint64_t)(v % d));
	if (x >> 32) {
		u128 d2 = (u128)x << 3 | (y & 7);
		h = cg_mix(h, (uint64_t)(v / d2));
		h = cg_mix(h, (uint64_t)((v % d2) >> 64));
	}
	s128 sv = (s128)v >> 1, sd = (s128)(int64_t)(y | 1);
	h = cg_mix(h, (uint64_t)(sv / sd));
	h = cg_mix(h, (uint64_t)(sv % sd));
	return h;
}

static uint64_t bits(uint64_t h, uint64_t x, uint64_t y)
{
	uint32_t x32 = (uint32_t)x;
	h = cg_mix(h, (uint64_t)__builtin_popcountll(x));
	h = cg_mix(h, (uint64_t)__builtin_popcount(x32));
	h = cg_mix(h, (uint64_t)__builtin_parityll(x) | (uint64_t)__builtin_parity(x32 >> 3) << 1);
	if (x) {
		h = cg_mix(h, (uint64_t)__builtin_ctzll(x));
		h = cg_mix(h, (uint64_t)__builtin_clzll(x));
	}
	if (x32) {
		h = cg_mix(h, (uint64_t)__builtin_ctz(x32));
		h = cg_mix(h, (uint64_t)__builtin_clz(x32));
	}
	h = cg_mix(h, (uint64_t)__builtin_ffsll((long long)y));
	h = cg_mix(h, (uint64_t)__builtin_clrsbll((long long)x));
	h = cg_mix(h, __builtin_bswap64(x));
	h = cg_mix(h, __builtin_bswap32(x32));
	h = cg_mix(h, __builtin_bswap16((uint16_t)y));
	h = cg_mix(h, x & (x - 1));       /* clear lowest set bit */
	h = cg_mix(h, x & -x);            /* isolate lowest set bit */
	h = cg_mix(h, (x >> (y & 63)) & 1); /* bit test */
	h = cg_mix(h, x | 1ull << (y & 63));
	h = cg_mix(h, x & ~(1ull << (y & 63)));
	h = cg_mix(h, x ^ 1ull << ((y >> 8) & 63));
	return h;
}

static uint64_t overflow(uint64_t h, uint64_t x, uint64_t y)
{
	int64_t s64;
	uint64_t u64;
	int32_t s32;
	uint32_t u32;
	int16_t s16;
	uint8_t u8;
	h = cg_mix(h, (uint64_t)__builtin_add_overflow((int64_t)x, (int64_t)y, &s64));
	h = cg_mix(h, (uint64_t)s64);
	h = cg_mix(h, (uint64_t)__builtin_sub_overflow((int64_t)x, (int64_t)y, &s64));
	h = cg_mix(h, (uint64_t)s64);
	h = cg_mix(h, (uint64_t)__builtin_mul_overflow((int64_t)x, (int64_t)y, &s64));
	h = cg_mix(h, (uint64_t)s64);
	h = cg_mix(h, (uint64_t)__builtin_mul_overflow(x, y, &u64));
	h = cg_mix(h, u64);
	h = cg_mix(h, (uint64_t)__builtin_add_overflow(x, y, &u64));
	h = cg_mix(h, u64);
	h = cg_mix(h, (uint64_t)__builtin_mul_overflow((int32_t)x, (int32_t)y, &s32));
	h = cg_mix(h, (uint64_t)(uint32_t)s32);
	h = cg_mix(h, (uint64_t)__builtin_mul_overflow((int32_t)x, 1000, &s32));
	h = cg_mix(h, (uint64_t)(uint32_t)s32);
	h = cg_mix(h, (uint64_t)__builtin_sub_overflow((uint32_t)x, (uint32_t)y, &u32));
	h = cg_mix(h, u32);
	h = cg_mix(h, (uint64_t)__builtin_add_overflow((int16_t)x, (int16_t)y, &s16));
	h = cg_mix(h, (uint64_t)(uint16_t)s16);
	h = cg_mix(h, (uint64_t)__builtin_mul_overflow((uint8_t)x, (uint8_t)y, &u8));
	h = cg_mix(h, u8);
	/* 3-operand IMUL with immediates */
	h = cg_mix(h, (uint64_t)((int64_t)x * 0) ^ (x * 37) ^ (y * 1000003));
	h = cg_mix(h, (uint32_t)((uint32_t)x * 0x12345u));
	return h;
}

static uint64_t selects(uint64_t h, uint64_t x, uint64_t y)
{
	int64_t a = (int64_t)x, b = (int64_t)y;
	int32_t c = (int32_t)x, d = (int32_t)(y >> 7);
	h = cg_mix(h, (uint64_t)(a < b ? a : b));
	h = cg_mix(h, (uint64_t)(a > b ? a : b));
	h = cg_mix(h, x < y ? x : y);
	h = cg_mix(h, (uint64_t)(c < d ? c : d));
	h = cg_mix(h, (uint64_t)(uint32_t)(c == INT32_MIN ? c : (c < 0 ? -c : c)));
	h = cg_mix(h, (uint64_t)(a == INT64_MIN ? 0 : (a < 0 ? -a : a)));
	uint64_t flags = 0;
	flags |= (uint64_t)(a == b) << 0;
	flags |= (uint64_t)(a != b) << 1;
	flags |= (uint64_t)(x > y) << 2;
	flags |= (uint64_t)(x >= y) << 3;
	flags |= (uint64_t)(a < 0) << 4;
	flags |= (uint64_t)(c > d) << 5;
	flags |= (uint64_t)((int8_t)x < (int8_t)y) << 6;
	flags |= (uint64_t)((uint16_t)x <= (uint16_t)y) << 7;
	flags |= (uint64_t)(((x ^ y) & 0xff) == 0) << 8;
	flags |= (uint64_t)!(x & 0x8000) << 9;
	h = cg_mix(h, flags);
	h = cg_mix(h, x ? y : x ^ y);
	h = cg_mix(h, (uint64_t)((a > 0) - (a < 0)));
	return h;
}

static uint64_t constdiv(uint64_t h, uint64_t x, uint64_t y)
{
	int64_t a = (int64_t)x;
	int32_t b = (int32_t)y;
	uint32_t u = (uint32_t)x;
	h = cg_mix(h, x / 10);
	h = cg_mix(h, x % 10);
	h = cg_mix(h, x / 7);
	h = cg_mix(h, x % 1000000007);
	h = cg_mix(h, (uint64_t)(a / 3));
	h = cg_mix(h, (uint64_t)(a % 3));
	h = cg_mix(h, (uint64_t)(a / 16));
	h = cg_mix(h, (uint64_t)(a % 16));
	h = cg_mix(h, (uint64_t)(int64_t)(b / 7));
	h = cg_mix(h, (uint64_t)(int64_t)(b % -9));
	h = cg_mix(h, u / 641);
	h = cg_mix(h, u % 100);
	h = cg_mix(h, x * 9 + y * 5 - (x << 3));
	return h;
}

struct bf {
	uint32_t a : 3, b : 7, c : 13;
	int32_t s : 5;
	uint64_t w : 40;
	uint8_t flag : 1;
};

static uint64_t bitfield(uint64_t h, uint64_t x, uint64_t y)
{
	struct bf f;
	memset(&f, 0, sizeof f);
	f.a = (uint32_t)x;
	f.b = (uint32_t)(x >> 5);
	f.c = (uint32_t)(y >> 3);
	f.s = (int32_t)(int8_t)(y >> 11) / 8;
	f.w = x ^ y;
	f.flag = (uint8_t)(y & 1);
	f.c += f.a * f.b;
	f.s = (int32_t)((uint32_t)f.s - 1u) % 16 - (f.s < 0);
	h = cg_mix(h, (uint64_t)f.a | (uint64_t)f.b << 3 | (uint64_t)f.c << 10);
	h = cg_mix(h, (uint64_t)(int64_t)f.s);
	h = cg_mix(h, (uint64_t)f.w + f.flag);
	uint64_t raw[2];
	memcpy(raw, &f, sizeof raw);
	h = cg_mix(h, raw[0]);
	h = cg_mix(h, raw[1]);
	return h;
}

static uint64_t sw(uint64_t h, uint64_t x, uint64_t y)
{
	uint64_t r;
	switch ((x ^ y) % 13) {
	case 0: r = x + y; break;
	case 1: r = x - y; break;
	case 2: r = x * 3; break;
	case 3: r = y >> 3; break;
	case 4: r = ~x; break;
	case 5: r = x | y; break;
	case 6: r = x & 0xff00; break;
	case 7: r = 77; break;
	case 8: r = y * y; break;
	case 9: r = x ^ 0x5555; break;
	case 10: r = (x << 1) | 1; break;
	case 11: r = y - 1; break;
	default: r = 0x1234; break;
	}
	return cg_mix(h, r);
}

static uint64_t carry(uint64_t h, uint64_t x, uint64_t y)
{
	/* 256-bit add and subtract via carry chains */
	unsigned long long a[4] = { x, y, x ^ y, ~x }, b[4] = { y, x, ~y, x + y }, s[4], t[4];
	unsigned char c = 0, bo = 0;
	for (int i = 0; i < 4; i++)
		c = __builtin_ia32_addcarryx_u64(c, a[i], b[i], &s[i]);
	for (int i = 0; i < 4; i++)
		bo = __builtin_ia32_sbb_u64(bo, a[i], b[i], &t[i]);
	for (int i = 0; i < 4; i++) {
		h = cg_mix(h, s[i]);
		h = cg_mix(h, t[i]);
	}
	h = cg_mix(h, (uint64_t)c << 1 | bo);
	return h;
}

static uint64_t atomics(uint64_t h, uint64_t x, uint64_t y)
{
	static uint64_t v64;
	static uint32_t v32;
	static uint16_t v16;
	static uint8_t v8;
	v64 = x;
	v32 = (uint32_t)x;
	v16 = (uint16_t)y;
	v8 = (uint8_t)y;
	h = cg_mix(h, __atomic_fetch_add(&v64, y, __ATOMIC_SEQ_CST));
	h = cg_mix(h, __atomic_fetch_sub(&v32, (uint32_t)y, __ATOMIC_SEQ_CST));
	h = cg_mix(h, __atomic_exchange_n(&v16, (uint16_t)x, __ATOMIC_SEQ_CST));
	uint64_t expect = (y & 1) ? v64 : x;
	h = cg_mix(h, (uint64_t)__atomic_compare_exchange_n(&v64, &expect, x ^ y, 0,
				     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	h = cg_mix(h, expect);
	uint32_t e32 = (uint32_t)(y >> 1 & 1 ? v32 : y);
	h = cg_mix(h, (uint64_t)__atomic_compare_exchange_n(&v32, &e32, (uint32_t)x, 0,
				     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	h = cg_mix(h, e32);
	__atomic_or_fetch(&v64, 0x10, __ATOMIC_SEQ_CST);
	__atomic_and_fetch(&v32, 0xff00ff00u, __ATOMIC_SEQ_CST);
	__atomic_xor_fetch(&v16, 0x0f0f, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&v8, 3, __ATOMIC_SEQ_CST);
	h = cg_mix(h, (uint64_t)__atomic_test_and_set(&v8, __ATOMIC_SEQ_CST));
	h = cg_mix(h, (uint64_t)__sync_bool_compare_and_swap(&v16, v16, (uint16_t)(x >> 16)));
	h = cg_mix(h, (uint64_t)(__atomic_add_fetch(&v32, 1, __ATOMIC_SEQ_CST) == 0));
	h = cg_mix(h, v64 ^ v32 ^ v16 ^ v8);
	/* CMPXCHG16B where the build enables it (the -Os image: -mcx16); the
	 * other builds fold in the same 1 so all agree with the native run. */
	uint64_t cas16_ok = 1;
#ifdef __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16
	static unsigned __int128 v128 __attribute__((aligned(16)));
	unsigned __int128 want = (unsigned __int128)x << 64 | y, now = ~want;
	v128 = now;
	cas16_ok &= !__sync_bool_compare_and_swap(&v128, want, 0) && v128 == now;
	cas16_ok &= __sync_bool_compare_and_swap(&v128, now, want) && v128 == want;
	cas16_ok &= __sync_val_compare_and_swap(&v128, want, now) == want && v128 == now;
#endif
	h = cg_mix(h, cas16_ok);
	return h;
}

static uint64_t extend(uint64_t h, uint64_t x, uint64_t y)
{
	int8_t b = (int8_t)x;
	int16_t w = (int16_t)(x >> 8);
	int32_t d = (int32_t)(x >> 16);
	h = cg_mix(h, (uint64_t)(int64_t)b);
	h = cg_mix(h, (uint64_t)(int64_t)w);
	h = cg_mix(h, (uint64_t)(int64_t)d);
	h = cg_mix(h, (uint64_t)(uint32_t)(int32_t)b);
	h = cg_mix(h, (uint64_t)(uint16_t)(int16_t)b);
	h = cg_mix(h, (uint64_t)(uint8_t)x + (uint16_t)y + (uint32_t)(x >> 3));
	h = cg_mix(h, (uint64_t)(int64_t)(int32_t)(uint32_t)y * 3);
	/* arithmetic on a sign-extended index */
	static const int16_t tbl[8] = { -1, 2, -3, 4, -5, 6, -7, 8 };
	h = cg_mix(h, (uint64_t)(int64_t)tbl[(uint8_t)b & 7] * (int64_t)(int8_t)y);
	return h;
}

typedef uint64_t (*group_fn)(uint64_t, uint64_t, uint64_t);
static const group_fn groups[] = {
	w8, w16, w32, w64, wide, bits, overflow, selects, constdiv,
	bitfield, sw, carry, atomics, extend,
};
#define NGROUPS (sizeof groups / sizeof groups[0])

uint64_t cg_main(void)
{
	uint64_t hs[NGROUPS];
	for (size_t g = 0; g < NGROUPS; g++)
		hs[g] = CG_HASH_INIT;
	for (int i = 0; i < ITER; i++) {
		uint64_t x = operand(), y = operand();
		for (size_t g = 0; g < NGROUPS; g++)
			hs[g] = groups[g](hs[g], x, y);
	}
	uint64_t total = CG_HASH_INIT;
	for (size_t g = 0; g < NGROUPS; g++) {
		cg_emit(hs[g]);
		total = cg_mix(total, hs[g]);
	}
	cg_emit(total);
	return total;
}
