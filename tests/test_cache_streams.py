"""L1D hit/miss/writeback counts on REAL data address streams, against the plain Python
reference model (tests/caches/cache_reference.py, written from docs/caches.md).

The streams come from the first WINDOW instructions of a few workloads run in timing mode
with trace="memory". Which order does the L1D see? docs/pipeline.md ("Notes for the memory
hierarchy") says accesses reach the L1s in consume() order, i.e. program order: a buffered
store makes its access when the store is consumed, stamped with its (later) drain-start
cycle. The memory trace is written at the same point, so the ORDER OF THE TRACE RECORDS (=
seq order) is the order the cache sees; sorting by `cycle` would reorder stores after
younger loads. test_trace_order_is_cache_order checks both statements on the real runs.

1. The whole simulator's l1d.* counters equal the reference replay of its own trace.
2. caches.cache.Cache alone, replayed on each stream, equals the reference access by access,
   for every replacement policy x write policy x allocate mode.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
from caches.cache import Cache
from caches.dram import FixedMemory

import cyclesim
from cyclesim import workloads

sys.path.insert(0, str(Path(__file__).parent / "caches"))
from cache_reference import AMO, LOAD, STORE, RefCache, RefMemory

WINDOW = 50_000
WORKLOADS = [("sort", "500"), ("hashtable", "300"), ("matmul", "16"), ("ptrchase", "256")]
KINDS = {"load": LOAD, "store": STORE, "amo": AMO}
POLICIES = ["lru", "fifo", "plru", "random", "srrip"]
WRITE_MODES = [("write_back", True), ("write_back", False), ("write_through", True),
               ("write_through", False)]
# Small L1D so that real streams evict (and write back) a lot: 4 KiB, 4-way, 16 sets.
GEOMETRY = {"size": 4096, "assoc": 4, "line_size": 64}
# The full-simulator runs: one L1D configuration per workload, so all five policies and all
# four write modes appear at least once across the workloads.
SIM_CONFIGS = {
    "sort": ("lru", "write_back", True),
    "hashtable": ("srrip", "write_through", False),
    "matmul": ("plru", "write_back", False),
    "ptrchase": ("random", "write_through", True),
}
COUNTERS = ["accesses", "hits", "misses", "writebacks", "evictions", "write_throughs"]


def reference(stream, policy, write_policy, write_allocate, geometry=GEOMETRY, seed=1):
    """Replay (addr, kind) pairs through RefCache; returns (counts, hit/miss string)."""
    ref = RefCache(geometry["size"], geometry["assoc"], geometry["line_size"],
                   policy=policy, write_policy=write_policy, write_allocate=write_allocate,
                   seed=seed, next=RefMemory(), level_id=1)
    hm = "".join(ref.access(int(a), int(k))[2] for a, k in stream)
    counts = {"accesses": ref.accesses, "hits": ref.hits, "misses": ref.misses,
              "writebacks": ref.writebacks, "evictions": ref.evictions,
              "write_throughs": ref.write_throughs}
    return counts, hm


def l1d_overrides(policy, write_policy, write_allocate):
    return {"l1d.size": GEOMETRY["size"], "l1d.assoc": GEOMETRY["assoc"],
            "l1d.line_size": GEOMETRY["line_size"], "l1d.policy": policy,
            "l1d.write_policy": write_policy, "l1d.write_allocate": write_allocate}


@pytest.fixture(scope="module")
def runs():
    """name -> (result, data trace DataFrame in record order)."""
    out = {}
    for name, arg in WORKLOADS:
        r = cyclesim.run(workloads.path(name), arg, overrides=l1d_overrides(*SIM_CONFIGS[name]),
                         trace="memory", trace_window=(0, WINDOW), max_insts=WINDOW)
        assert r.status in ("max_insts", "exited"), r.message
        data = r.memory_trace[r.memory_trace["kind"].isin(list(KINDS))]
        out[name] = (r, data)
    return out


def stream_of(data):
    return list(zip(data["addr"].to_numpy(np.uint64), data["kind"].map(KINDS).to_numpy()))


@pytest.mark.parametrize("name", [w for w, _ in WORKLOADS])
def test_simulator_l1d_matches_reference_on_its_own_trace(runs, name):
    """Whole simulator vs reference: the trace covers every instruction of the run, so the
    L1D counters of the run must equal a replay of the trace's data accesses."""
    r, data = runs[name]
    assert r.stats["core.instructions"] <= WINDOW
    # no access crosses a line here, so one trace record is one L1D access
    assert not ((data["addr"] % GEOMETRY["line_size"]) + data["size"] > GEOMETRY["line_size"]).any()
    counts, hm = reference(stream_of(data), *SIM_CONFIGS[name])
    assert counts["misses"] > 50 and counts["evictions"] > 0      # the stream is not trivial
    got = {c: int(r.stats[f"l1d.{c}"]) for c in COUNTERS}
    assert got == counts
    # per access: the level that served each record is L1 exactly on the reference's hits
    served_l1 = "".join("h" if str(lv).lower() == "l1" else "m" for lv in data["level"])
    assert served_l1 == hm           # (a no-allocate store miss is served below: "m")


