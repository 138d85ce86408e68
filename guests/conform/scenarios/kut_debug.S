/* kvm-unit-tests x86/debug.c, case by case, restated in our format. Those
 * tests are written to pass on bare metal and on KVM, so their expected
 * values are the best public evidence of hardware behaviour [spec
 * "Where each claim comes from"]. Register and label names are ours; the
 * instruction sequences keep the shape each case needs (lengths and order
 * decide the RIPs). Where the KUT case checks only a count, the DR6/RIP
 * values added here come from the spec section cited and are marked
 * UNVERIFIED when the spec says so. */
#include "scenario.inc"

/* ---- bus_lock_test: a split-lock LOCK CMPXCHG gives neither #AC nor #DB
 * while split-lock #AC and bus-lock #DB are disabled (their reset state)
 * [KUT bus_lock_test; spec 5.6] ---- */
SCENARIO kut_bus_lock, "KUT x86/debug.c bus_lock_test; spec 5.6", \
	"split-lock LOCK CMPXCHG: no #AC, no #DB, value stored", flags=CF_F_CPL3_OK
	lea cf_scratch+60(%rip), %rdi      /* 8 bytes across a cache line */
	xorl %eax, %eax
	movabsq $0xdeadbeefdeadbeef, %rcx
	lock cmpxchgq %rcx, (%rdi)
	cmpq %rcx, (%rdi)
	CHECK e
	DONE
END_SCENARIO

/* ---- "DR4==DR6 with CR4.DE == 0" [KUT main; SDM 17.2.2; spec 1.4] ---- */
SCENARIO kut_dr4_alias_dr6, "KUT x86/debug.c main (DR4==DR6 with CR4.DE == 0); SDM 17.2.2", \
	"CR4.DE=0: DR4 aliases DR6 for writes and reads"
	xorl %eax, %eax
	movq %rax, %dr4
	movl $(DR6_ACTIVE_LOW | DR6_BS | DR6_B1), %eax
	movq %rax, %dr6
	movq %dr4, %rbx
	cmpq %rax, %rbx
	CHECK e
	DONE
END_SCENARIO

/* ---- "DR4 read got #UD with CR4.DE == 1" [KUT main; spec 1.4] ---- */
SCENARIO kut_dr4_ud, "KUT x86/debug.c main (DR4 read got #UD with CR4.DE == 1); SDM 17.2.2", \
	"CR4.DE=1: MOV from DR4 is #UD", flags=CF_F_CR4_DE, resume=.Lk4ud_after
.Lk4ud:	movq %dr4, %rax
.Lk4ud_after:
	DONE
	EXPECT_EXC 6, .Lk4ud
END_SCENARIO

/* ---- "#BP": INT3 traps with RIP after it [KUT main; SDM 6.15 Int 3] ---- */
SCENARIO kut_int3, "KUT x86/debug.c main (#BP)", \
	"INT3: #BP with the saved RIP after the INT3", flags=CF_F_CPL3_OK
	int3
.Lkbp:	DONE
	EXPECT_EXC 3, .Lkbp, flmask=RFL_RF, flval=0
END_SCENARIO

/* ---- hw_bp1: execute breakpoint on DR2, fault-like, DR6 = B2; the
 * handler sets RF to move on [KUT main; SDM 17.3.1.1, 17.2.4] ---- */
SCENARIO kut_hw_bp1, "KUT x86/debug.c main (hw_bp1); SDM 17.3.1.1; spec 2.4", \
	"code breakpoint DR2: one #DB at the instruction, DR6=B2, pushed RF=0", \
	flags=CF_F_CPL3_OK, dr2=.Lkhw1, dr7=DR7_FIXED|DR7_G(2), rf_on=DR6_B2
.Lkhw1:	nop
	DONE
	EXPECT_DB .Lkhw1, DR6_ACTIVE_LOW | DR6_B2, flmask=RFL_RF, flval=0
END_SCENARIO

/* ---- hw_bp2: the same with DR6 preset BS|B1: B1 is replaced, BS is
 * sticky [KUT main; spec 2.4] ---- */
SCENARIO kut_hw_bp2, "KUT x86/debug.c main (hw_bp2); spec 2.4", \
	"code breakpoint with DR6 preset BS|B1: DR6 = BS|B2 (B0-B3 replaced, BS sticky)", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_BS|DR6_B1, dr2=.Lkhw2, \
	dr7=DR7_FIXED|DR7_G(2), rf_on=DR6_B2
