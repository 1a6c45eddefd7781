/*
 * The swap device and its slot allocator (design layer 10).
 *
 * Page 0 of the disk is a Linux mkswap version-1 header (Linux's
 * union swap_header, as util-linux's mkswap writes it): 1024 bytes of boot
 * block, then version, last_page, nr_badpages, the UUID, a 16-byte label,
 * padding and the bad-page list, and "SWAPSPACE2" in the last 10 bytes.
 *
 * Slots: one bit per slot in used[] (set: allocated, or never allocatable:
 * slot 0 and the bad pages, which are also set in bad[]), and a reference
 * count per slot. Allocation is next-fit from a cursor and prefers a run
 * of the requested length, so a page-out batch is one disk request.
 *
 * Locks: swap_lock guards everything in struct swap_dev; it is a spinlock,
 * never held across I/O. Attaching and detaching (boot, swapon, swapoff)
 * are serialised by their callers (kernel/vm/sys_swap.c's mutex); the
 * disk is claimed exclusively (blk_claim) while it is the swap device, so
 * its raw node cannot be opened for writing.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/string.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/dev.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/anon.h"
#include "arch/riscv/vmparam.h"

_Static_assert(offsetof(struct swap_header_info, version) == 1024, "version");
_Static_assert(offsetof(struct swap_header_info, last_page) == 1028, "last_page");
_Static_assert(offsetof(struct swap_header_info, nr_badpages) == 1032, "nr_badpages");
_Static_assert(offsetof(struct swap_header_info, sws_uuid) == 1036, "sws_uuid");
_Static_assert(offsetof(struct swap_header_info, sws_volume) == 1052, "sws_volume");
_Static_assert(offsetof(struct swap_header_info, badpages) == 1536, "badpages");
_Static_assert(SWAP_HDR_MAGIC_OFF == 4086, "magic offset");
_Static_assert(SWAP_HDR_MAX_BADPAGES == 637, "MAX_SWAP_BADPAGES");
_Static_assert(SWAP_HDR_SIZE == PAGE_SIZE, "a slot is a page");

#define SWAP_DISK_UNIT  2               /* virtio-mmio-bus.1: the second disk */
#define SWAP_PATH_MAX   24              /* "/dev/vdb" and the like */
#define SWAP_REF_MAX    0xffffu
#define BITS_PER_WORD   64

struct swap_dev {
	bool attached;
	bool draining;          /* swapoff under way: no new slots */
	uint32_t dev;
	char name[SWAP_PATH_MAX];       /* as /proc/swaps names it */
	char label[SWAP_HDR_LABEL_LEN + 1];
	uint32_t nslots;        /* last_page + 1: slots 0..last_page */
	uint32_t nusable;       /* nslots minus slot 0 and the bad pages */
	uint32_t nfree;
	uint32_t cursor;        /* next-fit: where the next search starts */
	uint64_t *used;         /* nslots bits */
	uint64_t *bad;          /* nslots bits: slot 0 and bad pages */
	uint16_t *ref;          /* nslots counts */
};

static struct spinlock swap_lock = SPINLOCK_INIT("swap");
static struct swap_dev swap;

static inline bool bit_get(const uint64_t *map, uint32_t i)
{
	return (map[i / BITS_PER_WORD] >> (i % BITS_PER_WORD)) & 1;
}

static inline void bit_set(uint64_t *map, uint32_t i)
{
	map[i / BITS_PER_WORD] |= 1ULL << (i % BITS_PER_WORD);
}

static inline void bit_clear(uint64_t *map, uint32_t i)
{
	map[i / BITS_PER_WORD] &= ~(1ULL << (i % BITS_PER_WORD));
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));       /* native order, as mkswap wrote it */
	return v;
}

/* See swap.h. */
int swap_parse_header(const void *hdr, uint64_t disk_pages,
		      struct swap_header *out)
{
	const uint8_t *b = hdr;
	const struct swap_header_info *info = hdr;
	uint32_t version, i;

