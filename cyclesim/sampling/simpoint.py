"""SimPoint: simulate one representative interval per program phase, weighted.

``cyclesim.simpoint(program, *args, interval=..., max_k=..., warmup=...)`` (docs/sampling.md):

1. profile: one functional run with a basic-block-vector collector attached
   (cyclesim/sampling/bbv.pyx), the program cut into intervals of `interval` instructions;
2. cluster: the BBVs projected and clustered by k-means, k chosen by the BIC
   (cyclesim/sampling/cluster.py); per cluster, the simulation point;
3. checkpoint: one functional pass writes a checkpoint `warmup` instructions before each
   simulation point (cyclesim.checkpoint);
4. simulate: each point resumed from its checkpoint in timing mode, on the sweep
   back-ends (local worker processes, or Dask): functional warming of the caches and
   predictors over the `warmup` prefix, its last `detailed_warmup` instructions timed but
   not measured, then the interval measured (the SMARTS machinery with one unit);
5. estimate: CPI = Σ w_i CPI_i, w_i the share of the program's instructions in cluster i,
   with the spread of the CPIs between clusters.
"""
from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields

from cyclesim.errors import CyclesimError


@dataclass(frozen=True)
class SimPointSpec:
    """How to run SimPoint (``cyclesim.simpoint``, ``cyclesim run --simpoint``).

    interval:        instructions per interval (SimPoint 3.0: 1 M to 100 M for SPEC; at
                     least 10x the caches' reach, so that warm-up matters little).
    max_k:           the most clusters tried (k = 1 .. max_k).
    warmup:          instructions of functional warming before each simulation point
                     (from the checkpoint taken there); 0 measures from cold caches.
    detailed_warmup: the last of those instructions timed but not measured (fills the
                     pipeline; clipped at warmup and at the program's start).
    dims:            dimensions of the random projection (SimPoint: 15).
    seed:            seeds the projection and the k-means starts: same seed, same points.
    restarts:        k-means starts per k (the least distortion is kept).
    bic_threshold:   the chosen k is the smallest whose BIC reaches this fraction of the
                     way from the lowest to the highest BIC (SimPoint: 0.9).
    """

    interval: int = 1_000_000
    max_k: int = 10
    warmup: int = 100_000
    detailed_warmup: int = 2_000
    dims: int = 15
    seed: int = 0
    restarts: int = 5
    bic_threshold: float = 0.9

    LIMITS = {"interval": (1_000, 1 << 40), "max_k": (1, 100), "warmup": (0, 1 << 40),
              "detailed_warmup": (0, 1 << 40), "dims": (1, 1000), "seed": (0, 1 << 63),
              "restarts": (1, 100)}

    def __post_init__(self):
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise CyclesimError(f"simpoint {name} = {value!r}: give a whole number from "
                                    f"{low:,} to {high:,}")
        if not 0 < float(self.bic_threshold) <= 1:
            raise CyclesimError(f"simpoint bic_threshold = {self.bic_threshold!r}: give a "
                                "fraction in (0, 1], e.g. 0.9")

    @classmethod
    def parse(cls, value) -> SimPointSpec:
        """True / None: the defaults; a SimPointSpec; a dict of its fields; or a string
        "interval=100000,max_k=8" (the CLI's --simpoint)."""
        if value is None or value is True:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            items = {}
            for part in filter(None, (p.strip() for p in value.split(","))):
                key, sep, text = part.partition("=")
                if not sep:
                    raise CyclesimError(f"--simpoint {value!r}: write KEY=VALUE pairs "
                                        "separated by commas, e.g. interval=100000,max_k=8")
                items[key.strip()] = text.strip()
            value = items
        if not isinstance(value, dict):
            raise CyclesimError(f"simpoint = {value!r}: give True, a dict such as "
                                "{'interval': 100000, 'max_k': 8} or a SimPointSpec")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise CyclesimError(f"simpoint has no field {', '.join(map(repr, unknown))}; the "
                                f"fields are {', '.join(known)}")
        out = {}
        for key, raw in value.items():
            if isinstance(raw, str):
                kind = float if key == "bic_threshold" else int
                try:
                    raw = kind(raw.replace("_", ""))
                except ValueError:
                    raise CyclesimError(f"simpoint {key} = {raw!r} is not a number") from None
            out[key] = raw
        return cls(**out)


