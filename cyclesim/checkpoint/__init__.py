"""Exact checkpoints of a run's architectural state (docs/checkpoints.md).

A checkpoint holds what the program can observe: the hart's registers and CSRs, every
mapped guest page (data of the touched ones), and the process model (address-space
layout, brk, open files with offsets, the sandbox, signal state, the seeded random
state, simulated time, output so far). Restoring builds the run afresh from the program
and then overwrites that state, so a resumed run may use any machine config; the
microarchitectural state (caches, predictors) starts cold.
"""
from __future__ import annotations

import json
import sys
import types

from cyclesim.checkpoint import state as _state
from cyclesim.checkpoint import store
from cyclesim.checkpoint.store import FORMAT_VERSION, CheckpointError

__all__ = ["save", "load", "checkpoint", "CheckpointError", "FORMAT_VERSION"]


def save(system, path, *, program: dict, config, mode: str) -> str:
    """Write the state of `system` (stopped between quanta) to the directory `path`."""
    if system.process.exited:
        raise CheckpointError("the program has already ended; a checkpoint is taken of a "
                              "run stopped with stop_at=/max_insts= before its end")
    st, arrays = _state.capture(system)
    if program.get("sha256") is None and program.get("path"):
        from cyclesim.api import file_sha256   # run() leaves it to be computed here

        program["sha256"] = file_sha256(program["path"])
    manifest = {
        "program": program,
        "config": json.loads(json.dumps(config.to_dict(), default=str)),
        "mode": mode,
        "instructions": int(system.core.instret),
        "cycle": int(system.cycle),
        "contents": ["architectural"],
        "state": st,
    }
    return str(store.write(path, manifest, arrays))


def load(path, program_sha256: str | None = None):
    """(manifest, arrays) of a verified checkpoint; refuses damaged or foreign ones."""
    return store.read(path, program_sha256)


def apply(system, manifest: dict, arrays, echo: bool = False) -> None:
    try:
        _state.apply(system, manifest["state"], arrays, echo=echo)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        # a manifest that passed its digest yet lacks or mistypes a field: written by
        # another tool or resealed by hand
        raise CheckpointError(f"the checkpoint's saved state is incomplete or malformed "
                              f"({type(e).__name__}: {e}); take the checkpoint again") from None


def checkpoint(program, *args, at, path, **kwargs) -> list[str]:
    """Run `program` once in functional mode and write a checkpoint after each
    instruction count in `at` (ascending, distinct), to path/<count> for several or
    `path` for one. Other keyword arguments are those of cyclesim.run (env, stdin,
    allow_read, allow_write, mem_limit, seed). Returns the directories written."""
    import pathlib

    from cyclesim.api import prepare

    counts = [at] if isinstance(at, int) else list(at)
    if not counts or any(not isinstance(n, int) or isinstance(n, bool) or n < 0
                         for n in counts):
        raise CheckpointError(f"at = {at!r}: give instruction counts, whole numbers >= 0")
    counts = sorted(set(counts))
    root = pathlib.Path(path)
    system, info, cfg = prepare(program, *args, mode="functional", **kwargs)
    written = []
    try:
        for n in counts:
            system.options.max_insts = n
            outcome = system.run()
            if outcome.status != "max_insts":
                raise CheckpointError(f"{program} ended ({outcome.message}) after "
                                      f"{int(system.core.instret):,} instructions, before "
                                      f"instruction {n:,}; choose smaller counts")
            where = root if len(counts) == 1 else root / str(n)
            written.append(save(system, where, program=info, config=cfg, mode="functional"))
    finally:
        system.process.close()
    return written


class _CallableModule(types.ModuleType):
    """`cyclesim.checkpoint(...)` is the checkpoint function; the package keeps its parts
    (importing a subpackage binds its name on cyclesim, so one object must be both)."""

    def __call__(self, *args, **kwargs):
        return checkpoint(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
