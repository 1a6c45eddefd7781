/*
 * procfs (kernel/fs/procfs.h): a file system whose files are text made at
 * open time into an sbuf kept with the open file (freed at close). Inode
 * numbers encode what a vnode is; no state is kept per vnode. The text
 * comes from the memory, device and process modules. The files of
 * /proc/sys/vm/ are integer tunables (sysctls) that root may also write.
 */
#include "kernel/fs/procfs.h"
#include "kernel/fs/procfs_vm.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/file.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/stat.h"
#include "kernel/dev/dev.h"
#include "kernel/errno.h"
#include "kernel/lib/profile.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/string.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/object.h"
#include "kernel/vm/page.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/vmstat.h"
#include "kernel/vm/commit.h"
#include "kernel/vm/pageout.h"

/* Inode numbers: the root, one per top-level file, and for process pid a
 * directory at PID_BASE + pid * PID_STRIDE followed by its files. */
#define PROCFS_ROOT_INO   1
#define PROCFS_FILE_INO   2
#define PROCFS_SELF_INO   (PROCFS_PID_BASE - 1)    /* only in readdir */
#define PROCFS_PID_BASE   0x10000
#define PROCFS_PID_STRIDE 8
#define PROCFS_SYS_INO    0x100                  /* /proc/sys */
#define PROCFS_SYSVM_INO  0x101                  /* /proc/sys/vm */
#define PROCFS_SYSCTL_INO 0x110                  /* its files, in order */
#define PROCFS_DEV        DEV_ID(DEV_NONE, 1)
#define PROCFS_SYSCTL_MODE (S_IFREG | 0644)
#define PROCFS_SYSCTL_MAX 24                     /* bytes a write may have */
#define PROCFS_DIR_MODE   (S_IFDIR | 0555)
#define PROCFS_FILE_MODE  (S_IFREG | 0444)
#define BLK_SIZE_PROCFS   1024             /* st_blksize */
#define KB_PER_PAGE       (PAGE_SIZE / 1024)
/* readdir positions of the root: ".", "..", the files, "self", then
 * PIDS_POS + pid for each process; of a process directory: ".", "..",
 * then its files. Any other position (lseek allows every off_t >= 0) is
 * the end of the directory. */
#define PROCFS_DOTS       2
#define PROCFS_PID_MAX    INT32_MAX        /* largest pid_t */

typedef int (*procfs_gen_fn)(pid_t pid, struct sbuf *sb);

struct procfs_entry {
	const char *name;
	procfs_gen_fn gen;
};

/*
 * The paging events of /proc/vmstat under Linux's names. All scanning and
 * reclaim is the page daemon's (Linux's kswapd; a user allocation sleeps
 * instead of reclaiming directly), so Linux 6.x's pgscan_kswapd and
 * pgsteal_kswapd equal the plain pgscan and pgsteal, and both
 * spellings are printed. allocstall is one total (Linux splits it per
 * zone: allocstall_dma32, allocstall_normal).
 */
static const struct {
	const char *name;
	enum vm_event ev;
} procfs_vm_events[] = {
	{ "pgmajfault", VM_EV_PGMAJFAULT },
	{ "pswpin", VM_EV_PSWPIN },
	{ "pswpout", VM_EV_PSWPOUT },
	{ "pgscan", VM_EV_PGSCAN },
	{ "pgscan_kswapd", VM_EV_PGSCAN },
	{ "pgsteal", VM_EV_PGSTEAL },
	{ "pgsteal_kswapd", VM_EV_PGSTEAL },
	{ "pgactivate", VM_EV_PGACTIVATE },
	{ "pgdeactivate", VM_EV_PGDEACTIVATE },
	{ "oom_kill", VM_EV_OOM_KILL },
	{ "allocstall", VM_EV_ALLOCSTALL },
};

/* /proc/vmstat: "name value" lines: the page allocator's (procfs_vm.c), the
 * fault and VM object counts (fault.c: pgfault and the Pagoda-specific
 * pgfault_* cases), then the paging events. */
