/* Shared by tests/test_conform*.c: where the kernels are, and the known
 * model gaps (scenarios the model does not match yet, with the reason). */
#ifndef TG_TEST_CONFORM_H
#define TG_TEST_CONFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "../src/conform/conform.h"

/* `rel` beside the test binary ($(BUILD)/). */
int tg_test_cf_build_path(char *out, size_t len, const char *rel);
/* Loads $(BUILD)/FILE; a test failure (and false) if it cannot. */
bool tg_test_cf_load(struct tg_cf_catalogue *cat, const char *file);
/* The reason a variant ("name" or "name@cpl3") is a known model gap, or 0. */
const char *tg_test_cf_known_gap(const char *variant);

#endif
