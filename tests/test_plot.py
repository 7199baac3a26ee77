"""cyclesim.plot and the rich display: each figure draws what the data says.

Expected counts come from the DataFrames by hand-written formulas, from hand-made traces
whose answer is worked out in the comments, from the CPI stack the engine computes on its
own path, and from riscv64-linux-gnu-nm for function symbols.
"""
import os
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

import cyclesim
from cyclesim import plot
from cyclesim.results import hotspots as hotspot_tables
from cyclesim.errors import CyclesimError

ENTRY = ["if_cycle", "id_cycle", "ex_cycle", "mem_cycle", "wb_cycle"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sort_window():
    # a window in the sorting loop: mispredicted branches and load-use stalls
    return cyclesim.run("sort", "500", trace="pipeline", trace_window=(22_550, 60),
                        sample_interval=20_000)


@pytest.fixture(scope="module")
def sort_full():
    # the whole run traced: hot spots can be checked against the CPI stack
    return cyclesim.run("sort", "500", trace="pipeline", trace_window=(0, 10_000_000),
                        sample_interval=20_000)


@pytest.fixture(scope="module")
def ptrchase():
    return cyclesim.run("ptrchase", "256", sample_interval=10_000)


class FakeResult:
    """Just what the plots read, so a trace can be written by hand."""

    def __init__(self, rows, program="hand"):
        self.program = program
        self.path = "/nonexistent"
        self.args = []
        self.pipeline = pd.DataFrame(rows)


def _hand_trace():
    # 0: add, no stall:                 IF 0, ID 1, EX 2, MEM 3, WB 4      -> 5 cells
    # 1: lw, holds MEM 3 cycles (miss): IF 1, ID 2, EX 3, MEM 4-6, WB 7    -> 7 cells
    # 2: add using it, held in ID/EX:   IF 2, ID 3-4, EX 5-7, MEM 8, WB 9  -> 8 cells
    # 3: beq, mispredicted:             IF 3, ID 5, EX 8, MEM 9, WB 10     -> 8 cells
    # 4: next fetch after resolution:   IF 10, ID 11, EX 12, MEM 13, WB 14 -> 5 cells
    rows = [
        (0, 0x100, "add a0,a0,1", 0, 1, 2, 3, 4, False, None),
        (1, 0x104, "lw a1,0(a2)", 1, 2, 3, 4, 7, False, "dcache_l2"),
        (2, 0x108, "add a3,a1,a0", 2, 3, 5, 8, 9, False, "dcache_l2"),
        (3, 0x10c, "beq a3,zero,200", 3, 5, 8, 9, 10, True, "structural"),
        (4, 0x110, "add a4,a4,1", 10, 11, 12, 13, 14, False, "branch_mispredict"),
    ]
    cols = ["seq", "pc", "disassembly", *ENTRY, "mispredicted", "stall_cause"]
    return [dict(zip(cols, r)) for r in rows]


def _stage_cells(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() == "stage-cell"]


def _png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 2000
    return path


# ------------------------------------------------------------------ pipeline diagram
def test_pipeline_diagram_hand_trace_cells(tmp_path):
    ax = plot.pipeline_diagram(FakeResult(_hand_trace()))
    cells = _stage_cells(ax)
    assert len(cells) == 5 + 7 + 8 + 8 + 5 == ax.cells_drawn
    # stall cells (hatched): lw MEM x2, add ID x1 + EX x2, beq IF x1 + ID x2 = 8
    assert sum(1 for c in cells if c.get_hatch()) == 8
    # the cell texts are stage names (full or one-letter), one per cell
    texts = [t.get_text() for t in ax.texts if t.get_text() in
             {"IF", "ID", "EX", "MEM", "WB", "F", "D", "X", "M", "W"}]
    assert len(texts) == len(cells)
    # the branch resolves at cycle 8 (EX); slots lost: from its ID entry (5) to 9 = 5 cells
    flush = [p for p in ax.patches if p.get_gid() == "flush-cell"]
    assert len(flush) == 10 - 5
    markers = [ln for ln in ax.lines if ln.get_gid() == "mispredict-marker"]
    assert len(markers) == 1 and markers[0].get_xdata()[0] == 11
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "0x100  add a0,a0,1" and len(labels) == 5
    assert ax.get_yticklabels()[3].get_color() == plot.FLUSH_COLOR
    assert ax.get_xlabel() == "cycle"
    _png(ax.figure, tmp_path, "hand")


def test_pipeline_diagram_real_trace(sort_window, tmp_path):
    pipe = sort_window.pipeline.sort_values("seq")
    first = int(pipe["seq"].iloc[5])
    ax = plot.pipeline_diagram(sort_window, first=first, count=30)
    rows = pipe[pipe["seq"] >= first].head(30)
    expected = int((rows["wb_cycle"] - rows["if_cycle"] + 1).sum())
    assert len(_stage_cells(ax)) == expected
    markers = [ln for ln in ax.lines if ln.get_gid() == "mispredict-marker"]
    assert len(markers) == int(rows["mispredicted"].sum()) > 0
    assert len(ax.get_yticks()) == 30
    assert f"{int(rows['pc'].iloc[0]):#x}" in ax.get_yticklabels()[0].get_text()
    assert "sort" in ax.get_title()
    _png(ax.figure, tmp_path, "pipeline")
    # the SimResult method draws the same diagram
    ax2 = sort_window.plot_pipeline(first=first, count=30)
    assert len(_stage_cells(ax2)) == expected


def test_pipeline_diagram_folds_long_stalls():
    # 0: a load that holds MEM for 100 cycles: IF 0, ID 1, EX 2, MEM 3-102, WB 103
    # 1: the next instruction waits behind it:  IF 1, ID 2, EX 3-102, MEM 103, WB 104
    rows = [{"seq": 0, "pc": 0x100, "disassembly": "ld a0,0(a1)", "if_cycle": 0, "id_cycle": 1,
                 "ex_cycle": 2, "mem_cycle": 3, "wb_cycle": 103, "mispredicted": False,
                 "stall_cause": "dcache_mem"},
            {"seq": 1, "pc": 0x104, "disassembly": "add a2,a2,1", "if_cycle": 1, "id_cycle": 2,
                 "ex_cycle": 3, "mem_cycle": 103, "wb_cycle": 104, "mispredicted": False,
                 "stall_cause": "dcache_mem"}]
    ax = plot.pipeline_diagram(FakeResult(rows), fold=24)
    assert ax.cells_drawn == 104 + 104
    # nothing enters a stage from cycle 4 to 102: with 2 cycles kept at each end, cycles
    # 6..100 become one column
    assert ax.folds == [(6, 101)]
    ax.figure.canvas.draw()
    assert "+95" in [t.get_text() for t in ax.get_xticklabels()]
    # columns: 0-5, the fold, 101-106. Row 0: IF ID EX, MEM at 3 4 5, fold, 101 102, WB;
    # row 1: IF ID, EX at 3 4 5, fold, 101 102, MEM, WB
    assert len(_stage_cells(ax)) == (3 + 3 + 1 + 2 + 1) + (2 + 3 + 1 + 2 + 2)
    ax = plot.pipeline_diagram(FakeResult(rows), fold=None)
    assert len(_stage_cells(ax)) == 208 and ax.folds == []


def test_pipeline_diagram_without_trace_says_what_to_do(ptrchase):
    with pytest.raises(CyclesimError, match="trace='pipeline'"):
        plot.pipeline_diagram(ptrchase)


def test_pipeline_diagram_first_outside_window(sort_window):
    with pytest.raises(CyclesimError, match="trace window"):
        plot.pipeline_diagram(sort_window, first=10**9)


def test_pipeline_diagram_into_given_axes(sort_window):
    _fig, (a, b) = plt.subplots(2, 1)
    assert plot.pipeline_diagram(sort_window, count=5, ax=b) is b
    assert len(_stage_cells(a)) == 0 and len(_stage_cells(b)) > 0


# ------------------------------------------------------------------------ CPI stack
def test_cpi_stack_bars(sort_window, ptrchase, tmp_path):
    results = [sort_window, ptrchase]
    ax = plot.cpi_stack(results, labels=["sort", "ptrchase"])
    parts = set()
    for r in results:
        stack = r.cpi_stack()
        parts |= set(stack[stack > 0].index)
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid() in parts]
    assert len(bars) == len(parts) * len(results)
    # each column of bars stacks up to the run's cycles / instructions
    for i, r in enumerate(results):
        column = [b for b in bars if abs(b.get_x() + b.get_width() / 2 - i) < 1e-9]
        top = max(b.get_y() + b.get_height() for b in column)
        assert top == pytest.approx(r.cycles_total / r.instructions, rel=1e-12)
        assert sum(b.get_height() for b in column) == pytest.approx(top, rel=1e-12)
    assert "CPI" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sort", "ptrchase"]
    assert len(ax.get_legend().get_texts()) == len(parts)
    _png(ax.figure, tmp_path, "cpi")


