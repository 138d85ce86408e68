/* Sorting: quicksort (median of three, recursion on the smaller side),
 * heapsort, insertion sort, bottom-up merge sort and a generic qsort-style
 * sort through a comparison function pointer and byte-wise swaps, over
 * pseudo-random arrays of signed 32-bit, unsigned 64-bit and signed 16-bit
 * keys (with many duplicates in some). Output per array: a position-weighted
 * checksum of the sorted array and 1 if every algorithm produced the same
 * sorted permutation of the input (same multiset: equal sum and xor). */
#include "rt.h"

#define N 1500
#define NSMALL 400

static int32_t a32[N], b32[N], t32[N], orig32[N];
static uint64_t a64[N], b64[N];
static int16_t a16[N], b16[N];

static void swap32(int32_t *x, int32_t *y) { int32_t t = *x; *x = *y; *y = t; }

static void quick32(int32_t *a, long lo, long hi)
{
	while (hi - lo > 8) {
		long mid = lo + (hi - lo) / 2;
		if (a[mid] < a[lo]) swap32(&a[mid], &a[lo]);
		if (a[hi] < a[lo]) swap32(&a[hi], &a[lo]);
		if (a[hi] < a[mid]) swap32(&a[hi], &a[mid]);
		int32_t p = a[mid];
		long i = lo, j = hi;
		while (i <= j) {
			while (a[i] < p) i++;
			while (a[j] > p) j--;
			if (i <= j) {
				swap32(&a[i], &a[j]);
				i++;
				j--;
			}
		}
		if (j - lo < hi - i) {
			quick32(a, lo, j);
			lo = i;
		} else {
			quick32(a, i, hi);
			hi = j;
		}
	}
	for (long i = lo + 1; i <= hi; i++) {
		int32_t v = a[i];
		long j = i - 1;
		while (j >= lo && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static void sift64(uint64_t *a, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[root] >= a[c])
			return;
		uint64_t t = a[root]; a[root] = a[c]; a[c] = t;
		root = c;
	}
}

static void heap64(uint64_t *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift64(a, i, n);
	for (size_t end = n; end-- > 1;) {
		uint64_t t = a[0]; a[0] = a[end]; a[end] = t;
		sift64(a, 0, end);
	}
}

static void insertion16(int16_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		int16_t v = a[i];
		size_t j = i;
		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

static void merge32(int32_t *a, int32_t *tmp, size_t n)
{
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
			while (i < mid) tmp[k++] = a[i++];
			while (j < hi) tmp[k++] = a[j++];
		}
		memcpy(a, tmp, n * sizeof *a);
	}
}

/* Generic shell sort, elements of any size, compared through a pointer. */
typedef int (*cmp_fn)(const void *, const void *);
static void gsort(void *base, size_t n, size_t sz, cmp_fn cmp)
{
	unsigned char *b = base, tmp[16];
	static const size_t gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
	for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
		size_t gap = gaps[g];
		for (size_t i = gap; i < n; i++) {
			memcpy(tmp, b + i * sz, sz);
			size_t j = i;
			while (j >= gap && cmp(b + (j - gap) * sz, tmp) > 0) {
				memcpy(b + j * sz, b + (j - gap) * sz, sz);
				j -= gap;
			}
			memcpy(b + j * sz, tmp, sz);
		}
	}
}

static int cmp_i32(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
	return (a > b) - (a < b);
}
static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}
static int cmp_i16(const void *x, const void *y)
{
	return *(const int16_t *)x - *(const int16_t *)y;
}

static uint64_t sum_xor(const void *p, size_t bytes)
{
	const unsigned char *c = p;
	uint64_t s = 0, x = 0;
	for (size_t i = 0; i < bytes; i++) {
		s += c[i] * (uint64_t)(i % 7 + 1);
		x ^= (uint64_t)c[i] << (i % 57);
	}
	return s ^ x << 1;
}

uint64_t cg_main(void)
{
	uint64_t seed = 0x5eed5eed5eedull, total = CG_HASH_INIT;
	for (int round = 0; round < 3; round++) {
		int mod = round == 1 ? 50 : 0; /* round 1: many duplicates */
		for (int i = 0; i < N; i++) {
			uint64_t r = cg_rand(&seed);
			orig32[i] = mod ? (int32_t)(r % mod) - 25 : (int32_t)(uint32_t)r;
			a64[i] = mod ? r % mod : r;
			a16[i] = (int16_t)(mod ? (int)(r % mod) - 25 : (int)(uint16_t)(r >> 17) - 32768);
		}
		/* 32-bit: quicksort vs merge sort vs generic */
		memcpy(a32, orig32, sizeof a32);
		memcpy(b32, orig32, sizeof b32);
		quick32(a32, 0, N - 1);
		merge32(b32, t32, N);
		int ok = memcmp(a32, b32, sizeof a32) == 0;
		memcpy(b32, orig32, sizeof b32);
		gsort(b32, N, sizeof b32[0], cmp_i32);
		ok &= memcmp(a32, b32, sizeof a32) == 0;
		int sorted = 1;
		for (int i = 1; i < N; i++)
			sorted &= a32[i - 1] <= a32[i];
		uint64_t h = CG_HASH_INIT;
		for (int i = 0; i < N; i++)
			h = cg_mix(h, (uint64_t)(int64_t)a32[i] * (uint64_t)(i + 1));
		cg_emit(h);
		cg_emit(ok && sorted);
		total = cg_mix(total, h);

		/* 64-bit: heapsort vs generic */
		memcpy(b64, a64, sizeof b64);
		heap64(a64, N);
		gsort(b64, N, sizeof b64[0], cmp_u64);
		ok = memcmp(a64, b64, sizeof a64) == 0;
		for (int i = 1; i < N; i++)
			ok &= a64[i - 1] <= a64[i];
		h = CG_HASH_INIT;
		for (int i = 0; i < N; i++)
			h = cg_mix(h, a64[i] ^ (uint64_t)i);
		cg_emit(h);
		cg_emit(ok);
		total = cg_mix(total, h);

		/* 16-bit: insertion sort (small) vs generic; multiset kept */
		memcpy(b16, a16, NSMALL * sizeof a16[0]);
		uint64_t before = 0;
		for (int i = 0; i < NSMALL; i++)
			before += (uint64_t)(a16[i] + 32768) * (uint64_t)(a16[i] + 32769);
		insertion16(a16, NSMALL);
		gsort(b16, NSMALL, sizeof b16[0], cmp_i16);
		ok = memcmp(a16, b16, NSMALL * sizeof a16[0]) == 0;
		uint64_t after = 0;
		for (int i = 0; i < NSMALL; i++) {
			after += (uint64_t)(a16[i] + 32768) * (uint64_t)(a16[i] + 32769);
			if (i)
				ok &= a16[i - 1] <= a16[i];
		}
		ok &= before == after;
		h = sum_xor(a16, NSMALL * sizeof a16[0]);
		cg_emit(h);
		cg_emit(ok);
		total = cg_mix(total, h);
	}
	return total;
}
