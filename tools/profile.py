#!/usr/bin/env python3
"""Pagoda's profiler driver: boot with the sampling profiler on, run one
benchmark (or any command), and print where the time went.

The kernel, booted with `profile=US`, samples every hart each US
microseconds of its timer (kernel/lib/profile.h); under -icount
(shift=0) that is about US x 1000 guest instructions, so the profile
repeats run to run. --wall drops -icount: samples then follow host time,
waits for the disk included (a hart that waits idles in the scheduler).

The samples are read from /proc/profile into a file of the root image,
taken out with e2fsprogs' debugfs after power-off, and symbolized with
`nm` from kernel.elf and from the user program of each sample's process
name (build/user/tests/NAME or build/user/bin/NAME). Prints the top
functions by samples where the pc was (self) and by samples anywhere on
the stack (total), kernel and user both; writes the stacks folded for a
flame graph (one line "comm;outer;...;inner count", Brendan Gregg's
format, which flamegraph.pl and speedscope read).

A sample that came due while interrupts were off is taken where they came
on again (intr_on, pop_off, spin_unlock): it is charged to that
function's caller as "CALLER [irqs off]", the time of the stretch with
interrupts off that ended there. An idle hart's samples are "[idle]".

    make profile BENCH=zero_fault
    python3 tools/profile.py --cmd '/tests/swapbench throughput' --wall ...
"""

import argparse
import bisect
import collections
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))
import run as runner                    # noqa: E402  (tests/run.py)
import bench                            # noqa: E402  (tools/bench.py)

PROFILE_FILE = "/profile.txt"           # in the guest's root file system
READS = 16                              # /proc/profile reads after the run
READER = "cat"                          # the program that reads them
# Where a sample that waited for interrupts to come on lands
# (kernel/lib/profile.h): charged to the caller, marked "[irqs off]".
IRQ_ON = ("intr_on", "pop_off", "spin_unlock", "trap_idle_wait")


class Symbols:
    """Address -> function name for one ELF file (text symbols of nm)."""

    def __init__(self, nm, path):
        self.addrs, self.names = [], []
        out = subprocess.run([nm, "-n", "--defined-only", path],
                             capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2])

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else "0x%x" % addr


def parse_samples(text):
    """/proc/profile text -> (header fields, [(hart, pid, comm, user,
    [pc, caller, ...])])."""
    header, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# profile off"):
            header["off"] = line[len("# profile off"):].strip()
            continue
        if line.startswith("# profile "):
            words = line.split()[2:]
            header.update(zip(words[::2], (int(w) for w in words[1::2])))
            continue
        parts = line.split()
        if len(parts) < 5 or parts[3] not in ("u", "k"):
            continue
        try:
            pcs = [int(w, 16) for w in parts[4:]]
            samples.append((int(parts[0]), int(parts[1]), parts[2],
                            parts[3] == "u", pcs))
        except ValueError:
            continue
    return header, samples


class Symbolizer:
    def __init__(self, nm, kernel, user_dirs):
        self.nm = nm
        self.kernel = Symbols(nm, kernel)
        self.user_dirs = user_dirs
        self.users = {}

    def user(self, comm):
        if comm not in self.users:
            self.users[comm] = None
            for d in self.user_dirs:
                path = os.path.join(d, comm)
                if os.path.isfile(path):
                    self.users[comm] = Symbols(self.nm, path)
                    break
        return self.users[comm]

    def frames(self, comm, user, pcs):
        """Function names, innermost first. Return addresses point after
        the call: look up ra - 1 so a call at a function's end is right."""
        syms = self.user(comm) if user else self.kernel
        names = []
        for i, pc in enumerate(pcs):
            addr = pc if i == 0 else pc - 1
            if syms is None:
                names.append("[%s]" % comm)
                break
            names.append(syms.name(addr))
        # Recursion and a leaf's stale ra in user mode: drop repeats.
        out = []
        for n in names:
            if not out or out[-1] != n:
                out.append(n)
        if user:
            return [n + " [u]" for n in out]
        # The scheduler's stack is not walked: its intr_on is the idle
        # loop's (trap_idle_wait), where a waiting hart spends its time.
        if out[0] == "trap_idle_wait" or (out[0] in IRQ_ON and (
                comm == "-" or "trap_idle_wait" in out[1:2])):
            return ["[idle]"]
        if out[0] in IRQ_ON and len(out) > 1:
            out = [out[1] + " [irqs off]"] + out[1:]
        return out


