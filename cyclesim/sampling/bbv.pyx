"""Basic-block vectors per interval, collected in functional mode (SimPoint, docs/sampling.md).

A basic block is named by the address of its first instruction and ends at a control
transfer (a conditional branch, jal or jalr), as Sherwood, Perelman, Hamerly and Calder
define the basic-block vector (ASPLOS 2002, section 4): the vector of an interval counts,
for each block, the instructions the interval executed in it. An instruction is counted
in the interval it retires in, so a block that straddles two intervals is split between
them and every interval of I instructions has counts that sum to I.

The collector is a TimingModel attached to the functional core in place of a timing
model: the core calls consume() per instruction in its nogil loop, and the collector
counts in C (an open-addressing table from block address to block number, a count per
block, the list of blocks the interval touched). At each interval's end it appends the
interval's nonzero counts, as (interval, block, count) triples, to a growing buffer.
Its clock advances one cycle per instruction, as functional mode's does, so the guest
sees the same time as in a plain functional run (and the checkpoints taken later in one
are of the same execution).
"""
import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memset

from pipeline.model cimport TimingModel
from pipeline.types cimport OC_BRANCH, OC_JAL, OC_JALR, DynInst


cdef class BBVCollector(TimingModel):
    """Counts instructions per basic block per interval of `interval` instructions."""

    cdef readonly uint64_t interval      # instructions per interval
    cdef uint64_t in_interval            # instructions of the current interval so far
    cdef readonly uint64_t intervals     # intervals closed so far
    cdef readonly uint64_t instructions  # instructions counted since construction
    cdef uint64_t* keys                  # table of block start addresses + 1 (0: empty)
    cdef uint32_t* ids                   # block number of each table slot
    cdef uint64_t mask                   # table slots - 1 (a power of two)
    cdef readonly uint32_t blocks        # distinct blocks seen
    cdef uint64_t* starts                # block number -> its start address
    cdef uint64_t* counts                # block number -> instructions this interval
    cdef uint32_t* touched               # blocks with a nonzero count this interval
    cdef uint32_t ntouched
    cdef uint32_t capacity               # room in starts / counts / touched
    cdef uint32_t current                # block of the instruction being counted
    cdef bint at_leader                  # the next instruction starts a block
    cdef uint32_t* out                   # (interval, block, count) triples
    cdef uint64_t nout, out_room
    cdef readonly bint failed            # an allocation failed: the counts are incomplete

    def __cinit__(self):
        self.keys = NULL
        self.ids = NULL
        self.starts = NULL
        self.counts = NULL
        self.touched = NULL
        self.out = NULL

    def __init__(self, uint64_t interval, uint64_t start_cycle=0):
        if interval < 1:
            raise ValueError("interval must be at least 1 instruction")
        self.interval = interval
        self.cycle = start_cycle
        self.stop_cycle = <uint64_t> -1
        self.mask = (1 << 12) - 1
        self.keys = <uint64_t*> calloc(self.mask + 1, sizeof(uint64_t))
        self.ids = <uint32_t*> calloc(self.mask + 1, sizeof(uint32_t))
        self.capacity = 1024
        self.starts = <uint64_t*> calloc(self.capacity, sizeof(uint64_t))
        self.counts = <uint64_t*> calloc(self.capacity, sizeof(uint64_t))
        self.touched = <uint32_t*> calloc(self.capacity, sizeof(uint32_t))
        self.out_room = 1 << 16
        self.out = <uint32_t*> calloc(3 * self.out_room, sizeof(uint32_t))
        if (self.keys == NULL or self.ids == NULL or self.starts == NULL
                or self.counts == NULL or self.touched == NULL or self.out == NULL):
            raise MemoryError("no memory for the basic-block vector collector")
        self.at_leader = True

    def __dealloc__(self):
        free(self.keys)
        free(self.ids)
        free(self.starts)
        free(self.counts)
        free(self.touched)
        free(self.out)

    cdef void consume(self, DynInst* di) noexcept nogil:
        cdef uint8_t oc
        if self.at_leader:
            self.current = self._block(di.pc)
            self.at_leader = False
        self.counts[self.current] += 1
        oc = di.opclass
        if oc == OC_BRANCH or oc == OC_JAL or oc == OC_JALR:
            self.at_leader = True
        self.cycle += 1
        self.instructions += 1
        self.in_interval += 1
        if self.in_interval == self.interval:
            self._close()

    cdef uint32_t _block(self, uint64_t pc) noexcept nogil:
        """The number of the block starting at pc (a new one the first time), marked as
        touched in this interval."""
        cdef uint64_t key = pc + 1
        cdef uint64_t slot = ((pc >> 1) * <uint64_t> 0x9E3779B97F4A7C15) >> 32
        cdef uint32_t b
        slot &= self.mask
        while self.keys[slot] != 0:
            if self.keys[slot] == key:
                b = self.ids[slot]
                if self.counts[b] == 0:
                    self.touched[self.ntouched] = b
                    self.ntouched += 1
                return b
            slot = (slot + 1) & self.mask
        if self.blocks == self.capacity and not self._grow_blocks():
            self.failed = True
            return 0
        b = self.blocks
        self.blocks += 1
        self.keys[slot] = key
        self.ids[slot] = b
        self.starts[b] = pc
        self.counts[b] = 0
        self.touched[self.ntouched] = b
        self.ntouched += 1
        if 2 * self.blocks > self.mask and not self._rehash():
            self.failed = True
        return b

    cdef bint _grow_blocks(self) noexcept nogil:
        cdef uint32_t room = self.capacity * 2
        cdef uint64_t* s = <uint64_t*> realloc(self.starts, room * sizeof(uint64_t))
        if s == NULL:
            return False
        self.starts = s
        s = <uint64_t*> realloc(self.counts, room * sizeof(uint64_t))
        if s == NULL:
            return False
        self.counts = s
        cdef uint32_t* t = <uint32_t*> realloc(self.touched, room * sizeof(uint32_t))
        if t == NULL:
            return False
        self.touched = t
        memset(&self.counts[self.capacity], 0, self.capacity * sizeof(uint64_t))
        self.capacity = room
        return True

    cdef bint _rehash(self) noexcept nogil:
        cdef uint64_t size = 2 * (self.mask + 1)
        cdef uint64_t* keys = <uint64_t*> calloc(size, sizeof(uint64_t))
        cdef uint32_t* ids = <uint32_t*> calloc(size, sizeof(uint32_t))
        cdef uint64_t i, slot, pc
        if keys == NULL or ids == NULL:
            free(keys)
            free(ids)
            return False
        for i in range(self.blocks):
            pc = self.starts[i]
            slot = (((pc >> 1) * <uint64_t> 0x9E3779B97F4A7C15) >> 32) & (size - 1)
            while keys[slot] != 0:
                slot = (slot + 1) & (size - 1)
            keys[slot] = pc + 1
            ids[slot] = <uint32_t> i
        free(self.keys)
        free(self.ids)
        self.keys = keys
        self.ids = ids
        self.mask = size - 1
        return True

    cdef void _close(self) noexcept nogil:
        """End the interval: append its nonzero counts, start the next one empty (the
        block being executed is touched in it from its next instruction)."""
        cdef uint32_t i, b
        cdef uint32_t* grown
        if self.nout + self.ntouched > self.out_room:
            while self.nout + self.ntouched > self.out_room:
                self.out_room *= 2
            grown = <uint32_t*> realloc(self.out, 3 * self.out_room * sizeof(uint32_t))
            if grown == NULL:
                self.failed = True
                return
            self.out = grown
        for i in range(self.ntouched):
            b = self.touched[i]
            if self.counts[b]:
                self.out[3 * self.nout] = <uint32_t> self.intervals
                self.out[3 * self.nout + 1] = b
                self.out[3 * self.nout + 2] = <uint32_t> self.counts[b]
                self.nout += 1
            self.counts[b] = 0
        self.ntouched = 0
        self.intervals += 1
        self.in_interval = 0
        if not self.at_leader:
            self.touched[0] = self.current
            self.ntouched = 1

    def finish(self):
        """Close the last, partial interval (if it has instructions)."""
        if self.in_interval:
            self._close()

    def triples(self):
        """(interval, block, count) of every nonzero count, as a (n, 3) uint32 array."""
        if self.failed:
            raise MemoryError("the basic-block vector collector ran out of memory")
        if self.nout == 0:
            return np.zeros((0, 3), np.uint32)
        cdef uint32_t[:, ::1] view = <uint32_t[:self.nout, :3]> self.out
        return np.array(view, copy=True)

    def block_starts(self):
        """Start address of each block, by block number."""
        return np.array([self.starts[i] for i in range(self.blocks)], np.uint64)

    def interval_lengths(self):
        """Instructions in each closed interval (the last may be shorter)."""
        t = self.triples()
        return np.bincount(t[:, 0], weights=t[:, 2], minlength=self.intervals).astype(np.int64)
