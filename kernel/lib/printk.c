/*
 * Formatted output (printk, snprintf), panic and the symbolized backtrace.
 * printk may be called from any context; a spinlock keeps whole messages
 * from interleaving. Once a hart panics, it prints without the lock and
 * every other hart that prints or takes a timer tick stops.
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/lock.h"
#include "kernel/dev/console.h"
#include "arch/riscv/boot.h"
#include "arch/riscv/cpu.h"
#include "arch/riscv/intr.h"

#define BACKTRACE_MAX_FRAMES    32
#define BACKTRACE_STACK_SPAN    (16 * 1024)     /* frames lie this close */
#define FMT_NUM_BUF             24              /* 2^64 in octal + sign */
#define NO_PANIC                (-1)
#define PRINTK_BATCH            128             /* bytes sent at once */

/* Frame layout with -fno-omit-frame-pointer (RISC-V psABI): fp points just
 * above the saved ra and the caller's fp. */
#define FRAME_RA_SLOT           (-1)
#define FRAME_FP_SLOT           (-2)

static struct spinlock printk_lock = SPINLOCK_INIT("printk");
/* cpus[] index of the hart that panicked, or NO_PANIC. */
static volatile int panic_cpu = NO_PANIC;

/* The ksyms table emitted by tools/ksyms.py, sorted by address. */
struct ksym {
	uint64_t addr;
	uint32_t name_off;
	uint32_t pad;
};
extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_strings[];

/*
 * Where formatted characters go: buf of size bytes, which either keeps the
 * output (flush NULL: the string functions; the NUL always fits) or batches
 * it for flush (printk). len counts every character produced.
 */
struct fmt_sink {
	char *buf;
	size_t size;
	size_t len;
	size_t fill;                    /* bytes batched for flush */
	void (*flush)(const char *s, size_t n);
};

/* One conversion specification: %[flags][width][.precision][length]conv. */
struct fmt_spec {
	bool left;              /* '-' */
	bool zero;              /* '0' */
	bool plus;              /* '+' */
	bool space;             /* ' ' */
	bool alt;               /* '#' */
	int width;
	int prec;               /* -1 if none */
	int length;             /* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

static void sink_put(struct fmt_sink *s, char c)
{
	if (s->flush != NULL) {
		s->buf[s->fill++] = c;
		if (s->fill == s->size) {
			s->flush(s->buf, s->fill);
			s->fill = 0;
		}
	} else if (s->len + 1 < s->size) {
		s->buf[s->len] = c;
	}
	s->len++;
}

static void sink_pad(struct fmt_sink *s, char c, int n)
{
	while (n-- > 0)
		sink_put(s, c);
}

/* Emit a number: val in base, with sign/prefix, precision and padding. */
static void fmt_number(struct fmt_sink *s, const struct fmt_spec *sp,
		       uint64_t val, bool neg, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[FMT_NUM_BUF];
	const char *prefix = "";
	int n = 0, zeros, pad;

	while (val != 0 || (n == 0 && sp->prec != 0)) {
		tmp[n++] = digits[val % base];
		val /= base;
	}
	if (neg)
		prefix = "-";
	else if (sp->plus)
		prefix = "+";
	else if (sp->space)
		prefix = " ";
	else if (sp->alt && base == 16 && n > 0)
		prefix = upper ? "0X" : "0x";
	else if (sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";
	zeros = sp->prec > n ? sp->prec - n : 0;
	pad = sp->width - n - zeros - (int)strlen(prefix);
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad > 0 ? pad : 0;
		pad = 0;
	}
	if (!sp->left)
		sink_pad(s, ' ', pad);
	while (*prefix)
		sink_put(s, *prefix++);
	sink_pad(s, '0', zeros);
	while (n > 0)
		sink_put(s, tmp[--n]);
	if (sp->left)
		sink_pad(s, ' ', pad);
}

static void fmt_string(struct fmt_sink *s, const struct fmt_spec *sp,
		       const char *str)
{
	size_t len;
	int pad;

	if (str == NULL)
		str = "(null)";
	len = sp->prec >= 0 ? strnlen(str, (size_t)sp->prec) : strlen(str);
	pad = sp->width - (int)len;
	if (!sp->left)
		sink_pad(s, ' ', pad);
	while (len-- > 0)
		sink_put(s, *str++);
	if (sp->left)
		sink_pad(s, ' ', pad);
}

/* Parse flags, width, precision and length after '%'; returns the
 * conversion character's position. */
static const char *fmt_parse(const char *f, struct fmt_spec *sp, va_list *ap)
{
	*sp = (struct fmt_spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			sp->length++;
		else if (*f == 'h')
			sp->length--;
		else if (*f == 'z' || *f == 't' || *f == 'j')
			sp->length = 1;
		else
			return f;
	}
}

/* Fetch a signed argument of the given length. */
static int64_t fmt_arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	if (sp->length >= 1)
		return sp->length == 1 ? va_arg(*ap, long) : va_arg(*ap, long long);
	int v = va_arg(*ap, int);
	return sp->length == -1 ? (short)v : sp->length <= -2 ? (signed char)v : v;
}

