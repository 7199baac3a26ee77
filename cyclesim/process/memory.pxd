# Guest memory: a sparse, lazily allocated, paged address space of 2**38 bytes (the Sv39
# user range). The hot path reads and writes through two page tables: `rd` holds a host
# page for every guest page that is readable and already touched, `wr` likewise for
# writable pages. A NULL entry sends the access to the slow path, which allocates a page
# on first touch inside a mapping, enforces permissions and the memory cap, handles
# accesses that cross a page, and reports a fault otherwise. Pages that are executable are
# never entered in `wr`, so every store to code takes the slow path, which tells the core
# to drop its decoded-instruction cache (self-modifying code stays correct).
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

cdef enum:
    PAGE_SHIFT = 12
    PAGE_SIZE = 4096
    DIR_SHIFT = 22              # one PageDir covers 4 MiB
    PAGES_PER_DIR = 1024
    ADDR_BITS = 38
    NUM_DIRS = 65536            # 2**(ADDR_BITS - DIR_SHIFT)
    PROT_R = 1
    PROT_W = 2
    PROT_X = 4

# Results of the slow paths (0 = ok).
cdef enum:
    MEM_OK = 0
    MEM_FAULT = 1               # unmapped, or permission denied
    MEM_LIMIT = 2               # would exceed the guest memory cap

cdef struct PageDir:
    uint8_t* rd[1024]           # host page if readable and allocated, else NULL
    uint8_t* wr[1024]           # host page if writable, not executable, and allocated
    uint8_t* data[1024]         # host page if allocated (whatever the permissions)
    uint8_t prot[1024]          # PROT_* bits of the mapping; 0 = not mapped

cdef struct MemState:
    PageDir** dirs              # NUM_DIRS entries, NULL where nothing is mapped
    uint64_t pages_allocated    # host pages backing guest pages
    uint64_t page_limit         # cap on pages_allocated
    uint32_t code_written       # set when a store hit an executable page
    # LR/SC reservations of the harts not running, watched while one hart runs (the
    # engine sets them around core.run): their pages leave `wr`, so only the slow path
    # sees stores to them and the fast path costs nothing.
    uint32_t n_watch            # watched granules (0: none)
    uint32_t watch_shift        # log2 of the reservation granule (the L1D line size)
    uint64_t watch_hit          # bit i: a store touched watch[i]
    uint64_t watch[64]          # watched granule numbers (address >> watch_shift)

cdef int mem_read_slow(MemState* m, uint64_t addr, void* out, uint32_t size) noexcept nogil
cdef int mem_write_slow(MemState* m, uint64_t addr, const void* src, uint32_t size) noexcept nogil
cdef int mem_fetch_slow(MemState* m, uint64_t addr, void* out, uint32_t size) noexcept nogil


cdef inline uint8_t* page_for_read(MemState* m, uint64_t addr) noexcept nogil:
    cdef PageDir* d
    if (addr >> ADDR_BITS) != 0:
        return NULL
    d = m.dirs[addr >> DIR_SHIFT]
    if d == NULL:
        return NULL
    return d.rd[(addr >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)]


cdef inline uint8_t* page_for_write(MemState* m, uint64_t addr) noexcept nogil:
    cdef PageDir* d
    if (addr >> ADDR_BITS) != 0:
        return NULL
    d = m.dirs[addr >> DIR_SHIFT]
    if d == NULL:
        return NULL
    return d.wr[(addr >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)]


cdef inline int mem_read(MemState* m, uint64_t addr, void* out, uint32_t size) noexcept nogil:
    """Copy `size` (1, 2, 4 or 8) bytes at guest `addr` to `out`; MEM_OK or an error."""
    cdef uint8_t* p
    if (addr & (PAGE_SIZE - 1)) <= PAGE_SIZE - size:
        p = page_for_read(m, addr)
        if p != NULL:
            memcpy(out, p + (addr & (PAGE_SIZE - 1)), size)
            return MEM_OK
    return mem_read_slow(m, addr, out, size)


cdef inline int mem_write(MemState* m, uint64_t addr, const void* src, uint32_t size) noexcept nogil:
    """Copy `size` bytes from `src` to guest `addr`; MEM_OK or an error."""
    cdef uint8_t* p
    if (addr & (PAGE_SIZE - 1)) <= PAGE_SIZE - size:
        p = page_for_write(m, addr)
        if p != NULL:
            memcpy(p + (addr & (PAGE_SIZE - 1)), src, size)
            return MEM_OK
    return mem_write_slow(m, addr, src, size)


cdef class GuestMemory:
    cdef MemState state
    cdef object __weakref__
    cdef PageDir* _dir(self, uint64_t addr, bint create) except? NULL
    cdef void _drop(self, PageDir* d, uint64_t idx) noexcept
