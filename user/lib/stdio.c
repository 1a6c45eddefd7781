/*
 * Standard streams for picolibc's tinystdio over file descriptors 0-2:
 * stdin buffered, stdout line-buffered, stderr unbuffered.  Also fdopen
 * (and so fopen) with a list of open streams so exit() and fflush(NULL)
 * flush them all, __posix_sflags with Linux O_* values, getline/getdelim.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio-bufio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pagoda.h"

#define PG_STDIO_BUFSIZE 1024

static int pg_std_close(FILE *f);

/* A bufio stream over fd with the given buffer; close is ours. */
#define PG_STD_STREAM(fd_, buf_, size_, rw_, bflags_)                       \
	{                                                                   \
		.xfile = FDEV_SETUP_EXT(__bufio_put, __bufio_get,           \
					__bufio_flush, pg_std_close,        \
					__bufio_seek, __bufio_setvbuf,      \
					(rw_) | __SBUF),                    \
		.fd = (fd_), .dir = 0, .bflags = (bflags_), .pos = 0,       \
		.buf = (buf_), .size = (size_), .len = 0, .off = 0,         \
		.read = read, .write = write, .lseek = lseek, .close = close, \
	}

static char stdin_buf[PG_STDIO_BUFSIZE];
static char stdout_buf[PG_STDIO_BUFSIZE];
static char stderr_buf[1];	/* size 1: every character is written at once */

static struct __file_bufio pg_stdin =
	PG_STD_STREAM(STDIN_FILENO, stdin_buf, PG_STDIO_BUFSIZE, __SRD, 0);
static struct __file_bufio pg_stdout =
	PG_STD_STREAM(STDOUT_FILENO, stdout_buf, PG_STDIO_BUFSIZE, __SWR, __BLBF);
static struct __file_bufio pg_stderr =
	PG_STD_STREAM(STDERR_FILENO, stderr_buf, 1, __SWR, 0);

FILE *const stdin = &pg_stdin.xfile.cfile.file;
FILE *const stdout = &pg_stdout.xfile.cfile.file;
FILE *const stderr = &pg_stderr.xfile.cfile.file;

/* A stream made by fdopen/fopen: bufio state, list links, its buffer. */
struct pg_file {
	struct __file_bufio bf;		/* first: FILE * == struct pg_file * */
	struct pg_file *next;
	struct pg_file *prev;
	char buf[PG_STDIO_BUFSIZE];
};

static struct pg_file *pg_open_files;

/* fclose on a standard stream: flush and close the fd, never free. */
static int pg_std_close(FILE *f)
{
	struct __file_bufio *bf = (struct __file_bufio *)f;
	int ret = __bufio_flush(f);

	if (close(bf->fd) < 0)
		ret = EOF;
	return ret;
}

/* fclose on a fopen'ed stream: unlink it, then let bufio flush/close/free. */
static int pg_file_close(FILE *f)
{
	struct pg_file *pf = (struct pg_file *)f;

	if (pf->prev)
		pf->prev->next = pf->next;
	else
		pg_open_files = pf->next;
	if (pf->next)
		pf->next->prev = pf->prev;
	/* __bufio_close leaves fds 0-2 open; close them here like POSIX does. */
	if (pf->bf.fd <= STDERR_FILENO) {
		int ret = __bufio_flush(f);
		close(pf->bf.fd);
		free(pf);
		return ret;
	}
	return __bufio_close(f);
}

/*
 * Stdio flags for a fopen mode; the open(2) flags (Linux values) go to
 * *oflags.  Returns 0 with errno EINVAL for a bad mode.  Called by
 * picolibc's fopen/freopen and by fdopen.
 */
int __posix_sflags(const char *mode, int *oflags)
{
	int ret, o;

	switch (mode[0]) {
	case 'r': ret = __SRD; o = O_RDONLY; break;
	case 'w': ret = __SWR; o = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': ret = __SWR; o = O_WRONLY | O_CREAT | O_APPEND; break;
	default:
		errno = EINVAL;
		return 0;
	}
	while (*++mode) {
		if (*mode == '+') {
			ret |= __SRD | __SWR;
			o = (o & ~O_ACCMODE) | O_RDWR;
		} else if (*mode == 'x') {
			o |= O_EXCL;
		} else if (*mode == 'e') {
			o |= O_CLOEXEC;
		}
	}
	*oflags = o;
	return ret;
}

