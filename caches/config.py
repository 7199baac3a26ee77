"""Parameters of one cache level and of main memory (pure Python, no Cython).

Field names are a fixed contract with the cache models and the hierarchy builder. The field
defaults of ``CacheConfig`` are those of an L1D; the geometry each *level* starts from
(``l1i``, ``l1d``, ``l2``, ``l3``) is in ``LEVEL_DEFAULTS`` — the only other place a cache
default is written.
"""

from __future__ import annotations

import math
from decimal import Decimal
from dataclasses import dataclass

from caches.dram_parts import PART_NAMES, PARTS
from caches.dram_rules import check_timing_rules
from caches.policies import POLICIES
from caches.prefetchers import PREFETCHERS
from cyclesim.params import Params, param
from cyclesim.registry import plugin_param, plugin_params
from cyclesim.units import format_size, format_time, is_power_of_two, time_to_cycles

__all__ = ["CacheConfig", "MemoryConfig", "LEVEL_DEFAULTS", "default_cache",
           "WRITE_POLICIES", "INCLUSION_POLICIES", "SHARING", "CoherenceConfig", "MEMORY_KINDS",
           "DRAM_MAPPINGS", "PAGE_POLICIES", "DRAM_SCHEDULERS", "TlbConfig", "TLB_MODES",
           "CLASSIFY_MODES", "classifies"]

WRITE_POLICIES = ("write_back", "write_through")
INCLUSION_POLICIES = ("non_inclusive", "inclusive")
SHARING = ("auto", "private", "shared")
MEMORY_KINDS = ("dram", "fixed")
# Miss classification (3C) per level: auto = on behind the L1s only (docs/caches.md,
# "Miss classification": the shadow costs every access of its level, and the L1s see them all).
CLASSIFY_MODES = ("auto", "on", "off")
# Address mappings, most significant field first (caches/dram.pyx parse_mapping; the two
# underscore names are the one-channel, one-rank names kept from before channels existed).
DRAM_MAPPINGS = ("row_bank_column", "row_column_bank", "row:rank:bank:channel:column",
                 "row:column:rank:bank:channel", "row:rank:bank:column:channel",
                 "row:rank:bank_xor:channel:column", "row:column:rank:bank_xor:channel")
PAGE_POLICIES = ("open", "closed")
DRAM_SCHEDULERS = ("frfcfs", "fcfs")

# Smallest line: an aligned access of up to 8 bytes (RV64 ld/sd/fld/fsd) stays in one line.
MIN_LINE_SIZE = 8
# Most MSHRs, ports or buffer entries of one level (the cache searches them linearly).
MAX_ENTRIES = 1024
# Largest capacity of one level: above the biggest caches built (AMD Genoa-X's 1152 MiB of
# stacked L3 over 12 dies); the host memory this needs is checked separately.
MAX_CACHE_SIZE = 2 << 30


@dataclass(repr=False)
class CacheConfig(Params):
    """One cache level (tags and state only; data lives in guest memory)."""

    size: int = param(32 * 1024, unit="bytes",
                      help="Capacity; a whole number of lines, giving a power-of-two number "
                           "of sets.", min=MIN_LINE_SIZE, max=MAX_CACHE_SIZE)
    assoc: int = param(8, unit="ways", help="Associativity (ways per set); sets = size / "
                                            "(assoc * line_size) must be a power of two.",
                       min=1, max=1 << 16)
    line_size: int = param(64, unit="bytes",
                           help="Line (block) size; power of two, at least 8, equal in "
                                "every level.", min=MIN_LINE_SIZE, max=4096)
    hit_latency: int = param(1, unit="cycles",
                             help="Cycles from request to data on a hit; 1 in an L1 fits in "
                                  "its pipeline stage (no stall).", min=1, max=1000)
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
    prefetcher: str = plugin_param(PREFETCHERS, "none",
                                   help="Prefetcher of this level, by name "
                                        "(caches/prefetchers/, docs/caches.md "
                                        "\"Prefetchers\"); its requests go to the next "
                                        "level.")
    prefetcher_params: Params = plugin_params("prefetcher", help="Parameters of the chosen "
                                                                 "prefetcher.")
    mshrs: int = param(8, unit="entries",
                       help="Miss status holding registers: fills under way at once; a miss "
                            "to a line already being fetched merges into its MSHR; when all "
                            "are busy a miss waits for the first to free.",
                       min=1, max=MAX_ENTRIES)
    ports: int = param(1, unit="accesses/cycle",
                       help="Accesses the pipelined arrays start per cycle, whatever "
                            "hit_latency (latency and occupancy are separate).",
                       min=1, max=MAX_ENTRIES)
    writeback_buffer: int = param(8, unit="entries",
                                  help="Dirty victims on their way to the next level; a fill "
                                       "whose victim finds it full waits.",
                                  min=1, max=MAX_ENTRIES)
    write_through_buffer: int = param(8, unit="entries",
                                      help="Posted writes (write-through stores, "
                                           "write-no-allocate store misses) on their way to "
                                           "the next level; a write finding it full waits.",
                                      min=1, max=MAX_ENTRIES)
    seed: int = param(1, help="Seed of the random replacement policy.", min=0, max=(1 << 64) - 1)
    classify_misses: str = param("auto", choices=CLASSIFY_MODES,
                                 help="Split misses into compulsory, capacity and conflict "
                                      "(a fully-associative LRU shadow of the level, "
                                      "docs/caches.md); auto: on at L2 and L3, off at the L1s, "
                                      "where every access pays for it (about 8 % of a timing "
                                      "run). Sampled runs leave it off.")
    sharing: str = param("auto", choices=SHARING,
                         help="With several cores: private (one per core) or shared (one for "
                              "all). auto: L1s private; the L2 private when there is an L3 "
                              "and shared when it is the last level; the L3 shared "
                              "(docs/caches.md, \"Several cores\").")

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


