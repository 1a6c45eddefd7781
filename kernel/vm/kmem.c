/*
 * Kernel memory: slab caches of fixed-size objects, and kmalloc on top of
 * them (power-of-two caches of 16 to 2048 bytes, whole pages above). Any
 * kernel context that may take a spinlock may call it; it never sleeps.
 * A slab goes back to the page allocator the moment its last object is freed.
 */
#include "kernel/vm/kmem.h"
#include "kernel/vm/page.h"
#include "kernel/lock.h"
#include "kernel/lib/list.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/string.h"

#define KMEM_MIN_ALIGN      sizeof(void *)  /* a free object holds a pointer */
#define KMEM_NATURAL_MAX    64              /* natural alignment stops at a cache line */
#define KMEM_SLAB_MAX_ORDER 3               /* slabs of at most 8 pages */
#define SLAB_WASTE_DIVISOR  8               /* leave at most 1/8 of a slab unused */
#define KMALLOC_MIN_SHIFT   4               /* 16 bytes */
#define KMALLOC_MAX_SHIFT   11              /* 2048 bytes */
#define KMALLOC_NCACHES     (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)
#define KMALLOC_MAX_SIZE    (1UL << KMALLOC_MAX_SHIFT)
/* Second word of a free object: this value xor its address, so freeing a
 * free object is caught (objects of two words or more). */
#define KMEM_FREE_MAGIC     0x6b6d656d66726565UL   /* "kmemfree" */

/*
 * A slab: 2^cache->order physically contiguous pages holding objects at
 * offsets 0, stride, 2*stride, ..., with this header in its last bytes.
 * Every page of the slab has VM_PAGE_SLAB and owner == the slab.
 * Locking: (k) cache->lock, (c) constant.
 * Invariants: 0 < inuse <= objs_per_slab (an empty slab is freed at once);
 *   the free list holds objs_per_slab - inuse objects;
 *   on cache->full iff inuse == objs_per_slab, else on cache->partial.
 */
struct kmem_slab {
	struct list_node link;          /* (k) on cache->partial or cache->full */
	struct kmem_cache *cache;       /* (c) */
	struct vm_page *pg;             /* (c) first page */
	void *freelist;                 /* (k) first free object; each holds the next */
	uint32_t inuse;                 /* (k) objects handed out */
};

/*
 * A cache of objects of one size. There is no list of empty slabs: they
 * go back to the page allocator so leak checks see exact free-page counts.
 * Locking: (k) lock, (l) kmem_list_lock, (c) constant after setup.
 * Invariants: total == nslabs * objs_per_slab; pages == nslabs << order;
 *   inuse == sum of slab->inuse.
 */
struct kmem_cache {
	struct spinlock lock;
	const char *name;               /* (c) must outlive the cache */
	size_t objsize;                 /* (c) bytes asked for */
	size_t stride;                  /* (c) bytes from one object to the next */
	unsigned order;                 /* (c) pages per slab = 2^order */
	uint32_t objs_per_slab;         /* (c) */
	struct list_node partial;       /* (k) slabs with free objects */
	struct list_node full;          /* (k) slabs without */
	uint64_t inuse, total;          /* (k) objects handed out / in all slabs */
	uint64_t nslabs, pages;         /* (k) */
	struct list_node link;          /* (l) on kmem_caches */
};

static struct spinlock kmem_list_lock = SPINLOCK_INIT("kmem_list");
static struct list_node kmem_caches = LIST_HEAD_INIT(kmem_caches);     /* (l) */
static uint64_t large_blocks, large_pages;      /* (l) whole-page kmalloc */

