"""Miss classification helpers: a growable set of line addresses (compulsory misses)
and a fully-associative LRU cache with O(1) operations (capacity vs conflict misses).

LineSet grows from inside the nogil access path, so it owns its table with calloc/free;
FullyAssocLRU has a fixed size and keeps its arrays in numpy buffers.
"""
import numpy as np

from libc.stdint cimport int32_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memset

cdef uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL   # Fibonacci hashing multiplier
cdef int LINESET_START_BITS = 12


cdef class LineSet:
    """The set of line addresses ever referenced, as 64-line groups with a bit mask each:
    16 bytes per group of 64 lines at worst (the table doubles at half load)."""

    def __cinit__(self):
        cdef uint64_t slots = (<uint64_t> 1) << LINESET_START_BITS
        self.keys = <uint64_t*> calloc(slots, sizeof(uint64_t))
        self.bits = <uint64_t*> calloc(slots, sizeof(uint64_t))
        if self.keys == NULL or self.bits == NULL:
            raise MemoryError("cannot allocate the compulsory-miss line set")
        self.mask = slots - 1
        self.shift = 64 - LINESET_START_BITS
        self.groups = 0
        self.count = 0
        self.last_key = 0
        self.last_slot = 0
        self.full = 0

    def __dealloc__(self):
        free(self.keys)
        free(self.bits)

    def __len__(self):
        return self.count

    def add_py(self, uint64_t line):
        """add() from Python (tests): True if `line` is new."""
        return bool(self.add(line))

    cdef bint _grow(self) noexcept nogil:
        cdef uint64_t old_slots = self.mask + 1
        cdef uint64_t new_slots = old_slots * 2
        cdef uint64_t* new_keys = <uint64_t*> calloc(new_slots, sizeof(uint64_t))
        cdef uint64_t* new_bits = <uint64_t*> calloc(new_slots, sizeof(uint64_t))
        cdef uint64_t i, k, h
        if new_keys == NULL or new_bits == NULL:
            free(new_keys)
            free(new_bits)
            return 0
        for i in range(old_slots):
            k = self.keys[i]
            if k != 0:
                h = ((k - 1) * GOLDEN) >> (self.shift - 1)
                while new_keys[h] != 0:
                    h = (h + 1) & (new_slots - 1)
                new_keys[h] = k
                new_bits[h] = self.bits[i]
        free(self.keys)
        free(self.bits)
        self.keys = new_keys
        self.bits = new_bits
        self.mask = new_slots - 1
        self.shift -= 1
        self.last_key = 0
        return 1

    cdef bint add(self, uint64_t line) noexcept nogil:
        cdef uint64_t group = line >> 6
        cdef uint64_t k = group + 1
        cdef uint64_t bit = (<uint64_t> 1) << (line & 63)
        cdef uint64_t h
        if k == self.last_key:
            h = self.last_slot
        else:
            h = (group * GOLDEN) >> self.shift
            while self.keys[h] != k:
                if self.keys[h] == 0:          # a new group
                    if self.full:
                        return 0
                    if (self.groups + 1) * 2 > self.mask + 1:
                        if not self._grow():
                            self.full = 1
                            return 0
                        h = (group * GOLDEN) >> self.shift
                        while self.keys[h] != 0:
                            h = (h + 1) & self.mask
                    self.keys[h] = k
                    self.groups += 1
                    break
                h = (h + 1) & self.mask
            self.last_key = k
            self.last_slot = h
        if self.bits[h] & bit:
            return 0
        self.bits[h] |= bit
        self.count += 1
        return 1

    cdef void clear(self) noexcept nogil:
        memset(self.keys, 0, (self.mask + 1) * sizeof(uint64_t))
        memset(self.bits, 0, (self.mask + 1) * sizeof(uint64_t))
        self.groups = 0
        self.count = 0
        self.last_key = 0
        self.full = 0


