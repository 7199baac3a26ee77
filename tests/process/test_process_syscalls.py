"""Syscall emulation driven through Process.syscall with a fake core (registers only), as
the engine drives it. Expected values come from the Linux ABI (struct layouts, errno
numbers from asm-generic) and from the host file system (os.stat), not from our code."""
import os
import struct

import pytest
from cyclesim.process.memory import MemoryLimitExceeded
from process_support import build, call

from cyclesim.process.kernel import Process

# Numbers from asm-generic/unistd.h (the riscv64 table), written out independently.
NR = {
    "getcwd": 17, "dup": 23, "dup3": 24, "fcntl": 25, "ioctl": 29, "mkdirat": 34,
    "unlinkat": 35, "faccessat": 48, "openat": 56, "close": 57, "getdents64": 61, "lseek": 62,
    "read": 63, "write": 64, "readv": 65, "writev": 66, "pread64": 67, "pwrite64": 68,
    "readlinkat": 78, "newfstatat": 79, "fstat": 80, "exit": 93, "exit_group": 94,
    "set_tid_address": 96, "futex": 98, "nanosleep": 101, "clock_gettime": 113,
    "clock_getres": 114, "sched_yield": 124, "kill": 129, "tgkill": 131, "rt_sigaction": 134,
    "uname": 160, "getrlimit": 163, "gettimeofday": 169, "getpid": 172, "gettid": 178,
    "times": 153, "brk": 214, "munmap": 215, "mremap": 216, "mmap": 222, "mprotect": 226,
    "madvise": 233, "prlimit64": 261, "getrandom": 278, "statx": 291, "rseq": 293,
    "riscv_hwprobe": 258
}
AT_FDCWD = -100
ENOENT, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EINVAL, ENOTTY, ESPIPE, ENOSYS = (
    2, 9, 11, 12, 13, 14, 22, 25, 29, 38)
O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_DIRECTORY = 1, 2, 0o100, 0o1000, 0o200000


@pytest.fixture(scope="module")
def elf():
    return build("int main(void) { return 0; }", "-O2", "-static", name="trivial")


@pytest.fixture
def dirs(tmp_path):
    ro = tmp_path / "data"
    rw = tmp_path / "out"
    secret = tmp_path / "secret"
    for d in (ro, rw, secret):
        d.mkdir()
    (ro / "input.txt").write_bytes(b"line one\nline two\n")
    (secret / "key").write_bytes(b"top secret")
    os.symlink(secret / "key", ro / "link-out")
    os.symlink(ro / "input.txt", ro / "link-in")
    return ro, rw, secret


class Guest:
    """A Process plus a scratch buffer in its memory, for passing strings and structs."""

    def __init__(self, elf, **kw):
        self.p = Process(elf, **kw)
        self.buf = call(self.p, NR["mmap"], 0, 1 << 16, 3, 0x22, -1, 0)
        assert self.buf > 0 and self.buf % 4096 == 0
        self.cursor = self.buf

    def __call__(self, name, *args, **kw):
        return call(self.p, NR[name], *args, **kw)

    def put(self, data: bytes) -> int:
        addr = self.cursor
        self.p.memory.write(addr, data)
        self.cursor += (len(data) + 15) & ~15
        return addr

    def s(self, text: str) -> int:
        return self.put(os.fsencode(text) + b"\0")

    def read(self, addr, n):
        return self.p.memory.read(addr, n)

    def open(self, path, flags=0, mode=0o644):
        return self("openat", AT_FDCWD, self.s(str(path)), flags, mode)


def test_stdout_stderr_stdin(elf, capsys):
    g = Guest(elf, stdin=b"abcdefgh", echo=True)
    msg = g.put(b"to stdout\n")
    assert g("write", 1, msg, 10) == 10
    assert g("write", 2, g.put(b"err"), 3) == 3
    iov = g.put(struct.pack("<QQQQ", msg, 3, msg + 3, 4))
    assert g("writev", 1, iov, 2) == 7
    assert g.p.stdout == b"to stdout\nto stdo"
    assert g.p.stderr == b"err"
    assert capsys.readouterr().out == "to stdout\nto stdo"
    dst = g.put(bytes(16))
    assert g("read", 0, dst, 5) == 5 and g.read(dst, 5) == b"abcde"
    assert g("read", 0, dst, 100) == 3 and g.read(dst, 3) == b"fgh"
    assert g("read", 0, dst, 100) == 0
    assert g("lseek", 0, 0, 0) == -ESPIPE
    assert g("write", 0, msg, 1) == -EBADF
    assert g("read", 7, dst, 1) == -EBADF
    assert g("write", 1, 0x10, 4) == -EFAULT            # unmapped buffer
    st = g.put(bytes(128))
    assert g("fstat", 1, st) == 0
    mode, = struct.unpack_from("<I", g.read(st, 128), 16)
    assert mode & 0o170000 == 0o010000                  # a pipe: glibc buffers fully
    assert g("ioctl", 1, 0x5401, st) == -ENOTTY         # TCGETS: not a terminal


