/* The /dev/kvm backend: the API's operations as the real ioctls. Thin on
 * purpose: whatever this backend reports is what the host's KVM does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../vm/backend.h"

void tg_set_last_error(const char *msg);

struct kvm_vm_priv {
	int kvm_fd, vm_fd;
	int run_size;
	struct kvm_cpuid2 *cpuid;
};

struct kvm_vcpu_priv {
	int fd;
};

static struct kvm_vm_priv *vmp(struct tg_vm *vm) { return vm->priv; }
static int vfd(struct tg_vcpu *v) { return ((struct kvm_vcpu_priv *)v->priv)->fd; }

static int ioctl_err(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);
	return r < 0 ? -errno : r;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof c->entries[0]);
		if (!c)
			return 0;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return 0;
	}
	return 0;
}

static int kvm_vm_create(struct tg_vm *vm)
{
	char msg[200];
	struct kvm_vm_priv *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->kvm_fd = p->vm_fd = -1;
	p->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (p->kvm_fd < 0) {
		int e = errno;
		snprintf(msg, sizeof msg, "cannot open /dev/kvm: %s", strerror(e));
		tg_set_last_error(msg);
		free(p);
		return -e;
	}
	int api = ioctl(p->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(msg, sizeof msg, "/dev/kvm API version %d, expected %d", api,
			 KVM_API_VERSION);
		goto fail_msg;
	}
	p->vm_fd = ioctl(p->kvm_fd, KVM_CREATE_VM, 0);
	if (p->vm_fd < 0) {
		snprintf(msg, sizeof msg, "KVM_CREATE_VM failed: %s", strerror(errno));
		goto fail_msg;
	}
	p->run_size = ioctl(p->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (p->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(msg, sizeof msg, "KVM_GET_VCPU_MMAP_SIZE failed");
		goto fail_msg;
	}
	/* Intel needs a TSS area for real-mode emulation; harmless on AMD. */
	ioctl(p->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	p->cpuid = supported_cpuid(p->kvm_fd);
	if (!p->cpuid) {
		snprintf(msg, sizeof msg, "KVM_GET_SUPPORTED_CPUID failed: %s",
			 strerror(errno));
		goto fail_msg;
	}
	vm->priv = p;
	return 0;
fail_msg:
	tg_set_last_error(msg);
	if (p->vm_fd >= 0)
		close(p->vm_fd);
	close(p->kvm_fd);
	free(p->cpuid);
	free(p);
	return -ENODEV;
}

static void kvm_vm_destroy(struct tg_vm *vm)
{
	struct kvm_vm_priv *p = vmp(vm);
	if (!p)
		return;
	close(p->vm_fd);
	close(p->kvm_fd);
	free(p->cpuid);
	free(p);
	vm->priv = 0;
}

static int kvm_set_memory(struct tg_vm *vm, const struct kvm_userspace_memory_region *r)
{
	return ioctl_err(vmp(vm)->vm_fd, KVM_SET_USER_MEMORY_REGION, (void *)r);
}

static int kvm_check_extension(struct tg_vm *vm, long cap)
{
	int r = ioctl(vmp(vm)->vm_fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

static int kvm_vcpu_create(struct tg_vcpu *v)
{
	struct kvm_vm_priv *p = vmp(v->vm);
	struct kvm_vcpu_priv *vp = calloc(1, sizeof *vp);
	if (!vp)
		return -ENOMEM;
	vp->fd = ioctl(p->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (vp->fd < 0) {
		int e = -errno;
		free(vp);
		return e;
	}
	void *run = mmap(0, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vp->fd, 0);
	if (run == MAP_FAILED) {
		int e = -errno;
		close(vp->fd);
		free(vp);
		return e;
	}
	int r = ioctl_err(vp->fd, KVM_SET_CPUID2, p->cpuid);
	if (r < 0) {
		munmap(run, p->run_size);
		close(vp->fd);
		free(vp);
		return r;
	}
	v->run = run;
	v->priv = vp;
	return 0;
}

static void kvm_vcpu_destroy(struct tg_vcpu *v)
{
	struct kvm_vcpu_priv *vp = v->priv;
	if (!vp)
		return;
	munmap(v->run, vmp(v->vm)->run_size);
	v->run = 0;
	close(vp->fd);
	free(vp);
	v->priv = 0;
}

static int kvm_run(struct tg_vcpu *v)
{
	int r = ioctl(vfd(v), KVM_RUN, 0);
	if (r < 0) {
		if (errno == EINTR)
			v->run->exit_reason = KVM_EXIT_INTR;
		return -errno;
	}
	return 0;
}

#define PASS(name, req, type)                                            \
	static int kvm_##name(struct tg_vcpu *v, type arg)               \
	{                                                                \
		return ioctl_err(vfd(v), req, (void *)arg);              \
	}
PASS(get_regs, KVM_GET_REGS, struct kvm_regs *)
PASS(set_regs, KVM_SET_REGS, const struct kvm_regs *)
PASS(get_sregs, KVM_GET_SREGS, struct kvm_sregs *)
PASS(set_sregs, KVM_SET_SREGS, const struct kvm_sregs *)
PASS(get_debugregs, KVM_GET_DEBUGREGS, struct kvm_debugregs *)
PASS(set_debugregs, KVM_SET_DEBUGREGS, const struct kvm_debugregs *)
PASS(get_msrs, KVM_GET_MSRS, struct kvm_msrs *)
PASS(set_msrs, KVM_SET_MSRS, const struct kvm_msrs *)
PASS(get_vcpu_events, KVM_GET_VCPU_EVENTS, struct kvm_vcpu_events *)
PASS(set_vcpu_events, KVM_SET_VCPU_EVENTS, const struct kvm_vcpu_events *)
PASS(interrupt, KVM_INTERRUPT, const struct kvm_interrupt *)
PASS(set_guest_debug, KVM_SET_GUEST_DEBUG, const struct kvm_guest_debug *)
PASS(translate, KVM_TRANSLATE, struct kvm_translation *)
#undef PASS

static int kvm_nmi(struct tg_vcpu *v)
{
	return ioctl_err(vfd(v), KVM_NMI, 0);
}

static int kvm_enable_cap(struct tg_vm *vm, const struct kvm_enable_cap *cap)
{
	int r = ioctl_err(vmp(vm)->vm_fd, KVM_ENABLE_CAP, (void *)cap);
	if (r == 0 && cap->cap == KVM_CAP_EXCEPTION_PAYLOAD)
		vm->cap_exception_payload = cap->args[0] != 0;
	if (r == 0 && cap->cap == KVM_CAP_X86_TRIPLE_FAULT_EVENT)
		vm->cap_triple_fault_event = cap->args[0] != 0;
	return r;
}

const struct tg_backend_ops tg_kvm_ops = {
	.name = "kvm",
	.owns_run = true,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.set_memory = kvm_set_memory,
	.check_extension = kvm_check_extension,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.run = kvm_run,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.get_debugregs = kvm_get_debugregs,
	.set_debugregs = kvm_set_debugregs,
	.get_msrs = kvm_get_msrs,
	.set_msrs = kvm_set_msrs,
	.enable_cap = kvm_enable_cap,
	.get_vcpu_events = kvm_get_vcpu_events,
	.set_vcpu_events = kvm_set_vcpu_events,
	.interrupt = kvm_interrupt,
	.nmi = kvm_nmi,
	.set_guest_debug = kvm_set_guest_debug,
	.translate = kvm_translate,
};
