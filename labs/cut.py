#!/usr/bin/env python3
"""Cut a student tree out of Pagoda's source (Python 3 standard library only).

    labs/cut.py LAB [--through LAB2] --out DIR     write a student tree
    labs/cut.py --check                           validate every marker
    labs/cut.py --list                            the labs, in course order

A lab's code is marked in the reference source (C, headers, assembly):

    /* LAB buddy: begin */
    ...the reference code a student writes...
    /* LAB buddy: end */
    /* LAB buddy: stub
    ...the code that replaces it in the student tree...
    */

Each marker stands alone on its line. The stub block is optional; it must
follow the end line at once and it closes with a line holding only `*/`,
so the reference compiles unchanged (a stub may not contain `*/`: use `//`
comments in it). In the student tree the begin..end lines and the stub's
own marker lines are gone and the stub's lines stand in the region's place.

Cutting LAB removes LAB's regions; `--through LAB2` removes the regions of
every lab from LAB to LAB2 in course order (labs/labs.json), for a course
whose students build each lab on their own previous ones. Everything else
is copied as it is (files git tracks, or every file outside build/ when the
tree is not a git checkout), except each lab's hidden/ directory. The tree
also gets:
  LAB                  the cut labs' names, one a line (make grade reads it)
  labs/manifest.json   SHA-256 of every test file, as the reference has it
  labs/.grader/        the grader's own copies of those test files

See labs/README.md.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

from grade import is_test_file     # the files that define tests

MARKER_RE = re.compile(r"LAB\s+([A-Za-z0-9_-]+)\s*:\s*(begin|end|stub)\b")
BEGIN_RE = re.compile(r"^\s*/\*\s*LAB\s+([a-z0-9_]+):\s*begin\s*\*/\s*$")
END_RE = re.compile(r"^\s*/\*\s*LAB\s+([a-z0-9_]+):\s*end\s*\*/\s*$")
STUB_RE = re.compile(r"^\s*/\*\s*LAB\s+([a-z0-9_]+):\s*stub\s*$")
STUB_END_RE = re.compile(r"^\s*\*/\s*$")
MARKED_SUFFIXES = (".c", ".h", ".S")


class MarkerError(Exception):
    pass


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_labs(root):
    """The labs in course order: [{"name": ...}, ...] from labs/labs.json."""
    with open(os.path.join(root, "labs", "labs.json")) as f:
        return json.load(f)["labs"]


def tree_files(root):
    """Relative paths of the tree's files (git's list when there is one)."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached",
                              "--others", "--exclude-standard"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             check=True).stdout.decode()
        files = [p for p in out.split("\0") if p]
        if files:
            return sorted(p for p in files
                          if os.path.isfile(os.path.join(root, p)))
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames
                       if not (rel == "." and d in ("build", ".git"))]
        for n in filenames:
            files.append(os.path.normpath(os.path.join(rel, n)))
    return sorted(files)


def parse_regions(path, text, known):
    """The marked regions of one file: [(lab, begin, end, stub_lines,
    stub_end)] with 0-based line indexes (stub_end is the last line the
    region owns). Raises MarkerError naming file:line."""
    lines = text.split("\n")
    regions = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER_RE.search(line)
        if not m:
            i += 1
            continue
        where = "%s:%d" % (path, i + 1)
        lab, kind = m.group(1), m.group(2)
        if lab not in known:
            raise MarkerError("%s: unknown lab %r (labs/labs.json has %s)"
                              % (where, lab, ", ".join(known)))
        b = BEGIN_RE.match(line)
        if kind != "begin" or not b:
            raise MarkerError("%s: '%s' without a 'LAB %s: begin' before it"
                              " (or not alone on its line)"
                              % (where, kind, lab))
        begin = i
        j = i + 1
        while j < len(lines):
            m2 = MARKER_RE.search(lines[j])
            if m2:
                break
            j += 1
        if j == len(lines):
            raise MarkerError("%s: 'LAB %s: begin' never ended" % (where, lab))
        e = END_RE.match(lines[j])
        if not e or e.group(1) != lab:
            raise MarkerError("%s:%d: expected '/* LAB %s: end */' before "
                              "this marker (regions do not nest)"
                              % (path, j + 1, lab))
        end = j
        stub, last = [], end
        if end + 1 < len(lines) and MARKER_RE.search(lines[end + 1]):
            s = STUB_RE.match(lines[end + 1])
            if not s or s.group(1) != lab:
                raise MarkerError("%s:%d: after 'LAB %s: end' only its "
                                  "'/* LAB %s: stub' may follow"
                                  % (path, end + 2, lab, lab))
            k = end + 2
            while k < len(lines) and not STUB_END_RE.match(lines[k]):
                if "*/" in lines[k] or MARKER_RE.search(lines[k]):
                    raise MarkerError("%s:%d: the stub of lab %s must close "
                                      "with a line holding only '*/'"
                                      % (path, k + 1, lab))
                k += 1
            if k == len(lines):
                raise MarkerError("%s:%d: stub of lab %s never closed"
                                  % (path, end + 2, lab))
            stub = lines[end + 2:k]
            last = k
        regions.append((lab, begin, end, stub, last))
        i = last + 1
    return regions