def test_files_in_allowed_directories(elf, dirs):
    ro, rw, _ = dirs
    g = Guest(elf, allow_read=[ro], allow_write=rw)
    fd = g.open(ro / "input.txt")
    assert fd == 3
    dst = g.put(bytes(64))
    assert g("read", fd, dst, 4) == 4 and g.read(dst, 4) == b"line"
    assert g("lseek", fd, 0, 2) == 18                   # SEEK_END
    assert g("pread64", fd, dst, 3, 5) == 3 and g.read(dst, 3) == b"one"
    st = g.put(bytes(128))
    assert g("fstat", fd, st) == 0
    size, = struct.unpack_from("<q", g.read(st, 128), 48)
    assert size == os.stat(ro / "input.txt").st_size
    assert g("newfstatat", AT_FDCWD, g.s(str(ro / "input.txt")), st, 0) == 0
    assert struct.unpack_from("<q", g.read(st, 128), 48)[0] == 18
    stx = g.put(bytes(256))
    assert g("statx", AT_FDCWD, g.s(str(ro / "input.txt")), 0, 0x7FF, stx) == 0
    assert struct.unpack_from("<Q", g.read(stx, 256), 40)[0] == 18
    assert g("close", fd) == 0
    assert g("close", fd) == -EBADF
    # a symlink inside the allowed directory that stays inside works
    assert g.open(ro / "link-in") >= 0


def test_sandbox_refusals(elf, dirs):
    ro, rw, secret = dirs
    g = Guest(elf, allow_read=[ro], allow_write=rw)
    assert g.open("/etc/passwd") == -ENOENT
    assert g.open(secret / "key") == -ENOENT
    assert g.open(f"{ro}/../secret/key") == -ENOENT            # `..` escape
    assert g.open(ro / "link-out") == -ENOENT                  # symlink escape
    assert g.open(f"{rw}/../secret/key") == -ENOENT
    assert g.open(ro / "input.txt", O_WRONLY) == -EACCES       # visible, read-only
    assert g.open(ro / "new.txt", O_WRONLY | O_CREAT) == -EACCES
    assert g.open(secret / "new.txt", O_WRONLY | O_CREAT) == -ENOENT
    assert g.open(ro / "input.txt", O_TRUNC) == -EACCES
    assert not (ro / "new.txt").exists() and not (secret / "new.txt").exists()
    assert (ro / "input.txt").read_bytes() == b"line one\nline two\n"
    assert g("faccessat", AT_FDCWD, g.s("/etc/passwd"), 0) == -ENOENT
    assert g("faccessat", AT_FDCWD, g.s(str(ro / "input.txt")), 2) == -EACCES
    assert g("faccessat", AT_FDCWD, g.s(str(ro / "input.txt")), 4) == 0
    st = g.put(bytes(128))
    assert g("newfstatat", AT_FDCWD, g.s("/etc/passwd"), st, 0) == -ENOENT


def test_writable_directory(elf, dirs):
    ro, rw, _ = dirs
    g = Guest(elf, allow_read=[ro], allow_write=rw, cwd=rw)
    # relative paths are taken from the working directory given
    cwd = g.put(bytes(512))
    n = g("getcwd", cwd, 512)
    assert g.read(cwd, n) == os.fsencode(os.path.realpath(rw)) + b"\0"
    fd = g.open("result.txt", O_WRONLY | O_CREAT | O_TRUNC)
    assert fd >= 3
    assert g("write", fd, g.put(b"computed 42\n"), 12) == 12
    assert g("pwrite64", fd, g.put(b"99"), 2, 9) == 2
    assert g("close", fd) == 0
    assert (rw / "result.txt").read_bytes() == b"computed 99\n"
    assert g("mkdirat", AT_FDCWD, g.s("sub"), 0o755) == 0 and (rw / "sub").is_dir()
    assert g("unlinkat", AT_FDCWD, g.s("result.txt"), 0) == 0
    assert not (rw / "result.txt").exists()
    assert g("unlinkat", AT_FDCWD, g.s(str(ro / "input.txt")), 0) == -EACCES
    assert (ro / "input.txt").exists()
    dfd = g.open(rw, O_DIRECTORY)
    ents = g.put(bytes(1024))
    n = g("getdents64", dfd, ents, 1024)
    names, off = [], 0
    raw = g.read(ents, n)
    while off < n:
        reclen, = struct.unpack_from("<H", raw, off + 16)
        names.append(raw[off + 19:off + reclen].split(b"\0")[0])
        off += reclen
    assert names == [b".", b"..", b"sub"]


