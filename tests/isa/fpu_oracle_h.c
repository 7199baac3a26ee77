/* Reference results for the half-precision tests (tests/isa/test_fpu_half.py).
 *
 * Built with riscv64-linux-gnu-gcc -march=rv64gc_zfh -O2 -static and run under
 * qemu-riscv64 -cpu rv64,Zfh=true,Zfhmin=true, whose softfloat is the independent
 * implementation of Zfh. Same protocol as fpu_oracle.c: each case executes one
 * instruction with a static rounding mode and reads the accrued flags.
 *
 * stdin:  records {int32 op, int32 rm, uint64 a, uint64 b, uint64 c}, little endian;
 *         FP operands are the full 64-bit register contents (so NaN-boxing is exactly
 *         as given), integer operands come from x registers.
 * stdout: records {uint64 result, uint32 fflags, uint32 zero}.
 * With the argument --list it prints the operation names, one per line, in op order.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* name, operand shape, mnemonic (shapes as in fpu_oracle.c). */
#define OPS(X) \
    X(fadd_h, RFFF, "fadd.h") X(fsub_h, RFFF, "fsub.h") X(fmul_h, RFFF, "fmul.h") \
    X(fdiv_h, RFFF, "fdiv.h") X(fsqrt_h, RFF, "fsqrt.h") \
    X(fmin_h, FFF, "fmin.h") X(fmax_h, FFF, "fmax.h") \
    X(fmadd_h, RFFFF, "fmadd.h") X(fmsub_h, RFFFF, "fmsub.h") \
    X(fnmsub_h, RFFFF, "fnmsub.h") X(fnmadd_h, RFFFF, "fnmadd.h") \
    X(fsgnj_h, FFF, "fsgnj.h") X(fsgnjn_h, FFF, "fsgnjn.h") X(fsgnjx_h, FFF, "fsgnjx.h") \
    X(feq_h, XFF, "feq.h") X(flt_h, XFF, "flt.h") X(fle_h, XFF, "fle.h") \
    X(fclass_h, XF, "fclass.h") \
    X(fcvt_w_h, RXF, "fcvt.w.h") X(fcvt_wu_h, RXF, "fcvt.wu.h") \
    X(fcvt_l_h, RXF, "fcvt.l.h") X(fcvt_lu_h, RXF, "fcvt.lu.h") \
    X(fcvt_h_w, RFX, "fcvt.h.w") X(fcvt_h_wu, RFX, "fcvt.h.wu") \
    X(fcvt_h_l, RFX, "fcvt.h.l") X(fcvt_h_lu, RFX, "fcvt.h.lu") \
    X(fcvt_s_h, FF, "fcvt.s.h") X(fcvt_d_h, FF, "fcvt.d.h") \
    X(fcvt_h_s, RFF, "fcvt.h.s") X(fcvt_h_d, RFF, "fcvt.h.d") \
    X(fmv_x_h, XF, "fmv.x.h") X(fmv_h_x, FX, "fmv.h.x")

#define ENUM(name, shape, insn) OP_##name,
enum { OPS(ENUM) OP_COUNT };
#define NAME(name, shape, insn) #name,
static const char *const names[] = { OPS(NAME) };

#define A_RFFFF(I, M) __asm__ volatile(I " %0, %1, %2, %3, " M : "=f"(fd) : "f"(fa), "f"(fb), "f"(fc))
#define A_RFFF(I, M) __asm__ volatile(I " %0, %1, %2, " M : "=f"(fd) : "f"(fa), "f"(fb))
#define A_RFF(I, M) __asm__ volatile(I " %0, %1, " M : "=f"(fd) : "f"(fa))
#define A_RXF(I, M) __asm__ volatile(I " %0, %1, " M : "=r"(xd) : "f"(fa))
#define A_RFX(I, M) __asm__ volatile(I " %0, %1, " M : "=f"(fd) : "r"(xa))
#define WITH_RM(A, I) switch (rm) { \
    case 0: A(I, "rne"); break; case 1: A(I, "rtz"); break; case 2: A(I, "rdn"); break; \
    case 3: A(I, "rup"); break; default: A(I, "rmm"); break; }
#define RFFFF(I) WITH_RM(A_RFFFF, I) isfp = 1;
#define RFFF(I) WITH_RM(A_RFFF, I) isfp = 1;
#define RFF(I) WITH_RM(A_RFF, I) isfp = 1;
#define RXF(I) WITH_RM(A_RXF, I)
#define RFX(I) WITH_RM(A_RFX, I) isfp = 1;
#define FFF(I) __asm__ volatile(I " %0, %1, %2" : "=f"(fd) : "f"(fa), "f"(fb)); isfp = 1;
#define FF(I) __asm__ volatile(I " %0, %1" : "=f"(fd) : "f"(fa)); isfp = 1;
#define FX(I) __asm__ volatile(I " %0, %1" : "=f"(fd) : "r"(xa)); isfp = 1;
#define XFF(I) __asm__ volatile(I " %0, %1, %2" : "=r"(xd) : "f"(fa), "f"(fb));
#define XF(I) __asm__ volatile(I " %0, %1" : "=r"(xd) : "f"(fa));
#define CASE(name, shape, insn) case OP_##name: shape(insn) break;

struct in_rec { int32_t op, rm; uint64_t a, b, c; };
struct out_rec { uint64_t result; uint32_t flags, zero; };

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < OP_COUNT; i++) puts(names[i]);
        return 0;
    }
    static struct in_rec in[4096];
    static struct out_rec out[4096];
    size_t n;
    while ((n = fread(in, sizeof in[0], 4096, stdin)) > 0) {
        for (size_t i = 0; i < n; i++) {
            double fa, fb, fc, fd = 0;
            uint64_t xa = in[i].a, xd = 0, result, flags;
            int rm = in[i].rm, isfp = 0;
            memcpy(&fa, &in[i].a, 8);
            memcpy(&fb, &in[i].b, 8);
            memcpy(&fc, &in[i].c, 8);
            __asm__ volatile("fsflags zero");
            switch (in[i].op) {
                OPS(CASE)
                default:
                    fprintf(stderr, "fpu_oracle_h: unknown op %d\n", (int)in[i].op);
                    return 2;
            }
            __asm__ volatile("frflags %0" : "=r"(flags));
            if (isfp) memcpy(&result, &fd, 8); else result = xd;
            out[i].result = result;
            out[i].flags = (uint32_t)flags;
            out[i].zero = 0;
        }
        fwrite(out, sizeof out[0], n, stdout);
    }
    return 0;
}
