/* Small fixed-function ports of a PC test machine:
 *  - isa-debug-exit (QEMU): a write of V ends the run; the VMM's process
 *    exit status is (V << 1) | 1, reduced to 8 bits by exit(2);
 *  - the debug console at 0xe9 (Bochs/QEMU): written bytes go to an output
 *    callback, reads return 0xe9 (how guests detect it);
 *  - POST code port 0x80: writes ignored, reads all-ones (nothing logged). */
#ifndef TG_DEVICES_MISC_H
#define TG_DEVICES_MISC_H

#include <stdbool.h>
#include <stdint.h>
#include "iobus.h"

#define TG_DEBUG_EXIT_PORT 0xf4
#define TG_DEBUGCON_PORT 0xe9
#define TG_POST_PORT 0x80

struct tg_debug_exit {
	bool requested;
	uint32_t value; /* the value written, zero-extended from the access size */
};

/* `iosize` ports from `base` (QEMU's iosize property; the test kernels and
 * the bench use iobase=0xf4,iosize=4). */
int tg_debug_exit_attach(struct tg_debug_exit *de, struct tg_iobus *bus,
			 uint16_t base, uint16_t iosize);
/* The process exit status QEMU's exit((V << 1) | 1) produces. */
int tg_debug_exit_status(uint32_t value);

struct tg_debugcon {
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
};
int tg_debugcon_attach(struct tg_debugcon *dc, struct tg_iobus *bus, uint16_t port);

int tg_post_attach(struct tg_iobus *bus);

#endif
