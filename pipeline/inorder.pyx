"""The cycle-accurate scalar in-order pipeline: IF ID EX MEM WB.

For every retired instruction consume() computes the cycle it enters each stage from the
rules numbered in docs/pipeline.md (comments below quote them as R<n>), in O(1), from the
previous instruction's entry cycles, a register scoreboard, the branch predictor and the
two L1 caches. No per-cycle loop.
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t

from caches.base cimport MemoryLevel
from caches.tlb cimport Translator
from pipeline.bpred cimport BTB, RAS, DirectionPredictor, indirect_mispredicted
from pipeline.model cimport TimingModel
from pipeline.trace cimport *
from pipeline.types cimport (ACC_AMO, ACC_IFETCH, ACC_LOAD, ACC_STORE, CB_PREFETCH_I,
                             DI_PREFETCH, OC_ALU, OC_AMO, OC_BRANCH,
                             OC_CBO, OC_CLMUL, OC_COUNT, OC_POPCOUNT, OC_DIV, OC_FADD, OC_FCVT, OC_FDIV, OC_FMA, OC_FMUL,
                             OC_FSQRT, OC_JAL, OC_JALR, OC_LOAD, OC_MUL, OC_STORE, REG_NONE,
                             DynInst)

from cyclesim.errors import ConfigError
from pipeline.bpred import BTB as _BTB, RAS as _RAS, make_predictor
from pipeline.trace import CAUSE_NAMES, MEM_DTYPE, PIPE_DTYPE

# How a stage's entry cycle was decided, besides the CPI parts (trace.pxd):
cdef enum:
    C_FLOW = 254     # one cycle after entering the previous stage (look further back)
    C_PIPE = 253     # waiting for the previous instruction to leave the stage

STAGE_NAMES = ("IF", "ID", "EX", "MEM", "WB")
OPCLASS_NAMES = ("alu", "branch", "jal", "jalr", "load", "store", "amo", "mul", "div",
                 "fadd", "fmul", "fma", "fdiv", "fsqrt", "fcvt", "system", "nop",
                 "popcount", "clmul", "cbo")


def _positive(name, value):
    if int(value) < 1:
        raise ConfigError(f"core.{name} = {value!r} must be at least 1 cycle.")
    return int(value)


cdef class InOrderCore(TimingModel):
    """Scalar in-order pipeline (see docs/pipeline.md for the timing rules).

    l1i, l1d: MemoryLevel objects (the L1 caches). predictor: a DirectionPredictor
    (default gshare), btb: BTB, ras: RAS. Keyword arguments are the CoreConfig fields
    plus fetch_line_size (bytes of the I-cache line the fetch buffer holds).
    """
    # The model's stages, declared once: trace frames, plots and exports take them from
    # here (cyclesim.results.traces.stage_columns); letters label narrow diagram cells.
    stage_names = STAGE_NAMES
    stage_letters = ("F", "D", "X", "M", "W")

    def __init__(self, MemoryLevel l1i not None, MemoryLevel l1d not None,
                 DirectionPredictor predictor=None, BTB btb=None, RAS ras=None, *,
                 forwarding="full", branch_resolve_stage="EX",
                 mul_latency=3, div_latency=20, div_pipelined=False,
                 fadd_latency=4, fmul_latency=4, fma_latency=5, fdiv_latency=20,
                 fsqrt_latency=25, fcvt_latency=2, long_ops_pipelined=True,
                 popcount_latency=3, clmul_latency=3,
                 fetch_blocking=True, mem_blocking=True, store_buffer_entries=4,
                 fetch_line_size=64, data_line_size=64):
        self.l1i = l1i
        self.l1d = l1d
        self.dirpred = predictor if predictor is not None else make_predictor("gshare")
        self.btb = btb if btb is not None else _BTB(512, 4)
        self.ras = ras if ras is not None else _RAS(8)
        if forwarding not in ("full", "none"):
            raise ConfigError(f"core.forwarding = {forwarding!r} is not allowed; "
                              "use 'full' or 'none'.")
        self.forward_full = forwarding == "full"
        stages = {"ID": ST_ID, "EX": ST_EX, "MEM": ST_MEM}
        if branch_resolve_stage not in stages:
            raise ConfigError(f"core.branch_resolve_stage = {branch_resolve_stage!r} is not "
                              "allowed; use 'ID', 'EX' or 'MEM'.")
        self.resolve_stage = stages[branch_resolve_stage]
        cdef int i
        for i in range(OC_COUNT):
            self.latency[i] = 1
            self.pipelined[i] = True
        long_ops = {<int> OC_MUL: ("mul_latency", mul_latency, long_ops_pipelined),
                    <int> OC_DIV: ("div_latency", div_latency, div_pipelined),
                    <int> OC_FADD: ("fadd_latency", fadd_latency, long_ops_pipelined),
                    <int> OC_FMUL: ("fmul_latency", fmul_latency, long_ops_pipelined),
                    <int> OC_FMA: ("fma_latency", fma_latency, long_ops_pipelined),
                    <int> OC_FDIV: ("fdiv_latency", fdiv_latency, div_pipelined),
                    <int> OC_FSQRT: ("fsqrt_latency", fsqrt_latency, div_pipelined),
                    <int> OC_FCVT: ("fcvt_latency", fcvt_latency, long_ops_pipelined),
                    <int> OC_POPCOUNT: ("popcount_latency", popcount_latency,
                                        long_ops_pipelined),
                    <int> OC_CLMUL: ("clmul_latency", clmul_latency, long_ops_pipelined)}
        for oc, (name, lat, piped) in long_ops.items():
            self.latency[oc] = _positive(name, lat)
            self.pipelined[oc] = bool(piped)
        self.fetch_blocking = bool(fetch_blocking)
        self.mem_blocking = bool(mem_blocking)
        if store_buffer_entries < 0:
            raise ConfigError(f"core.store_buffer_entries = {store_buffer_entries!r} must be "
                              "0 (no store buffer) or more.")
        self.sb_entries = store_buffer_entries
        self._sb_owner = np.zeros(max(store_buffer_entries, 1), np.int64)
        cdef int64_t[::1] sb = self._sb_owner
        self.sb_finish = &sb[0]
        if fetch_line_size < 2 or fetch_line_size & (fetch_line_size - 1):
            raise ConfigError(f"fetch line size {fetch_line_size!r} must be a power of two "
                              "of at least 2 bytes.")
        self.line_shift = int(fetch_line_size).bit_length() - 1
        if data_line_size < 2 or data_line_size & (data_line_size - 1):
            raise ConfigError(f"data line size {data_line_size!r} must be a power of two "
                              "of at least 2 bytes.")
        self.dline_shift = int(data_line_size).bit_length() - 1
        # R13: the L1D is pipelined; of an access's latency, hit_latency - 1 cycles are spent
        # after MEM in the array's later stages, not holding MEM.
        h = int(getattr(l1d, "hit_latency", 1))
        self.dhit_tail = h - 1 if h > 1 else 0
        self.itlb_on = isinstance(l1i, Translator)
        self.dtlb_on = isinstance(l1d, Translator)
        self.d_tlb_miss = 0
        # A virtual instruction before the first one (entered IF at -1) makes the first
        # instruction enter IF at 0 and WB at 4.
        for i in range(N_STAGES):
            self.prev[i] = i - 1
        self.fetch_ready = 0
        self.fetch_cause = C_FLOW
        self.fetch_line_valid = False
        for i in range(N_REGS):
            self.fwd_ready[i] = 0
            self.rf_ready[i] = 0
            self.waw_ready[i] = 0
            self.wait_cause[i] = PART_DATA
        self.sb_next = 0
        self.sb_last_finish = 0
        self.started = False
        self.tr.on = False
        self._zero_counters()

    cdef void consume(self, DynInst* di) noexcept nogil:
        cdef int64_t e0, e1, e2, e3, e4     # entry cycle per stage (IF..WB)
        cdef uint8_t c0, c1, c2, c3, c4     # how each was decided (C_FLOW, C_PIPE or a part)
        cdef int64_t* p = self.prev
        cdef uint8_t oc = di.opclass
        cdef uint8_t rd = di.rd & (N_REGS - 1)     # ids are < 64; the mask keeps arrays safe
        cdef uint8_t lvl = 0
        cdef uint8_t fetch_level = 0
        cdef uint8_t data_level = 0
        cdef uint8_t cause, src
        cdef uint32_t lat
        cdef int64_t r, extra, t_if = 1, t_ex = 1, t_mem = 1, data_ready = 0, start
        cdef uint8_t c_if = C_FLOW
        cdef uint8_t c_ex = C_FLOW
        cdef uint8_t c_mem = C_FLOW
        cdef uint32_t x_if = 0, x_mem = 0   # TLB-miss cycles inside t_if / t_mem (R14a)
        cdef uint64_t line, last_line, target, predicted
        cdef bint is_load, is_store, is_amo, is_cbo, pred_taken, hit
        cdef uint8_t cbo_op
        cdef bint mispredicted = False
        cdef bint decode_redirect = False
        cdef int s
        if oc >= OC_COUNT:
            oc = OC_ALU
        is_load = oc == OC_LOAD
        is_store = oc == OC_STORE
        is_amo = oc == OC_AMO
        is_cbo = oc == OC_CBO
        self.tr.n_acc = 0

        # ---- IF (R1, R2, R11, R12): after the redirect/fetch bound and after the previous
        # instruction left IF; one L1I access per new fetch line.
        e0 = self.fetch_ready
        c0 = self.fetch_cause
        if p[ST_ID] > e0:
            e0 = p[ST_ID]
            c0 = C_PIPE
        line = di.pc >> self.line_shift
        if not self.fetch_line_valid or line != self.fetch_line:
            lat = self.l1i.access(di.pc, line << self.line_shift, ACC_IFETCH, e0, &lvl)
            fetch_level = lvl
            if self.fetch_blocking and lat > 1:
                t_if = lat
                c_if = _level_part(PART_ICACHE_L1, lvl)
                if self.itlb_on:
                    x_if = (<Translator> self.l1i).miss_cycles
            if self.tr.on:
                trace_note(&self.tr, e0, line << self.line_shift, lat, 1 << self.line_shift,
                           ACC_IFETCH, lvl)
        last_line = (di.pc + (di.length if di.length > 1 else 2) - 1) >> self.line_shift
        if last_line != line:
            # R12: an instruction that straddles two lines fetches both, in parallel.
            lat = self.l1i.access(di.pc, last_line << self.line_shift, ACC_IFETCH, e0, &lvl)
            if lvl > fetch_level:
                fetch_level = lvl
            if self.fetch_blocking and lat > t_if:
                t_if = lat
                c_if = _level_part(PART_ICACHE_L1, lvl)
                if self.itlb_on:
                    x_if = (<Translator> self.l1i).miss_cycles
            if self.tr.on:
                trace_note(&self.tr, e0, last_line << self.line_shift, lat, 1 << self.line_shift,
                           ACC_IFETCH, lvl)
        self.fetch_line = last_line
        self.fetch_line_valid = True

        # ---- ID (R1, R2)
        e1 = e0 + t_if
        c1 = c_if
        if p[ST_EX] > e1:
            e1 = p[ST_EX]
            c1 = C_PIPE

        # ---- EX (R1, R2, R3-R5 operands, R6 WAW)
        e2 = e1 + 1
        c2 = C_FLOW
        if p[ST_MEM] > e2:
            e2 = p[ST_MEM]
            c2 = C_PIPE
        if self.forward_full:
            # R4: branches/jalr resolved in ID compare at the end of ID: one cycle more.
            extra = 1 if (self.resolve_stage == ST_ID
                          and (oc == OC_BRANCH or oc == OC_JALR)) else 0
            src = di.rs1 & (N_REGS - 1)
            if src and self.fwd_ready[src] + extra >= e2:
                e2 = self.fwd_ready[src] + extra
                c2 = self.wait_cause[src]
            src = di.rs2 & (N_REGS - 1)
            if src and not (is_store or is_amo) and self.fwd_ready[src] + extra >= e2:
                e2 = self.fwd_ready[src] + extra
                c2 = self.wait_cause[src]
            src = di.rs3 & (N_REGS - 1)
            if src and self.fwd_ready[src] >= e2:
                e2 = self.fwd_ready[src]
                c2 = self.wait_cause[src]
        else:
            src = di.rs1 & (N_REGS - 1)
            if src and self.rf_ready[src] >= e2:
                e2 = self.rf_ready[src]
                c2 = self.wait_cause[src]
            src = di.rs2 & (N_REGS - 1)
            if src and self.rf_ready[src] >= e2:
                e2 = self.rf_ready[src]
                c2 = self.wait_cause[src]
            src = di.rs3 & (N_REGS - 1)
            if src and self.rf_ready[src] >= e2:
                e2 = self.rf_ready[src]
                c2 = self.wait_cause[src]
        lat = 2 if (is_load or is_amo) else self.latency[oc]
        if rd and self.waw_ready[rd]:
            r = self.waw_ready[rd] - lat + 1
            if r >= e2:
                e2 = r
                c2 = PART_DATA
        if not self.pipelined[oc]:
            t_ex = self.latency[oc]
            if t_ex > 1:
                c_ex = PART_STRUCTURAL

        # ---- MEM (R1, R2, R7 store data, R9 store buffer, R10 AMO, R13 loads)
        e3 = e2 + t_ex
        c3 = c_ex
        if p[ST_WB] > e3:
            e3 = p[ST_WB]
            c3 = C_PIPE
        if is_store or is_amo:
            src = di.rs2 & (N_REGS - 1)
            if self.forward_full and src and self.fwd_ready[src] >= e3:
                e3 = self.fwd_ready[src]
                c3 = self.wait_cause[src]
            if is_store and self.sb_entries and self.sb_finish[self.sb_next] >= e3:
                e3 = self.sb_finish[self.sb_next]
                c3 = PART_STRUCTURAL
            if is_amo and self.sb_last_finish >= e3:
                e3 = self.sb_last_finish
                c3 = PART_STRUCTURAL
        if is_cbo:
            self._cache_block(di, e3, &t_mem, &c_mem, &data_level)
        elif is_load or is_store or is_amo:
            if is_store and self.sb_entries:
                # R9: the store drains in the background, in order, behind older stores.
                start = e3 if e3 > self.sb_last_finish else self.sb_last_finish
                lat = self._data_access(di.pc, di.mem_addr, di.mem_size, ACC_STORE, start, &lvl)
                self.sb_last_finish = start + (lat if lat > 1 else 1)
                self.sb_finish[self.sb_next] = self.sb_last_finish
                self.sb_next += 1
                if self.sb_next == self.sb_entries:
                    self.sb_next = 0
            else:
                start = e3
                lat = self._data_access(di.pc, di.mem_addr, di.mem_size,
                                        ACC_LOAD if is_load else (ACC_AMO if is_amo else ACC_STORE),
                                        start, &lvl)
                if lat < 1:
                    lat = 1
                data_ready = e3 + lat
                if self.mem_blocking or not is_load:
                    # R13: MEM is held until the data is due out of the array's last
                    # stage: a pipelined hit holds it one cycle, a miss for the rest.
                    t_mem = lat - self.dhit_tail if lat > self.dhit_tail + 1 else 1
                    if t_mem > 1:
                        c_mem = _level_part(PART_DCACHE_L1, lvl)
                        x_mem = self.d_tlb_miss
                elif self.d_accept_wait:
                    # R13: a non-blocking load waits in MEM until the L1D accepts it (a
                    # free port; on a miss a free MSHR; its TLB miss, docs/tlb.md T1a),
                    # then leaves after one cycle.
                    t_mem = 1 + <int64_t> self.d_accept_wait
                    c_mem = _level_part(PART_DCACHE_L1, lvl)
                    x_mem = self.d_tlb_miss
            data_level = lvl
            if is_load:
                self.loads += 1
            elif is_store:
                self.stores += 1
            else:
                self.amos += 1
            if self.tr.on:
                trace_note(&self.tr, start, di.mem_addr, lat, di.mem_size,
                           ACC_LOAD if is_load else (ACC_AMO if is_amo else ACC_STORE), lvl)

        # ---- WB (R1)
        e4 = e3 + t_mem
        c4 = c_mem
        if p[ST_WB] + 1 > e4:
            e4 = p[ST_WB] + 1
            c4 = C_PIPE

        # ---- scoreboard (R3-R6)
        if rd:
            if is_load or is_amo:
                r = data_ready
                # the consumer's wait is the miss's only if MEM did not already hold it
                self.wait_cause[rd] = PART_DATA if (t_mem + self.dhit_tail >= lat or lat <= 1) \
                    else _level_part(PART_DCACHE_L1, lvl)
            else:
                r = e2 + self.latency[oc]
                self.wait_cause[rd] = PART_DATA
            self.fwd_ready[rd] = r
            if r > e4:
                self.waw_ready[rd] = r
                self.rf_ready[rd] = r + 1
            else:
                self.waw_ready[rd] = 0
                self.rf_ready[rd] = e4 + 1

        # ---- control flow (R11): where the next instruction may be fetched
        if oc == OC_BRANCH:
            self.branches += 1
            target = di.target
            pred_taken = self.dirpred.predict(di.pc, target)
            hit = _btb_lookup(self, di.pc, &predicted)
            if pred_taken != di.taken or (di.taken and hit and predicted != target):
                mispredicted = True
                self.mispredicts += 1
            elif pred_taken and not hit:
                decode_redirect = True
            self.dirpred.update(di.pc, di.taken, target)
            if self.indirect is not None:
                self.indirect.branch(di.taken)
            if di.taken:
                self.btb.insert(di.pc, target)
        elif oc == OC_JAL:
            self.jumps += 1
            hit = _btb_lookup(self, di.pc, &predicted)
            if not hit or predicted != di.next_pc:
                decode_redirect = True
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
                    hit = _btb_lookup(self, di.pc, &predicted)
                    if not hit or predicted != di.next_pc:
                        mispredicted = True
                    self.btb.insert(di.pc, di.next_pc)
                else:
                    mispredicted = indirect_mispredicted(self.indirect, di.pc, di.next_pc)
                if mispredicted:
                    self.indirect_mispredicts += 1
            if mispredicted:
                self.jump_mispredicts += 1
            if rd == 1 or rd == 5:
                self.ras.push(di.pc + di.length)
        if mispredicted:
            self.fetch_ready = e2 if self.resolve_stage == ST_ID else \
                (e3 if self.resolve_stage == ST_EX else e4)
            self.fetch_cause = PART_BRANCH
        elif decode_redirect:
            self.decode_redirects += 1
            self.fetch_ready = e2
            self.fetch_cause = PART_BRANCH
        else:
            self.fetch_ready = e0 + 1
            self.fetch_cause = C_FLOW

        # ---- CPI stack (R14): the commit gap goes to the latest stage's own cause.
        if not self.started:
            self.started = True
            self.parts[PART_BASE] += <uint64_t> (p[ST_WB] + 1)     # pipeline fill
            self.cycles += <uint64_t> (p[ST_WB] + 1)
        r = e4 - p[ST_WB] - 1
        self.parts[PART_BASE] += 1
        self.cycles += <uint64_t> (r + 1)
        cause = CAUSE_NONE
        if r > 0:
            if c4 != C_FLOW:
                cause = c4
                x_if = 0               # x_mem: the TLB miss inside MEM's own time
            elif c3 != C_FLOW:
                cause = c3
                x_if = x_mem = 0
            elif c2 != C_FLOW:
                cause = c2
                x_if = x_mem = 0
            elif c1 != C_FLOW:
                cause = c1
                x_mem = 0              # x_if: the TLB miss inside IF's own time
            else:
                cause = c0
                x_if = x_mem = 0
            if cause == C_FLOW or cause == C_PIPE:
                cause = PART_OTHER
            self.parts[cause] += <uint64_t> r
            if x_if or x_mem:
                cause = _tlb_share(self.parts, cause, r, x_if + x_mem)
        p[0] = e0
        p[1] = e1
        p[2] = e2
        p[3] = e3
        p[4] = e4
        self.cycle = <uint64_t> (e4 + 1)
        self.instructions += 1
        self.op_counts[oc] += 1
        if self.tr.on:
            trace_record(&self.tr, di, e0, e1, e2, e3, e4, cause, data_level, fetch_level,
                         mispredicted, CAUSE_NONE)

    cdef uint32_t _data_access(self, uint64_t pc, uint64_t addr, uint32_t size, uint8_t kind,
                               int64_t start, uint8_t* lvl) noexcept nogil:
        """R13: a data access that crosses a line accesses both lines, issued together;
        it takes as long as the slower one, which also names the level that served it."""
        cdef uint32_t lat = self.l1d.access(pc, addr, kind, start, lvl)
        cdef uint32_t lat2
        cdef uint8_t lvl2 = 0
        cdef uint64_t last = addr + (size if size else 1) - 1
        self.d_accept_wait = self.l1d.accept_wait
        if self.dtlb_on:
            self.d_tlb_miss = (<Translator> self.l1d).miss_cycles
        if (last >> self.dline_shift) != (addr >> self.dline_shift):
            lat2 = self.l1d.access(pc, (last >> self.dline_shift) << self.dline_shift, kind,
                                   start, &lvl2)
            if self.l1d.accept_wait > self.d_accept_wait:
                self.d_accept_wait = self.l1d.accept_wait
            if lat2 > lat:
                lat = lat2
                lvl[0] = lvl2
                if self.dtlb_on:
                    self.d_tlb_miss = (<Translator> self.l1d).miss_cycles
        return lat

    cdef void _cache_block(self, DynInst* di, int64_t e3, int64_t* t_mem, uint8_t* c_mem,
                           uint8_t* level) noexcept nogil:
        """R15: cbo.* and prefetch.* in MEM. A prefetch looks the line up in L1I
        (prefetch.i) or L1D (prefetch.r/w), filling it on a miss, and does not hold MEM (a
        hint the pipeline never waits for). cbo.clean/flush/zero first wait for the store
        buffer to drain (they are ordered after older stores to their block), then hold MEM
        until the hierarchy has done them; cbo.inval is performed as cbo.flush (CBIE = 01,
        as Linux sets it for user mode)."""
        cdef uint32_t lat
        cdef uint8_t lvl = 0
        cdef int64_t start = e3
        cdef uint64_t line = (di.mem_addr >> self.dline_shift) << self.dline_shift
        if di.flags & DI_PREFETCH:
            if di.cbo == CB_PREFETCH_I:
                line = (di.mem_addr >> self.line_shift) << self.line_shift
                lat = self.l1i.access(di.pc, line, ACC_IFETCH, start, &lvl)
            else:
                lat = self.l1d.access(di.pc, line, ACC_LOAD, start, &lvl)
            if self.tr.on:
                trace_note(&self.tr, start, line, lat, 1 << self.dline_shift,
                           ACC_IFETCH if di.cbo == CB_PREFETCH_I else ACC_LOAD, lvl)
            level[0] = lvl
            return
        if self.sb_last_finish > start:
            start = self.sb_last_finish
        lat = self.l1d.block_op(di.pc, line, di.cbo, start)
        if lat < 1:
            lat = 1
        t_mem[0] = start - e3 + lat
        if t_mem[0] > 1:
            c_mem[0] = PART_DCACHE_L1 if start == e3 else PART_STRUCTURAL
        level[0] = 1
        if self.tr.on:
            trace_note(&self.tr, start, line, lat, 1 << self.dline_shift, ACC_STORE, 1)

    # ---------------------------------------------------------------- Python API
    def _zero_counters(self):
        cdef int i
        for i in range(PART_COUNT):
            self.parts[i] = 0
        for i in range(OC_COUNT):
            self.op_counts[i] = 0
        self.cycles = self.instructions = self.loads = self.stores = self.amos = 0
        self.branches = self.mispredicts = self.jumps = self.jump_mispredicts = 0
        self.decode_redirects = 0
        self.btb_hits = self.btb_misses = self.ras_hits = self.ras_mispredicts = 0
        self.indirect_jumps = self.indirect_mispredicts = 0

    def set_indirect_predictor(self, predictor):
        """Predict the targets of indirect jumps (not returns) with `predictor`, an
        IndirectPredictor (pipeline/predictors/); None goes back to the BTB."""
        self.indirect = predictor

    def reset_stats(self):
        """Zero the counters (end of warm-up). Predictor, cache and pipeline state stay;
        cycles are counted from the last commit before the reset."""
        self._zero_counters()

    def stats(self):
        """Counters as a dict of dotted names (cycles count from the last reset)."""
        cycles = self.cycles
        n = self.instructions
        d = {
            "core.cycles": cycles,
            "core.instructions": n,
            "core.ipc": n / cycles if cycles else 0.0,
            "core.cpi": cycles / n if n else 0.0,
            "core.loads": self.loads,
            "core.stores": self.stores,
            "core.amos": self.amos,
        }
        for i, name in enumerate(OPCLASS_NAMES):
            d[f"core.op.{name}"] = self.op_counts[i]
        for i, name in enumerate(CAUSE_NAMES):
            d[f"cpi_stack.{name}"] = self.parts[i]
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

    def cpi_stack(self):
        """CPI stack parts in cycles, by name; they sum to stats()['core.cycles']."""
        return {name: self.parts[i] for i, name in enumerate(CAUSE_NAMES)}

    def enable_trace(self, first_seq=0, count=100_000, pipeline=True, memory=False,
                     capacity=None):
        """Record instructions first_seq .. first_seq+count-1 (by retirement number) into
        preallocated buffers: one pipeline record each and/or their memory accesses.
        With `capacity` (instructions), the buffers hold only that many instructions'
        records and the engine empties them with drain_traces() before they fill (a
        window streamed to disk); records past a full buffer are dropped."""
        self._ptrace_owner, self._mtrace_owner = trace_start(
            &self.tr, first_seq, count, pipeline, memory, capacity, PIPE_DTYPE, 3)

    def drain_traces(self, copy=True):
        """(pipeline records, memory records) taken so far, and the buffers emptied for
        the records that follow. copy=False returns views of the buffers, valid only until
        the core runs again (the engine writes them out at once)."""
        p = self.pipeline_trace()
        m = self.memory_trace()
        if copy:
            p, m = p.copy(), m.copy()
        trace_empty(&self.tr)
        return p, m

    def trace_room(self):
        """Instructions that can still be recorded before a buffer is full."""
        return trace_room(&self.tr)

    def disable_trace(self):
        """Stop recording; records already taken stay readable."""
        self.tr.on = False

    def pipeline_trace(self):
        """Pipeline records so far: a NumPy structured array (PIPE_DTYPE), no copy."""
        if self._ptrace_owner is None:
            return np.zeros(0, PIPE_DTYPE)
        return self._ptrace_owner[:self.tr.n_rec]

    def memory_trace(self):
        """Memory access records so far: a NumPy structured array (MEM_DTYPE), no copy."""
        if self._mtrace_owner is None:
            return np.zeros(0, MEM_DTYPE)
        return self._mtrace_owner[:self.tr.n_mem]

    def restart_at(self, int64_t cycle, fetch_line=None):
        """Functional warming (cyclesim.sampling) ran the program up to `cycle`: the
        pipeline is empty there, as at reset shifted to `cycle` (the next instruction
        enters IF at `cycle`), every register is ready and the store buffer has drained.
        `fetch_line` (a line number) is the line the warmer left in the fetch buffer, so
        the I-cache sees the access sequence a detailed run would. Counters are kept."""
        cdef int i
        for i in range(N_STAGES):
            self.prev[i] = cycle + i - 1
        self.fetch_ready = cycle
        self.fetch_cause = C_FLOW
        self.fetch_line_valid = fetch_line is not None
        self.fetch_line = fetch_line if fetch_line is not None else 0
        for i in range(N_REGS):
            self.fwd_ready[i] = 0
            self.rf_ready[i] = 0
            self.waw_ready[i] = 0
            self.wait_cause[i] = PART_DATA
        for i in range(max(self.sb_entries, 1)):
            self.sb_finish[i] = 0
        self.sb_next = 0
        self.sb_last_finish = 0
        self.cycle = <uint64_t> cycle

    @property
    def fetch_buffer_line(self):
        """Line number held by the fetch buffer, or None (functional warming takes it over)."""
        return self.fetch_line if self.fetch_line_valid else None

    @property
    def last_entry_cycles(self):
        """Stage entry cycles (IF, ID, EX, MEM, WB) of the last consumed instruction."""
        return tuple(self.prev[i] for i in range(N_STAGES))
