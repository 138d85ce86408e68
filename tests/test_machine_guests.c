/* The machine with its devices on the model backend: MMIO/MSR exits as
 * the VMM serves them, the x2APIC exit path of the model
 * (KVM_CAP_X86_USER_SPACE_MSR), and whole runs of the multiboot kernels in
 * guests/mb that program the APIC timer, the 8259s and the 8254. On the
 * model the machine clock is 1 ns per retired instruction and a HLT jumps
 * it to the next timer event (machine.h), so times are exact. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "harness.h"
#include "../src/boot/machine.h"

size_t tb_mk_kernel(uint8_t *b, size_t cap, const void *code, size_t n);
int tb_build_path(char *out, size_t len, const char *rel);

struct con {
	char buf[1024];
	size_t n;
	char *log;
	size_t nlog;
	FILE *logf;
};

static void con_tx(void *opaque, uint8_t b)
{
	struct con *c = opaque;
	if (c->n < sizeof c->buf - 1)
		c->buf[c->n++] = (char)b;
}

static int mk(struct tg_machine *m, struct con *c, uint64_t max)
{
	memset(c, 0, sizeof *c);
	c->logf = open_memstream(&c->log, &c->nlog);
	struct tg_machine_config cfg = {
		.backend = TG_BACKEND_MODEL, .ram_size = 16 << 20, .max_insns = max,
		.console = con_tx, .console_opaque = c, .log = c->logf,
		.rtc_epoch = 1614834367,
	};
	char msg[256];
	int r = tg_machine_create(m, &cfg, msg, sizeof msg);
	if (r < 0)
		printf("    tg_machine_create: %s\n", msg);
	return r;
}

static void done(struct tg_machine *m, struct con *c)
{
	tg_machine_destroy(m);
	fclose(c->logf);
	free(c->log);
}

static int log_lines(struct con *c)
{
	fflush(c->logf);
	int n = 0;
	for (size_t i = 0; i < c->nlog; i++)
		n += c->log[i] == '\n';
	return n;
}

static uint64_t mmio(struct tg_machine *m, uint64_t pa, unsigned len, bool write,
		     uint64_t v)
{
	struct kvm_run *run = m->run;
	struct tg_outcome o = { 0 };
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = pa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, 8);
	if (write)
		memcpy(run->mmio.data, &v, len);
	tg_machine_handle_exit(m, &o);
	uint64_t r = 0;
	memcpy(&r, run->mmio.data, len);
	return r;
}

/* 0 or 1 (run->msr.error) */
static int msr_exit(struct tg_machine *m, bool write, uint32_t idx, uint64_t *v)
{
	struct kvm_run *run = m->run;
	struct tg_outcome o = { 0 };
	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.index = idx;
	run->msr.reason = KVM_MSR_EXIT_REASON_UNKNOWN;
	run->msr.error = 0;
	run->msr.data = write ? *v : 0x5555;
	tg_machine_handle_exit(m, &o);
	if (!write)
		*v = run->msr.data;
	return run->msr.error;
}

/* MMIO and MSR exits reach the devices: the xAPIC page at IA32_APIC_BASE
 * (version 0x50014 [SDM 10.4.8]; bytes 4-15 of a slot read 0), the
 * IO-APIC window, pc-testdev's I/O memory; x2APIC MSRs #GP in xAPIC mode
 * [SDM 10.12.1.2]; IA32_TSC_DEADLINE reads 0 outside TSC-deadline mode;
 * an MSR nobody knows is #GP and reported once. */
