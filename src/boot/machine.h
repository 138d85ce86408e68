/* A PC-like test machine around one vCPU: RAM at guest-physical 0, the
 * devices of src/devices, a multiboot loader, and the VMM loop that serves
 * the vCPU's exits until the guest ends the run. Built only on the public
 * vm API, so it drives either backend, as a VMM with a userspace irqchip
 * does (KVM without KVM_CREATE_IRQCHIP; QEMU kernel_irqchip=off):
 *
 *   local APIC (xAPIC MMIO at IA32_APIC_BASE, x2APIC MSRs through
 *   KVM_EXIT_X86_RDMSR/WRMSR with KVM_CAP_X86_USER_SPACE_MSR, timer
 *   one-shot/periodic/TSC-deadline), IO-APIC at 0xFEC00000, 8259 pair,
 *   8254 PIT + port 0x61, CMOS/RTC, fw_cfg, ACPI tables at 0xE0000 and PM
 *   timer at 0xB008, QEMU's pc-testdev, 16550 at 0x3f8, isa-debug-exit at
 *   0xf4, debug console 0xe9, POST port 0x80.
 *
 * Interrupts reach the vCPU with KVM_INTERRUPT. On a backend that reports
 * ready_for_interrupt_injection (KVM) the APIC/PIC acknowledge happens only
 * when the vCPU can take the vector at once, with request_interrupt_window
 * otherwise; the model backend does not report it yet, so there the vector
 * is acknowledged as soon as the vCPU's one-vector queue is free and the
 * vCPU takes it when IF=1 outside a shadow.
 *
 * Time: on the model the clock is virtual and deterministic: 1 ns per
 * retired instruction (the guest TSC advances 1 per instruction too), and
 * a HLT with a timer armed jumps the clock (and the TSC) to the next event
 * instead of waiting; the instruction budget stops the vCPU exactly when a
 * timer is due. On /dev/kvm the clock is the host's monotonic clock and a
 * POSIX timer interrupts KVM_RUN when a timer is due.
 *
 * How a run ends, and the process exit status the CLI uses for it (the
 * isa-debug-exit statuses (V << 1) | 1 are always odd; trapgate's own are
 * even, except 3 for an internal error, which QEMU users know from
 * unhandled-instruction aborts and which collides with a guest writing 1):
 *   exit port write of V      (V << 1) | 1 (low 8 bits), as QEMU
 *   guest halted (HLT)        4   nothing can wake the vCPU: IF=0, or no
 *                                 unmasked interrupt source is armed; QEMU
 *                                 would sit halted forever
 *   shutdown (triple fault)   6   QEMU -no-reboot exits 0 here, which a test
 *                                 runner cannot tell from success
 *   --max-insns reached       8
 *   internal error            3   instruction not emulated, bad exit, ...
 *   usage error               2
 *   cannot set up / load      10
 */
#ifndef TG_BOOT_MACHINE_H
#define TG_BOOT_MACHINE_H

#include <stdint.h>
#include <stdio.h>

#include "trapgate.h"
#include "multiboot.h"
#include "../devices/iobus.h"
#include "../devices/ioapic.h"
#include "../devices/lapic.h"
#include "../devices/misc.h"
#include "../devices/pic8259.h"
#include "../devices/pit8254.h"
#include "../devices/platform.h"
#include "../devices/uart16550.h"

#define TG_STATUS_USAGE 2
#define TG_STATUS_INTERNAL 3
#define TG_STATUS_HALT 4
#define TG_STATUS_SHUTDOWN 6
#define TG_STATUS_BUDGET 8
#define TG_STATUS_SETUP 10

#define TG_MACHINE_DEFAULT_RAM (128ull << 20)
#define TG_MACHINE_MMIO_REPORTS 64

enum tg_end {
	TG_END_NONE = 0,
	TG_END_EXIT_PORT,
	TG_END_HALT,
	TG_END_SHUTDOWN,
	TG_END_BUDGET,
	TG_END_INTERNAL,
};

struct tg_machine_config {
	enum tg_backend_kind backend;
	uint64_t ram_size;   /* bytes; 0 = TG_MACHINE_DEFAULT_RAM */
	uint64_t max_insns;  /* 0 = unbounded */
	/* Guest console bytes (serial THR and port 0xe9); NULL = stdout. */
	void (*console)(void *opaque, uint8_t byte);
	void *console_opaque;
	FILE *log;           /* diagnostics; NULL = stderr */
	/* CMOS clock: Unix time at machine time 0; 0 = the host's time now
	 * (give a value for runs that must be reproducible). */
	int64_t rtc_epoch;
};

#define TG_MACHINE_MSR_REPORTS 32

