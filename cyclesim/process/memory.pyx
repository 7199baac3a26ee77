"""Guest memory: the page tables behind the functional core's loads and stores.

See memory.pxd for the layout. Python-facing methods here are used by the loader and
the syscall emulation (never per instruction); they work on page-aligned ranges for
mapping changes and on arbitrary ranges for data.
"""
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset

DEFAULT_MEM_LIMIT = 1 << 30

cdef inline uint8_t* _ensure_page(MemState* m, PageDir* d, uint64_t idx) noexcept nogil:
    """Host page for guest page `idx` of `d`, allocated zeroed on first touch."""
    cdef uint8_t* p = d.data[idx]
    cdef uint8_t prot
    if p != NULL:
        return p
    if m.pages_allocated >= m.page_limit:
        return NULL
    p = <uint8_t*> calloc(1, PAGE_SIZE)
    if p == NULL:
        return NULL
    m.pages_allocated += 1
    d.data[idx] = p
    prot = d.prot[idx]
    if prot & PROT_R:
        d.rd[idx] = p
    if (prot & PROT_W) and not (prot & PROT_X):
        d.wr[idx] = p
    return p


cdef int _access_slow(MemState* m, uint64_t addr, uint8_t* buf, uint32_t size,
                      uint8_t need, bint is_write) noexcept nogil:
    cdef uint32_t done = 0, chunk, off
    cdef uint64_t a, idx
    cdef PageDir* d
    cdef uint8_t* p
    while done < size:
        a = addr + done
        if (a >> ADDR_BITS) != 0:
            return MEM_FAULT
        d = m.dirs[a >> DIR_SHIFT]
        if d == NULL:
            return MEM_FAULT
        idx = (a >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
        if (d.prot[idx] & need) != need:
            return MEM_FAULT
        p = _ensure_page(m, d, idx)
        if p == NULL:
            return MEM_LIMIT
        off = a & (PAGE_SIZE - 1)
        chunk = PAGE_SIZE - off
        if chunk > size - done:
            chunk = size - done
        if is_write:
            if m.n_watch:
                _watch_store(m, a, chunk)
            memcpy(p + off, buf + done, chunk)
            if d.prot[idx] & PROT_X:
                m.code_written = 1
        else:
            memcpy(buf + done, p + off, chunk)
        done += chunk
    return MEM_OK


cdef void _watch_store(MemState* m, uint64_t a, uint32_t size) noexcept nogil:
    """A store to [a, a+size) breaks every watched reservation whose granule it touches."""
    cdef uint32_t i
    cdef uint64_t first = a >> m.watch_shift, last = (a + size - 1) >> m.watch_shift
    for i in range(m.n_watch):
        if first <= m.watch[i] <= last:
            m.watch_hit |= (<uint64_t> 1) << i


cdef int mem_read_slow(MemState* m, uint64_t addr, void* out, uint32_t size) noexcept nogil:
    return _access_slow(m, addr, <uint8_t*> out, size, PROT_R, False)


cdef int mem_write_slow(MemState* m, uint64_t addr, const void* src, uint32_t size) noexcept nogil:
    return _access_slow(m, addr, <uint8_t*> src, size, PROT_W, True)


cdef int mem_fetch_slow(MemState* m, uint64_t addr, void* out, uint32_t size) noexcept nogil:
    return _access_slow(m, addr, <uint8_t*> out, size, PROT_X, False)


class MemoryFault(Exception):
    """A host-side access (loader, syscall) touched guest memory it may not."""

    def __init__(self, addr, message):
        super().__init__(message)
        self.addr = addr


class MemoryLimitExceeded(MemoryFault):
    pass


cdef class GuestMemory:
    """A guest address space. `limit` caps the bytes of guest pages backed by the host."""

    def __cinit__(self, uint64_t limit=DEFAULT_MEM_LIMIT):
        self.state.dirs = <PageDir**> calloc(NUM_DIRS, sizeof(PageDir*))
        if self.state.dirs == NULL:
            raise MemoryError()
        self.state.page_limit = (limit + PAGE_SIZE - 1) // PAGE_SIZE
        self.state.pages_allocated = 0
        self.state.code_written = 0
        self.state.n_watch = 0
        self.state.watch_hit = 0
        self.state.watch_shift = 6

    def __dealloc__(self):
        cdef uint64_t i, j
        cdef PageDir* d
        if self.state.dirs == NULL:
            return
        for i in range(NUM_DIRS):
            d = self.state.dirs[i]
            if d != NULL:
                for j in range(PAGES_PER_DIR):
                    if d.data[j] != NULL:
                        free(d.data[j])
                free(d)
        free(self.state.dirs)
        self.state.dirs = NULL

    # -- mapping ---------------------------------------------------------------------
    @property
    def limit(self):
        return self.state.page_limit * PAGE_SIZE

    @property
    def bytes_allocated(self):
        """Host bytes backing guest pages (grows with what the guest touches)."""
        return self.state.pages_allocated * PAGE_SIZE

    cdef PageDir* _dir(self, uint64_t addr, bint create) except? NULL:
        cdef uint64_t di = addr >> DIR_SHIFT
        cdef PageDir* d = self.state.dirs[di]
        if d == NULL and create:
            d = <PageDir*> calloc(1, sizeof(PageDir))
            if d == NULL:
                raise MemoryError()
            self.state.dirs[di] = d
        return d

    def _check_range(self, uint64_t addr, uint64_t size):
        if addr & (PAGE_SIZE - 1) or size & (PAGE_SIZE - 1):
            raise ValueError(f"range {addr:#x}+{size:#x} is not page aligned")
        if addr + size > (<uint64_t>1 << ADDR_BITS) or addr + size < addr:
            raise ValueError(f"range {addr:#x}+{size:#x} is outside the guest address space")

    def map(self, uint64_t addr, uint64_t size, int prot):
        """Map [addr, addr+size) with PROT_* bits; previous contents are dropped (zero)."""
        self._check_range(addr, size)
        cdef uint64_t a
        cdef PageDir* d
        cdef uint64_t idx
        for a in range(addr, addr + size, PAGE_SIZE):
            d = self._dir(a, True)
            idx = (a >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
            self._drop(d, idx)
            d.prot[idx] = prot

    def unmap(self, uint64_t addr, uint64_t size):
        self._check_range(addr, size)
        cdef uint64_t a, idx
        cdef PageDir* d
        for a in range(addr, addr + size, PAGE_SIZE):
            d = self._dir(a, False)
            if d != NULL:
                idx = (a >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
                self._drop(d, idx)
                d.prot[idx] = 0

    def protect(self, uint64_t addr, uint64_t size, int prot):
        """Change the permissions of pages, keeping their contents. The caller knows the
        range is mapped: a page protected to 0 (PROT_NONE) keeps its data, and protecting
        it again makes that data accessible (mprotect semantics)."""
        self._check_range(addr, size)
        cdef uint64_t a, idx
        cdef PageDir* d
        cdef uint8_t* p
        for a in range(addr, addr + size, PAGE_SIZE):
            d = self._dir(a, prot != 0)
            idx = (a >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
            if d == NULL:
                continue
            # gaining or losing execute permission invalidates decoded instructions
            if (prot | d.prot[idx]) & PROT_X:
                self.state.code_written = 1
            d.prot[idx] = prot
            p = d.data[idx]
            d.rd[idx] = p if (prot & PROT_R) else NULL
            d.wr[idx] = p if ((prot & PROT_W) and not (prot & PROT_X)) else NULL

    def move(self, uint64_t src, uint64_t dst, uint64_t size):
        """Move the pages of [src, src+size) to [dst, dst+size) with their permissions and
        contents, without copying (mremap); the source becomes unmapped. The ranges must
        not overlap."""
        self._check_range(src, size)
        self._check_range(dst, size)
        if src < dst + size and dst < src + size:
            raise ValueError(f"move of {size:#x} bytes from {src:#x} to {dst:#x} overlaps")
        cdef uint64_t off, si, di
        cdef PageDir* s
        cdef PageDir* d
        cdef uint8_t* p
        cdef uint8_t prot
        for off in range(0, size, PAGE_SIZE):
            d = self._dir(dst + off, True)
            di = ((dst + off) >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
            self._drop(d, di)
            d.prot[di] = 0
            s = self._dir(src + off, False)
            if s == NULL:
                continue
            si = ((src + off) >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
            p = s.data[si]
            prot = s.prot[si]
            if prot & PROT_X:
                self.state.code_written = 1
            s.data[si] = NULL
            s.rd[si] = NULL
            s.wr[si] = NULL
            s.prot[si] = 0
            d.prot[di] = prot
            d.data[di] = p
            d.rd[di] = p if (prot & PROT_R) else NULL
            d.wr[di] = p if ((prot & PROT_W) and not (prot & PROT_X)) else NULL

    cdef void _drop(self, PageDir* d, uint64_t idx) noexcept:
        if d.data[idx] != NULL:
            if d.prot[idx] & PROT_X:
                self.state.code_written = 1
            free(d.data[idx])
            self.state.pages_allocated -= 1
        d.data[idx] = NULL
        d.rd[idx] = NULL
        d.wr[idx] = NULL

    def prot_at(self, uint64_t addr):
        """PROT_* bits of the page holding `addr` (0 when unmapped)."""
        if (addr >> ADDR_BITS) != 0:
            return 0
        cdef PageDir* d = self.state.dirs[addr >> DIR_SHIFT]
        if d == NULL:
            return 0
        return d.prot[(addr >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)]

    def is_mapped(self, uint64_t addr, uint64_t size):
        """True when every page of [addr, addr+size) is mapped."""
        cdef uint64_t a
        if size == 0:
            return True
        a = addr & ~<uint64_t>(PAGE_SIZE - 1)
        while a < addr + size:
            if self.prot_at(a) == 0:
                return False
            a += PAGE_SIZE
        return True

    # -- data ------------------------------------------------------------------------
    def read(self, uint64_t addr, uint64_t size, bint check=True):
        """Bytes at [addr, addr+size). With check, unreadable memory raises MemoryFault."""
        cdef bytearray out = bytearray(size)
        cdef uint8_t* buf = out
        cdef int rc
        if size:
            rc = _access_slow(&self.state, addr, buf, <uint32_t> size,
                              PROT_R if check else 0, False)
            self._raise(rc, addr, size, "read")
        return bytes(out)

    def write(self, uint64_t addr, const uint8_t[:] data, bint check=True):
        """Write bytes at addr. With check=False (the loader) permissions are ignored,
        but the pages must be mapped."""
        cdef uint64_t size = data.shape[0]
        cdef int rc
        if size:
            rc = _access_slow(&self.state, addr, <uint8_t*> &data[0], <uint32_t> size,
                              PROT_W if check else 0, True)
            self._raise(rc, addr, size, "write")

    def zero(self, uint64_t addr, uint64_t size):
        self.write(addr, bytes(size), check=False)

    def read_cstring(self, uint64_t addr, uint64_t limit=4096):
        """A NUL-terminated string at addr (at most `limit` bytes), as bytes."""
        chunks = []
        cdef uint64_t n = 0, step
        while n < limit:
            step = min(PAGE_SIZE - ((addr + n) & (PAGE_SIZE - 1)), limit - n)
            part = self.read(addr + n, step)
            cut = part.find(b"\0")
            if cut >= 0:
                chunks.append(part[:cut])
                return b"".join(chunks)
            chunks.append(part)
            n += step
        raise MemoryFault(addr, f"string at {addr:#x} is longer than {limit} bytes")

    def _raise(self, int rc, uint64_t addr, uint64_t size, what):
        if rc == MEM_LIMIT:
            raise MemoryLimitExceeded(addr, f"guest memory limit of {self.limit} bytes exceeded")
        if rc != MEM_OK:
            raise MemoryFault(addr, f"cannot {what} {size} bytes at {addr:#x}")

    def read_u64(self, uint64_t addr):
        return int.from_bytes(self.read(addr, 8), "little")

    def write_u64(self, uint64_t addr, uint64_t value):
        self.write(addr, value.to_bytes(8, "little"))

    def watch_reservations(self, addresses, uint32_t granule_shift=6):
        """Watch the reservation granules of `addresses` (at most 64: one per other hart)
        until take_reservation_hits(); stores to their pages take the slow path."""
        cdef uint32_t i = 0
        cdef uint64_t a, idx
        cdef PageDir* d
        if len(addresses) > 64:
            raise ValueError("at most 64 reservations can be watched (one per hart)")
        self.state.watch_shift = granule_shift
        for a in addresses:
            self.state.watch[i] = a >> granule_shift
            i += 1
            d = self.state.dirs[(a >> DIR_SHIFT) & (NUM_DIRS - 1)] if (a >> ADDR_BITS) == 0 \
                else NULL
            if d != NULL:
                d.wr[(a >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)] = NULL
        self.state.n_watch = i
        self.state.watch_hit = 0

    def take_reservation_hits(self):
        """End the watch: a bit mask (bit i: a store touched the i-th watched address);
        the pages get their fast write path back."""
        cdef uint32_t i
        cdef uint64_t a, idx
        cdef uint8_t prot
        cdef PageDir* d
        cdef uint64_t hits = self.state.watch_hit
        for i in range(self.state.n_watch):
            a = self.state.watch[i] << self.state.watch_shift
            if (a >> ADDR_BITS) != 0:
                continue
            d = self.state.dirs[a >> DIR_SHIFT]
            if d != NULL:
                idx = (a >> PAGE_SHIFT) & (PAGES_PER_DIR - 1)
                prot = d.prot[idx]
                d.wr[idx] = d.data[idx] if ((prot & PROT_W) and not (prot & PROT_X)) else NULL
        self.state.n_watch = 0
        self.state.watch_hit = 0
        return hits

    def take_code_written(self):
        """True once after any store or mapping change touched executable pages."""
        cdef uint32_t w = self.state.code_written
        self.state.code_written = 0
        return bool(w)

    # -- checkpoints -----------------------------------------------------------------
    def export_state(self):
        """The whole address space as arrays, for a checkpoint: `mapped` is (n, 2) uint64
        rows (page number, prot) of every mapped page; `pages` the page numbers that hold
        data and `data` their bytes, (m, 4096) uint8. Untouched mapped pages carry no data."""
        import numpy as np
        cdef uint64_t i, j
        cdef PageDir* d
        mapped = []
        touched = []
        for i in range(NUM_DIRS):
            d = self.state.dirs[i]
            if d == NULL:
                continue
            for j in range(PAGES_PER_DIR):
                if d.prot[j]:
                    mapped.append((i * PAGES_PER_DIR + j, d.prot[j]))
                    if d.data[j] != NULL:
                        touched.append(i * PAGES_PER_DIR + j)
        data = np.zeros((len(touched), PAGE_SIZE), dtype=np.uint8)
        cdef uint8_t[:, ::1] view = data
        cdef uint64_t k, pn
        for k in range(len(touched)):
            pn = touched[k]
            d = self.state.dirs[pn >> (DIR_SHIFT - PAGE_SHIFT)]
            memcpy(&view[k, 0], d.data[pn & (PAGES_PER_DIR - 1)], PAGE_SIZE)
        return (np.array(mapped, dtype=np.uint64).reshape(-1, 2),
                np.array(touched, dtype=np.uint64), data)

    def import_state(self, mapped, pages, data):
        """Replace the whole address space by one export_state() gave (checked shapes)."""
        cdef uint64_t i, j, pn, idx
        cdef PageDir* d
        cdef uint8_t* p
        for i in range(NUM_DIRS):
            d = self.state.dirs[i]
            if d != NULL:
                for j in range(PAGES_PER_DIR):
                    self._drop(d, j)
                    d.prot[j] = 0
        self.state.code_written = 1
        limit = 1 << (ADDR_BITS - PAGE_SHIFT)
        for pn, prot in mapped.tolist():
            if pn >= limit or prot == 0 or prot > 7:
                raise ValueError(f"page {pn:#x} with prot {prot} is not a valid mapping")
            d = self._dir(pn << PAGE_SHIFT, True)
            d.prot[pn & (PAGES_PER_DIR - 1)] = prot
        if len(pages) > self.state.page_limit:
            raise MemoryLimitExceeded(0, f"{len(pages)} pages exceed the memory limit")
        cdef const uint8_t[:, ::1] view = data
        for k, pn in enumerate(pages.tolist()):
            d = self._dir(pn << PAGE_SHIFT, False) if pn < limit else NULL
            idx = pn & (PAGES_PER_DIR - 1)
            if d == NULL or d.prot[idx] == 0:
                raise ValueError(f"page {pn:#x} holds data but is not mapped")
            p = _ensure_page(&self.state, d, idx)
            if p == NULL:
                raise MemoryError()
            memcpy(p, &view[k, 0], PAGE_SIZE)
