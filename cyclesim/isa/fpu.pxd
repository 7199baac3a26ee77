# RISC-V F and D semantics on raw register bits, for the functional core.
#
# Every operand and result is the 64-bit content of an FP register. Singles are NaN-boxed:
# a single operand whose upper 32 bits are not all ones reads as the canonical NaN, and
# single results come back boxed. `rm` is the resolved rounding mode (FPU_RNE..FPU_RMM);
# exception flags are ORed into *flags (FPU_NV FPU_DZ FPU_OF FPU_UF FPU_NX).
#
# How (docs/fpu.md has the long version): in round to nearest even, finite results that
# are not tiny come from the host without touching its FP state, NX decided by 2Sum or
# integer checks ("fast paths"; the core sets the host's standard state on entry).
# Otherwise arithmetic runs on the host FPU in the requested mode, with volatile operands so the compiler cannot move it across the mode switch. Any
# inexact result that is tiny (so underflow depends on how the host detects tininess) or
# was asked for in RMM (the host has no ties-away mode; we run RNE) is recomputed exactly
# in integers and rounded in software by `_fpu_round`, which follows the RISC-V rules.
# Conversions to and from integers, min/max, compares, sign injection and classify are
# done on the bits directly.
cimport cython
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int16_t, int32_t, int64_t
from libc.string cimport memcpy
from libc.math cimport sqrt, sqrtf, fma, fmaf

cdef extern from *:
    """
    /* Host FP environment for one operation. On x86-64 we drive MXCSR directly: glibc's
       fenv calls also save and reload the x87 state. The asm statements clobber memory,
       so the volatile operands are read after the mode is set and the result is written
       before the flags are read. Writing MXCSR is cheap; reading it waits for the FP
       pipeline, so we read it once per operation and, as the simulator's own host state
       is the standard one, set the standard state (RNE, no flags) back afterwards
       instead of saving and restoring whatever was there. */
    #include <stdint.h>
    #if defined(__x86_64__) && !defined(CYCLESIM_FPU_USE_FENV)
    #define CS_FPU_STANDARD 0x1F80u   /* all exceptions masked, RNE, no DAZ/FTZ, no flags */
    static inline void cs_fpu_setcsr(unsigned v) {
        __asm__ __volatile__("ldmxcsr %0" : : "m"(v) : "memory"); }
    /* RMM (4) and the reserved codes run as RNE; the caller fixes RMM up. */
    static inline unsigned cs_fpu_enter(int rm) {
        static const unsigned rc[8] = {0x0000u, 0x6000u, 0x2000u, 0x4000u, 0, 0, 0, 0};
        cs_fpu_setcsr(CS_FPU_STANDARD | rc[rm & 7]);
        return CS_FPU_STANDARD;
    }
    /* The RISC-V flags raised since cs_fpu_enter; leaves the host in the standard state. */
    static inline uint32_t cs_fpu_leave(unsigned standard) {
        unsigned now;
        __asm__ __volatile__("stmxcsr %0" : "=m"(now) : : "memory");
        cs_fpu_setcsr(standard);
        return ((now & 1u) << 4) | ((now & 4u) << 1) | ((now & 8u) >> 1)
             | ((now & 16u) >> 3) | ((now & 32u) >> 5);
    }
    /* The state the fast paths rely on (RNE, no DAZ/FTZ); the core sets it on entry. */
    static inline void cs_fpu_host_standard(void) { cs_fpu_setcsr(CS_FPU_STANDARD); }
    #else
    #include <fenv.h>
    static inline void cs_fpu_host_standard(void) { fesetround(FE_TONEAREST); }
    static inline unsigned cs_fpu_enter(int rm) {
        static const int modes[8] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD,
                                     FE_TONEAREST, FE_TONEAREST, FE_TONEAREST, FE_TONEAREST};
        int saved = fegetround();
        feclearexcept(FE_ALL_EXCEPT);
        if (saved != modes[rm & 7]) fesetround(modes[rm & 7]);
        return (unsigned)saved;
    }
    static inline uint32_t cs_fpu_leave(unsigned saved) {
        int e = fetestexcept(FE_ALL_EXCEPT);
        feclearexcept(FE_ALL_EXCEPT);
        if (fegetround() != (int)saved) fesetround((int)saved);
        return ((e & FE_INVALID) ? 16u : 0u) | ((e & FE_DIVBYZERO) ? 8u : 0u)
             | ((e & FE_OVERFLOW) ? 4u : 0u) | ((e & FE_UNDERFLOW) ? 2u : 0u)
             | ((e & FE_INEXACT) ? 1u : 0u);
    }
    #endif
    typedef unsigned __int128 cs_u128;
    typedef __int128 cs_i128;
    #define CS_FPU_S_SIGN 0x80000000U
    #define CS_FPU_D_CANON 0x7ff8000000000000ULL
    #define CS_FPU_D_SIGN 0x8000000000000000ULL
    #define CS_FPU_BOX 0xffffffff00000000ULL
    """
    unsigned cs_fpu_enter(int rm) noexcept nogil
    uint32_t cs_fpu_leave(unsigned saved) noexcept nogil
    void cs_fpu_host_standard() noexcept nogil
    ctypedef unsigned long long cs_u128       # really unsigned __int128 (exact products)
    ctypedef long long cs_i128                # really __int128 (exact FMA residues)
    int __builtin_clzll(unsigned long long) noexcept nogil
    int __builtin_ctzll(unsigned long long) noexcept nogil
    # Bit patterns too wide for a C enum.
    uint32_t _FPU_S_SIGN "CS_FPU_S_SIGN"
    uint64_t _FPU_D_CANON "CS_FPU_D_CANON"       # canonical NaN, double
    uint64_t _FPU_D_SIGN "CS_FPU_D_SIGN"
    uint64_t _FPU_BOX "CS_FPU_BOX"               # upper half of a NaN-boxed single


cdef enum:
    # Rounding modes (the frm / instruction rm encoding).
    FPU_RNE = 0
    FPU_RTZ = 1
    FPU_RDN = 2
    FPU_RUP = 3
    FPU_RMM = 4
    # Exception flags, as in fflags.
    FPU_NV = 16
    FPU_DZ = 8
    FPU_OF = 4
    FPU_UF = 2
    FPU_NX = 1

cdef enum:
    _FPU_S_CANON = 0x7fc00000    # canonical NaN, single

# Which exact computation the software path redoes.
cdef enum:
    _FPU_ADD = 0
    _FPU_MUL = 1
    _FPU_DIV = 2
    _FPU_FMA = 3
    _FPU_CVT = 4


# ---------------------------------------------------------------- bits and boxing

cdef inline double _fpu_d(uint64_t x) noexcept nogil:
    cdef double r
    memcpy(&r, &x, 8)
    return r

cdef inline uint64_t _fpu_dbits(double x) noexcept nogil:
    cdef uint64_t r
    memcpy(&r, &x, 8)
    return r

cdef inline float _fpu_f(uint32_t x) noexcept nogil:
    cdef float r
    memcpy(&r, &x, 4)
    return r

cdef inline uint32_t _fpu_fbits(float x) noexcept nogil:
    cdef uint32_t r
    memcpy(&r, &x, 4)
    return r

cdef inline uint32_t _fpu_unbox(uint64_t a) noexcept nogil:
    """The single in a register; an improperly boxed value reads as the canonical NaN."""
    if (a >> 32) != 0xffffffffULL:
        return _FPU_S_CANON
    return <uint32_t>a

cdef inline uint64_t _fpu_box(uint32_t x) noexcept nogil:
    return _FPU_BOX | x

cdef inline bint _fpu_isnan_s(uint32_t x) noexcept nogil:
    return (x & 0x7fffffffU) > 0x7f800000U

cdef inline bint _fpu_issnan_s(uint32_t x) noexcept nogil:
    return _fpu_isnan_s(x) and not (x & 0x00400000U)

cdef inline bint _fpu_isnan_d(uint64_t x) noexcept nogil:
    return (x & 0x7fffffffffffffffULL) > 0x7ff0000000000000ULL

cdef inline bint _fpu_issnan_d(uint64_t x) noexcept nogil:
    return _fpu_isnan_d(x) and not (x & 0x0008000000000000ULL)

cdef inline int _fpu_bitlen64(uint64_t x) noexcept nogil:
    return 0 if x == 0 else 64 - __builtin_clzll(x)

cdef inline int _fpu_bitlen128(cs_u128 x) noexcept nogil:
    cdef uint64_t hi = <uint64_t>(x >> 64)
    if hi:
        return 128 - __builtin_clzll(hi)
    return _fpu_bitlen64(<uint64_t>x)


# ---------------------------------------------------------------- software rounding

cdef inline uint64_t _fpu_rnd(uint64_t sig, int shift, int rm, int sign, bint* inexact) noexcept nogil:
    """sig / 2^shift rounded to an integer in mode rm (shift >= 1); sets *inexact."""
    cdef uint64_t kept, rem, half
    cdef int cmp    # remainder against one half: -1 below, 0 equal, 1 above
    if shift > 64:
        kept = 0
        cmp = -1 if sig else -2
    else:
        if shift == 64:
            kept = 0
            rem = sig
        else:
            kept = sig >> shift
            rem = sig & ((1ULL << shift) - 1)
        half = 1ULL << (shift - 1)
        if rem == 0:
            cmp = -2
        elif rem < half:
            cmp = -1
        elif rem == half:
            cmp = 0
        else:
            cmp = 1
    inexact[0] = cmp != -2
    if cmp == -2:
        return kept
    if rm == FPU_RTZ:
        return kept
    if rm == FPU_RDN:
        return kept + (1 if sign else 0)
    if rm == FPU_RUP:
        return kept + (0 if sign else 1)
    if rm == FPU_RMM:
        return kept + (1 if cmp >= 0 else 0)
    return kept + (1 if cmp > 0 or (cmp == 0 and (kept & 1)) else 0)

