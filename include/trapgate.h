/* trapgate: a KVM-shaped vCPU API with two backends (software model, /dev/kvm).
 *
 * Every call mirrors one KVM ioctl and takes the real <linux/kvm.h> structs.
 * Calls return 0 (or a count where KVM returns one) or a negative errno where
 * KVM would fail: -EINVAL for bad arguments, -EBUSY, -ENOMEM, -EEXIST ...
 * Nothing here ever crashes on bad input.
 */
#ifndef TRAPGATE_H
#define TRAPGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tg_vm;
struct tg_vcpu;

enum tg_backend_kind {
	TG_BACKEND_MODEL = 0, /* the software vCPU (src/cpu) */
	TG_BACKEND_KVM = 1,   /* /dev/kvm */
};

/* KVM_CREATE_VM. On failure *out is NULL; for the kvm backend the reason
 * (missing /dev/kvm, permissions, capability) is in tg_last_error(). */
int tg_vm_create(enum tg_backend_kind kind, struct tg_vm **out);
void tg_vm_destroy(struct tg_vm *vm);
const char *tg_vm_backend_name(const struct tg_vm *vm);
/* A human-readable reason for the last failure of tg_vm_create (per thread). */
const char *tg_last_error(void);

/* KVM_SET_USER_MEMORY_REGION: guest_phys_addr, memory_size and
 * userspace_addr must be 4 KiB aligned; slots may not overlap; size 0
 * deletes a slot. The host memory stays owned by the caller. */
int tg_vm_set_user_memory_region(struct tg_vm *vm,
				 const struct kvm_userspace_memory_region *r);

/* KVM_CHECK_EXTENSION: > 0 when supported (value as KVM defines), 0 otherwise. */
int tg_vm_check_extension(struct tg_vm *vm, long cap);

/* KVM_CREATE_VCPU. id < 0 or a duplicate id gives -EINVAL / -EEXIST. */
int tg_vcpu_create(struct tg_vm *vm, int id, struct tg_vcpu **out);
void tg_vcpu_destroy(struct tg_vcpu *vcpu);

/* The mmap()ed kvm_run of the vCPU: exit reason and exit data after a run,
 * immediate_exit before a run. Valid for the life of the vCPU. */
struct kvm_run *tg_vcpu_kvm_run(struct tg_vcpu *vcpu);

/* KVM_RUN. Returns 0 with run->exit_reason set, or a negative errno.
 * -EINTR with exit_reason KVM_EXIT_INTR when immediate_exit was set or the
 * instruction budget (tg_vcpu_set_budget) ran out, as KVM does on a signal. */
int tg_vcpu_run(struct tg_vcpu *vcpu);

int tg_vcpu_get_regs(struct tg_vcpu *vcpu, struct kvm_regs *regs);
int tg_vcpu_set_regs(struct tg_vcpu *vcpu, const struct kvm_regs *regs);
int tg_vcpu_get_sregs(struct tg_vcpu *vcpu, struct kvm_sregs *sregs);
int tg_vcpu_set_sregs(struct tg_vcpu *vcpu, const struct kvm_sregs *sregs);
int tg_vcpu_get_debugregs(struct tg_vcpu *vcpu, struct kvm_debugregs *dregs);
int tg_vcpu_set_debugregs(struct tg_vcpu *vcpu, const struct kvm_debugregs *dregs);
/* KVM_GET_MSRS / KVM_SET_MSRS: return the number of MSRs processed; stops at
 * the first unknown MSR or rejected value, as KVM does. */
int tg_vcpu_get_msrs(struct tg_vcpu *vcpu, struct kvm_msrs *msrs);
int tg_vcpu_set_msrs(struct tg_vcpu *vcpu, const struct kvm_msrs *msrs);

/* KVM_ENABLE_CAP on the VM: KVM_CAP_EXCEPTION_PAYLOAD and
 * KVM_CAP_X86_TRIPLE_FAULT_EVENT (args[0] = 1 to enable). */
int tg_vm_enable_cap(struct tg_vm *vm, const struct kvm_enable_cap *cap);

/* KVM_GET_VCPU_EVENTS / KVM_SET_VCPU_EVENTS with KVM's validation and the
 * pending/injected and payload semantics of KVM_CAP_EXCEPTION_PAYLOAD. */
int tg_vcpu_get_vcpu_events(struct tg_vcpu *vcpu, struct kvm_vcpu_events *ev);
int tg_vcpu_set_vcpu_events(struct tg_vcpu *vcpu, const struct kvm_vcpu_events *ev);
/* KVM_INTERRUPT (userspace irqchip): queue one external interrupt,
 * replacing one not yet taken (as KVM does); -EINVAL for irq > 255. */
int tg_vcpu_interrupt(struct tg_vcpu *vcpu, const struct kvm_interrupt *irq);
/* KVM_NMI: make an NMI pending. */
int tg_vcpu_nmi(struct tg_vcpu *vcpu);

