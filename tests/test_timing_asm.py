"""End-to-end exact cycle counts: real RISC-V assembly through the whole simulator.

Each test assembles a tiny static program (`_start:` + the sequence + exit), runs it with
`cyclesim.run(..., trace="pipeline")` on a machine chosen to make one timing rule of
docs/pipeline.md visible, and checks the stage-entry cycles of the instructions of interest
against the number the rule gives, computed by hand in the comment (stage diagram: the cycle
each instruction ENTERS IF ID EX MEM WB, relative to the first one shown).

Unless a test says otherwise the machine is `BASE`: fetch idealised (rule 12,
`fetch_blocking = False`, so code misses cost nothing), no L2, fixed-latency memory of 40
cycles, static not-taken prediction. An L1 hit is then 1 cycle and an L1 miss 1 + 40 = 41.
Instructions are found by the labels placed right on them (`m_<name>:`), read with nm.
"""
import itertools
import subprocess
from pathlib import Path

import pytest

import cyclesim

BASE = {"core.fetch_blocking": False, "l2": None, "memory.kind": "fixed",
        "memory.latency": 40, "bpred.kind": "static_nt"}
MISS = 41               # L1 hit latency 1 + fixed memory 40 (docs/caches.md latency model)
DATA = 0x402000         # .data placed here: DRAM bank 1 (row_bank_column), code is in bank 0

_cache: dict = {}
# rv64gc plus the extensions binutils 2.40 knows (the RVA22 tests below use them)
MARCH = "rv64gc_zba_zbb_zbs_zbc_zbkb_zicbom_zicboz_zicbop_zihintpause"


class Run:
    def __init__(self, result, symbols):
        self.result = result
        self.sym = symbols
        self.df = result.pipeline

    def rows(self, label):
        """Trace rows of the instruction at `label`, in execution order."""
        rows = self.df[self.df["pc"] == self.sym[label]]
        assert len(rows), f"{label} not executed"
        return rows

    def st(self, label, k=0):
        """(IF, ID, EX, MEM, WB) entry cycles of the k-th execution of `label`."""
        r = self.rows(label).iloc[k]
        return tuple(int(r[c]) for c in ("if_cycle", "id_cycle", "ex_cycle", "mem_cycle",
                                         "wb_cycle"))

    def wb(self, label, k=0):
        return self.st(label, k)[4]

    def gap(self, a, b, ka=0, kb=0):
        """WB(b) - WB(a)."""
        return self.wb(b, kb) - self.wb(a, ka)

    def col(self, label, column, k=0):
        v = self.rows(label).iloc[k][column]
        return v.lower() if isinstance(v, str) else v


