"""Pipeline traces in the formats existing viewers open (fields: docs/trace-formats.md).

- Konata's "Kanata" log, version 0004 (tab-separated commands; open in Konata).
- gem5's O3PipeView text (`util/o3-pipeview.py` and Konata read it).
- Chrome / Perfetto trace-event JSON (ui.perfetto.dev, chrome://tracing).

Each writer takes the pipeline DataFrame of a SimResult (one row per instruction with
the cycle it entered each of the model's five stages: IF ID EX MEM WB in order, fetch
dispatch issue done commit out of order; the stage names travel with the frame, see
cyclesim.results.traces.stage_columns) and writes a file; a path ending in ".gz"
is written gzip-compressed (Konata and Perfetto open it directly). The instructions an
in-order core traces are all on the correct path (the functional core runs first), so
no instruction is ever flushed; mispredicted branches are marked in their labels.
"""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cyclesim.errors import CyclesimError
from cyclesim.results.traces import stage_columns

# gem5 stamps O3PipeView events in ticks of 1 ps; 1000 ticks is one cycle at 1 GHz,
# which is also o3-pipeview.py's default --cycle-time.
TICKS_PER_CYCLE = 1000
# OpClass codes (pipeline/types.pxd) whose MEM stage writes memory: gem5 gives a
# "store" completion tick for these.
_STORE_CLASSES = (5, 6)  # OC_STORE, OC_AMO
MISPREDICT_MARK = "[mispredicted]"


class ExportError(CyclesimError):
    """A trace cannot be exported (no pipeline trace, or the file cannot be written)."""


def _frame(pipeline) -> pd.DataFrame:
    if pipeline is None:
        raise ExportError("this result has no pipeline trace: run with trace='pipeline' "
                          "(CLI: --trace pipeline) and a trace_window covering the "
                          "instructions you want to see")
    missing = [c for c in ("seq", "pc", "disassembly", *stage_columns(pipeline)[1])
               if c not in pipeline]
    if missing:
        raise ExportError(f"the pipeline trace lacks the columns {', '.join(missing)}: "
                          "export a SimResult's .pipeline frame as it was recorded")
    return pipeline


def _open(path):
    """Open `path` for writing text (gzip when it ends in .gz); one sentence if we cannot."""
    path = Path(os.fspath(path))
    try:
        if path.suffix == ".gz":
            return path, gzip.open(path, "wt", encoding="utf-8", newline="\n")
        return path, open(path, "w", encoding="utf-8", newline="\n")
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror}; choose a writable path") from None


def _entries(df: pd.DataFrame) -> np.ndarray:
    """(n, 5) int64 array of stage-entry cycles, in trace order."""
    return df[list(stage_columns(df)[1])].to_numpy(dtype=np.int64)


