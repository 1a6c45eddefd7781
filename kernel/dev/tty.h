/*
 * The interface between the console's two halves: the UART driver
 * (kernel/dev/uart.c) and the tty line discipline (kernel/dev/tty.c).
 * Nothing else includes it; the rest of the kernel uses console.h.
 */
#ifndef KERNEL_DEV_TTY_H
#define KERNEL_DEV_TTY_H

#include "kernel/types.h"

#define UART_WRITE_MAX  256     /* bytes per uart_write */

/* A byte received by the UART. Interrupt context. */
void tty_input(char c);

/*
 * Process output: queue n bytes (n <= UART_WRITE_MAX) for the transmit
 * interrupt as one piece; with crlf, "\n" goes out as "\r\n". Sleeps while
 * the output ring lacks room. => process context, no spinlock held.
 * Returns 0, -EAGAIN (nonblock and no room) or -EINTR (a signal came while
 * waiting); on an error nothing was queued.
 */
int uart_write(const char *s, size_t n, bool crlf, bool nonblock);
/* Echo: queue n bytes as one piece if they fit, else drop them. Never
 * sleeps. Any context. */
void uart_echo(const char *s, size_t n, bool crlf);
/* Drop queued output that has not reached the UART (Ctrl-C). Any context. */
void uart_discard(void);
/* Sleep until queued output has reached the UART. Returns 0 or -EINTR.
 * => process context, no spinlock held. */
int uart_drain(void);

#endif
