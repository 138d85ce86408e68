/* The public API: argument validation shared by all backends, the slot
 * table, and dispatch to the backend's operations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static __thread char last_error[256];

const char *tg_last_error(void)
{
	return last_error;
}

void tg_set_last_error(const char *msg)
{
	snprintf(last_error, sizeof last_error, "%s", msg);
}

static const struct tg_backend_ops *backend_for(enum tg_backend_kind kind)
{
	switch (kind) {
	case TG_BACKEND_MODEL:
		return &tg_model_ops;
	case TG_BACKEND_KVM:
		return &tg_kvm_ops;
	default:
		return 0;
	}
}

static void free_code_maps(struct tg_slot *s)
{
	if (!s->code_bytes)
		return;
	for (uint64_t p = 0; p < s->size >> 12; p++)
		free(s->code_bytes[p]);
	free(s->code_bytes);
	s->code_bytes = 0;
}

int tg_vm_create(enum tg_backend_kind kind, struct tg_vm **out)
{
	if (!out)
		return -EINVAL;
	*out = 0;
	const struct tg_backend_ops *ops = backend_for(kind);
	if (!ops) {
		tg_set_last_error("unknown backend");
		return -EINVAL;
	}
	struct tg_vm *vm = calloc(1, sizeof *vm);
	if (!vm)
		return -ENOMEM;
	vm->ops = ops;
	int r = ops->vm_create(vm);
	if (r < 0) {
		free(vm);
		return r;
	}
	*out = vm;
	return 0;
}

void tg_vm_destroy(struct tg_vm *vm)
{
	if (!vm)
		return;
	for (int i = 0; i < TG_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			tg_vcpu_destroy(vm->vcpus[i]);
	vm->ops->vm_destroy(vm);
	for (int i = 0; i < TG_MAX_SLOTS; i++)
		free_code_maps(&vm->mem.slot[i]);
	free(vm);
}

const char *tg_vm_backend_name(const struct tg_vm *vm)
{
	return vm ? vm->ops->name : "none";
}

/* KVM's rules [Documentation/virt/kvm/api.rst, KVM_SET_USER_MEMORY_REGION]:
 * page-aligned, no overlap with another slot, size 0 deletes. */
int tg_vm_set_user_memory_region(struct tg_vm *vm,
				 const struct kvm_userspace_memory_region *r)
{
	if (!vm || !r)
		return -EINVAL;
	if (r->slot >= TG_MAX_SLOTS)
		return -EINVAL;
	if ((r->guest_phys_addr | r->memory_size | r->userspace_addr) & 0xfff)
		return -EINVAL;
	if (r->flags & ~(uint32_t)KVM_MEM_READONLY)
		return -EINVAL;
	if (r->memory_size && r->guest_phys_addr + r->memory_size < r->guest_phys_addr)
		return -EINVAL;
	if (r->memory_size && !r->userspace_addr)
		return -EFAULT;
	struct tg_slot *s = &vm->mem.slot[r->slot];
	if (r->memory_size) {
		for (int i = 0; i < TG_MAX_SLOTS; i++) {
			const struct tg_slot *o = &vm->mem.slot[i];
			if (i == (int)r->slot || !o->used)
				continue;
			if (r->guest_phys_addr < o->gpa + o->size &&
			    o->gpa < r->guest_phys_addr + r->memory_size)
				return -EEXIST;
		}
	}
	int ret = vm->ops->set_memory ? vm->ops->set_memory(vm, r) : 0;
	if (ret < 0)
		return ret;
	free_code_maps(s);
	*s = (struct tg_slot){ 0 };
	if (r->memory_size) {
		uint64_t pages = r->memory_size >> 12;
		s->code_bytes = calloc(pages, sizeof *s->code_bytes);
		if (!s->code_bytes)
			return -ENOMEM;
		s->gpa = r->guest_phys_addr;
		s->size = r->memory_size;
		s->host = (uint8_t *)(uintptr_t)r->userspace_addr;
		s->flags = r->flags;
		s->used = true;
	}
	vm->mem.generation++;
	return 0;
}

int tg_vm_check_extension(struct tg_vm *vm, long cap)
{
	if (!vm)
		return -EINVAL;
	return vm->ops->check_extension ? vm->ops->check_extension(vm, cap) : 0;
}

