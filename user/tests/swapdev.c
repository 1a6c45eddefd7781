/*
 * swapdev: the swap device as people see it (issue 7, points 1-3): the
 * mkswap disk found at boot shows in /proc/swaps in Linux's format, in the
 * Swap lines of /proc/meminfo, and in free's Swap line, all agreeing.
 * Nothing pages yet, so every slot is free.
 */
#include "tap.h"
#include "meminfo.h"

#include <fcntl.h>
#include <sys/wait.h>

#define PLAN            12
#define SWAPS_PATH      "/proc/swaps"
#define KB_PER_PAGE     4
#define KB_PER_MIB      1024
#define TEXT_MAX        2048

static char swaps_text[TEXT_MAX];
static char free_text[TEXT_MAX];

static long read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n, got = 0;

	buf[0] = 0;
	if (fd < 0)
		return -1;
	while (got < (long)size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* Run /bin/free, its output into free_text. Returns its exit status. */
static int run_free(void)
{
	int p[2], status = -1;
	long n, got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "free", NULL };
		char *envp[] = { NULL };

		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve("/bin/free", argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (got < TEXT_MAX - 1 && (n = read(p[0], free_text + got, TEXT_MAX - 1 - got)) > 0)
		got += n;
	free_text[got] = 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	char name[64], type[32], *line;
	long size = -1, used = -1, prio = 0, total_kb, free_kb, cached_kb;
	long ftotal = -1, fused = -1, ffree = -1;
	struct meminfo m;
	int fields;

	tap_plan(PLAN);
	tap_ok(read_file(SWAPS_PATH, swaps_text, sizeof(swaps_text)) > 0,
	       "/proc/swaps is readable");
	tap_ok(strncmp(swaps_text, "Filename", 8) == 0 && strstr(swaps_text, "Type") &&
	       strstr(swaps_text, "Size") && strstr(swaps_text, "Used") &&
	       strstr(swaps_text, "Priority"), "/proc/swaps has Linux's header line");
	line = strchr(swaps_text, '\n');
	fields = line ? sscanf(line + 1, "%63s %31s %ld %ld %ld", name, type, &size,
			       &used, &prio) : 0;
	if (!tap_ok(fields == 5 && strcmp(name, "/dev/vdb") == 0 &&
		    strcmp(type, "partition") == 0 && prio == -2,
		    "one device line: /dev/vdb partition, priority -2"))
		tap_diag("  %s", swaps_text);
	/* The header's last_page = disk pages - 1 on a whole-MiB image made by
	 * mkswap without bad pages: size is the disk less the header page. */
	tap_ok(size > 0 && (size + KB_PER_PAGE) % KB_PER_MIB == 0,
	       "size %ld kB: a whole number of MiB less the 4 kB header", size);
	/* Earlier suites may have pushed pages to swap: every slot in use
	 * must belong to an anon or an anonymous object. */
	tap_ok(meminfo_read(&m) == 0 && m.swap_owned >= 0 &&
	       used == m.swap_owned * KB_PER_PAGE,
	       "used %ld kB: the pages anons and objects hold (%ld)", used,
	       m.swap_owned);

	tap_ok(meminfo_read(&m) == 0, "/proc/meminfo is readable");
	total_kb = meminfo_field(meminfo_text, "SwapTotal", 0);
	free_kb = meminfo_field(meminfo_text, "SwapFree", 0);
	cached_kb = meminfo_field(meminfo_text, "SwapCached", 0);
	tap_ok(total_kb == size && strstr(meminfo_text, "SwapTotal:") != NULL,
	       "SwapTotal %ld kB = /proc/swaps size %ld", total_kb, size);
	tap_ok(free_kb == total_kb - used, "SwapFree %ld kB = total - used", free_kb);
	tap_is(cached_kb, 0, "SwapCached 0 kB (no page-in yet)");
	tap_ok(m.swap_total_pages * KB_PER_PAGE == total_kb &&
	       m.swap_free_pages * KB_PER_PAGE == free_kb,
	       "SwapTotalPages %ld and SwapFreePages %ld agree in pages",
	       m.swap_total_pages, m.swap_free_pages);

	tap_is(run_free(), 0, "free exits 0");
	line = strstr(free_text, "Swap:");
	fields = line ? sscanf(line + 5, "%ld %ld %ld", &ftotal, &fused, &ffree) : 0;
	if (!tap_ok(fields == 3 && ftotal == total_kb && fused == total_kb - free_kb &&
		    ffree == free_kb, "free's Swap line: %ld %ld %ld", ftotal, fused, ffree))
		tap_diag("  %s", free_text);
	return 0;
}
