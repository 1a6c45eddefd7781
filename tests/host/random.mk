# Host unit test of the kernel generator's ChaCha20 block function
# (kernel/dev/random.c) against RFC 8439's test vectors.
# Included by tests/tests.mk; standalone: make -f tests/host/random.mk build/host/test_random

BUILD ?= build
HOSTCC ?= gcc
RANDOM_HOST_CFLAGS := -O1 -g -std=gnu11 -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wall -Wextra -Werror -Itests/host/shim -I. -DRANDOM_HOST_TEST

$(BUILD)/host/test_random: tests/host/test_random.c kernel/dev/random.c kernel/dev/random.h \
		tests/host/tap.h tests/host/random.mk
	@mkdir -p $(@D)
	$(HOSTCC) $(RANDOM_HOST_CFLAGS) -o $@ tests/host/test_random.c kernel/dev/random.c

HOST_TESTS += $(BUILD)/host/test_random
