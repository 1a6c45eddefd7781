#!/usr/bin/env python3
"""The reference trace of `make bench`'s replacement benchmark, rebuilt
from its shape, and Belady's OPT (and FIFO, for comparison) on it.
Python 3 standard library only; tools/bench.py imports it. See
docs/bench.md, "Replacement quality".

The trace is the one /tests/swapbench trace runs (user/tests/swapbench.c,
swb_trace_run): each pass walks the cold pages 0..cold-1 in order, and
after each cold page references per_cold pages of the hot set (pages
cold..cold+hot-1) round-robin, the hot cursor carrying over from pass to
pass.

    bench_opt.py --cold C --hot H --per-cold R --passes P --frames F
                 [--write FILE]     also write the trace, one page a line
    bench_opt.py --self-test        known answers, as TAP (make test)

A fault on a page never referenced before is compulsory: in the kernel it
is a zero-fill fault, not a major one. So the figure compared with the
kernel's major faults is OPT's faults minus the compulsory ones.
"""

import argparse
import contextlib
import doctest
import heapq
import io
import random
import sys

FNV_OFFSET = 0xcbf29ce484222325         # FNV-1a, 64 bits, as swapbench.c
FNV_PRIME = 0x100000001b3
MASK64 = (1 << 64) - 1


def trace_pages(cold, hot, per_cold, passes):
    """The page numbers of the trace, in order (a list).

    >>> trace_pages(3, 2, 1, 2)
    [0, 3, 1, 4, 2, 3, 0, 4, 1, 3, 2, 4]
    >>> trace_pages(2, 3, 2, 1)
    [0, 2, 3, 1, 4, 2]
    """
    pages = []
    h = 0
    for _ in range(passes):
        for c in range(cold):
            pages.append(c)
            for _ in range(per_cold):
                pages.append(cold + h)
                h = (h + 1) % hot
    return pages


def trace_hash(pages):
    """FNV-1a over the page numbers, one 64-bit step per page, as
    swapbench.c computes it while it runs the trace.

    >>> trace_hash([]) == FNV_OFFSET
    True
    >>> trace_hash([0]) == FNV_OFFSET * FNV_PRIME % 2 ** 64
    True
    """
    h = FNV_OFFSET
    for p in pages:
        h = ((h ^ p) * FNV_PRIME) & MASK64
    return h


def next_uses(pages):
    """For each position i, the next position that references pages[i],
    or len(pages) if none."""
    n = len(pages)
    nxt = [n] * n
    seen = {}
    for i in range(n - 1, -1, -1):
        nxt[i] = seen.get(pages[i], n)
        seen[pages[i]] = i
    return nxt


def opt_faults(pages, frames):
    """Belady's OPT with `frames` page frames: on a fault with every frame
    full, evict the resident page whose next reference is farthest away
    (or never comes). Returns (faults, compulsory faults).

    >>> opt_faults([7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1], 3)
    (9, 6)
    """
    if frames < 1:
        raise ValueError("frames must be at least 1")
    nxt = next_uses(pages)
    resident = {}                       # page -> its next use
    heap = []                           # (-next use, page), stale allowed
    seen = set()
    faults = compulsory = 0
    for i, page in enumerate(pages):
        if page not in resident:
            faults += 1
            if page not in seen:
                compulsory += 1
                seen.add(page)
            if len(resident) == frames:
                while True:
                    use, victim = heapq.heappop(heap)
                    if resident.get(victim) == -use:
                        del resident[victim]
                        break
        resident[page] = nxt[i]
        heapq.heappush(heap, (-nxt[i], page))
    return faults, compulsory


def fifo_faults(pages, frames):
    """FIFO with `frames` page frames: evict the page resident longest.
    Returns (faults, compulsory faults).

    >>> fifo_faults([1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5], 3)[0]
    9
    >>> fifo_faults([1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5], 4)[0]
    10
    """
    order = []
    head = 0
    resident = set()
    seen = set()
    faults = compulsory = 0
    for page in pages:
        if page in resident:
            continue
        faults += 1
        if page not in seen:
            compulsory += 1
            seen.add(page)
        if len(resident) == frames:
            resident.discard(order[head])
            head += 1
        order.append(page)
        resident.add(page)
    return faults, compulsory


