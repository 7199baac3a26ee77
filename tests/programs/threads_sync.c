/* Threads for the process model's tests: create/join, a mutex-protected counter, a
   condition-variable queue (producer/consumer), a barrier and thread-local storage.
   Every printed value is independent of how the threads interleave.
   Usage: threads_sync [threads] [iterations] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 16
static int nthreads = 4, iters = 2000;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long mine;               /* TLS: each thread's own copy (tp moves) */

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER, nonfull = PTHREAD_COND_INITIALIZER;
static int queue[8], qhead, qtail, qcount;
static long consumed_sum;

static pthread_barrier_t barrier;
static int phase_seen[MAXT];
static volatile int phase;

static void *worker(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < iters; i++) {
        pthread_mutex_lock(&lock);
        counter += id + 1;
        pthread_mutex_unlock(&lock);
        mine += 1;
    }
    pthread_barrier_wait(&barrier);      /* everyone has counted */
    if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
        phase = 1;
    pthread_barrier_wait(&barrier);
    phase_seen[id] = phase;
    return (void *)mine;
}

static void *producer(void *arg) {
    for (int i = 1; i <= iters; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 8) pthread_cond_wait(&nonfull, &qlock);
        queue[qtail] = i; qtail = (qtail + 1) % 8; qcount++;
        pthread_cond_signal(&nonempty);
        pthread_mutex_unlock(&qlock);
    }
    return 0;
}

static void *consumer(void *arg) {
    long n = (long)arg, sum = 0;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0) pthread_cond_wait(&nonempty, &qlock);
        sum += queue[qhead]; qhead = (qhead + 1) % 8; qcount--;
        pthread_cond_signal(&nonfull);
        pthread_mutex_unlock(&qlock);
    }
    pthread_mutex_lock(&qlock);
    consumed_sum += sum;
    pthread_mutex_unlock(&qlock);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1) nthreads = atoi(argv[1]);
    if (argc > 2) iters = atoi(argv[2]);
    if (nthreads < 1 || nthreads > MAXT) return 2;
    pthread_t t[MAXT];
    pthread_barrier_init(&barrier, 0, nthreads);
    for (long i = 0; i < nthreads; i++) pthread_create(&t[i], 0, worker, (void *)i);
    long tls_total = 0;
    for (int i = 0; i < nthreads; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        tls_total += (long)ret;
    }
    long expect = (long)iters * nthreads * (nthreads + 1) / 2;
    int phases = 0;
    for (int i = 0; i < nthreads; i++) phases += phase_seen[i];
    printf("counter %ld (expected %ld), tls %ld, barrier phases %d/%d\n", counter, expect,
           tls_total, phases, nthreads);

    pthread_t p, c[2];
    pthread_create(&p, 0, producer, 0);
    pthread_create(&c[0], 0, consumer, (void *)(long)(iters / 2));
    pthread_create(&c[1], 0, consumer, (void *)(long)(iters - iters / 2));
    pthread_join(p, 0);
    pthread_join(c[0], 0);
    pthread_join(c[1], 0);
    printf("queue sum %ld (expected %ld)\n", consumed_sum, (long)iters * (iters + 1) / 2);
    return counter == expect && consumed_sum == (long)iters * (iters + 1) / 2 ? 0 : 1;
}
