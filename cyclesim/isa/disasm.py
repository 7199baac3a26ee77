r"""RV64GC disassembler that prints what GNU objdump 2.40 prints.

`disassemble(raw, pc)` returns the instruction column of `riscv64-linux-gnu-objdump -d`
for one instruction word: mnemonic, a TAB, operands (``add\tsp,sp,-16``, ``ld\tra,8(sp)``,
``ret``). Which instruction a word is comes from the one encoding table,
`cyclesim.isa.encoding.ENCODINGS`; this module only decides how objdump *shows* it:
the pseudo-instructions it prefers (``li``, ``mv``, ``beqz``, ``csrr``, ``frflags``...),
the aliases binutils 2.40 picks for immediate forms (``add`` for ``addi``, ``sll`` for
``slli``), and how compressed instructions print (as their 32-bit equivalents, except
for hints). Branch and jump targets get objdump's ``<sym+0x..>`` annotation when a
symbol table is given. Objdump's trailing ``# addr <sym>`` comments need the preceding
instructions (a lui/auipc earlier in the listing), so only `disassemble_bytes(...,
comments=True)` produces them.

Encodings the simulated machine accepts but objdump prints as data (a fence with nonzero
fm/rs1/rd, fence.i with nonzero fields, fcvt.d.w/fcvt.d.wu/fcvt.d.s with rm != 0) print
as objdump prints them, and so do the few words objdump names although they are outside
RV64GC user level (sret, mret, wfi, sfence.vma, ...).

Field extraction here is deliberately independent of the Cython decoder, so the two
cross-check each other through the objdump comparison tests.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from cyclesim.errors import CyclesimError
from cyclesim.isa.encoding import ENCODINGS, fields, lookup

__all__ = [
    "DisassemblyError",
    "SymbolTable",
    "csr_name",
    "disassemble",
    "disassemble_bytes",
    "instruction_length",
]


class DisassemblyError(CyclesimError, ValueError):
    """An argument that is not an instruction word, address or symbol table."""

_MASK64 = (1 << 64) - 1

XREG = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
)
FREG = (
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
    "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
)
# Rounding-mode field; 5 and 6 are reserved, objdump prints "unknown".
_RM = ("rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn")
_RM_DYN = 7
# FENCE predecessor/successor sets, bit 3..0 = i, o, r, w.
_IORW = (
    "unknown", "w", "r", "rw", "o", "ow", "or", "orw",
    "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw",
)


# --------------------------------------------------------------------------- CSR names
def _build_csr_names() -> dict[int, str]:
    """CSR numbers objdump 2.40 prints by name (the privileged spec's map plus the
    vector, entropy-source and AIA/state-enable CSRs binutils knows)."""
    n: dict[int, str] = {
        0x001: "fflags", 0x002: "frm", 0x003: "fcsr",
        0x008: "vstart", 0x009: "vxsat", 0x00A: "vxrm", 0x00F: "vcsr", 0x015: "seed",
        0xC00: "cycle", 0xC01: "time", 0xC02: "instret",
        0xC20: "vl", 0xC21: "vtype", 0xC22: "vlenb",
        0xC80: "cycleh", 0xC81: "timeh", 0xC82: "instreth",
        0xDA0: "scountovf", 0xDB0: "stopi", 0xE12: "hgeip", 0xEB0: "vstopi",
        0xF11: "mvendorid", 0xF12: "marchid", 0xF13: "mimpid", 0xF14: "mhartid",
        0xF15: "mconfigptr", 0xFB0: "mtopi",
        0x5A8: "scontext", 0x6A8: "hcontext",
        0x747: "mseccfg", 0x757: "mseccfgh",
        0x7A0: "tselect", 0x7A1: "tdata1", 0x7A2: "tdata2", 0x7A3: "tdata3",
        0x7A4: "tinfo", 0x7A5: "tcontrol", 0x7A8: "mcontext", 0x7AA: "mscontext",
        0x7B0: "dcsr", 0x7B1: "dpc", 0x7B2: "dscratch0", 0x7B3: "dscratch1",
        0xB00: "mcycle", 0xB02: "minstret", 0xB80: "mcycleh", 0xB82: "minstreth",
        0x320: "mcountinhibit",
    }
    # Supervisor (0x1xx) and virtual-supervisor (0x2xx) share a layout.
    s_layout = {
        0x00: "status", 0x04: "ie", 0x05: "tvec", 0x14: "ieh", 0x40: "scratch",
        0x41: "epc", 0x42: "cause", 0x43: "tval", 0x44: "ip", 0x4D: "timecmp",
        0x50: "iselect", 0x51: "ireg", 0x54: "iph", 0x5C: "topei", 0x5D: "timecmph",
        0x80: "atp",
    }
    for off, tail in s_layout.items():
        n[0x100 + off] = "s" + tail
        n[0x200 + off] = "vs" + tail
    n.update({0x106: "scounteren", 0x10A: "senvcfg"})
    for i in range(4):
        n[0x10C + i] = f"sstateen{i}"
        n[0x30C + i] = f"mstateen{i}"
        n[0x31C + i] = f"mstateen{i}h"
        n[0x60C + i] = f"hstateen{i}"
        n[0x61C + i] = f"hstateen{i}h"
    n.update({
        0x300: "mstatus", 0x301: "misa", 0x302: "medeleg", 0x303: "mideleg",
        0x304: "mie", 0x305: "mtvec", 0x306: "mcounteren", 0x308: "mvien", 0x309: "mvip",
        0x30A: "menvcfg", 0x310: "mstatush", 0x313: "midelegh", 0x314: "mieh",
        0x318: "mvienh", 0x319: "mviph", 0x31A: "menvcfgh",
        0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip",
        0x34A: "mtinst", 0x34B: "mtval2", 0x350: "miselect", 0x351: "mireg",
        0x354: "miph", 0x35C: "mtopei",
        0x600: "hstatus", 0x602: "hedeleg", 0x603: "hideleg", 0x604: "hie",
        0x605: "htimedelta", 0x606: "hcounteren", 0x607: "hgeie", 0x608: "hvien",
        0x609: "hvictl", 0x60A: "henvcfg", 0x613: "hidelegh", 0x615: "htimedeltah",
        0x618: "hvienh", 0x61A: "henvcfgh", 0x643: "htval", 0x644: "hip", 0x645: "hvip",
        0x646: "hviprio1", 0x647: "hviprio2", 0x64A: "htinst", 0x655: "hviph",
        0x656: "hviprio1h", 0x657: "hviprio2h", 0x680: "hgatp",
    })
    for i in range(16):
        n[0x3A0 + i] = f"pmpcfg{i}"
    for i in range(64):
        n[0x3B0 + i] = f"pmpaddr{i}"
    for i in range(3, 32):
        n[0xC00 + i] = f"hpmcounter{i}"
        n[0xC80 + i] = f"hpmcounter{i}h"
        n[0xB00 + i] = f"mhpmcounter{i}"
        n[0xB80 + i] = f"mhpmcounter{i}h"
        n[0x320 + i] = f"mhpmevent{i}"
        n[0x720 + i] = f"mhpmevent{i}h"
    return n


_CSR_NAMES = _build_csr_names()


def csr_name(csr: int) -> str:
    """The name objdump prints for CSR number `csr`, or its number in hex."""
    return _CSR_NAMES.get(csr, f"0x{csr:x}")


# --------------------------------------------------------------------------- symbols
class SymbolTable:
    """Addresses to names, looked up the way objdump annotates a target: the nearest
    symbol at or below the address, as ``name`` or ``name+0x<offset>``."""

    def __init__(self, symbols: Mapping[int, str]):
        items = sorted(symbols.items())
        self._addrs = [a for a, _ in items]
        self._names = [s for _, s in items]

    def __len__(self) -> int:
        return len(self._addrs)

    def lookup(self, addr: int) -> str | None:
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0:
            return None
        off = addr - self._addrs[i]
        return self._names[i] if off == 0 else f"{self._names[i]}+0x{off:x}"


_last_table: tuple[Mapping[int, str], int, SymbolTable] | None = None


def _as_table(symbols) -> SymbolTable:
    """Accept a SymbolTable or a plain mapping. The last mapping converted is remembered
    (with its size), so calling `disassemble` in a loop with the same dict does not
    re-sort it every time; pass a SymbolTable if you edit the dict between calls."""
    global _last_table
    if isinstance(symbols, SymbolTable):
        return symbols
    if (_last_table is not None and _last_table[0] is symbols
            and _last_table[1] == len(symbols)):
        return _last_table[2]
    if not isinstance(symbols, Mapping):
        raise DisassemblyError(
            f"symbols must be a mapping of address to name or a SymbolTable, not "
            f"{type(symbols).__name__}; build one with SymbolTable({{addr: name}}).")
    table = SymbolTable(symbols)
    _last_table = (symbols, len(symbols), table)
    return table


# --------------------------------------------------------------------------- fields
def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def _imm_i(w: int) -> int:
    return _sext(w >> 20, 12)


def _imm_s(w: int) -> int:
    return _sext(((w >> 25) << 5) | ((w >> 7) & 0x1F), 12)


def _imm_b(w: int) -> int:
    return _sext(
        ((w >> 31) & 1) << 12 | ((w >> 7) & 1) << 11 | ((w >> 25) & 0x3F) << 5
        | ((w >> 8) & 0xF) << 1,
        13,
    )


def _imm_j(w: int) -> int:
    return _sext(
        ((w >> 31) & 1) << 20 | ((w >> 12) & 0xFF) << 12 | ((w >> 20) & 1) << 11
        | ((w >> 21) & 0x3FF) << 1,
        21,
    )


class _Text(NamedTuple):
    """One rendered instruction: `text` is complete unless `target` is set, in which case
    the target address (pc + target) and its annotation are appended to it."""

    text: str
    target: int | None = None


def _insn(mnemonic: str, operands: str = "", target: int | None = None) -> _Text:
    if operands or target is not None:
        return _Text(f"{mnemonic}\t{operands}", target)
    return _Text(mnemonic)


# Operand tokens of the encoding table's 32-bit forms -> how objdump prints them.
# Each returns the operand text; "rm" returns "" for the default dynamic mode.
_OPERAND32 = {
    "rd": lambda w: XREG[(w >> 7) & 31],
    "rs1": lambda w: XREG[(w >> 15) & 31],
    "rs2": lambda w: XREG[(w >> 20) & 31],
    "fd": lambda w: FREG[(w >> 7) & 31],
    "fs1": lambda w: FREG[(w >> 15) & 31],
    "fs2": lambda w: FREG[(w >> 20) & 31],
    "fs3": lambda w: FREG[(w >> 27) & 31],
    "imm12": lambda w: str(_imm_i(w)),
    "imm12(rs1)": lambda w: f"{_imm_i(w)}({XREG[(w >> 15) & 31]})",
    "simm12(rs1)": lambda w: f"{_imm_s(w)}({XREG[(w >> 15) & 31]})",
    "(rs1)": lambda w: f"({XREG[(w >> 15) & 31]})",
    "uimm20": lambda w: f"0x{(w >> 12) & 0xFFFFF:x}",
    "shamt": lambda w: f"0x{(w >> 20) & 0x3F:x}",
    "shamtw": lambda w: f"0x{(w >> 20) & 0x1F:x}",
    "csr": lambda w: csr_name(w >> 20),
    "zimm": lambda w: str((w >> 15) & 31),
    "rm": lambda w: "" if (w >> 12) & 7 == _RM_DYN else _RM[(w >> 12) & 7],
    "pred": lambda w: _IORW[(w >> 24) & 15],
    "succ": lambda w: _IORW[(w >> 20) & 15],
}
_AQRL_SUFFIX = ("", ".rl", ".aq", ".aqrl")  # indexed by bits 26:25 (aq, rl)


# --- Half precision (Zfh, Zfhmin) and Zfa
# Zfa is newer than binutils 2.40 (it prints these words as .4byte); the syntax is the
# spec's and what later binutils prints: the fli constant by name for entries 1, 30 and
# 31 ("min", "inf", "nan") and otherwise as C's %a of the single-precision table value.
_FLI_VALUES = (-1.0, None, 2.0**-16, 2.0**-15, 2.0**-8, 2.0**-7, 0.0625, 0.125, 0.25,
               0.3125, 0.375, 0.4375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.25, 1.5, 1.75, 2.0,
               2.5, 3.0, 4.0, 8.0, 16.0, 128.0, 256.0, 2.0**15, 2.0**16, None, None)
_FLI_NAMES = {1: "min", 30: "inf", 31: "nan"}


def _hexfloat(v: float) -> str:
    """C's %a: shortest hex significand, no trailing zeros (0x1.4p-2, -0x1p+0)."""
    mant, exp = v.hex().split("p")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}p{exp}"


