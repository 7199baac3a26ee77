"""Speed of the memory hierarchy's access path (host ns per simulated access).

    python benchmarks/cache_speed.py [--n 2000000] [--prefetcher stream]

Cases, each with the fully-associative miss-classification shadow on and off:
  l1_hit     loads cycling over 4 KiB (every access hits the 32 KiB L1D after warm-up)
  l2_hit     loads cycling over 128 KiB at 64 B stride (L1D misses, L2 hits)
  dram_miss  loads at 64 B stride over 256 MiB (misses everywhere, DRAM row hits/conflicts)
--prefetcher NAME puts that prefetcher (caches/prefetchers/, default parameters) on the
L1D; "python" runs a next-line prefetcher written in Python, to show the slow path's cost.
Times are process CPU time (best of 3), so a busy host inflates them less than wall time.
The accesses go through caches.cache.run_stream (the nogil loop a core uses), so the time
includes one virtual call into the L1 per access, as in the timing model.
"""
import argparse
import platform
import time
from types import SimpleNamespace

import numpy as np

from caches.build import build_hierarchy

LOAD = 1


class _NextLinePy:
    """A next-line prefetcher in Python (the cost of the Python prefetcher's slow path)."""

    def on_access(self, pc, addr, hit, kind):
        return [] if hit else [addr + self.line_size]


def default_hierarchy(classify, prefetcher="none"):
    c = {"line_size": 64, "policy": "lru", "write_policy": "write_back", "write_allocate": True,
             "inclusion": "non_inclusive", "mshrs": 8, "seed": 1}
    mem = SimpleNamespace(kind="dram", latency=100, banks=8, row_size=8192, tRCD=13.75e-9,
                          tCL=13.75e-9, tRP=13.75e-9, tBURST=2.5e-9,
                          controller_latency=10e-9, mapping="row_bank_column")
    return build_hierarchy(SimpleNamespace(size=32768, assoc=4, hit_latency=1, **c),
                           SimpleNamespace(size=32768, assoc=8, hit_latency=1,
                                           prefetcher=prefetcher, **_pf_params(prefetcher),
                                           **c),
                           SimpleNamespace(size=262144, assoc=8, hit_latency=12, **c),
                           None, mem, 2e9, classify_misses=classify)


def _pf_params(prefetcher):
    if prefetcher != "python":
        return {}
    from caches.prefetchers import PREFETCHERS
    return {"prefetcher_params": PREFETCHERS.get("python").params(cls=_NextLinePy)}


def measure(addrs, classify, repeat=3, prefetcher="none"):
    kinds = np.full(len(addrs), LOAD, dtype=np.uint8)
    best = float("inf")
    for _ in range(repeat):
        h = default_hierarchy(classify, prefetcher)
        h.run_stream(addrs[: min(len(addrs), 1 << 16)], kinds[: min(len(addrs), 1 << 16)])
        # CPU time of this process: robust to other jobs sharing the host's cores
        t = time.process_time()
        h.run_stream(addrs, kinds)
        best = min(best, time.process_time() - t)
    return best / len(addrs) * 1e9, h.stats()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="accesses per case")
    ap.add_argument("--prefetcher", default="none", help="prefetcher on the L1D")
    args = ap.parse_args()
    n = args.n
    i = np.arange(n, dtype=np.uint64)
    cases = {
        "l1_hit": (i * 8) % 4096,
        "l2_hit": 0x100000 + (i * 64) % 131072,
        "dram_miss": 0x10000000 + (i * 64) % (256 << 20),
    }
    print(f"host: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, l1d prefetcher {args.prefetcher}")
    print(f"{'case':10} {'classify':>8} {'ns/access':>10} {'M acc/s':>8}  check")
    for name, addrs in cases.items():
        for classify in (True, False):
            ns, s = measure(addrs.astype(np.uint64), classify, prefetcher=args.prefetcher)
            check = (f"l1d miss rate {s['l1d.miss_rate']:.3f}, "
                     f"l2 miss rate {s['l2.miss_rate']:.3f}")
            print(f"{name:10} {classify!s:>8} {ns:10.1f} {1e3 / ns:8.1f}  {check}")


if __name__ == "__main__":
    main()
