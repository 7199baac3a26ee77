"""Base class of memory hierarchy levels (see base.pxd for the contract)."""

cdef class MemoryLevel:
    """A level that answers every access in zero cycles (an ideal memory)."""

    def __cinit__(self):
        self.level_id = 4

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        served_by[0] = <uint8_t> self.level_id
        return 0

    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil:
        return 0          # memory is where clean and flushed data end up: nothing to do

    cdef uint8_t probe(self, uint64_t line, uint8_t action, uint64_t* wmask) noexcept nogil:
        return 0          # not a private cache: holds nothing the directory tracks

    cdef void line_left(self, uint64_t line, uint64_t wmask) noexcept nogil:
        pass
