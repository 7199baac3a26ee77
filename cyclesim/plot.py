"""Figures of a run or a sweep (matplotlib).

    from cyclesim import plot
    plot.pipeline_diagram(r)             # trace="pipeline": instructions down, cycles across
    plot.cpi_stack([r1, r2], labels=["32KiB", "64KiB"])
    plot.timeline(r)                     # interval IPC and MPKI over time
    plot.sweep_curve(df, x="l1d.size", y="l1d.miss_rate", hue="workload")
    plot.hotspots(r)                     # bars: the instructions that cost most stalls
                                         # (the table: r.hotspots(), cyclesim.results.hotspots)

Every function takes ``ax=`` (draws into it) or makes its own figure, and returns the Axes.
"""
from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd

from cyclesim.errors import CyclesimError
from cyclesim.results.traces import stage_columns

__all__ = [
    "CPI_COLORS",
    "STAGE_PALETTE",
    "cpi_stack",
    "hotspots",
    "pipeline_diagram",
    "sweep_curve",
    "timeline",
]

# Stage names come from the model that recorded the trace (its `stage_names` and, for
# cells too narrow for a name, `stage_letters`; cyclesim.results.traces.stage_columns).
# Colors go by position: the first stage in the first color, and so on.
STAGE_PALETTE = ("#8ecae6", "#b8e0a8", "#ffd166", "#f4a582", "#c3b1e1")
STALL_COLOR = "#d9d9d9"
FLUSH_COLOR = "#d62728"

# One color per CPI-stack part, the same in every figure (stack bars and hot-spot bars).
CPI_COLORS = {
    "base": "#4c72b0",
    "branch_mispredict": "#d62728",
    "icache_l1": "#e7d4f5", "icache_l2": "#c5a3e6", "icache_l3": "#9b6fcf",
    "icache_mem": "#6a3d9a",
    "dcache_l1": "#fde0b6", "dcache_l2": "#fdb863", "dcache_l3": "#e08214",
    "dcache_mem": "#8c510a",
    "itlb": "#9ecae1", "dtlb": "#3182bd",
    "data_hazard": "#2ca02c",
    "structural": "#bcbd22",
    "other": "#7f7f7f",
}
CPI_LABELS = {
    "base": "base (1 per instruction + pipeline fill)", "branch_mispredict": "branch mispredict",
    "icache_l1": "I-cache (L1)", "icache_l2": "I-cache (L2)", "icache_l3": "I-cache (L3)",
    "icache_mem": "I-cache (memory)", "dcache_l1": "D-cache (L1)", "dcache_l2": "D-cache (L2)",
    "dcache_l3": "D-cache (L3)", "dcache_mem": "D-cache (memory)", "itlb": "I-TLB miss", "dtlb": "D-TLB miss",
    "data_hazard": "data hazard",
    "structural": "structural", "other": "other",
}


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _new_ax(ax, size):
    if ax is not None:
        return ax
    _, ax = _plt().subplots(figsize=size, layout="constrained")
    return ax


def _need_pipeline(result) -> pd.DataFrame:
    pipe = getattr(result, "pipeline", None)
    if pipe is None:
        raise CyclesimError("this result has no pipeline trace: run it with "
                            "trace='pipeline' (and trace_window=(first, count)) to draw it")
    if pipe.empty:
        raise CyclesimError("the pipeline trace is empty: the trace window lies beyond the "
                            "end of the run; choose a smaller first instruction")
    if "core" in pipe.columns:           # a multi-core run: core 0's (core_pipeline(i))
        pipe = result.core_pipeline(0)
    return pipe


