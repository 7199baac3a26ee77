"""The out-of-order core on assembled RISC-V programs: one exact-cycle test per rule of
docs/pipeline-ooo.md (derivation in each docstring), and microbenchmarks whose throughput
the parameters predict (issue width, latency, load ports, window size vs a cache miss).

Cycles are read from the pipeline trace in the shared layout: if = fetch F, id = dispatch
D, ex = issue I, mem = done X, wb = commit C. Relations between instructions are checked,
not absolute cycles, so that the start-up I-cache misses do not enter the derivations.
Machine `OOO`: core.model = ooo, no L2, a fixed 40-cycle memory (an L1D miss is 1 + 40 =
41 cycles, a hit 1), static not-taken prediction, and the parameters each test sets.
"""
import subprocess

import pytest

import cyclesim

OOO = {"core.model": "ooo", "l2": None, "memory.kind": "fixed", "memory.latency": 40,
       "bpred.kind": "static_nt", "l1d.hit_latency": 1, "l1d.mshrs": 64}
P = "core.model_params."
WIDE = {P + "fetch_width": 8, P + "decode_width": 4, P + "commit_width": 4,
        P + "fetch_buffer_entries": 32, P + "frontend_depth": 3,
        P + "int_ports": "alu+branch, alu+mul, alu+div, alu", P + "mem_ports": "load, load+store",
        P + "rob_entries": 128, P + "int_phys_regs": 200, P + "int_iq_entries": 32,
        P + "mem_iq_entries": 16, P + "lq_entries": 32, P + "sq_entries": 32}
DATA = 0x402000
_cache: dict = {}


class Run:
    def __init__(self, result, syms):
        self.result = result
        self.sym = syms
        self.df = result.pipeline

    def st(self, label, k=0):
        """(F, D, I, X, C) of the k-th execution of the instruction at `label`."""
        rows = self.df[self.df["pc"] == self.sym[label]]
        assert len(rows) > k, f"{label} executed {len(rows)} times"
        r = rows.iloc[k]
        return tuple(int(r[c]) for c in ("fetch_cycle", "dispatch_cycle", "issue_cycle",
                                         "done_cycle", "commit_cycle"))


