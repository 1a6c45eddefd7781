#!/usr/bin/env python3
"""Host test of the lab tools (labs/cut.py, labs/grade.py): marker
parsing and its errors with file:line, the cut text of each kind of region,
a student tree cut from a scratch reference (stubs in, markers out, the
LAB file, the manifest and the grader's copies), the grader's comparison
of test files, its scoring of assertions picked by regex, requires, and
its results.json. Prints TAP; standard library only. Run by
`make host-test` (tests/host/labs.mk). The real cutting and grading of
every lab is `make labs-check`.
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "labs"))
import cut    # noqa: E402  (labs/cut.py)
import grade  # noqa: E402  (labs/grade.py)
from taplib import ok, plan  # noqa: E402  (tests/host/taplib.py)




def error_of(text, known=("buddy", "slab")):
    try:
        cut.parse_regions("f.c", text, list(known))
    except cut.MarkerError as err:
        return str(err)
    return None


REF = """int a(void)
{
\t/* LAB buddy: begin */
\treturn 1;
\t/* LAB buddy: end */
\t/* LAB buddy: stub
\treturn -38;  // ENOSYS
\t*/
}
int b(void)
{
\t/* LAB slab: begin */
\treturn 2;
\t/* LAB slab: end */
}
"""


def test_parse():
    regions = cut.parse_regions("f.c", REF, ["buddy", "slab"])
    ok([r[0] for r in regions] == ["buddy", "slab"] and
       regions[0][3] == ["\treturn -38;  // ENOSYS"] and regions[1][3] == [],
       "two regions parsed, one with its stub", regions)
    e = error_of("/* LAB buddy: begin */\nx\n")
    ok(e is not None and e.startswith("f.c:1:") and "never ended" in e,
       "an unended region is an error at its line", e)
    e = error_of("x\n/* LAB buddy: end */\n")
    ok(e is not None and e.startswith("f.c:2:"),
       "an end without a begin is an error at its line", e)
    e = error_of("/* LAB cow: begin */\n/* LAB cow: end */\n")
    ok(e is not None and "unknown lab 'cow'" in e and e.startswith("f.c:1:"),
       "an unknown lab is an error", e)
    e = error_of("/* LAB buddy: begin */\n/* LAB slab: begin */\n")
    ok(e is not None and e.startswith("f.c:2:"),
       "regions do not nest", e)
    e = error_of("/* LAB buddy: begin */\n/* LAB buddy: end */\n"
                 "/* LAB buddy: stub\nx */\n")
    ok(e is not None and "must close" in e and e.startswith("f.c:4:"),
       "a stub must close with a line of its own", e)
    e = error_of("x = 1; /* LAB buddy: begin */\n/* LAB buddy: end */\n")
    ok(e is not None and "alone" in e, "a marker must be alone on its line", e)


def test_cut_text():
    regions = cut.parse_regions("f.c", REF, ["buddy", "slab"])
    student = cut.cut_text(REF, regions, ["buddy"])
    ok("return -38;" in student and "return 1;" not in student and
       "return 2;" in student and "LAB" not in student,
       "cutting buddy: its stub in, slab's code kept, no marker left",
       student)
    both = cut.cut_text(REF, regions, ["buddy", "slab"])
    ok("return 2;" not in both and "return -38;" in both,
       "cutting both: slab's region without a stub is gone", both)
    none = cut.cut_text(REF, regions, [])
    ok("return 1;" in none and "return 2;" in none and "-38" not in none and
       "LAB" not in none, "cutting nothing: the reference without markers",
       none)


def make_reference(root):
    os.makedirs(os.path.join(root, "labs", "buddy", "hidden"))
    os.makedirs(os.path.join(root, "labs", "slab"))
    os.makedirs(os.path.join(root, "kernel"))
    os.makedirs(os.path.join(root, "tests", "host"))
    with open(os.path.join(root, "labs", "labs.json"), "w") as f:
        json.dump({"labs": [{"name": "buddy"}, {"name": "slab"}]}, f)
    for lab in ("buddy", "slab"):
        with open(os.path.join(root, "labs", lab, "lab.json"), "w") as f:
            json.dump({"name": lab, "tests": [
                {"name": "t1", "host": "test_x", "points": 5,
                 "match": ["^alpha"]},
                {"name": "t2", "host": "test_x", "points": 5,
                 "requires": ["t1"]}]}, f)
    with open(os.path.join(root, "labs", "buddy", "hidden", "h.c"), "w") as f:
        f.write("hidden\n")
    with open(os.path.join(root, "kernel", "k.c"), "w") as f:
        f.write(REF)
    with open(os.path.join(root, "tests", "host", "test_x.c"), "w") as f:
        f.write("test\n")


def test_tree():
    tmp = tempfile.mkdtemp(prefix="test_labs-")
    try:
        ref, out = os.path.join(tmp, "ref"), os.path.join(tmp, "student")
        make_reference(ref)
        marked = cut.scan(ref, ["buddy", "slab"])
        cut.write_tree(ref, out, ["buddy"], marked)
        with open(os.path.join(out, "kernel", "k.c")) as f:
            text = f.read()
        ok("return -38;" in text and "return 2;" in text and "LAB" not in text,
           "the student tree has the stub and no markers", text)
        with open(os.path.join(out, "LAB")) as f:
            ok(f.read() == "buddy\n", "LAB names the cut lab")
        ok(not os.path.exists(os.path.join(out, "labs", "buddy", "hidden")),
           "hidden tests stay out of the student tree")
        with open(os.path.join(out, "labs", "manifest.json")) as f:
            files = json.load(f)["files"]
        ok("tests/host/test_x.c" in files and "labs/buddy/lab.json" in files
           and "kernel/k.c" not in files,
           "the manifest lists the test files only", sorted(files))
        ok(os.path.exists(os.path.join(out, "labs", ".grader", "tests",
                                       "host", "test_x.c")),
           "the grader's copies are in labs/.grader")
        ok(grade.compare_tests(out, out) == [],
           "an untouched student tree matches its manifest")
        with open(os.path.join(out, "tests", "host", "test_x.c"), "a") as f:
            f.write("// passes now\n")
        notes = grade.compare_tests(out, out)
        ok(notes == ["differs from the reference: tests/host/test_x.c"],
           "an edited test file is reported against the manifest", notes)
        notes = grade.compare_tests(out, os.path.join(out, "labs", ".grader"))
        ok("differs from the reference: tests/host/test_x.c" in notes,
           "and against the grader's copies", notes)
        work = grade.grading_tree(out, os.path.join(out, "labs", ".grader"),
                                  os.path.join(tmp, "work"), notes)
        with open(os.path.join(work, "tests", "host", "test_x.c")) as f:
            ok(work != out and f.read() == "test\n",
               "grading builds a copy with the grader's test file back")
    finally:
        shutil.rmtree(tmp)


class FakeAssert:
    def __init__(self, ok_, num, desc):
        self.ok, self.num, self.desc, self.diag = ok_, num, desc, ""


class FakeSuite:
    def __init__(self, asserts, problems=()):
        self.asserts = asserts
        self.problems = list(problems)
        self.console = ""
        self.seconds = 0.0

    def ok(self):
        return not self.problems and all(a.ok for a in self.asserts)

    def summary(self):
        return "%d asserts" % len(self.asserts)


def test_scoring():
    spec = lambda **kw: dict({"name": "t", "host": "test_x", "points": 10},
                             **kw)
    units = {"host:test_x": FakeSuite([FakeAssert(True, 1, "alpha one"),
                                       FakeAssert(False, 2, "beta two"),
                                       FakeAssert(True, 3, "gamma")])}
    t = grade.Test("buddy", spec(match=["^alpha", "^gamma"]))
    grade.score_test(t, units)
    ok(t.score == 10, "picked assertions that pass score the points")
    t = grade.Test("buddy", spec(match=["^alpha", "^beta"]))
    grade.score_test(t, units)
    ok(t.score == 0 and "not ok 2 - beta two" in t.output,
       "a failing picked assertion scores nothing and is shown", t.output)
    t = grade.Test("buddy", spec(match=["^delta"]))
    grade.score_test(t, units)
    ok(t.score == 0 and "missing" in t.output,
       "an expression that matches nothing scores nothing", t.output)
    t = grade.Test("buddy", spec())
    grade.score_test(t, units)
    ok(t.score == 0, "without match the whole binary must pass")
    a = grade.Test("buddy", spec(name="a", match=["^beta"]))
    b = grade.Test("buddy", spec(name="b", match=["^alpha"], requires=["a"]))
    for x in (a, b):
        grade.score_test(x, units)
    grade.apply_requires([a, b])
    ok(a.score == 0 and b.score == 0 and "needs full marks" in b.output,
       "requires: a passing test scores nothing before the one it needs")
    tmp = tempfile.mkdtemp(prefix="test_labs-")
    try:
        b.score = 10
        grade.write_outputs(tmp, [a, b], ["a note"], ["buddy"])
        with open(os.path.join(tmp, "results.json")) as f:
            doc = json.load(f)
        ok(doc["score"] == 10 and [t["max_score"] for t in doc["tests"]] ==
           [10, 10] and all({"name", "score", "max_score", "output",
                             "visibility"} <= set(t) for t in doc["tests"]),
           "results.json has Gradescope's fields and the total", doc)
        ok(os.path.exists(os.path.join(tmp, "logs", "buddy-a.log")) and
           not os.path.exists(os.path.join(tmp, "logs", "buddy-b.log")),
           "a log is kept for the failing test only")
    finally:
        shutil.rmtree(tmp)


TAP = """TAP version 13
1..3
# Subtest: mem
    1..2
    ok 1 - demand zero
    not ok 2 - split
