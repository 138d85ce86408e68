/* isa-debug-exit, debug console, POST port. */
#include "misc.h"

static uint32_t debug_exit_in(void *opaque, uint16_t off, unsigned size)
{
	(void)opaque; (void)off; (void)size;
	return 0; /* QEMU's device reads as 0 */
}

/* The whole access goes to the device whatever its width or offset inside
 * the region, as QEMU dispatches it: a 2- or 4-byte write carries its full
 * value. */
static void debug_exit_out(void *opaque, uint16_t off, unsigned size, uint32_t val)
{
	(void)off; (void)size;
	struct tg_debug_exit *de = opaque;
	if (de->requested)
		return; /* the first write wins: the run is over */
	de->requested = true;
	de->value = val;
}

int tg_debug_exit_attach(struct tg_debug_exit *de, struct tg_iobus *bus,
			 uint16_t base, uint16_t iosize)
{
	de->requested = false;
	de->value = 0;
	struct tg_io_dev d = {
		.name = "isa-debug-exit", .base = base, .len = iosize,
		.in = debug_exit_in, .out = debug_exit_out, .opaque = de,
	};
	return tg_iobus_add(bus, &d);
}

int tg_debug_exit_status(uint32_t value)
{
	/* exit() keeps the low 8 bits of its argument [POSIX exit()]. */
	return (int)((((uint64_t)value << 1) | 1) & 0xff);
}

static uint32_t debugcon_in(void *opaque, uint16_t off, unsigned size)
{
	(void)opaque; (void)off; (void)size;
	return 0xe9; /* the readback value guests probe for */
}

static void debugcon_out(void *opaque, uint16_t off, unsigned size, uint32_t val)
{
	(void)off; (void)size;
	struct tg_debugcon *dc = opaque;
	if (dc->tx)
		dc->tx(dc->tx_opaque, (uint8_t)val);
}

int tg_debugcon_attach(struct tg_debugcon *dc, struct tg_iobus *bus, uint16_t port)
{
	struct tg_io_dev d = {
		.name = "debugcon", .base = port, .len = 1, .byte_only = true,
		.in = debugcon_in, .out = debugcon_out, .opaque = dc,
	};
	return tg_iobus_add(bus, &d);
}

int tg_post_attach(struct tg_iobus *bus)
{
	struct tg_io_dev d = { .name = "POST", .base = TG_POST_PORT, .len = 1 };
	return tg_iobus_add(bus, &d);
}
