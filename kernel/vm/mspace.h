/*
 * Address spaces (mspaces): a process's VMAs in a balanced search tree keyed
 * by address, augmented with the largest free gap, plus its pmap.
 * The VMA tree itself lives in kernel/vm/vma.c (vma_tree_*).
 */
#ifndef KERNEL_VM_MSPACE_H
#define KERNEL_VM_MSPACE_H

#include "kernel/types.h"
#include "kernel/lock.h"
#include "kernel/vm/vm.h"

struct pmap;
struct amap;
struct vm_object;
struct sbuf;
struct vnode;

/* vma.flags */
#define VMA_PRIVATE     0x01    /* writes are private to this mspace */
#define VMA_SHARED      0x02    /* writes reach the memory object */
#define VMA_STACK       0x04    /* grows down on demand */
#define VMA_GUARD       0x08    /* guard gap: never mapped */
#define VMA_NEEDS_COPY  0x10    /* amap must be copied before a write */
#define VMA_HEAP        0x20    /* the brk heap */
#define VMA_ANON        0x40    /* no memory object: demand zero */

/* mspace_map flags */
#define MSPACE_FIXED    0x1     /* exactly at va, replacing what is there */

/* The operations are given in mspace.c. Fields are documented there. */
struct vma;
struct mspace;

#endif
