"""TLB reach, shown by a pointer chase over working sets of 16 KiB to 64 MiB
(tests/programs/ptrchase.c: one link per 4 KiB page, the pages in one random cycle).

What the parameters predict, per dependent load, after one warm cycle (docs/tlb.md):
  pages <= dtlb_entries (fully associative, LRU)      DTLB hit: 0 translation cycles
  dtlb_entries < pages, pages / l2_sets <= l2 ways      every load misses the DTLB (the cycle of
                                                        pages outgrows an LRU TLB) and hits
                                                        the L2 TLB: l2tlb_latency cycles
  pages / l2_sets > l2 ways                             every load misses both: one walk
The DTLB reach is dtlb_entries x 4 KiB, the L2 TLB's l2tlb_entries x 4 KiB (consecutive
pages fill its sets evenly). Working sets right at a reach are left out of the exact
checks: the code, stack and heap pages share the TLBs there.
"""
import subprocess
from pathlib import Path

import pytest
from caches.predict import translation_cycles

import cyclesim
from cyclesim.config import SystemConfig

ROOT = Path(__file__).resolve().parents[2]
KiB, MiB = 1 << 10, 1 << 20
STEPS = 3000
SIZES = [16 * KiB, 64 * KiB, 256 * KiB, 512 * KiB, 1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB]


@pytest.fixture(scope="module")
def chase(riscv_gcc, tmp_path_factory):
    elf = tmp_path_factory.mktemp("chase") / "ptrchase"
    subprocess.run([riscv_gcc, "-O2", "-static", f"-I{ROOT / 'workloads/include'}", "-o",
                    str(elf), str(ROOT / "tests/programs/ptrchase.c")], check=True,
                   capture_output=True)
    return elf


def run_chase(elf, ws, **over):
    ov = {"tlb.enabled": True}
    ov.update(over)
    r = cyclesim.run(str(elf), str(ws), str(STEPS), overrides=ov)
    assert r.status == "exited", r.message
    return r.stats


def test_tlb_reach_plateaus(chase):
    tlb = SystemConfig().tlb                 # the parameters the prediction comes from
    dtlb_reach = tlb.dtlb_entries * 4 * KiB
    l2_reach = tlb.l2tlb_entries * 4 * KiB
    rows = []
    for ws in SIZES:
        s = run_chase(chase, ws)
        loads = s["core.loads"]
        assert STEPS <= loads <= STEPS + 2
        per_load = s["dtlb.translation_cycles"] / STEPS
        rows.append((ws, s["core.cycles"] / STEPS, per_load, s["dtlb.misses"],
                     s["l2tlb.misses"], s["dtlb.walks"]))
        expected = translation_cycles(tlb, ws)      # caches/predict.py: the rules above
        if ws <= dtlb_reach // 2:
            assert expected == 0
            assert (s["dtlb.misses"], per_load) == (0, 0.0), ws
        elif 2 * dtlb_reach <= ws <= l2_reach // 2:
            assert expected == tlb.l2tlb_latency
            assert s["dtlb.misses"] == STEPS and s["l2tlb.misses"] == 0, ws
            assert per_load == tlb.l2tlb_latency
        elif ws >= 2 * l2_reach:
            assert expected is None                   # a walk per load: no exact plateau
            assert s["dtlb.walks"] == STEPS, ws
            assert per_load > tlb.l2tlb_latency
    table = "\n".join(f"{ws // KiB:>7} KiB  {c:7.1f} cyc/load  {t:7.2f} translation  "
                      f"dtlb miss {dm:5.0f}  l2tlb miss {lm:5.0f}  walks {w:5.0f}"
                      for ws, c, t, dm, lm, w in rows)
    print("\n" + table)
    # the plateaus are ordered: each step out of a TLB's reach costs more per load
    per = [r[2] for r in rows]
    assert per == sorted(per)


def test_tlb_hits_cost_nothing(chase):
    """Within the DTLB's reach the chase runs exactly as fast as without translation
    (every link an L1D hit either way): a TLB hit adds no cycle."""
    off = run_chase(chase, 64 * KiB, **{"tlb.enabled": False})
    on = run_chase(chase, 64 * KiB)
    assert "dtlb.misses" not in off and on["dtlb.misses"] == 0
    assert on["core.cycles"] == off["core.cycles"]


def test_superpages_multiply_the_reach(chase):
    """tlb.superpages = always (transparent huge pages): the chase buffer is mapped with
    2 MiB pages, so the 32-entry DTLB reaches 32 x 2 MiB = 64 MiB and the L2 TLB
    512 x 2 MiB: 64 MiB is all DTLB hits, where 4 KiB pages needed a walk per load (test
    above). At 128 MiB the 64 superpages are visited in random order (the cycle is over
    4 KiB pages), so a 32-entry DTLB holds any given one half the time: about half the
    loads miss it, and every miss hits the L2 TLB (64 entries over 128 sets)."""
    tlb = SystemConfig().tlb
    dtlb_reach = tlb.dtlb_entries * 2 * MiB
    s = run_chase(chase, dtlb_reach, **{"tlb.superpages": "always"})
    assert (s["dtlb.misses"], s["dtlb.translation_cycles"]) == (0, 0)
    s = run_chase(chase, 2 * dtlb_reach, **{"tlb.superpages": "always"})
    assert abs(s["dtlb.misses"] / STEPS - (1 - tlb.dtlb_entries / 64)) < 0.05
    assert s["l2tlb.misses"] == 0
    assert s["dtlb.translation_cycles"] == s["dtlb.misses"] * tlb.l2tlb_latency