def _fli_operand(w: int) -> str:
    idx = (w >> 15) & 31
    return _FLI_NAMES.get(idx) or _hexfloat(_FLI_VALUES[idx])


_OPERAND32["fli"] = _fli_operand


def _generic32(name: str, operands: str, w: int) -> _Text:
    """The canonical form: mnemonic and the table's operand list in objdump syntax."""
    parts = []
    target = None
    for token in operands.split(",") if operands else ():
        if token == "aqrl":
            name += _AQRL_SUFFIX[(w >> 25) & 3]
        elif token == "bimm":
            target = _imm_b(w)
        elif token == "jimm":
            target = _imm_j(w)
        else:
            text = _OPERAND32[token](w)
            if text:
                parts.append(text)
    ops = ",".join(parts)
    if target is not None and parts:
        ops += ","
    return _insn(name, ops, target)


# --------------------------------------------------------------------------- aliases
# binutils 2.40 lists "add rd,rs1,imm" (and the like) before "addi" in its opcode table
# and prints the first entry that matches, so these immediate forms show the
# register-form mnemonic with the immediate operand.
_IMM_AS_REG = {
    "addi": "add", "addiw": "addw", "andi": "and", "ori": "or", "xori": "xor",
    "slli": "sll", "srli": "srl", "srai": "sra",
    "slliw": "sllw", "srliw": "srlw", "sraiw": "sraw",
    "csrrwi": "csrrw", "csrrsi": "csrrs", "csrrci": "csrrc",
}


