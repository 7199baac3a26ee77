"""Guest threads in the process model (cyclesim/process/threads.py), driven through
Process.syscall as the engine drives it, with a recording stand-in for the engine's
scheduler. Flag values, futex operations and errno numbers are those of Linux's uapi
headers (linux/sched.h, linux/futex.h, asm-generic/errno*.h), written out here."""
import struct

import numpy as np
import pytest
from process_support import build

from cyclesim.process.kernel import Process

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_VFORK, CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS = 0x4000, 0x10000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x100000, 0x200000
# what glibc 2.36's pthread_create passes (qemu-riscv64 -strace shows the same)
PTHREAD = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
           | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET = 0, 1, 3, 4, 5, 9, 10
PRIVATE = 128
EINTR, EAGAIN, EINVAL, ENOSYS, ETIMEDOUT = 4, 11, 22, 38, 110
NR_EXIT, NR_FUTEX, NR_CLONE, NR_GETTID, NR_TGKILL, NR_AFFINITY = 93, 98, 220, 178, 131, 123


@pytest.fixture(scope="module")
def elf():
    return build("int main(void) { return 0; }", "-O2", "-static", name="trivial")


class Core:
    """The registers Process and Thread use."""

    def __init__(self):
        self.x = np.zeros(32, dtype=np.uint64)
        self.f = np.zeros(32, dtype=np.uint64)
        self.fcsr = 0
        self.pc = 0x1000
        self.instret = 0

    def clear_reservation(self):
        pass


class Sched:
    """Records what the process asks of the engine's scheduler."""

    def __init__(self):
        self.runnable_calls = []
        self.timers = []

    def runnable(self, thread, cycle):
        self.runnable_calls.append((thread.tid, cycle))

    def arm_timer(self, thread, deadline, wait_id):
        self.timers.append((thread.tid, deadline, wait_id))

    def yield_current(self):
        pass


class Guest:
    def __init__(self, elf):
        self.p = Process(elf)
        self.p.sched = self.sched = Sched()
        self.core = Core()
        self.buf = self.p.vm.mmap(0, 1 << 16, 3, 0x22)
        self.cursor = self.buf

    def call(self, number, *args, thread=None, cycle=0):
        """The syscall as `thread` (default: the current one) makes it; a0 signed, or
        None when the thread now waits (its a0 is set when it is woken)."""
        t = thread or self.p.current
        self.p.current = t
        core = self.core
        core.x[:] = t.x
        core.x[17] = number
        for i, a in enumerate(args):
            core.x[10 + i] = a & ((1 << 64) - 1)
        self.p.syscall(core, cycle, 1e9)
        t.x[:] = core.x
        if t.state == "waiting":
            return None
        return signed(core.x[10])

    def word(self, value=0) -> int:
        addr = self.cursor
        self.p.memory.write(addr, struct.pack("<I", value))
        self.cursor += 16
        return addr

    def spawn(self, cycle=0):
        """A new thread by clone with pthread_create's flags; returns it."""
        tid_word = self.word()
        tid = self.call(NR_CLONE, PTHREAD, 0x7000_0000, tid_word, 0x5000, tid_word,
                        cycle=cycle)
        return self.p.threads[tid]


def signed(v) -> int:
    v = int(v)
    return v - (1 << 64) if v >> 63 else v


def test_clone_with_pthread_flags_makes_a_thread(elf):
    g = Guest(elf)
    ptid = g.word(0xFFFF)
    g.core.pc = 0x2468
    tid = g.call(NR_CLONE, PTHREAD, 0x7000_0000, ptid, 0x5000, ptid, cycle=77)
    assert tid == g.p.pid + 1
    child = g.p.threads[tid]
    # the child returns 0 from the same ecall, on its own stack, with tp = the tls argument
    assert child.state == "runnable" and child.pc == 0x2468
    assert int(child.x[10]) == 0 and int(child.x[2]) == 0x7000_0000 and int(child.x[4]) == 0x5000
    assert struct.unpack("<I", g.p.memory.read(ptid, 4))[0] == tid     # CLONE_PARENT_SETTID
    assert child.clear_child_tid == ptid                                # CLONE_CHILD_CLEARTID
    assert g.sched.runnable_calls == [(tid, 77)]
    assert g.call(NR_GETTID) == g.p.pid and g.call(NR_GETTID, thread=child) == tid


