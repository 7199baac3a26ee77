"""Rule 14a (docs/pipeline.md): TLB misses as their own CPI-stack parts, itlb and dtlb,
checked against a reference on random instruction streams.

The core under test runs over real Translators (caches/tlb.pyx) in front of real caches.
The reference replays the core's memory trace (every fetch-line and data access, in
issue order, at its issue cycle, at its virtual address) through the plain translation
model of tests/caches/tlb_reference.py over a second, identical set of fresh caches: it
must give every access the latency the core saw, and tells how many of those cycles came
after the L1 TLB missed (x). From the pipeline trace it then charges, instruction by
instruction, rule 14a: when the commit gap G went to the instruction's own MEM time (a
data access that held MEM, WB - MEM > 1) min(G, x of that access) is dtlb; when it went
to its own fetch time, min(G, x of the fetch) is itlb. Those sums must be the core's
parts, the parts must still add up to the cycles, and a record names the TLB part exactly
when the TLB took its whole gap.
"""
import random
import sys
from pathlib import Path

import pytest

from caches.cache import Cache
from caches.dram import FixedMemory
from caches.tlb import PageTableWalker, Tlb, Translator
from pipeline._testing import feed
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.inorder import InOrderCore
from pipeline.superscalar import SuperscalarCore
from pipeline.trace import CAUSE_NAMES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "caches"))
from tlb_reference import RefMmu, RefTlb, RefWalker  # noqa: E402

KiB, MiB = 1024, 1024 * 1024
ICACHE = {n for n in CAUSE_NAMES if n.startswith("icache_")} | {"itlb"}
DCACHE = {n for n in CAUSE_NAMES if n.startswith("dcache_")} | {"dtlb"}
OPS = ["alu", "alu", "load", "load", "load", "store", "amo", "mul", "branch", "jal", "nop"]


def caches():
    mem = FixedMemory(30)
    l2 = Cache(32 * KiB, 4, 64, 6, "lru", next=mem, level_id=2)
    return (Cache(2 * KiB, 2, 64, 1, "lru", next=l2, level_id=1),
            Cache(4 * KiB, 2, 64, 1, "lru", next=l2, level_id=1))


def translators(tlb):
    """(itlb, dtlb) Translators over fresh caches, and the same as reference models."""
    ci, cd = caches()
    walker = PageTableWalker(cd, levels=3, pwc_entries=tlb["pwc"])
    l2 = Tlb(tlb["l2"], 4, tlb["l2_lat"]) if tlb["l2"] else None
    dut = (Translator(ci, Tlb(tlb["itlb"], tlb["itlb"], 0), l2, walker, name="itlb"),
           Translator(cd, Tlb(tlb["dtlb"], tlb["dtlb"], 0), l2, walker, name="dtlb"))
    ri, rd = caches()
    last = {}

    def port(c):
        def access(pa, kind, now):
            last["lat"] = c.access_py(pa, kind, now)
            return last["lat"]
        return access
    rw = RefWalker(lambda a, k, now: rd.access_py(a, k, now), levels=3,
                   pwc_entries=tlb["pwc"])
    rl2 = RefTlb(tlb["l2"], 4, tlb["l2_lat"]) if tlb["l2"] else None
    ref = (RefMmu(port(ri), RefTlb(tlb["itlb"], tlb["itlb"], 0), rl2, rw),
           RefMmu(port(rd), RefTlb(tlb["dtlb"], tlb["dtlb"], 0), rl2, rw))
    return dut, ref, last


def stream(rng, n):
    """Code over 24 pages (far jumps), data over 2 MiB in 8-byte words: many TLB misses."""
    insts, pc = [], 0x10000
    for _ in range(n):
        op = rng.choice(OPS)
        d = dict(opclass=op, pc=pc, rd=rng.choice([0, 1, 2, 3]), rs1=rng.choice([0, 1, 2, 3]),
                 rs2=rng.choice([0, 2, 3]))
        nxt = pc + 4
        if op in ("load", "store", "amo"):
            d["mem_addr"] = 0x800000 + rng.randrange(0, 2 * MiB, 8)
        if op == "branch":
            d["taken"] = rng.random() < 0.5
            d["target"] = pc + rng.choice([-64, 32, 128])
            nxt = d["target"] if d["taken"] else nxt
            d["rd"] = 0
        elif op == "jal":
            nxt = 0x10000 + 4096 * rng.randrange(24) + 4 * rng.randrange(1000)
            d["rd"] = 0
        d["next_pc"] = nxt
        insts.append(d)
        pc = nxt
    return insts


