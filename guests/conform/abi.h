/* The conformance kernel's memory interface, shared by the guest (runtime
 * C and assembly, scenario macros) and the host runner (src/conform).
 *
 * Every structure is an array of little-endian 64-bit words, so the same
 * offsets serve GNU as (which sees only the #defines) and C on both sides.
 * Addresses in the structures are guest-linear = guest-physical (the
 * runtime identity-maps the low 4 GiB).
 *
 * Where things are:
 *   CF_INFO_ADDR     the info block (fixed, right after the multiboot header):
 *                    magic, ABI version, scenario table, state block
 *   table            `count` scenario descriptors (CF_SC_SIZE bytes each),
 *                    emitted by the SCENARIO/END_SCENARIO macros into the
 *                    section .conform_table
 *   state            the run state: phase, current scenario, verdicts and the
 *                    event log of the scenario run last
 */
#ifndef CONFORM_ABI_H
#define CONFORM_ABI_H

#define CF_ABI_VERSION 2
#define CF_INFO_ADDR 0x100010
#define CF_INFO_MAGIC 0x314d524f464e4f43 /* "CONFORM1" */
#define CF_STATE_MAGIC 0x4554415453464354 /* "TCFSTATE" */

/* ---- info block (u64 words) ---- */
#define CF_INFO_OFF_MAGIC 0
#define CF_INFO_OFF_VERSION 8
#define CF_INFO_OFF_TABLE 16    /* address of descriptor 0 */
#define CF_INFO_OFF_COUNT 24    /* number of descriptors */
#define CF_INFO_OFF_STATE 32    /* address of the state block */
#define CF_INFO_OFF_LOGMAX 40   /* entries in the log */
#define CF_INFO_OFF_VECTORS 48  /* address of the vector-0 entry stub */
#define CF_INFO_OFF_STUBSIZE 56 /* bytes per entry stub */
#define CF_INFO_SIZE 64

/* ---- scenario descriptor (u64 words) ---- */
#define CF_SC_NAME 0        /* -> NUL-terminated name (unique) */
#define CF_SC_SOURCE 8      /* -> where the expectation comes from */
#define CF_SC_DESCR 16      /* -> one line for people */
#define CF_SC_UNVERIFIED 24 /* -> reason the expectation is unverified; "" when
                             it is not */
#define CF_SC_CODE 32       /* entry point of the scenario code */
#define CF_SC_FLAGS 40      /* CF_F_* */
#define CF_SC_DR0 48        /* DR0-DR3 loaded before the code runs */
#define CF_SC_DR1 56
#define CF_SC_DR2 64
#define CF_SC_DR3 72
#define CF_SC_DR7 80        /* loaded last, just before entry */
#define CF_SC_DR6 88        /* loaded when CF_F_DR6_PRESET (else DR6 := 0) */
#define CF_SC_MAXEV 96      /* the handler clears TF and DR7 after this many events */
#define CF_SC_RESUME 104    /* fault-resume address (0: a fault aborts the run) */
#define CF_SC_RF_ON 112     /* #DB handler sets RF when DR6 & this (B0-B3) != 0 */
#define CF_SC_NEXP 120      /* expected events */
#define CF_SC_EXP 128       /* -> CF_SC_NEXP expected events */
#define CF_SC_END 136       /* address of the scenario's done point (RIP hint) */
#define CF_SC_HOST 144      /* -> CF_SC_NHOST host actions (CF_HA_*), or 0 */
#define CF_SC_NHOST 152
#define CF_SC_SIZE 160

/* scenario flags */
#define CF_F_CPL3_OK 0x1      /* runs at CPL0 and also at CPL3 (IOPL=3) */
#define CF_F_CPL3_ONLY 0x2    /* runs only at CPL3 */
#define CF_F_INTEL_ONLY 0x4   /* expectation holds on Intel only */
#define CF_F_AMD_ONLY 0x8     /* expectation holds on AMD only */
#define CF_F_CR4_DE 0x10      /* CR4.DE=1 while the scenario runs */
#define CF_F_DR6_PRESET 0x20  /* DR6 := descriptor DR6 before entry */
#define CF_F_WAKE_TIMER 0x40  /* arm a one-shot APIC timer as a HLT backstop */
#define CF_F_SHUTDOWN 0x80    /* ends in shutdown (triple fault): run alone */
#define CF_F_CLEAR_DR6 0x100  /* the #DB handler writes DR6 := 0 after logging */
#define CF_F_IF 0x200         /* enter with RFLAGS.IF=1 */
#define CF_F_HOST 0x400       /* has host actions (KVM API calls between runs):
				 runs only when the command line says `host`
				 (the host runner); TAP SKIP otherwise */

