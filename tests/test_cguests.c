/* C guest programs (guests/c/NAME.c) on the model, compared with the same
 * source compiled natively and run on the host CPU (the oracle), plus the
 * published test vectors where one exists (SHA-256 [FIPS 180-4 examples],
 * CRC-32 / CRC-32C check values ["123456789", Rocksoft catalogue],
 * Adler-32 [RFC 1950]).
 *
 * A run that does not reach HLT says why: the instruction the model does
 * not implement (RIP and bytes from kvm_run.emulation_failure), an
 * undeliverable exception, or the instruction budget running out. The
 * retired-instruction count of every run is printed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test.h"

#define CG_LAYOUT_ONLY
#include "../guests/c/rt/rt.h"

/* The native builds write their results here (guests/c/rt/rt.h). */
struct cg_out *cg_native_out;

/* X(name, names of its output values: no_names for none) */
#define CG_PROGRAMS(X)                                                      \
	X(arith, no_names) X(bignum, no_names) X(bytevm, no_names)         \
	X(crc32, no_names) X(insnflags, insnflags_names)                   \
	X(sha256, no_names) X(sort, no_names) X(strings, no_names)
static const char *const no_names[] = { NULL };

/* guests/c/insnflags.c emits one hash per instruction form of this list. */
#include "../guests/c/insnflags.h"
#define CG_FORM_NAME(n, ...) #n,
static const char *const insnflags_names[] = { INSNFLAGS_FORMS(CG_FORM_NAME) "total" };

#define CG_DECL(n, names)                                                   \
	extern const uint8_t guest_c_##n[], guest_c_##n##_end[];            \
	extern const uint8_t guest_c_##n##_os[], guest_c_##n##_os_end[];    \
	uint64_t cg_native_##n(void);
CG_PROGRAMS(CG_DECL)

/* Every program retires under 15M instructions on a correct model;
 * the budget only keeps a broken one (e.g. a wrong branch looping
 * forever) from hanging the test. */
#define CG_BUDGET 50000000ull

/* The native program runs in a child process: its static data must start
 * from the program's initial values, as a fresh guest image does, however
 * many times the tests run it (and a crash there cannot take the test
 * binary down). Results come back through a shared mapping. */
static void run_native(uint64_t (*fn)(void), struct cg_out *o)
{
	memset(o, 0, sizeof *o);
	struct cg_out *sh = mmap(0, sizeof *sh, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		test_fail(__FILE__, __LINE__, "mmap: %s", strerror(errno));
		return;
	}
	memset(sh, 0, sizeof *sh);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		cg_native_out = sh;
		sh->ret = fn();
		sh->done = CG_DONE_MAGIC;
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		test_fail(__FILE__, __LINE__, "native run failed (pid %d, status 0x%x)",
			  (int)pid, st);
	memcpy(o, sh, sizeof *o);
	munmap(sh, sizeof *sh);
}

/* Runs a guest image to HLT on the model. Returns 0 with *o filled and
 * *insns set, or -1 after reporting why the run stopped elsewhere. */
static int run_guest(const char *name, const uint8_t *img, const uint8_t *end,
		     struct cg_out *o, uint64_t *insns)
{
	struct th t;
	size_t len = (size_t)(end - img);
	if (len > CG_IMAGE_LIMIT - CG_CODE) {
		test_fail(__FILE__, __LINE__, "c_%s: image of %zu bytes too large", name, len);
		return -1;
	}
	int r = th_init(&t, TG_BACKEND_MODEL, CG_MEM_SIZE);
	if (r < 0) {
		test_fail(__FILE__, __LINE__, "th_init: %d (%s)", r, tg_last_error());
		return -1;
	}
	th_load(&t, CG_CODE, img, len);
	th_long_mode(&t, CG_CODE, TH_STACK);
	if (tg_vcpu_set_budget(t.vcpu, CG_BUDGET) < 0)
		test_fail(__FILE__, __LINE__, "tg_vcpu_set_budget failed");
	int ex = th_run(&t);
	struct kvm_regs regs = th_regs(&t);
	struct tg_vcpu_stats st = { 0 };
	tg_vcpu_get_stats(t.vcpu, &st);
	*insns = st.insns_retired;
	memcpy(o, t.mem + CG_OUT_ADDR, sizeof *o);
	int ok = ex == KVM_EXIT_HLT;
	if (ex == KVM_EXIT_INTERNAL_ERROR &&
	    t.run->emulation_failure.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		char bytes[64] = "";
		unsigned n = t.run->emulation_failure.insn_size;
		if (n > 15)
			n = 15;
		for (unsigned i = 0; i < n; i++)
			snprintf(bytes + 3 * i, sizeof bytes - 3 * i, "%02x ",
				 t.run->emulation_failure.insn_bytes[i]);
		test_fail(__FILE__, __LINE__,
			  "c_%s: not implemented at RIP=0x%llx: %s(after %" PRIu64
			  " insns; addr2line -f -e BUILD/guests/c_%s.elf 0x%llx)",
			  name, (unsigned long long)regs.rip, bytes, *insns, name,
			  (unsigned long long)regs.rip);
	} else if (ex == KVM_EXIT_INTERNAL_ERROR) {
		test_fail(__FILE__, __LINE__,
			  "c_%s: internal error suberror %u data[0]=0x%llx at RIP=0x%llx",
			  name, t.run->internal.suberror,
			  (unsigned long long)t.run->internal.data[0],
			  (unsigned long long)regs.rip);
	} else if (ex == -EINTR) {
		test_fail(__FILE__, __LINE__,
			  "c_%s: budget of %llu instructions ran out at RIP=0x%llx",
			  name, CG_BUDGET, (unsigned long long)regs.rip);
	} else if (!ok) {
		test_fail(__FILE__, __LINE__, "c_%s: exit %d at RIP=0x%llx", name, ex,
			  (unsigned long long)regs.rip);
	}
	th_fini(&t);
	return ok ? 0 : -1;
}