cdef inline uint64_t _fpu_round_fmt(int sign, uint64_t sig, int top, int p, int emin, int emax,
                                    int rm, uint32_t* flags) noexcept nogil:
    """Rounds (-1)^sign * sig * 2^(top-63) to the binary format of precision p and exponent
    range emin..emax (unboxed bits: single, double or half).

    sig has bit 63 set; bits lost below bit 0 must have been ORed into bit 0 (sticky).
    Underflow is signalled when the result is inexact and tiny after rounding, i.e. when
    rounding to the format's precision with an unbounded exponent stays below 2^emin.
    """
    cdef uint64_t maxfield = <uint64_t>(2 * emax + 1)    # all-ones exponent field
    cdef uint64_t out, kept
    cdef bint inexact, dummy, tiny
    cdef int shift = 64 - p
    if top < emin:
        shift += emin - top
    kept = _fpu_rnd(sig, shift, rm, sign, &inexact)
    if inexact:
        flags[0] |= FPU_NX
        if top < emin:
            tiny = True
            if top == emin - 1:
                tiny = (_fpu_rnd(sig, 64 - p, rm, sign, &dummy) >> p) == 0
            if tiny:
                flags[0] |= FPU_UF
    if top >= emin:
        # kept holds the hidden bit; a carry out of the significand bumps the exponent.
        out = (<uint64_t>(top + emax - 1) << (p - 1)) + kept if top <= emax else maxfield << (p - 1)
        if (out >> (p - 1)) >= maxfield:
            flags[0] |= FPU_OF | FPU_NX
            if rm == FPU_RTZ or (rm == FPU_RDN and not sign) or (rm == FPU_RUP and sign):
                out = (maxfield << (p - 1)) - 1
            else:
                out = maxfield << (p - 1)
    else:
        out = kept   # subnormal; rounding up to 2^emin lands in exponent field 1
    if sign:
        out |= 1ULL << (p + <int>_fpu_bitlen64(maxfield) - 1)
    return out

cdef inline uint64_t _fpu_round(int sign, uint64_t sig, int top, bint dbl, int rm,
                                uint32_t* flags) noexcept nogil:
    """_fpu_round_fmt for single (dbl false) or double."""
    if dbl:
        return _fpu_round_fmt(sign, sig, top, 53, -1022, 1023, rm, flags)
    return _fpu_round_fmt(sign, sig, top, 24, -126, 127, rm, flags)

cdef inline uint64_t _fpu_round128(int sign, cs_u128 m, int e, bint sticky, bint dbl, int rm,
                                   uint32_t* flags) noexcept nogil:
    """Rounds (-1)^sign * (m + sticky*tiny) * 2^e, m != 0."""
    cdef int n = _fpu_bitlen128(m)
    cdef uint64_t sig
    if n > 64:
        sig = <uint64_t>(m >> (n - 64))
        if m & ((<cs_u128>1 << (n - 64)) - 1):
            sig |= 1
    else:
        sig = (<uint64_t>m) << (64 - n)
    if sticky:
        sig |= 1
    return _fpu_round(sign, sig, e + n - 1, dbl, rm, flags)

cdef inline void _fpu_unpack(uint64_t x, bint dbl, int* sign, uint64_t* mant, int* exp) noexcept nogil:
    """A finite value as (-1)^sign * mant * 2^exp (mant is 0 for a zero)."""
    cdef uint64_t e
    if dbl:
        sign[0] = <int>(x >> 63)
        e = (x >> 52) & 0x7ff
        mant[0] = x & 0xfffffffffffffULL
        if e == 0:
            exp[0] = -1074
        else:
            mant[0] |= 1ULL << 52
            exp[0] = <int>e - 1075
    else:
        sign[0] = <int>((x >> 31) & 1)
        e = (x >> 23) & 0xff
        mant[0] = x & 0x7fffff
        if e == 0:
            exp[0] = -149
        else:
            mant[0] |= 1 << 23
            exp[0] = <int>e - 150

cdef inline uint64_t _fpu_sum(int s1, cs_u128 m1, int e1, int s2, cs_u128 m2, int e2, bint dbl,
                              int rm, uint32_t* flags) noexcept nogil:
    """Rounds the exact sum of two values with significands below 2^107."""
    cdef int t1, t2, sh, d, st
    cdef cs_u128 tm, hi, lo, m
    cdef bint sticky = False
    if m2 == 0:
        return _fpu_round128(s1, m1, e1, False, dbl, rm, flags)
    if m1 == 0:
        return _fpu_round128(s2, m2, e2, False, dbl, rm, flags)
    t1 = e1 + _fpu_bitlen128(m1)
    t2 = e2 + _fpu_bitlen128(m2)
    if t2 > t1:
        st = s1; s1 = s2; s2 = st
        tm = m1; m1 = m2; m2 = tm
        st = e1; e1 = e2; e2 = st
    # Window of 126 bits with the larger value's top at bit 125. The smaller one fits
    # exactly unless it lies far below, and then it only contributes a sticky bit (no
    # cancellation can reach the rounding position).
    sh = 125 - _fpu_bitlen128(m1)
    hi = m1 << sh
    e1 -= sh
    d = e2 - e1
    if d >= 0:
        lo = m2 << d
    elif d > -128:
        lo = m2 >> (-d)
        sticky = (m2 & ((<cs_u128>1 << (-d)) - 1)) != 0
    else:
        lo = 0
        sticky = True
    if s1 == s2:
        m = hi + lo
    elif sticky:
        m = hi - lo - 1      # hi - (lo + something in (0, 1))
    elif hi >= lo:
        m = hi - lo
    else:
        m = lo - hi
        s1 = s2
    if m == 0:
        # Exact cancellation: +0, or -0 when rounding down.
        return (1ULL << (63 if dbl else 31)) if rm == FPU_RDN else 0
    return _fpu_round128(s1, m, e1, sticky, dbl, rm, flags)

@cython.cdivision(True)
cdef inline uint64_t _fpu_exact(int op, uint64_t a, uint64_t b, uint64_t c, bint dbl, int rm,
                                uint32_t* flags) noexcept nogil:
    """Correctly rounded result of a finite operation, from the exact value in integers.

    a, b, c are unboxed bits; for _FPU_ADD the caller has already flipped b's sign for a
    subtraction, for _FPU_FMA the signs of a and c. Sets only OF, UF and NX.
    """
    cdef int sa, sb, sc, ea, eb, ec, za, zb
    cdef uint64_t ma, mb, mc
    cdef cs_u128 num
    _fpu_unpack(a, dbl or op == _FPU_CVT, &sa, &ma, &ea)
    if op == _FPU_CVT:       # double to single
        return _fpu_round128(sa, ma, ea, False, False, rm, flags)
    _fpu_unpack(b, dbl, &sb, &mb, &eb)
    if op == _FPU_ADD:
        return _fpu_sum(sa, ma, ea, sb, mb, eb, dbl, rm, flags)
    if op == _FPU_MUL:
        return _fpu_round128(sa ^ sb, <cs_u128>ma * mb, ea + eb, False, dbl, rm, flags)
    if op == _FPU_DIV:
        # Normalise both to 64 bits so the quotient has at least 63 significant bits.
        za = __builtin_clzll(ma)
        zb = __builtin_clzll(mb)
        ma <<= za
        mb <<= zb
        num = (<cs_u128>ma) << 63
        return _fpu_round128(sa ^ sb, num / <cs_u128>mb, ea - za - eb + zb - 63, (num % <cs_u128>mb) != 0,
                             dbl, rm, flags)
    _fpu_unpack(c, dbl, &sc, &mc, &ec)
    return _fpu_sum(sa ^ sb, <cs_u128>ma * mb, ea + eb, sc, mc, ec, dbl, rm, flags)

