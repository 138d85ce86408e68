/* Multiboot v1 loader [Multiboot Specification 0.6.96]. Every check is
 * made before the first byte is written to the guest, so a rejected image
 * leaves guest memory as it was. All arithmetic on file-supplied numbers is
 * done in 64 bits so nothing wraps. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot.h"

#define MAX_LOADS 64
#define LOW_MEM_END 0xa0000u  /* 640 KiB of conventional memory */
#define HIGH_MEM 0x100000u    /* 1 MiB */
#define PAGE 4096u

static const char *const errstr[] = {
	[TG_MB_OK] = "ok",
	[TG_MB_EINVAL] = "invalid arguments",
	[TG_MB_ENOHEADER] = "no multiboot header",
	[TG_MB_ECHECKSUM] = "bad multiboot header checksum",
	[TG_MB_EFLAGS] = "unsupported multiboot header flags",
	[TG_MB_ENOTELF] = "not an ELF file",
	[TG_MB_ECLASS] = "not an ELF32 x86 executable",
	[TG_MB_ETRUNC] = "truncated file",
	[TG_MB_EPHDR] = "bad program headers",
	[TG_MB_ESEGMENT] = "bad segment",
	[TG_MB_ENOLOAD] = "nothing to load",
	[TG_MB_ENOFIT] = "kernel does not fit guest RAM",
	[TG_MB_EOVERLAP] = "kernel overlaps the multiboot info area",
	[TG_MB_EENTRY] = "entry point outside the loaded image",
	[TG_MB_EAOUT] = "bad a.out kludge addresses",
	[TG_MB_EBOOTAREA] = "boot information too large",
	[TG_MB_EVM] = "guest memory write failed",
};

const char *tg_mb_strerror(int error)
{
	if (error < 0)
		error = -error;
	if (error >= (int)(sizeof errstr / sizeof errstr[0]) || !errstr[error])
		return "unknown error";
	return errstr[error];
}

