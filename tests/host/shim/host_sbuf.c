/*
 * Host version of kernel/lib/sbuf.h for unit tests: the same contract,
 * growing with realloc instead of kmalloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include "kernel/lib/sbuf.h"
#include "kernel/errno.h"

void sbuf_init(struct sbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->error = 0;
}

int sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->error)
		return sb->error;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sb->error = -ENOMEM;
	if (sb->len + (size_t)n + 1 > sb->cap) {
		size_t cap = (sb->len + (size_t)n + 1) * 2;
		char *p = realloc(sb->buf, cap);

		if (p == NULL)
			return sb->error = -ENOMEM;
		sb->buf = p;
		sb->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_error(const struct sbuf *sb)
{
	return sb->error;
}

void sbuf_free(struct sbuf *sb)
{
	free(sb->buf);
	sbuf_init(sb);
}