cdef class FullyAssocLRU:
    """A fully-associative LRU cache of `capacity` lines (tags only): a hash map from line
    to node plus a doubly linked list of nodes in recency order, all in int arrays."""

    def __init__(self, uint32_t capacity):
        if capacity < 1:
            raise ValueError("a fully-associative shadow cache needs at least one line")
        self.capacity = capacity
        cdef int bits = 1
        while ((<uint64_t> 1) << bits) < 2 * <uint64_t> capacity:
            bits += 1
        self.tmask = ((<uint64_t> 1) << bits) - 1
        self.shift = 64 - bits
        keys = np.zeros(capacity, dtype=np.uint64)
        prev = np.zeros(capacity, dtype=np.int32)
        nxt = np.zeros(capacity, dtype=np.int32)
        table = np.full(self.tmask + 1, -1, dtype=np.int32)
        self._bufs = (keys, prev, nxt, table)
        cdef uint64_t[::1] kv = keys
        cdef int32_t[::1] pv = prev
        cdef int32_t[::1] nv = nxt
        cdef int32_t[::1] tv = table
        self.key = &kv[0]
        self.prev = &pv[0]
        self.next_ = &nv[0]
        self.table = &tv[0]
        self.clear()

    cdef void clear(self) noexcept nogil:
        cdef uint64_t i
        for i in range(self.tmask + 1):
            self.table[i] = -1
        self.count = 0
        self.head = -1
        self.tail = -1

    cdef void _unlink(self, int32_t n) noexcept nogil:
        cdef int32_t p = self.prev[n], q = self.next_[n]
        if p >= 0:
            self.next_[p] = q
        else:
            self.head = q
        if q >= 0:
            self.prev[q] = p
        else:
            self.tail = p

    cdef void _push_front(self, int32_t n) noexcept nogil:
        self.prev[n] = -1
        self.next_[n] = self.head
        if self.head >= 0:
            self.prev[self.head] = n
        self.head = n
        if self.tail < 0:
            self.tail = n

    cdef void _erase(self, uint64_t slot) noexcept nogil:
        # Backward-shift deletion keeps linear probing correct without tombstones: move each
        # later entry of the cluster into the hole unless its home slot lies in (hole, j].
        cdef uint64_t hole = slot, j = slot, home
        while True:
            j = (j + 1) & self.tmask
            if self.table[j] < 0:
                break
            home = (self.key[self.table[j]] * GOLDEN) >> self.shift
            if ((j - home) & self.tmask) >= ((j - hole) & self.tmask):
                self.table[hole] = self.table[j]
                hole = j
        self.table[hole] = -1

    cdef bint access(self, uint64_t line, bint allocate) noexcept nogil:
        cdef uint64_t h
        cdef int32_t n
        cdef uint64_t vh
        if self.head >= 0 and self.key[self.head] == line:
            return 1            # same line as the last reference (fetches within a line)
        h = (line * GOLDEN) >> self.shift
        while True:
            n = self.table[h]
            if n < 0:
                break
            if self.key[n] == line:
                if self.head != n:
                    self._unlink(n)
                    self._push_front(n)
                return 1
            h = (h + 1) & self.tmask
        if not allocate:
            return 0
        if self.count < self.capacity:
            n = <int32_t> self.count
            self.count += 1
        else:
            n = self.tail
            vh = (self.key[n] * GOLDEN) >> self.shift
            while self.table[vh] != n:
                vh = (vh + 1) & self.tmask
            self._erase(vh)
            self._unlink(n)
            # the erase may have moved entries; find the empty slot for `line` again
            h = (line * GOLDEN) >> self.shift
            while self.table[h] >= 0:
                h = (h + 1) & self.tmask
        self.key[n] = line
        self.table[h] = n
        self._push_front(n)
        return 0

    def access_py(self, uint64_t line, bint allocate=True):
        """One reference from Python (tests); returns True on a hit."""
        return bool(self.access(line, allocate))

    def __len__(self):
        return self.count
