/* 32-bit protected-mode probes (see intr_probe64.S): the host points EIP
 * at a probe; IDT gates point at the handler table at +0x1000 (`hlt;
 * iret; nop; nop` at +0x1000 + 4*v) or, for vectors with an error code,
 * at +0x800 + 8*v (`hlt; add $4,%esp; iret`). +0x700 is a handler for
 * CPL3 (it stops with an OUT, IOPL=3). */
#include "guest.inc"
	.code32
	.text
	.org 0x000
	int $0x40		/* +0x000 */
	hlt			/* +0x002 */
	.org 0x010
	int3			/* +0x010 */
	hlt
	.org 0x020
	.byte 0xf1		/* +0x020: ICEBP */
	hlt
	.org 0x030
	into			/* +0x030 */
	hlt			/* +0x031 */
	.org 0x040
	int $0x80		/* +0x040: from CPL3 */
	out %al, $0x10		/* +0x042 */
	.org 0x050
	int $0x41		/* +0x050 */
	hlt
	.org 0x060
	iret			/* +0x060: a frame the test wrote */
	.org 0x070
	ud2			/* +0x070 */
	hlt
	.org 0x080
	/* +0x080: the handler loads a DPL0 data segment into ES, then
	 * IRETs to CPL3, which makes ES null [SDM Vol. 2 IRET]. */
	mov $0x10, %eax
	mov %eax, %es
	iret
	.org 0x090
	iretw			/* +0x090: 16-bit IRET (16-bit gate handler) */

	.org 0x0a0
	mov (%eax), %ebx	/* +0x0a0: read at EAX */
	hlt			/* +0x0a2 */
	.org 0x0b0
	mov %ebx, (%eax)	/* +0x0b0: write at EAX */
	hlt			/* +0x0b2 */

	.org 0x0c0
	jmp *%eax		/* +0x0c0: fetch at EAX */

	.org 0x700
	out %al, $0x11		/* +0x700: CPL3 handler */
	hlt

	.org 0x800
	.rept 32
	.balign 8
	hlt
	add $4, %esp
	iret
	.endr

	.org 0x1000
	.rept 256
	hlt
	iret
	nop
	nop
	.endr
