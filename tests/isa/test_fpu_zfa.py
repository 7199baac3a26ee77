"""Zfa (cyclesim/isa/fpu.pxd) against the definitions of the RISC-V "Zfa" chapter.

Neither qemu 7.2 nor binutils 2.40 knows Zfa, so the expected results come from a small
model here, written from the spec's text and on exact rationals (fractions.Fraction),
independent of the C code: fli (the 32-entry table), fminm/fmaxm (IEEE 754-2019
minimum/maximum: any NaN gives the canonical NaN), fround/froundnx (roundToIntegral in
the instruction's mode; froundnx also signals inexact), fcvtmod.w.d (truncate, keep bits
31:0, flags as fcvt.w.d), fleq/fltq (quiet comparisons). Halves are checked
exhaustively, singles and doubles on corners and random values, in all rounding modes.
"""
import math
import struct
from fractions import Fraction

import numpy as np
import pytest

from cyclesim.isa import _fputest

NV, DZ, OF, UF, NX = 16, 8, 4, 2, 1
RNE, RTZ, RDN, RUP, RMM = range(5)


class Fmt:
    def __init__(self, name, p, ebits, box):
        self.name, self.p, self.ebits, self.box = name, p, ebits, box
        self.width = p + ebits
        self.fracbits = p - 1
        self.bias = (1 << (ebits - 1)) - 1
        self.expmax = (1 << ebits) - 1
        self.sign = 1 << (self.width - 1)
        self.canon = (self.expmax << self.fracbits) | (1 << (self.fracbits - 1))
        self.inf = self.expmax << self.fracbits

    def unbox(self, reg):
        if self.box and (reg >> self.width) != (1 << (64 - self.width)) - 1:
            return self.canon
        return reg & ((1 << self.width) - 1)

    def boxed(self, bits):
        return (((1 << (64 - self.width)) - 1) << self.width | bits) if self.box else bits

    def isnan(self, x):
        return (x & ~self.sign) > self.inf

    def issnan(self, x):
        return self.isnan(x) and not (x >> (self.fracbits - 1)) & 1

    def value(self, x):
        """Exact value of a finite encoding."""
        e = (x >> self.fracbits) & self.expmax
        frac = x & ((1 << self.fracbits) - 1)
        v = Fraction(frac, 1 << self.fracbits) * Fraction(2) ** (1 - self.bias) if e == 0 else \
            (1 + Fraction(frac, 1 << self.fracbits)) * Fraction(2) ** (e - self.bias)
        return -v if x & self.sign else v

    def encode_exact(self, v, negative_zero=False):
        """Encoding of a value that the format represents exactly."""
        if v == 0:
            return self.sign if negative_zero else 0
        s = self.sign if v < 0 else 0
        v = abs(v)
        e = math.floor(math.log2(v))
        while Fraction(2) ** e > v:
            e -= 1
        while Fraction(2) ** (e + 1) <= v:
            e += 1
        if e < 1 - self.bias:
            frac = v / Fraction(2) ** (1 - self.bias) * (1 << self.fracbits)
            assert frac.denominator == 1
            return s | int(frac)
        frac = (v / Fraction(2) ** e - 1) * (1 << self.fracbits)
        assert frac.denominator == 1, v
        return s | ((e + self.bias) << self.fracbits) | int(frac)


H = Fmt("h", 11, 5, True)
S = Fmt("s", 24, 8, True)
D = Fmt("d", 53, 11, False)
FMTS = (H, S, D)


def call(name, a, b=0, rm=0):
    return _fputest.call(name, a, b, 0, rm)


# ---------------------------------------------------------------- fli

FLI_TABLE = [-1.0, "min", 2.0**-16, 2.0**-15, 2.0**-8, 2.0**-7, 0.0625, 0.125, 0.25, 0.3125,
             0.375, 0.4375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0,
             8.0, 16.0, 128.0, 256.0, 2.0**15, 2.0**16, "inf", "nan"]


@pytest.mark.parametrize("fmt", FMTS, ids=lambda f: f.name)
def test_fli_table(fmt):
    pack = {"h": "<e", "s": "<f", "d": "<d"}[fmt.name]
    unpack = {"h": "<H", "s": "<I", "d": "<Q"}[fmt.name]
    for idx, v in enumerate(FLI_TABLE):
        if v == "min":
            want = 1 << fmt.fracbits                      # smallest positive normal
        elif v == "inf":
            want = fmt.inf
        elif v == "nan":
            want = fmt.canon
        elif fmt is H and v == 2.0**16:
            want = H.inf                                  # spec: entry 29 of fli.h is +inf
        else:
            want = struct.unpack(unpack, struct.pack(pack, v))[0]
        got, fl = call(f"fli_{fmt.name}", idx)
        assert (got, fl) == (fmt.boxed(want), 0), f"fli.{fmt.name} entry {idx}"
    # half entries 2 and 3 are subnormal, so entry 1 (min normal) exceeds them
    assert call("fli_h", 2)[0] & 0xFFFF == 0x0100 and call("fli_h", 3)[0] & 0xFFFF == 0x0200


