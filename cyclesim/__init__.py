"""cyclesim: a cycle-accurate RISC-V microarchitecture simulator.

    import cyclesim
    r = cyclesim.run("matmul")                 # default machine, timing mode
    r.stats["core.ipc"], r.cpi_stack()
    cyclesim.run("matmul", 64, mode="functional").stdout
    cyclesim.run("ptrchase", overrides={"l1d.size": "64KiB"})
"""
__version__ = "0.1.0"

import os as _os

# Arrow's default allocator (mimalloc) keeps freed pages, which made a streamed trace's
# peak 228 MiB instead of 182 (benchmarks/trace_to_disk.py, sort, 6 M instructions); the
# C++ Parquet writer takes its pool from this variable when pyarrow first loads, so it is
# set before pandas or pyarrow is imported. A value the user set is kept.
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from cyclesim.errors import (
    ArgumentError,
    ConfigError,
    CyclesimError,
    ProgramError,
    WorkloadNotFound,
)


def __getattr__(name):
    # Heavy modules (Cython extensions, pandas) load on first use, so `import cyclesim`
    # and `cyclesim --help` stay fast.
    if name == "run":
        from cyclesim.api import run
        return run
    if name in ("Config", "SystemConfig", "resolve_config", "presets"):
        import cyclesim.config as config
        return getattr(config, name) if name != "Config" else config.SystemConfig
    if name in ("workloads", "plot", "caches"):
        import importlib
        return importlib.import_module(f"cyclesim.{name}")
    if name == "SimResult":
        from cyclesim.results.result import SimResult
        return SimResult
    if name in ("sweep", "load_sweep"):
        # cyclesim.sweep is the module cyclesim/sweep.py, which is callable as the sweep
        # function (importing a submodule binds its name here, so one object must be both).
        import importlib
        module = importlib.import_module("cyclesim.sweep")
        return module if name == "sweep" else module.load_sweep
    if name == "checkpoint":
        import importlib
        return importlib.import_module("cyclesim.checkpoint")
    if name == "load_result":
        from cyclesim.results.store import load_result
        return load_result
    if name in ("simpoint", "SimPoint"):
        import importlib
        sp = importlib.import_module("cyclesim.sampling.simpoint")
        return sp.simpoint if name == "simpoint" else sp.SimPointSpec
    raise AttributeError(f"module 'cyclesim' has no attribute {name!r}")


__all__ = ["run", "Config", "SystemConfig", "resolve_config", "presets", "workloads", "plot",
           "SimResult", "load_result", "checkpoint", "simpoint", "SimPoint", "sweep", "load_sweep", "caches",
           "CyclesimError", "ConfigError", "ProgramError", "WorkloadNotFound", "ArgumentError"]
