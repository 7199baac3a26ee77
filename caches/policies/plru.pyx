"""Tree pseudo-LRU over a power-of-two number of ways (at most 64).

The ways are the leaves of a binary tree; node n (root 1, children 2n and 2n+1) holds one
bit: 0 = the victim is in the left subtree, 1 = in the right one. A touch or insert sets
every bit on the way's path to point away from it; the victim follows the bits.
Invalidation changes no bit: the cache refills invalid ways before asking for a victim.
"""
import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

from caches.policies import POLICIES
from caches.replacement cimport ReplacementPolicy
from cyclesim.registry import NoParams


cdef class TreePLRUPolicy(ReplacementPolicy):
    cdef uint64_t* bits                # per set: bit n (1..assoc-1) = tree node n, 1 = go right

    def __init__(self, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
        ReplacementPolicy.__init__(self, num_sets, assoc, seed)
        if assoc & (assoc - 1) or assoc > 64:
            raise ValueError(f"the plru policy needs a power-of-two associativity of at most "
                             f"64, got {assoc} ways; use lru, fifo, random or srrip instead")
        self._state = np.zeros(num_sets, dtype=np.uint64)
        cdef uint64_t[::1] view = self._state
        self.bits = &view[0]

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint64_t b = self.bits[set_]
        cdef uint32_t n = self.assoc + way
        cdef uint32_t parent
        while n > 1:
            parent = n >> 1
            if n & 1:      # right child: point the parent left
                b &= ~((<uint64_t> 1) << parent)
            else:          # left child: point the parent right
                b |= (<uint64_t> 1) << parent
            n = parent
        self.bits[set_] = b

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.touch(set_, way, pc, kind)

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint64_t b = self.bits[set_]
        cdef uint32_t n = 1
        while n < self.assoc:
            n = 2 * n + <uint32_t> ((b >> n) & 1)
        return n - self.assoc

    cdef void reset(self) noexcept nogil:
        memset(self.bits, 0, <size_t> self.num_sets * sizeof(uint64_t))


def _make(params, num_sets, assoc, seed=1):
    return TreePLRUPolicy(num_sets, assoc, seed)


POLICIES.register("plru", NoParams, help="Tree pseudo-LRU (one bit per tree node; needs a "
                  "power-of-two assoc of at most 64).",
                  source="Al-Zoubi et al., 'Performance evaluation of cache replacement "
                         "policies for the SPEC CPU2000 benchmark suite', ACM-SE 2004")(_make)