/* ---- host actions (u64 words; CF_HA_SIZE bytes each) ----
 * A host-side scenario is guest code plus a list of actions the host
 * runner (src/conform/host.c) performs through the vm API, in order, with
 * the expected host-visible result of each. Guest code meets the host at
 * sync points: a HLT at CPL0 (KVM_EXIT_HLT with RIP after it; a VMM with
 * a userspace irqchip sees every HLT), identified by that RIP. After the
 * last action the run continues to the scenario's end and the guest's
 * events are compared as for any scenario.
 *
 * Word 0 is the operation, word 1 the expected return value of the call
 * (0, -EBUSY, ...; CF_H_ANY: not compared), words 2.. its arguments A0..:
 *   SYNC          A0 = RIP after the sync HLT: run until the guest halts
 *                 there (any other stop is a difference)
 *   ENABLE_CAP    A0 = capability, A1 = args[0]; a capability the backend
 *                 does not report (KVM_CHECK_EXTENSION) skips the scenario
 *   GUEST_DEBUG   A0 = control, A1..A4 = debugreg[0..3], A5 = debugreg[7]
 *   SET_DREGS     A0..A3 = db[0..3], A4 = dr6, A5 = dr7, A6 = flags
 *   EXPECT_DREGS  A0..A3 = db[0..3], A4 = dr6, A5 = dr7; A6 = which to
 *                 compare (bit n: db[n], bit 4: dr6, bit 5: dr7)
 *   SET_EVENTS    A0..A7 = struct kvm_vcpu_events (64 bytes)
 *   EXPECT_EVENTS A0..A7 = struct kvm_vcpu_events, compared as state:
 *                 flags, exception.injected/pending and, when either is
 *                 set, nr, has_error_code, error_code (with has_error_code),
 *                 exception_has_payload, exception_payload (with
 *                 has_payload); interrupt.injected (+nr), shadow; nmi.*;
 *                 smi.*; triple_fault.pending. (KVM leaves stale values in
 *                 the fields of an empty queue.) exception.pending and the
 *                 payload fields only when the expected flags have
 *                 VALID_PAYLOAD (they are not part of the ABI without it).
 *   EVENTS_ROUNDTRIP  GET, SET of what GET gave (expected return), GET:
 *                 both GETs equal as state
 *   SNAPSHOT      remember events, debug registers, RIP and RFLAGS
 *   UNCHANGED     all of them still equal to the snapshot
 *   RUN_DEBUG     run: KVM_EXIT_DEBUG with exception A0, pc A1, dr6 A2
 *                 (CF_H_ANY: not compared), (dr7 & A3) == A4
 *   RUN_EXIT      run: exit reason A0; RIP afterwards == A1 unless A1 = 0
 *   RFLAGS        KVM_SET_REGS with RFLAGS = (RFLAGS & ~A1) | A0
 *   INTERRUPT     KVM_INTERRUPT, irq A0
 *   NMI           KVM_NMI
 *   EXPECT_REGS   RIP == A0, (RFLAGS & A1) == A2
 */
#define CF_HA_OP 0
#define CF_HA_RET 8
#define CF_HA_ARG 16        /* A0; An at CF_HA_ARG + 8 * n */
#define CF_HA_NARGS 14
#define CF_HA_SIZE 128
#define CF_H_ANY 0x7fffffffffffffff

#define CF_H_SYNC 1
#define CF_H_ENABLE_CAP 2
#define CF_H_GUEST_DEBUG 3
#define CF_H_SET_DREGS 4
#define CF_H_EXPECT_DREGS 5
#define CF_H_SET_EVENTS 6
#define CF_H_EXPECT_EVENTS 7
#define CF_H_EVENTS_ROUNDTRIP 8
#define CF_H_SNAPSHOT 9
#define CF_H_UNCHANGED 10
#define CF_H_RUN_DEBUG 11
#define CF_H_RUN_EXIT 12
#define CF_H_RFLAGS 13
#define CF_H_INTERRUPT 14
#define CF_H_NMI 15
#define CF_H_EXPECT_REGS 16
#define CF_H_MAX 16
#define CF_HOST_MAX 64      /* actions per scenario */

/* KVM ABI values for scenario files (the guest build has no
 * <linux/kvm.h>; src/conform/host.c checks each against it) */
