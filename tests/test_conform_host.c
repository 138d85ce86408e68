/* Host-side scenarios on the model (src/conform/host.c): the runner
 * performs the host actions between runs and reports host-visible
 * differences; the self-test kernel's deliberately wrong host expectations
 * must be DIFFs with the right first difference. The whole catalogue
 * (host-side scenarios included) is run by conform_catalogue_model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "test_conform.h"
#include "../src/boot/machine.h"

static enum tg_cf_status run_named(const struct tg_cf_catalogue *cat,
				   const struct tg_cf_config *cfg, const char *name,
				   struct tg_cf_result *r)
{
	int i = tg_cf_find(cat, name);
	if (i < 0) {
		test_fail(__FILE__, __LINE__, "no scenario %s", name);
		memset(r, 0, sizeof *r);
		r->status = TG_CF_HARNESS;
		return TG_CF_HARNESS;
	}
	return tg_cf_run(cat, cfg, (unsigned)i, 0, r);
}

/* The runner's own checks: a right host expectation matches; a wrong
 * return value is the first difference, at its action; a KVM_EXIT_DEBUG
 * that never comes ends as a difference naming the end of the run. */
TEST(conform_host_runner_reports_differences)
{
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform-selftest.elf"))
		return;
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL };
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);

	EXPECT_EQ(run_named(&cat, &cfg, "self_host_pass", r), TG_CF_MATCH);
	EXPECT_EQ(r->host_action, -1);
	EXPECT_EQ(r->host_done, 2);
	EXPECT_EQ(r->nobs, 1);
	EXPECT_EQ(r->obs[0].vector, 1);
	EXPECT_EQ(r->obs[0].dr6, 0xffff0ff0); /* INJECT_DB has no payload [spec 7.1] */
	EXPECT_TRUE(r->guest_judged);

	EXPECT_EQ(run_named(&cat, &cfg, "self_host_wrong_ret", r), TG_CF_DIFF);
	EXPECT_EQ(r->host_action, 1);
	EXPECT_TRUE(strstr(r->detail, "host action 1 (KVM_SET_GUEST_DEBUG control 0x40000 -> "
			   "-EBUSY): returned 0, expected -EBUSY") != 0);
	/* the run still went to its end: the injected #DB reached the guest */
	EXPECT_EQ(r->end, TG_END_EXIT_PORT);
	EXPECT_EQ(r->nobs, 1);

	EXPECT_EQ(run_named(&cat, &cfg, "self_host_no_exit", r), TG_CF_DIFF);
	EXPECT_EQ(r->host_action, 1);
	EXPECT_TRUE(strstr(r->detail, "expected KVM_EXIT_DEBUG") != 0);
	EXPECT_TRUE(strstr(r->detail, "the run ended: guest wrote 0x0 to the exit port") != 0);

	/* standalone (no host runner), a host-side scenario is a SKIP */
	struct tg_cf_config nohost = { .backend = TG_BACKEND_MODEL, .no_host = true };
	EXPECT_EQ(run_named(&cat, &nohost, "self_host_pass", r), TG_CF_SKIP);
	EXPECT_TRUE(strstr(r->detail, "needs host actions") != 0);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* Host actions are read from guest memory at run time, like the expected
 * events: a mutated expectation there is what the runner checks. */
struct mutation {
	unsigned action;
	uint64_t off;
	uint64_t value;
};

static void mutate(void *opaque, struct tg_vm *vm, const struct tg_cf_scenario *sc)
{
	const struct mutation *m = opaque;
	uint64_t addr = sc->d.host + (uint64_t)m->action * CF_HA_SIZE + m->off;
	tg_vm_write_phys(vm, addr, &m->value, sizeof m->value);
}

