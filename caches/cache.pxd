# A set-associative cache of tags and state (valid, dirty), never data.
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel
from caches.replacement cimport ReplacementPolicy
from caches.shadow cimport LineSet, FullyAssocLRU
from caches.prefetch cimport Prefetcher
from caches.occupancy cimport Occupancy

# Access kinds as plain C ints (a cpdef enum cannot index a C array): the AccessKind
# values of pipeline/types.pxd (cache.pyx checks they agree at import), then one kind used
# only between cache levels: a dirty line written back from the level above (a full-line
# write, so a write-allocate level installs it without fetching it first).
cdef enum:
    K_IFETCH = 0
    K_LOAD = 1
    K_STORE = 2
    K_AMO = 3
    KIND_WRITEBACK = 4
    KIND_PREFETCH = 5          # also between levels: a prefetch from above, filled like a load
                               # miss but not shown to this level's own prefetcher
    # Only under a coherence protocol, from a private cache to the one below it (and to
    # its core's coherence port): a fill with write permission (read for ownership) and a
    # request for write permission on a line held shared (no data).
    KIND_GETM = 6
    KIND_UPGRADE = 7
    KIND_OWNED = 0x80          # ORed into a writeback's kind: the line had write permission
    KIND_SLOTS = 8             # counter arrays are indexed by kind & 7
    PORT_WINDOW = 1024         # cycles of port bookings remembered (power of two)

cdef class UpperLink

