# The functional core: architectural state of one hart, the decoded-instruction cache and
# the execute loop. Timing models hang off it through pipeline.model.TimingModel.
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from pipeline.types cimport Hart, DynInst
from pipeline.model cimport TimingModel
from cyclesim.process.memory cimport GuestMemory, MemState
from cyclesim.isa.decode cimport Decoded

cdef enum:
    DCACHE_BITS = 15                 # 32768 entries of 40 bytes: 64 KiB of code (2-byte pcs)
    DCACHE_SIZE = 32768

cdef class Core:
    cdef Hart hart                   # architectural state (the process model edits it)
    cdef GuestMemory memory          # keeps the guest memory alive
    cdef MemState* mem               # its page tables
    cdef Decoded* dcache             # direct-mapped by pc, DCACHE_SIZE entries
    cdef TimingModel timing          # None in functional mode
    cdef public uint64_t stop_pc     # run() stops before executing this pc (2**64-1: none)
    cdef object _x, _f               # numpy views of hart.x / hart.f
    cdef uint8_t op_off[512]         # 1 = encoding-table entry the hart lacks (its ISA)
    cdef bint isa_restricted         # some entry is off: decode with op_off
    cdef uint32_t cbo_block          # cache-block size of cbo.* (bytes, power of two)

    cdef void flush(self) noexcept nogil
    cdef int fetch_decode(self, uint64_t pc, Decoded* d) noexcept nogil
    cdef int run_c(self, uint64_t max_insts) noexcept nogil
