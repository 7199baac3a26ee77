"""The one table of RV64GC encodings (user level: I M A F D C Zicsr Zifencei) and of the
integer extensions around RVA22U64 (Zba Zbb Zbs Zbc Zbkb Zicond Zicbom Zicboz Zicbop
Zihintpause Zihintntl). Which of them a hart has is cyclesim.isa.extensions' business.

Every decoder and the disassembler are driven by `ENCODINGS`; an instruction's op id is its
index in that tuple. A word `w` is instruction `e` when `w & e.mask == e.match` and none of
the exclusions in `EXCLUDE[e.name]` hold (this is how the compressed forms whose meaning
depends on a register being x0, e.g. c.mv vs c.jr, stay separate entries; binutils does
the same with its match_* functions). `lookup()` applies that rule; no word matches two
entries (tests/isa/test_encoding.py checks it).

Operand field names (the `operands` strings list them in objdump's assembly order; a
literal register such as `sp` appears as itself; `x(y)` means "x" is printed before "(y)").

32-bit forms (bit ranges of the instruction word):
  rd 11:7, rs1 19:15, rs2 24:20          x registers
  fd 11:7, fs1 19:15, fs2 24:20, fs3 31:27  f registers
  imm12   31:20 sign-extended (I-type)
  simm12  31:25|11:7 sign-extended (S-type)
  bimm    branch offset: [12|10:5] at 31:25, [4:1|11] at 11:7, sign-extended, even
  jimm    jal offset: [20|10:1|11|19:12] at 31:12, sign-extended, even
  uimm20  31:12 as an unsigned 20-bit number (objdump prints lui a0,0x12345)
  shamt 25:20 (6 bits), shamtw 24:20 (5 bits)
  csr 31:20, zimm 19:15 (unsigned), rm 14:12, pred 27:24, succ 23:20
  aqrl    26:25 (aq is bit 1, rl bit 0), printed as a mnemonic suffix .aq/.rl/.aqrl
  fcvt.d.w, fcvt.d.wu and fcvt.d.s are exact, so their operands omit rm (the field is
  still in the word and is not matched; objdump 2.40 shows .4byte unless it is 0).

16-bit forms (bit ranges of the halfword; "_p" fields are 3-bit register numbers + 8):
  crd 11:7        rd (and rs1 for c.addi, c.addiw, c.slli, c.add)
  crs1 11:7       rs1 of c.jr / c.jalr
  crs2 6:2        x register
  cfrd 11:7       f register (c.fldsp);  cfrs2 6:2  f register (c.fsdsp)
  crd_p 4:2, crs2_p 4:2, cfrd_p 4:2, cfrs2_p 4:2
  crs1_p 9:7      base register of loads/stores, rs1 of c.beqz/c.bnez
  crdrs1_p 9:7    rd and rs1 of c.srli c.srai c.andi c.sub c.xor c.or c.and c.subw c.addw
  cimm6           {12, 6:2} sign-extended (c.addi, c.addiw, c.li, c.andi)
  cluiimm         {12, 6:2} sign-extended: imm[17:12] of c.lui; objdump prints it masked
                  to 20 bits (c.lui a0,0xfffff)
  cshamt          {12, 6:2} unsigned (c.slli, c.srli, c.srai)
  caddi16sp       nzimm[9|4|6|8:7|5] at 12|6|5|4:3|2, sign-extended, multiple of 16
  caddi4spn       nzuimm[5:4|9:6|2|3] at 12:11|10:7|6|5, multiple of 4
  cld_off         uimm[5:3] at 12:10, uimm[7:6] at 6:5 (c.ld c.sd c.fld c.fsd)
  clw_off         uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5 (c.lw c.sw)
  cldsp_off       uimm[5] at 12, uimm[4:3] at 6:5, uimm[8:6] at 4:2 (c.ldsp c.fldsp)
  clwsp_off       uimm[5] at 12, uimm[4:2] at 6:4, uimm[7:6] at 3:2 (c.lwsp)
  csdsp_off       uimm[5:3] at 12:10, uimm[8:6] at 9:7 (c.sdsp c.fsdsp)
  cswsp_off       uimm[5:2] at 12:9, uimm[7:6] at 8:7 (c.swsp)
  cjimm           offset[11|4|9:8|10|6|7|3:1|5] at 12:2, sign-extended (c.j)
  cbimm           offset[8|4:3] at 12:10, [7:6|2:1|5] at 6:2, sign-extended (c.beqz c.bnez)

Region-of-interest markers are `slti x0, x0, K` (K = 1 begin, 2 end, 3 reset stats,
4 dump stats): an ordinary slti here, recognised by the executor.
"""
from typing import NamedTuple

# Mirrors pipeline.types.OpClass (a cpdef enum only reachable from Cython); the tests check
# these against the values the compiled core exports.
OC_ALU = 0
OC_BRANCH = 1
OC_JAL = 2
OC_JALR = 3
OC_LOAD = 4
OC_STORE = 5
OC_AMO = 6
OC_MUL = 7
OC_DIV = 8
OC_FADD = 9
OC_FMUL = 10
OC_FMA = 11
OC_FDIV = 12
OC_FSQRT = 13
OC_FCVT = 14
OC_SYSTEM = 15
OC_NOP = 16
OC_POPCOUNT = 17
OC_CLMUL = 18
OC_CBO = 19
OC_COUNT = 20

# Region-of-interest marker codes (immediate of `slti x0, x0, K`).
MARKER_BEGIN_ROI = 1
MARKER_END_ROI = 2
MARKER_RESET_STATS = 3
MARKER_DUMP_STATS = 4


class Encoding(NamedTuple):
    name: str       # canonical mnemonic as objdump -M no-aliases prints it
    match: int      # bits that must be set (16-bit value for compressed forms)
    mask: int       # bits that take part in the match
    operands: str   # operand fields in assembly order (see the module docstring)
    opclass: int    # pipeline.types OpClass value
    ext: str        # "I" "M" ... "Zicsr" "Zifencei" "Zba" "Zbb" ... "Zfh" "Zfa" (extensions.py)


