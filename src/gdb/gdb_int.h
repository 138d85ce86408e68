/* Inside the GDB stub: the state shared by stub.c (protocol, session, run
 * loop hooks) and target.c (registers, memory, breakpoints over the vm
 * API), and the seams the tests use (capture mode, fake stops). */
#ifndef TG_GDB_INT_H
#define TG_GDB_INT_H

#include <signal.h>
#include <time.h>

#include "gdbstub.h"
#include "rsp.h"

/* Register numbers of the target description (stub.c's XML): the order of
 * gdb's amd64 core and SSE features [GDB manual, G.5.8 i386 Features],
 * then fs_base/gs_base and trapgate's control/debug register feature. */
enum {
	GR_RAX, GR_RBX, GR_RCX, GR_RDX, GR_RSI, GR_RDI, GR_RBP, GR_RSP,
	GR_R8, GR_R9, GR_R10, GR_R11, GR_R12, GR_R13, GR_R14, GR_R15,
	GR_RIP, GR_EFLAGS,
	GR_CS, GR_SS, GR_DS, GR_ES, GR_FS, GR_GS,
	GR_ST0, GR_FCTRL = GR_ST0 + 8, GR_XMM0 = GR_FCTRL + 8,
	GR_MXCSR = GR_XMM0 + 16,
	GR_FS_BASE, GR_GS_BASE,
	GR_CR0, GR_CR2, GR_CR3, GR_CR4, GR_CR8, GR_EFER,
	GR_DR0, GR_DR1, GR_DR2, GR_DR3, GR_DR6, GR_DR7,
	GR_NUM
};

#define GDB_MAX_SWBP 64
#define GDB_NSLOTS 4          /* DR0-DR3 in KVM_SET_GUEST_DEBUG's debugreg[] */
#define GDB_SLICE_INSNS (1u << 20) /* model: instructions between socket looks */
#define GDB_TICK_NS 10000000L /* kvm: 10 ms between socket looks */
#define GDB_TICK_SIGNAL (SIGRTMIN + 6) /* the machine's own timer is +5 */

/* Z packet types [GDB manual, E.2 Packets, "z type,addr,kind"]. */
enum { ZT_SW = 0, ZT_HW = 1, ZT_WRITE = 2, ZT_READ = 3, ZT_ACCESS = 4 };

struct gdb_swbp {
	bool used;
	uint64_t addr;  /* gdb's (linear) address */
	uint64_t phys;  /* where the INT3 sits in guest-physical memory */
	uint8_t orig;   /* the guest's byte under it */
};

/* One Z1-Z4 point; a watched range may take several debug-register slots
 * (each covers an aligned 1, 2, 4 or 8 bytes [SDM Vol. 3B 19.2.5]). */
struct gdb_hwpt {
	bool used;
	int type;        /* ZT_HW .. ZT_ACCESS */
	uint64_t addr, len;
	uint8_t slots;   /* bit i: uses debugreg[i] */
};

enum gdb_state {
	GS_DETACHED, /* no gdb: the guest runs, the listener is polled */
	GS_STOPPED,  /* gdb attached, guest stopped, commands served */
	GS_RUNNING,  /* gdb attached, guest continuing */
	GS_STEPPING, /* gdb attached, guest single-stepping */
};

struct tg_gdb {
	struct tg_machine *m;
	struct tg_vm *vm;
	struct tg_vcpu *vcpu;
	FILE *log;
	int listen_fd, fd;
	unsigned port;
	bool wait_first;
	bool killed;
	bool noack;
	bool swbreak, hwbreak;      /* stop reasons gdb said it understands */
	enum gdb_state state;
	struct rsp_rx rx;
	uint8_t in[4096];
	size_t in_pos, in_len;
	char stop_reply[160];       /* the last stop, for '?' */
	int naks;                   /* '-' in a row for the same reply */
	size_t last_len;            /* last framed packet, resent on '-' */
	char last[2 * RSP_MAX_PACKET + 8];
	/* capture mode (tests): output goes to cap[], nothing blocks */
	bool capture;
	char *cap;
	size_t cap_len, cap_size;
	/* breakpoints and guest-debug control */
	struct gdb_swbp sw[GDB_MAX_SWBP];
	struct gdb_hwpt hw[GDB_NSLOTS];
	uint64_t slot_addr[GDB_NSLOTS];  /* debugreg[i] */
	uint8_t slot_bits[GDB_NSLOTS];   /* R/W (bits 1:0) and LEN (3:2) for DR7 */
	int8_t slot_owner[GDB_NSLOTS];   /* index into hw[], -1 = free */
	bool blockirq_bad;          /* the backend refused KVM_GUESTDBG_BLOCKIRQ */
	bool lost;                  /* the connection failed; drop it */
	char *xml;                  /* the target description */
	size_t xml_len;
	/* time slices */
	bool use_budget;            /* model: m->debugger_slice */
	bool have_sigaction, have_timer, timer_armed, timer_failed;
	timer_t timer;
	struct sigaction old_sa;
	/* scratch */
	char reply[RSP_MAX_PACKET + 1];
	uint8_t membuf[RSP_MAX_PACKET];
};

/* target.c: the vm API side. All return 0 or a negative errno. */
int gdb_tgt_read_reg(struct tg_gdb *g, int regno, uint8_t *buf, int *size);
int gdb_tgt_write_reg(struct tg_gdb *g, int regno, const uint8_t *buf);
int gdb_tgt_reg_size(int regno);
/* Bytes read (may be fewer than len at an unmapped page), or -EFAULT
 * when not even the first byte is readable. Software breakpoints are
 * shown as the guest's own bytes. */
long gdb_tgt_read_mem(struct tg_gdb *g, uint64_t addr, uint8_t *buf, size_t len);
int gdb_tgt_write_mem(struct tg_gdb *g, uint64_t addr, const uint8_t *buf, size_t len);
int gdb_tgt_insert(struct tg_gdb *g, int type, uint64_t addr, uint64_t len);
int gdb_tgt_remove(struct tg_gdb *g, int type, uint64_t addr, uint64_t len);
void gdb_tgt_remove_all(struct tg_gdb *g);
/* KVM_SET_GUEST_DEBUG for the current breakpoints, plus SINGLESTEP. */
int gdb_tgt_apply_debug(struct tg_gdb *g, bool step);
/* Before a resume: RF when the guest sits on one of our Z1 addresses. */
int gdb_tgt_prepare_resume(struct tg_gdb *g);
int gdb_tgt_linear_pc(struct tg_gdb *g, uint64_t *pc);
/* The Z2-Z4 point and type whose slot is set in dr6, or -1. */
int gdb_tgt_watch_hit(struct tg_gdb *g, uint64_t dr6, int *type, uint64_t *addr);
bool gdb_tgt_hw_exec_hit(struct tg_gdb *g, uint64_t dr6);
bool gdb_tgt_sw_at(struct tg_gdb *g, uint64_t addr);
/* Gives the guest a #DB / #BP that was not the debugger's. */
int gdb_tgt_reinject(struct tg_gdb *g, int exception, uint64_t dr6);

/* stub.c seams for tests: feed bytes as if received (capture mode or
 * not), and make a resumed guest stop as if a step had finished (or, in
 * capture mode after a detach, let a new gdb attach). */
void gdb_feed(struct tg_gdb *g, const uint8_t *buf, size_t n);
void gdb_fake_stop(struct tg_gdb *g);
/* A stub in capture mode on a machine, with no socket at all. */
int gdb_create_capture(struct tg_machine *m, struct tg_gdb **out);

#endif
