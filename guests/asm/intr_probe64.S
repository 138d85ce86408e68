/* 64-bit probes for interrupt and exception delivery. The host points RIP
 * at one probe (fixed offsets, .org) and IDT gates at the handler table
 * at +0x1000: handler v is `hlt; iretq; nop` at +0x1000 + 4*v, so the HLT
 * exit RIP names the vector that was delivered. Handlers at +0x800 skip
 * an error code before IRETQ. */
#include "guest.inc"
	.code64
	.text
	.org 0x000
	int $0x40		/* +0x000 */
	hlt			/* +0x002 */
	.org 0x010
	int3			/* +0x010 */
	hlt			/* +0x011 */
	.org 0x020
	.byte 0xf1		/* +0x020: ICEBP */
	hlt			/* +0x021 */
	.org 0x030
	ud2			/* +0x030 */
	hlt
	.org 0x040
	int $0x80		/* +0x040: from CPL3 */
	out %al, $0x10		/* +0x042: CPL3 with IOPL=3 */
	.org 0x050
	int $0x41		/* +0x050 */
	hlt
	.org 0x060
	div %rcx		/* +0x060: #DE with RCX=0 */
	hlt
	.org 0x070
	mov (%rax), %rbx	/* +0x070: read at RAX */
	hlt			/* +0x073 */
	.org 0x080
	mov (%rbp), %rbx	/* +0x080: SS-relative read */
	hlt
	.org 0x090
	mov %rbx, (%rax)	/* +0x090: write at RAX */
	hlt			/* +0x093 */
	.org 0x0a0
	jmp *%rax		/* +0x0a0: fetch at RAX */
	.org 0x0b0
	int $0xff		/* +0x0b0 */
	hlt
	.org 0x0c0
	push %rax		/* +0x0c0 */
	hlt
	.org 0x0d0
	/* +0x0d0: a read, an INVLPG and the same read again */
	mov (%rax), %rbx
	mov %rcx, (%rdx)	/* the test's PTE update */
	mov (%rax), %rsi	/* may still use the old translation */
	invlpg (%rax)
	mov (%rax), %rdi	/* must use the new one [SDM 4.10.4.1] */
	hlt
	.org 0x0e0
	iretq			/* +0x0e0: a frame the test wrote */
	.org 0x0f0
	/* +0x0f0: the same with a CR3 reload */
	mov (%rax), %rbx
	mov %rcx, (%rdx)
	mov %cr3, %r8
	mov %r8, %cr3
	mov (%rax), %rdi
	hlt

	/* error-code handlers: +0x800 + 8*v: hlt; add $8,%rsp; iretq */
	.org 0x800
	.rept 32
	.balign 8
	hlt
	add $8, %rsp
	iretq
	.endr

	.org 0x1000
	.rept 256
	hlt
	iretq
	nop
	.endr
