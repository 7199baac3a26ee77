# cython: boundscheck=False, wraparound=False, cdivision=True
"""Bi-mode: a per-pc choice table picks one of two direction tables indexed with pc XOR
global history, one that learns the branches biased taken and one that learns those
biased not taken, so that branches of opposite bias stop destroying each other's counters
(Lee, Chen & Mudge, "The bi-mode branch predictor", MICRO 1997).

- choice: 2-bit counters indexed by pc >> 1 (start at 1: not-taken table); >= 2 selects
  the taken table.
- direction tables: 2-bit counters indexed by (pc >> 1) XOR the newest `history_bits`
  outcomes folded to log_direction_entries bits (XOR of chunks); the taken table starts at
  2, the not-taken one at 1. Prediction: the selected counter >= 2.
- update: only the selected direction counter learns the outcome; the choice counter
  learns it too, except when the choice went against the outcome but the selected
  counter was right anyway (the paper's partial update).
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint64_t

from cyclesim.params import Params, param
from pipeline.bpred cimport DirectionPredictor
from pipeline.predictors import PREDICTORS


@dataclass(repr=False)
class BimodeParams(Params):
    log_choice_entries: int = param(10, unit="log2 entries",
                                    help="log2 of the choice table's 2-bit counters.",
                                    min=1, max=24)
    log_direction_entries: int = param(12, unit="log2 entries",
                                       help="log2 of the 2-bit counters of each direction "
                                            "table.", min=1, max=24)
    history_bits: int = param(12, unit="bits",
                              help="Global history folded into the direction index (0 to 63).",
                              min=0, max=63)

    def validate(self, path):
        self.check_fields(path)
        self.check_ranges(path)


cdef inline uint8_t _train(uint8_t c, bint taken) noexcept nogil:
    if taken:
        return c + 1 if c < 3 else 3
    return c - 1 if c > 0 else 0


cdef class Bimode(DirectionPredictor):
    cdef uint8_t* choice
    cdef uint8_t* taken_table
    cdef uint8_t* not_taken_table
    cdef uint64_t choice_mask, dir_mask, history, history_mask
    cdef uint64_t log_dir
    cdef object _owners

    def __init__(self, params=None):
        p = params if params is not None else BimodeParams()
        p.validate("bpred.kind_params")
        c = np.ones(1 << p.log_choice_entries, np.uint8)
        t = np.full(1 << p.log_direction_entries, 2, np.uint8)
        n = np.ones(1 << p.log_direction_entries, np.uint8)
        self._owners = (c, t, n)
        cdef uint8_t[::1] vc = c, vt = t, vn = n
        self.choice, self.taken_table, self.not_taken_table = &vc[0], &vt[0], &vn[0]
        self.choice_mask = (1 << p.log_choice_entries) - 1
        self.dir_mask = (1 << p.log_direction_entries) - 1
        self.log_dir = p.log_direction_entries
        self.history = 0
        self.history_mask = (<uint64_t> 1 << p.history_bits) - 1

    cdef inline uint64_t _dir_index(self, uint64_t pc) noexcept nogil:
        cdef uint64_t v = self.history & self.history_mask
        cdef uint64_t f = 0
        while v:
            f ^= v & self.dir_mask
            v >>= self.log_dir
        return ((pc >> 1) ^ f) & self.dir_mask

    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        cdef uint64_t i = self._dir_index(pc)
        if self.choice[(pc >> 1) & self.choice_mask] >= 2:
            return self.taken_table[i] >= 2
        return self.not_taken_table[i] >= 2

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        cdef uint64_t i = self._dir_index(pc)
        cdef uint64_t ci = (pc >> 1) & self.choice_mask
        cdef bint use_taken = self.choice[ci] >= 2
        cdef uint8_t* table = self.taken_table if use_taken else self.not_taken_table
        cdef bint right = (table[i] >= 2) == taken
        table[i] = _train(table[i], taken)
        if not (use_taken != taken and right):
            self.choice[ci] = _train(self.choice[ci], taken)
        self.history = (self.history << 1) | taken


PREDICTORS.register("bimode", BimodeParams,
                    help="Choice table picking a taken- or not-taken-biased gshare table.",
                    source="Lee, Chen & Mudge, 'The bi-mode branch predictor', MICRO 1997")(
    lambda params, **geometry: Bimode(params))
