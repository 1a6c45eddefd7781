/*
 * The memory system calls (brk, mmap, munmap, mremap, mprotect, msync,
 * madvise)
 * with Linux riscv64 semantics: argument checks and Linux flag values here,
 * the work in mspace.c on the calling process's mspace. A file is mapped
 * through its vnode's memory object (the page cache). Called only from the
 * system call dispatcher.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/syscall.h"
#include "kernel/proc/proc.h"
#include "kernel/fs/file.h"
#include "kernel/fs/vfs.h"
#include "kernel/dev/chrdev.h"
#include "kernel/vm/vm.h"
#include "kernel/vm/object.h"
#include "kernel/vm/mspace.h"

/* Linux (asm-generic/mman-common.h) values. */
#define PROT_READ               0x1
#define PROT_WRITE              0x2
#define PROT_EXEC               0x4
#define PROT_ALL                (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_SHARED              0x01
#define MAP_PRIVATE             0x02
#define MAP_TYPE                0x0f
#define MAP_FIXED               0x10
#define MAP_ANONYMOUS           0x20
#define MAP_NORESERVE           0x4000  /* accepted: nothing is reserved */
#define MAP_FIXED_NOREPLACE     0x100000
#define MADV_NORMAL             0
#define MADV_DONTNEED           4
#define MADV_FREE               8
#define MADV_LAST               25      /* highest advice Linux knows */
#define MREMAP_MAYMOVE          1       /* linux/mman.h */
#define MREMAP_FIXED            2
#define MS_ASYNC                1
#define MS_INVALIDATE           2
#define MS_SYNC                 4

_Static_assert(PROT_READ == VM_PROT_READ && PROT_WRITE == VM_PROT_WRITE &&
	       PROT_EXEC == VM_PROT_EXEC, "PROT_* and VM_PROT_* differ");

static struct mspace *sys_mm_current(void)
{
	return proc_current()->ms;
}

/* brk(addr): move the break to addr; returns the new break, or the old one
 * if it could not move (brk(0) asks for the current break). */
long sys_brk(const struct syscall_args *args)
{
	struct mspace *ms = sys_mm_current();
	vaddr_t want = (vaddr_t)args->a[0];

	if (want != 0)
		mspace_brk(ms, want);
	return (long)mspace_get_brk(ms);
}

/* The mspace_map flags and VMA kind for mmap's flags; -EINVAL if neither
 * or both of MAP_SHARED and MAP_PRIVATE are given. */
static int sys_mmap_flags(long flags, uint32_t *vma_flags, int *ms_flags)
{
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		*vma_flags = VMA_SHARED;
		break;
	case MAP_PRIVATE:
		*vma_flags = VMA_PRIVATE;
		break;
	default:
		return -EINVAL;
	}
	*ms_flags = 0;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		*ms_flags |= MSPACE_FIXED;
	if (flags & MAP_FIXED_NOREPLACE)
		*ms_flags |= MSPACE_NOREPLACE;
	return 0;
}

/* The highest protection a mapping of f may get (mprotect's limit), or
 * -EACCES if f's open mode forbids the mapping (POSIX mmap: a write-only
 * file, or PROT_WRITE + MAP_SHARED without O_RDWR), -ENODEV if f can not
 * be mapped (pipe, console, directory, a device other than /dev/zero). */
static long sys_mmap_maxprot(struct file *f, long prot, uint32_t vma_flags)
{
	int mode = f->flags & O_ACCMODE;

	if (!mem_dev_maps_anon(f) &&
	    (f->vnode == NULL || f->vnode->type != VREG))
		return -ENODEV;
	if (mode == O_WRONLY)
		return -EACCES;
	if (!(vma_flags & VMA_SHARED) || mode == O_RDWR)
		return VM_PROT_ALL;
	if (prot & PROT_WRITE)
		return -EACCES;
	return VM_PROT_READ | VM_PROT_EXEC;
}

/* Map len bytes (page multiple) of the file open at fd from byte off on,
 * at *addr as mspace_map places it. The mapping holds the vnode's memory
 * object, so it outlives close(fd) and unlink. /dev/zero maps anonymous
 * memory instead (off is ignored), private or shared as asked. 0, -EBADF,
 * -ENODEV, -EACCES, -ENOMEM, or mspace_map's errors (-EINVAL if off + len
 * wraps). */
