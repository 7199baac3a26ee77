"""Compact HTML summaries of a result and of a config, for Jupyter (``_repr_html_``).

The text form is the CLI report (``SimResult.report()``) and ``SystemConfig.summary()``.
Inline styles only, and no colors on text, so the tables read in light and dark themes.
"""
from __future__ import annotations

from html import escape

_TABLE = 'style="border-collapse:collapse;margin:2px 0 6px 0;font-size:90%"'
_TH = 'style="text-align:left;padding:1px 8px 1px 2px;font-weight:600"'
_TD = 'style="text-align:right;padding:1px 8px;font-variant-numeric:tabular-nums"'
_TDL = 'style="text-align:left;padding:1px 8px"'
_CAPTION = 'style="text-align:left;font-weight:600;padding:4px 0 2px 0"'


def _seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3f} ms"
    return f"{t * 1e6:.3f} µs"


def _rows(pairs) -> str:
    return "".join(f"<tr><th {_TH}>{escape(str(k))}</th><td {_TDL}>{escape(str(v))}</td></tr>"
                   for k, v in pairs)


def _table(caption: str, header: list[str], rows: list[list[str]], bars: list[float] | None = None
           ) -> str:
    head = "".join(f"<th {_TH if i == 0 else _TD}>{escape(h)}</th>" for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        cells = [f"<td {_TDL if i == 0 else _TD}>{escape(c)}</td>" for i, c in enumerate(row)]
        if bars is not None:
            width = max(0.0, min(1.0, bars[r])) * 80
            cells.append(f'<td style="padding:1px 4px"><div style="width:{width:.0f}px;'
                         f'height:8px;background:#4c72b0"></div></td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    extra = "<th></th>" if bars is not None else ""
    return (f"<table {_TABLE}><caption {_CAPTION}>{escape(caption)}</caption>"
            f"<thead><tr>{head}{extra}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def result_html(result) -> str:
    """One block: headline facts, CPI stack, caches and branch predictor, traces held."""
    s = result.stats
    title = f"{result.program} {' '.join(result.args)}".strip()
    config_name = getattr(result.config, "name", "")
    facts = [("status", result.message or result.status)]
    from cyclesim.results.report import _isa
    if _isa(result):
        facts.append(("isa", _isa(result)))
    instructions = int(s.get("core.instructions", 0))
    facts.append(("instructions", f"{instructions:,}"))
    timing = result.mode == "timing" and "core.cycles" in s
    if timing:
        cycles = int(s["core.cycles"])
        facts.append(("cycles", f"{cycles:,}"))
        facts.append(("IPC / CPI", f"{s.get('core.ipc', 0.0):.3f} / {s.get('core.cpi', 0.0):.3f}"))
        freq = float(s.get("core.frequency_hz", 0.0))
        if freq:
            facts.append(("simulated time", f"{_seconds(cycles / freq)} at {freq / 1e9:g} GHz"))
    facts.append(("host time", f"{result.host_seconds:.2f} s ({result.mips:.2f} MIPS)"))
    held = []
    if result.pipeline is not None:
        held.append(f"pipeline ({len(result.pipeline):,} instructions)")
    if result.memory_trace is not None:
        held.append(f"memory ({len(result.memory_trace):,} accesses)")
    if result.intervals is not None and len(result.intervals):
        n = len(result.intervals)
        held.append(f"intervals ({n:,} sample{'s' if n != 1 else ''})")
    if held:
        facts.append(("traces", ", ".join(held)))
    parts = [(f'<div style="font-size:95%"><div style="font-weight:700;margin-bottom:2px">'
             f"SimResult: {escape(title)} <span style=\"font-weight:400\">({escape(result.mode)}"
             f" mode{', ' + escape(config_name) if config_name else ''})</span></div>"),
             '<div style="display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start">',
             f"<div><table {_TABLE}><caption {_CAPTION}>run</caption>{_rows(facts)}</table></div>"]
    programs = getattr(result, "programs", None)
    if programs:
        rows = [[f"{p.index} {' '.join([p.program, *p.args])}", ",".join(map(str, p.harts)),
                 str(p.exit_code if p.status == "exited" else p.status),
                 f"{p.instructions:,}"] + ([f"{p.cycles:,}", f"{p.ipc:.3f}"] if timing else [])
                for p in programs]
        header = ["program", "harts", "exit", "instructions"] + (
            ["cycles", "IPC"] if timing else [])
        parts.append("<div>" + _table("programs", header, rows) + "</div>")
    if timing and getattr(result, "cores", 1) > 1:
        # several cores: one row per core (its CPI stack is result.cpi_stack(core))
        rows = [[f"core {i}", f"{int(s.get(f'core{i}.instructions', 0)):,}",
                 f"{int(s.get(f'core{i}.busy_cycles', 0)):,}",
                 f"{s.get(f'core{i}.ipc', 0.0):.3f}"] for i in range(result.cores)]
        parts.append("<div>" + _table("cores", ["core", "instructions", "busy cycles", "IPC"],
                                      rows) + "</div>")
    if timing and getattr(result, "cores", 1) == 1:
        stack = result.cpi_stack()
        total = max(1, int(stack.sum()))
        rows, bars = [], []
        for part, value in stack.items():
            if value == 0 and part != "base":
                continue
            rows.append([part, f"{int(value):,}",
                         f"{value / instructions if instructions else 0.0:.3f}",
                         f"{100 * value / total:.1f}%"])
            bars.append(value / total)
        parts.append("<div>" + _table("CPI stack", ["part", "cycles", "CPI", "share"], rows,
                                      bars) + "</div>")
    if timing:
        levels = [lv for lv in ("l1i", "l1d", "l2", "l3") if f"{lv}.accesses" in s]
        if levels:
            rows = []
            for lv in levels:
                acc = int(s[f"{lv}.accesses"])
                miss = int(s.get(f"{lv}.misses", 0))
                rate = f"{100.0 * (acc - miss) / acc:.2f}%" if acc else "–"
                rows.append([lv.upper(), f"{acc:,}", f"{miss:,}", rate,
                             f"{s.get(f'{lv}.mpki', 0.0):.2f}"])
            if "dram.accesses" in s:
                rows.append(["DRAM", f"{int(s['dram.accesses']):,}", "", ("row hits "
                             f"{100 * s.get('dram.row_hit_rate', 0.0):.1f}%"), ""])
            table = _table("caches", ["level", "accesses", "misses", "hit rate", "MPKI"], rows)
            if "bpred.branches" in s:
                table += _table("branch predictor", ["", "branches", "mispredicted",
                                                     "accuracy", "MPKI"],
                                [["conditional", f"{int(s['bpred.branches']):,}",
                                  f"{int(s.get('bpred.mispredicts', 0)):,}",
                                  f"{100 * s.get('bpred.accuracy', 0.0):.2f}%",
                                  f"{s.get('bpred.mpki', 0.0):.2f}"]])
            parts.append(f"<div>{table}</div>")
    parts.append("</div>")
    if result.stdout:
        out = result.stdout if len(result.stdout) <= 400 else result.stdout[:400] + "…"
        parts.append(f'<details><summary>stdout ({len(result.stdout_bytes):,} bytes)</summary>'
                     f'<pre style="margin:2px 0">{escape(out)}</pre></details>')
    parts.append("</div>")
    return "".join(parts)


def config_html(config) -> str:
    """The config as one small table per part of the machine, side by side."""
    d = config.to_dict()
    cores = f", {d['cores']} cores" if d.get("cores", 1) > 1 else ""
    blocks = []
    for section, fields in d.items():
        if section in ("name", "cores", "per_core"):
            continue
        if section == "workloads":            # programs run together: one row each
            fields = {i: w for i, w in enumerate(fields)}
        if fields is None:
            inner = f"<tr><td {_TDL}><i>none</i></td></tr>"
        else:
            inner = _rows(fields.items())
        blocks.append(f"<div><table {_TABLE}><caption {_CAPTION}>{escape(section)}</caption>"
                      f"{inner}</table></div>")
    return (f'<div style="font-size:90%"><div style="font-weight:700">SystemConfig '
            f"{escape(repr(d.get('name', '')))}"
            f"{cores}</div>"
            '<div style="display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start">'
            + "".join(blocks) + "</div></div>")
