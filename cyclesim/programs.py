"""Multi-program runs: several programs, each its own process, on the harts of one machine,
sharing its shared cache levels and main memory (docs/engine.md, "Multi-program runs").

    cyclesim.run(["ptrchase 4096", ("triad", 20000)], overrides={"cores": 2})

Each program is a `Process` of its own (address space, file descriptors, stdout, exit
status, threads) placed on its own harts: program i on hart i unless `placement` says
otherwise. A hart runs the threads of one program only, so a core's private caches hold
one program's lines; what the programs share is what the machine shares (the shared L2
or L3, DRAM, the coherence directory). Every address a program's harts send to their L1s
carries its program's tag (cyclesim/process/physical.pyx), so two programs never share a
line. The engine is System's (cyclesim/engine.py): MultiSystem only says which process
each hart runs and what happens when one program ends.
"""
from __future__ import annotations

import os
import shlex

from cyclesim.engine import System
from cyclesim.errors import ArgumentError, ConfigError, CyclesimError
from cyclesim.harts import Scheduler, _per_core_name
from cyclesim.process.threads import EXITED

UNTIL = ("all", "first")
# Ways a program ends by itself (the rest end the whole run: limits, Ctrl-C).
PROGRAM_ENDS = ("exited", "signal", "fault", "mem_limit", "deadlock")


def parse_program(entry, index: int) -> tuple[str, list[str]]:
    """(program, guest args) of one entry of the programs list: a string ("sort 20000",
    split like a shell; a name or path as a whole when it is one), or a sequence
    (program, arg, ...), as run(program, *args) takes them."""
    from cyclesim import workloads

    if isinstance(entry, (str, os.PathLike)):
        text = os.fspath(entry)
        if text in workloads.names() or os.path.isfile(text):
            return text, []
        try:
            words = shlex.split(text)
        except ValueError as e:
            raise ArgumentError(f"programs[{index}] = {text!r} cannot be split into a program "
                                f"and its arguments ({e}); quote it as a shell would") from None
        if not words:
            raise ArgumentError(f"programs[{index}] is empty: give a workload name or an ELF "
                                "path, with its arguments")
        return words[0], words[1:]
    if isinstance(entry, (list, tuple)) and entry and isinstance(entry[0], (str, os.PathLike)):
        return os.fspath(entry[0]), list(entry[1:])
    raise ArgumentError(f"programs[{index}] = {entry!r}: give a string such as 'sort 20000' "
                        "or a sequence such as ('sort', 20000)")


def parse_placement(placement, names: list[str], cores: int) -> list[list[int]]:
    """The harts of each program: program i on hart i by default; `placement` gives, per
    program, a hart number or a list of them (its threads share those harts)."""
    n = len(names)
    if placement is None:
        if n > cores:
            raise ConfigError(f"{n} programs need {n} harts, one each, but the machine has "
                              f"cores = {cores}: set cores = {n} (--set cores={n}) or run "
                              "fewer programs")
        return [[i] for i in range(n)]
    given = placement
    if isinstance(placement, str):
        placement = [part.split(",") for part in placement.split(";")]
    if not isinstance(placement, (list, tuple)) or len(placement) != n:
        raise ArgumentError(f"placement = {given!r}: give one entry per program ({n}), "
                            "each a hart number or a list of hart numbers, e.g. [0, [1, 2]]")
    owner: dict[int, int] = {}
    out = []
    for p, entry in enumerate(placement):
        harts = list(entry) if isinstance(entry, (list, tuple)) else [entry]
        clean = []
        for h in harts:
            try:
                if isinstance(h, bool):
                    raise ValueError
                h = int(str(h).strip()) if isinstance(h, str) else int(h)
            except (TypeError, ValueError):
                raise ArgumentError(f"placement of program {p} ({names[p]}) names {h!r}: "
                                    "give hart numbers such as 0 or [1, 2]") from None
            if not 0 <= h < cores:
                raise ConfigError(f"placement puts program {p} ({names[p]}) on hart {h}, but "
                                  f"cores = {cores} (harts 0 to {cores - 1}): raise cores or "
                                  "name another hart")
            if h in owner:
                q = owner[h]
                who = ("twice" if q == p else
                       f"and to program {q} ({names[q]})")
                raise ConfigError(f"placement gives hart {h} to program {p} ({names[p]}) "
                                  f"{who}: a hart runs the threads of one program only, so "
                                  "give each program harts of its own")
            owner[h] = p
            clean.append(h)
        if not clean:
            raise ArgumentError(f"placement gives program {p} ({names[p]}) no hart; give it "
                                "at least one")
        out.append(clean)
    return out


