/* Page walk and #PF delivery (src/cpu/mmu.c, intr.c): error codes and
 * CR2 [SDM 4.7], U/S, R/W, CR0.WP and NX [SDM 4.6], reserved bits
 * [SDM 4.5.4], accessed/dirty bits [SDM 4.8], TLB invalidation by INVLPG
 * and CR3 writes [SDM 4.10.4.1], and #PF during #PF delivery (#DF, with
 * CR2 of the second fault) or #DF delivery (shutdown).
 *
 * The 2 MiB at 0x200000 are remapped with 4 KiB pages (table at 0x30000)
 * whose attributes differ page by page; see map_test_pages(). */
#include <string.h>

#include "harness.h"
#include "test.h"

extern const uint8_t guest_intr_probe64[], guest_intr_probe64_end[];
extern const uint8_t guest_intr_probe32[], guest_intr_probe32_end[];

#define P(off) (TH_CODE + (off))
#define TBL (TH_CODE + 0x1000)
#define ETBL (TH_CODE + 0x800)
#define HLT_AT(addr) ((addr) + 1)
#define PF_HANDLER HLT_AT(ETBL + 8 * 14)
#define DF_HANDLER HLT_AT(ETBL + 8 * 8)

#define PT 0x30000ull
#define PDE1 (TH_PML4 + 0x2000 + 8) /* PD entry for 0x200000-0x3fffff */
#define PG(i) (0x200000ull + (i) * 0x1000)

/* PTE bits [SDM 4.5, Table 4-19] */
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_XD (1ull << 63)


static int run(struct th *t)
{
	int r = th_run(t);
	if (r == KVM_EXIT_INTERNAL_ERROR)
		printf("    internal error: suberror %u at RIP=0x%llx\n",
		       t->run->internal.suberror, (unsigned long long)th_regs(t).rip);
	return r;
}

static uint64_t cr2(struct th *t)
{
	return th_sregs(t).cr2;
}

static void set_regs(struct th *t, uint64_t rip, uint64_t rsp, uint64_t rax,
		     uint64_t rbx)
{
	struct kvm_regs r = th_regs(t);
	r.rip = rip;
	r.rsp = rsp;
	r.rax = rax;
	r.rbx = rbx;
	r.rflags = 0x2;
	tg_vcpu_set_regs(t->vcpu, &r);
}

