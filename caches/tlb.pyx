"""Address translation in front of the L1 caches (rules: docs/tlb.md).

Tlb              a set-associative (or fully associative) TLB with LRU replacement whose
                 entries are 4 KiB pages or 2 MiB superpages.
PageTableWalker  the guest's Sv39/Sv48 page table (RISC-V privileged spec, "Sv39" and "Sv48"
                 sections of the supervisor chapter) built the way Linux builds it on demand:
                 a root page and 4 KiB table pages of 512 8-byte PTEs, each at a physical frame
                 of its own, frames handed out in the order the program first touches its
                 pages. A walk reads one PTE per level THROUGH the data cache hierarchy (a
                 load at the PTE's physical address) and caches non-leaf PTEs in a page-walk
                 cache.
Translator       a MemoryLevel that translates every access with its L1 TLB, the shared L2
                 TLB and the walker, then asks its L1 cache at the physical address, later by
                 the translation time. With no Translator in the hierarchy there is no cost.
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from caches.base cimport MemoryLevel
from caches.cache cimport K_LOAD

try:
    from cyclesim.errors import ConfigError as _BadConfig
except ImportError:
    _BadConfig = ValueError

# Key kinds of the page-table map (top two bits of a key).

# issue cycle of the next Python-side walk_once / access_py without a `now`
cdef uint64_t _py_clock = 0

cdef uint64_t KEY_TABLE = (<uint64_t> 1) << 62     # (level, prefix) -> table page
cdef uint64_t KEY_FRAME = (<uint64_t> 2) << 62     # (size, vpn) -> data frame
cdef uint64_t KEY_SUPER = (<uint64_t> 3) << 62     # 2 MiB region mapped by a superpage

MODES = {"sv39": 3, "sv48": 4}


cdef inline uint64_t page_tag(uint64_t va, uint8_t size) noexcept nogil:
    return va >> (PAGE_SHIFT + LEVEL_BITS * size)


cdef class Tlb:
    """A TLB of `entries` entries in `assoc` ways (assoc == entries: fully associative),
    LRU within a set. A lookup tries the 4 KiB set, then (with superpages) the 2 MiB set, each
    indexed by the low bits of the virtual page number of that size."""

    def __init__(self, entries, assoc, hit_latency=0, superpages=True, name="tlb"):
        entries, assoc = int(entries), int(assoc)
        if entries < 1 or assoc < 1 or entries % assoc:
            raise _BadConfig(f"{name}: assoc ({assoc}) must divide entries ({entries}), "
                             f"both at least 1")
        sets = entries // assoc
        if sets & (sets - 1):
            raise _BadConfig(f"{name}: entries / assoc = {sets} sets; the number of sets "
                             f"must be a power of two")
        if int(hit_latency) < 0:
            raise _BadConfig(f"{name}: hit_latency must be 0 or more cycles")
        self.name = name
        self.entries, self.assoc, self.sets = entries, assoc, sets
        self.hit_latency = int(hit_latency)
        self.superpages = bool(superpages)
        self._buf = np.zeros(entries * sizeof(TlbEntry), np.uint8)
        cdef uint8_t[::1] b = self._buf
        self.e = <TlbEntry*> &b[0]
        self.flush()
        self.n_hit = self.n_miss = 0

    cdef bint lookup(self, uint64_t va, uint64_t* ppn, uint8_t* size) noexcept nogil:
        cdef TlbEntry* ent
        cdef uint64_t tag, base
        cdef uint32_t w
        cdef uint8_t s
        if self.last >= 0:
            # The entry used last is already the most recent of its set: a hit on it needs
            # no LRU update (and no search).
            ent = &self.e[self.last]
            if ent.valid and ent.tag == page_tag(va, ent.size):
                ppn[0] = ent.ppn
                size[0] = ent.size
                self.n_hit += 1
                return True
        for s in range(2 if self.superpages else 1):
            tag = page_tag(va, s)
            base = (tag & (self.sets - 1)) * self.assoc
            for w in range(self.assoc):
                ent = &self.e[base + w]
                if ent.valid and ent.size == s and ent.tag == tag:
                    self.clock += 1
                    ent.stamp = self.clock
                    self.last = <int64_t> (base + w)
                    ppn[0] = ent.ppn
                    size[0] = s
                    self.n_hit += 1
                    return True
        self.n_miss += 1
        return False

    cdef void insert(self, uint64_t va, uint64_t ppn, uint8_t size) noexcept nogil:
        cdef TlbEntry* ent
        cdef uint64_t tag, base, victim
        cdef uint32_t w
        if size == SIZE_2M and not self.superpages:
            # A TLB without superpage entries caches the 4 KiB piece that was used.
            ppn += (va >> PAGE_SHIFT) & ((1 << LEVEL_BITS) - 1)
            size = SIZE_4K
        tag = page_tag(va, size)
        base = (tag & (self.sets - 1)) * self.assoc
        victim = base
        for w in range(self.assoc):
            ent = &self.e[base + w]
            if not ent.valid:
                victim = base + w
                break
            if ent.stamp < self.e[victim].stamp:
                victim = base + w
        ent = &self.e[victim]
        ent.valid = 1
        ent.tag = tag
        ent.ppn = ppn
        ent.size = size
        self.clock += 1
        ent.stamp = self.clock
        self.last = <int64_t> victim

    # ------------------------------------------------------------------ Python API
    def flush(self):
        """Invalidate every entry (an sfence.vma of everything)."""
        cdef uint32_t i
        for i in range(self.entries):
            self.e[i].valid = 0
            self.e[i].stamp = 0
        self.clock = 0
        self.last = -1

    def translate(self, uint64_t va):
        """(ppn, size) of the entry mapping va, counted as a lookup; None on a miss."""
        cdef uint64_t ppn = 0
        cdef uint8_t size = 0
        if self.lookup(va, &ppn, &size):
            return int(ppn), int(size)
        return None

    def fill(self, uint64_t va, uint64_t ppn, int size=SIZE_4K):
        self.insert(va, ppn, <uint8_t> size)

    def contents(self):
        """Valid entries as (set, way, tag, ppn, size, stamp) tuples."""
        out = []
        cdef uint32_t i
        for i in range(self.entries):
            if self.e[i].valid:
                out.append((i // self.assoc, i % self.assoc, int(self.e[i].tag),
                            int(self.e[i].ppn), int(self.e[i].size), int(self.e[i].stamp)))
        return out

    def stats(self):
        n = self.n_hit + self.n_miss
        return {"lookups": n, "hits": self.n_hit, "misses": self.n_miss,
                "miss_rate": self.n_miss / n if n else 0.0}

    def reset_stats(self):
        self.n_hit = self.n_miss = 0

    def reset(self):
        self.flush()
        self.reset_stats()

    def __repr__(self):
        return (f"Tlb({self.name}: {self.entries} entries, {self.assoc}-way, "
                f"{self.hit_latency}-cycle hit{', 4KiB+2MiB' if self.superpages else ', 4KiB'})")


cdef class PageTableWalker:
    """The guest's page table and the hardware walker that reads it.

    levels: 3 (Sv39) or 4 (Sv48). mem: the MemoryLevel PTE reads go to. pwc_entries: size of
    the page-walk cache (0 = none). phys_base: physical address of the root table; data
    frames and further table pages follow it in allocation order."""

    def __init__(self, MemoryLevel mem not None, levels=3, pwc_entries=8,
                 phys_base=0x80000000):
        if int(levels) not in (3, 4):
            raise _BadConfig(f"page table levels must be 3 (Sv39) or 4 (Sv48), not {levels}")
        if int(pwc_entries) < 0:
            raise _BadConfig("pwc_entries must be 0 or more")
        if int(phys_base) % (2 << 20):
            raise _BadConfig("phys_base must be 2 MiB aligned")
        self.mem = mem
        self.levels = int(levels)
        self.pwc_entries = int(pwc_entries)
        self.phys_base = int(phys_base)
        self.cap = 0
        self._pwc_buf = np.zeros((3, max(self.pwc_entries, 1)), np.uint64)
        cdef uint64_t[:, ::1] p = self._pwc_buf
        self.pwc_tag = &p[0, 0]
        self.pwc_ppn = &p[1, 0]
        self.pwc_stamp = &p[2, 0]
        self._clear_table()
        self._zero()

    def __dealloc__(self):
        free(self.keys)
        free(self.vals)

    def _clear_table(self):
        free(self.keys)
        free(self.vals)
        self.cap = 1024
        self.used = 0
        self.keys = <uint64_t*> calloc(self.cap, sizeof(uint64_t))
        self.vals = <uint64_t*> calloc(self.cap, sizeof(uint64_t))
        if self.keys == NULL or self.vals == NULL:
            raise MemoryError("page table map")
        self.root_ppn = self.phys_base >> PAGE_SHIFT
        self.next_ppn = self.root_ppn + 1
        self.n_tables = 1
        self.flush()

    def _zero(self):
        cdef int i
        self.n_walks = self.walk_cycles = self.pwc_hits = self.pwc_misses = 0
        for i in range(8):
            self.pte_by_served[i] = 0
        for i in range(MAX_LEVELS):
            self.pte_by_level[i] = 0

    # ---- the map (open addressing, linear probing; a key is never 0) -------------------
    cdef uint64_t _get(self, uint64_t key) noexcept nogil:
        cdef uint64_t i = (key * <uint64_t> 0x9E3779B97F4A7C15) >> 20
        i &= self.cap - 1
        while self.keys[i]:
            if self.keys[i] == key:
                return self.vals[i]
            i = (i + 1) & (self.cap - 1)
        return 0

    cdef void _put(self, uint64_t key, uint64_t val) noexcept nogil:
        cdef uint64_t i, j, old_cap, k
        cdef uint64_t* ok
        cdef uint64_t* ov
        cdef uint64_t* nk
        cdef uint64_t* nv
        if 2 * (self.used + 1) > self.cap:
            old_cap, ok, ov = self.cap, self.keys, self.vals
            nk = <uint64_t*> calloc(2 * old_cap, sizeof(uint64_t))
            nv = <uint64_t*> calloc(2 * old_cap, sizeof(uint64_t))
            if nk == NULL or nv == NULL:
                free(nk)
                free(nv)
                return          # out of host memory: the entry is re-created on the next walk
            self.keys, self.vals, self.cap, self.used = nk, nv, 2 * old_cap, 0
            for j in range(old_cap):
                if ok[j]:
                    self._put(ok[j], ov[j])
            free(ok)
            free(ov)
        i = ((key * <uint64_t> 0x9E3779B97F4A7C15) >> 20) & (self.cap - 1)
        while self.keys[i] and self.keys[i] != key:
            i = (i + 1) & (self.cap - 1)
        if not self.keys[i]:
            self.used += 1
        self.keys[i] = key
        self.vals[i] = val

    cdef uint64_t _node(self, uint64_t key, uint64_t pages) noexcept nogil:
        """The physical page number behind `key`, allocating `pages` frames (aligned to
        `pages`) on first use, as a kernel does at the first page fault."""
        cdef uint64_t ppn = self._get(key)
        if ppn:
            return ppn
        ppn = (self.next_ppn + pages - 1) & ~(pages - 1)
        self.next_ppn = ppn + pages
        if (key & (<uint64_t> 3 << 62)) == KEY_TABLE:
            self.n_tables += 1
        self._put(key, ppn)
        return ppn

    cdef uint32_t walk(self, uint64_t va, uint64_t now, uint64_t* ppn,
                       uint8_t* size) noexcept nogil:
        """Translate va: the cycles the walk takes from `now`; the leaf's ppn and size."""
        cdef int top = <int> self.levels - 1
        cdef int leaf = SIZE_2M if self._get(KEY_SUPER | (va >> 21)) else SIZE_4K
        cdef int start = top, i
        cdef uint32_t j, best
        cdef uint64_t table = self.root_ppn, tag, t = now, lat
        cdef uint8_t lvl = 0
        va &= ((<uint64_t> 1) << (PAGE_SHIFT + LEVEL_BITS * self.levels)) - 1
        # Page-walk cache: the deepest cached non-leaf PTE lets the walk skip the levels above.
        if self.pwc_entries:
            for i in range(leaf + 1, top + 1):
                tag = ((<uint64_t> i) << 60) | (va >> (PAGE_SHIFT + LEVEL_BITS * i))
                for j in range(self.pwc_entries):
                    if self.pwc_tag[j] == tag:
                        self.pwc_clock += 1
                        self.pwc_stamp[j] = self.pwc_clock
                        table = self.pwc_ppn[j]
                        start = i - 1
                        break
                if start != top:
                    break
            if start != top:
                self.pwc_hits += 1
            else:
                self.pwc_misses += 1
        for i in range(start, leaf - 1, -1):
            # PTE address: table page + VPN[i] * 8 (privileged spec, Sv39 step 2)
            lat = self.mem.access(0, (table << PAGE_SHIFT)
                                  + ((va >> (PAGE_SHIFT + LEVEL_BITS * i)) & 511) * 8,
                                  K_LOAD, t, &lvl)
            t += lat
            self.pte_by_served[lvl & 7] += 1
            self.pte_by_level[i] += 1
            if i > leaf:
                # a pointer to the next-level table; the PWC keeps it
                table = self._node(KEY_TABLE | ((<uint64_t> (i - 1)) << 56)
                                   | (va >> (PAGE_SHIFT + LEVEL_BITS * i)), 1)
                if self.pwc_entries:
                    tag = ((<uint64_t> i) << 60) | (va >> (PAGE_SHIFT + LEVEL_BITS * i))
                    best = 0
                    for j in range(self.pwc_entries):
                        if self.pwc_tag[j] == tag:
                            best = j
                            break
                        if self.pwc_stamp[j] < self.pwc_stamp[best]:
                            best = j
                    self.pwc_clock += 1
                    self.pwc_tag[best] = tag
                    self.pwc_ppn[best] = table
                    self.pwc_stamp[best] = self.pwc_clock
        ppn[0] = self._node(KEY_FRAME | ((<uint64_t> leaf) << 56)
                            | (va >> (PAGE_SHIFT + LEVEL_BITS * leaf)),
                            (<uint64_t> 1) << (LEVEL_BITS * leaf))
        size[0] = <uint8_t> leaf
        self.n_walks += 1
        self.walk_cycles += t - now
        return <uint32_t> (t - now)

    # ------------------------------------------------------------------ Python API
    def map_superpage(self, uint64_t va):
        """Map the 2 MiB region holding va with one level-1 leaf PTE (a megapage), as
        transparent huge pages do. Only before any 4 KiB page of the region is mapped."""
        if self._get(KEY_TABLE | (<uint64_t> 0 << 56) | (va >> 21)):
            raise _BadConfig(f"the 2 MiB region at {va & ~((1 << 21) - 1):#x} already has "
                             "4 KiB pages; map superpages before the program touches them")
        self._put(KEY_SUPER | (va >> 21), 1)

    def map_superpages(self, uint64_t start, uint64_t end):
        """Map as 2 MiB superpages every 2 MiB-aligned region inside [start, end) that no
        4 KiB page uses yet (transparent huge pages, mode "always"); returns how many."""
        cdef uint64_t r, n = 0
        for r in range((start + (1 << 21) - 1) >> 21, end >> 21):
            if self._get(KEY_SUPER | r) or self._get(KEY_TABLE | (<uint64_t> 0 << 56) | r):
                continue
            self._put(KEY_SUPER | r, 1)
            n += 1
        return n

    def walk_once(self, uint64_t va, now=None):
        """Run one walk (counted): (cycles, ppn, size). Without `now` it starts when the
        previous Python-issued walk or access completed (the caches are non-blocking: a
        second walk at the same cycle would wait for the first one's fills)."""
        global _py_clock
        cdef uint64_t ppn = 0
        cdef uint8_t size = 0
        cdef uint64_t t = _py_clock if now is None else <uint64_t> now
        cdef uint32_t c = self.walk(va, t, &ppn, &size)
        _py_clock = t + (c if c > 1 else 1)
        return int(c), int(ppn), int(size)

    def flush(self):
        """Empty the page-walk cache (an sfence.vma)."""
        cdef uint32_t j
        for j in range(max(self.pwc_entries, 1)):
            self.pwc_tag[j] = 0
            self.pwc_ppn[j] = 0
            self.pwc_stamp[j] = 0
        self.pwc_clock = 0

    def pte_address(self, uint64_t va, int level):
        """Physical address of the level-`level` PTE a walk of va reads (None if the table
        page holding it does not exist yet)."""
        top = self.levels - 1
        if level == top:
            table = self.root_ppn
        else:
            table = self._get(KEY_TABLE | (<uint64_t> level << 56)
                              | (va >> (PAGE_SHIFT + LEVEL_BITS * (level + 1))))
            if not table:
                return None
        return (table << PAGE_SHIFT) + ((va >> (PAGE_SHIFT + LEVEL_BITS * level)) & 511) * 8

    def entries(self, prot_of=None):
        """The page table as a kernel would hold it: a list of (table_pa, index, level,
        kind, target_pa, va, pte) rows, kind "table" (a pointer PTE) or "leaf" (a page); va
        is the first virtual address the PTE covers; pte the 8-byte PTE value as the
        privileged spec encodes it: PPN << 10 | flags (V; a leaf also R/W/X from
        prot_of(va) -> PROT_READ|PROT_WRITE|PROT_EXEC bits, U, A, D)."""
        rows = []
        cdef uint64_t j, key, kind, level, num
        for j in range(self.cap):
            key = self.keys[j]
            if not key:
                continue
            kind = key & (<uint64_t> 3 << 62)
            level = (key >> 56) & 0x3f
            num = key & ((<uint64_t> 1 << 56) - 1)
            ppn = self.vals[j]
            if kind == KEY_TABLE:        # table page at `level`, pointed to from level + 1
                va = num << (PAGE_SHIFT + LEVEL_BITS * (level + 1))
                slot = self.pte_address(va, level + 1)
                rows.append((slot & ~0xfff, (slot & 0xfff) // 8, level + 1, "table",
                             ppn << PAGE_SHIFT, va, (ppn << 10) | 1))
            elif kind == KEY_FRAME:      # data page of size class `level`
                va = num << (PAGE_SHIFT + LEVEL_BITS * level)
                slot = self.pte_address(va, level)
                prot = 7 if prot_of is None else int(prot_of(va))
                flags = 1 | (2 if prot & 1 else 0) | (4 if prot & 2 else 0) \
                    | (8 if prot & 4 else 0) | 16 | 64 | 128
                rows.append((slot & ~0xfff, (slot & 0xfff) // 8, level, "leaf",
                             ppn << PAGE_SHIFT, va, (ppn << 10) | flags))
        rows.sort()
        return rows

    def translate_functional(self, uint64_t va):
        """Physical address of va if its page is mapped already, else None (no timing)."""
        for leaf in (SIZE_2M, SIZE_4K):
            ppn = self._get(KEY_FRAME | (<uint64_t> leaf << 56)
                            | (va >> (PAGE_SHIFT + LEVEL_BITS * leaf)))
            if ppn:
                return (ppn << PAGE_SHIFT) + (va & ((1 << (PAGE_SHIFT + LEVEL_BITS * leaf)) - 1))
        return None

    def stats(self):
        d = {"walks": self.n_walks, "walk_cycles": self.walk_cycles,
             "avg_walk_cycles": self.walk_cycles / self.n_walks if self.n_walks else 0.0,
             "pwc_hits": self.pwc_hits, "pwc_misses": self.pwc_misses,
             "table_pages": self.n_tables}
        for i, name in ((1, "l1"), (2, "l2"), (3, "l3"), (4, "memory")):
            d[f"pte_reads_{name}"] = self.pte_by_served[i]
        for i in range(self.levels):
            d[f"pte_reads_level{i}"] = self.pte_by_level[i]
        return d

    def reset_stats(self):
        self._zero()

    def reset(self):
        """Flush the page-walk cache and zero the counters; the page table stays (the
        program's pages keep their frames)."""
        self.flush()
        self._zero()

    def __repr__(self):
        return (f"PageTableWalker({'sv39' if self.levels == 3 else 'sv48'}, "
                f"{self.pwc_entries}-entry page-walk cache, root at {self.phys_base:#x})")