static struct kmem_cache cache_cache;           /* struct kmem_cache objects */
static struct kmem_cache kmalloc_caches[KMALLOC_NCACHES];
static void *kmalloc_large(size_t size, int flags);
static void kfree_large(struct vm_page *pg);
static const char *const kmalloc_names[KMALLOC_NCACHES] = {
	"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};
_Static_assert(ARRAY_SIZE(kmalloc_names) == KMALLOC_NCACHES, "one name per kmalloc cache");

/* ---------------------------------------------------------------- caches */

/* The largest power of two dividing size, between KMEM_MIN_ALIGN and
 * KMEM_NATURAL_MAX. */
static size_t natural_align(size_t size)
{
	size_t a = KMEM_MIN_ALIGN;

	while (a < KMEM_NATURAL_MAX && size % (a * 2) == 0)
		a *= 2;
	return a;
}

/* The smallest slab order that wastes at most 1/SLAB_WASTE_DIVISOR of the
 * slab, or KMEM_SLAB_MAX_ORDER. */
static void cache_pick_order(struct kmem_cache *c)
{
	for (unsigned order = 0;; order++) {
		size_t bytes = PAGE_SIZE << order;
		size_t room = bytes - sizeof(struct kmem_slab);
		size_t n = room / c->stride;

		if ((n > 0 && room - n * c->stride <= bytes / SLAB_WASTE_DIVISOR) ||
		    order == KMEM_SLAB_MAX_ORDER) {
			KASSERT(n > 0, "cache %s: objects of %lu bytes do not fit a slab",
				c->name, (unsigned long)c->objsize);
			c->order = order;
			c->objs_per_slab = n;
			return;
		}
	}
}

/* Fill in a cache and put it on the cache list. align 0 means natural. */
static void cache_setup(struct kmem_cache *c, const char *name, size_t size,
			size_t align)
{
	KASSERT(size > 0, "cache %s: size 0", name);
	if (align == 0)
		align = natural_align(size);
	KASSERT(IS_POWER_OF_2(align) && align <= PAGE_SIZE, "cache %s: align %lu",
		name, (unsigned long)align);
	memset(c, 0, sizeof(*c));
	spin_init(&c->lock, "kmem_cache");
	c->name = name;
	c->objsize = size;
	c->stride = ROUNDUP(MAX(size, KMEM_MIN_ALIGN), MAX(align, KMEM_MIN_ALIGN));
	cache_pick_order(c);
	list_init(&c->partial);
	list_init(&c->full);
	spin_lock(&kmem_list_lock);
	list_push_back(&kmem_caches, &c->link);
	spin_unlock(&kmem_list_lock);
}

/* Set up the cache of caches and the kmalloc caches. Boot hart, once, after
 * vm_page_init (tests may call it again once everything is freed). */
void kmem_init(void)
{
	spin_init(&kmem_list_lock, "kmem_list");
	list_init(&kmem_caches);
	large_blocks = 0;
	large_pages = 0;
	cache_setup(&cache_cache, "kmem_cache", sizeof(struct kmem_cache), 0);
	for (int i = 0; i < KMALLOC_NCACHES; i++)
		cache_setup(&kmalloc_caches[i], kmalloc_names[i],
			    1UL << (KMALLOC_MIN_SHIFT + i), 0);
}

/* A cache of objects of size bytes aligned to align (a power of two up to
 * PAGE_SIZE; 0: natural). name must outlive the cache. NULL on -ENOMEM. */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
	struct kmem_cache *c = kmem_cache_alloc(&cache_cache);

	if (c == NULL)
		return NULL;
	cache_setup(c, name, size, align);
	return c;
}

/* Destroy an unused cache. => every object was freed (a bug otherwise). */
void kmem_cache_destroy(struct kmem_cache *c)
{
	spin_lock(&c->lock);
	KASSERT(c->inuse == 0 && c->nslabs == 0, "cache %s has %lu objects in use",
		c->name, (unsigned long)c->inuse);
	spin_unlock(&c->lock);
	spin_lock(&kmem_list_lock);
	list_remove(&c->link);
	spin_unlock(&kmem_list_lock);
	kmem_cache_free(&cache_cache, c);
}

/* ---------------------------------------------------------------- slabs */

static void obj_push(struct kmem_cache *c, struct kmem_slab *slab, void *obj)
{
	uintptr_t *word = obj;

	word[0] = (uintptr_t)slab->freelist;
	if (c->stride >= 2 * sizeof(uintptr_t))
		word[1] = KMEM_FREE_MAGIC ^ (uintptr_t)obj;
	slab->freelist = obj;
}

