"""The disassembler against GNU objdump 2.40 (the independent reference): every compressed
halfword, random words of every table entry and of every major opcode, hand-written
assembly, C programs with static glibc, and the workload ELFs must print exactly as
`riscv64-linux-gnu-objdump -d` prints them (its `# ...` comments aside)."""
import random
import re
import subprocess
from pathlib import Path

import pytest

from cyclesim.isa.disasm import (
    SymbolTable,
    csr_name,
    disassemble,
    disassemble_bytes,
    instruction_length,
)
from cyclesim.isa.encoding import ENCODINGS, lookup

ROOT = Path(__file__).resolve().parents[2]
AS = "riscv64-linux-gnu-as"
GCC = "riscv64-linux-gnu-gcc"
OBJDUMP = "riscv64-linux-gnu-objdump"
# Every extension binutils 2.40 knows that the table has: objdump disassembles what the
# object's ISA attribute names. It lacks Zicond and Zihintntl (it prints .4byte and
# add zero,zero,xN): those are checked against the specifications' syntax instead.
MARCH = "rv64gc_zba_zbb_zbs_zbc_zbkb_zicbom_zicboz_zicbop_zihintpause_zfh"
OBJDUMP_LACKS = frozenset({"czero.eqz", "czero.nez", "ntl.p1", "ntl.pall", "ntl.s1",
                           "ntl.all"})

ASM_MARCH = MARCH      # binutils 2.40 knows Zfh and Zfhmin too
# Extensions binutils 2.40 does not know: objdump prints their words as .4byte, so they are
# left out of the objdump comparisons and checked against the spec's syntax instead.
NOT_IN_BINUTILS_240 = {"Zfa"}
LINE = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f]+)\s+\t(.*)$")
HEADER = re.compile(r"^([0-9a-f]+) <(.*)>:$")


