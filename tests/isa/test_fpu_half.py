"""Half precision (Zfh, Zfhmin) semantics in cyclesim/isa/fpu.pxd against qemu-riscv64.

tests/isa/fpu_oracle_h.c runs each case as the real instruction under
`qemu-riscv64 -cpu rv64,Zfh=true,Zfhmin=true` (static rounding mode in the encoding,
fflags cleared before and read after); the same cases go through our functions via the
cyclesim.isa._fputest wrapper, and results and flags must match bit for bit, in all five
rounding modes, also with the host FP unit in a hostile state.

Cases: corner values (zeros, subnormals, min/max normal, infinities, quiet and signalling
NaNs with payloads, improperly NaN-boxed registers) crossed with each other; exact
halfway cases (add, mul, FMA, subnormal quotients, narrowing conversions, integers);
results near the underflow threshold (tininess after rounding) and near overflow; FMA
triples that cancel; every one of the 65536 halves for the one-operand operations (the exact value then needs far more than double's 53 bits, which
is what the round-to-odd argument in docs/fpu.md covers); random values.
"""
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cyclesim.isa import _fputest

ORACLE_SRC = Path(__file__).with_name("fpu_oracle_h.c")
QEMU_CPU = "rv64,Zfh=true,Zfhmin=true"
RMS = (0, 1, 2, 3, 4)
N_RANDOM = 20000         # random cases per generator, each in all five rounding modes
HBOX = 0xFFFFFFFFFFFF0000
SBOX = 0xFFFFFFFF00000000
OPS = _fputest.ZFH_OPS


def with_negatives(values, width):
    sign = 1 << (width - 1)
    return sorted(set(values) | {v ^ sign for v in values})


H_CORNERS = with_negatives([
    0x0000, 0x7C00,                      # zero, inf
    0x7E00, 0x7E01, 0x7FFF,              # quiet NaNs (canonical, payloads)
    0x7C01, 0x7D00,                      # signalling NaNs
    0x0001, 0x03FF, 0x0200, 0x0003,      # subnormals: min, max, middle, odd
    0x0400, 0x0401, 0x07FF,              # min normal and neighbours
    0x7BFF, 0x7800, 0x7BFE,              # max finite, 2^15, max - ulp
    0x3C00, 0x3E00, 0x4000, 0x4200, 0x3800, 0x2E66,   # 1, 1.5, 2, 3, 0.5, ~0.1
    0x3C01, 0x3BFF, 0x1000, 0x1200, 0x3555, 0x5BFF,   # 1+ulp, 1-ulp/2, 2^-11, 3*2^-11, 1/3
], 16)
H_UNBOXED = [0x0000000000003C00, 0xFFFFFFFF3F800000, 0xFFFEFFFFFFFF3C00,
             0x7FFFFFFFFFFF7E00, 0x00000000FFFF0001]
H_REGS = [HBOX | v for v in H_CORNERS] + H_UNBOXED

# Integer-conversion edges, as halves and as integers.
_H_INT_EDGES = [np.float16(v).view(np.uint16).item() for v in
                (0.25, 0.5, 0.75, 1.5, 2.5, 3.5, 1023.5, 2047.0, 4095.0, 65504.0)]
H_CVT = [HBOX | v for v in with_negatives(_H_INT_EDGES, 16)] + H_REGS
INT_CORNERS = [0, 1, 2, 3, 2047, 2048, 2049, 2051, 4097, 65504, 65519, 65520, 65535, 65536,
               0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, (1 << 63) - 1, 1 << 63,
               (1 << 64) - 1, (1 << 64) - 65520, (1 << 64) - 2049]

M64 = (1 << 64) - 1
ALL_HALVES = np.uint64(HBOX) | np.arange(1 << 16, dtype=np.uint64)   # unary ops: exhaustive


