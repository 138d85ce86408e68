/* 8254 PIT [Intel 82C54 data sheet]. */
#include <string.h>

#include "pit8254.h"

#define NEVER UINT64_MAX

static uint64_t ticks_at(const struct tg_pit_channel *c, uint64_t now)
{
	if (now <= c->load_time)
		return 0;
	return (uint64_t)((unsigned __int128)(now - c->load_time) * TG_PIT_HZ /
			  1000000000u);
}

/* The first ns at which `ticks` input clocks have elapsed. */
static uint64_t time_of(const struct tg_pit_channel *c, uint64_t ticks)
{
	unsigned __int128 ns = ((unsigned __int128)ticks * 1000000000u + TG_PIT_HZ - 1) /
			       TG_PIT_HZ;
	return c->load_time + (uint64_t)ns;
}

static void chan_reset(struct tg_pit_channel *c, bool gate)
{
	memset(c, 0, sizeof *c);
	c->count = 65536;
	c->gate = gate;
	c->rw = 3;
}

void tg_pit_init(struct tg_pit *p, uint64_t (*now)(void *), void *opaque)
{
	memset(p, 0, sizeof *p);
	chan_reset(&p->ch[0], true);
	chan_reset(&p->ch[1], true);
	chan_reset(&p->ch[2], false); /* port 0x61 bit 0 starts clear */
	p->now = now;
	p->opaque = opaque;
}

void tg_pit_bios_state(struct tg_pit *p, uint64_t now)
{
	struct tg_pit_channel *c = &p->ch[0];
	c->mode = 3;
	c->rw = 3;
	c->count = 65536;
	c->loaded = true;
	c->load_time = now;
	c->irq_ticks = 0;
}

static bool counting(const struct tg_pit_channel *c)
{
	if (!c->loaded)
		return false;
	/* modes 1 and 5 wait for a gate trigger, which loads them */
	return true;
}

uint16_t tg_pit_count(const struct tg_pit *p, unsigned n, uint64_t now)
{
	const struct tg_pit_channel *c = &p->ch[n];
	if (!counting(c))
		return (uint16_t)c->count;
	uint64_t t = ticks_at(c, now), N = c->count;
	switch (c->mode) {
	case 2:
		return (uint16_t)(N - t % N);
	case 3:
		/* decrements by two, twice per period */
		return (uint16_t)(N - (2 * t) % N);
	default:
		/* 0, 1, 4, 5: down from N, wrapping through 0 */
		return (uint16_t)((N - t % 65536) & 0xffff);
	}
}

bool tg_pit_out(const struct tg_pit *p, unsigned n, uint64_t now)
{
	const struct tg_pit_channel *c = &p->ch[n];
	if (!c->loaded)
		return c->mode != 0; /* mode 0 OUT goes low at the control word */
	uint64_t t = ticks_at(c, now), N = c->count;
	switch (c->mode) {
	case 0:
	case 1:
		return t >= N;
	case 2:
		/* low for the one clock where the count is 1 */
		return t % N != N - 1;
	case 3:
		return t % N < (N + 1) / 2;
	default:
		/* 4, 5: a one-clock low strobe at terminal count */
		return t != N;
	}
}

/* Rising OUT edges of channel 0 in ticks (from, to]. */
static uint64_t edges_between(const struct tg_pit_channel *c, uint64_t from,
			      uint64_t to)
{
	uint64_t N = c->count;
	switch (c->mode) {
	case 0:
		return from < N && to >= N;
	case 2:
	case 3:
		/* rising at every multiple of N (mode 2: after the low clock) */
		return to / N - from / N;
	case 4:
		return from < N + 1 && to >= N + 1;
	default:
		return 0; /* 1 and 5 need a gate, which channel 0 lacks */
	}
}

uint64_t tg_pit_irq_edges(struct tg_pit *p, uint64_t now)
{
	struct tg_pit_channel *c = &p->ch[0];
	if (!counting(c))
		return 0;
	uint64_t t = ticks_at(c, now);
	if (t <= c->irq_ticks)
		return 0;
	uint64_t e = edges_between(c, c->irq_ticks, t);
	c->irq_ticks = t;
	return e;
}

uint64_t tg_pit_next_edge(const struct tg_pit *p)
{
	const struct tg_pit_channel *c = &p->ch[0];
	if (!counting(c))
		return NEVER;
	uint64_t N = c->count, t = c->irq_ticks;
	switch (c->mode) {
	case 0:
		return t < N ? time_of(c, N) : NEVER;
	case 4:
		return t < N + 1 ? time_of(c, N + 1) : NEVER;
	case 2:
	case 3:
		return time_of(c, (t / N + 1) * N);
	default:
		return NEVER;
	}
}

