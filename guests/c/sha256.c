/* SHA-256 [FIPS 180-4] with an incremental interface, over the FIPS/NIST
 * test vectors and over deterministic messages of every length 0..200
 * (all padding cases: the length field in the same block or the next).
 * Output (cg_emit order), each digest as eight 32-bit words:
 *   0..7   SHA-256("")          8..15  SHA-256("abc")
 *   16..23 the 448-bit vector   24..31 the 896-bit vector
 *   32..39 10000 'a' (fed in 1000-byte pieces)
 *   40..47 SHA-256 of the 201 digests of lengths 0..200 chained together
 *   48     (one-shot == incremental in random pieces) for all lengths */
#include "rt.h"

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t blk[64];
	uint32_t fill;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n) { return x >> n | x << (32 - n); }

static void compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			      ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->h, iv, sizeof iv);
	s->len = 0;
	s->fill = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;
	s->len += n;
	while (n) {
		if (s->fill == 0 && n >= 64) {
			compress(s->h, p);
			p += 64;
			n -= 64;
			continue;
		}
		size_t k = 64 - s->fill < n ? 64 - s->fill : n;
		memcpy(s->blk + s->fill, p, k);
		s->fill += (uint32_t)k;
		p += k;
		n -= k;
		if (s->fill == 64) {
			compress(s->h, s->blk);
			s->fill = 0;
		}
	}
}

static void sha_final(struct sha256 *s, uint32_t out[8])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72];
	size_t np = (s->fill < 56 ? 56 : 120) - s->fill;
	memset(pad, 0, sizeof pad);
	pad[0] = 0x80;
	for (int i = 0; i < 8; i++)
		pad[np + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, pad, np + 8);
	memcpy(out, s->h, 32);
}

static void sha(const void *p, size_t n, uint32_t out[8])
{
	struct sha256 s;
	sha_init(&s);
	sha_update(&s, p, n);
	sha_final(&s, out);
}

static void emit8(const uint32_t d[8])
{
	for (int i = 0; i < 8; i++)
		cg_emit(d[i]);
}

static uint8_t msg[1000];

uint64_t cg_main(void)
{
	uint32_t d[8];
	sha("", 0, d);
	emit8(d);
	sha("abc", 3, d);
	emit8(d);
	static const char v448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha(v448, cg_strlen(v448), d);
	emit8(d);
	static const char v896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	sha(v896, cg_strlen(v896), d);
	emit8(d);

	struct sha256 s;
	memset(msg, 'a', sizeof msg);
	sha_init(&s);
	for (int i = 0; i < 10; i++)
		sha_update(&s, msg, 1000);
	sha_final(&s, d);
	emit8(d);

	/* Lengths 0..200, one-shot and in pseudo-random pieces. */
	uint64_t r = 42;
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)cg_rand(&r);
	struct sha256 chain;
	sha_init(&chain);
	uint64_t same = 1;
	for (size_t n = 0; n <= 200; n++) {
		uint32_t a[8], b[8];
		sha(msg, n, a);
		sha_init(&s);
		size_t done = 0;
		while (done < n) {
			size_t k = cg_rand(&r) % 70;
			if (k > n - done)
				k = n - done;
			sha_update(&s, msg + done, k);
			done += k;
		}
		sha_final(&s, b);
		same &= memcmp(a, b, sizeof a) == 0;
		sha_update(&chain, a, sizeof a);
	}
	sha_final(&chain, d);
	emit8(d);
	cg_emit(same);
	return d[0];
}