def test_cpi_stack_single_and_dict(ptrchase):
    ax = ptrchase.plot_cpi_stack()
    stack = ptrchase.cpi_stack()
    assert len([p for p in ax.patches if p.get_gid() in stack.index]) == int((stack > 0).sum())
    ax = plot.cpi_stack({"a": ptrchase, "b": ptrchase})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    with pytest.raises(CyclesimError, match="one label per result"):
        plot.cpi_stack([ptrchase], labels=["x", "y"])


def test_cpi_stack_refuses_functional_run():
    r = cyclesim.run("hello", mode="functional")
    with pytest.raises(CyclesimError, match="timing"):
        plot.cpi_stack(r)


# ------------------------------------------------------------------------- timeline
def test_timeline(ptrchase, tmp_path):
    iv = ptrchase.intervals
    assert len(iv) >= 3
    ax = plot.timeline(ptrchase, metrics=("ipc", "l1d.mpki", "l2.mpki"))
    left = [a for a in ax.patches if a.get_label().startswith("IPC")]
    right = ax.right_ax.patches
    assert len(left) == 1 and len(right) == 2
    data = left[0].get_data()
    values, edges = data.values, data.edges
    # one step per interval, from cycle 0 to each sample's cycle
    assert list(edges) == [0.0] + [float(c) for c in iv["cycle"]]
    # the interval IPC is instructions / cycles of each interval
    d_inst = iv["core.instructions"].diff().fillna(iv["core.instructions"])
    d_cyc = iv["cycle"].diff().fillna(iv["cycle"])
    np.testing.assert_allclose(values[1:-1], (d_inst / d_cyc).to_numpy()[1:-1], rtol=0.01)
    assert "IPC" in ax.get_ylabel() and "MPKI" in ax.right_ax.get_ylabel()
    assert ax.get_xlabel() == "cycle"
    assert len(ax.get_legend().get_texts()) == 3
    _png(ax.figure, tmp_path, "timeline")
    with pytest.raises(CyclesimError, match="choose from"):
        plot.timeline(ptrchase, metrics=("l9.mpki",))


