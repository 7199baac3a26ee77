"""Exact cycle counts for the non-blocking cache rules (docs/caches.md, "Non-blocking
caches"; docs/pipeline.md rule 13), in the style of test_timing_asm.py and on its machine
`BASE`: no L2, fixed memory of 40 cycles, fetch idealised, so an L1D miss requested at
E(MEM) = m has its line at m + 1 + 40 = m + 41. The loads use distinct lines of `buf`
(0x200, 0x300, ... fall in distinct L1D sets) that nothing touched before.
"""
from test_timing_asm import BASE, MISS, asm  # noqa: F401  (asm is the fixture)

LOADS4 = """
  lla s0, buf
m_a: ld t0, 0x200(s0)
m_b: ld t1, 0x300(s0)
m_c: ld t2, 0x400(s0)
m_d: ld t3, 0x500(s0)
m_ua: add a0, t0, t0
m_ub: add a1, t1, t1
m_uc: add a2, t2, t2
m_ud: add a3, t3, t3
"""


def test_store_miss_then_load_of_the_same_line_waits_for_the_fill(asm):
    """Rule 1: sd misses at E(MEM) = m; the store buffer drains it at once (port m, tags
    m + 1, line ready m + 41). The ld of another word of that line enters MEM at m + 1,
    finds the tag but the fill in flight: latency (m + 41) - (m + 1) = 40, an MSHR hit,
    served by the L1 (the tags hit). mem_blocking: MEM held 40 -> WB gap 40 (it was 1
    when the cache installed lines at request time)."""
    r = asm("  lla s0, buf\nm_sd: sd t0, 0x200(s0)\nm_ld: ld t1, 0x208(s0)\n")
    m = r.st("m_sd")[3]
    assert r.st("m_ld")[3] == m + 1
    assert r.st("m_ld")[4] == m + MISS
    assert r.gap("m_sd", "m_ld") == 40
    assert r.col("m_ld", "level") == "l1"
    s = r.result.stats
    assert (s["l1d.mshr_hits"], s["l1d.mshr_allocations"]) == (1, 1)


def test_independent_loads_bounded_by_mshrs_nonblocking(asm):
    """Rules 2, 4 (mem_blocking False): four independent missing loads, then their
    consumers. Load i would enter MEM at m + i.
      4 MSHRs: each takes one; data at m + i + 41; the consumers run 1 apart:
               E(ua, EX) = m + 41 ... E(ud, EX) = m + 44.
      1 MSHR:  b's tags are known at m + 2, the MSHR frees at m + 41: b waits in MEM
               until then (1 + 39 cycles), is accepted, its line is ready at m + 81. c
               enters MEM at m + 41, waits until m + 81, line at m + 121; d enters MEM at
               m + 81, waits until m + 121, line at m + 161; 3 x 39 MSHR-full stall
               cycles. The pipe is in order: ua enters EX when d enters MEM (m + 81), ub
               when d leaves it (m + 121), uc one later (m + 122, t2 ready at m + 121),
               ud when t3 is ready (m + 161).
      2 MSHRs: a, b at m, m + 1 (ready m + 41, m + 42); c's tags at m + 3, waits for the
               first to free (m + 41), ready m + 81, leaves MEM at m + 41; d enters MEM at
               m + 41, tags m + 42, the second MSHR frees at m + 42: ready m + 82 (no
               wait); ua, ub enter EX at m + 41, m + 42 as their data arrive, uc, ud at
               m + 81, m + 82."""
    want = {4: [41, 42, 43, 44], 1: [81, 121, 122, 161], 2: [41, 42, 81, 82]}
    stalls = {4: 0, 1: 3 * 39, 2: 38}
    cycles = {}
    for n, offsets in want.items():
        r = asm(LOADS4, core__mem_blocking=False, l1d__mshrs=n)
        m = r.st("m_a")[3]
        assert [r.st(f"m_u{x}")[2] - m for x in "abcd"] == offsets, f"{n} MSHRs"
        assert r.result.stats["l1d.mshr_full_stall_cycles"] == stalls[n]
        cycles[n] = r.result.stats["core.cycles"]
    assert cycles[1] > cycles[2] > cycles[4]


def test_mshr_full_stall_holds_mem_and_is_charged_to_the_dcache(asm):
    """Rule 2 with 1 MSHR: b waits in MEM 40 cycles (accepted when a's fill frees the
    MSHR at m + 41), so the independent addi behind it leaves MEM at m + 41 and WB at
    m + 42; the 39-cycle WB gap of b is charged to dcache_mem (the level that serves b)."""
    r = asm("  lla s0, buf\nm_a: ld t0, 0x200(s0)\nm_b: ld t1, 0x300(s0)\n"
            "m_x: addi t2, x0, 1\n", core__mem_blocking=False, l1d__mshrs=1)
    m = r.st("m_a")[3]
    assert r.st("m_b")[3] == m + 1 and r.st("m_b")[4] == m + 41
    assert r.gap("m_a", "m_b") == 40
    assert r.gap("m_b", "m_x") == 1
    assert r.col("m_b", "stall_cause") == "dcache_mem"
    assert r.result.stats["l1d.mshr_full_stalls"] == 1
    assert r.result.stats["cpi_stack.dcache_mem"] >= 39


def test_two_cycle_pipelined_l1_hit_stream(asm):
    """Rule 3: l1d.hit_latency 2 on one port: a hit holds MEM one cycle (occupancy) and its
    value is ready 2 cycles after E(MEM) (latency). Four independent hits to a warm line
    run 1 apart (WB gaps 1, 1, 1: before, each held MEM 2 cycles); the consumer of the
    last one enters EX at E(MEM) + 2, one cycle later than with a 1-cycle hit: WB gap 3."""
    body = ("  lla s0, buf\n  ld s1, 0(s0)\n  nop\n  nop\n  nop\n  nop\n"
            "m_a: ld t0, 8(s0)\nm_b: ld t1, 16(s0)\nm_c: ld t2, 24(s0)\nm_d: ld t3, 32(s0)\n"
            "m_u: add a0, t3, t3\n")
    r = asm(body, l1d__hit_latency=2)
    assert [r.col(f"m_{x}", "level") for x in "abcd"] == ["l1"] * 4
    assert [r.gap(a, b) for a, b in (("m_a", "m_b"), ("m_b", "m_c"), ("m_c", "m_d"))] == \
        [1, 1, 1]
    assert r.st("m_u")[2] == r.st("m_d")[3] + 2
    assert r.gap("m_d", "m_u") == 3
    r1 = asm(body)
    assert r1.gap("m_d", "m_u") == 2
