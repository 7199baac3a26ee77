# The contract of a prefetcher attached to a cache level (one implementation per file in
# caches/prefetchers/, registered by name in caches.prefetchers.PREFETCHERS).
#
# The cache calls on_access() on every demand access (ifetch, load, store, AMO; never a
# writeback or a prefetch), after its lookup, with the outcome. The prefetcher writes the
# byte addresses it wants fetched into out[0..n) and returns n (at most PF_MAX_OUT). The
# cache issues each as a prefetch: it takes an MSHR and bandwidth like a miss, and is
# dropped when the line is present or already in flight, or when no MSHR is free.
# on_fill() reports every line the cache installs (demand or prefetch); `now` is the cycle
# the fill completes, which may be later than the cycle of the call (the cache records a
# fill when it requests it), so a design that learns from fills (best-offset) must not
# treat the line as arrived before `now`. Neither call may touch Python objects, except the
# documented slow path of the Python prefetcher (it takes the GIL itself).
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef enum:
    PF_MAX_OUT = 32
    # outcome of the demand access passed to on_access
    PF_MISS = 0                # the line was absent
    PF_HIT = 1                 # present, filled by a demand miss or used before
    PF_HIT_PREFETCHED = 2      # first demand use of a line a prefetch brought in (complete)
    PF_HIT_IN_FLIGHT = 3       # the line's demand fill had not completed yet (MSHR hit)
    PF_LATE = 4                # first demand use of a prefetched line still in flight
    PF_OUTCOMES = 5

cdef class Prefetcher:
    cdef readonly str name                 # the registered name ("stream", ...)
    cdef readonly str level                # the cache it serves ("l1d", ...), for messages
    cdef readonly uint32_t line_shift      # log2 of the cache's line size
    cdef uint64_t out[PF_MAX_OUT]          # byte addresses wanted, filled by on_access
    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil
    cdef void on_fill(self, uint64_t addr, bint prefetched, uint64_t now) noexcept nogil


# A demand use of a line a prefetch brought in: the events that train and trigger
# miss-driven prefetchers besides the misses themselves (Smith's "tagged" prefetch).
cdef inline bint pf_first_use(uint8_t outcome) noexcept nogil:
    return outcome == PF_HIT_PREFETCHED or outcome == PF_LATE
