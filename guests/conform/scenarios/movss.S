/* Spec §9 item 5, §4 and the seeds: MOV SS / POP SS and STI shadows with
 * single-step and data breakpoints. MOV SS holds the debug traps of
 * itself until the next instruction completes and merges them into that
 * instruction's #DB [SDM 6.8.3; spec 4.1-4.2]; STI holds nothing. The
 * watched operand is cf_ssword, which the runtime fills with the SS
 * selector of the privilege level the scenario runs at. */
#include "scenario.inc"

#define RDWR(n, len) (DR7_G(n) | DR7_RW(n, RW_RW) | DR7_LEN(n, len))
#define EXEC(n) (DR7_G(n) | DR7_RW(n, RW_EXEC))

/* ---- seed 000 (Aidan Khoury, "Merge pending debug causes when vectoring
 * #DB"): DR0 on the MOV SS operand (R/W=11, LEN=2), TF set by POPF, MOV SS
 * from memory, then CPUID / NOP / ICEBP. Bare metal: ONE #DB after the
 * instruction following MOV SS with DR6 = BS|B0 (0xFFFF4FF1). maxev=1: the
 * handler then clears TF and DR7, as in the seed's reproducer where the
 * #DB is the last event. ---- */
SCENARIO seed000_movss_wp_tf_cpuid, "seed 000 (Khoury, Jan 2026); spec 8.1", \
	"TF + watchpoint on the MOV SS operand, then CPUID: one #DB after CPUID, DR6 = BS|B0", \
	flags=CF_F_CPL3_OK, dr0=cf_ssword, dr7=DR7_FIXED|RDWR(0, LEN_2), maxev=1
	pushq %rbx
	xorl %eax, %eax
	pushfq
	orl $RFL_TF, (%rsp)
	popfq
	movw cf_ssword(%rip), %ss
	cpuid
.Ls0c:	popq %rbx
	DONE
	EXPECT_DB .Ls0c, DR6_ACTIVE_LOW | DR6_BS | DR6_B0
END_SCENARIO

SCENARIO seed000_movss_wp_tf_nop, "seed 000 (non-exiting control); spec 8.1", \
	"TF + watchpoint on the MOV SS operand, then NOP: one #DB after the NOP, DR6 = BS|B0", \
	flags=CF_F_CPL3_OK, dr0=cf_ssword, dr7=DR7_FIXED|RDWR(0, LEN_2), maxev=1
	pushfq
	orl $RFL_TF, (%rsp)
	popfq
	movw cf_ssword(%rip), %ss
	nop
.Ls0n:	nop
	DONE
	EXPECT_DB .Ls0n, DR6_ACTIVE_LOW | DR6_BS | DR6_B0
END_SCENARIO

/* With ICEBP the single #DB is the ICEBP's (no BS: KUT shows the held BS
 * is not reported with ICEBP); whether the held B0 shows is UNVERIFIED.
 * We follow spec 4.2 ("the held data-breakpoint cause merges into the
 * ICEBP #DB") and seed 000 ("DR6 reports the combined reasons"). */
SCENARIO seed000_movss_wp_tf_icebp, "seed 000 (ICEBP variant); spec 4.2, 3.6; KUT 027ea799", \
	"TF + watchpoint on the MOV SS operand, then ICEBP: one #DB after the ICEBP, DR6 = B0 (no BS)", \
	flags=CF_F_CPL3_OK, dr0=cf_ssword, dr7=DR7_FIXED|RDWR(0, LEN_2), maxev=1, \
	unverified="DR6 of the ICEBP #DB with held causes: B0 merged, BS not reported (spec 4.2, seed 000 vs KUT's TF-only case); alternative 0xFFFF0FF0"
	pushfq
	orl $RFL_TF, (%rsp)
	popfq
	movw cf_ssword(%rip), %ss
	.byte 0xf1
