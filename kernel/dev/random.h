/*
 * The kernel's random numbers: a ChaCha20 generator (RFC 8439) behind
 * /dev/random and /dev/urandom. Seeded at first use from the DTB's
 * /chosen rng-seed (QEMU fills it from the host) and the timer; the key is
 * replaced after every request (fast key erasure), so an earlier output
 * cannot be rebuilt from a later state. Not a source of entropy estimates:
 * both devices read the same stream and never block.
 */
#ifndef KERNEL_DEV_RANDOM_H
#define KERNEL_DEV_RANDOM_H

#include "kernel/types.h"

#define CHACHA_KEY_BYTES    32
#define CHACHA_NONCE_BYTES  12
#define CHACHA_BLOCK_BYTES  64

/* One ChaCha20 block (RFC 8439 section 2.3): 64 bytes of key stream for
 * key, block counter and nonce into out. Pure: host tests call it. */
void chacha20_block(const uint8_t key[CHACHA_KEY_BYTES], uint32_t counter,
		    const uint8_t nonce[CHACHA_NONCE_BYTES],
		    uint8_t out[CHACHA_BLOCK_BYTES]);

/* Fill buf with n random bytes. Any context that may take a spinlock;
 * takes time linear in n, so callers move large amounts in pieces. */
void random_bytes(void *buf, size_t n);
/* Mix n bytes (a write to /dev/random) into the key. Adds no entropy
 * claim; never makes the output worse. */
void random_mix(const void *buf, size_t n);

#endif
