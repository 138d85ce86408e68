#ifndef TG_CLI_TRACE_H
#define TG_CLI_TRACE_H
#include <stdbool.h>
#include <stdio.h>
#include "trapgate.h"
/* Print every instruction and delivered event of the vCPU to out.
 * 0, or a negative errno (-ENOTTY: the backend cannot trace). The context
 * lives as long as the process. */
int tg_cli_trace_attach(struct tg_vcpu *v, FILE *out);
bool tg_cli_trace_has_disassembler(void);
#endif
