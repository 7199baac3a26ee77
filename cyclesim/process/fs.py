"""Files the guest sees: the sandbox that decides which host paths it may open, the
open-file objects behind its descriptors, and the descriptor table.

Guest paths name host paths (one namespace), but a path is usable only when its fully
resolved form (symlinks and `..` gone, `os.path.realpath`) lies under a directory the user
allowed: `allow_read` directories read-only, the `allow_write` directory read-write.
Anything else does not exist for the guest (ENOENT); a visible file opened for writing
outside the writable directory gives EACCES. Each refusal of a path that exists on the host
is recorded (`Sandbox.denied`), so the user can be told why the guest did not find it.
The guest starts in the user's working directory, so relative paths mean what they meant
on the command line.

One exception to the single namespace: `/tmp` is the guest's own, a private, writable
host directory with a size cap (`TmpQuota`), except where an allowed directory lies under
the host's /tmp (that directory stays visible at its own path). Host descriptors never
reach the guest: guest descriptor numbers index our own table.
"""
from __future__ import annotations

import errno as _host_errno
import os
import stat as _stat
import struct

from cyclesim.errors import ConfigError

# Linux (asm-generic) errno values the emulation returns.
EPERM, ENOENT, ESRCH, EINTR, EIO, EBADF, ECHILD, EAGAIN, ENOMEM, EACCES = (
    1, 2, 3, 4, 5, 9, 10, 11, 12, 13)
EFAULT, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE = (
    14, 16, 17, 18, 19, 20, 21, 22, 23, 24)
ENOTTY, EFBIG, ENOSPC, ESPIPE, EROFS, EPIPE, ERANGE, ENAMETOOLONG, ENOSYS, ENOTEMPTY = (
    25, 27, 28, 29, 30, 32, 34, 36, 38, 39)
ELOOP, ETIMEDOUT, EOPNOTSUPP = 40, 110, 95

# Host errno -> Linux errno, by name (the host may not be Linux).
_LINUX_ERRNO = {n: v for n, v in globals().items() if n.startswith("E") and isinstance(v, int)}


