/*
 * File system calls with Linux riscv64 (asm-generic) numbers and
 * semantics. Every user pointer goes through copyin/copyout/copyinstr;
 * paths are resolved by the VFS, data moved by each file's file_ops.
 */
#include "kernel/syscall.h"
#include "kernel/fs/file.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/stat.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/printk.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/uaccess.h"

#define MAX_RW_COUNT  0x7ffff000UL      /* Linux caps one transfer here */
#define IOV_MAX       1024
#define SSIZE_MAX     INT64_MAX         /* ssize_t is 64 bits */

struct iovec {
	uint64_t iov_base;
	uint64_t iov_len;
};

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};
#define DIRENT64_HDR  offsetof(struct linux_dirent64, d_name)
#define DIRENT64_ALIGN 8
_Static_assert(DIRENT64_HDR == 19, "linux_dirent64 layout");

/* A path argument: the copied string and the vnode it is relative to. */
struct upath {
	char *path;                     /* kmalloc'ed, PATH_MAX bytes */
	struct vnode *start;            /* referenced, or NULL for cwd */
};

static int sys_fd_arg(const struct syscall_args *args, int i)
{
	return (int)args->a[i];
}

/* Copy the user string at upath (a path of fewer than PATH_MAX bytes). */
static int upath_copy(vaddr_t uaddr, char **out)
{
	char *buf = kmalloc(PATH_MAX);
	if (buf == NULL)
		return -ENOMEM;
	long n = copyinstr(buf, uaddr, PATH_MAX);
	if (n < 0) {
		kfree(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

/* Copy the path and find the directory dirfd names (AT_FDCWD: cwd). */
static int upath_get(int dirfd, vaddr_t uaddr, struct upath *up)
{
	up->start = NULL;
	int err = upath_copy(uaddr, &up->path);
	if (err < 0 || up->path[0] == '/' || dirfd == AT_FDCWD)
		return err;
	struct file *f = fd_get(dirfd);
	if (f == NULL)
		err = -EBADF;
	else if (f->vnode == NULL || (f->vnode->type != VDIR && up->path[0] != '\0'))
		err = -ENOTDIR;
	else
		up->start = f->vnode;
	if (err == 0 && up->start != NULL)
		vnode_ref(up->start);
	if (f != NULL)
		file_close(f);
	if (err < 0)
		kfree(up->path);
	return err;
}

static void upath_put(struct upath *up)
{
	vnode_put(up->start);
	kfree(up->path);
}

/* Look the user path at uaddr up from the working directory; *vn is held.
 * Returns 0, an error of the copy (-EFAULT, -ENAMETOOLONG) or of the
 * lookup. */
static int upath_lookup_cwd(vaddr_t uaddr, struct vnode **vn)
{
	struct upath up;
	int err = upath_get(AT_FDCWD, uaddr, &up);
	if (err < 0)
		return err;
	err = vfs_lookup_at(up.start, up.path, vn);
	upath_put(&up);
	return err;
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                          */
/* ------------------------------------------------------------------ */

static void fd_set_cloexec(int fd, bool on)
{
	struct proc *p = proc_current();
	if (on)
		p->cloexec |= 1ULL << fd;
	else
		p->cloexec &= ~(1ULL << fd);
}

/* Install f at the lowest fd >= minfd, or drop it. */
static long fd_install_or_close(struct file *f, int minfd, bool cloexec)
{
	int fd = fd_install(f, minfd);
	if (fd < 0)
		file_close(f);
	else
		fd_set_cloexec(fd, cloexec);
	return fd;
}

long sys_openat(const struct syscall_args *args)
{
	struct upath up;
	struct file *f;
	int flags = (int)args->a[2];
	int err = upath_get(sys_fd_arg(args, 0), (vaddr_t)args->a[1], &up);
	if (err < 0)
		return err;
	err = vfs_open(up.start, up.path, flags, (mode_t)args->a[3], &f);
	if (err == 0)
		f->path = vfs_abspath(up.start, up.path);   /* NULL: unnamed */
	upath_put(&up);
	if (err < 0)
		return err;
	return fd_install_or_close(f, 0, (flags & O_CLOEXEC) != 0);
}

long sys_close(const struct syscall_args *args)
{
	return fd_close(sys_fd_arg(args, 0));
}

long sys_dup(const struct syscall_args *args)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	return fd_install_or_close(f, 0, false);
}

long sys_dup3(const struct syscall_args *args)
{
	int oldfd = sys_fd_arg(args, 0), newfd = sys_fd_arg(args, 1);
	int flags = (int)args->a[2];
	if (oldfd == newfd || (flags & ~O_CLOEXEC) != 0)
		return -EINVAL;
	if (newfd < 0 || newfd >= NOFILE)
		return -EBADF;
	struct file *f = fd_get(oldfd);
	if (f == NULL)
		return -EBADF;
	return fd_replace(newfd, f, (flags & O_CLOEXEC) != 0);
}

static long fcntl_setfl(struct file *f, int arg)
{
	const int settable = O_APPEND | O_NONBLOCK;
	spin_lock(&f->lock);
	f->flags = (f->flags & ~settable) | (arg & settable);
	spin_unlock(&f->lock);
	return 0;
}

long sys_fcntl(const struct syscall_args *args)
{
	int fd = sys_fd_arg(args, 0);
	int cmd = (int)args->a[1];
	long arg = args->a[2];
	struct file *f = fd_get(fd);
	long r;
	if (f == NULL)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg < 0 || arg >= NOFILE)
			r = -EINVAL;
		else
			return fd_install_or_close(f, (int)arg, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		r = (proc_current()->cloexec >> fd) & 1 ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		fd_set_cloexec(fd, (arg & FD_CLOEXEC) != 0);
		r = 0;
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		r = fcntl_setfl(f, (int)arg);
		break;
	default:
		r = -EINVAL;
	}
	file_close(f);
	return r;
}

long sys_ioctl(const struct syscall_args *args)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	long r = f->ops->ioctl == NULL ? -ENOTTY :
		 f->ops->ioctl(f, (unsigned long)args->a[1], (vaddr_t)args->a[2]);
	file_close(f);
	return r;
}

long sys_pipe2(const struct syscall_args *args)
{
	int flags = (int)args->a[1];
	struct file *rf, *wf;
	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	int err = pipe_create(flags, &rf, &wf);
	if (err < 0)
		return err;
	bool cloexec = (flags & O_CLOEXEC) != 0;
	int fds[2] = { (int)fd_install_or_close(rf, 0, cloexec), -1 };
	if (fds[0] < 0) {
		file_close(wf);
		return fds[0];
	}
	fds[1] = (int)fd_install_or_close(wf, 0, cloexec);
	if (fds[1] < 0 || copyout((vaddr_t)args->a[0], fds, sizeof(fds)) < 0) {
		fd_close(fds[0]);
		if (fds[1] >= 0)
			fd_close(fds[1]);
		return fds[1] < 0 ? fds[1] : -EFAULT;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading and writing                                                  */
/* ------------------------------------------------------------------ */

/* Read or write through f's ops; at the file offset when use_offset and
 * the file is seekable, else at uio->offset. */
static ssize_t file_rw(struct file *f, struct uio *uio, bool write, bool use_offset)
{
	int acc = f->flags & O_ACCMODE;
	if (write ? acc == O_RDONLY : acc == O_WRONLY)
		return -EBADF;
	ssize_t (*op)(struct file *, struct uio *) = write ? f->ops->write : f->ops->read;
	if (op == NULL)
		return -EINVAL;
	if (!use_offset || f->vnode == NULL)
		return op(f, uio);
	mutex_lock(&f->pos_lock);
	uio->offset = f->offset;
	ssize_t n = op(f, uio);
	if (n >= 0)
		f->offset = uio->offset;
	mutex_unlock(&f->pos_lock);
	return n;
}

/* read/write/pread64/pwrite64: positional when off >= 0. */
static long sys_rw(const struct syscall_args *args, bool write, bool positional)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	struct uio uio = { (vaddr_t)args->a[1], MIN((size_t)args->a[2], MAX_RW_COUNT),
			   positional ? args->a[3] : 0, true };
	long n;
	if (positional && f->vnode == NULL)
		n = -ESPIPE;
	else if (positional && uio.offset < 0)
		n = -EINVAL;
	else
		n = file_rw(f, &uio, write, !positional);
	file_close(f);
	return n;
}

long sys_read(const struct syscall_args *args)
{
	return sys_rw(args, false, false);
}

long sys_write(const struct syscall_args *args)
{
	return sys_rw(args, true, false);
}

long sys_pread64(const struct syscall_args *args)
{
	return sys_rw(args, false, true);
}

long sys_pwrite64(const struct syscall_args *args)
{
	return sys_rw(args, true, true);
}

/* Check the iovec array as POSIX readv/writev and Linux's rw_verify_area
 * do, before anything moves: -EINVAL if a length or their sum passes
 * SSIZE_MAX. Lengths past MAX_RW_COUNT in all are cut to it, as one
 * read() is. */
static int rwv_verify(struct iovec *iov, int iovcnt)
{
	size_t total = 0, room = MAX_RW_COUNT;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	for (int i = 0; i < iovcnt; i++) {
		iov[i].iov_len = MIN(iov[i].iov_len, room);
		room -= iov[i].iov_len;
	}
	return 0;
}

/* readv/writev(fd, iov, iovcnt): each iovec in turn, stopping at a short
 * transfer (a signal too stops it, between chunks). Returns the bytes
 * moved, or if none: -EBADF, -EINVAL (iovcnt < 0 or > IOV_MAX, lengths
 * past SSIZE_MAX), -EFAULT, -ENOMEM, or the file's error. */
static long sys_rwv(const struct syscall_args *args, bool write)
{
	int iovcnt = (int)args->a[2];
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		file_close(f);
		return -EINVAL;
	}
	struct iovec *iov = kmalloc(sizeof(*iov) * MAX(iovcnt, 1));
	long total = iov == NULL ? -ENOMEM : 0;
	if (iov != NULL && copyin(iov, (vaddr_t)args->a[1], sizeof(*iov) * iovcnt) < 0)
		total = -EFAULT;
	if (total == 0)
		total = rwv_verify(iov, iovcnt);
	for (int i = 0; i < iovcnt && total >= 0; i++) {
		struct uio uio = { iov[i].iov_base, iov[i].iov_len, 0, true };
		ssize_t n = file_rw(f, &uio, write, true);
		if (n < 0) {
			total = total > 0 ? total : n;
			break;
		}
		total += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	kfree(iov);
	file_close(f);
	return total;
}

long sys_readv(const struct syscall_args *args)
{
	return sys_rwv(args, false);
}

long sys_writev(const struct syscall_args *args)
{
	return sys_rwv(args, true);
}

static long lseek_to(struct file *f, off_t off, int whence)
{
	struct vnode *vn = f->vnode;
	off_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->offset;
		break;
	case SEEK_END:
		mutex_lock(&vn->lock);
		base = (off_t)vn->size;
		mutex_unlock(&vn->lock);
		break;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->offset = base + off;
	return f->offset;
}

long sys_lseek(const struct syscall_args *args)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	long r = -ESPIPE;
	if (f->vnode != NULL) {
		mutex_lock(&f->pos_lock);
		r = lseek_to(f, args->a[1], (int)args->a[2]);
		mutex_unlock(&f->pos_lock);
	}
	file_close(f);
	return r;
}

/* Copy one directory entry out as a linux_dirent64 record at uaddr.
 * Returns the record length, 0 if it does not fit in room, or -EFAULT. */
static long dirent64_put(vaddr_t uaddr, size_t room, const struct vfs_dirent *de,
			 off_t next)
{
	uint8_t rec[ROUNDUP(DIRENT64_HDR + NAME_MAX + 1, DIRENT64_ALIGN)];
	size_t reclen = ROUNDUP(DIRENT64_HDR + de->namelen + 1, DIRENT64_ALIGN);
	struct linux_dirent64 *d = (struct linux_dirent64 *)rec;
	if (reclen > room)
		return 0;
	memset(rec, 0, reclen);
	d->d_ino = de->ino;
	d->d_off = next;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = de->type;
	memcpy(d->d_name, de->name, de->namelen);
	return copyout(uaddr, rec, reclen) < 0 ? -EFAULT : (long)reclen;
}

/* => f->pos_lock. Fill the user buffer with entries from f->offset. */
static long getdents_fill(struct file *f, vaddr_t ubuf, size_t count,
			  struct vfs_dirent *de)
{
	size_t done = 0;
	for (;;) {
		off_t next = f->offset;
		int r = vfs_readdir(f->vnode, &next, de);
		if (r <= 0)
			return done > 0 ? (long)done : r;
		long len = dirent64_put(ubuf + done, count - done, de, next);
		if (len <= 0)
			return done > 0 ? (long)done : (len == 0 ? -EINVAL : len);
		done += (size_t)len;
		f->offset = next;
	}
}

long sys_getdents64(const struct syscall_args *args)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	struct vfs_dirent *de = kmalloc(sizeof(*de));
	long r = de == NULL ? -ENOMEM : -ENOTDIR;
	if (de != NULL && f->vnode != NULL && f->vnode->type == VDIR) {
		mutex_lock(&f->pos_lock);
		r = getdents_fill(f, (vaddr_t)args->a[1], (size_t)args->a[2], de);
		mutex_unlock(&f->pos_lock);
	}
	kfree(de);
	file_close(f);
	return r;
}

