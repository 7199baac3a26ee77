"""A plain-Python TAGE, written for obviousness, not speed: the whole global history is a
list and every hash is recomputed from it. The Cython plug-in (pipeline/predictors/tage.pyx)
must agree with it prediction for prediction. Same rules as docs/branch-predictors.md."""
from pipeline.predictors.tage import TageParams, history_lengths


def fold(history, length, width):
    """XOR of the newest `length` outcomes, outcome of age k placed at bit k mod width."""
    v = 0
    for k in range(length):
        if k < len(history) and history[-1 - k]:
            v ^= 1 << (k % width)
    return v


class RefTage:
    def __init__(self, p=None):
        self.p = p or TageParams()
        self.n = self.p.num_tables
        self.E = 1 << self.p.log_table_entries
        self.lengths = history_lengths(self.n, self.p.min_history, self.p.max_history)
        self.tables = [[{"tag": 0, "ctr": -1, "u": 0} for _ in range(self.E)]
                       for _ in range(self.n)]
        self.base = [1] * (1 << self.p.log_base_entries)
        self.history = []
        self.use_alt = 0
        self.branches = 0
        self.age_high = True

    def _where(self, i, pc):
        p, L = pc >> 1, self.lengths[i]
        lg, tb = self.p.log_table_entries, self.p.tag_bits
        index = (p ^ (p >> lg) ^ fold(self.history, L, lg)) % self.E
        tag = (p ^ fold(self.history, L, tb) ^ (fold(self.history, L, tb - 1) << 1)) % (1 << tb)
        return index, tag

    def _lookup(self, pc):
        hits = [i for i in range(self.n)
                if self.tables[i][self._where(i, pc)[0]]["tag"] == self._where(i, pc)[1]]
        provider = hits[-1] if hits else None
        alt = hits[-2] if len(hits) > 1 else None
        base = self.base[(pc >> 1) % len(self.base)] >= 2
        altpred = self.tables[alt][self._where(alt, pc)[0]]["ctr"] >= 0 if alt is not None \
            else base
        if provider is None:
            return provider, altpred, altpred
        c = self.tables[provider][self._where(provider, pc)[0]]["ctr"]
        weak = c in (0, -1)
        pred = altpred if weak and self.use_alt >= 0 else c >= 0
        return provider, pred, altpred

    def predict(self, pc):
        return self._lookup(pc)[1]

    def confident(self, pc):
        """The counter that gives the prediction is saturated (tagged: 3 or -4; base: 0
        or 3). A weak provider that defers gives the alternate's (or the base's) counter."""
        hits = [i for i in range(self.n)
                if self.tables[i][self._where(i, pc)[0]]["tag"] == self._where(i, pc)[1]]
        for k, i in enumerate(reversed(hits)):
            c = self.tables[i][self._where(i, pc)[0]]["ctr"]
            if k == 0 and c in (0, -1) and self.use_alt >= 0:
                continue                         # the weak provider defers
            return c in (3, -4)
        return self.base[(pc >> 1) % len(self.base)] in (0, 3)

    def update(self, pc, taken):
        provider, pred, altpred = self._lookup(pc)
        if provider is not None:
            entry = self.tables[provider][self._where(provider, pc)[0]]
            ppred = entry["ctr"] >= 0
            if entry["ctr"] in (0, -1) and ppred != altpred:
                self.use_alt = min(7, self.use_alt + 1) if altpred == taken \
                    else max(-8, self.use_alt - 1)
        first = 0 if provider is None else provider + 1
        if pred != taken and first < self.n:
            longer = [(i, self.tables[i][self._where(i, pc)[0]]) for i in range(first, self.n)]
            free = [(i, e) for i, e in longer if e["u"] == 0]
            if free:
                i, e = free[0]
                e.update(tag=self._where(i, pc)[1], ctr=0 if taken else -1)
            else:
                for _, e in longer:
                    e["u"] -= 1
        if provider is not None:
            if ppred != altpred:
                entry["u"] = min(3, entry["u"] + 1) if ppred == taken else max(0, entry["u"] - 1)
            entry["ctr"] = min(3, entry["ctr"] + 1) if taken else max(-4, entry["ctr"] - 1)
        else:
            b = (pc >> 1) % len(self.base)
            self.base[b] = min(3, self.base[b] + 1) if taken else max(0, self.base[b] - 1)
        self.branches += 1
        if self.branches % self.p.reset_period == 0:
            for t in self.tables:
                for e in t:
                    e["u"] &= 1 if self.age_high else 2
            self.age_high = not self.age_high
        self.history.append(bool(taken))
