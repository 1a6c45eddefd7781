/*
 * uio_move (kernel/fs/uio.h): the one place file data crosses between a
 * kernel buffer and a reader's or writer's memory. User addresses go
 * through copyin/copyout, so a bad pointer is -EFAULT, never a panic; a
 * pending signal stops a user transfer before its next chunk.
 */
#include "kernel/fs/uio.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/uaccess.h"

bool uio_interrupted(const struct uio *uio)
{
	struct proc *p = proc_current();

	return uio->user && p != NULL && proc_signal_pending(p);
}

int uio_move(void *kbuf, size_t n, struct uio *uio, bool to_uio)
{
	KASSERT(n <= uio->resid, "moving %lu of %lu bytes", n, uio->resid);
	if (uio_interrupted(uio))
		return -EINTR;
	if (uio->user) {
		int err = to_uio ? copyout(uio->addr, kbuf, n) : copyin(kbuf, uio->addr, n);
		if (err < 0)
			return -EFAULT;
	} else if (to_uio) {
		memcpy((void *)uio->addr, kbuf, n);
	} else {
		memcpy(kbuf, (const void *)uio->addr, n);
	}
	uio->addr += n;
	uio->resid -= n;
	uio->offset += (off_t)n;
	return 0;
}
