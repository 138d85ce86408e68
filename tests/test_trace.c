/* The trace extension (tg_vcpu_set_trace): one record per executed
 * instruction and per delivered event, with DR6/DR7 after delivery. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_gdbg[], guest_gdbg_end[];

struct rec_log {
	int n, insns, events;
	struct tg_trace_record ev[8];
	struct tg_trace_record first;
};

static void collect(void *opaque, const struct tg_trace_record *r)
{
	struct rec_log *l = opaque;
	if (l->n++ == 0)
		l->first = *r;
	if (r->kind == TG_TRACE_INSN)
		l->insns++;
	else if (l->events < 8)
		l->ev[l->events++] = *r;
}

/* gdbg.S from 0x08: MOV, 3 NOPs, INT3 -> #BP handler (4 instructions to
 * its HLT). 5 + 4 instructions traced (HLT included), one event: vector 3
 * saved RIP after the INT3 [SDM INT3]. */
TEST(trace_records_instructions_and_events)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_gdbg, guest_gdbg_end - guest_gdbg);
	th_long_mode(&t, TH_CODE + 0x08, TH_STACK);
	th_gate64(&t, 3, TH_CODE + 0x100, 14, 0, 0);
	struct rec_log l = { 0 };
	ASSERT_EQ(tg_vcpu_set_trace(t.vcpu, collect, &l), 0);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(l.insns, 5 + 4);
	EXPECT_EQ(l.events, 1);
	EXPECT_EQ(l.first.kind, TG_TRACE_INSN);
	EXPECT_EQ(l.first.rip, TH_CODE + 0x08);
	EXPECT_EQ(l.first.len, 5);
	EXPECT_EQ(l.first.bytes[0], 0xbb); /* mov $2, %ebx */
	EXPECT_EQ(l.first.mode, 64);
	EXPECT_EQ(l.ev[0].vector, 3);
	EXPECT_EQ(l.ev[0].ev_kind, 5);
	EXPECT_EQ(l.ev[0].rip, TH_CODE + 0x11);
	EXPECT_EQ(l.ev[0].handler_rip, TH_CODE + 0x100);
	EXPECT_EQ(l.ev[0].dr6, 0xffff0ff0);
	/* off again: no more records */
	ASSERT_EQ(tg_vcpu_set_trace(t.vcpu, 0, 0), 0);
	int before = l.n;
	th_long_mode(&t, TH_CODE + 0x08, TH_STACK);
	ASSERT_EQ(th_run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(l.n, before);
	th_fini(&t);
}
