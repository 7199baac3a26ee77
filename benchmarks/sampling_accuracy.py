"""SMARTS sampling vs the full detailed run: CPI error, interval coverage and speed-up.

    python benchmarks/sampling_accuracy.py                      the workloads at ~1e8 insts
    python benchmarks/sampling_accuracy.py --size 1e9 matmul    ~1e9 instructions
    python benchmarks/sampling_accuracy.py --sample period=50 --size test
    python benchmarks/sampling_accuracy.py --size 1e9 --preset boom_medium --sample period=1000 sort

For each workload: the full detailed (timing) run, then the same program sampled
(cyclesim.run(..., sampling=...)), each in a fresh child process so that both pay the
same start-up and neither inherits the other's memory. Prints a Markdown table: full
CPI, sampled CPI ± the reported interval, the error, whether the interval holds the full
value, the units measured, both wall times and the speed-up. Wall times are the run's own
host_seconds (loading the ELF and building the machine are outside both).
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

# Guest arguments that run about 1e8 instructions (each measured: 0.84e8 to 1.4e8) and
# about 1e9 (scaled from those by each program's growth; measured: sort 4500000 1.06e9,
# fib 36 9.26e8, matmul 560 1.25e9). hash has no 1e9 size: its buffers of n + 1 entries
# need about 1.8 GiB of guest memory at n = 9e7. The table printed gives the real counts.
SIZES = {
    "1e8": {"matmul": ["256"], "sort": ["500000"], "crc32": ["2600000"], "fib": ["31"],
            "stencil": ["800"], "hash": ["9000000"], "spmv": ["100000"], "bfs": ["130000"],
            "nbody": ["480"], "strings": ["120000"], "interp": ["5200"],
            "hashtable": ["360000"], "triad": ["1750000"], "ptrchase": ["480000"]},
    "1e9": {"matmul": ["560"], "sort": ["4500000"], "crc32": ["26000000"], "fib": ["36"],
            "stencil": ["2500"], "bfs": ["1300000"]},
}

CHILD = r"""
import json, sys
import cyclesim
name, sampling, preset, args = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4:]
r = cyclesim.run(name, *args, preset=preset or None, sample_interval=None, sampling=sampling,
                 progress=False)
out = {"status": r.status, "instructions": r.total_instructions, "seconds": r.host_seconds,
       "cpi": float(r.stats["core.cpi"])}
if r.sampling is not None:
    s = r.sampling
    out.update(low=s.cpi_low, high=s.cpi_high, half=s.half_width, n=s.n, needed=s.needed,
               met=s.met, cv=s.cv)
print(json.dumps(out))
"""


def child(name, args, sampling, preset=""):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, name, json.dumps(sampling), preset or "",
                          *args],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{name} {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    import cyclesim
    from cyclesim.sampling import SamplingSpec

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("workloads", nargs="*")
    p.add_argument("--size", default="1e8", choices=("test", "default", *SIZES),
                   help="argument set: ~1e8 or ~1e9 instructions, the registry's default "
                        "size, or its largest test size")
    p.add_argument("--sample", default="", metavar="KEY=VALUE,...",
                   help="sampling spec as for `cyclesim run --sample` (default: the defaults)")
    p.add_argument("--cache", default="", metavar="FILE.json",
                   help="keep the full runs' results in this file and reuse them (the full "
                        "detailed run is the long part; several sampling specs can share it)")
    p.add_argument("--preset", default="",
                   help="machine preset (default: the default in-order machine), e.g. "
                        "boom_medium or c910 for the out-of-order core")
    a = p.parse_args()
    spec = SamplingSpec.parse(a.sample or True)
    sampling = {k: v for k, v in vars(spec).items() if v is not None}
    table = SIZES.get(a.size, {})
    names = a.workloads or (list(table) if table else cyclesim.workloads.names())
    print(f"host: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
          f"machine {a.preset or 'default'}; sampling {sampling}\n")
    print("| workload | args | instructions | full CPI | sampled CPI ± CI | error % | in CI | "
          "units | full s | sampled s | speed-up |")
    print("|---|---|---:|---:|---:|---:|:-:|---:|---:|---:|---:|")
    errors, inside, speedups = [], 0, []
    for name in names:
        info = cyclesim.workloads.info(name)
        if a.size == "test":
            args = info["test_args"][-1]
        elif a.size == "default":
            args = info["default_args"]
        else:
            args = table[name]
        key = f"{a.preset or 'default'}|{name}|{' '.join(args)}"
        cache = json.loads(Path(a.cache).read_text()) if a.cache and Path(a.cache).exists() \
            else {}
        full = cache.get(key)
        if full is None:
            full = child(name, args, None, a.preset)
            if a.cache:
                cache[key] = full
                Path(a.cache).write_text(json.dumps(cache, indent=1))
        samp = child(name, args, sampling, a.preset)
        err = 100 * (samp["cpi"] - full["cpi"]) / full["cpi"]
        hit = samp["low"] <= full["cpi"] <= samp["high"]
        inside += hit
        errors.append(abs(err))
        speed = full["seconds"] / samp["seconds"]
        speedups.append(speed)
        print(f"| {name} | {' '.join(args)} | {full['instructions']:,} | {full['cpi']:.4f} | "
              f"{samp['cpi']:.4f} ± {100 * samp['half']:.2f} % | {err:+.2f} | "
              f"{'yes' if hit else 'NO'} | {samp['n']:,} | {full['seconds']:.1f} | "
              f"{samp['seconds']:.1f} | {speed:.2f}x |", flush=True)
    if errors:
        print(f"\nmean |error| {sum(errors) / len(errors):.2f} %, max {max(errors):.2f} %; "
              f"interval holds the full CPI in {inside}/{len(errors)}; speed-up "
              f"{min(speedups):.2f}x to {max(speedups):.2f}x; load average at the end "
              f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