@pytest.fixture(scope="module")
def asm(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ooo_asm")

    def run(body, **overrides):
        if body not in _cache:
            n = len(_cache)
            src, elf = tmp / f"p{n}.S", tmp / f"p{n}"
            src.write_text(".option norvc\n.globl _start\n.text\n_start:\n" + body +
                           "\n  li a7, 93\n  li a0, 0\n  ecall\n.data\nbuf: .zero 0x30000\n")
            subprocess.run([riscv_gcc, "-nostdlib", "-static", "-march=rv64gc",
                            "-mabi=lp64d", f"-Wl,-Tdata={DATA:#x}", "-Wl,--build-id=none",
                            "-o", str(elf), str(src)], check=True, capture_output=True)
            nm = subprocess.run(["riscv64-linux-gnu-nm", str(elf)], check=True,
                                capture_output=True, text=True).stdout
            syms = {f[2]: int(f[0], 16) for f in (ln.split() for ln in nm.splitlines())
                    if len(f) == 3}
            _cache[body] = (elf, syms)
        elf, syms = _cache[body]
        ov = dict(OOO)
        ov.update(overrides)
        result = cyclesim.run(str(elf), overrides=ov, trace="pipeline")
        assert result.status == "exited", result.message
        assert result.cpi_stack().sum() == result.stats["core.cycles"]      # O20
        return Run(result, syms)

    return run


# Warm two lines of buf (their misses are paid first) and let the window drain: the
# fence (O12) dispatches into an empty ROB, so nothing before it overlaps the test.
WARM = """
  lla s0, buf
  ld s1, 0(s0)
  ld s1, 64(s0)
m_fence: fence
"""


def test_o1_o7_o14_o19_widths(asm):
    """O1 fetch 8 a cycle from one line; O6 D = F + 3; O7 decode 4 a cycle; O13 I = D + 1;
    O14 four ALU ports; O17 X = I + 1; O19 commit 4 a cycle, C = X. Twelve independent
    addi in one 64-byte line, at the start of the program (the alignment nops before them
    are in another line, long gone when this one arrives after its I-cache miss, at F0):
      #0-7   F0,   #8-11 F0+1    (fetch width 8)
      #0-3   D0, #4-7 D0+1, #8-11 D0+2   (decode width 4; F + 3 <= D0 + 1 for #8-11)
      I = D + 1, X = I + 1, C = X            (4 ports, 4 commits a cycle)."""
    body = "  .balign 64\n" + "".join(f"m_{i}: addi t{i % 6}, x0, {i}\n" for i in range(12))
    r = asm(body, **WIDE)
    f0 = r.st("m_0")[0]
    d0 = f0 + 3
    for i in range(12):
        f = f0 + (1 if i >= 8 else 0)
        d = d0 + i // 4
        assert r.st(f"m_{i}") == (f, d, d + 1, d + 2, d + 2), i


def test_o13_o17_dependent_mul_chain(asm):
    """O13/O17: each mul waits for its producer: I(k+1) = X(k) = I(k) + mul_latency (3)."""
    body = WARM + "".join(f"m_{i}: mul t0, t0, t0\n" for i in range(6))
    r = asm(body, **WIDE)
    for i in range(5):
        a, b = r.st(f"m_{i}"), r.st(f"m_{i + 1}")
        assert a[3] == a[2] + 3
        assert b[2] == a[3]


def test_o8_rob_full(asm):
    """O8: behind an L1D miss (41 cycles) the ROB (8 entries) fills; the instruction 8
    younger than the load dispatches in the cycle after the load commits:
    D(ld + 8) = C(ld) + 1, and C(ld) = X(ld) = I(ld) + 41."""
    body = WARM + "m_ld: ld t1, 2040(s0)\n" + "".join(f"m_{i}: addi t{2 + i % 4}, x0, {i}\n"
                                                       for i in range(1, 12))
    r = asm(body, **{**WIDE, P + "rob_entries": 8})
    ld = r.st("m_ld")
    assert ld[3] == ld[2] + 41 and ld[4] == ld[3]
    assert r.st("m_8")[1] == ld[4] + 1
    assert r.st("m_7")[1] < ld[4]                  # the 7 before it fit beside the load
    assert r.result.stats["core.rob_full_cycles"] > 0


def test_o9_issue_queue_full(asm):
    """O9: a 2-entry integer queue holding two instructions that wait for a load miss:
    the third dispatches the cycle after the first of them issues."""
    body = WARM + ("m_ld: ld t1, 2040(s0)\nm_a: add t2, t1, t1\nm_b: add t3, t1, t1\n"
                   "m_c: addi t4, x0, 1\n")
    r = asm(body, **{**WIDE, P + "int_iq_entries": 2})
    a, b, c = r.st("m_a"), r.st("m_b"), r.st("m_c")
    assert a[2] == r.st("m_ld")[3]                 # O13: issues when the load's data is there
    assert c[1] == min(a[2], b[2]) + 1


def test_o12_fence_serialises(asm):
    """O12: a fence dispatches into an empty ROB, D(fence) = C(previous) + 1 (the previous
    one here is a load miss), and the next instruction dispatches after the fence
    commits: D(next) = C(fence) + 1."""
    body = WARM + "m_ld: ld t1, 2040(s0)\nm_f: fence\nm_n: addi t2, x0, 1\n"
    r = asm(body, **WIDE)
    ld, f, n = r.st("m_ld"), r.st("m_f"), r.st("m_n")
    assert f[1] == ld[4] + 1
    assert n[1] == f[4] + 1


def test_o15_unpipelined_divider(asm):
    """O15: two independent divides on the single divider port: the second issues when
    the first frees the unit, I(2) = I(1) + div_latency (20); both X = I + 20."""
    body = WARM + "m_d1: div t1, s0, s0\nm_d2: div t2, s0, s0\n"
    r = asm(body, **WIDE)
    d1, d2 = r.st("m_d1"), r.st("m_d2")
    assert d2[2] == d1[2] + 20
    assert d1[3] == d1[2] + 20 and d2[3] == d2[2] + 20


def test_o16_loads_wait_for_older_store_addresses(asm):
    """O16 with O13's split store: the store's address depends on a mul chain (3 x 3
    cycles); its STA issues when the address is ready, and the younger independent load
    issues the cycle after: I(ld) = I(sd) + 1, I(sd) = X(last mul)."""
    body = WARM + ("  mv t0, s0\nm_m1: mul t1, t0, x0\nm_m2: mul t1, t1, x0\n"
                   "m_m3: mul t1, t1, x0\nm_a: add t1, t1, s0\nm_sd: sd s1, 8(t1)\n"
                   "m_ld: ld t2, 128(s0)\n")
    r = asm(body, **WIDE)
    assert r.st("m_sd")[2] == r.st("m_a")[3]
    assert r.st("m_ld")[2] == r.st("m_sd")[2] + 1


def test_o13_store_data_half_does_not_hold_later_loads(asm):
    """O13: a store whose DATA comes from a load miss issues its address half at once;
    a younger load to another address issues the cycle after it (O16), long before the
    store's data arrives; the store is done at X = max(I, J) + 1 with J = X(miss)."""
    body = WARM + ("m_miss: ld t1, 2040(s0)\nm_sd: sd t1, 8(s0)\nm_ld: ld t2, 64(s0)\n")
    r = asm(body, **WIDE)
    miss, sd, ld = r.st("m_miss"), r.st("m_sd"), r.st("m_ld")
    assert sd[2] == sd[1] + 1                      # STA: s0 is ready
    assert ld[2] == sd[2] + 1                      # O16
    assert ld[3] == ld[2] + 1                      # an L1 hit, 40 cycles before the miss
    assert sd[3] == miss[3] + 1                    # O17: J = X(miss), X = J + 1


def test_o18_store_to_load_forwarding(asm):
    """O18: a load of the bytes an older, uncommitted store writes gets them from the SQ:
    X(ld) = max(I(ld), J(sd)) + store_forward_latency (4); the store's data is ready at
    dispatch (J = D + 1 <= I(ld)), so X = I + 4, and the cache is not accessed."""
    body = WARM + "  addi t1, x0, 7\nm_sd: sd t1, 16(s0)\nm_ld: ld t2, 16(s0)\n"
    r = asm(body, **WIDE)
    ld = r.st("m_ld")
    assert ld[3] == ld[2] + 4
    assert r.result.stats["core.loads_forwarded"] >= 1


def test_o18_partial_overlap_replays_after_the_store_commits(asm):
    """O18: a doubleword load over a byte store overlaps it only partly: the load replays
    at C(sb) + 1 and then reads the cache (hit, 1 cycle)."""
    body = WARM + "m_sb: sb s1, 17(s0)\nm_ld: ld t2, 16(s0)\n"
    r = asm(body, **WIDE)
    sb, ld = r.st("m_sb"), r.st("m_ld")
    assert ld[2] == sb[4] + 1 and ld[3] == ld[2] + 1
    assert r.result.stats["core.load_replays"] >= 1


def test_o3_mispredict_redirect(asm):
    """O3: a taken branch predicted not taken (static_nt) resolves at X; the right path
    is fetched redirect_penalty (3) cycles later: F(target) = X(beq) + 3."""
    body = WARM + "  .balign 64\nm_br: beq x0, x0, m_t\n  nop\n  nop\nm_t: addi t1, x0, 1\n"
    r = asm(body, **WIDE)
    br, t = r.st("m_br"), r.st("m_t")
    assert r.sym["m_t"] >> 6 == r.sym["m_br"] >> 6        # same line: no I-cache access
    assert t[0] == br[3] + 3
    assert r.result.stats["bpred.mispredicts"] >= 1


# ------------------------------------------------------------------ microbenchmarks
def _loop(body, n):
    return f"  li s2, {n}\n  .balign 64\nm_top:\n{body}  addi s2, s2, -1\nm_br: bnez s2, m_top\n"


def _period(r, label, k0=20, k1=120):
    """Cycles per iteration in the steady state, from the commits of `label`."""
    return (r.st(label, k1)[4] - r.st(label, k0)[4]) / (k1 - k0)


@pytest.mark.parametrize("alus,expected", [(4, 10 / 4), (2, 10 / 2)])
def test_bench_independent_adds_reach_the_issue_width(asm, alus, expected):
    """8 independent adds + counter + branch = 10 instructions an iteration. With 4 ALU
    ports (and decode/commit 4) the loop commits 4 a cycle: 2.5 cycles an iteration; with
    2 ALU ports (one also branches) 10 integer ops take 5 cycles."""
    ports = "alu+branch, alu+mul, alu+div, alu" if alus == 4 else "alu+branch, alu+mul+div"
    body = "".join(f"  add a{i % 6}, s0, s0\n" for i in range(8))
    r = asm(WARM + _loop(body, 200), **{**WIDE, "bpred.kind": "bimodal",
                                        P + "int_ports": ports})
    assert _period(r, "m_br") == expected


def test_bench_dependent_chain_runs_at_the_latency(asm):
    """A loop-carried chain of 4 muls (latency 3): 12 cycles an iteration, whatever the
    width; the loop overhead hides under the chain."""
    body = "".join("  mul a0, a0, a1\n" for _ in range(4))
    r = asm(WARM + "  li a0, 3\n  li a1, 5\n" + _loop(body, 200),
            **{**WIDE, "bpred.kind": "bimodal"})
    assert _period(r, "m_br") == 12


@pytest.mark.parametrize("mem_ports,l1d_ports,expected", [("load, load+store", 2, 4),
                                                          ("load, load+store", 1, 8),
                                                          ("load+store", 2, 8)])
def test_bench_load_loop_reaches_the_load_ports(asm, mem_ports, l1d_ports, expected):
    """8 independent L1-hit loads an iteration: 2 load ports issue them in 4 cycles, one
    port in 8 (decode 4 would allow 10 / 4 = 2.5). The L1D must accept as many: with
    l1d.ports = 1 (docs/caches.md) the second load of a cycle waits for the next cycle's
    port, so two core ports still give 8."""
    body = "".join(f"  ld a{i % 6}, {8 * i}(s0)\n" for i in range(8))
    r = asm(WARM + _loop(body, 200), **{**WIDE, "bpred.kind": "bimodal",
                                        P + "mem_ports": mem_ports, "l1d.ports": l1d_ports})
    assert _period(r, "m_br") == expected


def _miss_loop(rob):
    """One L1D miss an iteration (a new line, 41 cycles) and 16 independent adds: 20
    instructions, 5 cycles an iteration at width 4 if the window covers the miss."""
    body = "  ld a0, 0(s3)\n  addi s3, s3, 64\n" + "".join(f"  add a{1 + i % 5}, s0, s0\n"
                                                             for i in range(16))
    over = {**WIDE, "bpred.kind": "bimodal", P + "rob_entries": rob,
            P + "int_phys_regs": 32 + rob, P + "lq_entries": 32, P + "int_iq_entries": 64,
            "l1d.size": "4KiB"}
    return WARM + "  addi s3, s0, 1024\n" + _loop(body, 200), over


def test_bench_rob_sized_window_hides_a_miss_and_more_does_not_help(asm):
    """A miss every 20 instructions with 41 cycles of latency: 41 / 5 = 9 iterations (164
    instructions) are in flight while one miss is served, so a 256-entry ROB hides the
    misses (5 cycles an iteration, the width bound), 512 entries give exactly the same,
    and a 32-entry ROB cannot: it holds less than two iterations (40 instructions), so
    the miss of iteration k + 1 dispatches only after the one of k - 1 has committed (O8)
    -- at most two iterations per 41 cycles."""
    body, over = _miss_loop(256)
    big = _period(asm(body, **over), "m_br")
    body, over = _miss_loop(512)
    bigger = _period(asm(body, **over), "m_br")
    body, over = _miss_loop(32)
    small = _period(asm(body, **over), "m_br")
    assert big == 5
    assert bigger == big
    assert small >= 41 / 2
