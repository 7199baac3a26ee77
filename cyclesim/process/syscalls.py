"""System call handlers of the process model, one method `sys_<name>` per call (names as in
syscall_names.py). Arguments arrive as unsigned 64-bit ints; a handler returns the result
or raises GuestErrno; a bad guest pointer surfaces as MemoryFault, which the dispatcher
turns into EFAULT. Process (kernel.py) supplies the state these methods use.
"""
from __future__ import annotations

import os
import struct

from cyclesim.process import fs, signals
from cyclesim.process.fs import DEVICES, DeviceFile, DirectoryFile, GuestErrno, HostFile, host_errno
from cyclesim.process.memory import MemoryFault, MemoryLimitExceeded
from cyclesim.process.vm import MAP_ANONYMOUS, MAP_SHARED, PAGE, page_up

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EACCESS, AT_EMPTY_PATH = 0x100, 0x200, 0x200, 0x1000
EPOCH_REALTIME = 1767225600            # 2026-01-01T00:00:00Z: CLOCK_REALTIME at cycle 0
RLIM_INFINITY = (1 << 64) - 1
NO_RESULT = object()                   # rt_sigreturn restores a0 instead of setting it
_UTS = ("Linux", "cyclesim", "6.1.0", "#1 SMP PREEMPT_DYNAMIC cyclesim", "riscv64", "(none)")


def s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def s64(v: int) -> int:
    return v - (1 << 64) if v & (1 << 63) else v


