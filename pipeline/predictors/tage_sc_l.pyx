# cython: boundscheck=False, wraparound=False, cdivision=True
"""TAGE-SC-L: TAGE backed by a loop predictor and a statistical corrector (Seznec,
"TAGE-SC-L branch predictors", CBP-4 2014; the loop predictor of "A 256 Kbits L-TAGE
branch predictor", CBP-2 2006; the corrector of "A new case for the TAGE branch
predictor", MICRO 2011 and "A 64 Kbytes ISL-TAGE branch predictor", CBP-3 2011; the
threshold fitting of "Analysis of the O-GEHL branch predictor", ISCA 2005).

Order, as in the papers: TAGE predicts (with a confidence: its answering counter is
saturated or not); the loop predictor replaces that prediction when it holds a confident
entry for the branch and its global use counter trusts it; the statistical corrector then
reverts the result when its sum of counters disagrees strongly enough. The rules, and what
is simplified against the papers, are in docs/branch-predictors.md.
"""
from dataclasses import dataclass

import numpy as np

from libc.stdint cimport int8_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport abs as iabs

from cyclesim.params import param
from pipeline.bpred cimport DirectionPredictor
from pipeline.predictors import PREDICTORS
from pipeline.predictors.tage cimport TAGE
from pipeline.predictors.tage import TageParams, history_lengths

cdef enum:
    MAX_SC_TABLES = 8


@dataclass(repr=False)
class TageScLParams(TageParams):
    loop: bool = param(True, help="Use the loop predictor.")
    loop_log_entries: int = param(6, unit="log2 entries",
                                  help="log2 of the loop table's entries.", min=2, max=12)
    loop_ways: int = param(4, unit="ways", help="Loop table associativity (power of two).",
                           min=1, max=16)
    loop_tag_bits: int = param(10, unit="bits", help="Loop entry partial tag.", min=1, max=16)
    loop_iter_bits: int = param(10, unit="bits",
                                help="Loop iteration counters (longest trip 2^bits - 1).",
                                min=2, max=16)
    loop_confidence: int = param(3, unit="trips",
                                 help="Equal trip counts in a row before an entry predicts.",
                                 min=1, max=15)
    loop_age_max: int = param(7, help="Age of a new loop entry (replacement).", min=1, max=255)
    sc: bool = param(True, help="Use the statistical corrector.")
    sc_log_bias_entries: int = param(10, unit="log2 entries",
                                     help="log2 of the corrector's bias table.", min=2, max=20)
    sc_num_tables: int = param(4, unit="tables",
                               help="Corrector tables indexed with global history (0 to 8).",
                               min=0, max=MAX_SC_TABLES)
    sc_min_history: int = param(6, unit="branches",
                                help="History length of the first corrector table.",
                                min=1, max=63)
    sc_max_history: int = param(40, unit="branches",
                                help="History length of the last corrector table (at most 63).",
                                min=1, max=63)
    sc_log_entries: int = param(9, unit="log2 entries",
                                help="log2 of each corrector table's counters.", min=2, max=20)
    sc_counter_bits: int = param(6, unit="bits", help="Corrector counter width (signed).",
                                 min=2, max=8)
    sc_threshold: int = param(32, help="Initial update threshold of the corrector sum.",
                              min=1, max=1023)
    sc_threshold_counter_bits: int = param(6, unit="bits",
                                           help="Threshold-fitting counter width.",
                                           min=2, max=10)

    def validate(self, path):
        TageParams.validate(self, path)
        self.check_ranges(path)
        if self.loop_ways & (self.loop_ways - 1) or self.loop_ways > (1 << self.loop_log_entries):
            raise self.fail(path, "loop_ways", "must be a power of two no larger than "
                            f"2^loop_log_entries ({1 << self.loop_log_entries})")
        if self.sc_num_tables > 1 and self.sc_max_history <= self.sc_min_history:
            raise self.fail(path, "sc_max_history",
                            f"must be greater than sc_min_history ({self.sc_min_history})")


cdef struct LoopEntry:
    uint16_t tag
    uint16_t past        # executions per visit, the exit included (0 = not measured)
    uint16_t current     # executions of the current visit so far
    uint8_t valid, dir, conf, age


cdef inline int _sat(int c, bint up, int lo, int hi) noexcept nogil:
    if up:
        return c + 1 if c < hi else hi
    return c - 1 if c > lo else lo


