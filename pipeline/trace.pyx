"""NumPy views of the trace records every core model writes (see trace.pxd), and the
buffer handling of the one recorder there.

`PIPE_DTYPE` and `MEM_DTYPE` carry the C structs' exact offsets and sizes, so a buffer
of records is a structured array without copying.
"""
import numpy as np

from libc.stdint cimport uint64_t

from pipeline.trace cimport MAX_ACCESSES, MemRecord, PipeRecord, TraceState

CAUSE_NAMES = ("base", "branch_mispredict", "icache_l1", "icache_l2", "icache_l3",
               "icache_mem", "dcache_l1", "dcache_l2", "dcache_l3", "dcache_mem",
               "data_hazard", "structural", "other", "itlb", "dtlb")
CAUSE_NONE_CODE = CAUSE_NONE
assert len(CAUSE_NAMES) == PART_COUNT
# The commit-slot parts of the wide cores (OP_* in trace.pxd), in that order.
SLOT_PART_NAMES = ("retiring", "frontend_icache_l1", "frontend_icache_l2", "frontend_icache_l3",
                   "frontend_icache_mem", "frontend_bandwidth", "bad_speculation",
                   "backend_memory_l1", "backend_memory_l2", "backend_memory_l3",
                   "backend_memory_mem", "backend_core_dependence", "backend_core_units",
                   "backend_core_rob_full", "backend_core_iq_full", "backend_core_lsq_full",
                   "backend_core_regs_full", "backend_core_serialise",
                   "backend_core_memory_order", "bad_speculation_memory_order",
                   "frontend_itlb", "backend_memory_dtlb")
assert len(SLOT_PART_NAMES) == OP_COUNT


def cycles_from_slots(slots, width, cycles):
    """The CPI stack in whole cycles from commit slots ({part: slots}, summing to
    width x cycles): each part's slots / width, rounded by largest remainder (ties to
    the earlier part) so that the parts sum exactly to the cycles."""
    w = int(width)
    order = list(slots)
    whole = {k: v // w for k, v in slots.items()}
    left = int(cycles) - sum(whole.values())
    for k in sorted(order, key=lambda k: (-(slots[k] % w), order.index(k)))[:max(left, 0)]:
        whole[k] += 1
    return whole

_PIPE_FIELDS = ("seq", "pc", "mem_addr", "if_cycle", "id_cycle", "ex_cycle", "mem_cycle",
                "wb_cycle", "raw", "op", "opclass", "cause", "served_by", "fetch_served_by",
                "mispredicted", "slot_part")
_MEM_FIELDS = ("cycle", "seq", "pc", "addr", "latency", "size", "kind", "level")


def _pipe_dtype():
    cdef PipeRecord r
    cdef size_t b = <size_t> &r
    offsets = [<size_t> &r.seq - b, <size_t> &r.pc - b, <size_t> &r.mem_addr - b,
               <size_t> &r.if_cycle - b, <size_t> &r.id_cycle - b, <size_t> &r.ex_cycle - b,
               <size_t> &r.mem_cycle - b, <size_t> &r.wb_cycle - b, <size_t> &r.raw - b,
               <size_t> &r.op - b, <size_t> &r.opclass - b, <size_t> &r.cause - b,
               <size_t> &r.served_by - b, <size_t> &r.fetch_served_by - b,
               <size_t> &r.mispredicted - b, <size_t> &r.slot_part - b]
    formats = ["<u8", "<u8", "<u8", "<i8", "<i8", "<i8", "<i8", "<i8", "<u4", "<u2",
               "u1", "u1", "u1", "u1", "u1", "u1"]
    return np.dtype({"names": list(_PIPE_FIELDS), "formats": formats, "offsets": offsets,
                     "itemsize": sizeof(PipeRecord)})


def _mem_dtype():
    cdef MemRecord r
    cdef size_t b = <size_t> &r
    offsets = [<size_t> &r.cycle - b, <size_t> &r.seq - b, <size_t> &r.pc - b,
               <size_t> &r.addr - b, <size_t> &r.latency - b, <size_t> &r.size - b,
               <size_t> &r.kind - b, <size_t> &r.level - b]
    formats = ["<i8", "<u8", "<u8", "<u8", "<u4", "<u2", "u1", "u1"]
    return np.dtype({"names": list(_MEM_FIELDS), "formats": formats, "offsets": offsets,
                     "itemsize": sizeof(MemRecord)})


PIPE_DTYPE = _pipe_dtype()
MEM_DTYPE = _mem_dtype()


cdef tuple trace_start(TraceState* t, first_seq, count, pipeline, memory, capacity,
                       rec_dtype, int per_inst):
    """Open a window of `count` instructions from retirement number `first_seq`: NumPy
    buffers for the pipeline records (of `rec_dtype`, a PipeRecord first) and for
    `per_inst` (at most MAX_ACCESSES) memory records per instruction, the most the model
    makes. With `capacity` (instructions) the
    buffers hold only that many and the engine drains them before they fill (a window
    streamed to disk); records past a full buffer are dropped. Returns the two owners."""
    if count < 0 or first_seq < 0:
        raise ValueError("trace window first_seq and count must not be negative.")
    held = count if capacity is None else min(count, int(capacity))
    recs = np.zeros(held if pipeline else 0, rec_dtype)
    per_inst = min(max(per_inst, 1), MAX_ACCESSES)
    mems = np.zeros(per_inst * held if memory else 0, MEM_DTYPE)
    t.first = first_seq
    t.count = count
    t.pipe = bool(pipeline)
    t.mem = bool(memory)
    t.rec = <char*> <size_t> recs.ctypes.data
    t.stride = rec_dtype.itemsize
    t.mrec = <MemRecord*> <size_t> mems.ctypes.data
    t.n_rec = 0
    t.n_mem = 0
    t.cap_rec = held if pipeline else 0
    t.cap_mem = per_inst * held if memory else 0
    t.per_inst = per_inst
    t.n_acc = 0
    t.on = bool(pipeline or memory) and count > 0
    return recs, mems


cdef void trace_empty(TraceState* t) noexcept:
    """The records were taken (drain_traces): the buffers fill again from the start."""
    t.n_rec = 0
    t.n_mem = 0


cdef object trace_room(TraceState* t):
    """Instructions that can still be recorded before a buffer is full."""
    room = (1 << 62)
    if t.pipe:
        room = min(room, t.cap_rec - t.n_rec)
    if t.mem:
        room = min(room, (t.cap_mem - t.n_mem) // t.per_inst)
    return room