long sys_ftruncate(const struct syscall_args *args)
{
	off_t len = args->a[1];
	if (len < 0)
		return -EINVAL;
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	long r = -EINVAL;
	if (f->vnode != NULL && f->vnode->type == VREG && (f->flags & O_ACCMODE) != O_RDONLY)
		r = vfs_truncate(f->vnode, (uint64_t)len);
	file_close(f);
	return r;
}

/* truncate(path, length): like ftruncate on the file path names. */
long sys_truncate(const struct syscall_args *args)
{
	off_t len = args->a[1];
	struct vnode *vn;
	if (len < 0)
		return -EINVAL;
	int err = upath_lookup_cwd((vaddr_t)args->a[0], &vn);
	if (err < 0)
		return err;
	long r = vfs_truncate(vn, (uint64_t)len);
	vnode_put(vn);
	return r;
}

long sys_sync(const struct syscall_args *args __unused)
{
	vfs_sync();
	return 0;
}

long sys_fsync(const struct syscall_args *args)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	long r = f->vnode != NULL ? vfs_fsync(f->vnode) : -EINVAL;
	file_close(f);
	return r;
}

/* ------------------------------------------------------------------ */
/* Names                                                                */
/* ------------------------------------------------------------------ */

long sys_mkdirat(const struct syscall_args *args)
{
	struct upath up;
	int err = upath_get(sys_fd_arg(args, 0), (vaddr_t)args->a[1], &up);
	if (err < 0)
		return err;
	err = vfs_mkdir(up.start, up.path, (mode_t)args->a[2]);
	upath_put(&up);
	return err;
}

