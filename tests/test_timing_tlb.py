"""End-to-end exact cycles of address translation (docs/tlb.md), in the style of
test_timing_asm.py and on its machine (`BASE`: no L2, fixed 40-cycle memory, so an L1 hit
is 1 cycle and a miss 41), with translation on: fully associative DTLB/ITLB of 32 entries
answering in 0 cycles (in parallel with the L1), a 512-entry 4-way L2 TLB of 3 cycles,
Sv39, an 8-entry page-walk cache, PTE loads through the L1D.

A load's latency is WB - MEM (blocking loads, rule 13 of docs/pipeline.md):
    latency = translation + data access at the physical address
    translation = DTLB 0 [+ L2 TLB 3 on a DTLB miss [+ walk on an L2 TLB miss]]

Physical layout (docs/tlb.md, frames in first-touch order from 0x80000000): the first
fetch walks for the code page (VA 0x10000-0x10fff, VPN = 0/0/0x10): root 0x80000000, its
level-1 table 0x80001000, level-0 table 0x80002000, frame 0x80003000; those three PTE lines
are then in the L1D (the walk read them through it, all misses).
"""
import pytest
from test_timing_asm import BASE, DATA, asm  # noqa: F401 (asm is the fixture)

MISS = 41
# Blocking fetch: the code walk's PTE fills (in flight until cycle 123, then the code
# line's own fill) complete before the first load executes, so the PTE lines the
# derivations below call hits are complete lines (with non-blocking caches a line still
# being filled is waited for, docs/caches.md).
TLB = dict(BASE, **{"core.fetch_blocking": True, "tlb.enabled": True, "tlb.l2tlb_latency": 3, "tlb.dtlb_entries": 32,
                    "tlb.dtlb_assoc": 32, "tlb.itlb_entries": 32, "tlb.itlb_assoc": 32,
                    "tlb.pwc_entries": 8})
L2TLB = 3


def lat(r, label, k=0):
    s = r.st(label, k)
    return s[4] - s[3]


def _assume_layout(r):
    assert r.sym["_start"] >> 12 == 0x10, "code expected in the page at 0x10000"
    assert r.sym["buf"] == DATA == 0x402000


def test_first_data_walk_pte_hit_and_miss(asm):
    """ld from buf (VA 0x402000, VPN 0/2/2), the first data access:
      DTLB miss, L2 TLB miss (it holds the code page only)               3
      walk: the page-walk cache holds the root PTE of VPN[2] = 0 (from the code walk), so
        level 1 is read first: 0x80001000 + 2*8 = 0x80001010, the code walk's line: hit  1
        level 0: new table 0x80004000 + 2*8 = 0x80004010, a miss                        41
      data at the new frame 0x80005000: L1D miss                                       41
    = 3 + 42 + 41 = 86. Then a TLB hit costs nothing: ld 8(s0) (same line) 1, ld 64(s0)
    (next line, DTLB hit) 41 = a plain miss."""
    r = asm("lla s0, buf\nm_a: ld t0, 0(s0)\nm_b: ld t1, 8(s0)\nm_c: ld t2, 64(s0)\n",
            base=TLB)
    _assume_layout(r)
    assert lat(r, "m_a") == L2TLB + 1 + MISS + MISS
    assert lat(r, "m_b") == 1
    assert lat(r, "m_c") == MISS
    s = r.result.stats
    assert (s["dtlb.misses"], s["dtlb.hits"], s["walker.walks"]) == (1, 2, 2)
    assert (s["walker.pwc_hits"], s["walker.pte_reads_l1"], s["walker.pte_reads_memory"]) \
        == (1, 1, 4)
    assert s["dtlb.walk_cycles"] == 42 and s["dtlb.translation_cycles"] == 45


def test_l1_tlb_miss_hits_the_l2_tlb(asm):
    """A one-entry DTLB: A = buf (86, as above), B = buf + 4096 (VPN0 3): walk with the
    page-walk cache holding A's level-1 PTE: only level 0, at 0x80004018 (A's PTE line,
    a hit) 1; translation 3 + 1 = 4, data miss 41 -> 45. A again: the DTLB holds B, the
    L2 TLB holds A: 3 + L1D hit 1 = 4."""
    body = ("lla s0, buf\nli t3, 4096\nadd s1, s0, t3\n"
            "m_a: ld t0, 0(s0)\nm_b: ld t1, 0(s1)\nm_a2: ld t2, 8(s0)\n")
    r = asm(body, base=dict(TLB, **{"tlb.dtlb_entries": 1, "tlb.dtlb_assoc": 1}))
    _assume_layout(r)
    assert lat(r, "m_a") == 86
    assert lat(r, "m_b") == L2TLB + 1 + MISS
    assert lat(r, "m_a2") == L2TLB + 1
    s = r.result.stats
    assert (s["dtlb.misses"], s["l2tlb.hits"]) == (3, 1)


