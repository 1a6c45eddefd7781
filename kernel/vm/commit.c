/*
 * Commit accounting (kernel/vm/commit.h): Committed_AS as one atomic
 * counter of pages, the three policies of Linux's vm.overcommit_memory,
 * and the tunables with their boot options.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lib/bootargs.h"
#include "kernel/vm/page.h"
#include "kernel/vm/swap.h"
#include "kernel/vm/commit.h"

int vm_overcommit_memory = VM_OVERCOMMIT_GUESS;
int vm_overcommit_ratio = VM_OVERCOMMIT_RATIO_DEFAULT;
int vm_max_map_count = VM_MAX_MAP_COUNT_DEFAULT;

static int64_t committed;               /* (atomic) pages */

void vm_commit_init(void)
{
	__atomic_store_n(&vm_overcommit_memory,
			 (int)bootarg_int("vm.overcommit_memory",
					  VM_OVERCOMMIT_GUESS, 0, 2),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&vm_overcommit_ratio,
			 (int)bootarg_int("vm.overcommit_ratio",
					  VM_OVERCOMMIT_RATIO_DEFAULT, 0, 100000),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&vm_max_map_count,
			 (int)bootarg_int("vm.max_map_count",
					  VM_MAX_MAP_COUNT_DEFAULT, 1, INT32_MAX),
			 __ATOMIC_RELAXED);
}

uint64_t vm_commit_limit(void)
{
	int ratio = __atomic_load_n(&vm_overcommit_ratio, __ATOMIC_RELAXED);

	return swap_total_pages() + vm_page_total_count() * (uint64_t)ratio / 100;
}

uint64_t vm_committed_pages(void)
{
	int64_t n = __atomic_load_n(&committed, __ATOMIC_RELAXED);

	return n < 0 ? 0 : (uint64_t)n;
}

void vm_commit_add(int64_t delta)
{
	__atomic_add_fetch(&committed, delta, __ATOMIC_RELAXED);
}

/* As Linux's __vm_enough_memory: count first, then check, so two racing
 * requests can not both slip under the limit. */
int vm_commit_charge(size_t pages)
{
	int64_t now;

	now = __atomic_add_fetch(&committed, (int64_t)pages, __ATOMIC_RELAXED);
	switch (__atomic_load_n(&vm_overcommit_memory, __ATOMIC_RELAXED)) {
	case VM_OVERCOMMIT_ALWAYS:
		return 0;
	case VM_OVERCOMMIT_NEVER:
		if ((uint64_t)now <= vm_commit_limit())
			return 0;
		break;
	default:
		/* Linux's __vm_enough_memory: one request larger than
		 * all of RAM and all of swap is refused. */
		if (pages <= vm_page_total_count() + swap_total_pages())
			return 0;
		break;
	}
	vm_commit_add(-(int64_t)pages);
	return -ENOMEM;
}
