"""Functional warming leaves the caches and the branch predictor exactly as a detailed run.

The rule (cyclesim/sampling/warming.pyx): the caches are blocking and keep tags, dirty
bits and replacement state that depend only on the order of their accesses, and the
predictors likewise; the warmer makes the same accesses and predictor calls in the same
order as InOrderCore.consume. So after the same N instructions of a program:

* every cache level holds the same lines, in the same ways, with the same dirty bits
  (compared: `lines()` set by set and way by way, and `is_dirty` of each line);
* the direction predictor's counter tables and global history, the BTB's tags, targets,
  LRU stamps and clock, and the RAS's entries, top and count are equal;
* and, covering state not exposed (replacement-policy bits, TAGE tables), a detailed
  run continued for M more instructions counts exactly the same cache misses, branch
  mispredictions, BTB hits and RAS hits after warming as after detailed simulation.

Cycles are not compared: after warming the pipeline restarts empty (restart_at).
"""
import pytest

from cyclesim.api import prepare
from cyclesim.sampling.warming import predictor_state

# Small caches so that N instructions evict and write back lines at every level.
SMALL = {"l1i.size": "2KiB", "l1d.size": "2KiB", "l2.size": "16KiB"}

CASES = [
    ("matmul", ["24"], "gshare"),
    ("sort", ["3000"], "tournament"),
    ("hashtable", ["2000"], "bimodal"),
    ("interp", ["80"], "gshare"),
    ("strings", ["500"], "tage"),
]


def _system(name, args, kind, n, sampling=None, warmup=None, max_insts=None, model=None):
    overrides = dict(SMALL, **{"bpred.kind": kind})
    if model is not None:
        overrides["core.model"] = model
    system, _, _ = prepare(name, *args, overrides=overrides, max_insts=max_insts or n,
                           sample_interval=None, sampling=sampling, warmup=warmup)
    return system


def _cache_state(system):
    out = {}
    for name, level in system.hierarchy.levels.items():
        if hasattr(level, "lines"):
            lines = level.lines()
            out[name] = (lines, [level.is_dirty(a) for a in lines])
    return out


# The out-of-order core makes the same cache and predictor calls in the same order per
# instruction (fetch, data, then predictor: docs/pipeline-ooo.md O4, O17, O11); a load
# refetched after a memory-order violation (O22) reads the L1D twice in a row, which an
# lru/fifo/plru/random L1D does not tell from once.
OOO_CASES = [(name, args, kind, "ooo") for name, args, kind in CASES[:3]]


@pytest.mark.parametrize("name,args,kind,model",
                         [(*c, None) for c in CASES] + OOO_CASES)
def test_warming_leaves_the_state_of_a_detailed_run(name, args, kind, model):
    n = 150_000
    detailed = _system(name, args, kind, n, model=model)
    detailed.run()
    # The first measured unit at offset n / u, i.e. at instruction n, where the run
    # stops: instructions 0 .. n-1 are functional warming.
    u = 1000
    warmed = _system(name, args, kind, n, sampling={"unit": u, "warmup": 0, "offset": n // u,
                                                    "period": n // u + 1}, model=model)
    warmed.run()
    assert type(warmed.timing) is type(detailed.timing)
    assert int(warmed.core.instret) == int(detailed.core.instret) == n
    assert warmed.smarts.warmed_instructions == n       # every one of them was warmed
    caches_d, caches_w = _cache_state(detailed), _cache_state(warmed)
    assert set(caches_d) >= {"l1i", "l1d", "l2"}
    for level in caches_d:
        assert caches_w[level] == caches_d[level], level
    assert any(any(dirty) for _, dirty in caches_d.values())     # the check has teeth
    state_d, state_w = predictor_state(detailed.timing), predictor_state(warmed.timing)
    assert state_w == state_d
    if kind != "tage":
        assert state_d["direction"]


@pytest.mark.parametrize("name,args,kind,model",
                         [(*c, None) for c in CASES] + OOO_CASES)
def test_detailed_run_after_warming_counts_the_same_events(name, args, kind, model):
    n, m = 100_000, 10_000
    # Detailed all along, statistics from instruction n to n + m.
    full = _system(name, args, kind, n, warmup=n, max_insts=n + m, model=model)
    full.run()
    f = full.snapshot()
    # Warming for n instructions, then one measured unit of m (offset n / m) with no
    # detailed warm-up.
    sampled = _system(name, args, kind, n, max_insts=n + m, model=model,
                      sampling={"unit": m, "warmup": 0, "offset": n // m,
                                "period": n // m + 1})
    sampled.run()
    assert [row["start"] for row in sampled.smarts.rows] == [n]
    t = sampled.timing.stats()
    h = sampled.hierarchy.stats()
    for key in ("bpred.mispredicts", "bpred.btb_hits", "bpred.btb_misses", "bpred.ras_hits",
                "bpred.decode_redirects", "bpred.branches"):
        assert t[key] == f[key], key
    for key in ("l1i.misses", "l1d.misses", "l2.misses", "l1d.writebacks", "l2.accesses"):
        assert h[key] == f[key], key
    assert f["bpred.mispredicts"] > 0
    if name != "interp":     # interp's loop fits even these caches after start-up
        assert f["l1i.misses"] + f["l1d.misses"] > 0


# The warmer skips an L1D access to the line its set last accessed (a load, or a store
# to a line known dirty) only where that changes nothing (warming.pyx, _filter_is_exact).
FILTER_CASES = [
    ({"l1d.policy": "plru"}, True),
    ({"l1d.policy": "fifo"}, True),
    ({"l1d.policy": "random"}, True),
    ({"l1d.policy": "srrip"}, False),            # insert then hit: two different RRPVs
    ({"l1d.write_policy": "write_through"}, False),   # every store goes to the L2
    ({"l1d.write_allocate": False}, False),      # a store miss does not install the line
    ({"l2.inclusion": "inclusive"}, False),      # L1I misses may back-invalidate L1D lines
]


@pytest.mark.parametrize("extra,on", FILTER_CASES)
def test_same_line_filter_only_where_exact(extra, on):
    name, args, n = "sort", ["3000"], 120_000
    overrides = dict(SMALL, **extra)
    detailed, _, _ = prepare(name, *args, overrides=overrides, max_insts=n, sample_interval=None)
    detailed.run()
    warmed, _, _ = prepare(name, *args, overrides=overrides, max_insts=n, sample_interval=None,
                           sampling={"unit": 1000, "warmup": 0, "offset": n // 1000,
                                     "period": n // 1000 + 1})
    warmed.run()
    assert warmed.smarts.warmer.filter_l1d == on
    assert _cache_state(warmed) == _cache_state(detailed)
    assert predictor_state(warmed.timing) == predictor_state(detailed.timing)


def test_the_warmer_knows_every_op_class():
    # A new op class (pipeline/types.pxd) may touch the caches; the warmer must be taught
    # what the in-order core does with it before sampling can be exact again.
    from cyclesim.sampling.warming import unknown_op_classes

    assert unknown_op_classes() == []
