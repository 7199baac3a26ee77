"""Branch predictors of the in-order core.

Direction predictors are plug-ins picked by name (`pipeline.predictors.PREDICTORS`,
`make_predictor`); the classes of the counter-table ones live here. All of
them keep 2-bit saturating counters that start at 1 (weakly not taken) and predict taken
at 2 or 3. Tables are indexed by pc >> 1 (instructions are 2-byte aligned with RVC).
"""
import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t

from cyclesim.errors import ConfigError


cdef inline uint8_t _train(uint8_t c, bint taken) noexcept nogil:
    if taken:
        return c + 1 if c < 3 else 3
    return c - 1 if c > 0 else 0


def _power_of_two(name, value):
    if value < 1 or (value & (value - 1)) != 0:
        raise ConfigError(f"{name} = {value!r} must be a power of two (for example 4096).")
    return value


cdef class DirectionPredictor:
    """Interface of a conditional-branch direction predictor."""

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        return False

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        pass

    # Python access for tests and notebooks (not used by the core).
    def predict_taken(self, pc, target=0):
        """Prediction for the branch at `pc` (True = taken)."""
        return bool(self.predict(pc, target))

    def train(self, pc, taken, target=0):
        """Learn the outcome of the branch at `pc`."""
        self.update(pc, taken, target)


cdef class IndirectPredictor:
    """Interface of an indirect-jump target predictor (plug-ins: INDIRECT_PREDICTORS)."""

    cdef bint predict(self, uint64_t pc, uint64_t* target) noexcept nogil:
        return False

    cdef void update(self, uint64_t pc, uint64_t target) noexcept nogil:
        pass

    cdef void branch(self, bint taken) noexcept nogil:
        pass

    # Python access for tests and notebooks (not used by the core).
    def predict_target(self, pc):
        """Predicted target of the indirect jump at `pc`, or None (no prediction)."""
        cdef uint64_t t = 0
        return t if self.predict(pc, &t) else None

    def train(self, pc, target):
        """Learn that the indirect jump at `pc` went to `target`."""
        self.update(pc, target)

    def train_branch(self, taken):
        """A conditional branch resolved with outcome `taken` (global history)."""
        self.branch(taken)


cdef class StaticNotTaken(DirectionPredictor):
    """Always predicts not taken."""


cdef class BackwardTaken(DirectionPredictor):
    """Backward taken, forward not taken (loops): compares the target with the pc."""

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        return target < pc


cdef class Bimodal(DirectionPredictor):
    """One 2-bit counter per pc (table_entries counters)."""

    def __init__(self, table_entries=4096, **unused):
        _power_of_two("bpred.table_entries", table_entries)
        self._owner = np.ones(table_entries, np.uint8)
        cdef uint8_t[::1] view = self._owner
        self.counters = &view[0]
        self.mask = table_entries - 1

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        return self.counters[(pc >> 1) & self.mask] >= 2

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        cdef uint64_t i = (pc >> 1) & self.mask
        self.counters[i] = _train(self.counters[i], taken)


cdef class GShare(DirectionPredictor):
    """2-bit counters indexed by (pc >> 1) XOR the last history_bits outcomes."""

    def __init__(self, table_entries=4096, history_bits=12, **unused):
        _power_of_two("bpred.table_entries", table_entries)
        if not 0 <= history_bits <= 63:
            raise ConfigError(f"bpred.history_bits = {history_bits!r} must be between 0 and 63.")
        self._owner = np.ones(table_entries, np.uint8)
        cdef uint8_t[::1] view = self._owner
        self.counters = &view[0]
        self.mask = table_entries - 1
        self.history = 0
        self.history_mask = (<uint64_t> 1 << history_bits) - 1

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        return self.counters[((pc >> 1) ^ (self.history & self.history_mask)) & self.mask] >= 2

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        cdef uint64_t i = ((pc >> 1) ^ (self.history & self.history_mask)) & self.mask
        self.counters[i] = _train(self.counters[i], taken)
        self.history = ((self.history << 1) | taken) & self.history_mask


cdef class Tournament(DirectionPredictor):
    """Bimodal and gshare components and a per-pc chooser (starts at 1: trust bimodal).

    The chooser moves toward the component that was right, only when they disagree.
    """

    def __init__(self, table_entries=4096, history_bits=12, chooser_entries=4096, **unused):
        _power_of_two("bpred.table_entries", table_entries)
        _power_of_two("bpred.chooser_entries", chooser_entries)
        if not 0 <= history_bits <= 63:
            raise ConfigError(f"bpred.history_bits = {history_bits!r} must be between 0 and 63.")
        self._owner = np.ones(2 * table_entries + chooser_entries, np.uint8)
        cdef uint8_t[::1] view = self._owner
        self.local = &view[0]
        self.glob = &view[table_entries]
        self.chooser = &view[2 * table_entries]
        self.mask = table_entries - 1
        self.chooser_mask = chooser_entries - 1
        self.history = 0
        self.history_mask = (<uint64_t> 1 << history_bits) - 1

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        cdef uint64_t p = pc >> 1
        if self.chooser[p & self.chooser_mask] >= 2:
            return self.glob[(p ^ (self.history & self.history_mask)) & self.mask] >= 2
        return self.local[p & self.mask] >= 2

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        cdef uint64_t p = pc >> 1
        cdef uint64_t li = p & self.mask
        cdef uint64_t gi = (p ^ (self.history & self.history_mask)) & self.mask
        cdef uint64_t ci = p & self.chooser_mask
        cdef bint lp = self.local[li] >= 2
        cdef bint gp = self.glob[gi] >= 2
        if lp != gp:
            self.chooser[ci] = _train(self.chooser[ci], gp == taken)
        self.local[li] = _train(self.local[li], taken)
        self.glob[gi] = _train(self.glob[gi], taken)
        self.history = ((self.history << 1) | taken) & self.history_mask


