/*
 * Host unit test of the swap device layer (kernel/vm/swap.c): parsing the
 * mkswap version-1 header from in-memory pages and from an image made by
 * util-linux's mkswap, swap_init over a stub disk, and the slot allocator
 * replayed against a model (a reference count per slot) for thousands of
 * random alloc/ref/free steps, with swap_check after each. Built with
 * ASan/UBSan by tests/host/swap.mk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/dev.h"
#include "kernel/lib/sbuf.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/swap.h"
#include "tests/host/tap.h"

/* ---- stubs for what swap.c uses outside itself ---- */

void *kmalloc(size_t size) { return malloc(size); }
void *kzalloc(size_t size) { return calloc(1, size); }
void kfree(void *ptr) { free(ptr); }

static uint8_t *disk;           /* the stub second disk, NULL: none */
static size_t disk_bytes;
static int disk_reads;
static struct device disk_dev = { .id = DEV_ID(DEV_BLOCK, 2), .name = "virtio-blk2" };

struct device *dev_find(dev_id_t id)
{
	return disk != NULL && id == disk_dev.id ? &disk_dev : NULL;
}

uint64_t blk_nsectors(dev_id_t dev)
{
	return disk != NULL && dev == disk_dev.id ? disk_bytes / BLK_SECTOR_SIZE : 0;
}

int blk_rw(dev_id_t dev, enum blk_op op, uint64_t sector, void *buf,
	   size_t len, enum blk_reason reason)
{
	if (disk == NULL || dev != disk_dev.id || op != BLK_READ ||
	    reason != BLK_REASON_SWAP)
		return -ENODEV;
	if (len == 0 || len % BLK_SECTOR_SIZE != 0 ||
	    sector * BLK_SECTOR_SIZE + len > disk_bytes)
		return -EINVAL;
	memcpy(buf, disk + sector * BLK_SECTOR_SIZE, len);
	disk_reads++;
	return 0;
}

static int disk_claims;          /* exclusive claims held on the stub disk */

int blk_claim(dev_id_t dev, enum blk_claim kind)
{
	if (disk == NULL || dev != disk_dev.id)
		return -ENODEV;
	if (kind != BLK_CLAIM_EXCL || disk_claims != 0)
		return -EBUSY;
	disk_claims++;
	return 0;
}

void blk_unclaim(dev_id_t dev, enum blk_claim kind)
{
	if (disk == NULL || dev != disk_dev.id || kind != BLK_CLAIM_EXCL || disk_claims != 1) {
		fprintf(stderr, "blk_unclaim without a claim\n");
		abort();
	}
	disk_claims--;
}

int blk_selftest(dev_id_t dev __unused)
{
	return -ENODEV;         /* the kernel's check needs a real queue */
}

/* ---- header pages ---- */

static void put32(uint8_t *page, size_t off, uint32_t v)
{
	memcpy(page + off, &v, sizeof(v));
}

/* A version-1 header of last_page with the given bad pages and label. */
static void make_header(uint8_t *page, uint32_t last_page, const uint32_t *bad,
			uint32_t nbad, const char *label)
{
	memset(page, 0, SWAP_HDR_SIZE);
	put32(page, offsetof(struct swap_header_info, version), 1);
	put32(page, offsetof(struct swap_header_info, last_page), last_page);
	put32(page, offsetof(struct swap_header_info, nr_badpages), nbad);
	for (uint32_t i = 0; i < nbad; i++)
		put32(page, offsetof(struct swap_header_info, badpages) + 4 * i, bad[i]);
	if (label != NULL)
		memcpy(page + offsetof(struct swap_header_info, sws_volume), label,
		       strnlen(label, SWAP_HDR_LABEL_LEN));
	memcpy(page + SWAP_HDR_MAGIC_OFF, SWAP_HDR_MAGIC, SWAP_HDR_MAGIC_LEN);
}

static bool why_has(const struct swap_header *h, const char *word)
{
	return h->why != NULL && strstr(h->why, word) != NULL;
}

