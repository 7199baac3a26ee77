"""Trace-driven mode (caches/simulate.py, tracefile.py, replay.pyx, stackdist.pyx).

1. Each trace format, read from a small file written here from the format's published
   description, gives the records it describes; malformed input names the line / record.
2. Miss counts equal the plain Python reference model (tests/caches/cache_reference.py) for
   L1 alone and L1+L2, on synthetic streams and on streams recorded from workloads, and
   equal pycachesim's where both define the policy the same way.
3. One-pass stack-distance miss-ratio curves equal simulating each size separately.
"""
import gzip
import lzma
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cyclesim
import cyclesim.caches as cc
from caches.cache import Cache
from caches.dram import FixedMemory
from caches.stackdist import stack_distances
from caches.tracefile import Trace
from cyclesim.errors import TraceError

sys.path.insert(0, str(Path(__file__).parent))
from cache_reference import RefCache, RefMemory  # noqa: E402


def records(path, **kw):
    t = Trace(path, **kw)
    chunks = list(t.chunks())
    if not chunks:
        return t, np.empty(0, np.uint64), np.empty(0, np.uint16), np.empty(0, np.uint8)
    return (t, np.concatenate([c.addr for c in chunks]), np.concatenate([c.size for c in chunks]),
            np.concatenate([c.kind for c in chunks]))


# ---- 1. formats ------------------------------------------------------------------------

LACKEY = """==12345== Lackey, an example Valgrind tool
==12345== Command: ./a.out
I  04016d8c,3
 L 1ffefffd30,8
 S 1ffefffd38,4
I  04016d8f,4
 M 0421c7f0,2

==12345== Counted 1 call to main()
"""


def test_lackey_records(tmp_path):
    p = tmp_path / "t.lackey"
    p.write_text(LACKEY)
    t, a, s, k = records(p)
    # I = fetch (0), L = load (1), S = store (2), M = a load then a store of the same bytes
    assert a.tolist() == [0x04016d8c, 0x1ffefffd30, 0x1ffefffd38, 0x04016d8f, 0x0421c7f0,
                          0x0421c7f0]
    assert s.tolist() == [3, 8, 4, 4, 2, 2]
    assert k.tolist() == [0, 1, 2, 0, 1, 2]
    assert t.instructions == 2


def test_lackey_detected_without_suffix_and_compressed(tmp_path):
    p = tmp_path / "trace.out.xz"
    with lzma.open(p, "wt") as f:
        f.write(LACKEY)
    t, a, s, k = records(p)
    assert t.format == "lackey" and len(a) == 6


def test_lackey_bad_line_named(tmp_path):
    p = tmp_path / "t.lackey"
    p.write_text(LACKEY.replace(" S 1ffefffd38,4", " S 1ffefffd38;4"))
    with pytest.raises(TraceError, match=r"line 5: .*1ffefffd38;4"):
        records(p)


def test_din_and_extended_din(tmp_path):
    # din: label (0 read, 1 write, 2 fetch, 3 unknown -> read, 4 flush) and hex address;
    # the rest of the line is a comment
    p = tmp_path / "t.din"
    p.write_text("2 0 fetch\n0 1000\n0 70f60888 a comment\n1 70f60890\n3 10\n4 0\n")
    t, a, s, k = records(p)
    assert a.tolist() == [0, 0x1000, 0x70f60888, 0x70f60890, 0x10, 0]
    assert k.tolist() == [0, 1, 1, 2, 1, 255]
    assert s.tolist() == [1] * 6
    assert t.instructions == 1
    q = tmp_path / "t.dinx"
    q.write_text("0 1000 8\n1 2000 10\n2 400\n")
    t, a, s, k = records(q)
    assert s.tolist() == [8, 16, 1] and k.tolist() == [1, 2, 0]


def test_din_errors_name_the_line(tmp_path):
    p = tmp_path / "t.din"
    p.write_text("0 1000\n7 2000\n")
    with pytest.raises(TraceError, match="line 2: expected a label"):
        records(p)
    p.write_text("0 1000\n0 12zz\n")
    with pytest.raises(TraceError, match="line 2: expected a hexadecimal address"):
        records(p)


