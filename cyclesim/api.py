"""`cyclesim.run`: one program on one modeled machine, from Python."""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from cyclesim.engine import RunOptions, System
from cyclesim.errors import ArgumentError, ConfigError, CyclesimError

_TRACE_KINDS = ("pipeline", "cycles", "memory")


def run(program=None, *args, config=None, preset=None, overrides=None, mode: str = "timing",
        env: Mapping[str, str] | None = None, stdin=b"", clear_env: bool = False,
        cwd: str | os.PathLike | None = None, tmp_size: int | str = "64MiB",
        keep_tmp: bool = False,
        allow_read: Iterable[str | os.PathLike] = (), allow_write: str | os.PathLike | None = None,
        mem_limit: int | str = "1GiB", max_insts: int | None = None,
        max_cycles: int | None = None, stop_at: int | str | None = None,
        warmup: int | None = None, roi: bool = False, sample_interval: int | None = 100_000,
        trace: str | Iterable[str] | None = None, trace_window: tuple[int, int] | None = None,
        trace_dir: str | os.PathLike | None = None,
        seed: int = 0, echo: bool = False, progress: bool | None = None, checkpoint=None,
        output_limit: int | str = "16MiB",
        sampling=None, speedup: bool = False, placement=None, until: str = "all",
        alone: bool = False):
    """Run `program` (a workload name or an ELF path) with guest arguments `args`.

    A list of programs runs them together, each its own process on its own harts of one
    machine sharing its shared caches and memory (docs/engine.md, "Multi-program runs"):
    ``run(["sort 20000", ("matmul", 32)], overrides={"cores": 2})``; so does a config
    whose `workloads` field lists them (with no `program`). Program i runs on hart i, or
    on the harts `placement[i]` (a hart or a list of harts); until="all" runs until
    every program has ended, until="first" stops when the first one ends. alone=True
    also runs each program alone on the same machine and sets result.programs[i]
    .alone_cycles and .slowdown. result.programs[i] holds each program's stdout, exit
    code, instructions, cycles, CPI stack and cache statistics.

    config / preset / overrides choose the machine (see cyclesim.config.resolve_config):
    a SystemConfig, a nested dict, or a .toml/.yaml/.json path; a preset name; and
    overrides such as ``{"l1d.size": "64KiB"}``. ``mode="functional"`` runs the ISA only.

    The guest sees only files under `allow_read` (read-only) and `allow_write`
    (read-write), from the working directory `cwd` (default: this process's), and a
    private writable /tmp of `tmp_size` (removed after the run unless `keep_tmp`; then
    result.tmp_dir names it); result.denied_paths lists the paths it was refused. Its
    environment is cyclesim.process.kernel.DEFAULT_ENV plus `env` (`clear_env=True`:
    `env` only). `stdin` is bytes, text, or a binary file object read as the guest asks.
    Its memory is capped at `mem_limit` and its instructions at `max_insts`.
    Statistics cover the whole run, or start after `warmup` instructions, or cover only
    the region between the roi_begin/roi_end markers when `roi=True`.
    Traces are off unless `trace` names some of "pipeline", "cycles", "memory"; they
    cover `trace_window = (first_instruction, count)`, by default the first 10,000
    instructions, held in memory (result.pipeline, result.memory_trace). With
    `trace_dir=DIR` they stream to chunked Parquet files in DIR/pipeline and DIR/memory
    as the run goes, in bounded memory, by default for the whole run (result.trace_files
    names the directories; docs/trace-driven.md).

    The guest's stdout and stderr stream to the host's as written with echo=True (both to
    its stderr with echo="stderr"); result.stdout / .stderr keep the first `output_limit`
    bytes of each (spooled to a temporary file past 1 MiB, so host memory stays small),
    and result.output_dropped counts what was written past it.

    progress=None shows a progress bar in a terminal or a notebook and none otherwise.

    checkpoint= resumes the run saved in that checkpoint directory (program, args, env
    and stdin come from it; `program` may be omitted for a bundled workload) in either
    mode, on any config, with cold caches and predictors; max_insts counts from the
    program's start. result.checkpoint(dir) saves a run stopped by max_insts.

    speedup=True runs the program a second time on one core (cores = 1, the rest of the
    config unchanged) and sets result.speedup (its cycles / this run's) and
    result.baseline_cycles; the report shows them. stdin must then be bytes or text.

    sampling= runs SMARTS systematic sampling (docs/sampling.md): True for the defaults,
    or a dict / cyclesim.sampling.SamplingSpec of unit, warmup, period or samples,
    confidence and target_error. result.sampling then holds the CPI estimate with its
    confidence interval, and result.stats the estimates.

    Returns a SimResult; a guest fault or limit is a status in it, not an exception.
    Bad input (unknown workload, invalid config, not a static RISC-V ELF) raises a
    CyclesimError whose message says what to do.
    """
    from cyclesim.results.result import SimResult

    multi = dict(config=config, preset=preset, overrides=overrides, mode=mode, env=env,
                 stdin=stdin, clear_env=clear_env, cwd=cwd, tmp_size=tmp_size,
                 keep_tmp=keep_tmp, allow_read=allow_read, allow_write=allow_write,
                 mem_limit=mem_limit, max_insts=max_insts, max_cycles=max_cycles,
                 stop_at=stop_at, warmup=warmup, roi=roi, sample_interval=sample_interval,
                 trace=trace, trace_window=trace_window, trace_dir=trace_dir, seed=seed,
                 echo=echo, progress=progress, checkpoint=checkpoint,
                 output_limit=output_limit, sampling=sampling, speedup=speedup,
                 placement=placement, until=until, alone=alone)
    if isinstance(program, (list, tuple)):
        if args:
            raise ArgumentError("a list of programs carries each program's arguments: give "
                                "run(['sort 20000', ('matmul', 32)]), not extra arguments")
        return run_programs(program, **multi)
    if program is None and checkpoint is None:
        from cyclesim.config import resolve_config

        cfg = resolve_config(config, preset=preset, overrides=overrides)
        if cfg.workloads:
            return run_programs(list(cfg.workloads), **dict(multi, config=cfg, preset=None,
                                                            overrides=None))
    if placement is not None or until != "all" or alone:
        raise ArgumentError("placement=, until= and alone= are for several programs: give "
                            "run() a list of programs")

    system, info, cfg = prepare(program, *args, config=config, preset=preset,
                                overrides=overrides, mode=mode, env=env, stdin=stdin,
                                clear_env=clear_env, cwd=cwd, tmp_size=tmp_size,
                                keep_tmp=keep_tmp,
                                allow_read=allow_read, allow_write=allow_write,
                                mem_limit=mem_limit, max_insts=max_insts,
                                max_cycles=max_cycles, stop_at=stop_at, warmup=warmup,
                                roi=roi, sample_interval=sample_interval, trace=trace,
                                trace_window=trace_window, trace_dir=trace_dir, seed=seed,
                                echo=echo, progress=progress, checkpoint=checkpoint,
                                output_limit=output_limit, sampling=sampling)
    try:
        outcome = system.run()
    finally:
        # The private /tmp goes with the run (a checkpoint cannot hold its files).
        if not system.process.keep_tmp:
            system.process.remove_tmp()
    result = SimResult.from_run(program=info["name"], path=info["path"], args=info["args"],
                                config=cfg, options=system.options, system=system,
                                outcome=outcome)
    result.restored_from = info.get("restored_from")
    sandbox = system.process.sandbox
    result.denied_paths = {"count": sandbox.denied_count,
                           "first": [{"path": p, "refused": how} for p, how in sandbox.denied]}
    result.tmp_dir = system.process.tmp_dir
    result.bundled = info["bundled"]
    result.warnings = _warnings(system, info, program, outcome, result.denied_paths)
    if getattr(cfg, "workloads", None):
        result.warnings.append(f"the config lists workloads ({'; '.join(cfg.workloads)}), "
                               f"which run together only when no program is given; this "
                               f"run was {info['name']!r} alone")
    result._total_instructions = system.instret
    result.speedup = result.baseline_cycles = None
    if speedup:
        # the same run on one core: speed-up = its cycles / this run's (docs/engine.md)
        one = run(program, *args, config=cfg, overrides={"cores": 1}, mode=mode, env=env,
                  stdin=stdin, clear_env=clear_env, cwd=cwd, tmp_size=tmp_size,
                  allow_read=allow_read, allow_write=allow_write, mem_limit=mem_limit,
                  max_insts=max_insts, max_cycles=max_cycles, warmup=warmup, roi=roi,
                  sample_interval=None, seed=seed, progress=False,
                  output_limit=output_limit)
        result.baseline_cycles = one.cycles_total
        result.speedup = result.speedup_over(one)
    result._checkpoint_source = (system, info, cfg) if outcome.status in (
        "max_insts", "max_cycles", "stopped", "interrupted") else None
    return result


