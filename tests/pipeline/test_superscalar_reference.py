"""The superscalar in-order model (pipeline/superscalar.pyx) against a cycle-by-cycle model.

The reference below knows nothing of the max() recurrences of the fast model. It keeps
every sub-stage (F1..Fn, D1..Dn, EX, MEM, WB) as a list of at most `width` instructions and
steps one cycle at a time: each cycle it first retires WB, then tries to move the
instructions of each stage, from MEM back to the last decode stage, oldest first, into the
next one (an instruction moves when its own time in the stage is over, the next stage has
a free slot, every older instruction has moved and its entry hazards are clear), then
fetches into F1. The rules it implements are those of docs/pipeline.md (R1..R13 and
S1..S9), written out from the text: pairing limits and forbidden pairs per cycle, the late
ALU, fetch groups that end at a taken branch or a new line, redirects per resolve stage.

Checked: every instruction's entry cycle into IF (F1), ID (D1), EX, MEM and WB, on random
instruction streams and on the instruction streams of real workloads, for widths 2 and 3
and several rule settings.
"""
import random
import zlib

import pytest

from pipeline._testing import ScriptedLevel, feed
from pipeline.bpred import BTB, RAS, make_predictor
from pipeline.superscalar import SuperscalarCore
from pipeline.types import OpClass

P = 0x10000
INF = float("inf")
OC = {int(v): v.name[3:].lower() for v in OpClass}
CLASS = {"alu": "alu", "nop": "alu", "load": "mem", "store": "mem", "amo": "mem",
         "branch": "branch", "jal": "branch", "jalr": "branch", "mul": "muldiv",
         "div": "muldiv", "fadd": "fp", "fmul": "fp", "fma": "fp", "fdiv": "fp",
         "fsqrt": "fp", "fcvt": "fp", "system": "system"}
LONG = {"mul": "mul_latency", "div": "div_latency", "fadd": "fadd_latency",
        "fmul": "fmul_latency", "fma": "fma_latency", "fdiv": "fdiv_latency",
        "fsqrt": "fsqrt_latency", "fcvt": "fcvt_latency"}
ITERATIVE = ("div", "fdiv", "fsqrt")      # follow div_pipelined; the rest long_ops_pipelined


def pair_ok(group, cfg):
    """May these classes (a list) enter EX in one cycle? (rule S5)"""
    W = cfg["width"]
    if len(group) > W:
        return False
    if "system" in group and len(group) > 1:
        return False
    limit = {"mem": cfg["mem_per_cycle"], "branch": cfg["branch_per_cycle"],
             "muldiv": cfg["muldiv_per_cycle"], "fp": cfg["fp_per_cycle"]}
    for k, n in limit.items():
        if group.count(k) > n:
            return False
    for pair in filter(None, cfg["no_pair"].split(",")):
        a, b = pair.split("+")
        if (a != b and a in group and b in group) or (a == b and group.count(a) > 1):
            return False
    return True


