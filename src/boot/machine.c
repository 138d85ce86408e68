/* The VMM loop: serve each exit as a PC's chipset would, until the guest
 * writes the exit port, halts for good, shuts down, or does something the
 * backend cannot emulate. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "machine.h"

static void console_stdout(void *opaque, uint8_t byte)
{
	(void)opaque;
	putchar(byte);
}

__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int tg_machine_create(struct tg_machine *m, const struct tg_machine_config *cfg,
		      char *msg, size_t msglen)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
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
	return 0;
}

void tg_machine_destroy(struct tg_machine *m)
{
	if (m->vm)
		tg_vm_destroy(m->vm); /* destroys the vCPU too */
	if (m->ram)
		munmap(m->ram, m->ram_size);
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

/* No MMIO devices yet: an open bus. Reads see all-ones, writes vanish;
 * each page is reported once. */
static void serve_mmio(struct tg_machine *m)
{
	struct kvm_run *run = m->run;
	uint64_t page = (run->mmio.phys_addr >> 12) + 1;
	bool seen = false;
	for (int i = 0; i < m->nmmio_reported; i++)
		if (m->mmio_reported[i] == page)
			seen = true;
	if (!seen && m->nmmio_reported < TG_MACHINE_MMIO_REPORTS) {
		m->mmio_reported[m->nmmio_reported++] = page;
		fprintf(m->cfg.log,
			"trapgate: MMIO %s of %u bytes at 0x%llx: no device there (%s); "
			"reported once per page\n",
			run->mmio.is_write ? "write" : "read", run->mmio.len,
			(unsigned long long)run->mmio.phys_addr,
			run->mmio.is_write ? "dropped" : "reads all-ones");
	}
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof run->mmio.data);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
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
	case KVM_EXIT_HLT:
		o->end = TG_END_HALT;
		break;
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
	double t0 = now();
	while (o->end == TG_END_NONE) {
		if (m->cfg.max_insns) {
			/* The budget bounds one KVM_RUN; keep the total. */
			tg_vcpu_get_stats(m->vcpu, &st);
			if (st.insns_retired >= m->cfg.max_insns) {
				o->end = TG_END_BUDGET;
				break;
			}
			int b = tg_vcpu_set_budget(m->vcpu, m->cfg.max_insns - st.insns_retired);
			if (b < 0) {
				o->end = TG_END_INTERNAL;
				say(o->msg, sizeof o->msg,
				    "--max-insns: the %s backend cannot count instructions",
				    tg_vm_backend_name(m->vm));
				break;
			}
		}
		int r = tg_vcpu_run(m->vcpu);
		if (r == -EINTR && run->exit_reason == KVM_EXIT_INTR) {
			if (m->cfg.max_insns)
				continue; /* the check above decides */
			o->end = TG_END_INTERNAL;
			say(o->msg, sizeof o->msg, "run interrupted");
			break;
		}
		if (r < 0) {
			o->end = TG_END_INTERNAL;
			say(o->msg, sizeof o->msg, "KVM_RUN failed: %s", strerror(-r));
			break;
		}
		tg_machine_handle_exit(m, o);
	}
	o->seconds = now() - t0;
	tg_machine_finish(m, o);
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