def h_value(rng, n, elo, ehi, sign=None):
    """Boxed halves with biased exponent field in [elo, ehi] (0 = subnormal) and random
    significands."""
    e = rng.integers(elo, ehi + 1, n).astype(np.uint64)
    frac = rng.integers(0, 1 << 10, n).astype(np.uint64)
    s = (rng.random(n) < 0.5) if sign is None else np.full(n, sign)
    return np.uint64(HBOX) | (s.astype(np.uint64) << np.uint64(15)) | (e << np.uint64(10)) | frac


def h_raw(rng, n):
    return np.uint64(HBOX) | rng.integers(0, 1 << 16, n).astype(np.uint64)


def h_float(bits):
    return (np.asarray(bits, dtype=np.uint64) & np.uint64(0xFFFF)).astype(np.uint16).view(np.float16)


def to_hbits(values):
    return np.uint64(HBOX) | np.asarray(values, dtype=np.float16).view(np.uint16).astype(np.uint64)


def gen_add(rng, n):
    a = h_value(rng, n, 0, 30)
    delta = rng.integers(-13, 14, n)
    eb = np.clip(((a >> np.uint64(10)) & np.uint64(31)).astype(np.int64) + delta, 0, 30)
    b = (a & ~np.uint64(0x7FFF)) ^ (np.uint64(0x8000) * (rng.random(n) < 0.6)) \
        | (eb.astype(np.uint64) << np.uint64(10)) | rng.integers(0, 1 << 10, n).astype(np.uint64)
    # every fourth b has only its top bit below a's precision set: exact halfway sums
    tie = (rng.random(n) < 0.25) & (eb >= 11)
    b = np.where(tie, (b & ~np.uint64(0x3FF)), b)
    return a, b


def gen_mul(rng, n):
    """Products near the underflow threshold, near overflow, exact ties, random."""
    q = n // 4
    ea = rng.integers(4, 12, q)                     # 2^(ea-15)
    a1 = h_value(rng, q, 0, 0)
    a1 = (a1 & ~np.uint64(0x7C00)) | (ea.astype(np.uint64) << np.uint64(10))
    eb = (1 - (ea - 15)) - 15 + 15 + rng.integers(-2, 2, q)    # product exponent near -14
    b1 = (h_value(rng, q, 0, 0) & ~np.uint64(0x7C00)) | (np.clip(eb, 0, 30).astype(np.uint64) << np.uint64(10))
    a2 = h_value(rng, q, 22, 30)
    b2 = h_value(rng, q, 22, 30)
    # ties: odd significand m in [1024, 1365] times 1.5 * 2^k
    m = (rng.integers(512, 683, q) * 2 + 1).astype(np.uint64)
    ea3 = rng.integers(1, 29, q).astype(np.uint64)
    a3 = np.uint64(HBOX) | (ea3 << np.uint64(10)) | (m - np.uint64(1024))
    k = rng.integers(-16, 2, q)
    b3 = to_hbits(1.5 * 2.0 ** k)
    # subnormal ties: odd subnormals times 0.5 (and divided by 2: see gen_div)
    a4 = h_value(rng, q, 0, 1) | np.uint64(1)
    b4 = to_hbits(np.where(rng.random(q) < 0.5, 0.5, 0.25))
    return np.concatenate([a1, a2, a3, a4]), np.concatenate([b1, b2, b3, b4])


def gen_div(rng, n):
    q = n // 3
    a1, b1 = h_value(rng, q, 0, 30), h_value(rng, q, 0, 30)
    a2 = h_value(rng, q, 0, 2) | np.uint64(1)
    b2 = to_hbits(np.where(rng.random(q) < 0.5, 2.0, 4.0))      # subnormal ties
    a3, b3 = h_value(rng, q, 0, 8), h_value(rng, q, 20, 30)       # tiny quotients
    return np.concatenate([a1, a2, a3]), np.concatenate([b1, b2, b3])