	memset(out, 0, sizeof(*out));
	if (memcmp(b + SWAP_HDR_MAGIC_OFF, SWAP_HDR_MAGIC, SWAP_HDR_MAGIC_LEN) != 0) {
		out->why = "no SWAPSPACE2 signature (not made by mkswap)";
		return -EINVAL;
	}
	version = rd32(b + offsetof(struct swap_header_info, version));
	if (version != SWAP_HDR_VERSION) {
		out->why = "unsupported swap header version (want 1)";
		return -EINVAL;
	}
	out->last_page = rd32(b + offsetof(struct swap_header_info, last_page));
	out->nr_badpages = rd32(b + offsetof(struct swap_header_info, nr_badpages));
	if (out->last_page == 0) {
		out->why = "empty swap area (last_page 0)";
		return -EINVAL;
	}
	if ((uint64_t)out->last_page >= disk_pages) {
		out->why = "swap area longer than the disk (last_page past its end)";
		return -EINVAL;
	}
	if (out->nr_badpages > SWAP_HDR_MAX_BADPAGES) {
		out->why = "bad-page list too long";
		return -EINVAL;
	}
	out->badpages = info->badpages;
	for (i = 0; i < out->nr_badpages; i++) {
		uint32_t bp = rd32(b + offsetof(struct swap_header_info, badpages) +
				   i * sizeof(uint32_t));
		if (bp == 0 || bp > out->last_page) {
			out->why = "bad page outside the swap area";
			return -EINVAL;
		}
	}
	memcpy(out->uuid, info->sws_uuid, sizeof(out->uuid));
	memcpy(out->label, info->sws_volume, SWAP_HDR_LABEL_LEN);
	out->label[SWAP_HDR_LABEL_LEN] = '\0';
	return 0;
}

/* See swap.h. */
int swap_attach(const struct swap_header *h, uint32_t dev, const char *name)
{
	uint32_t nslots = h->last_page + 1;
	size_t words = (nslots + BITS_PER_WORD - 1) / BITS_PER_WORD;
	uint64_t *used, *bad;
	uint16_t *ref;
	uint32_t i, nbad = 0;

	used = kzalloc(words * sizeof(uint64_t));
	bad = kzalloc(words * sizeof(uint64_t));
	ref = kzalloc(nslots * sizeof(uint16_t));
	if (used == NULL || bad == NULL || ref == NULL) {
		kfree(used);
		kfree(bad);
		kfree(ref);
		return -ENOMEM;
	}
	bit_set(bad, 0);
	for (i = 0; i < h->nr_badpages; i++) {
		uint32_t bp;

		memcpy(&bp, &h->badpages[i], sizeof(bp));
		KASSERT(bp >= 1 && bp < nslots, "bad page %u not parsed", (unsigned)bp);
		bit_set(bad, bp);       /* a page listed twice counts once */
	}
	for (i = 0; i < nslots; i++) {
		if (bit_get(bad, i)) {
			bit_set(used, i);
			nbad++;
		}
	}
	spin_lock(&swap_lock);
	if (swap.attached) {
		spin_unlock(&swap_lock);
		kfree(used);
		kfree(bad);
		kfree(ref);
		return -EBUSY;
	}
	swap.dev = dev;
	strlcpy(swap.name, name, sizeof(swap.name));
	memcpy(swap.label, h->label, sizeof(swap.label));
	swap.nslots = nslots;
	swap.nusable = nslots - nbad;
	swap.nfree = swap.nusable;
	swap.cursor = 1;
	swap.used = used;
	swap.bad = bad;
	swap.ref = ref;
	swap.attached = true;
	spin_unlock(&swap_lock);
	return 0;
}

/* See swap.h. */
int swap_detach(void)
{
	uint64_t *used, *bad;
	uint16_t *ref;

	spin_lock(&swap_lock);
	if (!swap.attached) {
		spin_unlock(&swap_lock);
		return -ENODEV;
	}
	if (swap.nfree != swap.nusable)
		panic("swap_detach: %u slots still in use",
		      (unsigned)(swap.nusable - swap.nfree));
	used = swap.used;
	bad = swap.bad;
	ref = swap.ref;
	memset(&swap, 0, sizeof(swap));
	spin_unlock(&swap_lock);
	kfree(used);
	kfree(bad);
	kfree(ref);
	return 0;
}

