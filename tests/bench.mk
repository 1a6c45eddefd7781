# Benchmarks: `make bench` builds the kernel, user programs and images, then
# tools/bench.py boots twice under QEMU -icount (copy-on-write, then the
# kernel command line cow=off), runs /tests/bench, prints one table of
# guest instructions per operation; then the swap benchmarks
# (/tests/swapbench) on a BENCH_SWAP_MEM machine with a BENCH_SWAP_SIZE
# swap disk: throughput (wall time), major-fault path length (-icount) and
# the replacement trace (clock, vm.policy=fifo, OPT by tools/bench_opt.py).
# Writes build/bench.json. Included by the top-level Makefile after
# tests/tests.mk. See docs/bench.md.
#
#   make bench                      every benchmark
#   make bench BENCHES="fork_64m"   only these (names: /tests/bench -l,
#                                   swap_throughput, majfault, replacement,
#                                   fault_4harts)
#   make bench BENCHES=fault_4harts BENCH_HARTS_QEMU=/path/to/qemu-system-riscv64

BENCH_MEM   ?= 256M
BENCHES     ?=
BENCH_JSON  := $(BUILD)/bench.json
BENCH_FS    := $(BUILD)/bench-fs.img
BENCH_SWAP  := $(BUILD)/bench-swap.img
BENCH_SWAP_MEM  ?= 64M
BENCH_SWAP_SIZE ?= 256M
BENCH_SWAP_CPUS ?= 2
# The QEMU of every boot but fault_4harts's.
BENCH_QEMU  ?= qemu-system-riscv64
# fault_4harts needs a QEMU that runs 4 harts under -icount (>= 8;
# docs/bench.md), which bookworm's 7.2 is not: bench-qemu unpacks the
# backports' under BENCH_BPO_DIR (tools/qemu_backport.sh; nothing is
# installed, `make qemu` and `make test` keep the system's). Empty
# BENCH_HARTS_QEMU: that one if it is there, else BENCH_QEMU (whose rows
# then say why they are skipped).
BENCH_HARTS_QEMU ?=
BENCH_BPO_DIR    := $(BUILD)/qemu-bpo
BENCH_BPO_QEMU   := $(BENCH_BPO_DIR)/qemu-system-riscv64
# bench-qemu runs only when fault_4harts is among the boots and no QEMU
# was named for it.
BENCH_WANT_HARTS := $(if $(BENCHES),$(filter fault_4harts,$(BENCHES)),all)
BENCH_NEED_BPO   := $(if $(BENCH_HARTS_QEMU),,$(BENCH_WANT_HARTS))
# The swap benchmarks' disk, made by mkfs/mkimage.sh like build/swap.img;
# its name carries the size, so changing BENCH_SWAP_SIZE makes a new one.
BENCH_SWAP_BIG  := $(BUILD)/bench-swap-$(BENCH_SWAP_SIZE).img

$(BENCH_SWAP_BIG): mkfs/mkimage.sh
	SWAP_SIZE='$(BENCH_SWAP_SIZE)' sh mkfs/mkimage.sh swap $@

# A failed fetch (no network) is no error: the harts rows are then skipped.
.PHONY: bench-qemu
bench-qemu:
	@test -x $(BENCH_BPO_QEMU) || sh tools/qemu_backport.sh $(BENCH_BPO_DIR) || \
	  echo "bench-qemu: no QEMU >= 8 for fault_4harts; its rows are skipped"

.PHONY: bench
# Each boot runs on fresh copies of the images, so runs repeat exactly and
# `make images` during a run harms nothing.
bench: setup $(if $(BENCH_NEED_BPO),bench-qemu)
	@$(MAKE) --no-print-directory build $(BENCH_SWAP_BIG)
	$(PYTHON) tools/bench.py --kernel $(BUILD)/kernel.elf \
	  --fs $(FS_IMG) --swap $(SWAP_IMG) \
	  --fs-copy $(BENCH_FS) --swap-copy $(BENCH_SWAP) \
	  --mem $(BENCH_MEM) --json $(BENCH_JSON) \
	  --swap-big $(BENCH_SWAP_BIG) --swap-size $(BENCH_SWAP_SIZE) \
	  --swap-mem $(BENCH_SWAP_MEM) --swap-cpus $(BENCH_SWAP_CPUS) \
	  --trace-out $(BUILD)/bench-trace.txt --qemu $(BENCH_QEMU) \
	  --harts-qemu $(or $(BENCH_HARTS_QEMU),$$(test -x $(BENCH_BPO_QEMU) && \
	    echo $(BENCH_BPO_QEMU) || echo $(BENCH_QEMU))) $(BENCHES)

# The sampling profiler (kernel/lib/profile.h, tools/profile.py): boots with
# profile=PROFILE_US under -icount, runs one benchmark of /tests/bench (or
# PROFILE_CMD), prints the top functions, writes build/profile.folded.
#
#   make profile BENCH=zero_fault
#   make profile PROFILE_CMD='/tests/swapbench throughput' PROFILE_WALL=1 \
#        PROFILE_CPUS=2 PROFILE_MEM=64M
BENCH        ?= zero_fault
PROFILE_US   ?= 20
PROFILE_CMD  ?=
PROFILE_WALL ?=
PROFILE_CPUS ?= 1
PROFILE_MEM  ?= $(BENCH_MEM)

.PHONY: profile
profile: setup
	@$(MAKE) --no-print-directory build
	$(PYTHON) tools/profile.py --kernel $(BUILD)/kernel.elf \
	  --fs $(FS_IMG) --swap $(SWAP_IMG) \
	  --fs-copy $(BUILD)/profile-fs.img --swap-copy $(BUILD)/profile-swap.img \
	  --mem $(PROFILE_MEM) --cpus $(PROFILE_CPUS) --period $(PROFILE_US) \
	  --folded $(BUILD)/profile.folded \
	  $(if $(PROFILE_CMD),--cmd '$(PROFILE_CMD)',--bench $(BENCH)) \
	  $(if $(PROFILE_WALL),--wall)
