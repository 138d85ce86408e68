/* 16550A UART model. Register semantics from the PC16550D data sheet
 * (National Semiconductor, 1995), section 8 "Registers". */
#include <string.h>

#include "uart16550.h"

enum {
	LCR_DLAB = 0x80,
	MCR_LOOP = 0x10,
	LSR_DR = 0x01,   /* data ready */
	LSR_THRE = 0x20, /* transmitter holding register empty */
	LSR_TEMT = 0x40, /* transmitter empty */
	FCR_FIFO_EN = 0x01,
};

void tg_uart_init(struct tg_uart *u, void (*tx)(void *, uint8_t), void *opaque)
{
	memset(u, 0, sizeof *u);
	/* Reset values (data sheet Table IV): LSR = THRE|TEMT, the rest 0;
	 * IIR = 0x01 follows from no interrupt pending. */
	u->lsr = LSR_THRE | LSR_TEMT;
	u->tx = tx;
	u->tx_opaque = opaque;
}

uint8_t tg_uart_read(struct tg_uart *u, unsigned off)
{
	switch (off & 7) {
	case 0:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		u->lsr &= ~LSR_DR;
		return u->rbr;
	case 1:
		return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case 2:
		/* No interrupt is ever pending (bit 0 = 1); bits 7:6 mirror
		 * FCR bit 0 so FIFO probes see a 16550A (data sheet 8.6). */
		return (u->fcr & FCR_FIFO_EN) ? 0xc1 : 0x01;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		/* Transmission is instantaneous: THR and the shifter are
		 * always empty. */
		return u->lsr;
	case 6:
		/* MSR. In loopback the modem outputs feed the inputs
		 * (data sheet 8.7): DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD;
		 * otherwise a connected terminal: DCD, DSR, CTS asserted. */
		if (u->mcr & MCR_LOOP)
			return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
					 ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
		return 0xb0;
	default:
		return u->scr;
	}
}

void tg_uart_write(struct tg_uart *u, unsigned off, uint8_t val)
{
	switch (off & 7) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
		} else if (u->mcr & MCR_LOOP) {
			/* Loopback: the transmitter feeds the receiver. */
			u->rbr = val;
			u->lsr |= LSR_DR;
		} else {
			u->tx_count++;
			if (u->tx)
				u->tx(u->tx_opaque, val);
		}
		break;
	case 1:
		if (u->lcr & LCR_DLAB)
			u->dlm = val;
		else
			u->ier = val & 0x0f; /* bits 7:4 are always 0 */
		break;
	case 2:
		/* FCR is write-only; bits 1-2 (FIFO resets) self-clear. */
		u->fcr = val & 0xc9;
		break;
	case 3:
		u->lcr = val;
		break;
	case 4:
		u->mcr = val & 0x1f; /* bits 7:5 are always 0 */
		break;
	case 5:
	case 6:
		break; /* LSR and MSR are read-only here (factory test) */
	default:
		u->scr = val;
		break;
	}
}

static uint32_t uart_in(void *opaque, uint16_t off, unsigned size)
{
	(void)size;
	return tg_uart_read(opaque, off);
}

static void uart_out(void *opaque, uint16_t off, unsigned size, uint32_t val)
{
	(void)size;
	tg_uart_write(opaque, off, (uint8_t)val);
}

int tg_uart_attach(struct tg_uart *u, struct tg_iobus *bus, uint16_t base)
{
	struct tg_io_dev d = {
		.name = "serial (16550A)", .base = base, .len = 8, .byte_only = true,
		.in = uart_in, .out = uart_out, .opaque = u,
	};
	return tg_iobus_add(bus, &d);
}
