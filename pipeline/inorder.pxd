# The scalar in-order pipeline (IF ID EX MEM WB). Timing rules: docs/pipeline.md.
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

from caches.base cimport MemoryLevel
from pipeline.bpred cimport BTB, RAS, DirectionPredictor, IndirectPredictor
from pipeline.model cimport TimingModel
from pipeline.trace cimport (PART_COUNT, PART_DCACHE_L1, PART_DCACHE_MEM, PART_DTLB,
                            PART_ICACHE_L1, PART_ICACHE_MEM, PART_ITLB, TraceState)
from pipeline.types cimport OC_COUNT, DynInst

cdef enum:
    ST_IF = 0
    ST_ID = 1
    ST_EX = 2
    ST_MEM = 3
    ST_WB = 4
    N_STAGES = 5
    N_REGS = 64

cdef class InOrderCore(TimingModel):
    # wiring
    cdef MemoryLevel l1i, l1d
    cdef DirectionPredictor dirpred
    cdef BTB btb
    cdef RAS ras
    cdef IndirectPredictor indirect   # None: bpred.indirect = "btb"
    # configuration
    cdef bint forward_full         # EX->EX and MEM->EX bypasses (else read in ID after WB)
    cdef int resolve_stage         # ST_ID, ST_EX or ST_MEM: where mispredicts are found
    cdef uint32_t latency[OC_COUNT]    # EX result latency per OpClass (>= 1)
    cdef bint pipelined[OC_COUNT]      # False: the op holds EX for its whole latency
    cdef bint fetch_blocking, mem_blocking
    cdef uint32_t sb_entries       # store buffer entries (0 = stores wait for the cache)
    cdef uint32_t line_shift       # log2 of the fetch line size
    cdef uint32_t dline_shift      # log2 of the L1D line size (to split crossing accesses)
    cdef uint64_t d_accept_wait    # cycles the last data access waited for the L1D to accept it
    cdef uint32_t dhit_tail        # L1D hit_latency - 1: the pipelined part of an access (R13)
    # R14a: l1i / l1d are Translators (tlb.enabled); their TLB-miss cycles get own CPI parts
    cdef bint itlb_on, dtlb_on
    cdef uint32_t d_tlb_miss       # TLB-miss cycles of the last data access (its slower line)
    # pipeline state: stage entry cycles of the previous instruction
    cdef int64_t prev[N_STAGES]
    cdef int64_t fetch_ready       # earliest IF entry of the next instruction
    cdef uint8_t fetch_cause       # CPI part charged if fetch_ready binds
    cdef uint64_t fetch_line       # line held by the fetch buffer
    cdef bint fetch_line_valid
    # scoreboard, per register id
    cdef int64_t fwd_ready[N_REGS]   # earliest EX entry of a consumer, with bypasses
    cdef int64_t rf_ready[N_REGS]    # earliest EX entry of a consumer reading the register file
    cdef int64_t waw_ready[N_REGS]   # value of a late (after-WB) pending write, else 0
    cdef uint8_t wait_cause[N_REGS]  # CPI part charged when a consumer waits on it
    # store buffer: drain-finish cycles of the last sb_entries stores (ring)
    cdef int64_t* sb_finish
    cdef uint32_t sb_next
    cdef int64_t sb_last_finish
    cdef object _sb_owner
    # counters (zeroed by reset_stats)
    cdef uint64_t parts[PART_COUNT]
    cdef uint64_t cycles, instructions, loads, stores, amos
    cdef uint64_t branches, mispredicts, jumps, jump_mispredicts, decode_redirects
    cdef uint64_t btb_hits, btb_misses, ras_hits, ras_mispredicts
    cdef uint64_t indirect_jumps, indirect_mispredicts
    cdef uint64_t op_counts[OC_COUNT]
    cdef bint started
    # traces (pipeline/trace.pxd: the recorder every model shares)
    cdef TraceState tr
    cdef object _ptrace_owner, _mtrace_owner

    cdef void consume(self, DynInst* di) noexcept nogil
    cdef uint32_t _data_access(self, uint64_t pc, uint64_t addr, uint32_t size, uint8_t kind,
                               int64_t start, uint8_t* lvl) noexcept nogil
    cdef void _cache_block(self, DynInst* di, int64_t e3, int64_t* t_mem, uint8_t* c_mem,
                           uint8_t* level) noexcept nogil


# Shared by the core models (superscalar.pyx, ooo.pyx) and the warmer; inline in each.
cdef inline uint8_t _level_part(uint8_t first, uint8_t level) noexcept nogil:
    if level < 1:
        level = 1
    elif level > 4:
        level = 4
    return first + level - 1


cdef inline uint8_t _tlb_share(uint64_t* parts, uint8_t cause, int64_t gap,
                               uint32_t x) noexcept nogil:
    """R14a: `gap` cycles were charged to `cause`; when that is an I-cache or D-cache part
    (the fetch's or data access's own time), the x cycles its translation spent after the
    L1 TLB missed move to itlb / dtlb (at most the gap). Returns the cause the trace
    record names: the TLB part when it took the whole gap."""
    cdef uint8_t tlb
    if cause >= PART_ICACHE_L1 and cause <= PART_ICACHE_MEM:
        tlb = PART_ITLB
    elif cause >= PART_DCACHE_L1 and cause <= PART_DCACHE_MEM:
        tlb = PART_DTLB
    else:
        return cause
    if <int64_t> x > gap:
        x = <uint32_t> gap
    parts[cause] -= x
    parts[tlb] += x
    return tlb if <int64_t> x == gap else cause


cdef inline bint _btb_lookup(InOrderCore core, uint64_t pc, uint64_t* target) noexcept nogil:
    """BTB lookup at fetch, counted as a hit or a miss."""
    cdef bint hit = core.btb.lookup(pc, target)
    if hit:
        core.btb_hits += 1
    else:
        core.btb_misses += 1
    return hit
