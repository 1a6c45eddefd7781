/*
 * pipes: data through a pipe, EOF when the last writer closes, EPIPE and
 * SIGPIPE when no reader is left, pipes between forked processes, many
 * writers, large transfers, a pipe into an exec'd program.
 */
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#define PLAN            30
#define BIG_TRANSFER    (2 << 20)       /* bytes each way */
#define BIG_WRITE       (64 * 1024)     /* one write larger than a pipe */
#define NWRITERS        4
#define NRECORDS        100             /* per writer */
#define RECORD          16              /* bytes, well under PIPE_BUF */
#define DELAY_NS        100000000L      /* 100 ms */
#define BAD_PIPE_FLAGS  0x1

static unsigned char pattern_byte(long i)
{
	return (unsigned char)(i * 13 + (i >> 9));
}

static void test_basic(void)
{
	int p[2];
	char buf[16];
	struct stat st;

	tap_is(pipe(p), 0, "pipe succeeds");
	tap_ok(p[0] >= 0 && p[1] >= 0 && p[0] != p[1], "two distinct descriptors");
	tap_is(write(p[1], "hello", 5), 5, "write 5 bytes");
	tap_ok(read(p[0], buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0,
	       "read returns what is there (5 bytes), not the buffer size");
	write(p[1], "abc", 3);
	write(p[1], "def", 3);
	tap_ok(read(p[0], buf, 4) == 4 && memcmp(buf, "abcd", 4) == 0, "reads cross write boundaries");
	tap_ok(read(p[0], buf, 4) == 2 && memcmp(buf, "ef", 2) == 0, "and return the rest");
	tap_errno(read(p[1], buf, 1), EBADF, "read from the write end gives EBADF");
	tap_errno(write(p[0], "x", 1), EBADF, "write to the read end gives EBADF");
	tap_ok(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "fstat says FIFO");
	tap_errno(lseek(p[0], 0, SEEK_SET), ESPIPE, "lseek on a pipe gives ESPIPE");
	close(p[1]);
	tap_is(read(p[0], buf, sizeof(buf)), 0, "read after the writer closed returns 0 (EOF)");
	close(p[0]);
	int q[2] = { -1, -1 };
	tap_is(tap_sys(SYS_pipe2, q, O_CLOEXEC, 0), 0, "pipe2(O_CLOEXEC)");
	tap_ok(fcntl(q[0], F_GETFD) == FD_CLOEXEC && fcntl(q[1], F_GETFD) == FD_CLOEXEC,
	       "both ends have FD_CLOEXEC");
	close(q[0]);
	close(q[1]);
	tap_is(tap_sys(SYS_pipe2, q, BAD_PIPE_FLAGS, 0), -LX_EINVAL, "pipe2 with bad flags gives EINVAL");
}

/* Child: write to a pipe whose read end is closed everywhere. arg[1] is
 * the write end; arg[2] says whether to ignore SIGPIPE first. */
static void write_no_reader(void *arg)
{
	int *p = arg;

	if (p[2]) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
		errno = 0;
		long r = write(p[1], "x", 1);
		_exit(r == -1 && errno == EPIPE ? 0 : 1);
	}
	write(p[1], "x", 1);
	_exit(2);               /* not reached: SIGPIPE */
}

static void test_epipe(void)
{
	int p[3];

	pipe(p);
	close(p[0]);
	p[2] = 1;
	int st = tap_in_child(write_no_reader, p);
	tap_exited_with(st, 0, "write with no reader (SIGPIPE ignored) gives EPIPE");
	close(p[1]);
	pipe(p);
	close(p[0]);
	p[2] = 0;
	st = tap_in_child(write_no_reader, p);
	tap_killed_by(st, SIGPIPE, "write with no reader kills the writer with SIGPIPE");
	close(p[1]);
}

/* Child: write BIG_TRANSFER bytes of the pattern in uneven chunks. */
static void big_writer(int fd)
{
	static unsigned char buf[BIG_WRITE];
	long sent = 0, chunk = 1;

	while (sent < BIG_TRANSFER) {
		long n = chunk;
		if (n > BIG_TRANSFER - sent)
			n = BIG_TRANSFER - sent;
		for (long i = 0; i < n; i++)
			buf[i] = pattern_byte(sent + i);
		if (write(fd, buf, n) != n)
			_exit(1);
		sent += n;
		chunk = chunk * 3 + 1;
		if (chunk > BIG_WRITE)
			chunk = 7;
	}
	_exit(0);
}

