#!/usr/bin/env python3
"""make labs-check: prove every lab is cut right (Python 3 standard library).

For the reference tree and then for each lab's student tree (labs/cut.py),
with one grading run each (labs/grade.py --lab all):
  - the reference scores full marks on every lab;
  - the tree of the whole course (every lab cut at once) builds, boots as
    far as one of its skeletons' console lines (the first stub the boot
    reaches: mmap's page-in comes before pgtbl's first mapping), and
    scores each lab's floor;
  - the student tree builds, and boots to the shell (or, for a lab whose
    skeleton cannot run user programs, to the console line its lab.json
    names under "boot");
  - it scores at most its lab's "floor" (0 unless lab.json says) on its own
    lab, and full marks on every other lab, except labs whose lab.json
    "depends" on it (their tests run on its code) and, when the skeleton
    has no shell, the other labs' in-QEMU tests, and any test whose
    "needs" names the lab (an in-QEMU suite that also exercises it).
A lab's "depends" must name earlier labs only (a tree cut with --through
has every later lab stubbed). A test's "needs" may name a later lab: the
test also runs that lab's code (test_mspace runs the fault handler of
lazy and cow), so in a --through course it scores only once that lab is
done too; labs/README.md lists these.

    labs/check.py [--labs a,b] [--no-reference] [--no-sequence]

--labs checks only those labs' student trees (every lab's tests are still
graded in each); --no-reference skips grading the reference tree (make
test's own run of every suite and host test stands for it).
Student trees share the reference build (copied, so only what the cut
changed is rebuilt). Trees and results go to build/labs-check/.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "labs-check")
PY = sys.executable


def labs():
    with open(os.path.join(ROOT, "labs", "labs.json")) as f:
        names = [l["name"] for l in json.load(f)["labs"]]
    docs = {}
    for n in names:
        with open(os.path.join(ROOT, "labs", n, "lab.json")) as f:
            docs[n] = json.load(f)
    return names, docs


def depends_on(docs, lab, other):
    """True if lab's tests run on other's code (directly or not)."""
    seen, todo = set(), list(docs[lab].get("depends", []))
    while todo:
        d = todo.pop()
        if d == other:
            return True
        if d not in seen:
            seen.add(d)
            todo += docs[d].get("depends", [])
    return False


def grade(tree, out, build, lab="all", host_only=False, from_tap=None):
    """Grade lab (default every lab) in tree; returns ({lab: tests},
    seconds)."""
    started = time.monotonic()
    cmd = [PY, os.path.join(tree, "labs", "grade.py"), "--tree", tree,
           "--ref", tree, "--lab", lab, "--out", out]
    if not build:
        cmd.append("--no-build")
    if host_only:
        cmd.append("--host-only")
    if from_tap:
        cmd += ["--from-tap", from_tap]
    with open(os.path.join(OUT, os.path.basename(out) + ".log"), "w") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    per = {}
    for t in doc["tests"]:
        lab, _, name = t["name"].partition(": ")
        per.setdefault(lab, []).append(t)
    return per, time.monotonic() - started


def copy_build(dst):
    src = os.path.join(ROOT, "build")
    skip = {"labs-check", "grade", "test-logs", "test-results",
            "host-test-logs", "host-test-results", "bootloop"}
    os.makedirs(dst, exist_ok=True)
    for n in os.listdir(src):
        if n in skip or n.startswith("test-"):
            continue
        s = os.path.join(src, n)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(dst, n), symlinks=True)
        else:
            shutil.copy2(s, os.path.join(dst, n))


def boot_check(tree, doc, consoles=None):
    """(ok, what) for the student tree's boot. consoles: the console lines
    that may end it instead of doc's (the whole course's tree: the first
    stub the boot reaches, whichever lab's it is)."""
    want = doc.get("boot", "shell")
    if consoles is None:
        consoles = [want["console"]] if isinstance(want, dict) else []
    sys.path.insert(0, os.path.join(tree, "tests"))
    try:
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            "run_" + doc["name"], os.path.join(tree, "tests", "run.py"))
        run = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(run)
    finally:
        sys.path.pop(0)
    b = os.path.join(tree, "build")
    args = run.parse_args(["--run", "true", "--kernel",
                           os.path.join(b, "kernel.elf"), "--fs",
                           os.path.join(b, "fs.img"), "--swap",
                           os.path.join(b, "swap.img"), "--cpus", "2",
                           "--boot-timeout", "60"])
    try:
        con = run.boot(args)
    except run.BootError as err:
        console = err.args[1] if len(err.args) > 1 else ""
        with open(os.path.join(OUT, doc["name"] + "-boot.log"), "w") as f:
            f.write(console)
        for line in consoles:
            if re.search(line, console, re.M):
                return True, "boots as far as %r" % line
        return False, str(err.args[0]).split("\n")[0]
    finally:
        for c in run.LIVE_CONSOLES:
            if c.alive():
                c.kill()
    run.poweroff(con)
    if want == "shell":
        return True, "boots to the shell"
    return False, "reached the shell, but lab.json says it cannot"


