/*
 * Flattened device tree reader (Devicetree Specification v0.4, chapter 5).
 * dtb_init copies the firmware's blob into the kernel image's bss, because
 * firmware leaves it in unreserved RAM; afterwards everything is read-only,
 * so any hart may call the lookups without a lock.
 */
#include "kernel/dtb.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "arch/riscv/vmparam.h"

#define FDT_MAGIC               0xd00dfeed
#define FDT_VERSION_MIN         16      /* oldest layout we read (5.2) */
#define FDT_BEGIN_NODE          1
#define FDT_END_NODE            2
#define FDT_PROP                3
#define FDT_NOP                 4
#define FDT_END                 9
#define FDT_TOKEN_SIZE          4
#define FDT_PROP_HDR_SIZE       12      /* token, len, nameoff */
#define FDT_PROP_LEN_OFF        4
#define FDT_PROP_NAMEOFF_OFF    8
#define FDT_RSV_ENTRY_SIZE      16      /* u64 address, u64 size */
#define DTB_BUF_SIZE            (64 * 1024)
#define DTB_MAX_DEPTH           16
#define DTB_DEFAULT_ADDR_CELLS  2       /* spec 2.3.5 */
#define DTB_DEFAULT_SIZE_CELLS  1

/* The blob's header (spec 5.2), all fields big-endian. */
struct fdt_header {
	uint32_t magic;
	uint32_t totalsize;
	uint32_t off_dt_struct;
	uint32_t off_dt_strings;
	uint32_t off_mem_rsvmap;
	uint32_t version;
	uint32_t last_comp_version;
	uint32_t boot_cpuid_phys;
	uint32_t size_dt_strings;
	uint32_t size_dt_struct;
};

static uint8_t dtb_buf[DTB_BUF_SIZE] __aligned(8);

/* Set once by dtb_init on the boot hart; read-only afterwards. */
static struct {
	paddr_t pa;             /* firmware's copy */
	size_t size;            /* bytes copied */
	const uint8_t *structs; /* structure block */
	uint32_t struct_size;
	const char *strings;    /* strings block */
	uint32_t strings_size;
	const uint8_t *rsvmap;  /* memory reservation block */
} dtb;

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
}

static uint64_t be64(const void *p)
{
	return ((uint64_t)be32(p) << 32) | be32((const uint8_t *)p + 4);
}

uint32_t dtb_cell(const void *prop, int i)
{
	return be32((const uint8_t *)prop + 4 * i);
}

/* Bytes of the blob actually used: the farthest end of its blocks. */
static size_t dtb_used_size(const struct fdt_header *h)
{
	size_t s = (size_t)be32(&h->off_dt_struct) + be32(&h->size_dt_struct);
	size_t t = (size_t)be32(&h->off_dt_strings) + be32(&h->size_dt_strings);

	return MAX(s, t);
}

/*
 * Copy the blob at physical pa (read through the boot direct map) and check
 * its header (spec 5.2). Returns 0, or -EINVAL if it is not a blob we can
 * read or does not fit in DTB_BUF_SIZE bytes.
 */
int dtb_init(paddr_t pa)
{
	const struct fdt_header *h = PA_TO_KVA(pa);
	size_t total, used;

	if (be32(&h->magic) != FDT_MAGIC || be32(&h->version) < FDT_VERSION_MIN)
		return -EINVAL;
	total = be32(&h->totalsize);
	used = dtb_used_size(h);
	if (used > total || be32(&h->off_mem_rsvmap) >= total)
		return -EINVAL;
	if (total > DTB_BUF_SIZE)
		total = used;   /* firmware left room to grow: copy the content */
	if (total > DTB_BUF_SIZE)
		return -EINVAL;
	memcpy(dtb_buf, h, total);
	h = (const struct fdt_header *)dtb_buf;
	dtb.pa = pa;
	dtb.size = total;
	dtb.structs = dtb_buf + be32(&h->off_dt_struct);
	dtb.struct_size = be32(&h->size_dt_struct);
	dtb.strings = (const char *)dtb_buf + be32(&h->off_dt_strings);
	dtb.strings_size = be32(&h->size_dt_strings);
	dtb.rsvmap = dtb_buf + be32(&h->off_mem_rsvmap);
	return 0;
}

