"""Test support for the functional core: a timing model that records every DynInst."""
from libc.stdlib cimport malloc, free
from pipeline.types cimport DynInst
from pipeline.model cimport TimingModel


cdef class RecordingModel(TimingModel):
    """Charges one cycle per instruction and keeps the first `capacity` DynInsts."""
    cdef DynInst* buf
    cdef public Py_ssize_t capacity, count

    def __cinit__(self, Py_ssize_t capacity=4096):
        self.buf = <DynInst*> malloc(capacity * sizeof(DynInst))
        if self.buf == NULL:
            raise MemoryError()
        self.capacity = capacity
        self.count = 0

    def __dealloc__(self):
        free(self.buf)

    cdef void consume(self, DynInst* di) noexcept nogil:
        if self.count < self.capacity:
            self.buf[self.count] = di[0]
        self.count += 1
        self.cycle += 1

    def records(self):
        cdef Py_ssize_t i
        return [self.buf[i] for i in range(min(self.count, self.capacity))]
