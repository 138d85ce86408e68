/* MOV/LEA/XCHG/XLAT/NOP snippets in 64-bit mode. Each starts at a fixed
 * offset from TH_CODE (the test sets RIP there and presets registers) and
 * ends with HLT. Expected values are in tests/test_move.c. */
#include "guest.inc"
	.code64
	.text

/* 0x000: register forms of MOV */
	movabs $0x1122334455667788, %rax	/* 48 B8 io */
	movq $-1, %rdx				/* C7 /0, imm32 sign-extended */
	movq $-1, %r9
	movq $-1, %r10
	mov %rax, %rbx				/* 89 */
	mov %eax, %ecx				/* 89, zero-extends */
	mov %ax, %dx				/* 66 89 */
	mov %al, %dh				/* 88, DH without REX */
	movb $0x12, %bh				/* B7 ib */
	movl $0xfedcba98, %esi			/* BE id */
	movb $0xaa, %sil			/* 40 B6: SIL with REX */
	movw $0x1234, %di			/* 66 BF iw */
	mov %rbx, %r8
	mov %ebx, %r9d
	movw $0x7777, %r10w
	movb $0x5a, %r11b			/* 41 B3 */
	.byte 0x4d, 0x8b, 0xe2			/* mov r12, r10 (8B) */
	.byte 0x45, 0x8b, 0xe9			/* mov r13d, r9d (8B) */
	.byte 0x66, 0x44, 0x8b, 0xf2		/* mov r14w, dx (8B) */
	.byte 0x8a, 0xcf			/* mov cl, bh (8A) */
	hlt

/* 0x100: MOV with memory (RSI=0x200000, RCX=1, RDI=-1, RDX=-1 preset) */
	.org 0x100
	movabs $0x8877665544332211, %rax
	mov %rax, 0x200000			/* SIB without base */
	mov %rax, 8(%rsi)			/* base + disp8 */
	mov %eax, 16(%rsi,%rcx,8)		/* base + index*8 + disp8 */
	mov %ax, 0x20(%rsi)
	mov %al, 0x28(%rsi)
	mov %ah, 0x29(%rsi)
	mov 8(%rsi), %rbx
	mov 16(%rsi,%rcx,8), %edx
	mov 0x20(%rsi), %di
	mov 0x29(%rsi), %ch
	movq $-2, 0x30(%rsi)
	movl $0x12345678, 0x38(%rsi)
	movw $0xbeef, 0x3c(%rsi)
	movb $0x7f, 0x3e(%rsi)
	mov 1f(%rip), %r11			/* RIP-relative */
	movl 1f(%rip), %r12d
	mov 0x200000, %r13
	mov (%rsi,%rcx,8), %r14			/* no displacement */
	hlt
	.balign 8
1:	.quad 0xdeadbeefcafebabe

/* 0x200: moffs forms (FS.base = 0x200000 preset) */
	.org 0x200
	movabs 0x200100, %rax			/* 48 A1 moffs64 */
	movabs %rax, 0x200108			/* 48 A3 */
	mov %rax, %rbx
	movabs 0x200101, %al			/* A0 */
	mov %rax, %rcx
	.byte 0x67, 0xa1			/* mov eax, [moffs32] */
	.long 0x200104
	mov %rax, %rdx
	.byte 0x64, 0x48, 0xa1			/* mov rax, fs:[0x10] */
	.quad 0x10
	.byte 0x66, 0xa3			/* mov [moffs64], ax */
	.quad 0x200110
	hlt

/* 0x300: LEA (RSI=0x100001000, RCX=3, RDX=-1, RDI=0xfffffff0 preset) */
	.org 0x300
	lea 0(%rip), %r9			/* 7 bytes: r9 = TH_CODE+0x307 */
	lea 0x10(%rsi,%rcx,4), %rax
	lea -8(%rsi), %ebx
	lea (%rsi,%rcx), %dx
	.byte 0x67, 0x4c, 0x8d, 0x44, 0x8e, 0x10	/* lea r8, [esi+ecx*4+0x10] */
	lea 0x7fffffff(%rsi), %r10
	.byte 0x67, 0x48, 0x8d, 0x4f, 0x20	/* lea rcx, [edi+0x20] */
	hlt

/* 0x400: XCHG (RAX=1.., RBX=2.., RCX=3.., RDX=4.., R8=8.., RDI=6..,
 * RSI=0x200000, [0x200000]=5.. preset) */
	.org 0x400
	.byte 0x48, 0x93			/* xchg rax, rbx (90+r) */
	.byte 0x48, 0x87, 0xca			/* xchg rcx, rdx (87) */
	.byte 0x90				/* nop */
	.byte 0x48, 0x90			/* REX.W 90: nop */
	.byte 0xf3, 0x90			/* pause */
	.byte 0x66, 0x90			/* 66 90: nop */
	mov %rax, %r9
	.byte 0x48, 0x87, 0x3e			/* xchg rdi, [rsi] */
	.byte 0x41, 0x90			/* xchg eax, r8d */
	.byte 0x86, 0xe3			/* xchg bl, ah */
	.byte 0x87, 0xd2			/* xchg edx, edx */
	.byte 0x66, 0x87, 0x0e			/* xchg cx, [rsi] */
	hlt

/* 0x500: hint NOPs, FWAIT, XLAT (RCX non-canonical, RBX=0x200200,
 * RAX=...ff05, FS.base=0x200000 preset; [0x200200+i] = 3*i) */
	.org 0x500
	.byte 0x0f, 0x19, 0xc0			/* hint nop, register form */
	.byte 0x0f, 0x18, 0x01			/* prefetchnta [rcx] */
	.byte 0x0f, 0x1f, 0x41, 0x10		/* nop dword [rcx+0x10] */
	.byte 0x0f, 0x0d, 0x09			/* prefetchw [rcx] */
	.byte 0x0f, 0x1e, 0xfa			/* endbr64 */
	.byte 0x0f, 0x19, 0x04, 0x25, 0, 0, 0, 0xc0 /* hint nop [0xffffffffc0000000] */
	fwait
	xlat
	mov %rax, %rdx
	movabs $0x100200200, %rbx
	.byte 0x67, 0xd7			/* xlat with EBX */
	mov %rax, %rsi
	movl $0x200, %ebx
	.byte 0x64, 0xd7			/* fs: xlat */
	hlt

/* 0x600..: instructions that must fault */
	.org 0x600
	.byte 0x48, 0x8d, 0xc0			/* lea rax, rax: #UD */
	hlt
	.org 0x640
	fwait					/* #NM with CR0.MP=TS=1 */
	hlt
	.org 0x680
	.byte 0xc6, 0xc8, 0x00			/* C6 /1: #UD */
	hlt
	.org 0x6c0
	.byte 0x8f, 0xc8			/* 8F /1: #UD */
	hlt
	.org 0x700
	.byte 0xc7, 0xc8, 0, 0, 0, 0		/* C7 /1: #UD */
	hlt
	.org 0x740
	.byte 0x0f, 0x0d, 0xc8			/* prefetchw with a register: #UD */
	hlt
