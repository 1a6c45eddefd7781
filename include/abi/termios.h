/*
 * struct termios and its flag values of the Linux asm-generic ABI
 * (include/uapi/asm-generic/termbits.h): four 32-bit flag words, c_line,
 * c_cc[19], 36 bytes, as TCGETS and TCSETS* move it. The one copy, for
 * the kernel's console (kernel/dev/tty.c) and for user space
 * (<termios.h>).
 */
#ifndef PAGODA_ABI_TERMIOS_H
#define PAGODA_ABI_TERMIOS_H

#define NCCS 19
struct termios {
	unsigned int c_iflag;		/* input modes (tcflag_t) */
	unsigned int c_oflag;		/* output modes */
	unsigned int c_cflag;		/* control modes */
	unsigned int c_lflag;		/* local modes */
	unsigned char c_line;		/* line discipline (cc_t) */
	unsigned char c_cc[NCCS];	/* control characters, indexed by V* */
};
_Static_assert(sizeof(struct termios) == 36, "Linux kernel struct termios is 36 bytes");

/* c_cc indices */
#define VINTR    0
#define VQUIT    1
#define VERASE   2
#define VKILL    3
#define VEOF     4
#define VTIME    5
#define VMIN     6
#define VSWTC    7
#define VSTART   8
#define VSTOP    9
#define VSUSP    10
#define VEOL     11
#define VREPRINT 12
#define VDISCARD 13
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16

/* c_iflag */
#define IGNBRK  0000001
#define BRKINT  0000002
#define IGNPAR  0000004
#define PARMRK  0000010
#define INPCK   0000020
#define ISTRIP  0000040
#define INLCR   0000100
#define IGNCR   0000200
#define ICRNL   0000400
#define IUCLC   0001000
#define IXON    0002000
#define IXANY   0004000
#define IXOFF   0010000
#define IMAXBEL 0020000
#define IUTF8   0040000

/* c_oflag */
#define OPOST  0000001
#define OLCUC  0000002
#define ONLCR  0000004
#define OCRNL  0000010
#define ONOCR  0000020
#define ONLRET 0000040

/* c_cflag */
#define CBAUD   0010017
#define B0      0000000
#define B1200   0000011
#define B2400   0000013
#define B4800   0000014
#define B9600   0000015
#define B19200  0000016
#define B38400  0000017
#define B57600  0010001
#define B115200 0010002
#define CSIZE   0000060
#define CS5     0000000
#define CS6     0000020
#define CS7     0000040
#define CS8     0000060
#define CSTOPB  0000100
#define CREAD   0000200
#define PARENB  0000400
#define PARODD  0001000
#define HUPCL   0002000
#define CLOCAL  0004000

/* c_lflag */
#define ISIG    0000001
#define ICANON  0000002
#define XCASE   0000004
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHONL  0000100
#define NOFLSH  0000200
#define TOSTOP  0000400
#define ECHOCTL 0001000
#define ECHOPRT 0002000
#define ECHOKE  0004000
#define FLUSHO  0010000
#define PENDIN  0040000
#define IEXTEN  0100000

#endif
