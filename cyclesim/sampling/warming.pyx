"""Functional warming: every instruction updates the caches and the branch predictor
exactly as the in-order core's consume() would, and nothing is timed.

The in-order core (pipeline/inorder.pyx) touches its structures in this order per
instruction, and so does the warmer:
  * the L1I once per new fetch line (R1/R12 of docs/pipeline.md: the fetch buffer holds
    one line; an instruction straddling two lines fetches both);
  * the L1D for a load, store or AMO, both lines of a line-crossing access (R13);
  * for a conditional branch: direction predict, BTB lookup, direction update, BTB insert
    when taken; for jal: BTB lookup and insert, RAS push on a call; for jalr: RAS pop on a
    return (when the RAS exists), else BTB lookup and insert, RAS push on a call (R11).
The caches modelled here are blocking and keep tags, dirty bits and replacement state
that depend only on the order of accesses, not on their cycle; the predictors likewise.
So after the same instructions the warmed structures hold exactly what a detailed run
leaves in them (tests/sampling/test_warming.py checks it). Time advances one cycle per
instruction, which only orders DRAM bank-busy times; the pipeline is restarted empty
at that cycle when detailed simulation resumes (InOrderCore.restart_at).
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

from caches.base cimport MemoryLevel
from pipeline.bpred cimport (BTB, RAS, BackwardTaken, Bimodal, DirectionPredictor, GShare,
                             StaticNotTaken, Tournament, indirect_mispredicted)
from pipeline.inorder cimport InOrderCore
from pipeline.ooo cimport OutOfOrderCore
from pipeline.model cimport TimingModel
from pipeline.types cimport (ACC_AMO, ACC_IFETCH, ACC_LOAD, ACC_STORE, CB_PREFETCH_I,
                             DI_PREFETCH, OC_AMO, OC_BRANCH, OC_CBO, OC_COUNT, OC_JAL, OC_JALR,
                             OC_LOAD, OC_STORE, REG_NONE, DynInst)


# Op classes the warmer was written for: those that touch the caches or the predictor
# (handled in _warm, as InOrderCore.consume handles them) and those that touch neither.
# A class added to pipeline/types.pxd later (cache-block operations, say) may touch a
# cache: the warmer refuses to run until it is taught what the in-order core does.
_WARMED_CLASSES = {"OC_LOAD", "OC_STORE", "OC_AMO", "OC_BRANCH", "OC_JAL", "OC_JALR",
                   "OC_CBO"}
_PLAIN_CLASSES = {"OC_ALU", "OC_MUL", "OC_DIV", "OC_FADD", "OC_FMUL", "OC_FMA", "OC_FDIV",
                  "OC_FSQRT", "OC_FCVT", "OC_SYSTEM", "OC_NOP", "OC_COUNT",
                  "OC_POPCOUNT", "OC_CLMUL"}


def unknown_op_classes():
    """Op classes of pipeline.types the warmer does not know (empty when it is complete)."""
    from pipeline.types import OpClass

    return sorted(set(OpClass.__members__) - _WARMED_CLASSES - _PLAIN_CLASSES)


# Replacement policies whose state a repeated hit on the most recently used way leaves
# as it is (fifo, random: hits change nothing; plru: the touch is idempotent and an insert
# is a touch) or ordered as it is (lru: the stamp stays the newest). Not srrip/drrip
# (an insert then a hit change the RRPV twice) nor ship (hits train its counters).
_FILTER_POLICIES = ("lru", "fifo", "plru", "random")


def _filter_is_exact(level, line_shift, writes=True):
    """Whether skipping repeated accesses to the most recent line of a set of `level` (an
    L1) leaves every state unchanged. `writes`: the level also sees stores (the L1D)."""
    from caches.cache import Cache

    if not isinstance(level, Cache) or (1 << line_shift) != level.line_size:
        return False
    if level.policy_name not in _FILTER_POLICIES or level.classify_misses:
        return False
    if writes and (level.write_through or not level.write_allocate):
        return False
    if any(getattr(level, name, None) is not None for name in ("prefetcher", "prefetchers")):
        return False
    below = level.next
    while isinstance(below, Cache):
        if below.inclusive:
            return False
        below = below.next
    return True


_PURE_PREDICTORS = (StaticNotTaken, BackwardTaken, Bimodal, GShare, Tournament)


# The op classes the core need not hand over while the fetch line stays the same: all but
# those that touch a cache or the predictor (bits of TimingModel.quiet_classes).
cdef uint32_t _QUIET = ((1 << OC_COUNT) - 1) & ~(
    (1 << OC_LOAD) | (1 << OC_STORE) | (1 << OC_AMO) | (1 << OC_BRANCH) | (1 << OC_JAL)
    | (1 << OC_JALR) | (1 << OC_CBO))
# quiet_base when the fetch buffer is empty: for every user pc p, p - base >= 2**63
cdef uint64_t _NO_BLOCK = (<uint64_t> 1) << 63


cdef class FunctionalWarmer(TimingModel):
    """Warms the L1s (and, through them, every level below) and the predictor, BTB and
    RAS of `detailed` without timing its pipeline. Attach it to the functional core in
    place of the in-order core; take_over() / hand_back() move between the two.

    The core hands over only the instructions that touch a cache or the predictor, or
    leave the fetch-buffer line (TimingModel.quiet_classes); the others only advance the
    clock by one, which is all the warmer would do with them."""

    def __init__(self, TimingModel detailed not None):
        unknown = unknown_op_classes()
        if unknown:
            from cyclesim.errors import CyclesimError

            raise CyclesimError(f"functional warming does not know op class "
                                f"{', '.join(unknown)}: sampling is off until "
                                "cyclesim/sampling/warming.pyx makes the cache and predictor "
                                "updates InOrderCore.consume makes for it")
        cdef InOrderCore inorder
        cdef OutOfOrderCore ooo
        self.detailed = detailed
        if isinstance(detailed, InOrderCore):          # (and the superscalar in-order core)
            inorder = detailed
            self.l1i, self.l1d = inorder.l1i, inorder.l1d
            self.dirpred, self.btb, self.ras = inorder.dirpred, inorder.btb, inorder.ras
            self.indirect = inorder.indirect
            self.line_shift, self.dline_shift = inorder.line_shift, inorder.dline_shift
        elif isinstance(detailed, OutOfOrderCore):
            ooo = detailed
            self.l1i, self.l1d = ooo.l1i, ooo.l1d
            self.dirpred, self.btb, self.ras = ooo.dirpred, ooo.btb, ooo.ras
            self.indirect = ooo.indirect
            self.line_shift, self.dline_shift = ooo.line_shift, ooo.dline_shift
        else:
            from cyclesim.errors import CyclesimError

            raise CyclesimError(f"functional warming knows the in-order and out-of-order "
                                f"cores, not {type(detailed).__name__}: sampling needs "
                                "core.model = 'inorder' or 'ooo'")
        l1i, l1d = self.l1i, self.l1d
        # predict() of these reads its tables and changes nothing: warming needs only the
        # update (a subclass, or another predictor such as TAGE, gets the call)
        self.predict_needed = type(self.dirpred) not in _PURE_PREDICTORS
        self.fetch_line = 0
        self.fetch_line_valid = False
        self.quiet_classes = _QUIET
        self.quiet_size = (<uint64_t> 1) << self.line_shift
        self.quiet_base = _NO_BLOCK
        self.filter_l1d = _filter_is_exact(l1d, self.dline_shift)
        self.filter_l1i = _filter_is_exact(l1i, self.line_shift, writes=False)
        sets = l1d.num_sets if self.filter_l1d else 1
        isets = l1i.num_sets if self.filter_l1i else 1
        self.l1i_hit = l1i.hit_latency if self.filter_l1i else 0
        self._mru_owner = (np.zeros(sets, np.uint64), np.zeros(sets, np.uint8),
                           np.zeros(isets, np.uint64))
        cdef uint64_t[::1] lines = self._mru_owner[0]
        cdef uint8_t[::1] dirty = self._mru_owner[1]
        cdef uint64_t[::1] ilines = self._mru_owner[2]
        self.mru_line = &lines[0]
        self.mru_dirty = &dirty[0]
        self.mru_iline = &ilines[0]
        self.set_mask = sets - 1
        self.iset_mask = isets - 1

    def take_over(self):
        """Continue from where the detailed core stopped: its clock and fetch buffer."""
        self._mru_owner[0][:] = 0            # the detailed core's accesses are not tracked
        self._mru_owner[2][:] = 0
        self.cycle = self.detailed.cycle
        line = self.detailed.fetch_buffer_line
        self.fetch_line_valid = line is not None
        self.fetch_line = line if line is not None else 0
        self.quiet_base = (self.fetch_line << self.line_shift) if self.fetch_line_valid \
            else _NO_BLOCK

    def hand_back(self):
        """Give the detailed core an empty pipeline at this clock, with this fetch line."""
        self.detailed.restart_at(self.cycle, self.fetch_line if self.fetch_line_valid else None)

    cdef void consume(self, DynInst* di) noexcept nogil:
        # Here: an access, a control transfer, or a new fetch line (the rest is quiet).
        cdef uint8_t oc = di.opclass
        cdef uint64_t pc = di.pc
        cdef uint64_t line, last_line, last, target, predicted
        cdef uint64_t now = self.cycle
        cdef uint8_t kind
        # Untimed, but the clock moves as a blocking requester's would (each access issued
        # when the previous one completed), so that no fill is still in flight when the
        # detailed core takes over and the MSHRs, ports and DRAM see the accesses spaced as
        # they can serve them (with the non-blocking caches, a warmer issuing one access
        # per cycle would queue fills far past the hand-over).
        # fetch (R1, R12)
        line = pc >> self.line_shift
        if line != self.fetch_line or not self.fetch_line_valid:
            now += self._fetch(pc, line, now)
        last_line = (pc + (di.length if di.length > 1 else 2) - 1) >> self.line_shift
        if last_line != line:
            now += self._fetch(pc, last_line, now)
        self.fetch_line = last_line
        self.fetch_line_valid = True
        self.quiet_base = last_line << self.line_shift
        # data (R13)
        if oc == OC_LOAD or oc == OC_STORE or oc == OC_AMO:
            kind = ACC_LOAD if oc == OC_LOAD else (ACC_STORE if oc == OC_STORE else ACC_AMO)
            now += self._data(pc, di.mem_addr, kind, now)
            last = di.mem_addr + (di.mem_size if di.mem_size else 1) - 1
            if (last >> self.dline_shift) != (di.mem_addr >> self.dline_shift):
                now += self._data(pc, (last >> self.dline_shift) << self.dline_shift, kind,
                                  now)
        # control flow (R11): the calls InOrderCore.consume makes, in the same order for
        # each structure (the direction predictor and the BTB do not see each other)
        elif oc == OC_BRANCH:
            target = di.target
            if self.predict_needed:
                self.dirpred.predict(pc, target)
            self.dirpred.update(pc, di.taken, target)
            if self.indirect is not None:
                self.indirect.branch(di.taken)
            if di.taken:
                self._btb_lookup_insert(pc, target)
            else:
                self.btb.lookup(pc, &predicted)
        elif oc == OC_JAL:
            self._btb_lookup_insert(pc, di.next_pc)
            if di.rd == 1 or di.rd == 5:
                self.ras.push(pc + di.length)
        elif oc == OC_JALR:
            if di.rd == REG_NONE and (di.rs1 == 1 or di.rs1 == 5) and self.ras.depth > 0:
                self.ras.pop(&predicted)
            elif self.indirect is None:
                self._btb_lookup_insert(pc, di.next_pc)
            else:
                indirect_mispredicted(self.indirect, pc, di.next_pc)
            if di.rd == 1 or di.rd == 5:
                self.ras.push(pc + di.length)
        elif oc == OC_CBO:
            now += self._cache_block(di, now)
        self.cycle = now + 1

    cdef inline void _btb_lookup_insert(self, uint64_t pc, uint64_t target) noexcept nogil:
        """BTB.lookup(pc) then BTB.insert(pc, target) in one pass over the set, with the
        same result: on a hit the lookup's stamp is overwritten by the insert's (the clock
        advances twice), on a miss the least recently used way (the first of the oldest)
        gets the entry."""
        cdef uint32_t sets = self.btb.sets, assoc = self.btb.assoc
        if sets == 0:
            return
        cdef uint64_t* tags = self.btb.tags
        cdef uint64_t* stamps = self.btb.stamps
        cdef uint64_t tag = (pc >> 1) + 1
        cdef uint64_t base = ((pc >> 1) & (sets - 1)) * assoc
        cdef uint64_t victim = base
        cdef uint32_t w
        for w in range(assoc):
            if tags[base + w] == tag:
                self.btb.clock += 2
                self.btb.targets[base + w] = target
                stamps[base + w] = self.btb.clock
                return
            if stamps[base + w] < stamps[victim]:
                victim = base + w
        self.btb.clock += 1
        tags[victim] = tag
        self.btb.targets[victim] = target
        stamps[victim] = self.btb.clock

    cdef inline uint32_t _fetch(self, uint64_t pc, uint64_t line, uint64_t now) noexcept nogil:
        """One L1I line fetch, or none when it cannot change any state: a fetch of the
        line its set last fetched, which is resident and most recently used there (the
        L1I allocates on every miss and only fetches to the same set evict from it;
        filter_l1i is on only for an L1I with lru/fifo/plru/random replacement, no
        inclusive level below, no miss classification and no prefetcher). A skipped
        fetch costs the hit latency, as the hit would (no fill is in flight on that
        line: the warmer waited for it, and a prefetch.i forgets its set's entry; no
        other request uses the L1I's port)."""
        cdef uint8_t lvl = 0
        cdef uint64_t s = line & self.iset_mask
        if self.filter_l1i and self.mru_iline[s] == line + 1:
            return self.l1i_hit
        self.mru_iline[s] = line + 1
        return self.l1i.access(pc, line << self.line_shift, ACC_IFETCH, now, &lvl)

    cdef inline uint32_t _data(self, uint64_t pc, uint64_t addr, uint8_t kind,
                               uint64_t now) noexcept nogil:
        """One L1D line access, or none when it cannot change any state: a load, or a
        store to a line known dirty, to the line its set last accessed. That line is
        resident and most recently used in its set (the L1D allocates on every miss and
        only accesses to the same set evict from it: filter_l1d is on only for a
        write-back, write-allocate L1D with no inclusive level below, no miss
        classification and no prefetcher), and a repeated hit on the most recently used
        way of a set leaves lru/fifo/plru/random replacement decisions unchanged."""
        cdef uint8_t lvl = 0
        cdef uint64_t line = addr >> self.dline_shift
        cdef uint64_t s = line & self.set_mask
        cdef bint same = self.mru_line[s] == line + 1
        if (self.filter_l1d and same and kind != ACC_AMO
                and (kind == ACC_LOAD or self.mru_dirty[s])):
            return 0
        cdef uint32_t lat = self.l1d.access(pc, addr, kind, now, &lvl)
        self.mru_dirty[s] = (same and self.mru_dirty[s]) or kind != ACC_LOAD
        self.mru_line[s] = line + 1
        return lat

    cdef uint32_t _cache_block(self, DynInst* di, uint64_t now) noexcept nogil:
        """R15 as InOrderCore._cache_block makes it, untimed: prefetch.i/r/w access the
        L1I/L1D line; cbo.clean/flush/zero (cbo.inval as flush) go to the L1D's block_op.
        A block op may drop or dirty the line, so its set's same-line filter entry is
        forgotten; so is a prefetch.i's (its fill is not waited for)."""
        cdef uint8_t lvl = 0
        cdef uint64_t line = (di.mem_addr >> self.dline_shift) << self.dline_shift
        cdef uint64_t iline
        if di.flags & DI_PREFETCH:
            if di.cbo == CB_PREFETCH_I:
                iline = di.mem_addr >> self.line_shift
                self.l1i.access(di.pc, iline << self.line_shift, ACC_IFETCH, now, &lvl)
                self.mru_iline[iline & self.iset_mask] = 0
            else:
                self._data(di.pc, line, ACC_LOAD, now)
            return 0                    # a hint nobody waits for
        cdef uint32_t lat = self.l1d.block_op(di.pc, line, di.cbo, now)
        self.mru_line[(line >> self.dline_shift) & self.set_mask] = 0
        return lat


def predictor_state(TimingModel core not None):
    """The predictor state of `core` (in-order or out-of-order) as plain Python values (for
    tests that compare warmed and detailed state): the counter tables and global history
    of a bimodal, gshare or tournament direction predictor (empty for others, e.g. TAGE,
    whose state is not exposed); BTB tags, targets, LRU stamps and clock; RAS stack, top
    and count."""
    cdef FunctionalWarmer w = FunctionalWarmer(core)     # (it finds the structures)
    cdef BTB b = w.btb
    cdef RAS r = w.ras
    cdef Bimodal bi
    cdef GShare gs
    cdef Tournament tn
    dirpred = w.dirpred
    n = b.sets * b.assoc
    direction = {}
    if isinstance(dirpred, Bimodal):
        bi = dirpred
        direction = {"counters": [bi.counters[i] for i in range(bi.mask + 1)]}
    elif isinstance(dirpred, GShare):
        gs = dirpred
        direction = {"counters": [gs.counters[i] for i in range(gs.mask + 1)],
                     "history": gs.history}
    elif isinstance(dirpred, Tournament):
        tn = dirpred
        direction = {"local": [tn.local[i] for i in range(tn.mask + 1)],
                     "global": [tn.glob[i] for i in range(tn.mask + 1)],
                     "chooser": [tn.chooser[i] for i in range(tn.chooser_mask + 1)],
                     "history": tn.history}
    return {
        "direction": direction,
        "btb.tags": [b.tags[i] for i in range(n)],
        "btb.targets": [b.targets[i] for i in range(n)],
        "btb.stamps": [b.stamps[i] for i in range(n)],
        "btb.clock": b.clock,
        "ras.stack": [r.stack[i] for i in range(r.depth)],
        "ras.top": r.top,
        "ras.count": r.count,
    }
