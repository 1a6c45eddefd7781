/*
 * execve: load a static ELF64 RISC-V program into a new mspace and build
 * its initial stack as Linux lays it out (argc, argv, envp, auxv). The old
 * image is replaced only once the new one is complete. Segments are mapped
 * private from the file's memory object (the page cache) and paged in on
 * demand, so every process running a program shares its text frames.
 * Uses the VFS to read the headers and the mspace interface for memory.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/syscall.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/fs/file.h"
#include "kernel/fs/stat.h"
#include "kernel/fs/vfs.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/signal.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/object.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/uaccess.h"
#include "arch/riscv/timer.h"
#include "arch/riscv/trap.h"

#define EXEC_ARG_MAX    (128 * 1024)    /* argv + envp: strings and pointers */
#define EXEC_PATH_MAX   4096
#define EXEC_SCRIPT_LINE 128            /* bytes of a "#!" line read */
#define ELF_MAX_PHNUM   64
#define ELF_MAX_LOADS   16
#define ET_DYN_BASE     0x40000000UL    /* where an ET_DYN program is placed */
#define STACK_ALIGN     16
#define AT_RANDOM_BYTES 16
#define EXEC_NAUXV      17              /* auxv pairs written, with AT_NULL */
#define HWCAP_ISA(c)    (1UL << ((c) - 'a'))
#define EXEC_HWCAP      (HWCAP_ISA('i') | HWCAP_ISA('m') | HWCAP_ISA('a') | \
			 HWCAP_ISA('f') | HWCAP_ISA('d') | HWCAP_ISA('c'))

/* The argument and environment strings, copied into one kernel buffer. */
struct exec_args {
	char *buf;              /* argv strings then envp strings, each + NUL */
	size_t used;            /* bytes of buf in use */
	int argc, envc;
};

/* A page range to map and its protection. */
struct exec_region {
	vaddr_t start, end;     /* bytes, page aligned */
	vm_prot_t prot;
	bool file;              /* private from the file, else anonymous */
	uint64_t off;           /* file offset of start if file, bytes */
};

/* What exec learns from the ELF headers. */
struct exec_image {
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;         /* kmalloc'ed, eh.e_phnum entries */
	vaddr_t bias;           /* added to every p_vaddr (ET_DYN) */
	vaddr_t entry;          /* biased */
	vaddr_t phdr_va;        /* program headers in memory, or 0 */
	vaddr_t brk;            /* end of the highest segment */
	struct exec_region reg[2 * ELF_MAX_LOADS];
	int nreg;
	bool map_file;          /* reg[] maps the file (else copy it in) */
};

/* Append one string to ea; user says whether src is a user address.
 * Returns 0, -E2BIG, or -EFAULT. */
static int exec_args_add(struct exec_args *ea, const char *src, vaddr_t usrc,
			 bool user)
{
	size_t nptr = (size_t)(ea->argc + ea->envc + 1) * sizeof(vaddr_t);
	long room = (long)EXEC_ARG_MAX - (long)ea->used - (long)nptr;
	long n;

	if (room <= 0)
		return -E2BIG;
	if (user) {
		n = copyinstr(ea->buf + ea->used, usrc, (size_t)room);
		if (n == -ENAMETOOLONG)
			return -E2BIG;
		if (n < 0)
			return -EFAULT;
	} else {
		n = (long)strnlen(src, (size_t)room);
		if (n >= room)
			return -E2BIG;
		memcpy(ea->buf + ea->used, src, (size_t)n + 1);
	}
	ea->used += (size_t)n + 1;
	return 0;
}

/* Copy a NULL-terminated vector of user string pointers (uvec may be 0:
 * no strings). *count gets the number. 0, -E2BIG or -EFAULT. */
static int exec_args_add_user(struct exec_args *ea, vaddr_t uvec, int *count)
{
	vaddr_t uptr;
	int err;

	for (size_t i = 0; uvec != 0; i++) {
		if (copyin(&uptr, uvec + i * sizeof(uptr), sizeof(uptr)) < 0)
			return -EFAULT;
		if (uptr == 0)
			break;
		err = exec_args_add(ea, NULL, uptr, true);
		if (err < 0)
			return err;
		(*count)++;
	}
	return 0;
}

