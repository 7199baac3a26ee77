"""Build test programs for the functional core and compare its results with qemu-riscv64.

A test program is an assembly body wrapped in a prologue that zeroes every register,
points sp at a private stack and s11 (x27) at a results buffer, and an epilogue that
writes the results buffer (what the body appended with `RES reg`) and then a dump of
x1..x30, f0..f31 and fcsr to stdout. t6 (x31) is the dump's base register, so its final
value is not compared.
"""
import struct
from pathlib import Path

from core_harness import STOP_NAMES, build, run, run_qemu

PROLOGUE = """
    .option norelax
    .macro RES reg
    sd \\reg, 0(s11)
    addi s11, s11, 8
    .endm
    .macro FRES freg
    fsd \\freg, 0(s11)
    addi s11, s11, 8
    .endm
    .text
    .globl _start
_start:
    la sp, stack_top
    la s11, results
""" + "".join(f"    li x{i}, 0\n" for i in range(1, 32) if i not in (2, 27)) + \
    "".join(f"    fmv.d.x f{i}, x0\n" for i in range(32)) + """
    csrw fcsr, x0
    j body
body:
"""

EPILOGUE = """
    j dump
dump:
    la t6, dumpbuf
""" + "".join(f"    sd x{i}, {8 * i}(t6)\n" for i in range(1, 31)) + \
    "".join(f"    fsd f{i}, {256 + 8 * i}(t6)\n" for i in range(32)) + """
    csrr t5, fcsr
    sd t5, 512(t6)
    la a1, results
    sub a2, s11, a1
    li a0, 1
    li a7, 64
    ecall
    li a0, 1
    la a1, dumpbuf
    li a2, 520
    li a7, 64
    ecall
    li a0, 0
    li a7, 93
    ecall
    .data
    .align 4
scratch:
    .space 4096
    .bss
    .align 4
dumpbuf:
    .space 520
results:
    .space 262144
    .space 65536
stack_top:
"""

NAMES = [f"x{i}" for i in range(32)] + [f"f{i}" for i in range(32)] + ["fcsr"]


def program(body: str) -> str:
    return PROLOGUE + body + EPILOGUE


def explain(ours: bytes, ref: bytes) -> str:
    """Name the first differing result slots / registers."""
    n = min(len(ours), len(ref))
    if len(ours) != len(ref):
        msg = [f"output length {len(ours)} (core) != {len(ref)} (qemu)"]
    else:
        msg = []
    res_len = len(ref) - 520
    diffs = []
    for off in range(0, n - n % 8, 8):
        a, b = ours[off:off + 8], ref[off:off + 8]
        if a != b:
            va, vb = struct.unpack("<Q", a)[0], struct.unpack("<Q", b)[0]
            if off < res_len:
                where = f"result #{off // 8}"
            else:
                where = NAMES[(off - res_len) // 8]
            diffs.append(f"{where}: core {va:#x} qemu {vb:#x}")
        if len(diffs) > 8:
            break
    return "\n".join(msg + diffs)


def compare(body: str, tmp: Path, name="t", march=None, cpu=None):
    """Assemble `body` (for -march `march`), run it on qemu (-cpu `cpu`) and on the core;
    assert identical stdout."""
    src = tmp / f"{name}.S"
    src.write_text(program(body))
    exe = build(src, tmp / name, [f"-march={march}"] if march else ())
    ref, rc = run_qemu(exe, cpu)
    assert rc == 0, f"qemu exit {rc}"
    r = run(exe, max_insts=10**7)
    assert r.exit_code == 0, f"core stopped: {STOP_NAMES[r.stop]} at pc {r.core.pc:#x}"
    assert r.stdout == ref, explain(r.stdout, ref)
    return r
