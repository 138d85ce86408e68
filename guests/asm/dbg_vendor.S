/* An execute breakpoint on the instruction right after MOV SS. */
#include "guest.inc"
	.code64
	.text
	lea target(%rip), %rax
	mov %rax, %dr0
	mov $0x402, %eax            /* G0, R/W0=00 (execute), LEN0=00 */
	mov %rax, %dr7
	mov %ss, %ax
	mov %ax, %ss
target:	nop
	hlt
	.org 0x100
db_handler:
	mov (%rsp), %rax
	mov %rax, 0x90000
	mov %dr6, %rax
	mov %rax, 0x90008
	incq 0x90010
	hlt
