# The coherence directory (or snooping bus) between the cores' private caches and the first
# shared level, and the port through which one core's private caches reach it
# (docs/coherence.md). Cores are numbered 0..63: a line's sharers are one 64-bit word.
from libc.stdint cimport int8_t, uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel

# A request for write permission on a line held shared, from a private cache to the level
# below it, sent as a block operation (block_op's op) so that the access path carries no
# test for it: a private cache passes it on (_serve_upgrade), a port to the directory.
cdef enum:
    OP_UPGRADE = 8

cdef class Directory:
    cdef readonly MemoryLevel shared      # the level that serves the cores' misses
    cdef CoherencePort first_port          # ports of cores 0, 1, ... (linked by next_port)
    cdef readonly int cores
    cdef readonly bint moesi               # a dirty line read by another core stays Owned
    cdef readonly bint snoop               # a bus: every request is seen by every core
    cdef readonly uint32_t lookup_latency        # directory lookup, or snoop of every core
    cdef readonly uint32_t invalidation_latency  # invalidations out and acknowledgements back
    cdef readonly uint32_t intervention_latency  # forward to the owner, its data to the requester
    cdef uint32_t line_shift
    cdef uint32_t word_shift
    # Full-map table, open addressing: key = line + 1 (0 = empty slot).
    cdef uint64_t* keys
    cdef uint64_t* sharers                 # per entry: bit c = core c holds the line
    cdef int8_t* owner                     # core holding it E, M or O; -1: none
    cdef uint64_t* lost                    # bit c = core c lost it to another core's write
    cdef uint32_t* pool_at                 # per entry: 1 + its block of written masks, 0: none
    cdef uint64_t* pool                    # blocks of `cores` masks: words written since
                                           # core c lost the line
    cdef uint64_t slots, used, pool_blocks, pool_cap
    # Statistics (per requesting core where [64]).
    cdef uint64_t n_gets, n_getm, n_upgrade, n_writes, n_writebacks
    cdef uint64_t n_invalidations, n_interventions, n_downgrade_writebacks
    cdef uint64_t n_messages, n_snoops, n_puts
    cdef uint64_t n_coherence[64]
    cdef uint64_t n_true[64]
    cdef uint64_t n_false[64]
    cdef uint64_t n_inval_recv[64]         # invalidations each core's caches received
    cdef uint64_t n_interv_recv[64]        # interventions each core served

    cdef uint64_t _slot(self, uint64_t line, bint insert) noexcept nogil
    cdef bint _grow(self) noexcept nogil
    cdef uint64_t* _masks(self, uint64_t e) noexcept nogil
    cdef void _report(self, uint64_t e, int writer, uint64_t wmask) noexcept nogil
    cdef uint64_t _invalidate_others(self, uint64_t e, uint64_t line, uint64_t others,
                                     int writer) noexcept nogil
    cdef uint32_t request(self, int core, uint64_t pc, uint64_t addr, uint8_t kind,
                          uint64_t now, uint8_t* served_by) noexcept nogil
    # Core `core` dropped a copy of `line`; `found` is what its private caches still hold
    # (a PROBE_QUERY answer).
    cdef void left(self, int core, uint64_t line, uint64_t wmask, uint8_t found) noexcept nogil


cdef class CoherencePort(MemoryLevel):
    cdef readonly int core
    cdef readonly Directory directory
    cdef readonly MemoryLevel first        # the core's first private cache (probes walk on)
    cdef CoherencePort next_port
    # Probe core `core`'s private caches (this port's, or a later port's core).
    cdef uint8_t probe_core(self, int core, uint64_t line, uint8_t action,
                            uint64_t* wmask) noexcept nogil
