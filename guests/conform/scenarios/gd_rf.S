/* Spec §9 items 4 and 6: general detect (DR7.GD), the RF value pushed for
 * each kind of event, and DR6 stickiness (BD/BS/BT never cleared by the
 * CPU; B0-B3 replaced by each #DB) [SDM 17.2.3, 17.2.4, 17.3.1.1; spec
 * 2.4, 5.1; seed 004]. */
#include "scenario.inc"

#define EXEC(n) (DR7_G(n) | DR7_RW(n, RW_EXEC))
#define WRITE(n, len) (DR7_G(n) | DR7_RW(n, RW_WRITE) | DR7_LEN(n, len))

/* ---- general detect: a fault-like #DB before the MOV DR executes; BD;
 * DR7.GD cleared on delivery (visible in the handler); pushed RF=0; the
 * retried MOV succeeds [SDM 17.2.4; spec 5.1, 8.5; seed 004] ---- */
SCENARIO gd_read, "SDM 17.2.4; spec 5.1, 8.5; seed 004", \
	"DR7.GD + MOV from DR0: #DB at the MOV, DR6 = BD, GD clear in the handler, RF=0; the retry works", \
	dr7=DR7_FIXED|DR7_GD
.Lgdr:	movq %dr0, %rax
	DONE
	EXPECT_DB .Lgdr, DR6_ACTIVE_LOW | DR6_BD, flmask=RFL_RF, flval=0, auxmask=-1, auxval=DR7_FIXED
END_SCENARIO

/* A write that would clear GD itself still faults first. */
SCENARIO gd_write_dr7, "SDM 17.2.4; spec 5.1", \
	"DR7.GD + MOV to DR7: the GD #DB fires before the write; the retry writes DR7", \
	dr7=DR7_FIXED|DR7_GD
	movl $(DR7_FIXED | DR7_L(0)), %eax
.Lgdw:	movq %rax, %dr7
	movq %dr7, %rbx
	cmpq %rax, %rbx
	CHECK e
	DONE
	EXPECT_DB .Lgdw, DR6_ACTIVE_LOW | DR6_BD, auxmask=DR7_GD, auxval=0
END_SCENARIO

/* BD is sticky: a later single-step #DB still shows it [spec 2.4]. */
SCENARIO gd_bd_sticky, "spec 2.4 (BD sticky); SDM 17.2.3", \
	"a GD #DB, then single-step: the step #DBs show BD|BS", dr7=DR7_FIXED|DR7_GD
.Lgbs0:	movq %dr7, %rax
	pushfq
	SET_TF
	nop
.Lgbs1:	popfq
.Lgbs2:	DONE
	EXPECT_DB .Lgbs0, DR6_ACTIVE_LOW | DR6_BD
	EXPECT_DB .Lgbs1, DR6_ACTIVE_LOW | DR6_BD | DR6_BS
	EXPECT_DB .Lgbs2, DR6_ACTIVE_LOW | DR6_BD | DR6_BS
END_SCENARIO

/* BS preset stays through a GD #DB. */
SCENARIO gd_bs_sticky, "spec 2.4 (BS sticky); §9 item 4", \
	"DR6 preset BS, then a GD #DB: DR6 = BS|BD", flags=CF_F_DR6_PRESET, dr6=DR6_BS, \
	dr7=DR7_FIXED|DR7_GD
.Lgss:	movq %dr3, %rax
	DONE
	EXPECT_DB .Lgss, DR6_ACTIVE_LOW | DR6_BD | DR6_BS
END_SCENARIO

/* ---- RF in the pushed RFLAGS [SDM 17.3.1.1: 1 for every fault-class
 * exception except instruction-breakpoint #DB; the current RF (0) for
 * traps; 0 for software interrupts] ---- */
SCENARIO rf_push_gp, "SDM 17.3.1.1; §9 item 6", "#GP (non-canonical load): pushed RF=1", \
	flags=CF_F_CPL3_OK, resume=.Lrgp1
	movabsq $0x8000000000000000, %rbx
.Lrgp0:	movq (%rbx), %rax
.Lrgp1:	DONE
	EXPECT_ERR 13, .Lrgp0, 0, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

SCENARIO rf_push_pf, "SDM 17.3.1.1; SDM 4.7 (#PF error code); §9 item 6", \
	"#PF (read of an unmapped page): pushed RF=1, error code 0, CR2 = the address", \
	resume=.Lrpf1
	movabsq $0x100000000, %rbx
.Lrpf0:	movq (%rbx), %rax
.Lrpf1:	DONE
	EXPECT_ERR 14, .Lrpf0, 0, flmask=RFL_RF, flval=RFL_RF, auxmask=-1, auxval=0x100000000
END_SCENARIO

SCENARIO rf_push_pf_user, "SDM 17.3.1.1; SDM 4.7 (#PF error code U/S=1)", \
	"#PF at CPL3 (read of an unmapped page): pushed RF=1, error code 4", \
	flags=CF_F_CPL3_ONLY, resume=.Lrpu1
	movabsq $0x100000000, %rbx
.Lrpu0:	movq (%rbx), %rax
.Lrpu1:	DONE
	EXPECT_ERR 14, .Lrpu0, 4, flmask=RFL_RF, flval=RFL_RF, auxmask=-1, auxval=0x100000000
END_SCENARIO

SCENARIO rf_push_de, "SDM 17.3.1.1", "#DE (divide by zero): pushed RF=1", \
	flags=CF_F_CPL3_OK, resume=.Lrde1
	xorl %ecx, %ecx
	movl $1, %eax
	xorl %edx, %edx
.Lrde0:	divl %ecx
.Lrde1:	DONE
	EXPECT_EXC 0, .Lrde0, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* Software interrupts push RF=0: RF is cleared as the INT starts, even
 * when an IRETQ had just loaded RF=1 [SDM 17.3.1.1]. */
