"""SimResult: everything one run produced, as pandas objects.

stats (Series with dotted names), intervals (DataFrame of samples every N cycles),
pipeline (one row per traced instruction), memory_trace (one row per traced access),
cycles() (one row per cycle, derived exactly from the pipeline trace), cpi_stack().
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cyclesim.results import traces

CPI_PREFIX = "cpi_stack."


def _per_core(frames: list) -> pd.DataFrame:
    """One core's trace as it is; several cores' one after another, with a `core` column
    first (each core's rows in its own order)."""
    if len(frames) == 1:
        return frames[0]
    tagged = [f.assign(core=i)[["core", *f.columns]] for i, f in enumerate(frames)]
    out = pd.concat(tagged, ignore_index=True)
    out.attrs.update(frames[0].attrs)      # the stage names (all cores run one model)
    return out


class SimResult:
    """The outcome of `cyclesim.run`. A fault or limit is a status here, not an exception."""

    restored_from = None        # the checkpoint directory this run resumed, if any
    sampling = None             # SamplingEstimate of a sampled run (docs/sampling.md)
    bundled = False             # the program was a bundled workload (not a file)
    denied_paths = {"count": 0, "first": []}   # what the sandbox refused the guest
    warnings: list = []         # things asked for that did not happen as asked
    tmp_dir = None              # the guest's /tmp, when kept (keep_tmp=True)
    _total_instructions = None  # instructions since the program's start (set by run())
    _checkpoint_source = None   # (System, program facts, config) of a run that can be saved
    programs = None             # multi-program runs: one ProgramResult per program

    def __init__(self, *, program, path, args, mode, config, status, message, exit_code,
                 fault, stats, stdout, stderr, intervals, pipeline, memory_trace, dumps,
                 unknown_syscalls, host_seconds, options=None, output_dropped=None):
        self.program = program
        self.path = path
        self.args = list(args)
        self.mode = mode
        self.config = config
        self.options = options
        self.status = status
        self.message = message
        self.exit_code = exit_code
        self.fault = fault
        self.stats = stats
        self.stdout_bytes = stdout
        self.stderr_bytes = stderr
        # bytes the guest wrote past the output limit, not kept: {"stdout": n, "stderr": n}
        self.output_dropped = dict(output_dropped or {"stdout": 0, "stderr": 0})
        self.intervals = intervals
        self.pipeline = pipeline
        self.memory_trace = memory_trace
        self.dumps = dumps
        self.unknown_syscalls = dict(unknown_syscalls)
        self.host_seconds = host_seconds
        self.trace_files = {}         # streamed traces (trace_dir): kind -> directory

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_run(cls, *, program, path, args, config, options, system, outcome):
        process = system.process
        stats = stats_series(outcome.stats, program)
        intervals = traces.intervals_frame(outcome.samples)
        pipeline = memory = None
        streamed = getattr(system, "_spool", None)
        timings = getattr(system, "timings", [system.timing])
        if system.timing is not None and options.trace and streamed is None:
            if "pipeline" in options.trace or "cycles" in options.trace:
                pipeline = _per_core([traces.pipeline_frame(t.pipeline_trace(),
                                                            traces.stages_of(t))
                                      for t in timings])
            if "memory" in options.trace:
                memory = _per_core([traces.memory_frame(t.memory_trace()) for t in timings])
        dumps = pd.DataFrame(outcome.dumps) if outcome.dumps else pd.DataFrame()
        result = cls(program=program, path=path, args=args, mode=options.mode, config=config,
                   status=outcome.status, message=outcome.message,
                   exit_code=outcome.exit_code, fault=outcome.fault, stats=stats,
                   stdout=process.stdout, stderr=process.stderr, intervals=intervals,
                   pipeline=pipeline, memory_trace=memory, dumps=dumps,
                   unknown_syscalls=process.unknown_syscalls,
                   host_seconds=outcome.host_seconds, options=options,
                   output_dropped=process.output_dropped)._streamed(streamed)
        result.sampling = getattr(outcome, "sampling", None)
        return result

    def _streamed(self, spool):
        """Where a streamed trace went: {"memory": DIR/memory, ...} (else empty)."""
        self.trace_files = spool.paths() if spool is not None else {}
        return self

    def checkpoint(self, path) -> str:
        """Save the run's state to the directory `path` (docs/checkpoints.md); only a run
        of this process stopped before its end (max_insts=...) can be saved."""
        from cyclesim.checkpoint import CheckpointError, save

        source = getattr(self, "_checkpoint_source", None)
        if source is None:
            raise CheckpointError("this result has no live run to save: take checkpoints "
                                  "of a cyclesim.run(..., max_insts=N) result in the same "
                                  "process, before the program ends")
        system, info, cfg = source
        return save(system, path, program=info, config=cfg, mode=self.mode)

    # -- plain facts --------------------------------------------------------------------
    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace")

    def output_note(self) -> str:
        """One sentence when guest output was past the output limit, else ""."""
        parts = [f"{n:,} bytes of {name}" for name, n in self.output_dropped.items() if n]
        if not parts:
            return ""
        return (f"the result keeps the first {len(self.stdout_bytes):,} bytes of stdout and "
                f"{len(self.stderr_bytes):,} of stderr; {' and '.join(parts)} past the output "
                "limit were not kept (raise it with --output-limit / output_limit=)")

    @property
    def ok(self) -> bool:
        """True when the guest exited by itself with code 0."""
        return self.status == "exited" and self.exit_code == 0

    @property
    def instructions(self) -> int:
        return int(self.stats.get("core.instructions", 0))

    @property
    def total_instructions(self) -> int:
        """Instructions retired since the program's start; differs from `instructions`
        (what the statistics cover) after a checkpoint restore, warm-up or ROI."""
        if self._total_instructions is None:
            return self.instructions
        return self._total_instructions

    @property
    def cycles_total(self) -> int:
        return int(self.stats.get("core.cycles", 0))

    @property
    def ipc(self) -> float:
        return float(self.stats.get("core.ipc", 0.0))

    @property
    def mips(self) -> float:
        """Simulated million instructions per host second."""
        return self.instructions / self.host_seconds / 1e6 if self.host_seconds else 0.0

    # -- derived views ------------------------------------------------------------------
    @property
    def cores(self) -> int:
        """Modeled harts (the config's `cores`)."""
        return int(self.stats.get("core.count", 1))

    def cpi_stack(self, core: int | None = None):
        """Cycles by cause; the parts sum exactly to core.cycles (timing mode). With
        several cores: core i's stack (summing to core<i>.cycles, idle included) for
        core=i, or a DataFrame of every core's (one row per core) without it."""
        if core is None and self.cores > 1:
            return pd.DataFrame({i: self.cpi_stack(i) for i in range(self.cores)}).T \
                .rename_axis("core").fillna(0).astype("int64")
        prefix = CPI_PREFIX if core is None or self.cores == 1 else f"core{core}.{CPI_PREFIX}"
        if core is not None and not 0 <= core < self.cores:
            raise ValueError(f"core={core}: this run modeled cores 0 to {self.cores - 1}")
        parts = self.stats[self.stats.index.str.startswith(prefix)]
        parts.index = parts.index.str[len(prefix):]
        parts.name = "cycles"
        return parts.astype("int64")

    @property
    def per_core(self) -> pd.DataFrame:
        """One row per core: its instructions, cycles (busy, idle), IPC and the other
        `core<i>.*` statistics (CPI stacks are in cpi_stack())."""
        rows = {}
        for i in range(self.cores):
            prefix = f"core{i}." if self.cores > 1 else "core."
            own = self.stats[self.stats.index.str.startswith(prefix)
                             & ~self.stats.index.str.contains(CPI_PREFIX, regex=False)]
            own.index = own.index.str[len(prefix):]
            rows[i] = own
        return pd.DataFrame(rows).T.rename_axis("core")

    @property
    def per_program(self) -> pd.DataFrame:
        """A multi-program run's table, one row per program (results/programs.py)."""
        from cyclesim.results.programs import per_program_frame

        if not self.programs:
            raise ValueError("per_program is for multi-program runs: give cyclesim.run a "
                             "list of programs")
        return per_program_frame(self)

    def speedup_over(self, baseline: "SimResult") -> float:
        """How many times fewer cycles this run took than `baseline` (e.g. the same
        program on one core): baseline core.cycles / this run's core.cycles."""
        return baseline.cycles_total / self.cycles_total if self.cycles_total else 0.0

    def cycles(self, core: int = 0) -> pd.DataFrame:
        """One row per cycle of the trace window: the instruction in each stage, stalls
        (of core `core` in a multi-core run)."""
        if self.pipeline is None:
            raise ValueError("no pipeline trace: run with trace='cycles' (or 'pipeline')")
        return traces.cycles_frame(self.core_pipeline(core))

    def __repr__(self) -> str:
        line = f"<SimResult {self.program} {self.mode}: {self.status}"
        if self.exit_code is not None:
            line += f" ({self.exit_code})"
        return line + f", {self.instructions:,} instructions, {self.cycles_total:,} cycles>"

    def report(self) -> str:
        """The readable report the CLI prints."""
        from cyclesim.results.report import format_report

        return format_report(self)

    # -- saving and exports (cyclesim.results.store, .export; docs/trace-formats.md) ---
    def save(self, directory, overwrite: bool = False):
        """Write every DataFrame as Parquet plus stats, config and metadata into `directory`
        (atomically); `cyclesim.load_result(directory)` brings the result back. Returns
        the directory's Path. A directory holding a saved result is replaced only when
        overwrite=True; a non-empty directory of other files is refused."""
        from cyclesim.results.store import save_result

        return save_result(self, directory, overwrite=overwrite)

    def core_pipeline(self, core: int = 0) -> pd.DataFrame | None:
        """The pipeline trace of one core (all of it in a one-core run)."""
        rows = self.pipeline
        if rows is None or "core" not in rows.columns:
            return rows
        if not 0 <= core < self.cores:
            raise ValueError(f"core={core}: this run modeled cores 0 to {self.cores - 1}")
        one = rows[rows["core"] == core].drop(columns="core").reset_index(drop=True)
        one.attrs.update(rows.attrs)
        return one

    def to_konata(self, path, core: int = 0):
        """Write the pipeline trace (of `core`) as a Konata (Kanata 0004) log; returns the
        Path."""
        from cyclesim.results.export import write_konata

        return write_konata(self.core_pipeline(core), path)

    def to_o3pipeview(self, path, ticks_per_cycle: int = 1000, core: int = 0):
        """Write the pipeline trace (of `core`) in gem5's O3PipeView format (for
        util/o3-pipeview.py with ``-c ticks_per_cycle``, or Konata); returns the Path."""
        from cyclesim.results.export import write_o3pipeview

        return write_o3pipeview(self.core_pipeline(core), path,
                                ticks_per_cycle=ticks_per_cycle)

    def to_perfetto(self, path, clock: str = "cycles", core: int = 0):
        """Write the pipeline trace as Chrome/Perfetto trace-event JSON, one track per
        stage; clock="cycles" shows 1 cycle as 1 us, "simulated" uses simulated time.
        Returns the Path."""
        from cyclesim.results.export import write_perfetto

        freq = self.stats.get("core.frequency_hz") if self.stats is not None else None
        if freq is None and self.config is not None:
            freq = getattr(self.config.core, "frequency", None)
        return write_perfetto(self.core_pipeline(core), path, program=self.program,
                              frequency_hz=float(freq) if freq else None, clock=clock)

    # -- display and plots (cyclesim.plot, cyclesim.results.display) ------------------
    def __str__(self) -> str:
        return self.report()

    def _repr_pretty_(self, p, cycle) -> None:  # IPython in a terminal: the report
        p.text(repr(self) if cycle else self.report())

    def _repr_html_(self) -> str:
        from cyclesim.results.display import result_html

        return result_html(self)

    def plot_pipeline(self, first=None, count=40, ax=None):
        """Pipeline diagram of the trace window (needs trace="pipeline"); see cyclesim.plot."""
        from cyclesim import plot

        return plot.pipeline_diagram(self, first=first, count=count, ax=ax)

    def plot_cpi_stack(self, ax=None):
        """CPI stack as a stacked bar; see cyclesim.plot.cpi_stack."""
        from cyclesim import plot

        return plot.cpi_stack(self, ax=ax)

    def plot_timeline(self, metrics=("ipc", "l1d.mpki"), ax=None):
        """Interval IPC and MPKI over time; see cyclesim.plot.timeline."""
        from cyclesim import plot

        return plot.timeline(self, metrics=metrics, ax=ax)

    def hotspots(self, by="pc", top=15):
        """Instructions or functions costing the most stall cycles in the pipeline trace
        (a table; cyclesim.results.hotspots.hotspots; plot.hotspots draws it)."""
        from cyclesim.results.hotspots import hotspots

        return hotspots(self, by=by, top=top)


def stats_series(values: dict, name=None, sort: bool = True) -> pd.Series:
    """The statistics as a Series, counts as Python ints and rates as floats (a float64
    Series would turn every count into a float, inexact beyond 2**53)."""
    clean = {}
    for k, v in values.items():
        if isinstance(v, (bool, np.bool_)):
            v = int(v)
        elif isinstance(v, (int, np.integer)):
            v = int(v)
        else:
            v = float("nan") if v is None else float(v)
        clean[k] = v
    stats = pd.Series(clean, dtype=object)
    if sort:
        stats = stats.sort_index()
    stats.name = name
    return stats
