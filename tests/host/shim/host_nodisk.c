/*
 * Host stand-ins for the device registry and the block layer when a test
 * links kernel code that may look for a disk (kernel/vm/swap.c's
 * swap_init) but has none: no device exists, so no swap area attaches.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/dev/dev.h"
#include "kernel/dev/blk.h"

struct device *dev_find(dev_id_t id __unused)
{
	return NULL;
}

uint64_t blk_nsectors(dev_id_t dev __unused)
{
	return 0;
}

int blk_rw(dev_id_t dev __unused, enum blk_op op __unused, uint64_t sector __unused,
	   void *buf __unused, size_t len __unused, enum blk_reason reason __unused)
{
	return -ENODEV;
}

int blk_claim(dev_id_t dev __unused, enum blk_claim kind __unused)
{
	return -ENODEV;
}

void blk_unclaim(dev_id_t dev __unused, enum blk_claim kind __unused)
{
}

int blk_selftest(dev_id_t dev __unused)
{
	return -ENODEV;
}
