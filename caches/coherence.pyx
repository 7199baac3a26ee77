"""Cache coherence: MESI or MOESI, kept by a full-map directory beside the first shared level
or by a snooping bus (docs/coherence.md has the protocol tables, the latencies and what is
not modelled).

The private caches of a core keep each line's state in their tags: present, dirty and a
write-permission bit give I, S, E, M (and O: dirty without permission, MOESI). Their misses
and upgrade requests reach the Directory through the core's CoherencePort; the directory
knows, per line, the cores holding it and the one holding it E/M/O, probes the private
caches of other cores (invalidate, downgrade) and adds the latencies of what it did to the
requester's access. Evictions of private lines, clean or dirty, are reported (no silent
evictions), so the table is exact.
"""
from libc.stdint cimport int8_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memset

from caches.base cimport (MemoryLevel, PROBE_QUERY, PROBE_INVALIDATE, PROBE_DOWNGRADE,
                          PROBE_HELD, PROBE_DIRTY, PROBE_PERMISSION, GRANT_EXCLUSIVE, SERVED_COHERENCE_MISS,
                          SERVED_TRUE_SHARING)
from caches.cache cimport (K_IFETCH, K_LOAD, K_STORE, K_AMO, KIND_WRITEBACK, KIND_PREFETCH,
                           KIND_GETM, KIND_UPGRADE)

PROTOCOLS = ("mesi", "moesi")
FABRICS = ("directory", "snoop")
MAX_CORES = 64

cdef uint64_t NO_SLOT = 0xFFFFFFFFFFFFFFFFULL
cdef uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL


cdef inline int popcount(uint64_t x) noexcept nogil:
    cdef int n = 0
    while x:
        x &= x - 1
        n += 1
    return n


cdef inline int lowest(uint64_t x) noexcept nogil:
    cdef int i = 0
    while not (x & 1):
        x >>= 1
        i += 1
    return i


