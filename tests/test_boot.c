/* The multiboot loader (src/boot/multiboot.c) on kernels built here byte by
 * byte. Expectations come from the Multiboot Specification 0.6.96 (cited
 * as [MB x.y]) and the ELF32 format [TIS ELF 1.2, Book I ch. 1-2]. Every
 * rejected image must leave guest memory and the vCPU as they were. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test.h"
#include "../src/boot/multiboot.h"

#define RAM (4u << 20)
#define FILL 0xaa

static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static uint32_t get32(const uint8_t *b, uint64_t off)
{
	uint32_t v;
	memcpy(&v, b + off, 4);
	return v;
}
static uint64_t get64(const uint8_t *b, uint64_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

/* ELF32 header fields [TIS ELF Figure 1-3] and program header fields
 * [Figure 2-1]. */
enum { EH_TYPE = 16, EH_MACHINE = 18, EH_ENTRY = 24, EH_PHOFF = 28,
       EH_PHENTSIZE = 42, EH_PHNUM = 44 };
#define PH(i) (52 + 32 * (i))
enum { P_TYPE = 0, P_OFFSET = 4, P_VADDR = 8, P_PADDR = 12, P_FILESZ = 16,
       P_MEMSZ = 20 };

/* The reference kernel: 0x200 bytes; one PT_LOAD of file bytes
 * [0x100, 0x200) at 0x100000 with memsz 0x3000 (bss up to 0x103000), a
 * PT_NOTE to be ignored, the multiboot header at file offset 0x100 (the
 * start of the loaded text, as linkers place it), entry 0x100010. */
#define K_SIZE 0x200
#define K_HDR 0x100
static void mb_header(uint8_t *b, size_t at, uint32_t flags)
{
	put32(b, at, TG_MB_HEADER_MAGIC);
	put32(b, at + 4, flags);
	put32(b, at + 8, (uint32_t)-(TG_MB_HEADER_MAGIC + flags));
}

