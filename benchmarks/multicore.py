"""Speed of multi-hart runs: aggregate simulated MIPS of a 4-hart run, and a 1-hart run
against the single-core engine of another checkout (today's main).

    python benchmarks/multicore.py                       wall-clock and CPU-time MIPS
    python benchmarks/multicore.py --callgrind           + host instructions per instruction
    python benchmarks/multicore.py --baseline /work/main --size 400000

The workload is `reduce` (workloads/src/reduce.c): every thread fills and sums its share
of an array, so four threads keep four harts busy. The default in-order core, the default
caches, `cores = 4` for the 4-hart run and `cores = 1` for the 1-hart run (one thread, so
the baseline engine, which has no threads, runs exactly the same program).

Rates: simulated instructions (every hart's) / host seconds of the run, in a fresh child
process each; the wall clock counts the time the child waits for a CPU on a loaded host,
its process CPU time does not. Both are noisy on a shared machine; callgrind's count of
host instructions per simulated instruction is not: it is measured as the difference
between two sizes of the same run, (Ir(big) - Ir(small)) / (insts(big) - insts(small)),
so start-up (imports, loading, thread creation) cancels out.

Measured 2026-12-03 17:00 UTC on the 2-vCPU VM at a load average of 11-13 (so the rates
are a fraction of a quiet host's), branch m13w with m13t 1f49c4d and m13c 40a5c31 merged,
baseline /work/main 4f66478, `--size 200000 --callgrind --repeat 1`:

| run | instructions | cycles | MIPS (wall) | MIPS (CPU time) | host instr. / instr. |
|---|---:|---:|---:|---:|---:|
| 4 harts, 4 threads | 2,619,298 | 2,758,494 | 3.6 | 2.7 | 611 |
| 1 hart, 1 thread | 2,613,574 | 5,475,160 | 5.4 | 3.9 | 468 |
| baseline engine, 1 thread | 2,613,574 | 5,475,160 | 5.1 | 5.6 | 450 |

Re-measured 2026-12-03 19:20-20:00 UTC, branch i13o (shared levels placed by cycle,
docs/engine.md) at a load average of 15-23, `--size 200000 --callgrind --repeat 1`, and
/work/main 87901d0's own script for its 4-hart row:

| run | instructions | cycles | MIPS (wall) | MIPS (CPU time) | host instr. / instr. |
|---|---:|---:|---:|---:|---:|
| 4 harts, 4 threads (i13o) | 2,619,098 | 1,511,146 | 1.1 | 3.9 | 610 |
| 4 harts, 4 threads (main 87901d0) | 2,618,945 | 2,518,218 | 0.7 | 3.4 | 635 |
| 1 hart, 1 thread (i13o) | 2,613,574 | 5,475,160 | 4.3 | 5.4 | 449 |
| baseline engine, 1 thread (main 87901d0) | 2,613,574 | 5,475,160 | 2.5 | 5.0 | 450 |

The timelines cost nothing measurable on 4 harts (fewer host instructions than main, whose
run also simulates 67% more cycles), and one hart is unchanged (same cycles, 449 vs 450).

Earlier, at 16:34, load 10-12, `--size 1000000 --repeat 2` (no callgrind): 4 harts 6.0 MIPS
wall / 11.2 CPU; 1 hart 9.5 / 11.9; baseline 12.4 / 15.8. By callgrind a 4-hart run costs
611 / 450 = 1.36 times the baseline's host instructions per simulated instruction, so it
reaches 5 MIPS aggregate wherever the baseline engine reaches 6.8 on this program; one
hart costs 4% more than the baseline (468 against 450).
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

CHILD = r"""
import json, sys, time
import cyclesim
from cyclesim.footprint import own_peak_rss
elf, size, threads, cores = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
overrides = {"cores": cores} if cores > 1 else {}
cpu0 = time.process_time()
r = cyclesim.run(elf, size, threads, sample_interval=None, overrides=overrides)
cpu = time.process_time() - cpu0
assert r.status == "exited" and r.stdout_bytes.rstrip().endswith(b" ok"), (r.message, r.stdout_bytes)
insts = int(r.stats.get("core.instructions", r.instructions))
print(json.dumps({"instructions": insts, "seconds": r.host_seconds, "cpu": cpu,
                  "cycles": int(r.stats["core.cycles"]), "rss_mib": own_peak_rss() / 2**20}))
"""


def _env(root):
    return dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))


def run_child(root, size, threads, cores, wrapper=()):
    # this checkout's ELF for both engines (a baseline may predate the workload)
    elf = str(Path(ROOT) / "workloads" / "bin" / "reduce")
    out = subprocess.run([*wrapper, sys.executable, "-c", CHILD, elf, str(size), str(threads),
                          str(cores)], capture_output=True, text=True, env=_env(root),
                         cwd=root)
    if out.returncode != 0:
        sys.exit(f"the run in {root} failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def host_instructions(root, size, threads, cores):
    """(callgrind's total Ir, simulated instructions) of one child run."""
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out")
        r = run_child(root, size, threads, cores, wrapper)
        text = subprocess.run(["callgrind_annotate", f"{tmp}/cg.out"], capture_output=True,
                              text=True, check=True).stdout
    m = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    return int(m.group(1).replace(",", "")), r["instructions"]


def per_instruction(root, small, big, threads, cores):
    ir_s, n_s = host_instructions(root, small, threads, cores)
    ir_b, n_b = host_instructions(root, big, threads, cores)
    return (ir_b - ir_s) / (n_b - n_s)


def revision(root):
    out = subprocess.run(["git", "-C", root, "log", "-1", "--format=%h %s"],
                         capture_output=True, text=True)
    return out.stdout.strip()[:70] or "not a git checkout"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", type=int, default=1_000_000, help="reduce's n (default 1000000)")
    p.add_argument("--baseline", default="/work/main",
                   help="checkout whose single-core engine the 1-hart run is compared with")
    p.add_argument("--callgrind", action="store_true",
                   help="also count host instructions per simulated instruction (slow)")
    p.add_argument("--repeat", type=int, default=3, help="runs per row (the best is shown)")
    a = p.parse_args()
    load = os.getloadavg()
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {load[0]:.1f} {load[1]:.1f}")
    print(f"this checkout: {revision(ROOT)}")
    rows = [("4 harts, 4 threads", ROOT, 4, 4), ("1 hart, 1 thread", ROOT, 1, 1)]
    if a.baseline and Path(a.baseline).is_dir():
        print(f"baseline: {a.baseline}: {revision(a.baseline)}")
        rows.append(("baseline engine, 1 thread", a.baseline, 1, 1))
    print(f"\nreduce n={a.size}, default in-order core; best of {a.repeat} runs\n")
    head = "| run | instructions | cycles | MIPS (wall) | MIPS (CPU time) | peak RSS MiB |"
    if a.callgrind:
        head += " host instr. / instr. |"
    print(head)
    print("|---|---:|---:|---:|---:|---:|" + ("---:|" if a.callgrind else ""))
    for label, root, threads, cores in rows:
        runs = [run_child(root, a.size, threads, cores) for _ in range(a.repeat)]
        wall = max(r["instructions"] / r["seconds"] for r in runs) / 1e6
        cpu = max(r["instructions"] / r["cpu"] for r in runs) / 1e6
        r = runs[0]
        line = (f"| {label} | {r['instructions']:,} | {r['cycles']:,} | {wall:.1f} | "
                f"{cpu:.1f} | {r['rss_mib']:.0f} |")
        if a.callgrind:
            small = max(a.size // 10, 1000)
            line += f" {per_instruction(root, small, a.size // 2, threads, cores):.0f} |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
