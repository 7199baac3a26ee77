"""Coherence (docs/coherence.md): the implementation against the reference model of
coherence_reference.py — every (state, request) pair on small systems, exhaustively, and
random multi-core streams with the single-writer / multiple-reader invariant checked after
every access — and exact cycles derived by hand from the configured latencies."""
import random

import pytest
from coherence_reference import RefCoherence

from caches.build import build_hierarchy
from caches.config import CoherenceConfig, MemoryConfig, default_cache
from cyclesim.errors import ConfigError

LINE = 64


def system(cores, protocol="mesi", fabric="directory", private_l2=False, **coh):
    """cores x (L1I, L1D 1-cycle hits) [-> private L2, 12 cycles] -> shared L2 (12) or L3
    (30 cycles) -> memory 100 cycles; directory lookup 10, invalidation 20, intervention 30
    unless given."""
    l1i, l1d = default_cache("l1i"), default_cache("l1d")
    l2 = default_cache("l2")
    l3 = default_cache("l3") if private_l2 else None
    cfg = CoherenceConfig(protocol=protocol, fabric=fabric, **coh)
    return build_hierarchy(l1i, l1d, l2, l3, MemoryConfig(kind="fixed", latency=100), 1e9,
                           cores=cores, coherence=cfg)


def core_state(h, c, addr):
    """Core c's protocol state of the line: over its private caches, the strongest."""
    sts = {cache.coherence_state(addr) for cache in h.cores[c].levels.values()}
    for s in ("M", "O", "E", "S"):
        if s in sts:
            return s
    return "I"


class Driver:
    """One op at a time, each 1000 cycles after the last (no overlap in flight)."""

    def __init__(self, h):
        self.h = h
        self.now = 0

    def __call__(self, core, addr, kind):
        self.now += 1000
        l1d = self.h.cores[core].l1d
        if kind == "evict":
            return l1d.block_op_py(addr, "flush", self.now)
        return l1d.access_py(addr, kind, self.now)[0]