# --------------------------------------------------------------------- pipeline diagram
class _CycleAxis:
    """Cycle -> x position, with long quiet stretches folded into one column.

    A stretch is quiet when no instruction enters a stage in it: every occupant just stays
    where it is. Stretches longer than `fold` cycles keep `keep` cycles at each end and
    become one column in between, so a 100-cycle miss does not squeeze the rest of the
    diagram into slivers.
    """

    def __init__(self, events, fold: int | None, keep: int = 2):
        self.x: dict[int, float] = {}
        self.folds: list[tuple[int, int, float]] = []     # (first, last + 1, x)
        events = sorted({int(e) for e in events})
        x = 0.0
        for a, b in itertools.pairwise(events):
            if fold is not None and b - a > fold:
                for c in range(a, a + keep + 1):
                    self.x[c] = x
                    x += 1
                self.folds.append((a + keep + 1, b - keep, x))
                x += 1
                for c in range(b - keep, b):
                    self.x[c] = x
                    x += 1
            else:
                for c in range(a, b):
                    self.x[c] = x
                    x += 1
        self.x[events[-1]] = x
        self._fold_at = {f[0]: f for f in self.folds}
        self.width = x + 1

    def cell(self, c: int):
        """x of cycle c, ("fold", first, last) for the first cycle of a fold, None inside."""
        if c in self.x:
            return self.x[c]
        f = self._fold_at.get(c)
        return ("fold",) + f if f is not None else None


