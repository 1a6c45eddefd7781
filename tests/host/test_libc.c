/*
 * Host test of libpagoda's pure overrides of picolibc (user/README.md):
 * vfprintf's double conversions (user/lib/printf.c), strtod
 * (user/lib/strtod.c) and floor/ceil (user/lib/math.c), each checked
 * against the host's glibc, which is exact, on random and edge inputs.
 * The overrides are built with their --wrap names; their __real_ calls
 * go to glibc here.  Replay a run with TEST_LIBC_SEED=<seed>.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"

#define RANDOM_CASES 100000

int __wrap_vfprintf(FILE *f, const char *fmt, va_list ap);
double __wrap_strtod(const char *s, char **end);
double pg_host_floor(double x);
double pg_host_ceil(double x);

int __real_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	return vfprintf(f, fmt, ap);
}

double __real_strtod(const char *s, char **end)
{
	return strtod(s, end);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

/* A double of every kind: any bit pattern, short decimals, dyadics. */
static double random_double(void)
{
	uint64_t u = rng();
	double d;

	switch (u % 4) {
	case 0:
		u = rng();
		memcpy(&d, &u, sizeof(d));
		return d;
	case 1:
		return (double)(rng() % 100000) / pow(10, (double)(rng() % 9));
	case 2:
		return (double)(rng() % 2000) * 0.125 - 125;
	default:
		return ldexp((double)(rng() >> 11), (int)(rng() % 400) - 250);
	}
}

/* Our vfprintf into a buffer (the result, -1 on overflow). */
static int ours(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fmemopen(buf, size, "w");
	int r;

	if (f == NULL)
		return -1;
	va_start(ap, fmt);
	r = __wrap_vfprintf(f, fmt, ap);
	va_end(ap);
	if (fputc('\0', f) == EOF)
		r = -1;
	fclose(f);
	return r;
}

/* printf_17g_digits and friends: every double format equals glibc's. */
static void test_printf_random(void)
{
	static const char *const fmts[] = {
		"%.17g", "%g", "%e", "%f", "%.0f", "%.0e", "%.3g", "%#.3g",
		"%#g", "%+10.4f", "%-12.5e|", "%012.3f", "% .20e", "%.30f",
		"%G", "%E", "%.1f", "%5.0g", "%#.0f", "%#.0e", "%.99f",
		"%.15g", "%.16g", "%F", "%.40g", "%-+9.2g|",
	};
	static char want[4096], got[4096];
	const int nfmts = (int)(sizeof(fmts) / sizeof(fmts[0]));
	int bad = 0;

	for (int i = 0; i < RANDOM_CASES; i++) {
		double d = random_double();
		const char *fmt = fmts[i % nfmts];
		int n = snprintf(want, sizeof(want), fmt, d);
		int r = ours(got, sizeof(got), fmt, d);

		if (r != n || strcmp(want, got) != 0) {
			if (bad++ < 5)
				printf("# %s of %a: glibc \"%s\", ours \"%s\" (%d)\n",
				       fmt, d, want, got, r);
		}
	}
	tap_ok(bad == 0, "%d random double conversions equal glibc's (%d differ)",
	       RANDOM_CASES, bad);
}

/* Conversions that are not doubles go through unchanged. */
static void test_printf_other(void)
{
	char got[256];
	int n = -1;

	ours(got, sizeof(got), "%d|%5s|%-3c|%lu|%#x|%%|%.2s|%05d|%hhd|%zu%n",
	     -42, "ab", 'z', 123456789012UL, 255, "xyz", 42, 300, (size_t)7, &n);
	tap_ok(strcmp(got, "-42|   ab|z  |123456789012|0xff|%|xy|00042|44|7") == 0 &&
	       n == 47, "integer, string and %%n conversions: %s (n=%d)", got, n);
	ours(got, sizeof(got), "%*.*f|%-*d|%.*e", 8, 2, 3.14159, 4, 7, -1, 0.5);
	tap_ok(strcmp(got, "    3.14|7   |5.000000e-01") == 0,
	       "* width and precision: %s", got);
	ours(got, sizeof(got), "%f %e %g %F %05.1f", INFINITY, -INFINITY, NAN,
	     INFINITY, -INFINITY);
	tap_ok(strcmp(got, "inf -inf nan INF  -inf") == 0, "infinity and NaN: %s", got);
	ours(got, sizeof(got), "%.17g %.20f %.0f %.0f %.0f", 0.1, 0.1, 0.5, 1.5, 2.5);
	tap_ok(strcmp(got, "0.10000000000000001 0.10000000000000000555 0 2 2") == 0,
	       "exact digits, ties to even: %s", got);
	ours(got, sizeof(got), "%2$s %1$s", "a", "b");
	tap_ok(strcmp(got, "b a") == 0, "positional arguments: %s", got);
}

