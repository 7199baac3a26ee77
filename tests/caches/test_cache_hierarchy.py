"""The hierarchy as the core sees it: exact latencies worked out by hand, inclusion,
miss classification on hand-made streams, the builder, and a two-level run against the
reference model."""
from types import SimpleNamespace

import numpy as np
import pytest
from cache_reference import (AMO, CBO_CLEAN, CBO_FLUSH, CBO_ZERO, IFETCH, LOAD, STORE,
                             RefCache, RefMemory)
from caches.cache import Cache
from caches.dram import Dram, FixedMemory

from caches.build import build_hierarchy, to_cycles


def cache_cfg(**kw):
    base = {"size": 32768, "assoc": 8, "line_size": 64, "hit_latency": 1, "policy": "lru",
                "write_policy": "write_back", "write_allocate": True, "inclusion": "non_inclusive",
                "mshrs": 8, "seed": 1}
    base.update(kw)
    return SimpleNamespace(**base)


def mem_cfg(**kw):
    base = {"kind": "dram", "latency": 100, "banks": 8, "row_size": 8192, "tRCD": 10e-9, "tCL": 12e-9,
                "tRP": 14e-9, "tBURST": 3e-9, "controller_latency": 5e-9, "mapping": "row_bank_column"}
    base.update(kw)
    return SimpleNamespace(**base)


def hierarchy(l3=None, memory=None, frequency=1e9, **l2kw):
    return build_hierarchy(cache_cfg(assoc=4), cache_cfg(),
                           cache_cfg(size=262144, hit_latency=10, **l2kw), l3,
                           memory or mem_cfg(), frequency)


# ---- exact latencies (1 GHz: 1 ns = 1 cycle) ---------------------------------------------

def test_latencies_l1_hit_l2_hit_dram():
    h = hierarchy()
    # cold load: L1 tag check (1) + L2 tag check (10) + DRAM: controller 5, row closed
    # tRCD 10 + tCL 12 + tBURST 3
    assert h.l1d.access_py(0x1000, LOAD, 0) == (1 + 10 + 5 + 10 + 12 + 3, 4)
    assert h.l1d.access_py(0x1000, LOAD, 100) == (1, 1)            # L1 hit
    assert h.l1i.access_py(0x1000, IFETCH, 200) == (1 + 10, 2)     # L1I miss, L2 hit
    # same DRAM row (bank 0, row 0), bank idle: row hit = controller + tCL + tBURST
    assert h.l1d.access_py(0x1040, LOAD, 300) == (1 + 10 + 5 + 12 + 3, 4)
    # 64 KiB further: bank 0 again (8 KiB rows x 8 banks), row 1: conflict
    assert h.l1d.access_py(0x1000 + 65536, LOAD, 400) == (1 + 10 + 5 + 14 + 10 + 12 + 3, 4)


def test_dram_timing_cases_and_busy_bank():
    d = Dram(banks=4, row_size=1024, tRCD=7, tCL=9, tRP=11, tBURST=2, controller_latency=3)
    assert d.access_py(0, LOAD, 0) == (3 + 7 + 9 + 2, 4)          # row closed, bank 0
    assert d.access_py(64, LOAD, 100) == (3 + 9 + 2, 4)           # row hit
    assert d.access_py(4096, LOAD, 200) == (3 + 11 + 7 + 9 + 2, 4)  # bank 0, row 1: conflict
    # bank 0 busy: the access at 300 issues RD at 303, its burst is on the bus 312..314.
    # A row hit does not hold the bank (docs/dram.md): the store arriving at 301 + 3 = 304
    # issues WR at 304, its data (tCWL = tCL = 9) would start at 313, inside [312, 314), so
    # it goes at 314..316: latency 316 - 301 = 15 (a write waits for the bus, not the bank)
    d.access_py(4096 + 64, LOAD, 300)
    assert d.access_py(4096 + 128, STORE, 301) == (316 - 301, 4)
    # another bank is independent: bank 1 (addr 1024) closed row, no wait
    assert d.access_py(1024, LOAD, 301) == (3 + 7 + 9 + 2, 4)
    s = d.stats()
    assert (s["row_hits"], s["row_misses"], s["row_conflicts"]) == (3, 2, 1)
    # bank_wait_cycles: first command - entry to the queue; only the store's WR moved (the
    # bus pushed its burst one cycle: WR 305)
    assert (s["reads"], s["writes"], s["bank_wait_cycles"]) == (5, 1, 1)
    assert s["total_latency"] == 21 + 14 + 32 + 14 + 15 + 21