static void test_parse(void)
{
	static uint8_t page[SWAP_HDR_SIZE];
	struct swap_header h;
	uint32_t bad[] = { 5, 7, 100 };
	int rc;

	make_header(page, 255, NULL, 0, "pagoda-swap");
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == 0 && h.last_page == 255 && h.nr_badpages == 0 &&
	       strcmp(h.label, "pagoda-swap") == 0,
	       "good header: last_page %u, label '%s' (rc %d)", h.last_page, h.label, rc);

	make_header(page, 255, NULL, 0, "0123456789abcdefXX");
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == 0 && strcmp(h.label, "0123456789abcdef") == 0,
	       "a 16-byte label is NUL-terminated: '%s'", h.label);

	make_header(page, 255, NULL, 0, NULL);
	memcpy(page + SWAP_HDR_MAGIC_OFF, "SWAP-SPACE", SWAP_HDR_MAGIC_LEN);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "SWAPSPACE2"), "old v0 magic refused: %s",
	       h.why ? h.why : "(none)");
	memset(page, 0, sizeof(page));
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "SWAPSPACE2"), "zeroed page refused: %s",
	       h.why ? h.why : "(none)");

	make_header(page, 255, NULL, 0, NULL);
	put32(page, offsetof(struct swap_header_info, version), 2);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "version"), "version 2 refused: %s",
	       h.why ? h.why : "(none)");
	put32(page, offsetof(struct swap_header_info, version), 0x01000000);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "version"), "byte-swapped version refused");

	make_header(page, 256, NULL, 0, NULL);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "longer"), "last_page past the disk refused: %s",
	       h.why ? h.why : "(none)");
	make_header(page, 0, NULL, 0, NULL);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "empty"), "last_page 0 refused");

	make_header(page, 255, bad, 3, NULL);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == 0 && h.nr_badpages == 3, "three bad pages parsed (rc %d)", rc);
	bad[1] = 256;
	make_header(page, 255, bad, 3, NULL);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "bad page"), "bad page past last_page refused");
	bad[1] = 0;
	make_header(page, 255, bad, 3, NULL);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "bad page"), "bad page 0 refused");
	make_header(page, 255, NULL, 0, NULL);
	put32(page, offsetof(struct swap_header_info, nr_badpages),
	      SWAP_HDR_MAX_BADPAGES + 1);
	rc = swap_parse_header(page, 256, &h);
	tap_ok(rc == -EINVAL && why_has(&h, "too long"), "638 bad pages refused");
}

/* Attach a header with bad pages and allocate everything: the bad pages
 * and slot 0 never come out, every other slot does exactly once. */
static void test_bad_pages(void)
{
	static uint8_t page[SWAP_HDR_SIZE];
	uint32_t bad[] = { 1, 5, 7, 100, 7, 200 };  /* 7 twice: counts once */
	uint32_t last = 200, nbad = 5;
	struct swap_header h;
	static uint8_t seen[201];
	swap_slot_t first;
	size_t got = 0;
	bool ok = true;
	int n;

	make_header(page, last, bad, 6, "bad");
	if (!tap_ok(swap_parse_header(page, last + 1, &h) == 0 &&
		    swap_attach(&h, DEV_ID(DEV_BLOCK, 2), "virtio-blk2") == 0,
		    "header with bad pages attaches"))
		return;
	tap_ok(swap_total_pages() == last - nbad && swap_free_pages() == last - nbad,
	       "total %zu = last_page %u - %u bad", swap_total_pages(), last, nbad);
	tap_ok(swap_attach(&h, DEV_ID(DEV_BLOCK, 2), "again") == -EBUSY,
	       "second attach is -EBUSY");
	memset(seen, 0, sizeof(seen));
	while ((n = swap_alloc(7, &first)) > 0) {
		for (int i = 0; i < n; i++) {
			if (first + i > last || seen[first + i])
				ok = false;
			else
				seen[first + i] = 1;
		}
		got += n;
	}
	tap_ok(n == -ENOSPC, "full swap gives -ENOSPC (%d)", n);
	tap_ok(ok && got == last - nbad && !seen[0] && !seen[1] && !seen[5] &&
	       !seen[7] && !seen[100] && !seen[200],
	       "every good slot once, no bad slot nor slot 0 (%zu slots)", got);
	tap_ok(swap_check() == 0 && swap_free_pages() == 0, "check passes when full");
	for (uint32_t s = 1; s <= last; s++)
		if (seen[s])
			swap_slot_free(s);
	tap_ok(swap_check() == 0 && swap_free_pages() == last - nbad, "all freed");
	tap_ok(swap_detach() == 0 && swap_total_pages() == 0 && swap_detach() == -ENODEV,
	       "detach; no swap afterwards");
}

/* Next-fit: successive allocations are adjacent, and freed slots behind
 * the cursor are not reused while there is room ahead. */
