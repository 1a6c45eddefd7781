/*
 * mremap suite (issue 7 must-show 2: malloc grows a large block by moving
 * its pages, not by copying them): mremap (216) shrinking in place,
 * growing in place, moving with MREMAP_FIXED (data follows, the old range
 * is gone, the target's mapping is replaced, Committed_AS changed only by
 * the target pages replaced),
 * moving after fork (the shared amap), and the EINVAL/EFAULT/ENOMEM cases
 * of Linux. Raw system calls, so the Linux errno values are checked.
 * A page is "unmapped" when write(2) from it into a pipe gives EFAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "meminfo.h"

#define PAGE 4096L
#define LX_MREMAP_MAYMOVE   1
#define LX_MREMAP_FIXED     2
#define LX_MREMAP_DONTUNMAP 4

static int pipefd[2];

static long sys_mremap(void *old, long old_len, long new_len, long flags,
		       void *to)
{
	return tap_sys6(SYS_mremap, (long)old, old_len, new_len, flags,
			(long)to, 0);
}

static char *map(long pages)
{
	char *p = mmap(NULL, (size_t)(pages * PAGE), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Write a word derived from (seed, page) at the start and end of each page. */
static void fill(char *p, long pages, long seed)
{
	for (long i = 0; i < pages; i++) {
		*(long *)(p + i * PAGE) = seed * 1000 + i;
		*(long *)(p + i * PAGE + PAGE - sizeof(long)) = -(seed * 1000 + i);
	}
}

/* Pages of [p, p + pages) that do not hold fill(seed)'s words. */
static long bad_pages(const char *p, long pages, long seed)
{
	long bad = 0;

	for (long i = 0; i < pages; i++)
		bad += *(const long *)(p + i * PAGE) != seed * 1000 + i ||
		       *(const long *)(p + i * PAGE + PAGE - sizeof(long)) !=
		       -(seed * 1000 + i);
	return bad;
}

/* Whether the page at p is mapped: write(2) of its first byte into the
 * pipe succeeds (and is drained), or fails with EFAULT. */
static int mapped(const void *p)
{
	char c;
	long r = tap_sys(SYS_write, pipefd[1], p, 1);

	if (r == 1)
		(void)!read(pipefd[0], &c, 1);
	return r == 1;
}

static long committed(void)
{
	struct meminfo m;

	if (meminfo_read(&m) != 0)
		return -1;
	return meminfo_field(meminfo_text, "Committed_AS", 1);
}

/* mremap_shrink: the tail goes, the head stays in place. */
static void mremap_shrink(void)
{
	char *p = map(4);
	long r;

	if (p == NULL) {
		tap_ok(0, "shrink: mmap");
		return;
	}
	fill(p, 4, 1);
	r = sys_mremap(p, 4 * PAGE, 2 * PAGE, 0, NULL);
	tap_is(r, (long)p, "shrink 4 -> 2 pages returns the old address");
	tap_ok(bad_pages(p, 2, 1) == 0 && !mapped(p + 2 * PAGE) &&
	       !mapped(p + 3 * PAGE), "shrink: head intact, tail unmapped");
	r = sys_mremap(p, 2 * PAGE, PAGE + 1, 0, NULL);
	tap_ok(r == (long)p && mapped(p + PAGE), "lengths round up to pages: "
	       "2 pages -> PAGE + 1 bytes changes nothing (%ld)", r);
	munmap(p, 2 * PAGE);
}

/* mremap_move_fixed: pages move to new_addr replacing its mapping, the
 * old range is unmapped, Committed_AS is unchanged. */
static void mremap_move_fixed(void)
{
	char *src = map(4), *dst = map(6);
	long before, after, r;

	if (src == NULL || dst == NULL) {
		tap_ok(0, "move: mmap");
		return;
	}
	fill(src, 4, 2);
	fill(dst, 6, 3);
	before = committed();
	r = sys_mremap(src, 4 * PAGE, 4 * PAGE,
		       LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED, dst + PAGE);
	after = committed();
	tap_is(r, (long)(dst + PAGE), "move with MREMAP_FIXED returns new_addr");
	tap_is(bad_pages(dst + PAGE, 4, 2), 0,
	       "move: the 4 pages' data is at the new address");
	tap_ok(bad_pages(dst, 1, 3) == 0 &&
	       *(long *)(dst + 5 * PAGE) == 3 * 1000 + 5,
	       "move: the target's neighbours keep their data");
	tap_ok(!mapped(src) && !mapped(src + 3 * PAGE),
	       "move: the old range is unmapped (EFAULT)");
	/* The moved pages stay counted once; the 4 target pages they
	 * replaced leave the count. */
	tap_is(after - before, -4, "move: Committed_AS falls by exactly the "
	       "4 replaced target pages (pages)");
	/* The moved pages are writable and private as before. */
	dst[PAGE] = 7;
	tap_is(dst[PAGE], 7, "move: a moved page takes stores");
	munmap(dst, 6 * PAGE);
}

