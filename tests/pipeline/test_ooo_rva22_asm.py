"""The out-of-order core on assembled RVA22 programs: cpop/clmul latencies and port (O17,
O14) and the cache-block operations and prefetch hints of O21 (docs/pipeline-ooo.md),
with and without TLBs. Exact cycles, derivation in each docstring.

Machine as tests/pipeline/test_ooo_asm.py: core.model = ooo, no L2, a fixed 40-cycle
memory (an L1D miss is 1 + 40 = 41 cycles, a hit 1), static not-taken prediction.
Cycles come from the shared trace layout: ex = issue I, mem = done X, wb = commit C.
"""
import subprocess

import pytest

import cyclesim

from test_ooo_asm import OOO, WARM, Run

MARCH = "rv64gc_zbb_zbc_zicbom_zicboz_zicbop"
DATA = 0x402000
_elfs: dict = {}


@pytest.fixture(scope="module")
def asm(riscv_gcc, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ooo_rva22")

    def run(body, **overrides):
        if body not in _elfs:
            n = len(_elfs)
            src, elf = tmp / f"p{n}.S", tmp / f"p{n}"
            src.write_text(".option norvc\n.globl _start\n.text\n_start:\n" + body +
                           "\n  li a7, 93\n  li a0, 0\n  ecall\n.data\n.balign 64\n"
                           "buf: .zero 0x30000\n")
            subprocess.run([riscv_gcc, "-nostdlib", "-static", f"-march={MARCH}",
                            "-mabi=lp64d", f"-Wl,-Tdata={DATA:#x}", "-Wl,--build-id=none",
                            "-o", str(elf), str(src)], check=True, capture_output=True)
            nm = subprocess.run(["riscv64-linux-gnu-nm", str(elf)], check=True,
                                capture_output=True, text=True).stdout
            _elfs[body] = (elf, {f[2]: int(f[0], 16) for f in
                                 (ln.split() for ln in nm.splitlines()) if len(f) == 3})
        elf, syms = _elfs[body]
        ov = dict(OOO)
        ov.update(overrides)
        result = cyclesim.run(str(elf), overrides=ov, trace="pipeline")
        assert result.status == "exited", result.message
        assert result.cpi_stack().sum() == result.stats["core.cycles"]
        return Run(result, syms)

    return run


P = "core.model_params."


def test_o17_cpop_and_clmul_latencies_feed_their_consumers(asm):
    """cpop a1 -> add uses a1: I(add) = X(cpop) = I(cpop) + popcount_latency (5 here);
    clmul a3 -> add uses a3: X(clmul) = I(clmul) + clmul_latency (7 here) = I(add2)."""
    r = asm(WARM + """
  li s1, 0xff
t_cpop: cpop a1, s1
t_use1: add a2, a1, a1
t_clmul: clmul a3, s1, s1
t_use2: add a4, a3, a3
""", **{P + "popcount_latency": 5, P + "clmul_latency": 7})
    _, _, i, x, _ = r.st("t_cpop")
    assert x == i + 5 and r.st("t_use1")[2] == x
    _, _, i, x, _ = r.st("t_clmul")
    assert x == i + 7 and r.st("t_use2")[2] == x
    assert r.result.stats["core.op.popcount"] == 1 and r.result.stats["core.op.clmul"] == 1


def test_o14_cpop_and_clmul_take_the_multipliers_port(asm):
    """mul, cpop and clmul, independent, decoded together (decode_width 4) and ready in the
    same cycle: the one port offering `mul` takes them oldest first, one a cycle (O14):
    I(cpop) = I(mul) + 1, I(clmul) = I(mul) + 2; the add beside them goes to the other
    ALU port in the mul's cycle."""
    r = asm(WARM + """
  li s1, 3
  nop
  nop
  nop
t_mul: mul a1, s1, s1
t_cpop: cpop a2, s1
t_clmul: clmul a3, s1, s1
t_add: add a4, s1, s1
""", **{P + "decode_width": 4, P + "commit_width": 4, P + "fetch_width": 8})
    f, d, i, _, _ = r.st("t_mul")
    assert r.st("t_cpop")[1] == d and r.st("t_clmul")[1] == d      # dispatched together
    assert r.st("t_cpop")[2] == i + 1 and r.st("t_clmul")[2] == i + 2
    assert r.st("t_add")[2] == i


BLOCK = WARM + """
t_cbo: {op} (s0)
t_ld: ld a1, 8(s0)
f2: fence
t_after: ld a2, 16(s0)
"""


def test_o21_cbo_zero_forwards_its_zeros_to_a_younger_load(asm):
    """cbo.zero (s0) is a store of the line at s0 (warm, in the L1D): the load of 8(s0)
    waits for its address half (O16: I(ld) >= I(cbo) + 1) and is forwarded from its SQ
    entry (O18): X(ld) = max(I(ld), J(cbo)) + store_forward_latency = I(ld) + 4 (J = D + 1
    is long past). The cbo is done at I + 1 (O21)."""
    r = asm(BLOCK.format(op="cbo.zero"))
    _, _, ic, xc, _ = r.st("t_cbo")
    _, _, il, xl, _ = r.st("t_ld")
    assert xc == ic + 1
    assert il >= ic + 1 and xl == il + 4
    s = r.result.stats
    assert s["core.loads_forwarded"] == 1 and s["core.cache_block_ops"] == 1


def test_o21_cbo_clean_holds_no_data_for_loads(asm):
    """cbo.clean (s0) on the warm, clean line: the load of 8(s0) still waits for the
    cbo's address half (O16) but is not forwarded (a clean changes no data, O21): it reads
    the L1D, where the line stays valid: a hit, X = I + 1 (a forward would be I + 4)."""
    r = asm(BLOCK.format(op="cbo.clean"))
    _, _, ic, _, _ = r.st("t_cbo")
    _, _, il, xl, _ = r.st("t_ld")
    assert il >= ic + 1 and xl == il + 1
    assert r.result.stats["core.loads_forwarded"] == 0
    assert r.result.stats["core.cache_block_ops"] == 1


@pytest.mark.parametrize("tlb", [False, True])
def test_o21_cbo_flush_is_performed_at_commit(asm, tlb):
    """cbo.flush (s0) on the warm line, then a fence, then a load of that line. The fence
    dispatches after the flush commits and the load after the fence commits (O12), so the
    load reads the L1D after the flush was performed at its commit: a miss, X = I + 41
    (a hit, I + 1, had the flush not reached the cache). With TLBs on the flush is
    translated first (the page is in the DTLB: 0 cycles) and evicts the line the same."""
    ov = {"tlb.enabled": True} if tlb else {}
    r = asm(WARM + """
t_cbo: cbo.flush (s0)
f2: fence
t_after: ld a2, 16(s0)
""", **ov)
    _, _, ia, xa, _ = r.st("t_after")
    assert r.st("f2")[1] > r.st("t_cbo")[4]
    assert xa == ia + 41
    assert r.result.stats["core.cache_block_ops"] == 1


def test_o21_prefetch_is_a_hint_nothing_waits_for(asm):
    """prefetch.r 192(s0), a line not yet touched: it issues on the load port and is done
    at I + 1 although its line misses (nothing waits for a hint); it does not wait for the
    older store's address (O16 is for loads). The load of that line comes after a fence, a
    41-cycle miss and another fence (O12), when the prefetch's fill is long done: a hit,
    X = I + 1."""
    r = asm(WARM + """
  li s1, 5
t_div: div s2, s1, s1
  add s3, s0, s2
t_st: sd s1, 7(s3)
t_pf: prefetch.r 192(s0)
f2: fence
t_miss: ld a2, 320(s0)
f3: fence
t_ld: ld a1, 192(s0)
""")
    _, _, i_st, _, _ = r.st("t_st")
    _, _, i, x, _ = r.st("t_pf")
    assert x == i + 1
    assert i < i_st            # issued before the store, whose address waits for the div
    _, _, il, xl, _ = r.st("t_ld")
    assert r.st("t_miss")[3] == r.st("t_miss")[2] + 41 and il > i + 41
    assert xl == il + 1
    assert r.result.stats["core.prefetch_hints"] == 1
