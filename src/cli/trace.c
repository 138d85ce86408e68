/* `trapgate run --trace`: every executed instruction, disassembled, and
 * every delivered event with DR6/DR7, for people debugging a scenario.
 * Disassembly comes from Capstone when the build found it (Debian's
 * libcapstone-dev); without it the raw bytes are printed. */
#include <stdio.h>
#include <stdlib.h>

#include "trace.h"

#ifdef TG_HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

struct trace_ctx {
	FILE *out;
#ifdef TG_HAVE_CAPSTONE
	csh cs[3]; /* 16, 32, 64-bit */
	bool cs_ok[3];
#endif
};

static const char *event_kind(unsigned k)
{
	static const char *names[] = { "exception", "INT n", "external interrupt",
				       "NMI", "ICEBP", "INT3/INTO" };
	return k < 6 ? names[k] : "event";
}

static const char *vector_name(unsigned v)
{
	static const char *names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "09",
		"#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM",
	};
	return v < 32 && names[v] ? names[v] : "";
}

static void on_record(void *opaque, const struct tg_trace_record *r)
{
	struct trace_ctx *t = opaque;
	if (r->kind == TG_TRACE_EVENT) {
		fprintf(t->out, "%12llu  >>> %s %u %s", (unsigned long long)r->icount,
			event_kind(r->ev_kind), r->vector, vector_name(r->vector));
		if (r->has_error_code)
			fprintf(t->out, " error=%#x", r->error_code);
		fprintf(t->out, " saved_rip=%#llx -> %#llx  DR6=%#010llx DR7=%#010llx RFLAGS=%#llx\n",
			(unsigned long long)r->rip, (unsigned long long)r->handler_rip,
			(unsigned long long)r->dr6, (unsigned long long)r->dr7,
			(unsigned long long)r->rflags);
		return;
	}
	char hex[3 * 15 + 1];
	unsigned n = r->len < 15 ? r->len : 15;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02x ", r->bytes[i]);
	hex[3 * n] = 0;
	fprintf(t->out, "%12llu  %016llx  %-30s", (unsigned long long)r->icount,
		(unsigned long long)(r->cs_base + r->rip), hex);
#ifdef TG_HAVE_CAPSTONE
	int m = r->mode == 64 ? 2 : r->mode == 32 ? 1 : 0;
	if (t->cs_ok[m]) {
		cs_insn *insn;
		size_t cnt = cs_disasm(t->cs[m], r->bytes, n, r->rip, 1, &insn);
		if (cnt) {
			fprintf(t->out, "  %s %s", insn[0].mnemonic, insn[0].op_str);
			cs_free(insn, cnt);
		} else {
			fprintf(t->out, "  (bytes Capstone does not decode)");
		}
	}
#endif
	fprintf(t->out, "\n");
}

int tg_cli_trace_attach(struct tg_vcpu *v, FILE *out)
{
	struct trace_ctx *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	t->out = out;
#ifdef TG_HAVE_CAPSTONE
	static const int modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	for (int i = 0; i < 3; i++)
		t->cs_ok[i] = cs_open(CS_ARCH_X86, modes[i], &t->cs[i]) == CS_ERR_OK;
#endif
	int r = tg_vcpu_set_trace(v, on_record, t);
	if (r < 0) {
		free(t);
		return r;
	}
	return 0;
}

bool tg_cli_trace_has_disassembler(void)
{
#ifdef TG_HAVE_CAPSTONE
	return true;
#else
	return false;
#endif
}
