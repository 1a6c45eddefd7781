/*
 * Swap I/O: the swap device's pages read and written through the block
 * request manager (kernel/dev/blk.h), for anon.c (swap-in), the page
 * daemon (page-out) and the anonymous-object pager.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/dev/blk.h"
#include "kernel/vm/page.h"
#include "kernel/vm/swap.h"
#include "arch/riscv/vmparam.h"

#define SECTORS_PER_SLOT (PAGE_SIZE / BLK_SECTOR_SIZE)

int swap_read_page(swap_slot_t slot, struct vm_page *pg)
{
	uint32_t dev = swap_device();
	int err;

	if (dev == 0)
		return -ENODEV;
	err = blk_rw(dev, BLK_READ, (uint64_t)slot * SECTORS_PER_SLOT,
		     PA_TO_KVA(pg->pa), PAGE_SIZE, BLK_REASON_SWAP);
	if (err)
		printk("swap: read of slot %u failed (%d)\n", slot, err);
	return err ? -EIO : 0;
}

/* Move pages[0..n-1] to or from the n adjacent slots from first: one
 * scatter-gather request per run of the disk's max_segs. */
static int swap_io_run(enum blk_op op, swap_slot_t first,
		       struct vm_page *const *pages, size_t n)
{
	struct blk_request req;
	struct blk_seg segs[SWAP_RUN_MAX];
	uint32_t dev = swap_device();
	int err;

	KASSERT(n >= 1 && n <= SWAP_RUN_MAX, "swap I/O of %lu pages",
		(unsigned long)n);
	if (dev == 0)
		return -ENODEV;
	/* A disk that takes fewer segments per request gets the run in
	 * pieces, one request each (virtio-blk's seg_max). */
	size_t max = blk_max_segs(dev);
	if (max == 0)
		return -ENODEV;
	if (n > max) {
		err = swap_io_run(op, first, pages, max);
		return err ? err : swap_io_run(op, first + (swap_slot_t)max,
					       pages + max, n - max);
	}
	for (size_t i = 0; i < n; i++)
		segs[i] = (struct blk_seg){ PA_TO_KVA(pages[i]->pa), PAGE_SIZE };
	req = (struct blk_request){
		.dev = dev, .op = op,
		.sector = (uint64_t)first * SECTORS_PER_SLOT,
		.segs = segs, .nsegs = (unsigned)n, .len = n * PAGE_SIZE,
		.reason = BLK_REASON_SWAP,
	};
	err = blk_submit(&req);
	if (err == 0)
		err = blk_wait(&req);
	if (err)
		printk("swap: %s of slots %u..%u failed (%d)\n",
		       op == BLK_READ ? "read" : "write", first,
		       first + (uint32_t)n - 1, err);
	return err ? -EIO : 0;
}

int swap_write_run(swap_slot_t first, struct vm_page *const *pages, size_t n)
{
	return swap_io_run(BLK_WRITE, first, pages, n);
}

size_t swap_run_max(void)
{
	uint32_t dev = swap_device();
	size_t max = dev != 0 ? blk_max_segs(dev) : 0;

	return MIN(max, (size_t)SWAP_RUN_MAX);
}

/* Start an asynchronous run of op (see swap_write_run_async). */
static int swap_io_run_async(enum blk_op op, swap_slot_t first,
			     struct vm_page *const *pages, size_t n,
			     struct blk_request *req, struct blk_seg *segs,
			     void (*done)(struct blk_request *), void *arg)
{
	uint32_t dev = swap_device();

	if (dev == 0)
		return -ENODEV;
	if (n == 0 || n > swap_run_max())
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		segs[i] = (struct blk_seg){ PA_TO_KVA(pages[i]->pa), PAGE_SIZE };
	*req = (struct blk_request){
		.dev = dev, .op = op,
		.sector = (uint64_t)first * SECTORS_PER_SLOT,
		.segs = segs, .nsegs = (unsigned)n, .len = n * PAGE_SIZE,
		.reason = BLK_REASON_SWAP, .done_fn = done, .done_arg = arg,
	};
	return blk_submit(req);
}

int swap_write_run_async(swap_slot_t first, struct vm_page *const *pages,
			 size_t n, struct blk_request *req, struct blk_seg *segs,
			 void (*done)(struct blk_request *), void *arg)
{
	return swap_io_run_async(BLK_WRITE, first, pages, n, req, segs, done,
				 arg);
}

int swap_read_run_async(swap_slot_t first, struct vm_page *const *pages,
			size_t n, struct blk_request *req, struct blk_seg *segs,
			void (*done)(struct blk_request *), void *arg)
{
	return swap_io_run_async(BLK_READ, first, pages, n, req, segs, done,
				 arg);
}

int swap_read_run(swap_slot_t first, struct vm_page *const *pages, size_t n)
{
	return swap_io_run(BLK_READ, first, pages, n);
}
