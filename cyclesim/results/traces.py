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


STAGES = ("IF", "ID", "EX", "MEM", "WB")
_ENTRY = ("if_cycle", "id_cycle", "ex_cycle", "mem_cycle", "wb_cycle")
LEVEL_NAMES = {0: None, 1: "L1", 2: "L2", 3: "L3", 4: "memory"}
KIND_NAMES = {0: "ifetch", 1: "load", 2: "store", 3: "amo"}


def _disassembly(raws, pcs) -> list[str]:
    from cyclesim.isa.disasm import disassemble  # caches by encoding itself

    return [disassemble(raw, pc).replace("\t", " ")
            for raw, pc in zip(raws.tolist(), pcs.tolist())]


def pipeline_frame(records) -> pd.DataFrame:
    """One row per traced instruction: the cycle it entered each stage, and why it waited."""
    from pipeline.trace import CAUSE_NAMES, CAUSE_NONE_CODE

    df = pd.DataFrame(records)
    if df.empty:
        return pd.DataFrame(columns=["seq", "pc", "disassembly", *_ENTRY, "stall_cause",
                                     "level", "mispredicted"])
    df.insert(2, "disassembly", _disassembly(df["raw"].to_numpy(), df["pc"].to_numpy()))
    names = {i: n for i, n in enumerate(CAUSE_NAMES)}
    names[CAUSE_NONE_CODE] = None
    df["stall_cause"] = df.pop("cause").map(names)
    df["level"] = df.pop("served_by").map(LEVEL_NAMES)
    df["fetch_level"] = df.pop("fetch_served_by").map(LEVEL_NAMES)
    df["mispredicted"] = df["mispredicted"].astype(bool)
    return df.reset_index(drop=True)


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
    entry into s up to the cycle before its entry into the next stage; WB lasts one cycle.
    A stage is stalled in a cycle when its occupant entered it in an earlier cycle.
    """
    if pipeline.empty:
        return pd.DataFrame(columns=["cycle", *STAGES, "stalled", "cause"])
    entries = pipeline[list(_ENTRY)].to_numpy(dtype=np.int64)
    seqs = pipeline["seq"].to_numpy(dtype=np.int64)
    first, last = int(entries[:, 0].min()), int(entries[:, -1].max())
    n = last - first + 1
    cols = {"cycle": np.arange(first, last + 1, dtype=np.int64)}
    occ = np.full((n, len(STAGES)), -1, dtype=np.int64)    # seq in each stage, -1 = empty
    stalled = np.zeros((n, len(STAGES)), dtype=bool)
    for s, stage in enumerate(STAGES):
        start = entries[:, s]
        end = entries[:, s + 1] if s + 1 < len(STAGES) else start + 1
        lengths = np.maximum(end - start, 0)
        offsets = _ranges(lengths)
        idx = np.repeat(start - first, lengths) + offsets
        occ[idx, s] = np.repeat(seqs, lengths)
        # cycles after the first one in a stage are stall cycles of that stage
        stalled[idx[offsets > 0], s] = True
        cols[stage] = pd.arrays.IntegerArray(occ[:, s].copy(), occ[:, s] < 0)
    # the oldest stalled instruction in a cycle explains it: scan stages from WB back to IF
    stall_seq = np.full(n, -1, dtype=np.int64)
    for s in range(len(STAGES) - 1, -1, -1):
        pick = stalled[:, s] & (stall_seq < 0)
        stall_seq[pick] = occ[pick, s]
    df = pd.DataFrame(cols)
    df["stalled"] = [",".join(st for st, on in zip(STAGES, row) if on) for row in stalled]
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
