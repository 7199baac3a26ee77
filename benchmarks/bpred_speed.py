"""Simulated MIPS of the timing model per direction predictor (median of --repeat runs).

    python benchmarks/bpred_speed.py interp sort --kinds gshare,tage --repeat 3

Each run is a fresh child process (like benchmarks/mips.py), workloads at default size.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)

CHILD = r"""
import json, sys
import cyclesim
name, kind, max_insts = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = cyclesim.workloads.info(name)["default_args"]
r = cyclesim.run(name, *args, max_insts=max_insts or None, sample_interval=None,
                 overrides={"bpred.kind": kind})
print(json.dumps({"instructions": r.instructions, "seconds": r.host_seconds,
                  "mpki": float(r.stats["bpred.mpki"])}))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="+")
    p.add_argument("--kinds", default="gshare,tage")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--max-insts", type=int, default=0)
    a = p.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    print("| workload | predictor | instructions | MPKI | median MIPS |")
    print("|---|---|---:|---:|---:|")
    for name in a.workloads:
        for kind in a.kinds.split(","):
            runs = []
            for _ in range(a.repeat):
                out = subprocess.run([sys.executable, "-c", CHILD, name, kind,
                                      str(a.max_insts)], capture_output=True, text=True,
                                     check=True, env=env)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            mips = statistics.median(r["instructions"] / r["seconds"] / 1e6 for r in runs)
            print(f"| {name} | {kind} | {runs[0]['instructions']:,} | {runs[0]['mpki']:.2f} "
                  f"| {mips:.1f} |", flush=True)


if __name__ == "__main__":
    main()
