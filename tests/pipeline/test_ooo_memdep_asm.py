"""Memory-dependence policies on assembled programs (docs/pipeline-ooo.md O16, O16s, O22):
exact cycles of a memory-order violation, store sets learning a dependence after one
violation, and store sets letting an independent load pass a late store. Machine and
trace columns as in test_ooo_asm.py (F D I X C = if id ex mem wb)."""
from test_ooo_asm import OOO, P, WARM, WIDE, asm  # noqa: F401  (asm is a fixture)

# the store's address t1 = s0 comes late: two dependent 3-cycle multiplies and an add
LATE_ADDR = ("m_m1: mul t1, s0, x0\n  mul t1, t1, x0\nm_a: add t1, t1, s0\n")


def _policy(name, **more):
    return dict(WIDE, **{P + "memory_dependence": name}, **more)


def test_o22_violation_flushes_and_refetches_the_load(asm):
    """speculate: the load of 8(s0) issues at D + 1, long before the older store to the
    same doubleword knows its address (STA at I(sd) = X(add)). The conflict is found at
    I(sd) + 1 and taken when the load is the oldest instruction, the cycle after C(sd)
    (C(sd) >= X(sd) > I(sd)): V = C(sd) + 1. The load is refetched violation_penalty (4)
    cycles later, F = V + 4, dispatched frontend_depth (3) after, D = F + 3, issued at
    D + 1 and, the store having left the SQ, reads the L1D (hit): X = I + 1."""
    body = WARM + LATE_ADDR + "m_sd: sd s1, 8(t1)\nm_ld: ld t2, 8(s0)\n"
    r = asm(body, **_policy("speculate"))
    sd, ld = r.st("m_sd"), r.st("m_ld")
    assert sd[2] == r.st("m_a")[3]
    v = sd[4] + 1
    assert ld == (v + 4, v + 7, v + 8, v + 9, ld[4])
    s = r.result.stats
    assert s["core.order_violations"] == 1
    assert s["cpi_stack.bad_speculation_memory_order"] > 0
    # wait: the same load waits for the store's address instead (O16), no violation
    w = asm(body, **_policy("wait"))
    assert w.st("m_ld")[2] == w.st("m_sd")[2] + 1
    assert w.result.stats["core.order_violations"] == 0
    assert w.result.stats["core.cycles"] < s["core.cycles"]


def test_o22_violation_penalty_moves_the_refetch(asm):
    """F(ld) = C(sd) + 1 + violation_penalty: 10 instead of 4 moves it by 6."""
    body = WARM + LATE_ADDR + "m_sd: sd s1, 8(t1)\nm_ld: ld t2, 8(s0)\n"
    a = asm(body, **_policy("speculate"))
    b = asm(body, **_policy("speculate", **{P + "violation_penalty": 10}))
    assert b.st("m_ld")[0] - b.st("m_sd")[4] == a.st("m_ld")[0] - a.st("m_sd")[4] + 6


LOOP = """
  li a0, 40
m_loop:
""" + LATE_ADDR + """m_sd: sd a0, 8(t1)
m_ld: ld t2, {off}(s0)
  addi a0, a0, -1
  bnez a0, m_loop
"""


def test_o16s_store_sets_learn_after_one_violation(asm):
    """A loop whose load always reads what the late store of the same iteration wrote.
    speculate violates in every one of the 40 iterations; store_sets only in the first:
    the violation puts both PCs in one store set, and from then on the load waits for
    the set's last store: I(ld) = I(sd) + 1, and it is forwarded from it,
    X = max(I(ld), J(sd)) + store_forward_latency (4), with J(sd) = D(sd) + 1 (a0 ready)."""
    body = WARM + LOOP.format(off=8)
    spec = asm(body, **_policy("speculate"))
    assert spec.result.stats["core.order_violations"] == 40
    ss = asm(body, **_policy("store_sets"))
    assert ss.result.stats["core.order_violations"] == 1
    for k in range(1, 40):
        sd, ld = ss.st("m_sd", k), ss.st("m_ld", k)
        assert ld[2] == sd[2] + 1
        assert ld[3] == max(ld[2], sd[1] + 1) + 4
    assert ss.result.stats["core.store_set_waits"] >= 39
    assert ss.result.stats["core.cycles"] < spec.result.stats["core.cycles"]


def test_o16s_independent_load_passes_the_late_store(asm):
    """The same loop with the load on another line (64(s0)): it never conflicts, so under
    store_sets it issues at D + 1, before the late store's STA, in every iteration; under
    wait it issues only at I(sd) + 1 (O16), and the loop takes longer."""
    body = WARM + LOOP.format(off=64)
    ss = asm(body, **_policy("store_sets"))
    w = asm(body, **_policy("wait"))
    assert ss.result.stats["core.order_violations"] == 0
    for k in range(40):
        sd, ld = ss.st("m_sd", k), ss.st("m_ld", k)
        assert ld[2] == ld[1] + 1 and ld[2] < sd[2]
        assert w.st("m_ld", k)[2] == w.st("m_sd", k)[2] + 1
    assert ss.result.stats["core.cycles"] < w.result.stats["core.cycles"]
