/* The backend interface behind include/trapgate.h: one operation per KVM
 * ioctl. vm.c validates what is backend-independent and dispatches. */
#ifndef TG_VM_BACKEND_H
#define TG_VM_BACKEND_H

#include "trapgate.h"
#include "../cpu/vcpu.h"

#define TG_MAX_VCPUS 8

struct tg_backend_ops {
	const char *name;
	bool owns_run; /* vcpu_create sets v->run (KVM's mmap()ed page) */
	int (*vm_create)(struct tg_vm *vm);
	void (*vm_destroy)(struct tg_vm *vm);
	/* called after vm.c has validated and updated vm->mem */
	int (*set_memory)(struct tg_vm *vm, const struct kvm_userspace_memory_region *r);
	int (*check_extension)(struct tg_vm *vm, long cap);
	int (*vcpu_create)(struct tg_vcpu *v);
	void (*vcpu_destroy)(struct tg_vcpu *v);
	int (*run)(struct tg_vcpu *v);
	int (*get_regs)(struct tg_vcpu *v, struct kvm_regs *r);
	int (*set_regs)(struct tg_vcpu *v, const struct kvm_regs *r);
	int (*get_sregs)(struct tg_vcpu *v, struct kvm_sregs *s);
	int (*set_sregs)(struct tg_vcpu *v, const struct kvm_sregs *s);
	int (*get_debugregs)(struct tg_vcpu *v, struct kvm_debugregs *d);
	int (*set_debugregs)(struct tg_vcpu *v, const struct kvm_debugregs *d);
	int (*get_msrs)(struct tg_vcpu *v, struct kvm_msrs *m);
	int (*set_msrs)(struct tg_vcpu *v, const struct kvm_msrs *m);
	int (*enable_cap)(struct tg_vm *vm, const struct kvm_enable_cap *cap);
	int (*get_vcpu_events)(struct tg_vcpu *v, struct kvm_vcpu_events *e);
	int (*set_vcpu_events)(struct tg_vcpu *v, const struct kvm_vcpu_events *e);
	int (*interrupt)(struct tg_vcpu *v, const struct kvm_interrupt *irq);
	int (*nmi)(struct tg_vcpu *v);
	int (*get_debug_state)(struct tg_vcpu *v, struct tg_debug_state *st);
	int (*set_debug_state)(struct tg_vcpu *v, const struct tg_debug_state *st);
	int (*set_guest_debug)(struct tg_vcpu *v, const struct kvm_guest_debug *g);
	int (*translate)(struct tg_vcpu *v, struct kvm_translation *tr);
	int (*set_trace)(struct tg_vcpu *v, tg_trace_fn fn, void *opaque);
	int (*set_budget)(struct tg_vcpu *v, uint64_t insns);
	int (*get_stats)(struct tg_vcpu *v, struct tg_vcpu_stats *st);
};

struct tg_vm {
	const struct tg_backend_ops *ops;
	bool cap_exception_payload;   /* KVM_CAP_EXCEPTION_PAYLOAD enabled */
	bool cap_triple_fault_event;  /* KVM_CAP_X86_TRIPLE_FAULT_EVENT enabled */
	uint8_t cap_user_space_msr;   /* KVM_CAP_X86_USER_SPACE_MSR reasons */
	struct tg_memmap mem;     /* the slot table, kept for every backend */
	struct tg_vcpu *vcpus[TG_MAX_VCPUS];
	void *priv;
};

struct tg_vcpu {
	struct tg_vm *vm;
	int id;
	struct kvm_run *run;
	uint64_t exits;
	void *priv;
};

extern const struct tg_backend_ops tg_model_ops;
extern const struct tg_backend_ops tg_kvm_ops;

#endif