def prepare(program=None, *args, config=None, preset=None, overrides=None,
            mode: str = "timing", env=None, stdin=b"", clear_env=False, cwd=None,
            tmp_size="64MiB", keep_tmp=False, allow_read=(), allow_write=None,
            mem_limit="1GiB", max_insts=None, max_cycles=None, stop_at=None, warmup=None,
            roi=False, sample_interval=100_000, trace=None, trace_window=None,
            trace_dir=None, seed=0, echo=False, progress=None, checkpoint=None,
            output_limit="16MiB", sampling=None):
    """(System ready to run, program facts for a checkpoint manifest, resolved config):
    the checked inputs of run(), optionally restored from a checkpoint."""
    import hashlib

    from cyclesim import inputs, workloads
    from cyclesim.config import resolve_config

    traces = _trace_kinds(trace)
    if traces and mode != "timing":
        raise CyclesimError("traces need timing mode: drop trace= or use mode='timing'")
    for name, value in (("max_insts", max_insts), ("max_cycles", max_cycles),
                        ("warmup", warmup)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or not 0 <= value < 1 << 63):
            raise ArgumentError(f"{name} = {value!r}: give a whole number from 0 to 2**63-1")
    if trace_dir is not None:
        if not traces:
            raise ArgumentError("trace_dir is where traces are streamed; name the traces "
                                "too, e.g. trace='memory' (--trace memory)")
        if not isinstance(trace_dir, (str, os.PathLike)):
            raise ArgumentError(f"trace_dir = {trace_dir!r}: give a directory path")
        trace_dir = os.fspath(trace_dir)
    if trace_window is None:
        trace_window = (0, 1 << 62) if trace_dir is not None else (0, 10_000)
    options = RunOptions(mode=mode, max_insts=max_insts, max_cycles=max_cycles,
                         stop_at=stop_at, warmup=warmup, roi=roi,
                         sample_interval=inputs.sample_interval(sample_interval),
                         trace=traces,
                         trace_window=_window(trace_window), trace_dir=trace_dir,
                         progress=progress,
                         sampling=_sampling(sampling))
    cfg = resolve_config(config, preset=preset, overrides=overrides)
    saved = None
    if checkpoint is not None:
        from cyclesim.checkpoint import load

        saved, arrays = load(checkpoint)
        prog = saved["program"]
        if program is None:
            program = prog["name"]
        if args or env is not None or stdin or tuple(allow_read) or allow_write is not None:
            raise CyclesimError("a resumed run takes its guest arguments, env, stdin and "
                                "sandbox from the checkpoint; drop them")
        # the saved environment is the whole one the guest had
        args, env, seed, clear_env = prog["args"], prog["env"], prog["seed"], True
        mem_limit = prog["mem_limit"]
        allow_read, allow_write = prog["allow_read"], prog["allow_write"]
    elif program is None:
        raise CyclesimError("run() needs a program (a workload name or an ELF path) "
                            "or checkpoint=")
    env, seed = inputs.env(env), inputs.seed(seed)
    allow_read, allow_write = inputs.allow_read(allow_read), inputs.allow_write(allow_write)
    guest_args = inputs.guest_args(args)
    path = workloads.resolve(program)
    if isinstance(stdin, str):
        stdin = stdin.encode()
    limit = inputs.mem_limit(mem_limit)
    tmp_bytes = _tmp_size(tmp_size)
    # A bundled workload is loaded from its bytes under its bare name, so that argv[0],
    # AT_EXECFN and hence the stack layout and instruction count do not depend on where
    # the package is installed. A path is used as the user gave it.
    name = str(program)
    # A path is mapped by the loader, not read whole; its digest (for checkpoints) is
    # computed only when a checkpoint needs it (file_sha256). An existing file wins over
    # a bundled workload of the same name (workloads.resolve).
    bundled = workloads.is_bundled(program, path)
    image = path.read_bytes() if bundled else name
    digest = hashlib.sha256(image).hexdigest() if bundled else None
    if saved is not None and digest is None:
        digest = file_sha256(path)
    if saved is not None and saved["program"]["sha256"] != digest:
        from cyclesim.checkpoint import CheckpointError

        raise CheckpointError(f"checkpoint {checkpoint} was taken of another program "
                              f"({saved['program']['name']!r}), not of {name!r}; resume it "
                              "with the program it was taken of")
    system = build_system(image, name, guest_args, cfg, options,
                          env=dict(env) if env is not None else None, stdin=stdin,
                          clear_env=clear_env, cwd=cwd, tmp_size=tmp_bytes,
                          keep_tmp=keep_tmp,
                          allow_read=tuple(allow_read), allow_write=allow_write,
                          mem_limit=limit, seed=seed, echo=echo,
                          output_limit=_output_limit(output_limit))
    info = {"name": name, "path": os.path.abspath(path), "sha256": digest, "args": guest_args,
            "bundled": bundled,
            "env": dict(system.process.env), "seed": int(seed), "mem_limit": limit,
            "allow_read": [str(d) for d in allow_read],
            "allow_write": None if allow_write is None else str(allow_write)}
    if saved is not None:
        from cyclesim.checkpoint import apply

        apply(system, saved, arrays, echo=echo)
        system.resumed_at(int(saved["instructions"]))
        info["restored_from"] = str(checkpoint)
    return system, info, cfg


