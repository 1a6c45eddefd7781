/*
 * vm_fault: the one place a page fault is resolved.
 */
#ifndef KERNEL_VM_FAULT_H
#define KERNEL_VM_FAULT_H

#include "kernel/vm/vm.h"

struct mspace;

/* Resolve a fault at user va for access in ms.
 * => no locks held; may sleep.
 * Returns 0 when the access can be retried, -EFAULT when no VMA allows it
 * (the caller sends SIGSEGV or fails copyin), -ENOMEM when memory ran out. */
int vm_fault(struct mspace *ms, vaddr_t va, enum vm_access access);

#endif
