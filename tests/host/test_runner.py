#!/usr/bin/env python3
"""Host test of tests/run.py's per-suite machine settings: the
`pagoda-test:` line parser, the grouping of suites into boots, the time
limit's precedence, the swap image it makes per boot (util-linux's
mkswap header, the requested size) and the EXPECT_CONSOLE check. Prints
TAP; standard library only. Run by `make host-test` (tests/host/runner.mk).
"""

import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import run  # noqa: E402  (tests/run.py)
from taplib import ok, plan  # noqa: E402  (tests/host/taplib.py)

SWAP_MAGIC = b"SWAPSPACE2"
PAGE = 4096
MIB = 1024 * 1024


def raises(fn, *a):
    try:
        fn(*a)
    except ValueError as err:
        return str(err)
    return None


def write(d, name, text):
    with open(os.path.join(d, name + ".c"), "w") as f:
        f.write(text)


def test_parse():
    got = run.parse_settings_text("/* pagoda-test: MEM=64M SWAP=256M CPUS=4 TIMEOUT=600 */\n")
    ok(got == {"MEM": "64M", "SWAP": "256M", "CPUS": "4", "TIMEOUT": "600"},
       "one line, four keys", got)
    got = run.parse_settings_text("/*\n * pagoda-test: MEM=1G\n */\nint x;\n"
                                  "/* pagoda-test: EXPECT_CONSOLE=^a (b) [0-9]+$ */\n")
    ok(got == {"MEM": "1G", "EXPECT_CONSOLE": "^a (b) [0-9]+$"},
       "inside a block comment; EXPECT_CONSOLE keeps its spaces", got)
    ok(run.parse_settings_text("int main(void) { return 0; }\n") == {},
       "no line: no settings")
    for bad in ("/* pagoda-test: FOO=1 */", "/* pagoda-test: MEM=64K */",
                "/* pagoda-test: CPUS=0 */", "/* pagoda-test: CPUS=99 */",
                "/* pagoda-test: TIMEOUT=1.5 */", "/* pagoda-test: MEM */",
                "/* pagoda-test: EXPECT_CONSOLE=( */",
                "/* pagoda-test: APPEND='a */"):
        ok(raises(run.parse_settings_text, bad) is not None, "refused: %s" % bad)
    ok(run.size_mib("64M") == 64 and run.size_mib("1G") == 1024 and
       run.size_mib("300") == 300, "sizes: 64M, 1G, plain MiB")


def test_plan(d):
    write(d, "a", "/* pagoda-test: MEM=64M SWAP=256M TIMEOUT=600 */\n")
    write(d, "b", "/* pagoda-test: SWAP=256M MEM=64M */\n")
    write(d, "c", "/* pagoda-test: MEM=64M SWAP=64M */\n")
    write(d, "same", "/* pagoda-test: MEM=256M CPUS=4 SWAP=64M */\n")
    write(d, "bad", "/* pagoda-test: RAM=1G */\n")
    write(d, "prof", "/* pagoda-test: APPEND=profile=50 */\n")
    swap = os.path.join(d, "swap.img")
    with open(swap, "wb") as f:
        f.truncate(64 * MIB)
    args = run.parse_args(["--src-dir", d, "--swap", swap, "--mem", "256M",
                           "--cpus", "4", "--timeout", "300"])
    groups = run.plan_suites(args, ["x", "a", "c", "b:30", "same", "bad",
                                    "persist", "prof"], {})
    shape = [(m.key(), [(p.name, p.timeout, p.error is not None) for p in pl])
             for m, pl in groups]
    want = [((256, None, 4, None),
             [("x", 300.0, False), ("same", 300.0, False),
              ("bad", 300.0, True), ("persist", 300.0, False)]),
            ((64, 256, 4, None), [("a", 600.0, False), ("b", 30.0, False)]),
            ((64, None, 4, None), [("c", 300.0, False)]),
            ((256, None, 4, "profile=50"), [("prof", 300.0, False)])]
    ok(shape == want, "grouped by machine, default first, then by first "
       "appearance; NAME:SECONDS over TIMEOUT; the default image's size "
       "keeps the image; a bad line is not run; APPEND boots apart",
       "%r\n!= %r" % (shape, want))
    over = run.parse_overrides(["MEM=1G"])
    groups = run.plan_suites(args, ["x", "a"], over)
    ok([m.key() for m, _ in groups] == [(1024, None, 4, None),
                                        (1024, 256, 4, None)],
       "--set MEM=1G over every suite's own", [m.key() for m, _ in groups])
    ok(raises(run.parse_overrides, ["CPUS=x"]) is not None, "--set CPUS=x refused")


def test_image(d):
    path = os.path.join(d, "t.img")
    if shutil.which("mkswap") is None and not os.path.exists("/sbin/mkswap"):
        ok(False, "mkswap (util-linux) is installed")
        return
    run.make_swap_image(path, 3)
    with open(path, "rb") as f:
        head = f.read(PAGE)
    last_page = struct.unpack_from("<I", head, 1024 + 4)[0]
    label = head[1024 + 28:1024 + 44].rstrip(b"\0")
    ok(os.path.getsize(path) == 3 * MIB and head[PAGE - 10:] == SWAP_MAGIC and
       last_page == 3 * MIB // PAGE - 1 and label == run.SWAP_LABEL.encode(),
       "a 3 MiB mkswap image: SWAPSPACE2, last page %d, label %r" % (last_page, label))
    run.remove_temp_files()
    ok(not os.path.exists(path), "removed when the group ends")


def test_console():
    text = "$ /tests/oomkill\npagoda: out of memory: killed pid 7 (hog), rss 61440 kB, swap 65536 kB\nok 1\n"
    regex = r"^pagoda: out of memory: killed pid [0-9]+ \(hog\), rss [0-9]+ kB, swap [0-9]+ kB$"
    s = run.check_console("oomkill", regex, text)
    ok(s.ok() and s.name == "oomkill-console", "EXPECT_CONSOLE: the line is found")
    s = run.check_console("oomkill", regex, text.replace("(hog)", "(sh)"))
    ok(not s.ok(), "EXPECT_CONSOLE: another victim fails")


def main():
    d = tempfile.mkdtemp(prefix="test_runner.")
    try:
        test_parse()
        test_plan(d)
        test_image(d)
        test_console()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return plan()


if __name__ == "__main__":
    sys.exit(main())
