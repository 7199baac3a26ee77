"""Decoder driven by the encoding table (see decode.pxd).

At import, ENCODINGS becomes C arrays: match/mask per op id, exclusions (compressed
forms that depend on a register being x0), op class, the executor operation (Xop) and
the immediate format. decode_word() finds the op id by scanning the entries of the
word's major opcode, expands compressed forms with expand_c(), and extracts operands.
It runs only on a decoded-instruction cache miss, so clarity beats speed here.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t, int32_t, int16_t

from pipeline.types cimport (CB_CLEAN, CB_FLUSH, CB_NONE, CB_PREFETCH_I, CB_PREFETCH_R,
                             CB_PREFETCH_W, CB_ZERO, DI_AQ, DI_CSR, DI_FCSR, DI_FENCE,
                             DI_FFLAGS, DI_PREFETCH, DI_RL, DI_SERIAL, OC_AMO, OC_FADD,
                             OC_FCVT, REG_F0, REG_NONE)

from cyclesim.isa import encoding as _enc

cdef enum:
    MAX_OPS = 512
    # immediate formats
    FMT_NONE = 0
    FMT_I = 1
    FMT_S = 2
    FMT_B = 3
    FMT_J = 4
    FMT_U = 5
    FMT_SHAMT = 6
    FMT_CSR = 7

cdef uint32_t t_match[MAX_OPS]
cdef uint32_t t_mask[MAX_OPS]
cdef uint32_t t_excl_mask[MAX_OPS][2]
cdef uint32_t t_excl_val[MAX_OPS][2]
cdef uint8_t t_n_excl[MAX_OPS]
cdef uint8_t t_opclass[MAX_OPS]
cdef uint16_t t_xop[MAX_OPS]
cdef uint8_t t_fmt[MAX_OPS]
cdef int16_t t_hint_base[MAX_OPS]     # op id a HINT entry is carved from, else -1
cdef int n_ops = 0
# Op ids to try, by bucket: 32-bit words by opcode (bits 6:0), compressed by quadrant and
# funct3 (128 + quadrant*8 + funct3).
cdef uint16_t bucket_start[161]
cdef uint16_t bucket_ids[MAX_OPS]
cdef int op_slti = -1
# Per-Xop facts for the Decoded dep_* and mem_size fields: register kinds of
# rd/rs1/rs2/rs3, bytes accessed by memory operations.
cdef uint8_t xop_rd_kind[MAX_OPS]
cdef uint8_t xop_rs1_kind[MAX_OPS]
cdef uint8_t xop_rs2_kind[MAX_OPS]
cdef uint8_t xop_rs3_kind[MAX_OPS]
cdef uint8_t xop_mem_size[MAX_OPS]
cdef uint8_t xop_flags[MAX_OPS]      # DynInst.flags bits fixed by the operation
cdef uint8_t xop_cbo[MAX_OPS]        # DynInst.cbo

xop_rd_kind[:] = [0] * 512   # MAX_OPS (a list product needs a literal)
xop_rs1_kind[:] = [0] * 512
xop_rs2_kind[:] = [0] * 512
xop_rs3_kind[:] = [0] * 512
xop_mem_size[:] = [0] * 512
xop_flags[:] = [0] * 512
xop_cbo[:] = [0] * 512


def _xop_of(name):
    return int(Xop["X_" + name.upper().replace(".", "_")])


def _kind(field):
    if field in ("rd", "rs1", "rs2"):
        return RK_X
    if field in ("fd", "fs1", "fs2", "fs3"):
        return RK_F
    return RK_NONE


def _mem_size(name):
    if name in ("lb", "lbu", "sb"):
        return 1
    if name in ("lh", "lhu", "sh", "flh", "fsh"):
        return 2
    if name in ("lw", "lwu", "sw", "flw", "fsw") or name.endswith(".w") and (
            name.startswith("amo") or name[:2] in ("lr", "sc")):
        return 4
    if name in ("ld", "sd", "fld", "fsd") or name.endswith(".d") and (
            name.startswith("amo") or name[:2] in ("lr", "sc")):
        return 8
    if name.startswith(("cbo.", "prefetch.")):
        return 1        # nonzero so DynInst carries the address; the block is an L1D line
    return 0


# Cache-block instructions (Zicbom, Zicboz, Zicbop) -> DynInst.cbo.
_CBO = {"cbo.clean": CB_CLEAN, "cbo.flush": CB_FLUSH, "cbo.inval": CB_FLUSH,
        "cbo.zero": CB_ZERO, "prefetch.i": CB_PREFETCH_I, "prefetch.r": CB_PREFETCH_R,
        "prefetch.w": CB_PREFETCH_W}
# FP operations that never raise an exception flag (sign injection, moves, classify, the
# constant load of Zfa): the IEEE 754 and RISC-V F chapters list no flag for them.
_NO_FFLAGS = ("fsgnj", "fmv.", "fclass.", "fli.")


def _flags(name, opclass):
    """DynInst.flags bits an operation always has (aq/rl and DI_FCSR depend on the word)."""
    f = 0
    if name in ("fence", "fence.i", "ecall", "ebreak") or name.startswith("csrr"):
        f |= DI_SERIAL
    if name in ("fence", "fence.i"):
        f |= DI_FENCE
    if name.startswith("csrr"):
        f |= DI_CSR
    if OC_FADD <= opclass <= OC_FCVT and not name.startswith(_NO_FFLAGS):
        f |= DI_FFLAGS
    if name.startswith("prefetch."):
        f |= DI_PREFETCH
    return f


def _load_table():
    global n_ops, op_slti
    encs = _enc.ENCODINGS
    if len(encs) > MAX_OPS:
        raise RuntimeError("encoding table has more than MAX_OPS entries; widen decode arrays")
    buckets = [[] for _ in range(160)]
    for i, e in enumerate(encs):
        t_match[i] = e.match
        t_mask[i] = e.mask
        excl = _enc.EXCLUDE.get(e.name, ())
        t_n_excl[i] = len(excl)
        for k, (m, v) in enumerate(excl):
            t_excl_mask[i][k] = m
            t_excl_val[i][k] = v
        t_opclass[i] = e.opclass
        base = _enc.HINT_BASE.get(e.name)
        t_hint_base[i] = _enc.OP_ID[base] if base is not None else -1
        if e.ext == "C":
            t_xop[i] = X_ILLEGAL        # executed as the expansion
            buckets[128 + (e.match & 3) * 8 + (e.match >> 13)].append(i)
            continue
        buckets[e.match & 0x7F].append(i)
        x = _xop_of(e.name)
        t_xop[i] = x
        ops = _enc.operand_fields(i)
        fmt = FMT_NONE
        for f, code in (("imm12", FMT_I), ("simm12", FMT_S), ("bimm", FMT_B),
                        ("jimm", FMT_J), ("uimm20", FMT_U), ("shamt", FMT_SHAMT),
                        ("shamtw", FMT_SHAMT), ("csr", FMT_CSR)):
            if f in ops:
                fmt = code
        t_fmt[i] = fmt
        regs = [f for f in ops if _kind(f) != RK_NONE]
        for f in regs:
            k = _kind(f)
            if f in ("rd", "fd"):
                xop_rd_kind[x] = k
            elif f in ("rs1", "fs1"):
                xop_rs1_kind[x] = k
            elif f in ("rs2", "fs2"):
                xop_rs2_kind[x] = k
            else:
                xop_rs3_kind[x] = k
        xop_mem_size[x] = _mem_size(e.name)
        xop_flags[x] = _flags(e.name, e.opclass)
        xop_cbo[x] = _CBO.get(e.name, CB_NONE)
        if e.name == "slti":
            op_slti = i
    pos = 0
    for b in range(160):
        bucket_start[b] = pos
        for i in buckets[b]:
            bucket_ids[pos] = i
            pos += 1
    bucket_start[160] = pos
    n_ops = len(encs)
    # the marker behaves like slti x0 (no registers) for the timing models
    xop_rd_kind[<int> X_MARKER] = RK_NONE


_load_table()
OPCLASS_OF_OP = tuple(e.opclass for e in _enc.ENCODINGS)


cdef inline int find_op(uint32_t w, int bucket, const uint8_t* off) noexcept nogil:
    cdef int k, i, j
    cdef bint ok
    for k in range(bucket_start[bucket], bucket_start[bucket + 1]):
        i = bucket_ids[k]
        if (w & t_mask[i]) != t_match[i]:
            continue
        ok = True
        for j in range(t_n_excl[i]):
            if (w & t_excl_mask[i][j]) == t_excl_val[i][j]:
                ok = False
        if ok:
            if off != NULL and off[i]:
                return t_hint_base[i] if t_hint_base[i] >= 0 else -1
            return i
    return -1


cdef inline int64_t sext(uint64_t v, int bits) noexcept nogil:
    cdef int sh = 64 - bits
    return (<int64_t> (v << sh)) >> sh


cdef inline uint32_t bits(uint32_t w, int hi, int lo) noexcept nogil:
    return (w >> lo) & ((1u << (hi - lo + 1)) - 1)


# -- compressed expansion (RISC-V C extension, RV64 column) ----------------------------------
cdef inline uint32_t enc_i(uint32_t opc, uint32_t f3, uint32_t rd, uint32_t rs1,
                           int64_t imm) noexcept nogil:
    return opc | rd << 7 | f3 << 12 | rs1 << 15 | (<uint32_t> imm & 0xFFF) << 20


cdef inline uint32_t enc_s(uint32_t opc, uint32_t f3, uint32_t rs1, uint32_t rs2,
                           int64_t imm) noexcept nogil:
    cdef uint32_t u = <uint32_t> imm & 0xFFF
    return opc | (u & 31) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | (u >> 5) << 25


cdef inline uint32_t enc_r(uint32_t opc, uint32_t f3, uint32_t f7, uint32_t rd,
                           uint32_t rs1, uint32_t rs2) noexcept nogil:
    return opc | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25


cdef inline uint32_t enc_b(uint32_t f3, uint32_t rs1, int64_t off) noexcept nogil:
    cdef uint32_t u = <uint32_t> off & 0x1FFF
    return (0x63 | ((u >> 11) & 1) << 7 | ((u >> 1) & 15) << 8 | f3 << 12 | rs1 << 15
            | ((u >> 5) & 63) << 25 | ((u >> 12) & 1) << 31)


cdef inline uint32_t enc_j(uint32_t rd, int64_t off) noexcept nogil:
    cdef uint32_t u = <uint32_t> off & 0x1FFFFF
    return (0x6F | rd << 7 | ((u >> 12) & 0xFF) << 12 | ((u >> 11) & 1) << 20
            | ((u >> 1) & 0x3FF) << 21 | ((u >> 20) & 1) << 31)


cdef uint32_t expand_c(uint32_t h) noexcept nogil:
    """The 32-bit twin of compressed `h`, or 0 if `h` is illegal or reserved."""
    cdef uint32_t q = h & 3, f3 = (h >> 13) & 7
    cdef uint32_t rd = bits(h, 11, 7), rs2 = bits(h, 6, 2)
    cdef uint32_t rdp = 8 + bits(h, 4, 2), rs1p = 8 + bits(h, 9, 7)
    cdef int64_t imm6 = sext(bits(h, 12, 12) << 5 | bits(h, 6, 2), 6)
    cdef uint32_t uimm6 = bits(h, 12, 12) << 5 | bits(h, 6, 2)
    cdef int64_t v
    if q == 0:
        if f3 == 0:
            v = (bits(h, 12, 11) << 4 | bits(h, 10, 7) << 6 | bits(h, 6, 6) << 2
                 | bits(h, 5, 5) << 3)
            if v == 0:
                return 0
            return enc_i(0x13, 0, rdp, 2, v)
        if f3 == 1 or f3 == 3 or f3 == 5 or f3 == 7:
            v = bits(h, 12, 10) << 3 | bits(h, 6, 5) << 6
            if f3 == 1:
                return enc_i(0x07, 3, rdp, rs1p, v)
            if f3 == 3:
                return enc_i(0x03, 3, rdp, rs1p, v)
            if f3 == 5:
                return enc_s(0x27, 3, rs1p, rdp, v)
            return enc_s(0x23, 3, rs1p, rdp, v)
        if f3 == 2 or f3 == 6:
            v = bits(h, 12, 10) << 3 | bits(h, 6, 6) << 2 | bits(h, 5, 5) << 6
            if f3 == 2:
                return enc_i(0x03, 2, rdp, rs1p, v)
            return enc_s(0x23, 2, rs1p, rdp, v)
        return 0
    if q == 1:
        if f3 == 0:
            return enc_i(0x13, 0, rd, rd, imm6)
        if f3 == 1:
            if rd == 0:
                return 0
            return enc_i(0x1B, 0, rd, rd, imm6)
        if f3 == 2:
            return enc_i(0x13, 0, rd, 0, imm6)
        if f3 == 3:
            if uimm6 == 0:
                return 0
            if rd == 2:
                v = sext(bits(h, 12, 12) << 9 | bits(h, 6, 6) << 4 | bits(h, 5, 5) << 6
                         | bits(h, 4, 3) << 7 | bits(h, 2, 2) << 5, 10)
                return enc_i(0x13, 0, 2, 2, v)
            return 0x37 | rd << 7 | (<uint32_t> imm6 & 0xFFFFF) << 12
        if f3 == 4:
            v = bits(h, 11, 10)
            if v == 0:
                return enc_i(0x13, 5, rs1p, rs1p, uimm6)
            if v == 1:
                return enc_i(0x13, 5, rs1p, rs1p, uimm6 | 0x400)
            if v == 2:
                return enc_i(0x13, 7, rs1p, rs1p, imm6)
            v = bits(h, 12, 12) << 2 | bits(h, 6, 5)
            if v == 0:
                return enc_r(0x33, 0, 0x20, rs1p, rs1p, rdp)
            if v == 1:
                return enc_r(0x33, 4, 0, rs1p, rs1p, rdp)
            if v == 2:
                return enc_r(0x33, 6, 0, rs1p, rs1p, rdp)
            if v == 3:
                return enc_r(0x33, 7, 0, rs1p, rs1p, rdp)
            if v == 4:
                return enc_r(0x3B, 0, 0x20, rs1p, rs1p, rdp)
            if v == 5:
                return enc_r(0x3B, 0, 0, rs1p, rs1p, rdp)
            return 0
        if f3 == 5:
            v = sext(bits(h, 12, 12) << 11 | bits(h, 11, 11) << 4 | bits(h, 10, 9) << 8
                     | bits(h, 8, 8) << 10 | bits(h, 7, 7) << 6 | bits(h, 6, 6) << 7
                     | bits(h, 5, 3) << 1 | bits(h, 2, 2) << 5, 12)
            return enc_j(0, v)
        v = sext(bits(h, 12, 12) << 8 | bits(h, 11, 10) << 3 | bits(h, 6, 5) << 6
                 | bits(h, 4, 3) << 1 | bits(h, 2, 2) << 5, 9)
        return enc_b(0 if f3 == 6 else 1, rs1p, v)
    if q == 2:
        if f3 == 0:
            return enc_i(0x13, 1, rd, rd, uimm6)
        if f3 == 1 or f3 == 3:
            if f3 == 3 and rd == 0:
                return 0
            v = bits(h, 12, 12) << 5 | bits(h, 6, 5) << 3 | bits(h, 4, 2) << 6
            return enc_i(0x07 if f3 == 1 else 0x03, 3, rd, 2, v)
        if f3 == 2:
            if rd == 0:
                return 0
            v = bits(h, 12, 12) << 5 | bits(h, 6, 4) << 2 | bits(h, 3, 2) << 6
            return enc_i(0x03, 2, rd, 2, v)
        if f3 == 4:
            if bits(h, 12, 12) == 0:
                if rs2 == 0:
                    if rd == 0:
                        return 0
                    return enc_i(0x67, 0, 0, rd, 0)
                return enc_r(0x33, 0, 0, rd, 0, rs2)
            if rs2 == 0:
                if rd == 0:
                    return 0x00100073
                return enc_i(0x67, 0, 1, rd, 0)
            return enc_r(0x33, 0, 0, rd, rd, rs2)
        if f3 == 5 or f3 == 7:
            v = bits(h, 12, 10) << 3 | bits(h, 9, 7) << 6
            return enc_s(0x27 if f3 == 5 else 0x23, 3, 2, rs2, v)
        v = bits(h, 12, 9) << 2 | bits(h, 8, 7) << 6
        return enc_s(0x23, 2, 2, rs2, v)
    return 0


cdef inline uint8_t reg_id(uint8_t kind, uint8_t r) noexcept nogil:
    """DynInst register id of register number r of the given kind (x0 is REG_NONE)."""
    if kind == RK_X:
        return r
    if kind == RK_F:
        return REG_F0 + r
    return REG_NONE


cdef int decode_word(uint32_t raw, Decoded* d) noexcept nogil:
    """Fill `d` (all but tag) from `raw`; 0 on success, -1 if the word is illegal."""
    return decode_word_isa(raw, d, NULL)


cdef int decode_word_isa(uint32_t raw, Decoded* d, const uint8_t* off) noexcept nogil:
    """decode_word for a hart without the entries marked in `off` (NULL: has all)."""
    cdef int op, wop
    cdef uint32_t w
    cdef uint8_t fmt
    if (raw & 3) != 3:
        raw &= 0xFFFF
        op = find_op(raw, 128 + (raw & 3) * 8 + (raw >> 13), off)
        if op < 0:
            return -1
        w = expand_c(raw)
        if w == 0:
            return -1
        wop = find_op(w, w & 0x7F, off)
        if wop < 0:
            return -1
        d.length = 2
    else:
        if (raw & 0x1F) == 0x1F:
            return -1
        op = find_op(raw, raw & 0x7F, off)
        if op < 0:
            return -1
        w = raw
        wop = op
        d.length = 4
    d.raw = raw
    d.op = <uint16_t> op
    d.opclass = t_opclass[op]
    d.xop = t_xop[wop]
    d.rd = bits(w, 11, 7)
    d.rs1 = bits(w, 19, 15)
    d.rs2 = bits(w, 24, 20)
    d.rs3 = bits(w, 31, 27)
    d.rm = bits(w, 14, 12)
    fmt = t_fmt[wop]
    if fmt == FMT_I:
        d.imm = sext(w >> 20, 12)
    elif fmt == FMT_S:
        d.imm = sext(bits(w, 31, 25) << 5 | bits(w, 11, 7), 12)
    elif fmt == FMT_B:
        d.imm = sext(bits(w, 31, 31) << 12 | bits(w, 7, 7) << 11 | bits(w, 30, 25) << 5
                     | bits(w, 11, 8) << 1, 13)
    elif fmt == FMT_J:
        d.imm = sext(bits(w, 31, 31) << 20 | bits(w, 19, 12) << 12 | bits(w, 20, 20) << 11
                     | bits(w, 30, 21) << 1, 21)
    elif fmt == FMT_U:
        d.imm = sext(w & 0xFFFFF000u, 32)
    elif fmt == FMT_SHAMT:
        d.imm = bits(w, 25, 20)
    elif fmt == FMT_CSR:
        d.imm = w >> 20
    else:
        d.imm = 0
    # Region-of-interest marker: slti x0, x0, K with K in 1..4 (a HINT).
    if wop == op_slti and d.rd == 0 and d.rs1 == 0 and 1 <= d.imm <= 4:
        d.xop = X_MARKER
    d.dep_rd = reg_id(xop_rd_kind[d.xop], d.rd)
    d.dep_rs1 = reg_id(xop_rs1_kind[d.xop], d.rs1)
    d.dep_rs2 = reg_id(xop_rs2_kind[d.xop], d.rs2)
    d.dep_rs3 = reg_id(xop_rs3_kind[d.xop], d.rs3)
    d.mem_size = xop_mem_size[d.xop]
    d.flags = xop_flags[d.xop]
    if d.opclass == OC_AMO:
        d.flags |= (DI_AQ if (w >> 26) & 1 else 0) | (DI_RL if (w >> 25) & 1 else 0)
    elif (d.flags & DI_CSR) and 1 <= d.imm <= 3:     # fflags, frm, fcsr
        d.flags |= DI_FCSR
    d.cbo = xop_cbo[d.xop]
    # B and J immediates are the branch offset (compressed forms expand to them)
    d.target_off = <int32_t> d.imm if (fmt == FMT_B or fmt == FMT_J) else d.length
    return 0


def decode(uint32_t raw):
    """Decode one instruction word: (op id, fields) with fields rd rs1 rs2 rs3 imm rm
    length opclass xop as the executor sees them, or (None, None) if illegal."""
    cdef Decoded d
    if decode_word(raw, &d) != 0:
        return None, None
    return d.op, {"rd": d.rd, "rs1": d.rs1, "rs2": d.rs2, "rs3": d.rs3, "imm": d.imm,
                  "rm": d.rm, "length": d.length, "opclass": d.opclass, "xop": d.xop,
                  "flags": d.flags, "cbo": d.cbo, "target_off": d.target_off}


def expand(uint32_t half):
    """C expansion of a compressed instruction (for tests): the 32-bit word, or None."""
    cdef uint32_t w = expand_c(half & 0xFFFF)
    return None if w == 0 else w


def xop_name(int xop):
    return Xop(xop).name
