"""True LRU: FIFO whose stamps are renewed on every hit, so the stamp is the last use."""
from libc.stdint cimport uint8_t, uint32_t, uint64_t

from caches.policies import POLICIES
from caches.policies.fifo cimport FIFOPolicy
from cyclesim.registry import NoParams


cdef class LRUPolicy(FIFOPolicy):
    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.clock += 1
        self.stamp[<uint64_t> set_ * self.assoc + way] = self.clock


def _make(params, num_sets, assoc, seed=1):
    return LRUPolicy(num_sets, assoc, seed)


POLICIES.register("lru", NoParams, help="True least recently used: evict the line used "
                  "longest ago.",
                  source="Hennessy & Patterson, Computer Architecture, 6th ed., B.1")(_make)
