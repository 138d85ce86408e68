/* Spec §9 item 3, §2.3, §5: code breakpoints and RF; breakpoints merged
 * with single-step and data traps; data breakpoints by R/W, LEN and
 * alignment; I/O breakpoints with CR4.DE=0 and 1; REP strings. */
#include "scenario.inc"

#define EXEC(n) (DR7_G(n) | DR7_RW(n, RW_EXEC) | DR7_LEN(n, LEN_1))
#define WRITE(n, len) (DR7_G(n) | DR7_RW(n, RW_WRITE) | DR7_LEN(n, len))
#define RDWR(n, len) (DR7_G(n) | DR7_RW(n, RW_RW) | DR7_LEN(n, len))
#define IOBP(n, len) (DR7_G(n) | DR7_RW(n, RW_IO) | DR7_LEN(n, len))

/* ---- code breakpoints and RF [SDM 17.3.1.1; spec 3.9] ---- */

/* Without RF the breakpoint fires again on return: a fault re-executes the
 * instruction. After `maxev` events the handler disarms DR7. */
SCENARIO code_bp_refires, "SDM 17.3.1.1; spec 3.9", \
	"code breakpoint, handler leaves RF clear: the same #DB again on every return", \
	flags=CF_F_CPL3_OK, dr0=.Lcbr, dr7=DR7_FIXED|EXEC(0), maxev=3
.Lcbr:	nop
	DONE
	EXPECT_DB .Lcbr, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=0
	EXPECT_DB .Lcbr, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=0
	EXPECT_DB .Lcbr, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=0
END_SCENARIO

/* L0 enables a breakpoint as well as G0 [SDM 17.2.4]. */
SCENARIO code_bp_local, "SDM 17.2.4", "code breakpoint enabled by L0 (not G0): one #DB", \
	flags=CF_F_CPL3_OK, dr0=.Lcbl, dr7=DR7_FIXED|DR7_L(0), rf_on=DR6_B0
.Lcbl:	nop
	DONE
	EXPECT_DB .Lcbl, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* Address in DR0 but L0=G0=0: nothing [SDM 17.2.4]. */
SCENARIO code_bp_disabled, "SDM 17.2.4", "code breakpoint address loaded but not enabled: no #DB", \
	flags=CF_F_CPL3_OK, dr0=.Lcbd, dr7=DR7_FIXED|EXEC(1)
.Lcbd:	nop
	DONE
END_SCENARIO

/* All four breakpoints on four instructions: Bn tells which [SDM 17.2.3]. */
SCENARIO code_bp_all_four, "SDM 17.2.3, 17.2.4", "DR0-DR3 on four instructions: four #DBs, B0..B3", \
	flags=CF_F_CPL3_OK, dr0=.Lcb4a, dr1=.Lcb4b, dr2=.Lcb4c, dr3=.Lcb4d, \
	dr7=DR7_FIXED|EXEC(0)|EXEC(1)|EXEC(2)|EXEC(3), rf_on=0xf
.Lcb4a:	nop
.Lcb4b:	nop
.Lcb4c:	nop
.Lcb4d:	nop
	DONE
	EXPECT_DB .Lcb4a, DR6_ACTIVE_LOW | DR6_B0
	EXPECT_DB .Lcb4b, DR6_ACTIVE_LOW | DR6_B1
	EXPECT_DB .Lcb4c, DR6_ACTIVE_LOW | DR6_B2
	EXPECT_DB .Lcb4d, DR6_ACTIVE_LOW | DR6_B3
END_SCENARIO

/* Execute breakpoints match the first byte of the instruction, prefixes
 * included [spec 5.3; SDM 17.2.4]. */
SCENARIO code_bp_prefix, "spec 5.3; SDM 17.2.4", \
	"code breakpoint on the first prefix byte of a prefixed instruction: #DB at the instruction", \
	flags=CF_F_CPL3_OK, dr0=.Lcbp, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0
.Lcbp:	.byte 0x2e, 0x2e, 0x90     /* cs cs nop */
	DONE
	EXPECT_DB .Lcbp, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO code_bp_mid_insn, "spec 5.3; SDM 17.2.4", \
	"code breakpoint on a byte inside an instruction (its opcode after prefixes): no #DB", \
	flags=CF_F_CPL3_OK, dr0=.Lcbm+2, dr7=DR7_FIXED|EXEC(0)