/* The boot line: "swap: 64 MiB on virtio-blk2 (label L), N bad pages". */
static void swap_announce(const struct swap_header *h, const char *name)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "swap: %lu MiB on %s",
			 (unsigned long)(((uint64_t)h->last_page + 1) * PAGE_SIZE >> 20),
			 name);

	if (h->label[0] != '\0' && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, " (label %s)", h->label);
	if (h->nr_badpages != 0 && n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, ", %u bad pages",
			 (unsigned)h->nr_badpages);
	printk("%s\n", line);
}

/* Read page 0 of disk dev (disk_pages pages) into buf, parse it and
 * attach the disk as path. On an error *why says what was wrong. */
static int swap_read_attach(uint32_t dev, uint64_t disk_pages, const char *path,
			    void *buf, struct swap_header *h, const char **why)
{
	int err = blk_rw(dev, BLK_READ, 0, buf, SWAP_HDR_SIZE, BLK_REASON_SWAP);

	if (err < 0) {
		*why = "reading the header failed";
		return err;
	}
	err = swap_parse_header(buf, disk_pages, h);
	if (err < 0) {
		*why = h->why;
		return err;
	}
	err = swap_attach(h, dev, path);
	if (err < 0)
		*why = err == -EBUSY ? "another swap device is on" : "attach failed";
	return err;
}

/* See swap.h. */
int swap_on(uint32_t dev, const char *path, bool verbose)
{
	struct device *d = dev_find(dev);
	uint64_t disk_pages = blk_nsectors(dev) / (PAGE_SIZE / BLK_SECTOR_SIZE);
	const char *name = d != NULL ? d->name : path;
	const char *why = "no memory for the header";
	struct swap_header h;
	void *buf;
	int err;

	if (d == NULL || disk_pages == 0) {
		if (verbose)
			printk("swap: no disk for %s, no swap\n", path);
		return -ENODEV;
	}
	if (disk_pages < 2) {
		if (verbose)
			printk("swap: %s is too small for swap, no swap\n", name);
		return -EINVAL;
	}
	err = blk_claim(dev, BLK_CLAIM_EXCL);
	if (err < 0) {
		if (verbose)
			printk("swap: %s is in use (%d), no swap\n", name, err);
		return err;
	}
	buf = kmalloc(SWAP_HDR_SIZE);
	err = buf == NULL ? -ENOMEM : swap_read_attach(dev, disk_pages, path, buf, &h, &why);
	if (err == 0 && verbose)
		swap_announce(&h, name);
	kfree(buf);
	if (err < 0) {
		blk_unclaim(dev, BLK_CLAIM_EXCL);
		if (verbose)
			printk("swap: %s: %s (%d), no swap\n", name, why, err);
	}
	return err;
}

/* See swap.h. */
int swap_off(void)
{
	uint32_t dev = swap_device();
	int err;

	if (dev == 0)
		return -ENODEV;
	err = swap_detach();
	if (err == 0)
		blk_unclaim(dev, BLK_CLAIM_EXCL);
	return err;
}

/* See swap.h. */
void swap_init(void)
{
	uint32_t dev = DEV_ID(DEV_BLOCK, SWAP_DISK_UNIT);
	char path[SWAP_PATH_MAX] = "/dev/";

	if (blk_nsectors(dev) == 0) {
		printk("swap: no second virtio-blk disk, no swap\n");
		return;
	}
	blk_node_name(dev, path + strlen(path));
	if (blk_selftest(dev) == 0)     /* reads only: before the disk is swap */
		printk("blk: self-check on %s passed (scatter-gather, done_fn)\n", path);
	swap_on(dev, path, true);
}

/* See swap.h. */
uint32_t swap_device(void)
{
	uint32_t dev;

	spin_lock(&swap_lock);
	dev = swap.attached ? swap.dev : 0;
	spin_unlock(&swap_lock);
	return dev;
}