def full(tests):
    return all(t["score"] == t["max_score"] for t in tests)


def total(tests):
    return (sum(t["score"] for t in tests),
            sum(t["max_score"] for t in tests))


def order_errors(names, docs):
    """A lab's tests may run on earlier labs' code only: a course that cuts
    a lab together with every later one (cut.py --through) must still be
    able to give full marks for it."""
    errors = []
    for i, n in enumerate(names):
        later = set(names[i + 1:])
        for d in docs[n].get("depends", []):
            if d in later:
                errors.append("%s: depends on %s, a later lab" % (n, d))
    return errors


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--labs", help="comma-separated labs to cut and check")
    p.add_argument("--no-reference", action="store_true")
    p.add_argument("--no-sequence", action="store_true")
    p.add_argument("--quick", action="store_true",
                   help="make test's check: the reference's host tests "
                        "only, each tree graded on its own lab only, no "
                        "whole-course tree")
    p.add_argument("--test-results", metavar="DIR",
                   help="make test's results (DIR/results.tap): grade the "
                        "reference from them, and end with make test's "
                        "count line, these checks included")
    p.add_argument("--jobs", type=int, default=1,
                   help="student trees checked at once")
    args = p.parse_args(argv)
    names, docs = labs()
    chosen = names
    if args.labs:
        chosen = [l for l in args.labs.split(",") if l]
        for l in chosen:
            if l not in names:
                p.error("unknown lab %r (labs: %s)" % (l, ", ".join(names)))
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    failures = order_errors(names, docs)
    for f in failures:
        print("FAIL " + f)
    began = time.monotonic()
    if args.quick:
        args.no_sequence = True
    if not args.no_reference:
        tap = (os.path.join(os.path.abspath(args.test_results),
                            "results.tap") if args.test_results else None)
        ref, secs = grade(ROOT, os.path.join(OUT, "reference"),
                          not args.quick, host_only=args.quick and not tap,
                          from_tap=tap)
        print("%-8s %-34s %s" % ("lab", "check", "result"))
        for n in names:
            s, m = total(ref.get(n, []))
            ok = n in ref and full(ref[n])
            print("%-8s %-34s %s %g/%g" % (n, "reference full marks",
                                           "ok  " if ok else "FAIL", s, m))
            if not ok:
                failures.append("%s: reference %g/%g" % (n, s, m))
        print("# reference graded in %.0f s" % secs)
    jobs = max(1, args.jobs)
    if jobs == 1:
        results = [check_tree(n, names, docs, args.quick) for n in chosen]
    else:
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(
                lambda n: check_tree(n, names, docs, args.quick), chosen))
    checks = list(names) if not args.no_reference else []
    for lines, fails in results:
        failures += fails
        checks += [l for l in lines if not l.startswith("#")
                   and " skip " not in l]
    if not args.no_sequence:
        check_sequence(names, docs, failures)
    print("labs-check: %d labs, %d failures, %.0f s" % (
        len(names), len(failures), time.monotonic() - began))
    for f in failures:
        print("FAIL " + f)
    if args.test_results:
        return count_line(args.test_results, len(checks), len(failures))
    return 1 if failures else 0


