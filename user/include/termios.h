/*
 * <termios.h> for Pagoda: the Linux kernel struct termios (asm-generic:
 * four 32-bit flag words, c_line, c_cc[19]) and its flag values, from
 * <abi/termios.h> (the kernel's own copy), so tcgetattr/tcsetattr are
 * plain TCGETS/TCSETS* ioctls.
 */
#ifndef _PAGODA_TERMIOS_H
#define _PAGODA_TERMIOS_H

#include <sys/cdefs.h>
#include <sys/types.h>

typedef unsigned char cc_t;
typedef unsigned int speed_t;
typedef unsigned int tcflag_t;

#include <abi/termios.h>

/* tcsetattr actions, tcflush queues */
#define TCSANOW   0
#define TCSADRAIN 1
#define TCSAFLUSH 2
#define TCIFLUSH  0
#define TCOFLUSH  1
#define TCIOFLUSH 2

__BEGIN_DECLS
int tcgetattr(int fd, struct termios *t);
int tcsetattr(int fd, int action, const struct termios *t);
int tcflush(int fd, int queue);
void cfmakeraw(struct termios *t);
speed_t cfgetispeed(const struct termios *t);
speed_t cfgetospeed(const struct termios *t);
int cfsetispeed(struct termios *t, speed_t speed);
int cfsetospeed(struct termios *t, speed_t speed);
pid_t tcgetpgrp(int fd);
int tcsetpgrp(int fd, pid_t pgrp);
__END_DECLS

#endif
