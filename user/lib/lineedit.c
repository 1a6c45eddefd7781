/*
 * Line editor behind <pagoda/lineedit.h>: raw-mode editing with history on
 * a terminal, plain byte-at-a-time reading elsewhere.  Redraws the whole
 * line after each change with ANSI sequences (CR, erase to end, cursor left).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <pagoda/lineedit.h>

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC     0x1b
#define KEY_DEL     0x7f
#define LE_OUT_MAX  4096

struct le_state {
	const char *prompt;
	char *buf;
	size_t size;
	size_t len;		/* bytes in buf */
	size_t pos;		/* cursor, 0..len */
	int hist;		/* history entry shown (le_nhist = the new line) */
};

static char *le_history[LINEEDIT_HISTORY];
static int le_nhist;
static struct termios le_saved;
static int le_raw;

static void le_write(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void le_puts(const char *s)
{
	le_write(s, strlen(s));
}

/* Redraw prompt and line, erase the rest, put the cursor at pos. */
static void le_refresh(struct le_state *st)
{
	char out[LE_OUT_MAX];
	int n;

	n = snprintf(out, sizeof(out), "\r%s%.*s\x1b[K", st->prompt ? st->prompt : "",
		     (int)st->len, st->buf);
	if (n > 0 && st->pos < st->len && (size_t)n < sizeof(out))
		n += snprintf(out + n, sizeof(out) - (size_t)n, "\x1b[%zuD", st->len - st->pos);
	if (n > 0)
		le_write(out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
}

/*
 * Show the change from `before` (whose text was old[0..n)) to st with as
 * little output as possible: typing or erasing at the end of the line and
 * plain cursor moves are echoed directly (so the prompt is not re-sent for
 * every key), anything else redraws the line.
 */
static void le_update(const struct le_state *before, const char *old, size_t n,
		      struct le_state *st)
{
	int same_prefix = n == before->len &&
		memcmp(old, st->buf, st->len < n ? st->len : n) == 0;
	int at_end = before->pos == before->len && st->pos == st->len;

	if (same_prefix && at_end && st->len == before->len + 1) {
		le_write(st->buf + before->len, 1);
	} else if (same_prefix && at_end && st->len + 1 == before->len) {
		le_puts("\b \b");
	} else if (same_prefix && st->len == before->len) {
		if (st->pos + 1 == before->pos)
			le_puts("\x1b[D");
		else if (st->pos == before->pos + 1)
			le_puts("\x1b[C");
		else if (st->pos != before->pos)
			le_refresh(st);
	} else {
		le_refresh(st);
	}
}

static void le_insert(struct le_state *st, char c)
{
	if (st->len + 1 >= st->size)
		return;
	memmove(st->buf + st->pos + 1, st->buf + st->pos, st->len - st->pos);
	st->buf[st->pos++] = c;
	st->len++;
}

static void le_delete(struct le_state *st, size_t at)
{
	if (at >= st->len)
		return;
	memmove(st->buf + at, st->buf + at + 1, st->len - at - 1);
	st->len--;
}

/* Show history entry h (le_nhist: an empty new line). */
static void le_show_history(struct le_state *st, int h)
{
	const char *s = h < le_nhist ? le_history[h % LINEEDIT_HISTORY] : "";

	if (h < 0 || h > le_nhist || le_nhist - h > LINEEDIT_HISTORY)
		return;
	st->hist = h;
	st->len = strlen(s) < st->size - 1 ? strlen(s) : st->size - 1;
	memcpy(st->buf, s, st->len);
	st->pos = st->len;
}

static void le_remember(const char *line)
{
	const char *last = le_nhist ? le_history[(le_nhist - 1) % LINEEDIT_HISTORY] : NULL;
	char *copy;

	if (line[0] == '\0' || (last && strcmp(last, line) == 0))
		return;
	copy = strdup(line);
	if (copy == NULL)
		return;
	free(le_history[le_nhist % LINEEDIT_HISTORY]);
	le_history[le_nhist % LINEEDIT_HISTORY] = copy;
	le_nhist++;
}

static int le_getc(void)
{
	unsigned char c;

	return read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

/* After ESC: arrows (ESC [ A..D or ESC O A..D), Home, End, Delete. */
static void le_escape(struct le_state *st)
{
	int c = le_getc(), d;

	if (c != '[' && c != 'O')
		return;
	c = le_getc();
	if (c >= '0' && c <= '9') {
		d = le_getc();
		if (d != '~')
			return;
		if (c == '3')
			le_delete(st, st->pos);
		else if (c == '1' || c == '7')
			st->pos = 0;
		else if (c == '4' || c == '8')
			st->pos = st->len;
		return;
	}
	switch (c) {
	case 'A': le_show_history(st, st->hist - 1); break;
	case 'B': le_show_history(st, st->hist + 1); break;
	case 'C': if (st->pos < st->len) st->pos++; break;
	case 'D': if (st->pos > 0) st->pos--; break;
	case 'H': st->pos = 0; break;
	case 'F': st->pos = st->len; break;
	}
}

/*
 * Handle one key.  Returns 1 when the line is complete, -1 at end of
 * input, 0 to go on.
 */
static int le_key(struct le_state *st, int c)
{
	switch (c) {
	case -1:
		return st->len ? 1 : -1;
	case '\r': case '\n':
		return 1;
	case KEY_CTRL('D'):
		if (st->len == 0)
			return -1;
		le_delete(st, st->pos);
		break;
	case KEY_CTRL('C'):
		le_puts("^C\r\n");
		st->len = st->pos = 0;
		st->hist = le_nhist;
		break;
	case KEY_DEL: case KEY_CTRL('H'):
		if (st->pos > 0)
			le_delete(st, --st->pos);
		break;
	case KEY_CTRL('A'): st->pos = 0; break;
	case KEY_CTRL('E'): st->pos = st->len; break;
	case KEY_CTRL('U'):
		memmove(st->buf, st->buf + st->pos, st->len - st->pos);
		st->len -= st->pos;
		st->pos = 0;
		break;
	case KEY_CTRL('K'): st->len = st->pos; break;
	case KEY_CTRL('L'): le_puts("\x1b[H\x1b[2J"); break;
	case KEY_ESC: le_escape(st); break;
	default:
		if (c >= ' ')
			le_insert(st, (char)c);
		break;
	}
	return 0;
}

static int le_read_raw(const char *prompt, char *buf, size_t size)
{
	struct le_state st = { .prompt = prompt, .buf = buf, .size = size,
			       .hist = le_nhist };
	struct termios raw = le_saved;
	int r;

	raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(ICRNL | IXON | INLCR | IGNCR);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	le_raw = 1;
	if (prompt)
		le_puts(prompt);
	for (;;) {
		struct le_state before = st;
		char old[LE_OUT_MAX];
		size_t keep = st.len < sizeof(old) ? st.len : sizeof(old);

		memcpy(old, st.buf, keep);
		r = le_key(&st, le_getc());
		if (r != 0)
			break;
		le_update(&before, old, keep, &st);
	}
	lineedit_done();
	buf[st.len] = '\0';
	le_puts("\r\n");
	if (r < 0)
		return -1;
	le_remember(buf);
	return (int)st.len;
}

/* Plain input: one byte at a time up to the newline. */
static int le_read_plain(char *buf, size_t size)
{
	size_t n = 0;
	int c;

	while ((c = le_getc()) >= 0 && c != '\n')
		if (n + 1 < size)
			buf[n++] = (char)c;
	buf[n] = '\0';
	if (c < 0 && n == 0)
		return -1;
	return (int)n;
}

int lineedit_read(const char *prompt, char *buf, size_t size)
{
	if (size == 0)
		return -1;
	fflush(stdout);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &le_saved) == 0)
		return le_read_raw(prompt, buf, size);
	if (prompt)
		le_puts(prompt);
	return le_read_plain(buf, size);
}

void lineedit_done(void)
{
	if (le_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &le_saved);
		le_raw = 0;
	}
}