.Lkhw2:	nop
	DONE
	EXPECT_DB .Lkhw2, DR6_ACTIVE_LOW | DR6_BS | DR6_B2
END_SCENARIO

/* ---- singlestep_basic [KUT; SDM 17.3.1.4; spec 3.1] ---- */
SCENARIO kut_singlestep_basic, "KUT x86/debug.c singlestep_basic; SDM 17.3.1.4; spec 3.1", \
	"POPF setting TF traps one instruction later; the TF-clearing POPF traps itself", \
	flags=CF_F_CPL3_OK
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	popf
	and $~RFL_TF, %rax
.Lksb1:	push %rax
.Lksb2:	popf
.Lksb3:	DONE
	EXPECT_DB .Lksb1, DR6_ACTIVE_LOW | DR6_BS, flmask=RFL_TF, flval=RFL_TF
	EXPECT_DB .Lksb2, DR6_ACTIVE_LOW | DR6_BS, flmask=RFL_TF, flval=RFL_TF
	EXPECT_DB .Lksb3, DR6_ACTIVE_LOW | DR6_BS, flmask=RFL_TF, flval=0
END_SCENARIO

/* ---- singlestep_emulated_instructions: CPUID and IN (exiting under a
 * VMM) step like any other instruction [KUT; spec 3.3] ---- */
SCENARIO kut_singlestep_emulated, "KUT x86/debug.c singlestep_emulated_instructions; spec 3.3", \
	"single-step over PUSH, XOR, CPUID, MOV, IN, POPF: one #DB after each", \
	flags=CF_F_CPL3_OK
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	popf
	and $~RFL_TF, %rax
.Lkse1:	push %rax
.Lkse2:	xor %rax, %rax
.Lkse3:	cpuid
.Lkse4:	movl $0x3fd, %edx
.Lkse5:	inb %dx, %al
.Lkse6:	popf
.Lkse7:	DONE
	EXPECT_DB .Lkse1, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkse2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkse3, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkse4, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkse5, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkse6, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkse7, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- singlestep_with_sti_blocking: STI blocking does not hold the
 * single-step trap [KUT; spec 4.1] ---- */
SCENARIO kut_singlestep_sti, "KUT x86/debug.c singlestep_with_sti_blocking; spec 4.1", \
	"TF + STI: the #DB arrives right after STI (STI blocking does not suppress #DB)", \
	flags=CF_F_CPL3_OK
	cli
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	popf
	sti
.Lkst1:	and $~RFL_TF, %rax
.Lkst2:	push %rax
.Lkst3:	popf
.Lkst4:	DONE
	EXPECT_DB .Lkst1, DR6_ACTIVE_LOW | DR6_BS, flmask=RFL_IF, flval=RFL_IF
	EXPECT_DB .Lkst2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkst3, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lkst4, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- singlestep_with_movss_blocking: the MOV SS trap is held and merges
 * with the next instruction's, so one #DB for two instructions [KUT;
 * spec 4.2] ---- */
SCENARIO kut_singlestep_movss, "KUT x86/debug.c singlestep_with_movss_blocking; spec 4.2", \
	"TF + MOV SS: the held trap merges with the next instruction's: 3 #DBs, not 4", \
	flags=CF_F_CPL3_OK
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	mov %ss, %ax
	popf
	mov %ax, %ss
	and $~RFL_TF, %rax
.Lksm1:	push %rax
.Lksm2:	popf
.Lksm3:	DONE
	EXPECT_DB .Lksm1, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksm2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksm3, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- singlestep_with_movss_blocking_and_icebp: ICEBP right after MOV SS
 * with TF: a #DB with no DR6 bits (no BS), twice; stepping resumes after
 * [KUT commit 027ea799; spec 3.6, 4.2] ---- */
SCENARIO kut_singlestep_movss_icebp, "KUT x86/debug.c singlestep_with_movss_blocking_and_icebp; spec 3.6, 4.2", \
	"TF + MOV SS + ICEBP;ICEBP: two ICEBP #DBs with DR6=0xFFFF0FF0, then stepping", \
	flags=CF_F_CPL3_OK
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	mov %ss, %ax
	popf
	mov %ax, %ss
	.byte 0xf1
.Lksi1:	.byte 0xf1
.Lksi2:	and $~RFL_TF, %rax
.Lksi3:	push %rax
.Lksi4:	popf
.Lksi5:	DONE
	EXPECT_DB .Lksi1, DR6_ACTIVE_LOW
	EXPECT_DB .Lksi2, DR6_ACTIVE_LOW
	EXPECT_DB .Lksi3, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksi4, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksi5, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- singlestep_with_movss_blocking_and_dr7_gd: general detect is not
 * held by MOV SS; the fault drops the held BS; DR7.GD is clear in the
 * handler and RF is not pushed [KUT; spec 4.2, 5.1, 8.5] ---- */