def objdump(path, *flags):
    """[(address, raw, text)] and {address: symbol} from objdump -d of `path`."""
    out = subprocess.run([OBJDUMP, "-d", *flags, str(path)], check=True,
                         capture_output=True, text=True).stdout
    rows, symbols = [], {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            rows.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
            continue
        m = HEADER.match(line)
        if m:
            symbols[int(m.group(1), 16)] = m.group(2)
    return rows, symbols


def without_comment(text):
    """objdump's trailing `# addr <sym>` comment needs register tracking; not produced."""
    return re.sub(r" # .*$", "", text)


def without_annotation(text):
    return re.sub(r" <[^>]*>$", "", without_comment(text))


def without_annotations(text):
    """Keep objdump's comment but drop every <sym> (its symbols are not ours)."""
    return re.sub(r" <[^>]*>", "", text)


def assemble(tmp_path, source, name="t"):
    src, obj = tmp_path / f"{name}.s", tmp_path / f"{name}.o"
    src.write_text(source)
    subprocess.run([AS, f"-march={MARCH}", "-o", str(obj), str(src)], check=True,
                   capture_output=True)
    return obj


def objdump_words(tmp_path, words, name="w"):
    """Assemble raw words as instructions (`.insn`, so objdump treats them as code)."""
    body = "".join(f".insn 0x{w:x}\n" for w in words)
    rows, _ = objdump(assemble(tmp_path, ".option norelax\n.text\n" + body, name))
    assert [raw for _, raw, _ in rows] == list(words)
    return rows


def mismatches(rows, symbols=None):
    """Lines where our text differs from objdump's, as (address, raw, objdump, ours)."""
    table = SymbolTable(symbols) if symbols is not None else None
    strip = without_comment if symbols is not None else without_annotation
    bad = []
    for address, raw, text in rows:
        op_id = lookup(raw)
        if op_id is not None and (ENCODINGS[op_id].name in OBJDUMP_LACKS
                                  or ENCODINGS[op_id].ext in NOT_IN_BINUTILS_240):
            continue        # test_extensions_binutils_lacks_print_as_the_spec_writes_them
        ours = disassemble(raw, address, table)
        if ours != strip(text):
            bad.append((hex(address), hex(raw), strip(text), ours))
    return bad


def random_fill(entry, rng):
    """A word of `entry` with its free bits random, biased toward the values aliases
    and hints depend on (x0, ra, equal registers, immediates 0/1/-1/255, rm, aq/rl)."""
    w = entry.match | (rng.getrandbits(32) & ~entry.mask & 0xFFFFFFFF)
    for shift in (7, 15, 20):
        r = rng.random()
        if r < 0.25:
            w &= ~(31 << shift)
        elif r < 0.35:
            w = (w & ~(31 << shift)) | (1 << shift)
    if rng.random() < 0.2:
        imm = rng.choice((0, 1, 0xFFF, 0xFF, 0x800, 2, 3, 0xC00, 0xC01, 0xC02))
        w = (w & 0xFFFFF) | (imm << 20)
    if rng.random() < 0.1:
        w = (w & ~(31 << 15)) | (((w >> 20) & 31) << 15)
    w = (w & ~entry.mask) | entry.match      # keep it an instance of the entry
    return w & 0xFFFFFFFF


def test_every_compressed_halfword(tmp_path):
    halves = [h for h in range(1 << 16) if h & 3 != 3]
    assert mismatches(objdump_words(tmp_path, halves)) == []


def test_every_table_entry_with_random_operands(tmp_path):
    rng = random.Random(2040)
    words, entry_of = [], []
    for e in ENCODINGS:
        if e.mask <= 0xFFFF:
            continue                       # compressed: all covered exhaustively above
        for _ in range(80):
            words.append(random_fill(e, rng))
            entry_of.append(e.name)
    rows = objdump_words(tmp_path, words)
    assert mismatches(rows) == []
    # each entry must have produced real instructions, not only data words
    shown = {name for name, (_, _, text) in zip(entry_of, rows)
             if not text.startswith(".4byte")}
    lacks = OBJDUMP_LACKS | {e.name for e in ENCODINGS if e.ext in NOT_IN_BINUTILS_240}
    assert shown - lacks == {e.name for e in ENCODINGS if e.mask > 0xFFFF} - lacks


def test_random_words_of_every_major_opcode(tmp_path):
    """Including words no table entry accepts: they must print as objdump's .4byte."""
    rng = random.Random(7)
    words = []
    for _ in range(40000):
        w = rng.getrandbits(32) | 3
        if w & 0x1F == 0x1F:
            w ^= 0x10                      # stay within 32-bit encodings
        words.append(w)
    rows = objdump_words(tmp_path, words)
    assert mismatches(rows) == []
    assert sum(text.startswith(".4byte") for _, _, text in rows) > 1000
    # the same words as one listing, with objdump's "# addr" comments (many lui/auipc
    # followed by loads, stores, addi and jalr on the same register)
    listing = disassemble_bytes(b"".join(w.to_bytes(4, "little") for w in words), 0,
                                comments=True)
    expected = [without_annotations(text) for _, _, text in rows]
    assert sum(" # " in text for text in expected) > 1000
    keep = [not _unknown_to_binutils(raw) for _, raw, _ in rows]
    assert [t for (*_, t), k in zip(listing, keep) if k] == [t for t, k in zip(expected, keep) if k]


def _unknown_to_binutils(raw):
    op_id = lookup(raw)
    return op_id is not None and (ENCODINGS[op_id].ext in NOT_IN_BINUTILS_240
                                  or ENCODINGS[op_id].name in OBJDUMP_LACKS)


HANDWRITTEN = """
.option norelax
.option norvc
.text
start:
    lui a0, 0x12345
    lui t6, 0xfffff
    auipc ra, 0
    auipc s11, 0x80000
    jal ra, start
    jal zero, 1f
    jal t0, start
1:  jalr ra, 0(a0)
    jalr zero, 0(ra)
    jalr zero, 16(a5)
    jalr t1, -8(sp)
    jalr t1, 0(t2)
    beq a0, a1, start
    beq a0, zero, 1b
    bne zero, a2, 1b
    blt s0, s1, 1b
    blt zero, a3, 1b
    blt a4, zero, 1b
    bge zero, a3, 1b
    bge a4, zero, 1b
    bge t3, t4, 1b
    bltu a0, a1, 1b
    bgeu a2, zero, 1b
    lb a0, -2048(sp)
    lh a1, 2047(s0)
    lw a2, 0(a3)
    ld a4, -8(t6)
    lbu zero, 1(zero)
    lhu s3, 100(s4)
    lwu s5, -100(s6)
    sb a0, -2048(sp)
    sh zero, 2047(s0)
    sw a2, 0(a3)
    sd ra, 8(sp)
    addi zero, zero, 0
    addi a0, zero, -1
    addi a0, a1, 0
    addi sp, sp, -16
    addi a0, a0, 2047
    slti a0, a1, -5
    slti zero, zero, 1
    sltiu a0, a1, 1
    sltiu a0, a1, -1
    xori a0, a1, -1
    xori a0, a1, 5
    ori a0, a1, 0x7f
    andi a0, a1, 255
    andi a0, a1, -256
    slli a0, a1, 63
    srli a0, a1, 32
    srai a0, a1, 1
    add a0, a1, a2
    sub a0, zero, a2
    sub a0, a1, a2
    sll a0, a1, a2
    slt a0, a1, zero
    slt a0, zero, a1
    slt a0, a1, a2
    sltu a0, zero, a1
    sltu a0, a1, a2
    xor a0, a1, a2
    srl a0, a1, a2
    sra a0, a1, a2
    or a0, a1, a2
    and a0, a1, a2
    addiw a0, a1, 0
    addiw a0, a1, -7
    slliw a0, a1, 31
    srliw a0, a1, 3
    sraiw a0, a1, 0
    addw a0, a1, a2
    subw a0, zero, a2
    subw a0, a1, a2
    sllw a0, a1, a2
    srlw a0, a1, a2
    sraw a0, a1, a2
    fence
    fence rw, rw
    fence r, w
    fence iorw, o
    fence.tso
    fence.i
    ecall
    ebreak
    csrrw a0, fcsr, a1
    csrrw zero, fcsr, a1
    csrrw zero, frm, a1
    csrrw a0, fflags, a1
    csrrw zero, mstatus, a1
    csrrw a0, 0x7c0, a1
    csrrs a0, cycle, zero
    csrrs a0, time, zero
    csrrs a0, instret, zero
    csrrs a0, fflags, zero
    csrrs a0, frm, zero
    csrrs a0, fcsr, zero
    csrrs a0, hpmcounter3, zero
    csrrs zero, fcsr, a0
    csrrs a0, fcsr, a1
    csrrc a0, fflags, a1
    csrrc zero, fflags, a1
    csrrwi a0, frm, 3
    csrrwi zero, frm, 3
    csrrwi a0, fflags, 0
    csrrwi zero, sscratch, 31
    csrrwi a0, sscratch, 1
    csrrsi zero, fflags, 1
    csrrsi a0, fflags, 1
    csrrci zero, fflags, 31
    csrrci a0, fflags, 31
    mul a0, a1, a2
    mulh a0, a1, a2
    mulhsu a0, a1, a2
    mulhu a0, a1, a2
    div a0, a1, a2
    divu a0, a1, a2
    rem a0, a1, a2
    remu a0, a1, a2
    mulw a0, a1, a2
    divw a0, a1, a2
    divuw a0, a1, a2
    remw a0, a1, a2
    remuw a0, a1, a2
"""

_AMO = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu",
        "amomaxu"]
