"""A deliberately plain Python model of one cache level, written from the rules in
docs/caches.md for clarity, not speed, to check caches.cache.Cache against.

Each set is a list of ways; each way is a dict {"line", "dirty", "ready"} or None (invalid).
The policies are spelled out literally (timestamps, a tree of bits, a 2-bit counter list).

Timing, event by event, from the rules of docs/caches.md ("Non-blocking caches"): a
dictionary of port bookings per cycle (never forgotten), the fill-ready cycle of every line,
a list of MSHRs [line, free-at cycle, serving level], and a list of free-at cycles per
writeback / write-through buffer entry. access(addr, kind, pc, now) with now=None issues the
access when the previous top-level access (of any reference cache) completed, at least one
cycle later, like caches.cache.Cache.access_py.
"""
from collections import OrderedDict

IFETCH, LOAD, STORE, AMO, WRITEBACK = 0, 1, 2, 3, 4
CBO_CLEAN, CBO_FLUSH, CBO_ZERO = 1, 2, 4        # cache-block operations (docs/caches.md)

_clock = [0]      # cycle the previous top-level access completed (blocking requester)


class RefMemory:
    """Bottom of a reference chain: records what reached it."""

    def __init__(self, latency=0):
        self.latency = latency
        self.reads = 0
        self.writes = 0
        self.log = []

    def access(self, addr, kind, pc=0, now=None):
        return self._access(addr, kind, pc, 0 if now is None else now)

    def _access(self, addr, kind, pc, now):
        self.log.append((addr, kind))
        if kind in (STORE, WRITEBACK):
            self.writes += 1
        else:
            self.reads += 1
        return self.latency, 4

    def block_op(self, addr, op, now=None):
        return 0                 # memory is where cleaned and flushed data end up

    def _block_op(self, addr, op, now):
        return 0