static void ref_kernel(uint8_t *b)
{
	memset(b, 0, K_SIZE);
	memcpy(b, "\x7f" "ELF\x01\x01\x01", 7);
	put16(b, EH_TYPE, 2);    /* ET_EXEC */
	put16(b, EH_MACHINE, 3); /* EM_386 */
	put32(b, 20, 1);
	put32(b, EH_ENTRY, 0x100010);
	put32(b, EH_PHOFF, 52);
	put16(b, 40, 52);
	put16(b, EH_PHENTSIZE, 32);
	put16(b, EH_PHNUM, 2);
	put32(b, PH(0) + P_TYPE, 1);
	put32(b, PH(0) + P_OFFSET, 0x100);
	put32(b, PH(0) + P_VADDR, 0x100000);
	put32(b, PH(0) + P_PADDR, 0x100000);
	put32(b, PH(0) + P_FILESZ, 0x100);
	put32(b, PH(0) + P_MEMSZ, 0x3000);
	put32(b, PH(1) + P_TYPE, 4); /* PT_NOTE */
	put32(b, PH(1) + P_OFFSET, 0);
	put32(b, PH(1) + P_PADDR, 0x50000);
	put32(b, PH(1) + P_FILESZ, 0x40);
	put32(b, PH(1) + P_MEMSZ, 0x40);
	for (int i = K_HDR + 12; i < K_SIZE; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	mb_header(b, K_HDR, 0);
}

static int setup(struct th *t)
{
	int r = th_init(t, TG_BACKEND_MODEL, RAM);
	if (r == 0)
		memset(t->mem, FILL, RAM);
	return r;
}

static int load(struct th *t, const uint8_t *img, size_t size, const char *cmdline,
		struct tg_mb_result *res)
{
	struct tg_mb_config cfg = { .ram_size = RAM, .cmdline = cmdline };
	return tg_mb_load(t->vm, t->vcpu, img, size, &cfg, res);
}

/* Index of the first byte in [from, to) that is not FILL, or -1. */
static long touched(const struct th *t, uint64_t from, uint64_t to)
{
	static uint8_t fill[4096];
	if (fill[0] != FILL)
		memset(fill, FILL, sizeof fill);
	while (from < to) {
		size_t n = to - from < sizeof fill ? (size_t)(to - from) : sizeof fill;
		if (memcmp(t->mem + from, fill, n))
			for (size_t i = 0; i < n; i++)
				if (t->mem[from + i] != FILL)
					return (long)(from + i);
		from += n;
	}
	return -1;
}

TEST(boot_mb_valid_elf_memory)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	struct tg_mb_result res;
	ASSERT_EQ(load(&t, k, sizeof k, "kernel.elf console=ttyS0", &res), 0);
	EXPECT_EQ(res.error, TG_MB_OK);
	EXPECT_EQ(res.entry, 0x100010);
	EXPECT_EQ(res.info, 0x8100);
	EXPECT_EQ(res.load_start, 0x100000);
	EXPECT_EQ(res.load_end, 0x103000);
	/* PT_LOAD: file bytes at p_paddr, zeros to p_memsz [TIS ELF 2-2]. */
	EXPECT_EQ(memcmp(t.mem + 0x100000, k + 0x100, 0x100), 0);
	long nz = -1;
	for (uint64_t a = 0x100100; a < 0x103000; a++)
		if (t.mem[a]) {
			nz = (long)a;
			break;
		}
	EXPECT_EQ(nz, -1);
	/* Nothing else: the PT_NOTE at 0x50000 and RAM around the kernel. */
	EXPECT_EQ(touched(&t, 0x103000, RAM), -1);
	EXPECT_EQ(touched(&t, 0, TG_MB_AREA_START), -1);

	/* Boot GDT: null, flat code (0x08), flat data (0x10) [SDM Vol. 3A 3.4.5]. */
	EXPECT_EQ(get64(t.mem, 0x8000), 0);
	EXPECT_EQ(get64(t.mem, 0x8008), 0x00cf9b000000ffffull);
	EXPECT_EQ(get64(t.mem, 0x8010), 0x00cf93000000ffffull);

	/* Info structure [MB 3.3]. */
	const uint8_t *mbi = t.mem + 0x8100;
	EXPECT_EQ(get32(mbi, 0), 0x24d); /* MEM|CMDLINE|MODS|MMAP|LOADER_NAME */
	EXPECT_EQ(get32(mbi, 4), 640);
	EXPECT_EQ(get32(mbi, 8), (RAM >> 10) - 1024);
	uint32_t cl = get32(mbi, 16);
	ASSERT_TRUE(cl > 0x8100 && cl < 0x9000);
	EXPECT_EQ(strcmp((const char *)t.mem + cl, "kernel.elf console=ttyS0"), 0);
	EXPECT_EQ(get32(mbi, 20), 0); /* mods_count */
	EXPECT_EQ(get32(mbi, 44), 72); /* mmap_length: 3 entries of 24 bytes */
	uint32_t mm = get32(mbi, 48);
	EXPECT_EQ(mm, 0x8200);
	/* mmap entries: size (20, excluding itself), base, length, type:
	 * usable 0-640K, reserved 640K-1M, usable 1M-end. */
	static const uint64_t want[3][3] = {
		{ 0, 0xa0000, 1 }, { 0xa0000, 0x60000, 2 }, { 0x100000, RAM - 0x100000, 1 },
	};
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(get32(t.mem, mm + 24 * i), 20);
		EXPECT_EQ(get64(t.mem, mm + 24 * i + 4), want[i][0]);
		EXPECT_EQ(get64(t.mem, mm + 24 * i + 12), want[i][1]);
		EXPECT_EQ(get32(t.mem, mm + 24 * i + 20), want[i][2]);
	}
	uint32_t ln = get32(mbi, 64);
	ASSERT_TRUE(ln > 0x8100 && ln < 0x9000);
	EXPECT_EQ(strcmp((const char *)t.mem + ln, "trapgate"), 0);
	/* The info area ends with the last string; RAM after it untouched. */
	uint64_t end = cl + strlen("kernel.elf console=ttyS0") + 1;
	if (ln + 9 > end)
		end = ln + 9;
	EXPECT_EQ(touched(&t, end, 0x100000), -1);
	th_fini(&t);
}

