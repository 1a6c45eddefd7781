/*
 * The console tty: the line discipline between the UART and the processes
 * reading fd 0. Canonical mode edits a line (echo, erase, kill, Ctrl-C,
 * Ctrl-D) before readers see it; non-canonical mode hands over each byte.
 * The UART interrupt feeds tty_input; console_fops is the file interface.
 */
#include "kernel/dev/console.h"
#include "kernel/dev/chrdev.h"
#include "kernel/dev/tty.h"
#include "kernel/errno.h"
#include "kernel/fs/file.h"
#include "kernel/fs/stat.h"
#include "kernel/fs/uio.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/string.h"
#include "kernel/lock.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/uaccess.h"
#include "include/abi/ioctl.h"
#include "include/abi/signal.h"
#include "include/abi/termios.h"

#define TTY_BUF_SIZE    1024            /* input bytes, a power of two */
#define TTY_IO_CHUNK    256             /* bytes moved per uio_move */
_Static_assert(TTY_IO_CHUNK <= UART_WRITE_MAX, "a chunk is one uart_write");
#define TTY_ROWS        24
#define TTY_COLS        80
#define TTY_CTRL(c)     ((c) & 0x1f)
#define TTY_CARET(c)    ((c) ^ 0x40)    /* 0x01 -> 'A', DEL -> '?' */
#define TTY_BACKSPACE   '\b'
#define TTY_DEL         0x7f
#define TTY_EOF_MARK    TTY_CTRL('D')   /* stored for Ctrl-D in the buffer */

/* The ioctl requests, struct termios, struct winsize, the flag bits and
 * SIGINT are the Linux asm-generic ABI's, in include/abi (shared with
 * user space). */

/*
 * Input is a ring of TTY_BUF_SIZE bytes indexed by free-running counters:
 * [rpos, commit) readers may take, [commit, edit) is the line being edited.
 * Invariant: rpos <= commit <= edit <= rpos + TTY_BUF_SIZE.
 * Locking: (l) tty.lock (below it only the UART's locks).
 */
static struct {
	struct spinlock lock;
	char buf[TTY_BUF_SIZE];         /* (l) */
	uint32_t rpos;                  /* (l) next byte to read */
	uint32_t commit;                /* (l) end of readable bytes */
	uint32_t edit;                  /* (l) end of the edited line */
	struct termios tio;         /* (l) */
	pid_t fg_pgrp;                  /* (l) Ctrl-C goes here; 0: nowhere */
} tty = {
	.lock = SPINLOCK_INIT("tty"),
	.tio = {
		.c_iflag = ICRNL,
		.c_oflag = OPOST | ONLCR,
		.c_cflag = B38400 | CS8 | CREAD,
		.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN,
		.c_cc = { [VINTR] = TTY_CTRL('C'), [VQUIT] = TTY_CTRL('\\'),
			  [VERASE] = TTY_DEL, [VKILL] = TTY_CTRL('U'),
			  [VEOF] = TTY_CTRL('D'), [VTIME] = 0, [VMIN] = 1 },
	},
};

/* True if c is the special character cc[idx] (0 disables it). */
static bool _tty_is_cc(char c, int idx)
{
	return tty.tio.c_cc[idx] != 0 && (uint8_t)c == tty.tio.c_cc[idx];
}

