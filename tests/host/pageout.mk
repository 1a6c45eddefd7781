# Host unit test of the page daemon's clock (kernel/vm/pageout.c): page
# queues, anon page-out to an in-memory swap disk, object page-out through
# a pager, FIFO, swap full, held and busy pages, against a model, under
# ASan/UBSan. Included by tests/tests.mk; standalone:
#   make -f tests/host/pageout.mk host-test-pageout

BUILD ?= build
HOSTCC ?= gcc
PAGEOUT_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -Werror -Itests/host/shim -I.
PAGEOUT_HOST_DEPS := $(wildcard tests/host/shim/*/*.h tests/host/shim/*/*/*.h \
  kernel/*.h kernel/lib/*.h kernel/proc/*.h kernel/vm/*.h) tests/host/tap.h \
  tests/host/pageout.mk
PAGEOUT_HOST_SRCS := kernel/vm/pageout.c kernel/vm/page.c kernel/vm/swap.c kernel/vm/object.c \
  kernel/vm/anon.c kernel/vm/kmem.c tests/host/shim/host_sbuf.c \
  tests/host/shim/host_nodisk.c tests/host/shim/host_vm.c

$(BUILD)/host/test_pageout: tests/host/test_pageout.c $(PAGEOUT_HOST_SRCS) \
  $(PAGEOUT_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOSTCC) $(PAGEOUT_HOST_CFLAGS) -o $@ tests/host/test_pageout.c \
	  $(PAGEOUT_HOST_SRCS)

HOST_TESTS += $(BUILD)/host/test_pageout

.PHONY: host-test-pageout
host-test-pageout: $(BUILD)/host/test_pageout
	$(BUILD)/host/test_pageout
