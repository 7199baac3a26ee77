"""Commit-slot CPI stacks of the wide cores (rule S9 of docs/pipeline.md, O20/O20a of
docs/pipeline-ooo.md): hand-derived exact slot counts on small sequences, and the two
fixes of the out-of-order stack (page walks in the TLB parts; a load held by the
memory-dependence rule that then hits in L1 charged to that rule).

A wide core has `width` commit slots per cycle; each is retiring (an instruction
committed in it) or empty, and the empty slots before an instruction's commit (the rest
of the previous commit cycle and every slot of the cycles between) go to one part.
The slot counts sum to width x cycles; cpi_stack() divides by the width (largest
remainder) so that it sums to the cycles.
"""
import pytest

from pipeline._testing import FixedLevel, ScriptedLevel, feed
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.superscalar import SuperscalarCore
from pipeline.trace import SLOT_PART_NAMES

P = 0x10000


def wide(l1d=None, width=2, **kw):
    return SuperscalarCore(FixedLevel(1), l1d if l1d is not None else FixedLevel(1),
                           make_predictor("static_nt"), BTB(512, 4), RAS(8), width=width, **kw)


def nonzero(d):
    return {k: v for k, v in d.items() if v}


def check_sums(core, width):
    s = core.stats()
    assert sum(core.slot_counts().values()) == width * s["core.cycles"]
    assert sum(core.cpi_stack().values()) == s["core.cycles"]
    assert core.slot_counts()["retiring"] == s["core.instructions"]


# ------------------------------------------------------------ superscalar in-order (S9)

def test_independent_pairs_lose_only_the_fill():
    # width 2, F1 D1 EX MEM WB. Eight independent ALU ops in one fetch line: pair k
    # (instructions 2k, 2k+1) is F1 at k and WB at 4 + k, so the run is cycles 0..7.
    # 16 slots: 8 retiring, and the 4 fill cycles before the first commit (2 slots each)
    # are the front end's.
    core = wide()
    core.enable_trace(0, 8)
    feed(core, [dict(pc=P + 4 * i, rd=1 + i) for i in range(8)])
    assert core.pipeline_trace()["wb_cycle"].tolist() == [4, 4, 5, 5, 6, 6, 7, 7]
    assert nonzero(core.slot_counts()) == {"retiring": 8, "frontend_bandwidth": 8}
    assert nonzero(core.cpi_stack()) == {"retiring": 4, "frontend_bandwidth": 4}
    check_sums(core, 2)


def test_dependent_chain_loses_one_slot_a_cycle_to_the_dependence():
    # add x5, x5, ... six times. i0: F1 0 D1 1 EX 2 WB 4; x5 is forwarded at 3, so i1
    # (fetched with i0) enters EX at 3 (R3, cause data) and commits at 5, alone: the
    # second slot of cycle 4 is empty, charged to i1's dependence. Each next one is one
    # cycle later: WB 4, 5, 6, 7, 8, 9 (10 cycles, 20 slots). Empty: the fill (8), one
    # slot in each of cycles 4..8 (5, dependence) and the rest of cycle 9 (1, the last
    # part: dependence).
    core = wide()
    core.enable_trace(0, 6)
    feed(core, [dict(pc=P + 4 * i, rd=5, rs1=5) for i in range(6)])
    tr = core.pipeline_trace()
    assert tr["wb_cycle"].tolist() == [4, 5, 6, 7, 8, 9]
    assert nonzero(core.slot_counts()) == {"retiring": 6, "frontend_bandwidth": 8,
                                           "backend_core_dependence": 6}
    # the records name the part of the empty slots before them (none before i0)
    assert [SLOT_PART_NAMES[p] if p != 255 else None for p in tr["slot_part"]] == \
        [None] + ["backend_core_dependence"] * 5
    check_sums(core, 2)


