/* Near CALL/JMP/RET/Jcc/LOOP snippets in 64-bit mode at fixed offsets from
 * TH_CODE, each ending in HLT. Expected values: tests/test_flow.c. */
#include "guest.inc"
	.code64
	.text

/* 0x000: CALL rel32 / RET */
	call 1f
	hlt
1:	mov (%rsp), %rax
	mov %rsp, %rcx
	ret

/* 0x040: RET imm16 releases the arguments */
	.org 0x40
	push $1
	push $2
	call 1f
	mov %rsp, %rdx
	hlt
1:	ret $16

/* 0x080: indirect CALL/JMP through registers and memory; 66 is ignored
 * on FF /2 (Intel: 64-bit operand size) */
	.org 0x80
	lea f1(%rip), %rax
	call *%rax
	mov %r8, %rbx
	lea f2(%rip), %rcx
	mov %rcx, 0x200000
	call *0x200000
	.byte 0x66, 0xff, 0xd0		/* call rax with 66 */
	lea 1f(%rip), %rdx
	jmp *%rdx
	hlt
1:	lea 2f(%rip), %rdx
	mov %rdx, 0x200008
	jmp *0x200008
	hlt
2:	mov %rsp, %r11
	hlt
f1:	mov (%rsp), %r8
	mov %rsp, %r10
	ret
f2:	mov (%rsp), %r9
	ret

/* 0x200: LOOP family and JrCXZ (ZF=1 preset in RFLAGS) */
	.org 0x200
	mov $3, %ecx
1:	mov %rcx, 0x200400(,%rcx,8)
	loop 1b
	mov %rcx, %rbx
	movabs $0x100000001, %rcx
	.byte 0x67, 0xe2, 0x00		/* loop with ECX: 1 -> 0, falls through */
	mov %rcx, %rdx
	movabs $0x1234567800000000, %rcx
	jrcxz 2f			/* RCX != 0: not taken */
	mov $1, %esi
2:	.byte 0x67, 0xe3, 0x02		/* jecxz: ECX = 0, taken */
	mov %eax, %edi			/* 2 bytes, skipped */
	mov $5, %ecx
	loopne 3f			/* ZF=1: falls through, ECX=4 */
	loope 3f			/* ZF=1, ECX=3: taken */
	mov $0xbad, %edi
3:	mov %rcx, %r8
	mov $1, %ecx
	loope 4f			/* count reaches 0: falls through */
	mov $0x600d, %r9d
4:	hlt

/* 0x300: targets that must fault (#GP on the branch, #PF on the push) */
	.org 0x300
	jmp *%rax
	hlt
	.org 0x340
	call *%rax
	hlt
	.org 0x380
	ret
	.org 0x3c0
	call 1f
1:	hlt

/* 0x400: every Jcc, rel8 then rel32, recording taken (1) / not (0) at
 * 0x200300 + cc and 0x200310 + cc */
	.org 0x400
.macro JS idx
	.byte 0x70 + \idx
	.byte 9f - . - 1
	movb $0, 0x200300 + \idx
	.byte 0xeb, 8f - . - 1
9:	movb $1, 0x200300 + \idx
8:
.endm
.macro JL idx
	.byte 0x0f, 0x80 + \idx
	.long 9f - . - 4
	movb $0, 0x200310 + \idx
	.byte 0xeb, 8f - . - 1
9:	movb $1, 0x200310 + \idx
8:
.endm
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	JS \i
	.endr
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	JL \i
	.endr
	hlt
