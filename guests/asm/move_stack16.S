/* PUSH/POP/PUSHA/POPA/ENTER/LEAVE in real mode. Loaded at 0x8000 and run
 * with CS=0, IP=0x8000, SS=0, SP=0x7000 (position-independent: only
 * relative branches and absolute data below 0x10000). */
#include "guest.inc"
	.code16
	.text

	push %ax				/* 2 bytes */
	pushl $0x12345678			/* 66 68: 4 bytes */
	push $-5				/* 6A: 2 bytes */
	mov %sp, %si
	pop %bx
	popl %ecx
	pop %dx
	pusha					/* 16 bytes */
	mov %sp, %di
	popa
	pushal					/* 66 60: 32 bytes */
	popal
	enter $4, $2
	mov %sp, %bx
	mov %bp, %cx
	leave
	hlt
