# Functional warming: a timing model that keeps the caches and the branch predictor of an
# in-order core up to date without timing the pipeline (SMARTS, docs/sampling.md).
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel
from pipeline.bpred cimport BTB, RAS, DirectionPredictor, IndirectPredictor
from pipeline.inorder cimport InOrderCore
from pipeline.model cimport TimingModel
from pipeline.types cimport DynInst

cdef class FunctionalWarmer(TimingModel):
    cdef readonly TimingModel detailed   # the core whose structures are warmed (in-order or OoO)
    cdef MemoryLevel l1i, l1d            # its L1 caches (the levels below follow)
    cdef DirectionPredictor dirpred      # its direction predictor, BTB and RAS
    cdef BTB btb
    cdef RAS ras
    cdef IndirectPredictor indirect      # its indirect-target predictor (None: the BTB)
    cdef bint predict_needed             # dirpred.predict may change state (else skipped)
    cdef uint32_t line_shift             # log2 of the fetch line (as the core's fetch buffer)
    cdef uint32_t dline_shift            # log2 of the L1D line (crossing accesses split)
    cdef uint64_t fetch_line             # line held by the fetch buffer
    cdef bint fetch_line_valid
    # Most-recently-used filters of the L1D (see _data) and the L1I (see _fetch): on only
    # where they are exact.
    cdef readonly bint filter_l1d
    cdef readonly bint filter_l1i
    cdef uint64_t* mru_line              # per L1D set: line of its last access + 1 (0: none)
    cdef uint8_t* mru_dirty              # per set: that line is dirty for certain
    cdef uint64_t set_mask               # L1D sets - 1
    cdef uint64_t* mru_iline             # per L1I set: line of its last fetch + 1 (0: none)
    cdef uint64_t iset_mask              # L1I sets - 1
    cdef uint32_t l1i_hit                # the L1I's hit latency (what a filtered fetch costs)
    cdef object _mru_owner               # numpy arrays owning the filters' tables

    cdef void consume(self, DynInst* di) noexcept nogil
    cdef inline uint32_t _fetch(self, uint64_t pc, uint64_t line, uint64_t now) noexcept nogil
    cdef inline void _btb_lookup_insert(self, uint64_t pc, uint64_t target) noexcept nogil
    cdef inline uint32_t _data(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now) noexcept nogil
    cdef uint32_t _cache_block(self, DynInst* di, uint64_t now) noexcept nogil
