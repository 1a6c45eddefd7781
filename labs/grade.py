#!/usr/bin/env python3
"""Grade a lab (Python 3 standard library only).

    labs/grade.py [--lab LAB ...] [--tree DIR] [--ref DIR] [--out DIR]

Builds the kernel, images and host tests from the student's sources (the
tree, default the current directory) and runs the lab's tests, each with
its points and its own time limit, as labs/LAB/lab.json lists them. The
tests come from the grader's own copies (--ref, default labs/.grader of
the tree when cut.py made one, else the tree itself): a test file of the
tree that differs from the grader's copy is reported, and the build then
happens in a copy of the tree with the grader's test files put back.

In-QEMU suites and host binaries run through tests/run.py (the runner of
`make test`). Results go to DIR (default build/grade under the tree):
score table on stdout, results.tap, junit.xml, Gradescope's results.json,
and logs/TEST.log with the console of every failing test. The exit status
is 0 only on full marks. With several --lab, every test runs once and each
lab is scored apart (labs/check.py uses this); --json FILE writes each
lab's score and maximum.

See labs/README.md.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

TEST_DIRS = ("tests", "user/tests")
TEST_FILES = ("labs/grade.py", "labs/labs.json")
TEST_SKIP = ("tests/host/README.md",)
BOOT_TIMEOUT = 60.0                 # seconds for the skeleton's boot check


# ---------------------------------------------------------------- test files

def is_test_file(path):
    """True for the files that define tests (the grader's copies win)."""
    if path in TEST_SKIP or "__pycache__" in path:
        return False
    if path in TEST_FILES or re.match(r"labs/[^/]+/lab\.json$", path):
        return True
    return any(path.startswith(d + "/") for d in TEST_DIRS)


def list_test_files(root):
    found = []
    for top in TEST_DIRS + ("labs",):
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames
                           if d not in (".grader", "__pycache__", "hidden")]
            for n in filenames:
                rel = os.path.relpath(os.path.join(dirpath, n), root)
                if is_test_file(rel):
                    found.append(rel)
    return sorted(set(found))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def compare_tests(tree, ref):
    """Lines naming each test file of tree that differs from ref's."""
    notes = []
    if os.path.realpath(tree) == os.path.realpath(ref):
        manifest = os.path.join(tree, "labs", "manifest.json")
        if not os.path.exists(manifest):
            return notes
        with open(manifest) as f:
            files = json.load(f)["files"]
        for path, digest in sorted(files.items()):
            p = os.path.join(tree, path)
            if not os.path.exists(p):
                notes.append("missing: %s" % path)
            elif sha256(p) != digest:
                notes.append("differs from the reference: %s" % path)
        return notes
    ref_files = list_test_files(ref)
    for path in ref_files:
        p = os.path.join(tree, path)
        if not os.path.exists(p):
            notes.append("missing: %s" % path)
        elif sha256(p) != sha256(os.path.join(ref, path)):
            notes.append("differs from the reference: %s" % path)
    for path in list_test_files(tree):
        if path not in ref_files:
            notes.append("not in the reference (removed for grading): %s"
                         % path)
    return notes


def has_hidden(ref):
    labs_dir = os.path.join(ref, "labs")
    return os.path.isdir(labs_dir) and any(
        os.path.isdir(os.path.join(labs_dir, l, "hidden"))
        for l in os.listdir(labs_dir))


def grading_tree(tree, ref, work, notes):
    """The directory to build in: the tree itself when its test files are
    the grader's and there are no hidden tests, else a copy at work with
    the grader's test files put back and the hidden ones added."""
    if not notes and not has_hidden(ref):
        return tree
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "build"))
    for path in list_test_files(work):
        if not os.path.exists(os.path.join(ref, path)):
            os.remove(os.path.join(work, path))
    for path in list_test_files(ref):
        dst = os.path.join(work, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(ref, path), dst)
    add_hidden(ref, work)
    return work


