/*
 * <sys/ioctl.h> for Pagoda: ioctl() and the Linux terminal request numbers.
 */
#ifndef _PAGODA_SYS_IOCTL_H
#define _PAGODA_SYS_IOCTL_H

#include <sys/cdefs.h>

#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCFLSH     0x540B
#define TIOCSCTTY  0x540E
#define TIOCGPGRP  0x540F
#define TIOCSPGRP  0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541B

struct winsize {
	unsigned short ws_row;
	unsigned short ws_col;
	unsigned short ws_xpixel;
	unsigned short ws_ypixel;
};

__BEGIN_DECLS
int ioctl(int fd, unsigned long request, ...);
__END_DECLS

#endif
