/* Randomness, time, an unknown syscall, stdin. Prints values the tests check. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

static int cmp(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    unsigned char r[16];
    ssize_t n = getrandom(r, sizeof r, 0);
    printf("random %zd ", n);
    for (int i = 0; i < 16; i++) printf("%02x", r[i]);
    printf("\n");
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 200000; i++) x += i;
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
    printf("elapsed_ns %ld\n", ns);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    printf("realtime_year_2026 %d\n", rt.tv_sec >= 1767225600 && rt.tv_sec < 1767225600 + 86400);
    static long v[20000];                     /* big enough that qsort asks sysinfo */
    for (int i = 0; i < 20000; i++) v[i] = (i * 7919L) % 20011;
    qsort(v, 20000, sizeof v[0], cmp);
    long ok = 1;
    for (int i = 1; i < 20000; i++) ok &= v[i - 1] <= v[i];
    printf("sorted %ld\n", ok);
    struct sysinfo si;
    printf("sysinfo %d mem_unit %u ram_positive %d\n", sysinfo(&si), si.mem_unit, si.totalram > 0);
    struct rusage ru;
    printf("getrusage %d utime_positive %d\n", getrusage(RUSAGE_SELF, &ru),
           ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
    long rc = syscall(444 + 50);
    printf("unknown %ld %s\n", rc, strerror(errno));
    char buf[64];
    ssize_t k;
    while ((k = read(0, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < k; i++) putchar(toupper((unsigned char)buf[i]));
    return 7;
}
