/*
 * vmstat: what people look at (issue 7, point 9). /proc/vmstat carries
 * Linux's names with numbers that move; /proc/<pid>/stat has proc(5)'s
 * 52 fields with minflt, cminflt, majflt and cmajflt counted by the trap
 * handler (user faults and faults inside copyout alike) and added to the
 * parent at wait (also as wait4's ru_minflt); smaps has a Swap: line per
 * VMA and status a VmSwap: line that agree; /bin/vmstat prints procps'
 * header and one line of 17 numbers per interval.
 */
#include "tap.h"
#include "vmcounters.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PLAN            39
#define PAGE            4096L
#define TOUCH_PAGES     64              /* pages a fault test touches */
#define FILE_PAGES      16              /* pages of the mapped file */
#define FILE_PATH       "/tmp/vmstat-mapped"
#define TEXT_MAX        16384
#define STAT_FIELDS     52              /* proc(5), Linux 5.x/6.x */
#define F_PID           1               /* /proc/<pid>/stat field numbers */
#define F_STATE         3
#define F_PPID          4
#define F_MINFLT        10
#define F_CMINFLT       11
#define F_MAJFLT        12
#define F_CMAJFLT       13
#define F_VSIZE         23
#define VMSTAT_COLUMNS  17
#define VMSTAT_LINES    2               /* vmstat 1 2 */
#define VMSTAT_HEADER1  "procs -----------memory---------- ---swap-- -----io---- " \
			"-system-- ------cpu-----"
#define VMSTAT_HEADER2  " r  b   swpd   free   buff  cache   si   so    bi    bo" \
			"   in   cs us sy id wa st"

/* struct rusage of the Linux riscv64 ABI, as wait4 fills it. */
struct rusage_lx {
	long utime[2], stime[2];
	long maxrss, ixrss, idrss, isrss;
	long minflt, majflt;
	long rest[8];
};

/* The names issue 7 lists, the Linux 6.x spellings printed beside them,
 * and two of Linux's gauges. */
static const char *const vmstat_names[] = {
	"pgfault", "pgmajfault", "pswpin", "pswpout", "pgscan", "pgsteal",
	"pgactivate", "pgdeactivate", "oom_kill", "allocstall",
	"pgscan_kswapd", "pgsteal_kswapd", "nr_free_pages",
};
#define NNAMES ((int)(sizeof(vmstat_names) / sizeof(vmstat_names[0])))

static char text[TEXT_MAX];
static char out[TEXT_MAX];
static long fields[STAT_FIELDS + 1];    /* [1..52] */

/* A /proc/vmstat counter now (-1 if absent). */
static long vmstat_get(const char *name)
{
	if (vmc_slurp(VMSTAT_PATH, text, sizeof(text)) <= 0)
		return -1;
	return vmc_field(text, name);
}

/* Read /proc/<pid>/stat (pid 0: self) into fields[]; fields 2 (comm) and
 * 3 (state letter) read as 0. Returns the number of fields, or -1. */
static int stat_read(pid_t pid)
{
	char path[48], *p, *end;
	int n = F_STATE;                /* the field p is at */

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/stat");
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	memset(fields, 0, sizeof(fields));
	if (vmc_slurp(path, text, sizeof(text)) <= 0)
		return -1;
	fields[F_PID] = strtol(text, NULL, 10);
	p = strrchr(text, ')');         /* comm may hold spaces */
	if (p == NULL || p[1] != ' ')
		return -1;
	for (p += 2; *p != '\0' && *p != '\n'; n++) {
		if (n > STAT_FIELDS)
			return -1;
		if (n == F_STATE) {
			p += strcspn(p, " \n");
		} else {
			fields[n] = strtol(p, &end, 10);
			if (end == p)
				return -1;
			p = end;
		}
		if (*p == ' ')
			p++;
	}
	return n - 1;
}

/* fields[k] of /proc/self/stat now (-1 on a bad read). */
static long stat_self(int k)
{
	return stat_read(0) == STAT_FIELDS ? fields[k] : -1;
}

