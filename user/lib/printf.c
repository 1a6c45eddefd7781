/*
 * vfprintf (C17 7.21.6.1), linked in place of picolibc's with
 * --wrap=vfprintf, so the whole printf family comes here.  picolibc 1.8
 * prints a double from its shortest round-trip digits (ryu), so "%.17g" of
 * 0.1 gives "0.1" and "%.20f" pads with zeros; every picolibc variant
 * (__d_vfprintf, the release build) does the same.  Here the conversions
 * e, E, f, F, g, G of a double are done exactly: the double's value is
 * written out in full as a decimal big number and rounded once, to
 * nearest with ties to even.  Every other conversion, one at a time, and
 * any format with positional (%n$) arguments go to picolibc's vfprintf.
 * Nothing here may call the printf family: it would come back here.
 */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int __real_vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap);

#define PG_LIMB 1000000000u		/* base of the big number: 10^9 */
#define PG_LIMB_DIGITS 9
#define PG_LIMBS 100			/* 900 digits: 2^53 * 5^1074 has 767 */
#define PG_DIGITS (PG_LIMBS * PG_LIMB_DIGITS)
#define PG_POW5_STEP 13			/* 5^13 < 2^32 */
#define PG_POW2_STEP 29			/* 2^29 * 10^9 < 2^64 */
#define PG_SPEC_MAX 32			/* one conversion specification */

/* Decimal digits of |d|: value = 0.digits[0..n) * 10^point. */
struct pg_decimal {
	char digits[PG_DIGITS + 1];
	int n;				/* significant digits, no zeros at the end */
	int point;			/* position of the decimal point */
};

/* One parsed conversion specification. */
struct pg_spec {
	bool minus, plus, space, alt, zero;
	int width;			/* -1: none */
	int prec;			/* -1: none */
	char len[3];			/* length modifier */
	char conv;
};

/* big[0..n) little-endian base 10^9 limbs: big *= m. */
static int pg_big_mul(uint32_t *big, int n, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < n; i++) {
		uint64_t v = (uint64_t)big[i] * m + carry;
		big[i] = (uint32_t)(v % PG_LIMB);
		carry = v / PG_LIMB;
	}
	while (carry) {
		big[n++] = (uint32_t)(carry % PG_LIMB);
		carry /= PG_LIMB;
	}
	return n;
}

/* The exact decimal expansion of finite, nonzero |d|. */
static void pg_decimal_of(double d, struct pg_decimal *out)
{
	uint32_t big[PG_LIMBS];
	int e, n = 0, len = 0;
	uint64_t m;
	char *p = out->digits;

	m = (uint64_t)ldexp(frexp(fabs(d), &e), DBL_MANT_DIG);
	e -= DBL_MANT_DIG;		/* |d| = m * 2^e exactly */
	for (; m; m /= PG_LIMB)
		big[n++] = (uint32_t)(m % PG_LIMB);
	for (; e >= PG_POW2_STEP; e -= PG_POW2_STEP)
		n = pg_big_mul(big, n, 1u << PG_POW2_STEP);
	if (e > 0)
		n = pg_big_mul(big, n, 1u << e);
	/* m * 2^e = m * 5^-e / 10^-e for e < 0. */
	int shift = e < 0 ? e : 0;
	for (; e <= -PG_POW5_STEP; e += PG_POW5_STEP)
		n = pg_big_mul(big, n, 1220703125u);	/* 5^13 */
	if (e < 0) {
		uint32_t p5 = 1;
		while (e++ < 0)
			p5 *= 5;
		n = pg_big_mul(big, n, p5);
	}
	/* Most significant limb without leading zeros, the rest 9 digits. */
	for (int i = n - 1; i >= 0; i--) {
		char limb[PG_LIMB_DIGITS];
		int k = PG_LIMB_DIGITS;

		for (uint32_t v = big[i]; k > 0; v /= 10)
			limb[--k] = (char)('0' + v % 10);
		if (i == n - 1)
			while (k < PG_LIMB_DIGITS - 1 && limb[k] == '0')
				k++;
		memcpy(p + len, limb + k, (size_t)(PG_LIMB_DIGITS - k));
		len += PG_LIMB_DIGITS - k;
	}
	out->point = len + shift;
	while (len > 0 && p[len - 1] == '0')
		len--;
	out->n = len;
}

