"""How much host memory a modeled machine needs, checked before it is built.

Every field has an upper bound (cyclesim.params), but the bounds are per field: four 2 GiB
cache levels, each within its range, still need gigabytes of tag and replacement state.
``estimate`` adds up the arrays the timing model allocates for a config (the byte counts
below follow the allocations in caches/*.pyx, caches/policies/*.pyx, pipeline/bpred.pyx,
pipeline/predictors/tage.pyx and the trace buffers of pipeline/inorder.pyx), and
``check`` refuses, with one sentence, a run whose estimate exceeds the memory the host has
available (``/proc/meminfo`` MemAvailable, or the ``CYCLESIM_HOST_MEMORY`` environment
variable, a size such as ``4GiB``, to give a run less than the whole machine).

The estimate is deliberately an upper bound of the config's own arrays; the guest's memory
is bounded separately by ``mem_limit``, and the Python interpreter itself is not counted.
"""
from __future__ import annotations

import os

from cyclesim.errors import ConfigError

__all__ = ["estimate", "check", "available_host_memory", "human_size", "cache_level_bytes"]

# Per cache line, what every level has: tag (8 B), dirty flag (1 B) and fill-ready cycle
# (8 B) in caches/cache.pyx, and the replacement state (at most 8 B a line: fifo's and
# lru's uint64; plru, srrip, drrip and ship need less).
CACHE_BYTES_PER_LINE = 8 + 1 + 8 + 8
# Only where the config enables them: the prefetched bit (1 B) of a level with a
# prefetcher; the miss classifier's fully-associative shadow (key 8 B, two links 2 x 4 B,
# hash table of 2-4 slots x 4 B per line: caches/shadow.pyx) of a level that classifies
# (classify_misses, caches.config.classifies); a private level's coherence state under a
# protocol (permission 1 B, written-word mask 8 B: Cache.join_coherence).
PREFETCH_BYTES_PER_LINE = 1
SHADOW_BYTES_PER_LINE = 8 + 8 + 16
COHERENCE_BYTES_PER_LINE = 1 + 8


def cache_level_fixed_bytes(c) -> int:
    """Per cache level, whatever its size: the port calendar (1024 cycles x 12 B), per MSHR
    its line, free-at cycle and serving level (17 B), per writeback / write-through buffer
    entry a free-at cycle (8 B) (caches/cache.pyx)."""
    return (1024 * 12 + 17 * int(c.mshrs)
            + 8 * (int(getattr(c, "writeback_buffer", 8))
                   + int(getattr(c, "write_through_buffer", 8))))


def cache_level_bytes(c, level_id: int, coherent: bool = False) -> int:
    """Host bytes of one cache level built from CacheConfig `c` at level `level_id`
    (1 = L1): its per-line arrays, the parts its config enables, the valid-way count per
    set (4 B) and the fixed part."""
    from caches.config import CacheConfig, classifies

    per_line = CACHE_BYTES_PER_LINE
    if getattr(c, "prefetcher", "none") != "none":
        per_line += PREFETCH_BYTES_PER_LINE
    if classifies(getattr(c, "classify_misses", CacheConfig.classify_misses), level_id):
        per_line += SHADOW_BYTES_PER_LINE
    if coherent:
        per_line += COHERENCE_BYTES_PER_LINE
    extra = 0
    table = getattr(c, "policy_params", None)
    if table is not None and hasattr(table, "shct_entries"):
        extra = int(table.shct_entries)
    lines = c.size // c.line_size
    sets = lines // int(c.assoc)
    return lines * per_line + 4 * sets + extra + cache_level_fixed_bytes(c)


# Per branch-predictor entry: a 1-byte 2-bit counter (pipeline/bpred.pyx); BTB entries hold
# tag, target and LRU stamp (3 x 8 B); RAS entries one 8-byte address.
BTB_BYTES_PER_ENTRY = 24
RAS_BYTES_PER_ENTRY = 8
# TAGE per tagged entry: counter (1 B), tag (2 B), useful bits (1 B).
TAGE_BYTES_PER_ENTRY = 4
# A traced instruction: one pipeline record and up to three memory records in the C
# buffers, then about as much again when the result turns them into DataFrames.
TRACE_COPIES = 2


