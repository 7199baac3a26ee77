"""Exact cycle counts of the in-order pipeline, one test per rule of docs/pipeline.md.

Every expectation is computed by hand from the rules; each test shows the stage diagram
(cycle each instruction ENTERS IF ID EX MEM WB; "ID2..4" = occupies ID in cycles 2-4).
Total cycles = WB of the last instruction + 1.
"""
import pytest

from pipeline._testing import FixedLevel, ScriptedLevel, feed
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.inorder import InOrderCore

P = 0x10000


def make(kind="static_nt", l1i=None, l1d=None, btb=(512, 4), ras=8, history_bits=12, **kw):
    core = InOrderCore(l1i or FixedLevel(1), l1d or FixedLevel(1),
                       make_predictor(kind, table_entries=1024, history_bits=history_bits,
                                      chooser_entries=1024),
                       BTB(*btb), RAS(ras), **kw)
    core.enable_trace(0, 10_000, pipeline=True, memory=True)
    return core


def stages(core):
    t = core.pipeline_trace()
    return [tuple(int(x) for x in r) for r in
            zip(t["if_cycle"], t["id_cycle"], t["ex_cycle"], t["mem_cycle"], t["wb_cycle"])]


def stack(core):
    return {k: v for k, v in core.cpi_stack().items() if v}


def alu(rd=0, rs1=0, rs2=0, **kw):
    return dict(opclass="alu", rd=rd, rs1=rs1, rs2=rs2, **kw)


# ---------------------------------------------------------------- rules 1, 2
def test_r1_r2_independent_alu_ops_take_n_plus_4():
    # i:  IF i, ID i+1, EX i+2, MEM i+3, WB i+4   -> 10 instructions: WB 13, 14 cycles
    core = make()
    assert feed(core, [alu(rd=1 + i % 8) for i in range(10)]) == 14
    assert stages(core) == [(i, i + 1, i + 2, i + 3, i + 4) for i in range(10)]
    assert core.stats()["core.cycles"] == 14
    assert stack(core) == {"base": 14}


# ---------------------------------------------------------------- rule 3
def test_r3_alu_to_alu_forwarding_has_no_bubble():
    # add x1   IF0 ID1 EX2 MEM3 WB4
    # add x2,x1    IF1 ID2 EX3 MEM4 WB5   (EX->EX bypass: x1 usable at EX 2+1)
    core = make()
    assert feed(core, [alu(rd=1), alu(rd=2, rs1=1)]) == 6
    assert stack(core) == {"base": 6}


def test_r3_load_use_costs_one_bubble_with_forwarding():
    # ld x1    IF0 ID1 EX2 MEM3 WB4
    # add x2,x1    IF1 ID2..3 EX4 MEM5 WB6   (x1 usable at MEM 3 + 1)
    core = make()
    assert feed(core, [dict(opclass="load", rd=1, rs1=2, mem_addr=0x8000),
                       alu(rd=2, rs1=1)]) == 7
    assert stages(core)[1] == (1, 2, 4, 5, 6)
    assert stack(core) == {"base": 6, "data_hazard": 1}


def test_r3_fma_third_source_is_checked():
    # fmul f1 (lat 4, pipelined)  IF0 ID1 EX2 MEM3 WB4; f1 usable at EX 2+4 = 6
    # fma f2 = f3*f4+f1               IF1 ID2..5 EX6 MEM7 WB8
    core = make(fmul_latency=4)
    assert feed(core, [dict(opclass="fmul", rd=33), dict(opclass="fma", rd=34, rs1=35, rs2=36,
                                                         rs3=33)]) == 9


