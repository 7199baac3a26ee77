"""Parameter sweeps: many (workload, config) points on every local core or on a Dask
cluster, each result stored the moment it finishes, so a rerun skips what is done.

    import cyclesim
    df = cyclesim.sweep(["fib", "sort"], grid={"l1d.size": ["16KiB", "32KiB", "64KiB"]},
                        store="results/l1d")
    df.pivot(index="l1d.size", columns="workload", values="core.ipc")

One row per point: `workload`, `args`, one column per varied parameter, `status` ("ok",
"fault" or "error"), `message`, `run_status` (the SimResult status), `exit_code`, every
statistic of the run ("core.ipc", "l1d.mpki", ...) and `host_seconds` (the only column
that changes between identical runs). Rows are in point order: workloads outermost, then
the grid in the order given (the last grid key varies fastest); the index is the point.
"""
from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import logging
import os
import sys
import time
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cyclesim.errors import CyclesimError

__all__ = ["load_sweep", "sweep"]

log = logging.getLogger("cyclesim.sweep")

# run() options a sweep passes through; traces and display options make no sense for a
# table of statistics.
_RUN_OPTIONS = ("mode", "env", "clear_env", "stdin", "allow_read", "allow_write", "mem_limit",
                "max_insts", "max_cycles", "stop_at", "warmup", "roi", "sample_interval",
                "seed")
_LEADING = ("workload", "args")
_RESULT = ("status", "message", "run_status", "exit_code")


@dataclass
class _Workload:
    name: str            # argv[0] and the `workload` column
    args: list[str]
    image: bytes
    sha256: str
    trace: dict | None = None   # an address trace instead of a program (trace-driven mode)


@dataclass
class _Point:
    index: int
    workload: _Workload
    params: dict         # column -> value of the varied parameters
    config: object = None   # SystemConfig, or None when invalid
    error: str = ""         # why the config is invalid
    key: str = ""


@dataclass
class _Tally:
    total: int = 0
    skipped: int = 0
    ran: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)


def sweep(workloads, grid=None, *, base=None, preset=None, store=None,
          backend: str = "processes", scheduler=None, workers: int | None = None,
          retries: int = 2, progress: bool | None = None, **run_options) -> pd.DataFrame:
    """Run every workload on every point of `grid` and return one row per point.

    workloads: workload names, ELF paths, or (program, args) pairs such as ("fib", [20]);
      or address traces (cyclesim.caches.Trace objects, e.g. Trace("app.din")), which run
      trace-driven through the caches of each point (docs/trace-driven.md; with a remote
      Dask cluster the trace file's path must be readable on the workers).
    grid: {"l1d.size": ["16KiB", "32KiB"], "l1d.policy": ["lru", "srrip"]} (every
      combination; a "preset" key varies the preset), or a list of points, each an
      overrides dict, a SystemConfig, a preset name or a config file.
    base / preset: the machine the grid is applied to (as config= / preset= of run).
    store: a directory; each finished point is written there at once and a rerun with
      the same store skips it. load_sweep(store) reads the table back.
    backend: "processes" (a pool of `workers` processes, default every core) or "dask"
      (a LocalCluster of `workers` processes, unless `scheduler` is given). scheduler: a
      Dask address "tcp://host:8786" or a dask.distributed.Client (implies Dask).
    retries: how many times a point whose worker died is tried again on a fresh worker.
    run_options: mode, warmup, roi, max_insts, max_cycles, stop_at, mem_limit, seed, env,
      stdin, sample_interval, allow_read, allow_write, as in cyclesim.run.

    A guest fault or an invalid config is a row with its status and message; Ctrl-C stops
    the workers, keeps what finished and raises KeyboardInterrupt. The frame's attrs say
    how many points were skipped (already stored), ran and failed.
    """
    from cyclesim import __version__
    from cyclesim.config import resolve_config
    from cyclesim.progress import wanted
    from cyclesim.sweeps import backends
    from cyclesim.sweeps.store import Store
    from cyclesim.sweeps.worker import TRANSIENT

    if backend not in ("processes", "dask"):
        raise CyclesimError(f"backend {backend!r} is not known: use 'processes' or 'dask'")
    if scheduler is not None:
        backend = "dask"
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise CyclesimError(f"workers = {workers!r}: give a whole number of at least 1")
    if not isinstance(retries, int) or retries < 0:
        raise CyclesimError(f"retries = {retries!r}: give a whole number of at least 0")
    options, options_key = _run_options(run_options)
    base_config = resolve_config(base, preset=preset)
    programs = _workloads(workloads)
    columns, configs = _grid(grid, base, preset, base_config, resolve_config)
    points = []
    for w in programs:
        for params, cfg, error in configs:
            points.append(_Point(len(points), w, params, cfg, error))
    for p in points:
        p.key = _key(p, options_key, base_config, __version__)

    st = Store(store) if store is not None else None
    if st is not None:
        st.write_manifest({"cyclesim": __version__, "columns": columns,
                           "points": [{"point": p.index, "key": p.key,
                                       "workload": p.workload.name,
                                       "args": p.workload.args,
                                       "params": p.params} for p in points]})
    records: dict[str, dict] = {}
    tally = _Tally(total=len(points))
    by_key: dict[str, list[_Point]] = {}
    for p in points:
        by_key.setdefault(p.key, []).append(p)
    finished = st.finished() if st is not None else set()
    todo = []
    for key, group in by_key.items():
        if key in finished:
            record = st.read(key)
            if record["run_status"] not in TRANSIENT + (backends.DIED,):
                records[key] = record
                tally.skipped += len(group)
                tally.failed += len(group) * (record["status"] != "ok")
                continue
        p = group[0]
        if p.config is None:
            record = _config_error(p.error)
            _finish(st, p, record, records, tally, len(group))
            continue
        todo.append({"point": p.index, "key": key, "name": p.workload.name,
                     "args": p.workload.args, "image": p.workload.image,
                     "image_sha256": p.workload.sha256, "config": p.config,
                     "trace": p.workload.trace,
                     "options": options})
    if tally.skipped:
        log.info("sweep: %d of %d points are already in %s and are skipped", tally.skipped,
                 len(points), store)
    bar = _progress_bar(wanted(progress), tally)

    def on_result(task, record):
        group = by_key[task["key"]]
        if record["run_status"] in TRANSIENT:
            return  # cut short from outside: not a result; a rerun runs it again
        _finish(st, group[0], record, records, tally, len(group))
        if bar is not None:
            bar.update(len(group))
            bar.set_postfix_str(_postfix(tally), refresh=False)

    try:
        if backend == "dask":
            backends.run_dask(todo, on_result, scheduler, workers, retries)
        else:
            backends.run_local(todo, on_result, workers, retries)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
            bar = None
        where = f"; they are stored in {store}, rerun to finish" if st is not None else ""
        log.warning("sweep interrupted: %d of %d points finished%s",
                    tally.skipped + tally.ran, len(points), where)
        raise
    finally:
        if bar is not None:
            bar.close()
    frame = _frame(points, records, columns)
    frame.attrs.update({"points": len(points), "skipped": tally.skipped, "ran": tally.ran,
                        "failed": tally.failed,
                        "store": None if store is None else str(store)})
    return frame


