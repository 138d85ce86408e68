/* Near branches in real mode. Loaded at 0x8000, run with CS=0 IP=0x8000,
 * SS=0 SP=0x7000 (only relative branches). */
#include "guest.inc"
	.code16
	.text

	call 1f				/* E8 rel16: pushes 2 bytes */
	mov %ax, %dx
	mov $3, %cx
2:	mov %cx, %di
	movb %cl, 0x7100(%di)		/* records 3, 2, 1 at 0x7103.. */
	loop 2b				/* CX */
	.byte 0x66, 0xe8		/* call with 32-bit operand size: */
	.long 0				/* pushes 4 bytes (EIP) */
	popl %esi
	jcxz 3f
	mov $0xbad, %bp
3:	hlt
1:	mov (%bx), %ax			/* unused read, BX=0 */
	mov %sp, %bx
	mov %ss:(%bx), %ax		/* the return IP */
	ret
