/* The software vCPU: all architectural and model state in one struct.
 * No globals, no I/O: guest memory is reached through the slot table, and
 * anything the VMM must handle leaves through kvm_run (an exit). */
#ifndef TG_CPU_VCPU_H
#define TG_CPU_VCPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

/* ---- register numbers (x86 encoding order) ---- */
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NONE = 7 };

/* ---- RFLAGS bits ---- */
#define F_CF (1u << 0)
#define F_PF (1u << 2)
#define F_AF (1u << 4)
#define F_ZF (1u << 6)
#define F_SF (1u << 7)
#define F_TF (1u << 8)
#define F_IF (1u << 9)
#define F_DF (1u << 10)
#define F_OF (1u << 11)
#define F_IOPL (3u << 12)
#define F_NT (1u << 14)
#define F_RF (1u << 16)
#define F_VM (1u << 17)
#define F_AC (1u << 18)
#define F_VIF (1u << 19)
#define F_VIP (1u << 20)
#define F_ID (1u << 21)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_FIXED1 (1u << 1)

/* ---- control registers ---- */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_VME (1ull << 0)
#define CR4_PVI (1ull << 1)
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_LA57 (1ull << 12)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* ---- exception vectors ---- */
enum { EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
       EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
       EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19 };

/* #PF error code bits [SDM 4.7] */
#define PFEC_P (1u << 0)
#define PFEC_W (1u << 1)
#define PFEC_U (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I (1u << 4)

/* ---- execution modes (derived from CR0.PE, EFER.LMA, CS.L, CS.D, VM) ---- */
enum tg_mode {
	MODE_REAL = 0,   /* CR0.PE=0: 16-bit, segments are selector*16 */
	MODE_PROT16,     /* protected (or compatibility) mode, CS.D=0 */
	MODE_PROT32,     /* protected (or compatibility) mode, CS.D=1 */
	MODE_LONG64,     /* EFER.LMA=1, CS.L=1 */
	MODE_VM86,       /* RFLAGS.VM=1: decoded like real mode */
};

/* ---- lazy arithmetic flags ----
 * ZF, SF and PF always come from `res` (the last result, sign-extended to
 * 64 bits). CF, AF and OF depend on `op`:
 *   LF_EXPLICIT: stored in `aux` at their RFLAGS positions;
 *   LF_ADD / LF_SUB (size in the low 2 bits): derived on demand from res and
 *     the first operand `src` (the second one is res - src or src - res);
 *   LF_INC / LF_DEC: OF and AF from res, CF (preserved) in aux bit 0.
 * `aux` may also carry ZF/SF/PF bits, XORed into the values derived from
 * res: that is how POPF/IRET/SAHF install any flag combination (ZF=1 with
 * PF=0, say). Producers in hot paths store four words and compute nothing. */
enum { LF_EXPLICIT = 0, LF_ADD = 4, LF_SUB = 8, LF_INC = 12, LF_DEC = 16 };
struct tg_lazyflags {
	int64_t res;
	uint64_t src;
	uint64_t aux;
	uint32_t op;
	/* INC/DEC keep CF: the state CF comes from (never INC/DEC itself) is
	 * kept here instead of being evaluated at every INC/DEC. */
	uint32_t cf_op;
	int64_t cf_res;
	uint64_t cf_src, cf_aux;
};

/* ---- decoded instruction (cached per physical code address) ---- */
struct vcpu;
struct tg_insn;
typedef void (*tg_handler)(struct vcpu *cpu, const struct tg_insn *d);

#define TG_NOREG 0xff
#define TG_RIPREL 0xfe

