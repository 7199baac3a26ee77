"""What a machine's parameters predict for the memory microbenchmarks of issue 10.

One place for the formulas: the tests (tests/caches/test_tlb_reach.py,
tests/caches/test_prefetch_stream.py, tests/caches/test_microbench_formulas.py) and the
table of benchmarks/memory_microbench.py import them, so the table's "expected" column is
what the tests check. Each function takes the config objects (SystemConfig sections) and
returns cycles, bytes per cycle or counts; the derivations are in the docstrings and in
docs/caches.md ("Microbenchmarks: expected against measured").
"""
from __future__ import annotations

from caches.config import MemoryConfig


def memory_cycles(memory, frequency) -> dict[str, int]:
    """The DRAM timings of `memory` (a MemoryConfig) in core cycles, rounded up as the
    builder rounds them."""
    if not isinstance(memory, MemoryConfig):
        raise TypeError("memory must be a caches.config.MemoryConfig")
    return memory.in_cycles(frequency)


def dram_read_latency(memory, frequency, case: str) -> int:
    """Unloaded latency of one read at DRAM (docs/dram.md, "The life of one request"):
    controller + the bank's commands + tCL + the burst. case: "hit" (the row is open: RD
    only), "miss" (bank precharged: ACT, tRCD, RD) or "conflict" (PRE, tRP, ACT, tRCD, RD).
    A fixed memory answers in its latency whatever the case."""
    if memory.kind == "fixed":
        return int(memory.latency)
    t = memory_cycles(memory, frequency)
    bank = {"hit": 0, "miss": t["tRCD"], "conflict": t["tRP"] + t["tRCD"]}[case]
    return t["controller_latency"] + bank + t["tCL"] + t["tBURST"]


def dram_peak_bytes_per_cycle(memory, frequency, line_size: int) -> float:
    """channels x line_size / tBURST: what the data buses can carry (Dram.peak_bytes_per_cycle)."""
    return memory.channels * line_size / memory_cycles(memory, frequency)["tBURST"]


def _levels(cfg):
    return [c for c in (cfg.l1d, cfg.l2, cfg.l3) if c is not None]


def chase_level(cfg, ws: int) -> int | None:
    """Which level serves a pointer chase over `ws` bytes of lines in one random cycle, in
    steady state: 1 (L1D), 2, 3, or 4 (memory); None when `ws` is within a factor of two
    of a level's size (the lines of a random cycle fill its sets unevenly, so part of them
    hit: no plateau). LRU on a cyclic sequence misses on every access once the lines of a
    set outnumber its ways; below half the size every set holds its share."""
    for i, c in enumerate(_levels(cfg), start=1):
        if ws <= c.size // 2:
            return i
        if ws < 2 * c.size:
            return None
    return 4


def chase_load_latency(cfg, ws: int) -> float | None:
    """Load-to-use latency of one step of a line-granular pointer chase over `ws` bytes
    with translation off (chase_level says which level answers): the hit latencies of the
    levels it passes, and for memory a DRAM read of a random line (dram_random_read).
    None between plateaus."""
    level = chase_level(cfg, ws)
    if level is None:
        return None
    levels = _levels(cfg)
    lat = sum(c.hit_latency for c in levels[:level])
    if level == 4:
        lat += dram_random_read(cfg.memory, cfg.core.frequency, ws, period=lat)
    return lat


def dram_random_read(memory, frequency, ws: int, period: float) -> float:
    """Mean DRAM latency of dependent reads of random lines of a `ws`-byte set, each
    issued `period` cycles (the rest of a pointer chase's step: the caches' tag checks)
    after the previous one returned. A read finds its bank's row
    open with probability p = banks x ranks x channels x row_size / ws (the set's rows
    spread evenly over the banks, and the open row is the one last read there): a row hit,
    else a row conflict. Refresh: in each tREFI one read of the chain meets the rank
    refreshing (or would overlap it) and waits, on average, half of tRFC plus one step,
    i.e. S / tREFI x (tRFC + S) / 2 cycles a read, S = conflict latency + period.
    A fixed memory answers in its latency."""
    if memory.kind == "fixed":
        return float(memory.latency)
    t = memory_cycles(memory, frequency)
    conflict = dram_read_latency(memory, frequency, "conflict")
    banks = memory.banks * memory.ranks * memory.channels
    p = min(1.0, banks * memory.row_size / ws)
    lat = conflict - p * (t["tRP"] + t["tRCD"])
    if t["tREFI"]:
        step = conflict + period
        lat += step / t["tREFI"] * (t["tRFC"] + step) / 2
    return lat


def translation_cycles(tlb, ws: int, page: int = 4096) -> int | None:
    """Translation cycles per load of a page-granular chase (one link per page, the pages in
    one random cycle) over `ws` bytes, after a warm cycle (docs/tlb.md): 0 while the pages
    fit the DTLB (fully associative LRU: at most dtlb_entries / 2 x page here, the code,
    stack and heap pages share it), l2tlb_latency while they outgrow the DTLB but fit the
    L2 TLB (2 x DTLB reach to L2 TLB reach / 2: every load misses the DTLB, consecutive
    pages fill the L2 TLB's sets evenly), None beyond (a walk per load: at least
    l2tlb_latency, the rest depends on where the PTEs are cached) and in the transitions."""
    dtlb_reach = tlb.dtlb_entries * page
    l2_reach = tlb.l2tlb_entries * page
    if ws <= dtlb_reach // 2:
        return 0
    if 2 * dtlb_reach <= ws <= l2_reach // 2:
        return tlb.l2tlb_latency
    return None


