"""Issue 10's microbenchmarks at test sizes, against caches/predict.py (the formulas that
benchmarks/memory_microbench.py prints as "expected"; docs/caches.md has the full table):
the latency plateaus of a line-granular pointer chase, the bandwidth of independent loads
as the L1D's MSHRs grow (never past the data bus), and a load waiting for the fill of the
store before it. The TLB plateaus are in test_tlb_reach.py and the prefetchers' coverage
and accuracy in test_prefetch_stream.py, from the same module.
"""
import subprocess
from pathlib import Path

import pytest
from caches import predict

import cyclesim
from cyclesim.config import resolve_config

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "programs"
KiB, MiB = 1 << 10, 1 << 20


@pytest.fixture(scope="module")
def build(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("microbench")

    def compile_(name, *flags):
        src = PROGRAMS / name
        elf = tmp / (src.stem + "".join(f.replace("=", "") for f in flags))
        if not elf.exists():
            cmd = ([riscv_gcc, "-O2", "-static", f"-I{ROOT / 'workloads/include'}"]
                   if src.suffix == ".c" else
                   [riscv_gcc, "-nostdlib", "-static", "-march=rv64gc", "-mabi=lp64d",
                    "-Wl,--build-id=none"])
            subprocess.run(cmd + list(flags) + ["-o", str(elf), str(src)], check=True,
                           capture_output=True)
        return str(elf)
    return compile_


def run(elf, *args, overrides, **kw):
    r = cyclesim.run(elf, *map(str, args), overrides=overrides, sample_interval=None, **kw)
    assert r.status == "exited", r.message
    return r


def test_pointer_chase_latency_plateaus(build):
    """One dependent load per step: at 1 KiB and 4 KiB every load hits the L1D, at 64 KiB
    (twice the L1D, half the L2) the L2, at 1 MiB (four times the L2) DRAM. The loop's
    own cycles are the same at every size, so cycles per step minus those at 1 KiB is the
    extra load latency: L1 and L2 exact, DRAM within 2 % (the row-hit chance and the
    refresh waits are means)."""
    elf = build("chase_lines.c")
    over = {"tlb.enabled": False}
    cfg = resolve_config(overrides=over)
    steps = 1500
    per_step = {}
    for ws in (1 * KiB, 4 * KiB, 64 * KiB, 1 * MiB):
        per_step[ws] = run(elf, ws, steps, overrides=over, roi=True).stats["core.cycles"] / steps
    base = per_step[1 * KiB]
    assert [predict.chase_level(cfg, ws) for ws in per_step] == [1, 1, 2, 4]
    assert predict.chase_load_latency(cfg, 4 * KiB) == cfg.l1d.hit_latency
    assert predict.chase_load_latency(cfg, 64 * KiB) == (cfg.l1d.hit_latency
                                                         + cfg.l2.hit_latency)
    for ws, cycles in per_step.items():
        measured = cfg.l1d.hit_latency + cycles - base
        expected = predict.chase_load_latency(cfg, ws)
        if ws < MiB:
            assert measured == pytest.approx(expected, abs=0.01), ws
        else:
            assert measured == pytest.approx(expected, rel=0.02), ws
    assert predict.chase_level(cfg, cfg.l1d.size) is None        # no plateau at a size


@pytest.mark.parametrize("mshrs", [1, 4, 8, 32])
def test_stream_bandwidth_follows_the_mshrs_up_to_the_bus(build, mshrs):
    """Little's law: with m MSHRs and a miss latency L, m lines are in flight every L
    cycles, until the data bus's channels x 64 B / tBURST (less refresh) caps it; within
    3 % where the MSHRs bound it and never above the peak."""
    elf = build("stream_loads.S", "-DITERS=512")
    over = {"core.mem_blocking": False, "l1d.mshrs": mshrs, "l2.mshrs": 64}
    cfg = resolve_config(overrides=over)
    s = run(elf, overrides=over, roi=True).stats
    measured = s["dram.bandwidth_bytes_per_cycle"]
    peak = predict.dram_peak_bytes_per_cycle(cfg.memory, cfg.core.frequency, 64)
    assert measured <= peak
    assert measured == pytest.approx(predict.stream_bandwidth(cfg, mshrs), rel=0.03)
    assert int(s["l1d.read_misses"]) == 512 * 16


@pytest.mark.parametrize("machine", ["fixed", "default"])
def test_load_after_store_miss_waits_for_the_fill(build, machine):
    """Each load finds its line's tag installed by the store one cycle before, with the
    fill under way: an MSHR hit that waits the store's miss latency less one cycle. Over a
    fixed 40-cycle memory that is 40 exactly; on the default machine the first store to
    each DRAM row finds its bank idle (a row miss), the others hit the open row."""
    n = 64
    elf = build("store_load.S", f"-DN={n}")
    over = {"core.fetch_blocking": False}
    if machine == "fixed":
        over.update({"l2": None, "memory.kind": "fixed", "memory.latency": 40})
    cfg = resolve_config(overrides=over)
    r = run(elf, overrides=over, trace="memory", trace_window=(0, 10 * n))
    t = r.memory_trace
    loads = t[t["kind"].astype(str) == "load"]
    assert len(loads) == n and int(r.stats["l1d.mshr_hits"]) == n
    rows = len({int(a) // cfg.memory.row_size for a in loads["addr"]})
    expected = predict.store_then_load_wait(cfg, rows / n if machine == "default" else 0.0)
    if machine == "fixed":
        assert expected == 40
    assert loads["latency"].mean() == pytest.approx(expected, abs=0.01)
