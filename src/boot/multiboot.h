/* Multiboot (v1) kernel loading, as QEMU's -kernel and GRUB do it
 * [Multiboot Specification 0.6.96, sections 3.1-3.3].
 *
 * Only the public vm API is used (tg_vm_write_phys, tg_vcpu_set_regs/sregs),
 * so the same loader drives the model and the /dev/kvm backend.
 *
 * Guest-physical layout the loader uses (all in conventional memory, below
 * the kernel, which the spec expects at or above 1 MiB):
 *   TG_MB_STACK (0x7ff0)  initial ESP (the spec leaves ESP undefined; a
 *                         usable value helps kernels that push early)
 *   0x8000  boot GDT: null, 0x08 flat 4 GiB code, 0x10 flat 4 GiB data
 *   0x8100  multiboot info structure (flags MEM|CMDLINE|MODS|MMAP|LOADER)
 *   0x8200  memory map (3 entries), then the module list, then the strings
 *           (boot loader name, command line, module command lines), up to
 *           TG_MB_AREA_END.
 * Modules (if any) are placed page-aligned after the highest kernel byte.
 * A kernel that loads over 0x8000-0x80000 (kvm-unit-tests realmode links
 * at 32 KiB) finds the GDT, info and strings after its modules instead, in
 * the same layout (as QEMU places them after the kernel).
 */
#ifndef TG_BOOT_MULTIBOOT_H
#define TG_BOOT_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>
#include "trapgate.h"

#define TG_MB_HEADER_MAGIC 0x1badb002u
#define TG_MB_BOOT_MAGIC 0x2badb002u
#define TG_MB_SEARCH 8192 /* the header lies in the first 8 KiB [spec 3.1.1] */

#define TG_MB_STACK 0x7ff0u
#define TG_MB_GDT 0x8000u
#define TG_MB_INFO 0x8100u
#define TG_MB_MMAP 0x8200u
#define TG_MB_AREA_START TG_MB_GDT
#define TG_MB_AREA_END 0x80000u /* below the EBDA */
#define TG_MB_SEL_CODE 0x08
#define TG_MB_SEL_DATA 0x10
#define TG_MB_MIN_RAM (2u << 20)
#define TG_MB_MAX_RAM (3072ull << 20) /* keep RAM below the PCI/APIC hole */

/* multiboot_info.flags bits [spec 3.3] */
#define TG_MBI_MEM (1u << 0)
#define TG_MBI_CMDLINE (1u << 2)
#define TG_MBI_MODS (1u << 3)
#define TG_MBI_MMAP (1u << 6)
#define TG_MBI_LOADER_NAME (1u << 9)

/* Field offsets in the info structure [spec 3.3]. */
#define TG_MBI_OFF_FLAGS 0
#define TG_MBI_OFF_MEM_LOWER 4
#define TG_MBI_OFF_MEM_UPPER 8
#define TG_MBI_OFF_CMDLINE 16
#define TG_MBI_OFF_MODS_COUNT 20
#define TG_MBI_OFF_MODS_ADDR 24
#define TG_MBI_OFF_MMAP_LENGTH 44
#define TG_MBI_OFF_MMAP_ADDR 48
#define TG_MBI_OFF_LOADER_NAME 64
#define TG_MBI_SIZE 120

enum tg_mb_error {
	TG_MB_OK = 0,
	TG_MB_EINVAL,        /* bad arguments (RAM size, NULL image) */
	TG_MB_ENOHEADER,     /* no multiboot magic in the first 8 KiB */
	TG_MB_ECHECKSUM,     /* magic found, checksum wrong */
	TG_MB_EFLAGS,        /* a required feature (flags 0-15) we do not offer */
	TG_MB_ENOTELF,       /* not ELF and no a.out kludge (flag 16) */
	TG_MB_ECLASS,        /* ELF, but not 32-bit little-endian x86 executable */
	TG_MB_ETRUNC,        /* truncated ELF header / a.out image */
	TG_MB_EPHDR,         /* program headers beyond the file, or malformed */
	TG_MB_ESEGMENT,      /* a segment's bytes beyond the file, filesz > memsz */
	TG_MB_ENOLOAD,       /* nothing to load */
	TG_MB_ENOFIT,        /* does not fit guest RAM */
	TG_MB_EOVERLAP,      /* overlaps the loader's info area */
	TG_MB_EENTRY,        /* entry point outside the loaded image */
	TG_MB_EAOUT,         /* inconsistent a.out kludge addresses */
	TG_MB_EBOOTAREA,     /* command line/modules too big for the info area */
	TG_MB_EVM,           /* the vm API refused (errno in the message) */
};

struct tg_mb_module {
	const void *data;
	size_t size;
	const char *cmdline; /* may be NULL */
};

struct tg_mb_config {
	uint64_t ram_size;   /* bytes of RAM from guest-physical 0 */
	const char *cmdline; /* the kernel's command line; NULL = "" */
	const struct tg_mb_module *mods;
	unsigned nmods;
};

struct tg_mb_result {
	uint32_t entry;       /* physical entry point (EIP) */
	uint32_t info;        /* address of the info structure (EBX) */
	uint32_t load_start;  /* lowest/highest+1 kernel address, bss included */
	uint32_t load_end;
	int error;            /* enum tg_mb_error */
	char msg[256];        /* why it failed, for people */
};

/* Validates the image, writes the kernel, info structure and boot GDT into
 * guest memory (nothing is written when validation fails) and, when vcpu is
 * not NULL, sets the multiboot entry state [spec 3.2]. Returns 0, or
 * -error (enum tg_mb_error) with res->msg set. */
int tg_mb_load(struct tg_vm *vm, struct tg_vcpu *vcpu, const void *image,
	       size_t size, const struct tg_mb_config *cfg,
	       struct tg_mb_result *res);

/* Just the CPU part: 32-bit protected mode, paging off, flat segments from
 * the boot GDT, EAX = 0x2BADB002, EBX = info, EFLAGS = 2, CR0 = PE|ET. */
int tg_mb_set_cpu(struct tg_vcpu *vcpu, uint32_t entry, uint32_t info);

const char *tg_mb_strerror(int error);

#endif
