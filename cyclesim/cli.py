"""The `cyclesim` command.

    cyclesim run matmul                      default machine, readable report
    cyclesim run --mode functional matmul 64 run the ISA only
    cyclesim run --preset embedded --set l1d.size=64KiB --json prog.elf
    cyclesim list                            the bundled workloads
    cyclesim presets                         the machine presets
    cyclesim config --preset embedded        a resolved config as TOML
    cyclesim sweep sweep.toml --workers 2    workloads over a grid of configs, resumable

cyclesim's options come before the program; everything after the program is the guest's
(as with env, time and qemu-riscv64), so `cyclesim run lua -e 'print(1)'` works. The exit
status is the guest's, or one of the codes in EXIT_STATUS_HELP (shown by --help).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# Exit statuses of cyclesim's own outcomes, in the range shells and `timeout`/`env`
# reserve for them, so that every guest exit code 0-123 passes through unambiguous.
EXIT_LIMIT = 124            # --max-insts, --max-cycles or --mem-limit reached (timeout: 124)
EXIT_BAD_INPUT = 125        # bad option, config or input (env: 125)
EXIT_CANNOT_LOAD = 126      # the program exists but cannot be loaded (sh: 126)
EXIT_NOT_FOUND = 127        # no such program or workload (sh: 127)
EXIT_SIGNAL_BASE = 128      # + N: the guest was killed by signal N, as a shell reports it
_FAULT_SIGNALS = {"illegal instruction": 4, "misaligned atomic access": 7}   # else SIGSEGV

EXIT_STATUS_HELP = """\
exit status:
  N        the guest exited with code N
  124      a limit was reached (--max-insts, --max-cycles, --mem-limit), or the guest
           can never continue (a deadlock)
  125      cyclesim was given bad input (an option, config, checkpoint or file),
           or a Python prefetcher it was given failed
  126      the program exists but cannot be loaded (not a static RISC-V ELF)
  127      the program (file or bundled workload) was not found
  128+N    the guest was killed by signal N (a fault as Linux delivers it: 132
           illegal instruction, 135 misaligned atomic, 139 memory fault);
           130 when cyclesim is interrupted with Ctrl-C
