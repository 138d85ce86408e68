/* The machine's interrupt controllers, timers and firmware devices
 * (src/devices), register by register, without a vCPU. Times are in ns of
 * the machine clock; the APIC timer runs at 1 GHz before its divider
 * (lapic.h), the PIT at 1.193182 MHz. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "../src/devices/ioapic.h"
#include "../src/devices/lapic.h"
#include "../src/devices/pic8259.h"
#include "../src/devices/pit8254.h"
#include "../src/devices/platform.h"

static bool irr(const struct tg_lapic *l, unsigned v)
{
	return l->irr[v >> 5] & (1u << (v & 31));
}

static void lapic_on(struct tg_lapic *l)
{
	tg_lapic_init(l, 0, 0);
	tg_lapic_write(l, TG_APIC_SVR, 0x1ff, 0);
}

/* Reset state [SDM 10.4.7.1]: LVTs masked, SVR 0xFF, DFR all ones; the
 * version register as KVM's (0x14, max LVT 5) [SDM 10.4.8]. SVR software
 * disable forces the LVT masks back on [SDM 10.4.7.2]. */
TEST(machine_lapic_registers)
{
	struct tg_lapic l;
	tg_lapic_init(&l, 0, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_VER, 0), 0x50014);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_SVR, 0), 0xff);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_DFR, 0), 0xffffffff);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LVTT, 0), 0x10000);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LVT0, 0), 0x10000);
	EXPECT_EQ(l.apic_base, 0xfee00900); /* EN | BSP [SDM 10.4.4] */
	/* Software-disabled: the mask bit cannot be cleared. */
	tg_lapic_write(&l, TG_APIC_LVT0, 0x700, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LVT0, 0), 0x10700);
	tg_lapic_write(&l, TG_APIC_SVR, 0x1ff, 0);
	tg_lapic_write(&l, TG_APIC_LVT0, 0x700, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LVT0, 0), 0x700);
	/* Delivery status (12) and remote IRR (14) are read-only. */
	tg_lapic_write(&l, TG_APIC_LVT1, 0x5400 | 0x1000, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LVT1, 0), 0x400);
	tg_lapic_write(&l, TG_APIC_SVR, 0x0ff, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LVT0, 0), 0x10700);
	/* xAPIC ID, LDR and DFR: the architectural fields only. */
	tg_lapic_write(&l, TG_APIC_ID, 0x05ffffff, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ID, 0), 0x05000000);
	tg_lapic_write(&l, TG_APIC_LDR, 0x12345678, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_LDR, 0), 0x12000000);
	tg_lapic_write(&l, TG_APIC_DFR, 0x00000000, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_DFR, 0), 0x0fffffff);
	/* A reserved offset reads 0. */
	EXPECT_EQ(tg_lapic_read(&l, 0x3f0, 0), 0);
}

/* One-shot [SDM 10.5.4]: expiry after TMICT x divisor ticks; TMCCT
 * counts down and stays 0. TDCR 1011b = divide by 1, 0000b = by 2. */
TEST(machine_lapic_timer_oneshot)
{
	struct tg_lapic l;
	lapic_on(&l);
	tg_lapic_write(&l, TG_APIC_TDCR, 0xb, 0);
	tg_lapic_write(&l, TG_APIC_LVTT, 0x40, 0);
	tg_lapic_write(&l, TG_APIC_TMICT, 1000, 100);
	EXPECT_EQ(tg_lapic_next_timer(&l), 1100);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TMCCT, 600), 500);
	tg_lapic_advance(&l, 1099, 0);
	EXPECT_TRUE(!irr(&l, 0x40));
	tg_lapic_advance(&l, 1100, 0);
	EXPECT_TRUE(irr(&l, 0x40));
	EXPECT_EQ(tg_lapic_next_timer(&l), TG_TIME_NEVER);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TMCCT, 2000), 0);
	EXPECT_EQ(l.timer_fires, 1);
	/* Divide by 2: 10 ticks take 20 ns; a divider change mid-count keeps
	 * the count and changes the rate. */
	tg_lapic_write(&l, TG_APIC_TDCR, 0x0, 3000);
	tg_lapic_write(&l, TG_APIC_TMICT, 10, 3000);
	EXPECT_EQ(tg_lapic_next_timer(&l), 3020);
	tg_lapic_write(&l, TG_APIC_TDCR, 0x1, 3010); /* divide by 4 at count 5 */
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TMCCT, 3010), 5);
	EXPECT_EQ(tg_lapic_next_timer(&l), 3030);
	/* Masked: the count expires, nothing reaches the IRR. */
	memset(l.irr, 0, sizeof l.irr);
	tg_lapic_write(&l, TG_APIC_LVTT, 0x10040, 4000);
	tg_lapic_write(&l, TG_APIC_TMICT, 1, 4000);
	tg_lapic_advance(&l, 5000, 0);
	EXPECT_TRUE(!irr(&l, 0x40));
	EXPECT_EQ(l.timer_fires, 2); /* the restarted count replaced the 3030 expiry */
}

