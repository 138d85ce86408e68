/* Host-side scenarios: KVM's guest-debug and vCPU-event API driven from
 * the host between runs (spec §6-§7, §9 item 8; seeds 001-004). Each
 * scenario's guest code stops at sync points (SYNC: a HLT at CPL0) where
 * the host runner performs the H_* actions in order and checks their
 * host-visible results; the EXPECT_* lines are what the guest sees, as for
 * every scenario. They run at CPL0 only and only under the host runner
 * (`trapgate conform`): the standalone kernel skips them.
 *
 * Notes on KVM's ABI used below [spec 7.1-7.5]:
 *  - KVM_EXIT_DEBUG dr6 is causes | 0xFFFF0FF0; a host single step reports
 *    BS (0xFFFF4FF0) [Linux selftest x86/debug_regs.c]; dr7 is compared
 *    only for hardware-breakpoint exits (the DR7 in effect), never for
 *    steps (KVM's emulated step exits leave it unset).
 *  - KVM_GET_VCPU_EVENTS always sets NMI_PENDING|SHADOW|SMM in flags
 *    (CF_EVF_GET), plus PAYLOAD / TRIPLE_FAULT when those capabilities are
 *    on.
 *  - The guest's own DR6 reads 0xFFFF0FF0 at entry (the runtime writes 0). */
#include "scenario.inc"

#define STEP_DR6 (DR6_ACTIVE_LOW | DR6_BS)
#define GUESTDBG_STEP (CF_GDBG_ENABLE | CF_GDBG_SINGLESTEP)
#define GUESTDBG_HW (CF_GDBG_ENABLE | CF_GDBG_USE_HW_BP)

/* ==== INJECT_DB / INJECT_BP [spec 6.5, 7.1; seed 002] ==== */

/* Nothing in flight: INJECT_DB succeeds and the guest's #DB handler runs
 * at the current RIP. The #DB carries no payload, so DR6 keeps its value;
 * RF is not set for a #DB [spec 6.3]. */
SCENARIO host_inject_db, "spec 6.5, 7.1 (INJECT_DB, no payload); seed 002; §9 item 8", \
	"INJECT_DB with nothing in flight: 0, and the guest gets #DB at the sync RIP with DR6 untouched", \
	flags=CF_F_HOST
	SYNC
.Lhid0:	nop
	DONE
	H_SYNC .Lhid0
	H_GUEST_DEBUG CF_GDBG_INJECT_DB
	EXPECT_DB .Lhid0, DR6_ACTIVE_LOW, flmask=RFL_RF, flval=0
END_SCENARIO

/* An injected #DB clears DR7.GD like every #DB [SDM 17.2.4; KVM clears it
 * when injecting any #DB, spec 6.3]: the handler's MOV from DR7 works and
 * reads GD=0. */
SCENARIO host_inject_db_clears_gd, "SDM 17.2.4; spec 6.3 (injection clears DR7.GD); spec 7.1, 7.4", \
	"host sets guest DR7.GD, then INJECT_DB: the handler sees DR7 without GD and DR6 untouched", \
	flags=CF_F_HOST
	SYNC
.Lhig0:	nop
	DONE
	H_SYNC .Lhig0
	H_SET_DREGS dr7=DR7_FIXED|DR7_GD
	H_GUEST_DEBUG CF_GDBG_INJECT_DB
	EXPECT_DB .Lhig0, DR6_ACTIVE_LOW, auxmask=-1, auxval=DR7_FIXED
END_SCENARIO

/* INJECT_BP re-injects an INT3 the host intercepted with USE_SW_BP: the
 * exit reports exception 3 at the INT3 itself (RIP stays there), and the
 * re-injected #BP returns after it [spec 7.1; selftest debug_regs.c]. */
SCENARIO host_sw_bp_inject_bp, "spec 7.1 (USE_SW_BP, INJECT_BP); selftest x86/debug_regs.c; §9 item 8", \
	"USE_SW_BP: INT3 exits (exception 3, pc = the INT3); INJECT_BP then gives the guest #BP after it", \
	flags=CF_F_HOST
	SYNC
.Lhsb0:	int3
.Lhsb1:	DONE
	H_SYNC .Lhsb0
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_USE_SW_BP
	H_RUN_DEBUG 3, .Lhsb0, CF_H_ANY
	H_EXPECT_REGS .Lhsb0
	H_GUEST_DEBUG CF_GDBG_INJECT_BP
	EXPECT_EXC 3, .Lhsb1
END_SCENARIO

/* An injected #DF: INJECT_DB and INJECT_BP are refused with -EBUSY and
 * change nothing: events, debug registers, RIP/RFLAGS, and guest_debug
 * itself (a host breakpoint on the #DF handler set before still fires).
 * Without Yosry Ahmed's fix the #DB combines with the #DF into a triple
 * fault [seed 002; spec 6.5, 8.3 (a)]. */
SCENARIO host_ebusy_injected_df, "seed 002; spec 6.5, 8.3 (a); kvm-x86 e907b4e72488", \
	"injected #DF: INJECT_DB/INJECT_BP -> -EBUSY, nothing changed (guest_debug too); the guest gets the #DF", \
	flags=CF_F_HOST
	SYNC
