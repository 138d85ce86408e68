/* A minimal multiboot (v1) kernel: prints "hello\n" on COM1 with polled
 * output and ends the run through isa-debug-exit with 0x10 (process exit
 * status (0x10 << 1) | 1 = 0x21). Entered in 32-bit protected mode
 * [Multiboot Specification 0.6.96, 3.2]. Built as an ELF32 executable
 * linked at 1 MiB, as QEMU's -kernel expects. */
	.code32
	.text
	.globl _start
	.balign 4
mb_header:                      /* [spec 3.1.1] magic, flags, checksum */
	.long 0x1badb002
	.long 0
	.long -0x1badb002
_start:
	mov $msg, %esi
	mov $msg_end - msg, %ecx
1:	mov $0x3fd, %dx         /* LSR: wait for THRE (bit 5) [PC16550D 8.4] */
2:	in %dx, %al
	test $0x20, %al
	jz 2b
	mov (%esi), %al
	mov $0x3f8, %dx         /* THR */
	out %al, %dx
	inc %esi
	loop 1b
	mov $0x10, %eax
	out %eax, $0xf4         /* isa-debug-exit */
3:	hlt                     /* not reached under a VMM with the exit port */
	jmp 3b
msg:	.ascii "hello\n"
msg_end:
