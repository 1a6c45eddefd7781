/*
 * The 16550 UART console driver. Receive is interrupt driven into the tty.
 * Transmit has two paths, kept in order by one lock:
 *
 *  - Process output (console writes and tty echo) goes into a ring of
 *    UART_RING_SIZE bytes. A writer that queues bytes starts the
 *    transmitter: it fills the 16-byte FIFO while LSR.THRE says it is
 *    empty, and turns on the THR-empty interrupt (IER.ETBEI) while bytes
 *    remain. The interrupt refills the FIFO from the ring. A writer that
 *    finds no room sleeps on the ring (interruptibly) until the interrupt
 *    has freed half of it; echo never sleeps and drops what does not fit.
 *  - printk and panic are polled (they must work with interrupts off and
 *    from any context): under the lock, console_write first sends what the
 *    ring holds, then its own bytes, so a kernel line never lands inside
 *    queued process output. During a panic the ring and the lock are left
 *    alone. Before console_init maps the UART, everything goes through the
 *    SBI legacy putchar.
 *
 * Nothing but printk's polled path waits for the transmitter. Only tty.c
 * (through tty.h), printk and reboot (through console.h) call it.
 */
#include "kernel/dev/console.h"
#include "kernel/dev/tty.h"
#include "kernel/dev/dev.h"
#include "kernel/dtb.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/lock.h"
#include "kernel/proc/sched.h"
#include "kernel/vm/kva.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/vmparam.h"

/* 16550 registers (in units of 1 << reg-shift bytes) and bits. */
#define UART_RBR        0       /* receive buffer (read) */
#define UART_THR        0       /* transmit holding (write) */
#define UART_IER        1       /* interrupt enable */
#define UART_IIR        2       /* interrupt identification (read) */
#define UART_FCR        2       /* FIFO control (write) */
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */
#define UART_MSR        6       /* modem status */
#define UART_IER_RDI    0x01    /* interrupt when data received */
#define UART_IER_ETBEI  0x02    /* interrupt when THR (the FIFO) is empty */
#define UART_IIR_NO_INT 0x01    /* no interrupt pending */
#define UART_IIR_ID     0x0e    /* the pending source, highest first: */
#define UART_IIR_RLSI   0x06    /*   line status (cleared by reading LSR) */
#define UART_IIR_RDI    0x04    /*   received data */
#define UART_IIR_RX_TO  0x0c    /*   receive FIFO timeout */
#define UART_IIR_THRI   0x02    /*   THR empty (cleared by reading IIR) */
#define UART_IIR_MSI    0x00    /*   modem status (cleared by reading MSR) */
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR  0x06    /* clear both FIFOs */
#define UART_FIFO_SIZE  16      /* the 16550A's transmit FIFO */
#define UART_LCR_8N1    0x03
#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT2   0x08    /* gates the interrupt line on a real 16550 */
#define UART_LSR_DR     0x01    /* data ready */
#define UART_LSR_THRE   0x20    /* transmit holding register (FIFO) empty */

#define UART_RING_SIZE  1024    /* queued output bytes, a power of two */
#define UART_RING_WAKE  (UART_RING_SIZE / 2)    /* free bytes to wake writers */

_Static_assert((UART_RING_SIZE & (UART_RING_SIZE - 1)) == 0,
	       "ring indexes wrap with %");
_Static_assert(2 * UART_WRITE_MAX <= UART_RING_WAKE,
	       "a uart_write fits, even as \\r\\n, once writers are woken");

/*
 * The ring holds [tail, head), free-running counters.
 * Invariant: tail <= head <= tail + UART_RING_SIZE, and
 * (ier & UART_IER_ETBEI) != 0 iff head != tail || writers_waiting.
 * Locking: (t) uart.tx_lock, the last console lock (printk takes it under
 * any lock); (c) set once by console_init. uart.wait_lock guards no field:
 * a writer holds it from its look at the ring until it sleeps, so a waker
 * that takes it cannot miss the sleeper.
 */
