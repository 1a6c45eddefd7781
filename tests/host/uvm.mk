# Host unit test of the user-level virtual memory library (user/lib/uvm.c)
# on Linux, the same cases as the in-QEMU uvm suite (user/tests/uvm.c).
# No AddressSanitizer: the cases catch their own SIGSEGVs. Pagoda's
# headers come after the host's (-idirafter), for pagoda/uvm.h only.

BUILD ?= build
HOSTCC ?= gcc
UVM_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -I. -idirafter user/include

$(BUILD)/host/test_uvm: tests/host/test_uvm.c user/tests/uvm.c user/lib/uvm.c \
  user/include/pagoda/uvm.h tests/host/tap.h tests/host/uvm.mk
	@mkdir -p $(@D)
	$(HOSTCC) $(UVM_HOST_CFLAGS) -o $@ tests/host/test_uvm.c user/lib/uvm.c

HOST_TESTS += $(BUILD)/host/test_uvm