.Lcbm:	.byte 0x2e, 0x2e, 0x90
	DONE
END_SCENARIO

/* RF=1 loaded by IRETQ suppresses the code breakpoint of exactly one
 * instruction; RF is cleared once it completes, so a breakpoint on the
 * next instruction fires [SDM 17.3.1.1; spec 3.9]. */
SCENARIO code_bp_rf_iret, "SDM 17.3.1.1; spec 3.9", \
	"IRETQ with RF=1 onto a code breakpoint: suppressed once; the next instruction's fires", \
	flags=CF_F_CPL3_OK, dr0=.Lcbi1, dr1=.Lcbi2, dr7=DR7_FIXED|EXEC(0)|EXEC(1), rf_on=0x3
	movq %rsp, %rdx
	movl %ss, %ecx
	pushq %rcx
	pushq %rdx
	pushfq
	orq $RFL_RF, (%rsp)
	movl %cs, %ecx
	pushq %rcx
	leaq .Lcbi1(%rip), %rax
	pushq %rax
	iretq
.Lcbi1:	nop
.Lcbi2:	nop
	DONE
	EXPECT_DB .Lcbi2, DR6_ACTIVE_LOW | DR6_B1, flmask=RFL_RF, flval=0
END_SCENARIO

/* POPF cannot set RF (it is not loaded by POPF [SDM Vol. 2 POPF]). */
SCENARIO code_bp_popf_rf, "SDM Vol. 2 POPF (RF not modified); SDM 17.3.1.1", \
	"POPF of an image with RF=1, then a code breakpoint: the #DB fires", \
	flags=CF_F_CPL3_OK, dr0=.Lcbf, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0
	pushfq
	orq $RFL_RF, (%rsp)
	popfq
.Lcbf:	nop
	DONE
	EXPECT_DB .Lcbf, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=0
END_SCENARIO

/* A code breakpoint on INT3: the fault comes first (priority 7 before
 * the instruction runs); with RF the INT3 then executes [SDM 6.9 Table
 * 6-2; 17.3.1.1]. */
SCENARIO code_bp_on_int3, "SDM 6.9 Table 6-2; SDM 17.3.1.1", \
	"code breakpoint on INT3: #DB at the INT3, then #BP after it", \
	flags=CF_F_CPL3_OK, dr0=.Lcb3, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0
.Lcb3:	int3
.Lcb3n:	DONE
	EXPECT_DB .Lcb3, DR6_ACTIVE_LOW | DR6_B0
	EXPECT_EXC 3, .Lcb3n
END_SCENARIO

/* ---- merged #DBs: "everything pending gets smushed together" [spec 2.3;
 * seeds 000, 001] ---- */

/* A data trap on instruction A and a code breakpoint on the next
 * instruction B: one #DB at B with B0|B1. */
SCENARIO merge_data_code, "spec 2.3 (Sean Christopherson, Dec 2025; Bochs event.cc)", \
	"write watchpoint hit by A + code breakpoint on B: one #DB at B with DR6 = B0|B1", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr1=.Lmdc2, \
	dr7=DR7_FIXED|WRITE(0, LEN_4)|EXEC(1), rf_on=DR6_B1
	movl $1, %eax
	movl %eax, cf_scratch(%rip)
.Lmdc2:	nop
	DONE
	EXPECT_DB .Lmdc2, DR6_ACTIVE_LOW | DR6_B0 | DR6_B1
END_SCENARIO

/* Single-step + data trap on the same instruction: one #DB, BS|B0. */
SCENARIO merge_tf_data, "spec 2.3", \
	"TF + write watchpoint on the same instruction: one #DB after it with DR6 = BS|B0", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr7=DR7_FIXED|WRITE(0, LEN_4)
	movl $1, %eax
	pushfq
	SET_TF
	movl %eax, cf_scratch(%rip)
.Lmtd1:	popfq
.Lmtd2:	DONE
	EXPECT_DB .Lmtd1, DR6_ACTIVE_LOW | DR6_BS | DR6_B0
	EXPECT_DB .Lmtd2, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* All three at one boundary: TF, a data trap of A, a code breakpoint on
 * B: one #DB at B with BS|B0|B1. */
