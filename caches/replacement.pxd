# Replacement policies: one small interface, one subclass per policy, picked by name
# (make_policy in replacement.pyx). A cache fills an invalid way first and asks the policy
# for a victim only when every way of the set is valid, so victim() may assume a full set.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef class ReplacementPolicy:
    cdef readonly uint32_t num_sets    # sets of the cache this policy serves
    cdef readonly uint32_t assoc       # ways per set
    cdef object _state                 # numpy buffer owning the per-line / per-set state

    # Every call carries the access behind it: the pc of the instruction (0 when none, e.g.
    # a writeback or a prefetch) and its kind (AccessKind, or the writeback/prefetch kinds of
    # caches/cache.pxd), so that PC- and kind-aware policies (SHiP, Hawkeye) fit the contract.
    # A hit on (set, way).
    cdef void touch(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil
    # A new line was filled into (set, way).
    cdef void insert(self, uint32_t set_, uint32_t way, uint64_t pc, uint8_t kind) noexcept nogil
    # The way to evict from a full set.
    cdef uint32_t victim(self, uint32_t set_, uint64_t pc, uint8_t kind) noexcept nogil
    # (set, way) was invalidated (back-invalidation, flush).
    cdef void invalidate(self, uint32_t set_, uint32_t way) noexcept nogil
    # Back to the power-on state.
    cdef void reset(self) noexcept nogil

cdef class FIFOPolicy(ReplacementPolicy):
    cdef uint64_t* stamp               # fill time per line (0 = never / invalid)
    cdef uint64_t clock                # increments on every stamp

# LRU is FIFO whose stamps are also renewed on every hit: the stamp is the last use.
cdef class LRUPolicy(FIFOPolicy):
    pass

cdef class TreePLRUPolicy(ReplacementPolicy):
    cdef uint64_t* bits                # per set: bit n (1..assoc-1) = tree node n, 1 = go right

cdef class RandomPolicy(ReplacementPolicy):
    cdef uint64_t seed_state           # xorshift64 state after reset
    cdef uint64_t state                # current xorshift64 state

cdef class SRRIPPolicy(ReplacementPolicy):
    cdef uint8_t* rrpv                 # 2-bit re-reference prediction value per line