ok 1 - mem
# Subtest: mem-leak
    1..1
    ok 1 - nothing leaked
ok 2 - mem-leak
# Subtest: host:test_x
    # cannot run (did it build?)
not ok 3 - host:test_x
"""


def test_from_tap():
    """make test's results.tap stands for running the reference again
    (labs/check.py --quick --test-results)."""
    tmp = tempfile.mkdtemp(prefix="test_labs-")
    try:
        path = os.path.join(tmp, "results.tap")
        with open(path, "w") as f:
            f.write(TAP)
        run = grade.load_runner(os.path.join(HERE, "..", ".."))
        units = grade.units_from_tap(run, path)
        ok(sorted(units) == ["host:test_x", "mem", "mem-leak"] and
           [a.ok for a in units["mem"].asserts] == [True, False] and
           units["mem-leak"].ok(),
           "results.tap of make test: every unit and assertion read back",
           sorted(units))
        t = grade.Test("vma", {"name": "t", "suite": "mem", "points": 5,
                               "match": ["^demand zero"]})
        grade.score_test(t, units)
        x = grade.Test("vma", {"name": "x", "host": "test_x", "points": 5})
        grade.score_test(x, units)
        ok(t.score == 5 and x.score == 0,
           "scored from it: a picked passing assertion scores, a failed "
           "unit without assertions does not")
    finally:
        shutil.rmtree(tmp)


def main():
    test_parse()
    test_cut_text()
    test_tree()
    test_scoring()
    test_from_tap()
    return plan()


if __name__ == "__main__":
    sys.exit(main())