def classifies(mode: str, level_id: int) -> bool:
    """Whether a level (1 = L1, 2, 3) with classify_misses = `mode` classifies its misses."""
    if mode not in CLASSIFY_MODES:
        raise ValueError(f"classify_misses is {mode!r}; use one of {', '.join(CLASSIFY_MODES)}")
    return mode == "on" or (mode == "auto" and level_id >= 2)


def default_cache(level: str) -> CacheConfig:
    """A fresh CacheConfig with the default geometry of ``level`` (l1i, l1d, l2, l3)."""
    return CacheConfig(**LEVEL_DEFAULTS[level])


def _time(default: str, help: str):
    # up to 1 ms: tREFI is microseconds on every JEDEC part; more is a unit mistake
    return param(default, unit="s", help=help, min=0.0, max=1e-3)


COHERENCE_PROTOCOLS = ("none", "mesi", "moesi")
COHERENCE_FABRICS = ("directory", "snoop")


def _cycles(default: int, help: str):
    return param(default, unit="cycles", help=help, min=0, max=10_000)


@dataclass(repr=False)
class CoherenceConfig(Params):
    """How the private caches of several cores are kept coherent (docs/coherence.md). With
    one core there is nothing to keep coherent and none of this is built."""

    protocol: str = param("mesi", choices=COHERENCE_PROTOCOLS,
                          help="mesi (Modified, Exclusive, Shared, Invalid), moesi (a dirty "
                               "line read by another core stays Owned by its writer instead "
                               "of being written back) or none (private copies are not kept "
                               "coherent: independent programs only).")
    fabric: str = param("directory", choices=COHERENCE_FABRICS,
                        help="directory: a full-map directory beside the first shared level "
                             "sends invalidations and interventions only to the cores "
                             "holding the line; snoop: a bus on which every request is "
                             "seen by every core.")
    directory_latency: int = _cycles(10, "Directory lookup (fabric = directory) before an "
                                         "invalidation, intervention or upgrade grant.")
    snoop_latency: int = _cycles(10, "Broadcast of a request and collection of every core's "
                                     "snoop answer (fabric = snoop); every request waits "
                                     "at least this long.")
    invalidation_latency: int = _cycles(20, "Invalidations out to the sharers and their "
                                            "acknowledgements back (sent in parallel).")
    intervention_latency: int = _cycles(30, "Request forwarded to the core holding the line "
                                            "E/M/O and its data sent to the requester.")

    def validate(self, path: str = "coherence") -> None:
        self.check_fields(path)


