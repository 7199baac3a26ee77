"""Test harness for the timing models: feed DynInst records from Python dicts, tiny
memory levels with fixed or scripted latencies, and a synthetic nogil stream for speed."""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memset

from caches.base cimport MemoryLevel
from cyclesim.isa.decode cimport Decoded, decode_word
from pipeline.model cimport TimingModel
from pipeline.types cimport (OC_ALU, OC_AMO, OC_BRANCH, OC_DIV, OC_FADD, OC_FCVT, OC_FDIV, OC_FMA,
                             OC_FMUL, OC_FSQRT, OC_JAL, OC_JALR, OC_LOAD, OC_MUL, OC_NOP,
                             OC_STORE, OC_SYSTEM, OC_POPCOUNT, OC_CLMUL, OC_CBO, DynInst)

_OPCLASS = {"alu": <int> OC_ALU, "branch": <int> OC_BRANCH, "jal": <int> OC_JAL, "jalr": <int> OC_JALR,
            "load": <int> OC_LOAD, "store": <int> OC_STORE, "amo": <int> OC_AMO, "mul": <int> OC_MUL, "div": <int> OC_DIV,
            "fadd": <int> OC_FADD, "fmul": <int> OC_FMUL, "fma": <int> OC_FMA, "fdiv": <int> OC_FDIV,
            "fsqrt": <int> OC_FSQRT, "fcvt": <int> OC_FCVT, "system": <int> OC_SYSTEM, "nop": <int> OC_NOP,
            "popcount": <int> OC_POPCOUNT, "clmul": <int> OC_CLMUL, "cbo": <int> OC_CBO}


def _b_type(offset):
    """A beq x0,x0 encoding carrying `offset` (so the core can decode a branch target)."""
    o = offset & 0x1FFF
    return (((o >> 12) & 1) << 31) | (((o >> 5) & 0x3F) << 25) | (((o >> 1) & 0xF) << 8) \
        | (((o >> 11) & 1) << 7) | 0x63


def feed(TimingModel model not None, insts):
    """Consume each dict as one retired instruction, in order.

    Keys (all optional): pc, next_pc (default pc+length, or target when taken), opclass
    (name or int), rd, rs1, rs2, rs3, mem_addr, mem_size, taken, length (4), raw, op,
    target (branch target: sets raw when raw is absent), seq (default running count),
    flags, cbo. DynInst.target, flags and cbo come from decoding `raw` as the functional
    core does, unless given (a taken branch's target is its next_pc).
    Returns model.cycle after the last one.
    """
    cdef DynInst di
    cdef Decoded dec
    cdef uint64_t seq = getattr(model, "_feed_seq", 0) if False else 0
    pc = 0x10000
    for n, d in enumerate(insts):
        memset(&di, 0, sizeof(DynInst))
        length = d.get("length", 4)
        pc = d.get("pc", pc)
        oc = d.get("opclass", "alu")
        oc = _OPCLASS[oc] if isinstance(oc, str) else oc
        taken = bool(d.get("taken", False))
        target = d.get("target")
        if "next_pc" in d:
            next_pc = d["next_pc"]
        elif taken and target is not None:
            next_pc = target
        else:
            next_pc = pc + length
        if target is None and taken:
            target = next_pc
        raw = d.get("raw")
        if raw is None:
            raw = _b_type(target - pc) if (oc == <int> OC_BRANCH and target is not None) else 0x13
        di.seq = d.get("seq", n)
        di.pc = pc
        di.next_pc = next_pc
        di.mem_addr = d.get("mem_addr", 0)
        di.raw = raw
        di.op = d.get("op", 0)
        di.opclass = oc
        di.length = length
        di.rd = d.get("rd", 0)
        di.rs1 = d.get("rs1", 0)
        di.rs2 = d.get("rs2", 0)
        di.rs3 = d.get("rs3", 0)
        di.mem_size = d.get("mem_size", 8 if oc in (<int> OC_LOAD, <int> OC_STORE, <int> OC_AMO) else 0)
        di.taken = taken
        if decode_word(raw, &dec) == 0:
            di.flags = dec.flags
            di.cbo = dec.cbo
            di.target = (pc + dec.target_off) & 0xFFFFFFFFFFFFFFFF
        else:
            di.target = pc + length
        if target is not None and oc in (<int> OC_BRANCH, <int> OC_JAL):
            di.target = target
        di.flags = d.get("flags", di.flags)
        di.cbo = d.get("cbo", di.cbo)
        model.consume(&di)
        pc = next_pc
    return model.cycle


cdef class FixedLevel(MemoryLevel):
    """Answers every access after `latency` cycles, as level `level_id`; counts accesses."""
    cdef public uint32_t latency
    cdef public uint64_t accesses

    def __init__(self, latency=1, level_id=1):
        self.latency = latency
        self.level_id = level_id
        self.accesses = 0

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        self.accesses += 1
        served_by[0] = <uint8_t> self.level_id
        return self.latency


