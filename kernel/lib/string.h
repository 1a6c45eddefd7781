/* Freestanding string and memory functions for the kernel (kernel/lib/string.c). */
#ifndef KERNEL_LIB_STRING_H
#define KERNEL_LIB_STRING_H

#include "kernel/types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
/* Zero, or copy, one 4 KiB page: dst and src are page-aligned (virtual)
 * addresses of whole pages that do not overlap. Faster than memset and
 * memcpy for exactly this (the zero-fill and copy-on-write faults). */
void page_zero(void *dst);
void page_copy(void *dst, const void *src);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
size_t strlcat(char *dst, const char *src, size_t size);

#endif
