/*
 * The console: the UART driver and the tty line discipline on top of it
 * (echo, backspace, Ctrl-U, Ctrl-C sends SIGINT to the foreground process
 * group, Ctrl-D is end of file).
 */
#ifndef KERNEL_DEV_CONSOLE_H
#define KERNEL_DEV_CONSOLE_H

#include "kernel/types.h"

struct file_ops;

/* Early output through SBI before the UART driver is up; printk uses
 * console_putc which switches to the driver once it is up. "\n" is sent
 * as "\r\n". */
void console_putc(char c);
/* Write n bytes as one piece (not interleaved with other console output),
 * "\n" as "\r\n", polled: after the process output already queued, and
 * without waiting for interrupts. Any context, with or without locks held. */
void console_write(const char *s, size_t n);
/* Send all queued process output now, polled (before power-off). */
void console_flush(void);
void console_init(void);        /* probe the UART from the DTB, take IRQ */
/* The file operations of the console (read/write/ioctl for fd 0, 1, 2). */
extern const struct file_ops console_fops;

#endif
