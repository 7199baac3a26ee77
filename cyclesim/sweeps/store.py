"""The sweep result store: a directory with one Parquet file per finished point, named by
the point's key, plus sweep.json describing the points of the latest sweep in order.

    <store>/sweep.json          points (index, key, workload, args, parameter values)
    <store>/points/<key>.parquet   one row: status, message, statistics of that point

A key hashes everything that decides a result (program bytes, argv, the full resolved
config, run options, simulator version), so a file is valid for any sweep that contains
that point, and a rerun skips it. Every file is written to a temporary name and renamed
into place, so a crash never leaves a partial file under a key.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from cyclesim.errors import CyclesimError

MANIFEST = "sweep.json"
POINTS = "points"
FORMAT = 1
# Columns of a stored point besides its statistics (which are "<part>.<name>" floats).
RESULT_COLUMNS = ("key", "workload", "args", "status", "message", "run_status", "exit_code",
                  "host_seconds")


class Store:
    def __init__(self, directory: str | os.PathLike):
        self.root = Path(directory)
        self.points = self.root / POINTS
        if self.root.exists() and not self.root.is_dir():
            raise CyclesimError(f"store {self.root} is a file: give a directory for the "
                                "sweep results")
        self.points.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()

    def path(self, key: str) -> Path:
        return self.points / f"{key}.parquet"

    def finished(self) -> set[str]:
        return {p.name[:-len(".parquet")] for p in self.points.glob("*.parquet")
                if not p.name.startswith(".")}

    def write(self, key: str, workload: str, args: str, record: dict) -> None:
        # Arrow directly: a one-row table through pandas costs four times as much.
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {"key": pa.array([key], pa.string()),
                   "workload": pa.array([workload], pa.string()),
                   "args": pa.array([args], pa.string()),
                   "status": pa.array([record["status"]], pa.string()),
                   "message": pa.array([record["message"]], pa.string()),
                   "run_status": pa.array([record["run_status"]], pa.string()),
                   "exit_code": pa.array([record["exit_code"]], pa.int64()),
                   "host_seconds": pa.array([record["host_seconds"]], pa.float64())}
        for name, value in record["stats"].items():
            columns[name] = pa.array([value], pa.float64())
        table = pa.table(columns)
        _atomic(self.path(key), lambda f: pq.write_table(table, f), self.points)

    def read(self, key: str) -> dict:
        import pyarrow.parquet as pq

        row = pq.read_table(self.path(key)).to_pylist()[0]
        stats = {k: float("nan") if v is None else float(v) for k, v in row.items()
                 if k not in RESULT_COLUMNS}
        return {"status": row["status"], "message": row["message"],
                "run_status": row["run_status"], "exit_code": row["exit_code"],
                "stats": stats, "host_seconds": float(row["host_seconds"])}

    def write_manifest(self, manifest: dict) -> None:
        text = json.dumps({"format": FORMAT, **manifest}, indent=1, default=_json_value)
        _atomic(self.root / MANIFEST, lambda f: f.write(text.encode()), self.root)

    def read_manifest(self) -> dict:
        path = self.root / MANIFEST
        try:
            manifest = json.loads(path.read_text())
        except FileNotFoundError:
            raise CyclesimError(f"{self.root} holds no sweep ({MANIFEST} is missing): give "
                                "the directory passed as store= or --out") from None
        except (OSError, ValueError) as e:
            raise CyclesimError(f"{path} cannot be read ({e}); rerun the sweep to "
                                "rewrite it") from None
        if manifest.get("format") != FORMAT:
            raise CyclesimError(f"{path} has format {manifest.get('format')!r}, this "
                                f"cyclesim reads format {FORMAT}; rerun the sweep")
        return manifest

    def _remove_stale_temporaries(self) -> None:
        # A writer that crashed between write and rename leaves ".tmp-<pid>-..." behind;
        # remove those of processes that no longer exist (a live one may be writing).
        for folder in (self.root, self.points):
            for p in folder.glob(".tmp-*"):
                try:
                    pid = int(p.name.split("-")[1])
                    os.kill(pid, 0)
                except ProcessLookupError:
                    p.unlink(missing_ok=True)
                except (ValueError, IndexError, PermissionError, OSError):
                    pass


def _atomic(target: Path, write, folder: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _json_value(value):
    # numpy scalars and the like in parameter values
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)
