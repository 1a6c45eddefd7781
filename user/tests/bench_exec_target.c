/*
 * bench_exec_target: the small program that /tests/bench execs to time
 * fork + execve + wait. It exits at once with status 0 and touches nothing.
 */
#include <unistd.h>

int main(void)
{
	_exit(0);
}
