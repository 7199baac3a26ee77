# Test access to the FP semantics in cyclesim/isa/fpu.pxd (inline C functions, which
# Python cannot call directly). Used by tests/isa/test_fpu*.py only.
import numpy as np

cimport numpy as cnp
from libc.stdint cimport uint32_t, uint64_t, int32_t
from cyclesim.isa.fpu cimport *

cdef extern from *:
    """
    /* Host FP states for the tests. 1: deliberately odd (round toward zero on x86 /
       upward elsewhere, flush-to-zero and denormals-are-zero on x86, every flag raised),
       what the core may find when it starts executing; 2: the standard controls with
       every flag raised (stale flags); 0: standard. Afterwards the host controls must be
       either untouched or the standard ones (RNE, no DAZ/FTZ): cs_test_host_ok. */
    #if defined(__x86_64__) && !defined(CYCLESIM_FPU_USE_FENV)
    static const unsigned cs_test_dirty = 0x1F80u | 0x6000u | 0x8040u | 0x3Fu;
    static void cs_test_set_host(int dirty) {
        unsigned v = dirty == 1 ? cs_test_dirty : (dirty == 2 ? 0x1F80u | 0x3Fu : 0x1F80u);
        __asm__ __volatile__("ldmxcsr %0" : : "m"(v) : "memory");
    }
    static int cs_test_host_ok(void) {
        unsigned v; __asm__ __volatile__("stmxcsr %0" : "=m"(v) : : "memory");
        v &= ~0x3Fu;
        return v == 0x1F80u || v == (cs_test_dirty & ~0x3Fu);
    }
    #else
    #include <fenv.h>
    static void cs_test_set_host(int dirty) {
        feclearexcept(FE_ALL_EXCEPT);
        fesetround(dirty == 1 ? FE_UPWARD : FE_TONEAREST);
        if (dirty) feraiseexcept(FE_ALL_EXCEPT);
    }
    static int cs_test_host_ok(void) {
        return fegetround() == FE_UPWARD || fegetround() == FE_TONEAREST; }
    #endif
    """
    void cs_test_set_host(int dirty) noexcept nogil
    int cs_test_host_ok() noexcept nogil

# Every function of the contract, in dispatch order.
OPS = (
    "fadd_s",
    "fsub_s",
    "fmul_s",
    "fdiv_s",
    "fsqrt_s",
    "fmin_s",
    "fmax_s",
    "fmadd_s",
    "fmsub_s",
    "fnmsub_s",
    "fnmadd_s",
    "fsgnj_s",
    "fsgnjn_s",
    "fsgnjx_s",
    "feq_s",
    "flt_s",
    "fle_s",
    "fclass_s",
    "fcvt_w_s",
    "fcvt_wu_s",
    "fcvt_l_s",
    "fcvt_lu_s",
    "fcvt_s_w",
    "fcvt_s_wu",
    "fcvt_s_l",
    "fcvt_s_lu",
    "fadd_d",
    "fsub_d",
    "fmul_d",
    "fdiv_d",
    "fsqrt_d",
    "fmin_d",
    "fmax_d",
    "fmadd_d",
    "fmsub_d",
    "fnmsub_d",
    "fnmadd_d",
    "fsgnj_d",
    "fsgnjn_d",
    "fsgnjx_d",
    "feq_d",
    "flt_d",
    "fle_d",
    "fclass_d",
    "fcvt_w_d",
    "fcvt_wu_d",
    "fcvt_l_d",
    "fcvt_lu_d",
    "fcvt_d_w",
    "fcvt_d_wu",
    "fcvt_d_l",
    "fcvt_d_lu",
    "fcvt_s_d",
    "fcvt_d_s",
    "fmv_x_w",
    "fmv_w_x",
    # Zfh, Zfhmin, Zfa
    "fadd_h",
    "fsub_h",
    "fmul_h",
    "fdiv_h",
    "fsqrt_h",
    "fmin_h",
    "fmax_h",
    "fmadd_h",
    "fmsub_h",
    "fnmsub_h",
    "fnmadd_h",
    "fsgnj_h",
    "fsgnjn_h",
    "fsgnjx_h",
    "feq_h",
    "flt_h",
    "fle_h",
    "fclass_h",
    "fcvt_w_h",
    "fcvt_wu_h",
    "fcvt_l_h",
    "fcvt_lu_h",
    "fcvt_h_w",
    "fcvt_h_wu",
    "fcvt_h_l",
    "fcvt_h_lu",
    "fcvt_s_h",
    "fcvt_d_h",
    "fcvt_h_s",
    "fcvt_h_d",
    "fmv_x_h",
    "fmv_h_x",
    "fli_s",
    "fli_d",
    "fli_h",
    "fminm_s",
    "fmaxm_s",
    "fminm_d",
    "fmaxm_d",
    "fminm_h",
    "fmaxm_h",
    "fround_s",
    "froundnx_s",
    "fround_d",
    "froundnx_d",
    "fround_h",
    "froundnx_h",
    "fleq_s",
    "fltq_s",
    "fleq_d",
    "fltq_d",
    "fleq_h",
    "fltq_h",
    "fcvtmod_w_d",
)
OP_INDEX = {name: i for i, name in enumerate(OPS)}
FD_OPS = OPS[:OP_INDEX["fadd_h"]]                                  # F and D
ZFH_OPS = OPS[len(FD_OPS):OP_INDEX["fli_s"]]                        # Zfh and Zfhmin
ZFA_OPS = OPS[OP_INDEX["fli_s"]:]


