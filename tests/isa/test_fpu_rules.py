"""Hand-worked cases for the RISC-V F/D rules that are easy to get wrong.

Each expectation is derived by hand from the unprivileged spec (chapters F and D) and
IEEE 754-2008, independently of both our code and qemu (test_fpu.py does the bulk
comparison against qemu).
"""
import struct

import pytest

from cyclesim.isa._fputest import call

NV, DZ, OF, UF, NX = 16, 8, 4, 2, 1
RNE, RTZ, RDN, RUP, RMM = range(5)
D_QNAN, D_SNAN, D_CANON = 0x7FF8000000000001, 0x7FF0000000000001, 0x7FF8000000000000
S_CANON = 0xFFFFFFFF7FC00000
D_INF = 0x7FF0000000000000
D_MIN_NORMAL = 0x0010000000000000


def d(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def s(x):
    return 0xFFFFFFFF00000000 | struct.unpack("<I", struct.pack("<f", x))[0]


def sext32(v):
    v &= 0xFFFFFFFF
    return v | 0xFFFFFFFF00000000 if v >> 31 else v


@pytest.mark.parametrize("name, a, b, want, flags", [
    ("fmin_d", d(-0.0), d(0.0), d(-0.0), 0),         # -0 < +0
    ("fmin_d", d(0.0), d(-0.0), d(-0.0), 0),
    ("fmax_d", d(-0.0), d(0.0), d(0.0), 0),
    ("fmin_d", D_QNAN, d(1.0), d(1.0), 0),           # one NaN: the other operand
    ("fmax_d", d(1.0), D_SNAN, d(1.0), NV),          # sNaN still signals
    ("fmin_d", D_QNAN, D_SNAN, D_CANON, NV),         # both NaN: canonical NaN
    ("fmin_s", 0x3F800000, s(2.0), s(2.0), 0),       # unboxed operand reads as NaN
    ("feq_d", D_QNAN, d(1.0), 0, 0),                 # quiet compare
    ("feq_d", D_SNAN, d(1.0), 0, NV),
    ("flt_d", D_QNAN, d(1.0), 0, NV),                # signalling compares
    ("fle_d", d(1.0), D_QNAN, 0, NV),
    ("feq_d", d(-0.0), d(0.0), 1, 0),
    ("flt_d", d(-0.0), d(0.0), 0, 0),
    ("fle_d", d(0.0), d(-0.0), 1, 0),
    ("fsgnjn_s", s(1.0), s(1.0), s(-1.0), 0),
    ("fsgnjx_d", d(-2.0), d(-3.0), d(2.0), 0),
    ("fsgnj_s", 0x3F800000, s(1.0), S_CANON, 0),     # unboxed: canonical NaN, sign of b
])
def test_min_max_compare_sign(name, a, b, want, flags):
    assert call(name, a, b) == (want, flags)


@pytest.mark.parametrize("name, a, rm, want, flags", [
    ("fcvt_w_d", D_QNAN, RNE, 0x7FFFFFFF, NV),       # NaN converts as +inf
    ("fcvt_w_d", d(float("-inf")), RNE, sext32(0x80000000), NV),
    ("fcvt_w_d", d(2.0**31), RNE, 0x7FFFFFFF, NV),   # out of range: NV, not NX
    ("fcvt_w_d", d(2.0**31 - 0.5), RTZ, 0x7FFFFFFF, NX),
    ("fcvt_w_d", d(2.0**31 - 0.5), RUP, 0x7FFFFFFF, NV),    # rounds out of range
    ("fcvt_w_d", d(-2.0**31 - 0.5), RTZ, sext32(0x80000000), NX),
    ("fcvt_wu_d", d(2.0**32 - 1), RNE, 0xFFFFFFFFFFFFFFFF, 0),   # sign-extended on RV64
    ("fcvt_wu_d", d(-0.5), RTZ, 0, NX),              # rounds to 0: valid
    ("fcvt_wu_d", d(-0.5), RDN, 0, NV),              # rounds to -1: invalid
    ("fcvt_wu_d", d(-1.0), RNE, 0, NV),
    ("fcvt_lu_d", D_QNAN, RNE, 0xFFFFFFFFFFFFFFFF, NV),
    ("fcvt_l_d", d(-2.0**63), RNE, 1 << 63, 0),
    ("fcvt_l_d", d(2.0**63), RNE, (1 << 63) - 1, NV),
    ("fcvt_w_d", d(2.5), RNE, 2, NX),
    ("fcvt_w_d", d(2.5), RMM, 3, NX),                # ties away from zero
    ("fcvt_w_d", d(-2.5), RMM, sext32(-3), NX),
    ("fcvt_w_d", d(-2.5), RDN, sext32(-3), NX),
    ("fcvt_w_d", d(-2.5), RUP, sext32(-2), NX),
    ("fcvt_w_s", 0x3F800000, RNE, 0x7FFFFFFF, NV),   # unboxed single is NaN
    ("fcvt_d_l", (1 << 53) + 1, RNE, d(2.0**53), NX),   # halfway: to even
    ("fcvt_d_l", (1 << 53) + 1, RMM, d(2.0**53 + 2), NX),
    ("fcvt_d_l", (1 << 53) + 1, RUP, d(2.0**53 + 2), NX),
    ("fcvt_d_l", (1 << 53) + 1, RDN, d(2.0**53), NX),
    ("fcvt_d_l", 2**64 - 1, RNE, d(-1.0), 0),            # -1 as a signed long
    ("fcvt_d_lu", 2**64 - 1, RTZ, d(2.0**64 - 2048), NX),
    ("fcvt_d_w", 0xFFFFFFFF, RNE, d(-1.0), 0),       # low 32 bits, signed
    ("fcvt_d_wu", 0x1FFFFFFFF, RNE, d(2.0**32 - 1), 0),
    ("fcvt_s_w", 0, RDN, s(0.0), 0),                 # integer zero is +0 in every mode
    ("fcvt_s_d", d(3.4028235677973366e38), RNE, s(float("inf")), OF | NX),  # FLT_MAX + ulp/2
    # Toward zero the unbounded-exponent result is FLT_MAX itself: no overflow.
    ("fcvt_s_d", d(3.4028235677973366e38), RTZ, s(3.4028234663852886e38), NX),
    ("fcvt_s_d", d(2.0**-150), RNE, s(0.0), UF | NX),            # half the least subnormal
    ("fcvt_s_d", d(2.0**-150), RMM, s(2.0**-149), UF | NX),
    ("fcvt_s_d", D_SNAN, RNE, S_CANON, NV),
    ("fcvt_d_s", 0xFFFFFFFF7F800001, RNE, D_CANON, NV),         # single sNaN
    ("fcvt_d_s", s(2.0**-149), RNE, d(2.0**-149), 0),
    ("fsqrt_d", d(-1.0), RNE, D_CANON, NV),
    ("fsqrt_d", d(-0.0), RNE, d(-0.0), 0),
])
def test_conversions_and_sqrt(name, a, rm, want, flags):
    assert call(name, a, rm=rm) == (want, flags)


def test_ties_in_every_mode():
    # 1 + 2^-53 is exactly halfway between 1 and 1 + 2^-52.
    up, down = d(1.0) + 1, d(1.0)
    want = {RNE: down, RTZ: down, RDN: down, RUP: up, RMM: up}
    for rm, w in want.items():
        assert call("fadd_d", d(1.0), d(2.0**-53), rm=rm) == (w, NX)
    # Negative: RDN and RMM go away from zero.
    want = {RNE: down, RTZ: down, RDN: up, RUP: down, RMM: up}
    for rm, w in want.items():
        r, f = call("fsub_d", d(-1.0), d(2.0**-53), rm=rm)
        assert (r ^ (1 << 63), f) == (w, NX)
    # (1 + 2^-12)(1 + 2^-12) = 1 + 2^-11 + 2^-24: halfway for a single.
    x = s(1.0 + 2.0**-12)
    assert call("fmul_s", x, x, rm=RNE) == (s(1.0 + 2.0**-11), NX)
    assert call("fmul_s", x, x, rm=RMM) == (s(1.0 + 2.0**-11 + 2.0**-23), NX)


def test_fma_rules():
    zero, inf = d(0.0), D_INF
    # 0 * inf + qNaN is invalid on RISC-V, and so is inf * 0 + anything.
    assert call("fmadd_d", zero, inf, D_QNAN) == (D_CANON, NV)
    assert call("fmadd_d", inf, zero, d(1.0)) == (D_CANON, NV)
    assert call("fmadd_d", d(1.0), d(1.0), D_QNAN) == (D_CANON, 0)
    # One rounding: (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly.
    assert call("fmsub_d", d(1.0 + 2.0**-52), d(1.0 - 2.0**-52), d(1.0)) == (d(-2.0**-104), 0)
    # Signs: fnmadd = -(a*b) - c, fnmsub = -(a*b) + c.
    assert call("fnmadd_d", d(2.0), d(3.0), d(1.0)) == (d(-7.0), 0)
    assert call("fnmsub_d", d(2.0), d(3.0), d(1.0)) == (d(-5.0), 0)
    # Exact zero sum: +0, except -0 when rounding down.
    assert call("fmadd_d", d(1.0), d(1.0), d(-1.0), rm=RNE) == (d(0.0), 0)
    assert call("fmadd_d", d(1.0), d(1.0), d(-1.0), rm=RDN) == (d(-0.0), 0)


def test_underflow_is_detected_after_rounding():
    # (1 - 2^-53) * 2^-1022 = 2^-1022 - 2^-1075 is halfway between the largest subnormal
    # and 2^-1022 and rounds (to even) up to 2^-1022. With an unbounded exponent the
    # value is representable (below 2^-1022), so it is tiny: UF with NX.
    assert call("fmul_d", 0x3FEFFFFFFFFFFFFF, D_MIN_NORMAL) == (D_MIN_NORMAL, UF | NX)
    # (1 + 2^-52) * (2^-1022 - 2^-1074) = 2^-1022 (1 - 2^-104) is below 2^-1022, but
    # rounding it to 53 bits with an unbounded exponent gives 2^-1022: not tiny after
    # rounding, so only NX (a host detecting tininess before rounding would add UF).
    assert call("fmul_d", 0x3FF0000000000001, 0x000FFFFFFFFFFFFF) == (D_MIN_NORMAL, NX)
    # Exact subnormal results raise nothing.
    assert call("fmul_d", d(2.0**-1073), d(0.5)) == (1, 0)


def test_classify():
    cases = {d(float("-inf")): 0, d(-1.0): 1, 0x800FFFFFFFFFFFFF: 2, d(-0.0): 3, d(0.0): 4,
             1: 5, d(1.0): 6, D_INF: 7, D_SNAN: 8, D_QNAN: 9}
    for a, bit in cases.items():
        assert call("fclass_d", a) == (1 << bit, 0)
    assert call("fclass_s", 0x000000007F800000) == (1 << 9, 0)   # unboxed: qNaN
    assert call("fclass_s", 0xFFFFFFFF7F800001) == (1 << 8, 0)


def test_moves():
    assert call("fmv_x_w", 0x12345678_80000000) == (0xFFFFFFFF80000000, 0)
    assert call("fmv_x_w", 0x12345678_7FFFFFFF) == (0x7FFFFFFF, 0)
    assert call("fmv_w_x", 0xDEADBEEF_3F800000) == (0xFFFFFFFF3F800000, 0)