TEST(boot_mb_valid_elf_cpu_state)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	struct tg_mb_result res;
	ASSERT_EQ(load(&t, k, sizeof k, 0, &res), 0);
	/* [MB 3.2] Machine state. */
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rax, 0x2badb002);
	EXPECT_EQ(r.rbx, 0x8100);
	EXPECT_EQ(r.rip, 0x100010);
	EXPECT_EQ(r.rflags, 2); /* IF=0, VM=0 */
	EXPECT_EQ(r.rcx | r.rdx | r.rsi | r.rdi | r.rbp, 0);
	EXPECT_EQ(r.rsp, TG_MB_STACK);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(s.cr0, 0x11); /* PE|ET, PG clear */
	EXPECT_EQ(s.cr3, 0);
	EXPECT_EQ(s.cr4, 0);
	EXPECT_EQ(s.efer, 0);
	EXPECT_EQ(s.gdt.base, 0x8000);
	EXPECT_EQ(s.gdt.limit, 0x17);
	EXPECT_EQ(s.cs.selector, 0x08);
	EXPECT_EQ(s.cs.base, 0);
	EXPECT_EQ(s.cs.limit, 0xffffffff);
	EXPECT_EQ(s.cs.type, 0xb);
	EXPECT_EQ(s.cs.s, 1);
	EXPECT_EQ(s.cs.present, 1);
	EXPECT_EQ(s.cs.dpl, 0);
	EXPECT_EQ(s.cs.db, 1);
	EXPECT_EQ(s.cs.l, 0);
	EXPECT_EQ(s.cs.g, 1);
	const struct kvm_segment *ds[5] = { &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ(ds[i]->selector, 0x10);
		EXPECT_EQ(ds[i]->base, 0);
		EXPECT_EQ(ds[i]->limit, 0xffffffff);
		EXPECT_EQ(ds[i]->type, 0x3);
		EXPECT_EQ(ds[i]->s, 1);
		EXPECT_EQ(ds[i]->present, 1);
		EXPECT_EQ(ds[i]->db, 1);
		EXPECT_EQ(ds[i]->g, 1);
		EXPECT_EQ(ds[i]->unusable, 0);
	}
	/* NULL command line: an empty string. */
	uint32_t cl = get32(t.mem, 0x8100 + 16);
	EXPECT_EQ(t.mem[cl], 0);
	th_fini(&t);
}

/* A kernel linked high (p_vaddr = 3 GiB + p_paddr): e_entry is virtual; the
 * CPU starts at its physical copy, as GRUB computes it. */
TEST(boot_mb_higher_half_entry)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	put32(k, PH(0) + P_VADDR, 0xc0100000);
	put32(k, EH_ENTRY, 0xc0100020);
	struct tg_mb_result res;
	ASSERT_EQ(load(&t, k, sizeof k, 0, &res), 0);
	EXPECT_EQ(res.entry, 0x100020);
	EXPECT_EQ(th_regs(&t).rip, 0x100020);
	th_fini(&t);
}

/* Header flags 0-2 (page-aligned modules, memory info, video preference)
 * are accepted [MB 3.1.2]. */
TEST(boot_mb_flags_accepted)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	mb_header(k, K_HDR, 7);
	struct tg_mb_result res;
	EXPECT_EQ(load(&t, k, sizeof k, 0, &res), 0);
	th_fini(&t);
}

/* [MB 3.1.3] Flag 16: header_addr/load_addr/load_end_addr/bss_end_addr/
 * entry_addr, used for any file format. Image: 0x80 bytes, header at file
 * offset 0x20 = address 0x200020, so the file starts at load_addr
 * 0x200000; 0x40 bytes loaded, bss to 0x201000. */
