# The contract between the functional core and a timing model. The core executes an
# instruction, fills a DynInst and calls consume(); the model advances its own clock.
# After each consume() the core checks `cycle >= stop_cycle` and, if so, ends the quantum
# so that the simpy engine can run whatever event is due at that cycle.
from libc.stdint cimport uint32_t, uint64_t
from pipeline.types cimport DynInst

cdef class TimingModel:
    cdef public uint64_t cycle        # cycle at which the last consumed instruction committed
    cdef public uint64_t stop_cycle   # end the quantum once cycle reaches this (engine sets it)
    # A model that needs to see only some instructions (functional warming) says which it
    # may miss: the core does not call consume() for an instruction whose op class has its
    # bit set in quiet_classes and whose bytes all lie in [quiet_base, quiet_base +
    # quiet_size); it only advances cycle by one. quiet_classes = 0 (the default): every
    # instruction is consumed.
    cdef uint32_t quiet_classes
    cdef uint64_t quiet_base
    cdef uint64_t quiet_size
    cdef void consume(self, DynInst* di) noexcept nogil
