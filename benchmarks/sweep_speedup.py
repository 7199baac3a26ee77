"""Sweep scaling: a 16-point sweep at 1 and 2 workers, and what a point costs beyond its
simulation.

    python benchmarks/sweep_speedup.py [--workload hashtable] [--workers 1,2]

Each point runs `workload` at its default size (about 10 million instructions) in timing
mode on one of 16 L1D configs (4 sizes x 4 replacement policies), with a fresh store.
Printed: wall time and speedup per worker count, and the per-point overhead at 1 worker:
(wall time - time spent simulating inside the workers) / points, once including the start
of the worker process and once without it, each relative to the simulation time of one
point. The host's load average is printed too: the machine must be otherwise idle for the
speedup to mean anything.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

# Run from a source checkout without installing.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pyarrow.parquet as pq

import cyclesim
from cyclesim import workloads

GRID = {"l1d.size": ["8KiB", "16KiB", "32KiB", "64KiB"],
        "l1d.policy": ["lru", "fifo", "random", "srrip"]}


def worker_start_seconds() -> float:
    """Time to start one worker process and have it load the simulator."""
    from cyclesim.sweeps.backends import _Worker

    start = time.perf_counter()
    w = _Worker()
    w.stop(now=False)  # returns after the worker has imported everything and exited
    return time.perf_counter() - start


def direct_costs(workload: str, args: list[str], record: dict) -> dict[str, float]:
    """Seconds per point for each thing a sweep adds around a simulation, measured on
    its own: pickling the task and unpickling it in the worker, checking the program's
    content hash, pickling the result back, and the atomic Parquet write of the store."""
    import hashlib
    import pickle

    from cyclesim.config import resolve_config
    from cyclesim.sweeps.store import Store

    image = workloads.path(workload).read_bytes()
    task = {"point": 0, "key": "k", "name": workload, "args": args, "image": image,
            "image_sha256": hashlib.sha256(image).hexdigest(),
            "config": resolve_config(), "options": {}}
    reps = 20
    t = time.perf_counter()
    for _ in range(reps):
        pickle.loads(pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL))
    task_s = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    for _ in range(reps):
        hashlib.sha256(image).hexdigest()
    hash_s = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    for _ in range(reps):
        pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    result_s = (time.perf_counter() - t) / reps
    with tempfile.TemporaryDirectory() as d:
        store = Store(d)
        t = time.perf_counter()
        for i in range(reps):
            store.write(f"k{i}", workload, " ".join(args), record)
        store_s = (time.perf_counter() - t) / reps
    return {"task transfer": task_s, "content hash": hash_s, "result transfer": result_s,
            "store write": store_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default="hashtable")
    ap.add_argument("--workers", default="1,2")
    a = ap.parse_args()
    counts = [int(n) for n in a.workers.split(",")]
    info = workloads.info(a.workload)
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"workload: {a.workload} {' '.join(info['default_args'])} "
          f"(~{info['approx_instructions'] / 1e6:.1f} M instructions), 16 points")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    start = worker_start_seconds()
    # Load the driver's side (config, store, Parquet) before timing, so that the first
    # measured sweep does not pay imports the second one gets for free.
    with tempfile.TemporaryDirectory() as store:
        cyclesim.sweep(["hello"], store=store, workers=1, progress=False)
    walls = {}
    for n in counts:
        with tempfile.TemporaryDirectory() as store:
            t0 = time.perf_counter()
            df = cyclesim.sweep([(a.workload, info["default_args"])], grid=GRID,
                                store=store, workers=n, progress=False)
            wall = time.perf_counter() - t0
            # Each point's file is written the moment its result arrives: the spacing of
            # the files' times is the steady pace of the sweep, free of the one-off
            # worker start and shutdown.
            files = sorted((p.stat().st_mtime_ns, p) for p in
                           (Path(store) / "points").glob("*.parquet"))
            arrivals = [t for t, _ in files]
            later_sim = [pq.read_table(p, columns=["host_seconds"]).column(0)[0].as_py()
                         for _, p in files[1:]]
        assert (df["status"] == "ok").all(), df[["status", "message"]]
        walls[n] = wall
        sim = df["host_seconds"].sum()
        per_point = sim / len(df)
        print(f"{n} worker{'s' if n > 1 else ' '}: {wall:6.2f} s wall, "
              f"{per_point:.3f} s simulating per point, "
              f"{df['core.instructions'].mean() / 1e6:.1f} M instructions per point")
        if n == 1:
            overhead = (wall - sim) / len(df)
            pace = (arrivals[-1] - arrivals[0]) / 1e9 / (len(arrivals) - 1)
            steady = pace - sum(later_sim) / len(later_sim)
            print(f"  all costs beyond simulating, spread over the points: "
                  f"{overhead * 1e3:.1f} ms = {100 * overhead / per_point:.1f}% of a point "
                  f"(includes starting the worker once: {start:.2f} s alone)")
            print(f"  steady state: a point every {pace:.3f} s, i.e. {steady * 1e3:+.1f} ms "
                  f"= {100 * steady / per_point:+.1f}% per point beyond its simulation")
            row = df.iloc[0]
            stats = {c: float(row[c]) for c in df.columns if "." in c and c not in GRID}
            record = {"status": "ok", "message": "", "run_status": "exited", "exit_code": 0,
                      "stats": stats, "host_seconds": 0.5}
            costs = direct_costs(a.workload, info["default_args"], record)
            total = sum(costs.values())
            print("  measured one by one: " + ", ".join(f"{k} {v * 1e3:.1f} ms"
                                                        for k, v in costs.items()))
            print(f"  = {total * 1e3:.1f} ms = {100 * total / per_point:.1f}% of a point "
                  "(the store write overlaps the workers' next point)")
    base = walls[counts[0]]
    for n in counts[1:]:
        print(f"speedup {counts[0]} -> {n} workers: {base / walls[n]:.2f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
