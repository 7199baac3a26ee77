"""Memory-dependence prediction and memory-order violations in the out-of-order core
(docs/pipeline-ooo.md O16, O16s, O22): the fast model agrees with the cycle-by-cycle
reference (tests/pipeline/ooo_reference.py) on every instruction's five cycles under the
`store_sets` and `speculate` policies, on random streams whose store addresses often come
late (from loads, multiplies and divides) and alias younger loads in a 48-byte region."""
import random

import numpy as np
import pytest

from pipeline.models.ooo import OooParams

from ooo_reference import ALU, BRANCH, DIV, LOAD, MUL, STORE, predict, simulate
from test_ooo_reference import (CODE, CONFIGS, DATA, DCACHE, ICACHE, INT_REGS, compare,
                                random_stream, run_fast)

# SSIT/LFST geometries: tiny tables alias PCs and sets, a short clear period forgets them
TABLES = {
    "paper": dict(ssit_entries=1024, lfst_entries=128, store_set_clear_cycles=0),
    "aliasing": dict(ssit_entries=16, lfst_entries=4, store_set_clear_cycles=0),
    "clearing": dict(ssit_entries=256, lfst_entries=32, store_set_clear_cycles=300),
}


def loop_stream(rng, n, body=20):
    """A loop of `body` static instructions (a random mix of ALU ops, multiplies, divides,
    loads and stores) closed by a taken backward branch, run until n instructions: the
    same load and store PCs come back every iteration, so store sets can learn them. Each
    memory instruction has a home slot in a 48-byte region and moves to a random slot in
    a quarter of the iterations, so dependences come and go."""
    kinds = [ALU] * 6 + [MUL] * 2 + [DIV] + [LOAD] * 5 + [STORE] * 4
    code = []
    for k in range(body):
        oc = rng.choice(kinds)
        d = dict(oc=oc, pc=CODE + 4 * k, length=4, taken=False, next_pc=CODE + 4 * (k + 1))
        if oc != STORE:
            d["rd"] = rng.choice(INT_REGS)
        d["rs1"] = rng.choice(INT_REGS)
        if oc != LOAD and rng.random() < .7:
            d["rs2"] = rng.choice(INT_REGS)
        if oc in (LOAD, STORE):
            d["mem_size"] = rng.choice([4, 8, 8])
            d["home"] = DATA + rng.randrange(0, 48, d["mem_size"])
        code.append(d)
    code.append(dict(oc=BRANCH, pc=CODE + 4 * body, length=4, rs1=INT_REGS[0], taken=True,
                     next_pc=CODE))
    out = []
    while len(out) < n:
        for d in code:
            e = {k: v for k, v in d.items() if k != "home"}
            if "home" in d:
                e["mem_addr"] = d["home"] if rng.random() < .75 else \
                    DATA + rng.randrange(0, 48, d["mem_size"])
            out.append(e)
    return out[:n]


def _run(name, policy, tables, seed, n=700, rva22=False, loop=False):
    rng = random.Random(seed * 4099 + len(name))
    stream = loop_stream(rng, n) if loop else random_stream(rng, n, rva22=rva22)
    for d, kind in zip(stream, predict(stream)):
        d["redirect"] = kind
    p = OooParams().updated(CONFIGS[name]).updated(
        dict(TABLES[tables], memory_dependence=policy, violation_penalty=1 + seed % 4))
    core = run_fast(stream, p, DCACHE[name], ICACHE[name])
    ref = simulate(stream, p, dcache=lambda i: DCACHE[name],
                   icache_stall=lambda i: ICACHE[name] - 1)
    return core, ref, p


@pytest.mark.parametrize("loop", [False, True], ids=["random", "loop"])
@pytest.mark.parametrize("tables", sorted(TABLES))
@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(3))
def test_store_sets_agree_with_reference(name, tables, seed, loop):
    core, ref, p = _run(name, "store_sets", tables, seed, loop=loop)
    rec = core.ooo_trace()
    compare(rec, ref)
    assert [int(x) for x in rec["violations"]] == [i.violations for i in ref]
    assert [bool(x) for x in rec["forwarded"]] == [i.forwarded for i in ref]
    s = core.stats()
    assert s["core.order_violations"] == sum(i.violations for i in ref)
    assert sum(core.cpi_stack().values()) == s["core.cycles"]
    assert sum(core.slot_counts().values()) == s["core.cycles"] * p.commit_width


@pytest.mark.parametrize("loop", [False, True], ids=["random", "loop"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(3))
def test_speculate_agrees_with_reference(name, seed, loop):
    core, ref, p = _run(name, "speculate", "paper", seed, loop=loop)
    rec = core.ooo_trace()
    compare(rec, ref)
    assert [int(x) for x in rec["violations"]] == [i.violations for i in ref]
    assert core.stats()["core.store_set_waits"] == 0


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_rva22_streams_with_store_sets_agree(name):
    """cbo.zero is a store of its block (O21): loads inside it can violate against it."""
    core, ref, _ = _run(name, "store_sets", "aliasing", 5, rva22=True)
    compare(core.ooo_trace(), ref)


def test_streams_exercise_violations_and_predictor_waits():
    """The loop streams above really contain violations, predictor-held issues and
    violations charged in the CPI stack; store sets cut the violations of blind
    speculation, and speculating beats waiting on some stream. (A refetched load cannot
    violate again: it is refetched only when every older instruction has committed, O22.)"""
    tot = dict(viol=0, waits=0, slots=0, spec_viol=0, faster=0, twice=0)
    for name in CONFIGS:
        for seed in range(3):
            core, _, _ = _run(name, "store_sets", "paper", seed, loop=True)
            s = core.stats()
            tot["viol"] += s["core.order_violations"]
            tot["twice"] += int((core.ooo_trace()["violations"] > 1).sum())
            tot["waits"] += s["core.store_set_waits"]
            tot["slots"] += s["commit_slots.bad_speculation_memory_order"]
            spec, _, _ = _run(name, "speculate", "paper", seed, loop=True)
            tot["spec_viol"] += spec.stats()["core.order_violations"]
            wait, _, _ = _run(name, "wait", "paper", seed, loop=True)
            assert wait.stats()["core.order_violations"] == 0
            tot["faster"] += s["core.cycles"] < wait.stats()["core.cycles"]
    assert tot["viol"] > 0 and tot["waits"] > 0 and tot["slots"] > 0, tot
    assert tot["spec_viol"] > 2 * tot["viol"], tot
    assert tot["faster"] > 0 and tot["twice"] == 0, tot


def test_wait_policy_is_unchanged_by_the_new_tables():
    """memory_dependence = wait ignores the SSIT/LFST parameters entirely."""
    a, _, _ = _run("medium", "wait", "paper", 1)
    b, _, _ = _run("medium", "wait", "aliasing", 1)
    for col in ("fetch", "dispatch", "issue", "done", "commit"):
        assert np.array_equal(a.ooo_trace()[col], b.ooo_trace()[col])
