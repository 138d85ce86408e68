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
	uint64_t lin = base + off;
	if (c->mode != MODE_LONG64)
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
	if (c->mode != MODE_LONG64)
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
