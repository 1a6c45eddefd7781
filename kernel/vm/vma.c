/*
 * The VMA tree: an AVL tree of struct vma keyed by start address, each node
 * augmented with the bounds of its subtree and the largest hole inside it.
 * Callers (mspace.c, the host test) hold the owning mspace's lock; this file
 * takes no locks, allocates nothing, and must stay free of kernel-only code.
 */
#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/vma.h"

void vma_tree_init(struct vma_tree *tree, vaddr_t lo, vaddr_t hi)
{
	KASSERT(lo < hi && PAGE_ALIGNED(lo) && PAGE_ALIGNED(hi),
		"bad bounds %lx-%lx", (unsigned long)lo, (unsigned long)hi);
	tree->root = NULL;
	tree->count = 0;
	tree->lo = lo;
	tree->hi = hi;
}

/* ------------------------------------------------------------ AVL core */

static int vma_height(const struct vma *n)
{
	return n ? n->height : 0;
}

/* Recompute n's height and augmentation from its children. */
static void vma_update(struct vma *n)
{
	struct vma *l = n->left, *r = n->right;
	vaddr_t gap = 0;

	n->height = 1 + MAX(vma_height(l), vma_height(r));
	n->sub_start = l ? l->sub_start : n->start;
	n->sub_end = r ? r->sub_end : n->end;
	if (l) {
		gap = MAX(gap, l->max_gap);
		gap = MAX(gap, n->start - l->sub_end);
	}
	if (r) {
		gap = MAX(gap, r->max_gap);
		gap = MAX(gap, r->sub_start - n->end);
	}
	n->max_gap = gap;
}

/* Make the link that pointed at old (from parent, or the root) point at nw. */
static void vma_replace_child(struct vma_tree *tree, struct vma *parent,
			      struct vma *old, struct vma *nw)
{
	if (parent == NULL)
		tree->root = nw;
	else if (parent->left == old)
		parent->left = nw;
	else
		parent->right = nw;
}

/* Rotate x down to the left; its right child takes its place. */
static struct vma *vma_rotate_left(struct vma_tree *tree, struct vma *x)
{
	struct vma *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	vma_replace_child(tree, x->parent, x, y);
	y->left = x;
	x->parent = y;
	vma_update(x);
	vma_update(y);
	return y;
}

/* Rotate x down to the right; its left child takes its place. */
static struct vma *vma_rotate_right(struct vma_tree *tree, struct vma *x)
{
	struct vma *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	vma_replace_child(tree, x->parent, x, y);
	y->right = x;
	x->parent = y;
	vma_update(x);
	vma_update(y);
	return y;
}

/* Restore the AVL balance at n (children already balanced); returns the
 * node now at n's place. */
static struct vma *vma_rebalance(struct vma_tree *tree, struct vma *n)
{
	int bf = vma_height(n->left) - vma_height(n->right);

	if (bf > 1) {
		if (vma_height(n->left->left) < vma_height(n->left->right))
			vma_rotate_left(tree, n->left);
		return vma_rotate_right(tree, n);
	}
	if (bf < -1) {
		if (vma_height(n->right->right) < vma_height(n->right->left))
			vma_rotate_right(tree, n->right);
		return vma_rotate_left(tree, n);
	}
	vma_update(n);
	return n;
}

/* Rebalance and re-augment every node from n up to the root. */
static void vma_fixup_to_root(struct vma_tree *tree, struct vma *n)
{
	while (n != NULL) {
		n = vma_rebalance(tree, n);
		n = n->parent;
	}
}

/* ------------------------------------------------------------ updates */

int vma_tree_insert(struct vma_tree *tree, struct vma *vma)
{
	struct vma *parent = NULL, **link = &tree->root;

	if (vma->start >= vma->end || vma->start < tree->lo ||
	    vma->end > tree->hi)
		return -EINVAL;
	/* LAB vma: begin */
	/* The new node's predecessor and successor are both on this path,
	 * so checking each node passed finds any overlap. */
	while (*link != NULL) {
		parent = *link;
		if (vma->end <= parent->start)
			link = &parent->left;
		else if (vma->start >= parent->end)
			link = &parent->right;
		else
			return -EEXIST;
	}
	vma->left = vma->right = NULL;
	vma->parent = parent;
	*link = vma;
	vma_update(vma);
	vma_fixup_to_root(tree, parent);
	tree->count++;
	return 0;
	/* LAB vma: end */
	/* LAB vma: stub
	// Not balanced: a plain binary search tree insert, without the
	// overlap check, the augmentation brought up to date to the root.
	while (*link != NULL) {
		parent = *link;
		link = vma->end <= parent->start ? &parent->left : &parent->right;
	}
	vma->left = vma->right = NULL;
	vma->parent = parent;
	*link = vma;
	for (struct vma *n = vma; n != NULL; n = n->parent)
		vma_update(n);
	tree->count++;
	return 0;
	*/
}

