/* fib: deep call/return traffic. Naive doubly recursive Fibonacci fib(n) makes
 * 2*fib(n+1)-1 calls (return-address stack, stack loads/stores); Ackermann A(2, m) and
 * A(3, 4) add deep, irregular recursion.
 *
 * Self-check: fib(n) equals the iterative value; the call count equals 2*fib(n+1)-1;
 * A(2, m) = 2m + 3 and A(3, 4) = 2^7 - 3 = 125.
 */
#include <stdint.h>
#include <stdio.h>
#include "cyclesim.h"

static uint64_t calls;

__attribute__((noinline)) static uint64_t fib(unsigned n)
{
    calls++;
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 27, "Fibonacci index n (at most 60)");
    if (n > 60) { fprintf(stderr, "fib: n=%ld is too large; use at most 60\n", n); return 2; }
    uint64_t m = (uint64_t)n * 4;

    cyclesim_roi_begin();
    uint64_t f = fib((unsigned)n);
    uint64_t a2 = ack(2, m);
    uint64_t a3 = ack(3, 4);
    cyclesim_roi_end();

    uint64_t x = 0, y = 1;                      /* iterative fib(n), fib(n+1) */
    for (long i = 0; i < n; i++) { uint64_t t = x + y; x = y; y = t; }
    int ok = f == x && calls == 2 * y - 1 && a2 == 2 * m + 3 && a3 == 125;
    printf("fib n=%ld checksum=%llu calls=%llu ack2=%llu ack3=%llu %s\n", n,
           (unsigned long long)f, (unsigned long long)calls, (unsigned long long)a2,
           (unsigned long long)a3, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
