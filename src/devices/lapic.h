/* A local APIC for one vCPU, kept by the VMM as a userspace irqchip does
 * (KVM without KVM_CREATE_IRQCHIP, QEMU kernel_irqchip=off): the xAPIC
 * register page and the x2APIC MSRs 0x800-0x8FF reach it through exits.
 * [SDM Vol. 3A ch. 10 "Advanced Programmable Interrupt Controller"; the
 * register map is Table 10-1, the x2APIC MSR map Table 10-6.]
 *
 * Pure device state: no vCPU, no clock of its own. Time is passed in as
 * `now` in nanoseconds of the machine's clock; the APIC timer counts at
 * 1 GHz before the divider (KVM's APIC bus cycle is 1 ns too), and the
 * TSC-deadline timer compares with the guest TSC the machine passes in.
 * Interrupts leave through tg_lapic_ack(); NMIs and EOIs of level-triggered
 * vectors through the counters/callback below. */
#ifndef TG_DEVICES_LAPIC_H
#define TG_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TG_LAPIC_DEFAULT_BASE 0xfee00000u
#define TG_LAPIC_MSR_BASE 0x800u
#define TG_LAPIC_MSR_LAST 0x8ffu
#define TG_MSR_APIC_BASE 0x1bu
#define TG_MSR_TSC_DEADLINE 0x6e0u

/* IA32_APIC_BASE bits [SDM 10.4.4] */
#define TG_APIC_BASE_BSP (1u << 8)
#define TG_APIC_BASE_EXTD (1u << 10)
#define TG_APIC_BASE_EN (1u << 11)

/* Register offsets in the xAPIC page [SDM Table 10-1] */
enum {
	TG_APIC_ID = 0x20, TG_APIC_VER = 0x30, TG_APIC_TPR = 0x80,
	TG_APIC_APR = 0x90, TG_APIC_PPR = 0xa0, TG_APIC_EOI = 0xb0,
	TG_APIC_RRD = 0xc0, TG_APIC_LDR = 0xd0, TG_APIC_DFR = 0xe0,
	TG_APIC_SVR = 0xf0, TG_APIC_ISR = 0x100, TG_APIC_TMR = 0x180,
	TG_APIC_IRR = 0x200, TG_APIC_ESR = 0x280, TG_APIC_LVT_CMCI = 0x2f0,
	TG_APIC_ICR = 0x300, TG_APIC_ICR2 = 0x310, TG_APIC_LVTT = 0x320,
	TG_APIC_LVT_THERMAL = 0x330, TG_APIC_LVT_PERF = 0x340,
	TG_APIC_LVT0 = 0x350, TG_APIC_LVT1 = 0x360, TG_APIC_LVT_ERR = 0x370,
	TG_APIC_TMICT = 0x380, TG_APIC_TMCCT = 0x390, TG_APIC_TDCR = 0x3e0,
	TG_APIC_SELF_IPI = 0x3f0,
};

/* LVT indices (tg_lapic.lvt[]) in register order */
enum { TG_LVT_CMCI, TG_LVT_TIMER, TG_LVT_THERMAL, TG_LVT_PERF, TG_LVT_LINT0,
       TG_LVT_LINT1, TG_LVT_ERROR, TG_LVT_N };

#define TG_LVT_MASKED (1u << 16)
#define TG_LVT_LEVEL (1u << 15)
#define TG_LVT_REMOTE_IRR (1u << 14)
#define TG_LVT_TIMER_MODE(v) (((v) >> 17) & 3u)
#define TG_DM_FIXED 0u
#define TG_DM_LOWEST 1u
#define TG_DM_SMI 2u
#define TG_DM_NMI 4u
#define TG_DM_INIT 5u
#define TG_DM_STARTUP 6u
#define TG_DM_EXTINT 7u

/* ESR bits [SDM 10.5.3] */
#define TG_ESR_SEND_ILLEGAL (1u << 5)
#define TG_ESR_RECV_ILLEGAL (1u << 6)
#define TG_ESR_ILLEGAL_REG (1u << 7)

#define TG_TIME_NEVER UINT64_MAX

struct tg_lapic {
	uint32_t id;            /* APIC ID; xAPIC reads it in bits 31:24 */
	uint64_t apic_base;     /* IA32_APIC_BASE as the VMM last saw it */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending; /* ESR as last latched; errors since */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[TG_LVT_N];
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t tdcr;
	unsigned div_shift;     /* the timer divides the 1 GHz clock by 1 << this */
	uint32_t tmict;
	/* One-shot/periodic timer: the count was tmict (or cur_start) at
	 * t_start; it expires at t_expire (TG_TIME_NEVER when stopped). */
	uint64_t t_start, t_expire;
	uint32_t cur_start;
	uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE; 0 = disarmed */
	/* Outputs the machine collects */
	unsigned nmi_pending;   /* NMIs to inject (self-NMI, LVT NMI mode) */
	uint64_t timer_fires;   /* timer expiries (delivered or masked) */
	void (*eoi_level)(void *opaque, uint8_t vector); /* to the IO-APIC */
	void *opaque;
	FILE *log;
	bool logged_ipi, logged_mode;
};