# ---------------------------------------------------------------- operand sets

def corners(fmt):
    f = fmt
    base = [0, f.inf, f.canon, f.canon | 1, f.inf | 1, f.inf | (1 << (f.fracbits - 2)),
            1, (1 << f.fracbits) - 1, 1 << f.fracbits, (1 << f.fracbits) + 1,
            f.inf - 1, f.encode_exact(Fraction(1)), f.encode_exact(Fraction(3, 2)),
            f.encode_exact(Fraction(5, 2)), f.encode_exact(Fraction(1, 2)),
            f.encode_exact(Fraction(7, 2)), f.encode_exact(Fraction(-1, 2)) ^ f.sign,
            f.encode_exact(Fraction(2) ** (f.p - 1)), f.encode_exact(Fraction(2) ** (f.p - 2) + Fraction(1, 2)),
            f.encode_exact(Fraction(2) ** (f.p - 1) - 1), f.encode_exact(Fraction(1) + Fraction(1, 1 << f.fracbits)),
            f.encode_exact(Fraction(1) - Fraction(1, 1 << f.p))]
    return sorted(set(base) | {x ^ f.sign for x in base})


def values(fmt, n, seed):
    if fmt is H:
        return list(range(1 << 16))                       # every half
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 1 << fmt.width, n, dtype=np.uint64).tolist()
    e = rng.integers(fmt.bias - 4, fmt.bias + fmt.p + 2, n).tolist()   # around 1 .. 2^p
    fr = rng.integers(0, 1 << fmt.fracbits, n, dtype=np.uint64).tolist()
    near = [(int(x) << fmt.fracbits) | int(y) for x, y in zip(e, fr)]
    return corners(fmt) + [int(v) for v in raw] + near + [v ^ fmt.sign for v in near]


# ---------------------------------------------------------------- fround, froundnx

def round_int(v, rm):
    fl = math.floor(v)
    if v == fl:
        return fl
    if rm == RTZ:
        return math.trunc(v)
    if rm == RDN:
        return fl
    if rm == RUP:
        return fl + 1
    diff = v - fl
    if diff != Fraction(1, 2):
        return fl + (1 if diff > Fraction(1, 2) else 0)
    if rm == RMM:
        return fl + 1 if v > 0 else fl
    return fl if fl % 2 == 0 else fl + 1


def model_fround(fmt, x, rm, exact):
    if fmt.isnan(x):
        return fmt.canon, NV if fmt.issnan(x) else 0
    if (x & ~fmt.sign) == fmt.inf or (x & ~fmt.sign) == 0:
        return x, 0
    v = fmt.value(x)
    r = round_int(v, rm)
    flags = NX if exact and r != v else 0
    return fmt.encode_exact(Fraction(r), negative_zero=bool(x & fmt.sign)), flags


@pytest.mark.parametrize("fmt", FMTS, ids=lambda f: f.name)
@pytest.mark.parametrize("exact", [False, True], ids=["fround", "froundnx"])
def test_fround(fmt, exact):
    name = ("froundnx_" if exact else "fround_") + fmt.name
    xs = values(fmt, 3000, 7)
    n = len(xs)
    regs = np.array([fmt.boxed(x) for x in xs], dtype=np.uint64)
    for rm in range(5):
        res, fl, _ = _fputest.run_batch(np.full(n, _fputest.OP_INDEX[name], np.int32),
                                        np.full(n, rm, np.int32), regs, regs, regs)
        for i, x in enumerate(xs):
            want = model_fround(fmt, x, rm, exact)
            got = (int(res[i]), int(fl[i]))
            assert got == (fmt.boxed(want[0]), want[1]), \
                f"{name} {x:#x} rm={rm}: got {got[0]:#x}/{got[1]:#x}, want {want[0]:#x}/{want[1]:#x}"


# ---------------------------------------------------------------- fminm, fmaxm, fleq, fltq

def key(fmt, x):
    """Numeric order with -0 < +0."""
    v = fmt.value(x)
    return (v, 0 if x & fmt.sign else 1)


def model_minmaxm(fmt, a, b, is_max):
    if fmt.isnan(a) or fmt.isnan(b):
        return fmt.canon, NV if fmt.issnan(a) or fmt.issnan(b) else 0
    pick = max if is_max else min
    return pick((a, b), key=lambda x: key(fmt, x)), 0