static uint64_t fmt_arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	if (sp->length >= 1)
		return sp->length == 1 ? va_arg(*ap, unsigned long)
				       : va_arg(*ap, unsigned long long);
	unsigned v = va_arg(*ap, unsigned);
	return sp->length == -1 ? (unsigned short)v
	     : sp->length <= -2 ? (unsigned char)v : v;
}

/* Emit one conversion. */
static void fmt_conversion(struct fmt_sink *s, char conv, struct fmt_spec *sp,
			   va_list *ap)
{
	int64_t v;

	switch (conv) {
	case 'd':
	case 'i':
		v = fmt_arg_signed(sp, ap);
		fmt_number(s, sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false);
		break;
	case 'u':
		fmt_number(s, sp, fmt_arg_unsigned(sp, ap), false, 10, false);
		break;
	case 'x':
	case 'X':
		fmt_number(s, sp, fmt_arg_unsigned(sp, ap), false, 16, conv == 'X');
		break;
	case 'o':
		fmt_number(s, sp, fmt_arg_unsigned(sp, ap), false, 8, false);
		break;
	case 'p':
		sp->alt = true;
		fmt_number(s, sp, (uint64_t)va_arg(*ap, void *), false, 16, false);
		break;
	case 's':
		fmt_string(s, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		sink_pad(s, ' ', sp->left ? 0 : sp->width - 1);
		sink_put(s, (char)va_arg(*ap, int));
		sink_pad(s, ' ', sp->left ? sp->width - 1 : 0);
		break;
	default:        /* %% and unknown conversions print themselves */
		sink_put(s, conv);
		break;
	}
}

/* The formatter behind every printing function; returns characters made. */
static int fmt_format(struct fmt_sink *s, const char *fmt, va_list ap)
{
	struct fmt_spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			sink_put(s, *fmt++);
			continue;
		}
		fmt = fmt_parse(fmt + 1, &sp, &args);
		if (*fmt == '\0')
			break;
		fmt_conversion(s, *fmt++, &sp, &args);
	}
	va_end(args);
	if (s->flush != NULL && s->fill > 0)
		s->flush(s->buf, s->fill);
	else if (s->flush == NULL && s->size > 0)
		s->buf[MIN(s->len, s->size - 1)] = '\0';
	return (int)s->len;
}

/* Format into buf (size bytes, always NUL-terminated if size > 0). Returns
 * the length the whole output would have, like C99 vsnprintf. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	char dummy;
	struct fmt_sink s = { .buf = buf != NULL ? buf : &dummy,
			      .size = buf != NULL ? size : 0 };

	return fmt_format(&s, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

bool panic_in_progress(void)
{
	return panic_cpu != NO_PANIC;
}

bool panic_on_other_hart(void)
{
	int p = panic_cpu;

	return p != NO_PANIC && p != cpu_self()->index;
}

/* Print under the printk lock, unless a panic is under way: the panicking
 * hart prints without it (it may hold it already); the others stop. */
