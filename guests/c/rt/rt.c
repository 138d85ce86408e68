/* memcpy & co. for C guests. gcc calls these for struct copies and for
 * loops it recognises, so they must not be written as such loops
 * themselves (the Makefile also builds this file with
 * -fno-tree-loop-distribute-patterns). The copies use the string
 * instructions, as a freestanding kernel's would. */
#include "rt.h"

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

void *memset(void *d, int c, size_t n)
{
	void *r = d;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

/* Overlapping move with the destination above the source copies from the
 * end down: DF=1 [SDM Vol. 2 MOVS], then DF=0 again as the ABI requires. */
void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	if (dp <= sp || dp >= sp + n || n == 0) {
		__asm__ volatile("rep movsb" : "+D"(dp), "+S"(sp), "+c"(n) : : "memory");
	} else {
		dp += n - 1;
		sp += n - 1;
		__asm__ volatile("std; rep movsb; cld"
				 : "+D"(dp), "+S"(sp), "+c"(n) : : "memory");
	}
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* ---- the libgcc helpers gcc calls for these programs ----
 * The system libgcc.a is built for user space: its 128-bit division uses
 * SSE registers (MOVDQA/PUNPCKLQDQ) and starts with ENDBR64, which a
 * guest without CR4.OSFXSR cannot run. These are the same functions in
 * general-purpose registers only, as freestanding kernels carry them. */
typedef unsigned __int128 u128;
typedef __int128 s128;

/* 128 / 64 -> 64 with the hardware divide; hi < d so it cannot overflow
 * [SDM Vol. 2 DIV: #DE when the quotient does not fit]. */
static uint64_t div128_64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *r)
{
	uint64_t q;
	__asm__("divq %4" : "=a"(q), "=d"(*r) : "a"(lo), "d"(hi), "rm"(d));
	return q;
}

u128 __udivmodti4(u128 a, u128 b, u128 *rem);
u128 __udivmodti4(u128 a, u128 b, u128 *rem)
{
	uint64_t bh = (uint64_t)(b >> 64), bl = (uint64_t)b;
	uint64_t ah = (uint64_t)(a >> 64), al = (uint64_t)a;
	u128 q;
	if (bh == 0) {
		/* bl == 0 divides by zero in the first DIV: #DE, as libgcc's would */
		uint64_t r;
		uint64_t qh = div128_64(0, ah, bl, &r);
		uint64_t ql = div128_64(r, al, bl, &r);
		q = (u128)qh << 64 | ql;
		a = r;
	} else if (a < b) {
		q = 0;
	} else {
		/* quotient < 2^64: restoring binary long division */
		int shift = __builtin_clzll(bh) - __builtin_clzll(ah);
		b <<= shift;
		q = 0;
		for (int i = 0; i <= shift; i++) {
			q <<= 1;
			if (a >= b) {
				a -= b;
				q |= 1;
			}
			b >>= 1;
		}
	}
	if (rem)
		*rem = a;
	return q;
}

s128 __divmodti4(s128 a, s128 b, s128 *rem);
s128 __divmodti4(s128 a, s128 b, s128 *rem)
{
	/* C truncating division: the quotient is negative when the signs
	 * differ, the remainder has the sign of the dividend [C11 6.5.5]. */
	u128 ua = a < 0 ? -(u128)a : (u128)a, ub = b < 0 ? -(u128)b : (u128)b, r;
	u128 q = __udivmodti4(ua, ub, &r);
	if ((a < 0) != (b < 0))
		q = -q;
	if (a < 0)
		r = -r;
	if (rem)
		*rem = (s128)r;
	return (s128)q;
}

u128 __udivti3(u128 a, u128 b);
u128 __udivti3(u128 a, u128 b) { return __udivmodti4(a, b, 0); }
u128 __umodti3(u128 a, u128 b);
u128 __umodti3(u128 a, u128 b) { u128 r; __udivmodti4(a, b, &r); return r; }
s128 __divti3(s128 a, s128 b);
s128 __divti3(s128 a, s128 b) { return __divmodti4(a, b, 0); }
s128 __modti3(s128 a, s128 b);
s128 __modti3(s128 a, s128 b) { s128 r; __divmodti4(a, b, &r); return r; }

/* Population count without POPCNT (not in baseline x86-64). */
int __popcountdi2(uint64_t x);
int __popcountdi2(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (int)((x * 0x0101010101010101ull) >> 56);
}

/* Leading redundant sign bits (gcc calls it at -Os for __builtin_clrsbll). */
int __clrsbdi2(int64_t x);
int __clrsbdi2(int64_t x)
{
	uint64_t v = (uint64_t)x ^ (uint64_t)(x >> 63);
	return v ? __builtin_clzll(v) - 1 : 63;
}
