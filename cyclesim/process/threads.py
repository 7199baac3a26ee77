"""Guest threads: clone for threads, thread exit, futexes, sleeping and the per-thread
system calls (gettid, tgkill, set_tid_address, sched_*), as Linux does them for the calls
static glibc's pthreads and libgomp make.

The kernel side only keeps the threads' states; where a thread runs is the engine's
business (cyclesim/harts.py). A thread that blocks (futex wait, nanosleep) is marked
WAITING and its result is written into its saved a0 when something wakes it; the engine
sees the state after the system call, takes the thread off its hart and asks
`Process.sched` (its scheduler) to run it again once it is RUNNABLE. Time is cycles: a
timeout becomes a deadline cycle the scheduler arms as a simpy timeout.
"""
from __future__ import annotations

import collections
import math
import struct

import numpy as np

from cyclesim.process import fs
from cyclesim.process.fs import GuestErrno

RUNNABLE, RUNNING, WAITING, EXITED = "runnable", "running", "waiting", "exited"

# clone flags (include/uapi/linux/sched.h)
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x20000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x100000, 0x200000
CLONE_DETACHED, CLONE_UNTRACED, CLONE_CHILD_SETTID = 0x400000, 0x800000, 0x1000000
# What a thread must share (Linux requires SIGHAND with THREAD and VM with SIGHAND; one
# file table and cwd is all the process model has, so FS and FILES too).
THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
THREAD_OPTIONAL = (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID
                   | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED)

# futex operations (include/uapi/linux/futex.h)
FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF
ETIMEDOUT, EINTR, ESRCH = 110, 4, 3
TIMER_ABSTIME = 1

MAX_THREADS = 4096               # live threads at once (more: EAGAIN, as RLIMIT_NPROC does)
_A0, _SP, _TP = 10, 2, 4


class Thread:
    """One guest thread: its saved context while off a hart, and its kernel state."""

    def __init__(self, tid: int):
        self.tid = tid
        self.state = RUNNABLE
        self.x = np.zeros(32, dtype=np.uint64)      # saved registers (off a hart)
        self.f = np.zeros(32, dtype=np.uint64)
        self.fcsr = 0
        self.pc = 0
        self.hart: int | None = None                # the hart it runs on
        self.clear_child_tid = 0                    # CLONE_CHILD_CLEARTID / set_tid_address
        self.robust_list = (0, 0)                   # set_robust_list (head, length)
        self.sigmask = 0
        self.pending = 0                            # signals sent to this thread (tgkill)
        self.futex: tuple[int, int] | None = None   # (address, bitset) it waits on
        self.deadline: int | None = None            # cycle its wait times out at
        self.wait_id = 0                            # tells a stale timeout from the current one
        self.ready_at = 0                           # cycle from which it may run
        self.instructions = 0                       # retired while it ran
        self.exit_code = 0

    def save(self, core) -> None:
        """Copy the hart's architectural state into the thread (it leaves the hart)."""
        self.x[:] = core.x
        self.f[:] = core.f
        self.fcsr = int(core.fcsr)
        self.pc = int(core.pc)

    def load(self, core) -> None:
        """Put the thread's state on a hart. The LR/SC reservation does not move with a
        thread: a context switch clears it, as Linux's switch code does with an SC."""
        core.x[:] = self.x
        core.f[:] = self.f
        core.fcsr = self.fcsr
        core.pc = self.pc
        core.clear_reservation()

    def __repr__(self):
        return f"Thread({self.tid}, {self.state}, hart={self.hart})"


def _u32(memory, addr: int) -> int:
    if addr & 3:
        raise GuestErrno(fs.EINVAL)              # a futex word is 4-byte aligned
    return int.from_bytes(memory.read(addr, 4), "little")


