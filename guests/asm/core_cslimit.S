/* 32-bit code: the MOV at 0x0d is 5 bytes, ending at 0x11; with the CS
 * limit set to 0x10 (relative to base 0 + TH_CODE...) by the test, its
 * last bytes lie beyond the limit: #GP(0) with EIP on it [SDM 6.3]. */
#include "guest.inc"
	.code32
	.text
	mov $0x11111111, %ebx     /* 0x00: 5 bytes, runs */
	nop                       /* 0x05 */
	nop
	nop
	nop
	nop
	nop
	nop
	nop                       /* 0x0c */
	mov $0x22222222, %ecx     /* 0x0d: crosses the limit */
	hlt
	.org 0x40
gp_handler:                       /* record EIP and error code, stop */
	pop %eax                  /* error code */
	mov %eax, 0x80000
	pop %eax                  /* EIP */
	mov %eax, 0x80004
	hlt