def test_dram_address_mappings():
    rbc = Dram(banks=8, row_size=8192, mapping="row_bank_column", line_size=64)
    assert rbc.locate(0) == (0, 0)
    assert rbc.locate(8191) == (0, 0)            # a whole row in one bank
    assert rbc.locate(8192) == (1, 0)            # next row-sized chunk: next bank
    assert rbc.locate(8 * 8192) == (0, 1)        # row bits start above bank bits
    rcb = Dram(banks=8, row_size=8192, mapping="row_column_bank", line_size=64)
    assert rcb.locate(64) == (1, 0)              # consecutive lines: consecutive banks
    assert rcb.locate(8 * 64) == (0, 0)          # wraps back to bank 0, same row
    assert rcb.locate(8 * 8192 - 1) == (7, 0)
    assert rcb.locate(8 * 8192) == (0, 1)


def test_ns_to_cycles_rounds_up():
    assert to_cycles(13.75e-9, 1e9) == 14
    assert to_cycles(13.75e-9, 2e9) == 28        # 27.5 -> 28
    assert to_cycles(2.5e-9, 2e9) == 5           # exact: no spurious round-up
    h = hierarchy(memory=mem_cfg(tRCD="13.75ns", tCL="13.75ns", tRP="13.75ns",
                                 tBURST="2.5ns", controller_latency="10ns"), frequency="2GHz")
    d = h.levels["dram"]
    assert (d.tRCD, d.tCL, d.tRP, d.tBURST, d.controller_latency) == (28, 28, 28, 5, 20)


def test_fixed_memory_latency():
    h = hierarchy(memory=mem_cfg(kind="fixed", latency=77))
    assert "memory" in h.levels and "dram" not in h.levels
    assert h.l1d.access_py(0, LOAD) == (1 + 10 + 77, 4)


def test_l3_is_between_l2_and_memory():
    h = hierarchy(l3=cache_cfg(size=2 << 20, assoc=16, hit_latency=30),
                  memory=mem_cfg(kind="fixed", latency=50))
    assert list(h.levels) == ["l1i", "l1d", "l2", "l3", "memory"]
    assert h.l1d.access_py(0, LOAD) == (1 + 10 + 30 + 50, 4)
    h.levels["l2"].reset()
    h.l1d.reset()
    assert h.l1d.access_py(0, LOAD) == (1 + 10 + 30, 3)     # L3 hit


# ---- write policies through the hierarchy --------------------------------------------------

def test_writeback_lands_in_l2_without_a_fill():
    h = hierarchy(memory=mem_cfg(kind="fixed", latency=50))
    l1d, l2, mem = h.l1d, h.levels["l2"], h.levels["memory"]
    for i in range(9):             # 9 lines into one 8-way L1D set (64 sets x 64 B apart)
        l1d.access_py(i * 4096, STORE)
    assert l1d.stats()["writebacks"] == 1 and l2.stats()["writebacks_received"] == 1
    assert l2.is_dirty(0) and not l1d.contains(0)
    assert mem.stats()["reads"] == 9 and mem.stats()["writes"] == 0
    assert l2.stats()["write_misses"] == 0       # the line was in L2 (filled on the miss)


# ---- inclusion ----------------------------------------------------------------------------

def small_pair(inclusion, l1_write="write_back"):
    mem = FixedMemory(50)
    l2 = Cache(128, 2, 64, 10, "lru", inclusion=inclusion, next=mem, level_id=2, name="l2")
    l1 = Cache(1024, 2, 64, 1, "lru", write_policy=l1_write, next=l2, level_id=1, name="l1")
    l2.add_upper(l1)
    return l1, l2, mem


def test_inclusive_l2_back_invalidates_l1():
    # L2: one set of 2 ways; L1 large enough to hold A, B, C (different sets)
    A, B, C = 0, 64, 128
    l1, l2, mem = small_pair("inclusive")
    l1.access_py(A, STORE)          # A dirty in L1, clean in L2
    l1.access_py(B, LOAD)
    l1.access_py(C, LOAD)           # L2 evicts A (LRU) -> L1 loses A; its dirty data goes down
    assert not l1.contains(A)
    assert l1.stats()["back_invalidations"] == 1
    assert l2.stats()["writebacks"] == 1 and mem.stats()["writes"] == 1
    assert l1.access_py(A, LOAD)[1] == 4   # miss all the way to memory
    nl1, _nl2, nmem = small_pair("non_inclusive")
    for a, k in ((A, STORE), (B, LOAD), (C, LOAD)):
        nl1.access_py(a, k)
    assert nl1.contains(A) and nl1.access_py(A, LOAD) == (1, 1)
    assert nmem.stats()["writes"] == 0     # clean in L2: dropped silently