static void load_count(struct tg_pit_channel *c, uint32_t v, uint64_t now)
{
	if (c->bcd) {
		/* four BCD digits; 0 stands for 10000 */
		uint32_t d = (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
			     ((v >> 12) & 0xf) * 1000;
		v = d ? d : 10000;
	} else if (v == 0) {
		v = 65536;
	}
	/* Mode 3 with a count of 1 never toggles; keep the arithmetic sane. */
	c->count = v;
	c->loaded = true;
	c->load_time = now;
	c->irq_ticks = 0;
}

static void latch_count(struct tg_pit *p, unsigned n, uint64_t now)
{
	struct tg_pit_channel *c = &p->ch[n];
	if (c->count_latched)
		return; /* a second latch before the read is ignored */
	c->latch = tg_pit_count(p, n, now);
	c->count_latched = true;
	c->latch_msb_next = c->rw == 2;
}

static void latch_status(struct tg_pit *p, unsigned n, uint64_t now)
{
	struct tg_pit_channel *c = &p->ch[n];
	if (c->status_latched)
		return;
	/* [82C54 "Status Byte"] OUT, NULL COUNT, RW, mode, BCD */
	c->status = (uint8_t)((tg_pit_out(p, n, now) ? 0x80 : 0) | (c->loaded ? 0 : 0x40) |
			      (c->rw << 4) | (c->mode << 1) | (c->bcd ? 1 : 0));
	c->status_latched = true;
}

uint8_t tg_pit_read(struct tg_pit *p, unsigned port, uint64_t now)
{
	if (port >= 3)
		return 0xff; /* the control word register is write-only */
	struct tg_pit_channel *c = &p->ch[port];
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v;
	bool msb;
	if (c->count_latched) {
		v = c->latch;
		msb = c->latch_msb_next;
		if (c->rw == 3 && !msb) {
			c->latch_msb_next = true;
		} else {
			c->count_latched = false;
			c->latch_msb_next = false;
		}
	} else {
		v = tg_pit_count(p, port, now);
		msb = c->rw == 2 || (c->rw == 3 && c->read_msb_next);
		if (c->rw == 3)
			c->read_msb_next = !c->read_msb_next;
	}
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

void tg_pit_write(struct tg_pit *p, unsigned port, uint8_t v, uint64_t now)
{
	if (port == 3) {
		unsigned sc = v >> 6;
		if (sc == 3) {
			/* Read-back [82C54 "Read-Back Command"]: bit 5 = 0
			 * latches counts, bit 4 = 0 latches statuses, bits 3:1
			 * select the counters. */
			for (unsigned n = 0; n < 3; n++) {
				if (!(v & (2u << n)))
					continue;
				if (!(v & 0x20))
					latch_count(p, n, now);
				if (!(v & 0x10))
					latch_status(p, n, now);
			}
			return;
		}
		struct tg_pit_channel *c = &p->ch[sc];
		unsigned rw = (v >> 4) & 3;
		if (rw == 0) {
			latch_count(p, sc, now); /* counter latch command */
			return;
		}
		c->rw = (uint8_t)rw;
		c->mode = (v >> 1) & 7;
		if (c->mode > 5)
			c->mode -= 4; /* 6 and 7 are modes 2 and 3 */
		c->bcd = v & 1;
		c->loaded = false;
		c->write_msb_next = c->read_msb_next = false;
		c->count_latched = c->status_latched = false;
		return;
	}
	struct tg_pit_channel *c = &p->ch[port];
	switch (c->rw) {
	case 1:
		load_count(c, v, now);
		break;
	case 2:
		load_count(c, (uint32_t)v << 8, now);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
		} else {
			c->write_msb_next = false;
			load_count(c, c->write_lsb | (uint32_t)v << 8, now);
		}
		break;
	}
}

uint8_t tg_pit_read61(struct tg_pit *p, uint64_t now)
{
	/* bit 4 toggles with every DRAM refresh request (15.085 us), bit 5
	 * is channel 2's OUT [PIIX4 "NMI Status and Control"]. */
	uint8_t refresh = (uint8_t)((now / 15085) & 1);
	return (uint8_t)((p->port61 & 3) | (refresh << 4) |
			 (tg_pit_out(p, 2, now) ? 0x20 : 0));
}

void tg_pit_write61(struct tg_pit *p, uint8_t v, uint64_t now)
{
	struct tg_pit_channel *c = &p->ch[2];
	bool gate = v & 1;
	if (gate && !c->gate && c->loaded &&
	    (c->mode == 1 || c->mode == 2 || c->mode == 3 || c->mode == 5))
		c->load_time = now; /* a rising gate (re)starts the count */
	c->gate = gate;
	p->port61 = v & 3;
}

static uint32_t pit_in(void *opaque, uint16_t off, unsigned size)
{
	(void)size;
	struct tg_pit *p = opaque;
	return tg_pit_read(p, off, p->now(p->opaque));
}

static void pit_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	struct tg_pit *p = opaque;
	tg_pit_write(p, off, (uint8_t)v, p->now(p->opaque));
}

static uint32_t p61_in(void *opaque, uint16_t off, unsigned size)
{
	(void)off; (void)size;
	struct tg_pit *p = opaque;
	return tg_pit_read61(p, p->now(p->opaque));
}

static void p61_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)off; (void)size;
	struct tg_pit *p = opaque;
	tg_pit_write61(p, (uint8_t)v, p->now(p->opaque));
}

int tg_pit_attach(struct tg_pit *p, struct tg_iobus *bus)
{
	struct tg_io_dev d = { .name = "8254 PIT", .base = 0x40, .len = 4,
			       .byte_only = true, .in = pit_in, .out = pit_out, .opaque = p };
	struct tg_io_dev s = { .name = "port B (0x61)", .base = 0x61, .len = 1,
			       .byte_only = true, .in = p61_in, .out = p61_out, .opaque = p };
	int r = tg_iobus_add(bus, &d);
	return r ? r : tg_iobus_add(bus, &s);
}
