#!/usr/bin/env python3
"""Pagoda benchmarks (make bench): boot the kernel twice under QEMU -icount,
once as it is (copy-on-write fork) and once with `cow=off` on the kernel
command line (eager copy), run /tests/bench in each, and print one table of
guest instructions per operation with the eager/COW ratio. Then the swap
benchmarks (/tests/swapbench) on a small machine with a large swap disk:
swap throughput against the raw disk (wall time, no -icount), the major
fault's path length (-icount), and the replacement trace under the default
policy (clock) and `vm.policy=fifo`, with Belady's OPT from
tools/bench_opt.py. Then the malloc table (/tests/mallocbench): Pagoda's
malloc against picolibc's on three traces, instructions and peak RSS.
Writes the figures to build/bench.json. Python 3
standard library only; the console handling is tests/run.py's. See
docs/bench.md.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))
import run as runner                    # noqa: E402  (tests/run.py)
import bench_opt                        # noqa: E402  (tools/bench_opt.py)

# Exact instruction counts: one guest instruction is one ns of virtual time,
# no host-speed throttling, and idle time skipped (docs/bench.md).
ICOUNT = "shift=0,align=off,sleep=off"
EAGER_CMDLINE = "cow=off"
FIFO_CMDLINE = "vm.policy=fifo"
BENCH_PROG = "/tests/bench"
SWAP_PROG = "/tests/swapbench"
PAGE_KIB = 4
MIB = 1 << 20
SWAP_GOAL = 0.5                 # swap throughput / raw, the goal
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
# Issue 9's goals, instructions per operation (copy-on-write boot): the
# table prints them beside the figures, so a regression shows.
GOALS = {
    "fork_64m": 1200000,
    "cow_fault": 2600,
    "zero_fault": 2000,
    "file_pagein": 1500,
    "exec": 200000,
    "mmap_1m": 600000,
    "null_syscall": 300,
    "trap": 250,
}

# The swap benchmarks, each selectable by name like the ones above; they
# run in their own boots (SWAP_BOOTS) on MEM=--swap-mem with the large
# swap disk (--swap-big).
SWAP_BENCHMARKS = [
    ("swap_throughput", "swap-out/in vs raw /dev/vdb, MiB/s (wall time)"),
    ("majfault", "major fault path length (instructions)"),
    ("replacement", "major faults of one trace: clock, FIFO, OPT"),
]


# The malloc table (/tests/mallocbench, one boot under -icount): each trace
# runs with each allocator in a fresh exec. Selectable as "malloc".
MALLOC_BENCH = "malloc"
MALLOC_PROG = "/tests/mallocbench"
MALLOC_TRACES = [
    ("small", "small objects (8-512 B, 8,192 live)"),
    ("strings", "string building (realloc growth + copies)"),
    ("trees", "binary trees (depth 4..9, stretch 10)"),
]
MALLOC_ALLOCS = ("pagoda", "picolibc")
MALLOC_GOAL = "pagoda <= picolibc in instructions and peak RSS"


class BenchError(Exception):
    """A boot or a run of the benchmark program went wrong."""


class Machine:
    """What one boot runs on: memory, harts, swap image, -icount or not."""

    def __init__(self, mem, cpus, swap, icount):
        self.mem, self.cpus, self.swap, self.icount = mem, cpus, swap, icount


def bench_machine(args):
    """The instruction benchmarks' machine: one hart under -icount."""
    return Machine(args.mem, 1, args.swap, True)


def qemu_args(args, machine, cmdline):
    """An argument namespace for tests/run.py's boot(): the Makefile's
    machine as `machine` says, and the given kernel command line."""
    extra = ["-icount", ICOUNT] if machine.icount else []
    if cmdline:
        extra += ["-append", cmdline]
    return argparse.Namespace(qemu=args.qemu, kernel=args.kernel,
                              fs=args.fs_copy, swap=args.swap_copy,
                              mem=machine.mem, cpus=str(machine.cpus),
                              qemu_arg=extra, boot_timeout=args.boot_timeout)


def fresh_images(args, swap):
    """Every boot starts from the same disk contents, so it repeats."""
    shutil.copyfile(args.fs, args.fs_copy)
    shutil.copyfile(swap, args.swap_copy)


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
    """BENCH lines -> {name: {key: value}}; decimal values as ints."""
    found = {}
    for m in BENCH_RE.finditer(text):
        fields = {}
        try:
            for word in shlex.split(m.group(1)):
                key, _, value = word.partition("=")
                fields[key] = int(value) if value.isdigit() else value
            for key in ("ops", "instret"):
                if key in fields:
                    fields[key] = int(fields[key])
        except ValueError:      # a line garbled by other console output
            fields = {"name": fields.get("name"),
                      "error": "unreadable line: " + m.group(0)}
        if fields.get("name"):
            found[fields["name"]] = fields
    return found