def gen_fma(rng, n):
    """Random triples; triples whose product nearly cancels the addend; small addends."""
    q = n // 3
    a1, b1, c1 = (h_value(rng, q, 0, 30) for _ in range(3))
    a2, b2 = h_value(rng, q, 8, 22), h_value(rng, q, 8, 22)
    prod = h_float(a2).astype(np.float64) * h_float(b2).astype(np.float64)
    with np.errstate(over="ignore"):
        near = -prod.astype(np.float16)
    c2 = to_hbits(near) + rng.integers(-3, 4, q).astype(np.uint64)
    c2 = np.where(np.isfinite(near), c2, c1)
    a3, b3 = h_value(rng, q, 10, 20), h_value(rng, q, 10, 20)
    c3 = h_value(rng, q, 0, 4)                                  # sticky-only addends
    return (np.concatenate([a1, a2, a3]), np.concatenate([b1, b2, b3]),
            np.concatenate([c1, c2, c3]))


def half_midpoints(rng, n):
    """Doubles exactly halfway between adjacent halves, and one double ulp either side."""
    h = rng.integers(0, 0x7BFF, n).astype(np.uint16)
    lo = h.view(np.float16).astype(np.float64)
    hi = (h + np.uint16(1)).view(np.float16).astype(np.float64)
    mid = (lo + hi) / 2
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    mid = mid * sign
    bits = mid.view(np.uint64)
    off = rng.integers(-1, 2, n).astype(np.int64)
    return (bits.astype(np.int64) + off).astype(np.uint64)


def gen_narrow(rng, n, dbl):
    """Doubles or boxed singles around the half range, midpoints, overflow edges."""
    q = n // 2
    mids = half_midpoints(rng, q).view(np.float64)
    e = rng.integers(-30, 18, q).astype(np.float64)
    vals = rng.uniform(1, 2, q) * 2.0 ** e * np.where(rng.random(q) < 0.5, -1, 1)
    edges = np.array([65504.0, 65519.0, 65519.99, 65520.0, 65536.0, 2.0 ** -24, 2.0 ** -25,
                      3 * 2.0 ** -25, 2.0 ** -26, 2.0 ** -14 * (1 - 2.0 ** -12),
                      2.0 ** -14 * (1 - 2.0 ** -11), 1e10, 1e-10, 1 + 2.0 ** -11])
    allv = np.concatenate([mids, vals, edges, -edges])
    if dbl:
        return allv.view(np.uint64)
    s = allv.astype(np.float32)      # the midpoints and edges are exact in single
    return np.uint64(SBOX) | s.view(np.uint32).astype(np.uint64)


def gen_from_int(rng, n):
    length = rng.integers(1, 65, n).astype(np.uint64)
    v = rng.integers(0, M64, n, dtype=np.uint64, endpoint=True) >> (np.uint64(64) - length)
    v |= np.uint64(1) << (length - np.uint64(1))
    sh = np.maximum(length, np.uint64(12)) - np.uint64(11)
    tie = ((v >> sh) << sh) | (np.uint64(1) << (sh - np.uint64(1)))
    v = np.where((length > 11) & (rng.random(n) < 0.3), tie, v)
    neg = rng.random(n) < 0.4
    return np.where(neg, (~v) + np.uint64(1), v)


ROUNDING = {op for op in OPS if op.split("_")[0] in ("fadd", "fsub", "fmul", "fdiv", "fsqrt",
                                                     "fmadd", "fmsub", "fnmsub", "fnmadd", "fcvt")}
FMA = {f"{n}_h" for n in ("fmadd", "fmsub", "fnmsub", "fnmadd")}
FROM_INT = {f"fcvt_h_{t}" for t in ("w", "wu", "l", "lu")} | {"fmv_h_x"}
TO_INT = {f"fcvt_{t}_h" for t in ("w", "wu", "l", "lu")}
UNARY = {"fsqrt_h", "fclass_h", "fcvt_s_h", "fcvt_d_h", "fmv_x_h"}