TEST(boot_mb_aout_kludge)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[0x80];
	for (int i = 0; i < 0x80; i++)
		k[i] = (uint8_t)(i + 1);
	mb_header(k, 0x20, 0x10000);
	put32(k, 0x2c, 0x200020); /* header_addr */
	put32(k, 0x30, 0x200000); /* load_addr */
	put32(k, 0x34, 0x200040); /* load_end_addr */
	put32(k, 0x38, 0x201000); /* bss_end_addr */
	put32(k, 0x3c, 0x200008); /* entry_addr */
	struct tg_mb_result res;
	ASSERT_EQ(load(&t, k, sizeof k, 0, &res), 0);
	EXPECT_EQ(res.entry, 0x200008);
	EXPECT_EQ(th_regs(&t).rip, 0x200008);
	EXPECT_EQ(memcmp(t.mem + 0x200000, k, 0x40), 0);
	long nz = -1;
	for (uint64_t a = 0x200040; a < 0x201000; a++)
		if (t.mem[a])
			nz = (long)a;
	EXPECT_EQ(nz, -1);
	EXPECT_EQ(touched(&t, 0x201000, RAM), -1);
	EXPECT_EQ(touched(&t, 0x100000, 0x200000), -1);

	/* load_end_addr 0: up to the end of the file; bss_end_addr 0: none. */
	memset(t.mem, FILL, RAM);
	put32(k, 0x34, 0);
	put32(k, 0x38, 0);
	ASSERT_EQ(load(&t, k, sizeof k, 0, &res), 0);
	EXPECT_EQ(memcmp(t.mem + 0x200000, k, 0x80), 0);
	EXPECT_EQ(touched(&t, 0x200080, RAM), -1);
	th_fini(&t);
}

/* Modules go page-aligned after the kernel [MB 3.1.2 bit 0, 3.3]. */
TEST(boot_mb_modules)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	static uint8_t m0[5000];
	for (size_t i = 0; i < sizeof m0; i++)
		m0[i] = (uint8_t)(i ^ 0x5a);
	const uint8_t m1[10] = "module-two";
	struct tg_mb_module mods[2] = {
		{ m0, sizeof m0, "initrd root=/dev/ram" }, { m1, sizeof m1, 0 },
	};
	struct tg_mb_config cfg = { .ram_size = RAM, .cmdline = "k", .mods = mods, .nmods = 2 };
	struct tg_mb_result res;
	ASSERT_EQ(tg_mb_load(t.vm, t.vcpu, k, sizeof k, &cfg, &res), 0);
	const uint8_t *mbi = t.mem + 0x8100;
	EXPECT_EQ(get32(mbi, 0) & TG_MBI_MODS, TG_MBI_MODS);
	EXPECT_EQ(get32(mbi, 20), 2);
	uint32_t ma = get32(mbi, 24);
	/* kernel ends at 0x103000: module 0 at 0x103000, module 1 at the next
	 * page after 0x103000 + 5000 = 0x104388 */
	EXPECT_EQ(get32(t.mem, ma), 0x103000);
	EXPECT_EQ(get32(t.mem, ma + 4), 0x103000 + 5000);
	EXPECT_EQ(get32(t.mem, ma + 16), 0x105000);
	EXPECT_EQ(get32(t.mem, ma + 20), 0x10500a);
	EXPECT_EQ(memcmp(t.mem + 0x103000, m0, sizeof m0), 0);
	EXPECT_EQ(memcmp(t.mem + 0x105000, m1, sizeof m1), 0);
	EXPECT_EQ(strcmp((const char *)t.mem + get32(t.mem, ma + 8), "initrd root=/dev/ram"), 0);
	EXPECT_EQ(strcmp((const char *)t.mem + get32(t.mem, ma + 24), ""), 0);
	th_fini(&t);
}

/* ---- rejected images: the specific error, nothing written ---- */

