"""The guest's address-space layout: which ranges are in use (image, heap, mmaps, stack),
the program break, and the mmap family. GuestMemory holds pages and permissions; this
module decides where things go, like the kernel's VMA list.

Layout (Sv39, 2**38 bytes, randomization off):
    image at its link address (or PIE_BASE) | heap (brk) growing up | ... free ... |
    mmaps placed top-down below MMAP_TOP | gap | 8 MiB stack ending at STACK_TOP
"""
from __future__ import annotations

import bisect

from cyclesim.process.fs import EEXIST, EFAULT, EINVAL, ENOMEM, GuestErrno

PAGE = 4096
HUGE_PAGE = 2 << 20                       # a 2 MiB superpage (transparent huge pages)
ADDRESS_SPACE = 1 << 38
STACK_TOP = ADDRESS_SPACE - PAGE          # last page left unmapped as a guard
STACK_SIZE = 8 << 20
MMAP_TOP = STACK_TOP - STACK_SIZE - (128 << 20)   # Linux keeps >= 128 MiB below the stack
MMAP_MIN = 0x10000                        # vm.mmap_min_addr

MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x1, 0x2, 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4


def page_up(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


class AddressSpace:
    """Disjoint [start, end) ranges in use, kept sorted and merged, plus the break."""

    def __init__(self, memory, image_start: int, image_end: int):
        self.memory = memory
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.brk_start = self.brk = image_end
        self.heap_end = image_end             # first page after the heap mapping
        # Called with (start, end) of anonymous private memory as it is mapped (heap, mmap):
        # the timing model's transparent huge pages (docs/tlb.md); None = nobody listens.
        self.on_anonymous_map = None
        self.reserve(image_start, image_end)

    # -- the set of used ranges ------------------------------------------------------
    def reserve(self, start: int, end: int) -> None:
        if start >= end:
            return
        i = bisect.bisect_left(self.ends, start)      # first range that may touch
        j = bisect.bisect_right(self.starts, end)     # ranges from j on start beyond end
        if i < j:
            start = min(start, self.starts[i])
            end = max(end, self.ends[j - 1])
        self.starts[i:j] = [start]
        self.ends[i:j] = [end]

    def release(self, start: int, end: int) -> None:
        if start >= end:
            return
        i = bisect.bisect_right(self.ends, start)
        j = bisect.bisect_left(self.starts, end)
        keep_s, keep_e = [], []
        for k in range(i, j):
            if self.starts[k] < start:
                keep_s.append(self.starts[k])
                keep_e.append(start)
            if self.ends[k] > end:
                keep_s.append(end)
                keep_e.append(self.ends[k])
        self.starts[i:j] = keep_s
        self.ends[i:j] = keep_e

    def is_free(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.ends, start)
        return i >= len(self.starts) or self.starts[i] >= end

    def is_used(self, start: int, end: int) -> bool:
        """True when all of [start, end) is in use."""
        i = bisect.bisect_right(self.ends, start)
        return i < len(self.starts) and self.starts[i] <= start and self.ends[i] >= end

    def find_free(self, size: int, top: int = MMAP_TOP) -> int | None:
        """Highest page-aligned free range of `size` bytes ending at or below `top`,
        above the heap (top-down, as Linux places mmaps)."""
        floor = max(self.heap_end, MMAP_MIN)
        hi = top
        i = bisect.bisect_left(self.starts, hi)   # ranges starting below hi: [0, i)
        while True:
            if i > 0 and self.ends[i - 1] > hi - size:
                # the range below overlaps the candidate: move under it
                hi = min(hi, self.starts[i - 1])
                i -= 1
                continue
            start = hi - size
            return start if start >= floor else None

    # -- brk -------------------------------------------------------------------------
    def set_brk(self, new: int) -> int:
        """brk(2): move the break if possible; always return the (new or old) break."""
        if new < self.brk_start or new >= ADDRESS_SPACE:
            return self.brk
        new_end = page_up(new)
        if new_end > self.heap_end:
            if new_end - self.heap_end > self.memory.limit:
                return self.brk
            if not self.is_free(self.heap_end, new_end):
                return self.brk
            self.memory.map(self.heap_end, new_end - self.heap_end, 3)
            self.reserve(self.heap_end, new_end)
            if self.on_anonymous_map is not None:
                self.on_anonymous_map(self.brk_start, new_end)
        elif new_end < self.heap_end:
            self.memory.unmap(new_end, self.heap_end - new_end)
            self.release(new_end, self.heap_end)
        self.heap_end = new_end
        self.brk = new
        return new

    # -- mmap family -----------------------------------------------------------------
    def mmap(self, addr: int, length: int, prot: int, flags: int) -> int:
        """Place a zero-filled mapping; returns its address (contents are the caller's)."""
        if length == 0 or addr & (PAGE - 1) and flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            raise GuestErrno(EINVAL)
        if not flags & (MAP_SHARED | MAP_PRIVATE):
            raise GuestErrno(EINVAL)
        size = page_up(length)
        if size > self.memory.limit or size >= ADDRESS_SPACE:
            raise GuestErrno(ENOMEM)
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            if addr + size > ADDRESS_SPACE or addr < MMAP_MIN:
                raise GuestErrno(ENOMEM if addr + size > ADDRESS_SPACE else EINVAL)
            if flags & MAP_FIXED_NOREPLACE and not self.is_free(addr, addr + size):
                raise GuestErrno(EEXIST)
            start = addr
        else:
            start = None
            hint = addr & ~(PAGE - 1)
            if hint >= MMAP_MIN and hint + size <= ADDRESS_SPACE and \
                    self.is_free(hint, hint + size):
                start = hint
            huge = HUGE_PAGE if (self.on_anonymous_map is not None and size >= HUGE_PAGE
                                 and flags & MAP_ANONYMOUS) else 0
            if start is None and huge:
                # as Linux aligns THP-eligible anonymous mappings to 2 MiB (since 6.7)
                start = self.find_free(size + huge)
                if start is not None:
                    start = (start + huge - 1) & ~(huge - 1)
            if start is None:
                start = self.find_free(size)
            if start is None:
                raise GuestErrno(ENOMEM)
        self.memory.map(start, size, prot & 7)
        self.reserve(start, start + size)
        if self.on_anonymous_map is not None and flags & MAP_ANONYMOUS \
                and flags & MAP_PRIVATE:
            self.on_anonymous_map(start, start + size)
        return start

    def munmap(self, addr: int, length: int) -> None:
        if addr & (PAGE - 1) or length == 0 or addr + length > ADDRESS_SPACE:
            raise GuestErrno(EINVAL)
        size = page_up(length)
        self.memory.unmap(addr, size)
        self.release(addr, addr + size)     # the break stays put even if this hit the heap

    def mprotect(self, addr: int, length: int, prot: int) -> None:
        if addr & (PAGE - 1):
            raise GuestErrno(EINVAL)
        size = page_up(length)
        if size == 0:
            return
        if not self.is_used(addr, addr + size):
            raise GuestErrno(ENOMEM)
        self.memory.protect(addr, size, prot & 7)

    def mremap(self, old: int, old_len: int, new_len: int, flags: int, new_addr: int) -> int:
        if old & (PAGE - 1) or new_len == 0 or flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED):
            raise GuestErrno(EINVAL)
        if flags & MREMAP_FIXED and not flags & MREMAP_MAYMOVE:
            raise GuestErrno(EINVAL)
        old_size, new_size = page_up(old_len), page_up(new_len)
        if old_size == 0 or not self.is_used(old, old + old_size):
            raise GuestErrno(EFAULT)        # what Linux says for an unmapped old range
        if new_size > self.memory.limit:
            raise GuestErrno(ENOMEM)
        prot = self.memory.prot_at(old)
        if flags & MREMAP_FIXED:
            if new_addr & (PAGE - 1) or new_addr + new_size > ADDRESS_SPACE or (
                    new_addr < old + old_size and old < new_addr + new_size):
                raise GuestErrno(EINVAL)
            self.munmap(new_addr, new_size)
            return self._move(old, old_size, new_addr, new_size, prot)
        if new_size <= old_size:
            if new_size < old_size:
                self.munmap(old + new_size, old_size - new_size)
            return old
        if self.is_free(old + old_size, old + new_size) and old + new_size <= ADDRESS_SPACE:
            self.memory.map(old + old_size, new_size - old_size, prot)
            self.reserve(old + old_size, old + new_size)
            return old
        if not flags & MREMAP_MAYMOVE:
            raise GuestErrno(ENOMEM)
        start = self.find_free(new_size)
        if start is None:
            raise GuestErrno(ENOMEM)
        return self._move(old, old_size, start, new_size, prot)

    def _move(self, old, old_size, start, new_size, prot) -> int:
        keep = min(old_size, new_size)
        self.memory.move(old, start, keep)
        if new_size > keep:
            self.memory.map(start + keep, new_size - keep, prot)
        self.reserve(start, start + new_size)
        self.munmap(old, old_size)
        return start

