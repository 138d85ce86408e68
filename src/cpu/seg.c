/* Descriptor tables and segment caches [SDM Vol. 3A 3.4-3.5]. */
#include "seg.h"

bool tg_read_desc(struct vcpu *c, uint16_t sel, uint64_t *desc)
{
	uint64_t base, limit;
	if (sel & 4) {
		if (c->ldt.unusable || !c->ldt.present)
			return false;
		base = c->ldt.base;
		limit = c->ldt.limit;
	} else {
		base = c->gdt.base;
		limit = c->gdt.limit;
	}
	uint64_t off = sel & ~7u;
	if (off + 7 > limit)
		return false;
	/* GDTR/LDTR bases are 64-bit whenever IA-32e mode is active,
	 * compatibility mode included [SDM 3.5.2]. */
	uint64_t lin = base + off;
	if (!(c->efer & EFER_LMA))
		lin = (uint32_t)lin;
	*desc = tg_read_lin(c, lin, 8, ACC_R | ACC_SUP);
	return true;
}

bool tg_read_desc16(struct vcpu *c, uint16_t sel, uint64_t desc[2])
{
	uint64_t base, limit;
	if (sel & 4) {
		if (c->ldt.unusable || !c->ldt.present)
			return false;
		base = c->ldt.base;
		limit = c->ldt.limit;
	} else {
		base = c->gdt.base;
		limit = c->gdt.limit;
	}
	uint64_t off = sel & ~7u;
	if (off + 15 > limit)
		return false;
	desc[0] = tg_read_lin(c, base + off, 8, ACC_R | ACC_SUP);
	desc[1] = tg_read_lin(c, base + off + 8, 8, ACC_R | ACC_SUP);
	return true;
}

void tg_set_desc_accessed(struct vcpu *c, uint16_t sel)
{
	uint64_t base = (sel & 4) ? c->ldt.base : c->gdt.base;
	uint64_t lin = base + (sel & ~7u) + 5;
	if (!(c->efer & EFER_LMA))
		lin = (uint32_t)lin;
	uint8_t access = (uint8_t)tg_read_lin(c, lin, 1, ACC_R | ACC_SUP);
	if (!(access & 1))
		tg_write_lin(c, lin, 1, access | 1, ACC_W | ACC_SUP);
}

void tg_desc_to_seg(uint64_t d, uint16_t sel, struct kvm_segment *s)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	bool g = (d >> 55) & 1;
	*s = (struct kvm_segment){
		.base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000),
		.limit = g ? (limit << 12) | 0xfff : limit,
		.selector = sel,
		.type = (d >> 40) & 0xf,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.present = (d >> 47) & 1,
		.avl = (d >> 52) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = g,
	};
}

void tg_load_real_seg(struct vcpu *c, int sreg, uint16_t sel)
{
	struct kvm_segment *s = &c->seg[sreg];
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	if (c->mode == MODE_VM86) {
		/* VM86 segments are always 64 KiB, DPL 3 read/write [SDM 20.1.1] */
		s->limit = 0xffff;
		s->dpl = 3;
		s->present = 1;
		s->s = 1;
		s->type = sreg == S_CS ? 0xb : 0x3;
		s->db = s->l = s->g = 0;
		s->unusable = 0;
	}
	tg_recompute_mode(c);
}

/* ---- segment register loads (system instructions) ---- */

#include "sys.h"

void tg_check_sreg(struct vcpu *c, int sreg, uint16_t sel, struct kvm_segment *s)
{
	const unsigned cpl = c->cpl, rpl = sel & 3;
	uint64_t d;
	if ((sel & ~3u) == 0) {
		/* Null selector [SDM Vol. 2 MOV]: #GP(0) for SS, except in
		 * 64-bit mode at CPL < 3 with RPL = CPL; DS/ES/FS/GS become
		 * unusable and fault on use. Intel clears the base. */
		if (sreg == S_SS) {
			if (c->mode != MODE_LONG64 || cpl == 3 || rpl != cpl)
				tg_raise_gp(c, 0);
			*s = (struct kvm_segment){ .selector = sel, .dpl = (uint8_t)cpl,
						   .unusable = 1 };
			return;
		}
		*s = (struct kvm_segment){ .selector = sel, .unusable = 1 };
		return;
	}
	if (!tg_read_desc(c, sel, &d))
		tg_raise_gp(c, sel_err(sel));
	if (sreg == S_SS) {
		/* SS: writable data, RPL = DPL = CPL; not present is #SS. */
		if (rpl != cpl || !desc_is_data(d) || !(desc_type(d) & 2) ||
		    desc_dpl(d) != cpl)
			tg_raise_gp(c, sel_err(sel));
		if (!desc_p(d))
			tg_raise_ss(c, sel_err(sel));
	} else {
		/* Data or readable code; unless conforming code, DPL must be
		 * >= both CPL and RPL [SDM 5.6]. */
		bool readable = desc_is_data(d) ||
				(desc_is_code(d) && (desc_type(d) & 2));
		if (!readable)
			tg_raise_gp(c, sel_err(sel));
		if (!desc_conforming(d) && (rpl > desc_dpl(d) || cpl > desc_dpl(d)))
			tg_raise_gp(c, sel_err(sel));
		if (!desc_p(d))
			tg_raise_np(c, sel_err(sel));
	}
	tg_set_desc_accessed(c, sel);
	tg_desc_to_seg(d | (1ull << 40), sel, s);
}