def _rd(w: int) -> int:
    return (w >> 7) & 31


def _rs1(w: int) -> int:
    return (w >> 15) & 31


def _rs2(w: int) -> int:
    return (w >> 20) & 31


def _a_addi(w):
    rd, rs1, imm = _rd(w), _rs1(w), _imm_i(w)
    if rd == 0 and rs1 == 0 and imm == 0:
        return _insn("nop")
    if rs1 == 0:
        return _insn("li", f"{XREG[rd]},{imm}")
    if imm == 0:
        return _insn("mv", f"{XREG[rd]},{XREG[rs1]}")
    return None


def _a_addiw(w):
    if _imm_i(w) == 0:
        return _insn("sext.w", f"{XREG[_rd(w)]},{XREG[_rs1(w)]}")
    return None


def _a_andi(w):
    if _imm_i(w) == 255:
        return _insn("zext.b", f"{XREG[_rd(w)]},{XREG[_rs1(w)]}")
    return None


def _a_xori(w):
    if _imm_i(w) == -1:
        return _insn("not", f"{XREG[_rd(w)]},{XREG[_rs1(w)]}")
    return None


def _a_sltiu(w):
    if _imm_i(w) == 1:
        return _insn("seqz", f"{XREG[_rd(w)]},{XREG[_rs1(w)]}")
    return None