def pipeline_diagram(result, first: int | None = None, count: int = 40, ax=None,
                     show_causes: bool = True, fold: int | None = 24):
    """Instructions down, cycles across, the stage letter in each occupied cell.

    The first cycle in a stage is drawn in the stage's color; further cycles in the same
    stage (the instruction held there: a stall) are grey and hatched. A mispredicted
    branch has a red label and a red x after WB; the fetch slots lost to it (from the
    cycle it leaves IF to the next instruction's fetch) are red, outlined cells on the
    next row. At the right of a row, the cause of the cycles it waited (as the CPI stack
    counts them). `first` is the sequence number of the first instruction to draw
    (default: the start of the trace window); `count` instructions are drawn. Stretches of
    more than `fold` cycles in which no instruction moves (a long miss) are folded into one
    column labelled with the number of cycles left out (`fold=None` draws every cycle).
    """
    from matplotlib.patches import Patch, Rectangle

    pipe = _need_pipeline(result).sort_values("seq")
    if first is not None:
        pipe = pipe[pipe["seq"] >= first]
        if pipe.empty:
            raise CyclesimError(f"no traced instruction has seq >= {first}: the trace window "
                                "starts at seq "
                                f"{int(result.pipeline['seq'].min())}; choose a first "
                                "inside it")
    if count <= 0:
        raise CyclesimError(f"count = {count}: draw at least one instruction")
    rows = pipe.head(count).reset_index(drop=True)
    stages, columns_of, letters = stage_columns(pipe)
    entries = rows[list(columns_of)].to_numpy(dtype=np.int64)
    c0, c1 = int(entries.min()), int(entries[:, -1].max())
    n = len(rows)
    axis = _CycleAxis(np.concatenate([entries.ravel(), entries[:, -1] + 1, [c1 + 2]]), fold)
    columns = axis.width
    ax = _new_ax(ax, (min(16, max(8, 0.3 * columns + 6)), max(3, 0.3 * n + 1.6)))
    cells = 0
    font = 7 if n > 30 or columns > 60 else 8
    # Cell width in points decides whether the longest stage name fits or one letter per
    # stage is drawn.
    fig = ax.figure
    cell_pt = ax.get_position().width * fig.get_figwidth() * 72 / (columns + 8)
    short = cell_pt < 2.3 * font * max(len(st) for st in stages) / 3
    letter = dict(zip(stages, letters)) if short else {st: st for st in stages}
    color = {st: STAGE_PALETTE[s % len(STAGE_PALETTE)] for s, st in enumerate(stages)}
    for i in range(n):
        for s, stage in enumerate(stages):
            start = entries[i, s]
            end = entries[i, s + 1] if s + 1 < len(stages) else start + 1
            for c in range(start, end):
                cells += 1
                x = axis.cell(c)
                if x is None:
                    continue            # inside a fold: drawn once at its first cycle
                stalled = c > start
                text = letter[stage]
                if isinstance(x, tuple):
                    x, text = x[3], "⋯"
                ax.add_patch(Rectangle((x - 0.5, i - 0.5), 1, 1, gid="stage-cell",
                                       facecolor=STALL_COLOR if stalled else color[stage],
                                       edgecolor="white", linewidth=0.8,
                                       hatch="///" if stalled else None))
                ax.text(x, i, text, ha="center", va="center", fontsize=font,
                        color="#555555" if stalled else "black")
    # Fetch slots lost to a misprediction: from the branch leaving IF to the next fetch.
    mispredicted = rows["mispredicted"].to_numpy(dtype=bool)
    for i in np.flatnonzero(mispredicted):
        ax.plot(axis.x[entries[i, -1] + 1], i, marker="x", color=FLUSH_COLOR, markersize=7,
                markeredgewidth=2, gid="mispredict-marker")
        if i + 1 < n:
            for c in range(entries[i, 1], entries[i + 1, 0]):
                x = axis.cell(c)
                if x is None:
                    continue
                x = x[3] if isinstance(x, tuple) else x
                ax.add_patch(Rectangle((x - 0.5, i + 0.5), 1, 1, gid="flush-cell",
                                       facecolor="#fbe3e3", edgecolor=FLUSH_COLOR,
                                       linewidth=0.8, linestyle="--"))
    causes = rows["stall_cause"] if "stall_cause" in rows else pd.Series([None] * n)
    has_cause = causes.map(lambda v: isinstance(v, str) and bool(v)).to_numpy(dtype=bool)
    if show_causes:
        for i in np.flatnonzero(has_cause):
            x = axis.x[entries[i, -1] + 1] + (1.0 if mispredicted[i] else 0.0) - 0.1
            ax.text(x, i, causes.iloc[i], ha="left", va="center", fontsize=font - 1,
                    color="#666666", style="italic")
    labels = [f"{int(pc):#x}  {text}" for pc, text in zip(rows["pc"], rows["disassembly"])]
    ax.set_yticks(range(n), labels, fontsize=font, family="monospace")
    for tick, bad in zip(ax.get_yticklabels(), mispredicted):
        if bad:
            tick.set_color(FLUSH_COLOR)
    right = axis.x[c1] + 1.5
    if show_causes and has_cause.any():
        # room for the cause text after the WB of the last rows that have one
        right = max(right, axis.x[int(entries[has_cause, -1].max()) + 1] + 8)
    ax.set_xlim(-0.5, right)
    ax.set_ylim(n - 0.5, -0.5)
    _cycle_ticks(ax, axis, c0, c1)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.tick_params(axis="x", labelsize=font)
    ax.set_xlabel("cycle" + (" (⋯ = cycles left out, in which no instruction moves)"
                             if axis.folds else ""))
    for side in ("right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{os.path.basename(str(result.program))}: pipeline of instructions "
                 f"{int(rows['seq'].iloc[0]):,}–{int(rows['seq'].iloc[-1]):,} "
                 f"(cycles {c0:,}–{c1:,})"
                 + ("\n" + ", ".join(f"{a} = {b}" for a, b in zip(letters, stages))
                    if short else ""), fontsize=10, pad=8)
    handles = []       # a key for what this window shows
    if (np.diff(entries, axis=1) > 1).any():
        handles.append(Patch(facecolor=STALL_COLOR, hatch="///", edgecolor="white",
                             label="stall (held in stage)"))
    if mispredicted.any():
        handles += [Patch(facecolor="#fbe3e3", edgecolor=FLUSH_COLOR, linestyle="--",
                          label="fetch slots lost to a misprediction"),
                    _plt().Line2D([], [], marker="x", color=FLUSH_COLOR, linestyle="none",
                                  markeredgewidth=2, label="mispredicted branch")]
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=3, fontsize=8, frameon=False)
    ax.cells_drawn = cells   # stage-cycles represented (folded ones included)
    ax.folds = [(a, b) for a, b, _ in axis.folds]
    return ax