.Lhed0:	nop
	DONE
	H_SYNC .Lhed0
	H_GUEST_DEBUG GUESTDBG_HW, dr0=CF_VEC_ENTRY(8), dr7=DR7_FIXED|DR7_G(0)
	H_SET_EVENTS x_inj=1, x_nr=8, x_haserr=1, x_err=0
	H_SNAPSHOT
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_INJECT_DB, ret=-CF_EBUSY
	H_UNCHANGED
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_INJECT_BP, ret=-CF_EBUSY
	H_UNCHANGED
	H_EXPECT_EVENTS flags=CF_EVF_GET, x_inj=1, x_nr=8, x_haserr=1, x_err=0
	/* the host breakpoint is still in effect: the #DF handler's entry */
	H_RUN_DEBUG 1, CF_VEC_ENTRY(8), DR6_ACTIVE_LOW|DR6_B0
	H_GUEST_DEBUG 0
	EXPECT 8, 0, err=0, flags=CF_E_RIP_ANY|CF_E_ERR
END_SCENARIO

/* An injected #PF with an error code: the same refusal [seed 002; spec
 * 8.3 (b)]; the guest then takes the #PF with that error code. */
SCENARIO host_ebusy_injected_pf, "seed 002; spec 6.5, 8.3 (b)", \
	"injected #PF (error code 2): INJECT_DB/INJECT_BP -> -EBUSY, state unchanged; the guest gets the #PF", \
	flags=CF_F_HOST, resume=.Lhep1
	SYNC
.Lhep0:	nop
.Lhep1:	DONE
	H_SYNC .Lhep0
	H_SET_EVENTS x_inj=1, x_nr=14, x_haserr=1, x_err=2
	H_SNAPSHOT
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_INJECT_DB, ret=-CF_EBUSY
	H_UNCHANGED
	H_GUEST_DEBUG CF_GDBG_INJECT_BP, ret=-CF_EBUSY
	H_UNCHANGED
	EXPECT_ERR 14, .Lhep0, 2
END_SCENARIO

/* A pending #GP (KVM_CAP_EXCEPTION_PAYLOAD on, so "pending" can be set):
 * refused as well [spec 6.5, 8.3 (c)]. Delivered later as a fault: pushed
 * RF=1 [SDM 17.3.1.1; spec 6.3]. */
SCENARIO host_ebusy_pending_gp, "seed 002; spec 6.5, 8.3 (c), 6.3 (RF for faults)", \
	"pending #GP (payload capability): INJECT_DB/INJECT_BP -> -EBUSY, unchanged; the guest gets #GP with RF=1", \
	flags=CF_F_HOST, resume=.Lhgp1
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lhgp0:	nop
.Lhgp1:	DONE
	H_SYNC .Lhgp0
	H_SET_EVENTS flags=CF_EVF_PAYLOAD, x_pend=1, x_nr=13, x_haserr=1, x_err=0
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_PAYLOAD, x_pend=1, x_nr=13, x_haserr=1, x_err=0
	H_SNAPSHOT
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_INJECT_DB, ret=-CF_EBUSY
	H_UNCHANGED
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_INJECT_BP, ret=-CF_EBUSY
	H_UNCHANGED
	EXPECT_ERR 13, .Lhgp0, 0, flmask=RFL_RF, flval=RFL_RF
END_SCENARIO

/* ==== host single-step (KVM_GUESTDBG_SINGLESTEP) [spec 3.12, 7.1-7.2]:
 * each step ends in KVM_EXIT_DEBUG, exception 1, pc = the linear address
 * of the next instruction, dr6 = 0xFFFF4FF0; the guest never sees TF ==== */

/* MOV SS holds the single-step trap until after the next instruction
 * [SDM 6.8.3; spec 4.1]: a host step over MOV SS covers two
 * instructions, as the hardware TF KVM uses for it does. */
SCENARIO host_step_movss, "SDM 6.8.3; spec 3.12, 4.1, 7.1; §9 item 8", \
	"host single-step over MOV SS: the step ends after the instruction following it", \
	flags=CF_F_HOST
	SYNC
.Lhsm0:	movw %ss, %ax
.Lhsm1:	movw %ax, %ss
	nop
.Lhsm3:	nop
.Lhsm4:	DONE
	H_SYNC .Lhsm0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, .Lhsm1, STEP_DR6
	H_RUN_DEBUG 1, .Lhsm3, STEP_DR6
	H_RUN_DEBUG 1, .Lhsm4, STEP_DR6
	H_GUEST_DEBUG 0
END_SCENARIO

/* POP SS (compatibility mode) blocks the same way [SDM 6.8.3]. */
SCENARIO host_step_popss, "SDM 6.8.3; SDM Vol. 2 POP; spec 3.12, 4.1", \
	"host single-step over POP SS (compatibility mode): the step ends after the next instruction", \
	flags=CF_F_HOST
	pushq $CF_SEL_KCODE32
	leaq .Lhsp32(%rip), %rax
	pushq %rax
	lretq
	.code32
.Lhsp32: pushl %ss
	SYNC
.Lhsp0:	popl %ss
	nop
.Lhsp2:	nop
.Lhsp3:	ljmp $CF_SEL_KCODE, $.Lhsp64
	.code64
