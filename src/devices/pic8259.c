/* 8259A pair [Intel 8259A data sheet]. */
#include <string.h>

#include "pic8259.h"

static void chip_reset(struct tg_pic_chip *c, uint8_t elcr_mask)
{
	memset(c, 0, sizeof *c);
	c->prio_low = 7;
	c->elcr_mask = elcr_mask;
}

void tg_pic_init(struct tg_pic *p)
{
	memset(p, 0, sizeof *p);
	/* ELCR: IRQ 0, 1, 2, 8 and 13 are always edge-triggered (PIIX/ICH
	 * data sheets, ELCR1/ELCR2). */
	chip_reset(&p->c[0], 0xf8);
	chip_reset(&p->c[1], 0xde);
	p->c[0].imr = p->c[1].imr = 0xff;
}

void tg_pic_bios_state(struct tg_pic *p)
{
	tg_pic_init(p);
	p->c[0].vector_base = 0x08;
	p->c[1].vector_base = 0x70;
	p->c[0].icw3 = 0x04;
	p->c[1].icw3 = 0x02;
	p->c[0].imr = 0xf8; /* timer, keyboard, cascade */
	p->c[1].imr = 0xfe; /* RTC */
}

/* Priority number of the highest-priority bit of `mask` (0 = highest),
 * or 8 when none [8259A "Priority Resolver"]. */
static int priority(const struct tg_pic_chip *c, uint8_t mask)
{
	for (int i = 0; i < 8; i++)
		if (mask & (1u << ((c->prio_low + 1 + i) & 7)))
			return i;
	return 8;
}

/* The input this chip would signal, or -1. */
static int chip_irq(const struct tg_pic_chip *c, bool master)
{
	uint8_t pending = c->irr & ~c->imr;
	int p = priority(c, pending);
	if (p == 8)
		return -1;
	uint8_t in_service = c->isr;
	if (c->special_mask)
		in_service &= ~c->imr;
	/* The slave's requests are nested inside the master's IRQ 2 service
	 * only in special fully nested mode, which is not offered. */
	(void)master;
	if (p < priority(c, in_service))
		return (c->prio_low + 1 + p) & 7;
	return -1;
}

static void chip_input(struct tg_pic_chip *c, unsigned bit, bool level)
{
	uint8_t m = (uint8_t)(1u << bit);
	if (c->elcr & m) {
		if (level)
			c->irr |= m;
		else
			c->irr &= ~m;
	} else if (level && !(c->last_level & m)) {
		c->irr |= m;
	}
	if (level)
		c->last_level |= m;
	else
		c->last_level &= ~m;
}

/* The slave's INT output drives master input 2. */
static void cascade(struct tg_pic *p)
{
	chip_input(&p->c[0], 2, chip_irq(&p->c[1], false) >= 0);
}

void tg_pic_set_irq(struct tg_pic *p, unsigned irq, bool level)
{
	if (irq > 15)
		return;
	chip_input(&p->c[irq >> 3], irq & 7, level);
	cascade(p);
}

bool tg_pic_has_int(const struct tg_pic *p)
{
	return chip_irq(&p->c[0], true) >= 0;
}

static void intack(struct tg_pic_chip *c, int irq)
{
	uint8_t m = (uint8_t)(1u << irq);
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->prio_low = (uint8_t)irq;
	} else {
		c->isr |= m;
	}
	if (!(c->elcr & m))
		c->irr &= ~m; /* an edge request is consumed by INTA */
}

uint8_t tg_pic_ack(struct tg_pic *p)
{
	struct tg_pic_chip *m = &p->c[0], *s = &p->c[1];
	int irq = chip_irq(m, true);
	uint8_t vec;
	if (irq < 0) {
		/* The request went away before INTA: IRQ 7, no ISR bit
		 * [8259A "Interrupt Sequence"]. */
		p->spurious++;
		vec = m->vector_base + 7;
	} else if (irq == 2) {
		intack(m, 2);
		int irq2 = chip_irq(s, false);
		if (irq2 < 0) {
			p->spurious++;
			vec = s->vector_base + 7;
		} else {
			intack(s, irq2);
			vec = (uint8_t)(s->vector_base + irq2);
		}
	} else {
		intack(m, irq);
		vec = (uint8_t)(m->vector_base + irq);
	}
	cascade(p);
	return vec;
}

static void eoi_rotate(struct tg_pic_chip *c, int irq, bool rotate)
{
	if (irq < 0)
		return;
	c->isr &= ~(1u << irq);
	if (rotate)
		c->prio_low = (uint8_t)irq;
}