def test_trace_order_is_cache_order(runs):
    """Document the order: records are in seq (program) order, and on a real run with
    missing stores that is NOT cycle order (buffered stores drain late). Replaying in cycle
    order gives different counts on at least one workload, so the order matters."""
    differs = False
    for name, _ in WORKLOADS:
        r, data = runs[name]
        assert data["seq"].is_monotonic_increasing
        by_cycle = data.sort_values(["cycle", "seq"], kind="stable")
        if not by_cycle.index.equals(data.index):
            counts, _ = reference(stream_of(by_cycle), *SIM_CONFIGS[name])
            got = {c: int(r.stats[f"l1d.{c}"]) for c in COUNTERS}
            differs |= counts != got
    assert differs, "no workload reorders: the order check proves nothing"


@pytest.fixture(scope="module")
def streams(runs):
    return {name: stream_of(data)[:12_000] for name, (_, data) in runs.items()}


@pytest.mark.parametrize("write_policy,write_allocate", WRITE_MODES)
@pytest.mark.parametrize("policy", POLICIES)
def test_cache_alone_matches_reference_on_real_streams(streams, policy, write_policy,
                                                        write_allocate):
    """caches.cache.Cache (over a fixed memory) vs the reference, access by access, on the
    data streams of every workload."""
    for name, stream in streams.items():
        cache = Cache(GEOMETRY["size"], GEOMETRY["assoc"], GEOMETRY["line_size"], 1, policy,
                      write_policy=write_policy, write_allocate=write_allocate, seed=1,
                      next=FixedMemory(10), level_id=1, name="l1d")
        hm = "".join("h" if cache.access_py(int(a), int(k), i)[1] == 1 else "m"
                     for i, (a, k) in enumerate(stream))
        counts, ref_hm = reference(stream, policy, write_policy, write_allocate)
        if hm != ref_hm:
            first = next(i for i, (x, y) in enumerate(zip(hm, ref_hm)) if x != y)
            pytest.fail(f"{name}: access {first} ({stream[first]}) differs: "
                        f"cache {hm[first]}, reference {ref_hm[first]}")
        st = cache.stats()
        assert {c: st[c] for c in COUNTERS} == counts, name


@pytest.mark.parametrize("name,arg,inclusion,write_policy,allocate", [
    ("sort", "500", "non_inclusive", "write_back", True),
    ("hashtable", "300", "inclusive", "write_back", True),
    ("matmul", "16", "non_inclusive", "write_through", False),
])
def test_whole_hierarchy_matches_reference_chain(name, arg, inclusion, write_policy,
                                                  allocate):
    """L1I + L1D -> L2 -> DRAM on the full memory trace (fetches and data, in record order,
    which is consume() order for both L1s): small caches so the L2 evicts and writes back;
    an inclusive L2 back-invalidates the L1s. Every level's counters equal a chain of
    reference caches, and the DRAM sees the reference's reads and writes."""
    ov = {"l1i.size": 2048, "l1i.assoc": 2, "l1d.size": 4096, "l1d.assoc": 4,
          "l2.size": "16KiB", "l2.assoc": 4, "l2.inclusion": inclusion,
          "l1d.write_policy": write_policy, "l1d.write_allocate": allocate}
    r = cyclesim.run(workloads.path(name), arg, overrides=ov, trace="memory",
                     trace_window=(0, WINDOW), max_insts=WINDOW)
    mem = RefMemory()
    l2 = RefCache(16384, 4, 64, inclusive=inclusion == "inclusive", next=mem, level_id=2)
    l1i = RefCache(2048, 2, 64, next=l2, level_id=1)
    l1d = RefCache(4096, 4, 64, write_policy=write_policy, write_allocate=allocate,
                   next=l2, level_id=1)
    l2.uppers = [l1i, l1d]
    kinds = dict(KINDS, ifetch=0)
    for a, k in zip(r.memory_trace["addr"].to_numpy(np.uint64), r.memory_trace["kind"]):
        (l1i if k == "ifetch" else l1d).access(int(a), kinds[k])
    for level, ref in (("l1i", l1i), ("l1d", l1d), ("l2", l2)):
        got = {c: int(r.stats[f"{level}.{c}"]) for c in
               ("accesses", "misses", "writebacks", "evictions", "back_invalidations",
                "write_throughs")}
        want = {"accesses": ref.accesses, "misses": ref.misses, "writebacks": ref.writebacks,
                "evictions": ref.evictions, "back_invalidations": ref.back_invalidations,
                "write_throughs": ref.write_throughs}
        assert got == want, level
    assert l2.evictions > 0 and l2.writebacks > 0
    if write_policy == "write_through":
        assert l1d.write_throughs > 0
    if inclusion == "inclusive":
        assert l1i.back_invalidations + l1d.back_invalidations > 0
    assert (int(r.stats["dram.reads"]), int(r.stats["dram.writes"])) == (mem.reads, mem.writes)


