# Main memory levels: a flat fixed latency, and DRAM with channels, ranks, bank groups,
# banks, a data bus per channel, a request queue per channel and refresh.
cimport cython
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from caches.base cimport MemoryLevel
from caches.occupancy cimport Occupancy

cdef class FixedMemory(MemoryLevel):
    cdef readonly uint32_t latency        # cycles, every access
    cdef uint64_t n_access, n_read, n_write, n_latency

# Timing parameters in core cycles (caches/build.py converts the configured times).
cdef struct DramTiming:
    int64_t tRCD, tCL, tCWL, tRP, tRAS, tWR, tRTP   # bank: activate, read, write, precharge
    int64_t tRRD_S, tRRD_L, tFAW                    # rank: activate spacing / window
    int64_t tCCD_S, tCCD_L                          # column command spacing (other/same group)
    int64_t tBURST                                  # data bus time of one line
    int64_t tREFI, tRFC                             # refresh interval / duration (0: none)
    int64_t controller                              # controller + interconnect, each access

# Booked events of one shared resource, sorted: ev[lo : lo + n] (at most WINDOW), and the
# cycle before which nothing may go (the end of the events it forgot).
cdef struct Timeline:
    int64_t* ev
    int64_t lo, n, floor

@cython.final                             # not subclassed: direct calls to its methods
cdef class Dram(MemoryLevel):
    cdef readonly uint32_t channels, ranks, bank_groups, banks   # banks: per rank
    cdef readonly uint64_t row_size       # bytes in one row of one bank (the row buffer)
    cdef readonly uint32_t line_size      # bytes per access (the line size of the level above)
    cdef readonly uint32_t queue_size     # request queue entries per channel
    cdef readonly str mapping             # address mapping name (caches/config.DRAM_MAPPINGS)
    cdef readonly str page_policy         # "open" or "closed"
    cdef readonly str scheduler           # "frfcfs" or "fcfs"
    cdef readonly double frequency        # core clock in Hz (for GB/s), 0 = unknown
    cdef DramTiming t
    cdef bint closed_page, fcfs, bank_xor
    cdef int field_shift[5]               # per field (row, rank, bank, channel, column):
    cdef uint64_t field_mask[5]           # bits of the line address (row: all that remain)
    cdef int line_shift
    # per bank (index (channel * ranks + rank) * banks + bank)
    cdef int64_t* open_row                # open row, -1 = precharged
    cdef int64_t* opened_at               # cycle of the ACT that opened it
    cdef int64_t* act_ok                  # earliest next ACT (tRP after the last PRE)
    cdef int64_t* pre_ok                  # earliest PRE (tRAS, tRTP, tWR)
    cdef int64_t* col_ok                  # earliest column command (ACT + tRCD)
    # per rank (channel * ranks + rank)
    cdef int64_t* ref_offset              # rank's refresh phase (staggered over ranks)
    cdef int64_t* queue_free              # per channel, queue_size entries: cycle each frees
    cdef int64_t* chan_last_cmd           # per channel (fcfs): last command of the last request
    # shared by several cores (docs/engine.md, "Cycle order at the shared levels"): the
    # request queues are occupancy timelines ([enqueue, column command) per request)
    cdef readonly bint cycle_ordered
    cdef Occupancy* queue_tl              # per channel
    # ... and each bank remembers its last column commands (cycle, row) and the latest
    # enqueue cycle booked: a request enqueued before that came out of cycle order and
    # finds the row the bank had at its own cycle
    cdef int64_t* latest_start            # per bank
    cdef int64_t* latest_col              # per bank: the latest column command booked
    cdef int64_t* hist_col                # per bank, BANK_HISTORY entries (a ring)
    cdef int64_t* hist_row
    cdef uint32_t* hist_next              # per bank: the ring's next slot
    # the timelines (one calloc), viewed per kind
    cdef Timeline* timelines
    cdef size_t n_timelines
    cdef Timeline* rank_act_tl            # per rank: ACTs (tRRD_S, tFAW)
    cdef Timeline* rank_col_tl            # per rank: column commands (tCCD_S)
    cdef Timeline* group_act_tl           # per bank group (rank * bank_groups + group): ACTs
    cdef Timeline* group_col_tl           # per bank group: column commands (tCCD_L)
    cdef Timeline* bus_tl                 # per channel: data bursts (tBURST)
    # statistics
    cdef uint64_t n_access, n_read, n_write
    cdef uint64_t n_row_hit, n_row_miss, n_row_conflict
    cdef uint64_t n_latency, n_read_latency, n_write_latency
    cdef uint64_t n_wait, n_bus_wait, n_queue_wait, n_queue_full, n_queue_time
    cdef uint64_t n_refresh_hit, n_refresh_wait
    cdef int64_t first_arrival, last_done
    cdef uint64_t* read_hist              # HIST_BINS one-cycle bins, the last = overflow
    cdef uint64_t* write_hist
    cdef uint64_t max_read, max_write

    cdef void locate_c(self, uint64_t addr, uint32_t* ch, uint32_t* rank, uint32_t* bank,
                       int64_t* row) noexcept nogil
    cdef int64_t refreshes_by(self, uint32_t r, int64_t t) noexcept nogil
    cdef int64_t refresh_after(self, uint32_t r, int64_t t) noexcept nogil
    cdef int64_t act_slot(self, uint32_t r, uint32_t g, int64_t a) noexcept nogil
    cdef void bank_before(self, uint32_t b, int64_t t, int64_t* col, int64_t* row) noexcept nogil
