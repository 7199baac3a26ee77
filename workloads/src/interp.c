/* interp: a stack-machine bytecode interpreter with switch dispatch, running a bytecode
 * program that sums the Collatz trajectory lengths of 1..n. Indirect jumps from the
 * switch plus the guest program's own data-dependent branches.
 *
 * Self-check: the interpreted result equals the same computation written in C.
 */
#include <stdint.h>
#include <stdio.h>
#include "cyclesim.h"

enum op { PUSH, LOAD, STORE, ADD, MUL, AND, SHR, LT, EQ, JMP, JZ, JNZ, INC, HALT };

static int64_t run(const int32_t *code, int64_t *reg)
{
    int64_t stack[64];
    int sp = 0;
    int pc = 0;
    for (;;) {
        int32_t op = code[pc++];
        switch (op) {
        case PUSH:  stack[sp++] = code[pc++]; break;
        case LOAD:  stack[sp++] = reg[code[pc++]]; break;
        case STORE: reg[code[pc++]] = stack[--sp]; break;
        case ADD:   sp--; stack[sp - 1] += stack[sp]; break;
        case MUL:   sp--; stack[sp - 1] *= stack[sp]; break;
        case AND:   sp--; stack[sp - 1] &= stack[sp]; break;
        case SHR:   sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> stack[sp]); break;
        case LT:    sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case EQ:    sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case JMP:   pc = code[pc]; break;
        case JZ:    pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case JNZ:   pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case INC:   reg[code[pc++]]++; break;
        case HALT:  return stack[sp - 1];
        default:    return -1;
        }
    }
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 700, "largest Collatz start value n");
    /* registers: r0 = i, r1 = x, r2 = total steps, r3 = n + 1 */
    enum { OUTER = 0, INNER = 11, EVEN = 37, COUNT = 44, NEXT = 48, END = 52 };
    const int32_t code[] = {
        /* 0  OUTER */ LOAD, 0, LOAD, 3, LT, JZ, END, LOAD, 0, STORE, 1,
        /* 11 INNER */ LOAD, 1, PUSH, 1, EQ, JNZ, NEXT,
        /* 18 */       LOAD, 1, PUSH, 1, AND, JZ, EVEN,
        /* 25 */       LOAD, 1, PUSH, 3, MUL, PUSH, 1, ADD, STORE, 1, JMP, COUNT,
        /* 37 EVEN */  LOAD, 1, PUSH, 1, SHR, STORE, 1,
        /* 44 COUNT */ INC, 2, JMP, INNER,
        /* 48 NEXT */  INC, 0, JMP, OUTER,
        /* 52 END */   LOAD, 2, HALT,
    };
    _Static_assert(sizeof(code) / sizeof(code[0]) == 55, "bytecode layout changed");
    int64_t reg[4] = {1, 0, 0, n + 1};

    cyclesim_roi_begin();
    int64_t result = run(code, reg);
    cyclesim_roi_end();

    int64_t expect = 0;
    for (int64_t i = 1; i <= n; i++)
        for (int64_t x = i; x != 1; expect++)
            x = (x & 1) ? 3 * x + 1 : x >> 1;
    int ok = result == expect;
    printf("interp n=%ld checksum=%lld %s\n", n, (long long)result, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
