/* Local APIC [SDM Vol. 3A ch. 10]. One vCPU: IPIs to other processors go
 * nowhere (reported once). */
#include <string.h>

#include "lapic.h"

#define VERSION 0x00050014u /* version 0x14, 6 LVT entries (max index 5),
			       no EOI-broadcast suppression [SDM 10.4.8] */

/* Writable bits of each LVT register [SDM Figure 10-8]: delivery status
 * (12) and remote IRR (14) are read-only. */
static const uint32_t lvt_wmask[TG_LVT_N] = {
	[TG_LVT_CMCI] = 0x107ff,
	[TG_LVT_TIMER] = 0x700ff,   /* vector, mask, timer mode 17-18 */
	[TG_LVT_THERMAL] = 0x107ff, /* vector, delivery mode, mask */
	[TG_LVT_PERF] = 0x107ff,
	[TG_LVT_LINT0] = 0x1a7ff,   /* + polarity (13), trigger (15) */
	[TG_LVT_LINT1] = 0x1a7ff,
	[TG_LVT_ERROR] = 0x100ff,
};

static bool test_bit(const uint32_t *r, unsigned v)
{
	return r[v >> 5] & (1u << (v & 31));
}

static void set_bit(uint32_t *r, unsigned v, bool on)
{
	if (on)
		r[v >> 5] |= 1u << (v & 31);
	else
		r[v >> 5] &= ~(1u << (v & 31));
}

/* Highest set bit of a 256-bit register, or -1. */
static int highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

bool tg_lapic_hw_enabled(const struct tg_lapic *l)
{
	return l->apic_base & TG_APIC_BASE_EN;
}

bool tg_lapic_x2apic(const struct tg_lapic *l)
{
	return (l->apic_base & (TG_APIC_BASE_EN | TG_APIC_BASE_EXTD)) ==
	       (TG_APIC_BASE_EN | TG_APIC_BASE_EXTD);
}

bool tg_lapic_sw_enabled(const struct tg_lapic *l)
{
	return tg_lapic_hw_enabled(l) && (l->svr & 0x100);
}

uint64_t tg_lapic_mmio_base(const struct tg_lapic *l)
{
	return l->apic_base & 0xfffffff000ull;
}

static void regs_reset(struct tg_lapic *l)
{
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffffu;
	l->svr = 0xff;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (int i = 0; i < TG_LVT_N; i++)
		l->lvt[i] = TG_LVT_MASKED;
	memset(l->isr, 0, sizeof l->isr);
	memset(l->tmr, 0, sizeof l->tmr);
	memset(l->irr, 0, sizeof l->irr);
	l->tdcr = 0;
	l->div_shift = 1; /* TDCR 0: divide by 2 */
	l->tmict = 0;
	l->cur_start = 0;
	l->t_start = 0;
	l->t_expire = TG_TIME_NEVER;
	l->tsc_deadline = 0;
}

void tg_lapic_init(struct tg_lapic *l, uint32_t id, FILE *log)
{
	memset(l, 0, sizeof *l);
	l->id = id;
	l->log = log;
	l->apic_base = TG_LAPIC_DEFAULT_BASE | TG_APIC_BASE_EN |
		       (id == 0 ? TG_APIC_BASE_BSP : 0);
	regs_reset(l);
}

void tg_lapic_reset(struct tg_lapic *l)
{
	regs_reset(l);
}

