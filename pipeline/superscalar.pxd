# The superscalar (width 1..3) in-order pipeline with fetch/decode depth, issue pairing
# rules and a late ALU. Timing rules: docs/pipeline.md, "Superscalar in-order" (rules S1..).
from libc.stdint cimport int64_t, int8_t, uint8_t, uint64_t

from pipeline.inorder cimport InOrderCore
from pipeline.trace cimport OP_COUNT, PART_COUNT
from pipeline.types cimport OC_COUNT, DynInst

cdef enum:
    MAX_WIDTH = 3
    MAX_DEPTH = 4          # fetch_stages and decode_stages are 1..4
    MAX_SUB = 12           # sub-stages: F1..Fnf D1..Dnd EX MEM WB (at most 11)
    RING = 4               # per sub-stage entry cycles of the last RING instructions (> width)
    N_ISSUE_CLASSES = 6    # alu, mem, branch, muldiv, fp, system (pairing classes)
    N_GROUP_STATES = 84    # multisets of at most 3 issue classes

cdef class SuperscalarCore(InOrderCore):
    cdef int width, n_sub, nf, nd     # issue width; sub-stages; fetch and decode depths
    cdef int sx, sm, sw               # sub-stage index of EX, MEM, WB
    cdef bint late_alu                # ALU ops and branches may execute in the late stage
    cdef int late_delay               # cycles from EX entry to the late ALU stage
    cdef uint8_t issue_class[OC_COUNT]
    cdef int8_t group_next[N_GROUP_STATES][N_ISSUE_CLASSES]   # -1: cannot join the group
    cdef int8_t group_start[N_ISSUE_CLASSES]
    cdef int64_t hist[MAX_SUB][RING]  # entry cycle of sub-stage s of instruction n - k
    cdef int64_t known_at[64]         # S7: cycle a register's result time is decided
    cdef uint64_t n_seen              # instructions consumed (ring position)
    cdef int64_t group_cycle          # EX entry cycle of the current issue group
    cdef int group_state, group_size
    cdef uint64_t late_ops, pair_stalls
    cdef uint64_t issue_groups[MAX_WIDTH + 1]   # cycles in which k instructions entered EX
    # S9 commit slots (top-down; OP_* parts of trace.pxd): width per cycle
    cdef uint64_t slots[OP_COUNT]
    cdef int64_t used_slots           # slots used in the cycle of the last commit
    cdef uint8_t last_slot_part       # part of the last empty slots (the open cycle's rest)
    cdef uint8_t fetch_slot_part      # part the fetch bound (fetch_ready) is charged to
    cdef uint8_t slot_part[PART_COUNT]    # R14 cause -> slot part
    cdef void consume(self, DynInst* di) noexcept nogil
