/* GDB remote serial protocol framing [GDB manual, Appendix E.1 Overview]:
 * `$payload#xx` where xx is the modulo-256 sum of the payload bytes in two
 * hex digits; the receiver answers '+' or '-' unless no-ack mode is on.
 * Outside packets only '+', '-' and 0x03 (interrupt) mean anything. */
#include <string.h>

#include "rsp.h"

enum { RX_IDLE, RX_DATA, RX_CK1, RX_CK2 };

void rsp_rx_init(struct rsp_rx *rx)
{
	rx->state = RX_IDLE;
	rx->check_sum = true;
	rx->overflow = false;
	rx->sum = rx->ck = 0;
	rx->len = 0;
	rx->buf[0] = 0;
}

int rsp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void start_packet(struct rsp_rx *rx)
{
	rx->state = RX_DATA;
	rx->overflow = false;
	rx->sum = 0;
	rx->len = 0;
}

enum rsp_event rsp_rx_byte(struct rsp_rx *rx, uint8_t c)
{
	int v;
	switch (rx->state) {
	case RX_IDLE:
		if (c == '$')
			start_packet(rx);
		else if (c == 0x03)
			return RSP_INTERRUPT;
		else if (c == '+')
			return RSP_ACK;
		else if (c == '-')
			return RSP_NAK;
		/* anything else between packets is line noise */
		return RSP_NONE;
	case RX_DATA:
		if (c == '#') {
			rx->state = RX_CK1;
		} else if (c == '$') {
			/* A new start inside a packet: the sender gave up on
			 * the old one (gdb's own stubs restart the same way). */
			start_packet(rx);
		} else {
			rx->sum = (uint8_t)(rx->sum + c);
			if (rx->len < RSP_MAX_PACKET)
				rx->buf[rx->len++] = (char)c;
			else
				rx->overflow = true;
		}
		return RSP_NONE;
	case RX_CK1:
		v = rsp_hexval(c);
		if (v < 0) {
			rx->state = RX_IDLE;
			if (c == '$')
				start_packet(rx);
			return RSP_BADSUM;
		}
		rx->ck = (uint8_t)(v << 4);
		rx->state = RX_CK2;
		return RSP_NONE;
	default: /* RX_CK2 */
		v = rsp_hexval(c);
		rx->state = RX_IDLE;
		if (v < 0) {
			if (c == '$')
				start_packet(rx);
			return RSP_BADSUM;
		}
		rx->ck |= (uint8_t)v;
		rx->buf[rx->len] = 0;
		if (rx->check_sum && rx->ck != rx->sum)
			return RSP_BADSUM;
		return rx->overflow ? RSP_OVERLONG : RSP_PACKET;
	}
}

bool rsp_parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;
	while (s < end && rsp_hexval((unsigned char)*s) >= 0) {
		/* leading zeros do not count towards the 64-bit limit */
		if (v >> 60)
			return false;
		v = (v << 4) | (uint64_t)rsp_hexval((unsigned char)*s);
		s++;
		n++;
	}
	if (!n)
		return false;
	*p = s;
	*out = v;
	return true;
}

bool rsp_hex_decode(uint8_t *out, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = rsp_hexval((unsigned char)in[2 * i]);
		int lo = hi < 0 ? -1 : rsp_hexval((unsigned char)in[2 * i + 1]);
		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void rsp_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

long rsp_unescape(uint8_t *out, size_t cap, const char *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)in[i];
		if (c == '}') {
			if (++i >= n)
				return -1;
			c = (uint8_t)in[i] ^ 0x20;
		}
		if (o >= cap)
			return -1;
		out[o++] = c;
	}
	return (long)o;
}

size_t rsp_frame(char *out, size_t cap, const char *payload, size_t n, bool escape)
{
	size_t o = 0;
	uint8_t sum = 0;
	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)payload[i];
		bool esc = escape && (c == '$' || c == '#' || c == '}' || c == '*');
		if (o + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[o++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[o++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[o++] = '#';
	rsp_hex_encode(out + o, &sum, 1);
	return o + 2;
}