# ---------------------------------------------------------------------- sweep curve
def _sweep_frame():
    rows = []
    for w, rates in (("a", [0.4, 0.2, 0.1]), ("b", [0.05, 0.05, 0.04])):
        for size, rate in zip(["4KiB", "16KiB", "1MiB"], rates):
            rows.append({"workload": w, "l1d.size": size, "l1d.miss_rate": rate,
                         "core.ipc": 1 - rate, "l1d.policy": "lru"})
    return pd.DataFrame(rows)


def test_sweep_curve_sizes(tmp_path):
    ax = plot.sweep_curve(_sweep_frame(), x="l1d.size", y="l1d.miss_rate", hue="workload")
    assert len(ax.lines) == 2
    assert list(ax.lines[0].get_xdata()) == [4096, 16384, 1 << 20]
    assert list(ax.lines[0].get_ydata()) == pytest.approx([40, 20, 10])   # percent
    assert ax.get_xscale() == "log"
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4KiB", "16KiB", "1MiB"]
    assert ax.get_ylabel() == "L1D miss rate (%)" and "size" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    _png(ax.figure, tmp_path, "sweep")


def test_sweep_curve_categories_and_bad_column():
    df = _sweep_frame().assign(**{"l1d.policy": ["lru", "fifo", "random"] * 2})
    ax = plot.sweep_curve(df, x="l1d.policy", y="core.ipc", hue="workload")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lru", "fifo", "random"]
    assert "IPC" in ax.get_ylabel()
    with pytest.raises(CyclesimError, match="not in the DataFrame"):
        plot.sweep_curve(df, x="l1d.assoc", y="core.ipc")


# ------------------------------------------------------------------------- hotspots
def test_hotspots_hand_trace():
    table = hotspot_tables.stall_table(FakeResult(_hand_trace()))
    # commit gaps minus one: lw 7-4-1 = 2, add 9-7-1 = 1, beq 0, add 14-10-1 = 3
    # the last is a misprediction: charged to the branch before it (seq 3)
    assert table["stall_cycles"].tolist() == [0, 2, 1, 3, 0]
    causes = [c if isinstance(c, str) else None for c in table["cause"]]
    assert causes == [None, "dcache_l2", "dcache_l2", "branch_mispredict", None]
    hot = hotspot_tables.hotspots(FakeResult(_hand_trace()), top=3)
    assert hot["address"].tolist() == ["0x10c", "0x104", "0x108"]
    assert hot["stall_cycles"].tolist() == [3, 2, 1]
    assert hot["stall_share"].tolist() == pytest.approx([0.5, 1 / 3, 1 / 6])
    assert hot["branch_mispredict"].tolist() == [3, 0, 0]


def test_hotspots_agree_with_cpi_stack(sort_full):
    pipe = sort_full.pipeline
    assert pipe["seq"].min() == 0 and len(pipe) == sort_full.instructions
    hot = sort_full.hotspots(top=10**6)
    stack = sort_full.cpi_stack()
    # every non-base cycle is some instruction's stall, except the first instruction's own
    # wait (its WB beyond the 4-cycle fill); that one has no predecessor in the trace
    first_wait = int(pipe.loc[pipe["seq"] == 0, "wb_cycle"].iloc[0]) - 4
    assert hot["stall_cycles"].sum() == stack.drop("base").sum() - first_wait
    for cause in hot.columns.intersection(stack.index):
        assert abs(hot[cause].sum() - stack[cause]) <= first_wait
    assert (hot["stall_cycles"].diff().dropna() <= 0).all()
    by_function = sort_full.hotspots(by="function", top=10**6)
    assert by_function["stall_cycles"].sum() == hot["stall_cycles"].sum()
    assert by_function["executions"].sum() == len(pipe)


