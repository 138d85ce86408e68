/* Checks the multiboot entry state a loader must give [Multiboot
 * Specification 0.6.96, 3.2 and 3.3] and reports over COM1:
 *   - EAX = 0x2BADB002, else exit value 0x11;
 *   - CS/DS/ES/SS reload from the GDT the loader left (GDTR), else a fault;
 *   - info flags announce a command line (bit 2) and a memory map (bit 6),
 *     else exit value 0x12;
 * then prints "cmdline=<the command line>\n" and "mem_upper=<hex>\n" and
 * exits with 0x10 (status 0x21). */
	.code32
	.text
	.globl _start
	.balign 4
mb_header:
	.long 0x1badb002
	.long 0
	.long -0x1badb002
_start:
	cmp $0x2badb002, %eax
	jne bad_magic
	ljmp $0x08, $1f         /* reload CS from the loader's GDT */
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $stack_top, %esp
	mov (%ebx), %eax
	and $0x44, %eax
	cmp $0x44, %eax
	jne bad_flags
	mov $s_cmdline, %esi
	call puts
	mov 16(%ebx), %esi
	call puts
	mov $'\n', %al
	call putc
	mov $s_mem, %esi
	call puts
	mov 8(%ebx), %edx
	call puthex
	mov $'\n', %al
	call putc
	mov $0x10, %eax
	jmp done
bad_magic:
	mov $0x11, %eax
	jmp done
bad_flags:
	mov $0x12, %eax
done:	out %eax, $0xf4
2:	hlt
	jmp 2b

/* putc(AL): polled COM1 output */
putc:	push %edx
	push %eax
	mov $0x3fd, %dx
1:	in %dx, %al
	test $0x20, %al
	jz 1b
	pop %eax
	mov $0x3f8, %dx
	out %al, %dx
	pop %edx
	ret

/* puts(ESI): NUL-terminated string */
puts:	movzbl (%esi), %eax
	test %al, %al
	jz 1f
	call putc
	inc %esi
	jmp puts
1:	ret

/* puthex(EDX): 8 hex digits */
puthex:	mov $8, %ecx
1:	rol $4, %edx
	mov %edx, %eax
	and $0xf, %eax
	movzbl hexdigits(%eax), %eax
	call putc
	loop 1b
	ret

hexdigits: .ascii "0123456789abcdef"
s_cmdline: .asciz "cmdline="
s_mem:	.asciz "mem_upper="
	.balign 16
	.fill 256, 1, 0
stack_top:
