/* The VMM loop: serve each exit as a PC's chipset would, until the guest
 * writes the exit port, halts for good, shuts down, or does something the
 * backend cannot emulate. Interrupt controllers and timers live here as a
 * userspace irqchip (see machine.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"

#define NEVER UINT64_MAX
#define MSR_IA32_TSC 0x10u
/* A HLT that no unmasked source ever wakes with a deliverable vector
 * (say, a periodic timer below the TPR) gives up after this many timer
 * events. */
#define HLT_MAX_EVENTS 100000

static void console_stdout(void *opaque, uint8_t byte)
{
	(void)opaque;
	putchar(byte);
	/* Whole lines reach a pipe even when the run is killed (timeouts of
	 * test runners). */
	if (byte == '\n')
		fflush(stdout);
}

__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static uint64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- MSRs through the API (KVM_GET_MSRS / KVM_SET_MSRS) ---- */

union one_msr {
	struct kvm_msrs h;
	uint8_t b[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
};

static int msr_get(struct tg_machine *m, uint32_t idx, uint64_t *v)
{
	union one_msr u;
	memset(&u, 0, sizeof u);
	u.h.nmsrs = 1;
	u.h.entries[0].index = idx;
	if (tg_vcpu_get_msrs(m->vcpu, &u.h) != 1)
		return -1;
	*v = u.h.entries[0].data;
	return 0;
}

static int msr_set(struct tg_machine *m, uint32_t idx, uint64_t v)
{
	union one_msr u;
	memset(&u, 0, sizeof u);
	u.h.nmsrs = 1;
	u.h.entries[0].index = idx;
	u.h.entries[0].data = v;
	return tg_vcpu_set_msrs(m->vcpu, &u.h) == 1 ? 0 : -1;
}

static uint64_t guest_tsc(struct tg_machine *m)
{
	uint64_t v = 0;
	msr_get(m, MSR_IA32_TSC, &v);
	return v;
}

/* ---- the clock ---- */

uint64_t tg_machine_now(struct tg_machine *m)
{
	if (m->virtual_time) {
		struct tg_vcpu_stats st;
		if (tg_vcpu_get_stats(m->vcpu, &st) < 0)
			return m->skipped;
		return st.insns_retired + m->skipped;
	}
	return host_ns() - m->t0;
}

static uint64_t clock_cb(void *opaque)
{
	return tg_machine_now(opaque);
}

/* kvm: a POSIX timer whose signal sets immediate_exit in the run page of
 * the thread that armed it, so a due timer stops KVM_RUN even when the
 * signal lands just before the ioctl [KVM API: "immediate_exit"]. */
static __thread struct kvm_run *volatile timer_run;

static void timer_signal(int sig)
{
	(void)sig;
	struct kvm_run *run = timer_run;
	if (run)
		run->immediate_exit = 1;
}

#define TIMER_SIGNAL (SIGRTMIN + 5)

static void host_timer_create(struct tg_machine *m)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = timer_signal; /* no SA_RESTART: KVM_RUN returns -EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(TIMER_SIGNAL, &sa, 0) < 0)
		return;
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = TIMER_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	timer_t t;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0)
		return;
	timer_t *p = malloc(sizeof *p);
	if (!p) {
		timer_delete(t);
		return;
	}
	*p = t;
	m->host_timer = p;
}

/* Arm (absolute machine time `at`) or disarm (NEVER) the host timer. */
static void host_timer_arm(struct tg_machine *m, uint64_t at)
{
	if (!m->host_timer)
		return;
	struct itimerspec its;
	memset(&its, 0, sizeof its);
	if (at != NEVER) {
		uint64_t abs = m->t0 + at;
		if (abs == 0)
			abs = 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(abs / 1000000000ull);
		its.it_value.tv_nsec = (long)(abs % 1000000000ull);
	}
	timer_settime(*(timer_t *)m->host_timer, TIMER_ABSTIME, &its, 0);
}

/* ---- interrupt routing ---- */

void tg_machine_isa_irq(struct tg_machine *m, unsigned irq, bool level)
{
	if (irq > 15)
		return;
	tg_pic_set_irq(&m->pic, irq, level);
	tg_ioapic_set_irq(&m->ioapic, irq == 0 ? 2 : irq, level);
}

static void isa_irq_cb(void *opaque, unsigned irq, bool level)
{
	tg_machine_isa_irq(opaque, irq, level);
}

static void isa_pulse(struct tg_machine *m, unsigned irq)
{
	tg_machine_isa_irq(m, irq, true);
	tg_machine_isa_irq(m, irq, false);
}

static void eoi_level_cb(void *opaque, uint8_t vector)
{
	struct tg_machine *m = opaque;
	tg_ioapic_eoi(&m->ioapic, vector);
}

/* IA32_APIC_BASE lives in the vCPU (its WRMSR does not exit): look at it
 * whenever the APIC's mode matters. */
static void sync_apic_base(struct tg_machine *m)
{
	uint64_t base;
	if (msr_get(m, TG_MSR_APIC_BASE, &base) == 0 && base != m->lapic.apic_base)
		tg_lapic_set_base(&m->lapic, base);
}

/* TPR: the vCPU's CR8 is the same register [SDM 10.8.6.1]; a MOV to CR8
 * does not exit on the model, so read it back before TPR matters. */
static void sync_tpr(struct tg_machine *m)
{
	struct kvm_sregs s;
	if (tg_vcpu_get_sregs(m->vcpu, &s) == 0)
		tg_lapic_set_cr8(&m->lapic, s.cr8);
}

/* The TPR was written through the APIC: the vCPU's CR8 follows. KVM
 * without an in-kernel APIC loads CR8 from run->cr8 at every KVM_RUN. */
static void push_tpr(struct tg_machine *m)
{
	struct kvm_sregs s;
	uint64_t cr8 = m->lapic.tpr >> 4;
	m->run->cr8 = cr8;
	if (tg_vcpu_get_sregs(m->vcpu, &s) == 0 && s.cr8 != cr8) {
		s.cr8 = cr8;
		tg_vcpu_set_sregs(m->vcpu, &s);
	}
}

static bool irr_empty(const struct tg_lapic *l)
{
	for (int i = 0; i < 8; i++)
		if (l->irr[i])
			return false;
	return true;
}

/* Can ISA line `irq` reach the CPU now: through an unmasked 8259 input
 * and LINT0 ExtINT, or an unmasked IO-APIC entry? */
static bool isa_live(struct tg_machine *m, unsigned irq)
{
	const struct tg_pic *p = &m->pic;
	if (tg_lapic_accepts_pic(&m->lapic)) {
		bool open = irq < 8 ? !(p->c[0].imr & (1u << irq))
				    : !(p->c[0].imr & 4) && !(p->c[1].imr & (1u << (irq - 8)));
		if (open)
			return true;
	}
	return !(m->ioapic.redir[irq == 0 ? 2 : irq] & TG_IOAPIC_MASKED);
}

static bool lapic_timer_live(struct tg_machine *m)
{
	return tg_lapic_hw_enabled(&m->lapic) &&
	       !(m->lapic.lvt[TG_LVT_TIMER] & TG_LVT_MASKED);
}

/* ---- time: fire what is due, find the next event ---- */

static void advance(struct tg_machine *m, uint64_t now)
{
	uint64_t tsc = tg_lapic_next_deadline(&m->lapic) ? guest_tsc(m) : 0;
	tg_lapic_advance(&m->lapic, now, tsc);
	if (tg_pit_irq_edges(&m->pit, now))
		isa_pulse(m, 0);
	if (tg_rtc_advance(&m->rtc, now))
		isa_pulse(m, 8);
}

/* The next time a source that can interrupt the vCPU fires (NEVER: none).
 * Masked sources are brought up to date lazily at the next exit. */
static uint64_t next_event(struct tg_machine *m, uint64_t now)
{
	uint64_t next = NEVER;
	if (lapic_timer_live(m)) {
		next = tg_lapic_next_timer(&m->lapic);
		uint64_t dl = tg_lapic_next_deadline(&m->lapic);
		if (dl) {
			/* the TSC advances with the clock, 1 per ns */
			uint64_t tsc = guest_tsc(m);
			uint64_t at = dl > tsc ? now + (dl - tsc) : now;
			if (at < next)
				next = at;
		}
	}
	if (isa_live(m, 0)) {
		uint64_t t = tg_pit_next_edge(&m->pit);
		if (t < next)
			next = t;
	}
	if (isa_live(m, 8)) {
		uint64_t t = tg_rtc_next(&m->rtc);
		if (t < next)
			next = t;
	}
	return next;
}

/* A vector the vCPU would take now (APIC above PPR, or the PIC through
 * ExtINT), or an NMI. */
static bool interrupt_ready(struct tg_machine *m)
{
	if (m->lapic.nmi_pending)
		return true;
	if (!irr_empty(&m->lapic)) {
		sync_tpr(m);
		if (tg_lapic_pending(&m->lapic) >= 0)
			return true;
	}
	return tg_lapic_accepts_pic(&m->lapic) && tg_pic_has_int(&m->pic);
}

/* The model path: a vector acknowledged early waits in the vCPU for IF=1.
 * If it was taken, the queue is free (true). If it still waits but the
 * APIC would now pick another one (a higher-priority vector arrived, or
 * the TPR rose through CR8), take it back (KVM_SET_VCPU_EVENTS without
 * it) and return it to the IRR, so the APIC chooses again as at a real
 * INTA (true). Otherwise it stays (false). */
static bool reconsider_vec(struct tg_machine *m, bool always)
{
	struct kvm_vcpu_events ev;
	if (tg_vcpu_get_vcpu_events(m->vcpu, &ev) < 0)
		return false;
	if (!ev.interrupt.injected) {
		m->queued = false;
		return true;
	}
	if (!m->queued_apic || ev.interrupt.nr != m->queued_vec)
		return false;
	struct tg_lapic *l = &m->lapic;
	tg_lapic_unack(l, m->queued_vec);
	sync_tpr(m);
	if (!always && tg_lapic_pending(l) == m->queued_vec) {
		tg_lapic_ack(l);
		return false;
	}
	ev.interrupt.injected = 0;
	ev.interrupt.nr = 0;
	/* only the interrupt changes; keep SMM out of the request */
	ev.flags &= ~(uint32_t)KVM_VCPUEVENT_VALID_SMM;
	if (tg_vcpu_set_vcpu_events(m->vcpu, &ev) < 0) {
		tg_lapic_ack(l);
		return false;
	}
	m->queued = false;
	m->irqs_retracted++;
	return true;
}

static bool reconsider(struct tg_machine *m)
{
	return reconsider_vec(m, false);
}

/* Before the guest reads APIC state: a vector acknowledged early but not
 * yet taken is, architecturally, still in the IRR (the INTA has not
 * happened). Take it back; the next service round queues it again. */
static void settle_apic(struct tg_machine *m)
{
	if (!m->window_exits && m->queued)
		reconsider_vec(m, true);
}

/* Hand the vCPU what it can take (see machine.h for the two ways). */
static void inject(struct tg_machine *m)
{
	struct kvm_run *run = m->run;
	if (m->lapic.nmi_pending) {
		if (tg_vcpu_nmi(m->vcpu) == 0)
			m->nmis_injected++;
		m->lapic.nmi_pending = 0; /* NMIs do not queue up [SDM 6.7.1] */
	}
	bool apic = !irr_empty(&m->lapic);
	bool pic = tg_lapic_accepts_pic(&m->lapic) && tg_pic_has_int(&m->pic);
	run->request_interrupt_window = 0;
	if (!apic && !pic)
		return;
	if (m->window_exits) {
		if (!run->ready_for_interrupt_injection) {
			run->request_interrupt_window = 1;
			return;
		}
	} else if (m->queued && !reconsider(m)) {
		return; /* the previous vector still waits for IF=1 */
	}
	int v = -1;
	bool from_apic = false;
	if (apic) {
		sync_tpr(m);
		v = tg_lapic_ack(&m->lapic);
		from_apic = v >= 0;
	}
	if (v < 0 && pic)
		v = tg_pic_ack(&m->pic);
	if (v < 0)
		return;
	struct kvm_interrupt irq = { .irq = (uint32_t)v };
	if (tg_vcpu_interrupt(m->vcpu, &irq) == 0) {
		m->queued = true;
		m->queued_apic = from_apic;
		m->queued_vec = (uint8_t)v;
		m->irqs_injected++;
	} else if (from_apic) {
		tg_lapic_unack(&m->lapic, (uint8_t)v);
	}
	/* More waiting: come back as soon as the vCPU can take it. */
	if (m->window_exits && (!irr_empty(&m->lapic) ||
				(tg_lapic_accepts_pic(&m->lapic) && tg_pic_has_int(&m->pic))))
		run->request_interrupt_window = 1;
}

void tg_machine_service(struct tg_machine *m)
{
	sync_apic_base(m);
	advance(m, tg_machine_now(m));
	inject(m);
}

/* ---- creation ---- */

/* The firmware's handover: what SeaBIOS leaves before QEMU's multiboot
 * option ROM jumps to the kernel. */
static int setup_platform(struct tg_machine *m)
{
	FILE *log = m->cfg.log;
	tg_lapic_init(&m->lapic, 0, log);
	m->lapic.eoi_level = eoi_level_cb;
	m->lapic.opaque = m;
	/* Virtual-wire mode [MP spec 1.4, 3.6.2.2]: APIC enabled, LINT0
	 * ExtINT (the 8259's INTR), LINT1 NMI. */
	m->lapic.svr = 0x1ff;
	m->lapic.lvt[TG_LVT_LINT0] = TG_DM_EXTINT << 8;
	m->lapic.lvt[TG_LVT_LINT1] = TG_DM_NMI << 8;
	tg_ioapic_init(&m->ioapic, &m->lapic);
	tg_pic_bios_state(&m->pic);
	tg_pit_init(&m->pit, clock_cb, m);
	tg_pit_bios_state(&m->pit, 0);
	int64_t epoch = m->cfg.rtc_epoch ? m->cfg.rtc_epoch : (int64_t)time(0);
	tg_rtc_init(&m->rtc, epoch, m->ram_size, clock_cb, m);
	tg_acpi_pm_init(&m->pm, clock_cb, m);
	m->testdev = calloc(1, sizeof *m->testdev);
	if (!m->testdev)
		return -ENOMEM;
	tg_testdev_init(m->testdev, isa_irq_cb, m);

	/* fw_cfg items kvm-unit-tests and firmware read [fw_cfg.rst]. */
	struct tg_fwcfg *f = &m->fwcfg;
	tg_fwcfg_init(f);
	static const uint8_t uuid[16];
	int r = tg_fwcfg_add(f, TG_FWCFG_UUID, uuid, sizeof uuid);
	r |= tg_fwcfg_add_u64(f, TG_FWCFG_RAM_SIZE, m->ram_size);
	r |= tg_fwcfg_add_u16(f, TG_FWCFG_NOGRAPHIC, 1);
	r |= tg_fwcfg_add_u16(f, TG_FWCFG_NB_CPUS, 1);
	r |= tg_fwcfg_add_u16(f, TG_FWCFG_MAX_CPUS, 1);
	/* etc/e820: RAM below 640 KiB and from 1 MiB (address, length,
	 * type, 20 bytes each, little-endian) */
	uint8_t e820[40];
	uint64_t ent[2][2] = { { 0, 0xa0000 }, { 0x100000, m->ram_size - 0x100000 } };
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 8; k++) {
			e820[20 * i + k] = (uint8_t)(ent[i][0] >> (8 * k));
			e820[20 * i + 8 + k] = (uint8_t)(ent[i][1] >> (8 * k));
		}
		e820[20 * i + 16] = 1;
		e820[20 * i + 17] = e820[20 * i + 18] = e820[20 * i + 19] = 0;
	}
	r |= tg_fwcfg_add_file(f, "etc/e820", e820, sizeof e820);
	if (r)
		return -ENOMEM;

	/* ACPI tables in the BIOS area of RAM (the guest finds the RSDP by
	 * scanning 0xE0000-0xFFFFF [ACPI 5.2.5.1]). */
	uint8_t *acpi = calloc(1, TG_ACPI_AREA_LEN);
	if (!acpi)
		return -ENOMEM;
	struct tg_acpi_config ac = {
		.lapic_addr = TG_LAPIC_DEFAULT_BASE, .lapic_id = 0, .ioapic_id = 0,
		.ioapic_addr = TG_IOAPIC_BASE,
	};
	size_t n = tg_acpi_build(acpi, TG_ACPI_AREA, TG_ACPI_AREA_LEN, &ac);
	r = n ? tg_vm_write_phys(m->vm, TG_ACPI_AREA, acpi, n) : -EINVAL;
	free(acpi);
	if (r < 0)
		return r;

	if (tg_pic_attach(&m->pic, &m->io) || tg_pit_attach(&m->pit, &m->io) ||
	    tg_rtc_attach(&m->rtc, &m->io) || tg_fwcfg_attach(&m->fwcfg, &m->io) ||
	    tg_acpi_pm_attach(&m->pm, &m->io) || tg_testdev_attach(m->testdev, &m->io))
		return -EEXIST;

	/* x2APIC and IA32_TSC_DEADLINE are MSRs only the VMM knows: ask for
	 * their exits. KVM without an in-kernel APIC rejects x2APIC MSRs
	 * (reason INVAL) rather than not knowing them. */
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL,
	};
	m->user_msr = tg_vm_enable_cap(m->vm, &cap) == 0;
	/* With the payload capability, KVM_GET_VCPU_EVENTS (which the
	 * injection path reads) leaves a pending #DB/#PF payload alone
	 * instead of committing it to DR6/CR2 [KVM API 4.31]. */
	struct kvm_enable_cap payload = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args[0] = 1 };
	tg_vm_enable_cap(m->vm, &payload);
	return 0;
}

int tg_machine_create(struct tg_machine *m, const struct tg_machine_config *cfg,
		      char *msg, size_t msglen)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	m->t0 = host_ns();
	if (!m->cfg.ram_size)
		m->cfg.ram_size = TG_MACHINE_DEFAULT_RAM;
	if (!m->cfg.console)
		m->cfg.console = console_stdout;
	if (!m->cfg.log)
		m->cfg.log = stderr;
	m->ram_size = m->cfg.ram_size;
	if (m->ram_size < TG_MB_MIN_RAM || m->ram_size > TG_MB_MAX_RAM ||
	    (m->ram_size & 0xfff)) {
		say(msg, msglen, "guest RAM of %llu bytes: must be 2 MiB to 3072 MiB",
		    (unsigned long long)m->ram_size);
		return -EINVAL;
	}
	int r = tg_vm_create(cfg->backend, &m->vm);
	if (r < 0) {
		say(msg, msglen, "cannot create the VM: %s", tg_last_error());
		return r;
	}
	/* Anonymous memory: untouched pages cost nothing, so a large RAM
	 * size is cheap. */
	void *ram = mmap(0, m->ram_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		say(msg, msglen, "cannot allocate %llu MiB of guest RAM: %s",
		    (unsigned long long)(m->ram_size >> 20), strerror(errno));
		tg_machine_destroy(m);
		return -ENOMEM;
	}
	m->ram = ram;
	struct kvm_userspace_memory_region reg = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = m->ram_size,
		.userspace_addr = (uintptr_t)m->ram,
	};
	r = tg_vm_set_user_memory_region(m->vm, &reg);
	if (r < 0) {
		say(msg, msglen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-r));
		tg_machine_destroy(m);
		return r;
	}
	r = tg_vcpu_create(m->vm, 0, &m->vcpu);
	if (r < 0) {
		say(msg, msglen, "KVM_CREATE_VCPU: %s", strerror(-r));
		tg_machine_destroy(m);
		return r;
	}
	m->run = tg_vcpu_kvm_run(m->vcpu);
	/* A backend that counts instructions gets the virtual clock. */
	m->virtual_time = tg_vcpu_set_budget(m->vcpu, 1) == 0;
	tg_vcpu_set_budget(m->vcpu, 0);
	/* Both backends fill ready_for_interrupt_injection after every exit
	 * and honour request_interrupt_window (KVM_EXIT_IRQ_WINDOW_OPEN). */
	m->window_exits = true;
	if (!m->virtual_time)
		host_timer_create(m);

	tg_iobus_init(&m->io, m->cfg.log);
	tg_uart_init(&m->com1, m->cfg.console, m->cfg.console_opaque);
	m->debugcon.tx = m->cfg.console;
	m->debugcon.tx_opaque = m->cfg.console_opaque;
	if (tg_uart_attach(&m->com1, &m->io, TG_COM1_BASE) ||
	    tg_debug_exit_attach(&m->exit_port, &m->io, TG_DEBUG_EXIT_PORT, 4) ||
	    tg_debugcon_attach(&m->debugcon, &m->io, TG_DEBUGCON_PORT) ||
	    tg_post_attach(&m->io)) {
		say(msg, msglen, "device port ranges overlap");
		tg_machine_destroy(m);
		return -EEXIST;
	}
	r = setup_platform(m);
	if (r < 0) {
		say(msg, msglen, "setting up the platform devices: %s", strerror(-r));
		tg_machine_destroy(m);
		return r;
	}
	return 0;
}

void tg_machine_destroy(struct tg_machine *m)
{
	if (m->host_timer) {
		timer_delete(*(timer_t *)m->host_timer);
		free(m->host_timer);
		m->host_timer = 0;
	}
	if (m->vm)
		tg_vm_destroy(m->vm); /* destroys the vCPU too */
	if (m->ram)
		munmap(m->ram, m->ram_size);
	tg_fwcfg_free(&m->fwcfg);
	free(m->testdev);
	m->testdev = 0;
	m->vm = 0;
	m->vcpu = 0;
	m->ram = 0;
}

int tg_machine_load_multiboot(struct tg_machine *m, const void *image, size_t size,
			      const char *cmdline, struct tg_mb_result *res)
{
	struct tg_mb_config c = { .ram_size = m->ram_size, .cmdline = cmdline };
	return tg_mb_load(m->vm, m->vcpu, image, size, &c, res);
}

/* KVM_EXIT_IO: `count` items of `size` bytes at data_offset in the run
 * page (count > 1 for string I/O on the kvm backend). */
static void serve_io(struct tg_machine *m)
{
	struct kvm_run *run = m->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			uint32_t v = 0;
			memcpy(&v, data, size <= 4 ? size : 4);
			tg_iobus_out(&m->io, run->io.port, size, v);
			if (m->exit_port.requested)
				return;
		} else {
			uint32_t v = tg_iobus_in(&m->io, run->io.port, size);
			memcpy(data, &v, size <= 4 ? size : 4);
		}
	}
}

/* ---- MMIO ---- */

static void mmio_report(struct tg_machine *m)
{
	struct kvm_run *run = m->run;
	uint64_t page = (run->mmio.phys_addr >> 12) + 1;
	for (int i = 0; i < m->nmmio_reported; i++)
		if (m->mmio_reported[i] == page)
			return;
	if (m->nmmio_reported >= TG_MACHINE_MMIO_REPORTS)
		return;
	m->mmio_reported[m->nmmio_reported++] = page;
	fprintf(m->cfg.log,
		"trapgate: MMIO %s of %u bytes at 0x%llx: no device there (%s); "
		"reported once per page\n",
		run->mmio.is_write ? "write" : "read", run->mmio.len,
		(unsigned long long)run->mmio.phys_addr,
		run->mmio.is_write ? "dropped" : "reads all-ones");
}

static uint64_t mmio_value(const struct kvm_run *run)
{
	uint64_t v = 0;
	memcpy(&v, run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
	return v;
}

static void mmio_reply(struct kvm_run *run, uint64_t v)
{
	memset(run->mmio.data, 0, sizeof run->mmio.data);
	memcpy(run->mmio.data, &v, run->mmio.len <= 8 ? run->mmio.len : 8);
}

/* The xAPIC page: 32-bit registers on 16-byte boundaries [SDM 10.4.1];
 * bytes 4-15 of each slot read as 0. A narrower write merges into the
 * register; writes not at the start of a slot are dropped. */
static void lapic_mmio(struct tg_machine *m, uint32_t off)
{
	struct kvm_run *run = m->run;
	struct tg_lapic *l = &m->lapic;
	uint32_t reg = off & 0xff0, in = off & 0xf;
	uint64_t now = tg_machine_now(m);
	settle_apic(m);
	if (reg == TG_APIC_TPR || reg == TG_APIC_PPR || reg == TG_APIC_APR)
		sync_tpr(m);
	if (!run->mmio.is_write) {
		uint64_t v = 0;
		if (in < 4) {
			v = tg_lapic_read(l, reg, now) >> (8 * in);
			if (run->mmio.len == 8 && in == 0)
				v &= 0xffffffffull; /* the slot's next 4 bytes are 0 */
		}
		mmio_reply(run, v);
		return;
	}
	if (in != 0)
		return;
	uint64_t v = mmio_value(run);
	uint32_t val = (uint32_t)v;
	if (run->mmio.len < 4) {
		uint32_t mask = (1u << (8 * run->mmio.len)) - 1;
		val = (tg_lapic_read(l, reg, now) & ~mask) | (val & mask);
	}
	tg_lapic_write(l, reg, val, now);
	if (reg == TG_APIC_TPR)
		push_tpr(m);
}

static void serve_mmio(struct tg_machine *m)
{
	struct kvm_run *run = m->run;
	uint64_t pa = run->mmio.phys_addr;
	if ((pa & ~0xfffull) == tg_lapic_mmio_base(&m->lapic))
		sync_apic_base(m);
	/* xAPIC mode only: in x2APIC mode the page is not decoded [SDM
	 * 10.12.1.2]. */
	if ((pa & ~0xfffull) == tg_lapic_mmio_base(&m->lapic) &&
	    tg_lapic_hw_enabled(&m->lapic) && !tg_lapic_x2apic(&m->lapic)) {
		lapic_mmio(m, (uint32_t)(pa & 0xfff));
		return;
	}
	if ((pa & ~0xfffull) == TG_IOAPIC_BASE) {
		uint32_t off = (uint32_t)(pa & 0xfff);
		if (run->mmio.is_write)
			tg_ioapic_write(&m->ioapic, off, (uint32_t)mmio_value(run));
		else
			mmio_reply(run, tg_ioapic_read(&m->ioapic, off));
		return;
	}
	if (pa >= TG_TESTDEV_IOMEM && pa - TG_TESTDEV_IOMEM < TG_TESTDEV_IOMEM_LEN) {
		unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
		tg_testdev_mmio(m->testdev, (uint32_t)(pa - TG_TESTDEV_IOMEM), run->mmio.data,
				len, run->mmio.is_write);
		return;
	}
	/* An open bus: reads see all-ones, writes vanish. */
	mmio_report(m);
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof run->mmio.data);
}

/* ---- MSRs the vCPU hands out (KVM_CAP_X86_USER_SPACE_MSR) ---- */

static void msr_report(struct tg_machine *m, bool write, uint32_t idx, uint64_t v,
		       uint32_t reason)
{
	const char *why = reason == KVM_MSR_EXIT_REASON_UNKNOWN ? "no such MSR"
							       : "value refused";
	for (int i = 0; i < m->nmsr_reported; i++)
		if (m->msr_reported[i] == idx)
			return;
	if (m->nmsr_reported >= TG_MACHINE_MSR_REPORTS)
		return;
	m->msr_reported[m->nmsr_reported++] = idx;
	if (write)
		fprintf(m->cfg.log, "trapgate: WRMSR 0x%x <- 0x%llx: %s, #GP "
			"(reported once per MSR)\n", idx, (unsigned long long)v, why);
	else
		fprintf(m->cfg.log, "trapgate: RDMSR 0x%x: %s, #GP (reported "
			"once per MSR)\n", idx, why);
}

static void serve_msr(struct tg_machine *m, bool write)
{
	struct kvm_run *run = m->run;
	uint32_t idx = run->msr.index;
	uint64_t now = tg_machine_now(m);
	int err = -1;
	sync_apic_base(m);
	if (idx >= TG_LAPIC_MSR_BASE && idx <= TG_LAPIC_MSR_LAST) {
		uint32_t reg = (idx - TG_LAPIC_MSR_BASE) << 4;
		settle_apic(m);
		if (reg == TG_APIC_TPR || reg == TG_APIC_PPR)
			sync_tpr(m);
		if (write) {
			err = tg_lapic_msr_write(&m->lapic, idx, run->msr.data, now);
			if (!err && reg == TG_APIC_TPR)
				push_tpr(m);
		} else {
			uint64_t v = 0;
			err = tg_lapic_msr_read(&m->lapic, idx, &v, now);
			run->msr.data = v;
		}
	} else if (idx == TG_MSR_TSC_DEADLINE) {
		/* Only with an APIC, as CPUID.1:ECX[24] implies [SDM 10.5.4.1]. */
		if (tg_lapic_hw_enabled(&m->lapic)) {
			err = 0;
			if (write)
				tg_lapic_deadline_write(&m->lapic, run->msr.data, guest_tsc(m));
			else
				run->msr.data = tg_lapic_deadline_read(&m->lapic);
		}
	} else {
		msr_report(m, write, idx, run->msr.data, run->msr.reason);
	}
	/* error=1 makes the vCPU take #GP(0) [KVM API "KVM_EXIT_X86_RDMSR"]. */
	run->msr.error = err ? 1 : 0;
	if (err && !write)
		run->msr.data = 0;
}

