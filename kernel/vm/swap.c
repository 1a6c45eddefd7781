/*
 * Placeholder until the swap pager lands: no swap device, so no swap pages.
 */
#include "kernel/vm/swap.h"

/* See swap.h: the swap device provides these; without one both are 0. */
size_t swap_total_pages(void) { return 0; }
size_t swap_free_pages(void) { return 0; }