static int procfs_gen_vmstat(pid_t pid __unused, struct sbuf *sb)
{
	int err = procfs_vm_vmstat(sb);

	if (err == 0)
		err = vm_stats_display(sb);
	if (err < 0)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(procfs_vm_events); i++)
		sbuf_printf(sb, "%s %lu\n", procfs_vm_events[i].name,
			    (unsigned long)vm_event_get(procfs_vm_events[i].ev));
	return sbuf_error(sb);
}

static int procfs_gen_devices(pid_t pid __unused, struct sbuf *sb)
{
	struct device *d;
	sbuf_printf(sb, "%-8s %-4s %-24s %-18s %-12s %s\n", "kind", "unit", "name",
		    "base", "size", "irq");
	for (int i = 0; (d = dev_get(i)) != NULL; i++)
		sbuf_printf(sb, "%-8s %-4u %-24s 0x%016lx 0x%-10lx %d\n",
			    dev_kind_name(DEV_ID_KIND(d->id)), DEV_ID_UNIT(d->id),
			    d->name, d->base, d->size, d->irq);
	return sbuf_error(sb);
}

/* Does text have a line starting with name? */
static bool procfs_has_line(const char *text, const char *name)
{
	size_t len = strlen(name);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, name, len) == 0)
			return true;
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return false;
}

/* The page cache: resident pages of memory objects (file pages and
 * shared anonymous memory), as Linux's "Cached:" line, unless page.c
 * already printed one. */
static int procfs_gen_meminfo(pid_t pid __unused, struct sbuf *sb)
{
	int err = procfs_vm_meminfo(sb);
	if (err == 0)
		err = vm_stats_display_meminfo(sb);
	if (err < 0)
		return err;
	if (!procfs_has_line(sb->buf, "SwapTotal:"))
		swap_display_meminfo(sb);
	sbuf_printf(sb, "%-16s%8lu kB\n", "CommitLimit:",
		    (unsigned long)(vm_commit_limit() * KB_PER_PAGE));
	sbuf_printf(sb, "%-16s%8lu kB\n", "Committed_AS:",
		    (unsigned long)(vm_committed_pages() * KB_PER_PAGE));
	if (procfs_has_line(sb->buf, "Cached:"))
		return sbuf_error(sb);
	sbuf_printf(sb, "%-16s%8lu kB\n", "Cached:",
		    (unsigned long)(vm_object_resident_pages() * KB_PER_PAGE));
	sbuf_printf(sb, "%-16s%8lu\n", "CachedPages:",
		    (unsigned long)vm_object_resident_pages());
	sbuf_printf(sb, "%-16s%8lu\n", "MemObjects:",
		    (unsigned long)vm_object_count());
	return sbuf_error(sb);
}

static int procfs_gen_zoneinfo(pid_t pid __unused, struct sbuf *sb)
{
	return procfs_vm_zoneinfo(sb);
}

static int procfs_gen_swaps(pid_t pid __unused, struct sbuf *sb)
{
	return swap_display_swaps(sb);
}

static int procfs_gen_profile(pid_t pid __unused, struct sbuf *sb)
{
	return profile_display(sb);
}

static int procfs_gen_buddyinfo(pid_t pid __unused, struct sbuf *sb)
{
	return procfs_vm_buddyinfo(sb);
}

static int procfs_gen_slabinfo(pid_t pid __unused, struct sbuf *sb)
{
	return kmem_display_slabinfo(sb);
}

static const struct procfs_entry procfs_files[] = {
	{ "meminfo", procfs_gen_meminfo },
	{ "zoneinfo", procfs_gen_zoneinfo },
	{ "buddyinfo", procfs_gen_buddyinfo },
	{ "slabinfo", procfs_gen_slabinfo },
	{ "vmstat", procfs_gen_vmstat },
	{ "devices", procfs_gen_devices },
	{ "swaps", procfs_gen_swaps },
	{ "profile", procfs_gen_profile },
};
#define PROCFS_NFILES   ((int)ARRAY_SIZE(procfs_files))
#define PROCFS_SELF_POS (PROCFS_DOTS + PROCFS_NFILES)
#define PROCFS_SYS_POS  (PROCFS_SELF_POS + 1)
#define PROCFS_PIDS_POS (PROCFS_SYS_POS + 1)

