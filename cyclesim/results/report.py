"""The text report of a run (what `cyclesim run` prints)."""
from __future__ import annotations


def _fmt_int(v) -> str:
    return f"{int(v):,}"


def _isa(result) -> str:
    """The hart's extensions as the run's config names them (canonical ISA string)."""
    core = getattr(getattr(result, "config", None), "core", None)
    isa = getattr(core, "isa", None)
    if not isa:
        return ""
    from cyclesim.isa.extensions import HartIsa
    try:
        return HartIsa(isa).string
    except Exception:           # a result saved by another version: show it as stored
        return str(isa)


def format_report(result) -> str:
    s = result.stats
    lines = []
    head = f"{result.program} {' '.join(result.args)}".strip()
    lines.append(f"== {head} ({result.mode} mode) ==")
    ran = getattr(result, "path", None)
    if ran and not getattr(result, "programs", None):
        what = "bundled workload" if getattr(result, "bundled", False) else "file"
        lines.append(f"program          {ran} ({what})")
    lines.append(f"status           {result.message}")
    isa = _isa(result)
    if isa:
        lines.append(f"isa              {isa}")
    instructions = int(s.get("core.instructions", 0))
    lines.append(f"instructions     {instructions:,}")
    note = result.output_note() if hasattr(result, "output_note") else ""
    if note:
        lines.append(f"guest output     {note}")
    if result.mode == "functional":
        lines.append(f"host time        {result.host_seconds:.2f} s ({result.mips:.1f} MIPS)")
        lines += per_program_lines(result)
        if getattr(result, "cores", 1) > 1:
            lines += per_core_lines(result)
        return "\n".join(lines)
    cycles = int(s.get("core.cycles", 0))
    freq = float(s.get("core.frequency_hz", 0.0))
    lines.append(f"cycles           {cycles:,}")
    lines.append(f"IPC              {s.get('core.ipc', 0.0):.3f}   (CPI {s.get('core.cpi', 0.0):.3f})")
    if freq:
        lines.append(f"simulated time   {_seconds(cycles / freq)} at {freq / 1e9:g} GHz")
    lines.append(f"host time        {result.host_seconds:.2f} s ({result.mips:.1f} MIPS)")
    if getattr(result, "sampling", None) is not None:
        lines += _sampling_lines(result.sampling)

    lines += per_program_lines(result)
    if getattr(result, "cores", 1) > 1:
        lines += per_core_lines(result)
    stack = result.cpi_stack() if getattr(result, "cores", 1) == 1 else ()
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
              if k.endswith(".accesses") and k.count(".") <= 2]
    # a multi-core run's private levels are core<i>.l1d (docs/caches.md), shared ones plain
    caches = [lv for i in range(getattr(result, "cores", 1)) for lv in
              (f"core{i}.l1i", f"core{i}.l1d", f"core{i}.l2", f"core{i}.l3") if lv in levels]
    caches += [lv for lv in ("l1i", "l1d", "l2", "l3") if lv in levels]
    if caches:
        lines.append("")
        lines.append("cache            accesses        misses  hit rate      MPKI")
        for lv in caches:
            acc = int(s[f"{lv}.accesses"])
            miss = int(s.get(f"{lv}.misses", 0))
            rate = 100.0 * (acc - miss) / acc if acc else float("nan")
            lines.append(f"  {lv:<6} {acc:>{16 - max(0, len(lv) - 6)},} {miss:>13,} {rate:>8.2f}% "
                         f"{s.get(f'{lv}.mpki', 0.0):>9.3f}")
        for lv in caches:
            if f"{lv}.pf_issued" in s:
                lines.append(f"  {lv:<6} prefetches {int(s[f'{lv}.pf_issued']):,} issued, "
                             f"{int(s[f'{lv}.pf_useful']):,} useful "
                             f"({int(s[f'{lv}.pf_late']):,} late), "
                             f"{int(s[f'{lv}.pf_useless']):,} useless; coverage "
                             f"{100 * s[f'{lv}.pf_coverage']:.1f}%, accuracy "
                             f"{100 * s[f'{lv}.pf_accuracy']:.1f}%")
    if "dram.accesses" in s:
        lines.append(f"  dram   {int(s['dram.accesses']):>16,} accesses, row hits "
                     f"{int(s.get('dram.row_hits', 0)):,}, row conflicts "
                     f"{int(s.get('dram.row_conflicts', 0)):,}, avg latency "
                     f"{float(s.get('dram.avg_latency', 0.0)):.1f} cycles, "
                     f"{float(s.get('dram.bandwidth_GBps', 0.0)):.2f} GB/s")
    tlbs = [t for t in ("itlb", "dtlb", "l2tlb") if f"{t}.lookups" in s]
    if tlbs:
        lines.append("")
        lines.append("TLB              lookups        misses  hit rate      MPKI   translation cycles")
        for t in tlbs:
            acc = int(s[f"{t}.lookups"])
            miss = int(s.get(f"{t}.misses", 0))
            rate = 100.0 * (acc - miss) / acc if acc else float("nan")
            extra = (f"{int(s[f'{t}.translation_cycles']):>20,}"
                     if f"{t}.translation_cycles" in s else "")
            lines.append(f"  {t:<6} {acc:>16,} {miss:>13,} {rate:>8.2f}% "
                         f"{s.get(f'{t}.mpki', 0.0):>9.3f} {extra}")
        if "walker.walks" in s:
            reads = ", ".join(f"{lv} {int(s.get(f'walker.pte_reads_{lv}', 0)):,}"
                              for lv in ("l1", "l2", "l3", "memory"))
            lines.append(f"  walks  {int(s['walker.walks']):>16,}, "
                         f"{s.get('walker.avg_walk_cycles', 0.0):.1f} cycles each, page-walk "
                         f"cache hits {int(s.get('walker.pwc_hits', 0)):,}; PTE reads served "
                         f"by {reads}")
    if result.unknown_syscalls:
        lines.append("")
        calls = ", ".join(f"{k} ×{v}" for k, v in result.unknown_syscalls.items())
        lines.append(f"unimplemented syscalls (returned -ENOSYS): {calls}")
    return "\n".join(lines)


