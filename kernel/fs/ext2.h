/*
 * ext2 revision 1 (the "ext2 layout": superblock, block groups, bitmaps,
 * inode table, indirect block maps, linked directory entries). The on-disk
 * structures are little-endian, as is RISC-V. kernel/fs/ext2.c reads and
 * writes them through the buffer cache; the VFS sees only vnode_ops.
 */
#ifndef KERNEL_FS_EXT2_H
#define KERNEL_FS_EXT2_H

#include "kernel/types.h"
#include "kernel/dev/dev.h"

#define EXT2_SUPER_OFFSET   1024        /* bytes from the start of the disk */
#define EXT2_SUPER_SIZE     1024
#define EXT2_MAGIC          0xEF53
#define EXT2_DYNAMIC_REV    1
#define EXT2_ROOT_INO       2
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_NDIR_BLOCKS    12          /* direct pointers in i_block */
#define EXT2_IND_BLOCK      12
#define EXT2_DIND_BLOCK     13
#define EXT2_TIND_BLOCK     14
#define EXT2_N_BLOCKS       15
#define EXT2_NAME_LEN       255
#define EXT2_LINK_MAX       32000
#define EXT2_MIN_BLOCK_SIZE 1024
#define EXT2_MAX_BLOCK_SIZE 4096

/* s_state */
#define EXT2_VALID_FS       1
/* Features we understand. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE      0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR    0x0004
#define EXT2_INCOMPAT_SUPPORTED  EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
				  EXT2_FEATURE_RO_COMPAT_LARGE_FILE |   \
				  EXT2_FEATURE_RO_COMPAT_BTREE_DIR)
/* i_flags */
#define EXT2_INDEX_FL       0x00001000  /* hashed (htree) directory */

/* Directory entry file types (INCOMPAT_FILETYPE). */
#define EXT2_FT_UNKNOWN  0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR      2
#define EXT2_FT_CHRDEV   3
#define EXT2_FT_BLKDEV   4
#define EXT2_FT_FIFO     5
#define EXT2_FT_SOCK     6
#define EXT2_FT_SYMLINK  7

/* The superblock, at byte 1024 (the fields Pagoda uses, then padding). */
struct ext2_super {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;      /* block size = 1024 << this */
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	uint16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t  s_uuid[16];
	char     s_volume_name[16];
	char     s_last_mounted[64];
	uint32_t s_algo_bitmap;
	uint8_t  s_prealloc_blocks;
	uint8_t  s_prealloc_dir_blocks;
	uint16_t s_padding1;
	uint8_t  s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	uint32_t s_hash_seed[4];
	uint8_t  s_def_hash_version;
	uint8_t  s_jnl_backup_type;
	uint16_t s_desc_size;
	uint32_t s_default_mount_opts;
	uint32_t s_first_meta_bg;
	uint8_t  s_rest[EXT2_SUPER_SIZE - 264];
};
_Static_assert(sizeof(struct ext2_super) == EXT2_SUPER_SIZE, "ext2 superblock");
_Static_assert(offsetof(struct ext2_super, s_magic) == 56, "s_magic");
_Static_assert(offsetof(struct ext2_super, s_inode_size) == 88, "s_inode_size");
_Static_assert(offsetof(struct ext2_super, s_uuid) == 104, "s_uuid");
_Static_assert(offsetof(struct ext2_super, s_hash_seed) == 236, "s_hash_seed");

/* A block group descriptor (32 bytes), in the table after the superblock. */
struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_flags;
	uint32_t bg_reserved[3];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32, "ext2 group descriptor");

/* The first 128 bytes of an inode (s_inode_size may be larger). */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;                /* bytes, low 32 bits */
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks;              /* 512-byte units */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high;           /* i_dir_acl in revision 0 */
	uint32_t i_faddr;
	uint8_t  i_osd2[12];
};
_Static_assert(sizeof(struct ext2_inode) == EXT2_GOOD_OLD_INODE_SIZE, "ext2 inode");
_Static_assert(offsetof(struct ext2_inode, i_block) == 40, "i_block");

/* Large inodes: i_extra_isize follows the 128 bytes. */
#define EXT2_EXTRA_ISIZE_OFFSET  128
#define EXT2_EXTRA_ISIZE_DEFAULT 32     /* what mke2fs uses */

/* A directory entry header; the name follows, rec_len covers padding. */
struct ext2_dirent {
	uint32_t inode;                 /* 0: unused entry */
	uint16_t rec_len;               /* bytes to the next entry */
	uint8_t  name_len;
	uint8_t  file_type;             /* EXT2_FT_* */
	char     name[];
};
#define EXT2_DIRENT_HDR   8
#define EXT2_DIRENT_ALIGN 4
#define EXT2_DIRENT_SIZE(namelen) ROUNDUP(EXT2_DIRENT_HDR + (namelen), EXT2_DIRENT_ALIGN)
_Static_assert(sizeof(struct ext2_dirent) == EXT2_DIRENT_HDR, "ext2 dirent");

struct mount;

/* Mount the ext2 file system on disk dev at path ("/" for the root).
 * => process context (reads the disk). Returns 0, -EIO, -EINVAL (not a
 * revision 1 ext2, or an unsupported feature), -ENOMEM. */
int ext2_mount(dev_id_t dev, const char *path);
/* Check the free counts of every group against its bitmaps and the
 * superblock totals; returns 0 or -EIO (tests call it). */
int ext2_check(struct mount *mnt);

#endif
