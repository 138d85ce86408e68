/* Port I/O: IN, OUT, INS, OUTS with the I/O permission rules
 * [SDM Vol. 1 19.5 (I/O privilege level, permission bit map); Vol. 2 IN,
 * OUT, INS, OUTS, REP]. Every access leaves through a KVM_EXIT_IO; the
 * instruction is re-executed after the VMM answers and its accesses are
 * served from the replay log (mem.c). */
#include "ops.h"
#include "sys.h"

/* [SDM 19.5.1, 19.5.2] In protected mode with CPL > IOPL, and always in
 * virtual-8086 mode, every bit for port..port+size-1 in the TSS I/O
 * permission bit map must be 0. The processor reads two bytes of the map,
 * both of which must lie within the TSS limit; a 16-bit TSS has no map. */
static void io_check(struct vcpu *c, uint16_t port, unsigned size)
{
	if (c->mode == MODE_REAL)
		return;
	if (c->mode != MODE_VM86 && c->cpl <= tg_iopl(c))
		return;
	const struct kvm_segment *tr = &c->tr;
	if (!(tr->type & 8) || tr->limit < 0x67)
		tg_raise_gp(c, 0);
	const bool lma = tg_long_active(c);
	uint64_t lin = tr->base + 0x66;
	uint16_t map = (uint16_t)tg_read_lin(c, lma ? lin : (uint32_t)lin, 2,
					     ACC_R | ACC_SUP);
	uint64_t off = (uint64_t)map + port / 8;
	if (off + 1 > tr->limit)
		tg_raise_gp(c, 0);
	lin = tr->base + off;
	uint16_t bits = (uint16_t)tg_read_lin(c, lma ? lin : (uint32_t)lin, 2,
					      ACC_R | ACC_SUP);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		tg_raise_gp(c, 0);
}

static unsigned io_size(const struct tg_insn *d)
{
	return d->osz == 1 ? 1 : d->osz == 2 ? 2 : 4;
}

/* Store an IN result: AL and AX merge, EAX zero-extends into RAX. */
static void set_acc(struct vcpu *c, unsigned size, uint64_t v)
{
	if (size == 4)
		c->gpr[R_RAX] = (uint32_t)v;
	else if (size == 2)
		c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffffull) | (uint16_t)v;
	else
		c->gpr[R_RAX] = (c->gpr[R_RAX] & ~0xffull) | (uint8_t)v;
}

static void op_in_imm(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned size = io_size(d);
	const uint16_t port = (uint8_t)d->imm;
	io_check(c, port, size);
	set_acc(c, size, tg_io_in(c, port, size));
	tg_advance(c, d);
}

static void op_in_dx(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned size = io_size(d);
	const uint16_t port = (uint16_t)c->gpr[R_RDX];
	io_check(c, port, size);
	set_acc(c, size, tg_io_in(c, port, size));
	tg_advance(c, d);
}

static void op_out_imm(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned size = io_size(d);
	const uint16_t port = (uint8_t)d->imm;
	io_check(c, port, size);
	tg_io_out(c, port, size, c->gpr[R_RAX] & ((1ull << (8 * size)) - 1));
	tg_advance(c, d);
}

static void op_out_dx(struct vcpu *c, const struct tg_insn *d)
{
	const unsigned size = io_size(d);
	const uint16_t port = (uint16_t)c->gpr[R_RDX];
	io_check(c, port, size);
	tg_io_out(c, port, size, c->gpr[R_RAX] & ((1ull << (8 * size)) - 1));
	tg_advance(c, d);
}

/* ---- INS / OUTS ----
 * One iteration per handler call: the first call of an iteration exits to
 * the VMM, the re-execution completes it, commits RCX/RSI/RDI and, if
 * iterations remain, returns with RIP still on the instruction (the next
 * call starts a fresh replay log). An event may be taken between
 * iterations, as on hardware [SDM Vol. 2 REP]. */

static uint64_t areg(const struct vcpu *c, const struct tg_insn *d, unsigned r)
{
	return d->asz == 8 ? c->gpr[r] : d->asz == 4 ? (uint32_t)c->gpr[r]
						     : (uint16_t)c->gpr[r];
}

static void set_areg(struct vcpu *c, const struct tg_insn *d, unsigned r, uint64_t v)
{
	if (d->asz == 8)
		c->gpr[r] = v;
	else if (d->asz == 4)
		c->gpr[r] = (uint32_t)v;
	else
		c->gpr[r] = (c->gpr[r] & ~0xffffull) | (uint16_t)v;
}

/* The destination of INS is checked (segment, then paging) before the
 * port is read, so a faulting INS has no effect on the device. */
static void check_ins_dest(struct vcpu *c, uint64_t off, unsigned size)
{
	uint64_t lin = tg_seg_linear(c, S_ES, off, size, ACC_W);
	unsigned first = 4096 - (unsigned)(lin & 0xfff);
	if (first >= size) {
		tg_lin_ptr(c, lin, size, ACC_W);
	} else {
		tg_lin_ptr(c, lin, first, ACC_W);
		tg_lin_ptr(c, lin + first, size - first, ACC_W);
	}
}

static void string_io(struct vcpu *c, const struct tg_insn *d, bool in)
{
	const unsigned size = io_size(d);
	const uint16_t port = (uint16_t)c->gpr[R_RDX];
	const unsigned idx = in ? R_RDI : R_RSI;
	if (d->rep && areg(c, d, R_RCX) == 0) {
		tg_advance(c, d);
		return;
	}
	io_check(c, port, size);
	uint64_t off = areg(c, d, idx);
	if (in) {
		/* ES:rDI; no segment override [SDM Vol. 2 INS] */
		check_ins_dest(c, off, size);
		uint64_t v = tg_io_in(c, port, size);
		tg_write(c, S_ES, off, size, v);
	} else {
		uint64_t v = tg_read(c, d->seg, off, size);
		tg_io_out(c, port, size, v);
	}
	set_areg(c, d, idx, (c->rflags & F_DF) ? off - size : off + size);
	if (d->rep) {
		uint64_t n = areg(c, d, R_RCX) - 1;
		set_areg(c, d, R_RCX, n);
		if (n) {
			/* RIP stays on the instruction, RF=1 for the rest
			 * [SDM 17.3.1.1; spec 3.8] */
			tg_rep_interrupted(c);
			return;
		}
	}
	tg_advance(c, d);
}

static void op_ins(struct vcpu *c, const struct tg_insn *d)
{
	string_io(c, d, true);
}

static void op_outs(struct vcpu *c, const struct tg_insn *d)
{
	string_io(c, d, false);
}

tg_handler tg_sel_sys_io(struct tg_insn *d)
{
	switch (d->opc) {
	case 0xe4: case 0xe5: return op_in_imm;
	case 0xe6: case 0xe7: return op_out_imm;
	case 0xec: case 0xed: return op_in_dx;
	case 0xee: case 0xef: return op_out_dx;
	case 0x6c: case 0x6d: return op_ins;
	case 0x6e: case 0x6f: return op_outs;
	}
	return 0;
}
