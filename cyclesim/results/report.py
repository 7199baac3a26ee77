"""The text report of a run (what `cyclesim run` prints)."""
from __future__ import annotations


def _fmt_int(v) -> str:
    return f"{int(v):,}"


def format_report(result) -> str:
    s = result.stats
    lines = []
    head = f"{result.program} {' '.join(result.args)}".strip()
    lines.append(f"== {head} ({result.mode} mode) ==")
    ran = getattr(result, "path", None)
    if ran:
        what = "bundled workload" if getattr(result, "bundled", False) else "file"
        lines.append(f"program          {ran} ({what})")
    lines.append(f"status           {result.message}")
    instructions = int(s.get("core.instructions", 0))
    lines.append(f"instructions     {instructions:,}")
    if result.mode == "functional":
        lines.append(f"host time        {result.host_seconds:.2f} s ({result.mips:.1f} MIPS)")
        return "\n".join(lines)
    cycles = int(s.get("core.cycles", 0))
    freq = float(s.get("core.frequency_hz", 0.0))
    lines.append(f"cycles           {cycles:,}")
    lines.append(f"IPC              {s.get('core.ipc', 0.0):.3f}   (CPI {s.get('core.cpi', 0.0):.3f})")
    if freq:
        lines.append(f"simulated time   {_seconds(cycles / freq)} at {freq / 1e9:g} GHz")
    lines.append(f"host time        {result.host_seconds:.2f} s ({result.mips:.1f} MIPS)")

    stack = result.cpi_stack()
    if len(stack):
        lines.append("")
        total = max(1, int(stack.sum()))
        shown = [(p, v) for p, v in stack.items() if v != 0 or p == "base"]
        # one width for the names, so the longest (branch_mispredict) aligns too
        width = max(14, *(len(p) for p, _ in shown))
        lines.append(f"{'CPI stack':<{width + 2}} {'cycles':>14} {'CPI':>8} {'share':>8}")
        for part, value in shown:
            cpi = value / instructions if instructions else 0.0
            lines.append(f"  {part:<{width}} {int(value):>14,} {cpi:>8.3f} "
                         f"{100 * value / total:>7.1f}%")
        lines.append("  (base: 1 cycle per instruction, plus the cycles that fill the pipeline)")

    if "bpred.branches" in s:
        lines.append("")
        acc = s.get("bpred.accuracy", float("nan"))
        lines.append(f"branch predictor {_fmt_int(s['bpred.branches'])} branches, "
                     f"{_fmt_int(s.get('bpred.mispredicts', 0))} mispredicted, "
                     f"accuracy {100 * acc:.2f}%")

    levels = [k[: -len(".accesses")] for k in s.index
              if k.endswith(".accesses") and k.count(".") == 1]
    caches = [lv for lv in ("l1i", "l1d", "l2", "l3") if lv in levels]
    if caches:
        lines.append("")
        lines.append("cache            accesses        misses  hit rate      MPKI")
        for lv in caches:
            acc = int(s[f"{lv}.accesses"])
            miss = int(s.get(f"{lv}.misses", 0))
            rate = 100.0 * (acc - miss) / acc if acc else float("nan")
            lines.append(f"  {lv:<6} {acc:>16,} {miss:>13,} {rate:>8.2f}% {s.get(f'{lv}.mpki', 0.0):>9.3f}")
    if "dram.accesses" in s:
        lines.append(f"  dram   {int(s['dram.accesses']):>16,} accesses, row hits "
                     f"{int(s.get('dram.row_hits', 0)):,}, row conflicts "
                     f"{int(s.get('dram.row_conflicts', 0)):,}")
    if result.unknown_syscalls:
        lines.append("")
        calls = ", ".join(f"{k} ×{v}" for k, v in result.unknown_syscalls.items())
        lines.append(f"unimplemented syscalls (returned -ENOSYS): {calls}")
    return "\n".join(lines)


def _seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3f} ms"
    return f"{t * 1e6:.3f} us"