def _cycle_ticks(ax, axis: _CycleAxis, c0: int, c1: int) -> None:
    """About a dozen cycle numbers at round values, and "+N" at each fold."""
    span = len(axis.x)
    step = next(k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**4, 10**5, 10**6)
                if span / k <= 12)
    folds = [(x, b - a) for a, b, x in axis.folds]
    ticks = [(x, f"+{width:,}") for x, width in folds]
    for c in range(c0 - c0 % step, c1 + 1, step):
        x = axis.x.get(c)
        if x is not None and all(abs(x - fx) >= 4 for fx, _ in folds):
            ticks.append((x, f"{c:,}"))
    ticks.sort()
    ax.set_xticks([t[0] for t in ticks], [t[1] for t in ticks])


# --------------------------------------------------------------------------- CPI stack
def _as_results(results, labels):
    from cyclesim.results.result import SimResult

    if isinstance(results, SimResult):
        results = [results]
    elif isinstance(results, dict):
        labels = list(results) if labels is None else labels
        results = list(results.values())
    results = list(results)
    if not results:
        raise CyclesimError("no results to plot: pass a SimResult or a list of them")
    if labels is None:
        labels = [_default_label(r) for r in results]
        if len(set(labels)) < len(labels):
            labels = [f"{lab} #{i + 1}" for i, lab in enumerate(labels)]
    if len(labels) != len(results):
        raise CyclesimError(f"{len(labels)} labels for {len(results)} results: give one "
                            "label per result")
    return results, [str(lab) for lab in labels]


def _default_label(r) -> str:
    name = getattr(r.config, "name", "")
    head = f"{os.path.basename(str(r.program))} {' '.join(r.args)}".strip()
    return f"{head}\n({name})" if name else head


