"""Helpers for the process-model tests: build RISC-V programs with the cross compiler,
run them under qemu-riscv64 (the reference), and drive a Process with a fake or real core."""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

PROGRAMS = Path(__file__).resolve().parent / "programs"
CACHE = Path(os.environ.get("CYCLESIM_TEST_BUILD", "/tmp/cyclesim-test-process"))


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install the cross toolchain and "
                    f"qemu-user named in the README")
    return path


def build(source, *flags, name=None) -> Path:
    """Compile a C or assembly file (path under programs/, or source text) with
    riscv64-linux-gnu-gcc; results are cached by content and flags."""
    gcc = _tool("riscv64-linux-gnu-gcc")
    if isinstance(source, Path) or source.endswith((".c", ".s", ".S")):
        path = PROGRAMS / source
        text = path.read_text()
        suffix = path.suffix
    else:
        text, suffix = source, ".c"
    flags = flags or ("-O2", "-static")
    key = hashlib.sha1((text + suffix + " ".join(flags)).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"{name or 'prog'}-{key}"
    if not out.exists():
        src = CACHE / f"{key}.{os.getpid()}{suffix}"
        src.write_text(text)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")     # parallel test workers
        subprocess.run([gcc, *flags, "-o", str(tmp), str(src)], check=True,
                       capture_output=True)
        tmp.rename(out)
    return out


def run_qemu(elf, args=(), env=None, stdin=b"", cwd=None):
    """(exit status, stdout, stderr) of the program under qemu-riscv64. A negative status
    is the signal that killed it."""
    qemu = _tool("qemu-riscv64")
    proc = subprocess.run([qemu, str(elf), *map(str, args)], input=stdin,
                          capture_output=True, timeout=120, env=env or {}, cwd=cwd,
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr


class FakeCore:
    """What Process needs of a core: registers and pc."""

    def __init__(self):
        self.x = np.zeros(32, dtype=np.uint64)
        self.pc = 0
        self.instret = 0


def call(process, number, *args, cycle=0, frequency=1e9):
    """Make one syscall through Process.syscall as the engine would; returns a0 signed."""
    core = FakeCore()
    core.x[17] = number
    for i, a in enumerate(args):
        core.x[10 + i] = a & ((1 << 64) - 1)
    process.syscall(core, cycle, frequency)
    v = int(core.x[10])
    return v - (1 << 64) if v >> 63 else v


def real_core_class():
    """The functional core class when it has been built, else None."""
    try:
        from cyclesim.isa import core as core_module
    except ImportError:
        return None
    return getattr(core_module, "Core", None)