# ---- miss classification ------------------------------------------------------------------

def classify(addrs):
    c = Cache(128, 1, 64, 1, "lru", next=FixedMemory(0))    # direct-mapped, 2 sets
    for a in addrs:
        c.access_py(a, LOAD)
    s = c.stats()
    return s["compulsory_misses"], s["capacity_misses"], s["conflict_misses"]


def test_classification_conflict():
    # A (set 0) cold, C (set 0) cold and evicts A, A: a 2-line fully-associative LRU still
    # holds A -> conflict
    assert classify([0, 128, 0]) == (2, 0, 1)


def test_classification_capacity():
    # A (set 0), B (set 1), C (set 0) all cold; A: the 2-line FA LRU evicted A when C came
    # (A was least recent) -> capacity
    assert classify([0, 64, 128, 0]) == (3, 1, 0)


def test_classification_off_omits_the_three_classes():
    c = Cache(128, 1, 64, 1, "lru", classify_misses=False)
    for a in (0, 128, 0):
        c.access_py(a, LOAD)
    s = c.stats()
    assert s["misses"] == 3
    assert not {"compulsory_misses", "capacity_misses", "conflict_misses"} & set(s)


# ---- builder ------------------------------------------------------------------------------

def test_builder_validation_messages():
    with pytest.raises(ValueError, match="l1d.policy.*drrip, fifo, lru, plru, random, ship, srrip"):
        build_hierarchy(cache_cfg(), cache_cfg(policy="lfu"), cache_cfg(size=262144), None,
                        mem_cfg(), 1e9)
    with pytest.raises(ValueError, match="l2.assoc"):
        build_hierarchy(cache_cfg(), cache_cfg(), cache_cfg(size=262144, assoc=3), None,
                        mem_cfg(), 1e9)
    with pytest.raises(ValueError, match="power of two"):
        build_hierarchy(cache_cfg(size=3 * 8 * 64 * 8), cache_cfg(), cache_cfg(size=262144),
                        None, mem_cfg(), 1e9)
    with pytest.raises(ValueError, match="memory.kind"):
        hierarchy(memory=mem_cfg(kind="sram"))
    with pytest.raises(ValueError, match="memory.mapping"):
        hierarchy(memory=mem_cfg(mapping="bank_row_column"))


def test_stats_names_mpki_and_reset_stats():
    h = hierarchy(inclusion="inclusive")
    assert h.levels["l2"].uppers == [h.l1i, h.l1d]
    for a in range(0, 64 * 100, 64):
        h.l1d.access_py(a, LOAD)
    s = h.stats(instructions=1000)
    for name in ("accesses", "hits", "misses", "read_misses", "write_misses", "writebacks",
                 "evictions", "miss_rate", "mpki"):
        assert f"l1d.{name}" in s and f"l2.{name}" in s
    # classify_misses = auto (a config without the field): the 3C split behind the L1s only
    for name in ("compulsory_misses", "capacity_misses", "conflict_misses"):
        assert f"l2.{name}" in s and f"l1d.{name}" not in s
    assert s["l1d.misses"] == 100 and s["l1d.mpki"] == 100.0
    assert s["dram.accesses"] == 100 and s["dram.row_hits"] + s["dram.row_misses"] == 100
    h.reset_stats()
    assert all(v == 0 for v in h.stats().values())
    assert h.l1d.access_py(0, LOAD) == (1, 1)      # contents survived the reset


def test_run_stream_equals_access_by_access():
    rng = np.random.default_rng(1)
    n = 5000
    addrs = rng.integers(0, 1 << 20, n).astype(np.uint64)
    kinds = rng.choice([IFETCH, LOAD, STORE, AMO], n).astype(np.uint8)
    h1, h2 = hierarchy(), hierarchy()
    lat, srv = h1.run_stream(addrs, kinds)
    now, want_lat, want_srv = 0, [], []
    for a, k in zip(addrs, kinds):
        level = h2.l1i if k == IFETCH else h2.l1d
        la, sv = level.access_py(int(a), int(k), now)
        now += la
        want_lat.append(la)
        want_srv.append(sv)
    assert lat.tolist() == want_lat and srv.tolist() == want_srv
    assert h1.stats() == h2.stats()