def _sampling_lines(est) -> list[str]:
    """The SMARTS estimate: CPI and IPC with their interval, V, n, MPKIs, the verdict."""
    pct = f"{100 * est.confidence:g} %"
    out = ["", f"SMARTS sampling  {est.n:,} units of {est.unit:,} instructions, one in "
               f"{est.period}, after {est.warmup:,} of detailed warm-up"]
    if est.n:
        out.append(f"  CPI            {est.cpi:.4f} ± {100 * est.half_width:.2f} %  "
                   f"[{est.cpi_low:.4f}, {est.cpi_high:.4f}] at {pct} confidence")
        out.append(f"  IPC            {est.ipc:.4f}           [{est.ipc_low:.4f}, "
                   f"{est.ipc_high:.4f}]")
        out.append(f"  variation      V = {est.cv:.3f}; ±{100 * est.target_error:g} % needs "
                   f"n >= {est.needed:,}")
        for name, (value, low, high) in est.mpki.items():
            out.append(f"  {name:<14} {value:.3f}  [{max(low, 0.0):.3f}, {high:.3f}]")
    out.append(f"  {est.message}")
    return out


def _seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3f} ms"
    return f"{t * 1e6:.3f} us"


def per_core_lines(result) -> list[str]:
    """The per-core table of a run on several harts, and its speed-up when known."""
    s = result.stats
    lines = ["", f"cores            {result.cores} (quantum {int(s.get('sim.quantum', 0)):,} "
             f"cycles), threads {int(s.get('threads.created', 1))}, time-slice preemptions "
             f"{int(s.get('threads.preemptions', 0)):,}"]
    timed = result.mode != "functional"
    head = f"  {'core':<5} {'instructions':>14} {'busy cycles':>14} {'idle':>7} {'IPC':>7}"
    lines.append(head + ("  top stall" if timed else ""))
    for i in range(result.cores):
        p = f"core{i}."
        cycles = int(s.get(p + "cycles", 0))
        idle = int(s.get(p + "idle_cycles", 0))
        row = (f"  {i:<5} {int(s.get(p + 'instructions', 0)):>14,} "
               f"{int(s.get(p + 'busy_cycles', 0)):>14,} "
               f"{100 * idle / cycles if cycles else 0:>6.1f}% {s.get(p + 'ipc', 0.0):>7.3f}")
        if timed:
            stack = result.cpi_stack(i).drop(["base", "idle"], errors="ignore")
            if len(stack) and stack.max() > 0:
                row += f"  {stack.idxmax()} ({100 * stack.max() / max(1, cycles):.1f}%)"
        lines.append(row)
    if getattr(result, "speedup", None) is not None:
        lines.append(f"speed-up         {result.speedup:.2f}x over one core "
                     f"({int(result.baseline_cycles):,} cycles on one core)")
    return lines


def per_program_lines(result) -> list[str]:
    """The per-program table of a multi-program run (empty for one program)."""
    programs = getattr(result, "programs", None)
    if not programs:
        return []
    timed = result.mode != "functional"
    # the first shared cache level, whose traffic splits exactly by program
    shared = [k[:-len(".writebacks_received")] for k in programs[0].stats.index
              if k.endswith(".writebacks_received") and not k.startswith("core")]
    last = shared[0] if shared else None
    alone = any(p.alone_cycles is not None for p in programs)
    head = (f"  {'#':<2} {'program':<22} {'harts':<6} {'exit':>5} {'instructions':>13}"
            + (f" {'cycles':>12} {'IPC':>6}" if timed else ""))
    if timed and last:
        head += f" {last + ' acc':>11} {'misses':>9}"
    if alone:
        head += f" {'alone':>12} {'slowdown':>8}"
    lines = ["", f"programs         {len(programs)} (run until "
                 f"{'the first ends' if getattr(result, 'until', 'all') == 'first' else 'all end'})",
             head]
    for p in programs:
        name = " ".join([p.program, *p.args])
        if len(name) > 22:
            name = name[:21] + "~"
        code = p.exit_code if p.status == "exited" else p.status
        row = (f"  {p.index:<2} {name:<22} {','.join(map(str, p.harts)):<6} {str(code):>5} "
               f"{p.instructions:>13,}")
        if timed:
            row += f" {p.cycles:>12,} {p.ipc:>6.3f}"
            if last:
                row += (f" {int(p.stats.get(last + '.accesses', 0)):>11,} "
                        f"{int(p.stats.get(last + '.misses', 0)):>9,}")
        if alone and p.alone_cycles is not None:
            row += f" {p.alone_cycles:>12,} {p.slowdown:>7.3f}x"
        lines.append(row)
    for p in programs:
        if p.status not in ("exited",):
            lines.append(f"  program {p.index}: {p.message}")
    return lines