_T: list = []


def _add(name, match, mask, operands, opclass, ext):
    _T.append(Encoding(name, match, mask, operands, opclass, ext))


# ---- 32-bit base formats -----------------------------------------------------------------
M_OP = 0x7F                 # opcode only (U, J)
M_F3 = 0x707F               # opcode + funct3 (I, S, B)
M_F7 = 0xFE00707F           # opcode + funct3 + funct7 (R)


def _i(name, f3, opcode, operands, oc, ext="I"):
    _add(name, opcode | f3 << 12, M_F3, operands, oc, ext)


def _r(name, f7, f3, opcode, operands="rd,rs1,rs2", oc=OC_ALU, ext="I"):
    _add(name, opcode | f3 << 12 | f7 << 25, M_F7, operands, oc, ext)


# RV64I
_add("lui", 0x37, M_OP, "rd,uimm20", OC_ALU, "I")
_add("auipc", 0x17, M_OP, "rd,uimm20", OC_ALU, "I")
_add("jal", 0x6F, M_OP, "rd,jimm", OC_JAL, "I")
_i("jalr", 0, 0x67, "rd,imm12(rs1)", OC_JALR)
for _n, _f3 in (("beq", 0), ("bne", 1), ("blt", 4), ("bge", 5), ("bltu", 6), ("bgeu", 7)):
    _i(_n, _f3, 0x63, "rs1,rs2,bimm", OC_BRANCH)
for _n, _f3 in (("lb", 0), ("lh", 1), ("lw", 2), ("ld", 3), ("lbu", 4), ("lhu", 5), ("lwu", 6)):
    _i(_n, _f3, 0x03, "rd,imm12(rs1)", OC_LOAD)
for _n, _f3 in (("sb", 0), ("sh", 1), ("sw", 2), ("sd", 3)):
    _i(_n, _f3, 0x23, "rs2,simm12(rs1)", OC_STORE)
for _n, _f3 in (("addi", 0), ("slti", 2), ("sltiu", 3), ("xori", 4), ("ori", 6), ("andi", 7)):
    _i(_n, _f3, 0x13, "rd,rs1,imm12", OC_ALU)
_add("slli", 0x1013, 0xFC00707F, "rd,rs1,shamt", OC_ALU, "I")
_add("srli", 0x5013, 0xFC00707F, "rd,rs1,shamt", OC_ALU, "I")
_add("srai", 0x40005013, 0xFC00707F, "rd,rs1,shamt", OC_ALU, "I")
for _n, _f7, _f3 in (("add", 0, 0), ("sub", 0x20, 0), ("sll", 0, 1), ("slt", 0, 2),
                     ("sltu", 0, 3), ("xor", 0, 4), ("srl", 0, 5), ("sra", 0x20, 5),
                     ("or", 0, 6), ("and", 0, 7)):
    _r(_n, _f7, _f3, 0x33)
_i("addiw", 0, 0x1B, "rd,rs1,imm12", OC_ALU)
_r("slliw", 0, 1, 0x1B, "rd,rs1,shamtw")
_r("srliw", 0, 5, 0x1B, "rd,rs1,shamtw")
_r("sraiw", 0x20, 5, 0x1B, "rd,rs1,shamtw")
for _n, _f7, _f3 in (("addw", 0, 0), ("subw", 0x20, 0), ("sllw", 0, 1), ("srlw", 0, 5),
                     ("sraw", 0x20, 5)):
    _r(_n, _f7, _f3, 0x3B)
# fence ignores fm, rs1 and rd (reserved encodings behave as an ordinary fence).
_i("fence", 0, 0x0F, "pred,succ", OC_SYSTEM)
_add("ecall", 0x00000073, 0xFFFFFFFF, "", OC_SYSTEM, "I")
_add("ebreak", 0x00100073, 0xFFFFFFFF, "", OC_SYSTEM, "I")
# Zifencei
_i("fence.i", 1, 0x0F, "", OC_SYSTEM, "Zifencei")
# Zicsr
for _n, _f3 in (("csrrw", 1), ("csrrs", 2), ("csrrc", 3)):
    _i(_n, _f3, 0x73, "rd,csr,rs1", OC_SYSTEM, "Zicsr")
for _n, _f3 in (("csrrwi", 5), ("csrrsi", 6), ("csrrci", 7)):
    _i(_n, _f3, 0x73, "rd,csr,zimm", OC_SYSTEM, "Zicsr")

# M
for _n, _f3 in (("mul", 0), ("mulh", 1), ("mulhsu", 2), ("mulhu", 3)):
    _r(_n, 1, _f3, 0x33, oc=OC_MUL, ext="M")
for _n, _f3 in (("div", 4), ("divu", 5), ("rem", 6), ("remu", 7)):
    _r(_n, 1, _f3, 0x33, oc=OC_DIV, ext="M")
_r("mulw", 1, 0, 0x3B, oc=OC_MUL, ext="M")
for _n, _f3 in (("divw", 4), ("divuw", 5), ("remw", 6), ("remuw", 7)):
    _r(_n, 1, _f3, 0x3B, oc=OC_DIV, ext="M")

# A: funct5 in 31:27, aq/rl in 26:25 (not matched), width in funct3.
for _sfx, _f3 in ((".w", 2), (".d", 3)):
    _add("lr" + _sfx, 0x1000002F | _f3 << 12, 0xF9F0707F, "rd,(rs1),aqrl", OC_AMO, "A")
    _add("sc" + _sfx, 0x1800002F | _f3 << 12, 0xF800707F, "rd,rs2,(rs1),aqrl", OC_AMO, "A")
    for _n, _f5 in (("amoswap", 0x01), ("amoadd", 0x00), ("amoxor", 0x04), ("amoand", 0x0C),
                    ("amoor", 0x08), ("amomin", 0x10), ("amomax", 0x14), ("amominu", 0x18),
                    ("amomaxu", 0x1C)):
        _add(_n + _sfx, 0x2F | _f3 << 12 | _f5 << 27, 0xF800707F, "rd,rs2,(rs1),aqrl",
             OC_AMO, "A")

