/* Multi-precision arithmetic on 64-bit limbs with __int128 products:
 * schoolbook multiplication of 1024-bit numbers, long division by a
 * single limb (decimal conversion of a big factorial), modular
 * exponentiation whose mulmod takes a 128-bit remainder (__umodti3,
 * rt.c), a deterministic Miller-Rabin test for 64-bit numbers, and
 * 64-bit integer square roots by Newton's method.
 * Output: hash of 1024x1024-bit products, decimal digit sum and length of
 * 200!, count and sum of primes in [2^61, 2^61 + 3000), a checksum of
 * modular powers, isqrt checks, and the first 19 decimal digits of 200!. */
#include "rt.h"

typedef unsigned __int128 u128;
#define L 16 /* limbs of a 1024-bit number */

static void mul(uint64_t *r, const uint64_t *a, const uint64_t *b, int n)
{
	for (int i = 0; i < 2 * n; i++)
		r[i] = 0;
	for (int i = 0; i < n; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < n; j++) {
			u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
			r[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> 64);
		}
		r[i + n] = carry;
	}
}

/* r = a * m for a single limb m; returns the carry out. */
static uint64_t mul1(uint64_t *a, int n, uint64_t m)
{
	uint64_t carry = 0;
	for (int i = 0; i < n; i++) {
		u128 t = (u128)a[i] * m + carry;
		a[i] = (uint64_t)t;
		carry = (uint64_t)(t >> 64);
	}
	return carry;
}

/* a /= d for a single limb d; returns the remainder. */
static uint64_t div1(uint64_t *a, int n, uint64_t d)
{
	u128 rem = 0;
	for (int i = n - 1; i >= 0; i--) {
		u128 cur = rem << 64 | a[i];
		a[i] = (uint64_t)(cur / d);
		rem = cur % d;
	}
	return (uint64_t)rem;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((u128)a * b % m);
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
	uint64_t r = 1 % m;
	b %= m;
	while (e) {
		if (e & 1)
			r = mulmod(r, b, m);
		b = mulmod(b, b, m);
		e >>= 1;
	}
	return r;
}

/* Deterministic for n < 3.3e24 with these bases [Sorenson & Webster 2015]. */
static int is_prime(uint64_t n)
{
	static const uint64_t bases[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37 };
	if (n < 2)
		return 0;
	for (int i = 0; i < 12; i++)
		if (n % bases[i] == 0)
			return n == bases[i];
	uint64_t d = n - 1;
	int s = __builtin_ctzll(d);
	d >>= s;
	for (int i = 0; i < 12; i++) {
		uint64_t x = powmod(bases[i], d, n);
		if (x == 1 || x == n - 1)
			continue;
		int comp = 1;
		for (int r = 1; r < s && comp; r++) {
			x = mulmod(x, x, n);
			if (x == n - 1)
				comp = 0;
		}
		if (comp)
			return 0;
	}
	return 1;
}

static uint64_t isqrt(uint64_t n)
{
	if (n < 2)
		return n;
	uint64_t x = n, y = (x + 1) / 2;
	while (y < x) {
		x = y;
		y = (x + n / x) / 2;
	}
	return x;
}

#define FL 40 /* 200! < 2^1250: 40 limbs hold it */
static uint64_t fact[FL], tmp[FL];
static char digits[400];

uint64_t cg_main(void)
{
	uint64_t seed = 0xb16b00b5ull, h = CG_HASH_INIT;
	uint64_t a[L], b[L], r[2 * L], r2[2 * L];
	for (int k = 0; k < 12; k++) {
		for (int i = 0; i < L; i++) {
			a[i] = cg_rand(&seed);
			b[i] = k & 1 ? ~0ull : cg_rand(&seed);
		}
		mul(r, a, b, L);
		mul(r2, b, a, L);
		for (int i = 0; i < 2 * L; i++)
			h = cg_mix(h, r[i] ^ (r2[i] != r[i]));
	}
	cg_emit(h);

	/* 200! and its decimal expansion */
	fact[0] = 1;
	for (uint64_t i = 2; i <= 200; i++)
		mul1(fact, FL, i);
	memcpy(tmp, fact, sizeof tmp);
	int nd = 0;
	for (;;) {
		int zero = 1;
		for (int i = 0; i < FL; i++)
			zero &= tmp[i] == 0;
		if (zero)
			break;
		uint64_t rem = div1(tmp, FL, 10000000000000000000ull);
		for (int j = 0; j < 19; j++) {
			digits[nd++] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	uint64_t dsum = 0;
	for (int i = 0; i < nd; i++)
		dsum += (uint64_t)(digits[i] - '0');
	cg_emit(dsum);
	cg_emit((uint64_t)nd);

	uint64_t cnt = 0, psum = 0;
	for (uint64_t n = 1ull << 61; n < (1ull << 61) + 3000; n++)
		if (is_prime(n)) {
			cnt++;
			psum += n;
		}
	cg_emit(cnt);
	cg_emit(psum);

	uint64_t ph = CG_HASH_INIT;
	for (int k = 0; k < 50; k++) {
		uint64_t m = cg_rand(&seed) | 1;
		ph = cg_mix(ph, powmod(cg_rand(&seed), cg_rand(&seed), m));
	}
	cg_emit(ph);

	int ok = 1;
	uint64_t sh = CG_HASH_INIT;
	for (int k = 0; k < 200; k++) {
		uint64_t n = cg_rand(&seed) >> (k % 64);
		uint64_t s = isqrt(n);
		ok &= (u128)s * s <= n && (u128)(s + 1) * (s + 1) > n;
		sh = cg_mix(sh, s);
	}
	cg_emit((uint64_t)ok);
	cg_emit(sh);

	uint64_t lead = 0;
	for (int i = 0; i < 19 && i < nd; i++)
		lead = lead * 10 + (uint64_t)(digits[nd - 1 - i] - '0');
	cg_emit(lead);
	return cnt;
}
