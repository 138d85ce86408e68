/* ALU tests in 32-bit protected mode (tests/test_alu.c): BCD adjustment
 * and #DE. Slots at TH_CODE + n * 0x40 as in alu_exc.S; exception stubs
 * at TH_CODE + 0x1000 + 0x40 * k record vector, error code and the frame
 * [SDM 6.12.1: EIP, CS, EFLAGS] at 0x9000 (dwords). */
#include "guest.inc"
	.code32
	.text

.macro SLOT n
	.org \n * 0x40
.endm

	SLOT 0			/* AAM 0: #DE [SDM Vol. 2 AAM] */
	.byte 0xd4, 0x00
	hlt
	SLOT 1			/* packed BCD addition of two digits pairs */
	addb %bl, %al
	daa
	movb %al, %cl
	movb %bh, %al
	adcb %ah, %al
	daa
	hlt
	SLOT 2			/* unpacked BCD: 9 + 8 */
	addb %bl, %al
	aaa
	hlt
	SLOT 3			/* AAM 10 / AAD 10 round trip */
	aam
	movl %eax, %esi
	aad
	hlt
	SLOT 4			/* DIV by zero in 32-bit mode */
	divl %ecx
	hlt
	SLOT 5			/* INC/DEC with the one-byte forms 40-4F */
	incl %eax
	decw %cx
	incl %edx
	hlt

.macro STUB vec, err
	.balign 0x40
	movl $\vec, 0x9000
	.if \err
	popl 0x9004
	.else
	movl $0, 0x9004
	.endif
	popl 0x9008	/* EIP */
	popl 0x900c	/* CS */
	popl 0x9010	/* EFLAGS */
	hlt
.endm
	.org 0x1000
	STUB 0, 0	/* stub 0: #DE */
	STUB 6, 0	/* stub 1: #UD */
	STUB 13, 1	/* stub 2: #GP */