def test_load_miss_and_its_consumer():
    # ld x5 (its line served by L2 in 10 cycles) then add x6, x5, fetched together.
    # ld: EX 2, MEM 3, held there until the data (R13, blocking MEM): WB 13. Empty before
    # it: cycles 4..12 = 9 x 2 = 18 slots, backend memory L2. add: x5 ready at 13 (the
    # miss already held MEM, so its wait is a data dependence, R14), EX 13, MEM 14, WB 15:
    # the second slot of cycle 13 and both of 14 (3) plus the rest of cycle 15 (1) are
    # the dependence's. 16 cycles = 32 slots = 2 + 8 fill + 18 + 4.
    l1d = ScriptedLevel(1, 1)
    l1d.set(0x800000, 10, 2)
    core = wide(l1d)
    core.enable_trace(0, 2)
    feed(core, [dict(pc=P, opclass="load", rd=5, rs1=10, mem_addr=0x800000),
                dict(pc=P + 4, rd=6, rs1=5)])
    assert core.pipeline_trace()["wb_cycle"].tolist() == [13, 15]
    assert nonzero(core.slot_counts()) == {"retiring": 2, "frontend_bandwidth": 8,
                                           "backend_memory_l2": 18,
                                           "backend_core_dependence": 4}
    assert nonzero(core.cpi_stack()) == {"retiring": 1, "frontend_bandwidth": 4,
                                         "backend_memory_l2": 9, "backend_core_dependence": 2}
    check_sums(core, 2)


def test_mispredicted_branch_is_bad_speculation():
    # beq taken, predicted not taken (static_nt), resolved in EX (R11): the target is
    # fetched at the branch's MEM entry, 3, and commits at 7. Branch WB 4. Empty: the rest
    # of cycle 4 (1) and cycles 5, 6 (4) before the target, the rest of cycle 7 (1): all
    # bad speculation, 6 slots; 8 cycles = 16 slots.
    core = wide()
    feed(core, [dict(pc=P, opclass="branch", taken=True, target=P + 0x100),
                dict(pc=P + 0x100, rd=1)])
    assert core.cycle == 8
    assert nonzero(core.slot_counts()) == {"retiring": 2, "frontend_bandwidth": 8,
                                           "bad_speculation": 6}
    check_sums(core, 2)


def test_pairing_limit_is_a_unit_stall():
    # two loads, one memory op per cycle (mem_per_cycle = 1, S5): the second enters EX a
    # cycle after the first (structural) and commits alone at 5: the second slot of
    # cycle 4 and the rest of cycle 5 go to the units part.
    core = wide()
    feed(core, [dict(pc=P, opclass="load", rd=5, rs1=10, mem_addr=0x800000),
                dict(pc=P + 4, opclass="load", rd=6, rs1=10, mem_addr=0x800040)])
    assert core.cycle == 6
    assert nonzero(core.slot_counts()) == {"retiring": 2, "frontend_bandwidth": 8,
                                           "backend_core_units": 2}
    check_sums(core, 2)


def test_reset_stats_keeps_the_slot_sum():
    core = wide(width=3)
    stream = [dict(pc=P + 4 * (i % 16), rd=1 + i % 7, rs1=1 + (i * 3) % 7) for i in range(300)]
    feed(core, stream[:100])
    core.reset_stats()
    feed(core, [dict(d, seq=100 + i) for i, d in enumerate(stream[100:])])
    assert core.stats()["core.instructions"] == 200
    check_sums(core, 3)


def test_stats_name_the_slot_parts():
    core = wide()
    feed(core, [dict(pc=P + 4 * i, rd=5, rs1=5) for i in range(6)])
    s = core.stats()
    assert s["commit_slots.backend_core_dependence"] == 6
    assert s["cpi_stack.backend_core_dependence"] == 3
    assert "cpi_stack.data_hazard" not in s        # R14's parts are the scalar core's


# ------------------------------------------------------------------ out of order (O20)

def ooo(memory_dependence="wait", **kw):
    from pipeline.models.ooo import OooParams
    from pipeline.ooo import OutOfOrderCore

    p = OooParams(fetch_width=4, decode_width=4, commit_width=4, rob_entries=32,
                  memory_dependence=memory_dependence, **kw)
    return OutOfOrderCore(FixedLevel(1), FixedLevel(1), make_predictor("static_nt"),
                          BTB(512, 4), RAS(8), p)


