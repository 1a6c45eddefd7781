/*
 * Host unit test of kernel/vm/kmem.c on top of the real page allocator:
 * slab caches, kmalloc of every size from 1 to 8192 bytes, random traces,
 * and that nothing is held once everything is freed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "kernel/vm/kmem.h"
#include "kernel/vm/page.h"
#include "kernel/vm/pmap.h"
#include "kernel/vm/kva.h"
#include "kernel/lib/sbuf.h"
#include "kernel/fs/procfs_vm.h"
#include "tests/host/tap.h"

#define MiB             (1UL << 20)
#define RAM_SIZE        (128 * MiB)
#define RAM_ALIGN       (4 * MiB)
#define KMALLOC_SWEEP   8192
#define TRACE_STEPS     20000
#define TRACE_SLOTS     512

/* ---------------------------------------------------------------- stubs */

void pmap_zero_page(struct vm_page *pg)
{
	memset(PA_TO_KVA(vm_page_to_pa(pg)), 0, PAGE_SIZE);
}

uint64_t kva_stack_pages(void) { return 0; }
uint64_t pmap_ptp_count(void) { return 0; }

/* ---------------------------------------------------------------- helpers */

static char *ram;
static uint64_t free_at_start;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void setup(size_t bytes)
{
	struct mem_range r;

	free(ram);
	ram = aligned_alloc(RAM_ALIGN, bytes);
	if (ram == NULL)
		abort();
	r.start = (paddr_t)(uintptr_t)ram;
	r.end = r.start + bytes;
	vm_page_init_zones(&r, 1, NULL, 0, r.start + bytes / 2);
	kmem_init();
	free_at_start = vm_page_free_count();
}

/* Nothing held: no objects, no pages, the page allocator back where it was. */
static bool nothing_held(void)
{
	kmem_check();
	vm_page_check();
	return kmem_objects_inuse() == 0 && kmem_pages() == 0 &&
	       vm_page_free_count() == free_at_start;
}

static bool find_info(const char *name, struct kmem_cache_info *out)
{
	for (int i = 0; kmem_cache_get_info(i, out); i++)
		if (strcmp(out->name, name) == 0)
			return true;
	return false;
}

static size_t size_class(size_t size)
{
	size_t c = 16;

	while (c < size)
		c *= 2;
	return c;
}

