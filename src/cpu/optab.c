/* Opcode routing: which instruction-group file owns each opcode. */
#include "decode.h"
#include "ops.h"

void tg_op_ud(struct vcpu *c, const struct tg_insn *d)
{
	(void)d;
	tg_raise_ud(c);
}

enum { O_NONE = 0, O_ALU, O_MOVE, O_SYS, O_INT, O_UD, O_GRP };

/* One-byte map. O_GRP: routed by ModRM.reg below. */
static const uint8_t own0[256] = {
	[0x00 ... 0x05] = O_ALU, [0x06 ... 0x07] = O_SYS,
	[0x08 ... 0x0d] = O_ALU, [0x0e] = O_SYS,
	[0x10 ... 0x15] = O_ALU, [0x16 ... 0x17] = O_SYS,
	[0x18 ... 0x1d] = O_ALU, [0x1e ... 0x1f] = O_SYS,
	[0x20 ... 0x25] = O_ALU, [0x27] = O_ALU,
	[0x28 ... 0x2d] = O_ALU, [0x2f] = O_ALU,
	[0x30 ... 0x35] = O_ALU, [0x37] = O_ALU,
	[0x38 ... 0x3d] = O_ALU, [0x3f] = O_ALU,
	[0x40 ... 0x4f] = O_ALU,
	[0x50 ... 0x5f] = O_MOVE,
	[0x60 ... 0x61] = O_MOVE, [0x62] = O_SYS, [0x63] = O_GRP,
	[0x68] = O_MOVE, [0x69] = O_ALU, [0x6a] = O_MOVE, [0x6b] = O_ALU,
	[0x6c ... 0x6f] = O_SYS,
	[0x70 ... 0x7f] = O_MOVE,
	[0x80 ... 0x85] = O_ALU,
	[0x86 ... 0x8b] = O_MOVE, [0x8c] = O_SYS, [0x8d] = O_MOVE,
	[0x8e] = O_SYS, [0x8f] = O_MOVE,
	[0x90 ... 0x97] = O_MOVE,
	[0x98 ... 0x99] = O_ALU, [0x9a] = O_SYS, [0x9b] = O_MOVE,
	[0x9c ... 0x9d] = O_SYS, [0x9e ... 0x9f] = O_ALU,
	[0xa0 ... 0xa7] = O_MOVE, [0xa8 ... 0xa9] = O_ALU,
	[0xaa ... 0xaf] = O_MOVE,
	[0xb0 ... 0xbf] = O_MOVE,
	[0xc0 ... 0xc1] = O_ALU, [0xc2 ... 0xc3] = O_MOVE,
	[0xc4 ... 0xc5] = O_SYS, [0xc6 ... 0xc9] = O_MOVE,
	[0xca ... 0xcb] = O_SYS, [0xcc ... 0xcf] = O_INT,
	[0xd0 ... 0xd6] = O_ALU, [0xd7] = O_MOVE,
	[0xd8 ... 0xdf] = O_SYS, /* x87: the model has no FPU */
	[0xe0 ... 0xe3] = O_MOVE, [0xe4 ... 0xe7] = O_SYS,
	[0xe8 ... 0xe9] = O_MOVE, [0xea] = O_SYS, [0xeb] = O_MOVE,
	[0xec ... 0xef] = O_SYS,
	[0xf1] = O_INT, [0xf4] = O_SYS, [0xf5] = O_ALU,
	[0xf6 ... 0xf7] = O_ALU, [0xf8 ... 0xf9] = O_ALU,
	[0xfa ... 0xfb] = O_SYS, [0xfc ... 0xfd] = O_ALU,
	[0xfe] = O_GRP, [0xff] = O_GRP,
	/* 26 2e 36 3e 64-67 f0 f2 f3 are prefixes: never reach here */
};

/* 0F map. The SSE/SSE2+ and MMX rows are #UD: the model's CPUID reports
 * neither MMX nor SSE (nor FXSR), and those instructions raise #UD when
 * CPUID lacks the feature [SDM Vol. 2, each instruction's exceptions;
 * SDM 13.1]. */
static const uint8_t own1[256] = {
	[0x10 ... 0x17] = O_UD, [0x28 ... 0x2f] = O_UD,
	[0x50 ... 0x7f] = O_UD,
	[0xc2 ... 0xc6] = O_UD,
	[0xd0 ... 0xfe] = O_UD,
	[0x00 ... 0x03] = O_SYS, [0x05 ... 0x09] = O_SYS, [0x0b] = O_UD,
	[0x0d] = O_MOVE, [0x18 ... 0x1f] = O_MOVE,
	[0x20 ... 0x23] = O_SYS,
	[0x30 ... 0x35] = O_SYS, [0x37] = O_SYS,
	[0x40 ... 0x4f] = O_ALU,
	[0x80 ... 0x8f] = O_MOVE,
	[0x90 ... 0x9f] = O_ALU,
	[0xa0 ... 0xa2] = O_SYS, [0xa3 ... 0xa5] = O_ALU,
	[0xa8 ... 0xaa] = O_SYS, [0xab ... 0xad] = O_ALU, [0xae] = O_SYS,
	[0xaf] = O_ALU,
	[0xb0 ... 0xb1] = O_ALU, [0xb2] = O_SYS, [0xb3] = O_ALU,
	[0xb4 ... 0xb5] = O_SYS, [0xb6 ... 0xb8] = O_ALU, [0xb9] = O_UD,
	[0xba ... 0xbf] = O_ALU,
	[0xc0 ... 0xc1] = O_ALU, [0xc7] = O_GRP,
	[0xc8 ... 0xcf] = O_ALU,
	[0xff] = O_UD, /* UD0 */
};

static int route_group(const struct tg_insn *d)
{
	if (d->map == 0) {
		switch (d->opc) {
		case 0x63: /* MOVSXD in 64-bit mode, ARPL elsewhere */
			return d->osz == 8 || d->mod == 3 ? O_ALU : O_SYS;
		case 0xfe:
			return d->reg <= 1 ? O_ALU : O_UD;
		case 0xff:
			switch (d->reg) {
			case 0: case 1: return O_ALU;     /* INC, DEC */
			case 2: case 4: case 6: return O_MOVE; /* CALL, JMP, PUSH */
			case 3: case 5: return O_SYS;     /* CALLF, JMPF */
			default: return O_UD;
			}
		}
	} else if (d->map == 1 && d->opc == 0xc7) {
		/* CMPXCHG8B/16B; RDRAND/RDSEED/RDPID are system */
		return d->reg == 1 ? O_ALU : O_SYS;
	}
	return O_NONE;
}

tg_handler tg_select(struct tg_insn *d)
{
	int owner;
	if (d->map == 0)
		owner = own0[d->opc];
	else if (d->map == 1)
		owner = own1[d->opc];
	else
		owner = O_UD; /* 0F38/0F3A: SSSE3/SSE4 etc., absent from CPUID */
	if (owner == O_GRP)
		owner = route_group(d);
	switch (owner) {
	case O_ALU: return tg_sel_alu(d);
	case O_MOVE: return tg_sel_move(d);
	case O_SYS: return tg_sel_sys(d);
	case O_INT: return tg_sel_int(d);
	case O_UD: return tg_op_ud;
	default: return 0;
	}
}