class ThreadSyscalls:
    """The thread and futex calls; mixed into Process (kernel.py), which calls
    init_threads() from its constructor."""

    def init_threads(self) -> None:
        main = Thread(self.pid)
        main.state = RUNNING
        self.threads: dict[int, Thread] = {self.pid: main}
        self.current = main                  # the thread making the system call
        self.next_tid = self.pid + 1
        self.futexes: dict[int, list[Thread]] = {}   # address -> waiters, oldest first
        self.sched = None                    # the engine's scheduler (runnable, arm_timer)
        self.harts = 1                       # modeled harts (sched_getaffinity, getcpu)
        self.engine_cycle = 0                # the engine's cycle of the current call
        self.unsupported: collections.Counter = collections.Counter()   # fork, execve...
        self.notes: dict[str, str] = {}      # one sentence per kind of unsupported call
        self.futex_waits = 0                 # futex waits that blocked

    # -- thread state ------------------------------------------------------------------
    @property
    def sigmask(self) -> int:
        return self.current.sigmask

    @sigmask.setter
    def sigmask(self, value: int) -> None:
        self.current.sigmask = value

    @property
    def clear_child_tid(self) -> int:
        return self.current.clear_child_tid

    @clear_child_tid.setter
    def clear_child_tid(self, value: int) -> None:
        self.current.clear_child_tid = value

    def live_threads(self) -> list[Thread]:
        return [t for t in self.threads.values() if t.state != EXITED]

    def _cycles(self, ns: int) -> int:
        """Cycles covering `ns` nanoseconds (rounded up: a sleep never ends early)."""
        f = self.frequency
        if float(f).is_integer():
            return -(-int(ns) * int(f) // 10**9)
        return math.ceil(ns * f / 1e9)

    def _block(self, thread: Thread, futex=None, deadline=None) -> None:
        thread.state = WAITING
        thread.futex = futex
        thread.deadline = deadline
        thread.wait_id += 1
        if futex is not None:
            self.futexes.setdefault(futex[0], []).append(thread)
        if deadline is not None and self.sched is not None:
            self.sched.arm_timer(thread, deadline, thread.wait_id)

    def wake(self, thread: Thread, cycle: int, result: int) -> None:
        """End `thread`'s wait at `cycle`: `result` is what its system call returns."""
        if thread.futex is not None:
            waiters = self.futexes.get(thread.futex[0], [])
            if thread in waiters:
                waiters.remove(thread)
                if not waiters:
                    del self.futexes[thread.futex[0]]
        thread.futex = None
        thread.deadline = None
        thread.wait_id += 1
        thread.x[_A0] = result & ((1 << 64) - 1)
        thread.state = RUNNABLE
        thread.ready_at = max(int(cycle), thread.ready_at)
        if self.sched is not None:
            self.sched.runnable(thread, int(cycle))

    def timed_out(self, thread: Thread, wait_id: int, cycle: int) -> None:
        """A timer armed for `thread`'s wait number `wait_id` went off at `cycle`."""
        if thread.state == WAITING and thread.wait_id == wait_id:
            self.wake(thread, cycle, -ETIMEDOUT if thread.futex is not None else 0)

    def note_unsupported(self, name: str, sentence: str) -> int:
        if not self.unsupported[name]:
            self.notes[name] = sentence
        self.unsupported[name] += 1
        return -fs.ENOSYS

    # -- clone and exit ----------------------------------------------------------------
    def sys_clone(self, flags, newsp, ptid, tls, ctid, *_):
        """clone(flags, stack, parent_tid, tls, child_tid): the riscv64 argument order
        (glibc's sysdeps/unix/sysv/linux/riscv/clone.S)."""
        flags &= 0xFFFFFFFF
        if not flags & CLONE_VM or flags & CLONE_VFORK:
            what = "vfork" if flags & CLONE_VFORK else "fork"
            return self.note_unsupported(what, f"the program called {what} (clone without "
                                         "CLONE_VM or with CLONE_VFORK): only threads are "
                                         "modelled, not new processes; it got ENOSYS")
        if flags & THREAD_FLAGS != THREAD_FLAGS or flags & ~(THREAD_FLAGS | THREAD_OPTIONAL
                                                             | 0xFF) or flags & 0xFF:
            return self.note_unsupported(
                "clone", f"the program called clone with flags {flags:#x}: only threads "
                "(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, as "
                "pthread_create passes) are modelled; it got ENOSYS")
        if len(self.live_threads()) >= MAX_THREADS:
            return -fs.EAGAIN
        core = self._core
        child = Thread(self.next_tid)
        self.next_tid += 1
        child.save(core)                      # pc is past the ecall: both return from it
        child.x[_A0] = 0
        if newsp:
            child.x[_SP] = newsp
        if flags & CLONE_SETTLS:
            child.x[_TP] = tls
        child.sigmask = self.current.sigmask
        tid = child.tid.to_bytes(4, "little")
        if flags & CLONE_PARENT_SETTID:
            self._put(ptid, tid)
        if flags & CLONE_CHILD_SETTID:
            self._put(ctid, tid)
        if flags & CLONE_CHILD_CLEARTID:
            child.clear_child_tid = ctid
        child.ready_at = self.engine_cycle
        self.threads[child.tid] = child
        if self.sched is not None:
            self.sched.runnable(child, self.engine_cycle)
        return child.tid

    def sys_clone3(self, args, size, *_):
        return self.note_unsupported("clone3", "the program called clone3, which is not "
                                     "modelled (glibc falls back to clone); it got ENOSYS")

    def sys_execve(self, *_):
        return self.note_unsupported("execve", "the program called execve: running another "
                                     "program is not modelled; it got ENOSYS")

    def sys_execveat(self, *_):
        return self.note_unsupported("execve", "the program called execve: running another "
                                     "program is not modelled; it got ENOSYS")

    def sys_wait4(self, *_):
        return -10                            # ECHILD: there are never child processes

    def sys_exit(self, code, *_):
        """One thread ends: CLONE_CHILD_CLEARTID's word is zeroed and its futex woken
        (pthread_join waits on it); the last thread's exit ends the process."""
        t = self.current
        t.state = EXITED
        t.exit_code = code & 0xFF
        if t.clear_child_tid:
            try:
                self._put(t.clear_child_tid, bytes(4))
                self._futex_wake(t.clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY)
            except Exception:     # an unmapped word: Linux ignores the failed store too
                pass
        if not self.live_threads():
            self.exit(code)
        return 0

    def sys_exit_group(self, code, *_):
        for t in self.threads.values():
            t.state = EXITED
        self.exit(code)
        return 0

    def sys_set_tid_address(self, tidptr, *_):
        self.current.clear_child_tid = tidptr
        return self.current.tid

    def sys_set_robust_list(self, head, length, *_):
        if length != 24:
            return -fs.EINVAL
        self.current.robust_list = (head, length)
        return 0

    def sys_get_robust_list(self, tid, head_ptr, len_ptr, *_):
        t = self.threads.get(tid or self.current.tid)
        if t is None:
            return -ESRCH
        self._put(head_ptr, t.robust_list[0].to_bytes(8, "little"))
        self._put(len_ptr, (t.robust_list[1] or 24).to_bytes(8, "little"))
        return 0

    def sys_gettid(self, *_):
        return self.current.tid

    # -- scheduling --------------------------------------------------------------------
    def sys_sched_yield(self, *_):
        if self.sched is not None:
            self.sched.yield_current()
        return 0

    def sys_sched_getaffinity(self, pid, size, mask, *_):
        """Every modeled hart is in the set (a thread may run on any)."""
        if pid and pid not in self.threads:
            return -ESRCH
        if size < 8 or size & 7:
            return -fs.EINVAL
        self._put(mask, ((1 << self.harts) - 1).to_bytes(8, "little"))
        return 8

    def sys_sched_setaffinity(self, pid, size, mask, *_):
        """Accepted and not enforced: threads are placed on any free hart."""
        if pid and pid not in self.threads:
            return -ESRCH
        if size < 8:
            return -fs.EINVAL
        if not int.from_bytes(self.memory.read(mask, 8), "little") & ((1 << self.harts) - 1):
            return -fs.EINVAL
        return 0

    def sys_getcpu(self, cpu, node, *_):
        if cpu:
            self._put(cpu, (self.current.hart or 0).to_bytes(4, "little"))
        if node:
            self._put(node, bytes(4))
        return 0

    def sys_riscv_flush_icache(self, *_):
        """A store to code drops the decoded instructions of the hart that made it (as a
        local fence.i); this call is how other harts' instruction fetches see it."""
        if self.sched is not None:
            for hart in self.sched.harts:
                hart.core.flush_decode_cache()
        return 0

    # -- signals to threads --------------------------------------------------------------
    def sys_tkill(self, tid, signo, *_):
        return self._signal_thread(tid, signo)

    def sys_tgkill(self, tgid, tid, signo, *_):
        if (tgid & 0xFFFFFFFF) != self.pid:
            return -ESRCH
        return self._signal_thread(tid, signo)

    def _signal_thread(self, tid: int, signo: int) -> int:
        from cyclesim.process import signals

        t = self.threads.get(tid & 0xFFFFFFFF)
        if t is None or t.state == EXITED:
            return -ESRCH
        if signo == 0:
            return 0
        if not 1 <= signo <= 64:
            return -fs.EINVAL
        if signals.ignored(self, signo):
            return 0
        t.pending |= 1 << (signo - 1)
        if t.state == WAITING and not (t.sigmask >> (signo - 1)) & 1:
            self.wake(t, self.engine_cycle, -EINTR)   # the handler runs when it resumes
        return 0

    # -- futex -------------------------------------------------------------------------
    def _futex_wake(self, addr: int, count: int, bitset: int) -> int:
        woken = 0
        for t in list(self.futexes.get(addr, ())):
            if woken >= count:
                break
            if t.futex[1] & bitset:
                self.wake(t, self.engine_cycle, 0)
                woken += 1
        return woken

    def _timeout(self, ts: int, absolute: bool, realtime: bool) -> int | None:
        """The deadline cycle of a struct timespec timeout (None: no timeout)."""
        if not ts:
            return None
        sec, nsec = struct.unpack("<qq", self.memory.read(ts, 16))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise GuestErrno(fs.EINVAL)
        ns = sec * 10**9 + nsec
        if absolute:
            ns -= self._clock(0 if realtime else 1) - self.now_ns()   # to "since start"
            return max(self.engine_cycle, self._cycles(max(ns, 0)) - self.cycle_offset)
        return self.engine_cycle + self._cycles(ns)

    def sys_futex(self, uaddr, op, val, timeout, uaddr2, val3):
        cmd = op & 0x7F & ~FUTEX_PRIVATE_FLAG
        realtime = bool(op & FUTEX_CLOCK_REALTIME)
        val &= 0xFFFFFFFF
        val3 &= 0xFFFFFFFF
        if realtime and cmd not in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            return -fs.ENOSYS
        if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
            bitset = FUTEX_BITSET_MATCH_ANY if cmd == FUTEX_WAIT else val3
            if not bitset:
                return -fs.EINVAL
            deadline = self._timeout(timeout, cmd == FUTEX_WAIT_BITSET, realtime)
            if _u32(self.memory, uaddr) != val:
                return -fs.EAGAIN
            if deadline is not None and deadline <= self.engine_cycle:
                return -ETIMEDOUT
            self._block(self.current, futex=(uaddr, bitset), deadline=deadline)
            self.futex_waits += 1
            return 0                          # replaced by wake()'s result
        if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
            bitset = FUTEX_BITSET_MATCH_ANY if cmd == FUTEX_WAKE else val3
            if not bitset:
                return -fs.EINVAL
            return self._futex_wake(uaddr, val, bitset)
        if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
            limit = timeout & 0xFFFFFFFF      # val2 travels in the timeout argument
            if val > 0x7FFFFFFF or limit > 0x7FFFFFFF:
                return -fs.EINVAL
            if cmd == FUTEX_CMP_REQUEUE and _u32(self.memory, uaddr) != val3:
                return -fs.EAGAIN
            woken = self._futex_wake(uaddr, val, FUTEX_BITSET_MATCH_ANY)
            moved = 0
            for t in list(self.futexes.get(uaddr, ())):
                if moved >= limit or uaddr2 == uaddr:
                    break
                self.futexes[uaddr].remove(t)
                t.futex = (uaddr2, t.futex[1])
                self.futexes.setdefault(uaddr2, []).append(t)
                moved += 1
            if uaddr in self.futexes and not self.futexes[uaddr]:
                del self.futexes[uaddr]
            return woken + moved
        if cmd == FUTEX_WAKE_OP:
            return self._futex_wake_op(uaddr, val, timeout & 0xFFFFFFFF, uaddr2, val3)
        return -fs.ENOSYS                     # PI futexes: glibc uses them only on request

    def _futex_wake_op(self, uaddr, count, count2, uaddr2, val3) -> int:
        kind, cmp_kind = (val3 >> 28) & 7, (val3 >> 24) & 15
        oparg, cmparg = (val3 >> 12) & 0xFFF, val3 & 0xFFF
        if oparg & 0x800:
            oparg -= 0x1000
        if cmparg & 0x800:
            cmparg -= 0x1000
        if (val3 >> 28) & 8:
            oparg = 1 << (oparg & 31)
        old = _u32(self.memory, uaddr2)
        new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg,
               4: old ^ oparg}.get(kind)
        if new is None or cmp_kind > 5:
            return -fs.ENOSYS
        self._put(uaddr2, (new & 0xFFFFFFFF).to_bytes(4, "little"))
        signed_old = old - (1 << 32) if old & 0x80000000 else old
        hit = (signed_old == cmparg, signed_old != cmparg, signed_old < cmparg,
               signed_old <= cmparg, signed_old > cmparg, signed_old >= cmparg)[cmp_kind]
        woken = self._futex_wake(uaddr, count, FUTEX_BITSET_MATCH_ANY)
        if hit:
            woken += self._futex_wake(uaddr2, count2, FUTEX_BITSET_MATCH_ANY)
        return woken

    # -- sleeping ----------------------------------------------------------------------
    def sys_nanosleep(self, req, rem, *_):
        deadline = self._timeout(req, False, False)
        if deadline > self.engine_cycle:
            self._block(self.current, deadline=deadline)
        return 0

    def sys_clock_nanosleep(self, clk, flags, req, rem, *_):
        self._clock(clk)
        realtime = (clk & 0xFFFFFFFF) in (0, 5, 8, 11)
        deadline = self._timeout(req, bool(flags & TIMER_ABSTIME), realtime)
        if deadline > self.engine_cycle:
            self._block(self.current, deadline=deadline)
        return 0
