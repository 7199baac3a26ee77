# Branch prediction structures of the in-order core: direction predictors (plug-ins by
# name, one interface), the branch target buffer and the return address stack.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef class DirectionPredictor:
    # Predict the direction of the conditional branch at `pc` whose taken target is
    # `target` (btfn needs it), then learn the outcome. Called once each per branch.
    cdef bint predict(self, uint64_t pc, uint64_t target) noexcept nogil
    cdef void update(self, uint64_t pc, bint taken, uint64_t target) noexcept nogil

cdef class IndirectPredictor:
    # Target of an indirect jump (jalr that is not a return) at `pc`: predict() at fetch
    # (False: no prediction), update() with the real target when it resolves; branch()
    # sees every conditional outcome, for predictors that index with global history.
    # bpred.indirect = "btb" uses no object: the core keeps its BTB lookup.
    cdef bint predict(self, uint64_t pc, uint64_t* target) noexcept nogil
    cdef void update(self, uint64_t pc, uint64_t target) noexcept nogil
    cdef void branch(self, bint taken) noexcept nogil

cdef class StaticNotTaken(DirectionPredictor):
    pass

cdef class BackwardTaken(DirectionPredictor):
    pass

cdef class Bimodal(DirectionPredictor):
    cdef uint8_t* counters       # 2-bit saturating counters, indexed by pc
    cdef uint64_t mask           # table_entries - 1
    cdef object _owner           # numpy array that owns `counters`

cdef class GShare(DirectionPredictor):
    cdef uint8_t* counters       # 2-bit counters, indexed by pc XOR global history
    cdef uint64_t mask           # table_entries - 1
    cdef uint64_t history        # global history of conditional outcomes, newest in bit 0
    cdef uint64_t history_mask   # (1 << history_bits) - 1
    cdef object _owner

cdef class Tournament(DirectionPredictor):
    cdef uint8_t* local          # bimodal component
    cdef uint8_t* glob           # gshare component
    cdef uint8_t* chooser        # 2-bit: >= 2 trusts gshare, indexed by pc
    cdef uint64_t mask           # table_entries - 1 (both components)
    cdef uint64_t chooser_mask   # chooser_entries - 1
    cdef uint64_t history
    cdef uint64_t history_mask
    cdef object _owner

cdef class BTB:
    cdef uint64_t* tags          # pc >> 1, plus 1 so that 0 marks an empty way
    cdef uint64_t* targets       # predicted target per way
    cdef uint64_t* stamps        # last-use time per way (LRU)
    cdef uint64_t clock          # use counter for the stamps
    cdef uint32_t sets, assoc
    cdef object _owner
    cdef bint lookup(self, uint64_t pc, uint64_t* target) noexcept nogil
    cdef void insert(self, uint64_t pc, uint64_t target) noexcept nogil

cdef class RAS:
    cdef uint64_t* stack         # circular: an overflowing push overwrites the oldest entry
    cdef uint32_t depth, top, count
    cdef object _owner
    cdef void push(self, uint64_t addr) noexcept nogil
    cdef bint pop(self, uint64_t* addr) noexcept nogil   # False when empty


cdef inline bint indirect_mispredicted(IndirectPredictor p, uint64_t pc,
                                       uint64_t target) noexcept nogil:
    """Predict the indirect jump at `pc` from `p`, then train it with the real `target`;
    True when the prediction was missing or wrong (the core charges a redirect)."""
    cdef uint64_t predicted = 0
    cdef bint hit = p.predict(pc, &predicted)
    p.update(pc, target)
    return not hit or predicted != target
