/* Exception stubs for the system-instruction tests, 64-bit. Loaded at
 * 0x190000 (tests: SX64); the stub for vector v is at SX64 + 0x40 * v.
 * Each records the vector, the error code (0 for vectors without one)
 * and the frame [SDM 6.14.1: RIP, CS, RFLAGS, RSP, SS] at 0x7000.., then
 * halts. Only MOV, POP and HLT are used. */
#include "guest.inc"
	.code64
	.text

.macro STUB vec, err
	.balign 0x40
	movq $\vec, 0x7000
	.if \err
	popq 0x7008
	.else
	movq $0, 0x7008
	.endif
	popq 0x7010	/* RIP */
	popq 0x7018	/* CS */
	popq 0x7020	/* RFLAGS */
	popq 0x7028	/* RSP */
	popq 0x7030	/* SS */
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
