/*
 * cs_threads.h -- argument handling shared by the threaded workloads.
 *
 * A threaded workload is run as `<name> <size> [threads] ...`. The thread count defaults
 * to the number of harts the process may run on (sched_getaffinity, as nproc and libgomp
 * count them); give it explicitly for a reproducible run. The main thread is one of the
 * `threads`: it creates threads-1 others and does its share of the work.
 *
 * Include it first: it defines _GNU_SOURCE for CPU_COUNT before any system header.
 */
#ifndef CS_THREADS_H
#define CS_THREADS_H

#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define CS_MAX_THREADS 64

/* Harts this process may run on (1 when the affinity mask cannot be read). */
static inline int cs_available_harts(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n < 1 ? 1 : (n > CS_MAX_THREADS ? CS_MAX_THREADS : n);
}

/* argv[index] as a thread count in 1..CS_MAX_THREADS, or the available harts when absent.
 * A bad value is reported in one sentence and the program exits with status 2. */
static inline int cs_threads_arg(int argc, char **argv, int index)
{
    if (argc <= index)
        return cs_available_harts();
    char *end;
    long v = strtol(argv[index], &end, 10);
    if (*argv[index] == '\0' || *end != '\0' || v < 1 || v > CS_MAX_THREADS) {
        fprintf(stderr, "%s: thread count '%s' must be an integer from 1 to %d\n",
                argv[0], argv[index], CS_MAX_THREADS);
        exit(2);
    }
    return (int)v;
}

/* Contiguous share [*lo, *hi) of n items for thread `t` of `threads` (the first n %
 * threads threads get one more), so the work splits the same way on every run. */
static inline void cs_share(long n, int threads, int t, long *lo, long *hi)
{
    long base = n / threads, extra = n % threads;
    *lo = t * base + (t < extra ? t : extra);
    *hi = *lo + base + (t < extra ? 1 : 0);
}

#endif /* CS_THREADS_H */
