/*
 * Device registry. Every device found in the DTB gets an ID made of a kind
 * and a unit number from 1 to 16, unique within its kind.
 */
#ifndef KERNEL_DEV_DEV_H
#define KERNEL_DEV_DEV_H

#include "kernel/types.h"

enum dev_kind {
	DEV_NONE = 0,
	DEV_MEMORY,     /* one per RAM range */
	DEV_BLOCK,      /* virtio-blk disks */
	DEV_CONSOLE,    /* the UART */
	DEV_TIMER,
	DEV_INTC,       /* the PLIC */
	DEV_NKINDS
};

#define DEV_MAX_UNITS   16
typedef uint32_t dev_id_t;
#define DEV_ID(kind, unit)  (((dev_id_t)(kind) << 8) | (unit))
#define DEV_ID_KIND(id)     ((enum dev_kind)((id) >> 8))
#define DEV_ID_UNIT(id)     ((id) & 0xff)

struct device {
	dev_id_t id;            /* (c) */
	char name[24];          /* (c) e.g. "virtio-blk1" */
	paddr_t base;           /* (c) registers or RAM start */
	uint64_t size;          /* (c) bytes */
	int irq;                /* (c) PLIC source, 0 if none */
	void *priv;             /* (c) driver state */
};

/* Register a device of kind; assigns the next free unit (1..16). A name
 * ending in '#' gets the unit number in its place ("virtio-blk#" becomes
 * "virtio-blk1"). Returns the device, or NULL if the kind has 16 units
 * already or the table is full. */
struct device *dev_register(enum dev_kind kind, const char *name,
			    paddr_t base, uint64_t size, int irq);
struct device *dev_find(dev_id_t id);
const char *dev_kind_name(enum dev_kind kind);
/* Iterate devices in registration order: i from 0; NULL past the end. */
struct device *dev_get(int i);

/* Register a DEV_MEMORY device per DTB memory range, then probe the
 * virtio-mmio slots in order of base address (called from main). The PLIC,
 * timer and UART drivers register their own devices. */
void dev_init(void);

struct sbuf;
/* Text of /proc/devices: one line "kind unit name base size irq" per
 * device, in registration order. Returns 0 or -ENOMEM. */
int dev_display(struct sbuf *sb);

#endif
