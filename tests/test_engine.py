"""The engine and results: stop conditions, warm-up, region of interest, samplers,
traces, reproducibility, presets, limits."""
import subprocess

import numpy as np
import pytest

import cyclesim
from cyclesim import workloads
from cyclesim.config import presets


def small(name):
    return workloads.info(name)["test_args"][0]


def test_run_is_bit_for_bit_reproducible():
    a = cyclesim.run("sort", *small("sort"), trace=["pipeline", "memory"], trace_window=(500, 300))
    b = cyclesim.run("sort", *small("sort"), trace=["pipeline", "memory"], trace_window=(500, 300))
    assert a.stats.equals(b.stats)
    assert a.pipeline.equals(b.pipeline)
    assert a.memory_trace.equals(b.memory_trace)


@pytest.mark.parametrize("preset", presets.names())
def test_every_preset_runs_and_accounts_for_every_cycle(preset):
    r = cyclesim.run("matmul", *small("matmul"), preset=preset)
    assert r.ok, r.message
    assert int(r.cpi_stack().sum()) == int(r.stats["core.cycles"])
    assert r.stats["core.cycles"] >= r.instructions


def test_pipeline_and_cycle_traces_agree():
    r = cyclesim.run("interp", *small("interp"), trace="cycles", trace_window=(2000, 400))
    p, c = r.pipeline, r.cycles()
    assert len(p) == 400 and p["seq"].iloc[0] == 2000
    assert (np.diff(p["seq"]) == 1).all()
    # every stage entry in the per-instruction trace is a cycle where that instruction
    # occupies that stage in the per-cycle trace, and the cycle trace holds nothing else
    by_cycle = c.set_index("cycle")
    for stage, col in zip(("IF", "ID", "EX", "MEM", "WB"),
                          ("if_cycle", "id_cycle", "ex_cycle", "mem_cycle", "wb_cycle")):
        assert (by_cycle.loc[p[col], stage].to_numpy() == p["seq"].to_numpy()).all()
        occupied = by_cycle[stage].dropna()
        assert set(occupied.unique()) <= set(p["seq"])
    # one commit per cycle at most, in order
    assert p["wb_cycle"].is_monotonic_increasing and p["wb_cycle"].is_unique
    # a stage stalls exactly when its occupant stays more than one cycle
    stays = (p["id_cycle"] - p["if_cycle"]).sum() - len(p)
    assert (c["stalled"].str.contains("IF")).sum() == stays


def test_memory_trace_columns_and_levels():
    r = cyclesim.run("ptrchase", *small("ptrchase"), trace="memory", trace_window=(0, 5000))
    m = r.memory_trace
    assert list(m.columns[:7]) == ["cycle", "seq", "pc", "addr", "size", "kind", "level"]
    assert set(m["kind"]) <= {"ifetch", "load", "store", "amo"}
    assert set(m["level"]) <= {"L1", "L2", "L3", "memory"}
    assert {"load", "ifetch"} <= set(m["kind"])


def test_intervals_sum_to_the_totals():
    r = cyclesim.run("stencil", *small("stencil"), sample_interval=20_000)
    iv = r.intervals
    assert len(iv) >= 3
    assert iv["cycle"].is_monotonic_increasing
    # samples land at the next instruction boundary after each interval edge; the last
    # row is the partial interval up to the end of the run (issue 8, item 12)
    steps = np.diff(iv["cycle"])
    assert (steps[:-1] >= 20_000 - 200).all() and 0 < steps[-1] <= 20_000 + 200
    assert iv["core.instructions"].iloc[-1] == r.instructions
    assert iv["cycle"].iloc[-1] == r.stats["core.cycles"]


def test_warmup_resets_statistics():
    full = cyclesim.run("sort", *small("sort"))
    warm = cyclesim.run("sort", *small("sort"), warmup=50_000)
    assert warm.instructions == full.instructions - 50_000
    assert int(warm.cpi_stack().sum()) == int(warm.stats["core.cycles"])
    assert warm.stats["core.cycles"] < full.stats["core.cycles"]


