/*
 * <dirent.h> for Pagoda: directory streams over getdents64.  struct dirent
 * has the Linux linux_dirent64 layout, so readdir returns records straight
 * from the kernel's buffer.
 */
#ifndef _PAGODA_DIRENT_H
#define _PAGODA_DIRENT_H

#include <sys/cdefs.h>
#include <sys/types.h>

#include <abi/stat.h>          /* DT_* */

#define NAME_MAX_DIRENT 255

struct dirent {
	unsigned long d_ino;		/* inode number */
	long d_off;			/* opaque offset of the next record */
	unsigned short d_reclen;	/* length of this record, bytes */
	unsigned char d_type;		/* DT_* */
	char d_name[NAME_MAX_DIRENT + 1];
};

typedef struct __pagoda_dir DIR;

__BEGIN_DECLS
DIR *opendir(const char *path);
DIR *fdopendir(int fd);
struct dirent *readdir(DIR *dir);
void rewinddir(DIR *dir);
int closedir(DIR *dir);
int dirfd(DIR *dir);
int getdents64(int fd, void *buf, size_t len);
int alphasort(const struct dirent **a, const struct dirent **b);
int scandir(const char *path, struct dirent ***list,
	    int (*filter)(const struct dirent *),
	    int (*compar)(const struct dirent **, const struct dirent **));
__END_DECLS

#endif
