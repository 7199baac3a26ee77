# The contract of anything that answers memory accesses in the hierarchy: a cache, DRAM,
# a flat fixed-latency memory. Timing models hold the L1s as MemoryLevel and never look
# further down; each level holds the next one.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef class MemoryLevel:
    cdef public int level_id          # 1 = L1, 2 = L2, 3 = L3, 4 = main memory
    # Cycles the last access waited before this level accepted it (a port, and for a miss
    # an MSHR); part of the latency returned. A non-blocking requester is held that long
    # (pipeline rule 13). Levels that accept at once leave it 0.
    cdef uint64_t accept_wait
    # Access one line-sized request at `addr`, issued at cycle `now`, of AccessKind `kind`,
    # on behalf of the instruction at `pc` (0 when no instruction is behind it: writebacks,
    # page walks, prefetches, trace-driven accesses without pcs).
    # Returns the latency in cycles until the data is available to the requester and
    # writes into served_by[0] the level_id that held the data.
    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil
    # Cache-block operation (Zicbom/Zicboz) on the block holding `addr`, issued at `now`:
    # op is CBO_CLEAN, CBO_FLUSH or CBO_ZERO. A cache applies it and passes clean/flush on
    # to the level below; memory has nothing to do. Returns the cycles until done.
    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil

# Cache-block operations, numbered as the cbo.* funct12 field (cbo.inval is 0: see
# docs/caches.md for how it is performed).
cdef enum:
    CBO_CLEAN = 1
    CBO_FLUSH = 2
    CBO_ZERO = 4