def champsim_record(ip, src=(), dst=()):
    """ChampSim's input_instr: u64 ip; u8 is_branch, branch_taken; u8 dst_regs[2];
    u8 src_regs[4]; u64 dst_mem[2]; u64 src_mem[4] (64 bytes, little-endian)."""
    src = list(src) + [0] * (4 - len(src))
    dst = list(dst) + [0] * (2 - len(dst))
    return struct.pack("<QBB2B4B2Q4Q", ip, 0, 0, 0, 0, 0, 0, 0, 0, *dst, *src)


def test_champsim_binary(tmp_path):
    data = (champsim_record(0x400000, src=[0x1000]) + champsim_record(0x400004)
            + champsim_record(0x400008, src=[0x2000, 0x2040], dst=[0x3000]))
    p = tmp_path / "t.champsimtrace.xz"
    with lzma.open(p, "wb") as f:
        f.write(data)
    t = Trace(p)
    ch = list(t.chunks())
    a = np.concatenate([c.addr for c in ch]).tolist()
    k = np.concatenate([c.kind for c in ch]).tolist()
    pc = np.concatenate([c.pc for c in ch]).tolist()
    # per instruction: its loads, then its stores; an instruction without memory operands
    # makes no record but counts as an instruction
    assert a == [0x1000, 0x2000, 0x2040, 0x3000]
    assert k == [1, 1, 1, 2]
    assert pc == [0x400000, 0x400008, 0x400008, 0x400008]
    assert t.instructions == 3


def test_champsim_truncated_record(tmp_path):
    p = tmp_path / "t.champsim"
    p.write_bytes(champsim_record(1, src=[8]) + champsim_record(2)[:40])
    with pytest.raises(TraceError, match="record 2 is truncated"):
        list(Trace(p).chunks())


def test_arrays_and_bad_kinds():
    df = pd.DataFrame({"addr": [0, 64, 128], "kind": ["load", "write", "fetch"]})
    t = Trace(df)
    (c,) = list(t.chunks())
    assert c.kind.tolist() == [1, 2, 0] and c.size.tolist() == [1, 1, 1]
    with pytest.raises(TraceError, match="record 1: kind 'jump' is unknown"):
        Trace(pd.DataFrame({"addr": [0, 1], "kind": ["load", "jump"]}))
    with pytest.raises(TraceError, match="kind 9 is not an access kind"):
        Trace({"addr": np.array([0]), "kind": np.array([9])})
    with pytest.raises(TraceError, match="needs columns addr and kind"):
        Trace(pd.DataFrame({"address": [0]}))
    with pytest.raises(TraceError, match="does not exist"):
        Trace("/nonexistent/trace.din")


# ---- 2. miss counts against the reference model and pycachesim ---------------------------

def ref_hierarchy(l1, l2):
    mem = RefMemory()
    r2 = RefCache(**l2, next=mem, level_id=2) if l2 else None
    r1 = RefCache(**l1, next=r2 if r2 else mem, level_id=1)
    return r1, r2


def ref_replay(r1, addr, size, kind, line):
    """What simulate does, spelled out: one access per line a record touches."""
    for a, s, k in zip(addr.tolist(), size.tolist(), kind.tolist()):
        first, last = a // line, (a + max(s, 1) - 1) // line
        for ln in range(first, last + 1):
            r1.access(a if ln == first else ln * line, k)


def overrides_for(l1, l2):
    ov = {"l1d.size": l1["size"], "l1d.assoc": l1["assoc"], "l1d.line_size": l1["line_size"],
          "l1d.policy": l1["policy"], "l1i.line_size": l1["line_size"]}
    if l2:
        ov.update({"l2.size": l2["size"], "l2.assoc": l2["assoc"], "l2.policy": l2["policy"],
                   "l2.line_size": l2["line_size"]})
    else:
        ov["l2"] = "none"
    return ov


