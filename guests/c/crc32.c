/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), CRC-32C
 * (Castagnoli, 0x82F63B78) and Adler-32 [RFC 1950], computed bit by bit,
 * with a 256-entry table and with slicing-by-8 tables, over the standard
 * check strings and over a deterministic 64 KiB buffer at several
 * alignments. Output (cg_emit order):
 *   0 crc32("123456789") bitwise   1 same, table   2 same, slice-by-8
 *   3 crc32c("123456789")          4 crc32(quick brown fox)
 *   5 adler32("Wikipedia")         6 crc32("") (table)
 *   7.. per (offset, length) of the buffer: bitwise, table, slice8, crc32c,
 *       adler32; then the final buffer CRC. */
#include "rt.h"

#define POLY 0xedb88320u
#define POLY_C 0x82f63b78u
#define BUF_SIZE 65536

static uint32_t tab[8][256];
static uint32_t tab_c[256];
static uint8_t buf[BUF_SIZE];

static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n, uint32_t poly)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (poly & -(crc & 1));
	}
	return ~crc;
}

static void make_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i, d = i;
		for (int k = 0; k < 8; k++) {
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
			d = d & 1 ? (d >> 1) ^ POLY_C : d >> 1;
		}
		tab[0][i] = c;
		tab_c[i] = d;
	}
	for (int t = 1; t < 8; t++)
		for (int i = 0; i < 256; i++)
			tab[t][i] = (tab[t - 1][i] >> 8) ^ tab[0][tab[t - 1][i] & 0xff];
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t n, const uint32_t *t)
{
	crc = ~crc;
	while (n--)
		crc = t[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t crc_slice8(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n && ((uintptr_t)p & 7)) {
		crc = tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		n--;
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint32_t lo = (uint32_t)w ^ crc, hi = (uint32_t)(w >> 32);
		crc = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^
		      tab[5][(lo >> 16) & 0xff] ^ tab[4][lo >> 24] ^
		      tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
		      tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
	uint32_t a = 1, b = 0;
	while (n--) {
		a = (a + *p++) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

uint64_t cg_main(void)
{
	static const char check[] = "123456789";
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	static const char wiki[] = "Wikipedia";
	make_tables();
	const uint8_t *c9 = (const uint8_t *)check;
	cg_emit(crc_bitwise(0, c9, 9, POLY));
	cg_emit(crc_table(0, c9, 9, tab[0]));
	cg_emit(crc_slice8(0, c9, 9));
	cg_emit(crc_table(0, c9, 9, tab_c));
	cg_emit(crc_slice8(0, (const uint8_t *)fox, cg_strlen(fox)));
	cg_emit(adler32((const uint8_t *)wiki, cg_strlen(wiki)));
	cg_emit(crc_table(0, c9, cg_opaque(0), tab[0]));

	uint64_t s = 0x1234567887654321ull;
	for (size_t i = 0; i < BUF_SIZE; i += 8) {
		uint64_t r = cg_rand(&s);
		memcpy(buf + i, &r, 8);
	}
	static const struct { uint32_t off, len; } cuts[] = {
		{ 0, 4096 }, { 1, 4093 }, { 3, 777 }, { 7, 8 }, { 5, 1 },
		{ 100, 0 }, { 4096, 8192 }, { 13, 2049 },
	};
	uint32_t all = 0;
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		const uint8_t *p = buf + cuts[i].off;
		size_t n = cuts[i].len;
		uint32_t a = crc_bitwise(0, p, n, POLY);
		uint32_t b = crc_table(0, p, n, tab[0]);
		uint32_t c = crc_slice8(0, p, n);
		cg_emit(a);
		cg_emit(b);
		cg_emit(c);
		cg_emit(crc_bitwise(0, p, n, POLY_C));
		cg_emit(adler32(p, n));
		all ^= a ^ b ^ c;
	}
	/* CRC over the whole buffer in pieces equals CRC over it at once. */
	uint32_t inc = 0;
	for (size_t i = 0; i < BUF_SIZE; i += 5000)
		inc = crc_slice8(inc, buf + i, BUF_SIZE - i < 5000 ? BUF_SIZE - i : 5000);
	cg_emit(inc);
	cg_emit(crc_table(0, buf, BUF_SIZE, tab[0]));
	return all;
}
