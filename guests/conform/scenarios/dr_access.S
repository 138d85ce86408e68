/* Spec §9 item 1: debug-register reads and writes. DR6/DR7 read-back after
 * writing 0 and all-ones (upper half clear), writes with the upper half
 * set (#GP), DR4/DR5 with CR4.DE=0 and 1, and the order of #GP, #UD and
 * general detect on MOV DR. */
#include "scenario.inc"

/* DR6 := 0 reads back DR6_ACTIVE_LOW: bits 4-11 and 16-31 read 1 (11 and
 * 16 are active-low, fixed 1 without bus-lock detect / RTM), bit 12 reads
 * 0 [spec 1.2; SDM 17.2.3; KVM DR6_ACTIVE_LOW]. */
SCENARIO dr6_write0_readback, "spec 1.2; SDM 17.2.3", "DR6 := 0 reads back 0xFFFF0FF0"
	xorl %eax, %eax
	movq %rax, %dr6
	movq %dr6, %rbx
	movl $DR6_ACTIVE_LOW, %ecx
	cmpq %rcx, %rbx
	CHECK e
	DONE
END_SCENARIO

/* DR6 := 0xFFFFFFFF: every bit reads 1 except bit 12, which reads 0
 * (bits 11/16 written 1 = not asserted) [spec 1.2: DR6_VOLATILE and the
 * fixed bits]. */
SCENARIO dr6_write1_readback, "spec 1.2; SDM 17.2.3", "DR6 := 0xFFFFFFFF reads back 0xFFFFEFFF"
	movl $0xffffffff, %eax
	movq %rax, %dr6
	movq %dr6, %rbx
	movl $0xffffefff, %ecx
	cmpq %rcx, %rbx
	CHECK e
	DONE
END_SCENARIO

/* DR6 bits 63:32 set: #GP(0), a fault (pushed RF=1) [SDM Vol. 2 MOV
 * (debug registers), 64-bit mode exceptions; spec 1.2; SDM 17.3.1.1]. */
SCENARIO dr6_upper_gp, "SDM Vol. 2 MOV DRn (64-bit mode exceptions); spec 1.2", \
	"MOV to DR6 with bit 32 set: #GP(0), DR6 unchanged", resume=.Ldr6u_after
	movabsq $0x1ffff0ff0, %rax
.Ldr6u:	movq %rax, %dr6
.Ldr6u_after:
	movq %dr6, %rbx
	movl $DR6_ACTIVE_LOW, %ecx
	cmpq %rcx, %rbx
	CHECK e
	DONE
	EXPECT_ERR 13, .Ldr6u, 0, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* DR7 := 0 reads back 0x400 (bit 10 fixed 1) [spec 1.3]. */
SCENARIO dr7_write0_readback, "spec 1.3; SDM 17.2.4", "DR7 := 0 reads back 0x400"
	xorl %eax, %eax
	movq %rax, %dr7
	movq %dr7, %rbx
	cmpq $DR7_FIXED, %rbx
	CHECK e
	DONE
END_SCENARIO

/* DR7 := every defined bit except GD (13) and RTM (11): bits 12, 14 and
 * 15 read 0, bit 10 reads 1 [spec 1.3: DR7_VOLATILE 0xFFFF2BFF]. All four
 * breakpoints become 8-byte read/write watchpoints on 0-7, which nothing
 * touches; GD is left out so the read-back itself does not fault, RTM
 * because it may be fixed 0 without RTM (UNVERIFIED, not tested). */
SCENARIO dr7_write1_readback, "spec 1.3; SDM 17.2.4", \
	"DR7 := 0xFFFFD7FF reads back 0xFFFF07FF (bits 12, 14, 15 read 0; 10 reads 1)"
	movl $0xffffd7ff, %eax
	movq %rax, %dr7
	movq %dr7, %rbx
	movl $DR7_FIXED, %ecx
	movq %rcx, %dr7
	movl $0xffff07ff, %ecx
	cmpq %rcx, %rbx
	CHECK e
	DONE
END_SCENARIO

/* DR7 bits 63:32 set: #GP(0) [SDM Vol. 2 MOV DRn; spec 1.3]. */
SCENARIO dr7_upper_gp, "SDM Vol. 2 MOV DRn (64-bit mode exceptions); spec 1.3", \
	"MOV to DR7 with bit 32 set: #GP(0), DR7 unchanged", resume=.Ldr7u_after
	movabsq $0x100000400, %rax
