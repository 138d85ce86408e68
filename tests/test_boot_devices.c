/* Port-I/O devices (src/devices): the 16550 UART [PC16550D data sheet,
 * National Semiconductor 1995, section 8], QEMU's isa-debug-exit
 * (hw/misc/debugexit.c behaviour: exit((val << 1) | 1)), the debug console
 * at 0xe9, the POST port, and the open-bus behaviour of unclaimed ports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "../src/devices/iobus.h"
#include "../src/devices/misc.h"
#include "../src/devices/uart16550.h"

struct sink {
	uint8_t buf[64];
	size_t n;
};

static void sink_tx(void *opaque, uint8_t b)
{
	struct sink *s = opaque;
	if (s->n < sizeof s->buf)
		s->buf[s->n++] = b;
}

TEST(boot_uart_reset_and_registers)
{
	struct tg_uart u;
	struct sink s = { .n = 0 };
	tg_uart_init(&u, sink_tx, &s);
	/* Reset [data sheet Table IV]: LSR = THRE|TEMT (0x60), IIR = 0x01
	 * (no interrupt pending), IER = LCR = MCR = 0. */
	EXPECT_EQ(tg_uart_read(&u, 5), 0x60);
	EXPECT_EQ(tg_uart_read(&u, 2), 0x01);
	EXPECT_EQ(tg_uart_read(&u, 1), 0);
	EXPECT_EQ(tg_uart_read(&u, 3), 0);
	EXPECT_EQ(tg_uart_read(&u, 4), 0);
	/* IER bits 7:4 read 0 [8.5]; MCR bits 7:5 read 0 [8.9]. */
	tg_uart_write(&u, 1, 0xff);
	EXPECT_EQ(tg_uart_read(&u, 1), 0x0f);
	tg_uart_write(&u, 4, 0xef);
	EXPECT_EQ(tg_uart_read(&u, 4), 0x0f);
	tg_uart_write(&u, 4, 0);
	tg_uart_write(&u, 3, 0x1b);
	EXPECT_EQ(tg_uart_read(&u, 3), 0x1b);
	tg_uart_write(&u, 7, 0xa5);
	EXPECT_EQ(tg_uart_read(&u, 7), 0xa5);
	/* Still no interrupt pending with IER enabled: nothing to report. */
	EXPECT_EQ(tg_uart_read(&u, 2), 0x01);
	EXPECT_EQ(s.n, 0);
}

TEST(boot_uart_divisor_latch)
{
	struct tg_uart u;
	struct sink s = { .n = 0 };
	tg_uart_init(&u, sink_tx, &s);
	tg_uart_write(&u, 1, 0x05);
	/* DLAB=1: offsets 0/1 are DLL/DLM [8.10]; a write to 0 is not sent. */
	tg_uart_write(&u, 3, 0x83);
	tg_uart_write(&u, 0, 0x0c);
	tg_uart_write(&u, 1, 0x00);
	EXPECT_EQ(tg_uart_read(&u, 0), 0x0c);
	EXPECT_EQ(tg_uart_read(&u, 1), 0x00);
	EXPECT_EQ(s.n, 0);
	tg_uart_write(&u, 3, 0x03);
	EXPECT_EQ(tg_uart_read(&u, 1), 0x05); /* IER back in view */
	tg_uart_write(&u, 0, 'h');
	tg_uart_write(&u, 0, 'i');
	ASSERT_EQ(s.n, 2);
	EXPECT_EQ(s.buf[0], 'h');
	EXPECT_EQ(s.buf[1], 'i');
	EXPECT_EQ(u.tx_count, 2);
	EXPECT_EQ(tg_uart_read(&u, 5), 0x60); /* still empty: instant send */
}

