/* Text and string instructions: a small printf (%d %u %x %s %c, width,
 * zero padding, 64-bit), decimal parsing, string functions written in C
 * (strlen, strcmp, strchr, reverse) and the string instructions used
 * directly (MOVS/STOS/LODS/SCAS/CMPS with REP/REPE/REPNE, every element
 * size, DF=0 and DF=1), with the registers they leave behind.
 * Output: hash of the formatted text, its length, parse round-trip check,
 * hash of string-function results, then one hash per string-instruction
 * group (movs, stos, lods, scas, cmps), then the memmove check, then
 * forward overlapping REP MOVS. */
#include "rt.h"

static char out[16384];
static size_t olen;

static void putc_(char c)
{
	if (olen < sizeof out - 1)
		out[olen++] = c;
}

static void put_num(uint64_t v, int base, int neg, int width, char pad)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	int len = n + neg;
	if (neg && pad == '0')
		putc_('-');
	for (; len < width; len++)
		putc_(pad);
	if (neg && pad != '0')
		putc_('-');
	while (n)
		putc_(tmp[--n]);
}

/* Arguments come as an array instead of varargs (no va_list in a
 * freestanding guest without the va_arg ABI helpers being worth it). */
static void fmt(const char *f, const uint64_t *args)
{
	while (*f) {
		if (*f != '%') {
			putc_(*f++);
			continue;
		}
		f++;
		char pad = ' ';
		int width = 0;
		if (*f == '0')
			pad = '0', f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		uint64_t a = *args++;
		switch (*f++) {
		case 'd': {
			int64_t s = (int64_t)a;
			put_num(s < 0 ? 0 - a : a, 10, s < 0, width, pad);
			break;
		}
		case 'u': put_num(a, 10, 0, width, pad); break;
		case 'x': put_num(a, 16, 0, width, pad); break;
		case 'c': putc_((char)a); break;
		case 's': {
			const char *s = (const char *)(uintptr_t)a;
			size_t l = cg_strlen(s);
			for (; (int)l < width; width--)
				putc_(pad);
			while (*s)
				putc_(*s++);
			break;
		}
		default: putc_('?'); break;
		}
	}
}

static int64_t parse(const char **pp)
{
	const char *p = *pp;
	int neg = 0;
	uint64_t v = 0;
	while (*p == ' ')
		p++;
	if (*p == '-')
		neg = 1, p++;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*pp = p;
	return neg ? (int64_t)(0 - v) : (int64_t)v;
}

static int my_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

static const char *my_strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return s;
	return c ? 0 : s;
}

static void reverse(char *s, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		char t = s[i];
		s[i] = s[n - 1 - i];
		s[n - 1 - i] = t;
	}
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = cg_mix(h, c[i]);
	return h;
}

static uint8_t sa[1024], sb[1024];

static void fill(uint64_t *seed)
{
	for (size_t i = 0; i < sizeof sa; i++) {
		sa[i] = (uint8_t)cg_rand(seed);
		sb[i] = (uint8_t)(i * 7);
	}
}

/* Registers after a string instruction: the pointer offsets from their
 * start and the count, folded into the hash with the memory. */
#define REGS(h, d0, s0, d, s, c)                                            \
	(h) = cg_mix(cg_mix(cg_mix((h), (uint64_t)((uintptr_t)(d) - (uintptr_t)(d0))), \
		     (uint64_t)((uintptr_t)(s) - (uintptr_t)(s0))), (uint64_t)(c))

static uint64_t test_movs(uint64_t seed)
{
	uint64_t h = CG_HASH_INIT;
	for (int k = 0; k < 40; k++) {
		fill(&seed);
		size_t off = cg_rand(&seed) % 200, off2 = cg_rand(&seed) % 200;
		size_t n = cg_rand(&seed) % 100;
		void *d = sb + off, *s = sa + off2, *d0 = d, *s0 = s;
		size_t c = n;
		switch (k % 5) {
		case 0: __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(c) : : "memory"); break;
		case 1: __asm__ volatile("rep movsw" : "+D"(d), "+S"(s), "+c"(c) : : "memory"); break;
		case 2: __asm__ volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(c) : : "memory"); break;
		case 3: __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(c) : : "memory"); break;
		case 4: /* backwards, DF=1 */
			d = sb + 500 + off;
			s = sa + 500 + off2;
			d0 = d, s0 = s;
			__asm__ volatile("std; rep movsl; cld" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
			break;
		}
		REGS(h, d0, s0, d, s, c);
		/* a single MOVSB without REP */
		d = sb + 1000; s = sa + 3;
		__asm__ volatile("movsb" : "+D"(d), "+S"(s) : : "memory");
		h = hash_bytes(h, sb, sizeof sb);
	}
	return h;
}

