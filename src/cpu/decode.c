/* x86 instruction decoder [SDM Vol. 2, chapter 2 and appendix A]. */
#include "decode.h"

/* Per-opcode properties. */
enum {
	P_M = 1 << 0,     /* has ModRM */
	P_IB = 1 << 1,    /* imm8 */
	P_IW = 1 << 2,    /* imm16 */
	P_IZ = 1 << 3,    /* imm16/32 by operand size (sign-extended to 64) */
	P_IV = 1 << 4,    /* imm16/32/64 by operand size (MOV r, imm) */
	P_IA = 1 << 5,    /* moffs: address-size immediate */
	P_IP = 1 << 6,    /* far pointer: offset (osz) + selector */
	P_IE = 1 << 7,    /* ENTER: imm16 + imm8 */
	P_I64 = 1 << 8,   /* invalid in 64-bit mode */
	P_D64 = 1 << 9,   /* operand size defaults to 64 in 64-bit mode */
	P_F64 = 1 << 10,  /* operand size forced to 64 in 64-bit mode (Intel) */
	P_BYTE = 1 << 11, /* byte operand size */
	P_GRP3 = 1 << 12, /* F6/F7: /0 and /1 take an immediate */
	P_LOCK = 1 << 13, /* LOCK allowed with a memory destination */
	P_BAD = 1 << 14,  /* no such opcode: #UD */
};

#define M P_M
#define B P_BYTE
#define L P_LOCK

static const uint16_t map0[256] = {
	/* 00-07: ADD, PUSH ES, POP ES */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, P_I64, P_I64,
	/* 08-0F: OR, PUSH CS, (0F escape) */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, P_I64, 0,
	/* 10-17: ADC, PUSH SS, POP SS */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, P_I64, P_I64,
	/* 18-1F: SBB, PUSH DS, POP DS */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, P_I64, P_I64,
	/* 20-27: AND, ES:, DAA */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, 0, P_I64|B,
	/* 28-2F: SUB, CS:, DAS */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, 0, P_I64|B,
	/* 30-37: XOR, SS:, AAA */
	M|B|L, M|L, M|B, M, P_IB|B, P_IZ, 0, P_I64|B,
	/* 38-3F: CMP, DS:, AAS */
	M|B, M, M|B, M, P_IB|B, P_IZ, 0, P_I64|B,
	/* 40-4F: INC/DEC r (REX in 64-bit mode) */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 50-5F: PUSH/POP r */
	P_D64, P_D64, P_D64, P_D64, P_D64, P_D64, P_D64, P_D64,
	P_D64, P_D64, P_D64, P_D64, P_D64, P_D64, P_D64, P_D64,
	/* 60-67: PUSHA, POPA, BOUND, ARPL/MOVSXD, FS:, GS:, 66, 67 */
	P_I64, P_I64, M|P_I64, M, 0, 0, 0, 0,
	/* 68-6F: PUSH Iz, IMUL Gv,Ev,Iz, PUSH Ib, IMUL Gv,Ev,Ib, INS/OUTS */
	P_IZ|P_D64, M|P_IZ, P_IB|P_D64, M|P_IB, B, 0, B, 0,
	/* 70-7F: Jcc rel8 */
	P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64,
	P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64,
	/* 80-87: group 1, TEST, XCHG */
	M|P_IB|B|L, M|P_IZ|L, M|P_IB|B|P_I64|L, M|P_IB|L, M|B, M, M|B|L, M|L,
	/* 88-8F: MOV, MOV Ev,Sw, LEA, MOV Sw,Ew, POP Ev */
	M|B, M, M|B, M, M, M, M, M|P_D64,
	/* 90-97: NOP/XCHG */
	0, 0, 0, 0, 0, 0, 0, 0,
	/* 98-9F: CBW, CWD, CALLF, FWAIT, PUSHF, POPF, SAHF, LAHF */
	0, 0, P_IP|P_I64, 0, P_D64, P_D64, 0, 0,
	/* A0-A7: MOV moffs, MOVS, CMPS */
	P_IA|B, P_IA, P_IA|B, P_IA, B, 0, B, 0,
	/* A8-AF: TEST imm, STOS, LODS, SCAS */
	P_IB|B, P_IZ, B, 0, B, 0, B, 0,
	/* B0-BF: MOV r, imm */
	P_IB|B, P_IB|B, P_IB|B, P_IB|B, P_IB|B, P_IB|B, P_IB|B, P_IB|B,
	P_IV, P_IV, P_IV, P_IV, P_IV, P_IV, P_IV, P_IV,
	/* C0-C7: shift Ib, RET Iw, RET, LES, LDS, MOV Ev,Iz */
	M|P_IB|B, M|P_IB, P_IW|P_F64, P_F64, M|P_I64, M|P_I64, M|P_IB|B, M|P_IZ,
	/* C8-CF: ENTER, LEAVE, RETF Iw, RETF, INT3, INT Ib, INTO, IRET */
	P_IE|P_D64, P_D64, P_IW, 0, 0, P_IB, P_I64, 0,
	/* D0-D7: shifts by 1 / CL, AAM, AAD, SALC, XLAT */
	M|B, M, M|B, M, P_IB|P_I64, P_IB|P_I64, P_I64|B, B,
	/* D8-DF: x87 escape */
	M, M, M, M, M, M, M, M,
	/* E0-E7: LOOPNE, LOOPE, LOOP, JrCXZ, IN/OUT imm8 */
	P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|P_F64, P_IB|B, P_IB, P_IB|B, P_IB,
	/* E8-EF: CALL, JMP, JMPF, JMP rel8, IN/OUT DX */
	P_IZ|P_F64, P_IZ|P_F64, P_IP|P_I64, P_IB|P_F64, B, 0, B, 0,
	/* F0-F7: LOCK, INT1, REPNE, REP, HLT, CMC, group 3 */
	0, 0, 0, 0, 0, 0, M|B|P_GRP3|L, M|P_GRP3|L,
	/* F8-FF: CLC STC CLI STI CLD STD, group 4, group 5 */
	0, 0, 0, 0, 0, 0, M|B|L, M|L,
};

