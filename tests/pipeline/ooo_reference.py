"""A plain cycle-by-cycle model of the out-of-order core's rules (docs/pipeline-ooo.md).

Independent of pipeline/ooo.pyx: it keeps real queues and walks the cycles one by one,
each cycle doing commit, issue, dispatch and fetch, and decides every occupancy limit by
counting the instructions that hold an entry in that cycle. It is slow and meant to be
obviously right. Input: a list of instruction dicts (as pipeline._testing.feed takes)
and the same OooParams; the memory answers through two callables.

Per cycle t, an entry freed in cycle t counts as still held in cycle t (docs: "a resource
freed in cycle t can be taken again in cycle t + 1"), so the stages may run in any order.
"""
from __future__ import annotations

from dataclasses import dataclass

ALU, BRANCH, JAL, JALR, LOAD, STORE, AMO, MUL, DIV = range(9)
FADD, FMUL, FMA, FDIV, FSQRT, FCVT, SYSTEM, NOP = range(9, 17)
POPCOUNT, CLMUL, CBO = range(17, 20)
# O21: a cbo.* (clean, flush, zero, inval) is timed as a store to its block, a prefetch.*
# as a load hint; the reference tells them apart by these pseudo op classes.
BLOCK, HINT = 100, 101
OPCLASS = {"alu": ALU, "branch": BRANCH, "jal": JAL, "jalr": JALR, "load": LOAD,
           "store": STORE, "amo": AMO, "mul": MUL, "div": DIV, "fadd": FADD, "fmul": FMUL,
           "fma": FMA, "fdiv": FDIV, "fsqrt": FSQRT, "fcvt": FCVT, "system": SYSTEM,
           "nop": NOP, "popcount": POPCOUNT, "clmul": CLMUL, "cbo": CBO}
UNIT = {ALU: "alu", SYSTEM: "alu", NOP: "alu", BRANCH: "branch", JAL: "branch",
        JALR: "branch", MUL: "mul", DIV: "div", LOAD: "load", AMO: "load", STORE: "store",
        FADD: "fpu", FMUL: "fpu", FMA: "fpu", FCVT: "fpu", FDIV: "fdiv", FSQRT: "fdiv",
        POPCOUNT: "mul", CLMUL: "mul", BLOCK: "store", HINT: "load"}
STORES = (STORE, BLOCK)        # O13/O17: a store's two halves; O10 SQ; O16; O18


def cbo_kind(raw):
    """O21: HINT for prefetch.i/r/w (ORI encodings), else BLOCK with its funct12
    (0 inval, 1 clean, 2 flush, 4 zero)."""
    return (HINT, None) if raw & 0x7F == 0x13 else (BLOCK, (raw >> 20) & 0xFFF)
QUEUE = {"alu": 0, "branch": 0, "mul": 0, "div": 0, "load": 1, "store": 1, "fpu": 2, "fdiv": 2}


@dataclass
class Inst:
    k: int
    oc: int
    pc: int
    length: int
    rd: int
    srcs: list
    addr: int
    size: int
    redirect: int           # O3: 0 none, 1 taken, 2 decode redirect, 3 mispredict
    fetch_stall: int        # O4 stall if this instruction starts a new line
    producers: list = None
    data_producer: "Inst" = None  # O13: a store's data register's producer (its STD waits)
    J: int = None                 # O13: a store's STD cycle
    fwd_from: "Inst" = None       # O18: the store a load's data is forwarded from
    F: int = None
    D: int = None
    I: int = None
    X: int = None
    C: int = None
    port: int = None
    forwarded: bool = False
    replay_on: "Inst" = None     # O18: waiting for this store to commit
    ssid: int = None             # O16s: its store set at dispatch
    ss_dep: "Inst" = None        # O16s: the set's last store when it dispatched
    viol: int = None             # O22: cycle its conflicting store's address resolved
    viol_store: "Inst" = None
    refetched: bool = False      # O22: fetched again after a violation
    violations: int = 0


def predict(insts):
    """O3/O5 for the streams of the tests: static not-taken direction, a BTB that never
    evicts (few distinct pcs), no returns. Returns the redirect kind of each."""
    btb = {}
    out = []
    for d in insts:
        oc = d["oc"]
        kind = 0
        if oc == BRANCH:
            kind = 3 if d["taken"] else 0
            if d["taken"]:
                btb[d["pc"]] = d["next_pc"]       # taken branches train the BTB too
        elif oc == JAL:
            kind = 1 if btb.get(d["pc"]) == d["next_pc"] else 2
            btb[d["pc"]] = d["next_pc"]
        elif oc == JALR:
            kind = 1 if btb.get(d["pc"]) == d["next_pc"] else 3
            btb[d["pc"]] = d["next_pc"]
        out.append(kind)
    return out


