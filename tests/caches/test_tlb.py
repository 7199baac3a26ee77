"""TLBs, the Sv39/Sv48 page table and its walker (caches/tlb.pyx, docs/tlb.md): exact
behaviour of small cases worked out by hand, and agreement with the plain reference model
(tlb_reference.py) on every access of random and workload address streams."""
from types import SimpleNamespace

import numpy as np
import pytest
from caches.cache import Cache
from caches.dram import FixedMemory
from tlb_reference import RefMmu, RefTlb, RefWalker

from caches.build import build_hierarchy
from caches.config import TlbConfig
from caches.tlb import PageTableWalker, Tlb, Translator
from cyclesim.errors import ConfigError

BASE = 0x80000000
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


# ---- one TLB ---------------------------------------------------------------------------

def test_fully_associative_lru_order():
    """4 entries, fully associative: fill pages 0..3, touch 0, insert 4 -> the least
    recently used (1) goes; 0, 2, 3, 4 stay."""
    t = Tlb(4, 4)
    for p in range(4):
        assert t.translate(p * 4096) is None
        t.fill(p * 4096, 100 + p)
    assert t.translate(0) == (100, 0)
    t.fill(4 * 4096, 104)
    assert t.translate(1 * 4096) is None
    for p in (0, 2, 3, 4):
        assert t.translate(p * 4096 + 123) == (100 + p, 0)
    assert t.stats()["hits"] == 5 and t.stats()["misses"] == 5


def test_direct_mapped_conflict_and_set_index():
    """Direct-mapped, 4 sets: pages 1 and 5 share set 1 and evict each other; page 2 is in
    another set and stays."""
    t = Tlb(4, 1)
    t.fill(1 << 12, 11)
    t.fill(2 << 12, 12)
    t.fill(5 << 12, 15)
    assert t.translate(1 << 12) is None
    assert t.translate(5 << 12) == (15, 0)
    assert t.translate(2 << 12) == (12, 0)


def test_superpage_entry_covers_2mib_and_splinters_without_superpages():
    t = Tlb(8, 8, superpages=True)
    t.fill(0x40000000, 0x80200, 1)                 # one 2 MiB entry
    assert t.translate(0x40000000 + 0x1FFFFF) == (0x80200, 1)
    assert t.translate(0x40200000) is None
    small = Tlb(8, 8, superpages=False)
    small.fill(0x40003000, 0x80200, 1)              # kept as the 4 KiB piece used
    assert small.translate(0x40003fff) == (0x80203, 0)
    assert small.translate(0x40004000) is None


def test_bad_geometry_is_one_sentence():
    with pytest.raises(ConfigError, match="assoc"):
        Tlb(40, 3, name="tlb.dtlb")
    with pytest.raises(ConfigError, match="power of two"):
        Tlb(48, 16, name="tlb.dtlb")


# ---- the walker, by hand -----------------------------------------------------------------

def test_sv39_walk_layout_and_latency_through_the_cache():
    """Sv39 walk of va 0x402123 behind a 1-cycle L1D with a 40-cycle memory (miss = 41):
    root at 0x80000000; PTE addresses are table + VPN[i] * 8 (privileged spec, Sv39):
      level 2: root + 0*8            = 0x80000000  miss 41
      level 1: table 0x80001000 + 2*8 = 0x80001010 miss 41   (table allocated now)
      level 0: table 0x80002000 + 2*8 = 0x80002010 miss 41
    frame 0x80003000: walk = 123 cycles. A second page of the same 2 MiB region (va
    0x403000) with the page-walk cache: the level-1 PTE is cached, so only level 0 is read,
    at 0x80002018 (same line as 0x80002010: a hit), walk = 1; frame 0x80004000."""
    l1d = Cache(32 * KiB, 8, 64, 1, "lru", next=FixedMemory(40), level_id=1)
    w = PageTableWalker(l1d, levels=3, pwc_entries=4)
    assert w.walk_once(0x402123) == (123, 0x80003, 0)
    assert [w.pte_address(0x402123, lv) for lv in (2, 1, 0)] == [0x80000000, 0x80001010,
                                                                   0x80002010]
    assert w.walk_once(0x403000) == (1, 0x80004, 0)
    assert w.stats()["table_pages"] == 3           # root, one level-1, one level-0 table
    s = w.stats()
    assert (s["walks"], s["pwc_hits"], s["pwc_misses"], s["pte_reads_l1"],
            s["pte_reads_memory"], s["pte_reads_level0"]) == (2, 1, 1, 1, 3, 2)


