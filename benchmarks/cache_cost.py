"""Host instructions per simulated instruction of a timing run, by callgrind, in this
checkout and (optionally) another one: the cost of the cache levels on the timing path.

    python benchmarks/cache_cost.py                                  sort matmul ptrchase
    python benchmarks/cache_cost.py --checkouts .,/tmp/i10base --insts 1000000
    python benchmarks/cache_cost.py --workloads sort --configs l1_only

Each case is one child process under `valgrind --tool=callgrind --toggle-collect=` the
functional core's `run_c` (the simulation loop, timing model and caches included; start-up,
loading and building the machine excluded), running the workload's default arguments for
`--insts` instructions with `sample_interval=None`. The figures are the Ir inside run_c
over the instructions simulated, and the part of it inside the hierarchy (the inclusive
Ir of the L1s' Cache.access and Cache.block_op: every cache level, its policy, shadow and
prefetcher, and memory). Callgrind counts do not depend on the host's load.

With --streams, the cost per access of the hierarchy alone instead: callgrind Ir inside
caches.cache.run_stream per access, for benchmarks/cache_speed.py's hierarchy (32 KiB
L1s, 256 KiB L2, DRAM) with the 3C shadow on at every level and off, on its three address
streams (L1 hits, L2 hits, DRAM misses) of --accesses loads each.

Configs:
  default   the default machine (L1I, L1D, L2, DRAM)
  l1_only   the L1s alone over a flat 100-cycle memory (l2 = none, memory.kind = fixed):
            the cache levels and nothing below them
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)

CONFIGS = {
    "default": {},
    "l1_only": {"l2": None, "memory.kind": "fixed"},
}

CHILD = r"""
import json, sys
import cyclesim
name, insts, overrides = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
r = cyclesim.run(name, max_insts=insts, sample_interval=None, overrides=overrides,
                 progress=False)
print(json.dumps({"instructions": int(r.instructions), "cycles": int(r.stats["core.cycles"]),
                  "status": r.status}))
"""


# The hierarchy's entry points from a core with translation off (callgrind names the
# first level of a recursive call without a suffix: an L1's Cache.access includes the L2's
# and memory's below it).
ENTRIES = ("__pyx_f_6caches_5cache_5Cache_access", "__pyx_f_6caches_5cache_5Cache_block_op")


def measure(root, workload, insts, overrides):
    """(host instructions per simulated instruction inside run_c, of which in the cache
    hierarchy, cycles) of one run."""
    env = dict(os.environ, PYTHONPATH=root)
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
             "--toggle-collect=*Core_run_c*", sys.executable, "-c", CHILD, workload,
             str(insts), json.dumps(overrides)],
            capture_output=True, text=True, env=env, cwd=root)
        if out.returncode:
            sys.exit(f"the run in {root} failed: {out.stderr.strip().splitlines()[-3:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                               "--auto=no",
                               f"{tmp}/cg.out"], capture_output=True, text=True,
                              check=True).stdout
    m = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    total = int(m.group(1).replace(",", ""))
    found = {}
    for line in text.splitlines():
        f = re.match(r"^\s*([\d,]+) \([\s\d.]+%\)\s+\S*:(\S+)", line)
        if f and f.group(2) in ENTRIES:
            found.setdefault(f.group(2), int(f.group(1).replace(",", "")))
    caches = sum(found.values())
    n = r["instructions"]
    return total / n, caches / n, r["cycles"]
STREAM_CHILD = r"""
import sys
import numpy as np
sys.path.insert(0, "benchmarks")
from cache_speed import default_hierarchy
case, n, classify = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "on"
i = np.arange(n, dtype=np.uint64)
addrs = {"l1_hit": (i * 8) % 4096, "l2_hit": 0x100000 + (i * 64) % 131072,
         "dram_miss": 0x10000000 + (i * 64) % (256 << 20)}[case].astype(np.uint64)
h = default_hierarchy(classify)
for a in addrs[:4096]:                     # warm up from Python (outside run_stream)
    h.l1d.access_py(int(a), "load")
h.reset_stats()
h.run_stream(addrs, np.full(n, 1, dtype=np.uint8))
"""


def measure_stream(root, case, n, classify):
    """Callgrind Ir inside run_stream per access (the warm-up runs outside it)."""
    env = dict(os.environ, PYTHONPATH=root)
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
             "--toggle-collect=__pyx_pf_6caches_5cache_*run_stream*", sys.executable,
             "-c", STREAM_CHILD, case, str(n), classify],
            capture_output=True, text=True, env=env, cwd=root)
        if out.returncode:
            sys.exit(f"the stream in {root} failed: {out.stderr.strip().splitlines()[-3:]}")
        text = subprocess.run(["callgrind_annotate", "--auto=no", f"{tmp}/cg.out"],
                              capture_output=True, text=True, check=True).stdout
    m = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    return int(m.group(1).replace(",", "")) / n


def revision(root):
    out = subprocess.run(["git", "-C", root, "log", "-1", "--format=%h"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workloads", default="sort,matmul,ptrchase")
    p.add_argument("--configs", default="default,l1_only")
    p.add_argument("--insts", type=int, default=1_000_000)
    p.add_argument("--streams", action="store_true",
                   help="per access of the hierarchy alone (run_stream), not per instruction")
    p.add_argument("--accesses", type=int, default=200_000)
    p.add_argument("--checkouts", default=ROOT,
                   help="comma-separated checkouts (built in place) to measure, one column each")
    a = p.parse_args()
    roots = [str(Path(r).resolve()) for r in a.checkouts.split(",")]
    load = os.getloadavg()
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {load[0]:.1f}")
    heads = [f"{revision(r)} ({r})" for r in roots]
    if a.streams:
        print(f"\nhost instructions per access in run_stream ({a.accesses} loads)\n")
        print("| stream | 3C shadow | " + " | ".join(heads) + " |")
        print("|---|---|" + "---:|" * len(roots))
        for case in ("l1_hit", "l2_hit", "dram_miss"):
            for classify in ("on", "off"):
                cells = [f"{measure_stream(r, case, a.accesses, classify):.1f}" for r in roots]
                print(f"| {case} | {classify} | " + " | ".join(cells) + " |", flush=True)
        return
    print(f"\n{a.insts} instructions; host instructions per simulated instruction in "
          f"Core.run_c / of which in the cache hierarchy (cycles)\n")
    print("| workload | config | " + " | ".join(heads) + " |")
    print("|---|---|" + "---:|" * len(roots))
    for w in a.workloads.split(","):
        for c in a.configs.split(","):
            cells = []
            for r in roots:
                per, caches, cycles = measure(r, w, a.insts, CONFIGS[c])
                cells.append(f"{per:.1f} / {caches:.1f} ({cycles})")
            print(f"| {w} | {c} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