# ---------------------------------------------------------------- rule 4
def test_r4_branch_resolved_in_id_waits_one_more_cycle_for_operands():
    # add x1   IF0 ID1 EX2 MEM3 WB4          x1 usable at EX 3, in ID at 3 -> EX >= 4
    # beq x1       IF1 ID2..3 EX4 MEM5 WB6   (not taken, predicted not taken)
    core = make(branch_resolve_stage="ID")
    assert feed(core, [alu(rd=1), dict(opclass="branch", rs1=1, target=P + 64)]) == 7
    # same pair with a load producer: usable at EX 4, in ID -> EX >= 5: 2 bubbles
    core = make(branch_resolve_stage="ID")
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000),
                       dict(opclass="branch", rs1=1, target=P + 64)]) == 8
    # with EX resolution the ALU->branch pair has no bubble
    core = make(branch_resolve_stage="EX")
    assert feed(core, [alu(rd=1), dict(opclass="branch", rs1=1, target=P + 64)]) == 6


# ---------------------------------------------------------------- rule 5
def test_r5_no_forwarding_reads_after_write_back():
    # add x1   IF0 ID1 EX2 MEM3 WB4 (writes x1 in the first half of 4)
    # add x2,x1    IF1 ID2..4 EX5 MEM6 WB7   (reads in the second half of 4)
    core = make(forwarding="none")
    assert feed(core, [alu(rd=1), alu(rd=2, rs1=1)]) == 8
    assert stages(core)[1] == (1, 2, 5, 6, 7)
    assert stack(core) == {"base": 6, "data_hazard": 2}
    # load then use: the same two bubbles (load WB 4)
    core = make(forwarding="none")
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000), alu(rd=2, rs1=1)]) == 8
    # store data is read in ID too: ld x1; sd x1 -> EX 5
    core = make(forwarding="none")
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000),
                       dict(opclass="store", rs1=2, rs2=1, mem_addr=0x8008)]) == 8


# ---------------------------------------------------------------- rule 6
def test_r6_waw_behind_a_late_write():
    # mul x1 (lat 3, pipelined)  IF0 ID1 EX2 MEM3 WB4, x1 value at 5 > WB: late write
    # add x1 (lat 1)                 IF1 ID2..4 EX5 MEM6 WB7   (EX >= 5 - 1 + 1)
    core = make(mul_latency=3)
    assert feed(core, [dict(opclass="mul", rd=1), alu(rd=1)]) == 8
    assert stack(core) == {"base": 6, "data_hazard": 2}
    # a blocking load followed by a write of the same register is no hazard
    core = make()
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000), alu(rd=1)]) == 6


# ---------------------------------------------------------------- rule 7
def test_r7_store_data_bypassed_into_mem():
    # ld x1    IF0 ID1 EX2 MEM3 WB4    x1 usable at 4
    # sd x1,(x2)   IF1 ID2 EX3 MEM4 WB5   (data needed at MEM entry 4: no bubble)
    core = make()
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000),
                       dict(opclass="store", rs1=2, rs2=1, mem_addr=0x8008)]) == 6
    # but a load result used as the store ADDRESS costs the load-use bubble
    core = make()
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000),
                       dict(opclass="store", rs1=1, rs2=2, mem_addr=0x8008)]) == 7


# ---------------------------------------------------------------- rule 8
def test_r8_iterative_divider_blocks_the_next_divide():
    # div x1   IF0 ID1 EX2..21 MEM22 WB23          (holds EX for 20 cycles)
    # div x2       IF1 ID2..21 EX22..41 MEM42 WB43
    core = make(div_latency=20, div_pipelined=False)
    assert feed(core, [dict(opclass="div", rd=1), dict(opclass="div", rd=2)]) == 44
    assert stages(core) == [(0, 1, 2, 22, 23), (1, 2, 22, 42, 43)]
    assert stack(core) == {"base": 6, "structural": 38}


def test_r8_pipelined_divider_overlaps_and_consumers_wait():
    # div x1 IF0 ID1 EX2 MEM3 WB4 (value at 22); div x2 IF1 ID2 EX3 MEM4 WB5
    # add x3,x1    IF2 ID3..21 EX22 MEM23 WB24
    core = make(div_latency=20, div_pipelined=True)
    assert feed(core, [dict(opclass="div", rd=1), dict(opclass="div", rd=2),
                       alu(rd=3, rs1=1)]) == 25
    assert stack(core) == {"base": 7, "data_hazard": 18}


