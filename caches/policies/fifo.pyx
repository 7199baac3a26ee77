"""FIFO: evict the way filled longest ago; hits change nothing."""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

from caches.policies import POLICIES
from caches.replacement cimport ReplacementPolicy, oldest_way
from cyclesim.registry import NoParams


cdef class FIFOPolicy(ReplacementPolicy):
    def __init__(self, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
        ReplacementPolicy.__init__(self, num_sets, assoc, seed)
        self._state = np.zeros(<uint64_t> num_sets * assoc, dtype=np.uint64)
        cdef uint64_t[::1] view = self._state
        self.stamp = &view[0]
        self.clock = 0

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.clock += 1
        self.stamp[<uint64_t> set_ * self.assoc + way] = self.clock

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        return oldest_way(self.stamp + <uint64_t> set_ * self.assoc, self.assoc)

    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil:
        self.stamp[<uint64_t> set_ * self.assoc + way] = 0

    cdef void reset(self) noexcept nogil:
        memset(self.stamp, 0, <size_t> self.num_sets * self.assoc * sizeof(uint64_t))
        self.clock = 0


def _make(params, num_sets, assoc, seed=1):
    return FIFOPolicy(num_sets, assoc, seed)


POLICIES.register("fifo", NoParams, help="First in, first out: evict the line filled longest "
                  "ago; hits change nothing.",
                  source="Hennessy & Patterson, Computer Architecture, 6th ed., B.1")(_make)
