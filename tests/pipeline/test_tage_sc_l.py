"""TAGE-SC-L plug-in (bpred.kind = "tage_sc_l"): agreement with the plain-Python reference
on random, loop-nest and workload streams, a fixed-trip loop the loop predictor learns,
the corrector's threshold fitting, config errors, workloads."""
import random

import pytest

import cyclesim
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError
from pipeline.bpred import make_predictor
from pipeline.inorder import OPCLASS_NAMES
from pipeline.predictors.tage import TageParams
from pipeline.predictors.tage_sc_l import TageScLParams
from tests.pipeline.tage_sc_l_reference import RefTageScL
from tests.pipeline.test_tage import loop_stream, random_stream

TAGE_SMALL = dict(num_tables=4, min_history=2, max_history=24, log_table_entries=5,
                  tag_bits=6, log_base_entries=6, reset_period=97)
# small tables: loop entries are replaced, corrector counters alias and saturate
SMALL = TageScLParams(**TAGE_SMALL, loop_log_entries=3, loop_ways=2, loop_tag_bits=3,
                      loop_iter_bits=4, loop_confidence=2, loop_age_max=3,
                      sc_log_bias_entries=5, sc_num_tables=3, sc_min_history=3,
                      sc_max_history=20, sc_log_entries=4, sc_counter_bits=4,
                      sc_threshold=6, sc_threshold_counter_bits=3)
VARIANTS = [SMALL,
            TageScLParams(**{**SMALL.to_dict(), "sc": False}),
            TageScLParams(**{**SMALL.to_dict(), "loop": False, "sc_num_tables": 0}),
            TageScLParams(**{**SMALL.to_dict(), "loop_ways": 1, "sc_num_tables": 1,
                             "sc_min_history": 63, "sc_max_history": 63})]


