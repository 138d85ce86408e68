/* The smaller PC platform devices a test kernel probes:
 *  - CMOS / RTC (MC146818) at 0x70/0x71 [MC146818A data sheet: registers
 *    0-13, "Register A".."Register D"; the CMOS layout (memory sizes,
 *    century) as PC BIOSes and QEMU keep it];
 *  - QEMU's fw_cfg at 0x510 (selector, 16-bit write) / 0x511 (data, byte
 *    reads) [QEMU docs/specs/fw_cfg.rst: "Selector Register", "Data
 *    Register", "File Directory"]; the DMA interface is not offered;
 *  - the ACPI power-management timer and PM1 registers (3.579545 MHz,
 *    24-bit) [ACPI 6.4, 4.8.3.3 "Power Management Timer"];
 *  - QEMU's pc-testdev that kvm-unit-tests uses: a 32-bit scratch
 *    register at 0xe0, the page-flush port 0xe4,
 *    ISA IRQ lines at 0x2000-0x2017, and 64 KiB of I/O memory at
 *    0xFF000000 reached through MMIO exits. */
#ifndef TG_DEVICES_PLATFORM_H
#define TG_DEVICES_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include "iobus.h"

/* ---- CMOS / RTC ---- */
struct tg_rtc {
	uint8_t index;
	bool nmi_disabled;     /* port 0x70 bit 7 */
	uint8_t cmos[128];     /* non-clock bytes; clock bytes are computed */
	int64_t epoch;         /* Unix seconds at machine time 0 */
	uint64_t last_c_read;  /* ns: when register C was last read */
	uint64_t next_irq;     /* ns: next periodic/update-ended interrupt */
	uint8_t flags;         /* register C bits not yet read */
	uint64_t (*now)(void *opaque);
	void *opaque;
};

void tg_rtc_init(struct tg_rtc *r, int64_t epoch, uint64_t ram_size,
		 uint64_t (*now)(void *), void *opaque);
uint8_t tg_rtc_read(struct tg_rtc *r, uint8_t index, uint64_t now);
void tg_rtc_write(struct tg_rtc *r, uint8_t index, uint8_t v, uint64_t now);
/* Interrupt sources (PIE, UIE): sets register C flags due by `now` and
 * returns true when IRQ 8 should pulse; the next time (UINT64_MAX none). */
bool tg_rtc_advance(struct tg_rtc *r, uint64_t now);
uint64_t tg_rtc_next(const struct tg_rtc *r);
int tg_rtc_attach(struct tg_rtc *r, struct tg_iobus *bus);

/* ---- fw_cfg ---- */
#define TG_FWCFG_PORT 0x510
#define TG_FWCFG_SIGNATURE 0x00
#define TG_FWCFG_ID 0x01
#define TG_FWCFG_UUID 0x02
#define TG_FWCFG_RAM_SIZE 0x03
#define TG_FWCFG_NOGRAPHIC 0x04
#define TG_FWCFG_NB_CPUS 0x05
#define TG_FWCFG_MAX_CPUS 0x0f
#define TG_FWCFG_FILE_DIR 0x19
#define TG_FWCFG_FILE_FIRST 0x20
#define TG_FWCFG_MAX_ENTRIES 32

struct tg_fwcfg_entry {
	uint16_t key;
	uint32_t len;
	uint8_t *data;
};

struct tg_fwcfg {
	uint16_t sel;
	uint32_t off;
	struct tg_fwcfg_entry e[TG_FWCFG_MAX_ENTRIES];
	int n;
	int nfiles;
};

void tg_fwcfg_init(struct tg_fwcfg *f);
void tg_fwcfg_free(struct tg_fwcfg *f);
/* Copies `data`. 0, -ENOSPC, -ENOMEM. */
int tg_fwcfg_add(struct tg_fwcfg *f, uint16_t key, const void *data, uint32_t len);
int tg_fwcfg_add_u16(struct tg_fwcfg *f, uint16_t key, uint16_t v);
int tg_fwcfg_add_u32(struct tg_fwcfg *f, uint16_t key, uint32_t v);
int tg_fwcfg_add_u64(struct tg_fwcfg *f, uint16_t key, uint64_t v);
/* A named file: next key from 0x20, listed in the directory (0x19). */
int tg_fwcfg_add_file(struct tg_fwcfg *f, const char *name, const void *data,
		      uint32_t len);
void tg_fwcfg_select(struct tg_fwcfg *f, uint16_t key);
uint8_t tg_fwcfg_read_byte(struct tg_fwcfg *f);
int tg_fwcfg_attach(struct tg_fwcfg *f, struct tg_iobus *bus);

/* ---- ACPI tables and PM registers ---- */
#define TG_ACPI_AREA 0xe0000u   /* where the tables live (BIOS area) */
#define TG_ACPI_AREA_LEN 0x10000u
#define TG_ACPI_PM_BASE 0xb000u  /* PM1a_EVT; PM1a_CNT +4; PM_TMR +8 */
#define TG_ACPI_SCI_IRQ 9
#define TG_ACPI_PM_HZ 3579545u

struct tg_acpi_config {
	uint32_t lapic_addr;
	uint8_t lapic_id;
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
};

/* Builds RSDP (revision 2, at the start of `area`), RSDT, XSDT, FADT,
 * FACS, DSDT and MADT (one local APIC, the IO-APIC, IRQ 0 -> GSI 2 and
 * SCI overrides, LINT1 NMI) for guest-physical `gpa`. Returns the bytes
 * used, or 0 when `len` is too small. */
size_t tg_acpi_build(uint8_t *area, uint32_t gpa, size_t len,
		     const struct tg_acpi_config *cfg);
/* The ACPI checksum rule: all bytes of a table sum to 0 (mod 256). */
uint8_t tg_acpi_sum(const uint8_t *p, size_t n);

struct tg_acpi_pm {
	uint16_t sts, en, cnt;
	uint64_t (*now)(void *opaque);
	void *opaque;
};
void tg_acpi_pm_init(struct tg_acpi_pm *pm, uint64_t (*now)(void *), void *opaque);
uint32_t tg_acpi_pm_timer(uint64_t now);
int tg_acpi_pm_attach(struct tg_acpi_pm *pm, struct tg_iobus *bus);

/* ---- pc-testdev ---- */
#define TG_TESTDEV_IOMEM 0xff000000u
#define TG_TESTDEV_IOMEM_LEN 0x10000u

struct tg_testdev {
	uint32_t ioport;
	uint8_t iomem[TG_TESTDEV_IOMEM_LEN];
	void (*set_irq)(void *opaque, unsigned irq, bool level);
	void *opaque;
	uint64_t flushes;
};
void tg_testdev_init(struct tg_testdev *t, void (*set_irq)(void *, unsigned, bool),
		     void *opaque);
int tg_testdev_attach(struct tg_testdev *t, struct tg_iobus *bus);
/* MMIO into the I/O memory: `off` from TG_TESTDEV_IOMEM. */
void tg_testdev_mmio(struct tg_testdev *t, uint32_t off, uint8_t *data, unsigned len,
		     bool write);

#endif