def _neg(mnemonic):
    def alias(w):
        if _rs1(w) == 0:
            return _insn(mnemonic, f"{XREG[_rd(w)]},{XREG[_rs2(w)]}")
        return None
    return alias


def _a_slt(w):
    if _rs2(w) == 0:
        return _insn("sltz", f"{XREG[_rd(w)]},{XREG[_rs1(w)]}")
    if _rs1(w) == 0:
        return _insn("sgtz", f"{XREG[_rd(w)]},{XREG[_rs2(w)]}")
    return None


def _branch_zero(*tries):
    """Branches against x0, tried in binutils' table order: ("beqz", "rs2") means "if
    rs2 is x0, print beqz with the other register"."""
    def alias(w):
        regs = {"rs1": _rs1(w), "rs2": _rs2(w)}
        for mnemonic, zero in tries:
            if regs[zero] == 0:
                other = regs["rs2" if zero == "rs1" else "rs1"]
                return _insn(mnemonic, f"{XREG[other]},", _imm_b(w))
        return None
    return alias


def _a_jal(w):
    rd = _rd(w)
    if rd == 0:
        return _insn("j", "", _imm_j(w))
    if rd == 1:
        return _insn("jal", "", _imm_j(w))
    return None


def _a_jalr(w):
    rd, rs1, imm = _rd(w), _rs1(w), _imm_i(w)
    if rd == 0 and rs1 == 1 and imm == 0:
        return _insn("ret")
    if rd in (0, 1):
        mnemonic = "jr" if rd == 0 else "jalr"
        return _insn(mnemonic, XREG[rs1] if imm == 0 else f"{imm}({XREG[rs1]})")
    if imm == 0:
        return _insn("jalr", f"{XREG[rd]},{XREG[rs1]}")
    return None


_FP_CSR_WRITE = {1: "fsflags", 2: "fsrm", 3: "fscsr"}
_CSR_READ = {1: "frflags", 2: "frrm", 3: "frcsr", 0xC00: "rdcycle", 0xC01: "rdtime",
             0xC02: "rdinstret"}


def _a_csrrw(w):
    rd, rs1, csr = _rd(w), _rs1(w), w >> 20
    if w == 0xC0001073:  # csrrw zero,cycle,zero is the canonical 32-bit "unimp"
        return _insn("unimp")
    if csr in _FP_CSR_WRITE:
        ops = XREG[rs1] if rd == 0 else f"{XREG[rd]},{XREG[rs1]}"
        return _insn(_FP_CSR_WRITE[csr], ops)
    if rd == 0:
        return _insn("csrw", f"{csr_name(csr)},{XREG[rs1]}")
    return None


def _a_csrrs(w):
    rd, rs1, csr = _rd(w), _rs1(w), w >> 20
    if rs1 == 0:
        if csr in _CSR_READ:
            return _insn(_CSR_READ[csr], XREG[rd])
        return _insn("csrr", f"{XREG[rd]},{csr_name(csr)}")
    if rd == 0:
        return _insn("csrs", f"{csr_name(csr)},{XREG[rs1]}")
    return None


def _a_csrrc(w):
    if _rd(w) == 0:
        return _insn("csrc", f"{csr_name(w >> 20)},{XREG[_rs1(w)]}")
    return None


def _a_csrrwi(w):
    rd, zimm, csr = _rd(w), _rs1(w), w >> 20
    if csr in (1, 2):
        mnemonic = "fsflagsi" if csr == 1 else "fsrmi"
        return _insn(mnemonic, f"{XREG[rd]},{zimm}")  # rd kept even when x0
    if rd == 0:
        return _insn("csrw", f"{csr_name(csr)},{zimm}")
    return None


def _csr_imm_set_clear(mnemonic):
    def alias(w):
        if _rd(w) == 0:
            return _insn(mnemonic, f"{csr_name(w >> 20)},{_rs1(w)}")
        return None
    return alias


def _fsgnj(mnemonic):
    def alias(w):
        if _rs1(w) == _rs2(w):
            return _insn(mnemonic, f"{FREG[_rd(w)]},{FREG[_rs1(w)]}")
        return None
    return alias