.Lhsp64: DONE
	H_SYNC .Lhsp0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, .Lhsp2, STEP_DR6
	H_RUN_DEBUG 1, .Lhsp3, STEP_DR6
	H_GUEST_DEBUG 0
END_SCENARIO

/* STI blocking does not hold a #DB [spec 4.1; KUT singlestep_with_sti_
 * blocking]: one step per instruction, and no failed VM entry for the
 * TF + STI-shadow state between them [seed 003; spec 4.3]. */
SCENARIO host_step_sti, "spec 3.12, 4.1, 4.3; seed 003; selftest x86/debug_regs.c (ss over STI)", \
	"host single-step over STI (IF 0->1): a step after STI, then one per instruction", \
	flags=CF_F_HOST
	SYNC
.Lhss0:	sti
.Lhss1:	nop
.Lhss2:	cli
.Lhss3:	DONE
	H_SYNC .Lhss0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, .Lhss1, STEP_DR6
	H_RUN_DEBUG 1, .Lhss2, STEP_DR6
	H_RUN_DEBUG 1, .Lhss3, STEP_DR6
	H_GUEST_DEBUG 0
END_SCENARIO

/* CPUID exits to the hypervisor and is emulated; the step still ends
 * after it [spec 3.3, 3.12; selftest debug_regs.c]. */
SCENARIO host_step_cpuid, "spec 3.3, 3.12; selftest x86/debug_regs.c (ss over CPUID)", \
	"host single-step over CPUID (emulated by the hypervisor): the step ends after it", \
	flags=CF_F_HOST
	SYNC
.Lhsc0:	cpuid
.Lhsc1:	nop
.Lhsc2:	DONE
	H_SYNC .Lhsc0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, .Lhsc1, STEP_DR6
	H_RUN_DEBUG 1, .Lhsc2, STEP_DR6
	H_GUEST_DEBUG 0
END_SCENARIO

/* HLT under a step: the step trap after HLT is the wake event; the vCPU
 * does not halt again [spec 3.7, 3.12; KUT 302fbd56]. */
SCENARIO host_step_hlt, "spec 3.7, 3.12; KUT 302fbd56 (HLT + single-step)", \
	"host single-step over HLT (IF=0): KVM_EXIT_DEBUG after it, not KVM_EXIT_HLT; no second halt", \
	flags=CF_F_HOST
	SYNC
.Lhsh0:	hlt
.Lhsh1:	nop
.Lhsh2:	DONE
	H_SYNC .Lhsh0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, .Lhsh1, STEP_DR6
	H_RUN_DEBUG 1, .Lhsh2, STEP_DR6
	H_GUEST_DEBUG 0
END_SCENARIO

/* INT3 under a step: the #BP is delivered (it is not intercepted without
 * USE_SW_BP) and the step ends at the handler's first instruction; the
 * guest's frame shows TF=0 (host stepping is invisible) [spec 3.5, 3.12]. */
SCENARIO host_step_int3, "spec 3.5, 3.12, 7.1", \
	"host single-step over INT3: the step ends at the #BP handler entry; the pushed RFLAGS has no TF", \
	flags=CF_F_HOST, unverified="the KVM ABI does not say where a host step over an event-delivering instruction ends: at the handler's first instruction (here), or, with the hardware TF KVM uses, after the instruction following INT3 with TF leaking into the guest's frame"
	SYNC
.Lhsi0:	int3
.Lhsi1:	nop
	DONE
	H_SYNC .Lhsi0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, CF_VEC_ENTRY(3), STEP_DR6
	H_GUEST_DEBUG 0
	EXPECT_EXC 3, .Lhsi1, flmask=RFL_TF, flval=0
END_SCENARIO

/* ICEBP under a step: the guest's #DB (no DR6 bits, spec 2.1) is
 * delivered and the step ends at its handler; no BS for the ICEBP itself
 * [spec 3.6]. */
SCENARIO host_step_icebp, "spec 2.1, 3.6, 3.12, 7.1", \
	"host single-step over ICEBP: the guest gets its #DB (DR6 0xFFFF0FF0), the step ends at the #DB handler", \
	flags=CF_F_HOST, unverified="as host_step_int3; KVM on VMX instead reports the ICEBP #DB itself to the host (KVM_EXIT_DEBUG, dr6 without BS) while host debugging is on"
	SYNC
.Lhsx0:	.byte 0xf1
.Lhsx1:	nop
	DONE
	H_SYNC .Lhsx0
	H_GUEST_DEBUG GUESTDBG_STEP
	H_RUN_DEBUG 1, CF_VEC_ENTRY(1), STEP_DR6
	H_GUEST_DEBUG 0
	EXPECT_DB .Lhsx1, DR6_ACTIVE_LOW, flmask=RFL_TF, flval=0
END_SCENARIO

/* ==== host hardware breakpoints (KVM_GUESTDBG_USE_HW_BP) [spec 7.1-7.2]:
 * the host's debugreg[0-3,7] are in effect, the guest keeps its own DRs;
 * hits exit with exception 1, dr6 = Bn | 0xFFFF0FF0, dr7 = the DR7 in
 * effect ==== */

/* Execute: a fault at the instruction; without RF it hits again; resumed
 * with RF=1 it passes [SDM 17.3.1.1]. */
