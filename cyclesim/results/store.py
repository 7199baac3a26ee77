"""Save a SimResult to a directory and load it back without rerunning.

A saved result is a directory of plain files other tools read too:

    meta.json            what ran and how it ended (program, args, status, options, ...)
    stats.parquet        the statistics Series, exact (stats.json: the same, for reading)
    config.json          the resolved machine config (config.toml: the same, as TOML)
    stdout.txt           the guest's output bytes, unchanged (stderr.txt likewise)
    pipeline.parquet     each DataFrame the run produced, as Parquet (only those present)
    memory_trace.parquet
    intervals.parquet
    dumps.parquet

Saving is atomic: everything is written into a temporary directory beside the target,
which is then renamed into place, so a crash never leaves half a result behind.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow

from cyclesim.errors import CyclesimError

FORMAT = "cyclesim-result"
FORMAT_VERSION = 1
META = "meta.json"
FRAMES = ("pipeline", "memory_trace", "intervals", "dumps")
STREAMS = {"stdout_bytes": "stdout.txt", "stderr_bytes": "stderr.txt"}


class ResultStoreError(CyclesimError):
    """A result directory cannot be written or read."""


# -- saving -----------------------------------------------------------------------------

def save_result(result, directory, *, overwrite: bool = False) -> Path:
    """Write `result` into `directory` (created if needed); returns its path.

    An existing empty directory is used. A directory holding a saved result is replaced
    only when overwrite=True; any other non-empty directory is refused, so saving can
    never delete files that are not a cyclesim result.
    """
    target = Path(os.fspath(directory))
    replace = check_save_target(target, overwrite)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = parent / f".{target.name}.saving-{uuid.uuid4().hex[:12]}"
        tmp.mkdir()
    except OSError as e:
        raise ResultStoreError(f"cannot create {target}: {e.strerror}; choose a writable "
                               "directory") from None
    try:
        _write(result, tmp)
        if replace:
            old = parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
            os.rename(target, old)
            try:
                os.rename(tmp, target)
            except OSError:
                os.rename(old, target)  # put the previous result back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            if target.is_dir():
                target.rmdir()  # empty (checked above): rename needs it gone or empty
            os.rename(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ResultStoreError(f"cannot save the result to {target}: {e.strerror}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def check_save_target(target: Path, overwrite: bool) -> bool:
    """True when an existing saved result is to be replaced; raises ResultStoreError when
    saving to `target` is not allowed (the CLI calls this before a long run)."""
    if not target.exists():
        return False
    if not target.is_dir():
        raise ResultStoreError(f"{target} is a file, not a directory: give a new or empty "
                               "directory to save the result in")
    if not any(target.iterdir()):
        return False
    if not is_result_dir(target):
        raise ResultStoreError(f"{target} already holds other files: give a new or empty "
                               "directory (saving never deletes files it did not write)")
    if not overwrite:
        raise ResultStoreError(f"{target} already holds a saved result: pass "
                               "overwrite=True to replace it, or choose another directory")
    return True


def is_result_dir(directory) -> bool:
    """True when `directory` holds a result written by save_result."""
    meta = Path(os.fspath(directory)) / META
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _write(result, d: Path):
    from cyclesim import __version__

    frames = {}
    for name in FRAMES:
        df = getattr(result, name, None)
        if df is None:
            frames[name] = None
            continue
        frames[name] = f"{name}.parquet"
        df.to_parquet(d / frames[name], engine="pyarrow")
    stats = result.stats
    # counts and rates in their own columns, so that both come back exact and typed
    counts = [isinstance(v, int) for v in stats.tolist()]
    pd.DataFrame({"value": [float("nan") if c else float(v) for v, c in
                            zip(stats.tolist(), counts)],
                  "count": pd.array([v if c else None for v, c in zip(stats.tolist(), counts)],
                                    dtype="Int64")},
                 index=stats.index).to_parquet(d / "stats.parquet", engine="pyarrow")
    readable = {str(k): (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in stats.items()}
    (d / "stats.json").write_text(json.dumps(readable, indent=1) + "\n", encoding="utf-8")
    for attr, name in STREAMS.items():
        (d / name).write_bytes(bytes(getattr(result, attr) or b""))
    result.config.save(d / "config.json")
    result.config.save(d / "config.toml")
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "cyclesim_version": __version__,
        "saved_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "program": result.program, "path": result.path, "args": list(result.args),
        "mode": result.mode, "status": result.status, "message": result.message,
        "exit_code": result.exit_code, "fault": result.fault,
        # a list of pairs: JSON object keys would turn syscall numbers into text
        "unknown_syscalls": [[k, v] for k, v in result.unknown_syscalls.items()],
        "host_seconds": result.host_seconds,
        "options": _options_dict(result.options),
        "stats_name": stats.name,
        "run_facts": {"bundled": result.bundled, "denied_paths": result.denied_paths,
                      "warnings": list(result.warnings), "tmp_dir": result.tmp_dir},
        "frames": frames,
        "streams": dict(STREAMS),
        "output_dropped": dict(result.output_dropped),
    }
    (d / META).write_text(json.dumps(meta, indent=1, default=_json_default) + "\n",
                          encoding="utf-8")


def _options_dict(options):
    if options is None:
        return None
    if dataclasses.is_dataclass(options):
        return dataclasses.asdict(options)
    return dict(options)


def _json_default(value):
    # numpy scalars in fault records or options
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# -- loading ----------------------------------------------------------------------------

def load_result(directory):
    """The SimResult saved in `directory` by ``result.save(directory)``, without rerunning."""
    from cyclesim.config import SystemConfig
    from cyclesim.results.result import SimResult

    d = Path(os.fspath(directory))
    if not d.is_dir():
        raise ResultStoreError(f"{d} is not a directory: give the directory a result was "
                               "saved to with result.save(dir)")
    meta = _read_meta(d)
    try:
        stats_frame = pd.read_parquet(d / "stats.parquet", engine="pyarrow")
        if "count" in stats_frame.columns:
            from cyclesim.results.result import stats_series

            stats = stats_series({k: (int(c) if not pd.isna(c) else float(v))
                                  for k, v, c in zip(stats_frame.index, stats_frame["value"],
                                                     stats_frame["count"])},
                                 meta.get("stats_name"), sort=False)
        else:                       # saved before counts were kept as integers
            stats = stats_frame["value"]
            stats.name = meta.get("stats_name")
        frames = {}
        for name in FRAMES:
            file = meta["frames"].get(name)
            frames[name] = None if file is None else pd.read_parquet(d / file, engine="pyarrow")
        streams = {attr: (d / name).read_bytes() for attr, name in meta["streams"].items()}
        config_data = json.loads((d / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as e:
        what = getattr(e, "filename", None) or str(e)
        raise ResultStoreError(f"{d} is an incomplete or corrupt saved result ({what}): "
                               "save the result again") from None
    except pyarrow.ArrowException as e:  # a damaged Parquet file
        raise ResultStoreError(f"{d} is an incomplete or corrupt saved result "
                               f"({type(e).__name__}: {e}): save the result again") from None
    try:
        config = SystemConfig.from_dict(config_data)
    except CyclesimError as e:
        raise ResultStoreError(f"the config saved in {d} is not valid in this version of "
                               f"cyclesim ({e})") from None
    loaded = SimResult(
        program=meta["program"], path=meta["path"], args=meta["args"], mode=meta["mode"],
        config=config, status=meta["status"], message=meta["message"],
        exit_code=meta["exit_code"], fault=meta["fault"], stats=stats,
        stdout=streams.get("stdout_bytes", b""), stderr=streams.get("stderr_bytes", b""),
        intervals=frames["intervals"], pipeline=frames["pipeline"],
        memory_trace=frames["memory_trace"], dumps=frames["dumps"],
        unknown_syscalls={k: v for k, v in meta["unknown_syscalls"]},
        host_seconds=meta["host_seconds"], options=_options(meta.get("options")),
        output_dropped=meta.get("output_dropped"))
    for key, value in (meta.get("run_facts") or {}).items():
        if key in ("bundled", "denied_paths", "warnings", "tmp_dir"):
            setattr(loaded, key, value)
    return loaded


def _read_meta(d: Path) -> dict:
    path = d / META
    if not path.exists():
        raise ResultStoreError(f"{d} is not a saved cyclesim result (it has no {META}): "
                               "give the directory a result was saved to with result.save(dir)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ResultStoreError(f"{path} cannot be read ({e}): the saved result is corrupt; "
                               "save it again") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ResultStoreError(f"{d} is not a saved cyclesim result ({META} is not ours): "
                               "give the directory a result was saved to with result.save(dir)")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ResultStoreError(f"{d} was saved in result format {version!r}, newer than this "
                               f"cyclesim reads ({FORMAT_VERSION}): upgrade cyclesim")
    missing = [k for k in ("program", "path", "args", "mode", "status", "message",
                           "exit_code", "fault", "unknown_syscalls", "host_seconds",
                           "frames", "streams") if k not in meta]
    if missing:
        raise ResultStoreError(f"{path} lacks {', '.join(missing)}: the saved result is "
                               "corrupt; save it again")
    return meta


def _options(d):
    if d is None:
        return None
    from cyclesim.engine import RunOptions

    known = {f.name for f in dataclasses.fields(RunOptions)}
    values = {k: v for k, v in d.items() if k in known}
    for k in ("trace", "trace_window"):
        if isinstance(values.get(k), list):
            values[k] = tuple(values[k])
    return RunOptions(**values)