/* See swap.h. */
void swap_set_draining(bool draining)
{
	spin_lock(&swap_lock);
	swap.draining = draining;
	spin_unlock(&swap_lock);
}

/* Length of the free run starting at slot i (stops at limit). */
static uint32_t free_run(uint32_t i, uint32_t limit, uint32_t want)
{
	uint32_t n = 0;

	while (i + n < limit && n < want && !bit_get(swap.used, i + n))
		n++;
	return n;
}

/* Next clear bit at or after i, or limit. Skips full words. */
static uint32_t next_free(uint32_t i, uint32_t limit)
{
	while (i < limit) {
		if (i % BITS_PER_WORD == 0 && swap.used[i / BITS_PER_WORD] == ~0ULL) {
			i += BITS_PER_WORD;
			continue;
		}
		if (!bit_get(swap.used, i))
			return i;
		i++;
	}
	return limit;
}

/* See swap.h. */
int swap_alloc(size_t npages, swap_slot_t *first)
{
/* LAB swap: begin */
	uint32_t want, best = 0, best_len = 0, i, n, pass, start, limit;

	if (npages == 0)
		return -EINVAL;
	spin_lock(&swap_lock);
	if (!swap.attached) {
		spin_unlock(&swap_lock);
		return -ENODEV;
	}
	if (swap.nfree == 0 || swap.draining) {
		spin_unlock(&swap_lock);
		return -ENOSPC;
	}
	want = npages > swap.nfree ? swap.nfree : (uint32_t)npages;
	/* Next-fit: first cursor..end; if no run of want is there, the whole
	 * area from slot 1 (so a run across the cursor is seen whole), taking
	 * the first run of want, else the longest. */
	for (pass = 0; pass < 2 && best_len < want; pass++) {
		start = pass == 0 ? swap.cursor : 1;
		limit = swap.nslots;
		for (i = next_free(start, limit); i < limit; i = next_free(i + n, limit)) {
			n = free_run(i, limit, want);
			if (n > best_len) {
				best = i;
				best_len = n;
				if (n == want)
					break;
			}
		}
	}
	KASSERT(best_len > 0, "nfree %u but no free slot", (unsigned)swap.nfree);
	for (i = best; i < best + best_len; i++) {
		KASSERT(swap.ref[i] == 0 && !bit_get(swap.bad, i), "slot %u", (unsigned)i);
		bit_set(swap.used, i);
		swap.ref[i] = 1;
	}
	swap.nfree -= best_len;
	swap.cursor = best + best_len < swap.nslots ? best + best_len : 1;
	spin_unlock(&swap_lock);
	*first = best;
	return (int)best_len;
/* LAB swap: end */
/* LAB swap: stub
	// lab swap: not implemented: no slot, so no anon page is ever
	// paged out
	(void)npages; (void)first; (void)free_run; (void)next_free;
	return -ENOSPC;
*/
}

/* Panics unless slot is allocated. swap_lock held. */
static void slot_assert_used(swap_slot_t slot, const char *who)
{
	if (!swap.attached || slot == 0 || slot >= swap.nslots ||
	    bit_get(swap.bad, slot) || swap.ref[slot] == 0)
		panic("%s: slot %u is not allocated", who, (unsigned)slot);
}

/* See swap.h. */
int swap_slot_ref(swap_slot_t slot)
{
/* LAB swap: begin */
	int err = 0;

	spin_lock(&swap_lock);
	slot_assert_used(slot, "swap_slot_ref");
	if (swap.ref[slot] == SWAP_REF_MAX)
		err = -ERANGE;
	else
		swap.ref[slot]++;
	spin_unlock(&swap_lock);
	return err;
/* LAB swap: end */
/* LAB swap: stub
	(void)slot; (void)slot_assert_used;
	panic("lab swap: swap_slot_ref not implemented");
*/
}