def load_sweep(directory: str | os.PathLike) -> pd.DataFrame:
    """The table of the sweep stored in `directory`, in point order. Points that have not
    finished yet (an interrupted sweep) are left out; attrs["pending"] counts them."""
    from cyclesim.sweeps.store import Store

    if not Path(directory).is_dir():
        raise CyclesimError(f"{directory} is not a directory: give the store= directory "
                            "of a sweep")
    st = Store(directory)
    manifest = st.read_manifest()
    finished = st.finished()
    points, records = [], {}
    for entry in manifest["points"]:
        w = _Workload(entry["workload"], list(entry["args"]), b"", "")
        p = _Point(entry["point"], w, entry["params"], key=entry["key"])
        points.append(p)
        if p.key in finished and p.key not in records:
            records[p.key] = st.read(p.key)
    frame = _frame(points, records, manifest["columns"])
    frame.attrs.update({"points": len(points), "pending": len(points) - len(frame),
                        "store": str(directory)})
    return frame


# -- building the points --------------------------------------------------------------------

def _workloads(workloads) -> list[_Workload]:
    from cyclesim import workloads as registry

    if isinstance(workloads, (str, os.PathLike)):
        workloads = [workloads]
    if not isinstance(workloads, Iterable):
        raise CyclesimError(f"workloads = {workloads!r}: give a list of workload names, "
                            "ELF paths or (program, args) pairs")
    out = []
    cache: dict[str, bytes] = {}
    for item in workloads:
        trace = _trace_workload(item)
        if trace is not None:
            out.append(trace)
            continue
        if isinstance(item, (str, os.PathLike)):
            program, args = item, []
        elif isinstance(item, (tuple, list)) and item and isinstance(item[0], (str, os.PathLike)):
            program, rest = item[0], list(item[1:])
            if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
                rest = list(rest[0])
            args = rest
        else:
            raise CyclesimError(f"workload {item!r} is not a name, a path or a (program, "
                                "args) pair such as ('fib', [20])")
        for a in args:
            if not isinstance(a, (str, int, float, os.PathLike)) or isinstance(a, bool):
                raise CyclesimError(f"workload {item!r} has the argument {a!r}; give the "
                                    "guest's arguments as strings or numbers, e.g. "
                                    "('matmul', [250])")
        name = os.fspath(program)
        path = registry.resolve(program)
        key = str(path)
        if key not in cache:
            cache[key] = path.read_bytes()
        image = cache[key]
        out.append(_Workload(name, [str(a) for a in args], image,
                             hashlib.sha256(image).hexdigest()))
    if not out:
        raise CyclesimError("workloads is empty: give at least one workload")
    return out


