/* `trapgate conform`: the #DB conformance catalogue on one backend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "../boot/machine.h"

static const char usage[] =
	"usage: trapgate conform [OPTIONS]\n"
	"\n"
	"Runs every scenario of the #DB conformance kernel (conform.elf) on each\n"
	"listed backend, at CPL0 and, where the scenario allows, at CPL3, and\n"
	"compares the guest's events (and, for host-side scenarios, the results\n"
	"of the KVM API calls made between runs) with the scenario's expected\n"
	"bare-metal behaviour. Each run is: match, DIFF (with the first\n"
	"difference), SKIP (with the reason), TIMEOUT (the guest hung), ERROR (the\n"
	"hypervisor failed the guest), or HARNESS (our own harness failed).\n"
	"\n"
	"options:\n"
	"  --backend LIST    comma-separated: model (default), kvm (/dev/kvm),\n"
	"                    qemu-tcg, qemu-kvm (qemu-system-x86_64 booting the\n"
	"                    kernel with -accel tcg / -accel kvm). One backend: one\n"
	"                    line per run; several: the matrix scenario x backend\n"
	"  --kernel FILE     the conformance kernel (default: conform.elf beside\n"
	"                    this program)\n"
	"  --filter SUBSTR   only scenarios whose name contains SUBSTR\n"
	"  --cpl 0|3         only that privilege level's runs\n"
	"  --list            list the scenarios (name, CPLs, flags, source) and exit\n"
	"  --json FILE       also write the results as JSON (- for stdout)\n"
	"  --max-insns N     model: instruction budget per run (default 5000000)\n"
	"  --timeout MS      kvm and QEMU: wall-clock limit per run (default 5000\n"
	"                    for kvm, 4000 per scenario under QEMU)\n"
	"  --qemu PATH       the QEMU binary (default: qemu-system-x86_64 from PATH)\n"
	"  -v, --verbose     more detail (expected/observed events; SKIP reasons)\n"
	"  -h, --help        this text\n"
	"\n"
	"exit status: 0 when the model matched bare metal everywhere and the\n"
	"harness had no error (departures of kvm and QEMU are findings, not\n"
	"failures); 1 when the model departed or a HARNESS error occurred; 2 usage\n"
	"error; 10 cannot load the kernel. An unavailable backend (no /dev/kvm, no\n"
	"QEMU) is a column of SKIPs with the reason.\n";

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
		printf("%-40s %-9s%s%s%s%s%s %s\n", sc->name,
		       fl & CF_F_CPL3_ONLY ? "cpl3" : fl & CF_F_CPL3_OK ? "cpl0,cpl3" : "cpl0",
		       fl & CF_F_HOST ? " host-side" : "",
		       fl & CF_F_INTEL_ONLY ? " intel-only" : "",
		       fl & CF_F_AMD_ONLY ? " amd-only" : "",
		       fl & CF_F_SHUTDOWN ? " shutdown" : "",
		       sc->unverified[0] ? " UNVERIFIED" : "", sc->descr);
		printf("%-40s source: %s\n", "", sc->source);
	}
}

struct progress {
	FILE *out;
	bool verbose;
	bool lines; /* one backend: a line per run as it ends */
};

static void on_result(void *opaque, const struct tg_cf_result *r, enum tg_cf_backend b)
{
	struct progress *p = opaque;
	(void)b;
	if (p->lines) {
		tg_cf_print(p->out, r, p->verbose);
		fflush(p->out);
	}
}

int tg_cf_main(int argc, char **argv)
{
	struct tg_cf_matrix_config cfg = { 0 };
	enum tg_cf_backend backends[TG_CF_NBACKENDS];
	unsigned nb = 0;
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
			if (!val || !*val)
				return usage_error("--backend needs a list (got '%s')", "");
			char list[256];
			snprintf(list, sizeof list, "%s", val);
			nb = 0;
			for (char *tok = strtok(list, ","); tok; tok = strtok(0, ",")) {
				enum tg_cf_backend b;
				if (tg_cf_backend_parse(tok, &b) < 0)
					return usage_error("--backend: model, kvm, qemu-tcg or qemu-kvm "
							   "(got '%s')", tok);
				for (unsigned k = 0; k < nb; k++)
					if (backends[k] == b)
						return usage_error("--backend lists '%s' twice", tok);
				if (nb == TG_CF_NBACKENDS)
					return usage_error("--backend: too many (got '%s')", val);
				backends[nb++] = b;
			}
			if (!nb)
				return usage_error("--backend needs a list (got '%s')", val);
			i++;
		} else if (!strcmp(a, "--kernel") || !strcmp(a, "--filter") ||
			   !strcmp(a, "--json") || !strcmp(a, "--qemu")) {
			if (!val)
				return usage_error("%s needs an argument", a);
			if (a[2] == 'k')
				kernel = val;
			else if (a[2] == 'f')
				filter = val;
			else if (a[2] == 'j')
				json = val;
			else
				cfg.qemu = val;
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
	if (!nb)
		backends[nb++] = TG_CF_MODEL;
	if (filter && strpbrk(filter, " ,="))
		return usage_error("--filter: no spaces, commas or '=' (got '%s')", filter);

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

	FILE *jf = 0;
	if (json) {
		jf = strcmp(json, "-") ? fopen(json, "w") : stdout;
		if (!jf) {
			fprintf(stderr, "trapgate conform: cannot write '%s': %s\n", json,
				strerror(errno));
			tg_cf_catalogue_free(&cat);
			return TG_STATUS_SETUP;
		}
	}
	FILE *out = jf == stdout ? stderr : stdout;
	struct progress pr = { out, verbose, nb == 1 };
	cfg.progress = on_result;
	cfg.opaque = &pr;
	struct tg_cf_matrix mx;
	if (tg_cf_matrix_run(&mx, &cat, backends, nb, filter, cpl, &cfg) < 0) {
		fprintf(stderr, "trapgate conform: out of memory\n");
		if (jf && jf != stdout)
			fclose(jf);
		tg_cf_catalogue_free(&cat);
		return TG_STATUS_SETUP;
	}
	if (nb == 1) {
		const struct tg_cf_column *col = &mx.col[0];
		const char *bname = tg_cf_backend_name(col->backend);
		if (!col->available) {
			fprintf(out, "SKIP: backend %s unavailable: %s\n", bname, col->reason);
		} else {
			unsigned unverified = 0;
			for (unsigned v = 0; v < mx.nvar; v++)
				unverified += cat.sc[mx.var[v].index].unverified[0] != 0;
			const unsigned *n = col->count;
			fprintf(out, "%u runs on %s: %u match, %u DIFF, %u TIMEOUT, %u SKIP, %u ERROR, "
				"%u HARNESS (%u with UNVERIFIED expectations)\n", mx.nvar, bname,
				n[TG_CF_MATCH], n[TG_CF_DIFF], n[TG_CF_TIMEOUT], n[TG_CF_SKIP],
				n[TG_CF_ERROR], n[TG_CF_HARNESS], unverified);
		}
	} else {
		tg_cf_matrix_print(out, &mx, verbose);
	}
	if (jf) {
		tg_cf_matrix_json(jf, &mx, kernel);
		if (jf != stdout)
			fclose(jf);
	}
	int status = tg_cf_matrix_failed(&mx) ? 1 : 0;
	tg_cf_matrix_free(&mx);
	tg_cf_catalogue_free(&cat);
	return status;
}