def count_line(results, nchecks, nfailed):
    """make test's last line, `N passed, M failed`: the runner's
    assertions (from its results.tap) and these checks, each one."""
    sys.path.insert(0, os.path.join(ROOT, "labs"))
    import grade as g
    units = g.units_from_tap(g.load_runner(ROOT),
                             os.path.join(results, "results.tap"))
    passed = sum(u.passed_count() for u in units.values())
    failed = sum(u.failed_count() for u in units.values())
    passed += max(0, nchecks - nfailed)
    failed += nfailed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def check_tree(n, names, docs, quick):
    """Cut lab n's student tree, build it, boot it, grade it. Returns
    (lines printed, failures). quick: grade only lab n's own tests."""
    out, failures = [], []

    def say(line):
        out.append(line)
        print(line, flush=True)

    started = time.monotonic()
    doc = docs[n]
    tree = os.path.join(OUT, n)
    cut = subprocess.run([PY, os.path.join(ROOT, "labs", "cut.py"), n,
                          "--out", tree], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    if cut.returncode != 0:
        failures.append("%s: cut.py failed: %s" % (n, cut.stdout.decode()))
        say("%-8s %-34s FAIL" % (n, "cut"))
        return out, failures
    copy_build(os.path.join(tree, "build"))
    with open(os.path.join(OUT, n + "-build.log"), "w") as f:
        built = subprocess.run(["make", "-C", tree, "build"], stdout=f,
                               stderr=subprocess.STDOUT).returncode == 0
    say("%-8s %-34s %s" % (n, "skeleton builds",
                             "ok" if built else "FAIL"))
    if not built:
        failures.append("%s: skeleton does not build (%s-build.log)"
                        % (n, n))
        return out, failures
    booted, what = boot_check(tree, doc)
    say("%-8s %-34s %s %s" % (n, "skeleton boots",
                                "ok  " if booted else "FAIL", what))
    if not booted:
        failures.append("%s: %s" % (n, what))
    res, _ = grade(tree, os.path.join(OUT, n + "-grade"), False,
                   lab=n if quick else "all")
    floor = doc.get("floor", 0)
    s, m = total(res.get(n, []))
    ok = s <= floor
    say("%-8s %-34s %s %g/%g (floor %g)" % (
        n, "own lab scores the floor", "ok  " if ok else "FAIL", s, m,
        floor))
    if not ok:
        failures.append("%s: own lab %g/%g above floor %g" % (n, s, m,
                                                               floor))
    shell = doc.get("boot", "shell") == "shell"
    for o in names:
        if o == n or quick:
            continue
        if depends_on(docs, o, n):
            say("%-8s %-34s skip (lab %s builds on %s)" % (
                n, "lab %s full marks" % o, o, n))
            continue
        tests = [t for t in res.get(o, [])
                 if (shell or not is_suite(docs[o], t))
                 and n not in spec(docs[o], t).get("needs", [])]
        s, m = total(tests)
        ok = bool(tests) and full(tests)
        extra = "" if shell else " (host tests: no user space)"
        say("%-8s %-34s %s %g/%g%s" % (n, "lab %s full marks" % o,
                                         "ok  " if ok else "FAIL", s, m,
                                         extra))
        if not ok:
            failures.append("%s tree: lab %s %g/%g" % (n, o, s, m))
    say("# %s checked in %.0f s" % (n, time.monotonic() - started))
    shutil.rmtree(tree, ignore_errors=True)
    return out, failures


def check_sequence(names, docs, failures):
    """The tree of a whole course (cut.py FIRST --through LAST): every stub
    at once builds, boots as far as one of its labs' skeletons does (the
    first stub reached decides which), and no lab scores above its
    floor."""
    started = time.monotonic()
    tree = os.path.join(OUT, "sequence")
    what = "%s..%s" % (names[0], names[-1])
    cut = subprocess.run([PY, os.path.join(ROOT, "labs", "cut.py"), names[0],
                          "--through", names[-1], "--out", tree],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if cut.returncode != 0:
        failures.append("%s: cut.py failed" % what)
        return
    copy_build(os.path.join(tree, "build"))
    with open(os.path.join(OUT, "sequence-build.log"), "w") as f:
        built = subprocess.run(["make", "-C", tree, "build"], stdout=f,
                               stderr=subprocess.STDOUT).returncode == 0
    print("%-8s %-34s %s" % (what, "skeleton builds", "ok" if built else "FAIL"))
    if not built:
        failures.append("%s: does not build (sequence-build.log)" % what)
        return
    consoles = [docs[n]["boot"]["console"] for n in names
                if isinstance(docs[n].get("boot"), dict)]
    booted, how = boot_check(tree, docs[names[0]], consoles)
    print("%-8s %-34s %s %s" % (what, "skeleton boots",
                                "ok  " if booted else "FAIL", how))
    if not booted:
        failures.append("%s: %s" % (what, how))
    res, _ = grade(tree, os.path.join(OUT, "sequence-grade"), False)
    for n in names:
        s, m = total(res.get(n, []))
        floor = docs[n].get("floor", 0)
        ok = s <= floor
        print("%-8s %-34s %s %g/%g (floor %g)" % (
            what, "lab %s scores the floor" % n, "ok  " if ok else "FAIL",
            s, m, floor))
        if not ok:
            failures.append("%s: lab %s %g/%g" % (what, n, s, m))
    print("# %s checked in %.0f s" % (what, time.monotonic() - started))
    shutil.rmtree(tree, ignore_errors=True)


def spec(doc, test):
    """The lab.json entry of a graded test."""
    name = test["name"].partition(": ")[2]
    return next(t for t in doc["tests"] if t["name"] == name)


def is_suite(doc, test):
    return "suite" in spec(doc, test)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