/* KVM_SET_GUEST_DEBUG with KVM's semantics (spec 7.1-7.2): ENABLE,
 * SINGLESTEP, USE_SW_BP, USE_HW_BP (debugreg[0..3,7]), INJECT_DB /
 * INJECT_BP (-EBUSY, changing nothing, while an exception is pending or
 * injected: seed 002), BLOCKIRQ. Hits end the run with KVM_EXIT_DEBUG and
 * run->debug.arch filled as KVM does. */
int tg_vcpu_set_guest_debug(struct tg_vcpu *vcpu, const struct kvm_guest_debug *dbg);
/* KVM_TRANSLATE: guest linear (virtual) address -> physical, through the
 * vCPU's current paging mode, without side effects on the guest. */
int tg_vcpu_translate(struct tg_vcpu *vcpu, struct kvm_translation *tr);

/* ---- trapgate extensions (no KVM equivalent) ---- */

/* Tracing (model backend): a callback for every executed instruction and
 * every event delivered through the IDT, for people debugging a scenario.
 * The callback runs inside tg_vcpu_run; it must not call back into the
 * vCPU. NULL disables. The kvm backend returns -ENOTTY. */
enum tg_trace_kind { TG_TRACE_INSN = 1, TG_TRACE_EVENT = 2 };
struct tg_trace_record {
	__u32 kind;          /* enum tg_trace_kind */
	__u8 mode;           /* 16, 32 or 64: code size the bytes decode in */
	__u8 len;            /* TG_TRACE_INSN: instruction length */
	__u8 bytes[15];      /* TG_TRACE_INSN: the instruction bytes */
	__u8 vector;         /* TG_TRACE_EVENT */
	__u8 has_error_code; /* TG_TRACE_EVENT */
	__u8 ev_kind;        /* TG_TRACE_EVENT: 0 exception, 1 INT n, 2 external
				interrupt, 3 NMI, 4 ICEBP, 5 INT3/INTO */
	__u32 error_code;
	__u64 rip;           /* INSN: its RIP; EVENT: the saved (return) RIP */
	__u64 cs_base;
	__u64 handler_rip;   /* EVENT: where delivery continues */
	__u64 dr6, dr7;      /* after the instruction / after delivery */
	__u64 rflags;
	__u64 icount;        /* instructions retired before this record */
};
typedef void (*tg_trace_fn)(void *opaque, const struct tg_trace_record *rec);
int tg_vcpu_set_trace(struct tg_vcpu *vcpu, tg_trace_fn fn, void *opaque);


/* The part of the vCPU state KVM's ABI cannot express (spec 4.3: KVM has
 * no field for pending debug exceptions outside nesting). Together with
 * regs, sregs, debugregs, MSRs and vcpu events it is the whole state at an
 * instruction boundary, so a vCPU saved inside a MOV SS shadow with a held
 * data-breakpoint cause and restored elsewhere delivers the same #DB. */
#define TG_VENDOR_INTEL 0
#define TG_VENDOR_AMD 1
struct tg_debug_state {
	__u32 pending_dbg; /* held #DB causes in DR6 bit positions, all active
			      high: B0-B3 (bits 0-3), bit 12 (an enabled
			      breakpoint matched), BD (13), BS (14), BT (15) */
	__u8 shadow;       /* 0, KVM_X86_SHADOW_INT_MOV_SS or _STI: the
			      interrupt shadow the next instruction runs in */
	__u8 vendor;       /* TG_VENDOR_*: where Intel and AMD differ (code
			      breakpoints inside a MOV SS shadow) */
	__u8 pad[2];       /* must be 0 */
	__u64 reserved[6]; /* must be 0 */
};
#define TG_PENDING_DBG_MASK 0x0000f00fu
int tg_vcpu_get_debug_state(struct tg_vcpu *vcpu, struct tg_debug_state *st);
int tg_vcpu_set_debug_state(struct tg_vcpu *vcpu, const struct tg_debug_state *st);


/* Bound the next runs: at most `insns` guest instructions retire before
 * tg_vcpu_run returns -EINTR (KVM_EXIT_INTR). 0 means unbounded. On the kvm
 * backend only 0 is accepted (-EINVAL otherwise). */
int tg_vcpu_set_budget(struct tg_vcpu *vcpu, uint64_t insns);

struct tg_vcpu_stats {
	uint64_t insns_retired; /* guest instructions completed (model only) */
	uint64_t exits;         /* returns from tg_vcpu_run */
	uint64_t exceptions;    /* exceptions/interrupts delivered through the IDT */
	uint64_t blocks_decoded;
};
int tg_vcpu_get_stats(struct tg_vcpu *vcpu, struct tg_vcpu_stats *st);

/* Reads/writes guest-physical memory through the slot table (for loaders and
 * debuggers). -EFAULT if any byte is outside every slot. */
int tg_vm_read_phys(struct tg_vm *vm, uint64_t gpa, void *buf, size_t len);
int tg_vm_write_phys(struct tg_vm *vm, uint64_t gpa, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