def test_descriptors(elf, dirs):
    ro, _, _ = dirs
    g = Guest(elf, allow_read=[ro])
    fd = g.open(ro / "input.txt")
    d = g("dup", fd)
    assert d == fd + 1
    dst = g.put(bytes(8))
    assert g("read", fd, dst, 5) == 5
    assert g("read", d, dst, 3) == 3 and g.read(dst, 3) == b"one"   # shared offset
    assert g("dup3", fd, 10, 0o2000000) == 10
    assert g("fcntl", 10, 1, 0) == 1                                 # F_GETFD: cloexec
    assert g("fcntl", fd, 0, 20) == 20                               # F_DUPFD >= 20
    assert g("dup3", fd, fd, 0) == -EINVAL
    g("close", fd)
    assert g("read", d, dst, 4) == 4 and g.read(dst, 4) == b"\nlin"  # still open via dup


def test_brk_and_mmap_family(elf):
    g = Guest(elf, mem_limit=64 << 20)
    p = g.p
    start = g("brk", 0)
    assert start == p.vm.brk and start % 4096 == 0
    assert g("brk", start + 10000) == start + 10000
    p.memory.write(start + 9999, b"x")                  # the heap is writable
    assert g("brk", start + 4096) == start + 4096
    assert not p.memory.is_mapped(start + 8192, 1)
    assert g("brk", start + (100 << 20)) == start + 4096     # beyond the cap: unchanged

    a = g("mmap", 0, 3 * 4096, 3, 0x22, -1, 0)
    assert a > start and a % 4096 == 0
    assert p.memory.read(a, 3 * 4096) == bytes(3 * 4096)
    p.memory.write(a, b"keep me")
    assert g("mmap", 0, 1 << 40, 3, 0x22, -1, 0) == -ENOMEM
    assert g("mmap", 0, 100 << 20, 3, 0x22, -1, 0) == -ENOMEM  # can never fit in 64 MiB
    b = g("mremap", a, 3 * 4096, 40 * 4096, 1)                 # grow, may move
    assert b > 0 and p.memory.read(b, 7) == b"keep me"
    assert p.memory.is_mapped(b, 40 * 4096)
    assert g("mprotect", b, 4096, 1) == 0
    assert p.memory.prot_at(b) == 1
    assert g("mprotect", b, 4096, 3) == 0
    assert g("madvise", b, 4096, 4) == 0                       # MADV_DONTNEED zeroes
    assert p.memory.read(b, 7) == bytes(7)
    assert g("munmap", b, 40 * 4096) == 0
    assert not p.memory.is_mapped(b, 1)
    assert g("mprotect", b, 4096, 1) == -ENOMEM
    fixed = 0x20000000
    assert g("mmap", fixed, 4096, 3, 0x32, -1, 0) == fixed    # MAP_FIXED
    assert g("mmap", fixed, 4096, 3, 0x100022, -1, 0) == -17  # FIXED_NOREPLACE: EEXIST
    # PROT_NONE then back to read-write (how allocators reserve and commit)
    r = g("mmap", 0, 8192, 0, 0x22, -1, 0)
    assert g("mprotect", r, 8192, 3) == 0
    p.memory.write(r + 8191, b"z")


def test_memory_cap_ends_the_run_through_the_engine(elf):
    g = Guest(elf, mem_limit=4 << 20)
    size = (4 << 20) - 4096              # fits the cap on its own, not with the image
    a = g("mmap", 0, size, 3, 0x22, -1, 0)
    assert a > 0
    with pytest.raises(MemoryLimitExceeded):
        call(g.p, NR["getrandom"], a, size, 0)


def test_file_backed_private_mapping(elf, dirs):
    ro, _, _ = dirs
    g = Guest(elf, allow_read=[ro])
    fd = g.open(ro / "input.txt")
    a = g("mmap", 0, 4096, 1, 0x02, fd, 0)
    assert a > 0
    assert g.read(a, 20) == b"line one\nline two\n\0\0"
    assert g.p.memory.prot_at(a) == 1


