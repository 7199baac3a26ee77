/* nbody: direct O(n^2) gravitational n-body simulation in double precision (softened
 * forces, symplectic Euler, STEPS fixed steps). Floating-point multiply/add chains, a
 * square root and a divide per pair.
 *
 * Self-check: every pair force is applied equal and opposite, so total momentum must stay
 * at its initial value (to rounding), the centre of mass must move in a straight line at
 * the initial centre-of-mass velocity, and total energy must drift by less than 1%.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define STEPS 20
#define DT 0.001
#define SOFT2 0.01

struct body { double x, y, z, vx, vy, vz, m; };

static double energy(const struct body *b, long n)
{
    double e = 0.0;
    for (long i = 0; i < n; i++) {
        e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (long j = i + 1; j < n; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz + SOFT2);
        }
    }
    return e;
}

static void totals(const struct body *b, long n, double p[3], double c[3], double *mass)
{
    double m = 0;
    p[0] = p[1] = p[2] = c[0] = c[1] = c[2] = 0.0;
    for (long i = 0; i < n; i++) {
        p[0] += b[i].m * b[i].vx; p[1] += b[i].m * b[i].vy; p[2] += b[i].m * b[i].vz;
        c[0] += b[i].m * b[i].x;  c[1] += b[i].m * b[i].y;  c[2] += b[i].m * b[i].z;
        m += b[i].m;
    }
    for (int k = 0; k < 3; k++) c[k] /= m;
    *mass = m;
}

static double unit(uint64_t *s) { return (double)(cs_splitmix64(s) >> 11) * 0x1.0p-53; }

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 160, "number of bodies");
    struct body *b = malloc(sizeof(struct body) * n);
    if (!b) { fprintf(stderr, "nbody: out of memory for n=%ld\n", n); return 2; }
    uint64_t seed = 0x6e626f6479ULL;
    for (long i = 0; i < n; i++) {
        b[i].x = unit(&seed) * 2 - 1; b[i].y = unit(&seed) * 2 - 1; b[i].z = unit(&seed) * 2 - 1;
        b[i].vx = unit(&seed) - 0.5; b[i].vy = unit(&seed) - 0.5; b[i].vz = unit(&seed) - 0.5;
        b[i].m = 0.5 + unit(&seed);
    }
    double p0[3], c0[3], mass, e0 = energy(b, n);
    totals(b, n, p0, c0, &mass);

    cyclesim_roi_begin();
    for (int s = 0; s < STEPS; s++) {
        for (long i = 0; i < n; i++) {
            for (long j = i + 1; j < n; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz + SOFT2;
                double mag = DT / (d2 * sqrt(d2));
                double fi = b[j].m * mag, fj = b[i].m * mag;
                b[i].vx -= dx * fi; b[i].vy -= dy * fi; b[i].vz -= dz * fi;
                b[j].vx += dx * fj; b[j].vy += dy * fj; b[j].vz += dz * fj;
            }
        }
        for (long i = 0; i < n; i++) {
            b[i].x += DT * b[i].vx; b[i].y += DT * b[i].vy; b[i].z += DT * b[i].vz;
        }
    }
    cyclesim_roi_end();

    double p1[3], c1[3], e1 = energy(b, n);
    totals(b, n, p1, c1, &mass);
    int ok = fabs(e1 - e0) < 0.01 * fabs(e0);
    for (int k = 0; k < 3; k++) {
        if (fabs(p1[k] - p0[k]) > 1e-9 * mass) ok = 0;
        if (fabs(c1[k] - (c0[k] + STEPS * DT * p0[k] / mass)) > 1e-9) ok = 0;
    }
    /* round to 1e-9 so the printed checksum is stable against last-bit differences */
    long long checksum = llround(e1 * 1e9);
    printf("nbody n=%ld steps=%d checksum=%lld energy=%.9f %s\n", n, STEPS, checksum, e1,
           ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