# ---- two levels against the reference ------------------------------------------------------

@pytest.mark.parametrize("inclusion", ["non_inclusive", "inclusive"])
@pytest.mark.parametrize("l1_write", [("write_back", True), ("write_through", False)])
@pytest.mark.parametrize("l2_policy", ["lru", "srrip"])
def test_two_levels_match_reference(inclusion, l1_write, l2_policy):
    mem = FixedMemory(40)
    l2 = Cache(2048, 4, 64, 8, l2_policy, inclusion=inclusion, next=mem, level_id=2)
    l1i = Cache(512, 2, 64, 1, "plru", next=l2, level_id=1)
    l1d = Cache(512, 2, 64, 1, "fifo", write_policy=l1_write[0], write_allocate=l1_write[1],
                next=l2, level_id=1)
    l2.add_upper(l1i)
    l2.add_upper(l1d)
    rmem = RefMemory(40)
    rl2 = RefCache(2048, 4, 64, 8, l2_policy, inclusive=inclusion == "inclusive", next=rmem,
                   level_id=2)
    rl1i = RefCache(512, 2, 64, 1, "plru", next=rl2)
    rl1d = RefCache(512, 2, 64, 1, "fifo", l1_write[0], l1_write[1], next=rl2)
    rl2.uppers = [rl1i, rl1d]
    rng = np.random.default_rng(9)
    for i in range(4000):
        a = int(rng.integers(0, 8192))
        k = int(rng.choice([IFETCH, LOAD, STORE, AMO], p=[0.3, 0.4, 0.25, 0.05]))
        got = (l1i if k == IFETCH else l1d).access_py(a, k)
        want = (rl1i if k == IFETCH else rl1d).access(a, k)[:2]
        assert got == want, f"access {i} ({a:#x}, kind {k})"
    for dut, ref in ((l1i, rl1i), (l1d, rl1d), (l2, rl2)):
        s = dut.stats()
        assert (s["accesses"], s["misses"], s["writebacks"], s["evictions"],
                s["back_invalidations"], s["conflict_misses"]) == (
            ref.accesses, ref.misses, ref.writebacks, ref.evictions, ref.back_invalidations,
            ref.conflict)
        assert sorted(dut.lines()) == ref.lines()
    assert (mem.stats()["reads"], mem.stats()["writes"]) == (rmem.reads, rmem.writes)


# ---- cache-block operations (cbo.clean / cbo.flush / cbo.zero) ----------------------------

def test_block_ops_by_hand():
    """docs/caches.md: clean writes a dirty line back and keeps it; flush also drops it, at
    every level; zero installs a dirty line without a fill. Costs: L1 lookup 1, + the
    writeback to L2 (hit 10), + L2's own lookup 10 + its writeback to memory 50."""
    l1, l2, mem = small_pair("non_inclusive")
    l1.access_py(0, STORE)                  # dirty in L1, clean in L2
    assert l1.block_op_py(0, "clean") == 1 + 10 + 10 + 50   # L2 got it dirty, wrote it down
    assert l1.contains(0) and not l1.is_dirty(0) and not l2.is_dirty(0)
    assert mem.stats()["writes"] == 1
    assert l1.block_op_py(0, "clean") == 1 + 10                 # clean everywhere: lookups
    assert l1.block_op_py(0, "flush") == 1 + 10
    assert not l1.contains(0) and not l2.contains(0)
    reads = mem.stats()["reads"]
    assert l1.block_op_py(4096, "zero") == 1                 # no fill from below
    assert l1.is_dirty(4096) and not l2.contains(4096) and mem.stats()["reads"] == reads
    assert l1.access_py(4096 + 8, LOAD) == (1, 1)
    s = l1.stats()
    assert (s["cbo_clean"], s["cbo_flush"], s["cbo_zero"], s["cbo_writebacks"]) == (2, 1, 1, 1)


