/*
 * A string buffer that grows with kmalloc: the text of /proc files and of
 * mspace_display is built in one. On lack of memory the buffer stops growing
 * and sbuf_error() reports -ENOMEM.
 */
#ifndef KERNEL_LIB_SBUF_H
#define KERNEL_LIB_SBUF_H

#include "kernel/types.h"

struct sbuf {
	char *buf;      /* kmalloc'ed, NUL-terminated */
	size_t len;     /* bytes used, not counting the NUL */
	size_t cap;     /* bytes allocated */
	int error;      /* 0 or -ENOMEM */
};

void sbuf_init(struct sbuf *sb);
int sbuf_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sbuf_error(const struct sbuf *sb);
void sbuf_free(struct sbuf *sb);

#endif
