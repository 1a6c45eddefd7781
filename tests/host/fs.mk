# Host unit test of ext2, the buffer cache and the page cache
# (kernel/fs/ext2.c, bcache.c, uio.c, vnode_pager.c, kernel/vm/object.c)
# against a disk image made by mke2fs -d; the test checks the image with
# e2fsck -fn after writing to it; test_ext2_inject makes every error path
# fail in turn. Frames come from the host heap (the
# shim's identity direct map). Owned by the page-cache helper.
# Standalone: make -f tests/host/fs.mk $(BUILD)/host/test_ext2

BUILD ?= build
HOSTCC ?= gcc
FS_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -Werror -Itests/host/shim -I.
FS_HOST_SRCS := kernel/fs/ext2.c kernel/fs/bcache.c kernel/fs/uio.c \
  kernel/fs/vnode_pager.c kernel/vm/object.c
FS_HOST_DEPS := $(FS_HOST_SRCS) $(wildcard kernel/fs/*.h tests/host/shim/*/*.h \
  tests/host/shim/*/*/*.h kernel/*.h kernel/lib/*.h kernel/dev/*.h kernel/vm/*.h) \
  tests/host/tap.h tests/host/fs.mk

FS_HOST_HARNESS := tests/host/test_ext2_harness.c tests/host/shim/host_vm.c
FS_HOST_DEPS += $(FS_HOST_HARNESS) tests/host/test_ext2_harness.h

$(BUILD)/host/test_ext2: tests/host/test_ext2.c $(FS_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(FS_HOST_CFLAGS) -o $@ tests/host/test_ext2.c $(FS_HOST_HARNESS) $(FS_HOST_SRCS)

# Fault injection: every error path of write, create, truncate, rename and
# unlink fails in turn (EIO, ENOSPC, EFAULT), e2fsck -fn after each.
$(BUILD)/host/test_ext2_inject: tests/host/test_ext2_inject.c $(FS_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(FS_HOST_CFLAGS) -o $@ tests/host/test_ext2_inject.c $(FS_HOST_HARNESS) $(FS_HOST_SRCS)

HOST_TESTS += $(BUILD)/host/test_ext2 $(BUILD)/host/test_ext2_inject