static bool has_error_code(int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

static const uint64_t test_ptes[] = {
	PG(0) | PTE_P | PTE_W | PTE_U,          /* 0: ordinary */
	0,                                      /* 1: not present */
	PG(2) | PTE_P | PTE_U,                  /* 2: read-only */
	PG(3) | PTE_P | PTE_W,                  /* 3: supervisor */
	PG(4) | PTE_P | PTE_W | PTE_U | PTE_XD, /* 4: no-execute */
	PG(5) | PTE_P | PTE_W | PTE_U | (1ull << 45), /* 5: reserved bit */
	PG(6) | PTE_P | PTE_W | PTE_U,          /* 6: A/D test */
	PG(7) | PTE_P | PTE_W | PTE_U,          /* 7: remapped by the TLB tests */
	PG(8) | PTE_P | PTE_W | PTE_U,          /* 8 */
};

static void map_test_pages(struct th *t)
{
	memset(t->mem + PT, 0, 0x1000);
	for (unsigned i = 0; i < sizeof test_ptes / sizeof test_ptes[0]; i++)
		th_wr64(t, PT + 8 * i, test_ptes[i]);
	th_wr64(t, PDE1, PT | PTE_P | PTE_W | PTE_U);
}

static int setup64(struct th *t, uint64_t rip)
{
	int r = th_init(t, TG_BACKEND_MODEL, 8 << 20);
	if (r < 0)
		return r;
	th_load(t, TH_CODE, guest_intr_probe64,
		guest_intr_probe64_end - guest_intr_probe64);
	th_long_mode(t, rip, TH_STACK);
	for (int v = 0; v < 256; v++)
		th_gate64(t, v, has_error_code(v) ? ETBL + 8 * v : TBL + 4 * v, 14, 0, 0);
	map_test_pages(t);
	return 0;
}

static void to_user(struct th *t)
{
	struct kvm_sregs s = th_sregs(t);
	s.cs = (struct kvm_segment){ .selector = TH_SEL_UCODE64, .type = 11,
				     .present = 1, .dpl = 3, .s = 1, .l = 1,
				     .limit = 0xffffffff, .g = 1 };
	s.ss = (struct kvm_segment){ .selector = TH_SEL_UDATA, .type = 3,
				     .present = 1, .dpl = 3, .s = 1, .db = 1,
				     .limit = 0xffffffff, .g = 1 };
	s.ds = s.es = s.fs = s.gs = s.ss;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

static void sregs_edit(struct th *t, uint64_t cr0_clear, uint64_t efer_set)
{
	struct kvm_sregs s = th_sregs(t);
	s.cr0 &= ~cr0_clear;
	s.efer |= efer_set;
	tg_vcpu_set_sregs(t->vcpu, &s);
}

/* Run one probe and expect #PF with `err` and CR2 = `addr`; the saved RIP
 * is `rip_saved` and the saved RFLAGS has RF=1 [SDM 6.15 Interrupt 14,
 * 17.3.1.1]. */
static void expect_pf(struct th *t, uint32_t err, uint64_t addr, uint64_t rip_saved)
{
	ASSERT_EQ(run(t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(t);
	EXPECT_EQ(r.rip, PF_HANDLER);
	EXPECT_EQ(th_rd64(t, r.rsp), err);
	EXPECT_EQ(th_rd64(t, r.rsp + 8), rip_saved);
	EXPECT_EQ(th_rd64(t, r.rsp + 24) & 0x10000, 0x10000);
	EXPECT_EQ(cr2(t), addr);
}

/* Not present: P=0; W for a write [SDM 4.7]. */
TEST(paging_pf_not_present_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	set_regs(&t, P(0x70), TH_STACK, PG(1) + 8, 0);
	expect_pf(&t, 0, PG(1) + 8, P(0x70));
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x90)), 0);
	set_regs(&t, P(0x90), TH_STACK, PG(1) + 0xff8, 0);
	expect_pf(&t, 2, PG(1) + 0xff8, P(0x90));
	th_fini(&t);
}

/* CPL3 reading a supervisor page: P|U; writing a read-only page: P|W|U
 * [SDM 4.6, 4.7]. The #PF goes to CPL0 through RSP0. */
TEST(paging_pf_user_access_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	to_user(&t);
	set_regs(&t, P(0x70), 0x70000, PG(3), 0);
	expect_pf(&t, 5, PG(3), P(0x70));
	EXPECT_EQ(th_regs(&t).rsp, TH_STACK - 48);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x90)), 0);
	to_user(&t);
	set_regs(&t, P(0x90), 0x70000, PG(2) + 4, 0);
	expect_pf(&t, 7, PG(2) + 4, P(0x90));
	th_fini(&t);
}

/* A supervisor write to a read-only page faults only with CR0.WP=1
 * (P|W); with WP=0 it succeeds [SDM 4.6.1]. */
TEST(paging_pf_wp_supervisor_write_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x90)), 0);
	set_regs(&t, P(0x90), TH_STACK, PG(2) + 0x10, 0x1234);
	expect_pf(&t, 3, PG(2) + 0x10, P(0x90));
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x90)), 0);
	sregs_edit(&t, 1ull << 16, 0); /* CR0.WP=0 */
	set_regs(&t, P(0x90), TH_STACK, PG(2) + 0x10, 0x1234);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0x93)));
	EXPECT_EQ(th_rd64(&t, PG(2) + 0x10), 0x1234);
	th_fini(&t);
}

/* Fetch from an XD page with EFER.NXE=1: P|I, CR2 and the saved RIP are
 * the target (the JMP completed) [SDM 4.6, 4.7]; from CPL3 P|U|I. With
 * NXE=0 bit 63 is reserved: P|RSVD, and I stays 0 (neither NXE nor SMEP)
 * [SDM 4.5.4, 4.7]. */
TEST(paging_pf_nx_fetch_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0xa0)), 0);
	sregs_edit(&t, 0, 1ull << 11);
	set_regs(&t, P(0xa0), TH_STACK, PG(4), 0);
	expect_pf(&t, 0x11, PG(4), PG(4));
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0xa0)), 0);
	sregs_edit(&t, 0, 1ull << 11);
	to_user(&t);
	set_regs(&t, P(0xa0), 0x70000, PG(4) + 0x20, 0);
	expect_pf(&t, 0x15, PG(4) + 0x20, PG(4) + 0x20);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0xa0)), 0);
	set_regs(&t, P(0xa0), TH_STACK, PG(4), 0);
	expect_pf(&t, 0x9, PG(4), PG(4));
	th_fini(&t);
}