def make_predictor(kind, params=None, table_entries=4096, history_bits=12,
                   chooser_entries=4096):
    """The direction predictor registered under `kind` in pipeline.predictors.PREDICTORS
    (the only list of names), built with its own `params` (defaults when None) and the
    shared counter-table geometry."""
    from pipeline.predictors import PREDICTORS
    PREDICTORS.get(kind, "bpred.kind")
    return PREDICTORS.make(kind, params, table_entries=table_entries,
                           history_bits=history_bits, chooser_entries=chooser_entries)


def make_indirect_predictor(kind, params=None):
    """The indirect-target predictor registered under `kind` in
    pipeline.predictors.INDIRECT_PREDICTORS, or None for "btb" (the core's BTB lookup)."""
    from pipeline.predictors import INDIRECT_PREDICTORS
    INDIRECT_PREDICTORS.get(kind, "bpred.indirect")
    return INDIRECT_PREDICTORS.make(kind, params)


cdef class BTB:
    """Branch target buffer: `entries` targets in sets of `assoc` ways, LRU replacement.

    entries = 0 gives a BTB that always misses.
    """

    def __init__(self, entries=512, assoc=4):
        if entries == 0:
            self.sets = 0
            self.assoc = 0
            self._owner = np.zeros(3, np.uint64)
        else:
            _power_of_two("bpred.btb_entries", entries)
            _power_of_two("bpred.btb_assoc", assoc)
            if assoc > entries:
                raise ConfigError(f"bpred.btb_assoc = {assoc!r} must not exceed "
                                  f"bpred.btb_entries = {entries!r}.")
            self.sets = entries // assoc
            self.assoc = assoc
            self._owner = np.zeros(3 * entries, np.uint64)
        cdef uint64_t[::1] view = self._owner
        n = max(entries, 1)
        self.tags = &view[0]
        self.targets = &view[n] if entries else &view[1]
        self.stamps = &view[2 * n] if entries else &view[2]
        self.clock = 0

    cdef bint lookup(self, uint64_t pc, uint64_t* target) noexcept nogil:
        if self.sets == 0:
            return False
        cdef uint64_t tag = (pc >> 1) + 1
        cdef uint64_t base = ((pc >> 1) & (self.sets - 1)) * self.assoc
        cdef uint32_t w
        for w in range(self.assoc):
            if self.tags[base + w] == tag:
                self.clock += 1
                self.stamps[base + w] = self.clock
                target[0] = self.targets[base + w]
                return True
        return False

    cdef void insert(self, uint64_t pc, uint64_t target) noexcept nogil:
        if self.sets == 0:
            return
        cdef uint64_t tag = (pc >> 1) + 1
        cdef uint64_t base = ((pc >> 1) & (self.sets - 1)) * self.assoc
        cdef uint32_t w
        cdef uint64_t victim = base
        for w in range(self.assoc):
            if self.tags[base + w] == tag:
                victim = base + w
                break
            if self.stamps[base + w] < self.stamps[victim]:
                victim = base + w
        self.clock += 1
        self.tags[victim] = tag
        self.targets[victim] = target
        self.stamps[victim] = self.clock

    def py_lookup(self, pc):
        """Target predicted for `pc`, or None on a miss (for tests)."""
        cdef uint64_t t = 0
        return t if self.lookup(pc, &t) else None

    def py_insert(self, pc, target):
        self.insert(pc, target)


cdef class RAS:
    """Return address stack of `depth` entries; a push when full overwrites the oldest."""

    def __init__(self, depth=8):
        if depth < 0:
            raise ConfigError(f"bpred.ras_depth = {depth!r} must be 0 (no stack) or more.")
        self._owner = np.zeros(max(depth, 1), np.uint64)
        cdef uint64_t[::1] view = self._owner
        self.stack = &view[0]
        self.depth = depth
        self.top = 0
        self.count = 0

    cdef void push(self, uint64_t addr) noexcept nogil:
        if self.depth == 0:
            return
        self.top = (self.top + 1) % self.depth
        self.stack[self.top] = addr
        if self.count < self.depth:
            self.count += 1

    cdef bint pop(self, uint64_t* addr) noexcept nogil:
        if self.count == 0:
            return False
        addr[0] = self.stack[self.top]
        self.top = (self.top + self.depth - 1) % self.depth
        self.count -= 1
        return True

    def py_push(self, addr):
        self.push(addr)

    def py_pop(self):
        """Popped address, or None when empty (for tests)."""
        cdef uint64_t a = 0
        return a if self.pop(&a) else None