def nest_stream(n, seed=0):
    """Loops with fixed trip counts 5 and 13, one nested in the other, a loop whose trip
    count changes every 20 visits (re-learning), and random data branches in between."""
    rng = random.Random(seed)
    out, visit = [], 0
    while len(out) < n:
        for i in range(5):
            for j in range(13):
                out.append((0x4000, j < 12))
                if rng.random() < 0.3:
                    out.append((0x4100 + 2 * rng.randrange(8), rng.random() < 0.5))
            out.append((0x4010, i < 4))
        trip = 4 + (visit // 20) % 3
        for j in range(trip):
            out.append((0x4020, j < trip - 1))
        visit += 1
    return out[:n]


def agree(params, stream):
    fast, ref = make_predictor("tage_sc_l", params), RefTageScL(params)
    for n, (pc, taken) in enumerate(stream):
        assert fast.predict_taken(pc) == ref.predict(pc), f"branch {n} at {pc:#x}"
        fast.train(pc, taken)
        ref.update(pc, taken)
    return fast, ref


@pytest.mark.parametrize("variant", range(len(VARIANTS)))
@pytest.mark.parametrize("seed", [1, 2])
def test_agrees_with_reference_on_random_streams(variant, seed):
    agree(VARIANTS[variant], random_stream(seed, 1500))


@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_agrees_with_reference_on_loop_streams(variant):
    agree(VARIANTS[variant], loop_stream(1500))
    fast, ref = agree(VARIANTS[variant], nest_stream(4000))
    if VARIANTS[variant].sc:
        assert fast.threshold == ref.sc.theta


def test_threshold_moves_both_ways():
    """Random outcomes: the corrector keeps mispredicting, so the threshold rises. Then
    always-taken branches at 64 pcs: each new (pc, history) context starts with a weak
    sum that is already right (correct but below the threshold: the fitting counter goes
    down), so the threshold falls back."""
    fast, ref = agree(SMALL, random_stream(7, 3000))
    assert fast.threshold > SMALL.sc_threshold
    high = fast.threshold
    fast2, _ = agree(SMALL, random_stream(7, 3000) +
                     [(0x10000 + 2 * k, True) for k in range(64)] * 10)
    assert fast2.threshold < high


def fixed_trip(trip, visits):
    """One loop branch: taken trip - 1 times, then not taken (the exit), `visits` times."""
    return [(0x8000, j < trip - 1) for _ in range(visits) for j in range(trip)]


def test_loop_with_fixed_trip_count_by_hand():
    """Trip 40, longer than TAGE's longest history in this geometry (max_history 24): the
    history before the exit is 24 takens, the same as before each other late iteration,
    so TAGE alone mispredicts every exit. The loop predictor (loop_confidence 2):
    TAGE's first mispredictions are on taken iterations of visit 0 (its counters start
    weakly not taken); each allocates an entry with dir = not taken, which the next taken
    outcome (an "exit" after 1 execution, under 3) frees again. Visit 0's exit is a TAGE
    misprediction -> allocate (dir = taken, past 0). Visit 1: 40 executions, at the exit
    current = 40 != past 0 -> past = 40, conf 0. Visits 2 and 3 end with current = past:
    conf 1, 2 = confident. From visit 4 on the loop predictor names the exit (current + 1
    = past) and agrees with TAGE elsewhere: no misprediction at all."""
    p = TageScLParams(**TAGE_SMALL, loop_confidence=2, sc=False)
    both = make_predictor("tage_sc_l", p)
    alone = make_predictor("tage", TageParams(**TAGE_SMALL))
    miss = {"tage": [0] * 30, "tage_sc_l": [0] * 30}
    for n, (pc, taken) in enumerate(fixed_trip(40, 30)):
        for name, pr in (("tage", alone), ("tage_sc_l", both)):
            if pr.predict_taken(pc) != taken:
                miss[name][n // 40] += 1
            pr.train(pc, taken)
        if n == 40 * 2 - 1:
            assert both.loop_entry(0x8000) == {"dir": True, "past": 40, "current": 0,
                                               "conf": 0, "age": 7}
    assert sum(miss["tage_sc_l"][4:]) == 0
    assert miss["tage"][4:] == [1] * 26                 # one per exit, every visit
    assert both.loop_entry(0x8000)["conf"] == 2


@pytest.mark.parametrize("sc", [False, True])
def test_loop_nest_exits_learned_with_the_full_predictor(sc):
    """Inner trip 33 inside an outer trip 3: after warm-up TAGE alone keeps missing the
    inner exits (33 > 24 history bits), TAGE-SC-L (default tables) misses none."""
    stream = [(0x9000 + 8 * (k == 1), t) for _ in range(60)
              for i in range(3) for k, t in
              ([(0, j < 32) for j in range(33)] + [(1, i < 2)])]
    both = make_predictor("tage_sc_l", TageScLParams(**TAGE_SMALL, sc=sc))
    alone = make_predictor("tage", TageParams(**TAGE_SMALL))
    late = {"tage": 0, "tage_sc_l": 0}
    for n, (pc, taken) in enumerate(stream):
        for name, pr in (("tage", alone), ("tage_sc_l", both)):
            if pr.predict_taken(pc) != taken and n >= len(stream) // 2:
                late[name] += 1
            pr.train(pc, taken)
    assert late["tage_sc_l"] == 0
    assert late["tage"] >= 90                             # 90 inner exits in that half


def test_config_keys_and_errors():
    c = SystemConfig().with_overrides({"bpred.kind": "tage_sc_l",
                                       "bpred.kind_params.loop": "false",
                                       "bpred.kind_params.sc_num_tables": 2})
    kp = c.bpred.kind_params
    assert type(kp) is TageScLParams and kp.loop is False and kp.sc_num_tables == 2
    with pytest.raises(ConfigError, match=r"bpred\.kind_params\.loop_ways = 3: must be a "
                                          r"power of two"):
        SystemConfig().with_overrides({"bpred.kind": "tage_sc_l",
                                       "bpred.kind_params.loop_ways": 3}).validate()
    with pytest.raises(ConfigError, match=r"sc_max_history = 80"):
        SystemConfig().with_overrides({"bpred.kind": "tage_sc_l",
                                       "bpred.kind_params.sc_max_history": 80}).validate()
    with pytest.raises(ConfigError, match=r"tag_bits = 40: must be between 2 and 16"):
        SystemConfig().with_overrides({"bpred.kind": "tage_sc_l",
                                       "bpred.kind_params.tag_bits": 40}).validate()


BRANCH = OPCLASS_NAMES.index("branch")


def test_core_agrees_with_reference_on_a_workload_stream():
    """The core's TAGE-SC-L (small tables, through the config) on sort's first 20000
    instructions: every conditional branch's prediction (outcome XOR the trace's
    mispredicted flag) matches the reference fed the same stream."""
    overrides = {"bpred.kind": "tage_sc_l"}
    overrides.update({f"bpred.kind_params.{k}": v for k, v in SMALL.to_dict().items()})
    r = cyclesim.run("sort", overrides=overrides, trace="pipeline", trace_window=(0, 20_000),
                     max_insts=20_000)
    t = r.pipeline
    pcs, raws, classes, miss = (t[c].tolist() for c in ("pc", "raw", "opclass",
                                                         "mispredicted"))
    ref, n = RefTageScL(SMALL), 0
    for k in range(len(pcs) - 1):
        if classes[k] != BRANCH:
            continue
        taken = pcs[k + 1] != pcs[k] + (4 if raws[k] & 3 == 3 else 2)
        assert ref.predict(pcs[k]) == (taken != bool(miss[k])), f"branch {n} at {pcs[k]:#x}"
        ref.update(pcs[k], taken)
        n += 1
    assert n > 1500


@pytest.mark.parametrize("workload", ["interp", "sort", "bfs"])
def test_not_worse_than_tage_on_workloads(workload):
    mpki = {}
    for kind in ("tage", "tage_sc_l"):
        r = cyclesim.run(workload, overrides={"bpred.kind": kind}, max_insts=300_000)
        mpki[kind] = r.stats["bpred.mpki"]
    assert mpki["tage_sc_l"] <= 1.02 * mpki["tage"]