@pytest.mark.parametrize("pipelined, cycles", [(True, 7), (False, 13)])
def test_r8_mul_pipelined_or_not(pipelined, cycles):
    # pipelined, 3 independent muls: IF i ID i+1 EX i+2 MEM i+3 WB i+4 -> 7 cycles
    # not pipelined (lat 3):
    #   mul1 IF0 ID1 EX2..4 MEM5 WB6
    #   mul2 IF1 ID2..4 EX5..7 MEM8 WB9
    #   mul3 IF2 ID3..7 EX8..10 MEM11 WB12  -> 13 cycles, structural 2+2+2
    core = make(mul_latency=3, long_ops_pipelined=pipelined)
    assert feed(core, [dict(opclass="mul", rd=1 + i) for i in range(3)]) == cycles
    assert stack(core) == ({"base": 7} if pipelined else {"base": 7, "structural": 6})


def test_r8_dependent_mul_waits_for_latency():
    # mul x1 (lat 3) IF0 ID1 EX2 MEM3 WB4; add x2,x1  IF1 ID2..4 EX5 MEM6 WB7
    core = make(mul_latency=3)
    assert feed(core, [dict(opclass="mul", rd=1), alu(rd=2, rs1=1)]) == 8
    assert stack(core) == {"base": 6, "data_hazard": 2}


# ---------------------------------------------------------------- rule 9
def test_r9_store_buffer_full_stalls_mem():
    # L1D latency 10 (level 2), 2 entries; drain = start..start+10
    # st0 IF0 ID1 EX2 MEM3 WB4          drain 3..13
    # st1 IF1 ID2 EX3 MEM4 WB5          drain 13..23
    # st2 IF2 ID3 EX4..12 MEM13 WB14    (entry of st0 frees at 13) drain 23..33
    # st3 IF3 ID4..12 EX13..22 MEM23 WB24 (entry of st1 frees at 23)
    core = make(l1d=FixedLevel(10, 2), store_buffer_entries=2)
    sts = [dict(opclass="store", rs1=2, rs2=3, mem_addr=0x8000 + 64 * i) for i in range(4)]
    assert feed(core, sts) == 25
    assert stages(core)[2:] == [(2, 3, 4, 13, 14), (3, 4, 13, 23, 24)]
    assert stack(core) == {"base": 8, "structural": 17}
    drains = [(int(m["cycle"]), int(m["latency"])) for m in core.memory_trace()
              if m["kind"] == 2]
    assert drains == [(3, 10), (13, 10), (23, 10), (33, 10)]


def test_r9_no_store_buffer_waits_for_the_cache():
    # each store holds MEM for 10 cycles: WB 13, 23, 33, 43 -> 44 cycles
    core = make(l1d=FixedLevel(10, 2), store_buffer_entries=0)
    sts = [dict(opclass="store", rs1=2, rs2=3, mem_addr=0x8000 + 64 * i) for i in range(4)]
    assert feed(core, sts) == 44
    assert stack(core) == {"base": 8, "dcache_l2": 36}


# ---------------------------------------------------------------- rule 10
def test_r10_amo_drains_the_store_buffer_first():
    # st  IF0 ID1 EX2 MEM3 WB4, drains 3..13 (latency 10)
    # amo     IF1 ID2 EX3..12 MEM13..22 WB23   (waits for the drain, then 10 cycles in MEM)
    core = make(l1d=FixedLevel(10, 2), store_buffer_entries=4)
    assert feed(core, [dict(opclass="store", rs1=2, rs2=3, mem_addr=0x8000),
                       dict(opclass="amo", rd=4, rs1=5, rs2=6, mem_addr=0x9000)]) == 24
    assert stages(core)[1] == (1, 2, 3, 13, 23)
    assert stack(core) == {"base": 6, "dcache_l2": 18}


