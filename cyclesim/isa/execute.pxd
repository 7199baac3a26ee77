# Instruction bodies the execute loop (core.pyx) calls out to: atomics, CSR access, the
# FP operations that take a rounding mode, and small helpers. Inline functions in a .pxd,
# so they compile into the loop's module with no call through a module boundary.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t

from pipeline.types cimport *
from cyclesim.process.memory cimport MemState, mem_read, mem_write, MEM_OK, MEM_LIMIT
from cyclesim.isa.decode cimport *
from cyclesim.isa cimport fpu

cdef extern from *:
    """
    static inline uint64_t cs_mulh(int64_t a, int64_t b)
    { return (uint64_t)(((__int128)a * (__int128)b) >> 64); }
    static inline uint64_t cs_mulhu(uint64_t a, uint64_t b)
    { return (uint64_t)(((unsigned __int128)a * (unsigned __int128)b) >> 64); }
    static inline uint64_t cs_mulhsu(int64_t a, uint64_t b)
    { return (uint64_t)(((__int128)a * (__int128)b) >> 64); }
    static inline uint64_t cs_muldiv(uint64_t a, uint64_t b, uint64_t c)
    { return c ? (uint64_t)(((unsigned __int128)a * b) / c) : a; }
    #define CS_NO_STOP_PC 0xFFFFFFFFFFFFFFFFull
    #define CS_BOX 0xFFFFFFFF00000000ull      /* NaN-boxing of singles */
    #define CS_SIGN64 0x8000000000000000ull
    #define CS_SIGN32_SX 0xFFFFFFFF80000000ull  /* INT32_MIN sign-extended */
    """
    uint64_t cs_mulh(int64_t a, int64_t b) noexcept nogil
    uint64_t cs_mulhu(uint64_t a, uint64_t b) noexcept nogil
    uint64_t cs_mulhsu(int64_t a, uint64_t b) noexcept nogil
    uint64_t cs_muldiv(uint64_t a, uint64_t b, uint64_t c) noexcept nogil
    const uint64_t NO_STOP_PC "CS_NO_STOP_PC"
    const uint64_t BOX "CS_BOX"
    const uint64_t SIGN64 "CS_SIGN64"
    const uint64_t SIGN32_SX "CS_SIGN32_SX"

cdef enum:
    CSR_FFLAGS = 0x001
    CSR_FRM = 0x002
    CSR_FCSR = 0x003
    CSR_CYCLE = 0xC00
    CSR_TIME = 0xC01
    CSR_INSTRET = 0xC02


cdef inline uint64_t sx32(uint64_t v) noexcept nogil:
    return <uint64_t> <int64_t> <int32_t> v


cdef inline int load_fault(Hart* h, int rc, uint64_t a) noexcept nogil:
    h.fault_addr = a
    return STOP_MEM_LIMIT if rc == MEM_LIMIT else STOP_LOAD_FAULT


cdef inline int store_fault(Hart* h, int rc, uint64_t a) noexcept nogil:
    h.fault_addr = a
    return STOP_MEM_LIMIT if rc == MEM_LIMIT else STOP_STORE_FAULT


cdef inline int resolve_rm(Hart* h, uint8_t rm) noexcept nogil:
    """Rounding mode to use, or -1 if reserved (an illegal instruction)."""
    if rm == 7:
        rm = <uint8_t> h.frm
    return rm if rm <= 4 else -1