/* An integer tunable of /proc/sys/vm: reads give "%d\n", writes take a
 * decimal in [min, max] (kernel/vm/commit.h owns the variables). */
struct procfs_sysctl {
	const char *name;
	int *var;                       /* (atomic) */
	int min, max;
	void (*written)(int value);     /* optional: act on a write */
};

static int vm_drop_caches;              /* the last value written */

/* drop_caches: Linux's 1 (page cache), 2 (slab: nothing to shrink here)
 * and 3 (both) all free the clean, unmapped page cache. */
static void procfs_drop_caches(int value __unused)
{
	vm_pageout_drop_caches();
}

static const struct procfs_sysctl procfs_sysctls[] = {
	{ "overcommit_memory", &vm_overcommit_memory, 0, 2, NULL },
	{ "overcommit_ratio", &vm_overcommit_ratio, 0, 100000, NULL },
	{ "max_map_count", &vm_max_map_count, 1, INT32_MAX, NULL },
	{ "drop_caches", &vm_drop_caches, 1, 3, procfs_drop_caches },
};
#define PROCFS_NSYSCTLS ((int)ARRAY_SIZE(procfs_sysctls))

/* The sysctl of inode ino, or NULL. */
static const struct procfs_sysctl *procfs_sysctl_of(ino_t ino)
{
	if (ino < PROCFS_SYSCTL_INO || ino >= PROCFS_SYSCTL_INO + PROCFS_NSYSCTLS)
		return NULL;
	return &procfs_sysctls[ino - PROCFS_SYSCTL_INO];
}

static bool procfs_sys_dir(ino_t ino)
{
	return ino == PROCFS_SYS_INO || ino == PROCFS_SYSVM_INO;
}

/* The files of each process directory (index 1.. after the directory). */
static const struct procfs_entry procfs_pid_files[] = {
	{ "maps", proc_maps },
	{ "status", proc_status },
	{ "smaps", proc_smaps },
	{ "stat", proc_stat },
};
_Static_assert(ARRAY_SIZE(procfs_pid_files) < PROCFS_PID_STRIDE, "pid inode range");

static const struct vnode_ops procfs_vnode_ops;
static const struct file_ops procfs_fops;

static ino_t procfs_pid_ino(pid_t pid, int index)
{
	return PROCFS_PID_BASE + (ino_t)pid * PROCFS_PID_STRIDE + index;
}

/* Decode ino: its pid (0 for top-level) and index (0 for a directory,
 * 1.. for a file). */
static void procfs_decode(ino_t ino, pid_t *pid, int *index)
{
	if (ino < PROCFS_PID_BASE) {
		*pid = 0;
		*index = (int)ino - PROCFS_ROOT_INO;
		return;
	}
	*pid = (pid_t)((ino - PROCFS_PID_BASE) / PROCFS_PID_STRIDE);
	*index = (int)((ino - PROCFS_PID_BASE) % PROCFS_PID_STRIDE);
}

static bool procfs_pid_alive(pid_t pid)
{
	return pid > 0 && proc_next_pid(pid - 1) == pid;
}

/* The generator of a file vnode. */
static const struct procfs_entry *procfs_entry_of(struct vnode *vn, pid_t *pid)
{
	int index;
	procfs_decode(vn->ino, pid, &index);
	if (*pid == 0)
		return &procfs_files[index - 1];
	return &procfs_pid_files[index - 1];
}

static int procfs_vget(struct mount *mnt __unused, struct vnode *vn)
{
	pid_t pid;
	int index;
	vn->ops = &procfs_vnode_ops;
	if (procfs_sys_dir(vn->ino) || procfs_sysctl_of(vn->ino) != NULL) {
		bool dir = procfs_sys_dir(vn->ino);
		vn->type = dir ? VDIR : VREG;
		vn->mode = dir ? PROCFS_DIR_MODE : PROCFS_SYSCTL_MODE;
		vn->nlink = dir ? 2 : 1;
		return 0;
	}
	procfs_decode(vn->ino, &pid, &index);
	bool ok = pid == 0 ? index >= 0 && index <= PROCFS_NFILES :
		  index <= (int)ARRAY_SIZE(procfs_pid_files) && procfs_pid_alive(pid);
	if (!ok)
		return -ENOENT;
	vn->type = index == 0 ? VDIR : VREG;
	vn->mode = index == 0 ? PROCFS_DIR_MODE : PROCFS_FILE_MODE;
	vn->nlink = index == 0 ? 2 : 1;
	vn->ops = &procfs_vnode_ops;
	return 0;
}

