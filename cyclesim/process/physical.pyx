# The address a program's accesses have when they reach the caches in a multi-program run
# (docs/engine.md, "Multi-program runs").
#
# With translation off the caches see virtual addresses, and two programs linked alike
# use the same ones: in a shared cache and in the coherence directory their lines would
# be one line. Each program therefore gets its own range of "physical" addresses: the
# tag sits between a hart's timing model and its L1 and adds program_index << TAG_SHIFT
# to every address (above the 2**38 bytes of the Sv39 layout of cyclesim/process/vm.py,
# so no two programs' lines meet, and below the bits any level indexes its sets or DRAM
# banks with, so a program's set and bank mapping is the one it has alone). It also
# counts the program's demand accesses by the level that served them, which is how a
# shared level's accesses and misses are split by program.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

from caches.base cimport SERVED_COHERENCE_MISS, SERVED_LEVEL, MemoryLevel
from caches.cache cimport KIND_PREFETCH, KIND_WRITEBACK

TAG_SHIFT = 40                   # program i's addresses start at i << 40 (1 TiB each)


cdef class AddressSpaceTag(MemoryLevel):
    """`level` (an L1, or the Translator in front of it) seen at `addr + offset`; counts
    the demand accesses passed through by the level_id that served them (1-4)."""

    cdef MemoryLevel level
    cdef uint64_t offset
    cdef uint64_t served[8]          # demand accesses by serving level_id (low 3 bits)
    cdef uint64_t coherence_misses   # of them, coherence misses

    def __init__(self, MemoryLevel level not None, offset=0):
        self.level = level
        self.level_id = level.level_id
        self.offset = int(offset)
        self.reset_stats()

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        cdef uint32_t lat = self.level.access(pc, addr + self.offset, kind, now, served_by)
        self.accept_wait = self.level.accept_wait
        self.served[served_by[0] & SERVED_LEVEL] += 1
        if served_by[0] & SERVED_COHERENCE_MISS:
            self.coherence_misses += 1
        return lat

    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil:
        return self.level.block_op(pc, addr + self.offset, op, now)

    @property
    def address_offset(self):
        return self.offset

    def served_counts(self):
        """{level_id: demand accesses that level served} (level_id 1 = L1 ... 4 = memory)."""
        return {i: int(self.served[i]) for i in range(1, 8) if self.served[i]}

    def stats(self):
        return {"coherence_misses": int(self.coherence_misses),
                **{f"served_by_{i}": int(self.served[i]) for i in range(1, 5)}}

    def reset_stats(self):
        cdef int i
        for i in range(8):
            self.served[i] = 0
        self.coherence_misses = 0

    def __repr__(self):
        return f"AddressSpaceTag(+{self.offset:#x} -> {self.level!r})"


cdef class SharedEntry(MemoryLevel):
    """What one core's private levels send to the first shared level (or its coherence
    port), passed on unchanged and counted: every request by kind, and the requests other
    than writebacks whose data came from beyond the shared level (level_id > `shared_id`).
    One per core in a multi-program run, so the shared level's traffic splits exactly by
    program."""

    cdef MemoryLevel below
    cdef uint32_t shared_id
    cdef uint64_t requests[8]        # by access kind (caches/cache.pxd: 0-3 demand, 4
                                     # writeback, 5 prefetch, 6-7 coherence fills/upgrades)
    cdef uint64_t beyond             # non-writeback requests served below the shared level

    def __init__(self, MemoryLevel below not None, shared_id):
        self.below = below
        self.level_id = below.level_id
        self.shared_id = int(shared_id)
        self.reset_stats()

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        cdef uint32_t lat = self.below.access(pc, addr, kind, now, served_by)
        self.accept_wait = self.below.accept_wait
        self.requests[kind & 7] += 1
        if kind != KIND_WRITEBACK and (served_by[0] & SERVED_LEVEL) > self.shared_id:
            self.beyond += 1
        return lat

    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil:
        return self.below.block_op(pc, addr, op, now)

    cdef uint8_t probe(self, uint64_t line, uint8_t action, uint64_t* wmask) noexcept nogil:
        return self.below.probe(line, action, wmask)

    cdef void line_left(self, uint64_t line, uint64_t wmask) noexcept nogil:
        self.below.line_left(line, wmask)

    def stats(self):
        cdef int k
        return {"accesses": int(sum(self.requests[k] for k in range(8))),
                "writebacks_received": int(self.requests[KIND_WRITEBACK]),
                "prefetches_received": int(self.requests[KIND_PREFETCH]),
                "misses": int(self.beyond)}

    def reset_stats(self):
        cdef int k
        for k in range(8):
            self.requests[k] = 0
        self.beyond = 0
