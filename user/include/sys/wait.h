/*
 * <sys/wait.h> for Pagoda: Linux wait status encoding and options, wait4.
 * Status: low 7 bits = terminating signal (0 = exited), bits 8-15 = exit code.
 */
#ifndef _PAGODA_SYS_WAIT_H
#define _PAGODA_SYS_WAIT_H

#include <sys/cdefs.h>
#include <sys/types.h>

#define WNOHANG    1
#define WUNTRACED  2
#define WSTOPPED   WUNTRACED
#define WEXITED    4
#define WCONTINUED 8

#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s)    ((s) & 0x7f)
#define WSTOPSIG(s)    WEXITSTATUS(s)
#define WCOREDUMP(s)   ((s) & 0x80)
#define WIFEXITED(s)   (WTERMSIG(s) == 0)
#define WIFSTOPPED(s)  (((s) & 0xff) == 0x7f)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0 && WTERMSIG(s) != 0x7f)
#define WIFCONTINUED(s) ((s) == 0xffff)

struct rusage;

__BEGIN_DECLS
pid_t wait(int *status);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru);
__END_DECLS

#endif
