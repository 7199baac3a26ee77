# C types shared by the functional core (cyclesim.isa), the timing models (pipeline) and
# the memory hierarchy (caches). Every struct that crosses a component boundary lives here,
# so there is one definition to keep in step. Field comments say what each one holds.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t

# Register ids in DynInst: 0..31 are x0..x31, 32..63 are f0..f31. REG_NONE means "no
# register"; x0 is also reported as REG_NONE because it never carries a dependency.
cdef enum:
    REG_NONE = 0
    REG_F0 = 32

# What kind of work an instruction is, for the timing models (functional units,
# latencies, hazards). Derived from the encoding table, one class per table entry.
cpdef enum OpClass:
    OC_ALU = 0        # integer ALU, lui/auipc, shifts, compares, moves
    OC_BRANCH = 1     # conditional branch
    OC_JAL = 2        # direct jump (call when rd is ra/t0)
    OC_JALR = 3       # indirect jump (return when rs1 is ra/t0 and rd is x0)
    OC_LOAD = 4       # integer or FP load
    OC_STORE = 5      # integer or FP store
    OC_AMO = 6        # LR, SC and AMOs: a load and a store to one address
    OC_MUL = 7        # integer multiply
    OC_DIV = 8        # integer divide and remainder
    OC_FADD = 9       # FP add/sub, min/max, compare, sign injection, classify
    OC_FMUL = 10      # FP multiply
    OC_FMA = 11       # FP fused multiply-add family
    OC_FDIV = 12      # FP divide
    OC_FSQRT = 13     # FP square root
    OC_FCVT = 14      # FP conversions and moves between register files
    OC_SYSTEM = 15    # ecall, ebreak, CSR access, fences
    OC_NOP = 16       # nop and hints (including region-of-interest markers)
    OC_POPCOUNT = 17  # cpop, cpopw (Zbb population count; docs/pipeline.md)
    OC_CLMUL = 18     # carry-less multiply (Zbc)
    OC_CBO = 19       # cache-block operations cbo.* and prefetch.* (address in DynInst)
    OC_COUNT = 20

# Kinds of memory access, as the caches see them.
cpdef enum AccessKind:
    ACC_IFETCH = 0
    ACC_LOAD = 1
    ACC_STORE = 2
    ACC_AMO = 3

# DynInst.flags: facts of the static instruction a timing model may need (decode finds
# them once per static instruction; the decoded-instruction cache keeps them).
cdef enum:
    DI_SERIAL = 1     # fence, fence.i, CSR access, ecall, ebreak: executes alone (OoO O12)
    DI_FENCE = 2      # fence, fence.tso, fence.i, pause: orders memory or instruction fetch
    DI_AQ = 4         # LR/SC/AMO with the acquire bit (aq, bit 26)
    DI_RL = 8         # LR/SC/AMO with the release bit (rl, bit 25)
    DI_CSR = 16       # reads or writes a CSR (Zicsr), counters included
    DI_FFLAGS = 32    # FP operation that accrues fflags (and reads frm when rm = dyn)
    DI_FCSR = 64      # CSR access to fflags, frm or fcsr: depends on older DI_FFLAGS ops
    DI_PREFETCH = 128 # prefetch.i/r/w (Zicbop): a cache hint nothing waits for

# DynInst.cbo: what a cache-block instruction (OC_CBO) does. The block operations carry
# the codes caches/base.pxd gives CBO_CLEAN/FLUSH/ZERO; cbo.inval is performed as
# cbo.flush (CBIE = 01, as Linux sets it for user mode).
cdef enum:
    CB_NONE = 0
    CB_CLEAN = 1
    CB_FLUSH = 2
    CB_ZERO = 4
    CB_PREFETCH_I = 8    # prefetch.i: the L1I line
    CB_PREFETCH_R = 9    # prefetch.r, prefetch.w: the L1D line
    CB_PREFETCH_W = 10

# One retired instruction, as the functional core hands it to a timing model.
cdef struct DynInst:
    uint64_t seq         # retirement sequence number (0-based, counts every instruction)
    uint64_t pc          # address of the instruction
    uint64_t next_pc     # address of the next instruction actually executed
    uint64_t mem_addr    # effective address of a load/store/AMO (0 otherwise)
    uint64_t target      # taken target of a conditional branch or jal (pc + offset); the
                         # not-taken target pc + length for every other instruction, jalr
                         # included (a jalr's target is its next_pc)
    uint32_t raw         # encoding as fetched (16-bit forms in the low half)
    uint16_t op          # index of the instruction in the encoding table
    # length .. cbo: facts of the static instruction, in the order of the same fields of
    # the decoder's Decoded record (cyclesim/isa/decode.pxd), so that the functional core
    # copies them in one move (checked when cyclesim.isa.core is imported)
    uint8_t length       # 2 (compressed) or 4 bytes
    uint8_t opclass      # OpClass
    uint8_t rd           # destination register id, REG_NONE if none
    uint8_t rs1          # source register ids, REG_NONE if unused
    uint8_t rs2
    uint8_t rs3
    uint8_t mem_size     # bytes accessed by a load/store/AMO (0 otherwise)
    uint8_t flags        # DI_* bits
    uint8_t cbo          # CB_* for OC_CBO, else CB_NONE
    uint8_t taken        # 1 if a branch/jump changed the control flow

# Architectural state of one hart. Owned by the functional core; the process model
# reads and writes it between quanta (syscalls, initial stack pointer, signals).
cdef struct Hart:
    uint64_t x[32]       # integer registers; x[0] is kept 0
    uint64_t f[32]       # FP registers as raw bits; singles are NaN-boxed
    uint64_t pc          # program counter
    uint64_t instret     # instructions retired since the start of the run
    uint64_t cycle       # current cycle, as the rdcycle CSR reads it
    uint64_t time_num    # rdtime = cycle * time_num / time_den (timer ticks per cycle)
    uint64_t time_den
    uint64_t reservation # LR/SC reservation address (valid when reservation_valid)
    uint64_t fault_addr  # faulting address (or pc) of the last fault
    uint32_t fault_inst  # raw encoding of the faulting instruction, when it was fetched
    uint32_t fflags      # accrued FP exception flags (NV DZ OF UF NX in bits 4..0)
    uint32_t frm         # dynamic rounding mode (0..4 valid)
    uint8_t reservation_valid
    uint8_t marker       # code of the last region-of-interest marker executed

# Why core.run() returned to Python.
cpdef enum StopReason:
    STOP_NONE = 0          # still running (internal)
    STOP_QUANTUM = 1       # instruction or cycle budget of this quantum used up
    STOP_ECALL = 2         # ecall retired (pc already past it): a syscall to emulate
    STOP_EBREAK = 3        # ebreak retired
    STOP_MARKER = 4        # a region-of-interest marker retired (code in hart.marker)
    STOP_ILLEGAL = 5       # illegal instruction (not retired; pc and fault_inst point at it)
    STOP_FETCH_FAULT = 6   # instruction fetch from unmapped/non-executable memory
    STOP_LOAD_FAULT = 7    # load from unmapped/non-readable memory (fault_addr)
    STOP_STORE_FAULT = 8   # store/AMO to unmapped/non-writable memory (fault_addr)
    STOP_MEM_LIMIT = 9     # touching a page would exceed the guest memory cap
    STOP_MISALIGNED = 10   # misaligned AMO/LR/SC (address in fault_addr)
    STOP_BREAKPOINT = 11   # pc reached the core's stop_pc (before executing it)
