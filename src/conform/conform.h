/* The #DB conformance runner: boots the conformance kernel
 * ($(BUILD)/conform.elf, guests/conform) once per scenario variant on a
 * chosen backend, performs the host actions of host-side scenarios
 * (host.c), reads the scenario's expected event list and the event log
 * from guest memory, compares them on the host and checks that the guest's
 * own verdict (its TAP line) agrees. QEMU (qemu.c) boots the same kernel
 * and its TAP output is folded into the same results; matrix.c runs every
 * variant on several backends.
 *
 * Backend-agnostic: only the vm API (include/trapgate.h) and the machine
 * (src/boot) are used, so the model and /dev/kvm run the same code path.
 * Hangs end as TIMEOUT: an instruction budget on the model, a wall-clock
 * limit on kvm and QEMU. */
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
#define TG_CF_RAM (32ull << 20)         /* guest RAM: the kernel needs ~2 MiB */

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
	unsigned nhost;            /* host actions (CF_F_HOST scenarios) */
	struct cf_host_action host[CF_HOST_MAX];
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

/* Which outcomes are whose: MATCH/DIFF/TIMEOUT/ERROR describe the backend
 * (on /dev/kvm and QEMU every non-match is a finding about that
 * hypervisor; on the model it is a model bug); HARNESS is always ours. */
enum tg_cf_status {
	TG_CF_MATCH = 0, /* events (and host-visible results) as expected */
	TG_CF_DIFF,      /* events or host-visible results differ, or the run
			    ended the wrong way */
	TG_CF_TIMEOUT,   /* budget / time limit: the guest hung */
	TG_CF_SKIP,      /* not applicable here (vendor, capability, needs
			    host actions), with the reason */
	TG_CF_ERROR,     /* the hypervisor failed the guest: internal error,
			    failed VM entry, the runtime itself faulted */
	TG_CF_HARNESS,   /* our harness failed: cannot boot or read the
			    kernel, host and guest verdicts disagree */
};
#define TG_CF_NSTATUS 6
const char *tg_cf_status_name(enum tg_cf_status s);