def build_cases():
    rng = np.random.default_rng(20261203)
    cases = {}
    regs = np.array(H_REGS, dtype=np.uint64)
    for op in OPS:
        if op in FMA:
            small = regs[::2]
            grid = np.array(np.meshgrid(small, small, small), dtype=np.uint64).reshape(3, -1)
            ra, rb, rc = gen_fma(rng, 3 * N_RANDOM)
            a, b, c = (np.concatenate(x) for x in ((grid[0], ra), (grid[1], rb), (grid[2], rc)))
        elif op in FROM_INT:
            a = np.concatenate([np.array(INT_CORNERS, dtype=np.uint64),
                                np.array([(-v) & M64 for v in INT_CORNERS], dtype=np.uint64),
                                gen_from_int(rng, N_RANDOM), regs])
            b = c = np.zeros_like(a)
        elif op in TO_INT:
            a = np.concatenate([np.array(H_CVT, dtype=np.uint64), ALL_HALVES])
            b = c = np.zeros_like(a)
        elif op in ("fcvt_h_s", "fcvt_h_d"):
            dbl = op == "fcvt_h_d"
            wide = _fputest.run_batch(
                np.full(len(regs), _fputest.OP_INDEX["fcvt_d_h" if dbl else "fcvt_s_h"], np.int32),
                np.zeros(len(regs), np.int32), regs, regs, regs)[0]
            special = (np.array([0x7FF4000000000000, 0x7FF8000000000001, 0xFFF0000000000000,
                                 0x3F800000, 0x7FA00000], dtype=np.uint64) if dbl else
                       np.uint64(SBOX) | np.array([0x7FA00000, 0x7FC00001, 0xFF800000, 0x3F800000],
                                                  dtype=np.uint64))
            a = np.concatenate([wide, special, gen_narrow(rng, 2 * N_RANDOM, dbl)])
            if not dbl:
                a = np.concatenate([a, np.array([0x3F800000, 0x00000000FFC00000], dtype=np.uint64)])
            b = c = np.zeros_like(a)
        elif op in UNARY:
            a = np.concatenate([regs, ALL_HALVES])
            b = c = np.zeros_like(a)
        else:
            base = op.split("_")[0]
            grid = np.array(np.meshgrid(regs, regs), dtype=np.uint64).reshape(2, -1)
            if base == "fmul":
                ra, rb = gen_mul(rng, 2 * N_RANDOM)
            elif base == "fdiv":
                ra, rb = gen_div(rng, 2 * N_RANDOM)
            else:
                ra, rb = gen_add(rng, N_RANDOM)
            parts_a, parts_b = [grid[0], ra, h_raw(rng, N_RANDOM)], [grid[1], rb, h_raw(rng, N_RANDOM)]
            if base in ("fmin", "fmax", "feq", "flt", "fle"):
                parts_a.append(ra)
                parts_b.append(np.where(rng.random(len(ra)) < 0.5, ra, ra ^ np.uint64(1)))
            a, b = np.concatenate(parts_a), np.concatenate(parts_b)
            c = np.zeros_like(a)
        rms = RMS if op in ROUNDING else (0,)
        rm = np.repeat(np.array(rms, dtype=np.int32), len(a))
        cases[op] = (rm, np.tile(a, len(rms)), np.tile(b, len(rms)), np.tile(c, len(rms)))
    return cases


@pytest.fixture(scope="module")
def oracle(riscv_gcc, tmp_path_factory):
    exe = tmp_path_factory.mktemp("fpu_h") / "fpu_oracle_h"
    subprocess.run([riscv_gcc, "-march=rv64gc_zfh", "-O2", "-static", "-o", str(exe),
                    str(ORACLE_SRC)], check=True, capture_output=True)
    return exe


