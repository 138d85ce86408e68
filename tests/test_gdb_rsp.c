/* The GDB stub's protocol layer without a socket: packet framing,
 * checksums, escapes and hex (src/gdb/rsp.c), the --gdb address syntax,
 * and a deterministic fuzz of the framer and of the command dispatcher
 * (capture mode on a model machine): every input gets one of the
 * protocol's answers ('+', '-', a packet with a good checksum) and nothing
 * crashes, hangs or trips ASan/UBSan. Expectations cite the GDB manual,
 * Appendix E ("Remote Protocol"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "../src/boot/machine.h"
#include "../src/gdb/gdb_int.h"

static enum rsp_event feed_str(struct rsp_rx *rx, const char *s, size_t n)
{
	enum rsp_event last = RSP_NONE;
	for (size_t i = 0; i < n; i++) {
		enum rsp_event e = rsp_rx_byte(rx, (uint8_t)s[i]);
		if (e != RSP_NONE)
			last = e;
	}
	return last;
}
#define FEED(rx, s) feed_str(rx, s, sizeof(s) - 1)

/* [E.1]: $payload#checksum, checksum = sum of payload bytes mod 256
 * ('g' = 0x67). */
TEST(gdb_rsp_framing)
{
	static struct rsp_rx rx;
	rsp_rx_init(&rx);
	EXPECT_EQ(FEED(&rx, "$g#67"), RSP_PACKET);
	EXPECT_EQ(rx.len, 1);
	EXPECT_EQ(rx.buf[0], 'g');
	EXPECT_EQ(FEED(&rx, "$g#68"), RSP_BADSUM);
	EXPECT_EQ(FEED(&rx, "$g#6z"), RSP_BADSUM);   /* malformed checksum */
	EXPECT_EQ(FEED(&rx, "+"), RSP_ACK);
	EXPECT_EQ(FEED(&rx, "-"), RSP_NAK);
	EXPECT_EQ(FEED(&rx, "\x03"), RSP_INTERRUPT); /* Ctrl-C between packets */
	EXPECT_EQ(FEED(&rx, "noise"), RSP_NONE);
	/* a '$' inside a packet starts over */
	EXPECT_EQ(FEED(&rx, "$m100$g#67"), RSP_PACKET);
	EXPECT_EQ(rx.len, 1);
	/* 0x03 inside a packet is data (binary X payloads) */
	EXPECT_EQ(FEED(&rx, "$\x03#03"), RSP_PACKET);
	EXPECT_EQ(rx.buf[0], 3);
	/* checksum digits in upper case are hex too */
	EXPECT_EQ(FEED(&rx, "$X#58"), RSP_PACKET);
	EXPECT_EQ(FEED(&rx, "$Z#5A"), RSP_PACKET);
	/* no-ack mode: sums are sent but not checked [E.11] */
	rx.check_sum = false;
	EXPECT_EQ(FEED(&rx, "$g#00"), RSP_PACKET);
	EXPECT_EQ(FEED(&rx, "$g#0"), RSP_NONE);
	EXPECT_EQ(FEED(&rx, "q"), RSP_BADSUM);        /* still two hex digits */
}

TEST(gdb_rsp_overlong)
{
	static struct rsp_rx rx;
	static char pkt[RSP_MAX_PACKET + 8];
	rsp_rx_init(&rx);
	/* RSP_MAX_PACKET + 1 'a's: sum = 0x4001 * 0x61 mod 256 = 0x61 */
	pkt[0] = '$';
	memset(pkt + 1, 'a', RSP_MAX_PACKET + 1);
	memcpy(pkt + RSP_MAX_PACKET + 2, "#61", 3);
	EXPECT_EQ(feed_str(&rx, pkt, RSP_MAX_PACKET + 5), RSP_OVERLONG);
	EXPECT_TRUE(rx.len <= RSP_MAX_PACKET);
	/* exactly RSP_MAX_PACKET bytes still fit: 0x4000 * 0x61 = 0 mod 256 */
	memcpy(pkt + RSP_MAX_PACKET + 1, "#00", 3);
	EXPECT_EQ(feed_str(&rx, pkt, RSP_MAX_PACKET + 4), RSP_PACKET);
	EXPECT_EQ(rx.len, RSP_MAX_PACKET);
	/* and the framer is usable again */
	EXPECT_EQ(FEED(&rx, "$g#67"), RSP_PACKET);
}

