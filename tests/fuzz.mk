# Long fuzzing run: `make fuzz SECONDS=600` boots the kernel on copies of
# the images (CPUS harts, 4 by default), runs /tests/fuzz under leakcheck
# for SECONDS (default 600) with FUZZ_PROCS workers, then e2fsck -fn on the
# disk it wrote. It fails on a failed check, a leak, a panic, a kernel
# warning on the console ("ext2:", "vnode_pager:", "WARN") or an unclean
# disk. FUZZ_SEED=N replays a run (the seed is the "# replay:" line).
# Included by tests/tests.mk. See docs/testing.md.

SECONDS     ?= 600
FUZZ_PROCS  ?= 4
FUZZ_SEED   ?=
FUZZ_FS     := $(BUILD)/fuzz-fs.img
FUZZ_SWAP   := $(BUILD)/fuzz-swap.img
FUZZ_LOG    := $(BUILD)/fuzz.log
FUZZ_CMD     = /tests/leakcheck /tests/fuzz -t $(SECONDS) -p $(FUZZ_PROCS) \
               $(if $(FUZZ_SEED),-s $(FUZZ_SEED))
FUZZ_WARN_RE := ^(\[hart [0-9]+\] )?(ext2:|vnode_pager:|panic|WARN|pages lost)

.PHONY: fuzz
fuzz: setup
	@$(MAKE) --no-print-directory build
	cp $(FS_IMG) $(FUZZ_FS)
	cp $(SWAP_IMG) $(FUZZ_SWAP)
	@echo "fuzz: $(SECONDS) s on $(CPUS) harts: $(FUZZ_CMD)"
	@status=0; \
	$(PYTHON) tests/run.py --kernel $(BUILD)/kernel.elf --fs $(FUZZ_FS) \
	  --swap $(FUZZ_SWAP) --cpus $(CPUS) --mem $(MEM) \
	  --timeout $$(( $(SECONDS) + 300 )) --run '$(FUZZ_CMD)' \
	  > $(FUZZ_LOG) 2>&1 || status=1; \
	cat $(FUZZ_LOG); \
	if grep -Eq '$(FUZZ_WARN_RE)' $(FUZZ_LOG); then \
	  echo "fuzz: kernel warnings on the console:"; \
	  grep -E '$(FUZZ_WARN_RE)' $(FUZZ_LOG) | sort | uniq -c | head -20; status=1; fi; \
	echo "fuzz: e2fsck -fn $(FUZZ_FS)"; \
	e2fsck -fn $(FUZZ_FS) > $(FUZZ_LOG).e2fsck 2>&1 || { tail -20 $(FUZZ_LOG).e2fsck; status=1; }; \
	grep -m1 '# replay:' $(FUZZ_LOG) || true; \
	if [ $$status = 0 ]; then echo "fuzz: passed"; else echo "fuzz: FAILED (log $(FUZZ_LOG))"; fi; \
	exit $$status
