"""The out-of-order core agrees with the cycle-by-cycle reference (tests/pipeline/
ooo_reference.py) on every instruction's fetch, dispatch, issue, done and commit cycles,
on seeded random streams for several widths and window sizes (rules O1-O19 of
docs/pipeline-ooo.md), and on the first 20,000 instructions of a real workload."""
import random

import numpy as np
import pytest

from pipeline._testing import FixedLevel, feed
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.models.ooo import OooParams
from pipeline.ooo import OutOfOrderCore

from ooo_reference import (ALU, AMO, BLOCK, BRANCH, CBO, CLMUL, DIV, FADD, FDIV, FMA, JAL, JALR,
                           LOAD, MUL, NOP, POPCOUNT, STORE, SYSTEM, predict, simulate)

CODE = 0x10000
DATA = 0x80000
INT_REGS = [2, 3, 4, 6, 7, 8]        # no ra/t0 (x1, x5): no RAS returns in these streams
FP_REGS = [33, 34, 35, 36]

CONFIGS = {
    # tiny windows: ROB, issue queue, LQ/SQ and rename registers fill all the time
    "tiny": dict(fetch_width=2, fetch_buffer_entries=3, frontend_depth=1, decode_width=2,
                 rob_entries=6, int_phys_regs=36, fp_phys_regs=34, int_iq_entries=2,
                 mem_iq_entries=2, fp_iq_entries=1, int_ports="alu+branch+mul+div",
                 mem_ports="load+store", fp_ports="fpu+fdiv", lq_entries=2, sq_entries=2,
                 commit_width=1, redirect_penalty=2, store_forward_latency=2, div_latency=6,
                 fdiv_latency=7),
    # BOOM-like medium (the defaults) with a slow L1D
    "medium": dict(),
    # wide: port conflicts between 4 ALUs, 2 load ports, pipelined dividers on 2 ports
    "wide": dict(fetch_width=8, fetch_buffer_entries=24, frontend_depth=2, decode_width=4,
                 rob_entries=48, int_phys_regs=96, fp_phys_regs=64, int_iq_entries=16,
                 mem_iq_entries=8, fp_iq_entries=8,
                 int_ports="alu+branch+div, alu+mul+div, alu, alu",
                 mem_ports="load, load+store, store", fp_ports="fpu, fpu+fdiv",
                 lq_entries=12, sq_entries=8, commit_width=4, redirect_penalty=5,
                 store_forward_latency=3, div_pipelined=True, div_latency=5),
    # two iterative dividers: in-order service across two ports
    "dividers": dict(fetch_width=4, decode_width=4, commit_width=4, rob_entries=32,
                     int_ports="alu+div, alu+div, branch+mul", div_latency=9,
                     fdiv_latency=11, fp_ports="fdiv, fpu+fdiv"),
}
DCACHE = {"tiny": 3, "medium": 12, "wide": 4, "dividers": 2}
ICACHE = {"tiny": 1, "medium": 3, "wide": 1, "dividers": 2}    # latency; hit is 1


# O21: cbo.inval/clean/flush/zero (MISC-MEM, funct3 2, funct12 0/1/2/4) and
# prefetch.i/r/w (ORI rd=x0, imm[4:0] = 0/1/3), base register in rs1 (bits 19:15).
CBO_RAW = [(f << 20) | (2 << 12) | 0x0F for f in (0, 1, 2, 4)] \
    + [(k << 20) | (6 << 12) | 0x13 for k in (0, 1, 3)]


