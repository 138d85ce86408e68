/* The conformance matrix (src/conform/matrix.c, qemu.c) on the external
 * backends: the whole catalogue on /dev/kvm and under QEMU TCG must run to
 * completion with no harness error. What those hypervisors do differently
 * from bare metal is a finding (README "Findings", `make findings`), never
 * a test failure; a backend that is missing is a SKIP with the reason.
 *
 * The external runs take ~25 s (this machine's /dev/kvm: ~0.1 s per VM);
 * they run in the normal build only. The sanitizer build (`make check`
 * runs the suite twice) skips them, as does TG_TEST_NO_EXTERNAL=1: the
 * code they drive is the same as in the model runs, which both builds do. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "test_conform.h"
#include "../src/boot/machine.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

static bool external_allowed(void)
{
#ifdef SANITIZER_BUILD
	test_skip("sanitizer build: the external backends run in the normal build only");
	return false;
#else
	const char *e = getenv("TG_TEST_NO_EXTERNAL");
	if (e && *e && strcmp(e, "0")) {
		test_skip("TG_TEST_NO_EXTERNAL is set");
		return false;
	}
	return true;
#endif
}

/* Runs the matrix on one backend and checks what the test can hold a
 * hypervisor to: every variant has a result, and none is a harness error.
 * Returns false (after a SKIP) when the backend is unavailable. */
static bool matrix_one(struct tg_cf_matrix *mx, const struct tg_cf_catalogue *cat,
		       enum tg_cf_backend b, unsigned timeout_ms)
{
	struct tg_cf_matrix_config cfg = { .timeout_ms = timeout_ms };
	if (tg_cf_matrix_run(mx, cat, &b, 1, 0, -1, &cfg) < 0) {
		test_fail(__FILE__, __LINE__, "matrix: out of memory");
		return false;
	}
	const struct tg_cf_column *col = &mx->col[0];
	if (!col->available) {
		char why[700];
		snprintf(why, sizeof why, "%s unavailable: %s", tg_cf_backend_name(b), col->reason);
		test_skip(why);
		return false;
	}
	unsigned total = 0;
	for (int s = 0; s < TG_CF_NSTATUS; s++)
		total += col->count[s];
	EXPECT_EQ(total, mx->nvar);
	EXPECT_EQ(col->count[TG_CF_HARNESS], 0);
	for (unsigned v = 0; v < mx->nvar; v++) {
		const struct tg_cf_result *r = tg_cf_cell(mx, v, 0);
		if (r->status == TG_CF_HARNESS)
			test_fail(__FILE__, __LINE__, "harness error on %s: %s%s: %s",
				  tg_cf_backend_name(b), r->sc->name, r->cpl == 3 ? "@cpl3" : "",
				  r->detail);
	}
	printf("    %s (%s): %u runs, %u match, %u departures (%u DIFF, %u TIMEOUT, %u ERROR), "
	       "%u SKIP in %.1f s\n", tg_cf_backend_name(b), col->version, mx->nvar,
	       col->count[TG_CF_MATCH], tg_cf_departures(col), col->count[TG_CF_DIFF],
	       col->count[TG_CF_TIMEOUT], col->count[TG_CF_ERROR], col->count[TG_CF_SKIP],
	       col->seconds);
	return true;
}

static const struct tg_cf_result *cell(const struct tg_cf_matrix *mx, const char *name, int cpl)
{
	for (unsigned v = 0; v < mx->nvar; v++)
		if (mx->var[v].cpl == cpl && !strcmp(mx->cat->sc[mx->var[v].index].name, name))
			return tg_cf_cell(mx, v, 0);
	return 0;
}

