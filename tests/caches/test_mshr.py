"""Non-blocking caches (docs/caches.md, "Non-blocking caches"): exact cycles worked out by
hand for each rule, then the Cython hierarchy against the event-by-event reference model
(cache_reference.py) cycle for cycle, on random overlapping streams and on the timed data
stream of real workloads.

Unless a test says otherwise: one L1 (hit 1) over a fixed memory of 40 cycles, so a miss
requested at cycle t (port cycle t, tags known at t + 1) has its line at t + 1 + 40.
"""
import numpy as np
import pytest
from cache_reference import AMO, IFETCH, LOAD, STORE, WRITEBACK, RefCache, RefMemory
from caches.cache import Cache
from caches.dram import FixedMemory

import cyclesim
from cyclesim import workloads
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError

MEM = 40


def l1(size=1024, assoc=2, hit_latency=1, mem=MEM, **kw):
    return Cache(size, assoc, 64, hit_latency, "lru", next=FixedMemory(mem), level_id=1,
                 name="l1d", **kw)


# ---- rule 1: the line is usable when its fill completes ------------------------------------

def test_store_miss_then_load_of_the_same_line_waits_for_the_fill():
    """The issue's case: a store misses at cycle 3 (port 3, tags at 4, memory asked at 4,
    line ready at 44): latency 41. A load of another word of that line at cycle 4 finds the
    tag (installed at request time) but the fill is under way: it waits until 44 ->
    latency 40, an MSHR hit ("hit under miss"), counted as a hit of the tags."""
    c = l1()
    assert c.access_py(0x1000, "store", 3) == (41, 4)
    assert c.ready_cycle(0x1008) == 44
    assert c.access_py(0x1008, "load", 4) == (40, 1)
    # once the fill is complete a hit costs hit_latency again
    assert c.access_py(0x1010, "load", 44) == (1, 1)
    s = c.stats()
    assert (s["hits"], s["misses"], s["mshr_hits"], s["mshr_allocations"]) == (2, 1, 1, 1)


def test_in_flight_hit_never_costs_less_than_hit_latency():
    """latency = max(hit_latency, ready - now): hit 3, fill of a miss at 0 ready at
    0 + 3 + 40 = 43; a load at 41 would see ready - now = 2 < 3: it costs 3."""
    c = l1(hit_latency=3)
    assert c.access_py(0x40, "load", 0) == (43, 4)
    assert c.access_py(0x48, "load", 41) == (3, 1)
    assert c.access_py(0x50, "load", 39) == (4, 1)       # 43 - 39 = 4 > 3: waits
    assert c.stats()["mshr_hits"] == 1


# ---- rule 2: MSHRs -------------------------------------------------------------------------

def test_mshr_full_stall_waits_for_the_first_to_free():
    """2 MSHRs. Loads to three lines at cycles 0, 1, 2: the first two take an MSHR each
    (free at 41 and 42); the third's tags are known at 3, every MSHR is busy, it waits for
    the first to free (41: 38 stall cycles) and its line is ready at 41 + 40 = 81 ->
    latency 79. A fourth at 3 waits for the second (42), ready 82 -> latency 79."""
    c = l1(mshrs=2)
    lats = [c.access_py(a, "load", t)[0] for t, a in enumerate((0x0, 0x40, 0x80, 0xC0))]
    assert lats == [41, 41, 79, 79]
    s = c.stats()
    assert (s["mshr_full_stalls"], s["mshr_full_stall_cycles"]) == (2, 38 + 38)
    assert c.mshr_busy(42) == [(0x80, 81), (0xC0, 82)]


def test_misses_to_one_line_merge_into_its_mshr():
    """Direct-mapped 128 B cache (2 sets), 2 MSHRs. A at 0 misses (MSHR 0 until 41). B at
    1 maps to A's set: MSHR 1 (ready 42); installed at request time, it evicts A's tag while
    A is still in flight. A again at 2: a tag miss, but its fill is still under way in
    MSHR 0 (free at 41 > 3): it merges (an MSHR hit, no new fill), takes the data at 41 ->
    latency 39, served by memory as the fill was."""
    c = l1(size=128, assoc=1, mshrs=2)
    assert c.access_py(0x000, "load", 0) == (41, 4)
    assert c.access_py(0x080, "load", 1) == (41, 4)
    assert c.access_py(0x008, "load", 2) == (39, 4)
    s = c.stats()
    assert (s["misses"], s["mshr_hits"], s["mshr_allocations"], s["mshr_full_stalls"]) == \
        (3, 1, 2, 0)
    assert c.next.stats()["reads"] == 2


