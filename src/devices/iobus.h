/* The machine's port-I/O space: devices claim port ranges, the VMM's exit
 * loop dispatches KVM_EXIT_IO accesses here. Backend-agnostic: nothing here
 * knows about the vCPU, only ports, sizes and values.
 *
 * Unclaimed ports behave as an empty ISA bus: reads return all-ones, writes
 * are dropped; each such port is reported once (to `log`, when set). */
#ifndef TG_DEVICES_IOBUS_H
#define TG_DEVICES_IOBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TG_IOBUS_MAX_DEVS 32

struct tg_io_dev {
	const char *name;
	uint16_t base;
	uint16_t len;    /* ports base .. base+len-1 */
	/* Accesses wider than a byte are split into byte accesses to
	 * consecutive ports, as an 8-bit ISA device (a 16550) sees them. */
	bool byte_only;
	/* off = port - base; size 1, 2 or 4 (1 when byte_only). A device
	 * without `in` reads as all-ones; without `out` drops writes. */
	uint32_t (*in)(void *opaque, uint16_t off, unsigned size);
	void (*out)(void *opaque, uint16_t off, unsigned size, uint32_t val);
	void *opaque;
};

struct tg_iobus {
	struct tg_io_dev dev[TG_IOBUS_MAX_DEVS];
	int ndev;
	FILE *log;                  /* where unclaimed ports are reported */
	uint8_t reported[65536 / 8]; /* one bit per port: already reported */
	uint64_t unclaimed;         /* accesses to unclaimed ports */
};

void tg_iobus_init(struct tg_iobus *bus, FILE *log);
/* 0, or -EINVAL (empty/wrapping range), -EEXIST (overlaps a device),
 * -ENOSPC (table full). */
int tg_iobus_add(struct tg_iobus *bus, const struct tg_io_dev *dev);
const struct tg_io_dev *tg_iobus_find(const struct tg_iobus *bus, uint16_t port);

/* One guest IN/OUT of `size` bytes (1, 2 or 4). */
uint32_t tg_iobus_in(struct tg_iobus *bus, uint16_t port, unsigned size);
void tg_iobus_out(struct tg_iobus *bus, uint16_t port, unsigned size, uint32_t val);

#endif
