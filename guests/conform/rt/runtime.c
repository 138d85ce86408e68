/* Conformance kernel runtime: walks the scenario table, runs each selected
 * scenario at CPL0 (and CPL3), logs every exception/interrupt, compares the
 * log with the scenario's expected list and prints one TAP line per run on
 * COM1. Exits through isa-debug-exit (port 0xf4): 0 when every run passed,
 * 1 otherwise. Self-checking under any VMM or on bare metal; the host
 * runner (src/conform) reads the same table, state and log from guest
 * memory and compares on its own.
 *
 * Command line (multiboot; QEMU passes "FILE ARGS"):
 *   scenario=A,B  only these scenarios (exact names); also the only way to
 *                 run a scenario that ends in shutdown (CF_F_SHUTDOWN)
 *   filter=SUB    only names containing SUB
 *   cpl=0|3       only that privilege level's variants
 *   list          print the catalogue, run nothing
 *   quiet         no diagnostics after a failing line
 *   host          the host runner (src/conform) is there to perform the
 *                 host actions of CF_F_HOST scenarios; without it they are
 *                 skipped ("# SKIP needs host actions")
 *   start=N       begin with the N-th selected variant (TAP numbering
 *                 unchanged): how a VMM runner resumes after a variant
 *                 that hung or killed the guest
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../abi.h"

/* ---- the frame cf_trap_common builds (boot.S) ---- */
struct cf_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, err, rip, cs, rflags, rsp, ss;
};

extern char cf_table_start[], cf_table_end[];
extern uint8_t cf_vec_entries[];
extern uint64_t cf_gdt_tss[2];
extern uint64_t cf_mb_info, cf_mb_magic;
uint64_t cf_enter(uint64_t rip, uint64_t cs, uint64_t rflags, uint64_t rsp, uint64_t ss);
int cf_trap(struct cf_frame *f);
void cf_done_c(void);
extern uint8_t cf_done_gp[];
void cf_main(void);

/* ---- state the host runner reads (CF_INFO_OFF_STATE) ---- */
struct cf_state cf_state __attribute__((aligned(64)));

/* ---- descriptor tables and stacks; scenarios may patch cf_idt/cf_tss
 * (they are rebuilt before every run) ---- */
struct cf_tss {
	uint32_t res0;
	uint64_t rsp[3];
	uint64_t res1;
	uint64_t ist[7];
	uint64_t res2;
	uint16_t res3, iomap;
} __attribute__((packed));
_Static_assert(sizeof(struct cf_tss) == 104, "TSS");

uint64_t cf_idt[512] __attribute__((aligned(4096)));
struct cf_tss cf_tss __attribute__((aligned(128)));
/* The SS selector of the privilege level the scenario runs at, for MOV SS
 * from memory (a data breakpoint on it watches the MOV SS operand). */
uint64_t cf_ssword __attribute__((aligned(64)));
/* 128 bytes of scratch data scenarios watch with data breakpoints. */
uint8_t cf_scratch[128] __attribute__((aligned(64)));

#define STACK 16384
static uint8_t sstack[STACK] __attribute__((aligned(16)));  /* CPL0 scenarios */
static uint8_t ustack[STACK] __attribute__((aligned(16)));  /* CPL3 scenarios */
static uint8_t hstack[STACK] __attribute__((aligned(16)));  /* TSS.RSP0 */
static uint8_t dfstack[4096] __attribute__((aligned(16)));  /* IST1: #DF */
static uint8_t nmistack[4096] __attribute__((aligned(16))); /* IST2: NMI */

/* ---- the run in progress ---- */
static const struct cf_desc *cur;
static volatile int active;      /* log events (scenario code running) */
static bool quiet;
static uint32_t apic_base;       /* xAPIC MMIO base, 0 = no wake timer */

