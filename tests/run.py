#!/usr/bin/env python3
"""Pagoda test runner: boots the kernel in QEMU, drives the shell over the
serial console, and grades TAP output (Python 3 standard library only).

Suites mode (make test): for each suite, type `/tests/leakcheck /tests/NAME`
at the shell, parse the TAP it prints, enforce a time limit, save the console
of a failing suite under build/test-logs/, then run host unit tests and
e2fsck, and write build/test-results/{results.tap,junit.xml,results.json}.
The last line printed is `N passed, N failed` (assertion counts).

A suite may declare its own machine in its source (user/tests/NAME.c), on
a line `/* pagoda-test: MEM=64M SWAP=256M CPUS=4 TIMEOUT=600 */`, and a
console text it expects (`EXPECT_CONSOLE=regex`, the rest of the line).
Suites sharing one machine run in one boot: first those with the default
machine, then each other machine in the order its first suite appears;
a SWAP size gets a fresh mkswap image under build/ for each boot.

Run mode (make run): `--run "CMD"` boots, types CMD, prints its output and
exits with its status.

See docs/testing.md.
"""

import argparse
import codecs
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

PROMPT = "$ "                       # the shell's prompt, at the start of a line
STATUS_MARK = "__PAGODA_STATUS="    # printed after each command with its status
BOOT_TIMEOUT = 90.0                 # seconds from QEMU start to the first prompt
POWEROFF_TIMEOUT = 30.0             # seconds for `poweroff` to end QEMU
TYPE_CHUNK = 8                      # characters typed before waiting for echo
ECHO_TIMEOUT = 2.0                  # seconds to wait for one chunk's echo
QUIET_TIME = 0.3                    # seconds of silence before typing
PANIC_GRACE = 2.0                   # seconds to collect a panic's backtrace
HOST_TEST_TIMEOUT = 300.0           # seconds per host unit-test binary
DEFAULT_SUITE_TIMEOUT = 300.0       # seconds per in-QEMU suite
DEFAULT_BUDGET = 780.0              # seconds for all suites together
# Seconds for all suites that declare their own machine, together (on top
# of DEFAULT_BUDGET): their boots and heavy paging do not eat the others'.
DEFAULT_SETTINGS_BUDGET = 1800.0
SWAP_LABEL = "pagoda-swap"          # as mkfs/mkimage.sh labels build/swap.img

# A kernel panic line: "panic: ...", "kernel panic ...", maybe after a
# "[hart 1]" or "hart 1:" prefix. Test output never starts a line this way.
PANIC_RE = re.compile(r"(?mi)^(?:\[[^\]\n]*\]\s*|hart ?\d+:?\s*)?"
                      r"(?:kernel )?panic\b[:!( ][^\n]*")
# The whole line, newline included: a partly received line must not match.
# Not anchored to a line start: a command whose output ends without a
# newline puts the mark after it. Digits only, so the echo of the typed
# line (the mark followed by `$?`) never matches.
STATUS_RE = re.compile(re.escape(STATUS_MARK) + r"(\d+)[ \t]*\n")
# init's line when the shell itself ended (user/bin/init.c): the typed
# command was `exit N` or killed the shell, so no status line will come.
SHELL_EXIT_RE = re.compile(r"init: shell (exited with status|killed by signal)"
                           r" (\d+)[ \t]*\n")
