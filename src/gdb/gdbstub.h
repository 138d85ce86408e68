/* A GDB remote-protocol stub for a trapgate machine, built only on the
 * public vm API (registers, memory, KVM_TRANSLATE, KVM_SET_GUEST_DEBUG),
 * so it debugs guests on the model and on /dev/kvm alike.
 *
 * It plugs into the machine's run loop through m->debugger (machine.h):
 * KVM_EXIT_DEBUG exits become gdb stops, and the loop gives the stub a look
 * at its socket between time slices (an instruction budget on the model, a
 * periodic signal that ends KVM_RUN with EINTR on /dev/kvm) so that a
 * Ctrl-C from gdb or a new connection is noticed while the guest runs.
 *
 * The guest never sees the debugger: breakpoints and watchpoints go through
 * KVM_SET_GUEST_DEBUG (USE_SW_BP, USE_HW_BP, SINGLESTEP), never through the
 * guest's DR0-DR7 or RFLAGS.TF; software breakpoints are hidden from memory
 * reads. */
#ifndef TG_GDB_GDBSTUB_H
#define TG_GDB_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../boot/machine.h"

struct tg_gdb;

struct tg_gdb_config {
	const char *host; /* address to listen on; NULL or "" = 127.0.0.1 */
	unsigned port;    /* 0 = any free port (see tg_gdb_port) */
	bool wait;        /* hold the guest before its first instruction
			     until gdb attaches */
	FILE *log;        /* messages for people; NULL = stderr */
};

/* Listens on host:port and hooks the stub into m's run loop. Returns 0,
 * or a negative errno with msg filled. Prints the address it listens on. */
int tg_gdb_listen(struct tg_machine *m, const struct tg_gdb_config *cfg,
		  struct tg_gdb **out, char *msg, size_t msglen);
/* The same over a stream that is already connected (a socketpair in
 * tests): no listener, and the guest is stopped until gdb resumes it.
 * The stub owns fd from now on. */
int tg_gdb_attach_fd(struct tg_machine *m, int fd, const struct tg_gdb_config *cfg,
		     struct tg_gdb **out, char *msg, size_t msglen);
/* The port it listens on (useful after port 0). */
unsigned tg_gdb_port(const struct tg_gdb *g);
/* True after gdb killed the guest ('k' / vKill): the run ended with
 * TG_END_INTERNAL and a message saying so. */
bool tg_gdb_killed(const struct tg_gdb *g);
/* Unhooks from the machine, restores guest memory under any software
 * breakpoint still inserted, and closes the sockets. NULL is fine. */
void tg_gdb_destroy(struct tg_gdb *g);

/* "[HOST:]PORT" as given to --gdb: host is "" when absent (loopback).
 * IPv6 hosts are written in brackets: "[::1]:1234". 0 or -EINVAL. */
int tg_gdb_parse_address(const char *spec, char *host, size_t hostlen,
			 unsigned *port);

#endif