/* Periodic: reloads TMICT at each expiry; expiries nobody looked at in
 * between are one IRR bit. */
TEST(machine_lapic_timer_periodic)
{
	struct tg_lapic l;
	lapic_on(&l);
	tg_lapic_write(&l, TG_APIC_TDCR, 0xb, 0);
	tg_lapic_write(&l, TG_APIC_LVTT, 0x20041, 0);
	tg_lapic_write(&l, TG_APIC_TMICT, 100, 0);
	tg_lapic_advance(&l, 100, 0);
	EXPECT_TRUE(irr(&l, 0x41));
	EXPECT_EQ(tg_lapic_next_timer(&l), 200);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TMCCT, 130), 70);
	tg_lapic_advance(&l, 450, 0); /* 200, 300, 400 */
	EXPECT_EQ(l.timer_fires, 4);
	EXPECT_EQ(tg_lapic_next_timer(&l), 500);
	/* Switching to one-shot lets the current period end, then stops. */
	tg_lapic_write(&l, TG_APIC_LVTT, 0x41, 460);
	tg_lapic_advance(&l, 500, 0);
	EXPECT_EQ(tg_lapic_next_timer(&l), TG_TIME_NEVER);
	/* TMICT 0 stops the timer. */
	tg_lapic_write(&l, TG_APIC_LVTT, 0x20041, 600);
	tg_lapic_write(&l, TG_APIC_TMICT, 0, 600);
	EXPECT_EQ(tg_lapic_next_timer(&l), TG_TIME_NEVER);
}

/* TSC-deadline [SDM 10.5.4.1]: fires when the TSC reaches the MSR, which
 * then reads 0; TMICT writes are ignored in that mode; the MSR is ignored
 * in the other modes; switching modes disarms. */
TEST(machine_lapic_timer_tsc_deadline)
{
	struct tg_lapic l;
	lapic_on(&l);
	tg_lapic_deadline_write(&l, 1000, 0); /* one-shot mode: ignored */
	EXPECT_EQ(tg_lapic_deadline_read(&l), 0);
	tg_lapic_write(&l, TG_APIC_LVTT, 0x40042, 0);
	tg_lapic_write(&l, TG_APIC_TMICT, 5, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TMICT, 0), 0);
	tg_lapic_deadline_write(&l, 1000, 500);
	EXPECT_EQ(tg_lapic_deadline_read(&l), 1000);
	EXPECT_EQ(tg_lapic_next_deadline(&l), 1000);
	tg_lapic_advance(&l, 0, 999);
	EXPECT_TRUE(!irr(&l, 0x42));
	tg_lapic_advance(&l, 0, 1000);
	EXPECT_TRUE(irr(&l, 0x42));
	EXPECT_EQ(tg_lapic_deadline_read(&l), 0);
	/* A deadline in the past fires at once. */
	memset(l.irr, 0, sizeof l.irr);
	tg_lapic_deadline_write(&l, 10, 20);
	EXPECT_TRUE(irr(&l, 0x42));
	/* Leaving TSC-deadline mode disarms. */
	tg_lapic_deadline_write(&l, 5000, 20);
	tg_lapic_write(&l, TG_APIC_LVTT, 0x42, 30);
	EXPECT_EQ(tg_lapic_deadline_read(&l), 0);
	tg_lapic_write(&l, TG_APIC_LVTT, 0x40042, 40);
	EXPECT_EQ(tg_lapic_deadline_read(&l), 0);
}

static uint8_t eoi_seen[4];
static int neoi;
static void eoi_cb(void *opaque, uint8_t v)
{
	(void)opaque;
	if (neoi < 4)
		eoi_seen[neoi++] = v;
}

/* Priority [SDM 10.8.3.1]: the highest IRR class above PPR is taken;
 * PPR = max(TPR, ISRV class); EOI clears the highest ISR bit and, for a
 * level-triggered vector (TMR), is broadcast to the IO-APIC [10.8.5]. */
