/* PUSH/POP/PUSHA/POPA/ENTER/LEAVE in 32-bit protected mode (flat
 * segments, ESP=0x80000). Expected values: tests/test_move.c. */
#include "guest.inc"
	.code32
	.text

/* 0x000: 16- and 32-bit operand sizes on a 32-bit stack */
	push %eax				/* 4 bytes */
	pushw %ax				/* 66 50: 2 bytes */
	push $-2				/* 6A: 4 bytes */
	pushw $-3				/* 66 6A: 2 bytes */
	mov %esp, %esi
	popw %bx
	pop %ecx
	popw %dx
	pop %edi
	hlt

/* 0x080: PUSHA/POPA, POPA skips the ESP slot (EAX=0xa0, ECX=0xc1,
 * EDX=0xd2, EBX=0xb3, EBP=0xb5, ESI=0x56, EDI=0xd7 preset) */
	.org 0x80
	pusha
	movl $0xdeadbeef, 12(%esp)		/* the saved ESP slot */
	mov %esp, %ebp
	movl $0, %eax
	movl $0, %ecx
	movl $0, %edx
	movl $0, %ebx
	movl $0, %esi
	movl $0, %edi
	popa
	.byte 0x66, 0x60			/* pushaw: 16 bytes */
	mov %esp, %esi
	movw $0x1111, (%esp)			/* saved DI */
	movw $0x2222, 6(%esp)			/* saved SP slot: skipped */
	.byte 0x66, 0x61			/* popaw */
	hlt

/* 0x100: ENTER/LEAVE 32 (EBP=0x90000, [0x8fffc]=0xa1 preset) */
	.org 0x100
	enter $0x10, $2
	mov %esp, %ebx
	mov %ebp, %ecx
	leave
	hlt

/* 0x180: 16-bit stack (SS.B=0, SS.base=0x10000, ESP=0xabcd0004 preset) */
	.org 0x180
	push %eax				/* SP 4 -> 0; ESP[31:16] kept */
	pushw %ax				/* SP 0 -> 0xfffe: wraps */
	mov %esp, %ebx
	popw %cx
	pop %edx
	hlt
