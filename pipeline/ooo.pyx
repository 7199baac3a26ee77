"""The out-of-order core, instruction-driven.

For every retired instruction consume() computes, in program order and in O(window) at
worst, the cycle it is fetched, dispatched, issued, done and committed, from the rules
O1..O21 of docs/pipeline-ooo.md (quoted below), per-resource rings of release cycles
(ROB, LQ, SQ, rename registers, fetch buffer), sorted rings of the issue queues' latest
release cycles, a per-cycle calendar of issue ports and register ready times. No loop runs over
idle cycles: the port search only steps over cycles whose ports are taken.

Why program order is exact: every rule gives an instruction's times from OLDER
instructions only (issue select is oldest first, unpipelined units serve their kind in
program order, queues are freed by older instructions), so when instruction i is
computed, everything that can delay it is already known.
"""
import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

from caches.base cimport MemoryLevel
from caches.tlb cimport Translator
from pipeline.bpred cimport BTB, RAS, DirectionPredictor, indirect_mispredicted
# the CPI-level helper every core model shares (inline, no call)
from pipeline.inorder cimport _level_part
from pipeline.model cimport TimingModel
from pipeline.trace cimport (PipeRecord, trace_empty, trace_note, trace_record, trace_room,
                            trace_start)
from pipeline.types cimport (ACC_AMO, ACC_IFETCH, ACC_LOAD, ACC_STORE, CB_PREFETCH_I, CB_ZERO,
                             DI_PREFETCH, OC_ALU, OC_AMO, OC_BRANCH,
                             OC_CBO, OC_CLMUL, OC_COUNT, OC_DIV, OC_FADD, OC_FCVT, OC_FDIV,
                             OC_FMA, OC_FMUL, OC_FSQRT, OC_JAL, OC_JALR, OC_LOAD, OC_MUL,
                             OC_NOP, OC_POPCOUNT, OC_STORE, OC_SYSTEM, REG_NONE, DynInst)

from cyclesim.errors import ConfigError
from pipeline.bpred import BTB as _BTB, RAS as _RAS, make_predictor
from pipeline.trace import MEM_DTYPE, PIPE_DTYPE, SLOT_PART_NAMES as PART_NAMES, cycles_from_slots

# The model's stages, in the order an instruction passes them (trace columns).
STAGE_NAMES = ("fetch", "dispatch", "issue", "done", "commit")
UNIT_NAMES = ("alu", "branch", "mul", "div", "load", "store", "fpu", "fdiv")
OPCLASS_NAMES = ("alu", "branch", "jal", "jalr", "load", "store", "amo", "mul", "div",
                 "fadd", "fmul", "fma", "fdiv", "fsqrt", "fcvt", "system", "nop",
                 "popcount", "clmul", "cbo")
assert len(OPCLASS_NAMES) == OC_COUNT
# The shared trace's cause column speaks the in-order CPI parts (pipeline/trace.pyx):
# each commit-slot part maps to the nearest one (255 = no stall stays 255).
_INORDER_CAUSE = np.full(256, 255, np.uint8)
_INORDER_CAUSE[:OP_COUNT] = (0, 2, 3, 4, 5, 12, 1, 6, 7, 8, 9, 10, 11, 11, 11, 11, 11, 11, 11,
                             1, 13, 14)
_QUEUE_OF_UNIT = (Q_INT, Q_INT, Q_INT, Q_INT, Q_MEM, Q_MEM, Q_FP, Q_FP)

_REC_FIELDS = ("seq", "pc", "next_pc", "mem_addr", "fetch", "dispatch", "issue", "done",
               "commit", "raw", "fetch_stall", "mem_latency", "op", "opclass", "rd", "rs1",
               "rs2", "rs3", "mem_size", "length", "taken", "redirect", "port", "forwarded",
               "replayed", "cause", "served_by", "fetch_served_by", "violations")


def _rec_dtype():
    cdef OooRecord r
    cdef size_t b = <size_t> &r
    offs = [<size_t> &r.head.seq - b, <size_t> &r.head.pc - b, <size_t> &r.next_pc - b,
            <size_t> &r.head.mem_addr - b, <size_t> &r.head.if_cycle - b,
            <size_t> &r.head.id_cycle - b, <size_t> &r.head.ex_cycle - b,
            <size_t> &r.head.mem_cycle - b, <size_t> &r.head.wb_cycle - b,
            <size_t> &r.head.raw - b, <size_t> &r.fetch_stall - b, <size_t> &r.mem_latency - b,
            <size_t> &r.head.op - b, <size_t> &r.head.opclass - b, <size_t> &r.rd - b,
            <size_t> &r.rs1 - b, <size_t> &r.rs2 - b, <size_t> &r.rs3 - b,
            <size_t> &r.mem_size - b, <size_t> &r.length - b, <size_t> &r.taken - b,
            <size_t> &r.redirect - b, <size_t> &r.port - b, <size_t> &r.forwarded - b,
            <size_t> &r.replayed - b, <size_t> &r.head.cause - b, <size_t> &r.head.served_by - b,
            <size_t> &r.head.fetch_served_by - b, <size_t> &r.violations - b]
    fmts = ["<u8"] * 4 + ["<i8"] * 5 + ["<u4"] * 3 + ["<u2"] + ["u1"] * 16
    return np.dtype({"names": list(_REC_FIELDS), "formats": fmts, "offsets": offs,
                     "itemsize": sizeof(OooRecord)})


OOO_DTYPE = _rec_dtype()


cdef inline uint8_t _tlb_slots(uint64_t* slots, uint8_t part, int64_t empty,
                               int64_t tlb) noexcept nogil:
    """O20a: `empty` slots went to `part`; when that is a memory part (I-cache or back-end
    memory) whose access missed in the L1 TLB, the slots of the translation's cycles
    (`tlb` = commit_width x its cycles after the L1 TLB missed, at most `empty`) move to
    frontend_itlb / backend_memory_dtlb. Returns the part the trace record names: the
    TLB's when it took them all."""
    cdef uint8_t to
    if part >= OP_FE_ICACHE_L1 and part <= OP_FE_ICACHE_MEM:
        to = OP_FE_ITLB
    elif part >= OP_BE_MEM_L1 and part <= OP_BE_MEM_MEM:
        to = OP_BE_DTLB
    else:
        return part
    if tlb > empty:
        tlb = empty
    slots[part] -= <uint64_t> tlb
    slots[to] += <uint64_t> tlb
    return to if tlb == empty else part


cdef inline uint8_t _QUEUE_OF_UNIT_C(uint8_t u) noexcept nogil:
    if u == U_LOAD or u == U_STORE:
        return Q_MEM
    if u == U_FPU or u == U_FDIV:
        return Q_FP
    return Q_INT


