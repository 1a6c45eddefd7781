/*
 * The kernel random number generator (kernel/dev/random.h): ChaCha20 in
 * counter mode under one spinlock, keyed once from the DTB and the timer,
 * rekeyed after each request. Called by the /dev/random and /dev/urandom
 * driver (kernel/dev/mem.c); it touches no hardware itself.
 */
#include "kernel/dev/random.h"
#include "kernel/dtb.h"
#include "kernel/lib/string.h"
#include "kernel/lock.h"
#include "arch/riscv/timer.h"

#define CHACHA_STATE_WORDS  16
#define CHACHA_DOUBLE_ROUNDS 10         /* 20 rounds */
#define CHACHA_CONST0       0x61707865u /* "expa" */
#define CHACHA_CONST1       0x3320646eu /* "nd 3" */
#define CHACHA_CONST2       0x79622d32u /* "2-by" */
#define CHACHA_CONST3       0x6b206574u /* "te k" */
#define RANDOM_SEED_PROP    "rng-seed"

static uint32_t rotl32(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The quarter round of RFC 8439 section 2.1 on words a, b, c, d of x. */
static void chacha_quarter(uint32_t *x, int a, int b, int c, int d)
{
	x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 16);
	x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 12);
	x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 8);
	x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 7);
}

void chacha20_block(const uint8_t key[CHACHA_KEY_BYTES], uint32_t counter,
		    const uint8_t nonce[CHACHA_NONCE_BYTES],
		    uint8_t out[CHACHA_BLOCK_BYTES])
{
	uint32_t in[CHACHA_STATE_WORDS], x[CHACHA_STATE_WORDS];

	in[0] = CHACHA_CONST0;
	in[1] = CHACHA_CONST1;
	in[2] = CHACHA_CONST2;
	in[3] = CHACHA_CONST3;
	for (int i = 0; i < 8; i++)
		in[4 + i] = load_le32(key + 4 * i);
	in[12] = counter;
	for (int i = 0; i < 3; i++)
		in[13 + i] = load_le32(nonce + 4 * i);
	memcpy(x, in, sizeof(x));
	for (int i = 0; i < CHACHA_DOUBLE_ROUNDS; i++) {
		chacha_quarter(x, 0, 4, 8, 12);         /* columns */
		chacha_quarter(x, 1, 5, 9, 13);
		chacha_quarter(x, 2, 6, 10, 14);
		chacha_quarter(x, 3, 7, 11, 15);
		chacha_quarter(x, 0, 5, 10, 15);        /* diagonals */
		chacha_quarter(x, 1, 6, 11, 12);
		chacha_quarter(x, 2, 7, 8, 13);
		chacha_quarter(x, 3, 4, 9, 14);
	}
	for (int i = 0; i < CHACHA_STATE_WORDS; i++)
		store_le32(out + 4 * i, x[i] + in[i]);
}

#ifndef RANDOM_HOST_TEST
/*
 * Locking: (r) random_lock, a leaf spinlock.
 * Invariant: seeded once random_bytes or random_mix has run.
 */
static struct spinlock random_lock = SPINLOCK_INIT("random");
static uint8_t random_key[CHACHA_KEY_BYTES];    /* (r) */
static uint64_t random_requests;                /* (r) nonce: never repeats */
static bool random_seeded;                      /* (r) */

/* The nonce of one request: its number and the timer. */
static void random_nonce(uint8_t nonce[CHACHA_NONCE_BYTES])
{
	uint64_t now = timer_now();

	store_le32(nonce, (uint32_t)random_requests);
	store_le32(nonce + 4, (uint32_t)(random_requests >> 32));
	store_le32(nonce + 8, (uint32_t)now);
	random_requests++;
}

/* Replace the key by fresh key stream (fast key erasure). => random_lock. */
static void _random_rekey(void)
{
	uint8_t nonce[CHACHA_NONCE_BYTES], block[CHACHA_BLOCK_BYTES];

	random_nonce(nonce);
	chacha20_block(random_key, 0, nonce, block);
	memcpy(random_key, block, CHACHA_KEY_BYTES);
	memset(block, 0, sizeof(block));
}

/* XOR n bytes into the key, then rekey. => random_lock. */
static void _random_absorb(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < n; i++)
		random_key[i % CHACHA_KEY_BYTES] ^= p[i];
	_random_rekey();
}

/* First use: the DTB's rng-seed (when the machine gives one) and the
 * timer, whose value at this moment depends on the whole boot. */
static void _random_seed(void)
{
	uint64_t now = timer_now();
	int node = dtb_find_path("/chosen"), len = 0;
	const void *seed = node >= 0 ? dtb_prop(node, RANDOM_SEED_PROP, &len) : NULL;

	if (seed != NULL && len > 0)
		_random_absorb(seed, (size_t)len);
	_random_absorb(&now, sizeof(now));
	random_seeded = true;
}

void random_bytes(void *buf, size_t n)
{
	uint8_t nonce[CHACHA_NONCE_BYTES], block[CHACHA_BLOCK_BYTES];
	uint8_t *out = buf;
	uint32_t counter = 1;           /* block 0 of a nonce makes the next key */

	spin_lock(&random_lock);
	if (!random_seeded)
		_random_seed();
	random_nonce(nonce);
	while (n > 0) {
		size_t k = MIN(n, sizeof(block));
		chacha20_block(random_key, counter++, nonce, block);
		memcpy(out, block, k);
		out += k;
		n -= k;
	}
	_random_rekey();
	spin_unlock(&random_lock);
	memset(block, 0, sizeof(block));
}

void random_mix(const void *buf, size_t n)
{
	spin_lock(&random_lock);
	if (!random_seeded)
		_random_seed();
	_random_absorb(buf, n);
	spin_unlock(&random_lock);
}
#endif