.Ls0i:	nop
	DONE
	EXPECT_DB .Ls0i, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* The watchpoint alone (no TF): the data trap of MOV SS is held and
 * delivered after the NEXT instruction [SDM 6.8.3; spec 4.1]. */
SCENARIO movss_wp_nop, "SDM 6.8.3; spec 4.1", \
	"watchpoint on the MOV SS operand, no TF: one #DB after the following NOP, DR6 = B0", \
	flags=CF_F_CPL3_OK, dr0=cf_ssword, dr7=DR7_FIXED|RDWR(0, LEN_2)
	movw cf_ssword(%rip), %ss
	nop
.Lmwn:	DONE
	EXPECT_DB .Lmwn, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* The held data trap merges with the next instruction's own data trap. */
SCENARIO movss_wp_merge_wp, "SDM 6.8.3; spec 4.2, 2.3", \
	"watchpoint on the MOV SS operand + a second watchpoint hit by the next instruction: one #DB, B0|B1", \
	flags=CF_F_CPL3_OK, dr0=cf_ssword, dr1=cf_scratch, \
	dr7=DR7_FIXED|RDWR(0, LEN_2)|RDWR(1, LEN_4)
	movw cf_ssword(%rip), %ss
	movl %eax, cf_scratch(%rip)
.Lmwm:	DONE
	EXPECT_DB .Lmwm, DR6_ACTIVE_LOW | DR6_B0 | DR6_B1
END_SCENARIO

/* General detect inside the MOV SS shadow is not held (a fault) [spec
 * 4.1, 4.2, 5.1; KUT singlestep_with_movss_blocking_and_dr7_gd]. */
SCENARIO movss_gd, "spec 4.1-4.2, 5.1; KUT singlestep_with_movss_blocking_and_dr7_gd", \
	"DR7.GD + MOV SS, then MOV from DR0 in the shadow: the GD #DB fires at the MOV DR", \
	dr7=DR7_FIXED|DR7_GD
	movl %ss, %eax
	movl %eax, %ss
.Lmgd:	movq %dr0, %rcx
	DONE
	EXPECT_DB .Lmgd, DR6_ACTIVE_LOW | DR6_BD, flmask=RFL_RF, flval=0, auxmask=DR7_GD, auxval=0
END_SCENARIO

/* A fault delivered in the shadow discards the held traps [spec 4.2,
 * derived from KUT's GD case]: the held B0 never shows. */
SCENARIO movss_wp_gd, "spec 4.2 (a fault in the MOV SS shadow discards held traps)", \
	"watchpoint on the MOV SS operand + DR7.GD: the GD #DB (BD only), then no #DB for the held B0", \
	dr0=cf_ssword, dr7=DR7_FIXED|DR7_GD|RDWR(0, LEN_2), \
	unverified="derived in spec 4.2 from KUT (held BS not reported with GD); a held data breakpoint is not tested there"
	movw cf_ssword(%rip), %ss
.Lmwg:	movq %dr6, %rcx
	DONE
	EXPECT_DB .Lmwg, DR6_ACTIVE_LOW | DR6_BD
END_SCENARIO

/* MOV SS; MOV SS with TF: the second MOV SS does not extend the shadow,
 * so the #DB comes right after it [spec 4.1 (Bochs inhibit_interrupts,
 * KVM toggle_interruptibility); SDM 6.8.3 "only the first is guaranteed
 * to inhibit"]. */
SCENARIO movss_movss_tf, "spec 4.1; SDM 6.8.3", \
	"TF + MOV SS; MOV SS: one #DB after the second MOV SS (the shadow is not extended)", \
	flags=CF_F_CPL3_OK, \
	unverified="back-to-back MOV SS (spec 4.1): Bochs/KVM do not extend the shadow; the SDM only guarantees the first inhibits"
	movl %ss, %eax
	pushfq
	SET_TF
	movl %eax, %ss
	movl %eax, %ss
