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

LIB_SRCS := $(sort $(wildcard src/cpu/*.c src/vm/*.c src/kvm/*.c src/boot/*.c src/devices/*.c src/gdb/*.c))
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

# Capstone (libcapstone-dev) disassembles `run --trace` output when present;
# the core library never needs it.
HAVE_CAPSTONE := $(shell [ -f /usr/include/capstone/capstone.h ] && echo 1)
ifeq ($(HAVE_CAPSTONE),1)
$(BUILD)/src/cli/trace.o: ALL_CFLAGS += -DTG_HAVE_CAPSTONE
CLI_LIBS := -lcapstone
endif

$(CLI): $(CLI_OBJS) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJS) -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive $(CLI_LIBS)

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
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $(TEST_OBJS) $(BUILD)/guests/blobs.o -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive -lm

tests: $(TESTBIN)

# ---- multiboot test kernels (ELF32 at 1 MiB, QEMU -kernel convention);
# the boot/CLI tests find them and $(CLI) beside the test binary ----
MB_GUESTS := $(patsubst guests/mb/%.S,$(BUILD)/guests/mb/%.elf,$(sort $(wildcard guests/mb/*.S)))
$(BUILD)/guests/mb/%.elf: guests/mb/%.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c $< -o $(@:.elf=.o)
	ld -m elf_i386 -N -Ttext=0x100000 -e _start --build-id=none --no-warn-rwx-segments -o $@ $(@:.elf=.o)
tests: $(CLI) $(MB_GUESTS)

# Throughput against QEMU TCG on the shared reference images
# (bench/bench.py --help for the knobs; BENCH_ARGS passes options).
bench: $(CLI)
	python3 bench/bench.py --trapgate $(CLI) --out $(BUILD)/bench $(BENCH_ARGS)

# ---- C guests (guests/c/*.c; tests/test_cguests.c) ----
# Each program builds twice from one source: a freestanding guest (runtime
# in guests/c/rt, linked at 0x100000, flat image $(BUILD)/guests/c_NAME.bin,
# embedded as guest_c_NAME like the asm guests) and a native object
# (-DNATIVE, cg_main renamed cg_native_NAME) linked into the test binary,
# so the test compares the model with the host CPU running the same code.
# The guest flags do not follow CFLAGS: both builds embed the same image.
CGUEST_CC ?= gcc
CGUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fcf-protection=none -mno-sse -mno-mmx -mno-80387 \
	-mno-red-zone -fno-asynchronous-unwind-tables -fno-unwind-tables -Iguests/c/rt
CGUEST_NAMES := $(patsubst guests/c/%.c,%,$(sort $(wildcard guests/c/*.c)))
# A second image of each program (c_NAME_os) at -Os with frame pointers and
# the optional instructions the model's CPUID enumerates (POPCNT, LZCNT,
# CMPXCHG16B, LAHF/SAHF): other instruction forms, same native oracle.
CGUEST_OS_CFLAGS := -Os -fno-omit-frame-pointer -mpopcnt -mlzcnt -mcx16 -msahf
CGUEST_BINS := $(CGUEST_NAMES:%=$(BUILD)/guests/c_%.bin) $(CGUEST_NAMES:%=$(BUILD)/guests/c_%_os.bin)
CGUEST_NATIVE := $(CGUEST_NAMES:%=$(BUILD)/guests/c/%.native.o)
CGUEST_RT := $(BUILD)/guests/c/rt/start.o $(BUILD)/guests/c/rt/rt.o

$(BUILD)/guests/c/rt/start.o: guests/c/rt/start.S guests/c/rt/rt.h
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(CGUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/c/rt/rt.o: guests/c/rt/rt.c guests/c/rt/rt.h
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(CGUEST_CFLAGS) -fno-tree-loop-distribute-patterns -c $< -o $@
$(BUILD)/guests/c/%.guest.o: guests/c/%.c guests/c/rt/rt.h
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(CGUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/c_%.bin: $(BUILD)/guests/c/%.guest.o $(CGUEST_RT) guests/c/rt/guest.ld
	$(CGUEST_CC) $(CGUEST_CFLAGS) -nostdlib -static -no-pie -Wl,-T,guests/c/rt/guest.ld \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $(@:.bin=.elf) $(CGUEST_RT) $<
	objcopy -O binary -j .text -j .rodata -j .data $(@:.bin=.elf) $@
$(BUILD)/guests/c/%.os.o: guests/c/%.c guests/c/rt/rt.h
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(CGUEST_CFLAGS) $(CGUEST_OS_CFLAGS) -c $< -o $@
$(BUILD)/guests/c_%_os.bin: $(BUILD)/guests/c/%.os.o $(CGUEST_RT) guests/c/rt/guest.ld
	$(CGUEST_CC) $(CGUEST_CFLAGS) -nostdlib -static -no-pie -Wl,-T,guests/c/rt/guest.ld \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $(@:.bin=.elf) $(CGUEST_RT) $<
	objcopy -O binary -j .text -j .rodata -j .data $(@:.bin=.elf) $@
$(BUILD)/guests/c/%.native.o: guests/c/%.c guests/c/rt/rt.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DNATIVE -Dcg_main=cg_native_$* -Iguests/c/rt -MMD -MP -c $< -o $@

# keep the objects for objdump/addr2line of a failing guest
.SECONDARY: $(CGUEST_NAMES:%=$(BUILD)/guests/c/%.guest.o) $(CGUEST_NAMES:%=$(BUILD)/guests/c/%.os.o)
GUEST_BINS += $(CGUEST_BINS)
TEST_OBJS += $(CGUEST_NATIVE)
$(BUILD)/guests/blobs.S: $(CGUEST_BINS)
$(TESTBIN): $(CGUEST_NATIVE)

# ---- #DB conformance kernel (guests/conform; run by src/conform and
# `trapgate conform`). Runtime + every scenario file link into ONE multiboot
# kernel $(BUILD)/conform.elf: linked as a 64-bit image at 1 MiB, then
# converted to ELF32 for multiboot loaders (QEMU -kernel, GRUB, trapgate).
# $(BUILD)/conform-selftest.elf carries the runner's own test scenarios
# (guests/conform/selftest: wrong expectations, a hang) instead. ----
CONFORM_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fcf-protection=none -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns
CONFORM_HDRS := guests/conform/abi.h guests/conform/scenario.inc
CONFORM_RT_OBJS := $(BUILD)/guests/conform/rt/boot.o $(BUILD)/guests/conform/rt/runtime.o
CONFORM_SCEN_OBJS := $(patsubst guests/conform/%.S,$(BUILD)/guests/conform/%.o,$(sort $(wildcard guests/conform/scenarios/*.S)))
CONFORM_SELF_OBJS := $(patsubst guests/conform/%.S,$(BUILD)/guests/conform/%.o,$(sort $(wildcard guests/conform/selftest/*.S)))
CONFORM_LD := ld -m elf_x86_64 -nostdlib -T guests/conform/rt/conform.ld --build-id=none \
	-z max-page-size=4096 --no-warn-rwx-segments
CONFORM_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard src/conform/*.c)))

$(BUILD)/guests/conform/%.o: guests/conform/%.S $(CONFORM_HDRS)
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(CONFORM_CFLAGS) -Iguests/conform -c $< -o $@
$(BUILD)/guests/conform/rt/runtime.o: guests/conform/rt/runtime.c guests/conform/abi.h
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(CONFORM_CFLAGS) -c $< -o $@
$(BUILD)/conform.elf: $(CONFORM_RT_OBJS) $(CONFORM_SCEN_OBJS) guests/conform/rt/conform.ld
	$(CONFORM_LD) -o $(@:.elf=.elf64) $(CONFORM_RT_OBJS) $(CONFORM_SCEN_OBJS)
	objcopy -O elf32-i386 $(@:.elf=.elf64) $@
$(BUILD)/conform-selftest.elf: $(CONFORM_RT_OBJS) $(CONFORM_SELF_OBJS) guests/conform/rt/conform.ld
	$(CONFORM_LD) -o $(@:.elf=.elf64) $(CONFORM_RT_OBJS) $(CONFORM_SELF_OBJS)
	objcopy -O elf32-i386 $(@:.elf=.elf64) $@

.PHONY: conform-kernel
conform-kernel: $(BUILD)/conform.elf $(BUILD)/conform-selftest.elf
tests: conform-kernel

# README's Findings section (between its findings markers): the matrix on
# every backend, then scripts/findings.py. Status 1 (the model departs)
# still writes the section; anything else stops.
.PHONY: findings
findings: $(CLI) $(BUILD)/conform.elf
	$(CLI) conform --backend model,kvm,qemu-tcg,qemu-kvm --json $(BUILD)/findings.json \
		> $(BUILD)/findings.txt || [ $$? -eq 1 ]
	python3 scripts/findings.py $(BUILD)/findings.json README.md

$(LIB): $(CONFORM_LIB_OBJS)
-include $(CONFORM_LIB_OBJS:.o=.d)

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

# ---- gdb test guest (guests/gdb; tests/test_gdb.c): a multiboot kernel
# with symbols. gdb loads $(BUILD)/guests/gdb/gdbguest.elf64 (64-bit, DWARF);
# trapgate boots the ELF32 copy gdbguest.elf. -O0 keeps line stepping
# exactly on the source. ----
GDBG_CFLAGS := -std=gnu11 -O0 -g -Wall -Wextra -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fcf-protection=none -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-unwind-tables
GDBG_OBJS := $(BUILD)/guests/gdb/boot.o $(BUILD)/guests/gdb/guest.o
$(BUILD)/guests/gdb/%.o: guests/gdb/%.S
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(GDBG_CFLAGS) -c $< -o $@
$(BUILD)/guests/gdb/%.o: guests/gdb/%.c
	@mkdir -p $(dir $@)
	$(CGUEST_CC) $(GDBG_CFLAGS) -c $< -o $@
$(BUILD)/guests/gdb/gdbguest.elf: $(GDBG_OBJS) guests/gdb/guest.ld
	ld -m elf_x86_64 -nostdlib -T guests/gdb/guest.ld --build-id=none \
		-z max-page-size=4096 --no-warn-rwx-segments -o $(@:.elf=.elf64) $(GDBG_OBJS)
	objcopy -O elf32-i386 --strip-debug $(@:.elf=.elf64) $@
tests: $(BUILD)/guests/gdb/gdbguest.elf