#define CF_GDBG_ENABLE 0x1
#define CF_GDBG_SINGLESTEP 0x2
#define CF_GDBG_USE_SW_BP 0x10000
#define CF_GDBG_USE_HW_BP 0x20000
#define CF_GDBG_INJECT_DB 0x40000
#define CF_GDBG_INJECT_BP 0x80000
#define CF_GDBG_BLOCKIRQ 0x100000
#define CF_EVF_NMI_PENDING 0x1
#define CF_EVF_SIPI_VECTOR 0x2
#define CF_EVF_SHADOW 0x4
#define CF_EVF_SMM 0x8
#define CF_EVF_PAYLOAD 0x10
#define CF_EVF_TRIPLE_FAULT 0x20
#define CF_EVF_GET (CF_EVF_NMI_PENDING | CF_EVF_SHADOW | CF_EVF_SMM) /* GET always sets */
#define CF_SHADOW_MOV_SS 0x1
#define CF_SHADOW_STI 0x2
#define CF_CAP_EXCEPTION_PAYLOAD 164
#define CF_CAP_X86_TRIPLE_FAULT_EVENT 218
#define CF_EXIT_DEBUG 4
#define CF_EXIT_HLT 5
#define CF_EXIT_SHUTDOWN 8
#define CF_EXIT_FAIL_ENTRY 9
#define CF_EXIT_INTERNAL_ERROR 17
#define CF_EBUSY 16
#define CF_EEXIST 17
#define CF_EINVAL 22

/* ---- expected event (u64 words) ---- */
#define CF_EV_VECTOR 0
#define CF_EV_FLAGS 8       /* CF_E_* */
#define CF_EV_RIP 16
#define CF_EV_DR6 24
#define CF_EV_ERR 32
#define CF_EV_FLMASK 40     /* (pushed RFLAGS & FLMASK) == FLVAL */
#define CF_EV_FLVAL 48
#define CF_EV_AUXMASK 56    /* (aux & AUXMASK) == AUXVAL; aux: DR7 for #DB, CR2 for #PF/#DF */
#define CF_EV_AUXVAL 64
#define CF_EV_SIZE 80

#define CF_E_DR6 0x1        /* compare DR6 (read by the handler) */
#define CF_E_ERR 0x2        /* compare the error code */
#define CF_E_FLAGS 0x4      /* compare pushed RFLAGS under FLMASK */
#define CF_E_AUX 0x8        /* compare aux under AUXMASK */
#define CF_E_RIP_ANY 0x10   /* saved RIP not compared (#DF: undefined) */

/* ---- log entry (u64 words): one per exception/interrupt the handlers saw,
 * in the order the handlers ran (a #DB delivered before the first
 * instruction of another handler is logged before that handler's event) */
#define CF_LOG_VECTOR 0
#define CF_LOG_RIP 8
#define CF_LOG_DR6 16       /* #DB only: DR6 read in the handler, else 0 */
#define CF_LOG_RFLAGS 24    /* pushed RFLAGS */
#define CF_LOG_ERR 32       /* error code (0 when the vector has none) */
#define CF_LOG_CS 40        /* pushed CS */
#define CF_LOG_AUX 48       /* #DB: DR7 in the handler; #PF/#DF: CR2 */
#define CF_LOG_RSP 56       /* pushed RSP */
#define CF_LOG_SIZE 64
#define CF_LOG_MAX 32

/* ---- state block (u64 words) ---- */
#define CF_ST_MAGIC 0
#define CF_ST_PHASE 8       /* CF_PH_* */
#define CF_ST_INDEX 16      /* scenario running / run last */
#define CF_ST_CPL 24
#define CF_ST_NLOG 32       /* entries in the log */
#define CF_ST_DROPPED 40    /* events beyond CF_LOG_MAX */
#define CF_ST_VERDICT 48    /* CF_V_* of the scenario run last */
#define CF_ST_END 56        /* CF_END_*: how its code ended */
#define CF_ST_NPASS 64
#define CF_ST_NFAIL 72
#define CF_ST_NSKIP 80
#define CF_ST_VENDOR 88     /* CF_VENDOR_* from CPUID leaf 0 */
#define CF_ST_WAKEIRQ 96    /* wake-timer interrupts taken */
#define CF_ST_NRUN 104      /* variants selected by the command line */
#define CF_ST_ENDVEC 112    /* CF_END_FAULT/_DF: the vector that ended it */
#define CF_ST_ENDRIP 120    /* ... and its saved RIP */
#define CF_ST_LOG 128
#define CF_ST_SIZE (CF_ST_LOG + CF_LOG_MAX * CF_LOG_SIZE)