def test_clone_that_is_not_a_thread_gets_enosys_with_a_note(elf):
    g = Guest(elf)
    assert g.call(NR_CLONE, 17, 0, 0, 0, 0) == -ENOSYS                  # fork (SIGCHLD)
    assert g.call(NR_CLONE, 17, 0, 0, 0, 0) == -ENOSYS
    assert g.call(NR_CLONE, CLONE_VM | CLONE_VFORK | 17, 0, 0, 0, 0) == -ENOSYS
    assert g.call(NR_CLONE, CLONE_VM | CLONE_SIGHAND, 0, 0, 0, 0) == -ENOSYS   # no THREAD
    assert g.call(221, 0, 0, 0) == -ENOSYS                               # execve
    assert g.p.unsupported == {"fork": 2, "vfork": 1, "clone": 1, "execve": 1}
    assert list(g.p.notes) == ["fork", "vfork", "clone", "execve"]
    assert "fork" in g.p.notes["fork"] and "ENOSYS" in g.p.notes["fork"]
    assert len(g.p.threads) == 1 and not g.sched.runnable_calls
    assert "clone" not in g.p.unknown_syscalls                           # known, refused


def test_futex_wait_with_a_wrong_value_returns_eagain(elf):
    g = Guest(elf)
    w = g.word(5)
    assert g.call(NR_FUTEX, w, WAIT | PRIVATE, 4, 0, 0, 0) == -EAGAIN
    assert g.call(NR_FUTEX, w + 1, WAIT | PRIVATE, 5, 0, 0, 0) == -EINVAL     # misaligned
    assert g.call(NR_FUTEX, w, WAIT_BITSET | PRIVATE, 5, 0, 0, 0) == -EINVAL  # bitset 0
    assert g.p.current.state == "running"


def test_futex_wake_counts_and_wakes_oldest_first(elf):
    g = Guest(elf)
    w = g.word(1)
    threads = [g.spawn() for _ in range(3)]
    for t in threads:
        t.state = "running"
        assert g.call(NR_FUTEX, w, WAIT | PRIVATE, 1, 0, 0, 0, thread=t) is None
    assert [t.state for t in threads] == ["waiting"] * 3
    g.sched.runnable_calls.clear()
    main = g.p.threads[g.p.pid]
    assert g.call(NR_FUTEX, w, WAKE | PRIVATE, 2, 0, 0, 0, thread=main, cycle=900) == 2
    assert [t.state for t in threads] == ["runnable", "runnable", "waiting"]
    assert g.sched.runnable_calls == [(threads[0].tid, 900), (threads[1].tid, 900)]
    assert int(threads[0].x[10]) == 0                      # their futex call returns 0
    assert g.call(NR_FUTEX, w, WAKE | PRIVATE, 5, 0, 0, 0, thread=main) == 1
    assert g.call(NR_FUTEX, w, WAKE | PRIVATE, 5, 0, 0, 0, thread=main) == 0


def test_futex_bitsets_select_the_waiters(elf):
    g = Guest(elf)
    w = g.word(0)
    a, b = g.spawn(), g.spawn()
    for t, bits in ((a, 0b01), (b, 0b10)):
        t.state = "running"
        assert g.call(NR_FUTEX, w, WAIT_BITSET | PRIVATE, 0, 0, 0, bits, thread=t) is None
    main = g.p.threads[g.p.pid]
    assert g.call(NR_FUTEX, w, WAKE_BITSET | PRIVATE, 9, 0, 0, 0b10, thread=main) == 1
    assert (a.state, b.state) == ("waiting", "runnable")
    assert g.call(NR_FUTEX, w, WAKE_BITSET | PRIVATE, 9, 0, 0, 0, thread=main) == -EINVAL
    assert g.call(NR_FUTEX, w, WAKE | PRIVATE, 9, 0, 0, 0, thread=main) == 1   # all bits


def test_futex_requeue_moves_waiters_and_cmp_requeue_checks_the_value(elf):
    g = Guest(elf)
    src, dst = g.word(7), g.word(0)
    ts = [g.spawn() for _ in range(4)]
    for t in ts:
        t.state = "running"
        g.call(NR_FUTEX, src, WAIT | PRIVATE, 7, 0, 0, 0, thread=t)
    main = g.p.threads[g.p.pid]
    assert g.call(NR_FUTEX, src, CMP_REQUEUE | PRIVATE, 1, 2, dst, 6, thread=main) == -EAGAIN
    # wake 1, move at most 2: the return value counts both (Linux's futex_requeue)
    assert g.call(NR_FUTEX, src, CMP_REQUEUE | PRIVATE, 1, 2, dst, 7, thread=main) == 3
    assert [t.state for t in ts] == ["runnable", "waiting", "waiting", "waiting"]
    assert g.p.futexes[src] == [ts[3]] and g.p.futexes[dst] == [ts[1], ts[2]]
    assert g.call(NR_FUTEX, dst, WAKE | PRIVATE, 1, 0, 0, 0, thread=main) == 1
    assert ts[1].state == "runnable"
    assert g.call(NR_FUTEX, src, REQUEUE | PRIVATE, 0, 1, dst, 0, thread=main) == 1
    assert g.p.futexes[dst] == [ts[2], ts[3]] and src not in g.p.futexes


