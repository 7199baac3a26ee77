"""Cache behaviour against hand-written expectations (gem5 style: the pattern, the expected
hit/miss string and the reason for each step) and against the plain Python reference model
in cache_reference.py on random and structured streams."""
import itertools

import numpy as np
import pytest
from cache_reference import AMO, IFETCH, LOAD, STORE, RefCache, RefMemory
from caches.cache import Cache
from caches.dram import FixedMemory

MEM_LATENCY = 10


def make(size, assoc, line=64, policy="lru", latency=1, **kw):
    mem = FixedMemory(MEM_LATENCY)
    return Cache(size, assoc, line, latency, policy, next=mem, level_id=1, **kw), mem


def pattern(cache, addrs, kind=LOAD):
    """Run loads and return the hit/miss string ("m m h ...")."""
    out = []
    for a in addrs:
        _, served = cache.access_py(a, kind)
        out.append("h" if served == cache.level_id else "m")
    return " ".join(out)


# One set of 2 ways, 64-byte lines: addresses A, B, C map to the same set.
A, B, C, D, E = 0, 64, 128, 192, 256


def test_lru_vs_fifo_two_way():
    seq = [A, B, A, C, A]
    lru, _ = make(128, 2, policy="lru")
    # A m (cold), B m (cold), A h, C m: evicts B (least recently used), A h
    assert pattern(lru, seq) == "m m h m h"
    fifo, _ = make(128, 2, policy="fifo")
    # A m, B m, A h (FIFO order unchanged), C m: evicts A (filled first), A m
    assert pattern(fifo, seq) == "m m h m m"


def test_tree_plru_differs_from_lru():
    seq = [A, B, C, D, A, E, B, C]
    lru, _ = make(256, 4, policy="lru")
    # 4 cold misses, A h, E evicts B (LRU), B m (evicts C), C m (evicts D)
    assert pattern(lru, seq) == "m m m m h m m m"
    plru, _ = make(256, 4, policy="plru")
    # ways 0..3 = A B C D. Touching A points the root right and the (2,3) node at way 2
    # (D touched last), so E replaces C; B is still there (h); C then replaces D (the root
    # pointed right again after B, and the (2,3) node pointed at 3 after E filled way 2).
    assert pattern(plru, seq) == "m m m m h m h m"


def test_srrip_resists_a_scan():
    X, Y, Z, W = 4 * 64, 5 * 64, 6 * 64, 7 * 64
    seq = [A, B, A, B, X, Y, Z, W, A, B]
    lru, _ = make(256, 4, policy="lru")
    # A B cold, A B hit, X Y fill, Z evicts A, W evicts B, A and B miss
    assert pattern(lru, seq) == "m m h h m m m m m m"
    srrip, _ = make(256, 4, policy="srrip")
    # A B inserted at RRPV 2, hits set them to 0; X Y fill at 2; Z ages all by 1 -> X=3 is
    # the victim; W: Y is at 3 -> victim; A B (RRPV 1) survive the scan: both hit
    assert pattern(srrip, seq) == "m m h h m m m m h h"


def test_random_policy_is_deterministic_per_seed():
    addrs = list(np.random.default_rng(5).integers(0, 64, 400) * 64)
    c1, _ = make(512, 8, policy="random", seed=7)
    c2, _ = make(512, 8, policy="random", seed=7)
    c3, _ = make(512, 8, policy="random", seed=8)
    p1, p2, p3 = pattern(c1, addrs), pattern(c2, addrs), pattern(c3, addrs)
    assert p1 == p2
    assert p1 != p3


def test_reset_restores_cold_state():
    c, _ = make(256, 4, policy="random", seed=3)
    addrs = [i * 64 for i in range(20)] * 3
    first = pattern(c, addrs)
    c.reset()
    assert c.stats()["accesses"] == 0 and c.lines() == []
    assert pattern(c, addrs) == first


def test_unknown_policy_lists_known_ones():
    with pytest.raises(ValueError, match="drrip, fifo, lru, plru, random, ship, srrip"):
        Cache(256, 4, 64, 1, "mru")


@pytest.mark.parametrize("size, assoc, line, msg", [
    (256, 3, 64, "multiple of assoc"),     # 3 x 64 does not divide 256
    (384, 2, 64, "power of two"),          # 3 sets
    (256, 2, 48, "line_size"),             # line not a power of two
])
def test_geometry_validation(size, assoc, line, msg):
    with pytest.raises(ValueError, match=msg):
        Cache(size, assoc, line, 1, "lru")


def test_plru_needs_power_of_two_ways():
    with pytest.raises(ValueError, match="power-of-two associativity"):
        Cache(64 * 12 * 4, 12, 64, 1, "plru")


# ---- write policies, hand-checked --------------------------------------------------------

def test_write_back_dirty_eviction_writes_back_once():
    c, mem = make(128, 2)        # one set, two ways
    c.access_py(A, STORE)        # miss, fill (1 read), line dirty
    c.access_py(A, STORE)        # hit, still one dirty line
    c.access_py(B, LOAD)         # miss, fill
    c.access_py(C, LOAD)         # miss: evicts A (LRU), dirty -> one writeback
    s, m = c.stats(), mem.stats()
    assert (s["writebacks"], s["evictions"]) == (1, 1)
    assert (m["reads"], m["writes"]) == (3, 1)