/* mremap_move_part: pages 2..4 of an 8-page mapping move out; both
 * remaining pieces keep their data, the hole is unmapped. */
static void mremap_move_part(void)
{
	char *p = map(8), *to = map(3);
	long r;

	if (p == NULL || to == NULL) {
		tap_ok(0, "move part: mmap");
		return;
	}
	fill(p, 8, 4);
	r = sys_mremap(p + 2 * PAGE, 3 * PAGE, 3 * PAGE,
		       LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED, to);
	tap_is(r, (long)to, "move of pages 2-4 of a mapping");
	tap_ok(bad_pages(p, 2, 4) == 0 &&
	       *(long *)(p + 5 * PAGE) == 4 * 1000 + 5 &&
	       *(long *)(p + 7 * PAGE) == 4 * 1000 + 7 &&
	       *(long *)to == 4 * 1000 + 2 && *(long *)(to + 2 * PAGE) == 4 * 1000 + 4,
	       "move part: both pieces and the moved pages keep their data");
	tap_ok(!mapped(p + 2 * PAGE) && !mapped(p + 4 * PAGE),
	       "move part: the hole is unmapped");
	munmap(p, 8 * PAGE);
	munmap(to, 3 * PAGE);
}

/* mremap_grow: in place when the pages after are free (commit grows by
 * the new pages); ENOMEM without MAYMOVE when they are not, a move with
 * it. */
static void mremap_grow(void)
{
	char *p = map(4), *q;
	long before, r;

	if (p == NULL) {
		tap_ok(0, "grow: mmap");
		return;
	}
	fill(p, 2, 5);
	munmap(p + 2 * PAGE, 2 * PAGE);
	before = committed();
	r = sys_mremap(p, 2 * PAGE, 4 * PAGE, 0, NULL);
	tap_is(r, (long)p, "grow in place into free pages");
	tap_is(committed() - before, 2, "grow: Committed_AS + 2 pages");
	tap_ok(bad_pages(p, 2, 5) == 0 && p[3 * PAGE] == 0 &&
	       (p[3 * PAGE] = 1) == 1, "grow: data kept, new pages zero and writable");

	/* A read-only piece after the first two pages: no room in place. */
	mprotect(p + 2 * PAGE, 2 * PAGE, PROT_READ);
	r = sys_mremap(p, 2 * PAGE, 3 * PAGE, 0, NULL);
	tap_is(r, -LX_ENOMEM, "grow without room and without MAYMOVE: ENOMEM");
	r = sys_mremap(p, 4 * PAGE, 5 * PAGE, LX_MREMAP_MAYMOVE, NULL);
	tap_is(r, -LX_EFAULT, "old range across two mappings: EFAULT");
	q = (char *)sys_mremap(p, 2 * PAGE, 3 * PAGE, LX_MREMAP_MAYMOVE, NULL);
	tap_ok((long)q > 0 && q != p && bad_pages(q, 2, 5) == 0 &&
	       q[2 * PAGE] == 0 && !mapped(p) && mapped(p + 2 * PAGE),
	       "grow with MAYMOVE moves: data kept, old range unmapped, the "
	       "read-only piece stays");
	if ((long)q > 0)
		munmap(q, 3 * PAGE);
	munmap(p, 4 * PAGE);
}

/* mremap_fork_shared_amap: after fork the pages are shared copy-on-write;
 * the child moves and writes its copy, the parent's stays as it was, and
 * the parent can move its own afterwards. */