def _clean(text: str) -> str:
    """One line of label text: no tabs or line breaks (they separate fields and records)."""
    return str(text).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _optional(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# -- Konata (Kanata log 0004) ---------------------------------------------------------------

def write_konata(pipeline: pd.DataFrame, path) -> Path:
    """Write the Kanata log (version 0004) of a pipeline trace; returns the path.

    One instruction per trace row: `I` (file id = row number, sim id = seq, thread 0),
    `L 0` label "<pc hex>: <disassembly>" (plus "[mispredicted]" for a mispredicted
    branch), `L 1` hover text (seq, stall cause, data and fetch levels), `S`/`E` for
    the model's stages (IF ID EX MEM WB, or fetch dispatch issue done commit) on lane 0
    at their entry cycles, and `R` (retire) one cycle after the last stage was entered,
    since it lasts one cycle.
    """
    df = _frame(pipeline)
    entries = _entries(df)
    stages = stage_columns(df)[0]
    n = len(df)
    events: list[tuple[int, int, int, str]] = []  # (cycle, file id, step, line)
    if n:
        seqs = df["seq"].tolist()
        pcs = df["pc"].tolist()
        texts = df["disassembly"].tolist()
        mispredicted = (df["mispredicted"].astype(bool).tolist() if "mispredicted" in df
                        else [False] * n)
        causes = df["stall_cause"].tolist() if "stall_cause" in df else [None] * n
        levels = df["level"].tolist() if "level" in df else [None] * n
        fetch_levels = df["fetch_level"].tolist() if "fetch_level" in df else [None] * n
        rows = entries.tolist()
        for i in range(n):
            e = rows[i]
            label = f"{int(pcs[i]):x}: {_clean(texts[i])}"
            if mispredicted[i]:
                label += f" {MISPREDICT_MARK}"
            detail = [f"seq {int(seqs[i])}"]
            for name, value in (("stall", causes[i]), ("data from", levels[i]),
                                ("fetched from", fetch_levels[i])):
                value = _optional(value)
                if value is not None:
                    detail.append(f"{name} {value}")
            events.append((e[0], i, 0, f"I\t{i}\t{int(seqs[i])}\t0"))
            events.append((e[0], i, 1, f"L\t{i}\t0\t{label}"))
            events.append((e[0], i, 2, f"L\t{i}\t1\t{_clean('; '.join(detail))}"))
            for s, stage in enumerate(stages):
                end = e[s + 1] if s + 1 < len(stages) else e[s] + 1
                events.append((e[s], i, 3 + 2 * s, f"S\t{i}\t0\t{stage}"))
                events.append((end, i, 4 + 2 * s, f"E\t{i}\t0\t{stage}"))
            events.append((e[-1] + 1, i, 20, f"R\t{i}\t{i}\t0"))
    # The format is a single forward pass over time: sort by cycle, then keep each
    # instruction's own commands in order (E of a stage before S of the next).
    events.sort()
    path, f = _open(path)
    with f:
        f.write("Kanata\t0004\n")
        now = events[0][0] if events else 0
        f.write(f"C=\t{now}\n")
        for cycle, _, _, line in events:
            if cycle != now:
                f.write(f"C\t{cycle - now}\n")
                now = cycle
            f.write(line + "\n")
    return path


# -- gem5 O3PipeView ------------------------------------------------------------------------

def write_o3pipeview(pipeline: pd.DataFrame, path, ticks_per_cycle: int = TICKS_PER_CYCLE
                     ) -> Path:
    """Write gem5's O3PipeView trace of a pipeline trace; returns the path.

    Seven lines per instruction, in retirement order, as gem5's O3 CPU prints them:
    fetch (with pc, micro-pc 0, seq and disassembly), decode, rename, dispatch, issue,
    complete, retire (with the store-completion tick). The model's five stages map onto
    them by name where a stage is one of gem5's (fetch, dispatch, issue; done is
    complete, commit is retire), a gem5 stage the model does not have taking the next
    one it has (out of order: decode = rename = dispatch); a model with none of these
    names (in order) maps them as fetch = IF, decode = rename = ID, dispatch = issue = EX,
    complete = MEM, retire = WB. A store's (or AMO's) store tick is its complete tick,
    0 otherwise.
    A stage entered in cycle c is stamped at the end of that cycle, tick
    (c + 1) * ticks_per_cycle: gem5's tools read tick 0 as "never happened".
    """
    if not isinstance(ticks_per_cycle, (int, np.integer)) or ticks_per_cycle <= 0:
        raise ExportError(f"ticks_per_cycle = {ticks_per_cycle!r}: give a positive whole "
                          "number (1000 = 1 GHz in gem5's picosecond ticks)")
    df = _frame(pipeline)
    at = _o3_stages(stage_columns(df)[0])
    ticks = [[t[k] for k in at]
             for t in ((_entries(df) + 1) * int(ticks_per_cycle)).tolist()]
    seqs = df["seq"].tolist()
    pcs = df["pc"].tolist()
    # o3-pipeview splits each line on ":" and keeps only the sixth field as disassembly.
    texts = [_clean(t).replace(":", ";") for t in df["disassembly"].tolist()]
    if "opclass" in df:
        stores = np.isin(df["opclass"].to_numpy(dtype=np.int64), _STORE_CLASSES).tolist()
    else:
        stores = [False] * len(df)
    path, f = _open(path)
    with f:
        for t, seq, pc, text, store in zip(ticks, seqs, pcs, texts, stores):
            f.write(f"O3PipeView:fetch:{t[0]}:0x{int(pc):08x}:0:{int(seq)}:{text}\n"
                    f"O3PipeView:decode:{t[1]}\n"
                    f"O3PipeView:rename:{t[2]}\n"
                    f"O3PipeView:dispatch:{t[3]}\n"
                    f"O3PipeView:issue:{t[4]}\n"
                    f"O3PipeView:complete:{t[5]}\n"
                    f"O3PipeView:retire:{t[6]}:store:{t[5] if store else 0}\n")
    return path


O3_STAGES = ("fetch", "decode", "rename", "dispatch", "issue", "complete", "retire")
_O3_ALIASES = {"done": "complete", "commit": "retire"}
_O3_IN_ORDER = (0, 1, 1, 2, 2, 3, 4)     # fetch=IF decode=rename=ID dispatch=issue=EX ...


def _o3_stages(stages) -> tuple:
    """For each gem5 O3 stage, the index of the model stage whose entry cycle it gets."""
    own = {_O3_ALIASES.get(s.lower(), s.lower()): k for k, s in enumerate(stages)}
    if not any(g in own for g in O3_STAGES):
        return _O3_IN_ORDER
    at, nxt = [], len(stages) - 1
    for g in reversed(O3_STAGES):
        nxt = own.get(g, nxt)
        at.append(nxt)
    return tuple(reversed(at))


# -- Chrome / Perfetto trace-event JSON -----------------------------------------------------

CLOCKS = ("cycles", "simulated")


def write_perfetto(pipeline: pd.DataFrame, path, *, program: str = "cyclesim",
                   frequency_hz: float | None = None, clock: str = "cycles") -> Path:
    """Write Chrome/Perfetto trace-event JSON of a pipeline trace; returns the path.

    One process (the program), one thread per stage of the model (IF ID EX MEM WB, or
    fetch dispatch issue done commit, in that order), one complete event ("X") per
    instruction per stage: name = disassembly, ts = the cycle the instruction entered the
    stage, dur = cycles it stayed (the last stage: 1); args hold
    seq, pc, stall cause, levels and whether a branch was mispredicted.

    clock="cycles" (default): trace time 1 us = 1 cycle, so the timeline ruler reads in
    cycles exactly. clock="simulated": ts and dur in microseconds of simulated time
    (cycle / frequency_hz * 1e6), which needs frequency_hz.
    """
    if clock not in CLOCKS:
        raise ExportError(f"clock = {clock!r} is not known: use 'cycles' (1 us per cycle) "
                          "or 'simulated' (microseconds of simulated time)")
    if clock == "simulated" and not frequency_hz:
        raise ExportError("clock='simulated' needs the core frequency: pass frequency_hz "
                          "(SimResult.to_perfetto does this from core.frequency_hz)")
    df = _frame(pipeline)
    entries = _entries(df)
    stages = stage_columns(df)[0]
    scale = 1.0 if clock == "cycles" else 1e6 / float(frequency_hz)
    pid = 1
    metadata: list[dict] = [
        {"ph": "M", "pid": pid, "tid": 0, "name": "process_name",
         "args": {"name": f"{program} (pipeline)"}},
    ]
    for s, stage in enumerate(stages):
        metadata.append({"ph": "M", "pid": pid, "tid": s + 1, "name": "thread_name",
                         "args": {"name": stage}})
        metadata.append({"ph": "M", "pid": pid, "tid": s + 1, "name": "thread_sort_index",
                         "args": {"sort_index": s}})
    n = len(df)
    seqs = df["seq"].tolist()
    pcs = df["pc"].tolist()
    texts = df["disassembly"].tolist()
    mispredicted = df["mispredicted"].astype(bool).tolist() if "mispredicted" in df else [False] * n
    extra = {name: df[name].tolist() if name in df else [None] * n
             for name in ("stall_cause", "level", "fetch_level")}
    rows = entries.tolist()
    dumps = json.dumps
    slices: list[str] = []  # the X events, as JSON text: building dicts is the slow part
    for i in range(n):
        e = rows[i]
        args = {"seq": int(seqs[i]), "pc": f"0x{int(pcs[i]):x}"}
        for name, values in extra.items():
            value = _optional(values[i])
            if value is not None:
                args[name] = value
        if mispredicted[i]:
            args["mispredicted"] = True
        tail = f',"pid":{pid},"args":{dumps(args, separators=(",", ":"))}}}'
        head = f'{{"name":{dumps(str(texts[i]))},"ph":"X"'
        for s, stage in enumerate(stages):
            end = e[s + 1] if s + 1 < len(stages) else e[s] + 1
            if clock == "cycles":
                ts, dur = e[s], end - e[s]
            else:
                ts, dur = e[s] * scale, (end - e[s]) * scale
            slices.append(f'{head},"cat":"{stage}","ts":{ts!r},"dur":{dur!r},'
                          f'"tid":{s + 1}{tail}')
    meta = {"generator": "cyclesim", "program": program, "clock": clock,
            "time_unit": "1 us = 1 cycle" if clock == "cycles" else "us of simulated time",
            "instructions": n}
    if frequency_hz:
        meta["frequency_hz"] = float(frequency_hz)
    doc = {"otherData": meta}
    if clock == "simulated":
        doc["displayTimeUnit"] = "ns"  # a cycle is about a nanosecond
    path, f = _open(path)
    with f:
        f.write('{"traceEvents":[\n')
        f.write(",\n".join([dumps(ev, separators=(",", ":")) for ev in metadata] + slices))
        f.write("\n]," + dumps(doc, separators=(",", ":"))[1:] + "\n")
    return path
