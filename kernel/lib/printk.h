/*
 * Kernel console output, panic and assertions.
 * printk may be called from any context, with or without locks held; it
 * serialises whole lines so harts do not interleave.
 */
#ifndef KERNEL_LIB_PRINTK_H
#define KERNEL_LIB_PRINTK_H

#include "kernel/types.h"

/* printf-style formatting: %d %i %u %x %lx %ld %lu %llx %p %s %c %% with
 * width and zero padding. Returns the number of characters written. */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Stop every hart after printing the message and a symbolized backtrace.
 * For kernel bugs only: never for bad user input or lack of memory. */
void panic(const char *fmt, ...) __noreturn __attribute__((format(printf, 1, 2)));

/* Print the call chain of the current hart, one symbolized frame a line. */
void backtrace_print(void);
/* The kernel function holding text address pc and pc's offset in it, or
 * NULL (e.g. for trap messages: "%s+0x%lx"). */
const char *ksym_name(vaddr_t pc, uint64_t *offset);

/* True once some hart has panicked (console code then skips its locks). */
bool panic_in_progress(void);
/* True if a hart other than this one has panicked: the caller should stop
 * this hart (cpu_halt in arch/riscv/boot.h). Checked by printk, the timer
 * tick and spinning lock waiters. */
bool panic_on_other_hart(void);

#define KASSERT(cond, msg, ...)                                              \
	do {                                                                 \
		if (unlikely(!(cond)))                                       \
			panic("%s:%d: %s: assertion \"%s\" failed: " msg,    \
			      __FILE__, __LINE__, __func__, #cond,           \
			      ##__VA_ARGS__);                                \
	} while (0)

#endif
