/*
 * Basic kernel types. Included by every kernel file and by the host unit
 * tests, so it must not depend on anything but the compiler's freestanding
 * headers.
 */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint64_t vaddr_t;   /* a virtual address (user or kernel) */
typedef uint64_t paddr_t;   /* a physical address */
typedef int64_t  off_t;     /* a byte offset in a file */
typedef int64_t  ssize_t;
typedef int32_t  pid_t;
typedef uint32_t mode_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef uint64_t ino_t;
typedef uint64_t dev_t;

#define ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)          ((a) < (b) ? (a) : (b))
#define MAX(a, b)          ((a) > (b) ? (a) : (b))
#define ROUNDUP(x, a)      ((((x) + (a) - 1) / (a)) * (a))
#define ROUNDDOWN(x, a)    (((x) / (a)) * (a))
#define IS_POWER_OF_2(x)   ((x) != 0 && (((x) & ((x) - 1)) == 0))
#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

#define __unused     __attribute__((unused))
#define __noreturn   __attribute__((noreturn))
#define __noinline   __attribute__((noinline))  /* a slow path kept out of its caller */
#define __packed     __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
/* Make var's value opaque to the optimizer: it stays in the register it
 * is in, instead of being recomputed from what it was derived from. */
#define OPTIMIZER_HIDE_VAR(var) __asm__("" : "+r"(var))
#define likely(x)    __builtin_expect(!!(x), 1)
#define unlikely(x)  __builtin_expect(!!(x), 0)

#endif
