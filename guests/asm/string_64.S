/* String instructions in 64-bit mode: one instruction per 16-byte slot
 * (TH_CODE + 0x10 * n), followed by HLT. The test presets RSI, RDI, RCX,
 * RAX, DF and memory. Expected values: tests/test_string.c. */
#include "guest.inc"
	.code64
	.text

.macro SLOT n
	.org \n * 0x10
.endm
	SLOT 0
	rep movsb
	hlt
	SLOT 1
	rep movsw
	hlt
	SLOT 2
	rep movsl
	hlt
	SLOT 3
	rep movsq
	hlt
	SLOT 4
	rep stosb
	hlt
	SLOT 5
	rep stosq
	hlt
	SLOT 6
	repe cmpsb
	hlt
	SLOT 7
	repne cmpsb
	hlt
	SLOT 8
	repe scasb
	hlt
	SLOT 9
	repne scasb
	hlt
	SLOT 10
	lodsb
	hlt
	SLOT 11
	lodsq
	hlt
	SLOT 12
	rep lodsb
	hlt
	SLOT 13
	movsb
	hlt
	SLOT 14
	stosw
	hlt
	SLOT 15
	cmpsq
	hlt
	SLOT 16
	scasl
	hlt
	SLOT 17
	.byte 0x64, 0xf3, 0xa4		/* rep movsb with FS: source */
	hlt
	SLOT 18
	.byte 0x67, 0xf3, 0xa4		/* rep movsb with ESI/EDI/ECX */
	hlt
	SLOT 19
	.byte 0x67, 0xf3, 0xab		/* rep stosd with EDI/ECX */
	hlt
	SLOT 20
	.byte 0xf2, 0xa4		/* F2 on MOVS: REP */
	hlt
	SLOT 21
	repe cmpsq
	hlt
	SLOT 22
	repne scasw
	hlt
	SLOT 23
	lodsl
	hlt
