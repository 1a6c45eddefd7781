/*
 * <stdio.h> for Pagoda: picolibc's tinystdio plus POSIX calls picolibc 1.8
 * lacks (libpagoda provides them): getline, getdelim, popen, pclose, the
 * *_unlocked calls and the stream locks.
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
FILE *popen(const char *command, const char *mode);
int pclose(FILE *f);
int getc_unlocked(FILE *f);
int getchar_unlocked(void);
int putc_unlocked(int c, FILE *f);
int putchar_unlocked(int c);
void flockfile(FILE *f);
int ftrylockfile(FILE *f);
void funlockfile(FILE *f);
__END_DECLS

#endif
