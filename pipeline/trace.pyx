"""NumPy views of the in-order core's trace records (see trace.pxd).

`PIPE_DTYPE` and `MEM_DTYPE` carry the C structs' exact offsets and sizes, so a buffer
of records is a structured array without copying.
"""
import numpy as np

from pipeline.trace cimport MemRecord, PipeRecord

CAUSE_NAMES = ("base", "branch_mispredict", "icache_l1", "icache_l2", "icache_l3",
               "icache_mem", "dcache_l1", "dcache_l2", "dcache_l3", "dcache_mem",
               "data_hazard", "structural", "other", "itlb", "dtlb")
CAUSE_NONE_CODE = CAUSE_NONE
assert len(CAUSE_NAMES) == PART_COUNT

_PIPE_FIELDS = ("seq", "pc", "mem_addr", "if_cycle", "id_cycle", "ex_cycle", "mem_cycle",
                "wb_cycle", "raw", "op", "opclass", "cause", "served_by", "fetch_served_by",
                "mispredicted")
_MEM_FIELDS = ("cycle", "seq", "pc", "addr", "latency", "size", "kind", "level")


def _pipe_dtype():
    cdef PipeRecord r
    cdef size_t b = <size_t> &r
    offsets = [<size_t> &r.seq - b, <size_t> &r.pc - b, <size_t> &r.mem_addr - b,
               <size_t> &r.if_cycle - b, <size_t> &r.id_cycle - b, <size_t> &r.ex_cycle - b,
               <size_t> &r.mem_cycle - b, <size_t> &r.wb_cycle - b, <size_t> &r.raw - b,
               <size_t> &r.op - b, <size_t> &r.opclass - b, <size_t> &r.cause - b,
               <size_t> &r.served_by - b, <size_t> &r.fetch_served_by - b,
               <size_t> &r.mispredicted - b]
    formats = ["<u8", "<u8", "<u8", "<i8", "<i8", "<i8", "<i8", "<i8", "<u4", "<u2",
               "u1", "u1", "u1", "u1", "u1"]
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