def test_time_follows_simulated_cycles(elf):
    g = Guest(elf)
    ts = g.put(bytes(16))
    assert g("clock_gettime", 1, ts, cycle=2_500_000_000, frequency=1e9) == 0
    assert struct.unpack("<qq", g.read(ts, 16)) == (2, 500_000_000)
    assert g("clock_gettime", 1, ts, cycle=3_000_000, frequency=2e9) == 0
    assert struct.unpack("<qq", g.read(ts, 16)) == (0, 1_500_000)
    assert g("clock_gettime", 0, ts, cycle=1_000_000_000, frequency=1e9) == 0
    # CLOCK_REALTIME starts at 2026-01-01T00:00:00Z
    assert struct.unpack("<qq", g.read(ts, 16)) == (1767225600 + 1, 0)
    tv = g.put(bytes(16))
    assert g("gettimeofday", tv, 0, cycle=1_234_567_000, frequency=1e9) == 0
    assert struct.unpack("<qq", g.read(tv, 16)) == (1767225601, 234567)
    assert g("times", 0, cycle=5_000_000_000, frequency=1e9) == 500    # 100 ticks/s
    assert g("clock_gettime", 99, ts) == -EINVAL
    # nanosleep puts the thread to sleep until one simulated second later (the engine's
    # scheduler wakes it then: tests/process/test_threads.py, tests/test_threads_run.py)
    assert g("nanosleep", g.put(struct.pack("<qq", 1, 0)), 0, cycle=5, frequency=1e9) == 0
    assert g.p.current.state == "waiting" and g.p.current.deadline == 5 + 10**9


def test_getrandom_is_deterministic_per_seed(elf):
    def draw(seed):
        g = Guest(elf, seed=seed)
        dst = g.put(bytes(32))
        assert g("getrandom", dst, 32, 0) == 32
        return g.read(dst, 32)
    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_identity_limits_and_uname(elf):
    g = Guest(elf)
    assert g("getpid") == g("gettid") == g("set_tid_address", 0) > 0
    assert g("sched_yield") == 0
    rl = g.put(bytes(16))
    assert g("prlimit64", 0, 3, 0, rl) == 0
    assert struct.unpack("<QQ", g.read(rl, 16)) == (8 << 20, (1 << 64) - 1)
    assert g("getrlimit", 7, rl) == 0
    assert struct.unpack("<QQ", g.read(rl, 16))[0] == 1024
    uts = g.put(bytes(65 * 6))
    assert g("uname", uts) == 0
    fields = [g.read(uts + 65 * i, 65).split(b"\0")[0] for i in range(6)]
    assert fields[0] == b"Linux" and fields[4] == b"riscv64"
    assert fields[2].split(b".")[0].isdigit()
    link = g.put(bytes(256))
    n = g("readlinkat", AT_FDCWD, g.s("/proc/self/exe"), link, 256)
    assert g.read(link, n) == os.fsencode(os.path.realpath(elf))


def test_unknown_and_unsupported_syscalls_are_counted(elf):
    g = Guest(elf)
    assert call(g.p, 1000) == -ENOSYS
    assert call(g.p, 220, 17, 0, 0, 0, 0) == -ENOSYS           # clone without CLONE_VM: fork
    assert call(g.p, 1000) == -ENOSYS
    assert g.p.unknown_syscalls == {"syscall_1000": 2}
    assert g.p.unsupported == {"fork": 1} and "fork" in g.p.notes["fork"]
    assert g("rseq", 0, 0, 0, 0) == -ENOSYS                     # known: glibc copes
    assert g("riscv_hwprobe", 0, 0, 0, 0, 0) == 0                # no pairs: nothing to do
    assert "rseq" not in g.p.unknown_syscalls
    assert g.p.syscall_counts["clone"] == 1 and g.p.syscall_counts["mmap"] == 1


def test_riscv_hwprobe_reports_the_hart_extensions(elf):
    """Keys and bits of Linux's uapi asm/hwprobe.h: IMA_EXT_0 bit 0 FD, 1 C, 3 Zba, 4 Zbb,
    5 Zbs, 6 Zicboz, 7 Zbc, 8 Zbkb, 29 Zihintntl, 35 Zicond, 36 Zihintpause; an unknown key
    comes back as -1 with value 0; flags other than 0 are EINVAL."""
    from cyclesim.isa.extensions import HartIsa
    g = Guest(elf, isa=HartIsa("rv64gc_zba_zbb_zicboz_zicond"))
    g.p.cbo_block_size = 64
    keys = [3, 4, 5, 6, 99, 0]
    pairs = g.put(b"".join(struct.pack("<qQ", k, 0xDEAD) for k in keys))
    assert g("riscv_hwprobe", pairs, len(keys), 0, 0, 0) == 0
    got = [struct.unpack("<qQ", g.read(pairs + 16 * i, 16)) for i in range(len(keys))]
    ext0 = 1 | 2 | 1 << 3 | 1 << 4 | 1 << 6 | 1 << 35
    assert got == [(3, 1), (4, ext0), (5, 3), (6, 64), (-1, 0), (0, 0)]
    assert g("riscv_hwprobe", pairs, 1, 0, 0, 1) == -22
    full = HartIsa()
    assert full.hwprobe(4, 64) == (1 | 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7
                                   | 1 << 8 | 1 << 27 | 1 << 28 | 1 << 29 | 1 << 32
                                       | 1 << 35 | 1 << 36)     # + zfh, zfhmin, zfa
    assert HartIsa("rv64gc").hwprobe(6, 64) == 0               # no Zicboz: no block size


