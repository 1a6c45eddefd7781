/*
 * Host shim for kernel/lib/string.h: the C library's functions, plus
 * strlcpy/strlcat, which glibc before 2.38 lacks.
 */
#ifndef KERNEL_LIB_STRING_H
#define KERNEL_LIB_STRING_H

#include <string.h>
#include "kernel/types.h"

static inline size_t host_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

static inline size_t host_strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = strnlen(dst, size);

	if (dlen == size)
		return size + strlen(src);
	return dlen + host_strlcpy(dst + dlen, src, size - dlen);
}

#define strlcpy host_strlcpy
#define strlcat host_strlcat

/* kernel/lib/string.c's whole-page zero and copy (4 KiB, no overlap). */
static inline void page_zero(void *dst)
{
	memset(dst, 0, 4096);
}

static inline void page_copy(void *dst, const void *src)
{
	memcpy(dst, src, 4096);
}

#endif
