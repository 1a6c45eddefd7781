# Tests: `make test` builds everything, runs the host unit tests, the
# in-QEMU suites (on a copy of the images) and e2fsck through tests/run.py,
# and prints one summary; `make host-test` runs only the host unit tests.
# Included by the top-level Makefile after mkfs/mkfs.mk. See docs/testing.md.

# In-QEMU suites, each /tests/NAME, optionally NAME:SECONDS for its own limit.
TEST_SUITES ?= syscalls files pipes proc mem efault exec oom:300 smp:300
TEST_TIMEOUT ?= 180
TEST_FS     := $(BUILD)/test-fs.img
TEST_SWAP   := $(BUILD)/test-swap.img

# Host unit tests: each tests/host/*.mk fragment appends the paths of its
# test binaries to HOST_TESTS and gives the rules that build them.
HOST_TESTS :=
-include tests/host/*.mk

RUNNER := $(PYTHON) tests/run.py --kernel $(BUILD)/kernel.elf \
          --cpus $(CPUS) --mem $(MEM) --timeout $(TEST_TIMEOUT)

.PHONY: test host-test

# The suites write to copies, so `make images` or `make qemu` during a run
# harm nothing, and every run starts from the freshly built image.
test: setup
	@$(MAKE) --no-print-directory build $(HOST_TESTS)
	cp $(FS_IMG) $(TEST_FS)
	cp $(SWAP_IMG) $(TEST_SWAP)
	$(RUNNER) --fs $(TEST_FS) --swap $(TEST_SWAP) --e2fsck \
	  --suites $(TEST_SUITES) $(addprefix --host-test ,$(HOST_TESTS))

host-test: $(HOST_TESTS)
	$(PYTHON) tests/run.py --log-dir $(BUILD)/host-test-logs \
	  --results-dir $(BUILD)/host-test-results $(addprefix --host-test ,$(HOST_TESTS))