int vprintk(const char *fmt, va_list ap)
{
	char batch[PRINTK_BATCH];
	struct fmt_sink s = { .buf = batch, .size = sizeof(batch),
			      .flush = console_write };
	bool locked = false;
	int n;

	if (panic_on_other_hart())
		cpu_halt();
	if (!panic_in_progress()) {
		spin_lock(&printk_lock);
		locked = true;
	}
	n = fmt_format(&s, fmt, ap);
	if (locked)
		spin_unlock(&printk_lock);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

/* The symbol containing kernel text address pc, or NULL. Of several names
 * for one address the shortest wins (_start over _text_start). */
static const struct ksym *ksym_lookup(uint64_t pc)
{
	uint64_t lo = 0, hi = ksyms_count, best;

	if (pc < (uint64_t)_text_start || pc >= (uint64_t)_text_end || hi == 0 ||
	    pc < ksyms_table[0].addr)
		return NULL;
	while (hi - lo > 1) {   /* invariant: table[lo].addr <= pc */
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_table[mid].addr <= pc)
			lo = mid;
		else
			hi = mid;
	}
	for (best = lo; lo > 0 && ksyms_table[lo - 1].addr == ksyms_table[best].addr; lo--)
		if (strlen(ksyms_strings + ksyms_table[lo - 1].name_off) <
		    strlen(ksyms_strings + ksyms_table[best].name_off))
			best = lo - 1;
	return &ksyms_table[best];
}

const char *ksym_name(vaddr_t pc, uint64_t *offset)
{
	const struct ksym *sym = ksym_lookup(pc);

	if (sym == NULL)
		return NULL;
	*offset = pc - sym->addr;
	return ksyms_strings + sym->name_off;
}

/* One frame: the return address ra, named by the function holding the call
 * (ra - 1: a call to a noreturn function may end its caller). */
static void backtrace_print_frame(uint64_t ra)
{
	const struct ksym *sym = ksym_lookup(ra - 1);

	if (sym != NULL)
		printk("  [<%016lx>] %s+0x%lx\n", ra, ksyms_strings + sym->name_off,
		       ra - sym->addr);
	else
		printk("  [<%016lx>] ?\n", ra);
}

/*
 * Walk the frame-pointer chain of this hart's stack and print each return
 * address symbolized. A frame pointer is followed only while it climbs the
 * stack in 8-byte steps within BACKTRACE_STACK_SPAN of the first one, and
 * the walk stops at fp = 0 (set by entry.S) or a return address outside text.
 */
void backtrace_print(void)
{
	uint64_t fp = (uint64_t)__builtin_frame_address(0);
	uint64_t limit = fp + BACKTRACE_STACK_SPAN;
	int depth;

	printk("backtrace:\n");
	for (depth = 0; depth < BACKTRACE_MAX_FRAMES; depth++) {
		const uint64_t *frame = (const uint64_t *)fp;
		uint64_t ra = frame[FRAME_RA_SLOT];
		uint64_t prev = frame[FRAME_FP_SLOT];

		if (ra < (uint64_t)_text_start || ra >= (uint64_t)_text_end)
			break;
		backtrace_print_frame(ra);
		if (prev <= fp || prev > limit || (prev & 7) != 0)
			break;
		fp = prev;
	}
}

/*
 * Print "panic: <message>" and a backtrace, then stop this hart; the other
 * harts stop at their next printk or timer tick. A panic inside a panic on
 * the same hart prints one line and stops.
 */
void panic(const char *fmt, ...)
{
	int self, expected = NO_PANIC;
	va_list ap;

	intr_off();
	self = cpu_self()->index;
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, self, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		if (expected == self)
			printk("panic: nested panic on hart %d\n", self);
		cpu_halt();
	}
	printk("\npanic: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	backtrace_print();
	cpu_halt();
}