SCENARIO host_hwbp_exec, "spec 7.1, 7.2; SDM 17.3.1.1 (RF); selftest x86/debug_regs.c (hw_bp)", \
	"host execute breakpoint: exit at it (B0), guest DRs untouched, re-hit without RF, passed with RF", \
	flags=CF_F_HOST
	SYNC
.Lhbx0:	nop
.Lhbx1:	nop
	SYNC
.Lhbx2:	DONE
	H_SYNC .Lhbx0
	H_GUEST_DEBUG GUESTDBG_HW, dr0=.Lhbx1, dr7=DR7_FIXED|DR7_G(0)
	H_RUN_DEBUG 1, .Lhbx1, DR6_ACTIVE_LOW|DR6_B0
	H_EXPECT_REGS .Lhbx1
	H_EXPECT_DREGS db0=0, dr6=DR6_ACTIVE_LOW, dr7=DR7_FIXED, mask=0x31
	H_RUN_DEBUG 1, .Lhbx1, DR6_ACTIVE_LOW|DR6_B0
	H_RFLAGS set=RFL_RF
	H_SYNC .Lhbx2
	H_GUEST_DEBUG 0
END_SCENARIO

/* The exit data of a hardware-breakpoint hit names the DR7 in effect: the
 * host's debugreg[7] [spec 7.2: filled on #DB intercepts]. */
SCENARIO host_hwbp_exit_dr7, "spec 7.2 (kvm_debug_exit_arch.dr7); selftest x86/debug_regs.c", 	"host execute breakpoint: KVM_EXIT_DEBUG's dr7 is the host's debugreg[7]", 	flags=CF_F_HOST
	SYNC
.Lhb70:	nop
.Lhb71:	nop
	SYNC
.Lhb72:	DONE
	H_SYNC .Lhb70
	H_GUEST_DEBUG GUESTDBG_HW, dr1=.Lhb71, dr7=DR7_FIXED|DR7_G(1)
	H_RUN_DEBUG 1, .Lhb71, DR6_ACTIVE_LOW|DR6_B1, dr7mask=-1, dr7=DR7_FIXED|DR7_G(1)
	H_RFLAGS set=RFL_RF
	H_SYNC .Lhb72
	H_GUEST_DEBUG 0
END_SCENARIO

/* Data write: a trap after the writing instruction. */
SCENARIO host_hwbp_write, "spec 7.1, 7.2; selftest x86/debug_regs.c (write_data)", \
	"host write breakpoint (DR1, 4 bytes): exit after the write (B1), guest DR6 untouched", \
	flags=CF_F_HOST
	SYNC
.Lhbw0:	movl $1, cf_scratch(%rip)
.Lhbw1:	nop
	SYNC
.Lhbw2:	DONE
	H_SYNC .Lhbw0
	H_GUEST_DEBUG GUESTDBG_HW, dr1=cf_scratch, dr7=DR7_FIXED|DR7_G(1)|DR7_RW(1, RW_WRITE)|DR7_LEN(1, LEN_4)
	H_RUN_DEBUG 1, .Lhbw1, DR6_ACTIVE_LOW|DR6_B1
	H_EXPECT_DREGS dr6=DR6_ACTIVE_LOW, dr7=DR7_FIXED
	H_SYNC .Lhbw2
	H_GUEST_DEBUG 0
END_SCENARIO

/* Data read/write, hit by a read. */
SCENARIO host_hwbp_rw, "spec 7.1, 7.2, 5.3 (R/W=11 matches reads)", \
	"host read/write breakpoint (DR3, 8 bytes): a read exits after it (B3)", \
	flags=CF_F_HOST
	SYNC
.Lhbr0:	movq cf_scratch+8(%rip), %rax
.Lhbr1:	nop
	SYNC
.Lhbr2:	DONE
	H_SYNC .Lhbr0
	H_GUEST_DEBUG GUESTDBG_HW, dr3=cf_scratch+8, dr7=DR7_FIXED|DR7_G(3)|DR7_RW(3, RW_RW)|DR7_LEN(3, LEN_8)
	H_RUN_DEBUG 1, .Lhbr1, DR6_ACTIVE_LOW|DR6_B3
	H_SYNC .Lhbr2
	H_GUEST_DEBUG 0
END_SCENARIO

/* I/O (R/W=10, defined with the guest's CR4.DE=1): a trap after the OUT
 * [SDM 17.2.4-17.2.5; spec 5.2]. */
SCENARIO host_hwbp_io, "spec 5.2, 7.1, 7.2; SDM 17.2.4", \
	"host I/O breakpoint (DR2 = port 0x80, CR4.DE=1): exit after the OUT (B2)", \
	flags=CF_F_HOST|CF_F_CR4_DE
	SYNC
.Lhbi0:	outb %al, $0x80
.Lhbi1:	nop
	SYNC
.Lhbi2:	DONE
	H_SYNC .Lhbi0
	H_GUEST_DEBUG GUESTDBG_HW, dr2=0x80, dr7=DR7_FIXED|DR7_G(2)|DR7_RW(2, RW_IO)
	H_RUN_DEBUG 1, .Lhbi1, DR6_ACTIVE_LOW|DR6_B2
	H_SYNC .Lhbi2
	H_GUEST_DEBUG 0