def reference(insts, cfg, ilat, dlat):
    n = len(insts)
    W, nf, nd = cfg["width"], cfg["fetch_stages"], cfg["decode_stages"]
    X, M, WB = nf + nd, nf + nd + 1, nf + nd + 2         # sub-stage numbers
    full = cfg["forwarding"] == "full"
    S = {"ID": X - 1, "EX": X, "MEM": M}[cfg["branch_resolve_stage"]]
    D = cfg["late_alu_delay"]
    N = cfg["store_buffer_entries"]
    E = [dict() for _ in range(n)]
    own = [dict() for _ in range(n)]                      # time needed in a sub-stage
    late = [False] * n
    value = [None] * n                                    # cycle the result is usable
    # Registers are tracked by producer: prod[i] names, for each source of i, the last older
    # instruction (in program order) writing it; value[j] is the cycle j's result is usable
    # through the bypasses (None while unknown), rfw[j] the cycle it is usable from the
    # register file (rule 5).
    writer, prod, waw_prev, rfw = {}, [None] * n, [None] * n, [None] * n

    def usable(i, k, via_rf=False):
        j = prod[i][k]
        if j is None:
            return 0
        v = rfw[j] if via_rf else value[j]
        return INF if v is None else v

    sb_finish, sb_last = [], 0
    stage = [[] for _ in range(WB + 1)]
    btb, ras = {}, []
    gate = None                 # (instruction, "mispredict" or "decode"): fetch waits for it
    held = None                 # line held by the fetch buffer
    fetch_floor = 0             # earliest cycle of the next fetch (taken branch: next cycle)
    nxt, t, done = 0, 0, 0

    def lines(a, size):
        return sorted({a >> 6, (a + max(size, 1) - 1) >> 6})

    def ex_ready(i):
        d = insts[i]
        op = d["opclass"]
        cand = cfg["late_alu"] and full and (op == "alu" or (op == "branch" and S != X - 1))
        extra = 1 if (S == X - 1 and op in ("branch", "jalr") and full) else 0
        srcs = [d.get("rs1"), d.get("rs2"), d.get("rs3")]
        if full and op in ("store", "amo"):
            srcs[1] = None
        go_late = False
        for k, r in enumerate(srcs):
            if not r:
                continue
            if not full:
                if usable(i, k, True) > t:
                    return False, False
                continue
            need = usable(i, k) + (extra if k < 2 else 0)
            if need <= t:
                continue
            if cand and k < 2 and need <= t + D:
                go_late = True
                continue
            return False, False
        rd = d.get("rd")
        j = waw_prev[i]
        if rd and j is not None and not late[j]:           # rule 6 (not for late ALU, S7)
            lat = 2 if op in ("load", "amo") else cfg.get(LONG.get(op, ""), 1)
            v = value[j]
            if v is None:
                return False, False                         # older writer not yet in EX/MEM
            if WB in E[j]:
                is_late = v > E[j][WB] and not late[j]
            elif M in E[j] and v <= E[j][M] + own[j].get(M, 1):
                is_late = False                             # WB comes no earlier than v
            elif insts[j]["opclass"] not in ("load", "store", "amo") and \
                    v <= E[j][X] + own[j].get(X, 1) + 1:
                is_late = False
            else:
                is_late = v - lat + 1 > t               # undecided yet: wait while it binds
            if is_late and v - lat + 1 > t:
                return False, False
        return True, go_late

    def gate_open(g):
        if g is None:
            return True
        i, kind = g
        if kind == "decode":                              # target known after decode
            return X in E[i] and E[i][X] <= t
        if X not in E[i]:
            return False
        if late[i]:                                       # resolved in the late ALU
            return M in E[i] and E[i][M] + D <= t
        return S + 1 in E[i] and E[i][S + 1] <= t

    while done < n:
        done += len(stage[WB])
        stage[WB] = []
        for s in range(M, -1, -1):                        # move stage s into s + 1
            # the issue group: instructions that entered EX in this cycle
            group = [CLASS[insts[j]["opclass"]] for j in stage[X] if E[j][X] == t] \
                if s == X - 1 else None
            moved = []
            for i in list(stage[s]):
                d = insts[i]
                op = d["opclass"]
                if t < E[i][s] + own[i].get(s, 1) or len(stage[s + 1]) >= W:
                    break
                if s == X - 1:                            # issue into EX
                    ok, go_late = ex_ready(i)
                    if not ok or not pair_ok(group + [CLASS[op]], cfg):
                        break
                    group.append(CLASS[op])
                    late[i] = go_late
                    if op in LONG:
                        piped = cfg["div_pipelined"] if op in ITERATIVE \
                            else cfg["long_ops_pipelined"]
                        own[i][X] = 1 if piped else cfg[LONG[op]]
                    if d.get("rd"):
                        rd = d["rd"]
                        if op in ("load", "amo") or go_late:
                            value[i] = None
                        else:
                            value[i] = t + cfg.get(LONG.get(op, ""), 1)
                if s == X:                                # EX -> MEM
                    if op in ("store", "amo"):
                        if full and d.get("rs2") and usable(i, 1) > t:
                            break
                        if op == "store" and N and len(sb_finish) >= N and sb_finish[-N] > t:
                            break
                        if op == "amo" and sb_last > t:
                            break
                    if op in ("load", "store", "amo"):
                        L = max(max(dlat(a << 6) for a in lines(d["mem_addr"],
                                                                  d.get("mem_size", 8))), 1)
                        if op == "store" and N:
                            start = max(t, sb_last)
                            sb_last = start + L
                            sb_finish.append(sb_last)
                        elif op == "load":
                            own[i][M] = L if cfg["mem_blocking"] else 1
                            value[i] = t + L
                        else:
                            own[i][M] = L
                            if d.get("rd"):
                                value[i] = t + L
                    if late[i] and d.get("rd"):
                        value[i] = t + D
                if s == M and d.get("rd"):                # MEM -> WB: register file write
                    v = value[i]
                    rfw[i] = (v + 1) if (v > t and not late[i]) else t + 1
                E[i][s + 1] = t
                stage[s + 1].append(i)
                moved.append(i)
            for i in moved:
                stage[s].remove(i)
        # fetch into F1: in order, after the redirect, one line and no taken branch per group
        fetched = 0
        while nxt < n and len(stage[0]) < W and t >= fetch_floor and gate_open(gate):
            i = nxt
            d = insts[i]
            ls = lines(d["pc"], d.get("length", 4))
            if ls[0] != held and fetched:
                break                                     # a new line starts a new group
            tif = 1
            for k, line in enumerate(ls):
                if k or line != held:
                    tif = max(tif, ilat(line << 6))
            own[i][0] = tif if cfg["fetch_blocking"] else 1
            held = ls[-1]
            E[i][0] = t
            stage[0].append(i)
            prod[i] = [writer.get(d.get(r)) if d.get(r) else None for r in ("rs1", "rs2", "rs3")]
            if d.get("rd"):
                waw_prev[i] = writer.get(d["rd"])
                writer[d["rd"]] = i
            nxt += 1
            fetched += 1
            op = d["opclass"]
            rd = d.get("rd", 0)
            gate = None
            if op == "branch" and d["taken"]:             # static not-taken: mispredicted
                gate = (i, "mispredict")
                btb[d["pc"]] = d["next_pc"]               # the BTB learns taken branches
            elif op == "jal":
                if btb.get(d["pc"]) != d["next_pc"]:
                    gate = (i, "decode")
                btb[d["pc"]] = d["next_pc"]
            elif op == "jalr":
                if rd == 0 and d.get("rs1") in (1, 5):
                    if not ras or ras.pop() != d["next_pc"]:
                        gate = (i, "mispredict")
                else:
                    if btb.get(d["pc"]) != d["next_pc"]:
                        gate = (i, "mispredict")
                    btb[d["pc"]] = d["next_pc"]
            if op in ("jal", "jalr") and rd in (1, 5):
                ras.append(d["pc"] + d.get("length", 4))
                del ras[:-8]
            if gate is not None:
                break
            if d.get("taken") and op in ("branch", "jal", "jalr"):
                fetch_floor = t + 1                       # a taken branch ends the group
                break
        t += 1
    return [(E[i][0], E[i][nf], E[i][X], E[i][M], E[i][WB]) for i in range(n)]