/* Round dec to keep digits before position `keep` (a count of digits from
 * the start; may be <= 0), ties to even.  Adjusts n and point. */
static void pg_decimal_round(struct pg_decimal *dec, int keep)
{
	char *p = dec->digits;
	bool up;

	if (keep >= dec->n)
		return;
	if (keep < 0) {
		dec->n = 0;
		return;
	}
	if (p[keep] > '5')
		up = true;
	else if (p[keep] < '5')
		up = false;
	else if (keep + 1 < dec->n)	/* digits after the 5: above half */
		up = true;
	else				/* exactly half: to even */
		up = keep > 0 && (p[keep - 1] - '0') % 2 == 1;
	dec->n = keep;
	if (up) {
		int i = keep - 1;
		while (i >= 0 && p[i] == '9')
			i--;
		if (i < 0) {		/* 999 -> 1000 */
			p[0] = '1';
			dec->n = 1;
			dec->point++;
			return;
		}
		p[i]++;
		dec->n = i + 1;
	}
	while (dec->n > 0 && p[dec->n - 1] == '0')
		dec->n--;
}

/* Digit i of dec (0 past the end). */
static char pg_digit(const struct pg_decimal *dec, int i)
{
	return i >= 0 && i < dec->n ? dec->digits[i] : '0';
}

/* The body of %e: d.ddde+XX with prec fraction digits; returns length. */
static int pg_fmt_e(char *out, struct pg_decimal *dec, int prec, bool alt,
		    char e_char)
{
	int len = 0, x;

	pg_decimal_round(dec, prec + 1);
	x = dec->n ? dec->point - 1 : 0;
	out[len++] = pg_digit(dec, 0);
	if (prec > 0 || alt)
		out[len++] = '.';
	for (int i = 1; i <= prec; i++)
		out[len++] = pg_digit(dec, i);
	out[len++] = e_char;
	out[len++] = x < 0 ? '-' : '+';
	if (x < 0)
		x = -x;
	if (x >= 100)
		out[len++] = (char)('0' + x / 100);
	out[len++] = (char)('0' + x / 10 % 10);
	out[len++] = (char)('0' + x % 10);
	return len;
}

/* The body of %f: ddd.ddd with prec fraction digits; returns length. */
static int pg_fmt_f(char *out, struct pg_decimal *dec, int prec, bool alt)
{
	int len = 0;

	pg_decimal_round(dec, dec->point + prec);
	if (dec->n == 0 || dec->point <= 0)
		out[len++] = '0';
	else
		for (int i = 0; i < dec->point; i++)
			out[len++] = pg_digit(dec, i);
	if (prec > 0 || alt)
		out[len++] = '.';
	for (int i = 0; i < prec; i++)
		out[len++] = pg_digit(dec, dec->point + i);
	return len;
}

/* Drop trailing zeros of the fraction (and a bare point), as %g does. */
static int pg_trim_fraction(char *out, int len)
{
	int end = 0, cut;

	while (end < len && out[end] != 'e' && out[end] != 'E')
		end++;
	cut = end;
	if (memchr(out, '.', (size_t)end) == NULL)
		return len;
	while (out[cut - 1] == '0')
		cut--;
	if (out[cut - 1] == '.')
		cut--;
	memmove(out + cut, out + end, (size_t)(len - end));
	return len - (end - cut);
}

/* Format the double d per s (conv one of eEfFgG) into out: sign and body,
 * no padding.  Returns the length; *numeric says zero padding applies. */