TEST(machine_lapic_priority_eoi)
{
	struct tg_lapic l;
	lapic_on(&l);
	l.eoi_level = eoi_cb;
	neoi = 0;
	tg_lapic_accept(&l, 0x30, false);
	tg_lapic_accept(&l, 0x50, false);
	EXPECT_EQ(tg_lapic_pending(&l), 0x50);
	EXPECT_EQ(tg_lapic_ack(&l), 0x50);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ISR + 0x20, 0), 1u << 16);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_PPR, 0), 0x50);
	EXPECT_EQ(tg_lapic_pending(&l), -1);
	tg_lapic_write(&l, TG_APIC_EOI, 0, 0);
	EXPECT_EQ(tg_lapic_pending(&l), 0x30);
	/* TPR class 4 blocks class 3. */
	tg_lapic_write(&l, TG_APIC_TPR, 0x45, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_PPR, 0), 0x45);
	EXPECT_EQ(tg_lapic_pending(&l), -1);
	/* CR8 = TPR[7:4]: lowering it through CR8 unblocks. */
	tg_lapic_set_cr8(&l, 2);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TPR, 0), 0x20);
	EXPECT_EQ(tg_lapic_ack(&l), 0x30);
	tg_lapic_write(&l, TG_APIC_EOI, 0, 0);
	EXPECT_EQ(neoi, 0);
	/* Level-triggered: TMR set, EOI goes to the IO-APIC. */
	tg_lapic_accept(&l, 0x60, true);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_TMR + 0x30, 0), 1u << 0);
	EXPECT_EQ(tg_lapic_ack(&l), 0x60);
	tg_lapic_write(&l, TG_APIC_EOI, 0, 0);
	EXPECT_EQ(neoi, 1);
	EXPECT_EQ(eoi_seen[0], 0x60);
	/* Undoing an acknowledge puts the vector back in the IRR. */
	tg_lapic_accept(&l, 0x70, false);
	EXPECT_EQ(tg_lapic_ack(&l), 0x70);
	tg_lapic_unack(&l, 0x70);
	EXPECT_EQ(tg_lapic_pending(&l), 0x70);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ISR + 0x30, 0), 0);
	/* Vectors 0-15 are illegal: receive-illegal-vector in the ESR after
	 * the next ESR write latches it [SDM 10.5.3]. */
	tg_lapic_accept(&l, 5, false);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ESR, 0), 0);
	tg_lapic_write(&l, TG_APIC_ESR, 0, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ESR, 0), TG_ESR_RECV_ILLEGAL);
	tg_lapic_write(&l, TG_APIC_ESR, 0, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ESR, 0), 0);
	/* A software-disabled APIC accepts no fixed interrupt. */
	tg_lapic_write(&l, TG_APIC_SVR, 0xff, 0);
	tg_lapic_accept(&l, 0x80, false);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_IRR + 0x40, 0), 0);
}

/* IPIs through the ICR [SDM 10.6.1]: shorthand self, physical
 * destination = own ID, logical flat match, NMI, illegal vector (send
 * illegal), INIT to the others (reported once, nobody there). */
TEST(machine_lapic_ipi)
{
	char *logbuf = 0;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	struct tg_lapic l;
	tg_lapic_init(&l, 0, log);
	tg_lapic_write(&l, TG_APIC_SVR, 0x1ff, 0);
	tg_lapic_write(&l, TG_APIC_ICR, 0x40041, 0);       /* self, fixed */
	EXPECT_TRUE(irr(&l, 0x41));
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ICR, 0), 0x40041); /* idle */
	tg_lapic_write(&l, TG_APIC_ICR2, 0x00000000, 0);   /* physical, ID 0 */
	tg_lapic_write(&l, TG_APIC_ICR, 0x42, 0);
	EXPECT_TRUE(irr(&l, 0x42));
	tg_lapic_write(&l, TG_APIC_ICR2, 0x01000000, 0);   /* ID 1: not here */
	tg_lapic_write(&l, TG_APIC_ICR, 0x43, 0);
	EXPECT_TRUE(!irr(&l, 0x43));
	tg_lapic_write(&l, TG_APIC_LDR, 0x02000000, 0);    /* logical flat */
	tg_lapic_write(&l, TG_APIC_ICR2, 0x06000000, 0);
	tg_lapic_write(&l, TG_APIC_ICR, 0x844, 0);
	EXPECT_TRUE(irr(&l, 0x44));
	tg_lapic_write(&l, TG_APIC_ICR, 0x40400, 0);       /* NMI to self */
	EXPECT_EQ(l.nmi_pending, 1);
	tg_lapic_write(&l, TG_APIC_ICR, 0x40003, 0);       /* vector 3 */
	tg_lapic_write(&l, TG_APIC_ESR, 0, 0);
	EXPECT_EQ(tg_lapic_read(&l, TG_APIC_ESR, 0), TG_ESR_SEND_ILLEGAL);
	tg_lapic_write(&l, TG_APIC_ICR, 0xc4500, 0);       /* INIT all-but-self */
	tg_lapic_write(&l, TG_APIC_ICR, 0xc4500, 0);
	fclose(log);
	int lines = 0;
	for (size_t i = 0; i < loglen; i++)
		lines += logbuf[i] == '\n';
	EXPECT_EQ(lines, 1);
	free(logbuf);
}

