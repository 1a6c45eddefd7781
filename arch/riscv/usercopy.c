/*
 * copyin, copyout, copyinstr (kernel/vm/uaccess.h): check the user range,
 * then run the copy loops of uaccess.S; and the exception-fixup lookup the
 * trap handler uses. Any kernel code may call the copies from process
 * context with no spinlock held (a fault inside may sleep in vm_fault).
 * (Not named uaccess.c: the Makefile would give it uaccess.S's object.)
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/uaccess.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/vmparam.h"
#include "arch/riscv/uaccess_arch.h"

/* True if [uaddr, uaddr + len) lies inside [USER_MIN, USER_MAX); an empty
 * range is always fine (nothing is touched). Sizes in bytes. */
bool uaccess_range_ok(vaddr_t uaddr, size_t len)
{
	if (len == 0)
		return true;
	if (uaddr < USER_MIN || uaddr >= USER_MAX)
		return false;
	return len <= USER_MAX - uaddr;
}

/* A fault on a user address is resolved in the current process's pmap, so
 * that pmap must be in satp: on the kernel pmap every user access would
 * fault again after vm_fault maps the page, for ever. */
static void uaccess_check_pmap(void)
{
	struct pmap *loaded;

	push_off();
	loaded = cpu_self()->pmap;
	pop_off();
	KASSERT(loaded != NULL && loaded != pmap_kernel(),
		"user access without a user pmap in satp");
}

/* Copy len bytes from user usrc to kernel kdst. 0 or -EFAULT (part of the
 * range is outside user space or not mapped readable by the process). */
int copyin(void *kdst, vaddr_t usrc, size_t len)
{
	if (!uaccess_range_ok(usrc, len))
		return -EFAULT;
	if (len == 0)
		return 0;
	uaccess_check_pmap();
	return uaccess_arch_copyin(kdst, usrc, len);
}

/* Copy len bytes from kernel ksrc to user udst. 0 or -EFAULT (part of the
 * range is outside user space or not writable by the process). Bytes before
 * the faulting one may have been written. */
int copyout(vaddr_t udst, const void *ksrc, size_t len)
{
	if (!uaccess_range_ok(udst, len))
		return -EFAULT;
	if (len == 0)
		return 0;
	uaccess_check_pmap();
	return uaccess_arch_copyout(udst, ksrc, len);
}

/*
 * Copy the NUL-terminated user string at usrc into kdst (max bytes, NUL
 * included). Returns its length without the NUL; -ENAMETOOLONG if max bytes
 * hold no NUL; -EFAULT if usrc is not a user address, a byte faults, or the
 * string runs past the end of user space.
 */
long copyinstr(char *kdst, vaddr_t usrc, size_t max)
{
	size_t room;
	long n;

	if (max == 0)
		return -ENAMETOOLONG;
	if (!uaccess_range_ok(usrc, 1))
		return -EFAULT;
	room = MIN(max, (size_t)(USER_MAX - usrc));
	uaccess_check_pmap();
	n = uaccess_arch_copyinstr(kdst, usrc, room);
	if (n == -ENAMETOOLONG && room < max)
		return -EFAULT;
	return n;
}

/* See uaccess_arch.h. A linear scan: the table has a handful of entries. */
vaddr_t uaccess_fixup_lookup(vaddr_t pc)
{
	const struct uaccess_extable_entry *e;

	for (e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == pc)
			return e->fixup;
	}
	return 0;
}
