# Tests: `make test` builds everything, runs the host unit tests, the
# in-QEMU suites (on a copy of the images) and e2fsck through tests/run.py,
# and prints one summary; `make host-test` runs only the host unit tests.
# Included by the top-level Makefile after mkfs/mkfs.mk. See docs/testing.md.

# In-QEMU suites, each /tests/NAME, optionally NAME:SECONDS for its own limit
# (default TEST_TIMEOUT). Every user/tests/*.c that calls tap_plan is a
# suite: the core ones run first, in this order, then the rest by name.
TEST_SUITES_CORE := syscalls files pipes proc mem efault exec oom smp
TEST_SUITES_FOUND := $(sort $(basename $(notdir $(shell grep -lw tap_plan user/tests/*.c 2>/dev/null))))
# persist runs last and across a reboot: write through MAP_SHARED, power
# off, boot the same image, check (tests/run.py run_persist).
# run_shell_exit_status is the runner's own check that a command ending the
# shell gives its status at once (tests/run.py run_shell_exit).
TEST_SUITES_SLOW := cow:400
TEST_SUITES ?= syscalls files pipes proc mem efault exec oom:300 smp:300 \
               $(TEST_SUITES_SLOW) \
               $(filter-out $(TEST_SUITES_CORE) $(basename $(subst :,.,$(TEST_SUITES_SLOW))) persist,$(TEST_SUITES_FOUND)) \
               run_shell_exit_status persist
TEST_TIMEOUT ?= 300
# A suite may declare its own machine in its source, e.g.
#   /* pagoda-test: MEM=64M SWAP=256M CPUS=4 TIMEOUT=600 */
# (tests/run.py boots once per distinct machine). TEST_SETTINGS sets keys
# for every suite over their own, e.g. `make test TEST_SETTINGS=MEM=1G`.
TEST_SETTINGS ?=
TEST_FS     := $(BUILD)/test-fs.img
TEST_SWAP   := $(BUILD)/test-swap.img

# Host unit tests: each tests/host/*.mk fragment appends the paths of its
# test binaries to HOST_TESTS and gives the rules that build them.
HOST_TESTS :=
-include tests/host/*.mk

RUNNER := $(PYTHON) tests/run.py --kernel $(BUILD)/kernel.elf \
          --log-dir $(BUILD)/test-logs --results-dir $(BUILD)/test-results \
          --cpus $(CPUS) --mem $(MEM) --timeout $(TEST_TIMEOUT) \
          --src-dir user/tests $(addprefix --set ,$(TEST_SETTINGS))

# After the suites, the labs' quick check (labs/check.py --quick, see
# labs/README.md): every lab's reference scores graded from this run's
# results, each student tree cut, built, booted and graded on its own lab.
# The last line counts both. `make test LABS_CHECK=` leaves it out, and so
# does a run of chosen suites (TEST_SUITES=...): the grading needs them all.
LABS_CHECK ?= quick
LABS_CHECK_JOBS ?= 2

.PHONY: test host-test

# The suites write to copies, so `make images` or `make qemu` during a run
# harm nothing, and every run starts from the freshly built image. A host
# test that does not build is reported as failing by the runner, so the
# other results still show.
test: setup
	@$(MAKE) --no-print-directory build
	$(if $(HOST_TESTS),-@$(MAKE) --no-print-directory -k $(HOST_TESTS))
	cp $(FS_IMG) $(TEST_FS)
	cp $(SWAP_IMG) $(TEST_SWAP)
	$(RUNNER) --fs $(TEST_FS) --swap $(TEST_SWAP) --e2fsck \
	  --suites $(TEST_SUITES) $(addprefix --host-test ,$(HOST_TESTS))
	$(if $(and $(LABS_CHECK),$(filter-out command line environment,$(origin TEST_SUITES))),$(PYTHON) labs/check.py --quick --jobs $(LABS_CHECK_JOBS) \
	  --test-results $(BUILD)/test-results)

host-test:
	$(if $(HOST_TESTS),-@$(MAKE) --no-print-directory -k $(HOST_TESTS))
	$(PYTHON) tests/run.py --log-dir $(BUILD)/host-test-logs \
	  --results-dir $(BUILD)/host-test-results $(addprefix --host-test ,$(HOST_TESTS))

# `make fuzz SECONDS=600`: a long system-call fuzzing run.
-include tests/fuzz.mk
