/*
 * cyclesim.h -- markers a workload uses to talk to the cyclesim simulator.
 *
 * Each marker is a single RISC-V HINT instruction: `slti x0, x0, N`. The unprivileged
 * ISA manual reserves SLTI with rd=x0 as a HINT "designated for custom use". Writing x0
 * has no architectural effect, so on qemu-riscv64 and on real hardware these markers
 * execute as plain no-ops and the same binary runs unchanged everywhere; only cyclesim
 * recognises the immediate and acts on it:
 *
 *   slti x0, x0, 1   cyclesim_roi_begin    start of the region of interest (ROI):
 *                                          statistics collected from here on
 *   slti x0, x0, 2   cyclesim_roi_end      end of the region of interest
 *   slti x0, x0, 3   cyclesim_reset_stats  zero every statistics counter now
 *   slti x0, x0, 4   cyclesim_dump_stats   snapshot the counters (an interval sample)
 *
 * The "memory" clobber keeps the compiler from moving loads and stores across a marker,
 * so the region of interest contains exactly the work written between the two calls.
 * Put initialisation (allocation, PRNG fill) before cyclesim_roi_begin() and the
 * self-check after cyclesim_roi_end().
 */
#ifndef CYCLESIM_H
#define CYCLESIM_H

static inline void cyclesim_roi_begin(void)   { __asm__ volatile("slti x0, x0, 1" ::: "memory"); }
static inline void cyclesim_roi_end(void)     { __asm__ volatile("slti x0, x0, 2" ::: "memory"); }
static inline void cyclesim_reset_stats(void) { __asm__ volatile("slti x0, x0, 3" ::: "memory"); }
static inline void cyclesim_dump_stats(void)  { __asm__ volatile("slti x0, x0, 4" ::: "memory"); }

/* Deterministic PRNGs shared by the workloads (no time() or rand() seeds, so every run of
 * a workload executes the same instructions). */
#include <stdint.h>

/* splitmix64: good 64-bit output from a counter; also used to seed xorshift. */
static inline uint64_t cs_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* xorshift64: cheap PRNG for bulk fills; the state must never be zero. */
static inline uint64_t cs_xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Size argument: argv[1] as a positive integer, or the default when absent. A bad value
 * is reported in one sentence and the program exits with status 2. */
#include <stdio.h>
#include <stdlib.h>

static inline long cs_size_arg(int argc, char **argv, long dflt, const char *what)
{
    if (argc < 2)
        return dflt;
    char *end;
    long v = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || v <= 0) {
        fprintf(stderr, "%s: size argument '%s' must be a positive integer (%s)\n",
                argv[0], argv[1], what);
        exit(2);
    }
    return v;
}

#endif /* CYCLESIM_H */
