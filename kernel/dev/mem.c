/*
 * The memory devices of major 1 (kernel/dev/chrdev.h): /dev/null (reads
 * end at once, writes vanish), /dev/zero (reads give zero bytes, writes
 * vanish), /dev/random and /dev/urandom (reads give the kernel generator's
 * stream, kernel/dev/random.h; writes are mixed into its key). Opened
 * through devfs; each file holds a reference to its device node, so stat
 * and lseek work as on Linux. mmap of /dev/zero is anonymous memory (the
 * mmap system call asks mem_dev_maps_anon); the others cannot be mapped.
 */
#include "kernel/dev/chrdev.h"
#include "kernel/dev/random.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/string.h"

#define MEM_CHUNK       256             /* bytes per uio_move */

static ssize_t mem_null_read(struct file *f __unused, struct uio *uio __unused)
{
	return 0;
}

/* Writes to every memory device take all the bytes. The data of null and
 * zero is not even read (Linux does not either). */
static ssize_t mem_sink_write(struct file *f __unused, struct uio *uio)
{
	size_t n = uio->resid;

	uio->offset += (off_t)n;
	uio->resid = 0;
	return (ssize_t)n;
}

/* Give the reader chunks made by fill (NULL: zeros) until it has what it
 * asked for. uio_move returns -EINTR at a pending signal, so a huge read
 * stops there. Returns the bytes copied, or the error if none. */
static ssize_t mem_read_chunks(struct uio *uio, void (*fill)(void *, size_t))
{
	char kbuf[MEM_CHUNK];
	ssize_t done = 0;

	if (fill == NULL)
		memset(kbuf, 0, sizeof(kbuf));
	while (uio->resid > 0) {
		size_t n = MIN(uio->resid, sizeof(kbuf));
		if (fill != NULL)
			fill(kbuf, n);
		int err = uio_move(kbuf, n, uio, true);
		if (err < 0)
			return done > 0 ? done : err;
		done += (ssize_t)n;
	}
	return done;
}

static ssize_t mem_zero_read(struct file *f __unused, struct uio *uio)
{
	return mem_read_chunks(uio, NULL);
}

static ssize_t mem_random_read(struct file *f __unused, struct uio *uio)
{
	return mem_read_chunks(uio, random_bytes);
}

static ssize_t mem_random_write(struct file *f __unused, struct uio *uio)
{
	char kbuf[MEM_CHUNK];
	ssize_t done = 0;

	while (uio->resid > 0) {
		size_t n = MIN(uio->resid, sizeof(kbuf));
		int err = uio_move(kbuf, n, uio, false);
		if (err < 0)
			return done > 0 ? done : err;
		random_mix(kbuf, n);
		done += (ssize_t)n;
	}
	return done;
}

static int mem_stat(struct file *f, struct stat *st)
{
	return vfs_stat(f->vnode, st);
}

static void mem_close(struct file *f)
{
	vnode_put(f->vnode);
}

static const struct file_ops mem_null_fops = {
	.read = mem_null_read,
	.write = mem_sink_write,
	.stat = mem_stat,
	.close = mem_close,
};

static const struct file_ops mem_zero_fops = {
	.read = mem_zero_read,
	.write = mem_sink_write,
	.stat = mem_stat,
	.close = mem_close,
};

static const struct file_ops mem_random_fops = {
	.read = mem_random_read,
	.write = mem_random_write,
	.stat = mem_stat,
	.close = mem_close,
};

bool mem_dev_maps_anon(const struct file *f)
{
	return f->ops == &mem_zero_fops;
}

int mem_dev_open(struct vnode *vn, unsigned int minor, int flags, struct file **out)
{
	const struct file_ops *ops;

	switch (minor) {
	case MEM_NULL:
		ops = &mem_null_fops;
		break;
	case MEM_ZERO:
		ops = &mem_zero_fops;
		break;
	case MEM_RANDOM:
	case MEM_URANDOM:
		ops = &mem_random_fops;
		break;
	default:
		return -ENXIO;
	}
	struct file *f = file_alloc(ops, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	if (f == NULL)
		return -ENOMEM;
	vnode_ref(vn);
	f->vnode = vn;
	*out = f;
	return 0;
}
