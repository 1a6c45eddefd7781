/*
 * swapoff's VM half: bring every page on the swap device back in.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/vm/swap.h"

int vm_swapoff(void)
{
	return swap_free_pages() == swap_total_pages() ? 0 : -ENOMEM;
}
