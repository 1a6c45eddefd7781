/*
 * Open files. A struct file is shared by the descriptors dup'ed or
 * inherited from it; each kind of file (regular/directory vnode, pipe,
 * console) provides its file_ops.
 */
#ifndef KERNEL_FS_FILE_H
#define KERNEL_FS_FILE_H

#include "kernel/types.h"
#include "kernel/lock.h"

struct file;
struct uio;
struct stat;
struct vnode;

struct file_ops {
	/* Each returns bytes moved (>= 0) or a negative errno. */
	ssize_t (*read)(struct file *f, struct uio *uio);
	ssize_t (*write)(struct file *f, struct uio *uio);
	long (*ioctl)(struct file *f, unsigned long cmd, vaddr_t uarg);
	int (*stat)(struct file *f, struct stat *st);  /* kernel struct stat */
	void (*close)(struct file *f);                 /* last reference gone */
};

/* Open-file flags use the Linux O_* values (include/abi/fcntl.h). */
#include "include/abi/fcntl.h"

/*
 * Locking: (f) f->lock, (c) const after creation.
 */
struct file {
	struct spinlock lock;
	int refcnt;                     /* (f) */
	int flags;                      /* (f) O_* flags */
	off_t offset;                   /* (f) byte offset, vnodes only */
	const struct file_ops *ops;     /* (c) */
	struct vnode *vnode;            /* (c) or NULL */
	void *priv;                     /* (c) pipe end, etc. */
	char *path;                     /* (c) absolute path it was opened
					 * by (openat), kmalloc'ed, or NULL */
	struct mutex pos_lock;          /* serialises read/write of offset */
};

/* A new file with one reference; NULL on -ENOMEM. */
struct file *file_alloc(const struct file_ops *ops, int flags);
struct file *file_dup(struct file *f);          /* add a reference */
void file_close(struct file *f);                /* drop a reference */

/* Descriptor table of the current process. */
/* Install f at the lowest free fd >= minfd; returns fd or -EMFILE. */
int fd_install(struct file *f, int minfd);
/* The file at fd with a new reference, or NULL (-EBADF). */
struct file *fd_get(int fd);
/* Close descriptor fd of the current process: 0 or -EBADF. */
int fd_close(int fd);
/* Put f (the caller's reference) at descriptor fd, closing what was
 * there; FD_CLOEXEC as given. Returns fd or -EBADF. */
int fd_replace(int fd, struct file *f, bool cloexec);
/* Close every descriptor of the current process and drop its cwd
 * reference, leaving cwd NULL (exit). */
void fd_close_all(void);
/* Close descriptors marked close-on-exec (execve). */
void fd_close_on_exec(void);
struct proc;
/* Copy parent's descriptors and cwd into child (fork): each gains a
 * reference. */
void fd_fork(struct proc *parent, struct proc *child);

#endif