END_SCENARIO

/* DR7.GD in the host's debugreg[7]: the guest's MOV DR exits before it
 * runs with dr6 = BD, the guest's DR6 untouched; with host debugging off
 * the MOV then runs [spec 5.1, 8.5; seed 004; selftest 063a22451fd9]. */
SCENARIO host_hwbp_gd, "spec 5.1, 8.5; seed 004; selftest x86/debug_regs.c (bd_start)", \
	"DR7.GD under USE_HW_BP: MOV from DR0 exits (pc = the MOV, dr6 0xFFFF2FF0), guest DR6 untouched", \
	flags=CF_F_HOST
	SYNC
.Lhbg0:	movq %dr0, %rax
.Lhbg1:	nop
	SYNC
.Lhbg2:	DONE
	H_SYNC .Lhbg0
	H_GUEST_DEBUG GUESTDBG_HW, dr7=DR7_FIXED|DR7_GD
	H_RUN_DEBUG 1, .Lhbg0, DR6_ACTIVE_LOW|DR6_BD
	H_EXPECT_REGS .Lhbg0
	H_EXPECT_DREGS dr6=DR6_ACTIVE_LOW, dr7=DR7_FIXED
	H_GUEST_DEBUG 0
	H_SYNC .Lhbg2
END_SCENARIO

/* Host step plus a host code breakpoint on the next instruction: ONE exit
 * with BS|B2 at it [seed 001; spec 2.3, 8.2 host-owned case]; resumed with
 * RF the steps go on. */
SCENARIO host_step_code_bp, "seed 001; spec 2.3, 3.10, 8.2 (host-owned)", \
	"SINGLESTEP|USE_HW_BP, DR2 on the next instruction: one exit there with BS|B2, then normal steps", \
	flags=CF_F_HOST
	SYNC
.Lhcb0:	nop
.Lhcb1:	nop
.Lhcb2:	DONE
	H_SYNC .Lhcb0
	H_GUEST_DEBUG GUESTDBG_STEP|CF_GDBG_USE_HW_BP, dr2=.Lhcb1, dr7=DR7_FIXED|DR7_G(2)
	H_RUN_DEBUG 1, .Lhcb1, DR6_ACTIVE_LOW|DR6_BS|DR6_B2
	/* past the breakpoint with RF; a VMM re-arms the step after
	 * KVM_SET_REGS (KVM sets TF only at the RIP it recorded) */
	H_RFLAGS set=RFL_RF
	H_GUEST_DEBUG GUESTDBG_STEP|CF_GDBG_USE_HW_BP, dr2=.Lhcb1, dr7=DR7_FIXED|DR7_G(2)
	H_RUN_DEBUG 1, .Lhcb2, STEP_DR6
	H_GUEST_DEBUG 0
END_SCENARIO

/* ==== seed 003 at the API level [spec 8.4]: TF=1 IF=1, an STI shadow and
 * a pending #DB with payload BS restored through the events API; the run
 * must deliver that #DB (DR6 = BS, the worked example of spec 7.5), not
 * fail the VM entry on VMX's "BS must be set" consistency check ==== */
SCENARIO host_seed003_sti_pending_db, "seed 003; spec 8.4 (API-level test), 7.5, 4.3", \
	"payload cap; TF=1 IF=1; STI shadow + pending #DB payload BS: the guest's #DB sees DR6 0xFFFF4FF0, no entry failure", \
	flags=CF_F_HOST
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lh30:	nop
.Lh31:	pushfq
.Lh32:	andq $~(RFL_TF | RFL_IF), (%rsp)
.Lh33:	popfq
.Lh34:	DONE
	H_SYNC .Lh30
	H_RFLAGS set=RFL_TF|RFL_IF
	H_SET_EVENTS flags=CF_EVF_SHADOW|CF_EVF_PAYLOAD, shadow=CF_SHADOW_STI, x_pend=1, x_nr=1, has_payload=1, payload=DR6_BS
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_PAYLOAD, shadow=CF_SHADOW_STI, x_pend=1, x_nr=1, has_payload=1, payload=DR6_BS
	/* the restored #DB first (at the boundary, before the NOP) ... */
	EXPECT_DB .Lh30, DR6_ACTIVE_LOW | DR6_BS, flmask=RFL_TF|RFL_IF, flval=RFL_TF|RFL_IF
	/* ... then the handler's IRET restores TF: one step per instruction,
	 * the TF-clearing POPF included [spec 3.1] */
	EXPECT_DB .Lh31, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lh32, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lh33, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lh34, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* ==== vCPU events: save/restore round trips in every state [spec 7.3,
 * 7.5; §9 item 8]. Each: SET, GET (the expected state), GET-SET-GET (the
 * same state), then the run shows the guest the restored event. ==== */

SCENARIO host_events_empty, "spec 7.3 (GET flags, round trip)", \
	"nothing queued, no capabilities: GET shows only NMI_PENDING|SHADOW|SMM; round trip", \
	flags=CF_F_HOST
	SYNC
.Lhe00:	DONE
	H_SYNC .Lhe00
	H_EXPECT_EVENTS flags=CF_EVF_GET
	H_EVENTS_ROUNDTRIP
	H_EXPECT_EVENTS flags=CF_EVF_GET