/* A physical-address bit above MAXPHYADDR (40) is reserved: P|RSVD (and
 * W for a write) [SDM 4.5.4, 4.7]. */
TEST(paging_pf_reserved_bit_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	set_regs(&t, P(0x70), TH_STACK, PG(5) + 0x100, 0);
	expect_pf(&t, 0x9, PG(5) + 0x100, P(0x70));
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x90)), 0);
	set_regs(&t, P(0x90), TH_STACK, PG(5), 0);
	expect_pf(&t, 0xb, PG(5), P(0x90));
	th_fini(&t);
}

/* The walker sets A in every entry it uses and D in the final one on a
 * write, not on a read [SDM 4.8]. */
TEST(paging_accessed_dirty_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	th_wr64(&t, PG(6) + 0x40, 0x5566);
	set_regs(&t, P(0x70), TH_STACK, PG(6) + 0x40, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0x73)));
	EXPECT_EQ(th_regs(&t).rbx, 0x5566);
	EXPECT_EQ(th_rd64(&t, PT + 6 * 8), test_ptes[6] | PTE_A);
	EXPECT_EQ(th_rd64(&t, PDE1), PT | PTE_P | PTE_W | PTE_U | PTE_A);
	EXPECT_EQ(th_rd64(&t, PT + 7 * 8), test_ptes[7]); /* untouched */
	set_regs(&t, P(0x90), TH_STACK, PG(6) + 0x48, 0x7788);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0x93)));
	EXPECT_EQ(th_rd64(&t, PT + 6 * 8), test_ptes[6] | PTE_A | PTE_D);
	EXPECT_EQ(th_rd64(&t, PDE1) & PTE_D, 0); /* D only in the final entry */
	EXPECT_EQ(th_rd64(&t, PG(6) + 0x48), 0x7788);
	th_fini(&t);
}

/* The guest rewrites a PTE (page 7 -> frame of page 8). After INVLPG of
 * that address, or a CR3 reload, the new translation is used
 * [SDM 4.10.4.1]. (Without invalidation the processor may use either:
 * not tested.) */
TEST(paging_tlb_invlpg_and_cr3_64)
{
	for (int cr3 = 0; cr3 < 2; cr3++) {
		struct th t;
		uint64_t probe = cr3 ? 0xf0 : 0xd0;
		ASSERT_EQ(setup64(&t, P(probe)), 0);
		th_wr64(&t, PG(7) + 0x10, 0xaaaa);
		th_wr64(&t, PG(8) + 0x10, 0xbbbb);
		struct kvm_regs r = th_regs(&t);
		r.rip = P(probe);
		r.rax = PG(7) + 0x10;
		r.rdx = PT + 7 * 8;
		r.rcx = PG(8) | PTE_P | PTE_W | PTE_U;
		tg_vcpu_set_regs(t.vcpu, &r);
		ASSERT_EQ(run(&t), KVM_EXIT_HLT);
		r = th_regs(&t);
		EXPECT_EQ(r.rip, HLT_AT(P(cr3 ? 0xfe + 3 : 0xdf)));
		EXPECT_EQ(r.rbx, 0xaaaa);
		EXPECT_EQ(r.rdi, 0xbbbb);
		th_fini(&t);
	}
}

/* #PF while delivering #PF (the handler's stack is not present): #DF
 * with error code 0 on its IST stack; the saved frame is the one of the
 * faulting instruction; CR2 holds the address of the second fault
 * ("processors update CR2 whenever a page fault is detected ... even if
 * the page fault results in a double fault" [SDM 6.15 Interrupt 14,
 * footnote]). */
TEST(paging_pf_during_pf_double_fault_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	th_gate64(&t, 8, ETBL + 8 * 8, 14, 0, 1);
	th_wr64(&t, TH_TSS + 0x24, 0x60000); /* IST1 */
	set_regs(&t, P(0x70), PG(2), PG(1) + 8, 0); /* stack: pushes hit page 1 */
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, DF_HANDLER);
	EXPECT_EQ(r.rsp, 0x60000 - 48);
	EXPECT_EQ(th_rd64(&t, r.rsp), 0);
	EXPECT_EQ(th_rd64(&t, r.rsp + 8), P(0x70));
	EXPECT_EQ(th_rd64(&t, r.rsp + 32), PG(2));
	EXPECT_EQ(cr2(&t), PG(2) - 8);
	struct tg_vcpu_stats st;
	tg_vcpu_get_stats(t.vcpu, &st);
	EXPECT_EQ(st.exceptions, 1);
	th_fini(&t);
}