cdef class Cache(MemoryLevel):
    cdef readonly str name
    cdef readonly uint64_t size            # bytes
    cdef readonly uint32_t assoc           # ways per set
    cdef readonly uint32_t line_size       # bytes
    cdef readonly uint32_t num_sets
    cdef readonly uint32_t hit_latency     # cycles
    cdef readonly uint32_t mshrs           # miss status holding registers (outstanding line fills)
    cdef readonly uint32_t ports           # accesses accepted per cycle (pipelined tag/data arrays)
    cdef readonly uint32_t writeback_buffer        # entries for dirty victims on their way down
    cdef readonly uint32_t write_through_buffer    # entries for posted writes on their way down
    cdef readonly str policy_name
    cdef readonly str write_policy
    cdef readonly str inclusion
    cdef readonly bint write_allocate
    cdef readonly bint write_through
    cdef readonly bint inclusive
    cdef readonly bint classify_misses     # track compulsory/capacity/conflict misses (costs time)
    cdef readonly MemoryLevel next         # the level that serves misses
    cdef readonly ReplacementPolicy policy
    cdef readonly Prefetcher prefetcher    # None: no prefetching (the access path tests has_pf)
    cdef bint has_pf
    cdef bint plain_hits                   # no prefetcher, coherence or write-through: a
                                           # hit takes access's short path
    cdef uint8_t* pf_bit                   # per (set, way): brought by a prefetch, not used yet

    cdef uint32_t line_shift
    cdef uint64_t set_mask
    cdef uint64_t* tags                    # line address per (set, way); NO_LINE = invalid
    cdef uint8_t* dirty                    # 1 = modified since the fill
    cdef uint32_t* valid_ways              # per set: ways holding a line (full sets skip the search)
    cdef uint64_t* ready                   # per (set, way): cycle the line's fill completes
    cdef uint64_t* mshr_line               # per MSHR: the line being fetched
    cdef uint64_t* mshr_free               # per MSHR: cycle it frees (its fill is in the array)
    cdef uint8_t* mshr_served              # per MSHR: level_id that supplies its fill
    cdef uint64_t* wbb_free                # per writeback-buffer entry: cycle it frees
    cdef uint64_t* wtb_free                # per write-through-buffer entry: cycle it frees
    cdef uint64_t* port_cycle              # port calendar, slot = cycle & (PORT_WINDOW - 1)
    cdef uint32_t* port_used               # accesses booked in that slot's cycle
    cdef object _bufs                      # numpy arrays owning the arrays above
    cdef LineSet seen                      # every line ever referenced (compulsory misses)
    cdef FullyAssocLRU shadow              # fully-associative LRU of the same size

    # Coherence (docs/coherence.md): a private cache of core `core` under a protocol.
    cdef readonly bint coherent
    cdef readonly int core                 # -1: not a private cache under coherence
    cdef bint coh_moesi                    # a probe downgrade keeps a dirty line (O)
    cdef uint32_t word_shift               # log2 of the bytes of one tracked word
    cdef uint8_t* perm                     # per (set, way): held with write permission (E/M)
    cdef uint64_t* written                 # per (set, way): words written, not yet reported
    cdef MemoryLevel coh_port              # the core's port to the directory
    cdef MemoryLevel coh_sibling           # the next private cache of the same core
    cdef uint64_t n_coherence              # misses on lines lost to another core's write
    cdef uint64_t n_true_sharing           # ... whose word that core had written
    cdef uint64_t n_false_sharing          # ... whose word it had not
    cdef uint64_t n_upgrades               # write-permission requests for a held line
    cdef uint64_t n_probe_invalidations    # lines invalidated by the directory
    cdef uint64_t n_probe_downgrades       # lines downgraded to shared by the directory
    cdef uint64_t n_probe_writebacks       # dirty lines cleaned by a downgrade (MESI)

    # A level every core shares (docs/engine.md, "Cycle order at the shared levels"): its
    # MSHRs and writeback buffer are occupancy timelines instead of free-at cycles, so a
    # request from a hart that runs later in the quantum is placed at its own cycle.
    cdef readonly bint cycle_ordered
    cdef Occupancy mshr_tl                 # MSHRs: [request, fill) per fetch, tag = line
    cdef Occupancy wbb_tl                  # writeback buffer: [fill, written below) per victim

    # Caches above this one whose lines it must back-invalidate (inclusive only): a list
    # of links, so a shared level can have the private caches of any number of cores.
    cdef UpperLink up_first
    cdef UpperLink up_last
    cdef int n_upper

    # Statistics, per access kind (AccessKind or KIND_WRITEBACK).
    cdef uint64_t n_access[KIND_SLOTS]
    cdef uint64_t n_hit[KIND_SLOTS]
    cdef uint64_t n_miss[KIND_SLOTS]
    cdef uint64_t n_writeback              # dirty lines sent to the next level
    cdef uint64_t n_eviction               # valid lines replaced by a fill
    cdef uint64_t n_back_invalidation      # lines dropped because a lower inclusive level evicted them
    cdef uint64_t n_write_through          # stores forwarded (write-through, or write-no-allocate misses)
    cdef uint64_t n_compulsory
    cdef uint64_t n_capacity
    cdef uint64_t n_conflict
    cdef uint64_t n_mshr_hit               # accesses that waited for a fill already under way
    cdef uint64_t n_mshr_alloc             # fills started (MSHRs taken)
    cdef uint64_t n_mshr_full              # misses that found every MSHR busy
    cdef uint64_t n_mshr_full_cycles       # cycles those misses waited for one to free
    cdef uint64_t n_port_stall             # accesses that found every port of their cycle taken
    cdef uint64_t n_port_stall_cycles
    cdef uint64_t n_wbb_full, n_wbb_full_cycles    # fills waiting for a writeback-buffer entry
    cdef uint64_t n_wtb_full, n_wtb_full_cycles    # writes waiting for a write-through-buffer entry
    cdef uint64_t n_cbo[8]                 # cache-block operations, by CBO_* number
    cdef uint64_t n_cbo_writeback          # dirty lines written back by cbo.clean/flush
    # Prefetch statistics (docs/caches.md, "Prefetchers").
    cdef uint64_t n_pf_requests            # addresses the prefetcher asked for
    cdef uint64_t n_pf_issued              # sent to the next level
    cdef uint64_t n_pf_dropped_present     # line present or in flight
    cdef uint64_t n_pf_dropped_mshr        # every MSHR busy
    cdef uint64_t n_pf_useful              # first demand use of a prefetched line
    cdef uint64_t n_pf_late                # ... while its fill was still under way
    cdef uint64_t n_pf_useless             # evicted or invalidated before any demand use

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil
    # Every access but a plain hit (see access): the whole non-blocking model; `way` is
    # the way holding the line (-1: a miss), found by access.
    cdef uint32_t _access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                          uint8_t* served_by, int way) noexcept nogil
    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil
    cdef int _find(self, uint64_t line, uint64_t base) noexcept nogil
    # The cycle >= t at which a port is free (books it); every access goes through it.
    cdef uint64_t _take_port(self, uint64_t t) noexcept nogil
    # The MSHR already fetching `line` at cycle t, or -1 (a miss merges into it).
    cdef int _mshr_match(self, uint64_t line, uint64_t t) noexcept nogil
    # The MSHR that frees first; its mshr_free is when a new miss can take it.
    cdef int _mshr_earliest(self) noexcept nogil
    # Fetch `line` from the next level with the request leaving at cycle t (tag check done):
    # waits for an MSHR, asks the next level, installs the line with its fill-ready cycle,
    # writes back the victim. Returns the cycle the line is ready; way_out[0] = its way.
    # A prefetcher's fill uses it too (with its own kind and pc 0).
    cdef uint64_t _fetch_line(self, uint64_t pc, uint64_t addr, uint64_t line, uint32_t set_,
                              uint64_t base, uint8_t kind, uint64_t t, uint8_t* served_by,
                              int* way_out) noexcept nogil
    # At a level every core shares: the cycle a request at t gets a line whose fill
    # completes at `ready` (a fill another hart started after t lasts as long for it).
    cdef uint64_t _ordered_fill_wait(self, uint64_t line, uint64_t t,
                                     uint64_t ready) noexcept nogil
    # _fetch_line at a level every core shares: the MSHRs are an occupancy timeline.
    cdef uint64_t _fetch_line_ordered(self, uint64_t pc, uint64_t addr, uint64_t line,
                                      uint32_t set_, uint64_t base, uint8_t kind, uint64_t t,
                                      uint8_t* served_by, int* way_out) noexcept nogil
    # Post a write to the next level through the write-through buffer at cycle t;
    # returns the cycles the writer waited for a free entry; served_by as from the next level.
    cdef uint64_t _post_write(self, uint64_t pc, uint64_t addr, uint8_t kind,
                              uint64_t t, uint8_t* served_by) noexcept nogil
    # Put `line` into `set_` with fill-ready cycle `when`; evicts (and writes back through
    # the writeback buffer) the victim; returns the way and adds the cycles the fill waited
    # for a writeback-buffer entry to stall[0].
    cdef int _install(self, uint32_t set_, uint64_t base, uint64_t line,
                      uint64_t when, uint64_t pc, uint8_t kind, uint64_t* stall) noexcept nogil
    cdef void _prefetch(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                        uint64_t t) noexcept nogil
    cdef void _pf_issue(self, uint64_t addr, uint64_t t) noexcept nogil
    cdef bint _back_invalidate(self, uint64_t addr) noexcept nogil
    cdef void _zero_stats(self) noexcept nogil
    # Ask the level below for write permission on a line this cache holds (an MSHR is
    # taken for the time it takes); returns the cycle permission is granted.
    cdef uint64_t _upgrade(self, uint64_t pc, uint64_t addr, uint64_t t) noexcept nogil
    # Coherence bookkeeping of a fill of `way` (permission, miss class from served_by).
    # Returns 1 if the fill was a coherence miss (counted here).
    cdef bint _coherent_fill(self, uint64_t base, int way, uint8_t served,
                             uint8_t k) noexcept nogil
    # An upgrade request from the cache above (KIND_UPGRADE): permission from here or below.
    cdef uint32_t _serve_upgrade(self, uint64_t pc, uint64_t addr, uint64_t now,
                                 uint8_t* served_by) noexcept nogil
    # Drop every line overlapping [addr, addr + size); returns 1 if one of them was dirty.
    cdef bint invalidate_range(self, uint64_t addr, uint64_t size) noexcept nogil


cdef class UpperLink:
    # One cache above an inclusive level, and the next one (None at the end).
    cdef Cache cache
    cdef UpperLink next
    # Back-invalidate the block [addr, addr + size) in this cache and the ones after it;
    # returns 1 if one of them held it dirty.
    cdef bint invalidate_range(self, uint64_t addr, uint64_t size) noexcept nogil
