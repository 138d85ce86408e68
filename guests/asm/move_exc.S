/* Exception handler stubs for the move/flow/string tests (64-bit).
 * Loaded by the tests at MX_BASE (0x180000); stub for vector v sits at
 * MX_BASE + 0x40 * slot (see tests: mx_slot). Each stores the vector, the
 * error code (0 when the vector has none) and the interrupt frame [SDM
 * 6.14.1: RIP, CS, RFLAGS, RSP, SS] at 0x6000.., then halts. Only MOV, POP
 * and HLT are used, so nothing here depends on other instruction groups
 * but HLT. */
#include "guest.inc"
	.code64
	.text

.macro STUB vec, err
	.balign 0x40
	movq $\vec, 0x6000
	.if \err
	popq 0x6008
	.else
	movq $0, 0x6008
	.endif
	popq 0x6010	/* RIP */
	popq 0x6018	/* CS */
	popq 0x6020	/* RFLAGS */
	popq 0x6028	/* RSP */
	popq 0x6030	/* SS */
	hlt
.endm

	STUB 6, 0	/* slot 0: #UD */
	STUB 7, 0	/* slot 1: #NM */
	STUB 12, 1	/* slot 2: #SS */
	STUB 13, 1	/* slot 3: #GP */
	STUB 14, 1	/* slot 4: #PF */
	STUB 1, 0	/* slot 5: #DB */