"""

_RUN_USAGE = "cyclesim run [OPTIONS] PROGRAM [GUEST ARGS...]"


def _parser() -> tuple[argparse.ArgumentParser, dict]:
    p = argparse.ArgumentParser(prog="cyclesim",
                                description="Cycle-accurate RISC-V microarchitecture simulator",
                                epilog=EXIT_STATUS_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    commands = sub.choices

    r = sub.add_parser("run", help="run a program (a workload name or a static RISC-V ELF)",
                       usage=_RUN_USAGE, epilog=EXIT_STATUS_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Run PROGRAM on the modeled machine. Options come "
                       "before PROGRAM;\neverything after it is the guest's argv. PROGRAM "
                       "is a file path or a\nbundled workload name; an existing file of "
                       "that name wins.")
    r.add_argument("program", nargs="?",
                   help="workload name (see `cyclesim list`) or path to an ELF")
    r.add_argument("args", nargs="*", help="arguments for the guest program (all that "
                   "follows PROGRAM, options included)")
    r.add_argument("--mode", choices=("timing", "functional"), default="timing",
                   help="timing: the cycle-accurate model (cycles, CPI stack, caches); "
                   "functional: the ISA only, much faster, instruction counts only "
                   "(default: timing)")
    r.add_argument("--from", dest="checkpoint", metavar="DIR",
                   help="resume the run saved in this checkpoint (docs/checkpoints.md)")
    m = r.add_argument_group("machine")
    m.add_argument("--config", metavar="FILE", help="machine config (.toml, .yaml, .json)")
    m.add_argument("--preset", metavar="NAME", help="machine preset (see `cyclesim presets`)")
    m.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config field, e.g. l1d.size=64KiB (repeatable)")
    g = r.add_argument_group("guest")
    g.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="add or override a guest environment variable (repeatable); the "
                   "default environment is PATH, HOME=/tmp, TMPDIR=/tmp, LANG=C.UTF-8, "
                   "USER, LOGNAME, SHELL, TERM (docs/process.md)")
    g.add_argument("--clear-env", action="store_true",
                   help="start the guest's environment empty (then only --env)")
    g.add_argument("--stdin", metavar="FILE|-",
                   help="the guest's stdin: a file, or - for this process's stdin. "
                   "Default: a pipe or file on stdin is passed on, a terminal is not read")
    g.add_argument("--tmp-size", default="64MiB", metavar="SIZE",
                   help="size cap of the guest's private /tmp (64MiB)")
    g.add_argument("--keep-tmp", action="store_true",
                   help="keep the guest's /tmp after the run and print where it is")
    g.add_argument("--allow-read", action="append", default=[], metavar="DIR",
                   help="directory the guest may read (repeatable)")
    g.add_argument("--allow-write", metavar="DIR", help="directory the guest may read and write")
    g.add_argument("--mem-limit", default="1GiB", metavar="SIZE", help="guest memory cap (1GiB)")
    g.add_argument("--seed", type=int, default=0, help="seed of getrandom and AT_RANDOM")
    s = r.add_argument_group("run control")
    s.add_argument("--max-insts", type=int, metavar="N", help="stop after N instructions")
    s.add_argument("--max-cycles", type=int, metavar="N", help="stop at cycle N")
    s.add_argument("--speedup", action="store_true",
                   help="with cores > 1: run again on one core and report the speed-up")
    s.add_argument("--stop-at", metavar="SYMBOL|ADDR", help="stop when the pc reaches it")
    s.add_argument("--multi", action="store_true",
                   help="run several programs together, one per hart, sharing the shared "
                   "caches and memory: each word after the options is one quoted program "
                   "with its arguments, e.g. --set cores=2 --multi 'sort 20000' 'matmul 32'")
    s.add_argument("--placement", metavar="HARTS;HARTS...",
                   help="with --multi: the harts of each program, e.g. '0;1,2' puts program "
                   "0 on hart 0 and program 1 on harts 1 and 2 (default: program i on hart i)")
    s.add_argument("--until", choices=("all", "first"), default="all",
                   help="with --multi: run until every program ends (all), or stop when "
                   "the first one ends (first) (default: all)")
    s.add_argument("--alone", action="store_true",
                   help="with --multi: also run each program alone on the same machine and "
                   "report its slowdown")
    s.add_argument("--warmup", type=int, metavar="N",
                   help="reset statistics after N instructions")
    s.add_argument("--roi", action="store_true",
                   help="measure only between the program's roi_begin/roi_end markers")
    s.add_argument("--sample-interval", type=int, default=100_000, metavar="CYCLES",
                   help="cycles between interval samples of the statistics (the "
                   "timeline, result.intervals); 0 turns sampling off (100000)")
    s.add_argument("--sample", nargs="?", const="", default=None, metavar="KEY=VALUE,...",
                   help="SMARTS sampling (docs/sampling.md): functional warming between "
                        "measured units; e.g. --sample or --sample unit=1000,warmup=2000,"
                        "period=100,confidence=0.95,target_error=0.02")
    s.add_argument("--simpoint", nargs="?", const="", default=None, metavar="KEY=VALUE,...",
                   help="SimPoint sampling (docs/sampling.md): basic-block vectors per "
                        "interval, k-means with a BIC-chosen k, one checkpoint and timed "
                        "run per phase, weighted; e.g. --simpoint interval=1000000,max_k=10,"
                        "warmup=100000,seed=0,workers=2")
    t = r.add_argument_group("traces and output")
    t.add_argument("--trace", action="append", default=[],
                   choices=("pipeline", "cycles", "memory"), help="record a trace (repeatable)")
    t.add_argument("--trace-window", default=None, metavar="START:COUNT",
                   help="instructions covered by traces (default 0:10000, or the whole run "
                        "with --trace-dir)")
    t.add_argument("--trace-dir", metavar="DIR",
                   help="stream the traces to chunked Parquet files in DIR as the run goes "
                        "(bounded memory; see docs/trace-driven.md)")
    t.add_argument("--json", action="store_true",
                   help="print the statistics as one flat JSON object (guest output to stderr)")
    t.add_argument("--quiet", action="store_true", help="do not echo the guest's output")
    t.add_argument("--output-limit", default="16MiB", metavar="SIZE",
                   help="bytes of each guest stream the result keeps (16MiB); output "
                        "streams to the terminal whatever its size")
    t.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar on stderr (default: when stderr is a terminal)")
    x = r.add_argument_group("exports (each records a pipeline trace of --trace-window)")
    x.add_argument("--konata", metavar="FILE", help="write the pipeline trace as a Konata log")
    x.add_argument("--o3pipeview", metavar="FILE",
                   help="write the pipeline trace in gem5's O3PipeView format")
    x.add_argument("--perfetto", metavar="FILE",
                   help="write the pipeline trace as Chrome/Perfetto trace JSON")
    x.add_argument("--save", metavar="DIR",
                   help="save the result (Parquet frames, stats, config) for "
                        "cyclesim.load_result; replaces a result saved there before")

    sub.add_parser("list", help="list the bundled workloads")
    sub.add_parser("presets", help="list the machine presets")
    c = sub.add_parser("config", help="print a resolved machine config as TOML",
                       description="Print the machine config that `cyclesim run` would use "
                       "with the same --config, --preset and --set, every field resolved, "
                       "as TOML (a valid --config file).")
    c.add_argument("--config", metavar="FILE",
                   help="start from this machine config (.toml, .yaml, .json)")
    c.add_argument("--preset", metavar="NAME",
                   help="start from this preset (see `cyclesim presets`)")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config field, e.g. l1d.size=64KiB (repeatable)")
    w = sub.add_parser("sweep", help="run workloads over a grid of configs (see docs/sweeps.md)")
    w.add_argument("spec", metavar="SWEEP.toml",
                   help="the workloads, base config, grid and run options")
    w.add_argument("--workers", type=int, metavar="N", help="worker processes (every core)")
    w.add_argument("--scheduler", metavar="ADDR",
                   help="run on the Dask cluster at ADDR, e.g. tcp://host:8786")
    w.add_argument("--dask", action="store_true", help="run on a local Dask cluster")
    w.add_argument("--out", metavar="DIR", help="result store (default: the file's store "
                   "key, else <name>-results beside it); a rerun skips what is there")
    w.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar on stderr (default: when stderr is a terminal)")
    from cyclesim import cachecmd
    cachecmd.add_parser(sub)
    k = sub.add_parser("checkpoint", help="save the run's state after N instructions "
                       "(functional mode; see docs/checkpoints.md)",
                       usage="cyclesim checkpoint --at N -o DIR [OPTIONS] PROGRAM "
                       "[GUEST ARGS...]", epilog=EXIT_STATUS_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("program", nargs="?", help="workload name or path to an ELF")
    k.add_argument("args", nargs="*", help="arguments for the guest program")
    k.add_argument("--at", required=True, metavar="N[,N...]",
                   help="instruction counts to checkpoint after")
    k.add_argument("-o", "--out", required=True, metavar="DIR",
                   help="checkpoint directory (one per count, DIR/N, when several)")
    k.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="add or override a guest environment variable, as for run")
    k.add_argument("--clear-env", action="store_true",
                   help="start the guest's environment empty (then only --env)")
    k.add_argument("--stdin", metavar="FILE|-", help="the guest's stdin, as for run")
    k.add_argument("--allow-read", action="append", default=[], metavar="DIR",
                   help="directory the guest may read (repeatable)")
    k.add_argument("--allow-write", metavar="DIR",
                   help="directory the guest may read and write")
    k.add_argument("--mem-limit", default="1GiB", metavar="SIZE", help="guest memory cap (1GiB)")
    k.add_argument("--seed", type=int, default=0, help="seed of getrandom and AT_RANDOM")
    return p, commands


def _cmd_cache(a) -> int:
    from cyclesim import cachecmd
    return cachecmd.command(a, _pairs, _Usage)


def _cmd_sweep(a) -> int:
    from cyclesim.errors import CyclesimError
    from cyclesim.sweeps.command import command

    try:
        return command(a.spec, workers=a.workers, scheduler=a.scheduler, out=a.out,
                       dask=a.dask, progress=a.progress)
    except CyclesimError as e:
        raise _Usage(str(e)) from None


def _pairs(items, what) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _Usage(f"{what} {item!r} is not KEY=VALUE (for example l1d.size=64KiB)")
        out[key.strip()] = value.strip()
    return out


class _Usage(Exception):
    """Bad input: one sentence, exit status `code`."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = EXIT_BAD_INPUT if code is None else code