def test_load_held_by_wait_that_hits_l1_is_charged_to_memory_order():
    # div x5 (20 cycles), sd x0 -> 0(x5) (its address waits for the div), ld x6 <- 64(x1)
    # (another address), add x7, x6. With memory_dependence = "wait" the load issues only
    # after every older store has issued (O16): one cycle after the store's address half,
    # so it is done after the store and commits one cycle after it, with empty slots
    # before it. It hit in L1 (every access is a 1-cycle L1 hit here), but the slots were
    # lost to the ordering rule: backend_core_memory_order, never backend_memory_l1.
    stream = [dict(pc=P, opclass="div", rd=5, rs1=1),
              dict(pc=P + 4, opclass="store", rs1=5, rs2=0, mem_addr=0x800000),
              dict(pc=P + 8, opclass="load", rd=6, rs1=1, mem_addr=0x800040),
              dict(pc=P + 12, rd=7, rs1=6)]
    core = ooo("wait")
    core.enable_trace(0, 4)
    feed(core, stream)
    rec = core.ooo_trace()
    assert rec["commit"][2] == rec["commit"][1] + 1          # the load after the store
    assert SLOT_PART_NAMES[rec["cause"][2]] == "backend_core_memory_order"
    slots = core.slot_counts()
    assert slots["backend_memory_l1"] == 0
    assert slots["backend_core_memory_order"] > 0
    assert sum(slots.values()) == 4 * core.stats()["core.cycles"]
    # speculating, the same load is not held: it commits with the store
    spec = ooo("speculate")
    spec.enable_trace(0, 4)
    feed(spec, stream)
    assert spec.slot_counts()["backend_core_memory_order"] == 0


def test_a_plain_l1_hit_load_is_still_backend_memory_l1():
    # ld x6 then a dependent add: the load is held by nothing; its L1 latency is the only
    # thing before it: the load's empty slots are backend_memory_l1 as before.
    core = ooo("wait")
    core.enable_trace(0, 2)
    feed(core, [dict(pc=P, opclass="load", rd=6, rs1=1, mem_addr=0x800040),
                dict(pc=P + 4, rd=7, rs1=6)])
    assert SLOT_PART_NAMES[core.ooo_trace()["cause"][0]] == "backend_memory_l1"


@pytest.mark.parametrize("seed", range(3))
def test_ooo_page_walks_are_in_the_tlb_parts(seed):
    # O20a over real Translators (the streams and TLB geometry of test_tlb_cpi): page
    # walks show up as frontend_itlb / backend_memory_dtlb. Every slot the TLB parts get
    # is one a memory part would have had: the TLB parts plus the memory parts are the
    # same with and without O20a's move, which the two runs' sums check (the timing is
    # the same; only the attribution moves).
    import random
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_tlb_cpi import stream, translators

    from pipeline.models.ooo import OooParams
    from pipeline.ooo import OutOfOrderCore

    rng = random.Random(seed)
    tlb = dict(itlb=2, dtlb=2, l2=0, l2_lat=2, pwc=0)
    insts = stream(rng, 1500)
    (itlb, dtlb), _, _ = translators(tlb)
    p = OooParams(fetch_width=4, decode_width=2, commit_width=2, rob_entries=32)
    core = OutOfOrderCore(itlb, dtlb, make_predictor("bimodal"), BTB(16, 2), RAS(4), p)
    core.enable_trace(0, len(insts))
    feed(core, insts)
    slots = core.slot_counts()
    assert slots["backend_memory_dtlb"] > 0 and slots["frontend_itlb"] > 0
    assert sum(slots.values()) == 2 * core.stats()["core.cycles"]
    # a record named after a TLB part lost all its empty slots to its translation
    causes = {SLOT_PART_NAMES[c] for c in core.ooo_trace()["cause"] if c != 255}
    assert causes & {"backend_memory_dtlb", "frontend_itlb"}
    # the memory-plus-TLB total equals what the same run charges to memory parts when
    # the model is not told about the Translators (no O20a): nothing else moved
    (itlb2, dtlb2), _, _ = translators(tlb)
    plain = OutOfOrderCore(itlb2, dtlb2, make_predictor("bimodal"), BTB(16, 2), RAS(4), p)
    plain.set_tlb_parts(False)
    feed(plain, insts)
    other = plain.slot_counts()
    assert other["backend_memory_dtlb"] == other["frontend_itlb"] == 0
    mem = [k for k in slots if k.startswith(("backend_memory", "frontend_icache"))] + \
        ["frontend_itlb"]
    assert sum(slots[k] for k in mem) == sum(other[k] for k in mem)
    assert {k: v for k, v in slots.items() if k not in mem} == \
        {k: v for k, v in other.items() if k not in mem}