/* ---- HLT ---- */

/* The vCPU halted (RIP after the HLT; re-entering would run on): wait
 * for something that wakes it, jumping the virtual clock to each timer
 * event on the model, sleeping until it on kvm. */
static void serve_hlt(struct tg_machine *m, struct tg_outcome *o)
{
	struct kvm_regs regs;
	if (tg_vcpu_get_regs(m->vcpu, &regs) < 0) {
		o->end = TG_END_HALT;
		return;
	}
	sync_apic_base(m);
	for (int n = 0; n < HLT_MAX_EVENTS; n++) {
		uint64_t now = tg_machine_now(m);
		advance(m, now);
		/* With IF=0 only an NMI wakes a halted CPU [SDM Vol. 2 HLT]. */
		if (m->lapic.nmi_pending)
			return;
		if ((regs.rflags & (1u << 9)) && interrupt_ready(m))
			return;
		if (!(regs.rflags & (1u << 9)))
			break;
		uint64_t next = next_event(m, now);
		if (next == NEVER)
			break;
		if (next <= now)
			continue;
		m->hlt_skips++;
		if (m->virtual_time) {
			uint64_t d = next - now;
			m->skipped += d;
			/* the TSC counts the skipped time too */
			msr_set(m, MSR_IA32_TSC, guest_tsc(m) + d);
		} else {
			struct timespec ts = {
				.tv_sec = (time_t)((m->t0 + next) / 1000000000ull),
				.tv_nsec = (long)((m->t0 + next) % 1000000000ull),
			};
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0) == EINTR)
				;
		}
	}
	o->end = TG_END_HALT;
}