void vma_tree_remove(struct vma_tree *tree, struct vma *n)
{
	struct vma *fix, *child, *s;

	if (n->left == NULL || n->right == NULL) {
		child = n->left ? n->left : n->right;
		vma_replace_child(tree, n->parent, n, child);
		if (child)
			child->parent = n->parent;
		fix = n->parent;
	} else {
		/* Two children: n's successor s (no left child) takes its place. */
		s = n->right;
		while (s->left)
			s = s->left;
		if (s->parent != n) {
			fix = s->parent;
			fix->left = s->right;
			if (s->right)
				s->right->parent = fix;
			s->right = n->right;
			n->right->parent = s;
		} else {
			fix = s;
		}
		s->left = n->left;
		n->left->parent = s;
		s->parent = n->parent;
		vma_replace_child(tree, n->parent, n, s);
	}
	vma_fixup_to_root(tree, fix);
	n->left = n->right = n->parent = NULL;
	tree->count--;
}

void vma_tree_resize(struct vma_tree *tree, struct vma *vma, vaddr_t start,
		     vaddr_t end)
{
	struct vma *prev = vma_tree_prev(vma), *next = vma_tree_next(vma);
	struct vma *n;

	KASSERT(start < end && start >= tree->lo && end <= tree->hi,
		"bad range %lx-%lx", (unsigned long)start, (unsigned long)end);
	KASSERT(prev == NULL || prev->end <= start, "overlaps previous VMA");
	KASSERT(next == NULL || end <= next->start, "overlaps next VMA");
	vma->start = start;
	vma->end = end;
	/* Heights do not change: only the augmentation along the path. */
	for (n = vma; n != NULL; n = n->parent)
		vma_update(n);
}

/* ------------------------------------------------------------ queries */

struct vma *vma_tree_lookup(const struct vma_tree *tree, vaddr_t va)
{
	struct vma *n = tree->root;

	while (n != NULL) {
		if (va < n->start)
			n = n->left;
		else if (va >= n->end)
			n = n->right;
		else
			return n;
	}
	return NULL;
}

struct vma *vma_tree_find_from(const struct vma_tree *tree, vaddr_t va)
{
	struct vma *n = tree->root, *best = NULL;

