/*
 * <stdio.h> for Pagoda: picolibc's tinystdio plus the POSIX getline and
 * getdelim, which picolibc 1.8 lacks (libpagoda provides them).
 */
#ifndef _PAGODA_STDIO_H
#define _PAGODA_STDIO_H

#include_next <stdio.h>
#include <sys/types.h>

__BEGIN_DECLS
ssize_t getdelim(char **__restrict line, size_t *__restrict cap, int delim,
		 FILE *__restrict f);
ssize_t getline(char **__restrict line, size_t *__restrict cap, FILE *__restrict f);
int renameat(int olddirfd, const char *old, int newdirfd, const char *new);
__END_DECLS

#endif