def random_stream(rng, n, rva22=False):
    """Random instructions with random dependences, op classes, overlapping loads and
    stores of 1-8 bytes, and branches/jumps to random targets in a small code region;
    rva22: also cpop, clmul, cache-block operations and prefetch hints."""
    weights = [(ALU, 30), (MUL, 5), (DIV, 2), (LOAD, 18), (STORE, 12), (BRANCH, 10),
               (JAL, 3), (JALR, 2), (FADD, 4), (FMA, 3), (FDIV, 1), (SYSTEM, 1), (NOP, 2),
               (AMO, 1)]
    if rva22:
        weights += [(POPCOUNT, 4), (CLMUL, 4), (CBO, 8)]
    kinds = [k for k, w in weights for _ in range(w)]
    pc = CODE
    out = []
    for _ in range(n):
        oc = rng.choice(kinds)
        d = dict(oc=oc, pc=pc, length=4)
        if oc == CBO:
            raw = rng.choice(CBO_RAW)
            d["rs1"] = rng.choice(INT_REGS)
            d["raw"] = raw | (d["rs1"] << 15)
            d["mem_addr"] = DATA + rng.randrange(0, 48)
            d["taken"], d["next_pc"] = False, pc + 4
            out.append(d)
            pc += 4
            if pc >= CODE + 4 * 256:
                pc = CODE
            continue
        fp = oc in (FADD, FMA, FDIV)
        regs = FP_REGS if fp else INT_REGS
        if oc not in (STORE, BRANCH, SYSTEM, NOP) and not (oc == JALR and rng.random() < .5):
            d["rd"] = rng.choice(regs)
        if oc not in (JAL, SYSTEM, NOP):
            d["rs1"] = rng.choice(regs)
        if oc in (STORE, BRANCH, AMO, FADD, FMA, ALU, MUL, DIV, FDIV) and rng.random() < .7:
            d["rs2"] = rng.choice(regs)
        if oc == FMA:
            d["rs3"] = rng.choice(FP_REGS)
        if oc in (LOAD, STORE, AMO):
            size = 8 if oc == AMO else rng.choice([1, 2, 4, 8, 8])
            d["mem_size"] = size
            d["mem_addr"] = DATA + rng.randrange(0, 48, size)
        taken = oc in (JAL, JALR) or (oc == BRANCH and rng.random() < .4)
        next_pc = CODE + 4 * rng.randrange(256) if taken else pc + 4
        if next_pc >= CODE + 4 * 256:
            next_pc = CODE
        d["taken"] = taken
        d["next_pc"] = next_pc
        out.append(d)
        pc = next_pc
    return out


NAMES = {ALU: "alu", MUL: "mul", DIV: "div", LOAD: "load", STORE: "store", BRANCH: "branch",
         JAL: "jal", JALR: "jalr", FADD: "fadd", FMA: "fma", FDIV: "fdiv", SYSTEM: "system",
         NOP: "nop", AMO: "amo", POPCOUNT: "popcount", CLMUL: "clmul", CBO: "cbo"}


def run_fast(stream, params, dlat, ilat):
    core = OutOfOrderCore(FixedLevel(ilat), FixedLevel(dlat), make_predictor("static_nt"),
                          BTB(4096, 4), RAS(8), params, l1i_hit_latency=1)
    core.enable_trace(0, len(stream))
    feed(core, [dict(pc=d["pc"], opclass=NAMES[d["oc"]], rd=d.get("rd", 0),
                     rs1=d.get("rs1", 0), rs2=d.get("rs2", 0), rs3=d.get("rs3", 0),
                     mem_addr=d.get("mem_addr", 0), mem_size=d.get("mem_size", 0),
                     taken=d["taken"], next_pc=d["next_pc"], raw=d.get("raw"),
                     target=d["next_pc"] if d["oc"] == BRANCH and d["taken"] else
                     (d["pc"] + 64 if d["oc"] == BRANCH else None))
                for d in stream])
    return core


def compare(fast_records, ref_insts):
    got = np.stack([fast_records[c] for c in ("fetch", "dispatch", "issue", "done", "commit")],
                   axis=1)
    want = np.array([(i.F, i.D, i.I, i.X, i.C) for i in ref_insts])
    bad = np.nonzero((got != want).any(axis=1))[0]
    if len(bad):
        k = bad[0]
        lo = max(0, k - 4)
        rows = "\n".join(f"  {j}: opclass {int(fast_records['opclass'][j])} fast "
                         f"{tuple(got[j])} ref {tuple(want[j])}" for j in range(lo, k + 1))
        pytest.fail(f"{len(bad)} instructions differ, first #{k}:\n{rows}")


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(6))
def test_random_streams_agree_with_reference(name, seed):
    rng = random.Random(seed * 1000 + len(name))
    stream = random_stream(rng, 700)
    for d, kind in zip(stream, predict(stream)):
        d["redirect"] = kind
    p = OooParams().updated(CONFIGS[name])
    core = run_fast(stream, p, DCACHE[name], ICACHE[name])
    rec = core.ooo_trace()
    assert len(rec) == len(stream)
    assert list(rec["redirect"]) == [d["redirect"] for d in stream]    # O3/O5 as predicted
    ref = simulate(stream, p, dcache=lambda i: DCACHE[name],
                   icache_stall=lambda i: ICACHE[name] - 1)
    compare(rec, ref)
    assert [bool(x) for x in rec["forwarded"]] == [i.forwarded for i in ref]
    s = core.stats()
    assert sum(core.cpi_stack().values()) == s["core.cycles"] == int(rec["commit"][-1]) + 1
    assert sum(core.slot_counts().values()) == s["core.cycles"] * p.commit_width