TEST(boot_uart_fifo_and_loopback)
{
	struct tg_uart u;
	struct sink s = { .n = 0 };
	tg_uart_init(&u, sink_tx, &s);
	/* FCR bit 0 enables the FIFOs; IIR bits 7:6 then read 11 [8.6]. */
	tg_uart_write(&u, 2, 0x07);
	EXPECT_EQ(tg_uart_read(&u, 2), 0xc1);
	tg_uart_write(&u, 2, 0x00);
	EXPECT_EQ(tg_uart_read(&u, 2), 0x01);
	/* MSR outside loopback: DCD|DSR|CTS (a terminal is attached). */
	EXPECT_EQ(tg_uart_read(&u, 6), 0xb0);
	/* Loopback [8.9 bit 4]: TX feeds RX, LSR.DR set until RBR is read;
	 * MSR mirrors DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	tg_uart_write(&u, 4, 0x10 | 0x01);
	EXPECT_EQ(tg_uart_read(&u, 6), 0x20);
	tg_uart_write(&u, 4, 0x10 | 0x0e);
	EXPECT_EQ(tg_uart_read(&u, 6), 0xd0);
	tg_uart_write(&u, 0, 0x5a);
	EXPECT_EQ(s.n, 0);
	EXPECT_EQ(tg_uart_read(&u, 5), 0x61);
	EXPECT_EQ(tg_uart_read(&u, 0), 0x5a);
	EXPECT_EQ(tg_uart_read(&u, 5), 0x60);
}

static char *log_buf;
static size_t log_len;

static struct tg_iobus *new_bus(FILE **log)
{
	struct tg_iobus *bus = malloc(sizeof *bus);
	*log = open_memstream(&log_buf, &log_len);
	tg_iobus_init(bus, *log);
	return bus;
}

static int count_lines(FILE *log)
{
	fflush(log);
	int n = 0;
	for (size_t i = 0; i < log_len; i++)
		n += log_buf[i] == '\n';
	return n;
}

TEST(boot_iobus_unclaimed_ports)
{
	FILE *log;
	struct tg_iobus *bus = new_bus(&log);
	/* An empty ISA bus reads all-ones at every width. */
	EXPECT_EQ(tg_iobus_in(bus, 0x5000, 1), 0xff);
	EXPECT_EQ(tg_iobus_in(bus, 0x5000, 2), 0xffff);
	EXPECT_EQ(tg_iobus_in(bus, 0x5000, 4), 0xffffffff);
	tg_iobus_out(bus, 0x5000, 1, 0x12);
	/* Reported once per port, however often and however accessed. */
	EXPECT_EQ(count_lines(log), 1);
	tg_iobus_out(bus, 0x5001, 4, 0x12);
	EXPECT_EQ(count_lines(log), 2);
	EXPECT_TRUE(strstr(log_buf, "0x5000") != 0);
	EXPECT_TRUE(strstr(log_buf, "0x5001") != 0);
	EXPECT_EQ(bus->unclaimed, 5);
	/* Port 0x80 (POST codes) is claimed and silent. */
	ASSERT_EQ(tg_post_attach(bus), 0);
	tg_iobus_out(bus, 0x80, 1, 0x55);
	EXPECT_EQ(tg_iobus_in(bus, 0x80, 1), 0xff);
	EXPECT_EQ(count_lines(log), 2);
	fclose(log);
	free(log_buf);
	free(bus);
}

TEST(boot_iobus_ranges)
{
	FILE *log;
	struct tg_iobus *bus = new_bus(&log);
	struct tg_uart u;
	struct sink s = { .n = 0 };
	tg_uart_init(&u, sink_tx, &s);
	ASSERT_EQ(tg_uart_attach(&u, bus, 0x3f8), 0);
	struct tg_io_dev d = { .name = "x", .base = 0x3fc, .len = 8 };
	EXPECT_EQ(tg_iobus_add(bus, &d), -EEXIST);
	d.base = 0xfffc;
	EXPECT_EQ(tg_iobus_add(bus, &d), -EINVAL); /* runs past port 0xffff */
	d.len = 0;
	EXPECT_EQ(tg_iobus_add(bus, &d), -EINVAL);
	d = (struct tg_io_dev){ .name = "y", .base = 0x400, .len = 1 };
	EXPECT_EQ(tg_iobus_add(bus, &d), 0);
	EXPECT_TRUE(tg_iobus_find(bus, 0x3ff) == &bus->dev[0]);
	EXPECT_TRUE(tg_iobus_find(bus, 0x3f7) == 0);
	/* A 16-bit OUT to an 8-bit device is two byte cycles: THR then IER. */
	tg_iobus_out(bus, 0x3f8, 2, 0x0341);
	ASSERT_EQ(s.n, 1);
	EXPECT_EQ(s.buf[0], 'A');
	EXPECT_EQ(tg_uart_read(&u, 1), 0x03);
	/* 32-bit IN at LCR: LCR, MCR, LSR, MSR in byte order. */
	tg_iobus_out(bus, 0x3fb, 1, 0x03);
	EXPECT_EQ(tg_iobus_in(bus, 0x3fb, 4), 0xb0600003);
	/* 16-bit IN at SCR (0x3ff): the upper byte is the device at 0x400,
	 * which has no read handler: all-ones. */
	tg_iobus_out(bus, 0x3ff, 1, 0x42);
	EXPECT_EQ(tg_iobus_in(bus, 0x3ff, 2), 0xff42);
	EXPECT_EQ(count_lines(log), 0);
	/* Widths other than 1, 2, 4 are not I/O cycles. */
	EXPECT_EQ(tg_iobus_in(bus, 0x3f8, 3), 0xffffffff);
	fclose(log);
	free(log_buf);
	free(bus);
}

