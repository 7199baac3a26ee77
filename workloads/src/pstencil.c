/* pstencil: parallel Jacobi sweeps of the 5-point Laplace stencil on an n x n periodic
 * grid of doubles, u'(i,j) = 0.25 * (u(i-1,j) + u(i+1,j) + u(i,j-1) + u(i,j+1)). The rows
 * are split into contiguous shares, one per thread; after each sweep the threads meet at a
 * pthread barrier (the next sweep reads the neighbours' boundary rows) and swap grids.
 * Every cell is computed by the same expression whatever thread owns it, so the result
 * is the same for every thread count and interleaving.
 *
 *   usage: pstencil [n] [threads]
 *
 * Self-check (as stencil.c): the values are integers 0..255 times powers of 1/4, exact in
 * double precision; on an even periodic grid each cell hands a quarter of its value to
 * each of its four neighbours of the other colour, so after an even number of sweeps each
 * colour's sum equals its initial sum exactly; no value leaves [min, max] of the initial
 * grid; and a few points are recomputed from the initial grid by a patch calculation.
 */
#include "cs_threads.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define SWEEPS 8

static long n;
static pthread_barrier_t sweep_done;

struct share {
    double *u, *v;
    long lo, hi;
} __attribute__((aligned(64)));

static void sweep_rows(const double *u, double *v, long lo, long hi)
{
    for (long i = lo; i < hi; i++) {
        const double *up = u + ((i + n - 1) % n) * n, *dn = u + ((i + 1) % n) * n;
        const double *mid = u + i * n;
        double *out = v + i * n;
        out[0] = 0.25 * (up[0] + dn[0] + mid[n - 1] + mid[1]);
        for (long j = 1; j < n - 1; j++)
            out[j] = 0.25 * (up[j] + dn[j] + mid[j - 1] + mid[j + 1]);
        out[n - 1] = 0.25 * (up[n - 1] + dn[n - 1] + mid[n - 2] + mid[0]);
    }
}

static void *worker(void *arg)
{
    struct share *s = arg;
    double *u = s->u, *v = s->v;
    for (int t = 0; t < SWEEPS; t++) {
        sweep_rows(u, v, s->lo, s->hi);
        pthread_barrier_wait(&sweep_done);
        double *tmp = u; u = v; v = tmp;
    }
    return NULL;
}

static void colour_sums(const double *u, double *red, double *black)
{
    double r = 0.0, b = 0.0;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            if (((i + j) & 1) == 0) r += u[i * n + j]; else b += u[i * n + j];
        }
    *red = r;
    *black = b;
}

/* Value at (ci, cj) after SWEEPS sweeps, from the initial grid u0: sweep a
 * (2*SWEEPS+1)^2 patch around the point, the valid region shrinking by one per sweep. */
static double reference_point(const double *u0, long ci, long cj)
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
    n = cs_size_arg(argc, argv, 256, "grid side n");
    int threads = cs_threads_arg(argc, argv, 2);
    if (n & 1) n++;                       /* the colour invariant needs an even side */
    double *u = malloc(sizeof(double) * n * n);
    double *v = malloc(sizeof(double) * n * n);
    double *u0 = malloc(sizeof(double) * n * n);
    static struct share share[CS_MAX_THREADS];
    static pthread_t tid[CS_MAX_THREADS];
    if (!u || !v || !u0) { fprintf(stderr, "pstencil: out of memory for n=%ld\n", n); return 2; }

    uint64_t seed = 0x7073746e63696cULL;
    double lo = 255.0, hi = 0.0;
    for (long i = 0; i < n * n; i++) {
        double x = (double)(cs_splitmix64(&seed) & 255);
        u[i] = u0[i] = x;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    double red0, black0;
    colour_sums(u, &red0, &black0);
    pthread_barrier_init(&sweep_done, NULL, (unsigned)threads);
    for (int t = 0; t < threads; t++) {
        share[t].u = u;
        share[t].v = v;
        cs_share(n, threads, t, &share[t].lo, &share[t].hi);
    }

    cyclesim_roi_begin();
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[t], NULL, worker, &share[t]) != 0) {
            fprintf(stderr, "pstencil: cannot create thread %d of %d\n", t, threads);
            return 2;
        }
    worker(&share[0]);
    for (int t = 1; t < threads; t++)
        pthread_join(tid[t], NULL);
    cyclesim_roi_end();

    if (SWEEPS & 1) u = v;                /* the last sweep wrote into v */
    double red, black;
    colour_sums(u, &red, &black);
    int ok = (SWEEPS % 2 == 0) ? (red == red0 && black == black0)
                               : (red == black0 && black == red0);
    long samples[4][2] = {{0, 0}, {n - 1, n / 2}, {n / 3, n - 1}, {n / 2, n / 5}};
    for (int s = 0; s < 4; s++) {
        long i = samples[s][0], j = samples[s][1];
        if (reference_point(u0, i, j) != u[i * n + j]) ok = 0;
    }
    uint64_t checksum = 0;
    for (long i = 0; i < n * n; i++) {
        if (u[i] < lo || u[i] > hi) ok = 0;
        checksum = checksum * 1000003 + (uint64_t)(u[i] * 65536.0 * 256.0); /* 2^-24 exact */
    }
    printf("pstencil n=%ld threads=%d sweeps=%d checksum=%016llx sum=%.0f %s\n", n, threads,
           SWEEPS, (unsigned long long)checksum, red + black, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