class MultiSystem(System):
    """One machine running several processes, program p on the harts placement[p].

    until="all": the run goes on until every program has ended; a program that ended
    leaves its harts idle (they make no more requests). until="first": the run ends when
    the first program ends, and the others are cut there (status "stopped")."""

    def __init__(self, config, processes, options, placement, until="all", names=None):
        if until not in UNTIL:
            raise ArgumentError(f"until = {until!r}: use 'all' (run until every program "
                                "ends) or 'first' (stop when the first one ends)")
        self.processes = list(processes)
        self.placement = placement
        self.until = until
        self.names = list(names or [p.program_name for p in processes])
        cores = int(getattr(config, "cores", 1))
        self.owner = [None] * cores                    # hart -> program index
        for p, harts in enumerate(placement):
            for h in harts:
                self.owner[h] = p
        self.tags = [None] * cores                     # hart -> (L1I tag, L1D tag)
        self.entries = [None] * cores                  # hart -> its SharedEntry
        super().__init__(config, self.processes[0], options)
        for hart in self.harts:
            hart.thread = None
        engine = getattr(config, "engine", None)
        time_slice = int(engine.time_slice) if engine is not None else 3_000_000
        self.schedulers = []
        tlb = getattr(config, "tlb", None)
        superpages = (self.hierarchy is not None and self.hierarchy.tlbs
                      and getattr(tlb, "superpages", "never") == "always")
        for p, (proc, harts) in enumerate(zip(self.processes, placement)):
            if superpages:
                proc.vm.on_anonymous_map = self._superpage_hook(proc)
            proc.isa = self.isa
            proc.cbo_block_size = self.core.cbo_block_size
            first = self.harts[harts[0]]
            proc.start(first.core)
            first.thread = proc.current              # its main thread starts there
            proc.current.hart = first.index
            sched = Scheduler(self, [self.harts[h] for h in harts], time_slice, process=proc)
            first.slice_end = sched.time_slice
            self.schedulers.append(sched)
        self.sched = self.schedulers[0]
        self.ended = [None] * len(self.processes)       # per program: how and when it ended
        self._ending = False

    # -- which process a hart runs, and the address its caches see -------------------------
    def _hart_process_of(self, i: int):
        p = self.owner[i]
        return self.processes[p if p is not None else 0]

    def _translated(self) -> bool:
        tlb = getattr(self.config, "tlb", None)
        return tlb is not None and bool(getattr(tlb, "enabled", False))

    def _hierarchy_options(self) -> dict:
        """With translation on, program p's walkers hand out frames from tlb.phys_base +
        p << TAG_SHIFT (its own range of physical memory); every core's requests to the
        first shared level pass a SharedEntry that counts them."""
        from cyclesim.process.physical import TAG_SHIFT, SharedEntry

        def entry(core, below):
            shared_id = below.level_id
            self.entries[core] = SharedEntry(below, shared_id)
            return self.entries[core]

        out = {"shared_entry": entry}
        if self._translated():
            out["phys_offsets"] = [(p or 0) << TAG_SHIFT for p in self.owner]
        return out

    def _l1s(self, i: int):
        from cyclesim.process.physical import TAG_SHIFT, AddressSpaceTag

        l1i, l1d = super()._l1s(i)
        # translation on: the Translators' physical addresses are already the program's own
        # (its walkers' frames, _physical_offsets); the tag only counts
        offset = 0 if self._translated() else (self.owner[i] or 0) << TAG_SHIFT
        self.tags[i] = (AddressSpaceTag(l1i, offset), AddressSpaceTag(l1d, offset))
        return self.tags[i]

    # -- a program ends ------------------------------------------------------------------
    def _process_ended(self):
        proc = self.running.process
        if proc.signal:
            signo = getattr(proc, "signal_number", 0)
            return self._finish("signal", f"killed by signal {proc.signal}",
                                exit_code=128 + signo)
        return self._finish("exited", f"exited with code {proc.exit_code}",
                            exit_code=proc.exit_code)

    def deadlock(self, message: str, process=None) -> None:
        if process is None:                  # the engine ran out of events: all are stuck
            for p, proc in enumerate(self.processes):
                if self.ended[p] is None:
                    proc.fail(message)
                    self._program_ended(p, "deadlock", message, None, None)
            return
        process.fail(message)
        self._program_ended(self.processes.index(process), "deadlock", message, None, None)

    def _finish(self, status, message, exit_code=None, fault=None):
        if status in PROGRAM_ENDS and not self._ending:
            p = self.owner[self.running.index]
            return self._program_ended(p, status, message, exit_code, fault)
        # the whole run ends here (a limit, Ctrl-C, a prefetcher, or every program ended):
        # the programs still running are cut at this point
        self._ending = True
        for p in range(len(self.processes)):
            if self.ended[p] is None:
                self.ended[p] = self._program_record(p, "stopped" if status in PROGRAM_ENDS
                                                     else status,
                                                     f"cut when the run ended ({message})",
                                                     None, None)
        return super()._finish(status, message, exit_code=exit_code, fault=fault)

    def _program_ended(self, p, status, message, exit_code, fault):
        if self.ended[p] is not None:
            return
        proc = self.processes[p]
        proc.exited = True
        self.ended[p] = self._program_record(p, status, message, exit_code, fault)
        for t in proc.threads.values():      # its armed timeouts find nothing to wake
            t.state = EXITED
        for h in self.placement[p]:          # its harts idle for good
            hart = self.harts[h]
            hart.thread = None
            hart.idle = True
            hart.wakeup = self.env.event()
        done = [r for r in self.ended if r is not None]
        if self.until == "first" or len(done) == len(self.processes):
            self._end_of_programs(p)

    def _end_of_programs(self, last: int) -> None:
        """Every program has ended (or the first one, until="first"): the run's status."""
        records = [r for r in self.ended if r is not None]
        bad = [r for r in records if r["status"] not in ("exited",)]
        codes = [r["exit_code"] for r in records if r["status"] == "exited" and r["exit_code"]]
        if bad:
            first = bad[0]
            status, message = first["status"], (f"program {first['index']} "
                                                 f"({first['name']}): {first['message']}")
            exit_code, fault = first["exit_code"], first["fault"]
        else:
            status, exit_code, fault = "exited", (codes[0] if codes else 0), None
            message = ("every program exited" if len(records) == len(self.processes)
                       else f"program {last} ({self.names[last]}) exited first "
                            "(until='first')")
        self._ending = True
        self._finish(status, message, exit_code=exit_code, fault=fault)

    def _program_record(self, p, status, message, exit_code, fault) -> dict:
        end = max(self.harts[h].clock for h in self.placement[p])
        return {"index": p, "name": self.names[p], "status": status, "message": message,
                "exit_code": exit_code, "fault": fault, "end_cycle": end,
                "stats": self.program_stats(p, end)}

    # -- statistics ----------------------------------------------------------------------
    def reset_stats(self):
        super().reset_stats()
        for tags in self.tags:
            for tag in tags or ():
                tag.reset_stats()
        for entry in self.entries:
            if entry is not None:
                entry.reset_stats()

    def program_stats(self, p: int, end: int | None = None) -> dict:
        """Program p's statistics up to cycle `end` (default: now): its instructions,
        cycles, IPC, the CPI stack of its harts over its lifetime, its private caches, and
        its demand accesses and misses at each shared level."""
        harts = [self.harts[h] for h in self.placement[p]]
        if end is None:
            end = max(h.clock for h in harts)
        cycles = max(0, end - self._stats_base_cycle)
        out: dict = {}
        inst = busy_total = 0
        for hart in harts:
            n = int(hart.core.instret) - hart.base_inst
            inst += n
            if hart.timing is not None:
                model = hart.timing.stats()
                if hart.fill_skew and model["core.instructions"]:
                    model["core.cycles"] -= hart.fill_skew
                    model["cpi_stack.base"] -= hart.fill_skew
                busy = int(model["core.cycles"])
                for key, value in model.items():
                    if key.startswith("cpi_stack."):
                        out[key] = out.get(key, 0) + value
                    elif key.startswith(("core.loads", "core.stores", "core.amos")):
                        out[key] = out.get(key, 0) + value
                    if len(harts) > 1:
                        out[_per_core_name(key, f"core{hart.index}")] = value
            else:
                busy = n
            busy_total += busy
        out["core.instructions"] = inst
        out["core.cycles"] = cycles
        out["core.harts"] = len(harts)
        out["core.ipc"] = inst / cycles if cycles else 0.0
        out["core.cpi"] = cycles / inst if inst else 0.0
        if self.timing is not None:
            # the stack covers cycles x harts: what the harts did not run is idle
            out["cpi_stack.idle"] = out.get("cpi_stack.idle", 0) + max(
                0, cycles * len(harts) - busy_total)
            out.update(self._program_cache_stats(p, inst))
        proc = self.processes[p]
        out["syscalls.total"] = sum(proc.syscall_counts.values())
        out["threads.created"] = len(proc.threads)
        return out

    def _program_cache_stats(self, p: int, inst: int) -> dict:
        out: dict = {}
        multi = self.n_harts > 1
        levels = self.hierarchy.stats()
        for h in self.placement[p]:
            prefix = f"core{h}." if multi else ""
            for key, value in levels.items():
                if multi and key.startswith(prefix):
                    out[key] = value
        served: dict[int, int] = {}
        coherence = 0
        for h in self.placement[p]:
            for tag in self.tags[h]:
                for level_id, n in tag.served_counts().items():
                    served[level_id] = served.get(level_id, 0) + n
                coherence += tag.stats()["coherence_misses"]
        # a shared level of level_id k saw the program's demand accesses that every level
        # above it missed (served at k or below), and missed those served below it
        shared = [(name, lv) for name, lv in self.hierarchy.shared.items()
                  if name not in ("coherence",)]
        for name, level in shared:
            k = int(level.level_id)
            accesses = sum(n for lid, n in served.items() if lid >= k)
            out[f"{name}.demand_accesses"] = accesses
            if hasattr(level, "line_size") and k < 4:
                misses = sum(n for lid, n in served.items() if lid > k)
                out[f"{name}.demand_misses"] = misses
                out[f"{name}.demand_miss_rate"] = misses / accesses if accesses else 0.0
                out[f"{name}.demand_mpki"] = 1000.0 * misses / inst if inst else 0.0
        # the first shared level: exactly the requests the program's cores sent it
        first = self._first_shared()
        if first is not None:
            name, level = first
            counts = [self.entries[h].stats() for h in self.placement[p]
                      if self.entries[h] is not None]
            for key in ("accesses", "writebacks_received", "prefetches_received", "misses"):
                out[f"{name}.{key}"] = sum(c[key] for c in counts)
            requests = out[f"{name}.accesses"] - out[f"{name}.writebacks_received"]
            out[f"{name}.miss_rate"] = out[f"{name}.misses"] / requests if requests else 0.0
            out[f"{name}.mpki"] = 1000.0 * out[f"{name}.misses"] / inst if inst else 0.0
        for level_id, name in ((1, "l1"), (2, "l2"), (3, "l3"), (4, "memory")):
            out[f"served.{name}"] = served.get(level_id, 0)
        out["coherence_misses"] = coherence
        return out

    def _first_shared(self):
        """(name, level) of the first shared cache level, or None (the L1s miss into
        memory directly)."""
        from caches.cache import Cache

        caches = [(n, lv) for n, lv in self.hierarchy.shared.items() if isinstance(lv, Cache)]
        return min(caches, key=lambda c: c[1].level_id) if caches else None

    def snapshot(self) -> dict:
        stats = super().snapshot()
        procs = self.processes
        stats["syscalls.total"] = sum(sum(p.syscall_counts.values()) for p in procs)
        stats["syscalls.unknown"] = sum(sum(p.unknown_syscalls.values()) for p in procs)
        stats["threads.created"] = sum(len(p.threads) for p in procs)
        stats["threads.preemptions"] = sum(s.preemptions for s in self.schedulers)
        stats["threads.futex_waits"] = sum(p.futex_waits for p in procs)
        stats["programs.count"] = len(procs)
        for p in range(len(procs)):
            record = self.ended[p]
            own = record["stats"] if record is not None else self.program_stats(p)
            for key in ("core.instructions", "core.cycles", "core.ipc"):
                stats[f"program{p}.{key[5:]}"] = own[key]
            for key, value in own.items():
                if key.endswith((".accesses", ".misses", ".demand_accesses",
                                 ".demand_misses")) and not key.startswith("core"):
                    stats[f"program{p}.{key}"] = value
        return stats


def check_options(options, cfg, speedup: bool, checkpoint) -> None:
    """What a multi-program run refuses, each with one sentence."""
    clash = [what for what, on in (
        ("sampling", options.sampling is not None), ("checkpoint=", checkpoint is not None),
        ("streamed traces (trace_dir)", options.trace_dir is not None),
        ("roi", options.roi), ("stop_at", options.stop_at is not None),
        ("speedup", speedup)) if on]
    if clash:
        raise CyclesimError(f"a multi-program run does not take {', '.join(clash)}: each "
                            "program's markers and symbols are its own; run the programs "
                            "one at a time for those (alone=True gives each one's cycles "
                            "alone)")
    tlb = getattr(cfg, "tlb", None)
    if tlb is not None and getattr(tlb, "enabled", False):
        from cyclesim.process.physical import TAG_SHIFT

        top = int(tlb.phys_base) + (int(cfg.cores) << TAG_SHIFT)
        if top > 1 << 56:
            raise ConfigError(f"tlb.phys_base = {int(tlb.phys_base):#x} leaves no room for "
                              f"{cfg.cores} programs' physical ranges of 1 TiB each below "
                              "2**56 (the Sv39/Sv48 physical address limit); lower it")
