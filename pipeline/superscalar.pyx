"""The superscalar in-order pipeline: up to 3 instructions per cycle in every stage.

It extends the scalar pipeline (pipeline/inorder.pyx, rules R1..R14 of docs/pipeline.md)
with the rules S1..S9 of the "Superscalar in-order" section there: `width` instructions per
stage, fetch and decode split into `fetch_stages` and `decode_stages` sub-stages, issue
pairing limits per instruction class, and an optional late ALU (the SiFive U74's). As in the
scalar model, consume() computes each instruction's entry cycle into every sub-stage in
O(width x depth) from the previous instructions' entry cycles; there is no per-cycle loop.
Caches, predictor, store buffer, scoreboard, counters and traces are the scalar model's.
"""
import itertools

from libc.stdint cimport int8_t, int64_t, uint8_t, uint32_t, uint64_t

from pipeline.inorder cimport (N_REGS, ST_EX, ST_ID, ST_IF, ST_MEM, ST_WB, InOrderCore,
                               _btb_lookup, _level_part)
from caches.tlb cimport Translator
from pipeline.bpred cimport indirect_mispredicted
from pipeline.trace cimport *
from pipeline.types cimport (ACC_AMO, ACC_IFETCH, ACC_LOAD, ACC_STORE, OC_ALU, OC_AMO, OC_BRANCH,
                             OC_COUNT, OC_DIV, OC_FADD, OC_FCVT, OC_FDIV, OC_FMA, OC_FMUL,
                             OC_FSQRT, OC_JAL, OC_JALR, OC_LOAD, OC_MUL, OC_NOP, OC_STORE,
                             OC_SYSTEM, OC_CBO, OC_POPCOUNT, OC_CLMUL, REG_NONE, DynInst)

from cyclesim.errors import ConfigError
from pipeline.inorder import InOrderCore as _Scalar
from pipeline.trace import SLOT_PART_NAMES, cycles_from_slots

# S9: the commit-slot parts a wide in-order core can lose slots to (the others of
# SLOT_PART_NAMES are out-of-order structures), front-end to back-end.
WIDE_PARTS = ("retiring", "frontend_icache_l1", "frontend_icache_l2", "frontend_icache_l3",
              "frontend_icache_mem", "frontend_itlb", "frontend_bandwidth", "bad_speculation",
              "backend_memory_l1", "backend_memory_l2", "backend_memory_l3",
              "backend_memory_mem", "backend_memory_dtlb", "backend_core_dependence",
              "backend_core_units")

cdef enum:
    C_FLOW = 254     # one cycle after entering the previous sub-stage (look further back)
    C_PIPE = 253     # waiting for older instructions (in order, or the stage is full)

# Pairing classes (rule S5): which issue limit an instruction counts against.
ISSUE_CLASSES = ("alu", "mem", "branch", "muldiv", "fp", "system")
_CLASS_OF = {OC_ALU: 0, OC_NOP: 0, OC_LOAD: 1, OC_STORE: 1, OC_AMO: 1, OC_BRANCH: 2,
             OC_JAL: 2, OC_JALR: 2, OC_MUL: 3, OC_DIV: 3, OC_FADD: 4, OC_FMUL: 4,
             OC_FMA: 4, OC_FDIV: 4, OC_FSQRT: 4, OC_FCVT: 4, OC_SYSTEM: 5,
             # cpop and clmul run on the multiplier (docs/pipeline.md, RVA22 op classes);
             # cache-block ops go through the memory pipe
             OC_POPCOUNT: 3, OC_CLMUL: 3, OC_CBO: 1}


def parse_pairs(text):
    """'branch+muldiv, muldiv+fp' -> [(2, 3), (3, 4)]; a clear error for anything else."""
    pairs = []
    for item in (text or "").replace(" ", "").split(","):
        if not item:
            continue
        names = item.split("+")
        if len(names) != 2 or any(n not in ISSUE_CLASSES for n in names):
            raise ConfigError(f"core.no_pair = {text!r}: {item!r} is not a pair of issue "
                              f"classes; write pairs like 'branch+muldiv' from "
                              f"{', '.join(ISSUE_CLASSES)}, separated by commas.")
        pairs.append((ISSUE_CLASSES.index(names[0]), ISSUE_CLASSES.index(names[1])))
    return pairs


