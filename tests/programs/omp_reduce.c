/* An OpenMP parallel for with a reduction, a critical section and a static schedule:
   the printed sums do not depend on the number of threads or their interleaving.
   Usage: omp_reduce [n] [threads] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    if (argc > 2) omp_set_num_threads(atoi(argv[2]));
    long sum = 0, squares = 0;
    int teams = 0;
#pragma omp parallel for reduction(+:sum) schedule(static)
    for (long i = 1; i <= n; i++) sum += i;
#pragma omp parallel
    {
#pragma omp critical
        teams++;
#pragma omp for reduction(+:squares)
        for (long i = 1; i <= n; i++) squares += i * i % 1000;
    }
    printf("sum %ld squares %ld threads-ok %d\n", sum, squares, teams >= 1);
    return sum == n * (n + 1) / 2 ? 0 : 1;
}
