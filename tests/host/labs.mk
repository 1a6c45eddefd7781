# Host unit tests written for the labs (labs/README.md): malloc's buckets
# (lab malloc). Included by tests/tests.mk; standalone:
#   make -f tests/host/labs.mk build/host/test_malloc_buckets

BUILD ?= build
HOSTCC ?= gcc
LABS_HOST_USER_CFLAGS := -O1 -g -fsanitize=address,undefined \
  -fno-sanitize-recover=all -Wall -Wextra -Werror -std=gnu11 \
  -DMALLOC_HOST_TEST -Iuser/lib -Itests/host

$(BUILD)/host/test_malloc_buckets: tests/host/test_malloc_buckets.c user/lib/malloc.c \
  user/lib/pg_malloc.h tests/host/tap.h tests/host/labs.mk
	@mkdir -p $(@D)
	$(HOSTCC) $(LABS_HOST_USER_CFLAGS) -o $@ tests/host/test_malloc_buckets.c \
	  user/lib/malloc.c

HOST_TESTS += $(BUILD)/host/test_malloc_buckets