SCENARIO rf_push_soft_int, "SDM 17.3.1.1 (software interrupts push RF=0)", \
	"IRETQ with RF=1 onto INT 0x81: pushed RF=0", flags=CF_F_CPL3_OK
	movq %rsp, %rdx
	movl %ss, %ecx
	pushq %rcx
	pushq %rdx
	pushfq
	orq $RFL_RF, (%rsp)
	movl %cs, %ecx
	pushq %rcx
	leaq .Lrsi0(%rip), %rax
	pushq %rax
	iretq
.Lrsi0:	int $CF_VEC_SOFT
.Lrsi1:	DONE
	EXPECT_EXC CF_VEC_SOFT, .Lrsi1, flmask=RFL_RF, flval=0
END_SCENARIO

/* A data-breakpoint trap pushes the current RF, which the completed
 * instruction has cleared, even if IRETQ had set it [SDM 17.3.1.1]. */
SCENARIO rf_push_trap, "SDM 17.3.1.1 (traps after an instruction push the current RF)", \
	"IRETQ with RF=1 onto a store hitting a watchpoint: the trap pushes RF=0", \
	flags=CF_F_CPL3_OK, dr0=cf_scratch, dr7=DR7_FIXED|WRITE(0, LEN_4)
	movq %rsp, %rdx
	movl %ss, %ecx
	pushq %rcx
	pushq %rdx
	pushfq
	orq $RFL_RF, (%rsp)
	movl %cs, %ecx
	pushq %rcx
	leaq .Lrtr0(%rip), %rax
	pushq %rax
	iretq
.Lrtr0:	movl %eax, cf_scratch(%rip)
.Lrtr1:	DONE
	EXPECT_DB .Lrtr1, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_RF, flval=0
END_SCENARIO

/* ---- DR6 stickiness [spec 2.4; §9 item 4] ---- */
SCENARIO sticky_bd_code, "spec 2.4; §9 item 4", "DR6 preset BD, then a code breakpoint: DR6 = BD|B0", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_BD, dr0=.Lsbc, dr7=DR7_FIXED|EXEC(0), \
	rf_on=DR6_B0
.Lsbc:	nop
	DONE
	EXPECT_DB .Lsbc, DR6_ACTIVE_LOW | DR6_BD | DR6_B0
END_SCENARIO

SCENARIO sticky_bd_data, "spec 2.4; §9 item 4", "DR6 preset BD|B0, then a write watchpoint on DR1: DR6 = BD|B1", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_BD|DR6_B0, dr1=cf_scratch, \
	dr7=DR7_FIXED|WRITE(1, LEN_4)
	movl %eax, cf_scratch(%rip)
.Lsbd:	DONE
	EXPECT_DB .Lsbd, DR6_ACTIVE_LOW | DR6_BD | DR6_B1
END_SCENARIO

SCENARIO sticky_bs_icebp, "spec 2.4, 2.1; §9 item 4", "DR6 preset BS, then ICEBP: DR6 = BS", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_BS
	.byte 0xf1
.Lsbi:	DONE
	EXPECT_DB .Lsbi, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

SCENARIO sticky_bd_icebp, "spec 2.4, 2.1; §9 item 4", "DR6 preset BD, then ICEBP: DR6 = BD", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_BD
	.byte 0xf1
.Lsdi:	DONE
	EXPECT_DB .Lsdi, DR6_ACTIVE_LOW | DR6_BD
END_SCENARIO

/* B1 preset before ICEBP: KVM clears B0-B3 (it re-injects ICEBP with an
 * empty payload, which still clears them) [spec 2.4, UNVERIFIED]. */
SCENARIO icebp_clears_bn, "spec 2.4; §9 item 4", "DR6 preset B1, then ICEBP: B1 cleared", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_B1, \
	unverified="whether ICEBP clears B0-B3 on hardware (spec 2.4); KVM clears them, the alternative is 0xFFFF0FF2"
	.byte 0xf1
.Licb:	DONE
	EXPECT_DB .Licb, DR6_ACTIVE_LOW
END_SCENARIO

/* INT 1 (CD 01) is a software interrupt through vector 1, not a debug
 * exception: DR6 is left alone, RF pushed 0 [spec 2.1, 4.2; SDM 17.2.3
 * describes DR6 updates for debug conditions only]. */
SCENARIO int1_keeps_dr6, "spec 2.1; SDM Vol. 2 INT n; SDM 17.2.3", \
	"DR6 preset BS|B2, then INT 1: the handler sees DR6 unchanged", \
	flags=CF_F_DR6_PRESET, dr6=DR6_BS|DR6_B2, \
	unverified="that INT 1 leaves DR6 (B0-B3 included) untouched is inferred from the SDM; not measured"
	int $1
.Li1d:	DONE
	EXPECT_DB .Li1d, DR6_ACTIVE_LOW | DR6_BS | DR6_B2, flmask=RFL_RF, flval=0
END_SCENARIO

/* INT 1 at CPL3 through a DPL0 gate: #GP(1*8+2) [SDM Vol. 2 INT n]; ICEBP
 * at CPL3 skips the DPL check (kut_icebp@cpl3). */
SCENARIO int1_cpl3_gp, "SDM Vol. 2 INT n (#GP(vector*8+2) when gate DPL < CPL)", \
	"CPL3: INT 1 through the DPL0 gate of vector 1 is #GP(0x0a)", flags=CF_F_CPL3_ONLY, \
	resume=.Li1g1
.Li1g0:	int $1
.Li1g1:	DONE
	EXPECT_ERR 13, .Li1g0, 0x0a
END_SCENARIO
