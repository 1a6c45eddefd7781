/*
 * The swap device (design layer 10): the second virtio-blk disk, carrying
 * a Linux mkswap version-1 header, and its slot allocator.
 *
 * A slot is one 4 KiB page of the disk: slot n is disk bytes
 * [n * PAGE_SIZE, (n + 1) * PAGE_SIZE). Slot 0 holds the header and is
 * never allocated, so a swap_slot_t of 0 means "no slot". Each allocated
 * slot has a reference count (an anon shared by fork shares its slot); it
 * is freed with its last reference.
 *
 * The device is attached at boot (swap_init) and by swapon(2), detached
 * by swapoff(2) (kernel/vm/sys_swap.c); while attached its disk is
 * claimed exclusively (kernel/dev/blk.h), so its raw node /dev/vdb cannot
 * be opened for writing.
 */
#ifndef KERNEL_VM_SWAP_H
#define KERNEL_VM_SWAP_H

#include "kernel/types.h"

struct sbuf;

typedef uint32_t swap_slot_t;
#define SWAP_SLOT_NONE  ((swap_slot_t)0)

/* Linux's union swap_header (include/linux/swap.h), page 0 of the disk,
 * native (little-endian) byte order as mkswap writes it on RISC-V. */
#define SWAP_HDR_SIZE        4096
#define SWAP_HDR_BOOTBITS    1024
#define SWAP_HDR_MAGIC       "SWAPSPACE2"
#define SWAP_HDR_MAGIC_LEN   10
#define SWAP_HDR_MAGIC_OFF   (SWAP_HDR_SIZE - SWAP_HDR_MAGIC_LEN)    /* 4086 */
#define SWAP_HDR_VERSION     1
#define SWAP_HDR_LABEL_LEN   16

struct swap_header_info {
	uint8_t bootbits[SWAP_HDR_BOOTBITS];
	uint32_t version;               /* must be SWAP_HDR_VERSION */
	uint32_t last_page;             /* last usable page (slot) index */
	uint32_t nr_badpages;           /* entries used in badpages[] */
	uint8_t sws_uuid[16];
	char sws_volume[SWAP_HDR_LABEL_LEN];    /* label, NUL-padded */
	uint32_t padding[117];
	uint32_t badpages[];            /* page indices, up to the magic */
};

/* Entries of badpages[] that fit before the magic (Linux's
 * MAX_SWAP_BADPAGES): (4086 - 1536) / 4 = 637. */
#define SWAP_HDR_MAX_BADPAGES \
	((SWAP_HDR_MAGIC_OFF - sizeof(struct swap_header_info)) / sizeof(uint32_t))

/* What swap_parse_header found. */
struct swap_header {
	uint32_t last_page;             /* slots are 0..last_page */
	uint32_t nr_badpages;
	const uint32_t *badpages;       /* into the caller's header page */
	uint8_t uuid[16];
	char label[SWAP_HDR_LABEL_LEN + 1];     /* NUL-terminated, may be "" */
	const char *why;                /* on error: the reason, for the console */
};

/* Parse page 0 of a swap disk (hdr: SWAP_HDR_SIZE bytes) of disk_pages
 * 4 KiB pages. Checks the magic, the version, that last_page is at least
 * 1 and within the disk, and that every bad page is in 1..last_page.
 * Returns 0 and fills *out, or -EINVAL with out->why set. No locks. */
int swap_parse_header(const void *hdr, uint64_t disk_pages,
		      struct swap_header *out);

/* Make the disk described by h (already parsed, its badpages still
 * readable) the swap device, named name (e.g. "virtio-blk2"): slot 0 and
 * the bad pages are never allocated. Returns 0, -EBUSY (a device is
 * already attached) or -ENOMEM. Takes the swap lock. */
int swap_attach(const struct swap_header *h, uint32_t dev, const char *name);
/* Forget the swap device and free its tables. Every slot must be free
 * (panics otherwise: a leak). Takes the swap lock. Returns 0 or -ENODEV. */
int swap_detach(void);

/* Boot: find the second virtio-blk disk (virtio-mmio-bus.1, unit 2) and
 * swap_on it as /dev/vdb, printing "swap: 64 MiB on virtio-blk2 (label
 * ...)" or why not. A missing or invalid disk leaves the system without
 * swap; never panics. Process context (it sleeps on the disk). */
void swap_init(void);

/* Make disk dev (a DEV_BLOCK ID) the swap device, shown as path (its
 * device node, e.g. "/dev/vdb") in /proc/swaps: claim the disk
 * exclusively, read its page 0 through the request manager, parse it and
 * attach. With verbose, print the boot line or why not. Returns 0,
 * -ENODEV (no such disk), -EBUSY (the disk is claimed: it is the swap
 * device already or open for raw writing; or another swap device is
 * on), -EINVAL (too small, or no valid mkswap header), -ENOMEM or -EIO.
 * On an error nothing is attached or claimed. Process context; the
 * caller serialises swap_on and swap_off. */
