"""Harts and the thread scheduler: which guest thread runs on which modeled hart, when.

A `Hart` is one functional `Core` (its own registers and decoded-instruction cache, the
one guest memory shared by all) with its own timing model. Its clock is the timing
model's cycle (the instruction count in functional mode) plus the cycles it spent idle.

The `Scheduler` is a small one, in simulated time (docs/engine.md, "Threads and harts"):

- a thread that becomes runnable (a new thread, a futex wake, a timeout) goes to the free
  hart with the lowest number, at the cycle it became runnable (or the hart's own clock,
  if later); with no free hart it joins the run queue (first come, first served);
- a thread that waits (futex, nanosleep) or exits frees its hart, which takes the oldest
  thread of the run queue or, with none, idles until a thread is placed on it;
- a thread that has run for `time_slice` cycles while others wait in the queue goes to
  the back of the queue (round robin), as does one that calls sched_yield with others
  waiting;
- a thread keeps no LR/SC reservation across a switch, and moves its registers, fcsr,
  pc (and tp, a register) with it.
"""
from __future__ import annotations

from collections import deque

from cyclesim.process.threads import EXITED, RUNNABLE, RUNNING, WAITING, Thread


class Hart:
    """One modeled hart: a functional core, its timing model (None in functional mode),
    the thread it runs and its clock."""

    def __init__(self, index: int, core, timing=None, process=None):
        self.index = index
        self.core = core
        self.timing = timing
        self.process = process           # the process whose threads it runs
        self.thread: Thread | None = None
        self.offset = 0                  # cycles the clock is ahead of the core's (idle)
        self.idle_cycles = 0             # cycles it had no thread to run
        self.busy_since = 0              # clock when its current thread was placed
        self.slice_end = 0               # clock at which its thread's time slice ends
        self.idle = False                # waiting for a thread (wakeup pending)
        self.wakeup = None               # simpy event that ends the idle wait
        self.switches = 0                # threads placed on it
        self.base_inst = 0               # instret at the last statistics reset
        self.base_idle = 0               # idle_cycles at the last statistics reset
        self.fill_skew = 0               # idle cycles the model counts as pipeline fill
        self._restart = getattr(timing, "restart_at", None)

    @property
    def clock(self) -> int:
        """The hart's cycle: its timing model's clock plus the cycles it spent idle."""
        return int(self.core.cycle) + self.offset

    def advance(self, cycle: int) -> None:
        """Idle until `cycle`: the clock moves on, the pipeline is empty there (an in-order
        model restarts at that cycle; other models keep their clock and count the gap)."""
        gap = int(cycle) - self.clock
        if gap <= 0:
            return
        self.idle_cycles += gap
        if self._restart is not None:
            self._restart(int(self.timing.cycle) + gap)
            if int(self.core.instret) == 0:
                # the in-order models count the fill of their pipeline up to their first
                # commit from cycle 0: the cycles before the restart are idle, not fill
                self.fill_skew = int(self.timing.cycle)
        else:
            self.offset += gap

    def reset_stats(self) -> None:
        self.base_inst = int(self.core.instret)
        self.base_idle = self.idle_cycles
        if self.base_inst:
            self.fill_skew = 0           # the fill was counted before the reset

    def __repr__(self):
        return f"Hart({self.index}, thread={self.thread and self.thread.tid}, clock={self.clock})"


class Scheduler:
    """Places the process's threads on the harts (see the module docstring)."""

    def __init__(self, system, harts: list[Hart], time_slice: int, process=None):
        self.system = system
        self.process = process if process is not None else system.process
        self.harts = harts
        self.time_slice = int(time_slice)
        self.queue: deque[Thread] = deque()
        self.timers = 0                  # armed timeouts that have not gone off yet
        self.yielded = False             # the current thread called sched_yield
        self.preemptions = 0             # time slices that ended with others waiting
        self.wakes = 0                   # threads made runnable (clone, futex wake, timeout)
        self.process.sched = self
        self.process.harts = len(harts)

    # -- called by the process model -----------------------------------------------------
    def runnable(self, thread: Thread, cycle: int) -> None:
        """`thread` may run from `cycle` on."""
        thread.ready_at = max(thread.ready_at, int(cycle))
        self.wakes += 1
        for hart in self.harts:
            if hart.idle:
                hart.idle = False
                self.place(hart, thread)
                hart.wakeup.succeed()
                return
        self.queue.append(thread)

    def arm_timer(self, thread: Thread, deadline: int, wait_id: int) -> None:
        self.timers += 1
        self.system.env.process(self._timer(thread, int(deadline), wait_id))

    def yield_current(self) -> None:
        self.yielded = True

    def _timer(self, thread, deadline, wait_id):
        env = self.system.env
        yield env.timeout(max(0, deadline - env.now))
        self.timers -= 1
        self.process.engine_cycle = deadline
        self.process.timed_out(thread, wait_id, deadline)
        self.check_stuck()

    # -- called by the engine ------------------------------------------------------------
    def place(self, hart: Hart, thread: Thread) -> None:
        """Start `thread` on `hart` (its clock moves to the thread's ready cycle)."""
        hart.advance(thread.ready_at)
        thread.load(hart.core)
        thread.state = RUNNING
        thread.hart = hart.index
        hart.thread = thread
        hart.busy_since = hart.clock
        hart.slice_end = hart.clock + self.time_slice
        hart.switches += 1
        if thread.pending:                   # a signal sent while it was off a hart
            from cyclesim.process import signals

            self.process.current = thread
            signals.deliver_pending(self.process, hart.core)

    def take(self, hart: Hart) -> Thread | None:
        """Give a free hart the oldest queued thread, if any."""
        while self.queue:
            thread = self.queue.popleft()
            if thread.state == RUNNABLE:
                self.place(hart, thread)
                return thread
        return None

    def release(self, hart: Hart) -> None:
        """The hart's thread waits or exited: it leaves the hart."""
        thread = hart.thread
        if thread.state == WAITING:
            thread.save(hart.core)
        thread.hart = None
        hart.thread = None

    def preempt(self, hart: Hart) -> None:
        """The hart's thread goes to the back of the queue; the oldest queued one runs."""
        thread = hart.thread
        thread.save(hart.core)
        thread.state = RUNNABLE
        thread.hart = None
        thread.ready_at = hart.clock
        hart.thread = None
        self.queue.append(thread)
        self.preemptions += 1
        self.take(hart)

    def after_syscall(self, hart: Hart) -> None:
        """Act on what the system call did to the hart's thread."""
        thread = hart.thread
        if thread.state in (WAITING, EXITED):
            self.release(hart)
        elif self.yielded and self.queue:
            self.preempt(hart)
        self.yielded = False

    def check_stuck(self) -> bool:
        """End the run as a deadlock when no thread can ever run again: no hart runs one,
        none is queued and no timeout is armed. True when it did."""
        if self.process.exited or self.queue or self.timers:
            return False
        if any(h.thread is not None for h in self.harts):
            return False
        waiting = [t for t in self.process.threads.values() if t.state == WAITING]
        if not waiting:
            return False
        where = ", ".join(f"thread {t.tid} on the futex at {t.futex[0]:#x}" if t.futex
                          else f"thread {t.tid}" for t in waiting[:4])
        more = f" and {len(waiting) - 4} more" if len(waiting) > 4 else ""
        self.system.deadlock(f"deadlock: every thread waits and none can wake the others "
                             f"({where}{more})", self.process)
        return True


