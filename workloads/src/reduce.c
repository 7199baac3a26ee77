/* reduce: parallel reduction. Each of the threads fills its contiguous share of an array
 * of n 64-bit words, a[i] = i * K + C (mod 2^64), and reduces the share to a sum and a sum
 * of squares; the main thread (thread 0, which works too) joins the others and combines
 * their partials in thread order. Integer sums mod 2^64 do not depend on the order of
 * the additions, so the result line is the same for every thread count and interleaving.
 * Nothing is shared but the partials (one 64-byte slot per thread), so the work scales
 * with the threads: the embarrassingly parallel workload of the scaling tests.
 *
 *   usage: reduce [n] [threads] [passes]
 *
 * With passes > 1 each thread reduces its share again and again, adding the pass number p
 * (0, 1, ...) to every element: a small array and many passes make the work compute-bound
 * and L1-resident, which the scaling tests use to see the cores and not the memory.
 *
 * Self-check: closed forms, with sum(i) = n(n-1)/2 and sum(i^2) = (n-1)n(2n-1)/6 computed
 * exactly in 128 bits: over one pass, S1 = sum a = K sum(i) + C n and
 * S2 = sum a^2 = K^2 sum(i^2) + 2KC sum(i) + C^2 n; over P passes, with s(p) = P(P-1)/2
 * and s(p^2) = (P-1)P(2P-1)/6, sum = P S1 + n s(p) and sumsq = P S2 + 2 S1 s(p) + n s(p^2).
 */
#include "cs_threads.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define K 0x9e3779b97f4a7c15ULL
#define C 0x0123456789abcdefULL

static long passes = 1;

struct share {
    uint64_t *a;
    long lo, hi;
    uint64_t sum, sumsq;
} __attribute__((aligned(64)));      /* one line each: the partials are not falsely shared */

static void *worker(void *arg)
{
    struct share *s = arg;
    uint64_t *a = s->a;
    for (long i = s->lo; i < s->hi; i++)
        a[i] = (uint64_t)i * K + C;
    uint64_t sum = 0, sumsq = 0;
    for (long p = 0; p < passes; p++)
        for (long i = s->lo; i < s->hi; i++) {
            uint64_t x = a[i] + (uint64_t)p;
            sum += x;
            sumsq += x * x;
        }
    s->sum = sum;
    s->sumsq = sumsq;
    return NULL;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 1000000, "array length in 64-bit words");
    int threads = cs_threads_arg(argc, argv, 2);
    if (argc > 3) {
        char *end;
        passes = strtol(argv[3], &end, 10);
        if (*argv[3] == '\0' || *end != '\0' || passes < 1) {
            fprintf(stderr, "%s: passes '%s' must be a positive integer\n", argv[0], argv[3]);
            return 2;
        }
    }
    uint64_t *a = malloc(sizeof(uint64_t) * n);
    static struct share share[CS_MAX_THREADS];
    static pthread_t tid[CS_MAX_THREADS];
    if (!a) { fprintf(stderr, "reduce: out of memory for n=%ld\n", n); return 2; }
    for (int t = 0; t < threads; t++) {
        share[t].a = a;
        cs_share(n, threads, t, &share[t].lo, &share[t].hi);
    }

    cyclesim_roi_begin();
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[t], NULL, worker, &share[t]) != 0) {
            fprintf(stderr, "reduce: cannot create thread %d of %d\n", t, threads);
            return 2;
        }
    worker(&share[0]);
    uint64_t sum = share[0].sum, sumsq = share[0].sumsq;
    for (int t = 1; t < threads; t++) {
        pthread_join(tid[t], NULL);
        sum += share[t].sum;
        sumsq += share[t].sumsq;
    }
    cyclesim_roi_end();

    unsigned __int128 m = (unsigned __int128)n;
    uint64_t si = (uint64_t)(m * (m - 1) / 2);
    uint64_t si2 = (uint64_t)((m - 1) * m * (2 * m - 1) / 6);
    uint64_t s1 = K * si + C * (uint64_t)n;
    uint64_t s2 = K * K * si2 + 2 * K * C * si + C * C * (uint64_t)n;
    unsigned __int128 P = (unsigned __int128)passes;
    uint64_t sp = (uint64_t)(P * (P - 1) / 2), sp2 = (uint64_t)((P - 1) * P * (2 * P - 1) / 6);
    uint64_t want_sum = (uint64_t)passes * s1 + (uint64_t)n * sp;
    uint64_t want_sumsq = (uint64_t)passes * s2 + 2 * s1 * sp + (uint64_t)n * sp2;
    int ok = sum == want_sum && sumsq == want_sumsq;
    printf("reduce n=%ld threads=%d passes=%ld sum=%016llx checksum=%016llx %s\n", n, threads,
           passes, (unsigned long long)sum, (unsigned long long)sumsq, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