def cpi_stack(results, ax=None, labels=None):
    """Stacked bars of CPI by cause, one bar per result; the parts sum to the CPI.

    `results`: a SimResult, a list of them, or a dict {label: result}. Parts that are zero
    in every result are left out. The total CPI is written above each bar.
    """
    results, labels = _as_results(results, labels)
    stacks = []
    for r in results:
        stack = r.cpi_stack()
        if stack.empty or r.instructions == 0:
            raise CyclesimError(f"{r.program} has no CPI stack: it was run in functional "
                                "mode or retired no instructions; run it with mode='timing'")
        stacks.append(stack / r.instructions)
    table = pd.DataFrame(stacks).fillna(0.0)
    order = [p for p in CPI_COLORS if p in table.columns] + \
            [p for p in table.columns if p not in CPI_COLORS]
    table = table[[p for p in order if (table[p] > 0).any()]]
    ax = _new_ax(ax, (max(5.5, 1.3 * len(results) + 4), 4.5))
    x = np.arange(len(results))
    bottom = np.zeros(len(results))
    width = 0.6 if len(results) > 1 else 0.4
    for part in table.columns:
        values = table[part].to_numpy()
        ax.bar(x, values, width, bottom=bottom, label=CPI_LABELS.get(part, part),
               color=CPI_COLORS.get(part), edgecolor="white", linewidth=0.5, gid=part)
        bottom += values
    for xi, total in zip(x, bottom):
        ax.text(xi, total, f"{total:.2f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, labels, fontsize=9)
    if len(results) > 4 and max(len(lab) for lab in labels) > 10:
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_ylabel("cycles per instruction (CPI)")
    ax.set_ylim(0, bottom.max() * 1.12)
    ax.set_title("CPI stack: where the cycles go")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


# ---------------------------------------------------------------------------- timeline
def _interval_column(intervals: pd.DataFrame, metric: str) -> str:
    for name in (f"interval.{metric}", metric):
        if name in intervals.columns:
            return name
    choices = sorted(c[len("interval."):] for c in intervals.columns if c.startswith("interval."))
    raise CyclesimError(f"no interval statistic {metric!r}: choose from {', '.join(choices)}")


def _metric_label(metric: str) -> str:
    m = metric.removeprefix("interval.")
    if m == "ipc":
        return "IPC (instructions per cycle)"
    if m == "cpi":
        return "CPI (cycles per instruction)"
    if m.endswith(".mpki"):
        return f"{m.split('.')[0].upper()} MPKI (misses per 1000 instructions)"
    if m.endswith("miss_rate"):
        return f"{m.split('.')[0].upper()} miss rate (%)"
    return m


def timeline(result, metrics=("ipc", "l1d.mpki"), ax=None):
    """Interval statistics over time (x: cycle at the end of each interval).

    IPC/CPI go on the left axis and MPKI metrics on a second y axis on the right
    (``ax.right_ax``). Needs a run with ``sample_interval`` set (the default 100,000
    cycles); use a smaller interval for a short run.
    """
    intervals = getattr(result, "intervals", None)
    if intervals is None or intervals.empty:
        raise CyclesimError("this result has no interval statistics: run it in timing mode "
                            "with sample_interval=N cycles (smaller than the run)")
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    cols = [_interval_column(intervals, m) for m in metrics]
    ax = _new_ax(ax, (9, 3.8))
    left = [c for c in cols if c.endswith(("ipc", "cpi"))]
    right = [c for c in cols if c not in left]
    if not left:
        left, right = right[:1], right[1:]
    colors = iter(["#1f77b4", "#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#8c564b"])
    # Each sample closes an interval: draw it as a step from the previous sample's cycle.
    x = intervals["cycle"].to_numpy(dtype=float)
    edges = np.concatenate(([0.0], x))
    lines = []
    for c in left:
        lines.append(ax.stairs(intervals[c].to_numpy(dtype=float), edges, baseline=None,
                               color=next(colors), label=_metric_label(c), linewidth=1.6))
    ax.set_ylabel(" / ".join(_metric_label(c).split(" (")[0] for c in left)
                  if len(left) > 1 else _metric_label(left[0]))
    ax.set_ylim(bottom=0)
    ax.right_ax = None
    if right:
        rax = ax.twinx()
        for c in right:
            lines.append(rax.stairs(intervals[c].to_numpy(dtype=float), edges, baseline=None,
                                    color=next(colors), label=_metric_label(c),
                                    linewidth=1.2, linestyle="--"))
        rax.set_ylabel("MPKI (misses per 1000 instructions)"
                       if all(c.endswith("mpki") for c in right) else _metric_label(right[0]))
        rax.set_ylim(bottom=0)
        ax.right_ax = rax
    from matplotlib.ticker import FuncFormatter

    ax.set_xlim(0, edges[-1])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("cycle")
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper center",
              bbox_to_anchor=(0.5, -0.18), ncol=min(3, len(lines)), fontsize=8,
              frameon=False)
    step = float(np.median(np.diff(edges)))
    ax.set_title(f"{os.path.basename(str(result.program))}: behaviour over time (sampled every ~{step:,.0f} cycles)")
    return ax


# ------------------------------------------------------------------------- sweep curve
_SIZE_HINTS = ("size", "bytes", "capacity")


def _format_bytes(v, _pos=None) -> str:
    v = float(v)
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= scale:
            q = v / scale
            return f"{q:g}{unit}" if q == int(q) else f"{q:.1f}{unit}"
    return f"{v:g}B"


def _axis_label(name: str) -> str:
    if name.endswith("miss_rate"):
        return f"{name.split('.')[0].upper()} miss rate (%)"
    if name.endswith("mpki"):
        return f"{name.split('.')[0].upper()} MPKI (misses per 1000 instructions)"
    labels = {"core.ipc": "IPC (instructions per cycle)",
              "core.cpi": "CPI (cycles per instruction)",
              "sim.seconds": "simulated time (s)", "core.cycles": "cycles"}
    if name in labels:
        return labels[name]
    sec, _, field = name.partition(".")
    if field.endswith("size"):
        return f"{sec.upper()} {field.replace('_', ' ')} (bytes)"
    if field == "assoc":
        return f"{sec.upper()} associativity (ways)"
    if field == "policy":
        return f"{sec.upper()} replacement policy"
    return name


