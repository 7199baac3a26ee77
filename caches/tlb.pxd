# Address translation: TLBs, the Sv39/Sv48 page table of the guest and its walker, and the
# Translator that puts a TLB in front of an L1 cache. Rules: docs/tlb.md.
cimport cython
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel

cdef enum:
    PAGE_SHIFT = 12            # 4 KiB base page
    LEVEL_BITS = 9             # 512 8-byte PTEs per table page
    MAX_LEVELS = 4             # Sv48
    SIZE_4K = 0                # page size classes: the leaf level of the walk
    SIZE_2M = 1

cdef struct TlbEntry:
    uint64_t tag               # va >> (12 + 9 * size): the virtual page number of its size
    uint64_t ppn               # physical page number (4 KiB units) of the page's first byte
    uint64_t stamp             # LRU age: larger = used more recently
    uint8_t size               # SIZE_4K or SIZE_2M
    uint8_t valid

@cython.final        # direct C calls from the Translator, no vtable
cdef class Tlb:
    cdef readonly str name
    cdef readonly uint32_t entries, assoc, sets, hit_latency
    cdef readonly bint superpages  # holds 2 MiB entries (else a 2 MiB page is cached as 4 KiB pieces)
    cdef TlbEntry* e               # sets * assoc entries, set-major
    cdef object _buf
    cdef uint64_t clock            # LRU stamp source
    cdef int64_t last              # index of the most recently used entry (the fast path)
    cdef uint64_t n_hit, n_miss
    cdef bint lookup(self, uint64_t va, uint64_t* ppn, uint8_t* size) noexcept nogil
    cdef void insert(self, uint64_t va, uint64_t ppn, uint8_t size) noexcept nogil

@cython.final
cdef class PageTableWalker:
    cdef readonly uint32_t levels      # 3 = Sv39, 4 = Sv48
    cdef readonly uint32_t pwc_entries
    cdef readonly uint64_t phys_base   # first physical byte the frame allocator hands out
    cdef readonly uint64_t root_ppn
    cdef MemoryLevel mem               # where PTE reads go (the L1D, or the L2)
    # page table: open-addressing map (kind, level, number) -> physical page number
    cdef uint64_t* keys
    cdef uint64_t* vals
    cdef uint64_t cap, used
    cdef uint64_t next_ppn             # bump allocator of physical frames (4 KiB units)
    cdef uint64_t n_tables             # table pages allocated, the root included
    # page-walk cache: fully associative LRU of non-leaf PTEs
    cdef uint64_t* pwc_tag             # (level << 60) | (va >> (12 + 9 * level)); 0 = empty
    cdef uint64_t* pwc_ppn             # the next-level table that PTE points to
    cdef uint64_t* pwc_stamp
    cdef uint64_t pwc_clock
    cdef object _pwc_buf
    # counters
    cdef uint64_t n_walks, walk_cycles, pwc_hits, pwc_misses
    cdef uint64_t pte_by_served[8]     # PTE reads by the level that served them (1..4)
    cdef uint64_t pte_by_level[MAX_LEVELS]   # PTE reads by page-table level (0 = leaf)
    cdef uint64_t _get(self, uint64_t key) noexcept nogil
    cdef void _put(self, uint64_t key, uint64_t val) noexcept nogil
    cdef uint64_t _node(self, uint64_t key, uint64_t pages) noexcept nogil
    cdef uint32_t walk(self, uint64_t va, uint64_t now, uint64_t* ppn,
                       uint8_t* size) noexcept nogil

cdef class Translator(MemoryLevel):
    cdef readonly str name
    cdef readonly MemoryLevel cache    # the L1 behind the TLB (physically tagged)
    cdef readonly Tlb l1
    cdef readonly Tlb l2               # shared L2 TLB, or None
    cdef readonly PageTableWalker walker
    cdef bint has_l2
    cdef uint64_t n_l2_lookups, n_walks, translation_cycles, walk_cycles
    # Cycles the last access's translation took after its L1 TLB missed (the L2 TLB lookup
    # and the walk; 0 on an L1 TLB hit): the core's itlb/dtlb part of the CPI stack.
    cdef readonly uint32_t miss_cycles
    # Physical address of `addr`, translated at `now`; the translation time in t[0].
    cdef uint64_t _translate(self, uint64_t addr, uint64_t now, uint32_t* t) noexcept nogil