/* The same for a kernel vector (may be NULL). */
static int exec_args_add_kernel(struct exec_args *ea, const char *const *vec,
				int *count)
{
	int err;

	for (size_t i = 0; vec != NULL && vec[i] != NULL; i++) {
		err = exec_args_add(ea, vec[i], 0, false);
		if (err < 0)
			return err;
		(*count)++;
	}
	return 0;
}

/* Open path for execution: a regular file with an execute bit.
 * Returns 0 and a referenced *out, or -ENOENT, -ENOTDIR, -EACCES, ... */
static int exec_open(const char *path, struct vnode **out)
{
	struct vnode *vn;
	int err;

	err = vfs_lookup(path, &vn);
	if (err < 0)
		return err;
	if (vn->type != VREG || (vn->mode & S_IXANY) == 0) {
		vnode_put(vn);
		return -EACCES;
	}
	*out = vn;
	return 0;
}

/* Read exactly len bytes at off; -ENOEXEC if the file is shorter. */
static int exec_read(struct vnode *vn, void *buf, off_t off, size_t len)
{
	ssize_t n = vfs_read_kernel(vn, buf, off, len);

	if (n < 0)
		return (int)n;
	return ((size_t)n == len) ? 0 : -ENOEXEC;
}

/* Check the file header (gABI "ELF Header"). 0 or -ENOEXEC. */
static int exec_check_ehdr(const Elf64_Ehdr *eh, uint64_t fsize)
{
	uint64_t phsize = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT || eh->e_machine != EM_RISCV)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	if (eh->e_phoff > fsize || phsize > fsize - eh->e_phoff)
		return -ENOEXEC;
	return 0;
}

/* Check one PT_LOAD segment against the file and user space, after
 * biasing. prev_end is the end of the previous segment (they must ascend
 * and not overlap). 0 or -ENOEXEC. */
static int exec_check_load(const Elf64_Phdr *ph, uint64_t fsize, vaddr_t bias,
			   vaddr_t prev_end)
{
	uint64_t align = ph->p_align;
	vaddr_t va = ph->p_vaddr + bias;

	if (ph->p_filesz > ph->p_memsz || ph->p_memsz == 0)
		return -ENOEXEC;
	if (ph->p_offset > fsize || ph->p_filesz > fsize - ph->p_offset)
		return -ENOEXEC;
	if (va < ph->p_vaddr || va < USER_MIN || va < prev_end ||
	    va >= MSPACE_STACK_LIMIT || ph->p_memsz > MSPACE_STACK_LIMIT - va)
		return -ENOEXEC;
	if (align > 1 && !IS_POWER_OF_2(align))
		return -ENOEXEC;
	align = MIN(MAX(align, 1UL), PAGE_SIZE);
	if ((ph->p_vaddr - ph->p_offset) % align != 0)
		return -ENOEXEC;
	return 0;
}

static vm_prot_t exec_prot(uint32_t flags)
{
	return ((flags & PF_R) ? VM_PROT_READ : 0) |
	       ((flags & PF_W) ? VM_PROT_WRITE : 0) |
	       ((flags & PF_X) ? VM_PROT_EXEC : 0);
}

/* Add the page range of a segment to img->reg. Two segments may share one
 * page (the end of one and the start of the next): that page gets a
 * region of its own with both protections. */
static void exec_add_region(struct exec_image *img, vaddr_t va, uint64_t memsz,
			    vm_prot_t prot)
{
	vaddr_t start = PAGE_ROUNDDOWN(va);
	vaddr_t end = PAGE_ROUNDUP(va + memsz);
	struct exec_region *last = img->nreg ? &img->reg[img->nreg - 1] : NULL;

	if (last != NULL && start < last->end) {
		vm_prot_t both = last->prot | prot;

		if (both != last->prot) {
			if (last->end - PAGE_SIZE == last->start) {
				last->prot = both;
			} else {
				last->end -= PAGE_SIZE;
				img->reg[img->nreg++] = (struct exec_region){
					last->end, last->end + PAGE_SIZE,
					both, false, 0 };
			}
		}
		start = img->reg[img->nreg - 1].end;
	}
	if (start < end)
		img->reg[img->nreg++] =
			(struct exec_region){ start, end, prot, false, 0 };
}

/* The bias for an ET_DYN program linked at 0; 0 for ET_EXEC. */
static vaddr_t exec_bias(const struct exec_image *img)
{
	vaddr_t lowest = UINT64_MAX;

	if (img->eh.e_type != ET_DYN)
		return 0;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (ph->p_type == PT_LOAD)
			lowest = MIN(lowest, PAGE_ROUNDDOWN(ph->p_vaddr));
	}
	return (lowest < USER_MIN) ? ET_DYN_BASE : 0;
}