static void write_cmd(struct tg_pic_chip *c, uint8_t v)
{
	if (v & 0x10) {
		/* ICW1: reset the chip, then ICW2 (and ICW3, ICW4) follow.
		 * The edge latches are cleared; level requests stay. */
		c->irr &= c->elcr;
		c->last_level = 0;
		c->isr = 0;
		c->imr = 0;
		c->prio_low = 7;
		c->special_mask = c->read_isr = c->poll = false;
		c->auto_eoi = c->rotate_on_aeoi = false;
		c->icw4_needed = v & 1;
		c->single = v & 2;
		c->icw_step = 2;
		return;
	}
	if (v & 0x08) {
		/* OCW3 */
		if (v & 0x04)
			c->poll = true;
		if (v & 0x02)
			c->read_isr = v & 0x01;
		if (v & 0x40)
			c->special_mask = v & 0x20;
		return;
	}
	/* OCW2: bits 7:5 select the command, 2:0 the level */
	int level = v & 7;
	switch (v >> 5) {
	case 0: c->rotate_on_aeoi = false; break;          /* clear rotate in AEOI */
	case 4: c->rotate_on_aeoi = true; break;           /* set rotate in AEOI */
	case 1: case 5: {                                  /* non-specific EOI */
		int p = priority(c, c->isr);
		eoi_rotate(c, p == 8 ? -1 : (c->prio_low + 1 + p) & 7, (v >> 5) == 5);
		break;
	}
	case 3: eoi_rotate(c, level, false); break;        /* specific EOI */
	case 7: eoi_rotate(c, level, true); break;         /* rotate on specific EOI */
	case 6: c->prio_low = (uint8_t)level; break;       /* set priority */
	default: break;                                    /* 2: no operation */
	}
}

static void write_data(struct tg_pic_chip *c, uint8_t v)
{
	switch (c->icw_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->icw_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
		break;
	case 3:
		c->icw3 = v;
		c->icw_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & 0x02;
		c->icw_step = 0;
		break;
	default:
		c->imr = v; /* OCW1 */
		break;
	}
}

uint8_t tg_pic_read(struct tg_pic *p, unsigned chip, unsigned port)
{
	struct tg_pic_chip *c = &p->c[chip & 1];
	if (port & 1)
		return c->imr;
	if (c->poll) {
		/* Poll command: the read acknowledges [8259A "The Poll
		 * Command"]: bit 7 = request, bits 2:0 = its level. */
		c->poll = false;
		int irq = chip_irq(c, chip == 0);
		if (irq < 0)
			return 0;
		intack(c, irq);
		cascade(p);
		return (uint8_t)(0x80 | irq);
	}
	return c->read_isr ? c->isr : c->irr;
}

void tg_pic_write(struct tg_pic *p, unsigned chip, unsigned port, uint8_t v)
{
	struct tg_pic_chip *c = &p->c[chip & 1];
	if (port & 1)
		write_data(c, v);
	else
		write_cmd(c, v);
	cascade(p);
}

static uint32_t master_in(void *opaque, uint16_t off, unsigned size)
{
	(void)size;
	return tg_pic_read(opaque, 0, off);
}

static void master_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	tg_pic_write(opaque, 0, off, (uint8_t)v);
}

static uint32_t slave_in(void *opaque, uint16_t off, unsigned size)
{
	(void)size;
	return tg_pic_read(opaque, 1, off);
}

static void slave_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	tg_pic_write(opaque, 1, off, (uint8_t)v);
}

static uint32_t elcr_in(void *opaque, uint16_t off, unsigned size)
{
	(void)size;
	struct tg_pic *p = opaque;
	return p->c[off & 1].elcr;
}

static void elcr_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	struct tg_pic *p = opaque;
	struct tg_pic_chip *c = &p->c[off & 1];
	c->elcr = (uint8_t)v & c->elcr_mask;
}

int tg_pic_attach(struct tg_pic *p, struct tg_iobus *bus)
{
	struct tg_io_dev m = { .name = "8259 master", .base = 0x20, .len = 2,
			       .byte_only = true, .in = master_in, .out = master_out,
			       .opaque = p };
	struct tg_io_dev s = { .name = "8259 slave", .base = 0xa0, .len = 2,
			       .byte_only = true, .in = slave_in, .out = slave_out,
			       .opaque = p };
	struct tg_io_dev e = { .name = "ELCR", .base = 0x4d0, .len = 2,
			       .byte_only = true, .in = elcr_in, .out = elcr_out, .opaque = p };
	int r = tg_iobus_add(bus, &m);
	if (!r)
		r = tg_iobus_add(bus, &s);
	if (!r)
		r = tg_iobus_add(bus, &e);
	return r;
}
