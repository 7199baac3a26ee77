"""Whole-run traces streamed to disk (trace_dir): same records as the in-memory trace,
bounded memory whatever the run length, clear errors for windows too big for memory."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

import cyclesim
from cyclesim.errors import CyclesimError


def test_streamed_trace_equals_in_memory_trace(tmp_path):
    mem = cyclesim.run("matmul", "10", trace=["memory", "pipeline"], trace_window=(0, 10**6))
    disk = cyclesim.run("matmul", "10", trace=["memory", "pipeline"], trace_dir=tmp_path / "t")
    assert disk.memory_trace is None and disk.pipeline is None
    assert set(disk.trace_files) == {"memory", "pipeline"}
    m = pd.read_parquet(disk.trace_files["memory"])
    assert len(m) == len(mem.memory_trace)
    for col in ("cycle", "seq", "pc", "addr", "size", "latency"):
        assert (m[col].to_numpy() == mem.memory_trace[col].to_numpy()).all(), col
    assert (m["kind"].astype(str).to_numpy() == mem.memory_trace["kind"].astype(str).to_numpy()).all()
    p = pd.read_parquet(disk.trace_files["pipeline"])
    assert len(p) == int(disk.stats["core.instructions"])
    assert (p["wb_cycle"].to_numpy() == mem.pipeline["wb_cycle"].to_numpy()).all()
    # the parts are a trace for trace-driven mode: the run's L1 counts come back
    r = cyclesim.caches.simulate(disk.trace_files["memory"], config=disk.config)
    assert r.stats["l1d.misses"] == disk.stats["l1d.misses"]


def test_many_parts_are_written(tmp_path, monkeypatch):
    import cyclesim.results.spool as spool
    monkeypatch.setattr(spool, "STREAM_CAPACITY", 4096)
    r = cyclesim.run("sort", "2000", trace="memory", trace_dir=tmp_path / "t",
                     max_insts=200_000)
    parts = sorted(Path(r.trace_files["memory"]).glob("part-*.parquet"))
    # the buffer holds 3 x 4096 memory records (an instruction makes at most 3); a part
    # is written once fewer than 1024 instructions' worth of room is left
    sizes = [ds.dataset(p).count_rows() for p in parts]
    assert max(sizes) <= 3 * 4096 and min(sizes[:-1]) > 3 * 4096 - 3 * 1024
    assert len(parts) > 5
    rows = sum(sizes)
    assert rows == len(cyclesim.run("sort", "2000", trace="memory",
                                    trace_window=(0, 10**6), max_insts=200_000).memory_trace)
    assert not list(Path(r.trace_files["memory"]).glob("*.tmp"))


CHILD = r"""
import sys, cyclesim
n, d = int(sys.argv[1]), sys.argv[2]
cyclesim.run("sort", "100000", trace="memory", trace_dir=d, max_insts=n, sample_interval=None)
from cyclesim.footprint import own_peak_rss
print(own_peak_rss() // 2**20)
"""


def peak_mib(n, d):
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(d)], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    return int(out.stdout.split()[-1])


def test_memory_stays_bounded_as_the_run_grows(tmp_path):
    # 3 M vs 12 M instructions: held in memory the second would need ~1 GB more records
    # (3 x 40-byte records per instruction); streamed, the peak stays where it is after
    # the first parts (measured on sort 100000: 141 MiB at 3 M, 142 at 12 M; before the
    # 64-bit columns left dictionary encoding and parts were followed by malloc_trim,
    # 212 at 3 M and 221 at 19 M).
    small = peak_mib(3_000_000, tmp_path / "a")
    large = peak_mib(12_000_000, tmp_path / "b")
    assert large - small < 25, (small, large)
    assert large < 200


def test_window_too_big_for_memory_points_to_trace_dir():
    with pytest.raises(CyclesimError, match="trace_dir"):
        cyclesim.run("hello", trace="memory", trace_window=(0, 10**12))


def test_trace_dir_errors(tmp_path):
    with pytest.raises(CyclesimError, match="name the traces"):
        cyclesim.run("hello", trace_dir=tmp_path)
    cyclesim.run("hello", trace="memory", trace_dir=tmp_path / "t")
    with pytest.raises(CyclesimError, match="already holds a trace"):
        cyclesim.run("hello", trace="memory", trace_dir=tmp_path / "t")


def test_cli_trace_dir(tmp_path, capsys):
    from cyclesim.cli import main
    # cyclesim's options come before the program (after it they are the guest's)
    assert main(["run", "--trace", "memory", "--trace-dir", str(tmp_path / "t"),
                 "--quiet", "hello"]) == 0
    assert list((tmp_path / "t" / "memory").glob("part-*.parquet"))
    assert main(["run", "--trace-dir", str(tmp_path / "u"), "--konata",
                 str(tmp_path / "k.log"), "hello"]) == 125     # bad input
    assert "drop --trace-dir" in capsys.readouterr().err
