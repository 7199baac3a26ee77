"""Random replacement: xorshift64 (13, 7, 17), way = state % assoc.

The state starts at seed ^ 0x2545F4914F6CDD1D (the cache's `seed` field), so a run is
reproducible from its seed.
"""
from libc.stdint cimport uint8_t, uint32_t, uint64_t

from caches.policies import POLICIES
from caches.replacement cimport ReplacementPolicy
from cyclesim.registry import NoParams


cdef inline uint64_t xorshift_seed(uint64_t seed) noexcept nogil:
    # xorshift64 must not start at zero; mixing the seed also spreads small seeds.
    cdef uint64_t s = seed ^ 0x2545F4914F6CDD1DULL
    return s if s != 0 else 0x2545F4914F6CDD1DULL


cdef class RandomPolicy(ReplacementPolicy):
    cdef uint64_t seed_state           # xorshift64 state after reset
    cdef uint64_t state                # current xorshift64 state

    def __init__(self, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
        ReplacementPolicy.__init__(self, num_sets, assoc, seed)
        self.seed_state = xorshift_seed(seed)
        self.state = self.seed_state

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint64_t x = self.state
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        self.state = x
        return <uint32_t> (x % self.assoc)

    cdef void reset(self) noexcept nogil:
        self.state = self.seed_state


def _make(params, num_sets, assoc, seed=1):
    return RandomPolicy(num_sets, assoc, seed)


POLICIES.register("random", NoParams, help="Evict a pseudo-random way (xorshift64 seeded by "
                  "the cache's seed).",
                  source="Marsaglia, 'Xorshift RNGs', J. Statistical Software 2003")(_make)
