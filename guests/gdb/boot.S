/* The gdb test guest: multiboot entry, the switch to long mode, and the
 * instruction sites the gdb tests step through (tests/test_gdb.c).
 *
 * Entered in 32-bit protected mode with paging off [Multiboot
 * Specification 0.6.96, 3.2]; long mode the SDM way [SDM Vol. 3A 10.8.5]:
 * PAE page tables (identity map of the first 1 GiB with 2 MiB pages),
 * CR4.PAE, EFER.LME, CR0.PG, a far jump to a 64-bit code segment. No IDT:
 * nothing here should fault, and if it does the triple fault ends the run
 * where gdb can still look at it. */
#define EFER_MSR 0xc0000080

	.section .mbheader, "a"
	.code32
	.balign 4
gg_mb_header:                   /* [Multiboot spec 3.1.1] magic, flags, checksum */
	.long 0x1badb002
	.long 0
	.long -0x1badb002

	.section .text.boot, "ax"
	.code32
	.globl gg_start
gg_start:
	cli
	cld
	movl $gg_stack_top, %esp
	movl $(gg_pdpt + 3), gg_pml4        /* P | RW */
	movl $(gg_pd + 3), gg_pdpt
	movl $gg_pd, %edi
	movl $0x83, %eax                    /* P | RW | PS: 2 MiB pages */
	movl $512, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b
	movl %cr4, %eax
	orl $0x20, %eax                     /* CR4.PAE */
	movl %eax, %cr4
	movl $gg_pml4, %eax
	movl %eax, %cr3
	movl $EFER_MSR, %ecx
	rdmsr
	orl $0x100, %eax                    /* EFER.LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax               /* PG | PE */
	movl %eax, %cr0
	lgdt gg_gdt_desc
	ljmp $0x08, $gg_start64

	.code64
gg_start64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq $gg_stack_top, %rsp
	call gg_main
2:	hlt
	jmp 2b

/* Single-step sites [SDM Vol. 3A 6.8.3]: loading SS holds the #DB of a
 * single step until after the next instruction, so one stepi from gg_movss
 * ends at gg_after_movss; STI's shadow blocks interrupts only, so one
 * stepi from gg_sti ends at gg_after_sti. */
	.text
	.globl gg_shadow_steps
	.type gg_shadow_steps, @function
gg_shadow_steps:
	movl %ss, %eax
	.globl gg_movss
gg_movss:
	movl %eax, %ss
	.globl gg_in_movss_shadow
gg_in_movss_shadow:
	nop
	.globl gg_after_movss
gg_after_movss:
	nop
	.globl gg_sti
gg_sti:
	sti
	.globl gg_after_sti
gg_after_sti:
	nop
	cli
	ret
	.size gg_shadow_steps, . - gg_shadow_steps

/* Register site: gdb changes RDX at gg_reg_add and sees the sum. */
	.globl gg_reg_site
	.type gg_reg_site, @function
gg_reg_site:
	movl $0x1000, %eax
	xorl %edx, %edx
	.globl gg_reg_add
gg_reg_add:
	addq %rdx, %rax
	movq %rax, gg_reg_result(%rip)
	ret
	.size gg_reg_site, . - gg_reg_site

	.section .rodata
	.balign 8
gg_gdt:
	.quad 0
	.quad 0x00af9b000000ffff            /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf93000000ffff            /* 0x10: flat data */
gg_gdt_desc:
	.word gg_gdt_desc - gg_gdt - 1
	.long gg_gdt

	.bss
	.balign 4096
gg_pml4: .skip 4096
gg_pdpt: .skip 4096
gg_pd: .skip 4096
	.skip 16384
gg_stack_top:
	.section .note.GNU-stack, "", @progbits
