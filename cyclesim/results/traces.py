"""Trace buffers and samples → pandas DataFrames."""
from __future__ import annotations

import numpy as np
import pandas as pd


def intervals_frame(samples: list[dict]) -> pd.DataFrame:
    """Interval statistics: cumulative counters at each sample, plus per-interval rates."""
    if not samples:
        return pd.DataFrame()
    df = pd.DataFrame(samples)
    df = df[["cycle"] + [c for c in df.columns if c != "cycle"]]
    d_inst = df["core.instructions"].diff().fillna(df["core.instructions"])
    d_cyc = df["core.cycles"].diff().fillna(df["core.cycles"])
    rates = {"interval.ipc": np.where(d_cyc > 0, d_inst / d_cyc.where(d_cyc > 0, 1), 0.0)}
    for col in [c for c in df.columns if c.endswith(".misses") and c.count(".") == 1]:
        level = col.split(".")[0]
        d_miss = df[col].diff().fillna(df[col])
        rates[f"interval.{level}.mpki"] = np.where(
            d_inst > 0, 1000 * d_miss / d_inst.where(d_inst > 0, 1), 0.0)
    # one concat, not a column at a time (many-core runs have hundreds of columns)
    return pd.concat([df, pd.DataFrame(rates, index=df.index)], axis=1)


# A core model declares its stage names once (the `stage_names` and `stage_letters` of
# its class, e.g. pipeline/inorder.pyx, pipeline/ooo.pyx); a pipeline frame carries them in
# df.attrs and names its stage-entry columns after them (`<stage>_cycle`, lower case).
# The record fields of the five stage-entry cycles (pipeline/trace.pxd PipeRecord):
_ENTRY = ("if_cycle", "id_cycle", "ex_cycle", "mem_cycle", "wb_cycle")


def entry_column(stage: str) -> str:
    """The pipeline-frame column holding the cycle an instruction entered `stage`."""
    return f"{stage.lower()}_cycle"


def _model_stages() -> list[tuple[tuple, tuple]]:
    """(stage names, letters) of every core model class that records a pipeline trace."""
    from pipeline.inorder import InOrderCore
    from pipeline.ooo import OutOfOrderCore

    return [(tuple(c.stage_names), tuple(c.stage_letters))
            for c in (InOrderCore, OutOfOrderCore)]


def default_stages() -> tuple[tuple, tuple]:
    """(stage names, letters) of the in-order core: for frames and models that name none."""
    return _model_stages()[0]


def stages_of(model) -> tuple[tuple, tuple]:
    """(stage names, letters) a timing model declares (the in-order ones if none)."""
    if getattr(model, "stage_names", None) is None:
        return default_stages()
    names = tuple(model.stage_names)
    letters = tuple(getattr(model, "stage_letters", ())) or tuple(s[0].upper() for s in names)
    return names, letters


def stage_columns(df: pd.DataFrame) -> tuple[tuple, tuple, tuple]:
    """(stage names, entry columns, letters) of a pipeline frame: from df.attrs when the
    frame carries them, else recognised from its columns (a frame read back from Parquet
    or built by hand), else the in-order stages."""
    names = tuple(df.attrs.get("stages", ()))
    if names and all(entry_column(s) in df.columns for s in names):
        letters = tuple(df.attrs.get("stage_letters", ())) or tuple(s[0] for s in names)
        return names, tuple(entry_column(s) for s in names), letters
    for names, letters in _model_stages():
        if all(entry_column(s) in df.columns for s in names):
            return names, tuple(entry_column(s) for s in names), letters
    names, letters = default_stages()
    return names, _ENTRY, letters


def with_stages(df: pd.DataFrame, names, letters) -> pd.DataFrame:
    """`df` carrying the stage names and letters of the model that recorded it."""
    df.attrs["stages"] = tuple(names)
    df.attrs["stage_letters"] = tuple(letters)
    return df
LEVEL_NAMES = {0: None, 1: "L1", 2: "L2", 3: "L3", 4: "memory"}
KIND_NAMES = {0: "ifetch", 1: "load", 2: "store", 3: "amo"}


def _disassembly(raws, pcs) -> list[str]:
    from cyclesim.isa.disasm import disassemble  # caches by encoding itself

    return [disassemble(raw, pc).replace("\t", " ")
            for raw, pc in zip(raws.tolist(), pcs.tolist())]