_ORDER = ["", ".aq", ".rl", ".aqrl"]
_RMS = ["", ",rne", ",rtz", ",rdn", ",rup", ",rmm", ",dyn"]


def _atomics():
    lines = []
    for width in ("w", "d"):
        for i, order in enumerate(_ORDER):
            lines.append(f"lr.{width}{order} a{i}, (s{i})")
            lines.append(f"sc.{width}{order} a{i}, t{i}, (s{i + 1})")
            for name in _AMO:
                lines.append(f"{name}.{width}{order} t{i}, a{i + 2}, (sp)")
    return lines


def _floating_point():
    lines = []
    for i, x in enumerate(("s", "d")):
        load, store = ("flw", "fsw") if x == "s" else ("fld", "fsd")
        lines += [f"{load} fa{i}, -1878(a5)", f"{store} fs{i}, 2040(sp)"]
        for j, rm in enumerate(_RMS):
            f = f"f{j}"
            for op in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
                lines.append(f"{op}.{x} fa5, fa4, fa3, {f}{rm}")
            for op in ("fadd", "fsub", "fmul", "fdiv"):
                lines.append(f"{op}.{x} ft{j}, fs{j}, fa{j}{rm}")
            lines.append(f"fsqrt.{x} fa0, ft{j}{rm}")
            for t in ("w", "wu", "l", "lu"):
                lines.append(f"fcvt.{t}.{x} a{j}, fa{j}{rm}")
                if not (x == "d" and t in ("w", "wu")):
                    lines.append(f"fcvt.{x}.{t} fa{j}, a{j}{rm}")
        for op in ("fsgnj", "fsgnjn", "fsgnjx"):
            lines += [f"{op}.{x} fa0, fa1, fa2", f"{op}.{x} fa0, fa1, fa1"]
        for op in ("fmin", "fmax", "feq", "flt", "fle"):
            dest = "fa0" if op in ("fmin", "fmax") else "a0"
            lines.append(f"{op}.{x} {dest}, fa1, fa2")
        lines += [f"fclass.{x} a0, ft11", f"fcvt.d.w fa0, a{i}", f"fcvt.d.wu fa1, a{i}"]
    lines += ["fmv.x.w a0, fa0", "fmv.w.x fa0, zero", "fmv.x.d t0, ft0", "fmv.d.x ft0, t0",
              "fcvt.s.d fa0, fa1", "fcvt.s.d fa0, fa1, rtz", "fcvt.d.s fa0, fa1"]
    return lines + _half_precision()


