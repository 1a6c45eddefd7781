/*
 * The interface between the console's two halves: the UART driver
 * (kernel/dev/uart.c) and the tty line discipline (kernel/dev/tty.c).
 * Nothing else includes it; the rest of the kernel uses console.h.
 */
#ifndef KERNEL_DEV_TTY_H
#define KERNEL_DEV_TTY_H

#include "kernel/types.h"

/* A byte received by the UART. Interrupt context. */
void tty_input(char c);

/* Send n bytes to the UART (or through SBI before it is up) as one piece;
 * with crlf, "\n" goes out as "\r\n". Any context; polls the transmitter. */
void uart_write(const char *s, size_t n, bool crlf);

#endif