/* ---- port I/O, control and debug registers ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
#define RD(reg) ({ uint64_t v_; __asm__ volatile("mov %%" #reg ", %0" : "=r"(v_)); v_; })
#define WR(reg, v) __asm__ volatile("mov %0, %%" #reg : : "r"((uint64_t)(v)) : "memory")

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

/* ---- COM1, polled [PC16550D data sheet] ---- */
static void serial_init(void)
{
	outb(0x3f9, 0x00);      /* IER: no interrupts */
	outb(0x3fb, 0x80);      /* LCR.DLAB */
	outb(0x3f8, 0x01);      /* 115200 baud */
	outb(0x3f9, 0x00);
	outb(0x3fb, 0x03);      /* 8N1 */
	outb(0x3fa, 0xc7);      /* FIFO on, cleared */
	outb(0x3fc, 0x03);      /* DTR RTS */
}
static void putch(char ch)
{
	/* bounded wait for THRE: a machine without a UART must not hang */
	for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
		;
	outb(0x3f8, (uint8_t)ch);
}
static void puts_(const char *s)
{
	while (*s)
		putch(*s++);
}
static void puthex(uint64_t v)
{
	char b[19];
	int n = 0;
	b[n++] = '0';
	b[n++] = 'x';
	int shift = 60;
	while (shift > 0 && !((v >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		b[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
	b[n] = 0;
	puts_(b);
}
static void putdec(uint64_t v)
{
	char b[21];
	int n = 20;
	b[n] = 0;
	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + n);
}

static __attribute__((noreturn)) void finish(uint32_t code)
{
	/* isa-debug-exit: QEMU and trapgate end with status (code << 1) | 1 */
	outl(0xf4, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static __attribute__((noreturn)) void bail(const char *why, uint64_t a, uint64_t b)
{
	puts_("Bail out! ");
	puts_(why);
	puts_(" ");
	puthex(a);
	puts_(" ");
	puthex(b);
	puts_("\n");
	finish(3);
}

/* ---- small string helpers (freestanding) ---- */
static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
static bool seq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}
static bool contains(const char *hay, const char *needle, size_t nlen)
{
	size_t h = slen(hay);
	for (size_t i = 0; i + nlen <= h; i++)
		if (seq(hay + i, needle, nlen))
			return true;
	return nlen == 0;
}

/* ---- descriptor tables ---- */
static void set_gate(int v, uint64_t handler, int dpl, int ist)
{
	cf_idt[2 * v] = (handler & 0xffff) | ((uint64_t)CF_SEL_KCODE << 16) |
			((uint64_t)ist << 32) | ((uint64_t)(0x8e | dpl << 5) << 40) |
			((handler >> 16 & 0xffff) << 48);
	cf_idt[2 * v + 1] = handler >> 32;
}

/* Rebuilt before every run: scenarios may break gates or IST pointers
 * (the #DF scenarios do). All gates are interrupt gates (IF cleared);
 * INT3, INTO and the runtime's own software vectors are callable from
 * CPL3; #DF and NMI run on IST stacks. */
static void tables_reset(void)
{
	for (int v = 0; v < 256; v++) {
		int dpl = (v == 3 || v == 4 || v == CF_VEC_DONE || v == CF_VEC_SOFT ||
			   v == CF_VEC_ASSERT) ? 3 : 0;
		int ist = v == 8 ? 1 : v == 2 ? 2 : 0;
		set_gate(v, (uint64_t)(cf_vec_entries + v * CF_STUB_SIZE), dpl, ist);
	}
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {
		sizeof cf_idt - 1, (uint64_t)cf_idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
	cf_tss.rsp[0] = (uint64_t)(hstack + STACK);
	for (int i = 0; i < 7; i++)
		cf_tss.ist[i] = 0;
	cf_tss.ist[0] = (uint64_t)(dfstack + sizeof dfstack);
	cf_tss.ist[1] = (uint64_t)(nmistack + sizeof nmistack);
	cf_tss.iomap = sizeof cf_tss; /* no I/O bitmap: IOPL decides */
}

static void tables_init(void)
{
	uint64_t base = (uint64_t)&cf_tss, limit = sizeof cf_tss - 1;
	cf_gdt_tss[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	cf_gdt_tss[1] = base >> 32;
	tables_reset();
	__asm__ volatile("ltr %w0" : : "r"(CF_SEL_TSS));
}

/* ---- legacy 8259 PICs: a BIOS leaves IRQ0-7 on vectors 8-15 with the
 * PIT running, so the first STI would take "vector 8". Remap them to
 * 0x20-0x2f and mask every line [8259A data sheet, ICW1-ICW4, OCW1]; only
 * their spurious IRQ7/IRQ15 (0x27, 0x2f) can still arrive and are
 * ignored. On a machine without PICs the writes go nowhere. ---- */
static void pic_disable(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* ---- wake timer: a one-shot xAPIC timer as a backstop for HLT
 * scenarios [SDM Vol. 3A 11.5.4], so a VMM that does not treat the TF
 * trap as a wake event reports a difference instead of halting. Under
 * trapgate there is no APIC yet: the writes reach an open bus. ---- */
static void apic_detect(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1u << 9)))
		return;
	uint64_t msr = rdmsr(0x1b);
	/* enabled (bit 11), xAPIC mode (bit 10 = x2APIC clear) */
	if ((msr & (1u << 11)) && !(msr & (1u << 10)))
		apic_base = (uint32_t)(msr & 0xfffff000u);
}
static void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(apic_base + reg) = v;
}
static void timer_arm(void)
{
	if (!apic_base)
		return;
	apic_write(0xf0, 0x1ff);          /* SVR: enabled, spurious vector 0xff */
	apic_write(0x3e0, 0xb);           /* divide by 1 */
	apic_write(0x320, CF_VEC_TIMER);  /* one-shot, unmasked */
	apic_write(0x380, 20000000);      /* initial count */
}
static void timer_disarm(void)
{
	if (!apic_base)
		return;
	apic_write(0x380, 0);
	apic_write(0x320, 0x10000 | CF_VEC_TIMER); /* masked */
}

/* ---- the trap handler ---- */
static bool is_fault(uint64_t v)
{
	/* fault-class exceptions [SDM Table 6-1]; #DB faults (code
	 * breakpoint, general detect) are handled as #DB */
	switch (v) {
	case 0: case 5: case 6: case 7: case 10: case 11: case 12: case 13:
	case 14: case 16: case 17: case 19: case 20: case 21:
		return true;
	}
	return false;
}

static int end_run(uint64_t how, const struct cf_frame *f)
{
	cf_state.end = how;
	cf_state.endvec = f->vector;
	cf_state.endrip = f->rip;
	active = 0;
	return 1; /* cf_trap_common escapes to the runtime */
}

/* DONE reached (boot.S cf_done). */
void cf_done_c(void)
{
	if (!active)
		bail("DONE outside a scenario", 0, 0);
	cf_state.end = CF_END_DONE;
	cf_state.endvec = 0;
	cf_state.endrip = 0;
	active = 0;
}

int cf_trap(struct cf_frame *f)
{
	uint64_t v = f->vector;
	if (v == CF_VEC_TIMER) {
		cf_state.wakeirq++;
		if (apic_base)
			apic_write(0xb0, 0); /* EOI */
		return 0;
	}
	/* APIC spurious vector: no EOI [SDM 11.9]; spurious IRQ7/15 of the
	 * masked PICs */
	if (v == 0xff || v == 0x27 || v == 0x2f)
		return 0;
	if (!active) {
		/* The runtime's own MOV DR7 after a scenario that left DR7.GD
		 * set: delivery cleared GD [SDM 17.2.4], so the retry works.
		 * RF for a code breakpoint a scenario left on runtime code. */
		if (v == 1) {
			f->rflags |= RFL_RF;
			return 0;
		}
		bail("unexpected exception in the runtime: vector, RIP", v, f->rip);
	}
	if (v == CF_VEC_DONE)
		return end_run(CF_END_DONE, f);
	/* DONE at CPL3 (boot.S cf_done_gp): HLT's #GP, not logged */
	if (v == 13 && f->rip == (uint64_t)cf_done_gp && (f->cs & 3) == 3)
		return end_run(CF_END_DONE, f);

	if (cf_state.nlog >= CF_LOG_MAX) {
		cf_state.dropped++;
		return end_run(CF_END_LOGFULL, f);
	}
	struct cf_log *e = &cf_state.log[cf_state.nlog++];
	e->vector = v;
	e->rip = f->rip;
	e->rflags = f->rflags;
	e->err = f->err;
	e->cs = f->cs;
	e->rsp = f->rsp;
	e->dr6 = 0;
	e->aux = 0;
	if (v == 1) {
		e->dr6 = RD(dr6);
		e->aux = RD(dr7);
		/* Move past a code breakpoint on return [SDM 17.3.1.1] */
		if (e->dr6 & cur->rf_on & 0xf)
			f->rflags |= RFL_RF;
		if (cur->flags & CF_F_CLEAR_DR6)
			WR(dr6, 0);
	} else if (v == 14 || v == 8) {
		e->aux = RD(cr2);
	}
	if (cf_state.nlog >= cur->maxev) {
		/* kvm-unit-tests' rule: stop stepping and breakpoints */
		f->rflags &= ~(uint64_t)RFL_TF;
		WR(dr7, DR7_FIXED);
	}
	if (v == 8) /* abort class: the saved RIP is undefined [SDM 6.15] */
		return end_run(CF_END_DF, f);
	if (is_fault(v)) {
		if (!cur->resume)
			return end_run(CF_END_FAULT, f);
		f->rip = cur->resume;
	}
	return 0;
}

/* ---- comparing the log with the expectation ---- */
static const char *vec_name(uint64_t v)
{
	static const char *const n[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "v9",
		"#TS", "#NP", "#SS", "#GP", "#PF", "v15", "#MF", "#AC", "#MC", "#XM",
		"#VE", "#CP" };
	if (v < 32 && n[v])
		return n[v];
	return "INT";
}

static void put_obs(const struct cf_log *o)
{
	puts_(vec_name(o->vector));
	puts_("(");
	puthex(o->vector);
	puts_(") rip=");
	puthex(o->rip);
	if (o->vector == 1) {
		puts_(" dr6=");
		puthex(o->dr6);
		puts_(" dr7=");
		puthex(o->aux);
	}
	puts_(" err=");
	puthex(o->err);
	puts_(" rflags=");
	puthex(o->rflags);
	if (o->vector == 14 || o->vector == 8) {
		puts_(" cr2=");
		puthex(o->aux);
	}
}

static void put_exp(const struct cf_exp *x)
{
	puts_(vec_name(x->vector));
	puts_("(");
	puthex(x->vector);
	puts_(") rip=");
	if (x->flags & CF_E_RIP_ANY)
		puts_("any");
	else
		puthex(x->rip);
	if (x->flags & CF_E_DR6) {
		puts_(" dr6=");
		puthex(x->dr6);
	}
	if (x->flags & CF_E_ERR) {
		puts_(" err=");
		puthex(x->err);
	}
	if (x->flags & CF_E_FLAGS) {
		puts_(" rflags&");
		puthex(x->flmask);
		puts_("=");
		puthex(x->flval);
	}
	if (x->flags & CF_E_AUX) {
		puts_(x->vector == 1 ? " dr7&" : " cr2&");
		puthex(x->auxmask);
		puts_("=");
		puthex(x->auxval);
	}
}

static bool ev_match(const struct cf_exp *x, const struct cf_log *o)
{
	if (x->vector != o->vector)
		return false;
	if (!(x->flags & CF_E_RIP_ANY) && x->rip != o->rip)
		return false;
	if ((x->flags & CF_E_DR6) && x->dr6 != o->dr6)
		return false;
	if ((x->flags & CF_E_ERR) && x->err != o->err)
		return false;
	if ((x->flags & CF_E_FLAGS) && (o->rflags & x->flmask) != x->flval)
		return false;
	if ((x->flags & CF_E_AUX) && (o->aux & x->auxmask) != x->auxval)
		return false;
	return true;
}

/* Prints the TAP line's tail (after the name); returns the verdict. */
static uint64_t judge(const struct cf_desc *d)
{
	const struct cf_exp *x = (const struct cf_exp *)d->exp;
	uint64_t n = cf_state.nlog, ne = d->nexp;
	if (d->flags & CF_F_SHUTDOWN) {
		puts_(" # expected a shutdown (triple fault), but the code came back\n");
		return CF_V_FAIL;
	}
	if (cf_state.end == CF_END_LOGFULL) {
		puts_(" # runaway: more than ");
		putdec(CF_LOG_MAX);
		puts_(" events\n");
		return CF_V_FAIL;
	}
	for (uint64_t i = 0; i < n && i < ne; i++) {
		if (!ev_match(&x[i], &cf_state.log[i])) {
			puts_(" # event ");
			putdec(i);
			puts_(": expected ");
			put_exp(&x[i]);
			puts_("; got ");
			put_obs(&cf_state.log[i]);
			puts_("\n");
			return CF_V_FAIL;
		}
	}
	if (n != ne) {
		puts_(" # expected ");
		putdec(ne);
		puts_(" events, got ");
		putdec(n);
		if (n > ne) {
			puts_("; first extra: ");
			put_obs(&cf_state.log[ne]);
		} else {
			puts_("; first missing: ");
			put_exp(&x[n]);
		}
		puts_("\n");
		return CF_V_FAIL;
	}
	if (*(const char *)d->unverified)
		puts_(" # UNVERIFIED expectation");
	puts_("\n");
	return CF_V_PASS;
}

static void diagnostics(const struct cf_desc *d)
{
	const struct cf_exp *x = (const struct cf_exp *)d->exp;
	puts_("#   source: ");
	puts_((const char *)d->source);
	puts_("\n#   code at ");
	puthex(d->code);
	puts_(", ended: ");
	static const char *const how[] = { "no end", "DONE", "fault without resume",
					   "#DF", "log full" };
	puts_(cf_state.end < 5 ? how[cf_state.end] : "?");
	puts_("\n");
	for (uint64_t i = 0; i < d->nexp; i++) {
		puts_("#   expected ");
		putdec(i);
		puts_(": ");
		put_exp(&x[i]);
		puts_("\n");
	}
	for (uint64_t i = 0; i < cf_state.nlog; i++) {
		puts_("#   observed ");
		putdec(i);
		puts_(": ");
		put_obs(&cf_state.log[i]);
		puts_("\n");
	}
}

/* ---- running one variant ---- */
static void run_code(const struct cf_desc *d, int cpl)
{
	uint64_t cs, ss, rsp, rflags = 0x2;
	if (cpl == 3) {
		cs = CF_SEL_UCODE;
		ss = CF_SEL_UDATA;
		rsp = (uint64_t)(ustack + STACK);
		rflags |= 3u << 12; /* IOPL=3: IN/OUT/CLI/STI as kvm-unit-tests' user mode */
	} else {
		cs = CF_SEL_KCODE;
		ss = CF_SEL_KDATA;
		rsp = (uint64_t)(sstack + STACK);
	}
	if (d->flags & CF_F_IF)
		rflags |= RFL_IF;

	tables_reset();
	cf_ssword = ss;
	for (unsigned i = 0; i < sizeof cf_scratch; i++)
		cf_scratch[i] = 0;
	cf_state.nlog = 0;
	cf_state.dropped = 0;
	cf_state.end = CF_END_NONE;
	cf_state.endvec = cf_state.endrip = 0;
	for (int i = 0; i < CF_LOG_MAX; i++)
		cf_state.log[i] = (struct cf_log){ 0 };

	uint64_t cr4 = RD(cr4) & ~8ull;
	if (d->flags & CF_F_CR4_DE)
		cr4 |= 8;
	WR(cr4, cr4);
	if (d->flags & CF_F_WAKE_TIMER)
		timer_arm();
	cur = d;
	WR(dr7, DR7_FIXED);
	WR(dr0, d->dr[0]);
	WR(dr1, d->dr[1]);
	WR(dr2, d->dr[2]);
	WR(dr3, d->dr[3]);
	WR(dr6, (d->flags & CF_F_DR6_PRESET) ? d->dr6 : 0);
	cf_state.phase = CF_PH_RUN;
	active = 1;
	WR(dr7, d->dr7); /* last: with GD set, no MOV DR may follow */
	cf_enter(d->code, cs, rflags, rsp, ss);
	active = 0;
	/* may take a general-detect #DB if GD is still set: ignored above */
	WR(dr7, DR7_FIXED);
	cf_state.phase = CF_PH_CHECK;
	WR(dr6, 0);
	WR(dr0, 0);
	WR(dr1, 0);
	WR(dr2, 0);
	WR(dr3, 0);
	WR(cr4, RD(cr4) & ~8ull);
	timer_disarm();
	tables_reset();
}

/* ---- selection ---- */
struct sel {
	const char *names;  /* scenario= value (comma list), or 0 */
	size_t names_len;
	const char *filter;
	size_t filter_len;
	int cpl;            /* -1: all */
	bool list;
	bool host;          /* host actions are served */
	uint64_t start;     /* first variant number to run (1-based) */
};

static bool name_listed(const struct sel *s, const char *name)
{
	if (!s->names)
		return false;
	size_t n = slen(name);
	const char *p = s->names, *end = s->names + s->names_len;
	while (p < end) {
		const char *q = p;
		while (q < end && *q != ',')
			q++;
		if ((size_t)(q - p) == n && seq(p, name, n))
			return true;
		p = q + 1;
	}
	return false;
}

static bool selected(const struct sel *s, const struct cf_desc *d, int cpl)
{
	const char *name = (const char *)d->name;
	if (s->names && !name_listed(s, name))
		return false;
	if (s->filter && !contains(name, s->filter, s->filter_len))
		return false;
	if (s->cpl >= 0 && s->cpl != cpl)
		return false;
	return true;
}

static int variant_cpls(const struct cf_desc *d, int out[2])
{
	if (d->flags & CF_F_CPL3_ONLY) {
		out[0] = 3;
		return 1;
	}
	out[0] = 0;
	if (d->flags & CF_F_CPL3_OK) {
		out[1] = 3;
		return 2;
	}
	return 1;
}

static void parse_cmdline(struct sel *s)
{
	s->cpl = -1;
	if (!(cf_mb_magic == 0x2badb002 && cf_mb_info))
		return;
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)cf_mb_info;
	if (!(mbi[0] & (1u << 2)) || !mbi[4])
		return;
	const char *p = (const char *)(uintptr_t)mbi[4];
	while (*p) {
		while (*p == ' ')
			p++;
		const char *t = p;
		while (*p && *p != ' ')
			p++;
		size_t n = (size_t)(p - t);
		if (n > 9 && seq(t, "scenario=", 9)) {
			s->names = t + 9;
			s->names_len = n - 9;
		} else if (n > 7 && seq(t, "filter=", 7)) {
			s->filter = t + 7;
			s->filter_len = n - 7;
		} else if (n == 5 && seq(t, "cpl=0", 5)) {
			s->cpl = 0;
		} else if (n == 5 && seq(t, "cpl=3", 5)) {
			s->cpl = 3;
		} else if (n == 4 && seq(t, "list", 4)) {
			s->list = true;
		} else if (n == 5 && seq(t, "quiet", 5)) {
			quiet = true;
		} else if (n == 4 && seq(t, "host", 4)) {
			s->host = true;
		} else if (n > 6 && seq(t, "start=", 6)) {
			uint64_t v = 0;
			for (size_t i = 6; i < n && t[i] >= '0' && t[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(t[i] - '0');
			s->start = v;
		}
	}
}

static void check_table(const struct cf_desc *t, uint64_t n)
{
	if ((uint64_t)(cf_table_end - cf_table_start) % CF_SC_SIZE)
		bail("scenario table size not a multiple of the descriptor", 0, 0);
	for (uint64_t i = 0; i < n; i++) {
		/* (names are unique: each defines the global cf_sc_NAME, so a
		 * duplicate fails to link) */
		if (t[i].nexp > CF_LOG_MAX)
			bail("too many expected events in scenario", i, t[i].nexp);
		/* sync points are HLTs: host-side scenarios run at CPL0 */
		if ((t[i].flags & CF_F_HOST) && (t[i].flags & (CF_F_CPL3_OK | CF_F_CPL3_ONLY)))
			bail("host-side scenario allows CPL3", i, t[i].flags);
		if (t[i].nhost > CF_HOST_MAX || (t[i].nhost && !(t[i].flags & CF_F_HOST)))
			bail("host actions without CF_F_HOST, or too many", i, t[i].nhost);
	}
}

void cf_main(void)
{
	serial_init();
	pic_disable();
	cf_state.magic = CF_STATE_MAGIC;
	cf_state.phase = CF_PH_BOOT;
	tables_init();
	apic_detect();

	uint32_t a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	if (b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e)
		cf_state.vendor = CF_VENDOR_INTEL;       /* GenuineIntel */
	else if (b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163)
		cf_state.vendor = CF_VENDOR_AMD;         /* AuthenticAMD */

	const struct cf_desc *t = (const struct cf_desc *)cf_table_start;
	uint64_t n = (uint64_t)(cf_table_end - cf_table_start) / CF_SC_SIZE;
	check_table(t, n);

	struct sel s = { 0 };
	parse_cmdline(&s);

	if (s.list) {
		for (uint64_t i = 0; i < n; i++) {
			puts_((const char *)t[i].name);
			puts_(*(const char *)t[i].unverified ? "  [UNVERIFIED]  " : "  ");
			puts_((const char *)t[i].descr);
			puts_("\n");
		}
		cf_state.phase = CF_PH_FINISHED;
		finish(0);
	}

	uint64_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		int cpls[2], k = variant_cpls(&t[i], cpls);
		for (int j = 0; j < k; j++)
			total += selected(&s, &t[i], cpls[j]);
	}
	cf_state.nrun = total;
	puts_("TAP version 13\n1..");
	putdec(total);
	puts_("\n");

	uint64_t num = 0;
	for (uint64_t i = 0; i < n; i++) {
		const struct cf_desc *dsc = &t[i];
		int cpls[2], k = variant_cpls(dsc, cpls);
		for (int j = 0; j < k; j++) {
			int cpl = cpls[j];
			if (!selected(&s, dsc, cpl))
				continue;
			num++;
			if (num < s.start)
				continue;
			cf_state.index = i;
			cf_state.cpl = (uint64_t)cpl;
			cf_state.verdict = CF_V_NONE;
			const char *skip = 0;
			if ((dsc->flags & CF_F_INTEL_ONLY) && cf_state.vendor != CF_VENDOR_INTEL)
				skip = "Intel-only expectation";
			else if ((dsc->flags & CF_F_AMD_ONLY) && cf_state.vendor != CF_VENDOR_AMD)
				skip = "AMD-only expectation";
			else if ((dsc->flags & CF_F_HOST) && !s.host)
				skip = "needs host actions";
			else if ((dsc->flags & CF_F_SHUTDOWN) && !name_listed(&s, (const char *)dsc->name))
				skip = "ends in shutdown: select it alone with scenario=NAME";
			if (skip) {
				cf_state.verdict = CF_V_SKIP;
				cf_state.nskip++;
				puts_("ok ");
				putdec(num);
				puts_(" ");
				puts_((const char *)dsc->name);
				puts_(cpl == 3 ? "@cpl3" : "");
				puts_(" # SKIP ");
				puts_(skip);
				puts_("\n");
				continue;
			}
			run_code(dsc, cpl);
			/* judge() prints the tail of the line, so print the head
			 * only once the verdict is known. */
			bool pass = true;
			{
				const struct cf_exp *x = (const struct cf_exp *)dsc->exp;
				if ((dsc->flags & CF_F_SHUTDOWN) || cf_state.end == CF_END_LOGFULL ||
				    cf_state.nlog != dsc->nexp)
					pass = false;
				for (uint64_t e = 0; pass && e < cf_state.nlog; e++)
					pass = ev_match(&x[e], &cf_state.log[e]);
			}
			puts_(pass ? "ok " : "not ok ");
			putdec(num);
			puts_(" ");
			puts_((const char *)dsc->name);
			puts_(cpl == 3 ? "@cpl3" : "");
			uint64_t verdict = judge(dsc);
			if (verdict != (pass ? CF_V_PASS : CF_V_FAIL))
				bail("internal: verdicts disagree", i, verdict);
			cf_state.verdict = verdict;
			if (verdict == CF_V_PASS) {
				cf_state.npass++;
			} else {
				cf_state.nfail++;
				if (!quiet)
					diagnostics(dsc);
			}
			cf_state.phase = CF_PH_IDLE;
		}
	}
	puts_("# passed ");
	putdec(cf_state.npass);
	puts_(", failed ");
	putdec(cf_state.nfail);
	puts_(", skipped ");
	putdec(cf_state.nskip);
	puts_("\n");
	cf_state.phase = CF_PH_FINISHED;
	finish(cf_state.nfail ? 1 : 0);
}