def test_mshrs_bound_memory_level_parallelism():
    """16 independent loads to distinct lines one cycle apart. With m MSHRs misses go in
    with m MSHRs load i (tags known at i + 1) starts its fill when load i - m's line is
    ready (the MSHR that frees first): ready[i] = max(i + 1, ready[i - m]) + 40. So with 1
    MSHR load i is ready at 41 + 40 * i; with 16 every load is ready 41 after its issue."""
    for m in (1, 4, 16):
        c = l1(size=4096, assoc=4, mshrs=m)
        ready = [t + c.access_py(64 * t, "load", t)[0] for t in range(16)]
        if m == 1:
            assert ready == [41 + 40 * i for i in range(16)]
        if m == 16:
            assert ready == [i + 41 for i in range(16)]
        # MSHR i % m frees at ready[i - m]; load i starts then (or at its own tag check)
        for i in range(m, 16):
            assert ready[i] == max(i + 1, ready[i - m]) + MEM
        assert c.stats()["mshr_full_stalls"] == (0 if m == 16 else 16 - m)


# ---- rule 3: ports (latency vs occupancy) --------------------------------------------------

def test_pipelined_hits_one_per_port_per_cycle():
    """hit_latency 2, line warm (ready at 42). Eight hits issued at cycles 100..107: one
    port starts one a cycle, so each costs 2 (latency, not occupancy). Four hits all issued
    at cycle 130 slip one cycle each behind the port: 2, 3, 4, 5; with 2 ports 2, 2, 3, 3."""
    c = l1(hit_latency=2)
    c.access_py(0, "load", 0)
    assert [c.access_py(8, "load", t)[0] for t in range(100, 108)] == [2] * 8
    assert [c.access_py(8, "load", 130)[0] for _ in range(4)] == [2, 3, 4, 5]
    s = c.stats()
    assert (s["port_stalls"], s["port_stall_cycles"]) == (3, 1 + 2 + 3)
    c = l1(hit_latency=2, ports=2)
    c.access_py(0, "load", 0)
    assert [c.access_py(8, "load", 130)[0] for _ in range(4)] == [2, 2, 3, 3]


# ---- rule 5: write buffers -----------------------------------------------------------------

def test_write_through_buffer_full_stall():
    """Write-through L1, 1-entry write-through buffer, memory 10. Store hits
    at 100 and 101 (line warm): the first posts its write at 101 (tags at 100 + 1), the
    entry is busy until 101 + 10 = 111; the second's tags are known at 102 and it waits for
    the entry (9 cycles): latency 1 + 9 = 10. With 2 entries it costs hit_latency."""
    for entries, want in ((1, [1, 10]), (2, [1, 1])):
        c = l1(mem=10, write_policy="write_through", write_through_buffer=entries)
        c.access_py(0, "load", 0)
        lat = [c.access_py(8, "store", 100 + t)[0] for t in range(2)]
        assert lat == want
        assert c.stats()["write_through_buffer_full_stall_cycles"] == (9 if entries == 1 else 0)


def test_writeback_buffer_full_stall():
    """Direct-mapped 128 B write-back L1 (2 sets), 1-entry writeback buffer, memory 10.
    Dirty lines 0x000 and 0x040 (both sets), then at 100 and 101 misses to 0x080 and
    0x0C0: each evicts a dirty line. Fill of 0x080 at 100 + 1 + 10 = 111: its victim takes
    the entry until 111 + 10 = 121. Fill of 0x0C0 at 112: its victim finds the entry busy,
    the fill waits 9 cycles (ready 121), the victim leaves at 121. Latencies 11 and 20."""
    c = l1(size=128, assoc=1, mem=10, writeback_buffer=1)
    c.access_py(0x000, "store", 0)
    c.access_py(0x040, "store", 20)
    assert c.access_py(0x080, "load", 100) == (11, 4)
    assert c.access_py(0x0C0, "load", 101) == (20, 4)
    assert c.ready_cycle(0x0C0) == 121
    s = c.stats()
    assert (s["writebacks"], s["writeback_buffer_full_stalls"],
            s["writeback_buffer_full_stall_cycles"]) == (2, 1, 9)


