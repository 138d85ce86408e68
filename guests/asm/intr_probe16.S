/* Real-mode and virtual-8086 probes, loaded at 0x8000 and run with
 * CS=0x0800 (position-independent). IVT handler v is `hlt; iret; nop;
 * nop` at CS:0x1000 + 4*v. */
#include "guest.inc"
	.code16
	.text
	.org 0x000
	int $0x40		/* +0x000 */
	hlt			/* +0x002 */
	.org 0x010
	.byte 0xf1		/* +0x010: ICEBP */
	hlt			/* +0x011 */
	.org 0x020
	int3			/* +0x020 */
	hlt			/* +0x021 */
	.org 0x030
	int $0x40		/* +0x030: virtual-8086 mode */
	int $0x41		/* +0x032 */
	.org 0x040
	ud2			/* +0x040 */
	.org 0x050
	into			/* +0x050 */
	hlt			/* +0x051 */

	.org 0x1000
	.rept 256
	hlt
	iret
	nop
	nop
	.endr