/* isa-debug-exit: exit((V << 1) | 1), of which the shell sees the low 8
 * bits [POSIX exit(), _exit()]. */
TEST(boot_debug_exit_status)
{
	EXPECT_EQ(tg_debug_exit_status(0), 1);
	EXPECT_EQ(tg_debug_exit_status(1), 3);
	EXPECT_EQ(tg_debug_exit_status(0x10), 0x21);
	EXPECT_EQ(tg_debug_exit_status(0x7f), 0xff);
	EXPECT_EQ(tg_debug_exit_status(0x80), 1);
	EXPECT_EQ(tg_debug_exit_status(0x110), 0x21);
	EXPECT_EQ(tg_debug_exit_status(0xffffffff), 0xff);
}

TEST(boot_debug_exit_widths)
{
	static const struct {
		uint16_t port;
		unsigned size;
		uint32_t val;
		int status;
	} cases[] = {
		{ 0xf4, 1, 0x10, 0x21 },
		{ 0xf4, 2, 0x0110, 0x21 },       /* the full 16-bit value */
		{ 0xf4, 4, 0x80000001, 3 },
		{ 0xf5, 1, 0x02, 5 },            /* any port of the 4-port region */
		{ 0xf7, 4, 0x33, 0x67 },         /* whole access to the device */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		FILE *log;
		struct tg_iobus *bus = new_bus(&log);
		struct tg_debug_exit de;
		ASSERT_EQ(tg_debug_exit_attach(&de, bus, 0xf4, 4), 0);
		EXPECT_EQ(tg_iobus_in(bus, 0xf4, 1), 0); /* reads 0 */
		EXPECT_EQ(de.requested, 0);
		tg_iobus_out(bus, cases[i].port, cases[i].size, cases[i].val);
		EXPECT_EQ(de.requested, 1);
		EXPECT_EQ(de.value, cases[i].val);
		EXPECT_EQ(tg_debug_exit_status(de.value), cases[i].status);
		/* the first write decides */
		tg_iobus_out(bus, 0xf4, 1, 0x7f);
		EXPECT_EQ(de.value, cases[i].val);
		/* 0xf8 is outside the region */
		EXPECT_EQ(tg_iobus_in(bus, 0xf8, 1), 0xff);
		fclose(log);
		free(log_buf);
		free(bus);
	}
}

TEST(boot_debugcon)
{
	FILE *log;
	struct tg_iobus *bus = new_bus(&log);
	struct sink s = { .n = 0 };
	struct tg_debugcon dc = { sink_tx, &s };
	ASSERT_EQ(tg_debugcon_attach(&dc, bus, 0xe9), 0);
	/* Reads return 0xe9, the value Bochs/QEMU guests probe for. */
	EXPECT_EQ(tg_iobus_in(bus, 0xe9, 1), 0xe9);
	tg_iobus_out(bus, 0xe9, 1, 'o');
	tg_iobus_out(bus, 0xe9, 1, 'k');
	ASSERT_EQ(s.n, 2);
	EXPECT_EQ(s.buf[0], 'o');
	EXPECT_EQ(s.buf[1], 'k');
	fclose(log);
	free(log_buf);
	free(bus);
}