TEST(gdb_rsp_hex)
{
	uint64_t v;
	const char *s = "ffffffffffffffff,";
	EXPECT_TRUE(rsp_parse_hex(&s, s + 17, &v));
	EXPECT_EQ(v, ~0ull);
	EXPECT_EQ(*s, ',');
	s = "10000000000000000"; /* 65 bits */
	EXPECT_TRUE(!rsp_parse_hex(&s, s + 17, &v));
	s = "00000000000000000000001a"; /* leading zeros do not overflow */
	EXPECT_TRUE(rsp_parse_hex(&s, s + 24, &v));
	EXPECT_EQ(v, 0x1a);
	s = ",1";
	EXPECT_TRUE(!rsp_parse_hex(&s, s + 2, &v));
	s = "12";
	EXPECT_TRUE(rsp_parse_hex(&s, s + 1, &v)); /* stops at end */
	EXPECT_EQ(v, 1);

	uint8_t b[4];
	EXPECT_TRUE(rsp_hex_decode(b, "00fFa5", 3));
	EXPECT_EQ(b[1], 0xff);
	EXPECT_EQ(b[2], 0xa5);
	EXPECT_TRUE(!rsp_hex_decode(b, "0g", 1));
	EXPECT_TRUE(!rsp_hex_decode(b, "g0", 1));
	char h[8];
	rsp_hex_encode(h, (const uint8_t *)"\x01\xab", 2);
	EXPECT_TRUE(!memcmp(h, "01ab", 4));
}

/* Binary data [E.1 "Binary Data"]: '#', '$', '}' and '*' travel as '}'
 * then the byte XOR 0x20. */
TEST(gdb_rsp_escapes)
{
	uint8_t out[8];
	EXPECT_EQ(rsp_unescape(out, sizeof out, "a}\x03}]", 5), 3);
	EXPECT_EQ(out[0], 'a');
	EXPECT_EQ(out[1], '#');
	EXPECT_EQ(out[2], '}');
	EXPECT_EQ(rsp_unescape(out, sizeof out, "ab}", 3), -1); /* dangling */
	EXPECT_EQ(rsp_unescape(out, 2, "abc", 3), -1);          /* too long */

	char f[32];
	size_t n = rsp_frame(f, sizeof f, "a#*", 3, true);
	/* $ a } 0x03 } 0x0a # 6 0: sum = 0x61+0x7d+0x03+0x7d+0x0a = 0x168 */
	ASSERT_EQ(n, 9);
	EXPECT_TRUE(!memcmp(f, "$a}\x03}\x0a#68", 9));
	EXPECT_EQ(rsp_frame(f, 5, "abc", 3, false), 0); /* does not fit */
	n = rsp_frame(f, sizeof f, "", 0, false);
	EXPECT_EQ(n, 4);
	EXPECT_TRUE(!memcmp(f, "$#00", 4));
}

TEST(gdb_parse_address)
{
	char h[64];
	unsigned p;
	EXPECT_EQ(tg_gdb_parse_address("1234", h, sizeof h, &p), 0);
	EXPECT_EQ(p, 1234);
	EXPECT_TRUE(!strcmp(h, "")); /* loopback by default */
	EXPECT_EQ(tg_gdb_parse_address(":0", h, sizeof h, &p), 0);
	EXPECT_EQ(p, 0);
	EXPECT_EQ(tg_gdb_parse_address("0.0.0.0:65535", h, sizeof h, &p), 0);
	EXPECT_TRUE(!strcmp(h, "0.0.0.0"));
	EXPECT_EQ(p, 65535);
	EXPECT_EQ(tg_gdb_parse_address("[::1]:99", h, sizeof h, &p), 0);
	EXPECT_TRUE(!strcmp(h, "::1"));
	EXPECT_EQ(tg_gdb_parse_address("65536", h, sizeof h, &p), -EINVAL);
	EXPECT_EQ(tg_gdb_parse_address("host:", h, sizeof h, &p), -EINVAL);
	EXPECT_EQ(tg_gdb_parse_address("12a", h, sizeof h, &p), -EINVAL);
	EXPECT_EQ(tg_gdb_parse_address("::1:99", h, sizeof h, &p), -EINVAL);
	EXPECT_EQ(tg_gdb_parse_address("[::1]99", h, sizeof h, &p), -EINVAL);
	EXPECT_EQ(tg_gdb_parse_address("", h, sizeof h, &p), -EINVAL);
	EXPECT_EQ(tg_gdb_parse_address("averylonghostname:1", h, 8, &p), -EINVAL);
}

