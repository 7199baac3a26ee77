/* strscan: word-at-a-time string scanning, the way optimised strlen and memchr work, over
 * n pseudo-random NUL-terminated strings (1 to 200 bytes) packed in one buffer. Built with
 * -march=rv64gc_zba_zbb_zbs (the Makefile says so): a zero byte in an 8-byte word is found
 * with orc.b (every nonzero byte becomes 0xff) and its index with ctz; without Zbb the
 * same kernels use the exact bit trick for zero bytes instead, so the program also builds
 * for plain rv64gc (the tutorial notebook compares the two). The region of interest
 * (1) measures every string (strlen), (2) counts the occurrences of one byte value in
 * each string (memchr-style: xor with the byte repeated, then find zero bytes).
 *
 * Self-check: both results are recomputed byte by byte after the region of interest and
 * the lengths are also checked against the lengths recorded while generating.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cyclesim.h"

#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full

/* a word with bits set in exactly the bytes of x that are zero (0xff or 0x80 per byte) */
static inline uint64_t zero_bytes(uint64_t x)
{
#ifdef __riscv_zbb
    uint64_t r;
    __asm__("orc.b %0, %1" : "=r"(r) : "r"(x));
    return ~r;
#else
    return ~(((x & LOW7) + LOW7) | x | LOW7);
#endif
}

static inline int count_marked(uint64_t m)
{
#ifdef __riscv_zbb
    return __builtin_popcountll(m) >> 3;
#else
    return __builtin_popcountll(m);
#endif
}

static size_t fast_strlen(const char *s)
{
    const char *p = s;
    while ((uintptr_t)p & 7) {           /* head: byte by byte up to an aligned word */
        if (*p == 0)
            return (size_t)(p - s);
        p++;
    }
    for (;;) {                           /* aligned words never cross a page */
        uint64_t m = zero_bytes(*(const uint64_t *)p);
        if (m)
            return (size_t)(p - s) + ((size_t)__builtin_ctzll(m) >> 3);
        p += 8;
    }
}

/* occurrences of byte c in s[0..len) */
static long count_byte(const char *s, size_t len, unsigned char c)
{
    long n = 0;
    size_t i = 0;
    uint64_t pattern = ONES * c;
    for (; i < len && ((uintptr_t)(s + i) & 7); i++)
        n += (unsigned char)s[i] == c;
    for (; i + 8 <= len; i += 8)
        n += count_marked(zero_bytes(*(const uint64_t *)(s + i) ^ pattern));
    for (; i < len; i++)
        n += (unsigned char)s[i] == c;
    return n;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 6000, "number of strings");
    size_t *len = malloc((size_t)n * sizeof *len);
    size_t *start = malloc((size_t)n * sizeof *start);
    char *buf = malloc((size_t)n * 202 + 16);
    if (!len || !start || !buf) { fprintf(stderr, "strscan: out of memory for n=%ld\n", n); return 2; }
    uint64_t seed = 3;
    size_t pos = 0;
    for (long i = 0; i < n; i++) {
        size_t l = 1 + cs_splitmix64(&seed) % 200;
        start[i] = pos;
        len[i] = l;
        for (size_t k = 0; k < l; k++)   /* bytes 1..255, biased to a small alphabet */
            buf[pos + k] = (char)(cs_splitmix64(&seed) % 4 ? 'a' + cs_splitmix64(&seed) % 16
                                                         : 1 + cs_splitmix64(&seed) % 255);
        buf[pos + l] = 0;
        pos += l + 1 + cs_splitmix64(&seed) % 2;   /* odd and even starts */
    }
    memset(buf + pos, 0, 16);

    long *found = malloc((size_t)n * sizeof *found);
    size_t *got = malloc((size_t)n * sizeof *got);
    if (!found || !got) { fprintf(stderr, "strscan: out of memory for n=%ld\n", n); return 2; }
    cyclesim_roi_begin();
    size_t chars = 0;
    long hits = 0;
    for (long i = 0; i < n; i++) {
        got[i] = fast_strlen(buf + start[i]);
        chars += got[i];
        found[i] = count_byte(buf + start[i], got[i], 'e');
        hits += found[i];
    }
    cyclesim_roi_end();

    int ok = 1;
    size_t chars2 = 0;
    long hits2 = 0;
    for (long i = 0; i < n && ok; i++) {
        const char *s = buf + start[i];
        size_t l = 0;
        long f = 0;
        while (s[l]) {
            f += s[l] == 'e';
            l++;
        }
        ok = l == got[i] && l == len[i] && f == found[i];
        chars2 += l;
        hits2 += f;
    }
    ok = ok && chars == chars2 && hits == hits2;
    printf("strscan n=%ld chars=%lu hits=%ld checksum=%016lx %s\n", n, (unsigned long)chars,
           hits, (unsigned long)(chars * 31 + (size_t)hits), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