def _grid(grid, base, preset, base_config, resolve_config):
    """(varied columns, [(params, config or None, error)])."""
    if grid is None or (isinstance(grid, Mapping) and not grid):
        return [], [({}, base_config, "")]
    if isinstance(grid, Mapping):
        keys = list(grid)
        values = []
        for k in keys:
            v = grid[k]
            if isinstance(v, (str, bytes, Mapping)) or not isinstance(v, Iterable):
                raise CyclesimError(f"grid[{k!r}] = {v!r}: give a list of values, e.g. "
                                    f"[{v!r}]")
            v = list(v)
            if not v:
                raise CyclesimError(f"grid[{k!r}] is an empty list: give at least one value")
            values.append(v)
        points = []
        for combo in itertools.product(*values):
            params = dict(zip(keys, combo))
            points.append((params, *_resolve(params, base, preset, base_config,
                                             resolve_config)))
        return keys, points
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Iterable):
        raise CyclesimError(f"grid = {grid!r}: give a dict of config fields and value lists, "
                            "or a list of configs / override dicts")
    items = list(grid)
    if not items:
        raise CyclesimError("grid is an empty list: give at least one point")
    resolved, given = [], []
    for item in items:
        if isinstance(item, Mapping):
            cfg, error = _resolve(dict(item), base, preset, base_config, resolve_config)
            given.append(dict(item))
        else:
            try:
                cfg, error = resolve_config(item), ""
            except CyclesimError as e:
                cfg, error = None, str(e)
            given.append({})
        resolved.append((cfg, error))
    flats = [cfg.to_flat_dict() if cfg is not None else None for cfg, _ in resolved]
    keys = list(dict.fromkeys(k for g in given for k in g))
    valid = [f for f in flats if f is not None]
    for k in dict.fromkeys(k for f in valid for k in f):  # every field, first-seen order
        if k not in keys and len({json.dumps(f.get(k), default=str) for f in valid}) > 1:
            keys.append(k)
    points = []
    for (cfg, error), flat, g in zip(resolved, flats, given):
        params = {k: (flat.get(k) if flat is not None and k in flat else g.get(k))
                  for k in keys}
        points.append((params, cfg, error))
    return keys, points


def _resolve(params, base, preset, base_config, resolve_config):
    overrides = dict(params)
    try:
        if "preset" in overrides:
            return resolve_config(base, preset=overrides.pop("preset"),
                                  overrides=overrides), ""
        return base_config.with_overrides(overrides), ""
    except CyclesimError as e:
        return None, str(e)


def _run_options(run_options) -> tuple[dict, dict]:
    """(options for the worker, their JSON form for the key)."""
    from cyclesim.api import run
    from cyclesim.units import parse_size

    unknown = [k for k in run_options if k not in _RUN_OPTIONS]
    if unknown:
        known = inspect.signature(run).parameters
        what = ("is an option of run() that a sweep does not take (a sweep keeps "
                "statistics only)" if unknown[0] in known else "is not a run option")
        raise CyclesimError(f"{unknown[0]} {what}; sweep takes {', '.join(_RUN_OPTIONS)}")
    defaults = {k: p.default for k, p in inspect.signature(run).parameters.items()
                if k in _RUN_OPTIONS}
    o = {**defaults, **run_options}
    if o["mode"] not in ("timing", "functional"):
        raise CyclesimError(f"mode {o['mode']!r} is not known: use 'timing' or 'functional'")
    for name in ("max_insts", "max_cycles", "warmup"):
        value = o[name]
        if value is not None and (not isinstance(value, int) or value < 0):
            raise CyclesimError(f"{name} = {value!r}: give a non-negative whole number")
    if isinstance(o["stdin"], str):
        o["stdin"] = o["stdin"].encode()
    o["mem_limit"] = (parse_size(o["mem_limit"]) if isinstance(o["mem_limit"], str)
                      else int(o["mem_limit"]))
    o["env"] = dict(o["env"]) if o["env"] is not None else None
    o["allow_read"] = [os.fspath(p) for p in o["allow_read"]]
    if o["allow_write"] is not None:
        o["allow_write"] = os.fspath(o["allow_write"])
    key = dict(o)
    key["stdin"] = hashlib.sha256(bytes(o["stdin"])).hexdigest()
    return o, key