cdef class Directory:
    """Directory(shared, cores, protocol="mesi", fabric="directory", lookup_latency=10,
    invalidation_latency=20, intervention_latency=30, line_size=64)

    `shared` is the MemoryLevel the cores' misses go to (the first shared cache, or main
    memory); ports are added with add_port, one per core in order."""

    def __init__(self, MemoryLevel shared not None, int cores, protocol="mesi",
                 fabric="directory", lookup_latency=10, invalidation_latency=20,
                 intervention_latency=30, line_size=64):
        if protocol not in PROTOCOLS:
            raise ValueError(f"coherence.protocol is {protocol!r}; use one of "
                             f"{', '.join(PROTOCOLS)}")
        if fabric not in FABRICS:
            raise ValueError(f"coherence.fabric is {fabric!r}; use one of {', '.join(FABRICS)}")
        if not 1 <= cores <= MAX_CORES:
            raise ValueError(f"cores is {cores}; a directory tracks 1 to {MAX_CORES} cores")
        self.shared = shared
        self.cores = cores
        self.moesi = protocol == "moesi"
        self.snoop = fabric == "snoop"
        self.lookup_latency = lookup_latency
        self.invalidation_latency = invalidation_latency
        self.intervention_latency = intervention_latency
        self.line_shift = 0
        while (1 << self.line_shift) < line_size:
            self.line_shift += 1
        self.word_shift = 3
        while (line_size >> self.word_shift) > 64:
            self.word_shift += 1
        self.slots = 0
        self._alloc(1 << 12)
        self._zero_stats()

    def _alloc(self, uint64_t slots):
        self._free()
        self.keys = <uint64_t*> calloc(slots, sizeof(uint64_t))
        self.sharers = <uint64_t*> calloc(slots, sizeof(uint64_t))
        self.owner = <int8_t*> calloc(slots, sizeof(int8_t))
        self.lost = <uint64_t*> calloc(slots, sizeof(uint64_t))
        self.pool_at = <uint32_t*> calloc(slots, sizeof(uint32_t))
        if not (self.keys and self.sharers and self.owner and self.lost and self.pool_at):
            self._free()
            raise MemoryError("no host memory for the coherence directory")
        self.slots = slots
        self.used = 0
        self.pool = NULL
        self.pool_blocks = 0
        self.pool_cap = 0

    def _free(self):
        free(self.keys)
        free(self.sharers)
        free(self.owner)
        free(self.lost)
        free(self.pool_at)
        free(self.pool)
        self.keys = self.sharers = self.lost = self.pool = NULL
        self.owner = NULL
        self.pool_at = NULL

    def __dealloc__(self):
        free(self.keys)
        free(self.sharers)
        free(self.owner)
        free(self.lost)
        free(self.pool_at)
        free(self.pool)

    def add_port(self, CoherencePort port not None):
        """Attach the next core's port (cores in order 0, 1, ...)."""
        cdef CoherencePort p = self.first_port
        if p is None:
            self.first_port = port
            return
        while p.next_port is not None:
            p = p.next_port
        p.next_port = port

    # ---- the table ----------------------------------------------------------------------

    cdef uint64_t _slot(self, uint64_t line, bint insert) noexcept nogil:
        cdef uint64_t key = line + 1
        cdef uint64_t mask = self.slots - 1
        cdef uint64_t i = (key * GOLDEN) & mask
        while self.keys[i] != 0:
            if self.keys[i] == key:
                return i
            i = (i + 1) & mask
        if not insert:
            return NO_SLOT
        if (self.used + 1) * 2 > self.slots:
            if not self._grow():
                return NO_SLOT
            return self._slot(line, 1)
        self.keys[i] = key
        self.owner[i] = -1
        self.used += 1
        return i

    cdef bint _grow(self) noexcept nogil:
        cdef uint64_t n = self.slots * 2
        cdef uint64_t* k2 = <uint64_t*> calloc(n, sizeof(uint64_t))
        cdef uint64_t* s2 = <uint64_t*> calloc(n, sizeof(uint64_t))
        cdef int8_t* o2 = <int8_t*> calloc(n, sizeof(int8_t))
        cdef uint64_t* l2 = <uint64_t*> calloc(n, sizeof(uint64_t))
        cdef uint32_t* p2 = <uint32_t*> calloc(n, sizeof(uint32_t))
        cdef uint64_t i, j
        if not (k2 and s2 and o2 and l2 and p2):
            free(k2)
            free(s2)
            free(o2)
            free(l2)
            free(p2)
            return 0
        for i in range(self.slots):
            if self.keys[i] != 0:
                j = (self.keys[i] * GOLDEN) & (n - 1)
                while k2[j] != 0:
                    j = (j + 1) & (n - 1)
                k2[j] = self.keys[i]
                s2[j] = self.sharers[i]
                o2[j] = self.owner[i]
                l2[j] = self.lost[i]
                p2[j] = self.pool_at[i]
        free(self.keys)
        free(self.sharers)
        free(self.owner)
        free(self.lost)
        free(self.pool_at)
        self.keys, self.sharers, self.owner, self.lost, self.pool_at = k2, s2, o2, l2, p2
        self.slots = n
        return 1

    cdef uint64_t* _masks(self, uint64_t e) noexcept nogil:
        """The written-word masks of entry e, one per core (made on first use; NULL when
        the host is out of memory, which only loses the true/false split)."""
        cdef uint64_t* grown
        cdef uint64_t cap
        if self.pool_at[e] == 0:
            if self.pool_blocks == self.pool_cap:
                cap = self.pool_cap * 2 if self.pool_cap else 64
                grown = <uint64_t*> realloc(self.pool, cap * self.cores * sizeof(uint64_t))
                if grown == NULL:
                    return NULL
                self.pool = grown
                self.pool_cap = cap
            memset(self.pool + self.pool_blocks * self.cores, 0,
                   self.cores * sizeof(uint64_t))
            self.pool_blocks += 1
            self.pool_at[e] = <uint32_t> self.pool_blocks
        return self.pool + (self.pool_at[e] - 1) * self.cores

    # ---- protocol actions ---------------------------------------------------------------

    cdef void _report(self, uint64_t e, int writer, uint64_t wmask) noexcept nogil:
        """Words `writer` wrote count against every other core that has lost the line."""
        cdef uint64_t victims = self.lost[e] & ~((<uint64_t> 1) << writer)
        cdef uint64_t* m
        cdef int c
        if wmask == 0 or victims == 0:
            return
        m = self._masks(e)
        if m == NULL:
            return
        while victims:
            c = lowest(victims)
            victims &= victims - 1
            m[c] |= wmask

    cdef uint64_t _invalidate_others(self, uint64_t e, uint64_t line, uint64_t others,
                                     int writer) noexcept nogil:
        """Invalidate the line in the private caches of every core in `others`; they lose
        it to `writer`'s write. Returns the cores that held it dirty."""
        cdef uint64_t dirty = 0
        cdef uint64_t wmask
        cdef uint64_t* m
        cdef uint8_t flags
        cdef int c
        while others:
            c = lowest(others)
            others &= others - 1
            wmask = 0
            flags = self.first_port.probe_core(c, line, PROBE_INVALIDATE, &wmask)
            self._report(e, c, wmask)
            if flags & PROBE_DIRTY:
                dirty |= (<uint64_t> 1) << c
            self.lost[e] |= (<uint64_t> 1) << c
            if self.pool_at[e]:
                m = self._masks(e)
                m[c] = 0                            # words written from now on count
            self.n_invalidations += 1
            self.n_inval_recv[c] += 1
            self.n_messages += 2                    # invalidation, acknowledgement
        return dirty

    cdef uint32_t request(self, int core, uint64_t pc, uint64_t addr, uint8_t kind,
                          uint64_t now, uint8_t* served_by) noexcept nogil:
        cdef uint8_t k = kind & 7
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t me = (<uint64_t> 1) << core
        cdef uint64_t e, others, rest, wmask, was_lost
        cdef uint64_t* m
        cdef uint64_t lat, t
        cdef uint8_t bits = 0
        cdef uint8_t flags
        cdef uint8_t dummy
        cdef int o
        if k == KIND_WRITEBACK:          # a dirty line going down; left() tracks the holder
            return self.shared.access(pc, addr, KIND_WRITEBACK, now, served_by)
        e = self._slot(line, 1)
        if e == NO_SLOT:                 # out of host memory: uncoherent, but it runs
            return self.shared.access(pc, addr, K_LOAD if k >= KIND_GETM else k, now,
                                      served_by)
        others = self.sharers[e] & ~me
        o = self.owner[e]
        was_lost = self.lost[e] & me      # cleared once the probes have reported
        self.n_messages += 1                                    # the request
        if self.snoop:
            self.n_snoops += <uint64_t> (self.cores - 1)        # every other core looks
        if k == KIND_UPGRADE:
            self.n_upgrade += 1
            lat = self.lookup_latency
            if others:
                lat += self.invalidation_latency
                self._invalidate_others(e, line, others, core)
            self.sharers[e] = me
            self.owner[e] = <int8_t> core
            self.n_messages += 1                                # the grant
            served_by[0] = <uint8_t> self.shared.level_id | GRANT_EXCLUSIVE
            return <uint32_t> lat
        if k == K_STORE or k == K_AMO:   # a write not allocated above: every copy goes
            self.n_writes += 1
            lat = self.shared.access(pc, addr, k, now, served_by)
            if others:
                if lat < self.lookup_latency + self.invalidation_latency:
                    lat = self.lookup_latency + self.invalidation_latency
                self._invalidate_others(e, line, others, core)
            self.sharers[e] &= me
            if o != core:
                self.owner[e] = -1
            self.n_messages += 1
            return <uint32_t> lat
        if k == KIND_GETM:
            self.n_getm += 1
            if o >= 0 and o != core:
                # intervention: the owner sends the line and drops it
                wmask = 0
                flags = self.first_port.probe_core(o, line, PROBE_INVALIDATE, &wmask)
                self._report(e, o, wmask)
                self.lost[e] |= (<uint64_t> 1) << o
                if self.pool_at[e]:
                    m = self._masks(e)
                    m[o] = 0
                self.n_interventions += 1
                self.n_interv_recv[o] += 1
                self.n_messages += 2                            # forward, data
                lat = self.lookup_latency + self.intervention_latency
                rest = others & ~((<uint64_t> 1) << o)
                if rest:
                    if lat < self.lookup_latency + self.invalidation_latency:
                        lat = self.lookup_latency + self.invalidation_latency
                    self._invalidate_others(e, line, rest, core)
                served_by[0] = <uint8_t> self.shared.level_id
            else:
                lat = self.shared.access(pc, addr, K_LOAD, now, served_by)
                if self.snoop and lat < self.lookup_latency:
                    lat = self.lookup_latency
                if others:
                    if lat < self.lookup_latency + self.invalidation_latency:
                        lat = self.lookup_latency + self.invalidation_latency
                    self._invalidate_others(e, line, others, core)
                self.n_messages += 1                            # the data
            self.sharers[e] = me
            self.owner[e] = <int8_t> core
            bits = GRANT_EXCLUSIVE
        else:                                                   # a read: ifetch, load, prefetch
            self.n_gets += 1
            if o >= 0 and o != core:
                # intervention: the owner sends the line and keeps a shared copy
                wmask = 0
                flags = self.first_port.probe_core(o, line, PROBE_DOWNGRADE, &wmask)
                self._report(e, o, wmask)
                self.n_interventions += 1
                self.n_interv_recv[o] += 1
                self.n_messages += 2                            # forward, data
                lat = self.lookup_latency + self.intervention_latency
                if (flags & PROBE_DIRTY) and not self.moesi:
                    # MESI: the dirty line is written to the shared level as it is shared
                    self.shared.access(0, addr, KIND_WRITEBACK, now + lat, &dummy)
                    self.n_downgrade_writebacks += 1
                    self.n_messages += 1
                if not (self.moesi and (flags & PROBE_DIRTY)):
                    self.owner[e] = -1                          # MOESI keeps a dirty owner (O)
                served_by[0] = <uint8_t> self.shared.level_id
            else:
                lat = self.shared.access(pc, addr, K_IFETCH if k == K_IFETCH else K_LOAD,
                                         now, served_by)
                if self.snoop and lat < self.lookup_latency:
                    lat = self.lookup_latency
                if others == 0:                                 # nobody else: Exclusive
                    bits = GRANT_EXCLUSIVE
                    self.owner[e] = <int8_t> core
                self.n_messages += 1                            # the data
            self.sharers[e] |= me
        self.lost[e] &= ~me
        if was_lost and k != KIND_PREFETCH:
            # a coherence miss; true sharing when another core wrote the word it wants
            # (Dubois et al. 1993, at the missing access: docs/coherence.md)
            bits |= SERVED_COHERENCE_MISS
            self.n_coherence[core] += 1
            m = self._masks(e) if self.pool_at[e] else NULL
            if m != NULL and (m[core] >> ((((addr & ((<uint64_t> 1 << self.line_shift) - 1))
                                            >> self.word_shift) & 63))) & 1:
                bits |= SERVED_TRUE_SHARING
                self.n_true[core] += 1
            else:
                self.n_false[core] += 1
        served_by[0] |= bits
        return <uint32_t> lat

    cdef void left(self, int core, uint64_t line, uint64_t wmask, uint8_t found) noexcept nogil:
        cdef uint64_t e = self._slot(line, 0)
        if e == NO_SLOT:
            return
        self._report(e, core, wmask)
        if not (found & PROBE_HELD):
            self.sharers[e] &= ~((<uint64_t> 1) << core)
            if self.owner[e] == core:
                self.owner[e] = -1
            self.n_puts += 1
            self.n_messages += 1                                # the eviction notice
        elif self.owner[e] == core and not (found & (PROBE_DIRTY | PROBE_PERMISSION)):
            # the owner's dirty copy left (written back) and a clean shared one stays: O -> S
            self.owner[e] = -1
            self.n_messages += 1

    # ---- Python side --------------------------------------------------------------------

    def state(self, uint64_t addr):
        """(sorted list of cores holding the line of `addr`, owner core or None)."""
        cdef uint64_t e = self._slot(addr >> self.line_shift, 0)
        if e == NO_SLOT:
            return [], None
        s = self.sharers[e]
        return [c for c in range(self.cores) if (s >> c) & 1], (
            None if self.owner[e] < 0 else int(self.owner[e]))

    def lines(self):
        """Byte addresses of every line some core holds."""
        cdef uint64_t i
        return sorted(int(self.keys[i] - 1) << self.line_shift for i in range(self.slots)
                      if self.keys[i] != 0 and self.sharers[i] != 0)

    def _zero_stats(self):
        self.n_gets = self.n_getm = self.n_upgrade = self.n_writes = self.n_writebacks = 0
        self.n_invalidations = self.n_interventions = self.n_downgrade_writebacks = 0
        self.n_messages = self.n_snoops = self.n_puts = 0
        memset(self.n_coherence, 0, sizeof(self.n_coherence))
        memset(self.n_true, 0, sizeof(self.n_true))
        memset(self.n_false, 0, sizeof(self.n_false))
        memset(self.n_inval_recv, 0, sizeof(self.n_inval_recv))
        memset(self.n_interv_recv, 0, sizeof(self.n_interv_recv))

    def reset_stats(self):
        self._zero_stats()

    def interactions(self):
        """Protocol actions one core's request took on another core's copy (invalidations
        and interventions): the engine reads it once per quantum to see whether the harts
        shared written lines in it (docs/engine.md, adaptive quanta)."""
        return self.n_invalidations + self.n_interventions

    def reset(self):
        """Empty table (every private cache is emptied with it), counters zero."""
        self._alloc(1 << 12)
        self._zero_stats()

    def stats(self):
        """Requests by kind, protocol actions and messages; coherence misses (all cores and
        per core as "core<i>.coherence_misses", ...)."""
        cdef int c
        s = {"read_requests": self.n_gets, "write_requests": self.n_getm,
             "upgrades": self.n_upgrade, "uncached_writes": self.n_writes,
             "invalidations": self.n_invalidations, "interventions": self.n_interventions,
             "downgrade_writebacks": self.n_downgrade_writebacks,
             "eviction_notices": self.n_puts, "messages": self.n_messages,
             "coherence_misses": sum(self.n_coherence[c] for c in range(self.cores)),
             "true_sharing_misses": sum(self.n_true[c] for c in range(self.cores)),
             "false_sharing_misses": sum(self.n_false[c] for c in range(self.cores))}
        if self.snoop:
            s["snoops"] = self.n_snoops
        for c in range(self.cores):
            s[f"core{c}.coherence_misses"] = self.n_coherence[c]
            s[f"core{c}.true_sharing_misses"] = self.n_true[c]
            s[f"core{c}.false_sharing_misses"] = self.n_false[c]
            s[f"core{c}.invalidations_received"] = self.n_inval_recv[c]
            s[f"core{c}.interventions_served"] = self.n_interv_recv[c]
        return s

    def __repr__(self):
        return (f"Directory({'MOESI' if self.moesi else 'MESI'}, "
                f"{'snooping bus' if self.snoop else 'full-map directory'}, {self.cores} "
                f"cores, lookup {self.lookup_latency}, invalidation "
                f"{self.invalidation_latency}, intervention {self.intervention_latency} "
                f"cycles)")


