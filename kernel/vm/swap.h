/*
 * The swap device as the rest of the VM sees it: how many pages it holds.
 */
#ifndef KERNEL_VM_SWAP_H
#define KERNEL_VM_SWAP_H

#include "kernel/types.h"

/* Pages of swap space in use by swapon'd devices, 0 without one. */
size_t swap_total_pages(void);
/* Pages of that space not holding a page. */
size_t swap_free_pages(void);

#endif
