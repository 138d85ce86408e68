/* Raising exceptions: one queue with payloads, as KVM's
 * kvm_multiple_exception() does, and the #DF / triple-fault combining rule
 * [SDM Vol. 3A 6.15, Tables 6-4 and 6-5]. Delivery through the IDT is in
 * intr.c. */
#include "cpu.h"

enum { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PF };

static int exception_class(int vector)
{
	switch (vector) {
	case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
		return CLASS_CONTRIBUTORY;
	case EXC_PF:
		return CLASS_PF;
	default:
		return CLASS_BENIGN;
	}
}

static bool has_error_code(int vector)
{
	switch (vector) {
	case EXC_DF: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP:
	case EXC_PF: case EXC_AC:
		return true;
	}
	return false;
}

void tg_queue_exception(struct vcpu *c, int vector, bool has_err, uint32_t err,
			bool has_payload, uint64_t payload)
{
	/* exc.injected means a delivery is in progress (KVM: vectoring). A new
	 * exception raised during it combines with the first. */
	if (c->exc.injected || c->exc.pending) {
		int first = c->exc.vector;
		/* "Processors update CR2 whenever a page fault is detected ...
		 * even if the page fault results in a double fault or occurs
		 * during the delivery of a double fault" [SDM 6.15 Interrupt
		 * 14, footnote]: a #PF absorbed into #DF or a shutdown still
		 * writes its address; delivered #PFs write it at delivery. */
		if (vector == EXC_PF && has_payload &&
		    (first == EXC_DF || exception_class(first) == CLASS_PF))
			c->cr2 = payload;
		if (first == EXC_DF) {
			/* Any exception while delivering #DF: shutdown. */
			c->exc = (struct tg_exception){ 0 };
			c->triple_fault_pending = true;
			c->boundary_work |= BW_EVENT;
			return;
		}
		int c1 = exception_class(first), c2 = exception_class(vector);
		if ((c1 == CLASS_CONTRIBUTORY && c2 == CLASS_CONTRIBUTORY) ||
		    (c1 == CLASS_PF && c2 != CLASS_BENIGN)) {
			c->exc = (struct tg_exception){ .pending = true,
							.vector = EXC_DF,
							.has_error_code = true };
			c->boundary_work |= BW_EVENT;
			return;
		}
		/* Otherwise handle serially: the new one replaces the first
		 * (a fault comes back when its instruction re-executes). */
	}
	c->exc = (struct tg_exception){
		.pending = true, .vector = (uint8_t)vector,
		.has_error_code = has_err, .error_code = err,
		.has_payload = has_payload, .payload = payload,
	};
	c->boundary_work |= BW_EVENT;
}

_Noreturn void tg_raise(struct vcpu *c, int vector)
{
	tg_queue_exception(c, vector, has_error_code(vector), 0, false, 0);
	longjmp(c->jb, TG_JMP_EXCEPTION);
}

_Noreturn void tg_raise_err(struct vcpu *c, int vector, uint32_t error_code)
{
	tg_queue_exception(c, vector, true, error_code, false, 0);
	longjmp(c->jb, TG_JMP_EXCEPTION);
}

/* A fault-class #DB (general detect): its DR6 bits travel as a payload,
 * written only at delivery [spec 7.5; seed 004]. */
_Noreturn void tg_raise_db(struct vcpu *c, uint32_t causes)
{
	tg_queue_exception(c, EXC_DB, false, 0, true, causes);
	longjmp(c->jb, TG_JMP_EXCEPTION);
}

/* #PF: CR2 is a payload written at delivery, not now [spec 7.5, seed 004]. */
_Noreturn void tg_raise_pf(struct vcpu *c, uint64_t lin, uint32_t error_code)
{
	tg_queue_exception(c, EXC_PF, true, error_code, true, lin);
	longjmp(c->jb, TG_JMP_EXCEPTION);
}
