#!/usr/bin/env python3
"""Pagoda benchmarks (make bench): boot the kernel twice under QEMU -icount,
once as it is (copy-on-write fork) and once with `cow=off` on the kernel
command line (eager copy), run /tests/bench in each, and print one table of
guest instructions per operation with the eager/COW ratio. Writes the same
figures to build/bench.json. Python 3 standard library only; the console
handling is tests/run.py's. See docs/bench.md.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))
import run as runner                    # noqa: E402  (tests/run.py)

# Exact instruction counts: one guest instruction is one ns of virtual time,
# no host-speed throttling, and idle time skipped (docs/bench.md).
ICOUNT = "shift=0,align=off,sleep=off"
EAGER_CMDLINE = "cow=off"
BENCH_PROG = "/tests/bench"
STATUS_MARK = "BENCH-STATUS="
STATUS_RE = re.compile(r"(?m)^" + re.escape(STATUS_MARK) + r"(\d+)\n")
BENCH_RE = re.compile(r"(?m)^BENCH (.*)$")
BOOTARGS_RE = re.compile(r'(?m)^Pagoda: command line "([^"\n]*)"')

# name, table label, compared with eager copy. Order of the table.
BENCHMARKS = [
    ("fork_1m", "fork+exit+wait, 1 MiB heap touched", True),
    ("fork_16m", "fork+exit+wait, 16 MiB heap touched", True),
    ("fork_64m", "fork+exit+wait, 64 MiB heap touched", True),
    ("cow_fault", "copy-on-write fault (1 page)", True),
    ("zero_fault", "zero-fill fault (1 page)", True),
    ("file_pagein", "file page-in from the page cache (1 page)", True),
    ("exec", "exec of a small program (fork+execve+wait)", True),
    ("mmap_1m", "mmap + touch + munmap of 1 MiB", True),
    ("null_syscall", "null system call (getppid)", True),
    ("trap", "trap round trip (ecall, -ENOSYS)", False),
    ("zero_4k", "zeroing 4 KiB in user space", False),
    ("fault_floor", "fault floor: trap round trip + zeroing 4 KiB", False),
]
FAULTS = ("zero_fault", "cow_fault", "file_pagein")


class BenchError(Exception):
    """A boot or a run of the benchmark program went wrong."""


def qemu_args(args, cmdline):
    """An argument namespace for tests/run.py's boot(): the Makefile's
    machine with one hart, -icount and the given kernel command line."""
    extra = ["-icount", ICOUNT]
    if cmdline:
        extra += ["-append", cmdline]
    return argparse.Namespace(qemu=args.qemu, kernel=args.kernel,
                              fs=args.fs_copy, swap=args.swap_copy,
                              mem=args.mem, cpus="1", qemu_arg=extra,
                              boot_timeout=args.boot_timeout)


def fresh_images(args):
    """Every boot starts from the same disk contents, so it repeats."""
    shutil.copyfile(args.fs, args.fs_copy)
    shutil.copyfile(args.swap, args.swap_copy)


def run_bench(con, command, timeout):
    """Type the command and wait for its status line. Returns the text the
    command printed and its exit status; raises BenchError on a panic,
    QEMU's exit or a timeout."""
    start = len(con.text)
    con.type_line("%s; echo %s$?" % (command, STATUS_MARK))
    deadline = time.monotonic() + timeout

    def done(text):
        return STATUS_RE.search(text, start) or runner.PANIC_RE.search(
            text, start)
    con.wait_for(done, deadline)
    mark = STATUS_RE.search(con.text, start)
    panic = runner.PANIC_RE.search(con.text, start)
    if panic and (not mark or panic.start() < mark.start()):
        con.wait_quiet(0.5, time.monotonic() + runner.PANIC_GRACE)
        why = "kernel panic"
    elif mark:
        return con.text[start:mark.start()], int(mark.group(1))
    elif con.eof:
        why = "QEMU exited"
    else:
        why = "timed out after %.0f s" % timeout
    raise BenchError("%s while running %s\n--- console tail ---\n%s"
                     % (why, command, runner.tail(con.text[start:])))


