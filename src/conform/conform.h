/* The #DB conformance runner: boots the conformance kernel
 * ($(BUILD)/conform.elf, guests/conform) once per scenario variant on a
 * chosen backend, reads the scenario's expected event list and the event
 * log from guest memory, compares them on the host and checks that the
 * guest's own verdict (its TAP line) agrees.
 *
 * Backend-agnostic: only the vm API (include/trapgate.h) and the machine
 * (src/boot) are used, so the model and /dev/kvm run the same code path.
 * Hangs end as TIMEOUT: an instruction budget on the model, a wall-clock
 * limit on kvm. */
#ifndef TG_CONFORM_H
#define TG_CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trapgate.h"
#include "../../guests/conform/abi.h"

#define TG_CF_STR 256
#define TG_CF_MAX_SCENARIOS 4096
#define TG_CF_DEFAULT_BUDGET 5000000ull /* model: instructions per run */
#define TG_CF_DEFAULT_TIMEOUT_MS 5000   /* kvm: wall clock per run */

/* One scenario as the kernel image describes it. */
struct tg_cf_scenario {
	unsigned index;            /* position in the table */
	char name[96];
	char source[TG_CF_STR];
	char descr[TG_CF_STR];
	char unverified[TG_CF_STR]; /* "" when the expectation is verified */
	struct cf_desc d;          /* the raw descriptor (guest addresses) */
	unsigned nexp;
	struct cf_exp exp[CF_LOG_MAX];
};

struct tg_cf_catalogue {
	char path[512];
	uint8_t *image;            /* the kernel file */
	size_t size;
	uint64_t vectors;          /* entry stub of vector 0 (CF_INFO_OFF_VECTORS) */
	unsigned count;
	struct tg_cf_scenario *sc; /* count entries */
};

/* Reads the kernel file and its scenario table (from the file's loadable
 * segments, no VM needed). 0, or -1 with err filled. */
int tg_cf_catalogue_load(struct tg_cf_catalogue *cat, const char *path,
			 char *err, size_t errlen);
void tg_cf_catalogue_free(struct tg_cf_catalogue *cat);
/* conform.elf beside the running executable ($(BUILD)/). */
int tg_cf_default_kernel(char *buf, size_t len);
/* The privilege levels a scenario runs at (CF_F_CPL3_OK/_ONLY); returns
 * how many (1 or 2). */
int tg_cf_variants(const struct tg_cf_scenario *sc, int cpls[2]);
/* Index of the scenario called `name`, or -1. */
int tg_cf_find(const struct tg_cf_catalogue *cat, const char *name);

enum tg_cf_status {
	TG_CF_MATCH = 0, /* events as expected (and the guest agrees) */
	TG_CF_DIFF,      /* events differ, or the run ended the wrong way */
	TG_CF_TIMEOUT,   /* budget / time limit: a hang, reported */
	TG_CF_SKIP,      /* not applicable here (vendor), with the reason */
	TG_CF_ERROR,     /* harness problem: cannot boot, internal error,
			    host and guest verdicts disagree */
};
const char *tg_cf_status_name(enum tg_cf_status s);

struct tg_vm;
struct tg_cf_config {
	enum tg_backend_kind backend;
	uint64_t max_insns;   /* model; 0 = TG_CF_DEFAULT_BUDGET */
	unsigned timeout_ms;  /* kvm;   0 = TG_CF_DEFAULT_TIMEOUT_MS */
	/* Called after the kernel is loaded and before it runs (the tests
	 * mutate an expected list in guest memory here). */
	void (*after_load)(void *opaque, struct tg_vm *vm, const struct tg_cf_scenario *sc);
	void *opaque;
};

struct tg_cf_result {
	const struct tg_cf_catalogue *cat;
	const struct tg_cf_scenario *sc;
	int cpl;
	enum tg_cf_status status;
	char detail[768];     /* the first difference, or why not a match */
	int diff_event;       /* index of the first differing event, or -1 */
	/* the expectation and the log, both as read from guest memory */
	unsigned nexp;
	struct cf_exp exp[CF_LOG_MAX];
	unsigned nobs;
	struct cf_log obs[CF_LOG_MAX];
	/* the guest's view */
	uint64_t guest_phase, guest_verdict, guest_end, guest_vendor;
	bool guest_judged;    /* the guest printed a verdict for this run */
	/* how the run ended (enum tg_end in src/boot/machine.h) */
	int end;
	char outcome[512];
	uint64_t insns;
	char console[4096];   /* the guest's serial output (TAP) */
	size_t nconsole;
};

/* Runs scenario `index` at `cpl` in a fresh VM. Always fills *res;
 * returns its status. */
enum tg_cf_status tg_cf_run(const struct tg_cf_catalogue *cat, const struct tg_cf_config *cfg,
			    unsigned index, int cpl, struct tg_cf_result *res);

/* "match  name  ..." for people; "  expected/observed" lines with verbose. */
void tg_cf_print(FILE *f, const struct tg_cf_result *r, bool verbose);
/* One JSON object (no trailing comma or newline). */
void tg_cf_json(FILE *f, const struct tg_cf_result *r, const char *backend);
/* A human-readable form of one expected / observed event. */
void tg_cf_fmt_exp(char *buf, size_t len, const struct tg_cf_catalogue *cat,
		   const struct tg_cf_scenario *sc, const struct cf_exp *x);
void tg_cf_fmt_obs(char *buf, size_t len, const struct tg_cf_catalogue *cat,
		   const struct tg_cf_scenario *sc, const struct cf_log *o);

/* The `trapgate conform` command (src/cli/main.c dispatches here). */
int tg_cf_main(int argc, char **argv);

#endif