struct tg_machine;
struct tg_outcome;
/* A debugger driving the run loop (src/gdb): tg_machine_run calls
 * before_run just before each KVM_RUN, after_run when KVM_RUN returns
 * (nonzero: the debugger consumed the exit, e.g. KVM_EXIT_DEBUG or a
 * KVM_EXIT_INTR, and the loop goes round again), and end once the run is
 * over and the outcome filled. before_run and after_run may end the run by
 * setting out->end. With virtual time (model) the loop caps each run's
 * instruction budget at debugger_slice. */
struct tg_machine_debugger {
	void (*before_run)(void *opaque, struct tg_machine *m, struct tg_outcome *o);
	int (*after_run)(void *opaque, struct tg_machine *m, int r, struct tg_outcome *o);
	void (*end)(void *opaque, struct tg_machine *m, struct tg_outcome *o);
};

struct tg_machine {
	struct tg_machine_config cfg;
	const struct tg_machine_debugger *debugger; /* NULL: none */
	void *debugger_opaque;
	uint64_t debugger_slice; /* model: most instructions per KVM_RUN, so
				    the debugger sees its socket (0: none) */
	struct tg_vm *vm;
	struct tg_vcpu *vcpu;
	struct kvm_run *run;
	uint8_t *ram;
	uint64_t ram_size;
	struct tg_iobus io;
	struct tg_uart com1;
	struct tg_debug_exit exit_port;
	struct tg_debugcon debugcon;
	uint64_t mmio_reported[TG_MACHINE_MMIO_REPORTS]; /* page numbers + 1 */
	int nmmio_reported;
	uint32_t msr_reported[TG_MACHINE_MSR_REPORTS];
	int nmsr_reported;

	/* interrupt controllers and timers */
	struct tg_lapic lapic;
	struct tg_ioapic ioapic;
	struct tg_pic pic;
	struct tg_pit pit;
	struct tg_rtc rtc;
	struct tg_fwcfg fwcfg;
	struct tg_acpi_pm pm;
	struct tg_testdev *testdev;  /* 64 KiB of I/O memory: on the heap */

	/* time */
	bool virtual_time;      /* the backend counts instructions (model) */
	uint64_t skipped;       /* virtual ns added by HLT time jumps */
	uint64_t t0;            /* host CLOCK_MONOTONIC ns at creation */
	void *host_timer;       /* kvm: the POSIX timer interrupting KVM_RUN */

	/* interrupt injection */
	bool window_exits;      /* backend reports ready_for_interrupt_injection */
	bool queued;            /* a KVM_INTERRUPT vector may still wait in the vCPU */
	bool queued_apic;       /* ... and it came from the local APIC */
	uint8_t queued_vec;
	uint64_t irqs_retracted;
	bool user_msr;          /* KVM_CAP_X86_USER_SPACE_MSR is on */
	uint64_t irqs_injected, nmis_injected, hlt_skips;
};

struct tg_outcome {
	enum tg_end end;
	int status;           /* the process exit status (see above) */
	uint32_t exit_value;  /* TG_END_EXIT_PORT: the value written */
	uint64_t rip;         /* where the guest stopped */
	uint64_t insns;       /* guest instructions retired (model backend) */
	uint64_t exits;       /* returns from tg_vcpu_run */
	double seconds;       /* wall time of the run loop */
	char msg[512];        /* what happened, for people */
};

/* 0, or a negative errno with msg filled. */
int tg_machine_create(struct tg_machine *m, const struct tg_machine_config *cfg,
		      char *msg, size_t msglen);
void tg_machine_destroy(struct tg_machine *m);

/* Multiboot kernel into RAM and the vCPU into its entry state. */
int tg_machine_load_multiboot(struct tg_machine *m, const void *image, size_t size,
			      const char *cmdline, struct tg_mb_result *res);

/* Runs until the guest ends the run; always fills *out. */
void tg_machine_run(struct tg_machine *m, struct tg_outcome *out);

/* The pieces of tg_machine_run, for VMM loops of their own (and tests):
 * serve the exit in m->run after a KVM_RUN that returned 0, setting
 * out->end when the run is over; then fill status, message, RIP and
 * counts for out->end. */
void tg_machine_handle_exit(struct tg_machine *m, struct tg_outcome *out);
void tg_machine_finish(struct tg_machine *m, struct tg_outcome *out);

/* The machine clock in ns (virtual on the model, see above). */
uint64_t tg_machine_now(struct tg_machine *m);
/* Bring timers up to `now`, raise what is due, and hand the vCPU the next
 * interrupt it can take (one step of tg_machine_run, for tests). */
void tg_machine_service(struct tg_machine *m);
/* An ISA interrupt line (0-15) to the 8259s and the IO-APIC (IRQ 0 is
 * IO-APIC input 2, as the MADT says). */
void tg_machine_isa_irq(struct tg_machine *m, unsigned irq, bool level);

#endif