# ---------------------------------------------------------------- rule 11
@pytest.mark.parametrize("stage, penalty", [("ID", 1), ("EX", 2), ("MEM", 3)])
def test_r11_mispredict_penalty_per_resolve_stage(stage, penalty):
    # static_nt, taken branch: next instruction fetched the cycle after the branch's
    # last cycle in the resolve stage.  EX case:
    # beq  IF0 ID1 EX2 MEM3 WB4
    # add            IF3 ID4 EX5 MEM6 WB7     (ID: IF2, MEM: IF4)
    core = make(branch_resolve_stage=stage)
    cycles = feed(core, [dict(opclass="branch", rs1=1, rs2=2, taken=True, target=P + 0x100),
                         alu(rd=3)])
    assert cycles == 6 + penalty
    assert stages(core)[1][0] == 1 + penalty
    assert stack(core) == {"base": 6, "branch_mispredict": penalty}
    assert core.stats()["bpred.mispredicts"] == 1
    assert core.pipeline_trace()["mispredicted"].tolist() == [1, 0]


def loop(outcomes):
    """alu at P; beq at P+4 back to P (taken) or falling through; then an alu at P+8
    (so the last branch's penalty shows)."""
    insts = []
    for taken in outcomes:
        insts += [alu(rd=1, pc=P), dict(opclass="branch", pc=P + 4, rs1=2, taken=taken,
                                        target=P)]
    return insts + [alu(rd=3, pc=P + 8)]


@pytest.mark.parametrize("kind, extra, misses, redirects", [
    # static_nt: every taken iteration mispredicts
    ("static_nt", {}, [1, 1, 1, 1, 0], 0),
    # btfn: backward -> taken. 1st: BTB miss -> decode redirect; exit: mispredict
    ("btfn", {}, [0, 0, 0, 0, 1], 1),
    # bimodal counter 1 ->(T) 2 ->(T) 3 ->3 ->3 ->(N): predictions N T T T T
    ("bimodal", {}, [1, 0, 0, 0, 1], 0),
    # gshare, 2 history bits: index p^h with h = 0, 1, 3, 3, 3; counters start at 1:
    # N(miss) N(miss) N(miss) then p^3 was trained to 2 -> T ok, then 3 -> T vs N: miss
    ("gshare", {"history_bits": 2}, [1, 1, 1, 0, 1], 0),
    # tage (defaults; docs/branch-predictors.md), beq at p = pc >> 1 = 0x8002: tags are
    # p ^ fold ^ fold << 1 = 2, 1, 7, 11, 19 (folds 0, 1, 3, 7, 15 of the all-taken
    # history); the only allocation (iteration 1, tag 2 at index 0x22) is never looked up
    # again (indexes 0x23, 0x21, 0x25, 0x2d), so the base counter answers: N T T T T
    ("tage", {}, [1, 0, 0, 0, 1], 0),
])
def test_r11_predictor_warm_up_on_a_loop(kind, extra, misses, redirects):
    # cycles = 11 instructions + 4 fill + 2 per mispredict (EX) + 1 per decode redirect
    core = make(kind, **extra)
    cycles = feed(core, loop([True, True, True, True, False]))
    got = core.pipeline_trace()["mispredicted"].tolist()[1:-1:2]
    assert got == misses
    assert core.stats()["bpred.decode_redirects"] == redirects
    assert cycles == 15 + 2 * sum(misses) + redirects
    assert sum(core.cpi_stack().values()) == cycles


def test_r11_tournament_learns_to_trust_gshare_on_alternation():
    # Outcomes T N T N T N, history_bits 1, chooser starts at 1 (bimodal).
    # 1 T: bim 1 N, gsh[p^0] 1 N, agree -> miss. bim 2, g0 2, h=1
    # 2 N: bim 2 T, gsh[p^1] 1 N, disagree, use bim -> miss; gshare right: chooser 2.
    #      bim 1, g1 0, h=0
    # 3 T: chooser 2 -> gshare g0 = 2 -> T ok. bim 1 N (wrong): chooser 3. bim 2, g0 3
    # 4 N: gshare g1 = 0 -> N ok ... and so on: misses 1 1 0 0 0 0
    core = make("tournament", history_bits=1)
    feed(core, loop([True, False] * 3))
    assert core.pipeline_trace()["mispredicted"].tolist()[1:-1:2] == [1, 1, 0, 0, 0, 0]
    # bimodal alone never gets alternation right after warm-up (counter 1 <-> 2)
    core = make("bimodal")
    feed(core, loop([True, False] * 3))
    assert core.pipeline_trace()["mispredicted"].tolist()[1:-1:2] == [1, 1, 1, 1, 1, 1]