struct tg_insn {
	tg_handler fn;
	uint64_t imm;   /* immediate, sign- or zero-extended as the opcode says;
			   far pointers: offset; ENTER: the 16-bit frame size */
	int32_t disp;   /* displacement (sign-extended) */
	uint16_t imm2;  /* far pointers: selector; ENTER: nesting level */
	uint8_t len;    /* total length in bytes, prefixes included */
	uint8_t opc;    /* the opcode byte (after 0F for map 1) */
	uint8_t map;    /* 0: one-byte map, 1: 0F map, 2: 0F38, 3: 0F3A */
	uint8_t osz;    /* operand size in bytes: 1, 2, 4 or 8 */
	uint8_t asz;    /* address size in bytes: 2, 4 or 8 */
	uint8_t seg;    /* segment of the memory operand (override or default) */
	uint8_t mod;    /* ModRM.mod; 3 = register operand */
	uint8_t reg;    /* ModRM.reg, REX.R-extended (0..15) */
	uint8_t rm;     /* ModRM.rm, REX.B-extended (0..15); register when mod==3;
			   for opcodes with the register in the low 3 bits, that
			   register (REX.B-extended) */
	uint8_t base;   /* memory operand: base register, TG_NOREG or TG_RIPREL */
	uint8_t index;  /* memory operand: index register or TG_NOREG */
	uint8_t scale;  /* shift count 0..3 */
	uint8_t rep;    /* 0, 0xf2 (REPNE) or 0xf3 (REP/REPE) */
	uint8_t lock;   /* LOCK prefix present */
	uint8_t rex;    /* REX byte, or 0 (selects SPL..DIL over AH..BH) */
	uint8_t seg_override; /* explicit segment prefix, or S_NONE */
	uint8_t has_osz_prefix; /* 66 seen (needed by a few 0F opcodes) */
};

#define TG_BLOCK_MAX 32 /* instructions per decoded block */

struct tg_block {
	uint64_t phys;      /* guest-physical address of the first byte */
	uint32_t key;       /* mode key: decode depends on CS size */
	uint16_t n;         /* decoded instructions */
	uint16_t valid;
	uint64_t end_phys;  /* one past the last byte (for invalidation) */
	uint32_t verified_gen; /* run generation its bytes were last checked in */
	uint16_t nbytes;
	struct tg_insn insn[TG_BLOCK_MAX];
	uint8_t bytes[256]; /* the guest bytes it was decoded from */
};

/* ---- software TLB: linear page -> host pointer ----
 * Separate tags for read, write and execute so that a page filled by a read
 * does not allow writes before the walker has set the dirty bit, and writes
 * to pages holding decoded code take the slow path that invalidates them. */
#define TG_TLB_SIZE 512
struct tg_tlb_entry {
	uint64_t tag_r, tag_w, tag_x; /* linear page address, or TG_TLB_INVALID */
	uintptr_t addend;             /* host = linear + addend */
};
/* Never equal to lin & (~0xfff | (size - 1)) for size <= 8 (bit 11 is an
 * in-page bit that mask drops), nor to a page address: the aligned
 * one-compare hit in mem.h must not match an empty entry (with 1, a
 * 4-byte access at linear 1 did, and dereferenced host address 1). */
#define TG_TLB_INVALID 0x800ull

struct tg_tlb {
	struct tg_tlb_entry e[TG_TLB_SIZE]; /* 32 bytes each: cheap indexing */
	uint64_t phys[TG_TLB_SIZE];         /* guest-physical page of entry i */
};

/* ---- guest memory slots (owned by the VM; the vCPU keeps a pointer) ---- */
#define TG_MAX_SLOTS 32
struct tg_slot {
	uint64_t gpa, size;
	uint8_t *host;
	uint32_t flags;
	uint8_t **code_bytes; /* per 4 KiB page: NULL, or a 512-byte bitmap of
				 the bytes decoded blocks were built from */
	bool used;
};
struct tg_memmap {
	struct tg_slot slot[TG_MAX_SLOTS];
	uint32_t generation; /* bumped on any slot change */
};

/* ---- one event in flight (KVM's queued exception with payload) ---- */
struct tg_exception {
	bool pending;   /* raised, side effects (payload, RF, GD) not yet applied */
	bool injected;  /* delivery started; re-deliver as is */
	uint8_t vector;
	bool has_error_code;
	uint32_t error_code;
	bool has_payload;
	uint64_t payload; /* #PF: CR2; #DB: DR6 bits in VMX pending-dbg polarity */
	uint8_t soft_len; /* >0: a software exception (INJECT_BP re-injecting an
			     INT3): the saved RIP is RIP + soft_len */
};

/* ---- replay log for exits in the middle of an instruction ----
 * An instruction that needs the VMM (IN, OUT, MMIO) exits with its state
 * uncommitted; after the VMM answers, the instruction is executed again from
 * the start and the n-th access of that kind is served from this log. */
