/* Mode transitions done by the guest [SDM 9.9.1 (real -> protected),
 * 9.8.5 (IA-32e mode), 9.8.5.4 (leaving 64-bit mode)]. Entered in real
 * mode at FFFF:0010 (= 0x100000); every stage ends in a HLT so the test
 * can check the state, then continues. Page tables at 0x10000 are built
 * by the test; the GDT is the guest's own. */
#include "guest.inc"
#define IP(x) ((x) - start + 0x10)
	.text
	.code16
start:
	lcall $0xffff, $IP(rsub)	/* real-mode far call / far return */
	hlt				/* stage 1 */
	cli
	lgdtl %cs:IP(gdtr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x18, $pm32		/* CS = 32-bit code: protected mode */
rsub:
	mov $0x1234, %ax
	lret

	.code32
pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x80000, %esp
	hlt				/* stage 2: 32-bit protected mode */
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $0x10000, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax			/* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax		/* PG: IA-32e mode active, LMA = 1 */
	mov %eax, %cr0
	hlt				/* stage 3: compatibility mode */
	ljmp $0x08, $lm64

	.code64
lm64:
	hlt				/* stage 4: 64-bit mode */
	ljmp *farptr(%rip)		/* m16:32 to the 32-bit code segment */

	.code32
compat:
	hlt				/* stage 5: back in compatibility mode */
	push $0x08
	push $lm64b
	lret				/* far return into 64-bit code */

	.code64
lm64b:
	hlt				/* stage 6 */

	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00cf9a000000ffff	/* 0x18: 32-bit code */
gdtr:
	.word 4 * 8 - 1
	.long gdt
farptr:
	.long compat
	.word 0x18