def test_exit_and_signals(elf):
    g = Guest(elf)
    g("exit_group", 300)
    assert g.p.exited and g.p.exit_code == 300 & 0xFF and g.p.signal is None
    assert g.p.status == "exited with code 44"

    g = Guest(elf)
    pid = g("getpid")
    act = g.put(struct.pack("<QQQ", 1, 0, 0))                   # SIG_IGN for SIGUSR1
    assert g("rt_sigaction", 10, act, 0, 8) == 0
    assert g("kill", pid, 10) == 0 and not g.p.exited
    assert g("kill", pid + 1, 6) == -3                          # ESRCH: no such process
    g("tgkill", pid, pid, 6)
    assert g.p.exited and g.p.signal == "SIGABRT" and g.p.exit_code is None
    assert g.p.status == "killed by signal SIGABRT"


def test_futex_single_thread(elf):
    """The single-thread answers; waking and timeouts are in tests/process/test_threads.py."""
    g = Guest(elf)
    word = g.put(struct.pack("<I", 5))
    assert g("futex", word, 128, 4, 0, 0, 0) == -EAGAIN         # value differs
    assert g("futex", word, 129, 1, 0, 0, 0) == 0               # WAKE: nobody waits
    assert g.p.current.state == "running"
    g("futex", word, 128, 5, 0, 0, 0)                           # the thread now waits
    assert g.p.current.state == "waiting" and g.p.current.futex == (word, 0xFFFFFFFF)



def test_syscall_table_matches_the_toolchain_header():
    """Every __NR_ the cross toolchain's <asm/unistd.h> defines has that name in our table."""
    import subprocess

    from cyclesim.process.syscall_names import SYSCALL_NAMES
    out = subprocess.run(["riscv64-linux-gnu-gcc", "-E", "-dM", "-"], input="#include <asm/unistd.h>\n",
                         capture_output=True, text=True, check=True).stdout
    macros = dict(line.split(None, 2)[1:] for line in out.splitlines()
                  if line.startswith("#define __NR") and len(line.split(None, 2)) == 3)

    def value(v):
        v = v.strip()
        if v.isdigit():
            return int(v)
        if v in macros:
            return value(macros[v])
        if v.startswith("(") and "+" in v:
            a, b = v.strip("()").split("+")
            return value(a) + value(b)
        return None
    checked = 0
    for macro, v in macros.items():
        if not macro.startswith("__NR_") or macro in ("__NR_syscalls", "__NR_arch_specific_syscall"):
            continue
        number = value(v)
        if number is not None:
            assert SYSCALL_NAMES[number] == macro[len("__NR_"):], macro
            checked += 1
    assert checked > 250


def test_echo_to_a_text_only_stream(elf, monkeypatch):
    """Jupyter's streams take text only: echo decodes what the guest writes."""
    import io
    import sys
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    g = Guest(elf, echo=True)
    assert g("write", 1, g.put("héllo\n".encode()), 7) == 7
    assert stream.getvalue() == "héllo\n"
    assert g.p.stdout == "héllo\n".encode()


def test_bad_options_are_refused_with_a_clear_message(elf, tmp_path):
    from cyclesim.errors import ConfigError
    with pytest.raises(ConfigError, match="allow_read"):
        Process(elf, allow_read=[tmp_path / "missing"])
    with pytest.raises(ConfigError, match="allow_write"):
        Process(elf, allow_write=tmp_path / "missing")
    with pytest.raises(ConfigError, match="stdin"):
        Process(elf, stdin="text")
    with pytest.raises(ConfigError, match="argv"):
        Process(elf, argv="prog arg")
    with pytest.raises(ConfigError, match="NUL"):
        Process(elf, env={"A": "x\0y"})
    with pytest.raises(ConfigError, match="mem_limit"):
        Process(elf, mem_limit=1000)
