"""Microbenchmarks of the superscalar in-order model whose rate the parameters predict.

Synthetic streams (no caches in the way: every access is a 1-cycle L1 hit unless said) are
fed straight into SuperscalarCore; the steady-state cycles per instruction are measured
as the difference between two stream lengths, so the pipeline fill cancels out.
"""
import pytest

from pipeline._testing import FixedLevel, feed
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.superscalar import SuperscalarCore


def cycles(stream, n, l1d_latency=1, **cfg):
    core = SuperscalarCore(FixedLevel(1), FixedLevel(l1d_latency), make_predictor("static_nt"),
                           BTB(512, 4), RAS(8), **cfg)
    feed(core, stream(n))
    return core.cycle


def rate(stream, **cfg):
    """Steady-state instructions per cycle (fill removed)."""
    return 2000 / (cycles(stream, 4000, **cfg) - cycles(stream, 2000, **cfg))


def independent(kind):
    def make(n):
        return [dict(opclass=kind, pc=0x10000 + 4 * i, rd=1 + i % 8,
                     mem_addr=0x800000 + 8 * (i % 64), mem_size=8) for i in range(n)]
    return make


def chain(kind, **extra):
    def make(n):
        return [dict(opclass=kind, pc=0x10000 + 4 * i, rd=5, rs1=5, **extra) for i in range(n)]
    return make


@pytest.mark.parametrize("width", [1, 2, 3])
def test_independent_alu_ops_reach_the_issue_width(width):
    # Rule S3: one 64-byte line (16 instructions) per fetch group, so width 3 fetches
    # 3+3+3+3+3+1 per line: 16 instructions in 6 cycles.
    expected = {1: 1.0, 2: 2.0, 3: 16 / 6}[width]
    assert rate(independent("alu"), width=width) == pytest.approx(expected)


@pytest.mark.parametrize("width", [2, 3])
def test_dependent_chains_run_at_their_latency(width):
    assert rate(chain("alu"), width=width) == pytest.approx(1.0)
    assert rate(chain("mul"), width=width, mul_latency=3) == pytest.approx(1 / 3)
    assert rate(chain("fadd"), width=width, fadd_latency=5, fp_per_cycle=1) == \
        pytest.approx(1 / 5)
    # with a late ALU a dependent ALU chain still runs one per cycle (S7)
    assert rate(chain("alu"), width=width, late_alu=True) == pytest.approx(1.0)


@pytest.mark.parametrize("limit", [1, 2])
def test_loads_per_cycle_follow_the_memory_op_limit(limit):
    assert rate(independent("load"), width=2, mem_per_cycle=limit) == pytest.approx(limit)


def test_the_u74_load_use_and_pairing_figures():
    """u74 core rules (2-cycle L1D, late ALU after 2) on (load, ALU use of it) pairs.
    Late ALU: the use issues the cycle after its load (the load's data time is decided
    once it is in MEM), together with the next load: 2 per cycle, except that the issue
    pairs (use_i, load_i+1) straddle the fetch pairs (load_i, use_i) and there is no fetch
    buffer, so the group break at each 64-byte line (rule S3) costs a cycle: 16
    instructions in 9 cycles. Without the late ALU the use waits for the data (EX + 3),
    holding the next load behind it: each pair takes 3 cycles."""
    u74 = dict(width=2, fetch_stages=2, decode_stages=2, late_alu=True, late_alu_delay=2,
               mem_blocking=False, no_pair="branch+muldiv,branch+fp,muldiv+fp")

    def load_use(n):
        out = []
        for i in range(n):
            if i % 2 == 0:
                out.append(dict(opclass="load", pc=0x10000 + 4 * i, rd=6 + i % 4, rs1=2,
                                mem_addr=0x800000 + 8 * (i % 64), mem_size=8))
            else:
                out.append(dict(opclass="alu", pc=0x10000 + 4 * i, rd=20 + i % 4,
                                rs1=6 + (i - 1) % 4))
        return out
    assert rate(load_use, l1d_latency=2, **u74) == pytest.approx(16 / 9)
    assert rate(load_use, l1d_latency=2, **dict(u74, late_alu=False)) == pytest.approx(2 / 3)