/* mknodat(dirfd, path, mode, dev): dev in Linux's 32-bit encoding. */
long sys_mknodat(const struct syscall_args *args)
{
	struct upath up;
	int err = upath_get(sys_fd_arg(args, 0), (vaddr_t)args->a[1], &up);
	if (err < 0)
		return err;
	err = vfs_mknod(up.start, up.path, (mode_t)args->a[2], (uint32_t)args->a[3]);
	upath_put(&up);
	return err;
}

long sys_unlinkat(const struct syscall_args *args)
{
	int flags = (int)args->a[2];
	struct upath up;
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	int err = upath_get(sys_fd_arg(args, 0), (vaddr_t)args->a[1], &up);
	if (err < 0)
		return err;
	err = vfs_unlink(up.start, up.path, (flags & AT_REMOVEDIR) != 0);
	upath_put(&up);
	return err;
}

/* linkat and renameat2: two paths, each with its directory. */
static long sys_two_paths(const struct syscall_args *args, bool link)
{
	struct upath op, np;
	int err = upath_get(sys_fd_arg(args, 0), (vaddr_t)args->a[1], &op);
	if (err < 0)
		return err;
	err = upath_get(sys_fd_arg(args, 2), (vaddr_t)args->a[3], &np);
	if (err < 0) {
		upath_put(&op);
		return err;
	}
	if (link)
		err = vfs_link(op.start, op.path, np.start, np.path);
	else
		err = vfs_rename(op.start, op.path, np.start, np.path);
	upath_put(&np);
	upath_put(&op);
	return err;
}

