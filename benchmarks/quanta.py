"""Host cost of adaptive quanta (docs/engine.md): 4-hart aggregate MIPS, cycles and
quanta run, with `engine.adaptive` true (the default) and false (fixed 1000-cycle quanta),
on a program whose harts share nothing (`reduce n 4`) and on false sharing
(`falseshare n 4 packed|padded`).

    python benchmarks/quanta.py
    python benchmarks/quanta.py --reduce 1000000 --falseshare 20000 --repeat 3

Each run is a fresh child process; MIPS are simulated instructions (every hart's) per
host second: of the run itself (wall clock, `result.host_seconds`) and of the child's
process CPU time from loading the program on (it leaves out the time the child waits for
a CPU on a loaded host, but counts loading, which dominates short runs). The best of
--repeat runs is shown.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)

CHILD = r"""
import json, sys, time
import cyclesim
args, adaptive = sys.argv[1:-1], sys.argv[-1] == "1"
cpu0 = time.process_time()
r = cyclesim.run(*args, sample_interval=None,
                 overrides={"cores": 4, "engine.adaptive": adaptive})
cpu = time.process_time() - cpu0
assert r.status == "exited" and r.stdout_bytes.rstrip().endswith(b" ok"), r.message
s = r.stats
print(json.dumps({"instructions": int(s["core.instructions"]), "seconds": r.host_seconds,
                  "cpu": cpu, "cycles": int(s["core.cycles"]),
                  "quanta": int(s["engine.quanta"]), "small": int(s["engine.small_quanta"]),
                  "coherence": int(s.get("coherence.coherence_misses", 0))}))
"""


def run_child(args, adaptive):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, *map(str, args), "1" if adaptive else "0"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--reduce", type=int, default=1_000_000, help="reduce's n (default 1000000)")
    p.add_argument("--falseshare", type=int, default=20_000,
                   help="falseshare's increments per thread (default 20000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per row (the best is shown)")
    a = p.parse_args()
    load = os.getloadavg()
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {load[0]:.1f} {load[1]:.1f}\n")
    print("| program (4 harts) | quanta | instructions | cycles | coherence misses | "
          "quanta run | small | MIPS (run, wall) | MIPS (CPU time, with loading) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    programs = [("reduce", a.reduce, 4), ("falseshare", a.falseshare, 4, "packed"),
                ("falseshare", a.falseshare, 4, "padded")]
    for args in programs:
        for adaptive in (True, False):
            runs = [run_child(args, adaptive) for _ in range(a.repeat)]
            wall = max(r["instructions"] / r["seconds"] for r in runs) / 1e6
            cpu = max(r["instructions"] / r["cpu"] for r in runs) / 1e6
            r = runs[0]
            print(f"| {' '.join(map(str, args))} | {'adaptive' if adaptive else 'fixed 1000'} "
                  f"| {r['instructions']:,} | {r['cycles']:,} | {r['coherence']:,} | "
                  f"{r['quanta']:,} | {r['small']:,} | {wall:.2f} | {cpu:.2f} |", flush=True)


if __name__ == "__main__":
    main()
