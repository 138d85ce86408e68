/* A small test framework: TEST(name) registers a test at load time;
 * EXPECT_* record a failure and go on, ASSERT_* end the test. Values are
 * printed in hex so DR6/RIP/flags differences are readable. */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print a SKIP line with the reason; the test counts as skipped. */
void test_skip(const char *why);
extern int test_failed_now;

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void reg_##name(void)           \
	{                                                                   \
		test_register(#name, __FILE__, test_##name);                \
	}                                                                   \
	static void test_##name(void)

#define EXPECT_EQ(a, b)                                                     \
	do {                                                                \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);            \
		if (a_ != b_)                                               \
			test_fail(__FILE__, __LINE__,                       \
				  "%s == %s: got 0x%" PRIx64                \
				  ", expected 0x%" PRIx64,                  \
				  #a, #b, a_, b_);                          \
	} while (0)
#define ASSERT_EQ(a, b)                                                     \
	do {                                                                \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);            \
		if (a_ != b_) {                                             \
			test_fail(__FILE__, __LINE__,                       \
				  "%s == %s: got 0x%" PRIx64                \
				  ", expected 0x%" PRIx64,                  \
				  #a, #b, a_, b_);                          \
			return;                                             \
		}                                                           \
	} while (0)
#define EXPECT_TRUE(x)                                                      \
	do {                                                                \
		if (!(x))                                                   \
			test_fail(__FILE__, __LINE__, "%s is false", #x);   \
	} while (0)
#define ASSERT_TRUE(x)                                                      \
	do {                                                                \
		if (!(x)) {                                                 \
			test_fail(__FILE__, __LINE__, "%s is false", #x);   \
			return;                                             \
		}                                                           \
	} while (0)

#endif
