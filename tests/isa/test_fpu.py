"""RISC-V F/D semantics (cyclesim/isa/fpu.pxd) against qemu-riscv64.

tests/isa/fpu_oracle.c runs each case as the real instruction (static rounding mode in
the encoding, fflags cleared before and read after) under qemu-riscv64, whose softfloat
is the independent reference. The same cases go through our functions via the
cyclesim.isa._fputest wrapper; results and flags must match bit for bit.

Cases per operation: corner values crossed with each other (and with all five rounding
modes where the operation rounds), targeted halfway/underflow/overflow cases, and random
values from a seeded NumPy generator. One qemu run serves the whole module.
"""
import struct
import subprocess
from collections import Counter

import numpy as np
import pytest

try:
    from cyclesim.isa import _fputest
except ImportError as exc:      # pragma: no cover - depends on the build
    raise ImportError("cyclesim.isa._fputest is not built: run CYCLESIM_EXT=cyclesim.isa._fputest "
                      "python setup.py build_ext --inplace") from exc

from pathlib import Path

ORACLE_SRC = Path(__file__).with_name("fpu_oracle.c")
RMS = (0, 1, 2, 3, 4)
N_RANDOM = 3000          # random cases per operation, each run in all five rounding modes
BOX = 0xFFFFFFFF00000000
M64 = (1 << 64) - 1

# ---------------------------------------------------------------- value sets


def dbits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def sbits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def with_negatives(values, width):
    sign = 1 << (width - 1)
    return sorted(set(values) | {v ^ sign for v in values})


D_CORNERS = with_negatives([
    0, 0x7FF0000000000000,                         # zero, inf
    0x7FF8000000000000, 0x7FF8000000000123,        # quiet NaNs
    0x7FF0000000000001, 0x7FF4000000000000,        # signalling NaNs
    1, 0x000FFFFFFFFFFFFF, 0x0008000000000000,     # subnormals: min, max, middle
    0x0010000000000000, 0x0010000000000001,        # min normal and its successor
    0x7FEFFFFFFFFFFFFF, 0x7FE0000000000000,        # max finite, 2^1023
    dbits(1.0), dbits(1.5), dbits(2.0), dbits(3.0), dbits(0.5), dbits(0.1),
    0x3FF0000000000001, 0x3FEFFFFFFFFFFFFF,        # 1 + ulp, 1 - ulp/2
    dbits(2.0**-53), dbits(3 * 2.0**-53), dbits(2.0**-1022 * 0.75), dbits(1e300),
    dbits(2.0**512), dbits(2.0**-512), dbits(1.0 / 3),
], 64)

S_CORNERS = with_negatives([
    0, 0x7F800000, 0x7FC00000, 0x7FC00123, 0x7F800001, 0x7FA00000,
    1, 0x007FFFFF, 0x00400000, 0x00800000, 0x00800001, 0x7F7FFFFF, 0x7F000000,
    sbits(1.0), sbits(1.5), sbits(2.0), sbits(3.0), sbits(0.5), sbits(0.1),
    0x3F800001, 0x3F7FFFFF, sbits(2.0**-24), sbits(3 * 2.0**-24), sbits(2.0**-126 * 0.75),
    sbits(1e30), sbits(2.0**64), sbits(2.0**-64), sbits(1.0 / 3),
], 32)
# Improperly boxed singles (must read as the canonical NaN).
S_UNBOXED = [0x000000003F800000, 0x7FF8000000000000, 0xFFFFFFFE3F800000, 0x00000000FFFFFFFF]
S_REGS = [BOX | v for v in S_CORNERS] + S_UNBOXED

# Values near the integer conversion limits, as exact reals.
_INT_EDGES = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 3.5, 2**31 - 1, 2**31 - 0.5, 2**31,
              2**31 + 0.5, 2**31 + 1, 2**32 - 1, 2**32 - 0.5, 2**32, 2**32 + 1, 2**63 - 1024,
              2**63, 2**63 + 2048, 2**64 - 2048, 2**64, 2**64 + 4096, 1e30]
D_CVT = with_negatives([dbits(x) for x in _INT_EDGES], 64) + D_CORNERS
S_CVT = [BOX | v for v in with_negatives([sbits(x) for x in _INT_EDGES], 32)] + S_REGS

