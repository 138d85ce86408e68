/* A tight loop (one decoded block that branches to its own start). */
#include "guest.inc"
	.code64
	.text
	mov $1000, %ecx
1:	add %ecx, %eax
	dec %ecx
	jnz 1b
	hlt