@pytest.mark.parametrize("policy", ["lru", "fifo", "plru", "srrip"])
@pytest.mark.parametrize("with_l2", [False, True])
def test_synthetic_stream_matches_reference(policy, with_l2):
    rng = np.random.default_rng(7)
    n = 20_000
    # a mix of a hot region, a streaming region and line-crossing accesses
    hot = rng.integers(0, 8192, n)
    stream = np.arange(n) * 24 + (1 << 20)
    addr = np.where(rng.random(n) < 0.6, hot, stream).astype(np.uint64)
    size = rng.choice([1, 4, 8, 16], n).astype(np.uint16)
    kind = rng.choice([1, 2], n, p=[0.7, 0.3]).astype(np.uint8)
    l1 = dict(size=4096, assoc=4, line_size=64, policy=policy)
    l2 = dict(size=32768, assoc=8, line_size=64, policy=policy) if with_l2 else None
    r1, r2 = ref_hierarchy(l1, l2)
    ref_replay(r1, addr, size, kind, 64)
    r = cc.simulate({"addr": addr, "size": size, "kind": kind}, overrides=overrides_for(l1, l2))
    s = r.stats
    assert s["l1d.misses"] == r1.misses and s["l1d.hits"] == r1.hits
    assert s["l1d.writebacks"] == r1.writebacks
    if with_l2:
        assert s["l2.misses"] == r2.misses and s["l2.accesses"] == r2.hits + r2.misses
    assert s["trace.records"] == n


@pytest.fixture(scope="module")
def workload_traces():
    out = {}
    for name, args in (("sort", "300"), ("hashtable", "200")):
        res = cyclesim.run(name, args, trace="memory", trace_window=(0, 40_000), echo=False)
        out[name] = res.memory_trace
    return out


@pytest.mark.parametrize("name", ["sort", "hashtable"])
def test_workload_stream_matches_reference(workload_traces, name):
    mt = workload_traces[name]
    data = mt[mt["kind"] != "ifetch"]
    l1 = dict(size=2048, assoc=2, line_size=32, policy="lru")
    l2 = dict(size=16384, assoc=4, line_size=32, policy="lru")
    r1, r2 = ref_hierarchy(l1, l2)
    kinds = data["kind"].map({"load": 1, "store": 2, "amo": 3}).to_numpy(np.uint8)
    ref_replay(r1, data["addr"].to_numpy(np.uint64), data["size"].to_numpy(np.uint16),
               kinds, 32)
    r = cc.simulate(data, overrides=overrides_for(l1, l2))
    assert r.stats["l1d.misses"] == r1.misses
    assert r.stats["l2.misses"] == r2.misses


def test_replay_of_a_runs_own_trace_gives_the_runs_l1_counts(tmp_path):
    # The memory trace records every L1 access in the order the caches saw it
    # (docs/pipeline.md), so replaying the whole run's trace through the same L1s gives the
    # run's L1 counters exactly.
    res = cyclesim.run("matmul", "12", trace="memory", trace_window=(0, 10**6), echo=False)
    assert res.stats["core.instructions"] < 10**6        # the window covered the whole run
    r = cc.simulate(res.memory_trace, config=res.config)
    for lvl in ("l1i", "l1d"):
        for stat in ("accesses", "misses", "writebacks"):
            assert r.stats[f"{lvl}.{stat}"] == res.stats[f"{lvl}.{stat}"], (lvl, stat)
    # and from the Parquet file a saved result holds
    path = tmp_path / "mt.parquet"
    res.memory_trace.to_parquet(path)
    r2 = cc.simulate(path, config=res.config)
    assert r2.stats["l1d.misses"] == res.stats["l1d.misses"]


