/* The machine around the vCPU (src/boot/machine.c): how each KVM exit is
 * served, and whole runs of small multiboot kernels on the model. Exit
 * statuses are the ones documented in src/boot/machine.h; the exit-port
 * status follows QEMU's isa-debug-exit: (V << 1) | 1. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "../src/boot/machine.h"

/* ---- helpers shared with test_cli.c ---- */

/* A minimal multiboot ELF32 kernel around `code`: ELF header, one PT_LOAD
 * of the whole file at 0x100000 (as `ld -N` lays it out), the multiboot
 * header at file offset 0x54 and the code at 0x60 = entry 0x100060. */
size_t tb_mk_kernel(uint8_t *b, size_t cap, const void *code, size_t n)
{
	size_t size = 0x60 + n;
	if (size > cap)
		return 0;
	memset(b, 0, size);
	memcpy(b, "\x7f" "ELF\x01\x01\x01", 7);
	uint16_t h16[] = { 2, 3 };                 /* ET_EXEC, EM_386 */
	memcpy(b + 16, h16, 4);
	uint32_t h32[] = { 1, 0x100060, 52, 0, 0 }; /* version entry phoff shoff flags */
	memcpy(b + 20, h32, sizeof h32);
	uint16_t h16b[] = { 52, 32, 1, 40, 0, 0 };  /* ehsize phentsize phnum ... */
	memcpy(b + 40, h16b, sizeof h16b);
	uint32_t ph[] = { 1, 0, 0x100000, 0x100000, (uint32_t)size, (uint32_t)size, 7, 4 };
	memcpy(b + 52, ph, sizeof ph);
	uint32_t mb[] = { 0x1badb002, 0, (uint32_t)-0x1badb002 };
	memcpy(b + 0x54, mb, sizeof mb);
	memcpy(b + 0x60, code, n);
	return size;
}

/* The directory of the running test binary: $(BUILD)/. */
int tb_build_path(char *out, size_t len, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return snprintf(out, len, "%s/%s", exe, rel) < (int)len ? 0 : -1;
}

/* ---- a machine with captured console and log ---- */

struct cap {
	char con[4096];
	size_t ncon;
	char *log;
	size_t nlog;
	FILE *logf;
};

static void cap_tx(void *opaque, uint8_t b)
{
	struct cap *c = opaque;
	if (c->ncon < sizeof c->con - 1)
		c->con[c->ncon++] = (char)b;
}

static int new_machine(struct tg_machine *m, struct cap *c, uint64_t ram, uint64_t max)
{
	memset(c, 0, sizeof *c);
	c->logf = open_memstream(&c->log, &c->nlog);
	struct tg_machine_config cfg = {
		.backend = TG_BACKEND_MODEL, .ram_size = ram, .max_insns = max,
		.console = cap_tx, .console_opaque = c, .log = c->logf,
	};
	char msg[256];
	int r = tg_machine_create(m, &cfg, msg, sizeof msg);
	if (r < 0)
		printf("    tg_machine_create: %s\n", msg);
	return r;
}

static void end_machine(struct tg_machine *m, struct cap *c)
{
	tg_machine_destroy(m);
	fclose(c->logf);
	free(c->log);
}

static int log_lines(struct cap *c)
{
	fflush(c->logf);
	int n = 0;
	for (size_t i = 0; i < c->nlog; i++)
		n += c->log[i] == '\n';
	return n;
}

static void io_exit(struct tg_machine *m, int dir, uint16_t port, unsigned size,
		    uint32_t count, const void *data)
{
	struct kvm_run *run = m->run;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = (uint8_t)dir;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = 4096; /* inside the run page, as KVM lays it out */
	if (data)
		memcpy((uint8_t *)run + 4096, data, size * count);
}

TEST(boot_machine_io_exits)
{
	struct tg_machine m;
	struct cap c;
	ASSERT_EQ(new_machine(&m, &c, 0, 0), 0);
	struct tg_outcome o = { 0 };
	uint8_t *data = (uint8_t *)m.run + 4096;
	/* OUT to the serial THR: one console byte. */
	io_exit(&m, KVM_EXIT_IO_OUT, 0x3f8, 1, 1, "x");
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(o.end, TG_END_NONE);
	/* IN from LSR: 0x60, THR empty [PC16550D 8.4]. */
	io_exit(&m, KVM_EXIT_IO_IN, 0x3fd, 1, 1, 0);
	data[0] = 0;
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(data[0], 0x60);
	/* String OUT (KVM gives count > 1): every item in order. */
	io_exit(&m, KVM_EXIT_IO_OUT, 0xe9, 1, 3, "abc");
	tg_machine_handle_exit(&m, &o);
	ASSERT_EQ(c.ncon, 4);
	EXPECT_EQ(memcmp(c.con, "xabc", 4), 0);
	/* String IN of words from an unclaimed port: all-ones, one report. */
	io_exit(&m, KVM_EXIT_IO_IN, 0x5000, 2, 2, 0);
	memset(data, 0, 4);
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(data[0] & data[1] & data[2] & data[3], 0xff);
	EXPECT_EQ(log_lines(&c), 1);
	EXPECT_EQ(o.end, TG_END_NONE);
	/* The exit port ends the run: 0x10 -> status 0x21. */
	uint32_t v = 0x10;
	io_exit(&m, KVM_EXIT_IO_OUT, 0xf4, 4, 1, &v);
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(o.end, TG_END_EXIT_PORT);
	tg_machine_finish(&m, &o);
	EXPECT_EQ(o.status, 0x21);
	EXPECT_EQ(o.exit_value, 0x10);
	end_machine(&m, &c);
}