/* ... and when #DF cannot be delivered either (same stack, no IST): a
 * shutdown, CR2 updated by that last #PF as well [SDM 6.15]. */
TEST(paging_pf_during_df_triple_fault_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	set_regs(&t, P(0x70), PG(2), PG(1) + 8, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_SHUTDOWN);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, P(0x70));
	EXPECT_EQ(r.rsp, PG(2));
	EXPECT_EQ(cr2(&t), PG(2) - 8);
	th_fini(&t);
}

/* #PF while delivering #GP is handled serially: the #PF is delivered (on
 * its IST stack), with the saved RIP of the instruction whose #GP will
 * come back when it is re-executed [SDM Table 6-5]. */
TEST(paging_pf_during_gp_serial_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	th_gate64(&t, 14, ETBL + 8 * 14, 14, 0, 1);
	th_wr64(&t, TH_TSS + 0x24, 0x60000);
	set_regs(&t, P(0x70), PG(2), 0x8000000000000000ull, 0);
	expect_pf(&t, 2, PG(2) - 8, P(0x70));
	EXPECT_EQ(th_regs(&t).rsp, 0x60000 - 48);
	th_fini(&t);
}

/* 2 MiB pages [SDM 4.5.4, Table 4-18]: bit 21 is an address bit (the
 * harness maps 0x600000 with it set), bits 20:13 are reserved. */
TEST(paging_2mib_page_reserved_bits_64)
{
	struct th t;
	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	th_wr64(&t, 0x600010, 0x4242);
	set_regs(&t, P(0x70), TH_STACK, 0x600010, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0x73)));
	EXPECT_EQ(th_regs(&t).rbx, 0x4242);
	th_fini(&t);

	ASSERT_EQ(setup64(&t, P(0x70)), 0);
	uint64_t pde3 = TH_PML4 + 0x2000 + 3 * 8;
	th_wr64(&t, pde3, th_rd64(&t, pde3) | (1ull << 13));
	set_regs(&t, P(0x70), TH_STACK, 0x600010, 0);
	expect_pf(&t, 0x9, 0x600010, P(0x70));
	th_fini(&t);
}

/* ---- 32-bit paging (CR4.PAE=0) [SDM 4.3] ---- */

/* Two-level tables with 4-byte entries, a 4 MiB page (CR4.PSE) and a
 * page table: A set in the entries a read uses, D not; a write to a
 * read-only page with CR0.WP=1 is P|W; an absent page P=0 [SDM 4.3, 4.7,
 * 4.8]. */
TEST(paging_32bit_two_level)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_intr_probe32,
		guest_intr_probe32_end - guest_intr_probe32);
	th_prot32(&t, P(0xa0), TH_STACK);
	for (int v = 0; v < 256; v++)
		th_gate32(&t, v, has_error_code(v) ? ETBL + 8 * v : TBL + 4 * v, 14, 0);
	/* PD at 0x40000: 0-4 MiB one PSE page; 4-8 MiB through the PT at
	 * 0x41000: 0x400000 read-only, 0x401000 absent. */
	memset(t.mem + 0x40000, 0, 0x2000);
	th_wr32(&t, 0x40000, 0x0 | 0x80 | 0x7);
	th_wr32(&t, 0x40004, 0x41000 | 0x7);
	th_wr32(&t, 0x41000, 0x400000 | 0x5);
	th_wr32(&t, 0x400010, 0xfeedf00d);
	struct kvm_sregs s = th_sregs(&t);
	s.cr3 = 0x40000;
	s.cr4 = 1u << 4;                      /* PSE */
	s.cr0 |= (1ull << 31) | (1ull << 16); /* PG, WP */
	tg_vcpu_set_sregs(t.vcpu, &s);

	set_regs(&t, P(0xa0), TH_STACK, 0x400010, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0xa2)));
	EXPECT_EQ((uint32_t)th_regs(&t).rbx, 0xfeedf00d);
	EXPECT_EQ(th_rd32(&t, 0x41000), 0x400000 | 0x5 | 0x20);
	EXPECT_EQ(th_rd32(&t, 0x40004), 0x41000 | 0x7 | 0x20);
	EXPECT_EQ(th_rd32(&t, 0x40000), 0x80 | 0x7 | 0x20); /* code fetch: A */

	set_regs(&t, P(0xb0), TH_STACK, 0x400000, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, PF_HANDLER);
	EXPECT_EQ(r.rsp, TH_STACK - 16);
	EXPECT_EQ(th_rd32(&t, r.rsp), 3);
	EXPECT_EQ(th_rd32(&t, r.rsp + 4), P(0xb0));
	EXPECT_EQ(th_rd32(&t, r.rsp + 12), 0x10002);
	EXPECT_EQ(cr2(&t), 0x400000);
	EXPECT_EQ(th_rd32(&t, 0x40000) & 0x40, 0x40); /* the frame write: D */

	set_regs(&t, P(0xa0), TH_STACK, 0x401ffc, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, PF_HANDLER);
	EXPECT_EQ(th_rd32(&t, r.rsp), 0);
	EXPECT_EQ(cr2(&t), 0x401ffc);
	th_fini(&t);
}