def simulate(stream, p, *, dcache, icache_stall, line_size=64, max_cycles=10_000_000):
    """Run `stream` (dicts with oc, pc, length, rd, rs1, rs2, rs3, mem_addr, mem_size,
    redirect) on OooParams p. dcache(inst) -> latency of its L1D access; icache_stall(inst)
    -> O4 stall when it starts a new fetch line. Returns the list of Inst with F D I X C."""
    lat = {ALU: 1, BRANCH: 1, JAL: 1, JALR: 1, STORE: 1, SYSTEM: 1, NOP: 1, HINT: 1,
           POPCOUNT: p.popcount_latency, CLMUL: p.clmul_latency,
           MUL: p.mul_latency, DIV: p.div_latency, FADD: p.fadd_latency,
           FMUL: p.fmul_latency, FMA: p.fma_latency, FDIV: p.fdiv_latency,
           FSQRT: p.fsqrt_latency, FCVT: p.fcvt_latency}
    ports = []                                   # O14: units of each port, in order
    for spec in (p.int_ports, p.mem_ports, p.fp_ports):
        ports += [{u.strip() for u in part.split("+")} for part in spec.split(",") if part.strip()]
    unpipelined = set() if p.div_pipelined else {"div", "fdiv"}
    iq_size = [p.int_iq_entries, p.mem_iq_entries, p.fp_iq_entries]

    policy = getattr(p, "memory_dependence", "wait")
    ssit, lfst = {}, {}           # O16s: SSIT index -> store-set id; id -> last store
    clear = getattr(p, "store_set_clear_cycles", 0) if policy == "store_sets" else 0

    def ssit_index(pc):
        return (pc >> 1) & (p.ssit_entries - 1)

    def overlap(a, b):
        return a.size and b.size and a.addr < b.addr + b.size and b.addr < a.addr + a.size

    insts = []
    last_writer = {}
    for k, d in enumerate(stream):
        srcs = [r for r in (d.get("rs1", 0), d.get("rs2", 0), d.get("rs3", 0)) if r]
        oc = d["oc"]
        size = d.get("mem_size", 0) or (8 if oc in (LOAD, STORE, AMO) else 0)
        addr = d.get("mem_addr", 0)
        if oc == CBO:
            oc, funct = cbo_kind(d["raw"])
            if oc == BLOCK:       # O21: the SQ entry is the block; clean/flush hold no data
                addr = addr // line_size * line_size
                size = line_size if funct == 4 else 0
        i = Inst(k, oc, d["pc"], d.get("length", 4), d.get("rd", 0), srcs,
                 addr, size, d["redirect"], 0)
        if oc in STORES:             # O13: the STA waits for the address (rs1) only
            addr_src = [r for r in (d.get("rs1", 0),) if r]
            data_src = d.get("rs2", 0)
            i.producers = [last_writer[r] for r in addr_src if r in last_writer]
            i.data_producer = last_writer.get(data_src) if data_src else None
        else:
            i.producers = [last_writer[r] for r in srcs if r in last_writer]
        if i.rd:
            last_writer[i.rd] = i
        insts.append(i)
    n = len(insts)
    line_shift = line_size.bit_length() - 1

    next_fetch = 0          # index of the next instruction to fetch
    fetch_ok_at = 0         # O3: earliest fetch cycle of the next instruction
    blocked_on = None       # O3: mispredicted branch fetch waits for
    pending = None          # O4: (inst, arrival cycle) of a line being fetched
    last_line = None
    next_dispatch = 0
    next_commit = 0
    unit_busy = {}          # (port, unit) -> (first free cycle, holder)
    t = 0
    while next_commit < n:
        if t > max_cycles:
            raise RuntimeError("reference model did not finish")
        # Instructions before these committed (dispatched) before cycle t: they hold no ROB,
        # queue or register entry (no fetch-buffer entry) in cycle t, and have issued.
        held_from = next_commit
        buffered_from = next_dispatch
        # ---------------- the STD of a store, once its data's cycle is known (O13, O17,
        # O18); in program order, so that a forwarding load sees its store's STD.
        for i in insts[next_commit:next_dispatch]:
            if i.oc in STORES and i.J is None:
                q = i.data_producer
                if q is None or q.X is not None:
                    i.J = max(i.D + 1, q.X if q is not None else 0)
            if i.oc in STORES and i.X is None and i.I is not None and i.J is not None:
                i.X = max(i.I, i.J) + 1
            if i.fwd_from is not None and i.X is None and i.fwd_from.J is not None:
                i.X = max(i.I, i.fwd_from.J) + p.store_forward_latency
        if clear and t % clear == 0:
            ssit.clear()                                               # O16s clearing
        # ---------------- commit (O19); a violating load at the ROB head flushes (O22)
        c = 0
        while next_commit < n and c < p.commit_width:
            i = insts[next_commit]
            if i.viol is not None:
                if i.viol <= t and (i.k == 0 or insts[i.k - 1].C < t):
                    if policy == "store_sets":                       # train the SSIT
                        li, si = ssit_index(i.pc), ssit_index(i.viol_store.pc)
                        ls, ss = ssit.get(li), ssit.get(si)
                        sid = (li & (p.lfst_entries - 1)) if ls is None and ss is None \
                            else min(x for x in (ls, ss) if x is not None)
                        ssit[li] = ssit[si] = sid
                    squashed = [j for j in insts[i.k:] if j.F is not None]
                    gone = set(id(j) for j in squashed)
                    for j in squashed:
                        j.F = j.D = j.I = j.X = j.J = j.port = None
                        j.fwd_from = j.replay_on = j.ss_dep = j.viol = j.viol_store = None
                        j.ssid = None
                        j.forwarded = False
                        j.refetched = False
                    for key in [k2 for k2, (_, who) in unit_busy.items() if id(who) in gone]:
                        del unit_busy[key]
                    for key in [k2 for k2, who in lfst.items() if id(who) in gone]:
                        del lfst[key]
                    i.refetched = True
                    i.violations += 1
                    next_fetch = next_dispatch = i.k
                    fetch_ok_at = t + p.violation_penalty
                    blocked_on = None
                    pending = None
                    last_line = (i.pc + max(i.length, 2) - 1) >> line_shift
                break
            if i.X is None or i.X > t:
                break
            i.C = t
            next_commit += 1
            c += 1
        # ---------------- issue (O13-O18): ready instructions, oldest first
        taken_ports = set()
        issued_stores = []
        for i in insts[next_commit:next_dispatch]:
            if i.I is not None or i.D > t - 1:
                continue
            if any(q.X is None or q.X > t for q in i.producers):
                continue                                              # O13
            u = UNIT[i.oc]
            if (i.oc == AMO or (i.oc == LOAD and policy == "wait")) \
                    and any(s.I is None or s.I > t - 1 for s in insts[held_from:i.k]
                            if s.oc in (STORE, BLOCK, AMO)):
                continue                                              # O16
            if i.ss_dep is not None and (i.ss_dep.I is None or i.ss_dep.I > t - 1):
                continue                                              # O16s
            if u in unpipelined and any(o.I is None for o in insts[held_from:i.k]
                                        if UNIT[o.oc] == u):
                continue                                              # O15 order
            if i.replay_on is not None and (i.replay_on.C is None or i.replay_on.C >= t):
                continue                                              # O18 replay wait
            port = None
            for k, units in enumerate(ports):
                if u in units and k not in taken_ports \
                        and not (u in unpipelined and unit_busy.get((k, u), (0,))[0] > t):
                    port = k
                    break
            if port is None:
                continue                                              # O14
            taken_ports.add(port)
            if u in unpipelined:
                unit_busy[(port, u)] = (t + lat[i.oc], i)
            if i.oc == LOAD:
                s = None
                for o in reversed(insts[held_from:i.k]):              # O18
                    if o.oc in (STORE, BLOCK, AMO) and o.I is not None and o.I < t \
                            and overlap(o, i):
                        s = o                 # the youngest with a known address
                        break
                if s is not None and (s.C is None or s.C >= t):
                    if s.addr <= i.addr and i.addr + i.size <= s.addr + s.size:
                        i.I, i.port, i.forwarded, i.fwd_from = t, port, True, s
                        if s.J is not None:
                            i.X = max(t, s.J) + p.store_forward_latency
                    else:
                        i.replay_on = s
                    continue
                i.replay_on = None
                i.I, i.port = t, port
                i.X = t + max(1, dcache(i))
            elif i.oc in STORES:
                i.I, i.port = t, port
                issued_stores.append(i)
                if i.ssid is not None and lfst.get(i.ssid) is i:
                    del lfst[i.ssid]                                  # O16s invalidate
                if i.J is not None:
                    i.X = max(t, i.J) + 1
            elif i.oc == AMO:
                i.I, i.port = t, port
                issued_stores.append(i)
                i.X = t + max(1, dcache(i))
            else:
                i.I, i.port = t, port
                i.X = t + lat[i.oc]
        # O22: a store whose address resolves in cycle t finds the younger loads that
        # already read (in this cycle too) without seeing it
        for s in issued_stores:
            for j in insts[s.k + 1:next_dispatch]:
                if j.oc == LOAD and j.I is not None and j.viol is None and overlap(s, j) \
                        and (j.fwd_from is None or j.fwd_from.k < s.k):
                    j.viol, j.viol_store = t + 1, s
        # ---------------- dispatch (O6-O12)
        held = lambda j: j.D is not None and (j.C is None or j.C >= t)  # noqa: E731
        d = 0
        while next_dispatch < next_fetch and d < p.decode_width:
            i = insts[next_dispatch]
            if i.F + p.frontend_depth > t:                            # O6
                break
            window = [j for j in insts[held_from:i.k] if held(j)]
            if len(window) >= p.rob_entries:                          # O8
                break
            q = QUEUE[UNIT[i.oc]]
            if sum(1 for j in window if QUEUE[UNIT[j.oc]] == q
                   and (j.I is None or j.I >= t
                        or (j.oc in STORES and (j.J is None or j.J >= t)))) \
                    >= iq_size[q]:                                    # O9
                break
            if i.oc in (LOAD, AMO) and sum(1 for j in window if j.oc in (LOAD, AMO)) \
                    >= p.lq_entries:                                  # O10
                break
            if i.oc in (STORE, BLOCK, AMO) \
                    and sum(1 for j in window if j.oc in (STORE, BLOCK, AMO)) \
                    >= p.sq_entries:
                break
            if 0 < i.rd < 32 and sum(1 for j in window if 0 < j.rd < 32) \
                    >= p.int_phys_regs - 32:                          # O11
                break
            if i.rd >= 32 and sum(1 for j in window if j.rd >= 32) >= p.fp_phys_regs - 32:
                break
            serial = i.oc in (SYSTEM, AMO)
            if serial and window:                                     # O12
                break
            if any(j.oc in (SYSTEM, AMO) for j in window):
                break
            i.D = t
            if policy == "store_sets" and i.oc in (LOAD, STORE, BLOCK):   # O16s
                sid = ssit.get(ssit_index(i.pc))
                if sid is not None:
                    i.ss_dep = lfst.get(sid)
                    if i.oc != LOAD:
                        i.ssid = sid
                        lfst[sid] = i
            next_dispatch += 1
            d += 1
        # ---------------- fetch (O1-O4)
        f = 0
        if blocked_on is not None and blocked_on.X is not None:
            fetch_ok_at = blocked_on.X + p.redirect_penalty
            blocked_on = None
        while f < p.fetch_width and blocked_on is None:
            if pending is not None:
                i, arrive = pending
                if arrive > t:
                    break
                pending = None
            else:
                if next_fetch >= n or t < fetch_ok_at:
                    break
                i = insts[next_fetch]
                in_buffer = sum(1 for j in insts[buffered_from:i.k] if j.F is not None
                                and (j.D is None or j.D >= t))
                if in_buffer >= p.fetch_buffer_entries:               # O2
                    break
                first = i.pc >> line_shift
                last = (i.pc + max(i.length, 2) - 1) >> line_shift
                new_line = last_line is None or first != last_line or last != first
                if i.refetched:
                    new_line = False              # O22: its line was fetched just before
                last_line = last
                stall = icache_stall(i) if new_line else 0
                if stall > 0:                                          # O4
                    i.fetch_stall = stall
                    pending = (i, t + stall)
                    break
            i.F = t
            next_fetch += 1
            f += 1
            if i.redirect == 1:                                       # O3
                fetch_ok_at = t + 1
                break
            if i.redirect == 2:
                fetch_ok_at = t + p.frontend_depth
                break
            if i.redirect == 3:
                blocked_on = i
                break
        t += 1
    return insts