INT_CORNERS = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, (1 << 24) + 1,
               (1 << 24) + 3, (1 << 25) + 2, (1 << 53) + 1, (1 << 53) + 3, (1 << 54) + 2,
               (1 << 63) - 1, 1 << 63, M64, 0x123456789ABCDEF0, 0xFFFFFFFF7FFFFFFF,
               0xFFFFFFFF80000000, 0x00000000DEADBEEF, 0xFFFFFFFFFF000001]
INT_CORNERS += [(-v) & M64 for v in INT_CORNERS]

# ---------------------------------------------------------------- random generators


class Fmt:
    def __init__(self, dbl):
        self.dbl = dbl
        self.w = 64 if dbl else 32
        self.p = 53 if dbl else 24
        self.ebits = 11 if dbl else 8
        self.bias = 1023 if dbl else 127
        self.emax_field = (1 << self.ebits) - 1

    def pack(self, sign, efield, mant):
        """Vectorised: register contents from sign, exponent field, fraction."""
        v = ((sign.astype(np.uint64) << np.uint64(self.w - 1))
             | (efield.astype(np.uint64) << np.uint64(self.p - 1)) | mant.astype(np.uint64))
        return v if self.dbl else v | np.uint64(BOX)

    def frac(self, rng, n):
        return rng.integers(0, 1 << (self.p - 1), n, dtype=np.uint64)

    def sparse_frac(self, rng, n):
        """Fractions with at most three bits set (products and sums often tie)."""
        f = np.zeros(n, dtype=np.uint64)
        for _ in range(3):
            bit = rng.integers(0, self.p - 1, n).astype(np.uint64)
            f |= np.where(rng.random(n) < 0.6, np.uint64(1) << bit, np.uint64(0))
        return f

    def value(self, rng, n, elo, ehi, sparse=None):
        """Random values with exponent fields in [elo, ehi] (clipped to finite range)."""
        e = np.clip(rng.integers(elo, ehi + 1, n), 0, self.emax_field - 1)
        if sparse is None:
            sparse = rng.random(n) < 0.4
        f = np.where(sparse, self.sparse_frac(rng, n), self.frac(rng, n))
        sign = rng.integers(0, 2, n)
        return self.pack(sign, e, f), e

    def raw(self, rng, n):
        v = rng.integers(0, M64, n, dtype=np.uint64, endpoint=True)
        return v if self.dbl else (v & np.uint64(0xFFFFFFFF)) | np.uint64(BOX)


