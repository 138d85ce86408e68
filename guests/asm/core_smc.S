/* Self-modifying code inside one decoded block: the store rewrites the
 * immediate of the next MOV, which must execute with the new bytes
 * [SDM 11.6: a write to a code byte is seen by the next fetch]. Then a
 * data store to the same page but away from any code. */
#include "guest.inc"
	.code64
	.text
	movl $0x99999999, patch+1(%rip)
patch:
	mov $0x11111111, %eax
	movl $0x5a5a5a5a, data(%rip)
	hlt
	.org 0x800
data:	.long 0
