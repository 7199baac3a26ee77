"""Where the stall cycles of a pipeline trace go: per instruction, per pc, per function.

    from cyclesim.results.hotspots import hotspots, stall_table
    hotspots(r)                         # DataFrame: the instructions that cost most stalls
    r.hotspots(by="function")           # the same, by function
    cyclesim.plot.hotspots(r)           # drawn as bars

Tables only; the figure is cyclesim.plot.hotspots.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cyclesim.errors import CyclesimError


def _cause_order():
    from cyclesim.plot import CPI_COLORS      # one order of causes in tables and figures

    return CPI_COLORS


def _need_pipeline(result):
    from cyclesim.plot import _need_pipeline

    return _need_pipeline(result)

@functools.lru_cache(maxsize=16)
def _functions(path: str):
    """Sorted (start addresses, [(end, name)]) of the program's function symbols."""
    from cyclesim.process.loader import PAGE, PIE_BASE, PT_LOAD, inspect_elf, read_symbols

    try:
        with open(path, "rb") as f:
            data = f.read()
        hdr, phdrs = inspect_elf(data, path)
    except (OSError, CyclesimError):
        return np.zeros(0, dtype=np.int64), []
    bias = 0
    if hdr[1] == 3:     # ET_DYN: a static PIE is loaded at PIE_BASE, as the loader does
        bias = PIE_BASE - (min(p[3] for p in phdrs if p[0] == PT_LOAD) & ~(PAGE - 1))
    _, functions = read_symbols(data, bias)
    starts = np.array([a for a, _, _ in functions], dtype=np.int64)
    return starts, [(a + max(size, 1), name) for a, size, name in functions]


def function_names(result, pcs) -> list[str]:
    """The function (ELF symbol) containing each pc, or '?' when none does."""
    starts, info = _functions(str(result.path))
    pcs = np.asarray(pcs, dtype=np.int64)
    if len(starts) == 0:
        return ["?"] * len(pcs)
    idx = np.searchsorted(starts, pcs, side="right") - 1
    out = []
    for pc, i in zip(pcs.tolist(), idx.tolist()):
        name = "?"
        if i >= 0:
            end, fname = info[i]
            # assembly routines may have size 0: then the nearest symbol below is the guess
            name = fname if pc < end or end == starts[i] + 1 else "?"
        out.append(name)
    return out


def stall_table(result) -> pd.DataFrame:
    """One row per traced instruction with the stall cycles charged to it.

    An instruction's stall cycles are its commit gap minus one,
    ``wb_cycle - previous wb_cycle - 1``, with the cause the CPI stack gives it. Cycles
    lost to a branch misprediction are charged to the mispredicted branch (the instruction
    just before the one that waited), since that is the instruction to fix; a branch can
    thus carry cycles of two causes. Columns: seq, pc, disassembly, function,
    stall_cycles, one column of cycles per cause present, and cause (the largest).
    """
    pipe = _need_pipeline(result).sort_values("seq").reset_index(drop=True)
    from cyclesim.results.traces import stage_columns

    wb = pipe[stage_columns(pipe)[1][-1]].to_numpy(dtype=np.int64)   # the commit stage
    seq = pipe["seq"].to_numpy(dtype=np.int64)
    n = len(pipe)
    gap = np.zeros(n, dtype=np.int64)
    follows = np.zeros(n, dtype=bool)
    follows[1:] = seq[1:] == seq[:-1] + 1
    gap[1:] = np.where(follows[1:], wb[1:] - wb[:-1] - 1, 0)
    cause = pipe["stall_cause"].astype(object).where(gap > 0, None).to_numpy()
    owner = np.arange(n)
    owner[(cause == "branch_mispredict") & follows] -= 1
    out = pd.DataFrame({"seq": seq, "pc": pipe["pc"].to_numpy(dtype=np.int64),
                        "disassembly": pipe["disassembly"].to_numpy()})
    out["function"] = function_names(result, out["pc"])
    stall = np.zeros(n, dtype=np.int64)
    np.add.at(stall, owner, gap)
    out["stall_cycles"] = stall
    charged = gap > 0
    names = [c for c in _cause_order() if c in set(cause[charged])]
    names += sorted(set(cause[charged]) - set(names) - {None})
    for name in names:
        cycles = np.zeros(n, dtype=np.int64)
        pick = charged & (cause == name)
        np.add.at(cycles, owner[pick], gap[pick])
        out[name] = cycles
    if names:
        largest = out[names].to_numpy().argmax(axis=1)
        out["cause"] = np.where(stall > 0, np.array(names, dtype=object)[largest], None)
    else:
        out["cause"] = None
    return out


def hotspots(result, by: str = "pc", top: int = 15) -> pd.DataFrame:
    """The instructions (``by="pc"``) or functions (``by="function"``) that cost the most
    stall cycles in the pipeline trace window, most expensive first.

    Columns: pc, address, function, disassembly (by pc); executions, stall_cycles,
    stall_share (of all stall cycles in the window), cycles_per_execution, and one column
    per stall cause (cycles). See `stall_table` for how cycles are charged.
    """
    if by not in ("pc", "function"):
        raise CyclesimError(f"by = {by!r}: choose 'pc' or 'function'")
    table = stall_table(result)
    causes = [c for c in table.columns if c in _cause_order() or c not in (
        "seq", "pc", "disassembly", "function", "stall_cycles", "cause")]
    keys = ["pc"] if by == "pc" else ["function"]
    grouped = table.groupby(keys, sort=False)
    out = grouped.agg(executions=("seq", "size"), stall_cycles=("stall_cycles", "sum"))
    out = out.join(grouped[causes].sum())
    if by == "pc":
        out = grouped[["disassembly", "function"]].first().join(out)
    total = max(1, int(table["stall_cycles"].sum()))
    out["stall_share"] = out["stall_cycles"] / total
    out["cycles_per_execution"] = out["stall_cycles"] / out["executions"]
    out = out.sort_values(["stall_cycles", "executions"], ascending=False).head(top)
    out = out.reset_index()
    if by == "pc":
        out.insert(1, "address", [f"{pc:#x}" for pc in out["pc"]])
        head = ["pc", "address", "function", "disassembly"]
    else:
        head = ["function"]
    rest = ["executions", "stall_cycles", "stall_share", "cycles_per_execution"]
    return out[head + rest + causes]
