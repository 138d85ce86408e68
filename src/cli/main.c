/* trapgate command line: one binary, subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../boot/machine.h"
#include "../conform/conform.h"
#include "trace.h"
#include "../gdb/gdbstub.h"

static const char usage_main[] =
	"usage: trapgate COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  run      boot a multiboot kernel on the software vCPU\n"
	"  conform  run the #DB conformance catalogue (conform.elf) on a backend\n"
	"  help     this text; `trapgate COMMAND --help` for a command\n";

static const char usage_run[] =
	"usage: trapgate run [OPTIONS] KERNEL.elf\n"
	"\n"
	"Boots a multiboot (v1) kernel as QEMU's -kernel does: 32-bit protected\n"
	"mode, paging off, EAX=0x2BADB002, EBX=multiboot info. Devices: 16550\n"
	"serial at 0x3f8 and debug console at 0xe9 (both to stdout), isa-debug-exit\n"
	"at 0xf4-0xf7, POST port 0x80, local APIC (xAPIC at 0xfee00000, x2APIC\n"
	"MSRs, timer one-shot/periodic/TSC-deadline), IO-APIC at 0xfec00000, 8259\n"
	"pair, 8254 PIT and port 0x61, CMOS/RTC, fw_cfg at 0x510 (one CPU), ACPI\n"
	"tables at 0xe0000 and PM timer at 0xb008, QEMU's pc-testdev (0xe0, 0xe4,\n"
	"0x2000, 0xff000000); other ports and MMIO read all-ones. On the model the\n"
	"clock is virtual (1 ns per instruction; HLT skips to the next timer).\n"
	"\n"
	"options:\n"
	"  --stats           print instructions retired, wall time and MIPS on stderr\n"
	"  --trace           print every instruction (disassembled) and every\n"
	"                    delivered event with DR6/DR7 on stdout (model backend)\n"
	"  --mem MIB         guest RAM in MiB (default 128, 2..3072)\n"
	"  -append ARGS      kernel command line (also --append); the kernel sees\n"
	"                    \"KERNEL ARGS\" as under QEMU\n"
	"  --max-insns N     stop after N guest instructions\n"
	"  --backend NAME    model (default) or kvm\n"
	"  --gdb [HOST:]PORT serve gdb's remote protocol (`target remote HOST:PORT`);\n"
	"                    HOST defaults to 127.0.0.1, port 0 picks a free port\n"
	"                    (printed on stderr); a gdb `kill` ends with status 3\n"
	"  --wait            with --gdb: hold the guest until gdb attaches\n"
	"  -h, --help        this text\n"
	"\n"
	"exit status:\n"
	"  (V<<1)|1  the guest wrote V to port 0xf4 (isa-debug-exit, low 8 bits)\n"
	"  2  usage error           3  internal error (instruction not emulated...)\n"
	"  4  guest halted (HLT, nothing can wake it)\n"
	"  6  shutdown (triple fault)  8  --max-insns reached\n"
	"  10 cannot create the machine or load the kernel\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "trapgate: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return TG_STATUS_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* The whole file in a malloc'ed buffer, or NULL with errno. */
static uint8_t *read_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > (3ll << 30)) {
		int e = errno ? errno : EINVAL;
		if (!S_ISREG(sb.st_mode))
			e = EISDIR;
		else if (sb.st_size > (3ll << 30))
			e = EFBIG;
		close(fd);
		errno = e;
		return 0;
	}
	size_t n = (size_t)sb.st_size, got = 0;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return 0;
	}
	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			free(buf);
			close(fd);
			errno = e;
			return 0;
		}
		got += (size_t)k;
	}
	close(fd);
	*size = n;
	return buf;
}

