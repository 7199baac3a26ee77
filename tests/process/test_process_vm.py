"""AddressSpace range bookkeeping against an obvious model (a set of page numbers), with
random reserve/release sequences, and the top-down placement rule."""
import random

from cyclesim.process.memory import GuestMemory

from cyclesim.process.vm import MMAP_TOP, PAGE, AddressSpace


def pages(a, b):
    return set(range(a // PAGE, b // PAGE))


def test_reserve_release_match_a_page_set():
    rng = random.Random(5)
    for _ in range(30):
        vm = AddressSpace(GuestMemory(1 << 24), 0x10000, 0x20000)
        model = pages(0x10000, 0x20000)
        for _ in range(200):
            a = rng.randrange(0, 64) * PAGE
            b = a + rng.randrange(1, 16) * PAGE
            if rng.random() < 0.55:
                vm.reserve(a, b)
                model |= pages(a, b)
            else:
                vm.release(a, b)
                model -= pages(a, b)
            # ranges stay sorted, disjoint, non-empty and merged
            assert all(s < e for s, e in zip(vm.starts, vm.ends))
            assert all(e < s for e, s in zip(vm.ends, vm.starts[1:]))
            assert set().union(*(pages(s, e) for s, e in zip(vm.starts, vm.ends))) == model
            x = rng.randrange(0, 70) * PAGE
            y = x + rng.randrange(1, 8) * PAGE
            assert vm.is_free(x, y) == (not pages(x, y) & model)
            assert vm.is_used(x, y) == (pages(x, y) <= model)


def test_mmaps_go_top_down_and_fill_holes():
    vm = AddressSpace(GuestMemory(1 << 30), 0x10000, 0x20000)
    a = vm.mmap(0, 3 * PAGE, 3, 0x22)
    b = vm.mmap(0, PAGE, 3, 0x22)
    assert a == MMAP_TOP - 3 * PAGE and b == a - PAGE
    vm.munmap(a, PAGE)                      # a one-page hole just above b
    c = vm.mmap(0, PAGE, 3, 0x22)
    assert c == a
    d = vm.mmap(0, 2 * PAGE, 3, 0x22)       # does not fit the hole: goes below b
    assert d == b - 2 * PAGE
