/*
 * Host shim for kernel/lib/printk.h: printk prints a TAP comment line
 * ("# ...") on stdout, panic prints its message and aborts, KASSERT is the
 * kernel's. snprintf and vsnprintf are the C library's.
 */
#ifndef KERNEL_LIB_PRINTK_H
#define KERNEL_LIB_PRINTK_H

#include <stdio.h>
#include <stdlib.h>
#include "kernel/types.h"

static inline __attribute__((format(printf, 1, 0)))
int vprintk(const char *fmt, va_list ap)
{
	return printf("# ") + vprintf(fmt, ap);
}

static inline __attribute__((format(printf, 1, 2)))
int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

static inline void backtrace_print(void) {}
static inline bool panic_in_progress(void) { return false; }

static inline __noreturn __attribute__((format(printf, 1, 2)))
void panic(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

#define KASSERT(cond, msg, ...)                                              \
	do {                                                                 \
		if (unlikely(!(cond)))                                       \
			panic("%s:%d: %s: assertion \"%s\" failed: " msg,    \
			      __FILE__, __LINE__, __func__, #cond,           \
			      ##__VA_ARGS__);                                \
	} while (0)

#endif