/* PAE paging outside IA-32e mode [SDM 4.4]: four PDPTEs, 8-byte entries,
 * 2 MiB and 4 KiB pages, XD with EFER.NXE (fetch: P|I) and CR0.WP. */
TEST(paging_pae_legacy)
{
	struct th t;
	ASSERT_EQ(th_init(&t, TG_BACKEND_MODEL, 8 << 20), 0);
	th_load(&t, TH_CODE, guest_intr_probe32,
		guest_intr_probe32_end - guest_intr_probe32);
	th_prot32(&t, P(0xa0), TH_STACK);
	for (int v = 0; v < 256; v++)
		th_gate32(&t, v, has_error_code(v) ? ETBL + 8 * v : TBL + 4 * v, 14, 0);
	/* PDPT 0x42000 -> PD 0x43000: [0] 2 MiB identity, [2] PT 0x44000
	 * whose entry 0 maps 0x400000 read-only and no-execute */
	memset(t.mem + 0x42000, 0, 0x3000);
	th_wr64(&t, 0x42000, 0x43000 | PTE_P);
	th_wr64(&t, 0x43000, 0x0 | 0x80 | PTE_P | PTE_W | PTE_U);
	th_wr64(&t, 0x43010, 0x44000 | PTE_P | PTE_W | PTE_U);
	th_wr64(&t, 0x44000, 0x400000 | PTE_P | PTE_U | PTE_XD);
	th_wr32(&t, 0x400010, 0x600dcafe);
	struct kvm_sregs s = th_sregs(&t);
	s.cr3 = 0x42000;
	s.cr4 = 1u << 5;                      /* PAE */
	s.cr0 |= (1ull << 31) | (1ull << 16); /* PG, WP */
	s.efer = 1u << 11;                    /* NXE */
	tg_vcpu_set_sregs(t.vcpu, &s);

	set_regs(&t, P(0xa0), TH_STACK, 0x400010, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	EXPECT_EQ(th_regs(&t).rip, HLT_AT(P(0xa2)));
	EXPECT_EQ((uint32_t)th_regs(&t).rbx, 0x600dcafe);
	EXPECT_EQ(th_rd64(&t, 0x44000), 0x400000 | PTE_P | PTE_U | PTE_XD | PTE_A);
	EXPECT_EQ(th_rd64(&t, 0x42000), 0x43000 | PTE_P); /* PDPTEs have no A bit */

	set_regs(&t, P(0xb0), TH_STACK, 0x400020, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	struct kvm_regs r = th_regs(&t);
	EXPECT_EQ(r.rip, PF_HANDLER);
	EXPECT_EQ(th_rd32(&t, r.rsp), 3);
	EXPECT_EQ(cr2(&t), 0x400020);

	set_regs(&t, P(0xc0), TH_STACK, 0x400000, 0);
	ASSERT_EQ(run(&t), KVM_EXIT_HLT);
	r = th_regs(&t);
	EXPECT_EQ(r.rip, PF_HANDLER);
	EXPECT_EQ(th_rd32(&t, r.rsp), 0x11);
	EXPECT_EQ(th_rd32(&t, r.rsp + 4), 0x400000);
	EXPECT_EQ(cr2(&t), 0x400000);
	th_fini(&t);
}
