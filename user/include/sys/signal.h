/* <sys/signal.h>: see <signal.h> (Linux values). */
#include <signal.h>
