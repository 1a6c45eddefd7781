/*
 * execshare: 8 processes running one program share its text. Starts 8
 * copies of /tests/spin_target (512 KiB of read-only data in its text,
 * 64 KiB of written .data), and checks with free-memory accounting that
 * each further copy costs far less than its text, and with
 * /proc/<pid>/maps and /proc/<pid>/smaps that the text VMA of every copy
 * is resident and shared while the written .data is private, that the
 * later copies add no memory object of their own, and that the program's
 * pages are read from disk at most once (the pager's page-in count).
 */
#include "spin_target.h"
#include "vmcounters.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PLAN            16
#define PAGE            4096L
#define KIB             1024L
#define COPIES          8
#define TARGET          "spin_target"
#define START_SECONDS   60              /* for all copies to report */
#define POLL_NS         10000000L       /* 10 ms */
#define SMAPS_BUF       65536
#define PATH_LEN        160
#define EXIT_NOEXEC     127
/*
 * Slab pages of moved objects at the end (vmc_pages_back): objects this
 * process or the shell made while the 8 copies filled a cache's slabs
 * (pv entries of a page it touched, say) sit in a late slab, which stays
 * when the copies' objects go, while as many older objects left earlier
 * slabs that stay partly used. The copies allocate from 8 caches (pmap,
 * mspace, vma, amap, anon, pv_entry, file, vm_object): at most one late
 * page each. Measured: 0 to 3 pages in 15 runs (pv_entry, vma).
 */
#define MOVED_SLAB_PAGES 8

static const long blob_pages = SPIN_BLOB_BYTES / PAGE;
static char target[PATH_LEN];
static pid_t pids[COPIES];
static struct spin_report reports[COPIES];
static int nreports;
static int ready[2], go[2];

/* ---------------------------------------------------------- smaps reading */

struct vma_info {
	unsigned long start, end;
	char perms[8];
	long rss_kb, shared_kb, private_kb;     /* -1: not reported */
};

static char smaps_text[SMAPS_BUF];

/* A "Key: N kB" line's value if the line's key is key, else -1. */
static long smaps_value(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0 || line[n] != ':')
		return -1;
	return strtol(line + n + 1, NULL, 10);
}

static void add_kb(long *sum, long v)
{
	if (v >= 0)
		*sum = (*sum < 0 ? 0 : *sum) + v;
}

/* Fold one detail line of a VMA into v: "Shared:" (Pagoda) or the Linux
 * pair Shared_Clean + Shared_Dirty; likewise Private. */
static void smaps_detail(struct vma_info *v, const char *line)
{
	long x;

	if ((x = smaps_value(line, "Rss")) >= 0)
		v->rss_kb = x;
	if ((x = smaps_value(line, "Shared")) >= 0)
		v->shared_kb = x;
	add_kb(&v->shared_kb, smaps_value(line, "Shared_Clean"));
	add_kb(&v->shared_kb, smaps_value(line, "Shared_Dirty"));
	if ((x = smaps_value(line, "Private")) >= 0)
		v->private_kb = x;
	add_kb(&v->private_kb, smaps_value(line, "Private_Clean"));
	add_kb(&v->private_kb, smaps_value(line, "Private_Dirty"));
}

/* The VMA of pid holding addr from /proc/pid/<file> (maps or smaps).
 * Returns 1 if found, 0 if no VMA holds addr, -1 if the file is missing. */
static int vma_lookup(pid_t pid, const char *file, unsigned long addr, struct vma_info *v)
{
	char path[PATH_LEN];
	int in_vma = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (vmc_slurp(path, smaps_text, SMAPS_BUF) <= 0)
		return -1;
	for (char *line = smaps_text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned long s, e;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3) {
			if (in_vma)
				return 1;
			in_vma = addr >= s && addr < e;
			if (in_vma) {
				v->start = s;
				v->end = e;
				memcpy(v->perms, perms, sizeof(perms));
				v->rss_kb = v->shared_kb = v->private_kb = -1;
			}
		} else if (in_vma) {
			smaps_detail(v, line);
		}
	}
	return in_vma;
}

/* ------------------------------------------------------- starting copies */

