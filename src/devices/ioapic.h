/* An I/O APIC with 24 inputs at 0xFEC00000 (IOREGSEL at +0, IOWIN at
 * +0x10, EOI at +0x40 as in version 0x20 parts). [Intel 82093AA I/O APIC
 * data sheet, 1996, section 3 "Register Description"; the EOI register per
 * the ICH/PCH data sheets.] Messages go to the one local APIC. */
#ifndef TG_DEVICES_IOAPIC_H
#define TG_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "lapic.h"

#define TG_IOAPIC_BASE 0xfec00000u
#define TG_IOAPIC_PINS 24

struct tg_ioapic {
	uint32_t id;         /* bits 27:24 of register 0 */
	uint32_t sel;        /* IOREGSEL */
	uint64_t redir[TG_IOAPIC_PINS];
	uint32_t level;      /* input levels (bit per pin) */
	struct tg_lapic *lapic;
	void (*extint)(void *opaque); /* ExtINT redirection: the PIC path */
	void *opaque;
};

#define TG_IOAPIC_MASKED (1ull << 16)
#define TG_IOAPIC_REMOTE_IRR (1ull << 14)
#define TG_IOAPIC_LEVEL (1ull << 15)
#define TG_IOAPIC_POLARITY_LOW (1ull << 13)

void tg_ioapic_init(struct tg_ioapic *io, struct tg_lapic *lapic);
/* MMIO at page offset `off` (32-bit registers). */
uint32_t tg_ioapic_read(struct tg_ioapic *io, uint32_t off);
void tg_ioapic_write(struct tg_ioapic *io, uint32_t off, uint32_t v);
/* Input `pin` driven to `level` (before the polarity inversion). */
void tg_ioapic_set_irq(struct tg_ioapic *io, unsigned pin, bool level);
/* EOI of `vector` from the local APIC (or the EOI register): clears the
 * remote IRR of level-triggered entries with that vector; a still
 * asserted input is delivered again [82093AA 3.2.4, "Remote IRR"]. */
void tg_ioapic_eoi(struct tg_ioapic *io, uint8_t vector);

#endif