static void expect_rejected(const uint8_t *img, size_t size, int err, const char *what)
{
	struct th t;
	if (setup(&t) != 0) {
		test_fail(__FILE__, __LINE__, "%s: th_init failed", what);
		return;
	}
	struct kvm_regs r0 = th_regs(&t);
	struct kvm_sregs s0 = th_sregs(&t);
	struct tg_mb_result res;
	int r = load(&t, img, size, "cmd", &res);
	if (r != -err || res.error != err)
		test_fail(__FILE__, __LINE__, "%s: got %d (%s), expected %d (%s)", what, r,
			  res.msg, -err, tg_mb_strerror(err));
	if (!res.msg[0])
		test_fail(__FILE__, __LINE__, "%s: no message", what);
	long a = touched(&t, 0, RAM);
	if (a >= 0)
		test_fail(__FILE__, __LINE__, "%s: guest memory written at 0x%lx", what, a);
	struct kvm_regs r1 = th_regs(&t);
	struct kvm_sregs s1 = th_sregs(&t);
	if (r1.rip != r0.rip || r1.rax != r0.rax || s1.cr0 != s0.cr0 ||
	    s1.cs.selector != s0.cs.selector)
		test_fail(__FILE__, __LINE__, "%s: vCPU state changed", what);
	th_fini(&t);
}

TEST(boot_mb_reject_header)
{
	uint8_t k[K_SIZE];
	ref_kernel(k);
	put32(k, K_HDR, 0);
	expect_rejected(k, sizeof k, TG_MB_ENOHEADER, "no magic");
	/* The magic must be 4-byte aligned [MB 3.1.1]. */
	ref_kernel(k);
	put32(k, K_HDR, 0);
	mb_header(k, 0x182, 0);
	expect_rejected(k, sizeof k, TG_MB_ENOHEADER, "unaligned magic");
	/* ... and inside the first 8192 bytes. */
	static uint8_t big[8192 + 0x100];
	memset(big, 0, sizeof big);
	ref_kernel(big);
	put32(big, K_HDR, 0);
	mb_header(big, 8192, 0);
	expect_rejected(big, sizeof big, TG_MB_ENOHEADER, "magic after 8 KiB");
	/* Straddling the 8192-byte limit does not count either. */
	mb_header(big, 8192 - 8, 0);
	expect_rejected(big, sizeof big, TG_MB_ENOHEADER, "header across 8 KiB");
	/* magic + flags + checksum must be 0 mod 2^32 [MB 3.1.2]. */
	ref_kernel(k);
	put32(k, K_HDR + 8, get32(k, K_HDR + 8) + 1);
	expect_rejected(k, sizeof k, TG_MB_ECHECKSUM, "bad checksum");
	/* Requirement flags the loader cannot meet: bits 3-15 [MB 3.1.2]. */
	ref_kernel(k);
	mb_header(k, K_HDR, 1u << 3);
	expect_rejected(k, sizeof k, TG_MB_EFLAGS, "flag 3");
	mb_header(k, K_HDR, 1u << 15);
	expect_rejected(k, sizeof k, TG_MB_EFLAGS, "flag 15");
	expect_rejected(k, 0, TG_MB_ENOHEADER, "empty file");
}

TEST(boot_mb_reject_elf_kind)
{
	uint8_t k[K_SIZE];
	ref_kernel(k);
	k[0] = 0;
	expect_rejected(k, sizeof k, TG_MB_ENOTELF, "no ELF magic");
	ref_kernel(k);
	k[4] = 2; /* ELFCLASS64 */
	expect_rejected(k, sizeof k, TG_MB_ECLASS, "ELF64");
	ref_kernel(k);
	k[4] = 0;
	expect_rejected(k, sizeof k, TG_MB_ECLASS, "ELFCLASSNONE");
	ref_kernel(k);
	k[5] = 2; /* big-endian */
	expect_rejected(k, sizeof k, TG_MB_ECLASS, "ELFDATA2MSB");
	ref_kernel(k);
	put16(k, EH_MACHINE, 62); /* EM_X86_64 */
	expect_rejected(k, sizeof k, TG_MB_ECLASS, "EM_X86_64");
	ref_kernel(k);
	put16(k, EH_TYPE, 3); /* ET_DYN */
	expect_rejected(k, sizeof k, TG_MB_ECLASS, "ET_DYN");
	/* An ELF header cut short (the multiboot header is found inside it). */
	uint8_t s[40] = "\x7f" "ELF\x01\x01\x01";
	mb_header(s, 20, 0);
	expect_rejected(s, sizeof s, TG_MB_ETRUNC, "40-byte ELF");
}