TEST(conform_host_mutated_expectation)
{
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform.elf"))
		return;
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);
	int i = tg_cf_find(&cat, "host_ebusy_injected_df");
	ASSERT_TRUE(i >= 0);
	const struct tg_cf_scenario *sc = &cat.sc[i];
	/* find the first INJECT_DB action (expects -EBUSY) */
	unsigned a = 0;
	while (a < sc->nhost && !(sc->host[a].op == CF_H_GUEST_DEBUG &&
				  (sc->host[a].a[0] & KVM_GUESTDBG_INJECT_DB)))
		a++;
	ASSERT_TRUE(a < sc->nhost);
	EXPECT_EQ(sc->host[a].ret, -EBUSY);
	char what[200];
	tg_cf_fmt_host(what, sizeof what, &cat, sc, a);
	EXPECT_TRUE(strstr(what, "KVM_SET_GUEST_DEBUG control 0x40001 -> -EBUSY") != 0);

	/* unmutated: the model refuses with -EBUSY and changes nothing
	 * (seed 002), and the guest gets the injected #DF */
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL };
	EXPECT_EQ(tg_cf_run(&cat, &cfg, (unsigned)i, 0, r), TG_CF_MATCH);
	EXPECT_EQ(r->host_done, sc->nhost);
	EXPECT_EQ(r->nobs, 1);
	EXPECT_EQ(r->obs[0].vector, 8);
	EXPECT_EQ(r->obs[0].err, 0);

	/* claim 0 instead: the runner reports that action */
	struct mutation m = { a, CF_HA_RET, 0 };
	cfg.after_load = mutate;
	cfg.opaque = &m;
	EXPECT_EQ(tg_cf_run(&cat, &cfg, (unsigned)i, 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->host_action, (int)a);
	EXPECT_TRUE(strstr(r->detail, "returned -EBUSY, expected 0") != 0);

	/* a wrong pc in the KVM_EXIT_DEBUG expected at the #DF handler */
	unsigned d = 0;
	while (d < sc->nhost && sc->host[d].op != CF_H_RUN_DEBUG)
		d++;
	ASSERT_TRUE(d < sc->nhost);
	m = (struct mutation){ d, CF_HA_ARG + 8, sc->host[d].a[1] + 1 };
	EXPECT_EQ(tg_cf_run(&cat, &cfg, (unsigned)i, 0, r), TG_CF_DIFF);
	EXPECT_EQ(r->host_action, (int)d);
	EXPECT_TRUE(strstr(r->detail, "got KVM_EXIT_DEBUG (exception 1, pc 0x") != 0);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* Seed 003 at the API level on the model: the state restored through the
 * events API is accepted and the guest's #DB handler sees DR6 = BS, at the
 * restored RIP, with TF and IF set in the pushed RFLAGS [spec 8.4, 7.5]. */
TEST(conform_host_seed003)
{
	struct tg_cf_catalogue cat;
	if (!tg_test_cf_load(&cat, "conform.elf"))
		return;
	struct tg_cf_result *r = malloc(sizeof *r);
	ASSERT_TRUE(r != 0);
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL };
	EXPECT_EQ(run_named(&cat, &cfg, "host_seed003_sti_pending_db", r), TG_CF_MATCH);
	EXPECT_EQ(r->end, TG_END_EXIT_PORT); /* no failed entry, no internal error */
	ASSERT_TRUE(r->nobs >= 1);
	EXPECT_EQ(r->obs[0].vector, 1);
	EXPECT_EQ(r->obs[0].dr6, 0xffff4ff0);
	EXPECT_EQ(r->obs[0].rflags & (RFL_TF | RFL_IF), RFL_TF | RFL_IF);
	free(r);
	tg_cf_catalogue_free(&cat);
}

/* Every host action has a name, and the formatting of each kind. */
TEST(conform_host_action_names)
{
	for (uint64_t op = 1; op <= CF_H_MAX; op++)
		EXPECT_TRUE(strcmp(tg_cf_host_op_name(op), "?") != 0);
	EXPECT_TRUE(!strcmp(tg_cf_host_op_name(0), "?"));
	EXPECT_TRUE(!strcmp(tg_cf_host_op_name(CF_H_MAX + 1), "?"));
	struct tg_cf_scenario *sc = calloc(1, sizeof *sc);
	ASSERT_TRUE(sc != 0);
	sc->nhost = 2;
	sc->host[0] = (struct cf_host_action){ .op = CF_H_RUN_DEBUG, .ret = CF_H_ANY,
					       .a = { 1, 0x1234, 0xffff4ff0 } };
	sc->host[1] = (struct cf_host_action){ .op = CF_H_SET_EVENTS, .ret = -EINVAL };
	char b[200];
	tg_cf_fmt_host(b, sizeof b, 0, sc, 0);
	EXPECT_TRUE(!strcmp(b, "KVM_RUN to KVM_EXIT_DEBUG: exception 1 pc 0x1234 dr6 0xffff4ff0"));
	tg_cf_fmt_host(b, sizeof b, 0, sc, 1);
	EXPECT_TRUE(!strcmp(b, "KVM_SET_VCPU_EVENTS -> -EINVAL"));
	tg_cf_fmt_host(b, sizeof b, 0, sc, 2);
	EXPECT_TRUE(!strcmp(b, "?"));
	free(sc);
}
