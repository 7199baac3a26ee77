/* ptrchase: pointer chasing around a randomly ordered singly-linked ring of n nodes, one
 * 64-byte node per cache line. Every load address depends on the previous load, so the
 * run time is dominated by load-to-use latency; at the default size (32768 nodes = 2 MiB)
 * the ring is far larger than a 256 KiB L2 and most steps go to DRAM.
 *
 * The ring order comes from Sattolo's shuffle, which yields a single cycle through all
 * nodes. Self-check: walking n steps from the head returns to the head and no earlier,
 * and the sum of payloads picked up in PASSES * n steps equals PASSES times the sum of
 * all payloads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define PASSES 32

struct node {
    struct node *next;
    uint64_t payload;
    uint64_t pad[6];                 /* one node per 64-byte cache line */
};

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 32768, "number of 64-byte nodes");
    struct node *pool = NULL;
    if (posix_memalign((void **)&pool, 64, sizeof(struct node) * n) != 0) {
        fprintf(stderr, "ptrchase: out of memory for n=%ld\n", n);
        return 2;
    }
    long *order = malloc(sizeof(long) * n);
    if (!order) { fprintf(stderr, "ptrchase: out of memory for n=%ld\n", n); return 2; }

    uint64_t seed = 0x70747263ULL, expect_sum = 0;
    for (long i = 0; i < n; i++) order[i] = i;
    for (long i = n - 1; i > 0; i--) {           /* Sattolo: j < i, never j == i */
        long j = (long)(cs_splitmix64(&seed) % (uint64_t)i);
        long t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (long i = 0; i < n; i++) {
        /* order[] is a cyclic permutation: node i links to node order[i] */
        pool[i].next = &pool[order[i]];
        pool[i].payload = cs_splitmix64(&seed) >> 40;
        expect_sum += pool[i].payload;
    }
    free(order);

    struct node *p = &pool[0];
    uint64_t sum = 0;
    cyclesim_roi_begin();
    for (long s = 0; s < (long)PASSES * n; s++) {
        sum += p->payload;
        p = p->next;
    }
    cyclesim_roi_end();

    int ok = (p == &pool[0]) && (sum == expect_sum * PASSES);
    long len = 1;                                 /* exactly one cycle of length n */
    for (struct node *q = pool[0].next; q != &pool[0] && len <= n; q = q->next) len++;
    if (len != n) ok = 0;

    printf("ptrchase n=%ld bytes=%ld steps=%ld checksum=%016llx %s\n", n,
           (long)(n * sizeof(struct node)), (long)PASSES * n, (unsigned long long)sum,
           ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