# F and D
M_RM = 0xFE00007F           # funct7 + opcode, rm free
M_RM_RS2 = 0xFFF0007F       # funct7 + rs2 + opcode, rm free
M_F7_RS2 = 0xFFF0707F       # funct7 + rs2 + funct3 + opcode
for _x, _fmt, _ext in (("s", 0, "F"), ("d", 1, "D")):
    _w = 2 + _fmt           # funct3 of the load/store: 2 word, 3 double
    _add("fl" + ("w" if _fmt == 0 else "d"), 0x07 | _w << 12, M_F3, "fd,imm12(rs1)",
         OC_LOAD, _ext)
    _add("fs" + ("w" if _fmt == 0 else "d"), 0x27 | _w << 12, M_F3, "fs2,simm12(rs1)",
         OC_STORE, _ext)
    for _n, _opc, _oc in (("fmadd", 0x43, OC_FMA), ("fmsub", 0x47, OC_FMA),
                          ("fnmsub", 0x4B, OC_FMA), ("fnmadd", 0x4F, OC_FMA)):
        _add(f"{_n}.{_x}", _opc | _fmt << 25, 0x0600007F, "fd,fs1,fs2,fs3,rm", _oc, _ext)
    for _n, _f7, _oc in (("fadd", 0x00, OC_FADD), ("fsub", 0x04, OC_FADD),
                         ("fmul", 0x08, OC_FMUL), ("fdiv", 0x0C, OC_FDIV)):
        _add(f"{_n}.{_x}", 0x53 | (_f7 | _fmt) << 25, M_RM, "fd,fs1,fs2,rm", _oc, _ext)
    _add(f"fsqrt.{_x}", 0x53 | (0x2C | _fmt) << 25, M_RM_RS2, "fd,fs1,rm", OC_FSQRT, _ext)
    for _n, _f3 in (("fsgnj", 0), ("fsgnjn", 1), ("fsgnjx", 2)):
        _r(f"{_n}.{_x}", 0x10 | _fmt, _f3, 0x53, "fd,fs1,fs2", OC_FADD, _ext)
    for _n, _f3 in (("fmin", 0), ("fmax", 1)):
        _r(f"{_n}.{_x}", 0x14 | _fmt, _f3, 0x53, "fd,fs1,fs2", OC_FADD, _ext)
    for _n, _f3 in (("fle", 0), ("flt", 1), ("feq", 2)):
        _r(f"{_n}.{_x}", 0x50 | _fmt, _f3, 0x53, "rd,fs1,fs2", OC_FADD, _ext)
    for _i_, _t in enumerate(("w", "wu", "l", "lu")):
        _add(f"fcvt.{_t}.{_x}", 0x53 | (0x60 | _fmt) << 25 | _i_ << 20, M_RM_RS2,
             "rd,fs1,rm", OC_FCVT, _ext)
    for _i_, _t in enumerate(("w", "wu", "l", "lu")):
        # Conversions that are always exact (int32 -> double) have an rm field that
        # cannot matter; binutils neither accepts nor prints it.
        _exact = _fmt == 1 and _t in ("w", "wu")
        _add(f"fcvt.{_x}.{_t}", 0x53 | (0x68 | _fmt) << 25 | _i_ << 20, M_RM_RS2,
             "fd,rs1" if _exact else "fd,rs1,rm", OC_FCVT, _ext)
    _add("fmv.x." + ("w" if _fmt == 0 else "d"), 0x53 | (0x70 | _fmt) << 25, M_F7_RS2,
         "rd,fs1", OC_FCVT, _ext)
    _add(f"fclass.{_x}", 0x53 | (0x70 | _fmt) << 25 | 1 << 12, M_F7_RS2, "rd,fs1",
         OC_FADD, _ext)
    _add("fmv." + ("w" if _fmt == 0 else "d") + ".x", 0x53 | (0x78 | _fmt) << 25, M_F7_RS2,
         "fd,rs1", OC_FCVT, _ext)
_add("fcvt.s.d", 0x53 | 0x20 << 25 | 1 << 20, M_RM_RS2, "fd,fs1,rm", OC_FCVT, "D")
_add("fcvt.d.s", 0x53 | 0x21 << 25 | 0 << 20, M_RM_RS2, "fd,fs1", OC_FCVT, "D")  # exact

# ---- C (RV64) ----------------------------------------------------------------------------
M_C = 0xE003                # funct3 + quadrant
M_C_RD = 0xEF83             # + rd (11:7)
M_C_CA = 0xFC63             # funct6 + funct2 + quadrant (c.sub ... c.addw)
M_C_CB = 0xEC03             # funct3 + bits 11:10 + quadrant (c.srli c.srai c.andi)


def _c(name, match, mask, operands, oc, ext="C"):
    _add(name, match, mask, operands, oc, ext)


