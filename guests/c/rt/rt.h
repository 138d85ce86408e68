/* Tiny runtime for freestanding C guests (guests/c/NAME.c).
 *
 * A program defines `uint64_t cg_main(void)`, reports values with
 * cg_emit() and returns a final value. The same source builds twice:
 *  - guest: freestanding, linked at 0x100000 (guest.ld), entered by
 *    start.S, which records the return value (RAX) and HLTs;
 *  - native (-DNATIVE, cg_main renamed to cg_native_NAME): runs on the
 *    host inside the test binary, so the test compares the model with the
 *    host CPU running the same program.
 * Programs must keep every other symbol `static` (the native objects of all
 * programs share one link) and be free of undefined behaviour (the native
 * build runs under UBSan). */
#ifndef CGUEST_RT_H
#define CGUEST_RT_H

/* ---- guest memory layout (the test reads it through its RAM slot) ---- */
#define CG_CODE 0x100000        /* load address (tests/harness.h TH_CODE) */
#define CG_IMAGE_LIMIT 0x300000 /* image + bss must end below (guest.ld) */
#define CG_STACK_TOP 0x400000   /* RSP at entry; 1 MiB of stack below */
#define CG_MEM_SIZE 0x800000    /* RAM the test gives a C guest */
#define CG_OUT_ADDR 0x90000     /* struct cg_out */
#define CG_OUT_MAX 1024
#define CG_DONE_MAGIC 0x454e4f4454534547ull /* "GESTDONE" */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct cg_out {
	uint64_t done; /* CG_DONE_MAGIC once cg_main returned */
	uint64_t ret;  /* cg_main's return value */
	uint64_t n;    /* values emitted (may exceed CG_OUT_MAX: then lost) */
	uint64_t pad;
	uint64_t v[CG_OUT_MAX];
};

#ifndef CG_LAYOUT_ONLY
#ifdef NATIVE
#include <string.h>
extern struct cg_out *cg_native_out;
#define CG_OUT cg_native_out
#else
#define CG_OUT ((volatile struct cg_out *)CG_OUT_ADDR)
/* gcc may emit calls to these even in freestanding code (struct copies,
 * loop idioms); rt.c provides them. */
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif

uint64_t cg_main(void);

static inline void cg_emit(uint64_t v)
{
	uint64_t n = CG_OUT->n;
	if (n < CG_OUT_MAX)
		CG_OUT->v[n] = v;
	CG_OUT->n = n + 1;
}

/* Hide a value from the optimiser so work is done at run time, not folded
 * into constants at compile time. */
static inline uint64_t cg_opaque(uint64_t x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

/* Deterministic pseudo-random numbers: xorshift64* [Marsaglia 2003; Vigna]. */
static inline uint64_t cg_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* FNV-1a style mixing of 64-bit values into a running hash. */
static inline uint64_t cg_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	return h ^ (h >> 29);
}
#define CG_HASH_INIT 0xcbf29ce484222325ull

static inline size_t cg_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
#endif /* CG_LAYOUT_ONLY */
#endif /* __ASSEMBLER__ */
#endif