def random_config(rng, width):
    full = rng.random() < 0.75
    cfg = dict(width=width, fetch_stages=rng.randint(1, 3), decode_stages=rng.randint(1, 3),
               forwarding="full" if full else "none",
               branch_resolve_stage=rng.choice(["ID", "EX", "EX", "MEM"]),
               late_alu=full and rng.random() < 0.5, late_alu_delay=rng.randint(1, 3),
               mem_per_cycle=rng.randint(1, width), branch_per_cycle=rng.randint(1, width),
               muldiv_per_cycle=rng.randint(1, width), fp_per_cycle=rng.randint(1, width),
               no_pair=",".join(rng.sample(["branch+muldiv", "branch+fp", "muldiv+fp",
                                            "mem+fp", "alu+alu", "mem+branch"],
                                           rng.randint(0, 3))),
               mul_latency=rng.randint(1, 5), div_latency=rng.randint(1, 12),
               fadd_latency=rng.randint(1, 5),
               long_ops_pipelined=rng.random() < 0.5, div_pipelined=rng.random() < 0.5,
               fetch_blocking=rng.random() < 0.7, mem_blocking=rng.random() < 0.7,
               store_buffer_entries=rng.choice([0, 1, 2, 4]))
    return cfg


def random_stream(rng):
    insts, pc = [], P
    for i in range(400):
        op = rng.choice(["alu"] * 6 + ["load"] * 3 + ["store"] * 2 + ["mul", "div", "fadd"]
                        + ["branch"] * 2 + ["jal"])
        recent = [1 + (i - k) % 31 for k in range(1, 4)]
        d = dict(opclass=op, pc=pc, rs1=rng.choice(recent + [0]), rs2=rng.choice(recent + [0]))
        nxt = pc + 4
        if op in ("alu", "load", "mul", "div"):
            d["rd"] = 1 + i % 31
        if op == "fadd":
            d.update(rd=32 + i % 8, rs1=32 + (i - 1) % 8, rs2=32 + (i - rng.randint(1, 3)) % 8)
        if op in ("load", "store"):
            d["mem_addr"] = 0x800000 + 64 * rng.randrange(16) + 8 * rng.randrange(8)
            d["mem_size"] = 8
        if op == "branch":
            d["taken"] = rng.random() < 0.4
            d["target"] = P + 4 * ((pc - P) // 4 * 7 % 256)
            nxt = d["target"] if d["taken"] else nxt
        if op == "jal":
            nxt = P + 4 * ((pc - P) // 4 * 13 % 256)
            d["taken"] = True
        d["next_pc"] = nxt
        insts.append(d)
        pc = nxt
    return insts


def run_both(cfg, insts, ilines, dlines):
    l1i, l1d = ScriptedLevel(1, 1), ScriptedLevel(1, 1)
    for a, L in ilines.items():
        l1i.set(a, L, 2)
    for a, L in dlines.items():
        l1d.set(a, L, 2)
    core = SuperscalarCore(l1i, l1d, make_predictor("static_nt"), BTB(4096, 4), RAS(8), **cfg)
    core.enable_trace(0, len(insts))
    feed(core, insts)
    tr = core.pipeline_trace()
    got = list(zip(*(tr[f].tolist() for f in ("if_cycle", "id_cycle", "ex_cycle",
                                               "mem_cycle", "wb_cycle"))))
    want = reference(insts, cfg, lambda a: ilines.get(a, 1), lambda a: dlines.get(a, 1))
    for k, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"instruction {k} {insts[k]}: model {g}, reference {w}, cfg {cfg}"
    stack = core.cpi_stack()
    assert sum(stack.values()) == core.stats()["core.cycles"] == got[-1][4] + 1
    check_slots(core, cfg, tr, [w[4] for w in want])
    return core


def check_slots(core, cfg, tr, wb):
    """S9 from the reference's commit cycles: the empty slots before each commit (the
    rest of the last commit cycle, width per cycle between) under the part the record
    names, the open cycle's rest under the last one; retiring one per instruction. The
    model's slot counts must be exactly these."""
    from pipeline.trace import SLOT_PART_NAMES

    w = cfg.get("width", 1)
    last = cfg.get("fetch_stages", 1) + cfg.get("decode_stages", 1) + 1   # virtual WB
    want = dict.fromkeys(core.slot_counts(), 0)
    want["retiring"] = len(wb)
    want["frontend_bandwidth"] = w * (last + 1)          # the pipeline fill
    used, part = w, None
    for k, c in enumerate(wb):
        empty = (w - used) + w * (c - last - 1) if c > last else 0
        used = 1 if c > last else used + 1
        last = max(last, c)
        if empty:
            assert tr["slot_part"][k] != 255, f"instruction {k}: {empty} slots, no part"
            part = SLOT_PART_NAMES[tr["slot_part"][k]]
            want[part] += empty
        else:
            assert tr["slot_part"][k] == 255, f"instruction {k}: a part, no empty slot"
    if part is not None:
        want[part] += w - used
    assert core.slot_counts() == want


@pytest.mark.parametrize("width", [2, 3])
@pytest.mark.parametrize("seed", range(30))
def test_random_streams_match_the_cycle_by_cycle_model(seed, width):
    rng = random.Random(7000 + 100 * width + seed)
    cfg = random_config(rng, width)
    ilines = {P + 64 * k: rng.choice([1, 3, 9]) for k in range(16)}
    dlines = {0x800000 + 64 * k: rng.choice([1, 1, 2, 7, 20]) for k in range(16)}
    run_both(cfg, random_stream(rng), ilines, dlines)


# ------------------------------------------------------------------ real workload streams
_streams: dict = {}


def workload_stream(name, skip, count):
    """DynInsts number skip .. skip+count-1 of workload `name`, as feed() dicts."""
    key = (name, skip, count)
    if key in _streams:
        return _streams[key]
    import cyclesim
    import pipeline.build
    from cyclesim.isa._coretest import RecordingModel

    class Recorder(RecordingModel):
        def stats(self):
            return {}

        def reset_stats(self):
            pass

    made = []

    def build(*args, **kwargs):
        made.append(Recorder(skip + count))
        return made[-1]

    real = pipeline.build.build_core
    pipeline.build.build_core = build
    try:
        cyclesim.run(name, *cyclesim.workloads.info(name)["default_args"],
                     max_insts=skip + count, sample_interval=None)
    finally:
        pipeline.build.build_core = real
    recs = made[0].records()[skip:]
    fields = ("pc", "next_pc", "mem_addr", "raw", "op", "length", "rd", "rs1", "rs2",
              "rs3", "mem_size", "taken")
    out = [dict({f: int(r[f]) for f in fields}, opclass=OC[int(r["opclass"])]) for r in recs]
    _streams[key] = out
    return out


WORKLOAD_CONFIGS = [
    # the u74 preset's core rules
    dict(width=2, fetch_stages=2, decode_stages=2, late_alu=True, late_alu_delay=2,
         mem_per_cycle=1, branch_per_cycle=1, muldiv_per_cycle=1, fp_per_cycle=1,
         no_pair="branch+muldiv,branch+fp,muldiv+fp", mem_blocking=False, mul_latency=3,
         fadd_latency=5, fmul_latency=5, fma_latency=5, store_buffer_entries=8),
    # three-wide, two memory ops per cycle, no late ALU, branches resolved in MEM
    dict(width=3, fetch_stages=1, decode_stages=3, mem_per_cycle=2, branch_per_cycle=1,
         muldiv_per_cycle=1, fp_per_cycle=2, branch_resolve_stage="MEM", mem_blocking=True,
         store_buffer_entries=2, long_ops_pipelined=False),
    # dual issue without forwarding, blocking fetch, ID-resolved branches
    dict(width=2, fetch_stages=3, decode_stages=1, forwarding="none",
         branch_resolve_stage="ID", mem_per_cycle=2, branch_per_cycle=2, no_pair="mem+branch",
         store_buffer_entries=0),
    # three-wide with a late ALU one cycle after EX, every class twice per cycle
    dict(width=3, fetch_stages=2, decode_stages=2, late_alu=True, late_alu_delay=1,
         mem_per_cycle=2, branch_per_cycle=2, muldiv_per_cycle=2, fp_per_cycle=2,
         mem_blocking=True, div_pipelined=True),
]
_DEFAULTS = dict(forwarding="full", branch_resolve_stage="EX", late_alu=False,
                 late_alu_delay=2, no_pair="", mul_latency=3, div_latency=20,
                 fadd_latency=4, fmul_latency=4, fma_latency=5, fdiv_latency=20,
                 fsqrt_latency=25, fcvt_latency=2, long_ops_pipelined=True,
                 div_pipelined=False, fetch_blocking=True, mem_blocking=True,
                 store_buffer_entries=4, mem_per_cycle=1, branch_per_cycle=1,
                 muldiv_per_cycle=1, fp_per_cycle=1, fetch_stages=1, decode_stages=1)


@pytest.mark.parametrize("k", range(len(WORKLOAD_CONFIGS)))
@pytest.mark.parametrize("name", ["matmul", "sort", "crc32", "nbody", "interp"])
def test_workload_streams_match_the_cycle_by_cycle_model(name, k):
    insts = workload_stream(name, 20_000, 2500)
    cfg = dict(_DEFAULTS, **WORKLOAD_CONFIGS[k])
    rng = random.Random(zlib.crc32(name.encode()) + k)
    code = sorted({d["pc"] >> 6 for d in insts})
    data = sorted({d["mem_addr"] >> 6 for d in insts if d["mem_size"]})
    ilines = {a << 6: rng.choice([2, 5, 12]) for a in rng.sample(code, min(20, len(code)))}
    dlines = {a << 6: rng.choice([2, 3, 9, 30]) for a in rng.sample(data, min(40, len(data)))}
    core = run_both(cfg, insts, ilines, dlines)
    assert core.stats()["core.issue_cycles.2"] > 0      # the stream really dual-issues


@pytest.mark.parametrize("seed", range(40))
def test_width_one_is_exactly_the_scalar_pipeline(seed):
    """With width 1 and depths 1 rules S1..S9 are rules 1, 2, 11 and 14: the superscalar
    class gives the scalar class's trace and CPI stack on the scalar reference streams."""
    from test_reference_model import random_case
    from pipeline.inorder import InOrderCore

    cfg, ilines, dlines, insts = random_case(random.Random(1000 + seed))
    out = []
    for cls, extra in ((InOrderCore, {}), (SuperscalarCore, {"width": 1})):
        l1i, l1d = ScriptedLevel(1, 1), ScriptedLevel(1, 1)
        for a, L in ilines.items():
            l1i.set(a, L, 2)
        for a, L in dlines.items():
            l1d.set(a, L, 2)
        core = cls(l1i, l1d, make_predictor("static_nt"), BTB(512, 4), RAS(8), **cfg, **extra)
        core.enable_trace(0, len(insts))
        feed(core, insts)
        tr = core.pipeline_trace()
        out.append(([r[:-1] for r in tr.tolist()], core.cpi_stack(), core.cycle))
    # the same stage cycles and R14 causes (the last field, slot_part, is the wide core's)
    assert out[0][0] == out[1][0] and out[0][2] == out[1][2]
    # width 1: a slot is a cycle, and R14's parts are S9's under their top-down names
    scalar, slots = out[0][1], out[1][1]
    pairs = [("icache_l1", "frontend_icache_l1"), ("icache_l2", "frontend_icache_l2"),
             ("icache_l3", "frontend_icache_l3"), ("icache_mem", "frontend_icache_mem"),
             ("itlb", "frontend_itlb"), ("dcache_l1", "backend_memory_l1"),
             ("dcache_l2", "backend_memory_l2"), ("dcache_l3", "backend_memory_l3"),
             ("dcache_mem", "backend_memory_mem"), ("dtlb", "backend_memory_dtlb"),
             ("data_hazard", "backend_core_dependence"), ("structural", "backend_core_units")]
    for a, b in pairs:
        assert scalar[a] == slots[b], (a, b)
    # base (1 per instruction + fill) and branch (mispredicts and decode redirects) are
    # retiring, the fill and decode redirects (front end) and bad speculation
    assert scalar["base"] + scalar["branch_mispredict"] + scalar["other"] == \
        slots["retiring"] + slots["frontend_bandwidth"] + slots["bad_speculation"]
