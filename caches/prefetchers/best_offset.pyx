"""Best-Offset prefetching (Michaud, "Best-offset hardware prefetching", HPCA 2016).

An offset prefetcher: on each trigger access to line X (a demand miss, or the first demand
use of a prefetched line) it asks for X + D, degree 1, never across a `page`-byte page.
D is learnt, taking timeliness into account:

- Offset list: every d in 1 .. `max_offset` whose only prime factors are 2, 3 and 5 (the
  paper's list: 52 offsets up to 256), without those of a page or more (lines per page
  - 1 at most), which could never prefetch: 26 offsets up to 60 with 4 KiB pages and
  64-byte lines.
- Recent requests (RR) table: `rr_entries` direct-mapped entries of 12-bit tags. When a
  line Y is filled by a prefetch, Y - D is written (the base line of that prefetch); when
  prefetching is off, every demand fill Y writes Y. A fill is written at the cycle it
  completes (on_fill may be called earlier, so fills wait in a small queue, applied in
  order before each access at or after their cycle; a full queue applies its oldest at
  once). So "X - d is in RR" means: a prefetch of X issued with offset d at the time of
  X - d would already have arrived.
- Learning: one offset of the list is tested per trigger, in order: if X - d_i hits in RR,
  score_i += 1. A pass over the whole list is a round. The learning phase ends when a
  score reaches `score_max` (31) or after `round_max` (100) rounds; D becomes the offset of
  the highest score (the first on a tie), and prefetching is off for the next phase if
  that score is <= `bad_score` (1). Scores are cleared and a new phase starts. D starts at
  1 with prefetching on.
- RR index and tag of line Y (h = log2 rr_entries): index = (Y xor (Y >> h)) mod 2^h,
  tag = (Y >> h) mod 2^12 (the paper hashes the line address into 8 index bits and keeps a
  12-bit partial tag; the exact hash is ours).

Not modelled: the paper's negative offsets (off by default there too), its throttling by
MSHR occupancy of L3 prefetches, and the delay queue it adds when prefetching is off
(here demand fills are written at their completion cycle, which is what that queue
approximates).
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

from caches.prefetch cimport Prefetcher, PF_MISS, pf_first_use
from caches.prefetchers import PREFETCHERS
from cyclesim.errors import ConfigError
from cyclesim.params import Params, param
from cyclesim.units import is_power_of_two

cdef enum:
    PENDING = 64           # fills waiting for their completion cycle
    TAG_BITS = 12


def offset_list(max_offset):
    """The offsets 1 .. max_offset whose only prime factors are 2, 3, 5 (ascending)."""
    out = []
    for d in range(1, max_offset + 1):
        m = d
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            out.append(d)
    return out


@dataclass(repr=False)
class BestOffsetParams(Params):
    """Parameters of the Best-Offset prefetcher (defaults: the paper's)."""

    max_offset: int = param(256, unit="lines", help="Largest offset tried (the list is every "
                                                   "2^i 3^j 5^k up to it), 1 to 4096.")
    rr_entries: int = param(256, unit="entries", help="Recent requests table size; a power "
                                                      "of two, 16 to 65536.")
    score_max: int = param(31, help="A score reaching this ends the learning phase, 1 to "
                                    "65535.")
    round_max: int = param(100, unit="rounds", help="Rounds (passes over the offset list) "
                                                    "per learning phase at most, 1 to "
                                                    "65535.")
    bad_score: int = param(1, help="Best score at or below this turns prefetching off for "
                                   "the next phase, 0 to score_max - 1.")
    page: int = param(4096, unit="bytes", help="Prefetches stay within an aligned page of "
                                               "this size; a power of two, such as 4KiB.")

    def validate(self, path: str = "prefetcher_params") -> None:
        self.check_fields(path)
        if not 1 <= self.max_offset <= 4096:
            raise self.fail(path, "max_offset", "must be 1 to 4096 lines")
        if not is_power_of_two(self.rr_entries) or not 16 <= self.rr_entries <= 65536:
            raise self.fail(path, "rr_entries", "must be a power of two from 16 to 65536")
        if not 1 <= self.score_max <= 65535:
            raise self.fail(path, "score_max", "must be 1 to 65535")
        if not 1 <= self.round_max <= 65535:
            raise self.fail(path, "round_max", "must be 1 to 65535")
        if not 0 <= self.bad_score < self.score_max:
            raise self.fail(path, "bad_score", "must be 0 to score_max - 1")
        if not is_power_of_two(self.page):
            raise self.fail(path, "page", "must be a power of two, such as 4KiB")


cdef class BestOffset(Prefetcher):
    cdef uint32_t* offsets
    cdef uint32_t* scores
    cdef uint16_t* rr              # tag + 1; 0 = empty
    cdef uint32_t n_offsets, test, round, score_max, round_max, bad_score
    cdef uint32_t rr_bits, page_lines_shift
    cdef readonly uint32_t offset  # D, the current prefetch offset (lines)
    cdef readonly bint enabled     # prefetching on for this phase
    cdef readonly uint64_t phases  # learning phases completed
    cdef uint64_t pend_when[PENDING]
    cdef uint64_t pend_line[PENDING]
    cdef uint32_t pend_head, pend_n
    cdef object _bufs

    def __init__(self, params, *, line_size=64, level="cache"):
        Prefetcher.__init__(self, params, line_size=line_size, level=level, name="best_offset")
        params.validate()
        # An offset of a page or more would always leave the page: it could never
        # prefetch, only win a phase and silence the prefetcher.
        offs = offset_list(min(params.max_offset, params.page // line_size - 1))
        if not offs:
            raise ConfigError(f"{level}.prefetcher_params.page = {params.page}: must hold at "
                              f"least two {line_size}-byte lines.")
        self.n_offsets = len(offs)
        self.score_max, self.round_max = params.score_max, params.round_max
        self.bad_score = params.bad_score
        self.rr_bits = params.rr_entries.bit_length() - 1
        self.page_lines_shift = params.page.bit_length() - 1 - self.line_shift
        self._bufs = (np.array(offs, np.uint32), np.zeros(len(offs), np.uint32),
                      np.zeros(params.rr_entries, np.uint16))
        cdef uint32_t[::1] o = self._bufs[0]
        cdef uint32_t[::1] s = self._bufs[1]
        cdef uint16_t[::1] r = self._bufs[2]
        self.offsets, self.scores, self.rr = &o[0], &s[0], &r[0]
        self.reset()

    def reset(self):
        self._bufs[1][:] = 0
        self._bufs[2][:] = 0
        self.test = 0
        self.round = 0
        self.offset = 1
        self.enabled = 1
        self.phases = 0
        self.pend_head = 0
        self.pend_n = 0

    def score_table(self):
        """{offset: score} of the current learning phase (tests, plots)."""
        return {int(d): int(s) for d, s in zip(self._bufs[0], self._bufs[1])}

    cdef inline uint32_t rr_index(self, uint64_t y) noexcept nogil:
        return <uint32_t> ((y ^ (y >> self.rr_bits)) & ((1u << self.rr_bits) - 1))

    cdef inline uint16_t rr_tag(self, uint64_t y) noexcept nogil:
        return <uint16_t> (((y >> self.rr_bits) & ((1u << TAG_BITS) - 1)) + 1)

    cdef inline void rr_write(self, uint64_t y) noexcept nogil:
        self.rr[self.rr_index(y)] = self.rr_tag(y)

    cdef void drain(self, uint64_t now) noexcept nogil:
        """Write into RR every pending fill completed by `now`, oldest first."""
        cdef uint32_t k = 0, i, j, kept = 0
        cdef uint64_t w[PENDING]
        cdef uint64_t l[PENDING]
        for k in range(self.pend_n):
            i = (self.pend_head + k) % PENDING
            if self.pend_when[i] <= now:
                self.rr_write(self.pend_line[i])
            else:
                w[kept] = self.pend_when[i]
                l[kept] = self.pend_line[i]
                kept += 1
        for j in range(kept):
            self.pend_when[j] = w[j]
            self.pend_line[j] = l[j]
        self.pend_head = 0
        self.pend_n = kept

    cdef void on_fill(self, uint64_t addr, bint prefetched, uint64_t now) noexcept nogil:
        cdef uint64_t y = addr >> self.line_shift
        if prefetched:
            if y < self.offset:
                return
            y -= self.offset
        elif self.enabled:
            return                     # demand fills train RR only while prefetching is off
        cdef uint32_t i
        if self.pend_n == PENDING:     # full: the oldest goes in now
            self.rr_write(self.pend_line[self.pend_head])
            self.pend_head = (self.pend_head + 1) % PENDING
            self.pend_n -= 1
        i = (self.pend_head + self.pend_n) % PENDING
        self.pend_when[i] = now
        self.pend_line[i] = y
        self.pend_n += 1

    cdef void end_phase(self) noexcept nogil:
        cdef uint32_t i, best = 0
        for i in range(1, self.n_offsets):
            if self.scores[i] > self.scores[best]:
                best = i
        self.offset = self.offsets[best]
        self.enabled = self.scores[best] > self.bad_score
        for i in range(self.n_offsets):
            self.scores[i] = 0
        self.test = 0
        self.round = 0
        self.phases += 1

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        if outcome != PF_MISS and not pf_first_use(outcome):
            return 0
        if self.pend_n:
            self.drain(now)
        cdef uint64_t x = addr >> self.line_shift
        cdef uint64_t d = self.offsets[self.test]
        cdef uint64_t base
        # learning: test one offset per trigger
        if x >= d:
            base = x - d
            if self.rr[self.rr_index(base)] == self.rr_tag(base):
                self.scores[self.test] += 1
        if self.scores[self.test] >= self.score_max:
            self.end_phase()
        else:
            self.test += 1
            if self.test == self.n_offsets:
                self.test = 0
                self.round += 1
                if self.round >= self.round_max:
                    self.end_phase()
        if not self.enabled:
            return 0
        cdef uint64_t target = x + self.offset
        if (target >> self.page_lines_shift) != (x >> self.page_lines_shift):
            return 0
        self.out[0] = target << self.line_shift
        return 1


PREFETCHERS.register("best_offset", BestOffsetParams,
                     help="Offset prefetcher that learns the offset whose prefetches would "
                          "have arrived in time (recent-requests table, scored rounds).",
                     source="Michaud, 'Best-offset hardware prefetching', HPCA 2016")(BestOffset)