/* Find where the program headers are mapped (PT_PHDR, or the PT_LOAD whose
 * file range holds them) and whether the entry point is in an executable
 * segment. 0 or -ENOEXEC. */
static int exec_find_phdr_entry(struct exec_image *img)
{
	uint64_t phoff = img->eh.e_phoff;
	bool entry_ok = false;

	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];
		vaddr_t va = ph->p_vaddr + img->bias;

		if (ph->p_type == PT_PHDR)
			img->phdr_va = va;
		if (ph->p_type != PT_LOAD)
			continue;
		if (img->phdr_va == 0 && phoff >= ph->p_offset &&
		    phoff - ph->p_offset < ph->p_filesz)
			img->phdr_va = va + (phoff - ph->p_offset);
		if ((ph->p_flags & PF_X) && img->entry >= va &&
		    img->entry - va < ph->p_memsz)
			entry_ok = true;
	}
	return entry_ok ? 0 : -ENOEXEC;
}

/* Validate the program headers and plan the regions to map.
 * 0 or -ENOEXEC. */
static int exec_check_phdrs(struct exec_image *img, uint64_t fsize)
{
	vaddr_t prev_end = 0;
	int nload = 0, err;

	img->bias = exec_bias(img);
	img->entry = img->eh.e_entry + img->bias;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];

		if (ph->p_type == PT_INTERP)
			return -ENOEXEC;        /* no dynamic linker */
		if (ph->p_type != PT_LOAD)
			continue;
		if (++nload > ELF_MAX_LOADS)
			return -ENOEXEC;
		err = exec_check_load(ph, fsize, img->bias, prev_end);
		if (err < 0)
			return err;
		prev_end = ph->p_vaddr + img->bias + ph->p_memsz;
		exec_add_region(img, ph->p_vaddr + img->bias, ph->p_memsz,
				exec_prot(ph->p_flags));
	}
	if (nload == 0)
		return -ENOEXEC;
	img->brk = PAGE_ROUNDUP(prev_end);
	return exec_find_phdr_entry(img);
}

/* Whether every PT_LOAD can be mapped from the file: its address and file
 * offset agree modulo the page size, and no page holds two segments. */
static bool exec_can_map_file(const struct exec_image *img)
{
	vaddr_t prev_end = 0;

	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];
		vaddr_t va = ph->p_vaddr + img->bias;

		if (ph->p_type != PT_LOAD)
			continue;
		if (((va - ph->p_offset) & PAGE_MASK) != 0 ||
		    PAGE_ROUNDDOWN(va) < prev_end)
			return false;
		prev_end = PAGE_ROUNDUP(va + ph->p_memsz);
	}
	return true;
}

/* Plan the regions of file-mapped segments: each PT_LOAD maps its pages
 * holding file bytes private from the file at their offset, and its pages
 * of pure bss anonymous (demand zero). => exec_can_map_file(img). */
static void exec_plan_file(struct exec_image *img)
{
	img->nreg = 0;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &img->ph[i];
		vaddr_t va = ph->p_vaddr + img->bias;
		vaddr_t start = PAGE_ROUNDDOWN(va);
		vaddr_t fend = PAGE_ROUNDUP(va + ph->p_filesz);
		vaddr_t mend = PAGE_ROUNDUP(va + ph->p_memsz);
		vm_prot_t prot = exec_prot(ph->p_flags);

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > 0)
			img->reg[img->nreg++] = (struct exec_region){
				start, fend, prot, true,
				ph->p_offset - (va - start) };
		else
			fend = start;
		if (mend > fend)
			img->reg[img->nreg++] = (struct exec_region){
				fend, mend, prot, false, 0 };
	}
	img->map_file = true;
}

/* Read and check the ELF headers of vn into img. 0, -ENOEXEC, -ENOMEM,
 * -EIO. */
