/* `trapgate conform`: the #DB conformance catalogue on one backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "../boot/machine.h"

static const char usage[] =
	"usage: trapgate conform [OPTIONS]\n"
	"\n"
	"Runs every scenario of the #DB conformance kernel (conform.elf) in a fresh\n"
	"VM, at CPL0 and, where the scenario allows, at CPL3; compares the logged\n"
	"events with the scenario's expected bare-metal events and prints one line\n"
	"per run: match, DIFF (with the first difference), TIMEOUT, SKIP or ERROR.\n"
	"\n"
	"options:\n"
	"  --backend NAME    model (default) or kvm\n"
	"  --kernel FILE     the conformance kernel (default: conform.elf beside\n"
	"                    this program)\n"
	"  --filter SUBSTR   only scenarios whose name contains SUBSTR\n"
	"  --cpl 0|3         only that privilege level's runs\n"
	"  --list            list the scenarios (name, CPLs, flags, source) and exit\n"
	"  --json FILE       also write the results as JSON (- for stdout)\n"
	"  --max-insns N     model: instruction budget per run (default 5000000)\n"
	"  --timeout MS      kvm: wall-clock limit per run (default 5000)\n"
	"  -v, --verbose     expected and observed events under every line\n"
	"  -h, --help        this text\n"
	"\n"
	"exit status: 0 when every run matched (or was skipped), 1 when any run\n"
	"differed, timed out or failed, 2 usage error, 10 cannot load the kernel.\n"
	"With --backend kvm and no usable /dev/kvm: a SKIP line and status 0.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "trapgate conform: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return TG_STATUS_USAGE;
}

static int parse_num(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static void list(const struct tg_cf_catalogue *cat, const char *filter)
{
	for (unsigned i = 0; i < cat->count; i++) {
		const struct tg_cf_scenario *sc = &cat->sc[i];
		if (filter && !strstr(sc->name, filter))
			continue;
		uint64_t fl = sc->d.flags;
		printf("%-40s %-9s%s%s%s%s %s\n", sc->name,
		       fl & CF_F_CPL3_ONLY ? "cpl3" : fl & CF_F_CPL3_OK ? "cpl0,cpl3" : "cpl0",
		       fl & CF_F_INTEL_ONLY ? " intel-only" : "",
		       fl & CF_F_AMD_ONLY ? " amd-only" : "",
		       fl & CF_F_SHUTDOWN ? " shutdown" : "",
		       sc->unverified[0] ? " UNVERIFIED" : "", sc->descr);
		printf("%-40s source: %s\n", "", sc->source);
	}
}

int tg_cf_main(int argc, char **argv)
{
	struct tg_cf_config cfg = { .backend = TG_BACKEND_MODEL };
	const char *kernel = 0, *filter = 0, *json = 0;
	int cpl = -1;
	bool do_list = false, verbose = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : 0;
		uint64_t n;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--backend")) {
			if (val && !strcmp(val, "model"))
				cfg.backend = TG_BACKEND_MODEL;
			else if (val && !strcmp(val, "kvm"))
				cfg.backend = TG_BACKEND_KVM;
			else
				return usage_error("--backend is 'model' or 'kvm' (got '%s')",
						   val ? val : "");
			i++;
		} else if (!strcmp(a, "--kernel") || !strcmp(a, "--filter") ||
			   !strcmp(a, "--json")) {
			if (!val)
				return usage_error("%s needs an argument", a);
			if (a[2] == 'k')
				kernel = val;
			else if (a[2] == 'f')
				filter = val;
			else
				json = val;
			i++;
		} else if (!strcmp(a, "--cpl")) {
			if (!val || (strcmp(val, "0") && strcmp(val, "3")))
				return usage_error("--cpl is 0 or 3 (got '%s')", val ? val : "");
			cpl = val[0] - '0';
			i++;
		} else if (!strcmp(a, "--max-insns")) {
			if (parse_num(val, &n) || !n)
				return usage_error("--max-insns needs a positive count (got '%s')",
						   val ? val : "");
			cfg.max_insns = n;
			i++;
		} else if (!strcmp(a, "--timeout")) {
			if (parse_num(val, &n) || !n || n > 3600000)
				return usage_error("--timeout needs milliseconds, 1..3600000 (got '%s')",
						   val ? val : "");
			cfg.timeout_ms = (unsigned)n;
			i++;
		} else if (!strcmp(a, "--list")) {
			do_list = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			verbose = true;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}

	char path[4096];
	if (!kernel) {
		if (tg_cf_default_kernel(path, sizeof path) < 0) {
			fprintf(stderr, "trapgate conform: cannot locate conform.elf; use --kernel\n");
			return TG_STATUS_SETUP;
		}
		kernel = path;
	}
	struct tg_cf_catalogue cat;
	char err[600];
	if (tg_cf_catalogue_load(&cat, kernel, err, sizeof err) < 0) {
		fprintf(stderr, "trapgate conform: %s\n", err);
		return TG_STATUS_SETUP;
	}
	if (do_list) {
		list(&cat, filter);
		tg_cf_catalogue_free(&cat);
		return 0;
	}
	const char *bname = cfg.backend == TG_BACKEND_KVM ? "kvm" : "model";
	if (cfg.backend == TG_BACKEND_KVM) {
		struct tg_vm *vm;
		if (tg_vm_create(TG_BACKEND_KVM, &vm) < 0) {
			printf("SKIP: backend kvm unavailable: %s\n", tg_last_error());
			tg_cf_catalogue_free(&cat);
			return 0;
		}
		tg_vm_destroy(vm);
	}

	FILE *jf = 0;
	if (json) {
		jf = strcmp(json, "-") ? fopen(json, "w") : stdout;
		if (!jf) {
			fprintf(stderr, "trapgate conform: cannot write '%s': %s\n", json,
				strerror(errno));
			tg_cf_catalogue_free(&cat);
			return TG_STATUS_SETUP;
		}
		fprintf(jf, "{\"kernel\": \"");
		for (const char *c = kernel; *c; c++) {
			if (*c == '"' || *c == '\\')
				fputc('\\', jf);
			fputc((unsigned char)*c < 0x20 ? '?' : *c, jf);
		}
		fprintf(jf, "\", \"backend\": \"%s\", \"results\": [\n", bname);
	}
	FILE *out = jf == stdout ? stderr : stdout;
	unsigned count[5] = { 0 }, total = 0, unverified = 0;
	struct tg_cf_result *r = malloc(sizeof *r);
	if (!r) {
		tg_cf_catalogue_free(&cat);
		return TG_STATUS_SETUP;
	}
	for (unsigned i = 0; i < cat.count; i++) {
		const struct tg_cf_scenario *sc = &cat.sc[i];
		if (filter && !strstr(sc->name, filter))
			continue;
		int cpls[2], k = tg_cf_variants(sc, cpls);
		for (int j = 0; j < k; j++) {
			if (cpl >= 0 && cpls[j] != cpl)
				continue;
			tg_cf_run(&cat, &cfg, i, cpls[j], r);
			tg_cf_print(out, r, verbose);
			fflush(out);
			if (jf) {
				fputs(total ? ",\n" : "", jf);
				tg_cf_json(jf, r, bname);
			}
			count[r->status]++;
			total++;
			unverified += sc->unverified[0] != 0;
		}
	}
	free(r);
	fprintf(out, "%u runs on %s: %u match, %u DIFF, %u TIMEOUT, %u SKIP, %u ERROR "
		"(%u with UNVERIFIED expectations)\n", total, bname, count[TG_CF_MATCH],
		count[TG_CF_DIFF], count[TG_CF_TIMEOUT], count[TG_CF_SKIP], count[TG_CF_ERROR],
		unverified);
	if (jf) {
		fprintf(jf, "\n], \"summary\": {\"runs\": %u, \"match\": %u, \"diff\": %u, "
			"\"timeout\": %u, \"skip\": %u, \"error\": %u}}\n", total, count[TG_CF_MATCH],
			count[TG_CF_DIFF], count[TG_CF_TIMEOUT], count[TG_CF_SKIP], count[TG_CF_ERROR]);
		if (jf != stdout)
			fclose(jf);
	}
	tg_cf_catalogue_free(&cat);
	return count[TG_CF_DIFF] || count[TG_CF_TIMEOUT] || count[TG_CF_ERROR] ? 1 : 0;
}