SCENARIO merge_all_three, "spec 2.3 (code, data and single-step in one #DB)", \
	"TF + watchpoint hit by A + code breakpoint on B: one #DB at B with BS|B0|B1", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr1=.Lma32, \
	dr7=DR7_FIXED|WRITE(0, LEN_4)|EXEC(1), rf_on=DR6_B1
	movl $1, %eax
	pushfq
	SET_TF
	movl %eax, cf_scratch(%rip)
.Lma32:	popfq
.Lma33:	DONE
	EXPECT_DB .Lma32, DR6_ACTIVE_LOW | DR6_BS | DR6_B0 | DR6_B1
	EXPECT_DB .Lma33, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- data breakpoints: R/W and LEN [SDM 17.2.4, 17.2.5; spec 5.3] ---- */

SCENARIO wp_len1_hit, "SDM 17.2.4-17.2.5; spec 5.3", "1-byte write watchpoint, byte write to it: #DB after", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+3, dr7=DR7_FIXED|WRITE(0, LEN_1)
	movb $1, cf_scratch+3(%rip)
.Lw1h:	DONE
	EXPECT_DB .Lw1h, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO wp_len1_miss, "SDM 17.2.5; spec 5.3", "1-byte write watchpoint, writes to both neighbours: no #DB", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+3, dr7=DR7_FIXED|WRITE(0, LEN_1)
	movb $1, cf_scratch+2(%rip)
	movb $1, cf_scratch+4(%rip)
	DONE
END_SCENARIO

/* A misaligned access that overlaps the range partially still matches. */
SCENARIO wp_len2_straddle, "spec 5.3 (any overlapping byte matches); SDM 17.2.5", \
	"2-byte watchpoint on bytes 2-3, 4-byte write to bytes 1-4: #DB", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+2, dr7=DR7_FIXED|WRITE(0, LEN_2)
	movl $1, cf_scratch+1(%rip)
.Lw2s:	DONE
	EXPECT_DB .Lw2s, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO wp_len4_edges, "SDM 17.2.5; spec 5.3", \
	"4-byte watchpoint on bytes 4-7: writes to byte 3 and byte 8 miss, a write to byte 7 hits", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+4, dr7=DR7_FIXED|WRITE(0, LEN_4)
	movb $1, cf_scratch+3(%rip)
	movb $1, cf_scratch+8(%rip)
	movb $1, cf_scratch+7(%rip)
.Lw4e:	DONE
	EXPECT_DB .Lw4e, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* LEN=10b is 8 bytes on 64-bit processors [SDM 17.2.5; spec 1.3]. */
SCENARIO wp_len8, "SDM 17.2.5 (LEN 10B = 8 bytes); spec 1.3", \
	"8-byte watchpoint on bytes 8-15: a write to byte 16 misses, to byte 15 hits", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+8, dr7=DR7_FIXED|WRITE(0, LEN_8)
	movb $1, cf_scratch+16(%rip)
	movb $1, cf_scratch+15(%rip)
.Lw8:	DONE
	EXPECT_DB .Lw8, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* The low address bits are masked by LEN: DR0 = base+1 with LEN 4 covers
 * base..base+3 [SDM 17.2.5 "uses LENn to mask the lower address bits";
 * spec 5.3]. The SDM also says unaligned breakpoint addresses "do not
 * yield valid results". */
SCENARIO wp_unaligned_dr, "SDM 17.2.5; spec 5.3", \
	"4-byte watchpoint with DR0 = base+1: a write to base hits (low bits masked)", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+1, dr7=DR7_FIXED|WRITE(0, LEN_4), \
	unverified="unaligned DRn: the SDM says LEN masks the low bits but also that unaligned addresses do not yield valid results"
	movb $1, cf_scratch(%rip)
.Lwua:	DONE
	EXPECT_DB .Lwua, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* R/W=01 matches writes only; R/W=11 reads and writes, never fetches. */
SCENARIO wp_write_not_read, "SDM 17.2.4 (R/W 01: data writes only)", \
	"write watchpoint: a read misses, the write after it hits", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr7=DR7_FIXED|WRITE(0, LEN_4)
	movl cf_scratch(%rip), %eax
	movl %eax, cf_scratch(%rip)