END_SCENARIO

/* Without the capability only injected exceptions exist: SET of a
 * "pending" one is forced to nothing [spec 7.3]. */
SCENARIO host_events_nocap_pending_dropped, "spec 7.3 (SET without PAYLOAD forces pending = 0)", \
	"no payload capability: SET of a pending #GP leaves nothing queued", \
	flags=CF_F_HOST
	SYNC
.Lhe10:	DONE
	H_SYNC .Lhe10
	H_SET_EVENTS x_pend=1, x_nr=13, x_haserr=1
	H_EXPECT_EVENTS flags=CF_EVF_GET
END_SCENARIO

/* An injected #GP with error code, no capability: round trip; delivered
 * as it is (injected: no new side effects). */
SCENARIO host_events_injected_gp, "spec 6.4, 7.3", \
	"no capability: injected #GP (error 0x18) round-trips and is delivered with that error code", \
	flags=CF_F_HOST, resume=.Lhe21
	SYNC
.Lhe20:	nop
.Lhe21:	DONE
	H_SYNC .Lhe20
	H_SET_EVENTS x_inj=1, x_nr=13, x_haserr=1, x_err=0x18
	H_EXPECT_EVENTS flags=CF_EVF_GET, x_inj=1, x_nr=13, x_haserr=1, x_err=0x18
	H_EVENTS_ROUNDTRIP
	H_EXPECT_EVENTS flags=CF_EVF_GET, x_inj=1, x_nr=13, x_haserr=1, x_err=0x18
	EXPECT_ERR 13, .Lhe20, 0x18
END_SCENARIO

/* The capability on: a pending #DB keeps its payload (DR6 untouched)
 * until delivery, where DR6 = 0xFFFF4FF0 [spec 7.5 worked example]. */
SCENARIO host_events_pending_db_payload, "spec 7.3, 7.5 (payload applied at delivery)", \
	"payload cap: pending #DB with payload BS round-trips, DR6 untouched until delivery, then 0xFFFF4FF0", \
	flags=CF_F_HOST
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lhe30:	DONE
	H_SYNC .Lhe30
	H_SET_EVENTS flags=CF_EVF_PAYLOAD, x_pend=1, x_nr=1, has_payload=1, payload=DR6_BS
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_PAYLOAD, x_pend=1, x_nr=1, has_payload=1, payload=DR6_BS
	H_EXPECT_DREGS dr6=DR6_ACTIVE_LOW, mask=0x10
	H_EVENTS_ROUNDTRIP
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_PAYLOAD, x_pend=1, x_nr=1, has_payload=1, payload=DR6_BS
	H_EXPECT_DREGS dr6=DR6_ACTIVE_LOW, mask=0x10
	EXPECT_DB .Lhe30, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* The payload's active-low bits: RTM (16) asserted in the payload reads
 * as 0 in DR6 [spec 7.5 worked example: payload RTM|BS -> 0xFFFE4FF0]. */
SCENARIO host_events_payload_rtm, "spec 7.5 (payload RTM|BS -> DR6 0xFFFE4FF0); §9 item 8", \
	"payload cap: pending #DB with payload RTM|BS: the guest's DR6 = 0xFFFE4FF0", \
	flags=CF_F_HOST
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lhe40:	DONE
	H_SYNC .Lhe40
	H_SET_EVENTS flags=CF_EVF_PAYLOAD, x_pend=1, x_nr=1, has_payload=1, payload=0x14000
	EXPECT_DB .Lhe40, 0xfffe4ff0
END_SCENARIO

/* Capability turned off with a payload still pending: GET delivers the
 * payload first and reports the exception as injected [spec 7.3, 7.5;
 * commit d0ad1b05bbe6]. */
SCENARIO host_events_payload_cap_off, "spec 7.3 (GET without capability), 7.5; commit d0ad1b05bbe6", \
	"pending #DB with payload, then the capability off: GET reports it injected, DR6 already 0xFFFF4FF0", \
	flags=CF_F_HOST
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lhe50:	DONE
	H_SYNC .Lhe50
	H_SET_EVENTS flags=CF_EVF_PAYLOAD, x_pend=1, x_nr=1, has_payload=1, payload=DR6_BS
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD, arg=0
	H_EXPECT_EVENTS flags=CF_EVF_GET, x_inj=1, x_nr=1
	H_EXPECT_DREGS dr6=DR6_ACTIVE_LOW|DR6_BS, mask=0x10
	EXPECT_DB .Lhe50, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* A pending #PF: the payload is CR2, written at delivery; a fault pushes
 * RF=1 [spec 7.5, 6.3]. */
SCENARIO host_events_pending_pf_payload, "spec 7.3, 7.5 (#PF payload = CR2), 6.3", \
	"payload cap: pending #PF (error 2, payload 0x12345000) round-trips; the guest sees CR2 = payload, RF=1", \
	flags=CF_F_HOST, resume=.Lhe61
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lhe60:	nop
.Lhe61:	DONE
	H_SYNC .Lhe60
	H_SET_EVENTS flags=CF_EVF_PAYLOAD, x_pend=1, x_nr=14, x_haserr=1, x_err=2, has_payload=1, payload=0x12345000
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_PAYLOAD, x_pend=1, x_nr=14, x_haserr=1, x_err=2, has_payload=1, payload=0x12345000
	H_EVENTS_ROUNDTRIP
	EXPECT_ERR 14, .Lhe60, 2, flmask=RFL_RF, flval=RFL_RF, auxmask=-1, auxval=0x12345000
