/*
 * Growing string buffers for text built in the kernel (/proc files,
 * mspace_display). Memory comes from kmalloc; the owner frees it with
 * sbuf_free. No locking: an sbuf belongs to one caller.
 */
#include "kernel/lib/sbuf.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/errno.h"
#include "kernel/vm/kmem.h"

#define SBUF_INITIAL_CAP 128    /* bytes */

/* Make room for at least need bytes (with the NUL). Returns 0 or -ENOMEM;
 * on -ENOMEM the old content stays and the error sticks. */
static int sbuf_grow(struct sbuf *sb, size_t need)
{
	size_t cap = sb->cap > 0 ? sb->cap : SBUF_INITIAL_CAP;
	char *nbuf;

	while (cap < need)
		cap *= 2;
	nbuf = kmalloc(cap);
	if (nbuf == NULL) {
		sb->error = -ENOMEM;
		return -ENOMEM;
	}
	if (sb->buf != NULL) {
		memcpy(nbuf, sb->buf, sb->len + 1);
		kfree(sb->buf);
	} else {
		nbuf[0] = '\0';
	}
	sb->buf = nbuf;
	sb->cap = cap;
	return 0;
}

/* An empty buffer. If the first allocation fails, sbuf_error says so. */
void sbuf_init(struct sbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->error = 0;
	sbuf_grow(sb, SBUF_INITIAL_CAP);
}

/*
 * Append printf-style text. Returns the bytes appended, or -ENOMEM (the
 * buffer then keeps what it had and every later call fails the same way).
 */
int sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->error != 0)
		return sb->error;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL,
		      sb->buf ? sb->cap - sb->len : 0, fmt, ap);
	va_end(ap);
	if (sb->buf == NULL || sb->len + (size_t)n + 1 > sb->cap) {
		if (sbuf_grow(sb, sb->len + (size_t)n + 1) < 0) {
			if (sb->buf != NULL)
				sb->buf[sb->len] = '\0';
			return -ENOMEM;
		}
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
	return n;
}

/* 0, or -ENOMEM if some append did not fit. */
int sbuf_error(const struct sbuf *sb)
{
	return sb->error;
}

/* Free the memory; the sbuf may be initialised again. */
void sbuf_free(struct sbuf *sb)
{
	if (sb->buf != NULL)
		kfree(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->error = 0;
}
