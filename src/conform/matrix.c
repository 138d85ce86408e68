/* The conformance matrix: every variant of the catalogue on every listed
 * backend (the model, /dev/kvm, QEMU TCG, QEMU with KVM), one table of
 * results, a summary per backend, and JSON for scripts (scripts/
 * findings.py writes README's Findings section from it).
 *
 * Whose fault is what: the catalogue's expectations are bare metal, so a
 * model departure is a model bug and fails the run; a departure of /dev/kvm
 * or QEMU is a finding about that hypervisor and never fails it; HARNESS
 * results are our own bugs and always fail it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "run.h"

static const char *const backend_names[TG_CF_NBACKENDS] = {
	"model", "kvm", "qemu-tcg", "qemu-kvm",
};

const char *tg_cf_backend_name(enum tg_cf_backend b)
{
	return b < TG_CF_NBACKENDS ? backend_names[b] : "?";
}

int tg_cf_backend_parse(const char *name, enum tg_cf_backend *out)
{
	for (int b = 0; b < TG_CF_NBACKENDS; b++)
		if (!strcmp(name, backend_names[b])) {
			*out = (enum tg_cf_backend)b;
			return 0;
		}
	return -1;
}

void tg_cf_host_info(char *kernel, size_t klen, char *module, size_t mlen, char *cpu, size_t clen)
{
	struct utsname u;
	snprintf(kernel, klen, "%s", uname(&u) == 0 ? u.release : "unknown");
	/* the vendor module: kvm_intel, kvm_amd, or another flavour */
	module[0] = 0;
	DIR *d = opendir("/sys/module");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != 0) {
			if (strncmp(e->d_name, "kvm_", 4))
				continue;
			size_t n = strlen(module);
			snprintf(module + n, mlen - n, "%s%s", n ? "," : "", e->d_name);
		}
		closedir(d);
	}
	if (!module[0])
		snprintf(module, mlen, "none loaded");
	snprintf(cpu, clen, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "model name", 10))
				continue;
			char *c = strchr(line, ':');
			if (c) {
				c++;
				while (*c == ' ' || *c == '\t')
					c++;
				c[strcspn(c, "\n")] = 0;
				snprintf(cpu, clen, "%s", c);
			}
			break;
		}
		fclose(f);
	}
}

unsigned tg_cf_departures(const struct tg_cf_column *col)
{
	return col->count[TG_CF_DIFF] + col->count[TG_CF_TIMEOUT] + col->count[TG_CF_ERROR];
}

bool tg_cf_matrix_failed(const struct tg_cf_matrix *mx)
{
	for (unsigned c = 0; c < mx->ncol; c++) {
		const struct tg_cf_column *col = &mx->col[c];
		if (col->count[TG_CF_HARNESS])
			return true;
		if (col->backend == TG_CF_MODEL && tg_cf_departures(col))
			return true;
	}
	return false;
}

static void skip_column(struct tg_cf_matrix *mx, unsigned c)
{
	for (unsigned v = 0; v < mx->nvar; v++) {
		struct tg_cf_result *r = tg_cf_cell(mx, v, c);
		memset(r, 0, sizeof *r);
		r->cat = mx->cat;
		r->sc = &mx->cat->sc[mx->var[v].index];
		r->cpl = mx->var[v].cpl;
		r->diff_event = r->host_action = -1;
		r->status = TG_CF_SKIP;
		snprintf(r->detail, sizeof r->detail, "backend %s unavailable: %.600s",
			 tg_cf_backend_name(mx->col[c].backend), mx->col[c].reason);
	}
}

