/* Every thread waits forever: the main thread joins a thread that waits on a condition
   variable nobody signals. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;

static void *waiter(void *arg) {
    pthread_mutex_lock(&m);
    pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return 0;
}

int main(void) {
    pthread_t t;
    printf("starting\n");
    fflush(stdout);
    pthread_create(&t, 0, waiter, 0);
    pthread_join(t, 0);
    return 0;
}
