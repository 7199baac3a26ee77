"""Counts-only trace-driven simulation (simulate(..., timing=False), caches/replay.pyx's
counting kernel).

The kernel makes the state changes of Cache.access without time, so every counter it keeps
must equal the timed hierarchy's on the same trace: hits, misses and their kinds,
evictions, writebacks (dirty victims), write-throughs, back-invalidations, 3C classes and
main memory's reads and writes; and the Python reference model's and pycachesim's, as the
timed path's are (tests/caches/test_trace_driven.py).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import cyclesim
import cyclesim.caches as cc
from caches.simulate import TIMING_STATS
from cyclesim.errors import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from test_trace_driven import (overrides_for, pycachesim_counts, ref_hierarchy,  # noqa: E402
                               ref_replay)


def random_trace(n, seed, fetches=False, span=1 << 18):
    """Hot and streaming regions, line-crossing sizes, loads, stores, AMOs (and fetches)."""
    rng = np.random.default_rng(seed)
    hot = rng.integers(0, 8192, n)
    far = rng.integers(0, span, n)
    stream = np.arange(n) * 24 + (1 << 22)
    pick = rng.random(n)
    addr = np.where(pick < 0.4, hot, np.where(pick < 0.8, far, stream)).astype(np.uint64)
    size = rng.choice([1, 4, 8, 16, 64], n, p=[0.1, 0.3, 0.4, 0.15, 0.05]).astype(np.uint16)
    kinds = [0, 1, 2, 3] if fetches else [1, 2, 3]
    p = [0.2, 0.5, 0.25, 0.05] if fetches else [0.65, 0.3, 0.05]
    kind = rng.choice(kinds, n, p=p).astype(np.uint8)
    return {"addr": addr, "size": size, "kind": kind,
            "pc": (rng.integers(0, 64, n) * 4 + 0x10000).astype(np.uint64)}


def assert_counts_equal(trace, overrides, kernel="counts", **kw):
    """timing=False ran `kernel`; each of its stats equals the timed run's."""
    fast = cc.simulate(trace, overrides=overrides, timing=False, **kw)
    full = cc.simulate(trace, overrides=overrides, **kw)
    assert fast.kernel == kernel
    assert len(fast.stats) > 20
    for key, v in fast.stats.items():
        assert key in full.stats.index, key
        assert v == full.stats[key], (key, v, full.stats[key])
    # nothing that depends on time is reported
    assert "trace.cycles" not in fast.stats
    assert not any(k.rpartition(".")[2] in TIMING_STATS for k in fast.stats.index)
    assert not any(k.startswith("dram.row") for k in fast.stats.index)
    return fast, full


HIERARCHIES = {
    "l1": {"l2": "none"},
    "l1+l2": {"l1d.size": "4KiB", "l1d.assoc": 4, "l1i.size": "4KiB", "l2.size": "32KiB",
              "l2.assoc": 8},
    "l1+l2+l3": {"l1d.size": "2KiB", "l1d.assoc": 2, "l1i.size": "2KiB",
                 "l2.size": "16KiB", "l2.assoc": 4, "l3.size": "128KiB", "l3.assoc": 16},
}


@pytest.mark.parametrize("policy", ["lru", "fifo", "random", "plru", "srrip", "drrip", "ship"])
@pytest.mark.parametrize("levels", list(HIERARCHIES))
def test_counts_equal_the_timed_hierarchy(policy, levels):
    ov = dict(HIERARCHIES[levels])
    ov.update({f"{lv}.policy": policy for lv in ("l1i", "l1d", "l2", "l3")
               if ov.get(lv) != "none" and (lv != "l3" or "l3.size" in ov)})
    fast, full = assert_counts_equal(random_trace(30_000, 3, fetches=True), ov)
    s = fast.stats
    assert s["l1d.evictions"] > 100 and s["l1d.writebacks"] > 100   # the paths were taken
    last = ["l3"] if "l3.size" in ov else ["l2"] if levels != "l1" else ["l1i", "l1d"]
    # every last-level miss reads memory (but a writeback from above, which installs the
    # whole line), every dirty victim there writes it
    wb_misses = 0 if levels == "l1" else s[f"{last[0]}.write_misses"]
    assert s["dram.reads"] == sum(s[f"{lv}.misses"] for lv in last) - wb_misses
    assert s["dram.writes"] == sum(s[f"{lv}.writebacks"] for lv in last)


@pytest.mark.parametrize("variant", [
    {"l1d.write_policy": "write_through", "l1d.write_allocate": False},
    {"l1d.write_allocate": False},
    {"l1d.write_policy": "write_through"},
    {"l2.inclusion": "inclusive"},
    {"l2.inclusion": "inclusive", "l2.policy": "fifo", "l1d.policy": "plru"},
    {"l1d.line_size": 32, "l1i.line_size": 32, "l2.line_size": 32},
])
def test_counts_equal_with_other_write_and_inclusion_policies(variant):
    ov = dict(HIERARCHIES["l1+l2"])
    ov.update(variant)
    fast, _ = assert_counts_equal(random_trace(30_000, 5, fetches=True), ov)
    if "l1d.write_policy" in variant:
        assert fast.stats["l1d.write_throughs"] > 0
    if variant.get("l2.inclusion") == "inclusive":
        assert fast.stats["l1i.back_invalidations"] + fast.stats["l1d.back_invalidations"] > 0