cdef inline void _keep_latest(int64_t* r, int64_t* head, int64_t* count, int64_t mask,
                              int64_t cap, int64_t v) noexcept nogil:
    """Keep the `cap` largest values pushed so far, sorted ascending in the ring r from
    r[head] (the smallest kept). Release cycles come nearly in increasing order, so the
    insertion usually stops at once: O(1) where a heap would sift every time."""
    cdef int64_t h = head[0], n = count[0], i
    if n >= cap:
        if v <= r[h & mask]:
            return
        h += 1                       # drop the smallest
        head[0] = h & mask
        h &= mask
        n -= 1
    else:
        count[0] = n + 1
    i = h + n                        # slot after the largest
    while i > h and r[(i - 1) & mask] > v:
        r[i & mask] = r[(i - 1) & mask]
        i -= 1
    r[i & mask] = v


def _parse_ports(spec):
    """'alu+branch, alu+mul' -> [{units}, ...] (one set of unit kinds per port)."""
    ports = []
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        units = set()
        for u in part.split("+"):
            u = u.strip().lower()
            if u not in UNIT_NAMES:
                raise ConfigError(f"issue port {part!r}: unknown unit {u!r}; units are "
                                  f"{', '.join(UNIT_NAMES)}.")
            units.add(UNIT_NAMES.index(u))
        ports.append(units)
    return ports


