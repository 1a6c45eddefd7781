/*
 * swapoff's VM half: bring every page on the swap device back in, so the
 * device can be detached. New page-outs are stopped first (the page daemon
 * and the aobj pager keep pages resident meanwhile), then every process's
 * anons and every anonymous object are read in, and their slots freed.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/proc/proc.h"
#include "kernel/vm/amap.h"
#include "kernel/vm/anon.h"
#include "kernel/vm/aobj.h"
#include "kernel/vm/mspace.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/vma.h"

#define SWAPOFF_ROUNDS  4       /* passes over everything before -EBUSY */

/* Read in the anons of ms that are on swap and free their slots.
 * Returns 0, -ENOMEM or -EIO. => no locks held. */
static int swapoff_mspace(struct mspace *ms)
{
	int err = 0;

	mutex_lock(&ms->lock);
	for (struct vma *v = vma_tree_first(&ms->vmas); v != NULL && err == 0;
	     v = vma_tree_next(v))
		if (v->amap != NULL)
			err = amap_unswap(v->amap, v->amap_off, vma_pages(v));
	mutex_unlock(&ms->lock);
	return err;
}

int vm_swapoff(void)
{
	int err = 0;

	/* The caller (swapoff) has set the device draining: swap_alloc
	 * gives no new slot, so the page daemon keeps pages resident. */
	for (int round = 0; round < SWAPOFF_ROUNDS && err == 0; round++) {
		char name[PROC_NAME_MAX];
		pid_t pid = 0;

		while (err == 0 && (pid = proc_next_pid(pid)) > 0) {
			struct mspace *ms = proc_get_mspace(pid, name);

			if (ms == NULL)
				continue;
			err = swapoff_mspace(ms);
			mspace_destroy(ms);
		}
		if (err == 0)
			err = aobj_swapoff();
		/* Page-outs that had their slots before writes stopped may
		 * have finished since: look again until none is left. */
		if (err == 0 && swap_free_pages() == swap_total_pages())
			return 0;
	}
	return err ? err : -EBUSY;
}