static const uint16_t map1[256] = {
	/* 00-07: grp6, grp7, LAR, LSL, -, SYSCALL, CLTS, SYSRET */
	M, M, M, M, P_BAD, 0, 0, 0,
	/* 08-0F: INVD, WBINVD, -, UD2, -, prefetch, FEMMS, 3DNow */
	0, 0, P_BAD, 0, P_BAD, M, P_BAD, P_BAD,
	/* 10-17: SSE moves */
	M, M, M, M, M, M, M, M,
	/* 18-1F: hint NOPs (prefetch, NOP Ev) */
	M, M, M, M, M, M, M, M,
	/* 20-27: MOV CR/DR */
	M, M, M, M, P_BAD, P_BAD, P_BAD, P_BAD,
	/* 28-2F: SSE */
	M, M, M, M, M, M, M, M,
	/* 30-37: WRMSR RDTSC RDMSR RDPMC SYSENTER SYSEXIT - GETSEC */
	0, 0, 0, 0, 0, 0, P_BAD, 0,
	/* 38-3F: three-byte escapes, - */
	0, P_BAD, 0, P_BAD, P_BAD, P_BAD, P_BAD, P_BAD,
	/* 40-4F: CMOVcc */
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 50-7F: SSE/MMX */
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	M|P_IB, M|P_IB, M|P_IB, M|P_IB, M, M, M, 0,
	M, M, P_BAD, P_BAD, M, M, M, M,
	/* 80-8F: Jcc rel16/32 */
	P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64,
	P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64, P_IZ|P_F64,
	/* 90-9F: SETcc */
	M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B, M|B,
	/* A0-A7: PUSH FS, POP FS, CPUID, BT, SHLD Ib, SHLD CL, -, - */
	P_D64, P_D64, 0, M, M|P_IB, M, P_BAD, P_BAD,
	/* A8-AF: PUSH GS, POP GS, RSM, BTS, SHRD Ib, SHRD CL, grp15, IMUL */
	P_D64, P_D64, 0, M|L, M|P_IB, M, M, M,
	/* B0-B7: CMPXCHG, LSS, BTR, LFS, LGS, MOVZX */
	M|B|L, M|L, M, M|L, M, M, M, M,
	/* B8-BF: POPCNT/JMPE, UD1, grp8, BTC, BSF/TZCNT, BSR/LZCNT, MOVSX */
	M, M, M|P_IB|L, M|L, M, M, M, M,
	/* C0-C7: XADD, SSE, MOVNTI, SSE, grp9 */
	M|B|L, M|L, M|P_IB, M, M|P_IB, M|P_IB, M|P_IB, M|L,
	/* C8-CF: BSWAP */
	0, 0, 0, 0, 0, 0, 0, 0,
	/* D0-FF: SSE/MMX */
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, P_BAD,
};

