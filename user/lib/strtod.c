/*
 * strtod (C17 7.22.1.3), linked in place of picolibc's with --wrap=strtod.
 * Hexadecimal subject sequences are converted here, correctly rounded to
 * nearest-even: picolibc 1.8 scales hex fraction digits by 2 instead of 16
 * ("0x.8" gave 4) and takes "0x" without a digit.  A decimal subject
 * sequence is delimited here and only it is handed to picolibc's strtod,
 * which rounds correctly but reads on past it ("00x2" as 2); infinity and
 * NaN go to picolibc's strtod as they are.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PG_HEX_DIGIT_BITS 4
#define PG_MANT_BITS 64		/* bits of hex digits we keep exactly */
#define PG_DBL_BITS DBL_MANT_DIG	/* 53: significand bits of a double */
#define PG_DBL_MIN_EXP (DBL_MIN_EXP - 1)	/* -1022: exponent of DBL_MIN */
#define PG_EXP_LIMIT 100000	/* beyond this every result is 0 or inf */
#define PG_DEC_BUF 128		/* decimal subjects up to this go on the stack */

double __real_strtod(const char *restrict s, char **restrict end);

/* A hex significand read so far: value = mant * 2^exp, plus sticky bits. */
struct pg_hexnum {
	uint64_t mant;
	long exp;
	bool sticky;	/* a nonzero digit fell off the end of mant */
	int digits;	/* hex digits seen, leading zeros included */
};

static int pg_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Add one hex digit; `frac` says it is after the point. */
static void pg_hex_add(struct pg_hexnum *h, int d, bool frac)
{
	h->digits++;
	if (h->mant >> (PG_MANT_BITS - PG_HEX_DIGIT_BITS) == 0) {
		h->mant = h->mant << PG_HEX_DIGIT_BITS | (uint64_t)d;
		if (frac)
			h->exp -= PG_HEX_DIGIT_BITS;
	} else {
		h->sticky |= d != 0;
		if (!frac)
			h->exp += PG_HEX_DIGIT_BITS;
	}
}

/* Parse the binary exponent "p[+-]digits" at *sp; leave *sp if absent. */
static long pg_hex_exponent(const char **sp)
{
	const char *s = *sp + 1;
	bool neg = false;
	long e = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s)) {
		if (e < PG_EXP_LIMIT)
			e = e * 10 + (*s - '0');
		s++;
	}
	*sp = s;
	return neg ? -e : e;
}

/*
 * mant * 2^exp (mant != 0, sticky: nonzero bits below mant) rounded to the
 * nearest double, ties to even.  Sets errno ERANGE on overflow and on an
 * inexact result below DBL_MIN.
 */
static double pg_hex_round(uint64_t mant, long exp, bool sticky)
{
	int shift = __builtin_clzll(mant);
	long top;
	int drop;
	unsigned __int128 m, rem, half;
	uint64_t kept;
	double r;

	mant <<= shift;			/* now bit 63 is set */
	exp -= shift;
	top = exp + PG_MANT_BITS - 1;	/* exponent of the leading bit */
	drop = PG_MANT_BITS - PG_DBL_BITS;
	if (top < PG_DBL_MIN_EXP)
		drop += (int)(top < PG_DBL_MIN_EXP - PG_MANT_BITS ?
			      PG_MANT_BITS : PG_DBL_MIN_EXP - top);
	m = mant;
	kept = (uint64_t)(m >> drop);
	rem = m & (((unsigned __int128)1 << drop) - 1);
	half = (unsigned __int128)1 << (drop - 1);
	if (rem > half || (rem == half && (sticky || (kept & 1))))
		kept++;			/* may carry to 2^53: still exact */
	r = ldexp((double)kept, (int)(exp + drop));
	if (isinf(r) || ((rem != 0 || sticky) && fabs(r) < DBL_MIN))
		errno = ERANGE;
	return r;
}

/* Convert the hex sequence after "0x" at s; *end gets where it stopped. */
static double pg_strtod_hex(const char *s, const char *x, char **end)
{
	struct pg_hexnum h = { 0, 0, false, 0 };
	int d;

	for (; (d = pg_hexval(*s)) >= 0; s++)
		pg_hex_add(&h, d, false);
	if (*s == '.')
		for (s++; (d = pg_hexval(*s)) >= 0; s++)
			pg_hex_add(&h, d, true);
	if (h.digits == 0) {		/* "0x" alone: the subject is "0" */
		if (end)
			*end = (char *)x;
		return 0.0;
	}
	if (*s == 'p' || *s == 'P')
		h.exp += pg_hex_exponent(&s);
	if (end)
		*end = (char *)s;
	if (h.mant == 0)
		return 0.0;
	if (h.exp > PG_EXP_LIMIT)
		h.exp = PG_EXP_LIMIT;
	if (h.exp < -PG_EXP_LIMIT)
		h.exp = -PG_EXP_LIMIT;
	return pg_hex_round(h.mant, h.exp, h.sticky);
}

/* Length of the decimal subject sequence at s (after the sign): digits
 * with an optional point, at least one digit, then an optional exponent
 * that has a digit (C17 7.22.1.3p3).  0 if there is none. */
static size_t pg_dec_subject(const char *s)
{
	const char *p = s, *q;
	bool digits = false;

	for (; isdigit((unsigned char)*p); p++)
		digits = true;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits = true;
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		q = p + 1;
		if (*q == '+' || *q == '-')
			q++;
		if (isdigit((unsigned char)*q)) {
			while (isdigit((unsigned char)*q))
				q++;
			p = q;
		}
	}
	return (size_t)(p - s);
}

/* Convert the n-character decimal subject at s (sign included) through a
 * NUL-terminated copy, so picolibc sees nothing past it. */
static double pg_strtod_dec(const char *s, size_t n)
{
	char small[PG_DEC_BUF], *buf = small;
	double r;

	if (n >= sizeof(small)) {
		buf = malloc(n + 1);
		if (buf == NULL)
			return __real_strtod(s, NULL);
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	r = __real_strtod(buf, NULL);
	if (buf != small)
		free(buf);
	return r;
}

double __wrap_strtod(const char *restrict str, char **restrict end)
{
	const char *s = str, *sign;
	bool neg = false;
	size_t n;
	double r;

	while (isspace((unsigned char)*s))
		s++;
	sign = s;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		r = pg_strtod_hex(s + 2, s + 1, end);
		return neg ? -r : r;
	}
	n = pg_dec_subject(s);
	if (n == 0)		/* infinity, NaN, or no number at all */
		return __real_strtod(str, end);
	if (end)
		*end = (char *)(s + n);
	return pg_strtod_dec(sign, (size_t)(s + n - sign));
}