/* x2APIC MSRs [SDM 10.12.1.2-3, Table 10-6]: only in x2APIC mode; the
 * LDR derives from the ID; EOI and SELF IPI are write-only, ID/LDR/PPR
 * read-only; APR, DFR, ICR2 do not exist; only ICR takes 64 bits; a
 * non-zero EOI or ESR write is #GP. */
TEST(machine_lapic_x2apic_msrs)
{
	struct tg_lapic l;
	lapic_on(&l);
	uint64_t v = 0;
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x802, &v, 0), -1); /* xAPIC mode */
	tg_lapic_set_base(&l, 0xfee00000 | TG_APIC_BASE_EN | TG_APIC_BASE_EXTD);
	EXPECT_TRUE(tg_lapic_x2apic(&l));
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x802, &v, 0), 0);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x80d, &v, 0), 0);
	EXPECT_EQ(v, 1); /* cluster 0, bit 0 */
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x803, &v, 0), 0);
	EXPECT_EQ(v, 0x50014);
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x80b, &v, 0), -1);  /* EOI */
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x83f, &v, 0), -1);  /* SELF IPI */
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x809, &v, 0), -1);  /* APR */
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x80e, &v, 0), -1);  /* DFR */
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x831, &v, 0), -1);  /* ICR2 */
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x802, 1, 0), -1);  /* ID */
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x80d, 1, 0), -1);  /* LDR */
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x808, 1ull << 32, 0), -1);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x80b, 1, 0), -1);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x828, 1, 0), -1);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x808, 0x30, 0), 0);
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x808, &v, 0), 0);
	EXPECT_EQ(v, 0x30);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x808, 0, 0), 0);
	/* ICR: destination in bits 63:32; physical ID 0. */
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x830, 0x0000000000000045ull, 0), 0);
	EXPECT_TRUE(irr(&l, 0x45));
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x830, &v, 0), 0);
	EXPECT_EQ(v, 0x45);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x830, 0x0000000100000046ull, 0), 0);
	EXPECT_TRUE(!irr(&l, 0x46)); /* x2APIC ID 1: nobody */
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x83f, 0x47, 0), 0);
	EXPECT_TRUE(irr(&l, 0x47));
	EXPECT_EQ(tg_lapic_ack(&l), 0x47);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x80b, 0, 0), 0);
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x811, &v, 0), 0); /* ISR 63:32 */
	EXPECT_EQ(v, 0);
	/* Timer through MSRs. */
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x83e, 0xb, 0), 0);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x832, 0x50, 0), 0);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x838, 77, 10), 0);
	EXPECT_EQ(tg_lapic_msr_read(&l, 0x839, &v, 17), 0);
	EXPECT_EQ(v, 70);
	EXPECT_EQ(tg_lapic_msr_write(&l, 0x839, 0, 0), -1); /* TMCCT read-only */
	/* Global disable resets the APIC [SDM 10.4.3]. */
	tg_lapic_set_base(&l, 0xfee00000);
	EXPECT_EQ(l.svr, 0xff);
	EXPECT_EQ(l.lvt[TG_LVT_TIMER], 0x10000);
}

/* 8259A [data sheet]: ICW1-4, OCW1 masks, priority, OCW2 EOI, OCW3 IRR/ISR
 * reads and poll, cascade on IR2, edge latching, ELCR level inputs,
 * spurious IRQ 7. */
