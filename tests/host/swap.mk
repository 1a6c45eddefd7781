# Host unit test of the swap layer (kernel/vm/swap.c): mkswap header
# parsing, swap_init over a stub disk holding an image made by util-linux's
# mkswap, and the slot allocator against a model, under ASan/UBSan.
# Included by tests/tests.mk; standalone:
#   make -f tests/host/swap.mk host-test-swap

BUILD ?= build
HOSTCC ?= gcc
SWAP_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -Werror -Itests/host/shim -I.
SWAP_HOST_DEPS := $(wildcard tests/host/shim/*/*.h tests/host/shim/*/*/*.h \
  kernel/*.h kernel/lib/*.h kernel/dev/*.h kernel/vm/*.h) tests/host/tap.h \
  tests/host/swap.mk
SWAP_TEST_IMG := $(abspath $(BUILD)/host/test_swap.img)

# A 1 MiB swap area with a label, as mkimage.sh makes the real one.
$(SWAP_TEST_IMG): tests/host/swap.mk
	@mkdir -p $(@D)
	rm -f $@.tmp
	dd if=/dev/zero of=$@.tmp bs=1M count=1 2>/dev/null
	chmod 0600 $@.tmp
	mkswap -L host-test $@.tmp >/dev/null
	mv -f $@.tmp $@

$(BUILD)/host/test_swap: tests/host/test_swap.c kernel/vm/swap.c tests/host/shim/host_vm.c \
  tests/host/shim/host_sbuf.c $(SWAP_TEST_IMG) $(SWAP_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(SWAP_HOST_CFLAGS) -DSWAP_TEST_IMG='"$(SWAP_TEST_IMG)"' -o $@ \
	  tests/host/test_swap.c kernel/vm/swap.c tests/host/shim/host_sbuf.c \
	  tests/host/shim/host_vm.c

HOST_TESTS += $(BUILD)/host/test_swap

.PHONY: host-test-swap
host-test-swap: $(BUILD)/host/test_swap
	$(BUILD)/host/test_swap
