"""A reference model of the MESI and MOESI protocols, written from their definitions (Sorin,
Hill and Wood, "A Primer on Memory Consistency and Cache Coherence", 2nd ed., 2020: chapter 8, directory
protocols, with its E and O states; MOESI as in AMD's "AMD64 Architecture Programmer's
Manual" vol. 2, 7.3), independent of caches/coherence.pyx.

Each core has one private cache of unbounded capacity (no replacements except the explicit
`evict`), so a line's state per core is all there is. The model knows nothing of latencies:
it gives the next states and the protocol events of each request, which the tests compare
with the implementation, and it checks the single-writer / multiple-reader invariant.

Coherence misses (Dubois et al., "The Detection and Elimination of Useless Misses in
Multiprocessors", ISCA 1993): a miss of core v on a line it lost to another core's write
(an invalidation). It is a true-sharing miss when the word v asks for was written by another
core since v lost the line, else a false-sharing miss (the classification at the missing
access; docs/coherence.md). Words are 8 bytes.
"""

WORD = 8


class RefCoherence:
    def __init__(self, cores, protocol="mesi", line_size=64):
        assert protocol in ("mesi", "moesi")
        self.cores = cores
        self.moesi = protocol == "moesi"
        self.line_size = line_size
        self.state = {}          # (core, line) -> "M" | "O" | "E" | "S"  (absent: "I")
        self.lost = {}           # (core, line) -> set of words written by others since lost
        self.written = {}        # (core, line) -> words this core wrote while holding M
        self.counts = dict(invalidations=0, interventions=0, upgrades=0,
                           downgrade_writebacks=0, coherence_misses=0,
                           true_sharing_misses=0, false_sharing_misses=0,
                           read_requests=0, write_requests=0)
        self.per_core = [dict(coherence_misses=0, true_sharing_misses=0,
                              false_sharing_misses=0) for _ in range(cores)]

    def get(self, core, line):
        return self.state.get((core, line), "I")

    def _set(self, core, line, st):
        if st == "I":
            self.state.pop((core, line), None)
        else:
            self.state[(core, line)] = st

    def _others(self, core, line):
        return [c for c in range(self.cores) if c != core and self.get(c, line) != "I"]

    def _report_writes(self, writer, line):
        """Words `writer` wrote count against every core that lost the line."""
        words = self.written.pop((writer, line), set())
        for (c, ln), lost_words in self.lost.items():
            if ln == line and c != writer:
                lost_words |= words

    def _invalidate(self, victim, line):
        self._report_writes(victim, line)
        self._set(victim, line, "I")
        self.lost[(victim, line)] = set()
        self.counts["invalidations"] += 1

    def _classify(self, core, line, word):
        lost = self.lost.pop((core, line), None)
        if lost is None:
            return None
        self.counts["coherence_misses"] += 1
        self.per_core[core]["coherence_misses"] += 1
        kind = "true" if word in lost else "false"
        self.counts[f"{kind}_sharing_misses"] += 1
        self.per_core[core][f"{kind}_sharing_misses"] += 1
        return kind

    def access(self, core, addr, kind):
        """kind "load", "store" or "evict"; returns the events as a dict."""
        line, word = addr // self.line_size, (addr % self.line_size) // WORD
        st = self.get(core, line)
        ev = {"hit": st != "I", "intervention": None, "invalidated": [], "miss_class": None,
              "upgrade": False}
        if kind == "evict":
            if st != "I":
                self._report_writes(core, line)
                self._set(core, line, "I")
            return ev
        if kind == "load":
            if st != "I":
                return ev
            self.counts["read_requests"] += 1
            others = self._others(core, line)
            owner = [c for c in others if self.get(c, line) in ("M", "E", "O")]
            if owner:
                o = owner[0]
                ev["intervention"] = o
                self.counts["interventions"] += 1
                self._report_writes(o, line)
                ost = self.get(o, line)
                if ost == "M" and self.moesi:
                    self._set(o, line, "O")
                elif ost == "M":
                    self._set(o, line, "S")
                    self.counts["downgrade_writebacks"] += 1
                elif ost == "E":
                    self._set(o, line, "S")
                # O stays O
                self._set(core, line, "S")
            else:
                self._set(core, line, "S" if others else "E")
            ev["miss_class"] = self._classify(core, line, word)
            return ev
        assert kind == "store"
        if st in ("M", "E"):
            self._set(core, line, "M")
            self.written.setdefault((core, line), set()).add(word)
            return ev
        others = self._others(core, line)
        if st in ("S", "O"):
            ev["upgrade"] = True
            self.counts["upgrades"] += 1
            for c in others:
                self._invalidate(c, line)
                ev["invalidated"].append(c)
        else:
            self.counts["write_requests"] += 1
            owner = [c for c in others if self.get(c, line) in ("M", "E", "O")]
            if owner:
                o = owner[0]
                ev["intervention"] = o
                self.counts["interventions"] += 1
                self._invalidate(o, line)
                self.counts["invalidations"] -= 1      # counted as the intervention
            for c in others:
                if c != (owner[0] if owner else None):
                    self._invalidate(c, line)
                    ev["invalidated"].append(c)
            ev["miss_class"] = self._classify(core, line, word)
        self._set(core, line, "M")
        self.written.setdefault((core, line), set()).add(word)
        return ev

    def check_invariant(self, lines):
        """Single writer or multiple readers, per line: at most one core in M/E, and none
        else valid then; at most one O (MOESI), beside S copies only."""
        for line in lines:
            sts = [self.get(c, line) for c in range(self.cores)]
            excl = [s for s in sts if s in ("M", "E")]
            valid = [s for s in sts if s != "I"]
            assert len(excl) <= 1 and (not excl or len(valid) == 1), (line, sts)
            assert sts.count("O") <= 1 and (self.moesi or "O" not in sts), (line, sts)
