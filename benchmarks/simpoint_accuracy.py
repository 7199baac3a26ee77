"""SimPoint vs the full detailed run: CPI error, the clusters' spread and the speed-up.

    python benchmarks/simpoint_accuracy.py                       the workloads at ~1e8 insts
    python benchmarks/simpoint_accuracy.py --size default matmul sort
    python benchmarks/simpoint_accuracy.py --simpoint interval=1000000,max_k=10 --workers 2

For each workload: the full detailed (timing) run and cyclesim.simpoint(...), each in a
fresh child process. Prints a Markdown table: full CPI, the SimPoint CPI with the spread
between its clusters, the error, k, the instructions timed, both wall times and the
speed-up. The full run's time is its host_seconds; SimPoint's is everything it does
(profile, clustering, checkpoints, the points on `--workers` processes).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)

from sampling_accuracy import SIZES  # noqa: E402  (the same argument sets)

CHILD = r"""
import json, sys
import cyclesim
name, spec, workers, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
if spec == "full":
    r = cyclesim.run(name, *args, sample_interval=None, progress=False)
    out = {"instructions": r.total_instructions, "seconds": r.host_seconds,
           "cpi": float(r.stats["core.cpi"])}
else:
    e = cyclesim.simpoint(name, *args, spec=spec or True, workers=workers or None)
    out = {"instructions": e.instructions, "seconds": e.seconds["total"], "cpi": e.cpi,
           "spread": e.spread, "k": e.k, "timed": e.simulated_instructions}
print(json.dumps(out))
"""


def child(name, args, spec, workers):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, name, spec, str(workers), *args],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{name} {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    import cyclesim

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*")
    p.add_argument("--size", default="1e8", choices=("test", "default", *SIZES))
    p.add_argument("--simpoint", default="", metavar="KEY=VALUE,...",
                   help="SimPoint spec as for `cyclesim run --simpoint` (default: defaults)")
    p.add_argument("--workers", type=int, default=0, help="worker processes (every core)")
    a = p.parse_args()
    table = SIZES.get(a.size, {})
    names = a.workloads or (list(table) if table else cyclesim.workloads.names())
    print(f"host: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
          f"simpoint {a.simpoint or 'defaults'}\n")
    print("| workload | args | instructions | full CPI | SimPoint CPI ± spread | error % | k | "
          "timed | full s | SimPoint s | speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    errors, speedups = [], []
    for name in names:
        info = cyclesim.workloads.info(name)
        args = (info["test_args"][-1] if a.size == "test" else
                info["default_args"] if a.size == "default" else table[name])
        full = child(name, args, "full", 0)
        sp = child(name, args, a.simpoint, a.workers)
        err = 100 * (sp["cpi"] - full["cpi"]) / full["cpi"]
        errors.append(abs(err))
        speed = full["seconds"] / sp["seconds"]
        speedups.append(speed)
        print(f"| {name} | {' '.join(args)} | {full['instructions']:,} | {full['cpi']:.4f} | "
              f"{sp['cpi']:.4f} ± {sp['spread']:.4f} | {err:+.2f} | {sp['k']} | "
              f"{sp['timed']:,} | {full['seconds']:.1f} | {sp['seconds']:.1f} | "
              f"{speed:.2f}x |", flush=True)
    if errors:
        print(f"\nmean |error| {sum(errors) / len(errors):.2f} %, max {max(errors):.2f} %; "
              f"speed-up {min(speedups):.2f}x to {max(speedups):.2f}x")


if __name__ == "__main__":
    main()