cdef uint64_t _run(int op, uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t* fl) noexcept nogil:
    if op == 0:
        return fadd_s(a, b, rm, fl)
    elif op == 1:
        return fsub_s(a, b, rm, fl)
    elif op == 2:
        return fmul_s(a, b, rm, fl)
    elif op == 3:
        return fdiv_s(a, b, rm, fl)
    elif op == 4:
        return fsqrt_s(a, rm, fl)
    elif op == 5:
        return fmin_s(a, b, fl)
    elif op == 6:
        return fmax_s(a, b, fl)
    elif op == 7:
        return fmadd_s(a, b, c, rm, fl)
    elif op == 8:
        return fmsub_s(a, b, c, rm, fl)
    elif op == 9:
        return fnmsub_s(a, b, c, rm, fl)
    elif op == 10:
        return fnmadd_s(a, b, c, rm, fl)
    elif op == 11:
        return fsgnj_s(a, b)
    elif op == 12:
        return fsgnjn_s(a, b)
    elif op == 13:
        return fsgnjx_s(a, b)
    elif op == 14:
        return feq_s(a, b, fl)
    elif op == 15:
        return flt_s(a, b, fl)
    elif op == 16:
        return fle_s(a, b, fl)
    elif op == 17:
        return fclass_s(a)
    elif op == 18:
        return fcvt_w_s(a, rm, fl)
    elif op == 19:
        return fcvt_wu_s(a, rm, fl)
    elif op == 20:
        return fcvt_l_s(a, rm, fl)
    elif op == 21:
        return fcvt_lu_s(a, rm, fl)
    elif op == 22:
        return fcvt_s_w(a, rm, fl)
    elif op == 23:
        return fcvt_s_wu(a, rm, fl)
    elif op == 24:
        return fcvt_s_l(a, rm, fl)
    elif op == 25:
        return fcvt_s_lu(a, rm, fl)
    elif op == 26:
        return fadd_d(a, b, rm, fl)
    elif op == 27:
        return fsub_d(a, b, rm, fl)
    elif op == 28:
        return fmul_d(a, b, rm, fl)
    elif op == 29:
        return fdiv_d(a, b, rm, fl)
    elif op == 30:
        return fsqrt_d(a, rm, fl)
    elif op == 31:
        return fmin_d(a, b, fl)
    elif op == 32:
        return fmax_d(a, b, fl)
    elif op == 33:
        return fmadd_d(a, b, c, rm, fl)
    elif op == 34:
        return fmsub_d(a, b, c, rm, fl)
    elif op == 35:
        return fnmsub_d(a, b, c, rm, fl)
    elif op == 36:
        return fnmadd_d(a, b, c, rm, fl)
    elif op == 37:
        return fsgnj_d(a, b)
    elif op == 38:
        return fsgnjn_d(a, b)
    elif op == 39:
        return fsgnjx_d(a, b)
    elif op == 40:
        return feq_d(a, b, fl)
    elif op == 41:
        return flt_d(a, b, fl)
    elif op == 42:
        return fle_d(a, b, fl)
    elif op == 43:
        return fclass_d(a)
    elif op == 44:
        return fcvt_w_d(a, rm, fl)
    elif op == 45:
        return fcvt_wu_d(a, rm, fl)
    elif op == 46:
        return fcvt_l_d(a, rm, fl)
    elif op == 47:
        return fcvt_lu_d(a, rm, fl)
    elif op == 48:
        return fcvt_d_w(a, rm, fl)
    elif op == 49:
        return fcvt_d_wu(a, rm, fl)
    elif op == 50:
        return fcvt_d_l(a, rm, fl)
    elif op == 51:
        return fcvt_d_lu(a, rm, fl)
    elif op == 52:
        return fcvt_s_d(a, rm, fl)
    elif op == 53:
        return fcvt_d_s(a, rm, fl)
    elif op == 54:
        return fmv_x_w(a)
    elif op == 55:
        return fmv_w_x(a)
    elif op == 56:
        return fadd_h(a, b, rm, fl)
    elif op == 57:
        return fsub_h(a, b, rm, fl)
    elif op == 58:
        return fmul_h(a, b, rm, fl)
    elif op == 59:
        return fdiv_h(a, b, rm, fl)
    elif op == 60:
        return fsqrt_h(a, rm, fl)
    elif op == 61:
        return fmin_h(a, b, fl)
    elif op == 62:
        return fmax_h(a, b, fl)
    elif op == 63:
        return fmadd_h(a, b, c, rm, fl)
    elif op == 64:
        return fmsub_h(a, b, c, rm, fl)
    elif op == 65:
        return fnmsub_h(a, b, c, rm, fl)
    elif op == 66:
        return fnmadd_h(a, b, c, rm, fl)
    elif op == 67:
        return fsgnj_h(a, b)
    elif op == 68:
        return fsgnjn_h(a, b)
    elif op == 69:
        return fsgnjx_h(a, b)
    elif op == 70:
        return feq_h(a, b, fl)
    elif op == 71:
        return flt_h(a, b, fl)
    elif op == 72:
        return fle_h(a, b, fl)
    elif op == 73:
        return fclass_h(a)
    elif op == 74:
        return fcvt_w_h(a, rm, fl)
    elif op == 75:
        return fcvt_wu_h(a, rm, fl)
    elif op == 76:
        return fcvt_l_h(a, rm, fl)
    elif op == 77:
        return fcvt_lu_h(a, rm, fl)
    elif op == 78:
        return fcvt_h_w(a, rm, fl)
    elif op == 79:
        return fcvt_h_wu(a, rm, fl)
    elif op == 80:
        return fcvt_h_l(a, rm, fl)
    elif op == 81:
        return fcvt_h_lu(a, rm, fl)
    elif op == 82:
        return fcvt_s_h(a, rm, fl)
    elif op == 83:
        return fcvt_d_h(a, rm, fl)
    elif op == 84:
        return fcvt_h_s(a, rm, fl)
    elif op == 85:
        return fcvt_h_d(a, rm, fl)
    elif op == 86:
        return fmv_x_h(a)
    elif op == 87:
        return fmv_h_x(a)
    elif op == 88:
        return fli_s(<int>a)
    elif op == 89:
        return fli_d(<int>a)
    elif op == 90:
        return fli_h(<int>a)
    elif op == 91:
        return fminm_s(a, b, fl)
    elif op == 92:
        return fmaxm_s(a, b, fl)
    elif op == 93:
        return fminm_d(a, b, fl)
    elif op == 94:
        return fmaxm_d(a, b, fl)
    elif op == 95:
        return fminm_h(a, b, fl)
    elif op == 96:
        return fmaxm_h(a, b, fl)
    elif op == 97:
        return fround_s(a, rm, fl)
    elif op == 98:
        return froundnx_s(a, rm, fl)
    elif op == 99:
        return fround_d(a, rm, fl)
    elif op == 100:
        return froundnx_d(a, rm, fl)
    elif op == 101:
        return fround_h(a, rm, fl)
    elif op == 102:
        return froundnx_h(a, rm, fl)
    elif op == 103:
        return fleq_s(a, b, fl)
    elif op == 104:
        return fltq_s(a, b, fl)
    elif op == 105:
        return fleq_d(a, b, fl)
    elif op == 106:
        return fltq_d(a, b, fl)
    elif op == 107:
        return fleq_h(a, b, fl)
    elif op == 108:
        return fltq_h(a, b, fl)
    elif op == 109:
        return fcvtmod_w_d(a, fl)
    return 0