def build_system(image, name: str, args, config, options: RunOptions, *, env=None,
                 stdin=b"", allow_read=(), allow_write=None, mem_limit: int = 1 << 30,
                 seed: int = 0, echo: bool = False, output_limit: int | None = None,
                 clear_env: bool = False, cwd=None, tmp_size: int = 64 << 20,
                 keep_tmp: bool = False) -> System:
    """The guest process and the modeled machine of one run, ready to `.run()`.

    `image` is an ELF path or its bytes, loaded with `name` as argv[0]; `config` is a
    resolved SystemConfig. run() and the sweep workers both start runs here, so a sweep
    point is the same run as cyclesim.run with the same arguments.
    """
    process = make_process(image, name, args, config, env=env, stdin=stdin,
                           allow_read=allow_read, allow_write=allow_write,
                           mem_limit=mem_limit, seed=seed, echo=echo,
                           output_limit=output_limit, clear_env=clear_env, cwd=cwd,
                           tmp_size=tmp_size, keep_tmp=keep_tmp)
    return System(config, process, options)


def make_process(image, name: str, args, config, *, env=None, stdin=b"", allow_read=(),
                 allow_write=None, mem_limit: int = 1 << 30, seed: int = 0,
                 echo: bool = False, output_limit: int | None = None,
                 clear_env: bool = False, cwd=None, tmp_size: int = 64 << 20,
                 keep_tmp: bool = False):
    """The guest process of one program (its memory, stack, files), not yet on a hart."""
    from cyclesim.isa.extensions import HartIsa
    from cyclesim.process.kernel import DEFAULT_ENV, Process

    if env is not None and not isinstance(env, Mapping):
        raise CyclesimError(f"env must be a mapping of names to values (a dict), not "
                            f"{type(env).__name__}")
    full_env = {} if clear_env else dict(DEFAULT_ENV)
    full_env.update({str(k): str(v) for k, v in (env or {}).items()})
    return Process(image, argv=[name] + [str(a) for a in args], program_name=name,
                   env=full_env, stdin=stdin, allow_read=tuple(allow_read),
                   allow_write=allow_write, mem_limit=mem_limit, seed=seed, echo=echo,
                   output_limit=output_limit, isa=HartIsa(config.core.isa),
                   cwd=cwd, tmp_size=tmp_size, keep_tmp=keep_tmp)


