"""A non-blocking set-associative cache level (tags and state only) and the Python entries
that drive a hierarchy from tests and address streams.

Timing model (docs/caches.md, "Non-blocking caches"): `now` is the cycle a request reaches
this level. It first takes a port (`ports` accesses per cycle, whatever hit_latency: the
arrays are pipelined). A hit on a line whose fill is complete costs hit_latency; a hit on a
line still in flight waits for its fill (an MSHR hit, "hit under miss"). A miss is known
hit_latency cycles after its port cycle; it then takes an MSHR (waiting for the earliest to
free when all are busy, merging into the one already fetching the same line), asks the
next level, and the line is ready when the fill returns. The dirty victim leaves through
the writeback buffer after the fill (a fill waits when the buffer is full); posted writes
(write-through stores, write-no-allocate store misses) cost hit_latency plus any wait for a
write-through buffer entry.

Requests reach a level in the order the model issues them, which is not always cycle order
(a buffered store drains after younger loads were issued). MSHRs and buffers are allocated
in issue order from their free-at cycles; the port calendar remembers the last PORT_WINDOW
cycles, so bookings up to that far back in time are seen.
"""
import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memset

from caches.base cimport (MemoryLevel, CBO_CLEAN, CBO_FLUSH, CBO_ZERO, PROBE_QUERY,
                          PROBE_INVALIDATE, PROBE_DOWNGRADE, PROBE_HELD, PROBE_DIRTY,
                          PROBE_PERMISSION,
                          GRANT_EXCLUSIVE, SERVED_COHERENCE_MISS, SERVED_TRUE_SHARING,
                          SERVED_LEVEL)
from caches.coherence cimport OP_UPGRADE
from caches.replacement cimport ReplacementPolicy
from caches.occupancy cimport (occ_init, occ_release, occ_clear, occ_free_at, occ_find,
                               occ_book, occ_settle)
from caches.shadow cimport LineSet, FullyAssocLRU
from caches.prefetch cimport (Prefetcher, PF_MISS, PF_HIT, PF_HIT_PREFETCHED,
                              PF_HIT_IN_FLIGHT, PF_LATE)
from pipeline.types cimport ACC_IFETCH, ACC_LOAD, ACC_STORE, ACC_AMO

# The cache's kind numbers (cache.pxd) must be the AccessKind values the core sends.
if (<int> K_IFETCH != <int> ACC_IFETCH or <int> K_LOAD != <int> ACC_LOAD
        or <int> K_STORE != <int> ACC_STORE or <int> K_AMO != <int> ACC_AMO):
    raise ImportError("caches/cache.pxd kind numbers differ from pipeline.types.AccessKind")

from caches.replacement import make_policy

try:
    from cyclesim.errors import ConfigError as _BadConfig
except ImportError:          # the caches package also works on its own (tests, benchmarks)
    _BadConfig = ValueError

cdef uint64_t NO_LINE = 0xFFFFFFFFFFFFFFFFULL   # tag of an invalid way (never a line address)
# access_py without `now`: the cycle the previous access_py call completed (shared by every
# cache, so that a hierarchy driven from Python sees one requester's time).
cdef uint64_t _py_clock = 0
MAX_ENTRIES = 1024       # MSHRs, ports and buffer entries per level (searched linearly)
# Reservations an occupancy timeline keeps per entry (a shared level's MSHRs, writeback
# buffer): the engine settles them every quantum, so this only bounds a long quantum.
DEF RESERVATIONS_PER_ENTRY = 32

WRITE_POLICIES = ("write_back", "write_through")
INCLUSIONS = ("non_inclusive", "inclusive")
KIND_NAMES = {"ifetch": K_IFETCH, "load": K_LOAD, "store": K_STORE, "amo": K_AMO,
              "writeback": KIND_WRITEBACK, "prefetch": KIND_PREFETCH}


cdef inline bint is_pow2(uint64_t x) noexcept nogil:
    return x != 0 and (x & (x - 1)) == 0


cdef inline int find_way(const uint64_t* t, uint32_t assoc, uint64_t line) noexcept nogil:
    """The way of this set's tags `t` that holds `line`, or -1."""
    cdef uint32_t w
    for w in range(assoc):
        if t[w] == line:
            return <int> w
    return -1


cdef class UpperLink:
    """One cache in the list of caches above an inclusive level."""

    cdef bint invalidate_range(self, uint64_t addr, uint64_t size) noexcept nogil:
        cdef bint d = self.cache.invalidate_range(addr, size)
        if self.next is not None:
            d |= self.next.invalidate_range(addr, size)
        return d