def test_page_walk_cache_hit_versus_none(asm):
    """Same two loads A, B without a page-walk cache: every walk starts at the root.
      A: root PTE 0x80000000 (code walk's line) hit 1, 0x80001010 hit 1, 0x80004010 miss
         41: walk 43 -> 3 + 43 + 41 = 87  (86 with the PWC: the root read is skipped)
      B: 1 + 1 + 0x80004018 hit 1 = walk 3 -> 3 + 3 + 41 = 47  (45 with the PWC)."""
    body = ("lla s0, buf\nli t3, 4096\nadd s1, s0, t3\n"
            "m_a: ld t0, 0(s0)\nm_b: ld t1, 0(s1)\n")
    r = asm(body, base=dict(TLB, **{"tlb.pwc_entries": 0}))
    assert (lat(r, "m_a"), lat(r, "m_b")) == (87, 47)
    r = asm(body, base=TLB)
    assert (lat(r, "m_a"), lat(r, "m_b")) == (86, 45)
    assert r.result.stats["walker.pwc_hits"] == 2


def test_full_walk_every_pte_misses(asm):
    """The stack (VA just below 2**38: VPN2 = 255, VPN1 = 511) shares no table with the
    code: root PTE 0x80000000 + 255*8 = 0x800007f8 (another line) miss 41, a new level-1
    table's PTE miss 41, a new level-0 table's PTE miss 41: walk 123;
    3 + 123 + data miss 41 = 167."""
    r = asm("m_s: ld t0, 0(sp)\n", base=TLB)
    assert lat(r, "m_s") == L2TLB + 3 * MISS + MISS
    assert r.result.stats["walker.pwc_misses"] == 2      # the code walk and this one


def test_fetch_walk_stalls_a_blocking_fetch(asm):
    """With a blocking fetch, the first fetch pays the ITLB miss: L2 TLB 3 + a cold walk
    (3 misses, 123) + the L1I miss 41 = 167 cycles in IF: ID entry at 167."""
    r = asm("m_0: addi t0, x0, 1\n", base=dict(TLB, **{"core.fetch_blocking": True}))
    assert r.st("m_0")[1] - r.st("m_0")[0] == L2TLB + 3 * MISS + MISS
    s = r.result.stats
    assert (s["itlb.misses"], s["itlb.walks"], s["itlb.walk_cycles"]) == (1, 1, 123)


@pytest.mark.parametrize("on", [False, True])
def test_translation_off_costs_nothing_and_on_only_adds(asm, on):
    """Off: the same program has the plain latencies (a miss is 41); on: the latencies
    above. The CPI stack still sums to the cycles (checked by the fixture)."""
    r = asm("lla s0, buf\nm_a: ld t0, 0(s0)\n", base=dict(TLB, **{"tlb.enabled": on}))
    assert lat(r, "m_a") == (86 if on else MISS)
    assert ("dtlb.misses" in r.result.stats) == on


def test_tlb_misses_are_their_own_cpi_parts(asm):
    """Rule 14a (docs/pipeline.md), blocking fetch and loads. The first fetch (as in
    test_fetch_walk_stalls_a_blocking_fetch): 167 cycles in IF, of them L2 TLB 3 + walk
    123 = 126 after the ITLB missed; the first instruction's gap is IF's own time,
    170 - 3 - 1 = 166 (WB at 0 + 167 + 3 against the virtual predecessor's 3) -> itlb 126,
    icache_mem 40. The ld (as in test_first_data_walk_pte_hit_and_miss): 86 cycles in MEM,
    of them 3 + 42 = 45 after the DTLB missed; its gap is MEM's own time, 86 - 1 = 85 (the
    addi before it is in WB when it enters MEM) -> dtlb 45, dcache_mem 40; its record
    names dcache_mem (it got the rest of the gap). No other access misses a TLB."""
    r = asm("lla s0, buf\nm_a: ld t0, 0(s0)\n", base=TLB)
    _assume_layout(r)
    stack = r.result.cpi_stack()
    assert (stack["itlb"], stack["dtlb"]) == (126, 45)
    i = r.rows("m_a").index[0]
    assert lat(r, "m_a") == 86 and r.df["wb_cycle"][i] - r.df["wb_cycle"][i - 1] - 1 == 85
    assert r.df["stall_cause"][i] == "dcache_mem"
    first = r.df.iloc[0]
    assert (first["id_cycle"] - first["if_cycle"], first["stall_cause"]) == (167, "icache_mem")


def test_non_blocking_load_is_held_for_its_tlb_miss(asm):
    """mem_blocking = false (docs/tlb.md T1a): the ld cannot go to the L1D before its
    physical address is known, so it is held in MEM for its DTLB miss: 1 + 45 = 46
    cycles (the L1D itself accepts it at once: a free port and MSHR). Its gap 45 is all
    dtlb, and its record names dtlb. The add using t0 waits for the data at MEM + 86:
    EX at MEM + 86, WB at MEM + 88; its gap 88 - 46 - 1 = 41 is the miss's -> dcache_mem
    (rule 14: a wait for a non-blocking load's miss)."""
    r = asm("lla s0, buf\nm_a: ld t0, 0(s0)\nm_u: add t1, t0, t0\n",
            base=dict(TLB, **{"core.mem_blocking": False}))
    _assume_layout(r)
    a, u = r.st("m_a"), r.st("m_u")
    assert a[4] - a[3] == 1 + L2TLB + 42
    assert (u[2] - a[3], u[4] - a[3]) == (86, 88)
    stack = r.result.cpi_stack()
    assert (stack["itlb"], stack["dtlb"]) == (126, 45)
    assert list(r.rows("m_a")["stall_cause"]) == ["dtlb"]
    assert list(r.rows("m_u")["stall_cause"]) == ["dcache_mem"]