static void find_target(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	int dirlen = slash ? (int)(slash - argv0) : 0;

	if (slash)
		snprintf(target, sizeof(target), "%.*s/%s", dirlen, argv0, TARGET);
	else
		snprintf(target, sizeof(target), "/tests/%s", TARGET);
}

static pid_t start_copy(void)
{
	char rfd[16], gfd[16];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	close(ready[0]);
	close(go[1]);
	snprintf(rfd, sizeof(rfd), "%d", ready[1]);
	snprintf(gfd, sizeof(gfd), "%d", go[0]);
	char *argv[] = { target, rfd, gfd, NULL };
	char *envp[] = { NULL };
	execve(target, argv, envp);
	_exit(EXIT_NOEXEC);
}

/* Collect reports until `want` arrived; gives up when a started copy
 * died or after START_SECONDS. Returns the number of reports. */
static int await_reports(int want, int started)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (nreports < want) {
		long n = read(ready[0], &reports[nreports], sizeof(reports[0]));
		if (n == (long)sizeof(reports[0])) {
			nreports++;
			continue;
		}
		for (int i = 0; i < started; i++) {
			int status;
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				tap_diag("copy %d (pid %d) ended before reporting: status %#x", i,
					 (int)pids[i], status);
				pids[i] = -1;
				return nreports;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > START_SECONDS)
			return nreports;
		vmc_nap(POLL_NS);
	}
	return nreports;
}

/* ---------------------------------------------------------------- checks */

static void check_maps(void)
{
	struct vma_info v, first = { 0 };
	int same = 1, found = 0, sums = 0;

	for (int i = 0; i < nreports; i++) {
		int r = vma_lookup(reports[i].pid, "maps", reports[i].blob, &v);
		if (r != 1)
			continue;
		found++;
		if (found == 1)
			first = v;
		int ok = v.start == first.start && v.end == first.end && strcmp(v.perms, "r-xp") == 0 &&
			 v.start <= reports[i].blob && v.end >= reports[i].blob_end;
		if (!ok && same)
			tap_diag("  copy %d: %lx-%lx %s, data at %lx-%lx", i, v.start, v.end, v.perms,
				 reports[i].blob, reports[i].blob_end);
		same &= ok;
		sums += reports[i].sum == 1;
	}
	tap_is(sums, COPIES, "every copy read its read-only data");
	if (!tap_ok(found == COPIES && same, "/proc/<pid>/maps: each copy's data lies in one r-xp text VMA, "
		    "the same in all"))
		tap_diag("  %d of %d found%s", found, COPIES, same ? "" : "; they differ");
}

static void check_smaps(void)
{
	struct vma_info v;
	int missing = 0, rss = 0, shared = 0, priv = 0;
	long blob_kb = SPIN_BLOB_BYTES / KIB, data_kb = SPIN_DATA_BYTES / KIB;

	for (int i = 0; i < nreports; i++) {
		if (vma_lookup(reports[i].pid, "smaps", reports[i].blob, &v) != 1) {
			missing++;
			continue;
		}
		rss += v.rss_kb >= blob_kb;
		shared += v.shared_kb >= blob_kb;
		if (i == 0)
			tap_diag("text VMA %lx-%lx: Rss %ld kB, Shared %ld kB, Private %ld kB",
				 v.start, v.end, v.rss_kb, v.shared_kb, v.private_kb);
		if (vma_lookup(reports[i].pid, "smaps", reports[i].data, &v) == 1)
			priv += v.private_kb >= data_kb;
	}
	if (missing)
		tap_diag("no /proc/<pid>/smaps entry for %d copies", missing);
	tap_is(rss, COPIES, "smaps: each copy's text VMA has its 512 KiB resident (Rss)");
	tap_is(shared, COPIES, "smaps: and reports it Shared");
	tap_is(priv, COPIES, "smaps: each copy's written .data is Private");
}

static void check_cost(long base, long one, long all)
{
	long extra = (one - all) / (COPIES - 1);

	tap_ok(base >= 0 && one >= 0 && all >= 0, "free pages are reported");
	if (!tap_ok(extra < blob_pages / 2, "each further copy costs less than half of its text"))
		tap_diag("  %ld pages per copy; text %ld pages", extra, blob_pages);
	if (!tap_ok(base - all < COPIES * blob_pages, "8 copies take less memory than 8 copies of the text"))
		tap_diag("  %ld pages for 8 copies; 8 x text is %ld pages", base - all, COPIES * blob_pages);
	tap_diag("free pages: %ld before, %ld with one copy, %ld with eight", base, one, all);
}