static uint64_t test_stos(uint64_t seed)
{
	uint64_t h = CG_HASH_INIT;
	for (int k = 0; k < 40; k++) {
		fill(&seed);
		size_t n = cg_rand(&seed) % 100;
		uint64_t v = cg_rand(&seed);
		void *d = sb + cg_rand(&seed) % 64, *d0 = d;
		size_t c = n;
		switch (k % 5) {
		case 0: __asm__ volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(v) : "memory"); break;
		case 1: __asm__ volatile("rep stosw" : "+D"(d), "+c"(c) : "a"(v) : "memory"); break;
		case 2: __asm__ volatile("rep stosl" : "+D"(d), "+c"(c) : "a"(v) : "memory"); break;
		case 3: __asm__ volatile("rep stosq" : "+D"(d), "+c"(c) : "a"(v) : "memory"); break;
		case 4:
			d = sb + 900;
			d0 = d;
			__asm__ volatile("std; rep stosw; cld" : "+D"(d), "+c"(c) : "a"(v) : "memory");
			break;
		}
		REGS(h, d0, d0, d, d0, c);
		h = hash_bytes(h, sb, sizeof sb);
	}
	return h;
}

static uint64_t test_lods(uint64_t seed)
{
	uint64_t h = CG_HASH_INIT;
	fill(&seed);
	for (int k = 0; k < 64; k++) {
		const void *s = sa + k * 3, *s0 = s;
		uint64_t a = 0x1111111111111111ull * (uint64_t)k;
		switch (k & 3) {
		case 0: __asm__ volatile("lodsb" : "+S"(s), "+a"(a) : : "memory"); break;
		case 1: __asm__ volatile("lodsw" : "+S"(s), "+a"(a) : : "memory"); break;
		case 2: __asm__ volatile("lodsl" : "+S"(s), "+a"(a) : : "memory"); break;
		case 3: __asm__ volatile("std; lodsq; cld" : "+S"(s), "+a"(a) : : "memory"); break;
		}
		h = cg_mix(cg_mix(h, a), (uint64_t)((uintptr_t)s - (uintptr_t)s0));
	}
	return h;
}

static uint64_t test_scas(uint64_t seed)
{
	uint64_t h = CG_HASH_INIT;
	for (int k = 0; k < 60; k++) {
		fill(&seed);
		size_t n = cg_rand(&seed) % 300;
		uint64_t v = sa[cg_rand(&seed) % 300];
		v |= v << 8;
		void *d = sa, *d0 = d;
		size_t c = n;
		uint8_t zf;
		if (k & 1)
			__asm__ volatile("repne scasb; sete %[zf]"
					 : "+D"(d), "+c"(c), [zf] "=r"(zf) : "a"(v) : "memory", "cc");
		else if (k % 4 == 2)
			__asm__ volatile("repe scasb; sete %[zf]"
					 : "+D"(d), "+c"(c), [zf] "=r"(zf) : "a"(v) : "memory", "cc");
		else
			__asm__ volatile("repne scasw; sete %[zf]"
					 : "+D"(d), "+c"(c), [zf] "=r"(zf) : "a"(v) : "memory", "cc");
		REGS(h, d0, d0, d, d0, c);
		h = cg_mix(h, zf);
	}
	return h;
}

