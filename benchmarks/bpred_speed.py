"""Cost of the branch predictors: simulated MIPS (median of --repeat runs) or, with
--callgrind, host instructions per simulated instruction.

    python benchmarks/bpred_speed.py interp sort --kinds gshare,tage,tage_sc_l --repeat 3
    python benchmarks/bpred_speed.py interp --kinds gshare,gshare+ittage --model ooo
    python benchmarks/bpred_speed.py interp --kinds gshare --callgrind --baseline /work/main

A kind is a direction predictor (`bpred.kind`), optionally `+indirect` for
`bpred.indirect` (default btb). Each run is a fresh child process (like
benchmarks/mips.py), workloads at default size. Wall-clock rates are noisy on a shared
machine; callgrind's count is not: it is the difference between two run lengths,
(Ir(big) - Ir(small)) / (insts(big) - insts(small)), so start-up cancels out.
--baseline ROOT measures another checkout too (e.g. main before a change; kinds it does
not know fail there).
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

ROOT = str(Path(__file__).resolve().parent.parent)

CHILD = r"""
import json, sys
import cyclesim
name, kind, indirect, model, max_insts = sys.argv[1:6]
args = cyclesim.workloads.info(name)["default_args"]
overrides = {"bpred.kind": kind, "core.model": model}
if indirect != "btb":
    overrides["bpred.indirect"] = indirect
r = cyclesim.run(name, *args, max_insts=int(max_insts) or None, sample_interval=None,
                 overrides=overrides)
print(json.dumps({"instructions": r.instructions, "seconds": r.host_seconds,
                  "mpki": float(r.stats["bpred.mpki"]),
                  "indirect_mispredicts": int(r.stats.get("bpred.indirect_mispredicts", -1))}))
"""


def run_child(root, args, wrapper=()):
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([*wrapper, sys.executable, "-c", CHILD, *map(str, args)],
                         capture_output=True, text=True, check=True, env=env, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def host_instructions(root, args):
    """(callgrind's total Ir, simulated instructions) of one child run."""
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out")
        r = run_child(root, args, wrapper)
        text = subprocess.run(["callgrind_annotate", f"{tmp}/cg.out"], capture_output=True,
                              text=True, check=True).stdout
    m = re.search(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M)
    return int(m.group(1).replace(",", "")), r["instructions"]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="+")
    p.add_argument("--kinds", default="gshare,tage")
    p.add_argument("--model", default="inorder")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--max-insts", type=int, default=0)
    p.add_argument("--callgrind", action="store_true",
                   help="host instructions per instruction (two run lengths)")
    p.add_argument("--small", type=int, default=100_000)
    p.add_argument("--big", type=int, default=300_000)
    p.add_argument("--baseline", help="another checkout to measure as well")
    a = p.parse_args()
    roots = [("this", ROOT)] + ([("baseline", a.baseline)] if a.baseline else [])
    if a.callgrind:
        print("| checkout | workload | predictor | model | host instr. / instr. |")
        print("|---|---|---|---|---:|")
    else:
        print("| checkout | workload | predictor | model | instructions | MPKI | "
              "indirect mispredicts | median MIPS |")
        print("|---|---|---|---|---:|---:|---:|---:|")
    for name in a.workloads:
        for spec in a.kinds.split(","):
            kind, _, indirect = spec.partition("+")
            indirect = indirect or "btb"
            for label, root in roots:
                if a.callgrind:
                    ir_s, n_s = host_instructions(root, (name, kind, indirect, a.model,
                                                         a.small))
                    ir_b, n_b = host_instructions(root, (name, kind, indirect, a.model, a.big))
                    per = (ir_b - ir_s) / (n_b - n_s)
                    print(f"| {label} | {name} | {spec} | {a.model} | {per:.1f} |", flush=True)
                    continue
                runs = [run_child(root, (name, kind, indirect, a.model, a.max_insts))
                        for _ in range(a.repeat)]
                mips = statistics.median(r["instructions"] / r["seconds"] / 1e6 for r in runs)
                print(f"| {label} | {name} | {spec} | {a.model} | {runs[0]['instructions']:,} "
                      f"| {runs[0]['mpki']:.2f} | {runs[0]['indirect_mispredicts']} "
                      f"| {mips:.1f} |", flush=True)


if __name__ == "__main__":
    main()