def test_r11_taken_prediction_without_btb_hit_redirects_in_decode():
    # bimodal trained taken for pc A (via train) but the BTB is empty:
    # beq  IF0 ID1 EX2 MEM3 WB4  -> next IF at E(EX) = 2
    # add        IF2 ID3 EX4 MEM5 WB6
    core = make("bimodal")
    core_pred = make_predictor("bimodal", table_entries=1024)
    pred = core_pred
    pred.train(P, True)  # counter 2: predict taken
    core = InOrderCore(FixedLevel(1), FixedLevel(1), pred, BTB(512, 4), RAS(8))
    core.enable_trace(0, 10)
    assert feed(core, [dict(opclass="branch", taken=True, target=P + 0x100), alu(rd=1)]) == 7
    assert core.stats()["bpred.decode_redirects"] == 1
    assert core.stats()["bpred.mispredicts"] == 0


def test_r11_ras_predicts_the_return():
    # jal ra,f  IF0 ID1 EX2 MEM3 WB4   BTB miss: target from ID -> next IF at 2
    # f: add        IF2 ID3 EX4 MEM5 WB6
    # ret              IF3 ID4 EX5 MEM6 WB7   RAS hit: no bubble
    # add (P+4)           IF4 ID5 EX6 MEM7 WB8   -> 9 cycles
    prog = [dict(opclass="jal", pc=P, rd=1, next_pc=P + 0x100),
            alu(rd=5, pc=P + 0x100),
            dict(opclass="jalr", pc=P + 0x104, rs1=1, next_pc=P + 4),
            alu(rd=6, pc=P + 4)]
    core = make(ras=8)
    assert feed(core, prog) == 9
    s = core.stats()
    assert (s["bpred.ras_hits"], s["bpred.ras_mispredicts"], s["bpred.jumps"]) == (1, 0, 2)
    assert stack(core) == {"base": 8, "branch_mispredict": 1}
    # no RAS: the return goes to the BTB, misses, and resolves in EX: next IF at E(MEM)=6
    core = make(ras=0)
    assert feed(core, prog) == 11
    assert core.stats()["bpred.jump_mispredicts"] == 1


def test_r11_jal_with_btb_hit_has_no_bubble():
    prog = [dict(opclass="jal", pc=P, next_pc=P + 0x100), alu(rd=5, pc=P + 0x100)]
    core = make()
    assert feed(core, prog) == 7       # first time: BTB miss, 1 bubble
    core2 = make()
    feed(core2, prog * 2)              # second jal hits the BTB
    assert core2.stats()["bpred.btb_hits"] == 1
    assert core2.stats()["bpred.decode_redirects"] == 1
    assert core2.stats()["core.cycles"] == 4 + 4 + 1


# ---------------------------------------------------------------- rule 12
def test_r12_icache_miss_stalls_fetch():
    # line P misses once, latency 10 from L2:
    # add0 IF0..9 ID10 EX11 MEM12 WB13
    # add1        IF10 ID11 EX12 MEM13 WB14   (same line: no access)
    l1i = ScriptedLevel(1, 1)
    l1i.set(P, 10, 2, times=1)
    core = make(l1i=l1i)
    assert feed(core, [alu(rd=1), alu(rd=2)]) == 15
    assert stack(core) == {"base": 6, "icache_l2": 9}
    assert [a[0] for a in l1i.log()] == [P]
    assert core.pipeline_trace()["fetch_served_by"].tolist() == [2, 0]


