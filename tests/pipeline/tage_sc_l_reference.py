"""A plain-Python TAGE-SC-L, written for obviousness, not speed: the TAGE part is
tests/pipeline/tage_reference.py, the loop table is a list of dicts searched way by way,
and every corrector index is recomputed from the whole outcome list. The Cython plug-in
(pipeline/predictors/tage_sc_l.pyx) must agree with it prediction for prediction. Rules
as in docs/branch-predictors.md."""
from pipeline.predictors.tage import TageParams, history_lengths
from pipeline.predictors.tage_sc_l import TageScLParams
from tests.pipeline.tage_reference import RefTage


def sat(c, up, lo, hi):
    return min(hi, c + 1) if up else max(lo, c - 1)


class RefLoop:
    """Loop table: sets of ways; an entry learns a branch's trip count (executions per
    visit, the exit included) and predicts the exit once it saw the same count
    `loop_confidence` times in a row."""

    def __init__(self, p):
        self.p = p
        self.ways = p.loop_ways
        self.sets = (1 << p.loop_log_entries) // p.loop_ways
        self.table = [[{"valid": False, "tag": 0, "dir": False, "past": 0, "current": 0,
                        "conf": 0, "age": 0} for _ in range(self.ways)]
                      for _ in range(self.sets)]
        self.use = 0                                     # -64..63, trusted at >= 0

    def _set_tag(self, pc):
        p = pc >> 1
        return self.table[p % self.sets], (p // self.sets) % (1 << self.p.loop_tag_bits)

    def find(self, pc):
        ways, tag = self._set_tag(pc)
        for e in ways:
            if e["valid"] and e["tag"] == tag:
                return e
        return None

    def predict(self, pc):
        """(entry or None, its prediction, confident)."""
        e = self.find(pc)
        if e is None:
            return None, False, False
        exit_now = e["current"] + 1 == e["past"]
        return e, (not e["dir"]) if exit_now else e["dir"], e["conf"] >= self.p.loop_confidence

    def update(self, pc, taken, tage_pred):
        e, pred, confident = self.predict(pc)
        if e is not None:
            if confident:
                if pred != tage_pred:
                    self.use = sat(self.use, pred == taken, -64, 63)
                if pred != taken:
                    e["valid"] = False
                    return
                if pred != tage_pred:
                    e["age"] = min(self.p.loop_age_max, e["age"] + 1)
            e["current"] += 1
            if taken != e["dir"]:                        # the exit
                if e["current"] < 3:                     # too short to be worth an entry
                    e["valid"] = False
                    return
                if e["current"] == e["past"]:
                    e["conf"] = min(self.p.loop_confidence, e["conf"] + 1)
                else:
                    e["past"], e["conf"] = e["current"], 0
                e["current"] = 0
            elif e["current"] >= (1 << self.p.loop_iter_bits) - 1:
                e["valid"] = False
            elif e["past"] and e["current"] >= e["past"]:
                e["past"], e["conf"] = 0, 0
        elif tage_pred != taken:
            ways, tag = self._set_tag(pc)
            free = [w for w in ways if not w["valid"] or w["age"] == 0]
            if free:
                free[0].update(valid=True, tag=tag, dir=not taken, past=0, current=0,
                               conf=0, age=self.p.loop_age_max)
            else:
                for w in ways:
                    w["age"] -= 1


class RefCorrector:
    """Bias table (pc, prediction, confidence) plus tables indexed with pc XOR folded global
    history; the sum of 2c+1 votes; threshold fitting."""

    def __init__(self, p):
        self.p = p
        nb = 1 << p.sc_log_bias_entries
        self.bias = [0 if (i >> 1) & 1 else -1 for i in range(nb)]
        ng = 1 << p.sc_log_entries
        self.lengths = history_lengths(p.sc_num_tables, p.sc_min_history,
                                       p.sc_max_history) if p.sc_num_tables else []
        self.tables = [[-1 if j & 1 else 0 for j in range(ng)] for _ in self.lengths]
        self.lo, self.hi = -(1 << (p.sc_counter_bits - 1)), (1 << (p.sc_counter_bits - 1)) - 1
        self.theta = p.sc_threshold
        self.tc = 0
        self.tc_lo = -(1 << (p.sc_threshold_counter_bits - 1))
        self.tc_hi = (1 << (p.sc_threshold_counter_bits - 1)) - 1
        self.outcomes = []

    def fold(self, length):
        width, v = self.p.sc_log_entries, 0
        for k in range(min(length, len(self.outcomes))):
            if self.outcomes[-1 - k]:
                v ^= 1 << (k % width)
        return v

    def indices(self, pc, inter, high):
        p = pc >> 1
        b = (4 * p + 2 * int(inter) + int(high)) % len(self.bias)
        g = [(p ^ self.fold(L)) % (1 << self.p.sc_log_entries) for L in self.lengths]
        return b, g

    def total(self, pc, inter, high):
        b, g = self.indices(pc, inter, high)
        return 2 * self.bias[b] + 1 + sum(2 * t[i] + 1 for t, i in zip(self.tables, g))

    def update(self, pc, inter, high, taken):
        s = self.total(pc, inter, high)
        scp = s >= 0
        if scp != taken or abs(s) < self.theta:
            b, g = self.indices(pc, inter, high)
            self.bias[b] = sat(self.bias[b], taken, self.lo, self.hi)
            for t, i in zip(self.tables, g):
                t[i] = sat(t[i], taken, self.lo, self.hi)
        if scp != taken:
            self.tc += 1
            if self.tc >= self.tc_hi:
                self.tc, self.theta = 0, min(1023, self.theta + 1)
        elif abs(s) < self.theta:
            self.tc -= 1
            if self.tc <= self.tc_lo:
                self.tc, self.theta = 0, max(1, self.theta - 1)
        self.outcomes.append(bool(taken))


class RefTageScL:
    def __init__(self, p=None):
        self.p = p or TageScLParams()
        self.tage = RefTage(TageParams(**{k: getattr(self.p, k)
                                          for k in TageParams().to_dict()}))
        self.loop = RefLoop(self.p)
        self.sc = RefCorrector(self.p)

    def _chain(self, pc):
        tage = self.tage.predict(pc)
        high = self.tage.confident(pc)
        inter = tage
        if self.p.loop:
            e, lp, confident = self.loop.predict(pc)
            if e is not None and confident and self.loop.use >= 0:
                inter, high = lp, True
        final = inter
        if self.p.sc:
            s = self.sc.total(pc, inter, high)
            need = self.sc.theta if high else self.sc.theta // 2
            if (s >= 0) != inter and abs(s) >= need:
                final = s >= 0
        return tage, inter, high, final

    def predict(self, pc):
        return self._chain(pc)[3]

    def update(self, pc, taken):
        tage, inter, high, _ = self._chain(pc)
        if self.p.sc:
            self.sc.update(pc, inter, high, taken)
        if self.p.loop:
            self.loop.update(pc, taken, tage)
        self.tage.update(pc, taken)
