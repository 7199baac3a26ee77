"""Plain-Python indirect-target predictors, written for obviousness, not speed: whole
histories are lists and every index is recomputed from them. The Cython plug-ins in
pipeline/predictors/ must agree with them prediction for prediction. Rules as in
docs/branch-predictors.md."""
from pipeline.predictors.target_cache import TargetCacheParams


def bits(value, lo, n):
    """Bits [lo, lo + n) of value, as a number."""
    return (value >> lo) % (1 << n)


class RefTargetCache:
    """Chang, Hao & Patt's target cache: one target per index, no tags."""

    def __init__(self, p=None):
        self.p = p or TargetCacheParams()
        self.table = {}              # index -> last target written there
        self.outcomes = []           # every conditional outcome, oldest first
        self.targets = []            # every indirect target, oldest first

    def index(self, pc):
        p = self.p
        i = (pc >> 1) if p.use_pc else 0
        for k in range(p.global_bits):                 # outcome of age k at bit k
            if k < len(self.outcomes) and self.outcomes[-1 - k]:
                i ^= 1 << k
        if p.path_targets:
            w = p.log_entries // p.path_targets
            for j in range(p.path_targets):            # target j = the j-th newest
                t = self.targets[-1 - j] if j < len(self.targets) else 0
                i ^= bits(t, p.path_shift + j * w, w) << (j * w)
        return i % (1 << p.log_entries)

    def predict(self, pc):
        return self.table.get(self.index(pc))

    def update(self, pc, target):
        self.table[self.index(pc)] = target
        self.targets.append(target)

    def branch(self, taken):
        self.outcomes.append(bool(taken))


def fold(history, length, width):
    """XOR of the newest `length` history bits, the bit of age k placed at bit k mod width."""
    v = 0
    for k in range(min(length, len(history))):
        if history[-1 - k]:
            v ^= 1 << (k % width)
    return v


class RefIttage:
    """ITTAGE with the whole history as a list of bits and every hash recomputed."""

    def __init__(self, p=None):
        from pipeline.predictors.ittage import IttageParams
        from pipeline.predictors.tage import history_lengths
        self.p = p or IttageParams()
        self.n = self.p.num_tables
        self.E = 1 << self.p.log_table_entries
        self.lengths = history_lengths(self.n, self.p.min_history, self.p.max_history)
        self.tables = [[{"valid": False, "tag": 0, "target": 0, "conf": 0, "u": 0}
                        for _ in range(self.E)]
                       for _ in range(self.n)]
        self.base = {}                      # index -> {"target", "conf"} once written
        self.history = []
        self.jumps = 0

    def _where(self, i, pc):
        p, L = pc >> 1, self.lengths[i]
        lg, tb = self.p.log_table_entries, self.p.tag_bits
        index = (p ^ (p >> lg) ^ fold(self.history, L, lg)) % self.E
        tag = (p ^ fold(self.history, L, tb) ^ (fold(self.history, L, tb - 1) << 1)) % (1 << tb)
        return index, tag

    def _hits(self, pc):
        return [i for i in range(self.n) if self._entry(i, pc)["valid"]
                and self._entry(i, pc)["tag"] == self._where(i, pc)[1]]

    def _entry(self, i, pc):
        return self.tables[i][self._where(i, pc)[0]]

    def _alt(self, pc, hits):
        """Target of the alternate (second-longest hit, else the base) or None."""
        if len(hits) > 1:
            return self._entry(hits[-2], pc)["target"]
        b = self.base.get((pc >> 1) % (1 << self.p.log_base_entries))
        return b["target"] if b else None

    def predict(self, pc):
        hits = self._hits(pc)
        if hits and self._entry(hits[-1], pc)["conf"] > 0:
            return self._entry(hits[-1], pc)["target"]
        return self._alt(pc, hits)

    def update(self, pc, target):
        predicted = self.predict(pc)
        hits = self._hits(pc)
        if hits:
            e = self._entry(hits[-1], pc)
            if self._alt(pc, hits) != e["target"]:
                e["u"] = int(e["target"] == target)
            if e["target"] == target:
                e["conf"] = min(3, e["conf"] + 1)
            elif e["conf"] > 0:
                e["conf"] -= 1
            else:
                e["target"] = target
        else:
            k = (pc >> 1) % (1 << self.p.log_base_entries)
            b = self.base.get(k)
            if b and b["target"] == target:
                b["conf"] = min(3, b["conf"] + 1)
            elif b and b["conf"] > 0:
                b["conf"] -= 1
            else:
                self.base[k] = {"target": target, "conf": 0}
        first = hits[-1] + 1 if hits else 0
        if predicted != target and first < self.n:
            longer = [i for i in range(first, self.n) if self._entry(i, pc)["u"] == 0]
            if longer:
                i = longer[0]
                self._entry(i, pc).update(valid=True, tag=self._where(i, pc)[1], target=target,
                                         conf=0)
            else:
                for i in range(first, self.n):
                    self._entry(i, pc)["u"] = 0
        self.jumps += 1
        if self.jumps % self.p.reset_period == 0:
            for t in self.tables:
                for e in t:
                    e["u"] = 0
        for j in range(self.p.target_bits):
            self.history.append((target >> (1 + j)) & 1)

    def branch(self, taken):
        self.history.append(int(bool(taken)))
