"""Issue 10's memory microbenchmarks: what the config predicts against what the simulator
measures, as one Markdown table.

    python benchmarks/memory_microbench.py            every group (a few minutes)
    python benchmarks/memory_microbench.py --only chase,mshr

Groups (whole-simulator timing runs of small guest programs, compiled here with
riscv64-linux-gnu-gcc):
  chase    pointer chase over 1 KiB .. 64 MiB of 64-byte lines in one random cycle, TLBs
           off: load-to-use latency per step. Measured = l1d.hit_latency + (cycles per
           step - cycles per step at 1 KiB), so the loop's own cycles cancel.
  tlb      page-granular chase (tests/programs/ptrchase.c), TLBs on: translation cycles
           per load (dtlb.translation_cycles / steps), the DTLB and L2 TLB plateaus.
  mshr     independent loads to consecutive lines with 1, 2, 4, 8 L1D MSHRs, core
           non-blocking: DRAM bytes per cycle (dram.bandwidth_bytes_per_cycle) against
           Little's law and the data-bus peak.
  store    a store miss, then a load of another word of its line one cycle later: the
           load's latency from the memory trace (an MSHR hit: it waits for the fill).
  prefetch strided stream (tests/caches/test_prefetch_stream.py's program and machine)
           with and without each prefetcher: coverage and accuracy.

Every expected value comes from caches/predict.py, the module the tests check the same
quantities with; "-" means the parameters predict no plateau there (a transition, or a
page walk whose cost depends on where the PTEs are cached).
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import cyclesim
from caches import predict
from caches.prefetchers import PREFETCHERS
from cyclesim.config import resolve_config

ROOT = Path(__file__).resolve().parent.parent
KiB, MiB = 1 << 10, 1 << 20
INCLUDE = ROOT / "workloads" / "include"
PROGRAMS = ROOT / "tests" / "programs"
sys.path.insert(0, str(ROOT / "tests" / "caches"))


class Programs:
    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.gcc = shutil.which("riscv64-linux-gnu-gcc")
        if self.gcc is None:
            sys.exit("memory_microbench needs riscv64-linux-gnu-gcc on PATH")

    def c(self, name, text=None, src=None):
        elf = self.tmp / name
        if not elf.exists():
            if src is None:
                src = self.tmp / f"{name}.c"
                src.write_text(text)
            subprocess.run([self.gcc, "-O2", "-static", f"-I{INCLUDE}", str(src), "-o",
                            str(elf)], check=True, capture_output=True)
        return str(elf)

    def asm(self, name, src=None, text=None, *extra):
        """An assembly program: tests/programs/`src` (preprocessed, -D flags in extra) or
        `text`."""
        elf = self.tmp / name
        if text is not None:
            src = self.tmp / f"{name}.S"
            src.write_text(text)
        subprocess.run([self.gcc, "-nostdlib", "-static", "-march=rv64gc", "-mabi=lp64d",
                        *extra, "-Wl,--build-id=none", "-o", str(elf), str(src)],
                       check=True, capture_output=True)
        return str(elf)


def run(elf, *args, overrides=None, **kw):
    r = cyclesim.run(elf, *map(str, args), overrides=overrides or {}, sample_interval=None,
                     progress=False, **kw)
    if r.status != "exited":
        sys.exit(f"{Path(elf).name} {' '.join(map(str, args))}: {r.status}: {r.message}")
    return r


def fmt(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def row(rows, group, case, unit, expected, measured, digits=1):
    if expected is not None and expected != 0:
        diff = f"{100 * (measured - expected) / expected:+.1f} %"
    elif expected == 0:
        diff = "exact" if measured == 0 else f"{measured:+.2f}"
    else:
        diff = ""
    rows.append((group, case, unit, fmt(expected, digits), fmt(measured, digits), diff))
    print(f"  {group:8} {case:34} {fmt(expected, digits):>9} {fmt(measured, digits):>9} "
          f"{diff}", flush=True)


def chase(p, rows, steps):
    elf = p.c("chase_lines", src=PROGRAMS / "chase_lines.c")
    over = {"tlb.enabled": False}
    cfg = resolve_config(overrides=over)
    base = None
    for ws in (1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 128 * KiB, 1 * MiB, 4 * MiB,
               16 * MiB, 64 * MiB):
        s = run(elf, ws, steps, overrides=over, roi=True).stats
        per_step = s["core.cycles"] / steps
        if base is None:
            base = per_step
        measured = cfg.l1d.hit_latency + per_step - base
        size = f"{ws // MiB} MiB" if ws >= MiB else f"{ws // KiB} KiB"
        level = {1: "L1D", 2: "L2", 3: "L3", 4: "DRAM", None: "transition"}[
            predict.chase_level(cfg, ws)]
        row(rows, "chase", f"{size} ({level})", "cycles/load",
            predict.chase_load_latency(cfg, ws), measured)


def tlb(p, rows, steps):
    elf = p.c("ptrchase_pages", src=PROGRAMS / "ptrchase.c")
    over = {"tlb.enabled": True}
    cfg = resolve_config(overrides=over)
    for ws in (16 * KiB, 64 * KiB, 512 * KiB, 1 * MiB, 16 * MiB, 64 * MiB):
        s = run(elf, ws, steps, overrides=over).stats
        measured = s["dtlb.translation_cycles"] / steps
        size = f"{ws // MiB} MiB" if ws >= MiB else f"{ws // KiB} KiB"
        walks = s["dtlb.walks"] / steps
        row(rows, "tlb", f"{size} (walks/load {walks:.2f})", "translation cycles/load",
            predict.translation_cycles(cfg.tlb, ws), float(measured), 2)


def mshr(p, rows, lines):
    elf = p.asm("stream", PROGRAMS / "stream_loads.S", None, f"-DITERS={lines // 16}")
    for m in (1, 2, 4, 8, 16, 32):
        over = {"core.mem_blocking": False, "l1d.mshrs": m, "l2.mshrs": 64}
        cfg = resolve_config(overrides=over)
        s = run(elf, overrides=over, roi=True).stats
        peak = predict.dram_peak_bytes_per_cycle(cfg.memory, cfg.core.frequency,
                                                 cfg.l1d.line_size)
        row(rows, "mshr", f"{m} MSHRs (bus peak {peak:.1f})", "DRAM bytes/cycle",
            predict.stream_bandwidth(cfg, m), float(s["dram.bandwidth_bytes_per_cycle"]), 2)


def store(p, rows, n):
    elf = p.asm("store_load", PROGRAMS / "store_load.S", None, f"-DN={n}")
    machines = {"L1D over a fixed 40-cycle memory": {"l2": None, "memory.kind": "fixed",
                                                      "memory.latency": 40},
                "default machine": {}}
    for name, over in machines.items():
        over = dict(over, **{"core.fetch_blocking": False})
        cfg = resolve_config(overrides=over)
        r = run(elf, overrides=over, trace="memory", trace_window=(0, 10 * n))
        t = r.memory_trace
        loads = t[(t["kind"].astype(str) == "load")]
        measured = float(np.mean(loads["latency"].to_numpy()))
        # the first store to each DRAM row finds its bank idle (a row miss); the others
        # hit the open row
        rows_touched = len({int(a) // cfg.memory.row_size for a in loads["addr"]})
        expected = predict.store_then_load_wait(
            cfg, rows_touched / n if cfg.memory.kind == "dram" else 0.0)
        row(rows, "store", f"{name} (mshr hits {int(r.stats['l1d.mshr_hits'])}/{n})",
            "load latency", expected, measured)


def prefetch(p, rows):
    import test_prefetch_stream as t       # its program and machine, not its numbers
    for stride in (t.LINE, 2 * t.LINE):
        elf = p.asm(f"pf{stride}", None, t.PROGRAM.format(n=t.N, stride=stride,
                                                         size=t.N * stride + 4096),
                    f"-Wl,-Tdata={t.DATA:#x}")
        for name in ("none", "next_line", "ip_stride", "stream", "best_offset"):
            table = PREFETCHERS.get(name).params() if name != "none" else None
            try:
                want = predict.stride_prefetch_counts(name, stride // t.LINE, t.N, table,
                                                      t.LINE)
            except ValueError:
                want = None
            over = dict(t.MACHINE, **{"l1d.prefetcher": name})
            s = run(elf, overrides=over).stats
            if name == "none":
                row(rows, "prefetch", f"stride {stride // t.LINE}, none: misses", "misses",
                    want["misses"], int(s["l1d.read_misses"]))
                continue
            for what in ("coverage", "accuracy"):
                exp = None
                if want is not None:
                    u, m, i = want["useful"], want["misses"], want["issued"]
                    exp = u / (u + m) if what == "coverage" else (u / i if i else 0.0)
                row(rows, "prefetch", f"stride {stride // t.LINE}, {name}: {what}", what,
                    exp, float(s[f"l1d.pf_{what}"]), 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", default="chase,tlb,mshr,store,prefetch")
    ap.add_argument("--steps", type=int, default=4000, help="chase steps per working set")
    a = ap.parse_args()
    load = os.getloadavg()
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load average {load[0]:.1f}")
    rev = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h"],
                         capture_output=True, text=True).stdout.strip()
    print(f"checkout {rev}; default machine unless a row says otherwise\n")
    rows = []
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="cyclesim-mb-") as tmp:
        p = Programs(tmp)
        groups = {"chase": lambda: chase(p, rows, a.steps),
                  "tlb": lambda: tlb(p, rows, 3000),
                  "mshr": lambda: mshr(p, rows, 16384),
                  "store": lambda: store(p, rows, 64),
                  "prefetch": lambda: prefetch(p, rows)}
        for g in a.only.split(","):
            groups[g]()
    print(f"\n({time.time() - t0:.0f} s)\n")
    print("| group | case | quantity | expected | measured | difference |")
    print("|---|---|---|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