#define TG_REPLAY_MAX 8
struct tg_replay {
	uint8_t n;        /* completed accesses logged */
	uint8_t pos;      /* next access index during (re-)execution */
	uint64_t rip;     /* instruction the log belongs to */
	uint64_t data[TG_REPLAY_MAX];
};

/* ---- shadows ---- */
enum tg_shadow { SHADOW_NONE = 0, SHADOW_MOVSS = 1, SHADOW_STI = 2 };

/* Vendor profile [spec 4.1]: Intel suppresses code breakpoints in a MOV SS
 * shadow, AMD does not. Intel is the default. */
enum tg_vendor { VENDOR_INTEL = 0, VENDOR_AMD = 1 };

/* DR6 / pending-debug bits */
#define DR6_B(n) (1u << (n))
#define DR6_BMASK 0xfu
#define DBG_ENABLED_BP (1u << 12)
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR6_BT (1u << 15)
#define DR6_ACTIVE_LOW 0xffff0ff0u /* reset value; also KVM_EXIT_DEBUG's base */
#define DR6_VOLATILE 0x0001e80full /* bits software can change [spec 1.2] */
#define DR6_FIXED_1 0xfffe07f0ull
#define DR7_VOLATILE 0xffff2bffull /* [spec 1.3] */
#define DR7_FIXED_1 0x400ull
#define DR7_GD (1u << 13)

/* setjmp return codes of the run loop */
enum { TG_JMP_EXCEPTION = 1, TG_JMP_EXIT = 2 };

/* boundary_work flags: anything that takes the slow per-instruction path */
#define BW_EVENT     (1u << 0) /* an exception/interrupt is queued */
#define BW_SHADOW    (1u << 1) /* STI or MOV SS shadow in effect */
#define BW_TF        (1u << 2) /* RFLAGS.TF set (single-step) */
#define BW_DEBUG     (1u << 3) /* some DR7 breakpoint enabled */
#define BW_PENDDBG   (1u << 4) /* pending debug exceptions held */
#define BW_IRQ       (1u << 5) /* an external interrupt/NMI may be deliverable */
#define BW_RF        (1u << 6) /* RFLAGS.RF must be cleared after next insn */
#define BW_HALTED    (1u << 7)
#define BW_REPLAY    (1u << 8) /* re-executing an instruction after an exit */
#define BW_HOSTDBG   (1u << 9) /* host single-step or host breakpoints */
#define BW_TRACE     (1u << 10) /* a trace callback wants every instruction */
#define BW_EXITREQ   (1u << 11) /* an exit is due at the next boundary */

#define NDR 4

struct vcpu {
	/* hot state first */
	uint64_t gpr[16];
	uint64_t rip;
	struct tg_lazyflags lf;
	uint64_t rflags;          /* non-arithmetic bits; arithmetic ones live in lf */
	uint32_t boundary_work;   /* BW_*: 0 means the fast path is allowed */
	uint8_t cpl;
	uint8_t mode;             /* enum tg_mode */
	uintptr_t exit_block;     /* while a fast-path block runs: the address
				     one past its last instruction, so the loop
				     tests one word; a handler that changes
				     decode/mapping state (or a taken Jcc) stores
				     1 to end the block after itself */
	uint8_t flat_r, flat_w;   /* segments (bit n = S_n) needing no checks */
	uint64_t rip_mask;        /* ~0 in 64-bit mode, else 0xffffffff (EIP) */
	struct tg_tlb *tlb_cur;   /* the TLB for the current privilege (user/sup) */

	struct kvm_segment seg[6];  /* ES CS SS DS FS GS, hidden parts included */
	struct kvm_segment tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint64_t dr[NDR], dr6, dr7;
	uint64_t xcr0;

	/* MSRs */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_offset, tsc_aux, apic_base, pat, misc_enable, debugctl;