def gen_arith(kind, fmt, rng, n):
    """Random (a, b, c) for add/sub/mul/div/sqrt/fma/min/max/compare/sign ops."""
    b0 = fmt.bias
    cat = rng.integers(0, 6, n)
    a, ea = fmt.value(rng, n, b0 - 3, b0 + 3)
    # Second operand: near the first (alignment, cancellation), far, or aimed so that
    # the result is tiny or huge.
    if kind == "mul":
        tgt_tiny = rng.integers(-fmt.p - 3, 4, n)       # exponent field of the product
        tgt_huge = rng.integers(fmt.emax_field - 4, fmt.emax_field + 2, n)
        eb_tiny, eb_huge = tgt_tiny - ea + b0, tgt_huge - ea + b0
    elif kind == "div":
        tgt_tiny = rng.integers(-fmt.p - 3, 4, n)
        tgt_huge = rng.integers(fmt.emax_field - 4, fmt.emax_field + 2, n)
        eb_tiny, eb_huge = ea - tgt_tiny + b0, ea - tgt_huge + b0
    else:
        eb_tiny = ea + rng.integers(-3, 4, n)
        eb_huge = ea + rng.integers(-fmt.p - 8, fmt.p + 8, n)
    near, _ = fmt.value(rng, n, 0, 0)
    near = fmt.pack(rng.integers(0, 2, n), np.clip(ea + rng.integers(-2, 3, n), 0, fmt.emax_field - 1),
                    fmt.sparse_frac(rng, n))
    tiny, _ = fmt.value(rng, n, 0, 0)
    tiny = fmt.pack(rng.integers(0, 2, n), np.clip(eb_tiny, 0, fmt.emax_field - 1), fmt.frac(rng, n))
    huge = fmt.pack(rng.integers(0, 2, n), np.clip(eb_huge, 1, fmt.emax_field - 1),
                    np.where(rng.random(n) < 0.5, fmt.sparse_frac(rng, n), fmt.frac(rng, n)))
    sub, _ = fmt.value(rng, n, 0, 1)
    b = np.select([cat == 0, cat == 1, cat == 2, cat == 3, cat == 4],
                  [fmt.raw(rng, n), near, tiny, huge, sub], fmt.value(rng, n, b0 - 40, b0 + 40)[0])
    a = np.where(cat == 0, fmt.raw(rng, n), a)
    # Operands a little below the subnormal boundary make tiny sums and products too.
    a = np.where((cat == 4) & (rng.random(n) < 0.5), fmt.value(rng, n, 0, 2)[0], a)
    if kind == "add":
        # Exact ties: b = odd multiple of half an ulp of a.
        half = a.copy() & np.uint64((1 << (fmt.w - 1)) - 1 if fmt.dbl else 0xFFFFFFFF)
        ulp_e = (half >> np.uint64(fmt.p - 1)).astype(np.int64)
        k = rng.integers(0, 3, n) * 2 + 1
        sh = rng.integers(0, 3, n)
        te = ulp_e - (fmt.p - 1) - 1 + sh
        tie = fmt.pack(rng.integers(0, 2, n), np.clip(te, 1, fmt.emax_field - 1),
                       (k.astype(np.uint64) << np.uint64(fmt.p - 4)) & np.uint64((1 << (fmt.p - 1)) - 1))
        b = np.where((cat == 5) & (rng.random(n) < 0.7), tie, b)
    if kind == "div":
        # A quotient is only ever exactly halfway when it is subnormal: a small a over a
        # power of two.
        # a/2^k for a with exponent field 0 or 1 is subnormal (or zero) and shifts k bits
        # of a out; it is halfway when those bits are 10...0.
        k = rng.integers(1, fmt.p + 3, n)
        pow2 = fmt.pack(rng.integers(0, 2, n), b0 + k, np.zeros(n, dtype=np.uint64))
        ku = k.astype(np.uint64)
        low = np.uint64(1) << (ku - np.uint64(1))
        frac = np.where(rng.random(n) < 0.5, (fmt.frac(rng, n) >> ku << ku) | low,
                        fmt.sparse_frac(rng, n)) & np.uint64((1 << (fmt.p - 1)) - 1)
        small = fmt.pack(rng.integers(0, 2, n), rng.integers(0, 2, n), frac)
        pick = (cat == 5) & (rng.random(n) < 0.7)
        a = np.where(pick, small, a)
        b = np.where(pick, pow2, b)
    c = fmt.value(rng, n, b0 - 60, b0 + 60)[0]
    if kind == "fma":
        # c near the product (cancellation) or tiny (sticky/tie against the product).
        e_prod = ea + ((b >> np.uint64(fmt.p - 1)).astype(np.int64) & fmt.emax_field) - b0
        pick = rng.integers(0, 4, n)
        cc = fmt.pack(rng.integers(0, 2, n), np.clip(e_prod + rng.integers(-fmt.p - 4, 3, n), 0,
                                                     fmt.emax_field - 1), fmt.sparse_frac(rng, n))
        c = np.where(pick < 2, cc, np.where(pick == 2, fmt.raw(rng, n), c))
    return a, b, c


def gen_mul_ties(fmt, rng, n):
    """(1 + 2^-i)(1 + 2^-j) with i + j = p: the product is exactly halfway; some are
    scaled so that the product is subnormal."""
    i = rng.integers(1, fmt.p - 1, n)
    j = fmt.p - i
    ea = rng.integers(fmt.bias - 5, fmt.bias + 5, n)
    tiny_field = rng.integers(-fmt.p, 4, n)
    eb = np.where(rng.random(n) < 0.4, tiny_field - ea + fmt.bias,
                  rng.integers(fmt.bias - 5, fmt.bias + 5, n))
    fa = np.uint64(1) << (fmt.p - 1 - i).astype(np.uint64)
    fb = np.uint64(1) << (fmt.p - 1 - j).astype(np.uint64)
    fa = fa | np.where(rng.random(n) < 0.3, np.uint64(1), np.uint64(0))
    a = fmt.pack(rng.integers(0, 2, n), np.clip(ea, 1, fmt.emax_field - 1), fa)
    b = fmt.pack(rng.integers(0, 2, n), np.clip(eb, 1, fmt.emax_field - 1), fb)
    return a, b