@dataclass(repr=False)
class MemoryConfig(Params):
    """Main memory behind the last cache: a fixed latency or DRAM channels (docs/dram.md).

    The default DRAM has the timings of DDR4-3200 (22-22-22, tCK 0.625 ns) on one channel
    of one rank of 8 banks without bank groups; ``part = "DDR4-3200"`` (or another name of
    caches/dram_parts.py) sets the organisation and every timing of that part. A time may
    be written in DRAM clocks, "22nCK", which is 22 x tCK.
    """

    kind: str = param("dram", choices=MEMORY_KINDS,
                      help="fixed: every access takes latency cycles; dram: channels, ranks, "
                           "banks, a data bus per channel and FR-FCFS (docs/dram.md).")
    part: str = param("custom", choices=PART_NAMES,
                      help="A JEDEC part whose organisation and timings to take (setting "
                           "it writes them into the fields below; later settings override); "
                           "custom: the fields as given.")
    latency: int = param(100, unit="cycles", help="Access latency when kind = fixed.",
                         min=0, max=100_000)
    channels: int = param(1, unit="channels", help="Independent channels, each with its own "
                                                   "data bus and request queue; power of two.",
                         min=1, max=64)
    ranks: int = param(1, unit="ranks", help="Ranks per channel (sharing its bus); power of "
                                             "two.", min=1, max=16)
    banks: int = param(8, unit="banks", help="Banks per rank; power of two.", min=1, max=1024)
    bank_groups: int = param(1, unit="groups",
                             help="Bank groups per rank (DDR4/DDR5/LPDDR5; bank b is in group "
                                  "b % bank_groups); power of two dividing banks.",
                             min=1, max=64)
    row_size: int = param(8 * 1024, unit="bytes",
                          help="DRAM row (page) size per bank of a rank; power of two, at "
                               "least one cache line.", min=MIN_LINE_SIZE, max=1 << 20)
    mapping: str = param("row_bank_column", choices=DRAM_MAPPINGS,
                         help="Fields of the physical address, most significant first; "
                              "row_bank_column = row:rank:bank:channel:column (consecutive "
                              "lines fill a row), row_column_bank = row:column:rank:bank:"
                              "channel (consecutive lines rotate over channels and banks); "
                              "bank_xor XORs the bank with the low row bits.")
    page_policy: str = param("open", choices=PAGE_POLICIES,
                             help="open: a row stays open after an access; closed: each "
                                  "access precharges its bank (auto-precharge).")
    scheduler: str = param("frfcfs", choices=DRAM_SCHEDULERS,
                           help="frfcfs: a ready request goes ahead of older ones waiting for "
                                "their banks; fcfs: each request's commands follow the "
                                "previous request's.")
    queue_size: int = param(32, unit="entries",
                            help="Request queue entries per channel; a request holds one "
                                 "from arrival to its column command.", min=1, max=4096)
    tCK: float = _time("0.625ns", "DRAM clock period, the unit of times written in nCK.")  # noqa: N815
    tRCD: float = _time("13.75ns", "Activate to read/write (row to column delay).")  # noqa: N815
    tCL: float = _time("13.75ns", "Read command to first data (CAS latency).")  # noqa: N815
    tCWL: float = _time("10ns", "Write command to first data (CAS write latency).")  # noqa: N815
    tRP: float = _time("13.75ns", "Precharge (close the open row).")  # noqa: N815
    tRAS: float = _time("32ns", "Activate to precharge of one bank, at least.")  # noqa: N815
    tWR: float = _time("15ns", "Write recovery: end of write data to precharge.")  # noqa: N815
    tRTP: float = _time("7.5ns", "Read to precharge.")  # noqa: N815
    tRRD_S: float = _time("2.5ns", "Activate to activate, different bank groups of a "  # noqa: N815
                                   "rank.")
    tRRD_L: float = _time("2.5ns", "Activate to activate, same bank group (with "  # noqa: N815
                                   "bank_groups = 1 it applies between all banks).")
    tFAW: float = _time("21ns", "Four-activate window of a rank (0: none).")  # noqa: N815
    tCCD_S: float = _time("2.5ns", "Column command to column command, different bank "  # noqa: N815
                                   "groups of a rank.")
    tCCD_L: float = _time("2.5ns", "Column command to column command, same bank group.")  # noqa: N815
    tBURST: float = _time("2.5ns", "Data bus time of one cache line (peak bandwidth = "  # noqa: N815
                                   "channels x line_size / tBURST).")
    tREFI: float = _time("7.8us", "Refresh interval of a rank (0: no refresh).")  # noqa: N815
    tRFC: float = _time("350ns", "Refresh cycle time: a rank is unavailable this long every "  # noqa: N815
                                 "tREFI.")
    controller_latency: float = _time("10ns", "Memory controller and interconnect, each "
                                              "access.")

    DRAM_TIMES = ("tRCD", "tCL", "tCWL", "tRP", "tRAS", "tWR", "tRTP", "tRRD_S", "tRRD_L",
                  "tFAW", "tCCD_S", "tCCD_L", "tBURST", "tREFI", "tRFC",
                  "controller_latency")

    def __setattr__(self, name, value) -> None:
        if _is_clocks(value) and name in self.param_fields():   # "22nCK" = 22 x tCK
            tck = self.__dict__.get("tCK", self.param_fields()["tCK"].default)
            value = _clocks(value, tck, f"memory.{name}")
        super().__setattr__(name, value)

    @classmethod
    def for_part(cls, part: str, **overrides) -> MemoryConfig:
        """The config of a DRAM part (caches/dram_parts.py) with ``overrides`` on top."""
        return cls().updated({"part": part, **overrides}, "memory")

    def updated(self, values: dict, path: str = ""):
        """A copy with ``values`` applied; a ``part`` among them is applied first (its
        organisation and timings), the other values over it. Times may be "22nCK"."""
        if not isinstance(values, dict) or "part" not in values:
            return self._updated_clocks(self, values, path)
        values = dict(values)
        what = f"{path}.part" if path else "part"
        part = _coerce(self.param_fields()["part"], values.pop("part"), what)
        base = self
        if part != "custom":
            table = PARTS[part]["values"]
            base = Params.updated(self, {"tCK": table["tCK"]}, path)
            base = self._updated_clocks(base, {k: v for k, v in table.items()
                                               if k != "tCK"}, path)
        base = Params.updated(base, {"part": part}, path)
        return self._updated_clocks(base, values, path)

    @staticmethod
    def _updated_clocks(base, values, path):
        if isinstance(values, dict):
            tck = values.get("tCK", base.tCK)
            values = {k: _clocks(v, tck, f"{path}.{k}" if path else k)
                      for k, v in values.items()}
        return Params.updated(base, values, path)

    def in_cycles(self, frequency: float) -> dict[str, int]:
        """The DRAM times in core cycles at ``frequency`` Hz, each rounded up (exactly)."""
        return {name: time_to_cycles(getattr(self, name), frequency)
                for name in self.DRAM_TIMES}

    def validate(self, path: str = "memory") -> None:
        self.check_fields(path)
        if self.latency < 0:
            raise self.fail(path, "latency", "must be 0 or more cycles")
        for name in ("channels", "ranks", "banks", "bank_groups"):
            if not is_power_of_two(getattr(self, name)):
                raise self.fail(path, name, "must be a power of two (1, 2, 4, ...)")
        if self.bank_groups > self.banks:
            raise self.fail(path, "bank_groups", f"must divide banks ({self.banks})")
        if not is_power_of_two(self.row_size):
            raise self.fail(path, "row_size", "must be a power of two, such as 8KiB")
        if self.queue_size < 1:
            raise self.fail(path, "queue_size", "must be at least 1")
        for name in ("tCK",) + self.DRAM_TIMES:
            t = getattr(self, name)
            if not (math.isfinite(t) and t >= 0):
                raise self.fail(path, name, "must be a time of 0 or more, such as 13.75ns")
        if self.kind == "dram":
            check_timing_rules({n: getattr(self, n) for n in self.DRAM_TIMES}, format_time)


