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
    with nogil:
        for i in range(n):
            k = kind[i]
            if k == KIND_FLUSH:
                flushes += 1
                if out:
                    lat_out[i] = 0
                    lvl_out[i] = 0
                continue
            if issue == I_CYCLE:
                now = cycle[i]
            issued = now
            a = addr[i]
            p = pc[i] if has_pc else 0
            sh = shift_i if k == K_IFETCH else shift_d
            first = a >> sh
            last = (a + (size[i] - 1 if size[i] > 0 else 0)) >> sh
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
                    lat = l                 # pieces issued together: the slowest one counts
                if line == last:
                    break
                line += 1
            if issue != I_BLOCKING:
                t = now + lat
            if t > done:
                done = t
            if out:
                lat_out[i] = <uint32_t> (t - issued)
                lvl_out[i] = deepest
            if issue == I_BLOCKING:
                now = t
            elif issue == I_GAP:
                now = issued + gap
    return now, pieces, flushes, done
