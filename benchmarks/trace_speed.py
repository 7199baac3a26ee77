"""Trace-driven speed: accesses per second from a NumPy array through an L1+L2 LRU hierarchy,
and text-trace reading speed (lackey, din). Issue 12's targets: 50 M accesses/s, 5 M lines/s.

    python benchmarks/trace_speed.py [--n 10000000] [--repeat 3]

Prints one line per case: the median of --repeat runs. The streams: "hits" (a 16 KiB
working set: every access an L1 hit after the first touch), "l2" (1 MiB: L1 misses that hit
in a 2 MiB L2) and "mixed" (60 % in 16 KiB, 40 % in 64 MiB). Each stream is run counts only
(timing=False: the counting kernel, the numbers pycachesim and DineroIV give) and timed
(latencies, MSHRs, ports, DRAM timing). The 1-minute load average is printed first.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cyclesim.caches as cc  # noqa: E402

OVERRIDES = {"l1d.size": "32KiB", "l1d.assoc": 8, "l1d.policy": "lru", "l2.size": "2MiB",
             "l2.assoc": 16, "l2.policy": "lru"}


def streams(n, rng):
    kind = rng.choice(np.array([1, 2], np.uint8), n, p=[0.7, 0.3])
    small = rng.integers(0, 1 << 14, n) & ~7
    mid = rng.integers(0, 1 << 20, n) & ~7
    big = rng.integers(0, 1 << 26, n) & ~7
    mixed = np.where(rng.random(n) < 0.6, small, big)
    size = np.full(n, 8, np.uint16)
    for name, a in (("hits", small), ("l2", mid), ("mixed", mixed)):
        yield name, {"addr": a.astype(np.uint64), "size": size, "kind": kind}


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} host cores")
    rng = np.random.default_rng(1)
    for name, tr in streams(a.n, rng):
        for timing, label in ((False, "counts"), (True, "timed")):
            dt = timed(lambda: cc.simulate(tr, overrides=OVERRIDES, timing=timing), a.repeat)
            print(f"simulate  {name:<6} {label:<6} {a.n / dt / 1e6:7.1f} M accesses/s")
    tr = next(streams(a.n, rng))[1]
    dt = timed(lambda: cc.miss_ratio_curve(tr, sets=64), a.repeat)
    print(f"mrc       sets=64 {a.n / dt / 1e6:7.1f} M accesses/s")
    with tempfile.TemporaryDirectory() as d:
        lk = Path(d) / "t.lackey"
        din = Path(d) / "t.din"
        m = min(a.n, 5_000_000)
        addrs = tr["addr"][:m]
        with open(lk, "w") as f:
            f.writelines(f" L {x:08x},8\n" for x in addrs.tolist())
        with open(din, "w") as f:
            f.writelines(f"0 {x:x}\n" for x in addrs.tolist())
        for p in (lk, din):
            dt = timed(lambda: sum(len(c) for c in cc.Trace(p).chunks()), a.repeat)
            print(f"read      {p.suffix[1:]:<6} {m / dt / 1e6:7.1f} M lines/s "
                  f"({os.path.getsize(p) / dt / 1e6:.0f} MB/s)")


if __name__ == "__main__":
    main()