def boot_and_run(args, mode, machine, cmdline, commands):
    """One boot on machine running each command line in turn: returns
    ({name: fields}, kernel command line seen)."""
    fresh_images(args, machine.swap)
    try:
        con = runner.boot(qemu_args(args, machine, cmdline))
    except runner.BootError as err:
        raise BenchError("%s boot: %s" % (mode, err.args[0]))
    texts = []
    try:
        seen = BOOTARGS_RE.search(con.text)
        for command in commands:
            started = time.monotonic()
            text, status = run_bench(con, command, args.timeout)
            print("bench: %s boot ran %s in %.1f s (exit status %d)"
                  % (mode, command, time.monotonic() - started, status),
                  flush=True)
            texts.append(text)
        runner.poweroff(con)
    finally:
        con.kill()
    text = "".join(texts)
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
        if name in GOALS:
            entry.update(goal=GOALS[name], goal_met=per_op(cow) <= GOALS[name])
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


def goal_column(name, cow_op):
    """The goal of benchmark name and whether cow_op meets it, or ''."""
    if name not in GOALS:
        return ""
    return "<= %s %s" % (fmt(GOALS[name]),
                         "met" if cow_op <= GOALS[name] else "NOT met")


def table_row(name, label, compared, cow, eager):
    cow_op, eager_op = per_op(cow), per_op(eager)
    if cow_op is None:
        return "%-46s %s" % (label, why_not(cow))
    goal = goal_column(name, cow_op)
    if not compared:
        return ("%-46s %14s %14s %10s  %s" % (label, fmt(cow_op), "", "",
                                             goal)).rstrip()
    if eager_op is None:
        return "%-46s %14s  eager %s" % (label, fmt(cow_op), why_not(eager))
    ratio = "%.2fx" % (eager_op / cow_op) if cow_op else "n/a"
    return ("%-46s %14s %14s %10s  %s" % (label, fmt(cow_op), fmt(eager_op),
                                          ratio, goal)).rstrip()


def print_table(args, benches, cow, eager):
    print()
    print("Guest instructions per operation (QEMU -icount %s, 1 hart, %s "
          "RAM; eager = kernel command line \"%s\")"
          % (ICOUNT, args.mem, EAGER_CMDLINE))
    print("%-46s %14s %14s %10s  %s" % ("benchmark", "copy-on-write",
                                          "eager copy", "eager/COW",
                                          "goal (issue 9)"))
    print("-" * 106)
    for name, label, compared in benches:
        if compared:
            print(table_row(name, label, compared, cow.get(name),
                            eager.get(name)))
    floor_rows = [b for b in benches if not b[2]]
    if floor_rows:
        print()
        print("Floor for a fault, measured in the same run (copy-on-write "
              "boot):")
    for name, label, compared in floor_rows:
        print(table_row(name, label, compared, cow.get(name), None))
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


# ------------------------------------------------------------ swap rows

def swap_machines(args):
    """The swap benchmarks' machines: the throughput one runs in wall time
    (no -icount) on --swap-cpus harts, the others on one hart under
    -icount. All have --swap-mem of RAM and the large swap disk."""
    wall = Machine(args.swap_mem, args.swap_cpus, args.swap_big, False)
    icount = Machine(args.swap_mem, 1, args.swap_big, True)
    return wall, icount


def missing(fields, keys):
    """Why fields has no figures (skip, error, absent), or None if every
    key is there."""
    if not fields:
        return "error: missing"
    if "skip" in fields or "error" in fields:
        return why_not(fields)
    absent = [k for k in keys if not isinstance(fields.get(k), int)]
    return ("error: no %s" % ", ".join(absent)) if absent else None


def rate(nbytes, ns):
    """MiB/s, or None for no time."""
    return nbytes / MIB / (ns / 1e9) if ns > 0 else None


def throughput_figures(found):
    """{row: (MiB/s or None, why or None, pages or bytes, ns)} for swap_out,
    swap_in, raw_write, raw_read, and the two ratios."""
    out = {}
    for row, counter in (("swap_out", "pswpout"), ("swap_in", "pswpin")):
        f = found.get(row)
        why = missing(f, ("ns", counter))
        out[row] = (None, why, 0, 0) if why else (
            rate(f[counter] * PAGE_KIB * 1024, f["ns"]), None,
            f[counter], f["ns"])
    f = found.get("swap_out")
    why = missing(f, ("paging_ns", "paging_pswpout"))
    if not why and not f["paging_ns"]:
        why = "no page-out during the write pass"
    out["swap_out_paging"] = (None, why, 0, 0) if why else (
        rate(f["paging_pswpout"] * PAGE_KIB * 1024, f["paging_ns"]), None,
        f["paging_pswpout"], f["paging_ns"])
    for row in ("raw_write", "raw_read"):
        f = found.get(row)
        why = missing(f, ("ns", "bytes"))
        out[row] = (None, why, 0, 0) if why else (
            rate(f["bytes"], f["ns"]), None, f["bytes"], f["ns"])
    for name, swap, raw in (("ratio_out", "swap_out_paging", "raw_write"),
                            ("ratio_out_pass", "swap_out", "raw_write"),
                            ("ratio_in", "swap_in", "raw_read")):
        a, b = out[swap][0], out[raw][0]
        out[name] = a / b if a is not None and b else None
    return out