void tg_machine_handle_exit(struct tg_machine *m, struct tg_outcome *o)
{
	struct kvm_run *run = m->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		serve_io(m);
		if (m->exit_port.requested)
			o->end = TG_END_EXIT_PORT;
		break;
	case KVM_EXIT_MMIO:
		serve_mmio(m);
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		serve_msr(m, run->exit_reason == KVM_EXIT_X86_WRMSR);
		break;
	case KVM_EXIT_HLT:
		serve_hlt(m, o);
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_SET_TPR:
	case KVM_EXIT_INTR:
		break; /* the next service round looks at interrupts and time */
	case KVM_EXIT_SHUTDOWN:
		o->end = TG_END_SHUTDOWN;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		o->end = TG_END_INTERNAL;
		break;
	default:
		o->end = TG_END_INTERNAL;
		say(o->msg, sizeof o->msg, "unexpected exit reason %u", run->exit_reason);
		break;
	}
}

void tg_machine_run(struct tg_machine *m, struct tg_outcome *o)
{
	memset(o, 0, sizeof *o);
	struct kvm_run *run = m->run;
	struct tg_vcpu_stats st;
	uint64_t t0 = host_ns();
	timer_run = m->host_timer ? run : 0;
	while (o->end == TG_END_NONE) {
		tg_machine_service(m);
		uint64_t now = tg_machine_now(m);
		uint64_t next = next_event(m, now);
		if (m->virtual_time) {
			/* Stop the vCPU exactly when the next timer is due, or
			 * at --max-insns. */
			uint64_t budget = next == NEVER ? 0 : next > now ? next - now : 1;
			if (m->cfg.max_insns) {
				tg_vcpu_get_stats(m->vcpu, &st);
				if (st.insns_retired >= m->cfg.max_insns) {
					o->end = TG_END_BUDGET;
					break;
				}
				uint64_t left = m->cfg.max_insns - st.insns_retired;
				if (!budget || left < budget)
					budget = left;
			}
			if (m->debugger_slice && (!budget || budget > m->debugger_slice))
				budget = m->debugger_slice;
			tg_vcpu_set_budget(m->vcpu, budget);
		} else {
			if (m->cfg.max_insns) {
				o->end = TG_END_INTERNAL;
				say(o->msg, sizeof o->msg,
				    "--max-insns: the %s backend cannot count instructions",
				    tg_vm_backend_name(m->vm));
				break;
			}
			host_timer_arm(m, next);
		}
		if (m->debugger) {
			m->debugger->before_run(m->debugger_opaque, m, o);
			if (o->end != TG_END_NONE)
				break;
		}
		int r = tg_vcpu_run(m->vcpu);
		run->immediate_exit = 0;
		if (m->debugger && m->debugger->after_run(m->debugger_opaque, m, r, o))
			continue;
		if (r == -EINTR && run->exit_reason == KVM_EXIT_INTR)
			continue; /* a timer or the budget: the next round decides */
		if (r < 0) {
			o->end = TG_END_INTERNAL;
			say(o->msg, sizeof o->msg, "KVM_RUN failed: %s", strerror(-r));
			break;
		}
		tg_machine_handle_exit(m, o);
	}
	timer_run = 0;
	host_timer_arm(m, NEVER);
	o->seconds = (double)(host_ns() - t0) * 1e-9;
	tg_machine_finish(m, o);
	if (m->debugger)
		m->debugger->end(m->debugger_opaque, m, o);
}