# quadrant 0
_c("c.addi4spn", 0x0000, M_C, "crd_p,sp,caddi4spn", OC_ALU)
_c("c.fld", 0x2000, M_C, "cfrd_p,cld_off(crs1_p)", OC_LOAD, "C")
_c("c.lw", 0x4000, M_C, "crd_p,clw_off(crs1_p)", OC_LOAD)
_c("c.ld", 0x6000, M_C, "crd_p,cld_off(crs1_p)", OC_LOAD)
_c("c.fsd", 0xA000, M_C, "cfrs2_p,cld_off(crs1_p)", OC_STORE)
_c("c.sw", 0xC000, M_C, "crs2_p,clw_off(crs1_p)", OC_STORE)
_c("c.sd", 0xE000, M_C, "crs2_p,cld_off(crs1_p)", OC_STORE)
# quadrant 1
# c.nop is c.addi x0,0 (objdump -M no-aliases prints it so); rd = 0 forms are HINTs
_c("c.addi", 0x0001, M_C, "crd,cimm6", OC_ALU)
_c("c.addiw", 0x2001, M_C, "crd,cimm6", OC_ALU)    # rd != 0
_c("c.li", 0x4001, M_C, "crd,cimm6", OC_ALU)
_c("c.addi16sp", 0x6101, M_C_RD, "sp,caddi16sp", OC_ALU)
_c("c.lui", 0x6001, M_C, "crd,cluiimm", OC_ALU)    # rd != 2 (EXCLUDE)
_c("c.srli", 0x8001, M_C_CB, "crdrs1_p,cshamt", OC_ALU)
_c("c.srai", 0x8401, M_C_CB, "crdrs1_p,cshamt", OC_ALU)
_c("c.andi", 0x8801, M_C_CB, "crdrs1_p,cimm6", OC_ALU)
for _n, _m in (("c.sub", 0x8C01), ("c.xor", 0x8C21), ("c.or", 0x8C41), ("c.and", 0x8C61),
               ("c.subw", 0x9C01), ("c.addw", 0x9C21)):
    _c(_n, _m, M_C_CA, "crdrs1_p,crs2_p", OC_ALU)
_c("c.j", 0xA001, M_C, "cjimm", OC_JAL)
_c("c.beqz", 0xC001, M_C, "crs1_p,cbimm", OC_BRANCH)
_c("c.bnez", 0xE001, M_C, "crs1_p,cbimm", OC_BRANCH)
# quadrant 2
_c("c.slli", 0x0002, M_C, "crd,cshamt", OC_ALU)
_c("c.fldsp", 0x2002, M_C, "cfrd,cldsp_off(sp)", OC_LOAD)
_c("c.lwsp", 0x4002, M_C, "crd,clwsp_off(sp)", OC_LOAD)
_c("c.ldsp", 0x6002, M_C, "crd,cldsp_off(sp)", OC_LOAD)
_c("c.jr", 0x8002, 0xF07F, "crs1", OC_JALR)        # rs2 = 0, rs1 != 0
_c("c.mv", 0x8002, 0xF003, "crd,crs2", OC_ALU)     # rs2 != 0
_c("c.ebreak", 0x9002, 0xFFFF, "", OC_SYSTEM)
_c("c.jalr", 0x9002, 0xF07F, "crs1", OC_JALR)      # rs2 = 0, rs1 != 0
_c("c.add", 0x9002, 0xF003, "crd,crs2", OC_ALU)    # rs2 != 0
_c("c.fsdsp", 0xA002, M_C, "cfrs2,csdsp_off(sp)", OC_STORE)
_c("c.swsp", 0xC002, M_C, "crs2,cswsp_off(sp)", OC_STORE)
_c("c.sdsp", 0xE002, M_C, "crs2,csdsp_off(sp)", OC_STORE)

# ---- Bit manipulation (Zba/Zbb/Zbs/Zbc/Zbkb), Zicond, Zicbo*, Zihintpause, Zihintntl -------
# Encodings from the RISC-V unprivileged spec (bitmanip 1.0.0, Zicond 1.0, CMO 1.0.1).
M_SHAMT = 0xFC00707F        # funct6 + funct3 + opcode (RV64 6-bit shift amount)
M_UNARY = 0xFFF0707F        # funct12 (imm) + funct3 + opcode: one-source forms
M_FULL = 0xFFFFFFFF
# Zba
_r("add.uw", 0x04, 0, 0x3B, ext="Zba")
for _n, _f3 in (("sh1add", 2), ("sh2add", 4), ("sh3add", 6)):
    _r(_n, 0x10, _f3, 0x33, ext="Zba")
    _r(_n + ".uw", 0x10, _f3, 0x3B, ext="Zba")
_add("slli.uw", 0x0800101B, M_SHAMT, "rd,rs1,shamt", OC_ALU, "Zba")
# Zbb
for _n, _f3 in (("andn", 7), ("orn", 6), ("xnor", 4)):
    _r(_n, 0x20, _f3, 0x33, ext="Zbb")
# cpop is a multiplier-like unit, clz/ctz an ALU op on the SiFive U7 pipeline (docs/pipeline.md)
for _n, _imm, _oc in (("clz", 0x600, OC_ALU), ("ctz", 0x601, OC_ALU),
                      ("cpop", 0x602, OC_POPCOUNT), ("sext.b", 0x604, OC_ALU),
                      ("sext.h", 0x605, OC_ALU)):
    _add(_n, 0x13 | 1 << 12 | _imm << 20, M_UNARY, "rd,rs1", _oc, "Zbb")
for _n, _imm, _oc in (("clzw", 0x600, OC_ALU), ("ctzw", 0x601, OC_ALU),
                      ("cpopw", 0x602, OC_POPCOUNT)):
    _add(_n, 0x1B | 1 << 12 | _imm << 20, M_UNARY, "rd,rs1", _oc, "Zbb")
for _n, _f3 in (("max", 6), ("maxu", 7), ("min", 4), ("minu", 5)):
    _r(_n, 0x05, _f3, 0x33, ext="Zbb")
_add("orc.b", 0x28705013, M_UNARY, "rd,rs1", OC_ALU, "Zbb")
_add("rev8", 0x6B805013, M_UNARY, "rd,rs1", OC_ALU, "Zbb")       # RV64 form
_r("rol", 0x30, 1, 0x33, ext="Zbb")
_r("ror", 0x30, 5, 0x33, ext="Zbb")
_r("rolw", 0x30, 1, 0x3B, ext="Zbb")
_r("rorw", 0x30, 5, 0x3B, ext="Zbb")
_add("rori", 0x60005013, M_SHAMT, "rd,rs1,shamt", OC_ALU, "Zbb")
_r("roriw", 0x30, 5, 0x1B, "rd,rs1,shamtw", ext="Zbb")
_add("zext.h", 0x0800403B, M_UNARY, "rd,rs1", OC_ALU, "Zbb")     # RV64: packw rd,rs1,x0
# Zbs
for _n, _f7, _f3 in (("bclr", 0x24, 1), ("bext", 0x24, 5), ("binv", 0x34, 1),
                     ("bset", 0x14, 1)):
    _r(_n, _f7, _f3, 0x33, ext="Zbs")
    _add(_n + "i", 0x13 | _f3 << 12 | (_f7 >> 1) << 26, M_SHAMT, "rd,rs1,shamt", OC_ALU,
         "Zbs")
