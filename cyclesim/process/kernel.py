"""The process model: one Linux user process (one or more threads) running a static
RISC-V ELF program in guest memory, with its system calls emulated here in Python.

The engine creates a Process, calls start(core) once, runs the core, and calls
syscall(core, cycle, frequency) each time the core stops at an ecall, with `current` set
to the thread that core runs (threads.py: clone, futex, thread exit). Guest time is
simulated time (cycle / frequency), randomness comes from the seed, and file access goes
through the sandbox (see fs.py), so a run depends only on its inputs.
"""
from __future__ import annotations

import collections
import os
import random
import shutil
import tempfile

from cyclesim.errors import ConfigError, ProgramError
from cyclesim.isa.extensions import HartIsa
from cyclesim.process import fs, signals
from cyclesim.process.fs import FdTable, GuestErrno, OutputFile, Sandbox, StdinFile
from cyclesim.process.loader import load_elf, read_program
from cyclesim.process.memory import GuestMemory, MemoryFault, MemoryLimitExceeded
from cyclesim.process.stack import (
    AT_BASE,
    AT_CLKTCK,
    AT_EGID,
    AT_ENTRY,
    AT_EUID,
    AT_FLAGS,
    AT_GID,
    AT_HWCAP,
    AT_PAGESZ,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_SECURE,
    AT_UID,
    CLOCK_TICKS,
    build_stack,
)
from cyclesim.process.syscall_names import SYSCALL_NAMES
from cyclesim.process.syscalls import NO_RESULT, SyscallHandlers
from cyclesim.process.threads import ThreadSyscalls
from cyclesim.process.vm import STACK_SIZE, STACK_TOP, AddressSpace

MASK64 = (1 << 64) - 1
_A0, _A7 = 10, 17                       # argument/result and syscall-number registers

SIGNAL_NAMES = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
    7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
    13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
    18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
    23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF",
    28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
}


# The environment a guest gets unless told otherwise (cyclesim.run(env=...) adds to it,
# clear_env=True starts from nothing; docs/process.md). Fixed strings, not the host's, so
# that a run's instruction count does not depend on who runs it or where.
DEFAULT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",                     # the one directory every guest may write
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "USER": "user",
    "LOGNAME": "user",
    "SHELL": "/bin/sh",
    "TERM": "dumb",
}

DEFAULT_TMP_SIZE = 64 << 20             # bytes of the private /tmp


def _strings(values, what: str) -> list[bytes]:
    out = []
    for v in values:
        b = os.fsencode(v) if not isinstance(v, bytes) else v
        if b"\0" in b:
            raise ConfigError(f"{what} entry {v!r} contains a NUL byte; remove it")
        out.append(b)
    return out