def pycachesim_counts(policy, addr, kind, l1, l2):
    cachesim = pytest.importorskip("cachesim")
    mem = cachesim.MainMemory()
    c2 = cachesim.Cache("L2", l2["size"] // (l2["assoc"] * 64), l2["assoc"], 64, policy)
    mem.load_to(c2)
    mem.store_from(c2)
    c1 = cachesim.Cache("L1", l1["size"] // (l1["assoc"] * 64), l1["assoc"], 64, policy,
                        store_to=c2, load_from=c2)
    cs = cachesim.CacheSimulator(c1, mem)
    for a, k in zip(addr.tolist(), kind.tolist()):
        if k == 1:
            cs.load(a, 8)
        else:
            cs.store(a, 8)
    s1, s2 = list(cs.stats())[:2]
    return s1["MISS_count"], s2["MISS_count"], s1["EVICT_count"]


@pytest.mark.parametrize("policy,stores", [("LRU", False), ("FIFO", False), ("FIFO", True)])
def test_agrees_with_pycachesim(policy, stores):
    # pycachesim is in the test extras. Where both define the policy the same way: its LRU
    # does not move a line to the most-recently-used position on a store hit (only loads
    # reorder its queue, backend.c Cache__store), so LRU is compared on loads only; FIFO
    # ignores hits in both, so it is compared with stores too.
    rng = np.random.default_rng(11)
    n = 60_000
    addr = (rng.integers(0, 1 << 17, n) & ~7).astype(np.uint64)
    kind = (rng.choice([1, 2], n) if stores else np.ones(n)).astype(np.uint8)
    l1 = dict(size=32768, assoc=8, line_size=64, policy=policy.lower())
    l2 = dict(size=262144, assoc=8, line_size=64, policy=policy.lower())
    m1, m2, ev1 = pycachesim_counts(policy, addr, kind, l1, l2)
    r = cc.simulate({"addr": addr, "kind": kind, "size": np.full(n, 8, np.uint16)},
                    overrides=overrides_for(l1, l2)).stats
    assert r["l1d.misses"] == m1 and r["l2.misses"] == m2
    if stores:
        assert r["l1d.writebacks"] == ev1


# ---- 3. miss-ratio curves ---------------------------------------------------------------

def test_stack_distances_hand_example():
    # lines: a b c a b b d a   distances: a,b,c cold; a: {b,c} = 2; b: {c,a} = 2; b: 0;
    # d cold; a: {b,d} = 2
    d = stack_distances(np.array([1, 2, 3, 1, 2, 2, 4, 1], np.uint64))
    assert d.tolist() == [-1, -1, -1, 2, 2, 0, -1, 2]


def lru_misses(lines, sets, ways):
    mem = FixedMemory(1)
    c = Cache(sets * ways * 64, ways, line_size=64, policy="lru", next=mem,
              classify_misses=False)
    for ln in lines.tolist():
        c.access_py(ln * 64, "load")
    return c.stats()["misses"]


@pytest.mark.parametrize("sets", [1, 4, 16])
def test_mrc_equals_per_size_simulation(sets):
    rng = np.random.default_rng(5)
    n = 6000
    # a reuse pattern with every distance: a Zipf-like choice over 300 lines
    lines = (rng.zipf(1.3, n) % 300).astype(np.uint64)
    trace = {"addr": lines * np.uint64(64), "kind": np.ones(n, np.uint8)}
    if sets == 1:
        mrc = cc.miss_ratio_curve(trace, sizes=[64 * c for c in (1, 2, 3, 8, 50, 128, 300)])
    else:
        mrc = cc.miss_ratio_curve(trace, sets=sets, max_ways=12)
    assert len(mrc) > 5
    for row in mrc.itertuples():
        assert row.misses == lru_misses(lines, sets, row.ways), (row.sets, row.ways)
    assert (np.diff(mrc["misses"]) <= 0).all()          # LRU inclusion: never more misses


def test_mrc_counts_line_crossing_accesses_like_simulate():
    rng = np.random.default_rng(9)
    n = 5000
    addr = rng.integers(0, 1 << 14, n).astype(np.uint64)
    size = rng.choice([1, 8, 100], n).astype(np.uint16)
    trace = {"addr": addr, "size": size, "kind": np.ones(n, np.uint8)}
    mrc = cc.miss_ratio_curve(trace, sets=8, sizes=[8 * 4 * 64])
    r = cc.simulate(trace, overrides={"l1d.size": 2048, "l1d.assoc": 4, "l1d.policy": "lru"})
    assert int(mrc["misses"][0]) == r.stats["l1d.misses"]
    assert int(mrc["accesses"][0]) == r.stats["trace.line_accesses"]


def test_reuse_histogram_sums_to_accesses():
    lines = np.array([1, 2, 3, 1, 2, 2, 4, 1], np.uint64)
    h = cc.reuse_distances({"addr": lines * np.uint64(64), "kind": np.ones(8, np.uint8)})
    assert dict(zip(h["distance"], h["count"])) == {-1: 4, 0: 1, 2: 3}


# ---- timing rules ------------------------------------------------------------------------

def test_issue_rules_exact_cycles():
    # L1 hit 1 cycle, L2 hit +4 (l2.hit_latency), memory fixed 20: a cold load costs
    # 1 + 4 + 20 = 25 cycles here (each level adds its hit latency on the way down).
    ov = {"l1d.hit_latency": 1, "l2.hit_latency": 4, "memory.kind": "fixed",
          "memory.latency": 20}
    tr = {"addr": np.array([0, 8, 4096], np.uint64), "kind": np.ones(3, np.uint8)}
    r = cc.simulate(tr, overrides=ov, per_access=True)
    lat = r.accesses["latency"].tolist()
    assert lat[1] == 1                                   # same line: an L1 hit
    assert lat[0] == lat[2]                              # two cold misses cost the same
    # blocking: record i starts when i-1 completes, so the last cycle is the sum
    assert r.stats["trace.cycles"] == sum(lat)
    g = cc.simulate(tr, overrides=ov, issue="gap", gap=3)
    assert g.stats["trace.cycles"] == 9                  # 3 records issued 3 cycles apart
    with pytest.raises(TraceError, match="needs cycle"):
        cc.simulate(tr, overrides=ov, issue="trace")
    t = cc.simulate({**tr, "cycle": np.array([5, 100, 200], np.uint64)}, overrides=ov,
                    issue="trace")
    assert t.stats["trace.cycles"] == 200


def test_warmup_drops_stats():
    tr = {"addr": np.array([0, 0, 64, 0], np.uint64), "kind": np.ones(4, np.uint8)}
    r = cc.simulate(tr, warmup=2)
    assert r.stats["trace.records"] == 2
    assert r.stats["l1d.accesses"] == 2 and r.stats["l1d.misses"] == 1


# ---- CLI -------------------------------------------------------------------------------

def test_cli_cache(tmp_path, capsys):
    from cyclesim.cli import main
    p = tmp_path / "t.din"
    p.write_text("".join(f"0 {a:x}\n" for a in range(0, 64 * 100, 8)))
    assert main(["cache", str(p), "--set", "l1d.size=4KiB", "--json"]) == 0
    out = capsys.readouterr().out
    import json
    s = json.loads(out)
    assert s["l1d.misses"] == 100 and s["trace.records"] == 800
    assert main(["cache", str(p), "--mrc", "--sets", "1"]) == 0
    assert "miss_ratio" in capsys.readouterr().out
    bad = tmp_path / "bad.din"
    bad.write_text("0 10\nx y\n")
    assert main(["cache", str(bad)]) == 125          # bad input (cli.EXIT_BAD_INPUT)
    err = capsys.readouterr().err
    assert "line 2" in err and "Traceback" not in err


# ---- sweeps over traces ------------------------------------------------------------------

def test_sweep_over_traces_matches_simulate(tmp_path):
    rng = np.random.default_rng(2)
    p = tmp_path / "a.din"
    p.write_text("".join(f"{k} {a:x}\n" for k, a in
                         zip(rng.choice([0, 1], 3000), rng.integers(0, 1 << 16, 3000))))
    arrays = Trace({"addr": rng.integers(0, 1 << 15, 2000).astype(np.uint64),
                    "kind": np.ones(2000, np.uint8)})
    grid = {"l1d.size": ["2KiB", "8KiB"], "l1d.policy": ["lru", "fifo"]}
    store = tmp_path / "store"
    df = cyclesim.sweep([Trace(p), arrays], grid, store=store, workers=2, progress=False)
    assert len(df) == 8 and (df["status"] == "ok").all()
    for row in df.itertuples():
        src = Trace(p) if row.workload == "a.din" else arrays
        one = cc.simulate(src, overrides={"l1d.size": df.loc[row.Index, "l1d.size"],
                                          "l1d.policy": df.loc[row.Index, "l1d.policy"]})
        assert df.loc[row.Index, "l1d.misses"] == one.stats["l1d.misses"]
    # a rerun with the same store skips every point
    again = cyclesim.sweep([Trace(p), arrays], grid, store=store, workers=1, progress=False)
    assert again.attrs["skipped"] == 8


def test_sweep_file_with_a_trace(tmp_path, capsys):
    from cyclesim.cli import main
    (tmp_path / "t.din").write_text("".join(f"0 {a:x}\n" for a in range(0, 1 << 14, 16)))
    spec = tmp_path / "s.toml"
    spec.write_text('workloads = [{ trace = "t.din" }]\nworkers = 1\n'
                    '[grid]\n"l1d.size" = ["4KiB", "16KiB"]\n')
    assert main(["sweep", str(spec), "--no-progress"]) == 0
    df = cyclesim.load_sweep(tmp_path / "s-results")
    assert sorted(df["l1d.misses"].tolist()) == [256, 256]     # 16 KiB streamed once: cold
    assert (df["trace.records"] == 1024).all()
