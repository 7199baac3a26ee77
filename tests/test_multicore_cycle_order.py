"""Cycle order at the shared levels (docs/engine.md, "Cycle order at the shared levels").

Harts run in turns within a quantum, so a shared L2 and DRAM receive one hart's requests of
a whole quantum before the next hart's, in call order, not cycle order. With several cores
the shared levels keep their MSHRs, writeback buffer and DRAM request queues as occupancy
timelines and each DRAM bank remembers its recent column commands, so a request is placed
at its own cycle whatever order the calls came in. Checked three ways:

- against tests/shared_order_reference.py (plain Python, one global event queue in cycle
  order over every hart's requests): exactly, request for request, when the calls come in
  cycle order; within the documented bound, and far closer than call order, when they
  come in quantum turns;
- hand-derived cycles for two harts contending for one shared MSHR and one DRAM bank;
- whole runs: reduce on 4 harts against 1-cycle quanta.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import cyclesim
from caches.cache import Cache
from caches.dram import Dram, FixedMemory

sys.path.insert(0, str(Path(__file__).parent / "caches"))
from dram_reference import RefDram                                   # noqa: E402
from shared_order_reference import (LOAD, WRITEBACK, RefFixed, RefSharedL2,  # noqa: E402
                                    run_in_cycle_order)

L2 = dict(size=2048, assoc=2, line_size=64, hit_latency=12, mshrs=2, ports=1,
          writeback_buffer=2)
DRAM = dict(banks=2, row_size=512, line_size=64, tRCD=14, tCL=14, tRP=14, tRAS=30, tRTP=6,
            tBURST=4, controller_latency=10, queue_size=4)


def streams(seed, harts, n, gap, writebacks):
    """Each hart: n requests to 96 lines (the L2 holds 32), `gap` cycles apart on average."""
    rng = np.random.default_rng(seed)
    reqs = []
    for h in range(harts):
        t = 0
        for i in range(n):
            t += int(rng.integers(1, 2 * gap))
            kind = WRITEBACK if writebacks and rng.random() < 0.2 else LOAD
            reqs.append((t, h, i, int(rng.integers(0, 96)) * 64, kind))
    return reqs


def fast(reqs, order, memory="dram", ordered=True):
    mem = Dram(**DRAM) if memory == "dram" else FixedMemory(latency=50)
    l2 = Cache(**L2, next=mem, level_id=2, name="l2")
    if ordered:                  # what build_hierarchy does for a shared level of N cores
        mem.order_by_cycle() if memory == "dram" else None
        l2.order_by_cycle()
    return {r[1:3]: l2.access_py(r[3], r[4], r[0])[0] for r in sorted(reqs, key=order)}


def reference(reqs, memory="dram"):
    mem = RefDram(**DRAM) if memory == "dram" else RefFixed(50)
    return run_in_cycle_order(RefSharedL2(mem, **L2), reqs)


def cycle_order(r):
    return r[0], r[1], r[2]


def quantum_turns(q):
    """Fixed quanta of q cycles: hart 0's requests of the quantum, then hart 1's, ..."""
    return lambda r: (r[0] // q, r[1], r[2])


@pytest.mark.parametrize("memory,writebacks", [("dram", False), ("fixed", True)])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("harts", [2, 4])
def test_cycle_ordered_calls_match_the_reference_exactly(memory, writebacks, seed, harts):
    """In cycle order the timelines are the reference's pools, request for request. (With
    writebacks the victims reach memory at their fill cycles, ahead of the next requests:
    the DRAM model's own order rule, tests/caches/test_dram.py, so fixed memory here.)"""
    reqs = streams(seed, harts, 250, 60 if harts == 2 else 120, writebacks)
    ref = reference(reqs, memory)
    got = fast(reqs, cycle_order, memory)
    bad = [k for k in ref if got[k] != ref[k]]
    assert not bad, [(k, got[k], ref[k]) for k in bad[:5]]
    lat = np.array(list(ref.values()))
    unloaded = 12 + (50 if memory == "fixed" else 10 + 14 + 14 + 14 + 4)  # a row conflict
    assert (lat == 12).any() and (lat > unloaded).sum() > 10        # hits, and queueing


@pytest.mark.parametrize("memory,writebacks", [("dram", False), ("fixed", True)])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("q", [10, 100, 1000])
def test_quantum_turns_stay_within_the_bound(memory, writebacks, seed, q):
    """In quantum turns a request is misordered only against other harts' requests of its
    own quantum, so (docs/engine.md) |latency - reference latency| <= Q + L_max, L_max the
    largest latency of the cycle-ordered reference. The total stays within 40% of the
    reference (the DRAM rule under-counts row conflicts between interleaved harts, so it
    errs low on these conflict-heavy random streams), where call order (the free-at pools
    of a private level) is 6-7 times the reference at Q = 1000."""
    reqs = streams(seed, 4, 300, 100, writebacks)
    ref = reference(reqs, memory)
    l_max = max(ref.values())
    got = fast(reqs, quantum_turns(q), memory)
    err = np.array([got[k] - ref[k] for k in ref])
    assert np.abs(err).max() <= q + l_max, (np.abs(err).max(), q, l_max)
    total, ref_total = sum(got.values()), sum(ref.values())
    assert abs(total - ref_total) <= 0.4 * ref_total, (total, ref_total)
    if q == 1000:
        old = sum(fast(reqs, quantum_turns(q), memory, ordered=False).values())
        assert abs(old - ref_total) > 3 * abs(total - ref_total), (old, total, ref_total)