/* The whole catalogue, host-side scenarios included, on /dev/kvm. */
TEST(conform_matrix_kvm)
{
	if (!external_allowed())
		return;
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform.elf"))
		return;
	struct tg_cf_matrix mx;
	if (matrix_one(&mx, &cat, TG_CF_KVM, 3000)) {
		/* the host-side scenarios ran (not skipped) */
		const struct tg_cf_result *r = cell(&mx, "host_inject_db", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_TRUE(r->status != TG_CF_SKIP);
		tg_cf_matrix_free(&mx);
	}
	tg_cf_catalogue_free(&cat);
}

/* The whole catalogue under QEMU (one boot per CPL, resumed after hangs).
 * Standalone, the host-side scenarios are skipped with the reason; with
 * `counted`, some runs must also match. */
static void qemu_catalogue(enum tg_cf_backend b, unsigned timeout_ms, bool counted)
{
	if (!external_allowed())
		return;
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform.elf"))
		return;
	struct tg_cf_matrix mx;
	if (matrix_one(&mx, &cat, b, timeout_ms)) {
		if (counted)
			EXPECT_TRUE(mx.col[0].count[TG_CF_MATCH] > 0);
		const struct tg_cf_result *r = cell(&mx, "host_inject_db", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_SKIP);
		if (counted)
			EXPECT_TRUE(strstr(r->detail, "needs host actions") != 0);
		tg_cf_matrix_free(&mx);
	}
	tg_cf_catalogue_free(&cat);
}

TEST(conform_matrix_qemu_tcg)
{
	qemu_catalogue(TG_CF_QEMU_TCG, 2000, true);
}

/* -accel kvm too (issue 5: the kernel runs under both accelerators inside
 * the test command). Departures are findings; the run must complete with
 * its results folded in. Where QEMU cannot use /dev/kvm, the column is
 * SKIP with the reason. */
TEST(conform_matrix_qemu_kvm)
{
	qemu_catalogue(TG_CF_QEMU_KVM, 3000, false);
}

/* QEMU's results fold in exactly: the self-test kernel's hang is a
 * TIMEOUT and the variants after it still run (a new boot), a declared
 * triple fault is a match (QEMU exits), a wrong expectation is a DIFF
 * with the observed events parsed from the kernel's diagnostics. */
TEST(conform_qemu_selftest)
{
	if (!external_allowed())
		return;
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform-selftest.elf"))
		return;
	struct tg_cf_matrix mx;
	if (matrix_one(&mx, &cat, TG_CF_QEMU_TCG, 1000)) {
		const struct tg_cf_result *r = cell(&mx, "self_hang", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_TIMEOUT);
		r = cell(&mx, "self_fault_end", 0); /* after the hang */
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_MATCH);
		r = cell(&mx, "self_shutdown", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_MATCH);
		EXPECT_EQ(r->end, TG_END_SHUTDOWN);
		r = cell(&mx, "self_extra", 0); /* INT3: QEMU TCG runs it */
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_DIFF);
		EXPECT_EQ(r->diff_event, 0);
		EXPECT_EQ(r->nobs, 1);
		EXPECT_EQ(r->obs[0].vector, 3);
		EXPECT_EQ(r->obs[0].rip, r->sc->d.code + 1);
		r = cell(&mx, "self_host_pass", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_SKIP);
		tg_cf_matrix_free(&mx);
	}
	tg_cf_catalogue_free(&cat);
}

/* /dev/kvm with the self-test kernel: a hang is a TIMEOUT after the wall
 * clock limit, and host actions work there too. */
TEST(conform_kvm_selftest)
{
	if (!external_allowed())
		return;
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform-selftest.elf"))
		return;
	struct tg_cf_matrix mx;
	if (matrix_one(&mx, &cat, TG_CF_KVM, 400)) {
		const struct tg_cf_result *r = cell(&mx, "self_hang", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_TIMEOUT);
		EXPECT_TRUE(strstr(r->detail, "time limit of 400 ms") != 0);
		r = cell(&mx, "self_host_wrong_ret", 0);
		ASSERT_TRUE(r != 0);
		EXPECT_EQ(r->status, TG_CF_DIFF);
		EXPECT_EQ(r->host_action, 1);
		tg_cf_matrix_free(&mx);
	}
	tg_cf_catalogue_free(&cat);
}

/* The matrix on the model alone (both builds): counts, the exit rule and
 * the JSON the findings script reads. */
TEST(conform_matrix_model_json)
{
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform-selftest.elf"))
		return;
	struct tg_cf_matrix mx;
	enum tg_cf_backend b[2] = { TG_CF_MODEL, TG_CF_QEMU_TCG };
	struct tg_cf_matrix_config cfg = { .max_insns = 200000, .qemu = "/nonexistent/qemu" };
	ASSERT_EQ(tg_cf_matrix_run(&mx, &cat, b, 2, "self_", -1, &cfg), 0);
	EXPECT_EQ(mx.ncol, 2);
	EXPECT_TRUE(mx.col[0].available);
	EXPECT_TRUE(!mx.col[1].available);
	EXPECT_TRUE(strstr(mx.col[1].reason, "/nonexistent/qemu") != 0);
	EXPECT_EQ(mx.col[1].count[TG_CF_SKIP], mx.nvar);
	/* the self-test kernel's wrong expectations are model DIFFs */
	EXPECT_TRUE(tg_cf_departures(&mx.col[0]) > 0);
	EXPECT_TRUE(tg_cf_matrix_failed(&mx));
	char *buf = 0;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ASSERT_TRUE(f != 0);
	tg_cf_matrix_json(f, &mx, "k.elf");
	fclose(f);
	EXPECT_TRUE(strstr(buf, "{\"kernel\": \"k.elf\",\n \"host\": {\"kernel_release\": ") != 0);
	EXPECT_TRUE(strstr(buf, "\"backends\": [\n  {\"name\": \"model\", \"available\": true") != 0);
	EXPECT_TRUE(strstr(buf, "{\"name\": \"qemu-tcg\", \"available\": false") != 0);
	EXPECT_TRUE(strstr(buf, "\"failed\": true") != 0);
	EXPECT_TRUE(strstr(buf, "\"scenario\": \"self_host_wrong_ret\", \"cpl\": 0, \"backend\": "
			   "\"model\", \"status\": \"DIFF\"") != 0);
	EXPECT_TRUE(strstr(buf, "\"host_action\": 1") != 0);
	free(buf);
	/* only the harness and the model fail a matrix */
	tg_cf_matrix_free(&mx);
	enum tg_cf_backend q = TG_CF_QEMU_TCG;
	ASSERT_EQ(tg_cf_matrix_run(&mx, &cat, &q, 1, "self_", -1, &cfg), 0);
	EXPECT_TRUE(!tg_cf_matrix_failed(&mx));
	tg_cf_matrix_free(&mx);
	tg_cf_catalogue_free(&cat);
}