def parse_lines(text):
    """BENCH lines -> {name: {key: value}}; ops and instret as ints."""
    found = {}
    for m in BENCH_RE.finditer(text):
        fields = {}
        try:
            for word in shlex.split(m.group(1)):
                key, _, value = word.partition("=")
                fields[key] = value
            for key in ("ops", "instret"):
                if key in fields:
                    fields[key] = int(fields[key])
        except ValueError:      # a line garbled by other console output
            fields = {"name": fields.get("name"),
                      "error": "unreadable line: " + m.group(0)}
        if fields.get("name"):
            found[fields["name"]] = fields
    return found


def boot_and_run(args, mode, cmdline):
    """One boot: returns ({name: fields}, kernel command line seen)."""
    fresh_images(args)
    try:
        con = runner.boot(qemu_args(args, cmdline))
    except runner.BootError as err:
        raise BenchError("%s boot: %s" % (mode, err.args[0]))
    try:
        seen = BOOTARGS_RE.search(con.text)
        command = " ".join([BENCH_PROG] + args.only)
        started = time.monotonic()
        text, status = run_bench(con, command, args.timeout)
        print("bench: %s boot ran %s in %.1f s (exit status %d)"
              % (mode, BENCH_PROG, time.monotonic() - started, status),
              flush=True)
        runner.poweroff(con)
    finally:
        con.kill()
    if args.verbose:
        sys.stdout.write(text)
    return parse_lines(text), seen.group(1) if seen else ""


def per_op(fields):
    """Instructions per operation, or None if the benchmark did not run."""
    if not fields or "ops" not in fields or fields["ops"] <= 0:
        return None
    return fields["instret"] / fields["ops"]


def why_not(fields, prefix=True):
    """Why a benchmark has no figure: skipped (and why), or an error."""
    if not fields:
        return "error: missing" if prefix else "missing"
    if "skip" in fields:
        return ("skipped: " if prefix else "") + fields["skip"]
    return ("error: " if prefix else "") + fields.get("error", "no figures")


def json_entry(name, label, compared, cow, eager):
    entry = {"name": name, "description": label,
             "instructions_per_op": None}
    if per_op(cow) is not None:
        entry.update(ops=cow["ops"], instret=cow["instret"],
                     instructions_per_op=round(per_op(cow), 1))
    else:
        entry["skipped" if cow and "skip" in cow else "error"] = why_not(
            cow, False)
    if compared:
        entry["eager_instructions_per_op"] = None
        if per_op(eager) is not None:
            entry.update(eager_ops=eager["ops"], eager_instret=eager["instret"],
                         eager_instructions_per_op=round(per_op(eager), 1))
            if per_op(cow):
                entry["eager_ratio"] = round(per_op(eager) / per_op(cow), 2)
        else:
            entry["eager_" + ("skipped" if eager and "skip" in eager
                              else "error")] = why_not(eager, False)
    return entry


def fmt(value):
    return "%s" % "{:,}".format(int(round(value)))


def table_row(label, compared, cow, eager):
    cow_op, eager_op = per_op(cow), per_op(eager)
    if cow_op is None:
        return "%-46s %s" % (label, why_not(cow))
    if not compared:
        return "%-46s %14s" % (label, fmt(cow_op))
    if eager_op is None:
        return "%-46s %14s  eager %s" % (label, fmt(cow_op), why_not(eager))
    ratio = "%.2fx" % (eager_op / cow_op) if cow_op else "n/a"
    return "%-46s %14s %14s %10s" % (label, fmt(cow_op), fmt(eager_op), ratio)


