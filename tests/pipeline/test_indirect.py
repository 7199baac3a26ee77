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
from pipeline.predictors.target_cache import TargetCacheParams
from tests.pipeline.indirect_reference import RefTargetCache
from tests.test_timing_asm import BASE, asm  # noqa: F401  (the assembler fixture)

# tiny tables: indexes alias, entries are overwritten
SMALL_TC = [TargetCacheParams(log_entries=4, global_bits=3, path_targets=2, path_shift=2),
            TargetCacheParams(log_entries=5, use_pc=False, global_bits=5, path_targets=4,
                              path_shift=3),
            TargetCacheParams(log_entries=3, global_bits=0, path_targets=0)]


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
    for ind in ("btb", "target_cache"):
        r = cyclesim.run("interp", overrides={"bpred.indirect": ind, "core.model": model},
                         max_insts=200_000)
        s = r.stats
        assert s["bpred.indirect_jumps"] > 5000
        got[ind] = s["bpred.indirect_mispredicts"]
    assert got["btb"] > 0.9 * s["bpred.indirect_jumps"]
    assert got["target_cache"] < 0.2 * got["btb"]


JALR = OPCLASS_NAMES.index("jalr")
BRANCH = OPCLASS_NAMES.index("branch")


def _is_return(raw):
    if raw & 3 == 3:
        rd, rs1 = (raw >> 7) & 31, (raw >> 15) & 31
    else:                                   # c.jr / c.jalr: rs1 in bits 7..11
        rd, rs1 = (1 if (raw >> 12) & 1 else 0), (raw >> 7) & 31
    return rd == 0 and rs1 in (1, 5)


def test_core_agrees_with_reference_on_a_workload_stream():
    """The in-order core's target cache (small table, through the config) on interp's
    first 60000 instructions: every indirect jump's trace `mispredicted` flag equals the
    reference's (miss or wrong target), the reference fed the same conditional outcomes
    and targets, read from the pipeline trace."""
    p = SMALL_TC[0]
    overrides = {"bpred.indirect": "target_cache"}
    overrides.update({f"bpred.indirect_params.{k}": v for k, v in p.to_dict().items()})
    r = cyclesim.run("interp", overrides=overrides, trace="pipeline",
                     trace_window=(0, 60_000), max_insts=60_000)
    t = r.pipeline
    pcs, raws, classes, miss = (t[c].tolist() for c in ("pc", "raw", "opclass",
                                                         "mispredicted"))
    ref, n = RefTargetCache(p), 0
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


@pytest.mark.parametrize("model", ["inorder"])
def test_exact_cycles_jalr_alternating_targets(asm, model):  # noqa: F811
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