TEST(boot_machine_mmio_exits)
{
	struct tg_machine m;
	struct cap c;
	ASSERT_EQ(new_machine(&m, &c, 0, 0), 0);
	struct tg_outcome o = { 0 };
	struct kvm_run *run = m.run;
	run->exit_reason = KVM_EXIT_MMIO;
	/* (the APIC and IO-APIC pages are decoded: test_machine_guests.c) */
	run->mmio.phys_addr = 0xfed00030;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	memset(run->mmio.data, 0, 8);
	tg_machine_handle_exit(&m, &o);
	/* Open bus: all-ones. */
	EXPECT_EQ(run->mmio.data[0] & run->mmio.data[1] & run->mmio.data[2] &
			  run->mmio.data[3], 0xff);
	EXPECT_EQ(o.end, TG_END_NONE);
	EXPECT_EQ(log_lines(&c), 1);
	/* Same page again: no new report; another page: one more. */
	run->mmio.phys_addr = 0xfed00ff0;
	run->mmio.is_write = 1;
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(log_lines(&c), 1);
	run->mmio.phys_addr = 0xe0000000;
	tg_machine_handle_exit(&m, &o);
	EXPECT_EQ(log_lines(&c), 2);
	EXPECT_EQ(o.end, TG_END_NONE);
	end_machine(&m, &c);
}

