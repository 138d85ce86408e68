/* A PC-like test machine around one vCPU: RAM at guest-physical 0, the
 * port-I/O devices of src/devices, a multiboot loader, and the VMM loop
 * that serves the vCPU's exits until the guest ends the run. Built only on
 * the public vm API, so it drives either backend.
 *
 * How a run ends, and the process exit status the CLI uses for it (the
 * isa-debug-exit statuses (V << 1) | 1 are always odd; trapgate's own are
 * even, except 3 for an internal error, which QEMU users know from
 * unhandled-instruction aborts and which collides with a guest writing 1):
 *   exit port write of V      (V << 1) | 1 (low 8 bits), as QEMU
 *   guest halted (HLT)        4   nothing can wake the vCPU (no interrupt
 *                                 sources yet); QEMU would sit halted forever
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
#include "../devices/misc.h"
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
};

struct tg_machine {
	struct tg_machine_config cfg;
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

#endif
