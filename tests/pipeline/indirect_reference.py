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
