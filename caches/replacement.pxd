# Replacement policies: one small interface here, one subclass per policy, each in its own
# module of caches/policies/ registered by name (make_policy in replacement.pyx builds one).
# A cache fills an invalid way first and asks the policy for a victim only when every way of
# the set is valid, so victim() may assume a full set.
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