size_t dtb_size(void)
{
	return dtb.size;
}

paddr_t dtb_phys(void)
{
	return dtb.pa;
}

/* The token at structure-block offset off; FDT_END past the end. */
static uint32_t dtb_token(int off)
{
	if (off < 0 || (uint32_t)off + FDT_TOKEN_SIZE > dtb.struct_size)
		return FDT_END;
	return be32(dtb.structs + off);
}

/* Offset just past a BEGIN_NODE token and its name. */
static int dtb_after_name(int node)
{
	const char *name = (const char *)dtb.structs + node + FDT_TOKEN_SIZE;
	size_t max = dtb.struct_size - node - FDT_TOKEN_SIZE;

	return node + FDT_TOKEN_SIZE + ROUNDUP(strnlen(name, max) + 1, 4);
}

/* Offset just past the PROP token at off. */
static int dtb_skip_prop(int off)
{
	uint32_t len;

	if ((uint32_t)off + FDT_PROP_HDR_SIZE > dtb.struct_size)
		return (int)dtb.struct_size;
	len = be32(dtb.structs + off + FDT_PROP_LEN_OFF);
	return off + FDT_PROP_HDR_SIZE + ROUNDUP(len, 4);
}

/*
 * The node after `node` in document order (-1: the root), or -1 at the end.
 * *depth (may be NULL) holds node's depth on entry and the returned node's
 * depth on return; the root has depth 0.
 */
int dtb_next_node(int node, int *depth)
{
	int d = depth ? *depth : 0;
	int off = node < 0 ? 0 : dtb_after_name(node);

	if (node < 0)
		d = -1;
	for (;;) {
		switch (dtb_token(off)) {
		case FDT_BEGIN_NODE:
			if (depth)
				*depth = d + 1;
			return off;
		case FDT_END_NODE:
			d--;
			off += FDT_TOKEN_SIZE;
			break;
		case FDT_PROP:
			off = dtb_skip_prop(off);
			break;
		case FDT_NOP:
			off += FDT_TOKEN_SIZE;
			break;
		default:
			return -1;
		}
	}
}

const char *dtb_node_name(int node)
{
	return (const char *)dtb.structs + node + FDT_TOKEN_SIZE;
}

int dtb_first_child(int node)
{
	int d = 0;
	int child = dtb_next_node(node, &d);

	return (child >= 0 && d == 1) ? child : -1;
}

int dtb_next_sibling(int node)
{
	int d = 0;

	do {
		node = dtb_next_node(node, &d);
	} while (node >= 0 && d > 0);
	return (node >= 0 && d == 0) ? node : -1;
}

/* Property `name` of node: its value and length; NULL if absent. */
const void *dtb_prop(int node, const char *name, int *len)
{
	int off;
	uint32_t tok;

	if (node < 0)
		return NULL;
	off = dtb_after_name(node);
	while ((tok = dtb_token(off)) == FDT_PROP || tok == FDT_NOP) {
		if (tok == FDT_PROP) {
			const uint8_t *p = dtb.structs + off;
			uint32_t nameoff = be32(p + FDT_PROP_NAMEOFF_OFF);

			if (nameoff < dtb.strings_size &&
			    strcmp(dtb.strings + nameoff, name) == 0) {
				if (len)
					*len = (int)be32(p + FDT_PROP_LEN_OFF);
				return p + FDT_PROP_HDR_SIZE;
			}
			off = dtb_skip_prop(off);
		} else {
			off += FDT_TOKEN_SIZE;
		}
	}
	return NULL;
}

uint32_t dtb_prop_u32(int node, const char *name, uint32_t dflt)
{
	int len;
	const void *v = dtb_prop(node, name, &len);

	return (v != NULL && len >= 4) ? be32(v) : dflt;
}

int dtb_parent(int node)
{
	int stack[DTB_MAX_DEPTH];
	int n = -1, d = 0;

	while ((n = dtb_next_node(n, &d)) >= 0) {
		if (d < 0 || d >= DTB_MAX_DEPTH)
			return -1;
		stack[d] = n;
		if (n == node)
			return d > 0 ? stack[d - 1] : -1;
	}
	return -1;
}

/* True if path component comp (len bytes) names node: the whole name, or
 * the name before its "@unit-address" when comp has none (spec 2.2.1). */