class Process(ThreadSyscalls, SyscallHandlers):
    """A guest process: memory image, initial stack, open files and syscall emulation.

    argv is the whole argument vector, argv[0] included, as execve(2) takes it; without
    argv (or with an empty one) it is [program_name], by default the program path as given. env is the whole environment (default: empty, so runs do not
    depend on the host). stdin is the bytes the guest reads from descriptor 0, or a host
    stream (binary file object) read as the guest asks; what it writes to 1 and 2 is in
    .stdout / .stderr up to output_limit bytes each (streamed to the host's with
    echo=True, both to its stderr with echo="stderr"). cwd is the starting directory
    (default: the host's working directory). The guest's /tmp is a private host
    directory of at most tmp_size bytes, removed by close() unless keep_tmp
    (tmp_size=None: no private /tmp).
    """

    pid = 1000
    ppid = 1
    uid = gid = fs.GUEST_UID

    def __init__(self, program, argv=None, env=None, stdin: bytes = b"", allow_read=(),
                 allow_write=None, mem_limit: int = 1 << 30, seed: int = 0,
                 echo: bool = False, program_name: str | None = None, cwd=None,
                 output_limit: int | None = None, isa=None,
                 tmp_size: int | None = DEFAULT_TMP_SIZE, keep_tmp: bool = False):
        data, real_path, shown = read_program(program)
        # the hart's extensions (AT_HWCAP, riscv_hwprobe); the engine sets the hart's own
        self.isa = isa if isa is not None else HartIsa()
        self.cbo_block_size = 64
        if isinstance(program, (bytes, bytearray, memoryview)):
            shown = program_name or "program"
            real_path = shown if shown.startswith("/") else "/" + shown
        self.path = real_path
        self.program_name = program_name or shown
        if argv is not None and isinstance(argv, (str, bytes)):
            raise ConfigError("argv must be a list of arguments, not one string; "
                              "split it, e.g. shlex.split(...)")
        self.argv = [os.fsdecode(a) if isinstance(a, bytes) else str(a)
                     for a in (argv or [self.program_name])]
        self.env = dict(env or {})
        if not isinstance(stdin, (bytes, bytearray, memoryview)) and not (
                hasattr(stdin, "read") or hasattr(stdin, "fileno")):
            raise ConfigError(f"stdin must be bytes or a binary file object, not "
                              f"{type(stdin).__name__}; encode text first, e.g. text.encode()")
        if mem_limit < (1 << 20):
            raise ConfigError(f"mem_limit={mem_limit} bytes is too small to run a program; "
                              f"give at least 1 MiB")
        self.seed = int(seed)
        if tmp_size is not None and (not isinstance(tmp_size, int) or tmp_size < 0):
            raise ConfigError(f"tmp_size={tmp_size!r}: give the size of the guest's /tmp "
                              "in bytes (a whole number >= 0)")
        self.keep_tmp = bool(keep_tmp)
        self.tmp_had_files = False      # the private /tmp held files when removed
        self.tmp_dir = None if tmp_size is None else tempfile.mkdtemp(prefix="cyclesim-tmp-")
        try:
            self.sandbox = Sandbox(allow_read, allow_write, cwd, self.tmp_dir,
                                   tmp_size or 0)
        except BaseException:
            self.remove_tmp()
            raise
        self.memory = GuestMemory(mem_limit)

        try:
            self.image = load_elf(self.memory, data, shown)
            self.vm = AddressSpace(self.memory, self.image.start, self.image.end)
            stack_lo = STACK_TOP - STACK_SIZE
            self.memory.map(stack_lo, STACK_SIZE, 3 | (4 if self.image.exec_stack else 0))
            self.vm.reserve(stack_lo, STACK_TOP)
            self.initial_sp, self.stack_info = self._build_stack(shown)
        except MemoryLimitExceeded:
            raise ProgramError(f"{shown}: loading the program needs more than mem_limit="
                               f"{mem_limit} bytes of guest memory; raise mem_limit") from None
        self.entry = self.image.entry
        self.symbols = self.image.symbols
        self.functions = self.image.functions

        self.rng = random.Random(f"{self.seed}:getrandom")
        self.files = FdTable()
        self._stdout = OutputFile("stdout", echo, output_limit)
        self._stderr = OutputFile("stderr", echo, output_limit)
        self.files.install(StdinFile(bytes(stdin) if isinstance(
            stdin, (bytes, bytearray, memoryview)) else stdin), fd=0)
        self.files.install(self._stdout, fd=1)
        self.files.install(self._stderr, fd=2)

        self.unknown_syscalls: collections.Counter = collections.Counter()
        self.syscall_counts: collections.Counter = collections.Counter()
        self.syscall_trace: list | None = None     # set to [] to record every syscall
        self.exited = False
        self.exit_code: int | None = None
        self.signal: str | None = None
        self.error: str | None = None               # why the run ended abnormally
        self.sigactions: dict[int, bytes] = {}
        self.init_threads()                         # the main thread; sigmask is per thread
        self.pending_signals = 0                    # bit signo-1 per pending signal
        self.signals_delivered: collections.Counter = collections.Counter()
        self.sigreturn_trampoline: int | None = None
        self._core = None
        self.altstack = bytes(24)
        self.rlimits = self._default_rlimits(mem_limit)
        self.umask = 0o022
        self.cycle = 0
        self.cycle_offset = 0     # added to the engine's cycle after a checkpoint restore
        self.frequency = 1e9

    # -- setup -----------------------------------------------------------------------
    def _build_stack(self, shown: str):
        img = self.image
        aux = [(AT_HWCAP, self.isa.hwcap), (AT_PAGESZ, 4096), (AT_CLKTCK, CLOCK_TICKS),
               (AT_PHDR, img.phdr_addr), (AT_PHENT, img.phent), (AT_PHNUM, img.phnum),
               (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, img.entry), (AT_UID, self.uid),
               (AT_EUID, self.uid), (AT_GID, self.gid), (AT_EGID, self.gid),
               (AT_SECURE, 0)]
        at_random = random.Random(f"{self.seed}:at_random").randbytes(16)
        argv = _strings(self.argv, "argv")
        envp = _strings([f"{k}={v}" for k, v in self.env.items()], "env")
        execfn = os.fsencode(shown)
        if sum(len(s) + 1 for s in argv + envp) > STACK_SIZE // 4:
            raise ConfigError("argv and env together exceed 2 MiB (a quarter of the 8 MiB "
                              "stack, the Linux limit); pass less")
        return build_stack(self.memory, STACK_TOP, argv, envp, execfn, at_random, aux)

    @staticmethod
    def _default_rlimits(mem_limit):
        inf = MASK64
        limits = {r: (inf, inf) for r in range(16)}
        limits[3] = (STACK_SIZE, inf)        # RLIMIT_STACK
        limits[4] = (0, inf)                 # RLIMIT_CORE
        limits[7] = (fs.MAX_FDS, fs.MAX_FDS)  # RLIMIT_NOFILE
        limits[8] = (8 << 20, 8 << 20)       # RLIMIT_MEMLOCK
        limits[9] = (inf, inf)               # RLIMIT_AS: the memory cap shows as ENOMEM
        return limits

    def start(self, core) -> None:
        """Put the core at the entry point with Linux's initial register state."""
        core.x[:] = 0                        # a0 = 0: no rtld_fini for a static program
        core.x[2] = self.initial_sp
        core.pc = self.entry

    # -- results ---------------------------------------------------------------------
    @property
    def stdout(self) -> bytes:
        """What the guest wrote to stdout, up to the output limit (see .output_dropped)."""
        return self._stdout.capture.getvalue()

    @property
    def stderr(self) -> bytes:
        return self._stderr.capture.getvalue()

    @property
    def output_dropped(self) -> dict[str, int]:
        """Bytes written past the output limit and not kept, per stream."""
        return {"stdout": self._stdout.capture.dropped, "stderr": self._stderr.capture.dropped}

    @property
    def status(self) -> str:
        """How the run ended, in words."""
        if not self.exited:
            return "running"
        if self.signal is not None:
            return f"killed by signal {self.signal}"
        if self.error is not None:
            return self.error
        return f"exited with code {self.exit_code}"

    def close(self) -> None:
        """Release host resources (open files, the private /tmp unless kept)."""
        self.files.close_all()
        if not self.keep_tmp:
            self.remove_tmp()

    def remove_tmp(self) -> None:
        tmp = getattr(self, "tmp_dir", None)
        if tmp is not None:
            try:
                self.tmp_had_files = bool(os.listdir(tmp))
            except OSError:
                pass
            shutil.rmtree(tmp, ignore_errors=True)
            self.tmp_dir = None

    def __del__(self):
        files = getattr(self, "files", None)      # absent if __init__ failed early
        if files is not None:
            files.close_all()
        if not getattr(self, "keep_tmp", True):
            self.remove_tmp()

    def exit(self, code: int) -> None:
        self.exited = True
        self.exit_code = code & 0xFF

    def kill(self, signo: int) -> None:
        self.exited = True
        self.signal = SIGNAL_NAMES.get(signo, f"signal {signo}")
        self.signal_number = signo

    def fail(self, message: str) -> None:
        """End the run because the guest can make no progress (e.g. a deadlock)."""
        self.exited = True
        self.error = message

    # -- time --------------------------------------------------------------------------
    def now_ns(self) -> int:
        """Simulated nanoseconds since the program started."""
        f = self.frequency
        if float(f).is_integer():
            return self.cycle * 10**9 // int(f)
        return int(self.cycle * 1e9 / f)

    # -- the syscall entry -------------------------------------------------------------
    def syscall(self, core, cycle: int, frequency: float) -> None:
        """Emulate the system call the core stopped at (a7 = number, a0..a5 = arguments);
        the result goes to a0. Sets exited/exit_code/signal when the guest ends."""
        x = core.x
        number = int(x[_A7])
        args = [int(x[i]) for i in range(10, 16)]
        self.engine_cycle = int(cycle)
        self.cycle = int(cycle) + self.cycle_offset
        self.frequency = float(frequency)
        self._core = core
        name = SYSCALL_NAMES.get(number)
        self.syscall_counts[name or f"syscall_{number}"] += 1
        handler = getattr(self, "sys_" + name, None) if name else None
        if handler is None:
            self.unknown_syscalls[name or f"syscall_{number}"] += 1
            result = -fs.ENOSYS
        else:
            try:
                result = handler(*args)
            except GuestErrno as e:
                result = -e.code
            except MemoryLimitExceeded:
                raise
            except MemoryFault:
                result = -fs.EFAULT
            except OSError as e:            # a host call not wrapped where it is made
                result = -fs.host_errno(e).code
        if self.syscall_trace is not None:
            self.syscall_trace.append((self.cycle, name or number, tuple(args),
                                       None if result is NO_RESULT else result))
        if not self.exited and result is not NO_RESULT:
            x[_A0] = result & MASK64
        if (self.pending_signals or self.current.pending) and not self.exited \
                and self.current.state != "waiting":
            signals.deliver_pending(self, core)
