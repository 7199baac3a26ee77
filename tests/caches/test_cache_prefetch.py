"""A prefetcher attached to a Cache: what the cache does with the addresses it asks for
(issue, drop, install marked prefetched, count), the prefetch request at the next level,
the pf_* statistics, the config fields, and a prefetcher-less cache being unchanged.

Latencies: L1 hit 1 over a fixed memory of 40 cycles unless said otherwise, so a miss
costs 1 + 40 = 41 (docs/caches.md, latency model)."""
from types import SimpleNamespace

import pytest
from caches.cache import Cache
from caches.dram import FixedMemory
from caches.prefetchers import PREFETCHERS

import cyclesim
from caches.build import build_hierarchy
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError

L = 64
LOAD, STORE, IFETCH = 1, 2, 0


def pf(name, line=L, **params):
    plugin = PREFETCHERS.get(name)
    return plugin.factory(plugin.params(**params), line_size=line, level="l1d")


def l1(prefetcher=None, size=4096, assoc=4, mshrs=8, next=None, **kw):
    return Cache(size, assoc, L, 1, "lru", mshrs=mshrs, next=next or FixedMemory(40),
                 name="l1d", prefetcher=prefetcher, **kw)


def test_next_line_prefetch_is_installed_marked_and_counted():
    c = l1(pf("next_line", degree=2))
    c.access_py(0x1000, LOAD, 0)                     # miss: asks 0x1040, 0x1080
    assert c.is_prefetched(0x1040) and c.is_prefetched(0x1080) and not c.is_prefetched(0x1000)
    s = c.stats()
    assert (s["pf_requests"], s["pf_issued"], s["pf_useful"], s["misses"]) == (2, 2, 0, 1)
    # first demand use of 0x1040 (long after its fill): useful; it asks 0x1080 (present:
    # dropped) and 0x10c0 (issued)
    assert c.access_py(0x1040, LOAD, 1000) == (1, 1)
    assert not c.is_prefetched(0x1040)
    s = c.stats()
    assert (s["pf_requests"], s["pf_issued"], s["pf_dropped_present"], s["pf_useful"]) == \
        (4, 3, 1, 1)
    # a second hit on 0x1040 is a plain hit: next_line asks nothing, nothing is counted
    c.access_py(0x1040, LOAD, 1100)
    assert c.stats()["pf_useful"] == 1 and c.stats()["pf_requests"] == 4
    assert s["pf_accuracy"] == pytest.approx(1 / 3)
    assert s["pf_coverage"] == pytest.approx(1 / (1 + 1))     # 1 useful, 1 demand miss


def test_useless_prefetches_are_counted_on_eviction_and_invalidation():
    # direct-mapped 4 lines (256 B): line L and L+4 share a set
    c = l1(pf("next_line"), size=256, assoc=1)
    c.access_py(0 * L, LOAD, 0)            # miss line 0, prefetch line 1
    c.access_py(5 * L, LOAD, 100)          # miss line 5 (set 1): evicts prefetched line 1,
    s = c.stats()                          # then prefetches line 6 (set 2)
    assert s["pf_useless"] == 1 and s["pf_issued"] == 2
    assert c.is_prefetched(6 * L)
    # an inclusive L2 evicting a line the L1 prefetched also makes it useless
    l2 = Cache(512, 1, L, 10, "lru", next=FixedMemory(40), name="l2", inclusion="inclusive")
    up = l1(pf("next_line"), size=256, assoc=1, next=l2)
    l2.add_upper(up)
    up.access_py(0 * L, LOAD, 0)           # L1: line 0, prefetch line 1 (both in L2 too)
    up.access_py(9 * L, LOAD, 200)         # L2 set 1 (8 sets): line 9 evicts line 1 from
    assert up.stats()["pf_useless"] == 1   # the L2, which back-invalidates it in the L1


def test_prefetches_reach_the_next_level_as_prefetch_requests():
    l2 = Cache(65536, 8, L, 10, "lru", next=FixedMemory(40), name="l2",
               prefetcher=pf("next_line", degree=4))
    c = l1(pf("next_line"), next=l2)
    # L1 miss on 0x1000 -> an L2 load miss; the L2's prefetcher asks 0x1040 .. 0x1100.
    # Then the L1's prefetch of 0x1040 reaches the L2 as a prefetch request: a hit on a
    # line the L2 prefetched, which counts as its first use (useful) at the L2.
    c.access_py(0x1000, LOAD, 0)
    s2 = l2.stats()
    assert s2["prefetches_received"] == 1 and s2["read_accesses"] == 1
    assert s2["accesses"] == 2 and s2["hits"] == 1 and s2["misses"] == 1
    # the L2's prefetcher saw the demand load only (a prefetch request does not train it)
    assert (s2["pf_requests"], s2["pf_issued"], s2["pf_useful"]) == (4, 4, 1)
    assert not l2.is_prefetched(0x1040) and l2.is_prefetched(0x1080)
    assert c.is_prefetched(0x1040)
    # coverage at the L2: 1 useful / (1 useful + 1 miss)
    assert s2["pf_coverage"] == pytest.approx(0.5)


def test_no_prefetcher_means_no_pf_counters_and_unchanged_latencies():
    plain, with_none = l1(), l1(PREFETCHERS.make("none"))
    assert with_none.prefetcher is None
    for c in (plain, with_none):
        assert c.access_py(0x1000, LOAD, 0) == (41, 4)      # served by memory (4)
        assert c.access_py(0x1040, LOAD, 100) == (41, 4)
        assert not [k for k in c.stats() if k.startswith("pf_")]
        assert c.stats()["prefetches_received"] == 0


