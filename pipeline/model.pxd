# The contract between the functional core and a timing model. The core executes an
# instruction, fills a DynInst and calls consume(); the model advances its own clock.
# After each consume() the core checks `cycle >= stop_cycle` and, if so, ends the quantum
# so that the simpy engine can run whatever event is due at that cycle.
from libc.stdint cimport uint64_t
from pipeline.types cimport DynInst

cdef class TimingModel:
    cdef public uint64_t cycle        # cycle at which the last consumed instruction committed
    cdef public uint64_t stop_cycle   # end the quantum once cycle reaches this (engine sets it)
    cdef void consume(self, DynInst* di) noexcept nogil