TEST(machine_exits_reach_devices)
{
	struct tg_machine m;
	struct con c;
	ASSERT_EQ(mk(&m, &c, 0), 0);
	EXPECT_EQ(mmio(&m, 0xfee00030, 4, false, 0), 0x50014);
	EXPECT_EQ(mmio(&m, 0xfee00034, 4, false, 0), 0);
	EXPECT_EQ(mmio(&m, 0xfee00031, 1, false, 0), 0x00); /* byte 1 of 0x50014 */
	EXPECT_EQ(mmio(&m, 0xfee00032, 1, false, 0), 0x05);
	mmio(&m, 0xfee00080, 4, true, 0x20);                /* TPR */
	EXPECT_EQ(mmio(&m, 0xfee00080, 4, false, 0), 0x20);
	EXPECT_EQ(m.run->cr8, 2);                            /* CR8 follows */
	struct kvm_sregs s;
	ASSERT_EQ(tg_vcpu_get_sregs(m.vcpu, &s), 0);
	EXPECT_EQ(s.cr8, 2);
	mmio(&m, 0xfec00000, 4, true, 1);                    /* IOREGSEL: version */
	EXPECT_EQ(mmio(&m, 0xfec00010, 4, false, 0), 0x00170020);
	mmio(&m, 0xff000010, 8, true, 0x1122334455667788ull);
	EXPECT_EQ(mmio(&m, 0xff000012, 2, false, 0), 0x5566);
	uint64_t v = 0;
	EXPECT_EQ(msr_exit(&m, false, 0x802, &v), 1);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(msr_exit(&m, false, 0x6e0, &v), 0);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(log_lines(&c), 0);
	EXPECT_EQ(msr_exit(&m, false, 0x3b, &v), 1);
	EXPECT_EQ(msr_exit(&m, false, 0x3b, &v), 1);
	EXPECT_EQ(log_lines(&c), 1);
	/* The firmware tables are in guest RAM: the RSDP at 0xE0000 with a
	 * valid checksum [ACPI 5.2.5.3]. */
	EXPECT_EQ(memcmp(m.ram + 0xe0000, "RSD PTR ", 8), 0);
	EXPECT_EQ(tg_acpi_sum(m.ram + 0xe0000, 20), 0);
	/* fw_cfg through I/O exits: NB_CPUS = 1 */
	struct kvm_run *run = m.run;
	struct tg_outcome o = { 0 };
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	run->exit_reason = KVM_EXIT_IO;
	run->io = (__typeof__(run->io)){ .direction = KVM_EXIT_IO_OUT, .size = 2,
					 .port = 0x510, .count = 1, .data_offset = 4096 };
	data = (uint8_t *)run + 4096;
	data[0] = TG_FWCFG_NB_CPUS;
	data[1] = 0;
	tg_machine_handle_exit(&m, &o);
	run->io.direction = KVM_EXIT_IO_IN;
	run->io.size = 1;
	run->io.port = 0x511;
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(data[0], 1);
	done(&m, &c);
}

