/*
 * Flattened device tree reader (Devicetree Specification v0.4, chapter 5
 * "Flattened Devicetree (DTB) Format"). The blob is copied out of the
 * firmware's placement at boot and kept for the whole run.
 */
#ifndef KERNEL_DTB_H
#define KERNEL_DTB_H

#include "kernel/types.h"

struct dtb_node;        /* an offset into the structure block */

/* Copy the blob at physical pa into kernel memory and check its header.
 * Returns 0 or -EINVAL. */
int dtb_init(paddr_t pa);
/* Bytes of the blob, and its physical placement as given by firmware. */
size_t dtb_size(void);

/* Walk nodes: start with -1; returns the next node offset or -1 at the end. */
int dtb_next_node(int node, int *depth);
const char *dtb_node_name(int node);
/* First node whose "compatible" list holds compat, after `after` (-1: from
 * the start). Returns -1 if none. */
int dtb_find_compatible(int after, const char *compat);
/* Find node by path such as "/cpus" or "/reserved-memory"; -1 if none. */
int dtb_find_path(const char *path);
int dtb_parent(int node);
/* Property value and its length in bytes; NULL if absent. */
const void *dtb_prop(int node, const char *name, int *len);
/* Read the cells of a reg entry using the parent's #address-cells and
 * #size-cells. Returns false if index is past the end. */
bool dtb_reg(int node, int index, uint64_t *addr, uint64_t *size);
uint32_t dtb_prop_u32(int node, const char *name, uint32_t dflt);

/* Physical address of the firmware's copy of the blob. */
paddr_t dtb_phys(void);
/* Children of a node: the first child, and the next node at the same level;
 * -1 when there is none. */
int dtb_first_child(int node);
int dtb_next_sibling(int node);
/* True if the node's "status" is absent, "okay" or "ok". */
bool dtb_status_okay(int node);
/* True if the node's "compatible" list holds compat. */
bool dtb_is_compatible(int node, const char *compat);
/* The node whose "phandle" is ph, or -1. */
int dtb_find_phandle(uint32_t ph);
/* Cell i (32-bit big-endian) of a property value. */
uint32_t dtb_cell(const void *prop, int i);
/* Entry i of the memory reservation block (spec 5.3); false past the end. */
bool dtb_mem_reserve(int i, uint64_t *addr, uint64_t *size);

#endif
