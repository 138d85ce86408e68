/* One instruction the model does not implement (an SSE4.1 op, 0F 38
 * map): the run must end in KVM_EXIT_INTERNAL_ERROR with its bytes. */
#include "guest.inc"
	.code64
	.text
	pmulld %xmm1, %xmm0
