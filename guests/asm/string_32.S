/* String instructions with 16-bit addressing (67) in 32-bit code. */
#include "guest.inc"
	.code32
	.text
	.byte 0x67, 0xf3, 0xa4		/* rep movsb with SI/DI/CX */
	hlt
	.org 0x10
	.byte 0x67, 0xf3, 0xae		/* repe scasb with DI/CX */
	hlt
	.org 0x20
	rep movsl			/* 32-bit addressing */
	hlt