@pytest.mark.parametrize("l1_write", [("write_back", True), ("write_through", False)])
@pytest.mark.parametrize("l2_policy", ["lru", "srrip"])
def test_block_ops_match_reference(l1_write, l2_policy):
    """Random accesses mixed with cbo.clean/flush/zero: latencies, contents and counters
    agree with the plain reference model."""
    mem = FixedMemory(40)
    l2 = Cache(2048, 4, 64, 8, l2_policy, next=mem, level_id=2)
    l1 = Cache(512, 2, 64, 1, "fifo", write_policy=l1_write[0], write_allocate=l1_write[1],
               next=l2, level_id=1)
    rmem = RefMemory(40)
    rl2 = RefCache(2048, 4, 64, 8, l2_policy, next=rmem, level_id=2)
    rl1 = RefCache(512, 2, 64, 1, "fifo", l1_write[0], l1_write[1], next=rl2)
    names = {CBO_CLEAN: "clean", CBO_FLUSH: "flush", CBO_ZERO: "zero"}
    rng = np.random.default_rng(11)
    for i in range(4000):
        a = int(rng.integers(0, 8192))
        k = int(rng.choice([LOAD, STORE, CBO_CLEAN + 8, CBO_FLUSH + 8, CBO_ZERO + 8],
                           p=[0.45, 0.3, 0.1, 0.08, 0.07]))
        if k >= 8:
            got, want = l1.block_op_py(a, names[k - 8]), rl1.block_op(a, k - 8)
        else:
            got, want = l1.access_py(a, k), rl1.access(a, k)[:2]
        assert got == want, f"operation {i} ({a:#x}, {k})"
    for dut, ref in ((l1, rl1), (l2, rl2)):
        s = dut.stats()
        assert (s["accesses"], s["misses"], s["writebacks"], s["evictions"]) == (
            ref.accesses, ref.misses, ref.writebacks, ref.evictions)
        assert sorted(dut.lines()) == ref.lines()
    assert (mem.stats()["reads"], mem.stats()["writes"]) == (rmem.reads, rmem.writes)


def test_builds_from_the_real_config_dataclasses():
    from caches.config import MemoryConfig, default_cache
    h = build_hierarchy(default_cache("l1i"), default_cache("l1d"), default_cache("l2"),
                        default_cache("l3"), MemoryConfig(), "2GHz")
    assert list(h.levels) == ["l1i", "l1d", "l2", "l3", "dram"]
    d = h.levels["dram"]
    # 13.75 ns x 2 GHz = 27.5 -> 28; 2.5 ns -> 5; 10 ns -> 20
    assert (d.tRCD, d.tCL, d.tRP, d.tBURST, d.controller_latency) == (28, 28, 28, 5, 20)
    assert (h.l1d.size, h.l1d.assoc, h.levels["l3"].hit_latency) == (32768, 8, 30)
    assert h.l1d.access_py(0, LOAD) == (1 + 12 + 30 + 20 + 28 + 28 + 5, 4)


@pytest.mark.parametrize("mode, on_l1, on_l2", [("auto", False, True), ("on", True, True),
                                               ("off", False, False)])
def test_classify_misses_field_per_level(mode, on_l1, on_l2):
    """classify_misses = auto classifies at L2/L3 only (the L1s see every access, where the
    shadow costs most); on / off force it; build_hierarchy(classify_misses=False), as a
    sampled run builds it, turns it off at every level whatever the fields say."""
    h = build_hierarchy(cache_cfg(assoc=4, classify_misses=mode),
                        cache_cfg(classify_misses=mode),
                        cache_cfg(size=262144, hit_latency=12, classify_misses=mode),
                        None, mem_cfg(), 1e9)
    assert (h.l1i.classify_misses, h.l1d.classify_misses, h.levels["l2"].classify_misses) \
        == (on_l1, on_l1, on_l2)
    for a in (0, 32768, 0, 65536, 32768):      # one set of the 8-way L1D: no conflict yet
        h.l1d.access_py(a, LOAD)
    s = h.stats()
    assert ("l1d.compulsory_misses" in s) == on_l1 and ("l2.conflict_misses" in s) == on_l2
    if on_l1:
        assert (s["l1d.compulsory_misses"], s["l1d.capacity_misses"],
                s["l1d.conflict_misses"]) == (3, 0, 0)
    off = build_hierarchy(cache_cfg(classify_misses="on"), cache_cfg(classify_misses="on"),
                          cache_cfg(size=262144, classify_misses="on"), None, mem_cfg(), 1e9,
                          classify_misses=False)
    assert not any(c.classify_misses for c in (off.l1i, off.l1d, off.levels["l2"]))


def test_classify_misses_bad_value_is_one_sentence():
    with pytest.raises(ValueError, match=r"l1d\.classify_misses is 'yes'; use one of auto, "
                                         r"on, off"):
        build_hierarchy(cache_cfg(), cache_cfg(classify_misses="yes"),
                        cache_cfg(size=262144), None, mem_cfg(), 1e9)