TEST(machine_pic)
{
	struct tg_pic p;
	struct tg_iobus bus;
	tg_pic_init(&p);
	tg_iobus_init(&bus, 0);
	ASSERT_EQ(tg_pic_attach(&p, &bus), 0);
	static const uint8_t m_icw[] = { 0x11, 0x20, 0x04, 0x01 }, s_icw[] = { 0x11, 0x28, 0x02, 0x01 };
	for (int i = 0; i < 4; i++) {
		tg_iobus_out(&bus, i ? 0x21 : 0x20, 1, m_icw[i]);
		tg_iobus_out(&bus, i ? 0xa1 : 0xa0, 1, s_icw[i]);
	}
	EXPECT_EQ(tg_iobus_in(&bus, 0x21, 1), 0); /* ICW1 clears the IMR */
	tg_iobus_out(&bus, 0x21, 1, 0xff);
	tg_pic_set_irq(&p, 3, true);
	EXPECT_TRUE(!tg_pic_has_int(&p)); /* masked: IRR only */
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x08); /* OCW3 default: IRR */
	tg_iobus_out(&bus, 0x21, 1, 0xf7);
	EXPECT_TRUE(tg_pic_has_int(&p));
	tg_pic_set_irq(&p, 1, true);
	tg_iobus_out(&bus, 0x21, 1, 0xf5);
	EXPECT_EQ(tg_pic_ack(&p), 0x21); /* IRQ 1 before IRQ 3 */
	tg_iobus_out(&bus, 0x20, 1, 0x0b);  /* OCW3: read ISR */
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x02);
	EXPECT_TRUE(!tg_pic_has_int(&p)); /* IRQ 3 waits behind IRQ 1 */
	tg_iobus_out(&bus, 0x20, 1, 0x20);  /* non-specific EOI */
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x00);
	EXPECT_EQ(tg_pic_ack(&p), 0x23);
	tg_iobus_out(&bus, 0x20, 1, 0x63);  /* specific EOI, level 3 */
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x00);
	/* Edge: a line held high does not request again. */
	tg_pic_set_irq(&p, 3, true);
	EXPECT_TRUE(!tg_pic_has_int(&p));
	tg_pic_set_irq(&p, 3, false);
	tg_pic_set_irq(&p, 3, true);
	EXPECT_TRUE(tg_pic_has_int(&p));
	/* Poll: the read acknowledges, bit 7 + level. */
	tg_iobus_out(&bus, 0x20, 1, 0x0c);
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x83);
	tg_iobus_out(&bus, 0x20, 1, 0x20);
	/* Nothing pending at INTA: IRQ 7, no ISR bit. */
	EXPECT_EQ(tg_pic_ack(&p), 0x27);
	EXPECT_EQ(p.spurious, 1);
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x00);
	/* Slave IRQ 10 through IR2. */
	tg_iobus_out(&bus, 0x21, 1, 0xfb);
	tg_iobus_out(&bus, 0xa1, 1, 0xfb);
	tg_pic_set_irq(&p, 10, true);
	EXPECT_EQ(tg_pic_ack(&p), 0x2a);
	EXPECT_EQ(tg_iobus_in(&bus, 0x20, 1), 0x04); /* master ISR: IR2 */
	tg_iobus_out(&bus, 0xa0, 1, 0x0b);
	EXPECT_EQ(tg_iobus_in(&bus, 0xa0, 1), 0x04);
	tg_iobus_out(&bus, 0xa0, 1, 0x20);
	tg_iobus_out(&bus, 0x20, 1, 0x20);
	/* ELCR: IRQ 10 level-triggered follows the line. */
	tg_iobus_out(&bus, 0x4d1, 1, 0x04);
	EXPECT_EQ(tg_iobus_in(&bus, 0x4d1, 1), 0x04);
	tg_iobus_out(&bus, 0x4d0, 1, 0x07); /* IRQ 0-2 cannot be level */
	EXPECT_EQ(tg_iobus_in(&bus, 0x4d0, 1), 0x00);
	tg_pic_set_irq(&p, 10, false);
	EXPECT_TRUE(!tg_pic_has_int(&p));
	tg_pic_set_irq(&p, 10, true);
	EXPECT_TRUE(tg_pic_has_int(&p));
	/* The slave's request went away, but the master latched the edge on
	 * IR2: INTA finds nothing on the slave, which answers IRQ 15 (its
	 * spurious vector) [8259A "Interrupt Sequence"]. */
	tg_pic_set_irq(&p, 10, false);
	EXPECT_TRUE(tg_pic_has_int(&p));
	EXPECT_EQ(tg_pic_ack(&p), 0x2f);
	EXPECT_EQ(p.spurious, 2);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *o)
{
	(void)o;
	return fake_now;
}

/* 8254 [82C54 data sheet]: mode 2 counting and IRQ 0 edges (times are
 * ceil(ticks x 10^9 / 1193182) ns), counter latch, read-back status,
 * mode 0 on channel 2 with OUT2 in port 0x61 bit 5. */
