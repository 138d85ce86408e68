/* The GDB remote serial protocol, transport level: packet framing with
 * checksums, acknowledgements, binary escapes and hex, independent of any
 * target [GDB manual, Appendix E "Overview", "Binary Data"]. Pure code on
 * buffers: no sockets and no vm API here, so it can be fuzzed alone. */
#ifndef TG_GDB_RSP_H
#define TG_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload accepted or sent (advertised as PacketSize in hex). */
#define RSP_MAX_PACKET 0x4000

enum rsp_event {
	RSP_NONE = 0,   /* byte consumed, nothing complete yet */
	RSP_PACKET,     /* rx->buf[0..len) holds a payload with a good checksum */
	RSP_BADSUM,     /* a packet ended with a wrong or malformed checksum */
	RSP_OVERLONG,   /* a packet with a good checksum but more than
			   RSP_MAX_PACKET payload bytes (payload discarded) */
	RSP_INTERRUPT,  /* 0x03 outside a packet: Ctrl-C */
	RSP_ACK,        /* '+' */
	RSP_NAK,        /* '-' */
};

struct rsp_rx {
	int state;
	bool check_sum;   /* false in no-ack mode, where sums are not verified */
	bool overflow;
	uint8_t sum;      /* running modulo-256 sum of the payload bytes */
	uint8_t ck;       /* received checksum */
	size_t len;
	char buf[RSP_MAX_PACKET + 1]; /* payload, NUL-terminated */
};

void rsp_rx_init(struct rsp_rx *rx);
/* One received byte in; an event out when something completes. */
enum rsp_event rsp_rx_byte(struct rsp_rx *rx, uint8_t c);

int rsp_hexval(int c); /* 0..15, or -1 */
/* A hex number of 1 to 16 digits at *p (not past end); advances *p past
 * the digits. false for no digit or more than 64 bits. */
bool rsp_parse_hex(const char **p, const char *end, uint64_t *out);
/* Exactly 2*n hex digits into n bytes; false on any non-hex digit. */
bool rsp_hex_decode(uint8_t *out, const char *in, size_t n);
/* n bytes as 2*n lower-case hex digits (not NUL-terminated). */
void rsp_hex_encode(char *out, const uint8_t *in, size_t n);
/* Undoes the binary escape ('}' then byte ^ 0x20) of n input bytes into
 * at most cap bytes; the decoded length, or -1 (dangling '}' or too long). */
long rsp_unescape(uint8_t *out, size_t cap, const char *in, size_t n);
/* Frames a payload as $...#xx into out, escaping '$', '#', '}' and '*'
 * when escape is set (binary replies; '*' would read as run-length
 * encoding). Returns the framed length, or 0 if it does not fit. */
size_t rsp_frame(char *out, size_t cap, const char *payload, size_t n, bool escape);

#endif