def sweep_curve(df: pd.DataFrame, x: str, y: str, hue: str | None = None, ax=None,
                logx: bool | None = None):
    """`y` against a swept parameter `x`, one line per value of `hue` (e.g. workload).

    A size column (bytes, or text such as "32KiB") is drawn on a log2 axis with KiB/MiB
    ticks; a text column (a replacement policy) as categories. A miss rate is drawn in
    percent.
    """
    for col in (x, y) + ((hue,) if hue else ()):
        if col not in df.columns:
            raise CyclesimError(f"column {col!r} is not in the DataFrame: choose from "
                                f"{', '.join(map(str, df.columns))}")
    data = df.copy()
    xs = data[x]
    is_size = any(h in x.lower() for h in _SIZE_HINTS)
    if is_size and not pd.api.types.is_numeric_dtype(xs):
        from cyclesim.units import parse_size

        xs = xs.map(lambda v: parse_size(v) if isinstance(v, str) else v)
    categorical = not pd.api.types.is_numeric_dtype(xs)
    if categorical:
        cats = list(dict.fromkeys(xs.astype(str)))
        xs = xs.astype(str).map({c: i for i, c in enumerate(cats)})
    data["_x"] = xs.astype(float)
    scale = 100.0 if y.endswith("miss_rate") else 1.0
    ax = _new_ax(ax, (7, 4.2))
    groups = data.groupby(hue, sort=False) if hue else [(None, data)]
    markers = iter("osD^vP*Xh<>" * 4)
    for key, g in groups:
        g = g.groupby("_x", sort=True)[y].mean()
        ax.plot(g.index, g.to_numpy() * scale, marker=next(markers), linewidth=1.6,
                markersize=5, label=None if key is None else str(key))
    if categorical:
        ax.set_xticks(range(len(cats)), cats)
    else:
        values = np.sort(data["_x"].unique())
        use_log = logx if logx is not None else (
            is_size or (len(values) > 2 and values.min() > 0 and values.max() / values.min() >= 8))
        if use_log:
            ax.set_xscale("log", base=2)
            ax.set_xticks(values)
            ax.minorticks_off()
        if is_size:
            from matplotlib.ticker import FuncFormatter

            ax.xaxis.set_major_formatter(FuncFormatter(_format_bytes))
        elif use_log:
            ax.set_xticks(values, [f"{v:g}" for v in values])
    xlabel = _axis_label(x)
    if is_size:
        xlabel = xlabel.replace(" (bytes)", "")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_axis_label(y))
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if hue:
        ax.legend(title=hue, fontsize=8, title_fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title(f"{_axis_label(y).split(' (')[0]} vs {xlabel.split(' (')[0]}")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


# ---------------------------------------------------------------------------- hotspots
def hotspots(result, by: str = "pc", top: int = 15, ax=None):
    """Horizontal bars of the stall cycles of the top instructions (``by="pc"``) or
    functions (``by="function"``) of a pipeline trace, split by cause (colors as in the
    CPI stack). `result` may also be a table of cyclesim.results.hotspots.hotspots (what
    ``r.hotspots()`` returns)."""
    from cyclesim.results.hotspots import hotspots as hotspot_table

    table = result if isinstance(result, pd.DataFrame) else hotspot_table(result, by=by,
                                                                          top=top)
    if "function" in table.columns and "disassembly" not in table.columns:
        labels = table["function"].tolist()
    else:
        labels = [f"{a}  {d}  [{f}]" for a, d, f in
                  zip(table["address"], table["disassembly"], table["function"])]
    causes = [c for c in CPI_COLORS if c in table.columns and table[c].sum() > 0]
    ax = _new_ax(ax, (9, max(2.5, 0.32 * len(table) + 1.4)))
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for c in causes:
        values = table[c].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=CPI_COLORS[c], label=CPI_LABELS.get(c, c),
                edgecolor="white", linewidth=0.5, gid=c)
        left += values
    ax.set_yticks(y, labels, fontsize=8, family="monospace")
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel("stall cycles in the trace window")
    name = getattr(result, "program", None)
    name = os.path.basename(str(name)) if name else None
    ax.set_title(f"{name + ': ' if name else ''}hot spots by stall cycles")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


# The earlier name of `hotspots` (when `hotspots` was the table).
plot_hotspots = hotspots
