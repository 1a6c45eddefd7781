/*
 * smp: many processes at once, so that several harts fork, fault, sleep
 * and wake up together: 8 workers x 50 fork/touch/exit rounds with
 * copy-on-write checks, an atomic counter in shared memory, pipe ping-pong
 * pairs, mmap/munmap churn, parallel file creation in one directory, and
 * a TLB shootdown seen by a process running on another hart.
 */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PLAN            16
#define NWORKERS        8
#define NROUNDS         50
#define PAGE            4096L
#define WORK_PAGES      16
#define COUNTER_ADDS    10000
#define NPAIRS          4
#define PINGS           1000
#define CHURN_LOOPS     200
#define CHURN_PAGES     8
#define FILES_PER_WORKER 50
#define NFILE_WORKERS   4
#define DENT_BUF        1024
#define FENCE_ROUNDS    20

struct slot {                   /* one worker's results, in shared memory */
	long rounds;            /* rounds completed */
	long codes_ok;          /* child exit codes as expected */
	long snap_ok;           /* child saw the worker's data at fork time */
	long intact_ok;         /* worker's data unchanged by the child */
};

struct shared {
	struct slot slot[NWORKERS];
	long counter;
	int reader_up;          /* fence test: the reader has read the page */
	int truncated;          /* fence test: ftruncate has returned */
};

static struct shared *sh;

static unsigned char expect_byte(int w, int r, long i)
{
	return (unsigned char)(w * 37 + r * 11 + i / PAGE + i);
}

/* Child of a worker: check the snapshot, dirty every page, fault in
 * fresh memory, exit with a code the worker can check. */
static void round_child(unsigned char *buf, int w, int r)
{
	int snap = 1;

	for (long i = 0; i < WORK_PAGES * PAGE; i += 97)
		snap &= buf[i] == expect_byte(w, r, i);
	for (long i = 0; i < WORK_PAGES * PAGE; i += PAGE)
		buf[i] ^= 0xff;
	unsigned char *fresh = mmap(NULL, WORK_PAGES * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED)
		_exit(0xfe);
	for (long i = 0; i < WORK_PAGES * PAGE; i += PAGE)
		snap &= fresh[i] == 0 && (fresh[i] = 1);
	_exit(snap ? (w * NROUNDS + r) & 0x7f : 0xff);
}