@dataclass
class SimPointEstimate:
    """What a SimPoint run estimates.

    cpi, ipc:       Σ w_i CPI_i over the simulation points, and its inverse.
    spread:         the weighted standard deviation of the points' CPIs around cpi (how
                    different the phases are; not a confidence interval: each point is
                    one measurement, SimPoint gives no sampling error).
    cpi_min/max:    the least and greatest CPI among the points.
    k:              clusters chosen; bic: the BIC of each k tried.
    points:         DataFrame, one row per simulation point: cluster, interval, start,
                    instructions, weight, cpi, the MPKIs, checkpoint, host_seconds.
    labels:         the cluster of every interval, in program order.
    intervals, interval, instructions: the profile (N instructions in all).
    mpki:           per metric, Σ w_i MPKI_i.
    seconds:        host wall time of each step (profile, cluster, checkpoint, simulate)
                    and in all; simulated_instructions: timed instructions in all points.
    """

    cpi: float
    ipc: float
    spread: float
    cpi_min: float
    cpi_max: float
    k: int
    bic: dict
    interval: int
    intervals: int
    instructions: int
    mpki: dict = field(default_factory=dict)
    points: object = None
    labels: object = None
    seconds: dict = field(default_factory=dict)
    simulated_instructions: int = 0
    spec: object = None
    message: str = ""

    def summary(self) -> dict:
        d = asdict(self)
        for key in ("points", "labels", "spec"):
            d.pop(key)
        return d


def profile(program, *args, interval: int, progress: bool | None = False, **kwargs):
    """(collector, run outcome, system, info) of one functional run with the BBV
    collector attached; kwargs are those of cyclesim.run for the process (env, stdin,
    allow_read, max_insts, ...)."""
    from cyclesim.api import prepare
    from cyclesim.sampling.bbv import BBVCollector

    system, info, _ = prepare(program, *args, mode="functional", progress=progress,
                              sample_interval=None, **kwargs)
    collector = BBVCollector(interval, int(system.core.cycle))
    system.core.attach_timing(collector)
    try:
        outcome = system.run()
    finally:
        if not system.process.keep_tmp:
            system.process.remove_tmp()
    collector.finish()
    return collector, outcome, system, info


_PROCESS_KEYS = ("env", "clear_env", "stdin", "cwd", "allow_read", "allow_write",
                 "mem_limit", "seed", "max_insts", "tmp_size")