def test_futex_wake_op_changes_the_word_and_wakes_on_the_comparison(elf):
    g = Guest(elf)
    w1, w2 = g.word(0), g.word(3)
    a, b = g.spawn(), g.spawn()
    for t, w, v in ((a, w1, 0), (b, w2, 3)):
        t.state = "running"
        g.call(NR_FUTEX, w, WAIT | PRIVATE, v, 0, 0, 0, thread=t)
    main = g.p.threads[g.p.pid]
    # op ADD 1, compare "old > 2": *w2 = 4, and old (3) > 2 wakes w2's waiter too
    op = (1 << 28) | (4 << 24) | (1 << 12) | 2
    assert g.call(NR_FUTEX, w1, WAKE_OP | PRIVATE, 1, 1, w2, op, thread=main) == 2
    assert struct.unpack("<I", g.p.memory.read(w2, 4))[0] == 4
    assert a.state == b.state == "runnable"


def test_futex_timeout_arms_a_timer_and_times_out(elf):
    g = Guest(elf)
    w = g.word(0)
    ts = g.word()
    g.p.memory.write(ts, struct.pack("<qq", 0, 2500))          # 2.5 us = 2500 cycles at 1 GHz
    t = g.spawn()
    t.state = "running"
    assert g.call(NR_FUTEX, w, WAIT | PRIVATE, 0, ts, 0, 0, thread=t, cycle=1000) is None
    ((tid, deadline, wait_id),) = g.sched.timers
    assert tid == t.tid and deadline == 1000 + 2500
    g.p.timed_out(t, wait_id, deadline)
    assert t.state == "runnable" and signed(t.x[10]) == -ETIMEDOUT
    # a timer of an earlier wait that a wake already ended does nothing
    t.state = "running"
    g.call(NR_FUTEX, w, WAIT | PRIVATE, 0, ts, 0, 0, thread=t, cycle=5000)
    stale = g.sched.timers[-1][2]
    main = g.p.threads[g.p.pid]
    assert g.call(NR_FUTEX, w, WAKE | PRIVATE, 1, 0, 0, 0, thread=main, cycle=6000) == 1
    t.state = "running"
    g.call(NR_FUTEX, w, WAIT | PRIVATE, 0, 0, 0, 0, thread=t, cycle=6100)
    g.p.timed_out(t, stale, 7500)
    assert t.state == "waiting"
    # an absolute WAIT_BITSET deadline already past: ETIMEDOUT at once
    g.p.memory.write(ts, struct.pack("<qq", 0, 10))
    assert g.call(NR_FUTEX, w, WAIT_BITSET | PRIVATE, 0, ts, 0, 0xFFFFFFFF, thread=main,
                  cycle=100) == -ETIMEDOUT


def test_thread_exit_clears_the_tid_and_wakes_the_joiner(elf):
    g = Guest(elf)
    t = g.spawn()
    word = t.clear_child_tid
    assert struct.unpack("<I", g.p.memory.read(word, 4))[0] == t.tid
    main = g.p.threads[g.p.pid]
    # pthread_join: wait while the word holds the tid
    assert g.call(NR_FUTEX, word, WAIT, t.tid, 0, 0, 0, thread=main) is None
    t.state = "running"
    g.call(NR_EXIT, 0, thread=t)
    assert t.state == "exited" and main.state == "runnable"
    assert struct.unpack("<I", g.p.memory.read(word, 4))[0] == 0
    assert not g.p.exited                                  # the main thread lives on
    main.state = "running"
    g.call(NR_EXIT, 3, thread=main)
    assert g.p.exited and g.p.exit_code == 3               # the last thread ended it


def test_tgkill_interrupts_a_waiting_thread(elf):
    g = Guest(elf)
    w = g.word(0)
    t = g.spawn()
    t.state = "running"
    g.call(NR_FUTEX, w, WAIT | PRIVATE, 0, 0, 0, 0, thread=t)
    main = g.p.threads[g.p.pid]
    act = g.word()
    g.p.memory.write(act, struct.pack("<QQQ", 0x4444, 0, 0))   # a handler for SIGUSR1
    g.p.sigactions[10] = g.p.memory.read(act, 24)
    assert g.call(NR_TGKILL, g.p.pid, t.tid, 10, thread=main) == 0
    assert t.state == "runnable" and signed(t.x[10]) == -EINTR and t.pending == 1 << 9
    assert g.call(NR_TGKILL, g.p.pid, 99999, 10, thread=main) == -3     # ESRCH


def test_sched_getaffinity_lists_the_modeled_harts(elf):
    g = Guest(elf)
    g.p.harts = 4
    mask = g.word()
    assert g.call(NR_AFFINITY, 0, 8, mask) == 8
    assert struct.unpack("<Q", g.p.memory.read(mask, 8))[0] == 0b1111
    assert g.call(NR_AFFINITY, 0, 4, mask) == -EINVAL