static void worker(int w)
{
	unsigned char *buf = mmap(NULL, WORK_PAGES * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct slot *s = &sh->slot[w];
	int status;

	if (buf == MAP_FAILED)
		_exit(1);
	for (int r = 0; r < NROUNDS; r++) {
		for (long i = 0; i < WORK_PAGES * PAGE; i++)
			buf[i] = expect_byte(w, r, i);
		pid_t pid = fork();
		if (pid == 0)
			round_child(buf, w, r);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			continue;
		s->rounds++;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0xff)
			s->snap_ok++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == ((w * NROUNDS + r) & 0x7f))
			s->codes_ok++;
		int intact = 1;
		for (long i = 0; i < WORK_PAGES * PAGE; i += 89)
			intact &= buf[i] == expect_byte(w, r, i);
		s->intact_ok += intact;
		for (int k = 0; k < COUNTER_ADDS / NROUNDS; k++)
			__atomic_fetch_add(&sh->counter, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

/* Start n children running fn(i); return how many exited 0. */
static int run_all(int n, void (*fn)(int))
{
	pid_t pids[NWORKERS * 2];
	int status, good = 0;

	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			fn(i);
	}
	for (int i = 0; i < n; i++)
		if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	return good;
}

static void test_fork_rounds(void)
{
	long rounds = 0, codes = 0, snaps = 0, intact = 0;

	tap_is(run_all(NWORKERS, worker), NWORKERS, "8 workers ran 50 fork rounds each and exited 0");
	for (int w = 0; w < NWORKERS; w++) {
		rounds += sh->slot[w].rounds;
		codes += sh->slot[w].codes_ok;
		snaps += sh->slot[w].snap_ok;
		intact += sh->slot[w].intact_ok;
	}
	tap_is(rounds, NWORKERS * NROUNDS, "400 children forked and reaped");
	tap_is(snaps, NWORKERS * NROUNDS, "every child saw its parent's data and zeroed fresh memory");
	tap_is(codes, NWORKERS * NROUNDS, "every child's exit code arrived intact");
	tap_is(intact, NWORKERS * NROUNDS, "no child's write reached its parent (copy-on-write)");
	tap_is(sh->counter, NWORKERS * COUNTER_ADDS, "an atomic counter in shared memory adds up");
}

static int pair_fds[NPAIRS][2][2];     /* [pair][direction][end] */

/* Even: pinger of pair i/2; odd: ponger. */
static void ping_pong(int i)
{
	int pair = i / 2, ping = i % 2 == 0;
	int in = pair_fds[pair][ping ? 1 : 0][0], out = pair_fds[pair][ping ? 0 : 1][1];
	unsigned int v = 0, got;

	for (int k = 0; k < PINGS; k++) {
		if (ping) {
			v = k * 2654435761u;
			if (write(out, &v, sizeof(v)) != sizeof(v) ||
			    read(in, &got, sizeof(got)) != sizeof(got) || got != v + 1)
				_exit(1);
		} else {
			if (read(in, &got, sizeof(got)) != sizeof(got))
				_exit(1);
			got++;
			if (write(out, &got, sizeof(got)) != sizeof(got))
				_exit(1);
		}
	}
	_exit(0);
}

static void test_ping_pong(void)
{
	int made = 0;

	for (int p = 0; p < NPAIRS; p++)
		made += pipe(pair_fds[p][0]) == 0 && pipe(pair_fds[p][1]) == 0;
	tap_is(made, NPAIRS, "made 4 pairs of pipes");
	tap_is(run_all(2 * NPAIRS, ping_pong), 2 * NPAIRS,
	       "4 ping-pong pairs exchanged 1000 messages each, in order");
	for (int p = 0; p < NPAIRS; p++)
		for (int d = 0; d < 2; d++) {
			close(pair_fds[p][d][0]);
			close(pair_fds[p][d][1]);
		}
}

static void churn(int w)
{
	for (int k = 0; k < CHURN_LOOPS; k++) {
		unsigned char *p = mmap(NULL, CHURN_PAGES * PAGE, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		for (long i = 0; i < CHURN_PAGES * PAGE; i += PAGE) {
			if (p[i] != 0)
				_exit(2);
			p[i] = (unsigned char)(w + k);
		}
		if (munmap(p, CHURN_PAGES * PAGE) != 0)
			_exit(3);
	}
	_exit(0);
}

static char dir[64];

static void make_files(int w)
{
	char path[128];

	for (int k = 0; k < FILES_PER_WORKER; k++) {
		snprintf(path, sizeof(path), "%s/w%d-f%d", dir, w, k);
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || write(fd, path, strlen(path)) != (long)strlen(path))
			_exit(1);
		close(fd);
	}
	_exit(0);
}

static void remove_files(int w)
{
	char path[128];

	for (int k = 0; k < FILES_PER_WORKER; k++) {
		snprintf(path, sizeof(path), "%s/w%d-f%d", dir, w, k);
		if (unlink(path) != 0)
			_exit(1);
	}
	_exit(0);
}

static int count_entries(void)
{
	char buf[DENT_BUF];
	int fd = open(dir, O_RDONLY | O_DIRECTORY), count = 0;
	long n;

	if (fd < 0)
		return -1;
	while ((n = tap_sys(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n;) {
			struct dirent *d = (struct dirent *)(buf + off);
			if (d->d_reclen == 0)
				break;
			off += d->d_reclen;
			count += d->d_name[0] == 'w';
		}
	close(fd);
	return count;
}

static void test_files(void)
{
	snprintf(dir, sizeof(dir), "/tmp/smp-%d", (int)getpid());
	mkdir(dir, 0755);
	tap_is(run_all(NFILE_WORKERS, make_files), NFILE_WORKERS,
	       "4 processes created 50 files each in one directory at once");
	tap_is(count_entries(), NFILE_WORKERS * FILES_PER_WORKER, "the directory lists all 200");
	tap_is(run_all(NFILE_WORKERS, remove_files), NFILE_WORKERS, "and they removed them at once");
	tap_is(rmdir(dir), 0, "leaving the directory empty");
}

/* The reader of the fence test: read the file page in a loop; once the
 * parent says ftruncate returned, the next read must fault (SIGBUS). */
static void fence_reader(volatile unsigned char *p)
{
	unsigned sum = p[0];

	__atomic_store_n(&sh->reader_up, 1, __ATOMIC_RELEASE);
	for (;;) {
		sum += p[0];
		if (__atomic_load_n(&sh->truncated, __ATOMIC_ACQUIRE)) {
			sum += p[0];    /* a stale TLB entry would let this pass */
			_exit(2 + (int)(sum & 0));
		}
	}
}

/* One round: a reader spins on a shared file page while this process,
 * on another hart, truncates the file. ftruncate removes the reader's
 * PTE and returns only after every hart that may cache it has flushed
 * it (RISC-V privileged spec 4.2.1; SBI RFENCE), so the reader's next
 * read faults. Returns 1 if it was killed by SIGBUS. */
static int fence_round(int r)
{
	char path[64];
	unsigned char page[PAGE];
	int fd, status, ok;
	pid_t pid;

	snprintf(path, sizeof(path), "/tmp/smp-fence-%d", r);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	memset(page, 'f', sizeof(page));
	if (fd < 0 || write(fd, page, PAGE) != PAGE)
		return 0;
	unsigned char *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 0;
	__atomic_store_n(&sh->reader_up, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&sh->truncated, 0, __ATOMIC_RELEASE);
	pid = fork();
	if (pid == 0)
		fence_reader(p);
	while (pid > 0 && !__atomic_load_n(&sh->reader_up, __ATOMIC_ACQUIRE))
		tap_sys(SYS_sched_yield, 0, 0, 0);
	ok = pid > 0 && ftruncate(fd, 0) == 0;
	__atomic_store_n(&sh->truncated, 1, __ATOMIC_RELEASE);
	ok = ok && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	     WTERMSIG(status) == SIGBUS;
	munmap(p, PAGE);
	close(fd);
	unlink(path);
	return ok;
}

static void test_remote_fence(void)
{
	int ok = 0;

	for (int r = 0; r < FENCE_ROUNDS; r++)
		ok += fence_round(r);
	tap_is(ok, FENCE_ROUNDS, "a reader on another hart faults right after "
	       "ftruncate takes its page away (%d rounds)", FENCE_ROUNDS);
}

int main(void)
{
	tap_plan(PLAN);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(sh != MAP_FAILED, "map a shared page for the results"))
		return tap_done();
	memset(sh, 0, sizeof(*sh));
	test_fork_rounds();
	test_ping_pong();
	tap_is(run_all(NWORKERS, churn), NWORKERS, "8 processes mapped, touched and unmapped 200 times each");
	test_files();
	test_remote_fence();
	tap_errno(wait(NULL), ECHILD, "no children left");
	return tap_done();
}