TEST(machine_pit)
{
	struct tg_pit p;
	struct tg_iobus bus;
	tg_pit_init(&p, fake_clock, 0);
	tg_iobus_init(&bus, 0);
	ASSERT_EQ(tg_pit_attach(&p, &bus), 0);
	fake_now = 0;
	tg_iobus_out(&bus, 0x43, 1, 0x34); /* ch 0, LSB/MSB, mode 2 */
	tg_iobus_out(&bus, 0x40, 1, 1000 & 0xff);
	tg_iobus_out(&bus, 0x40, 1, 1000 >> 8);
	EXPECT_EQ(tg_pit_next_edge(&p), 838096);
	fake_now = 419048; /* 500 ticks */
	EXPECT_EQ(tg_pit_count(&p, 0, fake_now), 500);
	tg_iobus_out(&bus, 0x43, 1, 0x00); /* latch channel 0 */
	fake_now = 600000;
	EXPECT_EQ(tg_iobus_in(&bus, 0x40, 1) | tg_iobus_in(&bus, 0x40, 1) << 8, 500);
	/* Read-back, status only: OUT high, RW 3, mode 2, binary. */
	tg_iobus_out(&bus, 0x43, 1, 0xe2);
	EXPECT_EQ(tg_iobus_in(&bus, 0x40, 1), 0xb4);
	EXPECT_EQ(tg_pit_irq_edges(&p, 838095), 0);
	EXPECT_EQ(tg_pit_irq_edges(&p, 838096), 1);
	EXPECT_EQ(tg_pit_next_edge(&p), 1676191);
	EXPECT_EQ(tg_pit_irq_edges(&p, 10000000), 10); /* ticks 2000..11000 */
	/* Channel 2, mode 0, count 100, gate on through port 0x61. */
	fake_now = 20000000;
	tg_iobus_out(&bus, 0x61, 1, 0x01);
	tg_iobus_out(&bus, 0x43, 1, 0xb0);
	tg_iobus_out(&bus, 0x42, 1, 100);
	tg_iobus_out(&bus, 0x42, 1, 0);
	EXPECT_EQ(tg_iobus_in(&bus, 0x61, 1) & 0x23, 0x01);
	fake_now += 83809; /* 99.99 ticks */
	EXPECT_EQ(tg_iobus_in(&bus, 0x61, 1) & 0x20, 0x00);
	fake_now += 2; /* 100 ticks */
	EXPECT_EQ(tg_iobus_in(&bus, 0x61, 1) & 0x23, 0x21);
	/* Mode 0 keeps counting down through 0. */
	fake_now += 838096; /* 1100 ticks */
	EXPECT_EQ(tg_pit_count(&p, 2, fake_now), (uint16_t)(100 - 1100));
}

static void ioapic_eoi_cb(void *opaque, uint8_t v)
{
	tg_ioapic_eoi(opaque, v);
}

/* IO-APIC [82093AA]: version, edge entries deliver on the rising edge,
 * masked entries not at all; level entries set remote IRR and are sent
 * again after the EOI while the line stays asserted. */
TEST(machine_ioapic)
{
	struct tg_lapic l;
	lapic_on(&l);
	struct tg_ioapic io;
	tg_ioapic_init(&io, &l);
	l.eoi_level = ioapic_eoi_cb;
	l.opaque = &io;
	tg_ioapic_write(&io, 0, 1);
	EXPECT_EQ(tg_ioapic_read(&io, 0x10), 0x00170020);
	tg_ioapic_write(&io, 0, 0x10 + 2 * 5);
	EXPECT_EQ(tg_ioapic_read(&io, 0x10), 0x10000); /* masked at reset */
	tg_ioapic_write(&io, 0x10, 0x55);               /* edge, fixed, ID 0 */
	tg_ioapic_set_irq(&io, 5, true);
	EXPECT_TRUE(irr(&l, 0x55));
	memset(l.irr, 0, sizeof l.irr);
	tg_ioapic_set_irq(&io, 5, true);
	EXPECT_TRUE(!irr(&l, 0x55));
	tg_ioapic_write(&io, 0, 0x10 + 2 * 6);
	tg_ioapic_write(&io, 0x10, 0x18066);            /* level, masked */
	tg_ioapic_set_irq(&io, 6, true);
	EXPECT_TRUE(!irr(&l, 0x66));
	tg_ioapic_write(&io, 0x10, 0x08066);            /* unmask: delivered */
	EXPECT_TRUE(irr(&l, 0x66));
	EXPECT_EQ(tg_ioapic_read(&io, 0x10), 0x0c066);  /* remote IRR */
	EXPECT_EQ(tg_lapic_ack(&l), 0x66);
	tg_lapic_write(&l, TG_APIC_EOI, 0, 0);          /* still asserted */
	EXPECT_TRUE(irr(&l, 0x66));
	EXPECT_EQ(tg_lapic_ack(&l), 0x66);
	tg_ioapic_set_irq(&io, 6, false);
	tg_lapic_write(&l, TG_APIC_EOI, 0, 0);
	EXPECT_TRUE(!irr(&l, 0x66));
	EXPECT_EQ(tg_ioapic_read(&io, 0x10), 0x08066);
	/* Destination ID 1: not this APIC. */
	tg_ioapic_write(&io, 0, 0x10 + 2 * 7 + 1);
	tg_ioapic_write(&io, 0x10, 0x01000000);
	tg_ioapic_write(&io, 0, 0x10 + 2 * 7);
	tg_ioapic_write(&io, 0x10, 0x77);
	tg_ioapic_set_irq(&io, 7, true);
	EXPECT_TRUE(!irr(&l, 0x77));
}

/* fw_cfg [QEMU docs/specs/fw_cfg.rst]: selector (16-bit write at 0x510),
 * data bytes at 0x511; "QEMU", ID 1 (no DMA), little-endian numbers, the
 * big-endian file directory, zeros past the end and for missing keys. */