TEST(boot_mb_reject_program_headers)
{
	uint8_t k[K_SIZE];
	ref_kernel(k);
	put32(k, EH_PHOFF, K_SIZE - 32);
	expect_rejected(k, sizeof k, TG_MB_EPHDR, "second phdr beyond the file");
	ref_kernel(k);
	put32(k, EH_PHOFF, 0xffffffe0);
	expect_rejected(k, sizeof k, TG_MB_EPHDR, "phoff near 4 GiB");
	ref_kernel(k);
	put16(k, EH_PHNUM, 0xffff);
	expect_rejected(k, sizeof k, TG_MB_EPHDR, "65535 phdrs");
	ref_kernel(k);
	put16(k, EH_PHENTSIZE, 16);
	expect_rejected(k, sizeof k, TG_MB_EPHDR, "phentsize 16");
	ref_kernel(k);
	put16(k, EH_PHNUM, 0);
	expect_rejected(k, sizeof k, TG_MB_ENOLOAD, "no phdrs");
	ref_kernel(k);
	put32(k, PH(0) + P_TYPE, 0); /* PT_NULL: only the PT_NOTE left */
	expect_rejected(k, sizeof k, TG_MB_ENOLOAD, "no PT_LOAD");
}

TEST(boot_mb_reject_segments)
{
	uint8_t k[K_SIZE];
	ref_kernel(k);
	put32(k, PH(0) + P_FILESZ, 0x101);
	expect_rejected(k, sizeof k, TG_MB_ESEGMENT, "segment 1 byte past EOF");
	ref_kernel(k);
	put32(k, PH(0) + P_OFFSET, 0xffffff00);
	expect_rejected(k, sizeof k, TG_MB_ESEGMENT, "offset near 4 GiB");
	ref_kernel(k);
	put32(k, PH(0) + P_MEMSZ, 0x80);
	expect_rejected(k, sizeof k, TG_MB_ESEGMENT, "filesz > memsz");
	/* Does not fit the 4 MiB of RAM; wraps 32 bits. */
	ref_kernel(k);
	put32(k, PH(0) + P_PADDR, RAM - 0x1000);
	expect_rejected(k, sizeof k, TG_MB_ENOFIT, "bss past the end of RAM");
	ref_kernel(k);
	put32(k, PH(0) + P_PADDR, 0xfffff000);
	put32(k, PH(0) + P_VADDR, 0xfffff000);
	put32(k, EH_ENTRY, 0xfffff010);
	expect_rejected(k, sizeof k, TG_MB_ENOFIT, "segment wrapping 4 GiB");
	/* Over the info area at 0x8000, and reaching so close to the end of
	 * RAM that the area does not fit after it either. */
	ref_kernel(k);
	put32(k, PH(0) + P_PADDR, 0x7000);
	put32(k, PH(0) + P_VADDR, 0x7000);
	put32(k, PH(0) + P_MEMSZ, RAM - 0x7000 - 0x100);
	put32(k, EH_ENTRY, 0x7010);
	expect_rejected(k, sizeof k, TG_MB_EOVERLAP, "segment over the info area");
	/* Entry point not inside any PT_LOAD. */
	ref_kernel(k);
	put32(k, EH_ENTRY, 0x103000);
	expect_rejected(k, sizeof k, TG_MB_EENTRY, "entry just past bss");
	ref_kernel(k);
	put32(k, EH_ENTRY, 0x50000); /* inside the PT_NOTE only */
	expect_rejected(k, sizeof k, TG_MB_EENTRY, "entry in a PT_NOTE");
}