static int exec_read_headers(struct vnode *vn, struct exec_image *img)
{
	uint64_t fsize = vn->size;
	size_t phsize;
	int err;

	err = exec_read(vn, &img->eh, 0, sizeof(img->eh));
	if (err < 0)
		return err;
	err = exec_check_ehdr(&img->eh, fsize);
	if (err < 0)
		return err;
	phsize = img->eh.e_phnum * sizeof(Elf64_Phdr);
	img->ph = kmalloc(phsize);
	if (img->ph == NULL)
		return -ENOMEM;
	err = exec_read(vn, img->ph, (off_t)img->eh.e_phoff, phsize);
	if (err < 0)
		return err;
	err = exec_check_phdrs(img, fsize);
	if (err == 0 && exec_can_map_file(img))
		exec_plan_file(img);
	return err;
}

/* Copy one segment's file bytes into ms through a bounce page (segments
 * that cannot be mapped from the file). Bytes from p_filesz to p_memsz
 * stay zero (fresh anonymous memory). */
static int exec_copy_segment(struct mspace *ms, struct vnode *vn,
			     const Elf64_Phdr *ph, vaddr_t bias, void *page)
{
	uint64_t done = 0;
	size_t n;
	int err;

	while (done < ph->p_filesz) {
		n = MIN(PAGE_SIZE, ph->p_filesz - done);
		err = exec_read(vn, page, (off_t)(ph->p_offset + done), n);
		if (err < 0)
			return err == -ENOEXEC ? -EIO : err;
		err = mspace_write(ms, ph->p_vaddr + bias + done, page, n);
		if (err < 0)
			return err;
		done += n;
	}
	return 0;
}

/* Zero the bss bytes that share a page with the end of a segment's file
 * bytes, [va + filesz, the end of that page or of memsz): writing them
 * copies that one page out of the file into a private page.
 * 0, -ENOMEM, -EIO. */
static int exec_zero_tail(struct mspace *ms, const Elf64_Phdr *ph,
			  vaddr_t bias, void *zeroes)
{
	vaddr_t end = ph->p_vaddr + bias + ph->p_filesz;
	size_t n = MIN(PAGE_ROUNDUP(end) - end, ph->p_memsz - ph->p_filesz);

	if (ph->p_filesz == 0 || n == 0)
		return 0;
	memset(zeroes, 0, n);
	return mspace_write(ms, end, zeroes, n);
}

/* The last VMA of a program's image let go: writes to its file are
 * allowed again. */
static void exec_text_release(void *arg)
{
	struct vnode *vn = arg;

	vnode_allow_write(vn);
	vnode_put(vn);
}

/* The name /proc/<pid>/maps shows for the program vn run as path (path
 * made absolute with the current directory) in *out. While a VMA holds
 * the name (forks and splits share it), the file cannot be opened for
 * writing or truncated (ETXTBSY). 0, -ENOMEM, or -ETXTBSY if the file is
 * open for writing. */
static int exec_file_name(struct vnode *vn, const char *path,
			  struct vma_file **out)
{
	struct vma_file *name;
	char *abs = vfs_abspath(NULL, path);
	int err;

	*out = NULL;
	if (abs == NULL)
		return -ENOMEM;
	name = vma_file_create(vn->mnt->dev, vn->ino, abs);
	kfree(abs);
	if (name == NULL)
		return -ENOMEM;
	err = vnode_deny_write(vn);
	if (err < 0) {
		vma_file_unref(name);
		return err;
	}
	vnode_ref(vn);
	name->release = exec_text_release;
	name->release_arg = vn;
	*out = name;
	return 0;
}

/* Map the planned regions: private from the file's object (img->map_file)
 * or anonymous. 0, -ENOEXEC (a region does not fit), -ENOMEM, -ETXTBSY
 * (the file is open for writing). */
static int exec_map_regions(struct mspace *ms, struct vnode *vn,
			    const struct exec_image *img, const char *path)
{
	struct vm_object *obj = NULL;
	struct vma_file *name = NULL;
	int err = 0;

	if (img->map_file) {
		obj = vnode_object(vn);
		err = exec_file_name(vn, path, &name);
		if (err == 0 && obj == NULL)
			err = -ENOMEM;
	}
	for (int i = 0; i < img->nreg && err == 0; i++) {
		const struct exec_region *r = &img->reg[i];
		vaddr_t va = r->start;

		err = mspace_map_file(ms, &va, r->end - r->start, r->prot,
				      VM_PROT_ALL, VMA_PRIVATE, MSPACE_FIXED,
				      r->file ? obj : NULL, r->off,
				      r->file ? name : NULL);
	}
	if (obj != NULL)
		vm_object_unref(obj);
	if (name != NULL)
		vma_file_unref(name);
	return err == -EINVAL || err == -EEXIST ? -ENOEXEC : err;
}