_ALIAS32 = {
    "addi": _a_addi, "addiw": _a_addiw, "andi": _a_andi, "xori": _a_xori,
    "sltiu": _a_sltiu, "sub": _neg("neg"), "subw": _neg("negw"),
    "slt": _a_slt, "sltu": _neg("snez"),
    "beq": _branch_zero(("beqz", "rs2")), "bne": _branch_zero(("bnez", "rs2")),
    "bge": _branch_zero(("blez", "rs1"), ("bgez", "rs2")),
    "blt": _branch_zero(("bltz", "rs2"), ("bgtz", "rs1")),
    "jal": _a_jal, "jalr": _a_jalr,
    "csrrw": _a_csrrw, "csrrs": _a_csrrs, "csrrc": _a_csrrc, "csrrwi": _a_csrrwi,
    "csrrsi": _csr_imm_set_clear("csrs"), "csrrci": _csr_imm_set_clear("csrc"),
    "fsgnj.s": _fsgnj("fmv.s"), "fsgnj.d": _fsgnj("fmv.d"),
    "fsgnjn.s": _fsgnj("fneg.s"), "fsgnjn.d": _fsgnj("fneg.d"),
    "fsgnjx.s": _fsgnj("fabs.s"), "fsgnjx.d": _fsgnj("fabs.d"),
    "fsgnj.h": _fsgnj("fmv.h"), "fsgnjn.h": _fsgnj("fneg.h"), "fsgnjx.h": _fsgnj("fabs.h"),
}


# --- Bit manipulation (Zba/Zbb/Zbs/Zbc/Zbkb), Zicond, Zicbo*, Zihint*: the generic form
# serves all but these; binutils 2.40 prints the immediate rotates and single-bit ops
# under their register mnemonic, and add.uw rd,rs1,zero as zext.w.
_IMM_AS_REG.update({"rori": "ror", "roriw": "rorw", "bclri": "bclr", "bexti": "bext",
                    "binvi": "binv", "bseti": "bset"})
_ALIAS32["add.uw"] = lambda w: (_insn("zext.w", f"{XREG[_rd(w)]},{XREG[_rs1(w)]}")
                                if _rs2(w) == 0 else None)


# --------------------------------------------------------------------------- compressed
# Own extraction of the compressed fields (the Python and Cython decoders each have
# theirs; the objdump comparison catches a disagreement).
def _cb(h: int, hi: int, lo: int) -> int:
    return (h >> lo) & ((1 << (hi - lo + 1)) - 1)


def _c_imm6(h: int) -> int:
    return _sext(_cb(h, 12, 12) << 5 | _cb(h, 6, 2), 6)


def _c_shamt(h: int) -> int:
    return _cb(h, 12, 12) << 5 | _cb(h, 6, 2)


def _c_rd(h: int) -> int:
    return _cb(h, 11, 7)


def _c_rs2(h: int) -> int:
    return _cb(h, 6, 2)


def _c_rdp(h: int) -> int:      # rd' / rs2' in bits 4:2
    return 8 + _cb(h, 4, 2)


def _c_rs1p(h: int) -> int:     # rs1' / rd' in bits 9:7
    return 8 + _cb(h, 9, 7)


def _c_ld_off(h: int) -> int:
    return _cb(h, 12, 10) << 3 | _cb(h, 6, 5) << 6


def _c_lw_off(h: int) -> int:
    return _cb(h, 12, 10) << 3 | _cb(h, 6, 6) << 2 | _cb(h, 5, 5) << 6


def _c_ldsp_off(h: int) -> int:
    return _cb(h, 12, 12) << 5 | _cb(h, 6, 5) << 3 | _cb(h, 4, 2) << 6


def _c_lwsp_off(h: int) -> int:
    return _cb(h, 12, 12) << 5 | _cb(h, 6, 4) << 2 | _cb(h, 3, 2) << 6


def _c_sdsp_off(h: int) -> int:
    return _cb(h, 12, 10) << 3 | _cb(h, 9, 7) << 6


def _c_swsp_off(h: int) -> int:
    return _cb(h, 12, 9) << 2 | _cb(h, 8, 7) << 6


def _c_addi16sp_imm(h: int) -> int:
    return _sext(_cb(h, 12, 12) << 9 | _cb(h, 6, 6) << 4 | _cb(h, 5, 5) << 6
                 | _cb(h, 4, 3) << 7 | _cb(h, 2, 2) << 5, 10)


def _c_addi4spn_imm(h: int) -> int:
    return _cb(h, 12, 11) << 4 | _cb(h, 10, 7) << 6 | _cb(h, 6, 6) << 2 | _cb(h, 5, 5) << 3


def _c_j_off(h: int) -> int:
    return _sext(_cb(h, 12, 12) << 11 | _cb(h, 11, 11) << 4 | _cb(h, 10, 9) << 8
                 | _cb(h, 8, 8) << 10 | _cb(h, 7, 7) << 6 | _cb(h, 6, 6) << 7
                 | _cb(h, 5, 3) << 1 | _cb(h, 2, 2) << 5, 12)


def _c_b_off(h: int) -> int:
    return _sext(_cb(h, 12, 12) << 8 | _cb(h, 11, 10) << 3 | _cb(h, 6, 5) << 6
                 | _cb(h, 4, 3) << 1 | _cb(h, 2, 2) << 5, 9)