	while (n != NULL) {
		if (n->end > va) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vma *vma_tree_first(const struct vma_tree *tree)
{
	struct vma *n = tree->root;

	while (n != NULL && n->left != NULL)
		n = n->left;
	return n;
}

struct vma *vma_tree_next(const struct vma *n)
{
	const struct vma *p;

	if (n->right != NULL) {
		n = n->right;
		while (n->left != NULL)
			n = n->left;
		return (struct vma *)n;
	}
	for (p = n->parent; p != NULL && n == p->right; p = p->parent)
		n = p;
	return (struct vma *)p;
}

struct vma *vma_tree_prev(const struct vma *n)
{
	const struct vma *p;

	if (n->left != NULL) {
		n = n->left;
		while (n->right != NULL)
			n = n->right;
		return (struct vma *)n;
	}
	for (p = n->parent; p != NULL && n == p->left; p = p->parent)
		n = p;
	return (struct vma *)p;
}

bool vma_tree_range_free(const struct vma_tree *tree, vaddr_t start,
			 vaddr_t end)
{
	struct vma *v = vma_tree_find_from(tree, start);

	return v == NULL || v->start >= end;
}

/* ------------------------------------------------------------ gap search */

/* What vma_gap_search looks for. */
struct gap_req {
	size_t size, align;     /* bytes */
	vaddr_t lo, hi;         /* window, bytes */
};

/* The highest aligned fit for req inside the hole [gs, ge), if any. */
static bool gap_fit(const struct gap_req *req, vaddr_t gs, vaddr_t ge,
		    vaddr_t *va)
{
	vaddr_t cand;

	gs = MAX(gs, req->lo);
	ge = MIN(ge, req->hi);
	if (ge <= gs || ge - gs < req->size)
		return false;
	cand = (ge - req->size) & ~(vaddr_t)(req->align - 1);
	if (cand < gs)
		return false;
	*va = cand;
	return true;
}

/*
 * Search the subtree n, which covers the address range [plo, phi): plo is
 * the end of the VMA before the subtree (or the tree's lower bound), phi the
 * start of the VMA after it (or the upper bound). Highest hole first.
 */
static bool vma_gap_search(const struct vma *n, vaddr_t plo, vaddr_t phi,
			   const struct gap_req *req, vaddr_t *va)
{
	/* LAB vma: begin */
	vaddr_t best;

	if (n == NULL)
		return gap_fit(req, plo, phi, va);
	if (MIN(phi, req->hi) <= MAX(plo, req->lo) ||
	    MIN(phi, req->hi) - MAX(plo, req->lo) < req->size)
		return false;
	best = MAX(n->max_gap, MAX(n->sub_start - plo, phi - n->sub_end));
	if (best < req->size)
		return false;
	if (vma_gap_search(n->right, n->end, phi, req, va))
		return true;
	return vma_gap_search(n->left, plo, n->start, req, va);
	/* LAB vma: end */
	/* LAB vma: stub
	// Visits every hole, lowest first, and takes the first that fits.
	if (n == NULL)
		return gap_fit(req, plo, phi, va);
	if (vma_gap_search(n->left, plo, n->start, req, va))
		return true;
	return vma_gap_search(n->right, n->end, phi, req, va);
	*/
}

int vma_tree_find_gap_aligned(const struct vma_tree *tree, size_t size,
			      size_t align, vaddr_t lo, vaddr_t hi, vaddr_t *va)
{
	struct gap_req req = { size, align, lo, hi };

	KASSERT(IS_POWER_OF_2(align) && align >= PAGE_SIZE, "bad align %lx",
		(unsigned long)align);
	if (size == 0)
		return -ENOMEM;
	if (vma_gap_search(tree->root, tree->lo, tree->hi, &req, va))
		return 0;
	return -ENOMEM;
}

int vma_tree_find_gap(const struct vma_tree *tree, size_t size, vaddr_t lo,
		      vaddr_t hi, vaddr_t *va)
{
	return vma_tree_find_gap_aligned(tree, size, PAGE_SIZE, lo, hi, va);
}

/* ------------------------------------------------------------ checking */

/* Walk state of vma_tree_check: the previous VMA in order. */
struct vma_check {
	const struct vma_tree *tree;
	const struct vma *prev;
	size_t count;
};

static int vma_check_fail(const struct vma *n, const char *what)
{
	printk("vma_tree_check: VMA %lx-%lx: %s\n",
	       (unsigned long)n->start, (unsigned long)n->end, what);
	return -EINVAL;
}

/* The augmentation n should have, from its (already checked) children. */
static int vma_check_node(const struct vma *n)
{
	struct vma want = *n;

	if (n->start >= n->end || !PAGE_ALIGNED(n->start) ||
	    !PAGE_ALIGNED(n->end))
		return vma_check_fail(n, "empty or unaligned");
	if (n->left && n->left->parent != n)
		return vma_check_fail(n, "left child's parent link");
	if (n->right && n->right->parent != n)
		return vma_check_fail(n, "right child's parent link");
	vma_update(&want);
	if (want.height != n->height)
		return vma_check_fail(n, "height");
	if (vma_height(n->left) - vma_height(n->right) > 1 ||
	    vma_height(n->right) - vma_height(n->left) > 1)
		return vma_check_fail(n, "AVL balance");
	if (want.sub_start != n->sub_start || want.sub_end != n->sub_end)
		return vma_check_fail(n, "subtree bounds");
	if (want.max_gap != n->max_gap)
		return vma_check_fail(n, "max_gap");
	return 0;
}

/* In order: left subtree, n (order, overlap, bounds), right subtree, then
 * n's own fields (which depend on checked children). */
static int vma_check_subtree(const struct vma *n, struct vma_check *c)
{
	int err;

	if (n == NULL)
		return 0;
	if ((err = vma_check_subtree(n->left, c)) != 0)
		return err;
	if (c->prev != NULL && c->prev->end > n->start)
		return vma_check_fail(n, "out of order or overlapping");
	if (n->start < c->tree->lo || n->end > c->tree->hi)
		return vma_check_fail(n, "outside the tree's bounds");
	c->prev = n;
	c->count++;
	if ((err = vma_check_subtree(n->right, c)) != 0)
		return err;
	return vma_check_node(n);
}

int vma_tree_check(const struct vma_tree *tree)
{
	struct vma_check c = { tree, NULL, 0 };
	int err;

	if (tree->root != NULL && tree->root->parent != NULL)
		return vma_check_fail(tree->root, "root has a parent");
	if ((err = vma_check_subtree(tree->root, &c)) != 0)
		return err;
	if (c.count != tree->count) {
		printk("vma_tree_check: count %lu, found %lu\n",
		       (unsigned long)tree->count, (unsigned long)c.count);
		return -EINVAL;
	}
	return 0;
}
