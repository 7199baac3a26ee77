"""The functional core: executes RV64GC user-level instructions on one hart.

run() is one `nogil` loop: look the pc up in the decoded-instruction cache (decode on a
miss), execute with a switch on the operation, retire, and, when a timing model is
attached, hand it a DynInst (unless the model declared the instruction quiet:
TimingModel.quiet_classes). It returns to Python on ecall/ebreak, a region-of-interest
marker, a fault, the stop pc, the instruction budget, or when the timing model's clock
reaches its stop cycle.
"""
cimport numpy as cnp
from cpython.ref cimport Py_INCREF
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset

from pipeline.types cimport *
from pipeline.model cimport TimingModel
from cyclesim.process.memory cimport (GuestMemory, MemState, mem_read, mem_write,
                                      mem_fetch_slow, MEM_OK, MEM_LIMIT)
from cyclesim.isa.decode cimport *
from cyclesim.isa cimport fpu
from cyclesim.isa.execute cimport *

import numpy as np

from cyclesim.isa.decode import decode      # decode(raw) -> (op id, fields), for tests


cdef enum:
    STATIC_BYTES = 9      # DynInst.length .. cbo


def _check_static_layout():
    """DynInst.length .. cbo and Decoded.length .. cbo are the same fields in the same
    order (pipeline/types.pxd, decode.pxd), which run() copies with one memcpy."""
    cdef DynInst di
    cdef Decoded d
    a = [<size_t> &di.length, <size_t> &di.opclass, <size_t> &di.rd, <size_t> &di.rs1,
         <size_t> &di.rs2, <size_t> &di.rs3, <size_t> &di.mem_size, <size_t> &di.flags,
         <size_t> &di.cbo]
    b = [<size_t> &d.length, <size_t> &d.opclass, <size_t> &d.dep_rd, <size_t> &d.dep_rs1,
         <size_t> &d.dep_rs2, <size_t> &d.dep_rs3, <size_t> &d.mem_size, <size_t> &d.flags,
         <size_t> &d.cbo]
    if [x - a[0] for x in a] != list(range(STATIC_BYTES)) or \
            [x - b[0] for x in b] != list(range(STATIC_BYTES)):
        raise ImportError("DynInst and Decoded static fields are out of step")


_check_static_layout()

cnp.import_array()

OPCLASS_VALUES = {
    "OC_ALU": <int> OC_ALU,
    "OC_BRANCH": <int> OC_BRANCH,
    "OC_JAL": <int> OC_JAL,
    "OC_JALR": <int> OC_JALR,
    "OC_LOAD": <int> OC_LOAD,
    "OC_STORE": <int> OC_STORE,
    "OC_AMO": <int> OC_AMO,
    "OC_MUL": <int> OC_MUL,
    "OC_DIV": <int> OC_DIV,
    "OC_FADD": <int> OC_FADD,
    "OC_FMUL": <int> OC_FMUL,
    "OC_FMA": <int> OC_FMA,
    "OC_FDIV": <int> OC_FDIV,
    "OC_FSQRT": <int> OC_FSQRT,
    "OC_FCVT": <int> OC_FCVT,
    "OC_SYSTEM": <int> OC_SYSTEM,
    "OC_NOP": <int> OC_NOP,
    "OC_POPCOUNT": <int> OC_POPCOUNT,
    "OC_CLMUL": <int> OC_CLMUL,
    "OC_CBO": <int> OC_CBO,
    "OC_COUNT": <int> OC_COUNT,
}


cdef object _u64_view(object owner, uint64_t* p):
    """A numpy uint64[32] over `p` that keeps `owner` (which holds `p`) alive."""
    cdef cnp.npy_intp n = 32
    cdef cnp.ndarray arr = cnp.PyArray_SimpleNewFromData(1, &n, cnp.NPY_UINT64, p)
    Py_INCREF(owner)                  # SetBaseObject steals a reference
    cnp.PyArray_SetBaseObject(arr, owner)
    return arr