.Lwwr:	DONE
	EXPECT_DB .Lwwr, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO wp_rw_read, "SDM 17.2.4 (R/W 11: reads or writes)", "read/write watchpoint: a read hits", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr7=DR7_FIXED|RDWR(0, LEN_4)
	movl cf_scratch(%rip), %eax
.Lwrr:	DONE
	EXPECT_DB .Lwrr, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO wp_rw_no_fetch, "SDM 17.2.4 (R/W 11: not instruction fetches)", \
	"read/write watchpoint on instruction bytes: executing them does not hit", \
	flags=CF_F_CPL3_OK, dr0=.Lwnf, dr7=DR7_FIXED|RDWR(0, LEN_4)
.Lwnf:	nop
	nop
	nop
	nop
	DONE
END_SCENARIO

/* An 8-byte read overlapping a 2-byte range at its start. */
SCENARIO wp_read_straddle, "spec 5.3 (partial overlap matches); SDM 17.2.5", \
	"2-byte read/write watchpoint on bytes 6-7, 8-byte read of bytes 3-10: #DB", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+6, dr7=DR7_FIXED|RDWR(0, LEN_2)
	movq cf_scratch+3(%rip), %rax
.Lwrs:	DONE
	EXPECT_DB .Lwrs, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* One instruction hitting two watchpoints reports both. */
SCENARIO wp_two_hits, "SDM 17.2.3 (B0-B3 per matching breakpoint)", \
	"a 2-byte write covering two 1-byte watchpoints: one #DB with B0|B1", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr1=cf_scratch+1, \
	dr7=DR7_FIXED|WRITE(0, LEN_1)|WRITE(1, LEN_1)
	movw $1, cf_scratch(%rip)
.Lw2h:	DONE
	EXPECT_DB .Lw2h, DR6_ACTIVE_LOW | DR6_B0 | DR6_B1
END_SCENARIO

/* A PUSH writes the stack: a watchpoint on the slot hits (the scenario
 * arms DR0 itself, CPL0, because the slot depends on RSP). maxev=1: the
 * handler then disarms DR7, before later pushes reuse the slot. */
SCENARIO wp_push, "SDM 17.2.4 (data writes of any instruction)", \
	"write watchpoint on the stack slot of a PUSH: #DB after the PUSH", maxev=1
	leaq -8(%rsp), %rax
	movq %rax, %dr0
	movl $(DR7_FIXED | WRITE(0, LEN_8)), %eax
	movq %rax, %dr7
	pushq %rbx
.Lwpu:	popq %rbx
	DONE
	EXPECT_DB .Lwpu, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* A watchpoint hit in the middle of REP STOSB is reported after that
 * iteration: RIP stays on the STOSB, pushed RF=1; the rest of the string
 * completes without another hit [spec 5.4; SDM 17.3.1.1 RF rules]. The
 * count stays below 64, clear of fast-string mode, where the SDM lets
 * interrupts and traps be taken a few iterations late [SDM 8.2.4]. */
SCENARIO wp_rep_midloop, "spec 5.4; SDM 17.3.1.1 (RF for traps between REP iterations)", \
	"REP STOSB over 4 bytes, watchpoint on byte 1: #DB with RIP=STOSB and RF=1, then done", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch+65, dr7=DR7_FIXED|WRITE(0, LEN_1)
	leaq cf_scratch+64(%rip), %rdi
	movl $4, %ecx
	movb $0x5a, %al
	cld
.Lwrm:	rep stosb
	cmpq $0, %rcx
	CHECK e
	cmpl $0x5a5a5a5a, cf_scratch+64(%rip)
	CHECK e
	DONE
	EXPECT_DB .Lwrm, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* ---- I/O breakpoints [SDM 17.2.4 (R/W 10 with CR4.DE=1); spec 5.2] ---- */

SCENARIO io_bp_out, "SDM 17.2.4; spec 5.2", "CR4.DE=1, I/O breakpoint on port 0x80: OUT traps after it", \
	flags=CF_F_CPL3_OK|CF_F_CR4_DE, dr0=0x80, dr7=DR7_FIXED|IOBP(0, LEN_1)
	xorl %eax, %eax
	outb %al, $0x80
