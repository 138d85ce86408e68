/* x86 instruction decoder: prefixes, REX, opcode maps, ModRM/SIB,
 * displacement and immediates, into a struct tg_insn. */
#ifndef TG_CPU_DECODE_H
#define TG_CPU_DECODE_H

#include "vcpu.h"

enum tg_decode_result {
	DEC_OK = 0,
	DEC_MORE = 1, /* needs more than `avail` bytes */
	DEC_UD = 2,   /* invalid opcode or prefix use: #UD */
	DEC_GP = 3,   /* longer than 15 bytes: #GP(0) [SDM 2.3.11] */
};

/* Decode one instruction from `b` (avail bytes) in the given mode; `cs_d`
 * is CS.D (default operand/address size 32 outside 64-bit mode). */
int tg_decode(const uint8_t *b, unsigned avail, int mode, bool cs_d,
	      struct tg_insn *d);

/* Does this instruction end a decoded block? (control transfers, and
 * instructions that may change mode, mapping, or interrupt state) */
bool tg_insn_ends_block(const struct tg_insn *d);

/* Choose the handler for a decoded instruction (optab.c). May refine
 * fields of d. Returns NULL when the model does not implement it. */
tg_handler tg_select(struct tg_insn *d);

#endif
