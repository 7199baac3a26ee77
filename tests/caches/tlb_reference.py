"""A deliberately plain Python model of address translation, written from docs/tlb.md for
clarity, not speed, to check caches.tlb against event by event.

RefTlb: each set is an OrderedDict (size, tag) -> ppn kept in LRU order (first = least
recent). RefWalker: the page table is a dict of table pages, each a dict index -> PTE value
encoded as the RISC-V privileged spec encodes it (PPN << 10 | flags); frames come from a
counter in first-touch order; the page-walk cache is an OrderedDict in LRU order. PTE reads
and the final access go to `port(addr, kind, now) -> (latency, served_by)`.
"""
from collections import OrderedDict

PAGE = 4096
LOAD = 1
V, R, W, X, U, A, D = 1, 2, 4, 8, 16, 64, 128
LEAF_FLAGS = V | R | W | X | U | A | D


def tag_of(va, size):
    """Virtual page number of the page of size class `size` (0: 4 KiB, 1: 2 MiB)."""
    return va >> (12 + 9 * size)


class RefTlb:
    def __init__(self, entries, assoc, hit_latency=0, superpages=True):
        self.sets = [OrderedDict() for _ in range(entries // assoc)]
        self.assoc = assoc
        self.hit_latency = hit_latency
        self.superpages = superpages
        self.hits = self.misses = 0

    def lookup(self, va):
        for size in ((0, 1) if self.superpages else (0,)):
            t = tag_of(va, size)
            s = self.sets[t % len(self.sets)]
            if (size, t) in s:
                s.move_to_end((size, t))
                self.hits += 1
                return s[(size, t)], size
        self.misses += 1
        return None

    def insert(self, va, ppn, size):
        if size == 1 and not self.superpages:
            ppn, size = ppn + ((va >> 12) & 511), 0
        t = tag_of(va, size)
        s = self.sets[t % len(self.sets)]
        if (size, t) not in s and len(s) == self.assoc:
            s.popitem(last=False)
        s[(size, t)] = ppn
        s.move_to_end((size, t))


class RefWalker:
    def __init__(self, port, levels=3, pwc_entries=8, phys_base=0x80000000):
        self.port = port
        self.levels = levels
        self.pwc_entries = pwc_entries
        self.root = phys_base // PAGE
        self.next_free = self.root + 1
        self.tables = {self.root: {}}          # table ppn -> {index: pte}
        self.superpage_regions = set()         # va >> 21 of 2 MiB pages
        self.pwc = OrderedDict()               # (level, va >> (12 + 9 level)) -> table ppn
        self.walks = self.pwc_hits = self.pwc_misses = 0
        self.pte_reads_served = {}

    def _alloc(self, pages):
        ppn = -(-self.next_free // pages) * pages      # aligned to the page's own size
        self.next_free = ppn + pages
        return ppn

    def walk(self, va, now):
        """(cycles, ppn, size) of one walk that starts at cycle `now`."""
        va &= (1 << (12 + 9 * self.levels)) - 1
        top = self.levels - 1
        leaf = 1 if (va >> 21) in self.superpage_regions else 0
        level, table = top, self.root
        if self.pwc_entries:
            for lv in range(leaf + 1, top + 1):        # deepest cached pointer first
                key = (lv, va >> (12 + 9 * lv))
                if key in self.pwc:
                    self.pwc.move_to_end(key)
                    level, table = lv - 1, self.pwc[key]
                    break
            if level != top:
                self.pwc_hits += 1
            else:
                self.pwc_misses += 1
        t = now
        while True:
            index = (va >> (12 + 9 * level)) & 511
            lat, served = self.port(table * PAGE + 8 * index, LOAD, t)
            t += lat
            self.pte_reads_served[served] = self.pte_reads_served.get(served, 0) + 1
            entries = self.tables[table]
            if level == leaf:
                if index not in entries:                 # first touch: a new frame
                    entries[index] = (self._alloc(512 ** leaf) << 10) | LEAF_FLAGS
                ppn = entries[index] >> 10
                break
            if index not in entries:                     # a new table page
                new = self._alloc(1)
                self.tables[new] = {}
                entries[index] = (new << 10) | V
            table = entries[index] >> 10
            if self.pwc_entries:
                key = (level, va >> (12 + 9 * level))
                if key not in self.pwc and len(self.pwc) == self.pwc_entries:
                    self.pwc.popitem(last=False)
                self.pwc[key] = table
                self.pwc.move_to_end(key)
            level -= 1
        self.walks += 1
        return t - now, ppn, leaf


class RefMmu:
    """L1 TLB + optional shared L2 TLB + walker in front of `port`."""

    def __init__(self, port, l1, l2, walker):
        self.port, self.l1, self.l2, self.walker = port, l1, l2, walker

    def access(self, va, kind, now):
        t = self.l1.lookup(va)
        cycles = self.l1.hit_latency
        if t is None:
            if self.l2 is not None:
                cycles += self.l2.hit_latency
                t = self.l2.lookup(va)
            if t is None:
                w, ppn, size = self.walker.walk(va, now + cycles)
                cycles += w
                t = (ppn, size)
                if self.l2 is not None:
                    self.l2.insert(va, ppn, size)
            self.l1.insert(va, *t)
        ppn, size = t
        pa = ppn * PAGE + (va & ((1 << (12 + 9 * size)) - 1))
        lat, served = self.port(pa, kind, now + cycles)
        return cycles + lat, served, pa