static void *obj_pop(struct kmem_cache *c, struct kmem_slab *slab)
{
	uintptr_t *word = slab->freelist;

	slab->freelist = (void *)word[0];
	if (c->stride >= 2 * sizeof(uintptr_t))
		word[1] = 0;
	return word;
}

static bool obj_looks_free(const struct kmem_cache *c, const void *obj)
{
	const uintptr_t *word = obj;

	return c->stride >= 2 * sizeof(uintptr_t) &&
	       word[1] == (KMEM_FREE_MAGIC ^ (uintptr_t)obj);
}

/*
 * Slab refill: a new slab for cache c. Takes 2^c->order pages from the page
 * allocator, marks each VM_PAGE_SLAB with the slab as owner, writes the
 * header at the end and threads every object onto the slab's free list in
 * address order. Returns the slab, on no list yet, or NULL (-ENOMEM).
 * flags: 0 or VM_ALLOC_NORESERVE (page.h).
 * => c->lock not held (the page allocator's locks rank above it).
 */
static struct kmem_slab *kmem_slab_refill(struct kmem_cache *c, int flags)
{
	/* LAB slab: begin */
	struct vm_page *pg = vm_page_alloc(c->order, VM_ZONE_ANY, flags);
	size_t bytes = PAGE_SIZE << c->order;
	struct kmem_slab *slab;
	char *base;

	if (pg == NULL)
		return NULL;
	base = PA_TO_KVA(vm_page_to_pa(pg));
	slab = (struct kmem_slab *)(base + bytes - sizeof(*slab));
	slab->cache = c;
	slab->pg = pg;
	slab->inuse = 0;
	slab->freelist = NULL;
	list_init(&slab->link);
	for (uint64_t i = 0; i < (1UL << c->order); i++) {
		pg[i].flags |= VM_PAGE_SLAB;
		pg[i].owner = slab;
	}
	for (uint32_t i = c->objs_per_slab; i > 0; i--)
		obj_push(c, slab, base + (i - 1) * c->stride);
	return slab;
	/* LAB slab: end */
	/* LAB slab: stub
	(void)c;
	(void)flags;
	(void)obj_push;
	return NULL;
	*/
}

/* Give the pages of an empty slab, already off the lists, back. */
static void kmem_slab_release(struct kmem_cache *c, struct kmem_slab *slab)
{
	struct vm_page *pg = slab->pg;

	for (uint64_t i = 0; i < (1UL << c->order); i++) {
		pg[i].flags &= ~VM_PAGE_SLAB;
		pg[i].owner = NULL;
	}
	vm_page_free(pg, c->order);
}

/* The slab holding obj, found through its page. Panics if obj is not in a
 * slab. */
static struct kmem_slab *kmem_obj_slab(const void *obj)
{
	struct vm_page *pg = vm_page_from_pa(KVA_TO_PA(obj));

	KASSERT(pg != NULL && (pg->flags & VM_PAGE_SLAB),
		"%p is not a slab object", obj);
	return pg->owner;
}

/* Take an object from the first partial slab. => c->lock held. */
static void *cache_take(struct kmem_cache *c)
{
	struct kmem_slab *slab = list_entry(c->partial.next, struct kmem_slab, link);
	void *obj = obj_pop(c, slab);

	slab->inuse++;
	c->inuse++;
	if (slab->inuse == c->objs_per_slab) {
		list_remove(&slab->link);
		list_push_front(&c->full, &slab->link);
	}
	return obj;
}

/* Return obj to its slab. Returns true if the slab became empty; it is then
 * off the lists and the caller releases it. => c->lock held. */
