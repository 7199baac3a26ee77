"""Signals a process sends itself (raise, abort, kill(getpid())): pending and blocked sets,
default actions, and running a user handler with a Linux-style signal frame.

Linux delivers a pending, unblocked signal when the process returns to user mode; here
that is right after a system call. For a handler, the registers are saved in an
rt_sigframe on the user stack (siginfo, then ucontext with the RISC-V sigcontext: pc,
x1..x31, f0..f31, fcsr) and the handler returns through a two-instruction trampoline
(`li a7, 139; ecall`) to rt_sigreturn, which restores them. RISC-V Linux uses the vDSO
for that trampoline; we map one page of our own instead.
"""
from __future__ import annotations

import struct

import numpy as np

from cyclesim.process.memory import MemoryFault, MemoryLimitExceeded

SIG_DFL, SIG_IGN = 0, 1
SA_SIGINFO, SA_ONSTACK, SA_NODEFER, SA_RESETHAND = 0x4, 0x08000000, 0x40000000, 0x80000000
SI_USER, SI_TKILL = 0, -6
# Default action "ignore" (SIGCHLD, SIGURG, SIGWINCH) or "stop"/"continue", which a lone
# simulated process treats the same way.
DEFAULT_IGNORE = {17, 18, 19, 20, 21, 22, 23, 28}
UNBLOCKABLE = (1 << (9 - 1)) | (1 << (19 - 1))          # SIGKILL, SIGSTOP

SIGINFO_SIZE = 128
UC_SIGMASK = 40                     # offsets inside struct ucontext
UC_MCONTEXT = 176                   # struct sigcontext, 16-byte aligned
FRAME_SIZE = SIGINFO_SIZE + UC_MCONTEXT + 256 + 528
TRAMPOLINE = struct.pack("<II", 0x08B00893, 0x00000073)   # li a7, 139; ecall


def handler_of(process, signo: int) -> tuple[int, int, int]:
    """(handler, flags, mask) installed for signo (SIG_DFL when never set)."""
    raw = process.sigactions.get(signo, bytes(24))
    return struct.unpack("<QQQ", raw)


def ignored(process, signo: int) -> bool:
    handler = handler_of(process, signo)[0]
    return handler == SIG_IGN or (handler == SIG_DFL and signo in DEFAULT_IGNORE)


def deliver_pending(process, core) -> None:
    """Act on the lowest pending signal that is not blocked, if any."""
    thread = process.current
    ready = (process.pending_signals | thread.pending) & ~(process.sigmask & ~UNBLOCKABLE)
    if not ready:
        return
    signo = (ready & -ready).bit_length()
    process.pending_signals &= ~(1 << (signo - 1))
    thread.pending &= ~(1 << (signo - 1))
    handler, flags, mask = handler_of(process, signo)
    if handler == SIG_IGN or (handler == SIG_DFL and signo in DEFAULT_IGNORE):
        return
    if handler == SIG_DFL:
        process.kill(signo)
        return
    try:
        _push_frame(process, core, signo, handler, flags, mask)
    except MemoryLimitExceeded:
        raise
    except MemoryFault:
        process.kill(11)            # no room for the frame: Linux sends SIGSEGV


def _trampoline(process) -> int:
    if process.sigreturn_trampoline is None:
        addr = process.vm.mmap(0, 4096, 1 | 4, 0x22)
        process.memory.write(addr, TRAMPOLINE, check=False)
        process.sigreturn_trampoline = addr
    return process.sigreturn_trampoline


def _push_frame(process, core, signo, handler, flags, mask) -> None:
    mem = process.memory
    sp = int(core.x[2])
    alt_sp, alt_flags, _, alt_size = struct.unpack("<QiiQ", process.altstack)
    if flags & SA_ONSTACK and alt_flags == 0 and alt_size and not \
            alt_sp <= sp < alt_sp + alt_size:
        sp = alt_sp + alt_size
    frame = (sp - FRAME_SIZE) & ~0xF
    info = struct.pack("<iii4xiI", signo, 0, SI_TKILL, process.pid, process.uid)
    uc = frame + SIGINFO_SIZE
    regs = [int(core.pc)] + [int(v) for v in core.x[1:32]]
    fregs = [int(v) for v in core.f]
    context = (struct.pack("<QQQiiQQ", 0, 0, alt_sp, alt_flags, 0, alt_size,
                           process.sigmask).ljust(UC_MCONTEXT, b"\0")
               + struct.pack("<32Q", *regs) + struct.pack("<32QI", *fregs, int(core.fcsr)))
    mem.write(frame, info.ljust(SIGINFO_SIZE, b"\0") + context)
    if not flags & SA_NODEFER:
        process.sigmask |= 1 << (signo - 1)
    process.sigmask |= mask
    if flags & SA_RESETHAND:
        process.sigactions.pop(signo, None)
    core.x[1] = _trampoline(process)
    core.x[2] = frame
    core.x[10] = signo
    core.x[11] = frame
    core.x[12] = uc
    core.pc = handler & ~1      # sepc[0] is always zero (privileged spec, sepc register)
    process.signals_delivered[signo] += 1


def sigreturn(process, core) -> None:
    """rt_sigreturn: restore what _push_frame saved (the handler may have changed it)."""
    mem = process.memory
    uc = int(core.x[2]) + SIGINFO_SIZE
    process.sigmask = int.from_bytes(mem.read(uc + UC_SIGMASK, 8), "little") & ~UNBLOCKABLE
    regs = struct.unpack("<32Q", mem.read(uc + UC_MCONTEXT, 256))
    fstate = struct.unpack("<32QI", mem.read(uc + UC_MCONTEXT + 256, 260))
    core.pc = regs[0] & ~1      # sret returns to sepc, whose bit 0 is always zero
    core.x[1:32] = np.array(regs[1:], dtype=np.uint64)
    core.f[:] = np.array(fstate[:32], dtype=np.uint64)
    core.fcsr = fstate[32]
