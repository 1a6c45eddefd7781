/*
 * floor and ceil (C17 7.12.9.2, 7.12.9.1) in place of picolibc 1.8's, which
 * work on the two 32-bit halves of a double and lose the carry between
 * them (ceil(2147483647.5) gave 2147482624).  Both are exact: a double of
 * magnitude 2^52 or more is already an integer, anything smaller fits an
 * int64_t, whose conversion truncates toward zero (C17 6.3.1.4).
 */
#include <math.h>
#include <stdint.h>

#define PG_TWO_POW_52 4503599627370496.0	/* doubles >= this are integers */

/* x rounded toward zero; x finite, |x| < 2^52.  Keeps the sign of zero. */
static double pg_trunc_small(double x)
{
	return copysign((double)(int64_t)x, x);
}

double floor(double x)
{
	double t;

	if (!(fabs(x) < PG_TWO_POW_52))	/* big, infinite or NaN */
		return x;
	t = pg_trunc_small(x);
	return t > x ? t - 1.0 : t;
}

double ceil(double x)
{
	double t;

	if (!(fabs(x) < PG_TWO_POW_52))
		return x;
	t = pg_trunc_small(x);
	return t < x ? t + 1.0 : t;
}