END_SCENARIO

/* An injected exception carries no payload: has_payload is forced to 0
 * [spec 7.3 SET, 7.5 "reinjected exceptions carry no payload"]. */
SCENARIO host_events_injected_no_payload, "spec 7.3 (SET with PAYLOAD: not pending -> has_payload = 0), 7.5", \
	"payload cap: SET of an injected #PF with a payload keeps no payload; delivered with its error code", \
	flags=CF_F_HOST, resume=.Lhe71
	H_ENABLE_CAP CF_CAP_EXCEPTION_PAYLOAD
	SYNC
.Lhe70:	nop
.Lhe71:	DONE
	H_SYNC .Lhe70
	H_SET_EVENTS flags=CF_EVF_PAYLOAD, x_inj=1, x_nr=14, x_haserr=1, x_err=4, has_payload=1, payload=0x5000
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_PAYLOAD, x_inj=1, x_nr=14, x_haserr=1, x_err=4
	H_EVENTS_ROUNDTRIP
	EXPECT_ERR 14, .Lhe70, 4
END_SCENARIO

/* NMI pending: restored and delivered at once (IF does not matter). */
SCENARIO host_events_nmi_pending, "spec 7.3 (nmi.pending, VALID_NMI_PENDING)", \
	"nmi.pending = 1 round-trips; the guest takes the NMI at the sync RIP", \
	flags=CF_F_HOST
	SYNC
.Lhe80:	DONE
	H_SYNC .Lhe80
	H_SET_EVENTS flags=CF_EVF_NMI_PENDING, n_pend=1
	H_EXPECT_EVENTS flags=CF_EVF_GET, n_pend=1
	H_EVENTS_ROUNDTRIP
	EXPECT_EXC 2, .Lhe80
END_SCENARIO

/* NMI masked (always applied by SET) with an NMI pending: it waits for the
 * next IRET, which unblocks NMIs [SDM 6.7.1] -- here the #UD handler's. */
SCENARIO host_events_nmi_masked, "spec 7.3 (nmi.masked); SDM 6.7.1 (IRET unblocks NMI)", \
	"nmi.masked = 1 and KVM_NMI: round trip; the NMI waits for the #UD handler's IRET", \
	flags=CF_F_HOST, resume=.Lhe91
	SYNC
.Lhe90:	ud2
.Lhe91:	DONE
	H_SYNC .Lhe90
	H_SET_EVENTS n_mask=1
	H_NMI
	H_EXPECT_EVENTS flags=CF_EVF_GET, n_pend=1, n_mask=1
	H_EVENTS_ROUNDTRIP
	H_EXPECT_EVENTS flags=CF_EVF_GET, n_pend=1, n_mask=1
	EXPECT_EXC 6, .Lhe90
	EXPECT_EXC 2, .Lhe91
END_SCENARIO

/* A MOV SS shadow restored with TF=1: the state right after a MOV SS that
 * ran with TF set, so one #DB follows the next instruction [SDM 6.8.3;
 * spec 4.1-4.3]. */
SCENARIO host_events_shadow_movss_tf, "spec 7.3 (VALID_SHADOW), 4.1-4.3; SDM 6.8.3", \
	"TF=1 and shadow = MOV SS restored: round trip; one #DB after the next instruction", \
	flags=CF_F_HOST
	SYNC
.Lhea0:	nop
.Lhea1:	pushfq
.Lhea2:	andq $~RFL_TF, (%rsp)
.Lhea3:	popfq
.Lhea4:	DONE
	H_SYNC .Lhea0
	H_RFLAGS set=RFL_TF
	H_SET_EVENTS flags=CF_EVF_SHADOW, shadow=CF_SHADOW_MOV_SS
	H_EXPECT_EVENTS flags=CF_EVF_GET, shadow=CF_SHADOW_MOV_SS
	H_EVENTS_ROUNDTRIP
	EXPECT_DB .Lhea1, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lhea2, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lhea3, DR6_ACTIVE_LOW | DR6_BS
	EXPECT_DB .Lhea4, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

SCENARIO host_events_shadow_sti, "spec 7.3 (VALID_SHADOW, KVM_X86_SHADOW_INT_STI)", \
	"shadow = STI restored: GET shows it, round trip", \
	flags=CF_F_HOST
	SYNC
.Lheb0:	DONE
	H_SYNC .Lheb0
	H_SET_EVENTS flags=CF_EVF_SHADOW, shadow=CF_SHADOW_STI
	H_EXPECT_EVENTS flags=CF_EVF_GET, shadow=CF_SHADOW_STI
	H_EVENTS_ROUNDTRIP
	H_EXPECT_EVENTS flags=CF_EVF_GET, shadow=CF_SHADOW_STI
END_SCENARIO

/* triple_fault.pending with KVM_CAP_X86_TRIPLE_FAULT_EVENT: round trip,
 * then KVM_EXIT_SHUTDOWN on the next run [spec 7.3, 7.6]. */
