# Trace records every core model writes, the one recorder that writes them, and the
# cause codes shared by the trace and the CPI stack. The NumPy dtypes in trace.pyx are
# built from these structs' offsets, so the field names live here and in the one FIELD
# list there.
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t

from pipeline.types cimport DynInst

# Parts of the CPI stack; a pipeline record's `cause` is the part its stall cycles went to.
cdef enum:
    PART_BASE = 0          # 1 per instruction, plus the pipeline fill of the first one
    PART_BRANCH = 1        # mispredictions and decode-stage redirects (BTB misses)
    PART_ICACHE_L1 = 2     # I-fetch served by level 1..4 (L1 only when its latency > 1)
    PART_ICACHE_L2 = 3
    PART_ICACHE_L3 = 4
    PART_ICACHE_MEM = 5
    PART_DCACHE_L1 = 6     # loads/stores/AMOs served by level 1..4
    PART_DCACHE_L2 = 7
    PART_DCACHE_L3 = 8
    PART_DCACHE_MEM = 9
    PART_DATA = 10         # RAW/WAW waits: load-use, long-latency producers
    PART_STRUCTURAL = 11   # non-pipelined units, store buffer full, AMO drain
    PART_OTHER = 12        # none of the above (should stay 0)
    PART_ITLB = 13         # of an I-fetch's own time: its ITLB miss (L2 TLB lookup, walk)
    PART_DTLB = 14         # of a data access's own MEM time: its DTLB miss (R14a)
    PART_COUNT = 15
    CAUSE_NONE = 255       # record: the instruction committed right after its predecessor

# Parts of the commit-slot CPI stack of the wide cores (top-down style, after Yasin,
# "A Top-Down Method for Performance Analysis", ISPASS 2014): every commit slot, width
# per cycle, is retiring or lost to one part. Names: trace.pyx SLOT_PART_NAMES. The
# out-of-order core uses them all, the superscalar in-order core the ones it can lose
# slots to (superscalar.pyx).
cdef enum:
    OP_RETIRING = 0
    OP_FE_ICACHE_L1 = 1      # front-end: I-cache miss served by level 1..4
    OP_FE_ICACHE_L2 = 2
    OP_FE_ICACHE_L3 = 3
    OP_FE_ICACHE_MEM = 4
    OP_FE_BANDWIDTH = 5      # front-end: fetch width, taken-branch bubbles, decode redirects, fill
    OP_BAD_SPEC = 6          # mispredicted branches and jumps
    OP_BE_MEM_L1 = 7         # back-end memory: load data from level 1..4 (or forwarded)
    OP_BE_MEM_L2 = 8
    OP_BE_MEM_L3 = 9
    OP_BE_MEM_MEM = 10
    OP_BE_DEPENDENCE = 11    # back-end core: waiting for a non-load producer
    OP_BE_UNITS = 12         # back-end core: busy ports/units, multi-cycle latencies
    OP_BE_ROB_FULL = 13
    OP_BE_IQ_FULL = 14
    OP_BE_LSQ_FULL = 15
    OP_BE_REGS_FULL = 16
    OP_BE_SERIALISE = 17     # fences, CSR accesses, ecalls, AMOs drain the window
    OP_BE_MEM_ORDER = 18     # loads waiting for older stores / partial-overlap replays
    OP_BAD_SPEC_ORDER = 19   # memory-order violations: the load and younger refetched (O22)
    OP_FE_ITLB = 20          # front-end: the I-fetch's ITLB miss (L2 TLB, page walk)
    OP_BE_DTLB = 21          # back-end memory: a data access's DTLB miss
    OP_COUNT = 22
    OP_FLOW = 254            # stage bound by its own previous stage (look further back)

# One instruction of the pipeline trace (cycles are absolute, from the start of the run).
# The five cycles are the entry cycles of the model's five stages (its `stage_names`:
# IF ID EX MEM WB in order, fetch dispatch issue done commit out of order); the fields
# keep the in-order names. The instruction occupies stage s from its entry cycle to the
# next stage's entry - 1; the last stage lasts one cycle. A model with more fields puts
# a PipeRecord first in its own record (OooRecord), so that one recorder serves all.
cdef struct PipeRecord:
    uint64_t seq
    uint64_t pc
    uint64_t mem_addr
    int64_t if_cycle       # stage 0
    int64_t id_cycle       # stage 1
    int64_t ex_cycle       # stage 2
    int64_t mem_cycle      # stage 3
    int64_t wb_cycle       # stage 4 (commit)
    uint32_t raw
    uint16_t op
    uint8_t opclass
    uint8_t cause          # the model's CPI part charged with its commit gap, or CAUSE_NONE
    uint8_t served_by      # level that served its load/store/AMO (0 = no data access)
    uint8_t fetch_served_by  # level that served its fetch (0 = from the fetch line buffer)
    uint8_t mispredicted   # 1 if fetch after it was redirected by a misprediction
    uint8_t slot_part      # wide cores: OP_* part of the empty commit slots before it, or
                           # CAUSE_NONE (none empty, or a scalar core, which counts cycles)