def print_table(args, benches, cow, eager):
    print()
    print("Guest instructions per operation (QEMU -icount %s, 1 hart, %s "
          "RAM; eager = kernel command line \"%s\")"
          % (ICOUNT, args.mem, EAGER_CMDLINE))
    print("%-46s %14s %14s %10s" % ("benchmark", "copy-on-write", "eager copy",
                                      "eager/COW"))
    print("-" * 87)
    for name, label, compared in benches:
        if compared:
            print(table_row(label, compared, cow.get(name), eager.get(name)))
    floor_rows = [b for b in benches if not b[2]]
    if floor_rows:
        print()
        print("Floor for a fault, measured in the same run (copy-on-write "
              "boot):")
    for name, label, compared in floor_rows:
        print(table_row(label, compared, cow.get(name), None))
    floor = per_op(cow.get("fault_floor"))
    labels = dict((b[0], b[1]) for b in BENCHMARKS)
    for name in FAULTS if floor else ():
        op = per_op(cow.get(name))
        if op is not None:
            print("  %-44s %12.2fx the floor" % (labels[name], op / floor))


def check_complete(benches, cow, eager, cmdline_seen):
    """Problems that make `make bench` fail (skips are not problems)."""
    problems = []
    for name, _, compared in benches:
        for mode, found in (("copy-on-write", cow), ("eager", eager)):
            if mode == "eager" and not compared:
                continue
            fields = found.get(name)
            if fields is None or "error" in fields or (
                    "skip" not in fields and per_op(fields) is None):
                problems.append("%s (%s boot): %s"
                                % (name, mode, why_not(fields)))
    if cmdline_seen != EAGER_CMDLINE:
        problems.append("the eager boot's kernel did not report command line "
                        "\"%s\" (saw \"%s\")" % (EAGER_CMDLINE, cmdline_seen))
    return problems


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kernel", default="build/kernel.elf")
    p.add_argument("--fs", default="build/fs.img")
    p.add_argument("--swap", default="build/swap.img")
    p.add_argument("--fs-copy", default="build/bench-fs.img",
                   help="the copy of --fs each boot uses (overwritten)")
    p.add_argument("--swap-copy", default="build/bench-swap.img",
                   help="the copy of --swap each boot uses (overwritten)")
    p.add_argument("--mem", default="256M")
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--json", default="build/bench.json")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds for %s in one boot" % BENCH_PROG)
    p.add_argument("--boot-timeout", type=float, default=runner.BOOT_TIMEOUT)
    p.add_argument("--verbose", "-v", action="store_true",
                   help="also print the BENCH lines of each boot")
    p.add_argument("only", nargs="*", metavar="NAME",
                   help="run only these benchmarks (default: all)")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    unknown = [n for n in args.only if n not in [b[0] for b in BENCHMARKS]]
    if unknown:
        print("bench: no benchmark %s (there are: %s)" % (
            " ".join(unknown), " ".join(b[0] for b in BENCHMARKS)),
            file=sys.stderr)
        return 2
    for path in (args.kernel, args.fs, args.swap):
        if not os.path.exists(path):
            print("bench: missing %s (run `make build` first)" % path,
                  file=sys.stderr)
            return 1
    try:
        cow, _ = boot_and_run(args, "copy-on-write", "")
        eager, seen = boot_and_run(args, "eager", EAGER_CMDLINE)
    except BenchError as err:
        print("bench: %s" % err, file=sys.stderr)
        return 1
    finally:
        for con in runner.LIVE_CONSOLES:
            if con.alive():
                con.kill()
    benches = [b for b in BENCHMARKS if not args.only or b[0] in args.only]
    print_table(args, benches, cow, eager)
    entries = [json_entry(name, label, compared, cow.get(name),
                          eager.get(name))
               for name, label, compared in benches]
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(entries, f, indent=2)
        f.write("\n")
    print("\nbench: wrote %s" % args.json)
    problems = check_complete(benches, cow, eager, seen)
    for p in problems:
        print("bench: FAILED %s" % p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
