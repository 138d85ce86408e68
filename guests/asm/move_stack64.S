/* PUSH/POP/ENTER/LEAVE snippets in 64-bit mode; each at a fixed offset
 * from TH_CODE, ending with HLT. Expected values: tests/test_move.c. */
#include "guest.inc"
	.code64
	.text

/* 0x000: PUSH/POP forms (RSP=0x80000, RBX=0xbbbb..., RCX=0, R15=0xf15,
 * RBP=0, [0x200000]=0xabcdef preset) */
	movabs $0x1122334455667788, %rax
	push %rax
	push $-2				/* 6A: imm8 sign-extended to 64 */
	push $0x12345678			/* 68: imm32 sign-extended */
	pushw $0x4321				/* 66 68: 2 bytes */
	.byte 0x66, 0x50			/* push ax */
	.byte 0x66, 0x5b			/* pop bx */
	.byte 0x66, 0x59			/* pop cx */
	pop %rdx
	pop %r8
	push %rsp				/* the value before the push */
	pop %r9
	push %r15				/* 41 57 */
	pushq (%rsp)				/* FF /6 */
	popq 8(%rsp)				/* 8F /0: address after the pop */
	pop %r10
	pop %r11
	pushq 0x200000
	pop %r12
	.byte 0x66, 0xff, 0x34, 0x25		/* push word [0x200000] */
	.long 0x200000
	.byte 0x66, 0x8f, 0xc5			/* pop bp (8F /0, register) */
	.byte 0xff, 0xf0			/* push rax (FF /6, register) */
	.byte 0x8f, 0xc6			/* pop rsi (8F /0) */
	push $0x7ff00
	pop %rsp				/* RSP gets the popped value */
	hlt

/* 0x100: ENTER/LEAVE (RSP=0x80000, RBP=0x90000, [0x8fff8]=0xa1,
 * [0x8fff0]=0xa2 preset) */
	.org 0x100
	enter $0x20, $3
	mov %rsp, %rbx
	mov %rbp, %rcx
	leave
	enter $8, $0
	mov %rsp, %rdx
	mov %rbp, %rsi
	enter $0, $1
	mov %rsp, %rdi
	mov %rbp, %r8
	leave
	mov %rsp, %r9
	mov %rbp, %r10
	leave
	enter $0, $33				/* level is taken mod 32: 1 */
	mov %rsp, %r11
	mov %rbp, %r12
	leave
	hlt

/* 0x1c0: ENTER alone, for the frame copies in memory */
	.org 0x1c0
	enter $0x20, $3
	hlt

/* 0x200: a push into a not-present page (#PF), RSP preset there */
	.org 0x200
	push %rax
	hlt
/* 0x240: ENTER whose final RSP is in a not-present page */
	.org 0x240
	enter $0x10, $0
	hlt
/* 0x280: push and pop with the stack outside RAM (MMIO exits) */
	.org 0x280
	push %rax
	pop %rbx
	hlt
