/* Line-granular pointer chase for the latency plateaus (tests/caches/test_microbench.py,
 * benchmarks/memory_microbench.py).
 *
 *   chase_lines WORKING_SET_BYTES STEPS
 *
 * One 8-byte link per 64-byte line of an mmap'd buffer, the lines in one random cycle
 * (Sattolo's shuffle). A warm-up walks the whole cycle (at most 65536 steps: that many
 * random misses also push the lines the set-up wrote out of a 256 KiB-4 MiB L2, so the
 * measured steps do not pay for their writebacks), then STEPS dependent loads run in the
 * region of interest. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "cyclesim.h"
int main(int argc, char **argv)
{
    uint64_t ws = strtoull(argv[1], 0, 0), steps = strtoull(argv[2], 0, 0), n = ws / 64;
    char *buf = mmap(0, ws, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t *next = malloc(n * sizeof *next);
    if (buf == MAP_FAILED || !next || n < 2) return 3;
    uint64_t seed = 7;
    for (uint64_t i = 0; i < n; i++) next[i] = i;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = cs_splitmix64(&seed) % i, t = next[i];
        next[i] = next[j]; next[j] = t;
    }
    for (uint64_t i = 0; i < n; i++) *(char **)(buf + i * 64) = buf + next[i] * 64;
    free(next);
    char *p = buf;
    uint64_t warm = n <= (1u << 16) ? n : (1u << 16);
    for (uint64_t s = 0; s < warm; s++) p = *(char **)p;
    cyclesim_roi_begin();
    for (uint64_t s = 0; s < steps; s++) p = *(char **)p;
    cyclesim_roi_end();
    return p == 0;
}
