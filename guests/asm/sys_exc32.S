/* Exception stubs for the system-instruction tests, 32-bit protected
 * mode. Loaded at 0x1a0000 (tests: SX32); the stub for vector v is at
 * SX32 + 0x40 * v. Same record as sys_exc64.S at 0x7000 (8-byte slots,
 * upper halves left as the test preset them): vector, error code, EIP,
 * CS, EFLAGS, and ESP, SS (meaningful only after a privilege change)
 * [SDM 6.12.1, Figure 6-4]. Stores go through SS, which delivery always
 * leaves usable, so a test may leave DS null. */
#include "guest.inc"
	.code32
	.text

.macro STUB vec, err
	.balign 0x40
	movl $\vec, %ss:0x7000
	.if \err
	popl %ss:0x7008
	.else
	movl $0, %ss:0x7008
	.endif
	popl %ss:0x7010	/* EIP */
	popl %ss:0x7018	/* CS */
	popl %ss:0x7020	/* EFLAGS */
	popl %ss:0x7028	/* ESP */
	popl %ss:0x7030	/* SS */
	hlt
.endm

	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
