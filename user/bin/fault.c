/*
 * fault: a demonstration for students.  Stores through a NULL pointer;
 * page 0 is never mapped, so the kernel kills the process with SIGSEGV
 * (the shell then prints "Segmentation fault").
 */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	printf("fault: writing to address %p...\n", (void *)p);
	fflush(stdout);
	*p = 1;
	printf("fault: still alive?\n");
	return 1;
}
