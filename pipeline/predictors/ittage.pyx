# cython: boundscheck=False, wraparound=False, cdivision=True
"""ITTAGE: TAGE's tagged geometric-history tables holding targets instead of directions
(Seznec, "A 64-Kbytes ITTAGE indirect branch predictor", JWAC-2, 2011).

A tagless base table indexed by pc, and N partially tagged tables indexed with geometric
lengths of a global history that holds one bit per conditional branch (its outcome) and
`target_bits` bits per indirect jump (target bits 1, 2, ...). An entry is a partial tag,
a target, a 2-bit confidence counter and a useful bit (and a valid bit: an entry never
allocated does not hit).

- Provider: the hitting table with the longest history; alternate: the next hitting
  table, else the base. A provider whose confidence is 0 (new or just wrong) defers to
  the alternate. No hit and an empty base: no prediction (a misprediction).
- Update of the provider (the base when no table hits): right target -> confidence + 1;
  wrong target -> confidence - 1, or, at 0, the target is replaced. Its useful bit is set
  to whether it was right, when the alternate's target differs from its own.
- On a misprediction, allocate in the first longer table whose useful bit is 0 (tag,
  target, confidence 0); if none, clear those entries' useful bits. Every reset_period
  updates all useful bits are cleared.
Indexes and tags are TAGE's (docs/branch-predictors.md) over this history.
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

from cyclesim.params import Params, param
from pipeline.bpred cimport IndirectPredictor
from pipeline.predictors import INDIRECT_PREDICTORS
from pipeline.predictors.tage cimport MAX_TABLES, Fold
from pipeline.predictors.tage import history_lengths


@dataclass(repr=False)
class IttageParams(Params):
    num_tables: int = param(6, unit="tables", help="Tagged tables (1 to 16).",
                            min=1, max=MAX_TABLES)
    min_history: int = param(4, unit="bits", help="History length of the first tagged table.",
                             min=1, max=1024)
    max_history: int = param(200, unit="bits",
                             help="History length of the last tagged table (at most 1024).",
                             min=1, max=1024)
    log_table_entries: int = param(8, unit="log2 entries",
                                   help="log2 of the entries of each tagged table.",
                                   min=2, max=20)
    tag_bits: int = param(9, unit="bits", help="Partial tag width.", min=2, max=16)
    log_base_entries: int = param(8, unit="log2 entries",
                                  help="log2 of the tagless base table's targets.",
                                  min=1, max=20)
    target_bits: int = param(2, unit="bits",
                             help="History bits pushed per indirect jump (its target bits "
                                  "1, 2, ...).", min=0, max=8)
    reset_period: int = param(65536, unit="jumps",
                              help="Indirect jumps between two clearings of the useful bits.",
                              min=1, max=1 << 40)

    def validate(self, path):
        self.check_fields(path)
        self.check_ranges(path)
        if self.num_tables > 1 and self.max_history <= self.min_history:
            raise self.fail(path, "max_history",
                            f"must be greater than min_history ({self.min_history})")


cdef inline void _fold_push(Fold* f, uint32_t newbit, uint32_t oldbit) noexcept nogil:
    f.comp = (f.comp << 1) | newbit
    f.comp ^= oldbit << (f.length % f.width)
    f.comp ^= f.comp >> f.width
    f.comp &= (1u << f.width) - 1


cdef class ITTAGE(IndirectPredictor):
    cdef int n
    cdef uint32_t log_entries, tbits
    cdef uint64_t entry_mask, tag_mask, base_mask, hist_mask, ptr, tick, reset_period
    cdef uint32_t lengths[MAX_TABLES]
    cdef Fold fidx[MAX_TABLES]
    cdef Fold ftag0[MAX_TABLES]
    cdef Fold ftag1[MAX_TABLES]
    cdef uint16_t* tag
    cdef uint64_t* target
    cdef uint8_t* conf
    cdef uint8_t* useful
    cdef uint8_t* valid          # entry allocated (a fresh entry's tag 0 must not hit)
    cdef uint64_t* base_target
    cdef uint8_t* base_conf
    cdef uint8_t* base_valid
    cdef uint8_t* hist
    # the last predict(), reused by the update() of the same jump
    cdef uint64_t last_idx[MAX_TABLES]
    cdef uint64_t last_pc
    cdef int last_provider, last_alt
    cdef bint last_valid
    cdef object _owners

    def __init__(self, params=None):
        p = params if params is not None else IttageParams()
        p.validate("bpred.indirect_params")
        self.n = p.num_tables
        self.log_entries = p.log_table_entries
        self.tbits = p.target_bits
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
        tag = np.zeros(self.n * entries, np.uint16)
        target = np.zeros(self.n * entries, np.uint64)
        conf = np.zeros(self.n * entries, np.uint8)
        useful = np.zeros(self.n * entries, np.uint8)
        valid = np.zeros(self.n * entries, np.uint8)
        nb = 1 << p.log_base_entries
        bt = np.zeros(nb, np.uint64)
        bc = np.zeros(nb, np.uint8)
        bv = np.zeros(nb, np.uint8)
        hist = np.zeros(hb, np.uint8)
        self._owners = (tag, target, conf, useful, valid, bt, bc, bv, hist)
        cdef uint16_t[::1] vtag = tag
        cdef uint64_t[::1] vtg = target, vbt = bt
        cdef uint8_t[::1] vc = conf, vu = useful, vv = valid, vbc = bc, vbv = bv, vh = hist
        self.tag, self.target, self.conf, self.useful = &vtag[0], &vtg[0], &vc[0], &vu[0]
        self.base_target, self.base_conf, self.base_valid = &vbt[0], &vbc[0], &vbv[0]
        self.hist = &vh[0]
        self.valid = &vv[0]
        self.ptr = 0
        self.tick = 0
        self.last_valid = False

    cdef inline uint16_t _tag(self, int i, uint64_t p) noexcept nogil:
        return <uint16_t> ((p ^ self.ftag0[i].comp ^ (self.ftag1[i].comp << 1)) & self.tag_mask)

    cdef void _lookup(self, uint64_t pc) noexcept nogil:
        cdef uint64_t p = pc >> 1
        cdef int i
        self.last_provider = -1
        self.last_alt = -1
        for i in range(self.n):
            self.last_idx[i] = (i << self.log_entries) + \
                ((p ^ (p >> self.log_entries) ^ self.fidx[i].comp) & self.entry_mask)
        for i in range(self.n - 1, -1, -1):
            if self.valid[self.last_idx[i]] and self.tag[self.last_idx[i]] == self._tag(i, p):
                if self.last_provider < 0:
                    self.last_provider = i
                else:
                    self.last_alt = i
                    break
        self.last_pc = pc
        self.last_valid = True

    cdef bint _alt_target(self, uint64_t pc, uint64_t* t) noexcept nogil:
        cdef uint64_t b
        if self.last_alt >= 0:
            t[0] = self.target[self.last_idx[self.last_alt]]
            return True
        b = (pc >> 1) & self.base_mask
        t[0] = self.base_target[b]
        return self.base_valid[b] != 0

    cdef bint predict(self, uint64_t pc, uint64_t* target) noexcept nogil:
        cdef uint64_t e
        self._lookup(pc)
        if self.last_provider >= 0:
            e = self.last_idx[self.last_provider]
            if self.conf[e] > 0:
                target[0] = self.target[e]
                return True
        return self._alt_target(pc, target)

    cdef void _push(self, uint32_t bit) noexcept nogil:
        cdef int i
        cdef uint32_t old
        self.ptr += 1
        self.hist[self.ptr & self.hist_mask] = bit
        for i in range(self.n):
            old = self.hist[(self.ptr - self.lengths[i]) & self.hist_mask]
            _fold_push(&self.fidx[i], bit, old)
            _fold_push(&self.ftag0[i], bit, old)
            _fold_push(&self.ftag1[i], bit, old)

    cdef void update(self, uint64_t pc, uint64_t target) noexcept nogil:
        cdef uint64_t predicted = 0, alt_t = 0, e, b
        cdef bint hit, alt_hit, found
        cdef int i, provider
        hit = self.predict(pc, &predicted)     # recomputes the lookup (cheap) and last_*
        provider = self.last_provider
        if provider >= 0:
            e = self.last_idx[provider]
            alt_hit = self._alt_target(pc, &alt_t)
            if not alt_hit or alt_t != self.target[e]:
                self.useful[e] = self.target[e] == target
            if self.target[e] == target:
                if self.conf[e] < 3:
                    self.conf[e] += 1
            elif self.conf[e] > 0:
                self.conf[e] -= 1
            else:
                self.target[e] = target
        else:
            b = (pc >> 1) & self.base_mask
            if self.base_valid[b] and self.base_target[b] == target:
                if self.base_conf[b] < 3:
                    self.base_conf[b] += 1
            elif self.base_valid[b] and self.base_conf[b] > 0:
                self.base_conf[b] -= 1
            else:
                self.base_target[b] = target
                self.base_valid[b] = 1
                self.base_conf[b] = 0
        if (not hit or predicted != target) and provider < self.n - 1:
            found = False
            for i in range(provider + 1, self.n):
                e = self.last_idx[i]
                if self.useful[e] == 0:
                    self.tag[e] = self._tag(i, pc >> 1)
                    self.valid[e] = 1
                    self.target[e] = target
                    self.conf[e] = 0
                    found = True
                    break
            if not found:
                for i in range(provider + 1, self.n):
                    self.useful[self.last_idx[i]] = 0
        self.last_valid = False
        self.tick += 1
        if self.tick % self.reset_period == 0:
            for e in range(<uint64_t> self.n << self.log_entries):
                self.useful[e] = 0
        for i in range(self.tbits):
            self._push(<uint32_t> ((target >> (1 + i)) & 1))

    cdef void branch(self, bint taken) noexcept nogil:
        self._push(taken)


INDIRECT_PREDICTORS.register(
    "ittage", IttageParams,
    help="Tagged tables of geometric history lengths holding targets (TAGE for targets).",
    source="Seznec, 'A 64-Kbytes ITTAGE indirect branch predictor', JWAC-2, 2011")(
    lambda params: ITTAGE(params))
