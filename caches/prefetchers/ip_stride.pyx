"""IP-stride prefetching with a reference prediction table (Chen & Baer, "Effective
hardware-based data prefetching for high-performance processors", IEEE Trans. Computers
44(5), 1995; Fu, Patel & Janssens, "Stride directed prefetching in scalar processors",
MICRO 1992).

The table has `entries` rows, direct-mapped by the pc of the load or store
(row = (pc >> 1) mod entries; RISC-V instructions are 2-byte aligned), each holding the full
pc as its tag, the last address, a stride (bytes, signed) and a `counter_bits` saturating
confidence counter. On a data access (loads, stores, AMOs; not ifetches, and not pc 0):

- tag differs (or row empty): the row is taken over: tag = pc, last = addr, stride = 0,
  confidence = 0; nothing is issued.
- otherwise, with d = addr - last: if d == stride, confidence += 1 (saturating); else if
  confidence > 0, confidence -= 1 and the stride is kept (Chen & Baer's steady entry
  survives one irregular access); else stride = d. Then last = addr.
- if confidence >= `threshold` and stride != 0: ask for the lines of addr + k x stride,
  k = 1 .. degree, skipping the line of addr and a line equal to the previous one asked
  (strides smaller than a line), and addresses that would wrap below 0 or past 2^64.

Every demand access trains (hits too: the table sees the instruction stream, not the miss
stream). Not modelled: Chen & Baer's lookahead PC (the prefetch distance here is the
degree).
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t
from libc.string cimport memset

from caches.prefetch cimport Prefetcher, PF_MAX_OUT
from caches.prefetchers import PREFETCHERS
from cyclesim.params import Params, param
from cyclesim.units import is_power_of_two

cdef enum:
    K_IFETCH = 0       # AccessKind.IFETCH (caches/cache.pxd)

MAX_ENTRIES = 1 << 16


@dataclass(repr=False)
class IPStrideParams(Params):
    """Parameters of the IP-stride prefetcher."""

    entries: int = param(64, unit="entries", help="Rows of the reference prediction table "
                                                  "(direct-mapped by pc); a power of two up "
                                                  "to 65536.")
    degree: int = param(2, unit="strides", help="Strides fetched ahead when an entry is "
                                                "confident (addr + stride .. addr + degree "
                                                "x stride), 1 to 32.")
    counter_bits: int = param(2, unit="bits", help="Width of each confidence counter, 1 to "
                                                   "8.")
    threshold: int = param(2, help="Confidence needed to prefetch, 1 to 2^counter_bits - "
                                   "1.")

    def validate(self, path: str = "prefetcher_params") -> None:
        self.check_fields(path)
        if not is_power_of_two(self.entries) or self.entries > MAX_ENTRIES:
            raise self.fail(path, "entries", "must be a power of two of at most 65536, "
                                             "such as 64")
        if not 1 <= self.degree <= PF_MAX_OUT:
            raise self.fail(path, "degree", f"must be 1 to {PF_MAX_OUT}")
        if not 1 <= self.counter_bits <= 8:
            raise self.fail(path, "counter_bits", "must be 1 to 8 bits")
        if not 1 <= self.threshold <= (1 << self.counter_bits) - 1:
            raise self.fail(path, "threshold", f"must be 1 to {(1 << self.counter_bits) - 1}"
                                               f" (2^counter_bits - 1)")


cdef class IPStride(Prefetcher):
    cdef uint64_t* tag            # pc of the row's instruction; 0 = empty (pc 0 never trains)
    cdef uint64_t* last           # last address it accessed
    cdef int64_t* stride          # bytes, signed
    cdef uint8_t* conf            # saturating confidence
    cdef uint64_t mask
    cdef int degree
    cdef uint8_t conf_max, threshold
    cdef object _bufs

    def __init__(self, params, *, line_size=64, level="cache"):
        Prefetcher.__init__(self, params, line_size=line_size, level=level, name="ip_stride")
        params.validate()
        n = params.entries
        self.mask = n - 1
        self.degree = params.degree
        self.conf_max = (1 << params.counter_bits) - 1
        self.threshold = params.threshold
        self._bufs = (np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.int64),
                      np.zeros(n, np.uint8))
        cdef uint64_t[::1] t = self._bufs[0]
        cdef uint64_t[::1] l = self._bufs[1]
        cdef int64_t[::1] s = self._bufs[2]
        cdef uint8_t[::1] c = self._bufs[3]
        self.tag, self.last, self.stride, self.conf = &t[0], &l[0], &s[0], &c[0]

    def reset(self):
        for b in self._bufs:
            b[:] = 0

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        if pc == 0 or kind == K_IFETCH:
            return 0
        cdef uint64_t i = (pc >> 1) & self.mask
        if self.tag[i] != pc:
            self.tag[i] = pc
            self.last[i] = addr
            self.stride[i] = 0
            self.conf[i] = 0
            return 0
        cdef int64_t d = <int64_t> (addr - self.last[i])
        if d == self.stride[i]:
            if self.conf[i] < self.conf_max:
                self.conf[i] += 1
        elif self.conf[i] > 0:
            self.conf[i] -= 1
        else:
            self.stride[i] = d
        self.last[i] = addr
        cdef int64_t s = self.stride[i]
        if self.conf[i] < self.threshold or s == 0:
            return 0
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t prev = line, a = addr, l
        cdef int k, n = 0
        for k in range(self.degree):
            if s > 0:
                if a > 0xFFFFFFFFFFFFFFFFULL - <uint64_t> s:
                    break
                a += <uint64_t> s
            else:
                if a < <uint64_t> (-s):
                    break
                a -= <uint64_t> (-s)
            l = a >> self.line_shift
            if l != line and l != prev:
                self.out[n] = l << self.line_shift
                n += 1
            prev = l
        return n


PREFETCHERS.register("ip_stride", IPStrideParams,
                     help="Per-pc stride table with confidence counters: a confident entry "
                          "fetches the next degree strides.",
                     source="Chen & Baer, IEEE Trans. Computers 1995; Fu, Patel & Janssens, "
                            "MICRO 1992")(IPStride)