cdef class OutOfOrderCore(TimingModel):
    """Out-of-order core (docs/pipeline-ooo.md). l1i, l1d: the L1 MemoryLevels; predictor,
    btb, ras: the branch prediction structures (pipeline/bpred.pxd). Keyword arguments are
    the OooParams fields (pipeline/models/ooo.py) plus the caches' line sizes and the L1I
    hit latency."""
    # The model's stages, declared once (the five cycles of OooRecord): trace frames,
    # plots and exports take them from here. W: done, the result written back.
    stage_names = STAGE_NAMES
    stage_letters = ("F", "D", "I", "W", "C")

    def __init__(self, MemoryLevel l1i not None, MemoryLevel l1d not None,
                 DirectionPredictor predictor=None, BTB btb=None, RAS ras=None, params=None,
                 *, fetch_line_size=64, data_line_size=64, l1i_hit_latency=1):
        from pipeline.models.ooo import OooParams
        if params is None:
            params = OooParams()
        params.validate()
        p = params
        fetch_width, fetch_buffer_entries = p.fetch_width, p.fetch_buffer_entries
        frontend_depth, decode_width, commit_width = p.frontend_depth, p.decode_width, p.commit_width
        rob_entries, lq_entries, sq_entries = p.rob_entries, p.lq_entries, p.sq_entries
        int_phys_regs, fp_phys_regs = p.int_phys_regs, p.fp_phys_regs
        int_iq_entries, mem_iq_entries, fp_iq_entries = p.int_iq_entries, p.mem_iq_entries, p.fp_iq_entries
        int_ports, mem_ports, fp_ports = p.int_ports, p.mem_ports, p.fp_ports
        redirect_penalty, store_forward_latency = p.redirect_penalty, p.store_forward_latency
        mul_latency, div_latency, div_pipelined = p.mul_latency, p.div_latency, p.div_pipelined
        fadd_latency, fmul_latency, fma_latency = p.fadd_latency, p.fmul_latency, p.fma_latency
        fdiv_latency, fsqrt_latency, fcvt_latency = p.fdiv_latency, p.fsqrt_latency, p.fcvt_latency
        popcount_latency, clmul_latency = p.popcount_latency, p.clmul_latency
        self.l1i = l1i
        self.l1d = l1d
        self.dirpred = predictor if predictor is not None else make_predictor("gshare")
        self.btb = btb if btb is not None else _BTB(512, 4)
        self.ras = ras if ras is not None else _RAS(8)
        self.fetch_width = fetch_width
        self.fetch_buffer = fetch_buffer_entries
        self.frontend_depth = frontend_depth
        self.decode_width = decode_width
        self.commit_width = commit_width
        self.rob_entries = rob_entries
        self.lq_entries = lq_entries
        self.sq_entries = sq_entries
        self.int_rename = int_phys_regs - 32
        self.fp_rename = fp_phys_regs - 32
        self.redirect_penalty = redirect_penalty
        self.forward_latency = store_forward_latency
        self.mem_dep = {"wait": MD_WAIT, "store_sets": MD_STORE_SETS,
                        "speculate": MD_SPECULATE}[p.memory_dependence]
        self.violation_penalty = p.violation_penalty
        self.ssit_mask = p.ssit_entries - 1
        self.lfst_mask = p.lfst_entries - 1
        self.clear_cycles = p.store_set_clear_cycles
        self.iq_entries[Q_INT] = int_iq_entries
        self.iq_entries[Q_MEM] = mem_iq_entries
        self.iq_entries[Q_FP] = fp_iq_entries
        cdef int i, k, q
        # unit kind and latency per op class (O17)
        units = {<int> OC_ALU: U_ALU, <int> OC_BRANCH: U_BRANCH, <int> OC_JAL: U_BRANCH,
                 <int> OC_JALR: U_BRANCH, <int> OC_LOAD: U_LOAD, <int> OC_STORE: U_STORE,
                 <int> OC_AMO: U_LOAD, <int> OC_MUL: U_MUL, <int> OC_DIV: U_DIV,
                 <int> OC_FADD: U_FPU, <int> OC_FMUL: U_FPU, <int> OC_FMA: U_FPU,
                 <int> OC_FDIV: U_FDIV, <int> OC_FSQRT: U_FDIV, <int> OC_FCVT: U_FPU,
                 <int> OC_SYSTEM: U_ALU, <int> OC_NOP: U_ALU,
                 # O17: cpop and clmul on the multiplier's port (pipelined); O21: a cbo.*
                 # is a store (a prefetch.* is sent to the load unit in consume)
                 <int> OC_POPCOUNT: U_MUL, <int> OC_CLMUL: U_MUL, <int> OC_CBO: U_STORE}
        lats = {<int> OC_MUL: ("mul_latency", mul_latency),
                <int> OC_DIV: ("div_latency", div_latency),
                <int> OC_FADD: ("fadd_latency", fadd_latency),
                <int> OC_FMUL: ("fmul_latency", fmul_latency),
                <int> OC_FMA: ("fma_latency", fma_latency),
                <int> OC_FDIV: ("fdiv_latency", fdiv_latency),
                <int> OC_FSQRT: ("fsqrt_latency", fsqrt_latency),
                <int> OC_FCVT: ("fcvt_latency", fcvt_latency),
                <int> OC_POPCOUNT: ("popcount_latency", popcount_latency),
                <int> OC_CLMUL: ("clmul_latency", clmul_latency)}
        for i in range(OC_COUNT):
            self.unit_of[i] = units[i]
            self.latency[i] = 1
        for oc, (name, v) in lats.items():
            self.latency[oc] = int(v)
        for i in range(N_UNITS):
            self.pipelined[i] = True
        self.pipelined[U_DIV] = bool(div_pipelined)
        self.pipelined[U_FDIV] = bool(div_pipelined)
        # issue ports (O14): each queue's ports, numbered int, then mem, then fp
        ports = []
        for q, (name, spec) in enumerate((("int_ports", int_ports), ("mem_ports", mem_ports),
                                          ("fp_ports", fp_ports))):
            ports += _parse_ports(spec)    # which units a queue may feed: OooParams.validate
        if len(ports) > MAX_PORTS:
            raise ConfigError(f"at most {MAX_PORTS} issue ports in all ({len(ports)} given).")
        self.n_ports = len(ports)
        for i in range(N_UNITS):
            self.n_port_list[i] = 0
        for k, units_of_port in enumerate(ports):
            for i in sorted(units_of_port):
                self.port_list[i][self.n_port_list[i]] = k
                self.n_port_list[i] += 1
        for name, v in (("fetch line size", fetch_line_size), ("data line size", data_line_size)):
            if v < 2 or v & (v - 1):
                raise ConfigError(f"{name} {v!r} must be a power of two of at least 2 bytes.")
        self.line_shift = int(fetch_line_size).bit_length() - 1
        self.dline_shift = int(data_line_size).bit_length() - 1
        self.l1i_hit = max(1, int(l1i_hit_latency))
        self.itlb_on = isinstance(l1i, Translator)
        self.dtlb_on = isinstance(l1d, Translator)
        self.d_tlb_miss = 0
        # buffers
        ring = 1
        while ring < max(rob_entries, fetch_buffer_entries, fetch_width, decode_width,
                         commit_width) + 1:
            ring *= 2
        self.ring_mask = ring - 1
        own = {}

        def buf(name, n, dt, fill):
            a = np.full(max(int(n), 1), fill, dt)
            own[name] = a
            return a.ctypes.data

        self.r_fetch = <int64_t*> <size_t> buf("f", ring, np.int64, -1)
        self.r_dispatch = <int64_t*> <size_t> buf("d", ring, np.int64, -1)
        self.r_commit = <int64_t*> <size_t> buf("c", ring, np.int64, -1)
        self.r_dcause = <uint8_t*> <size_t> buf("dc", ring, np.uint8, OP_FE_BANDWIDTH)
        self.lq_commit = <int64_t*> <size_t> buf("lq", lq_entries, np.int64, -1)
        self.sq_commit = <int64_t*> <size_t> buf("sq", sq_entries, np.int64, -1)
        self.sq_addr = <uint64_t*> <size_t> buf("sqa", sq_entries, np.uint64, 0)
        self.sq_size = <uint32_t*> <size_t> buf("sqs", sq_entries, np.uint32, 0)
        self.sq_data = <int64_t*> <size_t> buf("sqd", sq_entries, np.int64, -1)
        self.sq_issue = <int64_t*> <size_t> buf("sqi", sq_entries, np.int64, -1)
        self.sq_pc = <uint64_t*> <size_t> buf("sqp", sq_entries, np.uint64, 0)
        self.ssit_id = <int32_t*> <size_t> buf("ssit", p.ssit_entries, np.int32, -1)
        self.ssit_epoch = <int64_t*> <size_t> buf("sste", p.ssit_entries, np.int64, -1)
        self.lfst_issue = <int64_t*> <size_t> buf("lfst", p.lfst_entries, np.int64, -1)
        self.int_free = <int64_t*> <size_t> buf("ir", self.int_rename, np.int64, -1)
        self.fp_free = <int64_t*> <size_t> buf("fr", self.fp_rename, np.int64, -1)
        for q in range(N_QUEUES):
            size = 1
            while size < self.iq_entries[q]:
                size *= 2
            self.iq_ring[q] = <int64_t*> <size_t> buf(f"q{q}", size, np.int64, 0)
            self.iq_mask[q] = size - 1
            self.iq_head[q] = 0
            self.iq_count[q] = 0
        self.cal_tag = <int64_t*> <size_t> buf("ct", CAL_SIZE, np.int64, -1)
        self.cal_used = <uint32_t*> <size_t> buf("cu", CAL_SIZE, np.uint32, 0)
        self._owners = own
        for k in range(MAX_PORTS):
            for i in range(N_UNITS):
                self.unit_free[k][i] = 0
        for i in range(N_UNITS):
            self.unp_last[i] = 0
        self.n = self.n_loads = self.n_stores = self.n_int_w = self.n_fp_w = 0
        self.lq_head = self.sq_head = self.int_head = self.fp_head = 0
        for i in range(64):
            self.reg_ready[i] = 0
            self.reg_cause[i] = OP_BE_DEPENDENCE
            self.reg_tlb[i] = 0
        self.fetch_ready = 0
        self.fetch_cause = OP_FE_BANDWIDTH
        self.last_fcause = OP_FE_BANDWIDTH
        self.last_dcause = OP_FE_BANDWIDTH
        self.fetch_line_valid = False
        self.max_store_issue = -1
        self.serial_until = 0
        self.cur_commit = -1
        self.used_slots = commit_width      # a virtual full cycle -1 before the first
        self.last_cause = OP_FE_BANDWIDTH
        self.base_cycle = 0
        self.tr.on = False
        self.refetching = False
        self._zero_counters()

    cdef int64_t _ssid(self, uint64_t pc, int64_t t) noexcept nogil:
        """O16s: the store-set id the SSIT gives `pc` in cycle t, or -1. An entry written
        in another clear period than t's has been cleared (store_set_clear_cycles)."""
        cdef int64_t i = <int64_t> ((pc >> 1) & <uint64_t> self.ssit_mask)
        if self.ssit_id[i] < 0:
            return -1
        if self.clear_cycles and self.ssit_epoch[i] != t // self.clear_cycles:
            return -1
        return self.ssit_id[i]

    cdef void _train(self, uint64_t load_pc, uint64_t store_pc, int64_t t) noexcept nogil:
        """O22: a violation taken in cycle t puts the load and the store in one store set
        (Chrysos & Emer): a new set named after the load's SSIT index if neither has one,
        the other's set if one has, the smaller id if both have."""
        cdef int64_t li = <int64_t> ((load_pc >> 1) & <uint64_t> self.ssit_mask)
        cdef int64_t si = <int64_t> ((store_pc >> 1) & <uint64_t> self.ssit_mask)
        cdef int64_t ls = self._ssid(load_pc, t), ss = self._ssid(store_pc, t), e
        if ls < 0 and ss < 0:
            ls = li & self.lfst_mask
        elif ls < 0 or (ss >= 0 and ss < ls):
            ls = ss
        e = t // self.clear_cycles if self.clear_cycles else 0
        self.ssit_id[li] = <int32_t> ls
        self.ssit_id[si] = <int32_t> ls
        self.ssit_epoch[li] = e
        self.ssit_epoch[si] = e

    cdef int64_t _take_port(self, uint8_t u, int64_t t, uint8_t* port) noexcept nogil:
        """O14/O15: the first cycle >= t with a port of unit kind u free (lowest port
        first); taking it marks the port busy in that cycle."""
        cdef int k, p, n = self.n_port_list[u]
        cdef int64_t slot, soonest
        cdef uint32_t used
        cdef bint slot_blocked
        cdef bint piped = self.pipelined[u]
        while True:
            slot = t & (CAL_SIZE - 1)
            used = self.cal_used[slot] if self.cal_tag[slot] == t else 0
            soonest = -1
            slot_blocked = False
            for k in range(n):
                p = self.port_list[u][k]
                if not piped and self.unit_free[p][u] > t:
                    if soonest < 0 or self.unit_free[p][u] < soonest:
                        soonest = self.unit_free[p][u]
                    continue
                if (used >> p) & 1:
                    slot_blocked = True
                    continue
                self.cal_tag[slot] = t
                self.cal_used[slot] = used | (1u << p)
                port[0] = <uint8_t> p
                return t
            if slot_blocked or soonest < 0:
                t += 1
            else:
                t = soonest       # every unit of this kind is busy: skip to the first free

    cdef void consume(self, DynInst* di) noexcept nogil:
        cdef uint8_t oc = di.opclass
        cdef uint8_t u, q, lvl = 0, fetch_level = 0, data_level = 0, port = 0
        cdef uint8_t fc, dc, ic, cc, redirect = 0, src
        cdef uint8_t rd = di.rd & 63
        cdef int64_t n = <int64_t> self.n
        cdef int64_t m = self.ring_mask
        cdef int64_t f, d, t, issue, done, c, b, a, k, j, std
        cdef int64_t slot_idx
        cdef uint32_t lat, fstall = 0, mlat = 0
        cdef uint32_t x_if = 0, x_mem = 0, ix = 0, dx = 0, x   # TLB-miss cycles (O20a)
        cdef uint64_t line, last_line, target, predicted, end, s_end
        cdef bint is_load, is_store, is_amo, serial, hit, pred_taken, is_block, is_hint
        cdef bint mispredicted = False, decode_redirect = False, taken_flow = False
        cdef bint forwarded = False, replayed = False, partial
        cdef int64_t ssid = -1, conflict, cj = 0, nviol = 0
        cdef int64_t empty
        cdef OooRecord* r
        if oc >= OC_COUNT:
            oc = OC_ALU
        is_load = oc == OC_LOAD
        is_store = oc == OC_STORE
        is_amo = oc == OC_AMO
        serial = oc == OC_SYSTEM or is_amo
        # O21: prefetch.* (ORI encodings) is a load hint; cbo.* a store to the block
        is_hint = (di.flags & DI_PREFETCH) != 0
        is_block = oc == OC_CBO and not is_hint
        is_store = is_store or is_block
        u = U_LOAD if is_hint else self.unit_of[oc]
        q = _QUEUE_OF_UNIT_C(u)
        if self.refetching:
            # O22: the second pass of a load refetched after a violation: fetched at
            # refetch_f, its first fetch's I-cache stall and memory notes kept
            self.refetching = False
            f = self.refetch_f
            fc = OP_BAD_SPEC_ORDER
            fstall = self.refetch_fstall
            fetch_level = self.refetch_flevel
            nviol = self.refetch_nviol
        else:
            self.tr.n_acc = 0

            # ---- fetch (O1-O4)
            f = self.fetch_ready
            fc = self.fetch_cause
            if self.r_fetch[(n - 1) & m] > f:                 # O1: program order
                f = self.r_fetch[(n - 1) & m]
                fc = self.last_fcause
            b = self.r_fetch[(n - self.fetch_width) & m] + 1  # O1: fetch width
            if b > f:
                f = b
                fc = OP_FE_BANDWIDTH
            b = self.r_dispatch[(n - self.fetch_buffer) & m] + 1   # O2: fetch buffer full
            if b > f:
                self.fb_full += <uint64_t> (b - f)
                f = b
                fc = self.r_dcause[(n - self.fetch_buffer) & m]
            line = di.pc >> self.line_shift
            last_line = (di.pc + (di.length if di.length > 1 else 2) - 1) >> self.line_shift
            if not self.fetch_line_valid or line != self.fetch_line:    # O4: a new line
                lat = self.l1i.access(di.pc, line << self.line_shift, ACC_IFETCH, <uint64_t> f, &lvl)
                fetch_level = lvl
                if lat > self.l1i_hit:
                    fstall = lat - self.l1i_hit
                    if self.itlb_on:
                        x_if = (<Translator> self.l1i).miss_cycles
                if self.tr.on:
                    trace_note(&self.tr, f, line << self.line_shift, lat, 1u << self.line_shift, ACC_IFETCH, lvl)
            if last_line != line:
                lat = self.l1i.access(di.pc, last_line << self.line_shift, ACC_IFETCH,
                                      <uint64_t> f, &lvl)
                if lvl > fetch_level:
                    fetch_level = lvl
                if lat > self.l1i_hit and lat - self.l1i_hit > fstall:
                    fstall = lat - self.l1i_hit
                    if self.itlb_on:
                        x_if = (<Translator> self.l1i).miss_cycles
                if self.tr.on:
                    trace_note(&self.tr, f, last_line << self.line_shift, lat, 1u << self.line_shift,
                               ACC_IFETCH, lvl)
            self.fetch_line = last_line
            self.fetch_line_valid = True
            if fstall:
                f += fstall
                fc = _level_part(OP_FE_ICACHE_L1, fetch_level)

        # ---- dispatch: decode, rename, allocate (O6-O12)
        d = f + self.frontend_depth                       # O6
        dc = fc
        dx = x_if
        if self.r_dispatch[(n - 1) & m] > d:              # O7: in order
            d = self.r_dispatch[(n - 1) & m]
            dc = self.last_dcause
            dx = 0
        b = self.r_dispatch[(n - self.decode_width) & m] + 1   # O7: width
        if b > d:
            d = b
            dc = OP_FE_BANDWIDTH
        b = self.r_commit[(n - self.rob_entries) & m] + 1 if n >= self.rob_entries else 0
        if b > d:                                         # O8: ROB full
            self.rob_full += <uint64_t> (b - d)
            d = b
            dc = OP_BE_ROB_FULL
        if self.iq_count[q] >= self.iq_entries[q]:        # O9: issue queue full
            b = self.iq_ring[q][self.iq_head[q]] + 1
            if b > d:
                self.iq_full += <uint64_t> (b - d)
                d = b
                dc = OP_BE_IQ_FULL
        if is_load or is_amo:                             # O10: load queue full
            b = self.lq_commit[self.lq_head] + 1
            if b > d:
                self.lq_full += <uint64_t> (b - d)
                d = b
                dc = OP_BE_LSQ_FULL
        if is_store or is_amo:                            # O10: store queue full
            b = self.sq_commit[self.sq_head] + 1
            if b > d:
                self.sq_full += <uint64_t> (b - d)
                d = b
                dc = OP_BE_LSQ_FULL
        if rd:                                            # O11: a free physical register
            if rd < 32:
                b = self.int_free[self.int_head] + 1
            else:
                b = self.fp_free[self.fp_head] + 1
            if b > d:
                self.regs_full += <uint64_t> (b - d)
                d = b
                dc = OP_BE_REGS_FULL
        b = self.serial_until                             # O12: behind a serialising one
        if serial and self.r_commit[(n - 1) & m] + 1 > b:  # O12: waits for an empty ROB
            b = self.r_commit[(n - 1) & m] + 1
        if b > d:
            self.serial_stall += <uint64_t> (b - d)
            d = b
            dc = OP_BE_SERIALISE

        # ---- issue (O13-O16)
        t = d + 1                                         # O13
        ic = OP_FLOW
        src = di.rs1 & 63
        if src and self.reg_ready[src] > t:
            t = self.reg_ready[src]
            ic = self.reg_cause[src]
            ix = self.reg_tlb[src]
        src = di.rs2 & 63
        std = d + 1                                       # O13: a store's data half (STD)
        if is_store:
            if src and self.reg_ready[src] > std:
                std = self.reg_ready[src]
        elif src and self.reg_ready[src] > t:
            t = self.reg_ready[src]
            ic = self.reg_cause[src]
            ix = self.reg_tlb[src]
        src = di.rs3 & 63
        if src and self.reg_ready[src] > t:
            t = self.reg_ready[src]
            ic = self.reg_cause[src]
            ix = self.reg_tlb[src]
        if is_amo or (is_load and self.mem_dep == MD_WAIT):
            if self.max_store_issue + 1 > t:              # O16: older stores issued first
                t = self.max_store_issue + 1
                ic = OP_BE_MEM_ORDER
        elif self.mem_dep == MD_STORE_SETS and (is_load or is_store):
            ssid = self._ssid(di.pc, d)                   # O16s: after the set's last store
            if ssid >= 0 and self.lfst_issue[ssid] + 1 > t:
                t = self.lfst_issue[ssid] + 1
                ic = OP_BE_MEM_ORDER
                self.ss_waits += 1
        if not self.pipelined[u] and self.unp_last[u] > t:
            t = self.unp_last[u]                          # O15: in order within the kind
            ic = OP_BE_UNITS
        issue = self._take_port(u, t, &port)              # O14
        if issue > t:
            ic = OP_BE_UNITS
        if is_load:

            # ---- O18 store-queue search at the issue cycle; O22 violations
            end = di.mem_addr + (di.mem_size if di.mem_size else 1)
            replayed = False
            while True:
                # the youngest older store that overlaps, is still in the SQ and whose
                # address is known (STA issued before); overlapping stores of unknown
                # address younger than it are memory-order conflicts
                forwarded = False
                partial = False
                conflict = -1
                k = 0
                j = self.sq_head
                while k < self.sq_entries and <uint64_t> k < self.n_stores:
                    j = (j if j > 0 else self.sq_entries) - 1     # the next older store
                    if self.sq_commit[j] < issue:
                        break                             # it and all older have left the SQ
                    s_end = self.sq_addr[j] + self.sq_size[j]
                    if self.sq_size[j] and self.sq_addr[j] < end and di.mem_addr < s_end:
                        if self.sq_issue[j] >= issue:     # address not known yet
                            if conflict < 0 or self.sq_issue[j] + 1 <= conflict:
                                conflict = self.sq_issue[j] + 1
                                cj = j
                            k += 1
                            continue
                        if self.sq_addr[j] <= di.mem_addr and end <= s_end:
                            forwarded = True
                        else:
                            partial = True
                            replayed = True
                            t = self.sq_commit[j] + 1
                            issue = self._take_port(u, t, &port)
                            ic = OP_BE_MEM_ORDER
                        break
                    k += 1
                if not partial:
                    break
            if conflict >= 0:
                # O22: the conflicting store's address resolves at `conflict`; the
                # violation is taken when the load is the oldest in the ROB, and the load
                # is fetched again: consume() runs once more from dispatch (the rare
                # path; a loop here would cost every instruction). The squashed
                # execution did read the cache (not a forwarded value).
                if not forwarded:
                    self._data_access(di.pc, di.mem_addr, di.mem_size, ACC_LOAD, issue,
                                      &lvl)
                b = self.r_commit[(n - 1) & m] + 1
                if conflict > b:
                    b = conflict
                if self.mem_dep == MD_STORE_SETS:
                    self._train(di.pc, self.sq_pc[cj], b)
                self.violations += 1
                self.refetching = True
                self.refetch_f = b + self.violation_penalty
                self.refetch_fstall = fstall
                self.refetch_flevel = fetch_level
                self.refetch_nviol = nviol + 1
                self.consume(di)
                return

        # ---- execute (O17, O18)
        if is_load:
            self.loads += 1
            if forwarded:
                self.forwarded += 1
                b = self.sq_data[j] if self.sq_data[j] > issue else issue
                done = b + self.forward_latency
                data_level = 1
            else:
                if replayed:
                    self.replays += 1
                mlat = self._data_access(di.pc, di.mem_addr, di.mem_size, ACC_LOAD, issue, &lvl)
                data_level = lvl
                x_mem = self.d_tlb_miss
                done = issue + (mlat if mlat > 1 else 1)
                if self.tr.on:
                    trace_note(&self.tr, issue, di.mem_addr, mlat, di.mem_size, ACC_LOAD, lvl)
            if nviol:
                cc = OP_BAD_SPEC_ORDER
            elif data_level <= 1 and ic == OP_BE_MEM_ORDER:
                # O20: an L1 hit (or forwarded) load held at issue by the memory-dependence
                # rule (O16, O16s, O18 replay) lost its slots to that rule, not to the L1
                cc = OP_BE_MEM_ORDER
            else:
                cc = _level_part(OP_BE_MEM_L1, data_level)
        elif is_amo:
            self.amos += 1
            mlat = self._data_access(di.pc, di.mem_addr, di.mem_size, ACC_AMO, issue, &lvl)
            data_level = lvl
            x_mem = self.d_tlb_miss
            done = issue + (mlat if mlat > 1 else 1)
            cc = _level_part(OP_BE_MEM_L1, data_level)
            if self.tr.on:
                trace_note(&self.tr, issue, di.mem_addr, mlat, di.mem_size, ACC_AMO, lvl)
        elif is_hint:
            # O21: the hint looks its line up at issue; nothing waits for it
            line = (di.mem_addr >> self.dline_shift) << self.dline_shift
            if di.cbo == CB_PREFETCH_I:
                line = (di.mem_addr >> self.line_shift) << self.line_shift
                mlat = self.l1i.access(di.pc, line, ACC_IFETCH, <uint64_t> issue, &lvl)
                if self.tr.on:
                    trace_note(&self.tr, issue, line, mlat, 1u << self.line_shift, ACC_IFETCH, lvl)
            else:
                mlat = self._data_access(di.pc, line, 1, ACC_LOAD, issue, &lvl)
                if self.tr.on:
                    trace_note(&self.tr, issue, line, mlat, 1u << self.dline_shift, ACC_LOAD, lvl)
            data_level = lvl
            self.hints += 1
            done = issue + 1
            cc = OP_FLOW
        elif is_store:
            # O13/O17: done when both halves have issued (STA on its port, STD when the
            # data is ready); a late STD is a dependence on the data's producer.
            done = (issue if issue > std else std) + 1
            cc = self.reg_cause[di.rs2 & 63] if std > issue else OP_FLOW
            x_mem = self.reg_tlb[di.rs2 & 63] if std > issue else 0
        else:
            done = issue + self.latency[oc]
            cc = OP_BE_UNITS if self.latency[oc] > 1 else OP_FLOW
        if not self.pipelined[u]:
            self.unit_free[port][u] = issue + self.latency[oc]
            self.unp_last[u] = issue
        if is_store or is_amo:
            if issue > self.max_store_issue:
                self.max_store_issue = issue
        # O9: the entry is freed when the instruction (both halves of a store) has issued
        _keep_latest(self.iq_ring[q], &self.iq_head[q], &self.iq_count[q], self.iq_mask[q],
                     self.iq_entries[q], done - 1 if is_store else issue)

        # ---- commit (O19)
        c = done
        if self.r_commit[(n - 1) & m] > c:
            c = self.r_commit[(n - 1) & m]
        b = self.r_commit[(n - self.commit_width) & m] + 1
        if b > c:
            c = b
        if is_block:
            # O21: performed on the L1D at commit, like a store's write (not waited for)
            self.block_ops += 1
            line = (di.mem_addr >> self.dline_shift) << self.dline_shift
            lat = self.l1d.block_op(di.pc, line, di.cbo, <uint64_t> c)
            data_level = 1
            if self.tr.on:
                trace_note(&self.tr, c, line, lat, 1u << self.dline_shift, ACC_STORE, 1)
        elif is_store:
            self.stores += 1
            lat = self._data_access(di.pc, di.mem_addr, di.mem_size, ACC_STORE, c, &lvl)
            data_level = lvl
            if self.tr.on:
                trace_note(&self.tr, c, di.mem_addr, lat, di.mem_size, ACC_STORE, lvl)

        # ---- control flow (O3, O5): where the next instruction may be fetched
        if oc == OC_BRANCH:
            self.branches += 1
            target = di.target
            pred_taken = self.dirpred.predict(di.pc, target)
            hit = self.btb.lookup(di.pc, &predicted)
            if hit:
                self.btb_hits += 1
            else:
                self.btb_misses += 1
            if pred_taken != di.taken or (di.taken and hit and predicted != target):
                mispredicted = True
                self.mispredicts += 1
            elif pred_taken and not hit:
                decode_redirect = True
            elif di.taken:
                taken_flow = True
            self.dirpred.update(di.pc, di.taken, target)
            if self.indirect is not None:
                self.indirect.branch(di.taken)
            if di.taken:
                self.btb.insert(di.pc, target)
        elif oc == OC_JAL:
            self.jumps += 1
            hit = self.btb.lookup(di.pc, &predicted)
            if hit:
                self.btb_hits += 1
            else:
                self.btb_misses += 1
            if not hit or predicted != di.next_pc:
                decode_redirect = True
            else:
                taken_flow = True
            self.btb.insert(di.pc, di.next_pc)
            if rd == 1 or rd == 5:
                self.ras.push(di.pc + di.length)
        elif oc == OC_JALR:
            self.jumps += 1
            if rd == REG_NONE and (di.rs1 == 1 or di.rs1 == 5) and self.ras.depth > 0:
                if self.ras.pop(&predicted) and predicted == di.next_pc:
                    self.ras_hits += 1
                else:
                    self.ras_mispredicts += 1
                    mispredicted = True
            else:
                self.indirect_jumps += 1
                if self.indirect is None:       # bpred.indirect = "btb"
                    hit = self.btb.lookup(di.pc, &predicted)
                    if hit:
                        self.btb_hits += 1
                    else:
                        self.btb_misses += 1
                    if not hit or predicted != di.next_pc:
                        mispredicted = True
                    self.btb.insert(di.pc, di.next_pc)
                else:
                    mispredicted = indirect_mispredicted(self.indirect, di.pc, di.next_pc)
                if mispredicted:
                    self.indirect_mispredicts += 1
            if mispredicted:
                self.jump_mispredicts += 1
            else:
                taken_flow = True
            if rd == 1 or rd == 5:
                self.ras.push(di.pc + di.length)
        if mispredicted:
            redirect = 3
            self.fetch_ready = done + self.redirect_penalty
            self.fetch_cause = OP_BAD_SPEC
        elif decode_redirect:
            redirect = 2
            self.decode_redirects += 1
            self.fetch_ready = f + self.frontend_depth
            self.fetch_cause = OP_FE_BANDWIDTH
        elif taken_flow:
            redirect = 1
            self.fetch_ready = f + 1
            self.fetch_cause = OP_FE_BANDWIDTH
        else:
            self.fetch_ready = f
            self.fetch_cause = fc

        # ---- bookkeeping: rings, scoreboard
        self.r_fetch[n & m] = f
        self.r_dispatch[n & m] = d
        self.r_commit[n & m] = c
        self.r_dcause[n & m] = dc
        self.last_fcause = fc
        self.last_dcause = dc
        if is_load or is_amo:
            self.lq_commit[self.lq_head] = c
            self.lq_head = self.lq_head + 1 if self.lq_head + 1 < self.lq_entries else 0
            self.n_loads += 1
        if is_store or is_amo:
            j = self.sq_head
            self.sq_head = self.sq_head + 1 if self.sq_head + 1 < self.sq_entries else 0
            self.sq_commit[j] = c
            self.sq_addr[j] = di.mem_addr
            self.sq_size[j] = di.mem_size if di.mem_size else 1
            if is_block:     # O21: cbo.zero holds its zeroed block; clean/flush no data
                self.sq_addr[j] = (di.mem_addr >> self.dline_shift) << self.dline_shift
                self.sq_size[j] = (1u << self.dline_shift) if di.cbo == CB_ZERO else 0
            self.sq_data[j] = (std if std > issue else issue) if is_store else issue
            self.sq_issue[j] = issue
            self.sq_pc[j] = di.pc
            if ssid >= 0 and is_store:
                self.lfst_issue[ssid] = issue                 # O16s: the set's last store
            self.n_stores += 1
        if rd:
            self.reg_ready[rd] = done
            self.reg_cause[rd] = cc if (is_load or is_amo) else OP_BE_DEPENDENCE
            self.reg_tlb[rd] = x_mem if (is_load or is_amo) else 0
            if rd < 32:
                self.int_free[self.int_head] = c
                self.int_head = self.int_head + 1 if self.int_head + 1 < self.int_rename else 0
                self.n_int_w += 1
            else:
                self.fp_free[self.fp_head] = c
                self.fp_head = self.fp_head + 1 if self.fp_head + 1 < self.fp_rename else 0
                self.n_fp_w += 1
        if serial:
            self.serial_until = c + 1
        self.n += 1

        # ---- commit-slot CPI stack (O20): empty slots before this commit go to the
        # latest stage of this instruction that was held by something else than its own
        # previous stage.
        if c != self.cur_commit:
            empty = (self.commit_width - self.used_slots) \
                + self.commit_width * (c - self.cur_commit - 1)
            x = x_mem
            if cc == OP_FLOW:
                cc = ic
                x = ix
            if cc == OP_FLOW:
                cc = dc
                x = dx
            if cc == OP_FLOW:
                cc = OP_FE_BANDWIDTH
            self.last_cause = cc
            if empty > 0:
                self.slots[cc] += <uint64_t> empty
                if x:
                    cc = _tlb_slots(self.slots, cc, empty, <int64_t> x * self.commit_width)
            else:
                cc = 255
            self.cur_commit = c
            self.used_slots = 1
        else:
            self.used_slots += 1
            cc = 255
        self.slots[OP_RETIRING] += 1
        self.cycle = <uint64_t> (c + 1)
        self.instructions += 1
        self.op_counts[oc] += 1
        if self.tr.on:
            r = <OooRecord*> trace_record(&self.tr, di, f, d, issue, done, c, cc, data_level,
                                          fetch_level, redirect == 3, cc)
            if r != NULL:
                r.next_pc = di.next_pc
                r.fetch_stall = fstall
                r.mem_latency = mlat
                r.rd = di.rd
                r.rs1 = di.rs1
                r.rs2 = di.rs2
                r.rs3 = di.rs3
                r.mem_size = di.mem_size
                r.length = di.length
                r.taken = di.taken
                r.redirect = redirect
                r.port = port
                r.forwarded = forwarded
                r.replayed = replayed
                r.violations = <uint8_t> (nviol if nviol < 255 else 255)

    cdef uint32_t _data_access(self, uint64_t pc, uint64_t addr, uint32_t size, uint8_t kind,
                               int64_t start, uint8_t* lvl) noexcept nogil:
        """A data access that crosses a line accesses both lines together; it takes as
        long as the slower one, which also names the level that served it."""
        cdef uint32_t lat = self.l1d.access(pc, addr, kind, <uint64_t> start, lvl)
        cdef uint32_t lat2
        cdef uint8_t lvl2 = 0
        cdef uint64_t last = addr + (size if size else 1) - 1
        if self.dtlb_on:
            self.d_tlb_miss = (<Translator> self.l1d).miss_cycles
        if (last >> self.dline_shift) != (addr >> self.dline_shift):
            lat2 = self.l1d.access(pc, (last >> self.dline_shift) << self.dline_shift, kind,
                                   <uint64_t> start, &lvl2)
            if lat2 > lat:
                lat = lat2
                lvl[0] = lvl2
                if self.dtlb_on:
                    self.d_tlb_miss = (<Translator> self.l1d).miss_cycles
        return lat

    # ---------------------------------------------------------------- Python API
    def _zero_counters(self):
        cdef int i
        for i in range(OP_COUNT):
            self.slots[i] = 0
        for i in range(OC_COUNT):
            self.op_counts[i] = 0
        self.instructions = self.loads = self.stores = self.amos = 0
        self.forwarded = self.replays = 0
        self.block_ops = self.hints = 0
        self.violations = self.ss_waits = 0
        self.rob_full = self.iq_full = self.lq_full = self.sq_full = self.regs_full = 0
        self.fb_full = self.serial_stall = 0
        self.branches = self.mispredicts = self.jumps = self.jump_mispredicts = 0
        self.decode_redirects = 0
        self.btb_hits = self.btb_misses = self.ras_hits = self.ras_mispredicts = 0
        self.indirect_jumps = self.indirect_mispredicts = 0

    def set_indirect_predictor(self, predictor):
        """Predict the targets of indirect jumps (not returns) with `predictor`, an
        IndirectPredictor (pipeline/predictors/); None goes back to the BTB."""
        self.indirect = predictor

    def reset_stats(self):
        """Zero the counters (end of warm-up); cycles count from the last commit cycle."""
        self._zero_counters()
        self.base_cycle = self.cur_commit + 1
        self.used_slots = self.commit_width     # the current cycle belongs to the warm-up

    def restart_at(self, int64_t cycle, fetch_line=None):
        """Functional warming (cyclesim.sampling) ran the program up to `cycle`: the
        window is empty there (every earlier instruction committed before `cycle`, so the
        rings of release cycles no longer hold anything back), the next instruction is
        fetched at `cycle` and its commit slots count from there. `fetch_line` (a line
        number) is the line the warmer left in the fetch buffer. Counters are kept; the
        store-set predictor keeps what it learnt before warming (warming does not train it)."""
        if cycle > self.fetch_ready:
            self.fetch_ready = cycle
        self.fetch_cause = OP_FE_BANDWIDTH
        self.fetch_line_valid = fetch_line is not None
        self.fetch_line = fetch_line if fetch_line is not None else 0
        if cycle - 1 > self.cur_commit:
            self.cur_commit = cycle - 1
            self.used_slots = self.commit_width     # a full virtual cycle before `cycle`
        self.cycle = <uint64_t> cycle

    @property
    def fetch_buffer_line(self):
        """Line number held by the fetch buffer, or None (functional warming takes it over)."""
        return self.fetch_line if self.fetch_line_valid else None

    def slot_counts(self):
        """Commit slots by CPI-stack part (integers; they sum to cycles x commit_width)."""
        d = {name: int(self.slots[i]) for i, name in enumerate(PART_NAMES)}
        pending = self.commit_width - self.used_slots
        if pending > 0 and self.cur_commit + 1 > self.base_cycle:
            d[PART_NAMES[self.last_cause]] += int(pending)
        return d

    def cpi_stack(self):
        """CPI stack in whole cycles by part: each part's commit slots / commit_width,
        rounded by largest remainder so that the parts sum exactly to the cycles."""
        return cycles_from_slots(self.slot_counts(), self.commit_width,
                                 self.cur_commit + 1 - self.base_cycle)

    def stats(self):
        """Counters as a dict of dotted names (cycles count from the last reset)."""
        cycles = int(self.cur_commit + 1 - self.base_cycle)
        n = self.instructions
        d = {
            "core.cycles": cycles,
            "core.instructions": n,
            "core.ipc": n / cycles if cycles else 0.0,
            "core.cpi": cycles / n if n else 0.0,
            "core.loads": self.loads,
            "core.stores": self.stores,
            "core.amos": self.amos,
            "core.commit_width": int(self.commit_width),
            "core.loads_forwarded": self.forwarded,
            "core.load_replays": self.replays,
            "core.cache_block_ops": self.block_ops,
            "core.prefetch_hints": self.hints,
            "core.order_violations": self.violations,
            "core.store_set_waits": self.ss_waits,
            "core.rob_full_cycles": self.rob_full,
            "core.iq_full_cycles": self.iq_full,
            "core.lq_full_cycles": self.lq_full,
            "core.sq_full_cycles": self.sq_full,
            "core.regs_full_cycles": self.regs_full,
            "core.fetch_buffer_full_cycles": self.fb_full,
            "core.serialise_cycles": self.serial_stall,
        }
        for i, name in enumerate(OPCLASS_NAMES):
            d[f"core.op.{name}"] = self.op_counts[i]
        for name, v in self.cpi_stack().items():
            d[f"cpi_stack.{name}"] = v
        for name, v in self.slot_counts().items():
            d[f"commit_slots.{name}"] = v
        b = self.branches
        d.update({
            "bpred.branches": b,
            "bpred.mispredicts": self.mispredicts,
            "bpred.accuracy": 1.0 - self.mispredicts / b if b else 1.0,
            "bpred.mpki": 1000.0 * self.mispredicts / n if n else 0.0,
            "bpred.jumps": self.jumps,
            "bpred.jump_mispredicts": self.jump_mispredicts,
            "bpred.decode_redirects": self.decode_redirects,
            "bpred.btb_hits": self.btb_hits,
            "bpred.btb_misses": self.btb_misses,
            "bpred.ras_hits": self.ras_hits,
            "bpred.ras_mispredicts": self.ras_mispredicts,
            "bpred.indirect_jumps": self.indirect_jumps,
            "bpred.indirect_mispredicts": self.indirect_mispredicts,
        })
        return d

    def enable_trace(self, first_seq=0, count=100_000, pipeline=True, memory=False,
                     capacity=None):
        """Record instructions first_seq .. first_seq+count-1 (by retirement number).
        With `capacity` (instructions), the buffers hold only that many instructions'
        records and the engine empties them with drain_traces() before they fill (a
        window streamed to disk); records past a full buffer are dropped."""
        self._otrace_owner, self._mtrace_owner = trace_start(
            &self.tr, first_seq, count, pipeline, memory, capacity, OOO_DTYPE, 4)

    def drain_traces(self, copy=True):
        """(pipeline records, memory records) taken so far, in the shared layouts, and the
        buffers emptied for the records that follow (copy=False: memory records are views,
        valid only until the core runs again)."""
        p = self.pipeline_trace()          # a new array already
        m = self.memory_trace()
        if copy:
            m = m.copy()
        trace_empty(&self.tr)
        return p, m

    def trace_room(self):
        """Instructions that can still be recorded before a buffer is full."""
        return trace_room(&self.tr)

    def disable_trace(self):
        """Stop recording; records already taken stay readable."""
        self.tr.on = False

    def set_tlb_parts(self, bint on):
        """O20a on (the default when the L1s are Translators) or off: page-walk cycles
        then stay in the memory parts. Timing is the same either way (tests compare)."""
        self.itlb_on = on and isinstance(self.l1i, Translator)
        self.dtlb_on = on and isinstance(self.l1d, Translator)

    def ooo_trace(self):
        """The out-of-order records so far (OOO_DTYPE), no copy."""
        if self._otrace_owner is None:
            return np.zeros(0, OOO_DTYPE)
        return self._otrace_owner[:self.tr.n_rec]

    def pipeline_trace(self):
        """The records in the shared pipeline-trace layout (PIPE_DTYPE) that the exports
        and plots read: IF = fetch, ID = dispatch, EX = issue, MEM = done, WB = commit."""
        rec = self.ooo_trace()
        out = np.zeros(len(rec), PIPE_DTYPE)
        for a, b in (("seq", "seq"), ("pc", "pc"), ("mem_addr", "mem_addr"),
                     ("if_cycle", "fetch"), ("id_cycle", "dispatch"), ("ex_cycle", "issue"),
                     ("mem_cycle", "done"), ("wb_cycle", "commit"), ("raw", "raw"),
                     ("op", "op"), ("opclass", "opclass"),
                     ("served_by", "served_by"), ("fetch_served_by", "fetch_served_by")):
            out[a] = rec[b]
        out["cause"] = _INORDER_CAUSE[rec["cause"]]
        out["slot_part"] = rec["cause"]
        out["mispredicted"] = rec["redirect"] == 3
        return out

    def memory_trace(self):
        """Memory access records so far (MEM_DTYPE), no copy."""
        if self._mtrace_owner is None:
            return np.zeros(0, MEM_DTYPE)
        return self._mtrace_owner[:self.tr.n_mem]