def _failure(e) -> _Usage:
    """A CyclesimError as the one sentence and status the command line gives it."""
    from cyclesim.errors import ProgramError, WorkloadNotFound

    if isinstance(e, WorkloadNotFound):
        return _Usage(str(e), EXIT_NOT_FOUND)
    if isinstance(e, ProgramError):
        missing = "not found" in str(e)
        return _Usage(str(e), EXIT_NOT_FOUND if missing else EXIT_CANNOT_LOAD)
    return _Usage(str(e))


def _open_stdin(name, resuming=False):
    """The guest's stdin: a stream read as the guest asks (never whole), or b"".
    --stdin FILE opens the file, --stdin - takes ours even from a terminal; without
    --stdin a pipe or file on our stdin is passed on, a terminal is not read."""
    if name == "-":
        return sys.stdin.buffer if sys.stdin is not None else b""
    if name:
        try:
            return open(name, "rb")
        except OSError as e:
            raise _Usage(f"cannot read --stdin file {name}: {e.strerror}") from None
    if resuming or sys.stdin is None:
        return b""
    try:
        if sys.stdin.isatty():
            return b""
        sys.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        return b""                  # closed or not a real stream
    return sys.stdin.buffer


def _close_stdin(stream):
    if hasattr(stream, "close") and stream is not getattr(sys.stdin, "buffer", None):
        stream.close()