cdef class Cache(MemoryLevel):
    """A set-associative, non-blocking cache level.

    Cache(size, assoc, line_size=64, hit_latency=1, policy="lru",
          write_policy="write_back", write_allocate=True, inclusion="non_inclusive",
          mshrs=8, seed=1, next=None, level_id=1, name="cache", classify_misses=True,
          policy_params=None, prefetcher=None, ports=1, writeback_buffer=8,
          write_through_buffer=8)

    `next` is the MemoryLevel that serves misses (None: an ideal zero-latency memory);
    `prefetcher` a caches.prefetch.Prefetcher built for this line size, or None.
    """

    def __init__(self, size, assoc, line_size=64, hit_latency=1, policy="lru",
                 write_policy="write_back", write_allocate=True, inclusion="non_inclusive",
                 mshrs=8, seed=1, next=None, level_id=1, name="cache",
                 classify_misses=True, policy_params=None, prefetcher=None, ports=1,
                 writeback_buffer=8, write_through_buffer=8):
        size, assoc, line_size = int(size), int(assoc), int(line_size)
        if line_size < 4 or not is_pow2(line_size):
            raise _BadConfig(f"{name}.line_size is {line_size} bytes; it must be a power of "
                             f"two of at least 4 bytes")
        if assoc < 1:
            raise _BadConfig(f"{name}.assoc is {assoc}; it must be at least 1")
        if size < line_size * assoc or size % (line_size * assoc):
            raise _BadConfig(f"{name}.size ({size} bytes) must be a multiple of assoc x "
                             f"line_size ({assoc} x {line_size} bytes)")
        sets = size // (line_size * assoc)
        if not is_pow2(sets):
            raise _BadConfig(f"{name} has {sets} sets (size / (assoc x line_size)); the "
                             f"number of sets must be a power of two")
        if int(hit_latency) < 0:
            raise _BadConfig(f"{name}.hit_latency is {hit_latency}; it must be >= 0 cycles")
        if write_policy not in WRITE_POLICIES:
            raise _BadConfig(f"{name}.write_policy is {write_policy!r}; use one of "
                             f"{', '.join(WRITE_POLICIES)}")
        if inclusion not in INCLUSIONS:
            raise _BadConfig(f"{name}.inclusion is {inclusion!r}; use one of "
                             f"{', '.join(INCLUSIONS)}")
        for field, value in (("mshrs", mshrs), ("ports", ports),
                             ("writeback_buffer", writeback_buffer),
                             ("write_through_buffer", write_through_buffer)):
            if not 1 <= int(value) <= MAX_ENTRIES:
                raise _BadConfig(f"{name}.{field} is {value}; it must be between 1 and "
                                 f"{MAX_ENTRIES}")
        if prefetcher is not None and not isinstance(prefetcher, Prefetcher):
            raise TypeError(f"{name}.prefetcher must be a caches.prefetch.Prefetcher or "
                            f"None, not {type(prefetcher).__name__}")
        if next is not None and not isinstance(next, MemoryLevel):
            raise TypeError(f"{name}.next must be a MemoryLevel (cache or memory), "
                            f"not {type(next).__name__}")
        try:
            self.policy = make_policy(policy, sets, assoc, policy_params, seed)
        except (ValueError, TypeError) as e:
            raise _BadConfig(f"{name}.policy: {e}") from None

        self.name = name
        self.size = size
        self.assoc = assoc
        self.line_size = line_size
        self.num_sets = sets
        self.hit_latency = hit_latency
        self.mshrs = mshrs
        self.ports = ports
        self.writeback_buffer = writeback_buffer
        self.write_through_buffer = write_through_buffer
        self.policy_name = policy
        self.write_policy = write_policy
        self.inclusion = inclusion
        self.write_allocate = bool(write_allocate)
        self.write_through = write_policy == "write_through"
        self.inclusive = inclusion == "inclusive"
        self.classify_misses = bool(classify_misses)
        self.level_id = level_id
        self.next = next if next is not None else MemoryLevel()
        self.line_shift = 0
        while (1 << self.line_shift) < line_size:
            self.line_shift += 1
        self.set_mask = sets - 1
        if prefetcher is not None and prefetcher.line_shift != self.line_shift:
            raise _BadConfig(f"{name}.prefetcher was built for {1 << prefetcher.line_shift}-byte "
                             f"lines; this cache has {line_size}-byte lines")
        self.prefetcher = prefetcher
        self.has_pf = prefetcher is not None

        tags = np.full(sets * assoc, NO_LINE, dtype=np.uint64)
        dirty = np.zeros(sets * assoc, dtype=np.uint8)
        valid = np.zeros(sets, dtype=np.uint32)
        ready = np.zeros(sets * assoc, dtype=np.uint64)
        mline = np.full(mshrs, NO_LINE, dtype=np.uint64)
        mfree = np.zeros(mshrs, dtype=np.uint64)
        mserved = np.zeros(mshrs, dtype=np.uint8)
        wbb = np.zeros(writeback_buffer, dtype=np.uint64)
        wtb = np.zeros(write_through_buffer, dtype=np.uint64)
        pcyc = np.full(PORT_WINDOW, NO_LINE, dtype=np.uint64)
        pused = np.zeros(PORT_WINDOW, dtype=np.uint32)
        pfb = np.zeros(sets * assoc if self.has_pf else 1, dtype=np.uint8)
        self._bufs = (tags, dirty, valid, ready, mline, mfree, mserved, wbb, wtb, pcyc, pused,
                      pfb)
        cdef uint64_t[::1] tv = tags
        cdef uint8_t[::1] dv = dirty
        cdef uint32_t[::1] vv = valid
        cdef uint64_t[::1] rv = ready
        cdef uint64_t[::1] mlv = mline
        cdef uint64_t[::1] mfv = mfree
        cdef uint8_t[::1] msv = mserved
        cdef uint64_t[::1] wbv = wbb
        cdef uint64_t[::1] wtv = wtb
        cdef uint64_t[::1] pcv = pcyc
        cdef uint32_t[::1] puv = pused
        cdef uint8_t[::1] pv = pfb
        self.tags = &tv[0]
        self.dirty = &dv[0]
        self.valid_ways = &vv[0]
        self.ready = &rv[0]
        self.mshr_line = &mlv[0]
        self.mshr_free = &mfv[0]
        self.mshr_served = &msv[0]
        self.wbb_free = &wbv[0]
        self.wtb_free = &wtv[0]
        self.port_cycle = &pcv[0]
        self.port_used = &puv[0]
        self.pf_bit = &pv[0]
        if self.classify_misses:
            self.seen = LineSet()
            self.shadow = FullyAssocLRU(sets * assoc)
        self.n_upper = 0
        self.core = -1
        self.plain_hits = not (self.has_pf or self.write_through)
        self._zero_stats()

    # ---- wiring -------------------------------------------------------------------------

    def add_upper(self, Cache upper not None):
        """Register a cache above this one; an inclusive level back-invalidates it."""
        link = UpperLink()
        link.cache = upper
        if self.up_last is None:
            self.up_first = link
        else:
            self.up_last.next = link
        self.up_last = link
        self.n_upper += 1

    @property
    def uppers(self):
        out = []
        link = self.up_first
        while link is not None:
            out.append(link.cache)
            link = link.next
        return out

    # ---- the hot path -------------------------------------------------------------------

    cdef int _find(self, uint64_t line, uint64_t base) noexcept nogil:
        return find_way(self.tags + base, self.assoc, line)

    cdef uint64_t _take_port(self, uint64_t t) noexcept nogil:
        # A pipelined array starts `ports` accesses a cycle; the rest slip to later cycles.
        cdef uint32_t slot
        cdef uint64_t t0 = t
        while True:
            slot = <uint32_t> (t & (PORT_WINDOW - 1))
            if self.port_cycle[slot] != t:
                self.port_cycle[slot] = t
                self.port_used[slot] = 1
                break
            if self.port_used[slot] < self.ports:
                self.port_used[slot] += 1
                break
            t += 1
        self.accept_wait = t - t0
        if t != t0:
            self.n_port_stall += 1
            self.n_port_stall_cycles += t - t0
        return t

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        # The plain hit: a level without prefetcher, coherence or write-through (plain_hits,
        # set when it is built), a hit, and a free port in the request's own cycle. It does
        # what _access does for that case (the 3C shadow too, when the level classifies) in
        # a small function; every other access goes to _access with the way found here.
        cdef uint64_t line = addr >> self.line_shift
        cdef uint32_t set_ = <uint32_t> (line & self.set_mask)
        cdef uint64_t base = <uint64_t> set_ * self.assoc
        cdef int way = find_way(self.tags + base, self.assoc, line)
        cdef uint32_t slot
        cdef uint8_t k
        cdef uint64_t done, r
        if way < 0 or not self.plain_hits:
            return self._access(pc, addr, kind, now, served_by, way)
        slot = <uint32_t> (now & (PORT_WINDOW - 1))
        if self.port_cycle[slot] != now:
            self.port_cycle[slot] = now
            self.port_used[slot] = 1
        elif self.port_used[slot] < self.ports:
            self.port_used[slot] += 1
        else:
            return self._access(pc, addr, kind, now, served_by, way)
        self.accept_wait = 0
        k = kind & (KIND_SLOTS - 1)
        self.n_access[k] += 1
        self.n_hit[k] += 1
        if self.classify_misses:
            # the shadow sees the hit as _access shows it every access (a write-no-allocate
            # store only looks up)
            self.shadow.access(line, self.write_allocate
                               or not (k == K_STORE or k == KIND_WRITEBACK))
        done = now + self.hit_latency
        r = self.ready[base + way]
        if r > done:                                   # its fill is still under way
            self.n_mshr_hit += 1
            done = r
        self.policy.touch(set_, <uint32_t> way, pc, k)
        if k == K_STORE or k == KIND_WRITEBACK or k == K_AMO:
            self.dirty[base + way] = 1
        served_by[0] = <uint8_t> self.level_id
        return <uint32_t> (done - now)

    cdef uint32_t _access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                          uint8_t* served_by, int way) noexcept nogil:
        cdef uint64_t line = addr >> self.line_shift
        cdef uint32_t set_ = <uint32_t> (line & self.set_mask)
        cdef uint64_t base = <uint64_t> set_ * self.assoc
        cdef uint8_t k = kind & (KIND_SLOTS - 1)
        cdef bint is_store = k == K_STORE or k == KIND_WRITEBACK
        cdef bint is_write = is_store or k == K_AMO
        # AMOs need the old data, so they allocate even in a write-no-allocate cache.
        cdef bint allocate = self.write_allocate or not is_store
        cdef bint shadow_hit = 0
        cdef uint32_t slot = <uint32_t> (now & (PORT_WINDOW - 1))
        cdef uint64_t t = now
        # a free port in the request's own cycle (the common case) is booked inline
        if self.port_cycle[slot] != now:
            self.port_cycle[slot] = now
            self.port_used[slot] = 1
            self.accept_wait = 0
        elif self.port_used[slot] < self.ports:
            self.port_used[slot] += 1
            self.accept_wait = 0
        else:
            t = self._take_port(now)
        cdef uint64_t done = t + self.hit_latency       # tag check (and data, on a hit)
        cdef uint64_t look = done                      # the lookup's outcome is known
        cdef uint64_t r
        cdef int m
        cdef bint in_flight = 0
        cdef uint8_t dummy
        cdef uint8_t outcome
        cdef uint8_t cls = 0                           # 3C class counted: 1, 2, 3
        self.n_access[k] += 1
        if self.classify_misses:
            shadow_hit = self.shadow.access(line, allocate)

        if way >= 0:                                   # hit
            self.n_hit[k] += 1
            r = self.ready[base + way]
            if r > done:                               # its fill is still under way
                self.n_mshr_hit += 1
                in_flight = 1
                if self.cycle_ordered:
                    r = self._ordered_fill_wait(line, done, r)
                done = r
            self.policy.touch(set_, <uint32_t> way, pc, k)
            if is_write:
                if self.write_through:
                    self.n_write_through += 1
                    done += self._post_write(pc, addr, K_STORE if k != KIND_WRITEBACK
                                             else KIND_WRITEBACK, done, &dummy)
                else:
                    self.dirty[base + way] = 1
            served_by[0] = <uint8_t> self.level_id
            if self.coherent:
                if ((is_write and k != KIND_WRITEBACK) or k == KIND_GETM) \
                        and not self.perm[base + way]:
                    done = self._upgrade(pc, addr, done)
                    self.perm[base + way] = 1
                    if self.ready[base + way] < done:
                        self.ready[base + way] = done
                if is_write and k != KIND_WRITEBACK:
                    self.written[base + way] |= (<uint64_t> 1) << (
                        ((addr & (self.line_size - 1)) >> self.word_shift) & 63)
                if self.perm[base + way] and self.level_id != 1:
                    served_by[0] |= GRANT_EXCLUSIVE
            if self.has_pf and k != KIND_WRITEBACK:
                outcome = PF_HIT_IN_FLIGHT if in_flight else PF_HIT
                if self.pf_bit[base + way]:            # first use of a prefetched line
                    self.pf_bit[base + way] = 0
                    self.n_pf_useful += 1
                    outcome = PF_HIT_PREFETCHED
                    if in_flight:
                        self.n_pf_late += 1
                        outcome = PF_LATE
                if k < KIND_WRITEBACK:                 # a demand access: show it
                    self._prefetch(pc, addr, k, outcome, look)
            return <uint32_t> (done - now)

        # miss
        self.n_miss[k] += 1
        if self.classify_misses:
            if self.seen.add(line):
                self.n_compulsory += 1
                cls = 1
            elif shadow_hit:
                self.n_conflict += 1
                cls = 3
            else:
                self.n_capacity += 1
                cls = 2

        if not allocate:                               # write-no-allocate store: post it
            self.n_write_through += 1
            done += self._post_write(pc, addr, k, done, served_by)
            if self.has_pf:
                self._prefetch(pc, addr, k, PF_MISS, look)
            return <uint32_t> (done - now)

        cdef uint64_t stall = 0
        if k == KIND_WRITEBACK:
            # a full dirty line from above: nothing to fetch, no MSHR
            served_by[0] = <uint8_t> self.level_id
            way = self._install(set_, base, line, done, pc, k, &stall)
            done += stall
            self.ready[base + way] = done
            if self.coherent:
                self.perm[base + way] = (kind & KIND_OWNED) != 0
        else:
            if self.cycle_ordered:
                m = occ_find(&self.mshr_tl, line, done)
            else:
                m = self._mshr_match(line, done)
            if m >= 0:
                # the line left the array while its fill was under way: wait for that fill
                self.n_mshr_hit += 1
                if self.cycle_ordered:
                    if self.mshr_tl.end[m] > done:
                        done = self.mshr_tl.end[m]
                    served_by[0] = self.mshr_tl.info[m]
                else:
                    if self.mshr_free[m] > done:
                        done = self.mshr_free[m]
                    served_by[0] = self.mshr_served[m]
                way = self._install(set_, base, line, done, pc, k, &stall)
                done += stall
                self.ready[base + way] = done
                if self.coherent:
                    self._coherent_fill(base, way, served_by[0], KIND_PREFETCH)
                    if (is_write or k == KIND_GETM) and not self.perm[base + way]:
                        done = self._upgrade(pc, addr, done)
                        self.perm[base + way] = 1
                        self.ready[base + way] = done
                    if self.level_id == 1:
                        served_by[0] &= SERVED_LEVEL
            else:
                if not self.coherent:
                    done = self._fetch_line(pc, addr, line, set_, base,
                                            K_IFETCH if k == K_IFETCH else K_LOAD, done,
                                            served_by, &way)
                else:
                    # a write (or a fill for one above) asks for the line with permission
                    done = self._fetch_line(pc, addr, line, set_, base,
                                            K_IFETCH if k == K_IFETCH else
                                            KIND_GETM if is_write or k == KIND_GETM
                                            else KIND_PREFETCH if k == KIND_PREFETCH
                                            else K_LOAD, done, served_by, &way)
                    if self._coherent_fill(base, way, served_by[0], k) and cls:
                        if cls == 1:                   # a coherence miss, not a 3C one
                            self.n_compulsory -= 1
                        elif cls == 2:
                            self.n_capacity -= 1
                        else:
                            self.n_conflict -= 1
                    if self.level_id == 1:             # the core sees the level only
                        served_by[0] &= SERVED_LEVEL
                if self.has_pf and k < KIND_WRITEBACK:
                    self.prefetcher.on_fill(addr, 0, done)
        if is_write:
            if self.coherent and k != KIND_WRITEBACK:
                self.written[base + way] |= (<uint64_t> 1) << (
                    ((addr & (self.line_size - 1)) >> self.word_shift) & 63)
            if self.write_through:
                self.n_write_through += 1
                done += self._post_write(pc, addr, K_STORE if k != KIND_WRITEBACK
                                         else KIND_WRITEBACK, done, &dummy)
            else:
                self.dirty[base + way] = 1
        if self.has_pf and k < KIND_WRITEBACK:
            self._prefetch(pc, addr, k, PF_MISS, look)
        return <uint32_t> (done - now)

    cdef int _mshr_match(self, uint64_t line, uint64_t t) noexcept nogil:
        cdef uint32_t i
        for i in range(self.mshrs):
            if self.mshr_line[i] == line and self.mshr_free[i] > t:
                return <int> i
        return -1

    cdef int _mshr_earliest(self) noexcept nogil:
        cdef uint32_t i
        cdef int best = 0
        for i in range(1, self.mshrs):
            if self.mshr_free[i] < self.mshr_free[best]:
                best = <int> i
        return best

    cdef uint64_t _fetch_line(self, uint64_t pc, uint64_t addr, uint64_t line, uint32_t set_,
                              uint64_t base, uint8_t kind, uint64_t t, uint8_t* served_by,
                              int* way_out) noexcept nogil:
        cdef int m
        cdef uint64_t stall = 0
        cdef uint64_t fill
        cdef int way
        if self.cycle_ordered:
            return self._fetch_line_ordered(pc, addr, line, set_, base, kind, t, served_by,
                                            way_out)
        m = self._mshr_earliest()
        if self.mshr_free[m] > t:                      # every MSHR busy: wait for the first
            self.n_mshr_full += 1
            self.n_mshr_full_cycles += self.mshr_free[m] - t
            self.accept_wait += self.mshr_free[m] - t
            t = self.mshr_free[m]
        self.n_mshr_alloc += 1
        fill = t + self.next.access(pc, addr, kind, t, served_by)
        # Pick the victim after the fill returns: an inclusive level below may have
        # back-invalidated a line of this set while serving it.
        way = self._install(set_, base, line, fill, pc, kind, &stall)
        fill += stall
        self.ready[base + way] = fill
        self.mshr_line[m] = line
        self.mshr_free[m] = fill
        self.mshr_served[m] = served_by[0]
        way_out[0] = way
        return fill

    cdef uint64_t _ordered_fill_wait(self, uint64_t line, uint64_t t,
                                     uint64_t ready) noexcept nogil:
        # A request at cycle t finds its line in flight. If that fetch started after t (a
        # hart that ran earlier in the quantum asked for the line at a later cycle), in
        # cycle order this request would have fetched it: it waits as long as that fetch.
        cdef int m = occ_find(&self.mshr_tl, line, t)
        if m >= 0 and self.mshr_tl.asked[m] > t and self.mshr_tl.end[m] == ready:
            return t + (self.mshr_tl.end[m] - self.mshr_tl.start[m])
        return ready

    cdef uint64_t _fetch_line_ordered(self, uint64_t pc, uint64_t addr, uint64_t line,
                                      uint32_t set_, uint64_t base, uint8_t kind, uint64_t t,
                                      uint8_t* served_by, int* way_out) noexcept nogil:
        # _fetch_line at a shared level: the MSHR is free at t when fewer than `mshrs`
        # fetches hold one at t, whichever hart's turn booked them.
        cdef uint64_t stall = 0
        cdef uint64_t fill
        cdef uint64_t t0 = t
        cdef int way
        t = occ_free_at(&self.mshr_tl, t)
        if t > t0:                                     # every MSHR busy at t0
            self.n_mshr_full += 1
            self.n_mshr_full_cycles += t - t0
            self.accept_wait += t - t0
        self.n_mshr_alloc += 1
        fill = t + self.next.access(pc, addr, kind, t, served_by)
        way = self._install(set_, base, line, fill, pc, kind, &stall)
        fill += stall
        self.ready[base + way] = fill
        occ_book(&self.mshr_tl, t0, t, fill, line, served_by[0])
        way_out[0] = way
        return fill

    cdef uint64_t _post_write(self, uint64_t pc, uint64_t addr, uint8_t kind,
                              uint64_t t, uint8_t* served_by) noexcept nogil:
        cdef uint32_t i
        cdef uint32_t e = 0
        cdef uint64_t wait = 0
        for i in range(1, self.write_through_buffer):
            if self.wtb_free[i] < self.wtb_free[e]:
                e = i
        if self.wtb_free[e] > t:
            wait = self.wtb_free[e] - t
            self.n_wtb_full += 1
            self.n_wtb_full_cycles += wait
        # the entry holds the write until the next level has done it
        self.wtb_free[e] = t + wait + self.next.access(pc, addr, kind, t + wait, served_by)
        return wait

    cdef int _install(self, uint32_t set_, uint64_t base, uint64_t line,
                      uint64_t when, uint64_t pc, uint8_t kind, uint64_t* stall) noexcept nogil:
        """Put `line` in a way of `set_` (an invalid way first, else the policy's victim),
        evicting and writing back the old line; returns the way."""
        cdef uint32_t w
        cdef uint32_t e = 0
        cdef int way = -1
        cdef uint64_t old = NO_LINE
        cdef uint64_t wait
        cdef uint64_t old_written = 0
        cdef bint was_dirty
        cdef uint8_t dummy
        cdef uint8_t wb_kind = KIND_WRITEBACK
        if self.valid_ways[set_] < self.assoc:
            for w in range(self.assoc):
                if self.tags[base + w] == NO_LINE:
                    way = <int> w
                    break
            self.valid_ways[set_] += 1
        else:
            way = <int> self.policy.victim(set_, pc, kind)
            old = self.tags[base + way]
            was_dirty = self.dirty[base + way]
            self.n_eviction += 1
            if self.has_pf and self.pf_bit[base + way]:
                self.n_pf_useless += 1             # a prefetched line never used
            if self.inclusive and self.n_upper > 0:
                if self._back_invalidate(old << self.line_shift):
                    was_dirty = 1          # the newest data was above: it goes down now
            if was_dirty:
                # The victim leaves through the writeback buffer when the fill arrives;
                # with every entry busy the fill waits for the first to free.
                self.n_writeback += 1
                wait = 0
                if self.cycle_ordered:
                    wait = occ_free_at(&self.wbb_tl, when) - when
                else:
                    for w in range(1, self.writeback_buffer):
                        if self.wbb_free[w] < self.wbb_free[e]:
                            e = w
                    if self.wbb_free[e] > when:
                        wait = self.wbb_free[e] - when
                if wait:
                    self.n_wbb_full += 1
                    self.n_wbb_full_cycles += wait
                    stall[0] += wait
                if self.coherent and self.perm[base + way]:
                    wb_kind = KIND_WRITEBACK | KIND_OWNED
                if self.cycle_ordered:
                    occ_book(&self.wbb_tl, when, when + wait, when + wait + self.next.access(
                        0, old << self.line_shift, wb_kind, when + wait, &dummy), old, 0)
                else:
                    self.wbb_free[e] = when + wait + self.next.access(
                        0, old << self.line_shift, wb_kind, when + wait, &dummy)
        self.tags[base + way] = line
        self.dirty[base + way] = 0
        self.ready[base + way] = when
        if self.has_pf:
            self.pf_bit[base + way] = 0            # the prefetch path sets it after
        self.policy.insert(set_, <uint32_t> way, pc, kind)
        if self.coherent:
            old_written = self.written[base + way]
            self.perm[base + way] = 0              # the fill path grants it
            self.written[base + way] = 0
            if old != NO_LINE:                     # the directory learns the line left
                self.coh_port.line_left(old, old_written)
        return way

    # ---- prefetching (docs/caches.md, "Prefetchers") ------------------------------------

    cdef void _prefetch(self, uint64_t pc, uint64_t addr, uint8_t kind, uint8_t outcome,
                        uint64_t t) noexcept nogil:
        """Show the demand access to the prefetcher and issue what it asks for, at cycle t
        (when the lookup's outcome is known)."""
        cdef int i, n = self.prefetcher.on_access(pc, addr, kind, outcome, t)
        self.n_pf_requests += <uint64_t> n
        for i in range(n):
            self._pf_issue(self.prefetcher.out[i], t)

    cdef void _pf_issue(self, uint64_t addr, uint64_t t) noexcept nogil:
        """One prefetch of the line holding `addr`, requested at cycle t: dropped when the
        line is present or being fetched, or when every MSHR is busy (a prefetch never
        waits); otherwise it takes an MSHR, is fetched from the next level (pc 0,
        KIND_PREFETCH) and installed marked prefetched, ready when its fill returns."""
        cdef uint64_t line = addr >> self.line_shift
        cdef uint32_t set_ = <uint32_t> (line & self.set_mask)
        cdef uint64_t base = <uint64_t> set_ * self.assoc
        cdef uint8_t dummy
        cdef uint64_t fill
        cdef int way
        if self.cycle_ordered:
            if (find_way(self.tags + base, self.assoc, line) >= 0
                    or occ_find(&self.mshr_tl, line, t) >= 0):
                self.n_pf_dropped_present += 1
                return
            if occ_free_at(&self.mshr_tl, t) > t:
                self.n_pf_dropped_mshr += 1
                return
        else:
            if (find_way(self.tags + base, self.assoc, line) >= 0
                    or self._mshr_match(line, t) >= 0):
                self.n_pf_dropped_present += 1
                return
            if self.mshr_free[self._mshr_earliest()] > t:
                self.n_pf_dropped_mshr += 1
                return
        self.n_pf_issued += 1
        fill = self._fetch_line(0, line << self.line_shift, line, set_, base, KIND_PREFETCH,
                                t, &dummy, &way)
        if self.coherent:
            self._coherent_fill(base, way, dummy, KIND_PREFETCH)
        self.pf_bit[base + way] = 1
        self.prefetcher.on_fill(line << self.line_shift, 1, fill)

    cdef bint _back_invalidate(self, uint64_t addr) noexcept nogil:
        if self.up_first is None:
            return 0
        return self.up_first.invalidate_range(addr, self.line_size)

    cdef bint invalidate_range(self, uint64_t addr, uint64_t size) noexcept nogil:
        cdef uint64_t first = addr >> self.line_shift
        cdef uint64_t last = (addr + size - 1) >> self.line_shift
        cdef uint64_t line, base
        cdef uint32_t set_
        cdef int way
        cdef bint d = 0
        for line in range(first, last + 1):
            set_ = <uint32_t> (line & self.set_mask)
            base = <uint64_t> set_ * self.assoc
            way = self._find(line, base)
            if way >= 0:
                d |= self.dirty[base + way]
                if self.has_pf and self.pf_bit[base + way]:
                    self.pf_bit[base + way] = 0
                    self.n_pf_useless += 1
                self.tags[base + way] = NO_LINE
                self.dirty[base + way] = 0
                self.valid_ways[set_] -= 1
                self.policy.invalidate(set_, <uint32_t> way)
                self.n_back_invalidation += 1
                if self.coherent:
                    self.perm[base + way] = 0
                    self.coh_port.line_left(line, self.written[base + way])
                    self.written[base + way] = 0
        return d

    # ---- coherence (docs/coherence.md) ----------------------------------------------------

    cdef uint64_t _upgrade(self, uint64_t pc, uint64_t addr, uint64_t t) noexcept nogil:
        cdef int m = self._mshr_earliest()
        cdef uint8_t dummy
        if self.mshr_free[m] > t:                      # every MSHR busy: wait for the first
            self.n_mshr_full += 1
            self.n_mshr_full_cycles += self.mshr_free[m] - t
            self.accept_wait += self.mshr_free[m] - t
            t = self.mshr_free[m]
        self.n_upgrades += 1
        self.n_mshr_alloc += 1
        t += self.next.block_op(pc, addr, OP_UPGRADE, t)
        self.mshr_line[m] = NO_LINE                    # holds no fill to merge into
        self.mshr_free[m] = t
        return t

    cdef uint32_t _serve_upgrade(self, uint64_t pc, uint64_t addr, uint64_t now,
                                 uint8_t* served_by) noexcept nogil:
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t base = (line & self.set_mask) * self.assoc
        cdef int way = find_way(self.tags + base, self.assoc, line)
        cdef uint64_t done = self._take_port(now) + self.hit_latency
        if way < 0 or not self.perm[base + way]:
            done = self._upgrade(pc, addr, done)
            if way >= 0:
                self.perm[base + way] = 1
        served_by[0] = <uint8_t> self.level_id | GRANT_EXCLUSIVE
        return <uint32_t> (done - now)

    cdef bint _coherent_fill(self, uint64_t base, int way, uint8_t served,
                             uint8_t k) noexcept nogil:
        self.perm[base + way] = (served & GRANT_EXCLUSIVE) != 0
        if k == KIND_PREFETCH or not (served & SERVED_COHERENCE_MISS):
            return 0
        self.n_coherence += 1
        if served & SERVED_TRUE_SHARING:
            self.n_true_sharing += 1
        else:
            self.n_false_sharing += 1
        return 1

    cdef uint8_t probe(self, uint64_t line, uint8_t action, uint64_t* wmask) noexcept nogil:
        cdef uint32_t set_ = <uint32_t> (line & self.set_mask)
        cdef uint64_t base = <uint64_t> set_ * self.assoc
        cdef int way = find_way(self.tags + base, self.assoc, line)
        cdef uint8_t found = 0
        cdef uint32_t i
        if way >= 0:
            found = (PROBE_HELD | (PROBE_DIRTY if self.dirty[base + way] else 0)
                     | (PROBE_PERMISSION if self.perm[base + way] else 0))
            if action != PROBE_QUERY:
                wmask[0] |= self.written[base + way]
                self.written[base + way] = 0
                self.perm[base + way] = 0
            if action == PROBE_INVALIDATE:
                if self.has_pf and self.pf_bit[base + way]:
                    self.pf_bit[base + way] = 0
                    self.n_pf_useless += 1
                self.tags[base + way] = NO_LINE
                self.dirty[base + way] = 0
                self.valid_ways[set_] -= 1
                self.policy.invalidate(set_, <uint32_t> way)
                self.n_probe_invalidations += 1
            elif action == PROBE_DOWNGRADE:
                self.n_probe_downgrades += 1
                if self.dirty[base + way] and not self.coh_moesi:
                    self.dirty[base + way] = 0         # its data goes to the shared level
                    self.n_probe_writebacks += 1
        if action == PROBE_INVALIDATE:
            for i in range(self.mshrs):                # a fill under way must not revive it
                if self.mshr_line[i] == line:
                    self.mshr_line[i] = NO_LINE
        if self.coh_sibling is not None:
            found |= self.coh_sibling.probe(line, action, wmask)
        return found

    def order_by_cycle(self):
        """Make this level's MSHRs and writeback buffer occupancy timelines (a level the
        cores share; docs/engine.md, "Cycle order at the shared levels"). Call it before
        the first access."""
        if self.cycle_ordered:
            return
        if (occ_init(&self.mshr_tl, self.mshrs, RESERVATIONS_PER_ENTRY * self.mshrs) < 0
                or occ_init(&self.wbb_tl, self.writeback_buffer,
                            RESERVATIONS_PER_ENTRY * self.writeback_buffer) < 0):
            raise MemoryError(f"{self.name}: occupancy timelines")
        self.cycle_ordered = True

    def settle(self, uint64_t cycle):
        """No request will come before `cycle`: forget the reservations that ended by it."""
        if self.cycle_ordered:
            occ_settle(&self.mshr_tl, cycle)
            occ_settle(&self.wbb_tl, cycle)

    def __dealloc__(self):
        occ_release(&self.mshr_tl)
        occ_release(&self.wbb_tl)

    def join_coherence(self, int core, MemoryLevel port not None, MemoryLevel sibling,
                       bint moesi):
        """Make this a private cache of `core` under a protocol (caches/coherence.pyx):
        fills ask for permission, probes act on it, and evictions are reported to `port`;
        `sibling` is the next private cache of the same core (None: the last)."""
        perm = np.zeros(self.num_sets * self.assoc, dtype=np.uint8)
        written = np.zeros(self.num_sets * self.assoc, dtype=np.uint64)
        self._bufs = self._bufs + (perm, written)
        cdef uint8_t[::1] pv = perm
        cdef uint64_t[::1] wv = written
        self.perm = &pv[0]
        self.written = &wv[0]
        self.core = core
        self.coh_port = port
        self.coh_sibling = sibling
        self.coh_moesi = moesi
        self.word_shift = 3                            # 8-byte words, up to 64 of them
        while (self.line_size >> self.word_shift) > 64:
            self.word_shift += 1
        self.coherent = 1
        self.plain_hits = 0

    def coherence_state(self, uint64_t addr):
        """The protocol state of the line holding `addr` here: "M", "O", "E", "S" or "I"."""
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t base = (line & self.set_mask) * self.assoc
        cdef int way = self._find(line, base)
        if way < 0:
            return "I"
        p = self.coherent and self.perm[base + way]
        d = self.dirty[base + way]
        return ("M" if d else "E") if p else ("O" if d else "S")

    # ---- cache-block operations (Zicbom, Zicboz) -----------------------------------------
    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil:
        """cbo.zero: the block becomes a dirty line here without being fetched (a full-line
        write; a write-through level passes it on as a posted write). cbo.clean: a dirty
        copy is written back to the level below, which then cleans its own copy; cbo.flush
        does the same and drops the line at every level. Costs this level's lookup, plus
        the writeback and the levels below for clean/flush (docs/caches.md)."""
        cdef uint64_t line = addr >> self.line_shift
        cdef uint32_t set_ = <uint32_t> (line & self.set_mask)
        cdef uint64_t base = <uint64_t> set_ * self.assoc
        cdef int way = find_way(self.tags + base, self.assoc, line)
        cdef uint64_t t = now + self.hit_latency
        cdef uint64_t stall = 0
        cdef bint was_dirty
        cdef uint8_t dummy
        if op == OP_UPGRADE:                           # under coherence, from above
            return self._serve_upgrade(pc, addr, now, &dummy)
        self.n_cbo[op & 7] += 1
        if op == CBO_ZERO and self.coherent:
            # a full-line write needs write permission like a store (docs/coherence.md)
            return self.access(pc, addr, K_STORE, now, &dummy)
        if op == CBO_ZERO:
            if way >= 0:
                self.policy.touch(set_, <uint32_t> way, pc, K_STORE)
            else:
                # a full-line write: no fetch, no MSHR; the victim may wait for the
                # writeback buffer
                way = self._install(set_, base, line, t, pc, K_STORE, &stall)
                self.ready[base + way] = t + stall
            if self.write_through:
                self.n_write_through += 1
                self.next.block_op(pc, addr, op, t + stall)
            else:
                self.dirty[base + way] = 1
            return <uint32_t> (self.hit_latency + stall)
        was_dirty = way >= 0 and self.dirty[base + way]
        if way >= 0:
            if op == CBO_FLUSH:
                if self.has_pf and self.pf_bit[base + way]:
                    self.pf_bit[base + way] = 0
                    self.n_pf_useless += 1         # flushed before any demand use
                self.tags[base + way] = NO_LINE
                self.valid_ways[set_] -= 1
                self.policy.invalidate(set_, <uint32_t> way)
                if self.coherent:
                    self.perm[base + way] = 0
                    self.coh_port.line_left(line, self.written[base + way])
                    self.written[base + way] = 0
            self.dirty[base + way] = 0
        if was_dirty:
            self.n_cbo_writeback += 1
            self.n_writeback += 1
            t += self.next.access(pc, line << self.line_shift, KIND_WRITEBACK, t, &dummy)
        t += self.next.block_op(pc, addr, op, t)
        return <uint32_t> (t - now)

    # ---- Python side --------------------------------------------------------------------

    def access_py(self, uint64_t addr, kind, now=None, uint64_t pc=0):
        """One access from Python: returns (latency in cycles, level_id that served it).
        `kind` is an AccessKind value or one of "ifetch", "load", "store", "amo".
        Without `now` the access is issued when the previous access_py call (to any cache)
        completed, at least one cycle later: one blocking requester, one access at a time."""
        global _py_clock
        cdef uint8_t k = KIND_NAMES[kind] if isinstance(kind, str) else <uint8_t> int(kind)
        cdef uint8_t served = 0
        cdef uint64_t t = _py_clock if now is None else <uint64_t> now
        cdef uint32_t lat = self.access(pc, addr, k, t, &served)
        _py_clock = t + (lat if lat > 1 else 1)
        return lat, served

    def ready_cycle(self, uint64_t addr):
        """The cycle the fill of the line holding `addr` completes (None: not present)."""
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t base = (line & self.set_mask) * self.assoc
        cdef int way = self._find(line, base)
        return None if way < 0 else int(self.ready[base + way])

    def mshr_busy(self, uint64_t now):
        """Lines whose fill is still under way at cycle `now`, with the cycle each MSHR frees."""
        cdef uint32_t i
        if self.cycle_ordered:
            return sorted((int(self.mshr_tl.tag[i]) << self.line_shift, int(self.mshr_tl.end[i]))
                          for i in range(self.mshr_tl.n)
                          if self.mshr_tl.start[i] <= now < self.mshr_tl.end[i])
        return sorted((int(self.mshr_line[i]) << self.line_shift, int(self.mshr_free[i]))
                      for i in range(self.mshrs) if self.mshr_free[i] > now)

    def contains(self, uint64_t addr):
        """True if the line holding `addr` is present (tests, debugging)."""
        cdef uint64_t line = addr >> self.line_shift
        return self._find(line, (line & self.set_mask) * self.assoc) >= 0

    def is_dirty(self, uint64_t addr):
        cdef uint64_t line = addr >> self.line_shift
        cdef int way = self._find(line, (line & self.set_mask) * self.assoc)
        return way >= 0 and bool(self.dirty[(line & self.set_mask) * self.assoc + way])

    def lines(self):
        """Line addresses (byte address of each valid line), set by set, way by way."""
        tags = self._bufs[0]
        return [int(t) << self.line_shift for t in tags if t != NO_LINE]

    cdef void _zero_stats(self) noexcept nogil:
        memset(self.n_access, 0, sizeof(self.n_access))
        memset(self.n_hit, 0, sizeof(self.n_hit))
        memset(self.n_miss, 0, sizeof(self.n_miss))
        self.n_writeback = 0
        self.n_eviction = 0
        self.n_back_invalidation = 0
        self.n_write_through = 0
        self.n_compulsory = 0
        self.n_capacity = 0
        self.n_conflict = 0
        self.n_mshr_hit = 0
        self.n_mshr_alloc = 0
        self.n_mshr_full = 0
        self.n_mshr_full_cycles = 0
        self.n_port_stall = 0
        self.n_port_stall_cycles = 0
        self.n_wbb_full = 0
        self.n_wbb_full_cycles = 0
        self.n_wtb_full = 0
        self.n_wtb_full_cycles = 0
        memset(self.n_cbo, 0, sizeof(self.n_cbo))
        self.n_cbo_writeback = 0
        self.n_pf_requests = 0
        self.n_pf_issued = 0
        self.n_pf_dropped_present = 0
        self.n_pf_dropped_mshr = 0
        self.n_pf_useful = 0
        self.n_pf_late = 0
        self.n_pf_useless = 0
        self.n_coherence = 0
        self.n_true_sharing = 0
        self.n_false_sharing = 0
        self.n_upgrades = 0
        self.n_probe_invalidations = 0
        self.n_probe_downgrades = 0
        self.n_probe_writebacks = 0

    def block_op_py(self, uint64_t addr, op, now=None, uint64_t pc=0):
        """One cache-block operation from Python ("clean", "flush" or "zero"): its cycles.
        Without `now` it is issued as access_py issues (when the previous call completed)."""
        global _py_clock
        cdef uint8_t code = {"clean": CBO_CLEAN, "flush": CBO_FLUSH, "zero": CBO_ZERO}[op]
        cdef uint64_t t = _py_clock if now is None else <uint64_t> now
        cdef uint32_t lat = self.block_op(pc, addr, code, t)
        _py_clock = t + (lat if lat > 1 else 1)
        return lat

    def reset_stats(self):
        """Zero the counters and keep the contents (end of warm-up)."""
        self._zero_stats()

    def reset(self):
        """Back to power-on: empty, policy state and miss-classification history cleared."""
        memset(self.tags, 0xFF, <size_t> self.num_sets * self.assoc * sizeof(uint64_t))
        memset(self.dirty, 0, <size_t> self.num_sets * self.assoc)
        memset(self.valid_ways, 0, <size_t> self.num_sets * sizeof(uint32_t))
        memset(self.ready, 0, <size_t> self.num_sets * self.assoc * sizeof(uint64_t))
        memset(self.mshr_line, 0xFF, <size_t> self.mshrs * sizeof(uint64_t))
        memset(self.mshr_free, 0, <size_t> self.mshrs * sizeof(uint64_t))
        memset(self.wbb_free, 0, <size_t> self.writeback_buffer * sizeof(uint64_t))
        memset(self.wtb_free, 0, <size_t> self.write_through_buffer * sizeof(uint64_t))
        memset(self.port_cycle, 0xFF, <size_t> PORT_WINDOW * sizeof(uint64_t))
        memset(self.port_used, 0, <size_t> PORT_WINDOW * sizeof(uint32_t))
        if self.cycle_ordered:
            occ_clear(&self.mshr_tl)
            occ_clear(&self.wbb_tl)
        self.policy.reset()
        if self.coherent:
            memset(self.perm, 0, <size_t> self.num_sets * self.assoc)
            memset(self.written, 0, <size_t> self.num_sets * self.assoc * sizeof(uint64_t))
        if self.has_pf:
            memset(self.pf_bit, 0, <size_t> self.num_sets * self.assoc)
            self.prefetcher.reset()
        if self.classify_misses:
            self.seen.clear()
            self.shadow.clear()
        self._zero_stats()

    def stats(self):
        """Counters as a dict of plain ints and floats (names without the level prefix).

        read = loads; write = stores, AMOs and writebacks from the level above;
        prefetches_received = prefetch requests from the level above (also in accesses,
        hits and misses); pf_* = this level's own prefetcher, when it has one;
        ifetch = instruction fetches. compulsory_misses, capacity_misses and conflict_misses
        are present only when classify_misses is on."""
        cdef int k
        acc = sum(self.n_access[k] for k in range(KIND_SLOTS))
        hit = sum(self.n_hit[k] for k in range(KIND_SLOTS))
        miss = sum(self.n_miss[k] for k in range(KIND_SLOTS))
        w = (K_STORE, K_AMO, KIND_WRITEBACK)
        s = {
            "accesses": acc, "hits": hit, "misses": miss,
            "miss_rate": miss / acc if acc else 0.0,
            "ifetch_accesses": self.n_access[K_IFETCH],
            "ifetch_misses": self.n_miss[K_IFETCH],
            "read_accesses": self.n_access[K_LOAD],
            "read_misses": self.n_miss[K_LOAD],
            "write_accesses": sum(self.n_access[k] for k in w),
            "write_misses": sum(self.n_miss[k] for k in w),
            "amo_accesses": self.n_access[K_AMO],
            "writebacks_received": self.n_access[KIND_WRITEBACK],
            "prefetches_received": self.n_access[KIND_PREFETCH],
            "writebacks": self.n_writeback,
            "evictions": self.n_eviction,
            "back_invalidations": self.n_back_invalidation,
            "write_throughs": self.n_write_through,
            "mshr_hits": self.n_mshr_hit,
            "mshr_allocations": self.n_mshr_alloc,
            "mshr_full_stalls": self.n_mshr_full,
            "mshr_full_stall_cycles": self.n_mshr_full_cycles,
            "port_stalls": self.n_port_stall,
            "port_stall_cycles": self.n_port_stall_cycles,
            "writeback_buffer_full_stalls": self.n_wbb_full,
            "writeback_buffer_full_stall_cycles": self.n_wbb_full_cycles,
            "write_through_buffer_full_stalls": self.n_wtb_full,
            "write_through_buffer_full_stall_cycles": self.n_wtb_full_cycles,
            "cbo_clean": self.n_cbo[CBO_CLEAN],
            "cbo_flush": self.n_cbo[CBO_FLUSH],
            "cbo_zero": self.n_cbo[CBO_ZERO],
            "cbo_writebacks": self.n_cbo_writeback,
        }
        if self.has_pf:
            s.update(self.prefetch_stats())
        if self.classify_misses:
            s["compulsory_misses"] = self.n_compulsory
            s["capacity_misses"] = self.n_capacity
            s["conflict_misses"] = self.n_conflict
        if self.coherent:
            s["read_accesses"] += self.n_access[KIND_GETM]
            s["read_misses"] += self.n_miss[KIND_GETM]
            s.update({"coherence_misses": self.n_coherence,
                      "true_sharing_misses": self.n_true_sharing,
                      "false_sharing_misses": self.n_false_sharing,
                      "upgrades": self.n_upgrades,
                      "probe_invalidations": self.n_probe_invalidations,
                      "probe_downgrades": self.n_probe_downgrades,
                      "probe_writebacks": self.n_probe_writebacks})
        return s

    def prefetch_stats(self):
        """The pf_* counters (docs/caches.md, "Prefetchers"); coverage = useful / (useful +
        misses of demand and prefetch requests), accuracy = useful / issued."""
        cdef int k
        misses = sum(self.n_miss[k] for k in (K_IFETCH, K_LOAD, K_STORE, K_AMO,
                                             KIND_PREFETCH))
        useful = self.n_pf_useful
        return {
            "pf_requests": self.n_pf_requests,
            "pf_issued": self.n_pf_issued,
            "pf_dropped_present": self.n_pf_dropped_present,
            "pf_dropped_mshr": self.n_pf_dropped_mshr,
            "pf_useful": useful,
            "pf_late": self.n_pf_late,
            "pf_useless": self.n_pf_useless,
            "pf_coverage": useful / (useful + misses) if useful + misses else 0.0,
            "pf_accuracy": useful / self.n_pf_issued if self.n_pf_issued else 0.0,
        }

    def is_prefetched(self, uint64_t addr):
        """True if the line holding `addr` was brought by a prefetch and not used since."""
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t base = (line & self.set_mask) * self.assoc
        cdef int way = self._find(line, base)
        return self.has_pf and way >= 0 and bool(self.pf_bit[base + way])

    def __repr__(self):
        return (f"Cache({self.name}: {self.size} B, {self.assoc}-way, {self.line_size} B lines, "
                f"{self.num_sets} sets, {self.policy_name}, {self.write_policy}, "
                f"{'allocate' if self.write_allocate else 'no-allocate'}, {self.inclusion}, "
                f"hit {self.hit_latency} cycles, {self.ports} port{'s' if self.ports != 1 else ''}, "
                f"{self.mshrs} MSHR{'s' if self.mshrs != 1 else ''})")