/* ---- fuzz ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, seeded per test */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}
static unsigned rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Garbage of every kind into the framer, then '$' and a good packet: the
 * framer always resynchronises and returns exactly that packet. */
TEST(gdb_rsp_fuzz_framer)
{
	static struct rsp_rx rx;
	static char payload[600], framed[1300], mutated[1400];
	rng_state = 0x9e3779b97f4a7c15ull;
	rsp_rx_init(&rx);
	for (int it = 0; it < 20000; it++) {
		size_t n = rndn(300);
		for (size_t i = 0; i < n; i++)
			payload[i] = (char)rnd();
		size_t fl = rsp_frame(framed, sizeof framed, payload, n, true);
		ASSERT_TRUE(fl > 0);
		/* intact: the escaped payload arrives, and unescapes back */
		if (it % 4 == 0) {
			ASSERT_EQ(feed_str(&rx, framed, fl), RSP_PACKET);
			uint8_t back[600];
			ASSERT_EQ(rsp_unescape(back, sizeof back, rx.buf, rx.len), (long)n);
			ASSERT_TRUE(!memcmp(back, payload, n));
		}
		/* mutated: bit flips, a truncation, inserted bytes */
		size_t ml = fl;
		memcpy(mutated, framed, fl);
		int kind = rndn(3);
		if (kind == 0) {
			for (int k = rndn(4) + 1; k; k--)
				mutated[rndn((unsigned)ml)] ^= (char)(1u << rndn(8));
		} else if (kind == 1) {
			ml = rndn((unsigned)ml);
		} else {
			for (int k = rndn(8) + 1; k && ml < sizeof mutated; k--) {
				size_t at = rndn((unsigned)ml + 1);
				memmove(mutated + at + 1, mutated + at, ml - at);
				static const char special[] = "$#}+-\x03*0";
				mutated[at] = rndn(2) ? (char)rnd() : special[rndn(8)];
				ml++;
			}
		}
		feed_str(&rx, mutated, ml);
		ASSERT_TRUE(rx.len <= RSP_MAX_PACKET);
		/* resynchronise on a fresh packet */
		fl = rsp_frame(framed, sizeof framed, "qC", 2, false);
		enum rsp_event last = RSP_NONE;
		for (size_t i = 0; i < fl; i++)
			last = rsp_rx_byte(&rx, (uint8_t)framed[i]);
		ASSERT_EQ(last, RSP_PACKET);
		ASSERT_EQ(rx.len, 2);
		ASSERT_TRUE(!memcmp(rx.buf, "qC", 2));
	}
}

/* Every byte the stub wrote is '+', '-' or a whole packet whose checksum
 * is right; returns the number of packets, -1 if anything else. */
static int check_output(const char *o, size_t n)
{
	int packets = 0;
	size_t i = 0;
	while (i < n) {
		if (o[i] == '+' || o[i] == '-') {
			i++;
			continue;
		}
		if (o[i] != '$')
			return -1;
		uint8_t sum = 0;
		size_t j = i + 1;
		while (j < n && o[j] != '#') {
			if (o[j] == '$')
				return -1;
			sum = (uint8_t)(sum + (uint8_t)o[j]);
			j++;
		}
		if (j + 3 > n)
			return -1;
		int hi = rsp_hexval((unsigned char)o[j + 1]), lo = rsp_hexval((unsigned char)o[j + 2]);
		if (hi < 0 || lo < 0 || (uint8_t)(hi << 4 | lo) != sum)
			return -1;
		packets++;
		i = j + 3;
	}
	return packets;
}