/* Map n fresh anonymous pages and write one byte in each. NULL on error. */
static char *touch_new(long n)
{
	char *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (long i = 0; i < n; i++)
		p[i * PAGE] = 1;
	return p;
}

static void names_present(void)
{
	int ok = vmc_slurp(VMSTAT_PATH, text, sizeof(text)) > 0;

	tap_ok(ok, "/proc/vmstat is readable");
	for (int i = 0; i < NNAMES; i++)
		if (!tap_ok(vmc_field(text, vmstat_names[i]) >= 0,
			    "/proc/vmstat has \"%s <number>\"", vmstat_names[i]))
			tap_diag("  %s", text);
}

/* pgfault, minflt and majflt around touching TOUCH_PAGES new pages. */
static void faults_of_touching(void)
{
	long pgf0 = vmstat_get("pgfault"), min0 = stat_self(F_MINFLT);
	long maj0 = stat_self(F_MAJFLT);
	char *p = touch_new(TOUCH_PAGES);
	long pgf1 = vmstat_get("pgfault"), min1 = stat_self(F_MINFLT);
	long maj1 = stat_self(F_MAJFLT);

	tap_ok(p != NULL, "mapped and touched %d pages", TOUCH_PAGES);
	tap_ok(pgf0 >= 0 && pgf1 - pgf0 >= TOUCH_PAGES,
	       "pgfault grew by %ld >= %d", pgf1 - pgf0, TOUCH_PAGES);
	tap_ok(min0 >= 0 && min1 - min0 >= TOUCH_PAGES,
	       "minflt in /proc/self/stat grew by %ld >= %d", min1 - min0, TOUCH_PAGES);
	tap_ok(maj0 >= 0 && maj1 == maj0,
	       "majflt stays %ld over zero-fill faults (now %ld)", maj0, maj1);
	if (p != NULL)
		munmap(p, TOUCH_PAGES * PAGE);
}

/* read() from /dev/zero into untouched pages: the kernel's copyout takes
 * the faults, and they count for the process. */
