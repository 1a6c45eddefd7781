/*
 * The terminal ioctl request numbers of the Linux asm-generic ABI
 * (include/uapi/asm-generic/ioctls.h) and struct winsize. The one copy,
 * for the kernel's console (kernel/dev/tty.c) and for user space
 * (<sys/ioctl.h>).
 */
#ifndef PAGODA_ABI_IOCTL_H
#define PAGODA_ABI_IOCTL_H

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

#endif