TEST(boot_mb_reject_truncated_prefixes)
{
	/* Every proper prefix of the reference kernel is refused: before the
	 * multiboot header is whole there is no header; after it, the
	 * segment's file bytes run past the end. */
	uint8_t k[K_SIZE];
	ref_kernel(k);
	for (size_t n = 0; n < K_SIZE;
	     n += (n < 56 || (n >= K_HDR && n < K_HDR + 16)) ? 1 : 13) {
		int err = n < K_HDR + 12 ? TG_MB_ENOHEADER : TG_MB_ESEGMENT;
		char what[32];
		snprintf(what, sizeof what, "prefix of %zu bytes", n);
		expect_rejected(k, n, err, what);
	}
}

TEST(boot_mb_reject_aout)
{
	uint8_t k[0x80] = { 0 };
	mb_header(k, 0x20, 0x10000);
	put32(k, 0x2c, 0x200020);
	put32(k, 0x30, 0x200000);
	put32(k, 0x34, 0x200040);
	put32(k, 0x38, 0x201000);
	put32(k, 0x3c, 0x200008);
	uint8_t b[0x80];
	memcpy(b, k, sizeof b);
	put32(b, 0x30, 0x200024); /* load_addr above header_addr */
	expect_rejected(b, sizeof b, TG_MB_EAOUT, "load_addr > header_addr");
	memcpy(b, k, sizeof b);
	put32(b, 0x30, 0x1f0000); /* image would start before the file */
	expect_rejected(b, sizeof b, TG_MB_EAOUT, "image before file start");
	memcpy(b, k, sizeof b);
	put32(b, 0x34, 0x200081); /* one byte more than the file has */
	expect_rejected(b, sizeof b, TG_MB_ETRUNC, "load_end past EOF");
	memcpy(b, k, sizeof b);
	put32(b, 0x38, 0x200010); /* bss_end below load_end */
	expect_rejected(b, sizeof b, TG_MB_EAOUT, "bss_end < load_end");
	memcpy(b, k, sizeof b);
	put32(b, 0x3c, 0x201000);
	expect_rejected(b, sizeof b, TG_MB_EENTRY, "entry at bss_end");
	memcpy(b, k, sizeof b);
	put32(b, 0x30, 0x3ff020); /* fits the file, not the RAM */
	put32(b, 0x2c, 0x3ff040);
	put32(b, 0x34, 0x3ff060);
	put32(b, 0x38, 0x400020);
	put32(b, 0x3c, 0x3ff020);
	expect_rejected(b, sizeof b, TG_MB_ENOFIT, "a.out past RAM");
	/* Address fields cut off by the end of the file. */
	expect_rejected(k, 0x38, TG_MB_ETRUNC, "address fields cut off");
}

TEST(boot_mb_reject_bad_config)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	struct tg_mb_result res;
	struct tg_mb_config cfg = { .ram_size = RAM + 1 };
	EXPECT_EQ(tg_mb_load(t.vm, t.vcpu, k, sizeof k, &cfg, &res), -TG_MB_EINVAL);
	cfg.ram_size = 1 << 20;
	EXPECT_EQ(tg_mb_load(t.vm, t.vcpu, k, sizeof k, &cfg, &res), -TG_MB_EINVAL);
	EXPECT_EQ(tg_mb_load(t.vm, t.vcpu, 0, 10, &cfg, &res), -TG_MB_EINVAL);
	/* A command line larger than the info area. */
	size_t n = TG_MB_AREA_END;
	char *big = malloc(n + 1);
	ASSERT_TRUE(big != 0);
	memset(big, 'x', n);
	big[n] = 0;
	cfg = (struct tg_mb_config){ .ram_size = RAM, .cmdline = big };
	EXPECT_EQ(tg_mb_load(t.vm, t.vcpu, k, sizeof k, &cfg, &res), -TG_MB_EBOOTAREA);
	EXPECT_EQ(touched(&t, 0, RAM), -1);
	free(big);
	/* RAM size larger than the slot: the write fails cleanly. */
	cfg = (struct tg_mb_config){ .ram_size = 64u << 20 };
	ref_kernel(k);
	put32(k, PH(0) + P_PADDR, 32u << 20);
	put32(k, PH(0) + P_VADDR, 32u << 20);
	put32(k, EH_ENTRY, (32u << 20) + 0x10);
	EXPECT_EQ(tg_mb_load(t.vm, t.vcpu, k, sizeof k, &cfg, &res), -TG_MB_EVM);
	th_fini(&t);
}

