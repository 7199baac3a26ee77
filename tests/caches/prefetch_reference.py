"""Plain-Python reference models of the prefetchers, written from docs/caches.md
("Prefetchers") and the module docstrings of caches/prefetchers/, not from the Cython.

Each class has on_access(pc, addr, kind, outcome, now) -> list of byte addresses and
on_fill(addr, prefetched, now), like the Cython Prefetcher's access_py/fill_py. Outcomes
are the names of caches.prefetch.OUTCOMES. Lists and dicts, no cleverness: these are the
rules as a reader would apply them by hand.
"""
IFETCH = 0
TRIGGERS = ("miss", "hit_prefetched", "late")      # misses and first uses of prefetches


def offsets_235(limit):
    return [d for d in range(1, limit + 1)
            if all(p in (2, 3, 5) for p in prime_factors(d))]


def prime_factors(n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


class RefNextLine:
    def __init__(self, degree=1, tagged=True, line=64):
        self.degree, self.tagged, self.line = degree, tagged, line

    def on_access(self, pc, addr, kind, outcome, now=0):
        if outcome == "miss" or (self.tagged and outcome in ("hit_prefetched", "late")):
            base = addr // self.line
            return [(base + i) * self.line for i in range(1, self.degree + 1)]
        return []

    def on_fill(self, addr, prefetched, now=0):
        pass


class RefIPStride:
    def __init__(self, entries=64, degree=2, counter_bits=2, threshold=2, line=64):
        self.entries, self.degree, self.threshold, self.line = entries, degree, threshold, line
        self.conf_max = 2 ** counter_bits - 1
        self.rows = {}           # row -> dict(tag, last, stride, conf)

    def on_access(self, pc, addr, kind, outcome, now=0):
        if pc == 0 or kind == IFETCH:
            return []
        row = (pc // 2) % self.entries
        e = self.rows.get(row)
        if e is None or e["tag"] != pc:
            self.rows[row] = {"tag": pc, "last": addr, "stride": 0, "conf": 0}
            return []
        d = addr - e["last"]
        if d == e["stride"]:
            e["conf"] = min(e["conf"] + 1, self.conf_max)
        elif e["conf"] > 0:
            e["conf"] -= 1
        else:
            e["stride"] = d
        e["last"] = addr
        if e["conf"] < self.threshold or e["stride"] == 0:
            return []
        out, cur = [], addr // self.line
        prev = cur
        for k in range(1, self.degree + 1):
            a = addr + k * e["stride"]
            if not 0 <= a < 2 ** 64:
                break
            ln = a // self.line
            if ln != cur and ln != prev:
                out.append(ln * self.line)
            prev = ln
        return out

    def on_fill(self, addr, prefetched, now=0):
        pass


class RefStream:
    def __init__(self, streams=16, region=4096, train=2, distance=16, degree=4, line=64):
        self.n, self.region, self.train = streams, region, train
        self.distance, self.degree, self.line = distance, degree, line
        self.table = []          # entries in LRU order, most recent last
        # an entry: dict(region, last, dir, conf, next)

    def on_access(self, pc, addr, kind, outcome, now=0):
        if outcome not in TRIGGERS:
            return []
        line, reg = addr // self.line, addr // self.region
        e = next((x for x in self.table if x["region"] == reg), None)
        if e is None:
            if len(self.table) == self.n:
                self.table.pop(0)                    # least recently used
            self.table.append({"region": reg, "last": line, "dir": 0, "conf": 0,
                               "next": line})
            return []
        self.table.remove(e)
        self.table.append(e)
        if line == e["last"]:
            return []
        d = 1 if line > e["last"] else -1
        if d != e["dir"]:
            e.update(dir=d, conf=1, next=line + d)
        else:
            e["conf"] = min(e["conf"] + 1, 255)
        e["last"] = line
        if e["conf"] < self.train:
            return []
        if (e["next"] - line) * d <= 0:
            e["next"] = line + d
        out = []
        while (len(out) < self.degree and abs(e["next"] - line) <= self.distance
               and e["next"] >= 0 and e["next"] * self.line // self.region == reg):
            out.append(e["next"] * self.line)
            e["next"] += d
        return out

    def on_fill(self, addr, prefetched, now=0):
        pass


class RefBestOffset:
    def __init__(self, max_offset=256, rr_entries=256, score_max=31, round_max=100,
                 bad_score=1, page=4096, line=64):
        self.offsets = offsets_235(min(max_offset, page // line - 1))   # within a page
        self.h = rr_entries.bit_length() - 1
        self.rr = {}                      # index -> tag
        self.score_max, self.round_max, self.bad_score = score_max, round_max, bad_score
        self.page_lines = page // line
        self.line = line
        self.scores = [0] * len(self.offsets)
        self.test = self.round = 0
        self.offset, self.enabled = 1, True
        self.pending = []                 # (cycle the fill completes, line for RR), in order

    def _key(self, y):
        return (y ^ (y >> self.h)) % 2 ** self.h, (y >> self.h) % 2 ** 12

    def _rr_put(self, y):
        i, t = self._key(y)
        self.rr[i] = t

    def _rr_has(self, y):
        i, t = self._key(y)
        return self.rr.get(i) == t

    def on_fill(self, addr, prefetched, now=0):
        y = addr // self.line
        if prefetched:
            if y < self.offset:
                return
            y -= self.offset
        elif self.enabled:
            return
        if len(self.pending) == 64:
            self._rr_put(self.pending.pop(0)[1])
        self.pending.append((now, y))

    def on_access(self, pc, addr, kind, outcome, now=0):
        if outcome not in TRIGGERS:
            return []
        for when, y in [p for p in self.pending if p[0] <= now]:
            self._rr_put(y)
        self.pending = [p for p in self.pending if p[0] > now]
        x = addr // self.line
        d = self.offsets[self.test]
        if x >= d and self._rr_has(x - d):
            self.scores[self.test] += 1
        if self.scores[self.test] >= self.score_max:
            self._end_phase()
        else:
            self.test += 1
            if self.test == len(self.offsets):
                self.test = 0
                self.round += 1
                if self.round >= self.round_max:
                    self._end_phase()
        if not self.enabled:
            return []
        t = x + self.offset
        if t // self.page_lines != x // self.page_lines:
            return []
        return [t * self.line]

    def _end_phase(self):
        best = max(range(len(self.offsets)), key=lambda i: (self.scores[i], -i))
        self.offset = self.offsets[best]
        self.enabled = self.scores[best] > self.bad_score
        self.scores = [0] * len(self.offsets)
        self.test = self.round = 0


REFERENCES = {"next_line": RefNextLine, "ip_stride": RefIPStride, "stream": RefStream,
              "best_offset": RefBestOffset}