def group_allowed(group, width, limits, pairs):
    """Rule S5: may the instruction classes in `group` enter EX in one cycle?"""
    if len(group) > width:
        return False
    if 5 in group and len(group) > 1:          # system instructions issue alone
        return False
    if any(group.count(c) > limits[c] for c in set(group)):
        return False
    for a, b in pairs:
        if (a != b and a in group and b in group) or (a == b and group.count(a) > 1):
            return False
    return True


def group_states():
    """Every multiset of at most 3 classes, as sorted tuples (index = state number)."""
    states = [()]
    for k in (1, 2, 3):
        states += list(itertools.combinations_with_replacement(range(6), k))
    return states


def _at_least_one(name, value, top):
    if not 1 <= int(value) <= top:
        raise ConfigError(f"core.{name} = {value!r} must be between 1 and {top}.")
    return int(value)


cdef class SuperscalarCore(InOrderCore):
    """In-order pipeline of `width` 1..3 with the rules S1..S9 of docs/pipeline.md.

    Arguments as InOrderCore, plus: width, fetch_stages, decode_stages (1..4), late_alu,
    late_alu_delay (cycles from EX entry to the late ALU, >= 1), mem_per_cycle,
    branch_per_cycle, muldiv_per_cycle, fp_per_cycle (1..width) and no_pair (class pairs
    that cannot enter EX in the same cycle, e.g. "branch+muldiv").
    """

    def __init__(self, l1i, l1d, predictor=None, btb=None, ras=None, *, width=2,
                 fetch_stages=1, decode_stages=1, late_alu=False, late_alu_delay=2,
                 mem_per_cycle=1, branch_per_cycle=1, muldiv_per_cycle=1, fp_per_cycle=1,
                 no_pair="", **scalar):
        super().__init__(l1i, l1d, predictor, btb, ras, **scalar)
        self.width = _at_least_one("width", width, 3)
        self.nf = _at_least_one("fetch_stages", fetch_stages, MAX_DEPTH)
        self.nd = _at_least_one("decode_stages", decode_stages, MAX_DEPTH)
        self.sx = self.nf + self.nd
        self.sm = self.sx + 1
        self.sw = self.sx + 2
        self.n_sub = self.sx + 3
        self.late_alu = bool(late_alu)
        if self.late_alu and not self.forward_full:
            raise ConfigError("core.late_alu needs core.forwarding = 'full' (the late ALU "
                              "takes its operands from the bypass network).")
        self.late_delay = int(late_alu_delay)
        if self.late_alu and self.late_delay < 1:
            raise ConfigError(f"core.late_alu_delay = {late_alu_delay!r} must be at least 1 "
                              "cycle after EX entry.")
        limits = [self.width,
                  _at_least_one("mem_per_cycle", mem_per_cycle, self.width),
                  _at_least_one("branch_per_cycle", branch_per_cycle, self.width),
                  _at_least_one("muldiv_per_cycle", muldiv_per_cycle, self.width),
                  _at_least_one("fp_per_cycle", fp_per_cycle, self.width), 1]
        pairs = parse_pairs(no_pair)
        states = group_states()
        index = {g: i for i, g in enumerate(states)}
        cdef int i, c, s, k
        for i, g in enumerate(states):
            for c in range(N_ISSUE_CLASSES):
                new = tuple(sorted(g + (c,)))
                ok = len(new) <= 3 and group_allowed(new, self.width, limits, pairs)
                self.group_next[i][c] = index[new] if ok else -1
        for c in range(N_ISSUE_CLASSES):
            self.group_start[c] = index[(c,)]
        for i in range(OC_COUNT):
            self.issue_class[i] = _CLASS_OF.get(i, 0)
        # Virtual older instructions: nothing binds the first one, which enters F1 at 0;
        # its predecessor's WB is n_sub - 2 so that the fill is charged like R14's.
        for s in range(MAX_SUB):
            for k in range(RING):
                self.hist[s][k] = -1
        for k in range(RING):
            self.hist[self.sw][k] = self.n_sub - 2
        for k in range(64):
            self.known_at[k] = 0
        self.n_seen = 0
        self.group_cycle = -1
        self.group_state = 0
        self.group_size = 0
        # S9: R14's causes as commit-slot parts (top-down)
        for k in range(PART_COUNT):
            self.slot_part[k] = OP_FE_BANDWIDTH
        for k, part in ((PART_ICACHE_L1, OP_FE_ICACHE_L1), (PART_ICACHE_L2, OP_FE_ICACHE_L2),
                        (PART_ICACHE_L3, OP_FE_ICACHE_L3), (PART_ICACHE_MEM, OP_FE_ICACHE_MEM),
                        (PART_DCACHE_L1, OP_BE_MEM_L1), (PART_DCACHE_L2, OP_BE_MEM_L2),
                        (PART_DCACHE_L3, OP_BE_MEM_L3), (PART_DCACHE_MEM, OP_BE_MEM_MEM),
                        (PART_DATA, OP_BE_DEPENDENCE), (PART_STRUCTURAL, OP_BE_UNITS),
                        (PART_BRANCH, OP_BAD_SPEC)):
            self.slot_part[k] = part
        self.fetch_slot_part = OP_BAD_SPEC
        self.used_slots = self.width       # a virtual full cycle before the first commit
        self.last_slot_part = OP_FE_BANDWIDTH
        self._zero_wide()

    cdef void consume(self, DynInst* di) noexcept nogil:
        cdef int64_t e[MAX_SUB]             # entry cycle per sub-stage
        cdef uint8_t c[MAX_SUB]             # how each was decided (C_FLOW, C_PIPE or a part)
        cdef int64_t* p = self.prev
        cdef uint64_t n = self.n_seen
        cdef int k1 = <int> ((n - 1) & (RING - 1))           # instruction i - 1
        cdef int kw = <int> ((n - self.width) & (RING - 1))  # instruction i - width
        cdef int k0 = <int> (n & (RING - 1))
        cdef int sx = self.sx, sm = self.sm, sw = self.sw
        cdef int s
        cdef uint8_t oc = di.opclass
        cdef uint8_t rd = di.rd & (N_REGS - 1)
        cdef uint8_t lvl = 0, fetch_level = 0, data_level = 0
        cdef uint8_t cause, src, cls, c_if = C_FLOW, c_ex = C_FLOW, c_mem = C_FLOW
        cdef uint32_t lat
        cdef uint32_t x_if = 0, x_mem = 0   # TLB-miss cycles inside t_if / t_mem (R14a)
        cdef int64_t r, extra, t_if = 1, t_ex = 1, t_mem = 1, data_ready = 0, start, need
        cdef int64_t x, empty, xt
        cdef uint8_t part = CAUSE_NONE, tlb = 0
        cdef uint64_t line, last_line, target, predicted
        cdef bint is_load, is_store, is_amo, pred_taken, hit, new_line
        cdef bint mispredicted = False, decode_redirect = False
        cdef bint late_candidate = False, late = False
        cdef int st
        if oc >= OC_COUNT:
            oc = OC_ALU
        is_load = oc == OC_LOAD
        is_store = oc == OC_STORE
        is_amo = oc == OC_AMO
        cls = self.issue_class[oc]
        self.tr.n_acc = 0

        # ---- F1 (S1-S3, R11, R12): fetch bound, in order, stage not full; a fetch group
        # holds one fetch line (S3).
        e[0] = self.fetch_ready
        c[0] = self.fetch_cause
        if self.hist[0][k1] > e[0]:
            e[0] = self.hist[0][k1]
            c[0] = C_PIPE
        if self.hist[1][kw] > e[0]:
            e[0] = self.hist[1][kw]
            c[0] = C_PIPE
        line = di.pc >> self.line_shift
        new_line = not self.fetch_line_valid or line != self.fetch_line
        if new_line and self.hist[0][k1] + 1 > e[0]:
            e[0] = self.hist[0][k1] + 1
            c[0] = C_PIPE
        if new_line:
            lat = self.l1i.access(di.pc, line << self.line_shift, ACC_IFETCH, e[0], &lvl)
            fetch_level = lvl
            if self.fetch_blocking and lat > 1:
                t_if = lat
                c_if = _level_part(PART_ICACHE_L1, lvl)
                if self.itlb_on:
                    x_if = (<Translator> self.l1i).miss_cycles
            if self.tr.on:
                trace_note(&self.tr, e[0], line << self.line_shift, lat, 1 << self.line_shift,
                           ACC_IFETCH, lvl)
        last_line = (di.pc + (di.length if di.length > 1 else 2) - 1) >> self.line_shift
        if last_line != line:
            lat = self.l1i.access(di.pc, last_line << self.line_shift, ACC_IFETCH, e[0], &lvl)
            if lvl > fetch_level:
                fetch_level = lvl
            if self.fetch_blocking and lat > t_if:
                t_if = lat
                c_if = _level_part(PART_ICACHE_L1, lvl)
                if self.itlb_on:
                    x_if = (<Translator> self.l1i).miss_cycles
            if self.tr.on:
                trace_note(&self.tr, e[0], last_line << self.line_shift, lat, 1 << self.line_shift,
                           ACC_IFETCH, lvl)
        self.fetch_line = last_line
        self.fetch_line_valid = True

        # ---- F2..Fn, D1..Dn (S1, S2): one cycle each (F1 t_if), in order, not full
        for s in range(1, sx + 1):
            if s == 1:
                e[1] = e[0] + t_if
                c[1] = c_if
            else:
                e[s] = e[s - 1] + 1
                c[s] = C_FLOW
            if self.hist[s][k1] > e[s]:
                e[s] = self.hist[s][k1]
                c[s] = C_PIPE
            if self.hist[s + 1][kw] > e[s]:
                e[s] = self.hist[s + 1][kw]
                c[s] = C_PIPE
        # e[sx] is now the EX bound of the front end; operands and pairing follow.
        x = e[sx]
        if self.forward_full:
            extra = 1 if (self.resolve_stage == ST_ID
                          and (oc == OC_BRANCH or oc == OC_JALR)) else 0
            late_candidate = self.late_alu and (oc == OC_ALU or (oc == OC_BRANCH
                                                                 and extra == 0))
            if late_candidate:
                # S7: the late ALU takes operands late_alu_delay cycles after EX entry.
                extra = -self.late_delay
            src = di.rs1 & (N_REGS - 1)
            if src:
                need = self.fwd_ready[src] + extra
                if late_candidate and self.known_at[src] > need:
                    need = self.known_at[src]
                if need >= x:
                    x = need
                    c[sx] = self.wait_cause[src]
            src = di.rs2 & (N_REGS - 1)
            if src and not (is_store or is_amo):
                need = self.fwd_ready[src] + extra
                if late_candidate and self.known_at[src] > need:
                    need = self.known_at[src]
                if need >= x:
                    x = need
                    c[sx] = self.wait_cause[src]
            src = di.rs3 & (N_REGS - 1)
            if src and self.fwd_ready[src] >= x:
                x = self.fwd_ready[src]
                c[sx] = self.wait_cause[src]
        else:
            src = di.rs1 & (N_REGS - 1)
            if src and self.rf_ready[src] >= x:
                x = self.rf_ready[src]
                c[sx] = self.wait_cause[src]
            src = di.rs2 & (N_REGS - 1)
            if src and self.rf_ready[src] >= x:
                x = self.rf_ready[src]
                c[sx] = self.wait_cause[src]
            src = di.rs3 & (N_REGS - 1)
            if src and self.rf_ready[src] >= x:
                x = self.rf_ready[src]
                c[sx] = self.wait_cause[src]
        lat = 2 if (is_load or is_amo) else self.latency[oc]
        if rd and self.waw_ready[rd]:
            r = self.waw_ready[rd] - lat + 1
            if r >= x:
                x = r
                c[sx] = PART_DATA
        # S5: the issue group of this cycle must accept the instruction's class.
        if x == self.group_cycle and self.group_next[self.group_state][cls] < 0:
            x += 1
            c[sx] = PART_STRUCTURAL
            self.pair_stalls += 1
        e[sx] = x
        if x == self.group_cycle:
            self.group_state = self.group_next[self.group_state][cls]
            self.group_size += 1
        else:
            if self.group_size:
                self.issue_groups[self.group_size] += 1
            self.group_cycle = x
            self.group_state = self.group_start[cls]
            self.group_size = 1
        if late_candidate:
            # S7: it executes late when an operand is not ready at EX entry.
            src = di.rs1 & (N_REGS - 1)
            if src and self.fwd_ready[src] > x:
                late = True
            src = di.rs2 & (N_REGS - 1)
            if src and self.fwd_ready[src] > x:
                late = True
            if late:
                self.late_ops += 1
        if not self.pipelined[oc]:
            t_ex = self.latency[oc]
            if t_ex > 1:
                c_ex = PART_STRUCTURAL

        # ---- MEM (R7, R9, R10, R13; S1, S2)
        e[sm] = e[sx] + t_ex
        c[sm] = c_ex
        if self.hist[sm][k1] > e[sm]:
            e[sm] = self.hist[sm][k1]
            c[sm] = C_PIPE
        if self.hist[sw][kw] > e[sm]:
            e[sm] = self.hist[sw][kw]
            c[sm] = C_PIPE
        if is_store or is_amo:
            src = di.rs2 & (N_REGS - 1)
            if self.forward_full and src and self.fwd_ready[src] >= e[sm]:
                e[sm] = self.fwd_ready[src]
                c[sm] = self.wait_cause[src]
            if is_store and self.sb_entries and self.sb_finish[self.sb_next] >= e[sm]:
                e[sm] = self.sb_finish[self.sb_next]
                c[sm] = PART_STRUCTURAL
            if is_amo and self.sb_last_finish >= e[sm]:
                e[sm] = self.sb_last_finish
                c[sm] = PART_STRUCTURAL
        if oc == OC_CBO:
            self._cache_block(di, e[sm], &t_mem, &c_mem, &data_level)
        elif is_load or is_store or is_amo:
            if is_store and self.sb_entries:
                start = e[sm] if e[sm] > self.sb_last_finish else self.sb_last_finish
                lat = self._data_access(di.pc, di.mem_addr, di.mem_size, ACC_STORE, start, &lvl)
                self.sb_last_finish = start + (lat if lat > 1 else 1)
                self.sb_finish[self.sb_next] = self.sb_last_finish
                self.sb_next += 1
                if self.sb_next == self.sb_entries:
                    self.sb_next = 0
            else:
                start = e[sm]
                lat = self._data_access(di.pc, di.mem_addr, di.mem_size,
                                        ACC_LOAD if is_load else (ACC_AMO if is_amo else ACC_STORE),
                                        start, &lvl)
                if lat < 1:
                    lat = 1
                data_ready = e[sm] + lat
                if self.mem_blocking or not is_load:
                    # R13: MEM is held until the data is due out of the array's last
                    # stage: a pipelined hit holds it one cycle, a miss for the rest.
                    t_mem = lat - self.dhit_tail if lat > self.dhit_tail + 1 else 1
                    if t_mem > 1:
                        c_mem = _level_part(PART_DCACHE_L1, lvl)
                        x_mem = self.d_tlb_miss
                elif self.d_accept_wait:
                    # R13: a non-blocking load waits in MEM until the L1D accepts it
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

        # ---- WB (R1; S1, S2)
        e[sw] = e[sm] + t_mem
        c[sw] = c_mem
        if self.hist[sw][k1] > e[sw]:
            e[sw] = self.hist[sw][k1]
            c[sw] = C_PIPE
        if self.hist[sw][kw] + 1 > e[sw]:
            e[sw] = self.hist[sw][kw] + 1
            c[sw] = C_PIPE

        # ---- scoreboard (R3-R6, S7)
        if rd:
            if is_load or is_amo:
                r = data_ready
                self.known_at[rd] = e[sm]
                # the consumer's wait is the miss's only if MEM did not already hold it
                self.wait_cause[rd] = PART_DATA if (t_mem + self.dhit_tail >= lat or lat <= 1) \
                    else _level_part(PART_DCACHE_L1, lvl)
            elif late:
                r = e[sm] + self.late_delay
                self.known_at[rd] = e[sm]
                self.wait_cause[rd] = PART_DATA
            else:
                r = e[sx] + self.latency[oc]
                self.known_at[rd] = e[sx]
                self.wait_cause[rd] = PART_DATA
            self.fwd_ready[rd] = r
            # S7: the late ALU sits before WB in the hardware (M2), so its write is in
            # order and never a late write of rule 6.
            if r > e[sw] and not late:
                self.waw_ready[rd] = r
                self.rf_ready[rd] = r + 1
            else:
                self.waw_ready[rd] = 0
                self.rf_ready[rd] = e[sw] + 1

        # ---- control flow (R11, S3, S8)
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
            if late:
                self.fetch_ready = e[sm] + self.late_delay      # S8: resolved in the late ALU
            else:
                self.fetch_ready = e[sx] if self.resolve_stage == ST_ID else \
                    (e[sm] if self.resolve_stage == ST_EX else e[sw])
            self.fetch_cause = PART_BRANCH
            self.fetch_slot_part = OP_BAD_SPEC
        elif decode_redirect:
            self.decode_redirects += 1
            self.fetch_ready = e[sx]
            self.fetch_cause = PART_BRANCH
            self.fetch_slot_part = OP_FE_BANDWIDTH
        elif di.taken and (oc == OC_BRANCH or oc == OC_JAL or oc == OC_JALR):
            self.fetch_ready = e[0] + 1          # S3: a taken branch ends the fetch group
            self.fetch_cause = C_FLOW
        else:
            self.fetch_ready = e[0]
            self.fetch_cause = C_FLOW

        # ---- CPI stack (S9): commit slots, width per cycle. The empty slots before this
        # commit (the rest of the last commit cycle and every slot of the cycles between)
        # go to the latest sub-stage's own cause (R14's), as top-down parts; the pipeline
        # fill is front-end. The trace record names R14's cause of the cycle gap.
        if not self.started:
            self.started = True
            self.slots[OP_FE_BANDWIDTH] += <uint64_t> (self.width * (self.hist[sw][k1] + 1))
            self.cycles += <uint64_t> (self.hist[sw][k1] + 1)
        r = e[sw] - self.hist[sw][k1] - 1
        cause = CAUSE_NONE
        if r >= 0:
            self.cycles += <uint64_t> (r + 1)
            empty = self.width - self.used_slots + self.width * r
            self.used_slots = 1
        else:
            empty = 0
            self.used_slots += 1
        self.slots[OP_RETIRING] += 1
        if empty > 0:
            cause = C_FLOW
            st = sw
            while st >= 0:
                if c[st] != C_FLOW:
                    cause = c[st]
                    break
                st -= 1
            if cause == C_FLOW or cause == C_PIPE:
                part = OP_FE_BANDWIDTH         # fetch groups, the fetch width
                cause = PART_OTHER
            elif cause == PART_BRANCH:
                part = self.fetch_slot_part    # a mispredict or a decode redirect
            else:
                part = self.slot_part[cause]
            self.slots[part] += <uint64_t> empty
            # R14a in slots: the TLB miss inside F1's own time (it decides sub-stage 1) or
            # MEM's takes width x its cycles (at most the gap's) of them
            xt = 0
            if st == 1 and x_if and part >= OP_FE_ICACHE_L1 and part <= OP_FE_ICACHE_MEM:
                xt = x_if
                tlb = OP_FE_ITLB
            elif st == sw and x_mem and part >= OP_BE_MEM_L1 and part <= OP_BE_MEM_MEM:
                xt = x_mem
                tlb = OP_BE_DTLB
            if xt:
                if xt > r:
                    xt = r
                self.slots[part] -= <uint64_t> (self.width * xt)
                self.slots[tlb] += <uint64_t> (self.width * xt)
                if xt == r:
                    cause = PART_ITLB if tlb == OP_FE_ITLB else PART_DTLB
            self.last_slot_part = part
            if xt and xt * self.width == empty:
                part = tlb                     # the record: the TLB took them all
            if r == 0:
                cause = CAUSE_NONE             # no cycle gap: the record names none
        for s in range(self.n_sub):
            self.hist[s][k0] = e[s]
        self.n_seen = n + 1
        p[ST_IF] = e[0]
        p[ST_ID] = e[self.nf]
        p[ST_EX] = e[sx]
        p[ST_MEM] = e[sm]
        p[ST_WB] = e[sw]
        if <uint64_t> (e[sw] + 1) > self.cycle:
            self.cycle = <uint64_t> (e[sw] + 1)
        self.instructions += 1
        self.op_counts[oc] += 1
        if self.tr.on:
            trace_record(&self.tr, di, e[0], e[self.nf], e[sx], e[sm], e[sw], cause,
                         data_level, fetch_level, mispredicted, part)

    # ---------------------------------------------------------------- Python API
    def _zero_wide(self):
        cdef int k
        self.late_ops = 0
        self.pair_stalls = 0
        for k in range(MAX_WIDTH + 1):
            self.issue_groups[k] = 0
        for k in range(OP_COUNT):
            self.slots[k] = 0

    def reset_stats(self):
        """Zero the counters (end of warm-up); pipeline, predictor and caches carry on."""
        _Scalar.reset_stats(self)
        self._zero_wide()
        # the open issue group and commit cycle belong to the warm-up
        self.group_size = 0
        self.group_cycle = self.prev[ST_EX]
        self.used_slots = self.width

    def slot_counts(self):
        """Commit slots by part (S9; integers summing to width x core.cycles): retiring,
        the front-end's I-cache levels, ITLB and fetch bubbles (fill, fetch groups,
        decode redirects), bad speculation, the back-end's memory levels and DTLB, its
        dependences and units (pairing, unpipelined units, store buffer, AMO drain)."""
        d = {name: int(self.slots[SLOT_PART_NAMES.index(name)]) for name in WIDE_PARTS}
        pending = self.width - self.used_slots
        if pending > 0 and self.cycles:
            d[SLOT_PART_NAMES[self.last_slot_part]] += int(pending)
        return d

    def cpi_stack(self):
        """CPI stack in whole cycles by part: each part's slots / width, rounded by
        largest remainder so that the parts sum exactly to the cycles (as the
        out-of-order core does)."""
        return cycles_from_slots(self.slot_counts(), self.width, self.cycles)

    def stats(self):
        """The scalar model's counters, the commit-slot CPI stack (S9: cpi_stack.* in
        cycles, commit_slots.* in slots) in place of R14's, plus core.width, core.late_alu_ops,
        core.pair_stalls and core.issue_cycles.<k> (cycles in which k instructions
        entered EX, k = 1..width)."""
        d = {k: v for k, v in _Scalar.stats(self).items() if not k.startswith("cpi_stack.")}
        for name, v in self.cpi_stack().items():
            d[f"cpi_stack.{name}"] = v
        for name, v in self.slot_counts().items():
            d[f"commit_slots.{name}"] = v
        d["core.width"] = self.width
        d["core.late_alu_ops"] = self.late_ops
        d["core.pair_stalls"] = self.pair_stalls
        for k in range(1, self.width + 1):
            n = self.issue_groups[k] + (1 if self.group_size == k else 0)
            d[f"core.issue_cycles.{k}"] = n
        return d