def _c_mem(mnemonic, reg, off, base):
    return lambda h: _insn(mnemonic, f"{reg(h)},{off(h)}({base(h)})")


def _c_alu_p(mnemonic):
    return lambda h: _insn(mnemonic, f"{XREG[_c_rs1p(h)]},{XREG[_c_rs1p(h)]},"
                                     f"{XREG[_c_rdp(h)]}")


def _c_shift_p(mnemonic, name):
    def show(h):
        r = XREG[_c_rs1p(h)]
        if _c_shamt(h) == 0:
            return _insn(name + "64", r)
        return _insn(mnemonic, f"{r},{r},0x{_c_shamt(h):x}")
    return show


def _cs_addi(h):
    rd, imm = _c_rd(h), _c_imm6(h)
    if rd == 0:
        return _insn("nop") if imm == 0 else _insn("c.nop", str(imm))
    return _insn("add", f"{XREG[rd]},{XREG[rd]},{imm}")


def _cs_addiw(h):
    rd, imm = XREG[_c_rd(h)], _c_imm6(h)
    return _insn("sext.w", f"{rd},{rd}") if imm == 0 else _insn("addw", f"{rd},{rd},{imm}")


def _cs_li(h):
    rd = _c_rd(h)
    return _insn("li" if rd else "c.li", f"{XREG[rd]},{_c_imm6(h)}")


def _cs_lui(h):
    rd = _c_rd(h)
    return _insn("lui" if rd else "c.lui", f"{XREG[rd]},0x{_c_imm6(h) & 0xFFFFF:x}")


def _cs_slli(h):
    rd, shamt = XREG[_c_rd(h)], _c_shamt(h)
    if shamt == 0:
        return _insn("c.slli64", rd)
    if _c_rd(h) == 0:
        return _insn("c.slli", f"{rd},0x{shamt:x}")
    return _insn("sll", f"{rd},{rd},0x{shamt:x}")


def _cs_mv_add(mnemonic, hint):
    def show(h):
        rd, rs2 = _c_rd(h), XREG[_c_rs2(h)]
        if rd == 0:
            return _insn(hint, f"zero,{rs2}")
        if mnemonic == "mv":
            return _insn("mv", f"{XREG[rd]},{rs2}")
        return _insn("add", f"{XREG[rd]},{XREG[rd]},{rs2}")
    return show


def _xr(get):
    return lambda h: XREG[get(h)]


def _fr(get):
    return lambda h: FREG[get(h)]


def _sp(h):
    return "sp"


# How objdump 2.40 prints each compressed instruction: as the 32-bit equivalent's
# alias (c.addi4spn -> add, c.lw -> lw, c.jr ra -> ret), except the hints (x0 targets,
# zero shifts), which keep their c. names.
_SHOW16 = {
    "c.addi4spn": lambda h: _insn("add", f"{XREG[_c_rdp(h)]},sp,{_c_addi4spn_imm(h)}"),
    "c.fld": _c_mem("fld", _fr(_c_rdp), _c_ld_off, _xr(_c_rs1p)),
    "c.lw": _c_mem("lw", _xr(_c_rdp), _c_lw_off, _xr(_c_rs1p)),
    "c.ld": _c_mem("ld", _xr(_c_rdp), _c_ld_off, _xr(_c_rs1p)),
    "c.fsd": _c_mem("fsd", _fr(_c_rdp), _c_ld_off, _xr(_c_rs1p)),
    "c.sw": _c_mem("sw", _xr(_c_rdp), _c_lw_off, _xr(_c_rs1p)),
    "c.sd": _c_mem("sd", _xr(_c_rdp), _c_ld_off, _xr(_c_rs1p)),
    "c.nop": _cs_addi, "c.addi": _cs_addi, "c.addiw": _cs_addiw, "c.li": _cs_li,
    "c.addi16sp": lambda h: _insn("add", f"sp,sp,{_c_addi16sp_imm(h)}"),
    "c.lui": _cs_lui,
    "c.srli": _c_shift_p("srl", "c.srli"), "c.srai": _c_shift_p("sra", "c.srai"),
    "c.andi": lambda h: _insn("and", f"{XREG[_c_rs1p(h)]},{XREG[_c_rs1p(h)]},{_c_imm6(h)}"),
    "c.sub": _c_alu_p("sub"), "c.xor": _c_alu_p("xor"), "c.or": _c_alu_p("or"),
    "c.and": _c_alu_p("and"), "c.subw": _c_alu_p("subw"), "c.addw": _c_alu_p("addw"),
    "c.j": lambda h: _insn("j", "", _c_j_off(h)),
    "c.beqz": lambda h: _insn("beqz", f"{XREG[_c_rs1p(h)]},", _c_b_off(h)),
    "c.bnez": lambda h: _insn("bnez", f"{XREG[_c_rs1p(h)]},", _c_b_off(h)),
    "c.slli": _cs_slli,
    "c.fldsp": _c_mem("fld", _fr(_c_rd), _c_ldsp_off, _sp),
    "c.lwsp": _c_mem("lw", _xr(_c_rd), _c_lwsp_off, _sp),
    "c.ldsp": _c_mem("ld", _xr(_c_rd), _c_ldsp_off, _sp),
    "c.jr": lambda h: _insn("ret") if _c_rd(h) == 1 else _insn("jr", XREG[_c_rd(h)]),
    "c.mv": _cs_mv_add("mv", "c.mv"),
    "c.ebreak": lambda h: _insn("ebreak"),
    "c.jalr": lambda h: _insn("jalr", XREG[_c_rd(h)]),
    "c.add": _cs_mv_add("add", "c.add"),
    "c.fsdsp": _c_mem("fsd", _fr(_c_rs2), _c_sdsp_off, _sp),
    "c.swsp": _c_mem("sw", _xr(_c_rs2), _c_swsp_off, _sp),
    "c.sdsp": _c_mem("sd", _xr(_c_rs2), _c_sdsp_off, _sp),
}