class RefCache:
    def __init__(self, size, assoc, line_size, hit_latency=1, policy="lru",
                 write_policy="write_back", write_allocate=True, inclusive=False,
                 seed=1, next=None, level_id=1, params=None, mshrs=8, ports=1,
                 writeback_buffer=8, write_through_buffer=8):
        self.assoc = assoc
        self.line_size = line_size
        self.num_sets = size // (assoc * line_size)
        self.hit_latency = hit_latency
        self.policy = policy
        self.write_back = write_policy == "write_back"
        self.write_allocate = write_allocate
        self.inclusive = inclusive
        self.next = next
        self.level_id = level_id
        self.uppers = []
        self.sets = [[None] * assoc for _ in range(self.num_sets)]
        # policy state, one entry per (set, way) or per set
        self.time = 0
        self.last_used = [[0] * assoc for _ in range(self.num_sets)]     # lru
        self.filled_at = [[0] * assoc for _ in range(self.num_sets)]     # fifo
        self.tree = [[0] * max(assoc - 1, 0) for _ in range(self.num_sets)]  # plru, heap order
        # RRIP family (srrip, drrip, ship), docs/caches.md
        p = {"rrpv_bits": 2, "leader_sets": 32, "psel_bits": 10, "bimodal_throttle": 32,
             "shct_entries": 16384, "counter_bits": 3}
        p.update(params or {})
        self.distant = 2 ** p["rrpv_bits"] - 1
        self.long = self.distant - 1
        self.rrpv = [[self.distant] * assoc for _ in range(self.num_sets)]
        # drrip: leader sets and the PSEL counter
        self.stride = max(2, self.num_sets // p["leader_sets"])
        self.psel_mid = 2 ** (p["psel_bits"] - 1)
        self.psel_max = 2 ** p["psel_bits"] - 1
        self.psel = self.psel_mid
        self.throttle = p["bimodal_throttle"]
        self.brrip_fills = 0
        # ship: signature per line, outcome per line, table of counters
        self.shct_entries = p["shct_entries"]
        self.shct = [1] * p["shct_entries"]
        self.counter_max = 2 ** p["counter_bits"] - 1
        self.fill_sig = [[0] * assoc for _ in range(self.num_sets)]
        self.outcome = [[False] * assoc for _ in range(self.num_sets)]
        self.pc = 0
        self.rng = (seed ^ 0x2545F4914F6CDD1D) or 0x2545F4914F6CDD1D     # random
        # statistics
        self.hits = self.misses = self.accesses = 0
        self.writebacks = self.evictions = self.write_throughs = self.back_invalidations = 0
        self.compulsory = self.capacity = self.conflict = 0
        self.seen = set()
        self.fa = OrderedDict()            # fully-associative LRU of the same number of lines
        self.fa_lines = self.num_sets * assoc
        # timing state
        self.ports = ports
        self.port_bookings = {}                    # cycle -> accesses started in it
        self.mshr = [[None, 0, 0] for _ in range(mshrs)]     # [line, free at, served by]
        self.wbb = [0] * writeback_buffer          # free-at cycle per entry
        self.wtb = [0] * write_through_buffer
        self.mshr_hits = self.mshr_allocations = 0
        self.mshr_full_stalls = self.mshr_full_stall_cycles = 0
        self.port_stalls = self.port_stall_cycles = 0
        self.wbb_full_stalls = self.wbb_full_stall_cycles = 0
        self.wtb_full_stalls = self.wtb_full_stall_cycles = 0

    # ---- policy, literally ----
    def _touch(self, s, w):
        self.time += 1
        self.last_used[s][w] = self.time
        if self.policy == "plru":
            self._plru_point_away(s, w)
        if self.policy in ("srrip", "drrip", "ship"):
            self.rrpv[s][w] = 0
        if self.policy == "ship":
            self.outcome[s][w] = True
            sig = self.fill_sig[s][w]
            self.shct[sig] = min(self.shct[sig] + 1, self.counter_max)

    def _signature(self, pc):
        k = self.shct_entries.bit_length() - 1            # entries = 2^k
        return ((pc >> 1) ^ (pc >> (k + 1))) % self.shct_entries

    def _brrip_value(self):
        self.brrip_fills += 1
        if self.brrip_fills == self.throttle:             # one in `throttle` goes to long
            self.brrip_fills = 0
            return self.long
        return self.distant

    def _insert(self, s, w):
        self.time += 1
        self.last_used[s][w] = self.time
        self.filled_at[s][w] = self.time
        if self.policy == "plru":
            self._plru_point_away(s, w)
        if self.policy == "srrip":
            self.rrpv[s][w] = self.long
        if self.policy == "drrip":
            if s % self.stride == 0:                       # SRRIP leader: a miss here
                self.psel = min(self.psel + 1, self.psel_max)
                self.rrpv[s][w] = self.long
            elif s % self.stride == self.stride // 2:      # BRRIP leader
                self.psel = max(self.psel - 1, 0)
                self.rrpv[s][w] = self._brrip_value()
            elif self.psel > self.psel_mid:                # SRRIP misses more: BRRIP
                self.rrpv[s][w] = self._brrip_value()
            else:
                self.rrpv[s][w] = self.long
        if self.policy == "ship":
            sig = self._signature(self.pc)
            self.fill_sig[s][w] = sig
            self.outcome[s][w] = False
            self.rrpv[s][w] = self.distant if self.shct[sig] == 0 else self.long

    def _plru_point_away(self, s, w):
        # heap order: node 0 is the root, node i has children 2i+1 (left) and 2i+2 (right);
        # leaf for way w is node assoc-1+w. A bit of 1 means "the victim is on the right".
        node = self.assoc - 1 + w
        while node > 0:
            parent = (node - 1) // 2
            came_from_left = node == 2 * parent + 1
            self.tree[s][parent] = 1 if came_from_left else 0
            node = parent

    def _victim(self, s):
        ways = range(self.assoc)
        if self.policy == "lru":
            return min(ways, key=lambda w: self.last_used[s][w])
        if self.policy == "fifo":
            return min(ways, key=lambda w: self.filled_at[s][w])
        if self.policy == "plru":
            node = 0
            while node < self.assoc - 1:
                node = 2 * node + 2 if self.tree[s][node] else 2 * node + 1
            return node - (self.assoc - 1)
        if self.policy == "random":
            x = self.rng
            x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
            x ^= x >> 7
            x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
            self.rng = x
            return x % self.assoc
        if self.policy in ("srrip", "drrip", "ship"):
            while self.distant not in self.rrpv[s]:
                self.rrpv[s] = [r + 1 for r in self.rrpv[s]]
            w = self.rrpv[s].index(self.distant)
            if self.policy == "ship" and not self.outcome[s][w]:   # dead: never reused
                sig = self.fill_sig[s][w]
                self.shct[sig] = max(self.shct[sig] - 1, 0)
            return w
        raise AssertionError(self.policy)

    # ---- helpers ----
    def _find(self, line):
        s = line % self.num_sets
        for w, way in enumerate(self.sets[s]):
            if way is not None and way["line"] == line:
                return s, w
        return s, None

    def invalidate(self, line_addr_bytes, size):
        dirty = False
        for a in range(line_addr_bytes, line_addr_bytes + size, self.line_size):
            s, w = self._find(a // self.line_size)
            if w is not None:
                dirty |= self.sets[s][w]["dirty"]
                self.sets[s][w] = None
                if self.policy in ("srrip", "drrip", "ship"):
                    self.rrpv[s][w] = self.distant
                    self.outcome[s][w] = False
                if self.policy in ("lru", "fifo"):
                    self.last_used[s][w] = self.filled_at[s][w] = 0
                self.back_invalidations += 1
        return dirty

    def lines(self):
        return sorted(w["line"] * self.line_size for st in self.sets for w in st if w)

    def dirty_lines(self):
        return sorted(w["line"] * self.line_size for st in self.sets for w in st
                      if w and w["dirty"])

    # ---- timing helpers ----
    def _take_port(self, now):
        t = now
        while self.port_bookings.get(t, 0) >= self.ports:
            t += 1
        self.port_bookings[t] = self.port_bookings.get(t, 0) + 1
        if t != now:
            self.port_stalls += 1
            self.port_stall_cycles += t - now
        return t

    @staticmethod
    def _earliest(free_list):
        """Index of the entry that frees first (the lowest index among equals)."""
        return min(range(len(free_list)), key=lambda i: (free_list[i], i))

    def _post_write(self, addr, kind, t):
        """A posted write enters the write-through buffer at t (waiting for the first entry
        to free when all are busy); the entry is busy until the next level has done it."""
        e = self._earliest(self.wtb)
        wait = max(0, self.wtb[e] - t)
        if wait:
            self.wtb_full_stalls += 1
            self.wtb_full_stall_cycles += wait
        lat, served = self.next._access(addr, kind, self.pc, t + wait)[:2]
        self.wtb[e] = t + wait + lat
        return wait, served

    def _install(self, s, line, when):
        """Put line into set s, the fill arriving at `when`; returns (way, stall)."""
        ways = self.sets[s]
        stall = 0
        if None in ways:
            w = ways.index(None)
        else:
            w = self._victim(s)
            old = ways[w]
            self.evictions += 1
            dirty = old["dirty"]
            if self.inclusive:
                for up in self.uppers:
                    dirty |= up.invalidate(old["line"] * self.line_size, self.line_size)
            if dirty:
                self.writebacks += 1
                e = self._earliest(self.wbb)
                stall = max(0, self.wbb[e] - when)
                if stall:
                    self.wbb_full_stalls += 1
                    self.wbb_full_stall_cycles += stall
                lat = self.next._access(old["line"] * self.line_size, WRITEBACK, 0,
                                        when + stall)[0]
                self.wbb[e] = when + stall + lat
        ways[w] = {"line": line, "dirty": False, "ready": when + stall}
        self._insert(s, w)
        return w, stall

    # ---- one access: returns (latency, served_by, "h" or "m") ----
    def access(self, addr, kind, pc=0, now=None):
        t = _clock[0] if now is None else now
        out = self._access(addr, kind, pc, t)
        _clock[0] = t + max(out[0], 1)
        return out

    def _access(self, addr, kind, pc, now):
        self.pc = pc
        line = addr // self.line_size
        is_store = kind in (STORE, WRITEBACK)
        is_write = is_store or kind == AMO
        allocate = self.write_allocate or not is_store
        self.accesses += 1
        done = self._take_port(now) + self.hit_latency
        # fully-associative LRU shadow sees every reference
        fa_hit = line in self.fa
        if fa_hit:
            self.fa.move_to_end(line)
        elif allocate:
            if len(self.fa) == self.fa_lines:
                self.fa.popitem(last=False)
            self.fa[line] = True

        s, w = self._find(line)
        if w is not None:
            self.hits += 1
            if self.sets[s][w]["ready"] > done:        # hit under miss: wait for the fill
                self.mshr_hits += 1
                done = self.sets[s][w]["ready"]
            self._touch(s, w)
            if is_write:
                if self.write_back:
                    self.sets[s][w]["dirty"] = True
                else:
                    self.write_throughs += 1
                    done += self._post_write(addr, WRITEBACK if kind == WRITEBACK else STORE,
                                             done)[0]
            return done - now, self.level_id, "h"

        self.misses += 1
        if line not in self.seen:
            self.seen.add(line)
            self.compulsory += 1
        elif fa_hit:
            self.conflict += 1
        else:
            self.capacity += 1

        if not allocate:
            self.write_throughs += 1
            wait, served = self._post_write(addr, kind, done)
            return done + wait - now, served, "m"

        merged = [m for m in self.mshr if m[0] == line and m[1] > done]
        if kind == WRITEBACK:                      # a whole line from above: no fetch
            served = self.level_id
            w, stall = self._install(s, line, done)
            done += stall
        elif merged:                               # its fill is under way: wait for it
            self.mshr_hits += 1
            m = merged[0]
            done = max(done, m[1])
            served = m[2]
            w, stall = self._install(s, line, done)
            done += stall
        else:
            e = self._earliest([m[1] for m in self.mshr])
            if self.mshr[e][1] > done:             # every MSHR busy: wait for the first
                self.mshr_full_stalls += 1
                self.mshr_full_stall_cycles += self.mshr[e][1] - done
                done = self.mshr[e][1]
            self.mshr_allocations += 1
            latency, served = self.next._access(addr, IFETCH if kind == IFETCH else LOAD,
                                                pc, done)[:2]
            w, stall = self._install(s, line, done + latency)
            done += latency + stall
            self.mshr[e] = [line, done, served]
        if is_write:
            if self.write_back:
                self.sets[s][w]["dirty"] = True
            else:
                self.write_throughs += 1
                done += self._post_write(addr, WRITEBACK if kind == WRITEBACK else STORE,
                                         done)[0]
        return done - now, served, "m"

    # ---- cache-block operations (docs/caches.md): returns the cycles until done ----
    def block_op(self, addr, op, now=None):
        """now=None: issued when the previous top-level access completed (as access)."""
        t0 = _clock[0] if now is None else now
        cycles = self._block_op(addr, op, t0)
        _clock[0] = t0 + max(cycles, 1)
        return cycles

    def _block_op(self, addr, op, now):
        line = addr // self.line_size
        s, w = self._find(line)
        t = now + self.hit_latency          # no port: block operations are rare
        if op == CBO_ZERO:
            # the whole line is written: present -> touched, absent -> installed, no fill,
            # no MSHR (the victim's writeback may wait for the writeback buffer)
            stall = 0
            if w is not None:
                self._touch(s, w)
            else:
                w, stall = self._install(s, line, t)
            if self.write_back:
                self.sets[s][w]["dirty"] = True
            else:
                self.write_throughs += 1
                self.next._block_op(addr, op, t + stall)
            return self.hit_latency + stall
        # clean / flush: write a dirty copy back, drop it for flush, then the level below
        dirty = w is not None and self.sets[s][w]["dirty"]
        if w is not None:
            if op == CBO_FLUSH:
                self.sets[s][w] = None
                if self.policy in ("srrip", "drrip", "ship"):
                    self.rrpv[s][w] = self.distant
                    self.outcome[s][w] = False
                if self.policy in ("lru", "fifo"):
                    self.last_used[s][w] = self.filled_at[s][w] = 0
            else:
                self.sets[s][w]["dirty"] = False
        if dirty:
            self.writebacks += 1
            t += self.next._access(line * self.line_size, WRITEBACK, 0, t)[0]
        return t + self.next._block_op(addr, op, t) - now
