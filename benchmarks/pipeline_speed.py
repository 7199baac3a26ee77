"""Speed of the in-order timing model: simulated instructions per second of consume().

Feeds a synthetic stream (pipeline._testing.run_synthetic: a 64-instruction loop body,
25% loads, 10% stores, 12% branches, data footprint 64 KiB) in a nogil loop, so the number
measures the timing model (pipeline + branch predictor + caches), not the functional core.

    python benchmarks/pipeline_speed.py [instructions]

Data footprint 64 KiB (half the loads miss the 32 KiB L1D) unless the line says 16 KiB.
Machines: "ideal" (1-cycle fixed-latency L1s) and "default" (the default core, gshare,
32 KiB L1I/L1D, 256 KiB L2, DRAM, built from the config dataclasses).
"""
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline._testing import FixedLevel, run_synthetic
from pipeline.inorder import InOrderCore
from pipeline.model import TimingModel


def default_machine(classify_misses):
    from caches.build import build_hierarchy
    from caches.config import MemoryConfig, default_cache
    from pipeline.build import build_core
    from pipeline.config import BranchPredictorConfig, CoreConfig

    core_cfg, bp = CoreConfig(), BranchPredictorConfig()
    h = build_hierarchy(default_cache("l1i"), default_cache("l1d"), default_cache("l2"), None,
                        MemoryConfig(), core_cfg.frequency, classify_misses=classify_misses)
    return build_core(core_cfg, bp, h.l1i, h.l1d)


def measure(name, core, n, footprint=1 << 16):
    run_synthetic(core, n // 10, footprint=footprint)     # warm caches and predictor
    # CPU time of this process: the wall clock is unreliable on a shared, loaded machine
    t = time.process_time()
    run_synthetic(core, n, seed=7, footprint=footprint)
    dt = time.process_time() - t
    cpi = core.stats()["core.cpi"] if hasattr(core, "stats") else 1.0
    print(f"{name:28s} {n / dt / 1e6:7.2f} M instr/s  {1e9 * dt / n:6.1f} ns/instr  "
          f"CPI {cpi:.3f}")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{n} synthetic instructions")
    # the stream generator and the call alone (CPI-1 model): subtract it from the others
    measure("generator only (CPI=1 model)", TimingModel(), n)
    measure("ideal L1s", InOrderCore(FixedLevel(1), FixedLevel(1)), n)
    try:
        measure("default machine", default_machine(False), n)
        measure("default machine, 16 KiB data", default_machine(False), n, footprint=1 << 14)
        measure("default machine + 3C shadow", default_machine(True), n)
    except ImportError as e:
        print("default machine not available:", e)


if __name__ == "__main__":
    main()