static bool _tty_onlcr(void)
{
	return (tty.tio.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
}

/* Echo n bytes if ECHO is on (dropped if the output ring is full).
 * => tty.lock held. */
static void _tty_echo(const char *s, size_t n)
{
	if (tty.tio.c_lflag & ECHO)
		uart_echo(s, n, _tty_onlcr());
}

/* Append c to the edited line if it leaves `keep` bytes free. */
static bool _tty_store(char c, uint32_t keep)
{
	if (tty.edit - tty.rpos + keep >= TTY_BUF_SIZE)
		return false;
	tty.buf[tty.edit++ % TTY_BUF_SIZE] = c;
	return true;
}

/* Make everything typed so far readable and wake readers. */
static void _tty_commit(void)
{
	tty.commit = tty.edit;
	sched_wakeup(&tty);
}

static bool tty_is_ctrl(char c)
{
	return (uint8_t)c < ' ' || c == TTY_DEL;
}

/* Erase the last byte of the edited line from buffer and screen. */
static void _tty_erase(void)
{
	char c;

	if (tty.edit == tty.commit)
		return;
	c = tty.buf[--tty.edit % TTY_BUF_SIZE];
	_tty_echo("\b \b", 3);
	if (tty_is_ctrl(c) && c != '\t')
		_tty_echo("\b \b", 3);          /* it was echoed as ^X */
}

/* Echo a typed byte: printable bytes and tab as they are, other control
 * bytes as ^X. */
static void _tty_echo_char(char c)
{
	char caret[2] = { '^', (char)TTY_CARET(c) };

	if (tty_is_ctrl(c) && c != '\t' && c != '\n')
		_tty_echo(caret, sizeof(caret));
	else
		_tty_echo(&c, 1);
}

/* Canonical mode: edit the line; newline and Ctrl-D make it readable. */
static void _tty_input_canon(char c)
{
	if (c == TTY_BACKSPACE || _tty_is_cc(c, VERASE)) {
		_tty_erase();
	} else if (_tty_is_cc(c, VKILL)) {
		while (tty.edit != tty.commit)
			_tty_erase();
	} else if (_tty_is_cc(c, VEOF)) {
		if (_tty_store(TTY_EOF_MARK, 0))
			_tty_commit();
	} else if (c == '\n') {
		if (_tty_store(c, 0)) {
			_tty_echo_char(c);
			_tty_commit();
		}
	} else if (_tty_store(c, 1)) {  /* keep room for the line's end */
		_tty_echo_char(c);
	}
}

/* Non-canonical mode: every byte is readable at once. */
static void _tty_input_raw(char c)
{
	if (_tty_store(c, 0)) {
		_tty_echo(&c, 1);
		_tty_commit();
	}
}

/* Ctrl-C: drop all unread input and, unless NOFLSH, the output not yet
 * sent (as Linux does); return the group to signal. */
static pid_t _tty_interrupt(void)
{
	tty.commit = tty.edit = tty.rpos;
	if (!(tty.tio.c_lflag & NOFLSH))
		uart_discard();
	_tty_echo("^C\n", 3);
	return tty.fg_pgrp;
}

/*
 * A byte from the UART (interrupt context). Applies the input mapping of
 * c_iflag, then the line discipline. SIGINT goes out after tty.lock is
 * released, since signalling takes process locks.
 */
void tty_input(char c)
{
	pid_t pgrp = 0;

	spin_lock(&tty.lock);
	if (c == '\r' && (tty.tio.c_iflag & IGNCR)) {
		spin_unlock(&tty.lock);
		return;
	}
	if (c == '\r' && (tty.tio.c_iflag & ICRNL))
		c = '\n';
	else if (c == '\n' && (tty.tio.c_iflag & INLCR))
		c = '\r';
	if ((tty.tio.c_lflag & ISIG) && _tty_is_cc(c, VINTR))
		pgrp = _tty_interrupt();
	else if (tty.tio.c_lflag & ICANON)
		_tty_input_canon(c);
	else
		_tty_input_raw(c);
	spin_unlock(&tty.lock);
	if (pgrp > 0)
		proc_signal_pgrp(pgrp, SIGINT);
}

/*
 * Take up to max readable bytes into kbuf. In canonical mode stop after a
 * newline, and at the Ctrl-D mark, which is consumed and not returned (so a
 * read at the start of a line returns 0: end of file).
 * => tty.lock held. Returns the byte count.
 */
static size_t _tty_take(char *kbuf, size_t max)
{
	bool canon = (tty.tio.c_lflag & ICANON) != 0;
	size_t n = 0;

	while (n < max && tty.rpos != tty.commit) {
		char c = tty.buf[tty.rpos % TTY_BUF_SIZE];

		tty.rpos++;
		if (canon && c == TTY_EOF_MARK)
			return n;
		kbuf[n++] = c;
		if (canon && c == '\n')
			return n;
	}
	/* A line read up to its Ctrl-D end: the mark goes with it. */
	if (canon && tty.rpos != tty.commit &&
	    tty.buf[tty.rpos % TTY_BUF_SIZE] == TTY_EOF_MARK)
		tty.rpos++;
	return n;
}

/* Give back bytes [start, end) that _tty_take took but a reader could not
 * copy out (a bad buffer, or a signal during the copy), unless another
 * reader took bytes since or new input may have reused their slots.
 * => tty.lock held. */
static void _tty_untake(uint32_t start, uint32_t end)
{
	if (tty.rpos == end && tty.edit - start <= TTY_BUF_SIZE)
		tty.rpos = start;
}

/*
 * read(2) on the console: sleep until input is readable (a line in
 * canonical mode, at least one byte otherwise), then copy it out.
 * Returns the bytes read, 0 at end of file, -EAGAIN (O_NONBLOCK, nothing
 * there), -EINTR (a signal came while waiting) or -EFAULT.
 */
static ssize_t console_read(struct file *f, struct uio *uio)
{
	char kbuf[TTY_IO_CHUNK];
	size_t want = MIN(uio->resid, sizeof(kbuf)), n;
	uint32_t start, end;
	int err;

	if (want == 0)
		return 0;
	spin_lock(&tty.lock);
	while (tty.commit == tty.rpos) {
		if ((f->flags & O_NONBLOCK) || sched_sleep(&tty, &tty.lock) < 0) {
			spin_unlock(&tty.lock);
			return (f->flags & O_NONBLOCK) ? -EAGAIN : -EINTR;
		}
	}
	start = tty.rpos;
	n = _tty_take(kbuf, want);
	end = tty.rpos;
	spin_unlock(&tty.lock);
	if (n == 0)
		return 0;
	err = uio_move(kbuf, n, uio, true);
	if (err < 0) {
		/* Typed input is not lost to a failed copy. */
		spin_lock(&tty.lock);
		_tty_untake(start, end);
		spin_unlock(&tty.lock);
		return err;
	}
	return (ssize_t)n;
}

/*
 * write(2) on the console: queue the bytes for the UART, "\n" as "\r\n"
 * while OPOST|ONLCR is set, sleeping while its output ring is full.
 * Returns the bytes queued, or if none: -EFAULT, -EAGAIN (O_NONBLOCK and
 * the ring full) or -EINTR (a signal came while waiting).
 */
static ssize_t console_fwrite(struct file *f, struct uio *uio)
{
	char kbuf[TTY_IO_CHUNK];
	ssize_t done = 0;
	bool crlf;
	int err;

	while (uio->resid > 0) {
		size_t n = MIN(uio->resid, sizeof(kbuf));

		err = uio_move(kbuf, n, uio, false);
		if (err < 0)
			return done > 0 ? done : err;
		spin_lock(&tty.lock);
		crlf = _tty_onlcr();
		spin_unlock(&tty.lock);
		err = uart_write(kbuf, n, crlf, (f->flags & O_NONBLOCK) != 0);
		if (err < 0)
			return done > 0 ? done : err;
		done += (ssize_t)n;
	}
	return done;
}

/* TCSETS*: install new settings from user memory; TCSETSW and TCSETSF
 * first wait for queued output to go out, TCSETSF also drops unread input.
 * Leaving canonical mode makes a half-typed line readable. */
static long tty_set_termios(vaddr_t uarg, bool drain, bool flush)
{
	struct termios t;
	int err = copyin(&t, uarg, sizeof(t));

	if (err == 0 && drain)
		err = uart_drain();
	if (err < 0)
		return err;
	spin_lock(&tty.lock);
	if (flush)
		tty.commit = tty.edit = tty.rpos;
	tty.tio = t;
	if (!(t.c_lflag & ICANON) && tty.commit != tty.edit)
		_tty_commit();
	spin_unlock(&tty.lock);
	return 0;
}

static long tty_get_termios(vaddr_t uarg)
{
	struct termios t;

	spin_lock(&tty.lock);
	t = tty.tio;
	spin_unlock(&tty.lock);
	return copyout(uarg, &t, sizeof(t));
}

/* TIOCGPGRP / TIOCSPGRP: the foreground process group for Ctrl-C. */
static long tty_pgrp(unsigned long cmd, vaddr_t uarg)
{
	pid_t pg;
	int err;

	if (cmd == TIOCGPGRP) {
		spin_lock(&tty.lock);
		pg = tty.fg_pgrp;
		spin_unlock(&tty.lock);
		return copyout(uarg, &pg, sizeof(pg));
	}
	err = copyin(&pg, uarg, sizeof(pg));
	if (err < 0)
		return err;
	if (pg <= 0)
		return -EINVAL;
	spin_lock(&tty.lock);
	tty.fg_pgrp = pg;
	spin_unlock(&tty.lock);
	return 0;
}

/*
 * ioctl(2) on the console: TCGETS, TCSETS, TCSETSW, TCSETSF (Linux
 * asm-generic struct termios), TIOCGWINSZ (24x80), TIOCGPGRP, TIOCSPGRP.
 * Returns 0, -EFAULT, -EINTR (a signal while TCSETSW/TCSETSF waited for
 * output), -EINVAL (bad process group) or -ENOTTY (others).
 */
static long console_ioctl(struct file *f __unused, unsigned long cmd,
			  vaddr_t uarg)
{
	struct winsize ws = { .ws_row = TTY_ROWS, .ws_col = TTY_COLS };

	switch (cmd) {
	case TCGETS:
		return tty_get_termios(uarg);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return tty_set_termios(uarg, cmd != TCSETS, cmd == TCSETSF);
	case TIOCGWINSZ:
		return copyout(uarg, &ws, sizeof(ws));
	case TIOCGPGRP:
	case TIOCSPGRP:
		return tty_pgrp(cmd, uarg);
	default:
		return -ENOTTY;
	}
}

#define CONSOLE_MODE    (S_IFCHR | 0620)
#define CONSOLE_BLKSIZE 1024            /* st_blksize, bytes */

/* stat of the console files the kernel opens for init (fds 0-2): the
 * character device 5:1, as /dev/console shows it. */
static int console_stat(struct file *f __unused, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = CONSOLE_MODE;
	st->st_nlink = 1;
	st->st_rdev = RDEV_MAKE(TTYAUX_MAJOR, TTYAUX_CONSOLE);
	st->st_blksize = CONSOLE_BLKSIZE;
	return 0;
}

const struct file_ops console_fops = {
	.read = console_read,
	.write = console_fwrite,
	.ioctl = console_ioctl,
	.stat = console_stat,
};

/* The console opened through /dev/tty or /dev/console: the same tty, a
 * reference to the device node in f->priv for stat. The file has no
 * vnode, so it is not seekable (ESPIPE) and reads and writes never wait
 * on each other's file position lock. */
static int tty_dev_stat(struct file *f, struct stat *st)
{
	return vfs_stat(f->priv, st);
}

static void tty_dev_close(struct file *f)
{
	vnode_put(f->priv);
}

static const struct file_ops tty_dev_fops = {
	.read = console_read,
	.write = console_fwrite,
	.ioctl = console_ioctl,
	.stat = tty_dev_stat,
	.close = tty_dev_close,
};

/* /dev/tty (5:0) and /dev/console (5:1) are both the one console: every
 * process's controlling terminal is the console. See chrdev.h. */
int tty_dev_open(struct vnode *vn, unsigned int minor, int flags, struct file **out)
{
	if (minor != TTYAUX_TTY && minor != TTYAUX_CONSOLE)
		return -ENXIO;
	struct file *f = file_alloc(&tty_dev_fops, flags & (O_ACCMODE | O_NONBLOCK));
	if (f == NULL)
		return -ENOMEM;
	vnode_ref(vn);
	f->priv = vn;
	*out = f;
	return 0;
}