# Zbc: carry-less multiply
for _n, _f3 in (("clmul", 1), ("clmulr", 2), ("clmulh", 3)):
    _r(_n, 0x05, _f3, 0x33, oc=OC_CLMUL, ext="Zbc")
# Zbkb (what it does not share with Zbb: see ALSO_IN)
_r("pack", 0x04, 4, 0x33, ext="Zbkb")
_r("packh", 0x04, 7, 0x33, ext="Zbkb")
_r("packw", 0x04, 4, 0x3B, ext="Zbkb")                          # rs2 = x0 is zext.h
_add("brev8", 0x68705013, M_UNARY, "rd,rs1", OC_ALU, "Zbkb")
# Zicond
_r("czero.eqz", 0x07, 5, 0x33, ext="Zicond")
_r("czero.nez", 0x07, 7, 0x33, ext="Zicond")
# Zicbom / Zicboz: MISC-MEM, funct3 2, rd = 0, the operation in imm[11:0]
for _n, _imm, _x in (("cbo.inval", 0, "Zicbom"), ("cbo.clean", 1, "Zicbom"),
                     ("cbo.flush", 2, "Zicbom"), ("cbo.zero", 4, "Zicboz")):
    _add(_n, 0x0F | 2 << 12 | _imm << 20, 0xFFF07FFF, "(rs1)", OC_CBO, _x)
# Zicbop: ORI with rd = 0 and offset[4:0] = 0; the kind in bits 24:20 (the offset's
# low bits are the S-type simm12's, which are the zero rd field here)
for _n, _k in (("prefetch.i", 0), ("prefetch.r", 1), ("prefetch.w", 3)):
    _add(_n, 0x13 | 6 << 12 | _k << 20, 0x01F07FFF, "simm12(rs1)", OC_CBO, "Zicbop")
# Zihintpause: FENCE with pred = W, succ = 0, fm = 0, rd = rs1 = 0
_add("pause", 0x0100000F, M_FULL, "", OC_NOP, "Zihintpause")
# Zihintntl: ADD x0, x0, x2..x5 (c.ntl.* are c.add x0 HINTs and stay c.add: same effect)
for _n, _r2 in (("ntl.p1", 2), ("ntl.pall", 3), ("ntl.s1", 4), ("ntl.all", 5)):
    _add(_n, 0x33 | _r2 << 20, M_FULL, "", OC_ALU, "Zihintntl")   # timed as the add

# Instructions of one extension that another one also contains (Zbkb shares these with
# Zbb): a hart with either extension has them.
ALSO_IN = {"Zbkb": frozenset({"andn", "orn", "xnor", "rol", "rolw", "ror", "rori", "roriw",
                              "rev8"})}
# HINT encodings carved out of a base instruction: on a hart without the hint's extension
# they are that base instruction (which, with rd = x0, changes nothing).
HINT_BASE = {"prefetch.i": "ori", "prefetch.r": "ori", "prefetch.w": "ori", "pause": "fence",
             "ntl.p1": "add", "ntl.pall": "add", "ntl.s1": "add", "ntl.all": "add"}
# ---- Half precision (Zfh, Zfhmin) and Zfa ---------------------------------------------------
# Encodings from the RISC-V unprivileged spec ("Zfh" and "Zfa" chapters): fmt = 2 (H) in
# bits 26:25, flh/fsh are funct3 1 of LOAD-FP/STORE-FP. Zfhmin is the moves, loads/stores
# and the conversions between half and single/double; Zfh adds everything else. Half ops
# run on the FP unit that runs singles (same op classes, docs/pipeline.md).
_add("flh", 0x07 | 1 << 12, M_F3, "fd,imm12(rs1)", OC_LOAD, "Zfhmin")
_add("fsh", 0x27 | 1 << 12, M_F3, "fs2,simm12(rs1)", OC_STORE, "Zfhmin")
for _n, _opc in (("fmadd", 0x43), ("fmsub", 0x47), ("fnmsub", 0x4B), ("fnmadd", 0x4F)):
    _add(f"{_n}.h", _opc | 2 << 25, 0x0600007F, "fd,fs1,fs2,fs3,rm", OC_FMA, "Zfh")
for _n, _f7, _oc in (("fadd", 0x02, OC_FADD), ("fsub", 0x06, OC_FADD),
                     ("fmul", 0x0A, OC_FMUL), ("fdiv", 0x0E, OC_FDIV)):
    _add(f"{_n}.h", 0x53 | _f7 << 25, M_RM, "fd,fs1,fs2,rm", _oc, "Zfh")
_add("fsqrt.h", 0x53 | 0x2E << 25, M_RM_RS2, "fd,fs1,rm", OC_FSQRT, "Zfh")
for _n, _f3 in (("fsgnj", 0), ("fsgnjn", 1), ("fsgnjx", 2)):
    _r(f"{_n}.h", 0x12, _f3, 0x53, "fd,fs1,fs2", OC_FADD, "Zfh")
for _n, _f3 in (("fmin", 0), ("fmax", 1)):
    _r(f"{_n}.h", 0x16, _f3, 0x53, "fd,fs1,fs2", OC_FADD, "Zfh")
for _n, _f3 in (("fle", 0), ("flt", 1), ("feq", 2)):
    _r(f"{_n}.h", 0x52, _f3, 0x53, "rd,fs1,fs2", OC_FADD, "Zfh")