def _tmp_size(value) -> int:
    from cyclesim.units import parse_size

    try:
        if isinstance(value, bool):
            raise ConfigError("")
        size = parse_size(value, "tmp_size")
    except ConfigError:
        raise ArgumentError(f"tmp_size = {value!r}: give a size such as 64MiB") from None
    if not 0 <= size <= 1 << 40:
        raise ArgumentError(f"tmp_size = {value!r}: give a size from 0 to 1TiB, such as 64MiB")
    return size


def _output_limit(value) -> int:
    from cyclesim.units import parse_size

    limit = parse_size(value, "output_limit")
    if not 0 <= limit <= 1 << 40:
        raise CyclesimError(f"output_limit = {value!r}: give a size from 0 to 1TiB, such as "
                            "16MiB")
    return limit


def file_sha256(path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (host memory stays small)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sampling(value):
    from cyclesim.sampling import SamplingSpec

    return SamplingSpec.parse(value)


def _warnings(system, info, program, outcome, denied) -> list[str]:
    """Sentences about things the user asked for that did not happen as asked."""
    from cyclesim import workloads

    out = []
    opts = system.options
    if not info["bundled"] and isinstance(program, str) and program in workloads.names():
        out.append(f"ran the file {info['path']}, not the bundled workload {program!r} "
                   f"(an existing file wins; give another path to run the workload)")
    if opts.roi and not system.roi_seen:
        out.append("--roi / roi=True: the program never reached a roi_begin marker "
                   "(workloads/include/cyclesim.h), so the statistics cover the whole run")
    if opts.stop_at is not None and outcome.status != "stopped":
        out.append(f"--stop-at / stop_at={opts.stop_at!r} was never reached: the run "
                   f"ended first ({outcome.message})")
    if denied["count"]:
        shown = ", ".join(f"{d['path']} ({'hidden' if d['refused'] == 'read' else 'read-only'})"
                          for d in denied["first"])
        more = denied["count"] - len(denied["first"])
        out.append(f"the sandbox refused the guest {denied['count']} time(s): {shown}"
                   f"{f' and {more} more' if more > 0 else ''}; allow directories with "
                   "--allow-read DIR / --allow-write DIR (allow_read= / allow_write=)")
    proc = system.process
    for kind, note in getattr(proc, "notes", {}).items():
        # fork, vfork, execve, non-thread clones: one sentence per kind, with the count
        times = proc.unsupported[kind]
        out.append(note + (f" ({times} calls)" if times > 1 else ""))
    return out


def _trace_kinds(trace) -> tuple[str, ...]:
    if not trace:
        return ()
    kinds = (trace,) if isinstance(trace, str) else tuple(trace)
    for kind in kinds:
        if kind not in _TRACE_KINDS:
            raise CyclesimError(f"trace {kind!r} is not known: choose from {', '.join(_TRACE_KINDS)}")
    return kinds


def _window(window) -> tuple[int, int]:
    try:
        first, count = (int(v) for v in window)
    except (TypeError, ValueError):
        raise CyclesimError(f"trace_window = {window!r}: give (first_instruction, count)") from None
    if first < 0 or count <= 0 or first >= 1 << 63 or count >= 1 << 63:
        raise CyclesimError(f"trace_window = {window!r}: first must be 0 to 2**63-1 and "
                            "count 1 to 2**63-1")
    return first, count


def run_programs(programs, *, config=None, preset=None, overrides=None, mode="timing",
                 env=None, stdin=b"", clear_env=False, cwd=None, tmp_size="64MiB",
                 keep_tmp=False, allow_read=(), allow_write=None, mem_limit="1GiB",
                 max_insts=None, max_cycles=None, stop_at=None, warmup=None, roi=False,
                 sample_interval=100_000, trace=None, trace_window=None, trace_dir=None,
                 seed=0, echo=False, progress=None, checkpoint=None, output_limit="16MiB",
                 sampling=None, speedup=False, placement=None, until="all", alone=False):
    """Several programs on one machine (run() with a list; see its docstring)."""
    from cyclesim import inputs, workloads
    from cyclesim.config import resolve_config
    from cyclesim.programs import MultiSystem, check_options, parse_placement, parse_program
    from cyclesim.results.programs import multi_result

    if not programs:
        raise ArgumentError("the list of programs is empty: give at least one, e.g. "
                            "['sort 20000', 'matmul 32']")
    specs = [parse_program(entry, i) for i, entry in enumerate(programs)]
    traces = _trace_kinds(trace)
    if traces and mode != "timing":
        raise CyclesimError("traces need timing mode: drop trace= or use mode='timing'")
    for name, value in (("max_insts", max_insts), ("max_cycles", max_cycles),
                        ("warmup", warmup)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or not 0 <= value < 1 << 63):
            raise ArgumentError(f"{name} = {value!r}: give a whole number from 0 to 2**63-1")
    options = RunOptions(mode=mode, max_insts=max_insts, max_cycles=max_cycles,
                         stop_at=stop_at, warmup=warmup, roi=roi,
                         sample_interval=inputs.sample_interval(sample_interval),
                         trace=traces, trace_window=_window(trace_window or (0, 10_000)),
                         trace_dir=trace_dir, progress=progress, sampling=_sampling(sampling))
    cfg = resolve_config(config, preset=preset, overrides=overrides)
    check_options(options, cfg, speedup, checkpoint)
    if isinstance(stdin, str):
        stdin = stdin.encode()
    if not isinstance(stdin, (bytes, bytearray)):
        raise ArgumentError("stdin of a multi-program run is bytes or text, which every "
                            "program reads a copy of; not a stream")
    paths = [workloads.resolve(name) for name, _ in specs]     # an unknown name: one sentence
    names = [name for name, _ in specs]
    harts = parse_placement(placement, names, int(cfg.cores))
    env, seed = inputs.env(env), inputs.seed(seed)
    allow_read, allow_write = inputs.allow_read(allow_read), inputs.allow_write(allow_write)
    limit, tmp_bytes = inputs.mem_limit(mem_limit), _tmp_size(tmp_size)
    out_limit = _output_limit(output_limit)
    processes, infos = [], []
    for (name, args), path in zip(specs, paths):
        guest_args = inputs.guest_args(args)
        bundled = workloads.is_bundled(name, path)
        image = path.read_bytes() if bundled else name
        processes.append(make_process(image, name, guest_args, cfg,
                                      env=dict(env) if env is not None else None,
                                      stdin=bytes(stdin), allow_read=tuple(allow_read),
                                      allow_write=allow_write, mem_limit=limit, seed=seed,
                                      echo=echo, output_limit=out_limit,
                                      clear_env=clear_env, cwd=cwd, tmp_size=tmp_bytes,
                                      keep_tmp=keep_tmp))
        infos.append({"name": name, "args": guest_args, "path": os.path.abspath(path),
                      "bundled": bundled})
    system = MultiSystem(cfg, processes, options, harts, until=until, names=names)
    try:
        outcome = system.run()
    finally:
        for proc in processes:
            if not proc.keep_tmp:
                proc.remove_tmp()
    result = multi_result(system, infos, cfg, options, outcome)
    if alone:
        for p, (entry, info) in enumerate(zip(programs, result.programs)):
            one = run_programs([entry], config=cfg, mode=mode, env=env, stdin=stdin,
                               clear_env=clear_env, cwd=cwd, tmp_size=tmp_size,
                               allow_read=allow_read, allow_write=allow_write,
                               mem_limit=mem_limit, max_insts=max_insts,
                               max_cycles=max_cycles, warmup=warmup, sample_interval=None,
                               seed=seed, progress=False, output_limit=output_limit,
                               placement=[harts[p]])
            info.set_alone(one.programs[0])
    return result
