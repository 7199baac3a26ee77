"""A plain Python model of the levels several cores share, for tests/test_multicore_cycle_order.py:
one global event queue in cycle order over every hart's requests, into a shared L2 (LRU
tags, a port calendar, MSHRs and a writeback buffer) above main memory (tests/caches'
RefDram, or a fixed latency).

Written from the rule of docs/engine.md ("Cycle order at the shared levels"): a pool of
entries (MSHRs, writeback-buffer entries) is free at cycle t when fewer than its size of
the requests made so far hold an entry at t, each holding it from the cycle it got it to
the cycle it let go. The model keeps every holding as a (start, end) pair and steps t one
cycle at a time until the rule allows it: no summarised "free at" cycles.
"""
import heapq

LOAD, WRITEBACK = 1, 4


class RefFixed:
    def __init__(self, latency):
        self.latency = latency

    def access(self, addr, kind, now):
        return self.latency


class RefSharedL2:
    def __init__(self, memory, size, assoc, line_size=64, hit_latency=12, mshrs=2, ports=1,
                 writeback_buffer=2):
        self.memory = memory
        self.assoc, self.line_size = assoc, line_size
        self.num_sets = size // (assoc * line_size)
        self.hit_latency, self.mshrs, self.ports = hit_latency, mshrs, ports
        self.wbb_size = writeback_buffer
        self.sets = [[None] * assoc for _ in range(self.num_sets)]   # way: dict or None
        self.stamp = 0                                              # LRU time stamps
        self.port_use = {}                                          # cycle -> accesses
        self.mshr = []                                              # [start, end, line]
        self.wbb = []                                               # [start, end]

    @staticmethod
    def first_free(holdings, size, t):
        while sum(1 for h in holdings if h[0] <= t < h[1]) >= size:
            t += 1
        return t

    def _port(self, t):
        while self.port_use.get(t, 0) >= self.ports:
            t += 1
        self.port_use[t] = self.port_use.get(t, 0) + 1
        return t

    def _install(self, s, line, when):
        """Fill `line` into set s, ready at `when`; a dirty victim leaves through the
        writeback buffer then. Returns (way, cycles the fill waited for an entry)."""
        ways = self.sets[s]
        stall = 0
        free = [w for w in range(self.assoc) if ways[w] is None]
        if free:
            w = free[0]
        else:
            w = min(range(self.assoc), key=lambda i: ways[i]["used"])
            if ways[w]["dirty"]:
                t = self.first_free(self.wbb, self.wbb_size, when)
                stall = t - when
                victim = ways[w]["line"] * self.line_size
                self.wbb.append([t, t + self.memory.access(victim, WRITEBACK, t)])
        self.stamp += 1
        ways[w] = {"line": line, "dirty": False, "ready": when, "used": self.stamp}
        return w, stall

    def access(self, addr, kind, now):
        line = addr // self.line_size
        s = line % self.num_sets
        done = self._port(now) + self.hit_latency
        ways = self.sets[s]
        for w in range(self.assoc):
            if ways[w] is not None and ways[w]["line"] == line:       # hit
                done = max(done, ways[w]["ready"])
                self.stamp += 1
                ways[w]["used"] = self.stamp
                if kind == WRITEBACK:
                    ways[w]["dirty"] = True
                return done - now
        if kind == WRITEBACK:                  # a whole dirty line from above: no fetch
            w, stall = self._install(s, line, done)
            done += stall
        else:
            under_way = [m for m in self.mshr if m[2] == line and m[1] > done]
            if under_way:                      # left the array while its fill was under way
                done = max(done, max(m[1] for m in under_way))
                w, stall = self._install(s, line, done)
                done += stall
            else:
                t = self.first_free(self.mshr, self.mshrs, done)
                fill = t + self.memory.access(addr, LOAD, t)
                w, stall = self._install(s, line, fill)
                done = fill + stall
                self.mshr.append([t, done, line])
        ways[w]["ready"] = done
        if kind == WRITEBACK:
            ways[w]["dirty"] = True
        return done - now


def run_in_cycle_order(l2, requests):
    """requests: (cycle, hart, index, addr, kind). One event queue ordered by cycle (then
    hart, then the hart's own order); returns {(hart, index): latency}."""
    queue = list(requests)
    heapq.heapify(queue)
    out = {}
    while queue:
        cycle, hart, index, addr, kind = heapq.heappop(queue)
        out[hart, index] = l2.access(addr, kind, cycle)
    return out