def print_throughput(args, found):
    setup = found.get("swap_setup") or {}
    fig = throughput_figures(found)
    print()
    print("Swap throughput (wall time, no -icount; %s RAM, %s swap disk, "
          "%s harts; %s MiB of anonymous memory written, then read back)"
          % (args.swap_mem, args.swap_size, args.swap_cpus,
             setup.get("mib", "?")))
    print("%-46s %10s %12s %10s" % ("", "MiB/s", "MiB moved", "seconds"))
    print("-" * 81)
    labels = (("swap_out", "swap-out (pswpout pages, whole write pass)"),
              ("swap_out_paging", "swap-out (write pass, while paging out)"),
              ("swap_in", "swap-in (pswpin pages, read pass)"),
              ("raw_write", "raw write /dev/vdb, 128 KiB write() calls"),
              ("raw_read", "raw read /dev/vdb, 128 KiB read() calls"))
    for row, label in labels:
        mibs, why, amount, ns = fig[row]
        if why:
            print("%-46s n/a (%s)" % (label, why))
            continue
        moved = amount * PAGE_KIB / 1024 if row.startswith("swap") else (
            amount / MIB)
        print("%-46s %10.1f %12.1f %10.2f" % (label, mibs or 0.0, moved,
                                               ns / 1e9))
    r = fig["ratio_out_pass"]
    if r is not None:
        print("%-46s %10.2f   (the first pages only fill free memory)"
              % ("ratio swap-out (whole pass) / raw write", r))
    for name, label in (("ratio_out", "ratio swap-out / raw write"),
                        ("ratio_in", "ratio swap-in / raw read")):
        r = fig[name]
        print("%-46s %s" % (label, "n/a" if r is None else
                            "%10.2f   (goal >= %.1f: %s)"
                            % (r, SWAP_GOAL,
                               "met" if r >= SWAP_GOAL else "not met")))


def spinner_net(f, denominator):
    """Instructions of a timed window less the spinner's (its yields times
    what one yield took alone), per denominator; and the spinner's share
    per denominator."""
    per_spin = f["cal_instret"] / max(f["cal_spins"], 1)
    spin = min(f["spins"] * per_spin, float(f["instret"]))
    return ((f["instret"] - spin) / denominator, spin / denominator,
            per_spin)


def majfault_figures(found):
    """The major-fault figures, or (None, why)."""
    f = found.get("majfault")
    why = missing(f, ("instret", "majflt", "pages", "spins", "cal_instret",
                      "cal_spins", "resident_instret"))
    if why is None and f["majflt"] == 0:
        why = "no major faults: the %d pages stayed resident" % f["pages"]
    if why is None and f["cal_spins"] == 0:
        why = "error: the spinner did not run while this process slept"
    if why:
        return None, why
    net, spin, per_spin = spinner_net(f, f["majflt"])
    return {"pages": f["pages"], "majflt": f["majflt"],
            "pswpin": f.get("pswpin"), "pswpout": f.get("pswpout"),
            "net_per_fault": net, "spin_per_fault": spin,
            "per_spin": per_spin,
            "resident_per_page": f["resident_instret"] / f["pages"]}, None


def filefault_figures(found):
    """The file page-in figures, or (None, why)."""
    f = found.get("filefault")
    why = missing(f, ("instret", "pages", "spins", "cal_instret",
                      "cal_spins", "pgpagein"))
    if why is None and f["pgpagein"] == 0:
        why = "no pages read in: the file was already cached"
    if why is None and f["cal_spins"] == 0:
        why = "error: the spinner did not run while this process slept"
    if why:
        return None, why
    net, spin, per_spin = spinner_net(f, f["pgpagein"])
    return {"pages": f["pages"], "pgpagein": f["pgpagein"],
            "net_per_fault": net, "spin_per_fault": spin,
            "per_spin": per_spin}, None


def print_majfault(args, found):
    print()
    print("Major fault path length (QEMU -icount %s, 1 hart, %s RAM; "
          "device wait excluded: see docs/bench.md)" % (ICOUNT, args.swap_mem))
    print("-" * 81)
    cal = found.get("idle_calib")
    if not missing(cal, ("sleep_ns", "sleep_instret")):
        print("rdinstret while the hart idles: %s over a sleep of %s virtual "
              "ns (so a spinner keeps the hart busy)"
              % (fmt(cal["sleep_instret"]), fmt(cal["sleep_ns"])))
    fig, why = majfault_figures(found)
    label = "instructions per major fault from swap"
    if why:
        print("%-58s n/a (%s)" % (label, why))
    else:
        print("%d pages pushed to swap, then re-read with memory free: %d "
              "major faults, pswpin %s, pswpout %s"
              % (fig["pages"], fig["majflt"], fig["pswpin"], fig["pswpout"]))
        print("%-58s %12s" % (label, fmt(fig["net_per_fault"])))
        print("%-58s %12s" % ("  (spinner's yields subtracted, per fault)",
                              fmt(fig["spin_per_fault"])))
        print("%-58s %12s" % ("re-reading a resident page (no fault)",
                              fmt(fig["resident_per_page"])))
    ffig, fwhy = filefault_figures(found)
    label = "instructions per page-in from the fs disk (file map)"
    if fwhy:
        print("%-58s n/a (%s)" % (label, fwhy))
    else:
        print("%-58s %12s" % (label, fmt(ffig["net_per_fault"])))
        print("%-58s %12s" % ("  (spinner's yields subtracted, per page)",
                              fmt(ffig["spin_per_fault"])))