def add_hidden(ref, work):
    """Copy each lab's hidden tests (labs/LAB/hidden/, the same layout as
    the tree) from the grader's tree into the build tree."""
    labs_dir = os.path.join(ref, "labs")
    if not os.path.isdir(labs_dir):
        return
    for lab in os.listdir(labs_dir):
        hidden = os.path.join(labs_dir, lab, "hidden")
        for dirpath, _, filenames in os.walk(hidden):
            for n in filenames:
                src = os.path.join(dirpath, n)
                if os.path.relpath(src, hidden) == "hidden.json":
                    continue
                dst = os.path.join(work, os.path.relpath(src, hidden))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(src, dst)


# ---------------------------------------------------------------- labs

class Test:
    """One graded line of a lab: a suite or host binary (or some of its
    assertions) with points and a time limit."""

    def __init__(self, lab, spec):
        self.lab = lab
        self.name = spec["name"]
        self.points = float(spec["points"])
        self.timeout = float(spec.get("timeout", 120))
        self.host = spec.get("host")
        self.suite = spec.get("suite")
        self.match = [re.compile(m) for m in spec.get("match", [])]
        self.leak = bool(spec.get("leak", False))
        self.visibility = spec.get("visibility", "visible")
        self.requires = spec.get("requires", [])
        if bool(self.host) == bool(self.suite):
            raise ValueError("lab %s, test %r: give one of host, suite"
                             % (lab, self.name))
        self.score = 0.0
        self.output = ""
        self.console = ""
        self.seconds = 0.0

    def unit(self):
        return "host:" + self.host if self.host else self.suite


def load_lab(ref, name):
    path = os.path.join(ref, "labs", name, "lab.json")
    with open(path) as f:
        doc = json.load(f)
    specs = list(doc["tests"])
    hidden = os.path.join(ref, "labs", name, "hidden", "hidden.json")
    if os.path.exists(hidden):          # tests the students do not see
        with open(hidden) as f:
            for t in json.load(f)["tests"]:
                t.setdefault("visibility", "after_published")
                specs.append(t)
    tests = [Test(name, t) for t in specs]
    return doc, tests


def lab_names(ref):
    with open(os.path.join(ref, "labs", "labs.json")) as f:
        return [l["name"] for l in json.load(f)["labs"]]


# ---------------------------------------------------------------- running