static int sys_mmap_file(vaddr_t *addr, size_t len, long prot,
			 uint32_t vma_flags, int ms_flags, int fd, uint64_t off)
{
	struct file *f = fd_get(fd);
	struct vm_object *obj = NULL;
	struct vma_file *name = NULL;
	vm_prot_t maxprot;
	long err;

	if (f == NULL)
		return -EBADF;
	err = sys_mmap_maxprot(f, prot, vma_flags);
	if (err < 0)
		goto out;
	maxprot = (vm_prot_t)err;
	if (mem_dev_maps_anon(f)) {
		err = mspace_map(sys_mm_current(), addr, len, (vm_prot_t)prot,
				 maxprot, vma_flags, ms_flags, NULL, 0);
		goto out;
	}
	/* f->path is NULL if it was not opened by path: maps then shows only
	 * dev and inode. */
	obj = vnode_object(f->vnode);
	name = vma_file_create(f->vnode->mnt->dev, f->vnode->ino, f->path);
	if (obj == NULL || name == NULL) {
		err = -ENOMEM;
		goto out;
	}
	err = mspace_map_file(sys_mm_current(), addr, len, (vm_prot_t)prot,
			      maxprot, vma_flags, ms_flags, obj, off, name);
out:
	if (obj != NULL)
		vm_object_unref(obj);
	if (name != NULL)
		vma_file_unref(name);
	file_close(f);
	return err < 0 ? (int)err : 0;
}

/* mmap(addr, len, prot, flags, fd, off): anonymous memory (private, or
 * shared through an anonymous object; /dev/zero gives the same) or a
 * regular file from byte off,
 * private (copy on write) or shared (stores reach the file). Returns the
 * address or -EINVAL (zero length, bad flags or prot, misaligned offset or
 * fixed address), -EPERM (fixed below USER_MIN), -ENOMEM (no room, past
 * USER_MAX, out of memory), -EEXIST (MAP_FIXED_NOREPLACE over a mapping),
 * -EBADF (fd not open), -ENODEV (not a regular file nor /dev/zero),
 * -EACCES (open mode forbids it). */
long sys_mmap(const struct syscall_args *args)
{
	vaddr_t addr = (vaddr_t)args->a[0];
	size_t len = (size_t)args->a[1];
	long prot = args->a[2], flags = args->a[3];
	int fd = (int)args->a[4];
	uint64_t off = (uint64_t)args->a[5];
	uint32_t vma_flags;
	int ms_flags, err;

	if (len == 0 || (prot & ~PROT_ALL) || !PAGE_ALIGNED(off))
		return -EINVAL;
	err = sys_mmap_flags(flags, &vma_flags, &ms_flags);
	if (err)
		return err;
	if ((ms_flags & MSPACE_FIXED) && !PAGE_ALIGNED(addr))
		return -EINVAL;
	if (len > USER_MAX - USER_MIN)
		return -ENOMEM;
	len = PAGE_ROUNDUP(len);
	if ((ms_flags & MSPACE_FIXED) && addr < USER_MIN)
		return -EPERM;
	if (flags & MAP_ANONYMOUS)
		err = mspace_map(sys_mm_current(), &addr, len, (vm_prot_t)prot,
				 VM_PROT_ALL, vma_flags, ms_flags, NULL, 0);
	else
		err = sys_mmap_file(&addr, len, prot, vma_flags, ms_flags, fd,
				    off);
	return err ? err : (long)addr;
}

/* munmap(addr, len): 0, or -EINVAL (misaligned, zero length, outside user
 * space), -ENOMEM (out of memory splitting a mapping). */
long sys_munmap(const struct syscall_args *args)
{
	vaddr_t addr = (vaddr_t)args->a[0];
	size_t len = (size_t)args->a[1];

	if (!PAGE_ALIGNED(addr) || len == 0 || len > USER_MAX)
		return -EINVAL;
	return mspace_unmap(sys_mm_current(), addr, PAGE_ROUNDUP(len));
}