cdef inline int amo(Hart* h, MemState* m, Decoded* d, uint64_t a) noexcept nogil:
    """LR, SC and AMOs at address `a`; a StopReason (STOP_NONE on success)."""
    cdef uint64_t old = 0, new, src = h.x[d.rs2]
    cdef uint32_t old32 = 0
    cdef int rc, xop = d.xop
    cdef bint word = xop <= X_AMOMAXU_W
    cdef uint32_t size = 4 if word else 8
    if a & (size - 1):
        h.fault_addr = a
        return STOP_MISALIGNED
    if xop == X_SC_W or xop == X_SC_D:
        if h.reservation_valid and h.reservation == a:
            rc = mem_write(m, a, &src, size)     # little-endian host: low word first
            if rc != MEM_OK:
                return store_fault(h, rc, a)
            h.x[d.rd] = 0
        else:
            h.x[d.rd] = 1
        h.reservation_valid = 0
        return STOP_NONE
    if word:
        rc = mem_read(m, a, &old32, 4)
        old = sx32(old32)
    else:
        rc = mem_read(m, a, &old, 8)
    if xop == X_LR_W or xop == X_LR_D:
        if rc != MEM_OK:
            return load_fault(h, rc, a)
        h.reservation = a
        h.reservation_valid = 1
        h.x[d.rd] = old
        return STOP_NONE
    if rc != MEM_OK:
        return store_fault(h, rc, a)
    if word:
        src = sx32(src)
    if xop == X_AMOSWAP_W or xop == X_AMOSWAP_D:
        new = src
    elif xop == X_AMOADD_W or xop == X_AMOADD_D:
        new = old + src
    elif xop == X_AMOXOR_W or xop == X_AMOXOR_D:
        new = old ^ src
    elif xop == X_AMOAND_W or xop == X_AMOAND_D:
        new = old & src
    elif xop == X_AMOOR_W or xop == X_AMOOR_D:
        new = old | src
    elif xop == X_AMOMIN_W or xop == X_AMOMIN_D:
        new = old if <int64_t> old < <int64_t> src else src
    elif xop == X_AMOMAX_W or xop == X_AMOMAX_D:
        new = old if <int64_t> old > <int64_t> src else src
    elif xop == X_AMOMINU_W or xop == X_AMOMINU_D:
        # .w compares the 32-bit values; both are sign-extended alike, so order holds
        new = old if old < src else src
    else:
        new = old if old > src else src
    rc = mem_write(m, a, &new, size)
    if rc != MEM_OK:
        return store_fault(h, rc, a)
    h.x[d.rd] = old
    return STOP_NONE


cdef inline int csr_op(Hart* h, Decoded* d, uint64_t cycle, uint64_t instret) noexcept nogil:
    """Zicsr instructions on the user CSRs we model; STOP_ILLEGAL for any other CSR."""
    cdef uint32_t csr = <uint32_t> d.imm
    cdef int xop = d.xop
    cdef uint64_t old, src, new
    cdef bint imm_form = xop >= X_CSRRWI
    cdef bint writes
    src = d.rs1 if imm_form else h.x[d.rs1]
    writes = xop == X_CSRRW or xop == X_CSRRWI or d.rs1 != 0
    if csr == CSR_FFLAGS:
        old = h.fflags
    elif csr == CSR_FRM:
        old = h.frm
    elif csr == CSR_FCSR:
        old = h.frm << 5 | h.fflags
    elif csr == CSR_CYCLE:
        old = cycle
    elif csr == CSR_TIME:
        old = cs_muldiv(cycle, h.time_num, h.time_den)
    elif csr == CSR_INSTRET:
        old = instret
    else:
        return STOP_ILLEGAL
    if writes:
        if csr >= CSR_CYCLE:
            return STOP_ILLEGAL              # read-only counters
        if xop == X_CSRRW or xop == X_CSRRWI:
            new = src
        elif xop == X_CSRRS or xop == X_CSRRSI:
            new = old | src
        else:
            new = old & ~src
        if csr == CSR_FFLAGS:
            h.fflags = new & 0x1F
        elif csr == CSR_FRM:
            h.frm = new & 7
        else:
            h.fflags = new & 0x1F
            h.frm = (new >> 5) & 7
    h.x[d.rd] = old
    return STOP_NONE


