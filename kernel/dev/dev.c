/*
 * Device registry: every device found in the DTB gets a kind and a unit
 * number (1..16 within its kind). dev_init registers the RAM ranges, reads
 * the RTC and probes the virtio-mmio slots; other drivers register their
 * own devices.
 */
#include "kernel/dev/dev.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/rtc.h"
#include "kernel/dev/virtio.h"
#include "kernel/dtb.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/sbuf.h"
#include "kernel/lib/string.h"

#define DEV_MAX          64     /* devices of all kinds */
#define VIRTIO_MMIO_MAX  16     /* virtio-mmio slots probed */
#define DEV_UNIT_MARK    '#'    /* replaced by the unit number in a name */

/*
 * Locking: (d) dev_lock. Entries are filled once and never removed, so a
 * struct device pointer stays valid and its (c) fields may be read freely.
 */
static struct spinlock dev_lock = SPINLOCK_INIT("dev");
static struct device devices[DEV_MAX];  /* (d) [0, ndevices) in use */
static int ndevices;                    /* (d) */
static uint8_t nunits[DEV_NKINDS];      /* (d) units given out per kind */

static const char *const kind_names[DEV_NKINDS] = {
	[DEV_NONE] = "none",
	[DEV_MEMORY] = "memory",
	[DEV_BLOCK] = "block",
	[DEV_CONSOLE] = "console",
	[DEV_TIMER] = "timer",
	[DEV_INTC] = "intc",
};

const char *dev_kind_name(enum dev_kind kind)
{
	if (kind >= DEV_NKINDS || kind_names[kind] == NULL)
		return "?";
	return kind_names[kind];
}

/* Copy name into d->name, the unit number in place of a trailing '#'. */
static void dev_set_name(struct device *d, const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == DEV_UNIT_MARK)
		snprintf(d->name, sizeof(d->name), "%.*s%u", (int)(len - 1), name,
			 (unsigned)DEV_ID_UNIT(d->id));
	else
		strlcpy(d->name, name, sizeof(d->name));
}

/* See dev.h. Any context that may take a spinlock. */
struct device *dev_register(enum dev_kind kind, const char *name,
			    paddr_t base, uint64_t size, int irq)
{
	struct device *d = NULL;

	KASSERT(kind > DEV_NONE && kind < DEV_NKINDS, "bad kind %d", kind);
	spin_lock(&dev_lock);
	if (ndevices < DEV_MAX && nunits[kind] < DEV_MAX_UNITS) {
		d = &devices[ndevices];
		d->id = DEV_ID(kind, ++nunits[kind]);
		dev_set_name(d, name);
		d->base = base;
		d->size = size;
		d->irq = irq;
		d->priv = NULL;
		ndevices++;
	}
	spin_unlock(&dev_lock);
	if (d == NULL)
		printk("dev: no room for %s %s\n", dev_kind_name(kind), name);
	return d;
}

/* The device with this ID, or NULL. */
struct device *dev_find(dev_id_t id)
{
	struct device *d = NULL;

	spin_lock(&dev_lock);
	for (int i = 0; i < ndevices; i++) {
		if (devices[i].id == id) {
			d = &devices[i];
			break;
		}
	}
	spin_unlock(&dev_lock);
	return d;
}

/* Device i in registration order, or NULL past the end. */
struct device *dev_get(int i)
{
	struct device *d = NULL;

	spin_lock(&dev_lock);
	if (i >= 0 && i < ndevices)
		d = &devices[i];
	spin_unlock(&dev_lock);
	return d;
}

/* /proc/devices. Returns 0 or -ENOMEM. */
int dev_display(struct sbuf *sb)
{
	struct device *d;

	for (int i = 0; (d = dev_get(i)) != NULL; i++)
		sbuf_printf(sb, "%-8s %2u %-16s 0x%010lx %12lu %3d\n",
			    dev_kind_name(DEV_ID_KIND(d->id)),
			    (unsigned)DEV_ID_UNIT(d->id), d->name,
			    (unsigned long)d->base, (unsigned long)d->size, d->irq);
	return sbuf_error(sb);
}

/* A DEV_MEMORY device for every reg range of every memory node. */
static void dev_find_memory(void)
{
	uint64_t addr, size;
	int node = -1;

	while ((node = dtb_next_node(node, NULL)) >= 0) {
		const char *type = dtb_prop(node, "device_type", NULL);

		if (type == NULL || strcmp(type, "memory") != 0 || !dtb_status_okay(node))
			continue;
		for (int i = 0; dtb_reg(node, i, &addr, &size); i++)
			dev_register(DEV_MEMORY, "memory#", addr, size, 0);
	}
}

struct mmio_slot {
	paddr_t base;
	uint64_t size;
	int irq;
};

/* Sort slots by base address (insertion sort; there are a handful). */
static void mmio_sort(struct mmio_slot *s, int n)
{
	for (int i = 1; i < n; i++) {
		struct mmio_slot key = s[i];
		int j = i - 1;

		while (j >= 0 && s[j].base > key.base) {
			s[j + 1] = s[j];
			j--;
		}
		s[j + 1] = key;
	}
}

/* Probe every "virtio,mmio" node, lowest base address first, so slot 0 of
 * QEMU virt becomes the first block unit whatever the DTB's node order. */
static void dev_probe_virtio(void)
{
	struct mmio_slot slots[VIRTIO_MMIO_MAX];
	int n = 0;

	for (int node = dtb_find_compatible(-1, "virtio,mmio");
	     node >= 0 && n < VIRTIO_MMIO_MAX;
	     node = dtb_find_compatible(node, "virtio,mmio")) {
		if (!dtb_status_okay(node) ||
		    !dtb_reg(node, 0, &slots[n].base, &slots[n].size))
			continue;
		slots[n].irq = (int)dtb_prop_u32(node, "interrupts", 0);
		n++;
	}
	mmio_sort(slots, n);
	for (int i = 0; i < n; i++)
		virtio_blk_probe(slots[i].base, slots[i].size, slots[i].irq);
}

void dev_init(void)
{
	dev_find_memory();
	rtc_init();
	blk_init();
	dev_probe_virtio();
}
