/* Entry of a C guest: the harness starts it in 64-bit mode at CG_CODE
 * (flat segments, identity paging, CPL 0). Set up a stack, zero .bss
 * (RAM is zero when the harness creates the VM; zeroing keeps a re-run
 * correct), call cg_main, publish its result and halt. */
#include "rt.h"
	.code64
	.section .text.start, "ax"
	.globl _start
_start:
	mov $CG_STACK_TOP, %esp      /* 32-bit write zero-extends into RSP */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
1:	cmp %rcx, %rdi
	jae 2f
	movq $0, (%rdi)
	add $8, %rdi
	jmp 1b
2:	xor %eax, %eax
	mov %rax, CG_OUT_ADDR        /* done */
	mov %rax, CG_OUT_ADDR + 16   /* n */
	/* SysV ABI: RSP is 16-byte aligned at the call, DF clear [ABI 3.2]. */
	cld
	call cg_main
	mov %rax, CG_OUT_ADDR + 8    /* ret */
	movabs $CG_DONE_MAGIC, %rdx
	mov %rdx, CG_OUT_ADDR        /* done */
3:	hlt
	jmp 3b
	.section .note.GNU-stack, "", @progbits