def load_runner(tree):
    spec = importlib.util.spec_from_file_location(
        "pagoda_run", os.path.join(tree, "tests", "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make(tree, targets, log):
    """Run make in tree; True if it succeeded. Output goes to log."""
    with open(log, "a") as f:
        f.write("$ make %s\n" % " ".join(targets))
        f.flush()
        proc = subprocess.run(["make", "-C", tree, "--no-print-directory",
                               "-j%d" % (os.cpu_count() or 1)] + targets,
                              stdout=f, stderr=subprocess.STDOUT)
    return proc.returncode == 0


def run_units(run, tree, out, tests, args):
    """Run every suite and host binary the tests name, once each; returns
    {unit name: run.Suite} (suites also give NAME-leak)."""
    results = []
    build = os.path.join(tree, "build")
    host = {}
    suites = {}
    for t in tests:
        if t.host:
            host[t.host] = max(host.get(t.host, 0), t.timeout)
        else:
            suites[t.suite] = max(suites.get(t.suite, 0), t.timeout)
    buildlog = os.path.join(out, "build.log")
    for name, limit in sorted(host.items()):
        path = os.path.join(build, "host", name)
        if not make(tree, ["build/host/" + name], buildlog) and \
                os.path.exists(path):
            os.remove(path)        # a stale binary must not stand in
        run.run_host_test(path, results, timeout=limit)
    if suites:
        fs = os.path.join(out, "fs.img")
        swap = os.path.join(out, "swap.img")
        shutil.copyfile(os.path.join(build, "fs.img"), fs)
        shutil.copyfile(os.path.join(build, "swap.img"), swap)
        rargs = run.parse_args([
            "--kernel", os.path.join(build, "kernel.elf"), "--fs", fs,
            "--swap", swap, "--cpus", args.cpus, "--mem", args.mem,
            "--src-dir", os.path.join(tree, "user", "tests"),
            "--budget", str(sum(suites.values()) + 60)])
        specs = ["%s:%d" % (n, s) for n, s in suites.items()]
        run.run_suites(rargs, specs, results)
        os.remove(fs)
        os.remove(swap)
    return {s.name: s for s in results}


def units_from_tap(run, path):
    """{unit name: run.Suite} from the TAP file tests/run.py writes
    (build/test-results/results.tap of `make test`): one subtest per suite,
    leak check and host test, with every assertion. labs/check.py grades
    the reference from it instead of running everything again."""
    units = {}
    cur, lines = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"# Subtest: (.*)$", line)
            if m:
                cur, lines = run.Suite(m.group(1), "tap"), []
                continue
            if cur is None:
                continue
            if line.startswith("    "):
                lines.append(line[4:])
                continue
            m = re.match(r"(not )?ok \d+ - (.*)$", line)
            if m and m.group(2) == cur.name:
                run.parse_tap(cur, lines, need_plan=False)
                if m.group(1) and cur.ok():
                    cur.problems.append("failed in make test")
                units[cur.name] = cur
                cur = None
    return units


def score_test(t, units):
    """Fill t.score and t.output from the runner's results."""
    s = units.get(t.unit())
    if s is None:
        t.output = "not run"
        return
    t.seconds = s.seconds
    t.console = s.console
    if t.match:
        picked = [a for a in s.asserts if any(m.search(a.desc)
                                              for m in t.match)]
        want = len(t.match)
        found = [m.pattern for m in t.match
                 if any(m.search(a.desc) for a in s.asserts)]
        ok = len(found) == want and all(a.ok for a in picked)
        lines = ["%sok %s - %s" % ("" if a.ok else "not ", a.num, a.desc)
                 + ("\n" + a.diag.rstrip() if a.diag and not a.ok else "")
                 for a in picked]
        lines += ["missing: no assertion matches %r" % m.pattern
                  for m in t.match if m.pattern not in found]
        if s.problems and not ok:
            lines += ["(%s)" % p for p in s.problems]
    else:
        ok = s.ok()
        lines = [s.summary()]
        if t.leak:
            leak = units.get(t.suite + "-leak")
            ok = ok and leak is not None and leak.ok()
            lines.append("leak check: %s" % (leak.summary() if leak
                                             else "not run"))
    t.score = t.points if ok else 0.0
    t.output = "\n".join(lines)


def apply_requires(tests):
    """A test that requires others scores only when they scored full: a
    skeleton's stub may pass a test that checks the kernel still works,
    but earns nothing for it until the lab's own code does."""
    full = {(t.lab, t.name): t.score == t.points for t in tests}
    for t in tests:
        missing = [r for r in t.requires if not full.get((t.lab, r), False)]
        if missing and t.score > 0:
            t.score = 0.0
            t.output += "\nnot scored: needs full marks on %s first" % (
                ", ".join(repr(r) for r in missing))


# ---------------------------------------------------------------- output

def write_outputs(out, tests, notes, labs):
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    for t in tests:
        if t.score < t.points:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", "%s-%s" % (t.lab, t.name))
            with open(os.path.join(out, "logs", name + ".log"), "w") as f:
                f.write("# %s (lab %s): %g/%g\n%s\n--- console ---\n%s"
                        % (t.name, t.lab, t.score, t.points, t.output,
                           t.console))
    tap = ["TAP version 13", "1..%d" % len(tests)]
    for i, t in enumerate(tests, 1):
        tap.append("%sok %d - %s: %s (%g/%g)" % (
            "" if t.score == t.points else "not ", i, t.lab, t.name,
            t.score, t.points))
        tap += ["# " + l for l in t.output.split("\n") if l]
    tap += ["# " + n for n in notes]
    with open(os.path.join(out, "results.tap"), "w") as f:
        f.write("\n".join(tap) + "\n")
    root = ET.Element("testsuites")
    for lab in labs:
        mine = [t for t in tests if t.lab == lab]
        ts = ET.SubElement(root, "testsuite", name="lab " + lab,
                           tests=str(len(mine)),
                           failures=str(sum(t.score < t.points for t in mine)),
                           time="%.3f" % sum(t.seconds for t in mine))
        for t in mine:
            tc = ET.SubElement(ts, "testcase", classname=lab, name=t.name,
                               time="%.3f" % t.seconds)
            if t.score < t.points:
                ET.SubElement(tc, "failure", message="%g/%g points" % (
                    t.score, t.points)).text = t.output
    ET.ElementTree(root).write(os.path.join(out, "junit.xml"),
                               encoding="utf-8", xml_declaration=True)
    doc = {
        "score": sum(t.score for t in tests),
        "output": "\n".join(notes) if notes else
                  "Test files are the reference's.",
        "tests": [{"name": "%s: %s" % (t.lab, t.name), "score": t.score,
                   "max_score": t.points, "output": t.output,
                   "visibility": t.visibility} for t in tests],
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def print_table(tests, notes, labs):
    width = max([len(t.name) for t in tests] + [20])
    for lab in labs:
        mine = [t for t in tests if t.lab == lab]
        print("lab %s" % lab)
        for t in mine:
            print("  %-*s %5g/%-5g %s (%.1f s)" % (
                width, t.name, t.score, t.points,
                "ok" if t.score == t.points else "FAIL", t.seconds))
        print("  %-*s %5g/%-5g" % (width, "total", sum(t.score for t in mine),
                                   sum(t.points for t in mine)))
    for n in notes:
        print("note: " + n)


# ---------------------------------------------------------------- main

def read_lab_file(tree):
    path = os.path.join(tree, "LAB")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lab", action="append", default=[],
                   help="lab to grade (repeatable; default: the tree's LAB "
                        "file); 'all' grades every lab")
    p.add_argument("--tree", default=".", help="the student's tree")
    p.add_argument("--ref", help="the grader's tree of test files")
    p.add_argument("--out", help="results directory (default "
                                 "TREE/build/grade)")
    p.add_argument("--cpus", default="2")
    p.add_argument("--mem", default="256M")
    p.add_argument("--json", help="write each lab's score and maximum here")
    p.add_argument("--work", help="where to build when the tree's test files "
                                  "must be replaced (default OUT/tree)")
    p.add_argument("--host-only", action="store_true",
                   help="grade only the host tests (labs/check.py --quick: "
                        "make test runs every suite itself)")
    p.add_argument("--from-tap", metavar="FILE",
                   help="score from this results.tap of `make test` (the "
                        "reference's run) instead of building and running")
    p.add_argument("--no-build", action="store_true",
                   help="use the tree's build as it is (labs/check.py)")
    args = p.parse_args(argv)
    tree = os.path.abspath(args.tree)
    ref = os.path.abspath(args.ref) if args.ref else (
        os.path.join(tree, "labs", ".grader")
        if os.path.isdir(os.path.join(tree, "labs", ".grader")) else tree)
    out = os.path.abspath(args.out or os.path.join(tree, "build", "grade"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    known = lab_names(ref)
    labs = args.lab or read_lab_file(tree)
    if labs == ["all"]:
        labs = known
    if not labs:
        p.error("which lab? (--lab LAB, or a LAB file in the tree)")
    for l in labs:
        if l not in known:
            p.error("unknown lab %r (labs: %s)" % (l, ", ".join(known)))
    tests = []
    for l in labs:
        tests += [t for t in load_lab(ref, l)[1]
                  if t.host or not args.host_only]
    notes = compare_tests(tree, ref)
    work = grading_tree(tree, ref, os.path.abspath(args.work or os.path.join(
        out, "tree")), notes)
    started = time.monotonic()
    if args.from_tap:
        units = units_from_tap(load_runner(work), os.path.abspath(
            args.from_tap))
    elif not args.no_build and not make(work, ["build"],
                                      os.path.join(out, "build.log")):
        for t in tests:
            if t.suite:
                t.output = "the kernel or the images did not build " \
                           "(see build/grade/build.log)"
        units = run_units(load_runner(work), work, out,
                          [t for t in tests if t.host], args)
    else:
        units = run_units(load_runner(work), work, out, tests, args)
    for t in tests:
        if not (t.suite and t.output):
            score_test(t, units)
    apply_requires(tests)
    write_outputs(out, tests, notes, labs)
    print_table(tests, notes, labs)
    total = sum(t.score for t in tests)
    full = sum(t.points for t in tests)
    print("score %g/%g (%.0f s); results in %s" % (
        total, full, time.monotonic() - started, out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({l: {"score": sum(t.score for t in tests if t.lab == l),
                           "max": sum(t.points for t in tests if t.lab == l)}
                       for l in labs}, f, indent=1)
    return 0 if total == full else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