SCENARIO host_events_triple_fault, "spec 7.3 (VALID_TRIPLE_FAULT), 7.6; §9 item 7", \
	"triple-fault capability: triple_fault.pending = 1 round-trips; the next KVM_RUN shuts down", \
	flags=CF_F_HOST|CF_F_SHUTDOWN
	H_ENABLE_CAP CF_CAP_X86_TRIPLE_FAULT_EVENT
	SYNC
.Lhec0:	DONE
	H_SYNC .Lhec0
	H_SET_EVENTS flags=CF_EVF_TRIPLE_FAULT, tf_pend=1
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_TRIPLE_FAULT, tf_pend=1
	H_EVENTS_ROUNDTRIP
	H_EXPECT_EVENTS flags=CF_EVF_GET|CF_EVF_TRIPLE_FAULT, tf_pend=1
	H_RUN_EXIT CF_EXIT_SHUTDOWN
END_SCENARIO

/* SET validation [spec 7.3]: each refusal changes nothing. */
SCENARIO host_events_validation, "spec 7.3 (SET errors)", \
	"SET_VCPU_EVENTS: unknown flag, PAYLOAD/TRIPLE_FAULT without their capability, nr 2 or 32 -> -EINVAL, unchanged", \
	flags=CF_F_HOST
	SYNC
.Lhev0:	DONE
	H_SYNC .Lhev0
	H_SNAPSHOT
	H_SET_EVENTS ret=-CF_EINVAL, flags=0x80
	H_SET_EVENTS ret=-CF_EINVAL, flags=CF_EVF_PAYLOAD, x_pend=1, x_nr=1
	H_SET_EVENTS ret=-CF_EINVAL, flags=CF_EVF_TRIPLE_FAULT, tf_pend=1
	H_SET_EVENTS ret=-CF_EINVAL, x_inj=1, x_nr=2
	H_SET_EVENTS ret=-CF_EINVAL, x_inj=1, x_nr=32
	H_UNCHANGED
END_SCENARIO

/* ==== debug registers from the host [spec 7.4] ==== */

SCENARIO host_debugregs_validation, "spec 7.4 (SET_DEBUGREGS validation, exact storage)", \
	"SET_DEBUGREGS: flags, DR6/DR7 bits 63:32 -> -EINVAL, unchanged; values stored as given (DR6 = 0 reads 0)", \
	flags=CF_F_HOST
	SYNC
.Lhdv0:	DONE
	H_SYNC .Lhdv0
	H_SNAPSHOT
	H_SET_DREGS flags=1, ret=-CF_EINVAL
	H_SET_DREGS dr6=0x1ffff0ff0, ret=-CF_EINVAL
	H_SET_DREGS dr7=0x100000400, ret=-CF_EINVAL
	H_UNCHANGED
	H_SET_DREGS db0=0x1000, db1=0x2000, db2=0x3000, db3=0x4000, dr6=0, dr7=DR7_FIXED
	H_EXPECT_DREGS db0=0x1000, db1=0x2000, db2=0x3000, db3=0x4000, dr6=0, dr7=DR7_FIXED, mask=0x3f
END_SCENARIO

/* Guest DRs set by the host are the guest's: its own code breakpoint
 * fires in the guest [spec 7.4 "breakpoints are reprogrammed"]. */
SCENARIO host_debugregs_guest_bp, "spec 7.4; SDM 17.2.4, 17.3.1.1", \
	"SET_DEBUGREGS arms a guest execute breakpoint (DR0): the guest's #DB at it, DR6 0xFFFF0FF1", \
	flags=CF_F_HOST, rf_on=1
	SYNC
.Lhdb0:	nop
.Lhdb1:	nop
	DONE
	H_SYNC .Lhdb0
	H_SET_DREGS db0=.Lhdb1, dr6=DR6_ACTIVE_LOW, dr7=DR7_FIXED|DR7_G(0)
	H_EXPECT_DREGS db0=.Lhdb1, dr6=DR6_ACTIVE_LOW, dr7=DR7_FIXED|DR7_G(0), mask=0x31
	EXPECT_DB .Lhdb1, DR6_ACTIVE_LOW | DR6_B0, auxmask=-1, auxval=DR7_FIXED|DR7_G(0)
END_SCENARIO

/* ==== BLOCKIRQ [spec 7.1; commit 61e5f69ef083]: no NMI goes in while it
 * is set; cleared, the NMI arrives ==== */
SCENARIO host_blockirq_nmi, "spec 7.1 (KVM_GUESTDBG_BLOCKIRQ); commit 61e5f69ef083", \
	"ENABLE|BLOCKIRQ then KVM_NMI: not delivered over three instructions; cleared, the NMI arrives", \
	flags=CF_F_HOST
	SYNC
.Lhbq0:	nop
	nop
	SYNC
.Lhbq1:	nop
	DONE
	H_SYNC .Lhbq0
	H_GUEST_DEBUG CF_GDBG_ENABLE|CF_GDBG_BLOCKIRQ
	H_NMI
	H_SYNC .Lhbq1
	H_EXPECT_EVENTS flags=CF_EVF_GET, n_pend=1
	H_GUEST_DEBUG 0
	EXPECT_EXC 2, .Lhbq1
END_SCENARIO
