/*
 * The virtio-blk driver for modern (version 2) virtio-mmio devices: one
 * split virtqueue, a chain of header, one descriptor per data segment and
 * status per request (virtio 1.1 5.2.6), several requests in flight,
 * interrupt driven. It serves the request manager (blk.c) and is reached
 * only through blk_driver_ops and its interrupt handler.
 */
#include "kernel/dev/virtio.h"
#include "kernel/dev/blk.h"
#include "kernel/dev/dev.h"
#include "kernel/errno.h"
#include "kernel/lock.h"
#include "kernel/lib/printk.h"
#include "kernel/vm/kmem.h"
#include "kernel/vm/kva.h"
#include "kernel/vm/page.h"
#include "arch/riscv/intr.h"

#define VBLK_QUEUE          0           /* the request queue (5.2.2) */
#define VBLK_QUEUE_SIZE     256         /* most descriptors we ask for */
#define VBLK_DESC_FIXED     2           /* header and status */
/* Fewest descriptors we accept: header, one data segment, status. */
#define VBLK_DESC_MIN       (VBLK_DESC_FIXED + 1)
#define VBLK_STATUS_NONE    0xff        /* not yet written by the device */

/* The ring page: descriptor table, available ring, used ring, then the
 * request headers and status bytes the descriptors point at (one of each
 * per possible head descriptor), all device-visible. */
#define VBLK_DESC_OFF       0UL
#define VBLK_AVAIL_OFF      ROUNDUP(VBLK_DESC_OFF + VIRTQ_DESC_BYTES(VBLK_QUEUE_SIZE), \
				    VIRTQ_AVAIL_ALIGN)
#define VBLK_USED_OFF       ROUNDUP(VBLK_AVAIL_OFF + VIRTQ_AVAIL_BYTES(VBLK_QUEUE_SIZE), \
				    VIRTQ_USED_ALIGN)
#define VBLK_HDR_OFF        ROUNDUP(VBLK_USED_OFF + VIRTQ_USED_BYTES(VBLK_QUEUE_SIZE), \
				    sizeof(struct virtio_blk_req_hdr))
#define VBLK_STATUS_OFF     (VBLK_HDR_OFF + VBLK_QUEUE_SIZE * sizeof(struct virtio_blk_req_hdr))
#define VBLK_RING_END       (VBLK_STATUS_OFF + VBLK_QUEUE_SIZE)
#define VBLK_RING_ORDER     2           /* 2^2 pages hold VBLK_RING_END bytes */

_Static_assert(VBLK_RING_END <= (PAGE_SIZE << VBLK_RING_ORDER),
	       "virtqueue and request buffers fit the ring block");
_Static_assert((VBLK_QUEUE_SIZE & (VBLK_QUEUE_SIZE - 1)) == 0,
	       "queue size a power of 2 (2.6: ring indices wrap at 2^16)");
_Static_assert(VBLK_QUEUE_SIZE >= VBLK_DESC_FIXED + BLK_MAX_SEGS,
	       "a request of BLK_MAX_SEGS segments fits an empty queue");

/*
 * One disk.
 * Locking: (v) lock; (c) set at probe; the device writes used ring entries
 * and status bytes, read after used->idx moves.
 * Invariants: nfree descriptors are chained from free_head through next;
 *   req[h] != NULL iff h heads a chain the device owns.
 */
struct vblk {
	struct spinlock lock;
	struct device *dev;                     /* (c) */
	vaddr_t regs;                           /* (c) MMIO registers */
	uint16_t num;                           /* (c) queue size, a power of 2 */
	unsigned max_segs;                      /* (c) data segments per request */
	bool has_flush;                         /* (c) VIRTIO_BLK_F_FLUSH */
	bool has_seg_max;                       /* (c) VIRTIO_BLK_F_SEG_MAX */
	uint64_t capacity;                      /* (c) sectors */
	struct vm_page *ring_pg;                /* (c) 2^VBLK_RING_ORDER pages */
	paddr_t ring_pa;                        /* (c) */
	struct virtq_desc *desc;                /* (v) */
	struct virtq_avail *avail;              /* (v) */
	struct virtq_used *used;                /* (v) */
	struct virtio_blk_req_hdr *hdr;         /* (v) hdr[h] for head h */
	volatile uint8_t *status;               /* (v) status[h] for head h */
	uint16_t free_head, nfree;              /* (v) */
	uint16_t last_used;                     /* (v) used ring entries consumed */
	struct blk_request *req[VBLK_QUEUE_SIZE]; /* (v) */
};