def refresh_fraction(memory, frequency) -> float:
    """Share of the time a rank is refreshing, tRFC / tREFI (0 for a fixed memory or with
    refresh off): no command or data of the rank can overlap it (docs/dram.md rule 8)."""
    if memory.kind == "fixed":
        return 0.0
    t = memory_cycles(memory, frequency)
    return t["tRFC"] / t["tREFI"] if t["tREFI"] else 0.0


def stream_bandwidth(cfg, mshrs: int, row: str = "hit") -> float:
    """DRAM bytes per cycle of a stream of independent loads to consecutive lines, with
    `mshrs` L1D MSHRs and a non-blocking core that nothing else holds up (Little's law):
    each MSHR holds one line for the unloaded miss latency (L1D + L2 (+ L3) hit latencies
    + a DRAM read of `row` case: consecutive lines stay in one open row with the default
    mapping), so bandwidth = min(mshrs x line / latency, channels x line / tBURST), less
    the share of the time the rank is refreshing. Queueing near the peak (the latency
    grows as the bus fills) makes the measured value lower there; the peak is never
    passed."""
    line = cfg.l1d.line_size
    latency = sum(c.hit_latency for c in _levels(cfg))
    latency += dram_read_latency(cfg.memory, cfg.core.frequency, row)
    peak = dram_peak_bytes_per_cycle(cfg.memory, cfg.core.frequency, line)
    return min(mshrs * line / latency, peak) * (1 - refresh_fraction(cfg.memory,
                                                                    cfg.core.frequency))


def store_then_load_wait(cfg, row_misses: float = 0.0) -> float:
    """Cycles a load waits for the line of a store that missed one cycle before it (rule 2
    of docs/caches.md: the line is usable when its fill completes, and the load is an MSHR
    hit): the store's miss latency less the one cycle between them. The miss latency is
    the L1D's tag check plus the levels below: their hit latencies and memory's, a DRAM
    row hit, or for the fraction `row_misses` of the stores the first access to a row of
    an idle bank (tRCD more)."""
    levels = _levels(cfg)
    lat = sum(c.hit_latency for c in levels)
    hit = dram_read_latency(cfg.memory, cfg.core.frequency, "hit")
    miss = dram_read_latency(cfg.memory, cfg.core.frequency, "miss")
    return lat + hit + row_misses * (miss - hit) - 1


def stride_prefetch_counts(prefetcher: str, stride_lines: int, n: int, params,
                           line: int = 64) -> dict:
    """Demand misses, prefetches issued, useful and dropped-as-present of an L1D
    prefetcher on `n` loads walking lines 0, s, 2s, ... (s = `stride_lines`) of a buffer
    starting on a page (region) boundary, in a cache that evicts nothing, with MSHRs never
    all busy (tests/caches/test_prefetch_stream.py's machine); `params` the prefetcher's
    parameter table. Coverage = useful / (useful + misses), accuracy = useful / issued.
    Derived from each design's rules (docs/caches.md, "Prefetchers"); raises ValueError for
    a case not derived here."""
    s = stride_lines
    if prefetcher == "none":
        return {"misses": n, "issued": 0, "useful": 0, "dropped_present": 0}
    if prefetcher == "next_line" and params.tagged:
        d = params.degree
        if s <= d:
            # access 0 misses and asks lines 1 .. d; access k >= 1 is the first use of
            # line k s (prefetched) and asks the d lines after it, of which the last s are
            # new: every line 1 .. (n - 1) s + d is issued once, the rest are dropped
            issued = (n - 1) * s + d
            return {"misses": 1, "issued": issued, "useful": n - 1,
                    "dropped_present": (n - 1) * d - (issued - d)}
        # the stream outruns the prefetches: every access misses and asks d lines, none used
        return {"misses": n, "issued": n * d, "useful": 0, "dropped_present": 0}
    if prefetcher == "ip_stride" and s >= 1:
        # threshold t: accesses 0 .. t + 1 train (row taken over, stride set, confidence
        # 1 .. t) and miss; the last of them asks the next `degree` strides. Each later
        # access is the first use of a prefetched line and asks degree strides ahead, of
        # which degree - 1 are already present or in flight: one new line each.
        t, d = params.threshold, params.degree
        train = t + 2
        return {"misses": train, "issued": d + (n - train), "useful": n - train,
                "dropped_present": (n - train) * (d - 1)}
    if prefetcher == "stream":
        # per region: the first train + 1 accesses miss (allocate, set the direction, then
        # train same-direction steps); from the last of them, at line (train) x s, the
        # stream asks every line after it up to the region's end (it stays `distance`
        # ahead and never leaves the region), and the demand accesses among them are used
        lines_per_region = params.region // line
        per_region = lines_per_region // s                  # accesses in one region
        train = params.train + 1
        first = (train - 1) * s + 1
        issued = lines_per_region - first
        useful = per_region - train
        regions = n // per_region
        return {"misses": train * regions, "issued": issued * regions,
                "useful": useful * regions, "dropped_present": 0}
    if prefetcher == "best_offset":
        # D stays at its start value 1 while no learning phase can end (a phase needs at
        # least score_max rounds of the offset list: more triggers than n here). Unit
        # stride: per page line 0 misses and lines 1 .. last are asked by their
        # predecessors and used. Larger strides: every access misses and asks the line
        # after it (never used), except on a page's last line (no prefetch across pages).
        pages_lines = params.page // line
        if s == 1:
            pages = n // pages_lines
            return {"misses": pages, "issued": (pages_lines - 1) * pages,
                    "useful": (pages_lines - 1) * pages, "dropped_present": 0}
        last = (n * s) // pages_lines if (pages_lines - 1) % s == 0 else 0
        return {"misses": n, "issued": n - last, "useful": 0, "dropped_present": 0}
    raise ValueError(f"no derivation for {prefetcher} at a stride of {stride_lines} lines")
