"""Stream prefetching with direction detection, per region (Palacharla & Kessler,
"Evaluating stream buffers as a secondary cache replacement", ISCA 1994, whose allocation
filter waits for consecutive misses before allocating a stream; the same scheme as the
L2 "streamer" of Intel's optimization manual, which tracks ascending and descending
streams within a 4 KiB page).

A tracker table of `streams` entries, fully associative, LRU-replaced, one per region of
`region` bytes (4 KiB: a stream never crosses a page). Trained only by demand misses and
first uses of prefetched lines (the accesses a stream buffer sees); plain hits and merges
with an in-flight demand miss change nothing. For such an access to line L of region R:

- no entry for R: take the empty or least recently used entry: last = L, direction 0,
  confirmations 0; nothing is issued.
- L == last: nothing. Otherwise d = +1 if L > last else -1. If d differs from the entry's
  direction, direction = d, confirmations = 1 and the next line to prefetch = L + d; else
  confirmations += 1 (saturating at 255). Then last = L.
- once confirmations >= `train`: if the next line to prefetch is not ahead of L (the
  program overtook the stream), it becomes L + d. Then up to `degree` lines are asked,
  from the next line onwards in direction d, none farther than `distance` lines from L and
  none outside R; the next line moves past them.

So with train = 2, misses on L, L+1, L+2 start a stream at the third, which asks for
L+3 .. L+2+degree; each later use keeps the stream `distance` lines ahead.
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t, int8_t

from caches.prefetch cimport Prefetcher, PF_MAX_OUT, PF_MISS, pf_first_use
from caches.prefetchers import PREFETCHERS
from cyclesim.errors import ConfigError
from cyclesim.params import Params, param
from cyclesim.units import is_power_of_two


@dataclass(repr=False)
class StreamParams(Params):
    """Parameters of the stream prefetcher."""

    streams: int = param(16, unit="entries", help="Streams tracked at once (fully "
                                                  "associative, LRU), 1 to 256.")
    region: int = param(4096, unit="bytes", help="Region a stream lives in (it never "
                                                 "crosses one); a power of two of at least "
                                                 "a line, such as 4KiB.")
    train: int = param(2, help="Same-direction steps needed before a stream prefetches, "
                               "1 to 255 (2: three misses in a row).")
    distance: int = param(16, unit="lines", help="How far ahead of the demand line the "
                                                 "stream may run, 1 to 4096 lines.")
    degree: int = param(4, unit="lines", help="Lines asked for on each trigger, 1 to 32.")

    def validate(self, path: str = "prefetcher_params") -> None:
        self.check_fields(path)
        if not 1 <= self.streams <= 256:
            raise self.fail(path, "streams", "must be 1 to 256")
        if not is_power_of_two(self.region) or self.region < 4:
            raise self.fail(path, "region", "must be a power of two, such as 4KiB")
        if not 1 <= self.train <= 255:
            raise self.fail(path, "train", "must be 1 to 255")
        if not 1 <= self.distance <= 4096:
            raise self.fail(path, "distance", "must be 1 to 4096 lines")
        if not 1 <= self.degree <= PF_MAX_OUT:
            raise self.fail(path, "degree", f"must be 1 to {PF_MAX_OUT} lines")


cdef class Stream(Prefetcher):
    cdef uint64_t* region_of      # region number + 1 (0 = empty entry)
    cdef uint64_t* last           # last line trained
    cdef uint64_t* next_pf        # next line to prefetch
    cdef uint64_t* stamp          # LRU stamp
    cdef int8_t* dir              # +1, -1, 0 (not yet known)
    cdef uint8_t* conf            # same-direction steps
    cdef uint32_t n, region_shift
    cdef uint64_t clock
    cdef int train, degree
    cdef int64_t distance
    cdef object _bufs

    def __init__(self, params, *, line_size=64, level="cache"):
        Prefetcher.__init__(self, params, line_size=line_size, level=level, name="stream")
        params.validate()
        if params.region < line_size:
            raise ConfigError(f"{level}.prefetcher_params.region = {params.region}: must "
                              f"hold at least one {line_size}-byte line.")
        self.n = params.streams
        self.region_shift = params.region.bit_length() - 1
        self.train, self.degree, self.distance = params.train, params.degree, params.distance
        n = self.n
        self._bufs = (np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.uint64),
                      np.zeros(n, np.uint64), np.zeros(n, np.int8), np.zeros(n, np.uint8))
        cdef uint64_t[::1] r = self._bufs[0]
        cdef uint64_t[::1] l = self._bufs[1]
        cdef uint64_t[::1] x = self._bufs[2]
        cdef uint64_t[::1] s = self._bufs[3]
        cdef int8_t[::1] d = self._bufs[4]
        cdef uint8_t[::1] c = self._bufs[5]
        self.region_of, self.last, self.next_pf, self.stamp = &r[0], &l[0], &x[0], &s[0]
        self.dir, self.conf = &d[0], &c[0]
        self.clock = 0

    def reset(self):
        for b in self._bufs:
            b[:] = 0
        self.clock = 0

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        if outcome != PF_MISS and not pf_first_use(outcome):
            return 0
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t reg = (addr >> self.region_shift) + 1
        cdef uint32_t i, e = self.n, victim = 0
        self.clock += 1
        for i in range(self.n):
            if self.region_of[i] == reg:
                e = i
                break
            if self.stamp[i] < self.stamp[victim]:
                victim = i
        if e == self.n:                      # new region: allocate, learn nothing yet
            self.region_of[victim] = reg
            self.last[victim] = line
            self.next_pf[victim] = line
            self.dir[victim] = 0
            self.conf[victim] = 0
            self.stamp[victim] = self.clock
            return 0
        self.stamp[e] = self.clock
        if line == self.last[e]:
            return 0
        cdef int8_t d = 1 if line > self.last[e] else -1
        if d != self.dir[e]:
            self.dir[e] = d
            self.conf[e] = 1
            self.next_pf[e] = line + <uint64_t> <int64_t> d
        elif self.conf[e] < 255:
            self.conf[e] += 1
        self.last[e] = line
        if self.conf[e] < self.train:
            return 0
        cdef uint64_t nxt = self.next_pf[e]
        if (d > 0 and nxt <= line) or (d < 0 and nxt >= line):
            nxt = line + <uint64_t> <int64_t> d
        cdef int n = 0
        cdef uint64_t shift_to_region = self.region_shift - self.line_shift
        while n < self.degree:
            if d > 0:
                if nxt - line > <uint64_t> self.distance:
                    break
            elif line - nxt > <uint64_t> self.distance:
                break
            if (nxt >> shift_to_region) + 1 != reg:      # never leave the region
                break
            self.out[n] = nxt << self.line_shift
            n += 1
            nxt += <uint64_t> <int64_t> d
        self.next_pf[e] = nxt
        return n


PREFETCHERS.register("stream", StreamParams,
                     help="Direction-detecting stream tracker per 4 KiB region: after train "
                          "steps one way it runs up to distance lines ahead, degree at a "
                          "time.",
                     source="Palacharla & Kessler, ISCA 1994; Intel 64 and IA-32 "
                            "Architectures Optimization Reference Manual (L2 streamer)")(Stream)
