"""Replacement policies for set-associative caches, registered by name.

Every policy sees the same five events (touch, insert, victim, invalidate, reset); the cache
picks an invalid way itself before asking for a victim. State lives in numpy buffers owned
by the policy object and is addressed through raw pointers in the nogil methods.
"""
import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

# RRPV values of SRRIP with 2-bit counters (Jaleel et al., ISCA 2010): insert with a
# "long" re-reference interval so that a scan never displaces lines that were reused.
cdef enum:
    RRPV_MAX = 3
    RRPV_INSERT = 2


cdef inline uint32_t oldest_way(const uint64_t* s, uint32_t assoc) noexcept nogil:
    """The way with the smallest stamp (the first one on a tie)."""
    cdef uint32_t w, best = 0
    cdef uint64_t v, best_v = s[0]
    for w in range(1, assoc):
        v = s[w]
        if v < best_v:          # a local minimum lets the compiler use conditional moves
            best_v = v
            best = w
    return best


cdef class ReplacementPolicy:
    """Interface; the subclasses below implement it."""

    def __init__(self, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
        if num_sets < 1 or assoc < 1:
            raise ValueError(f"a replacement policy needs at least one set and one way, "
                             f"got {num_sets} sets of {assoc} ways")
        self.num_sets = num_sets
        self.assoc = assoc

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        pass

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        pass

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        return 0

    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil:
        pass

    cdef void reset(self) noexcept nogil:
        pass


cdef class FIFOPolicy(ReplacementPolicy):
    """First in, first out: evict the way filled longest ago; hits change nothing."""

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


cdef class LRUPolicy(FIFOPolicy):
    """True LRU: evict the way used longest ago (FIFO's stamps, renewed on every hit)."""

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.clock += 1
        self.stamp[<uint64_t> set_ * self.assoc + way] = self.clock


cdef class TreePLRUPolicy(ReplacementPolicy):
    """Tree pseudo-LRU over a power-of-two number of ways (at most 64).

    The ways are the leaves of a binary tree; node n (root 1, children 2n and 2n+1) holds
    one bit: 0 = the victim is in the left subtree, 1 = in the right one. A touch or insert
    sets every bit on the way's path to point away from it; the victim follows the bits.
    Invalidation changes no bit: the cache refills invalid ways before asking for a victim.
    """

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


cdef inline uint64_t xorshift_seed(uint64_t seed) noexcept nogil:
    # xorshift64 must not start at zero; mixing the seed also spreads small seeds.
    cdef uint64_t s = seed ^ 0x2545F4914F6CDD1DULL
    return s if s != 0 else 0x2545F4914F6CDD1DULL


cdef class RandomPolicy(ReplacementPolicy):
    """Evict a pseudo-random way: xorshift64 (13, 7, 17), way = state % assoc.

    The state starts at seed ^ 0x2545F4914F6CDD1D, so a run is reproducible from its seed.
    """

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


cdef class SRRIPPolicy(ReplacementPolicy):
    """Static RRIP with 2-bit RRPVs: insert at 2, a hit sets 0, the victim is the first way
    (lowest index) at 3 after aging every way of the set by the same amount."""

    def __init__(self, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
        ReplacementPolicy.__init__(self, num_sets, assoc, seed)
        self._state = np.full(<uint64_t> num_sets * assoc, RRPV_MAX, dtype=np.uint8)
        cdef uint8_t[::1] view = self._state
        self.rrpv = &view[0]

    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.rrpv[<uint64_t> set_ * self.assoc + way] = 0

    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil:
        self.rrpv[<uint64_t> set_ * self.assoc + way] = RRPV_INSERT

    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil:
        cdef uint8_t* r = self.rrpv + <uint64_t> set_ * self.assoc
        cdef uint32_t w
        cdef uint8_t oldest = 0
        for w in range(self.assoc):
            if r[w] > oldest:
                oldest = r[w]
        if oldest < RRPV_MAX:      # age all ways until one reaches RRPV_MAX
            for w in range(self.assoc):
                r[w] += RRPV_MAX - oldest
        for w in range(self.assoc):
            if r[w] == RRPV_MAX:
                return w
        return 0

    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil:
        self.rrpv[<uint64_t> set_ * self.assoc + way] = RRPV_MAX

    cdef void reset(self) noexcept nogil:
        memset(self.rrpv, RRPV_MAX, <size_t> self.num_sets * self.assoc)


# The names a config may use, and the class each one runs.
POLICIES = {
    "lru": LRUPolicy,
    "plru": TreePLRUPolicy,
    "fifo": FIFOPolicy,
    "random": RandomPolicy,
    "srrip": SRRIPPolicy,
}


def make_policy(str name, uint32_t num_sets, uint32_t assoc, uint64_t seed=1):
    """The replacement policy called `name` for a cache of num_sets x assoc lines."""
    cls = POLICIES.get(name)
    if cls is None:
        raise ValueError(f"unknown replacement policy {name!r}; "
                         f"known policies are {', '.join(sorted(POLICIES))}")
    return cls(num_sets, assoc, seed)
