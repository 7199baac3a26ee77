/* hash: hashes n bytes of buffers of varied lengths (1..256 bytes) with two 64-bit hashes:
 * FNV-1a (one multiply per byte, a long serial dependency chain) and a word-at-a-time mix
 * hash (8-byte loads, multiply-xorshift mixing, unaligned tails).
 *
 * Self-check: FNV-1a reproduces its published 64-bit test vectors; on a sample of buffers
 * the word-at-a-time mix hash equals a byte-at-a-time reference of the same function; and
 * the combined checksum is recomputed from the per-buffer hashes in a different order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cyclesim.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL
#define MIX_K      0x9fb21c651e98df25ULL

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++) { h ^= p[i]; h *= FNV_PRIME; }
    return h;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w * MIX_K;
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

/* word-at-a-time: little-endian 8-byte words, then the tail zero-padded into one word */
static uint64_t mixhash(const uint8_t *p, size_t len)
{
    uint64_t h = len * MIX_K;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix(h, w);
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, p + i, len - i);
        h = mix(h, w);
    }
    return mix(h, 0x5bd1e995);
}

/* the same function, one byte at a time, assembling each word explicitly */
static uint64_t mixhash_ref(const uint8_t *p, size_t len)
{
    uint64_t h = len * MIX_K;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = 0;
        for (size_t k = 0; k < 8 && i + k < len; k++)
            w |= (uint64_t)p[i + k] << (8 * k);
        h = mix(h, w);
    }
    return mix(h, 0x5bd1e995);
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 1000000, "total bytes hashed");
    uint8_t *data = malloc((size_t)n + 264);
    long maxbufs = n + 1;
    uint32_t *lens = malloc(sizeof(uint32_t) * maxbufs);
    uint64_t *hashes = malloc(sizeof(uint64_t) * 2 * maxbufs);
    if (!data || !lens || !hashes) { fprintf(stderr, "hash: out of memory for n=%ld\n", n); return 2; }
    uint64_t seed = 0x68617368ULL;
    for (long i = 0; i < n + 256; i += 8) {     /* 8 bytes per step */
        uint64_t x = cs_xorshift64(&seed);
        memcpy(data + i, &x, 8);
    }
    long nbufs = 0;
    for (long off = 0; off < n; nbufs++) {
        uint32_t len = 1 + (uint32_t)(cs_xorshift64(&seed) % 256);
        lens[nbufs] = len;
        off += len;
    }

    uint64_t combined = 0;
    cyclesim_roi_begin();
    const uint8_t *p = data;
    for (long b = 0; b < nbufs; b++) {
        uint64_t h1 = fnv1a(p, lens[b]);
        uint64_t h2 = mixhash(p, lens[b]);
        hashes[2 * b] = h1;
        hashes[2 * b + 1] = h2;
        combined = (combined ^ h1) * 3 + h2;
        p += lens[b];
    }
    cyclesim_roi_end();

    int ok = 1;
    if (fnv1a((const uint8_t *)"", 0) != 0xcbf29ce484222325ULL) ok = 0;
    if (fnv1a((const uint8_t *)"a", 1) != 0xaf63dc4c8601ec8cULL) ok = 0;
    if (fnv1a((const uint8_t *)"foobar", 6) != 0x85944171f73967e8ULL) ok = 0;
    p = data;
    for (long b = 0; b < nbufs; b++) {
        if (b % 16 == 0 && (mixhash_ref(p, lens[b]) != hashes[2 * b + 1] ||
                            fnv1a(p, lens[b]) != hashes[2 * b])) ok = 0;
        p += lens[b];
    }
    /* unroll the recurrence combined_b = (combined_{b-1} ^ h1) * 3 + h2 backwards */
    uint64_t back = combined;
    const uint64_t inv3 = 0xaaaaaaaaaaaaaaabULL;   /* 3 * inv3 == 1 mod 2^64 */
    for (long b = nbufs - 1; b >= 0; b--)
        back = ((back - hashes[2 * b + 1]) * inv3) ^ hashes[2 * b];
    if (back != 0) ok = 0;

    printf("hash n=%ld buffers=%ld checksum=%016llx %s\n", n, nbufs,
           (unsigned long long)combined, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