int tg_cf_matrix_run(struct tg_cf_matrix *mx, const struct tg_cf_catalogue *cat,
		     const enum tg_cf_backend *backends, unsigned nbackends,
		     const char *filter, int cpl, const struct tg_cf_matrix_config *cfg)
{
	memset(mx, 0, sizeof *mx);
	mx->cat = cat;
	if (nbackends > TG_CF_NBACKENDS)
		return -1;
	mx->nvar = tg_cf_variants_all(cat, filter, cpl, &mx->var);
	if (!mx->var)
		return -1;
	mx->ncol = nbackends;
	mx->res = calloc((size_t)(mx->nvar ? mx->nvar : 1) * nbackends, sizeof *mx->res);
	if (!mx->res) {
		free(mx->var);
		mx->var = 0;
		return -1;
	}
	char kernel[64], module[64], cpu[128];
	tg_cf_host_info(kernel, sizeof kernel, module, sizeof module, cpu, sizeof cpu);
	for (unsigned c = 0; c < nbackends; c++) {
		struct tg_cf_column *col = &mx->col[c];
		col->backend = backends[c];
		col->available = true;
		double t0 = tg_cf_now();
		switch (col->backend) {
		case TG_CF_MODEL:
		case TG_CF_KVM: {
			bool kvm = col->backend == TG_CF_KVM;
			if (kvm) {
				snprintf(col->version, sizeof col->version, "Linux %s, %s", kernel, module);
				struct tg_vm *vm;
				if (tg_vm_create(TG_BACKEND_KVM, &vm) < 0) {
					col->available = false;
					snprintf(col->reason, sizeof col->reason, "%s", tg_last_error());
					break;
				}
				tg_vm_destroy(vm);
			} else {
				snprintf(col->version, sizeof col->version, "trapgate software vCPU");
			}
			struct tg_cf_config rc = {
				.backend = kvm ? TG_BACKEND_KVM : TG_BACKEND_MODEL,
				.max_insns = cfg->max_insns, .timeout_ms = cfg->timeout_ms,
			};
			for (unsigned v = 0; v < mx->nvar; v++) {
				struct tg_cf_result *r = tg_cf_cell(mx, v, c);
				tg_cf_run(cat, &rc, mx->var[v].index, mx->var[v].cpl, r);
				if (cfg->progress)
					cfg->progress(cfg->opaque, r, col->backend);
			}
			break;
		}
		case TG_CF_QEMU_TCG:
		case TG_CF_QEMU_KVM: {
			char ver[80];
			tg_cf_qemu_version(cfg->qemu, ver, sizeof ver);
			bool kvm = col->backend == TG_CF_QEMU_KVM;
			snprintf(col->version, sizeof col->version, "%s, -accel %s%s%s",
				 ver[0] ? ver : "QEMU (version unknown)", kvm ? "kvm" : "tcg",
				 kvm ? " on " : "", kvm ? module : "");
			struct tg_cf_qemu_config qc = {
				.binary = cfg->qemu, .kvm = kvm, .timeout_ms = cfg->timeout_ms,
			};
			struct tg_cf_result *tmp = calloc(mx->nvar ? mx->nvar : 1, sizeof *tmp);
			if (!tmp)
				return -1;
			if (tg_cf_qemu_run(cat, &qc, mx->var, mx->nvar, tmp, col->reason,
					   sizeof col->reason) < 0) {
				col->available = false;
			} else {
				for (unsigned v = 0; v < mx->nvar; v++) {
					*tg_cf_cell(mx, v, c) = tmp[v];
					if (cfg->progress)
						cfg->progress(cfg->opaque, &tmp[v], col->backend);
				}
			}
			free(tmp);
			break;
		}
		default:
			return -1;
		}
		if (!col->available)
			skip_column(mx, c);
		col->seconds = tg_cf_now() - t0;
		for (unsigned v = 0; v < mx->nvar; v++) {
			unsigned st = tg_cf_cell(mx, v, c)->status;
			if (st < TG_CF_NSTATUS)
				col->count[st]++;
		}
	}
	return 0;
}

void tg_cf_matrix_free(struct tg_cf_matrix *mx)
{
	free(mx->var);
	free(mx->res);
	mx->var = 0;
	mx->res = 0;
	mx->nvar = mx->ncol = 0;
}

/* ---- text ---- */

static void variant_name(char *buf, size_t len, const struct tg_cf_matrix *mx, unsigned v)
{
	snprintf(buf, len, "%s%s", mx->cat->sc[mx->var[v].index].name,
		 mx->var[v].cpl == 3 ? "@cpl3" : "");
}