TEST(machine_fwcfg)
{
	struct tg_fwcfg f;
	struct tg_iobus bus;
	tg_fwcfg_init(&f);
	tg_iobus_init(&bus, 0);
	ASSERT_EQ(tg_fwcfg_attach(&f, &bus), 0);
	ASSERT_EQ(tg_fwcfg_add_u16(&f, TG_FWCFG_NB_CPUS, 1), 0);
	ASSERT_EQ(tg_fwcfg_add_u64(&f, TG_FWCFG_RAM_SIZE, 128ull << 20), 0);
	ASSERT_EQ(tg_fwcfg_add_file(&f, "etc/one", "abc", 3), 0);
	ASSERT_EQ(tg_fwcfg_add_file(&f, "etc/two", "de", 2), 0);
	char sig[5] = { 0 };
	tg_iobus_out(&bus, 0x510, 2, TG_FWCFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)tg_iobus_in(&bus, 0x511, 1);
	EXPECT_EQ(strcmp(sig, "QEMU"), 0);
	EXPECT_EQ(tg_iobus_in(&bus, 0x511, 1), 0); /* past the end */
	tg_iobus_out(&bus, 0x510, 2, TG_FWCFG_ID);
	EXPECT_EQ(tg_iobus_in(&bus, 0x511, 1), 1);
	tg_iobus_out(&bus, 0x510, 2, TG_FWCFG_NB_CPUS);
	EXPECT_EQ(tg_iobus_in(&bus, 0x511, 1) | tg_iobus_in(&bus, 0x511, 1) << 8, 1);
	tg_fwcfg_select(&f, TG_FWCFG_RAM_SIZE);
	uint64_t ram = 0;
	for (int i = 0; i < 8; i++)
		ram |= (uint64_t)tg_fwcfg_read_byte(&f) << (8 * i);
	EXPECT_EQ(ram, 128ull << 20);
	tg_fwcfg_select(&f, 0x1234); /* missing: zeros */
	EXPECT_EQ(tg_fwcfg_read_byte(&f), 0);
	/* Directory: count 2, then {size, select, reserved, name[56]}. */
	tg_fwcfg_select(&f, TG_FWCFG_FILE_DIR);
	uint8_t dir[4 + 2 * 64];
	for (size_t i = 0; i < sizeof dir; i++)
		dir[i] = tg_fwcfg_read_byte(&f);
	EXPECT_EQ(dir[3], 2);
	EXPECT_EQ(dir[4 + 3], 3);
	EXPECT_EQ(dir[4 + 4] << 8 | dir[4 + 5], 0x20);
	EXPECT_EQ(strcmp((char *)dir + 4 + 8, "etc/one"), 0);
	EXPECT_EQ(dir[68 + 3], 2);
	EXPECT_EQ(dir[68 + 4] << 8 | dir[68 + 5], 0x21);
	EXPECT_EQ(strcmp((char *)dir + 68 + 8, "etc/two"), 0);
	tg_fwcfg_select(&f, 0x21);
	EXPECT_EQ(tg_fwcfg_read_byte(&f), 'd');
	/* Byte writes to the selector port are data writes (ignored). */
	tg_iobus_out(&bus, 0x510, 1, TG_FWCFG_ID);
	EXPECT_EQ(tg_fwcfg_read_byte(&f), 'e');
	tg_fwcfg_free(&f);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ACPI [ACPI 6.4 5.2]: the RSDP checksums (first 20 bytes, all 36), every
 * table's checksum, RSDT -> FADT (PM timer port, FACS, DSDT) and the MADT
 * entries (local APIC 0, IO-APIC at 0xFEC00000, IRQ 0 -> GSI 2), parsed
 * the way a guest walks them. */
TEST(machine_acpi_tables)
{
	static uint8_t a[TG_ACPI_AREA_LEN];
	struct tg_acpi_config c = { .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000 };
	EXPECT_EQ(tg_acpi_build(a, TG_ACPI_AREA, 64, &c), 0); /* too small */
	size_t n = tg_acpi_build(a, TG_ACPI_AREA, sizeof a, &c);
	ASSERT_TRUE(n > 0);
	EXPECT_EQ(memcmp(a, "RSD PTR ", 8), 0);
	EXPECT_EQ(tg_acpi_sum(a, 20), 0);
	EXPECT_EQ(tg_acpi_sum(a, 36), 0);
	EXPECT_EQ(a[15], 2);
#define T(gpa) (a + ((gpa) - TG_ACPI_AREA))
	const uint8_t *rsdt = T(rd32(a + 16));
	EXPECT_EQ(memcmp(rsdt, "RSDT", 4), 0);
	EXPECT_EQ(tg_acpi_sum(rsdt, rd32(rsdt + 4)), 0);
	const uint8_t *xsdt = T(rd32(a + 24));
	EXPECT_EQ(memcmp(xsdt, "XSDT", 4), 0);
	EXPECT_EQ(tg_acpi_sum(xsdt, rd32(xsdt + 4)), 0);
	const uint8_t *fadt = 0, *madt = 0;
	uint32_t nent = (rd32(rsdt + 4) - 36) / 4;
	EXPECT_EQ(nent, 2);
	for (uint32_t i = 0; i < nent; i++) {
		const uint8_t *t = T(rd32(rsdt + 36 + 4 * i));
		EXPECT_EQ(tg_acpi_sum(t, rd32(t + 4)), 0);
		if (!memcmp(t, "FACP", 4))
			fadt = t;
		if (!memcmp(t, "APIC", 4))
			madt = t;
	}
	ASSERT_TRUE(fadt && madt);
	EXPECT_EQ(rd32(fadt + 76), TG_ACPI_PM_BASE + 8);
	EXPECT_EQ(memcmp(T(rd32(fadt + 36)), "FACS", 4), 0);
	EXPECT_EQ(rd32(fadt + 36) & 63, 0);
	const uint8_t *dsdt = T(rd32(fadt + 40));
	EXPECT_EQ(memcmp(dsdt, "DSDT", 4), 0);
	EXPECT_EQ(tg_acpi_sum(dsdt, rd32(dsdt + 4)), 0);
	EXPECT_EQ(rd32(madt + 36), 0xfee00000);
	int lapics = 0, ioapics = 0, iso0 = 0;
	for (const uint8_t *e = madt + 44; e < madt + rd32(madt + 4); e += e[1]) {
		ASSERT_TRUE(e[1] >= 2);
		if (e[0] == 0 && e[3] == 0 && rd32(e + 4) == 1)
			lapics++;
		if (e[0] == 1 && rd32(e + 4) == 0xfec00000 && rd32(e + 8) == 0)
			ioapics++;
		if (e[0] == 2 && e[3] == 0 && rd32(e + 4) == 2)
			iso0++;
	}
	EXPECT_EQ(lapics, 1);
	EXPECT_EQ(ioapics, 1);
	EXPECT_EQ(iso0, 1);
#undef T
	/* The PM timer: 24 bits at 3.579545 MHz. */
	EXPECT_EQ(tg_acpi_pm_timer(1000000000), 3579545 & 0xffffff);
	EXPECT_EQ(tg_acpi_pm_timer(0), 0);
}

/* MC146818 [data sheet]: the clock from the epoch in BCD (register B
 * bit 2 = 0) and binary, register D VRT, the CMOS base-memory bytes. */
TEST(machine_rtc)
{
	struct tg_rtc r;
	/* 2021-03-04 05:06:07 UTC, a Thursday */
	tg_rtc_init(&r, 1614834367, 128ull << 20, fake_clock, 0);
	EXPECT_EQ(tg_rtc_read(&r, 0, 0), 0x07);
	EXPECT_EQ(tg_rtc_read(&r, 2, 0), 0x06);
	EXPECT_EQ(tg_rtc_read(&r, 4, 0), 0x05);
	EXPECT_EQ(tg_rtc_read(&r, 6, 0), 0x05); /* Sunday = 1 */
	EXPECT_EQ(tg_rtc_read(&r, 7, 0), 0x04);
	EXPECT_EQ(tg_rtc_read(&r, 8, 0), 0x03);
	EXPECT_EQ(tg_rtc_read(&r, 9, 0), 0x21);
	EXPECT_EQ(tg_rtc_read(&r, 0x32, 0), 0x20);
	EXPECT_EQ(tg_rtc_read(&r, 0, 1500000000), 0x08);
	EXPECT_EQ(tg_rtc_read(&r, 0x0d, 0), 0x80);
	EXPECT_EQ(tg_rtc_read(&r, 0x15, 0) | tg_rtc_read(&r, 0x16, 0) << 8, 640);
	tg_rtc_write(&r, 0x0b, 0x06, 0); /* binary, 24 h */
	EXPECT_EQ(tg_rtc_read(&r, 0, 12000000000ull), 19);
	tg_rtc_write(&r, 4, 23, 0);       /* set the hour */
	EXPECT_EQ(tg_rtc_read(&r, 4, 0), 23);
	/* Periodic interrupt at 1024 Hz (rate 6): due at 976562 ns. */
	tg_rtc_write(&r, 0x0b, 0x46, 0);
	EXPECT_EQ(tg_rtc_next(&r), 976562);
	EXPECT_TRUE(!tg_rtc_advance(&r, 976561));
	EXPECT_TRUE(tg_rtc_advance(&r, 976562));
	EXPECT_EQ(tg_rtc_read(&r, 0x0c, 976562), 0xc0); /* IRQF | PF */
	EXPECT_EQ(tg_rtc_read(&r, 0x0c, 976562), 0x00);
}