def _cmd_checkpoint(a) -> int:
    import cyclesim.checkpoint
    from cyclesim.errors import CyclesimError

    if a.program is None:
        raise _Usage("checkpoint needs a program (a workload name or an ELF path) after "
                     "its options")
    try:
        counts = [int(n.replace("_", "")) for n in a.at.split(",")]
    except ValueError:
        raise _Usage(f"--at {a.at!r} is not a list of instruction counts (e.g. 1000000,2000000)"
                     ) from None
    stdin = _open_stdin(a.stdin)
    try:
        written = cyclesim.checkpoint.checkpoint(
            a.program, *a.args, at=counts, path=a.out, stdin=stdin,
            env=_pairs(a.env, "--env") if a.env else None, clear_env=a.clear_env,
            allow_read=a.allow_read, allow_write=a.allow_write, mem_limit=a.mem_limit,
            seed=a.seed)
    except CyclesimError as e:
        raise _failure(e) from None
    finally:
        _close_stdin(stdin)
    for where in written:
        print(where)
    return 0


def _cmd_run(a) -> int:
    import cyclesim
    from cyclesim.errors import CyclesimError

    if a.program is None and a.checkpoint is None and not _config_workloads(a):
        raise _Usage("run needs a program (a workload name or an ELF path), --multi with "
                     "programs, a config with workloads, or --from DIR")
    if not a.multi and (a.placement or a.until != "all" or a.alone):
        raise _Usage("--placement, --until and --alone are for several programs: add "
                     "--multi and give each program as one quoted word")
    if getattr(a, "simpoint", None) is not None:
        return _cmd_simpoint(a)

    window = None
    if a.trace_window is not None:
        start, sep, count = a.trace_window.partition(":")
        try:
            window = (int(start), int(count)) if sep else None
        except ValueError:
            window = None
        if window is None:
            raise _Usage(f"--trace-window {a.trace_window!r} is not START:COUNT (for example "
                         "1000:200)")
    overrides = _pairs(a.overrides, "--set")
    env = _pairs(a.env, "--env") if a.env else None
    # --json keeps stdout for the statistics: the guest's output streams to stderr.
    echo = False if a.quiet else ("stderr" if a.json else True)
    exports = [(flag, value) for flag, value in (("--konata", a.konata),
                                                 ("--o3pipeview", a.o3pipeview),
                                                 ("--perfetto", a.perfetto)) if value]
    trace = list(a.trace)
    if exports or a.save:
        if a.mode != "timing" and exports:
            raise _Usage(f"{exports[0][0]} needs a pipeline trace, which needs timing mode: "
                         "drop --mode functional")
        if a.mode == "timing" and "pipeline" not in trace:
            trace.append("pipeline")
    _check_outputs(exports, a.save)
    if a.trace_dir is not None and (exports or a.save):
        raise _Usage("--trace-dir streams traces to disk, and exports and --save need them in "
                     "memory: drop --trace-dir, or the exports and --save")
    stdin = _open_stdin(a.stdin, resuming=a.checkpoint is not None)
    extra = {}
    if a.checkpoint is None:
        extra = {"clear_env": a.clear_env, "tmp_size": a.tmp_size, "keep_tmp": a.keep_tmp}
    program, args = a.program, a.args
    if a.multi:
        if a.program is None:
            raise _Usage("--multi needs the programs after the options, each one quoted "
                         "word: --multi 'sort 20000' 'matmul 32'")
        program, args = [a.program, *a.args], []
        extra.update(placement=a.placement, until=a.until, alone=a.alone)
        if stdin and not isinstance(stdin, (bytes, str)):
            stdin = stdin.read()      # each program reads its own copy
    try:
        result = cyclesim.run(
            program, *args, config=a.config, preset=a.preset, overrides=overrides or None,
            mode=a.mode, env=env, stdin=stdin, allow_read=a.allow_read,
            allow_write=a.allow_write, mem_limit=a.mem_limit, max_insts=a.max_insts,
            max_cycles=a.max_cycles, stop_at=a.stop_at, warmup=a.warmup, roi=a.roi,
            sample_interval=a.sample_interval or None, trace=trace or None,
            trace_window=window, trace_dir=a.trace_dir, seed=a.seed, echo=echo,
            progress=a.progress, checkpoint=a.checkpoint, output_limit=a.output_limit,
            sampling=None if a.sample is None else (a.sample or True),
            speedup=a.speedup, **extra)
    except CyclesimError as e:
        raise _failure(e) from None
    finally:
        _close_stdin(stdin)
    _write_exports(result, a)
    if result.output_note() and (not echo or a.save):
        print(f"[cyclesim] warning: {result.output_note()}", file=sys.stderr)
    if a.json:
        # counts are ints in result.stats, rates floats; NaN is not JSON
        stats = {k: (None if isinstance(v, float) and not math.isfinite(v) else
                     int(v) if float(v).is_integer() and not k.endswith(("ipc", "cpi", "rate",
                                                                         "mpki", "accuracy"))
                     else float(v))
                 for k, v in result.stats.items()}
        stats["status"] = result.status
        stats["exit_code"] = result.exit_code
        for prog in result.programs or ():
            stats[f"program{prog.index}.status"] = prog.status
            stats[f"program{prog.index}.exit_code"] = prog.exit_code
        print(json.dumps(stats, indent=None, sort_keys=True))
    elif a.mode == "functional" and result.status in ("exited", "max_insts", "stopped",
                                                      "interrupted"):
        sys.stdout.flush()
        since = (f", {result.total_instructions:,} since the program's start"
                 if result.restored_from else "")
        count = ("" if result.status == "interrupted" and not since
                 else f"; {result.instructions:,} instructions{since}")
        print(f"[cyclesim] {result.message}{count} ({result.mips:.1f} MIPS)", file=sys.stderr)
        if result.cores > 1:
            from cyclesim.results.report import per_core_lines
            print("\n".join(per_core_lines(result)[1:]), file=sys.stderr)
    elif a.mode == "timing":
        sys.stdout.flush()
        print(result.report())
    for warning in getattr(result, "warnings", []):
        print(f"cyclesim: warning: {warning}", file=sys.stderr)
    if getattr(result, "tmp_dir", None):
        print(f"[cyclesim] the guest's /tmp is kept in {result.tmp_dir}", file=sys.stderr)
    return exit_status(result)