static void internal_error(struct tg_machine *m, struct tg_outcome *o)
{
	struct kvm_run *run = m->run;
	char bytes[16 * 3 + 1] = "";
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		unsigned n = run->emulation_failure.insn_size;
		if (n > sizeof run->emulation_failure.insn_bytes)
			n = sizeof run->emulation_failure.insn_bytes;
		size_t at = 0;
		for (unsigned i = 0; i < n && at < sizeof bytes; i++)
			at += (size_t)snprintf(bytes + at, sizeof bytes - at, "%s%02x",
					       i ? " " : "",
					       run->emulation_failure.insn_bytes[i]);
		say(o->msg, sizeof o->msg,
		    "internal error: instruction not emulated at RIP 0x%llx: bytes [%s]",
		    (unsigned long long)o->rip, bytes);
	} else {
		say(o->msg, sizeof o->msg,
		    "internal error at RIP 0x%llx: suberror %u (data %llx %llx)",
		    (unsigned long long)o->rip, run->internal.suberror,
		    (unsigned long long)(run->internal.ndata > 0 ? run->internal.data[0] : 0),
		    (unsigned long long)(run->internal.ndata > 1 ? run->internal.data[1] : 0));
	}
}

void tg_machine_finish(struct tg_machine *m, struct tg_outcome *o)
{
	struct tg_vcpu_stats st;
	struct kvm_regs regs = { 0 };
	tg_vcpu_get_regs(m->vcpu, &regs);
	o->rip = regs.rip;
	if (tg_vcpu_get_stats(m->vcpu, &st) == 0) {
		o->insns = st.insns_retired;
		o->exits = st.exits;
	}
	switch (o->end) {
	case TG_END_EXIT_PORT:
		o->exit_value = m->exit_port.value;
		o->status = tg_debug_exit_status(o->exit_value);
		say(o->msg, sizeof o->msg, "guest wrote 0x%x to the exit port: status %d",
		    o->exit_value, o->status);
		break;
	case TG_END_HALT:
		o->status = TG_STATUS_HALT;
		say(o->msg, sizeof o->msg,
		    "guest halted (RIP 0x%llx, IF=%d): nothing can wake it",
		    (unsigned long long)o->rip, (int)((regs.rflags >> 9) & 1));
		break;
	case TG_END_SHUTDOWN:
		o->status = TG_STATUS_SHUTDOWN;
		say(o->msg, sizeof o->msg, "guest shut down (triple fault) at RIP 0x%llx",
		    (unsigned long long)o->rip);
		break;
	case TG_END_BUDGET:
		o->status = TG_STATUS_BUDGET;
		say(o->msg, sizeof o->msg,
		    "instruction limit reached: %llu instructions, RIP 0x%llx",
		    (unsigned long long)o->insns, (unsigned long long)o->rip);
		break;
	default:
		o->status = TG_STATUS_INTERNAL;
		if (!o->msg[0])
			internal_error(m, o);
		break;
	}
}