static void test_next_fit(void)
{
	static uint8_t page[SWAP_HDR_SIZE];
	struct swap_header h;
	swap_slot_t a, b, c, d;
	int na, nb, nc, nd;

	make_header(page, 63, NULL, 0, NULL);
	if (swap_parse_header(page, 64, &h) != 0 ||
	    swap_attach(&h, DEV_ID(DEV_BLOCK, 2), "virtio-blk2") != 0) {
		tap_ok(false, "attach 64-slot area");
		return;
	}
	tap_ok(swap_alloc(0, &a) == -EINVAL, "swap_alloc(0) is -EINVAL");
	na = swap_alloc(8, &a);
	nb = swap_alloc(8, &b);
	tap_ok(na == 8 && nb == 8 && a == 1 && b == 9, "two batches adjacent: %u+%d, %u+%d",
	       a, na, b, nb);
	for (int i = 0; i < 8; i++)
		swap_slot_free(a + i);
	nc = swap_alloc(4, &c);
	tap_ok(nc == 4 && c == 17, "next batch continues at the cursor: %u", c);
	/* Fill the rest (slots 21..63 = 43), then a request of 10 wraps
	 * to the freed run 1..8 and gets the 8 there. */
	nd = swap_alloc(43, &d);
	tap_ok(nd == 43 && d == 21, "the rest: %u+%d", d, nd);
	nd = swap_alloc(10, &d);
	tap_ok(nd == 8 && d == 1, "fragmented: fewer than asked (%d at %u)", nd, d);
	tap_ok(swap_alloc(1, &d) == -ENOSPC, "then -ENOSPC");
	tap_ok(swap_slot_ref(5) == 0 && swap_slot_refcount(5) == 2, "ref: count 2");
	swap_slot_free(5);
	tap_ok(swap_slot_refcount(5) == 1 && swap_free_pages() == 0,
	       "one reference dropped: still allocated");
	for (swap_slot_t s = 1; s <= 63; s++)
		swap_slot_free(s);
	tap_ok(swap_check() == 0 && swap_free_pages() == 63, "all free again");
	swap_detach();
}

/* A slot's count stops at its maximum (-ERANGE, unchanged), and every
 * reference must be dropped before the slot is free again. */
static void test_ref_max(void)
{
	static uint8_t page[SWAP_HDR_SIZE];
	struct swap_header h;
	swap_slot_t s;
	uint32_t refs = 1;
	int rc = 0;

	make_header(page, 15, NULL, 0, NULL);
	if (swap_parse_header(page, 16, &h) != 0 ||
	    swap_attach(&h, DEV_ID(DEV_BLOCK, 2), "virtio-blk2") != 0 ||
	    swap_alloc(1, &s) != 1) {
		tap_ok(false, "attach a 16-slot area and allocate one slot");
		return;
	}
	while ((rc = swap_slot_ref(s)) == 0 && refs < (1u << 20))
		refs++;
	tap_ok(rc == -ERANGE && swap_slot_refcount(s) == refs && refs >= (1u << 15),
	       "references stop at %u with -ERANGE, count unchanged", refs);
	while (refs > 1) {
		swap_slot_free(s);
		refs--;
	}
	tap_ok(swap_slot_refcount(s) == 1 && swap_free_pages() == 14 && swap_check() == 0,
	       "all but one dropped: still allocated");
	swap_slot_free(s);
	tap_ok(swap_slot_refcount(s) == 0 && swap_free_pages() == 15 && swap_check() == 0,
	       "the last dropped: free");
	swap_detach();
}

/* ---- the model ---- */

#define MODEL_LAST  1500
static uint32_t model[MODEL_LAST + 1];
static bool model_bad[MODEL_LAST + 1];

static uint64_t rng_state = 0x5061676f64615357ULL;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static uint32_t model_free(void)
{
	uint32_t n = 0;

	for (uint32_t s = 1; s <= MODEL_LAST; s++)
		n += !model_bad[s] && model[s] == 0;
	return n;
}