cdef class ScriptedLevel(MemoryLevel):
    """Latency and level per line, for the first `times` accesses to it (then the default).

    Records every access (addr, kind, now) so tests can check what the core asked for.
    """
    cdef uint32_t default_latency
    cdef uint8_t default_level
    cdef uint32_t line_shift
    cdef uint64_t[64] lines
    cdef uint32_t[64] lats
    cdef uint8_t[64] levels
    cdef int64_t[64] times
    cdef int n_script
    cdef uint64_t[4096] log_addr
    cdef uint8_t[4096] log_kind
    cdef uint64_t[4096] log_now
    cdef int n_log

    def __init__(self, default_latency=1, default_level=1, line_size=64):
        self.default_latency = default_latency
        self.default_level = default_level
        self.line_shift = int(line_size).bit_length() - 1
        self.level_id = 1
        self.n_script = 0
        self.n_log = 0

    def set(self, addr, latency, level, times=-1):
        """Accesses to the line of `addr` take `latency`, served by `level` (times: how
        many accesses this applies to, -1 = all)."""
        if self.n_script >= 64:
            raise ValueError("ScriptedLevel holds at most 64 scripted lines.")
        i = self.n_script
        self.lines[i] = addr >> self.line_shift
        self.lats[i] = latency
        self.levels[i] = level
        self.times[i] = times
        self.n_script += 1

    def log(self):
        """Accesses so far as a list of (addr, kind, now)."""
        return [(self.log_addr[i], self.log_kind[i], self.log_now[i]) for i in range(self.n_log)]

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        cdef int i
        cdef uint64_t line = addr >> self.line_shift
        if self.n_log < 4096:
            self.log_addr[self.n_log] = addr
            self.log_kind[self.n_log] = kind
            self.log_now[self.n_log] = now
            self.n_log += 1
        for i in range(self.n_script):
            if self.lines[i] == line and self.times[i] != 0:
                if self.times[i] > 0:
                    self.times[i] -= 1
                served_by[0] = self.levels[i]
                return self.lats[i]
        served_by[0] = self.default_level
        return self.default_latency


cdef inline uint64_t _xorshift(uint64_t* s) noexcept nogil:
    cdef uint64_t x = s[0]
    x ^= x << 13
    x ^= x >> 7
    x ^= x << 17
    s[0] = x
    return x


def run_synthetic(TimingModel model not None, uint64_t n, uint64_t seed=1,
                  uint64_t footprint=1 << 16):
    """Consume n synthetic instructions in a nogil loop: a loop body of 64 instructions
    (ALU 50%, loads 25%, stores 10%, mul 3%, branches 12%, last one the loop branch) over
    a data footprint of `footprint` bytes (a power of two). Returns model.cycle."""
    cdef DynInst di
    cdef uint64_t s = seed | 1
    cdef uint64_t i, k, x, pc
    cdef uint64_t base = 0x10000
    cdef uint64_t data = 0x800000
    memset(&di, 0, sizeof(DynInst))
    with nogil:
        pc = base
        for i in range(n):
            x = _xorshift(&s)
            k = (pc - base) >> 2
            di.seq = i
            di.pc = pc
            di.length = 4
            di.raw = 0x13
            di.rd = <uint8_t> (1 + (x & 15))
            di.rs1 = <uint8_t> (1 + ((x >> 4) & 15))
            di.rs2 = <uint8_t> (1 + ((x >> 8) & 15))
            di.rs3 = 0
            di.mem_addr = 0
            di.mem_size = 0
            di.taken = 0
            di.next_pc = pc + 4
            di.target = pc + 4
            if k == 63:
                di.opclass = OC_BRANCH
                di.rd = 0
                di.taken = (x & 31) != 0
                di.next_pc = base if di.taken else pc + 4
                di.target = base
            elif (k * 7) % 100 < 25:
                di.opclass = OC_LOAD
                di.mem_addr = data + ((x >> 16) & (footprint - 1) & ~7ULL)
                di.mem_size = 8
                di.rs2 = 0
            elif (k * 7) % 100 < 35:
                di.opclass = OC_STORE
                di.rd = 0
                di.mem_addr = data + ((x >> 16) & (footprint - 1) & ~7ULL)
                di.mem_size = 8
            elif (k * 7) % 100 < 38:
                di.opclass = OC_MUL
            elif (k * 7) % 100 < 49:
                di.opclass = OC_BRANCH
                di.rd = 0
                di.taken = (x >> 20) & 1
                di.raw = 0x00000863   # beq x0,x0,+16
                di.next_pc = pc + 16 if di.taken else pc + 4
                di.target = pc + 16
            else:
                di.opclass = OC_ALU
            model.consume(&di)
            pc = di.next_pc
            if pc >= base + 256:
                pc = base
    return model.cycle