def _coerce(f, value, what):
    from cyclesim.params import coerce
    return coerce(f, value, what)


def _is_clocks(value) -> bool:
    return isinstance(value, str) and value.strip().lower().endswith("nck")


def _clocks(value, tck, what):
    """ "22nCK" -> 22 x tCK in seconds (exact decimal product); anything else unchanged."""
    if not _is_clocks(value):
        return value
    from cyclesim.units import parse_time
    number = value.strip()[:-3].strip()
    try:
        n = Decimal(number)
    except ArithmeticError:
        n = None
    if n is None or not n.is_finite() or n < 0:
        from cyclesim.errors import ConfigError
        raise ConfigError(f"{what} = {value!r}: write a number of DRAM clocks such as 22nCK.")
    return float(n * Decimal(repr(parse_time(tck, "memory.tCK"))))


TLB_MODES = ("sv39", "sv48")
TLB_WALK_PORTS = ("l1d", "l2")
TLB_SUPERPAGES = ("never", "always")
MAX_TLB_ENTRIES = 65536
MAX_TLB_LATENCY = 1000


@dataclass(repr=False)
class TlbConfig(Params):
    """Address translation: L1 ITLB and DTLB, a shared L2 TLB and an Sv39/Sv48 page-table
    walker with a page-walk cache (docs/tlb.md). Off: the caches see virtual addresses and
    translation costs nothing."""

    enabled: bool = param(False, help="Translate every fetch and data access (caches are "
                                      "then physically addressed); off keeps the caches "
                                      "virtually addressed at no cost.")
    mode: str = param("sv39", choices=TLB_MODES,
                      help="Page-table format: sv39 (3 levels) or sv48 (4 levels), RISC-V "
                           "privileged spec.")
    itlb_entries: int = param(32, unit="entries", help="L1 instruction TLB entries "
                                                       f"(1 to {MAX_TLB_ENTRIES}).",
                                                       min=1, max=MAX_TLB_ENTRIES)
    itlb_assoc: int = param(32, unit="ways", help="L1 ITLB ways; = itlb_entries: fully "
                                                  "associative; entries/ways a power of two.",
                                                  min=1, max=MAX_TLB_ENTRIES)
    itlb_latency: int = param(0, unit="cycles", help="Cycles an L1 ITLB hit adds (0: looked "
                                                     "up in parallel with a VIPT L1I).",
                                                     min=0, max=MAX_TLB_LATENCY)
    dtlb_entries: int = param(32, unit="entries", help="L1 data TLB entries "
                                                       f"(1 to {MAX_TLB_ENTRIES}).",
                                                       min=1, max=MAX_TLB_ENTRIES)
    dtlb_assoc: int = param(32, unit="ways", help="L1 DTLB ways; = dtlb_entries: fully "
                                                  "associative; entries/ways a power of two.",
                                                  min=1, max=MAX_TLB_ENTRIES)
    dtlb_latency: int = param(0, unit="cycles", help="Cycles an L1 DTLB hit adds (0: looked "
                                                     "up in parallel with a VIPT L1D).",
                                                     min=0, max=MAX_TLB_LATENCY)
    l1_superpages: bool = param(True, help="The L1 TLBs hold 2 MiB entries (else a 2 MiB "
                                           "page is cached as its 4 KiB pieces).")
    l2tlb_entries: int = param(512, unit="entries", help="Shared L2 TLB entries (0: no L2 "
                                                         f"TLB; at most {MAX_TLB_ENTRIES}).",
                                                         min=0, max=MAX_TLB_ENTRIES)
    l2tlb_assoc: int = param(4, unit="ways", help="L2 TLB ways (1: direct-mapped); "
                                                  "entries/ways a power of two.",
                                                  min=1, max=MAX_TLB_ENTRIES)
    l2tlb_latency: int = param(4, unit="cycles", help="Cycles an L2 TLB lookup adds after "
                                                      "an L1 TLB miss.", min=0, max=MAX_TLB_LATENCY)
    l2_superpages: bool = param(True, help="The L2 TLB holds 2 MiB entries.")
    superpages: str = param("never", choices=TLB_SUPERPAGES,
                            help="Transparent huge pages: always maps anonymous memory (heap, "
                                 "anonymous mmaps, 2 MiB aligned) with 2 MiB pages where a "
                                 "whole untouched 2 MiB fits; never: 4 KiB pages only.")
    pwc_entries: int = param(8, unit="entries", help="Page-walk cache: non-leaf PTEs kept "
                                                     "so a walk skips upper levels "
                                                     "(0: none; at most 64).", min=0, max=64)
    walk_port: str = param("l1d", choices=TLB_WALK_PORTS,
                           help="Where the walker's PTE loads enter the hierarchy: l1d or "
                                "l2 (a walker beside the L2).")
    phys_base: int = param(0x80000000, unit="bytes",
                           help="Physical address of the root page table; frames and table "
                                "pages follow in first-touch order (2 MiB aligned).",
                                min=0, max=(1 << 56) - 1)

    def validate(self, path: str = "tlb") -> None:
        self.check_fields(path)
        for side in ("itlb", "dtlb", "l2tlb"):
            entries = getattr(self, f"{side}_entries")
            assoc = getattr(self, f"{side}_assoc")
            low = 0 if side == "l2tlb" else 1
            if not low <= entries <= MAX_TLB_ENTRIES:
                raise self.fail(path, f"{side}_entries",
                                f"must be {low} to {MAX_TLB_ENTRIES}")
            if entries == 0:
                continue
            if assoc < 1 or entries % assoc or not is_power_of_two(entries // assoc):
                raise self.fail(path, f"{side}_assoc",
                                f"must divide {side}_entries ({entries}) into a power-of-two "
                                f"number of sets")
            lat = getattr(self, f"{side}_latency")
            if not 0 <= lat <= MAX_TLB_LATENCY:
                raise self.fail(path, f"{side}_latency",
                                f"must be 0 to {MAX_TLB_LATENCY} cycles")
        if not 0 <= self.pwc_entries <= 64:
            raise self.fail(path, "pwc_entries", "must be 0 to 64")
        if self.phys_base < 0 or self.phys_base % (2 << 20) or self.phys_base >= 1 << 56:
            raise self.fail(path, "phys_base", "must be a 2 MiB-aligned physical address "
                                               "below 2**56, such as 0x80000000")
