/* bitcount: bit-manipulation kernels over a pseudo-random bitset of n 64-bit words, built
 * with -march=rv64gc_zba_zbb_zbs (the Makefile says so), so the compiler uses cpop, ctz,
 * clz, bext/bset and sh3add. The region of interest (1) counts the set bits of every word
 * (popcount), (2) walks the set bits of every word lowest first (ctz, then clear it) and
 * sums their indices, (3) sums the index of the highest set bit of every word (clz), and
 * (4) tests and sets single bits at pseudo-random positions (bext, bset).
 *
 * Self-check: every result is recomputed after the region of interest with plain byte-
 * and bit-at-a-time loops that use none of those instructions' idioms: a 256-entry count
 * table, a scan of the bits from 0 to 63, and a shift loop for the highest bit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

static uint8_t bytecount[256];

static uint64_t count_bits(const uint64_t *w, long n)
{
    uint64_t total = 0;
    for (long i = 0; i < n; i++)
        total += (uint64_t)__builtin_popcountll(w[i]);
    return total;
}

static uint64_t sum_set_indices(const uint64_t *w, long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        for (uint64_t x = w[i]; x; x &= x - 1)
            sum += (uint64_t)i * 64 + (uint64_t)__builtin_ctzll(x);
    return sum;
}

static uint64_t sum_highest(const uint64_t *w, long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        if (w[i])
            sum += 63 - (uint64_t)__builtin_clzll(w[i]);
    return sum;
}

/* test-and-set at pseudo-random positions: how many were already set */
static uint64_t test_and_set(uint64_t *w, long n, long probes, uint64_t seed)
{
    uint64_t hits = 0, nbits = (uint64_t)n * 64;
    for (long k = 0; k < probes; k++) {
        uint64_t b = cs_splitmix64(&seed) % nbits;
        uint64_t *p = &w[b >> 6];
        hits += (*p >> (b & 63)) & 1;
        *p |= 1ull << (b & 63);
    }
    return hits;
}

/* ---- the plain versions used by the self-check ---- */
static uint64_t count_bits_plain(const uint64_t *w, long n)
{
    uint64_t total = 0;
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 64; k += 8)
            total += bytecount[(w[i] >> k) & 0xff];
    return total;
}

static uint64_t sum_set_indices_plain(const uint64_t *w, long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 64; k++)
            if ((w[i] >> k) & 1)
                sum += (uint64_t)i * 64 + (uint64_t)k;
    return sum;
}

static uint64_t sum_highest_plain(const uint64_t *w, long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        int top = -1;
        for (uint64_t x = w[i]; x; x >>= 1)
            top++;
        if (top >= 0)
            sum += (uint64_t)top;
    }
    return sum;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 20000, "number of 64-bit words in the bitset");
    long probes = 2 * n;
    uint64_t *w = malloc((size_t)n * sizeof *w);
    uint64_t *copy = malloc((size_t)n * sizeof *copy);
    if (!w || !copy) { fprintf(stderr, "bitcount: out of memory for n=%ld\n", n); return 2; }
    for (int i = 0; i < 256; i++)
        for (int k = 0; k < 8; k++)
            bytecount[i] += (i >> k) & 1;
    uint64_t seed = 7;
    for (long i = 0; i < n; i++) {
        /* a mix of dense, sparse and empty words */
        uint64_t a = cs_splitmix64(&seed), b = cs_splitmix64(&seed);
        w[i] = (i % 7 == 0) ? 0 : (i % 3 == 0) ? (a & b & cs_splitmix64(&seed)) : a;
        copy[i] = w[i];
    }

    cyclesim_roi_begin();
    uint64_t ones = count_bits(w, n);
    uint64_t isum = sum_set_indices(w, n);
    uint64_t hsum = sum_highest(w, n);
    uint64_t hits = test_and_set(w, n, probes, 99);
    cyclesim_roi_end();

    int ok = ones == count_bits_plain(copy, n) && isum == sum_set_indices_plain(copy, n)
             && hsum == sum_highest_plain(copy, n);
    /* replay the probes on the copy, bit by bit */
    uint64_t seed2 = 99, hits2 = 0, nbits = (uint64_t)n * 64;
    for (long k = 0; k < probes; k++) {
        uint64_t bit = cs_splitmix64(&seed2) % nbits;
        uint64_t mask = 1, word = copy[bit / 64];
        for (uint64_t j = 0; j < bit % 64; j++)
            mask <<= 1;
        hits2 += (word & mask) != 0;
        copy[bit / 64] = word | mask;
    }
    ok = ok && hits == hits2 && count_bits_plain(w, n) == count_bits_plain(copy, n);
    uint64_t checksum = ones * 31 + isum * 7 + hsum * 3 + hits;
    printf("bitcount n=%ld ones=%lu checksum=%016lx %s\n", n, (unsigned long)ones,
           (unsigned long)checksum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