__attribute__((format(printf, 3, 4)))
static int fail(struct tg_mb_result *res, int err, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(res->msg, sizeof res->msg, "%s: ", errstr[err]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof res->msg)
		vsnprintf(res->msg + n, sizeof res->msg - n, fmt, ap);
	va_end(ap);
	res->error = err;
	return -err;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

/* One piece of the kernel image: file bytes [off, off+filesz) at guest
 * physical paddr, then zeros up to memsz. */
struct load {
	uint64_t paddr, memsz, off, filesz;
	uint64_t vaddr; /* for the ELF entry-point translation */
};

struct plan {
	struct load l[MAX_LOADS];
	int n;
	uint64_t entry;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* [spec 3.1.1-3.1.2] The header is 4-byte aligned inside the first 8192
 * bytes, and magic + flags + checksum == 0 (mod 2^32). As GRUB and QEMU
 * do, a magic with a wrong checksum does not stop the search. */
static int find_header(const uint8_t *img, size_t size, struct tg_mb_result *res,
		       size_t *at)
{
	size_t lim = size < TG_MB_SEARCH ? size : TG_MB_SEARCH;
	long bad = -1;
	for (size_t i = 0; i + 12 <= lim; i += 4) {
		if (rd32(img + i) != TG_MB_HEADER_MAGIC)
			continue;
		if ((uint32_t)(rd32(img + i) + rd32(img + i + 4) + rd32(img + i + 8)) == 0) {
			*at = i;
			return 0;
		}
		if (bad < 0)
			bad = (long)i;
	}
	if (bad >= 0)
		return fail(res, TG_MB_ECHECKSUM,
			    "magic 0x1badb002 at file offset 0x%lx, but magic + flags + "
			    "checksum != 0", bad);
	return fail(res, TG_MB_ENOHEADER,
		    "magic 0x1badb002 not found in the first 8192 bytes (4-byte aligned); "
		    "not a multiboot v1 kernel");
}

/* [spec 3.1.3] Address fields (flag 16): the file is an image whose byte at
 * header offset lies at header_addr. */
static int plan_aout(const uint8_t *img, size_t size, size_t hdr, struct plan *p,
		     struct tg_mb_result *res)
{
	if (hdr + 32 > size || hdr + 32 > TG_MB_SEARCH)
		return fail(res, TG_MB_ETRUNC,
			    "the multiboot header at 0x%zx sets flag 16 but its address "
			    "fields are cut off", hdr);
	uint64_t header_addr = rd32(img + hdr + 12), load_addr = rd32(img + hdr + 16);
	uint64_t load_end = rd32(img + hdr + 20), bss_end = rd32(img + hdr + 24);
	uint64_t entry = rd32(img + hdr + 28);
	if (load_addr > header_addr || header_addr - load_addr > hdr)
		return fail(res, TG_MB_EAOUT,
			    "header_addr 0x%llx and load_addr 0x%llx put the start of the "
			    "image before the start of the file",
			    (unsigned long long)header_addr, (unsigned long long)load_addr);
	uint64_t off = hdr - (header_addr - load_addr);
	uint64_t filesz;
	if (load_end == 0) {
		filesz = size - off;
	} else {
		if (load_end < load_addr)
			return fail(res, TG_MB_EAOUT, "load_end_addr 0x%llx < load_addr 0x%llx",
				    (unsigned long long)load_end,
				    (unsigned long long)load_addr);
		filesz = load_end - load_addr;
		if (off + filesz > size)
			return fail(res, TG_MB_ETRUNC,
				    "load_end_addr 0x%llx needs 0x%llx bytes from file "
				    "offset 0x%llx; the file has 0x%zx",
				    (unsigned long long)load_end, (unsigned long long)filesz,
				    (unsigned long long)off, size);
	}
	uint64_t memsz = filesz;
	if (bss_end) {
		if (bss_end < load_addr + filesz)
			return fail(res, TG_MB_EAOUT,
				    "bss_end_addr 0x%llx is below the end of the loaded "
				    "image 0x%llx", (unsigned long long)bss_end,
				    (unsigned long long)(load_addr + filesz));
		memsz = bss_end - load_addr;
	}
	if (!memsz)
		return fail(res, TG_MB_ENOLOAD, "the a.out image is empty");
	p->l[0] = (struct load){ .paddr = load_addr, .memsz = memsz, .off = off,
				 .filesz = filesz, .vaddr = load_addr };
	p->n = 1;
	if (entry < load_addr || entry >= load_addr + memsz)
		return fail(res, TG_MB_EENTRY,
			    "entry_addr 0x%llx is outside the image [0x%llx, 0x%llx)",
			    (unsigned long long)entry, (unsigned long long)load_addr,
			    (unsigned long long)(load_addr + memsz));
	p->entry = entry;
	return 0;
}

/* ELF32 [System V ABI, Intel386 supplement; TIS ELF 1.2]: PT_LOAD segments
 * go to p_paddr. */
static int plan_elf(const uint8_t *img, size_t size, struct plan *p,
		    struct tg_mb_result *res)
{
	if (size < 4 || memcmp(img, "\x7f" "ELF", 4))
		return fail(res, TG_MB_ENOTELF,
			    "no ELF magic, and the multiboot header does not set flag 16 "
			    "(a.out kludge) to give load addresses");
	if (size < 52)
		return fail(res, TG_MB_ETRUNC, "the ELF header needs 52 bytes; the file has %zu",
			    size);
	if (img[4] == 2)
		return fail(res, TG_MB_ECLASS, "ELF64 file; a multiboot v1 kernel must be "
			    "ELF32 (link with -m elf_i386)");
	if (img[4] != 1)
		return fail(res, TG_MB_ECLASS, "unknown ELF class %u", img[4]);
	if (img[5] != 1)
		return fail(res, TG_MB_ECLASS, "not little-endian (EI_DATA %u)", img[5]);
	uint16_t type = rd16(img + 16), machine = rd16(img + 18);
	if (machine != 3)
		return fail(res, TG_MB_ECLASS, "e_machine %u is not EM_386 (3)", machine);
	if (type != 2)
		return fail(res, TG_MB_ECLASS, "e_type %u is not ET_EXEC (2)", type);
	uint64_t entry = rd32(img + 24), phoff = rd32(img + 28);
	uint64_t phentsize = rd16(img + 42), phnum = rd16(img + 44);
	if (phnum == 0)
		return fail(res, TG_MB_ENOLOAD, "no program headers");
	if (phentsize < 32)
		return fail(res, TG_MB_EPHDR, "e_phentsize %llu < 32",
			    (unsigned long long)phentsize);
	if (phoff > size || phnum * phentsize > size - phoff)
		return fail(res, TG_MB_EPHDR,
			    "%llu program headers of %llu bytes at offset 0x%llx go "
			    "beyond the end of the file (%zu bytes)",
			    (unsigned long long)phnum, (unsigned long long)phentsize,
			    (unsigned long long)phoff, size);
	p->n = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * phentsize;
		if (rd32(ph) != 1 /* PT_LOAD */)
			continue;
		struct load l = {
			.off = rd32(ph + 4), .vaddr = rd32(ph + 8), .paddr = rd32(ph + 12),
			.filesz = rd32(ph + 16), .memsz = rd32(ph + 20),
		};
		if (l.filesz > l.memsz)
			return fail(res, TG_MB_ESEGMENT,
				    "segment %llu: p_filesz 0x%llx > p_memsz 0x%llx",
				    (unsigned long long)i, (unsigned long long)l.filesz,
				    (unsigned long long)l.memsz);
		if (l.off > size || l.filesz > size - l.off)
			return fail(res, TG_MB_ESEGMENT,
				    "segment %llu: file bytes [0x%llx, 0x%llx) go beyond the "
				    "end of the file (%zu bytes)", (unsigned long long)i,
				    (unsigned long long)l.off,
				    (unsigned long long)(l.off + l.filesz), size);
		if (!l.memsz)
			continue;
		if (p->n >= MAX_LOADS)
			return fail(res, TG_MB_EPHDR, "more than %d PT_LOAD segments", MAX_LOADS);
		p->l[p->n++] = l;
	}
	if (!p->n)
		return fail(res, TG_MB_ENOLOAD, "no PT_LOAD segment with bytes to load");
	/* e_entry is a virtual address; a kernel linked high (p_vaddr !=
	 * p_paddr) starts at the physical copy of it, as GRUB computes it. */
	for (int k = 0; k < p->n; k++)
		if (entry >= p->l[k].vaddr && entry - p->l[k].vaddr < p->l[k].memsz) {
			p->entry = entry - p->l[k].vaddr + p->l[k].paddr;
			return 0;
		}
	for (int k = 0; k < p->n; k++)
		if (entry >= p->l[k].paddr && entry - p->l[k].paddr < p->l[k].memsz) {
			p->entry = entry;
			return 0;
		}
	return fail(res, TG_MB_EENTRY, "e_entry 0x%llx is in no PT_LOAD segment",
		    (unsigned long long)entry);
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Writes `len` zero bytes at gpa. */
static int zero_phys(struct tg_vm *vm, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[PAGE];
	while (len) {
		size_t n = len < PAGE ? (size_t)len : PAGE;
		int r = tg_vm_write_phys(vm, gpa, zeros, n);
		if (r < 0)
			return r;
		gpa += n;
		len -= n;
	}
	return 0;
}

int tg_mb_set_cpu(struct tg_vcpu *vcpu, uint32_t entry, uint32_t info)
{
	struct kvm_sregs s;
	int r = tg_vcpu_get_sregs(vcpu, &s);
	if (r < 0)
		return r;
	/* [spec 3.2 "Machine state"]: CS a 32-bit read/execute segment and
	 * DS ES FS GS SS 32-bit read/write segments, offset 0, limit
	 * 0xFFFFFFFF; the descriptors are the ones in the boot GDT, so
	 * reloading a selector gives the same segment. */
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = TG_MB_SEL_CODE,
		.type = 0xb, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	data.selector = TG_MB_SEL_DATA;
	data.type = 0x3;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	/* The boot GDT sits at the start of the info area, before the info
	 * structure (relocated with it). */
	s.gdt.base = info - (TG_MB_INFO - TG_MB_GDT);
	s.gdt.limit = 3 * 8 - 1;
	/* CR0: PE set, PG clear [spec 3.2]; ET is hard-wired on. Caches on,
	 * as a BIOS leaves them. */
	s.cr0 = 0x11;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	r = tg_vcpu_set_sregs(vcpu, &s);
	if (r < 0)
		return r;
	struct kvm_regs g = {
		.rax = TG_MB_BOOT_MAGIC, .rbx = info, .rip = entry,
		/* EFLAGS: VM and IF clear [spec 3.2]; bit 1 is reserved-1. */
		.rflags = 2,
		.rsp = TG_MB_STACK,
	};
	return tg_vcpu_set_regs(vcpu, &g);
}

int tg_mb_load(struct tg_vm *vm, struct tg_vcpu *vcpu, const void *image,
	       size_t size, const struct tg_mb_config *cfg,
	       struct tg_mb_result *res)
{
	memset(res, 0, sizeof *res);
	if (!vm || !cfg || (!image && size))
		return fail(res, TG_MB_EINVAL, "NULL vm, config or image");
	uint64_t ram = cfg->ram_size;
	if (ram < TG_MB_MIN_RAM || ram > TG_MB_MAX_RAM || ram % PAGE)
		return fail(res, TG_MB_EINVAL,
			    "guest RAM size 0x%llx: must be a multiple of 4 KiB between "
			    "2 MiB and 3 GiB", (unsigned long long)ram);
	if (cfg->nmods && !cfg->mods)
		return fail(res, TG_MB_EINVAL, "modules count without a module list");
	const uint8_t *img = image;
	size_t hdr = 0;
	int r = find_header(img, size, res, &hdr);
	if (r < 0)
		return r;
	uint32_t flags = rd32(img + hdr + 4);
	/* [spec 3.1.2] Bits 0-15 are requirements: a loader that does not
	 * honour one must refuse. 0: page-aligned modules, 1: memory
	 * information (both given); 2: video mode is a preference the kernel
	 * must check in the info flags, which we leave clear. */
	if (flags & 0xfff8u)
		return fail(res, TG_MB_EFLAGS,
			    "flags 0x%08x ask for features 0x%04x this loader does not "
			    "provide", flags, flags & 0xfff8u);

	struct plan *p = calloc(1, sizeof *p);
	if (!p)
		return fail(res, TG_MB_EINVAL, "out of host memory");
	r = (flags & 0x10000u) ? plan_aout(img, size, hdr, p, res)
			       : plan_elf(img, size, p, res);
	if (r < 0)
		goto out;

	/* The info area: GDT, info, mmap, module list, then the strings, at
	 * TG_MB_AREA_START; a kernel that loads there itself (kvm-unit-tests'
	 * realmode test links at 32 KiB) gets the area after its last byte
	 * and its modules instead, where QEMU puts it. Offsets from `base`. */
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	static const char loader_name[] = "trapgate";
	const uint64_t o_gdt = TG_MB_GDT - TG_MB_AREA_START;
	const uint64_t o_info = TG_MB_INFO - TG_MB_AREA_START;
	const uint64_t o_mmap = TG_MB_MMAP - TG_MB_AREA_START;
	const uint64_t o_mods = o_mmap + 0x100;
	uint64_t o_str = align_up(o_mods + 16ull * cfg->nmods, 16);
	uint64_t area_len = o_str + sizeof loader_name + strlen(cmdline) + 1;
	for (unsigned i = 0; i < cfg->nmods; i++)
		area_len += (cfg->mods[i].cmdline ? strlen(cfg->mods[i].cmdline) : 0) + 1;
	if (area_len > TG_MB_AREA_END - TG_MB_AREA_START) {
		r = fail(res, TG_MB_EBOOTAREA,
			 "command line and module names need 0x%llx bytes of boot "
			 "information; at most 0x%x fit below 0x%x",
			 (unsigned long long)area_len,
			 TG_MB_AREA_END - TG_MB_AREA_START, TG_MB_AREA_END);
		goto out;
	}
	uint64_t base = TG_MB_AREA_START;
	bool relocate = false;

	uint64_t lo = ~0ull, hi = 0;
	for (int k = 0; k < p->n; k++) {
		const struct load *l = &p->l[k];
		if (l->paddr + l->memsz > ram) {
			r = fail(res, TG_MB_ENOFIT,
				 "segment at 0x%llx-0x%llx ends beyond the %llu MiB of "
				 "guest RAM", (unsigned long long)l->paddr,
				 (unsigned long long)(l->paddr + l->memsz - 1),
				 (unsigned long long)(ram >> 20));
			goto out;
		}
		if (overlaps(l->paddr, l->memsz, base, area_len))
			relocate = true;
		if (l->paddr < lo)
			lo = l->paddr;
		if (l->paddr + l->memsz > hi)
			hi = l->paddr + l->memsz;
	}

	/* Modules: page-aligned [spec 3.1.2 bit 0] after the kernel. */
	uint64_t mod_at[64] = { 0 };
	if (cfg->nmods > 64) {
		r = fail(res, TG_MB_EINVAL, "at most 64 modules");
		goto out;
	}
	uint64_t next = align_up(hi, PAGE);
	for (unsigned i = 0; i < cfg->nmods; i++) {
		uint64_t sz = cfg->mods[i].size;
		if (next + sz > ram || (sz && !cfg->mods[i].data)) {
			r = fail(res, TG_MB_ENOFIT,
				 "module %u (%llu bytes) does not fit in guest RAM after "
				 "0x%llx", i, (unsigned long long)sz,
				 (unsigned long long)next);
			goto out;
		}
		if (overlaps(next, sz ? sz : 1, base, area_len))
			relocate = true;
		mod_at[i] = next;
		next = align_up(next + sz, PAGE);
	}
	if (relocate) {
		base = next;
		if (base + area_len > ram || base + area_len > 0xffffffffull) {
			r = fail(res, TG_MB_EOVERLAP,
				 "the kernel loads over the boot information at 0x%x, and "
				 "0x%llx bytes of it do not fit after the kernel at 0x%llx",
				 TG_MB_AREA_START, (unsigned long long)area_len,
				 (unsigned long long)base);
			goto out;
		}
	}
	uint64_t str = base + o_str;
	uint64_t mods_addr = base + o_mods;
	const uint64_t info_addr = base + o_info, mmap_addr = base + o_mmap;

	/* Build the area in host memory, then write everything. */
	size_t alen = (size_t)area_len;
	uint8_t *a = calloc(1, alen);
	if (!a) {
		r = fail(res, TG_MB_EINVAL, "out of host memory");
		goto out;
	}
#define AT(gpa) (a + ((gpa) - base))
	/* Boot GDT [SDM Vol. 3A 3.4.5]: flat 4 GiB, G=1, D=1, DPL 0,
	 * accessed bits set so they match the loaded segment caches. */
	wr64(AT(base + o_gdt + 8), 0x00cf9b000000ffffull);
	wr64(AT(base + o_gdt + 16), 0x00cf93000000ffffull);
	uint8_t *mbi = AT(info_addr);
	wr32(mbi + TG_MBI_OFF_FLAGS, TG_MBI_MEM | TG_MBI_CMDLINE | TG_MBI_MODS |
					     TG_MBI_MMAP | TG_MBI_LOADER_NAME);
	/* mem_lower / mem_upper in KiB: conventional memory and memory from
	 * 1 MiB to the first hole [spec 3.3]. */
	wr32(mbi + TG_MBI_OFF_MEM_LOWER, LOW_MEM_END / 1024);
	wr32(mbi + TG_MBI_OFF_MEM_UPPER, (uint32_t)((ram - HIGH_MEM) / 1024));
	/* Memory map [spec 3.3]: entries of size(4, not counting itself = 20),
	 * base_addr(8), length(8), type(4); type 1 is usable RAM. */
	static const uint32_t ntypes[3] = { 1, 2, 1 };
	uint64_t mbase[3] = { 0, LOW_MEM_END, HIGH_MEM };
	uint64_t mlen[3] = { LOW_MEM_END, HIGH_MEM - LOW_MEM_END, ram - HIGH_MEM };
	for (int i = 0; i < 3; i++) {
		uint8_t *e = AT(mmap_addr) + 24 * i;
		wr32(e, 20);
		wr64(e + 4, mbase[i]);
		wr64(e + 12, mlen[i]);
		wr32(e + 20, ntypes[i]);
	}
	wr32(mbi + TG_MBI_OFF_MMAP_LENGTH, 3 * 24);
	wr32(mbi + TG_MBI_OFF_MMAP_ADDR, (uint32_t)mmap_addr);
	memcpy(AT(str), loader_name, sizeof loader_name);
	wr32(mbi + TG_MBI_OFF_LOADER_NAME, (uint32_t)str);
	str += sizeof loader_name;
	memcpy(AT(str), cmdline, strlen(cmdline) + 1);
	wr32(mbi + TG_MBI_OFF_CMDLINE, (uint32_t)str);
	str += strlen(cmdline) + 1;
	/* Module entries: mod_start, mod_end (exclusive), string, reserved. */
	wr32(mbi + TG_MBI_OFF_MODS_COUNT, cfg->nmods);
	wr32(mbi + TG_MBI_OFF_MODS_ADDR, (uint32_t)mods_addr);
	for (unsigned i = 0; i < cfg->nmods; i++) {
		const char *mc = cfg->mods[i].cmdline ? cfg->mods[i].cmdline : "";
		uint8_t *e = AT(mods_addr) + 16 * i;
		wr32(e, (uint32_t)mod_at[i]);
		wr32(e + 4, (uint32_t)(mod_at[i] + cfg->mods[i].size));
		wr32(e + 8, (uint32_t)str);
		memcpy(AT(str), mc, strlen(mc) + 1);
		str += strlen(mc) + 1;
	}
#undef AT
	int w = tg_vm_write_phys(vm, base, a, alen);
	free(a);
	for (int k = 0; k < p->n && w == 0; k++) {
		const struct load *l = &p->l[k];
		w = tg_vm_write_phys(vm, l->paddr, img + l->off, (size_t)l->filesz);
		if (w == 0)
			w = zero_phys(vm, l->paddr + l->filesz, l->memsz - l->filesz);
	}
	for (unsigned i = 0; i < cfg->nmods && w == 0; i++)
		w = tg_vm_write_phys(vm, mod_at[i], cfg->mods[i].data, cfg->mods[i].size);
	if (w < 0) {
		r = fail(res, TG_MB_EVM, "tg_vm_write_phys: %s (is the RAM slot at "
			 "guest-physical 0 of the configured size?)", strerror(-w));
		goto out;
	}
	res->entry = (uint32_t)p->entry;
	res->info = (uint32_t)info_addr;
	res->load_start = (uint32_t)lo;
	res->load_end = (uint32_t)hi;
	if (vcpu) {
		w = tg_mb_set_cpu(vcpu, res->entry, res->info);
		if (w < 0) {
			r = fail(res, TG_MB_EVM, "setting the vCPU state: %s", strerror(-w));
			goto out;
		}
	}
	r = 0;
out:
	free(p);
	return r;
}