/* Map the planned regions, fill what the file does not provide by mapping
 * (the bss tail of a file page; everything when the segments cannot be
 * mapped and are copied in instead), and set the heap start.
 * 0, -ENOMEM, -EIO, -ENOEXEC. */
static int exec_load(struct mspace *ms, struct vnode *vn,
		     const struct exec_image *img, const char *path)
{
	void *page;
	int err;

	err = exec_map_regions(ms, vn, img, path);
	if (err < 0)
		return err;
	page = kmalloc(PAGE_SIZE);
	if (page == NULL)
		return -ENOMEM;
	for (int i = 0; i < img->eh.e_phnum && err == 0; i++) {
		if (img->ph[i].p_type != PT_LOAD)
			continue;
		if (img->map_file)
			err = exec_zero_tail(ms, &img->ph[i], img->bias, page);
		else
			err = exec_copy_segment(ms, vn, &img->ph[i],
						img->bias, page);
	}
	kfree(page);
	if (err < 0)
		return err;
	return mspace_set_brk(ms, img->brk);
}

/*
 * Words of the initial stack, written from sp upward through a staging
 * page: argc, argv[], NULL, envp[], NULL, auxv pairs.
 */
struct stack_writer {
	struct mspace *ms;
	vaddr_t va;             /* user address of staged[0] */
	uint64_t *staged;       /* one page */
	size_t n;               /* words staged */
	int err;
};

static void stack_flush(struct stack_writer *w)
{
	if (w->n == 0 || w->err < 0)
		return;
	w->err = mspace_write(w->ms, w->va, w->staged, w->n * sizeof(uint64_t));
	w->va += w->n * sizeof(uint64_t);
	w->n = 0;
}

static void stack_push(struct stack_writer *w, uint64_t word)
{
	w->staged[w->n++] = word;
	if (w->n == PAGE_SIZE / sizeof(uint64_t))
		stack_flush(w);
}

/* Push the user address of each of count strings starting at *str (kernel)
 * copied to *ustr (user), then a NULL. Advances both. */
static void stack_push_strings(struct stack_writer *w, const char **str,
			       vaddr_t *ustr, int count)
{
	for (int i = 0; i < count; i++) {
		size_t len = strlen(*str) + 1;

		stack_push(w, *ustr);
		*str += len;
		*ustr += len;
	}
	stack_push(w, 0);
}

/* 16 bytes for AT_RANDOM. Pagoda has no entropy source; mix the clock. */
static void exec_random(uint8_t out[AT_RANDOM_BYTES])
{
	uint64_t x = timer_now() ^ ((uint64_t)proc_current()->pid << 32);

	for (int i = 0; i < AT_RANDOM_BYTES; i++) {
		x += 0x9e3779b97f4a7c15UL;      /* splitmix64 */
		uint64_t z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
		out[i] = (uint8_t)(z ^ (z >> 31));
	}
}

/* Push the auxiliary vector (Linux include/uapi/linux/auxvec.h). */
static void stack_push_auxv(struct stack_writer *w,
			    const struct exec_image *img, vaddr_t urandom,
			    vaddr_t uexecfn)
{
	const uint64_t aux[EXEC_NAUXV][2] = {
		{ AT_PHDR, img->phdr_va },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, img->eh.e_phnum },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_BASE, 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, img->entry },
		{ AT_UID, 0 },
		{ AT_EUID, 0 },
		{ AT_GID, 0 },
		{ AT_EGID, 0 },
		{ AT_HWCAP, EXEC_HWCAP },
		{ AT_CLKTCK, TIMER_HZ },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, urandom },
		{ AT_EXECFN, uexecfn },
		{ AT_NULL, 0 },
	};

	for (int i = 0; i < EXEC_NAUXV; i++) {
		stack_push(w, aux[i][0]);
		stack_push(w, aux[i][1]);
	}
}

/*
 * Build the initial stack in ms below top, Linux style:
 *   sp -> argc, argv[0..argc-1], NULL, envp[0..envc-1], NULL, auxv, AT_NULL
 *   ... then AT_RANDOM bytes, the strings, and the exec path at the top.
 * Returns 0 and *sp (16-byte aligned), -EFAULT, -ENOMEM.
 */