cdef inline uint64_t _fpu_finish_d(uint64_t r, uint32_t hf, int op, uint64_t a, uint64_t b,
                                   uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    """Canonicalises a host double result; redoes tiny inexact and RMM results exactly."""
    if _fpu_isnan_d(r):
        flags[0] |= hf
        return _FPU_D_CANON
    if (hf & FPU_NX) and (rm == FPU_RMM or ((r >> 52) & 0x7ff) <= 1) \
            and (r & 0x7fffffffffffffffULL) != 0x7ff0000000000000ULL:
        return _fpu_exact(op, a, b, c, True, rm, flags)
    flags[0] |= hf
    return r

cdef inline uint64_t _fpu_finish_s(uint32_t r, uint32_t hf, int op, uint64_t a, uint64_t b,
                                   uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    """Single counterpart of _fpu_finish_d; returns the boxed result. The operands are
    unboxed singles, or for _FPU_CVT the double being converted."""
    if _fpu_isnan_s(r):
        flags[0] |= hf
        return _fpu_box(_FPU_S_CANON)
    if (hf & FPU_NX) and (rm == FPU_RMM or ((r >> 23) & 0xff) <= 1) \
            and (r & 0x7fffffffU) != 0x7f800000U:
        return _fpu_box(<uint32_t>_fpu_exact(op, a, b, c, False, rm, flags))
    flags[0] |= hf
    return _fpu_box(r)


# ---------------------------------------------------------------- fast paths (RNE)
#
# In round to nearest even a finite, not tiny host result is the RISC-V result, and NX
# is the only flag such an operation can raise. Whether it is raised is decided here
# without the host's flags (reading MXCSR stalls the FP pipeline and costs more than the
# operation): a sum's rounding error comes from 2Sum, products, quotients and square
# roots are checked in integers, FMA by the lowest set bits of its three terms. Other
# modes and every special case (NaN, infinity, zero or subnormal operands where they
# matter, tiny or overflowing results) take the general path. The host must be in the
# standard state (RNE, no DAZ/FTZ): the core sets it on entry (fpu_host_standard) and
# the general path leaves it so.

cdef inline void fpu_host_standard() noexcept nogil:
    """Puts the host FP unit in the state the fast paths need; call before executing."""
    cs_fpu_host_standard()

cdef inline uint64_t _fpu_ef(uint64_t x) noexcept nogil:
    """Exponent field of a double."""
    return (x >> 52) & 0x7ff

cdef inline uint64_t _fpu_sig_d(uint64_t x) noexcept nogil:
    """Significand of a normal double, hidden bit included."""
    return (x & 0xfffffffffffffULL) | (1ULL << 52)

cdef inline uint64_t _fpu_odd(uint64_t m) noexcept nogil:
    """m without its trailing zero bits (m != 0)."""
    return m >> __builtin_ctzll(m)

cdef inline bint _fpu_sum_inexact(double x, double y, double s) noexcept nogil:
    """Whether s = RN(x + y) differs from x + y. 2Sum (Moller 1965, Knuth): the error
    (x - xp) + (y - yp) is exactly x + y - s in round to nearest without overflow."""
    cdef double xp = s - y
    cdef double yp = s - xp
    return (x - xp) + (y - yp) != 0

cdef inline int _fpu_fma_inexact_d(uint64_t a, uint64_t b, uint64_t c, uint64_t r) noexcept nogil:
    """Whether r (normal) is not exactly a*b + c for normal a, b and normal or zero c:
    1 inexact, 0 exact, 2 undecided (the terms lie too far apart for 128 bits).

    Each term is an odd integer times a power of two. If one term's lowest set bit lies
    strictly below the others', the difference a*b + c - r has that bit set, so it is not
    zero; otherwise the three are aligned at their common lowest bit and subtracted."""
    cdef uint64_t ma = _fpu_sig_d(a), mb = _fpu_sig_d(b), mc, mr = _fpu_sig_d(r)
    cdef int lp = <int>_fpu_ef(a) + <int>_fpu_ef(b) - 2150 + __builtin_ctzll(ma) + __builtin_ctzll(mb)
    cdef int lr = <int>_fpu_ef(r) - 1075 + __builtin_ctzll(mr)
    cdef int lc = 1 << 20, lo
    cdef bint has_c = (c << 1) != 0
    cdef cs_i128 dp, dc = 0, dr
    if has_c:
        mc = _fpu_sig_d(c)
        lc = <int>_fpu_ef(c) - 1075 + __builtin_ctzll(mc)
    lo = lp if lp < lc else lc
    lo = lo if lo < lr else lr
    if (lp == lo) + (lc == lo) + (lr == lo) == 1:
        return 1
    # Odd parts: the product's is below 2^106, the others below 2^53; each shifted term
    # stays below 2^125, so the signed sum of three cannot overflow.
    if lp - lo > 19 or lr - lo > 72 or (has_c and lc - lo > 72):
        return 2
    dp = (<cs_i128>(<cs_u128>_fpu_odd(ma) * _fpu_odd(mb))) << (lp - lo)
    if (a ^ b) >> 63:
        dp = -dp
    if has_c:
        dc = (<cs_i128>_fpu_odd(mc)) << (lc - lo)
        if c >> 63:
            dc = -dc
    dr = (<cs_i128>_fpu_odd(mr)) << (lr - lo)
    if r >> 63:
        dr = -dr
    return dp + dc != dr


# ---------------------------------------------------------------- arithmetic, double

@cython.cdivision(True)
cdef inline uint64_t _fpu_arith_d(int op, uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    """add (also sub, as a + -b), mul or div on the host; op is a constant after inlining."""
    cdef volatile double x = _fpu_d(a)
    cdef volatile double y = _fpu_d(b)
    cdef volatile double r
    cdef unsigned saved = cs_fpu_enter(rm)
    if op == _FPU_ADD:
        r = x + y
    elif op == _FPU_MUL:
        r = x * y
    else:
        r = x / y
    cdef uint32_t hf = cs_fpu_leave(saved)
    return _fpu_finish_d(_fpu_dbits(r), hf, op, a, b, 0, rm, flags)

cdef inline uint64_t _fpu_add_d(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    cdef double x, y, s
    if rm == FPU_RNE and _fpu_ef(a) < 2045 and _fpu_ef(b) < 2045:
        # |a|, |b| < 2^1022: finite, and neither the sum nor 2Sum's steps overflow. A
        # tiny sum is exact (Hauser 1996), so it raises nothing.
        x = _fpu_d(a)
        y = _fpu_d(b)
        s = x + y
        if _fpu_sum_inexact(x, y, s):
            flags[0] |= FPU_NX
        return _fpu_dbits(s)
    return _fpu_arith_d(_FPU_ADD, a, b, rm, flags)

cdef inline uint64_t fadd_d(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_add_d(a, b, rm, flags)

cdef inline uint64_t fsub_d(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_add_d(a, b ^ _FPU_D_SIGN, rm, flags)

cdef inline uint64_t fmul_d(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    cdef uint64_t r, ma, mb
    cdef cs_u128 p
    if rm == FPU_RNE and _fpu_ef(a) - 1 < 2046 and _fpu_ef(b) - 1 < 2046:
        r = _fpu_dbits(_fpu_d(a) * _fpu_d(b))
        if _fpu_ef(r) - 2 < 2045:
            # Normal operands, a normal result that is not tiny and finite: exact iff the
            # 105- or 106-bit product of the significands has at most 53 significant bits.
            ma = _fpu_sig_d(a)
            mb = _fpu_sig_d(b)
            p = <cs_u128>ma * mb
            if (106 if <uint64_t>(p >> 105) else 105) - __builtin_ctzll(ma) - __builtin_ctzll(mb) > 53:
                flags[0] |= FPU_NX
            return r
    return _fpu_arith_d(_FPU_MUL, a, b, rm, flags)

cdef inline uint64_t fdiv_d(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    cdef uint64_t r
    if rm == FPU_RNE and _fpu_ef(a) - 1 < 2046 and _fpu_ef(b) - 1 < 2046:
        r = _fpu_dbits(_fpu_d(a) / _fpu_d(b))
        if _fpu_ef(r) - 2 < 2045:
            # Exact iff r * b == a. r * b lies within 2^-52 of a, so no power of two can
            # separate them: it is enough that the odd parts of the significands agree.
            if <cs_u128>_fpu_odd(_fpu_sig_d(r)) * _fpu_odd(_fpu_sig_d(b)) != _fpu_odd(_fpu_sig_d(a)):
                flags[0] |= FPU_NX
            return r
    return _fpu_arith_d(_FPU_DIV, a, b, rm, flags)

cdef inline uint64_t fsqrt_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    # A square root is never tiny and never exactly halfway, so RNE serves for RMM.
    cdef uint64_t s, o
    if (rm == FPU_RNE or rm == FPU_RMM) and (a >> 63) == 0 and _fpu_ef(a) - 1 < 2046:
        # Positive normal operand: exact iff s * s == a, checked on the odd parts as for
        # division (s * s lies within 2^-51 of a).
        s = _fpu_dbits(sqrt(_fpu_d(a)))
        o = _fpu_odd(_fpu_sig_d(s))
        if <cs_u128>o * o != _fpu_odd(_fpu_sig_d(a)):
            flags[0] |= FPU_NX
        return s
    cdef volatile double x = _fpu_d(a)
    cdef volatile double r
    cdef unsigned saved = cs_fpu_enter(rm)
    r = sqrt(x)
    cdef uint32_t hf = cs_fpu_leave(saved)
    cdef uint64_t rb = _fpu_dbits(r)
    flags[0] |= hf
    return _FPU_D_CANON if _fpu_isnan_d(rb) else rb

cdef inline bint _fpu_zero_times_inf_d(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t ma = a & 0x7fffffffffffffffULL
    cdef uint64_t mb = b & 0x7fffffffffffffffULL
    return (ma == 0 and mb == 0x7ff0000000000000ULL) or (mb == 0 and ma == 0x7ff0000000000000ULL)

cdef inline uint64_t _fpu_fma_general_d(uint64_t a, uint64_t b, uint64_t c, int rm,
                                        uint32_t* flags) noexcept nogil:
    cdef volatile double x = _fpu_d(a)
    cdef volatile double y = _fpu_d(b)
    cdef volatile double z = _fpu_d(c)
    cdef volatile double r
    cdef unsigned saved = cs_fpu_enter(rm)
    r = fma(x, y, z)
    cdef uint32_t hf = cs_fpu_leave(saved)
    # RISC-V signals invalid for 0 * inf even when the addend is a quiet NaN.
    if _fpu_zero_times_inf_d(a, b):
        hf |= FPU_NV
    return _fpu_finish_d(_fpu_dbits(r), hf, _FPU_FMA, a, b, c, rm, flags)

cdef inline uint64_t _fpu_fma_d(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    cdef uint64_t r
    cdef int inexact
    if rm == FPU_RNE and _fpu_ef(a) - 1 < 2046 and _fpu_ef(b) - 1 < 2046 \
            and (_fpu_ef(c) - 1 < 2046 or (c << 1) == 0):
        r = _fpu_dbits(fma(_fpu_d(a), _fpu_d(b), _fpu_d(c)))
        if _fpu_ef(r) - 2 < 2045:
            inexact = _fpu_fma_inexact_d(a, b, c, r)
            if inexact != 2:
                if inexact:
                    flags[0] |= FPU_NX
                return r
    return _fpu_fma_general_d(a, b, c, rm, flags)

cdef inline uint64_t fmadd_d(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_d(a, b, c, rm, flags)

cdef inline uint64_t fmsub_d(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_d(a, b, c ^ _FPU_D_SIGN, rm, flags)

cdef inline uint64_t fnmsub_d(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_d(a ^ _FPU_D_SIGN, b, c, rm, flags)

cdef inline uint64_t fnmadd_d(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_d(a ^ _FPU_D_SIGN, b, c ^ _FPU_D_SIGN, rm, flags)


# ---------------------------------------------------------------- arithmetic, single

@cython.cdivision(True)
cdef inline uint64_t _fpu_arith_s(int op, uint32_t a, uint32_t b, int rm, uint32_t* flags) noexcept nogil:
    """Single counterpart of _fpu_arith_d, on unboxed operands."""
    cdef volatile float x = _fpu_f(a)
    cdef volatile float y = _fpu_f(b)
    cdef volatile float r
    cdef unsigned saved = cs_fpu_enter(rm)
    if op == _FPU_ADD:
        r = x + y
    elif op == _FPU_MUL:
        r = x * y
    else:
        r = x / y
    cdef uint32_t hf = cs_fpu_leave(saved)
    return _fpu_finish_s(_fpu_fbits(r), hf, op, a, b, 0, rm, flags)

# Single fast paths: every single, and every product of two, is a double, so the exact
# result is checked in double arithmetic.

cdef inline uint32_t _fpu_ef_s(uint32_t x) noexcept nogil:
    """Exponent field of a single."""
    return (x >> 23) & 0xff

cdef inline uint64_t _fpu_add_s(uint32_t a, uint32_t b, int rm, uint32_t* flags) noexcept nogil:
    cdef float r
    cdef double x, y, s
    if rm == FPU_RNE and _fpu_ef_s(a) != 0xff and _fpu_ef_s(b) != 0xff:
        r = _fpu_f(a) + _fpu_f(b)
        if _fpu_ef_s(_fpu_fbits(r)) != 0xff:
            # x + y == s + (2Sum error) exactly; r is exact iff that error is 0 and r == s.
            # A tiny sum is exact.
            x = _fpu_f(a)
            y = _fpu_f(b)
            s = x + y
            if <double>r != s or _fpu_sum_inexact(x, y, s):
                flags[0] |= FPU_NX
            return _fpu_box(_fpu_fbits(r))
    return _fpu_arith_s(_FPU_ADD, a, b, rm, flags)

cdef inline uint64_t fadd_s(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_add_s(_fpu_unbox(a), _fpu_unbox(b), rm, flags)

cdef inline uint64_t fsub_s(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_add_s(_fpu_unbox(a), _fpu_unbox(b) ^ _FPU_S_SIGN, rm, flags)

cdef inline uint64_t fmul_s(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    cdef uint32_t ua = _fpu_unbox(a), ub = _fpu_unbox(b)
    cdef float r
    if rm == FPU_RNE and _fpu_ef_s(ua) != 0xff and _fpu_ef_s(ub) != 0xff:
        r = _fpu_f(ua) * _fpu_f(ub)
        if _fpu_ef_s(_fpu_fbits(r)) - 2 < 253:      # normal, not tiny, finite
            if <double>r != <double>_fpu_f(ua) * <double>_fpu_f(ub):
                flags[0] |= FPU_NX
            return _fpu_box(_fpu_fbits(r))
    return _fpu_arith_s(_FPU_MUL, ua, ub, rm, flags)

cdef inline uint64_t fdiv_s(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    cdef uint32_t ua = _fpu_unbox(a), ub = _fpu_unbox(b)
    cdef float r
    if rm == FPU_RNE and _fpu_ef_s(ua) != 0xff and _fpu_ef_s(ub) != 0xff and (ub << 1) != 0:
        r = _fpu_f(ua) / _fpu_f(ub)
        if _fpu_ef_s(_fpu_fbits(r)) - 2 < 253:
            if <double>r * <double>_fpu_f(ub) != <double>_fpu_f(ua):    # exact product
                flags[0] |= FPU_NX
            return _fpu_box(_fpu_fbits(r))
    return _fpu_arith_s(_FPU_DIV, ua, ub, rm, flags)

cdef inline uint64_t fsqrt_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    cdef uint32_t ua = _fpu_unbox(a)
    cdef float s
    if (rm == FPU_RNE or rm == FPU_RMM) and ua - 1 < 0x7f7fffffU:     # positive, finite
        s = sqrtf(_fpu_f(ua))
        if <double>s * <double>s != <double>_fpu_f(ua):
            flags[0] |= FPU_NX
        return _fpu_box(_fpu_fbits(s))
    cdef volatile float x = _fpu_f(ua)
    cdef volatile float r
    cdef unsigned saved = cs_fpu_enter(rm)
    r = sqrtf(x)
    cdef uint32_t hf = cs_fpu_leave(saved)
    cdef uint32_t rb = _fpu_fbits(r)
    flags[0] |= hf
    return _fpu_box(_FPU_S_CANON if _fpu_isnan_s(rb) else rb)

cdef inline uint64_t _fpu_fma_general_s(uint32_t a, uint32_t b, uint32_t c, int rm,
                                        uint32_t* flags) noexcept nogil:
    cdef volatile float x = _fpu_f(a)
    cdef volatile float y = _fpu_f(b)
    cdef volatile float z = _fpu_f(c)
    cdef volatile float r
    cdef unsigned saved = cs_fpu_enter(rm)
    r = fmaf(x, y, z)
    cdef uint32_t hf = cs_fpu_leave(saved)
    cdef uint32_t ma = a & 0x7fffffffU, mb = b & 0x7fffffffU
    if (ma == 0 and mb == 0x7f800000U) or (mb == 0 and ma == 0x7f800000U):
        hf |= FPU_NV
    return _fpu_finish_s(_fpu_fbits(r), hf, _FPU_FMA, a, b, c, rm, flags)

cdef inline uint64_t _fpu_fma_s(uint32_t a, uint32_t b, uint32_t c, int rm, uint32_t* flags) noexcept nogil:
    cdef float r
    cdef double p, z, s
    if rm == FPU_RNE and _fpu_ef_s(a) != 0xff and _fpu_ef_s(b) != 0xff and _fpu_ef_s(c) != 0xff:
        r = fmaf(_fpu_f(a), _fpu_f(b), _fpu_f(c))
        if _fpu_ef_s(_fpu_fbits(r)) - 2 < 253:
            # The product is exact in double; p + z == s + (2Sum error) exactly.
            p = <double>_fpu_f(a) * <double>_fpu_f(b)
            z = _fpu_f(c)
            s = p + z
            if <double>r != s or _fpu_sum_inexact(p, z, s):
                flags[0] |= FPU_NX
            return _fpu_box(_fpu_fbits(r))
    return _fpu_fma_general_s(a, b, c, rm, flags)

cdef inline uint64_t fmadd_s(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_s(_fpu_unbox(a), _fpu_unbox(b), _fpu_unbox(c), rm, flags)

cdef inline uint64_t fmsub_s(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_s(_fpu_unbox(a), _fpu_unbox(b), _fpu_unbox(c) ^ _FPU_S_SIGN, rm, flags)

cdef inline uint64_t fnmsub_s(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_s(_fpu_unbox(a) ^ _FPU_S_SIGN, _fpu_unbox(b), _fpu_unbox(c), rm, flags)

cdef inline uint64_t fnmadd_s(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_fma_s(_fpu_unbox(a) ^ _FPU_S_SIGN, _fpu_unbox(b),
                      _fpu_unbox(c) ^ _FPU_S_SIGN, rm, flags)


# ---------------------------------------------------------------- min/max, compare, sign, class

cdef inline uint64_t _fpu_key(uint64_t x, int width) noexcept nogil:
    """Maps a non-NaN value to an unsigned key in numeric order, with -0 just below +0."""
    cdef uint64_t sign = 1ULL << (width - 1)
    if x & sign:
        return (~x) & (sign | (sign - 1))
    return x | sign

cdef inline uint64_t _fpu_minmax(uint64_t a, uint64_t b, bint dbl, bint is_max, uint32_t* flags) noexcept nogil:
    """minimumNumber/maximumNumber on unboxed bits; returns unboxed bits."""
    cdef bint an = _fpu_isnan_d(a) if dbl else _fpu_isnan_s(<uint32_t>a)
    cdef bint bn = _fpu_isnan_d(b) if dbl else _fpu_isnan_s(<uint32_t>b)
    cdef int w = 64 if dbl else 32
    if dbl:
        if _fpu_issnan_d(a) or _fpu_issnan_d(b):
            flags[0] |= FPU_NV
    elif _fpu_issnan_s(<uint32_t>a) or _fpu_issnan_s(<uint32_t>b):
        flags[0] |= FPU_NV
    if an and bn:
        return _FPU_D_CANON if dbl else _FPU_S_CANON
    if an:
        return b
    if bn:
        return a
    if (_fpu_key(a, w) < _fpu_key(b, w)) != is_max:
        return a
    return b

cdef inline uint64_t fmin_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmax(a, b, True, False, flags)

cdef inline uint64_t fmax_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmax(a, b, True, True, flags)

cdef inline uint64_t fmin_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_minmax(_fpu_unbox(a), _fpu_unbox(b), False, False, flags))

cdef inline uint64_t fmax_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_minmax(_fpu_unbox(a), _fpu_unbox(b), False, True, flags))

cdef inline uint64_t _fpu_compare(uint64_t a, uint64_t b, bint dbl, int how, uint32_t* flags) noexcept nogil:
    """how: 0 = eq (quiet), 1 = lt, 2 = le (signalling: NV on any NaN)."""
    cdef int w = 64 if dbl else 32
    cdef uint64_t mag = (1ULL << (w - 1)) - 1
    cdef bint an = _fpu_isnan_d(a) if dbl else _fpu_isnan_s(<uint32_t>a)
    cdef bint bn = _fpu_isnan_d(b) if dbl else _fpu_isnan_s(<uint32_t>b)
    if an or bn:
        if how != 0:
            flags[0] |= FPU_NV
        elif (_fpu_issnan_d(a) or _fpu_issnan_d(b)) if dbl else \
                (_fpu_issnan_s(<uint32_t>a) or _fpu_issnan_s(<uint32_t>b)):
            flags[0] |= FPU_NV
        return 0
    if (a & mag) == 0 and (b & mag) == 0:     # +0 == -0
        return 0 if how == 1 else 1
    if how == 0:
        return a == b
    if how == 1:
        return _fpu_key(a, w) < _fpu_key(b, w)
    return _fpu_key(a, w) <= _fpu_key(b, w)

cdef inline uint64_t feq_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(a, b, True, 0, flags)

cdef inline uint64_t flt_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(a, b, True, 1, flags)

cdef inline uint64_t fle_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(a, b, True, 2, flags)

cdef inline uint64_t feq_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(_fpu_unbox(a), _fpu_unbox(b), False, 0, flags)

cdef inline uint64_t flt_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(_fpu_unbox(a), _fpu_unbox(b), False, 1, flags)

cdef inline uint64_t fle_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(_fpu_unbox(a), _fpu_unbox(b), False, 2, flags)

cdef inline uint64_t fsgnj_d(uint64_t a, uint64_t b) noexcept nogil:
    return (a & ~_FPU_D_SIGN) | (b & _FPU_D_SIGN)

cdef inline uint64_t fsgnjn_d(uint64_t a, uint64_t b) noexcept nogil:
    return (a & ~_FPU_D_SIGN) | (~b & _FPU_D_SIGN)

cdef inline uint64_t fsgnjx_d(uint64_t a, uint64_t b) noexcept nogil:
    return a ^ (b & _FPU_D_SIGN)

cdef inline uint64_t fsgnj_s(uint64_t a, uint64_t b) noexcept nogil:
    return _fpu_box((_fpu_unbox(a) & 0x7fffffffU) | (_fpu_unbox(b) & _FPU_S_SIGN))

cdef inline uint64_t fsgnjn_s(uint64_t a, uint64_t b) noexcept nogil:
    return _fpu_box((_fpu_unbox(a) & 0x7fffffffU) | (~_fpu_unbox(b) & _FPU_S_SIGN))

cdef inline uint64_t fsgnjx_s(uint64_t a, uint64_t b) noexcept nogil:
    return _fpu_box(_fpu_unbox(a) ^ (_fpu_unbox(b) & _FPU_S_SIGN))

cdef inline uint64_t _fpu_class(uint64_t x, bint dbl) noexcept nogil:
    """The 10-bit fclass mask: bit 0 -inf ... 3 -0, 4 +0 ... 7 +inf, 8 sNaN, 9 qNaN."""
    cdef int fracbits = 52 if dbl else 23
    cdef uint64_t expmax = 2047 if dbl else 255
    cdef uint64_t e = (x >> fracbits) & expmax
    cdef uint64_t frac = x & ((1ULL << fracbits) - 1)
    cdef bint neg = (x >> (63 if dbl else 31)) & 1
    if e == expmax:
        if frac == 0:
            return 1 if neg else 1 << 7
        return 1 << 9 if frac >> (fracbits - 1) else 1 << 8
    if e == 0:
        if frac == 0:
            return 1 << 3 if neg else 1 << 4
        return 1 << 2 if neg else 1 << 5
    return 1 << 1 if neg else 1 << 6

cdef inline uint64_t fclass_d(uint64_t a) noexcept nogil:
    return _fpu_class(a, True)

cdef inline uint64_t fclass_s(uint64_t a) noexcept nogil:
    return _fpu_class(_fpu_unbox(a), False)


# ---------------------------------------------------------------- conversions

cdef inline uint64_t _fpu_to_int(uint64_t x, bint dbl, int rm, int kind, uint32_t* flags) noexcept nogil:
    """FP (unboxed bits) to integer. kind: 0 = w, 1 = wu, 2 = l, 3 = lu.

    Out of range, infinity and NaN saturate and set NV only (NaN as +inf); in range,
    an inexact result sets NX. 32-bit results come back sign-extended.
    """
    cdef int sign, e
    cdef uint64_t m, mag, out
    cdef bint inexact = False, invalid = False
    cdef uint64_t pos_max = 0x7fffffffULL if kind == 0 else (0xffffffffULL if kind == 1 else (
        0x7fffffffffffffffULL if kind == 2 else 0xffffffffffffffffULL))
    cdef uint64_t neg_max = 0x80000000ULL if kind == 0 else (0x8000000000000000ULL if kind == 2 else 0)
    if _fpu_isnan_d(x) if dbl else _fpu_isnan_s(<uint32_t>x):
        flags[0] |= FPU_NV
        out = pos_max
    else:
        _fpu_unpack(x, dbl, &sign, &m, &e)
        if ((x >> 52) & 0x7ff) == 0x7ff if dbl else ((x >> 23) & 0xff) == 0xff:
            invalid = True                         # infinity
        elif e >= 0:
            invalid = _fpu_bitlen64(m) + e > 64
            mag = 0 if invalid else m << e
        elif m == 0:
            mag = 0
        else:
            mag = _fpu_rnd(m, -e, rm, sign, &inexact)
        if not invalid:
            invalid = mag > (neg_max if sign else pos_max)
        if invalid:
            flags[0] |= FPU_NV
            out = neg_max if sign else pos_max
            if sign:
                out = (~out + 1) if kind != 1 and kind != 3 else 0
        else:
            if inexact:
                flags[0] |= FPU_NX
            out = (~mag + 1) if sign else mag
    if kind <= 1:
        out = <uint64_t><int64_t><int32_t><uint32_t>out
    return out

cdef inline uint64_t fcvt_w_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(a, True, rm, 0, flags)

cdef inline uint64_t fcvt_wu_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(a, True, rm, 1, flags)

cdef inline uint64_t fcvt_l_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(a, True, rm, 2, flags)

cdef inline uint64_t fcvt_lu_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(a, True, rm, 3, flags)

cdef inline uint64_t fcvt_w_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_unbox(a), False, rm, 0, flags)

cdef inline uint64_t fcvt_wu_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_unbox(a), False, rm, 1, flags)

cdef inline uint64_t fcvt_l_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_unbox(a), False, rm, 2, flags)

cdef inline uint64_t fcvt_lu_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_unbox(a), False, rm, 3, flags)

cdef inline uint64_t _fpu_from_int(uint64_t mag, int sign, bint dbl, int rm, uint32_t* flags) noexcept nogil:
    """(-1)^sign * mag rounded to single or double (unboxed bits); zero is +0."""
    if mag == 0:
        return 0
    cdef int n = _fpu_bitlen64(mag)
    cdef int p = 53 if dbl else 24
    if n <= p:
        # Exact in every mode: the bits directly (leading one dropped, exponent n - 1).
        return ((<uint64_t>sign << (63 if dbl else 31))
                | (<uint64_t>(n - 1 + (1023 if dbl else 127)) << (p - 1))
                | ((mag << (p - n)) & ((1ULL << (p - 1)) - 1)))
    return _fpu_round(sign, mag << (64 - n), n - 1, dbl, rm, flags)

cdef inline uint64_t _fpu_abs64(uint64_t x) noexcept nogil:
    return (~x + 1) if (x >> 63) else x

cdef inline uint64_t fcvt_d_w(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    cdef uint64_t v = <uint64_t><int64_t><int32_t><uint32_t>x
    return _fpu_from_int(_fpu_abs64(v), <int>(v >> 63), True, rm, flags)

cdef inline uint64_t fcvt_d_wu(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_from_int(x & 0xffffffffULL, 0, True, rm, flags)

cdef inline uint64_t fcvt_d_l(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_from_int(_fpu_abs64(x), <int>(x >> 63), True, rm, flags)

cdef inline uint64_t fcvt_d_lu(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_from_int(x, 0, True, rm, flags)

cdef inline uint64_t fcvt_s_w(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    cdef uint64_t v = <uint64_t><int64_t><int32_t><uint32_t>x
    return _fpu_box(<uint32_t>_fpu_from_int(_fpu_abs64(v), <int>(v >> 63), False, rm, flags))

cdef inline uint64_t fcvt_s_wu(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_from_int(x & 0xffffffffULL, 0, False, rm, flags))

cdef inline uint64_t fcvt_s_l(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_from_int(_fpu_abs64(x), <int>(x >> 63), False, rm, flags))

cdef inline uint64_t fcvt_s_lu(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_from_int(x, 0, False, rm, flags))

cdef inline uint64_t fcvt_s_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    cdef float f
    if rm == FPU_RNE and _fpu_ef(a) != 0x7ff:
        f = <float>_fpu_d(a)
        if _fpu_ef_s(_fpu_fbits(f)) - 2 < 253:      # normal, not tiny, finite
            if <double>f != _fpu_d(a):
                flags[0] |= FPU_NX
            return _fpu_box(_fpu_fbits(f))
    cdef volatile double x = _fpu_d(a)
    cdef volatile float r
    cdef unsigned saved = cs_fpu_enter(rm)
    r = <float>x
    cdef uint32_t hf = cs_fpu_leave(saved)
    return _fpu_finish_s(_fpu_fbits(r), hf, _FPU_CVT, a, 0, 0, rm, flags)

cdef inline uint64_t fcvt_d_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    # Exact for every single, so rm does not matter. Done on the bits: a host conversion
    # would flush subnormals if the host runs with denormals-are-zero.
    cdef uint32_t ua = _fpu_unbox(a)
    cdef uint64_t sign = <uint64_t>(ua >> 31) << 63
    cdef uint64_t e = (ua >> 23) & 0xff
    cdef uint64_t frac = ua & 0x7fffff
    cdef int n
    if e == 0xff:
        if frac == 0:
            return sign | 0x7ff0000000000000ULL
        if _fpu_issnan_s(ua):
            flags[0] |= FPU_NV
        return _FPU_D_CANON
    if e == 0:
        if frac == 0:
            return sign
        n = _fpu_bitlen64(frac)       # value frac * 2^-149, top bit at 2^(n-150)
        return sign | (<uint64_t>(n - 150 + 1023) << 52) | ((frac << (53 - n)) & 0xfffffffffffffULL)
    return sign | ((e + 1023 - 127) << 52) | (frac << 29)

cdef inline uint64_t fmv_x_w(uint64_t a) noexcept nogil:
    return <uint64_t><int64_t><int32_t><uint32_t>a

cdef inline uint64_t fmv_w_x(uint64_t x) noexcept nogil:
    return _fpu_box(<uint32_t>x)


# ================================================================ Half precision (Zfh, Zfhmin) and Zfa
#
# Halves are NaN-boxed in the 64-bit registers: a half operand whose upper 48 bits are
# not all ones reads as the canonical NaN (0x7e00), and half results come back boxed.
#
# Half arithmetic runs on the host in double with round-toward-zero, and the host's
# inexact flag turns that result into "round to odd" (the last bit forced to 1 when
# inexact); _fpu_round_fmt then rounds it to half in the requested mode. That is correct
# in every mode, RMM and tininess after rounding included, because (docs/fpu.md has the
# argument) a round-to-odd value with p' >= p + 2 bits lies on the same side of every
# p-bit number and every p-bit midpoint as the exact value, and no half operation can
# overflow or underflow in double: all operands are multiples of 2^-24 below 2^16, so
# every exact nonzero result of add, sub, mul, div, sqrt and FMA lies in [2^-48, 2^33).
# Conversions, min/max, compares, sign injection, classify and the Zfa operations work
# on the bits. Half values widen exactly to double, which is how min/max and compares
# reuse the double code (order, NaN-ness and signalling-ness are preserved).

cdef extern from *:
    """
    #define CS_FPU_H_BOX 0xffffffffffff0000ULL
    /* Zfa fli: the 32 constants of the spec's table (rs1 field = index), per format.
       Half entries 2 and 3 (2^-16, 2^-15) are subnormal and entry 29 (2^16) is +inf. */
    static const uint32_t cs_fli_s[32] = {
        0xbf800000u, 0x00800000u, 0x37800000u, 0x38000000u, 0x3b800000u, 0x3c000000u,
        0x3d800000u, 0x3e000000u, 0x3e800000u, 0x3ea00000u, 0x3ec00000u, 0x3ee00000u,
        0x3f000000u, 0x3f200000u, 0x3f400000u, 0x3f600000u, 0x3f800000u, 0x3fa00000u,
        0x3fc00000u, 0x3fe00000u, 0x40000000u, 0x40200000u, 0x40400000u, 0x40800000u,
        0x41000000u, 0x41800000u, 0x43000000u, 0x43800000u, 0x47000000u, 0x47800000u,
        0x7f800000u, 0x7fc00000u};
    static const uint64_t cs_fli_d[32] = {
        0xbff0000000000000ULL, 0x0010000000000000ULL, 0x3ef0000000000000ULL,
        0x3f00000000000000ULL, 0x3f70000000000000ULL, 0x3f80000000000000ULL,
        0x3fb0000000000000ULL, 0x3fc0000000000000ULL, 0x3fd0000000000000ULL,
        0x3fd4000000000000ULL, 0x3fd8000000000000ULL, 0x3fdc000000000000ULL,
        0x3fe0000000000000ULL, 0x3fe4000000000000ULL, 0x3fe8000000000000ULL,
        0x3fec000000000000ULL, 0x3ff0000000000000ULL, 0x3ff4000000000000ULL,
        0x3ff8000000000000ULL, 0x3ffc000000000000ULL, 0x4000000000000000ULL,
        0x4004000000000000ULL, 0x4008000000000000ULL, 0x4010000000000000ULL,
        0x4020000000000000ULL, 0x4030000000000000ULL, 0x4060000000000000ULL,
        0x4070000000000000ULL, 0x40e0000000000000ULL, 0x40f0000000000000ULL,
        0x7ff0000000000000ULL, 0x7ff8000000000000ULL};
    static const uint16_t cs_fli_h[32] = {
        0xbc00, 0x0400, 0x0100, 0x0200, 0x1c00, 0x2000, 0x2c00, 0x3000, 0x3400, 0x3500,
        0x3600, 0x3700, 0x3800, 0x3900, 0x3a00, 0x3b00, 0x3c00, 0x3d00, 0x3e00, 0x3f00,
        0x4000, 0x4100, 0x4200, 0x4400, 0x4800, 0x4c00, 0x5800, 0x5c00, 0x7800, 0x7c00,
        0x7c00, 0x7e00};
    """
    uint64_t _FPU_H_BOX "CS_FPU_H_BOX"
    const uint32_t* cs_fli_s
    const uint64_t* cs_fli_d
    const uint16_t* cs_fli_h

cdef enum:
    _FPU_H_CANON = 0x7e00        # canonical NaN, half
    _FPU_H_SIGN = 0x8000
    _FPU_SQRT = 5                # extra op code for the half path


# ---------------------------------------------------------------- half: bits and boxing

cdef inline uint32_t _fpu_unbox_h(uint64_t a) noexcept nogil:
    """The half in a register; an improperly boxed value reads as the canonical NaN."""
    if (a >> 16) != 0xffffffffffffULL:
        return _FPU_H_CANON
    return <uint32_t>(a & 0xffff)

cdef inline uint64_t _fpu_box_h(uint32_t x) noexcept nogil:
    return _FPU_H_BOX | (x & 0xffff)

cdef inline bint _fpu_isnan_h(uint32_t x) noexcept nogil:
    return (x & 0x7fff) > 0x7c00

cdef inline bint _fpu_issnan_h(uint32_t x) noexcept nogil:
    return _fpu_isnan_h(x) and not (x & 0x0200)

cdef inline uint64_t _fpu_h_to_d(uint32_t h) noexcept nogil:
    """The double with the same value (exact); NaNs keep payload and quiet bit."""
    cdef uint64_t sign = <uint64_t>((h >> 15) & 1) << 63
    cdef uint64_t e = (h >> 10) & 0x1f
    cdef uint64_t frac = h & 0x3ff
    cdef int n
    if e == 0x1f:
        return sign | 0x7ff0000000000000ULL | (frac << 42)
    if e == 0:
        if frac == 0:
            return sign
        n = _fpu_bitlen64(frac)       # value frac * 2^-24, top bit at 2^(n-25)
        return sign | (<uint64_t>(n - 25 + 1023) << 52) | ((frac << (53 - n)) & 0xfffffffffffffULL)
    return sign | ((e + 1023 - 15) << 52) | (frac << 42)

cdef inline uint32_t _fpu_d_to_h_exact(uint64_t d) noexcept nogil:
    """Inverse of _fpu_h_to_d for a double that holds a half value (not a NaN)."""
    cdef uint32_t sign = <uint32_t>(d >> 48) & 0x8000
    cdef int e = <int>((d >> 52) & 0x7ff)
    cdef uint64_t frac = d & 0xfffffffffffffULL
    if e == 0x7ff:
        return sign | 0x7c00
    if e == 0:
        return sign
    if e - 1023 >= -14:
        return sign | (<uint32_t>(e - 1023 + 15) << 10) | <uint32_t>(frac >> 42)
    return sign | <uint32_t>((frac | (1ULL << 52)) >> (42 + (-14 - (e - 1023))))

cdef inline uint64_t _fpu_narrow_h(uint64_t x, bint dbl, int rm, uint32_t* flags) noexcept nogil:
    """A single (dbl false, unboxed) or double rounded to half (unboxed bits)."""
    cdef int sign, e, n
    cdef uint64_t m
    cdef uint32_t hs
    if _fpu_isnan_d(x) if dbl else _fpu_isnan_s(<uint32_t>x):
        if _fpu_issnan_d(x) if dbl else _fpu_issnan_s(<uint32_t>x):
            flags[0] |= FPU_NV
        return _FPU_H_CANON
    hs = <uint32_t>(x >> 48) & 0x8000 if dbl else <uint32_t>(x >> 16) & 0x8000
    if ((x >> 52) & 0x7ff) == 0x7ff if dbl else ((x >> 23) & 0xff) == 0xff:
        return hs | 0x7c00
    _fpu_unpack(x, dbl, &sign, &m, &e)
    if m == 0:
        return hs
    n = _fpu_bitlen64(m)
    return _fpu_round_fmt(sign, m << (64 - n), e + n - 1, 11, -14, 15, rm, flags)


# ---------------------------------------------------------------- half: arithmetic

cdef inline uint64_t _fpu_arith_h(int op, uint32_t a, uint32_t b, uint32_t c, int rm,
                                  uint32_t* flags) noexcept nogil:
    """add (b already negated for sub), mul, div, sqrt (of a) or FMA (a*b + c, signs
    already applied) of unboxed halves; returns the boxed half result."""
    cdef volatile double x = _fpu_d(_fpu_h_to_d(a))
    cdef volatile double y = _fpu_d(_fpu_h_to_d(b))
    cdef volatile double z = _fpu_d(_fpu_h_to_d(c))
    cdef volatile double r
    cdef unsigned saved = cs_fpu_enter(FPU_RTZ)
    if op == _FPU_ADD:
        r = x + y
    elif op == _FPU_MUL:
        r = x * y
    elif op == _FPU_DIV:
        r = x / y
    elif op == _FPU_SQRT:
        r = sqrt(x)
    else:
        r = fma(x, y, z)
    cdef uint32_t hf = cs_fpu_leave(saved)
    cdef uint64_t rb = _fpu_dbits(r)
    cdef uint64_t m
    cdef int e
    if op == _FPU_FMA and (((a & 0x7fff) == 0 and (b & 0x7fff) == 0x7c00)
                           or ((b & 0x7fff) == 0 and (a & 0x7fff) == 0x7c00)):
        hf |= FPU_NV          # 0 * inf is invalid even when the addend is a quiet NaN
    flags[0] |= hf & (FPU_NV | FPU_DZ)   # OF, UF and NX come from the rounding to half
    if _fpu_isnan_d(rb):
        return _fpu_box_h(_FPU_H_CANON)
    e = <int>((rb >> 52) & 0x7ff)
    if e == 0x7ff:
        return _fpu_box_h(<uint32_t>(rb >> 48) & 0x8000 | 0x7c00)
    if e == 0:
        # An exact zero (nothing nonzero can be below 2^-48). The host ran in RTZ, which
        # gives a zero sum the sign RNE/RUP/RMM give too; round-down makes it -0 unless
        # both addends are +0.
        if rm == FPU_RDN and rb == 0:
            if op == _FPU_ADD and not (a == 0 and b == 0):
                rb = _FPU_D_SIGN
            elif op == _FPU_FMA and not (c == 0 and (((a ^ b) & 0x8000) == 0
                                                     and ((a & 0x7fff) == 0 or (b & 0x7fff) == 0))):
                rb = _FPU_D_SIGN
        return _fpu_box_h(<uint32_t>(rb >> 48) & 0x8000)
    # Round to odd: the truncated double with a sticky last bit, then round to half.
    m = (rb & 0xfffffffffffffULL) | (1ULL << 52)
    if hf & FPU_NX:
        m |= 1
    return _fpu_box_h(<uint32_t>_fpu_round_fmt(<int>(rb >> 63), m << 11, e - 1023, 11, -14, 15,
                                               rm, flags))

cdef inline uint64_t fadd_h(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_ADD, _fpu_unbox_h(a), _fpu_unbox_h(b), 0, rm, flags)

cdef inline uint64_t fsub_h(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_ADD, _fpu_unbox_h(a), _fpu_unbox_h(b) ^ _FPU_H_SIGN, 0, rm, flags)

cdef inline uint64_t fmul_h(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_MUL, _fpu_unbox_h(a), _fpu_unbox_h(b), 0, rm, flags)

cdef inline uint64_t fdiv_h(uint64_t a, uint64_t b, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_DIV, _fpu_unbox_h(a), _fpu_unbox_h(b), 0, rm, flags)

cdef inline uint64_t fsqrt_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_SQRT, _fpu_unbox_h(a), 0, 0, rm, flags)

cdef inline uint64_t fmadd_h(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_FMA, _fpu_unbox_h(a), _fpu_unbox_h(b), _fpu_unbox_h(c), rm, flags)

cdef inline uint64_t fmsub_h(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_FMA, _fpu_unbox_h(a), _fpu_unbox_h(b),
                        _fpu_unbox_h(c) ^ _FPU_H_SIGN, rm, flags)

cdef inline uint64_t fnmsub_h(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_FMA, _fpu_unbox_h(a) ^ _FPU_H_SIGN, _fpu_unbox_h(b),
                        _fpu_unbox_h(c), rm, flags)

cdef inline uint64_t fnmadd_h(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_arith_h(_FPU_FMA, _fpu_unbox_h(a) ^ _FPU_H_SIGN, _fpu_unbox_h(b),
                        _fpu_unbox_h(c) ^ _FPU_H_SIGN, rm, flags)


# ---------------------------------------------------------------- half: min/max, compare, sign, class

cdef inline uint64_t _fpu_minmax_h(uint64_t a, uint64_t b, bint is_max, uint32_t* flags) noexcept nogil:
    cdef uint32_t ha = _fpu_unbox_h(a), hb = _fpu_unbox_h(b)
    cdef uint64_t da = _fpu_h_to_d(ha), db = _fpu_h_to_d(hb)
    cdef uint64_t r = _fpu_minmax(da, db, True, is_max, flags)
    if r == da and not _fpu_isnan_d(da):
        return _fpu_box_h(ha)
    if r == db and not _fpu_isnan_d(db):
        return _fpu_box_h(hb)
    return _fpu_box_h(_FPU_H_CANON)

cdef inline uint64_t fmin_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmax_h(a, b, False, flags)

cdef inline uint64_t fmax_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmax_h(a, b, True, flags)

cdef inline uint64_t feq_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(_fpu_h_to_d(_fpu_unbox_h(a)), _fpu_h_to_d(_fpu_unbox_h(b)), True, 0, flags)

cdef inline uint64_t flt_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(_fpu_h_to_d(_fpu_unbox_h(a)), _fpu_h_to_d(_fpu_unbox_h(b)), True, 1, flags)

cdef inline uint64_t fle_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare(_fpu_h_to_d(_fpu_unbox_h(a)), _fpu_h_to_d(_fpu_unbox_h(b)), True, 2, flags)

cdef inline uint64_t fsgnj_h(uint64_t a, uint64_t b) noexcept nogil:
    return _fpu_box_h((_fpu_unbox_h(a) & 0x7fff) | (_fpu_unbox_h(b) & _FPU_H_SIGN))

cdef inline uint64_t fsgnjn_h(uint64_t a, uint64_t b) noexcept nogil:
    return _fpu_box_h((_fpu_unbox_h(a) & 0x7fff) | (~_fpu_unbox_h(b) & _FPU_H_SIGN))

cdef inline uint64_t fsgnjx_h(uint64_t a, uint64_t b) noexcept nogil:
    return _fpu_box_h(_fpu_unbox_h(a) ^ (_fpu_unbox_h(b) & _FPU_H_SIGN))

cdef inline uint64_t fclass_h(uint64_t a) noexcept nogil:
    cdef uint32_t x = _fpu_unbox_h(a)
    cdef uint32_t e = (x >> 10) & 0x1f, frac = x & 0x3ff
    cdef bint neg = (x >> 15) & 1
    if e == 0x1f:
        if frac == 0:
            return 1 if neg else 1 << 7
        return 1 << 9 if frac >> 9 else 1 << 8
    if e == 0:
        if frac == 0:
            return 1 << 3 if neg else 1 << 4
        return 1 << 2 if neg else 1 << 5
    return 1 << 1 if neg else 1 << 6


# ---------------------------------------------------------------- half: conversions and moves

cdef inline uint64_t fcvt_s_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    # Exact, so rm does not matter; the double path keeps sNaN detection and the value.
    cdef uint32_t h = _fpu_unbox_h(a)
    if _fpu_isnan_h(h):
        if _fpu_issnan_h(h):
            flags[0] |= FPU_NV
        return _fpu_box(_FPU_S_CANON)
    cdef double v = _fpu_d(_fpu_h_to_d(h))
    cdef float fv = <float>v            # exact: every half is a normal single or zero
    return _fpu_box(_fpu_fbits(fv))

cdef inline uint64_t fcvt_d_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    cdef uint32_t h = _fpu_unbox_h(a)
    if _fpu_isnan_h(h):
        if _fpu_issnan_h(h):
            flags[0] |= FPU_NV
        return _FPU_D_CANON
    return _fpu_h_to_d(h)

cdef inline uint64_t fcvt_h_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box_h(<uint32_t>_fpu_narrow_h(_fpu_unbox(a), False, rm, flags))

cdef inline uint64_t fcvt_h_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box_h(<uint32_t>_fpu_narrow_h(a, True, rm, flags))

cdef inline uint64_t fcvt_w_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_h_to_d(_fpu_unbox_h(a)), True, rm, 0, flags)

cdef inline uint64_t fcvt_wu_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_h_to_d(_fpu_unbox_h(a)), True, rm, 1, flags)

cdef inline uint64_t fcvt_l_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_h_to_d(_fpu_unbox_h(a)), True, rm, 2, flags)

cdef inline uint64_t fcvt_lu_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_to_int(_fpu_h_to_d(_fpu_unbox_h(a)), True, rm, 3, flags)

cdef inline uint64_t _fpu_from_int_h(uint64_t mag, int sign, int rm, uint32_t* flags) noexcept nogil:
    if mag == 0:
        return _fpu_box_h(0)
    cdef int n = _fpu_bitlen64(mag)
    return _fpu_box_h(<uint32_t>_fpu_round_fmt(sign, mag << (64 - n), n - 1, 11, -14, 15, rm, flags))

cdef inline uint64_t fcvt_h_w(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    cdef uint64_t v = <uint64_t><int64_t><int32_t><uint32_t>x
    return _fpu_from_int_h(_fpu_abs64(v), <int>(v >> 63), rm, flags)

cdef inline uint64_t fcvt_h_wu(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_from_int_h(x & 0xffffffffULL, 0, rm, flags)

cdef inline uint64_t fcvt_h_l(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_from_int_h(_fpu_abs64(x), <int>(x >> 63), rm, flags)

cdef inline uint64_t fcvt_h_lu(uint64_t x, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_from_int_h(x, 0, rm, flags)

cdef inline uint64_t fmv_x_h(uint64_t a) noexcept nogil:
    return <uint64_t><int64_t><int16_t><uint16_t>a

cdef inline uint64_t fmv_h_x(uint64_t x) noexcept nogil:
    return _fpu_box_h(<uint32_t>(x & 0xffff))


# ---------------------------------------------------------------- Zfa

cdef inline uint64_t fli_s(int idx) noexcept nogil:
    return _fpu_box(cs_fli_s[idx & 31])

cdef inline uint64_t fli_d(int idx) noexcept nogil:
    return cs_fli_d[idx & 31]

cdef inline uint64_t fli_h(int idx) noexcept nogil:
    return _fpu_box_h(cs_fli_h[idx & 31])

cdef inline uint64_t _fpu_minmaxm(uint64_t a, uint64_t b, bint dbl, bint is_max, uint32_t* flags) noexcept nogil:
    """IEEE 754-2019 minimum/maximum on unboxed bits: any NaN operand gives the canonical NaN."""
    if (_fpu_isnan_d(a) or _fpu_isnan_d(b)) if dbl else \
            (_fpu_isnan_s(<uint32_t>a) or _fpu_isnan_s(<uint32_t>b)):
        if (_fpu_issnan_d(a) or _fpu_issnan_d(b)) if dbl else \
                (_fpu_issnan_s(<uint32_t>a) or _fpu_issnan_s(<uint32_t>b)):
            flags[0] |= FPU_NV
        return _FPU_D_CANON if dbl else _FPU_S_CANON
    return _fpu_minmax(a, b, dbl, is_max, flags)

cdef inline uint64_t fminm_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_minmaxm(_fpu_unbox(a), _fpu_unbox(b), False, False, flags))

cdef inline uint64_t fmaxm_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_minmaxm(_fpu_unbox(a), _fpu_unbox(b), False, True, flags))

cdef inline uint64_t fminm_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmaxm(a, b, True, False, flags)

cdef inline uint64_t fmaxm_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmaxm(a, b, True, True, flags)

cdef inline uint64_t _fpu_minmaxm_h(uint64_t a, uint64_t b, bint is_max, uint32_t* flags) noexcept nogil:
    cdef uint32_t ha = _fpu_unbox_h(a), hb = _fpu_unbox_h(b)
    if _fpu_isnan_h(ha) or _fpu_isnan_h(hb):
        if _fpu_issnan_h(ha) or _fpu_issnan_h(hb):
            flags[0] |= FPU_NV
        return _fpu_box_h(_FPU_H_CANON)
    return _fpu_minmax_h(a, b, is_max, flags)

cdef inline uint64_t fminm_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmaxm_h(a, b, False, flags)

cdef inline uint64_t fmaxm_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_minmaxm_h(a, b, True, flags)

cdef inline uint64_t _fpu_round_int(uint64_t x, int p, int ebits, int rm, bint exact,
                                    uint32_t* flags) noexcept nogil:
    """fround/froundnx on unboxed bits of a format with precision p and ebits exponent
    bits: x rounded to an integral value in mode rm, in the same format. NaN gives the
    canonical NaN (NV if signalling); zeros and infinities are returned unchanged; NX
    only for froundnx (exact) when the value changed."""
    cdef int fracbits = p - 1
    cdef int bias = (1 << (ebits - 1)) - 1
    cdef uint64_t expmax = (1ULL << ebits) - 1
    cdef uint64_t signbit = 1ULL << (fracbits + ebits)
    cdef uint64_t e = (x >> fracbits) & expmax
    cdef uint64_t frac = x & ((1ULL << fracbits) - 1)
    cdef uint64_t m, r
    cdef int sh, n
    cdef bint inexact
    if e == expmax:
        if frac == 0:
            return x                                   # infinity
        if not (frac >> (fracbits - 1)):
            flags[0] |= FPU_NV                         # signalling NaN
        return (expmax << fracbits) | (1ULL << (fracbits - 1))
    if e == 0 and frac == 0:
        return x
    if <int>e - bias >= fracbits:
        return x                                       # already an integer
    # value = m * 2^-sh with sh >= 1
    if e == 0:
        m = frac
        sh = bias - 1 + fracbits
    else:
        m = frac | (1ULL << fracbits)
        sh = bias + fracbits - <int>e
    r = _fpu_rnd(m, sh, rm, <int>((x & signbit) != 0), &inexact)
    if inexact and exact:
        flags[0] |= FPU_NX
    if r == 0:
        return x & signbit                             # keeps the sign: -0.3 -> -0
    n = _fpu_bitlen64(r)                               # r <= 2^fracbits: exact in the format
    return (x & signbit) | (<uint64_t>(n - 1 + bias) << fracbits) \
        | ((r << (p - n)) & ((1ULL << fracbits) - 1))

cdef inline uint64_t fround_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_round_int(_fpu_unbox(a), 24, 8, rm, False, flags))

cdef inline uint64_t froundnx_s(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box(<uint32_t>_fpu_round_int(_fpu_unbox(a), 24, 8, rm, True, flags))

cdef inline uint64_t fround_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_round_int(a, 53, 11, rm, False, flags)

cdef inline uint64_t froundnx_d(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_round_int(a, 53, 11, rm, True, flags)

cdef inline uint64_t fround_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box_h(<uint32_t>_fpu_round_int(_fpu_unbox_h(a), 11, 5, rm, False, flags))

cdef inline uint64_t froundnx_h(uint64_t a, int rm, uint32_t* flags) noexcept nogil:
    return _fpu_box_h(<uint32_t>_fpu_round_int(_fpu_unbox_h(a), 11, 5, rm, True, flags))

cdef inline uint64_t fcvtmod_w_d(uint64_t a, uint32_t* flags) noexcept nogil:
    """Truncate to an integer, keep bits 31:0 of the unbounded two's complement result,
    sign-extend; +-inf and NaN give 0. Flags as fcvt.w.d with rtz on the same input."""
    cdef int sign, e
    cdef uint64_t m, v
    fcvt_w_d(a, FPU_RTZ, flags)
    if ((a >> 52) & 0x7ff) == 0x7ff:
        return 0
    _fpu_unpack(a, True, &sign, &m, &e)
    if e >= 0:
        v = 0 if e >= 32 else m << e        # only the low 32 bits matter
    elif e <= -64:
        v = 0
    else:
        v = m >> (-e)
    if sign:
        v = ~v + 1
    return <uint64_t><int64_t><int32_t><uint32_t>v

cdef inline uint64_t _fpu_compare_quiet(uint64_t a, uint64_t b, bint dbl, int how,
                                        uint32_t* flags) noexcept nogil:
    """fltq (how 1) / fleq (how 2): like flt/fle, but NV only for signalling NaNs."""
    if (_fpu_isnan_d(a) or _fpu_isnan_d(b)) if dbl else \
            (_fpu_isnan_s(<uint32_t>a) or _fpu_isnan_s(<uint32_t>b)):
        return _fpu_compare(a, b, dbl, 0, flags)     # the quiet compare's NaN rule
    return _fpu_compare(a, b, dbl, how, flags)

cdef inline uint64_t fltq_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare_quiet(_fpu_unbox(a), _fpu_unbox(b), False, 1, flags)

cdef inline uint64_t fleq_s(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare_quiet(_fpu_unbox(a), _fpu_unbox(b), False, 2, flags)

cdef inline uint64_t fltq_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare_quiet(a, b, True, 1, flags)

cdef inline uint64_t fleq_d(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare_quiet(a, b, True, 2, flags)

cdef inline uint64_t fltq_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare_quiet(_fpu_h_to_d(_fpu_unbox_h(a)), _fpu_h_to_d(_fpu_unbox_h(b)), True, 1, flags)

cdef inline uint64_t fleq_h(uint64_t a, uint64_t b, uint32_t* flags) noexcept nogil:
    return _fpu_compare_quiet(_fpu_h_to_d(_fpu_unbox_h(a)), _fpu_h_to_d(_fpu_unbox_h(b)), True, 2, flags)