static bool cache_put(struct kmem_cache *c, struct kmem_slab *slab, void *obj)
{
	/* LAB slab: begin */
	uintptr_t off = (uintptr_t)obj - (uintptr_t)PA_TO_KVA(vm_page_to_pa(slab->pg));

	KASSERT(off % c->stride == 0 && off / c->stride < c->objs_per_slab,
		"cache %s: %p is not an object start", c->name, obj);
	KASSERT(!obj_looks_free(c, obj) && slab->inuse > 0,
		"cache %s: %p freed twice", c->name, obj);
	if (slab->inuse == c->objs_per_slab) {
		list_remove(&slab->link);
		list_push_front(&c->partial, &slab->link);
	}
	obj_push(c, slab, obj);
	slab->inuse--;
	c->inuse--;
	if (slab->inuse > 0)
		return false;
	list_remove(&slab->link);
	c->nslabs--;
	c->total -= c->objs_per_slab;
	c->pages -= 1UL << c->order;
	return true;
	/* LAB slab: end */
	/* LAB slab: stub
	(void)c;
	(void)slab;
	(void)obj;
	(void)obj_looks_free;
	return false;
	*/
}

/* An object of cache c, a new slab's pages allocated with flags, or NULL
 * on -ENOMEM. Never sleeps. */
static void *kmem_cache_alloc_flags(struct kmem_cache *c, int flags)
{
	struct kmem_slab *fresh;
	void *obj;

	spin_lock(&c->lock);
	if (list_empty(&c->partial)) {
		spin_unlock(&c->lock);
		fresh = kmem_slab_refill(c, flags);
		/* LAB slab: begin */
		if (fresh == NULL)
			return NULL;
		/* LAB slab: end */
		/* LAB slab: stub
		// Until kmem_slab_refill works, an object gets pages of its
		// own (kmem_cache_free knows them). Delete this when it does.
		if (fresh == NULL)
			return kmalloc_large(c->objsize, flags);
		*/
		spin_lock(&c->lock);
		list_push_front(&c->partial, &fresh->link);
		c->nslabs++;
		c->total += c->objs_per_slab;
		c->pages += 1UL << c->order;
	}
	obj = cache_take(c);
	spin_unlock(&c->lock);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	return kmem_cache_alloc_flags(c, 0);
}

void *kmem_cache_alloc_user(struct kmem_cache *c)
{
	return kmem_cache_alloc_flags(c, VM_ALLOC_NORESERVE);
}

void *kmem_cache_zalloc(struct kmem_cache *c)
{
	void *obj = kmem_cache_alloc(c);

	if (obj != NULL)
		memset(obj, 0, c->objsize);
	return obj;
}

void *kmem_cache_zalloc_user(struct kmem_cache *c)
{
	void *obj = kmem_cache_alloc_user(c);

	if (obj != NULL)
		memset(obj, 0, c->objsize);
	return obj;
}

/* Free obj, an object of cache c; an emptied slab goes back to the page
 * allocator. Panics on a pointer that is not a live object of c. */
void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct kmem_slab *slab;
	bool empty;

	/* LAB slab: begin */
	/* LAB slab: end */
	/* LAB slab: stub
	// An object of the stub's kmem_cache_alloc has pages of its own.
	if (!(vm_page_from_pa(KVA_TO_PA(obj))->flags & VM_PAGE_SLAB)) {
		kfree_large(vm_page_from_pa(KVA_TO_PA(obj)));
		return;
	}
	*/
	slab = kmem_obj_slab(obj);
	KASSERT(slab->cache == c, "%p belongs to cache %s, not %s", obj,
		slab->cache->name, c->name);
	spin_lock(&c->lock);
	empty = cache_put(c, slab, obj);
	spin_unlock(&c->lock);
	if (empty)
		kmem_slab_release(c, slab);
}

/* ---------------------------------------------------------------- kmalloc */

static struct kmem_cache *kmalloc_cache(size_t size)
{
	/* LAB slab: begin */
	unsigned shift = KMALLOC_MIN_SHIFT;

	while ((1UL << shift) < size)
		shift++;
	return &kmalloc_caches[shift - KMALLOC_MIN_SHIFT];
	/* LAB slab: end */
	/* LAB slab: stub
	// One size class for all: the largest.
	(void)size;
	return &kmalloc_caches[KMALLOC_NCACHES - 1];
	*/
}

