/*
 * Commit accounting (Linux's overcommit policy, Documentation/mm/
 * overcommit-accounting): every private writable page an address space
 * maps is "committed", whether or not it is ever touched, and the policy
 * decides how much may be committed in all. Also the cap on VMAs per
 * address space. The tunables are /proc/sys/vm/ files and boot options of
 * the same names (vm.overcommit_memory=2).
 */
#ifndef KERNEL_VM_COMMIT_H
#define KERNEL_VM_COMMIT_H

#include "kernel/types.h"

/* vm_overcommit_memory */
#define VM_OVERCOMMIT_GUESS   0 /* refuse one request above RAM + free swap */
#define VM_OVERCOMMIT_ALWAYS  1 /* never refuse */
#define VM_OVERCOMMIT_NEVER   2 /* refuse past CommitLimit */

#define VM_OVERCOMMIT_RATIO_DEFAULT 50          /* percent of RAM */
#define VM_MAX_MAP_COUNT_DEFAULT    65530       /* VMAs per mspace */

/* The tunables (atomic ints; vm_commit_init sets them from the boot
 * options, then /proc/sys/vm may change them). */
extern int vm_overcommit_memory;
extern int vm_overcommit_ratio;
extern int vm_max_map_count;

/* Set the tunables from the boot options vm.overcommit_memory,
 * vm.overcommit_ratio and vm.max_map_count (their defaults where absent).
 * Called once by main, after bootargs_init and before any process. */
void vm_commit_init(void);

/*
 * Ask to commit `pages` more pages (a new private writable mapping, brk
 * growth, fork, mprotect adding write). On success they are counted in
 * Committed_AS until vm_commit_add(-pages): callers charge, make the
 * change (whose VMAs count themselves, vm_commit_add), then uncharge the
 * request. => any locks. Returns 0 or -ENOMEM (refused by the policy;
 * nothing counted).
 */
int vm_commit_charge(size_t pages);
/* Add delta pages (may be negative) to Committed_AS. Any context. */
void vm_commit_add(int64_t delta);

/* Committed_AS in pages: the private writable pages of all mspaces. */
uint64_t vm_committed_pages(void);
/* CommitLimit in pages: swap + RAM x vm_overcommit_ratio / 100. */
uint64_t vm_commit_limit(void);

#endif
