/* Raising CR8 runs on; lowering it exits with KVM_EXIT_SET_TPR after the
 * MOV (no in-kernel APIC). */
#include "guest.inc"
	.code64
	.text
	mov $5, %eax
	mov %rax, %cr8
	mov $2, %eax
	mov %rax, %cr8
after_lower:
	hlt
