#!/usr/bin/env python3
"""Boot Pagoda again and again: each boot must reach the shell prompt and
power off cleanly within a time limit. A failed boot's console is saved under
the output folder; for a hang, also every hart's registers from the QEMU
monitor (`info registers -a`). The last line is "N boots, K failures".

Usage: tools/bootloop.py -n 500 --cpus 2   (or `make bootloop N=500 CPUS=2`)
Python 3 standard library only. Disk writes go to QEMU's -snapshot overlay,
so every boot starts from the same image and the build's images stay as
they are.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time

PROMPT_RE = re.compile(r"(?m)^\$ ")
# The same panic line tests/run.py looks for, and a trap before the kernel's
# own vector (boot_trap panics, but say which).
PANIC_RE = re.compile(r"(?mi)^(?:\[[^\]\n]*\]\s*|hart ?\d+:?\s*)?"
                      r"(?:kernel )?panic\b[:!( ][^\n]*")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STALE_RE = re.compile(r"(?m)^hart \d+ up as cpu \d+ \(firmware[^\n]*")
MONITOR_WAIT = 5.0          # seconds for the monitor to answer
PANIC_GRACE = 2.0           # seconds to collect a panic's backtrace
POWEROFF_WAIT = 30.0        # seconds from `poweroff` to QEMU's exit


class Boot:
    """One QEMU run: its process, the console text and the monitor socket."""

    def __init__(self, cmd, monitor_path):
        self.monitor_path = monitor_path
        self.text = ""
        self.cond = threading.Condition()
        self.eof = False
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
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
                self.text += data.decode("utf-8", "replace").replace("\r", "")
                self.cond.notify_all()

    def wait_for(self, pred, seconds):
        """Wait until pred(text), the end of output, or the time is up."""
        deadline = time.monotonic() + seconds
        with self.cond:
            while not pred(self.text) and not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.5))
            return pred(self.text)

    def send(self, data):
        try:
            self.proc.stdin.write(data.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def monitor(self, command):
        """Send one monitor command; its answer, or why there is none."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(MONITOR_WAIT)
                s.connect(self.monitor_path)
                out = b""
                deadline = time.monotonic() + MONITOR_WAIT
                sent = False
                while time.monotonic() < deadline:
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        break
                    if not chunk:
                        break
                    out += chunk
                    if out.rstrip().endswith(b"(qemu)"):
                        if sent:
                            break
                        s.sendall(command.encode() + b"\n")
                        sent = True
                text = out.decode("utf-8", "replace").replace("\r", "")
                # Drop the monitor's line-editing echo of the command.
                lines = ANSI_RE.sub("", text).split("\n")
                return "\n".join(l for l in lines
                                  if not l.startswith("(qemu) i")) + "\n"
        except OSError as err:
            return "monitor unavailable: %s\n" % err

    def wait_exit(self, seconds):
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.reader.join(timeout=2)


def qemu_command(args, monitor_path):
    """The Makefile's QEMUOPTS, with -snapshot and a monitor socket."""
    return [args.qemu, "-machine", "virt", "-bios", "default",
            "-kernel", args.kernel, "-m", args.mem,
            "-smp", str(args.cpus), "-nographic", "-no-reboot", "-snapshot",
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=%s,if=none,format=raw,id=fs" % args.fs,
            "-device", "virtio-blk-device,drive=fs,bus=virtio-mmio-bus.0",
            "-drive", "file=%s,if=none,format=raw,id=swap" % args.swap,
            "-device", "virtio-blk-device,drive=swap,bus=virtio-mmio-bus.1",
            "-monitor", "unix:%s,server=on,wait=off" % monitor_path]


def boot_once(args, monitor_path):
    """Boot to the prompt and power off. Returns (problem or None, console,
    registers text or None, whether a secondary came up on stale firmware
    arguments)."""
    if os.path.exists(monitor_path):
        os.unlink(monitor_path)
    b = Boot(qemu_command(args, monitor_path), monitor_path)
    regs = None
    problem = None
    try:
        b.wait_for(lambda t: PROMPT_RE.search(t) or PANIC_RE.search(t),
                   args.timeout)
        if PANIC_RE.search(b.text):
            b.wait_for(lambda t: False, PANIC_GRACE)
            problem = "panic: " + PANIC_RE.search(b.text).group(0).strip()
        elif not PROMPT_RE.search(b.text):
            problem = ("QEMU exited before the prompt" if b.eof else
                       "hang: no prompt within %.0f s" % args.timeout)
        else:
            time.sleep(0.2)
            b.send("poweroff\n")
            status = b.wait_exit(POWEROFF_WAIT)
            if status is None:
                problem = "hang: poweroff did not end QEMU in %.0f s" % \
                    POWEROFF_WAIT
            elif status != 0:
                problem = "QEMU exit status %d" % status
            elif PANIC_RE.search(b.text):
                problem = "panic: " + PANIC_RE.search(b.text).group(0).strip()
        if problem is not None and b.proc.poll() is None:
            regs = b.monitor("info registers -a")
    finally:
        b.kill()
        if os.path.exists(monitor_path):
            os.unlink(monitor_path)
    return problem, b.text, regs, bool(STALE_RE.search(b.text))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--boots", type=int, default=500)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--fs", default="build/fs.img")
    ap.add_argument("--swap", default="build/swap.img")
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds from QEMU start to the prompt")
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop starting boots after this long (0: no limit)")
    ap.add_argument("--out", default="build/bootloop")
    args = ap.parse_args()

    for path in (args.kernel, args.fs, args.swap):
        if not os.path.exists(path):
            sys.exit("bootloop: missing %s (run `make build` first)" % path)
    os.makedirs(args.out, exist_ok=True)
    monitor_path = os.path.join(args.out, "monitor-%d.sock" % os.getpid())
    start = time.monotonic()
    boots = failures = stale = 0
    for i in range(1, args.boots + 1):
        if args.max_seconds and time.monotonic() - start > args.max_seconds:
            print("bootloop: time budget of %.0f s used, stopping"
                  % args.max_seconds)
            break
        t0 = time.monotonic()
        problem, console, regs, was_stale = boot_once(args, monitor_path)
        boots += 1
        stale += was_stale
        if was_stale:           # the race of issue 6 point 5, survived
            with open(os.path.join(args.out, "stale-%dcpu-%03d-console.txt"
                                   % (args.cpus, i)), "w") as f:
                f.write(console)
        if problem is None:
            if i % 10 == 0:
                print("boot %d ok (%.1f s)" % (i, time.monotonic() - t0),
                      flush=True)
            continue
        failures += 1
        base = os.path.join(args.out, "fail-%dcpu-%03d" % (args.cpus, i))
        with open(base + "-console.txt", "w") as f:
            f.write(console)
        if regs is not None:
            with open(base + "-regs.txt", "w") as f:
                f.write(regs)
        print("boot %d FAILED: %s (saved %s-*)" % (i, problem, base),
              flush=True)
    print("%d harts: %d boots with a secondary on stale firmware arguments "
          "(recovered)" % (args.cpus, stale))
    print("%d boots, %d failures" % (boots, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
