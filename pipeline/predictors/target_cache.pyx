# cython: boundscheck=False, wraparound=False, cdivision=True
"""Target cache: a tagless table of indirect-jump targets indexed by a hash of the jump's
pc and history (Chang, Hao & Patt, "Target prediction for indirect jumps", ISCA 1997).

Index (log_entries bits) = (pc >> 1 if use_pc) XOR the newest `global_bits` conditional
outcomes (newest in bit 0) XOR a path hash of the last `path_targets` indirect-jump
targets: with w = log_entries // path_targets, target j (0 = newest) gives its bits
[path_shift + j*w, path_shift + (j+1)*w) at index bits [j*w, (j+1)*w). The entry holds the
last target seen there (and a valid bit); a miss or a wrong target is a misprediction.

With use_pc = false, log_entries 8, global_bits 8, path_targets 4, path_shift 4 this is
the XuanTie C910's indirect BTB (openc910 `ct_ifu_ind_btb`: 256 entries, index
{p3[7:6]^g[7:6], p2[5:4]^g[5:4], p1[3:2]^g[3:2], p0[1:0]^g[1:0]} of the 8-bit global
history g and target bits [11:4] of the last four indirect jumps p0..p3).
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport uint8_t, uint32_t, uint64_t

from cyclesim.params import Params, param
from pipeline.bpred cimport IndirectPredictor
from pipeline.predictors import INDIRECT_PREDICTORS

DEF MAX_PATH = 8


@dataclass(repr=False)
class TargetCacheParams(Params):
    log_entries: int = param(9, unit="log2 entries", help="log2 of the table's targets.",
                             min=1, max=20)
    use_pc: bool = param(True, help="XOR the jump's pc into the index (false: history only, "
                                    "as the C910 does).")
    global_bits: int = param(9, unit="bits",
                             help="Conditional outcomes XORed into the index (at most "
                                  "log_entries).", min=0, max=20)
    path_targets: int = param(2, unit="targets",
                              help="Previous indirect-jump targets hashed into the index.",
                              min=0, max=MAX_PATH)
    path_shift: int = param(2, unit="bits",
                            help="Lowest target bit the path hash takes.", min=0, max=40)

    def validate(self, path):
        self.check_fields(path)
        self.check_ranges(path)
        if self.global_bits > self.log_entries:
            raise self.fail(path, "global_bits",
                            f"must be at most log_entries ({self.log_entries})")
        if self.path_targets > self.log_entries:
            raise self.fail(path, "path_targets",
                            f"must be at most log_entries ({self.log_entries}): each "
                            "target gives log_entries // path_targets index bits")


cdef class TargetCache(IndirectPredictor):
    cdef uint64_t* targets
    cdef uint8_t* valid
    cdef uint64_t mask, history, history_mask
    cdef bint use_pc
    cdef uint32_t npath, width, shift
    cdef uint64_t path[MAX_PATH]      # last indirect targets, 0 = newest
    cdef object _owners

    def __init__(self, params=None):
        p = params if params is not None else TargetCacheParams()
        p.validate("bpred.indirect_params")
        n = 1 << p.log_entries
        t = np.zeros(n, np.uint64)
        v = np.zeros(n, np.uint8)
        self._owners = (t, v)
        cdef uint64_t[::1] vt = t
        cdef uint8_t[::1] vv = v
        self.targets, self.valid = &vt[0], &vv[0]
        self.mask = n - 1
        self.use_pc = p.use_pc
        self.history = 0
        self.history_mask = (<uint64_t> 1 << p.global_bits) - 1
        self.npath = p.path_targets
        self.width = p.log_entries // p.path_targets if p.path_targets else 0
        self.shift = p.path_shift
        cdef int j
        for j in range(MAX_PATH):
            self.path[j] = 0

    cdef inline uint64_t _index(self, uint64_t pc) noexcept nogil:
        cdef uint64_t i = self.history & self.history_mask
        cdef uint64_t wmask = (<uint64_t> 1 << self.width) - 1
        cdef uint32_t j
        if self.use_pc:
            i ^= pc >> 1
        for j in range(self.npath):
            i ^= ((self.path[j] >> (self.shift + j * self.width)) & wmask) << (j * self.width)
        return i & self.mask

    cdef bint predict(self, uint64_t pc, uint64_t* target) noexcept nogil:
        cdef uint64_t i = self._index(pc)
        target[0] = self.targets[i]
        return self.valid[i] != 0

    cdef void update(self, uint64_t pc, uint64_t target) noexcept nogil:
        cdef uint64_t i = self._index(pc)
        cdef uint32_t j
        self.targets[i] = target
        self.valid[i] = 1
        if self.npath:
            for j in range(self.npath - 1, 0, -1):
                self.path[j] = self.path[j - 1]
            self.path[0] = target

    cdef void branch(self, bint taken) noexcept nogil:
        self.history = (self.history << 1) | taken


INDIRECT_PREDICTORS.register(
    "target_cache", TargetCacheParams,
    help="Tagless targets indexed by pc, global history and the path of indirect targets.",
    source="Chang, Hao & Patt, 'Target prediction for indirect jumps', ISCA 1997")(
    lambda params: TargetCache(params))