SIGNAL_STATUS_BASE = 128            # a shell's $? for a death by signal N
SHELL_RESTART_TIMEOUT = 10.0        # seconds for init's next shell prompt
PLAN_RE = re.compile(r"^\s*1\.\.(\d+)\s*(#.*)?$")
RESULT_RE = re.compile(r"^\s*(not )?ok\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
LEAK_RE = re.compile(r"^\s*(not )?ok - (?:no )?leak in ")
BAIL_RE = re.compile(r"^\s*Bail out!(.*)$")


class BootError(Exception):
    """QEMU did not reach the shell prompt."""


LIVE_CONSOLES = []                  # killed at exit, whatever happens


class Console:
    """A QEMU process and everything it has printed so far."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.text = ""                # console output, \r removed
        self.cond = threading.Condition()
        self.eof = False
        self.last_output = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        LIVE_CONSOLES.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                data = os.read(self.proc.stdout.fileno(), 4096)
            except (OSError, ValueError):
                data = b""
            with self.cond:
                if not data:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.text += decoder.decode(data).replace("\r", "")
                self.last_output = time.monotonic()
                self.cond.notify_all()

    def wait_for(self, pred, deadline):
        """Wait until pred(text) is true, the console closes, or the
        deadline (time.monotonic()) passes. Returns pred's last value."""
        with self.cond:
            while True:
                result = pred(self.text)
                if result or self.eof:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    return result
                self.cond.wait(min(left, 0.5))

    def wait_quiet(self, quiet, deadline):
        """Wait until nothing was printed for `quiet` seconds."""
        while time.monotonic() < deadline and not self.eof:
            idle = time.monotonic() - self.last_output
            if idle >= quiet:
                return
            time.sleep(quiet - idle)

    def send(self, data):
        try:
            self.proc.stdin.write(data.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def type_line(self, line):
        """Type line + newline in small pieces, waiting for each piece's
        echo, so the UART and the tty are never flooded."""
        for i in range(0, len(line), TYPE_CHUNK):
            chunk = line[i:i + TYPE_CHUNK]
            start = len(self.text)
            self.send(chunk)
            self.wait_for(lambda t: chunk in t[start:] or
                          len(t) - start >= len(chunk),
                          time.monotonic() + ECHO_TIMEOUT)
        self.send("\n")

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.reader.join(timeout=2)

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return False
        self.reader.join(timeout=2)
        return True


def qemu_command(args):
    """The QEMU command line; the same machine as the Makefile's QEMUOPTS."""
    return [args.qemu, "-machine", "virt", "-bios", "default",
            "-kernel", args.kernel, "-m", str(args.mem),
            "-smp", str(args.cpus), "-nographic", "-no-reboot",
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=%s,if=none,format=raw,id=fs" % args.fs,
            "-device", "virtio-blk-device,drive=fs,bus=virtio-mmio-bus.0",
            "-drive", "file=%s,if=none,format=raw,id=swap" % args.swap,
            "-device", "virtio-blk-device,drive=swap,bus=virtio-mmio-bus.1",
            ] + args.qemu_arg


def prompt_at(text, start):
    """Index just past the first prompt at a line start at or after start,
    or -1."""
    pos = start
    while True:
        i = text.find(PROMPT, pos)
        if i < 0:
            return -1
        if i == 0 or text[i - 1] == "\n":
            return i + len(PROMPT)
        pos = i + 1


def tail(text, lines=40):
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


def boot(args):
    """Start QEMU and wait for the shell's first prompt."""
    for path in (args.kernel, args.fs, args.swap):
        if not os.path.exists(path):
            raise BootError("missing %s (run `make build` first)" % path)
    try:
        con = Console(qemu_command(args))
    except OSError as err:
        raise BootError("cannot start %s: %s" % (args.qemu, err))
    deadline = time.monotonic() + args.boot_timeout
    found = con.wait_for(lambda t: prompt_at(t, 0) >= 0 or PANIC_RE.search(t),
                         deadline)
    if prompt_at(con.text, 0) < 0:
        if found:               # a panic: let the backtrace arrive
            con.wait_quiet(0.5, time.monotonic() + PANIC_GRACE)
        why = "the kernel panicked" if PANIC_RE.search(con.text) else (
            "QEMU exited" if con.eof else
            "no shell prompt %r within %.0f s" % (PROMPT, args.boot_timeout))
        con.kill()
        raise BootError("boot failed: %s\n--- console tail ---\n%s"
                        % (why, tail(con.text)), con.text)
    con.wait_quiet(QUIET_TIME, time.monotonic() + 5)
    return con


class CommandResult:
    def __init__(self):
        self.output = ""        # what the command printed
        self.console = ""       # everything from typing to the end
        self.status = None      # exit status text, None if it never ended
        self.shell_exited = False   # the command ended the shell itself
        self.problem = None     # "timeout", "panic", "qemu exited"
        self.seconds = None     # from typing the line to its status


def shell_exit_status(match):
    """The status text of init's shell-exit line, as the shell's $? would
    give it."""
    n = int(match.group(2))
    if match.group(1).startswith("killed"):
        n += SIGNAL_STATUS_BASE
    return str(n)


def first_match(*matches):
    """The match that starts first, ignoring None."""
    found = [m for m in matches if m]
    return min(found, key=lambda m: m.start()) if found else None


def run_command(con, line, timeout):
    """Type line followed by a status echo and wait for the status: the
    echo's, or the shell's own exit status if the line ended the shell
    (init then reports it and starts a new shell)."""
    res = CommandResult()
    start = len(con.text)
    con.type_line("%s; echo %s$?" % (line, STATUS_MARK))
    deadline = time.monotonic() + timeout

    def done(text):
        return (STATUS_RE.search(text, start) or PANIC_RE.search(text, start)
                or SHELL_EXIT_RE.search(text, start))
    con.wait_for(done, deadline)
    res.seconds = timeout - (deadline - time.monotonic())
    status = STATUS_RE.search(con.text, start)
    exited = SHELL_EXIT_RE.search(con.text, start)
    panic = PANIC_RE.search(con.text, start)
    mark = first_match(status, exited)
    if panic and (not mark or panic.start() < mark.start()):
        con.wait_quiet(0.5, time.monotonic() + PANIC_GRACE)
        res.problem = "kernel panic: " + panic.group(0).strip()
        mark = None
    elif mark:
        res.status = mark.group(1) if mark is status else \
            shell_exit_status(mark)
        res.shell_exited = mark is exited
        con.wait_for(lambda t: prompt_at(t, mark.end()) >= 0,
                     time.monotonic() + (SHELL_RESTART_TIMEOUT
                                         if res.shell_exited else 5))
    elif con.eof:
        res.problem = "QEMU exited"
    else:
        res.problem = "timed out after %.0f s" % timeout
    res.console = con.text[start:]
    body = con.text[start:mark.start() if mark else len(con.text)]
    nl = body.find("\n")        # drop the echo of the typed line
    res.output = body[nl + 1:] if nl >= 0 else ""
    return res


def poweroff(con):
    if con.alive():
        con.type_line("poweroff")
        if con.wait_exit(POWEROFF_TIMEOUT):
            return True
    con.kill()
    return False


# ---------------------------------------------------------------- TAP

class Assertion:
    def __init__(self, ok, num, desc, diag=""):
        self.ok = ok
        self.num = num
        self.desc = desc
        self.diag = diag


class Suite:
    """One graded unit: an in-QEMU suite, a leak check, a host test binary
    or the e2fsck check."""

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind
        self.plan = None
        self.asserts = []
        self.problems = []      # failures not tied to one assertion
        self.console = ""
        self.seconds = 0.0
        self.log = None

    def passed_count(self):
        return sum(1 for a in self.asserts if a.ok)

    def failed_count(self):
        failed = sum(1 for a in self.asserts if not a.ok)
        if self.problems:
            missing = 0
            if self.plan is not None:
                missing = max(0, self.plan - len(self.asserts))
            failed += max(1, missing)
        return failed

    def ok(self):
        return self.failed_count() == 0

    def summary(self):
        if self.ok():
            return "%d/%d ok" % (self.passed_count(), len(self.asserts))
        bits = ["%s" % p for p in self.problems]
        bad = [a for a in self.asserts if not a.ok]
        bits += ["not ok %s - %s" % (a.num, a.desc) for a in bad[:10]]
        if len(bad) > 10:
            bits.append("... %d more" % (len(bad) - 10))
        return "; ".join(bits)


def parse_tap(suite, lines, need_plan=True):
    """Fill suite from TAP lines: plan, ok / not ok, # diagnostics."""
    last = None
    expect = 1
    for line in lines:
        if line.lstrip().startswith("#"):
            if last is not None:
                last.diag += line.strip() + "\n"
            continue
        m = PLAN_RE.match(line)
        if m:
            if suite.plan is not None:
                suite.problems.append("two plans")
            suite.plan = int(m.group(1))
            continue
        m = BAIL_RE.match(line)
        if m:
            suite.problems.append("bailed out:" + m.group(1))
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        desc = m.group(3).strip()
        ok = m.group(1) is None
        if re.search(r"#\s*TODO\b", desc, re.I):
            ok = True
        num = int(m.group(2)) if m.group(2) else expect
        if num != expect:
            suite.problems.append("test %d printed where %d was expected"
                                  % (num, expect))
        expect = num + 1
        last = Assertion(ok, num, desc)
        suite.asserts.append(last)
    if need_plan and suite.plan is None:
        suite.problems.append("no plan (1..N) printed")
    elif suite.plan is not None and suite.plan != len(suite.asserts):
        suite.problems.append("planned %d tests, saw %d"
                              % (suite.plan, len(suite.asserts)))


def split_leak_lines(text):
    """Separate leakcheck's result from the suite's own TAP stream."""
    own, leak = [], []
    for line in text.split("\n"):
        if LEAK_RE.match(line) or line.lstrip().startswith("# leakcheck"):
            leak.append(line)
        else:
            own.append(line)
    return own, leak


# ---------------------------------------------------------------- suites

def parse_suite_spec(spec, default_timeout):
    """NAME or NAME:SECONDS."""
    name, _, secs = spec.partition(":")
    return name, float(secs) if secs else default_timeout


# ---------------------------------------------------------------- settings

# `/* pagoda-test: KEY=VALUE ... */` in a suite's source; EXPECT_CONSOLE
# takes the rest of the line (up to `*/`), so its regex may hold spaces.
SETTINGS_RE = re.compile(r"(?m)^\s*/?\*?\s*pagoda-test:[ \t]*(.*?)[ \t]*(?:\*/)?[ \t]*$")
SIZE_RE = re.compile(r"^([1-9][0-9]*)([MG]?)$")
SETTING_KEYS = ("MEM", "SWAP", "CPUS", "TIMEOUT", "APPEND")
EXPECT_KEY = "EXPECT_CONSOLE="
MAX_CPUS = 8                        # QEMU virt's limit for Pagoda's boot


def size_mib(text):
    """A size as QEMU's -m and mkimage.sh take it (64M, 1G, plain MiB) in
    MiB; ValueError if it is none."""
    m = SIZE_RE.match(str(text).strip().upper())
    if not m:
        raise ValueError("%r is not a size such as 64M or 1G" % text)
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def check_setting(key, value):
    """ValueError unless value suits key."""
    if key in ("MEM", "SWAP"):
        size_mib(value)
    elif key == "CPUS":
        if not value.isdigit() or not 1 <= int(value) <= MAX_CPUS:
            raise ValueError("CPUS=%s: want 1 to %d" % (value, MAX_CPUS))
    elif key == "TIMEOUT":
        if not value.isdigit() or int(value) < 1:
            raise ValueError("TIMEOUT=%s: want whole seconds" % value)
    elif key == "APPEND":               # one kernel command-line word
        if not value or any(c in value for c in "\"'\\"):
            raise ValueError("APPEND=%s: want one word, no quotes" % value)
    else:
        raise ValueError("unknown setting %s (known: %s, EXPECT_CONSOLE)"
                         % (key, ", ".join(SETTING_KEYS)))


def parse_settings_text(text):
    """The settings of every pagoda-test line in a suite's source, as a
    dict of the keys present. ValueError on a malformed line."""
    found = {}
    for m in SETTINGS_RE.finditer(text):
        body = m.group(1)
        head, sep, regex = body.partition(EXPECT_KEY)
        if sep:
            regex = regex.strip()
            try:
                re.compile(regex)
            except re.error as err:
                raise ValueError("EXPECT_CONSOLE=%s: %s" % (regex, err))
            if not regex:
                raise ValueError("EXPECT_CONSOLE is empty")
            found["EXPECT_CONSOLE"] = regex
        for item in head.split():
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError("%r is not KEY=VALUE" % item)
            check_setting(key, value)
            found[key] = value
    return found


def suite_settings(src_dir, name, overrides):
    """What suite name declares in src_dir/NAME.c (nothing for a suite
    without a source, like persist), then overrides (--set) on top."""
    found = {}
    path = os.path.join(src_dir, name + ".c") if src_dir else None
    if path and os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            found = parse_settings_text(f.read())
    found.update(overrides)
    return found


def parse_overrides(items):
    """--set KEY=VALUE items as a dict; ValueError on a bad one."""
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError("--set %r is not KEY=VALUE" % item)
        if key == "EXPECT_CONSOLE":
            re.compile(value)
        else:
            check_setting(key, value)
        out[key] = value
    return out


class Machine:
    """What one boot looks like: RAM and swap in MiB, harts, and a kernel
    command line (APPEND, or None). swap_mib is None for the default image
    (--swap)."""

    def __init__(self, mem_mib, swap_mib, cpus, append=None):
        self.mem_mib = mem_mib
        self.swap_mib = swap_mib
        self.cpus = cpus
        self.append = append

    def key(self):
        return (self.mem_mib, self.swap_mib, self.cpus, self.append)

    def describe(self, default_swap_mib):
        swap = self.swap_mib if self.swap_mib is not None else default_swap_mib
        return "MEM=%dM SWAP=%sM CPUS=%d%s" % (
            self.mem_mib, swap, self.cpus,
            " APPEND=" + self.append if self.append else "")


def default_machine(args):
    return Machine(size_mib(args.mem), None, int(args.cpus))


def image_mib(path):
    """The size of a swap image in MiB (rounded down), None if absent."""
    try:
        return os.path.getsize(path) // (1024 * 1024)
    except OSError:
        return None


def suite_machine(args, settings):
    """The machine a suite's settings ask for; a SWAP equal to the default
    image's size keeps that image."""
    base = default_machine(args)
    mem = size_mib(settings["MEM"]) if "MEM" in settings else base.mem_mib
    cpus = int(settings["CPUS"]) if "CPUS" in settings else base.cpus
    swap = None
    if "SWAP" in settings:
        swap = size_mib(settings["SWAP"])
        if swap == image_mib(args.swap):
            swap = None
    return Machine(mem, swap, cpus, settings.get("APPEND"))


class Planned:
    """One suite to run: its name, time limit and settings."""

    def __init__(self, name, timeout, settings, error=None):
        self.name = name
        self.timeout = timeout
        self.settings = settings
        self.error = error      # a malformed settings line: not run


def plan_suites(args, specs, overrides):
    """Group the suites by machine: [(Machine, [Planned])], the default
    machine first, then the others in the order of their first suite.
    A time limit given as NAME:SECONDS wins over the source's TIMEOUT."""
    groups = {}
    order = []
    base = default_machine(args)
    for spec in specs:
        name, _, secs = spec.partition(":")
        error = None
        try:
            settings = suite_settings(args.src_dir, name, overrides)
            machine = suite_machine(args, settings)
        except (ValueError, OSError, re.error) as err:
            settings, machine, error = {}, base, "bad pagoda-test line: %s" % err
        timeout = float(secs) if secs else float(settings.get("TIMEOUT", args.timeout))
        key = machine.key()
        if key not in groups:
            groups[key] = (machine, [])
            order.append(key)
        groups[key][1].append(Planned(name, timeout, settings, error))
    order.sort(key=lambda k: k != base.key())   # stable: default first
    return [groups[k] for k in order]


TEMP_FILES = []                     # removed at exit, whatever happens


def make_swap_image(path, mib):
    """A fresh swap image of mib MiB at path, made as mkimage.sh makes
    build/swap.img (sparse zeroes, then util-linux's mkswap). Raises
    BootError if mkswap fails."""
    if path not in TEMP_FILES:
        TEMP_FILES.append(path)
    with open(path, "wb") as f:
        f.truncate(mib * 1024 * 1024)
    os.chmod(path, 0o600)
    try:
        proc = subprocess.run(["mkswap", "-L", SWAP_LABEL, path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BootError("cannot run mkswap: %s" % err)
    if proc.returncode != 0:
        raise BootError("mkswap %s failed: %s" % (
            path, proc.stdout.decode("utf-8", "replace").strip()))


def remove_temp_files():
    while TEMP_FILES:
        try:
            os.unlink(TEMP_FILES.pop())
        except OSError:
            pass


def check_console(name, regex, console):
    """The suite NAME-console: the console text of the suite's run has a
    line matching its EXPECT_CONSOLE regex."""
    suite = Suite(name + "-console", "console")
    suite.plan = 1
    ok = re.search(regex, console, re.M) is not None
    suite.asserts.append(Assertion(
        ok, 1, "the console shows /%s/" % regex,
        "" if ok else "# no console line matched\n"))
    suite.console = console
    return suite


# A kernel warning about file data or metadata: the console is not an
# error channel, so a suite during which one is printed fails even when
# every assertion passed (ext2's mount line is not a warning).
KWARN_RE = re.compile(r"(?m)^(?:\[hart \d+\] )?"
                      r"((?:ext2|vnode_pager|vfs|bcache): (?!mounted)[^\n]*)")


def grade_suite_run(name, res):
    """Turn one command's result into the suite and its leak check."""
    suite = Suite(name, "qemu")
    leak = Suite(name + "-leak", "leak")
    suite.console = leak.console = res.console
    own, leak_lines = split_leak_lines(res.output)
    parse_tap(suite, own)
    for warning in KWARN_RE.findall(res.console):
        suite.problems.append("kernel warning: " + warning.strip())
    if res.problem:
        suite.problems.append(res.problem)
        leak.problems.append("not run: " + res.problem)
    else:
        parse_tap(leak, leak_lines, need_plan=False)
        if not leak.asserts:
            leak.problems.append("leakcheck printed no result")
        elif len(leak.asserts) > 1:
            leak.problems.append("leakcheck printed %d results"
                                 % len(leak.asserts))
    return suite, leak


PERSIST_FILE = "/home/persist.dat"


def run_persist(args, con, timeout, results):
    """Stores made through a MAP_SHARED mapping reach the disk: map, store
    and munmap in one boot, power off, boot the same image, read them back.
    Returns the console of the second boot, or None after a failure."""
    for phase in ("write", "check"):
        if phase == "check":
            if not poweroff(con):
                con = None
            try:
                con = boot(args)
            except BootError as err:
                suite = Suite("persist-check", "qemu")
                suite.problems.append(str(err.args[0]).split("\n")[0])
                results.append(suite)
                report(suite)
                return None
        res = run_command(con, "%s/persist %s %s" % (args.test_dir, phase,
                                                     PERSIST_FILE), timeout)
        suite = Suite("persist-" + phase, "qemu")
        suite.console = res.console
        parse_tap(suite, res.output.split("\n"))
        if res.problem:
            suite.problems.append(res.problem)
        results.append(suite)
        report(suite)
        if res.problem:
            con.kill()
            return None
    return con


SHELL_EXIT_SUITE = "run_shell_exit_status"
SHELL_EXIT_LIMIT = 30.0     # seconds: the wait for each command's status
# "At once": the bug was a wait of the whole suite limit (300 s) for a
# status that never came; a shell's exit and init's report take well under
# a second, so 10 s leaves room for a loaded host.
SHELL_EXIT_STATUS_SECONDS = 10.0
SIGKILL = 9


def run_shell_exit(con, timeout, results):
    """Regression test run_shell_exit_status (issue 6): a command line that
    ends the shell itself (`exit 3`, the shell killed) gives the shell's
    status at once, and init's next shell takes the next command; an
    output with no final newline still ends at its status. Returns
    the console, or None after a failure that needs a fresh boot."""
    suite = Suite(SHELL_EXIT_SUITE, "qemu")
    started = time.monotonic()
    # The last case is an output with no final newline: its status mark
    # comes on the same line as the output and must still be found.
    cases = [("exit 3", "3", None),
             ("kill -%d $$" % SIGKILL, str(SIGNAL_STATUS_BASE + SIGKILL), None),
             ("true", "0", None),
             ("echo -n .", "0", ".")]
    limit = min(timeout, SHELL_EXIT_LIMIT)
    num = 0
    for line, want, output in cases:
        res = run_command(con, line, limit)
        suite.console += res.console
        ended = want != "0"
        checks = [
            (res.problem is None and res.status == want,
             "`%s` gives status %s" % (line, want),
             "got status %r, problem %r" % (res.status, res.problem)),
            (res.shell_exited == ended,
             "the shell %s" % ("itself ended" if ended else "went on"),
             "shell_exited is %r" % res.shell_exited),
            (res.problem is None and
             res.seconds < SHELL_EXIT_STATUS_SECONDS,
             "the status within %.0f s" % SHELL_EXIT_STATUS_SECONDS,
             "took %.1f s" % (res.seconds or 0))]
        if output is not None:
            checks.append((res.output == output,
                           "the output is exactly %r" % output,
                           "output %r" % res.output))
        for ok, desc, diag in checks:
            num += 1
            suite.asserts.append(Assertion(ok, num, desc,
                                           "" if ok else "# " + diag + "\n"))
        if res.problem:
            suite.problems.append(res.problem)
            break
    suite.plan = 3 * len(cases) + sum(1 for c in cases if c[2] is not None)
    if len(suite.asserts) != suite.plan:
        suite.problems.append("planned %d tests, saw %d"
                              % (suite.plan, len(suite.asserts)))
    suite.seconds = time.monotonic() - started
    results.append(suite)
    report(suite)
    if suite.problems:
        con.kill()
        return None
    return con


def not_run(name, why, results, console=""):
    """Record suite name and its leak check as failed without running."""
    for s in (Suite(name, "qemu"), Suite(name + "-leak", "leak")):
        s.problems.append(why)
        s.console = console
        results.append(s)
        report(s)


def run_group(args, planned, budget_end, swap_mib, results):
    """Run the suites of one machine (args.mem, args.cpus) in one boot,
    rebooting after a hang or crash; with swap_mib, each boot gets a
    fresh swap image of that size at args.swap. Returns True if QEMU
    was powered off cleanly at the end."""
    con = None
    boot_failures = 0
    clean = True
    for entry in planned:
        name, timeout = entry.name, entry.timeout
        started = time.monotonic()
        if entry.error:
            not_run(name, entry.error, results)
            continue
        if boot_failures >= 2 or time.monotonic() >= budget_end:
            not_run(name, "not run: " + (
                "the kernel did not boot" if boot_failures >= 2 else
                "the time budget ran out"), results)
            continue
        if con is None or not con.alive():
            try:
                if swap_mib is not None:
                    make_swap_image(args.swap, swap_mib)
                con = boot(args)
                boot_failures = 0
            except BootError as err:
                boot_failures += 1
                con = None
                not_run(name, str(err.args[0]).split("\n")[0], results,
                        err.args[1] if len(err.args) > 1 else "")
                print("FAIL %s: %s" % (name, err.args[0]), flush=True)
                clean = False
                continue
        timeout = min(timeout, max(1.0, budget_end - time.monotonic()))
        if name == "persist":
            con = run_persist(args, con, timeout, results)
            clean = clean and con is not None
            continue
        if name == SHELL_EXIT_SUITE:
            con = run_shell_exit(con, timeout, results)
            clean = clean and con is not None
            continue
        res = run_command(con, "%s %s/%s" % (args.leakcheck, args.test_dir,
                                              name), timeout)
        suite, leak = grade_suite_run(name, res)
        suite.seconds = time.monotonic() - started
        results += [suite, leak]
        report(suite)
        report(leak)
        if "EXPECT_CONSOLE" in entry.settings:
            seen = check_console(name, entry.settings["EXPECT_CONSOLE"],
                                 res.console)
            results.append(seen)
            report(seen)
        if res.problem:          # hung or crashed: start afresh
            con.kill()
            con = None
            clean = False
    if con is not None:
        clean = poweroff(con) and clean
    return clean


def run_suites(args, specs, results):
    """Run the suites, one boot per machine (see plan_suites): the default
    machine's suites within --budget seconds, all the others together
    within --settings-budget more. Returns True if every QEMU was powered
    off cleanly."""
    try:
        overrides = parse_overrides(args.set)
    except (ValueError, re.error) as err:
        for spec in specs:
            not_run(spec.partition(":")[0], "bad --set: %s" % err, results)
        return False
    clean = True
    default_key = default_machine(args).key()
    settings_end = None
    scratch = os.path.dirname(os.path.abspath(args.fs))
    try:
        for n, (machine, planned) in enumerate(plan_suites(args, specs,
                                                           overrides)):
            gargs = argparse.Namespace(**vars(args))
            gargs.mem = "%dM" % machine.mem_mib
            gargs.cpus = str(machine.cpus)
            if machine.append:
                gargs.qemu_arg = list(args.qemu_arg or []) + ["-append",
                                                        machine.append]
            if machine.key() == default_key:
                budget_end = time.monotonic() + args.budget
            else:
                if settings_end is None:
                    settings_end = time.monotonic() + args.settings_budget
                budget_end = settings_end
                print("# boot %s: %s" % (machine.describe(image_mib(args.swap)),
                                         " ".join(p.name for p in planned)),
                      flush=True)
            if machine.swap_mib is not None:
                # Named after this runner, so two runs at once (or a
                # `make run` meanwhile) never share an image.
                gargs.swap = os.path.join(scratch, "test-swap-%d-%d.img"
                                          % (os.getpid(), n))
            clean = run_group(gargs, planned, budget_end, machine.swap_mib,
                              results) and clean
    finally:
        remove_temp_files()
    return clean


def run_host_test(path, results, timeout=HOST_TEST_TIMEOUT):
    """Run one host unit-test binary (TAP on stdout) within timeout
    seconds; labs/grade.py gives each its own limit."""
    suite = Suite("host:" + os.path.basename(path), "host")
    started = time.monotonic()
    try:
        proc = subprocess.run([path], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              timeout=timeout)
        out = proc.stdout.decode("utf-8", "replace")
        parse_tap(suite, out.split("\n"))
        if proc.returncode != 0:
            suite.problems.append("exit status %d" % proc.returncode)
    except subprocess.TimeoutExpired as err:
        out = (err.stdout or b"").decode("utf-8", "replace")
        parse_tap(suite, out.split("\n"))
        suite.problems.append("timed out after %.0f s" % timeout)
    except OSError as err:
        out = ""
        suite.problems.append("cannot run (did it build?): %s" % err)
    suite.console = out
    suite.seconds = time.monotonic() - started
    results.append(suite)
    report(suite)


def run_e2fsck(image, qemu_clean, results):
    suite = Suite("e2fsck", "fsck")
    try:
        proc = subprocess.run(["e2fsck", "-fn", image], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120)
        out = proc.stdout.decode("utf-8", "replace")
        ok = proc.returncode == 0
    except (OSError, subprocess.TimeoutExpired) as err:
        out, ok = "cannot run e2fsck: %s" % err, False
    if not qemu_clean:
        out += "\n(note: QEMU did not power off cleanly during the run)\n"
    suite.plan = 1
    suite.asserts.append(Assertion(ok, 1, "e2fsck -fn %s is clean" % image))
    suite.console = out
    results.append(suite)
    report(suite)


def report(suite):
    state = "PASS" if suite.ok() else "FAIL"
    print("%s %-22s %s (%.1f s)" % (state, suite.name, suite.summary(),
                                    suite.seconds), flush=True)


# ---------------------------------------------------------------- output

def save_logs(results, logdir):
    os.makedirs(logdir, exist_ok=True)
    for s in results:
        if s.ok():
            continue
        s.log = os.path.join(logdir, s.name.replace(":", "_") + ".log")
        with open(s.log, "w") as f:
            f.write("# %s: %s\n" % (s.name, s.summary()))
            f.write(s.console)


def write_tap(results, path):
    out = ["TAP version 13", "1..%d" % len(results)]
    for i, s in enumerate(results, 1):
        out.append("# Subtest: %s" % s.name)
        if s.plan is not None:
            out.append("    1..%d" % s.plan)
        for a in s.asserts:
            out.append("    %sok %d - %s" % ("" if a.ok else "not ", a.num,
                                             a.desc))
        for p in s.problems:
            out.append("    # %s" % p)
        out.append("%sok %d - %s" % ("" if s.ok() else "not ", i, s.name))
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_junit(results, path):
    root = ET.Element("testsuites")
    for s in results:
        ts = ET.SubElement(root, "testsuite", name=s.name,
                           tests=str(s.passed_count() + s.failed_count()),
                           failures=str(s.failed_count()),
                           time="%.3f" % s.seconds)
        for a in s.asserts:
            tc = ET.SubElement(ts, "testcase", classname=s.name,
                               name="%d - %s" % (a.num, a.desc))
            if not a.ok:
                ET.SubElement(tc, "failure", message=a.desc).text = a.diag
        if s.problems:
            tc = ET.SubElement(ts, "testcase", classname=s.name,
                               name="suite completes with its planned tests")
            ET.SubElement(tc, "failure", message="; ".join(s.problems)).text \
                = tail(s.console, 60)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_gradescope(results, path):
    tests = []
    for s in results:
        output = s.summary()
        if not s.ok():
            output = "".join(p + "\n" for p in s.problems) + "".join(
                "not ok %s - %s\n%s" % (a.num, a.desc, a.diag)
                for a in s.asserts if not a.ok)
            output += "--- console tail ---\n" + tail(s.console, 30)
        tests.append({"name": s.name, "score": 1.0 if s.ok() else 0.0,
                      "max_score": 1.0,
                      "status": "passed" if s.ok() else "failed",
                      "output": output})
    doc = {"tests": tests, "score": sum(t["score"] for t in tests)}
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------- modes

def run_mode(args):
    try:
        con = boot(args)
    except BootError as err:
        print("run.py: %s" % err.args[0], file=sys.stderr)
        return 1
    res = run_command(con, args.run, args.timeout)
    sys.stdout.write(res.output)
    sys.stdout.flush()
    if res.problem:
        print("run.py: %s\n--- console tail ---\n%s"
              % (res.problem, tail(res.console)), file=sys.stderr)
        con.kill()
        return 1
    poweroff(con)
    try:
        return int(res.status)
    except (TypeError, ValueError):
        print("run.py: the shell printed no exit status (%r)" % res.status,
              file=sys.stderr)
        return 1


def suites_mode(args):
    results = []
    specs = [s for s in " ".join(args.suites).split() if s]
    clean = True
    if specs:
        clean = run_suites(args, specs, results)
    for path in args.host_test:
        run_host_test(path, results)
    if args.e2fsck:
        run_e2fsck(args.fs, clean, results)
    save_logs(results, args.log_dir)
    os.makedirs(args.results_dir, exist_ok=True)
    write_tap(results, os.path.join(args.results_dir, "results.tap"))
    write_junit(results, os.path.join(args.results_dir, "junit.xml"))
    write_gradescope(results, os.path.join(args.results_dir, "results.json"))
    passed = sum(s.passed_count() for s in results)
    failed = sum(s.failed_count() for s in results)
    bad = [s for s in results if not s.ok()]
    if bad:
        print("failing: " + ", ".join(
            "%s (%s)" % (s.name, s.log) for s in bad))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or bad else 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kernel", default="build/kernel.elf")
    p.add_argument("--fs", default=None,
                   help="root image (default: build/fs.img with --run, "
                        "build/test-fs.img for suites)")
    p.add_argument("--swap", default="build/swap.img")
    p.add_argument("--cpus", default="4")
    p.add_argument("--mem", default="256M")
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="one extra QEMU argument (repeatable)")
    p.add_argument("--run", metavar="CMD",
                   help="run one shell command line and exit with its status")
    p.add_argument("--suites", nargs="*", default=[],
                   help="suite names, NAME or NAME:SECONDS")
    p.add_argument("--timeout", type=float, default=DEFAULT_SUITE_TIMEOUT,
                   help="seconds per suite (or for --run)")
    p.add_argument("--boot-timeout", type=float, default=BOOT_TIMEOUT)
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET,
                   help="seconds for the suites of the default machine")
    p.add_argument("--settings-budget", type=float,
                   default=DEFAULT_SETTINGS_BUDGET,
                   help="seconds for all suites declaring their own machine")
    p.add_argument("--src-dir", default="user/tests",
                   help="where NAME.c holds a suite's pagoda-test line")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting for every suite, over its own "
                        "(MEM, SWAP, CPUS, TIMEOUT, EXPECT_CONSOLE)")
    p.add_argument("--host-test", action="append", default=[],
                   metavar="PATH", help="host unit-test binary printing TAP")
    p.add_argument("--e2fsck", action="store_true",
                   help="check the root image with e2fsck -fn afterwards")
    p.add_argument("--leakcheck", default="/tests/leakcheck")
    p.add_argument("--test-dir", default="/tests")
    p.add_argument("--log-dir", default="build/test-logs")
    p.add_argument("--results-dir", default="build/test-results")
    args = p.parse_args(argv)
    if args.fs is None:
        args.fs = "build/fs.img" if args.run is not None else \
            "build/test-fs.img"
    return args


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.run is not None:
            return run_mode(args)
        return suites_mode(args)
    finally:
        for con in LIVE_CONSOLES:
            if con.alive():
                con.kill()
        remove_temp_files()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