void tg_lapic_init(struct tg_lapic *l, uint32_t id, FILE *log);
/* Power-up / INIT state [SDM 10.4.7.1]: every LVT masked, SVR 0xFF
 * (software-disabled), TPR 0, DFR all ones, timer stopped. */
void tg_lapic_reset(struct tg_lapic *l);

/* IA32_APIC_BASE changed (the VMM reads it from the vCPU): EN cleared
 * resets the APIC [SDM 10.4.3]; EXTD switches the ID/LDR to x2APIC form
 * [SDM 10.12.5.1]. */
void tg_lapic_set_base(struct tg_lapic *l, uint64_t apic_base);
bool tg_lapic_hw_enabled(const struct tg_lapic *l);
bool tg_lapic_x2apic(const struct tg_lapic *l);
bool tg_lapic_sw_enabled(const struct tg_lapic *l);
uint64_t tg_lapic_mmio_base(const struct tg_lapic *l);

/* xAPIC MMIO: a 32-bit register at page offset `off` (low 4 bits
 * ignored). Writes to read-only registers are dropped. */
uint32_t tg_lapic_read(struct tg_lapic *l, uint32_t off, uint64_t now);
void tg_lapic_write(struct tg_lapic *l, uint32_t off, uint32_t val, uint64_t now);

/* x2APIC MSRs (RDMSR/WRMSR of 0x800-0x8FF): 0, or -1 for #GP(0) (x2APIC
 * mode off, no such register, read of a write-only register, write of a
 * read-only one, reserved bits) [SDM 10.12.1.2-3]. */
int tg_lapic_msr_read(struct tg_lapic *l, uint32_t msr, uint64_t *val, uint64_t now);
int tg_lapic_msr_write(struct tg_lapic *l, uint32_t msr, uint64_t val, uint64_t now);

/* IA32_TSC_DEADLINE [SDM 10.5.4.1]: reads 0 unless armed in TSC-deadline
 * mode; writes outside that mode are ignored; 0 disarms. */
uint64_t tg_lapic_deadline_read(const struct tg_lapic *l);
void tg_lapic_deadline_write(struct tg_lapic *l, uint64_t v, uint64_t tsc);

/* Time: fire what expired by `now` / guest TSC `tsc`; the next expiry in
 * `now` units (TG_TIME_NEVER: none), and in TSC units for the deadline. */
void tg_lapic_advance(struct tg_lapic *l, uint64_t now, uint64_t tsc);
uint64_t tg_lapic_next_timer(const struct tg_lapic *l);
uint64_t tg_lapic_next_deadline(const struct tg_lapic *l); /* TSC; 0 none */

/* A fixed interrupt arrives (IPI, LVT, IO-APIC) [SDM 10.8.3]: vectors
 * 0-15 are illegal (ESR receive error). */
void tg_lapic_accept(struct tg_lapic *l, uint8_t vector, bool level);
/* The highest IRR vector whose priority class beats PPR, or -1 [SDM
 * 10.8.3.1]; tg_lapic_ack() moves it from IRR to ISR (INTA). */
int tg_lapic_pending(const struct tg_lapic *l);
int tg_lapic_ack(struct tg_lapic *l);
/* Undo tg_lapic_ack(v): the VMM took the vector back from the vCPU
 * before it was delivered (ISR -> IRR). */
void tg_lapic_unack(struct tg_lapic *l, uint8_t v);
/* Whether the 8259's INTR reaches the CPU through LINT0 (ExtINT, not
 * masked) or directly (APIC globally disabled) [SDM 10.5.1, 10.4.3]. */
bool tg_lapic_accepts_pic(const struct tg_lapic *l);
/* LINT0/LINT1 pin raised by a device (NMI or fixed per the LVT). */
void tg_lapic_lint(struct tg_lapic *l, int pin);

uint32_t tg_lapic_ppr(const struct tg_lapic *l);
/* TPR changed through CR8 (the vCPU's copy): CR8 = TPR[7:4] [SDM 10.8.6.1]. */
void tg_lapic_set_cr8(struct tg_lapic *l, uint64_t cr8);

#endif