cdef class TageScL(DirectionPredictor):
    cdef TAGE tage
    cdef bint with_loop, with_sc
    # loop predictor
    cdef LoopEntry* ltab
    cdef uint32_t l_ways, l_log_sets
    cdef uint64_t l_set_mask, l_tag_mask
    cdef int l_conf_max, l_age_max, l_iter_max
    cdef int use_loop                 # 7-bit signed, -64..63: trust the loop predictor at >= 0
    # statistical corrector
    cdef int8_t* bias
    cdef int8_t* gehl
    cdef uint64_t bias_mask, g_mask, sch
    cdef uint32_t g_log, g_n
    cdef uint32_t g_len[MAX_SC_TABLES]
    cdef int c_lo, c_hi, theta, tc, tc_lo, tc_hi
    # the last predict(), reused by the update() of the same branch
    cdef uint64_t last_pc
    cdef bint last_valid, last_tage, last_inter, last_high, last_lhit, last_lvalid, last_lp
    cdef bint last_scp
    cdef int64_t last_lentry
    cdef int last_sum
    cdef uint64_t last_bi
    cdef uint64_t last_gi[MAX_SC_TABLES]
    cdef object _owners

    def __init__(self, params=None):
        p = params if params is not None else TageScLParams()
        p.validate("bpred.kind_params")
        self.tage = TAGE(TageParams(**{k: getattr(p, k) for k in TageParams().to_dict()}))
        self.with_loop = p.loop
        self.with_sc = p.sc
        entries = 1 << p.loop_log_entries
        self.l_ways = p.loop_ways
        sets = entries // p.loop_ways
        self.l_log_sets = sets.bit_length() - 1
        self.l_set_mask = sets - 1
        self.l_tag_mask = (1 << p.loop_tag_bits) - 1
        self.l_conf_max = p.loop_confidence
        self.l_age_max = p.loop_age_max
        self.l_iter_max = (1 << p.loop_iter_bits) - 1
        self.use_loop = 0
        ltab = np.zeros(entries * sizeof(LoopEntry), np.uint8)
        cdef uint8_t[::1] vl = ltab
        self.ltab = <LoopEntry*> &vl[0]
        self.g_n = p.sc_num_tables
        self.g_log = p.sc_log_entries
        self.g_mask = (1 << p.sc_log_entries) - 1
        self.bias_mask = (1 << p.sc_log_bias_entries) - 1
        cdef int i
        if self.g_n:
            for i, L in enumerate(history_lengths(self.g_n, p.sc_min_history,
                                                  p.sc_max_history)):
                self.g_len[i] = L
        self.c_hi = (1 << (p.sc_counter_bits - 1)) - 1
        self.c_lo = -(1 << (p.sc_counter_bits - 1))
        self.theta = p.sc_threshold
        self.tc = 0
        self.tc_hi = (1 << (p.sc_threshold_counter_bits - 1)) - 1
        self.tc_lo = -(1 << (p.sc_threshold_counter_bits - 1))
        self.sch = 0
        # bias entries start on the side of the prediction they correct (index bit 1),
        # history tables alternate +1/-1 votes: a fresh corrector sums to about zero
        nb = 1 << p.sc_log_bias_entries
        bias = np.where((np.arange(nb) >> 1) & 1, 0, -1).astype(np.int8)
        ng = max(self.g_n, 1) << p.sc_log_entries
        gehl = np.where(np.arange(ng) & 1, -1, 0).astype(np.int8)
        self._owners = (ltab, bias, gehl)
        cdef int8_t[::1] vb = bias, vg = gehl
        self.bias, self.gehl = &vb[0], &vg[0]
        self.last_valid = False

    # ---- loop predictor
    cdef void _loop_lookup(self, uint64_t p) noexcept nogil:
        cdef uint64_t base = (p & self.l_set_mask) * self.l_ways
        cdef uint16_t tag = <uint16_t> ((p >> self.l_log_sets) & self.l_tag_mask)
        cdef uint32_t w
        cdef LoopEntry* e
        self.last_lhit = False
        self.last_lvalid = False
        self.last_lentry = -1
        for w in range(self.l_ways):
            e = &self.ltab[base + w]
            if e.valid and e.tag == tag:
                self.last_lhit = True
                self.last_lentry = <int64_t> (base + w)
                # the exit is the execution that completes the measured trip count
                self.last_lp = (not e.dir) if e.current + 1 == e.past else <bint> e.dir
                self.last_lvalid = e.conf >= self.l_conf_max
                return

    cdef void _loop_update(self, uint64_t p, bint taken) noexcept nogil:
        cdef LoopEntry* e
        cdef uint64_t base
        cdef uint32_t w
        if self.last_lhit:
            e = &self.ltab[self.last_lentry]
            if self.last_lvalid:
                if self.last_lp != self.last_tage:
                    self.use_loop = _sat(self.use_loop, self.last_lp == taken, -64, 63)
                if self.last_lp != taken:
                    e.valid = 0                    # a confident entry was wrong: free it
                    return
                if self.last_lp != self.last_tage and e.age < self.l_age_max:
                    e.age += 1
            e.current += 1
            if taken != e.dir:                     # the exit: compare the trip count
                if e.current < 3:
                    # a trip of 1 or 2 (or an entry allocated on a body iteration, whose
                    # direction is the exit's): TAGE's history covers those
                    e.valid = 0
                    return
                if e.current == e.past:
                    if e.conf < self.l_conf_max:
                        e.conf += 1
                else:
                    e.past = e.current
                    e.conf = 0
                e.current = 0
            elif e.current >= self.l_iter_max:
                e.valid = 0                        # longer than the counters can measure
            elif e.past and e.current >= e.past:
                e.past = 0                         # this visit is longer than the last
                e.conf = 0
        elif self.last_tage != taken:
            # allocate on a TAGE misprediction: in the first way of the set whose age is 0
            base = (p & self.l_set_mask) * self.l_ways
            for w in range(self.l_ways):
                e = &self.ltab[base + w]
                if not e.valid or e.age == 0:
                    e.valid = 1
                    e.tag = <uint16_t> ((p >> self.l_log_sets) & self.l_tag_mask)
                    e.dir = not taken              # mispredicted at the exit, normally
                    e.past = 0
                    e.current = 0
                    e.conf = 0
                    e.age = self.l_age_max
                    return
            for w in range(self.l_ways):
                self.ltab[base + w].age -= 1

    # ---- statistical corrector
    cdef inline uint64_t _fold(self, uint32_t length) noexcept nogil:
        # XOR of g_log-bit chunks of the newest `length` outcomes (age k at bit k mod g_log)
        cdef uint64_t v = self.sch & ((<uint64_t> 1 << length) - 1)
        cdef uint64_t f = 0
        while v:
            f ^= v & self.g_mask
            v >>= self.g_log
        return f

    cdef int _sc_sum(self, uint64_t p, bint inter, bint high) noexcept nogil:
        cdef uint32_t i
        cdef int s
        self.last_bi = ((p << 2) | (<uint64_t> inter << 1) | <uint64_t> high) & self.bias_mask
        s = 2 * self.bias[self.last_bi] + 1
        for i in range(self.g_n):
            self.last_gi[i] = (i << self.g_log) + ((p ^ self._fold(self.g_len[i])) & self.g_mask)
            s += 2 * self.gehl[self.last_gi[i]] + 1
        return s

    cdef void _sc_update(self, bint taken) noexcept nogil:
        cdef uint32_t i
        cdef int mag = iabs(self.last_sum)
        if self.last_scp != taken or mag < self.theta:
            self.bias[self.last_bi] = <int8_t> _sat(self.bias[self.last_bi], taken,
                                                    self.c_lo, self.c_hi)
            for i in range(self.g_n):
                self.gehl[self.last_gi[i]] = <int8_t> _sat(self.gehl[self.last_gi[i]], taken,
                                                           self.c_lo, self.c_hi)
        # threshold fitting: raise it after mispredictions, lower it after correct
        # predictions that were not confident enough to skip training
        if self.last_scp != taken:
            self.tc += 1
            if self.tc >= self.tc_hi:
                self.tc = 0
                if self.theta < 1023:
                    self.theta += 1
        elif mag < self.theta:
            self.tc -= 1
            if self.tc <= self.tc_lo:
                self.tc = 0
                if self.theta > 1:
                    self.theta -= 1

    # ---- DirectionPredictor
    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil:
        cdef uint64_t p = pc >> 1
        cdef bint inter, high, final
        self.last_tage = self.tage.predict(pc, target)
        high = self.tage.high_confidence()
        inter = self.last_tage
        self.last_lhit = False
        self.last_lvalid = False
        if self.with_loop:
            self._loop_lookup(p)
            if self.last_lvalid and self.use_loop >= 0:
                inter = self.last_lp
                high = True
        final = inter
        if self.with_sc:
            self.last_sum = self._sc_sum(p, inter, high)
            self.last_scp = self.last_sum >= 0
            # revert a confident prediction only when the sum reaches the threshold,
            # others from half of it
            if self.last_scp != inter and \
                    iabs(self.last_sum) >= (self.theta if high else self.theta // 2):
                final = self.last_scp
        self.last_inter = inter
        self.last_high = high
        self.last_pc = pc
        self.last_valid = True
        return final

    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil:
        if not (self.last_valid and self.last_pc == pc):
            self.predict(pc, target)
        self.last_valid = False
        if self.with_sc:
            self._sc_update(taken)
        if self.with_loop:
            self._loop_update(pc >> 1, taken)
        self.tage.update(pc, taken, target)
        self.sch = (self.sch << 1) | taken

    # Python access for tests
    def loop_entry(self, pc):
        """The loop entry of `pc` as a dict, or None (for tests)."""
        self.last_valid = False             # the next update() looks up again
        self._loop_lookup(pc >> 1)
        if not self.last_lhit:
            return None
        e = self.ltab[self.last_lentry]
        return {"dir": bool(e.dir), "past": e.past, "current": e.current, "conf": e.conf,
                "age": e.age}

    @property
    def threshold(self):
        return self.theta


PREDICTORS.register("tage_sc_l", TageScLParams,
                    help="TAGE with a loop predictor and a statistical corrector.",
                    source="Seznec, 'TAGE-SC-L branch predictors', CBP-4, 2014")(
    lambda params, **geometry: TageScL(params))