def _half_precision():
    """Zfh and Zfhmin, as binutils 2.40 assembles them."""
    lines = ["flh fa0, -1878(a5)", "fsh fs1, 2040(sp)", "fmv.x.h a0, fa0", "fmv.h.x fa0, a1",
             "fcvt.s.h fa0, fa1", "fcvt.d.h fa0, fa1", "fcvt.h.s fa0, fa1", "fcvt.h.d fa0, fa1, rmm",
             "fclass.h a0, ft11"]
    for j, rm in enumerate(_RMS):
        for op in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
            lines.append(f"{op}.h fa5, fa4, fa3, f{j}{rm}")
        for op in ("fadd", "fsub", "fmul", "fdiv"):
            lines.append(f"{op}.h ft{j}, fs{j}, fa{j}{rm}")
        lines.append(f"fsqrt.h fa0, ft{j}{rm}")
        for t in ("w", "wu", "l", "lu"):
            lines += [f"fcvt.{t}.h a{j}, fa{j}{rm}", f"fcvt.h.{t} fa{j}, a{j}{rm}"]
    for op in ("fsgnj", "fsgnjn", "fsgnjx"):
        lines += [f"{op}.h fa0, fa1, fa2", f"{op}.h fa0, fa1, fa1"]
    for op in ("fmin", "fmax", "feq", "flt", "fle"):
        lines.append(f"{op}.h {'fa0' if op in ('fmin', 'fmax') else 'a0'}, fa1, fa2")
    return lines


