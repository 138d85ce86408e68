/* SSE4.1 PMULLD, SSE2 PADDD and MMX PADDB: the model's CPUID has no MMX or
 * SSE, so each is #UD [SDM Vol. 2 exceptions of each: "#UD If
 * CPUID.01H:EDX.SSE2[bit 26] = 0" etc.]. The #UD handler records the RIP
 * and skips the instruction (lengths 5, 4, 3). */
#include "guest.inc"
	.code64
	.text
	pmulld %xmm1, %xmm0
	paddd %xmm1, %xmm0
	paddb %mm1, %mm0
	hlt
	.org 0x40
ud_handler:
	mov (%rsp), %rax
	mov %rax, (%rdi)
	add $8, %rdi
	movzbl (%rax), %ecx        /* first byte decides the length here */
	cmp $0x0f, %cl
	je 1f
	addq $5, (%rsp)            /* 66 0f 38 40 c1: pmulld */
	jmp 3f
1:	addq $3, (%rsp)            /* 0f fc c1: paddb mm */
3:	cmpb $0x66, (%rax)
	jne 4f
	cmpb $0x38, 2(%rax)
	je 4f
	subq $1, (%rsp)            /* 66 0f fe c1: paddd, 4 bytes */
4:	iretq