/* See swap.h. */
void swap_slot_free(swap_slot_t slot)
{
/* LAB swap: begin */
	spin_lock(&swap_lock);
	slot_assert_used(slot, "swap_slot_free");
	if (--swap.ref[slot] == 0) {
		bit_clear(swap.used, slot);
		swap.nfree++;
	}
	spin_unlock(&swap_lock);
/* LAB swap: end */
/* LAB swap: stub
	(void)slot;
	panic("lab swap: swap_slot_free not implemented");
*/
}

/* See swap.h. */
uint32_t swap_slot_refcount(swap_slot_t slot)
{
	uint32_t n = 0;

	spin_lock(&swap_lock);
	if (swap.attached && slot < swap.nslots)
		n = swap.ref[slot];
	spin_unlock(&swap_lock);
	return n;
}

/* *count under the swap lock, 0 without a device. */
static size_t swap_count(const uint32_t *count)
{
	size_t n;

	spin_lock(&swap_lock);
	n = swap.attached ? *count : 0;
	spin_unlock(&swap_lock);
	return n;
}

/* See swap.h. */
size_t swap_total_pages(void)
{
	return swap_count(&swap.nusable);
}

/* See swap.h. */
size_t swap_free_pages(void)
{
	return swap_count(&swap.nfree);
}

/* See swap.h. */
int swap_check(void)
{
	uint32_t i, clear = 0, usable = 0;
	int err = 0;

	spin_lock(&swap_lock);
	if (!swap.attached)
		goto out;
	if (!bit_get(swap.bad, 0)) {
		printk("swap_check: slot 0 not reserved\n");
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < swap.nslots; i++) {
		bool used = bit_get(swap.used, i);

		if (bit_get(swap.bad, i)) {
			if (!used || swap.ref[i] != 0) {
				printk("swap_check: reserved slot %u allocated (bit %d ref %u)\n",
				       (unsigned)i, used, (unsigned)swap.ref[i]);
				err = -EINVAL;
				goto out;
			}
			continue;
		}
		usable++;
		if (used != (swap.ref[i] != 0)) {
			printk("swap_check: slot %u bit %d but ref %u\n",
			       (unsigned)i, used, (unsigned)swap.ref[i]);
			err = -EINVAL;
			goto out;
		}
		if (!used)
			clear++;
	}
	if (clear != swap.nfree || usable != swap.nusable) {
		printk("swap_check: nfree %u but %u clear; nusable %u but %u\n",
		       (unsigned)swap.nfree, (unsigned)clear,
		       (unsigned)swap.nusable, (unsigned)usable);
		err = -EINVAL;
	}
out:
	spin_unlock(&swap_lock);
	return err;
}

/* See swap.h. Linux's /proc/swaps: sizes in kB, priority -2 (the first
 * area swapon gives a default priority). */
int swap_display_swaps(struct sbuf *sb)
{
	spin_lock(&swap_lock);
	sbuf_printf(sb, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	if (swap.attached)
		sbuf_printf(sb, "%-40s%-16s%-16lu%-16lu%d\n", swap.name, "partition",
			    (unsigned long)swap.nusable * (PAGE_SIZE / 1024),
			    (unsigned long)(swap.nusable - swap.nfree) * (PAGE_SIZE / 1024),
			    -2);
	spin_unlock(&swap_lock);
	return sbuf_error(sb);
}

/* See swap.h. In kB as Linux; SwapCached counts anons both resident and
 * on swap. */
void swap_display_meminfo(struct sbuf *sb)
{
	size_t total = swap_total_pages(), free = swap_free_pages();

	sbuf_printf(sb, "%-16s%8lu kB\n", "SwapCached:",
		    (unsigned long)(anon_swapcache_count() * (PAGE_SIZE / 1024)));
	sbuf_printf(sb, "%-16s%8lu kB\n", "SwapTotal:",
		    (unsigned long)(total * (PAGE_SIZE / 1024)));
	sbuf_printf(sb, "%-16s%8lu kB\n", "SwapFree:",
		    (unsigned long)(free * (PAGE_SIZE / 1024)));
	sbuf_printf(sb, "%-16s%8lu\n", "SwapFreePages:", (unsigned long)free);
	sbuf_printf(sb, "%-16s%8lu\n", "SwapTotalPages:", (unsigned long)total);
}
