/* The #DB conformance catalogue on the model, through the runner's library
 * API (src/conform/conform.h), and tests of the runner itself with the
 * self-test kernel (guests/conform/selftest: deliberately wrong
 * expectations, a hang, a triple fault). Both kernels are built beside the
 * test binary ($(BUILD)/conform.elf, $(BUILD)/conform-selftest.elf). The
 * expected values live in the scenario files, each with its source. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "test_conform.h"
#include "../src/boot/machine.h"

int tg_test_cf_build_path(char *out, size_t len, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return snprintf(out, len, "%s/%s", exe, rel) < (int)len ? 0 : -1;
}
#define build_path tg_test_cf_build_path

bool tg_test_cf_load(struct tg_cf_catalogue *cat, const char *file)
{
	char path[PATH_MAX], err[600];
	if (build_path(path, sizeof path, file) < 0) {
		test_fail(__FILE__, __LINE__, "cannot locate %s", file);
		return false;
	}
	if (tg_cf_catalogue_load(cat, path, err, sizeof err) < 0) {
		test_fail(__FILE__, __LINE__, "%s", err);
		return false;
	}
	return true;
}
#define load tg_test_cf_load

/* Scenarios that differ on the model because of a CPU piece not finished
 * yet, each with the missing piece: the catalogue tests report them as
 * known and fail on any OTHER difference; they print "now matches" for an
 * entry the CPU has caught up with (delete it then). The expectations
 * are KVM's ABI and bare metal (the scenario files give the sources); the
 * model (src/cpu, src/vm) is the lead's to fix. */
static const struct {
	const char *name; /* a variant: name or name@cpl3 */
	const char *why;
} known_gaps[] = {
	/* e.g. { "host_step_hlt", "a host step over HLT ends in KVM_EXIT_HLT" }, */
	{ 0, 0 },
};

const char *tg_test_cf_known_gap(const char *variant)
{
	for (size_t i = 0; known_gaps[i].name; i++)
		if (!strcmp(known_gaps[i].name, variant))
			return known_gaps[i].why;
	return 0;
}
#define known_gap tg_test_cf_known_gap

/* The whole catalogue, each variant in a fresh VM: every run matches,
 * except the known model gaps above (reported, not failed). */
TEST(conform_catalogue_model)
{
	struct tg_cf_catalogue cat;
	if (!load(&cat, "conform.elf"))
		return;
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL };
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);
	unsigned runs = 0, gaps = 0;
	for (unsigned i = 0; i < cat.count; i++) {
		int cpls[2], k = tg_cf_variants(&cat.sc[i], cpls);
		for (int j = 0; j < k; j++) {
			char v[128];
			snprintf(v, sizeof v, "%s%s", cat.sc[i].name, cpls[j] == 3 ? "@cpl3" : "");
			enum tg_cf_status st = tg_cf_run(&cat, &cfg, i, cpls[j], r);
			runs++;
			const char *gap = known_gap(v);
			if (st == TG_CF_MATCH || st == TG_CF_SKIP) {
				if (gap && st == TG_CF_MATCH)
					printf("    %s now matches: remove it from known_gaps\n", v);
				continue;
			}
			if (gap && st == TG_CF_DIFF) {
				gaps++;
				printf("    known model gap %s: %s\n", v, gap);
				continue;
			}
			test_fail(__FILE__, __LINE__, "%s %s: %s", tg_cf_status_name(st), v, r->detail);
		}
	}
	unsigned host = 0;
	for (unsigned i = 0; i < cat.count; i++)
		host += (cat.sc[i].d.flags & CF_F_HOST) != 0;
	printf("    %u runs of %u scenarios (%u host-side), %u known model gaps\n", runs, cat.count,
	       host, gaps);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* The catalogue's shape: at least 60 scenarios, every one with a source
 * and a description; every kvm-unit-tests x86/debug.c case and every
 * seed scenario the issue names is present. */
