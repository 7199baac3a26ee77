# The out-of-order core (instruction-driven). Timing rules: docs/pipeline-ooo.md (O1..O21).
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

from caches.base cimport MemoryLevel
from pipeline.bpred cimport BTB, RAS, DirectionPredictor, IndirectPredictor
from pipeline.model cimport TimingModel
from pipeline.trace cimport *
from pipeline.types cimport OC_COUNT, DynInst

cdef enum:
    U_ALU = 0          # functional-unit kinds an op class needs (a port offers a set)
    U_BRANCH = 1       # branches and jumps
    U_MUL = 2
    U_DIV = 3
    U_LOAD = 4         # loads and AMOs (the load pipeline of the LSU)
    U_STORE = 5
    U_FPU = 6          # FP add/mul/fma/convert
    U_FDIV = 7         # FP divide and square root
    N_UNITS = 8
    Q_INT = 0          # issue queues
    Q_MEM = 1
    Q_FP = 2
    N_QUEUES = 3
    MAX_PORTS = 16
    CAL_SIZE = 65536   # issue-port calendar: cycles tracked at once (power of two)
    MD_WAIT = 0        # memory_dependence policies (O16)
    MD_STORE_SETS = 1
    MD_SPECULATE = 2

# One instruction of the out-of-order pipeline trace. Cycles are absolute. The shared
# PipeRecord comes first (trace.pxd: the one recorder fills it), its five stage cycles
# being fetch, dispatch, issue, done and commit:
#   fetch     O1-O5: enters the fetch buffer
#   dispatch  O6-O11: renamed, enters ROB, issue queue, LQ/SQ
#   issue     O12-O16: leaves the issue queue on a port (final issue if replayed)
#   done      O17: result available to consumers (forwarded)
#   commit    O18-O19: retires
# and its cause the OP_* part charged with the empty commit slots before it.
cdef struct OooRecord:
    PipeRecord head
    uint64_t next_pc
    uint32_t fetch_stall     # I-cache stall cycles paid at fetch (beyond the L1I hit)
    uint32_t mem_latency     # latency the data cache returned (0: no access / forwarded)
    uint8_t rd
    uint8_t rs1
    uint8_t rs2
    uint8_t rs3
    uint8_t mem_size
    uint8_t length
    uint8_t taken
    uint8_t redirect     # 0 none, 1 taken (bubble), 2 decode redirect, 3 mispredict
    uint8_t port
    uint8_t forwarded    # 1: load data forwarded from an older store
    uint8_t replayed     # 1: load re-issued after a partially overlapping store committed
    uint8_t violations   # O22: times the load was refetched after a memory-order violation

