"""Simulated MIPS of functional mode, functional warming and detailed timing, per workload.

    python benchmarks/warming_speed.py                 every workload at its default size
    python benchmarks/warming_speed.py matmul nbody --max-insts 20000000

Functional warming is what a SMARTS run (docs/sampling.md) does between its samples:
every instruction executes and updates the caches (all levels) and the branch predictor,
BTB and RAS, the pipeline is not timed. It is measured as a sampled run whose one
measured unit lies beyond the end of the program, so every instruction is warmed. Each
(workload, mode) runs in a fresh child process; rates are instructions / host_seconds.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)

CHILD = r"""
import json, sys
import cyclesim
name, mode, max_insts = sys.argv[1], sys.argv[2], int(sys.argv[3]) or None
args = cyclesim.workloads.info(name)["default_args"]
kw = ({"sampling": {"unit": 1000, "warmup": 0, "period": 10**9, "offset": 10**9 - 1}}
      if mode == "warming" else {})
r = cyclesim.run(name, *args, mode="functional" if mode == "functional" else "timing",
                 max_insts=max_insts, sample_interval=None, progress=False, **kw)
print(json.dumps({"instructions": r.total_instructions, "seconds": r.host_seconds}))
"""

MODES = ("functional", "warming", "timing")


def measure(name, mode, max_insts):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, name, mode, str(max_insts)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    import cyclesim

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*")
    p.add_argument("--max-insts", type=int, default=0)
    a = p.parse_args()
    names = [n for n in (a.workloads or cyclesim.workloads.names()) if n != "hello"]
    print(f"host: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}\n")
    print("| workload | instructions | functional MIPS | warming MIPS | timing MIPS | "
          "warming / timing |")
    print("|---|---:|---:|---:|---:|---:|")
    rates = {m: [] for m in MODES}
    for name in names:
        row = {}
        for mode in MODES:
            r = measure(name, mode, a.max_insts)
            row[mode] = r["instructions"] / r["seconds"] / 1e6
            rates[mode].append(row[mode])
        print(f"| {name} | {r['instructions']:,} | {row['functional']:.1f} | "
              f"{row['warming']:.1f} | {row['timing']:.1f} | "
              f"{row['warming'] / row['timing']:.2f}x |", flush=True)
    print()
    for mode in MODES:
        print(f"median {mode}: {statistics.median(rates[mode]):.1f} MIPS")


if __name__ == "__main__":
    main()