def test_sv48_has_four_levels_and_a_superpage_is_a_level1_leaf():
    """Sv48: four PTE reads on a cold walk (4 x 41 = 164). A 2 MiB superpage ends the walk
    at level 1 (Sv39: root + level 1 = 2 reads) and gets a 2 MiB-aligned frame."""
    l1d = Cache(32 * KiB, 8, 64, 1, "lru", next=FixedMemory(40), level_id=1)
    w4 = PageTableWalker(l1d, levels=4, pwc_entries=0)
    assert w4.walk_once(0x7f0000001000)[0] == 164
    l1d2 = Cache(32 * KiB, 8, 64, 1, "lru", next=FixedMemory(40), level_id=1)
    w3 = PageTableWalker(l1d2, levels=3, pwc_entries=0)
    w3.map_superpage(0x600000)
    cycles, ppn, size = w3.walk_once(0x612345)
    assert (cycles, size) == (82, 1)
    assert ppn % 512 == 0 and ppn * 4096 >= BASE
    assert w3.translate_functional(0x612345) == ppn * 4096 + 0x12345
    with pytest.raises(ConfigError, match="already has 4 KiB pages"):
        w3.walk_once(0x800000)
        w3.map_superpage(0x800000)


def test_translator_adds_l2_tlb_and_walk_cycles():
    """dtlb 2 entries (latency 0), L2 TLB 8 entries (latency 3), memory 40:
      ld A (cold)   : 0 + 3 + walk 123 + data miss 41             = 167
      ld A again    : L1 TLB hit (0) + L1D hit 1                   = 1
      ld B, C (same region, other pages): 3 + walk 1 (PWC) + 41    = 45 each; the 2-entry
                      DTLB then holds B, C
      ld A          : DTLB miss, L2 TLB hit: 3 + L1D hit 1         = 4"""
    l1d = Cache(32 * KiB, 8, 64, 1, "lru", next=FixedMemory(40), level_id=1)
    w = PageTableWalker(l1d, levels=3, pwc_entries=8)
    l2 = Tlb(8, 8, 3)
    d = Translator(l1d, Tlb(2, 2, 0), l2, w)
    A, B, C = 0x402000, 0x403000, 0x404000
    assert [d.access_py(a, 1)[0] for a in (A, A, B, C, A)] == [167, 1, 45, 45, 4]
    s = d.stats()
    assert (s["hits"], s["misses"], s["walks"]) == (1, 4, 3)
    assert l2.stats()["hits"] == 1 and l2.stats()["misses"] == 3


# ---- agreement with the reference model --------------------------------------------------

def _pair(l1_entries=8, l1_assoc=4, l2_entries=32, l2_assoc=4, levels=3, pwc=4,
          superpages=(), l1_sp=True, l2_sp=True):
    """The Cython translator and the reference over two identical, fresh Cython caches."""
    def caches():
        mem = FixedMemory(40)
        l2c = Cache(16 * KiB, 4, 64, 8, "lru", next=mem, level_id=2)
        return (Cache(1 * KiB, 2, 64, 1, "lru", next=l2c, level_id=1),
                Cache(2 * KiB, 2, 64, 1, "lru", next=l2c, level_id=1))
    ci, cd = caches()
    w = PageTableWalker(cd, levels=levels, pwc_entries=pwc)
    l2 = Tlb(l2_entries, l2_assoc, 5, superpages=l2_sp) if l2_entries else None
    dut = {0: Translator(ci, Tlb(l1_entries, l1_assoc, 1, superpages=l1_sp), l2, w),
           1: Translator(cd, Tlb(l1_entries, l1_assoc, 0, superpages=l1_sp), l2, w)}
    ri, rd = caches()

    def port_of(c):
        return lambda a, k, now: c.access_py(a, k, now)
    rw = RefWalker(port_of(rd), levels=levels, pwc_entries=pwc)
    rl2 = RefTlb(l2_entries, l2_assoc, 5, l2_sp) if l2_entries else None
    ref = {0: RefMmu(port_of(ri), RefTlb(l1_entries, l1_assoc, 1, l1_sp), rl2, rw),
           1: RefMmu(port_of(rd), RefTlb(l1_entries, l1_assoc, 0, l1_sp), rl2, rw)}
    for va in superpages:
        w.map_superpage(va)
        rw.superpage_regions.add(va >> 21)
    return dut, ref, w, rw