static int pg_fmt_double(char *out, double d, const struct pg_spec *s,
			 bool *numeric)
{
	static struct pg_decimal dec;	/* one thread: static is fine */
	bool upper = isupper((unsigned char)s->conv);
	char c = (char)tolower((unsigned char)s->conv);
	int prec = s->prec < 0 ? 6 : s->prec, len = 0, x;

	if (signbit(d))
		out[len++] = '-';
	else if (s->plus)
		out[len++] = '+';
	else if (s->space)
		out[len++] = ' ';
	*numeric = isfinite(d);
	if (!isfinite(d)) {
		memcpy(out + len, isnan(d) ? (upper ? "NAN" : "nan") :
		       (upper ? "INF" : "inf"), 3);
		return len + 3;
	}
	if (d == 0) {
		dec.n = 0;
		dec.point = 1;
	} else {
		pg_decimal_of(d, &dec);
	}
	if (c == 'e')
		return len + pg_fmt_e(out + len, &dec, prec, s->alt, upper ? 'E' : 'e');
	if (c == 'f')
		return len + pg_fmt_f(out + len, &dec, prec, s->alt);
	/* %g: P significant digits; the exponent after rounding decides. */
	if (prec == 0)
		prec = 1;
	pg_decimal_round(&dec, prec);
	x = dec.n ? dec.point - 1 : 0;
	int body = (prec > x && x >= -4) ?
		pg_fmt_f(out + len, &dec, prec - 1 - x, s->alt) :
		pg_fmt_e(out + len, &dec, prec - 1, s->alt, upper ? 'E' : 'e');
	if (!s->alt)
		body = pg_trim_fraction(out + len, body);
	return len + body;
}

/* Write n bytes, or n copies of c if s is NULL; counts into *total. */
static int pg_out(FILE *f, const char *s, int n, char c, size_t *total)
{
	for (int i = 0; i < n; i++)
		if (fputc(s ? s[i] : c, f) == EOF)
			return -1;
	*total += (size_t)n;
	return 0;
}

/* Pad and write buf[0..len) (sign first) per the flags and width of s. */
static int pg_pad_out(FILE *f, const char *buf, int len, bool numeric,
		      const struct pg_spec *s, size_t *total)
{
	int pad = s->width > len ? s->width - len : 0;
	int sign = (buf[0] == '-' || buf[0] == '+' || buf[0] == ' ') ? 1 : 0;

	if (s->minus)
		return pg_out(f, buf, len, 0, total) ||
		       pg_out(f, NULL, pad, ' ', total) ? -1 : 0;
	if (s->zero && numeric)
		return pg_out(f, buf, sign, 0, total) ||
		       pg_out(f, NULL, pad, '0', total) ||
		       pg_out(f, buf + sign, len - sign, 0, total) ? -1 : 0;
	return pg_out(f, NULL, pad, ' ', total) ||
	       pg_out(f, buf, len, 0, total) ? -1 : 0;
}

/* Print a formatted double with the field width of s.  The text is at
 * most the integer digits (PG_DIGITS bounds them) plus the precision. */
static int pg_print_double(FILE *f, double d, const struct pg_spec *s,
			   size_t *total)
{
	static char small[PG_DIGITS + PG_SPEC_MAX];
	size_t need = sizeof(small) + (s->prec > 0 ? (size_t)s->prec : 0);
	char *buf = need > sizeof(small) ? malloc(need) : small;
	bool numeric;
	int len, r;

	if (buf == NULL)
		return -1;
	len = pg_fmt_double(buf, d, s, &numeric);
	r = pg_pad_out(f, buf, len, numeric, s, total);
	if (buf != small)
		free(buf);
	return r;
}

/* Parse the specification after '%' at *fp; * arguments come from ap. */
static void pg_parse_spec(const char **fp, struct pg_spec *s, va_list *ap)
{
	const char *p = *fp;
	int l = 0;

	memset(s, 0, sizeof(*s));
	s->width = s->prec = -1;
	for (;; p++) {
		if (*p == '-') s->minus = true;
		else if (*p == '+') s->plus = true;
		else if (*p == ' ') s->space = true;
		else if (*p == '#') s->alt = true;
		else if (*p == '0') s->zero = true;
		else break;
	}
	if (*p == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->minus = true;
			s->width = -s->width;
		}
		p++;
	} else if (isdigit((unsigned char)*p)) {
		for (s->width = 0; isdigit((unsigned char)*p); p++)
			s->width = s->width * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			s->prec = va_arg(*ap, int);
			if (s->prec < 0)
				s->prec = -1;
			p++;
		} else {
			for (s->prec = 0; isdigit((unsigned char)*p); p++)
				s->prec = s->prec * 10 + (*p - '0');
		}
	}
	while (l < 2 && *p && strchr("hljztL", *p))
		s->len[l++] = *p++;
	s->conv = *p ? *p++ : '\0';
	*fp = p;
}

/* Append the decimal digits of v (>= 0) at *pp. */
static void pg_put_uint(char **pp, int v)
{
	char tmp[12];
	int k = 0;

	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (k > 0)
		*(*pp)++ = tmp[--k];
}

