/* Reference results for the FP semantics tests (tests/isa/test_fpu.py).
 *
 * Built with riscv64-linux-gnu-gcc -O2 -static and run under qemu-riscv64, which
 * supplies the independent implementation of the F and D extensions. Each case executes
 * one instruction with a static rounding mode in its encoding and reads the accrued
 * flags with frflags after clearing them with fsflags.
 *
 * stdin:  records {int32 op, int32 rm, uint64 a, uint64 b, uint64 c}, little endian;
 *         a, b, c are raw register contents (FP registers get all 64 bits, so NaN boxing
 *         is exactly as given; integer operands come from x registers).
 * stdout: records {uint64 result, uint32 fflags, uint32 zero}.
 * With the argument --list it prints the operation names, one per line, in op order.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* name, operand shape, mnemonic. Shapes: R = takes a rounding mode; F/X = FP/integer
   register; the first letter is the destination. */
#define OPS(X) \
    X(fadd_s, RFFF, "fadd.s") X(fsub_s, RFFF, "fsub.s") X(fmul_s, RFFF, "fmul.s") \
    X(fdiv_s, RFFF, "fdiv.s") X(fsqrt_s, RFF, "fsqrt.s") \
    X(fmin_s, FFF, "fmin.s") X(fmax_s, FFF, "fmax.s") \
    X(fmadd_s, RFFFF, "fmadd.s") X(fmsub_s, RFFFF, "fmsub.s") \
    X(fnmsub_s, RFFFF, "fnmsub.s") X(fnmadd_s, RFFFF, "fnmadd.s") \
    X(fsgnj_s, FFF, "fsgnj.s") X(fsgnjn_s, FFF, "fsgnjn.s") X(fsgnjx_s, FFF, "fsgnjx.s") \
    X(feq_s, XFF, "feq.s") X(flt_s, XFF, "flt.s") X(fle_s, XFF, "fle.s") \
    X(fclass_s, XF, "fclass.s") \
    X(fcvt_w_s, RXF, "fcvt.w.s") X(fcvt_wu_s, RXF, "fcvt.wu.s") \
    X(fcvt_l_s, RXF, "fcvt.l.s") X(fcvt_lu_s, RXF, "fcvt.lu.s") \
    X(fcvt_s_w, RFX, "fcvt.s.w") X(fcvt_s_wu, RFX, "fcvt.s.wu") \
    X(fcvt_s_l, RFX, "fcvt.s.l") X(fcvt_s_lu, RFX, "fcvt.s.lu") \
    X(fadd_d, RFFF, "fadd.d") X(fsub_d, RFFF, "fsub.d") X(fmul_d, RFFF, "fmul.d") \
    X(fdiv_d, RFFF, "fdiv.d") X(fsqrt_d, RFF, "fsqrt.d") \
    X(fmin_d, FFF, "fmin.d") X(fmax_d, FFF, "fmax.d") \
    X(fmadd_d, RFFFF, "fmadd.d") X(fmsub_d, RFFFF, "fmsub.d") \
    X(fnmsub_d, RFFFF, "fnmsub.d") X(fnmadd_d, RFFFF, "fnmadd.d") \
    X(fsgnj_d, FFF, "fsgnj.d") X(fsgnjn_d, FFF, "fsgnjn.d") X(fsgnjx_d, FFF, "fsgnjx.d") \
    X(feq_d, XFF, "feq.d") X(flt_d, XFF, "flt.d") X(fle_d, XFF, "fle.d") \
    X(fclass_d, XF, "fclass.d") \
    X(fcvt_w_d, RXF, "fcvt.w.d") X(fcvt_wu_d, RXF, "fcvt.wu.d") \
    X(fcvt_l_d, RXF, "fcvt.l.d") X(fcvt_lu_d, RXF, "fcvt.lu.d") \
    X(fcvt_d_w, FX, "fcvt.d.w") X(fcvt_d_wu, FX, "fcvt.d.wu") \
    X(fcvt_d_l, RFX, "fcvt.d.l") X(fcvt_d_lu, RFX, "fcvt.d.lu") \
    X(fcvt_s_d, RFF, "fcvt.s.d") X(fcvt_d_s, FF, "fcvt.d.s") \
    X(fmv_x_w, XF, "fmv.x.w") X(fmv_w_x, FX, "fmv.w.x")

#define ENUM(name, shape, insn) OP_##name,
enum { OPS(ENUM) OP_COUNT };
#define NAME(name, shape, insn) #name,
static const char *const names[] = { OPS(NAME) };

/* One asm statement per shape; M is the rounding-mode operand. */
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
                    fprintf(stderr, "fpu_oracle: unknown op %d\n", (int)in[i].op);
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