/* Model vs native: same return value, same number of values, same values
 * (named from `names` when the program has a list). */
static void compare(const char *name, const struct cg_out *g, const struct cg_out *n,
		    const char *const *names, size_t nnames)
{
	EXPECT_EQ(g->done, CG_DONE_MAGIC);
	EXPECT_EQ(n->n, g->n);
	EXPECT_TRUE(n->n <= CG_OUT_MAX);
	EXPECT_EQ(g->ret, n->ret);
	int shown = 0, limit = nnames > 1 ? 100 : 8;
	for (uint64_t i = 0; i < n->n && i < g->n && i < CG_OUT_MAX; i++)
		if (g->v[i] != n->v[i] && shown++ < limit)
			test_fail(__FILE__, __LINE__,
				  "c_%s: value %" PRIu64 " (%s): model 0x%" PRIx64
				  ", native 0x%" PRIx64, name, i,
				  i < nnames && names[i] ? names[i] : "-", g->v[i], n->v[i]);
	if (shown > limit)
		test_fail(__FILE__, __LINE__, "c_%s: %d values differ", name, shown);
}

/* Runs program `name` both ways; returns the model's results (NULL if it
 * did not finish) and leaves the native results in *nat. */
static struct cg_out *run_both(const char *name, const uint8_t *img, const uint8_t *end,
			       uint64_t (*fn)(void), struct cg_out **nat,
			       const char *const *names, size_t nnames)
{
	struct cg_out *g = calloc(1, sizeof *g), *n = calloc(1, sizeof *n);
	*nat = n;
	run_native(fn, n);
	uint64_t insns = 0;
	if (run_guest(name, img, end, g, &insns) < 0) {
		free(g);
		return NULL;
	}
	printf("    c_%s: %" PRIu64 " instructions retired, %" PRIu64 " values\n",
	       name, insns, g->n);
	compare(name, g, n, names, nnames);
	return g;
}

#define CG_NAMES(names) (names), sizeof(names) / sizeof((names)[0])
/* Each program has a check function for its known values, run on the
 * -O2 image (TEST cguest_NAME) and on the -Os image (cguest_NAME_os, built
 * with POPCNT/LZCNT/CMPXCHG16B/LAHF enabled, see the Makefile). */