#define CF_PH_BOOT 0
#define CF_PH_RUN 1         /* scenario code running */
#define CF_PH_CHECK 2       /* code ended, comparing */
#define CF_PH_IDLE 3        /* between scenarios */
#define CF_PH_FINISHED 4    /* all selected variants done, summary printed */

#define CF_V_NONE 0
#define CF_V_PASS 1
#define CF_V_FAIL 2
#define CF_V_SKIP 3

#define CF_END_NONE 0
#define CF_END_DONE 1       /* reached its DONE (INT 0x80) */
#define CF_END_FAULT 2      /* a fault with no resume address */
#define CF_END_DF 3         /* #DF (abort class: cannot return) */
#define CF_END_LOGFULL 4    /* CF_LOG_MAX events: runaway */

#define CF_VENDOR_OTHER 0
#define CF_VENDOR_INTEL 1
#define CF_VENDOR_AMD 2

/* ---- vectors the runtime gives meaning to ---- */
#define CF_VEC_DONE 0x80    /* DPL3 gate: scenario finished (not logged) */
#define CF_VEC_SOFT 0x81    /* DPL3 gate: logged software interrupt */
#define CF_VEC_ASSERT 0x82  /* DPL3 gate: a CHECK failed (logged; never expected) */
#define CF_VEC_TIMER 0xee   /* wake timer (not logged) */
#define CF_STUB_SIZE 16

/* ---- selectors (GDT built by the runtime) ---- */
#define CF_SEL_KCODE 0x08   /* 64-bit code, DPL0 */
#define CF_SEL_KDATA 0x10
#define CF_SEL_KCODE32 0x18 /* 32-bit code, DPL0 (compatibility mode) */
#define CF_SEL_UDATA 0x23
#define CF_SEL_UCODE 0x2b   /* 64-bit code, DPL3 */
#define CF_SEL_UCODE32 0x33 /* 32-bit code, DPL3 */
#define CF_SEL_TSS 0x38

/* DR6 / DR7 / RFLAGS constants for scenario files [spec 1.2, 1.3] */
#define DR6_ACTIVE_LOW 0xffff0ff0
#define DR6_B0 0x1
#define DR6_B1 0x2
#define DR6_B2 0x4
#define DR6_B3 0x8
#define DR6_BD 0x2000
#define DR6_BS 0x4000
#define DR6_BT 0x8000
#define DR7_FIXED 0x400
#define DR7_GD 0x2000
#define DR7_L(n) (1 << (2 * (n)))
#define DR7_G(n) (2 << (2 * (n)))
#define DR7_RW(n, rw) ((rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((len) << (18 + 4 * (n)))
#define RW_EXEC 0
#define RW_WRITE 1
#define RW_IO 2
#define RW_RW 3
#define LEN_1 0
#define LEN_2 1
#define LEN_8 2
#define LEN_4 3
#define RFL_TF 0x100
#define RFL_IF 0x200
#define RFL_RF 0x10000

#ifndef __ASSEMBLER__
#include <stdint.h>
struct cf_info {
	uint64_t magic, version, table, count, state, logmax, vectors, stubsize;
};
struct cf_desc {
	uint64_t name, source, descr, unverified, code, flags;
	uint64_t dr[4], dr7, dr6, maxev, resume, rf_on, nexp, exp, end;
	uint64_t host, nhost;
};
struct cf_host_action {
	uint64_t op;
	int64_t ret;
	uint64_t a[CF_HA_NARGS];
};
struct cf_exp {
	uint64_t vector, flags, rip, dr6, err, flmask, flval, auxmask, auxval, pad;
};
struct cf_log {
	uint64_t vector, rip, dr6, rflags, err, cs, aux, rsp;
};
struct cf_state {
	uint64_t magic, phase, index, cpl, nlog, dropped, verdict, end;
	uint64_t npass, nfail, nskip, vendor, wakeirq, nrun, endvec, endrip;
	struct cf_log log[CF_LOG_MAX];
};
_Static_assert(sizeof(struct cf_info) == CF_INFO_SIZE, "info");
_Static_assert(sizeof(struct cf_desc) == CF_SC_SIZE, "desc");
_Static_assert(sizeof(struct cf_exp) == CF_EV_SIZE, "exp");
_Static_assert(sizeof(struct cf_host_action) == CF_HA_SIZE, "host action");
_Static_assert(sizeof(struct cf_log) == CF_LOG_SIZE, "log");
_Static_assert(sizeof(struct cf_state) == CF_ST_SIZE, "state");
#endif

#endif