static uint8_t *slurp(const char *rel, size_t *size)
{
	char path[PATH_MAX];
	if (tb_build_path(path, sizeof path, rel) < 0)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	static uint8_t buf[65536];
	*size = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* guests/mb/apic_timer.S on the model. Expectations [SDM 10.5.4]: the
 * one-shot cannot fire before TMICT ticks (divide by 1, 1 tick = 1 ns =
 * 1 instruction) and HLT jumps the clock to the expiry, so the handler's
 * RDTSC sees the arming TSC + 100000 plus the few instructions between
 * (< 64); TMCCT reads 0 after; periodic expiries are exactly 50000 apart
 * (each is woken from HLT by a jump to the expiry and runs the same
 * handler path); the TSC-deadline interrupt comes at the deadline (+ the
 * handler's own instructions); the self-IPI sent with IF=0 sits in the
 * IRR (vector 0x41 = bit 1 of IRR[95:64]), is in the ISR inside its
 * handler, and is gone after EOI; the kernel exits with 1 handler run. */
TEST(machine_guest_apic_timer)
{
	size_t size;
	uint8_t *img = slurp("guests/mb/apic_timer.elf", &size);
	ASSERT_TRUE(img != 0);
	struct tg_machine m;
	struct con c;
	ASSERT_EQ(mk(&m, &c, 10000000), 0);
	struct tg_mb_result res;
	ASSERT_EQ(tg_machine_load_multiboot(&m, img, size, "apic_timer.elf", &res), 0);
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	if (o.end != TG_END_EXIT_PORT)
		printf("    %s\n", o.msg);
	EXPECT_EQ(o.end, TG_END_EXIT_PORT);
	EXPECT_EQ(o.exit_value, 1);
	const uint8_t *r = m.ram + 0x6000;
	uint64_t arm = rd64(r), fired = rd64(r + 8);
	EXPECT_TRUE(fired >= arm + 100000 && fired < arm + 100000 + 64);
	EXPECT_EQ(rd32(r + 64), 0);
	EXPECT_EQ(rd64(r + 24) - rd64(r + 16), 50000);
	EXPECT_EQ(rd64(r + 32) - rd64(r + 24), 50000);
	uint64_t dl = rd64(r + 40), dl_fired = rd64(r + 48);
	EXPECT_TRUE(dl_fired >= dl && dl_fired < dl + 64);
	EXPECT_EQ(rd32(r + 68), 5);
	EXPECT_EQ(rd32(r + 56), 1u << 1);
	EXPECT_EQ(rd32(r + 60), 1u << 1);
	EXPECT_EQ(rd32(r + 72), 0);
	EXPECT_EQ(m.lapic.timer_fires, 5);
	EXPECT_TRUE(m.hlt_skips >= 5);
	/* Only a few thousand instructions ran: the waits were jumps. */
	EXPECT_TRUE(o.insns < 1000);
	done(&m, &c);
}

/* guests/mb/pic_pit.S on the model: three IRQ 0 interrupts from PIT mode
 * 2 with count 1193, remapped to vector 0x20 [8259A ICW2], 1193 ticks
 * apart: 999847 or 999848 ns (ceil of k x 1193 x 10^9 / 1193182); ISR
 * bit 0 inside the handler; with IRQ 0 masked the next edge shows in the
 * IRR only; channel 2 mode 0: OUT2 low after loading, high after the
 * count [82C54 "Mode 0"]. */
TEST(machine_guest_pic_pit)
{
	size_t size;
	uint8_t *img = slurp("guests/mb/pic_pit.elf", &size);
	ASSERT_TRUE(img != 0);
	struct tg_machine m;
	struct con c;
	ASSERT_EQ(mk(&m, &c, 50000000), 0);
	struct tg_mb_result res;
	ASSERT_EQ(tg_machine_load_multiboot(&m, img, size, "pic_pit.elf", &res), 0);
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	if (o.end != TG_END_EXIT_PORT)
		printf("    %s\n", o.msg);
	EXPECT_EQ(o.end, TG_END_EXIT_PORT);
	EXPECT_EQ(o.exit_value, 3);
	const uint8_t *r = m.ram + 0x6000;
	for (int i = 0; i < 2; i++) {
		uint64_t d = rd64(r + 4 + 8 * (i + 1)) - rd64(r + 4 + 8 * i);
		EXPECT_TRUE(d == 999847 || d == 999848);
	}
	EXPECT_EQ(rd32(r + 40), 0x01);
	EXPECT_EQ(rd32(r + 28) & 1, 1);
	EXPECT_EQ(rd32(r + 32) & 0x23, 0x01);
	EXPECT_EQ(rd32(r + 36) & 0x23, 0x21);
	EXPECT_EQ(m.irqs_injected, 3);
	done(&m, &c);
}

/* HLT with IF=1 but every interrupt source masked (8259 IMR 0xFF, the
 * IO-APIC masked at reset, APIC timer masked): nothing can wake the CPU,
 * the run ends as halted (status 4), RIP after the HLT. */
TEST(machine_hlt_nothing_wakes)
{
	/* mov al, 0xff; out 0x21, al; sti; hlt */
	static const uint8_t code[] = { 0xb0, 0xff, 0xe6, 0x21, 0xfb, 0xf4 };
	uint8_t img[512];
	size_t n = tb_mk_kernel(img, sizeof img, code, sizeof code);
	struct tg_machine m;
	struct con c;
	ASSERT_EQ(mk(&m, &c, 1000000), 0);
	struct tg_mb_result res;
	ASSERT_EQ(tg_machine_load_multiboot(&m, img, n, "k", &res), 0);
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	EXPECT_EQ(o.end, TG_END_HALT);
	EXPECT_EQ(o.status, TG_STATUS_HALT);
	EXPECT_EQ(o.rip, 0x100066);
	EXPECT_EQ(o.insns, 4);
	done(&m, &c);
}

/* ---- the model's exits for MSRs it does not know ---- */

/* mov ecx, 0x808; rdmsr; mov esi, eax; mov edi, edx; mov ecx, 0x6e0;
 * mov eax, 0x12345678; mov edx, 1; wrmsr (+26); hlt -- and a #GP handler
 * that halts. */
static const uint8_t msr_code[] = {
	0xb9, 0x08, 0x08, 0x00, 0x00, 0x0f, 0x32, 0x89, 0xc6, 0x89, 0xd7,
	0xb9, 0xe0, 0x06, 0x00, 0x00, 0xb8, 0x78, 0x56, 0x34, 0x12,
	0xba, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x30, 0xf4,
};
#define MSR_HANDLER (TH_CODE + 0x100)

static int msr_setup(struct th *t, bool cap)
{
	if (th_init(t, TG_BACKEND_MODEL, 8 << 20) < 0)
		return -1;
	if (cap) {
		struct kvm_enable_cap e = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
					    .args[0] = KVM_MSR_EXIT_REASON_UNKNOWN };
		if (tg_vm_enable_cap(t->vm, &e) < 0)
			return -1;
	}
	th_long_mode(t, TH_CODE, TH_STACK);
	th_load(t, TH_CODE, msr_code, sizeof msr_code);
	th_load(t, MSR_HANDLER, "\xf4", 1);
	th_gate64(t, 13, MSR_HANDLER, 14, 0, 0);
	return 0;
}

/* KVM_CAP_X86_USER_SPACE_MSR with KVM_MSR_EXIT_REASON_UNKNOWN [KVM API
 * 7.21; 5 "KVM_EXIT_X86_RDMSR"]: RDMSR of an MSR the model does not know
 * exits with reason UNKNOWN and the index, RIP still on the instruction;
 * the next KVM_RUN completes it with the VMM's data in EDX:EAX. WRMSR
 * exits with the value; error = 1 makes it #GP(0), a fault: the pushed
 * RIP is the WRMSR's, error code 0 [SDM Vol. 2 WRMSR]. An MSR the model
 * knows (IA32_TSC) does not exit. */
TEST(machine_msr_exits_model)
{
	struct th t;
	ASSERT_EQ(msr_setup(&t, true), 0);
	EXPECT_EQ(tg_vm_check_extension(t.vm, KVM_CAP_X86_USER_SPACE_MSR), 1);
	ASSERT_EQ(th_run(&t), KVM_EXIT_X86_RDMSR);
	EXPECT_EQ(t.run->msr.index, 0x808);
	EXPECT_EQ(t.run->msr.reason, KVM_MSR_EXIT_REASON_UNKNOWN);
	EXPECT_EQ(t.run->msr.error, 0);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE + 5);
	t.run->msr.data = 0xaabbccdd11223344ull;
	ASSERT_EQ(th_run(&t), KVM_EXIT_X86_WRMSR);
	EXPECT_EQ(t.run->msr.index, 0x6e0);
	EXPECT_EQ(t.run->msr.data, 0x112345678ull);
	EXPECT_EQ(t.run->msr.reason, KVM_MSR_EXIT_REASON_UNKNOWN);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rsi, 0x11223344);
	EXPECT_EQ(r.rdi, 0xaabbccdd);
	EXPECT_EQ(r.rip, TH_CODE + 26);
	t.run->msr.error = 1;
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, MSR_HANDLER + 1);
	EXPECT_EQ(rd64(t.mem + r.rsp), 0);                /* error code */
	EXPECT_EQ(rd64(t.mem + r.rsp + 8), TH_CODE + 26); /* the WRMSR */
	struct tg_vcpu_stats st;
	ASSERT_EQ(tg_vcpu_get_stats(t.vcpu, &st), 0);
	EXPECT_EQ(st.exceptions, 1);
	/* Completed WRMSR: run it again with error = 0. */
	th_long_mode(&t, TH_CODE + 11, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_X86_WRMSR);
	t.run->msr.error = 0;
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, TH_CODE + 29);
	/* IA32_TSC is the model's own: no exit. */
	static const uint8_t tsc[] = { 0xb9, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x32, 0xf4 };
	th_load(&t, TH_CODE, tsc, sizeof tsc);
	th_long_mode(&t, TH_CODE, TH_STACK);
	EXPECT_EQ(th_run(&t), KVM_EXIT_HLT);
	th_fini(&t);
}

/* Without the capability an unknown MSR is #GP(0) at once, as before;
 * the capability takes only known reasons [KVM API 7.21]. */
TEST(machine_msr_exits_off)
{
	struct th t;
	ASSERT_EQ(msr_setup(&t, false), 0);
	struct kvm_enable_cap bad = { .cap = KVM_CAP_X86_USER_SPACE_MSR, .args[0] = 8 };
	EXPECT_EQ(tg_vm_enable_cap(t.vm, &bad), -22);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, MSR_HANDLER + 1);
	EXPECT_EQ(rd64(t.mem + r.rsp + 8), TH_CODE + 5); /* the RDMSR */
	th_fini(&t);
}
