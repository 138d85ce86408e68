/* Port-I/O dispatch by port range. */
#include <errno.h>
#include <string.h>

#include "iobus.h"

void tg_iobus_init(struct tg_iobus *bus, FILE *log)
{
	memset(bus, 0, sizeof *bus);
	bus->log = log;
}

int tg_iobus_add(struct tg_iobus *bus, const struct tg_io_dev *dev)
{
	if (!dev->len || (uint32_t)dev->base + dev->len > 0x10000)
		return -EINVAL;
	for (int i = 0; i < bus->ndev; i++) {
		const struct tg_io_dev *o = &bus->dev[i];
		if (dev->base < o->base + o->len && o->base < dev->base + dev->len)
			return -EEXIST;
	}
	if (bus->ndev >= TG_IOBUS_MAX_DEVS)
		return -ENOSPC;
	bus->dev[bus->ndev++] = *dev;
	return 0;
}

const struct tg_io_dev *tg_iobus_find(const struct tg_iobus *bus, uint16_t port)
{
	for (int i = 0; i < bus->ndev; i++) {
		const struct tg_io_dev *d = &bus->dev[i];
		if (port >= d->base && port - d->base < d->len)
			return d;
	}
	return 0;
}

static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void unclaimed(struct tg_iobus *bus, uint16_t port, unsigned size,
		      bool write, uint32_t val)
{
	bus->unclaimed++;
	uint8_t bit = (uint8_t)(1u << (port & 7));
	if (bus->reported[port >> 3] & bit)
		return;
	bus->reported[port >> 3] |= bit;
	if (!bus->log)
		return;
	if (write)
		fprintf(bus->log,
			"trapgate: write 0x%x (size %u) to unimplemented I/O port 0x%x dropped"
			" (reported once per port)\n", val, size, port);
	else
		fprintf(bus->log,
			"trapgate: read (size %u) from unimplemented I/O port 0x%x returns all-ones"
			" (reported once per port)\n", size, port);
}

static uint32_t in_byte_split(struct tg_iobus *bus, uint16_t port, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (tg_iobus_in(bus, (uint16_t)(port + i), 1) & 0xff) << (8 * i);
	return v;
}

uint32_t tg_iobus_in(struct tg_iobus *bus, uint16_t port, unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		return 0xffffffffu;
	const struct tg_io_dev *d = tg_iobus_find(bus, port);
	if (!d) {
		unclaimed(bus, port, size, false, 0);
		return ones(size);
	}
	if (d->byte_only && size > 1)
		return in_byte_split(bus, port, size);
	if (!d->in)
		return ones(size);
	return d->in(d->opaque, (uint16_t)(port - d->base), size) & ones(size);
}

void tg_iobus_out(struct tg_iobus *bus, uint16_t port, unsigned size, uint32_t val)
{
	if (size != 1 && size != 2 && size != 4)
		return;
	val &= ones(size);
	const struct tg_io_dev *d = tg_iobus_find(bus, port);
	if (!d) {
		unclaimed(bus, port, size, true, val);
		return;
	}
	if (d->byte_only && size > 1) {
		for (unsigned i = 0; i < size; i++)
			tg_iobus_out(bus, (uint16_t)(port + i), 1, (val >> (8 * i)) & 0xff);
		return;
	}
	if (d->out)
		d->out(d->opaque, (uint16_t)(port - d->base), size, val);
}
