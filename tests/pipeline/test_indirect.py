"""Indirect-target predictors (bpred.indirect): agreement with the plain-Python reference,
an interpreter's dispatch, the core's own predictions on a workload, config errors and an
exact-cycle assembled program whose jalr alternates between two targets."""
import random

import pytest

import cyclesim
from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError
from pipeline.bpred import make_indirect_predictor
from pipeline.inorder import OPCLASS_NAMES
from pipeline.predictors.ittage import IttageParams
from pipeline.predictors.target_cache import TargetCacheParams
from tests.pipeline.indirect_reference import RefIttage, RefTargetCache
from tests.test_timing_asm import BASE, asm  # noqa: F401  (the assembler fixture)

# tiny tables: indexes alias, entries are overwritten
SMALL_TC = [TargetCacheParams(log_entries=4, global_bits=3, path_targets=2, path_shift=2),
            TargetCacheParams(log_entries=5, use_pc=False, global_bits=5, path_targets=4,
                              path_shift=3),
            TargetCacheParams(log_entries=3, global_bits=0, path_targets=0)]
# tiny ITTAGE: tags alias, allocations fail, useful bits are cleared often
SMALL_IT = [IttageParams(num_tables=4, min_history=2, max_history=40, log_table_entries=4,
                         tag_bits=5, log_base_entries=3, target_bits=2, reset_period=61),
            IttageParams(num_tables=2, min_history=8, max_history=16, log_table_entries=3,
                         tag_bits=3, log_base_entries=2, target_bits=0, reset_period=17),
            IttageParams(num_tables=1, min_history=5, max_history=5, log_table_entries=5,
                         tag_bits=7, log_base_entries=4, target_bits=3, reset_period=1000)]


def mixed_stream(seed, n):
    """Indirect jumps (5 pcs, each with a few targets) among random conditional outcomes:
    ("j", pc, target) or ("b", taken)."""
    rng = random.Random(seed)
    jumps = {0x10000 + 4 * rng.randrange(1 << 12): [0x20000 + 2 * rng.randrange(1 << 14)
                                                    for _ in range(rng.randrange(1, 5))]
             for _ in range(5)}
    pcs = list(jumps)
    out = []
    for _ in range(n):
        if rng.random() < 0.4:
            pc = rng.choice(pcs)
            out.append(("j", pc, rng.choice(jumps[pc])))
        else:
            out.append(("b", rng.random() < 0.6))
    return out


def dispatch_stream(n):
    """An interpreter's one dispatch jump running a fixed 6-op bytecode loop; each op ends
    with one conditional branch whose outcome depends on the op."""
    # 0x44 * m has m in bits [2, 6) and in bits [6, 10) (m < 6): both path slices see it
    ops = [0x30000 + 0x44 * m for m in (0, 3, 1, 3, 2, 5)]
    out = []
    while len(out) < n:
        for k, t in enumerate(ops):
            out.append(("j", 0x10100, t))
            out.append(("b", k % 2 == 0))
    return out[:n]


def agree(kind, fast, ref, stream):
    for n, ev in enumerate(stream):
        if ev[0] == "b":
            fast.train_branch(ev[1])
            ref.branch(ev[1])
            continue
        _, pc, target = ev
        assert fast.predict_target(pc) == ref.predict(pc), f"{kind} event {n} at {pc:#x}"
        fast.train(pc, target)
        ref.update(pc, target)


@pytest.mark.parametrize("params", SMALL_TC)
@pytest.mark.parametrize("seed", [1, 2])
def test_target_cache_agrees_with_reference(params, seed):
    agree("target_cache", make_indirect_predictor("target_cache", params),
          RefTargetCache(params), mixed_stream(seed, 3000))
    agree("target_cache", make_indirect_predictor("target_cache", params),
          RefTargetCache(params), dispatch_stream(2000))


@pytest.mark.parametrize("params", SMALL_IT)
@pytest.mark.parametrize("seed", [1, 2])
def test_ittage_agrees_with_reference(params, seed):
    agree("ittage", make_indirect_predictor("ittage", params), RefIttage(params),
          mixed_stream(seed, 3000))
    agree("ittage", make_indirect_predictor("ittage", params), RefIttage(params),
          dispatch_stream(2000))