/* Read until EOF, checking the pattern. Returns bytes read, -1 on a
 * mismatch. */
static long big_reader(int fd)
{
	static unsigned char buf[5000];
	long got = 0, n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			if (buf[i] != pattern_byte(got + i))
				return -1;
		got += n;
	}
	return n < 0 ? -1 : got;
}

static void test_transfer(void)
{
	int p[2], status;

	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		big_writer(p[1]);
	}
	close(p[1]);
	tap_is(big_reader(p[0]), BIG_TRANSFER, "2 MiB from child to parent, intact");
	close(p[0]);
	tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "the writing child exits 0");
	pipe(p);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(big_reader(p[0]) == BIG_TRANSFER ? 0 : 1);
	}
	close(p[0]);
	pid_t w = fork();
	if (w == 0)
		big_writer(p[1]);
	close(p[1]);
	waitpid(w, &status, 0);
	tap_exited_with(status, 0, "a second child wrote 2 MiB");
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "a sibling read the 2 MiB intact");
}

static void test_eof_last_writer(void)
{
	int p[2], status;
	char buf[8];
	struct timespec d = { 0, DELAY_NS };

	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		nanosleep(&d, NULL);
		write(p[1], "late", 4);
		_exit(0);
	}
	close(p[1]);
	tap_ok(read(p[0], buf, sizeof(buf)) == 4 && memcmp(buf, "late", 4) == 0,
	       "a blocked read wakes up when data arrives");
	tap_is(read(p[0], buf, sizeof(buf)), 0, "EOF only once the child's write end is gone");
	close(p[0]);
	waitpid(pid, &status, 0);
}

static void test_many_writers(void)
{
	int p[2], status, counts[NWRITERS] = { 0 }, torn = 0, exits = 0;
	char rec[RECORD];
	long n;

	pipe(p);
	for (int w = 0; w < NWRITERS; w++) {
		if (fork() == 0) {
			close(p[0]);
			memset(rec, 'A' + w, RECORD);
			for (int i = 0; i < NRECORDS; i++)
				if (write(p[1], rec, RECORD) != RECORD)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	while ((n = read(p[0], rec, RECORD)) > 0) {
		/* Records are written atomically, so each read of RECORD bytes
		 * sees one writer's record whole. */
		if (n != RECORD || rec[0] < 'A' || rec[0] >= 'A' + NWRITERS) {
			torn++;
			continue;
		}
		for (int i = 1; i < RECORD; i++)
			torn += rec[i] != rec[0];
		counts[rec[0] - 'A']++;
	}
	close(p[0]);
	for (int w = 0; w < NWRITERS; w++)
		if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			exits++;
	tap_is(exits, NWRITERS, "four writers exit 0");
	tap_is(torn, 0, "no record was torn or interleaved");
	int all = 1;
	for (int w = 0; w < NWRITERS; w++)
		all &= counts[w] == NRECORDS;
	tap_ok(all, "every writer's 100 records arrived");
}

static void test_big_write(void)
{
	static unsigned char buf[BIG_WRITE];
	int p[2], status;

	pipe(p);
	for (long i = 0; i < BIG_WRITE; i++)
		buf[i] = pattern_byte(i);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		long got = 0, n;
		static unsigned char in[BIG_WRITE];
		while ((n = read(p[0], in + got, BIG_WRITE - got)) > 0)
			got += n;
		_exit(got == BIG_WRITE && memcmp(in, buf, BIG_WRITE) == 0 ? 0 : 1);
	}
	close(p[0]);
	tap_is(write(p[1], buf, BIG_WRITE), BIG_WRITE,
	       "one 64 KiB write (more than the pipe holds) completes");
	close(p[1]);
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "the reader got the 64 KiB intact");
}

static void test_exec_into_pipe(void)
{
	int p[2], status;
	char buf[64];
	long got = 0, n;

	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "echo", "through", "a", "pipe", NULL };
		char *envp[] = { NULL };
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve("/bin/echo", argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (got < (long)sizeof(buf) - 1 && (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	tap_exited_with(status, 0, "/bin/echo with stdout on a pipe exits 0");
	tap_ok(strcmp(buf, "through a pipe\n") == 0, "its output came through the pipe");
}

int main(void)
{
	tap_plan(PLAN);
	test_basic();
	test_epipe();
	test_transfer();
	test_eof_last_writer();
	test_many_writers();
	test_big_write();
	test_exec_into_pipe();
	tap_ok(wait(NULL) == -1 && errno == ECHILD, "no children left behind");
	return tap_done();
}