def _config_workloads(a) -> bool:
    """True when --config / --preset / --set give a `workloads` list to run."""
    if not (a.config or any(o.startswith("workloads") for o in a.overrides)):
        return False
    from cyclesim.config import resolve_config
    from cyclesim.errors import CyclesimError

    try:
        return bool(resolve_config(a.config, preset=a.preset,
                                   overrides=_pairs(a.overrides, "--set") or None).workloads)
    except CyclesimError as e:
        raise _failure(e) from None


def _cmd_simpoint(a) -> int:
    """`cyclesim run --simpoint`: the SimPoint estimate instead of one run."""
    import cyclesim
    from cyclesim.errors import CyclesimError

    clash = [flag for flag, on in (("--from", a.checkpoint is not None),
                                   ("--sample", a.sample is not None),
                                   ("--mode functional", a.mode != "timing"),
                                   ("--trace", bool(a.trace)), ("--roi", a.roi),
                                   ("--warmup", a.warmup is not None),
                                   ("--max-cycles", a.max_cycles is not None),
                                   ("--stop-at", a.stop_at is not None)) if on]
    if clash:
        raise _Usage(f"--simpoint does not combine with {', '.join(clash)}: it profiles the "
                     "whole program and times one interval per phase (docs/sampling.md)")
    items = [p for p in (a.simpoint or "").split(",") if p.strip()]
    runner = {}
    rest = []
    for item in items:
        key, _, value = item.partition("=")
        if key.strip() in ("workers", "backend"):
            runner[key.strip()] = value.strip()
        else:
            rest.append(item)
    workers = runner.get("workers")
    if workers is not None and (not workers.isdigit() or int(workers) < 1):
        raise _Usage(f"--simpoint workers={workers!r}: give a whole number of at least 1")
    try:
        est = cyclesim.simpoint(
            a.program, *a.args, spec=",".join(rest) or True, config=a.config,
            preset=a.preset, overrides=_pairs(a.overrides, "--set") or None,
            env=_pairs(a.env, "--env") if a.env else None, clear_env=a.clear_env,
            allow_read=a.allow_read, allow_write=a.allow_write, mem_limit=a.mem_limit,
            seed=a.seed, max_insts=a.max_insts,
            backend=runner.get("backend", "processes"),
            workers=int(workers) if workers else None)
    except CyclesimError as e:
        raise _failure(e) from None
    if a.json:
        out = {f"simpoint.{k}": v for k, v in est.summary().items()
               if isinstance(v, (int, float))}
        out["core.cpi"] = est.cpi
        out["core.ipc"] = est.ipc
        out.update(est.mpki)
        out["simpoint.seconds"] = est.seconds["total"]
        print(json.dumps(out, sort_keys=True))
        return 0
    print(simpoint_report(est))
    return 0