SCENARIO kut_singlestep_movss_gd, "KUT x86/debug.c singlestep_with_movss_blocking_and_dr7_gd; spec 4.2, 5.1", \
	"TF + MOV SS + MOV DR6 with DR7.GD: GD #DB (BD only) at the MOV, then it re-runs and steps", \
	dr7=DR7_FIXED|DR7_GD
	xor %rcx, %rcx
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	mov %ss, %ax
	popf
	mov %ax, %ss
.Lksg1:	mov %rcx, %dr6
.Lksg2:	and $~RFL_TF, %rax
.Lksg3:	push %rax
.Lksg4:	popf
.Lksg5:	DONE
	EXPECT_DB .Lksg1, DR6_ACTIVE_LOW | DR6_BD, flmask=RFL_RF, flval=0, auxmask=DR7_GD, auxval=0
	EXPECT_DB .Lksg2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksg3, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksg4, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksg5, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- singlestep_with_sti_hlt: TF + STI;HLT: the #DB after HLT is the
 * wake event and execution goes on after the HLT [KUT commit 302fbd56;
 * seed 003; spec 3.7]. kvm-unit-tests arms an APIC timer as a backstop;
 * so do we (CF_F_WAKE_TIMER; its interrupts are not logged). ---- */
SCENARIO kut_singlestep_sti_hlt, "KUT x86/debug.c singlestep_with_sti_hlt (commit 302fbd56); seed 003; spec 3.7", \
	"TF + STI;HLT: #DB after STI (RIP=HLT), after HLT, then stepping; no second halt", \
	flags=CF_F_WAKE_TIMER
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	popf
	sti
.Lksh1:	hlt
.Lksh2:	and $~RFL_TF, %rax
.Lksh3:	push %rax
.Lksh4:	popf
.Lksh5:	cli
	DONE
	EXPECT_DB .Lksh1, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksh2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksh3, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksh4, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksh5, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- singlestep_with_code_db: single-step trap and a code breakpoint on
 * the next instruction arrive as ONE #DB with BS|B2 [Sean's KUT case in
 * seed 001; spec 2.3, 3.10, 8.2]. In our format DR2/DR7 are set by the
 * runtime, so the case also runs at CPL3. ---- */
SCENARIO kut_singlestep_code_db, "KUT x86/debug.c singlestep_with_code_db (seed 001); spec 2.3, 8.2", \
	"TF + code breakpoint on the next instruction: one #DB with BS|B2, then stepping", \
	flags=CF_F_CPL3_OK, dr2=.Lksc1, dr7=DR7_FIXED|DR7_G(2), rf_on=DR6_B2
	pushf
	pop %rax
	or $RFL_TF, %rax
	push %rax
	popf
	and $~RFL_TF, %rax
.Lksc1:	push %rax
.Lksc2:	popf
.Lksc3:	DONE
	EXPECT_DB .Lksc1, DR6_ACTIVE_LOW | DR6_BS | DR6_B2
	EXPECT_DB .Lksc2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lksc3, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ---- hw_wp1: 4-byte write watchpoint on DR1 with DR6.BS preset: BS is
 * not cleared [KUT main ("test that dr6.BS is not cleared"); spec 2.4].
 * DR7 0x00d0040a as KUT writes it: G0 (execute at DR0=0, never reached),
 * G1, R/W1=01, LEN1=11. ---- */
SCENARIO kut_hw_wp1, "KUT x86/debug.c main (hw watchpoint, dr6.BS not cleared); spec 2.4", \
	"4-byte write watchpoint, DR6 preset BS: one #DB after the write, DR6 = BS|B1", \
	flags=CF_F_CPL3_OK|CF_F_DR6_PRESET, dr6=DR6_BS, dr1=cf_scratch, dr7=0x00d0040a
	movq $42, %rax
	movq %rax, cf_scratch(%rip)
.Lkwp1:	DONE
	EXPECT_DB .Lkwp1, DR6_ACTIVE_LOW | DR6_BS | DR6_B1
END_SCENARIO

/* ---- hw_wp2: the same from DR6=0: BS is not set [KUT main] ---- */
SCENARIO kut_hw_wp2, "KUT x86/debug.c main (hw watchpoint, dr6.BS not set)", \
	"4-byte write watchpoint from DR6=0: DR6 = B1 only", \
	flags=CF_F_CPL3_OK, dr1=cf_scratch, dr7=0x00d0040a
	movq $42, %rax
	movq %rax, cf_scratch(%rip)