int swap_on(uint32_t dev, const char *path, bool verbose);
/* Detach the swap device and release its disk. Every slot must be free
 * (vm_swapoff first; swap_detach panics otherwise). Returns 0 or -ENODEV
 * (no swap device). The caller serialises swap_on and swap_off. */
int swap_off(void);
/* The DEV_BLOCK ID of the attached swap disk, 0 if none. Takes the swap
 * lock. */
uint32_t swap_device(void);
/* While draining (swapoff bringing pages back in), swap_alloc gives no
 * slot (-ENOSPC), so nothing new goes out to a device being emptied.
 * Takes the swap lock. */
void swap_set_draining(bool draining);

/* Allocate up to npages slots as one contiguous run, next-fit from a
 * cursor (so successive page-out batches are adjacent on the disk): a run
 * of npages if one exists, else the longest free run. Each slot gets one
 * reference. Returns the number of slots allocated (1..npages) with the
 * first in *first, -EINVAL (npages 0), -ENODEV (no swap) or -ENOSPC
 * (every slot in use, or swapoff is draining the device). Takes the swap
 * lock. */
int swap_alloc(size_t npages, swap_slot_t *first);
/* Add a reference to an allocated slot (fork sharing an anon on swap).
 * Returns 0 or -ERANGE (count would overflow). Panics on a free slot.
 * Takes the swap lock. */
int swap_slot_ref(swap_slot_t slot);
/* Drop one reference; the last frees the slot. Panics on a free slot.
 * Takes the swap lock. */
void swap_slot_free(swap_slot_t slot);
/* References of slot (0 when free or out of range). Takes the swap lock. */
uint32_t swap_slot_refcount(swap_slot_t slot);

/* Slots usable for pages (last_page minus slot 0's exclusion and the bad
 * pages; 0 without swap), and of those, how many are free. In 4 KiB
 * pages. Take the swap lock. */
size_t swap_total_pages(void);
size_t swap_free_pages(void);


struct vm_page;
/* Page-in and page-out through the block request manager
 * (kernel/vm/swap_io.c). A slot is 4 KiB at disk byte slot * 4096.
 * swap_read_page reads slot into pg; swap_write_run writes pages[0..n-1]
 * to the n adjacent slots from first as one request (n <= SWAP_RUN_MAX),
 * all in flight at once, and waits for them. The pages must stay resident
 * and unmapped (busy) meanwhile. => no spinlocks held; process context;
 * sleeps. Return 0, -ENODEV (no swap) or -EIO. */
#define SWAP_RUN_MAX    32
int swap_read_page(swap_slot_t slot, struct vm_page *pg);
/* The most slots one page-out request may write (the swap disk's
 * segment limit, at most SWAP_RUN_MAX); 0 without swap. */
size_t swap_run_max(void);
struct blk_request;
struct blk_seg;
/* Start writing pages[0..n-1] to the n adjacent slots from first as one
 * request (n <= swap_run_max()), in req with segs (SWAP_RUN_MAX entries),
 * both the caller's until done(req) runs (done_arg = arg), once, from the
 * completion context (an interrupt handler: it must not sleep); req->status
 * then says 0 or -EIO. Never sleeps. Returns 0 (started), -ENODEV or
 * -EINVAL (then done is not called). */
int swap_write_run_async(swap_slot_t first, struct vm_page *const *pages,
			 size_t n, struct blk_request *req, struct blk_seg *segs,
			 void (*done)(struct blk_request *), void *arg);
/* The same, reading the slots into the pages (read-ahead, anon.c). */
int swap_read_run_async(swap_slot_t first, struct vm_page *const *pages,
			size_t n, struct blk_request *req, struct blk_seg *segs,
			void (*done)(struct blk_request *), void *arg);
/* Read the n adjacent slots from first into pages[0..n-1] (n <=
 * SWAP_RUN_MAX) as one scatter-gather request; same contract. */
int swap_read_run(swap_slot_t first, struct vm_page *const *pages, size_t n);
int swap_write_run(swap_slot_t first, struct vm_page *const *pages, size_t n);

/* Check the allocator's invariants (free count equals clear bits; a
 * usable slot's reference count is zero iff its bit is clear; slot 0 and
 * bad slots are never allocated). Returns 0, or -EINVAL after printing
 * the first violation. Takes the swap lock. */
int swap_check(void);

/* swapoff's VM half (kernel/vm/swapoff.c): bring every page on swap back
 * into memory and free its slot, so the device can be detached. Process
 * context; may sleep. Returns 0 (no slot in use any more), -ENOMEM (not
 * enough memory for them: the pages already read in stay in memory, the
 * rest stay on swap, nothing is lost), -EINTR (a fatal signal) or -EIO. */
int vm_swapoff(void);

/* /proc/swaps (Linux's format) and the Swap lines of /proc/meminfo. */
int swap_display_swaps(struct sbuf *sb);
void swap_display_meminfo(struct sbuf *sb);

#endif
