"""The SMARTS statistics (cyclesim/sampling/smarts.py) against hand-computed values, the
phase schedule, and the checks on a sampling spec."""
import math

import pytest

from cyclesim.errors import CyclesimError
from cyclesim.sampling.smarts import (SamplingSpec, SmartsSchedule, estimate, mean_interval,
                                      sampled_stats, samples_needed, z_value)


def test_z_values_are_the_normal_quantiles():
    # Standard normal tables: 95 % two-sided -> 1.959964, 99.7 % -> 2.967738 (SMARTS
    # quotes z = 3 for 99.7 %), 90 % -> 1.644854.
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.997) == pytest.approx(2.967738, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


def test_mean_interval_by_hand():
    # x = 1, 2, 3, 4: mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5;
    # s^2 = 5 / 3, s = 1.2909944; V = s / mean = 0.5163978;
    # half-width at 95 %: 1.959964 * 0.5163978 / sqrt(4) = 0.5060605.
    mean, half, cv = mean_interval([1.0, 2.0, 3.0, 4.0], 0.95)
    assert mean == 2.5
    assert cv == pytest.approx(0.5163978, abs=1e-7)
    assert half == pytest.approx(0.5060605, abs=1e-7)


def test_samples_needed_by_hand():
    # n >= (z V / eps)^2 = (1.959964 * 0.5163978 / 0.02)^2 = 50.60604^2 = 2560.97 -> 2561
    assert samples_needed(0.5163978, 0.95, 0.02) == 2561
    # V = 0.1, 99.7 %, 3 %: (2.967738 * 0.1 / 0.03)^2 = 9.892460^2 = 97.86 -> 98
    assert samples_needed(0.1, 0.997, 0.03) == 98
    assert samples_needed(0.0, 0.95, 0.02) == 1


def test_estimate_of_units_by_hand():
    # 40 units of U = 1000 instructions: 20 take 1000 cycles (CPI 1), 20 take 3000 (CPI 3).
    # mean 2; s^2 = 40 * 1 / 39 = 1.025641, s = 1.012739; V = 0.5063697;
    # half-width 1.959964 * 0.5063697 / sqrt(40) = 0.1569227 -> [1.686155, 2.313845];
    # needed (1.959964 * 0.5063697 / 0.02)^2 = 49.62335^2 = 2462.5 -> 2463.
    # l1d misses 5 and 15 per unit: MPKI 5 and 15, mean 10, same V, so [8.430773, 11.569227].
    rows = [{"start": 10_000 * i, "cycles": 1000 if i % 2 else 3000,
             "bpred.mispredicts": 0, "l1d.misses": 5 if i % 2 else 15} for i in range(40)]
    spec = SamplingSpec(unit=1000, warmup=2000, period=10)
    est = estimate(rows, spec, period=10, instructions=400_000)
    assert est.n == 40 and est.cpi == 2.0 and est.ipc == 0.5
    assert est.cv == pytest.approx(0.5063697, abs=1e-7)
    assert est.half_width == pytest.approx(0.1569227, abs=1e-7)
    assert (est.cpi_low, est.cpi_high) == (pytest.approx(1.686155, abs=1e-6),
                                           pytest.approx(2.313845, abs=1e-6))
    assert est.ipc_low == pytest.approx(1 / 2.313845, abs=1e-6)
    assert est.needed == 2463
    assert not est.met
    assert "NOT met" in est.message and "2,463" in est.message
    # 2463 units of 1000 in 400,000 instructions: period 400000 // 2463000 = 0 -> none fits
    assert "run it in full" in est.message
    m, lo, hi = est.mpki["l1d.mpki"]
    assert (m, lo, hi) == (10.0, pytest.approx(8.430773, abs=1e-6),
                           pytest.approx(11.569227, abs=1e-6))
    assert list(est.units["cpi"][:2]) == [3.0, 1.0]
    stats = sampled_stats(est)
    assert stats["core.cycles"] == 800_000 and stats["core.cpi"] == 2.0
    assert stats["sampling.units_needed"] == 2463 and stats["l1d.mpki"] == 10.0


def test_a_met_target_says_so():
    # 100 units, CPIs alternating 1.98 and 2.02: mean 2, s = 0.02 * sqrt(100/99) = 0.0201008,
    # V = 0.0100504, half-width 1.959964 * 0.0100504 / 10 = 0.0019698 (< 2 %).
    rows = [{"start": i, "cycles": 1980 if i % 2 else 2020} for i in range(100)]
    est = estimate(rows, SamplingSpec(), period=100, instructions=10_000_000)
    assert est.half_width == pytest.approx(0.0019698, abs=1e-7)
    assert est.met and "within the target" in est.message


def test_too_few_units_is_not_met_even_with_a_narrow_interval():
    rows = [{"start": i, "cycles": 2000} for i in range(10)]
    est = estimate(rows, SamplingSpec(), period=100, instructions=1_000_000)
    assert est.half_width == 0.0 and not est.met
    assert "at least 30" in est.message


def test_no_unit_measured():
    est = estimate([], SamplingSpec(), period=100, instructions=50_000)
    assert est.n == 0 and math.isnan(est.cpi) and not est.met
    assert "no unit was measured" in est.message


class _Stub:
    """Stands for the core, the detailed model, the hierarchy and the warmer: records
    what the schedule asks of them."""

    def __init__(self, log):
        self.log = log
        self.levels = {"l1d": self}

    def attach_timing(self, model):
        self.log.append(("attach", model.name))

    def take_over(self):
        self.log.append(("take_over",))

    def hand_back(self):
        self.log.append(("hand_back",))

    def reset_stats(self):
        self.log.append(("reset", self.name))

    def stats(self):
        return {"core.cycles": 1234, "bpred.mispredicts": 3, "misses": 7}


def test_schedule_phases_and_budgets():
    # U = 100, W = 200, k = 5, offset j = 0: measured units begin at 0, 500, 1000, ...
    # Unit 0 is measured from the (cold) start, as the full run times it; then warming
    # [100, 300), detailed warm-up [300, 500) (the W before unit 500), measured [500, 600).
    log = []
    core, timing, hier, warmer = (_Stub(log) for _ in range(4))
    timing.name, warmer.name, hier.name = "detailed", "warmer", "hierarchy"
    sched = SmartsSchedule(SamplingSpec(unit=100, warmup=200, period=5), 5, core, timing,
                           hier, warmer, start=0)
    assert sched.phase == "measure" and sched.budget(0) == 100 and sched.budget(40) == 60
    assert log == [("reset", "detailed"), ("reset", "hierarchy")]   # detailed core stays
    sched.boundary(40)                       # a syscall stopped the quantum early: nothing
    assert sched.phase == "measure"
    sched.boundary(100)
    assert sched.phase == "warming" and sched.budget(100) == 200 and sched.budget(150) == 150
    assert log[-2:] == [("take_over",), ("attach", "warmer")]
    sched.boundary(300)
    assert sched.phase == "warmup" and sched.budget(300) == 200
    assert log[-2:] == [("hand_back",), ("attach", "detailed")]
    sched.boundary(500)
    assert sched.phase == "measure" and sched.budget(500) == 100
    assert log[-2:] == [("reset", "detailed"), ("reset", "hierarchy")]
    sched.boundary(600)
    assert sched.phase == "warming" and sched.budget(600) == 200
    assert [r["start"] for r in sched.rows] == [0, 500]
    assert sched.rows[0] == {"start": 0, "cycles": 1234, "bpred.mispredicts": 3,
                             "l1d.misses": 7}


def test_schedule_with_an_offset():
    # U = 100, W = 200, k = 5, j = 3, start 1000: units begin at 1300, 1800, ...
    # Before 1300 the W = 200 of warm-up would begin at 1100, after 100 instructions of
    # warming [1000, 1100); then [1400, 1600) warming, [1600, 1800) warm-up.
    log = []
    core, timing, hier, warmer = (_Stub(log) for _ in range(4))
    timing.name, warmer.name, hier.name = "detailed", "warmer", "hierarchy"
    sched = SmartsSchedule(SamplingSpec(unit=100, warmup=200, period=5, offset=3), 5, core,
                           timing, hier, warmer, start=1000, offset=3)
    assert sched.phase == "warming" and sched.budget(1000) == 100
    assert [sched._bounds(i) for i in (1100, 1300, 1400, 1600, 1800)] == [
        ("warmup", 1300), ("measure", 1400), ("warming", 1600), ("warmup", 1800),
        ("measure", 1900)]
    # j = 1: the W before unit 1100 reaches back past the start: detailed from the start.
    sched = SmartsSchedule(SamplingSpec(unit=100, warmup=200, period=5, offset=1), 5, core,
                           timing, hier, warmer, start=1000, offset=1)
    assert sched.phase == "warmup" and sched.budget(1000) == 100


def test_offsets():
    assert SamplingSpec().resolve_offset(10) == 0
    assert SamplingSpec().resolve_offset(10, resumed=True) == 9
    assert SamplingSpec(offset=0).resolve_offset(10, resumed=True) == 0
    assert SamplingSpec(offset=9).resolve_offset(10) == 9
    with pytest.raises(CyclesimError, match="not below the period"):
        SamplingSpec(offset=10).resolve_offset(10)
    with pytest.raises(CyclesimError, match="offset = -1"):
        SamplingSpec(offset=-1)
    drawn = {SamplingSpec(offset="random", seed=s).resolve_offset(10) for s in range(40)}
    assert drawn <= set(range(10)) and len(drawn) > 5          # uniform over [0, k)
    same = SamplingSpec.parse("offset=random,seed=7")
    assert same.resolve_offset(10) == SamplingSpec(offset="random", seed=7).resolve_offset(10)


def test_schedule_without_warming_measures_every_unit():
    # U = 100, W = 0, k = 1: every instruction is measured, unit after unit.
    log = []
    core, timing, hier, warmer = (_Stub(log) for _ in range(4))
    timing.name, warmer.name, hier.name = "detailed", "warmer", "hierarchy"
    sched = SmartsSchedule(SamplingSpec(unit=100, warmup=0, period=1), 1, core, timing, hier,
                           warmer, start=1000)
    assert sched.phase == "measure" and sched.budget(1000) == 100
    sched.boundary(1100)
    sched.boundary(1200)
    assert [r["start"] for r in sched.rows] == [1000, 1100]


@pytest.mark.parametrize("value,words", [
    ({"unit": 0}, "unit = 0"),
    ({"warmup": -1}, "warmup = -1"),
    ({"period": 10, "samples": 5}, "not both"),
    ({"confidence": 1.5}, "between 0 and 1"),
    ({"target_error": 0}, "relative error"),
    ({"bogus": 1}, "no field 'bogus'"),
    ("unit", "KEY=VALUE"),
    ("period=ten", "not a number"),
    (3.5, "give True"),
])
def test_bad_specs_are_one_sentence(value, words):
    with pytest.raises(CyclesimError, match=words):
        SamplingSpec.parse(value)


def test_spec_parsing_and_period():
    spec = SamplingSpec.parse("unit=500, warmup=1000, period=20, confidence=0.99")
    assert (spec.unit, spec.warmup, spec.period, spec.confidence) == (500, 1000, 20, 0.99)
    assert spec.resolve_period(None) == 20
    assert SamplingSpec.parse(True).resolve_period(None) == SamplingSpec.DEFAULT_PERIOD
    assert SamplingSpec.parse(None) is None and SamplingSpec.parse(False) is None
    # samples=n over max_insts: k = 10,000,000 // (200 * 1000) = 50
    assert SamplingSpec(samples=200).resolve_period(10_000_000) == 50
    with pytest.raises(CyclesimError, match="needs the program's length"):
        SamplingSpec(samples=200).resolve_period(None)
    with pytest.raises(CyclesimError, match="does not fit"):
        SamplingSpec(unit=1000, warmup=2000, period=2).resolve_period(None)