.Liob:	DONE
	EXPECT_DB .Liob, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO io_bp_in_len4, "SDM 17.2.4-17.2.5; spec 5.2", \
	"CR4.DE=1, 4-byte I/O breakpoint on 0x3fc-0x3ff: IN from 0x3fd traps", \
	flags=CF_F_CPL3_OK|CF_F_CR4_DE, dr0=0x3fc, dr7=DR7_FIXED|IOBP(0, LEN_4)
	movl $0x3fd, %edx
	inb %dx, %al
.Liob4:	DONE
	EXPECT_DB .Liob4, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

SCENARIO io_bp_miss, "SDM 17.2.4-17.2.5; spec 5.2", \
	"CR4.DE=1, 1-byte I/O breakpoint on 0x80: IN from 0x81 does not trap", \
	flags=CF_F_CPL3_OK|CF_F_CR4_DE, dr0=0x80, dr7=DR7_FIXED|IOBP(0, LEN_1)
	inb $0x81, %al
	DONE
END_SCENARIO

/* R/W=10 without CR4.DE is undefined [SDM 17.2.4]; Bochs and KVM ignore
 * it, which is what we expect. */
SCENARIO io_bp_de0, "SDM 17.2.4 (R/W 10 undefined without CR4.DE); spec 5.2 (Bochs)", \
	"CR4.DE=0 with R/W=10 on port 0x80: OUT does not trap", \
	flags=CF_F_CPL3_OK, dr0=0x80, dr7=DR7_FIXED|IOBP(0, LEN_1), \
	unverified="R/W=10 with CR4.DE=0 is undefined in the SDM; Bochs ignores it (spec 5.2)"
	xorl %eax, %eax
	outb %al, $0x80
	DONE
END_SCENARIO

/* ---- priorities at one instruction [SDM 6.9 Table 6-2] ---- */

/* A code breakpoint on an instruction that is also #UD: the breakpoint
 * (priority 7) comes before the decode fault (priority 9); with RF set the
 * retry raises #UD, which pushes RF=1 like every fault [SDM 17.3.1.1]. */
SCENARIO code_bp_before_ud, "SDM 6.9 Table 6-2 (code breakpoint before decode faults); SDM 17.3.1.1", \
	"code breakpoint on UD2: #DB at it first, then #UD at it", \
	flags=CF_F_CPL3_OK, dr0=.Lcbu, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0, resume=.Lcbu_after
.Lcbu:	ud2
.Lcbu_after:
	DONE
	EXPECT_DB .Lcbu, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=0
	EXPECT_EXC 6, .Lcbu, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* TF on a MOV to DR7 that arms a code breakpoint on the next instruction:
 * the step trap and the new breakpoint meet at the same boundary and
 * arrive as one #DB [spec 2.3; seed 001]. */
SCENARIO merge_tf_new_code_bp, "spec 2.3; seed 001; SDM 17.2.4", \
	"TF + MOV DR7 arming a code breakpoint on the next instruction: one #DB there with BS|B0", \
	dr0=.Lmnc1, rf_on=DR6_B0
	movl $(DR7_FIXED | EXEC(0)), %eax
	pushfq
	SET_TF
	movq %rax, %dr7
.Lmnc1:	popfq
.Lmnc2:	DONE
	EXPECT_DB .Lmnc1, DR6_ACTIVE_LOW | DR6_BS | DR6_B0
	EXPECT_DB .Lmnc2, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* A watchpoint hit by an instruction that then faults: the instruction
 * did not complete, so its data trap is discarded with it (as its single-
 * step trap is, spec 3.4). MOVSQ reads the watched source, then its write
 * to an unmapped page faults. */
SCENARIO wp_then_fault, "spec 3.4 (a faulting instruction reports no trap); SDM 17.3.1.2", \
	"read watchpoint hit by MOVSQ whose store then page-faults: #PF only, no #DB", \
	dr0=cf_scratch, dr7=DR7_FIXED|RDWR(0, LEN_8), resume=.Lwtf1, \
	unverified="whether a data breakpoint matched by an instruction that then faults is dropped (model, Bochs-style) or reported; not in the spec"
	leaq cf_scratch(%rip), %rsi
	movabsq $0x100000000, %rdi
	cld
.Lwtf0:	movsq
.Lwtf1:	DONE
	EXPECT_ERR 14, .Lwtf0, 2, flmask=RFL_RF, flval=RFL_RF, auxmask=-1, auxval=0x100000000
END_SCENARIO