def _compare(stream, **kw):
    dut, ref, w, rw = _pair(**kw)
    now = 0
    for i, (va, kind) in enumerate(stream):
        side = 0 if kind == 0 else 1
        got = dut[side].access_py(va, kind, now)
        lat, served, pa = ref[side].access(va, kind, now)
        assert got == (lat, served), f"access {i}: va {va:#x} kind {kind}"
        assert w.translate_functional(va) == pa, f"access {i}: va {va:#x}"
        now += lat
    s = w.stats()
    assert (s["walks"], s["pwc_hits"], s["pwc_misses"]) == (rw.walks, rw.pwc_hits,
                                                            rw.pwc_misses)
    for lvl, name in ((1, "l1"), (2, "l2"), (4, "memory")):
        assert s[f"pte_reads_{name}"] == rw.pte_reads_served.get(lvl, 0)
    for side in (0, 1):
        st = dut[side].l1.stats()
        assert (st["hits"], st["misses"]) == (ref[side].l1.hits, ref[side].l1.misses)
    # the page table itself: every PTE of the reference is in the Cython table, same value
    want = sorted((t * 4096, idx, pte) for t, e in rw.tables.items() for idx, pte in e.items())
    got = sorted((r[0], r[1], r[6]) for r in w.entries())
    assert got == want
    return w


def _random_stream(seed, n=6000):
    rng = np.random.default_rng(seed)
    # pages clustered in a few regions (code, heap, a far mmap, the stack) like a program
    bases = [0x10000, 0x400000, 0x2000000, 0x3f_0000_0000, 0x3f_ffe0_0000]
    out = []
    for _ in range(n):
        b = bases[int(rng.integers(len(bases)))]
        span = int(rng.choice([16 * KiB, 512 * KiB, 4 * MiB]))
        va = b + int(rng.integers(span))
        kind = int(rng.choice([0, 1, 2, 3], p=[0.3, 0.45, 0.2, 0.05]))
        out.append((va, kind))
    return out


@pytest.mark.parametrize("kw", [
    {},
    {"l1_entries": 4, "l1_assoc": 4, "l2_entries": 0, "pwc": 0},
    {"l1_entries": 16, "l1_assoc": 1, "l2_entries": 64, "l2_assoc": 1, "pwc": 2},
    {"levels": 4, "pwc": 8},
    {"superpages": (0x400000, 0x2000000), "l1_sp": False},
    {"superpages": (0x400000, 0x3f_ffe0_0000), "l2_sp": False, "l2_entries": 16},
])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_streams_match_reference(kw, seed):
    _compare(_random_stream(seed), **kw)


def test_config_validation_names_the_field():
    TlbConfig(enabled=True).validate()
    with pytest.raises(ConfigError, match="dtlb_assoc"):
        TlbConfig(dtlb_entries=40, dtlb_assoc=16).validate()
    with pytest.raises(ConfigError, match="itlb_entries"):
        TlbConfig(itlb_entries=0).validate()
    with pytest.raises(ConfigError, match="pwc_entries"):
        TlbConfig(pwc_entries=65).validate()
    with pytest.raises(ConfigError, match="phys_base"):
        TlbConfig(phys_base=4096).validate()


def _hierarchy(**tlb):
    def cache(**kw):
        base = {"size": 32768, "assoc": 8, "line_size": 64, "hit_latency": 1,
                "policy": "lru", "write_policy": "write_back", "write_allocate": True,
                "inclusion": "non_inclusive", "mshrs": 8, "seed": 1}
        base.update(kw)
        return SimpleNamespace(**base)
    mem = SimpleNamespace(kind="fixed", latency=40)
    return build_hierarchy(cache(assoc=4), cache(), cache(size=262144, hit_latency=10), None,
                           mem, 1e9, tlb=TlbConfig(**tlb))


