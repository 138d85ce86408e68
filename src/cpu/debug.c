/* Breakpoint matching and DR6 arithmetic. */
#include "debug.h"

static inline unsigned bp_rw(uint64_t dr7, int n) { return (dr7 >> (16 + 4 * n)) & 3; }
static inline unsigned bp_len(uint64_t dr7, int n) { return (dr7 >> (18 + 4 * n)) & 3; }
static inline bool bp_enabled(uint64_t dr7, int n) { return (dr7 >> (2 * n)) & 3; }

/* LEN 00 = 1 byte, 01 = 2, 10 = 8 (64-bit CPUs), 11 = 4 [SDM 17.2.5]. */
static inline uint64_t len_mask(unsigned len)
{
	static const uint8_t m[4] = { 0, 1, 7, 3 };
	return m[len];
}

uint64_t tg_rip_linear(const struct vcpu *c)
{
	if (c->mode == MODE_LONG64)
		return c->rip;
	return (uint32_t)(c->seg[S_CS].base + c->rip);
}

/* Execute breakpoints match the address of the instruction's first byte,
 * prefixes included [SDM 17.2.4; spec 5.3]. */
/* With KVM_GUESTDBG_USE_HW_BP the host's debugreg[0..3,7] are the ones in
 * effect; the guest keeps reading and writing its own (spec 7.1). */
static inline const uint64_t *eff_dr(const struct vcpu *c)
{
	return tg_host_bp(c) ? c->host_dr : c->dr;
}

uint32_t tg_debug_code_match(const struct vcpu *c, uint64_t lin)
{
	const uint64_t *dr = eff_dr(c), dr7 = tg_eff_dr7(c);
	uint32_t hit = 0;
	for (int n = 0; n < 4; n++)
		if (bp_enabled(dr7, n) && bp_rw(dr7, n) == 0 && dr[n] == lin)
			hit |= DR6_B(n);
	return hit;
}

/* Data and I/O hits go to the guest's causes, or to the host's when the
 * host's breakpoints are in effect. */
static inline uint32_t *hit_sink(struct vcpu *c)
{
	return tg_host_bp(c) ? &c->host_dbg : &c->insn_dbg;
}

/* Any byte of the access inside [DRn & ~mask, DRn | mask] matches, so an
 * unaligned access straddling the range edge hits too [spec 5.3]. Only
 * enabled breakpoints are reported (KVM's choice; the SDM lets a disabled
 * one that matches at the same time "may or may not" appear: UNVERIFIED). */
void tg_debug_data_access(struct vcpu *c, uint64_t lin, unsigned size, bool write)
{
	const uint64_t *dr = eff_dr(c), dr7 = tg_eff_dr7(c);
	uint64_t last = lin + size - 1;
	for (int n = 0; n < 4; n++) {
		unsigned rw = bp_rw(dr7, n);
		if (!bp_enabled(dr7, n) || !(rw == 1 || rw == 3))
			continue;
		if (rw == 1 && !write)
			continue;
		uint64_t m = len_mask(bp_len(dr7, n));
		uint64_t lo = dr[n] & ~m, hi = lo + m;
		if (c->mode != MODE_LONG64) {
			lo = (uint32_t)lo;
			hi = (uint32_t)hi;
		}
		if (lin <= hi && last >= lo)
			*hit_sink(c) |= DR6_B(n) | DBG_ENABLED_BP;
	}
}

/* I/O breakpoints exist only with CR4.DE=1; DRn holds the port [SDM
 * 17.2.4; spec 5.2]. */
void tg_debug_io_access(struct vcpu *c, uint16_t port, unsigned size)
{
	if (!(c->cr4 & CR4_DE))
		return;
	const uint64_t *dr = eff_dr(c), dr7 = tg_eff_dr7(c);
	uint64_t last = (uint64_t)port + size - 1;
	for (int n = 0; n < 4; n++) {
		if (!bp_enabled(dr7, n) || bp_rw(dr7, n) != 2)
			continue;
		uint64_t m = len_mask(bp_len(dr7, n));
		uint64_t lo = (dr[n] & 0xffff) & ~m, hi = lo + m;
		if (port <= hi && last >= lo)
			*hit_sink(c) |= DR6_B(n) | DBG_ENABLED_BP;
	}
}

bool tg_debug_page_watched(const struct vcpu *c, uint64_t lin_page)
{
	const uint64_t *dr = eff_dr(c), dr7 = tg_eff_dr7(c);
	if (!(dr7 & 0xff))
		return false;
	for (int n = 0; n < 4; n++) {
		unsigned rw = bp_rw(dr7, n);
		if (!bp_enabled(dr7, n) || !(rw == 1 || rw == 3))
			continue;
		uint64_t m = len_mask(bp_len(dr7, n));
		uint64_t lo = dr[n] & ~m;
		if (c->mode != MODE_LONG64)
			lo = (uint32_t)lo;
		if ((lo & ~0xfffull) == lin_page || ((lo + m) & ~0xfffull) == lin_page)
			return true;
	}
	return false;
}

void tg_debug_regs_changed(struct vcpu *c)
{
	tg_tlb_flush(c);
	tg_recompute_boundary(c);
}

/* [spec 7.5] B0-B3 replaced, BD/BS/BT sticky, active-low bits 11 and 16
 * reset to 1 unless asserted by the payload, bit 12 never visible. */
uint64_t tg_dr6_apply_payload(uint64_t dr6, uint64_t payload)
{
	dr6 &= ~(uint64_t)DR6_BMASK;
	dr6 |= DR6_ACTIVE_LOW;
	dr6 |= payload;
	dr6 ^= payload & DR6_ACTIVE_LOW;
	dr6 &= ~(uint64_t)DBG_ENABLED_BP;
	return dr6;
}

_Noreturn void tg_exit_debug(struct vcpu *c, uint32_t exception, uint64_t dr6)
{
	struct kvm_run *run = c->run;
	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = exception;
	run->debug.arch.pc = tg_rip_linear(c);
	run->debug.arch.dr6 = dr6;
	run->debug.arch.dr7 = tg_eff_dr7(c);
	tg_exit(c);
}
