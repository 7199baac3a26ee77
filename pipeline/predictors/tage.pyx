# cython: boundscheck=False, wraparound=False, cdivision=True
"""TAGE: a bimodal base predictor and N partially tagged tables indexed with geometric
global-history lengths (Seznec & Michaud, JILP 2006).

Per branch: the provider is the matching table with the longest history, the alternate
prediction the next matching one (or the base). A weak provider entry defers to the
alternate while the use_alt_on_na counter says newly allocated entries are unreliable.
On a misprediction an entry is allocated in the first longer table whose useful bits are 0
(if none, those tables' useful bits are decremented). Useful bits move when provider and
alternate disagree; every `reset_period` branches their high, then their low bit is
cleared (graceful aging). Folded histories keep the index and tag hashes O(1) per branch.
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport int8_t, uint8_t, uint16_t, uint32_t, uint64_t

from cyclesim.params import Params, param
from pipeline.bpred cimport DirectionPredictor
from pipeline.predictors import PREDICTORS



@dataclass(repr=False)
class TageParams(Params):
    num_tables: int = param(7, unit="tables", help="Tagged tables (1 to 16).",
                            min=1, max=MAX_TABLES)
    min_history: int = param(5, unit="branches", help="History length of the first tagged table.",
                             min=1, max=1024)
    max_history: int = param(130, unit="branches",
                             help="History length of the last tagged table (at most 1024).",
                             min=1, max=1024)
    log_table_entries: int = param(10, unit="log2 entries",
                                   help="log2 of the entries of each tagged table (4 to 20).",
                                   min=4, max=20)
    tag_bits: int = param(9, unit="bits", help="Partial tag width (2 to 16).", min=2, max=16)
    log_base_entries: int = param(12, unit="log2 entries",
                                  help="log2 of the 2-bit counters of the bimodal base (4 to 24).",
                                  min=4, max=24)
    reset_period: int = param(262144, unit="branches",
                              help="Branches between two agings of the useful bits.",
                              min=1, max=1 << 40)

    def validate(self, path):
        self.check_fields(path)
        for name, lo, hi in (("num_tables", 1, MAX_TABLES), ("min_history", 1, 1024),
                             ("max_history", 1, 1024), ("log_table_entries", 4, 20),
                             ("tag_bits", 2, 16), ("log_base_entries", 4, 24),
                             ("reset_period", 1, 1 << 40)):
            if not lo <= getattr(self, name) <= hi:
                raise self.fail(path, name, f"must be between {lo} and {hi}")
        if self.num_tables > 1 and self.max_history <= self.min_history:
            raise self.fail(path, "max_history",
                            f"must be greater than min_history ({self.min_history})")


def history_lengths(num_tables, min_history, max_history):
    """Geometric series L(i) = min * (max/min)^(i/(N-1)), rounded (the paper's eq. 1)."""
    if num_tables == 1:
        return [min_history]
    r = (max_history / min_history) ** (1.0 / (num_tables - 1))
    return [int(min_history * r ** i + 0.5) for i in range(num_tables)]


cdef inline int _sat3(int c, bint up) noexcept nogil:
    # 3-bit signed counter, -4..3; taken when >= 0
    if up:
        return c + 1 if c < 3 else 3
    return c - 1 if c > -4 else -4


cdef inline void _fold_push(Fold* f, uint32_t newbit, uint32_t oldbit) noexcept nogil:
    f.comp = (f.comp << 1) | newbit
    f.comp ^= oldbit << (f.length % f.width)
    f.comp ^= f.comp >> f.width
    f.comp &= (1u << f.width) - 1


cdef class TAGE(DirectionPredictor):
    def __init__(self, params=None):
        p = params if params is not None else TageParams()
        p.validate("bpred.kind_params")
        self.n = p.num_tables
        self.log_entries = p.log_table_entries
        self.tag_bits = p.tag_bits
        entries = 1 << p.log_table_entries
        self.entry_mask = entries - 1
        self.tag_mask = (1 << p.tag_bits) - 1
        self.base_mask = (1 << p.log_base_entries) - 1
        hb = 1
        while hb <= p.max_history + 1:
            hb <<= 1
        self.hist_mask = hb - 1
        self.reset_period = p.reset_period
        cdef int i
        for i, L in enumerate(history_lengths(p.num_tables, p.min_history, p.max_history)):
            self.lengths[i] = L
            self.fidx[i] = Fold(0, L, p.log_table_entries)
            self.ftag0[i] = Fold(0, L, p.tag_bits)
            self.ftag1[i] = Fold(0, L, p.tag_bits - 1)
        ctr = np.full(self.n * entries, -1, np.int8)   # empty entries: weakly not taken
        tag = np.zeros(self.n * entries, np.uint16)
        useful = np.zeros(self.n * entries, np.uint8)
        base = np.ones(1 << p.log_base_entries, np.uint8)
        hist = np.zeros(hb, np.uint8)
        self._owners = (ctr, tag, useful, base, hist)
        cdef int8_t[::1] vc = ctr
        cdef uint16_t[::1] vt = tag
        cdef uint8_t[::1] vu = useful, vb = base, vh = hist
        self.ctr, self.tag, self.useful, self.base, self.hist = &vc[0], &vt[0], &vu[0], &vb[0], &vh[0]
        self.ptr = 0
        self.tick = 0
        self.use_alt_on_na = 0
        self.age_high = True
        self.last_valid = False

    cdef inline uint64_t _index(self, int i, uint64_t p) noexcept nogil:
        return (i << self.log_entries) + ((p ^ (p >> self.log_entries) ^ self.fidx[i].comp)
                                          & self.entry_mask)

    cdef inline uint16_t _tag(self, int i, uint64_t p) noexcept nogil:
        return <uint16_t> ((p ^ self.ftag0[i].comp ^ (self.ftag1[i].comp << 1)) & self.tag_mask)

    cdef void _lookup(self, uint64_t pc, uint64_t* idx, int* provider, int* alt,
                      bint* pred, bint* altpred) noexcept nogil:
        cdef uint64_t p = pc >> 1
        cdef int i
        provider[0] = -1
        alt[0] = -1
        for i in range(self.n):
            idx[i] = self._index(i, p)
        for i in range(self.n - 1, -1, -1):
            if self.tag[idx[i]] == self._tag(i, p):
                if provider[0] < 0:
                    provider[0] = i
                else:
                    alt[0] = i
                    break
        altpred[0] = (self.ctr[idx[alt[0]]] >= 0 if alt[0] >= 0
                      else self.base[p & self.base_mask] >= 2)
        if provider[0] < 0:
            pred[0] = altpred[0]
            return
        cdef int c = self.ctr[idx[provider[0]]]
        if (c == 0 or c == -1) and self.use_alt_on_na >= 0:
            pred[0] = altpred[0]
        else:
            pred[0] = c >= 0

    cdef bint high_confidence(self) noexcept nogil:
        """After predict(): the counter that gave the prediction is saturated (3 or -4
        for a tagged entry, 0 or 3 for the base)."""
        cdef int c
        if self.last_provider >= 0:
            c = self.ctr[self.last_idx[self.last_provider]]
            if not ((c == 0 or c == -1) and self.use_alt_on_na >= 0):
                return c == 3 or c == -4
            if self.last_alt >= 0:                 # the weak provider deferred
                c = self.ctr[self.last_idx[self.last_alt]]
                return c == 3 or c == -4
        c = self.base[(self.last_pc >> 1) & self.base_mask]
        return c == 0 or c == 3

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        self._lookup(pc, self.last_idx, &self.last_provider, &self.last_alt,
                     &self.last_pred, &self.last_altpred)
        self.last_pc = pc
        self.last_valid = True
        return self.last_pred

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        cdef uint64_t idx[MAX_TABLES]
        cdef int provider, alt, i, c
        cdef bint pred, altpred, found
        cdef bint ppred = False
        cdef uint64_t p = pc >> 1, b, e
        if self.last_valid and self.last_pc == pc:
            for i in range(self.n):
                idx[i] = self.last_idx[i]
            provider, alt = self.last_provider, self.last_alt
            pred, altpred = self.last_pred, self.last_altpred
        else:
            self._lookup(pc, idx, &provider, &alt, &pred, &altpred)
        self.last_valid = False     # the tables and history change below
        if provider >= 0:
            c = self.ctr[idx[provider]]
            ppred = c >= 0
            if (c == 0 or c == -1) and ppred != altpred:
                if altpred == taken:
                    self.use_alt_on_na = self.use_alt_on_na + 1 if self.use_alt_on_na < 7 else 7
                else:
                    self.use_alt_on_na = self.use_alt_on_na - 1 if self.use_alt_on_na > -8 else -8
        # allocate on a misprediction, in the first longer table with a free (u = 0) entry
        if pred != taken and provider < self.n - 1:
            found = False
            for i in range(provider + 1, self.n):
                if self.useful[idx[i]] == 0:
                    self.tag[idx[i]] = self._tag(i, p)
                    self.ctr[idx[i]] = 0 if taken else -1
                    found = True
                    break
            if not found:
                for i in range(provider + 1, self.n):
                    self.useful[idx[i]] -= 1
        if provider >= 0:
            e = idx[provider]
            if ppred != altpred:
                if ppred == taken:
                    self.useful[e] = self.useful[e] + 1 if self.useful[e] < 3 else 3
                elif self.useful[e] > 0:
                    self.useful[e] -= 1
            self.ctr[e] = _sat3(self.ctr[e], taken)
        else:
            b = p & self.base_mask
            if taken:
                self.base[b] = self.base[b] + 1 if self.base[b] < 3 else 3
            elif self.base[b] > 0:
                self.base[b] -= 1
        # graceful aging of the useful bits
        self.tick += 1
        if self.tick % self.reset_period == 0:
            for e in range(<uint64_t> self.n << self.log_entries):
                self.useful[e] &= 1 if self.age_high else 2
            self.age_high = not self.age_high
        # global history and the folded copies
        self.ptr += 1
        self.hist[self.ptr & self.hist_mask] = taken
        for i in range(self.n):
            b = self.hist[(self.ptr - self.lengths[i]) & self.hist_mask]
            _fold_push(&self.fidx[i], taken, <uint32_t> b)
            _fold_push(&self.ftag0[i], taken, <uint32_t> b)
            _fold_push(&self.ftag1[i], taken, <uint32_t> b)


PREDICTORS.register("tage", TageParams,
                    help="Bimodal base and tagged tables of geometric history lengths.",
                    source="Seznec & Michaud, 'A case for (partially) TAgged GEometric "
                           "history length branch predictors', JILP 8, 2006")(
    lambda params, **geometry: TAGE(params))