/* Parse a decimal pid; 0 if name is not one. */
static pid_t procfs_parse_pid(const char *name)
{
	pid_t pid = 0;
	if (*name == '\0' || strlen(name) > 9)
		return 0;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		pid = pid * 10 + (*name - '0');
	}
	return pid;
}

static int procfs_lookup_root(const char *name, ino_t *ino)
{
	for (int i = 0; i < PROCFS_NFILES; i++) {
		if (strcmp(name, procfs_files[i].name) == 0) {
			*ino = PROCFS_FILE_INO + i;
			return 0;
		}
	}
	if (strcmp(name, "sys") == 0) {
		*ino = PROCFS_SYS_INO;
		return 0;
	}
	struct proc *cur = proc_current();
	pid_t pid = strcmp(name, "self") == 0 && cur != NULL ? cur->pid :
		    procfs_parse_pid(name);
	if (!procfs_pid_alive(pid))
		return -ENOENT;
	*ino = procfs_pid_ino(pid, 0);
	return 0;
}

/* Lookup in /proc/sys (vm) or /proc/sys/vm (the sysctls). */
static int procfs_lookup_sys(ino_t dir, const char *name, ino_t *ino)
{
	if (strcmp(name, "..") == 0) {
		*ino = dir == PROCFS_SYS_INO ? PROCFS_ROOT_INO : PROCFS_SYS_INO;
		return 0;
	}
	if (dir == PROCFS_SYS_INO) {
		if (strcmp(name, "vm") != 0)
			return -ENOENT;
		*ino = PROCFS_SYSVM_INO;
		return 0;
	}
	for (int i = 0; i < PROCFS_NSYSCTLS; i++) {
		if (strcmp(name, procfs_sysctls[i].name) == 0) {
			*ino = PROCFS_SYSCTL_INO + i;
			return 0;
		}
	}
	return -ENOENT;
}

static int procfs_lookup(struct vnode *dir, const char *name, ino_t *ino)
{
	pid_t pid;
	int index;
	if (procfs_sys_dir(dir->ino))
		return procfs_lookup_sys(dir->ino, name, ino);
	procfs_decode(dir->ino, &pid, &index);
	if (strcmp(name, "..") == 0) {
		*ino = PROCFS_ROOT_INO;
		return 0;
	}
	if (pid == 0)
		return procfs_lookup_root(name, ino);
	for (int i = 0; i < (int)ARRAY_SIZE(procfs_pid_files); i++) {
		if (strcmp(name, procfs_pid_files[i].name) == 0) {
			*ino = procfs_pid_ino(pid, i + 1);
			return procfs_pid_alive(pid) ? 0 : -ENOENT;
		}
	}
	return -ENOENT;
}

static void procfs_dirent(struct vfs_dirent *de, ino_t ino, uint8_t type,
			  const char *name)
{
	de->ino = ino;
	de->type = type;
	de->namelen = (uint16_t)strlcpy(de->name, name, sizeof(de->name));
}

