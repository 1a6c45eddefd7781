# Host unit tests of the page allocator and kmem (kernel/vm/page.c, kmem.c)
# and their /proc text (kernel/fs/procfs_vm.c).
# Included by tests/tests.mk; standalone: make -f tests/host/mem.mk host-test-mem
# Kernel files compile for the host with -Itests/host/shim first, so the
# shim's lock.h, printk.h, string.h and vmparam.h (identity direct map) win.

BUILD ?= build
HOSTCC ?= gcc
MEM_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -Werror -Itests/host/shim -I.
MEM_HOST_DEPS := $(wildcard tests/host/shim/*.c tests/host/shim/*/*.h \
  tests/host/shim/*/*/*.h kernel/*.h kernel/lib/*.h kernel/vm/*.h) \
  tests/host/tap.h tests/host/mem.mk

$(BUILD)/host/test_page: tests/host/test_page.c kernel/vm/page.c kernel/fs/procfs_vm.c \
  tests/host/shim/host_sbuf.c $(MEM_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(MEM_HOST_CFLAGS) -o $@ tests/host/test_page.c kernel/vm/page.c \
	  kernel/fs/procfs_vm.c tests/host/shim/host_sbuf.c

$(BUILD)/host/test_kmem: tests/host/test_kmem.c kernel/vm/kmem.c kernel/vm/page.c \
  kernel/fs/procfs_vm.c tests/host/shim/host_sbuf.c $(MEM_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(MEM_HOST_CFLAGS) -o $@ tests/host/test_kmem.c kernel/vm/kmem.c \
	  kernel/vm/page.c kernel/fs/procfs_vm.c tests/host/shim/host_sbuf.c

HOST_TESTS += $(BUILD)/host/test_page $(BUILD)/host/test_kmem

.PHONY: host-test-mem
host-test-mem: $(BUILD)/host/test_page $(BUILD)/host/test_kmem
	$(BUILD)/host/test_page
	$(BUILD)/host/test_kmem