def pipeline_frame(records, stages=None) -> pd.DataFrame:
    """One row per traced instruction: the cycle it entered each stage, and why it waited.

    `stages` = (names, letters) of the model that recorded it (stages_of): the entry
    columns are named after its stages and the frame carries them in df.attrs."""
    from pipeline.trace import CAUSE_NAMES, CAUSE_NONE_CODE, SLOT_PART_NAMES

    names, letters = stages if stages is not None else default_stages()
    entry = {a: entry_column(s) for a, s in zip(_ENTRY, names)}
    df = pd.DataFrame(records)
    if df.empty:
        return with_stages(pd.DataFrame(columns=["seq", "pc", "disassembly", *entry.values(),
                                                 "stall_cause", "level", "mispredicted"]),
                           names, letters)
    df = df.rename(columns=entry)
    df.insert(2, "disassembly", _disassembly(df["raw"].to_numpy(), df["pc"].to_numpy()))
    cause_names = dict(enumerate(CAUSE_NAMES))
    cause_names[CAUSE_NONE_CODE] = None
    df["stall_cause"] = df.pop("cause").map(cause_names)
    if "slot_part" in df:
        # wide cores: the commit-slot part (the CPI stack's name) of its empty slots
        slots = df.pop("slot_part")
        if (slots != CAUSE_NONE_CODE).any():
            slot_names = dict(enumerate(SLOT_PART_NAMES))
            slot_names[CAUSE_NONE_CODE] = None
            df["slot_cause"] = slots.map(slot_names)
    df["level"] = df.pop("served_by").map(LEVEL_NAMES)
    df["fetch_level"] = df.pop("fetch_served_by").map(LEVEL_NAMES)
    df["mispredicted"] = df["mispredicted"].astype(bool)
    return with_stages(df.reset_index(drop=True), names, letters)


def memory_frame(records) -> pd.DataFrame:
    """One row per traced memory access: cycle, pc, addr, size, kind, level."""
    df = pd.DataFrame(records)
    if df.empty:
        return pd.DataFrame(columns=["cycle", "seq", "pc", "addr", "size", "kind", "level",
                                     "latency"])
    df["kind"] = df["kind"].map(KIND_NAMES)
    df["level"] = df["level"].map(LEVEL_NAMES)
    return df[["cycle", "seq", "pc", "addr", "size", "kind", "level", "latency"]]


def cycles_frame(pipeline: pd.DataFrame) -> pd.DataFrame:
    """One row per cycle: the instruction (seq) in each stage, and the stages that stalled.

    Derived exactly from the stage-entry cycles: an instruction occupies stage s from its
    entry into s up to the cycle before its entry into the next stage; the last stage lasts one cycle.
    A stage is stalled in a cycle when its occupant entered it in an earlier cycle.
    """
    stages, columns, _ = stage_columns(pipeline)
    if pipeline.empty:
        return pd.DataFrame(columns=["cycle", *stages, "stalled", "cause"])
    entries = pipeline[list(columns)].to_numpy(dtype=np.int64)
    seqs = pipeline["seq"].to_numpy(dtype=np.int64)
    first, last = int(entries[:, 0].min()), int(entries[:, -1].max())
    n = last - first + 1
    cols = {"cycle": np.arange(first, last + 1, dtype=np.int64)}
    occ = np.full((n, len(stages)), -1, dtype=np.int64)    # seq in each stage, -1 = empty
    stalled = np.zeros((n, len(stages)), dtype=bool)
    for s, stage in enumerate(stages):
        start = entries[:, s]
        end = entries[:, s + 1] if s + 1 < len(stages) else start + 1
        lengths = np.maximum(end - start, 0)
        offsets = _ranges(lengths)
        idx = np.repeat(start - first, lengths) + offsets
        occ[idx, s] = np.repeat(seqs, lengths)
        # cycles after the first one in a stage are stall cycles of that stage
        stalled[idx[offsets > 0], s] = True
        cols[stage] = pd.arrays.IntegerArray(occ[:, s].copy(), occ[:, s] < 0)
    # the oldest stalled instruction in a cycle explains it: scan stages from the last back to the first
    stall_seq = np.full(n, -1, dtype=np.int64)
    for s in range(len(stages) - 1, -1, -1):
        pick = stalled[:, s] & (stall_seq < 0)
        stall_seq[pick] = occ[pick, s]
    df = pd.DataFrame(cols)
    df["stalled"] = [",".join(st for st, on in zip(stages, row) if on) for row in stalled]
    cause_by_seq = dict(zip(pipeline["seq"].tolist(), pipeline["stall_cause"].tolist()))
    df["cause"] = [cause_by_seq.get(q) if q >= 0 else None for q in stall_seq.tolist()]
    return df


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(k) for each k in lengths (vectorised)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = np.repeat(ends - lengths, lengths)
    return np.arange(total, dtype=np.int64) - starts
