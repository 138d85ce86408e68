/* One instruction the model does not implement: an x87 instruction (the
 * model has no FPU; with CR0.EM=0 and CR0.TS=0 it is not #NM either), so
 * the run must end in KVM_EXIT_INTERNAL_ERROR with its bytes. */
#include "guest.inc"
	.code64
	.text
	fldpi
	fld1