/* strtod_hex_fraction: hex strings read back to the same bits as glibc. */
static void test_strtod_random(void)
{
	char s[128], *e1, *e2;
	int bad = 0;

	for (int i = 0; i < RANDOM_CASES; i++) {
		double d = random_double(), a, b;
		int len;

		switch (i % 3) {
		case 0:		/* %a of a double: exact */
			len = snprintf(s, sizeof(s), "%a", d);
			break;
		case 1:		/* long mantissa, any exponent: rounding */
			len = snprintf(s, sizeof(s), "%s0x%lx.%lxp%d", i & 8 ? "-" : "",
				       (unsigned long)rng(), (unsigned long)rng(),
				       (int)(rng() % 2400) - 1200);
			break;
		default:	/* decimal, with junk after it */
			len = snprintf(s, sizeof(s), "%.*g%s", (int)(rng() % 20) + 1,
				       d, i & 4 ? "x1" : "e+");
			break;
		}
		(void)len;
		errno = 0;
		a = strtod(s, &e1);
		int ea = errno;
		errno = 0;
		b = __wrap_strtod(s, &e2);
		int eb = errno;
		if (bits(a) != bits(b) && !(isnan(a) && isnan(b)))
			goto differ;
		if (e1 != e2 || (ea == ERANGE) != (eb == ERANGE))
			goto differ;
		continue;
differ:
		if (bad++ < 5)
			printf("# strtod(\"%s\"): glibc %a end %ld errno %d, ours %a end %ld errno %d\n",
			       s, a, (long)(e1 - s), ea, b, (long)(e2 - s), eb);
	}
	tap_ok(bad == 0, "%d random strtod inputs equal glibc's (%d differ)",
	       RANDOM_CASES, bad);
}

/* strtod_0x_without_digit, C17 7.22.1.3p3-7 edge cases. */
static void test_strtod_edges(void)
{
	static const char *const cases[] = {
		"0x", "0x.", "0xg", "-0x", "0x.p1", "0x1p", "0x1p+", "0x1.8p1",
		"0x.8", "  +0XA.Bp0xyz", "00x2", "0x0", "-0x0p99", "0x1p-1075",
		"0x1.8p-1074", "0x1p1024", "0x1.fffffffffffff8p1023", "1e",
		"1e+", ".5", ".", "-.e1", "inf", "nan", "infinity", "1e400",
		"1e-400", "0x1.fffffffffffff7p0", "0x10000000000000000001p-76",
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e1, *e2;
		double a = strtod(cases[i], &e1), b = __wrap_strtod(cases[i], &e2);

		if ((bits(a) != bits(b) && !(isnan(a) && isnan(b))) || e1 != e2) {
			bad++;
			printf("# strtod(\"%s\"): glibc %a used %ld, ours %a used %ld\n",
			       cases[i], a, (long)(e1 - cases[i]), b,
			       (long)(e2 - cases[i]));
		}
	}
	tap_ok(bad == 0, "strtod edge cases equal glibc's (%d differ)", bad);
}

/* floor_ceil_carry: exact against glibc on every kind of double. */
static void test_floor_ceil(void)
{
	static const double edges[] = {
		2147483647.5, -2147483648.5, 4294967295.5, 4503599627370495.5,
		-4503599627370495.5, 0.5, -0.5, 0.0, -0.0, 1e300, -1e-300,
	};
	int bad = 0;

	for (int i = 0; i < RANDOM_CASES; i++) {
		double d = i < (int)(sizeof(edges) / sizeof(edges[0])) ?
			   edges[i] : random_double();

		if (isnan(d))
			continue;
		if (bits(floor(d)) != bits(pg_host_floor(d)) ||
		    bits(ceil(d)) != bits(pg_host_ceil(d))) {
			if (bad++ < 5)
				printf("# floor/ceil(%a): glibc %a %a, ours %a %a\n",
				       d, floor(d), ceil(d), pg_host_floor(d),
				       pg_host_ceil(d));
		}
	}
	tap_ok(bad == 0, "floor and ceil equal glibc's (%d differ)", bad);
	tap_ok(isnan(pg_host_floor(NAN)) && isnan(pg_host_ceil(NAN)),
	       "floor and ceil of NaN are NaN");
}

int main(void)
{
	const char *seed = getenv("TEST_LIBC_SEED");

	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (rng_state == 0)
		rng_state = 1;
	printf("# seed 0x%lx\n", (unsigned long)rng_state);
	test_printf_random();
	test_printf_other();
	test_strtod_random();
	test_strtod_edges();
	test_floor_ceil();
	return tap_done();
}