.Ldr7u:	movq %rax, %dr7
.Ldr7u_after:
	movq %dr7, %rbx
	cmpq $DR7_FIXED, %rbx
	CHECK e
	DONE
	EXPECT_ERR 13, .Ldr7u, 0, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* CR4.DE=0: DR5 aliases DR7 [SDM 17.2.2; spec 1.4]. DR7 := 0x401 arms an
 * execute breakpoint at address 0, which never runs. */
SCENARIO dr5_alias_dr7, "SDM 17.2.2; spec 1.4", "CR4.DE=0: DR5 aliases DR7 for writes and reads"
	movl $(DR7_FIXED | DR7_L(0)), %eax
	movq %rax, %dr5
	movq %dr7, %rbx
	cmpq %rax, %rbx
	CHECK e
	movq %dr5, %rbx
	cmpq %rax, %rbx
	CHECK e
	DONE
END_SCENARIO

/* CR4.DE=1: a MOV to DR5 is #UD too [SDM 17.2.2; spec 1.4]. */
SCENARIO dr5_ud_de1, "SDM 17.2.2; spec 1.4", "CR4.DE=1: MOV to DR5 is #UD, DR7 unchanged", \
	flags=CF_F_CR4_DE, resume=.Ldr5u_after
	movl $(DR7_FIXED | DR7_L(0)), %eax
.Ldr5u:	movq %rax, %dr5
.Ldr5u_after:
	movq %dr7, %rbx
	cmpq $DR7_FIXED, %rbx
	CHECK e
	DONE
	EXPECT_EXC 6, .Ldr5u, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* MOV DR at CPL3: #GP(0) [SDM Vol. 2 MOV DRn: "#GP(0) if the current
 * privilege level is not 0"; KUT: "MOV DR #GPs at CPL>0"]. */
SCENARIO movdr_cpl3_gp, "SDM Vol. 2 MOV DRn; KUT x86/debug.c (MOV DR #GPs at CPL>0)", \
	"CPL3: MOV from DR0 is #GP(0)", flags=CF_F_CPL3_ONLY, \
	resume=.Lmdg_after
.Lmdg:	movq %dr0, %rax
.Lmdg_after:
	DONE
	EXPECT_ERR 13, .Lmdg, 0
END_SCENARIO

SCENARIO movdr_cpl3_gp_write, "SDM Vol. 2 MOV DRn", "CPL3: MOV to DR7 is #GP(0)", \
	flags=CF_F_CPL3_ONLY, resume=.Lmdw_after
	movl $DR7_FIXED, %eax
.Lmdw:	movq %rax, %dr7
.Lmdw_after:
	DONE
	EXPECT_ERR 13, .Lmdw, 0
END_SCENARIO

/* The MOV DR check order [spec 1.5, UNVERIFIED]: KVM checks the privilege
 * (#GP) first, then #UD (DR4/5 with CR4.DE), then general detect; Bochs
 * checks #UD, GD, #GP. We follow KVM (the model does too). */
SCENARIO movdr_prio_cpl3_gd, "spec 1.5 (KVM emulator order); SDM Vol. 2 MOV DRn", \
	"CPL3 with DR7.GD=1: MOV from DR0 is #GP(0), not a general-detect #DB", \
	flags=CF_F_CPL3_ONLY, dr7=DR7_FIXED|DR7_GD, resume=.Lmpg_after, \
	unverified="MOV DR exception order (spec 1.5): KVM #GP first, Bochs GD #DB first"
.Lmpg:	movq %dr0, %rax
.Lmpg_after:
	DONE
	EXPECT_ERR 13, .Lmpg, 0
END_SCENARIO

SCENARIO movdr_prio_cpl3_ud, "spec 1.5 (KVM emulator order); SDM Vol. 2 MOV DRn", \
	"CPL3 with CR4.DE=1: MOV from DR4 is #GP(0), not #UD", \
	flags=CF_F_CPL3_ONLY|CF_F_CR4_DE, resume=.Lmpu_after, \
	unverified="MOV DR exception order (spec 1.5): KVM #GP before #UD, Bochs #UD first"
.Lmpu:	movq %dr4, %rax
.Lmpu_after:
	DONE
	EXPECT_ERR 13, .Lmpu, 0
END_SCENARIO

SCENARIO movdr_prio_ud_gd, "spec 1.5 (KVM and Bochs agree)", \
	"CPL0, CR4.DE=1, DR7.GD=1: MOV from DR4 is #UD, not a general-detect #DB", \
	flags=CF_F_CR4_DE, dr7=DR7_FIXED|DR7_GD, resume=.Lmud_after, \
	unverified="MOV DR exception order (spec 1.5): KVM and Bochs both check #UD before GD; no hardware data"
.Lmud:	movq %dr4, %rax
.Lmud_after:
	DONE
	EXPECT_EXC 6, .Lmud
END_SCENARIO
