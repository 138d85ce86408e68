/* Snippets for the 64-bit system-instruction tests (tests/test_sys.c,
 * tests/test_seg.c). Each sits at a fixed offset (SNIP n = TH_CODE +
 * 0x20 * n); a test presets registers, points RIP at one and runs until
 * HLT (at CPL0) or until UD2 sends a CPL3 snippet into the #UD stub. */
#include "guest.inc"
	.code64
	.text

.macro SNIP n
	.org 0x20 * \n
.endm

	SNIP 0		/* segment loads: BX = selector */
	mov %bx, %ds
	hlt
	SNIP 1
	mov %bx, %ss
	hlt
	SNIP 2
	mov %bx, %es
	hlt
	SNIP 3
	mov %bx, %fs
	hlt
	SNIP 4
	mov %bx, %gs
	hlt
	SNIP 5		/* POP FS from the stack */
	push %rbx
	pop %fs
	hlt
	SNIP 6		/* MOV from Sreg: register forms, memory at RDI */
	mov %ds, %eax
	mov %es, %cx
	mov %fs, %rdx
	movw %ds, (%rdi)
	hlt
	SNIP 8		/* CPL3: far call through m16:32 at RAX */
	lcall *(%rax)
	ud2
	SNIP 9		/* CPL0 call-gate target */
	hlt
	lretq
	SNIP 10
	swapgs
	hlt
	SNIP 11		/* CPL3 */
	syscall
	ud2
	SNIP 12		/* CPL0, LSTAR */
	hlt
	sysretq
	SNIP 13
	mov %rax, %cr0
	hlt
	SNIP 14
	mov %rax, %cr4
	hlt
	SNIP 15
	mov %rax, %cr3
	hlt
	SNIP 16
	mov %rax, %cr8
	mov %cr8, %rbx
	hlt
	SNIP 17		/* DR4 = DR6 alias with CR4.DE = 0 */
	mov %rax, %dr4
	mov %dr4, %rbx
	mov %dr6, %rcx
	hlt
	SNIP 18		/* DR5 = DR7 alias */
	mov %rax, %dr5
	mov %dr7, %rbx
	mov %dr5, %rcx
	hlt
	SNIP 19
	wrmsr
	mov $0, %eax
	mov $0, %edx
	rdmsr
	hlt
	SNIP 20
	rdmsr
	hlt
	SNIP 21
	cpuid
	hlt
	SNIP 22		/* POPF with RBX, image back in RCX */
	push %rbx
	popfq
	pushfq
	pop %rcx
	ud2
	SNIP 23
	cli
	ud2
	SNIP 24
	sti
	ud2
	SNIP 25
	in $0x71, %al
	in (%dx), %ax
	in (%dx), %eax
	ud2
	SNIP 26
	out %al, $0x80
	out %ax, (%dx)
	out %eax, (%dx)
	ud2
	SNIP 27
	hlt
	ud2
	SNIP 28		/* descriptor-table registers: store at RDI, load from RSI */
	sgdt (%rdi)
	sidt 16(%rdi)
	lgdt (%rsi)
	sgdt 32(%rdi)
	hlt
	SNIP 29
	ltr %bx
	str %ecx
	hlt
	SNIP 30
	lar %bx, %ecx
	hlt
	SNIP 31
	lsl %bx, %edx
	hlt
	SNIP 32
	verr %bx
	hlt
	SNIP 33
	verw %bx
	hlt
	SNIP 34
	fld1
	hlt
	SNIP 35		/* far return, same privilege */
	lretq
	SNIP 36
	rep insb
	hlt
	SNIP 37
	rep outsw
	hlt
	SNIP 38
	rdtsc
	mov %eax, %ebx
	rdtsc
	hlt
	SNIP 39
	lss (%rax), %esp
	hlt
	SNIP 40
	push %fs
	pushw %gs
	hlt
	SNIP 41
	wrfsbase %rax
	rdfsbase %rbx
	hlt
	SNIP 42
	invlpg (%rax)
	hlt
	SNIP 43
	rdtscp
	hlt
	SNIP 44
	smsw %eax
	smsw %bx
	hlt
	SNIP 45
	clts
	hlt
	SNIP 46
	lldt %bx
	sldt %ecx
	hlt
	SNIP 47		/* far jump through m16:32 at RAX */
	ljmp *(%rax)
	SNIP 48		/* CPL3: far call through m16:64 at RAX */
	rex.w lcall *(%rax)
	ud2
	SNIP 49
	mov %rax, %dr0
	mov %rbx, %dr7
	mov %rcx, %dr6
	mov %dr0, %rdx
	mov %dr7, %rsi
	mov %dr6, %rdi
	hlt
	SNIP 50
	mov %cr0, %rbx
	mov %cr4, %rcx
	mov %cr3, %rdx
	hlt
	SNIP 51
	mov %rax, %dr8
	hlt
	SNIP 52		/* MOV to CR1 and CR9 do not exist */
	.byte 0x0f, 0x22, 0xc8
	hlt
	SNIP 53
	.byte 0x44, 0x0f, 0x22, 0xc8
	hlt
	SNIP 54		/* read [RAX], rewrite the PDE at RCX, INVLPG, read again */
	mov (%rax), %bl
	mov %rdx, (%rcx)
	invlpg (%rax)
	mov (%rax), %bh
	hlt
	SNIP 55
	lmsw %ax
	hlt
	SNIP 56		/* interrupt shadows */
	sti
	nop
	nop
	hlt
	SNIP 57
	mov %bx, %ss
	nop
	nop
	hlt
	SNIP 58
	mov %bx, %ss
	mov %bx, %ss
	nop
	nop
	hlt
	SNIP 59
	sysretl
	SNIP 60		/* fences and CLFLUSH: no architectural effect */
	lfence
	mfence
	sfence
	clflush (%rax)
	wbinvd
	invd
	hlt
