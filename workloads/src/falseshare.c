/* falseshare: false sharing. Each thread increments its own 64-bit counter n times with
 * a load and a store to memory each time (the counter is volatile). With the packed
 * layout the counters sit side by side, eight to a 64-byte line, so on a coherent
 * multicore every increment may have to take the line back from another core although no
 * two threads touch the same word; with the padded layout each counter has a line of its
 * own and the threads never interfere. The work (and the result line, but for the layout
 * name) is the same either way: only the timing differs.
 *
 *   usage: falseshare [n] [threads] [packed|padded]      (default packed)
 *
 * The threads meet at a barrier before counting, so they all count at the same time.
 * Self-check: every counter ends at exactly n, and their sum is n * threads.
 */
#include "cs_threads.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cyclesim.h"

#define LINE 64

static volatile uint64_t packed[CS_MAX_THREADS] __attribute__((aligned(LINE)));
static struct {
    volatile uint64_t value;
    char pad[LINE - sizeof(uint64_t)];
} padded[CS_MAX_THREADS] __attribute__((aligned(LINE)));

static long n;
static pthread_barrier_t start;

static void *worker(void *arg)
{
    volatile uint64_t *counter = arg;
    pthread_barrier_wait(&start);
    for (long k = 0; k < n; k++)
        *counter += 1;
    return NULL;
}

static volatile uint64_t *counter_of(int padded_layout, int t)
{
    return padded_layout ? &padded[t].value : &packed[t];
}

int main(int argc, char **argv)
{
    n = cs_size_arg(argc, argv, 1000000, "increments per thread");
    int threads = cs_threads_arg(argc, argv, 2);
    const char *layout = argc > 3 ? argv[3] : "packed";
    if (strcmp(layout, "packed") != 0 && strcmp(layout, "padded") != 0) {
        fprintf(stderr, "%s: layout '%s' must be packed (counters share a line) or padded "
                "(a line each)\n", argv[0], layout);
        return 2;
    }
    int pad = layout[1] == 'a' && layout[2] == 'd';
    static pthread_t tid[CS_MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)threads);

    cyclesim_roi_begin();
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[t], NULL, worker, (void *)counter_of(pad, t)) != 0) {
            fprintf(stderr, "falseshare: cannot create thread %d of %d\n", t, threads);
            return 2;
        }
    worker((void *)counter_of(pad, 0));
    for (int t = 1; t < threads; t++)
        pthread_join(tid[t], NULL);
    cyclesim_roi_end();

    int ok = 1;
    uint64_t total = 0;
    for (int t = 0; t < threads; t++) {
        uint64_t c = *counter_of(pad, t);
        if (c != (uint64_t)n) ok = 0;
        total += c;
    }
    if (total != (uint64_t)n * (uint64_t)threads) ok = 0;
    printf("falseshare n=%ld threads=%d layout=%s checksum=%llu %s\n", n, threads, layout,
           (unsigned long long)total, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
