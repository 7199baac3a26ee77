"""The base prefetcher (issues nothing); see caches/prefetch.pxd for the contract."""
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef class Prefetcher:
    def __init__(self, params=None, *, uint32_t line_size=64, name="none"):
        self.name = name
        self.line_shift = line_size.bit_length() - 1

    cdef int on_access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                       uint64_t now) noexcept nogil:
        return 0

    cdef void on_fill(self, uint64_t addr, bint prefetched, uint64_t now) noexcept nogil:
        pass