def _compressed():
    return [".option rvc", "near:", "c.addi4spn s0, sp, 8", "c.addi4spn a5, sp, 1020", "c.fld fa0, 248(a1)",
            "c.lw a0, 124(a1)", "c.ld s1, 0(a5)", "c.fsd fs0, 8(s1)", "c.sw a2, 4(a3)",
            "c.sd a4, 248(a5)", "c.nop", "c.addi a0, -32", "c.addi sp, 31",
            "c.addiw a0, 0", "c.addiw a0, -1", "c.li a0, -32", "c.li t6, 31",
            "c.addi16sp sp, -512", "c.addi16sp sp, 496", "c.lui a0, 1", "c.lui t6, 0xfffe0",
            "c.srli s0, 63", "c.srai a5, 1", "c.andi a0, -1", "c.sub s0, s1",
            "c.xor a0, a1", "c.or a2, a3", "c.and a4, a5", "c.subw s0, a5",
            "c.addw a5, s0", "c.j near", "c.beqz a0, near", "c.bnez s1, near",
            "c.slli ra, 1", "c.slli t6, 63", "c.fldsp ft0, 504(sp)", "c.lwsp ra, 252(sp)",
            "c.ldsp s0, 0(sp)", "c.jr ra", "c.jr a0", "c.mv a0, a1", "c.ebreak",
            "c.jalr t0", "c.add a0, a1", "c.fsdsp fs11, 504(sp)", "c.swsp zero, 252(sp)",
            "c.sdsp ra, 8(sp)"]


def _rva22_integer():
    """Zba Zbb Zbs Zbc Zbkb Zicbo* Zihintpause as binutils writes them; Zicond and Zihintntl
    (unknown to binutils 2.40) as .insn words."""
    rr = ["add.uw", "sh1add", "sh2add", "sh3add", "sh1add.uw", "sh2add.uw", "sh3add.uw",
          "andn", "orn", "xnor", "max", "maxu", "min", "minu", "rol", "ror", "rolw", "rorw",
          "bclr", "bext", "binv", "bset", "clmul", "clmulh", "clmulr", "pack", "packh",
          "packw"]
    lines = [f"{op} a0, s1, t2" for op in rr]
    lines += ["add.uw a0, a1, zero", "zext.w t0, t1", "packw a0, a1, zero"]
    lines += [f"{op} a5, s0" for op in ("clz", "ctz", "cpop", "clzw", "ctzw", "cpopw", "sext.b",
                                        "sext.h", "zext.h", "orc.b", "rev8", "brev8")]
    lines += ["slli.uw a0, a1, 63", "slli.uw a0, a1, 0", "rori s2, s3, 1", "roriw s2, s3, 31",
              "bclri a0, a0, 63", "bexti a1, a2, 0", "binvi a3, a4, 32", "bseti t0, t1, 7"]
    lines += ["cbo.clean (a0)", "cbo.flush (sp)", "cbo.inval (t6)", "cbo.zero (s11)",
              "prefetch.i 0(a0)", "prefetch.r 2016(sp)", "prefetch.w -2048(a5)", "pause"]
    lines += [".insn r 0x33, 5, 7, a0, a1, a2", ".insn r 0x33, 7, 7, s0, s1, zero",
              ".insn r 0x33, 0, 0, zero, zero, sp", ".insn r 0x33, 0, 0, zero, zero, gp",
              ".insn r 0x33, 0, 0, zero, zero, tp", ".insn r 0x33, 0, 0, zero, zero, t0"]
    return lines


