/* String instructions in real mode (loaded at 0x8000, CS=0, IP=0x8000;
 * DS/ES preset by the test). */
#include "guest.inc"
	.code16
	.text
	rep movsw
	rep stosb
	es lodsb			/* source segment override */
	hlt
