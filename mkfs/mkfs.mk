# Disk images: build/fs.img (ext2 root) and build/swap.img (mkswap), built
# by mkfs/mkimage.sh from a staging tree (build/staging). Included by the
# top-level Makefile after user/user.mk (USER_BIN_PROGS, USER_TEST_PROGS).
# `make images EXTRA=dir` also copies dir's files into /extra; `SWAP=256M`
# sizes the swap disk (default 64M; a number of MiB with an M or G suffix).

FS_IMG      := $(BUILD)/fs.img
SWAP_IMG    := $(BUILD)/swap.img
STAGING     := $(BUILD)/staging
MKFS_STAMP  := $(BUILD)/mkfs/config
SWAP_STAMP  := $(BUILD)/mkfs/swap-config
SWAP        ?= 64M

MKFS_INPUTS := mkfs/mkimage.sh mkfs/mke2fs.conf mkfs/mkfs.mk \
               mkfs/files/motd mkfs/files/README.student
EXTRA_DIR   := $(if $(strip $(EXTRA)),$(abspath $(EXTRA)))
EXTRA_FILES := $(if $(EXTRA_DIR),$(shell find $(EXTRA_DIR) -type f 2>/dev/null | sed 's/ /\\ /g'))

# The image's contents depend on which files go in, not only on their
# times: the stamp changes whenever the list or EXTRA does, so dropping
# EXTRA or a program rebuilds the image too.
MKFS_CONFIG := extra=$(EXTRA_DIR) bin=$(sort $(USER_BIN_PROGS)) \
               tests=$(sort $(USER_TEST_PROGS)) files=$(sort $(EXTRA_FILES))

.PHONY: images mkfs-always
images: $(FS_IMG) $(SWAP_IMG)

$(MKFS_STAMP): mkfs-always
	@mkdir -p $(@D)
	@echo '$(MKFS_CONFIG)' | cmp -s - $@ || echo '$(MKFS_CONFIG)' > $@

$(FS_IMG): $(MKFS_STAMP) $(MKFS_INPUTS) $(USER_BIN_PROGS) $(USER_TEST_PROGS) $(EXTRA_FILES)
	BIN_PROGS='$(USER_BIN_PROGS)' TEST_PROGS='$(USER_TEST_PROGS)' \
	EXTRA_DIR='$(EXTRA_DIR)' sh mkfs/mkimage.sh fs $@ $(STAGING)

# The swap image is rebuilt whenever SWAP changes (the stamp holds it).
$(SWAP_STAMP): mkfs-always
	@mkdir -p $(@D)
	@echo 'swap=$(SWAP)' | cmp -s - $@ || echo 'swap=$(SWAP)' > $@

$(SWAP_IMG): $(SWAP_STAMP) mkfs/mkimage.sh
	SWAP_SIZE='$(SWAP)' sh mkfs/mkimage.sh swap $@