def simpoint_report(est) -> str:
    """The text report of a SimPoint estimate."""
    lines = [f"== SimPoint: {est.instructions:,} instructions in {est.intervals:,} intervals "
             f"of {est.interval:,} ==",
             f"CPI            {est.cpi:.4f}   IPC {est.ipc:.4f}",
             f"spread         ±{est.spread:.4f} between clusters (CPI {est.cpi_min:.4f} to "
             f"{est.cpi_max:.4f})",
             f"clusters       k = {est.k} (BIC), {est.simulated_instructions:,} instructions "
             "timed",
             "  cluster  interval        start  weight     CPI"]
    for _, r in est.points.sort_values("weight", ascending=False).iterrows():
        lines.append(f"  {int(r['cluster']):7d}  {int(r['interval']):8d}  "
                     f"{int(r['start']):11,d}  {r['weight']:6.3f}  {r['cpi']:6.4f}")
    for name, value in sorted(est.mpki.items()):
        lines.append(f"{name:14s} {value:.3f} (weighted)")
    s = est.seconds
    lines.append(f"host time      {s['total']:.2f} s (profile {s['profile']:.2f}, cluster "
                 f"{s['cluster']:.2f}, checkpoints {s['checkpoint']:.2f}, points "
                 f"{s['simulate']:.2f})")
    lines.append(est.message)
    return "\n".join(lines)


