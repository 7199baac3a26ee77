"""Parameters of one cache level and of main memory (pure Python, no Cython).

Field names are a fixed contract with the cache models and the hierarchy builder. The field
defaults of ``CacheConfig`` are those of an L1D; the geometry each *level* starts from
(``l1i``, ``l1d``, ``l2``, ``l3``) is in ``LEVEL_DEFAULTS`` — the only other place a cache
default is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from caches.policies import POLICIES
from cyclesim.params import Params, param
from cyclesim.registry import plugin_param, plugin_params
from cyclesim.units import format_size, is_power_of_two, time_to_cycles

__all__ = ["CacheConfig", "MemoryConfig", "LEVEL_DEFAULTS", "default_cache",
           "WRITE_POLICIES", "INCLUSION_POLICIES", "MEMORY_KINDS",
           "DRAM_MAPPINGS"]

WRITE_POLICIES = ("write_back", "write_through")
INCLUSION_POLICIES = ("non_inclusive", "inclusive")
MEMORY_KINDS = ("dram", "fixed")
DRAM_MAPPINGS = ("row_bank_column", "row_column_bank")

# Smallest line: an aligned access of up to 8 bytes (RV64 ld/sd/fld/fsd) stays in one line.
MIN_LINE_SIZE = 8
# Most MSHRs, ports or buffer entries of one level (the cache searches them linearly).
MAX_ENTRIES = 256


@dataclass(repr=False)
class CacheConfig(Params):
    """One cache level (tags and state only; data lives in guest memory)."""

    size: int = param(32 * 1024, unit="bytes",
                      help="Capacity; a whole number of lines, giving a power-of-two number "
                           "of sets.")
    assoc: int = param(8, unit="ways", help="Associativity (ways per set); sets = size / "
                                            "(assoc * line_size) must be a power of two.")
    line_size: int = param(64, unit="bytes",
                           help="Line (block) size; power of two, at least 8, equal in "
                                "every level.")
    hit_latency: int = param(1, unit="cycles",
                             help="Cycles from request to data on a hit; 1 in an L1 fits in "
                                  "its pipeline stage (no stall).")
    policy: str = plugin_param(POLICIES, "lru",
                               help="Replacement policy (caches/policies/, docs/caches.md); "
                                    "plru needs a power-of-two assoc, random uses seed.")
    policy_params: Params = plugin_params("policy", help="Parameters of the chosen "
                                                         "replacement policy.")
    write_policy: str = param("write_back", choices=WRITE_POLICIES,
                              help="write_back (dirty lines written on eviction) or "
                                   "write_through (every store goes to the next level).")
    write_allocate: bool = param(True, help="A store miss fills the line (true) or goes "
                                            "only to the next level (false).")
    inclusion: str = param("non_inclusive", choices=INCLUSION_POLICIES,
                           help="inclusive: this level holds every line of the levels above "
                                "it (evicting here back-invalidates them); not for L1s.")
    mshrs: int = param(8, unit="entries",
                       help="Miss status holding registers: fills under way at once; a miss "
                            "to a line already being fetched merges into its MSHR; when all "
                            "are busy a miss waits for the first to free. 1 to 256.")
    ports: int = param(1, unit="accesses/cycle",
                       help="Accesses the pipelined arrays start per cycle, whatever "
                            "hit_latency (latency and occupancy are separate). 1 to 256.")
    writeback_buffer: int = param(8, unit="entries",
                                  help="Dirty victims on their way to the next level; a fill "
                                       "whose victim finds it full waits. 1 to 256.")
    write_through_buffer: int = param(8, unit="entries",
                                      help="Posted writes (write-through stores, "
                                           "write-no-allocate store misses) on their way to "
                                           "the next level; a write finding it full waits. "
                                           "1 to 256.")
    seed: int = param(1, help="Seed of the random replacement policy.")

    @property
    def lines(self) -> int:
        return self.size // self.line_size

    @property
    def sets(self) -> int:
        return self.size // (self.line_size * self.assoc)

    def validate(self, path: str = "cache") -> None:
        self.check_fields(path)
        if not is_power_of_two(self.line_size) or self.line_size < MIN_LINE_SIZE:
            raise self.fail(path, "line_size", f"must be a power of two of at least "
                                               f"{MIN_LINE_SIZE} bytes, such as 64B")
        if self.size <= 0 or self.size % self.line_size:
            raise self.fail(path, "size", f"must be a positive whole number of "
                                          f"{self.line_size}-byte lines")
        lines = self.lines
        if self.assoc < 1 or lines % self.assoc:
            raise self.fail(path, "assoc", f"must divide the number of lines ({lines} = "
                                           f"{format_size(self.size)} / {self.line_size}B)")
        if not is_power_of_two(self.sets):
            raise self.fail(path, "assoc", f"gives {self.sets} sets ({lines} lines / "
                                           f"{self.assoc} ways); the number of sets must be "
                                           f"a power of two, so change size or assoc")
        if self.policy == "plru" and not is_power_of_two(self.assoc):
            raise self.fail(path, "assoc", "must be a power of two for policy plru (tree "
                                           "pseudo-LRU); use lru or change assoc")
        if self.hit_latency < 1:
            raise self.fail(path, "hit_latency", "must be at least 1 cycle")
        for name in ("mshrs", "ports", "writeback_buffer", "write_through_buffer"):
            if not 1 <= getattr(self, name) <= MAX_ENTRIES:
                raise self.fail(path, name, f"must be at least 1 (and at most {MAX_ENTRIES})")
        if self.seed < 0:
            raise self.fail(path, "seed", "must be 0 or more")


# Geometry each level starts from (before a preset or the user changes it).
LEVEL_DEFAULTS: dict[str, dict] = {
    "l1i": {"size": 32 * 1024, "assoc": 4, "hit_latency": 1},
    "l1d": {"size": 32 * 1024, "assoc": 8, "hit_latency": 1},
    "l2": {"size": 256 * 1024, "assoc": 8, "hit_latency": 12},
    "l3": {"size": 2 * 1024 * 1024, "assoc": 16, "hit_latency": 30},
}


def default_cache(level: str) -> CacheConfig:
    """A fresh CacheConfig with the default geometry of ``level`` (l1i, l1d, l2, l3)."""
    return CacheConfig(**LEVEL_DEFAULTS[level])


@dataclass(repr=False)
class MemoryConfig(Params):
    """Main memory behind the last cache: a fixed latency or a banked DRAM with row buffers."""

    kind: str = param("dram", choices=MEMORY_KINDS,
                      help="fixed: every access takes latency cycles; dram: banks with open "
                           "row buffers (row hit tCL, row miss tRP + tRCD + tCL, + tBURST).")
    latency: int = param(100, unit="cycles", help="Access latency when kind = fixed.")
    banks: int = param(8, unit="banks", help="DRAM banks; power of two.")
    row_size: int = param(8 * 1024, unit="bytes",
                          help="DRAM row (page) size per bank; power of two, at least one "
                               "cache line.")
    tRCD: float = param(  # noqa: N815 (the DRAM datasheet names)
        13.75e-9, unit="s", help="Activate to read/write (row to column delay).")
    tCL: float = param(  # noqa: N815 (the DRAM datasheet names)
        13.75e-9, unit="s", help="Read command to first data (CAS latency).")
    tRP: float = param(  # noqa: N815 (the DRAM datasheet names)
        13.75e-9, unit="s", help="Precharge (close the open row).")
    tBURST: float = param(  # noqa: N815 (the DRAM datasheet names)
        2.5e-9, unit="s", help="Data burst transferring one cache line.")
    controller_latency: float = param(10e-9, unit="s",
                                      help="Memory controller and interconnect, each access.")
    mapping: str = param("row_bank_column", choices=DRAM_MAPPINGS,
                         help="Physical address bits from most to least significant: "
                              "row_bank_column (consecutive lines fill a row) or "
                              "row_column_bank (consecutive lines rotate over banks).")

    DRAM_TIMES = ("tRCD", "tCL", "tRP", "tBURST", "controller_latency")

    def in_cycles(self, frequency: float) -> dict[str, int]:
        """The DRAM times in core cycles at ``frequency`` Hz, each rounded up (exactly)."""
        return {name: time_to_cycles(getattr(self, name), frequency)
                for name in self.DRAM_TIMES}

    def validate(self, path: str = "memory") -> None:
        self.check_fields(path)
        if self.latency < 0:
            raise self.fail(path, "latency", "must be 0 or more cycles")
        if not is_power_of_two(self.banks):
            raise self.fail(path, "banks", "must be a power of two (1, 2, 4, ...)")
        if not is_power_of_two(self.row_size):
            raise self.fail(path, "row_size", "must be a power of two, such as 8KiB")
        for name in self.DRAM_TIMES:
            t = getattr(self, name)
            if not (math.isfinite(t) and t >= 0):
                raise self.fail(path, name, "must be a time of 0 or more, such as 13.75ns")
