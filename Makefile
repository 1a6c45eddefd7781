# Pagoda top-level Makefile.
# `make qemu` and `make test` are the only two commands a fresh Debian 12
# machine needs: both first install missing packages, then build.

CPUS  ?= 4
MEM   ?= 256M
EXTRA ?=
CMD   ?=
GDBPORT ?= 26000

BUILD := build
CROSS := riscv64-unknown-elf-
CC    := $(CROSS)gcc
LD    := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
OBJDUMP := $(CROSS)objdump
AR    := $(CROSS)ar
HOSTCC := gcc
PYTHON := python3

PACKAGES := gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc \
            opensbi e2fsprogs gdb-multiarch python3 util-linux

# ---------------------------------------------------------------- set-up
# Install whatever Debian packages are missing (as root, or through sudo).
.PHONY: setup
setup:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  echo "setup: installing$$missing"; \
	  echo "+ $$SUDO apt-get update && $$SUDO apt-get install -y$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

# ---------------------------------------------------------------- kernel
KCFLAGS := -march=rv64imac -mabi=lp64 -misa-spec=2.2 -mcmodel=medany \
           -O2 -g -Wall -Wextra -Werror -std=gnu11 \
           -ffreestanding -fno-common -fno-builtin-printf -nostdlib \
           -fno-omit-frame-pointer -fno-stack-protector -fno-pie \
           -I. -MMD -MP
KLDFLAGS := -nostdlib -no-pie -Wl,--build-id=none -Wl,-T,arch/riscv/kernel.ld

KSRCS := $(sort $(wildcard arch/riscv/*.c arch/riscv/*.S kernel/*.c kernel/*/*.c))
KOBJS := $(patsubst %,$(BUILD)/%.o,$(basename $(KSRCS)))
# x.c and x.S would build the same x.o and one would silently drop out.
ifneq ($(words $(basename $(KSRCS))),$(words $(sort $(basename $(KSRCS)))))
$(error two kernel sources differ only in their suffix: rename one)
endif
LIBGCC := $(shell $(CC) -march=rv64imac -mabi=lp64 -misa-spec=2.2 -print-libgcc-file-name 2>/dev/null)

$(BUILD)/arch/%.o: arch/%.c
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -c $< -o $@
$(BUILD)/arch/%.o: arch/%.S
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@
$(BUILD)/kernel/%.o: kernel/%.c
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -c $< -o $@

# The kernel is linked twice: the second link embeds the table of function
# symbols that panic backtraces print (tools/ksyms.py). Text comes first in
# the image, so adding the table does not move any function.
$(BUILD)/kernel.elf: $(KOBJS) arch/riscv/kernel.ld tools/ksyms.py
	@mkdir -p $(BUILD)
	$(PYTHON) tools/ksyms.py > $(BUILD)/ksyms0.S
	$(CC) $(KCFLAGS) -c $(BUILD)/ksyms0.S -o $(BUILD)/ksyms0.o
	$(CC) $(KCFLAGS) $(KLDFLAGS) -o $(BUILD)/kernel.pass1 $(KOBJS) $(BUILD)/ksyms0.o $(LIBGCC)
	$(PYTHON) tools/ksyms.py $(BUILD)/kernel.pass1 > $(BUILD)/ksyms.S
	$(CC) $(KCFLAGS) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	$(CC) $(KCFLAGS) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.o $(LIBGCC)
	$(OBJDUMP) -d $@ > $(BUILD)/kernel.asm

.PHONY: kernel
kernel: $(BUILD)/kernel.elf

-include $(KOBJS:.o=.d)

# ---------------------------------------------------------------- user
include user/user.mk

# ---------------------------------------------------------------- images
include mkfs/mkfs.mk

# ---------------------------------------------------------------- running
QEMU := qemu-system-riscv64
QEMUOPTS = -machine virt -bios default -kernel $(BUILD)/kernel.elf \
  -m $(MEM) -smp $(CPUS) -nographic -no-reboot \
  -global virtio-mmio.force-legacy=false \
  -drive file=$(BUILD)/fs.img,if=none,format=raw,id=fs \
  -device virtio-blk-device,drive=fs,bus=virtio-mmio-bus.0 \
  -drive file=$(BUILD)/swap.img,if=none,format=raw,id=swap \
  -device virtio-blk-device,drive=swap,bus=virtio-mmio-bus.1

.PHONY: all qemu qemu-gdb run build
all build: setup $(BUILD)/kernel.elf images

qemu: setup
	@$(MAKE) --no-print-directory build
	$(QEMU) $(QEMUOPTS)

qemu-gdb: setup
	@$(MAKE) --no-print-directory build
	@echo "*** Now run: gdb-multiarch -ex 'target remote 127.0.0.1:$(GDBPORT)' $(BUILD)/kernel.elf"
	$(QEMU) $(QEMUOPTS) -S -gdb tcp:127.0.0.1:$(GDBPORT)

# Boot, run one shell command line, print its output, power off, and exit
# with the command's status.
run: setup
	@$(MAKE) --no-print-directory build >/dev/null
	@$(PYTHON) tests/run.py --run "$(CMD)" --cpus $(CPUS) --mem $(MEM)

# Boot to the shell and power off N times (default 500); failures' consoles
# and hart registers go to build/bootloop/. `make bootloop N=500 CPUS=2`
.PHONY: bootloop
bootloop: setup
	@$(MAKE) --no-print-directory build >/dev/null
	$(PYTHON) tools/bootloop.py -n $(or $(N),500) --cpus $(CPUS) --mem $(MEM)

# ---------------------------------------------------------------- tests
include tests/tests.mk
-include tests/bench.mk
include labs/labs.mk

.PHONY: clean
clean:
	rm -rf $(BUILD)
