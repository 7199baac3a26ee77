# An occupancy timeline: a pool of `units` identical entries (MSHRs, writeback-buffer
# entries, a DRAM request queue) kept as the reservations [start, end) made on it, so a
# request at cycle t finds an entry free at t whenever fewer than `units` reservations
# hold one at t, whatever order the requests were made in (docs/engine.md, "Cycle order
# at the shared levels"). Only the levels every core shares use it; a private level keeps
# the cheaper free-at-cycle pool, which is the same thing when requests come in cycle order.
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free

cdef struct Occupancy:
    uint64_t* start            # per reservation: first cycle it holds an entry
    uint64_t* end              # ... first cycle it no longer does
    uint64_t* asked            # ... cycle it was asked for (start, or earlier if it waited)
    uint64_t* tag              # ... what it is for (an MSHR: the line being fetched)
    uint8_t* info              # ... a byte for the owner (an MSHR: the level serving it)
    uint32_t n                 # reservations kept (the first n slots)
    uint32_t cap               # slots
    uint32_t units             # entries of the pool
    uint64_t floor             # nothing starts before: the end of reservations forgotten
                               # to make room (never reached while `settle` keeps up)


cdef inline int occ_init(Occupancy* o, uint32_t units, uint32_t cap) noexcept nogil:
    o.start = <uint64_t*> calloc(cap, sizeof(uint64_t))
    o.end = <uint64_t*> calloc(cap, sizeof(uint64_t))
    o.tag = <uint64_t*> calloc(cap, sizeof(uint64_t))
    o.asked = <uint64_t*> calloc(cap, sizeof(uint64_t))
    o.info = <uint8_t*> calloc(cap, sizeof(uint8_t))
    o.n = 0
    o.cap = cap
    o.units = units
    o.floor = 0
    if not o.start or not o.end or not o.tag or not o.asked or not o.info:
        return -1
    return 0


cdef inline void occ_release(Occupancy* o) noexcept nogil:
    free(o.start)
    free(o.end)
    free(o.tag)
    free(o.asked)
    free(o.info)
    o.start = o.end = o.tag = o.asked = NULL
    o.info = NULL
    o.n = 0


cdef inline void occ_clear(Occupancy* o) noexcept nogil:
    o.n = 0
    o.floor = 0


cdef inline uint64_t occ_free_at(Occupancy* o, uint64_t t) noexcept nogil:
    """The earliest cycle >= t at which fewer than `units` reservations hold an entry."""
    cdef uint32_t i, busy
    cdef uint64_t first_end
    if t < o.floor:
        t = o.floor
    if o.n < o.units:                    # fewer reservations than entries: free now
        return t
    while True:
        busy = 0
        first_end = 0xFFFFFFFFFFFFFFFFULL
        for i in range(o.n):
            if o.start[i] <= t < o.end[i]:
                busy += 1
                if o.end[i] < first_end:
                    first_end = o.end[i]
        if busy < o.units:
            return t
        t = first_end                    # the first of them to end frees an entry


cdef inline int occ_find(Occupancy* o, uint64_t tag, uint64_t t) noexcept nogil:
    """A reservation for `tag` still held at cycle t (the latest to end), or -1."""
    cdef uint32_t i
    cdef int best = -1
    for i in range(o.n):
        if o.tag[i] == tag and o.end[i] > t:
            if best < 0 or o.end[i] > o.end[best]:
                best = <int> i
    return best


cdef inline void occ_book(Occupancy* o, uint64_t asked, uint64_t start, uint64_t end,
                          uint64_t tag, uint8_t info) noexcept nogil:
    """Reserve an entry over [start, end), asked for at cycle `asked`. With every slot taken, the reservation that ends
    first is forgotten and raises the floor to its end (a request before it waits)."""
    cdef uint32_t i, j = o.n
    if o.n == o.cap:
        j = 0
        for i in range(1, o.n):
            if o.end[i] < o.end[j]:
                j = i
        if o.end[j] > o.floor:
            o.floor = o.end[j]
    else:
        o.n += 1
    o.asked[j] = asked
    o.start[j] = start
    o.end[j] = end
    o.tag[j] = tag
    o.info[j] = info


cdef inline void occ_settle(Occupancy* o, uint64_t t) noexcept nogil:
    """Forget the reservations that end by cycle t: no request comes before t any more."""
    cdef uint32_t i = 0
    while i < o.n:
        if o.end[i] <= t:
            o.n -= 1
            o.start[i] = o.start[o.n]
            o.end[i] = o.end[o.n]
            o.tag[i] = o.tag[o.n]
            o.asked[i] = o.asked[o.n]
            o.info[i] = o.info[o.n]
        else:
            i += 1
