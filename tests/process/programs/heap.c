/* Allocation-heavy: small blocks (brk heap), large blocks (mmap), growing reallocs
   (mremap), frees in a scrambled order; prints checksums that must match qemu. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

int main(void) {
    enum { N = 400 };
    static unsigned char *blocks[N];
    static size_t sizes[N];
    uint64_t sum = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            size_t sz = (next() % 7 == 0) ? 140000 + next() % 100000 : 1 + next() % 2000;
            blocks[i] = malloc(sz);
            sizes[i] = sz;
            memset(blocks[i], (int)(i + round), sz);
        }
        for (int i = 0; i < N; i += 3) {
            size_t nsz = sizes[i] * 3 + 4096;
            blocks[i] = realloc(blocks[i], nsz);
            memset(blocks[i] + sizes[i], 0x5a, nsz - sizes[i]);
            sizes[i] = nsz;
        }
        for (int i = 0; i < N; i++) {
            int j = (int)(next() % N);
            unsigned char *t = blocks[i]; blocks[i] = blocks[j]; blocks[j] = t;
            size_t s = sizes[i]; sizes[i] = sizes[j]; sizes[j] = s;
        }
        for (int i = 0; i < N; i++) {
            for (size_t k = 0; k < sizes[i]; k += 997) sum = sum * 31 + blocks[i][k];
            free(blocks[i]);
        }
        printf("round %d checksum %016llx\n", round, (unsigned long long)sum);
    }
    unsigned char *big = malloc(16 << 20);                 /* one large mmap */
    for (size_t k = 0; k < (16u << 20); k += 4096) big[k] = (unsigned char)(k >> 12);
    big = realloc(big, 40 << 20);                          /* grows by mremap */
    sum = 0;
    for (size_t k = 0; k < (16u << 20); k += 4096) sum += big[k];
    printf("big %llu\n", (unsigned long long)sum);
    free(big);
    return 0;
}
