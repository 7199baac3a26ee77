/* Sleeping threads and a timed wait: nanosleep and a condition-variable wait with a
   deadline advance simulated time. Prints only facts independent of the host speed.
   Usage: threads_sleep [milliseconds] */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long ms = 2;

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *sleeper(void *arg) {
    struct timespec d = {0, ms * 1000000L};
    nanosleep(&d, 0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1) ms = atol(argv[1]);
    long t0 = now_ns();
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, sleeper, 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
    long slept = now_ns() - t0;

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += ms * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
    long t1 = now_ns();
    pthread_mutex_lock(&m);
    int rc = pthread_cond_timedwait(&c, &m, &deadline);
    pthread_mutex_unlock(&m);
    long waited = now_ns() - t1;
    printf("slept at least %ld ms: %d; timed wait %s, at least %ld ms: %d\n", ms,
           slept >= ms * 1000000L, rc == ETIMEDOUT ? "timed out" : "woke", ms,
           waited >= ms * 1000000L);
    return 0;
}
