/* The 8259 pair and the 8254 as a PC kernel programs them [8259A data
 * sheet; 82C54 data sheet], interrupts reaching the CPU through LINT0 in
 * ExtINT (virtual-wire) mode, which the firmware leaves:
 *   1. ICW1-4 remap the master to vectors 0x20-0x27, the slave to
 *      0x28-0x2f; all inputs masked but IRQ 0;
 *   2. PIT channel 0 in mode 2 with count 1193 (~1 ms): three IRQ 0
 *      interrupts woken from HLT, each ended with a non-specific EOI;
 *   3. IRQ 0 masked again: the next timer edge only sets IRR (read back
 *      with OCW3), no interrupt;
 *   4. channel 2 in mode 0 gated through port 0x61: OUT2 (bit 5) is low
 *      after the count is written, high once it ran out.
 * Results go to RES; the run ends by writing the IRQ 0 count to 0xf4. */
	.code32
	.text
	.globl _start
	.balign 4
mb_header:
	.long 0x1badb002
	.long 0
	.long -0x1badb002

	.set RES, 0x6000
	/* RES: 0 IRQ 0 interrupts, 4 TSC at each of them (3 x 8), 28 master
	 * IRR after step 3 (OCW3 read IRR), 32 port 0x61 after loading
	 * channel 2, 36 port 0x61 after it ran out, 40 master ISR inside the
	 * handler. */

_start:
	mov $0x7000, %esp
	mov $0x20, %ecx
	mov $irq0_isr, %eax
	call set_gate
	lidt idtr

	/* 1. remap */
	mov $0x11, %al                  /* ICW1: edge, cascade, ICW4 */
	out %al, $0x20
	out %al, $0xa0
	mov $0x20, %al                  /* ICW2: vector bases */
	out %al, $0x21
	mov $0x28, %al
	out %al, $0xa1
	mov $0x04, %al                  /* ICW3: slave on IR2 */
	out %al, $0x21
	mov $0x02, %al
	out %al, $0xa1
	mov $0x01, %al                  /* ICW4: 8086 mode */
	out %al, $0x21
	out %al, $0xa1
	mov $0xfe, %al                  /* OCW1: only IRQ 0 */
	out %al, $0x21
	mov $0xff, %al
	out %al, $0xa1

	/* 2. PIT channel 0, mode 2, count 1193 */
	mov $0x34, %al                  /* channel 0, LSB then MSB, mode 2 */
	out %al, $0x43
	mov $1193 & 0xff, %al
	out %al, $0x40
	mov $1193 >> 8, %al
	out %al, $0x40
	sti
1:	hlt
	cmpl $3, RES
	jb 1b
	cli

	/* 3. mask IRQ 0; wait for the next edge; IRR shows it */
	mov $0xff, %al
	out %al, $0x21
	rdtsc
	mov %eax, %ebx
2:	rdtsc
	sub %ebx, %eax
	cmp $2000000, %eax              /* 2 ms of TSC at 1 GHz */
	jb 2b
	mov $0x0a, %al                  /* OCW3: read IRR */
	out %al, $0x20
	in $0x20, %al
	movzbl %al, %eax
	mov %eax, RES + 28

	/* 4. channel 2, mode 0, count 100, gate on */
	mov $0x01, %al                  /* gate 2 high, speaker off */
	out %al, $0x61
	mov $0xb0, %al                  /* channel 2, LSB/MSB, mode 0 */
	out %al, $0x43
	mov $100, %al
	out %al, $0x42
	xor %al, %al
	out %al, $0x42
	in $0x61, %al
	movzbl %al, %eax
	mov %eax, RES + 32
3:	in $0x61, %al
	test $0x20, %al
	jz 3b
	movzbl %al, %eax
	mov %eax, RES + 36

	mov RES, %eax
	out %eax, $0xf4
4:	hlt
	jmp 4b

set_gate:
	lea idt(,%ecx,8), %edx
	mov %ax, (%edx)
	movw $0x08, 2(%edx)
	movw $0x8e00, 4(%edx)
	shr $16, %eax
	mov %ax, 6(%edx)
	ret

irq0_isr:
	push %eax
	push %edx
	push %ecx
	mov $0x0b, %al                  /* OCW3: read ISR */
	out %al, $0x20
	in $0x20, %al
	movzbl %al, %eax
	mov %eax, RES + 40
	rdtsc
	mov RES, %ecx
	mov %eax, RES + 4(,%ecx,8)
	mov %edx, RES + 8(,%ecx,8)
	incl RES
	mov $0x20, %al                  /* OCW2: non-specific EOI */
	out %al, $0x20
	pop %ecx
	pop %edx
	pop %eax
	iret

	.data
	.balign 8
idtr:
	.word 256 * 8 - 1
	.long idt
	.balign 8
idt:
	.fill 256, 8, 0