static void add_hex(char *p, size_t *n, size_t cap)
{
	/* a hex number of 0..18 digits: sometimes empty, sometimes > 64 bits */
	static const char hx[] = "0123456789abcdef";
	if (rndn(3) == 0 && *n + 6 < cap) {
		/* near the guest's code and data at 1 MiB, so reads, writes
		 * and breakpoints land on mapped memory */
		p[(*n)++] = '1';
		p[(*n)++] = '0';
		for (int i = 0; i < 4; i++)
			p[(*n)++] = hx[rndn(16)];
		return;
	}
	unsigned d = rndn(5) == 0 ? rndn(19) : 1 + rndn(8);
	int small = rndn(3) == 0;
	for (unsigned i = 0; i < d && *n < cap; i++)
		p[(*n)++] = small && i + 1 < d ? '0' : hx[rndn(16)];
}

/* A well-formed command with arguments near the guest's image. */
static size_t gen_wellformed(char *p, size_t cap)
{
	unsigned long long a = 0xff000 + rndn(0x12000);
	unsigned len = rndn(4) ? 1u << rndn(4) : rndn(0x2100);
	int n;
	switch (rndn(10)) {
	case 0:
		n = snprintf(p, cap, "m%llx,%x", a, len);
		break;
	case 1: {
		n = snprintf(p, cap, "M%llx,%x:", a, len % 64);
		for (unsigned i = 0; i < 2 * (len % 64); i++)
			p[n++] = "0123456789abcdef"[rndn(16)];
		break;
	}
	case 2:
		n = snprintf(p, cap, "%c%u,%llx,%x", rndn(2) ? 'Z' : 'z', rndn(5), a, len);
		break;
	case 3:
		n = snprintf(p, cap, "p%x", rndn(80));
		break;
	case 4: {
		unsigned r = rndn(75);
		n = snprintf(p, cap, "P%x=", r);
		unsigned sz = r < 17 ? 8 : r < 24 ? 4 : r < 32 ? 10 : r < 40 ? 4 : r < 56 ? 16 : r == 56 ? 4 : 8;
		for (unsigned i = 0; i < 2 * sz; i++)
			p[n++] = "0123456789abcdef"[rndn(16)];
		break;
	}
	case 5:
		n = snprintf(p, cap, "%s", rndn(2) ? "vCont;s:1" : "vCont;c");
		break;
	case 6:
		n = snprintf(p, cap, "c%llx", a);
		break;
	case 7:
		n = snprintf(p, cap, "qXfer:features:read:target.xml:%x,%x", rndn(0x3000), len);
		break;
	case 8: {
		/* X with binary data, escaped by the framer */
		n = snprintf(p, cap, "X%llx,%x:", a, len % 64);
		for (unsigned i = 0; i < len % 64; i++)
			p[n++] = (char)rnd();
		break;
	}
	default:
		n = snprintf(p, cap, "g");
		break;
	}
	return (size_t)n;
}

static size_t gen_packet(char *p, size_t cap)
{
	if (rndn(3) == 0)
		return gen_wellformed(p, cap);
	static const char *const heads[] = {
		"?", "g", "G", "p", "P", "m", "M", "X", "c", "s", "C", "S", "D",
		"H", "Hg", "Hc", "T", "Z", "z", "Z0,", "z0,", "Z1,", "Z2,", "Z3,", "Z4,",
		"z2,", "qSupported:swbreak+;hwbreak+", "qXfer:features:read:target.xml:",
		"qXfer:features:read:", "qAttached", "qC", "qfThreadInfo",
		"qsThreadInfo", "qThreadExtraInfo,", "qSymbol::", "qOffsets",
		"QStartNoAckMode", "vCont?", "vCont;", "vCont;c", "vCont;s:1",
		"vCont;C05", "vMustReplyEmpty", "vFoo", "!", "R", "i", "k", "vKill;1",
		"", "j", "\x7f", "x",
	};
	const char *h = heads[rndn(sizeof heads / sizeof heads[0])];
	/* kill ends the session: keep it rare so the rest gets exercised */
	if ((h[0] == 'k' || !strncmp(h, "vKill", 5)) && rndn(20))
		h = "?";
	size_t n = strlen(h);
	memcpy(p, h, n);
	int parts = rndn(6);
	for (int i = 0; i < parts && n + 40 < cap; i++) {
		switch (rndn(9)) {
		case 0: case 1: case 2:
			add_hex(p, &n, cap);
			break;
		case 3:
			p[n++] = ',';
			break;
		case 4:
			p[n++] = ':';
			break;
		case 5:
			p[n++] = ';';
			break;
		case 6:
			p[n++] = '=';
			break;
		case 7: {
			/* a run of hex digit pairs or 'x's (register/memory data) */
			unsigned k = rndn(40);
			char c = rndn(4) ? 0 : 'x';
			for (unsigned j = 0; j < 2 * k && n < cap; j++)
				p[n++] = c ? c : "0123456789abcdef"[rndn(16)];
			break;
		}
		default: {
			/* raw bytes, escaped later by the framer as needed */
			unsigned k = rndn(16);
			for (unsigned j = 0; j < k && n < cap; j++)
				p[n++] = (char)rnd();
			break;
		}
		}
	}
	return n;
}