def report(samples, sym, top, out=sys.stdout):
    """Print the top functions; return the folded stacks."""
    selfc, total = collections.Counter(), collections.Counter()
    folded = collections.Counter()
    user_n = idle_n = 0
    for hart, pid, comm, user, pcs in samples:
        frames = sym.frames(comm, user, pcs)
        user_n += user
        idle_n += frames == ["[idle]"]
        selfc[frames[0]] += 1
        for f in set(frames):
            total[f] += 1
        root = comm if comm != "-" else "[scheduler]"
        folded[";".join([root] + frames[::-1])] += 1
    total_n = len(samples)
    n = total_n - idle_n
    del selfc["[idle]"], total["[idle]"]
    if n == 0:
        out.write("profile: no samples with a hart at work\n")
        return folded
    out.write("%d samples, %d idle (%.1f%%); of the %d at work: kernel "
              "%.1f%%, user %.1f%% (shares below are of those)\n\n"
              % (total_n, idle_n, 100.0 * idle_n / total_n, n,
                 100.0 * (n - user_n) / n, 100.0 * user_n / n))
    out.write("%7s %7s  %s\n" % ("self%", "total%", "function ([u]: user)"))
    for name, c in selfc.most_common(top):
        out.write("%6.1f%% %6.1f%%  %s\n"
                  % (100.0 * c / n, 100.0 * total[name] / n, name))
    out.write("\nby total (on the stack):\n")
    for name, c in total.most_common(top):
        out.write("%6.1f%% %6.1f%%  %s\n"
                  % (100.0 * selfc[name] / n, 100.0 * c / n, name))
    return folded


def collect(args):
    """Boot, drain, run, and return the /proc/profile text."""
    shutil.copyfile(args.fs, args.fs_copy)
    if args.swap:
        shutil.copyfile(args.swap, args.swap_copy)
    extra = [] if args.wall else ["-icount", bench.ICOUNT]
    extra += ["-append", "profile=%d" % args.period]
    ns = argparse.Namespace(qemu=args.qemu, kernel=args.kernel,
                            fs=args.fs_copy,
                            swap=args.swap_copy if args.swap else None,
                            mem=args.mem, cpus=str(args.cpus),
                            qemu_arg=extra, boot_timeout=args.boot_timeout)
    try:
        con = runner.boot(ns)
    except runner.BootError as err:
        raise SystemExit("profile: boot: %s" % err.args[0])
    try:
        # Empty the buffers (a read takes at most 4096 samples).
        bench.run_bench(con, "; ".join(["%s /proc/profile > /dev/null"
                                        % READER] * READS), 120)
        started = time.monotonic()
        text, status = bench.run_bench(con, args.cmd, args.timeout)
        print("profile: ran %s in %.1f s (exit status %d)"
              % (args.cmd, time.monotonic() - started, status), flush=True)
        if args.verbose:
            sys.stdout.write(text)
        reads = "; ".join("%s /proc/profile >> %s" % (READER, PROFILE_FILE)
                          for _ in range(READS))
        bench.run_bench(con, "rm -f %s; %s" % (PROFILE_FILE, reads), 600)
        runner.poweroff(con)
    except bench.BenchError as err:
        raise SystemExit("profile: %s" % err.args[0])
    finally:
        con.kill()
    out = subprocess.run(["debugfs", "-R", "cat " + PROFILE_FILE,
                          args.fs_copy], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("profile: debugfs: " + out.stderr.strip())
    return out.stdout


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--fs", default="build/fs.img")
    ap.add_argument("--fs-copy", default="build/profile-fs.img")
    ap.add_argument("--swap", default="build/swap.img")
    ap.add_argument("--swap-copy", default="build/profile-swap.img")
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--bench", help="a /tests/bench benchmark (bench -l)")
    ap.add_argument("--cmd", help="any shell command line instead")
    ap.add_argument("--period", type=int, default=20,
                    help="microseconds between samples (default 20)")
    ap.add_argument("--wall", action="store_true",
                    help="no -icount: sample host time")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--folded", default="build/profile.folded")
    ap.add_argument("--samples", help="read this /proc/profile text "
                    "instead of booting")
    ap.add_argument("--user-dir", action="append",
                    default=["build/user/tests", "build/user/bin"])
    ap.add_argument("--nm", default="riscv64-unknown-elf-nm")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--boot-timeout", type=float, default=60)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if not args.samples and not args.cmd:
        if not args.bench:
            ap.error("give --bench NAME, --cmd LINE or --samples FILE")
        args.cmd = "/tests/bench " + args.bench
    return args


def main(argv):
    args = parse_args(argv)
    if args.samples:
        with open(args.samples) as f:
            text = f.read()
    else:
        text = collect(args)
        with open(os.path.splitext(args.folded)[0] + ".txt", "w") as f:
            f.write(text)
    header, samples = parse_samples(text)
    if "off" in header:
        # The kernel refused the period (its console says why, e.g.
        # "profile: period 5 us too short, at least 10").
        print("profile: the kernel took no samples: profiling is off %s; "
              "its console tells why (a --period below the kernel's "
              "minimum, 10 us, is refused)" % header["off"], file=sys.stderr)
        return 1
    # The reads of /proc/profile after the run are sampled too: `cat`'s
    # samples are the tool's own, not the workload's.
    samples = [smp for smp in samples if smp[2] != READER]
    if header.get("dropped"):
        print("profile: %d samples dropped (buffers full): raise --period"
              % header["dropped"])
    sym = Symbolizer(args.nm, args.kernel, args.user_dir)
    folded = report(samples, sym, args.top)
    with open(args.folded, "w") as f:
        for stack, c in sorted(folded.items()):
            f.write("%s %d\n" % (stack, c))
    print("\nprofile: %d stacks folded into %s" % (len(folded), args.folded))
    return 0 if samples else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
