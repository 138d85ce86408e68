/* Near control transfers: CALL, JMP, RET, Jcc, LOOP/LOOPE/LOOPNE, JrCXZ.
 *
 * Target rules [SDM Vol. 2 JMP, CALL, RET, Jcc]:
 * - in 64-bit mode the operand size is 64 (the decoder forces it for the
 *   relative forms; FF /2 and FF /4 are forced here) and a non-canonical
 *   target raises #GP(0) on the branch itself;
 * - elsewhere a 16-bit operand size truncates the target to 16 bits
 *   (EIP[31:16] cleared) and a target beyond the CS limit raises #GP(0)
 *   on the branch.
 * The check comes before anything is committed (the return address push
 * of CALL, the pop of RET, LOOP's count), so a fault leaves RIP on the
 * branch and every register unchanged. */
#include "ops.h"

tg_handler tg_sel_flow(struct tg_insn *d);

static inline uint64_t amask(unsigned asz)
{
	return asz == 8 ? ~0ull : asz == 4 ? 0xffffffffull : 0xffffull;
}

static inline void set_sp(struct vcpu *c, unsigned sa, uint64_t sp)
{
	if (sa == 8)
		c->gpr[R_RSP] = sp;
	else if (sa == 4)
		c->gpr[R_RSP] = (uint32_t)sp;
	else
		c->gpr[R_RSP] = (c->gpr[R_RSP] & ~0xffffull) | (uint16_t)sp;
}

/* The checked target for operand size osz (raises #GP(0)). */
static inline uint64_t near_target(struct vcpu *c, unsigned osz, uint64_t t)
{
	if (osz == 8) {
		if (unlikely(!tg_canonical(t)))
			tg_raise_gp(c, 0);
		return t;
	}
	t = osz == 2 ? (uint16_t)t : (uint32_t)t;
	if (unlikely(t > c->seg[S_CS].limit))
		tg_raise_gp(c, 0);
	return t;
}

/* FF /2, FF /4: 64-bit operand size in 64-bit mode whatever the prefixes
 * (Intel) [SDM CALL, JMP]. */
static inline unsigned ind_osz(const struct vcpu *c, const struct tg_insn *d)
{
	return c->mode == MODE_LONG64 ? 8 : d->osz;
}

/* ---- Jcc: one handler per condition and mode class ----
 * A Jcc does not end a decoded block (the fall-through path continues in
 * it); a taken one leaves the block through exit_block. */

#define JCC(cc)                                                              \
	static void jcc64_##cc(struct vcpu *c, const struct tg_insn *d)      \
	{                                                                    \
		uint64_t next = c->rip + d->len;                             \
		if (tg_cond(c, cc)) {                                        \
			uint64_t t = next + d->imm;                          \
			if (unlikely(!tg_canonical(t)))                         \
				tg_raise_gp(c, 0);                           \
			c->rip = t;                                          \
			if (tg_loop_restart(c, d, t)) {                      \
				c->blk_start->fn(c, c->blk_start);           \
				return;                                      \
			}                                                    \
			c->exit_block = 1;                                   \
		} else {                                                     \
			c->rip = next;                                       \
			TG_NEXT(c, d);                                       \
		}                                                            \
	}                                                                    \
	static void jcc_##cc(struct vcpu *c, const struct tg_insn *d)        \
	{                                                                    \
		if (tg_cond(c, cc)) {                                        \
			c->rip = near_target(c, d->osz,                      \
					     c->rip + d->len + d->imm);      \
			c->exit_block = 1;                                   \
		} else {                                                     \
			tg_advance(c, d);                                    \
		}                                                            \
	}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)
#undef JCC

static const tg_handler jcc64_tab[16] = {
	jcc64_0, jcc64_1, jcc64_2, jcc64_3, jcc64_4, jcc64_5, jcc64_6, jcc64_7,
	jcc64_8, jcc64_9, jcc64_10, jcc64_11, jcc64_12, jcc64_13, jcc64_14, jcc64_15,
};
static const tg_handler jcc_tab[16] = {
	jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
	jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
};

/* ---- JMP ---- */

static void jmp_rel64(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t t = c->rip + d->len + d->imm;
	if (unlikely(!tg_canonical(t)))
		tg_raise_gp(c, 0);
	c->rip = t;
}
static void jmp_rel(struct vcpu *c, const struct tg_insn *d)
{
	c->rip = near_target(c, d->osz, c->rip + d->len + d->imm);
}
/* The target is zero-extended from the operand size [SDM JMP]. */
static void jmp_ind(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = ind_osz(c, d);
	c->rip = near_target(c, osz, tg_rm_read(c, d, osz));
}

/* ---- CALL: the return address (the next instruction's offset) is pushed
 * with the operand size; if the push faults nothing changes. ---- */

static __attribute__((noinline)) void call_rel64_slow(struct vcpu *c,
						     const struct tg_insn *d)
{
	uint64_t next = c->rip + d->len, t = next + d->imm;
	if (unlikely(!tg_canonical(t)))
		tg_raise_gp(c, 0);
	uint64_t sp = c->gpr[R_RSP] - 8;
	tg_write64(c, S_SS, sp, next);
	c->gpr[R_RSP] = sp;
	c->rip = t;
}
/* The fast path is a leaf (canonical target, TLB hit; SS is flat in
 * 64-bit mode [SDM 3.4.2.1]); the rest is a tail call, so the common case
 * saves no registers. */
