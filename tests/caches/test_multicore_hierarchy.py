"""The hierarchy of several cores (docs/caches.md, "Several cores"): private levels per core,
shared levels, which level is which by default, per-core stats names, inclusion over every
core's private caches, and exact latencies derived by hand. One core builds exactly what the
single-core builder built."""
import pytest
from cache_reference import IFETCH, LOAD, STORE

from caches.build import build_hierarchy
from caches.cache import Cache
from caches.config import MemoryConfig, TlbConfig, default_cache
from cyclesim.errors import ConfigError

FIXED = MemoryConfig(kind="fixed", latency=100)


def build(cores, has_l2=True, has_l3=True, tlb=None, **kw):
    c1i, c1d = default_cache("l1i"), default_cache("l1d")       # hit 1 cycle
    c2 = default_cache("l2") if has_l2 else None                # hit 12 cycles
    c3 = default_cache("l3") if has_l3 else None                # hit 30 cycles
    for name, cfg in (("l1i", c1i), ("l1d", c1d), ("l2", c2), ("l3", c3)):
        for k, v in kw.get(name, {}).items():
            setattr(cfg, k, v)
    return build_hierarchy(c1i, c1d, c2, c3, FIXED, 1e9, tlb=tlb, cores=cores)


def test_one_core_names_and_parts_unchanged():
    h = build(1)
    assert list(h.levels) == ["l1i", "l1d", "l2", "l3", "memory"]
    assert len(h.cores) == 1 and h.cores[0].l1d is h.l1d and h.cores[0].l1i is h.l1i
    assert list(h.cores[0].levels) == ["l1i", "l1d", "l2"]
    assert list(h.shared) == ["l3", "memory"]
    assert h.levels["l3"].uppers == []          # non-inclusive by default
    s = h.stats(1000)
    assert "l1d.misses" in s and "l3.mpki" in s and not any(k.startswith("core") for k in s)
    # without an L3 the L2 is the last level and shared (the one cache of the one core's
    # own L2 by name, as before)
    h = build(1, has_l3=False)
    assert list(h.levels) == ["l1i", "l1d", "l2", "memory"]
    assert list(h.shared) == ["l2", "memory"]


def test_default_sharing_private_l2_shared_l3():
    h = build(2)
    assert list(h.levels) == ["core0.l1i", "core0.l1d", "core0.l2",
                              "core1.l1i", "core1.l1d", "core1.l2", "l3", "memory"]
    c0, c1 = h.cores
    assert c0.levels["l2"] is not c1.levels["l2"]
    assert c0.levels["l2"].next is c1.levels["l2"].next is h.levels["l3"]
    assert c0.l1d.next is c0.levels["l2"] and c1.l1d.next is c1.levels["l2"]
    assert h.l1d is c0.l1d
    assert c1.l1d.name == "core1.l1d" and h.levels["l3"].name == "l3"


def test_default_sharing_without_l3_shares_the_l2():
    h = build(3, has_l3=False)
    assert list(h.levels) == ["core0.l1i", "core0.l1d", "core1.l1i", "core1.l1d",
                              "core2.l1i", "core2.l1d", "l2", "memory"]
    l2 = h.levels["l2"]
    assert all(c.l1i.next is l2 and c.l1d.next is l2 for c in h.cores)


def test_sharing_set_explicitly():
    h = build(2, l2={"sharing": "shared"})            # shared L2 and L3 (L3 auto: shared)
    assert list(h.shared) == ["l2", "l3", "memory"]
    assert h.levels["l2"].next is h.levels["l3"]
    h = build(2, l3={"sharing": "private"})           # everything private but memory
    assert list(h.levels) == ["core0.l1i", "core0.l1d", "core0.l2", "core0.l3",
                              "core1.l1i", "core1.l1d", "core1.l2", "core1.l3", "memory"]
    assert h.levels["core1.l2"].next is h.levels["core1.l3"]
    h = build(2, has_l3=False, l2={"sharing": "private"})
    assert "core1.l2" in h.levels and h.levels["core1.l2"].next is h.levels["memory"]


@pytest.mark.parametrize("kw, words", [
    ({"l1d": {"sharing": "shared"}}, "l1d.sharing = shared: an L1 sits inside its core"),
    ({"l2": {"sharing": "shared"}, "l3": {"sharing": "private"}},
     "l3.sharing = private but the l2 is shared"),
])
def test_impossible_sharing_is_refused(kw, words):
    with pytest.raises(ConfigError, match=words):
        build(2, **kw)


@pytest.mark.parametrize("cores", [0, 65])
def test_core_count_out_of_range(cores):
    with pytest.raises(ConfigError, match=f"cores is {cores}; it must be between 1 and 64"):
        build(cores)