def test_two_harts_one_mshr_hand_derived():
    """One shared MSHR, hit latency 10, memory 100 cycles. Hart 0 runs first in the quantum
    and misses at cycle 300; hart 1 then misses at cycle 100.
      hart 0: port 300, tag check to 310, MSHR [310, 410), latency 410 - 300 = 110
      hart 1: port 100, tag check to 110; the MSHR is held over [310, 410) only, so it is
              free at 110: [110, 210), latency 110 (the free-at pool of a private level
              would wait for 410: latency 410 - 100 = 310 + 100 = 410)
    The reference in cycle order gives the same: hart 1 [110, 210), then hart 0 finds it
    free at 310. Overlapping requests show the limit: hart 0 misses at 150 ([160, 260)),
    then hart 1 at 100 finds the MSHR free at 110 and takes [110, 210): both 110 cycles,
    where cycle order makes hart 0 wait for 210 (160 cycles): the later caller keeps the
    entry it booked (an error of 50 cycles, under the bound Q + L_max)."""
    def l2(ordered):
        c = Cache(size=1024, assoc=2, line_size=64, hit_latency=10, mshrs=1,
                  next=FixedMemory(latency=100), level_id=2, name="l2")
        if ordered:
            c.order_by_cycle()
        return c
    c = l2(True)
    assert c.access_py(0x1000, "load", 300)[0] == 110
    assert c.access_py(0x2000, "load", 100)[0] == 110
    c = l2(False)
    assert c.access_py(0x1000, "load", 300)[0] == 110
    assert c.access_py(0x2000, "load", 100)[0] == 410
    ref = run_in_cycle_order(RefSharedL2(RefFixed(100), 1024, 2, hit_latency=10, mshrs=1),
                             [(300, 0, 0, 0x1000, LOAD), (100, 1, 0, 0x2000, LOAD)])
    assert ref == {(0, 0): 110, (1, 0): 110}
    c = l2(True)
    assert c.access_py(0x1000, "load", 150)[0] == 110
    assert c.access_py(0x2000, "load", 100)[0] == 110
    ref = run_in_cycle_order(RefSharedL2(RefFixed(100), 1024, 2, hit_latency=10, mshrs=1),
                             [(150, 0, 0, 0x1000, LOAD), (100, 1, 0, 0x2000, LOAD)])
    assert ref == {(0, 0): 160, (1, 0): 110}


def test_two_harts_one_dram_bank_hand_derived():
    """One bank, controller 10, tRCD = tCL = tRP = 14, tBURST 4, no tRAS/tRTP. Hart 0 runs
    first: reads of row 0 at cycles 200 and 300; then hart 1 reads row 1 at cycle 100.
      hart 0 @200: arrives 210, bank closed: ACT 210, RD 224, burst [238, 242): 42
      hart 0 @300: arrives 310, row 0 open: RD 310, burst [324, 328): 28
      hart 1 @100: arrives 110, before the bank's latest request (310): the bank as it was
              at 110 (no column command before it: closed): ACT 110, RD 124, burst
              [138, 142): 42. Call order would precharge row 0 after 310 (PRE 310, ACT
              324, RD 338, burst [352, 356)): 256.
    In cycle order hart 1 comes first (42), and hart 0 @200 then finds row 1 open: PRE
    210, ACT 224, RD 238, burst [252, 256): 56, then 28. The booked request of hart 0
    does not move: it keeps 42 (an error of tRP = 14, one row conflict)."""
    cfg = dict(banks=1, row_size=1024, line_size=64, tRCD=14, tCL=14, tRP=14, tBURST=4,
               controller_latency=10, queue_size=8)
    row1 = 1024                                # the next row of the one bank
    d = Dram(**cfg)
    d.order_by_cycle()
    assert [d.access_py(a, 1, t)[0] for a, t in ((0, 200), (64, 300), (row1, 100))] \
        == [42, 28, 42]
    d = Dram(**cfg)
    assert [d.access_py(a, 1, t)[0] for a, t in ((0, 200), (64, 300), (row1, 100))] \
        == [42, 28, 256]
    ref = RefDram(**cfg)
    assert [ref.access(a, 1, t) for a, t in ((row1, 100), (0, 200), (64, 300))] \
        == [42, 56, 28]


def test_settle_forgets_only_what_ended():
    c = Cache(size=1024, assoc=2, line_size=64, hit_latency=10, mshrs=2,
              next=FixedMemory(latency=100), level_id=2, name="l2")
    c.order_by_cycle()
    c.access_py(0x1000, "load", 0)             # MSHR [10, 110)
    c.access_py(0x2000, "load", 500)           # MSHR [510, 610)
    c.settle(200)
    assert c.mshr_busy(520) == [(0x2000, 610)]
    assert c.mshr_busy(50) == []               # forgotten: nothing comes before 200


def reduce_cycles(n, **engine):
    r = cyclesim.run("reduce", str(n), "4", sample_interval=None,
                     overrides={"cores": 4, **{f"engine.{k}": v for k, v in engine.items()}})
    assert r.status == "exited" and r.stdout_bytes.rstrip().endswith(b" ok"), r.message
    return r.stats["core.cycles"]


def test_memory_bound_reduce_close_to_one_cycle_quanta():
    """4 harts streaming their shares through the shared L2 and DRAM: in call order fixed
    1000-cycle quanta were +65% off 1-cycle quanta on reduce 200000 and the error was not
    monotonic in the quantum (docs/engine.md). With the timelines reduce 50000 is within
    10% at every quantum (measured: adaptive -7.5%, fixed 1000 -7.9%, fixed 100 -2.8%;
    the DRAM rule under-counts row conflicts between harts of one quantum)."""
    ref = reduce_cycles(50_000, adaptive=False, quantum=1)
    for engine in ({}, {"adaptive": False}, {"adaptive": False, "quantum": 100}):
        cyc = reduce_cycles(50_000, **engine)
        assert abs(cyc - ref) <= 0.10 * ref, (engine, cyc, ref)