cdef class OutOfOrderCore(TimingModel):
    # wiring
    cdef MemoryLevel l1i, l1d
    cdef DirectionPredictor dirpred
    cdef BTB btb
    cdef RAS ras
    cdef IndirectPredictor indirect   # None: bpred.indirect = "btb"
    # configuration
    cdef int64_t fetch_width, fetch_buffer, frontend_depth, decode_width, commit_width
    cdef int64_t rob_entries, lq_entries, sq_entries, int_rename, fp_rename
    cdef int64_t redirect_penalty, forward_latency
    cdef int64_t iq_entries[N_QUEUES]
    cdef int mem_dep                     # O16: MD_WAIT, MD_STORE_SETS or MD_SPECULATE
    cdef int64_t violation_penalty       # O22: flush to refetch of the violating load
    cdef int64_t ssit_mask, lfst_mask, clear_cycles
    cdef int32_t* ssit_id                # store sets (O16s): SSIT, PC -> store-set id
    cdef int64_t* ssit_epoch             # clear period in which the entry was written
    cdef int64_t* lfst_issue             # LFST: STA issue of the set's last dispatched store
    cdef bint refetching                 # O22: consume() runs again for a refetched load
    cdef int64_t refetch_f, refetch_nviol
    cdef uint32_t refetch_fstall
    cdef uint8_t refetch_flevel
    cdef uint32_t latency[OC_COUNT]
    cdef uint8_t unit_of[OC_COUNT]
    cdef bint pipelined[N_UNITS]
    cdef int n_ports
    cdef uint8_t port_list[N_UNITS][MAX_PORTS]
    cdef int n_port_list[N_UNITS]
    cdef uint32_t l1i_hit
    cdef bint itlb_on, dtlb_on           # the L1s are Translators (tlb.enabled): O20a
    cdef uint32_t d_tlb_miss             # DTLB-miss cycles of the last data access
    cdef uint32_t line_shift, dline_shift
    # per-instruction rings (index n & ring_mask)
    cdef int64_t ring_mask
    cdef int64_t* r_fetch
    cdef int64_t* r_dispatch
    cdef int64_t* r_commit
    cdef uint8_t* r_dcause
    cdef int64_t* lq_commit              # LQ ring: commit of the last lq_entries loads
    cdef int64_t* sq_commit              # SQ ring: commit, address and size of stores
    cdef uint64_t* sq_addr
    cdef uint32_t* sq_size
    cdef int64_t* sq_data                # STD cycle: the store's data is in its SQ entry
    cdef int64_t* sq_issue               # STA cycle: the address is known after it
    cdef uint64_t* sq_pc
    cdef int64_t* int_free               # rename rings: commit of the last writers
    cdef int64_t* fp_free
    cdef int64_t* iq_ring[N_QUEUES]      # the iq_entries latest release cycles, sorted
    cdef int64_t iq_count[N_QUEUES]      # ascending from iq_head (a ring of iq_mask + 1)
    cdef int64_t iq_head[N_QUEUES]
    cdef int64_t iq_mask[N_QUEUES]
    cdef int64_t* cal_tag                # port calendar: cycle held by the slot
    cdef uint32_t* cal_used              # ports taken in that cycle (bit per port)
    cdef int64_t unit_free[MAX_PORTS][N_UNITS]   # unpipelined unit busy until
    cdef int64_t unp_last[N_UNITS]       # last issue of an unpipelined kind (program order)
    cdef object _owners
    # state
    cdef uint64_t n, n_loads, n_stores, n_int_w, n_fp_w
    cdef int64_t lq_head, sq_head, int_head, fp_head   # ring slot of the oldest entry
    cdef int64_t reg_ready[64]
    cdef uint8_t reg_cause[64]
    cdef uint32_t reg_tlb[64]            # O20a: DTLB-miss cycles of the load that writes it
    cdef int64_t fetch_ready
    cdef uint8_t fetch_cause, last_fcause, last_dcause
    cdef uint64_t fetch_line
    cdef bint fetch_line_valid
    cdef int64_t max_store_issue
    cdef int64_t serial_until            # younger instructions dispatch after this commit
    cdef int64_t cur_commit              # cycle of the last commit
    cdef int64_t used_slots              # commit slots used in that cycle
    cdef uint8_t last_cause
    # counters
    cdef uint64_t slots[OP_COUNT]
    cdef uint64_t instructions, loads, stores, amos, forwarded, replays
    cdef uint64_t block_ops, hints           # cbo.* performed, prefetch.* hints (O21)
    cdef uint64_t violations, ss_waits       # O22 refetches; O16s predictor-held issues
    cdef int64_t base_cycle
    cdef uint64_t rob_full, iq_full, lq_full, sq_full, regs_full, fb_full, serial_stall
    cdef uint64_t branches, mispredicts, jumps, jump_mispredicts, decode_redirects
    cdef uint64_t btb_hits, btb_misses, ras_hits, ras_mispredicts
    cdef uint64_t indirect_jumps, indirect_mispredicts
    cdef uint64_t op_counts[OC_COUNT]
    # traces (pipeline/trace.pxd: the recorder every model shares)
    cdef TraceState tr
    cdef object _otrace_owner, _mtrace_owner

    cdef void consume(self, DynInst* di) noexcept nogil
    cdef int64_t _ssid(self, uint64_t pc, int64_t t) noexcept nogil
    cdef void _train(self, uint64_t load_pc, uint64_t store_pc, int64_t t) noexcept nogil
    cdef int64_t _take_port(self, uint8_t u, int64_t t, uint8_t* port) noexcept nogil
    cdef uint32_t _data_access(self, uint64_t pc, uint64_t addr, uint32_t size, uint8_t kind,
                               int64_t start, uint8_t* lvl) noexcept nogil