def test_hierarchy_off_means_no_translator():
    h = _hierarchy(enabled=False)
    assert h.tlbs == {} and h.l1d is h.levels["l1d"]
    h = _hierarchy(enabled=True, walk_port="l2")
    assert isinstance(h.l1d, Translator) and h.l1d.cache is h.levels["l1d"]
    assert h.l1d.l2 is h.l1i.l2 and h.l1d.walker is h.l1i.walker      # shared
    lat, served = h.l1d.access_py(0x402000, 1)
    # walk through the L2 port: 3 PTE reads that miss the L2 (10 + 40 each), L2 TLB 4,
    # data: L1 miss, L2 miss: 1 + 10 + 40
    assert (lat, served) == (4 + 3 * 50 + 51, 4)
    st = h.stats(1000)
    assert st["walker.pte_reads_memory"] == 3 and st["dtlb.mpki"] == 1.0
    h.reset_stats()
    assert h.stats(1000)["dtlb.misses"] == 0


def test_workload_stream_matches_reference():
    """The memory accesses of a real program (its trace), through both models."""
    import cyclesim
    r = cyclesim.run("matmul", overrides={"tlb.enabled": True}, trace="memory",
                     trace_window=(0, 150_000), max_insts=150_000)
    m = r.memory_trace
    kinds = {"ifetch": 0, "load": 1, "store": 2, "amo": 3}
    stream = [(int(a), kinds[str(k).lower()] if not isinstance(k, (int, np.integer))
               else int(k)) for a, k in zip(m["addr"], m["kind"])]
    assert len(stream) > 10_000
    w = _compare(stream, l1_entries=8, l1_assoc=8, l2_entries=64, l2_assoc=4, pwc=2)
    assert w.stats()["walks"] > 10


def test_report_shows_the_tlbs_only_when_on():
    import cyclesim
    from cyclesim.results.report import format_report
    on = format_report(cyclesim.run("hello", overrides={"tlb.enabled": True}))
    off = format_report(cyclesim.run("hello"))
    assert "  dtlb " in on and "page-walk cache hits" in on
    assert "TLB" not in off


def test_page_table_matches_the_guest_mappings():
    """After a real run, the walker's page table is the guest's: every leaf maps a page the
    guest has mapped, with R/W/X from its protection (code r-x, data rw-), each page its
    own frame, no frame shared with a table page, and every pointer PTE points to a table
    page that holds PTEs (Sv39: three levels, the root at tlb.phys_base)."""
    from cyclesim import workloads
    from cyclesim.api import build_system
    from cyclesim.config import resolve_config
    from cyclesim.engine import RunOptions
    cfg = resolve_config(overrides={"tlb.enabled": True})
    name = "sort"
    system = build_system(str(workloads.path(name)), name,
                          workloads.info(name)["default_args"], cfg,
                          RunOptions(max_insts=300_000, sample_interval=None))
    system.run()
    walker = system.hierarchy.tlbs["walker"]
    mem = system.process.memory
    rows = walker.entries(prot_of=mem.prot_at)
    leaves = [r for r in rows if r[3] == "leaf"]
    tables = [r for r in rows if r[3] == "table"]
    assert len(leaves) > 10 and walker.stats()["table_pages"] == len(tables) + 1
    table_pages = {r[4] for r in tables} | {cfg.tlb.phys_base}
    frames = [r[4] for r in leaves]
    assert len(set(frames)) == len(frames) and not set(frames) & table_pages
    for table_pa, index, level, kind, target, va, pte in leaves:
        prot = mem.prot_at(va)
        assert level == 0 and mem.is_mapped(va, 4096) and prot
        assert pte >> 10 == target >> 12
        assert (pte >> 1 & 1, pte >> 2 & 1, pte >> 3 & 1) == (prot & 1, prot >> 1 & 1,
                                                             prot >> 2 & 1)
        assert pte & 0xd1 == 0xd1                     # V, U, A, D
        assert table_pa in table_pages and walker.pte_address(va, 0) == table_pa + 8 * index
    pc_page = system.process.entry & ~0xfff
    code = [r for r in leaves if r[5] == pc_page]
    assert code and code[0][6] & 0xe == 0xa          # R and X, not W
    used = {r[0] for r in rows}
    for r in tables:
        assert r[6] & 0xf == 1 and r[4] in used      # a pointer: only V; its table is in use


def test_walk_port_l2_needs_an_l2():
    from cyclesim.config import resolve_config
    with pytest.raises(ConfigError, match="tlb.walk_port = l2 but l2 is none"):
        resolve_config(overrides={"tlb.enabled": True, "tlb.walk_port": "l2", "l2": None})
