"""Trace-driven simulation: drive a cache hierarchy with recorded accesses (issue 12).

The loop is the one a core's memory stage runs, without the core: each record (address,
size, AccessKind, pc) becomes one access per cache line it touches, fetches to the L1I and
everything else to the L1D, exactly as pipeline/inorder.pyx splits a line-crossing access.
When each access is issued is the `issue` rule (docs/caches.md, "Trace-driven mode"):

  ISSUE_BLOCKING  each access is issued when the previous one completed (a dependent chain,
                  the order in which a blocking core would make them)
  ISSUE_GAP       record i is issued `gap` cycles after record i-1 was issued, whatever the
                  latencies (an open-loop stream)
  ISSUE_CYCLE     record i is issued at cycle[i] (the trace's own times)

The pieces of one line-crossing record are issued one after the other in blocking mode and
at the same cycle otherwise; the record's latency is from its issue to its last piece's
data, its level the deepest level any piece reached.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

from caches.base cimport MemoryLevel

cdef enum:
    K_IFETCH = 0
    KIND_FLUSH = 255
    I_BLOCKING = 0
    I_GAP = 1
    I_CYCLE = 2

ISSUE_BLOCKING, ISSUE_GAP, ISSUE_CYCLE = 0, 1, 2


def replay(MemoryLevel l1i not None, MemoryLevel l1d not None, uint32_t iline, uint32_t dline,
           const uint64_t[::1] addr, const uint16_t[::1] size, const uint8_t[::1] kind,
           const uint64_t[::1] pc, const uint64_t[::1] cycle, int issue, uint64_t gap,
           uint64_t now, uint32_t[::1] lat_out=None, uint8_t[::1] lvl_out=None):
    """Run records [0, len(addr)) through the hierarchy; `pc`/`cycle` may be empty arrays
    (pc 0; cycle only needed for ISSUE_CYCLE). Returns (cycle after the last record,
    line accesses made, flush records skipped, last completion cycle)."""
    cdef Py_ssize_t n = addr.shape[0], i
    cdef bint has_pc = pc.shape[0] == n and n > 0
    cdef bint out = lat_out is not None
    cdef uint64_t a, last, first, line, t, p, done = now, issued, lat
    cdef uint64_t pieces = 0, flushes = 0
    cdef uint32_t shift_i = 0, shift_d = 0, sh, l
    cdef uint8_t k, served, deepest
    if issue == I_CYCLE and cycle.shape[0] != n:
        raise ValueError("the trace has no cycle column; give one or use another issue rule")
    while (1u << shift_i) < iline:
        shift_i += 1
    while (1u << shift_d) < dline:
        shift_d += 1
    # raw pointers: the loop reads each column once per record (no memoryview structs)
    cdef const uint64_t* ap = &addr[0] if n > 0 else NULL
    cdef const uint16_t* zp = &size[0] if n > 0 else NULL
    cdef const uint8_t* kp = &kind[0] if n > 0 else NULL
    cdef const uint64_t* pp = &pc[0] if has_pc else NULL
    cdef const uint64_t* cp = &cycle[0] if issue == I_CYCLE and n > 0 else NULL
    cdef uint32_t* lp = &lat_out[0] if out and n > 0 else NULL
    cdef uint8_t* vp = &lvl_out[0] if out and n > 0 else NULL
    with nogil:
        for i in range(n):
            k = kp[i]
            if k == KIND_FLUSH:
                flushes += 1
                if out:
                    lp[i] = 0
                    vp[i] = 0
                continue
            if cp != NULL:
                now = cp[i]
            issued = now
            a = ap[i]
            p = pp[i] if pp != NULL else 0
            sh = shift_i if k == K_IFETCH else shift_d
            first = a >> sh
            last = (a + (zp[i] - 1 if zp[i] > 0 else 0)) >> sh
            served = 0
            if first == last:               # the common case: one line
                if k == K_IFETCH:
                    t = now + l1i.access(p, a, k, now, &served)
                else:
                    t = now + l1d.access(p, a, k, now, &served)
                pieces += 1
                deepest = served
            else:
                line = first
                t = now
                lat = 0
                deepest = 0
                while True:
                    served = 0
                    if k == K_IFETCH:
                        l = l1i.access(p, (line << sh) if line != first else a, k, t, &served)
                    else:
                        l = l1d.access(p, (line << sh) if line != first else a, k, t, &served)
                    pieces += 1
                    if served > deepest:
                        deepest = served
                    if issue == I_BLOCKING:
                        t += l                  # the next piece waits for this one
                    elif l > lat:
                        lat = l                 # pieces issued together: the slowest counts
                    if line == last:
                        break
                    line += 1
                if issue != I_BLOCKING:
                    t = now + lat
            if t > done:
                done = t
            if out:
                lp[i] = <uint32_t> (t - issued)
                vp[i] = deepest
            if issue == I_BLOCKING:
                now = t
            elif issue == I_GAP:
                now = issued + gap
    return now, pieces, flushes, done


# ---- counts only: the fast kernel (docs/trace-driven.md, "Counts only") -----------------
#
# simulate(..., timing=False) asks for hit, miss, eviction and writeback counts and no
# times. Those counts do not depend on time in a hierarchy without prefetchers or coherence
# (a line is installed when it is requested, and every policy sees the same calls in the
# same order), so this loop makes the same state changes as Cache.access, on the caches' own
# arrays and counters, and skips everything that is only about when: ports, MSHRs, buffers,
# fill-ready times and DRAM timing. LRU and FIFO are inlined (their stamps, FIFOPolicy in
# caches/policies/fifo.pxd); any other policy is called through its interface, as the cache
# calls it. h.stats() then reads the counters as after a timed run.

from cpython.ref cimport PyObject
from caches.cache cimport (Cache, K_LOAD, K_STORE, K_AMO, KIND_WRITEBACK, KIND_SLOTS)
from caches.policies.fifo cimport FIFOPolicy
from caches.replacement cimport ReplacementPolicy
from caches.shadow cimport LineSet, FullyAssocLRU

cdef uint64_t NO_LINE = 0xFFFFFFFFFFFFFFFFULL

cdef enum:
    POL_LRU = 0
    POL_FIFO = 1
    POL_OTHER = 2          # called through ReplacementPolicy's methods
    MAX_LEVELS = 4


cdef struct Level:
    # one Cache's arrays and counters (pointers into the Cache and its policy)
    uint64_t* tags
    uint8_t* dirty
    uint32_t* valid_ways
    uint64_t* stamp            # LRU/FIFO stamps (FIFOPolicy.stamp)
    uint64_t* clock            # ... and their clock
    uint64_t* n_access
    uint64_t* n_hit
    uint64_t* n_miss
    uint64_t* n_eviction
    uint64_t* n_writeback
    uint64_t* n_write_through
    uint64_t* n_compulsory
    uint64_t* n_capacity
    uint64_t* n_conflict
    uint64_t set_mask
    uint32_t assoc
    uint32_t line_shift
    uint8_t level_id
    uint8_t pol
    bint write_allocate
    bint write_through
    bint back_invalidates      # inclusive with caches above it
    bint classify
    bint simple                # LRU/FIFO, write-back, write-allocate, no 3C, no back-inv.
    PyObject* cache            # the Cache (back-invalidation)
    PyObject* policy           # its ReplacementPolicy (POL_OTHER)
    PyObject* seen             # its LineSet and FullyAssocLRU (classify)
    PyObject* shadow
    int next                   # index of the level below, -1: main memory


cdef struct Memory:
    uint64_t reads
    uint64_t writes
    uint8_t level_id


cdef inline uint8_t _memory(Memory* mem, uint8_t kind) noexcept nogil:
    if kind == K_STORE or kind == KIND_WRITEBACK:      # as caches/dram.pyx counts them
        mem.writes += 1
    else:
        mem.reads += 1
    return mem.level_id


cdef extern from *:
    """
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #endif
    /* The way of a set's tags t[0..assoc) holding `line`, or -1. With SSE2, four ways a
       step and, up to 32 ways, one branch for the whole set (a tag loop that leaves at a
       data-dependent way mispredicts on almost every lookup). Equal 64-bit tags are
       those whose two 32-bit halves are both equal. */
    static inline int cs_find_way(const uint64_t* t, uint32_t assoc, uint64_t line) {
        uint32_t w = 0;
    #if defined(__SSE2__)
        const __m128i key = _mm_set1_epi64x((long long) line);
        uint64_t found = 0;
        for (; w + 4 <= assoc && w < 32; w += 4) {
            int ma = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(
                _mm_loadu_si128((const __m128i*) (t + w)), key)));
            int mb = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(
                _mm_loadu_si128((const __m128i*) (t + w + 2)), key)));
            int m = ma | (mb << 4);
            found |= (uint64_t) (m & (m >> 1) & 0x55) << (2 * w);
        }
        if (found)
            return (int) (__builtin_ctzll(found) >> 1);
    #endif
        for (; w < assoc; w++)
            if (t[w] == line)
                return (int) w;
        return -1;
    }
    """
    int cs_find_way(const uint64_t* t, uint32_t assoc, uint64_t line) noexcept nogil


cdef inline int _find(const uint64_t* t, uint32_t assoc, uint64_t line) noexcept nogil:
    return cs_find_way(t, assoc, line)


cdef inline uint32_t _oldest(const uint64_t* s, uint32_t assoc) noexcept nogil:
    """oldest_way of caches/replacement.pxd (the smallest stamp, the first on a tie), two
    ways a step."""
    cdef uint32_t w = 1, best = 0
    cdef uint64_t v, best_v = s[0]
    while w + 1 < assoc:
        v = s[w]
        if v < best_v:
            best_v = v
            best = w
        v = s[w + 1]
        if v < best_v:
            best_v = v
            best = w + 1
        w += 2
    if w < assoc and s[w] < best_v:
        best = w
    return best


cdef inline uint8_t _hit(Level* c, uint64_t base, int way, uint8_t k) noexcept nogil:
    """A hit in a simple level (Cache.access's hit path without time)."""
    cdef uint64_t clk
    c.n_access[k] += 1
    c.n_hit[k] += 1
    if c.pol == POL_LRU:
        clk = c.clock[0] + 1
        c.clock[0] = clk
        c.stamp[base + way] = clk
    if k == K_STORE or k == KIND_WRITEBACK or k == K_AMO:
        c.dirty[base + way] = 1
    return c.level_id


cdef uint8_t _count(Level* L, Memory* mem, int i, uint64_t pc, uint64_t addr,
                    uint8_t kind) noexcept nogil:
    """Cache.access of level i without time (non-coherent, no prefetcher); returns the
    level_id that served the access."""
    if i < 0:                                          # main memory
        return _memory(mem, kind)
    cdef Level* c = &L[i]
    cdef uint64_t line = addr >> c.line_shift
    cdef uint64_t base = (line & c.set_mask) * c.assoc
    cdef uint8_t k = kind & (KIND_SLOTS - 1)
    cdef int way = _find(c.tags + base, c.assoc, line)
    if way >= 0 and c.simple:
        return _hit(c, base, way, k)
    return _count_rest(L, mem, c, base, line, way, pc, addr, k)


cdef uint8_t _count_rest(Level* L, Memory* mem, Level* c, uint64_t base, uint64_t line,
                         int way, uint64_t pc, uint64_t addr, uint8_t k) noexcept nogil:
    """The rest of Cache.access: a miss (way -1) or an access to a level that is not
    simple (way found by _count's lookup)."""
    cdef uint32_t assoc = c.assoc
    cdef uint32_t set_ = <uint32_t> (line & c.set_mask)
    cdef bint is_store = k == K_STORE or k == KIND_WRITEBACK
    cdef bint is_write = is_store or k == K_AMO
    cdef bint allocate, shadow_hit = 0
    cdef const uint64_t* t = c.tags + base
    cdef uint64_t clk
    cdef uint32_t w
    cdef uint8_t served
    c.n_access[k] += 1
    if c.simple:
        # a miss of an LRU or FIFO, write-back, write-allocate level without 3C or
        # back-invalidation: Cache.access's and Cache._install's steps, in their order
        c.n_miss[k] += 1
        if k == KIND_WRITEBACK:                        # a full line from above: no fetch
            served = c.level_id
        else:
            served = _count(L, mem, c.next, pc, addr, K_IFETCH if k == K_IFETCH else K_LOAD)
        if c.valid_ways[set_] < assoc:
            for w in range(assoc):
                if t[w] == NO_LINE:
                    way = <int> w
                    break
            c.valid_ways[set_] += 1
        else:
            way = <int> _oldest(c.stamp + base, assoc)
            c.n_eviction[0] += 1
            if c.dirty[base + way]:
                c.n_writeback[0] += 1
                _count(L, mem, c.next, 0, t[way] << c.line_shift, KIND_WRITEBACK)
        c.tags[base + way] = line
        c.dirty[base + way] = is_write
        clk = c.clock[0] + 1
        c.clock[0] = clk
        c.stamp[base + way] = clk
        return served
    allocate = c.write_allocate or not is_store
    if c.classify:
        shadow_hit = (<FullyAssocLRU> c.shadow).access(line, allocate)
    if way >= 0:                                       # hit
        c.n_hit[k] += 1
        if c.pol == POL_LRU:
            c.clock[0] += 1
            c.stamp[base + way] = c.clock[0]
        elif c.pol == POL_OTHER:
            (<ReplacementPolicy> c.policy).touch(set_, <uint32_t> way, pc, k)
        if is_write:
            if c.write_through:
                c.n_write_through[0] += 1
                _count(L, mem, c.next, pc, addr, K_STORE if k != KIND_WRITEBACK
                       else KIND_WRITEBACK)
            else:
                c.dirty[base + way] = 1
        return c.level_id
    c.n_miss[k] += 1                                   # miss
    if c.classify:
        if (<LineSet> c.seen).add(line):
            c.n_compulsory[0] += 1
        elif shadow_hit:
            c.n_conflict[0] += 1
        else:
            c.n_capacity[0] += 1
    if not allocate:                                   # write-no-allocate store: post it
        c.n_write_through[0] += 1
        return _count(L, mem, c.next, pc, addr, k)
    if k == KIND_WRITEBACK:                            # a full line from above: no fetch
        served = c.level_id
        way = _install(L, mem, c, set_, base, line, pc, k)
    else:
        served = _count(L, mem, c.next, pc, addr, K_IFETCH if k == K_IFETCH else K_LOAD)
        way = _install(L, mem, c, set_, base, line, pc,
                       K_IFETCH if k == K_IFETCH else K_LOAD)
    if is_write:
        if c.write_through:
            c.n_write_through[0] += 1
            _count(L, mem, c.next, pc, addr, K_STORE if k != KIND_WRITEBACK
                   else KIND_WRITEBACK)
        else:
            c.dirty[base + way] = 1
    return served


cdef int _install(Level* L, Memory* mem, Level* c, uint32_t set_, uint64_t base,
                  uint64_t line, uint64_t pc, uint8_t kind) noexcept nogil:
    """Cache._install without time: an invalid way first, else the policy's victim, whose
    dirty line is written back below; returns the way."""
    cdef uint32_t w
    cdef int way = 0
    cdef uint64_t old
    cdef bint was_dirty
    if c.valid_ways[set_] < c.assoc:
        for w in range(c.assoc):
            if c.tags[base + w] == NO_LINE:
                way = <int> w
                break
        c.valid_ways[set_] += 1
    else:
        if c.pol == POL_OTHER:
            way = <int> (<ReplacementPolicy> c.policy).victim(set_, pc, kind)
        else:
            way = <int> _oldest(c.stamp + base, c.assoc)
        old = c.tags[base + way]
        was_dirty = c.dirty[base + way]
        c.n_eviction[0] += 1
        if c.back_invalidates:
            if (<Cache> c.cache)._back_invalidate(old << c.line_shift):
                was_dirty = 1
        if was_dirty:
            c.n_writeback[0] += 1
            _count(L, mem, c.next, 0, old << c.line_shift, KIND_WRITEBACK)
    c.tags[base + way] = line
    c.dirty[base + way] = 0
    if c.pol == POL_OTHER:
        (<ReplacementPolicy> c.policy).insert(set_, <uint32_t> way, pc, kind)
    else:
        c.clock[0] += 1
        c.stamp[base + way] = c.clock[0]
    return way


cdef int _fill_level(Level* lv, Cache c, dict index) except -1:
    cdef ReplacementPolicy pol = c.policy
    cdef FIFOPolicy fp
    lv.tags = c.tags
    lv.dirty = c.dirty
    lv.valid_ways = c.valid_ways
    lv.n_access = &c.n_access[0]
    lv.n_hit = &c.n_hit[0]
    lv.n_miss = &c.n_miss[0]
    lv.n_eviction = &c.n_eviction
    lv.n_writeback = &c.n_writeback
    lv.n_write_through = &c.n_write_through
    lv.n_compulsory = &c.n_compulsory
    lv.n_capacity = &c.n_capacity
    lv.n_conflict = &c.n_conflict
    lv.set_mask = c.set_mask
    lv.assoc = c.assoc
    lv.line_shift = c.line_shift
    lv.level_id = <uint8_t> c.level_id
    lv.write_allocate = c.write_allocate
    lv.write_through = c.write_through
    lv.back_invalidates = c.inclusive and c.n_upper > 0
    lv.classify = c.classify_misses
    lv.cache = <PyObject*> c
    lv.policy = <PyObject*> pol
    lv.seen = <PyObject*> c.seen
    lv.shadow = <PyObject*> c.shadow
    # LRU and FIFO inlined as caches/policies/lru.pyx and fifo.pyx do them
    if c.policy_name in ("lru", "fifo") and isinstance(pol, FIFOPolicy):
        fp = <FIFOPolicy> pol
        lv.stamp = fp.stamp
        lv.clock = &fp.clock
        lv.pol = POL_LRU if c.policy_name == "lru" else POL_FIFO
    else:
        lv.stamp = NULL
        lv.clock = NULL
        lv.pol = POL_OTHER
    lv.simple = (lv.pol != POL_OTHER and not lv.write_through and lv.write_allocate
                 and not lv.classify and not lv.back_invalidates)
    nxt = c.next
    lv.next = index.get(id(nxt), -1)
    return 0


def counts_only_supported(levels):
    """None when count_replay can run this hierarchy (Caches above one main memory, no
    prefetcher, no coherence), else the reason it cannot, in a few words."""
    for c in levels:
        if not isinstance(c, Cache):
            return f"{type(c).__name__} is not a cache"
        if c.prefetcher is not None:
            return f"{c.name} has a prefetcher"
        if c.coherent:
            return f"{c.name} is under a coherence protocol"
    return None


def count_replay(Cache l1i not None, Cache l1d not None, list levels, mem_level,
                 uint32_t iline, uint32_t dline, const uint64_t[::1] addr,
                 const uint16_t[::1] size, const uint8_t[::1] kind, const uint64_t[::1] pc,
                 uint8_t[::1] lvl_out=None):
    """Records [0, len(addr)) through the caches `levels` (l1i and l1d among them, each
    level's `next` one of them or `mem_level`), counting only. Returns (line accesses
    made, flush records skipped, main-memory reads, main-memory writes)."""
    cdef Level L[MAX_LEVELS]
    cdef Memory mem
    cdef Py_ssize_t n = addr.shape[0], i
    cdef int j, li, ld
    if len(levels) > MAX_LEVELS:
        raise ValueError(f"count_replay takes at most {MAX_LEVELS} cache levels")
    why = counts_only_supported(levels)
    if why is not None:
        raise ValueError(f"count_replay cannot run this hierarchy: {why}")
    index = {id(lv): j for j, lv in enumerate(levels)}
    for j, lv in enumerate(levels):
        _fill_level(&L[j], <Cache> lv, index)
        if lv.next is not mem_level and id(lv.next) not in index:
            raise ValueError(f"{lv.name}.next is neither a listed level nor main memory")
    li = index[id(l1i)]
    ld = index[id(l1d)]
    mem.reads = mem.writes = 0
    mem.level_id = <uint8_t> mem_level.level_id
    cdef bint has_pc = pc.shape[0] == n and n > 0
    cdef bint out = lvl_out is not None
    cdef uint64_t a, first, last, line, p, pieces = 0, flushes = 0
    cdef uint32_t shift_i = 0, shift_d = 0, sh
    cdef uint8_t k, served, deepest
    cdef int lvl, way
    cdef Level* c
    cdef uint64_t base
    while (1u << shift_i) < iline:
        shift_i += 1
    while (1u << shift_d) < dline:
        shift_d += 1
    cdef const uint64_t* ap = &addr[0] if n > 0 else NULL
    cdef const uint16_t* zp = &size[0] if n > 0 else NULL
    cdef const uint8_t* kp = &kind[0] if n > 0 else NULL
    cdef const uint64_t* pp = &pc[0] if has_pc else NULL
    cdef uint8_t* vp = &lvl_out[0] if out and n > 0 else NULL
    with nogil:
        for i in range(n):
            k = kp[i]
            if k == KIND_FLUSH:
                flushes += 1
                if out:
                    vp[i] = 0
                continue
            a = ap[i]
            p = pp[i] if pp != NULL else 0
            if k == K_IFETCH:
                sh = shift_i
                lvl = li
            else:
                sh = shift_d
                lvl = ld
            first = a >> sh
            last = (a + (zp[i] - 1 if zp[i] > 0 else 0)) >> sh
            c = &L[lvl]                     # the L1 lookup inline (the common case)
            line = a >> c.line_shift
            base = (line & c.set_mask) * c.assoc
            way = _find(c.tags + base, c.assoc, line)
            if way >= 0 and c.simple:
                deepest = _hit(c, base, way, k)
            else:
                deepest = _count_rest(L, &mem, c, base, line, way, p, a, k)
            pieces += 1
            line = first
            while line != last:             # a record crossing lines: one access per line
                line += 1
                served = _count(L, &mem, lvl, p, line << sh, k)
                pieces += 1
                if served > deepest:
                    deepest = served
            if out:
                vp[i] = deepest
    return pieces, flushes, mem.reads, mem.writes