static int cmd_run(int argc, char **argv)
{
	struct tg_machine_config cfg = { .backend = TG_BACKEND_MODEL };
	const char *kernel = 0, *append = "";
	int stats = 0, trace = 0;
	const char *gdb_addr = 0;
	int gdb_wait = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : 0;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_run, stdout);
			return 0;
		} else if (!strcmp(a, "--stats")) {
			stats = 1;
		} else if (!strcmp(a, "--trace")) {
			trace = 1;
		} else if (!strcmp(a, "--mem") || !strcmp(a, "-m")) {
			uint64_t mib;
			if (parse_u64(val, &mib) || mib < 2 || mib > 3072)
				return usage_error(usage_run,
						   "--mem needs a size in MiB from 2 to 3072 (got '%s')",
						   val ? val : "");
			cfg.ram_size = mib << 20;
			i++;
		} else if (!strcmp(a, "-append") || !strcmp(a, "--append")) {
			if (!val)
				return usage_error(usage_run, "%s needs an argument", a);
			append = val;
			i++;
		} else if (!strcmp(a, "--max-insns")) {
			if (parse_u64(val, &cfg.max_insns) || !cfg.max_insns)
				return usage_error(usage_run,
						   "--max-insns needs a positive count (got '%s')",
						   val ? val : "");
			i++;
		} else if (!strcmp(a, "--backend")) {
			if (val && !strcmp(val, "model"))
				cfg.backend = TG_BACKEND_MODEL;
			else if (val && !strcmp(val, "kvm"))
				cfg.backend = TG_BACKEND_KVM;
			else
				return usage_error(usage_run,
						   "--backend is 'model' or 'kvm' (got '%s')",
						   val ? val : "");
			i++;
		} else if (!strcmp(a, "--gdb")) {
			if (!val)
				return usage_error(usage_run, "%s needs [HOST:]PORT", a);
			gdb_addr = val;
			i++;
		} else if (!strcmp(a, "--wait")) {
			gdb_wait = 1;
		} else if (a[0] == '-' && a[1]) {
			return usage_error(usage_run, "unknown option '%s'", a);
		} else if (kernel) {
			return usage_error(usage_run, "one kernel only ('%s')", a);
		} else {
			kernel = a;
		}
	}
	if (!kernel)
		return usage_error(usage_run, "%s", "no kernel given");
	struct tg_gdb_config gcfg = { .wait = gdb_wait };
	char gdb_host[256] = "";
	if (gdb_wait && !gdb_addr)
		return usage_error(usage_run, "%s", "--wait needs --gdb");
	if (gdb_addr && tg_gdb_parse_address(gdb_addr, gdb_host, sizeof gdb_host, &gcfg.port))
		return usage_error(usage_run, "--gdb takes [HOST:]PORT (got '%s')", gdb_addr);
	gcfg.host = gdb_host;

	size_t size = 0;
	uint8_t *image = read_file(kernel, &size);
	if (!image) {
		fprintf(stderr, "trapgate: cannot read '%s': %s\n", kernel, strerror(errno));
		return TG_STATUS_SETUP;
	}
	struct tg_machine m;
	char msg[256];
	if (tg_machine_create(&m, &cfg, msg, sizeof msg) < 0) {
		fprintf(stderr, "trapgate: %s\n", msg);
		free(image);
		return TG_STATUS_SETUP;
	}
	/* QEMU hands a multiboot kernel "FILENAME ARGS" [hw/i386/multiboot.c
	 * behaviour]; kvm-unit-tests reads argv[0] from it. */
	size_t cl = strlen(kernel) + strlen(append) + 2;
	char *cmdline = malloc(cl);
	if (!cmdline) {
		tg_machine_destroy(&m);
		free(image);
		return TG_STATUS_SETUP;
	}
	snprintf(cmdline, cl, "%s %s", kernel, append);
	struct tg_mb_result res;
	int r = tg_machine_load_multiboot(&m, image, size, cmdline, &res);
	free(cmdline);
	free(image);
	if (r < 0) {
		fprintf(stderr, "trapgate: %s: %s\n", kernel, res.msg);
		tg_machine_destroy(&m);
		return TG_STATUS_SETUP;
	}
	if (trace) {
		int tr = tg_cli_trace_attach(m.vcpu, stdout);
		if (tr < 0) {
			fprintf(stderr, "trapgate: --trace: %s backend cannot trace (%s)\n",
				tg_vm_backend_name(m.vm), strerror(-tr));
			tg_machine_destroy(&m);
			return TG_STATUS_SETUP;
		}
	}
	struct tg_gdb *gdb = 0;
	if (gdb_addr) {
		/* guest output as it happens, next to what gdb shows */
		setvbuf(stdout, 0, _IOLBF, 0);
		if (tg_gdb_listen(&m, &gcfg, &gdb, msg, sizeof msg) < 0) {
			fprintf(stderr, "trapgate: %s\n", msg);
			tg_machine_destroy(&m);
			return TG_STATUS_SETUP;
		}
	}
	struct tg_outcome o;
	tg_machine_run(&m, &o);
	tg_gdb_destroy(gdb);
	fflush(stdout);
	if (o.end != TG_END_EXIT_PORT)
		fprintf(stderr, "trapgate: %s\n", o.msg);
	if (stats) {
		double mips = o.seconds > 0 ? (double)o.insns / o.seconds / 1e6 : 0;
		fprintf(stderr,
			"trapgate: stats: insns_retired=%llu wall_seconds=%.6f mips=%.2f "
			"exits=%llu\n", (unsigned long long)o.insns, o.seconds, mips,
			(unsigned long long)o.exits);
	}
	tg_machine_destroy(&m);
	return o.status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return TG_STATUS_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		if (argc > 2 && !strcmp(argv[2], "run"))
			fputs(usage_run, stdout);
		else if (argc > 2 && !strcmp(argv[2], "conform"))
			return tg_cf_main(2, (char *[]){ "conform", "--help", 0 });
		else
			fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "conform"))
		return tg_cf_main(argc - 1, argv + 1);
	fprintf(stderr, "trapgate: unknown command '%s'\n%s", cmd, usage_main);
	return TG_STATUS_USAGE;
}