def simpoint(program, *args, interval: int | None = None, max_k: int | None = None,
             warmup: int | None = None, spec=None, config=None, preset=None, overrides=None,
             configs=None, backend: str = "processes", scheduler=None,
             workers: int | None = None, retries: int = 1, path=None,
             progress: bool | None = False, **kwargs):
    """SimPoint estimate of `program`'s CPI on the machine of config / preset / overrides.

    interval, max_k, warmup (or spec=, a SimPointSpec / dict / "k=v,..." string with the
    other fields: detailed_warmup, dims, seed, restarts, bic_threshold) say how to
    sample. configs: {name: overrides} to estimate several machines (each overrides
    dict applied on top of config / preset / overrides) from one profile and one set of
    checkpoints (the BBVs do not depend on the machine), all their points in one batch on
    the back-end; then the result is {name: SimPointEstimate}.
    The points run on `backend` ("processes": `workers` local processes, default every
    core; "dask": a LocalCluster, or `scheduler`'s cluster, whose workers must be able to
    read `path` and the program; "inline": one after another in this process, which
    saves the workers' start-up, about 2 s each, on small runs). path: where the
    checkpoints go (kept); default a temporary directory removed afterwards. Other
    keyword arguments (env, clear_env, stdin, cwd, allow_read, allow_write, mem_limit,
    max_insts, tmp_size) are those of cyclesim.run.
    """
    import numpy as np

    from cyclesim.checkpoint import checkpoint as take_checkpoints
    from cyclesim.config import resolve_config
    from cyclesim.sampling import cluster as clus

    unknown = sorted(set(kwargs) - set(_PROCESS_KEYS))
    if unknown:
        raise CyclesimError(f"simpoint() has no option {', '.join(map(repr, unknown))}; "
                            f"besides the spec it takes {', '.join(_PROCESS_KEYS)}, config, "
                            "preset, overrides, configs, backend, scheduler, workers, path")
    given = {k: v for k, v in (("interval", interval), ("max_k", max_k), ("warmup", warmup))
             if v is not None}
    if isinstance(spec, SimPointSpec):
        spec = asdict(spec)
    elif spec is not None and not isinstance(spec, (dict, str)) and spec is not True:
        raise CyclesimError(f"spec = {spec!r}: give a SimPointSpec, a dict or a string")
    base = SimPointSpec.parse(spec if spec is not None else True)
    spec = SimPointSpec(**{**asdict(base), **given})
    single = configs is None
    if single:
        configs = {None: {}}
    elif not isinstance(configs, dict) or not configs or not all(
            isinstance(v, dict) for v in configs.values()):
        raise CyclesimError(f"configs = {configs!r}: give {{name: overrides dict}}, e.g. "
                            "{'16K': {'l1d.size': '16KiB'}, '64K': {'l1d.size': '64KiB'}}")
    machines = {name: resolve_config(config, preset=preset,
                                     overrides={**(overrides or {}), **extra} or None)
                for name, extra in configs.items()}
    if backend not in ("processes", "dask", "inline"):
        raise CyclesimError(f"backend {backend!r} is not known: use 'processes', 'dask' or "
                            "'inline' (this process, no workers)")
    started = time.perf_counter()
    seconds = {}

    # 1. profile
    t = time.perf_counter()
    collector, outcome, system, info = profile(program, *args, interval=spec.interval,
                                               progress=progress, **kwargs)
    if outcome.status not in ("exited", "max_insts"):
        raise CyclesimError(f"the profiling run did not finish: {outcome.message}; SimPoint "
                            "needs a program that runs to its end (or to max_insts)")
    lengths = collector.interval_lengths()
    triples = collector.triples()
    total = int(system.core.instret)
    seconds["profile"] = time.perf_counter() - t
    program_ref = info["path"] if not info.get("bundled") else info["name"]
    guest_args = list(info["args"])

    # 2. cluster
    t = time.perf_counter()
    x = clus.normalised(triples, len(lengths), collector.blocks)
    found = clus.cluster(x, spec.max_k, seed=spec.seed, dims=spec.dims,
                         restarts=spec.restarts, threshold=spec.bic_threshold)
    labels = found["labels"]
    seconds["cluster"] = time.perf_counter() - t

    # 3. checkpoints, spec.warmup before each point's interval
    t = time.perf_counter()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    rows = []
    for c, i in found["points"]:
        members = labels == c
        rows.append({"cluster": c, "interval": i, "start": int(starts[i]),
                     "instructions": int(lengths[i]),
                     "weight": float(lengths[members].sum() / lengths.sum()),
                     "from": max(0, int(starts[i]) - spec.warmup)})
    owned = path is None
    root = tempfile.mkdtemp(prefix="cyclesim-simpoint-") if owned else os.fspath(path)
    try:
        process_kw = {k: v for k, v in kwargs.items() if k not in ("max_insts",)}
        at = sorted({r["from"] for r in rows})
        target = os.path.join(root, "checkpoints")
        if os.path.exists(target) and os.listdir(target):
            raise CyclesimError(f"{target} is not empty: give simpoint() a new path= (the "
                                "checkpoints of another run may be there)")
        written = take_checkpoints(program_ref, *guest_args, at=at, path=target,
                                   progress=progress, **process_kw)
        by_count = dict(zip(at, written)) if len(at) > 1 else {at[0]: written[0]}
        for r in rows:
            r["checkpoint"] = by_count[r["from"]]
        seconds["checkpoint"] = time.perf_counter() - t

        # 4. simulate each point of each machine from its checkpoint, on the back-end
        t = time.perf_counter()
        tasks = []
        for name, cfg in machines.items():
            for n, r in enumerate(rows):
                tasks.append(_point_task(len(tasks), (name, n), r, cfg, info, spec))
        records = {}

        def on_result(task, record):
            records[task["which"]] = record

        _run_tasks(tasks, on_result, backend, scheduler, workers, retries)
        seconds["simulate"] = time.perf_counter() - t
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)
    seconds["total"] = time.perf_counter() - started
    out = {}
    for name in machines:
        out[name] = _estimate([dict(r) for r in rows], {n: records.get((name, n))
                                                        for n in range(len(rows))},
                              spec, found, labels, lengths, total, dict(seconds), owned)
    return out[None] if single else out


