/* matmul: dense n x n double matrix multiply C = A * B in ikj order (unit-stride inner loop).
 *
 * Self-check: the entries of A and B are small integers, so every product and partial sum
 * is exact in double precision and any summation order gives bit-identical results. We
 * compare (1) a sample of entries against a dot product computed in ijk order and (2) the
 * sum of all entries of C against sum_k colsum(A)[k] * rowsum(B)[k] computed in integers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 128, "matrix dimension n");
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = calloc((size_t)(n * n), sizeof(double));
    if (!a || !b || !c) { fprintf(stderr, "matmul: out of memory for n=%ld\n", n); return 2; }

    uint64_t seed = 0x6d61746d756cULL;
    for (long i = 0; i < n * n; i++) {
        a[i] = (double)((int)(cs_splitmix64(&seed) % 17) - 8);   /* -8 .. 8 */
        b[i] = (double)((int)(cs_splitmix64(&seed) % 17) - 8);
    }

    cyclesim_roi_begin();
    for (long i = 0; i < n; i++) {
        double *ci = c + i * n;
        for (long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            const double *bk = b + k * n;
            for (long j = 0; j < n; j++)
                ci[j] += aik * bk[j];
        }
    }
    cyclesim_roi_end();

    int ok = 1;
    /* (1) sampled entries, recomputed as dot products in ijk order */
    uint64_t pick = 12345;
    for (int s = 0; s < 64; s++) {
        long i = (long)(cs_splitmix64(&pick) % (uint64_t)n);
        long j = (long)(cs_splitmix64(&pick) % (uint64_t)n);
        double dot = 0.0;
        for (long k = 0; k < n; k++)
            dot += a[i * n + k] * b[k * n + j];
        if (dot != c[i * n + j]) ok = 0;
    }
    /* (2) total sum, from column sums of A and row sums of B in integer arithmetic */
    int64_t expect = 0;
    for (long k = 0; k < n; k++) {
        int64_t colsum = 0, rowsum = 0;
        for (long i = 0; i < n; i++) colsum += (int64_t)a[i * n + k];
        for (long j = 0; j < n; j++) rowsum += (int64_t)b[k * n + j];
        expect += colsum * rowsum;
    }
    double total = 0.0;
    uint64_t checksum = 0;
    for (long i = 0; i < n * n; i++) {
        total += c[i];
        checksum = checksum * 31 + (uint64_t)(int64_t)c[i];
    }
    if ((int64_t)total != expect) ok = 0;

    printf("matmul n=%ld checksum=%016llx sum=%lld %s\n", n, (unsigned long long)checksum,
           (long long)expect, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
