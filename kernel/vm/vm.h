/*
 * Machine-independent VM definitions shared by every kernel/vm module:
 * protection bits, fault access types, and the one lock-order list.
 *
 * Lock order (take top to bottom; never upward):
 *
 *   swapctl_lock              (mutex: kernel/vm/sys_swap.c, swapon/swapoff;
 *                              held across vm_swapoff and the header read)
 *   proc_table_lock
 *   vnode->lock               (mutex; mount->ns_lock above it: kernel/fs/vfs.h.
 *                              read()/write() hold it across uio_move, whose
 *                              fault takes the mspace and object locks, so it
 *                              is never taken under those; they hold only a
 *                              page's hold, never obj->lock, while copying)
 *     mspace->lock            (mutex: VMA tree, amaps of this mspace)
 *       vcache load lock      (mutex: kernel/fs/vfs.c; a file's last vnode_put,
 *                              e.g. from vm_object_unref, writes its pages)
 *         vm_object->lock     (mutex: an object's pages; held across pager I/O)
 *           ext2 map lock     (mutex: one inode's block map; the vnode pager)
 *             ext2 fs->lock   (mutex: bitmaps, group descriptors, sb counts)
 *               bcache buffer lock (mutex)
 *           amap->lock / anon->lock (spin)
 *             pmap->lock      (spin: page tables of one pmap)
 *               pv lock       (spin: one of 1024, hashed by page: its pv list
 *                              and the leaf PTEs naming it; one at a time;
 *                              none held across an SBI call)
 *                 page cache lock (spin: one hart's free pages of one
 *                              zone, kernel/vm/page.c; any hart drains any)
 *                   zone->lock  (spin: one buddy allocator)
 *                     kmem_cache->lock (spin)
 *                       kva_lock (spin)
 *   asid_lock (spin, leaf: the pmap's ASID allocator; taken under pmap->lock,
 *   a pv lock and the scheduler's locks, takes nothing)
 *   proc->lock, sched run-queue lock, sleep channels (spin; leaf-level
 *   with respect to VM locks)
 *   pageq_lock (spin, leaf: the active/inactive page queues; never held
 *   with a zone->lock)
 *   kmem_list_lock (spin: kmem's cache list; taken before a kmem_cache->lock,
 *   never with a zone->lock)
 *   blk request-manager lock, device locks, printk lock (leaf)
 *   console: tty.lock, then uart wait_lock (a sleep lock: before
 *   proc->lock), then uart tx_lock (leaf: printk takes it under any lock)
 *   (blk_lock, then a disk driver's lock inside ops->start; blk_lock is the
 *   sleep lock of blk_wait, so it comes before proc->lock like any sleep lock)
 */
#ifndef KERNEL_VM_VM_H
#define KERNEL_VM_VM_H

#include "kernel/types.h"
#include "arch/riscv/vmparam.h"

typedef uint32_t vm_prot_t;
#define VM_PROT_NONE    0x0
#define VM_PROT_READ    0x1
#define VM_PROT_WRITE   0x2
#define VM_PROT_EXEC    0x4
#define VM_PROT_ALL     (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC)

/* The access that caused a fault. */
enum vm_access {
	VM_ACCESS_READ = VM_PROT_READ,
	VM_ACCESS_WRITE = VM_PROT_WRITE,
	VM_ACCESS_EXEC = VM_PROT_EXEC,
};

#endif