static struct {
	struct spinlock tx_lock;
	struct spinlock wait_lock;
	char ring[UART_RING_SIZE];      /* (t) queued output, "\r\n" expanded */
	uint32_t head;                  /* (t) next byte to queue */
	uint32_t tail;                  /* (t) next byte to send */
	bool writers_waiting;           /* (t) someone sleeps on the ring */
	uint8_t ier;                    /* (t) the value in IER */
	vaddr_t regs;                   /* (c) mapped registers */
	unsigned shift;                 /* (c) reg-shift */
	volatile bool up;               /* (c) driver in use */
	volatile bool queued;           /* (c) up, and its interrupt taken:
					 * process output uses the ring */
} uart = {
	.tx_lock = SPINLOCK_INIT("uart_tx"),
	.wait_lock = SPINLOCK_INIT("uart_wait"),
};

static inline volatile uint8_t *uart_reg(int reg)
{
	return (volatile uint8_t *)(uart.regs + ((vaddr_t)reg << uart.shift));
}

static bool uart_thr_empty(void)
{
	return (*uart_reg(UART_LSR) & UART_LSR_THRE) != 0;
}

/* Send one byte, waiting for room: printk's polled path. => uart.up. */
static void uart_tx_polled(char c)
{
	while (!uart_thr_empty())
		;
	*uart_reg(UART_THR) = (uint8_t)c;
}

static void uart_putc_raw(char c)
{
	if (uart.up)
		uart_tx_polled(c);
	else
		sbi_console_putchar(c);
}

static uint32_t _uart_ring_free(void)
{
	return UART_RING_SIZE - (uart.head - uart.tail);
}

/* Ring bytes s[0..n) takes, counting "\n" twice with crlf. */
static size_t uart_expanded_len(const char *s, size_t n, bool crlf)
{
	size_t len = n;

	for (size_t i = 0; crlf && i < n; i++)
		if (s[i] == '\n')
			len++;
	return len;
}

/* Queue s[0..n), "\n" as "\r\n" with crlf. => tx_lock held, and the
 * expanded bytes fit. */
static void _uart_ring_put(const char *s, size_t n, bool crlf)
{
	for (size_t i = 0; i < n; i++) {
		if (crlf && s[i] == '\n')
			uart.ring[uart.head++ % UART_RING_SIZE] = '\r';
		uart.ring[uart.head++ % UART_RING_SIZE] = s[i];
	}
}

/* Make IER.ETBEI follow the invariant. => tx_lock held, uart.up. */
static void _uart_set_ier(void)
{
	uint8_t ier = UART_IER_RDI;

	if (uart.head != uart.tail || uart.writers_waiting)
		ier |= UART_IER_ETBEI;
	if (ier != uart.ier) {
		uart.ier = ier;
		*uart_reg(UART_IER) = ier;
	}
}

/* Move up to a FIFO's worth of ring bytes into the empty FIFO.
 * => tx_lock held, LSR.THRE set. */
static void _uart_fifo_fill(void)
{
	for (int i = 0; i < UART_FIFO_SIZE && uart.head != uart.tail; i++)
		*uart_reg(UART_THR) = (uint8_t)uart.ring[uart.tail++ % UART_RING_SIZE];
}

/*
 * Start or continue transmission: while the FIFO is empty, move up to
 * UART_FIFO_SIZE ring bytes into it (never waits), then set ETBEI so the
 * next THR-empty interrupt continues. Returns true if writers should be
 * woken (they wait and half the ring is free); the flag is then cleared.
 * => tx_lock held, uart.up.
 */
static bool _uart_tx_start(void)
{
	bool wake = false;

	while (uart.head != uart.tail && uart_thr_empty())
		_uart_fifo_fill();
	if (uart.writers_waiting && _uart_ring_free() >= UART_RING_WAKE) {
		uart.writers_waiting = false;
		wake = true;
	}
	_uart_set_ier();
	return wake;
}

/* Wake the writers sleeping on the ring. Taking wait_lock first makes sure
 * a writer that saw a full ring is asleep by now. => no console lock but
 * possibly tty.lock. */
static void uart_wake_writers(void)
{
	spin_lock(&uart.wait_lock);
	spin_unlock(&uart.wait_lock);
	sched_wakeup(&uart.ring);
}

/* Send s[0..n) polled, "\n" as "\r\n" with crlf (SBI before the driver is
 * up). => tx_lock held, unless a panic is under way. */