def test_write_through_sends_every_store_and_never_writes_back():
    c, mem = make(128, 2, write_policy="write_through")
    assert c.access_py(A, STORE) == (1 + MEM_LATENCY, 4)   # allocating miss: fill latency
    assert c.access_py(A, STORE) == (1, 1)                 # hit: posted, hit latency only
    c.access_py(B, LOAD)
    c.access_py(C, LOAD)                                     # evicts A: clean, no writeback
    s, m = c.stats(), mem.stats()
    assert (s["writebacks"], s["evictions"], s["write_throughs"]) == (0, 1, 2)
    assert (m["reads"], m["writes"]) == (3, 2)


def test_write_no_allocate_store_miss_goes_down_without_fill():
    c, mem = make(128, 2, write_allocate=False)
    lat, _ = c.access_py(A, STORE)       # miss, posted to memory, no fill
    assert lat == 1 and not c.contains(A)
    assert (mem.stats()["reads"], mem.stats()["writes"]) == (0, 1)
    c.access_py(A, AMO)                  # an AMO allocates even here: it needs the data
    assert c.contains(A) and c.is_dirty(A)


# ---- against the reference model ----------------------------------------------------------

POLICIES = ["lru", "plru", "fifo", "random", "srrip", "drrip", "ship"]
WRITES = list(itertools.product(["write_back", "write_through"], [True, False]))


def compare(policy, write_policy, write_allocate, addrs, kinds, size=1024, assoc=4, line=32,
            seed=11, params=None, pcs=None):
    mem = FixedMemory(MEM_LATENCY)
    dut = Cache(size, assoc, line, 2, policy, write_policy=write_policy,
                write_allocate=write_allocate, seed=seed, next=mem, level_id=1,
                policy_params=params)
    ref_mem = RefMemory(MEM_LATENCY)
    ref = RefCache(size, assoc, line, 2, policy, write_policy, write_allocate, seed=seed,
                   next=ref_mem, params=params)
    if pcs is None:     # a few instructions, each touching its own part of the stream
        pcs = [0x10000 + 2 * ((int(a) // 256) % 11) for a in addrs]
    for i, (a, k, pc) in enumerate(zip(addrs, kinds, pcs)):
        a, k, pc = int(a), int(k), int(pc)
        got = dut.access_py(a, k, None, pc)      # one access at a time (blocking requester)
        want = ref.access(a, k, pc)[:2]
        assert got == want, f"access {i} ({a:#x}, kind {k}): got {got}, reference {want}"
    s = dut.stats()
    assert (s["accesses"], s["hits"], s["misses"]) == (ref.accesses, ref.hits, ref.misses)
    assert (s["writebacks"], s["evictions"], s["write_throughs"]) == (
        ref.writebacks, ref.evictions, ref.write_throughs)
    assert (s["compulsory_misses"], s["capacity_misses"], s["conflict_misses"]) == (
        ref.compulsory, ref.capacity, ref.conflict)
    m = mem.stats()
    assert (m["reads"], m["writes"]) == (ref_mem.reads, ref_mem.writes)
    assert sorted(dut.lines()) == ref.lines()
    assert [a for a in ref.lines() if dut.is_dirty(a)] == ref.dirty_lines()


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("write_policy, write_allocate", WRITES)
def test_random_stream_matches_reference(policy, write_policy, write_allocate):
    rng = np.random.default_rng(POLICIES.index(policy) * 4
                                + WRITES.index((write_policy, write_allocate)))
    n = 3000
    # a hot region that mostly fits plus a cold region that does not: hits and misses both
    hot = rng.integers(0, 1024, n)
    cold = rng.integers(0, 16384, n)
    addrs = np.where(rng.random(n) < 0.6, hot, cold)
    kinds = rng.choice([LOAD, STORE, AMO, IFETCH], size=n, p=[0.5, 0.3, 0.05, 0.15])
    compare(policy, write_policy, write_allocate, addrs, kinds)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("write_policy, write_allocate", WRITES)
def test_structured_streams_match_reference(policy, write_policy, write_allocate):
    # strided through 2x capacity (set conflicts), then a loop over 1.5x capacity, with
    # every third access a store
    strided = [i * 256 for i in range(64)] * 3
    loop = list(range(0, 1536, 32)) * 4
    addrs = strided + loop
    kinds = [STORE if i % 3 == 2 else LOAD for i in range(len(addrs))]
    compare(policy, write_policy, write_allocate, addrs, kinds)


@pytest.mark.parametrize("policy", POLICIES)
def test_direct_mapped_and_fully_associative_extremes(policy):
    rng = np.random.default_rng(3)
    addrs = rng.integers(0, 4096, 1500)
    kinds = rng.choice([LOAD, STORE], size=1500)
    if policy != "plru":
        compare(policy, "write_back", True, addrs, kinds, size=256, assoc=1, line=16)
    compare(policy, "write_back", True, addrs, kinds, size=512, assoc=16, line=32)
