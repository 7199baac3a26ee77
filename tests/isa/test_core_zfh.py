"""Zfh, Zfhmin and Zfa through the functional core (decoder + executor + FP unit).

Zfh/Zfhmin: an assembly program over half corner values runs on the core and on
`qemu-riscv64 -cpu rv64,Zfh=true,Zfhmin=true`; results, registers and fcsr must be the
same bytes. It covers flh/fsh (a store keeps the low 16 bits whether or not the register
is boxed), static and dynamic rounding modes, and improperly boxed operands.
Zfa: neither qemu 7.2 nor binutils 2.40 knows it, so the program is hand-encoded with
`.insn` and the expected register values are derived from the spec's definitions.
"""
import struct
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from core_harness import STOP_NAMES, build, run  # noqa: E402
from core_progs import explain, program  # noqa: E402

QEMU = ["qemu-riscv64", "-cpu", "rv64,Zfh=true,Zfhmin=true"]
HALVES = [0x0000, 0x8000, 0x3C00, 0xBC00, 0x3E00, 0x4200, 0x0001, 0x83FF, 0x0400, 0x7BFF,
          0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0x3555, 0x2E66, 0x5BFF, 0x1000, 0x0200]
INTS = [0, 1, (1 << 64) - 1, 2049, 65519, 65520, 1 << 40, 0x80000000, (1 << 64) - 65536]


def zfh_body():
    out = ["    .data\n    .align 3\nhv:\n"]
    out += [f"    .half {h:#x}\n" for h in HALVES]
    out.append("    .align 3\niv:\n" + "".join(f"    .dword {v:#x}\n" for v in INTS))
    out.append("    .text\n    la s10, hv\n    la s9, iv\n")
    n = len(HALVES)
    for i in range(n):
        out.append(f"    flh fa0, {2 * i}(s10)\n    fsd fa0, 0(s11)\n    addi s11, s11, 8\n")
        for j in range(0, n, 2):
            out.append(f"    flh fa1, {2 * j}(s10)\n")
            for op in ("fadd", "fsub", "fmul", "fdiv"):
                for rm in ("rne", "rtz", "rdn", "rup", "rmm"):
                    out.append(f"    {op}.h fa2, fa0, fa1, {rm}\n    FRES fa2\n")
            for op in ("fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"):
                out.append(f"    {op}.h fa2, fa0, fa1\n    FRES fa2\n")
            for op in ("feq", "flt", "fle"):
                out.append(f"    {op}.h a0, fa0, fa1\n    RES a0\n")
            for op in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
                out.append(f"    {op}.h fa2, fa0, fa1, fa0, rdn\n    FRES fa2\n"
                           f"    {op}.h fa2, fa1, fa1, fa0, rmm\n    FRES fa2\n")
            out.append("    frflags a0\n    RES a0\n    fsflags x0\n")
        out.append("    fsqrt.h fa2, fa0\n    FRES fa2\n    fclass.h a0, fa0\n    RES a0\n"
                   "    fmv.x.h a0, fa0\n    RES a0\n    fcvt.s.h fa3, fa0\n    FRES fa3\n"
                   "    fcvt.d.h fa4, fa0\n    FRES fa4\n    fcvt.h.s fa5, fa3, rup\n    FRES fa5\n"
                   "    fcvt.h.d fa5, fa4, rdn\n    FRES fa5\n")
        for cv in ("fcvt.w.h", "fcvt.wu.h", "fcvt.l.h", "fcvt.lu.h"):
            for rm in ("rne", "rtz", "rmm"):
                out.append(f"    {cv} a0, fa0, {rm}\n    RES a0\n")
        out.append("    frflags a0\n    RES a0\n    fsflags x0\n")
    for k in range(len(INTS)):
        out.append(f"    ld a0, {8 * k}(s9)\n")
        for cv in ("fcvt.h.w", "fcvt.h.wu", "fcvt.h.l", "fcvt.h.lu"):
            for rm in ("rne", "rdn", "rup", "rmm"):
                out.append(f"    {cv} fa0, a0, {rm}\n    FRES fa0\n")
        out.append("    fmv.h.x fa1, a0\n    FRES fa1\n    frflags a0\n    RES a0\n    fsflags x0\n")
    # dynamic rounding mode, narrowing of doubles/singles, improper boxing, fsh
    out.append("    li a0, 0x3ff0000000000001\n    fmv.d.x fa0, a0\n")
    for frm in range(5):
        out.append(f"    fsrmi {frm}\n    fcvt.h.d fa1, fa0\n    FRES fa1\n"
                   "    fadd.h fa2, fa1, fa1\n    FRES fa2\n    fcvt.h.s fa3, fa0\n    FRES fa3\n")
    out.append("    fsrmi 0\n    fadd.h fa2, fa0, fa0\n    FRES fa2\n"     # unboxed: NaN
               "    la a1, scratch\n    fsh fa0, 0(a1)\n    fsh fa2, 2(a1)\n    ld a0, 0(a1)\n"
               "    RES a0\n    flh fa3, 0(a1)\n    FRES fa3\n")
    return "".join(out)


