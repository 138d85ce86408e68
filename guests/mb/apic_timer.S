/* Local APIC through the xAPIC page [SDM Vol. 3A ch. 10], in 32-bit
 * protected mode with interrupts taken through a 32-bit IDT:
 *   1. one-shot timer, divide by 1, 100000 ticks, woken from HLT;
 *   2. periodic timer, 50000 ticks, three interrupts;
 *   3. TSC-deadline timer (IA32_TSC_DEADLINE, MSR 0x6E0): RDTSC + 30000;
 *   4. a fixed self-IPI (ICR, shorthand self) sent with IF=0: pending in
 *      the IRR, taken after STI; the handler sees it in the ISR.
 * Results (TSCs at each step) go to RES for the test to read; the run
 * ends by writing the number of self-IPI handler runs to port 0xf4. */
	.code32
	.text
	.globl _start
	.balign 4
mb_header:
	.long 0x1badb002
	.long 0
	.long -0x1badb002

	.set APIC, 0xfee00000
	.set RES, 0x6000
	/* RES layout (offsets): 0 TSC at arming the one-shot, 8 TSC in its
	 * handler, 16/24/32 TSC in three periodic handlers, 40 the deadline,
	 * 48 TSC in its handler, 56 IRR[95:64] after the self-IPI, 60
	 * ISR[95:64] in the IPI handler, 64 TMCCT after the one-shot, 68
	 * timer interrupts, 72 IRR[95:64] after the IPI was taken. */

_start:
	mov $0x7000, %esp
	mov $0x40, %ecx
	mov $timer_isr, %eax
	call set_gate
	mov $0x41, %ecx
	mov $ipi_isr, %eax
	call set_gate
	lidt idtr
	movl $0x1ff, APIC + 0xf0        /* SVR: software enable */

	/* 1. one-shot */
	movl $RES + 8, logp
	movl $0xb, APIC + 0x3e0         /* TDCR: divide by 1 */
	movl $0x40, APIC + 0x320        /* LVTT: one-shot, vector 0x40 */
	rdtsc
	mov %eax, RES + 0
	mov %edx, RES + 4
	movl $100000, APIC + 0x380      /* TMICT: start */
	sti
1:	hlt
	cmpl $1, RES + 68
	jb 1b
	cli
	mov APIC + 0x390, %eax          /* TMCCT: 0 once expired */
	mov %eax, RES + 64

	/* 2. periodic */
	movl $RES + 16, logp
	movl $0x20040, APIC + 0x320     /* LVTT: periodic */
	movl $50000, APIC + 0x380
	sti
2:	hlt
	cmpl $4, RES + 68
	jb 2b
	cli
	movl $0, APIC + 0x380           /* stop */

	/* 3. TSC-deadline */
	movl $RES + 48, logp
	movl $0x40040, APIC + 0x320     /* LVTT: TSC-deadline mode */
	rdtsc
	add $30000, %eax
	adc $0, %edx
	mov %eax, RES + 40
	mov %edx, RES + 44
	mov $0x6e0, %ecx
	wrmsr
	sti
3:	hlt
	cmpl $5, RES + 68
	jb 3b
	cli

	/* 4. self-IPI with IF=0 */
	movl $0x40041, APIC + 0x300     /* ICR: fixed, shorthand self, 0x41 */
	mov APIC + 0x220, %eax          /* IRR bits 95:64 */
	mov %eax, RES + 56
	sti
	nop
	cli
	mov APIC + 0x220, %eax
	mov %eax, RES + 72
	mov ipi_count, %eax
	out %eax, $0xf4
4:	hlt
	jmp 4b

/* 32-bit interrupt gate for vector ECX to EAX [SDM 6.11 Figure 6-2]. */
set_gate:
	lea idt(,%ecx,8), %edx
	mov %ax, (%edx)
	movw $0x08, 2(%edx)
	movw $0x8e00, 4(%edx)
	shr $16, %eax
	mov %ax, 6(%edx)
	ret

timer_isr:
	push %eax
	push %edx
	push %ecx
	rdtsc
	mov logp, %ecx
	mov %eax, (%ecx)
	mov %edx, 4(%ecx)
	addl $8, logp
	incl RES + 68
	movl $0, APIC + 0xb0            /* EOI */
	pop %ecx
	pop %edx
	pop %eax
	iret

ipi_isr:
	push %eax
	mov APIC + 0x120, %eax          /* ISR bits 95:64 */
	mov %eax, RES + 60
	incl ipi_count
	movl $0, APIC + 0xb0
	pop %eax
	iret

	.data
	.balign 8
idtr:
	.word 256 * 8 - 1
	.long idt
logp:
	.long 0
ipi_count:
	.long 0
	.balign 8
idt:
	.fill 256, 8, 0