void tg_cf_matrix_print(FILE *f, const struct tg_cf_matrix *mx, bool verbose)
{
	char name[128];
	fprintf(f, "%-44s", "scenario");
	for (unsigned c = 0; c < mx->ncol; c++)
		fprintf(f, " %-9s", tg_cf_backend_name(mx->col[c].backend));
	fputc('\n', f);
	bool any_unverified = false;
	for (unsigned v = 0; v < mx->nvar; v++) {
		variant_name(name, sizeof name, mx, v);
		bool unv = mx->cat->sc[mx->var[v].index].unverified[0] != 0;
		any_unverified |= unv;
		fprintf(f, "%-44s", name);
		for (unsigned c = 0; c < mx->ncol; c++) {
			const struct tg_cf_result *r = tg_cf_cell(mx, v, c);
			char cell[16];
			snprintf(cell, sizeof cell, "%s%s", tg_cf_status_name(r->status),
				 r->status == TG_CF_MATCH && unv ? "*" : "");
			fprintf(f, " %-9s", cell);
		}
		fputc('\n', f);
	}
	if (any_unverified)
		fprintf(f, "(* the expectation is UNVERIFIED on hardware: guests/conform/UNVERIFIED.md)\n");

	for (unsigned c = 0; c < mx->ncol; c++) {
		const struct tg_cf_column *col = &mx->col[c];
		const char *b = tg_cf_backend_name(col->backend);
		if (!col->available) {
			fprintf(f, "\n%s: SKIP, backend unavailable: %s\n", b, col->reason);
			continue;
		}
		bool header = false;
		for (unsigned v = 0; v < mx->nvar; v++) {
			const struct tg_cf_result *r = tg_cf_cell(mx, v, c);
			if (r->status == TG_CF_MATCH || (r->status == TG_CF_SKIP && !verbose))
				continue;
			if (!header) {
				fprintf(f, "\n%s (%s): %s\n", b, col->version,
					col->backend == TG_CF_MODEL ? "departures from bare metal (model bugs)"
					: "departures from bare metal (findings)");
				header = true;
			}
			variant_name(name, sizeof name, mx, v);
			fprintf(f, "  %-8s %s: %s\n", tg_cf_status_name(r->status), name, r->detail);
		}
	}
	fprintf(f, "\n");
	for (unsigned c = 0; c < mx->ncol; c++) {
		const struct tg_cf_column *col = &mx->col[c];
		const unsigned *n = col->count;
		fprintf(f, "%-9s %u runs: %u match, %u departures (%u DIFF, %u TIMEOUT, %u ERROR), "
			"%u SKIP, %u HARNESS (%.1f s)%s\n", tg_cf_backend_name(col->backend), mx->nvar,
			n[TG_CF_MATCH], tg_cf_departures(col), n[TG_CF_DIFF], n[TG_CF_TIMEOUT],
			n[TG_CF_ERROR], n[TG_CF_SKIP], n[TG_CF_HARNESS], col->seconds,
			col->available ? "" : " [unavailable]");
	}
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f) /* guest output need not be UTF-8 */
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void tg_cf_matrix_json(FILE *f, const struct tg_cf_matrix *mx, const char *kernel)
{
	char krel[128], module[128], cpu[128];
	tg_cf_host_info(krel, sizeof krel, module, sizeof module, cpu, sizeof cpu);
	fprintf(f, "{\"kernel\": ");
	json_str(f, kernel);
	fprintf(f, ",\n \"host\": {\"kernel_release\": ");
	json_str(f, krel);
	fprintf(f, ", \"kvm_modules\": ");
	json_str(f, module);
	fprintf(f, ", \"cpu\": ");
	json_str(f, cpu);
	fprintf(f, "},\n \"scenarios\": %u, \"variants\": %u,\n \"backends\": [", mx->cat->count,
		mx->nvar);
	for (unsigned c = 0; c < mx->ncol; c++) {
		const struct tg_cf_column *col = &mx->col[c];
		fprintf(f, "%s\n  {\"name\": \"%s\", \"available\": %s, \"reason\": ", c ? "," : "",
			tg_cf_backend_name(col->backend), col->available ? "true" : "false");
		json_str(f, col->reason);
		fprintf(f, ", \"version\": ");
		json_str(f, col->version);
		fprintf(f, ", \"seconds\": %.2f, \"summary\": {\"runs\": %u, \"match\": %u, "
			"\"departures\": %u, \"diff\": %u, \"timeout\": %u, \"error\": %u, \"skip\": %u, "
			"\"harness\": %u}}", col->seconds, mx->nvar, col->count[TG_CF_MATCH],
			tg_cf_departures(col), col->count[TG_CF_DIFF], col->count[TG_CF_TIMEOUT],
			col->count[TG_CF_ERROR], col->count[TG_CF_SKIP], col->count[TG_CF_HARNESS]);
	}
	fprintf(f, "\n ],\n \"failed\": %s,\n \"results\": [\n",
		tg_cf_matrix_failed(mx) ? "true" : "false");
	bool first = true;
	for (unsigned v = 0; v < mx->nvar; v++)
		for (unsigned c = 0; c < mx->ncol; c++) {
			const struct tg_cf_result *r = tg_cf_cell(mx, v, c);
			fputs(first ? "" : ",\n", f);
			first = false;
			tg_cf_json(f, r, tg_cf_backend_name(mx->col[c].backend));
		}
	fprintf(f, "\n ]}\n");
}
