"""The simulation engine: a System built once from a config, run in a simpy Environment.

`env.now` is the cycle. The core is a simpy process that runs one Cython quantum and then
yields once, for as many cycles as the quantum advanced. A quantum ends at the next
scheduled simpy event (``env.peek()``: a sampler tick, a cycle limit), at an instruction
budget (instruction limits, warm-up), or early when the guest makes a syscall, executes a
region-of-interest marker, or faults. Syscalls are emulated in Python between quanta.
Nothing here runs per instruction or per cycle.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import simpy

from cyclesim.errors import ConfigError, CyclesimError
from cyclesim.harts import Hart, Scheduler, multicore_stats, thread_stats
from cyclesim.isa.core import Core
from cyclesim.isa.extensions import HartIsa
from cyclesim.process.kernel import Process
from cyclesim.process.memory import MemoryLimitExceeded
from pipeline.types import StopReason

# Most interval samples kept (an even number); past it adjacent intervals merge in pairs
# and the interval doubles (System._sampler), so a sample costs at most ~MAX_SAMPLES rows.
MAX_SAMPLES = 1024

# Region-of-interest marker codes (workloads/include/cyclesim.h: `slti x0, x0, K`).
MARKER_ROI_BEGIN = 1
MARKER_ROI_END = 2
MARKER_RESET_STATS = 3
MARKER_DUMP_STATS = 4

# Ticks per second of the rdtime CSR, as on common RISC-V Linux boards.
TIMEBASE_HZ = 10_000_000

# Largest quantum in instructions: bounds how long Python waits for Ctrl-C and how stale
# the progress display can be, at no measurable cost (a quantum costs microseconds).
# The shared levels forget reservations that ended this many cycles before the earliest
# hart's clock (an out-of-order core's requests can precede its clock a little).
SETTLE_MARGIN = 256
MAX_QUANTUM = 5_000_000
NO_STOP = (1 << 64) - 1                 # a stop cycle no clock reaches

_FAULT_NAMES = {
    StopReason.STOP_ILLEGAL: "illegal instruction",
    StopReason.STOP_FETCH_FAULT: "instruction fetch fault",
    StopReason.STOP_LOAD_FAULT: "load access fault",
    StopReason.STOP_STORE_FAULT: "store/AMO access fault",
    StopReason.STOP_MISALIGNED: "misaligned atomic access",
}


@dataclass
class RunOptions:
    """How to run (as opposed to what machine to model, which is the config)."""

    mode: str = "timing"                 # "timing" or "functional"
    max_insts: int | None = None         # stop after this many instructions
    max_cycles: int | None = None        # stop at this cycle (timing mode)
    stop_at: int | str | None = None     # stop when the pc reaches an address or a symbol
    warmup: int | None = None            # reset statistics after this many instructions
    roi: bool = False                    # measure only between roi_begin and roi_end markers
    sample_interval: int | None = 100_000  # cycles between interval samples (None = off)
    trace: tuple[str, ...] = ()          # "pipeline", "cycles", "memory"
    trace_window: tuple[int, int] = (0, 10_000)  # (first instruction, count)
    trace_dir: str | None = None         # stream traces to chunked Parquet files here
    progress: bool | None = False       # None: automatic (cyclesim.progress.wanted)
    sampling: object = None              # a cyclesim.sampling.SamplingSpec: SMARTS sampling

    def __post_init__(self):
        if self.mode not in ("timing", "functional"):
            raise CyclesimError(f"mode {self.mode!r} is not known: use 'timing' or 'functional'")
        if self.sampling is not None:
            clash = [name for name, on in (("mode='functional'", self.mode != "timing"),
                                           ("warmup", self.warmup is not None),
                                           ("roi", self.roi), ("traces", bool(self.trace)),
                                           ("max_cycles", self.max_cycles is not None)) if on]
            if clash:
                raise CyclesimError(f"sampling does not combine with {', '.join(clash)}: "
                                    "SMARTS times only its measured units (docs/sampling.md)")


@dataclass
class RunOutcome:
    """What the engine hands to the result builder."""

    status: str                          # exited, fault, signal, max_insts, max_cycles,
    message: str                         # stopped, mem_limit, deadlock, prefetcher_error
    exit_code: int | None
    fault: dict | None
    stats: dict
    samples: list = field(default_factory=list)
    dumps: list = field(default_factory=list)
    host_seconds: float = 0.0
    sampling: object = None              # SamplingEstimate of a sampled run


class System:
    """One modeled machine running one program: core, memory hierarchy, process."""

    def __init__(self, config, process: Process, options: RunOptions):
        self.config = config
        self.process = process
        self.options = options
        self.roi_seen = False            # a roi_begin marker was reached
        self.frequency = float(config.core.frequency)
        self.n_harts = int(getattr(config, "cores", 1))
        # per hart: its core and branch predictor sections (per_core overrides them)
        self.hart_configs = [config.hart_config(i) if hasattr(config, "hart_config")
                             else (config.core, config.bpred) for i in range(self.n_harts)]
        self.isa = HartIsa(config.core.isa)
        # hart i's core works on the memory of the program placed on it (one program
        # unless a multi-program run says otherwise: cyclesim/programs.py)
        self.cores = [Core(self._hart_process_of(i).memory) for i in range(self.n_harts)]
        for core, (core_cfg, _) in zip(self.cores, self.hart_configs):
            isa = self.isa if core_cfg.isa == config.core.isa else HartIsa(core_cfg.isa)
            core.set_isa(isa.missing_ops())
            core.cbo_block_size = int(config.l1d.line_size)
        self.core = self.cores[0]                  # hart 0: the main thread starts there
        process.isa = self.isa                     # riscv_hwprobe answers from it
        process.cbo_block_size = self.core.cbo_block_size
        self.timing = None
        self.timings = [None] * self.n_harts
        self.hierarchy = None
        self._spool = None
        if options.mode == "timing":
            from caches.build import build_hierarchy
            from cyclesim import footprint
            from pipeline.build import build_core

            traced = 0
            if options.trace:
                from cyclesim.results.spool import STREAM_CAPACITY

                pipe = "pipeline" in options.trace or "cycles" in options.trace
                mem = "memory" in options.trace
                traced = options.trace_window[1]
                if options.trace_dir is not None:
                    traced = min(traced, STREAM_CAPACITY)    # streamed in chunks of this
                else:
                    _check_trace_memory(traced * self.n_harts, pipe, mem)
            footprint.check(config, traced, "pipeline" in options.trace
                            or "cycles" in options.trace, "memory" in options.trace)

            # Sampling warms the caches between samples at functional speed: the 3C
            # miss classification (a fully-associative shadow per level) is left out;
            # otherwise each level's classify_misses says.
            extra = {}
            if self.n_harts > 1:
                if options.sampling is not None or options.trace_dir is not None:
                    raise ConfigError("sampling and streamed traces (trace_dir) run on one "
                                      "core for now: drop sampling=/trace_dir= or set "
                                      "cores = 1 (in-memory traces work on every core)")
                extra["cores"] = self.n_harts
                extra["coherence"] = getattr(config, "coherence", None)
                extra.update(self._hierarchy_options())
            self.hierarchy = build_hierarchy(config.l1i, config.l1d, config.l2, config.l3,
                                             config.memory, self.frequency,
                                             classify_misses=(None if options.sampling is None
                                                               else False),
                                             tlb=getattr(config, "tlb", None), **extra)
            tlb = getattr(config, "tlb", None)
            if self.hierarchy.tlbs and getattr(tlb, "superpages", "never") == "always":
                process.vm.on_anonymous_map = self._superpage_hook(process)
            self.timings = [build_core(*self.hart_configs[i], *self._l1s(i))
                            for i in range(self.n_harts)]
            self.timing = self.timings[0]
            if options.trace:
                first, count = options.trace_window
                capacity = None
                if options.trace_dir is not None:
                    from cyclesim.results.spool import TraceSpool
                    from cyclesim.results.traces import stages_of
                    self._spool = TraceSpool(options.trace_dir, pipe, mem,
                                             stages_of(self.timing))
                    capacity = STREAM_CAPACITY
                # each hart records its own instructions first .. first+count-1 (by the
                # hart's retirement number); the result tags each row with its core
                for timing in self.timings:
                    timing.enable_trace(first, count, pipe, mem, capacity=capacity)
            for core, timing in zip(self.cores, self.timings):
                core.attach_timing(timing)
        # A Python prefetcher that raised stops the run at the end of its quantum.
        self._pf_watch = self.hierarchy is not None and self.hierarchy.has_fallible_prefetcher
        for core in self.cores:
            core.set_timer(TIMEBASE_HZ, max(1, int(round(self.frequency))))
        process.start(self.core)
        self.harts = [Hart(i, core, timing, self._hart_process_of(i))
                      for i, (core, timing) in enumerate(zip(self.cores, self.timings))]
        self.harts[0].thread = process.current         # the main thread, running
        process.current.hart = 0
        engine = getattr(config, "engine", None)
        # One hart has nobody to meet: it runs to the next event, as a single core always has.
        self.quantum = int(engine.quantum) if engine is not None and self.n_harts > 1 else 0
        # Adaptive quanta (docs/engine.md): the quantum in force is [start, _q_end); it is
        # min_quantum after a quantum in which the harts interacted and doubles back to
        # `quantum` over quiet ones. Fixed quanta keep the grid of multiples of `quantum`.
        self.adaptive = bool(self.quantum and getattr(engine, "adaptive", False))
        self.min_quantum = (min(int(engine.min_quantum), self.quantum) if self.adaptive
                            else self.quantum)
        self._q_end = 0                  # end of the quantum in force (adaptive)
        self._q_len = self.quantum       # its length
        self._seen = None                # interactions counted when it opened
        self._directory = None           # the coherence directory, read once per quantum
        self.quanta = 0                  # quanta opened (adaptive)
        self.small_quanta = 0            # of them shorter than `quantum`
        self.sched = Scheduler(self, self.harts, int(engine.time_slice) if engine is not None
                               else 3_000_000)
        self.harts[0].slice_end = self.sched.time_slice
        self.schedulers = [self.sched]       # one per program (cyclesim/programs.py)
        self.running = self.harts[0]         # the hart whose turn it is
        # the shared levels' occupancy timelines, settled once per quantum
        self._settle = None
        self._settled = 0
        if self.hierarchy is not None:
            self._directory = getattr(self.hierarchy, "shared", {}).get("coherence")
            if self.quantum and getattr(self.hierarchy, "_settle", None):
                self._settle = self.hierarchy.settle
        # the reservation granule other harts' stores break (RISC-V A: the reservation set)
        self._granule_shift = int(config.l1d.line_size).bit_length() - 1
        if options.stop_at is not None:
            for core in self.cores:
                core.stop_pc = self._resolve_stop(options.stop_at)
        self.env = simpy.Environment()
        self._done = self.env.event()
        self.samples: list[dict] = []
        self.dumps: list[dict] = []
        self.frozen: dict | None = None       # stats snapshot taken at roi_end
        self._stats_base_inst = 0             # instret when statistics were last reset
        self._stats_base_cycle = 0
        self._outcome: RunOutcome | None = None
        self.reservations_broken = 0          # LR/SC reservations other harts' stores broke
        self.smarts = None                    # SmartsSchedule of a sampled run (run() makes it)
        self._progress = None

    # -- clock and statistics ----------------------------------------------------------
    @property
    def cycle(self) -> int:
        # the attached model's clock (the in-order core, or the warmer of a sampled run);
        # with several harts the latest hart's clock (the wall-clock cycle)
        if self.n_harts == 1:
            return self.harts[0].clock if hasattr(self, "harts") else int(self.core.cycle)
        return max(h.clock for h in self.harts)

    def _resolve_stop(self, where):
        from cyclesim.errors import ArgumentError

        text = str(where)
        if isinstance(where, int) and not isinstance(where, bool):
            address = where
        elif text in self.process.symbols:
            return self.process.symbols[text]
        else:
            try:
                address = int(text, 0)
            except ValueError:
                raise CyclesimError(
                    f"stop_at {text!r} is neither an address nor a symbol of the program; "
                    "give a function name from its symbol table or an address like 0x10554"
                ) from None
        if not 0 <= address < 1 << 64:
            raise ArgumentError(f"stop_at {where!r} is not a 64-bit address; give one from "
                                "0 to 2**64-1 or a function name")
        return address

    def resumed_at(self, instret: int):
        """The core was restored from a checkpoint taken after `instret` instructions:
        statistics cover what runs from here (the timing state starts cold)."""
        self._stats_base_inst = int(instret)
        self._stats_base_cycle = self.cycle

    def reset_stats(self):
        """Warm-up is over: zero every counter, keep caches, predictors and pipeline state."""
        self._stats_base_inst = self.instret
        self._stats_base_cycle = self.cycle
        for hart in self.harts:
            hart.reset_stats()
        self.quanta = self.small_quanta = 0
        if self.timing is not None:
            for timing in self.timings:
                timing.reset_stats()
            self.hierarchy.reset_stats()

    def snapshot(self) -> dict:
        """All statistics now, as a flat dict with dotted names."""
        if self.smarts is not None:
            return self._sampled_stats()
        if self.n_harts > 1:
            return multicore_stats(self)
        instructions = int(self.core.instret) - self._stats_base_inst
        stats: dict = {}
        idle = self.harts[0].idle_cycles - self.harts[0].base_idle
        if self.timing is not None:
            stats.update(self.timing.stats())
            stats.update(self.hierarchy.stats(instructions))
            cycles = int(stats.get("core.cycles", self.cycle - self._stats_base_cycle))
            if idle:                       # the thread slept: the hart idled, clock ran on
                cycles += idle
                stats["core.cycles"] = cycles
                stats["cpi_stack.idle"] = idle
        elif idle:
            cycles = instructions + idle
            stats["core.cycles"] = cycles
        else:
            cycles = instructions
            stats["core.cycles"] = cycles
            stats["core.instructions"] = instructions
        stats["core.instructions"] = instructions
        stats["core.ipc"] = instructions / cycles if cycles else 0.0
        stats["core.cpi"] = cycles / instructions if instructions else 0.0
        stats["core.frequency_hz"] = self.frequency
        stats["sim.seconds"] = cycles / self.frequency
        stats["syscalls.total"] = sum(self.process.syscall_counts.values())
        stats["syscalls.unknown"] = sum(self.process.unknown_syscalls.values())
        if len(self.process.threads) > 1:
            stats.update(thread_stats(self))
        return stats

    # -- simpy processes ----------------------------------------------------------------
    def _sampler(self, interval: int):
        """A snapshot every `interval` cycles. Snapshots are cumulative, so merging two
        adjacent intervals is keeping the later one: at MAX_SAMPLES the earlier of each
        pair goes and the interval doubles, which keeps memory bounded whatever the run
        length while every remaining interval's counts stay exact sums."""
        self.sample_interval = interval
        while True:
            yield self.env.timeout(self.sample_interval)
            row = self.snapshot()
            row["cycle"] = self.cycle
            self.samples.append(row)
            if len(self.samples) >= MAX_SAMPLES:
                del self.samples[0::2]
                self.sample_interval *= 2

    def _cycle_limit(self, limit: int):
        yield self.env.timeout(limit)
        # The core process sees this deadline through env.peek() and stops at it.

    def _hart_process_of(self, i: int) -> Process:
        """The process whose threads run on hart i."""
        return self.process

    def _hierarchy_options(self) -> dict:
        """More arguments of build_hierarchy with several harts (multi-program runs:
        per-hart physical ranges and shared-level counters, cyclesim/programs.py)."""
        return {}

    def _superpage_hook(self, process):
        """What `process`'s anonymous mappings call (tlb.superpages = always): every
        walker of a hart running it maps the region as superpages."""
        walkers = [self.hierarchy.cores[i].tlbs["walker"] for i in range(self.n_harts)
                   if self._hart_process_of(i) is process]
        if len(walkers) == 1:
            return walkers[0].map_superpages

        def map_superpages(start, end):
            for walker in walkers:
                walker.map_superpages(start, end)
        return map_superpages

    def _l1s(self, i: int):
        """(L1I, L1D) hart i's timing model talks to: its private ones."""
        if self.n_harts == 1:
            return self.hierarchy.l1i, self.hierarchy.l1d
        return self.hierarchy.cores[i].l1i, self.hierarchy.cores[i].l1d

    @property
    def instret(self) -> int:
        """Instructions retired by every hart."""
        return sum(int(c.instret) for c in self.cores)

    def _stop_cycle(self, hart: Hart) -> int:
        """The clock at which the hart's next run must stop: the next simpy event with one
        hart (a sample, the cycle limit, a timeout), else the end of its quantum; the end
        of its time slice when threads wait for a hart; the cycle limit."""
        if self.adaptive:
            if self.env.now >= self._q_end:
                self._open_quantum()
            stop = self._q_end
            if self.options.max_cycles is not None:
                stop = min(stop, self.options.max_cycles)
        elif self.quantum:
            stop = (hart.clock // self.quantum + 1) * self.quantum
            if self.options.max_cycles is not None:
                stop = min(stop, self.options.max_cycles)
        else:
            nxt = self.env.peek()
            stop = int(nxt) if nxt != float("inf") else NO_STOP
        if self._settle is not None and self.env.now >= self._settled + SETTLE_MARGIN:
            # every hart's clock is at or past env.now: no request comes much before it
            self._settled = int(self.env.now)
            self._settle(max(0, self._settled - SETTLE_MARGIN))
        if hart.process.sched.queue:
            stop = min(stop, max(hart.slice_end, hart.clock + 1))
        return stop

    def _interactions(self) -> int:
        """Events by which one hart acted on another so far: the directory's invalidations
        and interventions, threads made runnable (a futex wake hands a lock or a barrier
        over), LR/SC reservations broken. Read once per quantum; no cost per access."""
        seen = sum(s.wakes for s in self.schedulers) + self.reservations_broken
        if self._directory is not None:
            seen += self._directory.interactions()
        return seen

    def _open_quantum(self) -> None:
        """The first hart to run at or after the end of the quantum in force opens the next
        one at the current cycle, the earliest clock of the harts that still have to run
        (they wait for their own clock): min_quantum if the harts interacted in the last
        quantum, else twice the last one, up to `quantum` (Falcon, Faraboschi and Ortega,
        ISPASS 2008: the quantum follows the traffic between the simulated nodes)."""
        seen = self._interactions()
        if self._seen is not None and seen != self._seen:
            self._q_len = self.min_quantum
        else:
            self._q_len = min(self.quantum, 2 * self._q_len)
        self._seen = seen
        self._q_end = int(self.env.now) + self._q_len
        self.quanta += 1
        if self._q_len < self.quantum:
            self.small_quanta += 1

    def _hart_process(self, hart: Hart):
        """One hart: run its thread in Cython until a stop, act on the stop, and meet the
        other harts at quantum boundaries (docs/engine.md)."""
        opts = self.options
        core = hart.core
        proc = hart.process
        sched = proc.sched
        while True:
            self.running = hart
            if hart.thread is None and (hart.idle or sched.take(hart) is None):
                if not hart.idle:
                    if sched.check_stuck():
                        return
                    hart.idle = True
                    hart.wakeup = self.env.event()
                yield hart.wakeup                 # Scheduler.runnable placed a thread
                continue
            if self.adaptive and hart.clock >= self._q_end and hart.clock > self.env.now:
                # placed at a cycle past the quantum in force: wait for its own clock
                yield self.env.timeout(hart.clock - self.env.now)
                if self._done.triggered:
                    return
                continue
            thread = hart.thread
            budget = MAX_QUANTUM
            instret = self.instret
            if opts.max_insts is not None:
                budget = min(budget, opts.max_insts - instret)
                if budget <= 0:
                    return self._finish("max_insts",
                                        f"stopped after the instruction limit of {opts.max_insts:,}")
            if opts.warmup is not None and instret < opts.warmup:
                budget = min(budget, opts.warmup - instret)
            if self.smarts is not None:
                budget = min(budget, self.smarts.budget(instret))
            stop = self._stop_cycle(hart)
            if hart.timing is not None:
                hart.timing.stop_cycle = stop - hart.offset if stop != NO_STOP else NO_STOP
            elif stop != NO_STOP:
                budget = max(1, min(budget, stop - hart.clock))
            if self._spool is not None:
                budget = min(budget, self._trace_room())
            watched = self._watch_reservations(hart) if self.n_harts > 1 else None
            before = int(core.instret)
            reason = core.run(budget)
            thread.instructions += int(core.instret) - before
            if watched:
                self._break_reservations(watched)
            if self.smarts is not None:
                self.smarts.boundary(int(core.instret))
            now = hart.clock
            if not self.quantum and now > self.env.now:
                yield self.env.timeout(now - self.env.now)
            if self._done.triggered:
                return
            if self._progress is not None:
                self._progress.update(self.instret)
            if self._pf_watch and self.hierarchy.prefetcher_error() is not None:
                return self._finish("prefetcher_error", self.hierarchy.prefetcher_error())
            if opts.warmup is not None and self._stats_base_inst == 0 \
                    and self.instret >= opts.warmup > 0:
                self.reset_stats()
            if opts.max_cycles is not None and now >= opts.max_cycles:
                return self._finish("max_cycles", f"stopped at the cycle limit of {opts.max_cycles:,}")
            if reason == StopReason.STOP_QUANTUM:
                if sched.queue and now >= hart.slice_end:
                    sched.preempt(hart)
            elif reason == StopReason.STOP_ECALL:
                proc.current = thread
                try:
                    proc.syscall(core, now, self.frequency)
                except MemoryLimitExceeded:
                    return self._mem_limit(hart)
                if proc.exited:
                    return self._process_ended()
                sched.after_syscall(hart)
            elif reason == StopReason.STOP_MARKER:
                self._marker(int(core.marker))
            elif reason == StopReason.STOP_BREAKPOINT:
                return self._finish("stopped", f"stopped at pc {int(core.pc):#x}")
            elif reason == StopReason.STOP_MEM_LIMIT:
                return self._mem_limit(hart)
            elif reason == StopReason.STOP_EBREAK:
                return self._finish("signal", "killed by signal SIGTRAP (ebreak)", exit_code=133,
                                    fault=self._fault_info("breakpoint (ebreak)", reason, hart))
            else:
                name = _FAULT_NAMES.get(reason, f"stop reason {reason}")
                fault = self._fault_info(name, reason, hart)
                return self._finish("fault", fault["message"], exit_code=None, fault=fault)
            if self.adaptive:
                if hart.clock >= self._q_end:
                    # its quantum is over: wait for its own clock, so that the harts start
                    # each quantum in the order of their clocks (smallest first)
                    yield self.env.timeout(hart.clock - self.env.now)
                    if self._done.triggered:
                        return
            elif self.quantum and hart.clock >= (self.env.now // self.quantum + 1) * self.quantum:
                # past its quantum: wait for the boundary its clock has reached
                yield self.env.timeout(hart.clock // self.quantum * self.quantum - self.env.now)
                if self._done.triggered:
                    return

    def _watch_reservations(self, running: Hart):
        """Watch the LR/SC reservations the other harts hold while `running` runs."""
        held = [(h, h.core.reservation) for h in self.harts
                if h is not running and h.core.reservation is not None
                and h.process is running.process]       # harts on the same memory
        if held:
            running.process.memory.watch_reservations([a for _, a in held],
                                                      self._granule_shift)
        return held

    def _break_reservations(self, held) -> None:
        hits = self.running.process.memory.take_reservation_hits()
        for i, (hart, _) in enumerate(held):
            if hits >> i & 1:
                hart.core.clear_reservation()    # another hart stored to its granule
                self.reservations_broken += 1

    def _process_ended(self):
        proc = self.process
        if proc.signal:
            # the status a shell reports for a signal death
            signo = getattr(proc, "signal_number", 0)
            return self._finish("signal", f"killed by signal {proc.signal}",
                                exit_code=128 + signo)
        return self._finish("exited", f"exited with code {proc.exit_code}",
                            exit_code=proc.exit_code)

    def deadlock(self, message: str, process=None) -> None:
        """No thread of `process` (default: the one process) can run again
        (Scheduler.check_stuck)."""
        (process or self.process).fail(message)
        self._finish("deadlock", message)

    def _mem_limit(self, hart=None):
        hart = hart or self.harts[0]
        limit = hart.process.memory.limit
        core = hart.core
        return self._finish("mem_limit",
                            f"the guest exceeded the memory limit of {limit // (1 << 20)} MiB "
                            f"at pc {int(core.pc):#x} after {self.instret:,} "
                            "instructions; raise it with --mem-limit / mem_limit=")

    def _fault_info(self, name: str, reason, hart=None) -> dict:
        core = (hart or self.harts[0]).core
        pc = int(core.pc)
        raw = int(core.fault_inst)
        text = _disassemble(raw, pc) if raw else "?"
        addr = int(core.fault_addr)
        where = f" at address {addr:#x}" if reason in (StopReason.STOP_LOAD_FAULT,
                                                      StopReason.STOP_STORE_FAULT,
                                                      StopReason.STOP_MISALIGNED) else ""
        who = ""
        if self.n_harts > 1 or len((hart or self.harts[0]).process.threads) > 1:
            who = f" (thread {hart.thread.tid} on core {hart.index})" if hart else ""
        message = (f"{name}{where} at pc {pc:#x} ({text}){who} after "
                   f"{self.instret:,} instructions")
        return {"kind": name, "pc": pc, "raw": raw, "disassembly": text, "addr": addr,
                "instructions": self.instret, "message": message}

    def _marker(self, code: int):
        if code == MARKER_ROI_BEGIN:
            self.roi_seen = True
            if self.options.roi:
                self.reset_stats()
                self.frozen = None
        elif code == MARKER_ROI_END:
            if self.options.roi and self.frozen is None:
                self.frozen = self.snapshot()
        elif code == MARKER_RESET_STATS:
            self.reset_stats()
        elif code == MARKER_DUMP_STATS:
            row = self.snapshot()
            row["cycle"] = self.cycle
            self.dumps.append(row)

    def _trace_room(self) -> int:
        """Instructions the next quantum may run without overflowing the trace buffers,
        after writing them out if they are more than three quarters full."""
        from cyclesim.results.spool import STREAM_CAPACITY
        room = self.timing.trace_room()
        if room < STREAM_CAPACITY // 4:
            self._spool.write(*self.timing.drain_traces(copy=False))
            room = self.timing.trace_room()
        return max(1, room)

    def flush_traces(self) -> None:
        """Write what the trace buffers still hold (end of a streamed run)."""
        if getattr(self, "_spool", None) is not None:
            self._spool.write(*self.timing.drain_traces(copy=False))

    def _finish(self, status, message, exit_code=None, fault=None):
        if self._outcome is not None:
            return                              # another hart ended the run first
        if not self._done.triggered:
            self._done.succeed()
        estimate = self._sampling_estimate() if self.smarts is not None else None
        stats = self.frozen if self.frozen is not None else self.snapshot()
        if self.options.sample_interval and self.timing is not None and (
                not self.samples or self.samples[-1]["cycle"] < self.cycle):
            # the last, partial interval: the run ended between two samples
            row = self.snapshot()
            row["cycle"] = self.cycle
            self.samples.append(row)
        self._outcome = RunOutcome(status=status, message=message, exit_code=exit_code,
                                   fault=fault, stats=stats, samples=self.samples,
                                   dumps=self.dumps, sampling=estimate)

    # -- running ------------------------------------------------------------------------
    def run(self) -> RunOutcome:
        opts = self.options
        start = time.perf_counter()
        if opts.sampling is not None and self.timing is not None:
            from cyclesim.sampling.smarts import SmartsSchedule
            from cyclesim.sampling.warming import FunctionalWarmer

            period = opts.sampling.resolve_period(opts.max_insts)
            self.smarts = SmartsSchedule(opts.sampling, period, self.core, self.timing,
                                         self.hierarchy, FunctionalWarmer(self.timing),
                                         start=int(self.core.instret),
                                         offset=opts.sampling.resolve_offset(
                                             period, resumed=int(self.core.instret) > 0))
        elif opts.sample_interval and self.timing is not None:
            self.env.process(self._sampler(int(opts.sample_interval)))
        if opts.max_cycles is not None:
            self.env.process(self._cycle_limit(int(opts.max_cycles)))
        from cyclesim.progress import Progress, wanted

        if wanted(opts.progress):  # None: on in a terminal or a notebook
            self._progress = Progress(total=opts.max_insts)
        # A run may continue an earlier one (checkpoints): harts still waiting keep their
        # simpy process; the one that ended the earlier run gets a new one.
        self._outcome = None
        self._done = self.env.event()
        procs = getattr(self, "_procs", [None] * self.n_harts)
        for hart in self.harts:
            if hart.thread is None and not hart.idle:
                # free from the start: a thread made before its process first runs goes here
                hart.idle = True
                hart.wakeup = self.env.event()
        self._procs = [p if p is not None and p.is_alive else
                       self.env.process(self._hart_process(h)) for p, h in zip(procs, self.harts)]
        try:
            self.env.run(until=self._done)
        except RuntimeError:
            if self._outcome is not None or self._done.triggered:
                raise
            # nothing left to happen and nobody finished: no thread can ever run again
            self.deadlock("deadlock: every thread waits and nothing is left to wake them")
        except KeyboardInterrupt:
            self._finish("interrupted", f"interrupted after {self.instret:,} instructions")
        finally:
            if self._progress is not None:
                self._progress.close()
            self.flush_traces()
        outcome = self._outcome
        outcome.host_seconds = time.perf_counter() - start
        return outcome


    # -- sampled runs (cyclesim.sampling, docs/sampling.md) -----------------------------
    def _sampling_estimate(self):
        from cyclesim.sampling.smarts import estimate

        return estimate(self.smarts.rows, self.options.sampling, self.smarts.period,
                        int(self.core.instret) - self._stats_base_inst, self.smarts.offset)

    def _sampled_stats(self) -> dict:
        from cyclesim.sampling.smarts import sampled_stats

        stats = sampled_stats(self._sampling_estimate())
        stats["core.frequency_hz"] = self.frequency
        stats["sim.seconds"] = stats["core.cycles"] / self.frequency
        stats["syscalls.total"] = sum(self.process.syscall_counts.values())
        stats["syscalls.unknown"] = sum(self.process.unknown_syscalls.values())
        return stats


# An in-memory trace window larger than this is refused: stream it with trace_dir instead.
IN_MEMORY_TRACE_LIMIT = 2 << 30


def _check_trace_memory(count: int, pipeline: bool, memory: bool) -> None:
    from pipeline.trace import MEM_DTYPE, PIPE_DTYPE
    need = count * ((PIPE_DTYPE.itemsize if pipeline else 0)
                    + (3 * MEM_DTYPE.itemsize if memory else 0))
    if need > IN_MEMORY_TRACE_LIMIT:
        raise CyclesimError(
            f"a trace window of {count:,} instructions would need {need / 2**30:,.1f} GiB of "
            f"memory to hold; stream it to disk instead with trace_dir=DIR (--trace-dir DIR), "
            f"or give a smaller trace_window")


def _disassemble(raw: int, pc: int) -> str:
    try:
        from cyclesim.isa.disasm import disassemble

        return disassemble(raw, pc).replace("\t", " ")
    except Exception:  # the fault report must never fail because of the disassembler
        return f".word {raw:#x}"
