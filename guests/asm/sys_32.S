/* Snippets for the 32-bit protected-mode system-instruction tests; same
 * convention as sys_64.S (SNIP n at TH_CODE + 0x20 * n). */
#include "guest.inc"
	.code32
	.text

.macro SNIP n
	.org 0x20 * \n
.endm

	SNIP 0		/* CPL3: two parameters, far call to gate 0xa3 */
	push $0x22222222
	push $0x11111111
	lcall $0xa3, $0
	ud2
	SNIP 2		/* CPL0 gate target */
	hlt
	lret $8
	SNIP 3		/* BX: selector for DS, then a read through DS */
	mov %bx, %ds
	mov (%eax), %ecx
	hlt
	SNIP 4
	bound %ecx, (%eax)
	hlt
	SNIP 5
	arpl %bx, (%eax)
	hlt
	SNIP 6
	lds (%eax), %ebx
	hlt
	SNIP 7		/* CPL3 */
	sysenter
	ud2
	SNIP 8		/* SYSENTER_EIP */
	hlt
	sysexit
	SNIP 9
	push %ds
	pop %es
	hlt
	SNIP 10		/* POPF with EBX, image back in ECX */
	push %ebx
	popfl
	pushfl
	pop %ecx
	ud2
	SNIP 11		/* CPL3: far call to a same-privilege gate 0xb3 */
	lcall $0xb3, $0
	ud2
	SNIP 12
	pushw %cs
	pushl %cs
	hlt
	SNIP 13		/* conforming target of the same-privilege gate */
	hlt
	lret
	SNIP 14
	ljmp $0x18, $SNIP_TARGET
SNIP_TARGET = TH_CODE + 0x20 * 15
	SNIP 15
	hlt
	SNIP 16
	mov %eax, %cr0
	hlt
	SNIP 17
	mov %bx, %ss
	hlt
	SNIP 18
	lgdtw (%eax)
	hlt
