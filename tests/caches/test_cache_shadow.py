"""The miss-classification structures against Python's set and OrderedDict, on enough
lines to force table growth, long probe chains and many deletions."""
from collections import OrderedDict

import numpy as np
from caches.shadow import FullyAssocLRU, LineSet


def test_line_set_matches_python_set():
    rng = np.random.default_rng(4)
    # clustered lines (whole 64-line groups), scattered lines and huge addresses
    lines = np.concatenate([rng.integers(0, 1 << 14, 40000),
                            rng.integers(0, 1 << 58, 20000),
                            np.arange(1 << 20, (1 << 20) + 5000)]).astype(np.uint64)
    rng.shuffle(lines)
    s, ref = LineSet(), set()
    for x in lines.tolist():
        assert s.add_py(x) == (x not in ref)
        ref.add(x)
    assert len(s) == len(ref)


def test_fully_associative_lru_matches_ordered_dict():
    rng = np.random.default_rng(8)
    for capacity in (1, 3, 64, 500):
        fa, ref = FullyAssocLRU(capacity), OrderedDict()
        # mostly a region ~1.5x the capacity (hits, misses, evictions), some far lines
        near = rng.integers(0, capacity * 3 // 2 + 2, 20000)
        far = rng.integers(0, 1 << 40, 20000)
        stream = np.where(rng.random(20000) < 0.8, near, far).tolist()
        allocate = (rng.random(20000) < 0.9).tolist()
        for x, alloc in zip(stream, allocate):
            hit = x in ref
            if hit:
                ref.move_to_end(x)
            elif alloc:
                if len(ref) == capacity:
                    ref.popitem(last=False)
                ref[x] = True
            assert fa.access_py(x, alloc) == hit
        assert len(fa) == len(ref)
