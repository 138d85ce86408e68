/* Both backends: an OUT the VMM sees, then HLT. */
#include "guest.inc"
	.code64
	.text
	mov $0x5a, %eax
	mov $0x1234, %ebx
	out %al, $0x10
	add %ebx, %eax
	hlt
