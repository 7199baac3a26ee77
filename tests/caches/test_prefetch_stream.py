"""Strided-stream microbenchmark, whole simulator: one load in a loop walking a buffer at a
fixed stride, with and without each prefetcher on the L1D. The expected counts are derived
from the prefetcher's rules and the parameters (comments), so coverage and accuracy are
checked exactly, not against a recorded run.

Machine: no L2, fixed memory of 40 cycles, L1D 128 KiB 8-way (nothing is evicted, so
pf_useless is 0 and every count below is exact), 32 MSHRs (never all busy here: at most
distance + degree prefetches are in flight, so pf_dropped_mshr is 0). The buffer starts at
0x402000, 4 KiB aligned, so a region/page holds exactly 64 lines of the stream.
"""
import subprocess

import pytest
from caches.predict import stride_prefetch_counts
from caches.prefetchers import PREFETCHERS
from caches.prefetchers.python import PythonPrefetcher

import cyclesim

N = 512                      # loads
LINE = 64
DATA = 0x402000
MACHINE = {"core.fetch_blocking": False, "l2": None, "memory.kind": "fixed",
           "memory.latency": 40, "bpred.kind": "static_nt", "l1d.size": "128KiB",
           "l1d.assoc": 8, "l1d.mshrs": 32}

PROGRAM = """
.option norvc
.globl _start
.text
_start:
  lla s0, buf
  li s1, {n}
loop:
m_ld: ld t0, 0(s0)
  addi s0, s0, {stride}
  addi s1, s1, -1
  bnez s1, loop
  li a7, 93
  li a0, 0
  ecall
.data
buf: .zero {size}
"""