static bool filled(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* ---------------------------------------------------------------- tests */

static void test_caches(void)
{
	struct kmem_cache *c = kmem_cache_create("test-40", 40, 0);
	struct kmem_cache_info info;
	static void *objs[1024];
	uint64_t per_slab, pages_per_slab, n;
	bool ok = true;

	tap_ok(c != NULL && find_info("test-40", &info) && info.objsize == 40 &&
	       info.inuse == 0 && info.pages == 0, "cache created, empty, holds no pages");
	objs[0] = kmem_cache_alloc(c);
	find_info("test-40", &info);
	per_slab = info.total;
	pages_per_slab = info.pages;
	tap_ok(objs[0] != NULL && info.inuse == 1 && per_slab > 1 && pages_per_slab >= 1,
	       "first object refills one slab (%lu objects, %lu pages)",
	       (unsigned long)per_slab, (unsigned long)pages_per_slab);
	{
		struct vm_page *pg = vm_page_from_pa(KVA_TO_PA(objs[0]));

		tap_ok(pg && (pg->flags & VM_PAGE_SLAB) && pg->owner != NULL,
		       "slab page marked VM_PAGE_SLAB with an owner");
	}
	n = 3 * per_slab + 5;
	for (uint64_t i = 1; i < n; i++) {
		objs[i] = kmem_cache_alloc(c);
		ok &= objs[i] != NULL && ((uintptr_t)objs[i] % 8) == 0;
		memset(objs[i], (int)(i & 0xff), 40);
	}
	find_info("test-40", &info);
	tap_ok(ok && info.inuse == n && info.pages == 4 * pages_per_slab,
	       "%lu objects fill 4 slabs, 8-byte aligned", (unsigned long)n);
	kmem_check();
	for (uint64_t i = 1; i < n; i += 2)
		kmem_cache_free(c, objs[i]);
	kmem_check();
	find_info("test-40", &info);
	tap_ok(info.pages == 4 * pages_per_slab && info.inuse == n - n / 2,
	       "freeing every other object keeps the slabs (partial)");
	ok = true;
	for (uint64_t i = 2; i < n; i += 2)
		ok &= filled(objs[i], 40, (unsigned char)(i & 0xff));
	tap_ok(ok, "live objects untouched by frees of their neighbours");
	{
		void *again = kmem_cache_alloc(c);
		bool reused = false;

		for (uint64_t i = 1; i < n; i += 2)
			reused |= again == objs[i];
		find_info("test-40", &info);
		tap_ok(reused && info.pages == 4 * pages_per_slab,
		       "allocation after frees reuses a freed slot, no new slab");
		kmem_cache_free(c, again);
	}
	for (uint64_t i = 0; i < n; i += 2)
		kmem_cache_free(c, objs[i]);
	find_info("test-40", &info);
	tap_ok(info.inuse == 0 && info.pages == 0 && info.total == 0,
	       "empty slabs go back to the page allocator at once");
	kmem_cache_destroy(c);
	tap_ok(!find_info("test-40", &info) && nothing_held(), "destroyed: nothing held");

	c = kmem_cache_create("test-aligned", 100, 64);
	ok = true;
	for (int i = 0; i < 100; i++) {
		objs[i] = kmem_cache_zalloc(c);
		ok &= objs[i] && ((uintptr_t)objs[i] % 64) == 0 && filled(objs[i], 100, 0);
		memset(objs[i], 0xee, 100);
	}
	tap_ok(ok, "align 64 honoured, kmem_cache_zalloc zeroes");
	for (int i = 99; i >= 0; i--)
		kmem_cache_free(c, objs[i]);
	kmem_cache_destroy(c);

	c = kmem_cache_create("test-3k", 3000, 0);
	objs[0] = kmem_cache_alloc(c);
	find_info("test-3k", &info);
	tap_ok(objs[0] && info.total >= 2 && info.pages > 1,
	       "large objects get multi-page slabs (%lu objects in %lu pages)",
	       (unsigned long)info.total, (unsigned long)info.pages);
	kmem_cache_free(c, objs[0]);
	kmem_cache_destroy(c);
	tap_ok(nothing_held(), "after all caches: nothing held");
}

static void test_kmalloc_sweep(void)
{
	static unsigned char *p[KMALLOC_SWEEP + 1];
	bool ok = true, aligned = true, kinds = true;
	size_t order[KMALLOC_SWEEP];

	for (size_t size = 1; size <= KMALLOC_SWEEP; size++) {
		struct vm_page *pg;

		p[size] = kmalloc(size);
		if (p[size] == NULL) {
			ok = false;
			break;
		}
		pg = vm_page_from_pa(KVA_TO_PA(p[size]));
		if (size <= 2048) {
			aligned &= (uintptr_t)p[size] % size_class(size) == 0;
			kinds &= (pg->flags & VM_PAGE_SLAB) != 0;
		} else {
			aligned &= (uintptr_t)p[size] % PAGE_SIZE == 0;
			kinds &= (pg->flags & VM_PAGE_KMALLOC) != 0;
		}
		memset(p[size], (int)(size & 0xff), size);
	}
	tap_ok(ok, "kmalloc of every size 1..%d succeeds", KMALLOC_SWEEP);
	tap_ok(aligned, "blocks aligned to their size class (pages above 2 KiB)");
	tap_ok(kinds, "slab objects up to 2048 bytes, whole pages above");
	ok = true;
	for (size_t size = 1; size <= KMALLOC_SWEEP; size++)
		ok &= filled(p[size], size, (unsigned char)(size & 0xff));
	tap_ok(ok, "no two blocks overlap (every fill intact)");
	tap_ok(kmem_objects_inuse() == KMALLOC_SWEEP, "%lu objects in use",
	       (unsigned long)kmem_objects_inuse());
	kmem_check();
	for (size_t i = 0; i < KMALLOC_SWEEP; i++)
		order[i] = i + 1;
	for (size_t i = KMALLOC_SWEEP; i > 1; i--) {
		size_t j = rng() % i, t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < KMALLOC_SWEEP; i++)
		kfree(p[order[i]]);
	kfree(NULL);
	tap_ok(nothing_held(), "all freed in random order: no pages held");
}

static void test_kzalloc_and_limits(void)
{
	unsigned char *a = kmalloc(3000), *b;

	memset(a, 0xcc, 3000);
	kfree(a);
	b = kzalloc(3000);
	tap_ok(b && filled(b, 3000, 0), "kzalloc zeroes");
	kfree(b);
	b = kzalloc(100);
	tap_ok(b && filled(b, 100, 0), "kzalloc zeroes small blocks");
	kfree(b);
	tap_ok(kmalloc((PAGE_SIZE << VM_PAGE_MAX_ORDER) + 1) == NULL,
	       "kmalloc above the largest block returns NULL");
	a = kmalloc(0);
	tap_ok(a != NULL, "kmalloc(0) gives a minimal block");
	kfree(a);
	tap_ok(nothing_held(), "nothing held");
}

static void test_out_of_memory(void)
{
	static void *blocks[64 * 1024];
	size_t n = 0;

	setup(8 * MiB);
	while (n < ARRAY_SIZE(blocks) && (blocks[n] = kmalloc(2048)) != NULL)
		n++;
	while (n < ARRAY_SIZE(blocks) && (blocks[n] = kmalloc(16)) != NULL)
		n++;
	tap_ok(n > 0 && n < ARRAY_SIZE(blocks) && kmalloc(2048) == NULL &&
	       vm_page_free_count() == 0,
	       "kmalloc returns NULL when memory runs out (%zu blocks)", n);
	while (n > 0)
		kfree(blocks[--n]);
	tap_ok(nothing_held(), "and recovers every page");
}

/* Objects allocated on a process's behalf leave the reserve below the min
 * watermark to the kernel: kmem_cache_alloc_user fails where
 * kmem_cache_alloc still gets a slab. */
static void test_user_reserve(void)
{
	static struct vm_page *pages[4096];
	struct kmem_cache *c;
	void *kobj, *uobj;
	size_t n = 0;

	setup(8 * MiB);
	c = kmem_cache_create("userobj", 256, 0);
	while (n < ARRAY_SIZE(pages) &&
	       (pages[n] = vm_page_alloc1(VM_ALLOC_NORESERVE)) != NULL)
		n++;
	uobj = c ? kmem_cache_alloc_user(c) : NULL;
	kobj = c ? kmem_cache_alloc(c) : NULL;
	tap_ok(c != NULL && n > 0 && n < ARRAY_SIZE(pages) && uobj == NULL &&
	       kobj != NULL && vm_page_free_count() > 0,
	       "at the min watermark: a user slab refused, a kernel one granted "
	       "(%zu pages taken, %lu left)", n,
	       (unsigned long)vm_page_free_count());
	uobj = c ? kmem_cache_zalloc_user(c) : NULL;
	tap_ok(uobj != NULL, "a user object from the kernel's partial slab is fine");
	if (uobj != NULL)
		kmem_cache_free(c, uobj);
	if (kobj != NULL)
		kmem_cache_free(c, kobj);
	while (n > 0)
		vm_page_free(pages[--n], 0);
	uobj = c ? kmem_cache_alloc_user(c) : NULL;
	tap_ok(uobj != NULL, "above the watermark again: granted");
	if (uobj != NULL)
		kmem_cache_free(c, uobj);
	if (c != NULL)
		kmem_cache_destroy(c);
	tap_ok(nothing_held(), "and nothing held");
}

/* Random kmalloc/kfree over all sizes, checked after each step. */
static void test_trace(void)
{
	static unsigned char *slot[TRACE_SLOTS];
	static size_t len[TRACE_SLOTS];
	bool ok = true;
	int step;

	for (step = 0; step < TRACE_STEPS && ok; step++) {
		size_t i = rng() % TRACE_SLOTS;

		if (slot[i] != NULL) {
			ok &= filled(slot[i], len[i], (unsigned char)(i & 0xff));
			kfree(slot[i]);
			slot[i] = NULL;
		} else {
			len[i] = rng() % 4 == 0 ? 1 + rng() % 9000 : 1 + rng() % 300;
			slot[i] = kmalloc(len[i]);
			ok &= slot[i] != NULL;
			if (slot[i])
				memset(slot[i], (int)(i & 0xff), len[i]);
		}
		if (step % 64 == 0)
			kmem_check();
	}
	tap_ok(ok, "random kmalloc/kfree trace (%d steps) keeps every block intact", step);
	for (size_t i = 0; i < TRACE_SLOTS; i++)
		kfree(slot[i]);
	tap_ok(nothing_held(), "trace freed: nothing held");
}

static void test_display(void)
{
	void *p = kmalloc(64);
	struct sbuf sb;
	char want[64];

	sbuf_init(&sb);
	tap_ok(kmem_display_slabinfo(&sb) == 0 &&
	       strncmp(sb.buf, "slabinfo - version: 2.1\n", 24) == 0 &&
	       strstr(sb.buf, "\nkmalloc-64 ") != NULL, "slabinfo in the Linux layout");
	sbuf_free(&sb);
	sbuf_init(&sb);
	procfs_vm_meminfo(&sb);
	snprintf(want, sizeof(want), "Slab:           %8lu kB\n",
		 (unsigned long)kmem_pages() * (PAGE_SIZE / 1024));
	tap_ok(strstr(sb.buf, want) != NULL, "meminfo Slab line counts kmem pages");
	snprintf(want, sizeof(want), "SlabObjects:    %8lu\n", 1UL);
	tap_ok(strstr(sb.buf, want) != NULL, "meminfo SlabObjects counts objects");
	sbuf_free(&sb);
	kfree(p);
}

/* The child runs fn; returns true if it died of a signal (a panic). */
static bool panics(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status);
}

static void double_kfree(void)
{
	void *keep = kmalloc(32), *p = kmalloc(32);

	kfree(p);
	kfree(p);
	kfree(keep);
}

static void bad_kfree(void)
{
	char *p = kmalloc(5000);

	kfree(p + PAGE_SIZE);
}

static void destroy_busy(void)
{
	struct kmem_cache *c = kmem_cache_create("busy", 24, 0);

	kmem_cache_alloc(c);
	kmem_cache_destroy(c);
}

static void test_panics(void)
{
	tap_ok(panics(double_kfree), "double kfree panics");
	tap_ok(panics(bad_kfree), "kfree of a pointer into a block panics");
	tap_ok(panics(destroy_busy), "destroying a cache with live objects panics");
}

int main(void)
{
	setup(RAM_SIZE);
	tap_ok(kmem_pages() == 0 && kmem_objects_inuse() == 0,
	       "kmem_init holds no pages");
	test_caches();
	test_kmalloc_sweep();
	test_kzalloc_and_limits();
	test_trace();
	test_display();
	test_panics();
	test_out_of_memory();
	test_user_reserve();
	free(ram);
	return tap_done();
}