static int exec_build_stack(struct mspace *ms, vaddr_t top, const char *path,
			    const struct exec_args *ea,
			    const struct exec_image *img, vaddr_t *sp)
{
	size_t pathlen = strlen(path) + 1;
	vaddr_t uexecfn = top - pathlen;
	vaddr_t ustrings = uexecfn - ea->used;
	vaddr_t urandom = ROUNDDOWN(ustrings - AT_RANDOM_BYTES, STACK_ALIGN);
	size_t nwords = 1 + (ea->argc + 1) + (ea->envc + 1) + 2 * EXEC_NAUXV;
	uint8_t rnd[AT_RANDOM_BYTES];
	struct stack_writer w = { ms, 0, NULL, 0, 0 };
	const char *str = ea->buf;
	vaddr_t ustr = ustrings;
	int err;

	*sp = ROUNDDOWN(urandom - nwords * sizeof(uint64_t), STACK_ALIGN);
	w.va = *sp;
	exec_random(rnd);
	err = mspace_write(ms, uexecfn, path, pathlen);
	if (err == 0 && ea->used > 0)
		err = mspace_write(ms, ustrings, ea->buf, ea->used);
	if (err == 0)
		err = mspace_write(ms, urandom, rnd, sizeof(rnd));
	if (err < 0)
		return err;
	w.staged = kmalloc(PAGE_SIZE);
	if (w.staged == NULL)
		return -ENOMEM;
	stack_push(&w, (uint64_t)ea->argc);
	stack_push_strings(&w, &str, &ustr, ea->argc);
	stack_push_strings(&w, &str, &ustr, ea->envc);
	stack_push_auxv(&w, img, urandom, uexecfn);
	stack_flush(&w);
	kfree(w.staged);
	return w.err;
}

/* The point of no return: the current process becomes the new image,
 * named name (the basename of the program or script). */
static void exec_commit(struct mspace *ms, const char *name, vaddr_t entry,
			vaddr_t sp)
{
	struct proc *p = proc_current();
	const char *base = strrchr(name, '/');
	struct trapframe *tf = p->tf;

	proc_replace_mspace(ms);
	fd_close_on_exec();
	strlcpy(p->name, base != NULL ? base + 1 : name, sizeof(p->name));
	/* Caught signals go back to SIG_DFL, ignored ones stay ignored
	 * (POSIX). The FP registers start at zero, FP off. */
	signal_exec(p);
	memset(&p->fp, 0, sizeof(p->fp));
	memset(tf, 0, sizeof(*tf));
	tf->sepc = entry;
	tf->sp = sp;
}

static void exec_image_free(struct exec_image *img)
{
	if (img->ph != NULL)
		kfree(img->ph);
	kfree(img);
}

/* Load the ELF program vn (opened from path) with the strings of ea into
 * the current process. 0 or -errno (the old image is untouched then). */
static int exec_elf(struct vnode *vn, const char *path, const char *name,
		    const struct exec_args *ea)
{
	struct exec_image *img;
	struct mspace *ms = NULL;
	vaddr_t top = 0, sp = 0;
	int err;

	img = kzalloc(sizeof(*img));
	if (img == NULL)
		return -ENOMEM;
	err = exec_read_headers(vn, img);
	if (err < 0)
		goto fail;
	ms = mspace_create();
	if (ms == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	err = exec_load(ms, vn, img, path);
	if (err == 0)
		err = mspace_map_stack(ms, &top);
	if (err == 0)
		err = exec_build_stack(ms, top, path, ea, img, &sp);
	if (err < 0)
		goto fail;
	exec_commit(ms, name, img->entry, sp);
	exec_image_free(img);
	return 0;
fail:
	if (ms != NULL)
		mspace_destroy(ms);
	exec_image_free(img);
	return err;
}

static int exec_args_init(struct exec_args *ea)
{
	ea->buf = kmalloc(EXEC_ARG_MAX);
	ea->used = 0;
	ea->argc = ea->envc = 0;
	return ea->buf != NULL ? 0 : -ENOMEM;
}

/* Split a "#!" line in place: the interpreter path and its optional one
 * argument (the rest of the line, trimmed). 0 or -ENOEXEC. */
static int exec_script_parse(char *line, char **interp, char **arg)
{
	char *p = line + 2, *end;

	end = strchr(line, '\n');
	if (end == NULL)
		return -ENOEXEC;        /* line too long */
	*end = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return -ENOEXEC;
	*interp = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p != '\0') {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p != '\0')
			*arg = p;
	}
	return 0;
}

