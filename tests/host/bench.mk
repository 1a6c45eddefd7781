# Host unit test of the replacement benchmark's tool (tools/bench_opt.py):
# Belady's OPT and FIFO against known answers and an exhaustive search,
# the trace generator, and the file's doctests, as TAP. Python 3 standard
# library only. Owned by the benchmark helper; see docs/bench.md.
# Standalone: make -f tests/host/bench.mk build/host/test_bench_opt

BUILD ?= build
PYTHON ?= python3

# The runner executes each HOST_TESTS path: a two-line script runs the tool.
$(BUILD)/host/test_bench_opt: tools/bench_opt.py tests/host/bench.mk
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec %s %s --self-test\n' '$(PYTHON)' \
	  '$(abspath tools/bench_opt.py)' > $@
	chmod +x $@

HOST_TESTS += $(BUILD)/host/test_bench_opt
