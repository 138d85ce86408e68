/* I/O APIC [82093AA data sheet]. */
#include <string.h>

#include "ioapic.h"

#define VERSION 0x20u /* with the EOI register (ICH and later) */

void tg_ioapic_init(struct tg_ioapic *io, struct tg_lapic *lapic)
{
	memset(io, 0, sizeof *io);
	io->lapic = lapic;
	/* Every entry masked at reset [82093AA 3.2.4]. */
	for (int i = 0; i < TG_IOAPIC_PINS; i++)
		io->redir[i] = TG_IOAPIC_MASKED;
}

static bool asserted(const struct tg_ioapic *io, unsigned pin)
{
	bool lvl = io->level & (1u << pin);
	return (io->redir[pin] & TG_IOAPIC_POLARITY_LOW) ? !lvl : lvl;
}

static bool dest_matches(const struct tg_ioapic *io, uint64_t e)
{
	struct tg_lapic *l = io->lapic;
	uint32_t dest = (uint32_t)(e >> 56);
	if (!(e & (1ull << 11)))
		return dest == 0xff || dest == (l->id & 0xff); /* physical */
	/* logical: the APIC's LDR in flat or cluster form [SDM 10.6.2.2] */
	if (dest == 0xff)
		return true;
	uint32_t ldr = tg_lapic_x2apic(l) ? l->ldr & 0xff : l->ldr >> 24;
	if (tg_lapic_x2apic(l) || (l->dfr >> 28) == 0xf)
		return (dest & ldr) != 0;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

static void deliver(struct tg_ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	if (e & TG_IOAPIC_MASKED)
		return;
	bool level = e & TG_IOAPIC_LEVEL;
	if (level && (e & TG_IOAPIC_REMOTE_IRR))
		return; /* waiting for the EOI of the previous one */
	if (!dest_matches(io, e))
		return;
	switch ((e >> 8) & 7) {
	case TG_DM_FIXED:
	case TG_DM_LOWEST:
		tg_lapic_accept(io->lapic, (uint8_t)e, level);
		if (level)
			io->redir[pin] |= TG_IOAPIC_REMOTE_IRR;
		break;
	case TG_DM_NMI:
		io->lapic->nmi_pending++;
		break;
	case TG_DM_EXTINT:
		if (io->extint)
			io->extint(io->opaque);
		break;
	default:
		break; /* SMI, INIT: nothing to do on this machine */
	}
}

void tg_ioapic_set_irq(struct tg_ioapic *io, unsigned pin, bool level)
{
	if (pin >= TG_IOAPIC_PINS)
		return;
	bool was = asserted(io, pin);
	if (level)
		io->level |= 1u << pin;
	else
		io->level &= ~(1u << pin);
	bool now = asserted(io, pin);
	if (io->redir[pin] & TG_IOAPIC_LEVEL) {
		if (now)
			deliver(io, pin);
	} else if (now && !was) {
		deliver(io, pin); /* edge: the assertion is the message */
	}
}

void tg_ioapic_eoi(struct tg_ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < TG_IOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];
		if ((uint8_t)e != vector || !(e & TG_IOAPIC_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~TG_IOAPIC_REMOTE_IRR;
		if ((e & TG_IOAPIC_LEVEL) && asserted(io, pin))
			deliver(io, pin);
	}
}

static uint32_t reg_read(struct tg_ioapic *io, uint32_t r)
{
	switch (r) {
	case 0: return io->id & 0x0f000000u;
	case 1: return ((TG_IOAPIC_PINS - 1u) << 16) | VERSION;
	case 2: return io->id & 0x0f000000u; /* arbitration ID */
	}
	if (r >= 0x10 && r < 0x10 + 2 * TG_IOAPIC_PINS) {
		uint64_t e = io->redir[(r - 0x10) / 2];
		return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0xffffffffu; /* no register there */
}

static void reg_write(struct tg_ioapic *io, uint32_t r, uint32_t v)
{
	if (r == 0) {
		io->id = v & 0x0f000000u;
		return;
	}
	if (r < 0x10 || r >= 0x10 + 2 * TG_IOAPIC_PINS)
		return; /* version and arbitration are read-only */
	unsigned pin = (r - 0x10) / 2;
	uint64_t e = io->redir[pin];
	if (r & 1) {
		e = (e & 0xffffffffull) | ((uint64_t)(v & 0xff000000u) << 32);
	} else {
		/* delivery status (12) and remote IRR (14) are read-only */
		const uint64_t ro = (1ull << 12) | TG_IOAPIC_REMOTE_IRR;
		e = (e & ~0xffffffffull) | (e & ro) | (v & ~ro & 0x1ffffu);
		/* An edge entry has no remote IRR. */
		if (!(e & TG_IOAPIC_LEVEL))
			e &= ~TG_IOAPIC_REMOTE_IRR;
	}
	io->redir[pin] = e;
	/* Unmasking a level entry whose input is asserted delivers it. */
	if ((e & TG_IOAPIC_LEVEL) && asserted(io, pin))
		deliver(io, pin);
}

uint32_t tg_ioapic_read(struct tg_ioapic *io, uint32_t off)
{
	switch (off & 0xfc) {
	case 0x00: return io->sel;
	case 0x10: return reg_read(io, io->sel & 0xff);
	}
	return 0;
}

void tg_ioapic_write(struct tg_ioapic *io, uint32_t off, uint32_t v)
{
	switch (off & 0xfc) {
	case 0x00: io->sel = v & 0xff; break;
	case 0x10: reg_write(io, io->sel & 0xff, v); break;
	case 0x40: tg_ioapic_eoi(io, (uint8_t)v); break;
	}
}
