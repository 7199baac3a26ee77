from libc.stdint cimport uint8_t, uint32_t, uint64_t
from caches.replacement cimport ReplacementPolicy

# Static RRIP; also the base of DRRIP and SHiP, which change only where a line is inserted
# (and SHiP what it learns).
cdef class SRRIPPolicy(ReplacementPolicy):
    cdef uint8_t* rrpv                 # re-reference prediction value per line
    cdef uint8_t rrpv_max              # 2^bits - 1: "distant"; max - 1 is "long"
    # The first way at rrpv_max after aging every way of the set by the same amount.
    cdef uint32_t rrip_victim(self, uint32_t set_) noexcept nogil