static void uart_send_polled(const char *s, size_t n, bool crlf)
{
	for (size_t i = 0; i < n; i++) {
		if (crlf && s[i] == '\n')
			uart_putc_raw('\r');
		uart_putc_raw(s[i]);
	}
}

/* Output while the ring is not in use: polled, as one piece. */
static void uart_write_polled(const char *s, size_t n, bool crlf)
{
	spin_lock(&uart.tx_lock);
	uart_send_polled(s, n, crlf);
	spin_unlock(&uart.tx_lock);
}

/* Send everything queued, polled. Writers stay asleep: the THR-empty
 * interrupt (ETBEI stays on while they wait) wakes them, since printk may
 * run under a process lock. => tx_lock held, uart.up. */
static void _uart_ring_drain_polled(void)
{
	while (uart.head != uart.tail)
		uart_tx_polled(uart.ring[uart.tail++ % UART_RING_SIZE]);
	_uart_set_ier();
}

/*
 * Queue n bytes as one piece, sleeping while the ring lacks room.
 * => process context, no spinlock held, n <= UART_WRITE_MAX.
 * Returns 0, -EAGAIN (nonblock and no room) or -EINTR (a signal came
 * while waiting); on an error nothing was queued.
 */
int uart_write(const char *s, size_t n, bool crlf, bool nonblock)
{
	size_t len = uart_expanded_len(s, n, crlf);
	bool wake;
	int err = 0;

	KASSERT(n <= UART_WRITE_MAX, "uart_write: %zu bytes", n);
	if (!uart.queued) {
		uart_write_polled(s, n, crlf);
		return 0;
	}
	spin_lock(&uart.wait_lock);
	spin_lock(&uart.tx_lock);
	for (;;) {
		wake = _uart_tx_start();
		if (_uart_ring_free() >= len)
			break;
		uart.writers_waiting = true;
		_uart_set_ier();
		spin_unlock(&uart.tx_lock);
		err = nonblock ? -EAGAIN : sched_sleep(&uart.ring, &uart.wait_lock);
		spin_lock(&uart.tx_lock);
		if (err < 0)
			break;
	}
	if (err == 0) {
		_uart_ring_put(s, n, crlf);
		wake |= _uart_tx_start();
	}
	spin_unlock(&uart.tx_lock);
	spin_unlock(&uart.wait_lock);
	if (wake)
		sched_wakeup(&uart.ring);
	return err;
}

/* Queue n bytes of echo as one piece if they fit; drop them if not (echo
 * comes from the receive interrupt and must not sleep). Any context. */
void uart_echo(const char *s, size_t n, bool crlf)
{
	bool wake = false;

	if (!uart.queued) {
		uart_write_polled(s, n, crlf);
		return;
	}
	spin_lock(&uart.tx_lock);
	if (_uart_ring_free() >= uart_expanded_len(s, n, crlf)) {
		_uart_ring_put(s, n, crlf);
		wake = _uart_tx_start();
	}
	spin_unlock(&uart.tx_lock);
	if (wake)
		uart_wake_writers();
}

/* Drop everything queued and not yet in the FIFO (Ctrl-C). Any context. */
void uart_discard(void)
{
	bool wake;

	if (!uart.queued)
		return;
	spin_lock(&uart.tx_lock);
	uart.tail = uart.head;
	wake = _uart_tx_start();
	spin_unlock(&uart.tx_lock);
	if (wake)
		uart_wake_writers();
}

/*
 * Sleep until the ring is empty (its bytes are in the FIFO or sent).
 * => process context, no spinlock held. Returns 0 or -EINTR.
 */
int uart_drain(void)
{
	bool wake = false;
	int err = 0;

	if (!uart.queued)
		return 0;
	spin_lock(&uart.wait_lock);
	spin_lock(&uart.tx_lock);
	for (;;) {
		wake |= _uart_tx_start();
		if (uart.head == uart.tail)
			break;
		uart.writers_waiting = true;
		_uart_set_ier();
		spin_unlock(&uart.tx_lock);
		err = sched_sleep(&uart.ring, &uart.wait_lock);
		spin_lock(&uart.tx_lock);
		if (err < 0)
			break;
	}
	spin_unlock(&uart.tx_lock);
	spin_unlock(&uart.wait_lock);
	if (wake)
		sched_wakeup(&uart.ring);
	return err;
}

