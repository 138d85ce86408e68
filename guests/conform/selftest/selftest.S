/* Scenarios for testing the conformance runner itself (tests/test_conform.c):
 * built only into conform-selftest.elf, never into the catalogue. Some are
 * deliberately wrong; each says which difference the runner must report. */
#include "scenario.inc"

/* Correct: ICEBP gives one #DB after it with DR6 = 0xFFFF0FF0. */
SCENARIO self_pass, "selftest", "a correct expectation (ICEBP)", flags=CF_F_CPL3_OK
	.byte 0xf1
.Lsp:	DONE
	EXPECT_DB .Lsp, DR6_ACTIVE_LOW
END_SCENARIO

/* Wrong DR6 in event 0: expected BS, the CPU reports none. */
SCENARIO self_wrong_dr6, "selftest", "deliberately wrong DR6 (first difference: event 0, DR6)"
	.byte 0xf1
.Lswd:	DONE
	EXPECT_DB .Lswd, DR6_ACTIVE_LOW | DR6_BS
END_SCENARIO

/* Wrong RIP in event 1 of 2. */
SCENARIO self_wrong_rip, "selftest", "deliberately wrong RIP in event 1"
	.byte 0xf1
.Lswr1:	.byte 0xf1
.Lswr2:	nop
	DONE
	EXPECT_DB .Lswr1, DR6_ACTIVE_LOW
	EXPECT_DB .Lswr1, DR6_ACTIVE_LOW   /* wrong: it is .Lswr2 */
END_SCENARIO

/* Expects two events, one happens. */
SCENARIO self_missing, "selftest", "one expected event never happens"
	.byte 0xf1
.Lsm1:	DONE
	EXPECT_DB .Lsm1, DR6_ACTIVE_LOW
	EXPECT_EXC 3, .Lsm1
END_SCENARIO

/* Expects nothing, gets a #BP. */
SCENARIO self_extra, "selftest", "an unexpected event"
	int3
	DONE
END_SCENARIO

/* Never ends: the host must report a timeout, not hang. */
SCENARIO self_hang, "selftest", "an endless loop"
.Lshang: jmp .Lshang
	DONE
END_SCENARIO

/* A fault with no resume address ends the code; the event matches. */
SCENARIO self_fault_end, "selftest", "#UD without resume ends the run; expected"
.Lsfe:	ud2
	DONE
	EXPECT_ERR 6, .Lsfe, 0
END_SCENARIO

/* IDT limit 0: INT3 -> #GP -> #DF -> shutdown [SDM 6.15 Interrupt 8]. */
SCENARIO self_shutdown, "selftest", "ends in a triple fault, as declared", flags=CF_F_SHUTDOWN
	pushq $0
	pushq $0
	lidt 6(%rsp)
	int3
	DONE
END_SCENARIO

/* Host-side: a correct host expectation (INJECT_DB with nothing in flight
 * returns 0 and the guest gets the #DB) [spec 7.1]. */
SCENARIO self_host_pass, "selftest", "host action with the right expectation", flags=CF_F_HOST
	SYNC
.Lshp:	DONE
	H_SYNC .Lshp
	H_GUEST_DEBUG CF_GDBG_INJECT_DB
	EXPECT_DB .Lshp, DR6_ACTIVE_LOW
END_SCENARIO

/* Host-side, deliberately wrong: INJECT_DB with nothing in flight returns
 * 0, the scenario claims -EBUSY (first difference: host action 1). */
SCENARIO self_host_wrong_ret, "selftest", "host action 1 expects -EBUSY, gets 0", flags=CF_F_HOST
	SYNC
.Lshr:	DONE
	H_SYNC .Lshr
	H_GUEST_DEBUG CF_GDBG_INJECT_DB, ret=-CF_EBUSY
	EXPECT_DB .Lshr, DR6_ACTIVE_LOW
END_SCENARIO

/* Host-side, deliberately wrong: the host waits for a KVM_EXIT_DEBUG that
 * never comes (no guest debugging): the guest reaches its end instead. */
SCENARIO self_host_no_exit, "selftest", "host action 1 waits for KVM_EXIT_DEBUG; the run ends", flags=CF_F_HOST
	SYNC
.Lshn:	nop
	DONE
	H_SYNC .Lshn
	H_RUN_DEBUG 1, .Lshn, DR6_ACTIVE_LOW|DR6_BS
END_SCENARIO