def test_zfh_program_matches_qemu(tmp_path):
    src = tmp_path / "zfh.S"
    src.write_text(program(zfh_body()))
    exe = build(src, tmp_path / "zfh", extra=("-march=rv64gc_zfh",))
    p = subprocess.run(QEMU + [str(exe)], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = run(exe, max_insts=10**7)
    assert r.exit_code == 0, f"core stopped: {STOP_NAMES[r.stop]} at pc {r.core.pc:#x}"
    assert r.stdout == p.stdout, explain(r.stdout, p.stdout)
    assert len(p.stdout) > 8 * 7000        # about 8000 results


# ---------------------------------------------------------------- Zfa, hand-encoded

def r_type(f7, rs2, rs1, f3, rd, opcode=0x53):
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opcode


FA0, FA1, FA2, A0 = 10, 11, 12, 10


def d(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def test_zfa_program_on_the_core(tmp_path):
    """Each Zfa instruction once through decode and execute, expected from the spec."""
    H_BOX = 0xFFFFFFFFFFFF0000
    S_BOX = 0xFFFFFFFF00000000
    cases = []   # (setup asm, .insn word, result is fp?, expected value, expected fflags)
    # fli.s fa2, 2^-16 (entry 2); fli.d fa2, 0.3125 (9); fli.h fa2, 2^16 -> +inf (29)
    cases.append(("", r_type(0x78, 1, 2, 0, FA2), True, S_BOX | 0x37800000, 0))
    cases.append(("", r_type(0x79, 1, 9, 0, FA2), True, d(0.3125), 0))
    cases.append(("", r_type(0x7A, 1, 29, 0, FA2), True, H_BOX | 0x7C00, 0))
    # fminm.d fa2, fa0, fa1 with a quiet NaN: canonical NaN, no flag (fmin would give fa1)
    nan_1 = "    li t0, 0x7ff8000000000001\n    fmv.d.x fa0, t0\n    li t0, 0x3ff0000000000000\n" \
            "    fmv.d.x fa1, t0\n"
    cases.append((nan_1, r_type(0x15, FA1, FA0, 2, FA2), True, 0x7FF8000000000000, 0))
    cases.append((nan_1, r_type(0x15, FA1, FA0, 3, FA2), True, 0x7FF8000000000000, 0))
    # fmaxm.h of -0 and +0 is +0
    z = "    li t0, 0xffffffffffff8000\n    fmv.d.x fa0, t0\n    li t0, 0xffffffffffff0000\n" \
        "    fmv.d.x fa1, t0\n"
    cases.append((z, r_type(0x16, FA1, FA0, 3, FA2), True, H_BOX, 0))
    # fround.d 2.5 rmm -> 3.0, no NX; froundnx.d 2.5 rne -> 2.0 with NX; fround.s dyn (frm=rdn)
    two5 = f"    li t0, {d(2.5):#x}\n    fmv.d.x fa0, t0\n"
    cases.append((two5, r_type(0x21, 4, FA0, 4, FA2), True, d(3.0), 0))
    cases.append((two5, r_type(0x21, 5, FA0, 0, FA2), True, d(2.0), 1))
    m15 = "    li t0, 0xffffffffbfc00000\n    fmv.d.x fa0, t0\n    fsrmi 2\n"   # -1.5f, rdn
    cases.append((m15, r_type(0x20, 4, FA0, 7, FA2), True, S_BOX | 0xC0000000, 0))
    # froundnx.h 0.75 rtz -> +0 with NX
    h075 = "    fsrmi 0\n    li t0, 0xffffffffffff3a00\n    fmv.d.x fa0, t0\n"
    cases.append((h075, r_type(0x22, 5, FA0, 1, FA2), True, H_BOX, 1))
    # fcvtmod.w.d of 2^32 + 5.5 -> 5 with NV (out of int32 range, as fcvt.w.d)
    big = f"    li t0, {d(2.0**32 + 5.5):#x}\n    fmv.d.x fa0, t0\n"
    cases.append((big, r_type(0x61, 8, FA0, 1, A0), False, 5, 16))
    # fltq.s / fleq.s with a quiet NaN: 0, no NV; fleq.d 1 <= 1: 1
    qn = "    li t0, 0xffffffff7fc00000\n    fmv.d.x fa0, t0\n    fmv.d.x fa1, t0\n"
    cases.append((qn, r_type(0x50, FA1, FA0, 5, A0), False, 0, 0))
    cases.append((qn, r_type(0x50, FA1, FA0, 4, A0), False, 0, 0))
    one = f"    li t0, {d(1.0):#x}\n    fmv.d.x fa0, t0\n    fmv.d.x fa1, t0\n"
    cases.append((one, r_type(0x51, FA1, FA0, 4, A0), False, 1, 0))
    body = []
    for setup, word, fp, _, _ in cases:
        body.append(setup + "    fsflags x0\n" + f"    .insn 0x{word:08x}\n")
        body.append("    FRES fa2\n" if fp else "    RES a0\n")
        body.append("    frflags t1\n    RES t1\n")
    src = tmp_path / "zfa.S"
    src.write_text(program("".join(body)))
    exe = build(src, tmp_path / "zfa")
    r = run(exe, max_insts=10**6)
    assert r.exit_code == 0, f"core stopped: {STOP_NAMES[r.stop]} at pc {r.core.pc:#x}"
    got = struct.unpack(f"<{2 * len(cases)}Q", r.stdout[:16 * len(cases)])
    for k, (_, word, _, want, wflags) in enumerate(cases):
        assert (got[2 * k], got[2 * k + 1]) == (want, wflags), \
            f".insn {word:#010x}: got {got[2 * k]:#x}/{got[2 * k + 1]:#x}, want {want:#x}/{wflags:#x}"


def test_reserved_encodings_are_illegal(tmp_path):
    """fcvtmod.w.d with rm other than rtz, fround with a reserved rm, and fmvh.x.d
    (RV32 only) stop the core with an illegal instruction."""
    for word in (r_type(0x61, 8, FA0, 0, A0), r_type(0x21, 4, FA0, 5, FA2),
                 r_type(0x71, 1, FA0, 0, A0)):
        src = tmp_path / "ill.S"
        src.write_text(program(f"    .insn 0x{word:08x}\n"))
        exe = build(src, tmp_path / "ill")
        r = run(exe, max_insts=10**5)
        assert STOP_NAMES[r.stop] == "ILLEGAL", (hex(word), STOP_NAMES[r.stop])
