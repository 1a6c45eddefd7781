/*
 * Directory streams over getdents64.  A DIR holds the fd and one buffer of
 * Linux linux_dirent64 records; readdir copies the next record out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pagoda.h"

#define PG_DIRBUF_SIZE 4096

struct __pagoda_dir {
	int fd;
	int pos;			/* next record in buf, bytes */
	int len;			/* valid bytes in buf */
	struct dirent ent;		/* what readdir returns */
	char buf[PG_DIRBUF_SIZE];
};

int getdents64(int fd, void *buf, size_t len)
{
	return (int)pg_sysret(pg_syscall3(SYS_getdents64, fd, buf, len));
}

DIR *fdopendir(int fd)
{
	DIR *d = malloc(sizeof(*d));

	if (d == NULL)
		return NULL;
	d->fd = fd;
	d->pos = 0;
	d->len = 0;
	return d;
}

DIR *opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (d == NULL)
		close(fd);
	return d;
}

struct dirent *readdir(DIR *d)
{
	struct dirent *rec;
	size_t n;

	if (d->pos >= d->len) {
		int r = getdents64(d->fd, d->buf, sizeof(d->buf));
		if (r <= 0)
			return NULL;	/* end (errno untouched) or error */
		d->len = r;
		d->pos = 0;
	}
	rec = (struct dirent *)(d->buf + d->pos);
	d->pos += rec->d_reclen;
	n = rec->d_reclen < sizeof(d->ent) ? rec->d_reclen : sizeof(d->ent);
	memcpy(&d->ent, rec, n);
	d->ent.d_name[sizeof(d->ent.d_name) - 1] = '\0';
	return &d->ent;
}

void rewinddir(DIR *d)
{
	lseek(d->fd, 0, SEEK_SET);
	d->pos = 0;
	d->len = 0;
}

int closedir(DIR *d)
{
	int r = close(d->fd);

	free(d);
	return r;
}

int dirfd(DIR *d)
{
	return d->fd;
}

int alphasort(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int scandir_cmp_wrapper_fn(const void *a, const void *b);
static int (*scandir_cmp)(const struct dirent **, const struct dirent **);

static int scandir_cmp_wrapper_fn(const void *a, const void *b)
{
	return scandir_cmp((const struct dirent **)a, (const struct dirent **)b);
}

int scandir(const char *path, struct dirent ***list,
	    int (*filter)(const struct dirent *),
	    int (*compar)(const struct dirent **, const struct dirent **))
{
	DIR *d = opendir(path);
	struct dirent *e, **v = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (filter && !filter(e))
			continue;
		if (n == cap) {
			struct dirent **nv;
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto fail;
			v = nv;
		}
		v[n] = malloc(sizeof(*e));
		if (v[n] == NULL)
			goto fail;
		memcpy(v[n++], e, sizeof(*e));
	}
	closedir(d);
	if (compar) {
		scandir_cmp = compar;
		qsort(v, n, sizeof(*v), scandir_cmp_wrapper_fn);
	}
	*list = v;
	return (int)n;
fail:
	while (n > 0)
		free(v[--n]);
	free(v);
	closedir(d);
	errno = ENOMEM;
	return -1;
}
