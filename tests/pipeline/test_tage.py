"""TAGE plug-in: agreement with the plain-Python reference, patterns, config, workloads."""
import random

import pytest

import cyclesim
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError
from pipeline.bpred import make_predictor
from pipeline.inorder import OPCLASS_NAMES
from pipeline.predictors.tage import TageParams, history_lengths
from tests.pipeline.tage_reference import RefTage

# small tables so that tags alias, allocation fails and aging happens within the streams
SMALL = TageParams(num_tables=4, min_history=2, max_history=24, log_table_entries=5,
                   tag_bits=6, log_base_entries=6, reset_period=97)


def random_stream(seed, n):
    rng = random.Random(seed)
    pcs = [0x10000 + 2 * rng.randrange(4096) for _ in range(40)]
    bias = [rng.random() for _ in pcs]
    out = []
    for _ in range(n):
        k = rng.randrange(len(pcs))
        out.append((pcs[k], rng.random() < bias[k]))
    return out


def loop_stream(n):
    """Nested loops (inner trip 7, outer 3) and a branch correlated with the inner one."""
    out, i = [], 0
    while len(out) < n:
        for j in range(7):
            out.append((0x1000, j % 3 == 0))          # data-dependent, period 3
            out.append((0x1008, j < 6))               # inner loop back edge
        out.append((0x1010, i % 3 != 2))              # outer loop back edge
        i += 1
    return out[:n]


def agree(params, stream):
    fast, ref = make_predictor("tage", params), RefTage(params)
    for n, (pc, taken) in enumerate(stream):
        assert fast.predict_taken(pc) == ref.predict(pc), f"branch {n} at {pc:#x}"
        fast.train(pc, taken)
        ref.update(pc, taken)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_reference_on_random_streams(seed):
    agree(SMALL, random_stream(seed, 1500))


def test_agrees_with_reference_on_loop_streams():
    agree(SMALL, loop_stream(1500))
    agree(TageParams(num_tables=1, min_history=3, max_history=3, log_table_entries=4,
                     tag_bits=2, log_base_entries=4, reset_period=5), loop_stream(400))


def test_geometric_lengths():
    # 5 * (130/5)^(i/6): 5, 8.6, 14.8, 25.5, 43.9, 75.5, 130 -> rounded
    assert history_lengths(7, 5, 130) == [5, 9, 15, 25, 44, 76, 130]
    assert history_lengths(1, 4, 4) == [4]


def test_first_branches_by_hand():
    """Two tables (L = 4, 8), 64 entries, 8-bit tags, 64 base counters; pc 0x402, p = 0x201.
    Fresh: empty history, tag = p & 0xff = 1; every tag is 0, so no table hits and the base
    counter (1, weakly not taken) answers: not taken. Taken mispredicts: no provider, so
    allocate in table 0 at index (p ^ p >> 6) & 63 = 9 with tag 1, ctr 0; the base goes to 2.
    History now T: every fold is 1, index 8, tag 0x201 ^ 1 ^ 2 = 2 & 0xff: no table hits
    (table 0 holds tag 1 at index 9, not 8), so the base (2) answers: taken. Not taken then
    mispredicts: allocate table 0 index 8 with tag 2, ctr -1; base back to 1."""
    p = TageParams(num_tables=2, min_history=4, max_history=8, log_table_entries=6,
                   tag_bits=8, log_base_entries=6)
    t = make_predictor("tage", p)
    assert t.predict_taken(0x402) is False
    t.train(0x402, True)
    assert t.predict_taken(0x402) is True
    t.train(0x402, False)
    ref = RefTage(p)
    ref.update(0x402, True)
    ref.update(0x402, False)
    assert [(i, e["tag"], e["ctr"]) for i, e in enumerate(ref.tables[0]) if e["tag"]] == \
        [(8, 2, -1), (9, 1, 0)]
    assert ref.base[0x201 % 64] == 1


def test_learns_period_7_loop_that_short_gshare_cannot():
    """Six taken then one not taken: gshare with 4 history bits sees TTTT before both the
    6th taken and the exit, so it misses at least once per trip; TAGE's 8..64-branch
    histories tell them apart and it is perfect after warm-up."""
    stream = [(0x2000, j < 6) for _ in range(300) for j in range(7)]
    tage = make_predictor("tage", TageParams(num_tables=4, min_history=8, max_history=64))
    gshare = make_predictor("gshare", table_entries=1024, history_bits=4)
    miss = {"tage": 0, "gshare": 0}
    for n, (pc, taken) in enumerate(stream):
        for name, p in (("tage", tage), ("gshare", gshare)):
            if n >= 200 * 7 and p.predict_taken(pc) != taken:
                miss[name] += 1
            p.train(pc, taken)
    assert miss["tage"] == 0
    assert miss["gshare"] >= 100


def test_config_keys_and_bad_params():
    c = SystemConfig().with_overrides({"bpred.kind": "tage",
                                       "bpred.kind_params.num_tables": "4"})
    assert type(c.bpred.kind_params) is TageParams and c.bpred.kind_params.num_tables == 4
    with pytest.raises(ConfigError, match=r"bpred\.kind_params\.tag_bits = 40: must be "
                                          r"between 2 and 16\."):
        SystemConfig().with_overrides({"bpred.kind": "tage",
                                       "bpred.kind_params.tag_bits": 40}).validate()
    with pytest.raises(ConfigError, match=r"max_history = 5: must be greater than "
                                          r"min_history \(5\)"):
        make_predictor("tage", TageParams(min_history=5, max_history=5))


@pytest.mark.parametrize("workload", ["interp", "sort", "bfs"])
def test_fewer_mispredictions_than_gshare_on_workloads(workload):
    mpki = {}
    for kind in ("gshare", "tage"):
        r = cyclesim.run(workload, overrides={"bpred.kind": kind}, max_insts=300_000)
        assert r.stats["bpred.branches"] > 5000
        mpki[kind] = r.stats["bpred.mpki"]
    assert mpki["tage"] < 0.9 * mpki["gshare"]


BRANCH = OPCLASS_NAMES.index("branch")


def test_core_agrees_with_reference_on_a_workload_stream():
    """The core's own TAGE (small tables, through the config) on sort's first 20000
    instructions: every conditional branch's prediction (outcome XOR the trace's
    mispredicted flag; the BTB cannot mispredict a conditional target, its tags are full
    pcs) matches the reference fed the same stream. Outcome: the next pc is not pc + len."""
    overrides = {"bpred.kind": "tage"}
    overrides.update({f"bpred.kind_params.{k}": v for k, v in SMALL.to_dict().items()})
    r = cyclesim.run("sort", overrides=overrides, trace="pipeline", trace_window=(0, 20_000),
                     max_insts=20_000)
    t = r.pipeline
    pcs, raws, classes, miss = (t[c].tolist() for c in ("pc", "raw", "opclass",
                                                         "mispredicted"))
    ref, n = RefTage(SMALL), 0
    for k in range(len(pcs) - 1):
        if classes[k] != BRANCH:
            continue
        taken = pcs[k + 1] != pcs[k] + (4 if raws[k] & 3 == 3 else 2)
        assert ref.predict(pcs[k]) == (taken != bool(miss[k])), f"branch {n} at {pcs[k]:#x}"
        ref.update(pcs[k], taken)
        n += 1
    assert n > 1500


def test_configs_with_predictor_params_pickle():
    """Sweeps send configs to worker processes by pickle."""
    import pickle
    for kind in ("gshare", "tage"):
        c = SystemConfig().with_overrides({"bpred.kind": kind})
        assert pickle.loads(pickle.dumps(c)).to_dict() == c.to_dict()