/* The later copies map the program's memory object; they make none. */
static void check_objects(const struct vmc *one, const struct vmc *all)
{
	if (one->v[VMC_OBJECTS] < 0 || all->v[VMC_OBJECTS] < 0) {
		tap_ok(0, "the 7 later copies add no memory object (they share the program's)");
		vmc_missing(VMC_OBJECTS);
	} else if (!tap_ok(all->v[VMC_OBJECTS] == one->v[VMC_OBJECTS],
			   "the 7 later copies add no memory object (they share the program's)")) {
		tap_diag("  objects with one copy %ld, with eight %ld", one->v[VMC_OBJECTS],
			 all->v[VMC_OBJECTS]);
	}
}

/* The 8 starts read the program from disk at most once: the page-in
 * count grows by no more than its size in pages (none if it is cached).
 * Exactly: every page read in is still cached while the copies run, and
 * nothing else is read (this program's text was paged in before). */
static void check_pageins(const struct vmc *start, const struct vmc *all, long file_pages)
{
	long grown = all->v[VMC_PAGEINS] - start->v[VMC_PAGEINS];

	if (start->v[VMC_PAGEINS] < 0 || all->v[VMC_PAGEINS] < 0) {
		tap_ok(0, "8 starts read the program's pages from disk at most once");
		vmc_missing(VMC_PAGEINS);
	} else {
		long cached = all->v[VMC_OBJECT_PAGES] - start->v[VMC_OBJECT_PAGES];
		if (!tap_ok(grown <= file_pages && grown == cached,
			    "8 starts read the program's pages from disk at most once"))
			tap_diag("  %ld pages read in, %ld more pages cached", grown, cached);
		tap_diag("pages read in for 8 starts: %ld; the program has %ld", grown, file_pages);
	}
}

int main(int argc, char **argv)
{
	struct vmc start, one, all, end;
	struct stat st;
	int exited = 0;

	(void)argc;
	memset(smaps_text, 0, sizeof(smaps_text));     /* its pages exist before the first reading */
	vmc_touch_self();
	tap_plan(PLAN);
	find_target(argv[0]);
	tap_ok(stat(target, &st) == 0 && st.st_size > SPIN_BLOB_BYTES, "%s exists and holds its data", target);
	long file_pages = (st.st_size + PAGE - 1) / PAGE;
	vmc_quiet(&start);              /* before the pipes: all four ends are closed at the end */
	int pipes = tap_sys(SYS_pipe2, ready, O_NONBLOCK, 0) == 0 && pipe(go) == 0;
	tap_ok(pipes, "make the pipes");
	pids[0] = start_copy();
	await_reports(1, 1);
	vmc_read(&one);
	for (int i = 1; i < COPIES; i++)
		pids[i] = start_copy();
	await_reports(COPIES, COPIES);
	vmc_read(&all);
	tap_is(nreports, COPIES, "8 copies started and reported");
	check_cost(start.v[VMC_FREE], one.v[VMC_FREE], all.v[VMC_FREE]);
	check_objects(&one, &all);
	check_pageins(&start, &all, file_pages);
	check_maps();
	check_smaps();
	close(go[1]);                   /* EOF: every copy exits */
	close(ready[1]);
	close(go[0]);
	close(ready[0]);
	for (int i = 0; i < COPIES; i++) {
		int status;
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			exited++;
	}
	tap_is(exited, COPIES, "all 8 copies exit 0");
	/* Exact: the program's page cache goes with its memory object,
	 * which its last mapping held (the object count is checked too),
	 * and every slab object is freed; only slab pages of moved objects
	 * may stay (MOVED_SLAB_PAGES). */
	vmc_pages_back(&start, 0, MOVED_SLAB_PAGES, &end,
		       "their memory is free again, the program's page cache too");
	vmc_is_back(&start, &end, VMC_ANONS, 0, "and their anons");
	return tap_done();
}