/* Random corruption of the reference kernel: the loader answers every
 * variant without crashing (ASan/UBSan watch the reads) and either loads
 * inside RAM or reports an error with a message. */
TEST(boot_mb_mutations_never_crash)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, RAM), 0);
	uint8_t ref[K_SIZE], k[K_SIZE];
	ref_kernel(ref);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int ok = 0, bad = 0;
	for (int it = 0; it < 3000; it++) {
		memcpy(k, ref, sizeof k);
		int nmut = 1 + (int)(x % 4);
		for (int j = 0; j < nmut; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			/* mostly the headers, where the numbers are */
			size_t at = (x >> 8) % (x & 1 ? 0x74 : K_SIZE);
			k[at] = (uint8_t)(x >> 32);
		}
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size_t n = (x & 7) ? K_SIZE : (size_t)((x >> 16) % K_SIZE);
		/* keep the checksum valid half of the time so the ELF checks run */
		if ((x >> 40) & 1)
			put32(k, K_HDR + 8, (uint32_t)-(get32(k, K_HDR) + get32(k, K_HDR + 4)));
		struct tg_mb_result res;
		int r = load(&t, k, n, "x", &res);
		if (r == 0) {
			ok++;
			if (res.entry >= RAM || res.load_end > RAM)
				test_fail(__FILE__, __LINE__, "loaded outside RAM");
		} else {
			bad++;
			if (!res.msg[0] || r != -res.error)
				test_fail(__FILE__, __LINE__, "error %d without message", r);
		}
	}
	/* both outcomes occur, or the mutations tested nothing */
	EXPECT_TRUE(ok > 10);
	EXPECT_TRUE(bad > 10);
	th_fini(&t);
}

/* A kernel linked over the default info area (kvm-unit-tests' realmode
 * test loads at 32 KiB) boots with the GDT, info structure and strings
 * moved after its last byte, page-aligned, as QEMU places them: EBX and
 * GDTR follow, the kernel's own bytes at 0x8000 stay. */
TEST(boot_mb_info_relocated)
{
	struct th t;
	ASSERT_EQ(setup(&t), 0);
	uint8_t k[K_SIZE];
	ref_kernel(k);
	put32(k, PH(0) + P_PADDR, 0x7000);
	put32(k, PH(0) + P_VADDR, 0x7000);
	put32(k, EH_ENTRY, 0x7010);
	struct tg_mb_config cfg = { .ram_size = RAM, .cmdline = "k a=1" };
	struct tg_mb_result res;
	ASSERT_EQ(tg_mb_load(t.vm, t.vcpu, k, sizeof k, &cfg, &res), 0);
	/* the segment ends at 0x7000 + 0x3000: the area starts at 0xa000 */
	EXPECT_EQ(res.info, 0xa000 + (TG_MB_INFO - TG_MB_GDT));
	struct kvm_regs r = th_regs(&t);
	struct kvm_sregs s = th_sregs(&t);
	EXPECT_EQ(r.rbx, res.info);
	EXPECT_EQ(r.rip, 0x7010);
	EXPECT_EQ(s.gdt.base, 0xa000);
	EXPECT_EQ(memcmp(t.mem + 0x7000, k + 0x100, 0x100), 0);
	uint32_t cmdline, mmap;
	memcpy(&cmdline, t.mem + res.info + TG_MBI_OFF_CMDLINE, 4);
	memcpy(&mmap, t.mem + res.info + TG_MBI_OFF_MMAP_ADDR, 4);
	EXPECT_EQ(strcmp((char *)t.mem + cmdline, "k a=1"), 0);
	EXPECT_EQ(mmap, 0xa000 + (TG_MB_MMAP - TG_MB_GDT));
	uint64_t code_desc;
	memcpy(&code_desc, t.mem + 0xa008, 8);
	EXPECT_EQ(code_desc, 0x00cf9b000000ffffull);
	th_fini(&t);
}
