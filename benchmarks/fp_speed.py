"""Functional-mode speed of FP-heavy workloads against integer ones: simulated MIPS, and
with --callgrind the host instructions per simulated instruction of the execute loop.

    python benchmarks/fp_speed.py                           FP workloads and sort, fib, hash
    python benchmarks/fp_speed.py --all                     every workload (median as mips.py)
    python benchmarks/fp_speed.py --callgrind nbody sort    + callgrind, host instr. / instr.
    python benchmarks/fp_speed.py --root /work/main         another checkout (a baseline)

Rates: instructions / host_seconds of a functional run in a fresh child process, the
best of --repeat runs (the wall clock on a shared host counts time spent waiting for a
CPU; the best run is the one that waited least). Callgrind counts the instructions of
Core.run_c and everything it calls (--toggle-collect), as the difference between a run
of --small and one of --big instructions, so loading and decoding cancel out.
docs/fpu.md quotes the figures.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = str(Path(__file__).resolve().parent.parent)
FP = ("nbody", "matmul", "spmv", "stencil", "triad")
INTEGER = ("sort", "fib", "hash")
RUN_C = "__pyx_f_8cyclesim_3isa_4core_4Core_run_c"

CHILD = r"""
import json, sys
import cyclesim
name, max_insts = sys.argv[1], int(sys.argv[2]) or None
args = cyclesim.workloads.info(name)["default_args"]
r = cyclesim.run(name, *args, mode="functional", max_insts=max_insts, sample_interval=None)
print(json.dumps({"instructions": r.instructions, "seconds": r.host_seconds}))
"""


def child(root, name, max_insts, wrapper=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([*wrapper, sys.executable, "-c", CHILD, name, str(max_insts)],
                         capture_output=True, text=True, env=env, cwd=root)
    if out.returncode != 0:
        sys.exit(f"the run of {name} in {root} failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def mips(root, name, max_insts, repeat):
    runs = [child(root, name, max_insts) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    return best["instructions"] / best["seconds"] / 1e6, best["instructions"]


def run_c_instructions(root, name, max_insts):
    """Host instructions callgrind counts inside Core.run_c for one run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/cg.out"
        child(root, name, max_insts, ("valgrind", "--tool=callgrind", f"--toggle-collect={RUN_C}",
                                      f"--callgrind-out-file={out}"))
        text = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True,
                              check=True).stdout
    m = re.search(r"^\s*([\d,]+)\s+(?:\(100\.0%\)\s+)?PROGRAM TOTALS", text, re.M)
    return int(m.group(1).replace(",", ""))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*")
    p.add_argument("--all", action="store_true", help="every workload but hello")
    p.add_argument("--root", default=HERE, help="checkout to measure (default: this one)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--callgrind", action="store_true")
    p.add_argument("--small", type=int, default=1_000_000)
    p.add_argument("--big", type=int, default=3_000_000)
    a = p.parse_args()
    sys.path.insert(0, a.root)
    import cyclesim

    names = a.workloads or ([n for n in cyclesim.workloads.names() if n != "hello"] if a.all
                            else list(FP + INTEGER))
    print(f"checkout {a.root}, load average {os.getloadavg()[0]:.1f}\n")
    head = "| workload | instructions | functional MIPS |"
    if a.callgrind:
        head += " host instr. / instr. |"
    print(head)
    print("|---|---:|---:|" + ("---:|" if a.callgrind else ""))
    rates = {}
    for name in names:
        rate, n = mips(a.root, name, 0, a.repeat)
        rates[name] = rate
        row = f"| {name} | {n:,} | {rate:.1f} |"
        if a.callgrind:
            small = run_c_instructions(a.root, name, a.small)
            big = run_c_instructions(a.root, name, a.big)
            row += f" {(big - small) / (a.big - a.small):.1f} |"
        print(row, flush=True)
    integer = [r for n, r in rates.items() if n not in FP]
    fp = [r for n, r in rates.items() if n in FP]
    print(f"\nmedian of all: {statistics.median(rates.values()):.1f} MIPS")
    if integer and fp:
        print(f"median integer: {statistics.median(integer):.1f} MIPS, "
              f"median FP: {statistics.median(fp):.1f} MIPS")


if __name__ == "__main__":
    main()
