/*
 * Virtio over MMIO, version 2 ("modern") devices: the register layout
 * (virtio 1.1 section 4.2.2), device status and feature bits (2.1, 2.2, 6),
 * split virtqueue layout (2.6) and the block device's request format (5.2).
 * All fields are little-endian, which RISC-V is.
 */
#ifndef KERNEL_DEV_VIRTIO_H
#define KERNEL_DEV_VIRTIO_H

#include "kernel/types.h"

/* MMIO registers, byte offsets from the base (4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000   /* "virt" */
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090   /* the available ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0   /* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100   /* device-specific config */

#define VIRTIO_MMIO_MAGIC               0x74726976
#define VIRTIO_MMIO_VERSION_MODERN      2

/* Device IDs (5). 0 means an empty slot. */
#define VIRTIO_ID_NONE                  0
#define VIRTIO_ID_BLOCK                 2

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE       1
#define VIRTIO_STATUS_DRIVER            2
#define VIRTIO_STATUS_DRIVER_OK         4
#define VIRTIO_STATUS_FEATURES_OK       8
#define VIRTIO_STATUS_NEEDS_RESET       64
#define VIRTIO_STATUS_FAILED            128

/* InterruptStatus bits (4.2.2). */
#define VIRTIO_INT_USED_BUFFER          0x1
#define VIRTIO_INT_CONFIG_CHANGE        0x2

/* Feature bits (6, 5.2.3). */
#define VIRTIO_F_VERSION_1              (1ULL << 32)
#define VIRTIO_BLK_F_SEG_MAX            (1ULL << 2)
#define VIRTIO_BLK_F_FLUSH              (1ULL << 9)

/* Split virtqueue (2.6). */
#define VIRTQ_DESC_F_NEXT               1
#define VIRTQ_DESC_F_WRITE              2       /* device writes the buffer */
#define VIRTQ_DESC_ALIGN                16
#define VIRTQ_AVAIL_ALIGN               2
#define VIRTQ_USED_ALIGN                4

struct virtq_desc {
	uint64_t addr;          /* physical */
	uint32_t len;           /* bytes */
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];        /* then uint16_t used_event */
};

struct virtq_used_elem {
	uint32_t id;            /* head descriptor of the chain */
	uint32_t len;           /* bytes the device wrote */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];  /* then uint16_t avail_event */
};

/* Bytes of each part for a queue of num entries (2.6). */
#define VIRTQ_DESC_BYTES(num)   (16UL * (num))
#define VIRTQ_AVAIL_BYTES(num)  (6UL + 2UL * (num))
#define VIRTQ_USED_BYTES(num)   (6UL + 8UL * (num))

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem layout");

/* Block device requests (5.2.6). */
#define VIRTIO_BLK_T_IN                 0       /* read */
#define VIRTIO_BLK_T_OUT                1       /* write */
#define VIRTIO_BLK_T_FLUSH              4
#define VIRTIO_BLK_S_OK                 0
#define VIRTIO_BLK_S_IOERR              1
#define VIRTIO_BLK_S_UNSUPP             2
#define VIRTIO_BLK_CONFIG_CAPACITY      0       /* le64, 512-byte sectors */
#define VIRTIO_BLK_CONFIG_SEG_MAX       12      /* le32, data segments per request */

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "virtio_blk_req header layout");

/* Register access through a kva_map_mmio'ed base. */
static inline uint32_t virtio_mmio_read(vaddr_t base, uint32_t off)
{
	return *(volatile uint32_t *)(base + off);
}

static inline void virtio_mmio_write(vaddr_t base, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(base + off) = val;
}

/* Order ring memory against each other and against register accesses. */
#define virtio_mb()     __sync_synchronize()

/* Probe the virtio-mmio slot at physical base (size bytes of registers,
 * PLIC source irq): if it holds a modern block device, initialize it,
 * register it as the next DEV_BLOCK unit and with the request manager.
 * Returns 0, -ENODEV (empty slot, another device type, or a legacy
 * device), -ENOMEM, or -EIO (the device refused our features or queue). */
int virtio_blk_probe(paddr_t base, uint64_t size, int irq);

#endif