FILE *fdopen(int fd, const char *mode)
{
	int oflags;
	int rw = __posix_sflags(mode, &oflags);
	struct pg_file *pf;

	if (rw == 0)
		return NULL;
	pf = calloc(1, sizeof(*pf));
	if (pf == NULL)
		return NULL;
	pf->bf = (struct __file_bufio)FDEV_SETUP_BUFIO(fd, pf->buf,
		PG_STDIO_BUFSIZE, read, write, lseek, close, rw, 0);
	pf->bf.xfile.cfile.close = pg_file_close;
	__bufio_lock_init(&pf->bf.xfile.cfile.file);
	if (oflags & O_APPEND)
		(void)lseek(fd, 0, SEEK_END);
	pf->next = pg_open_files;
	if (pf->next)
		pf->next->prev = pf;
	pg_open_files = pf;
	return &pf->bf.xfile.cfile.file;
}

void pg_stdio_flush_all(void)
{
	for (struct pg_file *pf = pg_open_files; pf; pf = pf->next)
		__bufio_flush(&pf->bf.xfile.cfile.file);
	__bufio_flush(stdout);
	__bufio_flush(stderr);
}

/* fflush(NULL) flushes every stream (picolibc 1.8 would crash on NULL). */
int fflush(FILE *f)
{
	if (f == NULL) {
		pg_stdio_flush_all();
		return 0;
	}
	if (f->flush)
		return f->flush(f);
	return 0;
}

/* exit() runs .fini_array: flush what is still buffered. */
__attribute__((destructor)) static void pg_stdio_exit(void)
{
	pg_stdio_flush_all();
}

ssize_t getdelim(char **line, size_t *cap, int delim, FILE *f)
{
	size_t len = 0;
	int c;

	if (line == NULL || cap == NULL) {
		errno = EINVAL;
		return -1;
	}
	while ((c = getc(f)) != EOF) {
		if (*line == NULL || len + 2 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 128;
			char *n = realloc(*line, ncap);
			if (n == NULL)
				return -1;
			*line = n;
			*cap = ncap;
		}
		(*line)[len++] = (char)c;
		if (c == delim)
			break;
	}
	if (len == 0)
		return -1;
	(*line)[len] = '\0';
	return (ssize_t)len;
}

ssize_t getline(char **line, size_t *cap, FILE *f)
{
	return getdelim(line, cap, '\n', f);
}

/*
 * fgetc (C17 7.21.7.1), linked in place of picolibc's with --wrap=fgetc:
 * reading a stream not open for reading sets its error indicator (and
 * errno EBADF) before returning EOF, as C17 7.21.7.1p3 asks; picolibc
 * returns EOF with neither indicator set.
 */
int __real_fgetc(FILE *f);
int __wrap_fgetc(FILE *f)
{
	if (!(f->flags & __SRD)) {
		f->flags |= __SERR;
		errno = EBADF;
		return EOF;
	}
	return __real_fgetc(f);
}

int __wrap_getc(FILE *f)
{
	return __wrap_fgetc(f);
}

/*
 * The *_unlocked calls and stream locks (POSIX.1-2017 XSH flockfile,
 * getc_unlocked).  A Pagoda process has one thread, so a stream never
 * needs a lock: these are the plain calls and no-ops.
 */
int getc_unlocked(FILE *f)
{
	return __wrap_fgetc(f);
}

int getchar_unlocked(void)
{
	return __wrap_fgetc(stdin);
}

int putc_unlocked(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar_unlocked(int c)
{
	return fputc(c, stdout);
}

void flockfile(FILE *f)
{
	(void)f;
}

int ftrylockfile(FILE *f)
{
	(void)f;
	return 0;
}

void funlockfile(FILE *f)
{
	(void)f;
}
