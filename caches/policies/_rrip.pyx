"""The RRIP family's base, static re-reference interval prediction (Jaleel et al., ISCA 2010).

Each line holds an M-bit RRPV. A hit sets it to 0 (near re-reference); a fill inserts at
2^M - 2 ("long"), so a scan of lines never reused cannot displace lines that were; the
victim is the first way (lowest index) at 2^M - 1 after aging every way of the set by the
amount that brings the oldest to 2^M - 1.
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

from cyclesim.params import Params, param


@dataclass(repr=False)
class RRIPParams(Params):
    """Parameters of SRRIP."""

    rrpv_bits: int = param(2, unit="bits", help="Width M of each line's re-reference "
                                                "prediction value, 1 to 8 (the paper's 2).",
                           min=1, max=8)

    def validate(self, path: str = "policy_params") -> None:
        self.check_fields(path)
        if not 1 <= self.rrpv_bits <= 8:
            raise self.fail(path, "rrpv_bits", "must be 1 to 8 bits, such as 2")


cdef class SRRIPPolicy(ReplacementPolicy):
    def __init__(self, uint32_t num_sets, uint32_t assoc, int rrpv_bits=2):
        ReplacementPolicy.__init__(self, num_sets, assoc)
        self.rrpv_max = <uint8_t> ((1 << rrpv_bits) - 1)
        self._state = np.full(<uint64_t> num_sets * assoc, self.rrpv_max, dtype=np.uint8)
        cdef uint8_t[::1] view = self._state
        self.rrpv = &view[0]

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.rrpv[<uint64_t> set_ * self.assoc + way] = 0

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.rrpv[<uint64_t> set_ * self.assoc + way] = self.rrpv_max - 1

    cdef uint32_t rrip_victim(self, uint32_t set_) noexcept nogil:
        cdef uint8_t* r = self.rrpv + <uint64_t> set_ * self.assoc
        cdef uint32_t w
        cdef uint8_t oldest = 0
        for w in range(self.assoc):
            if r[w] > oldest:
                oldest = r[w]
        if oldest < self.rrpv_max:      # age all ways until one reaches rrpv_max
            for w in range(self.assoc):
                r[w] += self.rrpv_max - oldest
        for w in range(self.assoc):
            if r[w] == self.rrpv_max:
                return w
        return 0

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        return self.rrip_victim(set_)

    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil:
        self.rrpv[<uint64_t> set_ * self.assoc + way] = self.rrpv_max

    cdef void reset(self) noexcept nogil:
        memset(self.rrpv, self.rrpv_max, <size_t> self.num_sets * self.assoc)