def run_stream(MemoryLevel l1i not None, MemoryLevel l1d not None, addrs, kinds,
               uint64_t start=0):
    """Drive a hierarchy with an address stream, one blocking access after another.

    addrs: uint64 array; kinds: uint8 array of AccessKind (ifetch goes to l1i, the rest to
    l1d). Access i is issued at the cycle access i-1 completed (start for the first).
    Returns (latency uint32 array, served_by uint8 array)."""
    cdef const uint64_t[::1] a = np.ascontiguousarray(addrs, dtype=np.uint64)
    cdef const uint8_t[::1] k = np.ascontiguousarray(kinds, dtype=np.uint8)
    if a.shape[0] != k.shape[0]:
        raise ValueError(f"run_stream needs as many kinds as addresses, got {a.shape[0]} "
                         f"addresses and {k.shape[0]} kinds")
    n = a.shape[0]
    lat_arr = np.empty(n, dtype=np.uint32)
    srv_arr = np.empty(n, dtype=np.uint8)
    cdef uint32_t[::1] lat = lat_arr
    cdef uint8_t[::1] srv = srv_arr
    cdef Py_ssize_t i
    cdef uint64_t now = start
    with nogil:
        for i in range(a.shape[0]):
            if k[i] == K_IFETCH:
                lat[i] = l1i.access(0, a[i], k[i], now, &srv[i])
            else:
                lat[i] = l1d.access(0, a[i], k[i], now, &srv[i])
            now += lat[i]
    return lat_arr, srv_arr