for _i_, _t in enumerate(("w", "wu", "l", "lu")):
    _add(f"fcvt.{_t}.h", 0x53 | 0x62 << 25 | _i_ << 20, M_RM_RS2, "rd,fs1,rm", OC_FCVT, "Zfh")
    _add(f"fcvt.h.{_t}", 0x53 | 0x6A << 25 | _i_ << 20, M_RM_RS2, "fd,rs1,rm", OC_FCVT, "Zfh")
_add("fmv.x.h", 0x53 | 0x72 << 25, M_F7_RS2, "rd,fs1", OC_FCVT, "Zfhmin")
_add("fclass.h", 0x53 | 0x72 << 25 | 1 << 12, M_F7_RS2, "rd,fs1", OC_FADD, "Zfh")
_add("fmv.h.x", 0x53 | 0x7A << 25, M_F7_RS2, "fd,rs1", OC_FCVT, "Zfhmin")
# half <-> single/double; widening is exact, so binutils takes no rm operand for it
_add("fcvt.s.h", 0x53 | 0x20 << 25 | 2 << 20, M_RM_RS2, "fd,fs1", OC_FCVT, "Zfhmin")
_add("fcvt.h.s", 0x53 | 0x22 << 25 | 0 << 20, M_RM_RS2, "fd,fs1,rm", OC_FCVT, "Zfhmin")
_add("fcvt.d.h", 0x53 | 0x21 << 25 | 2 << 20, M_RM_RS2, "fd,fs1", OC_FCVT, "Zfhmin")
_add("fcvt.h.d", 0x53 | 0x22 << 25 | 1 << 20, M_RM_RS2, "fd,fs1,rm", OC_FCVT, "Zfhmin")
# Zfa (version 1.0). The .h forms also need Zfh, the .d forms D (the hart has D).
# fmvh.x.d and fmvp.d.x are RV32-only, so on RV64 their encodings stay illegal.
for _x, _fmt in (("s", 0), ("d", 1), ("h", 2)):
    _add(f"fli.{_x}", 0x53 | (0x78 | _fmt) << 25 | 1 << 20, M_F7_RS2, "fd,fli", OC_FCVT, "Zfa")
    _r(f"fminm.{_x}", 0x14 | _fmt, 2, 0x53, "fd,fs1,fs2", OC_FADD, "Zfa")
    _r(f"fmaxm.{_x}", 0x14 | _fmt, 3, 0x53, "fd,fs1,fs2", OC_FADD, "Zfa")
    _add(f"fround.{_x}", 0x53 | (0x20 | _fmt) << 25 | 4 << 20, M_RM_RS2, "fd,fs1,rm",
         OC_FCVT, "Zfa")
    _add(f"froundnx.{_x}", 0x53 | (0x20 | _fmt) << 25 | 5 << 20, M_RM_RS2, "fd,fs1,rm",
         OC_FCVT, "Zfa")
    _r(f"fleq.{_x}", 0x50 | _fmt, 4, 0x53, "rd,fs1,fs2", OC_FADD, "Zfa")
    _r(f"fltq.{_x}", 0x50 | _fmt, 5, 0x53, "rd,fs1,fs2", OC_FADD, "Zfa")
# rm must be rtz (the field is matched; other values are reserved)
_add("fcvtmod.w.d", 0x53 | 0x61 << 25 | 8 << 20 | 1 << 12, M_F7_RS2, "rd,fs1,rm", OC_FCVT, "Zfa")

ENCODINGS: tuple = tuple(_T)
OP_ID = {e.name: i for i, e in enumerate(ENCODINGS)}

_RD0 = (0x0F80, 0x0000)     # bits 11:7 == 0
_RD2 = (0x0F80, 0x0100)     # bits 11:7 == 2 (sp)
_RS2_0 = (0x007C, 0x0000)   # bits 6:2 == 0
_IMM6_0 = (0x107C, 0x0000)  # bit 12 and 6:2 all zero

# Words that satisfy an entry's match/mask but are NOT that instruction: another entry
# (c.addi16sp, c.jr, c.jalr, c.ebreak) or a reserved encoding (illegal).
EXCLUDE = {
    "c.addi4spn": ((0x1FE0, 0x0000),),   # nzuimm = 0 is reserved (and 0x0000 is illegal)
    "c.addiw": (_RD0,),                  # reserved
    "c.addi16sp": (_IMM6_0,),            # reserved
    "c.lui": (_RD2, _IMM6_0),            # rd = 2 is c.addi16sp; nzimm = 0 is reserved
    "c.lwsp": (_RD0,),                   # reserved
    "c.ldsp": (_RD0,),                   # reserved
    "c.jr": (_RD0,),                     # reserved
    "c.mv": (_RS2_0,),
    "c.jalr": (_RD0,),                   # rd = 0 with rs2 = 0 is c.ebreak
    "c.add": (_RS2_0,),
    # the HINT encodings of HINT_BASE are their own entries
    "ori": ((0x01E00F80, 0x00000000),    # prefetch.i / prefetch.r (rd = 0, bits 24:20 0 or 1)
            (0x01F00F80, 0x00300000)),   # prefetch.w
    "fence": ((0xFFFFFFFF, 0x0100000F),),  # pause
    "add": ((0x01EF8F80, 0x00200000),    # ntl.p1 / ntl.pall (add x0, x0, x2 / x3)
            (0x01EF8F80, 0x00400000)),   # ntl.s1 / ntl.all (x4 / x5)
    "packw": ((0x01F00000, 0x00000000),),  # rs2 = x0 is zext.h
}

# Entries to try for a word, by its low 7 bits (32-bit opcodes) or its low 2 bits and
# funct3 (compressed forms).
_BUCKETS: dict = {}
for _id, _e in enumerate(ENCODINGS):
    if _e.ext == "C":
        _key = ("c", _e.match & 3, _e.match >> 13)
    else:
        _key = ("w", _e.match & 0x7F)
    _BUCKETS.setdefault(_key, []).append(_id)