# ---- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["mshrs", "ports", "writeback_buffer", "write_through_buffer"])
def test_zero_entries_are_refused_with_the_field_named(field):
    with pytest.raises(ValueError, match=f"l1d.{field} is 0"):
        l1(**{field: 0})
    with pytest.raises(ConfigError, match=f"l2.{field} = 0: must be at least 1"):
        SystemConfig().with_overrides({f"l2.{field}": 0})


# ---- agreement with the reference model ----------------------------------------------------

def build_pair(p):
    """(Cython l1i, l1d, l2, memory), (reference l1i, l1d, l2, memory) with parameters p."""
    mem, rmem = FixedMemory(p["mem"]), RefMemory(p["mem"])
    common2 = dict(mshrs=p["l2_mshrs"], ports=p["l2_ports"], writeback_buffer=p["wbb"],
                   write_through_buffer=p["wtb"])
    l2 = Cache(4096, 4, 64, p["l2_hit"], "lru", inclusion=p["inclusion"], next=mem,
               level_id=2, name="l2", **common2)
    rl2 = RefCache(4096, 4, 64, p["l2_hit"], "lru", inclusive=p["inclusion"] == "inclusive",
                   next=rmem, level_id=2, **common2)
    common1 = dict(mshrs=p["l1_mshrs"], ports=p["l1_ports"], writeback_buffer=p["wbb"],
                   write_through_buffer=p["wtb"])
    l1i = Cache(512, 2, 64, p["l1_hit"], "plru", next=l2, level_id=1, name="l1i", **common1)
    l1d = Cache(1024, 2, 64, p["l1_hit"], "fifo", write_policy=p["write"][0],
                write_allocate=p["write"][1], next=l2, level_id=1, name="l1d", **common1)
    rl1i = RefCache(512, 2, 64, p["l1_hit"], "plru", next=rl2, **common1)
    rl1d = RefCache(1024, 2, 64, p["l1_hit"], "fifo", p["write"][0], p["write"][1],
                    next=rl2, **common1)
    l2.add_upper(l1i)
    l2.add_upper(l1d)
    rl2.uppers = [rl1i, rl1d]
    return (l1i, l1d, l2, mem), (rl1i, rl1d, rl2, rmem)


TIMING_STATS = {"mshr_hits": "mshr_hits", "mshr_allocations": "mshr_allocations",
                "mshr_full_stalls": "mshr_full_stalls",
                "mshr_full_stall_cycles": "mshr_full_stall_cycles",
                "port_stalls": "port_stalls", "port_stall_cycles": "port_stall_cycles",
                "writeback_buffer_full_stalls": "wbb_full_stalls",
                "writeback_buffer_full_stall_cycles": "wbb_full_stall_cycles",
                "write_through_buffer_full_stalls": "wtb_full_stalls",
                "write_through_buffer_full_stall_cycles": "wtb_full_stall_cycles",
                "accesses": "accesses", "hits": "hits", "misses": "misses",
                "writebacks": "writebacks", "evictions": "evictions",
                "write_throughs": "write_throughs"}


def assert_same(duts, refs, where):
    for dut, ref in zip(duts[:3], refs[:3]):
        s = dut.stats()
        got = {k: s[k] for k in TIMING_STATS}
        want = {k: getattr(ref, v) for k, v in TIMING_STATS.items()}
        assert got == want, f"{dut.name} {where}"
        assert sorted(dut.lines()) == ref.lines(), f"{dut.name} {where}"
    m = duts[3].stats()
    assert (m["reads"], m["writes"]) == (refs[3].reads, refs[3].writes), where


