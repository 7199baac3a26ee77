/* stencil: Jacobi sweeps of the 5-point Laplace stencil on an n x n periodic grid of
 * doubles: u'(i,j) = 0.25 * (u(i-1,j) + u(i+1,j) + u(i,j-1) + u(i,j+1)). A halo of one
 * cell is refreshed before each sweep so the inner loop has no wrap-around tests.
 *
 * Self-check: initial values are integers 0..255 and only multiplications by 0.25 occur,
 * so for the fixed 8 sweeps every value and every sum is exact in double precision.
 * On an even periodic grid each black cell hands exactly a quarter of its value to each
 * of its four red neighbours, so sum_red(t+1) == sum_black(t) and vice versa; after the
 * sweeps each colour's sum must equal the right initial colour's sum exactly. The maximum
 * must not increase and the minimum must not decrease (discrete maximum principle).
 * Finally a few points (including a corner, to cover the wrap-around) are recomputed from
 * the initial grid with a separate patch-based calculation using modulo indexing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define SWEEPS 8

static void refresh_halo(double *u, long n)
{
    long w = n + 2;
    for (long j = 1; j <= n; j++) {
        u[0 * w + j] = u[n * w + j];
        u[(n + 1) * w + j] = u[1 * w + j];
    }
    for (long i = 1; i <= n; i++) {
        u[i * w + 0] = u[i * w + n];
        u[i * w + n + 1] = u[i * w + 1];
    }
}

static void colour_sums(const double *u, long n, double *red, double *black)
{
    long w = n + 2;
    double r = 0.0, b = 0.0;
    for (long i = 1; i <= n; i++)
        for (long j = 1; j <= n; j++) {
            if (((i + j) & 1) == 0) r += u[i * w + j]; else b += u[i * w + j];
        }
    *red = r;
    *black = b;
}

/* Value at (ci, cj) after SWEEPS sweeps, from the initial grid u0 (n x n, no halo): sweep
 * a (2*SWEEPS+1)^2 patch around the point, the valid region shrinking by one per sweep. */
static double reference_point(const double *u0, long n, long ci, long cj)
{
    enum { R = SWEEPS, P = 2 * SWEEPS + 1 };
    static double a[P][P], b[P][P];
    for (int i = 0; i < P; i++)
        for (int j = 0; j < P; j++)
            a[i][j] = u0[(((ci + i - R) % n + n) % n) * n + ((cj + j - R) % n + n) % n];
    for (int t = 1; t <= SWEEPS; t++) {
        for (int i = t; i < P - t; i++)
            for (int j = t; j < P - t; j++)
                b[i][j] = 0.25 * (a[i - 1][j] + a[i + 1][j] + a[i][j - 1] + a[i][j + 1]);
        for (int i = t; i < P - t; i++)
            for (int j = t; j < P - t; j++)
                a[i][j] = b[i][j];
    }
    return a[R][R];
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 256, "grid side n");
    if (n & 1) n++;                       /* the colour invariant needs an even side */
    long w = n + 2;
    double *u = calloc((size_t)(w * w), sizeof(double));
    double *v = calloc((size_t)(w * w), sizeof(double));
    double *u0 = malloc(sizeof(double) * n * n);
    if (!u || !v || !u0) { fprintf(stderr, "stencil: out of memory for n=%ld\n", n); return 2; }

    uint64_t seed = 0x7374656e63696cULL;
    double lo = 255.0, hi = 0.0;
    for (long i = 1; i <= n; i++)
        for (long j = 1; j <= n; j++) {
            double x = (double)(cs_splitmix64(&seed) & 255);
            u[i * w + j] = x;
            u0[(i - 1) * n + (j - 1)] = x;
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
    double red0, black0;
    colour_sums(u, n, &red0, &black0);

    cyclesim_roi_begin();
    for (int t = 0; t < SWEEPS; t++) {
        refresh_halo(u, n);
        for (long i = 1; i <= n; i++) {
            const double *up = u + (i - 1) * w, *mid = u + i * w, *dn = u + (i + 1) * w;
            double *out = v + i * w;
            for (long j = 1; j <= n; j++)
                out[j] = 0.25 * (up[j] + dn[j] + mid[j - 1] + mid[j + 1]);
        }
        double *tmp = u; u = v; v = tmp;
    }
    cyclesim_roi_end();

    double red, black;
    colour_sums(u, n, &red, &black);
    int ok = (SWEEPS % 2 == 0) ? (red == red0 && black == black0)
                               : (red == black0 && black == red0);
    long samples[4][2] = {{0, 0}, {n - 1, n / 2}, {n / 3, n - 1}, {n / 2, n / 5}};
    for (int s = 0; s < 4; s++) {
        long i = samples[s][0], j = samples[s][1];
        if (reference_point(u0, n, i, j) != u[(i + 1) * w + (j + 1)]) ok = 0;
    }
    uint64_t checksum = 0;
    for (long i = 1; i <= n; i++)
        for (long j = 1; j <= n; j++) {
            double x = u[i * w + j];
            if (x < lo || x > hi) ok = 0;
            checksum = checksum * 1000003 + (uint64_t)(x * 65536.0 * 256.0); /* 2^-24 exact */
        }

    printf("stencil n=%ld sweeps=%d checksum=%016llx sum=%.0f %s\n", n, SWEEPS,
           (unsigned long long)checksum, red + black, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