void tg_load_sreg(struct vcpu *c, int sreg, uint16_t sel)
{
	if (tg_realish(c)) {
		tg_load_real_seg(c, sreg, sel);
		return;
	}
	struct kvm_segment s;
	tg_check_sreg(c, sreg, sel, &s);
	c->seg[sreg] = s;
	tg_recompute_mode(c);
}

void tg_tss_stack(struct vcpu *c, unsigned dpl, uint16_t *ss, uint64_t *sp)
{
	const struct kvm_segment *tr = &c->tr;
	const uint32_t err = sel_err(tr->selector);
	uint64_t off;
	if (c->efer & EFER_LMA) {
		/* 64-bit TSS: RSPn at 4 + 8n; SS becomes null [SDM 7.7] */
		off = 4 + dpl * 8;
		if (off + 7 > tr->limit)
			tg_raise_ts(c, err);
		*sp = tg_read_lin(c, tr->base + off, 8, ACC_R | ACC_SUP);
		*ss = 0;
	} else if (!(tr->type & 8)) {
		/* 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n [SDM 7.6] */
		off = 2 + dpl * 4;
		if (off + 3 > tr->limit)
			tg_raise_ts(c, err);
		*sp = tg_read_lin(c, (uint32_t)(tr->base + off), 2, ACC_R | ACC_SUP);
		*ss = (uint16_t)tg_read_lin(c, (uint32_t)(tr->base + off + 2), 2,
					    ACC_R | ACC_SUP);
	} else {
		/* 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n [SDM 7.2.1] */
		off = 4 + dpl * 8;
		if (off + 5 > tr->limit)
			tg_raise_ts(c, err);
		*sp = tg_read_lin(c, (uint32_t)(tr->base + off), 4, ACC_R | ACC_SUP);
		*ss = (uint16_t)tg_read_lin(c, (uint32_t)(tr->base + off + 4), 2,
					    ACC_R | ACC_SUP);
	}
}

void tg_set_movss_shadow(struct vcpu *c)
{
	/* Back-to-back shadows do not extend: the instruction after a MOV SS
	 * that itself loads SS opens no new window [SDM 6.8.3]. */
	if (c->shadow_prev != SHADOW_MOVSS)
		c->shadow = SHADOW_MOVSS;
	tg_recompute_boundary(c);
}

void tg_load_cs_desc(struct vcpu *c, uint64_t desc, uint16_t sel, unsigned cpl)
{
	tg_desc_to_seg(desc | (1ull << 40), (uint16_t)((sel & ~3u) | cpl),
		       &c->seg[S_CS]);
}

void tg_flat_code(struct kvm_segment *s, uint16_t sel, unsigned dpl, bool l)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				   .type = 11, .s = 1, .dpl = (uint8_t)dpl,
				   .present = 1, .l = l, .db = !l, .g = 1 };
}

void tg_flat_stack(struct kvm_segment *s, uint16_t sel, unsigned dpl)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				   .type = 3, .s = 1, .dpl = (uint8_t)dpl,
				   .present = 1, .db = 1, .g = 1 };
}

void tg_null_outer_segs(struct vcpu *c, unsigned new_cpl)
{
	static const int regs[] = { S_ES, S_DS, S_FS, S_GS };
	for (unsigned i = 0; i < 4; i++) {
		struct kvm_segment *s = &c->seg[regs[i]];
		bool conforming = (s->type & 0xc) == 0xc;
		if (!s->unusable && !conforming && s->dpl < new_cpl) {
			s->selector = 0;
			s->unusable = 1;
		}
	}
}
