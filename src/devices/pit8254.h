/* 8254 programmable interval timer at 0x40-0x43 (channel 0 feeds IRQ 0)
 * and the system control port B at 0x61 (channel 2 gate and output,
 * speaker enable, refresh toggle). [Intel 82C54 data sheet, 1994: "Control
 * Word Format", "Read-Back Command", "Modes"; port 0x61 per the PIIX4 data
 * sheet, NMI Status and Control Register.]
 *
 * The counters are computed from the machine's clock (`now`, ns) at the
 * 1.193182 MHz input rate, so nothing ticks while nobody looks.
 * Simplified: a gate going low does not freeze modes 0 and 4 (only
 * channel 2 has a gate; a rising gate restarts modes 1, 2, 3 and 5). */
#ifndef TG_DEVICES_PIT8254_H
#define TG_DEVICES_PIT8254_H

#include <stdbool.h>
#include <stdint.h>
#include "iobus.h"

#define TG_PIT_HZ 1193182u

struct tg_pit_channel {
	uint8_t mode;        /* 0-5 */
	uint8_t rw;          /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool loaded;         /* a count was written since the control word */
	bool gate;
	uint32_t count;      /* reload value, 1..65536 */
	uint64_t load_time;  /* ns: when the count started */
	bool write_msb_next, read_msb_next;
	uint8_t write_lsb;
	bool count_latched, latch_msb_next, status_latched;
	uint16_t latch;
	uint8_t status;
	uint64_t irq_ticks;  /* channel 0: ticks up to which edges were raised */
};

struct tg_pit {
	struct tg_pit_channel ch[3];
	uint8_t port61;      /* bits 0-1 as written */
	uint64_t (*now)(void *opaque); /* the machine clock, for port reads */
	void *opaque;
};

void tg_pit_init(struct tg_pit *p, uint64_t (*now)(void *), void *opaque);
/* What a PC BIOS leaves: channel 0 in mode 3 with count 65536 (18.2 Hz). */
void tg_pit_bios_state(struct tg_pit *p, uint64_t now);

uint8_t tg_pit_read(struct tg_pit *p, unsigned port, uint64_t now);
void tg_pit_write(struct tg_pit *p, unsigned port, uint8_t v, uint64_t now);
uint8_t tg_pit_read61(struct tg_pit *p, uint64_t now);
void tg_pit_write61(struct tg_pit *p, uint8_t v, uint64_t now);

/* The counter value and OUT level of channel `c` at `now`. */
uint16_t tg_pit_count(const struct tg_pit *p, unsigned c, uint64_t now);
bool tg_pit_out(const struct tg_pit *p, unsigned c, uint64_t now);

/* Channel 0: the number of OUT rising edges (IRQ 0) since the previous
 * call, and the time of the next one (TG_TIME_NEVER: none). */
uint64_t tg_pit_irq_edges(struct tg_pit *p, uint64_t now);
uint64_t tg_pit_next_edge(const struct tg_pit *p);

int tg_pit_attach(struct tg_pit *p, struct tg_iobus *bus);

#endif
