/*
 * Pipes (kernel/fs/pipe.h). One reader and one writer copy at a time
 * (rbusy, wbusy), so each copies to or from its part of the ring without
 * holding the spinlock; the counters move under it. Sleeps are on the
 * pipe itself and return -EINTR when a signal arrives.
 */
#include "kernel/fs/pipe.h"
#include "kernel/fs/file.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/stat.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/proc/signal.h"
#include "kernel/vm/kmem.h"
#include "arch/riscv/vmparam.h"

#define PIPE_SIZE PAGE_SIZE     /* bytes of the ring */

/*
 * Locking: (l) lock, (c) const, (r) the reader holding rbusy,
 * (w) the writer holding wbusy.
 * Invariant: 0 <= nwrite - nread <= PIPE_SIZE; bytes [nread, nwrite) are
 * in data at their offset modulo PIPE_SIZE.
 */
struct pipe {
	struct spinlock lock;
	uint8_t *data;                  /* (c) PIPE_SIZE bytes; (r)/(w) contents */
	uint64_t nread;                 /* (l) bytes ever read */
	uint64_t nwrite;                /* (l) bytes ever written */
	int readers, writers;           /* (l) open ends */
	bool rbusy, wbusy;              /* (l) a reader / writer is copying */
};

/* Move n bytes between ring position pos and the uio, wrapping once.
 * Returns 0 or -EFAULT (*moved says how much got through). */
static int pipe_copy(struct pipe *p, uint64_t pos, size_t n, struct uio *uio,
		     bool to_uio, size_t *moved)
{
	*moved = 0;
	while (*moved < n) {
		size_t off = (pos + *moved) % PIPE_SIZE;
		size_t chunk = MIN(n - *moved, PIPE_SIZE - off);
		int err = uio_move(p->data + off, chunk, uio, to_uio);
		if (err < 0)
			return err;
		*moved += chunk;
	}
	return 0;
}

/* => p->lock. Wait until this reader may copy: 0, or 1 at end of file,
 * -EAGAIN, -EINTR. Sets rbusy on 0. */
static int pipe_wait_readable(struct pipe *p, bool nonblock)
{
	for (;;) {
		if (!p->rbusy && p->nwrite != p->nread) {
			p->rbusy = true;
			return 0;
		}
		if (!p->rbusy && p->writers == 0)
			return 1;
		if (nonblock)
			return -EAGAIN;
		if (sched_sleep(p, &p->lock) < 0)
			return -EINTR;
	}
}

static ssize_t pipe_read(struct file *f, struct uio *uio)
{
	struct pipe *p = f->priv;
	size_t moved = 0;
	if (uio->resid == 0)
		return 0;
	spin_lock(&p->lock);
	int err = pipe_wait_readable(p, (f->flags & O_NONBLOCK) != 0);
	if (err != 0) {
		spin_unlock(&p->lock);
		return err > 0 ? 0 : err;
	}
	uint64_t pos = p->nread;
	size_t n = MIN(uio->resid, p->nwrite - p->nread);
	spin_unlock(&p->lock);
	err = pipe_copy(p, pos, n, uio, true, &moved);
	spin_lock(&p->lock);
	p->nread += moved;
	p->rbusy = false;
	sched_wakeup(p);
	spin_unlock(&p->lock);
	return moved > 0 ? (ssize_t)moved : err;
}

/* => p->lock, wbusy. Wait for room: the free bytes, or -EPIPE, -EAGAIN,
 * -EINTR. */
static long pipe_wait_writable(struct pipe *p, bool nonblock)
{
	for (;;) {
		if (p->readers == 0)
			return -EPIPE;
		size_t space = PIPE_SIZE - (p->nwrite - p->nread);
		if (space > 0)
			return (long)space;
		if (nonblock)
			return -EAGAIN;
		if (sched_sleep(p, &p->lock) < 0)
			return -EINTR;
	}
}

/* => p->lock. Become the one writer: 0 or -EINTR. */
static int pipe_writer_enter(struct pipe *p)
{
	while (p->wbusy)
		if (sched_sleep(p, &p->lock) < 0)
			return -EINTR;
	p->wbusy = true;
	return 0;
}

static ssize_t pipe_write(struct file *f, struct uio *uio)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	long err;
	spin_lock(&p->lock);
	err = pipe_writer_enter(p);
	bool entered = err == 0;
	while (err == 0 && uio->resid > 0) {
		long space = pipe_wait_writable(p, (f->flags & O_NONBLOCK) != 0);
		if (space < 0) {
			err = space;
			break;
		}
		uint64_t pos = p->nwrite;
		size_t n = MIN(uio->resid, (size_t)space), moved;
		spin_unlock(&p->lock);
		err = pipe_copy(p, pos, n, uio, false, &moved);
		spin_lock(&p->lock);
		p->nwrite += moved;
		done += moved;
		sched_wakeup(p);
	}
	if (entered) {
		p->wbusy = false;
		sched_wakeup(p);
	}
	spin_unlock(&p->lock);
	if (err == -EPIPE)
		proc_kill(proc_current()->pid, SIGPIPE);
	return done > 0 ? (ssize_t)done : err;
}

static int pipe_stat(struct file *f __unused, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_blksize = PIPE_SIZE;
	return 0;
}

static void pipe_close(struct file *f)
{
	struct pipe *p = f->priv;
	spin_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		p->writers--;
	else
		p->readers--;
	bool last = p->readers == 0 && p->writers == 0;
	sched_wakeup(p);
	spin_unlock(&p->lock);
	if (last) {
		kfree(p->data);
		kfree(p);
	}
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.stat = pipe_stat,
	.close = pipe_close,
};

int pipe_create(int flags, struct file **rf, struct file **wf)
{
	struct pipe *p = kzalloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->data = kmalloc(PIPE_SIZE);
	struct file *r = p->data ? file_alloc(&pipe_fops, O_RDONLY | (flags & O_NONBLOCK)) : NULL;
	if (r == NULL) {
		kfree(p->data);
		kfree(p);
		return -ENOMEM;
	}
	spin_init(&p->lock, "pipe");
	p->readers = 1;
	r->priv = p;
	struct file *w = file_alloc(&pipe_fops, O_WRONLY | (flags & O_NONBLOCK));
	if (w == NULL) {
		file_close(r);          /* the last end: frees the pipe */
		return -ENOMEM;
	}
	p->writers = 1;
	w->priv = p;
	*rf = r;
	*wf = w;
	return 0;
}
