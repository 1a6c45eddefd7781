# Host unit test of the user-space malloc (owned by the user-space helper).
# user/lib/malloc.c is compiled for the host with -DMALLOC_HOST_TEST, so it
# exports only pg_malloc, pg_free, ... and the host libc keeps its malloc.

BUILD ?= build
HOST_USER_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                    -Wall -Wextra -Werror -std=gnu11 -DMALLOC_HOST_TEST -Iuser/lib

$(BUILD)/host/test_malloc: tests/host/test_malloc.c user/lib/malloc.c user/lib/pg_malloc.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_USER_CFLAGS) -o $@ tests/host/test_malloc.c user/lib/malloc.c

HOST_TESTS += $(BUILD)/host/test_malloc
