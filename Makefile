# trapgate build. Everything goes under $(BUILD) (default build/);
# `make check` builds everything and runs every test, normal and under
# ASan+UBSan, and ends with one `N passed, N failed` line.
CC ?= gcc
BUILD ?= build
OPT ?= -O2
CFLAGS_BASE := -std=gnu11 -g -Wall -Wextra -Wno-unused-parameter \
	-fno-strict-aliasing -Iinclude -D_GNU_SOURCE
CFLAGS ?= $(OPT)
SANFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)

LIB_SRCS := $(sort $(wildcard src/cpu/*.c src/vm/*.c src/kvm/*.c src/boot/*.c src/devices/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/*.c))
GUEST_ASM := $(sort $(wildcard guests/asm/*.S))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
GUEST_BINS := $(GUEST_ASM:guests/asm/%.S=$(BUILD)/guests/%.bin)

LIB := $(BUILD)/libtrapgate.a
CLI := $(BUILD)/trapgate
TESTBIN := $(BUILD)/run-tests

.PHONY: all lib cli tests check test-fast clean deps bench
all: $(LIB) $(CLI)

lib: $(LIB)
cli: $(CLI)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJS) $(LIB)

# ---- guest blobs: flat binaries linked at 0x100000 (tests/harness.h) ----
$(BUILD)/guests/%.o: guests/asm/%.S guests/asm/guest.inc
	@mkdir -p $(dir $@)
	$(CC) -c -Iguests/asm $< -o $@

$(BUILD)/guests/%.bin: $(BUILD)/guests/%.o
	ld -m elf_x86_64 -Ttext=0x100000 -e 0x100000 --build-id=none -o $(@:.bin=.elf) $<
	objcopy -O binary -j .text $(@:.bin=.elf) $@

$(BUILD)/guests/blobs.S: $(GUEST_BINS)
	@mkdir -p $(dir $@)
	@( echo '.section .rodata'; for f in $(notdir $(basename $(GUEST_BINS))); do \
	  printf '.globl guest_%s\n.globl guest_%s_end\n.balign 16\nguest_%s:\n.incbin "%s"\nguest_%s_end:\n' \
	    $$f $$f $$f $(abspath $(BUILD))/guests/$$f.bin $$f; done; \
	  echo '.section .note.GNU-stack,"",@progbits' ) > $@

$(BUILD)/guests/blobs.o: $(BUILD)/guests/blobs.S
	$(CC) -c $< -o $@

$(TESTBIN): $(TEST_OBJS) $(LIB) $(BUILD)/guests/blobs.o
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $(TEST_OBJS) $(BUILD)/guests/blobs.o $(LIB) -lm

tests: $(TESTBIN)

deps:
	@sh scripts/deps.sh

# The test command: normal build, then the sanitizer build, one summary.
check: deps
	$(MAKE) all tests
	$(MAKE) BUILD=build-san CFLAGS="$(SANFLAGS)" all tests
	@sh scripts/run-tests.sh $(TESTBIN) build-san/run-tests

test-fast: tests
	$(TESTBIN)

clean:
	rm -rf build build-san

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