def test_counts_with_the_3c_split_equal_the_timed_ones():
    ov = dict(HIERARCHIES["l1+l2"])
    fast, _ = assert_counts_equal(random_trace(30_000, 9), ov, classify_misses=True)
    s = fast.stats
    assert s["l1d.compulsory_misses"] + s["l1d.capacity_misses"] + \
        s["l1d.conflict_misses"] == s["l1d.misses"]
    assert s["l1d.conflict_misses"] > 0 and s["l2.capacity_misses"] > 0


def test_per_access_levels_and_warmup_equal_the_timed_ones():
    tr = random_trace(20_000, 13, fetches=True)
    ov = dict(HIERARCHIES["l1+l2+l3"])
    fast, full = assert_counts_equal(tr, ov, per_access=True, warmup=5_000)
    assert "latency" not in fast.accesses.columns
    assert (fast.accesses["level"] == full.accesses["level"]).all()
    assert fast.stats["trace.records"] == 15_000


def test_config_the_kernel_cannot_run_falls_back_with_the_same_counts():
    ov = dict(HIERARCHIES["l1+l2"], **{"l1d.prefetcher": "next_line"})
    fast, _ = assert_counts_equal(random_trace(10_000, 17), ov, kernel="hierarchy")
    assert fast.stats["l1d.pf_issued"] > 0


def test_counts_equal_the_reference_model():
    # the synthetic stream of test_trace_driven.py, through the reference model, L1 + L2
    rng = np.random.default_rng(7)
    n = 20_000
    hot = rng.integers(0, 8192, n)
    stream = np.arange(n) * 24 + (1 << 20)
    addr = np.where(rng.random(n) < 0.6, hot, stream).astype(np.uint64)
    size = rng.choice([1, 4, 8, 16], n).astype(np.uint16)
    kind = rng.choice([1, 2], n, p=[0.7, 0.3]).astype(np.uint8)
    for policy in ("lru", "fifo", "plru"):
        l1 = dict(size=4096, assoc=4, line_size=64, policy=policy)
        l2 = dict(size=32768, assoc=8, line_size=64, policy=policy)
        r1, r2 = ref_hierarchy(l1, l2)
        ref_replay(r1, addr, size, kind, 64)
        s = cc.simulate({"addr": addr, "size": size, "kind": kind},
                        overrides=overrides_for(l1, l2), timing=False).stats
        assert (s["l1d.misses"], s["l1d.hits"], s["l1d.writebacks"]) == \
            (r1.misses, r1.hits, r1.writebacks), policy
        assert (s["l2.misses"], s["l2.accesses"]) == (r2.misses, r2.hits + r2.misses)


@pytest.mark.parametrize("policy,stores", [("LRU", False), ("FIFO", True)])
def test_counts_agree_with_pycachesim(policy, stores):
    rng = np.random.default_rng(11)
    n = 60_000
    addr = (rng.integers(0, 1 << 17, n) & ~7).astype(np.uint64)
    kind = (rng.choice([1, 2], n) if stores else np.ones(n)).astype(np.uint8)
    l1 = dict(size=32768, assoc=8, line_size=64, policy=policy.lower())
    l2 = dict(size=262144, assoc=8, line_size=64, policy=policy.lower())
    m1, m2, ev1 = pycachesim_counts(policy, addr, kind, l1, l2)
    s = cc.simulate({"addr": addr, "kind": kind, "size": np.full(n, 8, np.uint16)},
                    overrides=overrides_for(l1, l2), timing=False).stats
    assert s["l1d.misses"] == m1 and s["l2.misses"] == m2
    if stores:
        assert s["l1d.writebacks"] == ev1


@pytest.mark.parametrize("name,args", [("sort", "300"), ("hashtable", "200")])
def test_workload_traces_count_as_the_timed_hierarchy(name, args):
    res = cyclesim.run(name, args, trace="memory", trace_window=(0, 40_000), echo=False)
    for ov in (HIERARCHIES["l1+l2"], HIERARCHIES["l1+l2+l3"],
               dict(HIERARCHIES["l1+l2"], **{"l1d.policy": "plru", "l2.policy": "random"})):
        fast, _ = assert_counts_equal(res.memory_trace, ov)
        assert fast.stats["l1i.accesses"] > 0 and fast.stats["l1d.write_accesses"] > 0


def test_timing_must_be_a_bool():
    with pytest.raises(ConfigError, match="timing"):
        cc.simulate({"addr": np.zeros(1, np.uint64), "kind": np.ones(1, np.uint8)},
                    timing="no")


def test_cli_counts(tmp_path, capsys):
    from cyclesim.cli import main
    p = tmp_path / "t.din"
    p.write_text("".join(f"{k} {a:x}\n" for k, a in
                         [(0, 0x1000), (1, 0x2000), (1, 0x2000), (0, 0x1004)] * 50))
    assert main(["cache", str(p), "--counts", "--json"]) == 0
    import json
    s = json.loads(capsys.readouterr().out)
    # din labels: 0 read, 1 write; two lines, each missed once
    assert s["l1d.accesses"] == 200 and s["l1d.misses"] == 2 and "trace.cycles" not in s
    assert main(["cache", str(p), "--counts"]) == 0
    assert "counts only, counts kernel" in capsys.readouterr().out