# One memory access (instruction fetch, load, store drain, AMO).
cdef struct MemRecord:
    int64_t cycle          # cycle the access was issued
    uint64_t seq           # instruction that made it
    uint64_t pc
    uint64_t addr
    uint32_t latency       # cycles the level took
    uint16_t size          # bytes (line size for fetches)
    uint8_t kind           # AccessKind
    uint8_t level          # level that served it

# The trace state a core model embeds (one struct, so that the per-instruction cost when
# off is one test of `on`). Buffers are NumPy arrays the model owns (trace_start).
cdef enum:
    MAX_ACCESSES = 4       # memory records one instruction may note (fetch lines, data)

cdef struct TraceState:
    bint on                # a window is set: the one branch taken per instruction when off
    bint pipe              # pipeline records wanted
    bint mem               # memory records wanted
    uint64_t first         # window: retirement numbers first .. first + count - 1
    uint64_t count
    char* rec              # pipeline records, `stride` bytes each, a PipeRecord first
    uint64_t stride
    uint64_t n_rec, cap_rec
    MemRecord* mrec        # memory records
    uint64_t n_mem, cap_mem
    uint64_t per_inst      # memory records held per instruction of the window
    MemRecord acc[MAX_ACCESSES]   # the current instruction's accesses, noted as made
    int n_acc


cdef inline void trace_note(TraceState* t, int64_t cycle, uint64_t addr, uint32_t lat,
                            uint32_t size, uint8_t kind, uint8_t level) noexcept nogil:
    """Note one memory access of the current instruction (the caller tests t.on)."""
    cdef MemRecord* m
    if t.n_acc >= MAX_ACCESSES:
        return
    m = &t.acc[t.n_acc]
    m.cycle = cycle
    m.addr = addr
    m.latency = lat
    m.size = <uint16_t> size
    m.kind = kind
    m.level = level
    t.n_acc += 1


cdef inline PipeRecord* trace_record(TraceState* t, DynInst* di, int64_t s0, int64_t s1,
                                     int64_t s2, int64_t s3, int64_t s4, uint8_t cause,
                                     uint8_t data_level, uint8_t fetch_level,
                                     bint mispredicted, uint8_t slot_part) noexcept nogil:
    """Record a retired instruction that is inside the window (the caller tests t.on):
    its noted memory accesses and a pipeline record with stage entry cycles s0..s4.
    Returns the record, for a model to fill the fields of its own after the PipeRecord,
    or NULL (outside the window, no pipeline records, or the buffer is full)."""
    cdef PipeRecord* r = NULL
    cdef int k
    if di.seq - t.first >= t.count:
        return NULL
    if t.pipe and t.n_rec < t.cap_rec:
        r = <PipeRecord*> (t.rec + t.n_rec * t.stride)
        t.n_rec += 1
        r.seq = di.seq
        r.pc = di.pc
        r.mem_addr = di.mem_addr
        r.if_cycle = s0
        r.id_cycle = s1
        r.ex_cycle = s2
        r.mem_cycle = s3
        r.wb_cycle = s4
        r.raw = di.raw
        r.op = di.op
        r.opclass = di.opclass
        r.cause = cause
        r.served_by = data_level
        r.fetch_served_by = fetch_level
        r.mispredicted = mispredicted
        r.slot_part = slot_part
    if t.mem:
        for k in range(t.n_acc):
            if t.n_mem < t.cap_mem:
                t.mrec[t.n_mem] = t.acc[k]
                t.mrec[t.n_mem].seq = di.seq
                t.mrec[t.n_mem].pc = di.pc
                t.n_mem += 1
    return r


cdef tuple trace_start(TraceState* t, first_seq, count, pipeline, memory, capacity,
                       rec_dtype, int per_inst)
cdef void trace_empty(TraceState* t) noexcept
cdef object trace_room(TraceState* t)
