/* <sys/fcntl.h>: same as <fcntl.h> (Linux values) on Pagoda. */
#include <fcntl.h>