def same_states(h, ref, cores, addrs):
    for c in range(cores):
        for a in addrs:
            assert core_state(h, c, a) == ref.get(c, a // LINE), (c, hex(a))
    d = h.shared["coherence"]
    for a in addrs:
        holders = [c for c in range(cores) if ref.get(c, a // LINE) != "I"]
        owner = [c for c in holders if ref.get(c, a // LINE) in ("M", "E", "O")]
        assert d.state(a) == (holders, owner[0] if owner else None), hex(a)


COUNTS = ("invalidations", "interventions", "upgrades", "downgrade_writebacks",
          "coherence_misses", "true_sharing_misses", "false_sharing_misses")


def same_counts(h, ref, cores):
    s = h.stats()
    for k in COUNTS:
        assert s[f"coherence.{k}"] == ref.counts[k], k
    for c in range(cores):
        for k in ("coherence_misses", "true_sharing_misses", "false_sharing_misses"):
            assert s[f"coherence.core{c}.{k}"] == ref.per_core[c][k], (c, k)
            assert s[f"core{c}.l1d.{k}"] == ref.per_core[c][k], (c, k)


# ---- every (state, request) pair, exhaustively ---------------------------------------------

@pytest.mark.parametrize("protocol", ["mesi", "moesi"])
@pytest.mark.parametrize("cores, lines", [(2, 1), (3, 1), (2, 2)])
def test_every_state_and_request_against_the_reference(protocol, cores, lines):
    # lines 0x0 and 0x1000 (different sets); the reachable global states are explored
    # breadth first from all-Invalid, and from each one every request of every core is
    # replayed in a fresh system and the model, and the next states compared
    addrs = [i * 0x1000 for i in range(lines)]
    ops = [(c, a, k) for c in range(cores) for a in addrs for k in ("load", "store", "evict")]

    def key(ref):
        return tuple(ref.get(c, a // LINE) for c in range(cores) for a in addrs)

    def replay(seq):
        h, ref = system(cores, protocol), RefCoherence(cores, protocol)
        drive = Driver(h)
        for c, a, k in seq:
            drive(c, a, k)
            ref.access(c, a, k)
        return h, ref, drive

    seen = {key(RefCoherence(cores, protocol)): []}
    frontier = [[]]
    pairs = 0
    while frontier:
        nxt = []
        for seq in frontier:
            for op in ops:
                h, ref, drive = replay(seq)
                drive(*op)
                ref.access(*op)
                ref.check_invariant([a // LINE for a in addrs])
                same_states(h, ref, cores, addrs)
                same_counts(h, ref, cores)
                pairs += 1
                k = key(ref)
                if k not in seen:
                    seen[k] = seq + [op]
                    nxt.append(seq + [op])
        frontier = nxt
    # every state the protocol can reach was reached: per line, all-I, one E, one M, any
    # non-empty set of S (and for MOESI one O beside any set of S)
    per_line = 1 + cores + cores + (2 ** cores - 1)
    if protocol == "moesi":
        per_line += cores * 2 ** (cores - 1)
    assert len(seen) == per_line ** lines
    assert pairs == len(seen) * len(ops)


# ---- random streams --------------------------------------------------------------------

@pytest.mark.parametrize("protocol", ["mesi", "moesi"])
@pytest.mark.parametrize("cores", [2, 4])
@pytest.mark.parametrize("private_l2", [False, True])
def test_random_streams_keep_the_invariant_and_agree(protocol, cores, private_l2):
    rng = random.Random(cores * 10 + private_l2 + (protocol == "moesi") * 100)
    # 3 lines, several words each: true and false sharing both happen
    addrs = [line * 0x1000 + word * 8 for line in range(3) for word in (0, 1, 5)]
    h, ref = system(cores, protocol, private_l2=private_l2), RefCoherence(cores, protocol)
    drive = Driver(h)
    for _ in range(1500):
        c = rng.randrange(cores)
        a = rng.choice(addrs)
        k = rng.choices(["load", "store", "evict"], [5, 4, 1])[0]
        drive(c, a, k)
        ref.access(c, a, k)
        ref.check_invariant([a // LINE for a in addrs])
        same_states(h, ref, cores, addrs)
    same_counts(h, ref, cores)
    s = h.stats()
    assert s["coherence.true_sharing_misses"] > 10 and s["coherence.false_sharing_misses"] > 10
    assert s["coherence.interventions"] > 10 and s["coherence.invalidations"] > 10


# ---- exact cycles ----------------------------------------------------------------------

def test_ping_pong_of_one_line_between_two_cores():
    h = system(2)
    c0, c1 = h.cores[0].l1d, h.cores[1].l1d
    x = 0x8000
    # core 0 stores, cold: L1D tag check 1, then GetM to the directory: nobody holds the
    # line, so the shared L2 serves it (miss: 12 + memory 100): 1 + 112 = 113, granted M
    assert c0.access_py(x, "store", 0) == (113, 4)
    # core 1 stores: L1D miss 1; GetM finds core 0 owning it M: intervention, lookup 10 +
    # forward-and-data 30 = 40; core 0 is invalidated: 41
    assert c1.access_py(x, "store", 1000)[0] == 1 + 10 + 30
    assert (c0.coherence_state(x), c1.coherence_state(x)) == ("I", "M")
    # and back and forth: every store is the same intervention
    for i in range(4):
        assert (c0 if i % 2 == 0 else c1).access_py(x, "store", 2000 + 1000 * i)[0] == 41
    # core 0 reads it (core 1 holds it M): GetS intervention, 41; core 1 downgrades to S
    # and (MESI) its dirty line is written to the L2
    assert c0.access_py(x, "load", 7000)[0] == 41
    assert (c0.coherence_state(x), c1.coherence_state(x)) == ("S", "S")
    # core 0 writes its S copy: L1D hit 1, upgrade request: lookup 10 + invalidating core 1
    # (out and acknowledged) 20: 31
    assert c0.access_py(x, "store", 8000)[0] == 1 + 10 + 20
    # core 0 writes again: M, a plain hit
    assert c0.access_py(x, "store", 9000)[0] == 1
    s = h.stats()
    assert s["coherence.interventions"] == 6 and s["coherence.upgrades"] == 1
    assert s["coherence.invalidations"] == 1 and s["coherence.downgrade_writebacks"] == 1
    # every miss after the first store of each core is on a line the core lost to the
    # other's write of the same word: true sharing
    assert s["coherence.true_sharing_misses"] == 5 and s["coherence.false_sharing_misses"] == 0
    assert s["l2.writebacks_received"] == 1


def test_false_sharing_costs_what_the_latencies_predict():
    # two cores increment their own counter, 8 bytes apart in one line (false sharing) or
    # a line apart; after the first touches, each store in the shared line is an
    # intervention (10 + 30 on top of the L1D's 1) and each store in a private line a hit
    def run(stride):
        h = system(2)
        cores = [h.cores[0].l1d, h.cores[1].l1d]
        total, now = 0, 0
        for i in range(20):
            c = i % 2
            now += 1000
            total += cores[c].access_py(0x10000 + c * stride, "store", now)[0]
        return total, h.stats()

    shared, s = run(8)
    private, p = run(LINE)
    # the first two stores: cold misses (113) in both runs, except that in the shared run
    # the second is an intervention (41); then 18 stores: 41 each against 1 each
    assert private == 113 + 113 + 18 * 1
    assert shared == 113 + 41 + 18 * 41
    # the extra cycles: 18 interventions of (10 + 30) each, less the cold miss the second
    # core did not take (it got the line from core 0: 41 instead of 113)
    assert shared - private == 18 * (10 + 30) - (113 - 41)
    assert s["coherence.coherence_misses"] == 18
    assert s["coherence.false_sharing_misses"] == 18 and s["coherence.true_sharing_misses"] == 0
    assert p["coherence.coherence_misses"] == 0 and p["coherence.interventions"] == 0


def test_moesi_keeps_the_dirty_line_owned():
    h = system(3, "moesi")
    c = [h.cores[i].l1d for i in range(3)]
    x = 0x8000
    c[0].access_py(x, "store", 0)
    # core 1 reads: intervention from core 0 (41), which keeps the dirty line as O: no
    # writeback to the L2
    assert c[1].access_py(x, "load", 1000)[0] == 41
    assert [ci.coherence_state(x) for ci in c] == ["O", "S", "I"]
    # core 2 reads: the owner supplies it again (41)
    assert c[2].access_py(x, "load", 2000)[0] == 41
    # core 1 writes its S copy: upgrade, both others invalidated in parallel: 1 + 10 + 20
    assert c[1].access_py(x, "store", 3000)[0] == 31
    assert [ci.coherence_state(x) for ci in c] == ["I", "M", "I"]
    s = h.stats()
    assert s["coherence.downgrade_writebacks"] == 0 and s["l2.writebacks_received"] == 0
    assert s["coherence.invalidations"] == 2


def test_read_sharing_and_exclusive_grant():
    h = system(2)
    c0, c1 = h.cores[0].l1d, h.cores[1].l1d
    x = 0x8000
    # core 0 loads, nobody else holds it: E; its store is then a silent hit (1)
    assert c0.access_py(x, "load", 0)[0] == 113
    assert c0.coherence_state(x) == "E"
    assert c0.access_py(x, "store", 1000)[0] == 1
    # a line read by a second core while the first holds it E: an intervention (the
    # directory cannot tell E from M), 1 + 10 + 30; both end S
    y = 0x9000
    c0.access_py(y, "load", 2000)
    assert c1.access_py(y, "load", 3000)[0] == 41
    assert (c0.coherence_state(y), c1.coherence_state(y)) == ("S", "S")
    # core 0 drops its S copy (cbo.flush, which also drops the L2's): the directory is told
    c0.block_op_py(y, "flush", 4000)
    assert h.shared["coherence"].state(y) == ([1], None)
    # core 0 reads it again: core 1 holds it S, no owner, so no intervention: the L2 (now
    # without it) and memory serve it, 1 + 12 + 100, granted S
    assert c0.access_py(y, "load", 5000)[0] == 113
    assert c0.coherence_state(y) == "S"
    # a third reader-style case: with the L2 holding the line and core 1 S, core 0's
    # miss costs 1 + 12 (no coherence action)
    z = 0xA000
    c0.access_py(z, "load", 6000)                # E
    c1.access_py(z, "load", 7000)                # intervention, both S
    h.cores[0].l1d.access_py(z + 0x8000 * 1, "load", 8000)   # unrelated line
    h.shared["l2"].access_py(z, "load", 8500)    # the L2 fills z (no core involved)
    c0.block_op_py(z, "clean", 9000)             # clean line: nothing changes
    assert c0.coherence_state(z) == "S"
    s = h.stats()
    assert s["coherence.interventions"] == 2 and s["coherence.invalidations"] == 0
    assert s["coherence.upgrades"] == 0


def test_private_l2_takes_part_in_coherence():
    h = system(2, private_l2=True)
    a0, a1 = h.cores[0], h.cores[1]
    x = 0x8000
    # core 0 stores cold: L1D 1 + its L2 12 -> GetM: L3 30 + memory 100: 143
    assert a0.l1d.access_py(x, "store", 0)[0] == 143
    # core 1 loads: L1D 1 + L2 12 miss -> intervention 10 + 30: 53; core 0's L1D and L2
    # both give up the permission
    assert a1.l1d.access_py(x, "load", 1000)[0] == 1 + 12 + 40
    assert core_state(h, 0, x) == "S" and a0.levels["l2"].coherence_state(x) == "S"
    # core 0 writes: L1D hit 1, upgrade through its L2 (tag check 12) to the directory
    # (10 + invalidation 20): 43
    assert a0.l1d.access_py(x, "store", 2000)[0] == 1 + 12 + 30
    assert core_state(h, 1, x) == "I"


def test_snooping_bus_every_request_waits_for_the_snoop():
    h = system(2, fabric="snoop", snoop_latency=150)
    c0, c1 = h.cores[0].l1d, h.cores[1].l1d
    # a cold miss: the L2 and memory take 112 < 150, so the snoop answers decide: 1 + 150
    assert c0.access_py(0x8000, "load", 0)[0] == 151
    # intervention: snoop 150 + 30
    assert c1.access_py(0x8000, "store", 1000)[0] == 1 + 150 + 30
    s = h.stats()
    assert s["coherence.snoops"] == 2          # each request seen by the 1 other core


def test_one_core_or_protocol_none_builds_no_directory():
    one = system(1)
    assert "coherence" not in one.levels and not one.l1d.coherent
    h = system(2, "mesi")
    assert h.cores[1].l1d.coherent and h.cores[1].levels["l1i"].coherent
    l1i, l1d, l2 = default_cache("l1i"), default_cache("l1d"), default_cache("l2")
    h = build_hierarchy(l1i, l1d, l2, None, MemoryConfig(kind="fixed"), 1e9, cores=2,
                        coherence=CoherenceConfig(protocol="none"))
    assert "coherence" not in h.levels and not h.l1d.coherent


def test_bad_coherence_config_is_one_sentence():
    with pytest.raises(ConfigError, match="protocol = 'msi': unknown value; use one of "
                                          "none, mesi, moesi"):
        CoherenceConfig(protocol="msi")
    l1i, l1d, l2 = default_cache("l1i"), default_cache("l1d"), default_cache("l2")
    l1d.line_size = 32
    l1d.size = 32768
    with pytest.raises(ConfigError, match="core0.l1d.line_size is 32 B but the shared "
                                          "level's is 64 B"):
        build_hierarchy(l1i, l1d, l2, None, MemoryConfig(kind="fixed"), 1e9, cores=2,
                        coherence=CoherenceConfig())


# ---- trace-driven, several cores ---------------------------------------------------------

def test_trace_with_a_core_column_runs_each_core_under_coherence():
    import pandas as pd

    from caches.simulate import simulate
    from cyclesim.errors import TraceError

    # the false-sharing pattern as a trace: cores 0 and 1 store alternately to their own
    # 8 bytes of one line, 10 stores each, each core blocking on its own clock
    n = 20
    df = pd.DataFrame({"addr": [0x10000 + (i % 2) * 8 for i in range(n)],
                       "kind": ["store"] * n, "size": [8] * n,
                       "core": [i % 2 for i in range(n)]})
    cfg = {"l2": {"hit_latency": 12}, "memory": {"kind": "fixed", "latency": 100}}
    # a SystemConfig always has `cores` (default 1) since the engine's multi-core merge,
    # so the two cores are given here rather than inferred from the trace
    r = simulate(df, config=cfg, cores=2)
    s = r.stats
    assert s["coherence.interventions"] == n - 1
    assert s["coherence.false_sharing_misses"] == n - 2
    assert s["core0.l1d.false_sharing_misses"] == n // 2 - 1
    assert s["core1.l1d.coherence_misses"] == n // 2 - 1
    # per core: the first store 1 + 12 + 100 (core 0) or 1 + 40 (core 1, from core 0),
    # then 9 interventions of 41 each: core 0 ends at 113 + 9 * 41, core 1 at 41 + 9 * 41
    assert s["trace.cycles"] == 113 + 9 * 41
    # MOESI, snoop: the same trace, other counts
    r = simulate(df, config={**cfg, "coherence": {"protocol": "moesi", "fabric": "snoop"}},
                 cores=2)
    assert r.stats["coherence.snoops"] == n
    # a core the machine does not have is one sentence
    with pytest.raises(TraceError, match="the trace names core 1 but the machine has 1 core"):
        simulate(df, config=cfg, cores=1)
    with pytest.raises(ConfigError, match="cores = 0; give the number of cores, 1 to 64"):
        simulate(df, config=cfg, cores=0)
    # without a core column nothing changes: one core, the old names
    one = simulate(df.drop(columns="core"), config=cfg)
    assert "l1d.misses" in one.stats and "coherence.interventions" not in one.stats


@pytest.mark.parametrize("protocol", ["mesi", "moesi"])
@pytest.mark.parametrize("inclusive", [False, True])
def test_evictions_keep_the_directory_exact(protocol, inclusive):
    # tiny private caches (L1D 2 lines, L2 4 lines) and 12 hot lines: replacements, dirty
    # writebacks to the private L2 and back-invalidations (inclusive L2, inclusive shared
    # L3 of 8 lines) all report to the directory; after every access the directory's
    # sharers and owner equal what the caches hold, and the invariant holds
    l1i, l1d = default_cache("l1i"), default_cache("l1d")
    l1d.size, l1d.assoc = 128, 2
    l2, l3 = default_cache("l2"), default_cache("l3")
    l2.size, l2.assoc = 256, 4
    l3.size, l3.assoc = 512, 8
    if inclusive:
        l2.inclusion = l3.inclusion = "inclusive"
    cores = 3
    h = build_hierarchy(l1i, l1d, l2, l3, MemoryConfig(kind="fixed", latency=100), 1e9,
                        cores=cores, coherence=CoherenceConfig(protocol=protocol))
    d = h.shared["coherence"]
    rng = random.Random(7 + inclusive)
    addrs = [i * LINE + w * 8 for i in range(12) for w in (0, 3)]
    drive = Driver(h)
    for _ in range(3000):
        drive(rng.randrange(cores), rng.choice(addrs), rng.choice(["load", "store", "load"]))
        for a in addrs[::2]:
            sts = [core_state(h, c, a) for c in range(cores)]
            holders = [c for c in range(cores) if sts[c] != "I"]
            owner = [c for c in holders if sts[c] in ("M", "E", "O")]
            assert d.state(a) == (holders, owner[0] if owner else None), (hex(a), sts)
            excl = [s for s in sts if s in ("M", "E")]
            assert len(excl) <= 1 and (not excl or len(holders) == 1), sts
            assert sts.count("O") <= 1
    s = h.stats()
    assert s["coherence.eviction_notices"] > 100
    assert sum(s[f"core{c}.l1d.evictions"] for c in range(cores)) > 100
    if inclusive:
        assert s["l3.evictions"] > 0
        assert sum(s[f"core{c}.l2.back_invalidations"] for c in range(cores)) > 0
