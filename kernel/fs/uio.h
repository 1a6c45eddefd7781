/*
 * A uio describes where the bytes of a read or write go: user memory of the
 * current process or kernel memory. File systems and drivers move data only
 * through uio_move so they never care which.
 */
#ifndef KERNEL_FS_UIO_H
#define KERNEL_FS_UIO_H

#include "kernel/types.h"

struct uio {
	vaddr_t addr;           /* user or kernel address of the next byte */
	size_t resid;           /* bytes still to move */
	off_t offset;           /* file offset of the next byte */
	bool user;              /* addr is a user address */
};

/* Move n bytes between kernel buffer kbuf and the uio, in the direction
 * given by `to_uio` (true: kbuf -> uio, a read). Advances the uio.
 * Returns 0, -EFAULT, or -EINTR (nothing moved) if uio_interrupted: so
 * every read or write loop, which moves a page or a chunk per call, stops
 * at its next chunk when a signal comes and returns the bytes so far. */
int uio_move(void *kbuf, size_t n, struct uio *uio, bool to_uio);

/* True if the uio is a user transfer and the current process has a
 * signal pending that ends the system call (in Pagoda every such signal
 * ends the process; POSIX read/write: the bytes so far, or EINTR). */
bool uio_interrupted(const struct uio *uio);

#endif