#undef M
#undef B
#undef L

static int rd(const uint8_t *b, unsigned avail, unsigned pos, unsigned n,
	      uint64_t *out)
{
	if (pos + n > avail)
		return -1;
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[pos + i] << (8 * i);
	*out = v;
	return 0;
}

static int64_t sext_n(uint64_t v, unsigned n)
{
	switch (n) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

/* Which group-opcode /reg values accept LOCK with a memory operand. */
static bool lock_ok_group(const struct tg_insn *d)
{
	if (d->map == 0) {
		switch (d->opc) {
		case 0x80: case 0x81: case 0x82: case 0x83:
			return d->reg != 7; /* not CMP */
		case 0xf6: case 0xf7:
			return d->reg == 2 || d->reg == 3; /* NOT, NEG */
		case 0xfe: case 0xff:
			return d->reg == 0 || d->reg == 1; /* INC, DEC */
		}
		return true;
	}
	switch (d->opc) {
	case 0xba: return d->reg >= 5;          /* BTS, BTR, BTC */
	case 0xc7: return d->reg == 1;          /* CMPXCHG8B/16B */
	}
	return true;
}

int tg_decode(const uint8_t *b, unsigned avail, int mode, bool cs_d,
	      struct tg_insn *d)
{
	const bool m64 = mode == MODE_LONG64;
	const bool def32 = (mode == MODE_PROT32) || (m64) ||
			   (cs_d && mode != MODE_REAL && mode != MODE_VM86);
	unsigned pos = 0;
	bool p66 = false, p67 = false;
	uint64_t v;

	*d = (struct tg_insn){ .seg_override = S_NONE, .base = TG_NOREG,
			       .index = TG_NOREG };

	/* Legacy prefixes, any order, any count (length limit applies). In
	 * 64-bit mode REX counts only if it immediately precedes the opcode: a
	 * legacy prefix after it makes it ignored [SDM 2.2.1]. */
	for (;;) {
		if (pos >= avail)
			return pos >= 15 ? DEC_GP : DEC_MORE;
		uint8_t p = b[pos];
		if (m64 && (p & 0xf0) == 0x40) {
			d->rex = p;
			if (++pos >= 15)
				return DEC_GP;
			continue;
		}
		switch (p) {
		case 0x26: d->seg_override = S_ES; break;
		case 0x2e: d->seg_override = S_CS; break;
		case 0x36: d->seg_override = S_SS; break;
		case 0x3e: d->seg_override = S_DS; break;
		case 0x64: d->seg_override = S_FS; break;
		case 0x65: d->seg_override = S_GS; break;
		case 0x66: p66 = true; break;
		case 0x67: p67 = true; break;
		case 0xf0: d->lock = 1; break;
		case 0xf2: case 0xf3: d->rep = p; break;
		default: goto prefixes_done;
		}
		d->rex = 0;
		if (++pos >= 15)
			return DEC_GP;
	}
prefixes_done:
	d->has_osz_prefix = p66;

	uint8_t opc = b[pos++];
	uint16_t props;
	if (opc == 0x0f) {
		if (pos >= avail)
			return pos >= 15 ? DEC_GP : DEC_MORE;
		opc = b[pos++];
		if (opc == 0x38 || opc == 0x3a) {
			/* Three-byte maps (SSSE3/SSE4): ModRM, 0F3A has imm8. */
			d->map = opc == 0x38 ? 2 : 3;
			if (pos >= avail)
				return pos >= 15 ? DEC_GP : DEC_MORE;
			opc = b[pos++];
			props = P_M | (d->map == 3 ? P_IB : 0);
		} else {
			d->map = 1;
			props = map1[opc];
		}
	} else {
		d->map = 0;
		props = map0[opc];
	}
	d->opc = opc;

	if (props & P_BAD)
		return DEC_UD;
	if (m64 && (props & P_I64))
		return DEC_UD;
	/* VEX (C4/C5) and EVEX (62) in 64-bit mode: no AVX in this model. */
	if (m64 && d->map == 0 && (opc == 0xc4 || opc == 0xc5))
		return DEC_UD;

	/* Operand size [SDM 2.2.1.2, Table 2-4]. */
	unsigned rexw = (d->rex >> 3) & 1;
	if (props & P_BYTE)
		d->osz = 1;
	else if (m64 && (props & P_F64))
		d->osz = 8;
	else if (rexw)
		d->osz = 8;
	else if (m64 && (props & P_D64))
		d->osz = p66 ? 2 : 8;
	else
		d->osz = (def32 ^ p66) ? 4 : 2;
	/* Address size. */
	if (m64)
		d->asz = p67 ? 4 : 8;
	else
		d->asz = (def32 ^ p67) ? 4 : 2;

	/* Registers encoded in the opcode (50+r, B8+r, 90+r, C8+r ...). */
	d->rm = (opc & 7) | ((d->rex & 1) << 3);

	if (props & P_M) {
		if (pos >= avail)
			return pos >= 15 ? DEC_GP : DEC_MORE;
		uint8_t modrm = b[pos++];
		d->mod = modrm >> 6;
		d->reg = ((modrm >> 3) & 7) | ((d->rex & 4) << 1);
		/* Opcode-extension groups: ModRM.reg selects the operation and
		 * REX.R does not apply [SDM Vol. 2 A.4, Table A-6]. */
		if (d->map == 0 ? (opc & 0xfc) == 0x80 || opc == 0x8f ||
				  opc == 0xc0 || opc == 0xc1 || opc == 0xc6 ||
				  opc == 0xc7 || (opc & 0xfc) == 0xd0 ||
				  opc == 0xf6 || opc == 0xf7 || opc >= 0xfe
				: d->map == 1 && (opc <= 0x01 || opc == 0x0d ||
				  opc == 0x18 || (opc >= 0x71 && opc <= 0x73) ||
				  opc == 0xae || opc == 0xba || opc == 0xc7))
			d->reg &= 7;
		unsigned rm = modrm & 7;
		/* MOV CR/DR (0F 20-23) always use a register operand: mod is
		 * ignored [SDM MOV-Move to/from Control Registers]. */
		if (d->map == 1 && opc >= 0x20 && opc <= 0x23)
			d->mod = 3;
		if (d->mod == 3) {
			d->rm = rm | ((d->rex & 1) << 3);
		} else if (d->asz == 2) {
			/* 16-bit addressing [SDM Table 2-1] */
			static const uint8_t b16[8] = { R_RBX, R_RBX, R_RBP, R_RBP,
							TG_NOREG, TG_NOREG, R_RBP, R_RBX };
			static const uint8_t i16[8] = { R_RSI, R_RDI, R_RSI, R_RDI,
							R_RSI, R_RDI, TG_NOREG, TG_NOREG };
			d->base = b16[rm];
			d->index = i16[rm];
			unsigned dsz = d->mod == 1 ? 1 : d->mod == 2 ? 2 : 0;
			if (d->mod == 0 && rm == 6) {
				d->base = TG_NOREG;
				dsz = 2;
			}
			if (dsz) {
				if (rd(b, avail, pos, dsz, &v))
					return pos + dsz > 15 ? DEC_GP : DEC_MORE;
				d->disp = (int32_t)sext_n(v, dsz);
				pos += dsz;
			}
			d->seg = (d->base == R_RBP) ? S_SS : S_DS;
		} else {
			/* 32/64-bit addressing [SDM Tables 2-2, 2-3] */
			unsigned dsz = d->mod == 1 ? 1 : d->mod == 2 ? 4 : 0;
			if (rm == 4) {
				if (pos >= avail)
					return pos >= 15 ? DEC_GP : DEC_MORE;
				uint8_t sib = b[pos++];
				unsigned base = sib & 7, idx = (sib >> 3) & 7;
				idx |= (d->rex & 2) << 2;
				d->scale = sib >> 6;
				d->index = idx == 4 ? TG_NOREG : idx;
				if (base == 5 && d->mod == 0) {
					d->base = TG_NOREG;
					dsz = 4;
				} else {
					d->base = base | ((d->rex & 1) << 3);
				}
			} else if (rm == 5 && d->mod == 0) {
				d->base = m64 ? TG_RIPREL : TG_NOREG;
				dsz = 4;
			} else {
				d->base = rm | ((d->rex & 1) << 3);
			}
			if (dsz) {
				if (rd(b, avail, pos, dsz, &v))
					return pos + dsz > 15 ? DEC_GP : DEC_MORE;
				d->disp = (int32_t)sext_n(v, dsz);
				pos += dsz;
			}
			d->seg = (d->base == R_RSP || d->base == R_RBP) ? S_SS : S_DS;
		}
		if (d->seg_override != S_NONE)
			d->seg = d->seg_override;
	} else {
		d->mod = 3;
		d->reg = 0;
		d->seg = d->seg_override != S_NONE ? d->seg_override : S_DS;
	}

	/* Immediates. */
	unsigned isz = 0;
	if (props & P_IB)
		isz = 1;
	else if (props & P_IW)
		isz = 2;
	else if (props & P_IZ)
		isz = d->osz == 2 ? 2 : 4;
	else if (props & P_IV)
		isz = d->osz;
	else if (props & P_IA)
		isz = d->asz;
	else if ((props & P_GRP3) && d->reg < 2)
		isz = d->osz == 1 ? 1 : d->osz == 2 ? 2 : 4;
	if (props & P_IP) {
		unsigned osz = d->osz == 2 ? 2 : 4;
		if (rd(b, avail, pos, osz, &v))
			return pos + osz > 15 ? DEC_GP : DEC_MORE;
		d->imm = v;
		pos += osz;
		if (rd(b, avail, pos, 2, &v))
			return pos + 2 > 15 ? DEC_GP : DEC_MORE;
		d->imm2 = (uint16_t)v;
		pos += 2;
	} else if (props & P_IE) {
		if (rd(b, avail, pos, 3, &v))
			return pos + 3 > 15 ? DEC_GP : DEC_MORE;
		d->imm = v & 0xffff;
		d->imm2 = (v >> 16) & 0xff;
		pos += 3;
	} else if (isz) {
		if (rd(b, avail, pos, isz, &v))
			return pos + isz > 15 ? DEC_GP : DEC_MORE;
		d->imm = (props & P_IA) ? v : (uint64_t)sext_n(v, isz);
		pos += isz;
	}
	if (pos > 15)
		return DEC_GP;
	d->len = (uint8_t)pos;

	/* LOCK: only on the listed read-modify-write forms with a memory
	 * destination, otherwise #UD [SDM LOCK]. */
	if (d->lock) {
		if (!(props & P_LOCK) || d->mod == 3 || !lock_ok_group(d))
			return DEC_UD;
		/* For the ALU rows only the Eb,Gb / Ev,Gv forms (x0, x1) qualify. */
		if (d->map == 0 && opc < 0x40 && (opc & 7) > 1)
			return DEC_UD;
	}
	return DEC_OK;
}

bool tg_insn_ends_block(const struct tg_insn *d)
{
	if (d->map == 0) {
		switch (d->opc) {
		/* Jcc (70-7F, 0F 80-8F) does not end a block: a taken one
		 * sets exit_block (flow.c), the fall-through continues. */
		case 0x9a: case 0xea: /* far call/jmp */
		case 0xc2: case 0xc3: case 0xca: case 0xcb: /* returns */
		case 0xcc: case 0xcd: case 0xce: case 0xcf: /* INT, IRET */
		case 0xe0 ... 0xe3: /* LOOP, JCXZ */
		case 0xe8: case 0xe9: case 0xeb: /* CALL, JMP */
		case 0xf1: case 0xf4: /* ICEBP, HLT */
		case 0xfa: case 0xfb: /* CLI, STI (interrupt window) */
		case 0x9d: /* POPF */
		case 0x8e: case 0x17: case 0x07: case 0x1f: /* segment loads */
		case 0xc4: case 0xc5:
		case 0xe4 ... 0xe7: case 0xec ... 0xef: /* port I/O */
		case 0x6c ... 0x6f:
			return true;
		case 0xff:
			return d->reg >= 2 && d->reg <= 5;
		}
		return false;
	}
	if (d->map == 1) {
		switch (d->opc) {
		case 0x00: case 0x01: /* descriptor tables, LMSW, INVLPG, SWAPGS */
		case 0x05: case 0x07: case 0x34: case 0x35: /* SYSCALL etc */
		case 0x06: case 0x08: case 0x09:
		case 0x20 ... 0x23: /* MOV CR/DR */
		case 0x30: case 0x32: /* WRMSR, RDMSR */
		case 0xa1: case 0xa9: case 0xb2: case 0xb4: case 0xb5:
		case 0xa2: /* CPUID */
		case 0xaa:
			return true;
		}
	}
	return false;
}