def call(name, a, b=0, c=0, rm=0):
    """Runs one function on raw register bits; returns (result, fflags)."""
    if name not in OP_INDEX:
        raise ValueError(f"unknown FP operation {name!r}; known: {', '.join(OPS)}")
    if not 0 <= rm <= 4:
        raise ValueError(f"rounding mode {rm} is not a resolved mode 0..4")
    cdef uint32_t fl = 0
    fpu_host_standard()               # as the core does before it executes
    cdef uint64_t r = _run(OP_INDEX[name], a, b, c, rm, &fl)
    return int(r), int(fl)


def run_batch(cnp.int32_t[::1] op, cnp.int32_t[::1] rm, cnp.uint64_t[::1] a,
              cnp.uint64_t[::1] b, cnp.uint64_t[::1] c, bint dirty_host=False):
    """Vectorised call(): op holds indices into OPS. Returns (results, fflags, n) where n
    counts operations that left the host FP controls in neither the prior nor the
    standard state. dirty_host puts the host in an odd state before every operation and
    then does what the core does on entry (fpu_host_standard), then raises every host
    flag, so the answers must not depend on what the entry leaves or on stale flags."""
    cdef Py_ssize_t n = op.shape[0], i
    if not (rm.shape[0] == a.shape[0] == b.shape[0] == c.shape[0] == n):
        raise ValueError("run_batch needs arrays of equal length")
    res = np.zeros(n, dtype=np.uint64)
    fla = np.zeros(n, dtype=np.uint32)
    cdef cnp.uint64_t[::1] r = res
    cdef cnp.uint32_t[::1] f = fla
    cdef uint32_t fl
    cdef Py_ssize_t changed = 0
    with nogil:
        fpu_host_standard()
        for i in range(n):
            fl = 0
            if dirty_host:
                cs_test_set_host(1)
                fpu_host_standard()
                cs_test_set_host(2)
            r[i] = _run(op[i], a[i], b[i], c[i], rm[i], &fl)
            f[i] = fl
            if not cs_test_host_ok():
                changed += 1
        cs_test_set_host(0)
    return res, fla, changed


def set_host_state(int state):
    """Puts the host FP unit of this thread in a test state: 0 standard, 1 odd controls
    and every flag raised, 2 standard controls with every flag raised."""
    cs_test_set_host(state)


def host_state_ok():
    """Whether the host FP controls are the standard ones or the odd test ones."""
    return bool(cs_test_host_ok())


def bench(name, uint64_t a, uint64_t b=0, uint64_t c=0, int rm=0, Py_ssize_t n=10_000_000):
    """Seconds per call of one function in a tight nogil loop (operands vary slightly so
    the work cannot be hoisted)."""
    import time
    cdef int o = OP_INDEX[name]
    cdef uint32_t fl = 0
    cdef uint64_t acc = 0
    cdef Py_ssize_t i
    t0 = time.perf_counter()
    with nogil:
        fpu_host_standard()
        for i in range(n):
            acc ^= _run(o, a ^ (i & 7), b, c, rm, &fl)
    t1 = time.perf_counter()
    return (t1 - t0) / n