def exit_status(result) -> int:
    """The exit status of `cyclesim run` for a result (see EXIT_STATUS_HELP)."""
    status = result.status
    if status == "exited":
        return int(result.exit_code) & 0xFF
    if status == "stopped":
        return 0                    # --stop-at reached: what was asked for
    if status == "interrupted":
        return EXIT_SIGNAL_BASE + 2  # SIGINT
    if status == "signal":
        print(f"cyclesim: {result.message}", file=sys.stderr)
        return int(result.exit_code or EXIT_SIGNAL_BASE) & 0xFF
    if status == "fault":
        # Linux would deliver the fault as a signal that kills the program
        print(f"cyclesim: {result.message}", file=sys.stderr)
        kind = (result.fault or {}).get("kind", "")
        return EXIT_SIGNAL_BASE + _FAULT_SIGNALS.get(kind, 11)
    if status == "prefetcher_error":
        # the user's Python prefetcher failed: bad input to cyclesim, not a guest outcome
        print(f"cyclesim: {result.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if status not in ("max_insts", "max_cycles"):
        print(f"cyclesim: {result.message}", file=sys.stderr)
    return EXIT_LIMIT


def _check_outputs(exports, save):
    """Refuse unwritable export paths before the run, not after it."""
    import os

    for flag, path in exports:
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise _Usage(f"{flag} {path}: the directory {parent} does not exist; create it "
                         "or choose another path")
    if save:
        from cyclesim.errors import CyclesimError
        from cyclesim.results.store import check_save_target

        try:
            check_save_target(Path(save), overwrite=True)
        except CyclesimError as e:
            raise _Usage(f"--save {save}: {e}") from None


def _write_exports(result, a):
    """--konata / --o3pipeview / --perfetto / --save, each confirmed on stderr."""
    from cyclesim.errors import CyclesimError

    jobs = [(a.konata, result.to_konata), (a.o3pipeview, result.to_o3pipeview),
            (a.perfetto, result.to_perfetto)]
    try:
        for path, write in jobs:
            if path:
                write(path)
                n = len(result.pipeline)
                hint = "" if n else ": the run ended before --trace-window began"
                print(f"[cyclesim] wrote {path} ({n:,} instructions{hint})", file=sys.stderr)
        if a.save:
            result.save(a.save, overwrite=True)
            print(f"[cyclesim] saved the result to {a.save}", file=sys.stderr)
    except CyclesimError as e:
        raise _Usage(str(e)) from None


def _cmd_list(a) -> int:
    from cyclesim import workloads

    for name in workloads.names():
        info = workloads.info(name)
        print(f"{name:<12} {info.get('description', '')}")
    return 0


def _cmd_presets(a) -> int:
    from cyclesim.config import presets

    for name in presets.names():
        print(f"{name:<12} {presets.describe(name)}")
    return 0


def _cmd_config(a) -> int:
    from cyclesim.config import resolve_config
    from cyclesim.errors import CyclesimError

    try:
        cfg = resolve_config(a.config, preset=a.preset, overrides=_pairs(a.overrides, "--set") or None)
    except CyclesimError as e:
        raise _failure(e) from None
    print(cfg.to_toml() if hasattr(cfg, "to_toml") else json.dumps(cfg.to_dict(), indent=2))
    return 0


def _one_line(message: str) -> str:
    """The message on one line, any echoed word longer than 80 characters (a value the
    user pasted, a path) shortened in the middle, so the sentence stays readable."""
    import re

    return re.sub(r"\S{81,}", lambda m: f"{m[0][:40]}...{m[0][-20:]}",
                  " ".join(message.split()))


def _split_guest(parser, tokens):
    """(cyclesim's options, [PROGRAM, guest args...]): the first token that is not an
    option or an option's value is the program, and it and all after it are the guest's.
    A `--` before the program ends the options; after the program even `--` is the
    guest's, as with env(1) and qemu-riscv64."""
    takes_value = {opt: action.nargs for action in parser._actions
                   for opt in action.option_strings}
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "--":
            return tokens[:i], tokens[i + 1:]
        if not t.startswith("-") or t == "-":
            return tokens[:i], tokens[i:]
        name = t.split("=", 1)[0]
        if name not in takes_value and name.startswith("--"):
            # argparse accepts a unique prefix of a long option
            matches = [o for o in takes_value if o.startswith(name)]
            name = matches[0] if len(matches) == 1 else name
        if name in takes_value:
            nargs = takes_value[name]
            if nargs == "?":
                # an optional value (--sample [KEY=VALUE,...]) is only a KEY=VALUE list,
                # so `--sample matmul` leaves matmul as the program
                nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
                i += 2 if "=" not in t and "=" in nxt and not nxt.startswith("-") else 1
            else:
                i += 2 if nargs != 0 and "=" not in t else 1
        elif t[:2] in takes_value:              # a short option with its value: -oDIR
            i += 1
        else:
            i += 1                              # unknown: argparse will say so
    return tokens, []


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, commands = _parser()
    try:
        if argv and argv[0] in ("run", "checkpoint"):
            sub = commands[argv[0]]
            options, guest = _split_guest(sub, argv[1:])
            a = sub.parse_args(options)
            a.program, a.args = (guest[0], guest[1:]) if guest else (None, [])
            a.command = argv[0]
        elif argv and argv[0] in commands:
            a = commands[argv[0]].parse_args(argv[1:])
            a.command = argv[0]
        else:
            a = parser.parse_args(argv)
    except SystemExit as e:
        # argparse exits 2 on a usage error; ours is EXIT_BAD_INPUT
        return EXIT_BAD_INPUT if e.code == 2 else int(e.code or 0)
    try:
        handler = {"run": _cmd_run, "list": _cmd_list, "presets": _cmd_presets,
                   "config": _cmd_config, "sweep": _cmd_sweep,
                   "checkpoint": _cmd_checkpoint, "cache": _cmd_cache}[a.command]
        return handler(a)
    except _Usage as e:
        print(f"cyclesim: {_one_line(str(e))}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("cyclesim: interrupted", file=sys.stderr)
        return EXIT_SIGNAL_BASE + 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
