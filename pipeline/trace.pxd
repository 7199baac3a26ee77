# Trace records of the in-order core and the cause codes shared by the trace and the
# CPI stack. The NumPy dtypes in trace.pyx are built from these structs' offsets, so
# the field names live here and in the one FIELD list there.
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t

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

# One instruction of the pipeline trace (cycles are absolute, from the start of the run).
# The instruction occupies stage s from its entry cycle to the next stage's entry - 1;
# WB lasts one cycle.
cdef struct PipeRecord:
    uint64_t seq
    uint64_t pc
    uint64_t mem_addr
    int64_t if_cycle
    int64_t id_cycle
    int64_t ex_cycle
    int64_t mem_cycle
    int64_t wb_cycle
    uint32_t raw
    uint16_t op
    uint8_t opclass
    uint8_t cause          # PART_* charged with this instruction's commit gap, or CAUSE_NONE
    uint8_t served_by      # level that served its load/store/AMO (0 = no data access)
    uint8_t fetch_served_by  # level that served its fetch (0 = from the fetch line buffer)
    uint8_t mispredicted   # 1 if fetch after it was redirected by a misprediction

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
