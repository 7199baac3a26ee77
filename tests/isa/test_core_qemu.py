"""Instruction semantics of the functional core, compared with qemu-riscv64 (the reference).

Each test generates an assembly program that runs one instruction class over corner-case
operands, appends every result to a buffer, and dumps all registers at the end; the core
must print exactly the bytes qemu prints.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from core_progs import compare

M64 = (1 << 64) - 1
VALUES = [0, 1, 2, M64, M64 - 1, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x7FFFFFFF,
          0x80000000, 0xFFFFFFFF, 0xFFFFFFFF80000000, 31, 32, 63, 64, 0x123456789ABCDEF0,
          (-0x123456789) & M64]
IMMS = [0, 1, -1, 2047, -2048, 0x555, -0x556]


def values_table(vals=VALUES):
    return ("    .data\n    .align 3\nvals:\n"
            + "".join(f"    .dword {v:#x}\n" for v in vals)
            + "    .text\n    la s10, vals\n")


def pairs(ops, vals=VALUES):
    out = [values_table(vals)]
    for op in ops:
        for i in range(len(vals)):
            for j in range(len(vals)):
                out.append(f"    ld a0, {8 * i}(s10)\n    ld a1, {8 * j}(s10)\n"
                           f"    {op} a2, a0, a1\n    RES a2\n")
    return "".join(out)


def test_register_register_ops(tmp_path):
    ops = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
           "addw", "subw", "sllw", "srlw", "sraw"]
    compare("    fence\n    fence rw, w\n    fence.i\n" + pairs(ops), tmp_path)


def test_multiply_divide(tmp_path):
    """M extension, including division by zero and INT_MIN / -1 (64- and 32-bit)."""
    ops = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
           "mulw", "divw", "divuw", "remw", "remuw"]
    compare(pairs(ops), tmp_path)


def test_immediate_ops_and_upper(tmp_path):
    body = [values_table()]
    for i in range(len(VALUES)):
        body.append(f"    ld a0, {8 * i}(s10)\n")
        for op in ("addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"):
            for imm in IMMS:
                body.append(f"    {op} a2, a0, {imm}\n    RES a2\n")
        for op, shamts in (("slli", (0, 1, 31, 32, 63)), ("srli", (0, 1, 31, 32, 63)),
                           ("srai", (0, 1, 31, 32, 63)), ("slliw", (0, 1, 15, 31)),
                           ("srliw", (0, 1, 15, 31)), ("sraiw", (0, 1, 15, 31))):
            for sh in shamts:
                body.append(f"    {op} a2, a0, {sh}\n    RES a2\n")
    for imm in (0, 1, 0x7FFFF, 0x80000, 0xFFFFF, 0x12345):
        body.append(f"    lui a2, {imm:#x}\n    RES a2\n    auipc a3, {imm:#x}\n"
                    f"    la a4, body\n    sub a3, a3, a4\n    RES a3\n")
    compare("".join(body), tmp_path)


def test_branches_and_jumps(tmp_path):
    body = [values_table()]
    for op in ("beq", "bne", "blt", "bge", "bltu", "bgeu"):
        for i in range(len(VALUES)):
            for j in range(len(VALUES)):
                body.append(f"    ld a0, {8 * i}(s10)\n    ld a1, {8 * j}(s10)\n"
                            f"    li a2, 0\n    {op} a0, a1, 1f\n    li a2, 1\n1:\n"
                            f"    RES a2\n")
    # jal/jalr link values relative to a known label; jalr clears bit 0 of the target
    body.append("""
    jal ra, 1f
2:  j 3f
1:  la a0, 2b
    sub a1, ra, a0
    RES a1
    la a0, 4f
    addi a0, a0, 1
    jalr t0, 0(a0)
    li a3, 99
4:  la a4, 4b
    sub a5, t0, a4
    RES a5
    la a0, 5f
    jalr x0, 4(a0)
5:  li a3, 7
    li a3, 8
    RES a3
    ret
3:
    la a0, 6f
    c.jalr a0
    j 7f
6:  la a1, 6b
    sub a1, ra, a1
    RES a1
    c.jr ra