def test_ittage_first_jumps_by_hand():
    """Fresh ITTAGE: nothing hits, the base is empty: no prediction. The jump to 0x500
    writes the base (conf 0) and, mispredicted, allocates in table 0 (its useful bit is
    0) with the target and confidence 0; the history gets target bits 1, 2 of 0x500 (0,
    0). Same pc again: table 0's index and tag moved with the history (two more 0 bits
    change nothing: the folds of an all-zero history are 0), so table 0 hits, its
    confidence 0 defers to the base: 0x500."""
    t = make_indirect_predictor("ittage", IttageParams(num_tables=2, min_history=4,
                                                       max_history=8))
    assert t.predict_target(0x1000) is None
    t.train(0x1000, 0x500)
    assert t.predict_target(0x1000) == 0x500
    ref = RefIttage(IttageParams(num_tables=2, min_history=4, max_history=8))
    ref.update(0x1000, 0x500)
    assert ref._entry(0, 0x1000)["target"] == 0x500 and ref._entry(0, 0x1000)["conf"] == 0
    assert ref.base[(0x1000 >> 1) % 256] == {"target": 0x500, "conf": 0}


def test_target_cache_index_by_hand():
    """log_entries 4, use_pc, global_bits 2, path_targets 2 (w = 2), path_shift 4.
    pc 0x40 -> p = 0x20; after outcomes T, N the history is 0b10; last targets t0 = 0x130
    (bits [4,6) = 3), t1 = 0x1c0 (bits [6,8) = 3): index = (0x20 ^ 2 ^ 3 ^ 3 << 2) & 15
    = (32 ^ 2 ^ 3 ^ 12) & 15 = 13."""
    p = TargetCacheParams(log_entries=4, global_bits=2, path_targets=2, path_shift=4)
    ref = RefTargetCache(p)
    ref.update(0x99, 0x1c0)
    ref.update(0x99, 0x130)
    ref.branch(True)
    ref.branch(False)
    assert ref.index(0x40) == 13
    fast = make_indirect_predictor("target_cache", p)
    fast.train(0x99, 0x1c0)
    fast.train(0x99, 0x130)
    fast.train_branch(True)
    fast.train_branch(False)
    assert fast.predict_target(0x40) is None          # nothing written at 13 yet
    fast.train(0x40, 0x5000)                           # written at 13
    # the path is now 0x5000 (bits [4,6) = 0), 0x130 (bits [6,8) = 0), history 0b10:
    # pc 0x1e (p = 15) indexes 15 ^ 2 = 13 and finds 0x5000
    assert fast.predict_target(0x1e) == 0x5000
    ref.update(0x40, 0x5000)
    assert ref.index(0x1e) == 13 and ref.table[13] == 0x5000


def test_ittage_learns_the_dispatch():
    """The same 6-op loop with ITTAGE's defaults: after warm-up (the first 600 events)
    every dispatch is predicted."""
    stream = dispatch_stream(3000)
    it = make_indirect_predictor("ittage", IttageParams())
    misses = 0
    for n, ev in enumerate(stream):
        if ev[0] == "b":
            it.train_branch(ev[1])
            continue
        if n >= 600 and it.predict_target(ev[1]) != ev[2]:
            misses += 1
        it.train(ev[1], ev[2])
    assert misses == 0


def test_dispatch_learned_where_the_btb_fails():
    """The 6-op bytecode loop 0 3 1 3 2 5: op 3 is followed by 1 or 2, so one previous
    target is not enough, but the last two (path_targets 2: bits [2, 6) of the newest,
    [6, 10) of the one before) name the next op. Warm-up: 9 outcomes fill the global
    history (18 events), then one pass of 6 jumps (12 events) writes each context's
    target; from event 36 on the target cache is perfect. A BTB (the jump's last target)
    is wrong on every op (consecutive ops differ)."""
    stream = dispatch_stream(1200)
    tc = make_indirect_predictor("target_cache", TargetCacheParams())
    misses, last, btb_misses = 0, None, 0
    for n, ev in enumerate(stream):
        if ev[0] == "b":
            tc.train_branch(ev[1])
            continue
        _, pc, t = ev
        if n >= 36 and tc.predict_target(pc) != t:
            misses += 1
        if n >= 36 and last != t:
            btb_misses += 1
        tc.train(pc, t)
        last = t
    assert misses == 0
    assert btb_misses == (1200 - 36) // 2


@pytest.mark.parametrize("model", ["inorder", "ooo"])
def test_interp_workload_mispredicts_far_fewer_targets(model):
    """interp's switch dispatch (workloads/src/interp.c) through its jump table: the BTB
    mispredicts almost every dispatch; the target cache with its path history far fewer."""
    got = {}
    for ind in ("btb", "target_cache", "ittage"):
        r = cyclesim.run("interp", overrides={"bpred.indirect": ind, "core.model": model},
                         max_insts=200_000)
        s = r.stats
        assert s["bpred.indirect_jumps"] > 5000
        got[ind] = s["bpred.indirect_mispredicts"]
    assert got["btb"] > 0.9 * s["bpred.indirect_jumps"]
    assert got["target_cache"] < 0.2 * got["btb"]
    assert got["ittage"] < 0.2 * got["btb"]


