/*
 * Freestanding memory and string functions for the kernel. The compiler also
 * emits calls to memcpy/memset/memmove for structure copies, so these must not
 * themselves be compiled into calls to the same functions.
 */
#include "kernel/lib/string.h"

/* Keep GCC from turning the loops below back into memset/memcpy calls. */
#define STRING_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Word copies may alias any object type. */
typedef uint64_t __attribute__((may_alias)) word_t;
#define WORD_SIZE sizeof(word_t)
#define PAGE_WORDS (4096 / WORD_SIZE)     /* page_zero, page_copy: 4 KiB pages */

static inline bool word_aligned(const void *a, const void *b)
{
	return (((uintptr_t)a | (uintptr_t)b) & (WORD_SIZE - 1)) == 0;
}

STRING_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	uint64_t word = 0x0101010101010101ULL * (uint8_t)c;

	while (n > 0 && ((uintptr_t)d & (WORD_SIZE - 1)) != 0) {
		*d++ = (uint8_t)c;
		n--;
	}
	/* Eight stores per turn: zeroing a page (every zero-fill fault)
	 * costs 512 stores and 64 loop steps instead of 512 of each. */
	for (; n >= 8 * WORD_SIZE; n -= 8 * WORD_SIZE, d += 8 * WORD_SIZE) {
		word_t *w = (word_t *)d;

		w[0] = word; w[1] = word; w[2] = word; w[3] = word;
		w[4] = word; w[5] = word; w[6] = word; w[7] = word;
	}
	for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE)
		*(word_t *)d = word;
	while (n-- > 0)
		*d++ = (uint8_t)c;
	return dst;
}

STRING_NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (word_aligned(d, s)) {
		/* Eight words per turn, as in memset (copy-on-write copies). */
		for (; n >= 8 * WORD_SIZE;
		     n -= 8 * WORD_SIZE, d += 8 * WORD_SIZE, s += 8 * WORD_SIZE) {
			word_t *w = (word_t *)d;
			const word_t *r = (const word_t *)s;
			word_t a = r[0], b = r[1], c = r[2], e = r[3];

			w[0] = a; w[1] = b; w[2] = c; w[3] = e;
			a = r[4]; b = r[5]; c = r[6]; e = r[7];
			w[4] = a; w[5] = b; w[6] = c; w[7] = e;
		}
		for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE, s += WORD_SIZE)
			*(word_t *)d = *(const word_t *)s;
	}
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

/* Sixty-four words (512 bytes) per loop step, and the loop tests one
 * pointer: zeroing a page is 512 stores and 8 steps of two more
 * instructions (memset's loop keeps a count and takes four per step of
 * eight stores). The offsets stay within a store's 12-bit immediate. */
#define ZERO8(w, i) do { \
	(w)[(i)] = 0; (w)[(i) + 1] = 0; (w)[(i) + 2] = 0; (w)[(i) + 3] = 0; \
	(w)[(i) + 4] = 0; (w)[(i) + 5] = 0; (w)[(i) + 6] = 0; (w)[(i) + 7] = 0; \
} while (0)

STRING_NO_LIBCALL void page_zero(void *dst)
{
	word_t *w = dst;
	word_t *end = w + PAGE_WORDS;

	do {
		ZERO8(w, 0); ZERO8(w, 8); ZERO8(w, 16); ZERO8(w, 24);
		ZERO8(w, 32); ZERO8(w, 40); ZERO8(w, 48); ZERO8(w, 56);
		w += 64;
	} while (w != end);
}

/* Eight words from r[i..i+7] to w[i..i+7], the loads first. */
#define COPY8(w, r, i) do { \
	word_t a = (r)[(i)], b = (r)[(i) + 1], c = (r)[(i) + 2]; \
	word_t d = (r)[(i) + 3], e = (r)[(i) + 4], f = (r)[(i) + 5]; \
	word_t g = (r)[(i) + 6], h = (r)[(i) + 7]; \
	(w)[(i)] = a; (w)[(i) + 1] = b; (w)[(i) + 2] = c; (w)[(i) + 3] = d; \
	(w)[(i) + 4] = e; (w)[(i) + 5] = f; (w)[(i) + 6] = g; (w)[(i) + 7] = h; \
} while (0)

/* As page_zero: 512 loads and 512 stores, two pointer steps and one test
 * per 512 bytes (each copy-on-write fault copies one page). */
STRING_NO_LIBCALL void page_copy(void *dst, const void *src)
{
	word_t *w = dst;
	const word_t *r = src;
	word_t *end = w + PAGE_WORDS;

	do {
		COPY8(w, r, 0); COPY8(w, r, 8); COPY8(w, r, 16); COPY8(w, r, 24);
		COPY8(w, r, 32); COPY8(w, r, 40); COPY8(w, r, 48); COPY8(w, r, 56);
		w += 64;
		r += 64;
	} while (w != end);
}

STRING_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n-- > 0)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

STRING_NO_LIBCALL size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (int)(uint8_t)*a - (int)(uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return (int)(uint8_t)*a - (int)(uint8_t)*b;
		if (*a == '\0')
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)last;
	}
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = strnlen(dst, size);

	if (dlen == size)
		return size + strlen(src);
	return dlen + strlcpy(dst + dlen, src, size - dlen);
}
