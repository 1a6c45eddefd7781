/*
 * uio_move (kernel/fs/uio.h): the one place file data crosses between a
 * kernel buffer and a reader's or writer's memory. User addresses go
 * through copyin/copyout, so a bad pointer is -EFAULT, never a panic.
 */
#include "kernel/fs/uio.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/vm/uaccess.h"

int uio_move(void *kbuf, size_t n, struct uio *uio, bool to_uio)
{
	KASSERT(n <= uio->resid, "moving %lu of %lu bytes", n, uio->resid);
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