static int phys_copy(struct tg_vm *vm, uint64_t gpa, void *buf, size_t len,
		     bool write)
{
	if (!vm || (!buf && len))
		return -EINVAL;
	uint8_t *b = buf;
	while (len) {
		const struct tg_slot *s = 0;
		for (int i = 0; i < TG_MAX_SLOTS; i++) {
			const struct tg_slot *o = &vm->mem.slot[i];
			if (o->used && gpa >= o->gpa && gpa - o->gpa < o->size) {
				s = o;
				break;
			}
		}
		if (!s)
			return -EFAULT;
		uint64_t off = gpa - s->gpa;
		size_t n = s->size - off < len ? (size_t)(s->size - off) : len;
		if (write)
			memcpy(s->host + off, b, n);
		else
			memcpy(b, s->host + off, n);
		b += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int tg_vm_read_phys(struct tg_vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return phys_copy(vm, gpa, buf, len, false);
}

int tg_vm_write_phys(struct tg_vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	return phys_copy(vm, gpa, (void *)buf, len, true);
}

int tg_vcpu_create(struct tg_vm *vm, int id, struct tg_vcpu **out)
{
	if (!vm || !out)
		return -EINVAL;
	*out = 0;
	if (id < 0 || id >= TG_MAX_VCPUS)
		return -EINVAL;
	if (vm->vcpus[id])
		return -EEXIST;
	struct tg_vcpu *v = calloc(1, sizeof *v);
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	if (!vm->ops->owns_run) {
		v->run = calloc(1, TG_RUN_SIZE);
		if (!v->run) {
			free(v);
			return -ENOMEM;
		}
	}
	int r = vm->ops->vcpu_create(v);
	if (r < 0) {
		if (!vm->ops->owns_run)
			free(v->run);
		free(v);
		return r;
	}
	vm->vcpus[id] = v;
	*out = v;
	return 0;
}

void tg_vcpu_destroy(struct tg_vcpu *v)
{
	if (!v)
		return;
	bool owns = v->vm->ops->owns_run;
	v->vm->ops->vcpu_destroy(v);
	v->vm->vcpus[v->id] = 0;
	if (!owns)
		free(v->run);
	free(v);
}

struct kvm_run *tg_vcpu_kvm_run(struct tg_vcpu *v)
{
	return v ? v->run : 0;
}

int tg_vcpu_run(struct tg_vcpu *v)
{
	if (!v)
		return -EINVAL;
	v->exits++;
	return v->vm->ops->run(v);
}

#define FORWARD(name, type)                                        \
	int tg_vcpu_##name(struct tg_vcpu *v, type arg)            \
	{                                                          \
		if (!v || !arg)                                    \
			return -EFAULT;                            \
		return v->vm->ops->name(v, arg);                   \
	}
FORWARD(get_regs, struct kvm_regs *)
FORWARD(set_regs, const struct kvm_regs *)
FORWARD(get_sregs, struct kvm_sregs *)
FORWARD(set_sregs, const struct kvm_sregs *)
FORWARD(get_debugregs, struct kvm_debugregs *)
FORWARD(set_debugregs, const struct kvm_debugregs *)
FORWARD(get_msrs, struct kvm_msrs *)
FORWARD(set_msrs, const struct kvm_msrs *)
#undef FORWARD

/* Operations a backend may lack answer like an unknown ioctl: -ENOTTY. */
#define FORWARD_OPT(name, type)                                    \
	int tg_vcpu_##name(struct tg_vcpu *v, type arg)            \
	{                                                          \
		if (!v || !arg)                                    \
			return -EFAULT;                            \
		if (!v->vm->ops->name)                             \
			return -ENOTTY;                            \
		return v->vm->ops->name(v, arg);                   \
	}
FORWARD_OPT(get_vcpu_events, struct kvm_vcpu_events *)
FORWARD_OPT(set_vcpu_events, const struct kvm_vcpu_events *)
FORWARD_OPT(interrupt, const struct kvm_interrupt *)
FORWARD_OPT(get_debug_state, struct tg_debug_state *)
FORWARD_OPT(set_guest_debug, const struct kvm_guest_debug *)
FORWARD_OPT(translate, struct kvm_translation *)
FORWARD_OPT(set_debug_state, const struct tg_debug_state *)
#undef FORWARD_OPT

int tg_vcpu_set_trace(struct tg_vcpu *v, tg_trace_fn fn, void *opaque)
{
	if (!v)
		return -EFAULT;
	return v->vm->ops->set_trace ? v->vm->ops->set_trace(v, fn, opaque) : -ENOTTY;
}

int tg_vcpu_nmi(struct tg_vcpu *v)
{
	if (!v)
		return -EFAULT;
	return v->vm->ops->nmi ? v->vm->ops->nmi(v) : -ENOTTY;
}

int tg_vm_enable_cap(struct tg_vm *vm, const struct kvm_enable_cap *cap)
{
	if (!vm || !cap)
		return -EFAULT;
	if (cap->flags)
		return -EINVAL;
	if (!vm->ops->enable_cap)
		return -EINVAL;
	return vm->ops->enable_cap(vm, cap);
}

int tg_vcpu_set_budget(struct tg_vcpu *v, uint64_t insns)
{
	if (!v)
		return -EINVAL;
	if (!v->vm->ops->set_budget)
		return insns ? -EINVAL : 0;
	return v->vm->ops->set_budget(v, insns);
}

int tg_vcpu_get_stats(struct tg_vcpu *v, struct tg_vcpu_stats *st)
{
	if (!v || !st)
		return -EFAULT;
	memset(st, 0, sizeof *st);
	st->exits = v->exits;
	return v->vm->ops->get_stats ? v->vm->ops->get_stats(v, st) : 0;
}
