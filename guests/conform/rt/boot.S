/* Conformance kernel: multiboot entry, the switch to long mode, the
 * exception entry stubs and the scenario call/return glue.
 *
 * Entered as a multiboot (v1) kernel in 32-bit protected mode with paging
 * off [Multiboot Specification 0.6.96, 3.2], as QEMU's -kernel, GRUB and
 * trapgate's loader do. Long mode is entered the SDM way [SDM Vol. 3A
 * 10.8.5]: PAE paging structures, CR4.PAE, EFER.LME, CR0.PG, then a far
 * jump to a 64-bit code segment. Everything else is C (runtime.c). */
#include "../abi.h"

#define EFER_MSR 0xc0000080
#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_US 0x4     /* U/S=1 everywhere: CPL3 scenarios run the same code */
#define PTE_PS 0x80    /* 2 MiB page */

	.section .mbheader, "a"
	.code32
	.balign 4
	.globl cf_mb_header
cf_mb_header:                   /* [Multiboot spec 3.1.1]: magic, flags, checksum */
	.long 0x1badb002
	.long 0
	.long -0x1badb002
	.long 0
	/* The info block at CF_INFO_ADDR (the linker script checks the
	 * address): how the host runner finds the table and the state. */
	.globl cf_info
cf_info:
	.quad CF_INFO_MAGIC
	.quad CF_ABI_VERSION
	.quad cf_table_start
	.quad cf_table_count   /* (end - start) / CF_SC_SIZE, from conform.ld */
	.quad cf_state
	.quad CF_LOG_MAX
	.quad cf_vec_entries
	.quad CF_STUB_SIZE

	.section .text.boot, "ax"
	.code32
	.globl cf_start
cf_start:
	cli
	cld
	movl %ebx, cf_mb_info   /* multiboot info (EBX) [spec 3.2] */
	movl %eax, cf_mb_magic
	movl $cf_boot_stack_top, %esp

	/* Identity map of 0-4 GiB with 2 MiB pages: PML4[0] -> PDPT,
	 * PDPT[0..3] -> four page directories of 512 entries each. */
	movl $cf_pml4, %edi
	xorl %eax, %eax
	movl $(6 * 4096 / 4), %ecx
	rep stosl
	movl $(cf_pdpt + PTE_P + PTE_RW + PTE_US), cf_pml4
	movl $cf_pdpt, %edi
	movl $(cf_pd + PTE_P + PTE_RW + PTE_US), %eax
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 1b
	movl $cf_pd, %edi
	movl $(PTE_P + PTE_RW + PTE_US + PTE_PS), %eax
	xorl %edx, %edx
	movl $2048, %ecx
2:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop 2b

	movl %cr4, %eax
	orl $0x20, %eax         /* CR4.PAE */
	movl %eax, %cr4
	movl $cf_pml4, %eax
	movl %eax, %cr3
	movl $EFER_MSR, %ecx
	rdmsr
	orl $0x100, %eax        /* EFER.LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax   /* PG | WP | PE */
	movl %eax, %cr0
	lgdt cf_gdt_desc32
	ljmp $CF_SEL_KCODE, $cf_start64

	.code64
cf_start64:
	movl $CF_SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $cf_kstack_top, %rsp
	call cf_main
3:	cli
	hlt
	jmp 3b

/* ---- exception/interrupt entry: one 16-byte stub per vector ----
 * The stub makes every frame look alike (a zero where the CPU pushes no
 * error code [SDM 6.13]), pushes the vector and joins the common path. */
	.text
	.balign 16
	.globl cf_vec_entries
cf_vec_entries:
	.altmacro
	.macro cf_stub v
	.balign CF_STUB_SIZE
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp cf_trap_common
	.endm
	.set cf_v, 0
	.rept 256
	cf_stub %cf_v
	.set cf_v, cf_v + 1
	.endr
	.noaltmacro
	.balign CF_STUB_SIZE
	.globl cf_vec_entries_end
cf_vec_entries_end:

/* Frame seen by cf_trap (struct cf_frame in runtime.c): r15 ... rax, then
 * vector, error code, RIP, CS, RFLAGS, RSP, SS as the CPU pushed them. */