struct tg_vm;
struct tg_cf_config {
	enum tg_backend_kind backend;
	uint64_t max_insns;   /* model; 0 = TG_CF_DEFAULT_BUDGET */
	unsigned timeout_ms;  /* kvm;   0 = TG_CF_DEFAULT_TIMEOUT_MS */
	bool no_host;         /* run host-side scenarios' guest code only as
				 the standalone kernel would: SKIP */
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
	int host_action;      /* index of the host action that differed, or -1 */
	unsigned host_done;   /* host actions performed */
	uint64_t insns;
	double seconds;       /* wall time of the run */
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

/* ---- host-side scenarios (host.c) ---- */

/* Name of a host action (CF_H_*). */
const char *tg_cf_host_op_name(uint64_t op);
/* A readable form of host action `i` of `sc` (as read from the image). */
void tg_cf_fmt_host(char *buf, size_t len, const struct tg_cf_catalogue *cat,
		    const struct tg_cf_scenario *sc, unsigned i);

/* ---- QEMU (qemu.c) ---- */

struct tg_cf_variant {
	unsigned index; /* scenario */
	int cpl;
};
/* All variants of the catalogue (filter: name substring or NULL; cpl -1
 * for both). Returns the count; *out is malloc()ed. */
unsigned tg_cf_variants_all(const struct tg_cf_catalogue *cat, const char *filter, int cpl,
			    struct tg_cf_variant **out);

struct tg_cf_qemu_config {
	const char *binary;   /* NULL: qemu-system-x86_64 from PATH */
	bool kvm;             /* -accel kvm (else tcg) */
	unsigned timeout_ms;  /* one variant's wall-clock limit; 0: default */
	unsigned boot_ms;     /* first TAP line after start; 0: default */
};
#define TG_CF_QEMU_TIMEOUT_MS 4000
#define TG_CF_QEMU_BOOT_MS 20000

/* Runs `n` variants of the catalogue under QEMU (one boot for all of them;
 * after a variant that hangs or kills the guest, a new boot resumes with
 * the next one) and fills res[0..n-1] in the same form as tg_cf_run. 0, or
 * -1 with `why` filled when QEMU cannot run the kernel at all (missing,
 * accelerator refused): the caller reports the backend as skipped. */
int tg_cf_qemu_run(const struct tg_cf_catalogue *cat, const struct tg_cf_qemu_config *qc,
		   const struct tg_cf_variant *vars, unsigned n, struct tg_cf_result *res,
		   char *why, size_t whylen);
/* "QEMU emulator version ..." of the binary, or "" */
void tg_cf_qemu_version(const char *binary, char *buf, size_t len);

/* ---- the matrix (matrix.c) ---- */

enum tg_cf_backend {
	TG_CF_MODEL = 0,
	TG_CF_KVM,
	TG_CF_QEMU_TCG,
	TG_CF_QEMU_KVM,
	TG_CF_NBACKENDS,
};
const char *tg_cf_backend_name(enum tg_cf_backend b);
/* "model", "kvm", "qemu-tcg", "qemu-kvm": 0, or -1 if unknown. */
int tg_cf_backend_parse(const char *name, enum tg_cf_backend *out);

struct tg_cf_column {
	enum tg_cf_backend backend;
	bool available;
	char reason[512];     /* why not available */
	char version[160];    /* kernel release and KVM module / QEMU version */
	unsigned count[TG_CF_NSTATUS];
	double seconds;
};

struct tg_cf_matrix_config {
	uint64_t max_insns;   /* model, per run; 0 = default */
	unsigned timeout_ms;  /* kvm and QEMU, per run; 0 = default */
	const char *qemu;     /* QEMU binary; NULL = from PATH */
	/* called after every result (progress output); may be NULL */
	void (*progress)(void *opaque, const struct tg_cf_result *r, enum tg_cf_backend b);
	void *opaque;
};

struct tg_cf_matrix {
	const struct tg_cf_catalogue *cat;
	unsigned nvar;
	struct tg_cf_variant *var;
	unsigned ncol;
	struct tg_cf_column col[TG_CF_NBACKENDS];
	struct tg_cf_result *res; /* res[v * ncol + c] */
};

/* Runs every variant on every listed backend. An unavailable backend is a
 * column of SKIPs with its reason. Returns 0 (results in mx; free with
 * tg_cf_matrix_free), or -1 when out of memory. */
int tg_cf_matrix_run(struct tg_cf_matrix *mx, const struct tg_cf_catalogue *cat,
		     const enum tg_cf_backend *backends, unsigned nbackends,
		     const char *filter, int cpl, const struct tg_cf_matrix_config *cfg);
void tg_cf_matrix_free(struct tg_cf_matrix *mx);
static inline struct tg_cf_result *tg_cf_cell(const struct tg_cf_matrix *mx, unsigned v, unsigned c)
{
	return &mx->res[(size_t)v * mx->ncol + c];
}
/* A column's departures: DIFF, TIMEOUT and ERROR runs. */
unsigned tg_cf_departures(const struct tg_cf_column *col);
/* Whether the matrix makes `trapgate conform` fail: the model departs from
 * bare metal, or any harness error. */
bool tg_cf_matrix_failed(const struct tg_cf_matrix *mx);
void tg_cf_matrix_print(FILE *f, const struct tg_cf_matrix *mx, bool verbose);
void tg_cf_matrix_json(FILE *f, const struct tg_cf_matrix *mx, const char *kernel);
/* Describes the host for reports: kernel release, the KVM vendor module
 * (kvm_intel, kvm_amd, kvm_pvm, ...) and the CPU model. */
void tg_cf_host_info(char *kernel, size_t klen, char *module, size_t mlen, char *cpu, size_t clen);

/* The `trapgate conform` command (src/cli/main.c dispatches here). */
int tg_cf_main(int argc, char **argv);

#endif