cdef class Translator(MemoryLevel):
    """A TLB in front of an L1 cache: access(pc, va, ...) = translation + cache access at the
    physical address, issued when the translation is known.

    translation = l1.hit_latency; on an L1 TLB miss + l2.hit_latency (the L2 TLB lookup),
    and on an L2 TLB miss + the walk. The entry is then filled into the L2 and L1 TLBs."""

    def __init__(self, MemoryLevel cache not None, Tlb l1 not None, Tlb l2,
                 PageTableWalker walker not None, name="dtlb"):
        self.cache = cache
        self.level_id = cache.level_id
        self.l1 = l1
        self.l2 = l2
        self.has_l2 = l2 is not None
        self.walker = walker
        self.name = name
        self.n_l2_lookups = self.n_walks = self.translation_cycles = self.walk_cycles = 0
        self.miss_cycles = 0

    cdef uint64_t _translate(self, uint64_t addr, uint64_t now, uint32_t* t_out) noexcept nogil:
        cdef uint64_t ppn = 0
        cdef uint8_t size = 0
        cdef uint32_t t = self.l1.hit_latency, w
        cdef bint found = False
        if not self.l1.lookup(addr, &ppn, &size):
            if self.has_l2:
                t += self.l2.hit_latency
                self.n_l2_lookups += 1
                found = self.l2.lookup(addr, &ppn, &size)
            if not found:
                w = self.walker.walk(addr, now + t, &ppn, &size)
                t += w
                self.n_walks += 1
                self.walk_cycles += w
                if self.has_l2:
                    self.l2.insert(addr, ppn, size)
            self.l1.insert(addr, ppn, size)
        self.translation_cycles += t
        self.miss_cycles = t - self.l1.hit_latency
        t_out[0] = t
        return (ppn << PAGE_SHIFT) \
            + (addr & (((<uint64_t> 1) << (PAGE_SHIFT + LEVEL_BITS * size)) - 1))

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        cdef uint32_t t = 0
        cdef uint64_t pa = self._translate(addr, now, &t)
        cdef uint32_t lat = self.cache.access(pc, pa, kind, now + t, served_by)
        # T1a: the cache accepts the access only once its physical address is known; a
        # non-blocking requester is held for the TLB miss and the cache's own accept wait.
        self.accept_wait = self.miss_cycles + self.cache.accept_wait
        return t + lat

    cdef uint32_t block_op(self, uint64_t pc, uint64_t addr, uint8_t op,
                           uint64_t now) noexcept nogil:
        """cbo.* take a virtual address too (RISC-V CMO specification 1.0.1): the block
        operation goes to the physical block once the translation is known."""
        cdef uint32_t t = 0
        cdef uint64_t pa = self._translate(addr, now, &t)
        return t + self.cache.block_op(pc, pa, op, now + t)

    def access_py(self, uint64_t addr, kind, now=None, uint64_t pc=0):
        """One translated access from Python: (latency, level_id that served it). Without
        `now` it is issued when the previous Python-issued walk or access completed."""
        global _py_clock
        cdef uint8_t served = 0
        cdef uint64_t t = _py_clock if now is None else <uint64_t> now
        cdef uint32_t lat = self.access(pc, addr, <uint8_t> int(kind), t, &served)
        _py_clock = t + (lat if lat > 1 else 1)
        return lat, served

    def stats(self):
        """This side's translation counters (the L1 TLB's hits and misses, walks)."""
        d = self.l1.stats()
        d.update({"walks": self.n_walks, "walk_cycles": self.walk_cycles,
                  "translation_cycles": self.translation_cycles})
        return d

    def reset_stats(self):
        self.l1.reset_stats()
        self.n_l2_lookups = self.n_walks = self.translation_cycles = self.walk_cycles = 0

    def reset(self):
        self.l1.reset()
        self.reset_stats()

    def __repr__(self):
        return f"Translator({self.name}: {self.l1!r} -> {self.cache!r})"
