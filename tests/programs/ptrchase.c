/* Page-granular pointer chase for the TLB-reach test (tests/caches/test_tlb_reach.py).
 *
 *   ptrchase WORKING_SET_BYTES STEPS
 *
 * One 8-byte link in each 4 KiB page of an mmap'd buffer, the pages visited in one random
 * cycle (a shuffled permutation), the link of page p at line (p / 8) % 64 of its page, so
 * that with virtual addresses too the links spread evenly over the sets of a cache indexed
 * by address bits 6-14. One full cycle warms the caches and TLBs, then the
 * statistics are reset (cyclesim marker) and STEPS dependent loads run; the program then
 * exits with a raw exit_group so no library code adds data accesses after the reset. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "cyclesim.h"

#define PAGE 4096

static inline uintptr_t slot(char *buf, uint64_t page)
{
    return (uintptr_t)(buf + page * PAGE + ((page >> 3) % 64) * 64);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    uint64_t ws = strtoull(argv[1], 0, 0), steps = strtoull(argv[2], 0, 0);
    uint64_t n = ws / PAGE;
    char *buf = mmap(0, ws, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t *perm = malloc(n * sizeof *perm);
    if (buf == MAP_FAILED || !perm || n < 2)
        return 3;
    uint64_t seed = 12345;
    for (uint64_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = cs_splitmix64(&seed) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint64_t i = 0; i < n; i++)
        *(uintptr_t *)slot(buf, perm[i]) = slot(buf, perm[(i + 1) % n]);
    void **p = (void **)slot(buf, perm[0]);
    for (uint64_t i = 0; i < n; i++)
        p = (void **)*p;
    cyclesim_reset_stats();
    for (uint64_t i = 0; i < steps; i++)
        p = (void **)*p;
    register long a0 __asm__("a0") = (long)((uintptr_t)p & 1);
    register long a7 __asm__("a7") = 94;               /* exit_group */
    __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
    return 0;
}
