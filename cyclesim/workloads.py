"""The registry of bundled workloads: small self-checking C programs, prebuilt as static
RV64GC Linux ELFs (see workloads/workloads.toml and workloads/Makefile).

    from cyclesim import workloads
    workloads.names()                   # ['bfs', 'crc32', ...]
    workloads.path("matmul")            # .../workloads/bin/matmul
    workloads.info("matmul")            # description, stresses, default_args, test_args, ...
    workloads.resolve("matmul")         # an existing file of that name, else the registered one

The files live in the top-level `workloads` package, so they are found the same way in a
source checkout and after a plain `pip install .`.
"""
from __future__ import annotations

import functools
import importlib.resources
import os
import pathlib
import tomllib

from cyclesim.errors import WorkloadNotFound

__all__ = ["names", "path", "info", "resolve", "is_bundled", "root"]


def root() -> pathlib.Path:
    """Directory of the `workloads` package (holds bin/, src/, include/, workloads.toml)."""
    return _root()


@functools.cache
def _root() -> pathlib.Path:
    try:
        base = importlib.resources.files("workloads")
    except ModuleNotFoundError:
        raise WorkloadNotFound("the 'workloads' data package is not installed: reinstall "
                               "cyclesim with 'pip install .' from a source checkout") from None
    # A regular package on disk (checkout or unzipped install) is a real directory.
    directory = pathlib.Path(os.fspath(base))
    if not (directory / "workloads.toml").is_file():
        raise WorkloadNotFound(f"{directory} has no workloads.toml: reinstall cyclesim so "
                               "the workload files are included")
    return directory


@functools.cache
def _registry() -> dict[str, dict]:
    with open(_root() / "workloads.toml", "rb") as f:
        return tomllib.load(f)


def names() -> list[str]:
    """Names of the registered workloads, sorted."""
    return sorted(_registry())


def _unknown(name: str) -> WorkloadNotFound:
    return WorkloadNotFound(f"there is no workload named {name!r}: use one of "
                            f"{', '.join(names())}, or give the path of a RISC-V ELF file")


def info(name: str) -> dict:
    """Registry entry of a workload: description, stresses, default_args (list of str),
    test_args (list of argument lists), approx_instructions and approx_roi_instructions
    (with default_args), approx_test_instructions (one per test_args), threads (True for a
    program that creates threads: its arguments are size, then thread count), source."""
    entry = _registry().get(name)
    if entry is None:
        raise _unknown(name)
    return {
        "name": name,
        "description": entry.get("description", ""),
        "stresses": entry.get("stresses", ""),
        "default_args": [str(a) for a in entry.get("default_args", [])],
        "test_args": [[str(a) for a in args] for args in entry.get("test_args", [[]])],
        "approx_instructions": entry.get("approx_instructions"),
        "approx_roi_instructions": entry.get("approx_roi_instructions"),
        "approx_test_instructions": list(entry.get("approx_test_instructions", [])),
        "threads": bool(entry.get("threads", False)),
        "source": _root() / "src" / f"{name}.c",
    }


def path(name: str) -> pathlib.Path:
    """Path of the prebuilt ELF of a registered workload."""
    if name not in _registry():
        raise _unknown(name)
    elf = _root() / "bin" / name
    if not elf.is_file():
        raise WorkloadNotFound(f"workload {name!r} is registered but {elf} is missing: "
                               f"run 'make' in {_root()} to build it")
    return elf


def resolve(name_or_path: str | os.PathLike) -> pathlib.Path:
    """The ELF to run for a workload name or a path. An existing file wins over a
    registered workload of the same name (`cp myprog hello; cyclesim run hello` runs
    ./hello, as a shell runs what the user named); a registered name otherwise gives its
    prebuilt ELF. Which one ran is `is_bundled` (and the report's `program` line)."""
    try:
        candidate = pathlib.Path(os.fspath(name_or_path)).expanduser()
    except TypeError:
        raise WorkloadNotFound(f"{name_or_path!r} is not a workload name or a file path: "
                               f"use one of {', '.join(names())}, or a path") from None
    if candidate.is_file():
        return candidate
    if isinstance(name_or_path, str) and name_or_path in _registry():
        return path(name_or_path)
    if candidate.exists():
        raise WorkloadNotFound(f"{candidate} is not a regular file: give a RISC-V ELF "
                               f"program or one of {', '.join(names())}")
    raise WorkloadNotFound(f"{str(name_or_path)!r} is neither a workload name nor an existing "
                           f"file: use one of {', '.join(names())}, or the path of a "
                           "RISC-V ELF file")


def is_bundled(name_or_path, resolved: pathlib.Path) -> bool:
    """True when `resolve(name_or_path)` gave the bundled workload of that name."""
    return (isinstance(name_or_path, str) and name_or_path in _registry()
            and pathlib.Path(resolved) == path(name_or_path))