def test_region_of_interest_markers():
    full = cyclesim.run("matmul", *small("matmul"), mode="functional")
    roi = cyclesim.run("matmul", *small("matmul"), mode="functional", roi=True)
    assert roi.ok
    assert 0 < roi.instructions < full.instructions
    timed = cyclesim.run("matmul", *small("matmul"), roi=True)
    assert timed.instructions == roi.instructions
    assert int(timed.cpi_stack().sum()) == int(timed.stats["core.cycles"])


def test_stop_at_symbol_and_limits():
    r = cyclesim.run("matmul", *small("matmul"), mode="functional", stop_at="main")
    assert r.status == "stopped"
    r = cyclesim.run("matmul", *small("matmul"), max_insts=10_000)
    assert r.status == "max_insts" and r.instructions == 10_000
    r = cyclesim.run("matmul", *small("matmul"), max_cycles=30_000)
    assert r.status == "max_cycles"
    assert 30_000 <= r.stats["core.cycles"] < 30_200
    with pytest.raises(cyclesim.CyclesimError, match="symbol"):
        cyclesim.run("matmul", stop_at="no_such_function")


def test_memory_cap_ends_the_run_cleanly(tmp_path, riscv_gcc):
    src = tmp_path / "hog.c"
    src.write_text("#include <stdlib.h>\n#include <string.h>\n"
                   "int main(void){ for(;;){ char *p = malloc(1<<20); if(!p) return 9;"
                   " memset(p, 1, 1<<20);} }\n")
    elf = tmp_path / "hog"
    subprocess.run([riscv_gcc, "-O2", "-static", "-o", elf, src], check=True)
    r = cyclesim.run(str(elf), mode="functional", mem_limit="64MiB")
    assert r.status == "mem_limit"
    assert "memory limit of 64 MiB" in r.message


def test_bad_configs_are_refused_before_the_run():
    with pytest.raises(cyclesim.ConfigError, match="l1d.assoc"):
        cyclesim.run("hello", overrides={"l1d.assoc": 3})
    with pytest.raises(cyclesim.ConfigError, match="lru"):
        cyclesim.run("hello", overrides={"l2": {"policy": "nope"}})
    with pytest.raises(cyclesim.ConfigError):
        cyclesim.run("hello", overrides={"core.mul_latency": -1})


def test_nested_overrides_change_the_machine():
    small_l1 = cyclesim.run("ptrchase", *small("ptrchase"), overrides={"l1d": {"size": "4KiB"}})
    big_l1 = cyclesim.run("ptrchase", *small("ptrchase"), overrides={"l1d.size": "64KiB"})
    assert small_l1.stats["l1d.misses"] > big_l1.stats["l1d.misses"]
    assert small_l1.config.l1d.size == 4096


def test_classify_misses_is_a_config_field():
    """By default (classify_misses = auto) the 3C split is made behind the L1s only; with
    l1d.classify_misses = on the L1D has it too, and compulsory + capacity + conflict are
    all of its misses; the same L1D's cycles and misses either way (bookkeeping only)."""
    auto = cyclesim.run("sort", *small("sort"))
    on = cyclesim.run("sort", *small("sort"), overrides={"l1d.classify_misses": "on"})
    assert "l2.compulsory_misses" in auto.stats and "l1d.compulsory_misses" not in auto.stats
    s = on.stats
    assert (s["l1d.compulsory_misses"] + s["l1d.capacity_misses"] + s["l1d.conflict_misses"]
            == s["l1d.misses"] > 0)
    assert s["l1d.compulsory_misses"] > 0
    assert (s["core.cycles"], s["l1d.misses"]) == (auto.stats["core.cycles"],
                                                  auto.stats["l1d.misses"])
    assert "l1d.classify_misses" not in s and on.config.l1d.classify_misses == "on"