static bool dtb_name_matches(int node, const char *comp, size_t len)
{
	const char *name = dtb_node_name(node);
	size_t i;

	if (strncmp(name, comp, len) != 0)
		return false;
	if (name[len] == '\0')
		return true;
	for (i = 0; i < len; i++)
		if (comp[i] == '@')
			return false;
	return name[len] == '@';
}

/* Find a node by absolute path ("/", "/cpus", "/soc/plic@c000000"). */
int dtb_find_path(const char *path)
{
	int node = dtb_next_node(-1, NULL);

	if (path[0] != '/')
		return -1;
	while (node >= 0 && *path != '\0') {
		const char *comp = path + 1;
		const char *end = strchr(comp, '/');
		size_t len = end ? (size_t)(end - comp) : strlen(comp);

		path = comp + len;
		if (len == 0)
			continue;
		for (node = dtb_first_child(node); node >= 0;
		     node = dtb_next_sibling(node))
			if (dtb_name_matches(node, comp, len))
				break;
	}
	return node;
}

/* True if the string list val (len bytes) holds str. */
static bool dtb_strlist_has(const char *val, int len, const char *str)
{
	int off = 0;

	while (off < len) {
		if (strcmp(val + off, str) == 0)
			return true;
		off += (int)strnlen(val + off, (size_t)(len - off)) + 1;
	}
	return false;
}

bool dtb_is_compatible(int node, const char *compat)
{
	int len;
	const char *val = dtb_prop(node, "compatible", &len);

	return val != NULL && dtb_strlist_has(val, len, compat);
}

int dtb_find_compatible(int after, const char *compat)
{
	int node = after;

	while ((node = dtb_next_node(node, NULL)) >= 0)
		if (dtb_is_compatible(node, compat))
			return node;
	return -1;
}

bool dtb_status_okay(int node)
{
	int len;
	const char *st = dtb_prop(node, "status", &len);

	return st == NULL || strcmp(st, "okay") == 0 || strcmp(st, "ok") == 0;
}

int dtb_find_phandle(uint32_t ph)
{
	int node = -1;

	while ((node = dtb_next_node(node, NULL)) >= 0)
		if (dtb_prop_u32(node, "phandle", 0) == ph ||
		    dtb_prop_u32(node, "linux,phandle", 0) == ph)
			return node;
	return -1;
}

/* Read n (1 or 2) cells at p as one number. */
static uint64_t dtb_read_cells(const uint8_t *p, uint32_t n)
{
	return n == 2 ? be64(p) : n == 1 ? be32(p) : 0;
}

/*
 * Entry index of node's "reg", sized by the parent's #address-cells and
 * #size-cells (spec 2.3.5, 2.3.6). False if there is no such entry or the
 * cell counts are not 1 or 2 (0 for sizes).
 */
bool dtb_reg(int node, int index, uint64_t *addr, uint64_t *size)
{
	int parent = dtb_parent(node), len;
	uint32_t ac = dtb_prop_u32(parent, "#address-cells", DTB_DEFAULT_ADDR_CELLS);
	uint32_t sc = dtb_prop_u32(parent, "#size-cells", DTB_DEFAULT_SIZE_CELLS);
	const uint8_t *reg = dtb_prop(node, "reg", &len);
	int entry = 4 * (int)(ac + sc);

	if (reg == NULL || index < 0 || ac < 1 || ac > 2 || sc > 2 ||
	    (index + 1) * entry > len)
		return false;
	reg += index * entry;
	*addr = dtb_read_cells(reg, ac);
	*size = dtb_read_cells(reg + 4 * ac, sc);
	return true;
}

/* Entry i of the memory reservation block: pairs of big-endian u64 ending
 * with a zero pair (spec 5.3). */
bool dtb_mem_reserve(int i, uint64_t *addr, uint64_t *size)
{
	const uint8_t *p = dtb.rsvmap;
	int k;

	for (k = 0; k <= i; k++, p += FDT_RSV_ENTRY_SIZE) {
		if (p + FDT_RSV_ENTRY_SIZE > dtb_buf + dtb.size)
			return false;
		*addr = be64(p);
		*size = be64(p + sizeof(uint64_t));
		if (*addr == 0 && *size == 0)
			return false;
	}
	return true;
}