static uint32_t vblk_read(struct vblk *vb, uint32_t off)
{
	return virtio_mmio_read(vb->regs, off);
}

static void vblk_write(struct vblk *vb, uint32_t off, uint32_t val)
{
	virtio_mmio_write(vb->regs, off, val);
}

static void vblk_set_status(struct vblk *vb, uint32_t bits)
{
	vblk_write(vb, VIRTIO_MMIO_STATUS, vblk_read(vb, VIRTIO_MMIO_STATUS) | bits);
}

/* ---------------------------------------------------------------- setup */

/*
 * Reset the device and negotiate features (3.1.1 steps 1-6, 4.2.3.1):
 * VIRTIO_F_VERSION_1 is required; VIRTIO_BLK_F_FLUSH and
 * VIRTIO_BLK_F_SEG_MAX are taken if offered; nothing else. Returns 0, or -EIO if the device lacks VERSION_1 or
 * refuses FEATURES_OK.
 */
static int vblk_negotiate(struct vblk *vb)
{
	uint64_t offered, wanted;

	vblk_write(vb, VIRTIO_MMIO_STATUS, 0);
	vblk_set_status(vb, VIRTIO_STATUS_ACKNOWLEDGE);
	vblk_set_status(vb, VIRTIO_STATUS_DRIVER);
	vblk_write(vb, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)vblk_read(vb, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vblk_write(vb, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered |= vblk_read(vb, VIRTIO_MMIO_DEVICE_FEATURES);
	if (!(offered & VIRTIO_F_VERSION_1))
		return -EIO;
	wanted = VIRTIO_F_VERSION_1 | (offered & (VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX));
	vblk_write(vb, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vblk_write(vb, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)wanted);
	vblk_write(vb, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vblk_write(vb, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(wanted >> 32));
	vblk_set_status(vb, VIRTIO_STATUS_FEATURES_OK);
	if (!(vblk_read(vb, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return -EIO;
	vb->has_flush = (wanted & VIRTIO_BLK_F_FLUSH) != 0;
	vb->has_seg_max = (wanted & VIRTIO_BLK_F_SEG_MAX) != 0;
	return 0;
}

/* Point the ring pointers into the zeroed ring page and chain every
 * descriptor onto the free list. */
static void vblk_ring_layout(struct vblk *vb)
{
	char *ring = PA_TO_KVA(vb->ring_pa);

	vb->desc = (struct virtq_desc *)(ring + VBLK_DESC_OFF);
	vb->avail = (struct virtq_avail *)(ring + VBLK_AVAIL_OFF);
	vb->used = (struct virtq_used *)(ring + VBLK_USED_OFF);
	vb->hdr = (struct virtio_blk_req_hdr *)(ring + VBLK_HDR_OFF);
	vb->status = (volatile uint8_t *)(ring + VBLK_STATUS_OFF);
	for (uint16_t i = 0; i < vb->num; i++)
		vb->desc[i].next = i + 1;
	vb->free_head = 0;
	vb->nfree = vb->num;
	vb->last_used = 0;
}

static void vblk_write_addr(struct vblk *vb, uint32_t low_reg, paddr_t pa)
{
	vblk_write(vb, low_reg, (uint32_t)pa);
	vblk_write(vb, low_reg + sizeof(uint32_t), (uint32_t)(pa >> 32));
}

/* The largest power of 2 that is at most n (n > 0). */
static uint32_t pow2_floor(uint32_t n)
{
	uint32_t p = 1;

	while (p <= n / 2)
		p *= 2;
	return p;
}

/* Set up queue 0 (4.2.3.2): size (the device's QueueNumMax, at most
 * VBLK_QUEUE_SIZE, rounded down to a power of 2 as 2.6 requires), ring
 * addresses, ready. Returns 0, -EIO (queue missing, too small or already
 * live) or -ENOMEM. */
static int vblk_setup_queue(struct vblk *vb)
{
	uint32_t max;

	vblk_write(vb, VIRTIO_MMIO_QUEUE_SEL, VBLK_QUEUE);
	if (vblk_read(vb, VIRTIO_MMIO_QUEUE_READY) != 0)
		return -EIO;
	max = vblk_read(vb, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max < VBLK_DESC_MIN)
		return -EIO;
	vb->num = (uint16_t)pow2_floor(MIN(max, (uint32_t)VBLK_QUEUE_SIZE));
	if (vb->num < VBLK_DESC_MIN)
		return -EIO;
	vb->ring_pg = vm_page_alloc(VBLK_RING_ORDER, VM_ZONE_ANY, VM_ALLOC_ZERO);
	if (vb->ring_pg == NULL)
		return -ENOMEM;
	vb->ring_pa = vm_page_to_pa(vb->ring_pg);
	vblk_ring_layout(vb);
	vblk_write(vb, VIRTIO_MMIO_QUEUE_NUM, vb->num);
	vblk_write_addr(vb, VIRTIO_MMIO_QUEUE_DESC_LOW, vb->ring_pa + VBLK_DESC_OFF);
	vblk_write_addr(vb, VIRTIO_MMIO_QUEUE_DRIVER_LOW, vb->ring_pa + VBLK_AVAIL_OFF);
	vblk_write_addr(vb, VIRTIO_MMIO_QUEUE_DEVICE_LOW, vb->ring_pa + VBLK_USED_OFF);
	vblk_write(vb, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

/* Capacity in 512-byte sectors from config space, read twice as two
 * 32-bit halves until the config generation is stable (2.4.1, 5.2.4). */
static uint64_t vblk_read_capacity(struct vblk *vb)
{
	uint32_t gen, lo, hi;

	do {
		gen = vblk_read(vb, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = vblk_read(vb, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CONFIG_CAPACITY);
		hi = vblk_read(vb, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CONFIG_CAPACITY +
			       sizeof(uint32_t));
	} while (gen != vblk_read(vb, VIRTIO_MMIO_CONFIG_GENERATION));
	return ((uint64_t)hi << 32) | lo;
}

/* Data segments one request may have: BLK_MAX_SEGS, less if the queue
 * cannot hold header + segments + status, or the device's seg_max
 * (5.2.4, when VIRTIO_BLK_F_SEG_MAX was negotiated) is smaller. */
static unsigned vblk_max_segs(struct vblk *vb)
{
	unsigned n = MIN((unsigned)BLK_MAX_SEGS, (unsigned)vb->num - VBLK_DESC_FIXED);

	if (vb->has_seg_max) {
		uint32_t seg_max = vblk_read(vb, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CONFIG_SEG_MAX);

		if (seg_max > 0)
			n = MIN(n, (unsigned)seg_max);
	}
	return n;
}

/* ---------------------------------------------------------------- requests */

/* Take a descriptor off the free list. => vb->lock held, nfree > 0. */
static uint16_t vq_desc_alloc(struct vblk *vb)
{
	uint16_t d = vb->free_head;

	vb->free_head = vb->desc[d].next;
	vb->nfree--;
	return d;
}

/* Put the chain starting at head back on the free list. => vb->lock held. */
static void vq_chain_free(struct vblk *vb, uint16_t head)
{
	uint16_t d = head;

	for (;;) {
		struct virtq_desc *desc = &vb->desc[d];
		bool more = desc->flags & VIRTQ_DESC_F_NEXT;
		uint16_t next = desc->next;

		desc->addr = 0;
		desc->len = 0;
		desc->flags = 0;
		desc->next = vb->free_head;
		vb->free_head = d;
		vb->nfree++;
		if (!more)
			break;
		d = next;
	}
}

static void vq_desc_set(struct vblk *vb, uint16_t d, paddr_t pa, uint32_t len,
			uint16_t flags, uint16_t next)
{
	vb->desc[d].addr = pa;
	vb->desc[d].len = len;
	vb->desc[d].flags = flags;
	vb->desc[d].next = next;
}

/* Offer the chain at head to the device and notify it (2.6.13).
 * => vb->lock held. */
static void vq_publish(struct vblk *vb, uint16_t head)
{
	vb->avail->ring[vb->avail->idx % vb->num] = head;
	virtio_mb();
	vb->avail->idx++;
	virtio_mb();
	vblk_write(vb, VIRTIO_MMIO_QUEUE_NOTIFY, VBLK_QUEUE);
}

static uint32_t vblk_type(enum blk_op op)
{
	return op == BLK_READ ? VIRTIO_BLK_T_IN :
	       op == BLK_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH;
}

/* Data segments of req: its segment list, or its one buffer. */
static unsigned vblk_nsegs(const struct blk_request *req)
{
	return req->op == BLK_FLUSH ? 0 : req->nsegs > 0 ? req->nsegs : 1;
}

/* Chain the data descriptors of req after prev (a device-readable buffer
 * for a write, device-writable for a read); returns the last one.
 * => vb->lock held, vblk_nsegs(req) descriptors free. */
static uint16_t vblk_chain_data(struct vblk *vb, struct blk_request *req, uint16_t prev)
{
	uint16_t flags = VIRTQ_DESC_F_NEXT | (req->op == BLK_READ ? VIRTQ_DESC_F_WRITE : 0);
	unsigned n = vblk_nsegs(req);

	for (unsigned i = 0; i < n; i++) {
		void *buf = req->nsegs > 0 ? req->segs[i].buf : req->buf;
		size_t len = req->nsegs > 0 ? req->segs[i].len : req->len;
		uint16_t d = vq_desc_alloc(vb);

		vq_desc_set(vb, d, KVA_TO_PA(buf), (uint32_t)len, flags, 0);
		vb->desc[prev].next = d;
		prev = d;
	}
	return prev;
}

/*
 * blk_driver_ops.start: build the chain header -> data segments -> status
 * (header -> status for a flush) for req and hand it to the device
 * (5.2.6). => blk_lock held. Returns 0, -EAGAIN if the queue lacks free
 * descriptors now, -EINVAL if req has more segments than the queue can
 * ever hold (blk_submit already refuses those), or BLK_START_DONE for a
 * flush the device does not need (no FLUSH feature: every completed write
 * is already durable).
 */
static int vblk_start(struct device *dev, struct blk_request *req)
{
	struct vblk *vb = dev->priv;
	unsigned need = VBLK_DESC_FIXED + vblk_nsegs(req);
	uint16_t head, last, status_desc;

	if (req->op == BLK_FLUSH && !vb->has_flush)
		return BLK_START_DONE;
	if (vblk_nsegs(req) > vb->max_segs)
		return -EINVAL;
	spin_lock(&vb->lock);
	if (vb->nfree < need) {
		spin_unlock(&vb->lock);
		return -EAGAIN;
	}
	head = vq_desc_alloc(vb);
	vb->hdr[head] = (struct virtio_blk_req_hdr){ vblk_type(req->op), 0, req->sector };
	vb->status[head] = VBLK_STATUS_NONE;
	vb->req[head] = req;
	vq_desc_set(vb, head, vb->ring_pa + VBLK_HDR_OFF + head * sizeof(*vb->hdr),
		    sizeof(*vb->hdr), VIRTQ_DESC_F_NEXT, 0);
	last = vblk_chain_data(vb, req, head);
	status_desc = vq_desc_alloc(vb);
	vq_desc_set(vb, status_desc, vb->ring_pa + VBLK_STATUS_OFF + head, 1,
		    VIRTQ_DESC_F_WRITE, 0);
	vb->desc[last].next = status_desc;
	vq_publish(vb, head);
	spin_unlock(&vb->lock);
	return 0;
}

static const struct blk_driver_ops vblk_ops = {
	.start = vblk_start,
};

/* Take one finished request off the used ring: *req and its *status.
 * Returns false if the ring has none. => vb->lock held. */
static bool vblk_reap_one(struct vblk *vb, struct blk_request **req, int *status)
{
	struct virtq_used_elem *e;
	uint32_t head;

	if (vb->last_used == *(volatile uint16_t *)&vb->used->idx)
		return false;
	virtio_mb();
	e = &vb->used->ring[vb->last_used % vb->num];
	head = e->id;
	KASSERT(head < vb->num && vb->req[head] != NULL,
		"%s: used id %u not in flight", vb->dev->name, head);
	*req = vb->req[head];
	*status = vb->status[head] == VIRTIO_BLK_S_OK ? 0 : -EIO;
	vb->req[head] = NULL;
	vq_chain_free(vb, (uint16_t)head);
	vb->last_used++;
	return true;
}

/* The interrupt handler: acknowledge (4.2.2 InterruptACK), then reap the
 * used ring one request at a time, completing each with our lock
 * released (blk_complete starts queued requests, which takes it). A
 * request the device finishes after the acknowledgement and after our
 * last look raises a new interrupt. */
static void vblk_intr(void *arg)
{
	struct vblk *vb = arg;
	struct blk_request *req;
	uint32_t isr;
	int status;
	bool got;

	spin_lock(&vb->lock);
	isr = vblk_read(vb, VIRTIO_MMIO_INTERRUPT_STATUS);
	vblk_write(vb, VIRTIO_MMIO_INTERRUPT_ACK,
		   isr & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE));
	virtio_mb();
	spin_unlock(&vb->lock);
	for (;;) {
		spin_lock(&vb->lock);
		got = vblk_reap_one(vb, &req, &status);
		spin_unlock(&vb->lock);
		if (!got)
			break;
		blk_complete(req, status, status == 0 ? req->len : 0);
	}
}

/* ---------------------------------------------------------------- probe */

/* Check the slot's identity. Returns 0 for a modern block device, else
 * -ENODEV (and says why unless the slot is simply empty). */
static int vblk_identify(vaddr_t regs, paddr_t base)
{
	uint32_t magic = virtio_mmio_read(regs, VIRTIO_MMIO_MAGIC_VALUE);
	uint32_t version = virtio_mmio_read(regs, VIRTIO_MMIO_VERSION);
	uint32_t id = virtio_mmio_read(regs, VIRTIO_MMIO_DEVICE_ID);

	if (magic != VIRTIO_MMIO_MAGIC || id == VIRTIO_ID_NONE)
		return -ENODEV;
	if (id != VIRTIO_ID_BLOCK)
		return -ENODEV;
	if (version != VIRTIO_MMIO_VERSION_MODERN) {
		printk("virtio-blk at 0x%lx: version %u device, need 2 (QEMU: "
		       "-global virtio-mmio.force-legacy=false)\n",
		       (unsigned long)base, version);
		return -ENODEV;
	}
	return 0;
}

/* Make vb a live disk: device ID, interrupt, request manager (3.1.1 step 8). */
static int vblk_attach(struct vblk *vb, paddr_t base, uint64_t size, int irq)
{
	vb->dev = dev_register(DEV_BLOCK, "virtio-blk#", base, size, irq);
	if (vb->dev == NULL)
		return -ENOMEM;
	vb->dev->priv = vb;
	intr_register(irq, vblk_intr, vb);
	vblk_set_status(vb, VIRTIO_STATUS_DRIVER_OK);
	vb->max_segs = vblk_max_segs(vb);
	if (blk_register(vb->dev, &vblk_ops, vb->capacity, vb->max_segs) != 0)
		panic("vblk_attach: %s registered twice", vb->dev->name);
	printk("%s: %lu sectors (%lu MiB) at 0x%lx irq %d, %u descriptors, "
	       "%u segments%s\n",
	       vb->dev->name, (unsigned long)vb->capacity,
	       (unsigned long)(vb->capacity * BLK_SECTOR_SIZE >> 20),
	       (unsigned long)base, irq, vb->num, vb->max_segs,
	       vb->has_flush ? ", flush" : "");
	return 0;
}

int virtio_blk_probe(paddr_t base, uint64_t size, int irq)
{
	vaddr_t regs = kva_map_mmio(base, size);
	struct vblk *vb;
	int rc;

	if (regs == 0)
		return -ENOMEM;
	rc = vblk_identify(regs, base);
	if (rc != 0)
		return rc;
	vb = kzalloc(sizeof(*vb));
	if (vb == NULL)
		return -ENOMEM;
	spin_init(&vb->lock, "virtio-blk");
	vb->regs = regs;
	rc = vblk_negotiate(vb);
	if (rc == 0)
		rc = vblk_setup_queue(vb);
	if (rc == 0) {
		vb->capacity = vblk_read_capacity(vb);
		rc = vblk_attach(vb, base, size, irq);
	}
	if (rc == 0)
		return 0;
	printk("virtio-blk at 0x%lx: setup failed (%d)\n", (unsigned long)base, rc);
	vblk_set_status(vb, VIRTIO_STATUS_FAILED);
	if (vb->ring_pg != NULL)
		vm_page_free(vb->ring_pg, VBLK_RING_ORDER);
	kfree(vb);
	return rc;
}
