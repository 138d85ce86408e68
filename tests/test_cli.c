/* The trapgate command line, run as a separate process ($(BUILD)/trapgate
 * beside the test binary): options, usage errors, exit statuses (see
 * src/boot/machine.h) and guest console output on stdout. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

size_t tb_mk_kernel(uint8_t *b, size_t cap, const void *code, size_t n);
int tb_build_path(char *out, size_t len, const char *rel);

struct res {
	int status; /* exit status, or 128 + signal */
	char out[8192], err[8192];
};

static void slurp_fd(int fd, char *buf, size_t len)
{
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
}

/* Runs trapgate with argv (NULL-terminated, argv[0] ignored). */
static int run(struct res *r, const char *const *argv)
{
	char exe[PATH_MAX];
	if (tb_build_path(exe, sizeof exe, "trapgate") < 0 || access(exe, X_OK))
		return -1;
	char o[] = "/tmp/tg-cli-out-XXXXXX", e[] = "/tmp/tg-cli-err-XXXXXX";
	int fo = mkstemp(o), fe = mkstemp(e);
	if (fo < 0 || fe < 0)
		return -1;
	unlink(o);
	unlink(e);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		alarm(60); /* a runaway guest must not hang the tests */
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp_fd(fo, r->out, sizeof r->out);
	slurp_fd(fe, r->err, sizeof r->err);
	return 0;
}

#define RUN(r, ...)                                                          \
	do {                                                                 \
		const char *const argv_[] = { "trapgate", __VA_ARGS__, NULL }; \
		ASSERT_EQ(run(r, argv_), 0);                                 \
	} while (0)

static struct res R;

TEST(cli_help)
{
	RUN(&R, "--help");
	EXPECT_EQ(R.status, 0);
	EXPECT_TRUE(strstr(R.out, "usage: trapgate") != 0);
	RUN(&R, "help", "run");
	EXPECT_EQ(R.status, 0);
	EXPECT_TRUE(strstr(R.out, "--max-insns") != 0);
	RUN(&R, "run", "--help");
	EXPECT_EQ(R.status, 0);
	EXPECT_TRUE(strstr(R.out, "usage: trapgate run") != 0);
	EXPECT_TRUE(strstr(R.out, "exit status") != 0);
}

TEST(cli_usage_errors)
{
	const char *const none[] = { "trapgate", NULL };
	ASSERT_EQ(run(&R, none), 0);
	EXPECT_EQ(R.status, 2);
	RUN(&R, "frobnicate");
	EXPECT_EQ(R.status, 2);
	EXPECT_TRUE(strstr(R.err, "unknown command 'frobnicate'") != 0);
	RUN(&R, "run");
	EXPECT_EQ(R.status, 2);
	EXPECT_TRUE(strstr(R.err, "no kernel") != 0);
	RUN(&R, "run", "--bogus", "k.elf");
	EXPECT_EQ(R.status, 2);
	EXPECT_TRUE(strstr(R.err, "unknown option '--bogus'") != 0);
	RUN(&R, "run", "--mem", "1", "k.elf");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "--mem", "12x", "k.elf");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "--mem", "4096", "k.elf");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "--max-insns", "0", "k.elf");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "--max-insns", "-5", "k.elf");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "k.elf", "-append");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "--backend", "bochs", "k.elf");
	EXPECT_EQ(R.status, 2);
	RUN(&R, "run", "a.elf", "b.elf");
	EXPECT_EQ(R.status, 2);
}

static void write_tmp(char *path, const void *data, size_t n)
{
	strcpy(path, "/tmp/tg-cli-kernel-XXXXXX");
	int fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, data, n) != (ssize_t)n)
			path[0] = 0;
		close(fd);
	}
}

TEST(cli_load_errors)
{
	RUN(&R, "run", "/nonexistent/kernel.elf");
	EXPECT_EQ(R.status, 10);
	EXPECT_TRUE(strstr(R.err, "cannot read '/nonexistent/kernel.elf'") != 0);
	RUN(&R, "run", "/tmp");
	EXPECT_EQ(R.status, 10);
	char path[64];
	write_tmp(path, "just some text, not a kernel\n", 29);
	RUN(&R, "run", path);
	EXPECT_EQ(R.status, 10);
	EXPECT_TRUE(strstr(R.err, "no multiboot header") != 0);
	unlink(path);
	/* ELF64 with a valid multiboot header: refused like QEMU refuses. */
	uint8_t k[256];
	size_t n = tb_mk_kernel(k, sizeof k, "\xf4", 1);
	k[4] = 2;
	write_tmp(path, k, n);
	RUN(&R, "run", path);
	EXPECT_EQ(R.status, 10);
	EXPECT_TRUE(strstr(R.err, "ELF64") != 0);
	unlink(path);
}

TEST(cli_halt_status)
{
	uint8_t k[256];
	size_t n = tb_mk_kernel(k, sizeof k, "\xf4", 1);
	char path[64];
	write_tmp(path, k, n);
	RUN(&R, "run", path);
	EXPECT_EQ(R.status, 4);
	EXPECT_TRUE(strstr(R.err, "guest halted") != 0);
	unlink(path);
}

static int guest(char *path, size_t len, const char *name)
{
	char rel[64];
	snprintf(rel, sizeof rel, "guests/mb/%s.elf", name);
	return tb_build_path(path, len, rel);
}

/* guests/mb/hello.S: "hello\n" on the serial port, exit value 0x10. */
TEST(cli_hello)
{
	char k[PATH_MAX];
	ASSERT_EQ(guest(k, sizeof k, "hello"), 0);
	RUN(&R, "run", k);
	EXPECT_EQ(R.status, 0x21);
	EXPECT_EQ(strcmp(R.out, "hello\n"), 0);
	EXPECT_EQ(strcmp(R.err, ""), 0);
	if (R.status != 0x21)
		printf("    stderr: %s", R.err);
	/* --stats: 57 instructions retired (test_boot_machine.c). */
	RUN(&R, "run", "--stats", k);
	EXPECT_EQ(R.status, 0x21);
	EXPECT_TRUE(strstr(R.err, "insns_retired=57 ") != 0);
	EXPECT_TRUE(strstr(R.err, "mips=") != 0);
	/* The limit hits before the first OUT (the 9th instruction). */
	RUN(&R, "run", "--max-insns", "5", k);
	EXPECT_EQ(R.status, 8);
	EXPECT_EQ(strcmp(R.out, ""), 0);
	EXPECT_TRUE(strstr(R.err, "instruction limit") != 0);
}

/* guests/mb/mbcheck.S prints the command line, which QEMU forms as
 * "KERNEL ARGS", and mem_upper: 128 MiB default -> 0x1fc00 KiB. */
TEST(cli_append_and_mem)
{
	char k[PATH_MAX];
	ASSERT_EQ(guest(k, sizeof k, "mbcheck"), 0);
	RUN(&R, "run", "-append", "foo bar", k);
	EXPECT_EQ(R.status, 0x21);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof want, "cmdline=%s foo bar\nmem_upper=0001fc00\n", k);
	EXPECT_EQ(strcmp(R.out, want), 0);
	RUN(&R, "run", "--mem", "16", k);
	snprintf(want, sizeof want, "cmdline=%s \nmem_upper=00003c00\n", k);
	EXPECT_EQ(strcmp(R.out, want), 0);
	EXPECT_EQ(R.status, 0x21);
}