CASES = [
    dict(l1_hit=1, l2_hit=8, mem=40, l1_mshrs=1, l2_mshrs=1, l1_ports=1, l2_ports=1, wbb=1,
         wtb=1, write=("write_back", True), inclusion="non_inclusive"),
    dict(l1_hit=2, l2_hit=6, mem=30, l1_mshrs=2, l2_mshrs=4, l1_ports=1, l2_ports=1, wbb=2,
         wtb=1, write=("write_through", False), inclusion="non_inclusive"),
    dict(l1_hit=3, l2_hit=10, mem=50, l1_mshrs=4, l2_mshrs=2, l1_ports=2, l2_ports=1, wbb=1,
         wtb=2, write=("write_back", False), inclusion="inclusive"),
    dict(l1_hit=1, l2_hit=4, mem=20, l1_mshrs=8, l2_mshrs=8, l1_ports=1, l2_ports=2, wbb=4,
         wtb=4, write=("write_through", True), inclusion="inclusive"),
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_random_overlapping_streams_match_reference(case, seed):
    """Two L1s and an L2 over a fixed memory, random addresses over 16 KiB (so every level
    misses, merges and evicts), issue times that advance by 0 to 30 cycles with bursts of
    same-cycle requests, and one access in eight issued up to 100 cycles in the future
    (a store buffer draining behind a miss), the requester at most 150 cycles ahead of its
    outstanding accesses (it is held like a core whose MSHRs are full): latency, serving level and every counter equal
    the reference, access by access."""
    p = CASES[case]
    duts, refs = build_pair(p)
    rng = np.random.default_rng(seed * 100 + case)
    now = 0
    for i in range(6000):
        now += int(rng.choice([0, 0, 1, 1, 2, 3, 5, 30]))
        t = now + int(rng.integers(0, 100)) if rng.random() < 0.125 else now
        a = int(rng.integers(0, 16384))
        k = int(rng.choice([IFETCH, LOAD, STORE, AMO], p=[0.25, 0.45, 0.25, 0.05]))
        dut, ref = (duts[0], refs[0]) if k == IFETCH else (duts[1], refs[1])
        got = dut.access_py(a, k, t)
        want = ref.access(a, k, 0, t)[:2]
        assert got == want, f"access {i} ({a:#x}, kind {k}, cycle {t}): got {got}, " \
                            f"reference {want}"
        # a requester with a bounded window: never more than 150 cycles ahead of its
        # oldest outstanding access (keeps requests within the port calendar, see the doc)
        now = max(now, t + got[0] - 150)
    assert_same(duts, refs, f"case {case}")
    s = duts[1].stats()
    # the streams exercise every mechanism the case can show
    assert s["mshr_hits"] > 0 and s["port_stalls"] > 0
    if p["l1_mshrs"] <= 2:
        assert s["mshr_full_stalls"] > 0


def test_blocking_requester_stream_matches_reference_on_every_mechanism():
    """access_py without `now`: each access is issued when the previous one completed (one
    blocking requester). Small buffers and one MSHR at the L2: the L1I and L1D misses and
    the L1's writebacks still meet in the L2."""
    p = dict(CASES[0], wbb=1, wtb=1)
    duts, refs = build_pair(p)
    rng = np.random.default_rng(7)
    for i in range(4000):
        a = int(rng.integers(0, 16384))
        k = int(rng.choice([IFETCH, LOAD, STORE], p=[0.3, 0.4, 0.3]))
        dut, ref = (duts[0], refs[0]) if k == IFETCH else (duts[1], refs[1])
        assert dut.access_py(a, k) == ref.access(a, k)[:2], f"access {i}"
    assert_same(duts, refs, "blocking")


# ---- a real workload's timed data stream ---------------------------------------------------

STREAM_WORKLOADS = [("sort", "500"), ("ptrchase", "256"), ("matmul", "16")]
KINDS = {"load": LOAD, "store": STORE, "amo": AMO}


@pytest.fixture(scope="module")
def timed_streams():
    """name -> (run result, [(addr, kind, cycle)]) of a non-blocking run whose L1D (2 KiB,
    2 MSHRs) sits right on a fixed memory of 40 cycles."""
    out = {}
    ov = {"core.mem_blocking": False, "l2": None, "memory.kind": "fixed",
          "memory.latency": MEM, "l1d.size": "2KiB", "l1d.assoc": 2, "l1d.mshrs": 2,
          "core.fetch_blocking": False}
    for name, arg in STREAM_WORKLOADS:
        r = cyclesim.run(workloads.path(name), arg, overrides=ov, trace="memory",
                         trace_window=(0, 30_000), max_insts=30_000)
        assert r.status in ("max_insts", "exited"), r.message
        d = r.memory_trace[r.memory_trace["kind"].isin(list(KINDS))]
        assert not ((d["addr"] % 64) + d["size"] > 64).any()    # one record = one access
        out[name] = (r, d)
    return out


@pytest.mark.parametrize("name", [w for w, _ in STREAM_WORKLOADS])
def test_simulator_l1d_latencies_match_reference_on_its_own_stream(timed_streams, name):
    """Whole simulator vs reference: with no L2 and a fixed memory the L1D's timing depends
    only on its own accesses, so the latency the core got for each data access (memory
    trace, in the order the cache saw them) equals the reference replaying the trace's
    (addr, kind, cycle) through a reference L1D with the same parameters."""
    r, d = timed_streams[name]
    ref = RefCache(2048, 2, 64, 1, "lru", mshrs=2, next=RefMemory(MEM))
    want = [max(ref.access(int(a), KINDS[k], 0, int(c))[0], 1)
            for a, k, c in zip(d["addr"], d["kind"], d["cycle"])]
    assert d["latency"].astype(int).tolist() == want
    assert int(r.stats["l1d.mshr_hits"]) == ref.mshr_hits > 0
    assert int(r.stats["l1d.mshr_full_stall_cycles"]) == ref.mshr_full_stall_cycles


@pytest.mark.parametrize("name", [w for w, _ in STREAM_WORKLOADS])
def test_hierarchy_matches_reference_on_a_workload_stream(timed_streams, name):
    """The same timed streams through a Cython L1D + L2 (inclusive, 1 MSHR, 1-entry
    writeback buffer) over memory, against the reference: access by access."""
    p = dict(CASES[2], l1_hit=1, l1_mshrs=2, l1_ports=1, write=("write_back", True))
    duts, refs = build_pair(p)
    _, d = timed_streams[name]
    for i, (a, k, c) in enumerate(zip(d["addr"], d["kind"], d["cycle"])):
        a, k, c = int(a), KINDS[k], int(c)
        assert duts[1].access_py(a, k, c) == refs[1].access(a, k, 0, c)[:2], f"access {i}"
    assert_same(duts, refs, name)


# ---- prefetches on the non-blocking cache --------------------------------------------------

def _next_line():
    from caches.prefetchers import PREFETCHERS
    plugin = PREFETCHERS.get("next_line")
    return plugin.factory(plugin.params(), line_size=64, level="l1d")


def test_prefetch_takes_an_mshr_and_a_demand_use_in_flight_is_late():
    """next_line on the L1 (2 MSHRs). A load misses at 0 (MSHR 0 until 41); at its lookup
    (cycle 1) next_line asks line 1: MSHR 1 is free, the prefetch goes to memory at 1 and
    its line is ready at 41. A load of line 1 at 5 finds it in flight: a late prefetch
    (useful and late), latency 41 - 5 = 36 instead of a 41-cycle miss."""
    c = l1(size=4096, assoc=4, mshrs=2, prefetcher=_next_line())
    assert c.access_py(0x000, "load", 0) == (41, 4)
    assert c.ready_cycle(0x040) == 41
    assert c.access_py(0x048, "load", 5) == (36, 1)
    s = c.stats()
    assert (s["pf_issued"], s["pf_useful"], s["pf_late"], s["mshr_allocations"]) == (1, 1, 1, 2)


def test_prefetch_is_dropped_when_every_mshr_is_busy():
    """1 MSHR: the demand miss at 0 holds it until 41, so the prefetch of line 1 asked at
    cycle 1 is dropped (prefetches never wait for an MSHR); a load of line 1 at 5 is a
    plain miss that waits for the MSHR (41) -> latency 41 + 40 - 5 = 76, and the prefetch
    of line 2 it asks at its lookup (6) is dropped too."""
    c = l1(size=4096, assoc=4, mshrs=1, prefetcher=_next_line())
    c.access_py(0x000, "load", 0)
    assert c.ready_cycle(0x040) is None
    assert c.access_py(0x048, "load", 5) == (76, 4)
    s = c.stats()
    assert (s["pf_dropped_mshr"], s["pf_issued"], s["mshr_full_stall_cycles"]) == (2, 0, 41 - 6)
