"""Next-line (one-block lookahead) prefetching, tagged (Smith, "Cache memories", ACM
Computing Surveys 14(3), 1982, section 2.1).

A demand miss on line L asks for L+1 .. L+degree. With `tagged` (Smith's tagged prefetch),
so does the first demand use of a line a prefetch brought in, which keeps a sequential
stream running ahead of the program after one miss. Any other hit issues nothing.
Prefetches may cross pages (the caches are indexed by the addresses the core sends).
"""
from dataclasses import dataclass

from libc.stdint cimport uint8_t, uint64_t

from caches.prefetch cimport Prefetcher, PF_MAX_OUT, PF_MISS, pf_first_use
from caches.prefetchers import PREFETCHERS
from cyclesim.params import Params, param


@dataclass(repr=False)
class NextLineParams(Params):
    """Parameters of the next-line prefetcher."""

    degree: int = param(1, unit="lines", help="Lines fetched ahead on each trigger, 1 to "
                                              "32 (L+1 .. L+degree).")
    tagged: bool = param(True, help="Also trigger on the first demand use of a prefetched "
                                    "line (Smith's tagged prefetch); false: misses only.")

    def validate(self, path: str = "prefetcher_params") -> None:
        self.check_fields(path)
        if not 1 <= self.degree <= PF_MAX_OUT:
            raise self.fail(path, "degree", f"must be 1 to {PF_MAX_OUT} lines")


cdef class NextLine(Prefetcher):
    cdef int degree
    cdef bint tagged

    def __init__(self, params, *, line_size=64, level="cache"):
        Prefetcher.__init__(self, params, line_size=line_size, level=level, name="next_line")
        params.validate()
        self.degree = params.degree
        self.tagged = params.tagged

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        if outcome != PF_MISS and not (self.tagged and pf_first_use(outcome)):
            return 0
        cdef uint64_t line = addr >> self.line_shift
        cdef int i
        for i in range(self.degree):
            self.out[i] = (line + 1 + <uint64_t> i) << self.line_shift
        return self.degree


PREFETCHERS.register("next_line", NextLineParams,
                     help="On a miss (and, tagged, on the first use of a prefetched line) "
                          "fetch the next degree lines.",
                     source="Smith, 'Cache memories', ACM Computing Surveys 1982")(NextLine)