TEST(conform_catalogue_contents)
{
	struct tg_cf_catalogue cat;
	if (!load(&cat, "conform.elf"))
		return;
	EXPECT_TRUE(cat.count >= 60);
	for (unsigned i = 0; i < cat.count; i++) {
		EXPECT_TRUE(cat.sc[i].source[0] != 0);
		EXPECT_TRUE(cat.sc[i].descr[0] != 0);
		EXPECT_TRUE(cat.sc[i].d.code >= 0x100000);
		EXPECT_TRUE(cat.sc[i].d.end > cat.sc[i].d.code);
	}
	static const char *const required[] = {
		/* kvm-unit-tests x86/debug.c, case by case */
		"kut_bus_lock", "kut_dr4_alias_dr6", "kut_dr4_ud", "kut_int3", "kut_hw_bp1",
		"kut_hw_bp2", "kut_singlestep_basic", "kut_singlestep_emulated",
		"kut_singlestep_sti", "kut_singlestep_movss", "kut_singlestep_movss_icebp",
		"kut_singlestep_movss_gd", "kut_singlestep_sti_hlt", "kut_singlestep_code_db",
		"kut_hw_wp1", "kut_hw_wp2", "kut_icebp", "kut_movss_wp_icebp",
		"kut_movss_wp_int1", "kut_movss_wp_int3",
		/* seeds 000 and 001, GD in the MOV SS shadow */
		"seed000_movss_wp_tf_cpuid", "seed000_movss_wp_tf_nop",
		"seed000_movss_wp_tf_icebp", "movss_gd",
		/* §9 items 1-7, one each at least */
		"dr6_upper_gp", "dr5_ud_de1", "movdr_prio_cpl3_gd", "tf_iret_sets",
		"tf_rep_movsb", "tf_hlt_if0", "code_bp_rf_iret", "wp_len8", "io_bp_de0",
		"io_bp_out", "tf_clears_bn", "icebp_clears_bn", "movss_movss_tf", "popss_tf",
		"gd_read", "rf_push_pf", "df_gp_in_gp", "df_pf_in_pf", "serial_db_in_pf",
		"df_triple_fault",
		/* host-side (issue 4): INJECT_* with nothing / something in
		 * flight, host single-step, host breakpoints, GD, seed 003 at
		 * the API level, event round trips */
		"host_inject_db", "host_sw_bp_inject_bp", "host_ebusy_injected_df",
		"host_ebusy_injected_pf", "host_ebusy_pending_gp", "host_step_movss",
		"host_step_popss", "host_step_sti", "host_step_cpuid", "host_step_hlt",
		"host_step_int3", "host_step_icebp", "host_hwbp_exec", "host_hwbp_write",
		"host_hwbp_rw", "host_hwbp_io", "host_hwbp_gd", "host_seed003_sti_pending_db",
		"host_events_pending_db_payload", "host_events_pending_pf_payload",
		"host_events_injected_gp", "host_events_nmi_pending", "host_events_nmi_masked",
		"host_events_shadow_movss_tf", "host_events_shadow_sti", "host_events_triple_fault",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (tg_cf_find(&cat, required[i]) < 0)
			test_fail(__FILE__, __LINE__, "scenario %s missing", required[i]);
	/* host-side scenarios: CPL0 only (sync points are HLTs), with host
	 * actions; guest-only ones have none */
	for (unsigned i = 0; i < cat.count; i++) {
		const struct tg_cf_scenario *sc = &cat.sc[i];
		if (sc->d.flags & CF_F_HOST) {
			EXPECT_TRUE(sc->nhost > 0);
			EXPECT_EQ(sc->d.flags & (CF_F_CPL3_OK | CF_F_CPL3_ONLY), 0);
		} else {
			EXPECT_EQ(sc->nhost, 0);
		}
	}
	tg_cf_catalogue_free(&cat);
}

static enum tg_cf_status run_named(const struct tg_cf_catalogue *cat,
				   const struct tg_cf_config *cfg, const char *name, int cpl,
				   struct tg_cf_result *r)
{
	int i = tg_cf_find(cat, name);
	if (i < 0) {
		test_fail(__FILE__, __LINE__, "no scenario %s", name);
		memset(r, 0, sizeof *r);
		r->status = TG_CF_ERROR;
		return TG_CF_ERROR;
	}
	return tg_cf_run(cat, cfg, (unsigned)i, cpl, r);
}

/* Deliberately wrong expectations are DIFFs with the right first
 * difference, and the guest's own TAP verdict agrees (no ERROR). */
TEST(conform_runner_reports_differences)
{
	struct tg_cf_catalogue cat;
	if (!load(&cat, "conform-selftest.elf"))
		return;
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL };
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);

	EXPECT_EQ(run_named(&cat, &cfg, "self_pass", 0, r), TG_CF_MATCH);
	EXPECT_EQ(r->nobs, 1);
	EXPECT_EQ(r->obs[0].vector, 1);
	EXPECT_EQ(r->obs[0].dr6, 0xffff0ff0); /* ICEBP: no DR6 bits [spec 2.1] */
	EXPECT_TRUE(r->guest_judged);
	EXPECT_EQ(r->guest_verdict, CF_V_PASS);
	EXPECT_EQ(run_named(&cat, &cfg, "self_pass", 3, r), TG_CF_MATCH);
	EXPECT_EQ(r->obs[0].cs, CF_SEL_UCODE); /* it really ran at CPL3 */

	EXPECT_EQ(run_named(&cat, &cfg, "self_wrong_dr6", 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->diff_event, 0);
	EXPECT_TRUE(strstr(r->detail, "event 0 differs (DR6)") != 0);
	EXPECT_TRUE(r->guest_judged);
	EXPECT_EQ(r->guest_verdict, CF_V_FAIL);
	EXPECT_TRUE(strstr(r->console, "not ok 1 self_wrong_dr6") != 0);

	EXPECT_EQ(run_named(&cat, &cfg, "self_wrong_rip", 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->diff_event, 1);
	EXPECT_TRUE(strstr(r->detail, "event 1 differs (RIP)") != 0);
	EXPECT_EQ(r->guest_verdict, CF_V_FAIL);

	EXPECT_EQ(run_named(&cat, &cfg, "self_missing", 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->diff_event, 1);
	EXPECT_TRUE(strstr(r->detail, "expected 2 events, observed 1; first missing: #BP") != 0);

	EXPECT_EQ(run_named(&cat, &cfg, "self_extra", 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->diff_event, 0);
	EXPECT_TRUE(strstr(r->detail, "first extra: #BP") != 0);

	/* a fault with no resume address ends the code, and may be expected */
	EXPECT_EQ(run_named(&cat, &cfg, "self_fault_end", 0, r), TG_CF_MATCH);
	EXPECT_EQ(r->guest_end, CF_END_FAULT);
	EXPECT_EQ(r->obs[0].rflags & RFL_RF, RFL_RF); /* a fault pushes RF=1 [SDM 17.3.1.1] */

	/* a declared triple fault is a match only as a shutdown exit */
	EXPECT_EQ(run_named(&cat, &cfg, "self_shutdown", 0, r), TG_CF_MATCH);
	EXPECT_EQ(r->end, TG_END_SHUTDOWN);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* A scenario that never ends is a TIMEOUT after the budget, not a hang. */
TEST(conform_runner_timeout)
{
	struct tg_cf_catalogue cat;
	if (!load(&cat, "conform-selftest.elf"))
		return;
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL, .max_insns = 300000 };
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);
	EXPECT_EQ(run_named(&cat, &cfg, "self_hang", 0, r), TG_CF_TIMEOUT);
	EXPECT_EQ(r->end, TG_END_BUDGET);
	EXPECT_EQ(r->insns, 300000);
	EXPECT_EQ(r->guest_phase, CF_PH_RUN); /* stopped inside the scenario */
	EXPECT_TRUE(strstr(r->detail, "scenario still running") != 0);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* A mutated expected list in guest memory (after load, before the run):
 * the host and the guest both read it from there, both report the DIFF. */
struct mutation {
	uint64_t off;   /* offset in the expected event */
	uint64_t value;
	bool count;     /* mutate the descriptor's NEXP instead */
};

static void mutate(void *opaque, struct tg_vm *vm, const struct tg_cf_scenario *sc)
{
	const struct mutation *m = opaque;
	uint64_t addr = m->count ? 0 : sc->d.exp + m->off;
	if (m->count) {
		struct cf_info info;
		if (tg_vm_read_phys(vm, CF_INFO_ADDR, &info, sizeof info) < 0)
			return;
		addr = info.table + (uint64_t)sc->index * CF_SC_SIZE + CF_SC_NEXP;
	}
	tg_vm_write_phys(vm, addr, &m->value, sizeof m->value);
}

TEST(conform_runner_mutated_expectation)
{
	struct tg_cf_catalogue cat;
	if (!load(&cat, "conform.elf"))
		return;
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);
	/* kut_icebp expects one #DB with DR6 0xFFFF0FF0: claim BS instead */
	struct mutation m = { .off = CF_EV_DR6, .value = 0xffff4ff0 };
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL, .after_load = mutate, .opaque = &m };
	EXPECT_EQ(run_named(&cat, &cfg, "kut_icebp", 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->diff_event, 0);
	EXPECT_EQ(r->exp[0].dr6, 0xffff4ff0); /* read back from guest memory */
	EXPECT_TRUE(strstr(r->detail, "(DR6)") != 0);
	EXPECT_EQ(r->guest_verdict, CF_V_FAIL);

	/* a wrong vector */
	m = (struct mutation){ .off = CF_EV_VECTOR, .value = 3 };
	EXPECT_EQ(run_named(&cat, &cfg, "kut_icebp", 0, r), TG_CF_DIFF);
	EXPECT_TRUE(strstr(r->detail, "event 0 differs (vector)") != 0);

	/* a wrong count: no event expected */
	m = (struct mutation){ .count = true, .value = 0 };
	EXPECT_EQ(run_named(&cat, &cfg, "kut_icebp", 0, r), TG_CF_DIFF);
	EXPECT_TRUE(strstr(r->detail, "expected 0 events, observed 1; first extra: #DB") != 0);
	EXPECT_EQ(r->guest_verdict, CF_V_FAIL);

	/* unmutated, it matches */
	cfg.after_load = 0;
	EXPECT_EQ(run_named(&cat, &cfg, "kut_icebp", 0, r), TG_CF_MATCH);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* The kernel judges itself: one boot runs every variant and prints TAP.
 * Its plan covers every variant, its failures are exactly the known model
 * gaps, and it exits through port 0xf4 with 1 when anything failed. */
static void tap_tx(void *opaque, uint8_t b)
{
	struct { char *buf; size_t n, cap; } *c = opaque;
	if (c->n + 1 < c->cap) {
		c->buf[c->n++] = (char)b;
		c->buf[c->n] = 0;
	}
}

TEST(conform_kernel_tap_run)
{
	struct tg_cf_catalogue cat;
	if (!load(&cat, "conform.elf"))
		return;
	struct { char *buf; size_t n, cap; } con = { calloc(1, 1 << 20), 0, 1 << 20 };
	ASSERT_TRUE(con.buf != 0);
	char *logbuf = 0;
	size_t loglen = 0;
	FILE *logf = open_memstream(&logbuf, &loglen);
	struct tg_machine_config mc = {
		.backend = TG_BACKEND_MODEL, .max_insns = 200000000,
		.console = tap_tx, .console_opaque = &con, .log = logf,
	};
	struct tg_machine m;
	char msg[256];
	ASSERT_EQ(tg_machine_create(&m, &mc, msg, sizeof msg), 0);
	struct tg_mb_result mb;
	ASSERT_EQ(tg_machine_load_multiboot(&m, cat.image, cat.size, "conform.elf", &mb), 0);
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	EXPECT_EQ(o.end, TG_END_EXIT_PORT);

	unsigned variants = 0;
	for (unsigned i = 0; i < cat.count; i++) {
		int cpls[2];
		variants += (unsigned)tg_cf_variants(&cat.sc[i], cpls);
	}
	char plan[32];
	snprintf(plan, sizeof plan, "\n1..%u\n", variants);
	EXPECT_TRUE(strstr(con.buf, plan) != 0);
	unsigned lines = 0, failed = 0;
	for (char *p = con.buf; (p = strstr(p, "ok ")) != 0; p += 3) {
		bool not_ok = p >= con.buf + 4 && !strncmp(p - 4, "not ", 4);
		if (p != con.buf && p[-1] != '\n' && !not_ok)
			continue;
		lines++;
		if (!not_ok)
			continue;
		failed++;
		char name[128] = "";
		sscanf(p + 3, "%*u %127s", name);
		if (!known_gap(name))
			test_fail(__FILE__, __LINE__, "guest reports an unexpected failure: %s", name);
	}
	EXPECT_EQ(lines, variants);
	EXPECT_EQ(o.exit_value, failed ? 1 : 0);
	/* standalone, the host-side scenarios are skipped, each with the
	 * reason (the runtime has no host runner to meet at sync points) */
	unsigned host = 0, host_skips = 0;
	for (unsigned i = 0; i < cat.count; i++)
		host += (cat.sc[i].d.flags & CF_F_HOST) != 0;
	for (char *p = con.buf; (p = strstr(p, " # SKIP needs host actions\n")) != 0; p++)
		host_skips++;
	EXPECT_TRUE(host > 0);
	EXPECT_EQ(host_skips, host);
	tg_machine_destroy(&m);
	fclose(logf);
	free(logbuf);
	free(con.buf);
	tg_cf_catalogue_free(&cat);
}

/* `trapgate conform`: exit statuses, --list, --json, usage errors. */
static int cli(const char *const *args, char *out, size_t outlen)
{
	char exe[PATH_MAX], kernel[PATH_MAX];
	if (build_path(exe, sizeof exe, "trapgate") < 0 ||
	    build_path(kernel, sizeof kernel, "conform-selftest.elf") < 0)
		return -1;
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		const char *argv[16] = { exe, "conform", "--kernel", kernel };
		int n = 4;
		for (int i = 0; args[i] && n < 15; i++)
			argv[n++] = args[i];
		argv[n] = 0;
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t got = 0;
	ssize_t k;
	while ((k = read(pipefd[0], out + got, outlen - 1 - got)) > 0 && got + 1 < outlen)
		got += (size_t)k;
	out[got] = 0;
	close(pipefd[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(conform_cli)
{
	static char out[65536];
	EXPECT_EQ(cli((const char *[]){ "--filter", "self_pass", 0 }, out, sizeof out), 0);
	EXPECT_TRUE(strstr(out, "match    self_pass ") != 0);
	EXPECT_TRUE(strstr(out, "match    self_pass@cpl3 ") != 0);
	EXPECT_TRUE(strstr(out, "2 runs on model: 2 match") != 0);

	EXPECT_EQ(cli((const char *[]){ "--filter", "self_wrong_dr6", 0 }, out, sizeof out), 1);
	EXPECT_TRUE(strstr(out, "DIFF     self_wrong_dr6 ") != 0);

	EXPECT_EQ(cli((const char *[]){ "--filter", "self_hang", "--max-insns", "100000", 0 }, out,
		      sizeof out), 1);
	EXPECT_TRUE(strstr(out, "TIMEOUT  self_hang ") != 0);

	EXPECT_EQ(cli((const char *[]){ "--list", 0 }, out, sizeof out), 0);
	EXPECT_TRUE(strstr(out, "self_wrong_rip") != 0);

	EXPECT_EQ(cli((const char *[]){ "--filter", "self_extra", "--json", "-", 0 }, out,
		      sizeof out), 1);
	EXPECT_TRUE(strstr(out, "\"scenario\": \"self_extra\", \"cpl\": 0, \"backend\": \"model\", "
			   "\"status\": \"DIFF\"") != 0);
	EXPECT_TRUE(strstr(out, "\"observed\": [{\"vector\": 3,") != 0);
	EXPECT_TRUE(strstr(out, "\"summary\": {\"runs\": 1, \"match\": 0, \"departures\": 1, "
			   "\"diff\": 1") != 0);
	EXPECT_TRUE(strstr(out, "\"failed\": true") != 0);

	/* several backends: the matrix; an unavailable backend is a column
	 * of SKIPs with the reason and does not change the exit status */
	EXPECT_EQ(cli((const char *[]){ "--filter", "self_pass", "--backend", "model,qemu-tcg",
					"--qemu", "/nonexistent/qemu", 0 }, out, sizeof out), 0);
	EXPECT_TRUE(strstr(out, "self_pass@cpl3                               match     SKIP") != 0);
	EXPECT_TRUE(strstr(out, "qemu-tcg: SKIP, backend unavailable: QEMU (-accel tcg) did not boot "
			   "the kernel: cannot run /nonexistent/qemu") != 0);
	EXPECT_TRUE(strstr(out, "model     2 runs: 2 match, 0 departures") != 0);
	/* departures of the model fail the run, whatever else is listed */
	EXPECT_EQ(cli((const char *[]){ "--filter", "self_wrong_dr6", "--backend", "qemu-tcg,model",
					"--qemu", "/nonexistent/qemu", 0 }, out, sizeof out), 1);
	EXPECT_TRUE(strstr(out, "departures from bare metal (model bugs)") != 0);
	/* kvm alone: its departures are findings, exit 0 (or SKIP, exit 0) */
	EXPECT_EQ(cli((const char *[]){ "--filter", "self_wrong_dr6", "--backend", "kvm",
					"--timeout", "2000", 0 }, out, sizeof out), 0);

	EXPECT_EQ(cli((const char *[]){ "--cpl", "2", 0 }, out, sizeof out), TG_STATUS_USAGE);
	EXPECT_EQ(cli((const char *[]){ "--backend", "qemu", 0 }, out, sizeof out), TG_STATUS_USAGE);
	EXPECT_EQ(cli((const char *[]){ "--backend", "model,model", 0 }, out, sizeof out),
		  TG_STATUS_USAGE);
	EXPECT_EQ(cli((const char *[]){ "--filter", "a b", 0 }, out, sizeof out), TG_STATUS_USAGE);
	EXPECT_EQ(cli((const char *[]){ "--bogus", 0 }, out, sizeof out), TG_STATUS_USAGE);
	EXPECT_EQ(cli((const char *[]){ "--kernel", "/nonexistent.elf", 0 }, out, sizeof out),
		  TG_STATUS_SETUP);
}