.Lkwp2:	DONE
	EXPECT_DB .Lkwp2, DR6_ACTIVE_LOW | DR6_B1
END_SCENARIO

/* ---- icebp: ICEBP (F1) is a trap-like #DB with no DR6 bits [KUT main;
 * SDM INT1; spec 2.1]. At CPL3 too: a privileged software exception
 * skips the gate DPL check [SDM Vol. 2 INT1]. ---- */
SCENARIO kut_icebp, "KUT x86/debug.c main (icebp); SDM Vol. 2 INTn/INTO/INT3/INT1; spec 2.1", \
	"ICEBP: #DB after it, DR6 = 0xFFFF0FF0 (no cause bit)", flags=CF_F_CPL3_OK
	.byte 0xf1
.Lkice:	DONE
	EXPECT_DB .Lkice, DR6_ACTIVE_LOW, flmask=RFL_RF, flval=0
END_SCENARIO

/* ---- MOV SS + watchpoint + ICEBP: the handler runs ONCE, at the RIP
 * after the ICEBP (prefixes included) [KUT main; spec 4.2]. Whether the
 * held B1 shows in DR6 is UNVERIFIED; we follow the spec's "the held
 * data-breakpoint cause merges into the ICEBP #DB". ---- */
SCENARIO kut_movss_wp_icebp, "KUT x86/debug.c main (MOV SS + watchpoint + ICEBP); spec 4.2", \
	"watchpoint on the MOV SS operand, then 2E 2E F1: exactly one #DB, after the ICEBP", \
	flags=CF_F_CPL3_OK, dr1=cf_ssword, dr7=0x00f0040a, \
	unverified="DR6 of the merged #DB: spec 4.2 says the held cause merges into the ICEBP #DB but leaves Bn presence open; we expect B1 (alternative: 0xFFFF0FF0)"
	clc
	mov cf_ssword(%rip), %ss
	.byte 0x2e, 0x2e, 0xf1
.Lkmwi:	DONE
	EXPECT_DB .Lkmwi, DR6_ACTIVE_LOW | DR6_B1
END_SCENARIO

/* ---- MOV SS + watchpoint + INT $1: the handler runs twice, once for the
 * INT 1 and once for the held #DB [KUT main]. The held #DB is delivered
 * before the first instruction of the INT 1 handler (CVE-2018-8897
 * write-ups; UNVERIFIED in the spec), so it is logged first, with the
 * handler entry as RIP. ---- */
SCENARIO kut_movss_wp_int1, "KUT x86/debug.c main (MOV SS + watchpoint + int $1); spec 4.2", \
	"watchpoint on the MOV SS operand, then INT 1: the held #DB at the handler entry, then the INT 1", \
	dr1=cf_ssword, dr7=0x00f0040a, \
	unverified="where the held #DB lands: spec 4.2 (from CVE-2018-8897 write-ups) says at the first instruction of the INT target; KUT only counts two handler runs"
	clc
	mov cf_ssword(%rip), %ss
	int $1
.Lkmw1:	DONE
	EXPECT_DB CF_VEC_ENTRY(1), DR6_ACTIVE_LOW | DR6_B1
	EXPECT_DB .Lkmw1, DR6_ACTIVE_LOW | DR6_B1
END_SCENARIO

/* ---- MOV SS + watchpoint + INT3 (11 CS prefixes): one #BP with RIP
 * after the INT3, one #DB [KUT main]. Same landing rule as INT 1. ---- */
SCENARIO kut_movss_wp_int3, "KUT x86/debug.c main (MOV SS + watchpoint + INT3); spec 4.2", \
	"watchpoint on the MOV SS operand, then prefixed INT3: held #DB at the #BP handler entry, then #BP", \
	flags=CF_F_CPL3_OK, dr1=cf_ssword, dr7=0x00f0040a, \
	unverified="where the held #DB lands: spec 4.2 (VM-entry wording for #BP after MOV SS, CVE-2018-8897) says at the #BP handler entry; KUT checks only the #BP address and one #DB"
	mov cf_ssword(%rip), %ss
	.byte 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0xcc
.Lkmw3:	DONE
	EXPECT_DB CF_VEC_ENTRY(3), DR6_ACTIVE_LOW | DR6_B1
	EXPECT_EXC 3, .Lkmw3
END_SCENARIO