def test_extensions_binutils_lacks_print_as_the_spec_writes_them():
    """Zicond (czero.eqz rd, rs1, rs2) and Zihintntl (ntl.p1 ...): objdump 2.40 does not
    know them, so the expected text is the specification's assembly syntax."""
    assert disassemble(0x0EC5D533) == "czero.eqz\ta0,a1,a2"      # funct7 7, funct3 5
    assert disassemble(0x0E04F433) == "czero.nez\ts0,s1,zero"    # funct3 7, rs2 x0
    assert [disassemble(0x33 | r << 20) for r in (2, 3, 4, 5)] == [
        "ntl.p1", "ntl.pall", "ntl.s1", "ntl.all"]
    assert disassemble(0x00600033) == "add\tzero,zero,t1"          # x6: an ordinary HINT


def test_handwritten_assembly_covers_every_entry(tmp_path):
    source = HANDWRITTEN + "".join(
        f"    {line}\n" for line in _atomics() + _floating_point() + _compressed()
        + _rva22_integer())
    rows, _ = objdump(assemble(tmp_path, source))
    assert mismatches(rows) == []
    covered = set()
    for _, raw, _ in rows:
        op_id = lookup(raw)
        assert op_id is not None, f"assembler output {raw:#x} is in no table entry"
        covered.add(ENCODINGS[op_id].name)
    assert covered == {e.name for e in ENCODINGS if e.ext not in NOT_IN_BINUTILS_240}