def _per_core_name(key: str, prefix: str) -> str:
    """The timing model's "core.ipc" / "cpi_stack.base" / "bpred.mpki" as core i's."""
    if key.startswith("core."):
        return prefix + key[4:]
    return f"{prefix}.{key}"


# core.* counters that add up over the harts (the rest are ratios, recomputed)
_SUMMED = ("core.loads", "core.stores", "core.amos", "core.op.")


def multicore_stats(system) -> dict:
    """Statistics of a run on several harts (docs/engine.md, "Statistics"): per core
    `core<i>.*` (its CPI stack `core<i>.cpi_stack.*` sums to `core<i>.cycles`, idle
    cycles included), and the whole system's `core.cycles` (the wall-clock cycles: the
    last hart's clock), `core.instructions` (the sum) and `core.ipc` (their ratio)."""
    cycles = system.cycle - system._stats_base_cycle
    stats: dict = {}
    total = 0
    summed: dict = {}
    for hart in system.harts:
        p = f"core{hart.index}"
        inst = int(hart.core.instret) - hart.base_inst
        total += inst
        if hart.timing is not None:
            model = hart.timing.stats()
            if hart.fill_skew and model["core.instructions"]:
                model["core.cycles"] -= hart.fill_skew
                model["cpi_stack.base"] -= hart.fill_skew
            busy = int(model["core.cycles"])
            for key, value in model.items():
                stats[_per_core_name(key, p)] = value
                if key.startswith(_SUMMED):
                    summed[key] = summed.get(key, 0) + value
        else:
            busy = inst
        idle = max(0, cycles - busy)
        stats[f"{p}.cycles"] = cycles
        stats[f"{p}.busy_cycles"] = busy
        stats[f"{p}.idle_cycles"] = idle
        stats[f"{p}.instructions"] = inst
        stats[f"{p}.ipc"] = inst / cycles if cycles else 0.0
        stats[f"{p}.cpi"] = cycles / inst if inst else 0.0
        stats[f"{p}.threads_placed"] = hart.switches
        if hart.timing is not None:
            stats[f"{p}.cpi_stack.idle"] = idle
    if system.hierarchy is not None:
        stats.update(system.hierarchy.stats(
            [int(h.core.instret) - h.base_inst for h in system.harts]))
    stats.update(summed)
    stats["core.cycles"] = cycles
    stats["core.instructions"] = total
    stats["core.ipc"] = total / cycles if cycles else 0.0
    stats["core.cpi"] = cycles / total if total else 0.0
    stats["core.count"] = len(system.harts)
    stats["core.frequency_hz"] = system.frequency
    stats["sim.seconds"] = cycles / system.frequency
    stats["sim.quantum"] = system.quantum
    stats["engine.quanta"] = system.quanta           # adaptive quanta run (0: fixed quanta)
    stats["engine.small_quanta"] = system.small_quanta   # of them shorter than `quantum`
    stats["sim.reservations_broken"] = system.reservations_broken
    proc = system.process
    stats["syscalls.total"] = sum(proc.syscall_counts.values())
    stats["syscalls.unknown"] = sum(proc.unknown_syscalls.values())
    stats.update(thread_stats(system))
    return stats


def thread_stats(system) -> dict:
    """What the scheduler did: threads created, time slices ended, futex waits."""
    proc = system.process
    return {"threads.created": len(proc.threads),
            "threads.preemptions": system.sched.preemptions,
            "threads.futex_waits": proc.futex_waits}
