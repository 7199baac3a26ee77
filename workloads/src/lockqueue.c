/* lockqueue: a lock-contended bounded queue. Producer threads push n items (each its
 * index and a value computed from it) into a ring of QCAP slots guarded by one mutex, with
 * two condition variables (not full, not empty); consumer threads pop them and sum the
 * values. Of `threads` threads, (threads+1)/2 produce and threads/2 consume; with one
 * thread the main thread alternates, filling the ring and then draining it (consumers=0). Who pops which
 * item depends on the interleaving; the totals do not.
 *
 *   usage: lockqueue [n] [threads]
 *
 * Self-check: every index was popped exactly once, and the sum and xor of the popped
 * values equal those of the n values recomputed serially.
 */
#include "cs_threads.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

#define QCAP 8

struct item { long index; uint64_t value; };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    struct item ring[QCAP];
    long head, count;            /* oldest item, items in the ring */
    long taken, n;               /* items popped so far, items in all */
} q = { .lock = PTHREAD_MUTEX_INITIALIZER, .not_full = PTHREAD_COND_INITIALIZER,
        .not_empty = PTHREAD_COND_INITIALIZER };

static unsigned char *seen;      /* seen[i]: times item i was popped */

struct role {
    long lo, hi;                 /* producer: indices to push */
    uint64_t sum, xor;           /* consumer: totals of what it popped */
} __attribute__((aligned(64)));

static uint64_t value_of(long index)
{
    uint64_t s = 0x71756575ULL ^ ((uint64_t)index << 20);
    return cs_splitmix64(&s);
}

static void push(struct item it)
{
    pthread_mutex_lock(&q.lock);
    while (q.count == QCAP)
        pthread_cond_wait(&q.not_full, &q.lock);
    q.ring[(q.head + q.count) % QCAP] = it;
    q.count++;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.lock);
}

/* Pops one item into *it; returns 0 once all n items have been popped. */
static int pop(struct item *it)
{
    pthread_mutex_lock(&q.lock);
    while (q.count == 0 && q.taken < q.n)
        pthread_cond_wait(&q.not_empty, &q.lock);
    if (q.count == 0) {
        pthread_mutex_unlock(&q.lock);
        return 0;
    }
    *it = q.ring[q.head];
    q.head = (q.head + 1) % QCAP;
    q.count--;
    if (++q.taken == q.n)
        pthread_cond_broadcast(&q.not_empty);    /* wake the consumers to finish */
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.lock);
    return 1;
}

static void consume(struct role *r, struct item it)
{
    seen[it.index]++;
    r->sum += it.value;
    r->xor ^= it.value;
}

static void *producer(void *arg)
{
    struct role *r = arg;
    for (long i = r->lo; i < r->hi; i++)
        push((struct item){ i, value_of(i) });
    return NULL;
}

static void *consumer(void *arg)
{
    struct role *r = arg;
    struct item it;
    while (pop(&it))
        consume(r, it);
    return NULL;
}

/* One thread: fill the ring, drain it, repeat (push and pop never wait). */
static void alone(struct role *r)
{
    struct item it;
    for (long i = 0; i < q.n; i++) {
        if (q.count == QCAP)
            while (q.count > 0 && pop(&it))
                consume(r, it);
        push((struct item){ i, value_of(i) });
    }
    while (q.count > 0 && pop(&it))
        consume(r, it);
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 40000, "items to pass through the queue");
    int threads = cs_threads_arg(argc, argv, 2);
    int producers = (threads + 1) / 2, consumers = threads / 2;
    static struct role role[CS_MAX_THREADS];
    static pthread_t tid[CS_MAX_THREADS];
    seen = calloc((size_t)n, 1);
    if (!seen) { fprintf(stderr, "lockqueue: out of memory for n=%ld\n", n); return 2; }
    q.n = n;
    for (int p = 0; p < producers; p++)
        cs_share(n, producers, p, &role[p].lo, &role[p].hi);

    cyclesim_roi_begin();
    if (threads == 1) {
        alone(&role[0]);
    } else {
        /* thread 0 (main) is producer 0; threads 1.. are the other producers, then the
         * consumers */
        for (int t = 1; t < threads; t++)
            if (pthread_create(&tid[t], NULL, t < producers ? producer : consumer,
                               &role[t]) != 0) {
                fprintf(stderr, "lockqueue: cannot create thread %d of %d\n", t, threads);
                return 2;
            }
        producer(&role[0]);
        for (int t = 1; t < threads; t++)
            pthread_join(tid[t], NULL);
    }
    cyclesim_roi_end();

    uint64_t sum = 0, xor = 0, want_sum = 0, want_xor = 0;
    for (int t = 0; t < threads; t++) {
        sum += role[t].sum;
        xor ^= role[t].xor;
    }
    int ok = q.taken == n && q.count == 0;
    for (long i = 0; i < n; i++) {
        uint64_t v = value_of(i);
        want_sum += v;
        want_xor ^= v;
        if (seen[i] != 1) ok = 0;
    }
    if (sum != want_sum || xor != want_xor) ok = 0;
    printf("lockqueue n=%ld threads=%d producers=%d consumers=%d xor=%016llx checksum=%016llx "
           "%s\n", n, threads, producers, consumers,
           (unsigned long long)xor, (unsigned long long)sum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
