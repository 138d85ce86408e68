/* Spec §9 item 7, §6: exceptions while delivering exceptions [SDM 6.15
 * Interrupt 8, Tables 6-4 and 6-5]. Contributory + contributory and #PF +
 * (#PF or contributory) give #DF (error code 0, saved RIP undefined);
 * a benign first exception or contributory + #PF are handled serially;
 * a fault while delivering #DF is a shutdown. The scenarios break the IDT
 * or the TSS IST pointers on purpose; the runtime rebuilds both before
 * every run. Gate layout [SDM 6.14.1]: selector in bytes 2-3, IST in the
 * low 3 bits of byte 4. cf_tss: IST3 at offset 52 [SDM 8.7]. */
#include "scenario.inc"

#define GATE(v) (cf_idt + (v) * 16)
#define TSS_IST3 (cf_tss + 52)
#define UNMAPPED 0x100000000     /* above the 4 GiB identity map */

/* #GP while delivering #GP (the gate's code selector is null: #GP(EXT)):
 * contributory + contributory = #DF. */
SCENARIO df_gp_in_gp, "SDM 6.15 Interrupt 8, Table 6-5; spec 6.2; §9 item 7", \
	"#GP whose gate has a null selector: #GP during #GP delivery -> #DF (error code 0)"
	movw $0, GATE(13) + 2(%rip)
	movabsq $0x8000000000000000, %rbx
	movq (%rbx), %rax
	DONE
	EXPECT 8, 0, err=0, flags=CF_E_RIP_ANY|CF_E_ERR
END_SCENARIO

/* #PF while delivering #PF (its IST stack is unmapped): #DF. */
SCENARIO df_pf_in_pf, "SDM 6.15 Interrupt 8, Table 6-5; spec 6.2; §9 item 7", \
	"#PF whose IST stack is unmapped: #PF during #PF delivery -> #DF (error code 0)"
	movabsq $(UNMAPPED + 0x1000), %rax
	movq %rax, TSS_IST3(%rip)
	movb $3, GATE(14) + 4(%rip)
	movabsq $UNMAPPED, %rbx
	movq (%rbx), %rax
	DONE
	EXPECT 8, 0, err=0, flags=CF_E_RIP_ANY|CF_E_ERR
END_SCENARIO

/* #GP while delivering #PF (null selector in the #PF gate): #PF +
 * contributory = #DF. */
SCENARIO df_gp_in_pf, "SDM 6.15 Interrupt 8, Table 6-5; spec 6.2", \
	"#PF whose gate has a null selector: #GP during #PF delivery -> #DF"
	movw $0, GATE(14) + 2(%rip)
	movabsq $UNMAPPED, %rbx
	movq (%rbx), %rax
	DONE
	EXPECT 8, 0, err=0, flags=CF_E_RIP_ANY|CF_E_ERR
END_SCENARIO

/* #PF while delivering #GP (its IST stack is unmapped): contributory +
 * #PF is handled serially: the #PF is delivered (saved RIP = the
 * instruction that raised the #GP; error code 2 = supervisor write, not
 * present, the frame push being an implicit supervisor write). */
SCENARIO serial_pf_in_gp, "SDM 6.15 Interrupt 8, Table 6-5 (contributory then #PF: serially); SDM 4.7", \
	"#GP whose IST stack is unmapped: the #PF is delivered, no #DF", resume=.Lspg1
	movabsq $(UNMAPPED + 0x1000), %rax
	movq %rax, TSS_IST3(%rip)
	movb $3, GATE(13) + 4(%rip)
	movabsq $0x8000000000000000, %rbx
.Lspg0:	movq (%rbx), %rax
.Lspg1:	DONE
	EXPECT_ERR 14, .Lspg0, 2
END_SCENARIO

/* #DB is benign: a code breakpoint on the #PF handler's first
 * instruction is taken right after the #PF is delivered and handled
 * serially, never combined into #DF [SDM Table 6-4/6-5; spec 6.1-6.2].
 * Logged first (it runs before the #PF handler's first instruction). */
SCENARIO serial_db_in_pf, "SDM 6.15 Tables 6-4, 6-5 (#DB benign); spec 6.2; §9 item 7", \
	"code breakpoint on the #PF handler entry: #DB there (serially), then the #PF handler runs", \
	dr0=CF_VEC_ENTRY(14), dr7=DR7_FIXED|DR7_G(0), rf_on=DR6_B0, resume=.Lsdp1
	movabsq $UNMAPPED, %rbx
.Lsdp0:	movq (%rbx), %rax
.Lsdp1:	DONE
	EXPECT_DB CF_VEC_ENTRY(14), DR6_ACTIVE_LOW | DR6_B0
	EXPECT_ERR 14, .Lsdp0, 0, auxmask=-1, auxval=UNMAPPED
END_SCENARIO

/* A fault while delivering #DF: shutdown (triple fault). The guest
 * cannot report this one; the host runner expects KVM_EXIT_SHUTDOWN. */
SCENARIO df_triple_fault, "SDM 6.15 Interrupt 8 (fault during #DF delivery: shutdown); spec 6.2; §9 item 7", \
	"#GP and #DF gates both with null selectors: #GP -> #DF -> shutdown", flags=CF_F_SHUTDOWN
	movw $0, GATE(13) + 2(%rip)
	movw $0, GATE(8) + 2(%rip)
	movabsq $0x8000000000000000, %rbx
	movq (%rbx), %rax
	DONE
END_SCENARIO
