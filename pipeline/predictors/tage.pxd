# TAGE (pipeline/predictors/tage.pyx), declared here so that TAGE-SC-L (tage_sc_l.pyx)
# can hold one and read its provider's counter.
from libc.stdint cimport int8_t, uint8_t, uint16_t, uint32_t, uint64_t

from pipeline.bpred cimport DirectionPredictor

cdef enum:
    MAX_TABLES = 16

cdef struct Fold:
    uint32_t comp
    uint32_t length      # history bits folded
    uint32_t width       # bits of the result

cdef class TAGE(DirectionPredictor):
    cdef int n
    cdef uint32_t log_entries, tag_bits
    cdef uint64_t base_mask, entry_mask, tag_mask, hist_mask, ptr, tick, reset_period
    cdef uint32_t lengths[MAX_TABLES]
    cdef Fold fidx[MAX_TABLES]
    cdef Fold ftag0[MAX_TABLES]
    cdef Fold ftag1[MAX_TABLES]
    cdef int8_t* ctr
    cdef uint16_t* tag
    cdef uint8_t* useful
    cdef uint8_t* base
    cdef uint8_t* hist
    cdef int use_alt_on_na    # 4-bit signed, -8..7
    cdef bint age_high        # which useful bit the next aging clears
    # the last predict()'s lookup, reused by the update() of the same branch (the core
    # calls them in pairs and the history does not move in between)
    cdef uint64_t last_idx[MAX_TABLES]
    cdef uint64_t last_pc
    cdef int last_provider, last_alt
    cdef bint last_pred, last_altpred, last_valid
    cdef object _owners

    cdef inline uint64_t _index(self, int i, uint64_t p) noexcept nogil
    cdef inline uint16_t _tag(self, int i, uint64_t p) noexcept nogil
    cdef void _lookup(self, uint64_t pc, uint64_t* idx, int* provider, int* alt,
                      bint* pred, bint* altpred) noexcept nogil
    cdef bint high_confidence(self) noexcept nogil
