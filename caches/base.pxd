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
    # Coherence (docs/coherence.md). probe: the directory acts on the line (line address,
    # addr >> line_shift) in this private cache and the other private caches of its core
    # (PROBE_* below); returns HELD | DIRTY | PERMISSION as found before acting, ORs into wmask[0]
    # the words written there since last reported. line_left: a private cache of a core
    # tells its coherence port it dropped `line`, with the words written since reported.
    # The defaults do nothing (levels outside coherence).
    cdef uint8_t probe(self, uint64_t line, uint8_t action, uint64_t* wmask) noexcept nogil
    cdef void line_left(self, uint64_t line, uint64_t wmask) noexcept nogil

# Cache-block operations, numbered as the cbo.* funct12 field (cbo.inval is 0: see
# docs/caches.md for how it is performed).
cdef enum:
    CBO_CLEAN = 1
    CBO_FLUSH = 2
    CBO_ZERO = 4

# Probe actions and answers, and the bits a coherent level ORs into served_by beside the
# level_id (which fits in the low 3 bits): the line was granted with write permission (E);
# the miss was a coherence miss; and a true-sharing one.
cdef enum:
    PROBE_QUERY = 0
    PROBE_INVALIDATE = 1
    PROBE_DOWNGRADE = 2          # to S; a dirty copy is cleaned (MESI) or kept as O (MOESI)
    PROBE_HELD = 1
    PROBE_DIRTY = 2
    PROBE_PERMISSION = 4         # held with write permission (E or M)
    GRANT_EXCLUSIVE = 0x80
    SERVED_COHERENCE_MISS = 0x40
    SERVED_TRUE_SHARING = 0x20
    SERVED_LEVEL = 0x07