class SyscallHandlers:
    # -- helpers -----------------------------------------------------------------------
    def _str(self, addr: int) -> str:
        if addr == 0:
            raise GuestErrno(fs.EFAULT)
        return os.fsdecode(self.memory.read_cstring(addr, 4096))

    def _base(self, dirfd: int, path: str) -> str:
        """Directory a relative path is taken from (the cwd or an open directory)."""
        if path.startswith("/"):
            return "/"
        dirfd = s32(dirfd)
        if dirfd == AT_FDCWD:
            return self.sandbox.cwd
        f = self.files.get(dirfd)
        if not isinstance(f, DirectoryFile):
            raise GuestErrno(fs.ENOTDIR)
        return f.path

    def _lexical(self, dirfd: int, path: str) -> str:
        return os.path.normpath(self.sandbox.lexical(path, self._base(dirfd, path)))

    def _resolve(self, dirfd: int, path: str, follow: bool = True) -> tuple[str, str | None]:
        """(host path, access) for a guest path; without follow the last component is not
        resolved (lstat, readlink, unlink work on the link itself)."""
        base = self._base(dirfd, path)
        lex = self.sandbox.lexical(path, base)
        name = os.path.basename(lex.rstrip("/"))
        if follow or name in ("", ".", "..") or lex.endswith("/"):
            return self.sandbox.resolve(path, base)
        parent = os.path.realpath(os.path.dirname(lex.rstrip("/")))
        target = os.path.join(parent, name)
        return target, self.sandbox.access(target)

    def _put(self, addr: int, data: bytes) -> None:
        self.memory.write(addr, data)

    # -- process and exit --------------------------------------------------------------
    def sys_rseq(self, *_):
        return -fs.ENOSYS           # glibc then runs without restartable sequences

    def sys_riscv_hwprobe(self, pairs, count, cpusetsize, cpus, flags, *_):
        """Fill each {s64 key; u64 value} pair from the hart's extensions (one hart, so the
        cpu set changes nothing); an unknown key becomes -1, as Linux does."""
        if flags != 0:
            return -fs.EINVAL
        for i in range(count):
            addr = pairs + 16 * i
            key = struct.unpack("<q", self.memory.read(addr, 8))[0]
            value = self.isa.hwprobe(key, self.cbo_block_size)
            if value is None:
                key, value = -1, 0
            self._put(addr, struct.pack("<qQ", key, value))
        return 0

    def sys_riscv_flush_icache(self, *_):
        return 0                    # stores to code already invalidate decoded instructions

    def sys_getpid(self, *_):
        return self.pid

    def sys_getppid(self, *_):
        return self.ppid

    def sys_getuid(self, *_):
        return self.uid

    sys_geteuid = sys_getuid

    def sys_getgid(self, *_):
        return self.gid

    sys_getegid = sys_getgid

    def sys_sysinfo(self, buf, *_):
        """struct sysinfo (112 bytes): qsort and sysconf(_SC_PHYS_PAGES) read it."""
        total = self.memory.limit
        free = max(0, total - self.memory.bytes_allocated)
        self._put(buf, struct.pack("<q3Q6QHHiQQI4x", self.now_ns() // 10**9, 0, 0, 0, total,
                                   free, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))
        return 0

    def sys_getrusage(self, who, buf, *_):
        """struct rusage (144 bytes): user time is the simulated time; max RSS is the
        guest memory in use, in KiB."""
        if s32(who) not in (0, -1, 1):              # SELF, CHILDREN, THREAD
            return -fs.EINVAL
        t = self.now_ns() if s32(who) != -1 else 0
        rss = self.memory.bytes_allocated // 1024 if s32(who) != -1 else 0
        self._put(buf, struct.pack("<qqqq", t // 10**9, t % 10**9 // 1000, 0, 0)
                  + struct.pack("<q", rss) + bytes(144 - 40))
        return 0

    def sys_umask(self, mask, *_):
        old, self.umask = self.umask, mask & 0o777
        return old

    def sys_uname(self, buf, *_):
        self._put(buf, b"".join(s.encode().ljust(65, b"\0") for s in _UTS))
        return 0

    def sys_prlimit64(self, pid, resource, new, old, *_):
        if s32(pid) not in (0, self.pid):
            return -fs.ESRCH
        if resource not in self.rlimits:
            return -fs.EINVAL
        if old:
            self._put(old, struct.pack("<QQ", *self.rlimits[resource]))
        if new:
            cur, mx = struct.unpack("<QQ", self.memory.read(new, 16))
            if cur > mx:
                return -fs.EINVAL
            self.rlimits[resource] = (cur, mx)
        return 0

    def sys_getrlimit(self, resource, buf, *_):
        return self.sys_prlimit64(0, resource, 0, buf)

    def sys_setrlimit(self, resource, buf, *_):
        return self.sys_prlimit64(0, resource, buf, 0)

    def sys_getrandom(self, buf, count, flags, *_):
        count = min(count, 1 << 25)
        self._put(buf, self.rng.randbytes(count))
        return count

    # -- signals -----------------------------------------------------------------------
    def sys_rt_sigaction(self, signo, act, oldact, sigsetsize, *_):
        if sigsetsize != 8 or not 1 <= signo <= 64:
            return -fs.EINVAL
        if act and signo in (9, 19):
            return -fs.EINVAL
        if oldact:
            self._put(oldact, self.sigactions.get(signo, bytes(24)))
        if act:
            self.sigactions[signo] = self.memory.read(act, 24)
        return 0

    def sys_rt_sigprocmask(self, how, new, old, sigsetsize, *_):
        if sigsetsize != 8:
            return -fs.EINVAL
        if old:
            self._put(old, self.sigmask.to_bytes(8, "little"))
        if new:
            mask = int.from_bytes(self.memory.read(new, 8), "little")
            if how == 0:
                self.sigmask |= mask
            elif how == 1:
                self.sigmask &= ~mask
            elif how == 2:
                self.sigmask = mask
            else:
                return -fs.EINVAL
            self.sigmask &= ~((1 << 8) | (1 << 18))     # SIGKILL, SIGSTOP never blocked
        return 0

    def sys_sigaltstack(self, new, old, *_):
        if old:
            cur = self.altstack if any(self.altstack) else struct.pack("<QiiQ", 0, 2, 0, 0)
            self._put(old, cur)
        if new:
            self.altstack = self.memory.read(new, 24)
        return 0

    def _signal(self, signo: int) -> int:
        """Send a signal to ourselves: it becomes pending and is acted on when the syscall
        returns and the signal is not blocked (signals.deliver_pending)."""
        if signo == 0:
            return 0
        if not 1 <= signo <= 64:
            return -fs.EINVAL
        if not signals.ignored(self, signo):
            self.pending_signals |= 1 << (signo - 1)
        return 0

    def sys_rt_sigreturn(self, *_):
        try:
            signals.sigreturn(self, self._core)
        except MemoryLimitExceeded:
            raise
        except MemoryFault:
            self.kill(11)           # a frame that cannot be read: Linux sends SIGSEGV
        return NO_RESULT

    def sys_kill(self, pid, signo, *_):
        if s32(pid) not in (0, -1, self.pid):
            return -fs.ESRCH
        return self._signal(signo)

    # -- time --------------------------------------------------------------------------
    def _clock(self, clk: int) -> int:
        clk = s32(clk)
        t = self.now_ns()
        if clk in (0, 5, 8, 11):                        # REALTIME (+COARSE, ALARM), TAI
            return EPOCH_REALTIME * 10**9 + t
        if clk in (1, 2, 3, 4, 6, 7, 9) or clk < 0:     # MONOTONIC, CPU time, BOOTTIME...
            return t
        raise GuestErrno(fs.EINVAL)

    def sys_clock_gettime(self, clk, tp, *_):
        t = self._clock(clk)
        self._put(tp, struct.pack("<qq", t // 10**9, t % 10**9))
        return 0

    def sys_clock_getres(self, clk, res, *_):
        self._clock(clk)
        if res:
            self._put(res, struct.pack("<qq", 0, 1))
        return 0

    def sys_gettimeofday(self, tv, tz, *_):
        t = self._clock(0)
        if tv:
            self._put(tv, struct.pack("<qq", t // 10**9, t % 10**9 // 1000))
        if tz:
            self._put(tz, bytes(8))
        return 0

    def sys_times(self, buf, *_):
        ticks = self.now_ns() * 100 // 10**9
        if buf:
            self._put(buf, struct.pack("<qqqq", ticks, 0, 0, 0))
        return ticks

    # -- memory ------------------------------------------------------------------------
    def sys_brk(self, addr, *_):
        return self.vm.set_brk(addr)

    def sys_mmap(self, addr, length, prot, flags, fd, offset):
        flags &= 0xFFFFFFFF
        if prot & ~7:
            return -fs.EINVAL
        if flags & MAP_ANONYMOUS:
            return self.vm.mmap(addr, length, prot, flags)
        f = self.files.get(s32(fd))
        if isinstance(f, DeviceFile) and f.path == "/dev/zero":
            return self.vm.mmap(addr, length, prot, flags)
        if not isinstance(f, HostFile):
            return -fs.ENODEV
        if not f.readable:
            return -fs.EACCES
        if offset & (PAGE - 1):
            return -fs.EINVAL
        if flags & MAP_SHARED and prot & 2:
            # Writing through a shared mapping would have to reach the host file.
            self.unknown_syscalls["mmap(MAP_SHARED, PROT_WRITE) of a file"] += 1
            return -fs.ENODEV
        start = self.vm.mmap(addr, length, prot, flags)
        data = f.pread(min(length, 1 << 30), offset)
        if data:
            self.memory.write(start, data, check=False)
        return start

    def sys_munmap(self, addr, length, *_):
        self.vm.munmap(addr, length)
        return 0

    def sys_mprotect(self, addr, length, prot, *_):
        if prot & ~7 & 0xFFFFFFFF & ~0x3000000:         # PROT_GROWSDOWN/UP tolerated
            return -fs.EINVAL
        self.vm.mprotect(addr, length, prot)
        return 0

    def sys_mremap(self, old, old_len, new_len, flags, new_addr, *_):
        return self.vm.mremap(old, old_len, new_len, flags, new_addr)

    def sys_madvise(self, addr, length, advice, *_):
        if addr & (PAGE - 1):
            return -fs.EINVAL
        if advice == 4 and length:                      # MADV_DONTNEED: pages read as 0
            end = addr + page_up(length)
            if not self.vm.is_used(addr, end):
                return -fs.ENOMEM
            run, run_prot = addr, self.memory.prot_at(addr)
            for page in range(addr, end + PAGE, PAGE):
                prot = self.memory.prot_at(page) if page < end else -1
                if prot != run_prot:
                    if run_prot:
                        self.memory.map(run, page - run, run_prot)
                    run, run_prot = page, prot
        return 0

    # -- files: descriptors ------------------------------------------------------------
    def sys_close(self, fd, *_):
        self.files.close(s32(fd))
        return 0

    def sys_dup(self, fd, *_):
        return self.files.install(self.files.get(s32(fd)))

    def sys_dup3(self, old, new, flags, *_):
        old, new = s32(old), s32(new)
        if old == new or flags & ~fs.O_CLOEXEC or new < 0:
            return -fs.EINVAL
        f = self.files.get(old)
        return self.files.install(f, cloexec=bool(flags), fd=new)

    def sys_fcntl(self, fd, cmd, arg, *_):
        fd = s32(fd)
        f = self.files.get(fd)
        if cmd in (0, 1030):                            # F_DUPFD, F_DUPFD_CLOEXEC
            return self.files.install(f, lowest=s32(arg), cloexec=cmd == 1030)
        if cmd == 1:                                    # F_GETFD
            return 1 if self.files.cloexec.get(fd) else 0
        if cmd == 2:                                    # F_SETFD
            self.files.cloexec[fd] = bool(arg & 1)
            return 0
        if cmd == 3:                                    # F_GETFL
            return f.status_flags
        if cmd == 4:                                    # F_SETFL: only these may change
            keep = f.status_flags & ~(fs.O_APPEND | fs.O_NONBLOCK)
            f.status_flags = keep | (arg & (fs.O_APPEND | fs.O_NONBLOCK))
            return 0
        if cmd == 5:                                    # F_GETLK: nothing else locks
            self._put(arg, struct.pack("<h", 2))        # l_type = F_UNLCK
            return 0
        if cmd in (6, 7, 37, 38):                       # F_SETLK(W), OFD locks
            return 0
        if cmd in (8, 9):                               # F_SETOWN / F_GETOWN
            return 0
        return -fs.EINVAL

    def sys_ioctl(self, fd, request, arg, *_):
        self.files.get(s32(fd))
        return -fs.ENOTTY           # no descriptor is a terminal

    # -- files: data -------------------------------------------------------------------
    _MAX_IO = 1 << 26

    def sys_read(self, fd, buf, count, *_):
        data = self.files.get(s32(fd)).read(min(count, self._MAX_IO))
        self._put(buf, data)
        return len(data)

    def sys_write(self, fd, buf, count, *_):
        f = self.files.get(s32(fd))
        if not f.writable:
            return -fs.EBADF
        return f.write(self.memory.read(buf, min(count, self._MAX_IO)))

    def sys_pread64(self, fd, buf, count, offset, *_):
        if s64(offset) < 0:
            return -fs.EINVAL
        data = self.files.get(s32(fd)).pread(min(count, self._MAX_IO), offset)
        self._put(buf, data)
        return len(data)

    def sys_pwrite64(self, fd, buf, count, offset, *_):
        if s64(offset) < 0:
            return -fs.EINVAL
        f = self.files.get(s32(fd))
        return f.pwrite(self.memory.read(buf, min(count, self._MAX_IO)), offset)

    def _iovecs(self, iov, count):
        if count > 1024:
            raise GuestErrno(fs.EINVAL)
        raw = self.memory.read(iov, 16 * count)
        return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(count)]

    def sys_readv(self, fd, iov, count, *_):
        f = self.files.get(s32(fd))
        vecs = self._iovecs(iov, count)
        data = f.read(min(sum(n for _, n in vecs), self._MAX_IO))
        pos = 0
        for base, n in vecs:
            if pos >= len(data):
                break
            self._put(base, data[pos:pos + n])
            pos += n
        return len(data)

    def sys_writev(self, fd, iov, count, *_):
        f = self.files.get(s32(fd))
        if not f.writable:
            return -fs.EBADF
        parts, budget = [], self._MAX_IO
        for base, n in self._iovecs(iov, count):
            n = min(n, budget)
            parts.append(self.memory.read(base, n))
            budget -= n
        return f.write(b"".join(parts))

    def sys_lseek(self, fd, offset, whence, *_):
        return self.files.get(s32(fd)).lseek(s64(offset), whence)

    def sys_ftruncate(self, fd, length, *_):
        f = self.files.get(s32(fd))
        if not isinstance(f, HostFile):
            return -fs.EINVAL
        f.truncate(s64(length))
        return 0

    def sys_fsync(self, fd, *_):
        self.files.get(s32(fd))
        return 0

    sys_fdatasync = sys_fsync

    def sys_getdents64(self, fd, buf, count, *_):
        f = self.files.get(s32(fd))
        if not isinstance(f, DirectoryFile):
            return -fs.ENOTDIR
        data = f.dirents(count)
        self._put(buf, data)
        return len(data)

    # -- files: names ------------------------------------------------------------------
    def sys_openat(self, dirfd, path_addr, flags, mode, *_):
        path = self._str(path_addr)
        flags &= 0xFFFFFFFF
        cloexec = bool(flags & fs.O_CLOEXEC)
        lex = self._lexical(dirfd, path)
        if lex in DEVICES:
            dev = DeviceFile(lex, DEVICES[lex], self.rng if "random" in lex else None)
            return self.files.install(dev, cloexec=cloexec)
        if flags & fs.O_TMPFILE == fs.O_TMPFILE:
            return -fs.EOPNOTSUPP
        resolved, access = self._resolve(dirfd, path)
        if access is None:
            self.sandbox.deny(resolved, "read")
            return -fs.ENOENT
        if flags & fs.O_NOFOLLOW and os.path.islink(lex):
            return -fs.ELOOP
        accmode = flags & fs.O_ACCMODE
        writing = accmode in (fs.O_WRONLY, fs.O_RDWR) or flags & fs.O_TRUNC
        exists = os.path.exists(resolved)
        if not exists and not flags & fs.O_CREAT:
            return -fs.ENOENT
        if (writing or not exists) and access != "rw":
            self.sandbox.deny(resolved, "write")
            return -fs.EACCES
        if exists and os.path.isdir(resolved):
            if writing or flags & fs.O_CREAT and flags & fs.O_EXCL:
                return -fs.EISDIR if not flags & fs.O_EXCL else -fs.EEXIST
            return self.files.install(DirectoryFile(resolved), cloexec=cloexec)
        if flags & fs.O_DIRECTORY:
            return -fs.ENOTDIR if exists else -fs.ENOENT
        if exists and not os.path.isfile(resolved):
            return -fs.EACCES       # FIFOs and devices of the host stay out of reach
        host = {fs.O_WRONLY: os.O_WRONLY, fs.O_RDWR: os.O_RDWR}.get(accmode, os.O_RDONLY)
        for guest_bit, host_bit in ((fs.O_CREAT, os.O_CREAT), (fs.O_EXCL, os.O_EXCL),
                                    (fs.O_TRUNC, os.O_TRUNC), (fs.O_APPEND, os.O_APPEND)):
            if flags & guest_bit:
                host |= host_bit
        host |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            hfd = os.open(resolved, host, mode & 0o7777 & ~self.umask)
        except OSError as e:
            raise host_errno(e) from None
        quota = self.sandbox.tmp_quota if self.sandbox.in_tmp(resolved) else None
        f = HostFile(hfd, resolved, accmode in (0, fs.O_RDWR), accmode != 0,
                     bool(flags & fs.O_APPEND), quota)
        try:
            return self.files.install(f, cloexec=cloexec)
        except GuestErrno:
            f.close()
            raise

    def _stat_dict(self, dirfd, path_addr, flags) -> dict:
        path = self._str(path_addr)
        if not path:
            if not flags & AT_EMPTY_PATH:
                raise GuestErrno(fs.ENOENT)
            if s32(dirfd) == AT_FDCWD:
                return fs.stat_of_host(os.stat(self.sandbox.cwd))
            return self.files.get(s32(dirfd)).stat()
        lex = self._lexical(dirfd, path)
        if lex in DEVICES:
            return DeviceFile(lex, DEVICES[lex]).stat()
        target, access = self._resolve(dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if access is None:
            self.sandbox.deny(target, "read")
            raise GuestErrno(fs.ENOENT)
        try:
            st = os.stat(target) if not flags & AT_SYMLINK_NOFOLLOW else os.lstat(target)
        except OSError as e:
            raise host_errno(e) from None
        return fs.stat_of_host(st)

    def sys_fstat(self, fd, buf, *_):
        self._put(buf, fs.pack_stat(self.files.get(s32(fd)).stat()))
        return 0

    def sys_newfstatat(self, dirfd, path, buf, flags, *_):
        self._put(buf, fs.pack_stat(self._stat_dict(dirfd, path, flags)))
        return 0

    def sys_statx(self, dirfd, path, flags, mask, buf, *_):
        self._put(buf, fs.pack_statx(self._stat_dict(dirfd, path, flags)))
        return 0

    def sys_faccessat(self, dirfd, path_addr, mode, *_):
        return self.sys_faccessat2(dirfd, path_addr, mode, 0)

    def sys_faccessat2(self, dirfd, path_addr, mode, flags, *_):
        path = self._str(path_addr)
        lex = self._lexical(dirfd, path)
        if lex in DEVICES:
            return 0 if not mode & 1 else -fs.EACCES
        target, access = self._resolve(dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW)
        if access is None or not os.path.lexists(target):
            if access is None:
                self.sandbox.deny(target, "read")
            return -fs.ENOENT
        if mode & 2 and access != "rw":
            self.sandbox.deny(target, "write")
            return -fs.EACCES
        if mode & 1 and not os.access(target, os.X_OK):
            return -fs.EACCES
        return 0

    def sys_readlinkat(self, dirfd, path_addr, buf, size, *_):
        path = self._str(path_addr)
        if s64(size) <= 0:
            return -fs.EINVAL
        if self._lexical(dirfd, path) in ("/proc/self/exe", f"/proc/{self.pid}/exe"):
            target = self.path
        else:
            link, access = self._resolve(dirfd, path, follow=False)
            if access is None or not os.path.lexists(link):
                return -fs.ENOENT
            if not os.path.islink(link):
                return -fs.EINVAL
            target = os.readlink(link)
        data = os.fsencode(target)[:size]
        self._put(buf, data)
        return len(data)

    def sys_getcwd(self, buf, size, *_):
        data = os.fsencode(self.sandbox.to_guest(self.sandbox.cwd)) + b"\0"
        if size < len(data):
            return -fs.ERANGE
        self._put(buf, data)
        return len(data)

    def sys_chdir(self, path_addr, *_):
        resolved, access = self._resolve(AT_FDCWD, self._str(path_addr))
        if access is None or not os.path.exists(resolved):
            if access is None:
                self.sandbox.deny(resolved, "read")
            return -fs.ENOENT
        if not os.path.isdir(resolved):
            return -fs.ENOTDIR
        self.sandbox.cwd = resolved
        return 0

    def sys_fchdir(self, fd, *_):
        f = self.files.get(s32(fd))
        if not isinstance(f, DirectoryFile):
            return -fs.ENOTDIR
        self.sandbox.cwd = f.path
        return 0

    def _writable_name(self, dirfd, path_addr) -> str:
        target, access = self._resolve(dirfd, self._str(path_addr), follow=False)
        if access is None:
            self.sandbox.deny(target, "read")
            raise GuestErrno(fs.ENOENT)
        if access != "rw" or target in (self.sandbox.write_root, self.sandbox.tmp_root):
            self.sandbox.deny(target, "write")
            raise GuestErrno(fs.EACCES)
        return target

    def sys_mkdirat(self, dirfd, path_addr, mode, *_):
        target = self._writable_name(dirfd, path_addr)
        try:
            os.mkdir(target, mode & 0o7777 & ~self.umask)
        except OSError as e:
            raise host_errno(e) from None
        return 0

    def sys_unlinkat(self, dirfd, path_addr, flags, *_):
        target = self._writable_name(dirfd, path_addr)
        ino = self._tmp_inode(target)
        try:
            if flags & AT_REMOVEDIR:
                os.rmdir(target)
            elif os.path.isdir(target) and not os.path.islink(target):
                return -fs.EISDIR
            else:
                os.unlink(target)
        except OSError as e:
            raise host_errno(e) from None
        if ino is not None:
            self.sandbox.tmp_quota.removed(ino)
        return 0

    def _tmp_inode(self, host_path: str):
        """The inode of a regular file in the private /tmp (its space is counted)."""
        if not self.sandbox.in_tmp(host_path):
            return None
        try:
            st = os.lstat(host_path)
        except OSError:
            return None
        return st.st_ino if st.st_nlink == 1 else None

    def sys_renameat2(self, olddirfd, old, newdirfd, new, flags, *_):
        if flags:
            return -fs.EINVAL
        src = self._writable_name(olddirfd, old)
        dst = self._writable_name(newdirfd, new)
        if self.sandbox.in_tmp(src) != self.sandbox.in_tmp(dst):
            return -fs.EXDEV        # /tmp is its own file system, as a tmpfs is
        replaced = self._tmp_inode(dst) if os.path.realpath(src) != os.path.realpath(
            dst) else None
        try:
            os.rename(src, dst)
        except OSError as e:
            raise host_errno(e) from None
        if replaced is not None:
            self.sandbox.tmp_quota.removed(replaced)
        return 0