def test_private_and_shared_latencies_by_hand():
    h = build(2)
    c0, c1 = h.cores
    # core 0, cold load at 0: L1D tag check 1 -> its L2 at 1, tag check 12 -> L3 at 13,
    # tag check 30 -> memory at 43, 100 cycles: 143, served by memory (4)
    assert c0.l1d.access_py(0x4000, LOAD, 0) == (1 + 12 + 30 + 100, 4)
    # core 1 loads the same line at 1000: its own L1D (1) and L2 (12) miss, the shared L3
    # holds it (30): 43, served by the L3
    assert c1.l1d.access_py(0x4000, LOAD, 1000) == (1 + 12 + 30, 3)
    # core 1's instruction fetch of it: its L1I misses, its L2 now has it: 1 + 12
    assert c1.l1i.access_py(0x4000, IFETCH, 2000) == (1 + 12, 2)
    # core 0 again: its L1D hit
    assert c0.l1d.access_py(0x4000, LOAD, 3000) == (1, 1)
    s = h.stats([10, 20])
    assert s["core0.l1d.misses"] == 1 and s["core1.l1d.misses"] == 1
    assert s["core0.l2.misses"] == 1 and s["core1.l2.misses"] == 1
    assert s["core1.l2.hits"] == 1 and s["l3.hits"] == 1 and s["l3.misses"] == 1
    assert s["core0.l1d.mpki"] == 1000 * 1 / 10 and s["core1.l1d.mpki"] == 1000 * 1 / 20
    assert s["l3.mpki"] == 1000 * 1 / 30                  # shared: over every instruction
    # a total alone gives no private MPKI with several cores
    t = h.stats(30)
    assert "core0.l1d.mpki" not in t and t["l3.mpki"] == 1000 / 30
    with pytest.raises(ValueError, match="stats got 3 instruction counts for 2 cores"):
        h.stats([1, 2, 3])


def test_inclusive_shared_l3_back_invalidates_every_core():
    # 3 cores x (L2, L1I, L1D) = 9 caches above one inclusive L3; a 1-set, 2-way L3 of
    # 64 B lines holds two lines, so a third line evicts one everywhere
    h = build(3, l3={"size": 128, "assoc": 2, "line_size": 64, "inclusion": "inclusive"})
    l3 = h.levels["l3"]
    assert len(l3.uppers) == 9
    assert l3.uppers[:3] == [h.levels["core0.l2"], h.cores[0].l1i, h.cores[0].l1d]
    for c in h.cores:
        c.l1d.access_py(0x0, LOAD, 0)
    h.cores[2].l1i.access_py(0x40, IFETCH, 500)
    assert all(c.l1d.contains(0x0) for c in h.cores)
    h.cores[1].l1d.access_py(0x80, LOAD, 1000)       # L3 evicts LRU line 0x0
    assert not l3.contains(0x0)
    for c in h.cores:
        assert not c.l1d.contains(0x0) and not c.levels["l2"].contains(0x0)
    assert h.cores[2].l1i.contains(0x40)
    s = h.stats()
    assert sum(s[f"core{i}.l1d.back_invalidations"] for i in range(3)) == 3
    assert sum(s[f"core{i}.l2.back_invalidations"] for i in range(3)) == 3


def test_dirty_line_of_one_core_written_back_on_back_invalidation():
    h = build(2, l3={"size": 128, "assoc": 2, "line_size": 64, "inclusion": "inclusive"})
    c0, c1 = h.cores
    c1.l1d.access_py(0x0, STORE, 0)
    c0.l1d.access_py(0x40, LOAD, 500)
    c0.l1d.access_py(0x80, LOAD, 1000)            # evicts 0x0 from the L3 and core 1
    assert not c1.l1d.contains(0x0)
    assert h.levels["l3"].stats()["writebacks"] == 1


def test_tlbs_per_core():
    tlb = TlbConfig(enabled=True)
    h = build(2, tlb=tlb)
    assert {"core0.itlb", "core0.dtlb", "core0.walker", "core1.dtlb"} <= set(h.tlbs)
    assert h.cores[1].tlbs["dtlb"] is h.tlbs["core1.dtlb"]
    assert h.cores[0].tlbs["walker"] is not h.cores[1].tlbs["walker"]
    assert h.l1d is h.cores[0].l1d is h.tlbs["core0.dtlb"]
    s = h.stats([1, 1])
    assert "core1.dtlb.misses" in s
    one = build(1, tlb=tlb)
    assert set(one.tlbs) >= {"itlb", "dtlb", "walker"}


def test_reset_stats_and_reset_cover_every_core():
    h = build(2)
    for c in h.cores:
        c.l1d.access_py(0x100, LOAD, 0)
    h.reset_stats()
    assert all(v == 0 for k, v in h.stats().items() if k.endswith(".accesses"))
    assert h.cores[1].l1d.contains(0x100)
    h.reset()
    assert not h.cores[1].l1d.contains(0x100) and not h.levels["l3"].contains(0x100)


def test_every_private_level_is_a_cache_of_its_core():
    h = build(4)
    for i, c in enumerate(h.cores):
        for short, cache in c.levels.items():
            assert isinstance(cache, Cache) and cache.name == f"core{i}.{short}"
            assert h.levels[f"core{i}.{short}"] is cache
