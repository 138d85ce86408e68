/* The PC's two cascaded 8259A programmable interrupt controllers (master
 * at 0x20/0x21, slave at 0xA0/0xA1 on master input 2) and the edge/level
 * control registers at 0x4D0/0x4D1. [Intel 8259A data sheet, 1988:
 * "Initialization Command Words", "Operation Command Words"; ELCR per the
 * PIIX/ICH data sheets.] */
#ifndef TG_DEVICES_PIC8259_H
#define TG_DEVICES_PIC8259_H

#include <stdbool.h>
#include <stdint.h>
#include "iobus.h"

struct tg_pic_chip {
	uint8_t irr, isr, imr;
	uint8_t last_level;    /* input levels, for edge detection */
	uint8_t elcr;          /* 1 = level-triggered input */
	uint8_t elcr_mask;     /* ELCR bits that exist */
	uint8_t vector_base;   /* ICW2 & 0xf8 */
	uint8_t prio_low;      /* the lowest-priority input (rotation) */
	uint8_t icw_step;      /* 0 = operational; 2..4 = next ICW expected */
	bool icw4_needed, single, auto_eoi, rotate_on_aeoi, special_mask;
	bool read_isr, poll;
	uint8_t icw3;
};

struct tg_pic {
	struct tg_pic_chip c[2]; /* master, slave */
	uint64_t spurious;       /* acknowledges with nothing pending */
};

/* Power-up state (all inputs masked, not initialised). */
void tg_pic_init(struct tg_pic *p);
/* The state a PC BIOS hands over (vectors 0x08 and 0x70, IRQ 0, 1, 2
 * and 8 unmasked, edge-triggered), which a multiboot kernel finds. */
void tg_pic_bios_state(struct tg_pic *p);

/* Input `irq` (0-15) driven to `level`. Edge inputs latch a rising edge;
 * level inputs follow the line [8259A "Interrupt Request Register"]. */
void tg_pic_set_irq(struct tg_pic *p, unsigned irq, bool level);
/* The master's INT output. */
bool tg_pic_has_int(const struct tg_pic *p);
/* INTA: the vector of the highest-priority request (moved to ISR), or
 * the spurious IRQ 7 / IRQ 15 vector when the request went away. */
uint8_t tg_pic_ack(struct tg_pic *p);

uint8_t tg_pic_read(struct tg_pic *p, unsigned chip, unsigned port);
void tg_pic_write(struct tg_pic *p, unsigned chip, unsigned port, uint8_t v);

int tg_pic_attach(struct tg_pic *p, struct tg_iobus *bus);

#endif
