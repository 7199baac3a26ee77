"""Bi-mode plug-in (bpred.kind = "bimode"): agreement with a plain-Python reference, a
hand-derived start, opposite-bias branches that alias in gshare, config errors."""
import pytest

from cyclesim.config import SystemConfig
from cyclesim.errors import ConfigError
from pipeline.bpred import make_predictor
from pipeline.predictors.bimode import BimodeParams
from tests.pipeline.test_tage import loop_stream, random_stream


class RefBimode:
    """Lee, Chen & Mudge 1997, written plainly: dicts of counters, history as a list."""

    def __init__(self, p):
        self.p = p
        self.choice = [1] * (1 << p.log_choice_entries)
        self.tables = {True: [2] * (1 << p.log_direction_entries),
                       False: [1] * (1 << p.log_direction_entries)}
        self.history = []

    def index(self, pc):
        w, f = self.p.log_direction_entries, 0
        for k in range(min(self.p.history_bits, len(self.history))):   # age k at bit k
            if self.history[-1 - k]:
                f ^= 1 << (k % w)
        return ((pc >> 1) ^ f) % (1 << w)

    def predict(self, pc):
        side = self.choice[(pc >> 1) % len(self.choice)] >= 2
        return self.tables[side][self.index(pc)] >= 2

    def update(self, pc, taken):
        ci = (pc >> 1) % len(self.choice)
        side = self.choice[ci] >= 2
        t, i = self.tables[side], self.index(pc)
        right = (t[i] >= 2) == taken
        t[i] = min(3, t[i] + 1) if taken else max(0, t[i] - 1)
        if not (side != taken and right):
            self.choice[ci] = min(3, self.choice[ci] + 1) if taken else max(0, self.choice[ci] - 1)
        self.history.append(bool(taken))


PARAMS = [BimodeParams(log_choice_entries=3, log_direction_entries=4, history_bits=9),
          BimodeParams(log_choice_entries=5, log_direction_entries=3, history_bits=0),
          BimodeParams(log_choice_entries=10, log_direction_entries=14, history_bits=22)]


@pytest.mark.parametrize("params", PARAMS)
def test_agrees_with_reference(params):
    for stream in (random_stream(4, 2000), loop_stream(1500)):
        fast, ref = make_predictor("bimode", params), RefBimode(params)
        for n, (pc, taken) in enumerate(stream):
            assert fast.predict_taken(pc) == ref.predict(pc), f"branch {n} at {pc:#x}"
            fast.train(pc, taken)
            ref.update(pc, taken)


def test_first_branches_by_hand():
    """Fresh: choice 1 (not-taken table), its counter 1: predict not taken. Taken:
    mispredict; the not-taken table's counter -> 2, and the choice (went against the
    outcome, the counter was wrong too) -> 2. Next, same history bits masked off
    (history_bits 0): choice 2 selects the taken table, counter 2: taken. Not taken: the
    taken table's counter -> 1; the choice went against the outcome and the counter was
    wrong: choice -> 1. Third: the not-taken table again, counter 2: taken."""
    b = make_predictor("bimode", BimodeParams(history_bits=0))
    got = []
    for taken in (True, False, True):
        got.append(b.predict_taken(0x100))
        b.train(0x100, taken)
    assert got == [False, True, True]


def test_opposite_biases_do_not_destroy_each_other():
    """Two branches that share their direction index (history 0, 2-entry direction
    tables, p = 0x80 and 0x82 both index 0): one always taken, one never. gshare with one
    shared counter flips on every branch; bi-mode's choice sends them to different
    tables."""
    stream = [(0x100, True), (0x104, False)] * 200
    bm = make_predictor("bimode", BimodeParams(log_choice_entries=4, log_direction_entries=1,
                                               history_bits=0))
    gs = make_predictor("gshare", table_entries=1, history_bits=0)
    miss = {"bimode": 0, "gshare": 0}
    for n, (pc, taken) in enumerate(stream):
        for name, p in (("bimode", bm), ("gshare", gs)):
            if n >= 20 and p.predict_taken(pc) != taken:
                miss[name] += 1
            p.train(pc, taken)
    assert miss["bimode"] == 0
    assert miss["gshare"] == len(stream) - 20


def test_config_errors():
    c = SystemConfig().with_overrides({"bpred.kind": "bimode",
                                       "bpred.kind_params.history_bits": 22})
    assert c.bpred.kind_params.history_bits == 22
    with pytest.raises(ConfigError, match=r"bpred\.kind_params\.history_bits = 64"):
        SystemConfig().with_overrides({"bpred.kind": "bimode",
                                       "bpred.kind_params.history_bits": 64}).validate()
