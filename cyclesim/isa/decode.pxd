# The decoder: turns a 16- or 32-bit instruction word into a `Decoded` record that the
# executor (core.pyx) switches on. Which instruction a word is comes from the encoding
# table (cyclesim/isa/encoding.py), loaded into C arrays at import; compressed forms are
# expanded to their 32-bit twins so the executor has one body per operation.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

# What the executor does: one value per 32-bit table entry (compressed forms share their
# twin's), plus the region-of-interest marker. Named X_<mnemonic with . as _>.
cpdef enum Xop:
    X_ILLEGAL = 0
    X_MARKER
    X_LUI
    X_AUIPC
    X_JAL
    X_JALR
    X_BEQ
    X_BNE
    X_BLT
    X_BGE
    X_BLTU
    X_BGEU
    X_LB
    X_LH
    X_LW
    X_LD
    X_LBU
    X_LHU
    X_LWU
    X_SB
    X_SH
    X_SW
    X_SD
    X_ADDI
    X_SLTI
    X_SLTIU
    X_XORI
    X_ORI
    X_ANDI
    X_SLLI
    X_SRLI
    X_SRAI
    X_ADD
    X_SUB
    X_SLL
    X_SLT
    X_SLTU
    X_XOR
    X_SRL
    X_SRA
    X_OR
    X_AND
    X_ADDIW
    X_SLLIW
    X_SRLIW
    X_SRAIW
    X_ADDW
    X_SUBW
    X_SLLW
    X_SRLW
    X_SRAW
    X_FENCE
    X_ECALL
    X_EBREAK
    X_FENCE_I
    X_CSRRW
    X_CSRRS
    X_CSRRC
    X_CSRRWI
    X_CSRRSI
    X_CSRRCI
    X_MUL
    X_MULH
    X_MULHSU
    X_MULHU
    X_DIV
    X_DIVU
    X_REM
    X_REMU
    X_MULW
    X_DIVW
    X_DIVUW
    X_REMW
    X_REMUW
    X_LR_W
    X_SC_W
    X_AMOSWAP_W
    X_AMOADD_W
    X_AMOXOR_W
    X_AMOAND_W
    X_AMOOR_W
    X_AMOMIN_W
    X_AMOMAX_W
    X_AMOMINU_W
    X_AMOMAXU_W
    X_LR_D
    X_SC_D
    X_AMOSWAP_D
    X_AMOADD_D
    X_AMOXOR_D
    X_AMOAND_D
    X_AMOOR_D
    X_AMOMIN_D
    X_AMOMAX_D
    X_AMOMINU_D
    X_AMOMAXU_D
    X_FLW
    X_FSW
    X_FMADD_S
    X_FMSUB_S
    X_FNMSUB_S
    X_FNMADD_S
    X_FADD_S
    X_FSUB_S
    X_FMUL_S
    X_FDIV_S
    X_FSQRT_S
    X_FSGNJ_S
    X_FSGNJN_S
    X_FSGNJX_S
    X_FMIN_S
    X_FMAX_S
    X_FLE_S
    X_FLT_S
    X_FEQ_S
    X_FCVT_W_S
    X_FCVT_WU_S
    X_FCVT_L_S
    X_FCVT_LU_S
    X_FCVT_S_W
    X_FCVT_S_WU
    X_FCVT_S_L
    X_FCVT_S_LU
    X_FMV_X_W
    X_FCLASS_S
    X_FMV_W_X
    X_FLD
    X_FSD
    X_FMADD_D
    X_FMSUB_D
    X_FNMSUB_D
    X_FNMADD_D
    X_FADD_D
    X_FSUB_D
    X_FMUL_D
    X_FDIV_D
    X_FSQRT_D
    X_FSGNJ_D
    X_FSGNJN_D
    X_FSGNJX_D
    X_FMIN_D
    X_FMAX_D
    X_FLE_D
    X_FLT_D
    X_FEQ_D
    X_FCVT_W_D
    X_FCVT_WU_D
    X_FCVT_L_D
    X_FCVT_LU_D
    X_FCVT_D_W
    X_FCVT_D_WU
    X_FCVT_D_L
    X_FCVT_D_LU
    X_FMV_X_D
    X_FCLASS_D
    X_FMV_D_X
    X_FCVT_S_D
    X_FCVT_D_S
    # --- Bit manipulation (Zba/Zbb/Zbs/Zbc/Zbkb), Zicond, Zicbo*, Zihintpause, Zihintntl
    X_ADD_UW
    X_SH1ADD
    X_SH1ADD_UW
    X_SH2ADD
    X_SH2ADD_UW
    X_SH3ADD
    X_SH3ADD_UW
    X_SLLI_UW
    X_ANDN
    X_ORN
    X_XNOR
    X_CLZ
    X_CTZ
    X_CPOP
    X_SEXT_B
    X_SEXT_H
    X_CLZW
    X_CTZW
    X_CPOPW
    X_MAX
    X_MAXU
    X_MIN
    X_MINU
    X_ORC_B
    X_REV8
    X_ROL
    X_ROR
    X_ROLW
    X_RORW
    X_RORI
    X_RORIW
    X_ZEXT_H
    X_BCLR
    X_BCLRI
    X_BEXT
    X_BEXTI
    X_BINV
    X_BINVI
    X_BSET
    X_BSETI
    X_CLMUL
    X_CLMULR
    X_CLMULH
    X_PACK
    X_PACKH
    X_PACKW
    X_BREV8
    X_CZERO_EQZ
    X_CZERO_NEZ
    X_CBO_INVAL
    X_CBO_CLEAN
    X_CBO_FLUSH
    X_CBO_ZERO
    X_PREFETCH_I
    X_PREFETCH_R
    X_PREFETCH_W
    X_PAUSE
    X_NTL_P1
    X_NTL_PALL
    X_NTL_S1
    X_NTL_ALL
    # --- Half precision (Zfh, Zfhmin) and Zfa
    X_FLH
    X_FSH
    X_FMADD_H
    X_FMSUB_H
    X_FNMSUB_H
    X_FNMADD_H
    X_FADD_H
    X_FSUB_H
    X_FMUL_H
    X_FDIV_H
    X_FSQRT_H
    X_FSGNJ_H
    X_FSGNJN_H
    X_FSGNJX_H
    X_FMIN_H
    X_FMAX_H
    X_FLE_H
    X_FLT_H
    X_FEQ_H
    X_FCVT_W_H
    X_FCVT_H_W
    X_FCVT_WU_H
    X_FCVT_H_WU
    X_FCVT_L_H
    X_FCVT_H_L
    X_FCVT_LU_H
    X_FCVT_H_LU
    X_FMV_X_H
    X_FCLASS_H
    X_FMV_H_X
    X_FCVT_S_H
    X_FCVT_H_S
    X_FCVT_D_H
    X_FCVT_H_D
    X_FLI_S
    X_FMINM_S
    X_FMAXM_S
    X_FROUND_S
    X_FROUNDNX_S
    X_FLEQ_S
    X_FLTQ_S
    X_FLI_D
    X_FMINM_D
    X_FMAXM_D
    X_FROUND_D
    X_FROUNDNX_D
    X_FLEQ_D
    X_FLTQ_D
    X_FLI_H
    X_FMINM_H
    X_FMAXM_H
    X_FROUND_H
    X_FROUNDNX_H
    X_FLEQ_H
    X_FLTQ_H
    X_FCVTMOD_W_D
    X_COUNT

