/*
 * The 16550 UART console driver: polled transmit (so panics print with
 * interrupts off) and interrupt-driven receive into the tty. Before
 * console_init maps the UART, output goes through the SBI legacy putchar.
 * Only tty.c and printk (through console.h) call it.
 */
#include "kernel/dev/console.h"
#include "kernel/dev/tty.h"
#include "kernel/dev/dev.h"
#include "kernel/dtb.h"
#include "kernel/lib/printk.h"
#include "kernel/lock.h"
#include "kernel/vm/kva.h"
#include "arch/riscv/intr.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/vmparam.h"

/* 16550 registers (in units of 1 << reg-shift bytes) and bits. */
#define UART_RBR        0       /* receive buffer (read) */
#define UART_THR        0       /* transmit holding (write) */
#define UART_IER        1       /* interrupt enable */
#define UART_FCR        2       /* FIFO control (write) */
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */
#define UART_IER_RDI    0x01    /* interrupt when data received */
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR  0x06    /* clear both FIFOs */
#define UART_LCR_8N1    0x03
#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT2   0x08    /* gates the interrupt line on a real 16550 */
#define UART_LSR_DR     0x01    /* data ready */
#define UART_LSR_THRE   0x20    /* transmit holding register empty */

/*
 * Locking: (t) uart.tx_lock, taken last of all console locks;
 * (c) set once by console_init.
 */
static struct {
	struct spinlock tx_lock;        /* (t) serialises transmit */
	vaddr_t regs;                   /* (c) mapped registers */
	unsigned shift;                 /* (c) reg-shift */
	volatile bool up;               /* (c) driver in use */
} uart = { .tx_lock = SPINLOCK_INIT("uart_tx") };

static inline volatile uint8_t *uart_reg(int reg)
{
	return (volatile uint8_t *)(uart.regs + ((vaddr_t)reg << uart.shift));
}

/* Send one byte, waiting for room. => uart.up. */
static void uart_tx(char c)
{
	while ((*uart_reg(UART_LSR) & UART_LSR_THRE) == 0)
		;
	*uart_reg(UART_THR) = (uint8_t)c;
}

static void uart_putc_raw(char c)
{
	if (uart.up)
		uart_tx(c);
	else
		sbi_console_putchar(c);
}

/*
 * Send n bytes as one piece. During a panic the lock is skipped: the
 * panicking hart may hold it, and the other harts are stopping.
 */
void uart_write(const char *s, size_t n, bool crlf)
{
	bool locked = !panic_in_progress();
	size_t i;

	if (locked)
		spin_lock(&uart.tx_lock);
	for (i = 0; i < n; i++) {
		if (crlf && s[i] == '\n')
			uart_putc_raw('\r');
		uart_putc_raw(s[i]);
	}
	if (locked)
		spin_unlock(&uart.tx_lock);
}

void console_write(const char *s, size_t n)
{
	uart_write(s, n, true);
}

void console_putc(char c)
{
	uart_write(&c, 1, true);
}

/* The UART's receive interrupt: hand every waiting byte to the tty. */
static void uart_intr(void *arg __unused)
{
	while (*uart_reg(UART_LSR) & UART_LSR_DR)
		tty_input((char)*uart_reg(UART_RBR));
}

/* Program 8N1, FIFOs on, receive interrupt on (the baud rate stays as the
 * firmware set it). */
static void uart_hw_init(void)
{
	*uart_reg(UART_IER) = 0;
	*uart_reg(UART_LCR) = UART_LCR_8N1;
	*uart_reg(UART_FCR) = UART_FCR_ENABLE | UART_FCR_CLEAR;
	*uart_reg(UART_MCR) = UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2;
	*uart_reg(UART_IER) = UART_IER_RDI;
}

/*
 * Find the ns16550a UART in the DTB, map it, switch console output to it,
 * take its receive interrupt and register it as DEV_CONSOLE. Without one
 * the console stays on SBI (output only). Calling it again does nothing.
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
	uart_hw_init();
	uart.up = true;
	spin_unlock(&uart.tx_lock);
	if (irq > 0)
		intr_register(irq, uart_intr, NULL);
	dev_register(DEV_CONSOLE, "uart", pa, size, irq);
}