/* Rebuild s as a format for picolibc, with width and precision as numbers.
 * Built by hand: snprintf would come back here. */
static void pg_spec_string(char *buf, const struct pg_spec *s)
{
	char *p = buf;

	*p++ = '%';
	if (s->minus) *p++ = '-';
	if (s->plus) *p++ = '+';
	if (s->space) *p++ = ' ';
	if (s->alt) *p++ = '#';
	if (s->zero) *p++ = '0';
	if (s->width > 0)
		pg_put_uint(&p, s->width);
	if (s->prec >= 0) {
		*p++ = '.';
		pg_put_uint(&p, s->prec);
	}
	for (const char *l = s->len; *l; l++)
		*p++ = *l;
	*p++ = s->conv;
	*p = '\0';
}

/* picolibc's vfprintf with a variadic front, for one conversion. */
static int pg_real_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __real_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

/* Store the count for %n per its length modifier. */
static void pg_store_count(const struct pg_spec *s, void *p, size_t total)
{
	if (strcmp(s->len, "hh") == 0)
		*(signed char *)p = (signed char)total;
	else if (strcmp(s->len, "h") == 0)
		*(short *)p = (short)total;
	else if (strcmp(s->len, "l") == 0 || strcmp(s->len, "ll") == 0 ||
		 strcmp(s->len, "j") == 0 || strcmp(s->len, "z") == 0 ||
		 strcmp(s->len, "t") == 0)
		*(long *)p = (long)total;
	else
		*(int *)p = (int)total;
}

/* One conversion other than a double one: fetch its argument by type and
 * let picolibc print it.  Returns characters written or -1. */
static int pg_print_other(FILE *f, const struct pg_spec *s, va_list *ap)
{
	char fmt[PG_SPEC_MAX];
	bool wide = s->len[0] == 'l' || s->len[0] == 'j' || s->len[0] == 'z' ||
		    s->len[0] == 't';

	pg_spec_string(fmt, s);
	switch (s->conv) {
	case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
		if (wide)
			return pg_real_fprintf(f, fmt, va_arg(*ap, long));
		return pg_real_fprintf(f, fmt, va_arg(*ap, int));
	case 'c':
		return pg_real_fprintf(f, fmt, va_arg(*ap, int));
	case 's': case 'p':
		return pg_real_fprintf(f, fmt, va_arg(*ap, void *));
	case 'a': case 'A': case 'e': case 'E': case 'f': case 'F':
	case 'g': case 'G':		/* %La and friends */
		if (s->len[0] == 'L')
			return pg_real_fprintf(f, fmt, va_arg(*ap, long double));
		return pg_real_fprintf(f, fmt, va_arg(*ap, double));
	case '%':
		return pg_real_fprintf(f, "%%");
	default:
		return -1;		/* undefined behaviour: stop */
	}
}

int __wrap_vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap0)
{
	const char *p = fmt, *lit;
	struct pg_spec s;
	size_t total = 0;
	va_list ap;
	int r;

	for (const char *q = strchr(fmt, '%'); q; q = strchr(q + 1, '%')) {
		const char *d = q + 1;
		while (isdigit((unsigned char)*d))
			d++;
		if (*d == '$')		/* positional arguments: all to picolibc */
			return __real_vfprintf(f, fmt, ap0);
	}
	va_copy(ap, ap0);
	while (*p) {
		for (lit = p; *p && *p != '%'; p++)
			;
		if (pg_out(f, lit, (int)(p - lit), 0, &total) < 0)
			goto fail;
		if (*p == '\0')
			break;
		p++;
		pg_parse_spec(&p, &s, &ap);
		if (s.conv == 'n') {
			pg_store_count(&s, va_arg(ap, void *), total);
			continue;
		}
		if (strchr("eEfFgG", s.conv) && s.conv && s.len[0] != 'L') {
			if (pg_print_double(f, va_arg(ap, double), &s, &total) < 0)
				goto fail;
			continue;
		}
		r = pg_print_other(f, &s, &ap);
		if (r < 0)
			goto fail;
		total += (size_t)r;
	}
	va_end(ap);
	return (int)total;
fail:
	va_end(ap);
	return -1;
}