static uint64_t test_cmps(uint64_t seed)
{
	uint64_t h = CG_HASH_INIT;
	for (int k = 0; k < 60; k++) {
		fill(&seed);
		memcpy(sb, sa, sizeof sb);
		size_t diff = cg_rand(&seed) % 400;
		sb[diff] ^= (uint8_t)(1u << (k & 7));
		size_t n = cg_rand(&seed) % 450;
		const void *d = sb, *s = sa, *d0 = d, *s0 = s;
		size_t c = n;
		uint8_t zf, cf;
		if (k % 3 == 0)
			__asm__ volatile("repe cmpsb; sete %[zf]; setb %[cf]"
					 : "+D"(d), "+S"(s), "+c"(c), [zf] "=r"(zf), [cf] "=r"(cf)
					 : : "memory", "cc");
		else if (k % 3 == 1)
			__asm__ volatile("repe cmpsq; sete %[zf]; setb %[cf]"
					 : "+D"(d), "+S"(s), "+c"(c), [zf] "=r"(zf), [cf] "=r"(cf)
					 : : "memory", "cc");
		else
			__asm__ volatile("repne cmpsw; sete %[zf]; setb %[cf]"
					 : "+D"(d), "+S"(s), "+c"(c), [zf] "=r"(zf), [cf] "=r"(cf)
					 : : "memory", "cc");
		REGS(h, d0, s0, d, s, c);
		h = cg_mix(h, (uint64_t)zf << 1 | cf);
	}
	return h;
}

uint64_t cg_main(void)
{
	static const char *const words[] = { "alpha", "beta", "", "gamma-delta", "x" };
	uint64_t seed = 99;
	int64_t vals[64];
	for (int i = 0; i < 64; i++) {
		uint64_t r = cg_rand(&seed);
		vals[i] = (int64_t)(r >> (r & 63)) * ((i & 1) ? -1 : 1);
	}
	vals[0] = INT64_MAX;
	vals[1] = INT64_MIN + 1;
	for (int i = 0; i < 64; i++) {
		uint64_t args[6] = { (uint64_t)vals[i], (uint64_t)vals[i], (uint64_t)vals[i],
				     (uintptr_t)words[i % 5], (uint64_t)('A' + i % 26), (uint64_t)i };
		fmt("[%d|%020u|%x] %8s %c %03d\n", args);
	}
	out[olen] = 0;
	cg_emit(hash_bytes(CG_HASH_INIT, out, olen));
	cg_emit(olen);

	/* parse back every %d field */
	const char *p = out;
	int ok = 1;
	for (int i = 0; i < 64; i++) {
		p = my_strchr(p, '[') + 1;
		ok &= parse(&p) == vals[i];
		p = my_strchr(p, '\n');
	}
	cg_emit((uint64_t)ok);

	uint64_t h = CG_HASH_INIT;
	h = cg_mix(h, cg_strlen(out));
	h = cg_mix(h, (uint64_t)(int64_t)my_strcmp("abc", "abd"));
	h = cg_mix(h, (uint64_t)(int64_t)my_strcmp("abc", "ab"));
	h = cg_mix(h, (uint64_t)(int64_t)my_strcmp(out, out));
	h = cg_mix(h, (uint64_t)(my_strchr(out, 'x') - out));
	h = cg_mix(h, (uint64_t)(my_strchr(out, 0) - out));
	reverse(out, olen);
	h = hash_bytes(h, out, 200);
	cg_emit(h);

	cg_emit(test_movs(1));
	cg_emit(test_stos(2));
	cg_emit(test_lods(3));
	cg_emit(test_scas(4));
	cg_emit(test_cmps(5));

	/* overlapping moves both ways through memmove */
	for (int i = 0; i < 256; i++)
		sa[i] = (uint8_t)i;
	memmove(sa + 10, sa, 100);
	memmove(sa + 200, sa + 205, 50);
	cg_emit(hash_bytes(CG_HASH_INIT, sa, 256));

	/* Forward REP MOVS onto itself, destination above the source: element
	 * after element, so the first elements repeat as a pattern [SDM Vol. 2
	 * MOVS: each iteration reads then writes one element]. */
	uint64_t ov = CG_HASH_INIT;
	static const unsigned dist[] = { 1, 3, 8, 13 };
	for (int k = 0; k < 8; k++) {
		for (int i = 0; i < 256; i++)
			sa[i] = (uint8_t)(i * 37 + k);
		void *d = sa + dist[k & 3] * (k < 4 ? 1 : 8), *src = sa;
		size_t c = k < 4 ? 150 : 20;
		if (k < 4)
			__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(c) : : "memory");
		else
			__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(c) : : "memory");
		ov = hash_bytes(ov, sa, 256);
	}
	cg_emit(ov);
	return olen;
}
