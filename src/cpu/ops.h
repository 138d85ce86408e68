/* Handler selectors, one per instruction-group file.
 *
 * The decoder produces a struct tg_insn; tg_select() (optab.c) routes it to
 * the selector of the file that owns the opcode, which returns the handler
 * (specialised by operand size or form as it likes, and may precompute
 * fields of the insn). A selector returns NULL for an instruction the model
 * does not implement (KVM_EXIT_INTERNAL_ERROR) and tg_op_ud for one the
 * architecture rejects (#UD). */
#ifndef TG_CPU_OPS_H
#define TG_CPU_OPS_H

#include "cpu.h"

/* alu.c, shift.c, muldiv.c, bitops.c: arithmetic, logic, shifts, multiply
 * and divide, bit operations, CMOVcc/SETcc, MOVZX/MOVSX/MOVSXD, BCD, flag
 * instructions, XADD/CMPXCHG/CMPXCHG8B/16B, BSWAP. */
tg_handler tg_sel_alu(struct tg_insn *d);
/* move.c, stack.c, flow.c, string.c: MOV forms, LEA, XCHG, PUSH/POP,
 * PUSHA/POPA, ENTER/LEAVE, near CALL/RET/JMP/Jcc/LOOP, string instructions
 * with REP (but INS/OUTS: sys), XLAT, NOP and hint NOPs. */
tg_handler tg_sel_move(struct tg_insn *d);
/* system.c, seg.c, io.c, msr.c: segment loads and far transfers, PUSHF/POPF,
 * CLI/STI, HLT, descriptor tables, MOV CR/DR, CPUID, RDMSR/WRMSR, RDTSC(P),
 * IN/OUT/INS/OUTS, INVLPG, SWAPGS, SYSCALL/SYSRET/SYSENTER/SYSEXIT, fences. */
tg_handler tg_sel_sys(struct tg_insn *d);
/* intr.c: INT n, INT3, INTO, ICEBP, IRET. */
tg_handler tg_sel_int(struct tg_insn *d);

/* #UD for the current instruction. */
void tg_op_ud(struct vcpu *c, const struct tg_insn *d);

#endif