# C programs: integer and string code, floating point, atomics; all link static glibc.
PROGRAMS = {
    "fp": r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
double f(double a, double b, double c) { return fma(a, b, c) + sqrt(a) + fabs(b) - (-c); }
float g(float a, float b, float c) {
    return fmaf(a, b, c) + sqrtf(a) + fabsf(b) + copysignf(a, c) + fminf(a, b) + fmaxf(b, c);
}
long h(double x) { return (long)x + lrint(x) + (unsigned long)x + (int)x + (unsigned)x; }
float k(long a, unsigned long b, int c, unsigned d) { return a + b + c + d + (double)c; }
int main(int argc, char **argv) {
    double a = atof(argv[0]);
    printf("%f %f %ld %f %d\n", f(a, a * 2, 3), g(a, 2, 3), h(a), k(argc, 2, 3, 4), a < 2.0);
    return 0;
}
""",
    "atomics": r"""
#include <stdatomic.h>
#include <stdio.h>
_Atomic long al; _Atomic int ai;
long at(long v) {
    long r = atomic_fetch_add(&al, v);
    r += atomic_fetch_and(&ai, (int)v);
    r += atomic_exchange_explicit(&al, v, memory_order_acquire);
    long e = 5; atomic_compare_exchange_strong(&al, &e, v);
    r += __atomic_fetch_or(&al, v, __ATOMIC_RELEASE);
    r += __atomic_fetch_xor(&ai, v, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return r;
}
int main(int argc, char **argv) { printf("%ld %s\n", at(argc), argv[0]); return 0; }
""",
}


@pytest.fixture(scope="module")
def c_programs(tmp_path_factory):
    d = tmp_path_factory.mktemp("progs")
    paths = []
    for name, text in PROGRAMS.items():
        (d / f"{name}.c").write_text(text)
        subprocess.run([GCC, "-O2", "-static", "-o", str(d / name), str(d / f"{name}.c"),
                        "-lm"], check=True, capture_output=True)
        paths.append(d / name)
    return paths


def test_static_c_programs_line_for_line(c_programs):
    """Every line of every program, glibc included, with <sym+0x..> target annotations."""
    total = 0
    for path in c_programs:
        rows, symbols = objdump(path)
        total += len(rows)
        assert mismatches(rows, symbols) == [], path.name
    assert total > 150000


def _workload_elfs():
    return sorted(p for p in (ROOT / "workloads" / "bin").glob("*")
                  if p.is_file() and p.read_bytes()[:4] == b"\x7fELF")


@pytest.mark.parametrize("elf", _workload_elfs(), ids=lambda p: p.name)
def test_workload_elf_line_for_line(elf):
    rows, symbols = objdump(elf)
    assert rows
    assert mismatches(rows, symbols) == []


def test_disassemble_bytes_walks_mixed_widths(tmp_path, c_programs):
    """The .text bytes of a real program, walked by us, give objdump's listing."""
    path = c_programs[0]
    text_bin = tmp_path / "text.bin"
    subprocess.run(["riscv64-linux-gnu-objcopy", "-O", "binary", "--only-section=.text",
                    str(path), str(text_bin)], check=True)
    rows, symbols = objdump(path, "-z", "-j", ".text")   # -z: list zero padding too
    base = rows[0][0]
    ours = disassemble_bytes(text_bin.read_bytes(), base, symbols)
    assert [(pc, raw) for pc, raw, _, _ in ours] == [(a, r) for a, r, _ in rows]
    assert all(length == (2 if raw & 3 != 3 else 4) for _, raw, length, _ in ours)
    assert [t for *_, t in ours] == [without_comment(t) for *_, t in rows]


def test_address_comments_in_a_program_listing(tmp_path, c_programs):
    """objdump's "# addr" comments (auipc/lui pairs, gp- and tp-relative) over glibc."""
    path = c_programs[1]
    text_bin = tmp_path / "text.bin"
    subprocess.run(["riscv64-linux-gnu-objcopy", "-O", "binary", "--only-section=.text",
                    str(path), str(text_bin)], check=True)
    nm = subprocess.run(["riscv64-linux-gnu-nm", str(path)], check=True, capture_output=True,
                        text=True).stdout
    gp = next(int(line.split()[0], 16) for line in nm.splitlines()
              if line.endswith(" __global_pointer$"))
    rows, _ = objdump(path, "-z", "-j", ".text")
    ours = disassemble_bytes(text_bin.read_bytes(), rows[0][0], comments=True, gp=gp)
    expected = [without_annotations(t) for *_, t in rows]
    assert sum(" # " in t for t in expected) > 2000
    assert [without_annotations(t) for *_, t in ours] == expected


def test_examples_from_the_brief():
    assert disassemble(0x717D) == "add\tsp,sp,-16"            # c.addi16sp
    assert disassemble(0x2785) == "addw\ta5,a5,1"             # c.addiw
    assert disassemble(0x4781) == "li\ta5,0"
    assert disassemble(0x60A2) == "ld\tra,8(sp)"
    assert disassemble(0x8082) == "ret"
    assert disassemble(0x0ff0000f) == "fence"
    assert disassemble(0x0330000f) == "fence\trw,rw"
    assert disassemble(0x00202573) == "frrm\ta0"
    assert disassemble(0xC0001073) == "unimp"
    assert disassemble(0x00000013) == "nop"
    assert disassemble(0x0000) == "unimp"


def test_branch_targets_and_annotations():
    beqz = 0x00050463                                   # beq a0,zero,.+8
    assert disassemble(beqz, 0x1000) == "beqz\ta0,1008"
    syms = {0x1000: "f", 0x1008: "g"}
    assert disassemble(beqz, 0x1000, syms) == "beqz\ta0,1008 <g>"
    assert disassemble(beqz, 0x1002, syms) == "beqz\ta0,100a <g+0x2>"
    assert disassemble(beqz, 0x0, syms) == "beqz\ta0,8"            # below every symbol
    j_back = 0xFF9FF06F                                  # jal zero,.-8
    assert disassemble(j_back, 0x4) == "j\tfffffffffffffffc"     # wraps as objdump does


def test_unknown_words_print_as_data():
    assert disassemble(0x0000007B) == ".4byte\t0x7b"
    assert disassemble(0x6001) == ".2byte\t0x6001"                 # c.lui x0, 0: reserved
    assert disassemble(0x8000100F) == ".4byte\t0x8000100f"         # fence.i, nonzero imm
    assert instruction_length(0x101F) == 6 and instruction_length(0x003F) == 8


def test_csr_names():
    assert csr_name(0x001) == "fflags" and csr_name(0xC02) == "instret"
    assert csr_name(0x7C0) == "0x7c0"


def test_zfa_in_the_spec_syntax():
    """Zfa (unknown to binutils 2.40): the assembly syntax of the spec's Zfa chapter, fli
    constants as later binutils prints them (min/inf/nan by name, else C's %a)."""
    def r(f7, rs2, rs1, f3, rd):
        return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x53
    fa0, fa1, fa2, a0 = 10, 11, 12, 10
    expect = {
        r(0x78, 1, 0, 0, fa2): "fli.s\tfa2,-0x1p+0",
        r(0x79, 1, 1, 0, fa2): "fli.d\tfa2,min",
        r(0x7A, 1, 9, 0, fa2): "fli.h\tfa2,0x1.4p-2",
        r(0x78, 1, 2, 0, fa2): "fli.s\tfa2,0x1p-16",
        r(0x79, 1, 29, 0, fa2): "fli.d\tfa2,0x1p+16",
        r(0x78, 1, 30, 0, fa2): "fli.s\tfa2,inf",
        r(0x7A, 1, 31, 0, fa2): "fli.h\tfa2,nan",
        r(0x14, fa1, fa0, 2, fa2): "fminm.s\tfa2,fa0,fa1",
        r(0x15, fa1, fa0, 3, fa2): "fmaxm.d\tfa2,fa0,fa1",
        r(0x16, fa1, fa0, 2, fa2): "fminm.h\tfa2,fa0,fa1",
        r(0x20, 4, fa0, 7, fa2): "fround.s\tfa2,fa0",
        r(0x21, 5, fa0, 1, fa2): "froundnx.d\tfa2,fa0,rtz",
        r(0x22, 4, fa0, 4, fa2): "fround.h\tfa2,fa0,rmm",
        r(0x61, 8, fa0, 1, a0): "fcvtmod.w.d\ta0,fa0,rtz",
        r(0x50, fa1, fa0, 4, a0): "fleq.s\ta0,fa0,fa1",
        r(0x51, fa1, fa0, 5, a0): "fltq.d\ta0,fa0,fa1",
        r(0x52, fa1, fa0, 4, a0): "fleq.h\ta0,fa0,fa1",
        r(0x14, fa1, fa0, 3, fa2): "fmaxm.s\tfa2,fa0,fa1",
        r(0x15, fa1, fa0, 2, fa2): "fminm.d\tfa2,fa0,fa1",
        r(0x16, fa1, fa0, 3, fa2): "fmaxm.h\tfa2,fa0,fa1",
        r(0x21, 4, fa0, 0, fa2): "fround.d\tfa2,fa0,rne",
        r(0x20, 5, fa0, 2, fa2): "froundnx.s\tfa2,fa0,rdn",
        r(0x22, 5, fa0, 3, fa2): "froundnx.h\tfa2,fa0,rup",
        r(0x51, fa1, fa0, 4, a0): "fleq.d\ta0,fa0,fa1",
        r(0x50, fa1, fa0, 5, a0): "fltq.s\ta0,fa0,fa1",
        r(0x52, fa1, fa0, 5, a0): "fltq.h\ta0,fa0,fa1",
    }
    for word, text in expect.items():
        assert disassemble(word, 0) == text, hex(word)
    assert {ENCODINGS[lookup(w)].name for w in expect} == \
        {e.name for e in ENCODINGS if e.ext == "Zfa"}
    # fmvh.x.d is RV32-only and fcvtmod.w.d needs rm = rtz: neither is an instruction here
    assert disassemble(r(0x71, 1, fa0, 0, a0), 0) == f".4byte\t{r(0x71, 1, fa0, 0, a0):#x}"
    assert disassemble(r(0x61, 8, fa0, 0, a0), 0) == f".4byte\t{r(0x61, 8, fa0, 0, a0):#x}"