def model_cmpq(fmt, a, b, lt):
    if fmt.isnan(a) or fmt.isnan(b):
        return 0, NV if fmt.issnan(a) or fmt.issnan(b) else 0
    va, vb = fmt.value(a), fmt.value(b)
    return int(va < vb if lt else va <= vb), 0


def pair_values(fmt, seed):
    c = corners(fmt)
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a in c for b in c]
    if fmt is H:
        r = rng.integers(0, 1 << 16, (20000, 2)).tolist()
    else:
        r = [(int(a), int(b)) for a, b in rng.integers(0, 1 << fmt.width, (4000, 2), dtype=np.uint64)]
        r += [(a, a ^ 1) for a, _ in r[:1000]]
    return pairs + [tuple(map(int, p)) for p in r]


@pytest.mark.parametrize("fmt", FMTS, ids=lambda f: f.name)
def test_minimum_maximum_and_quiet_compares(fmt):
    pairs = pair_values(fmt, 11)
    a = np.array([fmt.boxed(p[0]) for p in pairs], dtype=np.uint64)
    b = np.array([fmt.boxed(p[1]) for p in pairs], dtype=np.uint64)
    n = len(pairs)
    for name, model in ((f"fminm_{fmt.name}", lambda x, y: model_minmaxm(fmt, x, y, False)),
                        (f"fmaxm_{fmt.name}", lambda x, y: model_minmaxm(fmt, x, y, True)),
                        (f"fltq_{fmt.name}", lambda x, y: model_cmpq(fmt, x, y, True)),
                        (f"fleq_{fmt.name}", lambda x, y: model_cmpq(fmt, x, y, False))):
        res, fl, _ = _fputest.run_batch(np.full(n, _fputest.OP_INDEX[name], np.int32),
                                        np.zeros(n, np.int32), a, b, b)
        is_fp = name.startswith("fm")
        for i, (x, y) in enumerate(pairs):
            want, wf = model(x, y)
            if is_fp:
                want = fmt.boxed(want)
            assert (int(res[i]), int(fl[i])) == (want, wf), \
                f"{name}({x:#x}, {y:#x}): got {int(res[i]):#x}/{int(fl[i]):#x}, want {want:#x}/{wf:#x}"


def test_improperly_boxed_operands_read_as_canonical_nan():
    one_s, one_h = 0x3F800000, 0x3C00
    assert call("fminm_s", one_s, 0xFFFFFFFF00000000 | one_s) == (S.boxed(S.canon), 0)
    assert call("fmaxm_h", 0xFFFF0000FFFF3C00, H.boxed(one_h)) == (H.boxed(H.canon), 0)
    assert call("fround_h", 0x3C00) == (H.boxed(H.canon), 0)
    assert call("fleq_s", one_s, 0xFFFFFFFF00000000 | one_s) == (0, 0)
    # fltq vs flt on a quiet NaN: only flt signals
    qn = S.boxed(S.canon)
    assert call("fltq_s", qn, S.boxed(one_s)) == (0, 0)
    assert call("flt_s", qn, S.boxed(one_s)) == (0, NV)


# ---------------------------------------------------------------- fcvtmod.w.d

def model_fcvtmod(x):
    if D.isnan(x) or (x & ~D.sign) == D.inf:
        return 0, NV
    v = D.value(x)
    t = math.trunc(v)
    if t < -2**31 or t > 2**31 - 1:
        flags = NV
    else:
        flags = NX if t != v else 0
    low = t & 0xFFFFFFFF
    return (low - (1 << 32) if low >> 31 else low) & ((1 << 64) - 1), flags


def test_fcvtmod_w_d():
    rng = np.random.default_rng(3)
    xs = corners(D)
    xs += [struct.unpack("<Q", struct.pack("<d", v))[0] for v in
           (2.0**31, 2.0**31 - 0.5, -2.0**31, -2.0**31 - 0.5, -2.0**31 - 1, 2.0**32 + 5.5,
            -(2.0**32 + 5.5), 2.0**52 + 3, 2.0**63, 2.0**84 + 2.0**33, 1e300, 4294967295.75,
            -0.75, 0.5)]
    e = rng.integers(1023 - 4, 1023 + 90, 5000).tolist()
    fr = rng.integers(0, 1 << 52, 5000, dtype=np.uint64).tolist()
    xs += [(int(a) << 52) | int(b) for a, b in zip(e, fr)]
    xs += [x ^ D.sign for x in xs]
    for x in xs:
        got = call("fcvtmod_w_d", x)
        assert got == model_fcvtmod(x), f"fcvtmod.w.d {x:#x}: got {got[0]:#x}/{got[1]:#x}"
        if model_fcvtmod(x)[1] != NV:            # in range: agrees with fcvt.w.d rtz
            assert got == call("fcvt_w_d", x, rm=RTZ)
