"""Peak memory of a whole-run trace streamed to disk (issue 12: under 200 MB whatever the
run length). Runs one workload for --insts instructions with trace_dir in a fresh process
and prints the instructions, the records written, the time, the peak RSS of the run (the
process's VmHWM when cyclesim.run returns) and the peak after counting the rows of the
written parts with pyarrow.dataset (the reading is not part of the run). --trace none runs
the same without a trace, for the base.

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
kw = {} if a["trace"] == ["none"] else {"trace": a["trace"], "trace_dir": a["dir"]}
r = cyclesim.run(a["workload"], *a["args"], max_insts=a["insts"], progress=False, **kw)
dt = time.perf_counter() - t
peak_run = own_peak_rss() / 2**20
rows = {k: ds.dataset(v).count_rows() for k, v in r.trace_files.items()}
parts = {k: len(ds.dataset(v).files) for k, v in r.trace_files.items()}
print(json.dumps({"instructions": int(r.stats["core.instructions"]), "rows": rows,
                  "parts": parts, "seconds": dt, "peak_rss_mib": peak_run,
                  "peak_after_reading_mib": own_peak_rss() / 2**20}))
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
          f"rows {res['rows']} in {res['parts']} parts, {res['seconds']:.1f} s, peak RSS "
          f"{res['peak_rss_mib']:.0f} MiB ({res['peak_after_reading_mib']:.0f} MiB after "
          f"counting the rows)")


if __name__ == "__main__":
    main()
