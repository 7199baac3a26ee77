from libc.stdint cimport uint64_t
from caches.replacement cimport ReplacementPolicy

cdef class FIFOPolicy(ReplacementPolicy):
    cdef uint64_t* stamp               # fill time per line (0 = never / invalid)
    cdef uint64_t clock                # increments on every stamp