@pytest.mark.skipif(shutil.which("riscv64-linux-gnu-nm") is None,
                    reason="needs riscv64-linux-gnu-nm (binutils-riscv64-linux-gnu)")
def test_hotspot_functions_match_nm(sort_full):
    out = subprocess.run(["riscv64-linux-gnu-nm", "-S", "--defined-only", sort_full.path],
                         capture_output=True, text=True, check=True).stdout
    extent = {}
    for line in out.splitlines():
        m = re.match(r"([0-9a-f]+) ([0-9a-f]+) [tT] (\S+)$", line)
        if m:
            start = int(m.group(1), 16)
            extent[m.group(3)] = (start, start + int(m.group(2), 16))
    hot = sort_full.hotspots(top=40)
    checked = 0
    for pc, function in zip(hot["pc"], hot["function"]):
        if function in extent:
            lo, hi = extent[function]
            assert lo <= pc < hi, (hex(pc), function)
            checked += 1
    assert checked >= 20
    assert {"quicksort", "main"} <= set(hot["function"])


def test_plot_hotspots(sort_full, tmp_path):
    # plot.hotspots draws (issue 8, item 12: it was listed among the plots but returned
    # the table, which is r.hotspots() / cyclesim.results.hotspots.hotspots)
    hot = sort_full.hotspots(top=8)
    ax = plot.hotspots(sort_full, top=8)
    assert isinstance(ax, Axes)
    causes = [c for c in plot.CPI_COLORS if c in hot.columns and hot[c].sum() > 0]
    bars = [p for p in ax.patches if p.get_gid() in causes]
    assert len(bars) == len(causes) * 8
    widths = {}
    for b in bars:
        y = round(b.get_y() + b.get_height() / 2)
        widths[y] = widths.get(y, 0) + b.get_width()
    assert [widths[i] for i in range(8)] == hot["stall_cycles"].tolist()
    assert len(ax.get_yticklabels()) == 8 and "stall cycles" in ax.get_xlabel()
    _png(ax.figure, tmp_path, "hotspots")
    ax = plot.hotspots(sort_full, by="function", top=5)
    assert [t.get_text() for t in ax.get_yticklabels()] == \
        sort_full.hotspots(by="function", top=5)["function"].tolist()
    # a table given is drawn as it is; the old name still draws
    assert len(plot.hotspots(hot.head(3)).get_yticklabels()) == 3
    assert plot.plot_hotspots is plot.hotspots


# -------------------------------------------------------------------------- display
def test_result_html_and_text(sort_window):
    html = sort_window._repr_html_()
    s = sort_window.stats
    assert f"{int(s['core.instructions']):,}" in html
    assert f"{int(s['core.cycles']):,}" in html
    assert "CPI stack" in html and "branch predictor" in html
    for level in ("L1I", "L1D", "L2"):
        assert f">{level}<" in html
    assert f"{int(s['l1d.misses']):,}" in html
    assert "pipeline (60 instructions)" in html
    assert str(sort_window) == sort_window.report()
    assert html.count("<table") == html.count("</table>")


def test_functional_result_html():
    r = cyclesim.run("hello", mode="functional")
    html = r._repr_html_()
    assert "functional" in html and "CPI stack" not in html
    assert "Hello, world!" in html


def test_config_html():
    config = cyclesim.resolve_config(preset="textbook")
    html = config._repr_html_()
    for section in ("core", "bpred", "l1i", "l1d", "l2", "l3", "memory"):
        assert f">{section}</caption>" in html
    assert "&#x27;textbook&#x27;" in html
    assert html.count("<i>none</i>") == 2        # textbook has no L2 and no L3
    assert ">16KiB<" in html


def test_result_methods_return_axes(ptrchase, sort_window):
    from matplotlib.axes import Axes

    assert isinstance(ptrchase.plot_timeline(), Axes)
    assert isinstance(ptrchase.plot_cpi_stack(), Axes)
    assert isinstance(sort_window.plot_pipeline(count=4), Axes)
    assert isinstance(sort_window.hotspots(top=3), pd.DataFrame)


def test_function_names_without_symbols():
    fake = FakeResult(_hand_trace())
    fake.path = os.devnull
    assert hotspot_tables.function_names(fake, [0x100, 0x104]) == ["?", "?"]