def test_random_streams_cover_every_mechanism():
    """The streams above really exercise what they are meant to check."""
    totals = {}
    for name in CONFIGS:
        for seed in range(6):
            rng = random.Random(seed * 1000 + len(name))
            stream = random_stream(rng, 700)
            for d, kind in zip(stream, predict(stream)):
                d["redirect"] = kind
            core = run_fast(stream, OooParams().updated(CONFIGS[name]), DCACHE[name],
                            ICACHE[name])
            for k, v in core.stats().items():
                if isinstance(v, (int, np.integer)):
                    totals[k] = totals.get(k, 0) + int(v)
            rec = core.ooo_trace()
            # port conflicts: an instruction issued later than its operands allowed
            totals["port_waits"] = totals.get("port_waits", 0) + int(
                (rec["cause"] == 12).sum())
            # O13: a store's data half later than its address half
            st = rec["opclass"] == STORE
            totals["late_std"] = totals.get("late_std", 0) + int(
                (rec["done"][st] > rec["issue"][st] + 1).sum())
            # O18: a forwarding load waiting for its store's data
            fw = rec["forwarded"] == 1
            totals["late_forward"] = totals.get("late_forward", 0) + int(
                (rec["done"][fw] > rec["issue"][fw] + CONFIGS[name].get(
                    "store_forward_latency", 4)).sum())
    for key in ("core.rob_full_cycles", "core.iq_full_cycles", "core.lq_full_cycles",
                "core.sq_full_cycles", "core.regs_full_cycles", "core.fetch_buffer_full_cycles",
                "core.serialise_cycles", "core.loads_forwarded", "core.load_replays",
                "bpred.mispredicts", "bpred.decode_redirects", "port_waits", "late_std",
                "late_forward"):
        assert totals[key] > 0, key


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", range(3))
def test_rva22_streams_agree_with_reference(name, seed):
    """Streams with cpop/clmul (O17 on the multiplier's ports), cbo.* (O21: stores of their
    block, cbo.zero forwarding its zeros) and prefetch.* (O21: load hints) as well."""
    rng = random.Random(seed * 7919 + len(name))
    stream = random_stream(rng, 700, rva22=True)
    for d, kind in zip(stream, predict(stream)):
        d["redirect"] = kind
    p = OooParams().updated(CONFIGS[name]).updated({"popcount_latency": 2 + seed,
                                                    "clmul_latency": 5})
    core = run_fast(stream, p, DCACHE[name], ICACHE[name])
    rec = core.ooo_trace()
    ref = simulate(stream, p, dcache=lambda i: DCACHE[name],
                   icache_stall=lambda i: ICACHE[name] - 1)
    compare(rec, ref)
    assert [bool(x) for x in rec["forwarded"]] == [i.forwarded for i in ref]
    s = core.stats()
    assert s["core.op.popcount"] > 0 and s["core.op.clmul"] > 0 and s["core.op.cbo"] > 0
    assert s["core.cache_block_ops"] + s["core.prefetch_hints"] == s["core.op.cbo"]
    assert s["core.prefetch_hints"] > 0 and s["core.cache_block_ops"] > 0
    # some load really forwarded from a cbo.zero
    zero = {i.k for i in ref if i.oc == BLOCK and i.size}
    assert any(i.fwd_from is not None and i.fwd_from.k in zero for i in ref)
