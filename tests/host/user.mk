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

# libpagoda's pure overrides of picolibc (printf's double conversions,
# strtod, floor/ceil) against the host's glibc.  math.c's floor/ceil get
# other names so the test can call glibc's too.
HOST_LIBC_SRCS := user/lib/printf.c user/lib/strtod.c user/lib/math.c
$(BUILD)/host/test_libc: tests/host/test_libc.c $(HOST_LIBC_SRCS)
	@mkdir -p $(@D)
	$(HOSTCC) $(filter-out -DMALLOC_HOST_TEST,$(HOST_USER_CFLAGS)) -fno-builtin \
	  -Dfloor=pg_host_floor -Dceil=pg_host_ceil -c user/lib/math.c -o $@.math.o
	$(HOSTCC) $(filter-out -DMALLOC_HOST_TEST,$(HOST_USER_CFLAGS)) -o $@ \
	  tests/host/test_libc.c user/lib/printf.c user/lib/strtod.c $@.math.o -lm

HOST_TESTS += $(BUILD)/host/test_libc
