/*
 * <setjmp.h> for Pagoda: picolibc's, plus POSIX _setjmp/_longjmp
 * (libpagoda's setjmp.S; no signal mask is saved or restored).
 */
#ifndef _PAGODA_SETJMP_H
#define _PAGODA_SETJMP_H

#include <sys/cdefs.h>
#include_next <setjmp.h>

__BEGIN_DECLS
int _setjmp(jmp_buf env) __attribute__((__returns_twice__));
void _longjmp(jmp_buf env, int val) __attribute__((__noreturn__));
__END_DECLS

#endif
