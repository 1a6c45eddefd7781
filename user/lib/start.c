/*
 * C half of program start-up (crt0.S calls pg_start): finds argv, envp and
 * the aux vector on the initial stack, sets environ, runs constructors and
 * main, and exits with main's status (exit runs destructors, which flush stdio).
 */
#include <stdlib.h>
#include <unistd.h>

#define AT_NULL   0
#define AT_PAGESZ 6

extern char **environ;
extern void __libc_init_array(void);
int main(int argc, char **argv, char **envp);
void pg_start(long *sp) __attribute__((noreturn));

/* The aux vector as the kernel passed it (pairs of type, value). */
unsigned long *pg_auxv;
/* Page size, from AT_PAGESZ when the kernel gives it. */
unsigned long pg_page_size = 4096;

void pg_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **p = envp;

	while (*p)
		p++;
	pg_auxv = (unsigned long *)(p + 1);
	for (unsigned long *a = pg_auxv; a[0] != AT_NULL; a += 2)
		if (a[0] == AT_PAGESZ)
			pg_page_size = a[1];
	environ = envp;
	__libc_init_array();
	exit(main(argc, argv, envp));
}
