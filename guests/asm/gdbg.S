/* Host-debugging targets at fixed offsets (NOPs between them). */
#include "guest.inc"
	.code64
	.text
	.org 0x00, 0x90
	mov $1, %eax
	.org 0x08, 0x90
	mov $2, %ebx
	.org 0x10, 0x90
	int3
	.org 0x18, 0x90
	movl $0x1234, data(%rip)
	.org 0x28, 0x90
	mov %dr0, %rax
	.org 0x30, 0x90
	sti
	nop
	nop
	.org 0x38, 0x90
	hlt

	.org 0x100, 0x90
bp_handler:                        /* vector 3 */
	movq $3, result(%rip)
	mov (%rsp), %rax
	mov %rax, result+8(%rip)
	hlt
	.org 0x140, 0x90
db_handler:                        /* vector 1 */
	movq $1, result(%rip)
	mov (%rsp), %rax
	mov %rax, result+8(%rip)
	mov %dr6, %rax
	mov %rax, result+16(%rip)
	hlt
	.org 0x180, 0x90
irq_handler:                       /* vector 0x30 */
	movq $0x30, result(%rip)
	mov (%rsp), %rax
	mov %rax, result+8(%rip)
	hlt
	.org 0x200, 0x90
data:	.quad 0
	.org 0x210
result:	.quad 0, 0, 0
