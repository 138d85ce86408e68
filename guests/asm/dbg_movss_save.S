/* MOV SS whose memory operand hits data breakpoint 0, then NOP: the #DB
 * is held by the MOV SS shadow and delivered after the NOP with
 * DR6 = B0 [SDM 6.8.3; spec 4.2; seed 000 without TF]. The tests stop the
 * run right after the MOV SS (5 instructions) to save and restore state. */
#include "guest.inc"
	.code64
	.text
start:
	lea ss_word(%rip), %rax
	mov %rax, %dr0
	mov $0x70402, %rax          /* G0, R/W0=11 (read/write), LEN0=01 (2 bytes) */
	mov %rax, %dr7
	mov ss_word(%rip), %ss      /* 5th instruction: its read hits DR0 */
	nop
after_nop:
	hlt

	.org 0x100
db_handler:                         /* vector 1: record DR6 and RIP, stop */
	mov %dr6, %rax
	mov %rax, result_dr6(%rip)
	mov (%rsp), %rbx
	mov %rbx, result_rip(%rip)
	incq result_count(%rip)
	hlt

	.org 0x200
ss_word:	.word 0x10
	.org 0x208
result_dr6:	.quad 0
result_rip:	.quad 0
result_count:	.quad 0