static uint32_t model_longest_run(void)
{
	uint32_t best = 0, run = 0;

	for (uint32_t s = 1; s <= MODEL_LAST; s++) {
		run = !model_bad[s] && model[s] == 0 ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/* Next-fit, as swap.h states it: the first free run of at least want
 * slots that starts at or after the cursor (a run crossing the cursor
 * counts from the cursor); else the first such run from slot 1; 0 if
 * there is none (then the allocator takes a longest run). */
static uint32_t model_next_fit(uint32_t cursor, uint32_t want)
{
	for (int pass = 0; pass < 2; pass++) {
		uint32_t run = 0;

		for (uint32_t s = pass == 0 ? cursor : 1; s <= MODEL_LAST; s++) {
			run = !model_bad[s] && model[s] == 0 ? run + 1 : 0;
			if (run == want)
				return s + 1 - want;
		}
	}
	return 0;
}

/* The length of the free run at s, at most cap. */
static uint32_t model_run_at(swap_slot_t s, uint32_t cap)
{
	uint32_t n = 0;

	while (n < cap && s + n <= MODEL_LAST && !model_bad[s + n] && model[s + n] == 0)
		n++;
	return n;
}

/* Every slot's reference count equals the model's. */
static bool model_counts_match(int step)
{
	for (uint32_t k = 0; k <= MODEL_LAST; k++)
		if (swap_slot_refcount(k) != model[k]) {
			printf("# step %d: slot %u ref %u, model %u\n", step, k,
			       swap_slot_refcount(k), model[k]);
			return false;
		}
	return true;
}

/* A random allocated slot, 0 if none. */
static swap_slot_t model_pick(void)
{
	uint32_t start = 1 + rnd(MODEL_LAST);

	for (uint32_t i = 0; i < MODEL_LAST; i++) {
		uint32_t s = 1 + (start - 1 + i) % MODEL_LAST;
		if (model[s] != 0)
			return s;
	}
	return 0;
}

static void test_model(void)
{
	static uint8_t page[SWAP_HDR_SIZE];
	uint32_t bad[40];
	struct swap_header h;
	int steps = 20000, fails = 0, allocs = 0, partial = 0, full = 0;
	int wrapped = 0, run_frees = 0;
	uint32_t cursor = 1;            /* the model's next-fit cursor */

	memset(model, 0, sizeof(model));
	memset(model_bad, 0, sizeof(model_bad));
	for (int i = 0; i < 40; i++) {
		bad[i] = 1 + rnd(MODEL_LAST);
		model_bad[bad[i]] = true;
	}
	make_header(page, MODEL_LAST, bad, 40, "model");
	if (swap_parse_header(page, MODEL_LAST + 1, &h) != 0 ||
	    swap_attach(&h, DEV_ID(DEV_BLOCK, 2), "virtio-blk2") != 0) {
		tap_ok(false, "attach the model's area");
		return;
	}
	for (int step = 0; step < steps && fails == 0; step++) {
		/* Phases of 2500 steps: filling (mostly allocations, so the
		 * area gets full) and draining (mostly frees, fragmenting it). */
		bool fill = (step / 2500) % 2 == 0;
		uint32_t op = rnd(10);
		swap_slot_t s;

		if (fill && op >= 6)
			op = 1;                 /* alloc */
		else if (!fill && op < 3)
			op = 9;                 /* a batch free */
		if (op < 4) {
			uint32_t want = 1 + rnd(op == 0 ? 64 : 16);
			uint32_t mfree = model_free(), longest = model_longest_run();
			uint32_t cap = want < mfree ? want : mfree;
			int n = swap_alloc(want, &s);

			allocs++;
			if (mfree == 0) {
				full++;
				if (n != -ENOSPC) {
					printf("# step %d: full but alloc gave %d\n", step, n);
					fails++;
				}
				continue;
			}
			uint32_t fit = longest >= cap ? model_next_fit(cursor, cap) : 0;
			if (n < 1 || (uint32_t)n > cap ||
			    (uint32_t)n != (longest < cap ? longest : cap)) {
				printf("# step %d: alloc %u gave %d (free %u, longest %u)\n",
				       step, want, n, mfree, longest);
				fails++;
				continue;
			}
			if ((fit != 0 && s != fit) ||
			    (fit == 0 && model_run_at(s, longest) != longest)) {
				printf("# step %d: alloc %u at %u, next-fit from %u says %u\n",
				       step, want, s, cursor, fit);
				fails++;
				continue;
			}
			wrapped += fit != 0 && fit < cursor;
			cursor = s + n <= MODEL_LAST ? s + n : 1;
			partial += (uint32_t)n < want;
			for (int i = 0; i < n; i++) {
				if (s + i == 0 || s + i > MODEL_LAST || model_bad[s + i] ||
				    model[s + i] != 0) {
					printf("# step %d: slot %u not free in the model\n",
					       step, s + i);
					fails++;
					break;
				}
				model[s + i] = 1;
			}
		} else if (op < 6) {
			s = model_pick();
			if (s != 0) {
				if (swap_slot_ref(s) != 0)
					fails++;
				model[s]++;
			}
		} else if (op == 8) {
			/* Free a whole allocated run from a slot on, as the
			 * page-in of a batch frees its cluster. */
			s = model_pick();
			for (; s != 0 && s <= MODEL_LAST && model[s] != 0; s++) {
				swap_slot_free(s);
				model[s]--;
			}
			run_frees++;
		} else {
			/* Free a few: a whole batch, like the last exit. */
			for (uint32_t k = 1 + rnd(op == 9 ? 24 : 3); k > 0; k--) {
				s = model_pick();
				if (s == 0)
					break;
				swap_slot_free(s);
				model[s]--;
			}
		}
		if (swap_check() != 0 || swap_free_pages() != model_free()) {
			printf("# step %d: check failed or free %zu != model %u\n", step,
			       swap_free_pages(), model_free());
			fails++;
		}
		if (!model_counts_match(step))
			fails++;
	}
	tap_ok(fails == 0, "%d random steps against the model (%d allocs, %d short, %d full, "
	       "%d wrapped, %d runs freed)", steps, allocs, partial, full, wrapped, run_frees);
	tap_ok(partial > 0 && full > 0 && wrapped > 0 && run_frees > 0,
	       "the run reached fragmentation, a full area, a wrap of the cursor and run frees");
	for (uint32_t k = 1; k <= MODEL_LAST; k++)
		while (model[k] > 0) {
			swap_slot_free(k);
			model[k]--;
		}
	tap_ok(swap_check() == 0 && swap_free_pages() == swap_total_pages(),
	       "every reference dropped: every slot free");
	swap_detach();
}

/* swap_init over the stub disk: no disk, a disk without a header, and an
 * image made by util-linux's mkswap (SWAP_TEST_IMG, from swap.mk). */
static void test_init(void)
{
	FILE *f;

	disk = NULL;
	swap_init();
	tap_ok(swap_total_pages() == 0, "no second disk: no swap");

	disk_bytes = 1 << 20;
	disk = calloc(1, disk_bytes);
	disk_reads = 0;
	swap_init();
	tap_ok(swap_total_pages() == 0 && disk_reads == 1 && disk_claims == 0,
	       "blank disk: header read once, no swap, disk not claimed");
	free(disk);
	disk = NULL;

	f = fopen(SWAP_TEST_IMG, "rb");
	if (!tap_ok(f != NULL, "open %s", SWAP_TEST_IMG))
		return;
	fseek(f, 0, SEEK_END);
	disk_bytes = (size_t)ftell(f);
	rewind(f);
	disk = malloc(disk_bytes);
	if (fread(disk, 1, disk_bytes, f) != disk_bytes)
		disk_bytes = 0;
	fclose(f);
	swap_init();
	tap_ok(swap_total_pages() == disk_bytes / 4096 - 1,
	       "mkswap image of %zu bytes: %zu usable slots", disk_bytes,
	       swap_total_pages());
	{
		struct sbuf sb;
		char want[64];

		sbuf_init(&sb);
		swap_display_swaps(&sb);
		snprintf(want, sizeof(want), "partition       %-16zu0",
			 (disk_bytes / 4096 - 1) * 4);
		tap_ok(sb.buf != NULL && strstr(sb.buf, "Filename") == sb.buf &&
		       strstr(sb.buf, "/dev/vdb ") != NULL && strstr(sb.buf, want) != NULL,
		       "/proc/swaps names /dev/vdb and has the header and '%s'", want);
		sbuf_free(&sb);
	}
	tap_ok(disk_claims == 1 && swap_device() == disk_dev.id,
	       "the swap disk is claimed and is the swap device");
	tap_ok(swap_on(disk_dev.id, "/dev/vdb", false) == -EBUSY && disk_claims == 1,
	       "swap_on of the swap disk again: EBUSY, still one claim");
	swap_set_draining(true);
	{
		swap_slot_t first;

		tap_ok(swap_alloc(1, &first) == -ENOSPC, "draining: no slot is given out");
	}
	swap_set_draining(false);
	tap_ok(swap_off() == 0 && disk_claims == 0 && swap_device() == 0 &&
	       swap_total_pages() == 0 && swap_off() == -ENODEV,
	       "swap_off detaches and releases the disk; again: ENODEV");
	tap_ok(swap_on(disk_dev.id, "/dev/vdb", false) == 0 &&
	       swap_total_pages() == disk_bytes / 4096 - 1,
	       "swap_on after swap_off attaches again");
	swap_off();
	free(disk);
	disk = NULL;
}

int main(void)
{
	test_parse();
	test_bad_pages();
	test_next_fit();
	test_ref_max();
	test_model();
	test_init();
	return tap_done();
}
