/* <sys/termios.h>: see <termios.h>. */
#include <termios.h>
