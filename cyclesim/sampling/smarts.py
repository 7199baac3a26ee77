"""SMARTS: systematic sampling of a timing run, with functional warming between samples.

The procedure and the statistics are those of Wunderlich, Wenisch, Falsafi and Hoe,
"SMARTS: Accelerating Microarchitecture Simulation via Rigorous Statistical Sampling",
ISCA 2003 (docs/sampling.md gives the details):

* The instruction stream is cut into *units* of U instructions. Every k-th unit is
  measured (systematic sampling), the first at offset j (units j, j + k, j + 2k, ...;
  j = 0 by default, so the program's start-up is in the sample); before each measured
  unit, W instructions of detailed warm-up (timed, not measured), and before those,
  since the previous measured unit, functional warming (caches and branch predictor
  updated, pipeline not timed). With j drawn uniformly from [0, k) every unit has the
  inclusion probability 1/k and the sample mean is an unbiased estimate of the mean
  unit CPI; a fixed j is one of those k equally likely samples.
* From the n measured units' CPIs x_i: the estimate is the sample mean x̄, the coefficient
  of variation V = s / x̄ (s the sample standard deviation), and at confidence 1 - α the
  interval x̄ (1 ± z V / √n), with z the 1 - α/2 quantile of the standard normal (the
  paper's choice: by the central limit theorem the mean of n >= 30 units is normal).
* For a target relative error ε the run needs n >= (z V / ε)²; when it has fewer
  samples, the period that would meet the target is k' = floor(N / (U n')).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from statistics import NormalDist

from cyclesim.errors import CyclesimError

#: Fewer measured units than this and the normal approximation is not trustworthy.
MIN_SAMPLES_FOR_NORMAL = 30


@dataclass(frozen=True)
class SamplingSpec:
    """How to sample a timing run (``cyclesim.run(..., sampling=...)``, ``--sample``).

    unit:         U, instructions per measured unit (SMARTS: 1000 for an 8-way core).
    warmup:       W, instructions of detailed warm-up before each unit (timed, not
                  measured; SMARTS: 2000). Must fit in the (period - 1) units before it.
    period:       k, one unit in every k is measured. Default 100 (1 % of the program
                  measured, 3 % detailed with the default U and W).
    samples:      n, the number of units wanted instead of a period; needs the
                  program's length, given by max_insts (k = max_insts // (n U)).
    confidence:   level of the confidence interval, in (0, 1).
    target_error: ε, relative half-width wanted, for the samples-needed figure.
    offset:       j, the first measured unit (0 <= j < k); "random" draws j uniformly
                  from [0, k) with `seed` (the textbook systematic sample). Default: 0
                  for a run from the program's start (its first unit, timed from the
                  cold start as the full run times it, represents the start-up), k - 1
                  for a run resumed from a checkpoint (whose cold caches are not the
                  program's state there: the first unit gets the longest warming).
    seed:         seed of the random offset.
    first:        the instruction count (from the program's start) where the first
                  measured unit begins, instead of an offset (SimPoint measures its one
                  interval this way after a checkpoint's warm-up prefix).
    """

    unit: int = 1000
    warmup: int = 2000
    period: int | None = None
    samples: int | None = None
    confidence: float = 0.95
    target_error: float = 0.02
    offset: int | str | None = None
    seed: int = 0
    first: int | None = None

    DEFAULT_PERIOD = 100

    def __post_init__(self):
        for name in ("unit", "warmup", "period", "samples", "first"):
            value = getattr(self, name)
            if value is None and name in ("period", "samples", "first"):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0 \
                    or (value == 0 and name not in ("warmup", "first")):
                least = "0" if name in ("warmup", "first") else "1"
                raise CyclesimError(f"sampling {name} = {value!r}: give a whole number of at "
                                    f"least {least}")
        if self.period is not None and self.samples is not None:
            raise CyclesimError("sampling: give either period (one unit in k) or samples "
                                "(how many units), not both")
        if not 0 < float(self.confidence) < 1:
            raise CyclesimError(f"sampling confidence = {self.confidence!r}: give a level "
                                "between 0 and 1, e.g. 0.95")
        if self.offset not in (None, "random") and (not isinstance(self.offset, int)
                                        or isinstance(self.offset, bool) or self.offset < 0):
            raise CyclesimError(f"sampling offset = {self.offset!r}: give the first measured "
                                "unit as a whole number from 0 to period - 1, or 'random'")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise CyclesimError(f"sampling seed = {self.seed!r}: give a whole number")
        if not 0 < float(self.target_error) < 1:
            raise CyclesimError(f"sampling target_error = {self.target_error!r}: give a "
                                "relative error between 0 and 1, e.g. 0.02 for ±2 %")

    @classmethod
    def parse(cls, value) -> SamplingSpec | None:
        """None/False: no sampling; True: the defaults; a SamplingSpec; a dict of its
        fields; or a string "unit=1000,period=50" (the CLI's --sample)."""
        if value is None or value is False:
            return None
        if value is True:
            return cls()
        if isinstance(value, cls):
            return value
        if type(value).__name__ == "SimPointSpec":
            raise CyclesimError("a SimPoint spec is run by cyclesim.simpoint(program, *args, "
                                "spec=...) (a profile, then one timed run per phase), not by "
                                "run(sampling=...), which is SMARTS: call cyclesim.simpoint")
        if isinstance(value, str):
            items = {}
            for part in filter(None, (p.strip() for p in value.split(","))):
                key, sep, text = part.partition("=")
                if not sep:
                    raise CyclesimError(f"--sample {value!r}: write KEY=VALUE pairs separated "
                                        "by commas, e.g. unit=1000,period=50")
                items[key.strip()] = text.strip()
            value = items
        if not isinstance(value, dict):
            raise CyclesimError(f"sampling = {value!r}: give True, a dict such as "
                                "{'unit': 1000, 'period': 50} or a SamplingSpec")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise CyclesimError(f"sampling has no field {', '.join(map(repr, unknown))}; "
                                f"the fields are {', '.join(known)}")
        out = {}
        for key, raw in value.items():
            kind = float if key in ("confidence", "target_error") else int
            if key == "offset" and raw == "random":
                out[key] = raw
                continue
            if isinstance(raw, str):
                try:
                    raw = kind(raw.replace("_", ""))
                except ValueError:
                    raise CyclesimError(f"sampling {key} = {raw!r} is not a number") from None
            out[key] = raw
        return cls(**out)

    def resolve_period(self, max_insts: int | None) -> int:
        """k for this run, checked against W."""
        if self.samples is not None:
            if max_insts is None:
                raise CyclesimError("sampling samples=n needs the program's length: give "
                                    "max_insts, or give period=k instead of samples")
            k = max(1, max_insts // (self.samples * self.unit))
        else:
            k = self.period if self.period is not None else self.DEFAULT_PERIOD
        if self.warmup > (k - 1) * self.unit:
            raise CyclesimError(f"sampling warmup W = {self.warmup:,} does not fit in the "
                                f"{k - 1} unit(s) of {self.unit:,} instructions before each "
                                "measured unit: lower warmup or raise period")
        return k

    def resolve_offset(self, period: int, resumed: bool = False) -> int:
        """j for this run: the default (0, or k - 1 when `resumed` from a checkpoint), the
        fixed offset checked against k, or a seeded draw."""
        if self.offset is None:
            return period - 1 if resumed else 0
        if self.offset == "random":
            import random

            return random.Random(self.seed).randrange(period)
        if self.offset >= period:
            raise CyclesimError(f"sampling offset j = {self.offset} is not below the period "
                                f"k = {period}: give 0 <= offset < period")
        return self.offset


@dataclass
class SamplingEstimate:
    """What a SMARTS run estimates (``result.sampling``).

    cpi, ipc:        the estimates (ipc = 1 / cpi).
    cpi_low/high:    the interval for the CPI at `confidence` (ipc_low/high: its inverse).
    half_width:      relative half-width z V / √n of the interval (0.013 = ±1.3 %).
    cv:              coefficient of variation V of the units' CPIs.
    n:               units measured; needed: units the target error needs, (z V / ε)².
    met:             half_width <= target_error and n >= 30.
    mpki:            per metric (l1d.mpki, bpred.mpki, ...): (estimate, low, high).
    units:           DataFrame, one row per measured unit: first instruction, cycles, cpi,
                     and the misses of each cache level and of the predictor.
    period, unit, warmup, offset: k, U, W, j as run; instructions: N, the whole run.
    message:         one sentence: the result, or why the target was not met and what to do.
    """

    cpi: float
    ipc: float
    cpi_low: float
    cpi_high: float
    ipc_low: float
    ipc_high: float
    half_width: float
    cv: float
    n: int
    needed: int
    met: bool
    confidence: float
    target_error: float
    period: int
    unit: int
    warmup: int
    instructions: int
    offset: int = 0
    mpki: dict = field(default_factory=dict)
    units: object = None
    message: str = ""

    def summary(self) -> dict:
        """The scalar facts as a dict (no DataFrame)."""
        d = asdict(self)
        d.pop("units")
        return d


def z_value(confidence: float) -> float:
    """The 1 - α/2 quantile of the standard normal for a two-sided level 1 - α."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def mean_interval(values, confidence: float):
    """(mean, relative half-width z s / (√n mean), coefficient of variation s / mean) of
    `values`, s the sample standard deviation (n - 1 in the denominator)."""
    n = len(values)
    if n == 0:
        return float("nan"), float("inf"), float("nan")
    mean = sum(values) / n
    if n == 1 or mean == 0:
        return mean, float("inf") if n == 1 else 0.0, float("nan") if n == 1 else 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    cv = math.sqrt(var) / mean
    return mean, z_value(confidence) * cv / math.sqrt(n), cv


def samples_needed(cv: float, confidence: float, target_error: float) -> int:
    """SMARTS: n >= (z V / ε)², at least 1."""
    if not math.isfinite(cv):
        return MIN_SAMPLES_FOR_NORMAL
    return max(1, math.ceil((z_value(confidence) * cv / target_error) ** 2))


def estimate(rows, spec: SamplingSpec, period: int, instructions: int,
             offset: int = 0) -> SamplingEstimate:
    """The SMARTS estimate from the measured units `rows` (dicts with cycles and miss
    counts, see SmartsSchedule.record), for a run of `instructions` instructions."""
    import pandas as pd

    units = pd.DataFrame(rows, columns=_unit_columns(rows))
    n = len(units)
    conf = float(spec.confidence)
    cpis = [r["cycles"] / spec.unit for r in rows]
    cpi, half, cv = mean_interval(cpis, conf)
    if n:
        units["cpi"] = [c for c in cpis]
    needed = samples_needed(cv, conf, spec.target_error)
    low, high = cpi * (1 - half), cpi * (1 + half)
    mpki = {}
    for col in units.columns:
        if col.endswith(".misses") or col == "bpred.mispredicts":
            name = col[: -len(".misses")] if col.endswith(".misses") else "bpred"
            per_unit = [1000.0 * v / spec.unit for v in units[col]]
            m, h, _ = mean_interval(per_unit, conf)
            mpki[f"{name}.mpki"] = (m, m * (1 - h), m * (1 + h)) if math.isfinite(h) \
                else (m, float("nan"), float("nan"))
    met = n >= MIN_SAMPLES_FOR_NORMAL and half <= spec.target_error
    pct = 100 * conf
    if n == 0:
        message = (f"no unit was measured: the run ended before its first measured unit "
                   f"was complete (its last instruction is the {(offset + 1) * spec.unit:,}th"
                   f"{' of the run' if offset else ''}); lower "
                   f"{'the offset or the unit' if offset else 'the unit'}")
    elif met:
        message = (f"CPI {cpi:.4f} ± {100 * half:.2f} % at {pct:g} % confidence from {n:,} "
                   f"units: within the target ±{100 * spec.target_error:g} %")
    else:
        better = max(1, instructions // (spec.unit * max(needed, MIN_SAMPLES_FOR_NORMAL)))
        why = (f"only {n} units were measured (the normal approximation needs at least "
               f"{MIN_SAMPLES_FOR_NORMAL})" if n < MIN_SAMPLES_FOR_NORMAL else
               f"the interval is ±{100 * half:.2f} %")
        least = -(-spec.warmup // spec.unit) + 1         # the smallest period W fits in
        advice = (f"rerun with period={better}" if better >= least else
                  f"even period={least} measures too few: run it in full (no sampling), "
                  "or sample a longer run")
        message = (f"target ±{100 * spec.target_error:g} % at {pct:g} % confidence NOT met: "
                   f"{why}; it needs n >= {max(needed, MIN_SAMPLES_FOR_NORMAL):,} units, "
                   f"this run measured {n:,}: {advice}")
    return SamplingEstimate(
        cpi=cpi, ipc=1 / cpi if cpi else 0.0, cpi_low=low, cpi_high=high,
        ipc_low=1 / high if high > 0 and math.isfinite(high) else 0.0,
        ipc_high=1 / low if low > 0 else float("inf"), half_width=half, cv=cv, n=n,
        needed=needed, met=met, confidence=conf, target_error=float(spec.target_error),
        period=period, unit=spec.unit, warmup=spec.warmup, instructions=int(instructions),
        offset=int(offset), mpki=mpki, units=units, message=message)


def _unit_columns(rows):
    if not rows:
        return ["start", "cycles"]
    return list(rows[0])


class SmartsSchedule:
    """Drives one sampled run: which phase the instruction stream is in, how far the
    current quantum may go, and what to do at each phase boundary. The engine calls
    budget() before and boundary() after every quantum (Python, once per phase)."""

    WARMING, DETAILED_WARMUP, MEASURE = "warming", "warmup", "measure"

    def __init__(self, spec: SamplingSpec, period: int, core, timing, hierarchy, warmer,
                 start: int, offset: int = 0):
        self.spec = spec
        self.period = period
        self.offset = int(offset)         # j: the first measured unit
        self.start = int(start)           # instret where the run (unit 0) begins
        self.first = self.start + self.offset * spec.unit if spec.first is None \
            else int(spec.first)          # instret where the first measured unit begins
        if self.first < self.start:
            raise CyclesimError(f"sampling first = {spec.first:,} is before the run's start "
                                f"(instruction {self.start:,}, where it resumed): give a "
                                "later instruction")
        self.core = core                  # the functional core (cyclesim.isa.core.Core)
        self.timing = timing              # the detailed in-order core
        self.hierarchy = hierarchy
        self.warmer = warmer              # FunctionalWarmer of `timing`
        self.rows: list[dict] = []
        self._warmed = 0                  # instructions of the warming phases that ended
        self._warm_from = None            # instret where the current warming phase began
        self._cache_names = [name for name in hierarchy.levels if name.startswith("l")]
        self.phase = None
        self._enter(self._phase_at(self.start), self.start)

    # -- where we are -----------------------------------------------------------------
    def _bounds(self, instret: int):
        """(phase, first instruction of the next phase) at instret.

        Measured units begin at start + (j + m k) U, m = 0, 1, ...; the W instructions
        before each are detailed warm-up, clipped at the run's start (a unit within W of
        the start is preceded by detailed simulation from the start, which is what the
        full run does there); the rest since the previous unit is functional warming."""
        u, w = self.spec.unit, self.spec.warmup
        length = self.period * u
        first = self.first
        if instret < first:
            unit = first
        else:
            unit = first + (instret - first) // length * length
            if instret < unit + u:
                return self.MEASURE, unit + u
            unit += length
        previous_end = unit - length + u if unit > first else self.start
        warm = max(unit - w, previous_end)
        if instret < warm:
            return self.WARMING, warm
        return self.DETAILED_WARMUP, unit

    def _phase_at(self, instret):
        return self._bounds(instret)[0]

    def budget(self, instret: int) -> int:
        """Instructions until the next phase boundary."""
        return self._bounds(instret)[1] - instret

    # -- moving between phases ----------------------------------------------------------
    def boundary(self, instret: int):
        """Called after every quantum: at the end of a phase (a quantum stopped early by
        a syscall is not one) record a measured unit and switch to the next phase."""
        if instret < self.next_boundary:
            return
        if self.phase == self.MEASURE:
            self.record(instret - self.spec.unit)
        self._enter(self._phase_at(instret), instret)

    def _enter(self, phase, instret):
        if phase == self.WARMING:
            if self.phase != self.WARMING:
                self.warmer.take_over()
                self.core.attach_timing(self.warmer)
                self._warm_from = instret
        else:
            if self.phase == self.WARMING:     # (at the start the detailed core runs)
                self._warmed += instret - self._warm_from
                self._warm_from = None
                self.warmer.hand_back()
                self.core.attach_timing(self.timing)
            if phase == self.MEASURE:
                self.timing.reset_stats()
                self.hierarchy.reset_stats()
        self.phase = phase
        self.next_boundary = self._bounds(instret)[1]

    def record(self, first: int):
        """The unit [first, first + U) was measured: keep its cycles and miss counts."""
        t = self.timing.stats()
        row = {"start": first, "cycles": int(t["core.cycles"]),
               "bpred.mispredicts": int(t["bpred.mispredicts"])}
        for name in self._cache_names:
            row[f"{name}.misses"] = int(self.hierarchy.levels[name].stats()["misses"])
        self.rows.append(row)

    @property
    def warmed_instructions(self) -> int:
        """Instructions run in functional warming so far."""
        now = int(self.core.instret) - self._warm_from if self._warm_from is not None else 0
        return self._warmed + now

    @property
    def clock(self) -> int:
        """The run's clock: the warmer's in warming, the detailed core's otherwise."""
        return int(self.core.cycle)


def sampled_stats(est: SamplingEstimate) -> dict:
    """The statistics a sampled run reports (result.stats): the estimates, not counters.

    core.instructions is every instruction of the run, core.cycles the estimated cycles
    (CPI estimate x instructions); MPKIs are estimates; sampling.* describe the sample."""
    n_inst = est.instructions
    cpi = est.cpi if est.n else float("nan")
    stats = {
        "core.instructions": n_inst,
        "core.cycles": round(cpi * n_inst) if est.n else 0,
        "core.cpi": cpi,
        "core.ipc": est.ipc if est.n else float("nan"),
        "sampling.cpi_low": est.cpi_low,
        "sampling.cpi_high": est.cpi_high,
        "sampling.half_width": est.half_width,
        "sampling.cv": est.cv,
        "sampling.units": est.n,
        "sampling.units_needed": est.needed,
        "sampling.target_met": float(est.met),
        "sampling.confidence": est.confidence,
        "sampling.target_error": est.target_error,
        "sampling.period": est.period,
        "sampling.unit": est.unit,
        "sampling.warmup": est.warmup,
        "sampling.offset": est.offset,
        "sampling.measured_instructions": est.n * est.unit,
    }
    for name, (value, low, high) in est.mpki.items():
        stats[name] = value
        stats[f"sampling.{name}_low"] = low
        stats[f"sampling.{name}_high"] = high
    return stats
