"""Properties of the in-order core on random instruction streams and random configs:
the CPI stack sums exactly to the cycles (rule 14), entry cycles obey rules 1-2 (each
stage holds at most one instruction per cycle, in order), and the API around it."""
import random
from types import SimpleNamespace

import numpy as np
import pytest

from cyclesim.errors import ConfigError
from pipeline._testing import FixedLevel, ScriptedLevel, feed, run_synthetic
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.predictors import PREDICTORS
from pipeline.build import build_core
from pipeline.inorder import InOrderCore
from pipeline.trace import CAUSE_NAMES, MEM_DTYPE, PIPE_DTYPE

OPS = ["alu", "alu", "alu", "load", "load", "store", "amo", "mul", "div", "fadd", "fmul",
       "fma", "fdiv", "fsqrt", "fcvt", "branch", "branch", "jal", "jalr", "system", "nop"]


def random_stream(rng, n):
    insts, pc = [], 0x10000
    for _ in range(n):
        op = rng.choice(OPS)
        length = rng.choice([2, 4, 4])
        d = dict(opclass=op, pc=pc, length=length, rd=rng.choice([0, 1, 2, 3, 33, 34]),
                 rs1=rng.choice([0, 1, 2, 3, 5]), rs2=rng.choice([0, 2, 3, 33]),
                 rs3=rng.choice([0, 0, 34]))
        nxt = pc + length
        if op in ("load", "store", "amo"):
            d["mem_addr"] = 0x800000 + rng.randrange(0, 1 << 14, 8)
        if op == "branch":
            d["taken"] = rng.random() < 0.6
            d["target"] = pc + rng.choice([-64, -16, 32, 256])
            nxt = d["target"] if d["taken"] else nxt
            d["rd"] = 0
        elif op in ("jal", "jalr"):
            d["rd"] = rng.choice([0, 1])
            d["rs1"] = rng.choice([1, 5, 6]) if op == "jalr" else 0
            nxt = rng.choice([0x10000, 0x10400, pc + length])
            d["taken"] = True
        d["next_pc"] = nxt
        insts.append(d)
        pc = nxt
    return insts


def random_core(rng):
    l1i = ScriptedLevel(1, 1)
    l1d = ScriptedLevel(rng.choice([1, 1, 2]), 1)
    for _ in range(10):
        l1i.set(0x10000 + 64 * rng.randrange(32), rng.choice([5, 12, 100]), rng.choice([2, 3, 4]),
                times=rng.choice([1, 2, -1]))
        l1d.set(0x800000 + 64 * rng.randrange(256), rng.choice([5, 12, 100]),
                rng.choice([2, 3, 4]), times=rng.choice([1, 3, -1]))
    kw = dict(forwarding=rng.choice(["full", "none"]),
              branch_resolve_stage=rng.choice(["ID", "EX", "MEM"]),
              mul_latency=rng.randint(1, 5), div_latency=rng.randint(1, 30),
              div_pipelined=rng.random() < 0.5, long_ops_pipelined=rng.random() < 0.5,
              fadd_latency=rng.randint(1, 6), fdiv_latency=rng.randint(1, 30),
              fetch_blocking=rng.random() < 0.8, mem_blocking=rng.random() < 0.7,
              store_buffer_entries=rng.choice([0, 1, 2, 4]))
    pred = make_predictor(rng.choice(sorted(PREDICTORS.names())), table_entries=256, history_bits=4,
                          chooser_entries=256)
    return InOrderCore(l1i, l1d, pred, BTB(16, 2), RAS(rng.choice([0, 2, 8])), **kw)


def occupancy_ok(t):
    """Rules 1-2 checked on the per-cycle view derived from entry cycles."""
    e = np.stack([t["if_cycle"], t["id_cycle"], t["ex_cycle"], t["mem_cycle"],
                  t["wb_cycle"]], axis=1)
    assert (np.diff(e, axis=1) >= 1).all()                       # rule 1
    leave = np.concatenate([e[:, 1:], e[:, 4:5] + 1], axis=1)  # cycle each stage is left
    assert (e[1:] >= leave[:-1]).all()                          # rule 2
    # explicit per-cycle view: no cycle has two instructions in one stage
    for s in range(5):
        busy = np.zeros(int(leave[:, s].max()) + 1, np.int32)
        for a, b in zip(e[:, s], leave[:, s]):
            busy[a:b] += 1
        assert busy.max() <= 1
    return True


@pytest.mark.parametrize("seed", range(25))
def test_cpi_stack_sums_exactly_to_cycles(seed):
    rng = random.Random(seed)
    core = random_core(rng)
    core.enable_trace(0, 2000, pipeline=True, memory=True)
    n = 600
    cycles = feed(core, random_stream(rng, n))
    s = core.stats()
    t = core.pipeline_trace()
    assert len(t) == n
    assert cycles == int(t["wb_cycle"][-1]) + 1 == s["core.cycles"]
    assert sum(core.cpi_stack().values()) == s["core.cycles"]
    assert core.cpi_stack()["other"] == 0
    assert core.cpi_stack()["base"] == n + 4
    assert occupancy_ok(t)
    # each instruction's charged gap: the cause is recorded exactly when it stalled
    gaps = np.diff(np.concatenate([[3], t["wb_cycle"]])) - 1
    assert ((gaps > 0) == (t["cause"] != 255)).all()
    for k, name in enumerate(CAUSE_NAMES[1:], start=1):
        assert int(gaps[t["cause"] == k].sum()) == core.cpi_stack()[name]