def scan(root, known):
    """{path: regions} for every marked file of the tree."""
    found = {}
    errors = []
    for path in tree_files(root):
        if not path.endswith(MARKED_SUFFIXES):
            continue
        with open(os.path.join(root, path), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
        if "LAB" not in text:
            continue
        try:
            regions = parse_regions(path, text, known)
        except MarkerError as err:
            errors.append(str(err))
            continue
        if regions:
            found[path] = regions
    if errors:
        raise MarkerError("\n".join(errors))
    return found


def cut_text(text, regions, cut_labs):
    """text with cut_labs' regions replaced by their stubs and every other
    region's marker lines (and stub) dropped."""
    lines = text.split("\n")
    out = []
    i = 0
    for lab, begin, end, stub, last in regions:
        out += lines[i:begin]
        if lab in cut_labs:
            out += stub
        else:
            out += lines[begin + 1:end]
        i = last + 1
    out += lines[i:]
    return "\n".join(out)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def copy_file(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst)          # keeps mtimes: a shared build stays valid


def write_tree(root, out, cut_labs, marked):
    """Write the student tree at out. Files without a cut region keep their
    modification time; cut ones get a fresh one."""
    manifest = {}
    for path in tree_files(root):
        if re.match(r"labs/[^/]+/hidden/", path):
            continue
        src, dst = os.path.join(root, path), os.path.join(out, path)
        if path in marked:
            with open(src, encoding="utf-8") as f:
                text = f.read()
            new = cut_text(text, marked[path], cut_labs)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w", encoding="utf-8") as f:
                f.write(new)
            shutil.copymode(src, dst)
            if not any(r[0] in cut_labs for r in marked[path]):
                st = os.stat(src)          # markers dropped only: same code
                os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
        else:
            copy_file(src, dst)
        if is_test_file(path):
            manifest[path] = sha256(dst)
            copy_file(dst, os.path.join(out, "labs", ".grader", path))
    with open(os.path.join(out, "labs", "manifest.json"), "w") as f:
        json.dump({"labs": cut_labs, "files": manifest}, f, indent=1,
                  sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "LAB"), "w") as f:
        f.write("".join(n + "\n" for n in cut_labs))


def make_autograder(root, out, cut_labs, zip_path):
    """Turn the student tree at out into a Gradescope autograder and zip
    it: Gradescope unpacks the zip as /autograder/source and runs its
    setup.sh once and run_autograder per submission."""
    for lab in cut_labs:
        hidden = os.path.join(root, "labs", lab, "hidden")
        if os.path.isdir(hidden):
            shutil.copytree(hidden, os.path.join(out, "labs", lab, "hidden"),
                            dirs_exist_ok=True)
    for n in ("setup.sh", "run_autograder"):
        copy_file(os.path.join(root, "labs", "gradescope", n),
                  os.path.join(out, n))
    zip_path = os.path.abspath(zip_path)
    if os.path.exists(zip_path):
        os.remove(zip_path)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, dirnames, filenames in os.walk(out):
            dirnames[:] = sorted(d for d in dirnames
                                 if not (dirpath == out and d == "build"))
            for n in sorted(filenames):
                full = os.path.join(dirpath, n)
                info = zipfile.ZipInfo.from_file(full,
                                                 os.path.relpath(full, out))
                with open(full, "rb") as f:
                    z.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
    print("cut.py: autograder %s" % zip_path)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("lab", nargs="?")
    p.add_argument("--through", metavar="LAB",
                   help="cut every lab from LAB to this one (course order)")
    p.add_argument("--out", metavar="DIR", help="the student tree to write")
    p.add_argument("--root", default=repo_root(), help="the reference tree")
    p.add_argument("--check", action="store_true",
                   help="only validate the markers")
    p.add_argument("--list", action="store_true",
                   help="print the labs in course order")
    p.add_argument("--force", action="store_true",
                   help="write into an existing non-empty DIR")
    p.add_argument("--autograder", metavar="ZIP",
                   help="also make a Gradescope autograder of the tree: "
                        "the cut labs' hidden tests, labs/gradescope's "
                        "setup.sh and run_autograder at the top, zipped")
    args = p.parse_args(argv)
    labs = [l["name"] for l in load_labs(args.root)]
    if args.list:
        print("\n".join(labs))
        return 0
    try:
        marked = scan(args.root, labs)
    except MarkerError as err:
        print("cut.py: %s" % err, file=sys.stderr)
        return 1
    counts = {l: sum(1 for rs in marked.values() for r in rs if r[0] == l)
              for l in labs}
    if args.check:
        for l in labs:
            print("%-8s %d regions" % (l, counts[l]))
        return 0
    if not args.lab or not args.out:
        p.error("LAB and --out DIR are needed (or --check / --list)")
    for name in (args.lab, args.through):
        if name is not None and name not in labs:
            p.error("unknown lab %r (labs: %s)" % (name, ", ".join(labs)))
    first = labs.index(args.lab)
    last = labs.index(args.through) if args.through else first
    if last < first:
        p.error("--through %s comes before %s" % (args.through, args.lab))
    cut_labs = labs[first:last + 1]
    for l in cut_labs:
        if counts[l] == 0:
            print("cut.py: lab %s has no marked region" % l, file=sys.stderr)
            return 1
    out = os.path.abspath(args.out)
    if os.path.exists(out) and os.listdir(out) and not args.force:
        print("cut.py: %s exists and is not empty (--force)" % out,
              file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    write_tree(args.root, out, cut_labs, marked)
    if args.autograder:
        make_autograder(args.root, out, cut_labs, args.autograder)
    print("cut.py: %s: %s (%s)" % (out, " ".join(cut_labs), ", ".join(
        "%d regions" % counts[l] for l in cut_labs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