/* The arguments of a script run: interp [arg] path argv[1..], same envp. */
static int exec_script_args(struct exec_args *nea, const char *interp,
			    const char *arg, const char *path,
			    const struct exec_args *ea)
{
	const char *str = ea->buf;
	int err;

	err = exec_args_add(nea, interp, 0, false);
	if (err == 0 && arg != NULL)
		err = exec_args_add(nea, arg, 0, false);
	if (err == 0)
		err = exec_args_add(nea, path, 0, false);
	nea->argc = (arg != NULL) ? 3 : 2;
	for (int i = 0; i < ea->argc + ea->envc && err == 0; i++) {
		if (i > 0 || ea->argc == 0) {       /* argv[0] is replaced */
			err = exec_args_add(nea, str, 0, false);
			if (i < ea->argc)
				nea->argc++;
			else
				nea->envc++;
		}
		str += strlen(str) + 1;
	}
	return err;
}

static int exec_file(const char *path, const char *name,
		     const struct exec_args *ea, int depth);

/* Run the "#!" script path (its first line in line) through its
 * interpreter, which must be an ELF program. 0 or -errno. */
static int exec_script(const char *path, char *line, const struct exec_args *ea,
		       int depth)
{
	struct exec_args nea;
	char *interp, *arg;
	int err;

	if (depth > 0)
		return -ENOEXEC;        /* no interpreter scripts */
	err = exec_script_parse(line, &interp, &arg);
	if (err < 0)
		return err;
	err = exec_args_init(&nea);
	if (err < 0)
		return err;
	err = exec_script_args(&nea, interp, arg, path, ea);
	if (err == 0)
		err = exec_file(interp, path, &nea, depth + 1);
	kfree(nea.buf);
	return err;
}

/* Execute path: an ELF program, or a "#!" script. depth counts scripts. */
static int exec_file(const char *path, const char *name,
		     const struct exec_args *ea, int depth)
{
	char line[EXEC_SCRIPT_LINE];
	struct vnode *vn;
	ssize_t n;
	int err;

	err = exec_open(path, &vn);
	if (err < 0)
		return err;
	n = vfs_read_kernel(vn, line, 0, sizeof(line) - 1);
	if (n < 0) {
		vnode_put(vn);
		return (int)n;
	}
	line[n] = '\0';
	if (n >= 2 && line[0] == '#' && line[1] == '!') {
		vnode_put(vn);
		return exec_script(path, line, ea, depth);
	}
	err = exec_elf(vn, path, name, ea);
	vnode_put(vn);
	return err;
}

/* See proc.h. */
int exec_kernel(const char *path, const char *const argv[],
		const char *const envp[])
{
	struct exec_args ea;
	int err;

	err = exec_args_init(&ea);
	if (err < 0)
		return err;
	err = exec_args_add_kernel(&ea, argv, &ea.argc);
	if (err == 0)
		err = exec_args_add_kernel(&ea, envp, &ea.envc);
	if (err == 0)
		err = exec_file(path, path, &ea, 0);
	kfree(ea.buf);
	return err;
}

/* execve(path, argv, envp) (Linux semantics): on success the system call
 * "returns" into the new program with a0 = 0. Errors: -EFAULT (bad pointer),
 * -ENAMETOOLONG, -E2BIG (argv + envp over 128 KiB with their pointers),
 * -ENOENT, -ENOTDIR, -EACCES (not a regular file or not executable),
 * -ENOEXEC (bad ELF), -ENOMEM, -EIO. */
long sys_execve(const struct syscall_args *args)
{
	struct exec_args ea;
	char *path;
	long err;

	path = kmalloc(EXEC_PATH_MAX);
	if (path == NULL)
		return -ENOMEM;
	err = copyinstr(path, (vaddr_t)args->a[0], EXEC_PATH_MAX);
	if (err < 0)
		goto out_path;
	err = exec_args_init(&ea);
	if (err < 0)
		goto out_path;
	err = exec_args_add_user(&ea, (vaddr_t)args->a[1], &ea.argc);
	if (err == 0)
		err = exec_args_add_user(&ea, (vaddr_t)args->a[2], &ea.envc);
	if (err == 0)
		err = exec_file(path, path, &ea, 0);
	kfree(ea.buf);
out_path:
	kfree(path);
	return err;
}
