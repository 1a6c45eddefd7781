/* <ucontext.h>: ucontext_t (see <sys/ucontext.h>). No getcontext family. */
#include <sys/ucontext.h>