def _trace_workload(item):
    """A _Workload for a cyclesim.caches.Trace, else None. A file trace travels as its path
    (hashed by content, so a changed file is a new point); an in-memory one as its pickled
    columns."""
    from caches.tracefile import Trace

    if not isinstance(item, Trace):
        return None
    h = hashlib.sha256()
    if item.path is not None:
        with open(item.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        image = b""
        spec = {"path": os.path.abspath(item.path), "format": item.format,
                "default_size": item.default_size}
    else:
        import pickle
        image = pickle.dumps({k: v for k, v in item._columns.items()},
                             protocol=pickle.HIGHEST_PROTOCOL)
        h.update(image)
        spec = {"path": None, "format": "arrays", "default_size": item.default_size,
                "instructions": item.instructions}
    return _Workload(item.name, [], image, h.hexdigest(), spec)


def _key(p: _Point, options_key: dict, base_config, version: str) -> str:
    if p.config is not None:
        config = p.config.to_dict()
    else:  # an invalid point: its overrides over the base identify it
        config = {"invalid": p.params, "base": base_config.to_dict()}
    data = {"cyclesim": version, "program": p.workload.sha256, "argv0": p.workload.name,
            "args": p.workload.args, "config": config, "options": options_key}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _config_error(message: str) -> dict:
    from cyclesim.sweeps.worker import error_record

    record = error_record(f"invalid config: {message}")
    return record


def _args_text(args: list[str]) -> str:
    return " ".join(args)


# -- results --------------------------------------------------------------------------------

def _finish(st, p: _Point, record, records, tally: _Tally, count: int) -> None:
    if st is not None:
        st.write(p.key, p.workload.name, _args_text(p.workload.args), record)
    records[p.key] = record
    tally.ran += count
    tally.failed += count * (record["status"] != "ok")


def _frame(points, records, columns) -> pd.DataFrame:
    rows, index = [], []
    stat_names: set[str] = set()
    for p in points:
        r = records.get(p.key)
        if r is None:
            continue
        row = {"workload": p.workload.name, "args": _args_text(p.workload.args)}
        row.update({c: p.params.get(c) for c in columns})
        row.update({k: r[k] for k in _RESULT})
        row.update(r["stats"])
        row["host_seconds"] = r["host_seconds"]
        stat_names.update(r["stats"])
        rows.append(row)
        index.append(p.index)
    order = list(_LEADING) + [c for c in columns if c not in _LEADING] + list(_RESULT)
    order += sorted(stat_names - set(order)) + ["host_seconds"]
    frame = pd.DataFrame(rows, columns=order, index=pd.Index(index, name="point",
                                                             dtype="int64"))
    frame["exit_code"] = frame["exit_code"].astype("Int64")
    for c in sorted(stat_names) + ["host_seconds"]:
        frame[c] = frame[c].astype("float64")
    for c in ("workload", "args", "status", "message", "run_status"):
        frame[c] = frame[c].astype("object")
    return frame


def _progress_bar(show: bool, tally: _Tally):
    if not show:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    bar = tqdm(total=tally.total, initial=tally.skipped + tally.ran, desc="sweep",
               unit="pt", dynamic_ncols=True)
    bar.set_postfix_str(_postfix(tally), refresh=True)
    return bar


def _postfix(t: _Tally) -> str:
    return f"failed={t.failed}, skipped={t.skipped}"


def summary(frame: pd.DataFrame, stats: Iterable[str] = ("core.ipc", "core.cycles",
                                                          "l1d.mpki")) -> str:
    """A text table of a sweep: the point columns, status and a few statistics."""
    result_cols = ["status"] + [s for s in stats if s in frame.columns]
    stat_start = list(frame.columns).index("status")
    keys = [c for c in frame.columns[:stat_start] if c != "args" or frame["args"].any()]
    table = frame[keys + result_cols].copy()
    for c in result_cols[1:]:  # counts read better without ".0"
        values = table[c].dropna()
        if len(values) and (values == values.round()).all():
            table[c] = table[c].astype("Int64")
    if "message" in frame:
        bad = frame["status"] != "ok"
        table["message"] = frame["message"].where(bad, "").str.slice(0, 60)
    with pd.option_context("display.max_rows", 200, "display.width", 160,
                           "display.max_colwidth", 60):
        text = table.to_string()
    counts = frame["status"].value_counts()
    parts = ", ".join(f"{counts[s]} {s}" for s in ("ok", "fault", "error") if s in counts)
    return f"{text}\n{len(frame)} points: {parts}"


class _CallableModule(types.ModuleType):
    """`cyclesim.sweep` names both this module and the function: importing the module
    binds the module as cyclesim.sweep, so calling the module runs sweep()."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
__signature__ = inspect.signature(sweep)  # what help() and Jupyter show for the call
