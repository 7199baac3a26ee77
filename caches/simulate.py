"""Trace-driven mode: cache studies without a program (docs/trace-driven.md).

    import cyclesim
    r = cyclesim.caches.simulate("app.din", preset="application", overrides={"l1d.size": "16KiB"})
    r.stats["l1d.misses"], r.stats["l2.mpki"]
    mrc = cyclesim.caches.miss_ratio_curve("app.din", line_size=64)

`simulate` builds the same cache hierarchy a run builds from the same config (the l1i, l1d,
l2, l3 and memory sections; the core section gives only the clock that turns DRAM times into
cycles) and drives it with the trace's records (caches/replay.pyx says how and when each is
issued). The stats have the names of a run's: l1d.misses, l2.mpki, dram.row_hits, ...
`miss_ratio_curve` and `reuse_distances` need no config: one pass of exact LRU stack
distances (caches/stackdist.pyx) gives the misses of every cache size at once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from caches.policies import POLICIES

# caches.replay cimports caches.policies.fifo, which registers "fifo" when it is imported:
# load the whole registry first so that the names keep their order (the files' order).
POLICIES.names()

from caches.replay import (ISSUE_BLOCKING, ISSUE_CYCLE, ISSUE_GAP,  # noqa: E402
                           count_replay, counts_only_supported, replay)
from caches.stackdist import stack_distances, stack_distances_by_set  # noqa: E402
from caches.tracefile import FLUSH, IFETCH, Trace, as_trace  # noqa: E402
from cyclesim.errors import ConfigError, TraceError  # noqa: E402

ISSUE_RULES = {"blocking": ISSUE_BLOCKING, "gap": ISSUE_GAP, "trace": ISSUE_CYCLE}
# Per-access results are kept in memory; beyond this many records use aggregate stats.
MAX_PER_ACCESS = 50_000_000
_EMPTY64 = np.empty(0, np.uint64)
# With timing=False: the cache counters that depend on time (dropped), and the main-memory
# counters that do not (kept).
TIMING_STATS = ("mshr_hits", "mshr_allocations", "mshr_full_stalls", "mshr_full_stall_cycles",
                "port_stalls", "port_stall_cycles", "writeback_buffer_full_stalls",
                "writeback_buffer_full_stall_cycles", "write_through_buffer_full_stalls",
                "write_through_buffer_full_stall_cycles")
MEMORY_COUNTS = ("accesses", "reads", "writes")


class TraceResult:
    """What `simulate` returns: `stats` (a pandas Series of dotted names, as a run's),
    `accesses` (a DataFrame, one row per record, when per_access=True), `config`, and
    `kernel`: "counts" when timing=False ran the counting kernel, else "hierarchy"."""

    def __init__(self, trace, config, stats, accesses, kernel="hierarchy"):
        self.trace = trace
        self.config = config
        self.stats = stats
        self.accesses = accesses
        self.kernel = kernel

    def __repr__(self):
        s = self.stats
        parts = [f"{int(s['trace.records']):,} records"]
        for lvl in ("l1i", "l1d", "l2", "l3"):
            if f"{lvl}.accesses" in s and s[f"{lvl}.accesses"]:
                parts.append(f"{lvl} miss rate {s[f'{lvl}.miss_rate']:.2%}")
        return f"<TraceResult {self.trace.name}: {', '.join(parts)}>"

    def report(self) -> str:
        """The hierarchy's counters as an aligned text table."""
        lines = [f"trace      {self.trace.name} ({self.trace.format})",
                 f"records    {int(self.stats['trace.records']):,}"]
        if "trace.cycles" not in self.stats:
            lines.append(f"timing     off (counts only, {self.kernel} kernel)")
        if "trace.instructions" in self.stats:
            lines.append(f"instrs     {int(self.stats['trace.instructions']):,}")
        lines.append(f"{'level':<6}{'accesses':>14}{'misses':>14}{'miss rate':>11}"
                     f"{'mpki':>10}")
        for lvl in ("l1i", "l1d", "l2", "l3"):
            if f"{lvl}.accesses" not in self.stats:
                continue
            acc = int(self.stats[f"{lvl}.accesses"])
            miss = int(self.stats[f"{lvl}.misses"])
            mpki = self.stats.get(f"{lvl}.mpki")
            lines.append(f"{lvl:<6}{acc:>14,}{miss:>14,}{(miss / acc if acc else 0):>11.2%}"
                         f"{'' if mpki is None else format(mpki, '.2f'):>10}")
        return "\n".join(lines)


def simulate(trace, config=None, preset=None, overrides=None, *, format=None,
             issue="blocking", gap=1, per_access=False, classify_misses=False, warmup=0,
             instructions=None, default_size=1, cores=None, timing=True) -> TraceResult:
    """Run an address trace through the cache hierarchy of a configuration.

    trace: a path (lackey, din, dinx, ChampSim, cyclesim Parquet; compressed or not), a
        pandas DataFrame / NumPy structured array / dict with columns addr, kind and
        optionally size, pc, cycle or gap; or a caches.tracefile.Trace.
    config, preset, overrides: as for cyclesim.run (only the cache and memory sections matter).
    issue: "blocking" (each access waits for the previous one), "gap" (record i issued `gap`
        cycles after record i-1) or "trace" (at the trace's cycle column).
    per_access: also return one row per record (latency, level that served it).
    timing: False counts only (hits, misses, evictions, writebacks, main-memory reads and
        writes; no latencies, cycles, MSHR, port, buffer or DRAM-timing stats; `issue` and
        `gap` play no part). A hierarchy without prefetchers or coherence then runs
        through the counting kernel of caches/replay.pyx, several times faster, with the
        counts the timed run gives; any other falls back to the timed hierarchy.
    classify_misses: split misses into compulsory / capacity / conflict (slower).
    warmup: records that only warm the caches (their stats are dropped).
    instructions: how many instructions the trace covers, for MPKI, if the trace does not say.
    cores: the cores of the machine; a trace with a `core` column (0, 1, ...) drives each
        core's private caches with its records, in trace order, each core issuing by its
        own clock, under the config's coherence protocol (stats core<i>.l1d.misses, ...,
        coherence.invalidations). None: the config's cores, else 1 + the largest core
        number in the trace's first chunk.
    """
    from caches.build import build_hierarchy
    from cyclesim.config import resolve_config
    if issue not in ISSUE_RULES:
        raise ConfigError(f"issue = {issue!r}; use one of {', '.join(ISSUE_RULES)}")
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or not 0 <= gap < 2**32:
        raise ConfigError(f"gap = {gap!r}; give whole cycles between records, 0 to 2**32-1")
    if not isinstance(timing, (bool, np.bool_)):
        raise ConfigError(f"timing = {timing!r}; give True (latencies and cycles) or False "
                          f"(counts only)")
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup < 0:
        raise ConfigError(f"warmup = {warmup!r}; give a number of records, 0 or more")
    tr = as_trace(trace, format, default_size=default_size)
    cfg = resolve_config(config, preset, overrides)
    if cores is None:
        cores = getattr(cfg, "cores", None)
        if cores == 1:          # the config's default: let a trace's core column decide
            cores = None
    if cores is None:
        first = next(iter(tr.chunks()), None)
        cores = 1 if first is None or first.core is None or not len(first) else \
            int(first.core.max()) + 1
    if isinstance(cores, bool) or not isinstance(cores, (int, np.integer)) \
            or not 1 <= cores <= 64:
        raise ConfigError(f"cores = {cores!r}; give the number of cores, 1 to 64")
    h = build_hierarchy(cfg.l1i, cfg.l1d, cfg.l2, cfg.l3, cfg.memory, cfg.core.frequency,
                        classify_misses=bool(classify_misses), cores=int(cores),
                        coherence=getattr(cfg, "coherence", None) or _default_coherence())
    iline, dline = h.l1i.line_size, h.l1d.line_size
    rule = ISSUE_RULES[issue]
    caches = [lv for lv in h.levels.values() if lv is not _memory_of(h)]
    counting = (not timing and len(h.cores) == 1 and not h.tlbs
                and counts_only_supported(caches) is None)
    mem_counts = [0, 0]
    now = 0 if len(h.cores) == 1 else [0] * len(h.cores)
    records = pieces = flushes = 0
    warm_left = int(warmup)
    lat_parts, lvl_parts = [], []
    for ch in tr.chunks():
        n = len(ch)
        if rule == ISSUE_CYCLE and ch.cycle is None:
            raise TraceError(f"issue='trace' needs cycle (or gap) times in the trace; "
                             f"{tr.name} has none: use issue='blocking' or 'gap'")
        if per_access and records + n > MAX_PER_ACCESS:
            raise TraceError(f"per_access=True keeps one row per record in memory, and "
                             f"{tr.name} has more than {MAX_PER_ACCESS:,}; drop per_access "
                             f"or simulate a slice of the trace")
        pc = ch.pc if ch.pc is not None else _EMPTY64
        cyc = ch.cycle if ch.cycle is not None else _EMPTY64
        start = 0
        if warm_left:
            w = min(warm_left, n)
            if counting:
                _count(h, caches, iline, dline, ch, 0, w, pc, per_access, lat_parts,
                       lvl_parts, mem_counts)
            else:
                out = _run(h, iline, dline, ch, 0, w, pc, cyc, rule, gap, now, per_access,
                           lat_parts, lvl_parts)
                now = out[0]
            warm_left -= w
            start = w
            if not warm_left:
                h.reset_stats()
                mem_counts[:] = [0, 0]
                records = pieces = flushes = 0
                lat_parts.clear()
                lvl_parts.clear()
        if start < n and counting:
            out = _count(h, caches, iline, dline, ch, start, n, pc, per_access, lat_parts,
                         lvl_parts, mem_counts)
            records += n - start
            pieces += out[0]
            flushes += out[1]
        elif start < n:
            out = _run(h, iline, dline, ch, start, n, pc, cyc, rule, gap, now, per_access,
                       lat_parts, lvl_parts)
            now = out[0]
            records += n - start
            pieces += out[1]
            flushes += out[2]
    if instructions is None:
        instructions = tr.instructions
    if warmup and tr.instructions is not None and instructions == tr.instructions:
        instructions = None         # the trace's count includes the warm-up records
    stats = h.stats(instructions)
    stats["trace.records"] = records
    stats["trace.line_accesses"] = pieces
    stats["trace.flushes_ignored"] = flushes
    if instructions is not None:
        stats["trace.instructions"] = int(instructions)
    if timing:
        # cycle after the last record was issued (the latest core's, with several)
        stats["trace.cycles"] = int(now) if len(h.cores) == 1 else int(max(now))
    else:
        stats = _counts_of(h, stats, mem_counts if counting else None)
    series = pd.Series(stats).sort_index()
    accesses = None
    if per_access:
        accesses = _access_frame(tr, lat_parts, lvl_parts, warmup)
        if not timing:
            accesses = accesses.drop(columns="latency")
    return TraceResult(tr, cfg, series, accesses, "counts" if counting else "hierarchy")


def _memory_of(h):
    """The main-memory level of a hierarchy (the one level that is not a cache)."""
    from caches.cache import Cache
    return next(lv for lv in h.levels.values() if not isinstance(lv, Cache))


def _counts_of(h, stats, mem_counts):
    """The stats of a counts-only simulation: no time-dependent counter; main memory's
    accesses, reads and writes (from the counting kernel when it ran)."""
    mem = _memory_of(h)
    mem_name = next(n for n, lv in h.levels.items() if lv is mem)
    out = {}
    for key, v in stats.items():
        level, _, name = key.rpartition(".")
        if level == mem_name:
            if name in MEMORY_COUNTS:
                out[key] = v
        elif name not in TIMING_STATS:
            out[key] = v
    if mem_counts is not None:
        out[f"{mem_name}.reads"], out[f"{mem_name}.writes"] = mem_counts
        out[f"{mem_name}.accesses"] = sum(mem_counts)
    return out


def _count(h, caches, iline, dline, ch, lo, hi, pc, per_access, lat_parts, lvl_parts,
           mem_counts):
    """Records [lo, hi) of chunk `ch` through the counting kernel (one core, counts only);
    returns (line accesses, flushes skipped) and adds main-memory reads/writes."""
    n = hi - lo
    lvl = None
    if per_access:
        lvl = np.empty(n, np.uint8)
        lat_parts.append((ch, lo, hi, np.zeros(n, np.uint32)))
        lvl_parts.append(lvl)
    if ch.core is not None and n and ch.core[lo:hi].max() > 0:
        raise TraceError(f"the trace names core {int(ch.core[lo:hi].max())} but the "
                         f"machine has 1 core; set cores")
    out = count_replay(h.l1i, h.l1d, caches, _memory_of(h), iline, dline, ch.addr[lo:hi],
                       ch.size[lo:hi], ch.kind[lo:hi], pc[lo:hi] if pc.shape[0] else pc, lvl)
    mem_counts[0] += out[2]
    mem_counts[1] += out[3]
    return out[0], out[1]


def _default_coherence():
    from caches.config import CoherenceConfig
    return CoherenceConfig()


def _run(h, iline, dline, ch, lo, hi, pc, cyc, rule, gap, now, per_access, lat_parts,
         lvl_parts):
    """Records [lo, hi) of chunk `ch`; `now` is the clock (one per core with several: a
    list, updated in place). Returns (clock after, line accesses, flushes skipped)."""
    n = hi - lo
    lat = lvl = None
    if per_access:
        lat = np.empty(n, np.uint32)
        lvl = np.empty(n, np.uint8)
        lat_parts.append((ch, lo, hi, lat))
        lvl_parts.append(lvl)
    if len(h.cores) == 1:
        if ch.core is not None and n and ch.core[lo:hi].max() > 0:
            raise TraceError(f"the trace names core {int(ch.core[lo:hi].max())} but the "
                             f"machine has 1 core; set cores")
        return replay(h.l1i, h.l1d, iline, dline, ch.addr[lo:hi], ch.size[lo:hi],
                      ch.kind[lo:hi], pc[lo:hi] if pc.shape[0] else pc,
                      cyc[lo:hi] if cyc.shape[0] else cyc, rule, int(gap), int(now), lat,
                      lvl)
    # several cores: runs of consecutive records of one core go through that core's L1s
    core = ch.core[lo:hi] if ch.core is not None else np.zeros(n, np.uint8)
    if n and int(core.max()) >= len(h.cores):
        raise TraceError(f"the trace names core {int(core.max())} but the machine has "
                         f"{len(h.cores)} cores; set cores")
    cuts = np.flatnonzero(np.diff(core)) + 1
    starts = np.concatenate(([0], cuts)).astype(np.int64)
    ends = np.concatenate((cuts, [n])).astype(np.int64)
    pieces = flushes = 0
    for a, b in zip(starts.tolist(), ends.tolist()):
        c = int(core[a])
        part = h.cores[c]
        out = replay(part.l1i, part.l1d, iline, dline, ch.addr[lo + a:lo + b],
                     ch.size[lo + a:lo + b], ch.kind[lo + a:lo + b],
                     pc[lo + a:lo + b] if pc.shape[0] else pc,
                     cyc[lo + a:lo + b] if cyc.shape[0] else cyc, rule, int(gap),
                     int(now[c]), None if lat is None else lat[a:b],
                     None if lvl is None else lvl[a:b])
        now[c] = out[0]
        pieces += out[1]
        flushes += out[2]
    return now, pieces, flushes


LEVEL_NAMES = {0: None, 1: "L1", 2: "L2", 3: "L3", 4: "memory"}
KIND_NAMES = {0: "ifetch", 1: "load", 2: "store", 3: "amo", FLUSH: "flush"}


def _access_frame(tr, lat_parts, lvl_parts, warmup):
    cols = {"addr": [], "size": [], "kind": [], "pc": [], "latency": [], "level": []}
    for (ch, lo, hi, lat), lvl in zip(lat_parts, lvl_parts):
        cols["addr"].append(ch.addr[lo:hi])
        cols["size"].append(ch.size[lo:hi])
        cols["kind"].append(ch.kind[lo:hi])
        cols["pc"].append(ch.pc[lo:hi] if ch.pc is not None else np.zeros(hi - lo, np.uint64))
        cols["latency"].append(lat)
        cols["level"].append(lvl)
    if not cols["addr"]:
        return pd.DataFrame(columns=list(cols))
    df = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
    df.index = pd.RangeIndex(warmup, warmup + len(df), name="record")
    df["kind"] = pd.Categorical(df["kind"].map(KIND_NAMES))
    df["level"] = df["level"].map(LEVEL_NAMES)
    return df


# ---- one-pass LRU analysis --------------------------------------------------------------

STREAMS = {"data": "loads, stores and AMOs", "instruction": "instruction fetches",
           "unified": "every access"}


def _lines_of(tr, line_size, stream):
    """Line numbers touched, in order, by the records of `stream` (a record that crosses a
    line boundary touches each of its lines in turn, as in simulate)."""
    if stream not in STREAMS:
        raise ConfigError(f"stream = {stream!r}; use one of {', '.join(STREAMS)}")
    if line_size < 1 or line_size & (line_size - 1):
        raise ConfigError(f"line_size = {line_size!r}; give a power of two in bytes")
    shift = int(line_size).bit_length() - 1
    parts = []
    for ch in tr.chunks():
        k = ch.kind
        keep = k != FLUSH
        if stream == "data":
            keep &= k != IFETCH
        elif stream == "instruction":
            keep &= k == IFETCH
        a = ch.addr[keep]
        s = ch.size[keep].astype(np.uint64)
        first = a >> np.uint64(shift)
        last = (a + np.maximum(s, 1) - np.uint64(1)) >> np.uint64(shift)
        span = (last - first + np.uint64(1)).astype(np.int64)
        if span.shape[0] and span.max() > 1:
            rep = np.repeat(first, span)
            starts = np.repeat(np.cumsum(span) - span, span)
            rep += (np.arange(rep.shape[0], dtype=np.int64) - starts).astype(np.uint64)
            parts.append(rep)
        else:
            parts.append(first)
    if not parts:
        return np.empty(0, np.uint64)
    return np.concatenate(parts)


def reuse_distances(trace, line_size=64, *, stream="data", sets=1, format=None):
    """Histogram of exact LRU stack (reuse) distances: a DataFrame with columns distance
    (-1 = first reference, a cold miss) and count, and, per row, the cumulative hit ratio of
    an LRU cache holding distance + 1 lines per set."""
    tr = as_trace(trace, format)
    lines = _lines_of(tr, int(line_size), stream)
    d = stack_distances_by_set(lines, _sets(sets))
    vals, counts = np.unique(d, return_counts=True)
    df = pd.DataFrame({"distance": vals, "count": counts})
    n = max(len(d), 1)
    warm = df["distance"] >= 0
    df["hit_ratio_if_larger"] = 0.0
    df.loc[warm, "hit_ratio_if_larger"] = df.loc[warm, "count"].cumsum() / n
    return df


def _sets(sets):
    sets = int(sets)
    if sets < 1 or sets & (sets - 1):
        raise ConfigError(f"sets = {sets!r}; give a power of two (1 = fully associative)")
    return sets


def miss_ratio_curve(trace, line_size=64, *, sets=1, sizes=None, max_ways=None,
                     stream="data", format=None) -> pd.DataFrame:
    """Misses of an LRU, write-allocate cache of every size, from one pass.

    sets=1: fully associative; one row per capacity in lines (powers of two up to the
    number of distinct lines, or `sizes` in bytes). sets=S: S sets of 1..max_ways ways (all
    ways up to the largest reuse distance seen, or max_ways). Columns: size (bytes), sets,
    ways, accesses, misses, miss_ratio, cold_misses. Each row's misses equal those of
    simulating that cache alone on the same accesses (LRU's inclusion property)."""
    tr = as_trace(trace, format)
    line_size = int(line_size)
    lines = _lines_of(tr, line_size, stream)
    sets = _sets(sets)
    d = stack_distances_by_set(lines, sets)
    n = d.shape[0]
    cold = int((d < 0).sum())
    warm = np.sort(d[d >= 0])
    if sizes is not None:
        ways = []
        for s in sizes:
            s = int(s)
            if s <= 0 or s % (sets * line_size):
                raise ConfigError(f"size {s} B is not a whole number of ways of {sets} sets "
                                  f"x {line_size} B lines")
            ways.append(s // (sets * line_size))
    elif sets == 1:
        top = int(np.unique(lines).shape[0]) if n else 1
        ways = [1 << i for i in range(max(top, 1).bit_length() + 1)]
    else:
        top = int(warm[-1]) + 1 if warm.shape[0] else 1
        if max_ways is not None:
            top = int(max_ways)
        ways = list(range(1, top + 1))
    ways = np.asarray(ways, dtype=np.int64)
    # hits of a cache with A ways = accesses with distance < A
    hits = np.searchsorted(warm, ways, side="left")
    misses = n - hits
    return pd.DataFrame({
        "size": ways * sets * line_size, "sets": sets, "ways": ways,
        "accesses": n, "misses": misses,
        "miss_ratio": misses / n if n else 0.0, "cold_misses": cold,
    })
