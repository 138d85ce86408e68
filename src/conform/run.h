/* Internal to src/conform: the run loop shared by guest-only runs and
 * host-side scenarios, and the guest-memory reader. */
#ifndef TG_CONFORM_RUN_H
#define TG_CONFORM_RUN_H

#include "conform.h"
#include "../boot/machine.h"

struct cf_runner {
	struct tg_machine *m;
	bool model;           /* budget in instructions, else wall clock */
	uint64_t max_insns;   /* model: for the whole run */
	unsigned timeout_ms;  /* kvm: for the whole run */
	double t0;            /* start (CLOCK_MONOTONIC seconds) */
};

double tg_cf_now(void);

/* Runs the vCPU, serving I/O, MMIO, MSR and interrupt-window exits through
 * the machine. With `host`, every other exit (HLT, DEBUG, SHUTDOWN,
 * FAIL_ENTRY, INTERNAL_ERROR, ...) returns 1 with m->run describing it and
 * the run not over; otherwise the machine serves HLT too. Returns 0 when
 * the run is over (o->end set: exit port, halt for good, shutdown, limit,
 * internal error, failed entry). */
int tg_cf_run_until(struct cf_runner *r, bool host, struct tg_outcome *o);

/* "KVM_EXIT_DEBUG (exception 1, pc 0x..)" etc. for the exit in run. */
void tg_cf_describe_exit(const struct kvm_run *run, char *buf, size_t len);

/* Performs the host actions of `sc` (read from guest memory); see host.c.
 * Returns 0 when every action gave the expected result (the run goes on),
 * 1 when one did not (res->status, ->detail and ->host_action set; the run
 * may be over, see o->end), 2 when the scenario does not apply to this
 * backend (res->status = SKIP with the reason). */
int tg_cf_host_actions(struct cf_runner *r, const struct tg_cf_scenario *sc,
		       struct tg_cf_result *res, struct tg_outcome *o);

/* Reads host actions from guest memory (vm) or the kernel image. */
int tg_cf_read_host(struct tg_vm *vm, const struct tg_cf_scenario *sc,
		    struct cf_host_action *out, unsigned *n);

#endif
