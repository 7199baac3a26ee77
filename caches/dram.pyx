"""Main memory: FixedMemory (every access costs the same) and Dram (banks with open rows).

Dram timing, all in core cycles (build.py converts the configured ns, rounding up):
  row hit       the open row of the bank is the one addressed:   tCL + tBURST
  row miss      the bank is precharged (no open row):             tRCD + tCL + tBURST
  row conflict  another row is open: precharge, activate, read:   tRP + tRCD + tCL + tBURST
An access arriving at `now` reaches the bank at now + controller_latency and starts when the
bank has finished its previous access (a busy bank makes it wait); latency = finish - now.
Rows stay open after an access (open-page policy). Writes take the same time as reads.
The shared data bus and refresh are not modelled.
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel
from caches.cache cimport K_STORE, KIND_WRITEBACK

try:
    from cyclesim.errors import ConfigError as _BadConfig
except ImportError:
    _BadConfig = ValueError

MAPPINGS = ("row_bank_column", "row_column_bank")


cdef int log2_exact(uint64_t x):
    cdef int n = 0
    while ((<uint64_t> 1) << n) < x:
        n += 1
    return n


cdef inline bint is_write_kind(uint8_t kind) noexcept nogil:
    return kind == K_STORE or kind == KIND_WRITEBACK


cdef class FixedMemory(MemoryLevel):
    """Main memory that answers every access after `latency` cycles."""

    def __init__(self, latency=100, level_id=4):
        if int(latency) < 0:
            raise _BadConfig(f"memory.latency is {latency}; it must be >= 0 cycles")
        self.latency = latency
        self.level_id = level_id
        self.reset_stats()

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        self.n_access += 1
        if is_write_kind(kind):
            self.n_write += 1
        else:
            self.n_read += 1
        self.n_latency += self.latency
        served_by[0] = <uint8_t> self.level_id
        return self.latency

    def access_py(self, uint64_t addr, uint8_t kind, uint64_t now=0, uint64_t pc=0):
        cdef uint8_t served = 0
        cdef uint32_t lat = self.access(pc, addr, kind, now, &served)
        return lat, served

    def reset_stats(self):
        self.n_access = self.n_read = self.n_write = self.n_latency = 0

    def reset(self):
        self.reset_stats()

    def stats(self):
        return {"accesses": self.n_access, "reads": self.n_read, "writes": self.n_write,
                "total_latency": self.n_latency,
                "avg_latency": self.n_latency / self.n_access if self.n_access else 0.0}

    def __repr__(self):
        return f"FixedMemory(latency {self.latency} cycles)"


cdef class Dram(MemoryLevel):
    """DRAM with `banks` banks, each with one open row of `row_size` bytes.

    Dram(banks=8, row_size=8192, tRCD=14, tCL=14, tRP=14, tBURST=3, controller_latency=10,
         mapping="row_bank_column", line_size=64, level_id=4)   # times in cycles

    Address mapping, most significant bits first (b = log2(banks), r = log2(row_size),
    l = log2(line_size)):
      row_bank_column  row = addr >> (r + b); bank = addr[r+b-1 : r]; column = addr[r-1 : 0]
                       (a whole row of consecutive bytes lives in one bank)
      row_column_bank  row = addr >> (r + b); bank = addr[l+b-1 : l]; column = the other bits
                       (consecutive lines go to consecutive banks)
    """

    def __init__(self, banks=8, row_size=8192, tRCD=14, tCL=14, tRP=14, tBURST=3,
                 controller_latency=10, mapping="row_bank_column", line_size=64, level_id=4):
        banks, row_size, line_size = int(banks), int(row_size), int(line_size)
        if banks < 1 or banks & (banks - 1):
            raise _BadConfig(f"memory.banks is {banks}; it must be a power of two")
        if row_size < 1 or row_size & (row_size - 1):
            raise _BadConfig(f"memory.row_size is {row_size} bytes; it must be a power of two")
        if line_size < 1 or line_size & (line_size - 1) or line_size > row_size:
            raise _BadConfig(f"the DRAM access size (the last cache's line_size, {line_size} "
                             f"bytes) must be a power of two no larger than memory.row_size "
                             f"({row_size} bytes)")
        if mapping not in MAPPINGS:
            raise _BadConfig(f"memory.mapping is {mapping!r}; use one of {', '.join(MAPPINGS)}")
        for nm, v in (("tRCD", tRCD), ("tCL", tCL), ("tRP", tRP), ("tBURST", tBURST),
                      ("controller_latency", controller_latency)):
            if int(v) < 0:
                raise _BadConfig(f"memory.{nm} is {v} cycles; it must be >= 0")
        self.banks = banks
        self.row_size = row_size
        self.line_size = line_size
        self.tRCD, self.tCL, self.tRP, self.tBURST = tRCD, tCL, tRP, tBURST
        self.controller_latency = controller_latency
        self.mapping = mapping
        self.interleave_lines = mapping == "row_column_bank"
        self.level_id = level_id
        self.bank_mask = banks - 1
        self.line_shift = log2_exact(line_size)
        self.row_shift = log2_exact(row_size)
        self.bank_shift = log2_exact(banks)
        rows = np.full(banks, -1, dtype=np.int64)
        ready = np.zeros(banks, dtype=np.uint64)
        self._bufs = (rows, ready)
        cdef int64_t[::1] rv = rows
        cdef uint64_t[::1] bv = ready
        self.open_row = &rv[0]
        self.bank_ready = &bv[0]
        self.reset_stats()

    cdef uint32_t bank_of(self, uint64_t addr) noexcept nogil:
        if self.interleave_lines:
            return <uint32_t> ((addr >> self.line_shift) & self.bank_mask)
        return <uint32_t> ((addr >> self.row_shift) & self.bank_mask)

    cdef int64_t row_of(self, uint64_t addr) noexcept nogil:
        return <int64_t> (addr >> (self.row_shift + self.bank_shift))

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        cdef uint32_t bank = self.bank_of(addr)
        cdef int64_t row = self.row_of(addr)
        cdef uint64_t arrive = now + self.controller_latency
        cdef uint64_t start = arrive
        cdef uint64_t device
        if self.bank_ready[bank] > start:
            start = self.bank_ready[bank]
        if self.open_row[bank] == row:
            device = self.tCL + self.tBURST
            self.n_row_hit += 1
        elif self.open_row[bank] < 0:
            device = self.tRCD + self.tCL + self.tBURST
            self.n_row_miss += 1
        else:
            device = self.tRP + self.tRCD + self.tCL + self.tBURST
            self.n_row_conflict += 1
        self.open_row[bank] = row
        self.bank_ready[bank] = start + device
        self.n_access += 1
        if is_write_kind(kind):
            self.n_write += 1
        else:
            self.n_read += 1
        self.n_wait += start - arrive
        self.n_latency += start + device - now
        served_by[0] = <uint8_t> self.level_id
        return <uint32_t> (start + device - now)

    def access_py(self, uint64_t addr, uint8_t kind, uint64_t now=0, uint64_t pc=0):
        """One access from Python: returns (latency in cycles, level_id)."""
        cdef uint8_t served = 0
        cdef uint32_t lat = self.access(pc, addr, kind, now, &served)
        return lat, served

    def locate(self, uint64_t addr):
        """(bank, row) that `addr` maps to."""
        return int(self.bank_of(addr)), int(self.row_of(addr))

    def reset_stats(self):
        self.n_access = self.n_read = self.n_write = 0
        self.n_row_hit = self.n_row_miss = self.n_row_conflict = 0
        self.n_latency = self.n_wait = 0

    def reset(self):
        """Close every row, free every bank, zero the counters."""
        cdef uint32_t b
        for b in range(self.banks):
            self.open_row[b] = -1
            self.bank_ready[b] = 0
        self.reset_stats()

    def stats(self):
        n = self.n_access
        return {"accesses": n, "reads": self.n_read, "writes": self.n_write,
                "row_hits": self.n_row_hit, "row_misses": self.n_row_miss,
                "row_conflicts": self.n_row_conflict,
                "row_hit_rate": self.n_row_hit / n if n else 0.0,
                "total_latency": self.n_latency,
                "avg_latency": self.n_latency / n if n else 0.0,
                "bank_wait_cycles": self.n_wait}

    def __repr__(self):
        return (f"Dram({self.banks} banks, {self.row_size} B rows, {self.mapping}, "
                f"tRCD {self.tRCD} tCL {self.tCL} tRP {self.tRP} tBURST {self.tBURST} "
                f"controller {self.controller_latency} cycles)")