static int load_gdb_guest(struct tg_machine *m)
{
	int tb_build_path(char *out, size_t len, const char *rel);
	char path[4096];
	if (tb_build_path(path, sizeof path, "guests/gdb/gdbguest.elf") < 0)
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static uint8_t img[1 << 20];
	size_t n = fread(img, 1, sizeof img, f);
	fclose(f);
	struct tg_mb_result res;
	return tg_machine_load_multiboot(m, img, n, "gdbguest", &res);
}

/* Random commands with good and bad checksums, truncated and overlong
 * packets into the dispatcher of a stub on a model machine. */
TEST(gdb_rsp_fuzz_dispatch)
{
	struct tg_machine m;
	char msg[256];
	struct tg_machine_config cfg = { .backend = TG_BACKEND_MODEL, .ram_size = 8 << 20 };
	ASSERT_EQ(tg_machine_create(&m, &cfg, msg, sizeof msg), 0);
	if (load_gdb_guest(&m) < 0) {
		test_fail(__FILE__, __LINE__, "cannot load guests/gdb/gdbguest.elf");
		tg_machine_destroy(&m);
		return;
	}
	struct tg_gdb *g;
	ASSERT_EQ(gdb_create_capture(&m, &g), 0);
	static char payload[RSP_MAX_PACKET + 64], framed[2 * RSP_MAX_PACKET + 200];
	rng_state = 0x5eed0f6d6275ull;
	int answered = 0, kills = 0;
	for (int it = 0; it < 15000; it++) {
		size_t n, fl;
		int kind = rndn(40);
		if (kind == 0) {
			/* overlong: more than PacketSize */
			n = RSP_MAX_PACKET + 1 + rndn(30);
			payload[0] = 'M';
			memset(payload + 1, '0', n - 1);
		} else {
			n = gen_packet(payload, sizeof payload - 1);
		}
		fl = rsp_frame(framed, sizeof framed, payload, n, rndn(2));
		ASSERT_TRUE(fl > 0);
		if (kind == 1)
			framed[fl - 1] ^= 1; /* bad checksum */
		else if (kind == 2)
			fl = rndn((unsigned)fl); /* truncated: the next '$' resyncs */
		else if (kind == 3)
			framed[rndn((unsigned)fl)] ^= (char)(1u << rndn(8));
		g->cap_len = 0;
		gdb_feed(g, (const uint8_t *)framed, fl);
		if (kind == 4)
			gdb_feed(g, (const uint8_t *)"\x03+-", 3);
		int k = check_output(g->cap, g->cap_len);
		if (k < 0) {
			test_fail(__FILE__, __LINE__, "iteration %d: malformed output for '%.*s'",
				  it, (int)(n < 60 ? n : 60), payload);
			break;
		}
		answered += k;
		if (g->killed) {
			/* 'k' ends the session: a new stub for the same machine */
			kills++;
			tg_gdb_destroy(g);
			ASSERT_EQ(gdb_create_capture(&m, &g), 0);
		} else {
			gdb_fake_stop(g); /* resumed: stop again; detached: reattach */
		}
	}
	/* most packets get an answer (the rest were damaged on purpose) */
	EXPECT_TRUE(answered > 10000);
	EXPECT_TRUE(kills > 0);
	tg_gdb_destroy(g);
	tg_machine_destroy(&m);
}
