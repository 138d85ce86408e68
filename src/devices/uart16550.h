/* A 16550A UART, enough for polled output (no interrupts, no input yet).
 * Transmitted bytes go to an output callback. Register map per the
 * National Semiconductor PC16550D data sheet, Table II. */
#ifndef TG_DEVICES_UART16550_H
#define TG_DEVICES_UART16550_H

#include <stdint.h>
#include "iobus.h"

#define TG_COM1_BASE 0x3f8

struct tg_uart {
	uint8_t rbr, ier, fcr, lcr, mcr, lsr, scr, dll, dlm;
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
	uint64_t tx_count;
};

void tg_uart_init(struct tg_uart *u, void (*tx)(void *, uint8_t), void *opaque);
/* Register access by offset 0..7 from the base port (one byte). */
uint8_t tg_uart_read(struct tg_uart *u, unsigned off);
void tg_uart_write(struct tg_uart *u, unsigned off, uint8_t val);
/* Claim base..base+7 on the bus. */
int tg_uart_attach(struct tg_uart *u, struct tg_iobus *bus, uint16_t base);

#endif