@pytest.fixture(scope="module")
def stream_elf(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pfstream")
    built = {}

    def build(stride):
        if stride not in built:
            src, elf = tmp / f"s{stride}.S", tmp / f"s{stride}"
            src.write_text(PROGRAM.format(n=N, stride=stride, size=N * stride + 4096))
            subprocess.run([riscv_gcc, "-nostdlib", "-static", "-march=rv64gc",
                            "-mabi=lp64d", f"-Wl,-Tdata={DATA:#x}", "-Wl,--build-id=none",
                            "-o", str(elf), str(src)], check=True, capture_output=True)
            built[stride] = str(elf)
        return built[stride]
    return build


def run(stream_elf, stride, prefetcher="none", **params):
    ov = dict(MACHINE)
    ov["l1d.prefetcher"] = prefetcher
    ov.update({f"l1d.prefetcher_params.{k}": v for k, v in params.items()})
    r = cyclesim.run(stream_elf(stride), overrides=ov)
    return r


def pf(r):
    return {k[len("l1d."):]: r.stats[k] for k in r.stats.index if k.startswith("l1d.pf_")}


def predicted(prefetcher, stride, **params):
    """The counts caches.predict derives from the prefetcher's rules and parameters (the
    same formulas benchmarks/memory_microbench.py prints as "expected")."""
    table = PREFETCHERS.get(prefetcher).params(**params) if prefetcher != "none" else None
    return stride_prefetch_counts(prefetcher, stride // LINE, N, table, LINE)


def check(r, *, misses, issued, useful, dropped_present=0):
    assert r.status == "exited", r.message
    s = pf(r)
    assert int(r.stats["l1d.read_misses"]) == misses
    assert (int(s["pf_issued"]), int(s["pf_useful"])) == (issued, useful)
    assert int(s["pf_dropped_present"]) == dropped_present
    assert int(s["pf_dropped_mshr"]) == 0 and int(s["pf_useless"]) == 0
    assert s["pf_coverage"] == pytest.approx(useful / (useful + misses))
    assert s["pf_accuracy"] == pytest.approx(useful / issued if issued else 0.0)
    return s


def test_without_a_prefetcher_every_line_misses(stream_elf):
    r = run(stream_elf, LINE)
    assert r.status == "exited", r.message
    assert int(r.stats["l1d.read_misses"]) == N
    assert not [k for k in r.stats.index if k.startswith("l1d.pf_")]   # no pf counters


def test_next_line_on_a_unit_stride(stream_elf):
    # Access 0 misses and asks line 1; every access k >= 1 is the first use of line k
    # (prefetched by access k-1) and asks line k+1: issued N (lines 1..N), useful N-1,
    # one miss: coverage = accuracy = (N-1)/N.
    # Timeliness (docs/caches.md, non-blocking caches): a prefetch asked at load k's lookup
    # (cycle m_k + 1) has its line at m_k + 41. Load 0 misses and holds MEM until m_0 + 41,
    # so load 1 (4 instructions later) finds line 1 complete: timely. Load 1 is a 1-cycle
    # hit, so load 2 comes ~4 cycles after it and finds line 2 in flight: late, and holds
    # MEM until line 2 arrives, which makes line 3 timely for load 3, and so on: the even
    # loads 2, 4, ..., 510 are late (255), the odd ones timely; the loop still runs faster
    # than with no prefetcher.
    want = dict(misses=1, issued=N, useful=N - 1, dropped_present=0)
    assert predicted("next_line", LINE) == want
    s = check(run(stream_elf, LINE, "next_line"), **want)
    assert s["pf_late"] == (N - 2) // 2
    assert s["pf_coverage"] == pytest.approx((N - 1) / N)
    base = run(stream_elf, LINE)
    r = run(stream_elf, LINE, "next_line")
    assert r.stats["core.cycles"] < 0.75 * base.stats["core.cycles"]


def test_next_line_misses_a_stride_of_two_lines(stream_elf):
    # Stride 2 lines: access k misses line 2k and asks 2k+1, which is never used:
    # coverage 0, accuracy 0, N issued.
    want = dict(misses=N, issued=N, useful=0, dropped_present=0)
    assert predicted("next_line", 2 * LINE) == want
    check(run(stream_elf, 2 * LINE, "next_line"), **want)
    # degree 2 reaches it: access 0 misses, asks 1, 2; access k >= 1 is the first use of
    # line 2k and asks 2k+1 (new) and 2k+2 (new): issued 2N, useful N-1.
    want = dict(misses=1, issued=2 * N, useful=N - 1, dropped_present=0)
    assert predicted("next_line", 2 * LINE, degree=2) == want
    check(run(stream_elf, 2 * LINE, "next_line", degree=2), **want)


def test_ip_stride_on_a_stride_of_two_lines(stream_elf):
    # degree 2, threshold 2: accesses 0..3 train (row taken over, stride set, conf 1,
    # conf 2) and miss; access 3 asks a4 and a5. Each access k >= 4 is the first use of a_k
    # and asks a_{k+1} (already in flight: dropped) and a_{k+2} (issued). Misses 4,
    # issued 2 + (N-4), useful N-4, dropped N-4: coverage (N-4)/N, accuracy (N-4)/(N-2).
    want = dict(misses=4, issued=N - 2, useful=N - 4, dropped_present=N - 4)
    assert predicted("ip_stride", 2 * LINE) == want
    s = check(run(stream_elf, 2 * LINE, "ip_stride"), **want)
    assert s["pf_accuracy"] == pytest.approx((N - 4) / (N - 2))


def test_stream_on_a_unit_stride(stream_elf):
    # train 2: in each 4 KiB region (64 lines) lines 0, 1, 2 miss (allocate, direction,
    # second step), then the stream asks lines 3 .. 63 (it never leaves the region), all
    # used: per region 3 misses, 61 issued, 61 useful; N/64 = 8 regions.
    regions = N // 64
    want = dict(misses=3 * regions, issued=61 * regions, useful=61 * regions,
                dropped_present=0)
    assert predicted("stream", LINE) == want
    s = check(run(stream_elf, LINE, "stream"), **want)
    assert s["pf_coverage"] == pytest.approx(61 / 64)
    assert s["pf_accuracy"] == 1.0
    assert s["pf_late"] < s["pf_useful"] / 4     # running 16 lines ahead: mostly timely


def test_stream_on_a_stride_of_two_lines(stream_elf):
    # Per region: 32 accesses at lines 0, 2, .., 62. Lines 0, 2, 4 miss; from the third
    # the stream asks every line from 5 up to 63 (59 lines), of which 6, 8, .., 62 (29)
    # are used: coverage 29/32, accuracy 29/59.
    regions = (N * 2) // 64
    want = dict(misses=3 * regions, issued=59 * regions, useful=29 * regions,
                dropped_present=0)
    assert predicted("stream", 2 * LINE) == want
    s = check(run(stream_elf, 2 * LINE, "stream"), **want)
    assert s["pf_coverage"] == pytest.approx(29 / 32)
    assert s["pf_accuracy"] == pytest.approx(29 / 59)


def test_best_offset_on_a_unit_stride(stream_elf):
    # D starts at 1; a learning phase needs at least 31 rounds of 26 triggers (> N), so D
    # stays 1 for the whole run. It never prefetches across a 4 KiB page: per page, line 0
    # misses, lines 1..63 are asked (by 0..62) and used; line 63 asks nothing.
    pages = N // 64
    want = dict(misses=pages, issued=63 * pages, useful=63 * pages, dropped_present=0)
    assert predicted("best_offset", LINE) == want
    s = check(run(stream_elf, LINE, "best_offset"), **want)
    assert s["pf_coverage"] == pytest.approx(63 / 64)


class NextLinePy(PythonPrefetcher):
    """next_line (tagged, degree 1) written in Python."""

    def on_access(self, pc, addr, hit, kind):
        if not hit or self.outcome in ("hit_prefetched", "late"):
            return [(addr // self.line_size + 1) * self.line_size]
        return []


class FailsLater(PythonPrefetcher):
    def __init__(self):
        self.n = 0

    def on_access(self, pc, addr, hit, kind):
        self.n += 1
        if self.n == 100:
            raise RuntimeError("table overflow")
        return []


def test_a_python_prefetcher_behaves_like_the_cython_one(stream_elf):
    cy = run(stream_elf, LINE, "next_line")
    py = run(stream_elf, LINE, "python", cls=NextLinePy)
    assert py.status == "exited", py.message
    assert pf(py) == pf(cy)
    assert py.stats["core.cycles"] == cy.stats["core.cycles"]


def test_a_python_prefetcher_that_raises_stops_the_run_with_a_summary(stream_elf):
    r = run(stream_elf, LINE, "python", cls=FailsLater)
    assert r.status == "prefetcher_error"
    assert r.message.startswith("l1d prefetcher FailsLater raised RuntimeError: table "
                                "overflow (at ")
    assert "test_prefetch_stream.py" in r.message and "in on_access" in r.message
    assert r.stats["core.instructions"] > 0                    # partial statistics kept