cf_trap_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rbx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call cf_trap
	testl %eax, %eax
	jnz cf_escape
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rbx
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

/* uint64_t cf_enter(rip, cs, rflags, rsp, ss): run scenario code. Saves the
 * runtime's callee-saved registers and stack, then IRETQ to the code with
 * every GPR zero (IRETQ sets CS/SS/RFLAGS at once, for CPL0 and CPL3
 * alike). The code comes back through cf_escape: by DONE (INT 0x80) or
 * when the trap handler ends the run. */
	.globl cf_enter
cf_enter:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, cf_saved_rsp(%rip)
	/* flat data segments for code that leaves 64-bit mode (POP SS
	 * scenarios); an IRETQ to CPL3 nulls them [SDM IRET] */
	movl $CF_SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	pushq %r8               /* SS */
	pushq %rcx              /* RSP */
	pushq %rdx              /* RFLAGS */
	pushq %rsi              /* CS */
	pushq %rdi              /* RIP */
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	iretq

/* DONE: the end of a scenario's code. CPL0 reaches the runtime with a
 * jump. CPL3 needs a privilege change: it executes HLT, which faults with
 * #GP(0) at CPL3 [SDM Vol. 2 HLT], and the trap handler recognises that
 * fault by its RIP (cf_done_gp) as the end of the run. An exception is
 * the one privilege change every VMM must get right: SYSCALL does not
 * reach CPL0 under a PVM-style /dev/kvm (the runtime's next MOV DR7 then
 * faults), and INT n is emulated there and fails in long mode. */
	.globl cf_done
cf_done:
	pushq %rax
	movl %cs, %eax
	testb $3, %al
	popq %rax
	jnz cf_done_gp
	pushfq
	andq $~(RFL_TF | RFL_IF), (%rsp)
	popfq
	andq $-16, %rsp
	call cf_done_c
	jmp cf_escape
	.globl cf_done_gp
cf_done_gp:
	hlt                     /* #GP(0) at CPL3: cf_trap ends the run */
	jmp cf_done_gp

/* Back in the runtime: on the handler's (or scenario's) stack at CPL0;
 * the scenario is never resumed, so restore the runtime's stack and
 * return from cf_enter. */
cf_escape:
	/* No segment reloads: in 64-bit mode DS/ES are not used and a null SS
	 * (left by an interrupt from CPL3) is valid at CPL0 [SDM 5.4.1.1];
	 * the next IRETQ into a scenario loads SS from its frame. */
	movq cf_saved_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	xorl %eax, %eax
	ret

/* ---- the GDT (the TSS descriptor is filled in by runtime.c) ---- */
	.data
	.balign 16
	.globl cf_gdt, cf_gdt_tss
cf_gdt:
	.quad 0
	.quad 0x00af9a000000ffff   /* 0x08 64-bit code, DPL0 (L=1) */
	.quad 0x00cf92000000ffff   /* 0x10 data, DPL0 */
	.quad 0x00cf9a000000ffff   /* 0x18 32-bit code, DPL0 (compatibility mode) */
	.quad 0x00cff2000000ffff   /* 0x20 data, DPL3 */
	.quad 0x00affa000000ffff   /* 0x28 64-bit code, DPL3 */
	.quad 0x00cffa000000ffff   /* 0x30 32-bit code, DPL3 */
cf_gdt_tss:
	.quad 0, 0                 /* 0x38 64-bit TSS (16 bytes) */
cf_gdt_end:
	.globl cf_gdt_desc32
cf_gdt_desc32:
	.word cf_gdt_end - cf_gdt - 1
	.long cf_gdt

	.globl cf_saved_rsp, cf_mb_info, cf_mb_magic
	.balign 8
cf_saved_rsp: .quad 0
cf_mb_info: .quad 0
cf_mb_magic: .quad 0

	.bss
	.balign 4096
	.globl cf_pml4
cf_pml4: .skip 4096
cf_pdpt: .skip 4096
cf_pd: .skip 4 * 4096
	.balign 16
	.skip 4096
cf_boot_stack_top:
	.skip 16384
	.globl cf_kstack_top
cf_kstack_top:

	.section .note.GNU-stack, "", @progbits
