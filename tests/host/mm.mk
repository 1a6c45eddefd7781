# Host unit tests of the mm layer: the VMA tree (kernel/vm/vma.c), amaps
# and anons (kernel/vm/amap.c, anon.c) with their copy-on-write reference
# counts against a model (test_cow), and address spaces with the fault path
# (mspace.c, fault.c over a pmap stub and a memory-object stub), on the real
# page allocator and kmem. Included by tests/tests.mk; standalone:
#   make -f tests/host/mm.mk host-test-mm

BUILD ?= build
HOSTCC ?= gcc
MM_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -Werror -Itests/host/shim -I.
MM_HOST_DEPS := $(wildcard tests/host/shim/*/*.h tests/host/shim/*/*/*.h \
  kernel/*.h kernel/lib/*.h kernel/vm/*.h) tests/host/tap.h tests/host/mm.mk

$(BUILD)/host/test_vma: tests/host/test_vma.c kernel/vm/vma.c $(MM_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(MM_HOST_CFLAGS) -o $@ tests/host/test_vma.c kernel/vm/vma.c

# amaps and anons over the real page allocator and slot allocator (no disk)
MM_ANON_SRCS := kernel/vm/amap.c kernel/vm/anon.c kernel/vm/kmem.c kernel/vm/page.c \
  kernel/vm/swap.c tests/host/shim/host_sbuf.c tests/host/shim/host_nodisk.c \
  tests/host/shim/host_vm.c

$(BUILD)/host/test_amap: tests/host/test_amap.c $(MM_ANON_SRCS) $(MM_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(MM_HOST_CFLAGS) -o $@ tests/host/test_amap.c $(MM_ANON_SRCS)

$(BUILD)/host/test_cow: tests/host/test_cow.c $(MM_ANON_SRCS) $(MM_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(MM_HOST_CFLAGS) -o $@ tests/host/test_cow.c $(MM_ANON_SRCS)

MM_MSPACE_SRCS := kernel/vm/mspace.c kernel/vm/fault.c kernel/vm/vma.c kernel/vm/aobj.c \
  kernel/vm/commit.c kernel/vm/swap.c \
  kernel/vm/amap.c kernel/vm/anon.c kernel/vm/kmem.c kernel/vm/page.c \
  tests/host/shim/host_sbuf.c tests/host/shim/host_nodisk.c tests/host/shim/host_vm.c

$(BUILD)/host/test_mspace: tests/host/test_mspace.c $(MM_MSPACE_SRCS) $(MM_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(MM_HOST_CFLAGS) -o $@ tests/host/test_mspace.c $(MM_MSPACE_SRCS)

HOST_TESTS += $(BUILD)/host/test_vma $(BUILD)/host/test_amap $(BUILD)/host/test_cow \
  $(BUILD)/host/test_mspace

.PHONY: host-test-mm
host-test-mm: $(BUILD)/host/test_vma $(BUILD)/host/test_amap $(BUILD)/host/test_cow \
  $(BUILD)/host/test_mspace
	$(BUILD)/host/test_vma
	$(BUILD)/host/test_amap
	$(BUILD)/host/test_cow
	$(BUILD)/host/test_mspace
