/* ALU tests in 64-bit mode (tests/test_alu.c). Snippets sit at fixed
 * 0x40-byte slots from TH_CODE (slot n at TH_CODE + n * 0x40): the test
 * presets registers, points RIP at a slot and runs to HLT. Exception stubs
 * sit at TH_CODE + 0x1000 + 0x40 * k and record vector, error code (0 when
 * the vector has none) and the interrupt frame [SDM 6.14.1] at 0x9000,
 * using only MOV/POP/HLT so they do not depend on the code under test. */
#include "guest.inc"
	.code64
	.text

.macro SLOT n
	.org \n * 0x40
.endm

	SLOT 0
	divb %cl
	hlt
	SLOT 1
	divw %cx
	hlt
	SLOT 2
	divl %ecx
	hlt
	SLOT 3
	divq %rcx
	hlt
	SLOT 4
	idivb %cl
	hlt
	SLOT 5
	idivw %cx
	hlt
	SLOT 6
	idivl %ecx
	hlt
	SLOT 7
	idivq %rcx
	hlt
	SLOT 8			/* memory divisor */
	divq (%rbx)
	hlt
	SLOT 9			/* LOCK on a register destination: #UD */
	.byte 0xf0, 0x48, 0x01, 0xc8	/* lock add %rcx, %rax */
	hlt
	SLOT 10			/* LOCK read-modify-writes on memory */
	lock addq %rcx, (%rbx)
	lock incl 8(%rbx)
	lock xaddq %rdx, 16(%rbx)
	lock btsq $5, 24(%rbx)
	lock negw 32(%rbx)
	hlt
	SLOT 11			/* CMPXCHG16B m128 */
	cmpxchg16b (%rbx)
	hlt
	SLOT 12			/* CMPXCHG8B with a register operand: #UD */
	.byte 0x0f, 0xc7, 0xc8
	hlt
	SLOT 13			/* BTS with a register bit offset, memory base */
	btsq %rax, (%rbx)
	hlt
	SLOT 14
	btl %eax, (%rbx)
	hlt
	SLOT 15			/* LOCK CMP (not a read-modify-write): #UD */
	.byte 0xf0, 0x48, 0x39, 0x03	/* lock cmp %rax, (%rbx) */
	hlt
	SLOT 16			/* LOCK BT (BT does not write): #UD */
	.byte 0xf0, 0x48, 0x0f, 0xa3, 0x03	/* lock bt %rax, (%rbx) */
	hlt
	SLOT 17			/* RMW to a read-only page */
	addq %rax, (%rbx)
	hlt
	SLOT 18			/* read from a read-only page */
	cmpq %rax, (%rbx)
	hlt
	SLOT 19			/* byte registers: AH..BH without REX */
	addb %bl, %ah
	incb %ch
	subb %dh, %bh
	movzbl %bh, %esi
	hlt
	SLOT 20			/* byte registers: SPL..DIL with REX */
	addb %bl, %spl
	incb %bpl
	subb %sil, %dil
	movzbl %dil, %r9d
	hlt
	SLOT 21			/* 16-bit forms keep the upper 48 bits */
	addw %bx, %ax
	negw %cx
	shlw $4, %dx
	xaddw %si, %di
	hlt
	SLOT 22			/* memory destinations of several sizes */
	addb %cl, (%rbx)
	subw %cx, 2(%rbx)
	xorl %ecx, 4(%rbx)
	orq %rcx, 8(%rbx)
	notq 16(%rbx)
	shlq $4, 24(%rbx)
	rcrl $1, 32(%rbx)
	shldq $8, %rcx, 40(%rbx)
	cmpxchgq %rcx, 48(%rbx)
	setc 56(%rbx)
	hlt
	SLOT 24			/* AAM/DAA/... are invalid in 64-bit mode */
	.byte 0xd4, 0x0a	/* aam */
	hlt
	SLOT 25
	.byte 0x27		/* daa */
	hlt
	SLOT 26			/* 0F B8 without F3 (JMPE): #UD */
	.byte 0x0f, 0xb8, 0xc0
	hlt
	SLOT 28			/* 0F BA /0-/3 are undefined: #UD */
	.byte 0x0f, 0xba, 0xc0, 0x01	/* 0F BA /0 */
	hlt

/* Exception stubs. */
.macro STUB vec, err
	.balign 0x40
	movq $\vec, 0x9000
	.if \err
	popq 0x9008
	.else
	movq $0, 0x9008
	.endif
	popq 0x9010	/* RIP */
	popq 0x9018	/* CS */
	popq 0x9020	/* RFLAGS */
	popq 0x9028	/* RSP */
	popq 0x9030	/* SS */
	hlt
.endm
	.org 0x1000
	STUB 0, 0	/* stub 0: #DE */
	STUB 6, 0	/* stub 1: #UD */
	STUB 13, 1	/* stub 2: #GP */
	STUB 14, 1	/* stub 3: #PF */
	STUB 8, 1	/* stub 4: #DF */