/* mremap(old, old_len, new_len, flags, new_addr), the subset
 * mspace_remap implements: shrink in place, grow in place, move (with
 * MREMAP_MAYMOVE, to new_addr with MREMAP_FIXED) without copying.
 * Lengths are rounded up to pages. Returns the new address, or -EINVAL
 * (misaligned old or new_addr, zero new_len or old_len, unknown flags:
 * MREMAP_DONTUNMAP is not supported, FIXED without MAYMOVE, overlapping
 * ranges, target outside user space), -EFAULT (the old range is not
 * inside one mapping, or that mapping may not grow or move),
 * -ENOMEM (no room to grow, out of memory, refused by the commit
 * policy). */
long sys_mremap(const struct syscall_args *args)
{
	vaddr_t old = (vaddr_t)args->a[0];
	size_t old_len = (size_t)args->a[1], new_len = (size_t)args->a[2];
	long flags = args->a[3];
	vaddr_t to = (vaddr_t)args->a[4];
	int ms_flags = 0, err;

	if ((flags & ~(long)(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    !PAGE_ALIGNED(old))
		return -EINVAL;
	if (new_len > USER_MAX)
		return (flags & MREMAP_FIXED) ? -EINVAL : -ENOMEM;
	if (old_len > USER_MAX)
		return -EFAULT;
	if (flags & MREMAP_MAYMOVE)
		ms_flags |= MSPACE_REMAP_MAYMOVE;
	if (flags & MREMAP_FIXED)
		ms_flags |= MSPACE_REMAP_FIXED;
	else
		to = 0;
	err = mspace_remap(sys_mm_current(), old, PAGE_ROUNDUP(old_len),
			   PAGE_ROUNDUP(new_len), ms_flags, &to);
	return err ? err : (long)to;
}

/* mprotect(addr, len, prot): 0, or -EINVAL (misaligned, bad prot),
 * -ENOMEM (part of the range unmapped, outside user space, out of memory),
 * -EACCES (prot beyond what the mapping allows). */
long sys_mprotect(const struct syscall_args *args)
{
	vaddr_t addr = (vaddr_t)args->a[0];
	size_t len = (size_t)args->a[1];
	long prot = args->a[2];

	if (!PAGE_ALIGNED(addr) || (prot & ~PROT_ALL))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > USER_MAX || addr < USER_MIN ||
	    PAGE_ROUNDUP(len) > USER_MAX - addr)
		return -ENOMEM;
	return mspace_protect(sys_mm_current(), addr, PAGE_ROUNDUP(len),
			      (vm_prot_t)prot);
}

/* msync(addr, len, flags): write the dirty pages of shared file mappings
 * in the range to their files (MS_ASYNC is done synchronously too: the
 * page cache is coherent, so only durability differs). 0, or -EINVAL
 * (misaligned, unknown flags, MS_ASYNC with MS_SYNC), -ENOMEM (part of
 * the range unmapped or outside user space), -EIO. */
long sys_msync(const struct syscall_args *args)
{
	vaddr_t addr = (vaddr_t)args->a[0];
	size_t len = (size_t)args->a[1];
	long flags = args->a[2];

	if (!PAGE_ALIGNED(addr) ||
	    (flags & ~(long)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > USER_MAX || addr < USER_MIN ||
	    PAGE_ROUNDUP(len) > USER_MAX - addr)
		return -ENOMEM;
	return mspace_sync(sys_mm_current(), addr, PAGE_ROUNDUP(len));
}

/* madvise(addr, len, advice): MADV_DONTNEED and MADV_FREE unmap the range
 * and drop the private anonymous pages in it (anonymous memory reads back
 * as zeroes, a private file mapping as the file, a shared mapping keeps
 * its data); other known advice is accepted and ignored. 0, or -EINVAL
 * (misaligned, unknown advice), -ENOMEM (part of the range unmapped or
 * outside user space). */
long sys_madvise(const struct syscall_args *args)
{
	vaddr_t addr = (vaddr_t)args->a[0];
	size_t len = (size_t)args->a[1];
	long advice = args->a[2];

	if (!PAGE_ALIGNED(addr) || advice < MADV_NORMAL || advice > MADV_LAST ||
	    (advice > MADV_DONTNEED && advice < MADV_FREE))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > USER_MAX || addr < USER_MIN ||
	    PAGE_ROUNDUP(len) > USER_MAX - addr)
		return -ENOMEM;
	if (advice != MADV_DONTNEED && advice != MADV_FREE)
		return 0;
	return mspace_dontneed(sys_mm_current(), addr, PAGE_ROUNDUP(len));
}