cdef class Core:
    """One RV64GC hart executing out of a GuestMemory.

    Core(memory); core.x / core.f are writable uint64 numpy views of the registers;
    core.run(n) executes until n more instructions retire or a stop, and returns a
    StopReason (pipeline.types): ecall/ebreak/markers retire first (pc past them);
    faults do not retire (pc at the instruction, fault_addr/fault_inst set). With
    stop_pc set, run() returns STOP_BREAKPOINT before executing that pc, including as
    its first instruction: clear or move stop_pc to continue.
    """

    def __cinit__(self, GuestMemory memory not None):
        self.memory = memory
        self.mem = &memory.state
        self.dcache = <Decoded*> malloc(DCACHE_SIZE * sizeof(Decoded))
        if self.dcache == NULL:
            raise MemoryError("cannot allocate the decoded-instruction cache")
        memset(&self.hart, 0, sizeof(Hart))
        self.hart.time_num = 1
        self.hart.time_den = 1
        self.stop_pc = NO_STOP_PC
        self.timing = None
        memset(self.op_off, 0, sizeof(self.op_off))
        self.isa_restricted = False
        self.cbo_block = 64
        self.flush()
        self._x = _u64_view(self, self.hart.x)
        self._f = _u64_view(self, self.hart.f)

    def __dealloc__(self):
        free(self.dcache)

    # -- state ------------------------------------------------------------------------
    @property
    def x(self):
        """Integer registers x0..x31 (numpy uint64, writable; x0 is forced to 0)."""
        return self._x

    @property
    def f(self):
        """FP registers f0..f31 as raw bits (numpy uint64, writable; singles NaN-boxed)."""
        return self._f

    @property
    def pc(self):
        return self.hart.pc

    @pc.setter
    def pc(self, uint64_t value):
        if value & 1:
            raise ValueError(f"pc {value:#x} is odd; RISC-V instructions are 2-byte aligned")
        self.hart.pc = value

    @property
    def instret(self):
        return self.hart.instret

    @instret.setter
    def instret(self, uint64_t value):
        self.hart.instret = value

    @property
    def fflags(self):
        return self.hart.fflags

    @fflags.setter
    def fflags(self, uint32_t value):
        self.hart.fflags = value & 0x1F

    @property
    def frm(self):
        return self.hart.frm

    @frm.setter
    def frm(self, uint32_t value):
        self.hart.frm = value & 7

    @property
    def fcsr(self):
        return self.hart.frm << 5 | self.hart.fflags

    @fcsr.setter
    def fcsr(self, uint32_t value):
        self.hart.fflags = value & 0x1F
        self.hart.frm = (value >> 5) & 7

    @property
    def fault_addr(self):
        return self.hart.fault_addr

    @property
    def fault_inst(self):
        return self.hart.fault_inst

    @property
    def marker(self):
        return self.hart.marker

    @property
    def reservation(self):
        """LR/SC reservation address, or None when no reservation is held."""
        return self.hart.reservation if self.hart.reservation_valid else None

    def clear_reservation(self):
        self.hart.reservation_valid = 0

    def set_reservation(self, uint64_t addr):
        """Hold an LR/SC reservation on `addr` (a checkpoint restores it)."""
        self.hart.reservation = addr
        self.hart.reservation_valid = 1

    @property
    def cycle(self):
        """Current cycle: the timing model's clock, or instret in functional mode."""
        if self.timing is not None:
            return self.timing.cycle
        return self.hart.instret

    @property
    def timing(self):
        return self.timing

    @property
    def memory(self):
        return self.memory

    def set_timer(self, uint64_t num, uint64_t den):
        """rdtime reads cycle * num // den (timer ticks per cycle = num/den)."""
        if den == 0:
            raise ValueError("set_timer: den must be positive; pass num/den as the number "
                             "of timer ticks per cycle")
        self.hart.time_num = num
        self.hart.time_den = den

    def set_isa(self, off_ops):
        """The op ids (encoding.ENCODINGS indices) of the instructions this hart lacks: they
        become illegal instructions (HINTs become their base instruction). Built from the
        configured extensions by cyclesim.isa.extensions."""
        cdef int i
        memset(self.op_off, 0, sizeof(self.op_off))
        self.isa_restricted = False
        for i in off_ops:
            if not 0 <= i < 512:
                raise ValueError(f"op id {i} is outside the encoding table")
            self.op_off[i] = 1
            self.isa_restricted = True
        self.flush()

    @property
    def cbo_block_size(self):
        """Bytes cbo.zero writes and cbo.* act on (the L1D line size; hwprobe reports it)."""
        return self.cbo_block

    @cbo_block_size.setter
    def cbo_block_size(self, uint32_t value):
        if value < 8 or value & (value - 1):
            raise ValueError(f"cache-block size {value} must be a power of two of at least "
                             "8 bytes (the L1D line size)")
        self.cbo_block = value

    def attach_timing(self, TimingModel model):
        """Send every retired instruction to `model` (None: functional mode)."""
        self.timing = model

    def flush_decode_cache(self):
        self.flush()

    cdef void flush(self) noexcept nogil:
        cdef int i
        for i in range(DCACHE_SIZE):
            self.dcache[i].tag = 1           # odd: matches no pc

    def run(self, uint64_t max_insts):
        """Execute until `max_insts` more instructions retire or a stop; a StopReason."""
        cdef int r
        if self.mem.code_written:
            self.mem.code_written = 0
            self.flush()
        with nogil:
            r = self.run_c(max_insts)
        return r

    # -- fetch and decode ---------------------------------------------------------------
    cdef int fetch_decode(self, uint64_t pc, Decoded* d) noexcept nogil:
        cdef uint16_t lo = 0, hi = 0
        cdef uint32_t raw
        cdef int rc = mem_fetch_slow(self.mem, pc, &lo, 2)
        if rc == MEM_OK and (lo & 3) == 3:
            rc = mem_fetch_slow(self.mem, pc + 2, &hi, 2)
            if rc != MEM_OK:
                pc += 2
        if rc != MEM_OK:
            self.hart.fault_addr = pc
            self.hart.fault_inst = 0
            return STOP_MEM_LIMIT if rc == MEM_LIMIT else STOP_FETCH_FAULT
        raw = lo | (<uint32_t> hi) << 16
        if decode_word_isa(raw, d, self.op_off if self.isa_restricted else NULL) != 0:
            d.tag = 1
            self.hart.fault_inst = raw if (lo & 3) == 3 else lo
            self.hart.fault_addr = pc
            return STOP_ILLEGAL
        d.tag = pc
        return STOP_NONE

    # -- the loop -----------------------------------------------------------------------
    cdef int run_c(self, uint64_t max_insts) noexcept nogil:
        cdef Hart* h = &self.hart
        cdef uint64_t* x = h.x
        cdef uint64_t* f = h.f
        cdef uint32_t* flags = &h.fflags
        cdef MemState* m = self.mem
        cdef Decoded* dc = self.dcache
        cdef Decoded* d
        cdef bint timed = self.timing is not None
        cdef uint64_t stop_pc = self.stop_pc
        cdef uint64_t pc = h.pc, npc, ea = 0, n = 0, a, b, v
        cdef uint8_t taken = 0        # control flow taken (a branch to pc+len is still taken)
        cdef uint32_t w32
        cdef uint16_t w16
        cdef uint8_t w8
        cdef int reason = STOP_NONE, rc, rm, xop
        cdef DynInst di
        cdef uint64_t zero64 = 0
        cdef uint32_t blk = self.cbo_block

        x[0] = 0                             # Python may have written it through core.x
        fpu.fpu_host_standard()              # host FP controls the FP fast paths rely on
        while n < max_insts:
            if pc == stop_pc:
                reason = STOP_BREAKPOINT
                break
            d = &dc[(pc >> 1) & (DCACHE_SIZE - 1)]
            if d.tag != pc:
                reason = self.fetch_decode(pc, d)
                if reason != STOP_NONE:
                    break
            npc = pc + d.length
            taken = 0
            xop = d.xop
            # ---- integer -------------------------------------------------------------
            if xop == X_ADDI:
                x[d.rd] = x[d.rs1] + <uint64_t> d.imm
            elif xop == X_ADD:
                x[d.rd] = x[d.rs1] + x[d.rs2]
            elif xop == X_LD:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &v, 8)
                if rc == MEM_OK:
                    x[d.rd] = v
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_SD:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_write(m, ea, &x[d.rs2], 8)
                if rc != MEM_OK:
                    reason = store_fault(h, rc, ea)
                elif m.code_written:
                    m.code_written = 0
                    self.flush()
            elif xop == X_BNE:
                if x[d.rs1] != x[d.rs2]:
                    npc = pc + <uint64_t> d.imm
                    taken = 1
            elif xop == X_BEQ:
                if x[d.rs1] == x[d.rs2]:
                    npc = pc + <uint64_t> d.imm
                    taken = 1
            elif xop == X_BLT:
                if <int64_t> x[d.rs1] < <int64_t> x[d.rs2]:
                    npc = pc + <uint64_t> d.imm
                    taken = 1
            elif xop == X_BGE:
                if <int64_t> x[d.rs1] >= <int64_t> x[d.rs2]:
                    npc = pc + <uint64_t> d.imm
                    taken = 1
            elif xop == X_BLTU:
                if x[d.rs1] < x[d.rs2]:
                    npc = pc + <uint64_t> d.imm
                    taken = 1
            elif xop == X_BGEU:
                if x[d.rs1] >= x[d.rs2]:
                    npc = pc + <uint64_t> d.imm
                    taken = 1
            elif xop == X_JAL:
                x[d.rd] = npc
                npc = pc + <uint64_t> d.imm
                taken = 1
            elif xop == X_JALR:
                a = (x[d.rs1] + <uint64_t> d.imm) & ~(<uint64_t> 1)
                x[d.rd] = npc
                npc = a
                taken = 1
            elif xop == X_LUI:
                x[d.rd] = <uint64_t> d.imm
            elif xop == X_AUIPC:
                x[d.rd] = pc + <uint64_t> d.imm
            elif xop == X_LB:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w8, 1)
                if rc == MEM_OK:
                    x[d.rd] = <uint64_t> <int64_t> <int8_t> w8
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_LH:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w16, 2)
                if rc == MEM_OK:
                    x[d.rd] = <uint64_t> <int64_t> <int16_t> w16
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_LW:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w32, 4)
                if rc == MEM_OK:
                    x[d.rd] = sx32(w32)
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_LBU:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w8, 1)
                if rc == MEM_OK:
                    x[d.rd] = w8
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_LHU:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w16, 2)
                if rc == MEM_OK:
                    x[d.rd] = w16
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_LWU:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w32, 4)
                if rc == MEM_OK:
                    x[d.rd] = w32
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_SB or xop == X_SH or xop == X_SW:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_write(m, ea, &x[d.rs2], 1 if xop == X_SB else (2 if xop == X_SH else 4))
                if rc != MEM_OK:
                    reason = store_fault(h, rc, ea)
                elif m.code_written:
                    m.code_written = 0
                    self.flush()
            elif xop == X_SLTI:
                x[d.rd] = <int64_t> x[d.rs1] < d.imm
            elif xop == X_SLTIU:
                x[d.rd] = x[d.rs1] < <uint64_t> d.imm
            elif xop == X_XORI:
                x[d.rd] = x[d.rs1] ^ <uint64_t> d.imm
            elif xop == X_ORI:
                x[d.rd] = x[d.rs1] | <uint64_t> d.imm
            elif xop == X_ANDI:
                x[d.rd] = x[d.rs1] & <uint64_t> d.imm
            elif xop == X_SLLI:
                x[d.rd] = x[d.rs1] << d.imm
            elif xop == X_SRLI:
                x[d.rd] = x[d.rs1] >> d.imm
            elif xop == X_SRAI:
                x[d.rd] = <uint64_t> (<int64_t> x[d.rs1] >> d.imm)
            elif xop == X_SUB:
                x[d.rd] = x[d.rs1] - x[d.rs2]
            elif xop == X_SLL:
                x[d.rd] = x[d.rs1] << (x[d.rs2] & 63)
            elif xop == X_SLT:
                x[d.rd] = <int64_t> x[d.rs1] < <int64_t> x[d.rs2]
            elif xop == X_SLTU:
                x[d.rd] = x[d.rs1] < x[d.rs2]
            elif xop == X_XOR:
                x[d.rd] = x[d.rs1] ^ x[d.rs2]
            elif xop == X_SRL:
                x[d.rd] = x[d.rs1] >> (x[d.rs2] & 63)
            elif xop == X_SRA:
                x[d.rd] = <uint64_t> (<int64_t> x[d.rs1] >> (x[d.rs2] & 63))
            elif xop == X_OR:
                x[d.rd] = x[d.rs1] | x[d.rs2]
            elif xop == X_AND:
                x[d.rd] = x[d.rs1] & x[d.rs2]
            elif xop == X_ADDIW:
                x[d.rd] = sx32(x[d.rs1] + <uint64_t> d.imm)
            elif xop == X_SLLIW:
                x[d.rd] = sx32(x[d.rs1] << d.imm)
            elif xop == X_SRLIW:
                x[d.rd] = sx32(<uint32_t> x[d.rs1] >> d.imm)
            elif xop == X_SRAIW:
                x[d.rd] = <uint64_t> <int64_t> (<int32_t> x[d.rs1] >> d.imm)
            elif xop == X_ADDW:
                x[d.rd] = sx32(x[d.rs1] + x[d.rs2])
            elif xop == X_SUBW:
                x[d.rd] = sx32(x[d.rs1] - x[d.rs2])
            elif xop == X_SLLW:
                x[d.rd] = sx32(x[d.rs1] << (x[d.rs2] & 31))
            elif xop == X_SRLW:
                x[d.rd] = sx32(<uint32_t> x[d.rs1] >> (x[d.rs2] & 31))
            elif xop == X_SRAW:
                x[d.rd] = <uint64_t> <int64_t> (<int32_t> x[d.rs1] >> (x[d.rs2] & 31))
            # ---- M ---------------------------------------------------------------------
            elif xop == X_MUL:
                x[d.rd] = x[d.rs1] * x[d.rs2]
            elif xop == X_MULH:
                x[d.rd] = cs_mulh(<int64_t> x[d.rs1], <int64_t> x[d.rs2])
            elif xop == X_MULHSU:
                x[d.rd] = cs_mulhsu(<int64_t> x[d.rs1], x[d.rs2])
            elif xop == X_MULHU:
                x[d.rd] = cs_mulhu(x[d.rs1], x[d.rs2])
            elif xop == X_MULW:
                x[d.rd] = sx32(x[d.rs1] * x[d.rs2])
            elif xop == X_DIV:
                a = x[d.rs1]
                b = x[d.rs2]
                if b == 0:
                    x[d.rd] = <uint64_t> -1
                elif a == SIGN64 and b == <uint64_t> -1:
                    x[d.rd] = a
                else:
                    x[d.rd] = <uint64_t> (<int64_t> a / <int64_t> b)
            elif xop == X_DIVU:
                b = x[d.rs2]
                x[d.rd] = x[d.rs1] / b if b != 0 else <uint64_t> -1
            elif xop == X_REM:
                a = x[d.rs1]
                b = x[d.rs2]
                if b == 0:
                    x[d.rd] = a
                elif a == SIGN64 and b == <uint64_t> -1:
                    x[d.rd] = 0
                else:
                    x[d.rd] = <uint64_t> (<int64_t> a % <int64_t> b)
            elif xop == X_REMU:
                b = x[d.rs2]
                x[d.rd] = x[d.rs1] % b if b != 0 else x[d.rs1]
            elif xop == X_DIVW or xop == X_REMW:
                a = sx32(x[d.rs1])
                b = sx32(x[d.rs2])
                if b == 0:
                    v = <uint64_t> -1 if xop == X_DIVW else a
                elif a == SIGN32_SX and b == <uint64_t> -1:
                    v = a if xop == X_DIVW else 0
                elif xop == X_DIVW:
                    v = sx32(<uint64_t> (<int64_t> a / <int64_t> b))
                else:
                    v = sx32(<uint64_t> (<int64_t> a % <int64_t> b))
                x[d.rd] = v
            elif xop == X_DIVUW or xop == X_REMUW:
                w32 = <uint32_t> x[d.rs2]
                if w32 == 0:
                    v = <uint64_t> -1 if xop == X_DIVUW else sx32(x[d.rs1])
                elif xop == X_DIVUW:
                    v = sx32((<uint32_t> x[d.rs1]) / w32)
                else:
                    v = sx32((<uint32_t> x[d.rs1]) % w32)
                x[d.rd] = v
            # ---- system ----------------------------------------------------------------
            elif xop == X_ECALL:
                reason = STOP_ECALL
            elif xop == X_EBREAK:
                reason = STOP_EBREAK
            elif xop == X_MARKER:
                h.marker = <uint8_t> d.imm
                reason = STOP_MARKER
            elif xop == X_FENCE:
                pass
            elif xop == X_FENCE_I:
                self.flush()
            elif xop in (X_CSRRW, X_CSRRS, X_CSRRC, X_CSRRWI, X_CSRRSI, X_CSRRCI):
                reason = csr_op(h, d, self.timing.cycle if timed else h.instret + n,
                                h.instret + n)
            # ---- A ---------------------------------------------------------------------
            elif xop in (X_LR_W, X_SC_W, X_AMOSWAP_W, X_AMOADD_W, X_AMOXOR_W, X_AMOAND_W,
                         X_AMOOR_W, X_AMOMIN_W, X_AMOMAX_W, X_AMOMINU_W, X_AMOMAXU_W,
                         X_LR_D, X_SC_D, X_AMOSWAP_D, X_AMOADD_D, X_AMOXOR_D, X_AMOAND_D,
                         X_AMOOR_D, X_AMOMIN_D, X_AMOMAX_D, X_AMOMINU_D, X_AMOMAXU_D):
                ea = x[d.rs1]
                reason = amo(h, m, d, ea)
                if reason == STOP_NONE and m.code_written:
                    m.code_written = 0
                    self.flush()
            # ---- F and D ---------------------------------------------------------------
            elif xop == X_FLW:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w32, 4)
                if rc == MEM_OK:
                    f[d.rd] = BOX | w32
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_FLD:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &v, 8)
                if rc == MEM_OK:
                    f[d.rd] = v
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_FSW or xop == X_FSD:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_write(m, ea, &f[d.rs2], 4 if xop == X_FSW else 8)
                if rc != MEM_OK:
                    reason = store_fault(h, rc, ea)
                elif m.code_written:
                    m.code_written = 0
                    self.flush()
            elif xop == X_FSGNJ_S:
                f[d.rd] = fpu.fsgnj_s(f[d.rs1], f[d.rs2])
            elif xop == X_FSGNJN_S:
                f[d.rd] = fpu.fsgnjn_s(f[d.rs1], f[d.rs2])
            elif xop == X_FSGNJX_S:
                f[d.rd] = fpu.fsgnjx_s(f[d.rs1], f[d.rs2])
            elif xop == X_FSGNJ_D:
                f[d.rd] = fpu.fsgnj_d(f[d.rs1], f[d.rs2])
            elif xop == X_FSGNJN_D:
                f[d.rd] = fpu.fsgnjn_d(f[d.rs1], f[d.rs2])
            elif xop == X_FSGNJX_D:
                f[d.rd] = fpu.fsgnjx_d(f[d.rs1], f[d.rs2])
            elif xop == X_FMIN_S:
                f[d.rd] = fpu.fmin_s(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FMAX_S:
                f[d.rd] = fpu.fmax_s(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FMIN_D:
                f[d.rd] = fpu.fmin_d(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FMAX_D:
                f[d.rd] = fpu.fmax_d(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FEQ_S:
                x[d.rd] = fpu.feq_s(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FLT_S:
                x[d.rd] = fpu.flt_s(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FLE_S:
                x[d.rd] = fpu.fle_s(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FEQ_D:
                x[d.rd] = fpu.feq_d(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FLT_D:
                x[d.rd] = fpu.flt_d(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FLE_D:
                x[d.rd] = fpu.fle_d(f[d.rs1], f[d.rs2], flags)
            elif xop == X_FCLASS_S:
                x[d.rd] = fpu.fclass_s(f[d.rs1])
            elif xop == X_FCLASS_D:
                x[d.rd] = fpu.fclass_d(f[d.rs1])
            elif xop == X_FMV_X_W:
                x[d.rd] = fpu.fmv_x_w(f[d.rs1])
            elif xop == X_FMV_W_X:
                f[d.rd] = fpu.fmv_w_x(x[d.rs1])
            elif xop == X_FMV_X_D:
                x[d.rd] = f[d.rs1]
            elif xop == X_FMV_D_X:
                f[d.rd] = x[d.rs1]
            elif xop in (X_FMADD_S, X_FMSUB_S, X_FNMSUB_S, X_FNMADD_S, X_FADD_S, X_FSUB_S,
                         X_FMUL_S, X_FDIV_S, X_FSQRT_S, X_FCVT_W_S, X_FCVT_WU_S, X_FCVT_L_S,
                         X_FCVT_LU_S, X_FCVT_S_W, X_FCVT_S_WU, X_FCVT_S_L, X_FCVT_S_LU,
                         X_FMADD_D, X_FMSUB_D, X_FNMSUB_D, X_FNMADD_D, X_FADD_D, X_FSUB_D,
                         X_FMUL_D, X_FDIV_D, X_FSQRT_D, X_FCVT_W_D, X_FCVT_WU_D, X_FCVT_L_D,
                         X_FCVT_LU_D, X_FCVT_D_W, X_FCVT_D_WU, X_FCVT_D_L, X_FCVT_D_LU,
                         X_FCVT_S_D, X_FCVT_D_S):
                # everything left has a rounding-mode field
                rm = resolve_rm(h, d.rm)
                if rm < 0:
                    reason = STOP_ILLEGAL
                    h.fault_addr = pc
                else:
                    reason = fp_rounded(d, xop, x, f, rm, flags)
            # --- Bit manipulation (Zba/Zbb/Zbs/Zbc/Zbkb), Zicond, Zicbo*, Zihint* -------
            elif xop in (X_ADD_UW, X_SH1ADD, X_SH1ADD_UW, X_SH2ADD, X_SH2ADD_UW, X_SH3ADD,
                         X_SH3ADD_UW, X_SLLI_UW, X_ANDN, X_ORN, X_XNOR, X_CLZ,
                         X_CTZ, X_CPOP, X_SEXT_B, X_SEXT_H, X_CLZW, X_CTZW,
                         X_CPOPW, X_MAX, X_MAXU, X_MIN, X_MINU, X_ORC_B,
                         X_REV8, X_ROL, X_ROR, X_ROLW, X_RORW, X_RORI,
                         X_RORIW, X_ZEXT_H, X_BCLR, X_BCLRI, X_BEXT, X_BEXTI,
                         X_BINV, X_BINVI, X_BSET, X_BSETI, X_CLMUL, X_CLMULR,
                         X_CLMULH, X_PACK, X_PACKH, X_PACKW, X_BREV8, X_CZERO_EQZ,
                         X_CZERO_NEZ):
                x[d.rd] = bitmanip(xop, x[d.rs1], x[d.rs2], d.imm)
            elif xop == X_CBO_ZERO:
                # Zeros the whole cache block holding rs1 (a store for permissions).
                ea = x[d.rs1] & ~(<uint64_t> (blk - 1))
                for a in range(ea, ea + blk, 8):
                    rc = mem_write(m, a, &zero64, 8)
                    if rc != MEM_OK:
                        reason = store_fault(h, rc, a)
                        break
                if reason == STOP_NONE and m.code_written:
                    m.code_written = 0
                    self.flush()
            elif xop in (X_CBO_CLEAN, X_CBO_FLUSH, X_CBO_INVAL):
                # No data effect here (caches hold tags only); the block must be accessible,
                # and a fault is a store fault as the CMO spec says.
                ea = x[d.rs1] & ~(<uint64_t> (blk - 1))
                rc = mem_read(m, ea, &w8, 1)
                if rc != MEM_OK:
                    reason = store_fault(h, rc, ea)
            elif xop in (X_PREFETCH_I, X_PREFETCH_R, X_PREFETCH_W):
                ea = x[d.rs1] + <uint64_t> d.imm       # a hint: never faults
            elif xop in (X_PAUSE, X_NTL_P1, X_NTL_PALL, X_NTL_S1, X_NTL_ALL):
                pass            # hints with no architectural effect
            # ---- Zfh, Zfhmin, Zfa --------------------------------------------------------
            elif xop == X_FLH:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_read(m, ea, &w16, 2)
                if rc == MEM_OK:
                    f[d.rd] = fpu.fmv_h_x(w16)
                else:
                    reason = load_fault(h, rc, ea)
            elif xop == X_FSH:
                ea = x[d.rs1] + <uint64_t> d.imm
                rc = mem_write(m, ea, &f[d.rs2], 2)     # the low 16 bits, boxed or not
                if rc != MEM_OK:
                    reason = store_fault(h, rc, ea)
                elif m.code_written:
                    m.code_written = 0
                    self.flush()
            elif xop in (X_FMADD_H, X_FMSUB_H, X_FNMSUB_H, X_FNMADD_H, X_FADD_H, X_FSUB_H, X_FMUL_H,
                        X_FDIV_H, X_FSQRT_H, X_FSGNJ_H, X_FSGNJN_H, X_FSGNJX_H, X_FMIN_H, X_FMAX_H,
                        X_FLE_H, X_FLT_H, X_FEQ_H, X_FCVT_W_H, X_FCVT_H_W, X_FCVT_WU_H, X_FCVT_H_WU,
                        X_FCVT_L_H, X_FCVT_H_L, X_FCVT_LU_H, X_FCVT_H_LU, X_FMV_X_H, X_FCLASS_H,
                        X_FMV_H_X, X_FCVT_S_H, X_FCVT_H_S, X_FCVT_D_H, X_FCVT_H_D, X_FLI_S, X_FMINM_S,
                        X_FMAXM_S, X_FROUND_S, X_FROUNDNX_S, X_FLEQ_S, X_FLTQ_S, X_FLI_D, X_FMINM_D,
                        X_FMAXM_D, X_FROUND_D, X_FROUNDNX_D, X_FLEQ_D, X_FLTQ_D, X_FLI_H, X_FMINM_H,
                        X_FMAXM_H, X_FROUND_H, X_FROUNDNX_H, X_FLEQ_H, X_FLTQ_H, X_FCVTMOD_W_D):
                reason = fp_half_zfa(h, d, xop, x, f, flags)
            else:
                reason = STOP_ILLEGAL
                h.fault_addr = pc

            if reason != STOP_NONE:
                if reason != STOP_ECALL and reason != STOP_EBREAK and reason != STOP_MARKER:
                    h.fault_inst = d.raw         # a fault: the instruction does not retire
                    if reason == STOP_ILLEGAL:
                        h.fault_addr = pc
                    break
            x[0] = 0
            if timed and ((self.timing.quiet_classes >> d.opclass) & 1
                          and pc - self.timing.quiet_base + d.length <= self.timing.quiet_size):
                self.timing.cycle += 1       # an instruction the model need not see
            elif timed:
                di.seq = h.instret + n
                di.pc = pc
                di.next_pc = npc
                di.raw = d.raw
                di.op = d.op
                # length, opclass, rd, rs1, rs2, rs3, mem_size, flags, cbo in one move
                memcpy(&di.length, &d.length, STATIC_BYTES)
                di.mem_addr = ea if d.mem_size else 0
                di.taken = taken
                di.target = pc + <uint64_t> <int64_t> d.target_off
                self.timing.consume(&di)
            n += 1
            pc = npc
            if reason != STOP_NONE:
                break
            if timed and self.timing.cycle >= self.timing.stop_cycle:
                reason = STOP_QUANTUM
                break

        h.pc = pc
        h.instret += n
        h.cycle = self.timing.cycle if timed else h.instret
        if reason == STOP_NONE:
            reason = STOP_QUANTUM
        return reason