def matches(op_id: int, word: int) -> bool:
    """True if `word` (a 16- or 32-bit encoding) is instruction ENCODINGS[op_id]."""
    e = ENCODINGS[op_id]
    if word & e.mask != e.match:
        return False
    return not any(word & m == v for m, v in EXCLUDE.get(e.name, ()))


def is_compressed(word: int) -> bool:
    """True if the low 16 bits of `word` are a compressed (16-bit) instruction."""
    return word & 3 != 3


def lookup(word: int):
    """Op id of the instruction `word` encodes, or None if it is illegal or reserved.
    A compressed form is looked up from the low 16 bits only."""
    if is_compressed(word):
        word &= 0xFFFF
        key = ("c", word & 3, word >> 13)
    else:
        word &= 0xFFFFFFFF
        if word & 0x1F == 0x1F:
            return None                  # 48-bit and longer encodings: none exist here
        key = ("w", word & 0x7F)
    for op_id in _BUCKETS.get(key, ()):
        if matches(op_id, word):
            return op_id
    return None


# ---- field extraction --------------------------------------------------------------------
def _sext(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _b(w: int, hi: int, lo: int) -> int:
    return (w >> lo) & ((1 << (hi - lo + 1)) - 1)


_FIELD = {
    "rd": lambda w: _b(w, 11, 7), "rs1": lambda w: _b(w, 19, 15),
    "rs2": lambda w: _b(w, 24, 20),
    "fd": lambda w: _b(w, 11, 7), "fs1": lambda w: _b(w, 19, 15),
    "fs2": lambda w: _b(w, 24, 20), "fs3": lambda w: _b(w, 31, 27),
    "imm12": lambda w: _sext(w >> 20, 12),
    "simm12": lambda w: _sext(_b(w, 31, 25) << 5 | _b(w, 11, 7), 12),
    "bimm": lambda w: _sext(_b(w, 31, 31) << 12 | _b(w, 7, 7) << 11 | _b(w, 30, 25) << 5
                            | _b(w, 11, 8) << 1, 13),
    "jimm": lambda w: _sext(_b(w, 31, 31) << 20 | _b(w, 19, 12) << 12 | _b(w, 20, 20) << 11
                            | _b(w, 30, 21) << 1, 21),
    "uimm20": lambda w: _b(w, 31, 12),
    "shamt": lambda w: _b(w, 25, 20), "shamtw": lambda w: _b(w, 24, 20),
    "csr": lambda w: _b(w, 31, 20), "zimm": lambda w: _b(w, 19, 15),
    "rm": lambda w: _b(w, 14, 12), "pred": lambda w: _b(w, 27, 24),
    "succ": lambda w: _b(w, 23, 20), "aqrl": lambda w: _b(w, 26, 25),
    # compressed
    "crd": lambda h: _b(h, 11, 7), "crs1": lambda h: _b(h, 11, 7),
    "crs2": lambda h: _b(h, 6, 2), "cfrd": lambda h: _b(h, 11, 7),
    "cfrs2": lambda h: _b(h, 6, 2),
    "crd_p": lambda h: 8 + _b(h, 4, 2), "crs2_p": lambda h: 8 + _b(h, 4, 2),
    "cfrd_p": lambda h: 8 + _b(h, 4, 2), "cfrs2_p": lambda h: 8 + _b(h, 4, 2),
    "crs1_p": lambda h: 8 + _b(h, 9, 7), "crdrs1_p": lambda h: 8 + _b(h, 9, 7),
    "cimm6": lambda h: _sext(_b(h, 12, 12) << 5 | _b(h, 6, 2), 6),
    "cluiimm": lambda h: _sext(_b(h, 12, 12) << 5 | _b(h, 6, 2), 6),
    "cshamt": lambda h: _b(h, 12, 12) << 5 | _b(h, 6, 2),
    "caddi16sp": lambda h: _sext(_b(h, 12, 12) << 9 | _b(h, 6, 6) << 4 | _b(h, 5, 5) << 6
                                 | _b(h, 4, 3) << 7 | _b(h, 2, 2) << 5, 10),
    "caddi4spn": lambda h: (_b(h, 12, 11) << 4 | _b(h, 10, 7) << 6 | _b(h, 6, 6) << 2
                            | _b(h, 5, 5) << 3),
    "cld_off": lambda h: _b(h, 12, 10) << 3 | _b(h, 6, 5) << 6,
    "clw_off": lambda h: _b(h, 12, 10) << 3 | _b(h, 6, 6) << 2 | _b(h, 5, 5) << 6,
    "cldsp_off": lambda h: _b(h, 12, 12) << 5 | _b(h, 6, 5) << 3 | _b(h, 4, 2) << 6,
    "clwsp_off": lambda h: _b(h, 12, 12) << 5 | _b(h, 6, 4) << 2 | _b(h, 3, 2) << 6,
    "csdsp_off": lambda h: _b(h, 12, 10) << 3 | _b(h, 9, 7) << 6,
    "cswsp_off": lambda h: _b(h, 12, 9) << 2 | _b(h, 8, 7) << 6,
    "cjimm": lambda h: _sext(_b(h, 12, 12) << 11 | _b(h, 11, 11) << 4 | _b(h, 10, 9) << 8
                             | _b(h, 8, 8) << 10 | _b(h, 7, 7) << 6 | _b(h, 6, 6) << 7
                             | _b(h, 5, 3) << 1 | _b(h, 2, 2) << 5, 12),
    "cbimm": lambda h: _sext(_b(h, 12, 12) << 8 | _b(h, 11, 10) << 3 | _b(h, 6, 5) << 6
                             | _b(h, 4, 3) << 1 | _b(h, 2, 2) << 5, 9),
}
_FIELD["fli"] = lambda w: _b(w, 19, 15)       # Zfa fli: index into the constant table
FIELD_NAMES = frozenset(_FIELD)
LITERAL_OPERANDS = frozenset({"sp"})     # operand tokens that are fixed registers


def operand_fields(op_id: int) -> list:
    """Names of the fields in ENCODINGS[op_id].operands, in order ("imm12(rs1)" gives
    imm12 then rs1; literal registers such as sp are left out)."""
    ops = ENCODINGS[op_id].operands
    out = []
    for tok in ops.replace("(", ",").replace(")", "").split(","):
        if tok and tok not in LITERAL_OPERANDS:
            out.append(tok)
    return out


def fields(op_id: int, word: int) -> dict:
    """Values of the operand fields of `word`, decoded as ENCODINGS[op_id] (registers as
    numbers, immediates as signed or unsigned Python ints as documented above)."""
    return {name: _FIELD[name](word) for name in operand_fields(op_id)}


# ---- compressed → 32-bit ---------------------------------------------------------------
def _enc_i(opcode, f3, rd, rs1, imm):
    return opcode | rd << 7 | f3 << 12 | rs1 << 15 | (imm & 0xFFF) << 20


def _enc_s(opcode, f3, rs1, rs2, imm):
    imm &= 0xFFF
    return opcode | (imm & 31) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | (imm >> 5) << 25


def _enc_r(opcode, f3, f7, rd, rs1, rs2):
    return opcode | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25


def _enc_b(f3, rs1, rs2, off):
    off &= 0x1FFF
    return (0x63 | ((off >> 11) & 1) << 7 | ((off >> 1) & 15) << 8 | f3 << 12 | rs1 << 15
            | rs2 << 20 | ((off >> 5) & 63) << 25 | ((off >> 12) & 1) << 31)


def _enc_j(rd, off):
    off &= 0x1FFFFF
    return (0x6F | rd << 7 | ((off >> 12) & 0xFF) << 12 | ((off >> 11) & 1) << 20
            | ((off >> 1) & 0x3FF) << 21 | ((off >> 20) & 1) << 31)


def expand_compressed(half: int):
    """The 32-bit instruction a compressed `half` stands for, or None if illegal/reserved."""
    half &= 0xFFFF
    op_id = lookup(half) if half & 3 != 3 else None
    if op_id is None:
        return None
    name = ENCODINGS[op_id].name
    f = fields(op_id, half)
    g = f.get
    if name == "c.addi4spn":
        return _enc_i(0x13, 0, f["crd_p"], 2, f["caddi4spn"])
    if name in ("c.fld", "c.ld"):
        return _enc_i(0x07 if name == "c.fld" else 0x03, 3, g("cfrd_p", g("crd_p")),
                      f["crs1_p"], f["cld_off"])
    if name == "c.lw":
        return _enc_i(0x03, 2, f["crd_p"], f["crs1_p"], f["clw_off"])
    if name in ("c.fsd", "c.sd"):
        return _enc_s(0x27 if name == "c.fsd" else 0x23, 3, f["crs1_p"],
                      g("cfrs2_p", g("crs2_p")), f["cld_off"])
    if name == "c.sw":
        return _enc_s(0x23, 2, f["crs1_p"], f["crs2_p"], f["clw_off"])
    if name == "c.addi":
        return _enc_i(0x13, 0, f["crd"], f["crd"], f["cimm6"])
    if name == "c.addiw":
        return _enc_i(0x1B, 0, f["crd"], f["crd"], f["cimm6"])
    if name == "c.li":
        return _enc_i(0x13, 0, f["crd"], 0, f["cimm6"])
    if name == "c.addi16sp":
        return _enc_i(0x13, 0, 2, 2, f["caddi16sp"])
    if name == "c.lui":
        return 0x37 | f["crd"] << 7 | (f["cluiimm"] & 0xFFFFF) << 12
    if name in ("c.srli", "c.srai"):
        return _enc_i(0x13, 5, f["crdrs1_p"], f["crdrs1_p"],
                      f["cshamt"] | (0x400 if name == "c.srai" else 0))
    if name == "c.andi":
        return _enc_i(0x13, 7, f["crdrs1_p"], f["crdrs1_p"], f["cimm6"])
    if name in ("c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"):
        opcode, f3, f7 = {"c.sub": (0x33, 0, 0x20), "c.xor": (0x33, 4, 0),
                          "c.or": (0x33, 6, 0), "c.and": (0x33, 7, 0),
                          "c.subw": (0x3B, 0, 0x20), "c.addw": (0x3B, 0, 0)}[name]
        r = f["crdrs1_p"]
        return _enc_r(opcode, f3, f7, r, r, f["crs2_p"])
    if name == "c.j":
        return _enc_j(0, f["cjimm"])
    if name in ("c.beqz", "c.bnez"):
        return _enc_b(0 if name == "c.beqz" else 1, f["crs1_p"], 0, f["cbimm"])
    if name == "c.slli":
        return _enc_i(0x13, 1, f["crd"], f["crd"], f["cshamt"])
    if name == "c.fldsp":
        return _enc_i(0x07, 3, f["cfrd"], 2, f["cldsp_off"])
    if name == "c.lwsp":
        return _enc_i(0x03, 2, f["crd"], 2, f["clwsp_off"])
    if name == "c.ldsp":
        return _enc_i(0x03, 3, f["crd"], 2, f["cldsp_off"])
    if name == "c.jr":
        return _enc_i(0x67, 0, 0, f["crs1"], 0)
    if name == "c.mv":
        return _enc_r(0x33, 0, 0, f["crd"], 0, f["crs2"])
    if name == "c.ebreak":
        return 0x00100073
    if name == "c.jalr":
        return _enc_i(0x67, 0, 1, f["crs1"], 0)
    if name == "c.add":
        return _enc_r(0x33, 0, 0, f["crd"], f["crd"], f["crs2"])
    if name == "c.fsdsp":
        return _enc_s(0x27, 3, 2, f["cfrs2"], f["csdsp_off"])
    if name == "c.swsp":
        return _enc_s(0x23, 2, 2, f["crs2"], f["cswsp_off"])
    if name == "c.sdsp":
        return _enc_s(0x23, 3, 2, f["crs2"], f["csdsp_off"])
    raise AssertionError(f"no expansion for {name}")    # every C entry is handled above
