/* Near branches in 32-bit protected mode at fixed offsets from TH_CODE;
 * the test places small stubs in low memory for the 16-bit-truncated
 * targets. Expected values: tests/test_flow.c. */
#include "guest.inc"
	.code32
	.text

/* 0x000: CALL rel32 / RET push and pop 4 bytes */
	call 1f
	hlt
1:	mov (%esp), %eax
	mov %esp, %ecx
	ret

/* 0x040: CALL rel16 (66 E8): pushes IP (2 bytes), EIP = target & 0xffff.
 * Next EIP 0x100044 -> IP 0x0044; 0x0044 + 0x4fbc = 0x5000. */
	.org 0x40
	.byte 0x66, 0xe8
	.word 0x4fbc
	hlt

/* 0x080: RET with 16-bit operand size (66 C3) pops 2 bytes */
	.org 0x80
	.byte 0x66, 0xc3

/* 0x0c0: JMP rel8 with 66: target truncated to 16 bits:
 * (0x1000c3 + 0x10) & 0xffff = 0x00d3 */
	.org 0xc0
	.byte 0x66, 0xeb, 0x10

/* 0x100: a JMP beyond the CS limit (set to 0x1fffff by the test) */
	.org 0x100
	jmp . + 0x200000
	hlt

/* 0x140: LOOP/JCXZ with 16-bit address size (67): CX only */
	.org 0x140
	.byte 0x67, 0xe2, 0x00		/* loop with CX: 1 -> 0 */
	mov %ecx, %ebx
	.byte 0x67, 0xe3, 0x02		/* jcxz: CX = 0, taken */
	mov %eax, %edi			/* skipped */
	.byte 0x66, 0xe8, 0x00, 0x00	/* call rel16 to the next insn */
	.byte 0x66, 0x5a		/* pop dx: the 16-bit return IP */
	hlt

/* 0x200: Jcc rel32 and rel8 in 32-bit code (ZF=1, CF=0 preset) */
	.org 0x200
	je 1f
	mov $0xbad, %eax
1:	.byte 0x0f, 0x85		/* jne rel32: not taken */
	.long 2f - . - 4
	.byte 0x0f, 0x83		/* jae rel32: taken */
	.long 3f - . - 4
2:	mov $0xbad, %ebx
3:	hlt

/* 0x400: 32-bit #GP stub: vector, error code, EIP, CS, EFLAGS at 0x6000 */
	.org 0x400
	movl $13, 0x6000
	popl 0x6008
	popl 0x6010
	popl 0x6018
	popl 0x6020
	hlt