static void call_rel64(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t next = c->rip + d->len, t = next + d->imm;
	uint64_t sp = c->gpr[R_RSP] - 8;
	uint8_t *p;
	if (likely(tg_canonical(t) && (p = tg_tlb_hit(c, sp, 8, ACC_W)))) {
		memcpy(p, &next, 8);
		c->gpr[R_RSP] = sp;
		c->rip = t;
		return;
	}
	call_rel64_slow(c, d);
}
static void call_rel(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t next = (uint32_t)(c->rip + d->len);
	uint64_t t = near_target(c, d->osz, next + d->imm);
	tg_push(c, d->osz, next);
	c->rip = t;
}
static void call_ind(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = ind_osz(c, d);
	uint64_t next = c->rip + d->len;
	if (osz != 8)
		next = (uint32_t)next;
	uint64_t t = near_target(c, osz, tg_rm_read(c, d, osz));
	tg_push(c, osz, next);
	c->rip = t;
}

/* ---- RET [imm16]: pop, check, then commit RSP (+imm16 for C2) ---- */

static __attribute__((noinline)) void ret64_slow(struct vcpu *c)
{
	uint64_t sp = c->gpr[R_RSP];
	uint64_t t = tg_read64(c, S_SS, sp);
	if (unlikely(!tg_canonical(t)))
		tg_raise_gp(c, 0);
	c->gpr[R_RSP] = sp + 8;
	c->rip = t;
}
static void ret64(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	uint64_t sp = c->gpr[R_RSP], t;
	uint8_t *p;
	if (likely((p = tg_tlb_hit(c, sp, 8, ACC_R)))) {
		memcpy(&t, p, 8);
		if (likely(tg_canonical(t))) {
			c->gpr[R_RSP] = sp + 8;
			c->rip = t;
			return;
		}
	}
	ret64_slow(c);
}
static void ret(struct vcpu *c, const struct tg_insn *d)
{
	unsigned osz = d->osz, sa = tg_stack_asz(c);
	uint64_t sp = c->gpr[R_RSP] & amask(sa);
	uint64_t t = near_target(c, osz, tg_read(c, S_SS, sp, osz));
	uint64_t nsp = sp + osz;
	if (d->opc == 0xc2)
		nsp += (uint16_t)d->imm;
	set_sp(c, sa, nsp);
	c->rip = t;
}

/* ---- LOOP/LOOPE/LOOPNE, JrCXZ: the count register is CX, ECX or RCX by
 * the address size [SDM LOOP/LOOPcc, Jcc (JCXZ/JECXZ/JRCXZ)]. LOOP
 * decrements without touching flags; LOOPE/LOOPNE also test ZF. ---- */

static inline void set_count(struct vcpu *c, unsigned asz, uint64_t v)
{
	if (asz == 8)
		c->gpr[R_RCX] = v;
	else if (asz == 4)
		c->gpr[R_RCX] = (uint32_t)v;
	else
		c->gpr[R_RCX] = (c->gpr[R_RCX] & ~0xffffull) | (uint16_t)v;
}

static void loop(struct vcpu *c, const struct tg_insn *d)
{
	uint64_t cnt = (c->gpr[R_RCX] - 1) & amask(d->asz);
	bool take = cnt != 0;
	if (d->opc == 0xe1)
		take = take && tg_zf(c);
	else if (d->opc == 0xe0)
		take = take && !tg_zf(c);
	uint64_t t = 0;
	if (take)
		t = near_target(c, d->osz, c->rip + d->len + d->imm);
	set_count(c, d->asz, cnt);
	if (take)
		c->rip = t;
	else
		tg_advance(c, d);
}

static void jrcxz(struct vcpu *c, const struct tg_insn *d)
{
	if ((c->gpr[R_RCX] & amask(d->asz)) == 0)
		c->rip = near_target(c, d->osz, c->rip + d->len + d->imm);
	else
		tg_advance(c, d);
}

tg_handler tg_sel_flow(struct tg_insn *d)
{
	/* The decoder forces operand size 64 on the relative forms in 64-bit
	 * mode and nowhere else: osz 8 identifies 64-bit mode for them. */
	bool m64 = d->osz == 8;
	if (d->map == 1) /* 0F 80-8F: Jcc rel16/32 */
		return m64 ? jcc64_tab[d->opc & 15] : jcc_tab[d->opc & 15];
	switch (d->opc) {
	case 0x70 ... 0x7f:
		return m64 ? jcc64_tab[d->opc & 15] : jcc_tab[d->opc & 15];
	case 0xe9: case 0xeb:
		return m64 ? jmp_rel64 : jmp_rel;
	case 0xe8:
		return m64 ? call_rel64 : call_rel;
	case 0xc2:
		return ret;
	case 0xc3:
		return m64 ? ret64 : ret;
	case 0xe0: case 0xe1: case 0xe2:
		return loop;
	case 0xe3:
		return jrcxz;
	case 0xff:
		return d->reg == 2 ? call_ind : jmp_ind;
	}
	return 0;
}
