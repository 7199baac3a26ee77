/* omploop: OpenMP loops (libgomp, linked statically). A team of `threads` threads runs
 *   1. a statically scheduled loop y[i] = 3 x[i] + y[i] over n 64-bit integers, then a
 *      sum reduction of y (the arrays are initialised by the team too, first touch);
 *   2. a dynamically scheduled loop (chunks of 32, handed out from a shared counter) that
 *      counts the primes below n by trial division, a sum and a count reduction: the work
 *      per index varies, the case dynamic scheduling is for.
 * Reductions of integers do not depend on the order the partial results are combined,
 * so the result line is the same for every team size and interleaving.
 *
 *   usage: omploop [n] [threads]        (threads: the team size, via omp_set_num_threads)
 *
 * Waiting threads sleep (OMP_WAIT_POLICY=passive, unless the environment sets it): by
 * default libgomp spins up to 300,000 times before it sleeps, which makes the instruction
 * count depend on the interleaving and keeps a hart busy doing nothing.
 *
 * Self-check: the team really had `threads` threads; sum(y) = sum(5i + 1) in closed form;
 * the primes' count and sum agree with a serial sieve of Eratosthenes.
 */
#include "cs_threads.h"
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

/* Runs before libgomp's own constructor reads the environment (priority 101 < default). */
__attribute__((constructor(101))) static void passive_waiting(void)
{
    setenv("OMP_WAIT_POLICY", "passive", 0);
}

static int is_prime(long p)
{
    if (p < 2) return 0;
    if (p < 4) return 1;
    if ((p & 1) == 0) return 0;
    for (long d = 3; d * d <= p; d += 2)
        if (p % d == 0) return 0;
    return 1;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 80000, "loop length and prime bound");
    int threads = cs_threads_arg(argc, argv, 2);
    int64_t *x = malloc(sizeof(int64_t) * n), *y = malloc(sizeof(int64_t) * n);
    char *composite = calloc((size_t)n + 1, 1);
    if (!x || !y || !composite) { fprintf(stderr, "omploop: out of memory for n=%ld\n", n); return 2; }
    omp_set_dynamic(0);
    omp_set_num_threads(threads);

    int team = 0;
    int64_t ysum = 0, primes = 0, prime_sum = 0;
    cyclesim_roi_begin();
    #pragma omp parallel
    {
        #pragma omp single
        team = omp_get_num_threads();
        #pragma omp for schedule(static)
        for (long i = 0; i < n; i++) {
            x[i] = i;
            y[i] = 2 * i + 1;
        }
        #pragma omp for schedule(static) reduction(+:ysum)
        for (long i = 0; i < n; i++) {
            y[i] = 3 * x[i] + y[i];
            ysum += y[i];
        }
        #pragma omp for schedule(dynamic, 32) reduction(+:primes, prime_sum)
        for (long p = 0; p < n; p++)
            if (is_prime(p)) {
                primes++;
                prime_sum += p;
            }
    }
    cyclesim_roi_end();

    int ok = team == threads && ysum == 5 * (int64_t)n * (n - 1) / 2 + n;
    int64_t want_primes = 0, want_sum = 0;
    for (long p = 2; p < n; p++) {
        if (composite[p]) continue;
        want_primes++;
        want_sum += p;
        for (long m = p * p; m < n; m += p)
            composite[m] = 1;
    }
    if (primes != want_primes || prime_sum != want_sum) ok = 0;
    printf("omploop n=%ld threads=%d primes=%lld ysum=%lld checksum=%lld %s\n", n, threads,
           (long long)primes, (long long)ysum, (long long)prime_sum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
