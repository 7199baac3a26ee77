"""`cyclesim sweep SWEEP.toml`: a sweep described in a TOML file.

    workloads = ["hello", "fib", { name = "sort", args = [3000] }, ["matmul", 32]]
    (or address traces: workloads = [{ trace = "app.din" }, { trace = "b.gz", format = "lackey" }])
    preset = "default"             # or base = "machine.toml" (relative to this file)
    store = "l1d-results"          # default: <this file's name>-results next to it
    workers = 2                    # default: every core; --workers overrides
    # scheduler = "tcp://host:8786"   (Dask; --scheduler overrides)
    show = ["core.ipc", "l1d.mpki"]   # statistics in the summary table
    [grid]
    "l1d.size" = ["16KiB", "32KiB", "64KiB"]
    "l1d.policy" = ["lru", "srrip"]
    [run]                          # options of cyclesim.run
    warmup = 1000000

Instead of [grid], a list of points: [[points]] tables of overrides.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from cyclesim.errors import CyclesimError

_KEYS = ("workloads", "base", "preset", "store", "backend", "workers", "scheduler",
         "retries", "show", "grid", "points", "run")


def load_spec(path: str | Path) -> dict:
    """The TOML file as keyword arguments of cyclesim.sweep (plus "show")."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            spec = tomllib.load(f)
    except FileNotFoundError:
        raise CyclesimError(f"sweep file {path} does not exist; give the path of a .toml "
                            "file describing the sweep") from None
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise CyclesimError(f"sweep file {path} cannot be read: {e}") from None
    unknown = [k for k in spec if k not in _KEYS]
    if unknown:
        raise CyclesimError(f"{path}: {unknown[0]!r} is not a sweep key; use "
                            f"{', '.join(_KEYS)}")
    if "workloads" not in spec:
        raise CyclesimError(f"{path} names no workloads: add workloads = [\"fib\", ...]")
    if "grid" in spec and "points" in spec:
        raise CyclesimError(f"{path} has both [grid] and [[points]]: keep one")
    here = path.parent

    def local(p: str) -> str:
        # A relative path in the file is relative to the file.
        from cyclesim import workloads

        if p in workloads.names() or Path(p).is_absolute():
            return p
        return str(here / p)

    items = []
    for w in spec["workloads"]:
        if isinstance(w, str):
            items.append(local(w) if "/" in w else w)
        elif isinstance(w, dict) and "trace" in w:
            # an address trace, run trace-driven through each point's caches
            from caches.tracefile import Trace
            if not isinstance(w["trace"], str):
                raise CyclesimError(f"{path}: workload {w!r}: trace = \"file\" names a trace file")
            items.append(Trace(str(here / w["trace"]), w.get("format")))
        elif isinstance(w, dict):
            program = w.get("name", w.get("path"))
            if not isinstance(program, str):
                raise CyclesimError(f"{path}: workload {w!r} needs name = \"...\" or "
                                    "path = \"...\"")
            items.append((local(program) if "path" in w else program,
                          _guest_args(path, w, w.get("args", []))))
        elif isinstance(w, list) and w and isinstance(w[0], str):
            # ["matmul", 250] and ["matmul", [250]] both mean argv = matmul 250
            rest = w[1] if len(w) == 2 and isinstance(w[1], list) else w[1:]
            items.append((w[0], _guest_args(path, w, rest)))
        else:
            raise CyclesimError(f"{path}: workload {w!r} is not a name, a table "
                                "{ name = ..., args = [...] } or a list [name, args...]")
    base = spec.get("base")
    if isinstance(base, str) and Path(base).suffix.lower() in (".toml", ".yaml", ".yml",
                                                                ".json"):
        base = str(here / base)
    grid = spec.get("grid")
    if isinstance(grid, dict):
        grid = _flat(grid)
    if "points" in spec:
        grid = [_flat(p) if isinstance(p, dict) else p for p in spec["points"]]
    store = spec.get("store", f"{path.stem}-results")
    return {"workloads": items, "grid": grid, "base": base, "preset": spec.get("preset"),
            "store": str(here / store), "backend": spec.get("backend", "processes"),
            "workers": spec.get("workers"), "scheduler": spec.get("scheduler"),
            "retries": spec.get("retries", 2), "run": dict(spec.get("run", {})),
            "show": spec.get("show", ["core.ipc", "core.cycles", "l1d.mpki"])}


def _flat(table: dict) -> dict:
    """{"l1d": {"size": [...]}} (TOML's bare dotted keys) -> {"l1d.size": [...]}."""
    out = {}
    for k, v in table.items():
        if isinstance(v, dict):
            out.update({f"{k}.{f}": x for f, x in v.items()})
        else:
            out[k] = v
    return out


def command(spec_path, workers=None, scheduler=None, out=None, dask=False,
            progress=None) -> int:
    import cyclesim
    from cyclesim.sweep import summary

    spec = load_spec(spec_path)
    run_options = spec.pop("run")
    show = spec.pop("show")
    if out is not None:
        spec["store"] = out
    if workers is not None:
        spec["workers"] = workers
    if scheduler is not None:
        spec["scheduler"] = scheduler
    if dask:
        spec["backend"] = "dask"
    progress = sys.stderr.isatty() if progress is None else progress
    try:
        frame = cyclesim.sweep(**spec, progress=progress, **run_options)
    except TypeError as e:
        raise CyclesimError(f"{spec_path}: {e}") from None
    skipped = frame.attrs["skipped"]
    if skipped:
        print(f"[cyclesim] {skipped} of {len(frame)} points already in {spec['store']} "
              "(skipped)", file=sys.stderr)
    print(summary(frame, show))
    print(f"[cyclesim] results in {spec['store']} (cyclesim.load_sweep reads them)",
          file=sys.stderr)
    return 0 if (frame["status"] == "ok").all() else 3


def _guest_args(path, entry, args) -> list[str]:
    """Guest arguments of a sweep file's workload entry: strings and numbers, each one
    argument (a nested list or table would reach the guest as its Python text)."""
    if not isinstance(args, list):
        args = [args]
    for a in args:
        if isinstance(a, (list, dict)) or isinstance(a, bool):
            raise CyclesimError(f"{path}: workload {entry!r} has the argument {a!r}; "
                                "give the guest's arguments as strings or numbers, e.g. "
                                "[\"matmul\", 250] or { name = \"matmul\", args = [250] }")
    return [str(a) for a in args]
