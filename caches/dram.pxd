# Main memory levels: a flat fixed latency, and DRAM with banks and open row buffers.
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel

cdef class FixedMemory(MemoryLevel):
    cdef readonly uint32_t latency        # cycles, every access
    cdef uint64_t n_access, n_read, n_write, n_latency

cdef class Dram(MemoryLevel):
    cdef readonly uint32_t banks
    cdef readonly uint64_t row_size       # bytes in one row of one bank (the row buffer)
    cdef readonly uint32_t line_size      # bytes per access (the line size of the level above)
    cdef readonly uint32_t tRCD, tCL, tRP, tBURST, controller_latency   # cycles
    cdef readonly str mapping             # "row_bank_column" or "row_column_bank"
    cdef bint interleave_lines            # mapping == "row_column_bank"
    cdef uint32_t bank_mask
    cdef int line_shift, row_shift, bank_shift   # log2(line_size), log2(row_size), log2(banks)
    cdef int64_t* open_row                # per bank: the open row, -1 = precharged (closed)
    cdef uint64_t* bank_ready             # per bank: cycle its last access finishes
    cdef object _bufs
    cdef uint64_t n_access, n_read, n_write
    cdef uint64_t n_row_hit, n_row_miss, n_row_conflict
    cdef uint64_t n_latency, n_wait       # total latency, total cycles spent waiting for busy banks

    cdef uint32_t bank_of(self, uint64_t addr) noexcept nogil
    cdef int64_t row_of(self, uint64_t addr) noexcept nogil