#define CG_TESTS(n, names)                                                  \
	static void check_##n(const struct cg_out *g, const struct cg_out *nat); \
	TEST(cguest_##n)                                                    \
	{                                                                   \
		struct cg_out *nat, *g = run_both(#n, guest_c_##n,          \
			guest_c_##n##_end, cg_native_##n, &nat, CG_NAMES(names)); \
		check_##n(g, nat);                                          \
		free(g);                                                    \
		free(nat);                                                  \
	}                                                                   \
	TEST(cguest_##n##_os)                                               \
	{                                                                   \
		struct cg_out *nat, *g = run_both(#n "_os", guest_c_##n##_os, \
			guest_c_##n##_os_end, cg_native_##n, &nat, CG_NAMES(names)); \
		check_##n(g, nat);                                          \
		free(g);                                                    \
		free(nat);                                                  \
	}
CG_PROGRAMS(CG_TESTS)

/* Known values are checked on the native results too: that validates the
 * program itself, independently of the model. */
#define EXPECT_BOTH(g, nat, i, val)                                         \
	do {                                                                \
		EXPECT_EQ((nat)->v[i], (val));                              \
		if (g)                                                      \
			EXPECT_EQ((g)->v[i], (val));                        \
	} while (0)

static void check_crc32(const struct cg_out *g, const struct cg_out *nat)
{
	/* CRC-32/ISO-HDLC check value of "123456789" (Rocksoft model
	 * catalogue), three implementations */
	EXPECT_BOTH(g, nat, 0, 0xcbf43926);
	EXPECT_BOTH(g, nat, 1, 0xcbf43926);
	EXPECT_BOTH(g, nat, 2, 0xcbf43926);
	/* CRC-32C (Castagnoli) check value [RFC 3720 B.4 polynomial] */
	EXPECT_BOTH(g, nat, 3, 0xe3069283);
	/* CRC-32 of "The quick brown fox jumps over the lazy dog" */
	EXPECT_BOTH(g, nat, 4, 0x414fa339);
	/* Adler-32 of "Wikipedia" [RFC 1950 8.2 algorithm] */
	EXPECT_BOTH(g, nat, 5, 0x11e60398);
	EXPECT_BOTH(g, nat, 6, 0);
	/* every (offset, length): bitwise == table == slicing-by-8 */
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(nat->v[7 + 5 * i], nat->v[8 + 5 * i]);
		EXPECT_EQ(nat->v[7 + 5 * i], nat->v[9 + 5 * i]);
	}
	/* CRC over the buffer in pieces == at once */
	EXPECT_EQ(nat->v[47], nat->v[48]);
}

static void check_sha256(const struct cg_out *g, const struct cg_out *nat)
{
	static const uint32_t want[5][8] = {
		/* "" */
		{ 0xe3b0c442, 0x98fc1c14, 0x9afbf4c8, 0x996fb924,
		  0x27ae41e4, 0x649b934c, 0xa495991b, 0x7852b855 },
		/* "abc" [FIPS 180-4 example SHA256.pdf] */
		{ 0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
		  0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad },
		/* 448-bit two-block message */
		{ 0x248d6a61, 0xd20638b8, 0xe5c02693, 0x0c3e6039,
		  0xa33ce459, 0x64ff2167, 0xf6ecedd4, 0x19db06c1 },
		/* 896-bit message */
		{ 0xcf5b16a7, 0x78af8380, 0x036ce59e, 0x7b049237,
		  0x0b249b11, 0xe8f07a51, 0xafac4503, 0x7afee9d1 },
		/* 10000 'a' (Python hashlib; the one-million-'a' vector
		 * would cost 73M guest instructions per run) */
		{ 0x27dd1f61, 0xb867b6a0, 0xf6e9d8a4, 0x1c43231d,
		  0xe52107e5, 0x3ae424de, 0x8f847b82, 0x1db4b711 },
	};
	for (int m = 0; m < 5; m++)
		for (int w = 0; w < 8; w++)
			EXPECT_BOTH(g, nat, m * 8 + w, want[m][w]);
	/* one-shot == incremental for every length 0..200 */
	EXPECT_BOTH(g, nat, 48, 1);
}

static void check_sort(const struct cg_out *g, const struct cg_out *nat)
{
	/* 3 rounds x (int32, uint64, int16): every algorithm agreed and the
	 * result is ordered */
	for (int i = 1; i < 18; i += 2)
		EXPECT_BOTH(g, nat, i, 1);
}

static void check_bytevm(const struct cg_out *g, const struct cg_out *nat)
{
	/* Facts about integers (computed independently with Python):
	 * pi(500) = 95; fib(12) = 144, fib(14) = 377; pi(1000) = 168 with
	 * sum 76127; sum gcd(i,j)*(i^j) over 1..15 = 2860; the longest
	 * Collatz chain below 100 starts at 97 (118 steps); C division
	 * truncates: -7/2 = -3, -7%2 = -1 [C11 6.5.5]. */
	static const uint64_t want[] = {
		95, 144, 377, 168, 76127, 2860, 97, 118,
		(uint64_t)-3, (uint64_t)-1, 0xffffff0000000005ull, 0, 3,
		1 /* both dispatchers agree */,
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		EXPECT_BOTH(g, nat, i, want[i]);
	EXPECT_BOTH(g, nat, 15, 0); /* no interpreter error */
	EXPECT_EQ(nat->ret, 77);
}

static void check_insnflags(const struct cg_out *g, const struct cg_out *nat)
{
	/* one hash per form plus the total */
	EXPECT_EQ(nat->n, sizeof insnflags_names / sizeof insnflags_names[0]);
	EXPECT_EQ(nat->ret, nat->n - 1);
}

static void check_arith(const struct cg_out *g, const struct cg_out *nat)
{
	EXPECT_EQ(nat->n, 15);
}

static void check_strings(const struct cg_out *g, const struct cg_out *nat)
{
	EXPECT_BOTH(g, nat, 2, 1); /* printf output parses back */
}

static void check_bignum(const struct cg_out *g, const struct cg_out *nat)
{
	/* 200! has 375 decimal digits, digit sum 1404, leading digits
	 * 7886578673647905035; 78 primes in [2^61, 2^61+3000), sum mod 2^64
	 * 13835058055282279472 (Python big integers, Miller-Rabin). */
	EXPECT_BOTH(g, nat, 1, 1404);
	EXPECT_BOTH(g, nat, 2, 375);
	EXPECT_BOTH(g, nat, 3, 78);
	EXPECT_BOTH(g, nat, 4, 13835058055282279472ull);
	EXPECT_BOTH(g, nat, 6, 1); /* isqrt(n)^2 <= n < (isqrt(n)+1)^2 */
	EXPECT_BOTH(g, nat, 8, 7886578673647905035ull);
}

/* A run cut into many slices by the instruction budget (each slice ends in
 * -EINTR / KVM_EXIT_INTR, tg_vcpu_set_budget) must resume exactly where it
 * stopped: the same results as the native run and the same number of
 * retired instructions as one uninterrupted run. Slice lengths vary
 * pseudo-randomly over 1..4999 instructions, so the cuts land all over the
 * program (mid-block, around REP string instructions, calls, ...). */
TEST(cguest_resume_after_budget_exits)
{
	struct cg_out *nat = calloc(1, sizeof *nat), *g = calloc(1, sizeof *g);
	run_native(cg_native_strings, nat);
	uint64_t whole = 0;
	if (run_guest("strings", guest_c_strings, guest_c_strings_end, g, &whole) < 0)
		goto out;
	struct th t;
	if (th_init(&t, TG_BACKEND_MODEL, CG_MEM_SIZE) < 0) {
		test_fail(__FILE__, __LINE__, "th_init failed");
		goto out;
	}
	th_load(&t, CG_CODE, guest_c_strings, (size_t)(guest_c_strings_end - guest_c_strings));
	th_long_mode(&t, CG_CODE, TH_STACK);
	int ex, slices = 0;
	for (;;) {
		uint64_t slice = 1 + ((uint64_t)slices * 7919) % 4999;
		ASSERT_EQ(tg_vcpu_set_budget(t.vcpu, slice), 0);
		ex = th_run(&t);
		if (ex != -EINTR || ++slices > 10000)
			break;
		EXPECT_EQ(t.run->exit_reason, KVM_EXIT_INTR);
	}
	EXPECT_EQ(ex, KVM_EXIT_HLT);
	EXPECT_TRUE(slices > 1000);
	struct tg_vcpu_stats st = { 0 };
	tg_vcpu_get_stats(t.vcpu, &st);
	EXPECT_EQ(st.insns_retired, whole);
	memcpy(g, t.mem + CG_OUT_ADDR, sizeof *g);
	compare("strings (sliced)", g, nat, no_names, 1);
	th_fini(&t);
out:
	free(g);
	free(nat);
}

/* The same VM runs a program twice (registers reset with th_long_mode,
 * memory left as the first run wrote it; start.S zeroes .bss again): the
 * second run, with blocks already decoded, gives the same results and
 * retires the same number of instructions. */
TEST(cguest_rerun_same_vm)
{
	struct cg_out *nat = calloc(1, sizeof *nat), *g = calloc(1, sizeof *g);
	run_native(cg_native_crc32, nat);
	struct th t;
	if (th_init(&t, TG_BACKEND_MODEL, CG_MEM_SIZE) < 0) {
		test_fail(__FILE__, __LINE__, "th_init failed");
		goto out;
	}
	th_load(&t, CG_CODE, guest_c_crc32, (size_t)(guest_c_crc32_end - guest_c_crc32));
	uint64_t prev = 0, first = 0;
	for (int run = 0; run < 2; run++) {
		th_long_mode(&t, CG_CODE, TH_STACK);
		ASSERT_EQ(tg_vcpu_set_budget(t.vcpu, CG_BUDGET), 0);
		EXPECT_EQ(th_run(&t), KVM_EXIT_HLT);
		struct tg_vcpu_stats st = { 0 };
		tg_vcpu_get_stats(t.vcpu, &st);
		if (run == 0)
			first = st.insns_retired;
		else
			EXPECT_EQ(st.insns_retired - prev, first);
		prev = st.insns_retired;
		memcpy(g, t.mem + CG_OUT_ADDR, sizeof *g);
		compare("crc32 (rerun)", g, nat, no_names, 1);
	}
	th_fini(&t);
out:
	free(g);
	free(nat);
}