def test_r12_one_access_per_new_line_and_straddling():
    # 16 4-byte instructions fill line P; the 17th starts line P+64: 2 accesses.
    l1i = ScriptedLevel(1, 1)
    core = make(l1i=l1i)
    feed(core, [alu(rd=1)] * 17)
    assert [a[0] for a in l1i.log()] == [P, P + 64]
    # a 4-byte instruction at P+62 straddles into P+64: both lines, issued at its IF
    l1i = ScriptedLevel(1, 1)
    l1i.set(P + 64, 5, 3, times=1)
    core = make(l1i=l1i)
    # add@P+62: IF0..4 ID5 EX6 MEM7 WB8 -> 9 cycles, icache_l3 4
    assert feed(core, [alu(rd=1, pc=P + 62)]) == 9
    assert [a[0] for a in l1i.log()] == [P, P + 64]
    assert stack(core) == {"base": 5, "icache_l3": 4}


def test_r12_non_blocking_fetch_is_idealised():
    l1i = ScriptedLevel(1, 1)
    l1i.set(P, 10, 2, times=1)
    core = make(l1i=l1i, fetch_blocking=False)
    assert feed(core, [alu(rd=1), alu(rd=2)]) == 6


# ---------------------------------------------------------------- rule 13
def test_r13_dcache_miss_blocks_mem():
    # ld x1 (latency 10, L2)  IF0 ID1 EX2 MEM3..12 WB13
    # add x2 (independent)        IF1 ID2 EX3..12 MEM13 WB14
    l1d = ScriptedLevel(1, 1)
    l1d.set(0x8000, 10, 2)
    core = make(l1d=l1d)
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000), alu(rd=2)]) == 15
    assert stages(core) == [(0, 1, 2, 3, 13), (1, 2, 3, 13, 14)]
    assert stack(core) == {"base": 6, "dcache_l2": 9}
    assert core.pipeline_trace()["served_by"].tolist() == [2, 0]


def test_r13_non_blocking_load_only_consumers_wait():
    # ld x1 (lat 10, DRAM)  IF0 ID1 EX2 MEM3 WB4, data usable at 13
    # add x2                    IF1 ID2 EX3 MEM4 WB5
    # add x3,x1                     IF2 ID3..12 EX13 MEM14 WB15
    l1d = ScriptedLevel(1, 1)
    l1d.set(0x8000, 10, 4)
    core = make(l1d=l1d, mem_blocking=False)
    assert feed(core, [dict(opclass="load", rd=1, mem_addr=0x8000), alu(rd=2),
                       alu(rd=3, rs1=1)]) == 16
    assert stack(core) == {"base": 7, "dcache_mem": 9}


# ---------------------------------------------------------------- rule 14 / stats
def test_r14_reset_stats_counts_from_the_last_commit():
    core = make()
    feed(core, [alu(rd=1)] * 5)            # WB 4..8
    core.reset_stats()
    feed(core, [dict(opclass="div", rd=2, seq=5)] + [alu(rd=3, seq=6)], )
    # div  IF5 ID6 EX7..26 MEM27 WB28; add IF6 ID7..26 EX27 MEM28 WB29
    s = core.stats()
    assert s["core.cycles"] == 29 - 8
    assert s["core.instructions"] == 2
    assert sum(core.cpi_stack().values()) == 21
    assert core.cpi_stack()["structural"] == 19


def test_r11_btfn_decodes_targets_from_real_encodings():
    # Encodings from riscv64-linux-gnu-as/objdump (-march=rv64gc), label back = 0x10:
    #   18: dc65      c.beqz s0,10      (backward)
    #   1a: feb50be3  beq a0,a1,10      (backward)
    #   1e: e481      c.bnez s1,26      (forward)
    #   20: 00b51363  bne a0,a1,26      (forward)
    code = [(0x18, 0xDC65, 2), (0x1A, 0xFEB50BE3, 4), (0x1E, 0xE481, 2), (0x20, 0x00B51363, 4)]
    # all NOT taken: the target comes only from the encoding. btfn predicts the two
    # backward ones taken -> mispredicted; the forward ones not taken -> correct.
    core = make("btfn")
    feed(core, [dict(opclass="branch", pc=P + pc, raw=raw, length=n, next_pc=P + pc + n)
                for pc, raw, n in code])
    assert core.pipeline_trace()["mispredicted"].tolist() == [1, 1, 0, 0]
