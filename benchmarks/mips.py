"""Simulated instructions per second and peak memory, per workload, functional vs timing.

    python benchmarks/mips.py                 every workload at its default size
    python benchmarks/mips.py matmul ptrchase --modes functional
    python benchmarks/mips.py --max-insts 20000000
    python benchmarks/mips.py --modes timing --set core.model=ooo     a core model
    python benchmarks/mips.py --modes timing --preset boom_medium     a preset
    python benchmarks/mips.py --modes timing --set tlb.enabled=true   config overrides
    python benchmarks/mips.py --preset u74 --set core.width=3

Each (workload, mode) runs in a fresh child process so that its peak RSS is its own.
Prints a Markdown table and the medians; the numbers quoted in the README come from here.
"""
import argparse
import json
import platform
import statistics
import os
import subprocess
import sys
from pathlib import Path

# Run from a checkout without installing: the repository root goes on the path.
ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)

CHILD = r"""
import json, sys, time
import cyclesim
from cyclesim.footprint import own_peak_rss
name, mode, max_insts = sys.argv[1], sys.argv[2], int(sys.argv[3])
preset, overrides = json.loads(sys.argv[4]) if len(sys.argv) > 4 else (None, [])
args = cyclesim.workloads.info(name)["default_args"]
cpu0 = time.process_time()
r = cyclesim.run(name, *args, mode=mode, max_insts=max_insts or None, sample_interval=None,
                 preset=preset, overrides=overrides)
cpu = time.process_time() - cpu0
print(json.dumps({"instructions": r.instructions, "seconds": r.host_seconds, "cpu": cpu,
                  "status": r.status, "ipc": float(r.stats["core.ipc"]),
                  "rss_mib": own_peak_rss() / 2**20}))
"""


def measure(name, mode, max_insts, machine=(None, [])):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, name, mode, str(max_insts),
                          json.dumps(machine)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    import cyclesim

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*")
    p.add_argument("--modes", default="functional,timing")
    p.add_argument("--max-insts", type=int, default=0)
    p.add_argument("--preset", default=None, help="machine preset (cyclesim presets)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config field, e.g. core.model=ooo (repeatable)")
    a = p.parse_args()
    machine = (a.preset, a.set)          # --set strings, parsed as the CLI parses them
    names = a.workloads or cyclesim.workloads.names()
    modes = a.modes.split(",")
    print(f"host: {cpu_name()}, Python {platform.python_version()}, one core")
    print(f"machine: preset {a.preset or 'default'}"
          + "".join(f", {kv}" for kv in a.set) + "\n")
    print("| workload | instructions | " + " | ".join(f"{m} MIPS | {m} peak RSS MiB" for m in modes) + " |")
    print("|---|---:|" + "---:|---:|" * len(modes))
    per_mode = {m: [] for m in modes}
    per_mode_cpu = {m: [] for m in modes}
    for name in names:
        cells, insts = [], 0
        for m in modes:
            r = measure(name, m, a.max_insts, machine)
            mips = r["instructions"] / r["seconds"] / 1e6
            per_mode[m].append(mips)
            per_mode_cpu[m].append(r["instructions"] / r["cpu"] / 1e6)
            insts = r["instructions"]
            cells += [f"{mips:.1f}", f"{r['rss_mib']:.0f}"]
        print(f"| {name} | {insts:,} | " + " | ".join(cells) + " |", flush=True)
    for m in modes:
        print(f"\nmedian {m}: {statistics.median(per_mode[m]):.1f} MIPS")
        # On a shared host the wall clock counts time spent waiting for the CPU; the
        # process CPU time of the whole run (setup included) does not.
        print(f"median {m} by process CPU time: "
              f"{statistics.median(per_mode_cpu[m]):.1f} MIPS")


if __name__ == "__main__":
    main()