@pytest.fixture(scope="module")
def asm(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("asm")

    def build(body: str) -> tuple[Path, dict]:
        if body in _cache:
            return _cache[body]
        n = len(list(tmp.iterdir()))
        src = tmp / f"p{n}.S"
        elf = tmp / f"p{n}"
        src.write_text(".option norvc\n.globl _start\n.text\n_start:\n" + body +
                       "\n  li a7, 93\n  li a0, 0\n  ecall\n.data\nbuf: .zero 0x30000\n")
        subprocess.run([riscv_gcc, "-nostdlib", "-static", f"-march={MARCH}", "-mabi=lp64d",
                        f"-Wl,-Tdata={DATA:#x}", "-Wl,--build-id=none", "-o", str(elf),
                        str(src)], check=True, capture_output=True)
        nm = subprocess.run(["riscv64-linux-gnu-nm", str(elf)], check=True,
                            capture_output=True, text=True).stdout
        syms = {f[2]: int(f[0], 16) for f in (ln.split() for ln in nm.splitlines())
                if len(f) == 3}
        _cache[body] = (elf, syms)
        return elf, syms

    def run(body: str, base=BASE, **overrides) -> Run:
        elf, syms = build(body)
        ov = dict(base)
        ov.update({k.replace("__", "."): v for k, v in overrides.items()})
        result = cyclesim.run(str(elf), overrides=ov, trace="pipeline")
        assert result.status == "exited", result.message
        # rule 14 on every run: the CPI stack parts add up to the cycles exactly
        assert result.cpi_stack().sum() == result.stats["core.cycles"]
        return Run(result, syms)

    return run


# Lines of buf that the program warms first. Their misses are paid before the part under
# test, and four nops follow so that no instruction of the tested part is already queued
# behind the miss (a stall upstream would hide the bubble under test).
WARM = """
  lla s0, buf
  ld s1, 0(s0)
  ld s1, 64(s0)
  nop
  nop
  nop
  nop
"""


# ------------------------------------------------------------------ rules 1, 2, 14
def test_r1_r2_independent_alu_ops_one_per_cycle(asm):
    """Rules 1, 2 (and 14): independent ALU ops enter every stage one cycle apart; the
    whole program of N instructions takes N + 4 cycles, all base.
      addi  IF0 ID1 EX2 MEM3 WB4
      addi      IF1 ID2 EX3  MEM4 WB5 ...    i-th: WB 4 + i."""
    body = "".join(f"m_{i}: addi t{i % 6}, x0, {i}\n" for i in range(8))
    r = asm(body)
    assert [r.st(f"m_{i}") for i in range(8)] == [(i, i + 1, i + 2, i + 3, i + 4)
                                                  for i in range(8)]
    n = len(r.df)                       # 8 + the three exit instructions
    assert r.result.stats["core.cycles"] == n + 4
    assert r.result.stats["cpi_stack.base"] == n + 4


# ------------------------------------------------------------------ rule 3
def test_r3_dependent_alu_ops_back_to_back(asm):
    """Rule 3: EX->EX bypass, a chain of dependent adds has no bubble (WB gap 1)."""
    r = asm("m_a: addi t0, x0, 1\nm_b: add t1, t0, t0\nm_c: add t2, t1, t0\n")
    assert r.gap("m_a", "m_b") == 1 and r.gap("m_b", "m_c") == 1


def test_r3_load_use_one_bubble(asm):
    """Rule 3: load (L1 hit, L = 1) then its consumer: usable at E(MEM) + 1, one bubble.
      ld  t0   IF0 ID1 EX2    MEM3 WB4
      add t1,t0    IF1 ID2..3 EX4  MEM5 WB6      WB gap 2."""
    r = asm(WARM + "m_ld: ld t0, 8(s0)\nm_use: add t1, t0, t0\n")
    assert r.col("m_ld", "level") == "l1"
    assert r.gap("m_ld", "m_use") == 2
    assert r.st("m_use")[2] == r.st("m_ld")[3] + 1
    assert r.col("m_use", "stall_cause") == "data_hazard"


def test_r7_load_then_store_of_its_value_does_not_stall(asm):
    """Rule 7: a store needs its data at MEM entry (MEM->MEM bypass): ld; sd of the loaded
    value runs back to back (WB gap 1)."""
    r = asm(WARM + "m_ld: ld t0, 8(s0)\nm_sd: sd t0, 16(s0)\n")
    assert r.gap("m_ld", "m_sd") == 1


# ------------------------------------------------------------------ rule 5
def test_r5_no_forwarding_alu_chain_two_bubbles(asm):
    """Rule 5 (forwarding none): consumer's EX >= producer's WB + 1.
      addi t0   IF0 ID1    EX2 MEM3 WB4
      add  t1,t0    IF1 ID2..4 EX5 MEM6 WB7      WB gap 3 (2 bubbles)."""
    r = asm("m_a: addi t0, x0, 1\nm_b: add t1, t0, t0\n", core__forwarding="none")
    assert r.gap("m_a", "m_b") == 3
    assert r.st("m_b")[2] == r.st("m_a")[4] + 1


def test_r5_no_forwarding_load_use_two_bubbles(asm):
    """Rule 5: ld (L1 hit) then use, no forwarding: EX >= WB(ld) + 1 -> WB gap 3."""
    r = asm(WARM + "m_ld: ld t0, 8(s0)\nm_use: add t1, t0, t0\n", core__forwarding="none")
    assert r.gap("m_ld", "m_use") == 3


def test_r5_r7_no_forwarding_store_data_read_in_id(asm):
    """Rules 5, 7: without forwarding the store's data is a normal source: 2 bubbles."""
    r = asm("m_a: addi t0, x0, 1\nm_sd: sd t0, 0(sp)\n", core__forwarding="none")
    assert r.gap("m_a", "m_sd") == 3


# ------------------------------------------------------------------ rule 4
def test_r4_branch_in_id_waits_one_more_cycle(asm):
    """Rule 4 (resolve in ID): an ALU result feeding the branch right behind it costs one
    bubble; a load right before it two.
      addi t0      IF0 ID1    EX2 MEM3 WB4
      bne  t0,..       IF1 ID2..3 EX4 MEM5 WB6    WB gap 2
      ld   t1          (hit)  EX   MEM m
      beq  t1,..       EX >= m + 1 + 1 -> WB gap 3."""
    body = WARM + ("m_a: addi t0, x0, 1\nm_br: bne t0, x0, m_n1\nm_n1: nop\n"
                   "m_ld: ld t1, 8(s0)\nm_br2: bne t1, x0, m_n2\nm_n2: nop\n")
    r = asm(body, core__branch_resolve_stage="ID")
    assert r.gap("m_a", "m_br") == 2
    assert r.gap("m_ld", "m_br2") == 3
    # resolving in EX the same sequences run back to back / with the load-use bubble only
    r = asm(body, core__branch_resolve_stage="EX")
    assert r.gap("m_a", "m_br") == 1
    assert r.gap("m_ld", "m_br2") == 2


# ------------------------------------------------------------------ rule 8
def test_r8_mul_latency_pipelined(asm):
    """Rule 8: mul (latency 3, pipelined): consumer EX >= E(mul, EX) + 3.
      mul t0   IF0 ID1    EX2 MEM3 WB4
      add t1,t0    IF1 ID2..4 EX5 MEM6 WB7        WB gap 3
    An independent mul behind a mul flows (gap 1)."""
    r = asm("m_a: mul t0, a0, a0\nm_b: add t1, t0, t0\nm_c: mul t2, a0, a0\n"
            "m_d: mul t3, a0, a0\n", core__mul_latency=3)
    assert r.gap("m_a", "m_b") == 3
    assert r.gap("m_c", "m_d") == 1
    r = asm("m_a: mul t0, a0, a0\nm_b: add t1, t0, t0\nm_c: mul t2, a0, a0\n"
            "m_d: mul t3, a0, a0\n", core__mul_latency=7)
    assert r.gap("m_a", "m_b") == 7


def test_r8_divide_busy_not_pipelined(asm):
    """Rule 8: div not pipelined (div_latency 20) holds EX 20 cycles: two INDEPENDENT divs
    back to back: second EX = first EX + 20, WB gap 20; the instruction after waits too."""
    body = "m_a: div t0, a0, a1\nm_b: div t1, a2, a3\nm_c: addi t2, x0, 1\n"
    r = asm(body, core__div_latency=20, core__div_pipelined=False)
    assert r.st("m_b")[2] == r.st("m_a")[2] + 20
    assert r.gap("m_a", "m_b") == 20 and r.gap("m_b", "m_c") == 1
    assert r.col("m_b", "stall_cause") == "structural"


def test_r8_divide_pipelined(asm):
    """Rule 8: div pipelined: independent divs 1 apart; a consumer waits E(EX) + 20."""
    body = ("m_a: div t0, a0, a1\nm_b: div t1, a2, a3\nm_c: addi t2, x0, 1\n"
            "m_d: add t3, t0, t0\n")
    r = asm(body, core__div_latency=20, core__div_pipelined=True)
    assert r.gap("m_a", "m_b") == 1 and r.gap("m_b", "m_c") == 1
    # add: EX >= EX(div a) + 20 = (EX(a) + 3) + 17
    assert r.st("m_d")[2] == r.st("m_a")[2] + 20
    assert r.gap("m_c", "m_d") == 18


# ------------------------------------------------------------------ rule 11
def test_r11_mispredict_penalty_per_resolve_stage(asm):
    """Rule 11: static_nt, an always-taken `beq x0, x0` is mispredicted: the target's IF is
    at E(br, S+1): ID -> IF(br)+2, EX -> +3, MEM -> +4; WB gaps 2, 3, 4 (penalty 1, 2, 3)."""
    body = "m_br: beq x0, x0, m_t\nnop\nnop\nm_t: addi t0, x0, 1\n"
    for stage, gap in (("ID", 2), ("EX", 3), ("MEM", 4)):
        r = asm(body, core__branch_resolve_stage=stage)
        assert r.gap("m_br", "m_t") == gap, stage
        assert r.st("m_t")[0] == r.st("m_br")[0] + gap
        assert bool(r.col("m_br", "mispredicted"))


def test_r11_jal_decode_redirect(asm):
    """Rule 11: a jal without a BTB entry is redirected in decode: target IF at
    E(jal, EX) = IF + 2: WB gap 2, charged to branch_mispredict."""
    r = asm("m_j: j m_t\nnop\nm_t: addi t0, x0, 1\n")
    assert r.gap("m_j", "m_t") == 2
    assert r.result.stats["bpred.decode_redirects"] == 1


def test_r11_returns_use_the_ras(asm):
    """Rule 11: `call f` (jal ra) has no BTB entry: decode redirect, f's first instruction
    at E(jal, EX): WB gap 2. `ret` (jalr x0, ra) predicted by the RAS: gap 1. Without a
    RAS (ras_depth 0) the ret goes to the BTB, which has no entry: misprediction, the
    return target fetched at E(ret, MEM) (resolve in EX): gap 3."""
    body = "m_call: call m_f\nm_back: addi t1, x0, 1\nj m_end\nm_f: addi t0, x0, 1\n" \
           "m_ret: ret\nm_end: nop\n"
    r = asm(body)
    assert r.gap("m_call", "m_f") == 2
    assert r.gap("m_ret", "m_back") == 1
    assert r.result.stats["bpred.ras_hits"] == 1
    r = asm(body, bpred__ras_depth=0)
    assert r.gap("m_ret", "m_back") == 3
    assert bool(r.col("m_ret", "mispredicted"))


def test_r11_indirect_jump_btb_miss_then_hit(asm):
    """Rule 11: `jr a5` (not a return) is predicted by the BTB: first execution misses
    (misprediction, gap 3 with resolve in EX); in the second pass of the loop it hits (gap
    1). The loop's own bne is always mispredicted under static_nt (gap 3)."""
    body = """
  li a0, 2
m_loop:
  lla a5, m_t
m_jr:
  jr a5
  nop
m_t:
  addi a0, a0, -1
  bne a0, x0, m_loop
"""
    r = asm(body)
    assert r.wb("m_t", 0) - r.wb("m_jr", 0) == 3
    assert r.wb("m_t", 1) - r.wb("m_jr", 1) == 1
    assert r.result.stats["bpred.jump_mispredicts"] == 1


def test_r11_taken_branch_to_the_next_instruction_is_a_taken_branch(asm):
    """Rule 11 + predictors: `beq x0, x0, 1f; 1:` is taken (its condition holds). Under
    static_nt that is a direction misprediction: target fetched at E(br, MEM): gap 3."""
    r = asm("m_br: beq x0, x0, m_t\nm_t: addi t0, x0, 1\n")
    assert bool(r.col("m_br", "mispredicted"))
    assert r.gap("m_br", "m_t") == 3


LOOP = """
  li a0, {n}
m_loop:
  addi a0, a0, -1
m_br:
  bne a0, x0, m_loop
m_after:
  nop
"""


def branch_gaps(r, n):
    """For each of the n executions of the loop branch: WB(next instruction) - WB(br).
    1 = predicted right; 3 = mispredicted (resolve in EX); 2 = decode redirect."""
    gaps = [r.wb("m_loop", k + 1) - r.wb("m_br", k) for k in range(n - 1)]
    return gaps + [r.gap("m_br", "m_after", ka=n - 1)]


N = 10


@pytest.mark.parametrize("kind,expected", [
    # always NT: every taken iteration mispredicts (penalty 2), the final NT is right
    ("static_nt", [3] * (N - 1) + [1]),
    # backward target -> predicted taken; first time no BTB entry: decode redirect (gap 2);
    # BTB hit afterwards (gap 1); the exit (NT) is mispredicted
    ("btfn", [2] + [1] * (N - 2) + [3]),
    # counter 1 (NT) -> mispredict, counter 2; then T with BTB hit; exit: counter 3 -> T, wrong
    ("bimodal", [3] + [1] * (N - 2) + [3]),
    # history_bits 4, no other branch: history before iteration k has k-1 ones (h = 0, 1, 3,
    # 7, 15, 15, ...): each of iterations 1..5 hits a fresh counter (1 -> NT, mispredict);
    # from 6 on the index repeats with counter 2 -> T; exit mispredicted
    ("gshare", [3] * 5 + [1] * (N - 6) + [3]),
    # chooser starts at bimodal; iteration 1 both wrong (no change), iteration 2 bimodal
    # right, gshare wrong -> chooser toward bimodal; so it behaves as bimodal
    ("tournament", [3] + [1] * (N - 2) + [3]),
])
def test_r11_loop_branch_per_predictor(asm, kind, expected):
    """Rule 11 + predictor section: per-iteration fetch gap after the loop's bne."""
    r = asm(LOOP.format(n=N), bpred__kind=kind, bpred__history_bits=4,
            core__branch_resolve_stage="EX")
    assert branch_gaps(r, N) == expected
    assert r.result.stats["bpred.mispredicts"] == expected.count(3)
    assert r.result.stats["bpred.branches"] == N


def test_r11_tournament_picks_gshare_on_alternating_branch(asm):
    """Predictor section: an alternating branch (T, NT, T, ...) that bimodal cannot learn.
    Computed by the tiny model in `_tournament_alternating` below (independent of ours)."""
    n = 24
    body = f"""
  li a0, {n}
  li a1, 0
m_loop:
  xori a1, a1, 1
m_alt:
  bne a1, x0, m_skip
  nop
m_skip:
  addi a0, a0, -1
m_br:
  bne a0, x0, m_loop
"""
    r = asm(body, bpred__kind="tournament", bpred__history_bits=4,
            bpred__table_entries=1024, bpred__chooser_entries=1024)
    got = [bool(r.col("m_alt", "mispredicted", k)) for k in range(n)]
    got_br = [bool(r.col("m_br", "mispredicted", k)) for k in range(n)]
    exp, exp_br = _tournament_alternating(r.sym["m_alt"], r.sym["m_br"], n, 4, 1024, 1024)
    assert got == exp and got_br == exp_br
    assert not any(got[-8:])        # learnt by gshare through the chooser


def _tournament_alternating(pc_alt, pc_br, n, hbits, entries, choosers):
    """Straight from docs/pipeline.md: 2-bit counters start at 1; gshare index
    (pc >> 1) ^ history (newest outcome in bit 0); chooser >= 2 trusts gshare and moves
    toward the right component only when the two disagree."""
    bim = [1] * entries
    gsh = [1] * entries
    cho = [1] * choosers
    hist = 0
    out_alt, out_br = [], []

    def predict(pc, taken):
        nonlocal hist
        bi = (pc >> 1) % entries
        gi = ((pc >> 1) ^ hist) % entries
        ci = (pc >> 1) % choosers
        pb, pg = bim[bi] >= 2, gsh[gi] >= 2
        pred = pg if cho[ci] >= 2 else pb
        if pb != pg:
            cho[ci] = min(3, cho[ci] + 1) if pg == taken else max(0, cho[ci] - 1)
        bim[bi] = min(3, bim[bi] + 1) if taken else max(0, bim[bi] - 1)
        gsh[gi] = min(3, gsh[gi] + 1) if taken else max(0, gsh[gi] - 1)
        hist = ((hist << 1) | taken) & ((1 << hbits) - 1)
        return pred != taken

    a1 = 0
    for k in range(n):
        a1 ^= 1
        out_alt.append(predict(pc_alt, int(a1 != 0)))
        out_br.append(predict(pc_br, int(k != n - 1)))
    return out_alt, out_br


# ------------------------------------------------------------------ rule 12
def test_r12_icache_miss_to_fixed_memory(asm):
    """Rule 12: fetch_blocking, no L2, memory 40: the first instruction of a new code line
    stays in IF 1 + 40 cycles.
      nop (last of its line)  IF c    ID c+1 ... WB c+4
      addi (new line)         IF c+1..c+41  ID c+42 ... WB c+45      WB gap 41."""
    body = ".balign 64\nm_first: nop\n" + "nop\n" * 14 + "m_last: nop\nm_new: addi t0, x0, 1\n"
    r = asm(body, core__fetch_blocking=True)
    assert r.sym["m_new"] % 64 == 0
    assert r.gap("m_last", "m_new") == MISS
    assert r.st("m_new")[1] - r.st("m_new")[0] == MISS
    assert r.col("m_new", "fetch_level") == "memory"
    # inside the line: no access, one per cycle
    assert r.gap("m_first", "m_last") == 15
    # idealised fetch: the same miss costs nothing
    r = asm(body, core__fetch_blocking=False)
    assert r.gap("m_last", "m_new") == 1


def test_r12_icache_miss_served_by_l2(asm):
    """Rule 12 with an L2 (hit latency 12): a code line first brought into the L2 by a data
    load (L1D miss -> L2 fill), then fetched: L1I miss, L2 hit, IF holds 1 + 12 = 13."""
    body = ("  lla t0, m_new\n  ld t1, 0(t0)\n.balign 64\n" + "nop\n" * 15 +
            "m_last: nop\nm_new: addi t0, x0, 1\n")
    r = asm(body, core__fetch_blocking=True, l2="default")
    assert r.col("m_new", "fetch_level") == "l2"
    assert r.gap("m_last", "m_new") == 13


def test_r12_warm_loop_fetches_cost_nothing(asm):
    """Rule 12 with real fetch (fetch_blocking, memory 40): a loop body over two code lines,
    run twice. Pass 1: the first instruction of line 2 stays in IF 41 cycles. Pass 2: both
    lines are in the L1I: jumping back to line 1 is an L1I hit (max(1, 1) = 1 cycle, no
    stall): every WB gap is 1 except after the taken bne (static_nt, resolve EX: 3)."""
    body = """
  li a0, 2
.balign 64
m_loop: nop
""" + "nop\n" * 15 + """m_l2: addi a0, a0, -1
m_br: bne a0, x0, m_loop
m_after: nop
"""
    r = asm(body, core__fetch_blocking=True)
    assert r.sym["m_l2"] % 64 == 0
    second = r.rows("m_loop").index[1]
    wbs = r.df.loc[second:]["wb_cycle"].to_numpy()
    gaps = list(wbs[1:] - wbs[:-1])
    assert gaps[:18] == [1] * 18                        # loop body pass 2, bne, m_after
    assert r.wb("m_l2", 0) - r.wb("m_loop", 0) == 15 + MISS
    assert r.wb("m_loop", 1) - r.wb("m_br", 0) == 3
    assert r.col("m_loop", "fetch_level", 1) == "l1"


def test_r12_instruction_straddling_two_lines(asm):
    """Rule 12: a 4-byte instruction at line offset 62 (compressed code) needs the next
    line too: one L1I access of the new line at E(IF), IF holds 41 cycles; the instruction
    after it, in the same new line, costs nothing. (`addi t0, t1, 100` has no compressed
    form.) Same number of L1I accesses as two 2-byte instructions in its place."""
    body = (".option rvc\n.balign 64\nm_first: c.nop\n" + "c.nop\n" * 29 +
            "m_last: c.nop\nm_wide: addi t0, t1, 100\nm_next: c.nop\n.option norvc\n")
    r = asm(body, core__fetch_blocking=True)
    assert r.sym["m_wide"] % 64 == 62
    assert r.gap("m_last", "m_wide") == MISS
    assert r.gap("m_wide", "m_next") == 1
    ifetch = r.result.stats["l1i.ifetch_accesses"]
    r2 = asm(body.replace("m_wide: addi t0, t1, 100", "m_wide: c.li t0, 1\nc.nop"),
             core__fetch_blocking=True)
    assert ifetch == r2.result.stats["l1i.ifetch_accesses"]


# ------------------------------------------------------------------ rule 13
def test_r13_load_crossing_a_line_accesses_both_lines(asm):
    """A misaligned ld of bytes 60..67 of buf needs lines buf and buf+64. Only line buf is
    warm: the load must miss (served by memory) and make two L1D accesses."""
    r = asm("  lla s0, buf\n  ld t1, 0(s0)\n  nop\n  nop\n  nop\n  nop\n"
            "m_ld: ld t0, 60(s0)\n")
    assert r.result.stats["l1d.accesses"] == 3
    assert r.col("m_ld", "level") == "memory"


def test_r13_dcache_miss_blocking_fixed_memory(asm):
    """Rule 13 (mem_blocking): a load missing L1 (no L2, memory 40) holds MEM 41 cycles;
    the independent instruction behind it leaves MEM right after: WB gaps 41 then 1."""
    r = asm("  lla s0, buf\nm_ld: ld t0, 0x200(s0)\nm_x: addi t1, x0, 1\nm_y: addi t2, x0, 2\n")
    assert r.col("m_ld", "level") == "memory"
    assert r.st("m_ld")[4] - r.st("m_ld")[3] == MISS
    assert r.gap("m_ld", "m_x") == 1      # m_x waits in EX; both WB gaps follow the load
    assert r.st("m_x")[3] == r.st("m_ld")[4]


LEVELS_BODY = """
  lla s0, buf
  li s2, {stride}
  add s3, s0, s2
  ld t0, 0x400(s0)       # A: miss everywhere
  ld t0, 0x400(s3)       # A + stride: same L1 set (and L2 set), evicts A there
m_pre: addi t1, x0, 1
m_ld: ld t0, 0x400(s0)   # A again
m_post: addi t2, x0, 1
"""


def test_r13_dcache_miss_l1_served_by_l2(asm):
    """Rule 13: L1D 1 KiB direct mapped, L2 256 KiB (hit 12): A evicted from L1 by
    A + 1 KiB, reloaded from the L2: MEM holds 1 + 12 = 13 -> WB(ld) - WB(prev) = 13."""
    r = asm(LEVELS_BODY.format(stride=1024), l2="default", l1d__size="1KiB", l1d__assoc=1)
    assert r.col("m_ld", "level") == "l2"
    assert r.gap("m_pre", "m_ld") == 13


def test_r13_dcache_miss_l2_to_fixed_memory(asm):
    """Rule 13: L1 and L2 miss, fixed memory 40: 1 + 12 + 40 = 53."""
    r = asm(LEVELS_BODY.format(stride=1024), l2="default", l1d__size="1KiB", l1d__assoc=1,
            l2__size="2KiB", l2__assoc=1)   # A + 1 KiB maps elsewhere in L2 -> use 2 KiB
    # with a 2 KiB L2, A + 1 KiB lands in another L2 set: A is still there (L2 hit)
    assert r.col("m_ld", "level") == "l2"
    r = asm(LEVELS_BODY.format(stride=2048), l2="default", l1d__size="1KiB", l1d__assoc=1,
            l2__size="2KiB", l2__assoc=1)
    assert r.col("m_ld", "level") == "memory"
    assert r.gap("m_pre", "m_ld") == 1 + 12 + 40


def test_r13_dcache_miss_served_by_l3_and_memory(asm):
    """Rule 13 with an L3 (hit 30): A evicted from the 1 KiB L1 and the 2 KiB L2 by
    A + 2 KiB but still in the L3: 1 + 12 + 30 = 43; past the L3 (A + 2 MiB... evicts
    nothing in a 16-way L3) the first access is 1 + 12 + 30 + 40 = 83."""
    r = asm(LEVELS_BODY.format(stride=2048), l2="default", l3="default",
            l1d__size="1KiB", l1d__assoc=1, l2__size="2KiB", l2__assoc=1)
    assert r.col("m_ld", "level") == "l3"
    assert r.gap("m_pre", "m_ld") == 1 + 12 + 30
    r = asm("  lla s0, buf\nm_pre: addi t1, x0, 1\nm_ld: ld t0, 0x400(s0)\n",
            l2="default", l3="default")
    assert r.col("m_ld", "level") == "memory"
    assert r.gap("m_pre", "m_ld") == 1 + 12 + 30 + 40


def test_r13_r3_nonblocking_load_miss(asm):
    """Rules 13, 3, 6 (mem_blocking False): the missing load spends 1 cycle in MEM;
    an independent op flows (gap 1); the consumer waits for the data:
      ld  t0     MEM m, data at m + 41
      addi t1       (independent) WB gap 1
      add t2,t0     EX >= m + 41."""
    r = asm("  lla s0, buf\nm_ld: ld t0, 0x200(s0)\nm_x: addi t1, x0, 1\n"
            "m_use: add t2, t0, t0\n", core__mem_blocking=False)
    m = r.st("m_ld")[3]
    assert r.gap("m_ld", "m_x") == 1
    assert r.st("m_use")[2] == m + MISS
    assert r.col("m_use", "stall_cause") == "dcache_mem"


def test_r6_waw_after_nonblocking_load_miss(asm):
    """Rule 6: an ALU op writing the register of a pending (late) load waits until
    EX >= v - 1 + 1 = v (v = data cycle of the load = E(MEM) + 41): a data hazard."""
    r = asm("  lla s0, buf\nm_ld: ld t0, 0x200(s0)\nm_w: addi t0, x0, 1\n",
            core__mem_blocking=False)
    m = r.st("m_ld")[3]
    assert r.st("m_w")[2] == m + MISS
    assert r.col("m_w", "stall_cause") == "data_hazard"


# ------------------------------------------------------------------ DRAM (rule 13)
def test_r13_dram_row_hit_miss_conflict(asm):
    """Rule 13 + DRAM: no L2, DRAM at 1 GHz: controller 10, tRCD = tCL = tRP = 14
    (13.75 ns, rounded up), tBURST 3. buf at 0x402000: bank 1, row 0x40 (row_bank_column,
    8 banks of 8 KiB rows: bank = addr[15:13], row = addr >> 16); code is in bank 0.
      ld buf        row miss (bank precharged): 10 + 14 + 14 + 3 = 41 -> MEM 1 + 41 = 42
      ld buf + 64   row hit:                    10 + 14 + 3      = 27 -> 28
      ld buf + 64K  same bank, row 0x41: conflict 10 + 14+14+14+3 = 55 -> 56
    Each blocking load holds MEM for its latency: WB gap to the previous = latency."""
    body = ("  lla s0, buf\n  li s1, 0x10000\n  add s1, s1, s0\n"
            "m_pre: addi t1, x0, 1\nm_a: ld t0, 0(s0)\nm_b: ld t0, 64(s0)\n"
            "m_c: ld t0, 0(s1)\n")
    r = asm(body, base={"core.fetch_blocking": False, "l2": None, "memory.kind": "dram",
                        "bpred.kind": "static_nt", "core.frequency": "1GHz"})
    assert r.gap("m_pre", "m_a") == 42
    assert r.gap("m_a", "m_b") == 28
    assert r.gap("m_b", "m_c") == 56
    s = r.result.stats
    assert s["dram.row_conflicts"] >= 1 and s["dram.row_hits"] >= 1


# ------------------------------------------------------------------ rules 9, 10
STORES = """
  lla s0, buf
m_pre: addi t1, x0, 1
m_s1: sd t1, 0x0(s0)
m_s2: sd t1, 0x100(s0)
m_s3: sd t1, 0x200(s0)
m_s4: sd t1, 0x300(s0)
m_post: addi t2, x0, 1
"""


@pytest.mark.parametrize("entries,gaps", [
    # N = 0: each store holds MEM 41 cycles
    (0, [41, 41, 41, 41, 1]),
    # N = 1: store k enters MEM at the finish of store k-1 (drains one after the other)
    (1, [1, 41, 41, 41, 1]),
    # N = 2: s1 MEM m, drains m..m+41; s2 MEM m+1, drains m+41..m+82; s3 needs s1's
    # finish: MEM m+41 (gap 40); s4 needs s2's finish m+82 (gap 41)
    (2, [1, 1, 40, 41, 1]),
    # N = 4: never full
    (4, [1, 1, 1, 1, 1]),
])
def test_r9_store_buffer_full(asm, entries, gaps):
    """Rule 9: four stores that each miss (41-cycle drain), store buffer of N entries.
    Listed: WB gaps s1-pre, s2-s1, s3-s2, s4-s3, post-s4."""
    r = asm(STORES, core__store_buffer_entries=entries)
    names = ["m_pre", "m_s1", "m_s2", "m_s3", "m_s4", "m_post"]
    assert [r.gap(a, b) for a, b in itertools.pairwise(names)] == gaps


def test_r10_amo_drains_the_store_buffer(asm):
    """Rule 10: an AMO after a missing store waits for the drain (41 cycles from the
    store's MEM), then holds MEM for its own (L1 hit) access: WB gap sd -> amo = 41."""
    r = asm(WARM + "m_sd: sd t1, 0x400(s0)\nm_amo: amoadd.d t2, t1, (s0)\n")
    assert r.gap("m_sd", "m_amo") == MISS
    assert r.col("m_amo", "stall_cause") == "structural"


# ------------------------------------------------------------------ more of rules 4-9, 14
def test_r6_waw_behind_pipelined_mul(asm):
    """Rule 6: mul t0 (latency 3, pipelined) leaves the pipe before its value exists
    (v = E(mul, EX) + 3); addi t0 right behind must enter EX >= v - 1 + 1 = E(mul, EX) + 3
    (2 bubbles, data_hazard). A second mul t0 (latency 3) needs EX >= v - 3 + 1: no wait."""
    r = asm("m_m: mul t0, a0, a0\nm_w: addi t0, x0, 1\n")
    assert r.st("m_w")[2] == r.st("m_m")[2] + 3
    assert r.col("m_w", "stall_cause") == "data_hazard"
    r = asm("m_m: mul t0, a0, a0\nm_w: mul t0, a1, a1\n")
    assert r.gap("m_m", "m_w") == 1


def test_r8_fp_latencies(asm):
    """Rule 8: FP consumers wait E(EX) + latency: fadd.d 4, fmul.d 4, fmadd.d 5,
    fcvt.d.l 2 (pipelined); fdiv.d 20 and fsqrt.d 25 hold EX (not pipelined): an
    independent op behind them waits in ID: it enters EX at E(op, EX) + 20 (25)."""
    cases = [("fadd.d fa0, fa1, fa2", 4), ("fmul.d fa0, fa1, fa2", 4),
             ("fmadd.d fa0, fa1, fa2, fa3", 5), ("fcvt.d.l fa0, a1", 2)]
    for op, lat in cases:
        r = asm(f"m_p: {op}\nm_c: fadd.d fa4, fa0, fa0\n")
        assert r.st("m_c")[2] == r.st("m_p")[2] + lat, op
    for op, lat in (("fdiv.d fa0, fa1, fa2", 20), ("fsqrt.d fa0, fa1", 25)):
        # WB(op) - WB(before) = lat (EX held); the op behind follows it (gap 1)
        r = asm(f"m_b: addi t1, x0, 1\nm_p: {op}\nm_c: addi t0, x0, 1\n")
        assert r.gap("m_b", "m_p") == lat and r.gap("m_p", "m_c") == 1, op
        assert r.st("m_c")[2] == r.st("m_p")[2] + lat


def test_r4_jalr_resolved_in_id_after_load(asm):
    """Rules 4, 11: `jr a5` right after the load of a5 (L1 hit), resolve in ID: EX >= ready
    + 1 = E(ld, MEM) + 2: 2 bubbles, WB gap 3."""
    r = asm(WARM + "  lla a5, m_t\n  sd a5, 8(s0)\n  nop\n  nop\nm_ld: ld a5, 8(s0)\n"
            "m_jr: jr a5\n  nop\nm_t: nop\n", core__branch_resolve_stage="ID")
    assert r.gap("m_ld", "m_jr") == 3


def test_r5_no_forwarding_late_load_value(asm):
    """Rules 5, 6, 13: no forwarding, non-blocking missing load: W = max(E(ld, WB), data
    cycle) = E(ld, MEM) + 41, consumer EX >= W + 1."""
    r = asm("  lla s0, buf\nm_ld: ld t0, 0x200(s0)\nm_use: add t2, t0, t0\n",
            core__mem_blocking=False, core__forwarding="none")
    assert r.st("m_use")[2] == r.st("m_ld")[3] + MISS + 1


def test_r9_store_hit_without_buffer_one_cycle(asm):
    """Rule 9, N = 0: a store hitting the L1 holds MEM max(1, 1) = 1: no stall (gap 1)."""
    r = asm(WARM + "m_a: sd t1, 8(s0)\nm_b: sd t1, 16(s0)\nm_c: addi t0, x0, 1\n",
            core__store_buffer_entries=0)
    assert r.gap("m_a", "m_b") == 1 and r.gap("m_b", "m_c") == 1


def test_r9_loads_do_not_wait_for_buffered_stores(asm):
    """Rule 9: a load behind a missing buffered store (N = 4) hits and does not wait."""
    r = asm(WARM + "m_s: sd t1, 0x400(s0)\nm_ld: ld t0, 8(s0)\nm_x: addi t2, x0, 1\n")
    assert r.gap("m_s", "m_ld") == 1 and r.gap("m_ld", "m_x") == 1


@pytest.mark.parametrize("body,part,amount,overrides", [
    # load-use, one bubble -> data_hazard 1
    (WARM + "ld t0, 8(s0)\nadd t1, t0, t0\n", "data_hazard", 1, {}),
    # static_nt taken beq (resolve EX): penalty 2 -> branch_mispredict 2
    ("beq x0, x0, 1f\nnop\n1: nop\n", "branch_mispredict", 2, {}),
    # non-pipelined div, 20 cycles in EX -> structural 19
    ("div t0, a0, a1\naddi t1, x0, 1\n", "structural", 19, {}),
    # store buffer of 1, two missing stores: the second waits 40 -> structural 40
    ("lla s0, buf\naddi t1, x0, 1\nsd t1, 0(s0)\nsd t1, 0x100(s0)\n", "structural", 40,
     {"core__store_buffer_entries": 1}),
])
def test_r14_cpi_stack_charges_the_cause(asm, body, part, amount, overrides):
    """Rule 14: the gap goes to the cause found by walking back from WB. On these programs
    the named part holds exactly the stall the rule gives (other parts: the data misses of
    the program's set-up, charged to dcache_mem)."""
    r = asm(body, **overrides)
    stack = r.result.cpi_stack()
    assert stack[part] == amount
    assert stack["base"] == len(r.df) + 4


def test_dram_row_column_bank_mapping(asm):
    """docs/caches.md DRAM mapping row_column_bank, no L2 (last cache L1D, 64-byte lines),
    8 banks, 8 KiB rows: bank = addr[8:6], row = addr >> 16. buf (0x402000): bank 0 and
    buf + 64: bank 1 -> both row misses (1 + 41 = 42 each); buf + 512: bank 0 again, same
    row -> row hit (1 + 27 = 28). The code's lines (0x100c0, 0x10100: banks 3 and 4)
    open rows elsewhere, so the test uses banks 1 and 2:
      buf + 0x40  (0x402040): bank 1, precharged -> row miss 42
      buf + 0x240 (0x402240): bank 1, row 0x40 open -> row hit 28
      buf + 0x80  (0x402080): bank 2, precharged -> row miss 42"""
    body = ("  lla s0, buf\nm_pre: addi t1, x0, 1\nm_a: ld t0, 64(s0)\n"
            "m_b: ld t0, 0x240(s0)\nm_c: ld t0, 0x80(s0)\n")
    r = asm(body, base={"core.fetch_blocking": False, "l2": None, "memory.kind": "dram",
                        "memory.mapping": "row_column_bank", "bpred.kind": "static_nt",
                        "core.frequency": "1GHz"})
    assert r.sym["_start"] >> 6 in (0x100c0 >> 6, 0x10100 >> 6)
    assert r.gap("m_pre", "m_a") == 42
    assert r.gap("m_a", "m_b") == 28
    assert r.gap("m_b", "m_c") == 42


def test_r11_ras_wraps_when_full(asm):
    """Rule 11: ras_depth 1. call f pushes back1; f calls g, the push overwrites back1
    (oldest); ret from g pops back2: hit (gap 1); ret from f finds the RAS empty:
    misprediction, target at E(ret, MEM) (resolve EX): gap 3."""
    body = """
m_c1: call m_f
m_back1: j m_end
m_f:
  mv s5, ra
m_c2: call m_g
m_back2: mv ra, s5
m_retf: ret
m_g:
m_retg: ret
m_end: nop
"""
    r = asm(body, bpred__ras_depth=1)
    assert r.gap("m_retg", "m_back2") == 1
    assert r.gap("m_retf", "m_back1") == 3
    r = asm(body, bpred__ras_depth=2)
    assert r.gap("m_retf", "m_back1") == 1


@pytest.mark.parametrize("body,part,amount,overrides", [
    # L1D miss served by the L2 (A evicted from a 1 KiB direct-mapped L1D): 1 + 12
    # -> the load's gap 13 = base 1 + dcache_l2 12 (set-up misses go to dcache_mem)
    (LEVELS_BODY.format(stride=1024), "dcache_l2", 12,
     {"l2": "default", "l1d__size": "1KiB", "l1d__assoc": 1}),
    # fetch of a new code line from memory (no L2): IF 41 -> icache_mem 40 per new line;
    # this program's code spans 2 lines (0x100c0.., 0x10100..)
    ("addi t0, x0, 1\n" * 8, "icache_mem", 80, {"core__fetch_blocking": True}),
])
def test_r14_cpi_stack_cache_levels(asm, body, part, amount, overrides):
    """Rule 14: a cache stall is charged to the level that served it."""
    r = asm(body, **overrides)
    if part == "icache_mem":
        lines = {pc >> 6 for pc in r.df["pc"]}
        assert len(lines) == 2
    assert r.result.cpi_stack()[part] == amount


@pytest.mark.parametrize("first,gap_c", [
    # A clean: B + 64 finds row 0x41 open and the bank idle: row hit 10 + 14 + 3 = 27 -> 28
    ("ld t1, 0(s0)", 28),
    # A dirty: its writeback goes to bank 1 at the fill's completion and reopens row 0x40;
    # B + 64 waits for its write recovery and then conflicts -> 1 + 110 = 111 (docstring)
    ("sd t1, 0(s0)", 111),
])
def test_dram_writeback_occupies_the_bank(asm, first, gap_c):
    """docs/dram.md: a dirty victim's writeback is issued when the fill completes and
    occupies its DRAM bank. No L2, L1D 1 KiB direct mapped (A and B share a set), DRAM
    row_bank_column, 1 GHz (controller 10, tRCD = tCL = tRP = 14, tCWL 10, tRAS 32,
    tRTP 8, tWR 15, tBURST 3), no store buffer. A = buf (bank 1, row 0x40),
    B = buf + 64 KiB (bank 1, row 0x41).
      ld B at MEM m: L1 miss, fill asked at m+1, at the controller m+11, row 0x40 open:
        conflict: PRE m+11, ACT m+25, RD m+39, data m+53..m+56: latency 1 + 55 = 56.
      A dirty: writeback issued at m+56, at the controller m+66, conflict (row 0x41): PRE
        m+66 (ACT m+25 + tRAS = m+57 allows it), ACT m+80, WR m+94, data m+104..m+107;
        the bank may precharge again at m+107 + tWR = m+122; row 0x40 open.
      ld B+64 at MEM m+56: asked at m+57, at the controller m+67, conflict: PRE m+122,
        ACT m+136, RD m+150, data m+164..m+167: DRAM latency 167 - 57 = 110, MEM holds
        1 + 110 = 111. (Before the DRAM model had tWR and tCWL, the write was timed like
        a read and this was 100.)
      A clean (no writeback): at the controller m+67, row 0x41 open: hit, RD m+67, data
        m+81..m+84: 1 + 27 = 28."""
    body = (f"  lla s0, buf\n  li s1, 0x10000\n  add s1, s1, s0\n  {first}\n"
            "m_pre: addi t2, x0, 1\nm_b: ld t0, 0(s1)\nm_c: ld t0, 64(s1)\n")
    r = asm(body, base={"core.fetch_blocking": False, "l2": None, "memory.kind": "dram",
                        "bpred.kind": "static_nt", "core.frequency": "1GHz",
                        "core.store_buffer_entries": 0, "l1d.size": "1KiB",
                        "l1d.assoc": 1})
    assert r.gap("m_pre", "m_b") == 56
    assert r.gap("m_b", "m_c") == gap_c


def test_r11_btfn_compressed_backward_branch(asm):
    """Predictors (btfn) with a compressed loop (c.addi, c.bnez): the target of a c.bnez
    is decoded from its CB encoding; backward -> predicted taken. Same gaps as the 4-byte
    loop: decode redirect on the first pass, then hits, exit mispredicted."""
    body = (".option rvc\n  li a0, 6\nm_loop:\n  c.addi a0, -1\nm_br:\n  c.bnez a0, m_loop\n"
            "m_after:\n  c.nop\n.option norvc\n")
    r = asm(body, bpred__kind="btfn")
    assert r.sym["m_after"] - r.sym["m_br"] == 2
    assert branch_gaps(r, 6) == [2, 1, 1, 1, 1, 3]


def test_r13_nonblocking_misses_overlap(asm):
    """Rules 13, 3 (mem_blocking False): two independent missing loads one cycle apart
    each take 1 cycle in MEM; their data exist at E(MEM) + 41 each, so the consumers of
    both run 1 cycle apart (two misses fit in the default 8 MSHRs; fewer MSHRs are in
    test_timing_asm_mshr.py)."""
    r = asm("  lla s0, buf\nm_a: ld t0, 0x200(s0)\nm_b: ld t1, 0x300(s0)\n"
            "m_ua: add t2, t0, t0\nm_ub: add t3, t1, t1\n", core__mem_blocking=False)
    assert r.st("m_b")[3] == r.st("m_a")[3] + 1
    assert r.st("m_ua")[2] == r.st("m_a")[3] + MISS
    assert r.gap("m_ua", "m_ub") == 1


def test_r6_waw_load_behind_late_load(asm):
    """Rule 6: ld t0 (miss, non-blocking, value v = E(MEM) + 41) then ld t0 (hit): the
    younger load counts latency 2, so EX >= v - 2 + 1 = v - 1."""
    r = asm(WARM + "m_a: ld t0, 0x200(s0)\nm_b: ld t0, 8(s0)\n", core__mem_blocking=False)
    assert r.st("m_b")[2] == r.st("m_a")[3] + MISS - 1
    assert r.col("m_b", "stall_cause") == "data_hazard"


def test_r7_store_of_late_load_value_waits_at_mem(asm):
    """Rules 7, 13: sd of a missing non-blocking load's value needs it at MEM entry:
    E(sd, MEM) = E(ld, MEM) + 41 (the sd's EX is not delayed)."""
    r = asm(WARM + "m_a: ld t0, 0x200(s0)\nm_s: sd t0, 8(s0)\n", core__mem_blocking=False)
    assert r.st("m_s")[3] == r.st("m_a")[3] + MISS
    assert r.st("m_s")[2] == r.st("m_a")[2] + 1


def test_r14_roi_counts_cycles_between_markers(asm):
    """Rule 14 + reset_stats: with roi=True the statistics start at the roi_begin marker
    (`slti x0, x0, 1`) and stop at roi_end (`slti x0, x0, 2`); cycles count from the last
    commit before the reset. Between the markers: 6 independent ALU ops and one taken
    beq under static_nt (penalty 2, resolve in EX); the window holds the instructions
    after roi_begin up to and including roi_end, each charging its WB gap."""
    body = ("  lla s0, buf\n  ld t0, 0(s0)\n  slti x0, x0, 1\n" +
            "".join(f"addi t{i}, x0, {i}\n" for i in range(6)) +
            "m_br: beq x0, x0, m_t\nnop\nm_t: nop\n  slti x0, x0, 2\n  ld t1, 0x400(s0)\n")
    r = asm(body)
    df = r.df
    begin = df.index[df["disassembly"].str.startswith("slti zero,zero,1")][0]
    end = df.index[df["disassembly"].str.startswith("slti zero,zero,2")][0]
    # the gaps, by hand: 8 instructions after roi_begin (6 addi, beq, nop at m_t) and the
    # end marker; all gap 1 except m_t (3)
    wb = df["wb_cycle"]
    assert list(wb.loc[begin + 1:end].diff().dropna()) == [1] * 6 + [3, 1]
    rr = cyclesim.run(str(r.result.path), overrides=dict(BASE), roi=True)
    # the stats window: from WB(roi_begin) to WB(roi_end): 9 instructions (6 addi, beq,
    # nop, the roi_end marker itself), 9 + 2 = 11 cycles; the missing loads before and after
    # are outside
    assert rr.stats["core.instructions"] == 9
    assert rr.stats["core.cycles"] == 11 == wb.loc[end] - wb.loc[begin]
    assert rr.stats["cpi_stack.dcache_mem"] == 0
    assert rr.stats["cpi_stack.branch_mispredict"] == 2


BTB_LOOP = """
  li a0, 4
.balign 64
m_loop:
m_j1: j m_a
  nop
m_a: addi a0, a0, -1
m_j2: j m_b
  nop
m_b: bne a0, x0, m_loop
"""


@pytest.mark.parametrize("entries,assoc,gap_j1,gap_j2", [
    # pc >> 1 of j1, j2, bne = 32k, 32k + 6, 32k + 10 (loop aligned to 64 bytes)
    (2, 1, 2, 2),    # 2 sets: all three in set 0, one way: every jal misses
    (4, 1, 1, 2),    # 4 sets: j1 alone in set 0; j2 and bne (taken) fight over set 2
    (8, 1, 1, 1),    # 8 sets: 0, 6, 2: no conflict
    (2, 2, 2, 2),    # 1 set of 2 ways, 3 users in round robin: LRU always evicts the next
    (4, 4, 1, 1),    # 1 set of 4 ways: all fit
    (8, 2, 1, 1),    # 4 sets: j1 in set 0; j2 and bne share set 2's two ways
])
def test_r11_btb_sets_ways_and_lru(asm, entries, assoc, gap_j1, gap_j2):
    """Rule 11: the BTB learns every taken jal/branch (LRU, sets indexed by pc >> 1, full
    tags). A jal that misses is a decode redirect (WB gap 2 to its target), a hit costs
    nothing (gap 1). Gaps in the later iterations of the loop (static_nt)."""
    r = asm(BTB_LOOP, bpred__btb_entries=entries, bpred__btb_assoc=assoc)
    assert r.sym["m_loop"] % 64 == 0
    for k in (1, 2, 3):
        assert r.wb("m_a", k) - r.wb("m_j1", k) == gap_j1, k
        assert r.wb("m_b", k) - r.wb("m_j2", k) == gap_j2, k
    assert r.wb("m_a", 0) - r.wb("m_j1", 0) == 2


def test_r11_t0_link_register_calls_and_returns(asm):
    """Rule 11: `jal t0, f` is a call (rd = t0 pushes), `jr t0` (jalr x0, t0) a return
    predicted by the RAS: gap 1; the call itself has no BTB entry: decode redirect, gap 2."""
    r = asm("m_call: jal t0, m_f\nm_back: addi t1, x0, 1\nj m_end\nm_f: nop\n"
            "m_ret: jr t0\nm_end: nop\n")
    assert r.gap("m_call", "m_f") == 2
    assert r.gap("m_ret", "m_back") == 1
    assert r.result.stats["bpred.ras_hits"] == 1


def test_r4_r5_branch_in_id_without_forwarding(asm):
    """Rules 4, 5: without forwarding the branch reads its registers in ID like any op
    (EX >= W + 1): addi then dependent bne, resolve in ID: 2 bubbles (gap 3), not 3."""
    r = asm("m_a: addi t0, x0, 1\nm_br: bne t0, x0, m_t\nnop\nm_t: nop\n",
            core__forwarding="none", core__branch_resolve_stage="ID", bpred__kind="btfn")
    assert r.gap("m_a", "m_br") == 3


def test_r9_hitting_stores_never_fill_a_one_entry_buffer(asm):
    """Rule 9, N = 1: stores that hit drain in 1 cycle, so the next store's MEM entry
    (>= previous drain finish = its MEM + 1) never waits: gaps 1."""
    r = asm(WARM + "m_a: sd t1, 8(s0)\nm_b: sd t1, 16(s0)\nm_c: sd t1, 72(s0)\n"
            "m_d: sd t1, 80(s0)\n", core__store_buffer_entries=1)
    assert [r.gap("m_a", "m_b"), r.gap("m_b", "m_c"), r.gap("m_c", "m_d")] == [1, 1, 1]


# ------------------------------------------------------------------ RVA22 op classes (R8, R15)
def test_r8_bitmanip_latencies(asm):
    """Rule 8 with the Zba/Zbb/Zbs/Zbc classes: sh1add, clz, rori, bset are single-cycle ALU
    ops (dependent chain, WB gap 1); cpop has popcount_latency and clmul clmul_latency,
    pipelined like mul:
      cpop t0   IF0 ID1    EX2 MEM3 WB4
      add  t1,t0    IF1 ID2..4 EX5 MEM6 WB7        WB gap 3 (latency 3)."""
    body = ("m_a: sh1add t0, a0, a1\nm_b: clz t1, t0\nm_c: rori t2, t1, 3\n"
            "m_d: bset t3, t2, t1\nm_p: cpop t4, t3\nm_q: add t5, t4, t4\n"
            "m_m: clmul t6, a0, a1\nm_n: add s1, t6, t6\nm_x: clmul s2, a0, a1\n"
            "m_y: clmul s3, a0, a1\n")
    r = asm(body)
    assert [r.gap(a, b) for a, b in (("m_a", "m_b"), ("m_b", "m_c"), ("m_c", "m_d"))] == \
        [1, 1, 1]
    assert r.gap("m_p", "m_q") == 3 and r.gap("m_m", "m_n") == 3
    assert r.gap("m_x", "m_y") == 1                      # pipelined
    r = asm(body, core__popcount_latency=5, core__clmul_latency=2)
    assert r.gap("m_p", "m_q") == 5 and r.gap("m_m", "m_n") == 2
    assert r.result.stats["core.op.popcount"] == 1 and r.result.stats["core.op.clmul"] == 3


def test_r15_cbo_zero_does_not_fetch(asm):
    """Rule 15: cbo.zero of a line not in L1D holds MEM for the L1 hit latency only (the
    line is installed dirty without a fill), and a load of it then hits.
      add a0     WB w;  cbo.zero  MEM 1 cycle: WB w + 1;  ld: L1 hit, WB w + 2."""
    r = asm(WARM + "  li a0, 4096\nm_a: add a0, a0, s0\nm_z: cbo.zero (a0)\n"
                   "m_ld: ld t0, 8(a0)\n")
    assert r.gap("m_a", "m_z") == 1 and r.gap("m_z", "m_ld") == 1
    assert r.col("m_ld", "level") == "l1"
    assert r.result.stats["l1d.cbo_zero"] == 1


def test_r15_cbo_clean_and_flush_write_back(asm):
    """Rule 15: cbo.clean/flush of a dirty line hold MEM for the L1 lookup (1) plus the
    writeback to memory (fixed, 40): 41 cycles, so its WB is 41 after the store's.
    clean keeps the line (the next load hits), flush and inval drop it (the load misses,
    41); of a clean line they cost the lookup alone (gap 1).
      sd t0,0(s0)   drains into L1 (hit, 1) one cycle before cbo's MEM: no wait."""
    for op, kept in (("cbo.clean", True), ("cbo.flush", False), ("cbo.inval", False)):
        body = WARM + (f"m_s: sd t0, 0(s0)\nm_c: {op} (s0)\nm_n: nop\nm_2: {op} (s0)\n"
                       "m_ld: ld t1, 0(s0)\n")
        r = asm(body)
        assert r.gap("m_s", "m_c") == MISS, op             # MEM 1 + writeback 40
        assert r.gap("m_n", "m_2") == 1, op                 # now clean (or absent)
        assert r.col("m_ld", "level") == ("l1" if kept else "memory"), op
    assert r.result.stats["l1d.cbo_writebacks"] == 1


def test_r15_prefetch_is_not_waited_for(asm):
    """Rule 15: prefetch.r of a missing line does not hold MEM (WB gap 1 to the next
    instruction), and a later load of the line finds it in L1D."""
    body = WARM + ("  li a0, 8192\nm_a: add a0, a0, s0\nm_p: prefetch.r 0(a0)\nm_n: nop\n"
                   "m_ld: ld t0, 16(a0)\n")
    r = asm(body)
    assert r.gap("m_a", "m_p") == 1 and r.gap("m_p", "m_n") == 1
    assert r.col("m_ld", "level") == "l1"
def test_r8_half_precision_and_zfa_latencies(asm):
    """Rule 8 for Zfh and Zfa: they run on the FP unit that runs singles and doubles, in
    the same op classes (docs/pipeline.md, "Half precision and Zfa"), so a dependent
    fadd.d enters EX at E(producer, EX) + the class latency: fadd.h/fmin.h/fminm.d/fleq
    4 (fadd), fmul.h 4, fmadd.h 5, the conversions, moves, fli and fround 2 (fcvt);
    fdiv.h 20 and fsqrt.h 25 hold EX. Zfa is hand-encoded (binutils 2.40 lacks it):
    fli.d fa0, 1.0 = 0xf2180553, fminm.d fa0, fa1, fa2 = 0x2ac5a553,
    fround.d fa0, fa1 = 0x4245f553, fleq.d a0, fa1, fa2 = 0xa2c5c553."""
    zfh = "  .option arch, +zfh\n"
    cases = [("fadd.h fa0, fa1, fa2", 4), ("fmin.h fa0, fa1, fa2", 4),
             ("fmul.h fa0, fa1, fa2", 4), ("fmadd.h fa0, fa1, fa2, fa3", 5),
             ("fcvt.h.l fa0, a1", 2), ("fcvt.s.h fa0, fa1", 2), ("fcvt.h.d fa0, fa1", 2),
             ("fmv.h.x fa0, a1", 2), (".insn 0xf2180553", 2), (".insn 0x2ac5a553", 4),
             (".insn 0x4245f553", 2)]
    for op, lat in cases:
        r = asm(f"{zfh}m_p: {op}\nm_c: fadd.d fa4, fa0, fa0\n")
        assert r.st("m_c")[2] == r.st("m_p")[2] + lat, op
    for op in ("feq.h a0, fa1, fa2", ".insn 0xa2c5c553"):    # FP compare -> integer consumer
        r = asm(f"{zfh}m_p: {op}\nm_c: addi a1, a0, 1\n")
        assert r.st("m_c")[2] == r.st("m_p")[2] + 4, op
    for op, lat in (("fdiv.h fa0, fa1, fa2", 20), ("fsqrt.h fa0, fa1", 25)):
        r = asm(f"{zfh}m_b: addi t1, x0, 1\nm_p: {op}\nm_c: addi t0, x0, 1\n")
        assert r.gap("m_b", "m_p") == lat and r.gap("m_p", "m_c") == 1, op
    # flh is a load like flw: the same load-to-use distance for an FP consumer
    flw = asm(WARM + "m_p: flw fa0, 8(s0)\nm_c: fadd.s fa4, fa0, fa0\n")
    flh = asm(WARM + f"{zfh}m_p: flh fa0, 8(s0)\nm_c: fadd.h fa4, fa0, fa0\n")
    assert flh.st("m_c")[2] - flh.st("m_p")[2] == flw.st("m_c")[2] - flw.st("m_p")[2]
# ------------------------------------------------------------------ superscalar (S1..S9)
# `WIDE2`/`WIDE3`: BASE with 2 or 3 instructions per stage. The tested part starts at a
# fresh I-cache line (`.balign 64`, padded with nops), so by rule S3 its first instruction
# is fetched one cycle after the padding and starts a new fetch group and, the pipe being
# empty of stalls, a new issue group.
WIDE2 = dict(BASE, **{"core.width": 2})
WIDE3 = dict(BASE, **{"core.width": 3})
LINE = ".balign 64\n"


def ex(r, label, k=0):
    return r.st(label, k)[2]


def test_s1_s2_independent_ops_issue_width_per_cycle(asm):
    """Rules S1, S2: 9 independent addi in one line enter every stage `width` at a time.
    Width 2: the i-th enters each stage i // 2 cycles after the first; width 3: i // 3."""
    body = LINE + "".join(f"m_{i}: addi t{i % 6}, x0, {i}\n" for i in range(9))
    for base, w in ((WIDE2, 2), (WIDE3, 3)):
        r = asm(body, base=base)
        first = r.st("m_0")
        assert [tuple(c - f for c, f in zip(r.st(f"m_{i}"), first)) for i in range(9)] == \
            [(i // w,) * 5 for i in range(9)]
        assert r.result.stats[f"core.issue_cycles.{w}"] >= 3


def test_s1_fill_of_a_deeper_pipeline(asm):
    """Rule S1: with fetch_stages = 2 and decode_stages = 3 the first instruction enters
    F1 at 0, D1 at 2, EX at 5, MEM 6, WB 7: 8 cycles for one instruction. In commit
    slots (S9, width 2) the 7 cycles before its commit are the pipeline fill's: 14 slots
    of the front end (the harness's three other instructions after it lose no fetch
    bubbles), and 4 slots are retiring; the slots sum to 2 x the cycles."""
    r = asm("m_a: addi t0, x0, 1\n", base=WIDE2, core__fetch_stages=2, core__decode_stages=3)
    assert r.st("m_a") == (0, 2, 5, 6, 7)
    s = r.result.stats
    assert (s["commit_slots.retiring"], s["commit_slots.frontend_bandwidth"]) == (4, 14)
    assert sum(v for k, v in s.items() if k.startswith("commit_slots.")) == 2 * s["core.cycles"]


def test_s3_a_new_line_starts_a_new_fetch_group(asm):
    """Rule S3, width 3: 16 nops fill one 64-byte line; they are fetched 3, 3, 3, 3, 3
    and then the 16th alone (the next instruction is in a new line), so the first of the
    next line enters IF 6 cycles after the first of this one, not 5."""
    body = LINE + "".join(f"m_{i}: addi x0, x0, 0\n" for i in range(19))
    r = asm(body, base=WIDE3)
    f = r.st("m_0")[0]
    assert [r.st(f"m_{i}")[0] - f for i in (12, 14, 15, 16, 18)] == [4, 4, 5, 6, 6]


def test_s5_dependent_pair_cannot_dual_issue_without_late_alu(asm):
    """Rules S4 (R3 within a group): add t1 <- t0 cannot enter EX with the addi that makes
    t0 (usable at EX + 1); the independent third op pairs with it:
      addi t0   EX x      add t1,t0  EX x+1      addi t2  EX x+1."""
    r = asm(LINE + "m_a: addi t0, x0, 1\nm_b: add t1, t0, t0\nm_c: addi t2, x0, 2\n",
            base=WIDE2)
    assert (ex(r, "m_b") - ex(r, "m_a"), ex(r, "m_c") - ex(r, "m_a")) == (1, 1)


@pytest.mark.parametrize("pair, key, limit", [
    ("m_a: ld t0, 8(s0)\nm_b: ld t1, 16(s0)\n", "core.mem_per_cycle", 2),
    ("m_a: sd t0, 8(s0)\nm_b: ld t1, 16(s0)\n", "core.mem_per_cycle", 2),
    ("m_a: bne x0, x0, m_a\nm_b: bne x0, x0, m_a\n", "core.branch_per_cycle", 2),
    ("m_a: mul t0, t1, t2\nm_b: mul t3, t4, t5\n", "core.muldiv_per_cycle", 2),
    ("m_a: fadd.d fa0, fa1, fa2\nm_b: fmul.d fa3, fa4, fa5\n", "core.fp_per_cycle", 2),
])
def test_s5_per_class_issue_limits(asm, pair, key, limit):
    """Rule S5: two independent ops of one class enter EX in the same cycle only when the
    class limit allows 2; with the limit 1 the second waits one cycle (a pair stall)."""
    body = WARM + LINE + pair
    one = asm(body, base=dict(WIDE2, **{key: 1}))
    two = asm(body, base=dict(WIDE2, **{key: limit}))
    assert ex(one, "m_b") - ex(one, "m_a") == 1
    assert one.result.stats["core.pair_stalls"] >= 1
    assert ex(two, "m_b") - ex(two, "m_a") == 0


@pytest.mark.parametrize("pair, rule", [
    ("m_a: mul t0, t1, t2\nm_b: bne x0, x0, m_a\n", "branch+muldiv"),
    ("m_a: fadd.d fa0, fa1, fa2\nm_b: bne x0, x0, m_a\n", "branch+fp"),
    ("m_a: fadd.d fa0, fa1, fa2\nm_b: mul t0, t1, t2\n", "muldiv+fp"),
    ("m_a: addi t0, x0, 1\nm_b: addi t1, x0, 1\n", "alu+alu"),
])
def test_s5_forbidden_pairs(asm, pair, rule):
    """Rule S5, `no_pair`: the two classes never enter EX together; other pairs do."""
    body = LINE + pair
    assert ex(asm(body, base=WIDE2), "m_b") == ex(asm(body, base=WIDE2), "m_a")
    r = asm(body, base=dict(WIDE2, **{"core.no_pair": rule}))
    assert ex(r, "m_b") - ex(r, "m_a") == 1


def test_s5_system_instructions_issue_alone(asm):
    """Rule S5: a fence enters EX alone; the addi after it goes one cycle later."""
    r = asm(LINE + "m_a: fence\nm_b: addi t0, x0, 1\n", base=WIDE2)
    assert ex(r, "m_b") - ex(r, "m_a") == 1


LATE = dict(WIDE2, **{"core.late_alu": True, "core.late_alu_delay": 2,
                      "core.mem_blocking": False, "l1d.hit_latency": 2})


def test_s7_late_alu_pairs_a_dependent_alu_op(asm):
    """Rule S7, delay 2: add t1 <- t0 issues with the addi that makes t0 (usable at
    EX + 1 <= EX + 2, decided at EX) and executes late; its result is usable at
    MEM + 2 = EX + 3, so an early consumer (sd's address... here `ld` using t1 as base)
    waits until EX + 3, while a late consumer (`add t2 <- t1`) issues at EX + 1:
      addi t0  EX x    add t1 (late) EX x    add t2,t1 (late) EX x+1    ld (t1) EX x+3."""
    r = asm(WARM + LINE + "m_a: addi t0, s0, 8\nm_b: add t1, t0, x0\nm_c: add t2, t1, t1\n"
            "m_d: ld t3, 0(t1)\n", base=LATE)
    x = ex(r, "m_a")
    assert [ex(r, m) - x for m in ("m_b", "m_c", "m_d")] == [0, 1, 3]
    assert r.result.stats["core.late_alu_ops"] >= 2
    plain = asm(WARM + LINE + "m_a: addi t0, s0, 8\nm_b: add t1, t0, x0\nm_c: add t2, t1, t1\n"
                "m_d: ld t3, 0(t1)\n", base=dict(LATE, **{"core.late_alu": False}))
    # without it: b at x + 1, c at x + 2 and the load (t1 usable at x + 2) pairs with c
    x = ex(plain, "m_a")
    assert [ex(plain, m) - x for m in ("m_b", "m_c", "m_d")] == [1, 2, 2]


def test_s7_load_to_use_with_the_late_alu(asm):
    """Rule S7 with a 2-cycle L1D hit (L = 2, data usable at MEM + 2 = EX + 3):
    - an ALU consumer runs late: EX(ld) + 1 (it needs the data at its EX + 2, and the
      load's data time is decided once the load is in MEM): no load-use bubble;
    - an address consumer (a load using it as base) needs it at EX entry: EX(ld) + 3;
    - without the late ALU the ALU consumer also waits until EX(ld) + 3."""
    body = WARM + LINE + "m_ld: ld t0, 8(s0)\nm_use: add t1, t0, t0\n"
    assert ex(asm(body, base=LATE), "m_use") - ex(asm(body, base=LATE), "m_ld") == 1
    r = asm(body, base=dict(LATE, **{"core.late_alu": False}))
    assert ex(r, "m_use") - ex(r, "m_ld") == 3
    r = asm(WARM + "sd s0, 8(s0)\n" + LINE + "m_ld: ld t0, 8(s0)\nm_use: ld t1, 0(t0)\n",
            base=LATE)
    assert ex(r, "m_use") - ex(r, "m_ld") == 3


@pytest.mark.parametrize("nf, nd, late, expected", [
    (1, 1, False, 3),      # scalar R11: fetch at EX + 1, target EX = EX(br) + 1 + 2
    (2, 2, False, 5),      # S8: target EX = EX(br) + 1 + 4
    (2, 2, True, 7),       # S8: late branch resolved at MEM + 2 - 1: fetch at EX + 3
])
def test_s8_mispredict_penalty_follows_the_depth(asm, nf, nd, late, expected):
    """Rule S8: a taken beq (static not-taken: mispredicted) resolved in EX; the target is
    fetched the cycle after it resolves and needs fetch_stages + decode_stages cycles to
    reach EX. Executed late (its operand from the addi just before, delay 2), it resolves
    in the late stage MEM + 1 and the target is fetched at MEM + 2 = EX + 3."""
    body = LINE + "m_a: addi t0, x0, 0\nm_br: beq t0, x0, m_t\nnop\nnop\nm_t: nop\n"
    base = dict(LATE if late else WIDE2, **{"core.fetch_stages": nf, "core.decode_stages": nd})
    r = asm(body, base=base)
    assert ex(r, "m_t") - ex(r, "m_br") == expected
    assert r.st("m_t")[0] == r.st("m_br")[3] + (2 if late else 0)
    assert r.col("m_t", "stall_cause") == "branch_mispredict"