/*
 * printk's output: polled, after whatever the ring holds, so it lands
 * between pieces of process output. During a panic the lock and the ring
 * are skipped: the panicking hart may hold the lock, and the other harts
 * are stopping.
 */
void console_write(const char *s, size_t n)
{
	bool locked = !panic_in_progress();

	if (locked)
		spin_lock(&uart.tx_lock);
	if (locked && uart.up)
		_uart_ring_drain_polled();
	uart_send_polled(s, n, true);
	if (locked)
		spin_unlock(&uart.tx_lock);
}

void console_putc(char c)
{
	console_write(&c, 1);
}

void console_flush(void)
{
	console_write("", 0);
}

/* Received bytes: hand every waiting one to the tty. */
static void uart_rx_intr(void)
{
	while (*uart_reg(UART_LSR) & UART_LSR_DR)
		tty_input((char)*uart_reg(UART_RBR));
}

/* The FIFO is empty: refill it from the ring, wake writers if room. */
static void uart_tx_intr(void)
{
	bool wake;

	spin_lock(&uart.tx_lock);
	wake = _uart_tx_start();
	spin_unlock(&uart.tx_lock);
	if (wake)
		uart_wake_writers();
}

/* The UART's interrupt: serve each source IIR reports until none is left
 * (16550 data sheet, "Interrupt Identification Register"). */
static void uart_intr(void *arg __unused)
{
	uint8_t iir;

	while (((iir = *uart_reg(UART_IIR)) & UART_IIR_NO_INT) == 0) {
		switch (iir & UART_IIR_ID) {
		case UART_IIR_RDI:
		case UART_IIR_RX_TO:
			uart_rx_intr();
			break;
		case UART_IIR_THRI:
			uart_tx_intr();
			break;
		case UART_IIR_RLSI:
			(void)*uart_reg(UART_LSR);
			break;
		default:
			(void)*uart_reg(UART_MSR);
			break;
		}
	}
}

/* Program 8N1, FIFOs on, receive interrupt on (the baud rate stays as the
 * firmware set it). The transmit interrupt is on only while output waits.
 * => tx_lock held. */
static void _uart_hw_init(void)
{
	*uart_reg(UART_IER) = 0;
	*uart_reg(UART_LCR) = UART_LCR_8N1;
	*uart_reg(UART_FCR) = UART_FCR_ENABLE | UART_FCR_CLEAR;
	*uart_reg(UART_MCR) = UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2;
	uart.ier = UART_IER_RDI;
	*uart_reg(UART_IER) = uart.ier;
}

/*
 * Find the ns16550a UART in the DTB, map it, switch console output to it,
 * take its interrupt (without one, output stays polled) and register it as
 * DEV_CONSOLE. Without a UART the console stays on SBI (output only).
 * Calling it again does nothing.
 * => boot hart, after kva_init.
 */
void console_init(void)
{
	int node = dtb_find_compatible(-1, "ns16550a");
	uint64_t pa, size;
	vaddr_t va;
	int irq;

	if (uart.up)
		return;
	if (node < 0)
		node = dtb_find_compatible(-1, "ns16550");
	if (node < 0 || !dtb_reg(node, 0, &pa, &size)) {
		printk("console: no UART in the device tree, staying on SBI\n");
		return;
	}
	va = kva_map_mmio(PAGE_ROUNDDOWN(pa), PAGE_ROUNDUP(pa + size) - PAGE_ROUNDDOWN(pa));
	if (va == 0) {
		printk("console: cannot map the UART, staying on SBI\n");
		return;
	}
	irq = (int)dtb_prop_u32(node, "interrupts", 0);
	uart.shift = dtb_prop_u32(node, "reg-shift", 0);
	spin_lock(&uart.tx_lock);
	uart.regs = va + (pa & PAGE_MASK);
	_uart_hw_init();
	uart.up = true;
	spin_unlock(&uart.tx_lock);
	if (irq > 0) {
		intr_register(irq, uart_intr, NULL);
		uart.queued = true;
	}
	dev_register(DEV_CONSOLE, "uart", pa, size, irq);
}