JALR = OPCLASS_NAMES.index("jalr")
BRANCH = OPCLASS_NAMES.index("branch")


def _is_return(raw):
    if raw & 3 == 3:
        rd, rs1 = (raw >> 7) & 31, (raw >> 15) & 31
    else:                                   # c.jr / c.jalr: rs1 in bits 7..11
        rd, rs1 = (1 if (raw >> 12) & 1 else 0), (raw >> 7) & 31
    return rd == 0 and rs1 in (1, 5)


@pytest.mark.parametrize("kind, p, ref_class, model", [
    ("target_cache", SMALL_TC[0], RefTargetCache, "inorder"),
    ("ittage", SMALL_IT[0], RefIttage, "inorder"),
    ("ittage", SMALL_IT[0], RefIttage, "ooo"),
    ("target_cache", SMALL_TC[1], RefTargetCache, "superscalar")])
def test_core_agrees_with_reference_on_a_workload_stream(kind, p, ref_class, model):
    """The core's indirect predictor (small tables, through the config) on interp's
    first 60000 instructions: every indirect jump's trace `mispredicted` flag equals the
    reference's (miss or wrong target), the reference fed the same conditional outcomes
    and targets, read from the pipeline trace."""
    overrides = {"bpred.indirect": kind, "core.model": "ooo" if model == "ooo" else "inorder"}
    if model == "superscalar":
        overrides["core.width"] = 2
    overrides.update({f"bpred.indirect_params.{k}": v for k, v in p.to_dict().items()})
    r = cyclesim.run("interp", overrides=overrides, trace="pipeline",
                     trace_window=(0, 60_000), max_insts=60_000)
    t = r.pipeline
    pcs, raws, classes, miss = (t[c].tolist() for c in ("pc", "raw", "opclass",
                                                         "mispredicted"))
    ref, n = ref_class(p), 0
    for k in range(len(pcs) - 1):
        if classes[k] == BRANCH:
            ref.branch(pcs[k + 1] != pcs[k] + (4 if raws[k] & 3 == 3 else 2))
        elif classes[k] == JALR and not _is_return(raws[k]):
            wrong = ref.predict(pcs[k]) != pcs[k + 1]
            assert wrong == bool(miss[k]), f"indirect jump {n} at {pcs[k]:#x}"
            ref.update(pcs[k], pcs[k + 1])
            n += 1
    assert n > 2000
    assert r.stats["bpred.indirect_jumps"] == n


def test_config_keys_and_errors():
    c = SystemConfig().with_overrides({"bpred.indirect": "target_cache",
                                       "bpred.indirect_params.log_entries": "10"})
    assert type(c.bpred.indirect_params) is TargetCacheParams
    assert c.bpred.indirect_params.log_entries == 10
    with pytest.raises(ConfigError, match=r"bpred\.indirect = 'ittag'.*unknown "
                                          r"indirect-target predictor; known ones are"):
        SystemConfig().with_overrides({"bpred.indirect": "ittag"}).validate()
    with pytest.raises(ConfigError, match=r"global_bits = 9: must be at most log_entries "
                                          r"\(6\)"):
        SystemConfig().with_overrides({"bpred.indirect": "target_cache",
                                       "bpred.indirect_params.log_entries": 6}).validate()
    with pytest.raises(ConfigError, match=r"log_entries = 30"):
        SystemConfig().with_overrides({"bpred.indirect": "target_cache",
                                       "bpred.indirect_params.log_entries": 30}).validate()


ALTERNATE = """
  li a0, 6
  lla a5, m_a
  lla a6, m_b
m_loop:
m_jr:
  jr a5
  nop
m_a:
  addi t0, t0, 1
  j m_next
m_b:
  addi t1, t1, 1
m_next:
  mv t2, a5
  mv a5, a6
  mv a6, t2
  addi a0, a0, -1
  bne a0, x0, m_loop
"""