.Lmm1:	popfq
.Lmm2:	DONE
	EXPECT_DB .Lmm1, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lmm2, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* POP SS (compatibility mode: invalid in 64-bit mode) shadows like MOV SS
 * [SDM 6.8.3; Vol. 2 POP]. */
SCENARIO popss_tf, "SDM 6.8.3; SDM Vol. 2 POP (SS); spec 4.1", \
	"TF + POP SS (compatibility mode): the held trap merges with the next instruction's: one #DB after it"
	pushq $CF_SEL_KCODE32
	leaq .Lps32(%rip), %rax
	pushq %rax
	lretq
	.code32
.Lps32:	pushfl
	pushl %ss
	pushfl
	orl $RFL_TF, (%esp)
	popfl
	popl %ss
	nop
.Lps1:	popfl
.Lps2:	ljmp $CF_SEL_KCODE, $.Lps64
	.code64
.Lps64:	DONE
	EXPECT_DB .Lps1, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lps2, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* POP SS reading a watched stack slot: the data trap is held until after
 * the next instruction. The slot address depends on ESP, so the scenario
 * arms DR0/DR7 itself (CPL0); maxev=1 disarms it before the slot is
 * reused. */
SCENARIO popss_wp, "SDM 6.8.3; spec 4.1", \
	"watchpoint on the stack slot POP SS reads (compatibility mode): one #DB after the next instruction", \
	maxev=1
	pushq $CF_SEL_KCODE32
	leaq .Lpw32(%rip), %rax
	pushq %rax
	lretq
	.code32
.Lpw32:	pushl %ss
	movl %esp, %eax
	movl %eax, %dr0
	movl $(DR7_FIXED | RDWR(0, LEN_4)), %eax
	movl %eax, %dr7
	popl %ss
	nop
.Lpw1:	ljmp $CF_SEL_KCODE, $.Lpw64
	.code64
.Lpw64:	DONE
	EXPECT_DB .Lpw1, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* Code breakpoints on the instruction after MOV SS: Intel suppresses them
 * (SDM 6.8.3 "may not be triggered"; KVM kvm_is_code_breakpoint_inhibited
 * treats it as always on Intel), AMD does not [spec 4.1]. */
SCENARIO movss_code_bp_intel, "spec 4.1; SDM 6.8.3; KVM kvm_is_code_breakpoint_inhibited", \
	"Intel: code breakpoint on the instruction after MOV SS is suppressed: no #DB", \
	flags=CF_F_CPL3_OK|CF_F_INTEL_ONLY, dr0=.Lmci, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0, \
	unverified="the SDM says such breakpoints 'may not be triggered'; KVM suppresses them always on Intel"
	movl %ss, %eax
	movl %eax, %ss
.Lmci:	nop
	DONE
END_SCENARIO

SCENARIO movss_code_bp_amd, "spec 4.1; KVM kvm_is_code_breakpoint_inhibited (AMD: not inhibited)", \
	"AMD: code breakpoint on the instruction after MOV SS fires: one #DB at it", \
	flags=CF_F_CPL3_OK|CF_F_AMD_ONLY, dr0=.Lmca, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0, \
	unverified="AMD behaviour taken from KVM's vendor check (spec 4.1), not from an AMD manual"
	movl %ss, %eax
	movl %eax, %ss
.Lmca:	nop
	DONE
	EXPECT_DB .Lmca, DR6_ACTIVE_LOW | DR6_B0
END_SCENARIO

/* STI blocking holds nothing: a code breakpoint on the instruction after
 * STI fires [spec 4.1 table]. */
SCENARIO sti_code_bp, "spec 4.1", \
	"STI, then a code breakpoint on the next instruction: #DB at it", \
	flags=CF_F_CPL3_OK, dr0=.Lscb, dr7=DR7_FIXED|EXEC(0), rf_on=DR6_B0
	sti
.Lscb:	cli
	DONE
	EXPECT_DB .Lscb, DR6_ACTIVE_LOW | DR6_B0, flmask=RFL_IF, flval=RFL_IF
END_SCENARIO
