"""Base class of the core timing models (see model.pxd for the contract)."""

cdef class TimingModel:
    """A timing model that charges one cycle per instruction (CPI = 1).

    Subclasses (the in-order pipeline, later an out-of-order core) override consume().
    """

    def __cinit__(self):
        self.cycle = 0
        self.stop_cycle = <uint64_t> -1

    cdef void consume(self, DynInst* di) noexcept nogil:
        self.cycle += 1
