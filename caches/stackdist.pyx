"""LRU stack distances (Mattson et al., "Evaluation techniques for storage hierarchies",
IBM Systems Journal 9(2), 1970), exact, in O(N log N).

The stack distance of an access is the number of distinct lines referenced since the
previous access to the same line (-1 for the first access: a cold miss). An LRU cache of C
lines (fully associative) hits exactly the accesses with distance < C, for every C at
once: that inclusion property is what makes one pass give the whole miss-ratio curve.

How: walk the accesses in order keeping, in a Fenwick (binary indexed) tree over positions,
a mark at the most recent position of every line. At access i to a line last seen at j,
the distinct lines in between are the marks in (j, i); then the mark moves from j to i.

Set-associative caches: lines of different sets never share LRU state, so the distances
within each set are the same computation over that set's accesses in their original order
(stack_distances_by_set sorts stably by set and runs the walk once over the result).
"""
import numpy as np

from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport calloc, free


def _distances_of_ids(const int64_t[::1] ids, Py_ssize_t n_ids):
    """Stack distance of each access to the compact line ids 0..n_ids-1."""
    cdef Py_ssize_t n = ids.shape[0], i, j, x
    out_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    cdef int64_t* last = <int64_t*> calloc(n_ids if n_ids > 0 else 1, sizeof(int64_t))
    cdef int64_t* tree = <int64_t*> calloc(n + 1, sizeof(int64_t))
    cdef int64_t s
    cdef int64_t prev
    if last == NULL or tree == NULL:
        free(last)
        free(tree)
        raise MemoryError("not enough host memory for the stack-distance tree")
    try:
        with nogil:
            for i in range(n):
                prev = last[ids[i]] - 1          # 1-based positions; 0 = never seen
                if prev < 0:
                    out[i] = -1
                else:
                    # marks in (prev, i) = prefix(i - 1) - prefix(prev), positions 0-based
                    s = 0
                    x = i                         # prefix over positions [0, i)
                    while x > 0:
                        s += tree[x]
                        x -= x & (-x)
                    x = prev + 1                  # minus prefix over [0, prev]
                    while x > 0:
                        s -= tree[x]
                        x -= x & (-x)
                    out[i] = s
                    x = prev + 1                  # unmark prev
                    while x <= n:
                        tree[x] -= 1
                        x += x & (-x)
                x = i + 1                         # mark i
                while x <= n:
                    tree[x] += 1
                    x += x & (-x)
                last[ids[i]] = i + 1
    finally:
        free(last)
        free(tree)
    return out_arr


def stack_distances(lines):
    """Exact LRU stack distance of each access to the line numbers `lines` (uint64),
    fully associative: int64 array, -1 where the line is referenced for the first time."""
    lines = np.ascontiguousarray(lines, dtype=np.uint64)
    if lines.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    uniq, ids = np.unique(lines, return_inverse=True)
    return _distances_of_ids(np.ascontiguousarray(ids, dtype=np.int64), uniq.shape[0])


def stack_distances_by_set(lines, uint64_t num_sets):
    """Stack distance of each access within its own set (set = line mod num_sets, a power
    of two as in the cache model): an LRU cache with num_sets sets of A ways hits exactly
    the accesses whose distance is in [0, A)."""
    lines = np.ascontiguousarray(lines, dtype=np.uint64)
    if num_sets <= 1 or lines.shape[0] == 0:
        return stack_distances(lines)
    order = np.argsort(lines & np.uint64(num_sets - 1), kind="stable")
    d = stack_distances(lines[order])
    out = np.empty_like(d)
    out[order] = d
    return out