7:
""")
    compare("".join(body), tmp_path)


def test_loads_and_stores(tmp_path):
    """Every width and sign extension, at every aligned offset within a doubleword."""
    body = [values_table(), "    la s9, scratch\n"]
    for i in range(len(VALUES)):
        body.append(f"    ld a0, {8 * i}(s10)\n")
        for st, size in (("sd", 8), ("sw", 4), ("sh", 2), ("sb", 1)):
            for off in range(0, 8, size):
                body.append(f"    li a1, -1\n    sd a1, 0(s9)\n    {st} a0, {off}(s9)\n"
                            f"    ld a2, 0(s9)\n    RES a2\n")
                for ld, lsize in (("lb", 1), ("lbu", 1), ("lh", 2), ("lhu", 2), ("lw", 4),
                                  ("lwu", 4), ("ld", 8)):
                    if off % lsize == 0:
                        body.append(f"    {ld} a3, {off}(s9)\n    RES a3\n")
    body.append("    addi s8, s9, 2047\n    sd a0, -7(s8)\n    ld a1, -7(s8)\n    RES a1\n")
    compare("".join(body), tmp_path)


def test_compressed_forms(tmp_path):
    """Each compressed instruction explicitly, with registers from the x8-x15 window."""
    body = [values_table(), "    la s9, scratch\n    mv s0, s9\n"]
    for i in range(len(VALUES)):
        body.append(f"""
    ld a0, {8 * i}(s10)
    mv a1, a0
    ld a2, {8 * ((i + 5) % len(VALUES))}(s10)
    c.addi a1, -7
    RES a1
    c.addiw a1, 13
    RES a1
    c.li a3, -17
    RES a3
    c.lui a4, 0xfffe1
    RES a4
    c.lui a4, 5
    RES a4
    mv a3, a0
    c.srli a3, 33
    RES a3
    mv a3, a0
    c.srai a3, 7
    RES a3
    mv a3, a0
    c.andi a3, -6
    RES a3
    mv a3, a0
    c.slli a3, 45
    RES a3
    mv a3, a0
    c.sub a3, a2
    RES a3
    mv a3, a0
    c.xor a3, a2
    RES a3
    mv a3, a0
    c.or a3, a2
    RES a3
    mv a3, a0
    c.and a3, a2
    RES a3
    mv a3, a0
    c.subw a3, a2
    RES a3
    mv a3, a0
    c.addw a3, a2
    RES a3
    c.mv a5, a0
    c.add a5, a2
    RES a5
    c.sd a0, 16(s0)
    c.sw a2, 4(s0)
    c.ld a4, 16(s0)
    RES a4
    c.lw a4, 4(s0)
    RES a4
    c.ld a4, 0(s0)
    RES a4
    li a5, 0
    c.beqz a0, 1f
    li a5, 1
1:  RES a5
    li a5, 0
    c.bnez a0, 1f
    li a5, 1
1:  RES a5
""")
    body.append("""
    mv a0, sp
    c.addi16sp sp, -64
    sub a1, a0, sp
    RES a1
    c.addi4spn a2, sp, 24
    sub a2, a2, sp
    RES a2
    ld a3, 0(s10)
    ld a3, 40(s10)
    c.sdsp a3, 8(sp)
    c.swsp a3, 20(sp)
    c.ldsp a4, 8(sp)
    RES a4
    c.lwsp a4, 20(sp)
    RES a4
    c.ldsp a4, 16(sp)
    RES a4
    c.addi16sp sp, 64
    c.j 1f
    li a5, 1
1:  c.nop
    RES a5
""")
    compare("".join(body), tmp_path)


def test_atomics(tmp_path):
    body = [values_table(), "    la s9, scratch\n"]
    amos = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax",
            "amominu", "amomaxu"]
    for sfx in (".w", ".d"):
        for op in amos:
            for i in range(0, len(VALUES), 2):
                for j in range(1, len(VALUES), 3):
                    body.append(f"    ld a0, {8 * i}(s10)\n    ld a1, {8 * j}(s10)\n"
                                f"    sd a0, 8(s9)\n    addi a4, s9, 8\n"
                                f"    {op}{sfx}.aqrl a2, a1, (a4)\n    RES a2\n"
                                f"    ld a3, 8(s9)\n    RES a3\n")
    body.append("""
    addi a4, s9, 16
    ld a0, 48(s10)
    sd a0, 0(a4)
    lr.d a1, (a4)
    RES a1
    sc.d a2, a0, (a4)
    RES a2
    sc.d a2, a1, (a4)
    RES a2
    ld a3, 0(a4)
    RES a3
    lr.w.aq a1, (a4)
    RES a1
    li a0, 77
    sc.w.rl a2, a0, (a4)
    RES a2
    ld a3, 0(a4)
    RES a3
    lr.w a1, (a4)
    addi a5, a4, 8
    sc.w a2, a0, (a5)
    RES a2
""")
    compare("".join(body), tmp_path)


def test_csr_and_fp_state(tmp_path):
    body = """
    csrrwi a0, fflags, 0x1f
    RES a0
    csrr a1, fflags
    RES a1
    csrrci a1, fflags, 0x5
    RES a1
    csrrsi a1, frm, 3
    RES a1
    csrr a2, fcsr
    RES a2
    li a0, 0xff
    csrrw a3, fcsr, a0
    RES a3
    csrr a3, fcsr
    RES a3
    csrrc a3, fcsr, a0
    RES a3
    li a0, 0x1c
    csrrs a3, fflags, a0
    RES a3
    csrrs a3, fcsr, x0
    RES a3
    fsflags a4, x0
    RES a4
    fsrm a4, x0
    RES a4