# --------------------------------------------------------------------------- objdump's view
# Encodings the table (the simulated machine) accepts but objdump 2.40 prints as data:
# it requires the fields the hardware ignores to be zero.
def _objdump_rejects(name: str, w: int) -> bool:
    if name == "fence":
        # fm = 0 with rd = rs1 = 0, or exactly fence.tso
        return w & 0xF00F8F80 != 0 and w & 0xFFFFFFFF != 0x8330000F
    if name == "fence.i":
        return w != 0x0000100F
    if name in ("fcvt.d.w", "fcvt.d.wu", "fcvt.d.s", "fcvt.s.h", "fcvt.d.h"):
        return (w >> 12) & 7 != 0     # binutils only knows these exact conversions with rm=0
    return False


# Words outside RV64GC user level that objdump still names (privileged instructions,
# one reserved C encoding); shown so a disassembly of arbitrary code matches objdump.
_EXTRA32 = {
    0x00200073: "uret", 0x10200073: "sret", 0x30200073: "mret", 0x7B200073: "dret",
    0x10500073: "wfi",
}


def _extra(raw: int, length: int) -> _Text | None:
    if length == 2:
        if raw == 0x0000:
            return _insn("unimp")          # the all-zero halfword, defined illegal
        if raw == 0x6101:
            return _insn("add", "sp,sp,0")  # c.addi16sp with nzimm = 0 (reserved)
        return None
    if raw in _EXTRA32:
        return _insn(_EXTRA32[raw])
    if raw & 0xFE007FFF == 0x12000073:     # sfence.vma rs1, rs2
        rs1, rs2 = _rs1(raw), _rs2(raw)
        if rs2:
            return _insn("sfence.vma", f"{XREG[rs1]},{XREG[rs2]}")
        return _insn("sfence.vma", XREG[rs1]) if rs1 else _insn("sfence.vma")
    return None


def instruction_length(low_half: int) -> int:
    """Bytes in the instruction whose first halfword is `low_half` (2, 4, 6 or 8)."""
    if low_half & 3 != 3:
        return 2
    if low_half & 0x1F != 0x1F:
        return 4
    if low_half & 0x3F == 0x1F:
        return 6
    if low_half & 0x7F == 0x3F:
        return 8
    return 2


def _canonical(op_id: int, raw: int) -> _Text:
    """Last resort for a table entry added after this module was written: the canonical
    name and the raw field values (tests/isa/test_disasm.py flags it as a mismatch)."""
    values = fields(op_id, raw)
    return _insn(ENCODINGS[op_id].name, ",".join(str(v) for v in values.values()))


@lru_cache(maxsize=1 << 16)
def _render(raw: int) -> _Text:
    """objdump's text for one word, with a branch target left as an offset."""
    length = 2 if raw & 3 != 3 else 4
    raw &= 0xFFFF if length == 2 else 0xFFFFFFFF
    op_id = lookup(raw)
    if op_id is not None:
        e = ENCODINGS[op_id]
        if length == 2:
            show = _SHOW16.get(e.name)
            return show(raw) if show else _canonical(op_id, raw)
        if not _objdump_rejects(e.name, raw):
            if e.name == "fence" and raw == 0x8330000F:
                return _insn("fence.tso")
            if e.name == "fence" and (raw >> 20) & 0xFF == 0xFF:
                return _insn("fence")
            alias = _ALIAS32.get(e.name)
            shown = alias(raw) if alias else None
            if shown is not None:
                return shown
            try:
                return _generic32(_IMM_AS_REG.get(e.name, e.name), e.operands, raw)
            except KeyError:
                return _canonical(op_id, raw)
    shown = _extra(raw, length)
    if shown is not None:
        return shown
    return _insn(f".{length}byte", f"0x{raw:x}")


