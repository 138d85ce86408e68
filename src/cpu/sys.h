/* System instructions: internal interface between system.c (the selector
 * and the small privileged instructions), seg.c (segment loads), sys_far.c
 * (far transfers), sys_desc.c (descriptor-table instructions), sys_cr.c
 * (MOV CR/DR), io.c (port I/O) and cpuid.c. */
#ifndef TG_CPU_SYS_H
#define TG_CPU_SYS_H

#include "seg.h"

/* Descriptor fields [SDM 3.4.5, Figure 3-8]. */
static inline unsigned desc_type(uint64_t d) { return (d >> 40) & 0xf; }
static inline bool desc_s(uint64_t d) { return (d >> 44) & 1; }
static inline unsigned desc_dpl(uint64_t d) { return (d >> 45) & 3; }
static inline bool desc_p(uint64_t d) { return (d >> 47) & 1; }
static inline bool desc_l(uint64_t d) { return (d >> 53) & 1; }
static inline bool desc_db(uint64_t d) { return (d >> 54) & 1; }
/* code/data descriptor (S=1) types: bit 3 code, bit 2 conforming (code) /
 * expand-down (data), bit 1 readable (code) / writable (data) */
static inline bool desc_is_code(uint64_t d) { return desc_s(d) && (desc_type(d) & 8); }
static inline bool desc_is_data(uint64_t d) { return desc_s(d) && !(desc_type(d) & 8); }
static inline bool desc_conforming(uint64_t d) { return desc_is_code(d) && (desc_type(d) & 4); }

/* Error code of a selector-related fault: index and TI, with EXT and IDT
 * clear for a fault caused by the instruction itself [SDM 6.13]. */
static inline uint32_t sel_err(uint16_t sel) { return sel & 0xfffc; }

static inline unsigned tg_iopl(const struct vcpu *c) { return (c->rflags >> 12) & 3; }
static inline bool tg_long_active(const struct vcpu *c) { return c->efer & EFER_LMA; }
/* Real-address mode and virtual-8086 mode load segments as selector*16. */
static inline bool tg_realish(const struct vcpu *c)
{
	return c->mode == MODE_REAL || c->mode == MODE_VM86;
}

/* Stack pointer arithmetic with a stack-address size of 2, 4 or 8. */
static inline uint64_t sp_mask(unsigned sa, uint64_t v)
{
	return sa == 8 ? v : sa == 4 ? (uint32_t)v : (uint16_t)v;
}
/* Commit a new stack pointer: a 16-bit stack changes SP only, a 32-bit
 * one zero-extends into RSP [SDM 6.2.3]. */
static inline void sp_commit(struct vcpu *c, unsigned sa, uint64_t sp)
{
	if (sa == 8)
		c->gpr[R_RSP] = sp;
	else if (sa == 4)
		c->gpr[R_RSP] = (uint32_t)sp;
	else
		c->gpr[R_RSP] = (c->gpr[R_RSP] & ~0xffffull) | (uint16_t)sp;
}
/* Effective address plus n, wrapping at the address size. */
static inline uint64_t ea_add(const struct tg_insn *d, uint64_t ea, uint64_t n)
{
	return d->asz == 8 ? ea + n : d->asz == 4 ? (uint32_t)(ea + n) : (uint16_t)(ea + n);
}
/* Offset within a segment cache's limit (expand-down aware) [SDM 5.3]. */
static inline bool seg_limit_ok(const struct kvm_segment *s, uint64_t off,
				unsigned size)
{
	uint64_t last = off + size - 1;
	if (s->s && !(s->type & 8) && (s->type & 4)) {
		uint64_t top = s->db ? 0xffffffffull : 0xffffull;
		return off > s->limit && last <= top && last >= off;
	}
	return last <= s->limit && last >= off;
}

/* ---- seg.c: segment register loads [SDM Vol. 2 MOV, POP, LDS; 5.10] ---- */
/* Load ES/SS/DS/FS/GS with `sel` in the current mode, with every
 * protected-mode check; commits the register and recomputes the mode.
 * Must be the last faulting step of the calling instruction. */
void tg_load_sreg(struct vcpu *c, int sreg, uint16_t sel);
/* The checks alone (protected mode): fills *s with the new cache (accessed
 * bit set in memory and in *s). */
void tg_check_sreg(struct vcpu *c, int sreg, uint16_t sel, struct kvm_segment *s);
/* Stack pointer for a privilege change, from the current TSS [SDM 7.2.1,
 * 7.7; 64-bit: 7.7 Figure 7-11]: *ss is the selector (64-bit TSS: 0), *sp
 * the stack pointer. #TS(TR selector) when the entry is beyond the limit. */
void tg_tss_stack(struct vcpu *c, unsigned dpl, uint16_t *ss, uint64_t *sp);
/* The MOV SS / POP SS interrupt shadow [SDM 6.8.3]. */
void tg_set_movss_shadow(struct vcpu *c);
/* CS cache for a code segment descriptor, with RPL = cpl and the accessed
 * bit set in the cache; the caller sets it in memory (tg_set_desc_accessed)
 * before committing anything, since that write may fault. */
void tg_load_cs_desc(struct vcpu *c, uint64_t desc, uint16_t sel, unsigned cpl);
/* Flat 4 GiB segments SYSCALL/SYSENTER and their returns load
 * [SDM Vol. 2 SYSCALL, SYSENTER]. */
void tg_flat_code(struct kvm_segment *s, uint16_t sel, unsigned dpl, bool l);
void tg_flat_stack(struct kvm_segment *s, uint16_t sel, unsigned dpl);
/* Segment registers whose DPL is below the new CPL become null after a
 * return to an outer privilege level [SDM Vol. 2 RET, IRET]. */
void tg_null_outer_segs(struct vcpu *c, unsigned new_cpl);

/* ---- sub-selectors ---- */
tg_handler tg_sel_sys_seg(struct tg_insn *d);   /* sys_seg.c: MOV/PUSH/POP Sreg, LxS */
tg_handler tg_sel_sys_far(struct tg_insn *d);   /* sys_far.c: far JMP/CALL/RET */
tg_handler tg_sel_sys_desc(struct tg_insn *d);  /* sys_desc.c: 0F 00-03 */
tg_handler tg_sel_sys_cr(struct tg_insn *d);    /* sys_cr.c: 0F 20-23, CLTS */
tg_handler tg_sel_sys_io(struct tg_insn *d);    /* io.c */
void tg_op_cpuid(struct vcpu *c, const struct tg_insn *d); /* cpuid.c */

/* CR writes shared by MOV CR and LMSW (sys_cr.c): raise #GP(0) for an
 * invalid value, otherwise commit with the TLB and mode side effects. */
void tg_write_cr0(struct vcpu *c, uint64_t v);

/* CPUID values (cpuid.c), also usable by the API. */
void tg_cpuid(const struct vcpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

#endif
