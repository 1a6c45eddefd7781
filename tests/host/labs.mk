# Host unit tests written for the labs (labs/README.md): the Sv39 pmap
# (lab pgtbl), malloc's buckets (lab malloc) and the lab tools. Included by
# tests/tests.mk; standalone: make -f tests/host/labs.mk build/host/test_pmap

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

# The Sv39 pmap (lab pgtbl) over the real page allocator and kmem; the
# shims replace the CSRs, fences, cpu_self and the kernel image's bounds.
$(BUILD)/host/test_pmap: tests/host/test_pmap.c arch/riscv/pmap.c kernel/vm/page.c \
  kernel/vm/kmem.c tests/host/shim/host_sbuf.c $(wildcard tests/host/shim/*/*.h \
  tests/host/shim/*/*/*.h arch/riscv/*.h kernel/*.h kernel/lib/*.h kernel/vm/*.h) \
  tests/host/tap.h tests/host/labs.mk
	@mkdir -p $(@D)
	$(HOSTCC) -O1 -g -std=gnu11 -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer -Wall -Wextra -Werror -Itests/host/shim -I. -o $@ \
	  tests/host/test_pmap.c arch/riscv/pmap.c kernel/vm/page.c kernel/vm/kmem.c \
	  tests/host/shim/host_sbuf.c

HOST_TESTS += $(BUILD)/host/test_pmap

# The lab tools themselves (labs/cut.py, labs/grade.py): Python, nothing to
# build.
HOST_TESTS += tests/host/test_labs.py