def disassemble(raw: int, pc: int = 0, symbols=None) -> str:
    """The instruction column objdump -d prints for `raw` at address `pc`.

    `raw` is a 16-bit compressed or 32-bit instruction (a compressed one may come with
    junk in the upper bits: only its low halfword is used). Branch and jump targets are
    printed as objdump does (hex, no 0x); with `symbols` (a SymbolTable, or a mapping
    address -> name) they are followed by `` <name+0xoff>``.
    """
    if not isinstance(raw, int) or not 0 <= raw <= 0xFFFFFFFF:
        raise DisassemblyError(
            f"instruction word {raw!r} is not a 16- or 32-bit unsigned integer; pass the "
            "raw encoding as read from memory (little-endian, e.g. 0x00000013).")
    shown = _render(raw & 0xFFFF if raw & 3 != 3 else raw)
    if shown.target is None:
        return shown.text
    target = (pc + shown.target) & _MASK64
    text = f"{shown.text}{target:x}"
    if symbols is not None:
        name = _as_table(symbols).lookup(target)
        if name is not None:
            text += f" <{name}>"
    return text


def _address_comment(raw: int, text: str, pc: int, hi: list, gp: int | None) -> int | None:
    """objdump's `# addr` comment: the address an instruction forms from a register whose
    upper bits an earlier lui/auipc set (or from gp, tp or x0). Updates `hi`, the
    per-register upper values, as objdump does; returns the address or None."""
    found = []

    def use(base: int, offset: int, wide: bool = False) -> None:
        # objdump's maybe_print_address: a pending lui/auipc value is consumed once
        if hi[base] is not None:
            addr = (hi[base] if base else 0) + offset
            hi[base] = None
        elif base == 3 and gp is not None:
            addr = gp + offset
        elif base in (0, 4):
            addr = offset
        else:
            return
        if wide:
            addr = _sext(addr, 32)
        found.append(addr & _MASK64)

    if raw & 3 != 3:
        h = raw & 0xFFFF
        op = h & 0xE003
        if op == 0x6001 and _c_rd(h) not in (0, 2) and text.startswith("lui"):
            hi[_c_rd(h)] = _c_imm6(h) << 12
        elif op == 0x0001 and _c_rd(h) != 0:          # c.addi
            use(_c_rd(h), _c_imm6(h))
        elif op == 0x2001 and text.startswith("addw"):  # c.addiw (sext.w has no imm)
            use(_c_rd(h), _c_imm6(h), wide=True)
        return found[-1] if found else None
    opcode, rd, rs1 = raw & 0x7F, _rd(raw), _rs1(raw)
    mnemonic = text.split("\t", 1)[0]
    if mnemonic.startswith("."):
        return None
    if opcode == 0x17:
        hi[rd] = pc + _sext(raw & 0xFFFFF000, 32)
    elif opcode == 0x37:
        hi[rd] = _sext(raw & 0xFFFFF000, 32)
    elif opcode in (0x03, 0x07):                       # loads: "rd,imm(rs1)"
        use(rs1, _imm_i(raw))
    elif opcode in (0x23, 0x27):                       # stores
        use(rs1, _imm_s(raw))
    elif opcode == 0x13 and (raw >> 12) & 7 == 0 and mnemonic == "add" and rs1 != 0:
        use(rs1, _imm_i(raw))
    elif opcode == 0x1B and (raw >> 12) & 7 == 0 and mnemonic == "addw" and rs1 != 0:
        use(rs1, _imm_i(raw), wide=True)
    elif opcode == 0x67 and (raw >> 12) & 7 == 0 and mnemonic != "ret":
        if "(" in text:                                # offset(base): looked at twice
            use(rs1, _imm_i(raw))
        use(rs1, _imm_i(raw))
    return found[-1] if found else None


def disassemble_bytes(code: bytes, base_pc: int = 0, symbols=None, comments: bool = False,
                      gp: int | None = None) -> list[tuple[int, int, int, str]]:
    """Walk `code` (loaded at `base_pc`) instruction by instruction, 16 and 32 bits, and
    return (pc, raw, length, text) for each, as objdump -d lists them.

    With `comments`, lines get objdump's ``# addr <sym>`` comment for addresses built by a
    lui/auipc pair or relative to gp (pass the value of ``__global_pointer$`` as `gp`),
    tp or x0; this needs the instructions in order, so only a listing can have it.
    """
    table = _as_table(symbols) if symbols is not None else None
    hi: list = [None] * 32
    out = []
    i, n = 0, len(code)
    while i + 2 <= n:
        low = code[i] | code[i + 1] << 8
        length = instruction_length(low)
        pc = base_pc + i
        if i + length > n:
            length = 2
        raw = int.from_bytes(code[i:i + length], "little")
        if length <= 4:
            text = disassemble(raw, pc, table)
            if comments:
                addr = _address_comment(raw, text, pc, hi, gp)
                if addr is not None:
                    text += f" # {addr:x}"
                    name = table.lookup(addr) if table is not None else None
                    if name is not None:
                        text += f" <{name}>"
        elif length == 8:
            text = f".8byte\t0x{raw:x}"
        else:
            text = ".byte\t" + ", ".join(f"0x{b:02x}" for b in code[i:i + length])
        out.append((pc, raw, length, text))
        i += length
    if i < n:
        out.append((base_pc + i, code[i], 1, f".byte\t0x{code[i]:02x}"))
    return out