# ---- pc-aware policies (DRRIP, SHiP) on real streams, with the pc of every access --------

# Small tables so that, on a 16-set L1D, DRRIP has followers (stride 4) and SHiP aliases.
PC_POLICIES = [("drrip", {"leader_sets": 4, "psel_bits": 4, "bimodal_throttle": 8}),
               ("ship", {"shct_entries": 64, "counter_bits": 2}),
               ("ship", None)]


def reference_pc(stream, policy, params, write_policy="write_back", write_allocate=True):
    """Replay (addr, kind, pc) triples through RefCache; returns (counts, hit/miss string)."""
    ref = RefCache(GEOMETRY["size"], GEOMETRY["assoc"], GEOMETRY["line_size"],
                   policy=policy, write_policy=write_policy, write_allocate=write_allocate,
                   next=RefMemory(), level_id=1, params=params)
    hm = "".join(ref.access(int(a), int(k), int(pc))[2] for a, k, pc in stream)
    counts = {"accesses": ref.accesses, "hits": ref.hits, "misses": ref.misses,
              "writebacks": ref.writebacks, "evictions": ref.evictions,
              "write_throughs": ref.write_throughs}
    return counts, hm


def pc_stream_of(data):
    return list(zip(data["addr"].to_numpy(np.uint64), data["kind"].map(KINDS).to_numpy(),
                    data["pc"].to_numpy(np.uint64)))


@pytest.mark.parametrize("write_policy,write_allocate", [("write_back", True),
                                                         ("write_through", False)])
@pytest.mark.parametrize("policy,params", PC_POLICIES)
def test_pc_aware_policies_match_reference_on_real_streams(runs, policy, params, write_policy,
                                                           write_allocate):
    for name, (_, data) in runs.items():
        stream = pc_stream_of(data)[:12_000]
        cache = Cache(GEOMETRY["size"], GEOMETRY["assoc"], GEOMETRY["line_size"], 1, policy,
                      write_policy=write_policy, write_allocate=write_allocate,
                      next=FixedMemory(10), level_id=1, name="l1d", policy_params=params)
        hm = "".join("h" if cache.access_py(int(a), int(k), i, int(pc))[1] == 1 else "m"
                     for i, (a, k, pc) in enumerate(stream))
        counts, ref_hm = reference_pc(stream, policy, params, write_policy, write_allocate)
        assert hm == ref_hm, name
        st = cache.stats()
        assert {c: st[c] for c in COUNTERS} == counts, name


def test_simulator_passes_the_pc_to_ship():
    """Whole simulator with a SHiP L1D: its counters equal a replay of its own trace with
    the trace's pcs (a wrong or missing pc changes the SHCT training and the counts)."""
    params = {"shct_entries": 64, "counter_bits": 2}
    over = dict(l1d_overrides("ship", "write_back", True))
    over.update({f"l1d.policy_params.{k}": v for k, v in params.items()})
    r = cyclesim.run(workloads.path("sort"), "500", overrides=over, trace="memory",
                     trace_window=(0, WINDOW), max_insts=WINDOW)
    data = r.memory_trace[r.memory_trace["kind"].isin(list(KINDS))]
    stream = pc_stream_of(data)
    counts, _ = reference_pc(stream, "ship", params)
    assert {c: int(r.stats[f"l1d.{c}"]) for c in COUNTERS} == counts
    # and the pcs matter: the same stream with every pc 0 gives other counts
    flat, _ = reference_pc([(a, k, 0) for a, k, _ in stream], "ship", params)
    assert flat != counts