def make_core(rng, width, itlb, dtlb):
    kw = dict(fetch_blocking=rng.random() < 0.8, mem_blocking=rng.random() < 0.6,
              store_buffer_entries=rng.choice([0, 0, 2]), mul_latency=3)
    pred = make_predictor("bimodal", table_entries=256)
    if width == 1:
        return InOrderCore(itlb, dtlb, pred, BTB(16, 2), RAS(4), **kw)
    return SuperscalarCore(itlb, dtlb, pred, BTB(16, 2), RAS(4), width=width, **kw)


@pytest.mark.parametrize("width", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_tlb_parts_match_the_reference(seed, width):
    rng = random.Random(seed)
    tlb = dict(itlb=rng.choice([1, 2, 4]), dtlb=rng.choice([2, 4, 8]),
               l2=rng.choice([0, 8, 16]), l2_lat=rng.choice([2, 5]), pwc=rng.choice([0, 4]))
    (itlb, dtlb), ref, last = translators(tlb)
    core = make_core(rng, width, itlb, dtlb)
    n = 1500
    core.enable_trace(0, n, pipeline=True, memory=True)
    feed(core, stream(rng, n))
    pipe, mem = core.pipeline_trace(), core.memory_trace()

    # replay every access through the reference translation; x per access
    x = []
    for i, m in enumerate(mem):
        side = 0 if m["kind"] == 0 else 1
        lat, _, _ = ref[side].access(int(m["addr"]), int(m["kind"]), int(m["cycle"]))
        assert lat == m["latency"], f"access {i}: va {int(m['addr']):#x}"
        x.append(lat - last["lat"][0] - ref[side].l1.hit_latency)

    # rule 14a over the trace: the binding fetch / data access of each instruction
    fetch_x, data_x, j = {}, {}, 0
    for i, m in enumerate(mem):
        seq = int(m["seq"])
        table = fetch_x if m["kind"] == 0 else data_x
        lat_x = (int(m["latency"]), x[i])
        if seq not in table or lat_x[0] > table[seq][0]:     # the slower line binds
            table[seq] = lat_x
    want = {"itlb": 0, "dtlb": 0}
    prev_wb = 3
    for rec in pipe:
        seq, wb = int(rec["seq"]), int(rec["wb_cycle"])
        gap = wb - prev_wb - 1
        prev_wb = max(prev_wb, wb)
        if gap <= 0:
            continue
        cause = CAUSE_NAMES[rec["cause"]]
        share = None
        if cause in DCACHE and seq in data_x and wb - rec["mem_cycle"] > 1:
            share = min(gap, data_x[seq][1])
            want["dtlb"] += share
            assert (cause == "dtlb") == (share == gap), seq
        elif cause in ICACHE and seq in fetch_x:
            share = min(gap, fetch_x[seq][1])
            want["itlb"] += share
            assert (cause == "itlb") == (share == gap), seq
        else:
            assert cause not in ("itlb", "dtlb"), seq
    assert want["dtlb"] > 0                    # the streams do miss in the DTLB
    if width == 1:
        stack = core.cpi_stack()
        assert (stack["itlb"], stack["dtlb"]) == (want["itlb"], want["dtlb"])
        assert sum(stack.values()) == core.stats()["core.cycles"]
    else:
        # S9: in commit slots the TLB part takes width x its cycles of the gap
        slots = core.slot_counts()
        assert (slots["frontend_itlb"], slots["backend_memory_dtlb"]) == \
            (width * want["itlb"], width * want["dtlb"])
        assert sum(slots.values()) == width * core.stats()["core.cycles"]


def test_translation_off_has_empty_tlb_parts():
    """Without Translators the core charges nothing to itlb / dtlb (and pays no more)."""
    rng = random.Random(3)
    ci, cd = caches()
    core = make_core(rng, 1, ci, cd)
    feed(core, stream(rng, 800))
    stack = core.cpi_stack()
    assert stack["itlb"] == stack["dtlb"] == 0
    assert sum(stack.values()) == core.stats()["core.cycles"]
