"""A minimal user-mode harness for the functional core's tests and speed measurement.

Loads the PT_LOAD segments of a static RISC-V ELF into a GuestMemory, maps a stack, and
runs until exit, emulating only write (64) and exit/exit_group (93/94). Deliberately
independent of cyclesim.process (the real loader and syscalls), so core tests do not
depend on them.
"""
import subprocess
import time
from pathlib import Path

from cyclesim.isa.core import Core
from cyclesim.process.memory import GuestMemory
from elftools.elf.elffile import ELFFile

PROT_R, PROT_W, PROT_X = 1, 2, 4
STACK_TOP = 0x3F_F000_0000
STACK_SIZE = 1 << 20
STOP_QUANTUM, STOP_ECALL, STOP_EBREAK, STOP_MARKER = 1, 2, 3, 4
STOP_NAMES = {0: "NONE", 1: "QUANTUM", 2: "ECALL", 3: "EBREAK", 4: "MARKER", 5: "ILLEGAL",
              6: "FETCH_FAULT", 7: "LOAD_FAULT", 8: "STORE_FAULT", 9: "MEM_LIMIT",
              10: "MISALIGNED", 11: "BREAKPOINT"}

CC = ["riscv64-linux-gnu-gcc", "-march=rv64gc", "-mabi=lp64d", "-static", "-nostdlib",
      "-Wl,--no-relax"]


def build(src: Path, out: Path, extra=()):
    """Compile/assemble `src` (.c or .S) into a static no-libc executable."""
    p = subprocess.run(CC + list(extra) + ["-o", str(out), str(src)],
                       capture_output=True, text=True, check=False)
    if p.returncode:
        raise RuntimeError(f"building {src} failed:\n{p.stderr[:2000]}")
    return out


def load(path, mem_limit=1 << 28):
    """(core, memory) with the program loaded and sp at the top of a 1 MiB stack."""
    mem = GuestMemory(mem_limit)
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD":
                continue
            va, memsz = seg["p_vaddr"], seg["p_memsz"]
            lo, hi = va & ~0xFFF, (va + memsz + 0xFFF) & ~0xFFF
            fl = seg["p_flags"]
            prot = (PROT_R if fl & 4 else 0) | (PROT_W if fl & 2 else 0) | \
                   (PROT_X if fl & 1 else 0)
            mem.map(lo, hi - lo, prot)
            mem.write(va, seg.data(), check=False)
        entry = elf.header["e_entry"]
    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_R | PROT_W)
    core = Core(mem)
    core.pc = entry
    core.x[2] = STACK_TOP - 64
    return core, mem


class Result:
    def __init__(self, stdout, exit_code, stop, core, seconds):
        self.stdout, self.exit_code, self.stop, self.core = stdout, exit_code, stop, core
        self.seconds = seconds


def run(path, max_insts=10**9, quantum=10**8, configure=None):
    """Run to exit (or a non-syscall stop); Result with stdout bytes and exit code.
    `configure(core)`, if given, is called before the first instruction."""
    core, mem = load(path)
    if configure is not None:
        configure(core)
    out = bytearray()
    start = time.process_time()
    done = 0
    while True:
        before = core.instret
        stop = core.run(min(quantum, max_insts - done))
        done += core.instret - before
        if stop == STOP_ECALL:
            num = int(core.x[17])
            a0, a1, a2 = (int(v) for v in core.x[10:13])
            if num == 64:
                out += mem.read(a1, a2)
                core.x[10] = a2
                continue
            if num in (93, 94):
                return Result(bytes(out), a0 & 0xFF, stop, core,
                              time.process_time() - start)
            core.x[10] = (-38) & (2**64 - 1)     # ENOSYS
            continue
        if stop == STOP_QUANTUM and done < max_insts:
            continue
        return Result(bytes(out), None, stop, core, time.process_time() - start)


def run_qemu(path, cpu=None):
    """(stdout, exit status) of `path` under qemu-riscv64 (with `-cpu cpu` if given)."""
    p = subprocess.run(["qemu-riscv64", *(["-cpu", cpu] if cpu else []), str(path)],
                       capture_output=True, timeout=60, check=False)
    return p.stdout, p.returncode