cdef class CoherencePort(MemoryLevel):
    """Where core `core`'s private caches meet the directory: their misses, upgrades and
    writebacks enter here, and `first` is the first of the core's private caches (the
    others follow it as siblings), which the directory probes."""

    def __init__(self, Directory directory not None, int core):
        self.directory = directory
        self.core = core
        self.level_id = directory.shared.level_id
        directory.add_port(self)

    def attach(self, MemoryLevel first not None):
        """Name the core's first private cache (the rest are its siblings)."""
        self.first = first

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        return self.directory.request(self.core, pc, addr, kind, now, served_by)

    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil:
        cdef uint8_t dummy
        if op == OP_UPGRADE:
            return self.directory.request(self.core, pc, addr, KIND_UPGRADE, now, &dummy)
        return self.directory.shared.block_op(pc, addr, op, now)

    cdef void line_left(self, uint64_t line, uint64_t wmask) noexcept nogil:
        cdef uint64_t none = 0
        cdef uint8_t found = 0
        if self.first is not None:
            found = self.first.probe(line, PROBE_QUERY, &none)
        self.directory.left(self.core, line, wmask, found)

    cdef uint8_t probe_core(self, int core, uint64_t line, uint8_t action,
                            uint64_t* wmask) noexcept nogil:
        if self.core == core and self.first is not None:
            return self.first.probe(line, action, wmask)
        if self.next_port is not None:
            return self.next_port.probe_core(core, line, action, wmask)
        return 0

    def stats(self):
        return {}

    def __repr__(self):
        return f"CoherencePort(core {self.core})"