def brute_min_faults(pages, frames):
    """The fewest faults any replacement achieves, by search over every
    eviction choice (small traces only): the check on opt_faults."""
    best = {frozenset(): 0}
    for page in pages:
        nxt = {}
        for res, f in best.items():
            if page in res:
                choices = [res]
                cost = f
            elif len(res) < frames:
                choices = [res | {page}]
                cost = f + 1
            else:
                choices = [(res - {v}) | {page} for v in res]
                cost = f + 1
            for c in choices:
                if c not in nxt or nxt[c] > cost:
                    nxt[c] = cost
        best = nxt
    return min(best.values())


# ------------------------------------------------------------ self-test

def self_test():
    """Known answers and a brute-force check, printed as TAP."""
    checks = []

    def check(ok, desc):
        checks.append((bool(ok), desc))

    textbook = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]
    check(opt_faults(textbook, 3) == (9, 6), "OPT, textbook trace, 3 frames: 9")
    check(fifo_faults(textbook, 3) == (15, 6),
          "FIFO, textbook trace, 3 frames: 15")
    belady = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]
    check(fifo_faults(belady, 3)[0] == 9 and fifo_faults(belady, 4)[0] == 10,
          "FIFO shows Belady's anomaly: 9 faults with 3 frames, 10 with 4")
    check(opt_faults(belady, 3)[0] == 7 and opt_faults(belady, 4)[0] == 6,
          "OPT on the anomaly trace: 7 with 3 frames, 6 with 4")
    check(opt_faults([1, 2, 3, 1, 2, 3], 3) == (3, 3),
          "OPT with a frame per page: compulsory faults only")
    check(opt_faults([1, 2, 3, 1, 2, 3], 1) == (6, 3),
          "OPT with one frame: every change of page faults")
    cyclic = list(range(5)) * 4
    check(opt_faults(cyclic, 4) == (8, 5) and fifo_faults(cyclic, 4)[0] == 20,
          "a loop one page larger than memory: FIFO faults every time, "
          "OPT once per pass plus the compulsory ones")
    rng = random.Random(7)
    worst = None
    for _ in range(300):
        n = rng.randint(1, 14)
        pages = [rng.randint(0, 4) for _ in range(n)]
        frames = rng.randint(1, 4)
        if opt_faults(pages, frames)[0] != brute_min_faults(pages, frames):
            worst = (pages, frames)
            break
    check(worst is None, "OPT equals an exhaustive search on 300 random "
          "traces%s" % ("" if worst is None else " (not on %r)" % (worst,)))
    check(trace_pages(3, 2, 1, 2) == [0, 3, 1, 4, 2, 3, 0, 4, 1, 3, 2, 4],
          "trace: cold loop, hot set round-robin, cursor kept across passes")
    small = trace_pages(12, 4, 2, 3)
    check(opt_faults(small, 8)[0] <= fifo_faults(small, 8)[0],
          "OPT never faults more than FIFO on a benchmark-shaped trace")
    check(trace_hash([1, 2]) != trace_hash([2, 1]),
          "trace hash depends on the order")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        failed, tried = doctest.testmod(sys.modules[__name__])
    check(failed == 0 and tried > 0, "the %d doctests of this file" % tried)
    print("1..%d" % len(checks))
    for n, (ok, desc) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    for line in out.getvalue().splitlines():
        print("# " + line)
    return 0 if all(ok for ok, _ in checks) else 1


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cold", type=int)
    p.add_argument("--hot", type=int)
    p.add_argument("--per-cold", type=int)
    p.add_argument("--passes", type=int)
    p.add_argument("--frames", type=int)
    p.add_argument("--write", metavar="FILE",
                   help="write the trace there, one page number a line")
    p.add_argument("--self-test", action="store_true")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.self_test:
        return self_test()
    shape = (args.cold, args.hot, args.per_cold, args.passes, args.frames)
    if any(v is None or v < 1 for v in shape):
        print("bench_opt: give --cold --hot --per-cold --passes --frames "
              "(all at least 1), or --self-test", file=sys.stderr)
        return 2
    pages = trace_pages(args.cold, args.hot, args.per_cold, args.passes)
    if args.write:
        with open(args.write, "w") as f:
            f.writelines("%d\n" % p for p in pages)
    opt, opt_cold = opt_faults(pages, args.frames)
    fifo, fifo_cold = fifo_faults(pages, args.frames)
    print("references %d, pages %d, frames %d, hash %d"
          % (len(pages), args.cold + args.hot, args.frames, trace_hash(pages)))
    print("OPT  faults %d (major %d)" % (opt, opt - opt_cold))
    print("FIFO faults %d (major %d)" % (fifo, fifo - fifo_cold))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