static uint32_t x2apic_ldr(uint32_t id)
{
	/* [SDM 10.12.10.2] cluster ID = ID[19:4], bit (ID[3:0]) of 16 */
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

void tg_lapic_set_base(struct tg_lapic *l, uint64_t base)
{
	uint64_t old = l->apic_base;
	l->apic_base = base;
	/* Global disable: the APIC loses its state; enabling again starts
	 * from the power-up state [SDM 10.4.3]. */
	if ((old & TG_APIC_BASE_EN) && !(base & TG_APIC_BASE_EN))
		regs_reset(l);
	/* Entering x2APIC mode: the LDR is derived from the ID [SDM
	 * 10.12.10.2]. */
	if (tg_lapic_x2apic(l) && !(old & TG_APIC_BASE_EXTD))
		l->ldr = x2apic_ldr(l->id);
}

uint32_t tg_lapic_ppr(const struct tg_lapic *l)
{
	/* [SDM 10.8.3.1] PPR = TPR if TPR[7:4] >= ISRV[7:4], else
	 * ISRV[7:4] << 4. */
	int isrv = highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

void tg_lapic_set_cr8(struct tg_lapic *l, uint64_t cr8)
{
	/* MOV to CR8 writes TPR[7:4] and clears TPR[3:0] [SDM 10.8.6.1];
	 * an unchanged class keeps an MMIO-written low nibble. */
	if ((l->tpr >> 4) != (cr8 & 0xf))
		l->tpr = (uint32_t)(cr8 & 0xf) << 4;
}

/* ---- interrupt acceptance ---- */

static void error_irq(struct tg_lapic *l, uint32_t bits);

void tg_lapic_accept(struct tg_lapic *l, uint8_t vector, bool level)
{
	if (!tg_lapic_sw_enabled(l))
		return; /* fixed interrupts are not accepted while disabled */
	if (vector < 16) {
		error_irq(l, TG_ESR_RECV_ILLEGAL);
		return;
	}
	set_bit(l->irr, vector, true);
	set_bit(l->tmr, vector, level);
}

/* An error was detected: log it for the next ESR latch and raise the
 * error LVT [SDM 10.5.3]. An illegal error vector is not re-reported. */
static void error_irq(struct tg_lapic *l, uint32_t bits)
{
	l->esr_pending |= bits;
	uint32_t lvt = l->lvt[TG_LVT_ERROR];
	if ((lvt & TG_LVT_MASKED) || (lvt & 0xff) < 16 || !tg_lapic_sw_enabled(l))
		return;
	set_bit(l->irr, lvt & 0xff, true);
	set_bit(l->tmr, lvt & 0xff, false);
}

int tg_lapic_pending(const struct tg_lapic *l)
{
	if (!tg_lapic_hw_enabled(l))
		return -1;
	int v = highest(l->irr);
	if (v < 0 || ((uint32_t)v & 0xf0) <= (tg_lapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

int tg_lapic_ack(struct tg_lapic *l)
{
	int v = tg_lapic_pending(l);
	if (v < 0)
		return -1;
	set_bit(l->irr, (unsigned)v, false);
	set_bit(l->isr, (unsigned)v, true);
	return v;
}

void tg_lapic_unack(struct tg_lapic *l, uint8_t v)
{
	set_bit(l->isr, v, false);
	set_bit(l->irr, v, true);
}

bool tg_lapic_accepts_pic(const struct tg_lapic *l)
{
	if (!tg_lapic_hw_enabled(l))
		return true; /* no APIC: INTR goes straight to the CPU */
	uint32_t lvt0 = l->lvt[TG_LVT_LINT0];
	return !(lvt0 & TG_LVT_MASKED) && ((lvt0 >> 8) & 7) == TG_DM_EXTINT;
}

static void lvt_deliver(struct tg_lapic *l, int idx)
{
	uint32_t lvt = l->lvt[idx];
	if (lvt & TG_LVT_MASKED)
		return;
	unsigned dm = idx == TG_LVT_TIMER || idx == TG_LVT_ERROR ? TG_DM_FIXED
								 : (lvt >> 8) & 7;
	if (dm == TG_DM_NMI) {
		l->nmi_pending++;
	} else if (dm == TG_DM_FIXED) {
		bool level = (idx == TG_LVT_LINT0 || idx == TG_LVT_LINT1) &&
			     (lvt & TG_LVT_LEVEL);
		tg_lapic_accept(l, lvt & 0xff, level);
	}
	/* SMI, INIT, ExtINT (the PIC path is the machine's) */
}

void tg_lapic_lint(struct tg_lapic *l, int pin)
{
	if (tg_lapic_hw_enabled(l))
		lvt_deliver(l, pin ? TG_LVT_LINT1 : TG_LVT_LINT0);
}

static void eoi(struct tg_lapic *l)
{
	int v = highest(l->isr);
	if (v < 0)
		return;
	set_bit(l->isr, (unsigned)v, false);
	/* A level-triggered vector's EOI goes to the IO-APIC(s) [SDM
	 * 10.8.5]. */
	if (test_bit(l->tmr, (unsigned)v) && l->eoi_level)
		l->eoi_level(l->opaque, (uint8_t)v);
}

/* ---- IPIs [SDM 10.6.1] ---- */

static bool dest_is_me(const struct tg_lapic *l, uint32_t dest, bool logical)
{
	if (tg_lapic_x2apic(l)) {
		if (dest == 0xffffffffu)
			return true;
		if (!logical)
			return dest == l->id;
		/* cluster in 31:16, member bitmap in 15:0 [SDM 10.12.10.2] */
		return (dest >> 16) == (l->ldr >> 16) && (dest & l->ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == (l->id & 0xff);
	uint32_t ldr = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xf)
		return (dest & ldr) != 0; /* flat model [SDM 10.6.2.2] */
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster */
}

static void send_ipi(struct tg_lapic *l, uint32_t lo, uint32_t dest)
{
	unsigned dm = (lo >> 8) & 7, shorthand = (lo >> 18) & 3;
	bool logical = lo & (1u << 11), level = lo & (1u << 15);
	bool me = shorthand == 1 || shorthand == 2 ||
		  (shorthand == 0 && dest_is_me(l, dest, logical));
	bool others = shorthand >= 2 ||
		      (shorthand == 0 && !me) ||
		      (shorthand == 0 && (tg_lapic_x2apic(l) ? dest == 0xffffffffu
							   : (dest & 0xff) == 0xff));
	if (others && (dm == TG_DM_INIT || dm == TG_DM_STARTUP) && !l->logged_ipi &&
	    l->log) {
		l->logged_ipi = true;
		fprintf(l->log, "trapgate: APIC: %s IPI to other processors ignored: "
			"this machine has one vCPU (reported once)\n",
			dm == TG_DM_INIT ? "INIT" : "STARTUP");
	}
	if (!me)
		return;
	switch (dm) {
	case TG_DM_FIXED:
	case TG_DM_LOWEST:
		if ((lo & 0xff) < 16) {
			error_irq(l, TG_ESR_SEND_ILLEGAL);
			return;
		}
		tg_lapic_accept(l, lo & 0xff, level);
		break;
	case TG_DM_NMI:
		l->nmi_pending++;
		break;
	default:
		if (!l->logged_mode && l->log) {
			l->logged_mode = true;
			fprintf(l->log, "trapgate: APIC: IPI delivery mode %u to self "
				"not supported, ignored (reported once)\n", dm);
		}
		break;
	}
}

/* ---- timer [SDM 10.5.4] ---- */

static bool timer_deadline_mode(const struct tg_lapic *l)
{
	return TG_LVT_TIMER_MODE(l->lvt[TG_LVT_TIMER]) == 2;
}

static uint32_t current_count(const struct tg_lapic *l, uint64_t now)
{
	if (l->t_expire == TG_TIME_NEVER || timer_deadline_mode(l))
		return 0;
	if (now >= l->t_expire)
		return 0; /* not yet advanced: expired */
	uint64_t ticks = (now - l->t_start) >> l->div_shift;
	return ticks >= l->cur_start ? 0 : l->cur_start - (uint32_t)ticks;
}

static void timer_start(struct tg_lapic *l, uint64_t now, uint32_t count)
{
	l->t_start = now;
	l->cur_start = count;
	l->t_expire = count ? now + ((uint64_t)count << l->div_shift) : TG_TIME_NEVER;
}

void tg_lapic_advance(struct tg_lapic *l, uint64_t now, uint64_t tsc)
{
	if (l->t_expire != TG_TIME_NEVER && now >= l->t_expire) {
		uint64_t period = (uint64_t)l->tmict << l->div_shift;
		uint64_t n = 1;
		if (TG_LVT_TIMER_MODE(l->lvt[TG_LVT_TIMER]) == 1 && period) {
			/* Periodic: expiries missed while nobody looked are
			 * one IRR bit anyway. */
			n = (now - l->t_expire) / period + 1;
			l->t_start = l->t_expire + (n - 1) * period;
			l->cur_start = l->tmict;
			l->t_expire = l->t_start + period;
		} else {
			l->t_expire = TG_TIME_NEVER;
		}
		l->timer_fires += n;
		lvt_deliver(l, TG_LVT_TIMER);
	}
	if (l->tsc_deadline && timer_deadline_mode(l) && tsc >= l->tsc_deadline) {
		/* Fires once, and the MSR reads 0 afterwards [SDM 10.5.4.1]. */
		l->tsc_deadline = 0;
		l->timer_fires++;
		lvt_deliver(l, TG_LVT_TIMER);
	}
}

uint64_t tg_lapic_next_timer(const struct tg_lapic *l)
{
	return timer_deadline_mode(l) ? TG_TIME_NEVER : l->t_expire;
}

uint64_t tg_lapic_next_deadline(const struct tg_lapic *l)
{
	return timer_deadline_mode(l) ? l->tsc_deadline : 0;
}

uint64_t tg_lapic_deadline_read(const struct tg_lapic *l)
{
	return timer_deadline_mode(l) ? l->tsc_deadline : 0;
}

void tg_lapic_deadline_write(struct tg_lapic *l, uint64_t v, uint64_t tsc)
{
	if (!timer_deadline_mode(l))
		return;
	l->tsc_deadline = v;
	/* A deadline already in the past fires at once. */
	if (v && tsc >= v)
		tg_lapic_advance(l, 0, tsc);
}

static void set_tdcr(struct tg_lapic *l, uint32_t v, uint64_t now)
{
	/* [SDM Figure 10-10] bits 3,1:0 select 2,4,...,128,1 */
	uint32_t cur = current_count(l, now);
	bool running = l->t_expire != TG_TIME_NEVER && !timer_deadline_mode(l);
	l->tdcr = v & 0xb;
	unsigned sel = ((l->tdcr >> 1) & 4) | (l->tdcr & 3);
	l->div_shift = (sel + 1) & 7;
	/* The count continues from where it is, at the new rate. */
	if (running && cur)
		timer_start(l, now, cur);
}

static void set_lvt(struct tg_lapic *l, int idx, uint32_t v)
{
	uint32_t nv = (l->lvt[idx] & ~lvt_wmask[idx]) | (v & lvt_wmask[idx]);
	if (!(l->svr & 0x100))
		nv |= TG_LVT_MASKED; /* software-disabled [SDM 10.4.7.2] */
	if (idx == TG_LVT_TIMER) {
		/* Switching into or out of TSC-deadline mode disarms the
		 * timer [SDM 10.5.4.1]. */
		bool was = TG_LVT_TIMER_MODE(l->lvt[idx]) == 2;
		bool is = TG_LVT_TIMER_MODE(nv) == 2;
		if (was != is) {
			l->tmict = 0;
			l->t_expire = TG_TIME_NEVER;
			l->tsc_deadline = 0;
		}
	}
	l->lvt[idx] = nv;
}

/* ---- register access shared by both interfaces ---- */

static int lvt_index(uint32_t reg)
{
	if (reg == TG_APIC_LVT_CMCI)
		return -1; /* no CMCI: 6 LVT entries */
	if (reg >= TG_APIC_LVTT && reg <= TG_APIC_LVT_ERR)
		return TG_LVT_TIMER + (int)((reg - TG_APIC_LVTT) >> 4);
	return -1;
}

/* 0 and *v, or -1 when no register lives there. */
static int reg_read(struct tg_lapic *l, uint32_t reg, uint64_t now, uint32_t *v)
{
	int lvt = lvt_index(reg);
	if (lvt >= 0) {
		*v = l->lvt[lvt];
		return 0;
	}
	if (reg >= TG_APIC_ISR && reg < TG_APIC_ISR + 0x80) {
		*v = l->isr[(reg - TG_APIC_ISR) >> 4];
		return 0;
	}
	if (reg >= TG_APIC_TMR && reg < TG_APIC_TMR + 0x80) {
		*v = l->tmr[(reg - TG_APIC_TMR) >> 4];
		return 0;
	}
	if (reg >= TG_APIC_IRR && reg < TG_APIC_IRR + 0x80) {
		*v = l->irr[(reg - TG_APIC_IRR) >> 4];
		return 0;
	}
	switch (reg) {
	case TG_APIC_ID:
		*v = tg_lapic_x2apic(l) ? l->id : l->id << 24;
		return 0;
	case TG_APIC_VER: *v = VERSION; return 0;
	case TG_APIC_TPR: *v = l->tpr; return 0;
	case TG_APIC_APR: *v = 0; return 0;
	case TG_APIC_PPR: *v = tg_lapic_ppr(l); return 0;
	case TG_APIC_LDR: *v = l->ldr; return 0;
	case TG_APIC_DFR: *v = l->dfr; return 0;
	case TG_APIC_SVR: *v = l->svr; return 0;
	case TG_APIC_ESR: *v = l->esr; return 0;
	case TG_APIC_ICR: *v = l->icr_lo; return 0;
	case TG_APIC_ICR2: *v = l->icr_hi; return 0;
	case TG_APIC_TMICT: *v = l->tmict; return 0;
	case TG_APIC_TMCCT: *v = current_count(l, now); return 0;
	case TG_APIC_TDCR: *v = l->tdcr; return 0;
	}
	return -1;
}

static void write_svr(struct tg_lapic *l, uint32_t v)
{
	l->svr = v & 0x3ff; /* vector, APIC enable (8), focus check (9) */
	if (!(l->svr & 0x100))
		for (int i = 0; i < TG_LVT_N; i++)
			l->lvt[i] |= TG_LVT_MASKED;
}

/* Writes common to xAPIC and x2APIC: TPR, EOI, SVR, ESR latch, LVTs,
 * TMICT, TDCR. Returns -1 when `reg` is none of these. */
static int reg_write_common(struct tg_lapic *l, uint32_t reg, uint32_t v, uint64_t now)
{
	int lvt = lvt_index(reg);
	if (lvt >= 0) {
		set_lvt(l, lvt, v);
		return 0;
	}
	switch (reg) {
	case TG_APIC_TPR:
		l->tpr = v & 0xff;
		return 0;
	case TG_APIC_EOI:
		eoi(l);
		return 0;
	case TG_APIC_SVR:
		write_svr(l, v);
		return 0;
	case TG_APIC_ESR:
		/* A write latches the errors since the previous write [SDM
		 * 10.5.3]. */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case TG_APIC_TMICT:
		if (timer_deadline_mode(l))
			return 0; /* ignored in TSC-deadline mode */
		l->tmict = v;
		timer_start(l, now, v);
		return 0;
	case TG_APIC_TDCR:
		set_tdcr(l, v, now);
		return 0;
	}
	return -1;
}

uint32_t tg_lapic_read(struct tg_lapic *l, uint32_t off, uint64_t now)
{
	uint32_t v = 0;
	if (reg_read(l, off & 0xff0, now, &v) < 0)
		return 0;
	return v;
}

void tg_lapic_write(struct tg_lapic *l, uint32_t off, uint32_t v, uint64_t now)
{
	uint32_t reg = off & 0xff0;
	if (reg_write_common(l, reg, v, now) == 0)
		return;
	switch (reg) {
	case TG_APIC_ID:
		l->id = v >> 24; /* writable in xAPIC mode, as on P6 and KVM */
		break;
	case TG_APIC_LDR:
		l->ldr = v & 0xff000000u;
		break;
	case TG_APIC_DFR:
		l->dfr = v | 0x0fffffffu;
		break;
	case TG_APIC_ICR:
		l->icr_lo = v & ~(1u << 12); /* delivery status reads idle */
		send_ipi(l, l->icr_lo, l->icr_hi >> 24);
		break;
	case TG_APIC_ICR2:
		l->icr_hi = v & 0xff000000u;
		break;
	default:
		break; /* read-only or reserved: dropped */
	}
}

int tg_lapic_msr_read(struct tg_lapic *l, uint32_t msr, uint64_t *val, uint64_t now)
{
	if (!tg_lapic_x2apic(l) || msr < TG_LAPIC_MSR_BASE || msr > TG_LAPIC_MSR_LAST)
		return -1;
	uint32_t reg = (msr - TG_LAPIC_MSR_BASE) << 4;
	/* Not in x2APIC mode [SDM Table 10-6]: APR, RRD, DFR, ICR2 (ICR is
	 * one 64-bit MSR), CMCI (not offered); EOI and SELF IPI are
	 * write-only. */
	switch (reg) {
	case TG_APIC_APR: case TG_APIC_RRD: case TG_APIC_DFR: case TG_APIC_ICR2:
	case TG_APIC_EOI: case TG_APIC_SELF_IPI:
		return -1;
	case TG_APIC_ICR:
		*val = (uint64_t)l->icr_hi << 32 | l->icr_lo;
		return 0;
	}
	uint32_t v;
	if (reg_read(l, reg, now, &v) < 0)
		return -1;
	*val = v;
	return 0;
}

int tg_lapic_msr_write(struct tg_lapic *l, uint32_t msr, uint64_t val, uint64_t now)
{
	if (!tg_lapic_x2apic(l) || msr < TG_LAPIC_MSR_BASE || msr > TG_LAPIC_MSR_LAST)
		return -1;
	uint32_t reg = (msr - TG_LAPIC_MSR_BASE) << 4;
	if (reg == TG_APIC_ICR) {
		l->icr_lo = (uint32_t)val & ~(1u << 12);
		l->icr_hi = (uint32_t)(val >> 32);
		send_ipi(l, l->icr_lo, l->icr_hi);
		return 0;
	}
	/* Only ICR is 64 bits wide [SDM 10.12.1.2]. */
	if (val >> 32)
		return -1;
	uint32_t v = (uint32_t)val;
	switch (reg) {
	case TG_APIC_EOI:
	case TG_APIC_ESR:
		/* A non-zero write is #GP [SDM Table 10-6 notes]. */
		if (v)
			return -1;
		break;
	case TG_APIC_SELF_IPI:
		/* Fixed, edge, to self [SDM 10.12.11]. */
		if ((v & 0xff) < 16) {
			error_irq(l, TG_ESR_SEND_ILLEGAL);
			return 0;
		}
		tg_lapic_accept(l, v & 0xff, false);
		return 0;
	case TG_APIC_TPR: case TG_APIC_SVR: case TG_APIC_TMICT: case TG_APIC_TDCR:
		break;
	default:
		if (lvt_index(reg) < 0)
			return -1; /* read-only or not an x2APIC register */
		break;
	}
	return reg_write_common(l, reg, v, now) == 0 ? 0 : -1;
}