	/* events and shadows */
	struct tg_exception exc;
	uint8_t shadow;            /* enum tg_shadow in effect for the next
				      instruction; STI/MOV SS/POP SS set it */
	uint8_t shadow_prev;       /* the shadow the running instruction is in
				      (back-to-back shadows do not extend) */
	bool tf_at_start;          /* RFLAGS.TF sampled before the instruction */
	bool rf_at_start;
	bool rf_loaded;            /* the instruction loaded RF from memory */
	uint32_t pending_dbg;      /* debug trap causes not yet delivered (DR6
				      positions, active high: B0-B3, bit 12
				      "enabled breakpoint", BD, BS, BT), held
				      across a MOV SS shadow [spec 4.2, 4.3] */
	uint32_t insn_dbg;         /* data/I-O breakpoint hits of the running
				      instruction, merged when it completes */
	bool suppress_ss;          /* the running instruction delivered its own
				      event (INT n, INT3, INTO, ICEBP): no BS */
	uint8_t vendor;            /* enum tg_vendor: where Intel and AMD differ */

	/* tracing (an extension): called per instruction and per event */
	void (*trace_fn)(void *opaque, const void *record);
	void *trace_opaque;

	/* host debugging (KVM_SET_GUEST_DEBUG): invisible to the guest */
	uint32_t guest_debug;      /* KVM_GUESTDBG_* in effect */
	uint64_t host_dr[NDR], host_dr7; /* USE_HW_BP: the breakpoints in effect */
	uint32_t host_dbg;         /* host breakpoint hits of the running insn */
	uint32_t host_held;        /* host hits held by a MOV SS shadow */
	bool nmi_pending, nmi_masked;
	int16_t irq_pending;       /* KVM_INTERRUPT vector, or -1 */
	bool irq_window_req;       /* run->request_interrupt_window of this run */
	uint32_t exit_request;     /* exit reason due at the next boundary, or 0 */
	bool halted;
	bool triple_fault_pending;

	/* exits */
	struct kvm_run *run;
	uint8_t exit_pending;      /* 1: IN data due in the run page, 2: MMIO read */
	struct tg_replay io_replay;
	struct tg_replay mmio_replay;
	uint8_t user_msr_exits;    /* KVM_CAP_X86_USER_SPACE_MSR: the
				      KVM_MSR_EXIT_REASON_* that exit */

	/* memory */
	struct tg_memmap *mem;
	struct tg_tlb tlb_sup, tlb_user;

	/* decoded code */
	struct tg_block *blocks;   /* TG_NBLOCKS, direct-mapped by phys address */
	struct tg_block scratch;   /* uncached page-crossing instruction */
	/* The fast-path block being executed (NULL outside one): its first
	 * instruction, RIP and the retired count before it. Which instruction
	 * is running follows from c->rip (tg_retired_now). */
	const struct tg_insn *blk_start;
	uint64_t blk_rip, blk_base;
	unsigned blk_n;
	const struct tg_insn *blk_last; /* last instruction a chain ran */
	uint64_t run_limit;        /* insns_retired bound of this run_fast */
	unsigned loop_restarts;    /* in-chain restarts of a looping block left */
	uint32_t mem_generation;
	uint32_t run_gen;          /* bumped per run: blocks re-verify their bytes */
	uint32_t jc_gen;           /* bumped when RIP->block translations may change */
	struct tg_jc_entry *jcache; /* TG_JC_SIZE entries */

	/* run control */
	jmp_buf jb;
	uint64_t budget;           /* 0 = unbounded */
	uint64_t budget_left;
	uint64_t budget_start;     /* insns_retired when the run began */
	int exit_ret;              /* tg_cpu_run's return value for TG_JMP_EXIT */
	uint64_t unimpl_rip;
	uint64_t insns_retired;
	uint64_t exceptions_delivered;
	uint64_t blocks_decoded;
	uint64_t tsc_base;         /* guest TSC = tsc_base + insns_retired */

	int id;
};

#define TG_NBLOCKS 4096

/* Jump cache: RIP -> decoded block, valid while jc_gen is unchanged (TLB
 * flushes, mode/CPL/segment changes bump it), so a hit skips the CS checks,
 * the fetch translation and the block hash. */
#define TG_JC_SIZE 4096
struct tg_jc_entry {
	uint64_t rip;
	uint64_t phys;
	struct tg_block *b;
	uint32_t gen;
};

/* The kvm_run area: struct kvm_run, then the port-I/O data page at the
 * offset KVM uses (KVM_PIO_PAGE_OFFSET = 1 page). */
#define TG_RUN_IO_OFFSET 4096
#define TG_RUN_SIZE 8192

#endif