static int procfs_readdir_root(off_t *pos, struct vfs_dirent *de)
{
	if (*pos < PROCFS_SELF_POS) {
		const struct procfs_entry *e = &procfs_files[*pos - PROCFS_DOTS];
		procfs_dirent(de, PROCFS_FILE_INO + *pos - PROCFS_DOTS, DT_REG, e->name);
	} else if (*pos == PROCFS_SELF_POS) {
		/* A link in Linux: its own number, so "../" walks name the pid. */
		procfs_dirent(de, PROCFS_SELF_INO, DT_LNK, "self");
	} else if (*pos == PROCFS_SYS_POS) {
		procfs_dirent(de, PROCFS_SYS_INO, DT_DIR, "sys");
	} else {
		char name[16];
		if (*pos - PROCFS_PIDS_POS >= PROCFS_PID_MAX)
			return 0;       /* no pid is larger: the end */
		pid_t pid = proc_next_pid((pid_t)(*pos - PROCFS_PIDS_POS));
		if (pid < 0)
			return 0;
		snprintf(name, sizeof(name), "%d", pid);
		procfs_dirent(de, procfs_pid_ino(pid, 0), DT_DIR, name);
		*pos = PROCFS_PIDS_POS + pid;
		return 1;
	}
	(*pos)++;
	return 1;
}

/* The entries after the dots of /proc/sys ("vm") or /proc/sys/vm. */
static int procfs_readdir_sys(ino_t dir, off_t *pos, struct vfs_dirent *de)
{
	off_t i = *pos - PROCFS_DOTS;
	if (dir == PROCFS_SYS_INO) {
		if (i != 0)
			return 0;
		procfs_dirent(de, PROCFS_SYSVM_INO, DT_DIR, "vm");
	} else {
		if (i >= PROCFS_NSYSCTLS)
			return 0;
		procfs_dirent(de, PROCFS_SYSCTL_INO + (ino_t)i, DT_REG,
			      procfs_sysctls[i].name);
	}
	(*pos)++;
	return 1;
}

static int procfs_readdir(struct vnode *dir, off_t *pos, struct vfs_dirent *de)
{
	pid_t pid;
	int index;
	procfs_decode(dir->ino, &pid, &index);
	if (*pos < 0)
		return 0;
	if (*pos < PROCFS_DOTS) {
		ino_t up = dir->ino == PROCFS_SYSVM_INO ? PROCFS_SYS_INO :
			   PROCFS_ROOT_INO;
		procfs_dirent(de, *pos == 0 ? dir->ino : up, DT_DIR,
			      *pos == 0 ? "." : "..");
		(*pos)++;
		return 1;
	}
	if (procfs_sys_dir(dir->ino))
		return procfs_readdir_sys(dir->ino, pos, de);
	if (pid == 0)
		return procfs_readdir_root(pos, de);
	/* Compare in off_t: a position past 2^31 must not wrap to an index. */
	if (*pos - PROCFS_DOTS >= (off_t)ARRAY_SIZE(procfs_pid_files))
		return 0;
	int i = (int)(*pos - PROCFS_DOTS);
	procfs_dirent(de, procfs_pid_ino(pid, i + 1), DT_REG, procfs_pid_files[i].name);
	(*pos)++;
	return 1;
}

static int procfs_stat(struct vnode *vn, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = vn->mnt->dev;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = vn->nlink;
	st->st_blksize = BLK_SIZE_PROCFS;
	return 0;
}

/* Make the text of file vn into a new sbuf. */
static int procfs_generate(struct vnode *vn, struct sbuf **out)
{
	pid_t pid = 0;
	const struct procfs_sysctl *sc = procfs_sysctl_of(vn->ino);
	const struct procfs_entry *e = sc ? NULL : procfs_entry_of(vn, &pid);
	struct sbuf *sb = kmalloc(sizeof(*sb));
	int err;
	if (sb == NULL)
		return -ENOMEM;
	sbuf_init(sb);
	if (sc != NULL) {
		sbuf_printf(sb, "%d\n", __atomic_load_n(sc->var, __ATOMIC_RELAXED));
		err = 0;
	} else {
		err = e->gen(pid, sb);
	}
	if (err == 0)
		err = sbuf_error(sb);
	if (err < 0) {
		sbuf_free(sb);
		kfree(sb);
		return err;
	}
	*out = sb;
	return 0;
}

/* Copy the part of sb at uio->offset into the uio. */
static ssize_t procfs_copy(struct sbuf *sb, struct uio *uio)
{
	if (uio->offset < 0)
		return -EINVAL;
	if ((uint64_t)uio->offset >= sb->len)
		return 0;
	size_t n = MIN(uio->resid, sb->len - (size_t)uio->offset);
	int err = uio_move(sb->buf + uio->offset, n, uio, true);
	return err < 0 ? err : (ssize_t)n;
}