long sys_linkat(const struct syscall_args *args)
{
	if ((int)args->a[4] & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return sys_two_paths(args, true);
}

long sys_renameat(const struct syscall_args *args)
{
	return sys_two_paths(args, false);
}

long sys_renameat2(const struct syscall_args *args)
{
	if ((unsigned int)args->a[4] != 0)
		return -EINVAL;
	return sys_two_paths(args, false);
}

long sys_faccessat(const struct syscall_args *args)
{
	int mode = (int)args->a[2];
	struct upath up;
	struct vnode *vn;
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	int err = upath_get(sys_fd_arg(args, 0), (vaddr_t)args->a[1], &up);
	if (err < 0)
		return err;
	err = vfs_lookup_at(up.start, up.path, &vn);
	upath_put(&up);
	if (err < 0)
		return err;
	/* Everyone is root: only execution needs an execute bit. */
	if ((mode & X_OK) && vn->type != VDIR && (vn->mode & S_IXANY) == 0)
		err = -EACCES;
	vnode_put(vn);
	return err;
}

/* Make dir (referenced by the caller) the current directory. */
static long chdir_to(struct vnode *dir)
{
	struct proc *p = proc_current();
	if (dir->type != VDIR)
		return -ENOTDIR;
	vnode_ref(dir);
	struct vnode *old = p->cwd;
	p->cwd = dir;
	vnode_put(old);
	return 0;
}

long sys_chdir(const struct syscall_args *args)
{
	struct vnode *vn;
	int err = upath_lookup_cwd((vaddr_t)args->a[0], &vn);
	if (err < 0)
		return err;
	long r = chdir_to(vn);
	vnode_put(vn);
	return r;
}

long sys_fchdir(const struct syscall_args *args)
{
	struct file *f = fd_get(sys_fd_arg(args, 0));
	if (f == NULL)
		return -EBADF;
	long r = f->vnode != NULL ? chdir_to(f->vnode) : -ENOTDIR;
	file_close(f);
	return r;
}

long sys_getcwd(const struct syscall_args *args)
{
	size_t size = MIN((size_t)args->a[1], PATH_MAX);
	char *buf = kmalloc(PATH_MAX);
	if (buf == NULL)
		return -ENOMEM;
	long n = vfs_getcwd(buf, size);
	if (n > 0 && copyout((vaddr_t)args->a[0], buf, (size_t)n) < 0)
		n = -EFAULT;
	kfree(buf);
	return n;
}

/* ------------------------------------------------------------------ */
/* stat                                                                 */
/* ------------------------------------------------------------------ */

/* The stat of an open file: its kind's own (pipe, console, device), else
 * its vnode's. Every file without a vnode has a stat op. */
static int file_stat(struct file *f, struct stat *st)
{
	if (f->ops->stat != NULL)
		return f->ops->stat(f, st);
	KASSERT(f->vnode != NULL, "file_stat: a file with neither stat nor vnode");
	return vfs_stat(f->vnode, st);
}

static long stat_fd(int fd, vaddr_t ubuf)
{
	struct stat st;
	int err;
	if (fd == AT_FDCWD) {
		struct proc *p = proc_current();
		if (p->cwd == NULL)
			return -ENOENT;
		err = vfs_stat(p->cwd, &st);
	} else {
		struct file *f = fd_get(fd);
		if (f == NULL)
			return -EBADF;
		err = file_stat(f, &st);
		file_close(f);
	}
	if (err == 0 && copyout(ubuf, &st, sizeof(st)) < 0)
		err = -EFAULT;
	return err;
}

long sys_fstat(const struct syscall_args *args)
{
	return stat_fd(sys_fd_arg(args, 0), (vaddr_t)args->a[1]);
}

long sys_newfstatat(const struct syscall_args *args)
{
	int dirfd = sys_fd_arg(args, 0);
	int flags = (int)args->a[3];
	struct upath up;
	struct vnode *vn;
	struct stat st;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_EMPTY_PATH) {
		char c;
		if (copyin(&c, (vaddr_t)args->a[1], 1) < 0)
			return -EFAULT;
		if (c == '\0')
			return stat_fd(dirfd, (vaddr_t)args->a[2]);
	}
	int err = upath_get(dirfd, (vaddr_t)args->a[1], &up);
	if (err < 0)
		return err;
	err = vfs_lookup_at(up.start, up.path, &vn);
	upath_put(&up);
	if (err < 0)
		return err;
	err = vfs_stat(vn, &st);
	vnode_put(vn);
	if (err == 0 && copyout((vaddr_t)args->a[2], &st, sizeof(st)) < 0)
		err = -EFAULT;
	return err;
}
