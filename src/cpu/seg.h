/* Segment descriptors: reading them from the GDT/LDT and turning them into
 * segment-register caches [SDM Vol. 3A 3.4.5, 3.5]. Shared by segment
 * loads, far transfers, task state and interrupt delivery. */
#ifndef TG_CPU_SEG_H
#define TG_CPU_SEG_H

#include "cpu.h"

/* Read the 8-byte descriptor for `sel` from the GDT or LDT (TI bit).
 * Returns false if the selector is beyond the table limit (or TI=1 with an
 * unusable LDT); the caller raises the fault its instruction defines.
 * Table reads are implicit supervisor accesses (may raise #PF). */
bool tg_read_desc(struct vcpu *c, uint16_t sel, uint64_t *desc);
/* 16-byte system descriptors in long mode (TSS, LDT, call gates). */
bool tg_read_desc16(struct vcpu *c, uint16_t sel, uint64_t desc[2]);
/* Set the accessed bit of a code/data descriptor in memory. */
void tg_set_desc_accessed(struct vcpu *c, uint16_t sel);
/* Descriptor -> segment cache (base, scaled limit, attributes). */
void tg_desc_to_seg(uint64_t desc, uint16_t sel, struct kvm_segment *s);
/* Real-mode / VM86 style load: base = sel << 4, other attributes kept. */
void tg_load_real_seg(struct vcpu *c, int sreg, uint16_t sel);

#endif