static void mremap_fork_shared_amap(void)
{
	char *p = map(4), *to = map(4);
	int status = -1;
	pid_t pid;

	if (p == NULL || to == NULL) {
		tap_ok(0, "fork: mmap");
		return;
	}
	fill(p, 4, 6);
	pid = fork();
	if (pid == 0) {
		long r = sys_mremap(p, 4 * PAGE, 4 * PAGE,
				    LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED, to);
		int ok = r == (long)to && bad_pages(to, 4, 6) == 0 && !mapped(p);

		fill(to, 4, 7);
		_exit(ok && bad_pages(to, 4, 7) == 0 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "fork: the child moves its copy-on-write pages and writes them");
	tap_ok(bad_pages(p, 4, 6) == 0 && mapped(to) && *(long *)to == 0,
	       "fork: the parent's pages and target are untouched");
	tap_is(sys_mremap(p, 4 * PAGE, 4 * PAGE,
			  LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED, to), (long)to,
	       "fork: the parent moves its pages too");
	tap_is(bad_pages(to, 4, 6), 0, "fork: the parent's moved data");
	munmap(to, 4 * PAGE);
}

/* mremap_einval: Linux's argument errors. */
static void mremap_einval(void)
{
	char *p = map(4), *to = map(2);

	if (p == NULL || to == NULL) {
		tap_ok(0, "einval: mmap");
		return;
	}
	tap_is(sys_mremap(p + 1, PAGE, PAGE, 0, NULL), -LX_EINVAL,
	       "unaligned old_address: EINVAL");
	tap_is(sys_mremap(p, PAGE, 0, 0, NULL), -LX_EINVAL, "new_len 0: EINVAL");
	tap_is(sys_mremap(p, PAGE, PAGE, LX_MREMAP_FIXED, to), -LX_EINVAL,
	       "MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL");
	tap_is(sys_mremap(p, PAGE, PAGE, LX_MREMAP_MAYMOVE | LX_MREMAP_DONTUNMAP,
			  to), -LX_EINVAL, "MREMAP_DONTUNMAP (not supported): EINVAL");
	tap_is(sys_mremap(p, PAGE, PAGE, 8, NULL), -LX_EINVAL,
	       "unknown flag: EINVAL");
	tap_is(sys_mremap(p, 2 * PAGE, 2 * PAGE,
			  LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED, p + PAGE),
	       -LX_EINVAL, "overlapping old and new ranges: EINVAL");
	tap_is(sys_mremap(p, PAGE, PAGE, LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED,
			  to + 1), -LX_EINVAL, "unaligned new_address: EINVAL");
	tap_is(sys_mremap(TAP_UNMAPPED_ADDR, PAGE, 2 * PAGE, LX_MREMAP_MAYMOVE,
			  NULL), -LX_EFAULT, "unmapped old range: EFAULT");
	tap_is(sys_mremap(p, 5 * PAGE, 6 * PAGE, LX_MREMAP_MAYMOVE, NULL),
	       -LX_EFAULT, "old range past its mapping: EFAULT");
	tap_ok(mapped(p) && mapped(to), "the failed calls changed nothing");
	munmap(p, 4 * PAGE);
	munmap(to, 2 * PAGE);
}

/* mremap_wrapper: libc's mremap with its variadic new_address. */
static void mremap_wrapper(void)
{
	char *p = map(2), *to = map(2), *r;

	if (p == NULL || to == NULL) {
		tap_ok(0, "wrapper: mmap");
		return;
	}
	fill(p, 2, 8);
	r = mremap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	tap_ok(r == to && bad_pages(to, 2, 8) == 0, "libc mremap moves");
	errno = 0;
	tap_errno((long)mremap(p, PAGE, PAGE, MREMAP_FIXED, to) == (long)MAP_FAILED ?
		  -1 : 0, EINVAL, "libc mremap: MAP_FAILED and errno EINVAL");
	munmap(to, 2 * PAGE);
}

int main(void)
{
	if (pipe(pipefd) != 0) {
		tap_plan(1);
		tap_ok(0, "pipe");
		return tap_done();
	}
	tap_plan(3 + 6 + 3 + 6 + 4 + 10 + 2);
	mremap_shrink();
	mremap_move_fixed();
	mremap_move_part();
	mremap_grow();
	mremap_fork_shared_amap();
	mremap_einval();
	mremap_wrapper();
	return tap_done();
}
