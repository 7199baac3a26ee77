/* sort: quicksort (median-of-three, insertion sort below 16 elements) of n pseudo-random
 * 32-bit integers. Branch-heavy and data dependent.
 *
 * Self-check: the result must be in non-decreasing order and must be a permutation of the
 * input, checked with three order-independent fingerprints taken before and after
 * (sum, xor, and a sum of a mixing function of every element).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

static void insertion_sort(uint32_t *a, long lo, long hi)
{
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t x = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > x) { a[j + 1] = a[j]; j--; }
        a[j + 1] = x;
    }
}

static inline void swap(uint32_t *a, long i, long j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; }

static void quicksort(uint32_t *a, long lo, long hi)
{
    while (hi - lo >= 16) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        uint32_t pivot = a[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { swap(a, i, j); i++; j--; }
        }
        /* recurse into the smaller part so the stack stays O(log n) */
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else                 { quicksort(a, i, hi); hi = j; }
    }
    insertion_sort(a, lo, hi);
}

static void fingerprint(const uint32_t *a, long n, uint64_t fp[3])
{
    fp[0] = fp[1] = fp[2] = 0;
    for (long i = 0; i < n; i++) {
        uint64_t s = a[i];
        fp[0] += a[i];
        fp[1] ^= a[i];
        fp[2] += cs_splitmix64(&s);
    }
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 60000, "number of elements");
    uint32_t *a = malloc(sizeof(uint32_t) * n);
    if (!a) { fprintf(stderr, "sort: out of memory for n=%ld\n", n); return 2; }
    uint64_t seed = 0x736f7274ULL;
    for (long i = 0; i < n; i++)
        a[i] = (uint32_t)(cs_splitmix64(&seed) >> 32) % (uint32_t)(4 * n + 1); /* some duplicates */
    uint64_t before[3], after[3];
    fingerprint(a, n, before);

    cyclesim_roi_begin();
    quicksort(a, 0, n - 1);
    cyclesim_roi_end();

    fingerprint(a, n, after);
    int ok = before[0] == after[0] && before[1] == after[1] && before[2] == after[2];
    uint64_t checksum = 0;
    for (long i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) ok = 0;
        checksum = checksum * 31 + a[i];
    }
    printf("sort n=%ld checksum=%016llx min=%u max=%u %s\n", n, (unsigned long long)checksum,
           a[0], a[n - 1], ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