cdef inline int fp_rounded(Decoded* d, int xop, uint64_t* x, uint64_t* f, int rm,
                    uint32_t* flags) noexcept nogil:
    """FP operations that take a rounding mode (already resolved to 0..4)."""
    if xop == X_FADD_D:
        f[d.rd] = fpu.fadd_d(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FSUB_D:
        f[d.rd] = fpu.fsub_d(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FMUL_D:
        f[d.rd] = fpu.fmul_d(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FDIV_D:
        f[d.rd] = fpu.fdiv_d(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FSQRT_D:
        f[d.rd] = fpu.fsqrt_d(f[d.rs1], rm, flags)
    elif xop == X_FMADD_D:
        f[d.rd] = fpu.fmadd_d(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FMSUB_D:
        f[d.rd] = fpu.fmsub_d(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FNMSUB_D:
        f[d.rd] = fpu.fnmsub_d(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FNMADD_D:
        f[d.rd] = fpu.fnmadd_d(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FADD_S:
        f[d.rd] = fpu.fadd_s(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FSUB_S:
        f[d.rd] = fpu.fsub_s(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FMUL_S:
        f[d.rd] = fpu.fmul_s(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FDIV_S:
        f[d.rd] = fpu.fdiv_s(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FSQRT_S:
        f[d.rd] = fpu.fsqrt_s(f[d.rs1], rm, flags)
    elif xop == X_FMADD_S:
        f[d.rd] = fpu.fmadd_s(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FMSUB_S:
        f[d.rd] = fpu.fmsub_s(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FNMSUB_S:
        f[d.rd] = fpu.fnmsub_s(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FNMADD_S:
        f[d.rd] = fpu.fnmadd_s(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FCVT_W_S:
        x[d.rd] = fpu.fcvt_w_s(f[d.rs1], rm, flags)
    elif xop == X_FCVT_WU_S:
        x[d.rd] = fpu.fcvt_wu_s(f[d.rs1], rm, flags)
    elif xop == X_FCVT_L_S:
        x[d.rd] = fpu.fcvt_l_s(f[d.rs1], rm, flags)
    elif xop == X_FCVT_LU_S:
        x[d.rd] = fpu.fcvt_lu_s(f[d.rs1], rm, flags)
    elif xop == X_FCVT_W_D:
        x[d.rd] = fpu.fcvt_w_d(f[d.rs1], rm, flags)
    elif xop == X_FCVT_WU_D:
        x[d.rd] = fpu.fcvt_wu_d(f[d.rs1], rm, flags)
    elif xop == X_FCVT_L_D:
        x[d.rd] = fpu.fcvt_l_d(f[d.rs1], rm, flags)
    elif xop == X_FCVT_LU_D:
        x[d.rd] = fpu.fcvt_lu_d(f[d.rs1], rm, flags)
    elif xop == X_FCVT_S_W:
        f[d.rd] = fpu.fcvt_s_w(x[d.rs1], rm, flags)
    elif xop == X_FCVT_S_WU:
        f[d.rd] = fpu.fcvt_s_wu(x[d.rs1], rm, flags)
    elif xop == X_FCVT_S_L:
        f[d.rd] = fpu.fcvt_s_l(x[d.rs1], rm, flags)
    elif xop == X_FCVT_S_LU:
        f[d.rd] = fpu.fcvt_s_lu(x[d.rs1], rm, flags)
    elif xop == X_FCVT_D_W:
        f[d.rd] = fpu.fcvt_d_w(x[d.rs1], rm, flags)
    elif xop == X_FCVT_D_WU:
        f[d.rd] = fpu.fcvt_d_wu(x[d.rs1], rm, flags)
    elif xop == X_FCVT_D_L:
        f[d.rd] = fpu.fcvt_d_l(x[d.rs1], rm, flags)
    elif xop == X_FCVT_D_LU:
        f[d.rd] = fpu.fcvt_d_lu(x[d.rs1], rm, flags)
    elif xop == X_FCVT_S_D:
        f[d.rd] = fpu.fcvt_s_d(f[d.rs1], rm, flags)
    elif xop == X_FCVT_D_S:
        f[d.rd] = fpu.fcvt_d_s(f[d.rs1], rm, flags)
    else:
        return STOP_ILLEGAL
    return STOP_NONE


# --- Bit manipulation (Zba/Zbb/Zbs/Zbc/Zbkb) and Zicond: register-to-register bodies, as
# the RISC-V bitmanip 1.0.0 and Zicond 1.0 specifications define them.
cdef extern from *:
    """
    static inline uint64_t cs_clz64(uint64_t a) { return a ? (uint64_t)__builtin_clzll(a) : 64; }
    static inline uint64_t cs_ctz64(uint64_t a) { return a ? (uint64_t)__builtin_ctzll(a) : 64; }
    static inline uint64_t cs_clz32(uint32_t a) { return a ? (uint64_t)__builtin_clz(a) : 32; }
    static inline uint64_t cs_ctz32(uint32_t a) { return a ? (uint64_t)__builtin_ctz(a) : 32; }
    static inline uint64_t cs_cpop(uint64_t a) { return (uint64_t)__builtin_popcountll(a); }
    static inline uint64_t cs_bswap64(uint64_t a) { return __builtin_bswap64(a); }
    """
    uint64_t cs_clz64(uint64_t a) noexcept nogil
    uint64_t cs_ctz64(uint64_t a) noexcept nogil
    uint64_t cs_clz32(uint32_t a) noexcept nogil
    uint64_t cs_ctz32(uint32_t a) noexcept nogil
    uint64_t cs_cpop(uint64_t a) noexcept nogil
    uint64_t cs_bswap64(uint64_t a) noexcept nogil


cdef inline uint64_t rotl64(uint64_t a, uint32_t sh) noexcept nogil:
    sh &= 63
    return (a << sh) | (a >> ((64 - sh) & 63))


cdef inline uint64_t rotl32(uint64_t a, uint32_t sh) noexcept nogil:
    cdef uint32_t w = <uint32_t> a
    sh &= 31
    return sx32((w << sh) | (w >> ((32 - sh) & 31)))


cdef inline uint64_t clmul_lo(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t out = 0
    cdef int i
    for i in range(64):
        if (b >> i) & 1:
            out ^= a << i
    return out


cdef inline uint64_t clmul_hi(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t out = 0
    cdef int i
    for i in range(1, 64):
        if (b >> i) & 1:
            out ^= a >> (64 - i)
    return out


cdef inline uint64_t clmul_rev(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t out = 0
    cdef int i
    for i in range(64):
        if (b >> i) & 1:
            out ^= a >> (63 - i)
    return out


cdef inline uint64_t orc_b(uint64_t a) noexcept nogil:
    cdef uint64_t out = 0
    cdef int i
    for i in range(0, 64, 8):
        if (a >> i) & 0xFF:
            out |= (<uint64_t> 0xFF) << i
    return out


cdef inline uint64_t brev8(uint64_t a) noexcept nogil:
    """Reverse the bits of every byte (Zbkb)."""
    a = ((a >> 1) & 0x5555555555555555ULL) | ((a & 0x5555555555555555ULL) << 1)
    a = ((a >> 2) & 0x3333333333333333ULL) | ((a & 0x3333333333333333ULL) << 2)
    return ((a >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((a & 0x0F0F0F0F0F0F0F0FULL) << 4)


cdef inline uint64_t bitmanip(int xop, uint64_t a, uint64_t b, int64_t imm) noexcept nogil:
    """Result of Zba/Zbb/Zbs/Zbc/Zbkb/Zicond operation `xop` on rs1 = a, rs2 = b (imm: the
    shift amount of the immediate forms)."""
    cdef uint32_t sh = <uint32_t> imm
    if xop == X_SH1ADD:
        return (a << 1) + b
    if xop == X_SH2ADD:
        return (a << 2) + b
    if xop == X_SH3ADD:
        return (a << 3) + b
    if xop == X_ADD_UW:
        return (a & 0xFFFFFFFFULL) + b
    if xop == X_SH1ADD_UW:
        return ((a & 0xFFFFFFFFULL) << 1) + b
    if xop == X_SH2ADD_UW:
        return ((a & 0xFFFFFFFFULL) << 2) + b
    if xop == X_SH3ADD_UW:
        return ((a & 0xFFFFFFFFULL) << 3) + b
    if xop == X_SLLI_UW:
        return (a & 0xFFFFFFFFULL) << sh
    if xop == X_ANDN:
        return a & ~b
    if xop == X_ORN:
        return a | ~b
    if xop == X_XNOR:
        return ~(a ^ b)
    if xop == X_CLZ:
        return cs_clz64(a)
    if xop == X_CTZ:
        return cs_ctz64(a)
    if xop == X_CPOP:
        return cs_cpop(a)
    if xop == X_CLZW:
        return cs_clz32(<uint32_t> a)
    if xop == X_CTZW:
        return cs_ctz32(<uint32_t> a)
    if xop == X_CPOPW:
        return cs_cpop(a & 0xFFFFFFFFULL)
    if xop == X_SEXT_B:
        return <uint64_t> <int64_t> <int8_t> a
    if xop == X_SEXT_H:
        return <uint64_t> <int64_t> <int16_t> a
    if xop == X_ZEXT_H:
        return a & 0xFFFF
    if xop == X_MAX:
        return a if <int64_t> a > <int64_t> b else b
    if xop == X_MAXU:
        return a if a > b else b
    if xop == X_MIN:
        return a if <int64_t> a < <int64_t> b else b
    if xop == X_MINU:
        return a if a < b else b
    if xop == X_ORC_B:
        return orc_b(a)
    if xop == X_REV8:
        return cs_bswap64(a)
    if xop == X_ROL:
        return rotl64(a, <uint32_t> b)
    if xop == X_ROR:
        return rotl64(a, (64 - (<uint32_t> b & 63)) & 63)
    if xop == X_ROLW:
        return rotl32(a, <uint32_t> b)
    if xop == X_RORW:
        return rotl32(a, (32 - (<uint32_t> b & 31)) & 31)
    if xop == X_RORI:
        return rotl64(a, (64 - sh) & 63)
    if xop == X_RORIW:
        return rotl32(a, (32 - sh) & 31)
    if xop == X_BCLR:
        return a & ~((<uint64_t> 1) << (b & 63))
    if xop == X_BEXT:
        return (a >> (b & 63)) & 1
    if xop == X_BINV:
        return a ^ ((<uint64_t> 1) << (b & 63))
    if xop == X_BSET:
        return a | ((<uint64_t> 1) << (b & 63))
    if xop == X_BCLRI:
        return a & ~((<uint64_t> 1) << sh)
    if xop == X_BEXTI:
        return (a >> sh) & 1
    if xop == X_BINVI:
        return a ^ ((<uint64_t> 1) << sh)
    if xop == X_BSETI:
        return a | ((<uint64_t> 1) << sh)
    if xop == X_CLMUL:
        return clmul_lo(a, b)
    if xop == X_CLMULH:
        return clmul_hi(a, b)
    if xop == X_CLMULR:
        return clmul_rev(a, b)
    if xop == X_PACK:
        return (a & 0xFFFFFFFFULL) | (b << 32)
    if xop == X_PACKH:
        return (a & 0xFF) | ((b & 0xFF) << 8)
    if xop == X_PACKW:
        return sx32((a & 0xFFFF) | ((b & 0xFFFF) << 16))
    if xop == X_BREV8:
        return brev8(a)
    if xop == X_CZERO_EQZ:
        return 0 if b == 0 else a
    # X_CZERO_NEZ
    return 0 if b != 0 else a
# ---- Half precision (Zfh, Zfhmin) and Zfa -------------------------------------------------
cdef inline int fp_half_zfa(Hart* h, Decoded* d, int xop, uint64_t* x, uint64_t* f,
                            uint32_t* flags) noexcept nogil:
    """Zfh/Zfhmin operations (but flh/fsh) and Zfa; resolves rm where the op has one."""
    cdef int rm
    if xop == X_FMADD_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fmadd_h(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FMSUB_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fmsub_h(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FNMSUB_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fnmsub_h(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FNMADD_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fnmadd_h(f[d.rs1], f[d.rs2], f[d.rs3], rm, flags)
    elif xop == X_FADD_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fadd_h(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FSUB_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fsub_h(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FMUL_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fmul_h(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FDIV_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fdiv_h(f[d.rs1], f[d.rs2], rm, flags)
    elif xop == X_FSQRT_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fsqrt_h(f[d.rs1], rm, flags)
    elif xop == X_FSGNJ_H:
        f[d.rd] = fpu.fsgnj_h(f[d.rs1], f[d.rs2])
    elif xop == X_FSGNJN_H:
        f[d.rd] = fpu.fsgnjn_h(f[d.rs1], f[d.rs2])
    elif xop == X_FSGNJX_H:
        f[d.rd] = fpu.fsgnjx_h(f[d.rs1], f[d.rs2])
    elif xop == X_FMIN_H:
        f[d.rd] = fpu.fmin_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FMAX_H:
        f[d.rd] = fpu.fmax_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLE_H:
        x[d.rd] = fpu.fle_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLT_H:
        x[d.rd] = fpu.flt_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FEQ_H:
        x[d.rd] = fpu.feq_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FCVT_W_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        x[d.rd] = fpu.fcvt_w_h(f[d.rs1], rm, flags)
    elif xop == X_FCVT_H_W:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fcvt_h_w(x[d.rs1], rm, flags)
    elif xop == X_FCVT_WU_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        x[d.rd] = fpu.fcvt_wu_h(f[d.rs1], rm, flags)
    elif xop == X_FCVT_H_WU:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fcvt_h_wu(x[d.rs1], rm, flags)
    elif xop == X_FCVT_L_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        x[d.rd] = fpu.fcvt_l_h(f[d.rs1], rm, flags)
    elif xop == X_FCVT_H_L:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fcvt_h_l(x[d.rs1], rm, flags)
    elif xop == X_FCVT_LU_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        x[d.rd] = fpu.fcvt_lu_h(f[d.rs1], rm, flags)
    elif xop == X_FCVT_H_LU:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fcvt_h_lu(x[d.rs1], rm, flags)
    elif xop == X_FMV_X_H:
        x[d.rd] = fpu.fmv_x_h(f[d.rs1])
    elif xop == X_FCLASS_H:
        x[d.rd] = fpu.fclass_h(f[d.rs1])
    elif xop == X_FMV_H_X:
        f[d.rd] = fpu.fmv_h_x(x[d.rs1])
    elif xop == X_FCVT_S_H:
        f[d.rd] = fpu.fcvt_s_h(f[d.rs1], 0, flags)
    elif xop == X_FCVT_H_S:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fcvt_h_s(f[d.rs1], rm, flags)
    elif xop == X_FCVT_D_H:
        f[d.rd] = fpu.fcvt_d_h(f[d.rs1], 0, flags)
    elif xop == X_FCVT_H_D:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fcvt_h_d(f[d.rs1], rm, flags)
    elif xop == X_FLI_S:
        f[d.rd] = fpu.fli_s(d.rs1)
    elif xop == X_FMINM_S:
        f[d.rd] = fpu.fminm_s(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FMAXM_S:
        f[d.rd] = fpu.fmaxm_s(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FROUND_S:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fround_s(f[d.rs1], rm, flags)
    elif xop == X_FROUNDNX_S:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.froundnx_s(f[d.rs1], rm, flags)
    elif xop == X_FLEQ_S:
        x[d.rd] = fpu.fleq_s(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLTQ_S:
        x[d.rd] = fpu.fltq_s(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLI_D:
        f[d.rd] = fpu.fli_d(d.rs1)
    elif xop == X_FMINM_D:
        f[d.rd] = fpu.fminm_d(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FMAXM_D:
        f[d.rd] = fpu.fmaxm_d(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FROUND_D:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fround_d(f[d.rs1], rm, flags)
    elif xop == X_FROUNDNX_D:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.froundnx_d(f[d.rs1], rm, flags)
    elif xop == X_FLEQ_D:
        x[d.rd] = fpu.fleq_d(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLTQ_D:
        x[d.rd] = fpu.fltq_d(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLI_H:
        f[d.rd] = fpu.fli_h(d.rs1)
    elif xop == X_FMINM_H:
        f[d.rd] = fpu.fminm_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FMAXM_H:
        f[d.rd] = fpu.fmaxm_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FROUND_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.fround_h(f[d.rs1], rm, flags)
    elif xop == X_FROUNDNX_H:
        rm = resolve_rm(h, d.rm)
        if rm < 0:
            return STOP_ILLEGAL
        f[d.rd] = fpu.froundnx_h(f[d.rs1], rm, flags)
    elif xop == X_FLEQ_H:
        x[d.rd] = fpu.fleq_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FLTQ_H:
        x[d.rd] = fpu.fltq_h(f[d.rs1], f[d.rs2], flags)
    elif xop == X_FCVTMOD_W_D:
        x[d.rd] = fpu.fcvtmod_w_d(f[d.rs1], flags)
    else:
        return STOP_ILLEGAL
    return STOP_NONE
