# Labs (labs/README.md): grading, the autograder, and the check that every
# lab is cut right. Included by the top-level Makefile.
#   make grade             in a student tree: grade the lab(s) its LAB names
#   make grade LAB=buddy   in the reference tree: grade one lab
#   make autograder LAB=x  build/autograder-x.zip for Gradescope
#   make labs-check        every lab: reference full, skeleton builds, boots,
#                          scores its floor, leaves the other labs full
#   make labs-check LABS=cow,swap   only those labs' trees (no whole-course tree)
#   make labs-check JOBS=2          trees checked two at a time

.PHONY: grade autograder labs-check
grade: setup
	$(PYTHON) labs/grade.py $(if $(LAB),--lab $(LAB)) --cpus $(CPUS) --mem $(MEM)

autograder:
	@test -n "$(LAB)" || { echo "make autograder LAB=name (labs: $$($(PYTHON) labs/cut.py --list | tr '\n' ' '))"; exit 1; }
	rm -rf $(BUILD)/autograder/$(LAB)
	$(PYTHON) labs/cut.py $(LAB) --out $(BUILD)/autograder/$(LAB) \
	  --autograder $(BUILD)/autograder-$(LAB).zip

labs-check: setup
	@$(MAKE) --no-print-directory build >/dev/null
	$(PYTHON) labs/cut.py --check
	$(PYTHON) labs/check.py $(if $(LABS),--labs $(LABS) --no-sequence) \
	  $(if $(JOBS),--jobs $(JOBS))
