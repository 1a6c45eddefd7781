# Benchmarks: `make bench` builds the kernel, user programs and images, then
# tools/bench.py boots twice under QEMU -icount (copy-on-write, then the
# kernel command line cow=off), runs /tests/bench, prints one table of guest
# instructions per operation and writes build/bench.json. Included by the
# top-level Makefile after tests/tests.mk. See docs/bench.md.
#
#   make bench                      every benchmark
#   make bench BENCHES="fork_64m"   only these (names: /tests/bench -l)

BENCH_MEM   ?= 256M
BENCHES     ?=
BENCH_JSON  := $(BUILD)/bench.json
BENCH_FS    := $(BUILD)/bench-fs.img
BENCH_SWAP  := $(BUILD)/bench-swap.img

.PHONY: bench
# Each boot runs on fresh copies of the images, so runs repeat exactly and
# `make images` during a run harms nothing.
bench: setup
	@$(MAKE) --no-print-directory build
	$(PYTHON) tools/bench.py --kernel $(BUILD)/kernel.elf \
	  --fs $(FS_IMG) --swap $(SWAP_IMG) \
	  --fs-copy $(BENCH_FS) --swap-copy $(BENCH_SWAP) \
	  --mem $(BENCH_MEM) --json $(BENCH_JSON) $(BENCHES)