"""
    compare(body, tmp_path)


FP_VALUES_D = [0.0, -0.0, 1.0, -1.5, 3.0, 1e308, -1e-310, 2.0 ** -1074, float("inf"),
               float("-inf"), float("nan"), 0.1, 2.0 ** 63, -2.0 ** 31 - 0.5, 4294967296.5]


def test_floating_point_through_the_fpu(tmp_path):
    """Arithmetic, conversions, compares and moves: values and fflags, every rounding
    mode for a subset (the FP unit's own tests cover IEEE corner cases in depth)."""
    import struct
    vals = [struct.unpack("<Q", struct.pack("<d", v))[0] for v in FP_VALUES_D]
    vals.append(0x7FF0000000000001)                    # signalling NaN
    n = len(vals)
    body = [values_table(vals)]
    for i in range(n):
        for j in range(0, n, 3):
            body.append(f"    fld fa0, {8 * i}(s10)\n    fld fa1, {8 * j}(s10)\n"
                        f"    fcvt.s.d fa2, fa0\n    fcvt.s.d fa3, fa1\n")
            for op in ("fadd", "fsub", "fmul", "fdiv"):
                for rm in ("rne", "rtz", "rdn", "rup", "rmm"):
                    body.append(f"    {op}.d fa4, fa0, fa1, {rm}\n    FRES fa4\n")
                body.append(f"    {op}.s fa4, fa2, fa3\n    FRES fa4\n")
            for op in ("fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"):
                body.append(f"    {op}.d fa4, fa0, fa1\n    FRES fa4\n"
                            f"    {op}.s fa4, fa2, fa3\n    FRES fa4\n")
            for op in ("feq", "flt", "fle"):
                body.append(f"    {op}.d a0, fa0, fa1\n    RES a0\n"
                            f"    {op}.s a0, fa2, fa3\n    RES a0\n")
            for op in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
                body.append(f"    {op}.d fa4, fa0, fa1, fa0, rdn\n    FRES fa4\n"
                            f"    {op}.s fa4, fa2, fa3, fa2\n    FRES fa4\n"
                            f"    {op}.d fa4, fa1, fa1, fa0, rmm\n    FRES fa4\n")
            body.append("    frflags a0\n    RES a0\n    fsflags x0\n")
        body.append(f"    fld fa0, {8 * i}(s10)\n    fcvt.s.d fa2, fa0\n"
                    "    fsqrt.d fa4, fa0\n    FRES fa4\n    fsqrt.s fa4, fa2\n    FRES fa4\n"
                    "    fclass.d a0, fa0\n    RES a0\n    fclass.s a0, fa2\n    RES a0\n"
                    "    fmv.x.d a0, fa0\n    RES a0\n    fmv.x.w a0, fa2\n    RES a0\n"
                    "    fcvt.d.s fa5, fa2\n    FRES fa5\n")
        for cv in ("fcvt.w.d", "fcvt.wu.d", "fcvt.l.d", "fcvt.lu.d"):
            for rm in ("rne", "rtz", "rdn", "rup", "rmm"):
                body.append(f"    {cv} a0, fa0, {rm}\n    RES a0\n")
        for cv in ("fcvt.w.s", "fcvt.wu.s", "fcvt.l.s", "fcvt.lu.s"):
            body.append(f"    {cv} a0, fa2\n    RES a0\n")
        body.append("    frflags a0\n    RES a0\n    fsflags x0\n")
    for i in range(len(VALUES)):
        body.append(f"    la s10, ivals\n    ld a0, {8 * i}(s10)\n"
                    "    fcvt.d.l fa0, a0\n    FRES fa0\n    fcvt.d.lu fa0, a0\n    FRES fa0\n"
                    "    fcvt.d.w fa0, a0\n    FRES fa0\n    fcvt.d.wu fa0, a0\n    FRES fa0\n"
                    "    fcvt.s.l fa0, a0, rtz\n    FRES fa0\n    fcvt.s.lu fa0, a0\n    FRES fa0\n"
                    "    fcvt.s.w fa0, a0\n    FRES fa0\n    fcvt.s.wu fa0, a0, rup\n    FRES fa0\n"
                    "    fmv.w.x fa0, a0\n    FRES fa0\n    fmv.d.x fa0, a0\n    FRES fa0\n"
                    "    frflags a1\n    RES a1\n    fsflags x0\n")
    body.append("    .data\n    .align 3\nivals:\n"
                + "".join(f"    .dword {v:#x}\n" for v in VALUES) + "    .text\n")
    # dynamic rounding mode from frm, flw/fsw NaN-boxing
    body.append("""
    la s9, scratch
    li a0, 0x3ff8000000000001
    fmv.d.x fa0, a0
    fsrmi 1
    fcvt.s.d fa1, fa0
    FRES fa1
    fsrmi 3
    fcvt.s.d fa1, fa0
    FRES fa1
    fsrmi 0
    fsw fa1, 0(s9)
    flw fa2, 0(s9)
    FRES fa2
    fsd fa0, 8(s9)
    fld fa3, 8(s9)
    FRES fa3
    mv s1, s9
    c.fsd fa3, 16(s1)
    c.fld fa4, 16(s1)
    FRES fa4
    c.fsdsp fa4, 8(sp)
    c.fldsp fa5, 8(sp)
    FRES fa5
""")
    compare("".join(body), tmp_path)