def test_reset_clears_prefetch_state():
    c = l1(pf("stream", train=1))
    for i in range(3):
        c.access_py(i * L, LOAD, 100 * i)
    assert c.stats()["pf_issued"] > 0
    c.reset()
    assert c.stats()["pf_issued"] == 0 and not c.is_prefetched(3 * L)
    # the stream table is empty again: a single miss allocates, nothing is asked
    c.access_py(0x8000, LOAD, 1000)
    assert c.stats()["pf_requests"] == 0


def test_a_prefetcher_built_for_another_line_size_is_refused():
    with pytest.raises(ConfigError, match=r"l1d\.prefetcher was built for 32-byte lines; "
                                          r"this cache has 64-byte lines"):
        l1(pf("next_line", line=32))
    with pytest.raises(TypeError, match=r"must be a caches\.prefetch\.Prefetcher"):
        l1("next_line")


# ---- config ---------------------------------------------------------------------------------

def test_config_fields_and_messages():
    cfg = SystemConfig().with_overrides({"l2.prefetcher": "best_offset",
                                         "l2.prefetcher_params.score_max": 15})
    assert cfg.l2.prefetcher_params.score_max == 15
    cfg.validate()
    with pytest.raises(ConfigError, match=r"l1d\.prefetcher = 'nope': unknown prefetcher; "
                                          r"known ones are "):
        SystemConfig().with_overrides({"l1d.prefetcher": "nope"})
    with pytest.raises(ConfigError, match=r"^l1d\.prefetcher_params\.degree = 0: must be 1 to "
                                          r"32 lines\.$"):
        SystemConfig().with_overrides({"l1d.prefetcher": "stream",
                                       "l1d.prefetcher_params.degree": 0})
    with pytest.raises(ConfigError, match=r"l1d\.prefetcher_params\.cls = '': name the class"):
        SystemConfig().with_overrides({"l1d.prefetcher": "python"})


def test_builder_attaches_the_configured_prefetchers():
    cfg = SystemConfig().with_overrides({"l1d.prefetcher": "ip_stride",
                                         "l2.prefetcher": "stream",
                                         "l2.prefetcher_params.degree": 2})
    h = build_hierarchy(cfg.l1i, cfg.l1d, cfg.l2, cfg.l3, cfg.memory, cfg.core.frequency)
    assert h.l1i.prefetcher is None
    assert h.l1d.prefetcher.name == "ip_stride" and h.l1d.prefetcher.level == "l1d"
    assert h.levels["l2"].prefetcher.name == "stream"
    assert "l2.pf_issued" in h.stats() and "l1i.pf_issued" not in h.stats()


# ---- timing: timely vs late, MSHRs (needs the non-blocking cache) ---------------------------

def test_timely_and_late_prefetch_exact_cycles():
    # L1 hit 1, fixed memory 40, next_line degree 1.
    # Load A = 0x1000 at cycle 0: port cycle 0, miss known at 0 + 1 = 1, MSHR 0 taken, the
    # fill returns at 1 + 40 = 41: latency 41. The prefetcher, shown the miss at cycle 1,
    # asks A + 64; MSHR 1 is free, so that fill also returns at 1 + 40 = 41.
    timely = l1(pf("next_line"))
    assert timely.access_py(0x1000, LOAD, 0) == (41, 4)
    assert timely.is_prefetched(0x1040)
    # Timely: A + 64 loaded at cycle 60 > 41: an ordinary 1-cycle hit, counted useful; its
    # first use triggers the tagged prefetch of A + 128 (next_line's tagged = true).
    assert timely.access_py(0x1040, LOAD, 60) == (1, 1)
    s = timely.stats()
    assert (s["pf_issued"], s["pf_useful"], s["pf_late"]) == (2, 1, 0)
    assert timely.is_prefetched(0x1080)
    # Late: the same, but A + 64 loaded at cycle 20: port 20, hit known at 21, the line
    # arrives at 41, so the load waits: latency 41 - 20 = 21 (a miss would have cost
    # 1 + 40 = 41: the prefetch hid 20 of its 40 cycles).
    late = l1(pf("next_line"))
    late.access_py(0x1000, LOAD, 0)
    assert late.access_py(0x1040, LOAD, 20) == (21, 1)
    s = late.stats()
    # (the late first use also triggers the tagged prefetch of A + 128)
    assert (s["pf_issued"], s["pf_useful"], s["pf_late"]) == (2, 1, 1)
    assert s["mshr_hits"] >= 1


def test_prefetches_need_a_free_mshr():
    # One MSHR: the demand miss of A holds it until 41, so the prefetch asked at cycle 1
    # is dropped (never waits), and A + 64 later misses in full.
    c = l1(pf("next_line"), mshrs=1)
    assert c.access_py(0x1000, LOAD, 0) == (41, 4)
    s = c.stats()
    assert (s["pf_requests"], s["pf_issued"], s["pf_dropped_mshr"]) == (1, 0, 1)
    assert not c.contains(0x1040)
    assert c.access_py(0x1040, LOAD, 100) == (41, 4)
    # Three MSHRs, degree 4: the demand miss takes one, two prefetches take the others,
    # the last two are dropped.
    d = l1(pf("next_line", degree=4), mshrs=3)
    d.access_py(0x1000, LOAD, 0)
    s = d.stats()
    assert (s["pf_issued"], s["pf_dropped_mshr"]) == (2, 2)
    assert d.is_prefetched(0x1040) and d.is_prefetched(0x1080) and not d.contains(0x10c0)
    # At cycle 41 every fill is back and the MSHRs are free again: a demand miss at 50
    # and its prefetches proceed.
    d.access_py(0x8000, LOAD, 50)
    assert d.stats()["pf_issued"] == 4