TRACE_KEYS = ("cold", "hot", "per_cold", "passes", "refs", "hash",
              "rss_base_kb", "hwm_kb", "majflt", "pswpin")


def trace_frames(f):
    """Frames the trace process held at its peak: VmHWM less what it held
    before mapping the trace, within 1..trace pages. If that covers the
    whole trace although pages were paged in again (a kernel whose VmRSS
    does not drop at page-out), MemFree before the trace instead. Returns
    (frames, where from)."""
    pages = f["cold"] + f["hot"]
    frames = (f["hwm_kb"] - f["rss_base_kb"]) // PAGE_KIB
    if frames >= pages and f["majflt"] > 0 and f.get("memfree_kb"):
        return max(1, min(pages, f["memfree_kb"] // PAGE_KIB)), "MemFree"
    return max(1, min(pages, frames)), "VmHWM"


def replacement_figures(args, clock, fifo):
    """Major faults under clock, FIFO and OPT, or (None, why)."""
    why = missing(clock, TRACE_KEYS)
    if why:
        return None, "clock boot: " + why
    why = missing(fifo, TRACE_KEYS)
    if why:
        return None, "FIFO boot: " + why
    shape = [clock[k] for k in ("cold", "hot", "per_cold", "passes")]
    if shape != [fifo[k] for k in ("cold", "hot", "per_cold", "passes")]:
        return None, "error: the two boots ran different traces"
    pages = bench_opt.trace_pages(*shape)
    if (len(pages) != clock["refs"]
            or bench_opt.trace_hash(pages) != clock["hash"]
            or bench_opt.trace_hash(pages) != fifo["hash"]):
        return None, ("error: tools/bench_opt.py's trace differs from the "
                      "one the guest ran (length or hash)")
    if args.trace_out:
        with open(args.trace_out, "w") as out:
            out.writelines("%d\n" % p for p in pages)
    frames, source = trace_frames(clock)
    opt, cold = bench_opt.opt_faults(pages, frames)
    return {"shape": shape, "refs": len(pages), "frames": frames,
            "frames_from": source, "fifo_frames": trace_frames(fifo)[0],
            "clock": clock["majflt"],
            "fifo": fifo["majflt"], "clock_pswpin": clock["pswpin"],
            "fifo_pswpin": fifo["pswpin"], "opt": opt - cold,
            "compulsory": cold}, None


def clock_beats_fifo(fig):
    """Judged on pages read from swap (pswpin), the figure OPT's count
    compares with: a major fault reads up to 8 pages around it (the
    kernel's swap read-around), so pgmajfault counts fewer events than
    pages brought in."""
    if fig["clock_pswpin"] in (None, 0) and fig["fifo_pswpin"] in (None, 0):
        return "no (no page read from swap in either boot: nothing was paged)"
    if fig["clock_pswpin"] is None or fig["fifo_pswpin"] is None:
        return "no (pswpin missing)"
    return "yes" if fig["clock_pswpin"] < fig["fifo_pswpin"] else "no"


def print_replacement(args, fig, why):
    print()
    print("Replacement quality (QEMU -icount, 1 hart, %s RAM; one trace, "
          "default boot = clock, \"%s\" = FIFO)" % (args.swap_mem,
                                                   FIFO_CMDLINE))
    print("-" * 81)
    if why:
        print("%-46s n/a (%s)" % ("major faults", why))
        return
    cold, hot, per_cold, passes = fig["shape"]
    print("trace: %d passes over %d cold pages, %d hot-set references after "
          "each (hot set %d pages); %d references, %d compulsory"
          % (passes, cold, per_cold, hot, fig["refs"], fig["compulsory"]))
    print("%-46s %12s %10s %8s" % ("policy", "major faults", "pswpin",
                                   "frames"))
    print("%-46s %12s %10s %8d" % ("clock (default boot)", fmt(fig["clock"]),
                                   fmt(fig["clock_pswpin"]), fig["frames"]))
    print("%-46s %12s %10s %8d" % ("FIFO (%s)" % FIFO_CMDLINE,
                                   fmt(fig["fifo"]), fmt(fig["fifo_pswpin"]),
                                   fig["fifo_frames"]))
    print("%-46s %12s %10s %8d" % ("OPT (Belady, tools/bench_opt.py)",
                                   fmt(fig["opt"]), "-", fig["frames"]))
    print("(frames: the pages the process held, from %s; OPT uses the "
          "clock boot's)" % ("its VmHWM" if fig["frames_from"] == "VmHWM"
                             else "MemFree before the trace, as VmHWM "
                             "covered the whole trace"))
    print("(compare pswpin with OPT: each major fault reads up to 8 pages "
          "around it)")
    print("clock < FIFO (pages read from swap): %s" % clock_beats_fifo(fig))


def json_why(why):
    """{"skipped": reason} or {"error": reason} for a why_not() text;
    anything else (no major faults, ...) is "not_measured"."""
    for key in ("skipped", "error"):
        if why.startswith(key + ": "):
            return {key: why[len(key) + 2:]}
    return {"not_measured": why}


def swap_json(args, found, repl, repl_why):
    """The swap benchmarks' entries of build/bench.json."""
    entries = []
    if "swap_throughput" in args.swap_selected:
        fig = throughput_figures(found)
        for row in ("swap_out", "swap_out_paging", "swap_in", "raw_write",
                    "raw_read"):
            mibs, why, _, ns = fig[row]
            e = {"name": row, "mib_per_s": None if mibs is None
                 else round(mibs, 1)}
            if why:
                e.update(json_why(why))
            else:
                e["seconds"] = round(ns / 1e9, 3)
            entries.append(e)
        entries.append({"name": "swap_ratio",
                        "out": None if fig["ratio_out"] is None
                        else round(fig["ratio_out"], 2),
                        "out_whole_pass": None if fig["ratio_out_pass"] is None
                        else round(fig["ratio_out_pass"], 2),
                        "in": None if fig["ratio_in"] is None
                        else round(fig["ratio_in"], 2), "goal": SWAP_GOAL})
    if "majfault" in args.swap_selected:
        fig, why = majfault_figures(found)
        e = {"name": "majfault", "instructions_per_major_fault": None}
        if why:
            e.update(json_why(why))
        else:
            e.update(instructions_per_major_fault=round(fig["net_per_fault"]),
                     spinner_instructions_per_major_fault=round(
                         fig["spin_per_fault"]),
                     major_faults=fig["majflt"], pages=fig["pages"])
        entries.append(e)
        fig, why = filefault_figures(found)
        e = {"name": "filefault", "instructions_per_pagein": None}
        if why:
            e.update(json_why(why))
        else:
            e.update(instructions_per_pagein=round(fig["net_per_fault"]),
                     spinner_instructions_per_pagein=round(
                         fig["spin_per_fault"]),
                     pages_read=fig["pgpagein"])
        entries.append(e)
    if "replacement" in args.swap_selected:
        e = {"name": "replacement", "clock_major_faults": None}
        if repl_why:
            e.update(json_why(repl_why))
        else:
            e.update(clock_major_faults=repl["clock"],
                     fifo_major_faults=repl["fifo"],
                     opt_major_faults=repl["opt"], frames=repl["frames"],
                     frames_from=repl["frames_from"],
                     clock_beats_fifo=clock_beats_fifo(repl) == "yes")
        entries.append(e)
    return entries


# The lines each swap benchmark prints (swapon_again only on an error).
SWAP_ROWS = {"swap_throughput": ("swap_out", "swap_in", "raw_write",
                                 "raw_read", "swapon_again"),
             "majfault": ("idle_calib", "filefault", "majfault"),
             "replacement": ("trace",)}
SWAP_OPTIONAL = ("swapon_again",)


def swap_problems(args, found, fifo_found, fifo_seen, repl_why):
    """Errors of the swap benchmarks (skips and n/a are not errors)."""
    problems = []
    for name in args.swap_selected:
        boots = [("swap", found)]
        if name == "replacement":
            boots.append(("FIFO", fifo_found))
        for row in SWAP_ROWS[name]:
            for mode, rows in boots:
                fields = rows.get(row)
                if fields is None and row not in SWAP_OPTIONAL:
                    problems.append("%s (%s boot): no line" % (row, mode))
                elif fields and "error" in fields:
                    problems.append("%s (%s boot): %s"
                                    % (row, mode, why_not(fields)))
    if repl_why and repl_why.startswith("error:"):
        problems.append("replacement: %s" % repl_why)
    fifo_trace = fifo_found.get("trace") or {}
    if ("replacement" in args.swap_selected and fifo_seen != FIFO_CMDLINE
            and "error" not in fifo_trace):
        problems.append("the FIFO boot's kernel did not report command line "
                        "\"%s\" (saw \"%s\")" % (FIFO_CMDLINE, fifo_seen))
    return problems


def swap_boot(args, mode, machine, cmdline, commands, rows_expected):
    """boot_and_run for a swap boot; a boot that fails (a panic while
    swapping, a timeout) turns into an error on each row it should have
    printed, so the other tables still print. Returns as boot_and_run."""
    try:
        return boot_and_run(args, mode, machine, cmdline, commands)
    except BenchError as err:
        print("bench: %s" % err, file=sys.stderr)
        why = str(err).split("\n")[0]
        return dict((row, {"name": row, "error": why})
                    for row in rows_expected), ""


def run_swap(args):
    """The swap boots: returns (rows of the wall and clock boots, rows of
    the FIFO boot, command line the FIFO boot saw)."""
    wall, icount = swap_machines(args)
    sel = args.swap_selected
    found, fifo_found, fifo_seen = {}, {}, ""
    if "swap_throughput" in sel:
        rows, _ = swap_boot(args, "swap (wall time)", wall, "",
                            [SWAP_PROG + " throughput"],
                            SWAP_ROWS["swap_throughput"][:4])
        found.update(rows)
    # filefault first: no other program has read its file since boot.
    names = [n for n in ("majfault", "replacement") if n in sel]
    commands = [SWAP_PROG + " " + c for c, n in (
        ("filefault", "majfault"), ("majfault", "majfault"),
        ("trace", "replacement")) if n in sel]
    if commands:
        rows, _ = swap_boot(args, "swap (clock)", icount, "", commands,
                            [r for n in names for r in SWAP_ROWS[n]])
        found.update(rows)
    if "replacement" in sel:
        fifo_found, fifo_seen = swap_boot(
            args, "swap (FIFO)", icount, FIFO_CMDLINE,
            [SWAP_PROG + " trace"], SWAP_ROWS["replacement"])
    return found, fifo_found, fifo_seen


# ------------------------------------------------------------ harts rows

# fault_4harts: the zero-fill fault of four processes on four harts at
# once against one process alone, both in one boot of a 4-hart machine
# under -icount (QEMU then runs the harts round robin in one thread; which
# hart meets a held lock varies, so the 4-hart figure varies from run to
# run: docs/bench.md). rdinstret is one count of the instructions all
# harts execute: the 4-process window holds the instructions of all four,
# and spinning on a lock shows as instructions (user/tests/bench.c).
HARTS_BENCHMARKS = [
    ("fault_4harts", "zero-fill fault, 4 processes on 4 harts"),
]
HARTS_CPUS = 4
HARTS_ROWS = ("fault_1hart", "fault_4harts")
HARTS_GOAL = 1.2                # per fault, 4 harts / 1 hart, the goal
# QEMU 7.2's round-robin loop gives each hart in turn the -icount budget up
# to the next timer, and the first hart uses all of it while it spins, so a
# hart that waits for another (the boot hart for a starting hart, OpenSBI
# for a remote fence) starves it for good: the 4-hart boot hangs at hart
# start. Later QEMUs share the budget among the harts.
HARTS_QEMU_MIN = (8, 0)
HARTS_QEMU_WHY = ("QEMU %s runs -icount harts round robin without sharing the "
                  "budget: a spinning first hart starves the others and the "
                  "boot hangs at hart start (needs QEMU >= %d.%d; "
                  "make bench BENCH_HARTS_QEMU=...)")


def harts_machine(args):
    """The harts benchmark's machine: HARTS_CPUS harts under -icount."""
    return Machine(args.mem, HARTS_CPUS, args.swap, True)


def qemu_version(qemu):
    """(major, minor) of `qemu --version`, or None if it cannot say."""
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def run_harts(args):
    """The harts boot: {row: fields} of fault_1hart and fault_4harts; a
    failed boot turns into an error on each row, a QEMU that cannot run
    4 harts under -icount into a skip."""
    version = qemu_version(args.harts_qemu)
    if version is not None and version < HARTS_QEMU_MIN:
        why = HARTS_QEMU_WHY % (("%d.%d" % version,) + HARTS_QEMU_MIN)
        return dict((row, {"name": row, "skip": why}) for row in HARTS_ROWS)
    hargs = argparse.Namespace(**vars(args))
    hargs.qemu = args.harts_qemu
    try:
        found, _ = boot_and_run(hargs, "harts", harts_machine(args), "",
                                [" ".join([BENCH_PROG] + list(HARTS_ROWS))])
    except BenchError as err:
        print("bench: %s" % err, file=sys.stderr)
        why = str(err).split("\n")[0]
        found = dict((row, {"name": row, "error": why}) for row in HARTS_ROWS)
    return found


def harts_ratio(found):
    """(per fault alone, per fault with 4 harts, ratio), None where a row
    has no figure."""
    one = per_op(found.get("fault_1hart"))
    four = per_op(found.get("fault_4harts"))
    return one, four, (four / one if one and four is not None else None)


def print_harts(args, found):
    one, four, ratio = harts_ratio(found)
    print()
    version = qemu_version(args.harts_qemu)
    print("Zero-fill fault on %d harts (QEMU %s -icount %s, %d harts, %s RAM; "
          "instructions of all harts per fault)" % (
              HARTS_CPUS, "%d.%d" % version if version else "?", ICOUNT,
              HARTS_CPUS, args.mem))
    print("%-46s %14s %10s %10s" % ("benchmark", "per fault", "x 1 hart",
                                    "goal"))
    print("-" * 83)
    rows = (("fault_1hart", "1 process on 1 hart (1,024 pages)", one, None),
            ("fault_4harts", "%d processes on %d harts (1,024 pages each)"
             % (HARTS_CPUS, HARTS_CPUS), four, ratio))
    for name, label, op, r in rows:
        if op is None:
            print("%-46s %s" % (label, why_not(found.get(name))))
        elif r is None:
            print("%-46s %14s" % (label, fmt(op)))
        else:
            print("%-46s %14s %9.2fx %10s%s" % (
                label, fmt(op), r, "<= %.1fx" % HARTS_GOAL,
                "" if r <= HARTS_GOAL else "  (missed)"))


def harts_json(args, found):
    """The harts benchmark's entry of build/bench.json."""
    one, four, ratio = harts_ratio(found)
    version = qemu_version(args.harts_qemu)
    e = {"name": "fault_4harts", "description": HARTS_BENCHMARKS[0][1],
         "cpus": HARTS_CPUS, "goal_ratio": HARTS_GOAL,
         "qemu": "%d.%d" % version if version else None,
         "instructions_per_fault": None if four is None else round(four, 1),
         "one_hart_instructions_per_fault": None if one is None
         else round(one, 1),
         "ratio": None if ratio is None else round(ratio, 3)}
    for row in HARTS_ROWS:
        fields = found.get(row)
        if per_op(fields) is None:
            e[row + "_error"] = why_not(fields, False)
        else:
            e[row + "_ops"], e[row + "_instret"] = (fields["ops"],
                                                    fields["instret"])
    return e


def harts_problems(found):
    """Errors of the harts benchmark (a missed goal and a skip are shown,
    not errors)."""
    return ["%s (harts boot): %s" % (row, why_not(found.get(row)))
            for row in HARTS_ROWS if per_op(found.get(row)) is None
            and "skip" not in (found.get(row) or {})]


# ------------------------------------------------------------ malloc rows

def malloc_figures(found, trace):
    """{alloc: (instructions, peak kB)} for one trace, or (None, why)."""
    out = {}
    for alloc in MALLOC_ALLOCS:
        fields = found.get("malloc_%s_%s" % (trace, alloc))
        why = missing(fields, ("instret", "peak_kb"))
        if why:
            return None, "%s: %s" % (alloc, why)
        out[alloc] = (fields["instret"], fields["peak_kb"])
    return out, None


def malloc_goal_met(fig):
    """The issue's goal: Pagoda's malloc at or below picolibc's in both."""
    return (fig["pagoda"][0] <= fig["picolibc"][0]
            and fig["pagoda"][1] <= fig["picolibc"][1])


def print_malloc(args, found):
    print()
    print("Pagoda's malloc against picolibc's (QEMU -icount %s, 1 hart, %s "
          "RAM; %s, each run a fresh exec)" % (ICOUNT, args.mem, MALLOC_PROG))
    print("%-42s %11s %11s %6s %8s %8s %6s  %s" % (
        "trace", "instr pagoda", "picolibc", "ratio", "RSS kB", "picolibc",
        "ratio", "goal <= 1.00x both"))
    print("-" * 107)
    for trace, label in MALLOC_TRACES:
        fig, why = malloc_figures(found, trace)
        if why:
            print("%-42s n/a (%s)" % (label, why))
            continue
        (pi, pk), (ci, ck) = fig["pagoda"], fig["picolibc"]
        print("%-42s %11s %11s %5.2fx %8s %8s %5.2fx  %s" % (
            label, fmt(pi), fmt(ci), pi / ci if ci else 0.0, fmt(pk), fmt(ck),
            pk / ck if ck else 0.0, "met" if malloc_goal_met(fig)
            else "NOT met"))
    print("(instructions: user and kernel, rdinstret around the trace; RSS: "
          "VmHWM of the process, kB)")


def malloc_json(found):
    """The malloc table's entries of build/bench.json."""
    entries = []
    for trace, label in MALLOC_TRACES:
        fig, why = malloc_figures(found, trace)
        e = {"name": "malloc_" + trace, "description": label,
             "goal": MALLOC_GOAL}
        if why:
            e.update(json_why(why))
        else:
            (pi, pk), (ci, ck) = fig["pagoda"], fig["picolibc"]
            e.update(pagoda_instructions=pi, picolibc_instructions=ci,
                     instructions_ratio=round(pi / ci, 3) if ci else None,
                     pagoda_peak_kb=pk, picolibc_peak_kb=ck,
                     peak_rss_ratio=round(pk / ck, 3) if ck else None,
                     goal_met=malloc_goal_met(fig))
        entries.append(e)
    return entries


def malloc_problems(found):
    """Errors of the malloc table (an unmet goal is shown, not an error)."""
    problems = []
    for trace, _ in MALLOC_TRACES:
        _, why = malloc_figures(found, trace)
        if why:
            problems.append("malloc_%s: %s" % (trace, why))
    return problems


def run_malloc(args):
    """The malloc boot: returns its rows (errors in place of a failed boot)."""
    rows = ["malloc_%s_%s" % (t, a) for t, _ in MALLOC_TRACES
            for a in MALLOC_ALLOCS]
    found, _ = swap_boot(args, "malloc", bench_machine(args), "",
                         [MALLOC_PROG], rows)
    return found


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
    p.add_argument("--swap-big", default="build/bench-swap-256M.img",
                   help="the swap disk of the swap benchmarks (mkswap)")
    p.add_argument("--swap-size", default="256M",
                   help="its size, for the table's heading")
    p.add_argument("--swap-mem", default="64M",
                   help="RAM of the swap benchmarks' machine")
    p.add_argument("--swap-cpus", type=int, default=2,
                   help="harts of the swap throughput boot")
    p.add_argument("--trace-out", default="build/bench-trace.txt",
                   help="the replacement trace, one page number a line")
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--harts-qemu", default=None,
                   help="the QEMU of the fault_4harts boot (default: --qemu)")
    p.add_argument("--json", default="build/bench.json")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds for %s in one boot" % BENCH_PROG)
    p.add_argument("--boot-timeout", type=float, default=runner.BOOT_TIMEOUT)
    p.add_argument("--verbose", "-v", action="store_true",
                   help="also print the BENCH lines of each boot")
    p.add_argument("only", nargs="*", metavar="NAME",
                   help="run only these benchmarks (default: all)")
    return p.parse_args(argv)


def select(args):
    """Split the names asked for into instruction and swap benchmarks.
    Returns a list of unknown names."""
    names = [b[0] for b in BENCHMARKS]
    swap_names = [b[0] for b in SWAP_BENCHMARKS]
    harts_names = [b[0] for b in HARTS_BENCHMARKS]
    unknown = [n for n in args.only
               if n not in names + swap_names + harts_names + [MALLOC_BENCH]]
    args.harts_selected = not args.only or any(n in args.only for n in harts_names)
    args.malloc_selected = not args.only or MALLOC_BENCH in args.only
    args.bench_only = [n for n in args.only if n in names]
    args.swap_selected = [n for n in swap_names
                          if not args.only or n in args.only]
    args.run_instr = not args.only or bool(args.bench_only)
    return unknown


def run_all(args):
    """Every boot asked for. Returns the figures of each."""
    res = {"cow": {}, "eager": {}, "seen": EAGER_CMDLINE, "swap": {},
           "fifo": {}, "fifo_seen": FIFO_CMDLINE, "harts": {}}
    machine = bench_machine(args)
    try:
        if args.run_instr:
            cmd = [" ".join([BENCH_PROG] + args.bench_only)]
            res["cow"], _ = boot_and_run(args, "copy-on-write", machine, "",
                                         cmd)
            res["eager"], res["seen"] = boot_and_run(
                args, "eager", machine, EAGER_CMDLINE, cmd)
        if args.swap_selected:
            res["swap"], res["fifo"], res["fifo_seen"] = run_swap(args)
        if args.harts_selected:
            res["harts"] = run_harts(args)
        if args.malloc_selected:
            res["malloc"] = run_malloc(args)
    finally:
        for con in runner.LIVE_CONSOLES:
            if con.alive():
                con.kill()
    return res


def main(argv):
    args = parse_args(argv)
    args.harts_qemu = args.harts_qemu or args.qemu
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    unknown = select(args)
    if unknown:
        print("bench: no benchmark %s (there are: %s)" % (
            " ".join(unknown), " ".join([b[0] for b in BENCHMARKS +
                                         SWAP_BENCHMARKS + HARTS_BENCHMARKS] +
                                        [MALLOC_BENCH])),
            file=sys.stderr)
        return 2
    paths = [args.kernel, args.fs, args.swap]
    paths += [args.swap_big] if args.swap_selected else []
    for path in paths:
        if not os.path.exists(path):
            print("bench: missing %s (run `make build` first)" % path,
                  file=sys.stderr)
            return 1
    try:
        res = run_all(args)
    except BenchError as err:
        print("bench: %s" % err, file=sys.stderr)
        return 1
    benches = [b for b in BENCHMARKS if args.run_instr and (
        not args.bench_only or b[0] in args.bench_only)]
    entries, problems = [], []
    if benches:
        print_table(args, benches, res["cow"], res["eager"])
        entries = [json_entry(name, label, compared, res["cow"].get(name),
                              res["eager"].get(name))
                   for name, label, compared in benches]
        problems = check_complete(benches, res["cow"], res["eager"],
                                  res["seen"])
    repl, repl_why = None, None
    if args.swap_selected:
        if "swap_throughput" in args.swap_selected:
            print_throughput(args, res["swap"])
        if "majfault" in args.swap_selected:
            print_majfault(args, res["swap"])
        if "replacement" in args.swap_selected:
            repl, repl_why = replacement_figures(
                args, res["swap"].get("trace"), res["fifo"].get("trace"))
            print_replacement(args, repl, repl_why)
        entries += swap_json(args, res["swap"], repl, repl_why)
        problems += swap_problems(args, res["swap"], res["fifo"],
                                  res["fifo_seen"], repl_why)
    if args.harts_selected:
        print_harts(args, res["harts"])
        entries.append(harts_json(args, res["harts"]))
        problems += harts_problems(res["harts"])
    if args.malloc_selected:
        print_malloc(args, res["malloc"])
        entries += malloc_json(res["malloc"])
        problems += malloc_problems(res["malloc"])
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(entries, f, indent=2)
        f.write("\n")
    print("\nbench: wrote %s" % args.json)
    for p in problems:
        print("bench: FAILED %s" % p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