def _gaps(r):
    """WB(target) - WB(jr) of the six passes (targets m_a, m_b, m_a, ...)."""
    return [r.wb("m_a" if k % 2 == 0 else "m_b", k // 2) - r.wb("m_jr", k) for k in range(6)]


def test_exact_cycles_jalr_alternating_targets(asm):  # noqa: F811
    """Rule 11 with bpred.indirect: `jr a5` goes to m_a, m_b, m_a, ... (six passes), the
    in-order core resolving in EX: a correct target costs nothing (the target's WB one
    cycle after the jr's), a wrong one the EX-resolve penalty of 2 (gap 3).
    btb: the entry holds the previous pass's target, always the other one: six gaps of 3.
    target_cache, use_pc, global_bits 0, path_targets 1 (w = 9 bits from bit 2): index =
    p ^ (last target >> 2). Pass 0 (no target yet: index p) misses, writes m_a; pass 1
    (last m_a) misses, writes m_b at p ^ m_a'; pass 2 (last m_b) misses, writes m_a at
    p ^ m_b'; pass 3 (last m_a) finds m_b: right, and so on: gaps 3 3 3 1 1 1."""
    r = asm(ALTERNATE)
    assert _gaps(r) == [3] * 6
    assert r.result.stats["bpred.indirect_mispredicts"] == 6
    r = asm(ALTERNATE, bpred__indirect="target_cache",
            bpred__indirect_params__global_bits=0, bpred__indirect_params__path_targets=1)
    assert _gaps(r) == [3, 3, 3, 1, 1, 1]
    s = r.result.stats
    assert (s["bpred.indirect_jumps"], s["bpred.indirect_mispredicts"]) == (6, 3)
    assert bool(r.col("m_jr", "mispredicted", 2)) and not r.col("m_jr", "mispredicted", 3)


def test_c910_preset_predictors_follow_the_rtl():
    """docs/presets.md: openc910's ct_ifu_bht (bi-mode: 1024 choice counters, two banks of
    16 K direction counters, 22 history bits) and ct_ifu_ind_btb (256 targets, index from
    8 bits of global history and target bits [11:4] of the last four indirect jumps, no
    pc)."""
    from cyclesim import presets
    b = presets.get("c910").bpred
    assert b.kind == "bimode" and b.indirect == "target_cache"
    k, i = b.kind_params, b.indirect_params
    assert (k.log_choice_entries, k.log_direction_entries, k.history_bits) == (10, 14, 22)
    assert (i.log_entries, i.use_pc, i.global_bits, i.path_targets, i.path_shift) == \
        (8, False, 8, 4, 4)
    assert (b.btb_entries, b.ras_depth) == (1024, 12)


@pytest.mark.parametrize("kind, indirect", [("gshare", "target_cache"), ("gshare", "ittage"),
                                            ("tage_sc_l", "btb")])
def test_functional_warming_trains_the_new_predictors(kind, indirect):
    """SMARTS warming (cyclesim/sampling/warming.pyx) makes the same predictor calls as the
    core: after n warmed instructions a measured unit counts the same (indirect)
    mispredictions as a detailed run over the same instructions."""
    from cyclesim.api import prepare
    n, m = 60_000, 10_000
    ov = {"bpred.kind": kind, "bpred.indirect": indirect}
    full, _, _ = prepare("interp", "80", overrides=ov, max_insts=n + m, sample_interval=None,
                         warmup=n)
    full.run()
    f = full.snapshot()
    sampled, _, _ = prepare("interp", "80", overrides=ov, max_insts=n + m,
                            sample_interval=None,
                            sampling={"unit": m, "warmup": 0, "offset": n // m,
                                      "period": n // m + 1})
    sampled.run()
    t = sampled.timing.stats()
    for key in ("bpred.mispredicts", "bpred.indirect_jumps", "bpred.indirect_mispredicts",
                "bpred.branches"):
        assert t[key] == f[key], key
    assert f["bpred.indirect_jumps"] > 100


def test_ooo_core_uses_the_indirect_predictor(asm):  # noqa: F811
    """The same program on the out-of-order core: the same jumps are mispredicted (the
    predictor sees the same stream), and the three the target cache gets right save the
    redirect: fewer cycles than with the BTB."""
    runs = {}
    for ind in ("btb", "target_cache"):
        extra = {} if ind == "btb" else {"bpred__indirect_params__global_bits": 0,
                                         "bpred__indirect_params__path_targets": 1}
        r = asm(ALTERNATE, core__model="ooo", bpred__indirect=ind, **extra)
        runs[ind] = r
        flags = [bool(r.col("m_jr", "mispredicted", k)) for k in range(6)]
        assert flags == ([True] * 6 if ind == "btb" else [True] * 3 + [False] * 3)
        assert r.result.stats["bpred.indirect_mispredicts"] == (6 if ind == "btb" else 3)
    assert runs["target_cache"].result.stats["core.cycles"] < \
        runs["btb"].result.stats["core.cycles"]
