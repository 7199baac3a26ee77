# Bookkeeping for classifying misses as compulsory / capacity / conflict (as DineroIV does):
# the set of every line ever referenced, and a fully-associative LRU cache of the same size.
cimport cython
from libc.stdint cimport int32_t, uint32_t, uint64_t

@cython.final
cdef class LineSet:
    # A hash map from a group of 64 consecutive lines to a 64-bit mask of the lines seen:
    # streams touch one entry per 64 lines, and memory is 16 bytes per group at worst.
    cdef uint64_t* keys        # open addressing, linear probing; group + 1 (0 = empty slot)
    cdef uint64_t* bits        # per slot: bit i = line (group * 64 + i) was seen
    cdef uint64_t mask         # slots - 1 (slots is a power of two)
    cdef uint64_t groups       # slots in use
    cdef readonly uint64_t count   # lines seen
    cdef int shift             # 64 - log2(slots), for the multiplicative hash
    cdef uint64_t last_key     # group + 1 of the last add (0 = none) and its slot
    cdef uint64_t last_slot
    cdef readonly bint full    # the table could not grow (out of host memory): add() says "seen"
    # Adds `line`; returns 1 if it was not there before.
    cdef bint add(self, uint64_t line) noexcept nogil
    cdef void clear(self) noexcept nogil
    cdef bint _grow(self) noexcept nogil

@cython.final
cdef class FullyAssocLRU:
    cdef readonly uint32_t capacity   # lines
    cdef uint32_t count               # lines held
    cdef uint64_t* key                # line address per node
    cdef int32_t* prev                # LRU list: head = most recently used
    cdef int32_t* next_
    cdef int32_t head, tail
    cdef int32_t* table               # hash slot -> node, -1 = empty (linear probing)
    cdef uint64_t tmask               # slots - 1
    cdef int shift                    # 64 - log2(slots)
    cdef object _bufs                 # numpy arrays owning the buffers above
    # One reference to `line`; returns 1 on a hit. On a miss the line is inserted (evicting
    # the LRU line when full) only if `allocate`.
    cdef bint access(self, uint64_t line, bint allocate) noexcept nogil
    cdef void clear(self) noexcept nogil
    cdef void _unlink(self, int32_t n) noexcept nogil
    cdef void _push_front(self, int32_t n) noexcept nogil
    cdef void _erase(self, uint64_t slot) noexcept nogil