def test_reset_stats_keeps_the_sum_invariant():
    rng = random.Random(7)
    core = random_core(rng)
    stream = random_stream(rng, 800)
    core.enable_trace(0, 1000)
    feed(core, stream[:300])
    wb_at_reset = int(core.pipeline_trace()["wb_cycle"][-1])
    core.reset_stats()
    feed(core, [dict(d, seq=300 + i) for i, d in enumerate(stream[300:])])
    s = core.stats()
    assert s["core.instructions"] == 500
    assert s["core.cycles"] == int(core.pipeline_trace()["wb_cycle"][-1]) - wb_at_reset
    assert sum(core.cpi_stack().values()) == s["core.cycles"]
    assert core.cpi_stack()["base"] == 500


def test_trace_window_and_zero_copy():
    core = InOrderCore(FixedLevel(1), FixedLevel(3, 2))
    core.enable_trace(first_seq=2, count=3, pipeline=True, memory=True)
    feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000 + 8 * i) for i in range(8)])
    t = core.pipeline_trace()
    assert t.dtype == PIPE_DTYPE and t["seq"].tolist() == [2, 3, 4]
    assert t["served_by"].tolist() == [2, 2, 2]
    assert np.shares_memory(t, core.pipeline_trace())          # a view, not a copy
    m = core.memory_trace()
    assert m.dtype == MEM_DTYPE
    # first fetch (seq 0) is outside the window: only the 3 loads remain
    assert m["seq"].tolist() == [2, 3, 4] and m["kind"].tolist() == [1, 1, 1]
    assert m["size"].tolist() == [8, 8, 8]
    assert m["addr"].tolist() == [0x8010, 0x8018, 0x8020]
    assert m["cycle"].tolist() == t["mem_cycle"].tolist()
    assert m["latency"].tolist() == [3, 3, 3] and m["level"].tolist() == [2, 2, 2]
    # tracing off: nothing more is recorded
    core.disable_trace()
    feed(core, [dict(opclass="alu", rd=1, seq=3)])
    assert len(core.pipeline_trace()) == 3


def test_pipe_dtype_matches_the_c_struct():
    assert PIPE_DTYPE.names[:3] == ("seq", "pc", "mem_addr")
    assert PIPE_DTYPE.itemsize >= 8 * 8 + 4 + 2 + 5
    assert MEM_DTYPE.itemsize >= 8 * 4 + 4 + 2 + 2


def test_btb_lru_and_ras_wrap():
    btb = BTB(4, 2)                   # 2 sets of 2 ways; set = (pc >> 1) & 1
    btb.py_insert(0x100, 1)           # set 0
    btb.py_insert(0x104, 2)           # set 0
    assert btb.py_lookup(0x100) == 1  # 0x100 most recent now
    btb.py_insert(0x108, 3)           # set 0 full: evicts LRU 0x104
    assert btb.py_lookup(0x104) is None
    assert btb.py_lookup(0x100) == 1 and btb.py_lookup(0x108) == 3
    assert BTB(0, 1).py_lookup(0x100) is None
    ras = RAS(2)
    for a in (1, 2, 3):               # 3 pushes into 2 entries: 1 is overwritten
        ras.py_push(a)
    assert [ras.py_pop(), ras.py_pop(), ras.py_pop()] == [3, 2, None]


def test_predictor_registry_rejects_unknown_names():
    with pytest.raises(ConfigError, match=r"bpred\.kind = .perceptron.: unknown branch "
                                          r"predictor; known ones are ") as e:
        make_predictor("perceptron")
    # every registered name is listed (in registration order, which depends on imports)
    assert all(name in str(e.value) for name in PREDICTORS.names())
    with pytest.raises(ConfigError, match="power of two"):
        make_predictor("gshare", table_entries=1000)


def test_build_core_from_config_objects():
    core_cfg = SimpleNamespace(model="inorder", frequency=1e9, forwarding="full",
                               branch_resolve_stage="MEM", mul_latency=3, div_latency=20,
                               div_pipelined=False, fadd_latency=4, fmul_latency=4,
                               fma_latency=5, fdiv_latency=20, fsqrt_latency=25,
                               fcvt_latency=2, long_ops_pipelined=True, fetch_blocking=True,
                               mem_blocking=True, store_buffer_entries=4,
                               popcount_latency=3, clmul_latency=3)
    bp = SimpleNamespace(kind="static_nt", table_entries=4096, history_bits=12,
                         chooser_entries=4096, btb_entries=512, btb_assoc=4, ras_depth=8)
    core = build_core(core_cfg, bp, FixedLevel(1), FixedLevel(1))
    # resolve stage MEM: taken branch under static_nt costs 3
    assert feed(core, [dict(opclass="branch", taken=True, target=0x10100),
                       dict(opclass="alu", rd=1)]) == 9
    with pytest.raises(ConfigError, match="core.model = 'dataflow': unknown core model; "
                                          "known ones are .*ooo"):
        build_core(SimpleNamespace(**{**core_cfg.__dict__, "model": "dataflow"}), bp,
                   FixedLevel(1), FixedLevel(1))
    ooo = build_core(SimpleNamespace(**{**core_cfg.__dict__, "model": "ooo"}), bp,
                     FixedLevel(1), FixedLevel(1))
    assert type(ooo).__name__ == "OutOfOrderCore"     # the registry's second model
    with pytest.raises(ConfigError, match="core.forwarding"):
        build_core(SimpleNamespace(**{**core_cfg.__dict__, "forwarding": "some"}), bp,
                   FixedLevel(1), FixedLevel(1))


def test_synthetic_stream_runs_and_balances():
    core = InOrderCore(FixedLevel(1), FixedLevel(1))
    run_synthetic(core, 20000)
    s = core.stats()
    assert s["core.instructions"] == 20000
    assert sum(core.cpi_stack().values()) == s["core.cycles"] == core.cycle
