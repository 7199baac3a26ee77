"""Peak memory of a whole-run trace streamed to disk (issue 12: under 200 MB whatever the
run length). Runs one workload for --insts instructions with trace_dir in a fresh process
and prints the instructions, the records written, the peak RSS and the time.

    python benchmarks/trace_to_disk.py [--workload sort --args 200000] [--insts 100000000]
        [--trace memory] [--trace pipeline]
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
import cyclesim, pyarrow.dataset as ds
from cyclesim.footprint import own_peak_rss
a = json.loads(sys.argv[1])
t = time.perf_counter()
r = cyclesim.run(a["workload"], *a["args"], trace=a["trace"], trace_dir=a["dir"],
                 max_insts=a["insts"], progress=False)
dt = time.perf_counter() - t
rows = {k: ds.dataset(v).count_rows() for k, v in r.trace_files.items()}
print(json.dumps({"instructions": int(r.stats["core.instructions"]), "rows": rows,
                  "seconds": dt,
                  "peak_rss_mib": own_peak_rss() / 2**20}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="sort")
    ap.add_argument("--args", nargs="*", default=["200000"])
    ap.add_argument("--insts", type=int, default=100_000_000)
    ap.add_argument("--trace", action="append", default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        spec = {"workload": a.workload, "args": a.args, "insts": a.insts,
                "trace": a.trace or ["memory"], "dir": str(Path(d) / "t")}
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)],
                             capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[1])
        if out.returncode:
            sys.exit(f"the run failed:\n{out.stderr[-2000:]}")
        res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{a.workload} {' '.join(a.args)}: {res['instructions']:,} instructions, "
          f"rows {res['rows']}, {res['seconds']:.1f} s, peak RSS {res['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