# Register kinds of an operand slot, for DynInst register ids.
cdef enum:
    RK_NONE = 0
    RK_X = 1
    RK_F = 2

# One decoded instruction, as cached per pc (48 bytes).
cdef struct Decoded:
    uint64_t tag         # pc this entry was decoded for (odd = empty: pcs are even)
    int64_t imm          # immediate, sign-extended and scaled (csr number for CSR ops)
    uint32_t raw         # encoding as fetched (16-bit forms in the low half)
    uint16_t op          # index in encoding.ENCODINGS (the compressed entry for C forms)
    uint16_t xop         # Xop: what the executor does
    uint8_t rd           # register numbers 0..31 (x or f, as the operation implies)
    uint8_t rs1          # (zimm for csrr*i)
    uint8_t rs2
    uint8_t rs3
    uint8_t rm           # rounding-mode field (14:12)
    # length .. cbo in DynInst's order (pipeline/types.pxd): the core copies them at once.
    uint8_t length       # 2 or 4
    uint8_t opclass      # OpClass
    # What a timing model needs, fixed per static instruction, so it is found once here
    # and not again for every retired instance:
    uint8_t dep_rd       # DynInst register ids (REG_NONE, 1..31 = x, 32..63 = f)
    uint8_t dep_rs1
    uint8_t dep_rs2
    uint8_t dep_rs3
    uint8_t mem_size     # bytes a load/store/AMO accesses (0 otherwise)
    uint8_t flags        # DynInst.flags (DI_* bits, pipeline/types.pxd)
    uint8_t cbo          # DynInst.cbo (CB_*)
    int32_t target_off   # DynInst.target - pc: the branch/jal offset, else the length


cdef int decode_word(uint32_t raw, Decoded* d) noexcept nogil
# As decode_word, for a hart that lacks some extensions: off[op id] = 1 marks an entry the
# hart does not have (an illegal instruction, or, for a HINT, its base instruction).
cdef int decode_word_isa(uint32_t raw, Decoded* d, const uint8_t* off) noexcept nogil
cdef uint32_t expand_c(uint32_t h) noexcept nogil