/* A block of whole pages (the smallest order that holds size bytes). */
static void *kmalloc_large(size_t size, int flags)
{
	unsigned order = 0;
	struct vm_page *pg;

	while ((PAGE_SIZE << order) < size)
		if (++order > VM_PAGE_MAX_ORDER)
			return NULL;
	pg = vm_page_alloc(order, VM_ZONE_ANY, flags);
	if (pg == NULL)
		return NULL;
	pg->flags |= VM_PAGE_KMALLOC;
	pg->order = order;
	spin_lock(&kmem_list_lock);
	large_blocks++;
	large_pages += 1UL << order;
	spin_unlock(&kmem_list_lock);
	return PA_TO_KVA(vm_page_to_pa(pg));
}

static void kfree_large(struct vm_page *pg)
{
	unsigned order = pg->order;

	pg->flags &= ~VM_PAGE_KMALLOC;
	spin_lock(&kmem_list_lock);
	large_blocks--;
	large_pages -= 1UL << order;
	spin_unlock(&kmem_list_lock);
	vm_page_free(pg, order);
}

/* size bytes (0 is treated as 1) in the direct map; NULL on -ENOMEM.
 * Blocks up to 2048 bytes are aligned to their power-of-two size class,
 * larger ones to a page. */
void *kmalloc(size_t size)
{
	if (size <= KMALLOC_MAX_SIZE)
		return kmem_cache_alloc(kmalloc_cache(size));
	return kmalloc_large(size, 0);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void *kzalloc_user(size_t size)
{
	void *p = size <= KMALLOC_MAX_SIZE ?
		  kmem_cache_alloc_user(kmalloc_cache(size)) :
		  kmalloc_large(size, VM_ALLOC_NORESERVE);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/* Free a kmalloc block (NULL is ignored). Panics on any other pointer. */
void kfree(void *ptr)
{
	struct vm_page *pg;

	if (ptr == NULL)
		return;
	pg = vm_page_from_pa(KVA_TO_PA(ptr));
	KASSERT(pg != NULL, "%p is not in the direct map of RAM", ptr);
	if (pg->flags & VM_PAGE_SLAB) {
		kmem_cache_free(((struct kmem_slab *)pg->owner)->cache, ptr);
		return;
	}
	KASSERT((pg->flags & VM_PAGE_KMALLOC) && ptr == PA_TO_KVA(vm_page_to_pa(pg)),
		"%p was not returned by kmalloc", ptr);
	kfree_large(pg);
}

/* ---------------------------------------------------------------- counters */

static void cache_info(struct kmem_cache *c, struct kmem_cache_info *out)
{
	spin_lock(&c->lock);
	out->name = c->name;
	out->objsize = c->objsize;
	out->inuse = c->inuse;
	out->total = c->total;
	out->pages = c->pages;
	out->slabs = c->nslabs;
	out->objs_per_slab = c->objs_per_slab;
	out->pages_per_slab = 1u << c->order;
	spin_unlock(&c->lock);
}

/* Statistics of cache i (in list order, then "kmalloc-large" for the
 * whole-page blocks); false past the end. */
bool kmem_cache_get_info(int i, struct kmem_cache_info *out)
{
	struct list_node *n;
	bool found = false;

	spin_lock(&kmem_list_lock);
	list_for_each(n, &kmem_caches) {
		if (i-- == 0) {
			cache_info(list_entry(n, struct kmem_cache, link), out);
			found = true;
			break;
		}
	}
	if (!found && i == 0) {
		out->name = "kmalloc-large";
		out->objsize = PAGE_SIZE;
		out->inuse = out->total = large_blocks;
		out->pages = large_pages;
		out->slabs = 0;
		out->objs_per_slab = 1;
		out->pages_per_slab = 1;
		found = true;
	}
	spin_unlock(&kmem_list_lock);
	return found;
}

uint64_t kmem_objects_inuse(void)
{
	struct kmem_cache_info info;
	uint64_t n = 0;

	for (int i = 0; kmem_cache_get_info(i, &info); i++)
		n += info.inuse;
	return n;
}

uint64_t kmem_pages(void)
{
	struct kmem_cache_info info;
	uint64_t n = 0;

	for (int i = 0; kmem_cache_get_info(i, &info); i++)
		n += info.pages;
	return n;
}

/* /proc/slabinfo. Returns 0 or -ENOMEM. */
int kmem_display_slabinfo(struct sbuf *sb)
{
	struct kmem_cache_info info;

	sbuf_printf(sb, "slabinfo - version: 2.1\n");
	sbuf_printf(sb, "# name            <active_objs> <num_objs> <objsize> "
		    "<objperslab> <pagesperslab> : tunables <limit> <batchcount> "
		    "<sharedfactor> : slabdata <active_slabs> <num_slabs> "
		    "<sharedavail>\n");
	/* Copy each cache's counters out first: printing may kmalloc, which
	 * takes cache locks, so no kmem lock is held while printing. */
	for (int i = 0; kmem_cache_get_info(i, &info); i++)
		sbuf_printf(sb, "%-17s %6lu %6lu %6lu %4u %4u : tunables %4u %4u %4u"
			    " : slabdata %6lu %6lu %6u\n", info.name,
			    (unsigned long)info.inuse, (unsigned long)info.total,
			    (unsigned long)info.objsize, info.objs_per_slab,
			    info.pages_per_slab, 0u, 0u, 0u,
			    (unsigned long)info.slabs, (unsigned long)info.slabs, 0u);
	return sbuf_error(sb);
}

/* ---------------------------------------------------------------- check */

/* One slab of c is well formed; returns its objects in use.
 * => c->lock held. */
static uint32_t slab_check(struct kmem_cache *c, struct kmem_slab *slab, bool full)
{
	char *base = PA_TO_KVA(vm_page_to_pa(slab->pg));
	uint32_t nfree = 0;

	KASSERT(slab->cache == c && (char *)slab == base + (PAGE_SIZE << c->order) -
		sizeof(*slab), "cache %s: slab %p header broken", c->name, (void *)slab);
	for (uint64_t i = 0; i < (1UL << c->order); i++)
		KASSERT((slab->pg[i].flags & VM_PAGE_SLAB) && slab->pg[i].owner == slab,
			"cache %s: page %lu of slab %p not marked", c->name,
			(unsigned long)i, (void *)slab);
	for (char *obj = slab->freelist; obj != NULL; obj = *(char **)obj) {
		KASSERT(obj >= base && (uintptr_t)(obj - base) % c->stride == 0 &&
			(uintptr_t)(obj - base) / c->stride < c->objs_per_slab &&
			nfree < c->objs_per_slab,
			"cache %s: slab %p free list broken at %p", c->name,
			(void *)slab, (void *)obj);
		nfree++;
	}
	KASSERT(slab->inuse > 0 && slab->inuse + nfree == c->objs_per_slab &&
		full == (slab->inuse == c->objs_per_slab),
		"cache %s: slab %p inuse %u free %u", c->name, (void *)slab,
		slab->inuse, nfree);
	return slab->inuse;
}

static void cache_check(struct kmem_cache *c)
{
	uint64_t inuse = 0, nslabs = 0;
	struct list_node *n;

	spin_lock(&c->lock);
	list_for_each(n, &c->partial) {
		inuse += slab_check(c, list_entry(n, struct kmem_slab, link), false);
		nslabs++;
	}
	list_for_each(n, &c->full) {
		inuse += slab_check(c, list_entry(n, struct kmem_slab, link), true);
		nslabs++;
	}
	KASSERT(inuse == c->inuse && nslabs == c->nslabs &&
		c->total == nslabs * c->objs_per_slab && c->pages == nslabs << c->order,
		"cache %s: counters disagree with its slabs", c->name);
	spin_unlock(&c->lock);
}

/* Check every cache; panics on a broken invariant. */
void kmem_check(void)
{
	struct list_node *n;

	spin_lock(&kmem_list_lock);
	list_for_each(n, &kmem_caches)
		cache_check(list_entry(n, struct kmem_cache, link));
	spin_unlock(&kmem_list_lock);
}