def gen_float_ties(fmt, rng, n):
    """Doubles exactly halfway between singles (normal and subnormal), for fcvt.s.d."""
    m = rng.integers(0, 1 << 23, n, dtype=np.uint64)
    tail = np.where(rng.random(n) < 0.7, np.uint64(1 << 28),
                    rng.integers(0, 1 << 29, n, dtype=np.uint64))
    e = rng.integers(1023 - 150, 1023 + 128, n)
    return ((rng.integers(0, 2, n).astype(np.uint64) << np.uint64(63))
            | (np.clip(e, 1, 2046).astype(np.uint64) << np.uint64(52)) | (m << np.uint64(29)) | tail)


def gen_to_int(fmt, rng, n):
    """FP values around the integer range limits, halves and small fractions."""
    lo = fmt.bias - 3
    hi = fmt.bias + 66
    v, _ = fmt.value(rng, n, lo, hi)
    return np.where(rng.random(n) < 0.1, fmt.raw(rng, n), v)


def gen_from_int(rng, n):
    """Integers of every length, many exactly halfway at single or double precision."""
    length = rng.integers(1, 65, n).astype(np.uint64)
    v = rng.integers(0, M64, n, dtype=np.uint64, endpoint=True) >> (np.uint64(64) - length)
    v |= np.uint64(1) << (length - np.uint64(1))
    for p in (24, 53):
        sh = np.maximum(length, np.uint64(p + 1)) - np.uint64(p)     # bits below precision
        tie = ((v >> sh) << sh) | (np.uint64(1) << (sh - np.uint64(1)))
        v = np.where((length > p) & (rng.random(n) < 0.25), tie, v)
    neg = rng.random(n) < 0.4
    return np.where(neg, (~v) + np.uint64(1), v)


def _encode(fmt, sign, m, e):
    """Register bits of (-1)^sign * m * 2^e (m > 0), or None if that is not exactly a
    finite value of the format."""
    while m & 1 == 0:
        m >>= 1
        e += 1
    top = m.bit_length() - 1 + e                     # exponent of the leading bit
    if m.bit_length() > fmt.p:
        return None
    field = top + fmt.bias
    if field >= fmt.emax_field:
        return None
    if field <= 0:                                   # subnormal: m * 2^e on the 2^emin-p+1 grid
        shift = e - (1 - fmt.bias - (fmt.p - 1))
        if shift < 0:
            return None
        bits = m << shift
    else:
        bits = (field << (fmt.p - 1)) | ((m << (fmt.p - m.bit_length())) & ((1 << (fmt.p - 1)) - 1))
    bits |= sign << (fmt.w - 1)
    return bits if fmt.dbl else bits | BOX


