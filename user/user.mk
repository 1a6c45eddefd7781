# User space build (owned by the user-space helper).
# Included by the top Makefile (BUILD, CROSS, CC, AR exist).  Builds:
#   $(BUILD)/user/lib/crt0.o, $(BUILD)/user/lib/libpagoda.a
#   $(BUILD)/user/bin/<prog>    for every user/bin/<prog>.c   (USER_BIN_PROGS)
#   $(BUILD)/user/tests/<name>  for every user/tests/<name>.c (USER_TEST_PROGS)
#   $(BUILD)/sysroot            (make sysroot): headers, crt0, libpagoda, pagoda-cc
# mkfs stages USER_BIN_PROGS into /bin and USER_TEST_PROGS into /tests.

USER_ARCH    := -march=rv64gc -mabi=lp64d
USER_CFLAGS  := $(USER_ARCH) -O2 -g -Wall -Wextra -Werror -std=gnu11 \
                --specs=picolibc.specs -fno-common \
                -Iuser/include -Iinclude -MMD -MP
# Our crt0 and linker script; libpagoda in one group with libc and libgcc
# so its malloc, signal, fflush, fdopen, ... win over picolibc's.
# --wrap: libpagoda's __wrap_X replaces picolibc's X for every caller, and
# reaches the original as __real_X (user/README.md, "Overriding picolibc").
USER_WRAPS   := -Wl,--wrap=strtod,--wrap=fgetc,--wrap=getc,--wrap=vfprintf
USER_LDFLAGS := $(USER_ARCH) --specs=picolibc.specs -static -nostartfiles \
                -T user/user.ld -Wl,--build-id=none -Wl,-z,noexecstack \
                $(USER_WRAPS)
USER_LIBDIR  := $(BUILD)/user/lib
USER_CRT0    := $(USER_LIBDIR)/crt0.o
USER_LIB     := $(USER_LIBDIR)/libpagoda.a
USER_LIBS    := -Wl,--start-group $(USER_LIB) -lc -lgcc -Wl,--end-group

USER_LIB_SRCS := $(filter-out user/lib/crt0.S,$(sort $(wildcard user/lib/*.c user/lib/*.S)))
USER_LIB_OBJS := $(patsubst user/lib/%,$(USER_LIBDIR)/%.o,$(basename $(USER_LIB_SRCS)))

USER_BIN_SRCS  := $(sort $(wildcard user/bin/*.c))
USER_BIN_PROGS := $(patsubst user/bin/%.c,$(BUILD)/user/bin/%,$(USER_BIN_SRCS))
USER_TEST_SRCS  := $(sort $(wildcard user/tests/*.c))
USER_TEST_PROGS := $(patsubst user/tests/%.c,$(BUILD)/user/tests/%,$(USER_TEST_SRCS))

USER_LINK_DEPS := $(USER_CRT0) $(USER_LIB) user/user.ld user/user.mk

$(USER_LIBDIR)/%.o: user/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@
$(USER_LIBDIR)/%.o: user/lib/%.S
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(USER_LIB): $(USER_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/user/bin/%.o: user/bin/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@
$(BUILD)/user/bin/%: $(BUILD)/user/bin/%.o $(USER_LINK_DEPS)
	$(CC) $(USER_LDFLAGS) -o $@ $(USER_CRT0) $< $(USER_LIBS)

$(BUILD)/user/tests/%.o: user/tests/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iuser/tests -c $< -o $@
$(BUILD)/user/tests/%: $(BUILD)/user/tests/%.o $(USER_LINK_DEPS)
	$(CC) $(USER_LDFLAGS) -o $@ $(USER_CRT0) $< $(USER_LIBS)

# ---------------------------------------------------------------- picolibc's malloc under other names
# /tests/mallocbench compares Pagoda's malloc with picolibc's in one program.
# The nano-malloc members of picolibc's libc.a (for this ABI's multilib
# directory) are linked into one relocatable object, and every symbol they
# define is renamed pico_* (pico_malloc, pico_free, ...), so they sit beside
# libpagoda's malloc without clashing; what they still need (sbrk, memset,
# memcpy, errno, the lock stubs) comes from libpagoda and libc as usual.
PICOLIBC_LIBDIR ?= /usr/lib/picolibc/riscv64-unknown-elf/lib
PICO_MALLOC_LIBC := $(PICOLIBC_LIBDIR)/$(shell $(CC) $(USER_ARCH) -print-multi-directory)/libc.a
PICO_MALLOC_MEMBERS := nano-malloc-malloc.c.o nano-malloc-free.c.o \
                       nano-malloc-realloc.c.o nano-malloc-calloc.c.o
PICO_MALLOC_SYMS := malloc free cfree realloc calloc __malloc_malloc \
                    __malloc_free __malloc_free_list __malloc_grow_chunk \
                    __malloc_sbrk_aligned __malloc_sbrk_start __malloc_sbrk_top
PICO_MALLOC_OBJ := $(BUILD)/user/pico_malloc.o

$(PICO_MALLOC_OBJ): $(PICO_MALLOC_LIBC) user/user.mk
	@mkdir -p $(@D)/pico_malloc
	cd $(@D)/pico_malloc && $(AR) x $(abspath $(PICO_MALLOC_LIBC)) $(PICO_MALLOC_MEMBERS)
	$(CROSS)ld -r -o $@.tmp $(addprefix $(@D)/pico_malloc/,$(PICO_MALLOC_MEMBERS))
	$(OBJCOPY) $(foreach s,$(PICO_MALLOC_SYMS),--redefine-sym $(s)=pico_$(s)) $@.tmp $@
	rm -f $@.tmp

$(BUILD)/user/tests/mallocbench: $(BUILD)/user/tests/mallocbench.o $(PICO_MALLOC_OBJ) $(USER_LINK_DEPS)
	$(CC) $(USER_LDFLAGS) -o $@ $(USER_CRT0) $< $(PICO_MALLOC_OBJ) $(USER_LIBS)

# Keep the objects (they carry the dependency files).
.SECONDARY: $(USER_BIN_PROGS:%=%.o) $(USER_TEST_PROGS:%=%.o)

.PHONY: user user-lib sysroot
user-lib: $(USER_CRT0) $(USER_LIB)
user: $(USER_BIN_PROGS) $(USER_TEST_PROGS)

# ---------------------------------------------------------------- sysroot
# build/sysroot: include/ (our POSIX headers and include/abi, the ABI
# headers the kernel shares), lib/ (crt0.o, libpagoda.a,
# pagoda.ld) and bin/pagoda-cc, a gcc wrapper for outside POSIX programs.
SYSROOT := $(BUILD)/sysroot
USER_HEADERS := $(shell find user/include include/abi -name '*.h' 2>/dev/null)

sysroot: $(SYSROOT)/bin/pagoda-cc
$(SYSROOT)/bin/pagoda-cc: user/pagoda-cc.in $(USER_LINK_DEPS) $(USER_HEADERS)
	@mkdir -p $(SYSROOT)/bin $(SYSROOT)/lib $(SYSROOT)/include
	cp -R user/include/. $(SYSROOT)/include/
	cp -R include/abi $(SYSROOT)/include/
	cp $(USER_CRT0) $(USER_LIB) $(SYSROOT)/lib/
	cp user/user.ld $(SYSROOT)/lib/pagoda.ld
	sed -e 's|@CC@|$(CC)|g' -e 's|@WRAPS@|$(USER_WRAPS)|g' user/pagoda-cc.in > $@
	chmod +x $@

-include $(USER_LIB_OBJS:.o=.d) $(USER_BIN_PROGS:%=%.d) $(USER_TEST_PROGS:%=%.d)
