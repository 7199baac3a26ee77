/* triad: the STREAM triad a[i] = b[i] + s * c[i] over three arrays of n doubles, repeated
 * REPS times with s = 1, 2, ... . Streams 24 bytes per element through the memory
 * hierarchy; at the default size the arrays (3 x 2 MiB) exceed any L2.
 *
 * Self-check: b and c hold small integers, so every result is exact; each a[i] must equal
 * b[i] + REPS * c[i] recomputed in integer arithmetic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define REPS 4

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 262144, "array length in doubles");
    double *a = malloc(sizeof(double) * n);
    double *b = malloc(sizeof(double) * n);
    double *c = malloc(sizeof(double) * n);
    if (!a || !b || !c) { fprintf(stderr, "triad: out of memory for n=%ld\n", n); return 2; }
    for (long i = 0; i < n; i++) {
        a[i] = 0.0;
        b[i] = (double)(i % 1000);
        c[i] = (double)((i * 7) % 1001);
    }

    cyclesim_roi_begin();
    for (int r = 1; r <= REPS; r++) {
        double s = (double)r;
        for (long i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
    }
    cyclesim_roi_end();

    int ok = 1;
    int64_t sum = 0;
    for (long i = 0; i < n; i++) {
        int64_t expect = (i % 1000) + (int64_t)REPS * ((i * 7) % 1001);
        if (a[i] != (double)expect) ok = 0;
        sum += (int64_t)a[i];
    }
    printf("triad n=%ld reps=%d checksum=%lld %s\n", n, REPS, (long long)sum,
           ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
