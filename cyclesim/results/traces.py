"""Trace buffers and samples → pandas DataFrames."""
from __future__ import annotations

import numpy as np
import pandas as pd


def intervals_frame(samples: list[dict]) -> pd.DataFrame:
    """Interval statistics: cumulative counters at each sample, plus per-interval rates."""
    if not samples:
        return pd.DataFrame()
    df = pd.DataFrame(samples)
    df.insert(0, "cycle", df.pop("cycle"))
    d_inst = df["core.instructions"].diff().fillna(df["core.instructions"])
    d_cyc = df["core.cycles"].diff().fillna(df["core.cycles"])
    df["interval.ipc"] = np.where(d_cyc > 0, d_inst / d_cyc.where(d_cyc > 0, 1), 0.0)
    for col in [c for c in df.columns if c.endswith(".misses") and c.count(".") == 1]:
        level = col.split(".")[0]
        d_miss = df[col].diff().fillna(df[col])
        df[f"interval.{level}.mpki"] = np.where(d_inst > 0, 1000 * d_miss / d_inst.where(d_inst > 0, 1), 0.0)
    return df