def gen_exact(kind, fmt, rng, n):
    """Operands built from short integers, so that many results are exact or one bit
    away from it, at scales that put the result near the thresholds of the fast paths
    (docs/fpu.md): tiny (exponent field 1-3), near overflow, far-apart FMA terms."""
    out = ([], [], [])
    emin = 1 - fmt.bias - (fmt.p - 1)               # exponent of the smallest subnormal
    emax = fmt.emax_field - 1 - fmt.bias - (fmt.p - 1)
    while len(out[0]) < n:
        bits = lambda: int(rng.integers(1, fmt.p + 1))
        ia = int(rng.integers(1, 1 << bits())) | 1
        ib = int(rng.integers(1, 1 << bits())) | 1
        ic = int(rng.integers(1, 1 << bits())) | 1
        where = rng.integers(0, 4)                   # result scale: normal, tiny, huge, any
        scale = {0: int(rng.integers(-40, 40)), 1: emin + fmt.p + int(rng.integers(-3, 4)),
                 2: emax + int(rng.integers(-4, 3))}.get(int(where), int(rng.integers(emin, emax)))
        ka = int(rng.integers(-fmt.p, fmt.p))
        sa, sb, sc = (int(v) for v in rng.integers(0, 2, 3))
        c = 0
        if kind == "add":
            a, b = (ia, scale - ia.bit_length()), (ib, scale + int(rng.integers(-fmt.p - 3, 4)) - ib.bit_length())
        elif kind == "mul":
            a = (ia, ka)
            b = (ib, scale - ka - ia.bit_length() - ib.bit_length())
        elif kind == "div":
            if rng.random() < 0.5:
                ia = ia * ib if (ia * ib).bit_length() <= fmt.p else ia
            b = (ib, ka)
            a = (ia, scale + ka - ia.bit_length() + ib.bit_length())
        elif kind == "sqrt":
            sa = 0
            sq = ia * ia + (int(rng.integers(-1, 2)) if rng.random() < 0.3 else 0)
            half = (scale // 2) - ia.bit_length()
            a, b = (max(sq, 1), 2 * half), (1, 0)
        else:  # fma: c near the product, far above or far below it, or cancelling it
            a = (ia, ka)
            b = (ib, scale - ka - ia.bit_length() - ib.bit_length())
            pe = scale - ia.bit_length() - ib.bit_length() + ia.bit_length() + ib.bit_length()
            shape = int(rng.integers(0, 4))
            if shape == 3 and (ia * ib).bit_length() <= 2 * fmt.p:
                # c = -(a*b) rounded, plus a few units of its last place: heavy cancellation
                prod = ia * ib
                drop = max(0, prod.bit_length() - fmt.p)
                m = (prod >> drop) + int(rng.integers(-2, 3))
                c = (max(m, 1), a[1] + b[1] + drop)
                sc = sa ^ sb ^ 1
            else:
                off = {0: int(rng.integers(-8, 8)), 1: int(rng.integers(10, 90)),
                       2: -int(rng.integers(10, 90))}[shape]
                c = (ic, pe + off - ic.bit_length())
        enc = [_encode(fmt, sa, *a), _encode(fmt, sb, *b),
               _encode(fmt, sc, *c) if c else (0 if fmt.dbl else BOX)]
        if None in enc:
            continue
        for lst, v in zip(out, enc):
            lst.append(v)
    return tuple(np.array(v, dtype=np.uint64) for v in out)


def gen_below_min(kind, fmt, rng, n):
    """Exact results a few units of 2^-p' below the smallest normal, p' = p + 1 or p + 2:
    the host rounds them up to 2^emin, but rounded with an unbounded exponent some stay
    below it, so RISC-V raises UF (the fast paths must leave them to the general path).
    Also FMA terms whose product lies 20-50 bits above a short addend (an exact result
    that needs the widest alignment)."""
    out = ([], [], [])
    emin = 1 - fmt.bias                              # exponent of the smallest normal
    zero = 0 if fmt.dbl else BOX
    while len(out[0]) < n:
        j = int(rng.integers(1, 4))
        t = int(rng.integers(1, 3))
        m = (1 << (fmt.p + t)) - j                   # value m * 2^(emin - p - t) < 2^emin
        sa, sb = (int(v) for v in rng.integers(0, 2, 2))
        k = -fmt.p - 3 - int(rng.integers(0, 40))      # keeps both factors normal
        if kind in ("mul", "fma"):
            # m = ia * ib with ia odd: split off a power of two and a factor of three
            ia = m if m.bit_length() <= fmt.p else None
            if ia is None:
                ib = 1 << int(rng.integers(0, t + 1))
                if m % ib or (m // ib).bit_length() > fmt.p:
                    ib = 3 if m % 3 == 0 else 1
                ia = m // ib if m % ib == 0 else None
            else:
                ib = 1
            if ia is None or ia.bit_length() > fmt.p:
                continue
            a = _encode(fmt, sa, ia, k)
            b = _encode(fmt, sb, ib, emin - fmt.p - t - k)
            c = zero
            if kind == "fma" and rng.random() < 0.5:
                # short product far above a short addend: exact, widest alignment
                ia, ib, ic = (int(v) | 1 for v in rng.integers(1, 16, 3))
                off = int(rng.integers(20, fmt.p - 8)) if fmt.dbl else int(rng.integers(8, 16))
                a = _encode(fmt, sa, ia, k)
                b = _encode(fmt, sb, ib, -k)
                c = _encode(fmt, int(rng.integers(0, 2)), ic, -off)
        else:   # cvt: a double just below the smallest normal single
            a = _encode(Fmt(True), sa, (1 << (24 + t)) - j, -126 - 24 - t)
            b = c = 0
        if None in (a, b, c):
            continue
        for lst, v in zip(out, (a, b, c)):
            lst.append(v)
    return tuple(np.array(v, dtype=np.uint64) for v in out)


# ---------------------------------------------------------------- case table


OPS = _fputest.FD_OPS           # half precision and Zfa: test_fpu_half.py
ROUNDING = {n for n in OPS if n.split("_")[0] in ("fadd", "fsub", "fmul", "fdiv", "fsqrt", "fmadd",
                                                  "fmsub", "fnmsub", "fnmadd", "fcvt")}


TO_INT = {f"fcvt_{i}_{x}" for i in ("w", "wu", "l", "lu") for x in "sd"}
FROM_INT = {f"fcvt_{x}_{i}" for i in ("w", "wu", "l", "lu") for x in "sd"} | {"fmv_w_x"}
FMA = {f"{n}_{x}" for n in ("fmadd", "fmsub", "fnmsub", "fnmadd") for x in "sd"}
UNARY = {"fsqrt_s", "fsqrt_d", "fclass_s", "fclass_d", "fcvt_s_d", "fcvt_d_s", "fmv_x_w"}


def operand_format(op):
    if op == "fcvt_s_d":
        return Fmt(True)
    if op in ("fcvt_d_s", "fmv_x_w"):
        return Fmt(False)
    return Fmt(op.endswith("_d"))


def build_cases():
    """Returns {op: (rm, a, b, c) arrays}."""
    rng = np.random.default_rng(20260525)
    cases = {}
    for op in OPS:
        fmt = operand_format(op)
        regs = D_CORNERS if fmt.dbl else S_REGS
        if op in FMA:
            small = regs[::2]
            grid = np.array(np.meshgrid(small, small, small), dtype=np.uint64).reshape(3, -1)
            ra, rb, rc = gen_arith("fma", fmt, rng, N_RANDOM)
            ta, tb = gen_mul_ties(fmt, rng, N_RANDOM // 2)
            tc = fmt.value(rng, N_RANDOM // 2, fmt.bias - fmt.p - 8, fmt.bias - 1, sparse=True)[0]
            ea, eb, ec = gen_exact("fma", fmt, rng, N_RANDOM)
            ma, mb, mc = gen_below_min("fma", fmt, rng, N_RANDOM // 3)
            a, b, c = (np.concatenate(x) for x in ((grid[0], ra, ta, ea, ma), (grid[1], rb, tb, eb, mb),
                                                    (grid[2], rc, tc, ec, mc)))
        elif op in FROM_INT:
            a = np.concatenate([np.array(INT_CORNERS + D_CORNERS, dtype=np.uint64),
                                gen_from_int(rng, N_RANDOM)])
            b = c = np.zeros_like(a)
        elif op in TO_INT:
            a = np.concatenate([np.array(D_CVT if fmt.dbl else S_CVT, dtype=np.uint64),
                                gen_to_int(fmt, rng, N_RANDOM)])
            b = c = np.zeros_like(a)
        elif op == "fcvt_s_d":
            from_singles = [dbits(sbits_to_f(v)) for v in S_CORNERS if not is_nan32(v)]
            a = np.concatenate([np.array(D_CVT + from_singles, dtype=np.uint64),
                                gen_float_ties(fmt, rng, N_RANDOM),
                                gen_below_min("cvt", fmt, rng, N_RANDOM // 3)[0],
                                fmt.value(rng, N_RANDOM, 1023 - 160, 1023 + 130)[0]])
            b = c = np.zeros_like(a)
        elif op in UNARY:
            a = np.concatenate([np.array(regs, dtype=np.uint64),
                                gen_arith("add", fmt, rng, N_RANDOM)[0], fmt.raw(rng, N_RANDOM),
                                fmt.value(rng, N_RANDOM, 0, 2 * fmt.bias)[0]]
                               + ([gen_exact("sqrt", fmt, rng, N_RANDOM)[0]]
                                  if op.startswith("fsqrt") else []))
            b = c = np.zeros_like(a)
        else:
            base = op.split("_")[0]
            kind = {"fadd": "add", "fsub": "add", "fmul": "mul", "fdiv": "div"}.get(base, "add")
            grid = np.array(np.meshgrid(regs, regs), dtype=np.uint64).reshape(2, -1)
            ra, rb, _ = gen_arith(kind, fmt, rng, N_RANDOM)
            parts_a, parts_b = [grid[0], ra], [grid[1], rb]
            if kind == "mul":
                ta, tb = gen_mul_ties(fmt, rng, N_RANDOM)
                parts_a.append(ta)
                parts_b.append(tb)
            if base in ("fadd", "fsub", "fmul", "fdiv"):
                xa, xb, _ = gen_exact(kind, fmt, rng, N_RANDOM)
                parts_a.append(xa)
                parts_b.append(xb)
            if kind == "mul":
                xa, xb, _ = gen_below_min(kind, fmt, rng, N_RANDOM // 3)
                parts_a.append(xa)
                parts_b.append(xb)
            if base in ("fmin", "fmax", "feq", "flt", "fle"):
                # Equal and nearly equal operands, and +0/-0 pairs.
                parts_a.append(ra)
                parts_b.append(np.where(rng.random(N_RANDOM) < 0.5, ra, ra ^ np.uint64(1)))
            a, b = np.concatenate(parts_a), np.concatenate(parts_b)
            c = np.zeros_like(a)
        rms = RMS if op in ROUNDING else (0,)
        rm = np.repeat(np.array(rms, dtype=np.int32), len(a))
        cases[op] = (rm, np.tile(a, len(rms)), np.tile(b, len(rms)), np.tile(c, len(rms)))
    return cases


def sbits_to_f(v):
    return struct.unpack("<f", struct.pack("<I", v))[0]


def is_nan32(v):
    return (v & 0x7FFFFFFF) > 0x7F800000


# ---------------------------------------------------------------- running both sides


@pytest.fixture(scope="module")
def oracle(riscv_gcc, tmp_path_factory):
    exe = tmp_path_factory.mktemp("fpu") / "fpu_oracle"
    subprocess.run([riscv_gcc, "-O2", "-static", "-o", str(exe), str(ORACLE_SRC)], check=True,
                   capture_output=True)
    return exe


@pytest.fixture(scope="module")
def compared(oracle, run_qemu):
    """{op: (cases, ours, theirs)} for every operation."""
    code, out, err = run_qemu(oracle, ["--list"])
    assert code == 0, err
    qemu_ops = out.decode().split()
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
    code, out, err = run_qemu(oracle, stdin=allrecs.tobytes(), timeout=300)
    assert code == 0, err
    theirs = np.frombuffer(out, dtype=rec_out)
    assert len(theirs) == len(allrecs)
    result = {}
    pos = 0
    for op, (rm, a, b, c) in cases.items():
        n = len(a)
        idx = np.full(n, OPS.index(op), dtype=np.int32)
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
    """Every operation is exercised in every rounding mode it has, with every flag
    outcome the oracle can produce for it appearing somewhere."""
    seen_flags = Counter()
    for op, ((rm, a, b, c), _, (qres, qfl)) in compared.items():
        modes = set(np.unique(rm).tolist())
        assert modes == (set(RMS) if op in ROUNDING else {0}), op
        assert len(a) >= 1000, op
        for bit in (1, 2, 4, 8, 16):
            seen_flags[bit] += int(np.count_nonzero(qfl & bit))
    assert all(seen_flags[bit] > 100 for bit in (1, 2, 4, 8, 16)), seen_flags
    print("cases per operation:", {op: len(v[0][1]) for op, v in compared.items()})
    # Exact ties in RMM must be present (where RNE and RMM differ).
    for op in ("fadd_d", "fmul_d", "fmadd_d", "fadd_s", "fmul_s", "fmadd_s", "fcvt_s_d",
               "fcvt_d_l", "fcvt_s_l", "fdiv_d"):
        (rm, a, b, c), _, (qres, _) = compared[op]
        n = len(a) // 5
        differ = np.count_nonzero(qres[:n] != qres[4 * n:])
        assert differ >= 10, f"{op}: only {differ} cases where RNE and RMM differ"


def test_independent_of_host_fp_state(compared):
    """Same answers with the host in another rounding mode, flushing subnormals and with
    stale flags raised; and the host state is as before after every operation."""
    for op, ((rm, a, b, c), _, (qres, qfl)) in compared.items():
        sel = slice(None, None, 7)
        idx = np.full(len(a[sel]), OPS.index(op), dtype=np.int32)
        res, fl, changed = _fputest.run_batch(idx, *(np.ascontiguousarray(x[sel]) for x in (rm, a, b, c)),
                                              dirty_host=True)
        assert changed == 0, f"{op}: host FP state changed by {changed} operations"
        bad = np.nonzero((res != qres[sel]) | (fl != qfl[sel]))[0]
        assert len(bad) == 0, (f"{op}: {len(bad)} differ from qemu with a dirty host state, "
                               f"first a={int(a[sel][bad[0]]):#x} b={int(b[sel][bad[0]]):#x} "
                               f"rm={rm[sel][bad[0]]}")


def test_call_reports_unknown_names():
    with pytest.raises(ValueError, match="unknown FP operation"):
        _fputest.call("fadd_q", 0, 0)