def _point_task(index, which, r, cfg, info, spec) -> dict:
    """The back-end task that resumes point `r` from its checkpoint on `cfg`."""
    detailed = min(spec.detailed_warmup, r["start"] - r["from"])   # clipped
    return {"point": index, "key": str(index), "which": which, "checkpoint": r["checkpoint"],
            "config": cfg, "name": info["name"],
            "program": None if info.get("bundled") else info["path"],
            # the worker reads the program and its state from the checkpoint; the
            # back-ends' image slot travels empty
            "image": b"", "image_sha256": "checkpoint",
            "options": {"sampling": {"unit": r["instructions"], "warmup": detailed,
                                     # one unit: the period only has to leave room for
                                     # the warm-up
                                     "period": 2 + detailed // r["instructions"],
                                     "first": r["start"]},
                        "max_insts": r["start"] + r["instructions"]}}


def _run_tasks(tasks, on_result, backend, scheduler, workers, retries) -> None:
    from cyclesim.sweeps import backends

    if backend == "dask" or scheduler is not None:
        backends.run_dask(tasks, on_result, scheduler, workers, retries)
    elif backend == "inline":       # in this process, one after another
        from cyclesim.sweeps.worker import execute

        for task in tasks:
            on_result(task, execute(task))
    else:
        backends.run_local(tasks, on_result, workers, retries)


def _estimate(rows, records, spec, found, labels, lengths, total, seconds, owned):
    """Σ w_i CPI_i and the rest from the points' records."""
    import pandas as pd

    for n, r in enumerate(rows):
        rec = records.get(n)
        if rec is None or rec["status"] != "ok" or not rec["stats"].get("sampling.units"):
            why = rec["message"] if rec else "no result"
            raise CyclesimError(f"simulation point {n} (interval {r['interval']}, from "
                                f"instruction {r['start']:,}) failed: {why}")
        st = rec["stats"]
        r["cpi"] = st["core.cpi"]
        for key, value in st.items():
            if key.endswith(".mpki") and not key.startswith("sampling."):
                r[key] = value
        r["host_seconds"] = rec["host_seconds"]
        if owned:
            r.pop("checkpoint")
    points = pd.DataFrame(rows)
    w = points["weight"].to_numpy()
    cpis = points["cpi"].to_numpy()
    cpi = float((w * cpis).sum())
    spread = float(math.sqrt((w * (cpis - cpi) ** 2).sum()))
    mpki = {col: float((w * points[col].to_numpy()).sum())
            for col in points.columns if col.endswith(".mpki")}
    timed = int(sum(r["instructions"] + min(spec.detailed_warmup, r["start"] - r["from"])
                    for r in rows))
    message = (f"CPI {cpi:.4f} from {len(rows)} simulation point(s) of {spec.interval:,} "
               f"instructions (k = {found['k']} of 1..{min(spec.max_k, len(lengths))} by "
               f"BIC), spread between clusters ±{spread:.4f}")
    return SimPointEstimate(
        cpi=cpi, ipc=1 / cpi if cpi else 0.0, spread=spread, cpi_min=float(cpis.min()),
        cpi_max=float(cpis.max()), k=int(found["k"]),
        bic={int(k): float(v) for k, v in found["bic"].items()}, interval=spec.interval,
        intervals=len(lengths), instructions=total, mpki=mpki, points=points,
        labels=labels, seconds=seconds, simulated_instructions=timed, spec=spec,
        message=message)