class GuestErrno(Exception):
    """A syscall fails with this (positive) Linux errno."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def host_errno(exc: OSError) -> GuestErrno:
    name = _host_errno.errorcode.get(exc.errno or 0, "EIO")
    return GuestErrno(_LINUX_ERRNO.get(name, EIO))


# Guest open(2) flags (asm-generic/fcntl.h).
O_ACCMODE, O_WRONLY, O_RDWR = 3, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK = 0o100, 0o200, 0o400, 0o1000, 0o2000, 0o4000
O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH = 0o200000, 0o400000, 0o2000000, 0o10000000
O_TMPFILE = 0o20000000 | O_DIRECTORY

S_IFIFO, S_IFCHR, S_IFDIR, S_IFREG = 0o010000, 0o020000, 0o040000, 0o100000
GUEST_UID = GUEST_GID = 1000
MAX_FDS = 1024

# struct stat of riscv64 (asm-generic/stat.h): 128 bytes.
_STAT = struct.Struct("<QQIIIIQQqiiqqQqQqQII")


def pack_stat(st: dict) -> bytes:
    return _STAT.pack(st["dev"], st["ino"], st["mode"], st["nlink"], GUEST_UID, GUEST_GID,
                      st["rdev"], 0, st["size"], st["blksize"], 0, st["blocks"],
                      st["atime"], st["atime_ns"], st["mtime"], st["mtime_ns"],
                      st["ctime"], st["ctime_ns"], 0, 0)


def pack_statx(st: dict) -> bytes:
    """struct statx (256 bytes) with the basic fields (STATX_BASIC_STATS)."""
    def ts(sec, ns):
        return struct.pack("<qIi", sec, ns, 0)
    head = struct.pack("<IIQIIIHHQQQQ", 0x7FF, st["blksize"], 0, st["nlink"], GUEST_UID,
                       GUEST_GID, st["mode"], 0, st["ino"], st["size"], st["blocks"], 0)
    times = (ts(st["atime"], st["atime_ns"]) + ts(st["ctime"], st["ctime_ns"])
             + ts(st["ctime"], st["ctime_ns"]) + ts(st["mtime"], st["mtime_ns"]))
    rdev, dev = st["rdev"], st["dev"]
    tail = struct.pack("<IIII", os.major(rdev), os.minor(rdev), os.major(dev), os.minor(dev))
    out = head + times + tail
    return out + bytes(256 - len(out))


def stat_of_host(s: os.stat_result) -> dict:
    return {"dev": s.st_dev, "ino": s.st_ino, "mode": s.st_mode, "nlink": s.st_nlink,
            "rdev": s.st_rdev, "size": s.st_size, "blksize": 4096,
            "blocks": getattr(s, "st_blocks", (s.st_size + 511) // 512),
            "atime": int(s.st_atime), "atime_ns": s.st_atime_ns % 10**9,
            "mtime": int(s.st_mtime), "mtime_ns": s.st_mtime_ns % 10**9,
            "ctime": int(s.st_ctime), "ctime_ns": s.st_ctime_ns % 10**9}


def _virtual_stat(mode: int, ino: int, rdev: int = 0) -> dict:
    return {"dev": 0x10, "ino": ino, "mode": mode, "nlink": 1, "rdev": rdev, "size": 0,
            "blksize": 4096, "blocks": 0, "atime": 0, "atime_ns": 0, "mtime": 0,
            "mtime_ns": 0, "ctime": 0, "ctime_ns": 0}


# -- open files ---------------------------------------------------------------------------

class OpenFile:
    """An open file description; several descriptors may share one (dup)."""
    readable = False
    writable = False
    seekable = False
    path = ""

    def __init__(self):
        self.refs = 0
        self.status_flags = 0       # O_APPEND / O_NONBLOCK as F_GETFL reports them

    def read(self, n: int) -> bytes:
        raise GuestErrno(EBADF if not self.readable else EINVAL)

    def write(self, data: bytes) -> int:
        raise GuestErrno(EBADF if not self.writable else EINVAL)

    def pread(self, n: int, offset: int) -> bytes:
        raise GuestErrno(ESPIPE if self.readable else EBADF)

    def pwrite(self, data: bytes, offset: int) -> int:
        raise GuestErrno(ESPIPE if self.writable else EBADF)

    def lseek(self, offset: int, whence: int) -> int:
        raise GuestErrno(ESPIPE)

    def stat(self) -> dict:
        raise NotImplementedError

    def close(self) -> None:
        pass


class StdinFile(OpenFile):
    """The guest's standard input, read like a pipe: given bytes, or a host stream (a pipe,
    a file, a terminal) read only as the guest asks, never whole into memory.

    From a stream that is not a terminal a read returns `n` bytes unless the input ends
    first, however the host delivered them, so the guest's instruction count does not
    depend on the host's pipe timing. From a terminal a read returns what one host read
    gives (a line), as Linux does.
    """
    readable = True

    def __init__(self, data=b""):
        super().__init__()
        self.source = None          # host stream still to be read, or None
        self.tty = False
        if isinstance(data, (bytes, bytearray, memoryview)):
            self.data = bytes(data)
        else:
            self.source = data
            self.data = b""
            try:
                self.tty = os.isatty(data.fileno())
            except (AttributeError, OSError, ValueError):
                self.tty = False
        self.pos = 0

    def _pull(self, n: int) -> bytes:
        try:
            fileno = self.source.fileno()
        except (AttributeError, OSError, ValueError):
            fileno = None
        try:
            if fileno is not None:
                return os.read(fileno, n)
            chunk = self.source.read(n)
            return chunk.encode() if isinstance(chunk, str) else bytes(chunk or b"")
        except OSError as e:
            raise host_errno(e) from None

    def read(self, n):
        if self.pos < len(self.data) or self.source is None:
            chunk = self.data[self.pos:self.pos + n]
            self.pos += len(chunk)
            return chunk
        parts, want = [], n
        while want > 0:
            chunk = self._pull(want)
            if not chunk:
                self.source = None          # end of input: later reads return 0
                break
            parts.append(chunk)
            want -= len(chunk)
            if self.tty:
                break
        return b"".join(parts)

    def remaining(self) -> bytes:
        """Everything not yet read (draining a host stream); afterwards the file holds
        exactly that, unread. A checkpoint saves this."""
        rest = self.data[self.pos:]
        if self.source is not None:
            parts = [rest]
            while True:
                chunk = self._pull(1 << 20)
                if not chunk:
                    break
                parts.append(chunk)
            rest = b"".join(parts)
            self.source = None
        self.data, self.pos = rest, 0
        return rest

    def stat(self):
        return _virtual_stat(S_IFIFO | 0o600, 1)


class OutputFile(OpenFile):
    """stdout or stderr: streamed to a host stream when echoing, and kept up to a cap
    (cyclesim.process.output). echo is False, True (to the host's stream of the same
    name) or "stderr" (both streams to the host's stderr, e.g. under --json)."""
    writable = True

    def __init__(self, which: str, echo, limit: int | None = None):
        from cyclesim.process.output import DEFAULT_OUTPUT_LIMIT, OutputCapture

        super().__init__()
        self.which = which
        self.capture = OutputCapture(DEFAULT_OUTPUT_LIMIT if limit is None else limit)
        self.echo = echo
        self.status_flags = O_WRONLY

    @property
    def buffer(self) -> bytes:
        """The kept bytes (the first `limit` written)."""
        return self.capture.getvalue()

    @buffer.setter
    def buffer(self, data) -> None:
        self.capture.restore(data)

    def write(self, data):
        from cyclesim.process.output import echo_to

        self.capture.write(data)
        if self.echo:
            echo_to("stderr" if self.echo == "stderr" else self.which, data)
        return len(data)

    def stat(self):
        return _virtual_stat(S_IFIFO | 0o600, 2 if self.which == "stdout" else 3)


class DeviceFile(OpenFile):
    """/dev/null, /dev/zero, /dev/full, /dev/urandom: the character devices programs
    commonly open. /dev/full reads as zeros and refuses every write with ENOSPC (Linux's
    drivers/char/mem.c), which is how programs test their handling of a full disk."""
    readable = writable = True
    seekable = True

    def __init__(self, path: str, rdev: int, rng=None):
        super().__init__()
        self.path = path
        self.rdev = rdev
        self.rng = rng

    def read(self, n):
        if self.path == "/dev/null":
            return b""
        if self.rng is not None:
            return self.rng.randbytes(n)
        return bytes(n)

    def pread(self, n, offset):
        return self.read(n)

    def write(self, data):
        if self.path == "/dev/full":
            raise GuestErrno(ENOSPC)
        return len(data)

    def pwrite(self, data, offset):
        return self.write(data)

    def lseek(self, offset, whence):
        return 0

    def stat(self):
        return _virtual_stat(S_IFCHR | 0o666, 0x100 + self.rdev, self.rdev)


class HostFile(OpenFile):
    """A regular file of the host, opened through the sandbox."""
    seekable = True

    def __init__(self, fd: int, path: str, readable: bool, writable: bool, append: bool,
                 quota: TmpQuota | None = None):
        super().__init__()
        self.fd = fd
        self.path = path
        self.readable = readable
        self.writable = writable
        self.status_flags = ((O_RDWR if readable else O_WRONLY) if writable else 0) | (
            O_APPEND if append else 0)
        self.quota = quota              # set for a file in the guest's private /tmp
        if quota is not None:
            quota.opened(self)

    def _io(self, fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            raise host_errno(e) from None

    def read(self, n):
        if not self.readable:
            raise GuestErrno(EBADF)
        return self._io(os.read, self.fd, n)

    def write(self, data):
        if not self.writable:
            raise GuestErrno(EBADF)
        if self.quota is None:
            return self._io(os.write, self.fd, data)
        append = bool(self.status_flags & O_APPEND)
        data = self.quota.admit(self, data, None if append else
                                self._io(os.lseek, self.fd, 0, os.SEEK_CUR), append)
        n = self._io(os.write, self.fd, data)
        self.quota.update(self)
        return n

    def pread(self, n, offset):
        if not self.readable:
            raise GuestErrno(EBADF)
        return self._io(os.pread, self.fd, n, offset)

    def pwrite(self, data, offset):
        if not self.writable:
            raise GuestErrno(EBADF)
        if self.quota is None:
            return self._io(os.pwrite, self.fd, data, offset)
        data = self.quota.admit(self, data, offset, False)
        n = self._io(os.pwrite, self.fd, data, offset)
        self.quota.update(self)
        return n

    def lseek(self, offset, whence):
        if whence not in (0, 1, 2):
            raise GuestErrno(EINVAL)
        return self._io(os.lseek, self.fd, offset, whence)

    def truncate(self, length):
        if not self.writable:
            raise GuestErrno(EINVAL)
        if self.quota is not None:
            self.quota.admit_size(self, length)
        self._io(os.ftruncate, self.fd, length)
        if self.quota is not None:
            self.quota.update(self)

    def stat(self):
        return stat_of_host(self._io(os.fstat, self.fd))

    def close(self):
        if self.fd >= 0:
            if self.quota is not None:
                self.quota.closing(self)
            os.close(self.fd)
            self.fd = -1


class TmpQuota:
    """The size cap of the guest's private /tmp, as tmpfs's size= option: bytes of every
    file there (open or unlinked-but-open too), counted per inode. A write that would pass
    the cap writes what fits, then fails with ENOSPC, as on a full tmpfs."""

    def __init__(self, limit: int):
        self.limit = int(limit)
        self.sizes: dict[int, int] = {}     # inode -> bytes
        self.open: dict[int, int] = {}      # inode -> open descriptions

    def used(self) -> int:
        return sum(self.sizes.values())

    def _stat(self, f):
        try:
            return os.fstat(f.fd)
        except OSError as e:
            raise host_errno(e) from None

    def opened(self, f) -> None:
        st = self._stat(f)
        self.open[st.st_ino] = self.open.get(st.st_ino, 0) + 1
        self.sizes[st.st_ino] = st.st_size

    def closing(self, f) -> None:
        st = self._stat(f)
        left = self.open.get(st.st_ino, 1) - 1
        if left:
            self.open[st.st_ino] = left
        else:
            self.open.pop(st.st_ino, None)
            if st.st_nlink == 0:            # unlinked while open: the space is free now
                self.sizes.pop(st.st_ino, None)

    def admit(self, f, data: bytes, offset, append: bool) -> bytes:
        """The part of `data` that fits when written at `offset` (None: at the end)."""
        st = self._stat(f)
        start = st.st_size if append or offset is None else offset
        room = self.limit - (self.used() - self.sizes.get(st.st_ino, st.st_size))
        fits = max(0, room - start) if start + len(data) > st.st_size else len(data)
        if fits <= 0 and data:
            raise GuestErrno(ENOSPC)
        return data[:fits]

    def admit_size(self, f, length: int) -> None:
        st = self._stat(f)
        if length > st.st_size and self.used() - st.st_size + length > self.limit:
            raise GuestErrno(ENOSPC)

    def update(self, f) -> None:
        self.sizes[self._stat(f).st_ino] = self._stat(f).st_size

    def removed(self, ino: int) -> None:
        """A name of inode `ino` was unlinked or replaced; free it unless still open."""
        if ino not in self.open:
            self.sizes.pop(ino, None)


class DirectoryFile(OpenFile):
    """A directory opened for reading its entries (getdents64) or as a dirfd."""
    seekable = True

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.entries = None
        self.pos = 0

    def read(self, n):
        raise GuestErrno(EISDIR)

    def lseek(self, offset, whence):
        if whence == 0 and offset >= 0:
            self.pos = offset
            return offset
        raise GuestErrno(EINVAL)

    def stat(self):
        try:
            return stat_of_host(os.stat(self.path))
        except OSError as e:
            raise host_errno(e) from None

    def dirents(self, size: int) -> bytes:
        """struct linux_dirent64 records fitting in `size` bytes, from the current entry;
        names are sorted so every run sees the same order."""
        if self.entries is None:
            try:
                names = sorted(os.listdir(self.path))
            except OSError as e:
                raise host_errno(e) from None
            self.entries = [(".", 4), ("..", 4)]
            for name in names:
                full = os.path.join(self.path, name)
                kind = 10 if os.path.islink(full) else 4 if os.path.isdir(full) else (
                    8 if os.path.isfile(full) else 0)
                self.entries.append((name, kind))
        out = bytearray()
        while self.pos < len(self.entries):
            name, kind = self.entries[self.pos]
            raw = os.fsencode(name) + b"\0"
            reclen = (19 + len(raw) + 7) & ~7
            if len(out) + reclen > size:
                if not out:
                    raise GuestErrno(EINVAL)
                break
            rec = struct.pack("<QqHB", self.pos + 1, self.pos + 1, reclen, kind) + raw
            out += rec + bytes(reclen - len(rec))
            self.pos += 1
        return bytes(out)


# -- the sandbox --------------------------------------------------------------------------

DEVICES = {"/dev/null": 3, "/dev/zero": 5, "/dev/full": 7, "/dev/urandom": 9, "/dev/random": 8}


class Sandbox:
    """Decides what the guest may see and change on the host file system.

    `cwd` is the guest's starting directory (default: the host process's working
    directory, so `data/x` means what it meant to the user). `tmp_dir` is the host
    directory behind the guest's private /tmp (None: no private /tmp), capped at
    `tmp_size` bytes.
    """

    DENIED_KEPT = 8             # paths remembered of the refused ones (all are counted)

    def __init__(self, allow_read=(), allow_write=None, cwd=None, tmp_dir=None,
                 tmp_size: int = 64 << 20):
        if isinstance(allow_read, (str, bytes, os.PathLike)):
            allow_read = [allow_read]
        self.read_roots = [self._root(d, "allow_read") for d in allow_read]
        self.write_root = None if allow_write is None else self._root(allow_write,
                                                                      "allow_write")
        self.cwd = os.path.realpath(os.fspath(cwd) if cwd is not None else os.getcwd())
        self.start_cwd = self.cwd
        self.tmp_root = None if tmp_dir is None else os.path.realpath(os.fspath(tmp_dir))
        self.tmp_quota = None if tmp_dir is None else TmpQuota(tmp_size)
        self.denied_count = 0
        self.denied: list[tuple[str, str]] = []    # (guest path, "read" or "write")

    @staticmethod
    def _root(d, what) -> str:
        path = os.fsdecode(os.fspath(d))
        if not os.path.isdir(path):
            raise ConfigError(f"{what} entry {path!r} is not an existing directory; give "
                              f"directories the program may use")
        return os.path.realpath(path)

    @staticmethod
    def _under(path: str, root: str) -> bool:
        return path == root or path.startswith(root.rstrip("/") + "/")

    def access(self, resolved: str) -> str | None:
        """'rw', 'r' or None (invisible) for a resolved host path."""
        if self.tmp_root is not None and self._under(resolved, self.tmp_root):
            return "rw"
        if self.write_root is not None and self._under(resolved, self.write_root):
            return "rw"
        if any(self._under(resolved, r) for r in self.read_roots):
            return "r"
        return None

    def in_tmp(self, host_path: str) -> bool:
        return self.tmp_root is not None and self._under(host_path, self.tmp_root)

    def _visible_in_host_tmp(self, path: str) -> bool:
        """True for a path under the host's /tmp that keeps its host meaning: in an
        allowed directory or in the starting directory (whose files the user named)."""
        roots = self.read_roots + ([self.write_root] if self.write_root else [])
        if self.start_cwd.startswith("/tmp/"):
            roots.append(self.start_cwd)
        return any(self._under(path, r) for r in roots)

    def to_guest(self, host_path: str) -> str:
        """The path the guest knows a host path by (inside the private /tmp: /tmp/...)."""
        if self.in_tmp(host_path):
            return "/tmp" + host_path[len(self.tmp_root):]
        return host_path

    def lexical(self, path: str, base: str) -> str:
        """The absolute host path a guest path names, before resolving symlinks."""
        if not path:
            raise GuestErrno(ENOENT)
        if len(path) >= 4096:
            raise GuestErrno(ENAMETOOLONG)
        full = path if path.startswith("/") else os.path.join(base, path)
        if self.tmp_root is None:
            return full
        # In the guest's view: `..` out of a directory of the private /tmp leaves /tmp.
        guest = os.path.normpath(self.to_guest(full)) if self.in_tmp(full) else full
        plain = "/" + os.path.normpath(guest).lstrip("/")
        if self._under(plain, "/tmp") and not self._visible_in_host_tmp(plain):
            return self.tmp_root + plain[len("/tmp"):]
        return guest

    def resolve(self, path: str, base: str) -> tuple[str, str | None]:
        """(resolved host path, access) for a guest path relative to directory `base`."""
        full = self.lexical(path, base)
        try:
            resolved = os.path.realpath(full)
        except (OSError, ValueError):
            raise GuestErrno(ENOENT) from None
        return resolved, self.access(resolved)

    def deny(self, host_path: str, how: str) -> None:
        """Record that the guest was refused `host_path` ("read": it was hidden, "write":
        it is read-only to the guest). Paths that do not exist on the host are not
        refusals and are not recorded."""
        if how == "read" and not os.path.lexists(host_path):
            return
        self.denied_count += 1
        entry = (self.to_guest(host_path), how)
        if len(self.denied) < self.DENIED_KEPT and entry not in self.denied:
            self.denied.append(entry)


class FdTable:
    """Guest descriptor numbers -> open files; lowest free number first, as POSIX says."""

    def __init__(self):
        self.files: dict[int, OpenFile] = {}
        self.cloexec: dict[int, bool] = {}

    def get(self, fd: int) -> OpenFile:
        f = self.files.get(fd)
        if f is None:
            raise GuestErrno(EBADF)
        return f

    def install(self, f: OpenFile, lowest: int = 0, cloexec: bool = False,
                fd: int | None = None) -> int:
        if fd is None:
            fd = lowest
            while fd in self.files:
                fd += 1
        if fd >= MAX_FDS:
            raise GuestErrno(EMFILE)
        if fd in self.files:
            self.close(fd)
        f.refs += 1
        self.files[fd] = f
        self.cloexec[fd] = cloexec
        return fd

    def close(self, fd: int) -> None:
        f = self.files.pop(fd, None)
        if f is None:
            raise GuestErrno(EBADF)
        self.cloexec.pop(fd, None)
        f.refs -= 1
        if f.refs == 0:
            f.close()

    def close_all(self) -> None:
        for fd in list(self.files):
            self.close(fd)


def is_dir_mode(mode: int) -> bool:
    return _stat.S_ISDIR(mode)