def _trace_record_bytes(pipeline: bool, memory: bool) -> int:
    from pipeline.trace import MEM_DTYPE, PIPE_DTYPE

    return PIPE_DTYPE.itemsize * bool(pipeline) + 3 * MEM_DTYPE.itemsize * bool(memory)


def estimate(config, trace_count: int = 0, pipeline: bool = True,
             memory: bool = True) -> dict[str, int]:
    """Host bytes each part of the timing model of `config` allocates, by part name
    ("l1d", "bpred", "trace", ...), with a trace of `trace_count` instructions (0 = none)
    recording `pipeline` and/or `memory` records."""
    from caches.build import level_is_shared

    parts: dict[str, int] = {}
    cores = int(getattr(config, "cores", 1))
    coherence = getattr(config, "coherence", None)
    protocol = cores > 1 and getattr(coherence, "protocol", "none") != "none"
    has_l3 = getattr(config, "l3", None) is not None
    for name, c in config.cache_levels():
        level_id = {"l2": 2, "l3": 3}.get(name, 1)
        # a private level is built once per core (caches/build.py), and only private
        # levels carry coherence state
        private = not level_is_shared(name, c, has_l3)
        copies = cores if private else 1
        parts[name] = copies * cache_level_bytes(c, level_id, protocol and private)
    b = config.bpred
    nbytes = BTB_BYTES_PER_ENTRY * b.btb_entries + RAS_BYTES_PER_ENTRY * b.ras_depth
    kp = getattr(b, "kind_params", None)
    if b.kind in ("bimodal", "gshare"):
        nbytes += b.table_entries
    elif b.kind in ("static_nt", "btfn"):
        pass
    elif kp is not None and hasattr(kp, "log_table_entries"):      # tage: its own tables
        nbytes += (kp.num_tables * (TAGE_BYTES_PER_ENTRY << kp.log_table_entries)
                   + (1 << kp.log_base_entries) + 2048)
    else:                               # tournament, and any other plug-in: two tables
        nbytes += 2 * b.table_entries + b.chooser_entries
    parts["bpred"] = nbytes
    parts["store buffer"] = 8 * (config.core.store_buffer_entries + 1)
    if trace_count:
        parts["trace"] = TRACE_COPIES * trace_count * _trace_record_bytes(pipeline, memory)
    return parts


def available_host_memory() -> int:
    """Bytes a run may use: CYCLESIM_HOST_MEMORY if set, else MemAvailable, else all RAM."""
    text = os.environ.get("CYCLESIM_HOST_MEMORY")
    if text:
        from cyclesim.units import parse_size

        return parse_size(text, "CYCLESIM_HOST_MEMORY")
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62          # unknown: do not refuse


def check(config, trace_count: int = 0, pipeline: bool = True, memory: bool = True,
          available: int | None = None) -> int:
    """The estimated bytes; a ConfigError when they exceed the available host memory."""
    parts = estimate(config, trace_count, pipeline, memory)
    total = sum(parts.values())
    if available is None:
        available = available_host_memory()
    if total > available:
        part, biggest = max(parts.items(), key=lambda kv: kv[1])
        fix = ("a smaller trace window (--trace-window / trace_window=)" if part == "trace"
               else f"a smaller {part}" + (" cache" if part.startswith("l") else ""))
        raise ConfigError(f"this run needs about {human_size(total)} of host memory (most "
                          f"of it {part}: {human_size(biggest)}), more than the "
                          f"{human_size(available)} available; choose {fix}.")
    return total


def human_size(n: int) -> str:
    """A byte count for a sentence: "1.5 GiB", "152.6 TiB", "640 KiB"."""
    for name, unit in (("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30),
                       ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= unit:
            return f"{n / unit:.1f} {name}".replace(".0 ", " ")
    return f"{n} B"


def own_peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM). getrusage's ru_maxrss is not
    it: Linux carries the parent's peak across the exec that started a child, so a child of
    a large process reports the parent's size."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
