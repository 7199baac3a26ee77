/* spmv: sparse matrix-vector multiply y = A x with A in compressed sparse row (CSR) form,
 * n rows with 8 random off-diagonal entries plus the diagonal, repeated REPS times (the
 * next x is derived from y so every repetition sees new data). Indexed gathers x[col[k]].
 *
 * Self-check: all values are small integers, so the products are exact; the last product
 * is recomputed by scattering the entries in reverse order (coordinate form) and must
 * match exactly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define PER_ROW 9
#define REPS 6

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 15000, "number of rows");
    long nnz = n * PER_ROW;
    long *rowstart = malloc(sizeof(long) * (n + 1));
    int32_t *col = malloc(sizeof(int32_t) * nnz);
    double *val = malloc(sizeof(double) * nnz);
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    double *z = calloc((size_t)n, sizeof(double));
    if (!rowstart || !col || !val || !x || !y || !z) {
        fprintf(stderr, "spmv: out of memory for n=%ld\n", n);
        return 2;
    }
    uint64_t seed = 0x73706d76ULL;
    for (long r = 0; r < n; r++) {
        rowstart[r] = r * PER_ROW;
        col[r * PER_ROW] = (int32_t)r;
        val[r * PER_ROW] = 4.0;
        for (int k = 1; k < PER_ROW; k++) {
            col[r * PER_ROW + k] = (int32_t)(cs_splitmix64(&seed) % (uint64_t)n);
            val[r * PER_ROW + k] = (double)((int)(cs_splitmix64(&seed) % 9) - 4);
        }
    }
    rowstart[n] = nnz;
    for (long i = 0; i < n; i++) x[i] = (double)((int)(i % 7) - 3);

    cyclesim_roi_begin();
    for (int rep = 0; rep < REPS; rep++) {
        for (long r = 0; r < n; r++) {
            double sum = 0.0;
            for (long k = rowstart[r]; k < rowstart[r + 1]; k++)
                sum += val[k] * x[col[k]];
            y[r] = sum;
        }
        if (rep + 1 < REPS)     /* next input: y folded back into -3..3, exact */
            for (long i = 0; i < n; i++) x[i] = (double)(((long)y[i] % 7 + 7) % 7 - 3);
    }
    cyclesim_roi_end();

    for (long k = nnz - 1; k >= 0; k--) {
        long r = k / PER_ROW;
        z[r] += val[k] * x[col[k]];
    }
    int ok = 1;
    int64_t checksum = 0;
    for (long r = 0; r < n; r++) {
        if (z[r] != y[r]) ok = 0;
        checksum = checksum * 31 + (int64_t)y[r];
    }
    printf("spmv n=%ld nnz=%ld reps=%d checksum=%016llx %s\n", n, nnz, REPS,
           (unsigned long long)checksum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