TEST(boot_machine_final_exits)
{
	static const struct {
		uint32_t reason;
		int end, status;
	} cases[] = {
		{ KVM_EXIT_HLT, TG_END_HALT, TG_STATUS_HALT },
		{ KVM_EXIT_SHUTDOWN, TG_END_SHUTDOWN, TG_STATUS_SHUTDOWN },
		{ KVM_EXIT_INTERNAL_ERROR, TG_END_INTERNAL, TG_STATUS_INTERNAL },
		{ KVM_EXIT_DEBUG, TG_END_INTERNAL, TG_STATUS_INTERNAL },
		{ KVM_EXIT_FAIL_ENTRY, TG_END_INTERNAL, TG_STATUS_INTERNAL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tg_machine m;
		struct cap c;
		ASSERT_EQ(new_machine(&m, &c, 0, 0), 0);
		struct tg_outcome o = { 0 };
		m.run->exit_reason = cases[i].reason;
		if (cases[i].reason == KVM_EXIT_INTERNAL_ERROR) {
			m.run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
			m.run->emulation_failure.insn_size = 4;
			memcpy(m.run->emulation_failure.insn_bytes, "\x66\x0f\x38\x40", 4);
		}
		tg_machine_handle_exit(&m, &o);
		EXPECT_EQ(o.end, cases[i].end);
		tg_machine_finish(&m, &o);
		EXPECT_EQ(o.status, cases[i].status);
		EXPECT_TRUE(o.msg[0] != 0);
		if (cases[i].reason == KVM_EXIT_INTERNAL_ERROR)
			EXPECT_TRUE(strstr(o.msg, "[66 0f 38 40]") != 0);
		end_machine(&m, &c);
	}
}

TEST(boot_machine_config_errors)
{
	struct tg_machine m;
	char msg[256] = "";
	struct tg_machine_config cfg = { .ram_size = 1 << 20 };
	EXPECT_EQ(tg_machine_create(&m, &cfg, msg, sizeof msg), -EINVAL);
	EXPECT_TRUE(msg[0] != 0);
	cfg.ram_size = 4096ull << 20;
	EXPECT_EQ(tg_machine_create(&m, &cfg, msg, sizeof msg), -EINVAL);
	cfg.ram_size = (16 << 20) + 100;
	EXPECT_EQ(tg_machine_create(&m, &cfg, msg, sizeof msg), -EINVAL);
}

/* ---- whole runs on the model ---- */

static int run_kernel(const void *code, size_t n, uint64_t max, struct cap *c,
		      struct tg_outcome *o)
{
	uint8_t img[512];
	size_t size = tb_mk_kernel(img, sizeof img, code, n);
	struct tg_machine m;
	if (!size || new_machine(&m, c, 16 << 20, max) < 0)
		return -1;
	struct tg_mb_result res;
	int r = tg_machine_load_multiboot(&m, img, size, "k", &res);
	if (r == 0)
		tg_machine_run(&m, o);
	fflush(c->logf);
	tg_machine_destroy(&m);
	return r;
}

static void free_cap(struct cap *c)
{
	fclose(c->logf);
	free(c->log);
}

/* HLT with IF=0 (the multiboot entry state): nothing can wake the CPU
 * [SDM Vol. 2 HLT]; the run ends with status 4, RIP after the HLT. */
TEST(boot_machine_run_hlt)
{
	struct cap c;
	struct tg_outcome o;
	ASSERT_EQ(run_kernel("\xf4", 1, 0, &c, &o), 0);
	EXPECT_EQ(o.end, TG_END_HALT);
	EXPECT_EQ(o.status, TG_STATUS_HALT);
	EXPECT_EQ(o.rip, 0x100061);
	EXPECT_EQ(o.insns, 1);
	free_cap(&c);
}

/* An instruction the model does not emulate (FNINIT: no x87 unit; the
 * SSE forms are #UD now that CPUID reports no SSE): status 3 and the
 * bytes in the message. */
TEST(boot_machine_run_unimplemented)
{
	struct cap c;
	struct tg_outcome o;
	ASSERT_EQ(run_kernel("\xdb\xe3", 2, 0, &c, &o), 0);
	EXPECT_EQ(o.end, TG_END_INTERNAL);
	EXPECT_EQ(o.status, TG_STATUS_INTERNAL);
	EXPECT_EQ(o.rip, 0x100060);
	EXPECT_TRUE(strstr(o.msg, "[db e3]") != 0);
	free_cap(&c);
}

/* `jmp $` forever, bounded by max_insns: exactly that many retire. */
TEST(boot_machine_run_budget)
{
	struct cap c;
	struct tg_outcome o;
	ASSERT_EQ(run_kernel("\xeb\xfe", 2, 1000, &c, &o), 0);
	EXPECT_EQ(o.end, TG_END_BUDGET);
	EXPECT_EQ(o.status, TG_STATUS_BUDGET);
	EXPECT_EQ(o.insns, 1000);
	EXPECT_EQ(o.rip, 0x100060);
	free_cap(&c);
}

/* UD2 with the IDT the loader leaves (base 0, zeros in RAM): the #UD gate
 * is not present -> #GP, whose gate is not present either -> #DF, same ->
 * triple fault [SDM Vol. 3A 6.15 Table 6-5, Interrupt 8]: shutdown, 6. */
TEST(boot_machine_run_triple_fault)
{
	struct cap c;
	struct tg_outcome o;
	ASSERT_EQ(run_kernel("\x0f\x0b", 2, 0, &c, &o), 0);
	EXPECT_EQ(o.end, TG_END_SHUTDOWN);
	EXPECT_EQ(o.status, TG_STATUS_SHUTDOWN);
	free_cap(&c);
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

/* guests/mb/hello.S: "hello\n" on COM1, then 0x10 to port 0xf4. Retired
 * instructions: 2 + 6 characters x 9 (mov dx, in, test, jz, mov al,
 * mov dx, out, inc, loop) + mov eax = 57; the final OUT ends the run
 * before it completes. */
TEST(boot_machine_run_hello)
{
	size_t size;
	uint8_t *img = slurp("guests/mb/hello.elf", &size);
	ASSERT_TRUE(img != 0);
	struct tg_machine m;
	struct cap c;
	ASSERT_EQ(new_machine(&m, &c, 0, 100000), 0);
	struct tg_mb_result res;
	ASSERT_EQ(tg_machine_load_multiboot(&m, img, size, "hello.elf ", &res), 0);
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	EXPECT_EQ(o.end, TG_END_EXIT_PORT);
	EXPECT_EQ(o.status, 0x21);
	EXPECT_EQ(c.ncon, 6);
	EXPECT_EQ(memcmp(c.con, "hello\n", 6), 0);
	EXPECT_EQ(o.insns, 57);
	if (o.end != TG_END_EXIT_PORT)
		printf("    %s\n", o.msg);
	end_machine(&m, &c);
}

/* guests/mb/mbcheck.S: reloads segments from the boot GDT and prints the
 * command line and mem_upper from the info structure. 16 MiB of RAM:
 * mem_upper = 16 MiB - 1 MiB = 15360 KiB = 0x3c00 [MB 3.3]. */
TEST(boot_machine_run_mbcheck)
{
	size_t size;
	uint8_t *img = slurp("guests/mb/mbcheck.elf", &size);
	ASSERT_TRUE(img != 0);
	struct tg_machine m;
	struct cap c;
	ASSERT_EQ(new_machine(&m, &c, 16 << 20, 1000000), 0);
	struct tg_mb_result res;
	ASSERT_EQ(tg_machine_load_multiboot(&m, img, size, "mbcheck.elf foo=1 bar", &res), 0);
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	EXPECT_EQ(o.status, 0x21);
	static const char want[] = "cmdline=mbcheck.elf foo=1 bar\nmem_upper=00003c00\n";
	EXPECT_EQ(c.ncon, sizeof want - 1);
	EXPECT_EQ(strcmp(c.con, want), 0);
	if (o.end != TG_END_EXIT_PORT)
		printf("    %s\n", o.msg);
	end_machine(&m, &c);
}