static void faults_in_copyout(void)
{
	char *p = mmap(NULL, TOUCH_PAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open("/dev/zero", O_RDONLY);
	long min0 = stat_self(F_MINFLT), got = -1, min1;

	if (p != MAP_FAILED && fd >= 0)
		got = read(fd, p, TOUCH_PAGES * PAGE);
	min1 = stat_self(F_MINFLT);
	tap_ok(got == TOUCH_PAGES * PAGE && min0 >= 0 && min1 - min0 >= TOUCH_PAGES,
	       "faults inside copyout count: minflt grew by %ld >= %d",
	       min1 - min0, TOUCH_PAGES);
	if (fd >= 0)
		close(fd);
	if (p != MAP_FAILED)
		munmap(p, TOUCH_PAGES * PAGE);
}

/* Layout of /proc/self/stat and /proc/<child>/stat. */
static void stat_layout(void)
{
	int n = stat_read(0);

	tap_is(n, STAT_FIELDS, "/proc/self/stat has %d fields", STAT_FIELDS);
	tap_ok(fields[F_PID] == getpid() && fields[F_PPID] == getppid() &&
	       strstr(text, "(vmstat) R ") != NULL,
	       "pid %ld, \"(vmstat) R\", ppid %ld", fields[F_PID], fields[F_PPID]);
	tap_ok(fields[F_VSIZE] > 0 && fields[F_VSIZE] % PAGE == 0,
	       "vsize %ld bytes", fields[F_VSIZE]);
	tap_ok(stat_read(1) == STAT_FIELDS && fields[F_PID] == 1,
	       "/proc/1/stat is init's");
}

/* A child touching TOUCH_PAGES pages: wait4's ru_minflt, and the parent's
 * cminflt grows by exactly the child's count. */
static void child_faults(void)
{
	struct rusage_lx ru;
	long cmin0 = stat_self(F_CMINFLT), cmaj0 = stat_self(F_CMAJFLT);
	long cmin1, cmaj1;
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(touch_new(TOUCH_PAGES) == NULL);
	memset(&ru, 0xff, sizeof(ru));
	tap_ok(pid > 0 && wait4(pid, &status, 0, (struct rusage *)&ru) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a child touched %d pages and exited", TOUCH_PAGES);
	cmin1 = stat_self(F_CMINFLT);
	cmaj1 = stat_self(F_CMAJFLT);
	tap_ok(ru.minflt >= TOUCH_PAGES, "wait4's ru_minflt %ld >= %d",
	       ru.minflt, TOUCH_PAGES);
	tap_ok(cmin0 >= 0 && cmin1 - cmin0 == ru.minflt,
	       "cminflt grew by the child's minflt: %ld (ru_minflt %ld)",
	       cmin1 - cmin0, ru.minflt);
	tap_ok(cmaj0 >= 0 && cmaj1 - cmaj0 == ru.majflt && ru.majflt >= 0,
	       "cmajflt grew by the child's majflt: %ld (ru_majflt %ld)",
	       cmaj1 - cmaj0, ru.majflt);
}

/* Write FILE_PAGES pages to a new file and close it (its page cache goes
 * with its last reference). Returns 0 or -1. */
static int make_file(void)
{
	int fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0;

	memset(out, 'f', PAGE);
	for (long i = 0; ok && i < FILE_PAGES; i++)
		ok = write(fd, out, PAGE) == PAGE;
	ok = ok && fsync(fd) == 0;      /* clean: drop_caches may drop it */
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* Write "1" to /proc/sys/vm/drop_caches. Returns 0 or -1. */
static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ok = fd >= 0 && write(fd, "1\n", 2) == 2;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * A file not in the page cache, mapped and read: each page its pager
 * reads is a major fault. The fresh file's pages are dropped from the
 * page cache first (/proc/sys/vm/drop_caches), so every page is read.
 */
static void major_faults_of_file(void)
{
	long in0, in1, maj0, maj1, gmaj0, gmaj1, sum = 0;
	char *p = MAP_FAILED;
	int fd = -1;

	if (make_file() == 0)
		fd = open(FILE_PATH, O_RDONLY);
	tap_ok(drop_caches() == 0, "echo 1 > /proc/sys/vm/drop_caches");
	in0 = vmstat_get("pgpagein");
	gmaj0 = vmstat_get("pgmajfault");
	maj0 = stat_self(F_MAJFLT);
	if (fd >= 0)
		p = mmap(NULL, FILE_PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	for (long i = 0; p != MAP_FAILED && i < FILE_PAGES; i++)
		sum += p[i * PAGE];
	maj1 = stat_self(F_MAJFLT);
	gmaj1 = vmstat_get("pgmajfault");
	in1 = vmstat_get("pgpagein");
	tap_ok(p != MAP_FAILED && sum == 'f' * FILE_PAGES,
	       "a fresh %d-page file mapped and read back", FILE_PAGES);
	tap_ok(in1 - in0 >= FILE_PAGES && maj1 - maj0 >= 1 &&
	       maj1 - maj0 <= gmaj1 - gmaj0,
	       "majflt grew by %ld (pgmajfault by %ld) while %ld pages were read in",
	       maj1 - maj0, gmaj1 - gmaj0, in1 - in0);
	if (p != MAP_FAILED)
		munmap(p, FILE_PAGES * PAGE);
	if (fd >= 0)
		close(fd);
	unlink(FILE_PATH);
}

/* A "Name: N kB" line's value in s, or -1. */
static long kb_after(const char *s, const char *name)
{
	const char *p = strstr(s, name);

	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

/* smaps: as many Swap: lines as VMAs in maps; their sum is status's
 * VmSwap; nothing is on swap in this suite. */
static void smaps_swap(void)
{
	long vmas = 0, swaps = 0, sum = 0, bad = 0, vmswap;
	char *line;

	if (vmc_slurp("/proc/self/maps", out, sizeof(out)) > 0)
		for (line = out; (line = strchr(line, '\n')) != NULL; line++)
			vmas++;         /* one line a VMA */
	vmc_slurp("/proc/self/smaps", text, sizeof(text));
	for (line = text; (line = strstr(line, "\nSwap:")) != NULL; line++, swaps++) {
		long kb = kb_after(line, "Swap:");
		bad += kb < 0 || strstr(line, " kB\n") == NULL;
		sum += kb;
	}
	tap_ok(vmas > 0 && swaps == vmas && bad == 0,
	       "smaps has a \"Swap: N kB\" line for each of %ld VMAs (%ld)", vmas, swaps);
	tap_is(sum, 0, "Swap: 0 kB in every VMA (nothing swapped here)");
	vmc_slurp("/proc/self/status", text, sizeof(text));
	vmswap = kb_after(text, "VmSwap:");
	tap_ok(vmswap == sum && strstr(text, "VmSwap:") != NULL,
	       "status VmSwap: %ld kB = the smaps sum", vmswap);
}

/* Run /bin/vmstat 1 2 into out. Returns its wait status, -1 on error. */
static int run_vmstat(void)
{
	int p[2], status = -1;
	long n, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "vmstat", "1", "2", NULL };
		char *envp[] = { NULL };

		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve("/bin/vmstat", argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (got < TEXT_MAX - 1 && (n = read(p[0], out + got, TEXT_MAX - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Numbers in line (up to the newline) if it holds only numbers; col[]
 * gets the first VMSTAT_COLUMNS. -1 if anything else is there. */
static int numbers_in(const char *line, long col[VMSTAT_COLUMNS])
{
	int n = 0;
	char *end;

	while (*line == ' ')
		line++;
	while (*line != '\n' && *line != '\0') {
		long v = strtol(line, &end, 10);
		if (end == line || v < 0)
			return -1;
		if (n < VMSTAT_COLUMNS)
			col[n] = v;
		n++;
		for (line = end; *line == ' '; line++)
			;
	}
	return n;
}

static void vmstat_program(void)
{
	long col[VMSTAT_COLUMNS] = { 0 }, swap_total, swap_free;
	int status = run_vmstat(), lines = 0, good = 0;
	char *line = strchr(out, '\n');

	tap_exited_with(status, 0, "vmstat 1 2 exits 0");
	tap_ok(strncmp(out, VMSTAT_HEADER1 "\n" VMSTAT_HEADER2 "\n",
		       strlen(VMSTAT_HEADER1) + strlen(VMSTAT_HEADER2) + 2) == 0,
	       "procps' two header lines");
	line = line ? strchr(line + 1, '\n') : NULL;
	for (; line != NULL && line[1] != '\0'; line = strchr(line + 1, '\n')) {
		lines++;
		good += numbers_in(line + 1, col) == VMSTAT_COLUMNS;
	}
	if (!tap_ok(lines == VMSTAT_LINES && good == VMSTAT_LINES,
		    "%d data lines of %d numbers (%d lines, %d good)", VMSTAT_LINES,
		    VMSTAT_COLUMNS, lines, good))
		tap_diag("  %s", out);
	vmc_slurp(MEMINFO_PATH, text, sizeof(text));
	swap_total = meminfo_field(text, "SwapTotal", 0);
	swap_free = meminfo_field(text, "SwapFree", 0);
	/* columns of the last line: r b swpd free ... */
	tap_ok(col[0] >= 1, "r %ld counts at least vmstat itself", col[0]);
	tap_ok(swap_total >= 0 && col[2] == swap_total - swap_free,
	       "swpd %ld kB = SwapTotal - SwapFree", col[2]);
	tap_ok(col[3] > 0 && col[3] <= meminfo_field(text, "MemTotal", 0),
	       "free %ld kB is within MemTotal", col[3]);
}

int main(void)
{
	vmc_touch_self();
	tap_plan(PLAN);
	names_present();
	faults_of_touching();
	faults_in_copyout();
	stat_layout();
	child_faults();
	major_faults_of_file();
	smaps_swap();
	vmstat_program();
	return tap_done();
}
