/* Test runner: runs every registered test (or those whose name contains
 * argv[1]), prints one line per test and a closing `N passed, N failed`. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct test {
	const char *name, *file;
	test_fn fn;
};
static struct test tests[4096];
static int ntests;
int test_failed_now;
static int skipped_now;

void test_register(const char *name, const char *file, test_fn fn)
{
	if (ntests < (int)(sizeof tests / sizeof tests[0]))
		tests[ntests++] = (struct test){ name, file, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	test_failed_now = 1;
}

void test_skip(const char *why)
{
	printf("    SKIP: %s\n", why);
	skipped_now = 1;
}

static int by_name(const void *a, const void *b)
{
	const struct test *x = a, *y = b;
	int r = strcmp(x->file, y->file);
	return r ? r : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : 0;
	const char *label = getenv("TG_TEST_LABEL");
	int passed = 0, failed = 0, skipped = 0;
	qsort(tests, ntests, sizeof tests[0], by_name);
	setvbuf(stdout, 0, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		test_failed_now = skipped_now = 0;
		tests[i].fn();
		const char *st = test_failed_now ? "FAIL" : skipped_now ? "SKIP" : "ok";
		printf("%-4s %s%s%s\n", st, label ? label : "", label ? " " : "",
		       tests[i].name);
		if (test_failed_now)
			failed++;
		else if (skipped_now)
			skipped++;
		else
			passed++;
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