/* A kernel read without an open file (vfs_read_kernel): generate, copy. */
static ssize_t procfs_read(struct vnode *vn, struct uio *uio)
{
	struct sbuf *sb;
	int err = procfs_generate(vn, &sb);
	if (err < 0)
		return err;
	ssize_t n = procfs_copy(sb, uio);
	sbuf_free(sb);
	kfree(sb);
	return n;
}

static int procfs_open(struct vnode *vn, int flags, struct file **out)
{
	struct sbuf *sb = NULL;
	if ((flags & O_ACCMODE) != O_RDONLY && procfs_sysctl_of(vn->ino) == NULL)
		return vn->type == VDIR ? -EISDIR : -EACCES;
	if (vn->type == VREG) {
		int err = procfs_generate(vn, &sb);
		if (err < 0)
			return err;
	}
	struct file *f = file_alloc(vn->type == VDIR ? &vnode_fops : &procfs_fops,
				    flags & (O_ACCMODE | O_NONBLOCK | O_DIRECTORY));
	if (f == NULL) {
		if (sb != NULL) {
			sbuf_free(sb);
			kfree(sb);
		}
		return -ENOMEM;
	}
	vnode_ref(vn);
	f->vnode = vn;
	f->priv = sb;
	*out = f;
	return 0;
}

static ssize_t procfs_file_read(struct file *f, struct uio *uio)
{
	return procfs_copy(f->priv, uio);
}

/* A write to a sysctl: one decimal in [min, max], optionally followed by
 * white space (echo's newline). -EINVAL for anything else; -EACCES for
 * other files (never opened for writing). */
static ssize_t procfs_file_write(struct file *f, struct uio *uio)
{
	const struct procfs_sysctl *sc = procfs_sysctl_of(f->vnode->ino);
	char buf[PROCFS_SYSCTL_MAX + 1];
	size_t n = uio->resid, i = 0;
	int64_t v = 0;
	int err;
	if (sc == NULL)
		return -EACCES;
	if (n == 0 || n > PROCFS_SYSCTL_MAX)
		return -EINVAL;
	err = uio_move(buf, n, uio, false);
	if (err < 0)
		return err;
	buf[n] = '\0';
	for (; buf[i] >= '0' && buf[i] <= '9' && v <= INT32_MAX; i++)
		v = v * 10 + (buf[i] - '0');
	if (i == 0 || v < sc->min || v > sc->max)
		return -EINVAL;
	for (; i < n; i++)
		if (buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t')
			return -EINVAL;
	__atomic_store_n(sc->var, (int)v, __ATOMIC_RELAXED);
	if (sc->written != NULL)
		sc->written((int)v);
	return (ssize_t)n;
}

/* O_TRUNC on a sysctl (echo N > file): nothing to cut. */
static int procfs_truncate(struct vnode *vn, uint64_t size __unused)
{
	return procfs_sysctl_of(vn->ino) != NULL ? 0 : -EINVAL;
}

static int procfs_file_stat(struct file *f, struct stat *st)
{
	return vfs_stat(f->vnode, st);
}

static void procfs_file_close(struct file *f)
{
	struct sbuf *sb = f->priv;
	sbuf_free(sb);
	kfree(sb);
	vnode_put(f->vnode);
}

static const struct file_ops procfs_fops = {
	.read = procfs_file_read,
	.write = procfs_file_write,
	.stat = procfs_file_stat,
	.close = procfs_file_close,
};

static const struct vnode_ops procfs_vnode_ops = {
	.lookup = procfs_lookup,
	.read = procfs_read,
	.readdir = procfs_readdir,
	.stat = procfs_stat,
	.open = procfs_open,
	.truncate = procfs_truncate,
};

static const struct mount_ops procfs_mount_ops = {
	.vget = procfs_vget,
};

int procfs_mount(const char *path)
{
	return vfs_mount(path, "proc", PROCFS_DEV, PROCFS_ROOT_INO, &procfs_mount_ops, NULL);
}