def _qemu(qemu, exe, args=(), stdin=b""):
    p = subprocess.run([qemu, "-cpu", QEMU_CPU, str(exe), *args], input=stdin,
                       capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode()[:2000]
    return p.stdout


@pytest.fixture(scope="module")
def compared(oracle, qemu):
    qemu_ops = _qemu(qemu, oracle, ["--list"]).decode().split()
    assert sorted(qemu_ops) == sorted(OPS), "oracle and wrapper disagree on the operation list"
    cases = build_cases()
    rec_in = np.dtype([("op", "<i4"), ("rm", "<i4"), ("a", "<u8"), ("b", "<u8"), ("c", "<u8")])
    rec_out = np.dtype([("result", "<u8"), ("flags", "<u4"), ("zero", "<u4")])
    chunks = []
    for op, (rm, a, b, c) in cases.items():
        recs = np.zeros(len(a), dtype=rec_in)
        recs["op"], recs["rm"], recs["a"], recs["b"], recs["c"] = qemu_ops.index(op), rm, a, b, c
        chunks.append(recs)
    allrecs = np.concatenate(chunks)
    theirs = np.frombuffer(_qemu(qemu, oracle, stdin=allrecs.tobytes()), dtype=rec_out)
    assert len(theirs) == len(allrecs)
    result, pos = {}, 0
    for op, (rm, a, b, c) in cases.items():
        n = len(a)
        idx = np.full(n, _fputest.OP_INDEX[op], dtype=np.int32)
        ours = _fputest.run_batch(idx, rm, a, b, c)[:2]
        result[op] = ((rm, a, b, c), ours, (theirs["result"][pos:pos + n], theirs["flags"][pos:pos + n]))
        pos += n
    return result


@pytest.mark.parametrize("op", OPS)
def test_matches_qemu(compared, op):
    (rm, a, b, c), (res, fl), (qres, qfl) = compared[op]
    bad = np.nonzero((res != qres) | (fl != qfl))[0]
    lines = [f"rm={rm[i]} a={int(a[i]):#x} b={int(b[i]):#x} c={int(c[i]):#x}: "
             f"ours {int(res[i]):#x}/{int(fl[i]):#x} qemu {int(qres[i]):#x}/{int(qfl[i]):#x}"
             for i in bad[:8]]
    assert len(bad) == 0, f"{op}: {len(bad)} of {len(a)} cases differ\n" + "\n".join(lines)


def test_coverage(compared):
    """Every rounding op runs in all five modes; every flag occurs; the tie cases are
    really there (RNE and RMM differ), and so are underflow and overflow."""
    seen = Counter()
    for op, ((rm, a, b, c), _, (qres, qfl)) in compared.items():
        assert set(np.unique(rm).tolist()) == (set(RMS) if op in ROUNDING else {0}), op
        assert len(a) >= 1000, op
        for bit in (1, 2, 4, 8, 16):
            seen[bit] += int(np.count_nonzero(qfl & bit))
    assert all(seen[bit] > 100 for bit in (1, 2, 4, 8, 16)), seen
    for op in ("fadd_h", "fmul_h", "fmadd_h", "fdiv_h", "fcvt_h_s", "fcvt_h_d", "fcvt_h_l"):
        (rm, a, b, c), _, (qres, _) = compared[op]
        n = len(a) // 5
        differ = np.count_nonzero(qres[:n] != qres[4 * n:])
        assert differ >= 10, f"{op}: only {differ} cases where RNE and RMM differ"
    # (A sum of halves is never inexact and tiny: it is a multiple of 2^-24.)
    for op in ("fmul_h", "fdiv_h", "fmadd_h", "fcvt_h_d", "fcvt_h_s"):
        assert np.count_nonzero(compared[op][2][1] & 2) >= 20, op
    for op in ("fadd_h", "fmul_h", "fdiv_h", "fmadd_h", "fcvt_h_d", "fcvt_h_s", "fcvt_h_l"):
        assert np.count_nonzero(compared[op][2][1] & 4) >= 20, op
    print("cases per operation:", {op: len(v[0][1]) for op, v in compared.items()})


def test_independent_of_host_fp_state(compared):
    for op, ((rm, a, b, c), _, (qres, qfl)) in compared.items():
        sel = slice(None, None, 5)
        idx = np.full(len(a[sel]), _fputest.OP_INDEX[op], dtype=np.int32)
        res, fl, changed = _fputest.run_batch(idx, *(np.ascontiguousarray(x[sel]) for x in (rm, a, b, c)),
                                              dirty_host=True)
        assert changed == 0, f"{op}: host FP state changed by {changed} operations"
        bad = np.nonzero((res != qres[sel]) | (fl != qfl[sel]))[0]
        assert len(bad) == 0, (f"{op}: {len(bad)} differ from qemu with a dirty host state, "
                               f"first a={int(a[sel][bad[0]]):#x} b={int(b[sel][bad[0]]):#x} "
                               f"rm={rm[sel][bad[0]]}")


# ---------------------------------------------------------------- hand-worked rules

def hcall(name, a, b=0, c=0, rm=0):
    return _fputest.call(name, a, b, c, rm)


def test_hand_worked_rules():
    H = HBOX
    one, ulp_half = H | 0x3C00, H | 0x1000          # 1.0 and 2^-11 (half an ulp of 1.0)
    # 1 + 2^-11 is exactly halfway between 1 and 1 + 2^-10: RNE keeps 1 (even), RMM and
    # RUP go up, all inexact
    assert hcall("fadd_h", one, ulp_half, rm=0) == (H | 0x3C00, 1)
    assert hcall("fadd_h", one, ulp_half, rm=4) == (H | 0x3C01, 1)
    assert hcall("fadd_h", one, ulp_half, rm=3) == (H | 0x3C01, 1)
    # 65504 + 16 = 65520 is the RNE overflow threshold: RNE overflows to inf; RTZ truncates
    # it to 65504 even with an unbounded exponent, so no overflow, only NX; 65504 + 32 =
    # 65536 overflows in RTZ too and gives the largest finite half
    assert hcall("fadd_h", H | 0x7BFF, H | 0x4C00, rm=0) == (H | 0x7C00, 4 | 1)
    assert hcall("fadd_h", H | 0x7BFF, H | 0x4C00, rm=1) == (H | 0x7BFF, 1)
    assert hcall("fadd_h", H | 0x7BFF, H | 0x5000, rm=1) == (H | 0x7BFF, 4 | 1)
    # x - x is +0, but -0 when rounding down; -0 + -0 is -0 in every mode
    assert hcall("fsub_h", one, one, rm=0) == (H, 0)
    assert hcall("fsub_h", one, one, rm=2) == (H | 0x8000, 0)
    assert hcall("fadd_h", H | 0x8000, H | 0x8000, rm=0) == (H | 0x8000, 0)
    assert hcall("fmadd_h", one, H | 0x8000, H, rm=2) == (H | 0x8000, 0)   # -0 + +0, RDN
    assert hcall("fmadd_h", one, H, H, rm=2) == (H, 0)                     # +0 + +0
    # tininess after rounding: 2^-14 * (1 - 2^-12) rounds (RNE) to 2^-14 with an unbounded
    # exponent too, so it is not tiny: NX without UF; in RTZ it stays subnormal: UF
    x = 0xFFFFFFFF00000000 | 0x387FF800                # single 2^-14 * (1 - 2^-12)
    assert hcall("fcvt_h_s", x, rm=0) == (H | 0x0400, 1)
    assert hcall("fcvt_h_s", x, rm=1) == (H | 0x03FF, 2 | 1)
    # FMA: 0 * inf is invalid even with a quiet-NaN addend; result canonical NaN
    assert hcall("fmadd_h", H, H | 0x7C00, H | 0x7E01) == (H | 0x7E00, 16)
    # improperly boxed operands read as the canonical NaN (quiet: no NV)
    assert hcall("fadd_h", 0x3C00, one) == (H | 0x7E00, 0)
    assert hcall("fcvt_s_h", 0xFFFFFFFF3F800000) == (0xFFFFFFFF7FC00000, 0)
    # widening is exact and keeps signalling-ness
    assert hcall("fcvt_d_h", H | 0x0001) == (0x3E70000000000000, 0)        # 2^-24
    assert hcall("fcvt_d_h", H | 0x7C01) == (0x7FF8000000000000, 16)
    assert hcall("fmv_x_h", H | 0x8001) == ((1 << 64) - 0x7FFF, 0)
